//! Reading a run's log: every line checked against the one before it (sequence number and hash
//! chain), read a chunk at a time so a long log needs little memory.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use serde::Deserialize;

use super::checkpoint::Checkpoint;
use super::dir::refuse_symlink;
use super::event::{EventKind, EventRef};
use super::{GENESIS_HASH, STATE_VERSION, compact_reader};
use crate::digest::{hex_digits, sha256, to_hex};
use crate::error::{Error, Result};

/// Lines longer than this are damage, not data (notes are capped far below it).
pub(crate) const MAX_LINE_BYTES: usize = 1024 * 1024;

/// The end of a log after reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEnd {
    /// Whole lines read.
    pub count: u64,
    /// sha256 of the last whole line, or the genesis hash.
    pub last_hash: String,
    /// Bytes up to the end of the last whole line.
    pub len: u64,
    /// A last line without its newline that is not a whole event: never acknowledged, so not part
    /// of the log.
    pub torn: Option<Vec<u8>>,
    /// The last line is a whole event in the chain that lacks only its newline (the crash came
    /// between the two): it is part of the log, `len` ends at its last byte, and the next writer
    /// adds the newline before anything else.
    pub unterminated: bool,
}

/// Reads and checks the whole log, handing each event to `visit` in order. Any damage other than a
/// torn last line is an error naming the line.
pub fn read_log(path: &Path, mut visit: impl FnMut(&EventRef<'_>) -> Result<()>) -> Result<LogEnd> {
    read_log_at(path, |event, _, _| visit(event))
}

/// Like [`read_log`], handing `visit` each line's sha256 too (the hash `verify` calls a head).
pub(crate) fn read_log_hashed(
    path: &Path,
    mut visit: impl FnMut(&EventRef<'_>, &[u8; 32]) -> Result<()>,
) -> Result<LogEnd> {
    read_checked(path, |event, _, digest| visit(event, digest))
}

/// Where a line is in the log: its offset and length in bytes (without its newline), in one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineAt(u64);

impl LineAt {
    /// Bits of the length: a line is at most `MAX_LINE_BYTES`, 2^20.
    const LEN_BITS: u32 = 21;

    fn new(offset: u64, len: usize) -> LineAt {
        LineAt(offset << Self::LEN_BITS | len as u64)
    }

    /// The offset of the line's first byte.
    pub(crate) fn offset(self) -> u64 {
        self.0 >> Self::LEN_BITS
    }

    /// The line's length, without its newline.
    pub(crate) fn len(self) -> usize {
        usize::try_from(self.0 & ((1 << Self::LEN_BITS) - 1)).expect("a line length fits")
    }
}

/// `read_log`, telling `visit` where each event's line is.
pub(crate) fn read_log_at(
    path: &Path,
    visit: impl FnMut(&EventRef<'_>, LineAt, &[u8; 32]) -> Result<()>,
) -> Result<LogEnd> {
    read_checked(path, visit)
}

/// Logs at least this long are read on two threads, when there are two: one reads each chunk and
/// hashes its lines while the other parses and replays the chunk before it. A shorter log is done
/// before a thread would be.
const PIPELINE_FROM_BYTES: u64 = 1024 * 1024;

/// Reads and checks a log, on two threads if it is long.
fn read_checked(path: &Path, mut visit: impl FnMut(&EventRef<'_>, LineAt, &[u8; 32]) -> Result<()>) -> Result<LogEnd> {
    let (file, len) = open_log(path)?;
    let two_cores = || std::thread::available_parallelism().is_ok_and(|n| n.get() > 1);
    if len >= PIPELINE_FROM_BYTES && two_cores() {
        // No thread to be had (a process limit): read it on this one, from the start.
        if let Some(read) = check_log_pipelined(file, path, &mut visit) {
            return read;
        }
        return check_log(open_log(path)?.0, path, None, visit);
    }
    check_log(file, path, None, visit)
}

/// Opens a log to read: a regular file, never through a symbolic link; with its length.
fn open_log(path: &Path) -> Result<(File, u64)> {
    refuse_symlink(path)?;
    let file = File::open(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => Error::NoSuchFile { path: path.to_owned() },
        _ => Error::io("read", path, e),
    })?;
    let meta = file.metadata().map_err(|e| Error::io("read", path, e))?;
    if !meta.is_file() {
        return Err(Error::DamagedFile { path: path.to_owned(), reason: "it is not a regular file".to_owned() });
    }
    Ok((file, meta.len()))
}

/// `read_log` over bytes already in memory (fuzzing, tests); `path` only names them in errors.
pub fn parse_log(bytes: &[u8], path: &Path, mut visit: impl FnMut(&EventRef<'_>) -> Result<()>) -> Result<LogEnd> {
    check_log(bytes, path, None, |event, _, _| visit(event))
}

/// What a writer trusts of a log it wrote before (see `checkpoint`), and the CRC it carries on.
pub(crate) struct Trust {
    /// Up to its `len`, lines are checked against the checkpoint instead of the hash chain.
    pub(crate) checkpoint: Option<Checkpoint>,
    /// CRC-32 of the whole lines read so far.
    pub(crate) crc: crc32fast::Hasher,
    /// Set when the checkpoint does not match the log: the read stopped there, and must be made
    /// again without it.
    pub(crate) stale: bool,
}

/// `read_log` for a writer: the lines up to `trust`'s checkpoint are parsed and checked against
/// it (their bytes' CRC, the last one's sha256 and sequence number) rather than hashed one by
/// one; the lines after it are checked as `read_log` checks them. A checkpoint that does not
/// match stops the read with `trust.stale` set.
pub(crate) fn read_log_trusting(
    path: &Path,
    trust: &mut Trust,
    mut visit: impl FnMut(&EventRef<'_>) -> Result<()>,
) -> Result<LogEnd> {
    check_log(open_log(path)?.0, path, Some(trust), |event, _, _| visit(event))
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
    /// How much the next read asks for: small at first, so that a short log (an overview reads
    /// a thousand of them) is not read into 128 KiB of freshly zeroed memory; doubling up to
    /// [`CHUNK_BYTES`] for a long one.
    want: usize,
}

/// The first read of a log.
const FIRST_READ_BYTES: usize = 16 * 1024;

impl<R: Read> Chunks<R> {
    fn new(reader: R) -> Chunks<R> {
        Chunks { reader, carry: Vec::new(), want: FIRST_READ_BYTES }
    }

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
        bytes.resize(start + self.want, 0);
        self.want = (self.want * 2).min(CHUNK_BYTES);
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
fn check_log(
    reader: impl Read,
    path: &Path,
    trust: Option<&mut Trust>,
    visit: impl FnMut(&EventRef<'_>, LineAt, &[u8; 32]) -> Result<()>,
) -> Result<LogEnd> {
    let mut chunks = Chunks::new(reader);
    check_chunks(|lines, _| chunks.next_into(lines), path, trust, visit)
}

/// [`check_log`] on two threads: a reader thread reads each chunk and hashes its lines while this
/// one checks and visits the chunk before, with the digests made there. The checks, their order
/// and so every error are those of `check_log`; only where the hashing happens differs. `None`
/// when no thread could be started (nothing was read or visited).
fn check_log_pipelined(
    reader: impl Read + Send,
    path: &Path,
    visit: impl FnMut(&EventRef<'_>, LineAt, &[u8; 32]) -> Result<()>,
) -> Option<Result<LogEnd>> {
    type Hashed = (Chunk, Vec<u8>, Vec<[u8; 32]>);
    std::thread::scope(|scope| {
        // One chunk hashed ahead, at most: the memory stays that of a few chunks.
        let (hashed_tx, hashed_rx) = std::sync::mpsc::sync_channel::<io::Result<Hashed>>(1);
        let (spent_tx, spent_rx) = std::sync::mpsc::channel::<(Vec<u8>, Vec<[u8; 32]>)>();
        let reading = std::thread::Builder::new().name("log reader".to_owned()).spawn_scoped(scope, move || {
            let mut chunks = Chunks::new(reader);
            loop {
                let (mut lines, mut digests) = spent_rx.try_recv().unwrap_or_default();
                digests.clear();
                let chunk = chunks.next_into(&mut lines);
                let more = matches!(chunk, Ok(Chunk::Lines));
                if more {
                    let mut start = 0;
                    for newline in memchr::memchr_iter(b'\n', &lines) {
                        digests.push(sha256(&lines[start..newline]));
                        start = newline + 1;
                    }
                }
                // Sending fails once the checking side has stopped (damage found): so does this.
                if hashed_tx.send(chunk.map(|chunk| (chunk, lines, digests))).is_err() || !more {
                    return;
                }
            }
        });
        if reading.is_err() {
            return None;
        }
        // Moved in, so the channels close when the check ends, however it ends.
        let next = move |lines: &mut Vec<u8>, digests: &mut Vec<[u8; 32]>| {
            let (chunk, read, hashed) =
                hashed_rx.recv().map_err(|_| io::Error::other("the reading thread stopped"))??;
            let spent = (std::mem::replace(lines, read), std::mem::replace(digests, hashed));
            let _ = spent_tx.send(spent);
            Ok(chunk)
        };
        Some(check_chunks(next, path, None, visit))
    })
}

/// The check of [`check_log`] over chunks from `next`, which fills `lines` with the next whole
/// lines and, if it hashed them, `digests` with their sha256 in order (else leaves it empty).
fn check_chunks(
    mut next: impl FnMut(&mut Vec<u8>, &mut Vec<[u8; 32]>) -> io::Result<Chunk>,
    path: &Path,
    mut trust: Option<&mut Trust>,
    mut visit: impl FnMut(&EventRef<'_>, LineAt, &[u8; 32]) -> Result<()>,
) -> Result<LogEnd> {
    // The length up to which lines are trusted to the checkpoint, and whether it was reached.
    let trusted_len = trust.as_ref().and_then(|t| t.checkpoint.as_ref()).map_or(0, |c| c.len);
    let mut reached = trusted_len == 0;
    let mut end = LogEnd { count: 0, last_hash: GENESIS_HASH.to_owned(), len: 0, torn: None, unterminated: false };
    // The chain is checked on raw digests; hex is made once, for the head.
    let mut last_digest = [0u8; 32];
    let damaged = |line: u64, reason: String| Error::DamagedState {
        path: path.to_owned(),
        line: usize::try_from(line).unwrap_or(usize::MAX),
        reason,
    };
    let mut lines = Vec::new();
    let mut digests = Vec::new();
    loop {
        match next(&mut lines, &mut digests).map_err(|e| Error::io("read", path, e))? {
            Chunk::Lines => {}
            Chunk::End => break,
            Chunk::Torn(bytes) => {
                let number = end.count + 1;
                if let Ok(event) = parse_line(&bytes, number, &last_digest, true) {
                    last_digest = sha256(&bytes);
                    visit(&event, LineAt::new(end.len, bytes.len()), &last_digest)?;
                    end.count = number;
                    end.len += bytes.len() as u64;
                    end.unterminated = true;
                } else {
                    end.torn = Some(bytes);
                }
                break;
            }
            Chunk::LongLine => {
                return Err(damaged(end.count + 1, format!("line is longer than {MAX_LINE_BYTES} bytes")));
            }
        }
        let mut start = 0;
        for (index, newline) in memchr::memchr_iter(b'\n', &lines).enumerate() {
            let number = end.count + 1;
            let body = &lines[start..newline];
            if body.len() > MAX_LINE_BYTES {
                return Err(damaged(number, format!("line is longer than {MAX_LINE_BYTES} bytes")));
            }
            let line_end = end.len + body.len() as u64 + 1;
            let trusted = line_end <= trusted_len;
            if !trusted && !reached {
                // The checkpoint's length falls inside a line: it is not of this log.
                return Ok(stale(trust, end));
            }
            let event = parse_line(body, number, &last_digest, !trusted).map_err(|reason| damaged(number, reason))?;
            // A line trusted to the checkpoint is not hashed (but the checkpoint's own).
            if !trusted || line_end == trusted_len {
                last_digest = digests.get(index).copied().unwrap_or_else(|| sha256(body));
            }
            visit(&event, LineAt::new(end.len, body.len()), &last_digest)?;
            if let Some(trust) = trust.as_deref_mut() {
                trust.crc.update(&lines[start..=newline]);
            }
            if trusted && line_end == trusted_len {
                let trust = trust.as_deref_mut().expect("a trusted line has a checkpoint");
                let checkpoint = trust.checkpoint.as_ref().expect("a trusted line has a checkpoint");
                let holds = event.seq == checkpoint.seq
                    && hex_matches(&checkpoint.head, &last_digest)
                    && trust.crc.clone().finalize() == checkpoint.crc;
                if !holds {
                    return Ok(stale(Some(trust), end));
                }
                reached = true;
            }
            end.count = number;
            end.len += (body.len() + 1) as u64;
            start = newline + 1;
        }
    }
    if !reached {
        // The log ends before the checkpoint: it is not of this log.
        return Ok(stale(trust, end));
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

/// Marks a read as stale: its checkpoint does not match the log.
fn stale(trust: Option<&mut Trust>, end: LogEnd) -> LogEnd {
    if let Some(trust) = trust {
        trust.stale = true;
    }
    end
}

/// Parses one line and checks it against its place in the chain (its `prev` against
/// `prev_digest` only with `chain`: a line a checkpoint vouches for is checked through it).
fn parse_line<'a>(
    body: &'a [u8],
    number: u64,
    prev_digest: &[u8; 32],
    chain: bool,
) -> std::result::Result<EventRef<'a>, String> {
    #[derive(Deserialize)]
    struct Version {
        v: u32,
    }
    if let Some(reason) = conflict_marker(body, number) {
        return Err(reason);
    }
    let quick = std::str::from_utf8(body).ok().and_then(compact_reader::parse);
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
    if event.seq < number {
        return Err(went_back(body, event.seq, number, prev_digest));
    }
    if event.seq != number {
        return Err(format!(
            "sequence number is {} where {number} was expected (lines missing or reordered)",
            event.seq
        ));
    }
    if chain && !hex_matches(event.prev.as_ref(), prev_digest) {
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

/// The reason for a line that is a git conflict marker: the same run was extended in two clones
/// and git's textual merge of the two logs was committed as it stood. The histories part where
/// `<<<<<<<` stands: the line of sequence `number` is the first that differs.
fn conflict_marker(body: &[u8], number: u64) -> Option<String> {
    let marker = [&b"<<<<<<<"[..], b"|||||||", b"=======", b">>>>>>>"].into_iter().find(|m| body.starts_with(m))?;
    let marker = String::from_utf8_lossy(marker);
    let at = if marker == "<<<<<<<" {
        format!("; the two histories differ from sequence number {number} on")
    } else {
        String::new()
    };
    Some(format!(
        "a git conflict marker (`{marker}`): the run was extended in two places (two clones) and their logs were merged, which a log cannot be (a fork{at}); keep one history as the run and the other beside it"
    ))
}

/// The reason for a line whose sequence number `seq` goes back where `number` was expected: the
/// line before repeated, or a fork — the run was extended in two places and the two logs were
/// put together (git's union merge, or lines copied from another clone), so `seq` is the first
/// sequence number the two histories hold differently.
fn went_back(body: &[u8], seq: u64, number: u64, prev_digest: &[u8; 32]) -> String {
    if seq + 1 == number && sha256(body) == *prev_digest {
        return format!("this line repeats line {} (a doubled line)", number - 1);
    }
    format!(
        "sequence number {seq} again, after {}: the log holds two histories (a fork: the run was extended in two places, such as two clones, and their logs were merged); the first differing sequence number is {seq}",
        number - 1
    )
}

/// Panics unless the reader of written lines either leaves `line` to `serde_json` or reads it as
/// `serde_json` does. For the `log_parser` fuzz target.
#[doc(hidden)]
pub fn assert_quick_reader_agrees(line: &[u8]) {
    if let Some(quick) = std::str::from_utf8(line).ok().and_then(compact_reader::parse) {
        let general: Option<EventRef<'_>> = serde_json::from_slice(line).ok();
        assert_eq!(Some(quick), general, "the two readers disagree on {:?}", String::from_utf8_lossy(line));
    }
}

/// Whether `hex` is the lowercase hex of `digest` (the genesis hash is all zeros).
fn hex_matches(hex: &str, digest: &[u8; 32]) -> bool {
    hex.as_bytes() == hex_digits(digest)
}

#[cfg(test)]
mod tests;
