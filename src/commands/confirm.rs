//! `closeacct confirm STEP`: mark a step done.

use super::{open_existing, say_next, session};
use crate::checklist::StepKind;
use crate::cli::ConfirmArgs;
use crate::error::{Error, Result};
use crate::progress::{Progress, Status};
use crate::state::EventKind;

/// Marks a step done. A step already done gets the new note or evidence added; nothing earlier
/// changes.
pub fn cmd_confirm(args: &ConfirmArgs) -> Result<()> {
    let session = session(&args.run, Some(&args.operator))?;
    let r = session.checklist.resolve(&args.step)?;
    let mut run = open_existing(&session, &args.run, &args.operator)?;
    let step = session.checklist.step(r);
    let id = step.id.get_ref().clone();
    let number = r.number();
    let progress = Progress::new(&session.checklist, &run.replay);
    let already_done = progress.status(step) == Status::Done;
    let note = non_empty(args.note.as_deref());
    let evidence = non_empty(args.evidence.as_deref());
    if already_done {
        if note.is_none() && evidence.is_none() {
            eprintln!("step {number} `{id}` is already done; nothing new to record (add --note or --evidence)");
            return Ok(());
        }
    } else {
        progress.check_can_record(r)?;
        match step.kind {
            StepKind::Attest => match args.attest.as_deref() {
                Some(typed) if typed == run.account => {}
                Some(_) => {
                    return Err(Error::refused(format!(
                        "step {number} `{id}` cannot be undone; --attest must be exactly the account `{}`",
                        run.account
                    )));
                }
                None => {
                    return Err(Error::refused(format!(
                        "step {number} `{id}` cannot be undone; confirm it with --attest {}",
                        run.account
                    )));
                }
            },
            StepKind::Evidence if evidence.is_none() => {
                let what = step.evidence.as_deref().unwrap_or("the evidence");
                return Err(Error::refused(format!("step {number} `{id}` needs evidence: --evidence \"{what}\"")));
            }
            _ => {}
        }
    }
    let attested = if already_done || step.kind != StepKind::Attest { None } else { args.attest.clone() };
    let event = run.record(&session.operator, EventKind::StepDone { step: id.clone(), note, evidence, attested })?;
    eprintln!("✔ recorded step {number} `{id}` done (seq {})", event.seq);
    session.complete_if_done(&mut run)?;
    say_next(&session, &run);
    Ok(())
}

/// `None` for a missing or blank text.
pub(crate) fn non_empty(text: Option<&str>) -> Option<String> {
    text.map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned)
}
