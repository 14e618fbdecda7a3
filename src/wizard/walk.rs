//! The walk: facts first, then each open step with its menu, until the run is complete or the
//! operator saves. Every answer is recorded (written and fsynced) before the next step is shown.

use std::fmt::Write as _;

use super::next::{Next, next};
use super::{Outcome, say_indented, say_wrapped};
use crate::checklist::{Actor, Catalog, FactKind, Loaded, StepKind, StepRef};
use crate::clock;
use crate::dates;
use crate::error::{Error, Result};
use crate::layout::fill_hanging;
use crate::progress::{Progress, Status};
use crate::prompter::Prompter;
use crate::session::{ActiveRun, Confirmation, Confirmed, Session};
use crate::state::{Event, EventKind};

/// What a step's menu offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Done,
    Wait,
    Skip,
    Note,
    Quit,
}

/// The menu of a step the operator acts on; the first item is highlighted.
pub const STEP_MENU: &[(&str, Action)] = &[
    ("Done", Action::Done),
    ("Skip (give a reason)", Action::Skip),
    ("Add a note first", Action::Note),
    ("Save and quit", Action::Quit),
];

/// The menu of a step someone else acts on.
pub const WAIT_MENU: &[(&str, Action)] = &[
    ("Yes — it happened (record now)", Action::Done),
    ("Not yet — keep waiting, remind me", Action::Wait),
    ("Skip (give a reason)", Action::Skip),
    ("Add a note first", Action::Note),
    ("Save and quit", Action::Quit),
];

pub(super) struct Walk<'a, 'p> {
    pub(super) session: &'a Session,
    pub(super) checklist: &'a Loaded,
    pub(super) p: &'p mut dyn Prompter,
}

/// What the operator chose for one step.
enum Choice {
    Next,
    Quit,
}

impl Walk<'_, '_> {
    pub(super) fn walk(&mut self, run: &mut ActiveRun) -> Result<Outcome> {
        let mut cursor = None;
        let mut reminded = false;
        loop {
            let next = next(&Progress::new(self.checklist, &run.replay), cursor);
            if !reminded && matches!(next, Next::Step(_) | Next::Saved) {
                self.say_reminders(run);
                reminded = true;
            }
            match next {
                Next::Facts => self.ask_facts(run)?,
                Next::Step(r) => {
                    cursor = Some(r);
                    if let Choice::Quit = self.step(run, r)? {
                        return Ok(self.saved(run));
                    }
                }
                Next::Complete => {
                    self.session.complete_if_done(run)?;
                    self.summary(run);
                    return Ok(Outcome::Complete);
                }
                Next::Saved => return Ok(self.saved(run)),
            }
        }
    }

    fn ask_facts(&mut self, run: &mut ActiveRun) -> Result<()> {
        let unanswered: Vec<String> =
            Progress::new(self.checklist, &run.replay).unanswered_facts().into_iter().map(str::to_owned).collect();
        say_wrapped(self.p, "\nA few questions decide which steps apply to this account.");
        for id in unanswered {
            let fact = self.checklist.fact(&id).expect("unanswered facts come from the checklist");
            if let Some(help) = &fact.help {
                say_indented(self.p, help, "  ");
            }
            let question = fact.question.replace("{account}", &run.account);
            let value = match fact.kind {
                FactKind::YesNo => if self.p.confirm(&question)? { "yes" } else { "no" }.to_owned(),
                FactKind::Choice => {
                    let labels: Vec<&str> = fact.choices.iter().map(|c| c.label.as_str()).collect();
                    let index = self.p.select(&question, &labels)?;
                    fact.choices[index].id.get_ref().clone()
                }
            };
            run.record(&self.session.operator, EventKind::FactAnswered { fact: id, value })?;
        }
        let counts = Progress::new(self.checklist, &run.replay).counts();
        say_wrapped(
            self.p,
            &format!(
                "  → {} steps apply, {} do not (shown as not applicable in the report)",
                counts.applicable, counts.not_applicable
            ),
        );
        Ok(())
    }

    fn say_reminders(&mut self, run: &ActiveRun) {
        let zone = clock::run_zone(run.replay.zone.as_deref());
        for due in dates::due_reminders(self.checklist, &run.replay, clock::now(), &zone) {
            say_wrapped(self.p, &format!("! {}", due.reminder_line(&zone)));
        }
    }

