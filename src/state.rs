//! The state of a run: an append-only, hash-chained event log, its lock, and replay.
//!
//! One run is one directory holding `events.jsonl` (one JSON object a line), `lock`, and a copy of
//! every checklist the run has been pinned to. Each line carries its sequence number and the
//! sha256 of the line before it, so editing, dropping or reordering lines is detected. A line is
//! written and fsynced before anyone is told it is recorded; nothing earlier is ever rewritten.
//! The only repair is for a torn last line (a crash mid-write): it was never acknowledged, so it is
//! moved aside to `events.jsonl.torn` and the log goes on from the last whole line.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::checklist::{hex_digits, sha256, sha256_hex, to_hex};
use crate::error::{Error, Result};

mod canonical;

/// The state file format version written on every line.
pub const STATE_VERSION: u32 = 1;

/// The `prev` of the first line.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Lines longer than this are damage, not data (notes are capped far below it).
const MAX_LINE_BYTES: usize = 1024 * 1024;

/// The event log's file name inside a run directory.
pub const EVENTS_FILE: &str = "events.jsonl";
const LOCK_FILE: &str = "lock";

/// One line of the log. `S` is the string type: `String` for events made here, a borrowed
/// `Cow<str>` while replaying, so a long log is read without allocating every field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event<S = String> {
    /// State format version.
    pub v: u32,
    /// 1 for the first line, then one more for each line.
    pub seq: u64,
    /// sha256 (hex) of the previous line's bytes, without its newline.
    pub prev: S,
    /// When it happened (RFC 3339, UTC).
    pub at: Timestamp,
    /// Who did it (`--operator`, default `$USER`).
    pub by: S,
    #[serde(flatten)]
    pub kind: EventKind<S>,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventKind<S = String> {
    /// The first line of every run.
    RunStarted { provider: S, account: S, checklist_version: u32, checklist_sha256: S },
    /// A fact was answered (again); the latest answer counts.
    FactAnswered { fact: S, value: S },
    /// A step was confirmed done (again: the new note or evidence adds to the record).
    StepDone {
        step: S,
        #[serde(skip_serializing_if = "Option::is_none")]
        note: Option<S>,
        #[serde(skip_serializing_if = "Option::is_none")]
        evidence: Option<S>,
        /// The account typed to confirm an irreversible step.
        #[serde(skip_serializing_if = "Option::is_none")]
        attested: Option<S>,
    },
    /// A step was skipped, with the reason.
    StepSkipped { step: S, reason: S },
    /// A step is waiting on someone else.
    StepWaiting {
        step: S,
        #[serde(skip_serializing_if = "Option::is_none")]
        note: Option<S>,
    },
    /// A note on a step, without changing its status.
    NoteAdded { step: S, note: S },
    /// The operator accepted a changed checklist.
    ChecklistAccepted { checklist_version: u32, checklist_sha256: S, changes: Vec<S> },
    /// Every step was resolved.
    RunCompleted {},
}

/// An event as read from a line, borrowing from it where the JSON has no escapes.
pub type EventRef<'a> = Event<Text<'a>>;

/// A string read from a line: borrowed when it can be, owned when the JSON escaped it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Text<'a>(pub Cow<'a, str>);

impl AsRef<str> for Text<'_> {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> std::result::Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> std::result::Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

/// The flat shape of a line, for reading. `#[serde(flatten)]` would buffer every line into an
/// intermediate map first, which makes replaying a long log several times slower.
#[derive(Deserialize)]
struct WireEvent<'a> {
    v: u32,
    seq: u64,
    #[serde(borrow)]
    prev: Text<'a>,
    at: Timestamp,
    #[serde(borrow)]
    by: Text<'a>,
    event: Tag,
    #[serde(borrow)]
    provider: Option<Text<'a>>,
    #[serde(borrow)]
    account: Option<Text<'a>>,
    checklist_version: Option<u32>,
    #[serde(borrow)]
    checklist_sha256: Option<Text<'a>>,
    #[serde(borrow)]
    fact: Option<Text<'a>>,
    #[serde(borrow)]
    value: Option<Text<'a>>,
    #[serde(borrow)]
    step: Option<Text<'a>>,
    #[serde(borrow)]
    note: Option<Text<'a>>,
    #[serde(borrow)]
    evidence: Option<Text<'a>>,
    #[serde(borrow)]
    attested: Option<Text<'a>>,
    #[serde(borrow)]
    reason: Option<Text<'a>>,
    #[serde(borrow)]
    changes: Option<Vec<Text<'a>>>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum Tag {
    RunStarted,
    FactAnswered,
    StepDone,
    StepSkipped,
    StepWaiting,
    NoteAdded,
    ChecklistAccepted,
    RunCompleted,
}

