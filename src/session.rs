//! Opening runs: where they live, which account is meant, the lock, and the checklist a run is
//! pinned to. Commands and the wizard go through here so the rules are the same for both.

use std::path::PathBuf;

use crate::checklist::Loaded;
use crate::clock;
use crate::error::{Error, Result};
use crate::progress::{Progress, diff_checklists};
use crate::state::{
    self, Appender, Detail, Event, EventKind, LogEnd, Replay, RunLock, StateDir, create_private_dir, pin_checklist,
};

/// Notes, evidence and reasons longer than this are refused: a note is not a file dump.
pub const MAX_TEXT_CHARS: usize = 4000;

/// The resolved settings every run command shares.
pub struct Session {
    pub state: StateDir,
    pub checklist: Loaded,
    pub operator: String,
}

/// What to do when the checklist changed since the run began.
pub enum OnChange<'a> {
    /// Refuse (exit 5).
    Refuse,
    /// Go on with the new checklist, recording that the change was accepted.
    Accept,
    /// Ask; the callback sees the changes and says whether to go on.
    Ask(&'a mut dyn FnMut(&[String]) -> Result<bool>),
}

/// A run opened for writing: locked, replayed, with its log ready to append to.
pub struct ActiveRun {
    pub provider: String,
    pub account: String,
    pub dir: PathBuf,
    pub replay: Replay,
    /// Bytes of a torn last line that were set aside when the run was opened.
    pub torn_set_aside: Option<usize>,
    appender: Appender,
    _lock: RunLock,
}

/// A run opened for reading only: no lock is taken and nothing is written.
pub struct ReadRun {
    pub provider: String,
    pub account: String,
    pub dir: PathBuf,
    pub replay: Replay,
    pub end: LogEnd,
    /// The checklist the run is pinned to (the current one, or the pinned copy if it changed).
    pub checklist: Loaded,
    /// Differences between the pinned checklist and the current one, if any.
    pub pending_changes: Vec<String>,
}

/// Checks an account argument: `[A-Za-z0-9][A-Za-z0-9._@-]{0,63}`.
pub fn validate_account(account: &str) -> Result<()> {
    let bytes = account.as_bytes();
    let ok = !bytes.is_empty()
        && bytes.len() <= 64
        && bytes[0].is_ascii_alphanumeric()
        && bytes.iter().all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'@' | b'-'));
    if ok { Ok(()) } else { Err(Error::InvalidAccount { account: account.escape_debug().to_string() }) }
}

/// Refuses a note, evidence or reason that is too long or looks like a secret, before anything is
/// written. `what` names the field for the message (`the note for step 3.2`).
pub fn screen_text(what: &str, text: &str) -> Result<()> {
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(Error::RefusedInput {
            message: format!("refusing to record {what}: it is longer than {MAX_TEXT_CHARS} characters"),
        });
    }
    if let Some(kind) = crate::secrets::find_secret(text) {
        return Err(Error::RefusedInput {
            message: format!(
                "refusing to record {what}: it contains what looks like {kind}; record where the secret is kept, not the secret"
            ),
        });
    }
    Ok(())
}

impl Session {
    /// The provider id: the checklist's id.
    pub fn provider(&self) -> &str {
        self.checklist.id()
    }

    /// The account meant: the one given, or the only run of this provider. `None` when there is
    /// no run and none was given.
    pub fn resolve_account(&self, given: Option<&str>) -> Result<Option<String>> {
        if let Some(account) = given {
            validate_account(account)?;
            return Ok(Some(account.to_owned()));
        }
        let runs = self.state.runs(Some(self.provider()))?;
        match runs.as_slice() {
            [] => Ok(None),
            [(_, account)] => Ok(Some(account.clone())),
            many => {
                let accounts: Vec<&str> = many.iter().map(|(_, a)| a.as_str()).collect();
                Err(Error::usage(format!(
                    "provider `{}` has {} runs ({}); say which with --account",
                    self.provider(),
                    many.len(),
                    accounts.join(", ")
                )))
            }
        }
    }

    /// Like `resolve_account`, but a missing run is an error (exit 66).
    pub fn require_account(&self, given: Option<&str>) -> Result<String> {
        self.resolve_account(given)?.ok_or_else(|| Error::NoSuchRun {
            provider: self.provider().to_owned(),
            account: "(none)".to_owned(),
            hint: format!("; start one with `closeacct wizard --provider {}` or `closeacct start`", self.provider()),
        })
    }

    /// Whether a run exists for the account.
    pub fn run_exists(&self, account: &str) -> bool {
        self.state.run_dir(self.provider(), account).join(state::EVENTS_FILE).exists()
    }

