//! The rules every write obeys: what `confirm`, `answer`, `wait` and `skip` need, `--at` times, and
//! the secret screen every recorded text passes.

use jiff::Timestamp;

use super::{ActiveRun, Session, non_empty};
use crate::checklist::{StepKind, StepRef};
use crate::clock;
use crate::error::{Error, Result};
use crate::progress::{Progress, Status};
use crate::state::{Event, EventKind, RecordedStatus};
use crate::visible::first_unsafe;

/// Notes, evidence and reasons longer than this are refused: a note is not a file dump.
pub(crate) const MAX_TEXT_CHARS: usize = 4000;
/// What `confirm` (or the wizard) gives besides the step: each blank text counts as none.
#[derive(Debug, Default)]
pub(crate) struct Confirmation {
    pub(crate) note: Option<String>,
    pub(crate) evidence: Option<String>,
    /// The account, typed again: required for an irreversible (`attest`) step.
    pub(crate) attest: Option<String>,
    /// When it happened, if it is recorded afterwards (`--at`).
    pub(crate) happened_at: Option<Timestamp>,
    /// Confirm with the step's checks as evidence: the latest run of each must have passed.
    pub(crate) with_check: bool,
}

/// What confirming a step did.
#[derive(Debug)]
pub(crate) enum Confirmed {
    /// The step is recorded done (or, already done, the new note or evidence is added).
    Recorded(Box<Event>),
    /// The step was already done and nothing new was given.
    NothingNew,
}

/// Refuses a note, evidence or reason that is too long or looks like a secret, before anything is
/// written. `what` names the field for the message (`the note for step 3.2`).
pub(crate) fn screen_text(what: &str, text: &str) -> Result<()> {
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(Error::RefusedInput {
            message: format!("refusing to record {what}: it is longer than {MAX_TEXT_CHARS} characters"),
        });
    }
    // Line breaks and tabs are text; escape sequences, carriage returns and bidirectional
    // overrides would make a screen or a report show something else than what was recorded.
    if let Some(c) = first_unsafe(text, true) {
        return Err(Error::RefusedInput {
            message: format!(
                "refusing to record {what}: it contains the control character U+{:04X}; type the text without it",
                u32::from(c)
            ),
        });
    }
    if let Some(kind) = crate::secrets::find_secret(text) {
        return Err(Error::RefusedInput {
            message: format!(
                "refusing to record {what}: it contains what looks like {kind}; record where the secret is kept, not the secret"
            ),
        });
    }
    Ok(())
}

