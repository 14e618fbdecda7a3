//! The report: the checklist as recorded, for an audit or a ticket.
//!
//! [`build`] folds a run into a [`Report`]; the renderers only lay it out. The JSON form is the
//! `Report` struct itself through serde, so it carries exactly what the text and markdown show.
//! Its shape is versioned by [`SCHEMA_VERSION`] and described in the README.

mod build;
pub(crate) mod fleet;
mod markdown;
mod text;

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::sync::Arc;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Serialize;

use crate::checklist::{Actor, StepKind};
use crate::checks::{CheckRecord, CommandRecord, quote_line};
use crate::dates::KeyDate;
use crate::progress::{Counts, Status};
use crate::session::ReadRun;
use crate::state::{CheckRef, CheckRun, Entry, HistoryEntry, LineAt, LogLines, RecordedStatus, StepRecord};
use crate::visible::VisibleWriter;
pub(crate) use crate::visible::{visible, visible_line};

pub(crate) use self::build::build;

/// The version of the JSON report's shape; bumped when a field changes meaning or goes away.
pub(crate) const SCHEMA_VERSION: u32 = 2;

/// How a report is laid out (`--format`).
pub(crate) use crate::cli::ReportFormat as Format;

/// Everything a report shows.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Report<'a> {
    pub(crate) schema_version: u32,
    /// When the report was made.
    pub(crate) generated_at: Timestamp,
    pub(crate) provider: String,
    pub(crate) account: String,
    pub(crate) checklist: ChecklistInfo,
    pub(crate) run: RunInfo,
    pub(crate) counts: Counts,
    pub(crate) facts: Vec<FactReport>,
    pub(crate) stages: Vec<StageReport<'a>>,
    /// What was recorded for steps the checklist no longer lists (an accepted checklist change
    /// removed them), oldest first, so that nothing recorded drops out of the report.
    pub(crate) unlisted_steps: Vec<UnlistedStep<'a>>,
    /// Dated follow-ups first, by date; then the ones whose clock has not started. A follow-up
    /// counted from a step that was skipped or does not apply is left out: it never gets a date.
    pub(crate) key_dates: Vec<KeyDate>,
    /// Changed checklists the operator accepted during the run.
    pub(crate) checklist_changes: Vec<AcceptedChange>,
    /// Differences between the run's checklist and the current one, not yet accepted.
    pub(crate) pending_checklist_changes: Vec<String>,
}

/// The checklist the run is pinned to.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ChecklistInfo {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) version: u32,
    pub(crate) sha256: String,
    /// The documents the steps come from.
    pub(crate) sources: Vec<SourceInfo>,
}

/// A document the checklist was written from.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct SourceInfo {
    /// The id steps cite it by; `None` for a checklist with a single `[source]`.
    pub(crate) id: Option<String>,
    pub(crate) title: String,
    pub(crate) publisher: String,
    /// Its public address.
    pub(crate) url: Option<String>,
    /// The version or date read, as the checklist gives it.
    pub(crate) date: Option<String>,
    /// Any other reference the checklist gives (a ticket, a file name).
    pub(crate) reference: Option<String>,
}

/// The run as a whole.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct RunInfo {
    pub(crate) started_at: Option<Timestamp>,
    pub(crate) started_by: String,
    pub(crate) completed_at: Option<Timestamp>,
    pub(crate) complete: bool,
    /// When a complete run was last reopened (`--reopen`) to change an answer.
    pub(crate) reopened_at: Option<Timestamp>,
    /// The time zone key dates are counted in and times shown in: the operator's when the run
    /// began (`UTC` for runs from before it was recorded).
    pub(crate) zone: String,
    /// Everyone who recorded something, in order of first appearance.
    pub(crate) operators: Vec<String>,
    pub(crate) last_activity: Option<Timestamp>,
    pub(crate) state_file: String,
    pub(crate) events: u64,
    /// sha256 of the log's last line: quote it to pin the report to the record.
    pub(crate) last_hash: String,
    /// `EVENTS:LAST_HASH`, as `closeacct verify --head` takes it.
    pub(crate) head: String,
    /// Bytes after the last whole line: a line torn by a crash, never confirmed and not part of
    /// the record (the next command that records sets it aside); `null` when there are none.
    pub(crate) torn_bytes: Option<usize>,
}

