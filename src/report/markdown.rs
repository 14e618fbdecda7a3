//! The markdown report: headings, one table per stage, pastes cleanly into a ticket.

use std::fmt::Write as _;
use std::io::{self, Write};

use jiff::tz::TimeZone;

use super::{
    CheckReport, History, Report, command_outcome, confirmed_with_line, key_date_passed, key_date_when, source_line,
    time, visible, visible_line,
};
use crate::progress::Status;
use crate::state::CheckRef;

/// Makes free text safe inside a table cell: no pipes breaking the row, no line breaks, and no
/// markdown that could render as a link or an image the operator did not write.
pub(super) fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '|' | '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '!' => {
                out.push('\\');
                out.push(ch);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(ch),
        }
    }
    out
}

/// Every event recorded for a step, one table-cell line each: when, what, who, and what came with
/// it.
fn history_cells(history: History<'_>, zone: &TimeZone) -> io::Result<Vec<String>> {
    history
        .items()
        .map(|item| {
            let item = item?;
            let details: Vec<String> =
                item.details().iter().map(|(label, text)| format!("{label}: {}", cell(text))).collect();
            let headline = cell(&item.headline(zone));
            Ok(if details.is_empty() { headline } else { format!("{headline}: {}", details.join("; ")) })
        })
        .collect()
}

