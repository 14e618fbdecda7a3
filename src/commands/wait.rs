//! `closeacct wait STEP --on WHO`: a wait step is waiting on someone else.

use crate::cli::WaitArgs;
use crate::error::{Error, Result};
use crate::session::{Session, non_empty};
use crate::ui::Ui;

/// Marks a wait step as waiting on someone, as the wizard's "Not yet — keep waiting" does;
/// `confirm` closes it once it has happened.
pub(crate) fn cmd_wait(ui: &Ui, args: &WaitArgs) -> Result<()> {
    let session = Session::from_args(&args.run, Some(&args.operator))?;
    let r = session.checklist.resolve(&args.step)?;
    let on = non_empty(Some(&args.on)).ok_or_else(|| Error::usage("--on must say who the step waits on"))?;
    let mut run = session.open_existing(&args.run, &args.operator)?;
    ui.note_torn(&run);
    let happened_at = run.happened_at(args.at.as_deref())?;
    let event = session.wait(&mut run, r, Some(on), non_empty(args.note.as_deref()), happened_at)?;
    let id = session.checklist.step(r).id.get_ref();
    ui.status(format_args!("✔ recorded step {} `{id}` waiting on {} (seq {})", r.number(), args.on.trim(), event.seq));
    ui.say_next(&session, &run);
    Ok(())
}
