//! `closeacct verify`: walk the hash chain without changing anything.

use std::fmt::Write as _;

use crate::cli::VerifyArgs;
use crate::error::{Error, Result};
use crate::fleet::Fleet;
use crate::session::Session;
use crate::state::{Detail, EVENTS_FILE};
use crate::ui::Ui;

/// Checks sequence numbers and the hash chain; damage exits 65 naming the first bad line.
pub(crate) fn cmd_verify(ui: &Ui, args: &VerifyArgs) -> Result<()> {
    let session = Session::from_args(&args.run, None)?;
    // `read` replays the whole log and checks every line; it never writes.
    let run = match &args.archived {
        None => {
            let account = session.require_account(args.run.account.as_deref())?;
            session.read(&account, Detail::Summary)?
        }
        Some(stamp) => {
            let Some(account) = &args.run.account else {
                return Err(Error::usage("--archived needs --account ACCOUNT"));
            };
            let provider = session.provider().to_owned();
            Fleet::new(session.state, Some(session.checklist)).read_archived(
                &provider,
                account,
                stamp,
                Detail::Summary,
            )?
        }
    };
    let path = run.dir.join(EVENTS_FILE);
    let mut out = format!(
        "ok: {} — {} events, sequence 1..{} unbroken, head {}\n",
        path.display(),
        run.end.count,
        run.end.count,
        run.end.last_hash
    );
    if let Some(torn) = &run.end.torn {
        let _ = writeln!(
            out,
            "note: the last {} bytes are a torn line (a crash mid-write, never confirmed); the next command that records moves them to {EVENTS_FILE}.torn",
            torn.len()
        );
    }
    ui.stdout(out.as_bytes())
}