    /// Starts a new run: creates its directory and log, pins the checklist.
    pub fn create(&self, account: &str) -> Result<ActiveRun> {
        validate_account(account)?;
        let provider = self.provider().to_owned();
        let dir = self.state.run_dir(&provider, account);
        create_private_dir(&self.state.root, &dir)?;
        let lock = RunLock::acquire(&dir, &provider, account)?;
        // Another closeacct may have started this run between the caller's check and the lock.
        if dir.join(state::EVENTS_FILE).exists() {
            return Err(Error::RunExists { provider, account: account.to_owned() });
        }
        pin_checklist(&dir, &self.checklist.sha256, &self.checklist.text)?;
        let first = EventKind::RunStarted {
            provider: provider.clone(),
            account: account.to_owned(),
            checklist_version: self.checklist.checklist.version,
            checklist_sha256: self.checklist.sha256.clone(),
        };
        let (appender, event) = state::create_log(&dir, clock::now(), &self.operator, first)?;
        let mut replay = Replay { detail: Detail::Summary, ..Replay::default() };
        replay.apply(&event);
        Ok(ActiveRun {
            provider,
            account: account.to_owned(),
            dir,
            replay,
            torn_set_aside: None,
            appender,
            _lock: lock,
        })
    }

    /// Opens an existing run for writing. A changed checklist is handled by `on_change`.
    pub fn open(&self, account: &str, on_change: OnChange<'_>) -> Result<ActiveRun> {
        let provider = self.provider().to_owned();
        let dir = existing_run_dir(&self.state, &provider, account)?;
        let lock = RunLock::acquire(&dir, &provider, account)?;
        let (replay, end) = state::replay(&dir, Detail::Summary)?;
        let appender = state::open_log_for_append(&dir, &end)?;
        let mut run = ActiveRun {
            provider,
            account: account.to_owned(),
            dir,
            replay,
            torn_set_aside: end.torn.as_ref().map(Vec::len),
            appender,
            _lock: lock,
        };
        if run.replay.checklist_sha256 != self.checklist.sha256 {
            let changes = self.changes_since(Self::pinned(&run.dir, &run.replay)?.as_ref(), &run.replay);
            let accepted = match on_change {
                OnChange::Accept => true,
                OnChange::Refuse => false,
                OnChange::Ask(ask) => ask(&changes)?,
            };
            if !accepted {
                return Err(Error::ChecklistChanged {
                    checklist: self.provider().to_owned(),
                    summary: changes.join("; "),
                });
            }
            pin_checklist(&run.dir, &self.checklist.sha256, &self.checklist.text)?;
            run.record(
                &self.operator,
                EventKind::ChecklistAccepted {
                    checklist_version: self.checklist.checklist.version,
                    checklist_sha256: self.checklist.sha256.clone(),
                    changes,
                },
            )?;
        }
        Ok(run)
    }

    /// Records `run_completed` once every step is resolved (and not already recorded); returns
    /// whether the run is complete. The wizard and the scripted commands both end a step here.
    pub fn complete_if_done(&self, run: &mut ActiveRun) -> Result<bool> {
        let complete = Progress::new(&self.checklist, &run.replay).is_complete();
        if complete && run.replay.completed_at.is_none() {
            run.record(&self.operator, EventKind::RunCompleted {})?;
        }
        Ok(complete)
    }

    /// Opens a run for reading, keeping `detail`: no lock, nothing written, a torn tail ignored.
    /// The session's checklist moves into the run rather than being copied.
    pub fn read(self, account: &str, detail: Detail) -> Result<ReadRun> {
        let provider = self.provider().to_owned();
        let dir = existing_run_dir(&self.state, &provider, account)?;
        let (replay, end) = state::replay(&dir, detail)?;
        let (checklist, pending_changes) = if replay.checklist_sha256 == self.checklist.sha256 {
            (self.checklist, Vec::new())
        } else {
            let pinned = Self::pinned(&dir, &replay)?;
            let changes = self.changes_since(pinned.as_ref(), &replay);
            (pinned.unwrap_or(self.checklist), changes)
        };
        Ok(ReadRun { provider, account: account.to_owned(), dir, replay, end, checklist, pending_changes })
    }

    fn pinned(dir: &std::path::Path, replay: &Replay) -> Result<Option<Loaded>> {
        let path = state::pinned_checklist_path(dir, &replay.checklist_sha256);
        if !path.exists() {
            return Ok(None);
        }
        Loaded::from_file(&path).map(Some)
    }

