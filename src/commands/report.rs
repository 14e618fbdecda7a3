//! `closeacct report`: the checklist as recorded, for an audit.

use std::path::{Path, PathBuf};

use crate::cli::ReportArgs;
use crate::clock;
use crate::error::{Error, Result};
use crate::fleet::{self, Fleet, ProblemLine, Row, Summary};
use crate::report::{self, fleet::FleetReport};
use crate::session::Session;
use crate::sign;
use crate::state::{Detail, EVENTS_FILE, StateDir, check_output_path, write_atomic};
use crate::ui::Ui;

/// Prints the report, or writes it atomically to `--output` (and its signature with `--sign`).
pub(crate) fn cmd_report(ui: &Ui, args: &ReportArgs) -> Result<()> {
    if args.all {
        return report_all(ui, args);
    }
    let session = Session::from_args(&args.run, None)?;
    check_outputs(&session.state.root, args)?;
    let run = match &args.archived {
        None => {
            let account = session.require_account(args.run.account.as_deref())?;
            let log = session.state.run_dir(session.provider(), &account).join(EVENTS_FILE);
            session.read(&account, detail_for(&log))?
        }
        // An archived run's log is read back by place whatever its size: its size is only known
        // once the archive is found.
        Some(stamp) => Fleet::archived_of(session, args.run.account.as_deref(), stamp, Detail::Lines)?,
    };
    if !run.pending_changes.is_empty() {
        ui.warning(format_args!(
            "the checklist changed since this run began; the report shows the checklist the run is pinned to ({})",
            run.pending_changes.join("; ")
        ));
    }
    // Times and key dates in the zone the run recorded: every reader gets the same dates.
    let zone = clock::run_zone(run.replay.zone.as_deref());
    let built = report::build(&run, clock::now(), &zone);
    let Some(path) = &args.output else {
        // Streamed: a report is about as long as the log, and holding it whole doubled the
        // memory a long run's report takes.
        return ui.stdout_with(|mut w| report::render(&built, args.format, &zone, &mut w));
    };
    // A JSON report is about as long as the log; sizing the buffer up front saves copying it as
    // it grows.
    let mut buffer = Vec::with_capacity(usize::try_from(run.end.len).unwrap_or(0));
    report::render(&built, args.format, &zone, &mut buffer)
        .map_err(|e| Error::Internal { message: format!("cannot render the report: {e}") })?;
    write_out(ui, path, args.sign.as_deref(), &buffer)
}

/// Refuses, before anything is read or written, an `--output` (or, with `--sign`, its
/// signature's path) that could overwrite the record or anything but a regular file.
fn check_outputs(state_root: &Path, args: &ReportArgs) -> Result<()> {
    let Some(path) = &args.output else { return Ok(()) };
    check_output_path(state_root, path)?;
    if args.sign.is_some() {
        check_output_path(state_root, &signature_path(path))?;
    }
    Ok(())
}

/// Writes a rendered report to `path` atomically and, with a `key`, its SSH signature beside it.
fn write_out(ui: &Ui, path: &Path, key: Option<&Path>, report: &[u8]) -> Result<()> {
    let signature = key.map(|key| sign::sign(report, key)).transpose()?;
    write_atomic(path, report, 0o600)?;
    ui.status(format_args!("Report written to {}", path.display()));
    if let Some(signature) = signature {
        let signature_path = signature_path(path);
        write_atomic(&signature_path, signature.as_bytes(), 0o644)?;
        ui.status(format_args!(
            "Signature written to {} (check it: ssh-keygen -Y verify -n {} -f ALLOWED_SIGNERS -I WHO -s {} < {})",
            signature_path.display(),
            sign::NAMESPACE,
            signature_path.display(),
            path.display()
        ));
    }
    Ok(())
}

/// `report.md` → `report.md.sig`, as `ssh-keygen -Y sign` names it.
fn signature_path(report: &Path) -> PathBuf {
    let mut name = report.as_os_str().to_owned();
    name.push(".sig");
    PathBuf::from(name)
}

/// Logs longer than this are reported with their notes and evidence read back by place
/// ([`Detail::Lines`]) rather than held: the memory a report takes stays within twice what
/// `status` takes however long the run, and a run of ordinary length keeps the speed of holding
/// them (about 20,000 events fit).
const HOLD_NOTES_UP_TO_BYTES: u64 = 4 * 1024 * 1024;

/// How much of a run a report replay keeps, by the size of its log.
fn detail_for(log: &std::path::Path) -> Detail {
    match std::fs::symlink_metadata(log) {
        Ok(meta) if meta.len() <= HOLD_NOTES_UP_TO_BYTES => Detail::Full,
        _ => Detail::Lines,
    }
}

/// `report --all`: one row per run, active and archived, and one per entry that is not a
/// readable run; the exit code is the worst problem's, once the report is out.
fn report_all(ui: &Ui, args: &ReportArgs) -> Result<()> {
    let state = StateDir::resolve(args.run.state.state_dir.as_deref())?;
    check_outputs(&state.root, args)?;
    let (given, provider) = fleet::overview_scope(&state, args.run.provider.as_deref(), &args.run.checklist)?;
    let now = clock::now();
    let zone = clock::local_zone();
    let mut fleet = Fleet::new(state, given);
    let mut runs = Vec::new();
    let mut problems = Vec::new();
    let tally = fleet.each_row(provider.as_deref(), true, true, |row| match row {
        Row::Run(run) => runs.push(Summary::of(run, now)),
        Row::Problem(problem) => problems.push(ProblemLine::of(problem)),
    })?;
    let state_dir = fleet.state.root.display().to_string();
    let built = FleetReport::new(runs, problems, provider, state_dir, now);
    let mut buffer = Vec::new();
    report::fleet::render(&built, args.format, &zone, &mut buffer)
        .map_err(|e| Error::Internal { message: format!("cannot render the report: {e}") })?;
    match &args.output {
        None => ui.stdout(&buffer)?,
        Some(path) => write_out(ui, path, args.sign.as_deref(), &buffer)?,
    }
    fleet::finish(tally)
}
