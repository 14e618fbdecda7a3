//! Replay: a run's log folded into what it says (the facts, each step's record, the log's head).

mod record;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use jiff::Timestamp;

use super::EVENTS_FILE;
use super::event::{Event, EventKind, own};
use super::log::{LineAt, LogEnd, read_log_at};
use crate::error::Result;

use self::record::Recording;

pub use self::record::{CheckRun, Entry, HistoryEntry, RecordedStatus, StepRecord};

/// How much of a run a replay keeps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Detail {
    /// Every note and piece of evidence too: what a report shows.
    #[default]
    Full,
    /// Statuses, facts and times, without notes, evidence and history: what `status`, `verify` and the
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
    pub steps: HashMap<String, StepRecord, foldhash::fast::RandomState>,
    pub accepted_changes: Vec<(Timestamp, String, Vec<String>)>,
    pub completed_at: Option<Timestamp>,
    /// When the run was last reopened after it was complete (`--reopen`).
    pub reopened_at: Option<Timestamp>,
    /// The operator's time zone recorded when the run began; `None` for runs from before it was.
    pub zone: Option<String>,
    pub last_at: Option<Timestamp>,
    pub last_step: Option<String>,
    pub events: u64,
    /// The checks run for each step, oldest first. A summary replay keeps only the latest run of
    /// each of a step's checks, without its result.
    pub checks: HashMap<String, Vec<CheckRun>, foldhash::fast::RandomState>,
    /// The last event read was a `check_ran` (this step's, at this index in its runs), whose
    /// line hash comes with the next line's `prev` or the end of the log.
    pub check_awaiting_hash: Option<(String, usize)>,
}

/// The text of an optional field.
fn text<S: AsRef<str>>(value: Option<&S>) -> Option<&str> {
    value.map(AsRef::as_ref)
}

fn set(target: &mut String, value: &str) {
    target.clear();
    target.push_str(value);
}

impl Replay {
    /// Folds one event into the state.
    pub fn apply<S: AsRef<str>>(&mut self, event: &Event<S>) {
        self.apply_at(event, None);
    }

