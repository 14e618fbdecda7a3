//! `closeacct remove`: move a run to the state directory's trash, after the account is typed.

use crate::cli::RemoveArgs;
use crate::error::{Error, Result};
use crate::fleet::Fleet;
use crate::prompter::Prompter;
use crate::session::Session;
use crate::state::StateDir;
use crate::terminal::{self, TerminalPrompter};
use crate::ui::Ui;

/// Moves any run (open, complete or damaged) to `trash/PROVIDER/ACCOUNT/STAMP` once the account is
/// typed: on the terminal, or with `--attest` in scripts. Nothing is deleted.
pub(crate) fn cmd_remove(ui: &Ui, args: &RemoveArgs) -> Result<()> {
    // The checklist is not needed (a run of a checklist that is gone can be removed too), only
    // its id when a file is given.
    let provider = match (&args.run.provider, &args.run.checklist.checklist) {
        (Some(provider), _) => provider.clone(),
        (None, _) => Session::load_checklist(None, &args.run.checklist)?.id().to_owned(),
    };
    let Some(account) = args.run.account.clone() else {
        return Err(Error::usage("`remove` needs --account ACCOUNT: say which run to move to the trash"));
    };
    let state = StateDir::resolve(args.run.state.state_dir.as_deref())?;
    let fleet = Fleet::new(state, None);
    let typed = match &args.attest {
        Some(typed) => typed.clone(),
        None if terminal::can_prompt() => TerminalPrompter::default()
            .input(&format!("Type the account {account} to move the run {provider}/{account} to the trash"))?,
        None => {
            return Err(Error::usage(format!(
                "removing a run needs its account typed; on a terminal it is asked for, in scripts give --attest {account}"
            )));
        }
    };
    if typed.trim() != account {
        return Err(Error::refused(format!(
            "`{}` is not the account `{account}`; nothing was moved",
            typed.trim().escape_debug()
        )));
    }
    let moved = fleet.trash(&provider, &account)?;
    ui.status(format_args!(
        "Moved the run {provider}/{account} to {}; nothing was deleted (move the directory back to runs/{provider}/ to restore it)",
        moved.display()
    ));
    Ok(())
}
