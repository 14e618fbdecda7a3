//! One module per subcommand; `dispatch` is the only place that knows them all.

mod answer;
mod checklist;
mod completions;
mod confirm;
mod providers;
mod report;
mod skip;
mod start;
mod status;
mod verify;
mod wizard;

use std::io::Write;

use crate::checklist::Loaded;
use crate::cli::{ChecklistArgs, Command, OperatorArgs, RunArgs, StateArgs};
use crate::error::{Error, Result};
use crate::progress::Progress;
use crate::session::{ActiveRun, OnChange, Session};
use crate::state::StateDir;

/// Runs one parsed command.
pub fn dispatch(command: Command) -> Result<()> {
    match command {
        Command::Providers(args) => providers::cmd_providers(&args),
        Command::Checklist(sub) => checklist::cmd_checklist(&sub),
        Command::Wizard(args) => wizard::cmd_wizard(&args),
        Command::Start(args) => start::cmd_start(&args),
        Command::Answer(args) => answer::cmd_answer(&args),
        Command::Confirm(args) => confirm::cmd_confirm(&args),
        Command::Skip(args) => skip::cmd_skip(&args),
        Command::Status(args) => status::cmd_status(&args),
        Command::Report(args) => report::cmd_report(&args),
        Command::Verify(args) => verify::cmd_verify(&args),
        Command::Completions(args) => completions::cmd_completions(&args),
        Command::Man => completions::cmd_man(),
    }
}

/// The checklist named by `--checklist FILE` or the provider id.
pub(crate) fn load_checklist(provider: Option<&str>, args: &ChecklistArgs) -> Result<Loaded> {
    match (&args.checklist, provider) {
        (Some(path), provider) => {
            let loaded = Loaded::from_file(path)?;
            if let Some(provider) = provider
                && provider != loaded.id()
            {
                return Err(Error::usage(format!(
                    "--provider `{provider}` does not match the id `{}` of checklist `{}`",
                    loaded.id(),
                    path.display()
                )));
            }
            Ok(loaded)
        }
        (None, Some(provider)) => Loaded::builtin(provider),
        (None, None) => Err(Error::usage("say which checklist: --provider ID or --checklist FILE")),
    }
}

/// The operator's name: `--operator`, else `$USER`, else `$LOGNAME`.
pub(crate) fn operator_name(given: Option<&str>) -> Result<String> {
    let name = given
        .map(str::to_owned)
        .or_else(|| std::env::var("USER").ok().filter(|u| !u.is_empty()))
        .or_else(|| std::env::var("LOGNAME").ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(|| "unknown".to_owned());
    if name.trim().is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err(Error::usage("--operator must be 1-64 printable characters"));
    }
    Ok(name)
}

/// Resolves the shared arguments of a run command into a session.
pub(crate) fn session(run: &RunArgs, operator: Option<&OperatorArgs>) -> Result<Session> {
    let checklist = load_checklist(run.provider.as_deref(), &run.checklist)?;
    let state = StateDir::resolve(run.state.state_dir.as_deref())?;
    let operator = operator_name(operator.and_then(|o| o.operator.as_deref()))?;
    Ok(Session { state, checklist, operator })
}

/// The state dir alone, for commands that list runs.
pub(crate) fn state_dir(args: &StateArgs) -> Result<StateDir> {
    StateDir::resolve(args.state_dir.as_deref())
}

/// Opens the run named by the arguments for writing (exit 66 if there is none).
pub(crate) fn open_existing(session: &Session, run: &RunArgs, operator: &OperatorArgs) -> Result<ActiveRun> {
    let account = session.require_account(run.account.as_deref())?;
    let policy = if operator.accept_changes { OnChange::Accept } else { OnChange::Refuse };
    let active = session.open(&account, policy)?;
    note_torn(&active);
    Ok(active)
}

/// Tells the operator that a torn last line was set aside.
pub(crate) fn note_torn(run: &ActiveRun) {
    if let Some(notice) = run.torn_notice() {
        eprintln!("closeacct: {notice}");
    }
}

/// Prints the next open step after a scripted command, on stderr.
pub(crate) fn say_next(session: &Session, run: &ActiveRun) {
    let progress = Progress::new(&session.checklist, &run.replay);
    let counts = progress.counts();
    let unanswered = progress.unanswered_facts();
    if !unanswered.is_empty() {
        eprintln!(
            "Facts still to answer (they decide which steps apply): {}; use `closeacct answer --provider {} --account {} FACT VALUE`",
            unanswered.join(", "),
            run.provider,
            run.account
        );
    }
    match progress.first_open() {
        None => eprintln!(
            "Checklist complete: {} done, {} skipped, {} not applicable.",
            counts.done, counts.skipped, counts.not_applicable
        ),
        Some(r) => {
            let step = session.checklist.step(r);
            eprintln!(
                "{}/{} resolved. Next: step {} `{}` {}",
                counts.resolved_applicable(),
                counts.applicable,
                r.number(),
                step.id.get_ref(),
                step.title
            );
        }
    }
}

/// Writes to stdout, mapping failures (a closed pipe included) to I/O errors.
pub(crate) fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes).and_then(|()| out.flush()).map_err(|e| Error::io("write", "stdout", e))
}
