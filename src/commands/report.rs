//! `closeacct report`: the checklist as recorded, for an audit.

use std::path::{Path, PathBuf};

use crate::cli::ReportArgs;
use crate::clock;
use crate::error::{Error, Result};
use crate::report;
use crate::session::Session;
use crate::sign;
use crate::state::{Detail, check_output_path, write_atomic};
use crate::ui::Ui;

/// Prints the report, or writes it atomically to `--output` (and its signature with `--sign`).
pub(crate) fn cmd_report(ui: &Ui, args: &ReportArgs) -> Result<()> {
    let session = Session::from_args(&args.run, None)?;
    // Refused before anything is read or written: the report must never overwrite the record.
    let signature_path = args.output.as_ref().map(|path| signature_path(path));
    for path in args.output.iter().chain(signature_path.iter().filter(|_| args.sign.is_some())) {
        check_output_path(&session.state.root, path)?;
    }
    let account = session.require_account(args.run.account.as_deref())?;
    let run = session.read(&account, Detail::Full)?;
    if !run.pending_changes.is_empty() {
        ui.warning(format_args!(
            "the checklist changed since this run began; the report shows the checklist the run is pinned to ({})",
            run.pending_changes.join("; ")
        ));
    }
    // Times and key dates in the zone the run recorded: every reader gets the same dates.
    let zone = clock::run_zone(run.replay.zone.as_deref());
    let built = report::build(&run, clock::now(), &zone);
    // A JSON report is about as long as the log; sizing the buffer up front saves copying it as
    // it grows.
    let mut buffer = Vec::with_capacity(usize::try_from(run.end.len).unwrap_or(0));
    report::render(&built, args.format, &zone, &mut buffer)
        .map_err(|e| Error::Internal { message: format!("cannot render the report: {e}") })?;
    let (Some(path), Some(signature_path)) = (&args.output, signature_path) else {
        return ui.stdout(&buffer);
    };
    let signature = args.sign.as_deref().map(|key| sign::sign(&buffer, key)).transpose()?;
    write_atomic(path, &buffer, 0o600)?;
    ui.status(format_args!("Report written to {}", path.display()));
    if let Some(signature) = signature {
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
