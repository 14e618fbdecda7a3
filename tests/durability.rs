//! Durability, proven rather than promised: `kill -9` at many points of a scripted run, a torn
//! last line at every offset, damage at every earlier offset, injected I/O faults, a property test
//! of replay under restarts and torn writes, the run lock under races and a dead holder, file modes
//! and symlinks, and hostile checklists through the binary.
//!
//! `CLOSEACCT_LONG_TESTS=1` runs the long versions: 2,000 kills instead of 50, 1,000 kills of
//! `start` instead of 60, 1,000 lock races instead of 50, 1,000 property cases instead of 64.
//! Figures (kills, offsets, trials) are printed on stderr; see them with `-- --nocapture`.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{PermissionsExt, symlink};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::rc::Rc;
use std::time::{Duration, Instant};

use closeacct::testing::{ActiveRun, OnChange, Session};
use closeacct::testing::{
    Appender, Detail, EVENTS_FILE, EventKind, RecordedStatus, Replay, Sink, StateDir, parse_log, read_log, replay,
};
use closeacct::testing::{Error, now};
use closeacct::testing::{Loaded, generate_for_benchmarks};
use proptest::prelude::*;

use crate::common::{Env, Output, Run, SMALL};

/// Whether the long versions run (`CLOSEACCT_LONG_TESTS=1`).
fn long() -> bool {
    std::env::var("CLOSEACCT_LONG_TESTS").is_ok_and(|v| !v.is_empty() && v != "0")
}

fn scaled(normal: usize, long_run: usize) -> usize {
    if long() { long_run } else { normal }
}

/// Starts a command to be killed or raced: no stdin, stdout dropped, stderr kept for [`finish`].
fn spawn(run: &Run<'_>) -> Child {
    run.command().stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("spawn")
}

/// Waits for a spawned command; returns its status and stderr.
fn finish(mut child: Child) -> (ExitStatus, String) {
    let status = child.wait().expect("wait");
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        pipe.read_to_string(&mut stderr).expect("read stderr");
    }
    (status, stderr)
}

/// A small deterministic generator, so a failing kill schedule can be replayed.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform in `[lo, hi)`.
    #[allow(clippy::cast_precision_loss)]
    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * ((self.next() >> 11) as f64 / (1u64 << 53) as f64)
    }
}

/// What an event says, without when or by whom: the unit the kill test compares logs in.
/// `run_completed` is left out (a kill may land between a step and the completion it causes).
fn signature(kind: &EventKind) -> Option<String> {
    Some(match kind {
        EventKind::RunStarted { .. } => "start".to_owned(),
        EventKind::FactAnswered { fact, value } => format!("answer {fact}={value}"),
        EventKind::StepDone { step, note, .. } => format!("confirm {step} {}", note.as_deref().unwrap_or("-")),
        EventKind::StepSkipped { step, reason, .. } => format!("skip {step} {reason}"),
        EventKind::RunCompleted {} => return None,
        other => format!("{other:?}"),
    })
}

/// The log's events as signatures and its torn tail; the log must always be readable.
fn log_signatures(path: &Path) -> (Vec<String>, Option<Vec<u8>>) {
    let mut signatures = Vec::new();
    let end = read_log(path, |event| {
        signatures.extend(signature(&event.kind.to_owned_kind()));
        Ok(())
    })
    .unwrap_or_else(|e| panic!("the log must stay readable after a kill: {e}"));
    (signatures, end.torn)
}

/// A scripted run on a generated checklist: `start`, answers, confirms with a note, skips with a
/// reason, and notes added to done steps. Every operation carries a unique marker (`op-N`), so
/// the log shows exactly which operations reached it.
struct Script {
    file: String,
    account: String,
    steps: usize,
    next: usize,
    last_done: Option<usize>,
}

struct ScriptOp {
    args: Vec<String>,
    signature: String,
    /// The step this op resolves, and whether it is confirmed (not skipped).
    resolves: Option<(usize, bool)>,
}

impl Script {
    fn op(&self, i: usize) -> ScriptOp {
        let mut args: Vec<String> = vec![String::new(), "--checklist".into(), self.file.clone()];
        args.extend(["--account".into(), self.account.clone()]);
        let marker = format!("op-{i}");
        let mut op = |command: &str, extra: &[String], signature: String, resolves| {
            command.clone_into(&mut args[0]);
            args.extend_from_slice(extra);
            ScriptOp { args: args.clone(), signature, resolves }
        };
        let step = |n: usize| format!("step-{n}");
        if i == 0 {
            return op("start", &[], "start".into(), None);
        }
        if i == 1 || i % 7 == 3 {
            return op("answer", &["org".into(), "no".into()], "answer org=no".into(), None);
        }
        if i % 5 == 4 && self.next < self.steps {
            let extra = [step(self.next), "--reason".into(), marker.clone()];
            return op("skip", &extra, format!("skip {} {marker}", step(self.next)), Some((self.next, false)));
        }
        if (i % 6 == 5 || self.next >= self.steps)
            && let Some(done) = self.last_done
        {
            let extra = [step(done), "--note".into(), marker.clone()];
            return op("confirm", &extra, format!("confirm {} {marker}", step(done)), None);
        }
        let extra = [step(self.next), "--note".into(), marker.clone()];
        op("confirm", &extra, format!("confirm {} {marker}", step(self.next)), Some((self.next, true)))
    }

    fn landed(&mut self, op: &ScriptOp) {
        if let Some((step, confirmed)) = op.resolves {
            self.next = step + 1;
            if confirmed {
                self.last_done = Some(step);
            }
        }
    }
}

#[derive(Default, Debug)]
struct KillStats {
    trials: usize,
    /// The process was still running when SIGKILL arrived.
    mid_command: usize,
    /// ...and nothing of its op had reached the log.
    before_write: usize,
    /// ...its event was on disk, but it had not yet said "recorded".
    after_fsync_before_ack: usize,
    /// ...it had said "recorded" (killed while printing the next step or exiting).
    after_ack: usize,
    /// ...the log ended in a torn line.
    torn: usize,
    /// The command had finished before the kill.
    completed_first: usize,
}

fn median(durations: &[Duration]) -> Duration {
    let mut recent: Vec<Duration> = durations.iter().rev().take(31).copied().collect();
    recent.sort();
    recent.get(recent.len() / 2).copied().unwrap_or(Duration::from_millis(30))
}