impl Session {
    /// Records a step done, enforcing what its kind needs: an irreversible step needs the
    /// account typed exactly, an evidence step needs evidence. A step already done takes a new
    /// note or evidence as a further event; nothing earlier changes. The wizard and `confirm`
    /// both come through here.
    pub(crate) fn confirm(&self, run: &mut ActiveRun, r: StepRef, given: Confirmation) -> Result<Confirmed> {
        let step = self.checklist.step(r);
        let id = step.id.get_ref().clone();
        let number = r.number();
        let progress = Progress::new(&self.checklist, &run.replay);
        let already_done = progress.status(step) == Status::Done;
        let note = non_empty(given.note.as_deref());
        let evidence = non_empty(given.evidence.as_deref());
        let checks = if given.with_check { self.passed_checks(run, r)? } else { Vec::new() };
        if already_done {
            if given.happened_at.is_some() {
                return Err(Error::refused(format!(
                    "step {number} `{id}` is already done; --at cannot change when it happened (add a --note to correct the record)"
                )));
            }
            if note.is_none() && evidence.is_none() && checks.is_empty() {
                return Ok(Confirmed::NothingNew);
            }
        } else {
            progress.check_can_record(r)?;
            self.check_after_requirements(run, r, given.happened_at)?;
            match step.kind {
                StepKind::Attest => match given.attest.as_deref() {
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
                // The checks a step is confirmed with are its evidence.
                StepKind::Evidence if evidence.is_none() && checks.is_empty() => {
                    let what = step.evidence.as_deref().unwrap_or("the evidence");
                    return Err(Error::refused(format!("step {number} `{id}` needs evidence: --evidence \"{what}\"")));
                }
                _ => {}
            }
        }
        let attested = if already_done || step.kind != StepKind::Attest { None } else { given.attest };
        let event = run.record(
            &self.operator,
            EventKind::StepDone { step: id, note, evidence, attested, happened_at: given.happened_at, checks },
        )?;
        Ok(Confirmed::Recorded(Box::new(event)))
    }

    /// Records a fact's answer. On a complete run an answer that changes a fact could change
    /// which steps apply, so it is refused unless `reopen`; then the run is recorded as reopened
    /// first, and the report says so.
    pub(crate) fn answer(&self, run: &mut ActiveRun, fact: &str, value: String, reopen: bool) -> Result<Event> {
        let current = run.replay.facts.get(fact);
        if current.is_some_and(|c| *c != value) && Progress::new(&self.checklist, &run.replay).is_complete() {
            if !reopen {
                return Err(Error::refused(format!(
                    "the run {}/{} is complete; answering `{fact}` {value} instead of {} could change which steps apply. To change it, reopen the run: add --reopen (the report will say the run was reopened)",
                    run.provider,
                    run.account,
                    current.map_or("", String::as_str)
                )));
            }
            run.record(&self.operator, EventKind::RunReopened {})?;
        }
        run.record(&self.operator, EventKind::FactAnswered { fact: fact.to_owned(), value })
    }

    /// Records that a `wait` step is waiting on someone (`on`), with an optional note; a step
    /// already waiting takes the new word as a further event. `confirm` closes it.
    pub(crate) fn wait(
        &self,
        run: &mut ActiveRun,
        r: StepRef,
        on: Option<String>,
        note: Option<String>,
        happened_at: Option<Timestamp>,
    ) -> Result<Event> {
        let step = self.checklist.step(r);
        let id = step.id.get_ref().clone();
        if step.kind != StepKind::Wait {
            return Err(Error::refused(format!(
                "step {} `{id}` is not a wait step (its kind is {}); only a step someone else acts on can be waiting",
                r.number(),
                step.kind
            )));
        }
        let progress = Progress::new(&self.checklist, &run.replay);
        match progress.status(step) {
            Status::Done | Status::Skipped => {
                return Err(Error::refused(format!(
                    "step {} `{id}` is already resolved; nothing is waiting",
                    r.number()
                )));
            }
            _ => progress.check_can_record(r)?,
        }
        self.check_after_requirements(run, r, happened_at)?;
        run.record(&self.operator, EventKind::StepWaiting { step: id, note, on, happened_at })
    }

    /// Refuses a time given with `--at` that is before a step this one requires was done: the
    /// record would show the second thing happening before the first.
    fn check_after_requirements(&self, run: &ActiveRun, r: StepRef, happened_at: Option<Timestamp>) -> Result<()> {
        let Some(at) = happened_at else { return Ok(()) };
        let step = self.checklist.step(r);
        for required in &step.requires {
            let required = required.get_ref();
            let Some(record) = run.replay.steps.get(required.as_str()) else { continue };
            if record.status == RecordedStatus::Done && record.happened() > at {
                let zone = clock::run_zone(run.replay.zone.as_deref());
                let number = self.checklist.find(required).map(StepRef::number).unwrap_or_default();
                return Err(Error::refused(format!(
                    "step {} `{}` cannot have happened at {}: it requires step {number} `{required}`, done at {}",
                    r.number(),
                    step.id.get_ref(),
                    clock::minutes_in(at, &zone),
                    clock::minutes_in(record.happened(), &zone)
                )));
            }
        }
        Ok(())
    }

    /// Records a step skipped, with the reason. A step already done cannot be skipped.
    pub(crate) fn skip(
        &self,
        run: &mut ActiveRun,
        r: StepRef,
        reason: String,
        happened_at: Option<Timestamp>,
    ) -> Result<Event> {
        let step = self.checklist.step(r);
        let id = step.id.get_ref().clone();
        let progress = Progress::new(&self.checklist, &run.replay);
        if progress.status(step) == Status::Done {
            return Err(Error::refused(format!(
                "step {} `{id}` is already done; a done step cannot be skipped",
                r.number()
            )));
        }
        progress.check_can_record(r)?;
        run.record(&self.operator, EventKind::StepSkipped { step: id, reason, happened_at })
    }

    /// Records `run_completed` once every step is resolved (and not already recorded); returns
    /// whether the run is complete. The wizard and the scripted commands both end a step here.
    pub(crate) fn complete_if_done(&self, run: &mut ActiveRun) -> Result<bool> {
        let complete = Progress::new(&self.checklist, &run.replay).is_complete();
        if complete && run.replay.completed_at.is_none() {
            run.record(&self.operator, EventKind::RunCompleted {}).map_err(|e| match e {
                Error::Io { path, source, .. } => Error::CompletionNotRecorded { path, source },
                other => other,
            })?;
        }
        Ok(complete)
    }
}

impl ActiveRun {
    /// When something happened, from `--at` (or the wizard's question): read in the run's zone,
    /// and refused when it is in the future or before the run started.
    pub(crate) fn happened_at(&self, text: Option<&str>) -> Result<Option<Timestamp>> {
        let Some(text) = text else { return Ok(None) };
        let zone = clock::run_zone(self.replay.zone.as_deref());
        let now = clock::now();
        let at = clock::parse_happened(text, now, &zone).map_err(Error::usage)?;
        if at > now {
            return Err(Error::refused(format!(
                "{} is in the future (it is now {}); record what has happened",
                clock::minutes_in(at, &zone),
                clock::minutes_in(now, &zone)
            )));
        }
        if let Some(started) = self.replay.started_at
            && at < Timestamp::from_second(started.as_second() - started.as_second().rem_euclid(60)).unwrap_or(started)
        {
            return Err(Error::refused(format!(
                "{} is before the run started ({}); a run records only what happens during it",
                clock::minutes_in(at, &zone),
                clock::minutes_in(started, &zone)
            )));
        }
        // Now, given in words, is the time of recording: nothing to add.
        Ok((at != now).then_some(at))
    }

