//! `closeacct confirm STEP`: mark a step done (`--with-check`: on its checks' latest passing runs).

use crate::cli::ConfirmArgs;
use crate::error::Result;
use crate::session::{Confirmation, Confirmed, Session};
use crate::ui::Ui;

/// Marks a step done. A step already done gets the new note or evidence added; nothing earlier
/// changes.
pub(crate) fn cmd_confirm(ui: &Ui, args: &ConfirmArgs) -> Result<()> {
    let session = Session::from_args(&args.run, Some(&args.operator))?;
    let r = session.checklist.resolve(&args.step)?;
    let mut run = session.open_existing(&args.run, &args.operator)?;
    ui.note_torn(&run);
    let id = session.checklist.step(r).id.get_ref();
    let given = Confirmation {
        note: args.note.clone(),
        evidence: args.evidence.clone(),
        attest: args.attest.clone(),
        happened_at: run.happened_at(args.at.as_deref())?,
        with_check: args.with_check,
    };
    match session.confirm(&mut run, r, given)? {
        Confirmed::NothingNew => {
            ui.status(format_args!(
                "step {} `{id}` is already done; nothing new to record (add --note or --evidence)",
                r.number()
            ));
            return Ok(());
        }
        Confirmed::Recorded(event) => {
            ui.status(format_args!("✔ recorded step {} `{id}` done (seq {})", r.number(), event.seq));
        }
    }
    session.complete_if_done(&mut run)?;
    ui.say_next(&session, &run);
    Ok(())
}
