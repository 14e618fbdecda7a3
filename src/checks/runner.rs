//! Running one command of a check: in its own process group, stdin from `/dev/null`, its output
//! streamed (hashed, with a bounded head kept), killed with its whole group past its timeout.
//!
//! Every running group is registered with an [`Interrupt`], so Ctrl-C can kill them all: children
//! in their own process group do not get the terminal's SIGINT.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::io::{self, Read};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use sha2::{Digest, Sha256};

/// How much of the start of each stream is kept: the 4 KiB excerpt plus a margin, so a secret
/// that straddles the excerpt's end is still whole when it is redacted.
pub(crate) const HEAD_BYTES: usize = 8 * 1024;

/// The most of a stream kept whole, when the whole is needed: the words of a `foreach`, stdout
/// for `matches`, stderr for `fails_with`.
pub(crate) const WHOLE_LIMIT: usize = 1024 * 1024;

/// How often a wait wakes up to look at the interrupt flag.
const POLL: Duration = Duration::from_millis(50);

/// How long, after its group was killed, a command's output may take to close. It closes at once
/// unless a process left the group (`setsid`) and still holds it.
const GRACE: Duration = Duration::from_secs(2);

/// Where running commands are registered, so an interruption can kill them all.
///
/// The binary uses the process-wide one ([`Interrupt::global`], which [`super::kill_running`]
/// interrupts); tests make their own, so interrupting one test's commands leaves the others'
/// alone. Once interrupted it stays interrupted: nothing more starts.
#[derive(Debug, Default)]
pub struct Interrupt {
    interrupted: AtomicBool,
    /// Process group ids (each the pid of the group's first process, not reaped yet).
    groups: Mutex<BTreeSet<i32>>,
}

impl Interrupt {
    /// A fresh registry, not interrupted.
    pub const fn new() -> Interrupt {
        Interrupt { interrupted: AtomicBool::new(false), groups: Mutex::new(BTreeSet::new()) }
    }

    /// The process-wide registry.
    pub(crate) fn global() -> &'static Interrupt {
        static GLOBAL: Interrupt = Interrupt::new();
        &GLOBAL
    }

    /// Kills every registered process group (SIGKILL) and makes every later start refuse.
    pub fn interrupt(&self) {
        let groups = self.lock();
        self.interrupted.store(true, Ordering::SeqCst);
        for &group in groups.iter() {
            kill_group(group);
        }
    }

    /// Whether [`Interrupt::interrupt`] was called.
    pub(crate) fn is_interrupted(&self) -> bool {
        self.interrupted.load(Ordering::SeqCst)
    }

    fn lock(&self) -> MutexGuard<'_, BTreeSet<i32>> {
        self.groups.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts `command` in a group of its own and registers the group, under the lock
    /// `interrupt` holds: a command is either started and registered before the kill, or not
    /// started at all (`None`). Registering after the start instead left a window in which
    /// Ctrl-C killed the others and the process exited before the new one was known.
    fn spawn_registered(&self, command: &mut Command) -> io::Result<Option<(Child, i32)>> {
        let mut groups = self.lock();
        if self.is_interrupted() {
            return Ok(None);
        }
        let child = command.spawn()?;
        let group = i32::try_from(child.id()).expect("pids fit in i32");
        groups.insert(group);
        Ok(Some((child, group)))
    }

    /// Reaps the group's first process and forgets the group, under the lock, so `interrupt`
    /// never signals a pid that may have been reused.
    fn reap(&self, group: i32, child: &mut Child) -> io::Result<ExitStatus> {
        let mut groups = self.lock();
        let status = child.wait();
        groups.remove(&group);
        status
    }
}

fn kill_group(group: i32) {
    // ESRCH (the group is gone) is the usual answer after a normal exit.
    let _ = killpg(Pid::from_raw(group), Signal::SIGKILL);
}

/// Whether the child has exited, leaving it unreaped: while it is a zombie its pid stays taken,
/// so killing its group afterwards reaches only what it left behind.
#[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
fn has_exited(child: &mut Child) -> bool {
    use nix::sys::wait::{Id, WaitPidFlag, WaitStatus, waitid};
    let pid = Pid::from_raw(i32::try_from(child.id()).unwrap_or(i32::MAX));
    let flags = WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG | WaitPidFlag::WNOWAIT;
    !matches!(waitid(Id::Pid(pid), flags), Ok(WaitStatus::StillAlive))
}

