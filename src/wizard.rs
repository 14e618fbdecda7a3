//! The interactive walk through a checklist.
//!
//! The loop talks to the operator only through [`Prompter`], so unit tests drive it with a script
//! and the terminal implementation (`terminal.rs`) is the only caller of dialoguer. Every answer
//! is recorded (written and fsynced) before the next step is shown.

use std::fmt::Write as _;

use crate::checklist::{BUILTIN, FactKind, Loaded, Step, StepKind, StepRef};
use crate::clock;
use crate::dates;
use crate::error::{Error, Result};
use crate::layout::{fill, fill_hanging};
use crate::progress::{Progress, Status};
use crate::prompter::Prompter;
use crate::session::{ActiveRun, OnChange, Session, validate_account};
use crate::state::{self, EventKind, create_private_dir, sync_dir};

/// How a wizard session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every step is resolved.
    Complete,
    /// Saved with steps still open (exit 3).
    Saved,
}

/// Options from the command line.
pub struct Options<'a> {
    pub account: Option<&'a str>,
    pub restart: bool,
    /// Go on with a changed checklist without asking (`--accept-changes`).
    pub accept_changes: bool,
}

/// Runs the wizard to completion, or until the operator saves and quits.
pub fn run(session: &Session, options: &Options<'_>, p: &mut dyn Prompter) -> Result<Outcome> {
    let c = &session.checklist;
    say_wrapped(
        p,
        &format!(
            "closeacct · {} (checklist {} v{}, {} stages, {} steps)",
            c.checklist.name,
            c.id(),
            c.checklist.version,
            c.checklist.stages.len(),
            c.step_count()
        ),
    );
    let account = match session.resolve_account(options.account)? {
        Some(account) => account,
        None => ask_account(p)?,
    };
    let mut run = open_or_create(session, &account, options, p)?;
    Walk { session, checklist: c, p }.walk(&mut run)
}

fn ask_account(p: &mut dyn Prompter) -> Result<String> {
    loop {
        let account = p.input("Account ID or alias to close")?;
        match validate_account(account.trim()) {
            Ok(()) => return Ok(account.trim().to_owned()),
            Err(e) => say_wrapped(p, &format!("✘ {e}")),
        }
    }
}

fn open_or_create(session: &Session, account: &str, options: &Options<'_>, p: &mut dyn Prompter) -> Result<ActiveRun> {
    let provider = session.provider();
    if session.run_exists(account) && options.restart {
        let dir = session.state.run_dir(provider, account);
        // Hold the lock while moving the run aside, so no other closeacct writes to it meanwhile.
        let old = session.open(account, OnChange::Accept)?;
        let progress = Progress::new(&session.checklist, &old.replay);
        let counts = progress.counts();
        let question = format!(
            "Archive the run for {provider}/{account} ({} of {} steps resolved) and start a new one?",
            counts.resolved_applicable(),
            counts.applicable
        );
        if !p.confirm(&question)? {
            p.say("Nothing changed.");
            return Err(Error::Silent { code: 3 });
        }
        let stamp = clock::now().strftime("%Y%m%dT%H%M%SZ").to_string();
        let mut archive = session.state.archive_dir(provider, account, &stamp);
        // A second restart within the same second must not collide with the first archive.
        let mut n = 1;
        while archive.exists() {
            n += 1;
            archive = session.state.archive_dir(provider, account, &format!("{stamp}-{n}"));
        }
        if let Some(parent) = archive.parent() {
            create_private_dir(&session.state.root, parent)?;
        }
        std::fs::rename(&dir, &archive).map_err(|e| Error::io("archive run", &dir, e))?;
        if let Some(parent) = archive.parent() {
            sync_dir(parent)?;
        }
        if let Some(parent) = dir.parent() {
            sync_dir(parent)?;
        }
        drop(old);
        p.say(&format!("Archived the old run to {}", archive.display()));
    }
    if session.run_exists(account) {
        let mut ask = |changes: &[String]| -> Result<bool> {
            p.say("The checklist changed since this run began:");
            for change in changes {
                say_wrapped(p, &format!("  · {change}"));
            }
            p.confirm("Go on with the new checklist? (steps already recorded stay recorded)")
        };
        let policy = if options.accept_changes { OnChange::Accept } else { OnChange::Ask(&mut ask) };
        let run = session.open(account, policy)?;
        if let Some(notice) = run.torn_notice() {
            say_wrapped(p, &format!("! {notice}"));
        }
        say_resume(session, &run, p);
        Ok(run)
    } else {
        let run = session.create(account)?;
        p.say(&format!("Run stored in {}", run.dir.display()));
        Ok(run)
    }
}

