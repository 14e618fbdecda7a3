//! `closeacct wizard`: the interactive run.

use crate::cli::WizardArgs;
use crate::error::{Error, Result};
use crate::session::{Session, operator_name};
use crate::terminal::{self, TerminalPrompter};
use crate::ui::Ui;
use crate::wizard::{self, Options, Outcome};

/// Walks the checklist on the terminal; exit 0 when complete, 3 when saved with steps open.
pub(crate) fn cmd_wizard(_ui: &Ui, args: &WizardArgs) -> Result<()> {
    // Before anything else: without a terminal dialoguer would block or fail half-way.
    if !terminal::can_prompt() {
        return Err(Error::NoTerminal);
    }
    let operator = operator_name(args.operator.operator.as_deref())?;
    let session = Session::from_args(&args.run, None)?;
    terminal::install_interrupt_handler();
    let mut prompter = TerminalPrompter::default();
    // Without `--operator` or `$USER` (a container, a CI shell) the wizard asks who acts, once.
    let operator = match operator {
        Some(name) => name,
        None => match wizard::ask_operator(&mut prompter) {
            Err(Error::Interrupted) => {
                terminal::report_interrupt();
                return Err(Error::Interrupted);
            }
            other => other?,
        },
    };
    let session = Session { operator, ..session };
    let options = Options {
        account: args.run.account.as_deref(),
        restart: args.restart,
        accept_changes: args.operator.accept_changes,
    };
    match wizard::run(&session, &options, &mut prompter) {
        Ok(Outcome::Complete) => Ok(()),
        Ok(Outcome::Saved) => Err(Error::Incomplete),
        Err(Error::Interrupted) => {
            terminal::report_interrupt();
            Err(Error::Interrupted)
        }
        Err(e) => Err(e),
    }
}
