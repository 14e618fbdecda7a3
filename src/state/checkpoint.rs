//! The writer's checkpoint: where the log ended when closeacct last wrote to it, so that the next
//! write need not hash every line again.
//!
//! Every write used to replay the whole log and sha256 every line of it, so building a run of
//! 10,000 events cost a quadratic amount of hashing. After each append the writer now records
//! `checkpoint` beside the log: the head's sequence number, its byte length, the sha256 of its last
//! line and a CRC-32 of every byte up to it. The next write reads the whole log again and checks
//! every byte of it, but the bytes up to the checkpoint only against that CRC (a hardware CRC is
//! about ten times cheaper than sha256), the last line before it against its sha256, and the lines
//! after it through the hash chain as before. Any mismatch, or a checkpoint that is missing, torn
//! or unreadable, and the write checks the whole chain instead, which names any damage.
//!
//! The checkpoint is a cache, not a record: it is never committed (`.gitignore`), readers
//! (`verify`, `status`, `report`) never use it, and whoever could rewrite the log could rewrite it
//! too, so it proves nothing: the sha256 chain, which every reader checks whole, does.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::EVENTS_FILE;
use super::append::{Appender, open_log_for_append};
use super::dir::refuse_symlink;
use super::log::{LogEnd, Trust, read_log_trusting};
use super::replay::{Detail, Replay};
use crate::error::{Error, Result};

/// The checkpoint's file name in a run directory.
pub(crate) const CHECKPOINT_FILE: &str = "checkpoint";

/// Where a log ended after a write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Checkpoint {
    /// The sequence number of the last line.
    pub(crate) seq: u64,
    /// The log's length in bytes, up to the end of that line.
    pub(crate) len: u64,
    /// sha256 of the last line (hex), as the next line's `prev` must be.
    pub(crate) head: String,
    /// CRC-32 of every byte of the log up to `len`.
    pub(crate) crc: u32,
}

/// The first word of a checkpoint file, with the format's version.
const MAGIC: &str = "closeacct-checkpoint 1";

impl Checkpoint {
    /// The checkpoint in `dir`, if there is a whole, well-formed one (a symbolic link is ignored).
    pub(crate) fn read(dir: &Path) -> Option<Checkpoint> {
        let path = dir.join(CHECKPOINT_FILE);
        refuse_symlink(&path).ok()?;
        let text = std::fs::read_to_string(path).ok()?;
        Checkpoint::parse(&text)
    }

    fn parse(text: &str) -> Option<Checkpoint> {
        let mut words = text.strip_prefix(MAGIC)?.strip_suffix('\n')?.split(' ').skip(1);
        let mut field = |name: &str| words.next()?.strip_prefix(name)?.strip_prefix('=').map(str::to_owned);
        let checkpoint = Checkpoint {
            seq: field("seq")?.parse().ok()?,
            len: field("len")?.parse().ok()?,
            head: field("head")?,
            crc: u32::from_str_radix(&field("crc")?, 16).ok()?,
        };
        let hex =
            checkpoint.head.len() == 64 && checkpoint.head.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        (hex && words.next().is_none()).then_some(checkpoint)
    }

    fn render(&self) -> String {
        format!("{MAGIC} seq={} len={} head={} crc={:08x}\n", self.seq, self.len, self.head, self.crc)
    }

    /// Writes the checkpoint into `dir`, best effort: it is only a cache, checked before it is
    /// used, so a failure (or a crash half-way) costs the next write a full check, nothing more.
    pub(crate) fn write(&self, dir: &Path) {
        let path = dir.join(CHECKPOINT_FILE);
        if refuse_symlink(&path).is_err() {
            return;
        }
        let written = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&path)
            .and_then(|mut file| file.write_all(self.render().as_bytes()));
        let _ = written;
    }
}

