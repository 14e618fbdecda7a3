//! Replay: a run's log folded into what it says (the facts, each step's record, the log's head).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use jiff::Timestamp;
use serde::Serialize;

use super::EVENTS_FILE;
use super::event::{Event, EventKind, own};
use super::log::{LineAt, LogEnd, read_log_at};
use crate::error::Result;

/// How much of a run a replay keeps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Detail {
    /// Every note and piece of evidence too: what a report shows.
    #[default]
    Full,
    /// Statuses, facts and times, without notes and evidence: what `status`, `verify` and the
    /// wizard use. A long run replays in less time and memory.
    Summary,
    /// What `Summary` keeps, and where in the log each note and piece of evidence is, not its
    /// text: a report of a long run reads them back a step at a time (`LogLines`), so its memory
    /// does not grow with everything ever noted.
    Lines,
}

/// What a run's log says, folded: the facts, each step's record, and the log's head.
#[derive(Debug, Clone, Default)]
pub struct Replay {
    /// Whether notes and evidence are kept (`Full`) or only counted as activity (`Summary`).
    pub detail: Detail,
    pub provider: String,
    pub account: String,
    pub started_at: Option<Timestamp>,
    pub started_by: String,
    /// Everyone who recorded something, in order of first appearance; entries share these names.
    pub operators: Vec<Arc<str>>,
    /// The checklist the run is pinned to: the one it started with or the last accepted.
    pub checklist_sha256: String,
    /// Latest answer per fact.
    pub facts: BTreeMap<String, String>,
    /// Every answer per fact, in order (for the record).
    pub fact_history: Vec<(String, String, Timestamp, String)>,
    pub steps: HashMap<String, StepRecord>,
    pub accepted_changes: Vec<(Timestamp, String, Vec<String>)>,
    pub completed_at: Option<Timestamp>,
    pub last_at: Option<Timestamp>,
    pub last_step: Option<String>,
    pub events: u64,
}

/// Everything recorded about one step.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRecord {
    pub status: RecordedStatus,
    /// When the current status was first reached (the first `done`, the skip...).
    pub at: Timestamp,
    pub by: String,
    /// Empty when replayed with [`Detail::Summary`].
    pub notes: Vec<Entry>,
    /// Empty when replayed with [`Detail::Summary`].
    pub evidence: Vec<Entry>,
    pub reason: Option<String>,
    pub attested: Option<String>,
    pub waiting_since: Option<Timestamp>,
    /// Where the notes and the evidence are in the log, with [`Detail::Lines`] (else empty).
    pub note_lines: Vec<LineAt>,
    pub evidence_lines: Vec<LineAt>,
}

/// A note or a piece of evidence, with when and by whom.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    pub at: Timestamp,
    pub by: Arc<str>,
    pub text: String,
}

/// The status a step has in the log (applicability is decided against the checklist later).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordedStatus {
    Done,
    Skipped,
    Waiting,
    /// Only notes so far.
    Noted,
}

impl RecordedStatus {
    /// The word for it in reports.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RecordedStatus::Done => "done",
            RecordedStatus::Skipped => "skipped",
            RecordedStatus::Waiting => "waiting",
            RecordedStatus::Noted => "noted",
        }
    }
}

impl Replay {
    /// Folds one event into the state.
    pub fn apply<S: AsRef<str>>(&mut self, event: &Event<S>) {
        self.apply_at(event, None);
    }

