//! `closeacct completions SHELL`: the script that registers completion in a shell. It calls
//! closeacct back on each <Tab> (see `complete`), so provider ids, accounts and step ids come
//! from the checklists and runs there are at that moment.

use crate::cli::CompletionsArgs;
use crate::complete;
use crate::error::Result;
use crate::ui::Ui;

/// Prints the registration script for a shell.
pub(crate) fn cmd_completions(ui: &Ui, args: &CompletionsArgs) -> Result<()> {
    // The script calls back the binary as it was invoked, like `COMPLETE=bash closeacct` does.
    let argv0 = std::env::args_os().next();
    let completer = complete::completer_path(argv0.as_deref(), std::env::current_dir().ok().as_deref());
    ui.stdout(&complete::registration(args.shell, &completer))
}
