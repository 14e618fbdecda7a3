//! What a command says, and where: the report or JSON on stdout, everything else on stderr.
//!
//! Every `cmd_<name>` gets a [`Ui`], so the stdout/stderr policy and `--quiet` live here and
//! nowhere else: status lines ("✔ recorded …", the next step) are dropped with `--quiet`;
//! warnings and errors never are.

use std::fmt::Display;
use std::io::Write;

use crate::error::{Error, Result};
use crate::progress::Progress;
use crate::session::{ActiveRun, Session};
use crate::visible::visible;

/// Where a command's output goes.
pub(crate) struct Ui {
    quiet: bool,
}

// Every output goes through the Ui, whether or not its policy reads a setting today.
#[allow(clippy::unused_self)]
impl Ui {
    /// `quiet` drops status lines (`--quiet`).
    pub(crate) fn new(quiet: bool) -> Ui {
        Ui { quiet }
    }

    /// Writes the command's data (a report, JSON) to stdout; a closed pipe is an I/O error that
    /// `run` turns into a quiet exit 0.
    pub(crate) fn stdout(&self, bytes: &[u8]) -> Result<()> {
        let mut out = std::io::stdout().lock();
        out.write_all(bytes).and_then(|()| out.flush()).map_err(|e| Error::io("write", "stdout", e))
    }

    /// Writes text (not JSON) to stdout, with untrusted characters made visible.
    pub(crate) fn stdout_text(&self, text: &str) -> Result<()> {
        self.stdout(visible(text).as_bytes())
    }

    /// Streams the command's data to stdout through a buffer, for output too long to hold whole
    /// (a report of a long run); errors are as [`Ui::stdout`]'s.
    pub(crate) fn stdout_with(&self, write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<()> {
        let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
        write(&mut out).and_then(|()| out.flush()).map_err(|e| Error::io("write", "stdout", e))
    }

    /// A line about what the command did, on stderr, unless `--quiet`.
    pub(crate) fn status(&self, line: impl Display) {
        if !self.quiet {
            eprintln!("{}", visible(&line.to_string()));
        }
    }

    /// Something the operator must see even with `--quiet`, on stderr, as `closeacct: …`.
    pub(crate) fn warning(&self, line: impl Display) {
        eprintln!("closeacct: {}", visible(&line.to_string()));
    }

    /// Tells the operator that a torn last line was set aside when the run was opened.
    pub(crate) fn note_torn(&self, run: &ActiveRun) {
        if let Some(notice) = run.torn_notice() {
            self.warning(notice);
        }
    }

    /// Says what is left after a scripted command: facts to answer, then the next open step.
    pub(crate) fn say_next(&self, session: &Session, run: &ActiveRun) {
        let progress = Progress::new(&session.checklist, &run.replay);
        let counts = progress.counts();
        let unanswered = progress.unanswered_facts();
        if !unanswered.is_empty() {
            self.status(format_args!(
                "Facts still to answer (they decide which steps apply): {}; use `closeacct answer --provider {} --account {} FACT VALUE`",
                unanswered.join(", "),
                run.provider,
                run.account
            ));
        }
        match progress.first_open() {
            None => self.status(format_args!(
                "Checklist complete: {} done, {} skipped, {} not applicable.",
                counts.done, counts.skipped, counts.not_applicable
            )),
            Some(r) => {
                let step = session.checklist.step(r);
                self.status(format_args!(
                    "{}/{} resolved. Next: step {} `{}` {}",
                    counts.resolved_applicable(),
                    counts.applicable,
                    r.number(),
                    step.id.get_ref(),
                    step.title
                ));
            }
        }
    }
}
