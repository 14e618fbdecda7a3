//! The interactive walk through a checklist.
//!
//! The wizard talks to the operator only through [`Prompter`], so unit tests drive it with a
//! script and the terminal implementation (`terminal.rs`) is the only caller of dialoguer. What
//! comes next is decided by a pure function of the run's progress ([`next`]); the walk itself is
//! in [`walk`]. Every answer is recorded (written and fsynced) before the next step is shown.

mod next;
mod pick;
mod show;
#[cfg(test)]
mod tests;
mod walk;

use std::fmt::Write as _;

pub use walk::{Action, RUN_CHECK, STEP_MENU, WAIT_MENU};

use crate::checklist::StepRef;
use crate::clock;
use crate::error::{Error, Result};
use crate::layout::fill;
use crate::progress::Progress;
use crate::prompter::Prompter;
use crate::session::{ActiveRun, OnChange, Session, check_operator};

/// How a wizard session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Every step is resolved.
    Complete,
    /// Saved with steps still open (exit 3).
    Saved,
}

/// Options from the command line.
pub(crate) struct Options<'a> {
    pub(crate) account: Option<&'a str>,
    pub(crate) restart: bool,
    /// Go on with a changed checklist without asking (`--accept-changes`).
    pub(crate) accept_changes: bool,
}

/// Runs the wizard to completion, or until the operator saves and quits.
pub(crate) fn run(session: &Session, options: &Options<'_>, p: &mut dyn Prompter) -> Result<Outcome> {
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
    let account = pick::choose_account(session, options.account, p)?;
    if options.restart && session.run_exists(&account) {
        restart(session, &account, p)?;
    }
    let mut run = open_or_create(session, &account, options, p)?;
    walk::Walk { session, checklist: c, p }.walk(&mut run)
}

/// Asks who is acting, until the answer is a usable name.
pub(crate) fn ask_operator(p: &mut dyn Prompter) -> Result<String> {
    say_wrapped(p, "Who is closing this account? Your name is recorded with every answer (or pass --operator NAME).");
    loop {
        let name = p.input("Your name")?;
        match check_operator(name.trim()) {
            Ok(()) => return Ok(name.trim().to_owned()),
            Err(e) => say_wrapped(p, &format!("✘ {e}")),
        }
    }
}

/// `--restart`: asks, then archives the run so a new one can start; "no" changes nothing.
fn restart(session: &Session, account: &str, p: &mut dyn Prompter) -> Result<()> {
    // Hold the lock while asking and moving the run aside, so no other closeacct writes to it;
    // nothing is written to it, whatever the answer.
    let old = session.lock_run(account)?;
    let counts = Progress::new(&session.checklist, &old.replay).counts();
    let question = format!(
        "Archive the run for {}/{account} ({} of {} steps resolved) and start a new one?",
        session.provider(),
        counts.resolved_applicable(),
        counts.applicable
    );
    if !p.confirm(&question)? {
        p.say("Nothing changed.");
        return Err(Error::Incomplete);
    }
    let archive = session.archive(old)?;
    p.say(&format!("Archived the old run to {}", archive.display()));
    Ok(())
}

fn open_or_create(session: &Session, account: &str, options: &Options<'_>, p: &mut dyn Prompter) -> Result<ActiveRun> {
    if !session.run_exists(account) {
        let run = session.create(account)?;
        p.say(&format!("Run stored in {}", run.dir.display()));
        say_recorded(p, &run, "run started");
        return Ok(run);
    }
    let mut ask = |changes: &[String]| -> Result<bool> {
        p.say("The checklist changed since this run began:");
        for change in changes {
            say_wrapped(p, &format!("  · {change}"));
        }
        p.confirm("Go on with the new checklist? (steps already recorded stay recorded)")
    };
    let policy = if options.accept_changes { OnChange::Accept } else { OnChange::Ask(&mut ask) };
    let run = session.open(account, policy)?;
    if run.accepted_change {
        say_recorded(p, &run, "checklist change accepted");
    }
    if let Some(notice) = run.torn_notice() {
        say_wrapped(p, &format!("! {notice}"));
    }
    say_resume(session, &run, p);
    Ok(run)
}

fn say_resume(session: &Session, run: &ActiveRun, p: &mut dyn Prompter) {
    let progress = Progress::new(&session.checklist, &run.replay);
    let counts = progress.counts();
    let zone = clock::run_zone(run.replay.zone.as_deref());
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

/// `✔ recorded <what> 14:02:11 (seq 7)`, for the event just written (the run's last), in the
/// run's zone: every event the wizard writes is acknowledged this way, once it is on disk.
fn say_recorded(p: &mut dyn Prompter, run: &ActiveRun, what: &str) {
    let zone = clock::run_zone(run.replay.zone.as_deref());
    let time = run.replay.last_at.map(|at| at.to_zoned_datetime(zone).strftime("%H:%M:%S").to_string());
    say_wrapped(p, &format!("✔ recorded {what} {} (seq {})", time.unwrap_or_default(), run.replay.events));
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
