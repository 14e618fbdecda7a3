//! `closeacct start`: begin a run without prompts.

use crate::cli::StartArgs;
use crate::error::{Error, Result};
use crate::session::{ActiveRun, Session, validate_account};
use crate::ui::Ui;

/// Starts a run (or says it exists) and records any `--fact` given.
pub(crate) fn cmd_start(ui: &Ui, args: &StartArgs) -> Result<()> {
    let session = Session::from_args(&args.run, Some(&args.operator))?;
    let Some(account) = args.run.account.as_deref() else {
        return Err(Error::usage("`start` needs --account ACCOUNT"));
    };
    validate_account(account)?;
    // Check every answer before writing anything, so a bad one leaves no half-started run.
    let facts = parse_facts(&session, &args.facts)?;
    let open_existing = || -> Result<ActiveRun> {
        let run = session.open_existing(&args.run, &args.operator)?;
        ui.note_torn(&run);
        ui.status(format_args!(
            "A run for {}/{account} already exists in {}; recording the facts given.",
            session.provider(),
            run.dir.display()
        ));
        Ok(run)
    };
    let mut run = if session.run_exists(account) {
        open_existing()?
    } else {
        match session.create(account) {
            Ok(run) => {
                ui.status(format_args!("Started run {}/{account} in {}", session.provider(), run.dir.display()));
                run
            }
            // Another `start` got there first.
            Err(Error::RunExists { .. }) => open_existing()?,
            Err(e) => return Err(e),
        }
    };
    for (fact, value) in facts {
        let event = session.answer(&mut run, &fact, value.clone(), args.reopen)?;
        ui.status(format_args!("✔ recorded {fact} = {value} (seq {})", event.seq));
    }
    ui.say_next(&session, &run);
    Ok(())
}

/// Parses `KEY=VALUE` answers against the checklist's facts.
fn parse_facts(session: &Session, given: &[String]) -> Result<Vec<(String, String)>> {
    given
        .iter()
        .map(|pair| {
            let Some((key, value)) = pair.split_once('=') else {
                return Err(Error::usage(format!("--fact `{pair}` is not KEY=VALUE")));
            };
            let fact = session.checklist.require_fact(key.trim())?;
            Ok((key.trim().to_owned(), fact.normalise(value)?))
        })
        .collect()
}