impl<'de: 'a, 'a> Deserialize<'de> for Event<Text<'a>> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        fn need<T, E: serde::de::Error>(value: Option<T>, field: &'static str) -> std::result::Result<T, E> {
            value.ok_or_else(|| E::missing_field(field))
        }
        let w = WireEvent::deserialize(deserializer)?;
        let kind = match w.event {
            Tag::RunStarted => EventKind::RunStarted {
                provider: need(w.provider, "provider")?,
                account: need(w.account, "account")?,
                checklist_version: need(w.checklist_version, "checklist_version")?,
                checklist_sha256: need(w.checklist_sha256, "checklist_sha256")?,
            },
            Tag::FactAnswered => {
                EventKind::FactAnswered { fact: need(w.fact, "fact")?, value: need(w.value, "value")? }
            }
            Tag::StepDone => EventKind::StepDone {
                step: need(w.step, "step")?,
                note: w.note,
                evidence: w.evidence,
                attested: w.attested,
            },
            Tag::StepSkipped => {
                EventKind::StepSkipped { step: need(w.step, "step")?, reason: need(w.reason, "reason")? }
            }
            Tag::StepWaiting => EventKind::StepWaiting { step: need(w.step, "step")?, note: w.note },
            Tag::NoteAdded => EventKind::NoteAdded { step: need(w.step, "step")?, note: need(w.note, "note")? },
            Tag::ChecklistAccepted => EventKind::ChecklistAccepted {
                checklist_version: need(w.checklist_version, "checklist_version")?,
                checklist_sha256: need(w.checklist_sha256, "checklist_sha256")?,
                changes: need(w.changes, "changes")?,
            },
            Tag::RunCompleted => EventKind::RunCompleted {},
        };
        Ok(Event { v: w.v, seq: w.seq, prev: w.prev, at: w.at, by: w.by, kind })
    }
}

impl<S: AsRef<str>> Event<S> {
    /// An owned copy.
    pub fn to_owned_event(&self) -> Event {
        Event {
            v: self.v,
            seq: self.seq,
            prev: own(&self.prev),
            at: self.at,
            by: own(&self.by),
            kind: self.kind.to_owned_kind(),
        }
    }
}

impl<S: AsRef<str>> EventKind<S> {
    /// An owned copy.
    pub fn to_owned_kind(&self) -> EventKind {
        let opt = |o: &Option<S>| o.as_ref().map(own);
        match self {
            EventKind::RunStarted { provider, account, checklist_version, checklist_sha256 } => EventKind::RunStarted {
                provider: own(provider),
                account: own(account),
                checklist_version: *checklist_version,
                checklist_sha256: own(checklist_sha256),
            },
            EventKind::FactAnswered { fact, value } => EventKind::FactAnswered { fact: own(fact), value: own(value) },
            EventKind::StepDone { step, note, evidence, attested } => EventKind::StepDone {
                step: own(step),
                note: opt(note),
                evidence: opt(evidence),
                attested: opt(attested),
            },
            EventKind::StepSkipped { step, reason } => EventKind::StepSkipped { step: own(step), reason: own(reason) },
            EventKind::StepWaiting { step, note } => EventKind::StepWaiting { step: own(step), note: opt(note) },
            EventKind::NoteAdded { step, note } => EventKind::NoteAdded { step: own(step), note: own(note) },
            EventKind::ChecklistAccepted { checklist_version, checklist_sha256, changes } => {
                EventKind::ChecklistAccepted {
                    checklist_version: *checklist_version,
                    checklist_sha256: own(checklist_sha256),
                    changes: changes.iter().map(own).collect(),
                }
            }
            EventKind::RunCompleted {} => EventKind::RunCompleted {},
        }
    }
}

fn own<S: AsRef<str>>(s: &S) -> String {
    s.as_ref().to_owned()
}

/// Where runs live.
#[derive(Debug, Clone)]
pub struct StateDir {
    pub root: PathBuf,
}

impl StateDir {
    /// `--state-dir` / `CLOSEACCT_STATE_DIR` when given (made absolute), else the platform's state
    /// directory (`$XDG_STATE_HOME/closeacct` on Linux).
    pub fn resolve(given: Option<&Path>) -> Result<StateDir> {
        let root = match given {
            Some(path) if path.as_os_str().is_empty() => return Err(Error::usage("--state-dir is empty")),
            Some(path) => std::path::absolute(path).map_err(|e| Error::io("resolve state directory", path, e))?,
            None => {
                use etcetera::BaseStrategy;
                let strategy = etcetera::choose_base_strategy().map_err(|e| {
                    Error::usage(format!("cannot find a home directory for the state ({e}); pass --state-dir"))
                })?;
                strategy.state_dir().unwrap_or_else(|| strategy.data_dir()).join("closeacct")
            }
        };
        Ok(StateDir { root })
    }

    /// The directory of the run for a provider and account.
    pub fn run_dir(&self, provider: &str, account: &str) -> PathBuf {
        self.root.join("runs").join(provider).join(account)
    }

    /// Where a run goes when `--restart` sets it aside.
    pub fn archive_dir(&self, provider: &str, account: &str, stamp: &str) -> PathBuf {
        self.root.join("archive").join(provider).join(account).join(stamp)
    }