    /// Folds one event read from the log at `line` into the state.
    pub(crate) fn apply_at<S: AsRef<str>>(&mut self, event: &Event<S>, line: Option<LineAt>) {
        fn set(target: &mut String, value: &impl AsRef<str>) {
            target.clear();
            target.push_str(value.as_ref());
        }
        let at = event.at;
        let by = event.by.as_ref();
        self.events = event.seq;
        self.last_at = Some(at);
        let operator = if let Some(known) = self.operators.iter().find(|o| ***o == *by) {
            Arc::clone(known)
        } else {
            let new: Arc<str> = by.into();
            self.operators.push(Arc::clone(&new));
            new
        };
        let keep = self.detail == Detail::Full;
        let line = line.filter(|_| self.detail == Detail::Lines);
        let entry = |text: &S| Entry { at, by: Arc::clone(&operator), text: text.as_ref().to_owned() };
        match &event.kind {
            EventKind::RunStarted { provider, account, checklist_sha256, .. } => {
                set(&mut self.provider, provider);
                set(&mut self.account, account);
                self.started_at = Some(at);
                by.clone_into(&mut self.started_by);
                set(&mut self.checklist_sha256, checklist_sha256);
            }
            EventKind::FactAnswered { fact, value } => {
                self.facts.insert(own(fact), own(value));
                self.fact_history.push((own(fact), own(value), at, by.to_owned()));
                self.completed_at = None;
            }
            EventKind::StepDone { step, note, evidence, attested } => {
                let record = self.record(step.as_ref(), at, by);
                if record.status != RecordedStatus::Done {
                    record.status = RecordedStatus::Done;
                    record.at = at;
                    set(&mut record.by, &by);
                    record.reason = None;
                }
                if let Some(note) = note.as_ref().filter(|_| keep) {
                    record.notes.push(entry(note));
                }
                if let Some(evidence) = evidence.as_ref().filter(|_| keep) {
                    record.evidence.push(entry(evidence));
                }
                if let Some(line) = line {
                    record.note_lines.extend(note.as_ref().map(|_| line));
                    record.evidence_lines.extend(evidence.as_ref().map(|_| line));
                }
                if let Some(attested) = attested {
                    record.attested = Some(own(attested));
                }
                set(self.last_step.get_or_insert_with(String::new), step);
            }
            EventKind::StepSkipped { step, reason } => {
                let record = self.record(step.as_ref(), at, by);
                record.status = RecordedStatus::Skipped;
                record.at = at;
                set(&mut record.by, &by);
                record.reason = Some(own(reason));
                set(self.last_step.get_or_insert_with(String::new), step);
            }
            EventKind::StepWaiting { step, note } => {
                let record = self.record(step.as_ref(), at, by);
                if record.status == RecordedStatus::Noted {
                    record.status = RecordedStatus::Waiting;
                    record.at = at;
                    set(&mut record.by, &by);
                }
                record.waiting_since.get_or_insert(at);
                if let Some(note) = note.as_ref().filter(|_| keep) {
                    record.notes.push(entry(note));
                }
                record.note_lines.extend(line.filter(|_| note.is_some()));
                set(self.last_step.get_or_insert_with(String::new), step);
            }
            EventKind::NoteAdded { step, note } => {
                let entry = keep.then(|| entry(note));
                let record = self.record(step.as_ref(), at, by);
                record.notes.extend(entry);
                record.note_lines.extend(line);
            }
            EventKind::ChecklistAccepted { checklist_sha256, changes, .. } => {
                set(&mut self.checklist_sha256, checklist_sha256);
                self.accepted_changes.push((at, by.to_owned(), changes.iter().map(own).collect()));
                self.completed_at = None;
            }
            EventKind::RunCompleted {} => self.completed_at = Some(at),
        }
    }

    fn record(&mut self, step: &str, at: Timestamp, by: &str) -> &mut StepRecord {
        // Look up before inserting: `entry` would allocate the key on every event.
        if !self.steps.contains_key(step) {
            self.steps.insert(step.to_owned(), StepRecord::new(at, by));
        }
        self.steps.get_mut(step).expect("inserted above")
    }
}

impl StepRecord {
    fn new(at: Timestamp, by: &str) -> StepRecord {
        StepRecord {
            status: RecordedStatus::Noted,
            at,
            by: by.to_owned(),
            notes: Vec::new(),
            evidence: Vec::new(),
            reason: None,
            attested: None,
            waiting_since: None,
            note_lines: Vec::new(),
            evidence_lines: Vec::new(),
        }
    }
}