    fn show_step(&mut self, run: &ActiveRun, r: StepRef) {
        let c = &self.checklist.checklist;
        let step = self.checklist.step(r);
        let counts = Progress::new(self.checklist, &run.replay).counts();
        let stage = &c.stages[r.stage];
        self.p.say("");
        self.p.progress(
            &format!("Stage {}/{} · {}", r.stage + 1, c.stages.len(), stage.title),
            counts.resolved_applicable() as u64,
            counts.applicable as u64,
        );
        let who = match step.kind {
            StepKind::Wait => format!("{} acts", step.actor),
            _ if step.actor == Actor::Customer => "you do this · customer".to_owned(),
            _ => format!("{}", step.actor),
        };
        say_wrapped(self.p, &format!("  Step {}  {}   ({who})", r.number(), step.title));
        self.p.say("");
        say_indented(self.p, &step.detail, "  ");
        if let Some(warning) = &step.warning {
            self.p.say("");
            say_indented(self.p, &format!("! {warning}"), "  ");
        }
        for link in &step.links {
            self.p.say(&format!("  → {}: {}", link.label, link.url));
        }
        self.p.say("");
    }

    fn step(&mut self, run: &mut ActiveRun, r: StepRef) -> Result<Choice> {
        self.show_step(run, r);
        let session = self.session;
        let step = self.checklist.step(r);
        let number = r.number();
        let waiting = Progress::new(self.checklist, &run.replay).status(step) == Status::Waiting;
        let (menu, prompt) = if step.kind == StepKind::Wait {
            (WAIT_MENU, format!("Step {number} · has it happened?"))
        } else {
            (STEP_MENU, format!("Step {number}"))
        };
        let labels: Vec<&str> = menu.iter().map(|(label, _)| *label).collect();
        loop {
            match menu[self.p.select(&prompt, &labels)?].1 {
                Action::Done => {
                    if self.done(run, r)? {
                        return Ok(Choice::Next);
                    }
                }
                Action::Wait => {
                    if !waiting {
                        let event = session.wait(run, r, None, None, None)?;
                        self.recorded(run, &event, "waiting");
                    }
                    self.p.say("  Still waiting; the next run of the wizard asks again.");
                    return Ok(Choice::Next);
                }
                Action::Skip => {
                    let skip = |run: &mut ActiveRun, reason| session.skip(run, r, reason, None);
                    if let Some(event) = self.ask_text("Why is this step skipped? (empty to go back)", run, skip)? {
                        self.recorded(run, &event, "skipped");
                        return Ok(Choice::Next);
                    }
                }
                Action::Note => {
                    let note = |run: &mut ActiveRun, note| {
                        run.record(&session.operator, EventKind::NoteAdded { step: step.id.get_ref().clone(), note })
                    };
                    if let Some(event) = self.ask_text("Note (empty to go back)", run, note)? {
                        self.recorded(run, &event, "note");
                    }
                }
                Action::Quit => return Ok(Choice::Quit),
            }
        }
    }

    /// Marks a step done, asking for the attestation or evidence its kind needs; `false` when
    /// the operator went back to the menu.
    fn done(&mut self, run: &mut ActiveRun, r: StepRef) -> Result<bool> {
        let session = self.session;
        let step = self.checklist.step(r);
        let confirm = |run: &mut ActiveRun, given: Confirmation| match session.confirm(run, r, given)? {
            Confirmed::Recorded(event) => Ok(event),
            Confirmed::NothingNew => Err(Error::Internal { message: format!("step {} is already done", r.number()) }),
        };
        let event = match step.kind {
            StepKind::Attest => {
                self.p.say("  ! This cannot be undone.");
                let prompt = format!("Type the account {} to confirm (empty to go back)", run.account);
                loop {
                    let typed = self.p.input(&prompt)?;
                    if typed.trim().is_empty() {
                        return Ok(false);
                    }
                    if typed.trim() == run.account {
                        break;
                    }
                    say_wrapped(self.p, &format!("  ✘ that is not {}; type it exactly", run.account));
                }
                let attest = Some(run.account.clone());
                confirm(run, Confirmation { attest, ..Confirmation::default() })?
            }
            StepKind::Evidence => {
                let what = step.evidence.as_deref().unwrap_or("Evidence (ticket number, e-mail date)");
                let with_evidence = |run: &mut ActiveRun, evidence| {
                    confirm(run, Confirmation { evidence: Some(evidence), ..Confirmation::default() })
                };
                loop {
                    match self.ask_text(what, run, with_evidence)? {
                        Some(event) => break event,
                        None => self.p.say("  ✘ evidence is required for this step"),
                    }
                }
            }
            StepKind::Confirm | StepKind::Wait => confirm(run, Confirmation::default())?,
        };
        self.recorded(run, &event, "done");
        Ok(true)
    }