/// Crash consistency: each operation of a scripted run is started and killed (SIGKILL) after a delay
/// spread over the command's own duration (measured as the test goes), most of them close to the
/// moment its event reaches the disk. After every kill: the log is readable and holds exactly the
/// operations that landed, in order; every command that said "recorded" (or exited 0) is in it;
/// `verify` exits 0 (and reports a torn tail, if any); the next command exits 0, setting a torn
/// tail aside. A new account starts every 20 trials, so `start` is killed too.
#[test]
fn kill_9_at_any_point_never_loses_a_recorded_event_and_the_run_resumes() {
    let env = Env::new();
    let file = env.write("generated.toml", generate_for_benchmarks(40)).display().to_string();
    let target = scaled(50, 2000);
    let mut kills = KillStats::default();
    let mut rng = XorShift(0x2545_F491_4F6C_DD1D);
    let mut edge = 0.9;
    let mut durations: Vec<Duration> = Vec::new();
    let begun = Instant::now();
    for campaign in 0.. {
        if kills.mid_command >= target {
            break;
        }
        let account = format!("acct-{campaign}");
        let log = env.log("generated", &account);
        let mut script = Script { file: file.clone(), account: account.clone(), steps: 40, next: 0, last_done: None };
        let mut model: Vec<String> = Vec::new();
        let mut i = 0;
        for trial in 0..20 {
            if kills.mid_command >= target {
                break;
            }
            kills.trials += 1;
            let op = script.op(i);
            let args: Vec<&str> = op.args.iter().map(String::as_str).collect();
            let d = median(&durations).as_secs_f64();
            // A quarter of the kills spread over the whole command; the rest follow a staircase
            // that converges on the moment the event reaches the disk (up when the kill came
            // before it, down when after), so many land just before, at, and just after it.
            let on_staircase = trial % 4 != 0;
            let fraction = if on_staircase { edge * rng.uniform(0.95, 1.05) } else { rng.uniform(0.0, 1.2) };
            let mut child = spawn(&env.closeacct(&args));
            std::thread::sleep(Duration::from_secs_f64(d * fraction));
            let _ = child.kill();
            let (status, stderr) = finish(child);
            let killed = status.signal() == Some(libc::SIGKILL);
            let (signatures, torn) = if log.exists() { log_signatures(&log) } else { (Vec::new(), None) };
            let mut expected = model.clone();
            expected.push(op.signature.clone());
            let landed = signatures == expected;
            if on_staircase {
                edge = (edge * if landed { 0.98 } else { 1.02 }).clamp(0.05, 1.5);
            }
            let context = format!("campaign {campaign}, op {i} {args:?}, status {status}\n{stderr}");
            assert!(landed || signatures == model, "the log holds something else: {signatures:?}\n{context}");
            let acknowledged = stderr.contains("recorded") || stderr.contains("Started run");
            assert!(!acknowledged || landed, "said recorded, but the event is not in the log\n{context}");
            if killed {
                kills.mid_command += 1;
                match (landed, acknowledged, torn.is_some()) {
                    (_, _, true) => kills.torn += 1,
                    (false, _, false) => kills.before_write += 1,
                    (true, false, false) => kills.after_fsync_before_ack += 1,
                    (true, true, false) => kills.after_ack += 1,
                }
            } else {
                assert!(status.success() && landed, "a command that was not killed failed\n{context}");
                kills.completed_first += 1;
            }
            if landed {
                script.landed(&op);
                model = expected;
                i += 1;
            }
            if log.exists() {
                let Output { code, stdout, stderr, .. } =
                    env.closeacct(&["verify", "--checklist", &file, "--account", &account]).output();
                assert_eq!(code, Some(0), "verify after a kill\n{stdout}{stderr}\n{context}");
                assert_eq!(stdout.contains("torn line"), torn.is_some(), "{stdout}");
            }
            // The run resumes: the next operation (or the same one again) runs to the end.
            let op = script.op(i);
            let args: Vec<&str> = op.args.iter().map(String::as_str).collect();
            let start = Instant::now();
            let Output { code, stderr, .. } = env.closeacct(&args).output();
            durations.push(start.elapsed());
            assert_eq!(code, Some(0), "the command after a kill must succeed: {args:?}\n{stderr}\n{context}");
            assert_eq!(stderr.contains("moved to events.jsonl.torn"), torn.is_some(), "{stderr}");
            model.push(op.signature.clone());
            assert_eq!(log_signatures(&log), (model.clone(), None), "after {args:?}");
            script.landed(&op);
            i += 1;
        }
    }
    eprintln!(
        "kill -9: {} kills landed mid-command in {} trials ({} before anything reached the log, {} after the \
         fsync but before \"recorded\", {} after \"recorded\", {} torn tails; {} commands finished before \
         the kill); median command {:?}, the write lands at about {:.0}% of it; {:.1} s",
        kills.mid_command,
        kills.trials,
        kills.before_write,
        kills.after_fsync_before_ack,
        kills.after_ack,
        kills.torn,
        kills.completed_first,
        median(&durations),
        edge * 100.0,
        begun.elapsed().as_secs_f64()
    );
    assert!(kills.mid_command >= target);
    assert!(kills.before_write > 0 && kills.after_fsync_before_ack + kills.after_ack > 0, "{kills:?}");
}

/// `start` killed at any point leaves either no run (and `start` begins it) or a run that
/// resumes; never an empty or torn-only log, which no command could open again. (Before the
/// first line was linked into place atomically, about 1 kill in 300 left an empty
/// `events.jsonl` that failed every later command with exit 65.)
#[test]
fn killing_start_never_leaves_a_run_that_cannot_be_resumed() {
    let env = Env::new();
    let file = env.write("small.toml", SMALL).display().to_string();
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let mut durations = Vec::new();
    let (mut mid, mut no_log, mut whole) = (0, 0, 0);
    for trial in 0..scaled(60, 1000) {
        let account = format!("acct-{trial}");
        let args = ["start", "--checklist", &file, "--account", &account];
        let d = median(&durations).as_secs_f64();
        let mut child = spawn(&env.closeacct(&args));
        std::thread::sleep(Duration::from_secs_f64(d * rng.uniform(0.4, 1.1)));
        let _ = child.kill();
        let (status, stderr) = finish(child);
        let log = env.log("small", &account);
        if status.signal() == Some(libc::SIGKILL) {
            mid += 1;
        }
        if log.exists() {
            whole += 1;
            let (signatures, torn) = log_signatures(&log);
            assert_eq!((signatures, torn), (vec!["start".to_owned()], None), "{stderr}");
        } else {
            no_log += 1;
            assert!(!stderr.contains("Started run"), "{stderr}");
        }
        let start = Instant::now();
        let Output { code, stderr, .. } = env.closeacct(&args).output();
        durations.push(start.elapsed());
        assert_eq!(code, Some(0), "start after a killed start\n{stderr}");
        let Output { code, stderr, .. } =
            env.closeacct(&["verify", "--checklist", &file, "--account", &account]).output();
        assert_eq!(code, Some(0), "{stderr}");
    }
    eprintln!("kill -9 of start: {mid} kills landed mid-command; {no_log} left no log, {whole} a whole first line");
}

/// A run on the SMALL checklist made through the binary; returns the checklist file's path.
fn small_run(env: &Env) -> String {
    let file = env.write("small.toml", SMALL).display().to_string();
    let run = |rest: &[&str]| {
        let mut args = vec![rest[0], "--checklist", &file, "--account", "acct-1"];
        args.extend_from_slice(&rest[1..]);
        env.closeacct(&args).status(0);
    };
    run(&["start", "--fact", "org=yes"]);
    run(&["confirm", "backup", "--note", "copied to the archive bucket"]);
    run(&["skip", "remove-members", "--reason", "no members left"]);
    run(&["confirm", "ticket", "--evidence", "CS-2026-11-0042"]);
    run(&["answer", "org", "no"]);
    run(&["confirm", "backup", "--note", "checked the copy again, all there"]);
    file
}

/// Where each line starts; the last entry is the file's length.
fn line_starts(bytes: &[u8]) -> Vec<usize> {
    let mut starts = vec![0];
    starts.extend(bytes.iter().enumerate().filter(|&(_, &b)| b == b'\n').map(|(i, _)| i + 1));
    starts
}

fn small_session(root: &Path) -> Session {
    Session {
        state: StateDir { root: root.to_owned() },
        checklist: Loaded::parse(SMALL, "small.toml").unwrap(),
        operator: "ana".into(),
    }
}

/// Opens `acct-1` for writing. The lock is an `flock` on an open file: a child that another test
/// thread is spawning holds a copy of every descriptor between its fork and its exec, so a lock
/// this process has just let go of can look held by this very process for a moment (its pid, or
/// no pid at all, since a released lock's pid is cleared). Only that case is retried; a lock named
/// by any other pid is a failure.
fn open_run(session: &Session) -> ActiveRun {
    let deadline = Instant::now() + Duration::from_secs(5);
    let own = std::process::id().to_string();
    loop {
        match session.open("acct-1", OnChange::Refuse) {
            Err(Error::Locked { pid, .. }) if (pid == own || pid == "unknown") && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(2));
            }
            result => return result.unwrap(),
        }
    }
}

