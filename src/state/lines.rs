//! Reading back, by their place in the log, the notes, evidence and history events a report shows.
//!
//! A report of a long run used to hold every note, piece of evidence and history event while it
//! was written, several times the memory of `status` on the same run. Replayed with
//! [`Detail::Lines`](super::Detail::Lines), a run keeps only where each of them is (one word
//! each); the report reads them back a step at a time as it writes that step, with one
//! positioned read each, from the file the replay checked.

use std::cell::RefCell;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::EVENTS_FILE;
use super::compact_reader;
use super::dir::refuse_symlink;
use super::event::{EventKind, EventRef, Text};
use super::log::LineAt;
use super::replay::{Detail, Entry, HistoryEntry, RecordedStatus};
use crate::error::{Error, Result};

/// A log opened to read lines back by their place.
#[derive(Debug)]
pub(crate) struct LogLines {
    file: File,
    path: PathBuf,
    /// The line read last, reused for the next.
    line: RefCell<Vec<u8>>,
}

impl LogLines {
    /// Opens a log (refusing a symbolic link, as every read does).
    pub(crate) fn open(path: &Path) -> Result<LogLines> {
        refuse_symlink(path)?;
        let file = File::open(path).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => Error::NoSuchFile { path: path.to_owned() },
            _ => Error::io("read", path, e),
        })?;
        Ok(LogLines { file, path: path.to_owned(), line: RefCell::new(Vec::new()) })
    }

    /// The log of the run in `dir`, opened for a replay that keeps `detail`: only
    /// [`Detail::Lines`] needs it.
    pub(crate) fn open_for(dir: &Path, detail: Detail) -> Result<Option<LogLines>> {
        (detail == Detail::Lines).then(|| LogLines::open(&dir.join(EVENTS_FILE))).transpose()
    }

    /// The note on the line at `at` (with `evidence`, the evidence), with when and by whom.
    /// `operators` are the run's (`Replay::operators`), shared by the entries rather than copied.
    pub(crate) fn entry(&self, at: LineAt, evidence: bool, operators: &[Arc<str>]) -> io::Result<Entry> {
        self.with_event(at, if evidence { "evidence" } else { "note" }, |event| {
            let text = match (&event.kind, evidence) {
                (EventKind::StepDone { evidence: Some(text), .. }, true)
                | (
                    EventKind::StepDone { note: Some(text), .. }
                    | EventKind::StepWaiting { note: Some(text), .. }
                    | EventKind::NoteAdded { note: text, .. },
                    false,
                ) => text.as_ref().to_owned(),
                _ => return None,
            };
            Some(Entry { at: event.at, by: shared(operators, event.by.as_ref()), text })
        })
    }

    /// The event of a step's history on the line at `at`: what a full replay keeps of it (its
    /// texts' places left empty), and its note and evidence.
    pub(crate) fn history(&self, at: LineAt, operators: &[Arc<str>]) -> io::Result<HistoryRead> {
        self.with_event(at, "event of a step", |event| {
            let own = |text: &Option<Text<'_>>| text.as_ref().map(|t| t.as_ref().to_owned());
            let (what, happened_at, note, evidence) = match &event.kind {
                EventKind::NoteAdded { note, .. } => {
                    (RecordedStatus::Noted, None, Some(note.as_ref().to_owned()), None)
                }
                EventKind::StepDone { note, evidence, happened_at, .. } => {
                    (RecordedStatus::Done, *happened_at, own(note), own(evidence))
                }
                EventKind::StepSkipped { happened_at, .. } => (RecordedStatus::Skipped, *happened_at, None, None),
                EventKind::StepWaiting { note, happened_at, .. } => {
                    (RecordedStatus::Waiting, *happened_at, own(note), None)
                }
                _ => return None,
            };
            let entry = HistoryEntry {
                seq: event.seq,
                at: event.at,
                happened_at,
                by: shared(operators, event.by.as_ref()),
                what,
                note: None,
                evidence: None,
                reason: match &event.kind {
                    EventKind::StepSkipped { reason, .. } => Some(reason.as_ref().to_owned()),
                    _ => None,
                },
                attested: match &event.kind {
                    EventKind::StepDone { attested, .. } => own(attested),
                    _ => None,
                },
                on: match &event.kind {
                    EventKind::StepWaiting { on, .. } => own(on),
                    _ => None,
                },
            };
            Some(HistoryRead { entry, note, evidence })
        })
    }

    /// Reads the line at `at` and hands its event to `take`; a line that no longer parses, or
    /// whose event `take` refuses (`None`), means the log changed under the report (it holds no
    /// `what` there now).
    fn with_event<T>(&self, at: LineAt, what: &str, take: impl FnOnce(&EventRef<'_>) -> Option<T>) -> io::Result<T> {
        let mut line = self.line.borrow_mut();
        line.resize(at.len(), 0);
        self.file.read_exact_at(&mut line, at.offset())?;
        let changed = || {
            io::Error::other(format!(
                "`{}` changed while the report was written: the line at byte {} holds no {what}",
                self.path.display(),
                at.offset(),
            ))
        };
        let event: EventRef<'_> = match std::str::from_utf8(&line).ok().and_then(compact_reader::parse) {
            Some(event) => event,
            None => serde_json::from_slice(&line).map_err(|_| changed())?,
        };
        take(&event).ok_or_else(changed)
    }
}

/// The run's own copy of an operator's name, shared rather than copied.
fn shared(operators: &[Arc<str>], by: &str) -> Arc<str> {
    operators.iter().find(|o| ***o == *by).map_or_else(|| by.into(), Arc::clone)
}

/// An event of a step's history, read back from the log.
#[derive(Debug)]
pub(crate) struct HistoryRead {
    pub(crate) entry: HistoryEntry,
    pub(crate) note: Option<String>,
    pub(crate) evidence: Option<String>,
}
