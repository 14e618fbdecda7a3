//! The report: the checklist as recorded, for an audit or a ticket.
//!
//! [`build`] folds a run into a [`Report`]; the renderers only lay it out. The JSON form is the
//! `Report` struct itself through serde, so it carries exactly what the text and markdown show.
//! Its shape is versioned by [`SCHEMA_VERSION`] and described in the README.

pub(crate) mod fleet;
mod markdown;
mod text;

use std::borrow::Cow;
use std::collections::HashSet;
use std::io::{self, Write};
use std::sync::Arc;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Serialize;

use crate::checklist::{Actor, FactKind, Step, StepKind, StepRef};
use crate::dates::{self, KeyDate};
use crate::progress::{Counts, Progress, Status};
use crate::session::ReadRun;
use crate::state::{EVENTS_FILE, Entry, LineAt, LogLines, StepRecord};

/// The version of the JSON report's shape; bumped when a field changes meaning or goes away.
pub(crate) const SCHEMA_VERSION: u32 = 1;

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
    pub(crate) source: SourceInfo,
}

/// The document the checklist was written from.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct SourceInfo {
    pub(crate) title: String,
    pub(crate) publisher: String,
    pub(crate) date: Option<String>,
    pub(crate) reference: Option<String>,
}

/// The run as a whole.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct RunInfo {
    pub(crate) started_at: Option<Timestamp>,
    pub(crate) started_by: String,
    pub(crate) completed_at: Option<Timestamp>,
    pub(crate) complete: bool,
    /// Everyone who recorded something, in order of first appearance.
    pub(crate) operators: Vec<String>,
    pub(crate) last_activity: Option<Timestamp>,
    pub(crate) state_file: String,
    pub(crate) events: u64,
    /// sha256 of the log's last line: quote it to pin the report to the record.
    pub(crate) last_hash: String,
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
    /// When the status was reached (done, skipped) or the wait began.
    pub(crate) at: Option<Timestamp>,
    pub(crate) by: Option<String>,
    pub(crate) skip_reason: Option<String>,
    /// The account typed to confirm an irreversible step.
    pub(crate) attested: Option<String>,
    pub(crate) notes: Entries<'a>,
    pub(crate) evidence: Entries<'a>,
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

    pub(crate) fn len(&self) -> usize {
        match self {
            Entries::Held(entries) => entries.len(),
            Entries::Lines { lines, .. } => lines.len(),
        }
    }

    /// Each entry in order, read back from the log as it is reached.
    pub(crate) fn iter(self) -> impl Iterator<Item = io::Result<Cow<'a, Entry>>> + 'a {
        (0..self.len()).map(move |i| match self {
            Entries::Held(entries) => Ok(Cow::Borrowed(&entries[i])),
            Entries::Lines { lines, log, evidence, operators } => {
                log.entry(lines[i], evidence, operators).map(Cow::Owned)
            }
        })
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
}

/// A changed checklist accepted during the run.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct AcceptedChange {
    pub(crate) at: Timestamp,
    pub(crate) by: String,
    pub(crate) changes: Vec<String>,
}

/// Builds the report of a run at `now`; dates are computed in `zone`.
pub(crate) fn build<'a>(run: &'a ReadRun, now: Timestamp, zone: &TimeZone) -> Report<'a> {
    let checklist = &run.checklist;
    let c = &checklist.checklist;
    let replay = &run.replay;
    let progress = Progress::new(checklist, replay);
    Report {
        schema_version: SCHEMA_VERSION,
        generated_at: now,
        provider: run.provider.clone(),
        account: run.account.clone(),
        checklist: ChecklistInfo {
            id: checklist.id().to_owned(),
            name: c.name.clone(),
            version: c.version,
            sha256: checklist.sha256.clone(),
            source: {
                let source = c.source_summary().into_owned();
                SourceInfo {
                    title: source.title,
                    publisher: source.publisher,
                    date: source.date,
                    reference: source.reference,
                }
            },
        },
        run: RunInfo {
            started_at: replay.started_at,
            started_by: replay.started_by.clone(),
            completed_at: replay.completed_at,
            complete: progress.is_complete(),
            operators: replay.operators.iter().map(ToString::to_string).collect(),
            last_activity: replay.last_at,
            state_file: run.dir.join(EVENTS_FILE).display().to_string(),
            events: run.end.count,
            last_hash: run.end.last_hash.clone(),
        },
        counts: progress.counts(),
        facts: fact_reports(run),
        stages: stage_reports(run, &progress),
        unlisted_steps: unlisted_steps(run),
        key_dates: dates::key_dates(checklist, replay, now, zone),
        checklist_changes: replay
            .accepted_changes
            .iter()
            .map(|(at, by, changes)| AcceptedChange { at: *at, by: by.clone(), changes: changes.clone() })
            .collect(),
        pending_checklist_changes: run.pending_changes.clone(),
    }
}