fn say_resume(session: &Session, run: &ActiveRun, p: &mut dyn Prompter) {
    let progress = Progress::new(&session.checklist, &run.replay);
    let counts = progress.counts();
    let zone = clock::local_zone();
    let local = |t: jiff::Timestamp| clock::minutes_in(t, &zone);
    let mut line = format!(
        "Resuming run started {} — {} of {} steps resolved",
        run.replay.started_at.map(local).unwrap_or_default(),
        counts.resolved_applicable(),
        counts.applicable
    );
    if let (Some(at), Some(step)) = (run.replay.last_at, &run.replay.last_step) {
        let number = session.checklist.find(step).map(StepRef::number).unwrap_or_default();
        let _ = write!(line, ", last at {} (step {number})", local(at));
    }
    say_wrapped(p, &format!("{line}."));
    if let Some(r) = progress.first_open() {
        let stage = &session.checklist.checklist.stages[r.stage];
        let step = session.checklist.step(r);
        say_wrapped(
            p,
            &format!(
                "Next: Stage {}/{} · {} · Step {} {}",
                r.stage + 1,
                session.checklist.checklist.stages.len(),
                stage.title,
                r.number(),
                step.title
            ),
        );
    }
}

struct Walk<'a, 'p> {
    session: &'a Session,
    checklist: &'a Loaded,
    p: &'p mut dyn Prompter,
}

/// What the operator chose for one step.
enum Choice {
    Next,
    Quit,
}

impl Walk<'_, '_> {
    fn walk(&mut self, run: &mut ActiveRun) -> Result<Outcome> {
        if Progress::new(self.checklist, &run.replay).is_complete() {
            self.session.complete_if_done(run)?;
            self.summary(run);
            return Ok(Outcome::Complete);
        }
        self.ask_facts(run)?;
        self.say_reminders(run);
        let steps: Vec<StepRef> = self.checklist.steps().map(|(r, _)| r).collect();
        for r in steps {
            let progress = Progress::new(self.checklist, &run.replay);
            let step = self.checklist.step(r);
            if progress.status(step).is_resolved() || !progress.unmet_requirements(step).is_empty() {
                continue;
            }
            if let Choice::Quit = self.step(run, r)? {
                return Ok(self.saved(run));
            }
            if self.session.complete_if_done(run)? {
                break;
            }
        }
        if Progress::new(self.checklist, &run.replay).is_complete() {
            self.summary(run);
            Ok(Outcome::Complete)
        } else {
            Ok(self.saved(run))
        }
    }

    fn ask_facts(&mut self, run: &mut ActiveRun) -> Result<()> {
        let unanswered: Vec<String> =
            Progress::new(self.checklist, &run.replay).unanswered_facts().into_iter().map(str::to_owned).collect();
        if unanswered.is_empty() {
            return Ok(());
        }
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
        let zone = clock::local_zone();
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
            _ if step.actor == crate::checklist::Actor::Customer => "you do this · customer".to_owned(),
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
        let step = self.checklist.step(r);
        let number = r.number();
        let waiting = Progress::new(self.checklist, &run.replay).status(step) == Status::Waiting;
        loop {
            let (items, actions): (Vec<&str>, Vec<Action>) = if step.kind == StepKind::Wait {
                (
                    vec![
                        "Yes — it happened (record now)",
                        "Not yet — keep waiting, remind me",
                        "Skip (give a reason)",
                        "Add a note first",
                        "Save and quit",
                    ],
                    vec![Action::Done, Action::Wait, Action::Skip, Action::Note, Action::Quit],
                )
            } else {
                (
                    vec!["Done", "Skip (give a reason)", "Add a note first", "Save and quit"],
                    vec![Action::Done, Action::Skip, Action::Note, Action::Quit],
                )
            };
            let prompt = if step.kind == StepKind::Wait {
                format!("Step {number} · has it happened?")
            } else {
                format!("Step {number}")
            };
            let chosen = actions[self.p.select(&prompt, &items)?];
            match chosen {
                Action::Done => {
                    if let Some(kind) = self.done(run, step)? {
                        return Ok(kind);
                    }
                }
                Action::Wait => {
                    if !waiting {
                        let event = run.record(
                            &self.session.operator,
                            EventKind::StepWaiting { step: step.id.get_ref().clone(), note: None },
                        )?;
                        self.recorded(&event, "waiting");
                    }
                    self.p.say("  Still waiting; the next run of the wizard asks again.");
                    return Ok(Choice::Next);
                }
                Action::Skip => {
                    let Some(reason) = self.ask_text(
                        "Why is this step skipped? (empty to go back)",
                        |reason| EventKind::StepSkipped { step: step.id.get_ref().clone(), reason },
                        run,
                    )?
                    else {
                        continue;
                    };
                    self.recorded(&reason, "skipped");
                    return Ok(Choice::Next);
                }
                Action::Note => {
                    if let Some(event) = self.ask_text(
                        "Note (empty to go back)",
                        |note| EventKind::NoteAdded { step: step.id.get_ref().clone(), note },
                        run,
                    )? {
                        self.recorded(&event, "note");
                    }
                }
                Action::Quit => return Ok(Choice::Quit),
            }
        }
    }