/// A torn last line, cut at every offset: the log reads as the lines before it plus a torn tail;
/// the run opens, sets the tail aside to `events.jsonl.torn` and records on; nothing earlier is
/// lost. Every offset through the library, a sample through the binary.
#[test]
fn a_torn_last_line_at_every_offset_is_set_aside_and_the_run_resumes() {
    let env = Env::new();
    let file = small_run(&env);
    let run_dir = env.run_dir("small", "acct-1");
    let log = env.log("small", "acct-1");
    let whole = fs::read(&log).unwrap();
    let starts = line_starts(&whole);
    let lines = starts.len() - 1;
    let last = starts[lines - 1];
    let mut offsets = 0;
    for cut in last..whole.len() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("runs/small/acct-1");
        fs::create_dir_all(&dir).unwrap();
        // Not the writer's checkpoint: a crash mid-write leaves it naming the line before, and
        // this one vouches for the whole last line (a writer refuses to set a confirmed line
        // aside). Without one, the writer checks the whole chain.
        for entry in fs::read_dir(&run_dir).unwrap() {
            let entry = entry.unwrap();
            if entry.file_name() != "checkpoint" {
                fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
            }
        }
        fs::write(dir.join(EVENTS_FILE), &whole[..cut]).unwrap();
        // Cut just before its newline, the last line is whole: kept, its newline added.
        let whole_line = cut == whole.len() - 1;
        let torn = (cut > last && !whole_line).then(|| whole[last..cut].to_vec());
        let kept = if whole_line { lines } else { lines - 1 } as u64;

        let end = read_log(&dir.join(EVENTS_FILE), |_| Ok(())).unwrap();
        assert_eq!((end.count, &end.torn, end.unterminated), (kept, &torn, whole_line), "cut at {cut}");
        let session = small_session(root.path());
        let mut run = open_run(&session);
        assert_eq!((run.torn_set_aside, run.newline_added), (torn.as_ref().map(Vec::len), whole_line));
        let note = run
            .record("ana", EventKind::NoteAdded { step: "ticket".into(), note: format!("after a cut at {cut}") })
            .unwrap();
        assert_eq!(note.seq, kept + 1, "cut at {cut}: no sequence number is reused");
        drop(run);

        let after = fs::read(dir.join(EVENTS_FILE)).unwrap();
        let kept_bytes = if whole_line { &whole[..] } else { &whole[..last] };
        assert!(after.starts_with(kept_bytes), "cut at {cut}: an earlier line changed");
        let end = read_log(&dir.join(EVENTS_FILE), |_| Ok(())).unwrap();
        assert_eq!((end.count, end.torn, end.unterminated), (kept + 1, None, false));
        let set_aside = fs::read(dir.join("events.jsonl.torn")).ok();
        assert_eq!(set_aside, torn.map(|t| [t, b"\n".to_vec()].concat()), "cut at {cut}");
        offsets += 1;
    }

    // Through the binary: status and verify read a torn log; the next command sets the tail aside.
    let len = whole.len();
    let sample = [last, last + 1, usize::midpoint(last, len), len - 2, len - 1];
    for &cut in &sample {
        fs::write(&log, &whole[..cut]).unwrap();
        let _ = fs::remove_file(run_dir.join("events.jsonl.torn"));
        // A crash mid-write leaves no checkpoint vouching for the torn line (see above).
        let _ = fs::remove_file(run_dir.join("checkpoint"));
        let args = |command: &'static str| vec![command, "--checklist", &file, "--account", "acct-1"];
        let whole_line = cut == len - 1;
        env.closeacct(&args("status")).status(0);
        let stdout = env.closeacct(&args("verify")).status(0).stdout;
        assert_eq!(stdout.contains("torn line"), cut > last && !whole_line, "{stdout}");
        assert_eq!(stdout.contains("lacks its newline"), whole_line, "{stdout}");
        let mut confirm = args("confirm");
        confirm.extend(["ticket", "--note", "resumed"]);
        let stderr = env.closeacct(&confirm).status(0).stderr;
        assert_eq!(stderr.contains("moved to events.jsonl.torn"), cut > last && !whole_line, "{stderr}");
        assert_eq!(stderr.contains("the newline was added"), whole_line, "{stderr}");
        env.closeacct(&args("verify")).status(0);
        let after = fs::read(&log).unwrap();
        if whole_line {
            assert!(after.starts_with(&whole), "the whole line is kept");
            assert_eq!(line_starts(&after).len() - 1, lines + 1, "kept, and the new line after it");
        } else {
            assert!(after.starts_with(&whole[..last]));
            assert_eq!(line_starts(&after).len() - 1, lines, "the torn line is replaced by the new one");
        }
        fs::write(&log, &whole).unwrap();
    }
    eprintln!(
        "torn last line: {offsets} offsets of a {}-byte last line through the library, {} through the binary",
        len - last,
        sample.len()
    );
}

/// Checks that `bytes`, damaged in line `line`, is refused naming that line or the next one (whose
/// `prev` no longer matches and whose message names the damaged line).
#[track_caller]
fn assert_refused(bytes: &[u8], line: usize, what: &str) {
    match parse_log(bytes, Path::new("events.jsonl"), |_| Ok(())) {
        Err(e @ Error::DamagedState { line: named, .. }) => {
            assert!(named == line || named == line + 1, "{what}: names line {named}, damage is in line {line}: {e}");
            assert_eq!(e.exit_code(), 65);
            let message = e.to_string();
            assert!(message.contains(&format!("line {line}")), "{what}: {message}");
            assert!(!message.contains('\n'), "{what}: one line: {message}");
        }
        Ok(end) => panic!("{what}: damage in line {line} accepted ({} lines, torn {:?})", end.count, end.torn),
        Err(e) => panic!("{what}: wrong error: {e}"),
    }
}

/// Damage anywhere before the last line: at every offset of every earlier line, a byte deleted,
/// a byte flipped (two ways), a byte turned into a newline; and every earlier line cut out,
/// swapped with the next, or doubled. Every one is refused naming the line (library, 100% of
/// offsets); a sample through the binary shows `verify`, `status`, `report` and a recording
/// command exit 65 with one line naming it, leaving the file byte-identical and nothing set aside.
#[test]
fn damage_before_the_last_line_is_refused_at_every_offset_and_nothing_is_rewritten() {
    let env = Env::new();
    let file = small_run(&env);
    let log = env.log("small", "acct-1");
    let whole = fs::read(&log).unwrap();
    let starts = line_starts(&whole);
    let lines = starts.len() - 1;
    let (mut offsets, mut mutations) = (0, 0);
    for k in 0..lines - 1 {
        let number = k + 1;
        let (start, end) = (starts[k], starts[k + 1]);
        for at in start..end {
            offsets += 1;
            let mut deleted = whole.clone();
            deleted.remove(at);
            assert_refused(&deleted, number, &format!("byte {at} deleted"));
            for mask in [0x01, 0x80] {
                let mut flipped = whole.clone();
                flipped[at] ^= mask;
                assert_refused(&flipped, number, &format!("byte {at} ^ {mask:#x}"));
            }
            mutations += 3;
            if whole[at] != b'\n' {
                let mut split = whole.clone();
                split[at] = b'\n';
                assert_refused(&split, number, &format!("byte {at} made a newline"));
                mutations += 1;
            }
        }
        let line = &whole[start..end];
        let next = &whole[end..starts[k + 2]];
        let cut = [&whole[..start], &whole[end..]].concat();
        let swapped = [&whole[..start], next, line, &whole[starts[k + 2]..]].concat();
        let doubled = [&whole[..end], line, &whole[end..]].concat();
        assert_refused(&cut, number, "line cut out");
        assert_refused(&swapped, number, "line swapped with the next");
        assert_refused(&doubled, number + 1, "line doubled");
        mutations += 3;
    }

    let mut through_binary = 0;
    for k in 0..lines - 1 {
        let (start, end) = (starts[k], starts[k + 1]);
        let mut flipped = whole.clone();
        flipped[usize::midpoint(start, end)] ^= 0x01;
        let mut joined = whole.clone();
        joined.remove(end - 1);
        let cut = [&whole[..start], &whole[end..]].concat();
        for damaged in [flipped, joined, cut] {
            fs::write(&log, &damaged).unwrap();
            for command in [&["verify"][..], &["status"], &["report"], &["confirm", "ticket", "--note", "x"]] {
                let mut args = vec![command[0], "--checklist", &file, "--account", "acct-1"];
                args.extend_from_slice(&command[1..]);
                let Output { stdout, stderr, .. } = env.closeacct(&args).status(65);
                assert!(stdout.is_empty(), "{stdout}");
                assert_eq!(stderr.lines().count(), 1, "{stderr}");
                assert!(stderr.contains(&format!("line {}", k + 1)), "{stderr}");
                assert_eq!(fs::read(&log).unwrap(), damaged, "{args:?} changed the file");
                assert!(!env.run_dir("small", "acct-1").join("events.jsonl.torn").exists());
                through_binary += 1;
            }
        }
    }
    fs::write(&log, &whole).unwrap();
    env.closeacct(&["verify", "--checklist", &file, "--account", "acct-1"]).status(0);
    eprintln!(
        "earlier damage: {mutations} damaged logs over {offsets} offsets of {} earlier lines (100%) refused \
         through the library; {through_binary} refusals through the binary, file byte-identical each time",
        lines - 1
    );
}

