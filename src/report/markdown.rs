//! The markdown report: headings, one table per stage, pastes cleanly into a ticket.

use std::io::{self, Write};

use jiff::tz::TimeZone;

use super::{Recorded, Report, key_date_passed, key_date_when, local_time, status_line};
use crate::progress::Status;

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

/// The reason, attestation, evidence and notes of a step, one table-cell line each.
fn record_cells(recorded: &Recorded<'_>, zone: &TimeZone) -> io::Result<Vec<String>> {
    let mut lines = Vec::new();
    if let Some(reason) = recorded.skip_reason {
        lines.push(format!("reason: {}", cell(reason)));
    }
    if let Some(account) = recorded.attested {
        lines.push(format!("attested: {}", cell(account)));
    }
    for (label, text, origin) in recorded.entries(zone)? {
        lines.push(match origin {
            Some(origin) => format!("{label}: {} ({})", cell(&text), cell(&origin)),
            None => format!("{label}: {}", cell(&text)),
        });
    }
    Ok(lines)
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
    let source = match &c.source.date {
        Some(date) => format!("{} — {}, {}", cell(&c.source.title), cell(&c.source.publisher), cell(date)),
        None => format!("{} — {}", cell(&c.source.title), cell(&c.source.publisher)),
    };
    writeln!(w, "| Source | {source} |")?;
    let started = r.run.started_at.map_or_else(|| "-".to_owned(), |at| local_time(at, zone));
    writeln!(w, "| Started | {started} by {} |", cell(&r.run.started_by))?;
    let completed = match r.run.completed_at {
        Some(at) if r.run.complete => local_time(at, zone),
        _ => "not yet".to_owned(),
    };
    writeln!(w, "| Completed | {completed} |")?;
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
                (Some(at), Some(by)) => format!("{} by {}", local_time(at, zone), cell(by)),
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
            if step.at.is_some() || step.by.is_some() {
                record.push(cell(&status_line(step, zone)));
            }
            if let Some(when) = step.when.as_ref().filter(|_| step.status == Status::NotApplicable) {
                // A code span keeps `!` and `_` as written; only a pipe needs its escape in a table.
                record.push(format!("needs `{}`", when.replace('|', "\\|")));
            }
            record.extend(record_cells(&step.recorded(), zone)?);
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
            let mut record = vec![cell(&step.status_line(zone))];
            record.extend(record_cells(&step.recorded(), zone)?);
            writeln!(w, "| {} | {} | {} |", cell(&step.id), step.status, record.join("<br>"))?;
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
                local_time(change.at, zone),
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
    writeln!(w, "- Last hash: `{}`", r.run.last_hash)?;
    writeln!(w, "- Checklist sha256: `{}`", r.checklist.sha256)?;
    writeln!(w, "- Generated: {} (`{}`)", local_time(r.generated_at, zone), r.generated_at)?;
    Ok(())
}
