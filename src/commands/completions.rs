//! `closeacct completions SHELL`.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::error::Result;
use crate::ui::Ui;

/// Prints completions for a shell.
pub(crate) fn cmd_completions(ui: &Ui, args: &CompletionsArgs) -> Result<()> {
    let mut buffer = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "closeacct", &mut buffer);
    ui.stdout(&buffer)
}