/// A log of over 1 MiB is read on two threads (one reads and hashes, the other checks and
/// replays): through the binary it reads as a short one does, and damage in it is refused the
/// same way, naming the line, by every reader and writer, with the file left byte-identical.
#[test]
fn a_log_long_enough_for_two_threads_is_checked_as_a_short_one_is() {
    struct Unsynced(File);
    impl Sink for Unsynced {
        fn append(&mut self, bytes: &[u8]) -> std::io::Result<()> {
            std::io::Write::write_all(&mut self.0, bytes)
        }
        fn sync(&mut self) -> std::io::Result<()> {
            Ok(())
        }
        fn truncate(&mut self, len: u64) -> std::io::Result<()> {
            self.0.set_len(len)
        }
    }
    let env = Env::new();
    let file = small_run(&env);
    let log = env.log("small", "acct-1");
    let end = read_log(&log, |_| Ok(())).unwrap();
    let sink = Unsynced(OpenOptions::new().append(true).open(&log).unwrap());
    let mut appender = Appender::new(Box::new(sink), log.clone(), &end);
    for i in 0..9000 {
        let note = format!("note {i}: checked region ap-northeast-2 again, ticket CS-2026-11-{i:04}, nothing left");
        appender.append(now(), "ana", EventKind::NoteAdded { step: "backup".into(), note }).unwrap();
    }
    drop(appender);
    let whole = fs::read(&log).unwrap();
    assert!(whole.len() > (1 << 20) + (1 << 19), "well over 1 MiB: {} bytes", whole.len());
    let events = line_starts(&whole).len() - 1;
    let run = |command: &[&str]| {
        let mut args = vec![command[0], "--checklist", &file, "--account", "acct-1"];
        args.extend_from_slice(&command[1..]);
        env.closeacct(&args)
    };
    let verified = run(&["verify"]).status(0).stdout;
    assert!(verified.contains(&format!("{events} events, sequence 1..{events} unbroken")), "{verified}");
    let report = run(&["report", "--format", "json"]).status(0).stdout;
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(report["run"]["events"], events);
    let backup = &report["stages"][0]["steps"][0];
    assert_eq!(backup["id"], "backup");
    assert_eq!(backup["notes"].as_array().unwrap().len(), 9002);
    assert_eq!(
        backup["notes"][9001]["text"],
        "note 8999: checked region ap-northeast-2 again, ticket CS-2026-11-8999, nothing left"
    );

    let starts = line_starts(&whole);
    for line in [2, events / 3, events / 2 + 1, events - 1] {
        let (start, end) = (starts[line - 1], starts[line]);
        let mut flipped = whole.clone();
        flipped[usize::midpoint(start, end)] ^= 0x01;
        let cut = [&whole[..start], &whole[end..]].concat();
        for damaged in [flipped, cut] {
            fs::write(&log, &damaged).unwrap();
            for command in [&["verify"][..], &["status"], &["report"], &["confirm", "ticket", "--note", "x"]] {
                let Output { stdout, stderr, .. } = run(command).status(65);
                assert!(stdout.is_empty(), "{stdout}");
                assert_eq!(stderr.lines().count(), 1, "{stderr}");
                assert!(stderr.contains(&format!("line {line}")), "{command:?} at line {line}: {stderr}");
                assert_eq!(fs::read(&log).unwrap(), damaged, "{command:?} changed the file");
            }
        }
    }
    fs::write(&log, &whole).unwrap();
    run(&["confirm", "ticket", "--note", "the long log goes on"]).status(0);
    run(&["verify"]).status(0);
}

/// The faults a sink can inject.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Fault {
    /// `write` fails at once (EIO); nothing reaches the file.
    WriteError,
    /// `write` takes some bytes, then fails (EIO).
    ShortWrite,
    /// The disk fills up part way (ENOSPC, `ErrorKind::StorageFull`).
    DiskFull,
    /// The whole line is written but fsync fails (EIO).
    SyncError,
    /// A short write, and cutting it back fails too.
    ShortWriteThenTruncateFails,
    /// fsync fails, and cutting the line back fails too.
    SyncErrorThenTruncateFails,
}

/// The real log file behind the `Sink` trait, with one fault on the first append; records every
/// call so the test sees whether the appender touched the handle again.
struct FaultySink {
    file: File,
    fault: Fault,
    calls: Rc<RefCell<Vec<&'static str>>>,
}

impl Sink for FaultySink {
    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.calls.borrow_mut().push("append");
        match self.fault {
            Fault::WriteError => Err(io::Error::from_raw_os_error(libc::EIO)),
            Fault::ShortWrite | Fault::ShortWriteThenTruncateFails => {
                self.file.write_all(&bytes[..bytes.len() / 3])?;
                Err(io::Error::from_raw_os_error(libc::EIO))
            }
            Fault::DiskFull => {
                self.file.write_all(&bytes[..bytes.len() / 2])?;
                Err(io::Error::from_raw_os_error(libc::ENOSPC))
            }
            Fault::SyncError | Fault::SyncErrorThenTruncateFails => self.file.write_all(bytes),
        }
    }

    fn sync(&mut self) -> io::Result<()> {
        self.calls.borrow_mut().push("sync");
        match self.fault {
            Fault::SyncError | Fault::SyncErrorThenTruncateFails => Err(io::Error::from_raw_os_error(libc::EIO)),
            _ => self.file.sync_data(),
        }
    }

    fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.calls.borrow_mut().push("truncate");
        match self.fault {
            Fault::ShortWriteThenTruncateFails | Fault::SyncErrorThenTruncateFails => {
                Err(io::Error::from_raw_os_error(libc::EIO))
            }
            _ => self.file.set_len(len).and_then(|()| self.file.sync_all()),
        }
    }
}

/// The line the binary prints for an error: `closeacct: {error}` and any deeper cause.
fn printed(error: &Error) -> String {
    let mut text = format!("closeacct: {error}");
    let mut source = std::error::Error::source(error).and_then(std::error::Error::source);
    while let Some(cause) = source {
        let _ = write!(text, "\nCaused by: {cause}");
        source = cause.source();
    }
    text
}

