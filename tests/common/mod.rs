//! Shared helpers: every test gets its own state directory, a cleared environment, a pinned
//! clock and operator, and runs the real binary.

pub(crate) mod moto;

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

/// The time every test run sees as "now" unless it says otherwise.
pub(crate) const NOW: &str = "2026-11-24T13:40:00Z";

/// The path of the binary under test.
pub(crate) fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_closeacct")
}

/// A test environment: a temp dir holding the state dir.
pub(crate) struct Env {
    pub dir: TempDir,
}

impl Env {
    pub(crate) fn new() -> Env {
        Env { dir: tempfile::tempdir().expect("temp dir") }
    }

    /// The state directory the commands use.
    pub(crate) fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    /// A run's directory.
    pub(crate) fn run_dir(&self, provider: &str, account: &str) -> PathBuf {
        self.state().join("runs").join(provider).join(account)
    }

    /// A run's event log.
    pub(crate) fn log(&self, provider: &str, account: &str) -> PathBuf {
        self.run_dir(provider, account).join("events.jsonl")
    }

    /// `program` with a clean environment: only `PATH`, a home and a state dir in the temp dir,
    /// operator `ana`, UTC, no colour and the clock pinned at [`NOW`]; as a plain `std` command,
    /// so it can be spawned, killed or wrapped.
    pub(crate) fn std_cmd(&self, program: impl AsRef<std::ffi::OsStr>) -> std::process::Command {
        let mut cmd = std::process::Command::new(program);
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("USER", "ana")
            .env("TZ", "UTC")
            .env("NO_COLOR", "1")
            .env("CLOSEACCT_NOW", NOW)
            .env("CLOSEACCT_STATE_DIR", self.state())
            .current_dir(self.dir.path());
        cmd
    }

    /// The binary with `args` in this environment (see [`Env::std_cmd`]), to be run with
    /// [`Run::status`] or [`Run::output`].
    pub(crate) fn closeacct(&self, args: &[&str]) -> Run<'_> {
        Run {
            env: self,
            wrapper: Vec::new(),
            args: args.iter().map(Into::into).collect(),
            envs: Vec::new(),
            dir: None,
            stdin: None,
        }
    }

    /// Writes a file under the temp dir and returns its path.
    pub(crate) fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, contents).expect("write file");
        path
    }
}

/// One run of the binary, being set up; nothing runs until [`Run::status`] or [`Run::output`].
#[must_use = "a Run does nothing until .status() or .output()"]
pub(crate) struct Run<'e> {
    env: &'e Env,
    /// A program (and its arguments) that runs the binary: `sh -c '…; exec "$0" "$@"'`.
    wrapper: Vec<OsString>,
    args: Vec<OsString>,
    /// Changes to the environment of [`Env::std_cmd`]: set, or removed (`None`).
    envs: Vec<(OsString, Option<OsString>)>,
    dir: Option<PathBuf>,
    /// Bytes given on standard input (none: an empty, closed stdin).
    stdin: Option<Vec<u8>>,
}

