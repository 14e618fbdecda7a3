//! The plain-text report, laid out for an 80-column terminal.

use std::io::{self, Write};

use jiff::tz::TimeZone;

use super::{Recorded, Report, key_date_passed, key_date_when, local_time, status_line};
use crate::layout::{REPORT_WIDTH, fill, fill_hanging};

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

/// A labelled text whose continuation lines line up under the first.
fn labelled(w: &mut dyn Write, indent: &str, label: &str, text: &str) -> io::Result<()> {
    wrapped_hanging(w, &format!("{indent}{label}: "), text)
}

/// The reason, attestation, evidence and notes under a step.
fn record_lines(w: &mut dyn Write, detail: &str, recorded: &Recorded<'_>, zone: &TimeZone) -> io::Result<()> {
    if let Some(reason) = recorded.skip_reason {
        labelled(w, detail, "reason", reason)?;
    }
    if let Some(account) = recorded.attested {
        writeln!(w, "{detail}attested by typing the account {account}")?;
    }
    for (label, text, origin) in recorded.entries(zone)? {
        match origin {
            Some(origin) => labelled(w, detail, label, &format!("{text} ({origin})"))?,
            None => labelled(w, detail, label, &text)?,
        }
    }
    Ok(())
}

pub(super) fn render(r: &Report<'_>, zone: &TimeZone, w: &mut dyn Write) -> io::Result<()> {
    let c = &r.checklist;
    writeln!(w, "closeacct report · {}", c.name)?;
    writeln!(w, "{}", "=".repeat(REPORT_WIDTH.min(19 + c.name.chars().count())))?;
    writeln!(w, "Provider     {}", r.provider)?;
    writeln!(w, "Account      {}", r.account)?;
    writeln!(w, "Checklist    {} v{}", c.id, c.version)?;
    let source = match &c.source.date {
        Some(date) => format!("{} — {}, {date}", c.source.title, c.source.publisher),
        None => format!("{} — {}", c.source.title, c.source.publisher),
    };
    wrapped_hanging(w, "Source       ", &source)?;
    let started = r.run.started_at.map_or_else(|| "-".to_owned(), |at| local_time(at, zone));
    writeln!(w, "Started      {started} by {}", r.run.started_by)?;
    match r.run.completed_at {
        Some(at) if r.run.complete => writeln!(w, "Completed    {}", local_time(at, zone))?,
        _ => writeln!(w, "Completed    not yet")?,
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
    writeln!(w, "             {} not applicable", n.not_applicable)?;

    if !r.facts.is_empty() {
        writeln!(w, "\nFacts")?;
        for fact in &r.facts {
            wrapped(w, "  ", &format!("{} — {}", fact.question, fact.answer_text()))?;
            if let (Some(at), Some(by)) = (fact.answered_at, &fact.answered_by) {
                writeln!(w, "    {} · answered {} by {by}", fact.id, local_time(at, zone))?;
            }
            for earlier in &fact.earlier_answers {
                writeln!(w, "    earlier: {} ({} by {})", earlier.text, local_time(earlier.at, zone), earlier.by)?;
            }
        }
    }

    for stage in &r.stages {
        writeln!(w, "\nStage {}/{} · {}", stage.number, r.stages.len(), stage.title)?;
        for step in &stage.steps {
            // A long title wraps under itself, not under the step number.
            wrapped_hanging(w, &format!("  {:<5} [{}] ", step.number, step.status.as_str()), &step.title)?;
            let detail = "        ";
            writeln!(w, "{detail}{} · {} · {}", step.id, step.actor, step.kind)?;
            if step.status != crate::progress::Status::Pending {
                let line = match &step.when {
                    Some(when) if step.status == crate::progress::Status::NotApplicable => {
                        format!("{} (needs {when})", status_line(step, zone))
                    }
                    _ => status_line(step, zone),
                };
                wrapped_hanging(w, detail, &line)?;
            }
            record_lines(w, detail, &step.recorded(), zone)?;
        }
    }

    if !r.unlisted_steps.is_empty() {
        writeln!(w, "\nRecorded for steps no longer in the checklist")?;
        for step in &r.unlisted_steps {
            writeln!(w, "  {} [{}]", step.id, step.status)?;
            let detail = "        ";
            wrapped_hanging(w, detail, &step.status_line(zone))?;
            record_lines(w, detail, &step.recorded(), zone)?;
        }
    }

    if !r.key_dates.is_empty() {
        writeln!(w, "\nKey dates")?;
        for date in &r.key_dates {
            let passed = key_date_passed(r, date);
            wrapped_hanging(w, "  ", &format!("{}{passed} · step {}", key_date_when(date, zone), date.step_number))?;
            wrapped(w, "    ", &date.text)?;
        }
    }

    if !r.checklist_changes.is_empty() || !r.pending_checklist_changes.is_empty() {
        writeln!(w, "\nChecklist changes")?;
        for change in &r.checklist_changes {
            writeln!(w, "  accepted {} by {}:", local_time(change.at, zone), change.by)?;
            for line in &change.changes {
                wrapped(w, "    ", line)?;
            }
        }
        for line in &r.pending_checklist_changes {
            wrapped(w, "  not yet accepted: ", line)?;
        }
    }

    writeln!(w, "\nRecord")?;
    writeln!(w, "  State file   {}", r.run.state_file)?;
    writeln!(w, "  Events       {}", r.run.events)?;
    writeln!(w, "  Last hash    {}", r.run.last_hash)?;
    writeln!(w, "  Checklist    sha256 {}", c.sha256)?;
    writeln!(w, "  Generated    {} ({})", local_time(r.generated_at, zone), r.generated_at)?;
    Ok(())
}
