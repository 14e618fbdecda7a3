//! Shared helpers: every test gets its own state directory, a cleared environment, a pinned
//! clock and operator, and runs the real binary.

pub mod moto;

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use tempfile::TempDir;

/// The time every test run sees as "now" unless it says otherwise.
pub const NOW: &str = "2026-11-24T13:40:00Z";

/// The path of the binary under test.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_closeacct")
}

/// A test environment: a temp dir holding the state dir.
pub struct Env {
    pub dir: TempDir,
}

impl Env {
    pub fn new() -> Env {
        Env { dir: tempfile::tempdir().expect("temp dir") }
    }

    /// The state directory the commands use.
    pub fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    /// A run's directory.
    pub fn run_dir(&self, provider: &str, account: &str) -> PathBuf {
        self.state().join("runs").join(provider).join(account)
    }

    /// A run's event log.
    pub fn log(&self, provider: &str, account: &str) -> PathBuf {
        self.run_dir(provider, account).join("events.jsonl")
    }

    /// `program` with a clean environment: only `PATH`, a home and a state dir in the temp dir,
    /// operator `ana`, UTC, no colour and the clock pinned at [`NOW`]; as a plain `std` command,
    /// so it can be spawned, killed or wrapped.
    pub fn std_cmd(&self, program: impl AsRef<std::ffi::OsStr>) -> std::process::Command {
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

    /// The binary with a clean environment (see [`Env::std_cmd`]).
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = self.std_cmd(bin());
        cmd.args(args);
        Command::from_std(cmd)
    }

    /// Runs a command and returns its output, whatever the exit code.
    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("run closeacct")
    }

    /// Runs a command that must exit with `code`; returns stdout and stderr.
    #[track_caller]
    pub fn expect(&self, args: &[&str], code: i32) -> (String, String) {
        let out = self.run(args);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(code), "closeacct {args:?}\n--- stdout\n{stdout}\n--- stderr\n{stderr}");
        (stdout, stderr)
    }

    /// Writes a file under the temp dir and returns its path.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, contents).expect("write file");
        path
    }
}

/// Replaces the temp dir in output with `$TEST_ENV`.
pub fn redact(text: &str, dir: &Path) -> String {
    text.replace(&dir.display().to_string(), "$TEST_ENV")
}

/// A small checklist with every step kind, a fact, requires and follow-ups, for tests that must
/// not depend on the built-in content.
pub const SMALL: &str = r#"
id = "small"
name = "Small test checklist"
version = 1

[source]
title = "Test source"
publisher = "closeacct tests"

[[facts]]
id = "org"
question = "Is {account} an organization's management account?"

[[stages]]
id = "prepare"
title = "Prepare"

[[stages.steps]]
id = "backup"
title = "Back up the data"
detail = "Copy out what you must keep."
actor = "customer"
kind = "confirm"

[[stages.steps]]
id = "remove-members"
title = "Remove the member accounts"
detail = "Only for management accounts."
actor = "customer"
kind = "confirm"
when = "org"

[[stages]]
id = "close"
title = "Close"

[[stages.steps]]
id = "ticket"
title = "Open the closure ticket"
detail = "Open a ticket and note its number."
actor = "customer"
kind = "evidence"
evidence = "Ticket number"
requires = ["backup"]

[[stages.steps]]
id = "close-account"
title = "Close the account"
detail = "Press the button."
actor = "customer"
kind = "attest"
requires = ["ticket"]

[[stages.steps.follow_up]]
after = "90d"
text = "content is deleted"

[[stages.steps]]
id = "confirmation"
title = "The provider confirms"
detail = "Wait for the e-mail."
actor = "provider"
kind = "wait"
requires = ["close-account"]

[[stages.steps.follow_up]]
after = "1h"
from = "close-account"
text = "no confirmation: e-mail support"
"#;

/// A test environment with the [`SMALL`] checklist written to a file, and the run `acct-1`.
pub struct Small {
    pub env: Env,
    /// The checklist file's path.
    pub file: String,
}

impl Small {
    pub fn new() -> Small {
        let env = Env::new();
        let file = env.write("small.toml", SMALL).display().to_string();
        Small { env, file }
    }

    /// Runs `closeacct <command> --checklist small.toml --account acct-1 <rest>`, which must exit
    /// with `code`; returns stdout and stderr.
    #[track_caller]
    pub fn expect(&self, command: &str, rest: &[&str], code: i32) -> (String, String) {
        let mut args = vec![command, "--checklist", &self.file, "--account", "acct-1"];
        args.extend_from_slice(rest);
        self.env.expect(&args, code)
    }

    /// The run's event log, as text.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.env.log("small", "acct-1")).expect("read the log")
    }
}