    /// Writes one event durably, then folds it into the replay. Every text in it is screened
    /// first, so nothing that looks like a secret reaches the log whatever the caller.
    pub fn record(&mut self, operator: &str, kind: EventKind) -> Result<Event> {
        for (what, text) in texts(&kind) {
            screen_text(&what, text)?;
        }
        let event = self.appender.append(clock::now(), operator, kind)?;
        self.replay.apply(&event);
        self.replay.last_line_hashed(self.appender.last_hash());
        Ok(event)
    }
}

/// The free texts of an event, each with a phrase naming it for messages.
fn texts(kind: &EventKind) -> Vec<(String, &str)> {
    let mut texts = Vec::new();
    match kind {
        EventKind::StepDone { step, note, evidence, attested, .. } => {
            texts.extend(note.as_deref().map(|t| (format!("the note for step `{step}`"), t)));
            texts.extend(evidence.as_deref().map(|t| (format!("the evidence for step `{step}`"), t)));
            texts.extend(attested.as_deref().map(|t| (format!("the attestation for step `{step}`"), t)));
        }
        EventKind::StepSkipped { step, reason, .. } => {
            texts.push((format!("the reason for skipping step `{step}`"), reason));
        }
        EventKind::StepWaiting { step, note, on, .. } => {
            texts.extend(note.as_deref().map(|t| (format!("the note for step `{step}`"), t)));
            texts.extend(on.as_deref().map(|t| (format!("who step `{step}` waits on"), t)));
        }
        EventKind::NoteAdded { step, note } => texts.push((format!("the note for step `{step}`"), note)),
        _ => {}
    }
    texts
}