/// Without `waitid(WNOWAIT)` the child is reaped here; its pid could in theory be reused before
/// the group is killed, which needs a full wrap of the pid space within microseconds.
#[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
fn has_exited(child: &mut Child) -> bool {
    !matches!(child.try_wait(), Ok(None))
}

/// What was read from one stream.
#[derive(Debug, Clone, Default)]
pub(crate) struct Captured {
    /// Bytes read in all.
    pub(crate) bytes: u64,
    pub(crate) sha256: [u8; 32],
    /// The first [`HEAD_BYTES`].
    pub(crate) head: Vec<u8>,
    /// Everything, when asked for and no longer than [`WHOLE_LIMIT`].
    pub(crate) whole: Option<Vec<u8>>,
    /// Only ASCII whitespace was read (or nothing).
    pub(crate) blank: bool,
    /// The stream was still open when the command was given up on.
    pub(crate) open: bool,
    pub(crate) read_error: Option<String>,
}

/// A stream being read; shared with its reader thread so whatever was read can be taken even if
/// the stream never closes.
struct Capture {
    hasher: Sha256,
    bytes: u64,
    head: Vec<u8>,
    whole: Option<Vec<u8>>,
    blank: bool,
    done: bool,
    read_error: Option<String>,
}

impl Capture {
    fn new(keep_whole: bool) -> Capture {
        Capture {
            hasher: Sha256::new(),
            bytes: 0,
            head: Vec::new(),
            whole: keep_whole.then(Vec::new),
            blank: true,
            done: false,
            read_error: None,
        }
    }

    fn feed(&mut self, chunk: &[u8]) {
        self.hasher.update(chunk);
        self.bytes += chunk.len() as u64;
        let room = HEAD_BYTES.saturating_sub(self.head.len());
        self.head.extend_from_slice(&chunk[..room.min(chunk.len())]);
        if self.blank && !chunk.iter().all(u8::is_ascii_whitespace) {
            self.blank = false;
        }
        if let Some(whole) = &mut self.whole {
            if whole.len() + chunk.len() <= WHOLE_LIMIT {
                whole.extend_from_slice(chunk);
            } else {
                self.whole = None;
            }
        }
    }

    fn snapshot(&self, keep_whole: bool) -> Captured {
        Captured {
            bytes: self.bytes,
            sha256: self.hasher.clone().finalize().into(),
            head: self.head.clone(),
            whole: if keep_whole { self.whole.clone() } else { None },
            blank: self.blank,
            open: !self.done,
            read_error: self.read_error.clone(),
        }
    }
}

fn lock(capture: &Mutex<Capture>) -> MutexGuard<'_, Capture> {
    capture.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Reads a stream to its end, feeding the shared capture; reports on `done` when it ends.
fn pump(mut reader: impl Read, capture: &Mutex<Capture>, done: &mpsc::Sender<()>) {
    let mut buffer = vec![0; 64 * 1024];
    loop {
        match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => lock(capture).feed(&buffer[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                lock(capture).read_error = Some(e.to_string());
                break;
            }
        }
    }
    lock(capture).done = true;
    let _ = done.send(());
}

/// How one command ended.
#[derive(Debug)]
pub(crate) struct Finished {
    pub(crate) exit_code: Option<i32>,
    pub(crate) signal: Option<i32>,
    pub(crate) timed_out: bool,
    pub(crate) duration: Duration,
    pub(crate) stdout: Captured,
    pub(crate) stderr: Captured,
}

/// Why a command did not run to an outcome.
#[derive(Debug)]
pub(crate) enum Failure {
    /// It could not be started.
    Spawn(io::Error),
    /// The interrupt came; the command's group was killed.
    Interrupted,
}

/// What to keep whole, besides the heads.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Keep {
    pub(crate) stdout: bool,
    pub(crate) stderr: bool,
}