/// A fact and its answer.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct FactReport {
    pub(crate) id: String,
    pub(crate) question: String,
    /// `yes`/`no` or the choice id; `None` when not answered.
    pub(crate) answer: Option<String>,
    /// The choice's label, for choice facts.
    pub(crate) answer_label: Option<String>,
    pub(crate) answered_at: Option<Timestamp>,
    pub(crate) answered_by: Option<String>,
    /// Earlier answers, oldest first, when the fact was answered more than once.
    pub(crate) earlier_answers: Vec<Entry>,
}

impl FactReport {
    /// The answer as the operator reads it: a choice's label, `yes`/`no`, or `not answered`.
    pub(crate) fn answer_text(&self) -> &str {
        self.answer_label.as_ref().or(self.answer.as_ref()).map_or("not answered", String::as_str)
    }
}

/// One stage.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct StageReport<'a> {
    pub(crate) number: usize,
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) steps: Vec<StepReport<'a>>,
}

/// One step and its record; notes and evidence are the run's own, not copies.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct StepReport<'a> {
    pub(crate) number: String,
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) actor: Actor,
    pub(crate) kind: StepKind,
    pub(crate) status: Status,
    pub(crate) when: Option<String>,
    /// The ids of the sources the step comes from.
    pub(crate) sources: Vec<String>,
    /// When the status was recorded (done, skipped) or the wait began.
    pub(crate) at: Option<Timestamp>,
    /// When it happened, when that was recorded afterwards (`--at`).
    pub(crate) happened_at: Option<Timestamp>,
    pub(crate) by: Option<String>,
    pub(crate) skip_reason: Option<String>,
    /// The account typed to confirm an irreversible step.
    pub(crate) attested: Option<String>,
    /// Who a waiting step waits on, as last recorded.
    pub(crate) waiting_on: Option<String>,
    pub(crate) notes: Entries<'a>,
    pub(crate) evidence: Entries<'a>,
    /// Every event recorded for the step, in order.
    pub(crate) history: History<'a>,
    /// Every run of the step's checks, oldest first.
    pub(crate) checks: Vec<CheckReport<'a>>,
    /// The check runs the step was confirmed with (`confirm --with-check`).
    pub(crate) confirmed_with_checks: &'a [CheckRef],
}

/// One run of one of a step's checks: when, who, and everything it found (the record's fields,
/// flattened).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CheckReport<'a> {
    /// The `check_ran` line's sequence number.
    pub(crate) seq: u64,
    /// Which of the step's checks: 1 for the first.
    pub(crate) check: u32,
    pub(crate) at: Timestamp,
    pub(crate) by: &'a str,
    /// sha256 of the `check_ran` line, as `verify` and the next line's `prev` have it.
    pub(crate) sha256: Option<&'a str>,
    /// What did not pass, item by item (`eu-west-1: i-0abc, i-0def`); empty when it passed.
    pub(crate) failures: Vec<String>,
    #[serde(flatten)]
    pub(crate) result: &'a CheckRecord,
}

impl<'a> CheckReport<'a> {
    /// The report of one recorded run; `None` for a run replayed without its result.
    pub(crate) fn of(run: &'a CheckRun) -> Option<CheckReport<'a>> {
        let result = run.result.as_deref()?;
        Some(CheckReport {
            seq: run.seq,
            check: run.check,
            at: run.at,
            by: &run.by,
            sha256: run.line_sha256.as_deref(),
            failures: result.failures(),
            result,
        })
    }

    /// Each command as it ran, in order (the `foreach` command first): its shell line, the
    /// `foreach` word it ran for, and its record.
    pub(crate) fn commands(&self) -> Vec<(String, Option<&'a str>, &'a CommandRecord)> {
        let result = self.result;
        let foreach = result.foreach.iter().map(|f| (quote_line(f.command.argv.iter()), None, &f.command));
        let items = result.items.iter().map(|i| (quote_line(i.command.argv.iter()), i.item.as_deref(), &i.command));
        foreach.chain(items).collect()
    }

    /// `passed` or `failed`.
    pub(crate) fn outcome(&self) -> &'static str {
        if self.result.passed { "passed" } else { "failed" }
    }
}