/// Reads a run's log into a replay that keeps `detail`.
pub fn replay(dir: &Path, detail: Detail) -> Result<(Replay, LogEnd)> {
    let mut state = Replay { detail, ..Replay::default() };
    let end = read_log_at(&dir.join(EVENTS_FILE), |event, line| {
        state.apply_at(event, Some(line));
        Ok(())
    })?;
    Ok((state, end))
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    use super::*;
    use crate::state::testing::{done, started, ts};
    use crate::state::{EVENTS_FILE, GENESIS_HASH, create_log};

    #[test]
    fn written_log_reads_back_and_replays() {
        let dir = tempfile::tempdir().unwrap();
        let (mut log, first) = create_log(dir.path(), ts("2026-11-24T10:00:00Z"), "ana", started()).unwrap();
        assert_eq!(first.prev, GENESIS_HASH);
        log.append(
            ts("2026-11-24T10:01:00Z"),
            "ana",
            EventKind::FactAnswered { fact: "org".into(), value: "no".into() },
        )
        .unwrap();
        log.append(ts("2026-11-24T10:02:00Z"), "ana", done("a")).unwrap();
        log.append(ts("2026-11-24T10:03:00Z"), "bo", EventKind::StepSkipped { step: "b".into(), reason: "n/a".into() })
            .unwrap();
        log.append(ts("2026-11-24T10:04:00Z"), "bo", EventKind::StepWaiting { step: "c".into(), note: None }).unwrap();
        log.append(
            ts("2026-11-24T10:05:00Z"),
            "bo",
            EventKind::StepDone { step: "a".into(), note: Some("again".into()), evidence: None, attested: None },
        )
        .unwrap();
        let (state, end) = replay(dir.path(), Detail::Full).unwrap();
        assert_eq!(end.count, 6);
        assert_eq!(end.last_hash, log.last_hash());
        assert_eq!(state.facts["org"], "no");
        let a = &state.steps["a"];
        assert_eq!((a.status, a.at, a.by.as_str()), (RecordedStatus::Done, ts("2026-11-24T10:02:00Z"), "ana"));
        assert_eq!(a.notes.len(), 1);
        assert_eq!(state.steps["b"].reason.as_deref(), Some("n/a"));
        assert_eq!(state.steps["c"].status, RecordedStatus::Waiting);
        let mode = fs::metadata(dir.path().join(EVENTS_FILE)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn a_summary_replay_leaves_out_only_notes_and_evidence() {
        let dir = tempfile::tempdir().unwrap();
        let (mut log, _) = create_log(dir.path(), ts("2026-11-24T10:00:00Z"), "ana", started()).unwrap();
        let at = ts("2026-11-24T10:01:00Z");
        let note = |s: &str| Some(s.to_owned());
        log.append(
            at,
            "ana",
            EventKind::StepDone { step: "a".into(), note: note("n"), evidence: note("e"), attested: None },
        )
        .unwrap();
        log.append(at, "bo", EventKind::StepWaiting { step: "b".into(), note: note("asked") }).unwrap();
        log.append(at, "bo", EventKind::NoteAdded { step: "c".into(), note: "only a note".into() }).unwrap();
        log.append(at, "ana", EventKind::FactAnswered { fact: "org".into(), value: "no".into() }).unwrap();
        let (full, _) = replay(dir.path(), Detail::Full).unwrap();
        let (summary, _) = replay(dir.path(), Detail::Summary).unwrap();
        assert_eq!(
            (full.steps["a"].notes.len(), full.steps["a"].evidence.len(), full.steps["c"].notes.len()),
            (1, 1, 1)
        );
        let mut stripped = full.steps.clone();
        for record in stripped.values_mut() {
            record.notes.clear();
            record.evidence.clear();
        }
        assert_eq!(summary.steps, stripped);
        assert_eq!(
            (&summary.operators, &summary.facts, summary.last_at, summary.events, &summary.last_step),
            (&full.operators, &full.facts, full.last_at, full.events, &full.last_step)
        );
    }
}
