//! `closeacct verify`: walk the hash chain without changing anything, and prove a head still holds.

use std::fmt::Write as _;

use crate::cli::{Head, VerifyArgs};
use crate::digest::to_hex;
use crate::error::{Error, Result};
use crate::fleet::Fleet;
use crate::session::Session;
use crate::state::{Detail, EVENTS_FILE, read_log_hashed};
use crate::ui::Ui;

/// Checks sequence numbers and the hash chain; damage exits 65 naming the first bad line. With
/// `--head SEQ:HASH`, also that the log still holds that event at that place (exit 65 if not).
pub(crate) fn cmd_verify(ui: &Ui, args: &VerifyArgs) -> Result<()> {
    let session = Session::from_args(&args.run, None)?;
    // `read` replays the whole log and checks every line; it never writes.
    let run = match &args.archived {
        None => {
            let account = session.require_account(args.run.account.as_deref())?;
            session.read(&account, Detail::Summary)?
        }
        Some(stamp) => Fleet::archived_of(session, args.run.account.as_deref(), stamp, Detail::Summary)?,
    };
    let path = run.dir.join(EVENTS_FILE);
    let mut out = format!(
        "ok: {} — {} events, sequence 1..{} unbroken, head {}:{}\n",
        path.display(),
        run.end.count,
        run.end.count,
        run.end.count,
        run.end.last_hash
    );
    if let Some(head) = &args.head {
        check_head(&path, head, run.end.count)?;
        let _ = writeln!(out, "ok: the log still holds event {} with hash {}, the head given", head.seq, head.hash);
    }
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

/// Whether the log still holds `head`: an event with that sequence number whose line hashes to
/// that sha256. The chain makes this prove every earlier line too.
fn check_head(path: &std::path::Path, head: &Head, events: u64) -> Result<()> {
    if head.seq > events {
        return Err(Error::HeadMismatch {
            path: path.to_owned(),
            reason: format!(
                "the log has {events} events, so it no longer holds event {} of the head given: lines were removed",
                head.seq
            ),
        });
    }
    let mut found = None;
    read_log_hashed(path, |event, digest| {
        if event.seq == head.seq {
            found = Some(to_hex(digest));
        }
        Ok(())
    })?;
    match found {
        Some(hash) if hash == head.hash => Ok(()),
        found => Err(Error::HeadMismatch {
            path: path.to_owned(),
            reason: format!(
                "event {} has hash {}, not {} as the head given says: the log was rewritten after that head was taken (or the head is another run's)",
                head.seq,
                found.unwrap_or_default(),
                head.hash
            ),
        }),
    }
}
