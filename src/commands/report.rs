//! `closeacct report`: the checklist as recorded, for an audit.

use crate::cli::ReportArgs;
use crate::clock;
use crate::error::{Error, Result};
use crate::fleet::{self, Fleet, ProblemLine, Row, Summary};
use crate::report::{self, fleet::FleetReport};
use crate::session::Session;
use crate::state::{Detail, StateDir, write_atomic};
use crate::ui::Ui;

/// Prints the report, or writes it atomically to `--output`.
pub(crate) fn cmd_report(ui: &Ui, args: &ReportArgs) -> Result<()> {
    if args.all {
        return report_all(ui, args);
    }
    let session = Session::from_args(&args.run, None)?;
    let run = match &args.archived {
        None => {
            let account = session.require_account(args.run.account.as_deref())?;
            session.read(&account, Detail::Full)?
        }
        Some(stamp) => {
            let Some(account) = &args.run.account else {
                return Err(Error::usage("--archived needs --account ACCOUNT"));
            };
            let provider = session.provider().to_owned();
            Fleet::new(session.state, Some(session.checklist)).read_archived(&provider, account, stamp, Detail::Full)?
        }
    };
    if !run.pending_changes.is_empty() {
        ui.warning(format_args!(
            "the checklist changed since this run began; the report shows the checklist the run is pinned to ({})",
            run.pending_changes.join("; ")
        ));
    }
    let zone = clock::local_zone();
    let built = report::build(&run, clock::now(), &zone);
    // A JSON report is about as long as the log; sizing the buffer up front saves copying it as
    // it grows.
    let mut buffer = Vec::with_capacity(usize::try_from(run.end.len).unwrap_or(0));
    report::render(&built, args.format, &zone, &mut buffer)
        .map_err(|e| Error::Internal { message: format!("cannot render the report: {e}") })?;
    match &args.output {
        None => ui.stdout(&buffer),
        Some(path) => {
            write_atomic(path, &buffer, 0o600)?;
            ui.status(format_args!("Report written to {}", path.display()));
            Ok(())
        }
    }
}

/// `report --all`: one row per run, active and archived, and one per entry that is not a
/// readable run; the exit code is the worst problem's, once the report is out.
fn report_all(ui: &Ui, args: &ReportArgs) -> Result<()> {
    let state = StateDir::resolve(args.run.state.state_dir.as_deref())?;
    let given = match &args.run.checklist.checklist {
        Some(_) => Some(Session::load_checklist(args.run.provider.as_deref(), &args.run.checklist)?),
        None => None,
    };
    let provider = args.run.provider.clone().or_else(|| given.as_ref().map(|g| g.id().to_owned()));
    let now = clock::now();
    let zone = clock::local_zone();
    let mut fleet = Fleet::new(state, given);
    let mut runs = Vec::new();
    let mut problems = Vec::new();
    let tally = fleet.each_row(provider.as_deref(), true, true, |row| match row {
        Row::Run(run) => runs.push(Summary::of(run, now, &zone)),
        Row::Problem(problem) => problems.push(ProblemLine::of(problem)),
    })?;
    let state_dir = fleet.state.root.display().to_string();
    let built = FleetReport::new(runs, problems, provider, state_dir, now);
    let mut buffer = Vec::new();
    report::fleet::render(&built, args.format, &zone, &mut buffer)
        .map_err(|e| Error::Internal { message: format!("cannot render the report: {e}") })?;
    match &args.output {
        None => ui.stdout(&buffer)?,
        Some(path) => {
            write_atomic(path, &buffer, 0o600)?;
            ui.status(format_args!("Report written to {}", path.display()));
        }
    }
    fleet::finish(tally)
}
