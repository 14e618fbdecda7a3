//! closeacct: a wizard that walks an operator safely through closing a cloud account.
//!
//! The binary is a thin wrapper around [`run`]; tests, fuzz targets and benchmarks call the same
//! library code.

mod bounded;
mod checklist;
mod checks;
mod cli;
mod clock;
mod commands;
mod complete;
mod dates;
mod digest;
mod error;
mod fit;
mod fleet;
mod layout;
mod progress;
mod prompter;
mod report;
mod secrets;
mod session;
mod sign;
mod state;
mod terminal;
mod ui;
mod visible;
mod wizard;

/// What tests, benchmarks and fuzz targets reach inside the crate; not an API.
#[doc(hidden)]
pub mod testing {
    pub use crate::checklist::{
        Actor, BUILTIN, Checklist, Choice, Condition, Delay, DetailIf, Fact, FactKind, FollowUp, Link, Loaded, Source,
        SourceEntry, Stage, Step, StepKind, StepRef, generate_for_benchmarks,
    };
    pub use crate::checks::{
        Check, CheckError, CheckRecord, CommandRecord, EXCERPT_BYTES, Expect, ExpectSpec, Field, Foreach,
        ForeachRecord, Interrupt, ItemRecord, Options, Plan, Progress as CheckProgress, SpecError, Template,
        ValidCheck, one_region_argv_for_benchmarks, quote, regions_check_for_benchmarks, run as run_check,
    };
    pub use crate::clock::now;
    pub use crate::error::Error;
    pub use crate::progress::Progress;
    pub use crate::secrets::{Finding, SecretKind, VendorKind, find_secret, findings, redact};
    pub use crate::session::{ActiveRun, OnChange, Session};
    pub use crate::state::{
        Appender, CheckRef, CheckRun, Detail, EVENTS_FILE, Entry, Event, EventKind, EventRef, HistoryEntry, LineAt,
        LogEnd, RecordedStatus, Replay, RunLock, Sink, StateDir, StepRecord, assert_quick_reader_agrees,
        open_log_for_append, parse_log, read_log, replay,
    };
    pub use crate::wizard::{Action, RUN_CHECK, STEP_MENU, WAIT_MENU};
}

use std::ffi::OsString;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use clap::Parser;

use crate::error::Error;

/// Parses the arguments, runs the command, prints any error once on stderr, and returns the exit
/// code from the CONTRACT table.
pub fn run<I: IntoIterator<Item = OsString>>(args: I) -> ExitCode {
    let args: Vec<OsString> = args.into_iter().collect();
    // The shell's completion script calls back with COMPLETE set; that is answered and nothing runs.
    if let Some(code) = complete::answer_request(&args) {
        return code;
    }
    let cli = match cli::Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // clap: 0 for --help/--version, 2 for usage errors, as in CONTRACT.
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    // Under a file-size limit (`ulimit -f`) a write past it raises SIGXFSZ, whose default action
    // kills the process mid-line. Handled, the write fails with EFBIG instead, and the usual I/O
    // path applies: exit 74, the partial line cut back, nothing half-recorded.
    let _ = signal_hook::flag::register(signal_hook::consts::SIGXFSZ, Arc::new(AtomicBool::new(false)));
    if let Err(message) = clock::check_pinned() {
        print_error(&Error::usage(message));
        return ExitCode::from(2);
    }
    let ui = ui::Ui::new(cli.quiet);
    match commands::dispatch(&ui, cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            if !e.is_reported() {
                print_error(&e);
            }
            ExitCode::from(e.exit_code())
        }
    }
}

/// Prints an error, its causes and its hint, each on a line of its own. A message can carry what
/// the operator typed or a file held, so each line is made [`visible`](visible::visible_line):
/// no escape sequence or line break in it reaches the terminal as such.
fn print_error(error: &Error) {
    eprintln!("closeacct: {}", visible::visible_line(&error.to_string()));
    let mut source = std::error::Error::source(error);
    // The I/O variants already show their source inline; deeper causes are listed.
    if matches!(error, Error::Io { .. } | Error::CompletionNotRecorded { .. }) {
        source = source.and_then(std::error::Error::source);
    }
    while let Some(cause) = source {
        eprintln!("Caused by: {}", visible::visible_line(&cause.to_string()));
        source = cause.source();
    }
    if let Some(hint) = error.hint() {
        eprintln!("hint: {}", visible::visible_line(&hint));
    }
}
