//! `closeacct completions SHELL` and `closeacct man`.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::error::{Error, Result};
use crate::ui::Ui;

/// Prints completions for a shell.
pub(crate) fn cmd_completions(ui: &Ui, args: &CompletionsArgs) -> Result<()> {
    let mut buffer = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "closeacct", &mut buffer);
    ui.stdout(&buffer)
}

/// Prints the man page.
pub(crate) fn cmd_man(ui: &Ui) -> Result<()> {
    let mut buffer = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut buffer)
        .map_err(|e| Error::Internal { message: format!("cannot render the man page: {e}") })?;
    ui.stdout(&buffer)
}