/// Replays a run's log for a write and opens it for appending, keeping the checkpoint: the log is
/// checked against the checkpoint when there is one that holds, else through the whole chain.
pub(crate) fn open_for_write(dir: &Path) -> Result<(Replay, LogEnd, Appender)> {
    let path = dir.join(EVENTS_FILE);
    let read = |checkpoint: Option<Checkpoint>| {
        let mut trust = Trust { checkpoint, crc: crc32fast::Hasher::new(), stale: false };
        let mut replay = Replay { detail: Detail::Summary, ..Replay::default() };
        let end = read_log_trusting(&path, &mut trust, |event| {
            replay.apply(event);
            Ok(())
        });
        (replay, end, trust)
    };
    let checkpoint = Checkpoint::read(dir);
    let trusted = checkpoint.clone().map(|checkpoint| read(Some(checkpoint)));
    // Anything amiss with the checkpoint (or the log) and the whole chain is checked, which
    // names any damage as every reader does.
    let (replay, end, trust) = match trusted {
        Some((replay, Ok(end), trust)) if !trust.stale => (replay, end, trust),
        _ => {
            let (replay, end, trust) = read(None);
            (replay, end?, trust)
        }
    };
    if let Some(checkpoint) = checkpoint.filter(|c| end.torn.is_some() && c.seq > end.count && c.len > end.len) {
        // A crash tears only a line that was never confirmed; this one was, whole and fsynced,
        // before the checkpoint named it: the file was cut afterwards. Setting it aside would
        // reuse its sequence number for something else.
        return Err(Error::DamagedState {
            path,
            line: usize::try_from(end.count + 1).unwrap_or(usize::MAX),
            reason: format!(
                "the log ends part-way through this line, but event {} was recorded whole, up to byte {} (as `checkpoint` in the run directory says): the file was cut after it was written, not torn by a crash (if that checkpoint is not this log's, remove it)",
                checkpoint.seq, checkpoint.len
            ),
        });
    }
    let mut appender = open_log_for_append(dir, &end)?;
    appender.keep_checkpoint(dir, trust.crc);
    Ok((replay, end, appender))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_reads_back_and_anything_else_is_no_checkpoint() {
        let checkpoint = Checkpoint { seq: 12, len: 3456, head: "ab".repeat(32), crc: 0x00c0_ffee };
        assert_eq!(Checkpoint::parse(&checkpoint.render()), Some(checkpoint.clone()));
        let text = checkpoint.render();
        for bad in
            [&text[..text.len() - 1], &text[..20], "", &text.replace("seq=12", "seq=x"), &text.replace("ab", "AB")]
        {
            assert_eq!(Checkpoint::parse(bad), None, "{bad:?}");
        }
    }

    /// A write trusts the checkpoint only while every byte up to it is as it was: any change
    /// before it, or a checkpoint that is stale, torn or of another log, and the whole chain is
    /// checked, naming the damage as readers do.
    #[test]
    fn a_write_checks_every_byte_through_the_checkpoint() {
        use crate::error::Error;
        use crate::state::create_log;
        use crate::state::testing::{done, started, ts};
        let dir = tempfile::tempdir().unwrap();
        let (mut log, _) = create_log(dir.path(), ts("2026-11-24T10:00:00Z"), "ana", started()).unwrap();
        for step in ["a", "b", "c"] {
            log.append(ts("2026-11-24T10:01:00Z"), "ana", done(step)).unwrap();
        }
        drop(log);
        let path = dir.path().join(EVENTS_FILE);
        let whole = std::fs::read(&path).unwrap();
        let checkpoint = Checkpoint::read(dir.path()).expect("each append leaves a checkpoint");
        assert_eq!((checkpoint.seq, checkpoint.len), (4, whole.len() as u64));
        assert_eq!(checkpoint.crc, crc32fast::hash(&whole));

        // Through the checkpoint: the same replay and head as the full check, and it goes on.
        let (replay, end, mut appender) = open_for_write(dir.path()).unwrap();
        assert_eq!((replay.events, end.count), (4, 4));
        appender.append(ts("2026-11-24T10:02:00Z"), "ana", done("d")).unwrap();
        drop(appender);
        let whole = std::fs::read(&path).unwrap();
        assert_eq!(Checkpoint::read(dir.path()).unwrap().crc, crc32fast::hash(&whole));

        // A byte of line 2 changed so that it still parses: found, though no line is hashed.
        let at = whole.windows(9).position(|w| w == br#""step":"a"#).unwrap() + 8;
        let mut edited = whole.clone();
        edited[at] = b'x';
        std::fs::write(&path, &edited).unwrap();
        let Err(Error::DamagedState { line: 3, .. }) = open_for_write(dir.path()) else {
            panic!("an edited line before the checkpoint is refused")
        };
        assert_eq!(std::fs::read(&path).unwrap(), edited, "nothing was written");
        std::fs::write(&path, &whole).unwrap();

        // A checkpoint that is torn, stale or of another log is no checkpoint.
        let good = std::fs::read(dir.path().join(CHECKPOINT_FILE)).unwrap();
        let stale = Checkpoint { seq: 3, len: 10, head: "00".repeat(32), crc: 1 };
        for bad in [good[..good.len() / 2].to_vec(), stale.render().into_bytes()] {
            std::fs::write(dir.path().join(CHECKPOINT_FILE), bad).unwrap();
            let (_, end, _) = open_for_write(dir.path()).unwrap();
            assert_eq!(end.count, 5);
            assert_eq!(std::fs::read(dir.path().join(CHECKPOINT_FILE)).unwrap(), good, "a full check writes it anew");
        }
    }
}
