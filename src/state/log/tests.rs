//! The log reader's tests: chunks, damage, forks, and the two-thread reader.

use std::fs;

use super::*;
use crate::digest::sha256_hex;
use crate::state::testing::{done, started, ts};
use crate::state::{Detail, EVENTS_FILE, EventKind, create_log, replay};

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

/// An event visited: its sequence number, where its line is, its digest.
type Visited = (u64, LineAt, [u8; 32]);

/// Reads `bytes` with the one-thread reader or the two-thread one: how it ended, and each
/// event visited with where its line is and its digest. A visit of sequence number `stop_at`
/// fails, as a replay that finds something wrong does.
fn read_both_ways(bytes: &[u8], pipelined: bool, stop_at: u64) -> (std::result::Result<LogEnd, String>, Vec<Visited>) {
    let mut seen = Vec::new();
    let visit = |event: &EventRef<'_>, at: LineAt, digest: &[u8; 32]| {
        if event.seq == stop_at {
            return Err(Error::usage("stopped by the visit"));
        }
        seen.push((event.seq, at, *digest));
        Ok(())
    };
    let path = Path::new("log");
    let end = if pipelined {
        check_log_pipelined(bytes, path, visit).expect("a thread")
    } else {
        check_log(bytes, path, None, visit)
    };
    (end.map_err(|e| e.to_string()), seen)
}

/// The two-thread reader is the one-thread reader with the hashing moved to the thread that
/// reads: on a long log, and on damage of every kind at places across it (chunk ends among
/// them), both visit the same events with the same digests and end the same way, with the
/// same end or the same error.
#[test]
fn the_two_thread_reader_agrees_with_the_one_thread_reader() {
    let (bytes, lines) = long_log(1500);
    assert!(bytes.len() > FIRST_READ_BYTES + CHUNK_BYTES, "the log spans several chunks");
    let mut cases = vec![bytes.clone()];
    for offset in (0..bytes.len()).step_by(bytes.len() / 50) {
        for flip in [0x20, 0x01] {
            let mut damaged = bytes.clone();
            damaged[offset] ^= flip;
            cases.push(damaged);
        }
        let mut cut = bytes.clone();
        cut.remove(offset);
        cases.push(cut);
    }
    let joined = |lines: &[Vec<u8>]| lines.iter().flat_map(|l| l.iter().copied().chain([b'\n'])).collect::<Vec<u8>>();
    for at in [1, 700, 1499] {
        let mut without = lines.clone();
        without.remove(at);
        cases.push(joined(&without));
        let mut doubled = lines.clone();
        doubled.insert(at, lines[at].clone());
        cases.push(joined(&doubled));
        let mut swapped = lines.clone();
        swapped.swap(at - 1, at);
        cases.push(joined(&swapped));
    }
    cases.push([&bytes[..], b"{\"v\":1,\"se"].concat());
    cases.push(bytes[..bytes.len() - 1].to_vec());
    cases.push([&bytes[..], &vec![b'x'; MAX_LINE_BYTES + 10][..], b"\n"].concat());
    let mut refused = 0;
    for (i, case) in cases.iter().enumerate() {
        let one = read_both_ways(case, false, 0);
        assert_eq!(one, read_both_ways(case, true, 0), "case {i}");
        refused += usize::from(one.0.is_err());
    }
    assert!(refused > 140, "most cases are damage, refused: {refused} of {}", cases.len());
    // A visit that fails half-way stops both the same way (and the reading thread with it).
    let one = read_both_ways(&bytes, false, 1000);
    assert_eq!(one, read_both_ways(&bytes, true, 1000));
    assert_eq!((one.0.unwrap_err().as_str(), one.1.len()), ("stopped by the visit", 999));
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

    let trickled = check_log(Trickle { bytes: &bytes, calls: 0 }, Path::new("log"), None, |_, _, _| Ok(())).unwrap();
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
            [&bytes[..line_of(at)], &overlong, if with_newline { b"\n" } else { b"" }, &bytes[line_of(at)..]].concat();
        let Err(Error::DamagedState { line, reason, .. }) = parse_log(&damaged, Path::new("log"), |_| Ok(())) else {
            panic!("an overlong line at {at} is refused");
        };
        assert_eq!((line, reason.as_str()), (at + 1, &*format!("line is longer than {MAX_LINE_BYTES} bytes")));
    }
    // A line of exactly the limit is a line (here not an event), not an overlong one.
    let at_limit = [&bytes[..line_of(700)], &vec![b'x'; MAX_LINE_BYTES], b"\n"].concat();
    let Err(Error::DamagedState { line: 701, reason, .. }) = parse_log(&at_limit, Path::new("log"), |_| Ok(())) else {
        panic!("the line at the limit is read");
    };
    assert!(reason.starts_with("not a valid event"), "{reason}");
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

    let doubled = format!("{}\n{}\n{}\n{}\n{}\n", lines[0], lines[1], lines[1], lines[2], lines[3]);
    fs::write(&path, &doubled).unwrap();
    let Err(Error::DamagedState { line: 3, reason, .. }) = replay(dir.path(), Detail::Full) else {
        panic!("a doubled line is refused")
    };
    assert_eq!(reason, "this line repeats line 2 (a doubled line)");

    let future = original.replacen("{\"v\":1,", "{\"v\":2,", 1);
    fs::write(&path, &future).unwrap();
    let Err(Error::DamagedState { line: 1, reason, .. }) = replay(dir.path(), Detail::Full) else {
        panic!("version not refused")
    };
    assert_eq!(reason, "unsupported state version (got 2, supports 1)");
}

/// Two clones extend the same run from line 2: line 3 differs. Merged as git's union merge
/// writes it (ours, then theirs) or committed with its conflict markers, the log is refused
/// as a fork naming sequence number 3.
#[test]
fn two_histories_merged_into_one_log_are_a_fork_at_the_first_differing_sequence() {
    let dir = tempfile::tempdir().unwrap();
    let (mut log, _) = create_log(dir.path(), ts("2026-11-24T10:00:00Z"), "ana", started()).unwrap();
    log.append(ts("2026-11-24T10:01:00Z"), "ana", done("a")).unwrap();
    drop(log);
    let path = dir.path().join(EVENTS_FILE);
    let common = fs::read(&path).unwrap();
    let extend = |by: &str, steps: &[&str]| {
        fs::write(&path, &common).unwrap();
        let (_, end) = replay(dir.path(), Detail::Summary).unwrap();
        let mut log = crate::state::open_log_for_append(dir.path(), &end).unwrap();
        for step in steps {
            log.append(ts("2026-11-24T11:00:00Z"), by, done(step)).unwrap();
        }
        fs::read(&path).unwrap()[common.len()..].to_vec()
    };
    let ours = extend("ana", &["b", "c"]);
    let theirs = extend("bo", &["d"]);
    let union = [&common[..], &ours, &theirs].concat();
    let Err(Error::DamagedState { line: 5, reason, .. }) = parse_log(&union, &path, |_| Ok(())) else {
        panic!("a union merge is refused")
    };
    assert!(reason.contains("a fork") && reason.ends_with("the first differing sequence number is 3"), "{reason}");
    let conflicted = [&common[..], b"<<<<<<< HEAD\n", &ours, b"=======\n", &theirs, b">>>>>>> other\n"].concat();
    let Err(Error::DamagedState { line: 3, reason, .. }) = parse_log(&conflicted, &path, |_| Ok(())) else {
        panic!("conflict markers are refused")
    };
    assert!(reason.contains("the two histories differ from sequence number 3 on"), "{reason}");
}