/// `exit 0 · 0.4 s · stdout 29 bytes, sha256 …`: how a command ended and what it printed.
pub(crate) fn command_outcome(command: &CommandRecord) -> String {
    let ended = match (command.exit_code, command.signal) {
        _ if command.timed_out => "timed out, killed".to_owned(),
        (Some(code), _) => format!("exit {code}"),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        (None, None) => "no exit status".to_owned(),
    };
    let mut line = format!(
        "{ended} · {}.{} s · stdout {} bytes, sha256 {} · stderr {} bytes",
        command.duration_ms / 1000,
        command.duration_ms % 1000 / 100,
        command.stdout_bytes,
        command.stdout_sha256,
        command.stderr_bytes
    );
    if command.excerpts_truncated {
        line.push_str(" · excerpt shortened");
    }
    if command.output_open {
        line.push_str(" · output left open");
    }
    line
}

/// A step's notes or its evidence: held by the replay, or read back from the log by place, one at
/// a time, as the report is written (a run replayed with `Detail::Lines`).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Entries<'a> {
    Held(&'a [Entry]),
    Lines { lines: &'a [LineAt], log: &'a LogLines, evidence: bool, operators: &'a [Arc<str>] },
}

impl<'a> Entries<'a> {
    /// The notes (or, with `evidence`, the evidence) of a step's record in a run.
    fn of(run: &'a ReadRun, record: Option<&'a StepRecord>, evidence: bool) -> Entries<'a> {
        match (record, &run.lines) {
            (Some(record), Some(log)) => {
                let lines = if evidence { &record.evidence_lines } else { &record.note_lines };
                Entries::Lines { lines, log, evidence, operators: &run.replay.operators }
            }
            (Some(record), None) => Entries::Held(if evidence { &record.evidence } else { &record.notes }),
            (None, _) => Entries::Held(&[]),
        }
    }

    /// The entry at `index`, read back from the log if it is not held.
    pub(crate) fn get(self, index: usize) -> io::Result<Cow<'a, Entry>> {
        match self {
            Entries::Held(entries) => Ok(Cow::Borrowed(&entries[index])),
            Entries::Lines { lines, log, evidence, operators } => {
                log.entry(lines[index], evidence, operators).map(Cow::Owned)
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            Entries::Held(entries) => entries.len(),
            Entries::Lines { lines, .. } => lines.len(),
        }
    }

    /// Each entry in order, read back from the log as it is reached.
    pub(crate) fn iter(self) -> impl Iterator<Item = io::Result<Cow<'a, Entry>>> + 'a {
        (0..self.len()).map(move |i| self.get(i))
    }
}

impl Serialize for Entries<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error as _, SerializeSeq as _};
        let mut seq = serializer.serialize_seq(Some(self.len()))?;
        for entry in self.iter() {
            seq.serialize_element(&*entry.map_err(S::Error::custom)?)?;
        }
        seq.end()
    }
}

/// The record of a step the run's checklist no longer lists.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct UnlistedStep<'a> {
    pub(crate) id: String,
    /// `done`, `skipped`, `waiting`, or `noted` (only notes were recorded).
    pub(crate) status: &'static str,
    /// When that status was reached (for `noted`, the first note).
    pub(crate) at: Timestamp,
    pub(crate) by: String,
    pub(crate) skip_reason: Option<String>,
    pub(crate) attested: Option<String>,
    pub(crate) notes: Entries<'a>,
    pub(crate) evidence: Entries<'a>,
    pub(crate) history: History<'a>,
    pub(crate) checks: Vec<CheckReport<'a>>,
    pub(crate) confirmed_with_checks: &'a [CheckRef],
}

