//! `closeacct answer FACT VALUE`.

use crate::cli::AnswerArgs;
use crate::error::Result;
use crate::progress::Progress;
use crate::session::Session;
use crate::ui::Ui;

/// Records a fact's answer; the latest answer decides which steps apply.
pub(crate) fn cmd_answer(ui: &Ui, args: &AnswerArgs) -> Result<()> {
    let session = Session::from_args(&args.run, Some(&args.operator))?;
    let value = session.checklist.require_fact(&args.fact)?.normalise(&args.value)?;
    let mut run = session.open_existing(&args.run, &args.operator)?;
    ui.note_torn(&run);
    let event = session.answer(&mut run, &args.fact, value.clone(), args.reopen)?;
    let counts = Progress::new(&session.checklist, &run.replay).counts();
    ui.status(format_args!(
        "✔ recorded {} = {value} (seq {}); {} steps apply, {} do not",
        args.fact, event.seq, counts.applicable, counts.not_applicable
    ));
    session.complete_if_done(&mut run)?;
    ui.say_next(&session, &run);
    Ok(())
}
