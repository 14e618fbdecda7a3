//! Many runs at once: the overview of `status`, `runs` and `report --all`, starting runs from a
//! list, archiving and removing.
//!
//! Reading many runs never stops at the first odd entry. Every entry of the state directory
//! becomes a [`Row`]: a run, or what is wrong with the entry (a damaged log, a directory that
//! cannot be read, a file where a run belongs, a copy whose log names another run, a run whose
//! checklist is nowhere to be found). Commands print every row, then exit with the worst
//! problem's code ([`finish`]). Each distinct checklist is parsed once, keyed by its sha256
//! ([`Checklists`]), so an overview costs about what reading the logs costs.

mod accounts;
mod checklists;
mod summary;

use std::path::{Path, PathBuf};

pub(crate) use accounts::AccountList;
pub(crate) use checklists::Checklists;
pub(crate) use summary::{ProblemLine, RunState, Summary, Waiting};

use crate::checklist::{Catalog, Loaded};
use crate::cli::ChecklistArgs;
use crate::clock;
use crate::error::{Error, Result};
use crate::progress::Progress;
use crate::session::{ReadRun, Session, validate_account};
use crate::state::{self, Detail, EVENTS_FILE, Found, Place, Replay, RunLock, StateDir};

/// An overview's view of the state directory: where runs are and the checklists read so far.
pub(crate) struct Fleet {
    pub(crate) state: StateDir,
    pub(crate) checklists: Checklists,
}

/// One entry of an overview.
pub(crate) enum Row {
    Run(Box<FleetRun>),
    Problem(Problem),
}

/// A run read for an overview.
pub(crate) struct FleetRun {
    pub(crate) run: ReadRun,
    /// Who recorded the last event.
    pub(crate) last_by: String,
    /// Where the run lives: active, or archived under a stamp.
    pub(crate) place: Place,
}

/// An entry that could not be read as a run, and why.
pub(crate) struct Problem {
    /// The provider and account its place names (empty where it names none).
    pub(crate) provider: String,
    pub(crate) account: String,
    pub(crate) path: PathBuf,
    /// `damaged`, `unreadable`, `not-a-run`, `misplaced`, `unknown-checklist` or `bad-checklist`.
    pub(crate) kind: &'static str,
    pub(crate) error: Error,
}

impl Fleet {
    /// An overview of `state`; `given` is a `--checklist` file, which stands for the current
    /// checklist of its provider.
    pub(crate) fn new(state: StateDir, given: Option<Loaded>) -> Fleet {
        Fleet { state, checklists: Checklists::new(given) }
    }

    /// Every entry under `runs/` (`active`) and `archive/` (`archived`), of one provider if
    /// given, read as rows in path order and handed to `visit` one at a time, so that memory does
    /// not grow with the runs. Returns what [`finish`] needs once everything is printed.
    pub(crate) fn each_row(
        &mut self,
        provider: Option<&str>,
        active: bool,
        archived: bool,
        mut visit: impl FnMut(&Row),
    ) -> Result<Tally> {
        let found = self.state.scan(provider, active, archived)?;
        let mut tally = Tally { entries: found.len(), problems: Vec::new() };
        for entry in found {
            let row = self.row(entry);
            visit(&row);
            if let Row::Problem(problem) = row {
                tally.problems.push(problem.error);
            }
        }
        Ok(tally)
    }

    /// Reads one entry as a run, or says what is wrong with it.
    pub(crate) fn row(&mut self, found: Found) -> Row {
        let Found { path, provider, account, place, problem } = found;
        // Listing checked every directory on the way for links already.
        let result = match problem {
            Some(problem) => Err(problem),
            None => self.read_checked(&path, &provider, &account, place, Detail::Summary),
        };
        match result {
            Ok(run) => Row::Run(Box::new(run)),
            Err(error) => Row::Problem(Problem { kind: kind_of(&error), provider, account, path, error }),
        }
    }

    /// Reads the run in `dir`, which its place says is `provider`/`account`: the whole log is
    /// checked, and the log's first event must name that run.
    pub(crate) fn read_at(&mut self, dir: &Path, provider: &str, account: &str, place: Place) -> Result<FleetRun> {
        self.read_with(dir, provider, account, place, Detail::Summary)
    }

    /// [`Fleet::read_at`], keeping `detail` (a report needs the notes).
    fn read_with(
        &mut self,
        dir: &Path,
        provider: &str,
        account: &str,
        place: Place,
        detail: Detail,
    ) -> Result<FleetRun> {
        state::refuse_symlinked_dirs(&self.state.root, dir)?;
        self.read_checked(dir, provider, account, place, detail)
    }