    /// How this session's checklist differs from `pinned`, the copy the run is pinned to.
    fn changes_since(&self, pinned: Option<&Loaded>, replay: &Replay) -> Vec<String> {
        match pinned {
            Some(old) => diff_checklists(old, &self.checklist),
            None => vec![format!(
                "checklist sha256 {} → {} (the earlier copy is missing, so the steps cannot be compared)",
                short(&replay.checklist_sha256),
                short(&self.checklist.sha256)
            )],
        }
    }
}

impl ReadRun {
    /// Reads a run against the checklist it is pinned to, for a run whose checklist is neither
    /// built in nor given (one started from a checklist file): there is nothing to compare with.
    pub fn with_pinned_checklist(state: &StateDir, provider: &str, account: &str, detail: Detail) -> Result<ReadRun> {
        let dir = existing_run_dir(state, provider, account)?;
        let (replay, end) = state::replay(&dir, detail)?;
        let checklist = Loaded::from_file(&state::pinned_checklist_path(&dir, &replay.checklist_sha256))?;
        Ok(ReadRun {
            provider: provider.to_owned(),
            account: account.to_owned(),
            dir,
            replay,
            end,
            checklist,
            pending_changes: Vec::new(),
        })
    }
}

/// The directory of an existing run, checked: a valid account, a log there (exit 66 if not), and
/// no symbolic link on the way to it.
fn existing_run_dir(state: &StateDir, provider: &str, account: &str) -> Result<PathBuf> {
    validate_account(account)?;
    let dir = state.run_dir(provider, account);
    if !dir.join(state::EVENTS_FILE).exists() {
        return Err(Error::NoSuchRun {
            provider: provider.to_owned(),
            account: account.to_owned(),
            hint: format!(
                " in {}; start it with `closeacct wizard --provider {provider} --account {account}`",
                state.root.display()
            ),
        });
    }
    state::refuse_symlinked_dirs(&state.root, &dir)?;
    Ok(dir)
}

fn short(hash: &str) -> &str {
    &hash[..hash.len().min(12)]
}

impl ActiveRun {
    /// What to tell the operator when a torn last line was set aside on opening, if one was.
    pub fn torn_notice(&self) -> Option<String> {
        self.torn_set_aside.map(|bytes| {
            format!(
                "the last line of the log was cut short by a crash ({bytes} bytes, never confirmed); it was moved to {}.torn",
                state::EVENTS_FILE
            )
        })
    }

    /// Writes one event durably, then folds it into the replay. Every text in it is screened
    /// first, so nothing that looks like a secret reaches the log whatever the caller.
    pub fn record(&mut self, operator: &str, kind: EventKind) -> Result<Event> {
        for (what, text) in texts(&kind) {
            screen_text(&what, text)?;
        }
        let event = self.appender.append(clock::now(), operator, kind)?;
        self.replay.apply(&event);
        Ok(event)
    }
}

/// The free texts of an event, each with a phrase naming it for messages.
fn texts(kind: &EventKind) -> Vec<(String, &str)> {
    let mut texts = Vec::new();
    match kind {
        EventKind::StepDone { step, note, evidence, attested } => {
            texts.extend(note.as_deref().map(|t| (format!("the note for step `{step}`"), t)));
            texts.extend(evidence.as_deref().map(|t| (format!("the evidence for step `{step}`"), t)));
            texts.extend(attested.as_deref().map(|t| (format!("the attestation for step `{step}`"), t)));
        }
        EventKind::StepSkipped { step, reason } => {
            texts.push((format!("the reason for skipping step `{step}`"), reason));
        }
        EventKind::StepWaiting { step, note: Some(note) } | EventKind::NoteAdded { step, note } => {
            texts.push((format!("the note for step `{step}`"), note));
        }
        _ => {}
    }
    texts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creating_a_run_that_exists_says_so_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let session = Session {
            state: StateDir { root: dir.path().to_path_buf() },
            checklist: Loaded::builtin("aws").unwrap(),
            operator: "ana".into(),
        };
        drop(session.create("111122223333").unwrap());
        let log = dir.path().join("runs/aws/111122223333").join(state::EVENTS_FILE);
        let before = std::fs::read(&log).unwrap();
        let Err(e) = session.create("111122223333") else { panic!("a second create succeeded") };
        assert!(matches!(e, Error::RunExists { .. }), "{e}");
        assert_eq!(std::fs::read(&log).unwrap(), before);
    }

    #[test]
    fn accounts_are_checked() {
        for good in ["111122223333", "prod.main", "ops@example.com", "a", &"a".repeat(64)] {
            assert!(validate_account(good).is_ok(), "{good}");
        }
        for bad in ["", "..", ".hidden", "a/b", "../x", "a b", "a\nb", "é", &"a".repeat(65), "-x"] {
            assert_eq!(validate_account(bad).unwrap_err().exit_code(), 2, "{bad:?}");
        }
    }
}