/// What a step's checks add to its row: the runs it was confirmed with, and a pointer to each run
/// shown below the table.
fn check_cells(confirmed_with: &[CheckRef], checks: &[CheckReport<'_>]) -> Vec<String> {
    let mut lines: Vec<String> = confirmed_with_line(confirmed_with).iter().map(|line| cell(line)).collect();
    for check in checks {
        lines.push(format!("check {} {} (seq {}), see below", check.check, check.outcome(), check.seq));
    }
    lines
}

/// A code span that its content cannot close: delimited by one more backtick than the longest
/// run of backticks inside, with spaces when the content starts or ends with one.
fn code_span(text: &str) -> String {
    let ticks = "`".repeat(longest_backtick_run(text) + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') { " " } else { "" };
    format!("{ticks}{pad}{}{pad}{ticks}", visible_line(&text.replace(['\n', '\r'], " ")))
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

/// The checks of one step, after its stage's table: each run with when, who, what passing means,
/// what is left, and its commands, outcomes and excerpts in a fenced block its content cannot
/// close.
fn check_sections(w: &mut dyn Write, title: &str, checks: &[CheckReport<'_>], zone: &TimeZone) -> io::Result<()> {
    if checks.is_empty() {
        return Ok(());
    }
    writeln!(w, "\n### Checks of {title}")?;
    for check in checks {
        let result = check.result;
        writeln!(
            w,
            "\n**Check {} {}** · {} by {} · seq {}",
            check.check,
            check.outcome(),
            time(check.at, zone),
            cell(check.by),
            check.seq
        )?;
        writeln!(w)?;
        writeln!(w, "- {} (expect {})", cell(&visible_line(&result.summary)), code_span(&result.expect))?;
        if let Some(sha256) = check.sha256 {
            writeln!(w, "- line sha256: `{sha256}`")?;
        }
        if let Some(problem) = &result.problem {
            writeln!(w, "- problem: {}", cell(&visible_line(problem)))?;
        }
        for failure in &check.failures {
            writeln!(w, "- ✘ {}", cell(&visible_line(failure)))?;
        }
        let mut block = String::new();
        for (line, _, command) in check.commands() {
            let _ = writeln!(block, "$ {}", visible_line(&line));
            let _ = writeln!(block, "  {}", command_outcome(command));
            for (label, excerpt) in [("stdout", &command.stdout_excerpt), ("stderr", &command.stderr_excerpt)] {
                if !excerpt.is_empty() {
                    let _ = writeln!(block, "  {label}:");
                    for line in visible(excerpt).lines() {
                        let _ = writeln!(block, "  | {line}");
                    }
                }
            }
        }
        let fence = "`".repeat(longest_backtick_run(&block).max(2) + 1);
        writeln!(w, "\n{fence}text\n{block}{fence}")?;
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

/// The title and the table of what the run is.
fn header(r: &Report<'_>, zone: &TimeZone, w: &mut dyn Write) -> io::Result<()> {
    let c = &r.checklist;
    writeln!(w, "# Account closure report: {} {}", cell(&r.provider), cell(&r.account))?;
    writeln!(w)?;
    writeln!(w, "| | |")?;
    writeln!(w, "|---|---|")?;
    writeln!(w, "| Checklist | {} (`{}` v{}) |", cell(&c.name), c.id, c.version)?;
    let label = if c.sources.len() == 1 { "Source" } else { "Sources" };
    let sources: Vec<String> = c.sources.iter().map(|s| cell(&source_line(s))).collect();
    writeln!(w, "| {label} | {} |", sources.join("<br>"))?;
    writeln!(w, "| Time zone | {} (the operator's when the run began) |", cell(&r.run.zone))?;
    let started = r.run.started_at.map_or_else(|| "-".to_owned(), |at| time(at, zone));
    writeln!(w, "| Started | {started} by {} |", cell(&r.run.started_by))?;
    let completed = match r.run.completed_at {
        Some(at) if r.run.complete => time(at, zone),
        _ => "not yet".to_owned(),
    };
    writeln!(w, "| Completed | {completed} |")?;
    if let Some(at) = r.run.reopened_at {
        writeln!(w, "| Reopened | {} (to change an answer after it was complete) |", time(at, zone))?;
    }
    writeln!(w, "| Operators | {} |", cell(&r.run.operators.join(", ")))?;
    let n = &r.counts;
    writeln!(
        w,
        "| Progress | {} of {} resolved: {} done, {} skipped, {} waiting, {} pending, {} not applicable |",
        n.resolved_applicable(),
        n.applicable,
        n.done,
        n.skipped,
        n.waiting,
        n.pending,
        n.not_applicable
    )?;
    Ok(())
}

/// The facts and their answers.
fn facts(r: &Report<'_>, zone: &TimeZone, w: &mut dyn Write) -> io::Result<()> {
    if !r.facts.is_empty() {
        writeln!(w, "\n## Facts\n")?;
        writeln!(w, "| Question | Answer | Answered |")?;
        writeln!(w, "|---|---|---|")?;
        for fact in &r.facts {
            let answered = match (fact.answered_at, &fact.answered_by) {
                (Some(at), Some(by)) => format!("{} by {}", time(at, zone), cell(by)),
                _ => String::new(),
            };
            writeln!(w, "| {} (`{}`) | {} | {answered} |", cell(&fact.question), fact.id, cell(fact.answer_text()))?;
        }
    }
    Ok(())
}

/// One table per stage, a row per step.
fn stages(r: &Report<'_>, zone: &TimeZone, w: &mut dyn Write) -> io::Result<()> {
    for stage in &r.stages {
        writeln!(w, "\n## Stage {}/{}: {}\n", stage.number, r.stages.len(), cell(&stage.title))?;
        writeln!(w, "| Step | Status | Record |")?;
        writeln!(w, "|---|---|---|")?;
        for step in &stage.steps {
            let mut record = Vec::new();
            if let Some(when) = step.when.as_ref().filter(|_| step.status == Status::NotApplicable) {
                // A code span keeps `!` and `_` as written; only a pipe needs its escape in a table.
                record.push(format!("needs `{}`", when.replace('|', "\\|")));
            }
            if let (Status::Waiting, Some(on)) = (step.status, &step.waiting_on) {
                record.push(format!("waiting on {}", cell(on)));
            }
            if !step.sources.is_empty() {
                record.push(format!("from {}", cell(&step.sources.join(", "))));
            }
            record.extend(history_cells(step.history, zone)?);
            record.extend(check_cells(step.confirmed_with_checks, &step.checks));
            writeln!(
                w,
                "| {} {} (`{}`) | {} | {} |",
                step.number,
                cell(&step.title),
                step.id,
                step.status.as_str(),
                record.join("<br>")
            )?;
        }
        for step in &stage.steps {
            check_sections(w, &format!("step {} (`{}`)", step.number, step.id), &step.checks, zone)?;
        }
    }
    Ok(())
}

/// What was recorded for steps the checklist no longer lists.
fn unlisted(r: &Report<'_>, zone: &TimeZone, w: &mut dyn Write) -> io::Result<()> {
    if !r.unlisted_steps.is_empty() {
        writeln!(w, "\n## Recorded for steps no longer in the checklist\n")?;
        writeln!(w, "| Step | Status | Record |")?;
        writeln!(w, "|---|---|---|")?;
        for step in &r.unlisted_steps {
            let mut record = history_cells(step.history, zone)?;
            record.extend(check_cells(step.confirmed_with_checks, &step.checks));
            writeln!(w, "| {} | {} | {} |", cell(&step.id), step.status, record.join("<br>"))?;
        }
        for step in &r.unlisted_steps {
            check_sections(w, &format!("`{}`", step.id), &step.checks, zone)?;
        }
    }
    Ok(())
}

/// The dates to watch.
fn key_dates(r: &Report<'_>, zone: &TimeZone, w: &mut dyn Write) -> io::Result<()> {
    if !r.key_dates.is_empty() {
        writeln!(w, "\n## Key dates\n")?;
        for date in &r.key_dates {
            let passed = key_date_passed(r, date);
            writeln!(
                w,
                "- **{}**{passed} · step {}: {}",
                key_date_when(date, zone),
                date.step_number,
                cell(&date.text)
            )?;
        }
    }
    Ok(())
}

/// Changed checklists, accepted or not.
fn checklist_changes(r: &Report<'_>, zone: &TimeZone, w: &mut dyn Write) -> io::Result<()> {
    if !r.checklist_changes.is_empty() || !r.pending_checklist_changes.is_empty() {
        writeln!(w, "\n## Checklist changes\n")?;
        for change in &r.checklist_changes {
            writeln!(
                w,
                "- accepted {} by {}: {}",
                time(change.at, zone),
                cell(&change.by),
                cell(&change.changes.join("; "))
            )?;
        }
        for line in &r.pending_checklist_changes {
            writeln!(w, "- not yet accepted: {}", cell(line))?;
        }
    }
    Ok(())
}

/// What ties the report to the record: the log, its head, the checklist's hash.
fn record(r: &Report<'_>, zone: &TimeZone, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "\n## Record\n")?;
    writeln!(w, "- State file: `{}` ({} events)", r.run.state_file, r.run.events)?;
    writeln!(w, "- Head: `{}` (prove the log still holds it: `closeacct verify --head {}`)", r.run.head, r.run.head)?;
    if let Some(bytes) = r.run.torn_bytes {
        writeln!(
            w,
            "- Torn: {bytes} bytes after the last line, a line cut short by a crash, never confirmed and not part of this report (the next command that records sets it aside)"
        )?;
    }
    writeln!(w, "- Checklist sha256: `{}`", r.checklist.sha256)?;
    writeln!(w, "- Generated: {}", time(r.generated_at, zone))?;
    Ok(())
}
