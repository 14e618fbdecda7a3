//! `closeacct skip STEP --reason T`.

use super::{open_existing, say_next, session};
use crate::cli::SkipArgs;
use crate::error::{Error, Result};
use crate::progress::{Progress, Status};
use crate::state::EventKind;

/// Marks a step skipped, with the reason. A step already done cannot be skipped.
pub fn cmd_skip(args: &SkipArgs) -> Result<()> {
    let session = session(&args.run, Some(&args.operator))?;
    let r = session.checklist.resolve(&args.step)?;
    let reason = super::confirm::non_empty(Some(&args.reason))
        .ok_or_else(|| Error::usage("--reason must say why the step is skipped"))?;
    let mut run = open_existing(&session, &args.run, &args.operator)?;
    let step = session.checklist.step(r);
    let id = step.id.get_ref().clone();
    let progress = Progress::new(&session.checklist, &run.replay);
    if progress.status(step) == Status::Done {
        return Err(Error::refused(format!(
            "step {} `{id}` is already done; a done step cannot be skipped",
            r.number()
        )));
    }
    progress.check_can_record(r)?;
    let event = run.record(&session.operator, EventKind::StepSkipped { step: id.clone(), reason })?;
    eprintln!("✔ recorded step {} `{id}` skipped (seq {})", r.number(), event.seq);
    session.complete_if_done(&mut run)?;
    say_next(&session, &run);
    Ok(())
}
