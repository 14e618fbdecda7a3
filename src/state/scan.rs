//! Listing what a state directory holds, entry by entry, so that one odd entry never hides the
//! others: every entry under `runs/` (and, when asked, `archive/`) is listed, a run directory or
//! not, and an entry that could not be listed is listed too, with its error. Moving a whole run
//! aside (to the archive or the trash) lives here as well: both are renames inside the state
//! directory, made durable, and neither ever deletes anything.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::dir::{create_private_dir, sync_dir};
use super::{EVENTS_FILE, StateDir};
use crate::error::{Error, Result};

/// Where a listed entry lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Place {
    /// `runs/PROVIDER/ACCOUNT`: the active runs.
    Active,
    /// `archive/PROVIDER/ACCOUNT/STAMP`: set aside by `archive` or `--restart`.
    Archived { stamp: String },
}

/// One entry of the state directory, as listed; whether it holds a readable run is found when it
/// is read.
#[derive(Debug)]
pub(crate) struct Found {
    pub(crate) path: PathBuf,
    /// The provider and account the path names (as far as it names them; lossy where a name is
    /// not UTF-8).
    pub(crate) provider: String,
    pub(crate) account: String,
    pub(crate) place: Place,
    /// Why the entry is not a run directory, when listing already shows it (a file, a symbolic
    /// link, a directory that cannot be listed).
    pub(crate) problem: Option<Error>,
}

/// What `.gitignore` in a new state directory says: the lock, temporary files and the writer's
/// checkpoint are per machine and per process; everything else is the record.
pub(crate) const GITIGNORE: &str = "\
# Written by closeacct when it created this state directory. Commit everything else: the event
# logs, the pinned checklist copies, the archive and the trash are the record.
lock
.closeacct-*
checkpoint
";

impl StateDir {
    /// Every entry under `runs/` (with `active`) and `archive/` (with `archived`), restricted to
    /// one provider if given, sorted by path. Only a state directory that cannot be read at all
    /// is an error; anything odd below it is an entry with its problem.
    pub(crate) fn scan(&self, provider: Option<&str>, active: bool, archived: bool) -> Result<Vec<Found>> {
        let mut found = Vec::new();
        if active {
            scan_tree(&self.root.join("runs"), provider, false, &mut found)?;
        }
        if archived {
            scan_tree(&self.root.join("archive"), provider, true, &mut found)?;
        }
        found.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(found)
    }

    /// Where `remove` puts a run: `trash/PROVIDER/ACCOUNT/STAMP`.
    pub(crate) fn trash_dir(&self, provider: &str, account: &str, stamp: &str) -> PathBuf {
        self.root.join("trash").join(provider).join(account).join(stamp)
    }

    /// Moves the directory `from` to `to` (`to-2`, `-3`… when that exists), durably: both parents
    /// are fsynced. Returns where it went.
    pub(crate) fn move_run(&self, from: &Path, to: &Path) -> Result<PathBuf> {
        let mut target = to.to_path_buf();
        let mut n = 1;
        while fs::symlink_metadata(&target).is_ok() {
            n += 1;
            target = to.with_file_name(format!("{}-{n}", name_of(to)));
        }
        let parent = target.parent().expect("a target directory has a parent").to_path_buf();
        create_private_dir(&self.root, &parent)?;
        fs::rename(from, &target).map_err(|e| Error::io("move", from, e))?;
        sync_dir(&parent)?;
        if let Some(parent) = from.parent() {
            sync_dir(parent)?;
        }
        Ok(target)
    }

    /// Creates the state directory if it does not exist, with a `.gitignore` for team use (see
    /// [`GITIGNORE`]); a directory that exists is left as it is.
    pub(crate) fn create_if_missing(&self) -> Result<()> {
        if fs::symlink_metadata(&self.root).is_ok() {
            return Ok(());
        }
        create_private_dir(&self.root, &self.root)?;
        super::write_atomic(&self.root.join(".gitignore"), GITIGNORE.as_bytes(), 0o600)
    }

    /// Whether `dir` holds a log (a run, or what is left of one).
    pub(crate) fn has_log(dir: &Path) -> bool {
        fs::symlink_metadata(dir.join(EVENTS_FILE)).is_ok()
    }
}