    /// Folds one event read from the log at `line` into the state.
    pub(crate) fn apply_at<S: AsRef<str>>(&mut self, event: &Event<S>, line: Option<LineAt>) {
        if let Some((step, index)) = self.check_awaiting_hash.take() {
            self.check_line_hashed(&step, index, event.prev.as_ref());
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
        let c = Recording {
            seq: event.seq,
            at,
            by: operator,
            keep: self.detail == Detail::Full,
            line: line.filter(|_| self.detail == Detail::Lines),
        };
        match &event.kind {
            EventKind::RunStarted { provider, account, checklist_sha256, zone, .. } => {
                set(&mut self.provider, provider.as_ref());
                set(&mut self.account, account.as_ref());
                self.started_at = Some(at);
                by.clone_into(&mut self.started_by);
                set(&mut self.checklist_sha256, checklist_sha256.as_ref());
                self.zone = zone.as_ref().map(own);
            }
            EventKind::FactAnswered { fact, value } => {
                // The same answer again changes nothing a completion rests on.
                let changed = self.facts.get(fact.as_ref()).is_none_or(|old| old != value.as_ref());
                self.facts.insert(own(fact), own(value));
                self.fact_history.push((own(fact), own(value), at, by.to_owned()));
                if changed {
                    self.completed_at = None;
                }
            }
            EventKind::StepDone { step, note, evidence, attested, happened_at, checks } => {
                self.step_done(
                    &c,
                    step.as_ref(),
                    text(note.as_ref()),
                    text(evidence.as_ref()),
                    text(attested.as_ref()),
                    *happened_at,
                );
                self.record(step.as_ref(), &c).confirmed_with.extend(checks.iter().cloned());
            }
            EventKind::StepSkipped { step, reason, happened_at } => {
                self.step_skipped(&c, step.as_ref(), reason.as_ref(), *happened_at);
            }
            EventKind::StepWaiting { step, note, on, happened_at } => {
                self.step_waiting(&c, step.as_ref(), text(note.as_ref()), text(on.as_ref()), *happened_at);
            }
            EventKind::NoteAdded { step, note } => {
                let record = self.record(step.as_ref(), &c);
                if c.keeps_history() {
                    let mut h = c.history(RecordedStatus::Noted, None);
                    h.note = Some(record.add_text(&c, note.as_ref(), false));
                    record.add_history(&c, h);
                }
            }
            EventKind::ChecklistAccepted { checklist_sha256, changes, .. } => {
                set(&mut self.checklist_sha256, checklist_sha256.as_ref());
                self.accepted_changes.push((at, by.to_owned(), changes.iter().map(own).collect()));
                self.completed_at = None;
            }
            EventKind::RunCompleted {} => self.completed_at = Some(at),
            EventKind::RunReopened {} => {
                self.completed_at = None;
                self.reopened_at = Some(at);
            }
            EventKind::CheckRan { step, check, result } => {
                let run = CheckRun {
                    seq: event.seq,
                    at: c.at,
                    by: Arc::clone(&c.by),
                    check: *check,
                    passed: result.passed,
                    summary: result.summary.clone(),
                    check_sha256: result.check_sha256.clone(),
                    line_sha256: None,
                    result: c.keep.then(|| result.clone()),
                };
                self.check_ran(step.as_ref(), run);
            }
        }
    }

    fn step_done(
        &mut self,
        c: &Recording,
        step: &str,
        note: Option<&str>,
        evidence: Option<&str>,
        attested: Option<&str>,
        happened_at: Option<Timestamp>,
    ) {
        let record = self.record(step, c);
        if record.status != RecordedStatus::Done {
            record.status = RecordedStatus::Done;
            record.at = c.at;
            record.happened_at = happened_at;
            set(&mut record.by, &c.by);
            record.reason = None;
        }
        if let Some(attested) = attested {
            record.attested = Some(attested.to_owned());
        }
        if c.keeps_history() {
            let mut h = c.history(RecordedStatus::Done, happened_at);
            h.attested = attested.map(str::to_owned);
            h.note = note.map(|note| record.add_text(c, note, false));
            h.evidence = evidence.map(|evidence| record.add_text(c, evidence, true));
            record.add_history(c, h);
        }
        set(self.last_step.get_or_insert_with(String::new), step);
    }

    fn step_skipped(&mut self, c: &Recording, step: &str, reason: &str, happened_at: Option<Timestamp>) {
        let record = self.record(step, c);
        record.status = RecordedStatus::Skipped;
        record.at = c.at;
        record.happened_at = happened_at;
        set(&mut record.by, &c.by);
        record.reason = Some(reason.to_owned());
        if c.keeps_history() {
            let mut h = c.history(RecordedStatus::Skipped, happened_at);
            h.reason = Some(reason.to_owned());
            record.add_history(c, h);
        }
        set(self.last_step.get_or_insert_with(String::new), step);
    }

    fn step_waiting(
        &mut self,
        c: &Recording,
        step: &str,
        note: Option<&str>,
        on: Option<&str>,
        happened_at: Option<Timestamp>,
    ) {
        let record = self.record(step, c);
        if record.status == RecordedStatus::Noted {
            record.status = RecordedStatus::Waiting;
            record.at = c.at;
            record.happened_at = happened_at;
            set(&mut record.by, &c.by);
        }
        record.waiting_since.get_or_insert(happened_at.unwrap_or(c.at));
        if let Some(on) = on {
            record.waiting_on = Some(on.to_owned());
        }
        if c.keeps_history() {
            let mut h = c.history(RecordedStatus::Waiting, happened_at);
            h.on = on.map(str::to_owned);
            h.note = note.map(|note| record.add_text(c, note, false));
            record.add_history(c, h);
        }
        set(self.last_step.get_or_insert_with(String::new), step);
    }

    /// Keeps a check's run (a summary replay only the latest of each of the step's checks); its
    /// line's hash comes with the next line.
    fn check_ran(&mut self, step: &str, run: CheckRun) {
        let runs = self.checks.entry(step.to_owned()).or_default();
        if self.detail == Detail::Summary {
            runs.retain(|earlier| earlier.check != run.check);
        }
        runs.push(run);
        self.check_awaiting_hash = Some((step.to_owned(), runs.len() - 1));
    }

    /// The sha256 of the last line read, when no line follows it (the end of the log, or a line
    /// just appended): completes a `check_ran` read last.
    pub fn last_line_hashed(&mut self, sha256: &str) {
        if let Some((step, index)) = self.check_awaiting_hash.take() {
            self.check_line_hashed(&step, index, sha256);
        }
    }

    fn check_line_hashed(&mut self, step: &str, index: usize, sha256: &str) {
        if let Some(run) = self.checks.get_mut(step).and_then(|runs| runs.get_mut(index)) {
            run.line_sha256 = Some(sha256.to_owned());
        }
    }

    /// The latest run of each of a step's checks, by check number (1 for the first).
    pub(crate) fn latest_checks(&self, step: &str) -> std::collections::BTreeMap<u32, &CheckRun> {
        let mut latest = std::collections::BTreeMap::new();
        for run in self.checks.get(step).into_iter().flatten() {
            latest.insert(run.check, run);
        }
        latest
    }

    fn record(&mut self, step: &str, c: &Recording) -> &mut StepRecord {
        // Look up before inserting: `entry` would allocate the key on every event.
        if !self.steps.contains_key(step) {
            self.steps.insert(step.to_owned(), StepRecord::new(c.at, &c.by));
        }
        self.steps.get_mut(step).expect("inserted above")
    }
}
/// Reads a run's log into a replay that keeps `detail`.
pub fn replay(dir: &Path, detail: Detail) -> Result<(Replay, LogEnd)> {
    let mut state = Replay { detail, ..Replay::default() };
    let end = read_log_at(&dir.join(EVENTS_FILE), |event, line, _| {
        state.apply_at(event, Some(line));
        Ok(())
    })?;
    state.last_line_hashed(&end.last_hash);
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
        log.append(
            ts("2026-11-24T10:03:00Z"),
            "bo",
            EventKind::StepSkipped { step: "b".into(), reason: "n/a".into(), happened_at: None },
        )
        .unwrap();
        log.append(
            ts("2026-11-24T10:04:00Z"),
            "bo",
            EventKind::StepWaiting { step: "c".into(), note: None, on: None, happened_at: None },
        )
        .unwrap();
        log.append(
            ts("2026-11-24T10:05:00Z"),
            "bo",
            EventKind::StepDone {
                step: "a".into(),
                note: Some("again".into()),
                evidence: None,
                attested: None,
                happened_at: None,
                checks: Vec::new(),
            },
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
    fn a_summary_replay_leaves_out_only_notes_evidence_and_history() {
        let dir = tempfile::tempdir().unwrap();
        let (mut log, _) = create_log(dir.path(), ts("2026-11-24T10:00:00Z"), "ana", started()).unwrap();
        let at = ts("2026-11-24T10:01:00Z");
        let note = |s: &str| Some(s.to_owned());
        log.append(
            at,
            "ana",
            EventKind::StepDone {
                step: "a".into(),
                note: note("n"),
                evidence: note("e"),
                attested: None,
                happened_at: None,
                checks: Vec::new(),
            },
        )
        .unwrap();
        log.append(
            at,
            "bo",
            EventKind::StepWaiting { step: "b".into(), note: note("asked"), on: None, happened_at: None },
        )
        .unwrap();
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
            record.history.clear();
        }
        assert_eq!(summary.steps, stripped);
        assert_eq!(
            (&summary.operators, &summary.facts, summary.last_at, summary.events, &summary.last_step),
            (&full.operators, &full.facts, full.last_at, full.events, &full.last_step)
        );
    }

    #[test]
    fn a_steps_history_keeps_every_event_in_order_with_its_texts() {
        let dir = tempfile::tempdir().unwrap();
        let (mut log, _) = create_log(dir.path(), ts("2026-11-24T10:00:00Z"), "ana", started()).unwrap();
        let skip = |reason: &str| EventKind::StepSkipped { step: "a".into(), reason: reason.into(), happened_at: None };
        log.append(ts("2026-11-24T10:01:00Z"), "ana", skip("first reason")).unwrap();
        log.append(ts("2026-11-24T10:02:00Z"), "bo", EventKind::NoteAdded { step: "a".into(), note: "asked".into() })
            .unwrap();
        log.append(ts("2026-11-24T10:03:00Z"), "bo", skip("second reason")).unwrap();
        let (state, _) = replay(dir.path(), Detail::Full).unwrap();
        let a = &state.steps["a"];
        let seen: Vec<_> = a
            .history
            .iter()
            .map(|h| (h.seq, h.what, &*h.by, h.reason.as_deref(), h.note.map(|i| a.notes[i].text.as_str())))
            .collect();
        assert_eq!(
            seen,
            [
                (2, RecordedStatus::Skipped, "ana", Some("first reason"), None),
                (3, RecordedStatus::Noted, "bo", None, Some("asked")),
                (4, RecordedStatus::Skipped, "bo", Some("second reason"), None),
            ]
        );
        assert_eq!(a.reason.as_deref(), Some("second reason"), "the latest reason is the step's");
    }
}

#[cfg(test)]
mod check_tests {
    use super::*;
    use crate::checks::CheckRecord;
    use crate::digest::sha256_hex;
    use crate::state::testing::{started, ts};
    use crate::state::{EVENTS_FILE, create_log};