    /// Marks a step done, asking for the attestation or evidence its kind needs. `None` means
    /// the operator went back to the menu.
    fn done(&mut self, run: &mut ActiveRun, step: &Step) -> Result<Option<Choice>> {
        let id = step.id.get_ref().clone();
        let event = match step.kind {
            StepKind::Attest => {
                self.p.say("  ! This cannot be undone.");
                let prompt = format!("Type the account {} to confirm (empty to go back)", run.account);
                loop {
                    let typed = self.p.input(&prompt)?;
                    if typed.trim().is_empty() {
                        return Ok(None);
                    }
                    if typed.trim() == run.account {
                        break;
                    }
                    say_wrapped(self.p, &format!("  ✘ that is not {}; type it exactly", run.account));
                }
                let account = run.account.clone();
                run.record(
                    &self.session.operator,
                    EventKind::StepDone { step: id, note: None, evidence: None, attested: Some(account) },
                )?
            }
            StepKind::Evidence => {
                let what = step.evidence.as_deref().unwrap_or("Evidence (ticket number, e-mail date)");
                let done_with = |evidence| EventKind::StepDone {
                    step: id.clone(),
                    note: None,
                    evidence: Some(evidence),
                    attested: None,
                };
                loop {
                    match self.ask_text(what, done_with, run)? {
                        Some(event) => break event,
                        None => self.p.say("  ✘ evidence is required for this step"),
                    }
                }
            }
            StepKind::Confirm | StepKind::Wait => run.record(
                &self.session.operator,
                EventKind::StepDone { step: id, note: None, evidence: None, attested: None },
            )?,
        };
        self.recorded(&event, "done");
        Ok(Some(Choice::Next))
    }

    /// Asks for a non-empty text and records the event built from it; a refused text (a secret)
    /// is explained and asked again. `None` when the operator leaves it empty.
    fn ask_text(
        &mut self,
        prompt: &str,
        make: impl Fn(String) -> EventKind,
        run: &mut ActiveRun,
    ) -> Result<Option<state::Event>> {
        loop {
            let text = self.p.input(prompt)?;
            let text = text.trim();
            if text.is_empty() {
                return Ok(None);
            }
            match run.record(&self.session.operator, make(text.to_owned())) {
                Ok(event) => return Ok(Some(event)),
                Err(e @ Error::RefusedInput { .. }) => say_wrapped(self.p, &format!("  ✘ {e}")),
                Err(e) => return Err(e),
            }
        }
    }

    fn recorded(&mut self, event: &state::Event, what: &str) {
        let time = event.at.to_zoned_datetime(clock::local_zone()).strftime("%H:%M:%S").to_string();
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
        let zone = clock::local_zone();
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
        if !BUILTIN.iter().any(|(_, file, _)| *file == self.checklist.origin) {
            let _ = write!(args, " --checklist {}", self.checklist.origin);
        }
        args
    }
}

#[derive(Clone, Copy)]
enum Action {
    Done,
    Wait,
    Skip,
    Note,
    Quit,
}

/// Says one or more lines, each wrapped at spaces to the terminal's width with its indentation
/// kept, rather than cut mid-word by the terminal. Words (ids, paths) are never split.
fn say_wrapped(p: &mut dyn Prompter, text: &str) {
    let width = p.width().max(20) - 1;
    let wrapped: Vec<String> = text
        .split('\n')
        .map(|line| {
            let body = line.trim_start();
            let indent = &line[..line.len() - body.len()];
            fill(body, width, indent, indent)
        })
        .collect();
    p.say(&wrapped.join("\n"));
}

/// Says paragraphs of text filled to the terminal's width (at most 100 columns), each line after
/// `prefix`.
fn say_indented(p: &mut dyn Prompter, text: &str, prefix: &str) {
    let width = p.width().clamp(30, 100) - 1;
    let filled: Vec<String> =
        text.trim().split("\n\n").map(|paragraph| fill(paragraph, width, prefix, prefix)).collect();
    p.say(&filled.join("\n\n"));
}