/// Lists the tree under `runs/` (two levels) or `archive/` (three) into `found`.
fn scan_tree(base: &Path, provider: Option<&str>, archived: bool, found: &mut Vec<Found>) -> Result<()> {
    let providers = match entries(base) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io("list", base, e)),
    };
    let levels = if archived { 3 } else { 2 };
    let mut stack: Vec<(PathBuf, io::Result<fs::FileType>, Vec<String>)> =
        providers.into_iter().map(|(p, t)| (p, t, Vec::new())).collect();
    while let Some((path, file_type, mut names)) = stack.pop() {
        names.push(name_of(&path));
        if names.len() == 1 && provider.is_some_and(|wanted| wanted != names[0]) {
            continue;
        }
        let entry = |problem: Option<Error>| Found {
            path: path.clone(),
            provider: names[0].clone(),
            account: names.get(1).cloned().unwrap_or_default(),
            place: match names.get(2) {
                Some(stamp) if archived => Place::Archived { stamp: stamp.clone() },
                _ if archived => Place::Archived { stamp: String::new() },
                _ => Place::Active,
            },
            problem,
        };
        // The type read with the directory's entries (no `lstat` each, where the file system
        // gives it; `DirEntry::file_type` asks otherwise): never follows a link.
        let file_type = match file_type {
            Ok(file_type) => file_type,
            Err(e) => {
                found.push(entry(Some(Error::io("inspect", &path, e))));
                continue;
            }
        };
        let what = if archived {
            ["a provider's archive", "an account's archive", "an archived run"]
        } else {
            ["a provider's runs", "a run", ""]
        }[names.len() - 1];
        if file_type.is_symlink() {
            let reason = format!("a symbolic link where {what} belongs; links are never followed");
            found.push(entry(Some(Error::NotARun { path: path.clone(), reason })));
        } else if !file_type.is_dir() {
            let reason = format!("a file where the directory of {what} belongs");
            found.push(entry(Some(Error::NotARun { path: path.clone(), reason })));
        } else if names.len() == levels {
            found.push(entry(None));
        } else {
            match entries(&path) {
                Ok(children) => stack.extend(children.into_iter().map(|(c, t)| (c, t, names.clone()))),
                Err(e) => found.push(entry(Some(Error::io("list", &path, e)))),
            }
        }
    }
    Ok(())
}

/// The paths of a directory's entries, each with its type (not following links); errors listing
/// it are the caller's to name.
fn entries(dir: &Path) -> io::Result<Vec<(PathBuf, io::Result<fs::FileType>)>> {
    fs::read_dir(dir)?.map(|entry| entry.map(|e| (e.path(), e.file_type()))).collect()
}

/// The last component of a path, as text.
fn name_of(path: &Path) -> String {
    path.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_is_listed_with_what_is_wrong_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir { root: dir.path().to_path_buf() };
        let runs = dir.path().join("runs");
        fs::create_dir_all(runs.join("aws/1111")).unwrap();
        fs::create_dir_all(runs.join("aws/2222")).unwrap();
        fs::write(runs.join("aws/notes.txt"), "x").unwrap();
        fs::write(runs.join("stray"), "x").unwrap();
        std::os::unix::fs::symlink(runs.join("aws/1111"), runs.join("aws/3333")).unwrap();
        fs::create_dir_all(dir.path().join("archive/aws/1111/20261124T000000Z")).unwrap();
        let found = state.scan(None, true, true).unwrap();
        let rows: Vec<(String, bool)> = found
            .iter()
            .map(|f| (f.path.strip_prefix(dir.path()).unwrap().display().to_string(), f.problem.is_some()))
            .collect();
        assert_eq!(
            rows,
            [
                ("archive/aws/1111/20261124T000000Z".to_owned(), false),
                ("runs/aws/1111".to_owned(), false),
                ("runs/aws/2222".to_owned(), false),
                ("runs/aws/3333".to_owned(), true),
                ("runs/aws/notes.txt".to_owned(), true),
                ("runs/stray".to_owned(), true),
            ]
        );
        assert_eq!(found[0].place, Place::Archived { stamp: "20261124T000000Z".into() });
        assert_eq!(state.scan(Some("aws"), true, false).unwrap().len(), 4);
        assert!(state.scan(Some("gcp"), true, true).unwrap().is_empty());
    }
}
