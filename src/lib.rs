//! closeacct: a wizard that walks an operator safely through closing a cloud account.
//!
//! The binary is a thin wrapper around [`run`]; tests, fuzz targets and benchmarks call the same
//! library code.

pub mod checklist;
pub mod checks;
pub mod cli;
pub mod clock;
mod commands;
pub mod dates;
pub mod error;
pub mod layout;
pub mod progress;
pub mod report;
pub mod secrets;
pub mod session;
pub mod state;
pub mod terminal;
pub mod wizard;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;

pub use crate::error::{Error, Result};

/// Parses the arguments, runs the command, prints any error once on stderr, and returns the exit
/// code from the CONTRACT table.
pub fn run<I: IntoIterator<Item = OsString>>(args: I) -> ExitCode {
    let cli = match cli::Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // clap: 0 for --help/--version, 2 for usage errors, as in CONTRACT.
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    match commands::dispatch(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            if !matches!(e, Error::Silent { .. }) {
                print_error(&e);
            }
            ExitCode::from(e.exit_code())
        }
    }
}

fn print_error(error: &Error) {
    eprintln!("closeacct: {error}");
    let mut source = std::error::Error::source(error);
    // The I/O variants already show their source inline; deeper causes are listed.
    if matches!(error, Error::Io { .. }) {
        source = source.and_then(std::error::Error::source);
    }
    while let Some(cause) = source {
        eprintln!("Caused by: {cause}");
        source = cause.source();
    }
}
