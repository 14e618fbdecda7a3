//! The walk: facts first, then each open step with its menu, until the run is complete or the
//! operator saves. Every answer is recorded (written and fsynced) before the next step is shown.

use std::fmt::Write as _;
use std::sync::mpsc;
use std::thread;

use super::next::{Next, next};
use super::{Outcome, say_indented, say_wrapped};
use crate::checklist::{FactKind, Loaded, StepKind, StepRef};
use crate::checks::{CheckRecord, DEFAULT_JOBS, Plan};
use crate::clock;
use crate::dates;
use crate::error::{Error, Result};
use crate::layout::fill_hanging;
use crate::progress::{Progress, Status};
use crate::prompter::Prompter;
use crate::session::{self, ActiveRun, Confirmation, Confirmed, Session};
use crate::state::{Event, EventKind};
use crate::visible::visible_line;

/// What a step's menu offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Done,
    Wait,
    Skip,
    Note,
    Quit,
    /// Run the step's checks (asks first, every time).
    Check,
    /// Done before now: asks when.
    DoneEarlier,
}

/// The menu of a step the operator acts on; the first item is highlighted.
pub const STEP_MENU: &[(&str, Action)] = &[
    ("Done", Action::Done),
    ("Done earlier — say when", Action::DoneEarlier),
    ("Skip (give a reason)", Action::Skip),
    ("Add a note first", Action::Note),
    ("Save and quit", Action::Quit),
];

/// What a step with checks adds to its menu, second, after the item that records it.
pub const RUN_CHECK: (&str, Action) = ("Run the check", Action::Check);