    /// Every run as (provider, account), sorted; provider restricts to one provider.
    pub fn runs(&self, provider: Option<&str>) -> Result<Vec<(String, String)>> {
        let mut runs = Vec::new();
        let base = self.root.join("runs");
        for provider_dir in list_dir(&base)? {
            let Some(p) = provider_dir.file_name().and_then(|n| n.to_str()).map(str::to_owned) else { continue };
            if provider.is_some_and(|wanted| wanted != p) {
                continue;
            }
            for run_dir in list_dir(&provider_dir)? {
                if run_dir.join(EVENTS_FILE).exists()
                    && let Some(account) = run_dir.file_name().and_then(|n| n.to_str())
                {
                    runs.push((p.clone(), account.to_owned()));
                }
            }
        }
        runs.sort();
        Ok(runs)
    }
}

fn list_dir(dir: &Path) -> Result<Vec<PathBuf>> {
    match fs::read_dir(dir) {
        Ok(entries) => {
            let mut paths = Vec::new();
            for entry in entries {
                let entry = entry.map_err(|e| Error::io("list", dir, e))?;
                if entry.file_type().map_err(|e| Error::io("list", dir, e))?.is_dir() {
                    paths.push(entry.path());
                }
            }
            Ok(paths)
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(Error::io("list", dir, e)),
    }
}

/// Creates `dir` and its missing parents with mode 0700, fsyncing each parent that gained an
/// entry, and refuses a symlink anywhere from `root` down.
pub fn create_private_dir(root: &Path, dir: &Path) -> Result<()> {
    let mut missing = Vec::new();
    let mut current = dir.to_path_buf();
    loop {
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() && current.starts_with(root) && current != root => {
                return Err(symlink_refused(&current));
            }
            Ok(meta) if !meta.is_dir() && !meta.file_type().is_symlink() => {
                return Err(Error::io("create directory", &current, io::Error::from(io::ErrorKind::NotADirectory)));
            }
            Ok(_) => break,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                missing.push(current.clone());
                if !current.pop() {
                    break;
                }
            }
            Err(e) => return Err(Error::io("inspect", &current, e)),
        }
    }
    for path in missing.iter().rev() {
        match fs::DirBuilder::new().mode(0o700).create(path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Error::io("create directory", path, e)),
        }
        if let Some(parent) = path.parent() {
            sync_dir(parent)?;
        }
    }
    // Refuse symlinks between the root and the run directory even when they already existed.
    refuse_symlinked_dirs(root, dir)
}

/// Refuses a symbolic link anywhere below `root` on the way to `dir` (which must exist), so a
/// run is never read or written through a link planted in the state directory.
pub fn refuse_symlinked_dirs(root: &Path, dir: &Path) -> Result<()> {
    let mut check = dir.to_path_buf();
    while check.starts_with(root) && check != root {
        let meta = fs::symlink_metadata(&check).map_err(|e| Error::io("inspect", &check, e))?;
        if meta.file_type().is_symlink() {
            return Err(symlink_refused(&check));
        }
        check.pop();
    }
    Ok(())
}

/// fsyncs a directory so that a file created or renamed in it survives a crash.
pub fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(|e| Error::io("sync directory", dir, e))
}

/// The refusal of a state path that is a symbolic link.
fn symlink_refused(path: &Path) -> Error {
    Error::RefusedInput { message: format!("refusing to use `{}`: it is a symbolic link", path.display()) }
}

/// Refuses a path that is a symbolic link.
fn refuse_symlink(path: &Path) -> Result<()> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => Err(symlink_refused(path)),
        _ => Ok(()),
    }
}

/// The end of a log after reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEnd {
    /// Whole lines read.
    pub count: u64,
    /// sha256 of the last whole line, or the genesis hash.
    pub last_hash: String,
    /// Bytes up to the end of the last whole line.
    pub len: u64,
    /// A last line without its newline: never acknowledged, so not part of the log.
    pub torn: Option<Vec<u8>>,
}

/// Reads and checks the whole log, handing each event to `visit` in order. Any damage other than a
/// torn last line is an error naming the line.
pub fn read_log(path: &Path, visit: impl FnMut(&EventRef<'_>) -> Result<()>) -> Result<LogEnd> {
    refuse_symlink(path)?;
    let file = File::open(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => Error::NoSuchFile { path: path.to_owned() },
        _ => Error::io("read", path, e),
    })?;
    check_log(file, path, visit)
}