/// Injected write errors, short writes, a full disk and fsync errors: the append fails with exit
/// 74 and a one-line message saying nothing was recorded (or, when the partial line could not be
/// cut back either, that it may have been); the log on disk stays valid; the appender does not
/// touch the handle again after a failure; a new session on a fresh handle records on.
#[test]
fn io_faults_exit_74_record_nothing_and_stop_the_appender() {
    let faults = [
        Fault::WriteError,
        Fault::ShortWrite,
        Fault::DiskFull,
        Fault::SyncError,
        Fault::ShortWriteThenTruncateFails,
        Fault::SyncErrorThenTruncateFails,
    ];
    for fault in faults {
        let root = tempfile::tempdir().unwrap();
        let session = small_session(root.path());
        let mut run = session.create("acct-1").unwrap();
        run.record("ana", EventKind::FactAnswered { fact: "org".into(), value: "no".into() }).unwrap();
        drop(run);
        let log = root.path().join("runs/small/acct-1").join(EVENTS_FILE);
        let before = fs::read(&log).unwrap();
        let end = read_log(&log, |_| Ok(())).unwrap();

        let calls = Rc::new(RefCell::new(Vec::new()));
        let file = OpenOptions::new().append(true).open(&log).unwrap();
        let sink = FaultySink { file, fault, calls: calls.clone() };
        let mut appender = Appender::new(Box::new(sink), log.clone(), &end);
        let done = || EventKind::StepDone {
            step: "backup".into(),
            note: Some("copied".into()),
            evidence: None,
            attested: None,
            happened_at: None,
            checks: Vec::new(),
        };
        let error = appender.append(now(), "ana", done()).unwrap_err();
        assert_eq!(error.exit_code(), 74, "{fault:?}: {error}");
        let message = printed(&error);
        assert_eq!(message.lines().count(), 1, "{fault:?}: {message}");
        let rolled_back = !matches!(fault, Fault::ShortWriteThenTruncateFails | Fault::SyncErrorThenTruncateFails);
        if rolled_back {
            assert!(message.contains("nothing was recorded"), "{fault:?}: {message}");
        } else {
            assert!(
                message.contains("may have been recorded") && !message.contains("nothing was recorded"),
                "{message}"
            );
        }
        if fault == Fault::DiskFull {
            assert!(message.contains("No space left on device"), "{message}");
        }
        eprintln!("{fault:?}: {message}");

        // The log on disk is still a valid log.
        let after = read_log(&log, |_| Ok(())).unwrap_or_else(|e| panic!("{fault:?}: the log is damaged: {e}"));
        match fault {
            Fault::ShortWriteThenTruncateFails => assert_eq!((after.count, after.torn.is_some()), (end.count, true)),
            Fault::SyncErrorThenTruncateFails => assert_eq!((after.count, after.torn), (end.count + 1, None)),
            _ => assert_eq!(fs::read(&log).unwrap(), before, "{fault:?}: the file is not as it was"),
        }

        // No retry on the same handle: the next append fails without touching the sink.
        let touched = calls.borrow().len();
        let again = appender.append(now(), "ana", done()).unwrap_err();
        assert_eq!(again.exit_code(), 74);
        assert!(again.to_string().contains("an earlier write to this log failed"), "{again}");
        assert!(again.to_string().contains("nothing was recorded"), "{again}");
        assert_eq!(calls.borrow().len(), touched, "{fault:?}: the failed handle was used again: {:?}", calls.borrow());
        drop(appender);

        // A new session (a new handle) sets any torn tail aside and records.
        let mut run = open_run(&session);
        run.record("ana", done()).unwrap();
        drop(run);
        let (replay, end) = replay(&root.path().join("runs/small/acct-1"), Detail::Full).unwrap();
        assert_eq!(end.torn, None);
        assert_eq!(replay.steps["backup"].status, RecordedStatus::Done);
    }
}

/// The unit `ulimit -f` counts in, for `sh` here (512 bytes for dash, 1024 for bash).
pub(crate) fn ulimit_unit(dir: &Path) -> u64 {
    let probe = dir.join("ulimit-probe");
    let _ = Command::new("sh")
        .args(["-c", "trap '' XFSZ; ulimit -f 1; printf '%4096s' x > \"$0\"", probe.to_str().unwrap()])
        .stderr(Stdio::null())
        .status()
        .expect("sh");
    let unit = fs::metadata(&probe).unwrap().len();
    fs::remove_file(&probe).unwrap();
    assert!(unit == 512 || unit == 1024, "ulimit -f unit {unit}");
    unit
}

/// A command run with a file size limit (`ulimit -f`): the file system refuses the write part
/// way through, even for root. Needs no privileges and no special mount. With `ignore_xfsz` the
/// shell ignores SIGXFSZ before it starts closeacct; without, closeacct must handle the signal
/// itself, or the kernel kills it mid-line.
pub(crate) fn with_file_size_limit(env: &Env, blocks: u64, ignore_xfsz: bool, args: &[&str]) -> Output {
    let trap = if ignore_xfsz { "trap '' XFSZ; " } else { "" };
    let script = format!("{trap}ulimit -f {blocks}; exec \"$0\" \"$@\"");
    env.closeacct(args).via("sh", &["-c", &script]).output()
}

/// The real binary against a file system that refuses the write: a short write then EFBIG (the
/// limit falls inside the new line) and a write refused outright (the limit is below the end of
/// the log), with SIGXFSZ ignored by the shell or left to closeacct. Exit 74, one line that says
/// nothing was recorded, the log byte-identical, and the same command succeeds once the limit is
/// gone.
#[test]
fn a_write_the_file_system_refuses_exits_74_through_the_binary_and_records_nothing() {
    let env = Env::new();
    let file = small_run(&env);
    let log = env.log("small", "acct-1");
    let unit = ulimit_unit(env.dir.path());
    let note = "copied every bucket to the archive account and checked the object counts; ".repeat(40);
    let args = ["confirm", "--checklist", &file, "--account", "acct-1", "backup", "--note", note.trim()];
    let cases = [("short write", None, true), ("no room at all", Some(1), true), ("SIGXFSZ not ignored", None, false)];
    for (name, blocks, ignore_xfsz) in cases {
        let before = fs::read(&log).unwrap();
        let size = before.len() as u64;
        // The line is about 3 KB: a limit 1.5 KB past the end falls inside it.
        let blocks = blocks.unwrap_or((size + 1500) / unit);
        let Output { code, stdout, stderr, .. } = with_file_size_limit(&env, blocks, ignore_xfsz, &args);
        assert_eq!(code, Some(74), "{name}: {stdout}{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{name}: {stderr}");
        assert!(stderr.contains("File too large") && stderr.contains("nothing was recorded"), "{name}: {stderr}");
        assert_eq!(fs::read(&log).unwrap(), before, "{name}: the log changed");
        env.closeacct(&["verify", "--checklist", &file, "--account", "acct-1"]).status(0);
        eprintln!("{name} (limit {} bytes, log {size} bytes): {}", blocks * unit, stderr.trim());
    }
    env.closeacct(&args).status(0);
}

/// Whether file permissions stop this process (they do not for root or with `CAP_DAC_OVERRIDE`).
fn permissions_enforced(dir: &Path) -> bool {
    let probe = dir.join("permission-probe");
    fs::write(&probe, "x").unwrap();
    fs::set_permissions(&probe, fs::Permissions::from_mode(0o000)).unwrap();
    let enforced = File::open(&probe).is_err();
    fs::remove_file(&probe).unwrap();
    enforced
}

fn set_mode(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// Every path under `dir`, directories first.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut paths = vec![dir.to_owned()];
    let mut i = 0;
    while i < paths.len() {
        if fs::symlink_metadata(&paths[i]).unwrap().is_dir() {
            let mut children: Vec<PathBuf> = fs::read_dir(&paths[i]).unwrap().map(|e| e.unwrap().path()).collect();
            children.sort();
            paths.extend(children);
        }
        i += 1;
    }
    paths
}