/// Runs one command to its end, its timeout, or the interrupt.
pub(crate) fn run_command(
    argv: &[String],
    timeout: Duration,
    keep: Keep,
    env: &[(OsString, Option<OsString>)],
    interrupt: &Interrupt,
) -> Result<Finished, Failure> {
    if interrupt.is_interrupted() {
        return Err(Failure::Interrupted);
    }
    let (program, arguments) = argv.split_first().ok_or_else(|| Failure::Spawn(io::ErrorKind::InvalidInput.into()))?;
    let mut command = Command::new(program);
    command.args(arguments).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).process_group(0);
    for (name, value) in env {
        match value {
            Some(value) => command.env(name, value),
            None => command.env_remove(name),
        };
    }

    let start = Instant::now();
    let Some((mut child, group)) = interrupt.spawn_registered(&mut command).map_err(Failure::Spawn)? else {
        return Err(Failure::Interrupted);
    };

    let (done_tx, done_rx) = mpsc::channel();
    let stdout = Arc::new(Mutex::new(Capture::new(keep.stdout)));
    let stderr = Arc::new(Mutex::new(Capture::new(keep.stderr)));
    // Plain threads, not scoped ones: a process that left the group may hold a pipe open for
    // ever, and the check must not wait for it.
    for (reader, capture) in [
        (child.stdout.take().map(|r| Box::new(r) as Box<dyn Read + Send>), &stdout),
        (child.stderr.take().map(|r| Box::new(r) as Box<dyn Read + Send>), &stderr),
    ] {
        let capture = Arc::clone(capture);
        let done = done_tx.clone();
        let reader = reader.expect("piped");
        thread::spawn(move || pump(reader, &capture, &done));
    }
    drop(done_tx);

    let deadline = start + timeout;
    let mut open = 2;
    let mut timed_out = false;
    let mut interrupted = false;
    // First the output closes, then the process exits; either may come first in practice.
    while open > 0 {
        if interrupt.is_interrupted() {
            interrupted = true;
            break;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            timed_out = true;
            break;
        }
        match done_rx.recv_timeout(left.min(POLL)) {
            Ok(()) => open -= 1,
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    let mut pause = Duration::from_millis(1);
    while !timed_out && !interrupted && !has_exited(&mut child) {
        if interrupt.is_interrupted() {
            interrupted = true;
        } else if Instant::now() >= deadline {
            timed_out = true;
        } else {
            thread::sleep(pause.min(deadline.saturating_duration_since(Instant::now())));
            pause = (pause * 2).min(Duration::from_millis(20));
        }
    }
    // After a timeout this kills the command; after a normal exit, whatever it left running.
    kill_group(group);
    let status = interrupt.reap(group, &mut child);
    let duration = start.elapsed();
    if interrupted {
        return Err(Failure::Interrupted);
    }

    let grace = Instant::now() + GRACE;
    while open > 0 {
        match done_rx.recv_timeout(grace.saturating_duration_since(Instant::now())) {
            Ok(()) => open -= 1,
            Err(_) => break,
        }
    }
    let (exit_code, signal) = match status {
        Ok(status) => (status.code(), status.signal()),
        Err(_) => (None, None),
    };
    let stdout = lock(&stdout).snapshot(keep.stdout);
    let stderr = lock(&stderr).snapshot(keep.stderr);
    Ok(Finished { exit_code, signal, timed_out, duration, stdout, stderr })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| (*w).to_owned()).collect()
    }

    fn run(words: &[&str], timeout: Duration, keep: Keep) -> Finished {
        run_command(&argv(words), timeout, keep, &[], &Interrupt::new()).unwrap()
    }

    #[test]
    fn output_is_hashed_and_its_head_kept() {
        let out = run(
            &["sh", "-c", "printf 'hello\\n'; printf 'oops' >&2; exit 3"],
            Duration::from_secs(10),
            Keep::default(),
        );
        assert_eq!(out.exit_code, Some(3));
        assert_eq!(out.signal, None);
        assert!(!out.timed_out);
        assert_eq!(out.stdout.head, b"hello\n");
        assert_eq!(out.stdout.bytes, 6);
        assert_eq!(out.stdout.sha256, <[u8; 32]>::from(Sha256::digest(b"hello\n")));
        assert!(!out.stdout.blank);
        assert_eq!(out.stderr.head, b"oops");
        assert!(out.stdout.whole.is_none());
        assert!(!out.stdout.open && !out.stderr.open);
    }

    #[test]
    fn heads_are_bounded_and_wholes_dropped_past_the_limit() {
        let script = format!("head -c {} /dev/zero | tr '\\0' x", WHOLE_LIMIT + 1);
        let out = run(&["sh", "-c", &script], Duration::from_secs(10), Keep { stdout: true, stderr: true });
        assert_eq!(out.stdout.bytes, WHOLE_LIMIT as u64 + 1);
        assert_eq!(out.stdout.head.len(), HEAD_BYTES);
        assert!(out.stdout.whole.is_none());
        assert_eq!(out.stderr.whole.as_deref(), Some(&b""[..]));
        let out = run(&["printf", " \n\t "], Duration::from_secs(10), Keep { stdout: true, stderr: false });
        assert!(out.stdout.blank);
        assert_eq!(out.stdout.whole.as_deref(), Some(&b" \n\t "[..]));
    }

    #[test]
    fn stdin_is_empty() {
        let out = run(&["wc", "-c"], Duration::from_secs(10), Keep::default());
        assert_eq!(String::from_utf8_lossy(&out.stdout.head).trim(), "0");
    }

    #[test]
    fn a_command_runs_in_a_group_of_its_own() {
        // Field 5 of /proc/PID/stat is the process group.
        let out = run(&["sh", "-c", "echo $$; cut -d' ' -f5 /proc/$$/stat"], Duration::from_secs(10), Keep::default());
        let text = String::from_utf8_lossy(&out.stdout.head).into_owned();
        let words: Vec<&str> = text.split_whitespace().collect();
        assert_eq!(words.len(), 2, "{text}");
        assert_eq!(words[0], words[1], "pid and process group differ");
        assert_ne!(words[1], nix::unistd::getpgrp().to_string());
    }

    #[test]
    fn past_its_timeout_a_command_is_killed() {
        let start = Instant::now();
        let out = run(&["sleep", "30"], Duration::from_millis(300), Keep::default());
        assert!(out.timed_out);
        assert_eq!(out.signal, Some(9));
        assert_eq!(out.exit_code, None);
        assert!(start.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn what_a_command_leaves_running_in_its_group_is_killed_when_it_ends() {
        let out = run(&["sh", "-c", "sleep 30 >/dev/null 2>&1 & echo $!"], Duration::from_secs(10), Keep::default());
        assert_eq!(out.exit_code, Some(0));
        let pid: i32 = String::from_utf8_lossy(&out.stdout.head).trim().parse().unwrap();
        assert!(gone_within(pid, Duration::from_secs(5)), "the background sleep {pid} survived");
    }

    #[test]
    fn a_missing_program_fails_to_spawn() {
        let error = run_command(
            &argv(&["closeacct-no-such-program"]),
            Duration::from_secs(1),
            Keep::default(),
            &[],
            &Interrupt::new(),
        )
        .unwrap_err();
        assert!(matches!(error, Failure::Spawn(e) if e.kind() == io::ErrorKind::NotFound));
    }

    #[test]
    fn an_interrupted_registry_starts_nothing_and_kills_what_runs() {
        let interrupt = Interrupt::new();
        thread::scope(|s| {
            let running = s.spawn(|| {
                run_command(&argv(&["sleep", "30"]), Duration::from_secs(30), Keep::default(), &[], &interrupt)
            });
            while interrupt.lock().is_empty() {
                thread::sleep(Duration::from_millis(5));
            }
            let group = *interrupt.lock().iter().next().unwrap();
            let start = Instant::now();
            interrupt.interrupt();
            assert!(matches!(running.join().unwrap(), Err(Failure::Interrupted)));
            assert!(start.elapsed() < Duration::from_secs(5));
            assert!(gone_within(group, Duration::from_secs(5)));
        });
        assert!(interrupt.lock().is_empty());
        let again = run_command(&argv(&["true"]), Duration::from_secs(1), Keep::default(), &[], &interrupt);
        assert!(matches!(again, Err(Failure::Interrupted)));
    }

    /// Whether `pid` is gone (or a zombie: dead, waiting for a parent that is not us) in time.
    fn gone_within(pid: i32, limit: Duration) -> bool {
        let start = Instant::now();
        while start.elapsed() < limit {
            match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
                Err(_) => return true,
                Ok(line) if line.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with('Z')) => {
                    return true;
                }
                Ok(_) => thread::sleep(Duration::from_millis(10)),
            }
        }
        false
    }
}
