//! The plain-text report, laid out for an 80-column terminal. Times are RFC 3339 with their
//! offset, in the zone the run was recorded in.

use std::fmt::Write as _;
use std::io::{self, Write};

use jiff::tz::TimeZone;

use super::{
    CheckReport, History, Report, command_outcome, confirmed_with_line, key_date_passed, key_date_when, source_line,
    time, visible, visible_line,
};
use crate::layout::{REPORT_WIDTH, fill, fill_hanging};
use crate::progress::Status;
use crate::state::CheckRef;

/// The indent of what is shown under a step.
const DETAIL: &str = "        ";

/// Wraps `text` to the report width with `indent` before every line.
fn wrapped(w: &mut dyn Write, indent: &str, text: &str) -> io::Result<()> {
    for paragraph in text.lines() {
        writeln!(w, "{}", fill(paragraph, REPORT_WIDTH, indent, indent))?;
    }
    Ok(())
}

/// `first` then `text`, continuation lines indented to line up under the text.
fn wrapped_hanging(w: &mut dyn Write, first: &str, text: &str) -> io::Result<()> {
    writeln!(w, "{}", fill_hanging(text, REPORT_WIDTH, first))
}

/// Every event recorded for a step: a headline (when, what, who), then what came with it, each
/// text wrapped under its label; a line break in a note is kept.
fn history_lines(w: &mut dyn Write, history: History<'_>, zone: &TimeZone) -> io::Result<()> {
    for item in history.items() {
        let item = item?;
        wrapped_hanging(w, DETAIL, &item.headline(zone))?;
        for (label, text) in item.details() {
            let first = format!("{DETAIL}  {label}: ");
            let mut lines = text.lines();
            wrapped_hanging(w, &first, lines.next().unwrap_or_default())?;
            for line in lines {
                wrapped_hanging(w, &" ".repeat(first.chars().count()), line)?;
            }
        }
    }
    Ok(())
}

