//! Opening runs: where they live, which account is meant, the lock, and the checklist a run is
//! pinned to. Commands and the wizard go through here so the rules are the same for both.

use std::path::{Path, PathBuf};

use jiff::Timestamp;

use crate::checklist::{Catalog, Loaded, StepKind, StepRef};
use crate::cli::{ChecklistArgs, OperatorArgs, RunArgs};
use crate::clock;
use crate::digest::sha256_hex;
use crate::error::{Error, Result};
use crate::progress::{Progress, Status, diff_checklists};
use crate::state::{
    self, Appender, Detail, Event, EventKind, LogEnd, Replay, RunLock, StateDir, create_private_dir, pin_checklist,
    remove_stale_temps,
};
use crate::visible::first_unsafe;

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
    /// Whether the last line lacked only its newline, which was added when the run was opened.
    pub newline_added: bool,
    appender: Appender,
    _lock: RunLock,
}

/// A run locked and read, with nothing written to it: what `--restart` and `archive` move aside.
pub(crate) struct LockedRun {
    pub(crate) provider: String,
    pub(crate) account: String,
    pub(crate) dir: PathBuf,
    pub(crate) replay: Replay,
    pub(crate) end: LogEnd,
    lock: RunLock,
}

/// A run opened for reading only: no lock is taken and nothing is written.
pub(crate) struct ReadRun {
    pub(crate) provider: String,
    pub(crate) account: String,
    pub(crate) dir: PathBuf,
    pub(crate) replay: Replay,
    pub(crate) end: LogEnd,
    /// The checklist the run is pinned to (the current one, or the pinned copy if it changed).
    pub(crate) checklist: Loaded,
    /// Differences between the pinned checklist and the current one, if any.
    pub(crate) pending_changes: Vec<String>,
}