/// `read_log` over bytes already in memory (fuzzing, tests); `path` only names them in errors.
pub fn parse_log(bytes: &[u8], path: &Path, visit: impl FnMut(&EventRef<'_>) -> Result<()>) -> Result<LogEnd> {
    check_log(bytes, path, visit)
}

/// How much of a log is read at a time.
const CHUNK_BYTES: usize = 128 * 1024;

/// What reading the next part of a log found.
enum Chunk {
    /// Whole lines, each ending in a newline.
    Lines,
    /// Nothing more to read.
    End,
    /// Bytes after the last newline: a torn line, never acknowledged.
    Torn(Vec<u8>),
    /// The next line is longer than `MAX_LINE_BYTES`.
    LongLine,
}

/// Reads a log a chunk of whole lines at a time, into one reused buffer.
struct Chunks<R> {
    reader: R,
    /// The start of a line whose newline is not read yet.
    carry: Vec<u8>,
}

impl<R: Read> Chunks<R> {
    /// Replaces `lines` with the next whole lines.
    fn next_into(&mut self, lines: &mut Vec<u8>) -> io::Result<Chunk> {
        lines.clear();
        lines.append(&mut self.carry);
        loop {
            if self.fill(lines)? == 0 {
                return Ok(if lines.is_empty() { Chunk::End } else { Chunk::Torn(std::mem::take(lines)) });
            }
            if let Some(newline) = memchr::memrchr(b'\n', lines) {
                self.carry.extend_from_slice(&lines[newline + 1..]);
                lines.truncate(newline + 1);
                return Ok(Chunk::Lines);
            }
            // Without a newline, all of it is one line; a torn tail is never this long either.
            if lines.len() > MAX_LINE_BYTES {
                return Ok(Chunk::LongLine);
            }
        }
    }

    /// Appends up to `CHUNK_BYTES` more bytes to `bytes`; returns how many (0 at the end).
    fn fill(&mut self, bytes: &mut Vec<u8>) -> io::Result<usize> {
        let start = bytes.len();
        bytes.resize(start + CHUNK_BYTES, 0);
        let mut filled = start;
        let result = loop {
            match self.reader.read(&mut bytes[filled..]) {
                Ok(0) => break Ok(filled - start),
                Ok(n) => {
                    filled += n;
                    if filled == bytes.len() {
                        break Ok(filled - start);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        bytes.truncate(filled);
        result
    }
}

/// Reads a log, checks its lines against each other and hands their events to `visit`.
fn check_log(reader: impl Read, path: &Path, mut visit: impl FnMut(&EventRef<'_>) -> Result<()>) -> Result<LogEnd> {
    let mut end = LogEnd { count: 0, last_hash: GENESIS_HASH.to_owned(), len: 0, torn: None };
    // The chain is checked on raw digests; hex is made once, for the head.
    let mut last_digest = [0u8; 32];
    let damaged = |line: u64, reason: String| Error::DamagedState {
        path: path.to_owned(),
        line: usize::try_from(line).unwrap_or(usize::MAX),
        reason,
    };
    let mut chunks = Chunks { reader, carry: Vec::new() };
    let mut lines = Vec::new();
    loop {
        match chunks.next_into(&mut lines).map_err(|e| Error::io("read", path, e))? {
            Chunk::Lines => {}
            Chunk::End => break,
            Chunk::Torn(bytes) => {
                end.torn = Some(bytes);
                break;
            }
            Chunk::LongLine => {
                return Err(damaged(end.count + 1, format!("line is longer than {MAX_LINE_BYTES} bytes")));
            }
        }
        let mut start = 0;
        for newline in memchr::memchr_iter(b'\n', &lines) {
            let number = end.count + 1;
            let body = &lines[start..newline];
            if body.len() > MAX_LINE_BYTES {
                return Err(damaged(number, format!("line is longer than {MAX_LINE_BYTES} bytes")));
            }
            let event = parse_line(body, number, &last_digest).map_err(|reason| damaged(number, reason))?;
            visit(&event)?;
            last_digest = sha256(body);
            end.count = number;
            end.len += (body.len() + 1) as u64;
            start = newline + 1;
        }
    }
    if end.count > 0 {
        end.last_hash = to_hex(&last_digest);
    }
    if end.count == 0 {
        // Not even the first line is whole: there is no run to resume (`create_log` never leaves
        // this behind), and "repairing" it would cut the file to nothing.
        let reason = if end.torn.is_some() { "the log has no complete line" } else { "the log is empty" };
        return Err(damaged(1, format!("{reason} (a run always starts with a `run_started` line)")));
    }
    Ok(end)
}

/// Parses one line and checks it against its place in the chain.
fn parse_line<'a>(body: &'a [u8], number: u64, prev_digest: &[u8; 32]) -> std::result::Result<EventRef<'a>, String> {
    #[derive(Deserialize)]
    struct Version {
        v: u32,
    }
    let quick = std::str::from_utf8(body).ok().and_then(canonical::parse);
    let event: EventRef<'a> = match quick {
        Some(event) => event,
        None => serde_json::from_slice(body).map_err(|e| match serde_json::from_slice::<Version>(body) {
            Ok(Version { v }) if v != STATE_VERSION => {
                format!("unsupported state version (got {v}, supports {STATE_VERSION})")
            }
            _ => format!("not a valid event ({e})"),
        })?,
    };
    if event.v != STATE_VERSION {
        return Err(format!("unsupported state version (got {}, supports {STATE_VERSION})", event.v));
    }
    if event.seq != number {
        return Err(format!(
            "sequence number is {} where {number} was expected (lines missing or reordered)",
            event.seq
        ));
    }
    if !hex_matches(event.prev.as_ref(), prev_digest) {
        return Err(if number == 1 {
            "the first line does not start the hash chain".to_owned()
        } else {
            format!(
                "does not match the hash of line {} (an earlier line was changed, removed or reordered)",
                number - 1
            )
        });
    }
    match (&event.kind, number) {
        (EventKind::RunStarted { .. }, 1) => {}
        (EventKind::RunStarted { .. }, _) => return Err("a second `run_started` line".to_owned()),
        (_, 1) => return Err("the first line is not `run_started`".to_owned()),
        _ => {}
    }
    Ok(event)
}

/// Panics unless the reader of written lines either leaves `line` to `serde_json` or reads it as
/// `serde_json` does. For the `log_parser` fuzz target.
#[doc(hidden)]
pub fn assert_quick_reader_agrees(line: &[u8]) {
    if let Some(quick) = std::str::from_utf8(line).ok().and_then(canonical::parse) {
        let general: Option<EventRef<'_>> = serde_json::from_slice(line).ok();
        assert_eq!(Some(quick), general, "the two readers disagree on {:?}", String::from_utf8_lossy(line));
    }
}

/// Whether `hex` is the lowercase hex of `digest` (the genesis hash is all zeros).
fn hex_matches(hex: &str, digest: &[u8; 32]) -> bool {
    hex.as_bytes() == hex_digits(digest)
}

/// Where appended bytes go. The file is the real one; tests inject failures through this trait.
pub trait Sink {
    /// Appends all of `bytes` at the end.
    fn append(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// Makes everything appended so far durable.
    fn sync(&mut self) -> io::Result<()>;
    /// Cuts the file back to `len` bytes (to drop a line that failed) and makes that durable.
    fn truncate(&mut self, len: u64) -> io::Result<()>;
}

/// The log file, opened for appending.
pub struct FileSink {
    file: File,
}

impl Sink for FileSink {
    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.file.write_all(bytes)
    }
    fn sync(&mut self) -> io::Result<()> {
        self.file.sync_data()
    }
    fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.file.set_len(len)?;
        self.file.sync_all()
    }
}

/// Appends events to a log, keeping the chain. After any failure it refuses further writes: a
/// failed fsync leaves the file's state unknown, so it is not retried as if nothing happened.
pub struct Appender {
    sink: Box<dyn Sink>,
    path: PathBuf,
    next_seq: u64,
    last_hash: String,
    len: u64,
    failed: bool,
}

impl Appender {
    /// Continues a log whose end is `end`.
    pub fn new(sink: Box<dyn Sink>, path: PathBuf, end: &LogEnd) -> Appender {
        Appender { sink, path, next_seq: end.count + 1, last_hash: end.last_hash.clone(), len: end.len, failed: false }
    }

    /// Writes one event and fsyncs it. When this returns `Ok`, the event is on disk.
    pub fn append(&mut self, at: Timestamp, by: &str, kind: EventKind) -> Result<Event> {
        if self.failed {
            return Err(Error::io(
                "append to",
                &self.path,
                io::Error::other(
                    "an earlier write to this log failed; nothing was recorded (nothing more is written in this session)",
                ),
            ));
        }
        let event =
            Event { v: STATE_VERSION, seq: self.next_seq, prev: self.last_hash.clone(), at, by: by.to_owned(), kind };
        let mut line = serde_json::to_vec(&event)
            .map_err(|e| Error::Internal { message: format!("cannot serialise an event: {e}") })?;
        let hash = sha256_hex(&line);
        line.push(b'\n');
        let written = self.sink.append(&line).and_then(|()| self.sink.sync());
        if let Err(source) = written {
            self.failed = true;
            // Drop whatever part of the line reached the file. If that fails too, the line may
            // still be there, whole (only the fsync failed) or torn, so the message cannot promise
            // that nothing was recorded.
            let outcome = match self.sink.truncate(self.len) {
                Ok(()) => "nothing was recorded".to_owned(),
                Err(e) => format!(
                    "the line could not be removed again ({e}), so it may have been recorded; check with `closeacct status` before retrying"
                ),
            };
            let source = io::Error::new(source.kind(), format!("{source}; {outcome}"));
            return Err(Error::io("record to", &self.path, source));
        }
        self.len += line.len() as u64;
        self.next_seq += 1;
        self.last_hash = hash;
        Ok(event)
    }

    /// sha256 of the last line written.
    pub fn last_hash(&self) -> &str {
        &self.last_hash
    }
}

/// The run's lock: held for as long as this value lives. The kernel drops it when the process
/// dies, so a lock left by a dead process never blocks.
#[derive(Debug)]
pub struct RunLock {
    file: File,
}

impl Drop for RunLock {
    /// Clears the pid before the lock goes, so a process that finds the run locked a moment
    /// later waits for the next holder's pid rather than naming this one.
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
    }
}

impl RunLock {
    /// Takes the lock of a run directory, or says which process holds it.
    pub fn acquire(dir: &Path, provider: &str, account: &str) -> Result<RunLock> {
        let path = dir.join(LOCK_FILE);
        refuse_symlink(&path)?;
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .map_err(|e| Error::io("open lock", &path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                let pid = holder_pid(&path);
                return Err(Error::Locked { provider: provider.to_owned(), account: account.to_owned(), pid });
            }
            Err(fs::TryLockError::Error(e)) => return Err(Error::io("lock", &path, e)),
        }
        file.set_len(0)
            .and_then(|()| write!(file, "{}", std::process::id()))
            .map_err(|e| Error::io("write lock", &path, e))?;
        Ok(RunLock { file })
    }
}

/// The pid written in a lock file by its holder; it may be a moment late, so retry briefly.
fn holder_pid(path: &Path) -> String {
    for _ in 0..20 {
        if let Ok(text) = fs::read_to_string(path)
            && !text.trim().is_empty()
        {
            return text.trim().to_owned();
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    "unknown".to_owned()
}

/// Creates the log of a new run with its first event; the file is 0600, created exclusively, and
/// the directory is fsynced so the file's existence survives a crash. The first line is written
/// and fsynced in a temporary file that is then linked into place, so a crash never leaves an
/// empty or torn `events.jsonl` behind (a log without a whole first line cannot be resumed).
pub fn create_log(dir: &Path, at: Timestamp, by: &str, first: EventKind) -> Result<(Appender, Event)> {
    let path = dir.join(EVENTS_FILE);
    let temp = tempfile::Builder::new()
        .prefix(".closeacct-")
        .permissions(fs::Permissions::from_mode(0o600))
        .tempfile_in(dir)
        .map_err(|e| Error::io("create a temporary file in", dir, e))?;
    let file = temp.as_file().try_clone().map_err(|e| Error::io("create", temp.path(), e))?;
    let empty = LogEnd { count: 0, last_hash: GENESIS_HASH.to_owned(), len: 0, torn: None };
    let mut first_line = Appender::new(Box::new(FileSink { file }), temp.path().to_owned(), &empty);
    let event = first_line.append(at, by, first)?;
    let end = LogEnd { count: 1, last_hash: first_line.last_hash.clone(), len: first_line.len, torn: None };
    temp.persist_noclobber(&path).map_err(|e| Error::io("create", &path, e.error))?;
    sync_dir(dir)?;
    let file = OpenOptions::new().append(true).open(&path).map_err(|e| Error::io("open", &path, e))?;
    Ok((Appender::new(Box::new(FileSink { file }), path, &end), event))
}

/// Opens an existing log for appending after it was read, first moving a torn tail aside.
pub fn open_log_for_append(dir: &Path, end: &LogEnd) -> Result<Appender> {
    let path = dir.join(EVENTS_FILE);
    refuse_symlink(&path)?;
    let file = OpenOptions::new().read(true).append(true).open(&path).map_err(|e| Error::io("open", &path, e))?;
    if let Some(torn) = &end.torn {
        set_aside_torn(dir, torn)?;
        file.set_len(end.len)
            .and_then(|()| file.sync_all())
            .map_err(|e| Error::io("set aside torn line of", &path, e))?;
    }
    Ok(Appender::new(Box::new(FileSink { file }), path, end))
}

/// Appends a torn tail to `events.jsonl.torn` (durably) before it is cut from the log.
fn set_aside_torn(dir: &Path, torn: &[u8]) -> Result<()> {
    let path = dir.join(format!("{EVENTS_FILE}.torn"));
    refuse_symlink(&path)?;
    let created = !path.exists();
    let mut file = OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| Error::io("create", &path, e))?;
    file.write_all(torn)
        .and_then(|()| file.write_all(b"\n"))
        .and_then(|()| file.sync_all())
        .map_err(|e| Error::io("write", &path, e))?;
    if created {
        sync_dir(dir)?;
    }
    Ok(())
}

/// Writes a whole file atomically: temp file in the same directory, fsync, rename, fsync dir.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut temp = tempfile::Builder::new()
        .prefix(".closeacct-")
        .permissions(fs::Permissions::from_mode(mode))
        .tempfile_in(&dir)
        .map_err(|e| Error::io("create a temporary file in", &dir, e))?;
    temp.write_all(bytes).and_then(|()| temp.as_file().sync_all()).map_err(|e| Error::io("write", temp.path(), e))?;
    temp.persist(path).map_err(|e| Error::io("replace", path, e.error))?;
    sync_dir(&dir)
}

/// How much of a run a replay keeps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Detail {
    /// Every note and piece of evidence too: what a report shows.
    #[default]
    Full,
    /// Statuses, facts and times, without notes and evidence: what `status`, `verify` and the
    /// wizard use. A long run replays in less time and memory.
    Summary,
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
    pub fn as_str(self) -> &'static str {
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
                set(self.last_step.get_or_insert_with(String::new), step);
            }
            EventKind::NoteAdded { step, note } => {
                let entry = keep.then(|| entry(note));
                self.record(step.as_ref(), at, by).notes.extend(entry);
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
        }
    }
}