/// Every event recorded for a step, in order: held by the replay, or read back from the log by
/// place, one at a time, as the report is written (a run replayed with `Detail::Lines`), so a long
/// run's report does not hold its whole history.
#[derive(Debug, Clone, Copy)]
pub(crate) enum History<'a> {
    Held { entries: &'a [HistoryEntry], notes: &'a [Entry], evidence: &'a [Entry] },
    Lines { lines: &'a [LineAt], log: &'a LogLines, operators: &'a [Arc<str>] },
}

impl<'a> History<'a> {
    /// The history of a step's record in a run.
    fn of(run: &'a ReadRun, record: &'a StepRecord) -> History<'a> {
        match &run.lines {
            Some(log) => History::Lines { lines: &record.history_lines, log, operators: &run.replay.operators },
            None => History::Held { entries: &record.history, notes: &record.notes, evidence: &record.evidence },
        }
    }

    /// No history: a step of which nothing but checks was recorded.
    fn none() -> History<'a> {
        History::Held { entries: &[], notes: &[], evidence: &[] }
    }

    fn len(&self) -> usize {
        match self {
            History::Held { entries, .. } => entries.len(),
            History::Lines { lines, .. } => lines.len(),
        }
    }

    /// Each event in order, read back from the log as it is reached.
    pub(crate) fn items(self) -> impl Iterator<Item = io::Result<HistoryItem<'a>>> + 'a {
        (0..self.len()).map(move |i| match self {
            History::Held { entries, notes, evidence } => {
                let h = &entries[i];
                Ok(HistoryItem::of(h, |index| &notes[index].text, |index| &evidence[index].text))
            }
            History::Lines { lines, log, operators } => {
                let read = log.history(lines[i], operators)?;
                let h = read.entry;
                Ok(HistoryItem {
                    seq: h.seq,
                    event: event_word(h.what),
                    at: h.at,
                    happened_at: h.happened_at,
                    by: h.by,
                    note: read.note.map(Cow::Owned),
                    evidence: read.evidence.map(Cow::Owned),
                    reason: h.reason.map(Cow::Owned),
                    attested: h.attested.map(Cow::Owned),
                    on: h.on.map(Cow::Owned),
                })
            }
        })
    }
}

impl Serialize for History<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error as _, SerializeSeq as _};
        let mut seq = serializer.serialize_seq(Some(self.len()))?;
        for item in self.items() {
            seq.serialize_element(&item.map_err(S::Error::custom)?)?;
        }
        seq.end()
    }
}

/// The word for an event of a step's history: `done`, `skipped`, `waiting` or `note`.
fn event_word(what: RecordedStatus) -> &'static str {
    match what {
        RecordedStatus::Noted => "note",
        other => other.as_str(),
    }
}

/// One event recorded for a step.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct HistoryItem<'a> {
    pub(crate) seq: u64,
    /// `done`, `skipped`, `waiting` or `note`.
    pub(crate) event: &'static str,
    /// When it was recorded.
    pub(crate) at: Timestamp,
    /// When it happened, if recorded afterwards (`--at`).
    pub(crate) happened_at: Option<Timestamp>,
    /// The run's own copy of the operator's name, shared (`LogLines` finds it when it reads a
    /// line back).
    pub(crate) by: Arc<str>,
    pub(crate) note: Option<Cow<'a, str>>,
    pub(crate) evidence: Option<Cow<'a, str>>,
    pub(crate) reason: Option<Cow<'a, str>>,
    pub(crate) attested: Option<Cow<'a, str>>,
    /// Who the step waits on (for `waiting`).
    pub(crate) on: Option<Cow<'a, str>>,
}

/// A changed checklist accepted during the run.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct AcceptedChange {
    pub(crate) at: Timestamp,
    pub(crate) by: String,
    pub(crate) changes: Vec<String>,
}

/// Writes a report in a format; local times are shown in `zone`.
pub(crate) fn render(report: &Report<'_>, format: Format, zone: &TimeZone, w: &mut impl Write) -> io::Result<()> {
    match format {
        Format::Text => text::render(report, zone, &mut VisibleWriter::new(w)),
        Format::Markdown => markdown::render(report, zone, &mut VisibleWriter::new(w)),
        Format::Json => {
            serde_json::to_writer_pretty(&mut *w, report)?;
            writeln!(w)
        }
    }
}

