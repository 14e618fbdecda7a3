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
use std::fmt::Write as _;
use std::io::{self, Write};
use std::sync::Arc;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Serialize;

use crate::checklist::{Actor, Checklist, FactKind, Step, StepKind, StepRef};
use crate::checks::{CheckRecord, CommandRecord, quote_line};
use crate::dates::{self, KeyDate};
use crate::progress::{Counts, Progress, Status};
use crate::session::ReadRun;
use crate::state::{CheckRef, CheckRun, EVENTS_FILE, Entry, LineAt, LogLines, RecordedStatus, StepRecord};
use crate::visible::VisibleWriter;
pub(crate) use crate::visible::{visible, visible_line};

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
    pub(crate) history: Vec<HistoryItem<'a>>,
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

/// Every recorded run of a step's checks, oldest first.
fn check_reports<'a>(run: &'a ReadRun, step: &str) -> Vec<CheckReport<'a>> {
    run.replay.checks.get(step).into_iter().flatten().filter_map(CheckReport::of).collect()
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

/// One note or piece of evidence of a step's history: the text, held or read back when it is
/// written out.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EntryText<'a> {
    entries: Entries<'a>,
    index: usize,
}

impl<'a> EntryText<'a> {
    pub(crate) fn text(self) -> io::Result<Cow<'a, str>> {
        Ok(match self.entries.get(self.index)? {
            Cow::Borrowed(entry) => Cow::Borrowed(entry.text.as_str()),
            Cow::Owned(entry) => Cow::Owned(entry.text),
        })
    }
}

