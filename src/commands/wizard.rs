//! `closeacct wizard`: the interactive run.

use super::session;
use crate::cli::WizardArgs;
use crate::error::{Error, Result};
use crate::terminal::{self, TerminalPrompter};
use crate::wizard::{self, Options, Outcome};

/// Walks the checklist on the terminal; exit 0 when complete, 3 when saved with steps open.
pub fn cmd_wizard(args: &WizardArgs) -> Result<()> {
    // Before anything else: without a terminal dialoguer would block or fail half-way.
    if !terminal::can_prompt() {
        return Err(Error::NoTerminal);
    }
    let session = session(&args.run, Some(&args.operator))?;
    terminal::install_interrupt_handler();
    let mut prompter = TerminalPrompter::default();
    let options = Options {
        account: args.run.account.as_deref(),
        restart: args.restart,
        accept_changes: args.operator.accept_changes,
    };
    match wizard::run(&session, &options, &mut prompter) {
        Ok(Outcome::Complete) => Ok(()),
        Ok(Outcome::Saved) => Err(Error::Silent { code: 3 }),
        Err(Error::Interrupted) => {
            terminal::report_interrupt();
            Err(Error::Silent { code: 4 })
        }
        Err(e) => Err(e),
    }
}
