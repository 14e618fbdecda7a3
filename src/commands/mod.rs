//! One module per subcommand, each with one `cmd_<name>`; `dispatch` is the only place that knows
//! them all. Commands never import each other: what two share lives in `Session` or `Ui`.

mod answer;
mod archive;
mod check;
mod checklist;
mod completions;
mod confirm;
mod man;
mod providers;
mod remove;
mod report;
mod runs;
mod skip;
mod start;
mod status;
mod verify;
mod wait;
mod wizard;

use crate::cli::Command;
use crate::error::Result;
use crate::ui::Ui;

/// Runs one parsed command.
pub(crate) fn dispatch(ui: &Ui, command: Command) -> Result<()> {
    match command {
        Command::Providers(args) => providers::cmd_providers(ui, &args),
        Command::Checklist(sub) => checklist::cmd_checklist(ui, &sub),
        Command::Wizard(args) => wizard::cmd_wizard(ui, &args),
        Command::Start(args) => start::cmd_start(ui, &args),
        Command::Answer(args) => answer::cmd_answer(ui, &args),
        Command::Confirm(args) => confirm::cmd_confirm(ui, &args),
        Command::Skip(args) => skip::cmd_skip(ui, &args),
        Command::Wait(args) => wait::cmd_wait(ui, &args),
        Command::Status(args) => status::cmd_status(ui, &args),
        Command::Report(args) => report::cmd_report(ui, &args),
        Command::Verify(args) => verify::cmd_verify(ui, &args),
        Command::Check(args) => check::cmd_check(ui, &args),
        Command::Runs(args) => runs::cmd_runs(ui, &args),
        Command::Archive(args) => archive::cmd_archive(ui, &args),
        Command::Remove(args) => remove::cmd_remove(ui, &args),
        Command::Completions(args) => completions::cmd_completions(ui, &args),
        Command::Man(args) => man::cmd_man(ui, &args),
    }
}
