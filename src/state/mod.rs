//! The state of a run: an append-only, hash-chained event log, its lock, and replay.
//!
//! One run is one directory holding `events.jsonl` (one JSON object a line), `lock`, and a copy of
//! every checklist the run has been pinned to. Each line carries its sequence number and the
//! sha256 of the line before it, so editing, dropping or reordering lines is detected. A line is
//! written and fsynced before anyone is told it is recorded; nothing earlier is ever rewritten.
//! The only repair is for a torn last line (a crash mid-write): it was never acknowledged, so it is
//! moved aside to `events.jsonl.torn` and the log goes on from the last whole line.
//!
//! The parts: [`event`] (what a line records), [`log`] (reading and checking a log), [`append`]
//! (writing one), [`lock`] (one process per run), [`replay`] (folding a log into a run's state),
//! [`dir`] (the state directory and its files), [`checkpoint`] (where a writer last left the log,
//! so that the next write need not hash it all again), [`scan`] (listing every entry of it, and moving
//! runs aside), and [`compact_reader`] (a fast reader of the exact
//! bytes closeacct writes).

mod append;
mod checkpoint;
mod compact_reader;
mod dir;
mod event;
mod lines;
mod lock;
mod log;
mod replay;
mod scan;

pub(crate) use append::create_log;
pub use append::{Appender, Sink, open_log_for_append};
pub(crate) use checkpoint::open_for_write;
pub use dir::StateDir;
pub(crate) use dir::{
    check_output_path, create_private_dir, pin_checklist, pinned_checklist_path, refuse_symlinked_dirs,
    remove_stale_temps, write_atomic,
};
pub use event::EventKind;
pub use event::{CheckRef, Event, EventRef};
pub(crate) use lines::LogLines;
pub use lock::RunLock;
pub use log::{LineAt, LogEnd, assert_quick_reader_agrees, parse_log, read_log};
pub(crate) use log::{read_log_at, read_log_hashed};
pub use replay::{CheckRun, Detail, Entry, HistoryEntry, RecordedStatus, Replay, StepRecord, replay};
pub(crate) use scan::{Found, Place};

/// The state file format version written on every line.
pub(crate) const STATE_VERSION: u32 = 1;

/// The `prev` of the first line.
pub(crate) const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The event log's file name inside a run directory.
pub const EVENTS_FILE: &str = "events.jsonl";

#[cfg(test)]
pub(crate) mod testing {
    use jiff::Timestamp;

    use super::EventKind;

    pub(super) fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    pub(super) fn started() -> EventKind {
        EventKind::RunStarted {
            provider: "aws".into(),
            account: "111122223333".into(),
            checklist_version: 1,
            checklist_sha256: "ab".repeat(32),
            zone: None,
        }
    }

    pub(crate) fn done(step: &str) -> EventKind {
        EventKind::StepDone {
            step: step.into(),
            note: None,
            evidence: None,
            attested: None,
            happened_at: None,
            checks: Vec::new(),
        }
    }
}