    /// Asks for a non-empty text and records it with `record`; a refused text (a secret) is
    /// explained and asked again. `None` when the operator leaves it empty.
    fn ask_text(
        &mut self,
        prompt: &str,
        run: &mut ActiveRun,
        record: impl Fn(&mut ActiveRun, String) -> Result<Event>,
    ) -> Result<Option<Event>> {
        loop {
            let text = self.p.input(prompt)?;
            let text = text.trim();
            if text.is_empty() {
                return Ok(None);
            }
            match record(run, text.to_owned()) {
                Ok(event) => return Ok(Some(event)),
                Err(e @ Error::RefusedInput { .. }) => say_wrapped(self.p, &format!("  ✘ {e}")),
                Err(e) => return Err(e),
            }
        }
    }

    fn recorded(&mut self, run: &ActiveRun, event: &Event, what: &str) {
        let zone = clock::run_zone(run.replay.zone.as_deref());
        let time = event.at.to_zoned_datetime(zone).strftime("%H:%M:%S").to_string();
        self.p.say(&format!("✔ recorded {what} {time} (seq {})", event.seq));
    }

    fn summary(&mut self, run: &ActiveRun) {
        let counts = Progress::new(self.checklist, &run.replay).counts();
        self.p.say(&format!(
            "\n✔ Checklist complete: {} done, {} skipped, {} not applicable.",
            counts.done, counts.skipped, counts.not_applicable
        ));
        self.key_dates(run);
        self.p.say(&format!("Report: closeacct report {} --format markdown", self.run_args(run)));
    }

    fn key_dates(&mut self, run: &ActiveRun) {
        let zone = clock::run_zone(run.replay.zone.as_deref());
        let dates = dates::key_dates(self.checklist, &run.replay, clock::now(), &zone);
        if dates.is_empty() {
            return;
        }
        self.p.say("Key dates");
        for date in dates {
            let when = date.date.map_or_else(|| "(undated)".to_owned(), |d| clock::minutes_in(d, &zone));
            // The text hangs under itself, clear of the date column.
            self.p.say(&fill_hanging(&date.text, self.p.width().max(40) - 1, &format!("  {when:<16}  ")));
        }
    }
    fn saved(&mut self, run: &ActiveRun) -> Outcome {
        let progress = Progress::new(self.checklist, &run.replay);
        let counts = progress.counts();
        let mut line = format!("\nSaved: {} of {} steps resolved", counts.resolved_applicable(), counts.applicable);
        if counts.waiting > 0 {
            let _ = write!(line, ", {} waiting on someone else", counts.waiting);
        }
        say_wrapped(self.p, &format!("{line}."));
        let blocked = self
            .checklist
            .steps()
            .filter(|(_, step)| {
                progress.status(step) == Status::Pending && !progress.unmet_requirements(step).is_empty()
            })
            .count();
        let first_waiting = self.checklist.steps().find(|(_, step)| progress.status(step) == Status::Waiting);
        if let (true, Some((r, step))) = (blocked > 0, first_waiting) {
            say_wrapped(
                self.p,
                &format!(
                    "{blocked} later steps can only follow once step {} `{}` has happened.",
                    r.number(),
                    step.id.get_ref()
                ),
            );
        }
        self.p.say(&format!("Resume with: closeacct wizard {}", self.run_args(run)));
        Outcome::Saved
    }

    /// `--provider P --account A`, and `--checklist FILE` when the checklist is not a built-in
    /// one, for the commands the wizard suggests.
    fn run_args(&self, run: &ActiveRun) -> String {
        let mut args = format!("--provider {} --account {}", run.provider, run.account);
        if !Catalog::get().names(self.checklist) {
            let _ = write!(args, " --checklist {}", self.checklist.origin);
        }
        args
    }
}
