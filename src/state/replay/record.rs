//! A step's record as the log builds it: its status, texts, history and checks.

use std::sync::Arc;

use jiff::Timestamp;
use serde::Serialize;

use super::super::event::CheckRef;
use super::super::log::LineAt;
use crate::checks::CheckRecord;

/// One run of one of a step's checks.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckRun {
    pub seq: u64,
    pub at: Timestamp,
    pub by: Arc<str>,
    /// Which of the step's checks: 1 for the first.
    pub check: u32,
    pub passed: bool,
    /// What passing means, as recorded.
    pub summary: String,
    /// The check as it ran ([`CheckRecord::check_sha256`]).
    pub check_sha256: String,
    /// sha256 of the `check_ran` line; `None` only while no line after it has been read.
    pub line_sha256: Option<String>,
    /// What the check found; `None` in a summary replay.
    pub result: Option<Box<CheckRecord>>,
}

/// Everything recorded about one step.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRecord {
    pub status: RecordedStatus,
    /// When the current status was first recorded (the first `done`, the skip...).
    pub at: Timestamp,
    /// When it happened, when that was recorded afterwards (`--at`); `at` otherwise.
    pub happened_at: Option<Timestamp>,
    pub by: String,
    /// Empty when replayed with [`Detail::Summary`](super::Detail::Summary).
    pub notes: Vec<Entry>,
    /// Empty when replayed with [`Detail::Summary`](super::Detail::Summary).
    pub evidence: Vec<Entry>,
    /// The reason of the latest skip.
    pub reason: Option<String>,
    pub attested: Option<String>,
    pub waiting_since: Option<Timestamp>,
    /// Who the step waits on, as last recorded.
    pub waiting_on: Option<String>,
    /// Every event recorded for the step, in order, with [`Detail::Full`](super::Detail::Full)
    /// (else empty).
    pub history: Vec<HistoryEntry>,
    /// Where the line of every event recorded for the step is, in order, with
    /// [`Detail::Lines`](super::Detail::Lines) (else empty): a long run's report reads its history
    /// back as it writes it rather than holding it.
    pub history_lines: Vec<LineAt>,
    /// The checks it was confirmed with, in every confirmation, oldest first.
    pub confirmed_with: Vec<CheckRef>,
    /// Where the notes and the evidence are in the log, with [`Detail::Lines`](super::Detail::Lines) (else empty).
    pub note_lines: Vec<LineAt>,
    pub evidence_lines: Vec<LineAt>,
}

impl StepRecord {
    /// Keeps a note (or, with `evidence`, a piece of evidence): its text, or where its line is;
    /// the index it has among the step's notes (or evidence).
    pub(super) fn add_text(&mut self, c: &Recording, text: &str, evidence: bool) -> usize {
        if let Some(line) = c.line.filter(|_| !c.keep) {
            let lines = if evidence { &mut self.evidence_lines } else { &mut self.note_lines };
            lines.push(line);
            lines.len() - 1
        } else {
            let entries = if evidence { &mut self.evidence } else { &mut self.notes };
            entries.push(c.entry(text));
            entries.len() - 1
        }
    }

    /// Keeps an event of the step's history: the entry with [`Detail::Full`](super::Detail::Full),
    /// where its line is with [`Detail::Lines`](super::Detail::Lines).
    pub(super) fn add_history(&mut self, c: &Recording, entry: HistoryEntry) {
        match c.line.filter(|_| !c.keep) {
            Some(line) => self.history_lines.push(line),
            None => self.history.push(entry),
        }
    }

    /// When the current status happened: the time given with `--at`, else when it was recorded.
    pub(crate) fn happened(&self) -> Timestamp {
        self.happened_at.unwrap_or(self.at)
    }
}

/// One event recorded for a step. Texts are not copied: a note or piece of evidence is an index
/// into the step's `notes` or `evidence`.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    pub seq: u64,
    pub at: Timestamp,
    pub happened_at: Option<Timestamp>,
    pub by: Arc<str>,
    pub what: RecordedStatus,
    pub note: Option<usize>,
    pub evidence: Option<usize>,
    pub reason: Option<String>,
    pub attested: Option<String>,
    pub on: Option<String>,
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

/// What every event of a step brings to its record: its place, time and operator.
pub(super) struct Recording {
    pub(super) seq: u64,
    pub(super) at: Timestamp,
    pub(super) by: Arc<str>,
    /// Whether texts are kept ([`Detail::Full`](super::Detail::Full)).
    pub(super) keep: bool,
    /// Where the event's line is, kept instead of its texts ([`Detail::Lines`](super::Detail::Lines)).
    pub(super) line: Option<LineAt>,
}

impl Recording {
    /// Whether each step's history is kept: with its texts, or with where they are.
    pub(super) fn keeps_history(&self) -> bool {
        self.keep || self.line.is_some()
    }

    pub(super) fn entry(&self, text: &str) -> Entry {
        Entry { at: self.at, by: Arc::clone(&self.by), text: text.to_owned() }
    }

    pub(super) fn history(&self, what: RecordedStatus, happened_at: Option<Timestamp>) -> HistoryEntry {
        HistoryEntry {
            seq: self.seq,
            at: self.at,
            happened_at,
            by: Arc::clone(&self.by),
            what,
            note: None,
            evidence: None,
            reason: None,
            attested: None,
            on: None,
        }
    }
}

impl StepRecord {
    pub(super) fn new(at: Timestamp, by: &str) -> StepRecord {
        StepRecord {
            status: RecordedStatus::Noted,
            at,
            happened_at: None,
            by: by.to_owned(),
            notes: Vec::new(),
            evidence: Vec::new(),
            reason: None,
            attested: None,
            waiting_since: None,
            waiting_on: None,
            history: Vec::new(),
            history_lines: Vec::new(),
            confirmed_with: Vec::new(),
            note_lines: Vec::new(),
            evidence_lines: Vec::new(),
        }
    }
}