    /// Reads a run whose directory is known to be reached without symbolic links.
    fn read_checked(
        &mut self,
        dir: &Path,
        provider: &str,
        account: &str,
        place: Place,
        detail: Detail,
    ) -> Result<FleetRun> {
        let log = dir.join(EVENTS_FILE);
        let lines = state::LogLines::open_for(dir, detail)?;
        let mut replay = Replay { detail, ..Replay::default() };
        let mut last_by = String::new();
        let end = state::read_log_at(&log, |event, line, _| {
            replay.apply_at(event, Some(line));
            last_by.clear();
            last_by.push_str(event.by.as_ref());
            Ok(())
        })
        .map_err(|e| match e {
            // A directory that cannot be searched is unreadable (74), not empty: only a log that
            // is not there makes a directory that is not a run.
            Error::NoSuchFile { path } if path == log => Error::NotARun {
                path: dir.to_owned(),
                reason: format!("it has no {EVENTS_FILE} (a run starts with its log)"),
            },
            // Without a valid first event there is no run, only a file that looks like a log.
            Error::DamagedState { line: 1, reason, .. } => {
                Error::NotARun { path: dir.to_owned(), reason: format!("its log has no valid first event ({reason})") }
            }
            other => other,
        })?;
        if replay.provider != provider || replay.account != account {
            return Err(Error::MisplacedRun {
                path: dir.to_owned(),
                recorded: format!("{}/{}", replay.provider, replay.account),
                named: format!("{provider}/{account}"),
            });
        }
        let (checklist, pending_changes) = self.checklists.for_run(dir, provider, &replay.checklist_sha256)?;
        let run = ReadRun {
            provider: provider.to_owned(),
            account: account.to_owned(),
            dir: dir.to_owned(),
            replay,
            end,
            checklist,
            pending_changes,
            lines,
        };
        Ok(FleetRun { run, last_by, place })
    }
}

impl Fleet {
    /// The archived run of `session`'s provider that `--archived STAMP` names (`latest`: the
    /// newest); `account` is `--account`, which an archived run needs.
    pub(crate) fn archived_of(session: Session, account: Option<&str>, stamp: &str, detail: Detail) -> Result<ReadRun> {
        let Some(account) = account else {
            return Err(Error::usage("--archived needs --account ACCOUNT"));
        };
        let provider = session.provider().to_owned();
        Fleet::new(session.state, Some(session.checklist)).read_archived(&provider, account, stamp, detail)
    }

    /// Reads an archived run, keeping `detail`: the latest archive of the account, or the one of
    /// `stamp` (`latest` for the latest).
    pub(crate) fn read_archived(
        &mut self,
        provider: &str,
        account: &str,
        stamp: &str,
        detail: Detail,
    ) -> Result<ReadRun> {
        validate_account(account)?;
        let base = self.state.root.join("archive").join(provider).join(account);
        let stamp = if stamp == "latest" {
            let mut stamps: Vec<(String, u32, String)> = std::fs::read_dir(&base)
                .map_err(|e| match e.kind() {
                    std::io::ErrorKind::NotFound => Error::NoSuchFile { path: base.clone() },
                    _ => Error::io("list", &base, e),
                })?
                .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
                .map(|name| {
                    // `STAMP-2` is the second archive in the same second: after `STAMP`.
                    let (stamp, n) =
                        name.split_once('-').map_or((name.as_str(), 1), |(s, n)| (s, n.parse().unwrap_or(0)));
                    (stamp.to_owned(), n, name.clone())
                })
                .collect();
            stamps.sort();
            stamps.pop().map(|(_, _, name)| name).ok_or_else(|| Error::NoSuchFile { path: base.clone() })?
        } else {
            validate_account(stamp).map_err(|_| Error::usage(format!("`{stamp}` is not an archive's stamp")))?;
            stamp.to_owned()
        };
        let dir = base.join(&stamp);
        if std::fs::symlink_metadata(&dir).is_err() {
            return Err(Error::NoSuchFile { path: dir });
        }
        Ok(self.read_with(&dir, provider, account, Place::Archived { stamp }, detail)?.run)
    }

    /// Moves a complete run to `archive/PROVIDER/ACCOUNT/STAMP`, holding its lock so that no
    /// other closeacct writes to it meanwhile; returns where it went. A run with steps left is
    /// refused (exit 2) naming them; completeness is judged against the checklist the run is
    /// pinned to, the one it walked.
    pub(crate) fn archive(&mut self, provider: &str, account: &str) -> Result<PathBuf> {
        let dir = self.existing_run(provider, account)?;
        let _lock = RunLock::acquire(&dir, provider, account)?;
        let read = self.read_at(&dir, provider, account, Place::Active)?;
        let progress = Progress::new(&read.run.checklist, &read.run.replay);
        if let Some(open) = progress.first_open() {
            let counts = progress.counts();
            return Err(Error::refused(format!(
                "the run {provider}/{account} is not complete ({} of {} steps resolved; next: step {} `{}`); only a complete run is archived (`closeacct remove` moves any run to the trash)",
                counts.resolved_applicable(),
                counts.applicable,
                open.number(),
                read.run.checklist.step(open).id.get_ref()
            )));
        }
        let stamp = clock::now().strftime("%Y%m%dT%H%M%SZ").to_string();
        self.state.move_run(&dir, &self.state.archive_dir(provider, account, &stamp))
    }