/// What `confirm` (or the wizard) gives besides the step: each blank text counts as none.
#[derive(Debug, Default)]
pub(crate) struct Confirmation {
    pub(crate) note: Option<String>,
    pub(crate) evidence: Option<String>,
    /// The account, typed again: required for an irreversible (`attest`) step.
    pub(crate) attest: Option<String>,
    /// When it happened, if it is recorded afterwards (`--at`).
    pub(crate) happened_at: Option<Timestamp>,
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
    // Line breaks and tabs are text; escape sequences, carriage returns and bidirectional
    // overrides would make a screen or a report show something else than what was recorded.
    if let Some(c) = first_unsafe(text, true) {
        return Err(Error::RefusedInput {
            message: format!(
                "refusing to record {what}: it contains the control character U+{:04X}; type the text without it",
                u32::from(c)
            ),
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

/// Who acts: `--operator`, else `$USER`, else `$LOGNAME`, checked like anything recorded;
/// `None` when none of them gives a name (containers and CI often have no `$USER`).
pub(crate) fn operator_name(given: Option<&str>) -> Result<Option<String>> {
    let from_env = |var: &str| std::env::var(var).ok().filter(|u| !u.trim().is_empty()).map(|u| (u, format!("${var}")));
    let Some((name, source)) = given
        .map(|g| (g.to_owned(), "--operator".to_owned()))
        .or_else(|| from_env("USER"))
        .or_else(|| from_env("LOGNAME"))
    else {
        return Ok(None);
    };
    check_operator(&name).map_err(|e| match e {
        Error::Usage { message } if source != "--operator" => {
            Error::usage(format!("{message} (it comes from {source}); say who acts with --operator NAME"))
        }
        other => other,
    })?;
    Ok(Some(name))
}

/// An operator's name: 1-64 printable characters on one line, and not a secret (it is recorded
/// with every event).
pub(crate) fn check_operator(name: &str) -> Result<()> {
    if name.trim().is_empty() || name.chars().count() > 64 || first_unsafe(name, false).is_some() {
        return Err(Error::usage("the operator's name must be 1-64 printable characters on one line"));
    }
    screen_text("the operator's name", name)
}

impl Session {
    /// Resolves what every run command shares, before anything is prompted or written: the
    /// checklist, the state directory and (for commands that record) the operator.
    pub(crate) fn from_args(run: &RunArgs, operator: Option<&OperatorArgs>) -> Result<Session> {
        let state = StateDir::resolve(run.state.state_dir.as_deref())?;
        let checklist = match Session::load_checklist(run.provider.as_deref(), &run.checklist) {
            Err(unknown @ Error::UnknownProvider { .. }) => {
                Session::pinned_for(&state, run.provider.as_deref(), run.account.as_deref())?.ok_or(unknown)?
            }
            other => other?,
        };
        // Read-only commands record nothing, so they need no operator (and a malformed `$USER`
        // does not stop them).
        let operator = match operator {
            None => String::new(),
            Some(args) => operator_name(args.operator.as_deref())?.ok_or_else(|| {
                Error::usage("who is acting? neither --operator nor $USER gives a name; say who with --operator NAME")
            })?,
        };
        Ok(Session { state, checklist, operator })
    }

    /// The checklist of a run whose provider id is neither built in nor a user checklist (a run
    /// started from a checklist file): the copy pinned in the run, which is enough to read the
    /// run and record in it. `None` when there is no such run (the account given, or the only
    /// run of the provider).
    pub(crate) fn pinned_for(
        state: &StateDir,
        provider: Option<&str>,
        account: Option<&str>,
    ) -> Result<Option<Loaded>> {
        let Some(provider) = provider else { return Ok(None) };
        let account = match account {
            Some(account) => account.to_owned(),
            None => match state.runs(Some(provider))?.as_slice() {
                [(_, only)] => only.clone(),
                _ => return Ok(None),
            },
        };
        if validate_account(&account).is_err() || !state.run_dir(provider, &account).join(state::EVENTS_FILE).exists() {
            return Ok(None);
        }
        ReadRun::with_pinned_checklist(state, provider, &account, Detail::Summary).map(|run| Some(run.checklist))
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
            (None, Some(provider)) => Catalog::get().resolve(provider),
            (None, None) => Err(Error::usage("say which checklist: --provider ID or --checklist FILE")),
        }
    }

    /// Opens the run the arguments name for writing (exit 66 if there is none); a changed
    /// checklist is accepted only with `--accept-changes`. A completion that an earlier command
    /// could not record (a full disk after the last step) is recorded first.
    pub(crate) fn open_existing(&self, run: &RunArgs, operator: &OperatorArgs) -> Result<ActiveRun> {
        let account = self.require_account(run.account.as_deref())?;
        let policy = if operator.accept_changes { OnChange::Accept } else { OnChange::Refuse };
        let mut run = self.open(&account, policy)?;
        self.complete_if_done(&mut run)?;
        Ok(run)
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
            if given.happened_at.is_some() {
                return Err(Error::refused(format!(
                    "step {number} `{id}` is already done; --at cannot change when it happened (add a --note to correct the record)"
                )));
            }
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
        let event = run.record(
            &self.operator,
            EventKind::StepDone { step: id, note, evidence, attested, happened_at: given.happened_at },
        )?;
        Ok(Confirmed::Recorded(event))
    }

    /// Records a fact's answer. On a complete run an answer that changes a fact could change
    /// which steps apply, so it is refused unless `reopen`; then the run is recorded as reopened
    /// first, and the report says so.
    pub(crate) fn answer(&self, run: &mut ActiveRun, fact: &str, value: String, reopen: bool) -> Result<Event> {
        let current = run.replay.facts.get(fact);
        if current.is_some_and(|c| *c != value) && Progress::new(&self.checklist, &run.replay).is_complete() {
            if !reopen {
                return Err(Error::refused(format!(
                    "the run {}/{} is complete; answering `{fact}` {value} instead of {} could change which steps apply. To change it, reopen the run: add --reopen (the report will say the run was reopened)",
                    run.provider,
                    run.account,
                    current.map_or("", String::as_str)
                )));
            }
            run.record(&self.operator, EventKind::RunReopened {})?;
        }
        run.record(&self.operator, EventKind::FactAnswered { fact: fact.to_owned(), value })
    }

    /// Records that a `wait` step is waiting on someone (`on`), with an optional note; a step
    /// already waiting takes the new word as a further event. `confirm` closes it.
    pub(crate) fn wait(
        &self,
        run: &mut ActiveRun,
        r: StepRef,
        on: Option<String>,
        note: Option<String>,
        happened_at: Option<Timestamp>,
    ) -> Result<Event> {
        let step = self.checklist.step(r);
        let id = step.id.get_ref().clone();
        if step.kind != StepKind::Wait {
            return Err(Error::refused(format!(
                "step {} `{id}` is not a wait step (its kind is {}); only a step someone else acts on can be waiting",
                r.number(),
                step.kind
            )));
        }
        let progress = Progress::new(&self.checklist, &run.replay);
        match progress.status(step) {
            Status::Done | Status::Skipped => {
                return Err(Error::refused(format!(
                    "step {} `{id}` is already resolved; nothing is waiting",
                    r.number()
                )));
            }
            _ => progress.check_can_record(r)?,
        }
        run.record(&self.operator, EventKind::StepWaiting { step: id, note, on, happened_at })
    }

    /// When something happened, from `--at` (or the wizard's question): read in the run's zone,
    /// and refused when it is in the future or before the run started.
    // A rule of the session like the others, though it reads nothing of it today.
    #[allow(clippy::unused_self)]
    pub(crate) fn happened_at(&self, run: &ActiveRun, text: Option<&str>) -> Result<Option<Timestamp>> {
        let Some(text) = text else { return Ok(None) };
        let zone = clock::run_zone(run.replay.zone.as_deref());
        let now = clock::now();
        let at = clock::parse_happened(text, now, &zone).map_err(Error::usage)?;
        if at > now {
            return Err(Error::refused(format!(
                "{} is in the future (it is now {}); record what has happened",
                clock::minutes_in(at, &zone),
                clock::minutes_in(now, &zone)
            )));
        }
        if let Some(started) = run.replay.started_at
            && at < Timestamp::from_second(started.as_second() - started.as_second().rem_euclid(60)).unwrap_or(started)
        {
            return Err(Error::refused(format!(
                "{} is before the run started ({}); a run records only what happens during it",
                clock::minutes_in(at, &zone),
                clock::minutes_in(started, &zone)
            )));
        }
        // Now, given in words, is the time of recording: nothing to add.
        Ok((at != now).then_some(at))
    }

    /// Records a step skipped, with the reason. A step already done cannot be skipped.
    pub(crate) fn skip(
        &self,
        run: &mut ActiveRun,
        r: StepRef,
        reason: String,
        happened_at: Option<Timestamp>,
    ) -> Result<Event> {
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
        run.record(&self.operator, EventKind::StepSkipped { step: id, reason, happened_at })
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
        create_private_dir(&self.state.root, &dir)?;
        let lock = RunLock::acquire(&dir, &provider, account)?;
        // Another closeacct may have started this run between the caller's check and the lock.
        if dir.join(state::EVENTS_FILE).exists() {
            return Err(Error::RunExists { provider, account: account.to_owned() });
        }
        remove_stale_temps(&dir)?;
        pin_checklist(&dir, &self.checklist.sha256, &self.checklist.text)?;
        let first = EventKind::RunStarted {
            provider: provider.clone(),
            account: account.to_owned(),
            checklist_version: self.checklist.checklist.version,
            checklist_sha256: self.checklist.sha256.clone(),
            zone: Some(clock::local_zone_name()),
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
            newline_added: false,
            appender,
            _lock: lock,
        })
    }

    /// Opens an existing run for writing. A changed checklist is handled by `on_change`.
    pub fn open(&self, account: &str, on_change: OnChange<'_>) -> Result<ActiveRun> {
        let LockedRun { provider, account, dir, replay, end, lock } = self.lock_run(account)?;
        remove_stale_temps(&dir)?;
        let appender = state::open_log_for_append(&dir, &end)?;
        let mut run = ActiveRun {
            provider,
            account,
            dir,
            replay,
            torn_set_aside: end.torn.as_ref().map(Vec::len),
            newline_added: end.unterminated,
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
    pub(crate) fn archive(&self, run: LockedRun) -> Result<PathBuf> {
        let stamp = clock::now().strftime("%Y%m%dT%H%M%SZ").to_string();
        let archive = self.state.archive_run(&run.provider, &run.account, &stamp)?;
        drop(run);
        Ok(archive)
    }

    /// Locks a run and reads it, changing nothing: not even a torn tail is set aside, and a
    /// changed checklist is neither asked about nor accepted.
    pub(crate) fn lock_run(&self, account: &str) -> Result<LockedRun> {
        let provider = self.provider().to_owned();
        let dir = existing_run_dir(&self.state, &provider, account)?;
        let lock = RunLock::acquire(&dir, &provider, account)?;
        let (replay, end) = replay_checked(&dir, &provider, account, Detail::Summary)?;
        Ok(LockedRun { provider, account: account.to_owned(), dir, replay, end, lock })
    }

    /// Records `run_completed` once every step is resolved (and not already recorded); returns
    /// whether the run is complete. The wizard and the scripted commands both end a step here.
    pub(crate) fn complete_if_done(&self, run: &mut ActiveRun) -> Result<bool> {
        let complete = Progress::new(&self.checklist, &run.replay).is_complete();
        if complete && run.replay.completed_at.is_none() {
            run.record(&self.operator, EventKind::RunCompleted {}).map_err(|e| match e {
                Error::Io { path, source, .. } => Error::CompletionNotRecorded { path, source },
                other => other,
            })?;
        }
        Ok(complete)
    }

    /// Opens a run for reading, keeping `detail`: no lock, nothing written, a torn tail ignored.
    /// The session's checklist moves into the run rather than being copied.
    pub(crate) fn read(self, account: &str, detail: Detail) -> Result<ReadRun> {
        let provider = self.provider().to_owned();
        let dir = existing_run_dir(&self.state, &provider, account)?;
        let (replay, end) = replay_checked(&dir, &provider, account, detail)?;
        let (checklist, pending_changes) = if replay.checklist_sha256 == self.checklist.sha256 {
            (self.checklist, Vec::new())
        } else {
            let pinned = Self::pinned(&dir, &replay)?;
            let changes = self.changes_since(pinned.as_ref(), &replay);
            (pinned.unwrap_or(self.checklist), changes)
        };
        Ok(ReadRun { provider, account: account.to_owned(), dir, replay, end, checklist, pending_changes })
    }

    /// The copy of the checklist the run is pinned to, if it is there; its bytes must hash to
    /// what the log pins (an edited copy is damage, exit 65), and a link is refused.
    fn pinned(dir: &Path, replay: &Replay) -> Result<Option<Loaded>> {
        let path = state::pinned_checklist_path(dir, &replay.checklist_sha256);
        if std::fs::symlink_metadata(&path).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound) {
            return Ok(None);
        }
        let bytes = Loaded::read_file(&path, false)?;
        let sha256 = sha256_hex(&bytes);
        if sha256 != replay.checklist_sha256 {
            return Err(Error::DamagedFile {
                path,
                reason: format!(
                    "this copy of the checklist has sha256 {sha256}, but the log pins {} (the copy was edited after the run pinned it)",
                    replay.checklist_sha256
                ),
            });
        }
        Loaded::from_bytes(bytes, &path).map(Some)
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
        let (replay, end) = replay_checked(&dir, provider, account, detail)?;
        let checklist = Session::pinned(&dir, &replay)?
            .ok_or_else(|| Error::NoSuchFile { path: state::pinned_checklist_path(&dir, &replay.checklist_sha256) })?;
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

/// Replays a run's log and checks it is the run its directory names: the provider and account
/// recorded in the first event are the truth, and a directory renamed to another account is
/// damage, not that account's run.
fn replay_checked(dir: &Path, provider: &str, account: &str, detail: Detail) -> Result<(Replay, LogEnd)> {
    let (replay, end) = state::replay(dir, detail)?;
    if replay.provider != provider || replay.account != account {
        return Err(Error::DamagedFile {
            path: dir.to_owned(),
            reason: format!(
                "the log records the run {}/{}, but its directory names {provider}/{account}",
                replay.provider.escape_debug(),
                replay.account.escape_debug()
            ),
        });
    }
    Ok((replay, end))
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
        if self.newline_added {
            return Some(format!(
                "the last line of the log lacked its newline (a crash after the line was written); it is whole, so it is kept and the newline was added to {}",
                state::EVENTS_FILE
            ));
        }
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
        EventKind::StepDone { step, note, evidence, attested, .. } => {
            texts.extend(note.as_deref().map(|t| (format!("the note for step `{step}`"), t)));
            texts.extend(evidence.as_deref().map(|t| (format!("the evidence for step `{step}`"), t)));
            texts.extend(attested.as_deref().map(|t| (format!("the attestation for step `{step}`"), t)));
        }
        EventKind::StepSkipped { step, reason, .. } => {
            texts.push((format!("the reason for skipping step `{step}`"), reason));
        }
        EventKind::StepWaiting { step, note, on, .. } => {
            texts.extend(note.as_deref().map(|t| (format!("the note for step `{step}`"), t)));
            texts.extend(on.as_deref().map(|t| (format!("who step `{step}` waits on"), t)));
        }
        EventKind::NoteAdded { step, note } => texts.push((format!("the note for step `{step}`"), note)),
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
