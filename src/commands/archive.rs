//! `closeacct archive`: move a complete run out of the active list.

use crate::cli::ArchiveArgs;
use crate::error::Result;
use crate::fleet::Fleet;
use crate::session::Session;
use crate::ui::Ui;

/// Moves a complete run to `archive/`; it stays readable and reportable there, never deleted.
pub(crate) fn cmd_archive(ui: &Ui, args: &ArchiveArgs) -> Result<()> {
    let session = Session::from_args(&args.run, None)?;
    let account = session.require_account(args.run.account.as_deref())?;
    let provider = session.provider().to_owned();
    let mut fleet = Fleet::new(session.state, Some(session.checklist));
    let archived = fleet.archive(&provider, &account)?;
    ui.status(format_args!(
        "Archived {provider}/{account} to {}; `closeacct report --provider {provider} --account {account} --archived` reports it",
        archived.display()
    ));
    Ok(())
}
