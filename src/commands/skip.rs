//! `closeacct skip STEP --reason T`.

use crate::cli::SkipArgs;
use crate::error::{Error, Result};
use crate::session::{Session, non_empty};
use crate::ui::Ui;

/// Marks a step skipped, with the reason. A step already done cannot be skipped.
pub(crate) fn cmd_skip(ui: &Ui, args: &SkipArgs) -> Result<()> {
    let session = Session::from_args(&args.run, Some(&args.operator))?;
    let r = session.checklist.resolve(&args.step)?;
    let reason =
        non_empty(Some(&args.reason)).ok_or_else(|| Error::usage("--reason must say why the step is skipped"))?;
    let mut run = session.open_existing(&args.run, &args.operator)?;
    ui.note_torn(&run);
    let happened_at = run.happened_at(args.at.as_deref())?;
    let event = session.skip(&mut run, r, reason, happened_at)?;
    let id = session.checklist.step(r).id.get_ref();
    ui.status(format_args!("✔ recorded step {} `{id}` skipped (seq {})", r.number(), event.seq));
    session.complete_if_done(&mut run)?;
    ui.say_next(&session, &run);
    Ok(())
}