/// A read-only state directory (directories 0500, files 0400): recording exits 74 with one line,
/// starting a new run exits 74, reading still works, nothing changes. Permissions do not stop
/// root, so when the test runs as root it runs the binary as `nobody` through `setpriv` (and the
/// tree is handed to `nobody`); without `setpriv` it says so and only checks a state directory
/// under a regular file (ENOTDIR), which fails for root too.
#[test]
fn a_read_only_state_dir_exits_74_with_one_line() {
    let env = Env::new();
    let file = small_run(&env);

    // A state directory that cannot exist: its parent is a regular file. Fails for anyone.
    let blocker = env.write("not-a-dir", "x");
    let Output { code, stderr, .. } = env
        .closeacct(&["start", "--checklist", &file, "--account", "acct-9"])
        .env("CLOSEACCT_STATE_DIR", blocker.join("state"))
        .output();
    assert_eq!(code, Some(74), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("Not a directory"), "{stderr}");

    let as_nobody = !permissions_enforced(env.dir.path());
    if as_nobody && !Path::new("/usr/bin/setpriv").exists() {
        eprintln!("read-only state dir: running as root without setpriv; only the ENOTDIR case was checked");
        return;
    }
    let run = |args: &[&str]| {
        if as_nobody {
            let drop_root = ["--reuid=65534", "--regid=65534", "--clear-groups", "--"];
            env.closeacct(args).via("/usr/bin/setpriv", &drop_root).output()
        } else {
            env.closeacct(args).output()
        }
    };
    let tree = walk(env.dir.path());
    if as_nobody {
        for path in &tree {
            std::os::unix::fs::chown(path, Some(65534), Some(65534)).unwrap();
        }
    }
    let log = env.log("small", "acct-1");
    let before = fs::read(&log).unwrap();
    let state_tree = walk(&env.state());
    for path in &state_tree {
        set_mode(path, if path.is_dir() { 0o500 } else { 0o400 });
    }
    let Output { code, stderr, .. } =
        run(&["confirm", "--checklist", &file, "--account", "acct-1", "ticket", "--note", "x"]);
    let Output { code: start_code, stderr: start_stderr, .. } =
        run(&["start", "--checklist", &file, "--account", "acct-2"]);
    let Output { code: verify_code, stderr: verify_stderr, .. } =
        run(&["verify", "--checklist", &file, "--account", "acct-1"]);
    for path in state_tree.iter().rev() {
        set_mode(path, if path.is_dir() { 0o700 } else { 0o600 });
    }
    assert_eq!(code, Some(74), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("Permission denied"), "{stderr}");
    assert_eq!(start_code, Some(74), "{start_stderr}");
    assert_eq!(start_stderr.lines().count(), 1, "{start_stderr}");
    assert_eq!(verify_code, Some(0), "reading a read-only run works: {verify_stderr}");
    assert_eq!(fs::read(&log).unwrap(), before);
    eprintln!(
        "read-only state dir{}: {}  /  {}",
        if as_nobody { " (as nobody via setpriv)" } else { "" },
        stderr.trim(),
        start_stderr.trim()
    );
}

/// One operation of the property test.
#[derive(Debug, Clone)]
enum Op {
    Answer(bool),
    Confirm(usize, Option<String>),
    Skip(usize, String),
    Note(usize, String),
}

/// What the property test does: an operation, an operation whose process "dies" during the write
/// (its line is cut at a point inside it, so it was never acknowledged), or a restart.
#[derive(Debug, Clone)]
enum Action {
    Do(Op),
    Torn(Op, prop::sample::Index),
    Restart,
}

const STEPS: [&str; 5] = ["backup", "remove-members", "ticket", "close-account", "confirmation"];

fn event(op: &Op) -> EventKind {
    match op {
        Op::Answer(yes) => {
            EventKind::FactAnswered { fact: "org".into(), value: if *yes { "yes" } else { "no" }.into() }
        }
        Op::Confirm(step, note) => EventKind::StepDone {
            step: STEPS[*step].into(),
            note: note.clone(),
            evidence: None,
            attested: None,
            happened_at: None,
            checks: Vec::new(),
        },
        Op::Skip(step, reason) => {
            EventKind::StepSkipped { step: STEPS[*step].into(), reason: reason.clone(), happened_at: None }
        }
        Op::Note(step, note) => EventKind::NoteAdded { step: STEPS[*step].into(), note: note.clone() },
    }
}

fn op_strategy() -> impl Strategy<Value = Op> {
    // Texts that cannot look like secrets, so screening never refuses them.
    let text = "[a-f0-9 .-]{0,16}";
    prop_oneof![
        any::<bool>().prop_map(Op::Answer),
        (0..STEPS.len(), prop::option::of(text)).prop_map(|(s, n)| Op::Confirm(s, n)),
        (0..STEPS.len(), text).prop_map(|(s, r)| Op::Skip(s, r)),
        (0..STEPS.len(), text).prop_map(|(s, n)| Op::Note(s, n)),
    ]
}

fn action_strategy() -> impl Strategy<Value = Action> {
    prop_oneof![
        6 => op_strategy().prop_map(Action::Do),
        2 => (op_strategy(), any::<prop::sample::Index>()).prop_map(|(op, at)| Action::Torn(op, at)),
        1 => Just(Action::Restart),
    ]
}

/// What a replay says, without times: facts, and per step its status, notes, evidence, reason.
type Projection = (
    std::collections::BTreeMap<String, String>,
    std::collections::BTreeMap<String, (RecordedStatus, Vec<String>, Vec<String>, Option<String>)>,
    u64,
);

fn project(replay: &Replay) -> Projection {
    let texts = |entries: &[closeacct::testing::Entry]| entries.iter().map(|e| e.text.clone()).collect::<Vec<_>>();
    let steps = replay
        .steps
        .iter()
        .map(|(id, r)| (id.clone(), (r.status, texts(&r.notes), texts(&r.evidence), r.reason.clone())))
        .collect();
    (replay.facts.clone(), steps, replay.events)
}

fn run_actions(actions: &[Action]) -> Result<(), TestCaseError> {
    let root = tempfile::tempdir().unwrap();
    let session = small_session(root.path());
    let dir = root.path().join("runs/small/acct-1");
    let log = dir.join(EVENTS_FILE);
    let mut run = Some(session.create("acct-1").unwrap());
    let mut acknowledged = Vec::new();
    for action in actions {
        match action {
            Action::Do(op) => {
                let active = match run.as_mut() {
                    Some(active) => active,
                    None => run.insert(open_run(&session)),
                };
                active.record("ana", event(op)).unwrap();
                acknowledged.push(op.clone());
            }
            Action::Torn(op, at) => {
                let mut active = match run.take() {
                    Some(active) => active,
                    None => open_run(&session),
                };
                // The process died mid-write: only part of the line (maybe none of it) is there,
                // and the checkpoint, written after a line is, still names the line before.
                let checkpoint = dir.join("checkpoint");
                let before = fs::read(&checkpoint).ok();
                active.record("ana", event(op)).unwrap();
                drop(active);
                match &before {
                    Some(bytes) => fs::write(&checkpoint, bytes).unwrap(),
                    None => drop(fs::remove_file(&checkpoint)),
                }
                let bytes = fs::read(&log).unwrap();
                let last = bytes[..bytes.len() - 1].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
                let cut = last + at.index(bytes.len() - last);
                OpenOptions::new().write(true).open(&log).unwrap().set_len(cut as u64).unwrap();
                // Cut just before its newline, the line is whole: it is kept, as if acknowledged.
                if cut == bytes.len() - 1 {
                    acknowledged.push(op.clone());
                }
            }
            Action::Restart => drop(run.take()),
        }
    }
    drop(run);
    // Reopening sets any torn tail aside; the log then replays cleanly.
    drop(open_run(&session));
    let (interrupted, end) = replay(&dir, Detail::Full).unwrap();
    prop_assert_eq!(end.torn, None);

    let reference_root = tempfile::tempdir().unwrap();
    let reference_session = small_session(reference_root.path());
    let mut reference = reference_session.create("acct-1").unwrap();
    for op in &acknowledged {
        reference.record("ana", event(op)).unwrap();
    }
    drop(reference);
    let (uninterrupted, _) = replay(&reference_root.path().join("runs/small/acct-1"), Detail::Full).unwrap();
    prop_assert_eq!(project(&interrupted), project(&uninterrupted));
    prop_assert_eq!(interrupted.events, 1 + acknowledged.len() as u64);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: u32::try_from(scaled(64, 1000)).unwrap(),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Any sequence of answers, confirms, skips and notes, with restarts and torn writes of
    /// unacknowledged events, replays to the same facts, statuses and notes as the uninterrupted
    /// run of the acknowledged operations.
    #[test]
    fn replay_after_restarts_and_torn_writes_equals_the_acknowledged_run(
        actions in prop::collection::vec(action_strategy(), 0..40)
    ) {
        run_actions(&actions)?;
    }
}

