//! Opening runs: where they live, which account is meant, the lock, and the checklist a run is
//! pinned to. Commands and the wizard go through here so the rules are the same for both.

use std::path::PathBuf;
use std::sync::Arc;

use crate::checklist::{Loaded, StepKind, StepRef};
use crate::cli::{ChecklistArgs, OperatorArgs, RunArgs};
use crate::clock;
use crate::error::{Error, Result};
use crate::progress::{Progress, Status, diff_checklists};
use crate::state::{
    self, Appender, Detail, Event, EventKind, LogEnd, LogLines, Replay, RunLock, StateDir, create_private_dir,
    pin_checklist,
};

/// Notes, evidence and reasons longer than this are refused: a note is not a file dump.
pub(crate) const MAX_TEXT_CHARS: usize = 4000;

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
pub(crate) struct ReadRun {
    pub(crate) provider: String,
    pub(crate) account: String,
    pub(crate) dir: PathBuf,
    pub(crate) replay: Replay,
    pub(crate) end: LogEnd,
    /// The checklist the run is pinned to (the current one, or the pinned copy if it changed);
    /// shared, so that an overview of many runs parses each distinct checklist once.
    pub(crate) checklist: Arc<Loaded>,
    /// Differences between the pinned checklist and the current one, if any.
    pub(crate) pending_changes: Vec<String>,
    /// The log, open to read notes and evidence back by their place: read with
    /// [`Detail::Lines`], the replay keeps only where they are.
    pub(crate) lines: Option<LogLines>,
}

/// What `confirm` (or the wizard) gives besides the step: each blank text counts as none.
#[derive(Debug, Default)]
pub(crate) struct Confirmation {
    pub(crate) note: Option<String>,
    pub(crate) evidence: Option<String>,
    /// The account, typed again: required for an irreversible (`attest`) step.
    pub(crate) attest: Option<String>,
}

/// What confirming a step did.
#[derive(Debug)]
pub(crate) enum Confirmed {
    /// The step is recorded done (or, already done, the new note or evidence is added).
    Recorded(Event),
    /// The step was already done and nothing new was given.
    NothingNew,
}

/// Checks an account argument: `[A-Za-z0-9][A-Za-z0-9._@-]{0,63}`.
pub(crate) fn validate_account(account: &str) -> Result<()> {
    let bytes = account.as_bytes();
    let ok = !bytes.is_empty()
        && bytes.len() <= 64
        && bytes[0].is_ascii_alphanumeric()
        && bytes.iter().all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'@' | b'-'));
    if ok { Ok(()) } else { Err(Error::InvalidAccount { account: account.escape_debug().to_string() }) }
}

/// Refuses a note, evidence or reason that is too long or looks like a secret, before anything is
/// written. `what` names the field for the message (`the note for step 3.2`).
pub(crate) fn screen_text(what: &str, text: &str) -> Result<()> {
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

/// `None` for a missing or blank text, else the text trimmed.
pub(crate) fn non_empty(text: Option<&str>) -> Option<String> {
    text.map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned)
}