    /// Moves a run, whatever its state (even damaged), to `trash/PROVIDER/ACCOUNT/STAMP`, holding
    /// its lock when it has a log; returns where it went. Nothing is deleted.
    pub(crate) fn trash(&self, provider: &str, account: &str) -> Result<PathBuf> {
        let dir = self.existing_run(provider, account)?;
        let _lock = if StateDir::has_log(&dir) { Some(RunLock::acquire(&dir, provider, account)?) } else { None };
        let stamp = clock::now().strftime("%Y%m%dT%H%M%SZ").to_string();
        self.state.move_run(&dir, &self.state.trash_dir(provider, account, &stamp))
    }

    /// The directory of an active run: a directory reached without symbolic links (exit 66 when
    /// there is none).
    fn existing_run(&self, provider: &str, account: &str) -> Result<PathBuf> {
        validate_account(provider).map_err(|_| Error::usage(format!("`{provider}` is not a provider id")))?;
        validate_account(account)?;
        let dir = self.state.run_dir(provider, account);
        let missing = || Error::NoSuchRun {
            provider: Some(provider.to_owned()),
            account: Some(account.to_owned()),
            state_dir: self.state.root.clone(),
        };
        match std::fs::symlink_metadata(&dir) {
            Ok(meta) if meta.is_dir() || meta.file_type().is_symlink() => {}
            _ => return Err(missing()),
        }
        state::refuse_symlinked_dirs(&self.state.root, &dir)?;
        Ok(dir)
    }
}

/// What kind of problem an error is, as rows name it.
fn kind_of(error: &Error) -> &'static str {
    match error {
        Error::DamagedState { .. } => "damaged",
        Error::Io { .. } => "unreadable",
        Error::NotARun { .. } | Error::RefusedInput { .. } => "not-a-run",
        Error::MisplacedRun { .. } => "misplaced",
        Error::UnknownChecklist { .. } => "unknown-checklist",
        _ => "bad-checklist",
    }
}

/// How bad a problem's exit code is: damage (65) is worse than a read that failed (74), which
/// is worse than something missing (66).
fn severity(code: u8) -> u8 {
    match code {
        65 => 3,
        74 => 2,
        66 => 1,
        _ => 0,
    }
}

/// What an overview saw: how many entries, and the errors of those that were not runs.
pub(crate) struct Tally {
    pub(crate) entries: usize,
    pub(crate) problems: Vec<Error>,
}

/// After every row is printed: `Ok` when every entry was a run, else the error that carries the
/// worst problem's exit code.
/// What an overview (`status` of all runs, `runs`, `report --all`) covers: the `--checklist`
/// file's checklist if one is given, and the provider it is limited to (`--provider`, else the
/// file's id). A `--provider` that no checklist has and no run is filed under (a run of a
/// checklist file the catalog no longer holds still is) is a usage error with the nearest ids,
/// not an empty list.
pub(crate) fn overview_scope(
    state: &StateDir,
    provider: Option<&str>,
    checklist: &ChecklistArgs,
) -> Result<(Option<Loaded>, Option<String>)> {
    let given = match &checklist.checklist {
        Some(_) => Some(Session::load_checklist(provider, checklist)?),
        None => None,
    };
    if let (Some(provider), None) = (provider, &given) {
        let filed = ["runs", "archive"]
            .iter()
            .any(|place| std::fs::symlink_metadata(state.root.join(place).join(provider)).is_ok());
        if !filed {
            Catalog::get().require_known(provider)?;
        }
    }
    let provider = provider.map(str::to_owned).or_else(|| given.as_ref().map(|g| g.id().to_owned()));
    Ok((given, provider))
}

pub(crate) fn finish(tally: Tally) -> Result<()> {
    let Tally { entries, problems } = tally;
    let count = problems.len();
    let mut worst: Option<Error> = None;
    for error in problems {
        let code = error.exit_code();
        if worst.as_ref().is_none_or(|w| severity(code) > severity(w.exit_code())) {
            worst = Some(error);
        }
    }
    match worst {
        None => Ok(()),
        Some(worst) => Err(Error::RunsWithProblems { problems: count, entries, worst: Box::new(worst) }),
    }
}