/// `2026-11-24T14:02:11+01:00`: a time in full, RFC 3339 with its offset, in the run's zone.
pub(crate) fn time(at: Timestamp, zone: &TimeZone) -> String {
    at.to_zoned_datetime(zone.clone()).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

impl<'a> HistoryItem<'a> {
    /// The item of a history entry held by the replay, its texts found by `note` and `evidence`
    /// (by their index among the step's notes and evidence).
    fn of(
        h: &'a HistoryEntry,
        note: impl Fn(usize) -> &'a str,
        evidence: impl Fn(usize) -> &'a str,
    ) -> HistoryItem<'a> {
        HistoryItem {
            seq: h.seq,
            event: event_word(h.what),
            at: h.at,
            happened_at: h.happened_at,
            by: Arc::clone(&h.by),
            note: h.note.map(|index| Cow::Borrowed(note(index))),
            evidence: h.evidence.map(|index| Cow::Borrowed(evidence(index))),
            reason: h.reason.as_deref().map(Cow::Borrowed),
            attested: h.attested.as_deref().map(Cow::Borrowed),
            on: h.on.as_deref().map(Cow::Borrowed),
        }
    }

    /// `2026-11-24T14:02:11+01:00 done by ana (happened 2026-11-23T16:10:00+01:00)`.
    pub(crate) fn headline(&self, zone: &TimeZone) -> String {
        let happened = self.happened_at.map_or_else(String::new, |h| format!(" (happened {})", time(h, zone)));
        format!("{} {} by {}{happened}", time(self.at, zone), self.event, self.by)
    }

    /// What came with the event, labelled: `("reason", "…")`, `("note", "…")`…
    pub(crate) fn details(&self) -> Vec<(&'static str, String)> {
        let mut details = Vec::new();
        details.extend(self.reason.as_deref().map(|t| ("reason", t.to_owned())));
        details.extend(self.attested.as_deref().map(|t| ("attested", format!("typed the account {t}"))));
        details.extend(self.on.as_deref().map(|t| ("waiting on", t.to_owned())));
        details.extend(self.evidence.as_deref().map(|t| ("evidence", t.to_owned())));
        details.extend(self.note.as_deref().map(|t| ("note", t.to_owned())));
        details
    }
}

/// The header line of a source: `Title — Publisher, date <url>`.
pub(crate) fn source_line(source: &SourceInfo) -> String {
    let mut line = format!("{} — {}", source.title, source.publisher);
    if let Some(date) = &source.date {
        let _ = write!(line, ", {date}");
    }
    if let Some(url) = &source.url {
        let _ = write!(line, " <{url}>");
    }
    if let Some(id) = &source.id {
        line = format!("[{id}] {line}");
    }
    line
}

/// The step a key date belongs to.
fn key_date_step<'r>(report: &'r Report<'_>, date: &KeyDate) -> Option<&'r StepReport<'r>> {
    report.stages.iter().flat_map(|stage| &stage.steps).find(|step| step.id == date.step)
}

/// ` (passed)`, or ` (passed, still open)` when the step it belongs to is not resolved: the
/// reminder is due.
pub(crate) fn key_date_passed(report: &Report<'_>, date: &KeyDate) -> &'static str {
    let open = key_date_step(report, date).is_some_and(|s| matches!(s.status, Status::Pending | Status::Waiting));
    match (date.passed, open) {
        (false, _) => "",
        (true, false) => " (passed)",
        (true, true) => " (passed, still open)",
    }
}

/// How a key date reads: its date, or what starts its clock.
pub(crate) fn key_date_when(date: &KeyDate, zone: &TimeZone) -> String {
    match (date.date, &date.after) {
        (Some(at), _) => time(at, zone),
        (None, Some(after)) => format!("{after} after step {} is done", date.from_step),
        (None, None) => "no fixed date".to_owned(),
    }
}

/// `confirmed with its checks: seq 14 (line sha256 …), seq 15 (…)`, when the step was.
pub(crate) fn confirmed_with_line(checks: &[CheckRef]) -> Option<String> {
    if checks.is_empty() {
        return None;
    }
    let refs: Vec<String> = checks.iter().map(|c| format!("seq {} (line sha256 {})", c.seq, c.sha256)).collect();
    Some(format!("confirmed with its checks: {}", refs.join(", ")))
}