impl Serialize for EntryText<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error as _;
        serializer.serialize_str(&self.text().map_err(S::Error::custom)?)
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
    pub(crate) history: Vec<HistoryItem<'a>>,
    pub(crate) checks: Vec<CheckReport<'a>>,
    pub(crate) confirmed_with_checks: &'a [CheckRef],
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
    pub(crate) by: &'a str,
    pub(crate) note: Option<EntryText<'a>>,
    pub(crate) evidence: Option<EntryText<'a>>,
    pub(crate) reason: Option<&'a str>,
    pub(crate) attested: Option<&'a str>,
    /// Who the step waits on (for `waiting`).
    pub(crate) on: Option<&'a str>,
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
            sources: source_infos(c),
        },
        run: RunInfo {
            started_at: replay.started_at,
            started_by: replay.started_by.clone(),
            completed_at: replay.completed_at,
            complete: progress.is_complete(),
            reopened_at: replay.reopened_at,
            zone: replay.zone.clone().unwrap_or_else(|| "UTC".to_owned()),
            operators: replay.operators.iter().map(ToString::to_string).collect(),
            last_activity: replay.last_at,
            state_file: run.dir.join(EVENTS_FILE).display().to_string(),
            events: run.end.count,
            last_hash: run.end.last_hash.clone(),
            head: format!("{}:{}", run.end.count, run.end.last_hash),
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

/// The checklist's sources: its `[[sources]]`, or its single `[source]`.
fn source_infos(c: &Checklist) -> Vec<SourceInfo> {
    let listed = c.sources.iter().map(|s| SourceInfo {
        id: Some(s.id.get_ref().clone()),
        title: s.title.clone(),
        publisher: s.publisher.clone(),
        url: s.url.clone(),
        date: s.read.clone(),
        reference: None,
    });
    let single = c.source.iter().map(|s| SourceInfo {
        id: None,
        title: s.title.clone(),
        publisher: s.publisher.clone(),
        url: s.url.clone(),
        date: s.date.clone(),
        reference: s.reference.clone(),
    });
    single.chain(listed).collect()
}

/// Every event recorded for a step, with its texts, in order.
fn history_items<'a>(run: &'a ReadRun, record: &'a StepRecord) -> Vec<HistoryItem<'a>> {
    let notes = Entries::of(run, Some(record), false);
    let evidence = Entries::of(run, Some(record), true);
    record
        .history
        .iter()
        .map(|h| HistoryItem {
            seq: h.seq,
            event: match h.what {
                RecordedStatus::Noted => "note",
                other => other.as_str(),
            },
            at: h.at,
            happened_at: h.happened_at,
            by: &h.by,
            note: h.note.map(|index| EntryText { entries: notes, index }),
            evidence: h.evidence.map(|index| EntryText { entries: evidence, index }),
            reason: h.reason.as_deref(),
            attested: h.attested.as_deref(),
            on: h.on.as_deref(),
        })
        .collect()
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
    let (at, happened_at, by) = match (status, record) {
        (Status::Done | Status::Skipped, Some(record)) => {
            (Some(record.at), record.happened_at, Some(record.by.clone()))
        }
        (Status::Waiting, Some(record)) => (record.waiting_since, None, Some(record.by.clone())),
        _ => (None, None, None),
    };
    StepReport {
        number: r.number(),
        id: step.id.get_ref().clone(),
        title: step.title.clone(),
        actor: step.actor,
        kind: step.kind,
        status,
        when: step.when.as_ref().map(|w| w.get_ref().clone()),
        sources: step.sources.iter().map(|s| s.get_ref().clone()).collect(),
        at,
        happened_at,
        by,
        skip_reason: record.filter(|_| status == Status::Skipped).and_then(|r| r.reason.clone()),
        attested: record.and_then(|r| r.attested.clone()),
        waiting_on: record.filter(|_| status == Status::Waiting).and_then(|r| r.waiting_on.clone()),
        notes: Entries::of(run, record, false),
        evidence: Entries::of(run, record, true),
        history: record.map(|r| history_items(run, r)).unwrap_or_default(),
        checks: check_reports(run, step.id.get_ref()),
        confirmed_with_checks: record.map(|r| r.confirmed_with.as_slice()).unwrap_or_default(),
    }
}

/// What was recorded for steps the checklist no longer lists, oldest first. A step of which only
/// checks were recorded is `checked`.
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
            history: history_items(run, record),
            checks: check_reports(run, id),
            confirmed_with_checks: &record.confirmed_with,
        })
        .collect();
    for (id, runs) in &run.replay.checks {
        if listed.contains(id.as_str()) || run.replay.steps.contains_key(id) {
            continue;
        }
        let Some(first) = runs.first() else { continue };
        unlisted.push(UnlistedStep {
            id: id.clone(),
            status: "checked",
            at: first.at,
            by: first.by.to_string(),
            skip_reason: None,
            attested: None,
            notes: Entries::Held(&[]),
            evidence: Entries::Held(&[]),
            history: Vec::new(),
            checks: check_reports(run, id),
            confirmed_with_checks: &[],
        });
    }
    unlisted.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
    unlisted
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

impl HistoryItem<'_> {
    /// `2026-11-24T14:02:11+01:00 done by ana (happened 2026-11-23T16:10:00+01:00)`.
    pub(crate) fn headline(&self, zone: &TimeZone) -> String {
        let happened = self.happened_at.map_or_else(String::new, |h| format!(" (happened {})", time(h, zone)));
        format!("{} {} by {}{happened}", time(self.at, zone), self.event, self.by)
    }

    /// What came with the event, labelled: `("reason", "…")`, `("note", "…")`… A note or
    /// evidence not held is read back from the log here, one event's at a time.
    pub(crate) fn details(&self) -> io::Result<Vec<(&'static str, String)>> {
        let mut details = Vec::new();
        details.extend(self.reason.map(|t| ("reason", t.to_owned())));
        details.extend(self.attested.map(|t| ("attested", format!("typed the account {t}"))));
        details.extend(self.on.map(|t| ("waiting on", t.to_owned())));
        if let Some(evidence) = self.evidence {
            details.push(("evidence", evidence.text()?.into_owned()));
        }
        if let Some(note) = self.note {
            details.push(("note", note.text()?.into_owned()));
        }
        Ok(details)
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