/// The menu of a step someone else acts on.
pub const WAIT_MENU: &[(&str, Action)] = &[
    ("Yes — it happened (say when)", Action::DoneEarlier),
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
            let event = run.record(&self.session.operator, EventKind::FactAnswered { fact: id.clone(), value })?;
            let EventKind::FactAnswered { value, .. } = &event.kind else { unreachable!("recorded as a fact") };
            let what = format!("{id} = {value}");
            self.recorded(run, &event, &what);
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

    fn step(&mut self, run: &mut ActiveRun, r: StepRef) -> Result<Choice> {
        self.show_step(run, r);
        let session = self.session;
        let step = self.checklist.step(r);
        let number = r.number();
        let waiting = Progress::new(self.checklist, &run.replay).status(step) == Status::Waiting;
        let (base, prompt) = if step.kind == StepKind::Wait {
            (WAIT_MENU, format!("Step {number} · has it happened?"))
        } else {
            (STEP_MENU, format!("Step {number}"))
        };
        let mut menu = base.to_vec();
        if !self.checklist.checks(step).is_empty() {
            menu.insert(1, RUN_CHECK);
        }
        let labels: Vec<&str> = menu.iter().map(|(label, _)| *label).collect();
        loop {
            match menu[self.p.select(&prompt, &labels)?].1 {
                Action::Done => {
                    if self.done(run, r, false, None)? {
                        return Ok(Choice::Next);
                    }
                }
                Action::DoneEarlier => {
                    let when = self.ask_when(run)?;
                    if self.done(run, r, false, when)? {
                        return Ok(Choice::Next);
                    }
                }
                Action::Check => {
                    if self.run_checks(run, r)?
                        && self.p.confirm(&format!("Mark step {number} done, with its checks as the evidence?"))?
                        && self.done(run, r, true, None)?
                    {
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

    /// Runs the step's checks, once the operator has said yes (asked every time): each is
    /// recorded, then what it found is shown. True when every check passed; a check that cannot
    /// run (a missing program, a fact it needs) is explained, and the menu comes back.
    fn run_checks(&mut self, run: &mut ActiveRun, r: StepRef) -> Result<bool> {
        let plans = match self.session.check_plans(run, r) {
            Ok(plans) => plans,
            Err(e @ Error::Refused { .. }) => {
                say_wrapped(self.p, &format!("  ✘ {e}"));
                return Ok(false);
            }
            Err(e) => return Err(e),
        };
        let question = if plans.len() == 1 {
            "Run the check's read-only commands now, with your credentials?".to_owned()
        } else {
            format!("Run the {} checks' read-only commands now, with your credentials?", plans.len())
        };
        if !self.p.confirm(&question)? {
            self.p.say("  Nothing was run.");
            return Ok(false);
        }
        let total = plans.len();
        let mut passed = true;
        for (n, plan) in (1u32..).zip(&plans) {
            let result = match self.run_check(plan) {
                Ok(result) => result,
                Err(e @ Error::Unavailable { .. }) => {
                    say_wrapped(self.p, &format!("  ✘ {e}"));
                    if let Some(hint) = e.hint() {
                        say_wrapped(self.p, &format!("    {hint}"));
                    }
                    return Ok(false);
                }
                Err(e) => return Err(e),
            };
            let event = self.session.record_check(run, r, n, result)?;
            self.recorded(run, &event, "check");
            let EventKind::CheckRan { result, .. } = &event.kind else {
                return Err(Error::Internal { message: "a check was recorded as another event".into() });
            };
            let outcome = if result.passed { "passed" } else { "found work left" };
            say_wrapped(self.p, &format!("  check {n}/{total} {outcome}: {}", visible_line(&result.summary)));
            for line in result.failures() {
                say_wrapped(self.p, &format!("    ✘ {}", visible_line(&line)));
            }
            passed &= result.passed;
        }
        if !passed {
            self.p.say("  The step stays open: deal with what is left, then run the check again.");
        }
        Ok(passed)
    }

    /// Runs one check, its progress shown as its items end (reported from the threads that run
    /// the commands, shown here on the prompter's thread).
    fn run_check(&mut self, plan: &Plan) -> Result<CheckRecord> {
        let (sender, progress) = mpsc::channel::<(String, usize, usize)>();
        let result = thread::scope(|scope| {
            let running = scope.spawn(move || {
                session::run_check(plan, DEFAULT_JOBS, &|p| {
                    let _ = sender.send((p.to_string(), p.done, p.total));
                })
            });
            for (label, done, total) in progress {
                self.p.check_progress(&label, done, total);
            }
            running.join()
        });
        self.p.check_progress_end();
        result.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    }

    /// Marks a step done, asking for the attestation or evidence its kind needs (an evidence
    /// step confirmed with its checks has them as evidence); `false` when the operator went back
    /// to the menu.
    fn done(
        &mut self,
        run: &mut ActiveRun,
        r: StepRef,
        with_check: bool,
        happened_at: Option<jiff::Timestamp>,
    ) -> Result<bool> {
        let session = self.session;
        let step = self.checklist.step(r);
        let confirm = |run: &mut ActiveRun, mut given: Confirmation| {
            given.with_check = with_check;
            given.happened_at = happened_at;
            match session.confirm(run, r, given)? {
                Confirmed::Recorded(event) => Ok(*event),
                Confirmed::NothingNew => {
                    Err(Error::Internal { message: format!("step {} is already done", r.number()) })
                }
            }
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
            StepKind::Evidence if with_check => confirm(run, Confirmation::default())?,
            StepKind::Evidence => {
                let what = step.evidence.as_deref().unwrap_or("Evidence (ticket number, e-mail date)");
                let with_evidence = |run: &mut ActiveRun, evidence| {
                    confirm(run, Confirmation { evidence: Some(evidence), ..Confirmation::default() })
                };
                loop {
                    if let Some(event) = self.ask_text(what, run, with_evidence)? {
                        break event;
                    }
                    self.p.say("  ✘ evidence is required for this step");
                    if self.p.confirm("Go back to the step's menu? (nothing is recorded)")? {
                        return Ok(false);
                    }
                }
            }
            StepKind::Confirm | StepKind::Wait => confirm(run, Confirmation::default())?,
        };
        self.recorded(run, &event, "done");
        Ok(true)
    }

    /// When it happened, for a step recorded after the fact: Enter is now; a time in the
    /// future or before the run started is explained and asked again.
    fn ask_when(&mut self, run: &ActiveRun) -> Result<Option<jiff::Timestamp>> {
        loop {
            let text = self.p.input("When did it happen? (Enter: now; or e.g. yesterday 16:10)")?;
            if text.trim().is_empty() {
                return Ok(None);
            }
            match run.happened_at(Some(&text)) {
                Ok(at) => return Ok(at),
                Err(e @ (Error::Usage { .. } | Error::Refused { .. })) => say_wrapped(self.p, &format!("  ✘ {e}")),
                Err(e) => return Err(e),
            }
        }
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
        say_wrapped(self.p, &format!("✔ recorded {what} {time} (seq {})", event.seq));
    }

    fn summary(&mut self, run: &ActiveRun) {
        let counts = Progress::new(self.checklist, &run.replay).counts();
        self.p.say(&format!(
            "\n✔ Checklist complete: {} done, {} skipped, {} not applicable.",
            counts.done, counts.skipped, counts.not_applicable
        ));
        self.key_dates(run);
        self.p.say(&format!("Report: closeacct report {} --format markdown", self.session.run_args(&run.account)));
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
        self.p.say(&format!("Resume with: closeacct wizard {}", self.session.run_args(&run.account)));
        Outcome::Saved
    }
}