/// Two commands racing for one run. Each trial spawns two `confirm --note` back to back. Proven
/// every trial: never both refused, a refusal is exit 75 naming the winner's pid (or, in a narrow
/// race, the previous holder's: see below), the log stays valid and
/// holds exactly the winners' notes (never an interleaved or lost line). Whether the two overlap
/// depends on timing (both hold the lock for most of their ~20-40 ms in a debug build, so most
/// trials do); the trials where neither was refused ran one after the other. The overlap itself
/// is made certain in the next test, by stopping a holder.
#[test]
fn two_processes_racing_for_a_run_never_both_write() {
    let env = Env::new();
    let file = small_run(&env);
    let log = env.log("small", "acct-1");
    let trials = scaled(50, 1000);
    let (mut overlapped, mut sequential, mut pid_of_winner, mut stale) = (0, 0, 0, 0);
    // Whoever held the lock last before this trial (the run's own setup, then the winners).
    let lock = env.run_dir("small", "acct-1").join("lock");
    let mut previous: Vec<u32> = fs::read_to_string(&lock).unwrap().trim().parse().into_iter().collect();
    let mut expected_events = read_log(&log, |_| Ok(())).unwrap().count;
    // Whether two processes overlap depends on the machine's load; trials go on past `trials`
    // (up to four times as many) until at least one has.
    let mut trial = 0;
    while trial < trials || (overlapped == 0 && trial < 4 * trials) {
        trial += 1;
        let spawn = |who: &str| {
            let note = format!("race {trial} {who}");
            spawn(&env.closeacct(&["confirm", "--checklist", &file, "--account", "acct-1", "ticket", "--note", &note]))
        };
        let (a, b) = (spawn("a"), spawn("b"));
        let pids = [a.id(), b.id()];
        let results = [finish(a), finish(b)];
        let codes = [results[0].0.code(), results[1].0.code()];
        let (signatures, torn) = log_signatures(&log);
        assert_eq!(torn, None);
        let count = |who: &str| {
            let note = format!("confirm ticket race {trial} {who}");
            signatures.iter().filter(|s| **s == note).count()
        };
        match codes {
            [Some(0), Some(0)] => {
                sequential += 1;
                assert_eq!((count("a"), count("b")), (1, 1));
                expected_events += 2;
                previous = pids.to_vec();
            }
            [Some(0), Some(75)] | [Some(75), Some(0)] => {
                overlapped += 1;
                let (winner, loser) = if codes[0] == Some(0) { (0, 1) } else { (1, 0) };
                let stderr = &results[loser].1;
                assert_eq!(stderr.lines().count(), 1, "{stderr}");
                let pid = stderr
                    .split("(pid ")
                    .nth(1)
                    .and_then(|rest| rest.split(')').next())
                    .and_then(|pid| pid.parse::<u32>().ok())
                    .unwrap_or_else(|| panic!("no pid named: {stderr}"));
                // The winner writes its pid just after taking the lock; a loser that reads the
                // file in between sees the previous holder's pid (a known, narrow race). Any
                // other pid would be a bug.
                if pid == pids[winner] {
                    pid_of_winner += 1;
                } else {
                    assert!(previous.contains(&pid), "trial {trial}: names pid {pid}, winner {}", pids[winner]);
                    eprintln!(
                        "lock race trial {trial}: named the previous holder {pid}, not the winner {}",
                        pids[winner]
                    );
                    stale += 1;
                }
                previous = vec![pids[winner]];
                assert_eq!((count(["a", "b"][winner]), count(["a", "b"][loser])), (1, 0));
                expected_events += 1;
            }
            _ => panic!("trial {trial}: exit codes {codes:?}\n{}\n{}", results[0].1, results[1].1),
        }
        assert_eq!(read_log(&log, |_| Ok(())).unwrap().count, expected_events, "trial {trial}");
    }
    eprintln!(
        "lock race: {trial} trials, {overlapped} overlapped (one exited 75 naming the winner's pid {pid_of_winner} \
         times, the previous holder's {stale} times), {sequential} ran one after the other (both recorded); \
         log valid after each"
    );
    assert!(overlapped > 0, "no trial overlapped; the race was not exercised");
}

fn signal(pid: u32, name: &str) {
    let status = Command::new("sh").args(["-c", &format!("kill -s {name} {pid}")]).status().expect("sh");
    assert!(status.success(), "kill -s {name} {pid}");
}

/// A holder stopped while it holds the lock (checked by trying the lock from here): a second
/// command exits 75 naming the holder's pid exactly, readers still work; then the holder is
/// killed with SIGKILL, its pid stays in the lock file, and the next command is not blocked.
#[test]
fn a_held_lock_names_its_holder_and_a_killed_holder_does_not_block() {
    let env = Env::new();
    let file = small_run(&env);
    let lock = env.run_dir("small", "acct-1").join("lock");
    let confirm =
        |note: &str| env.closeacct(&["confirm", "--checklist", &file, "--account", "acct-1", "ticket", "--note", note]);
    for attempt in 1.. {
        assert!(attempt <= 50, "could not catch a holder with the lock in 50 attempts");
        let mut holder = confirm("holder")
            .command()
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let pid = holder.id();
        let deadline = Instant::now() + Duration::from_secs(10);
        while fs::read_to_string(&lock).unwrap_or_default().trim() != pid.to_string()
            && holder.try_wait().unwrap().is_none()
        {
            assert!(Instant::now() < deadline, "the holder never took the lock");
            std::thread::sleep(Duration::from_micros(50));
        }
        if holder.try_wait().unwrap().is_some() {
            // It finished (and was reaped above) before it could be stopped. Try again.
            continue;
        }
        signal(pid, "STOP");
        let probe = File::open(&lock).unwrap();
        let exited = holder.try_wait().unwrap().is_some();
        if exited || !matches!(probe.try_lock(), Err(fs::TryLockError::WouldBlock)) {
            // Too late: it had already let go. Try again (a holder reaped here has no pid left
            // to signal).
            drop(probe);
            if !exited {
                signal(pid, "CONT");
                holder.wait().unwrap();
            }
            continue;
        }
        drop(probe);
        let Output { code, stderr, .. } = confirm("contender").output();
        assert_eq!(code, Some(75), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(&format!("in use by another closeacct (pid {pid})")), "{stderr}");
        env.closeacct(&["verify", "--checklist", &file, "--account", "acct-1"]).status(0);

        holder.kill().unwrap();
        let status = holder.wait().unwrap();
        assert_eq!(status.signal(), Some(libc::SIGKILL));
        assert_eq!(fs::read_to_string(&lock).unwrap().trim(), pid.to_string(), "the dead holder's pid is left");
        let Output { code, stderr, .. } = confirm("after the holder died").output();
        assert_eq!(code, Some(0), "a dead holder's lock blocks: {stderr}");
        env.closeacct(&["verify", "--checklist", &file, "--account", "acct-1"]).status(0);
        let (signatures, _) = log_signatures(&env.log("small", "acct-1"));
        assert!(!signatures.iter().any(|s| s.ends_with("contender")));
        assert!(signatures.iter().any(|s| s.ends_with("after the holder died")));
        eprintln!("lock: holder caught on attempt {attempt}; contender exited 75 naming pid {pid}");
        break;
    }
}

