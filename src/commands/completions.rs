//! `closeacct completions SHELL` and `closeacct man`.

use clap::CommandFactory;

use super::write_stdout;
use crate::cli::{Cli, CompletionsArgs};
use crate::error::{Error, Result};

/// Prints completions for a shell.
pub fn cmd_completions(args: &CompletionsArgs) -> Result<()> {
    let mut buffer = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "closeacct", &mut buffer);
    write_stdout(&buffer)
}

/// Prints the man page.
pub fn cmd_man() -> Result<()> {
    let mut buffer = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut buffer)
        .map_err(|e| Error::Internal { message: format!("cannot render the man page: {e}") })?;
    write_stdout(&buffer)
}
