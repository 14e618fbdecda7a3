//! `closeacct answer FACT VALUE`.

use super::{open_existing, say_next, session};
use crate::checklist::{Fact, Loaded};
use crate::cli::AnswerArgs;
use crate::error::{Error, Result};
use crate::progress::Progress;
use crate::state::EventKind;

/// Records a fact's answer; the latest answer decides which steps apply.
pub fn cmd_answer(args: &AnswerArgs) -> Result<()> {
    let session = session(&args.run, Some(&args.operator))?;
    let value = find_fact(&session.checklist, &args.fact)?.normalise(&args.value)?;
    let mut run = open_existing(&session, &args.run, &args.operator)?;
    let event =
        run.record(&session.operator, EventKind::FactAnswered { fact: args.fact.clone(), value: value.clone() })?;
    let counts = Progress::new(&session.checklist, &run.replay).counts();
    eprintln!(
        "✔ recorded {} = {value} (seq {}); {} steps apply, {} do not",
        args.fact, event.seq, counts.applicable, counts.not_applicable
    );
    session.complete_if_done(&mut run)?;
    say_next(&session, &run);
    Ok(())
}

/// Looks a fact up, or lists the facts there are.
pub(crate) fn find_fact<'a>(checklist: &'a Loaded, id: &str) -> Result<&'a Fact> {
    checklist.fact(id).ok_or_else(|| Error::UnknownFact {
        fact: id.to_owned(),
        checklist: checklist.id().to_owned(),
        available: checklist.checklist.facts.iter().map(|f| f.id.get_ref().as_str()).collect::<Vec<_>>().join(", "),
    })
}
