//! Opening runs: where they live, which account is meant, the lock, and the checklist a run is
//! pinned to. Commands and the wizard go through here so the rules are the same for both.

mod checks;
mod write;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::checklist::{Catalog, Loaded};
use crate::cli::{ChecklistArgs, OperatorArgs, RunArgs};
use crate::clock;
use crate::digest::sha256_hex;
use crate::error::{Error, Result};
use crate::progress::diff_checklists;
use crate::state::{
    self, Appender, Detail, EventKind, LogEnd, LogLines, Replay, RunLock, StateDir, create_private_dir, pin_checklist,
    remove_stale_temps,
};
use crate::visible::first_unsafe;

use self::write::screen_text;

pub(crate) use self::checks::run_check;
pub(crate) use self::write::{Confirmation, Confirmed};

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
    /// Whether opening it recorded a changed checklist as accepted (its last event).
    pub(crate) accepted_change: bool,
    appender: Appender,
    _lock: RunLock,
}

/// A run locked and read, with nothing written to it: what `--restart` moves aside.
pub(crate) struct LockedRun {
    pub(crate) provider: String,
    pub(crate) account: String,
    pub(crate) replay: Replay,
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

/// Checks an account argument: `[A-Za-z0-9][A-Za-z0-9._@-]{0,63}`.
pub(crate) fn validate_account(account: &str) -> Result<()> {
    let bytes = account.as_bytes();
    let ok = !bytes.is_empty()
        && bytes.len() <= 64
        && bytes[0].is_ascii_alphanumeric()
        && bytes.iter().all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'@' | b'-'));
    if ok { Ok(()) } else { Err(Error::InvalidAccount { account: account.escape_debug().to_string() }) }
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
        ReadRun::with_pinned_checklist(state, provider, &account, Detail::Summary)
            .map(|run| Some(Arc::unwrap_or_clone(run.checklist)))
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
}

impl Session {
    /// `--provider P --account A`, and `--checklist FILE` when the id alone does not name the
    /// checklist (neither built in nor the user's): for the commands a message suggests.
    pub(crate) fn run_args(&self, account: &str) -> String {
        let mut args = format!("--provider {} --account {account}", self.provider());
        if !Catalog::get().names(&self.checklist) {
            args.push_str(" --checklist ");
            args.push_str(&self.checklist.origin);
        }
        args
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
            accepted_change: false,
            appender,
            _lock: lock,
        })
    }

    /// Opens an existing run for writing. A changed checklist is handled by `on_change`.
    pub fn open(&self, account: &str, on_change: OnChange<'_>) -> Result<ActiveRun> {
        let provider = self.provider().to_owned();
        let dir = existing_run_dir(&self.state, &provider, account)?;
        let lock = RunLock::acquire(&dir, &provider, account)?;
        remove_stale_temps(&dir)?;
        // A write checks every byte of the log, through the checkpoint the last write left.
        let (mut replay, end, appender) = state::open_for_write(&dir)?;
        check_names(&dir, &replay, &provider, account)?;
        replay.last_line_hashed(&end.last_hash);
        let account = account.to_owned();
        let mut run = ActiveRun {
            provider,
            account,
            dir,
            replay,
            torn_set_aside: end.torn.as_ref().map(Vec::len),
            newline_added: end.unterminated,
            accepted_change: false,
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
            run.accepted_change = true;
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
        let (replay, _) = replay_checked(&dir, &provider, account, Detail::Summary)?;
        Ok(LockedRun { provider, account: account.to_owned(), replay, _lock: lock })
    }

    /// Opens a run for reading, keeping `detail`: no lock, nothing written, a torn tail ignored.
    /// The session's checklist moves into the run rather than being copied.
    pub(crate) fn read(self, account: &str, detail: Detail) -> Result<ReadRun> {
        let provider = self.provider().to_owned();
        let dir = existing_run_dir(&self.state, &provider, account)?;
        let lines = LogLines::open_for(&dir, detail)?;
        let (replay, end) = replay_checked(&dir, &provider, account, detail)?;
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

    /// The copy of the checklist the run is pinned to, if it is there; its bytes must hash to
    /// what the log pins (an edited copy is damage, exit 65), and a link is refused.
    fn pinned(dir: &Path, replay: &Replay) -> Result<Option<Loaded>> {
        load_pinned(dir, &replay.checklist_sha256)
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
        let checklist =
            Arc::new(Session::pinned(&dir, &replay)?.ok_or_else(|| Error::NoSuchFile {
                path: state::pinned_checklist_path(&dir, &replay.checklist_sha256),
            })?);
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

/// Replays a run's log and checks it is the run its directory names: the provider and account
/// recorded in the first event are the truth, and a directory renamed to another account is
/// damage, not that account's run.
fn replay_checked(dir: &Path, provider: &str, account: &str, detail: Detail) -> Result<(Replay, LogEnd)> {
    let (replay, end) = state::replay(dir, detail)?;
    check_names(dir, &replay, provider, account)?;
    Ok((replay, end))
}

/// Refuses a run whose log records another run than its directory names (a directory renamed
/// or copied by hand): it would otherwise be read, or written to, as the wrong account.
fn check_names(dir: &Path, replay: &Replay, provider: &str, account: &str) -> Result<()> {
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
    Ok(())
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
}

/// The copy of the checklist a run in `dir` is pinned to (`sha256`, as its log records it);
/// `None` when it is missing. A symbolic link, or a copy whose bytes no longer hash to `sha256`
/// (edited after it was pinned), is refused: exit 65, nothing changed.
pub(crate) fn load_pinned(dir: &Path, sha256: &str) -> Result<Option<Loaded>> {
    let path = state::pinned_checklist_path(dir, sha256);
    if std::fs::symlink_metadata(&path).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound) {
        return Ok(None);
    }
    let bytes = Loaded::read_file(&path, false)?;
    let actual = sha256_hex(&bytes);
    if actual != sha256 {
        return Err(Error::DamagedFile {
            path,
            reason: format!(
                "this copy of the checklist has sha256 {actual}, but the log pins {sha256} (the copy was edited after the run pinned it)"
            ),
        });
    }
    Loaded::from_bytes(bytes, &path).map(Some)
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
