//! Writing a run's log: one event a line, each written and fsynced before it is acknowledged, and
//! a new log created so that a crash never leaves a run that cannot be opened.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use jiff::Timestamp;

use super::checkpoint::Checkpoint;
use super::dir::{refuse_symlink, sync_dir};
use super::event::{Event, EventKind};
use super::log::{LogEnd, MAX_LINE_BYTES};
use super::{EVENTS_FILE, GENESIS_HASH, STATE_VERSION};
use crate::digest::sha256_hex;
use crate::error::{Error, Result};

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
pub(crate) struct FileSink {
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
    /// The CRC of the log so far and the run directory, when a checkpoint is kept after each
    /// append (see `checkpoint`).
    checkpoint: Option<(crc32fast::Hasher, Option<PathBuf>)>,
}

impl Appender {
    /// Continues a log whose end is `end`.
    pub fn new(sink: Box<dyn Sink>, path: PathBuf, end: &LogEnd) -> Appender {
        Appender {
            sink,
            path,
            next_seq: end.count + 1,
            last_hash: end.last_hash.clone(),
            len: end.len,
            failed: false,
            checkpoint: None,
        }
    }

    /// Keeps the checkpoint in `dir` after each append, carrying on `crc`, the CRC of the log's
    /// bytes so far; and writes it now.
    pub(crate) fn keep_checkpoint(&mut self, dir: &Path, crc: crc32fast::Hasher) {
        self.checkpoint = Some((crc, Some(dir.to_owned())));
        self.write_checkpoint();
    }

    fn write_checkpoint(&self) {
        if let Some((crc, Some(dir))) = &self.checkpoint
            && self.next_seq > 1
        {
            let head = self.last_hash.clone();
            Checkpoint { seq: self.next_seq - 1, len: self.len, head, crc: crc.clone().finalize() }.write(dir);
        }
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
        // The reader refuses longer lines as damage: never write one.
        if line.len() > MAX_LINE_BYTES {
            return Err(Error::Internal {
                message: format!(
                    "an event of {} bytes is longer than a log line may be ({MAX_LINE_BYTES}); nothing was recorded",
                    line.len()
                ),
            });
        }
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
        if let Some((crc, _)) = &mut self.checkpoint {
            crc.update(&line);
        }
        self.write_checkpoint();
        Ok(event)
    }

    /// sha256 of the last line written.
    pub fn last_hash(&self) -> &str {
        &self.last_hash
    }
}

/// Creates the log of a new run with its first event; the file is 0600, created exclusively, and
/// the directory is fsynced so the file's existence survives a crash. The first line is written
/// and fsynced in a temporary file that is then linked into place, so a crash never leaves an
/// empty or torn `events.jsonl` behind (a log without a whole first line cannot be resumed).
pub(crate) fn create_log(dir: &Path, at: Timestamp, by: &str, first: EventKind) -> Result<(Appender, Event)> {
    let path = dir.join(EVENTS_FILE);
    let temp = tempfile::Builder::new()
        .prefix(super::dir::TEMP_PREFIX)
        .permissions(fs::Permissions::from_mode(0o600))
        .tempfile_in(dir)
        .map_err(|e| Error::io("create a temporary file in", dir, e))?;
    let file = temp.as_file().try_clone().map_err(|e| Error::io("create", temp.path(), e))?;
    let empty = LogEnd { count: 0, last_hash: GENESIS_HASH.to_owned(), len: 0, torn: None, unterminated: false };
    let mut first_line = Appender::new(Box::new(FileSink { file }), temp.path().to_owned(), &empty);
    first_line.checkpoint = Some((crc32fast::Hasher::new(), None));
    let event = first_line.append(at, by, first)?;
    let end = LogEnd {
        count: 1,
        last_hash: first_line.last_hash.clone(),
        len: first_line.len,
        torn: None,
        unterminated: false,
    };
    temp.persist_noclobber(&path).map_err(|e| Error::io("create", &path, e.error))?;
    sync_dir(dir)?;
    let file = OpenOptions::new().append(true).open(&path).map_err(|e| Error::io("open", &path, e))?;
    let mut appender = Appender::new(Box::new(FileSink { file }), path, &end);
    if let Some((crc, _)) = first_line.checkpoint {
        appender.keep_checkpoint(dir, crc);
    }
    Ok((appender, event))
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
    if end.unterminated {
        let mut sink = FileSink { file };
        sink.append(b"\n").and_then(|()| sink.sync()).map_err(|e| Error::io("end the last line of", &path, e))?;
        let ended = LogEnd { len: end.len + 1, unterminated: false, ..end.clone() };
        return Ok(Appender::new(Box::new(sink), path, &ended));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::testing::{done, started, ts};
    use crate::state::{Detail, replay};

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
            let end = LogEnd { count: 0, last_hash: GENESIS_HASH.into(), len: 0, torn: None, unterminated: false };
            let mut log = Appender::new(Box::new(sink), "events.jsonl".into(), &end);
            let err = log.append(ts("2026-11-24T10:00:00Z"), "ana", started()).unwrap_err();
            assert_eq!(err.exit_code(), 74);
            assert!(written.borrow().is_empty(), "the partial line is cut back");
            let again = log.append(ts("2026-11-24T10:00:00Z"), "ana", started()).unwrap_err();
            assert!(again.to_string().contains("an earlier write to this log failed"), "{again}");
        }
    }
}