/// Reads a run's log into a replay that keeps `detail`.
pub fn replay(dir: &Path, detail: Detail) -> Result<(Replay, LogEnd)> {
    let mut state = Replay { detail, ..Replay::default() };
    let end = read_log(&dir.join(EVENTS_FILE), |event| {
        state.apply(event);
        Ok(())
    })?;
    Ok((state, end))
}

/// The path of the copy of a checklist a run is pinned to.
pub fn pinned_checklist_path(dir: &Path, sha256: &str) -> PathBuf {
    dir.join(format!("checklist-{}.toml", &sha256[..sha256.len().min(16)]))
}

/// Keeps a copy of the checklist text a run is pinned to, so later changes can be shown step by
/// step and reports render what the operator walked.
pub fn pin_checklist(dir: &Path, sha256: &str, text: &str) -> Result<()> {
    let path = pinned_checklist_path(dir, sha256);
    refuse_symlink(&path)?;
    if path.exists() {
        return Ok(());
    }
    write_atomic(&path, text.as_bytes(), 0o600)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn started() -> EventKind {
        EventKind::RunStarted {
            provider: "aws".into(),
            account: "111122223333".into(),
            checklist_version: 1,
            checklist_sha256: "ab".repeat(32),
        }
    }

    fn done(step: &str) -> EventKind {
        EventKind::StepDone { step: step.into(), note: None, evidence: None, attested: None }
    }

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

    /// A log of `events` lines, long enough to span several read chunks, and its lines.
    fn long_log(events: usize) -> (Vec<u8>, Vec<Vec<u8>>) {
        let dir = tempfile::tempdir().unwrap();
        let (mut log, _) = create_log(dir.path(), ts("2026-11-24T10:00:00Z"), "ana", started()).unwrap();
        for i in 1..events {
            // Lines of varying length, so chunk ends fall at different places within them.
            let note = format!("note {i} {}", "x".repeat(i % 97));
            log.append(ts("2026-11-24T10:01:00Z"), "ana", EventKind::NoteAdded { step: "a".into(), note }).unwrap();
        }
        let bytes = fs::read(dir.path().join(EVENTS_FILE)).unwrap();
        let lines = bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()).map(<[u8]>::to_vec).collect();
        (bytes, lines)
    }

    /// Hands out at most a few bytes per read, with interruptions, as a slow pipe might.
    struct Trickle<'a> {
        bytes: &'a [u8],
        calls: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.calls += 1;
            if self.calls.is_multiple_of(5) {
                return Err(io::ErrorKind::Interrupted.into());
            }
            let n = buf.len().min(self.calls % 7 + 1).min(self.bytes.len());
            buf[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }

    #[test]
    fn lines_across_read_chunks_are_read_whole_and_in_order() {
        let (bytes, lines) = long_log(3000);
        assert!(bytes.len() > 3 * CHUNK_BYTES, "the log spans several chunks");
        let expected_head = sha256_hex(lines.last().unwrap());
        let mut seen = Vec::new();
        let end = parse_log(&bytes, Path::new("log"), |e| {
            seen.push(e.seq);
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, (1..=3000).collect::<Vec<u64>>());
        assert_eq!(
            (end.count, end.len, end.torn, end.last_hash.as_str()),
            (3000, bytes.len() as u64, None, &*expected_head)
        );

        let trickled = check_log(Trickle { bytes: &bytes, calls: 0 }, Path::new("log"), |_| Ok(())).unwrap();
        assert_eq!(trickled, parse_log(&bytes, Path::new("log"), |_| Ok(())).unwrap());

        // A torn tail after several chunks is the tail alone.
        let torn = [&bytes[..], b"{\"v\":1,\"se"].concat();
        let end = parse_log(&torn, Path::new("log"), |_| Ok(())).unwrap();
        assert_eq!((end.count, end.torn.as_deref()), (3000, Some(&b"{\"v\":1,\"se"[..])));
    }

    #[test]
    fn an_overlong_line_is_damage_wherever_it_falls() {
        let (bytes, lines) = long_log(1500);
        let line_of = |n: usize| lines[..n].iter().map(|l| l.len() + 1).sum::<usize>();
        let overlong = vec![b'x'; MAX_LINE_BYTES + 1];
        for (at, with_newline) in [(700, true), (700, false), (1500, true), (1500, false)] {
            let damaged =
                [&bytes[..line_of(at)], &overlong, if with_newline { b"\n" } else { b"" }, &bytes[line_of(at)..]]
                    .concat();
            let Err(Error::DamagedState { line, reason, .. }) = parse_log(&damaged, Path::new("log"), |_| Ok(()))
            else {
                panic!("an overlong line at {at} is refused");
            };
            assert_eq!((line, reason.as_str()), (at + 1, &*format!("line is longer than {MAX_LINE_BYTES} bytes")));
        }
        // A line of exactly the limit is a line (here not an event), not an overlong one.
        let at_limit = [&bytes[..line_of(700)], &vec![b'x'; MAX_LINE_BYTES], b"\n"].concat();
        let Err(Error::DamagedState { line: 701, reason, .. }) = parse_log(&at_limit, Path::new("log"), |_| Ok(()))
        else {
            panic!("the line at the limit is read");
        };
        assert!(reason.starts_with("not a valid event"), "{reason}");
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

    #[test]
    fn torn_tail_is_reported_and_set_aside() {
        let dir = tempfile::tempdir().unwrap();
        let (mut log, _) = create_log(dir.path(), ts("2026-11-24T10:00:00Z"), "ana", started()).unwrap();
        log.append(ts("2026-11-24T10:01:00Z"), "ana", done("a")).unwrap();
        drop(log);
        let path = dir.path().join(EVENTS_FILE);
        let whole = fs::read(&path).unwrap();
        fs::write(&path, [&whole[..], b"{\"v\":1,\"seq\":3"].concat()).unwrap();
        let (_, end) = replay(dir.path(), Detail::Full).unwrap();
        assert_eq!(end.count, 2);
        assert_eq!(end.torn.as_deref(), Some(&b"{\"v\":1,\"seq\":3"[..]));
        let mut log = open_log_for_append(dir.path(), &end).unwrap();
        log.append(ts("2026-11-24T10:02:00Z"), "ana", done("b")).unwrap();
        let (state, end) = replay(dir.path(), Detail::Full).unwrap();
        assert_eq!((end.count, end.torn), (3, None));
        assert!(state.steps.contains_key("b"));
        assert_eq!(fs::read(dir.path().join("events.jsonl.torn")).unwrap(), b"{\"v\":1,\"seq\":3\n");
    }

    #[test]
    fn damage_names_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let (mut log, _) = create_log(dir.path(), ts("2026-11-24T10:00:00Z"), "ana", started()).unwrap();
        for step in ["a", "b", "c"] {
            log.append(ts("2026-11-24T10:01:00Z"), "ana", done(step)).unwrap();
        }
        let path = dir.path().join(EVENTS_FILE);
        let original = fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = original.lines().collect();

        let edited = original.replacen("\"a\"", "\"x\"", 1);
        fs::write(&path, &edited).unwrap();
        assert!(matches!(replay(dir.path(), Detail::Full), Err(Error::DamagedState { line: 3, .. })));

        let dropped = format!("{}\n{}\n{}\n", lines[0], lines[2], lines[3]);
        fs::write(&path, &dropped).unwrap();
        assert!(matches!(replay(dir.path(), Detail::Full), Err(Error::DamagedState { line: 2, .. })));

        let swapped = format!("{}\n{}\n{}\n{}\n", lines[0], lines[2], lines[1], lines[3]);
        fs::write(&path, &swapped).unwrap();
        assert!(matches!(replay(dir.path(), Detail::Full), Err(Error::DamagedState { line: 2, .. })));

        let future = original.replacen("{\"v\":1,", "{\"v\":2,", 1);
        fs::write(&path, &future).unwrap();
        let Err(Error::DamagedState { line: 1, reason, .. }) = replay(dir.path(), Detail::Full) else {
            panic!("version not refused")
        };
        assert_eq!(reason, "unsupported state version (got 2, supports 1)");
    }

    struct FailingSink {
        fail_write: bool,
        written: std::rc::Rc<std::cell::RefCell<Vec<u8>>>,
    }

    impl Sink for FailingSink {
        fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
            self.written.borrow_mut().extend_from_slice(&bytes[..bytes.len() / 2]);
            if self.fail_write { Err(io::Error::from(io::ErrorKind::StorageFull)) } else { Ok(()) }
        }
        fn sync(&mut self) -> io::Result<()> {
            Err(io::Error::other("fsync failed"))
        }
        fn truncate(&mut self, len: u64) -> io::Result<()> {
            self.written.borrow_mut().truncate(usize::try_from(len).unwrap());
            Ok(())
        }
    }

    #[test]
    fn a_failed_write_or_sync_rolls_back_and_poisons_the_appender() {
        for fail_write in [true, false] {
            let written = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
            let sink = FailingSink { fail_write, written: written.clone() };
            let end = LogEnd { count: 0, last_hash: GENESIS_HASH.into(), len: 0, torn: None };
            let mut log = Appender::new(Box::new(sink), "events.jsonl".into(), &end);
            let err = log.append(ts("2026-11-24T10:00:00Z"), "ana", started()).unwrap_err();
            assert_eq!(err.exit_code(), 74);
            assert!(written.borrow().is_empty(), "the partial line is cut back");
            let again = log.append(ts("2026-11-24T10:00:00Z"), "ana", started()).unwrap_err();
            assert!(again.to_string().contains("an earlier write to this log failed"), "{again}");
        }
    }
}