/// State files are created 0600 and run directories 0700, even under `umask 000`: the log, the
/// lock, the pinned checklist, the set-aside torn line, for two runs.
#[test]
fn state_files_are_0600_and_directories_0700_even_under_umask_000() {
    let env = Env::new();
    let file = env.write("small.toml", SMALL).display().to_string();
    let run = |args: &[&str]| {
        let Output { code, stderr, .. } =
            env.closeacct(args).via("sh", &["-c", "umask 000; exec \"$0\" \"$@\""]).output();
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
    };
    run(&["start", "--checklist", &file, "--account", "acct-1", "--fact", "org=no"]);
    run(&["confirm", "--checklist", &file, "--account", "acct-1", "backup"]);
    let log = env.log("small", "acct-1");
    OpenOptions::new().append(true).open(&log).unwrap().write_all(b"{\"v\":1,\"se").unwrap();
    run(&["confirm", "--checklist", &file, "--account", "acct-1", "ticket", "--evidence", "T-1"]);
    run(&["start", "--checklist", &file, "--account", "acct-2"]);
    assert!(env.run_dir("small", "acct-1").join("events.jsonl.torn").exists());
    let (mut files, mut dirs) = (0, 0);
    for path in walk(&env.state()) {
        let meta = fs::symlink_metadata(&path).unwrap();
        let mode = meta.permissions().mode() & 0o7777;
        if meta.is_dir() {
            assert_eq!(mode, 0o700, "{}", path.display());
            dirs += 1;
        } else {
            assert!(meta.is_file(), "{}", path.display());
            assert_eq!(mode, 0o600, "{}", path.display());
            files += 1;
        }
    }
    assert!(files >= 7 && dirs >= 5, "{files} files, {dirs} dirs");
    eprintln!("modes: {files} state files 0600, {dirs} directories 0700 under umask 000");
}

/// A symlinked log, lock, torn file, run directory or provider directory is refused (exit 65,
/// naming the link) by every command that records, and the link's target is left alone. (The
/// reading commands refuse a symlinked log too; they do follow a symlinked run directory.)
#[test]
fn symlinked_state_files_and_run_directories_are_refused() {
    let env = Env::new();
    let file = small_run(&env);
    let run_dir = env.run_dir("small", "acct-1");
    let elsewhere = env.dir.path().join("elsewhere");
    fs::create_dir(&elsewhere).unwrap();
    let writers: [&[&str]; 3] =
        [&["confirm", "ticket", "--note", "x"], &["answer", "org", "yes"], &["skip", "close-account", "--reason", "x"]];
    let readers: [&[&str]; 3] = [&["verify"], &["status"], &["report"]];
    let expect_refused = |commands: &[&[&str]], link: &Path, target: &Path| {
        let before = fs::read(target).ok();
        for command in commands {
            let mut args = vec![command[0], "--checklist", &file, "--account", "acct-1"];
            args.extend_from_slice(&command[1..]);
            let stderr = env.closeacct(&args).status(65).stderr;
            assert_eq!(stderr.lines().count(), 1, "{stderr}");
            assert!(stderr.contains(&format!("`{}`: it is a symbolic link", link.display())), "{stderr}");
            assert_eq!(fs::read(target).ok(), before, "{args:?} wrote through the link");
        }
    };

    for name in ["events.jsonl", "lock"] {
        let path = run_dir.join(name);
        let target = elsewhere.join(name);
        fs::rename(&path, &target).unwrap();
        symlink(&target, &path).unwrap();
        expect_refused(&writers, &path, &target);
        if name == "events.jsonl" {
            expect_refused(&readers, &path, &target);
        }
        fs::remove_file(&path).unwrap();
        fs::rename(&target, &path).unwrap();
    }

    let log = run_dir.join("events.jsonl");
    let whole = fs::read(&log).unwrap();
    OpenOptions::new().append(true).open(&log).unwrap().write_all(b"{\"v\":1").unwrap();
    let torn_target = elsewhere.join("torn");
    fs::write(&torn_target, "keep me\n").unwrap();
    let torn_link = run_dir.join("events.jsonl.torn");
    symlink(&torn_target, &torn_link).unwrap();
    expect_refused(&writers[..1], &torn_link, &torn_target);
    fs::remove_file(&torn_link).unwrap();
    fs::write(&log, &whole).unwrap();

    let provider_dir = env.state().join("runs/small");
    for (link, target) in [(run_dir.clone(), elsewhere.join("acct-1")), (provider_dir.clone(), elsewhere.join("small"))]
    {
        fs::rename(&link, &target).unwrap();
        symlink(&target, &link).unwrap();
        let log_target = if link == run_dir { target.join("events.jsonl") } else { target.join("acct-1/events.jsonl") };
        expect_refused(&writers, &link, &log_target);
        // Reading through a linked directory is refused too (`status` names the run).
        expect_refused(&[&["verify"], &["report"]], &link, &log_target);
        fs::remove_file(&link).unwrap();
        fs::rename(&target, &link).unwrap();
    }
    env.closeacct(&["verify", "--checklist", &file, "--account", "acct-1"]).status(0);
}

/// Account names that could leave the state directory are refused with exit 2 by every command
/// that takes one (`start` is covered in `commands.rs`), and nothing is created.
#[test]
fn bad_account_names_are_refused_by_every_run_command() {
    let env = Env::new();
    let file = small_run(&env);
    let before: Vec<PathBuf> = walk(&env.state());
    let long = "a".repeat(65);
    for account in ["..", "../acct-1", "acct-1/../../x", "/etc", "a\u{1b}[2J", "a\nb", long.as_str()] {
        let account = format!("--account={account}");
        for command in [
            &["confirm", "backup"][..],
            &["answer", "org", "no"],
            &["skip", "backup", "--reason", "x"],
            &["status"],
            &["verify"],
            &["report"],
        ] {
            let mut args = vec![command[0], "--checklist", &file, &account];
            args.extend_from_slice(&command[1..]);
            let stderr = env.closeacct(&args).status(2).stderr;
            assert!(stderr.starts_with("closeacct: ") && stderr.lines().count() == 1, "{args:?}: {stderr}");
        }
    }
    assert_eq!(walk(&env.state()), before, "nothing was created");
}

/// Hostile checklists through the binary: 20,000 steps (3.4 MiB, under the 4 MiB cap on
/// checklist files) validate; binary garbage, a huge file, deeply nested arrays and tables exit
/// 65 with one line and no panic, for `checklist validate` and for `start`, which then starts
/// nothing. (The library loads 100,000 steps from memory: `a_generated_checklist_of_100_000_steps_loads`.)
#[test]
fn hostile_checklists_through_the_binary() {
    let env = Env::new();
    let big = env.write("big.toml", generate_for_benchmarks(20_000));
    assert!(fs::metadata(&big).unwrap().len() < 4 << 20);
    let begun = Instant::now();
    let stdout = env.closeacct(&["checklist", "validate", big.to_str().unwrap()]).status(0).stdout;
    assert!(stdout.contains("20000 steps"), "{stdout}");
    eprintln!("20,000 steps validated in {:.1} s", begun.elapsed().as_secs_f64());

    let mut garbage = Vec::new();
    let mut rng = XorShift(7);
    garbage.extend((0..100_000).map(|_| rng.next().to_le_bytes()[3]));
    let hostile: [(&str, Vec<u8>); 5] = [
        ("garbage.toml", garbage),
        ("latin1.toml", b"id = \"caf\xe9\"\n".to_vec()),
        ("huge.toml", format!("id = \"{}\"", "x".repeat(40 * 1024 * 1024)).into_bytes()),
        ("arrays.toml", format!("a = {}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes()),
        ("tables.toml", format!("a = {}1{}", "{b = ".repeat(50_000), "}".repeat(50_000)).into_bytes()),
    ];
    for (name, bytes) in hostile {
        let path = env.write(name, bytes);
        let path = path.to_str().unwrap();
        for args in [&["checklist", "validate", path][..], &["start", "--checklist", path, "--account", "acct-1"]] {
            let Output { stdout, stderr, .. } = env.closeacct(args).status(65);
            assert!(stdout.is_empty(), "{name}: {stdout}");
            assert_eq!(stderr.lines().count(), 1, "{name}: {stderr}");
            assert!(stderr.starts_with(&format!("closeacct: {path}")), "{name}: {stderr}");
            assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        }
    }
    assert!(!env.state().join("runs").exists(), "a refused checklist starts nothing");
}