/// Every fact with its latest answer and the earlier ones.
fn fact_reports(run: &ReadRun) -> Vec<FactReport> {
    let replay = &run.replay;
    run.checklist
        .checklist
        .facts
        .iter()
        .map(|fact| {
            let id = fact.id.get_ref();
            let mut history: Vec<Entry> = replay
                .fact_history
                .iter()
                .filter(|(f, ..)| f == id)
                .map(|(_, value, at, by)| Entry { at: *at, by: by.as_str().into(), text: value.clone() })
                .collect();
            let latest = history.pop();
            let answer_label = match (fact.kind, &latest) {
                (FactKind::Choice, Some(latest)) => fact
                    .choices
                    .iter()
                    .find(|choice| *choice.id.get_ref() == latest.text)
                    .map(|choice| choice.label.clone()),
                _ => None,
            };
            FactReport {
                id: id.clone(),
                question: fact.question.replace("{account}", &run.account),
                answer: latest.as_ref().map(|e| e.text.clone()),
                answer_label,
                answered_at: latest.as_ref().map(|e| e.at),
                answered_by: latest.map(|e| e.by.to_string()),
                earlier_answers: history,
            }
        })
        .collect()
}

/// Every stage, with each of its steps and what was recorded for it.
fn stage_reports<'a>(run: &'a ReadRun, progress: &Progress<'_>) -> Vec<StageReport<'a>> {
    let checklist = &run.checklist;
    checklist
        .checklist
        .stages
        .iter()
        .enumerate()
        .map(|(s, stage)| StageReport {
            number: s + 1,
            id: stage.id.get_ref().clone(),
            title: stage.title.clone(),
            steps: checklist
                .steps()
                .filter(|(r, _)| r.stage == s)
                .map(|(r, step)| step_report(run, progress, r, step))
                .collect(),
        })
        .collect()
}

fn step_report<'a>(run: &'a ReadRun, progress: &Progress<'_>, r: StepRef, step: &Step) -> StepReport<'a> {
    let record = run.replay.steps.get(step.id.get_ref());
    let status = progress.status(step);
    let (at, by) = match (status, record) {
        (Status::Done | Status::Skipped, Some(record)) => (Some(record.at), Some(record.by.clone())),
        (Status::Waiting, Some(record)) => (record.waiting_since, Some(record.by.clone())),
        _ => (None, None),
    };
    StepReport {
        number: r.number(),
        id: step.id.get_ref().clone(),
        title: step.title.clone(),
        actor: step.actor,
        kind: step.kind,
        status,
        when: step.when.as_ref().map(|w| w.get_ref().clone()),
        at,
        by,
        skip_reason: record.filter(|_| status == Status::Skipped).and_then(|r| r.reason.clone()),
        attested: record.and_then(|r| r.attested.clone()),
        notes: Entries::of(run, record, false),
        evidence: Entries::of(run, record, true),
    }
}

/// What was recorded for steps the checklist no longer lists, oldest first.
fn unlisted_steps(run: &ReadRun) -> Vec<UnlistedStep<'_>> {
    let listed: HashSet<&str> = run.checklist.steps().map(|(_, step)| step.id.get_ref().as_str()).collect();
    let mut unlisted: Vec<UnlistedStep<'_>> = run
        .replay
        .steps
        .iter()
        .filter(|(id, _)| !listed.contains(id.as_str()))
        .map(|(id, record)| UnlistedStep {
            id: id.clone(),
            status: record.status.as_str(),
            at: record.at,
            by: record.by.clone(),
            skip_reason: record.reason.clone(),
            attested: record.attested.clone(),
            notes: Entries::of(run, Some(record), false),
            evidence: Entries::of(run, Some(record), true),
        })
        .collect();
    unlisted.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
    unlisted
}

