//! `closeacct verify`: walk the hash chain without changing anything.

use std::fmt::Write as _;

use crate::cli::VerifyArgs;
use crate::error::Result;
use crate::session::Session;
use crate::state::{Detail, EVENTS_FILE};
use crate::ui::Ui;

/// Checks sequence numbers and the hash chain; damage exits 65 naming the first bad line.
pub(crate) fn cmd_verify(ui: &Ui, args: &VerifyArgs) -> Result<()> {
    let session = Session::from_args(&args.run, None)?;
    let account = session.require_account(args.run.account.as_deref())?;
    // `read` replays the whole log and checks every line; it never writes.
    let run = session.read(&account, Detail::Summary)?;
    let path = run.dir.join(EVENTS_FILE);
    let mut out = format!(
        "ok: {} — {} events, sequence 1..{} unbroken, head {}\n",
        path.display(),
        run.end.count,
        run.end.count,
        run.end.last_hash
    );
    if run.end.unterminated {
        let _ = writeln!(
            out,
            "note: the last line lacks its newline (a crash after the line was written); it is whole and kept, and the next command that records adds the newline"
        );
    }
    if let Some(torn) = &run.end.torn {
        let _ = writeln!(
            out,
            "note: the last {} bytes are a torn line (a crash mid-write, never confirmed); the next command that records moves them to {EVENTS_FILE}.torn",
            torn.len()
        );
    }
    ui.stdout_text(&out)
}