impl Run<'_> {
    /// Gives `bytes` on standard input.
    pub(crate) fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(bytes.into());
        self
    }

    /// More arguments.
    pub(crate) fn args(mut self, args: &[&str]) -> Self {
        self.args.extend(args.iter().map(Into::into));
        self
    }

    /// Pins "now" (`CLOSEACCT_NOW`) at an RFC 3339 time.
    pub(crate) fn now(self, at: &str) -> Self {
        self.env("CLOSEACCT_NOW", at)
    }

    /// The time zone (`TZ`).
    pub(crate) fn tz(self, zone: &str) -> Self {
        self.env("TZ", zone)
    }

    /// Sets an environment variable.
    pub(crate) fn env(mut self, key: &str, value: impl AsRef<OsStr>) -> Self {
        self.envs.push((key.into(), Some(value.as_ref().to_owned())));
        self
    }

    /// Removes an environment variable.
    pub(crate) fn env_remove(mut self, key: &str) -> Self {
        self.envs.push((key.into(), None));
        self
    }

    /// Runs in `dir` instead of the temp dir.
    pub(crate) fn current_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.dir = Some(dir.as_ref().to_owned());
        self
    }

    /// Runs the binary through `program before...`, which must exec it with the arguments it
    /// is given (`sh -c 'ulimit -f 1; exec "$0" "$@"'`, `setpriv --reuid=… --`).
    pub(crate) fn via(mut self, program: &str, before: &[&str]) -> Self {
        self.wrapper = std::iter::once(program).chain(before.iter().copied()).map(Into::into).collect();
        self
    }

    /// The `std` command, to spawn, kill or put on a terminal.
    pub(crate) fn command(&self) -> Command {
        let mut cmd = match self.wrapper.split_first() {
            None => self.env.std_cmd(bin()),
            Some((program, before)) => {
                let mut cmd = self.env.std_cmd(program);
                cmd.args(before).arg(bin());
                cmd
            }
        };
        cmd.args(&self.args);
        for (key, value) in &self.envs {
            match value {
                Some(value) => cmd.env(key, value),
                None => cmd.env_remove(key),
            };
        }
        if let Some(dir) = &self.dir {
            cmd.current_dir(dir);
        }
        cmd
    }

    /// Runs it to the end, whatever it exits with.
    pub(crate) fn output(self) -> Output {
        let out = match &self.stdin {
            None => self.command().output().expect("run closeacct"),
            Some(bytes) => {
                use std::io::Write as _;
                let mut child = self
                    .command()
                    .stdin(std::process::Stdio::piped())
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .expect("run closeacct");
                let mut stdin = child.stdin.take().expect("stdin is piped");
                // Written from a thread: a child that writes much before reading all of its input
                // would otherwise block on a full stdout pipe while this blocks on its stdin.
                let bytes = bytes.clone();
                let writer = std::thread::spawn(move || {
                    // A child that exits without reading everything closes the pipe: not a failure.
                    let _ = stdin.write_all(&bytes);
                });
                let out = child.wait_with_output().expect("wait for closeacct");
                writer.join().expect("stdin writer");
                out
            }
        };
        Output {
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            code: out.status.code(),
            dir: self.env.dir.path().to_path_buf(),
        }
    }

    /// Runs it to the end; it must exit with `code`.
    #[track_caller]
    pub(crate) fn status(self, code: i32) -> Output {
        let args: Vec<_> = self.args.iter().map(|a| a.to_string_lossy().into_owned()).collect();
        let out = self.output();
        assert_eq!(out.code, Some(code), "closeacct {args:?}\n{}", out.snapshot());
        out
    }
}

/// What a run of the binary printed, and how it exited.
#[derive(Debug)]
pub(crate) struct Output {
    pub stdout: String,
    pub stderr: String,
    /// `None` when a signal ended it.
    pub code: Option<i32>,
    dir: PathBuf,
}

impl Output {
    /// stdout, then stderr, then the exit status, with the temp dir shown as `$TEST_ENV`: what a
    /// user sees, for a snapshot.
    pub(crate) fn snapshot(&self) -> String {
        let status = self.code.map_or_else(|| "signal".to_owned(), |c| c.to_string());
        redact(&format!("{}------- stderr -------\n{}[exit status: {status}]\n", self.stdout, self.stderr), &self.dir)
    }
}

/// Replaces the temp dir in output with `$TEST_ENV`.
pub(crate) fn redact(text: &str, dir: &Path) -> String {
    text.replace(&dir.display().to_string(), "$TEST_ENV")
}

/// A small checklist with every step kind, a fact, requires and follow-ups, for tests that must
/// not depend on the built-in content.
pub(crate) const SMALL: &str = include_str!("../fixtures/checklists/valid/small.toml");

/// A test environment with the [`SMALL`] checklist written to a file, and the run `acct-1`.
pub(crate) struct Small {
    pub env: Env,
    /// The checklist file's path.
    pub file: String,
}

impl Small {
    pub(crate) fn new() -> Small {
        let env = Env::new();
        let file = env.write("small.toml", SMALL).display().to_string();
        Small { env, file }
    }

    /// `closeacct <command> --checklist small.toml --account acct-1 <rest>`.
    pub(crate) fn closeacct(&self, command: &str, rest: &[&str]) -> Run<'_> {
        self.env.closeacct(&[command, "--checklist", &self.file, "--account", "acct-1"]).args(rest)
    }

    /// The run's event log, as text.
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(self.env.log("small", "acct-1")).expect("read the log")
    }
}