/// Writes a report in a format; local times are shown in `zone`.
pub(crate) fn render(report: &Report<'_>, format: Format, zone: &TimeZone, w: &mut impl Write) -> io::Result<()> {
    match format {
        Format::Text => text::render(report, zone, w),
        Format::Markdown => markdown::render(report, zone, w),
        Format::Json => {
            serde_json::to_writer_pretty(&mut *w, report)?;
            writeln!(w)
        }
    }
}

/// `2026-11-24 14:02 UTC`: a time as the operator reads it.
pub(crate) fn local_time(at: Timestamp, zone: &TimeZone) -> String {
    at.to_zoned_datetime(zone.clone()).strftime("%Y-%m-%d %H:%M %Z").to_string()
}

/// `done 2026-11-24 14:02 UTC by ana`, `waiting since … by …`, or the status alone.
pub(crate) fn status_line(step: &StepReport<'_>, zone: &TimeZone) -> String {
    let mut line = step.status.as_str().to_owned();
    if let Some(at) = step.at {
        let since = if step.status == Status::Waiting { " since" } else { "" };
        line = format!("{line}{since} {}", local_time(at, zone));
    }
    if let Some(by) = &step.by {
        line = format!("{line} by {by}");
    }
    line
}

/// What the renderers show under a step, listed or not: reason, attestation, evidence, notes.
pub(crate) struct Recorded<'r> {
    pub(crate) at: Option<Timestamp>,
    pub(crate) by: Option<&'r str>,
    pub(crate) skip_reason: Option<&'r str>,
    pub(crate) attested: Option<&'r str>,
    pub(crate) evidence: Entries<'r>,
    pub(crate) notes: Entries<'r>,
}

impl StepReport<'_> {
    pub(crate) fn recorded(&self) -> Recorded<'_> {
        Recorded {
            at: self.at,
            by: self.by.as_deref(),
            skip_reason: self.skip_reason.as_deref(),
            attested: self.attested.as_deref(),
            evidence: self.evidence,
            notes: self.notes,
        }
    }
}

impl UnlistedStep<'_> {
    /// `done 2026-11-24 14:02 UTC by ana`.
    pub(crate) fn status_line(&self, zone: &TimeZone) -> String {
        format!("{} {} by {}", self.status, local_time(self.at, zone), self.by)
    }

    pub(crate) fn recorded(&self) -> Recorded<'_> {
        Recorded {
            at: Some(self.at),
            by: Some(&self.by),
            skip_reason: self.skip_reason.as_deref(),
            attested: self.attested.as_deref(),
            evidence: self.evidence,
            notes: self.notes,
        }
    }
}

impl Recorded<'_> {
    /// Evidence then notes, each labelled, with where it came from when that differs from the
    /// status line (see [`entry_origin`]). Entries read back from the log are read here, one
    /// step's at a time.
    pub(crate) fn entries(&self, zone: &TimeZone) -> io::Result<Vec<(&'static str, String, Option<String>)>> {
        [("evidence", self.evidence), ("note", self.notes)]
            .into_iter()
            .flat_map(|(label, entries)| entries.iter().map(move |entry| (label, entry)))
            .map(|(label, entry)| {
                let entry = entry?;
                let origin = entry_origin(&entry, self.at, self.by, zone);
                Ok((label, entry.into_owned().text, origin))
            })
            .collect()
    }
}

/// `(2026-11-24 14:02 UTC by bo)` after a note or evidence, or `None` when it was recorded with
/// the step's status (same time `at`, same operator `by`), which the status line already shows.
fn entry_origin(entry: &Entry, at: Option<Timestamp>, by: Option<&str>, zone: &TimeZone) -> Option<String> {
    let same = at == Some(entry.at) && by == Some(&*entry.by);
    (!same).then(|| format!("{} by {}", local_time(entry.at, zone), entry.by))
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
        (Some(at), _) => local_time(at, zone),
        (None, Some(after)) => format!("{after} after step {} is done", date.from_step),
        (None, None) => "no fixed date".to_owned(),
    }
}