/// The check runs a step was confirmed with, then every run of its checks.
fn checks_lines(
    w: &mut dyn Write,
    confirmed_with: &[CheckRef],
    checks: &[CheckReport<'_>],
    zone: &TimeZone,
) -> io::Result<()> {
    if let Some(line) = confirmed_with_line(confirmed_with) {
        wrapped_hanging(w, DETAIL, &line)?;
    }
    for check in checks {
        check_lines(w, DETAIL, check, zone)?;
    }
    Ok(())
}

/// One run of a check: when and by whom, what passing means, each command with how it ended, the
/// sha256 of all it printed and the start of it, and what is left. Commands and excerpts are the
/// world's: never wrapped, and control characters shown as escapes.
fn check_lines(w: &mut dyn Write, detail: &str, check: &CheckReport<'_>, zone: &TimeZone) -> io::Result<()> {
    let result = check.result;
    wrapped_hanging(
        w,
        detail,
        &format!(
            "check {} {} {} by {} (seq {})",
            check.check,
            check.outcome(),
            time(check.at, zone),
            check.by,
            check.seq
        ),
    )?;
    let inner = format!("{detail}  ");
    wrapped_hanging(
        w,
        &inner,
        &format!("{} (expect {})", visible_line(&result.summary), visible_line(&result.expect)),
    )?;
    if let Some(sha256) = check.sha256 {
        writeln!(w, "{inner}line sha256 {sha256}")?;
    }
    if let Some(problem) = &result.problem {
        wrapped_hanging(w, &format!("{inner}problem: "), &visible_line(problem))?;
    }
    for (line, _, command) in check.commands() {
        writeln!(w, "{inner}$ {}", visible_line(&line))?;
        writeln!(w, "{inner}  {}", command_outcome(command))?;
        for (label, excerpt) in [("stdout", &command.stdout_excerpt), ("stderr", &command.stderr_excerpt)] {
            if excerpt.is_empty() {
                continue;
            }
            writeln!(w, "{inner}  {label}:")?;
            for line in visible(excerpt).lines() {
                writeln!(w, "{inner}  | {line}")?;
            }
        }
    }
    for failure in &check.failures {
        wrapped_hanging(w, &format!("{inner}✘ "), &visible_line(failure))?;
    }
    Ok(())
}

pub(super) fn render(r: &Report<'_>, zone: &TimeZone, w: &mut dyn Write) -> io::Result<()> {
    header(r, zone, w)?;
    facts(r, zone, w)?;
    stages(r, zone, w)?;
    unlisted(r, zone, w)?;
    key_dates(r, zone, w)?;
    checklist_changes(r, zone, w)?;
    record(r, zone, w)
}

fn header(r: &Report<'_>, zone: &TimeZone, w: &mut dyn Write) -> io::Result<()> {
    let c = &r.checklist;
    writeln!(w, "closeacct report · {}", c.name)?;
    writeln!(w, "{}", "=".repeat(REPORT_WIDTH.min(19 + c.name.chars().count())))?;
    writeln!(w, "Provider     {}", r.provider)?;
    writeln!(w, "Account      {}", r.account)?;
    writeln!(w, "Checklist    {} v{}", c.id, c.version)?;
    for (i, source) in c.sources.iter().enumerate() {
        let label = match (i, c.sources.len()) {
            (0, 1) => "Source       ",
            (0, _) => "Sources      ",
            _ => "             ",
        };
        wrapped_hanging(w, label, &source_line(source))?;
    }
    writeln!(w, "Time zone    {} (the operator's when the run began)", r.run.zone)?;
    let started = r.run.started_at.map_or_else(|| "-".to_owned(), |at| time(at, zone));
    writeln!(w, "Started      {started} by {}", r.run.started_by)?;
    match r.run.completed_at {
        Some(at) if r.run.complete => writeln!(w, "Completed    {}", time(at, zone))?,
        _ => writeln!(w, "Completed    not yet")?,
    }
    if let Some(at) = r.run.reopened_at {
        writeln!(w, "Reopened     {} (to change an answer after it was complete)", time(at, zone))?;
    }
    writeln!(w, "Operators    {}", r.run.operators.join(", "))?;
    let n = &r.counts;
    writeln!(
        w,
        "Progress     {} of {} resolved: {} done, {} skipped, {} waiting, {} pending,",
        n.resolved_applicable(),
        n.applicable,
        n.done,
        n.skipped,
        n.waiting,
        n.pending
    )?;
    writeln!(w, "             {} not applicable", n.not_applicable)
}

fn facts(r: &Report<'_>, zone: &TimeZone, w: &mut dyn Write) -> io::Result<()> {
    if r.facts.is_empty() {
        return Ok(());
    }
    writeln!(w, "\nFacts")?;
    for fact in &r.facts {
        wrapped(w, "  ", &format!("{} — {}", fact.question, fact.answer_text()))?;
        if let (Some(at), Some(by)) = (fact.answered_at, &fact.answered_by) {
            writeln!(w, "    {} · answered {} by {by}", fact.id, time(at, zone))?;
        }
        for earlier in &fact.earlier_answers {
            writeln!(w, "    earlier: {} ({} by {})", earlier.text, time(earlier.at, zone), earlier.by)?;
        }
    }
    Ok(())
}

fn stages(r: &Report<'_>, zone: &TimeZone, w: &mut dyn Write) -> io::Result<()> {
    for stage in &r.stages {
        writeln!(w, "\nStage {}/{} · {}", stage.number, r.stages.len(), stage.title)?;
        for step in &stage.steps {
            // A long title wraps under itself, not under the step number.
            wrapped_hanging(w, &format!("  {:<5} [{}] ", step.number, step.status.as_str()), &step.title)?;
            let mut meta = format!("{} · {} · {}", step.id, step.actor, step.kind);
            if !step.sources.is_empty() {
                let _ = write!(meta, " · from {}", step.sources.join(", "));
            }
            wrapped_hanging(w, DETAIL, &meta)?;
            if let Some(when) = step.when.as_ref().filter(|_| step.status == Status::NotApplicable) {
                wrapped_hanging(w, DETAIL, &format!("not applicable: needs {when}"))?;
            }
            if let (Status::Waiting, Some(on)) = (step.status, &step.waiting_on) {
                wrapped_hanging(w, DETAIL, &format!("waiting on {on}"))?;
            }
            history_lines(w, step.history, zone)?;
            checks_lines(w, step.confirmed_with_checks, &step.checks, zone)?;
        }
    }
    Ok(())
}

fn unlisted(r: &Report<'_>, zone: &TimeZone, w: &mut dyn Write) -> io::Result<()> {
    if r.unlisted_steps.is_empty() {
        return Ok(());
    }
    writeln!(w, "\nRecorded for steps no longer in the checklist")?;
    for step in &r.unlisted_steps {
        writeln!(w, "  {} [{}]", step.id, step.status)?;
        history_lines(w, step.history, zone)?;
        checks_lines(w, step.confirmed_with_checks, &step.checks, zone)?;
    }
    Ok(())
}

fn key_dates(r: &Report<'_>, zone: &TimeZone, w: &mut dyn Write) -> io::Result<()> {
    if r.key_dates.is_empty() {
        return Ok(());
    }
    writeln!(w, "\nKey dates")?;
    for date in &r.key_dates {
        let passed = key_date_passed(r, date);
        wrapped_hanging(w, "  ", &format!("{}{passed} · step {}", key_date_when(date, zone), date.step_number))?;
        wrapped(w, "    ", &date.text)?;
    }
    Ok(())
}

fn checklist_changes(r: &Report<'_>, zone: &TimeZone, w: &mut dyn Write) -> io::Result<()> {
    if r.checklist_changes.is_empty() && r.pending_checklist_changes.is_empty() {
        return Ok(());
    }
    writeln!(w, "\nChecklist changes")?;
    for change in &r.checklist_changes {
        writeln!(w, "  accepted {} by {}:", time(change.at, zone), change.by)?;
        for line in &change.changes {
            wrapped(w, "    ", line)?;
        }
    }
    for line in &r.pending_checklist_changes {
        wrapped(w, "  not yet accepted: ", line)?;
    }
    Ok(())
}

fn record(r: &Report<'_>, zone: &TimeZone, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "\nRecord")?;
    writeln!(w, "  State file   {}", r.run.state_file)?;
    writeln!(w, "  Events       {}", r.run.events)?;
    writeln!(w, "  Head         {}", r.run.head)?;
    writeln!(w, "               (prove the log still holds it: closeacct verify --head {})", r.run.head)?;
    if let Some(bytes) = r.run.torn_bytes {
        writeln!(w, "  Torn         {bytes} bytes after the last line: a line cut short by a crash, never confirmed,")?;
        writeln!(w, "               not part of this report (the next command that records sets it aside)")?;
    }
    writeln!(w, "  Checklist    sha256 {}", r.checklist.sha256)?;
    writeln!(w, "  Generated    {}", time(r.generated_at, zone))
}