/// The operator's name: `--operator`, else `$USER`, else `$LOGNAME`.
fn operator_name(given: Option<&str>) -> Result<String> {
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

impl Session {
    /// Resolves what every run command shares, before anything is prompted or written: the
    /// checklist, the state directory and (for commands that record) the operator.
    pub(crate) fn from_args(run: &RunArgs, operator: Option<&OperatorArgs>) -> Result<Session> {
        let checklist = Session::load_checklist(run.provider.as_deref(), &run.checklist)?;
        let state = StateDir::resolve(run.state.state_dir.as_deref())?;
        let operator = operator_name(operator.and_then(|o| o.operator.as_deref()))?;
        Ok(Session { state, checklist, operator })
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

    /// Opens the run the arguments name for writing (exit 66 if there is none); a changed
    /// checklist is accepted only with `--accept-changes`.
    pub(crate) fn open_existing(&self, run: &RunArgs, operator: &OperatorArgs) -> Result<ActiveRun> {
        let account = self.require_account(run.account.as_deref())?;
        let policy = if operator.accept_changes { OnChange::Accept } else { OnChange::Refuse };
        self.open(&account, policy)
    }

    /// Records a step done, enforcing what its kind needs: an irreversible step needs the
    /// account typed exactly, an evidence step needs evidence. A step already done takes a new
    /// note or evidence as a further event; nothing earlier changes. The wizard and `confirm`
    /// both come through here.
    pub(crate) fn confirm(&self, run: &mut ActiveRun, r: StepRef, given: Confirmation) -> Result<Confirmed> {
        let step = self.checklist.step(r);
        let id = step.id.get_ref().clone();
        let number = r.number();
        let progress = Progress::new(&self.checklist, &run.replay);
        let already_done = progress.status(step) == Status::Done;
        let note = non_empty(given.note.as_deref());
        let evidence = non_empty(given.evidence.as_deref());
        if already_done {
            if note.is_none() && evidence.is_none() {
                return Ok(Confirmed::NothingNew);
            }
        } else {
            progress.check_can_record(r)?;
            match step.kind {
                StepKind::Attest => match given.attest.as_deref() {
                    Some(typed) if typed == run.account => {}
                    Some(_) => {
                        return Err(Error::refused(format!(
                            "step {number} `{id}` cannot be undone; --attest must be exactly the account `{}`",
                            run.account
                        )));
                    }
                    None => {
                        return Err(Error::refused(format!(
                            "step {number} `{id}` cannot be undone; confirm it with --attest {}",
                            run.account
                        )));
                    }
                },
                StepKind::Evidence if evidence.is_none() => {
                    let what = step.evidence.as_deref().unwrap_or("the evidence");
                    return Err(Error::refused(format!("step {number} `{id}` needs evidence: --evidence \"{what}\"")));
                }
                _ => {}
            }
        }
        let attested = if already_done || step.kind != StepKind::Attest { None } else { given.attest };
        let event = run.record(&self.operator, EventKind::StepDone { step: id, note, evidence, attested })?;
        Ok(Confirmed::Recorded(event))
    }

    /// Records a step skipped, with the reason. A step already done cannot be skipped.
    pub(crate) fn skip(&self, run: &mut ActiveRun, r: StepRef, reason: String) -> Result<Event> {
        let step = self.checklist.step(r);
        let id = step.id.get_ref().clone();
        let progress = Progress::new(&self.checklist, &run.replay);
        if progress.status(step) == Status::Done {
            return Err(Error::refused(format!(
                "step {} `{id}` is already done; a done step cannot be skipped",
                r.number()
            )));
        }
        progress.check_can_record(r)?;
        run.record(&self.operator, EventKind::StepSkipped { step: id, reason })
    }

    /// The provider id: the checklist's id.
    pub(crate) fn provider(&self) -> &str {
        self.checklist.id()
    }

    /// The account meant: the one given, or the only run of this provider. `None` when there is
    /// no run and none was given.
    pub(crate) fn resolve_account(&self, given: Option<&str>) -> Result<Option<String>> {
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
    pub(crate) fn require_account(&self, given: Option<&str>) -> Result<String> {
        self.resolve_account(given)?.ok_or_else(|| Error::NoSuchRun {
            provider: Some(self.provider().to_owned()),
            account: None,
            state_dir: self.state.root.clone(),
        })
    }

    /// Whether a run exists for the account.
    pub(crate) fn run_exists(&self, account: &str) -> bool {
        self.state.run_dir(self.provider(), account).join(state::EVENTS_FILE).exists()
    }

    /// Starts a new run: creates its directory and log, pins the checklist.
    pub fn create(&self, account: &str) -> Result<ActiveRun> {
        validate_account(account)?;
        let provider = self.provider().to_owned();
        let dir = self.state.run_dir(&provider, account);
        self.state.create_if_missing()?;
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
        // A write checks every byte of the log, through the checkpoint the last write left.
        let (replay, end, appender) = state::open_for_write(&dir)?;
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

    /// Moves a run out of the active runs into the archive, while its lock is held so that no
    /// other closeacct writes to it meanwhile; returns where it went.
    pub(crate) fn archive(&self, run: ActiveRun) -> Result<PathBuf> {
        let stamp = clock::now().strftime("%Y%m%dT%H%M%SZ").to_string();
        let archive = self.state.archive_run(&run.provider, &run.account, &stamp)?;
        drop(run);
        Ok(archive)
    }

    /// Records `run_completed` once every step is resolved (and not already recorded); returns
    /// whether the run is complete. The wizard and the scripted commands both end a step here.
    pub(crate) fn complete_if_done(&self, run: &mut ActiveRun) -> Result<bool> {
        let complete = Progress::new(&self.checklist, &run.replay).is_complete();
        if complete && run.replay.completed_at.is_none() {
            run.record(&self.operator, EventKind::RunCompleted {})?;
        }
        Ok(complete)
    }

    /// Opens a run for reading, keeping `detail`: no lock, nothing written, a torn tail ignored.
    /// The session's checklist moves into the run rather than being copied.
    pub(crate) fn read(self, account: &str, detail: Detail) -> Result<ReadRun> {
        let provider = self.provider().to_owned();
        let dir = existing_run_dir(&self.state, &provider, account)?;
        let lines = LogLines::open_for(&dir, detail)?;
        let (replay, end) = state::replay(&dir, detail)?;
        let (checklist, pending_changes) = if replay.checklist_sha256 == self.checklist.sha256 {
            (self.checklist, Vec::new())
        } else {
            let pinned = Self::pinned(&dir, &replay)?;
            let changes = self.changes_since(pinned.as_ref(), &replay);
            (pinned.unwrap_or(self.checklist), changes)
        };
        let checklist = Arc::new(checklist);
        Ok(ReadRun { provider, account: account.to_owned(), dir, replay, end, checklist, pending_changes, lines })
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
    pub(crate) fn with_pinned_checklist(
        state: &StateDir,
        provider: &str,
        account: &str,
        detail: Detail,
    ) -> Result<ReadRun> {
        let dir = existing_run_dir(state, provider, account)?;
        let (replay, end) = state::replay(&dir, detail)?;
        let checklist = Arc::new(Loaded::from_file(&state::pinned_checklist_path(&dir, &replay.checklist_sha256))?);
        Ok(ReadRun {
            provider: provider.to_owned(),
            account: account.to_owned(),
            dir,
            replay,
            end,
            checklist,
            pending_changes: Vec::new(),
            lines: None,
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
            provider: Some(provider.to_owned()),
            account: Some(account.to_owned()),
            state_dir: state.root.clone(),
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
    pub(crate) fn torn_notice(&self) -> Option<String> {
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