    fn ran(check: u32, passed: bool) -> EventKind {
        let result = CheckRecord {
            summary: format!("check {check}"),
            expect: "empty".into(),
            timeout_ms: 60_000,
            jobs: 8,
            passed,
            problem: None,
            foreach: None,
            items: Vec::new(),
            duration_ms: 1,
            excerpt_bytes: 0,
            excerpts_truncated: false,
            check_sha256: format!("{check:064}"),
        };
        EventKind::CheckRan { step: "a".into(), check, result: Box::new(result) }
    }

    #[test]
    fn checks_are_kept_per_step_with_the_hash_of_their_line() {
        let dir = tempfile::tempdir().unwrap();
        let (mut log, _) = create_log(dir.path(), ts("2026-11-24T10:00:00Z"), "ana", started()).unwrap();
        let at = ts("2026-11-24T10:01:00Z");
        for kind in [ran(1, false), ran(2, true), ran(1, true)] {
            log.append(at, "ana", kind).unwrap();
        }
        let lines: Vec<String> =
            std::fs::read_to_string(dir.path().join(EVENTS_FILE)).unwrap().lines().map(str::to_owned).collect();
        let (full, _) = replay(dir.path(), Detail::Full).unwrap();
        let runs = &full.checks["a"];
        assert_eq!(
            runs.iter().map(|r| (r.seq, r.check, r.passed)).collect::<Vec<_>>(),
            [(2, 1, false), (3, 2, true), (4, 1, true)]
        );
        // Hashed by the next line's `prev`, the last by the end of the log.
        for run in runs {
            let line = &lines[usize::try_from(run.seq).unwrap() - 1];
            assert_eq!(run.line_sha256.as_deref(), Some(&*sha256_hex(line.as_bytes())), "seq {}", run.seq);
            assert!(run.result.is_some());
        }
        let latest = full.latest_checks("a");
        assert_eq!(latest.iter().map(|(n, r)| (*n, r.seq)).collect::<Vec<_>>(), [(1, 4), (2, 3)]);
        assert!(full.steps.is_empty(), "a check alone records nothing about the step's status");

        // A summary keeps the latest run of each check, without its result.
        let (summary, _) = replay(dir.path(), Detail::Summary).unwrap();
        let kept: Vec<(u64, bool)> = summary.checks["a"].iter().map(|r| (r.seq, r.result.is_none())).collect();
        assert_eq!(kept, [(3, true), (4, true)]);
        assert_eq!(summary.latest_checks("a").len(), 2);
        assert_eq!(summary.checks["a"][1].line_sha256, runs[2].line_sha256);
    }
}
