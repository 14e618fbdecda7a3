//! The state directory: where runs live, creating their directories privately, refusing
//! symbolic links, and whole files written atomically.

use std::fs::{self, File};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::EVENTS_FILE;
use crate::error::{Error, Result};

/// The environment variable naming the state directory, when `--state-dir` is not given.
pub(crate) const STATE_DIR_ENV: &str = "CLOSEACCT_STATE_DIR";

/// Where runs live.
#[derive(Debug, Clone)]
pub struct StateDir {
    pub root: PathBuf,
}

impl StateDir {
    /// `--state-dir`, else `CLOSEACCT_STATE_DIR` (made absolute), else the platform's state
    /// directory (`$XDG_STATE_HOME/closeacct` on Linux). An empty value is refused, not ignored.
    pub(crate) fn resolve(given: Option<&Path>) -> Result<StateDir> {
        let from_env = std::env::var_os(STATE_DIR_ENV).map(PathBuf::from);
        let root = match given.map(Path::to_path_buf).or(from_env) {
            Some(path) if path.as_os_str().is_empty() => {
                return Err(Error::usage(format!(
                    "the state directory is empty (--state-dir or {STATE_DIR_ENV}); give a directory or leave it unset"
                )));
            }
            Some(path) => std::path::absolute(&path).map_err(|e| Error::io("resolve state directory", &path, e))?,
            None => {
                use etcetera::BaseStrategy;
                let strategy = etcetera::choose_base_strategy().map_err(|e| {
                    Error::usage(format!("cannot find a home directory for the state ({e}); pass --state-dir"))
                })?;
                strategy.state_dir().unwrap_or_else(|| strategy.data_dir()).join("closeacct")
            }
        };
        Ok(StateDir { root })
    }

    /// The directory of the run for a provider and account.
    pub(crate) fn run_dir(&self, provider: &str, account: &str) -> PathBuf {
        self.root.join("runs").join(provider).join(account)
    }

    /// Where a run goes when `--restart` sets it aside.
    pub(crate) fn archive_dir(&self, provider: &str, account: &str, stamp: &str) -> PathBuf {
        self.root.join("archive").join(provider).join(account).join(stamp)
    }

    /// Moves a run's directory to `archive/PROVIDER/ACCOUNT/STAMP` (`STAMP-2`, `-3`… when a
    /// second archive falls in the same second), durably; returns where it went.
    pub(crate) fn archive_run(&self, provider: &str, account: &str, stamp: &str) -> Result<PathBuf> {
        let dir = self.run_dir(provider, account);
        let mut archive = self.archive_dir(provider, account, stamp);
        let mut n = 1;
        while archive.exists() {
            n += 1;
            archive = self.archive_dir(provider, account, &format!("{stamp}-{n}"));
        }
        let parent = archive.parent().expect("an archive directory has a parent").to_path_buf();
        create_private_dir(&self.root, &parent)?;
        fs::rename(&dir, &archive).map_err(|e| Error::io("archive run", &dir, e))?;
        sync_dir(&parent)?;
        if let Some(parent) = dir.parent() {
            sync_dir(parent)?;
        }
        Ok(archive)
    }

    /// Every run as (provider, account), sorted; provider restricts to one provider.
    pub(crate) fn runs(&self, provider: Option<&str>) -> Result<Vec<(String, String)>> {
        let mut runs = Vec::new();
        let base = self.root.join("runs");
        for provider_dir in list_dir(&base)? {
            let Some(p) = provider_dir.file_name().and_then(|n| n.to_str()).map(str::to_owned) else { continue };
            if provider.is_some_and(|wanted| wanted != p) {
                continue;
            }
            for run_dir in list_dir(&provider_dir)? {
                if run_dir.join(EVENTS_FILE).exists()
                    && let Some(account) = run_dir.file_name().and_then(|n| n.to_str())
                {
                    runs.push((p.clone(), account.to_owned()));
                }
            }
        }
        runs.sort();
        Ok(runs)
    }
}

fn list_dir(dir: &Path) -> Result<Vec<PathBuf>> {
    match fs::read_dir(dir) {
        Ok(entries) => {
            let mut paths = Vec::new();
            for entry in entries {
                let entry = entry.map_err(|e| Error::io("list", dir, e))?;
                if entry.file_type().map_err(|e| Error::io("list", dir, e))?.is_dir() {
                    paths.push(entry.path());
                }
            }
            Ok(paths)
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(Error::io("list", dir, e)),
    }
}

/// Creates `dir` and its missing parents with mode 0700, fsyncing each parent that gained an
/// entry, and refuses a symlink anywhere from `root` down.
pub(crate) fn create_private_dir(root: &Path, dir: &Path) -> Result<()> {
    let mut missing = Vec::new();
    let mut current = dir.to_path_buf();
    loop {
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() && current.starts_with(root) && current != root => {
                return Err(symlink_refused(&current));
            }
            Ok(meta) if !meta.is_dir() && !meta.file_type().is_symlink() => {
                return Err(Error::io("create directory", &current, io::Error::from(io::ErrorKind::NotADirectory)));
            }
            Ok(_) => break,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                missing.push(current.clone());
                if !current.pop() {
                    break;
                }
            }
            Err(e) => return Err(Error::io("inspect", &current, e)),
        }
    }
    for path in missing.iter().rev() {
        match fs::DirBuilder::new().mode(0o700).create(path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Error::io("create directory", path, e)),
        }
        if let Some(parent) = path.parent() {
            sync_dir(parent)?;
        }
    }
    // Refuse symlinks between the root and the run directory even when they already existed.
    refuse_symlinked_dirs(root, dir)
}

/// Refuses a symbolic link anywhere below `root` on the way to `dir` (which must exist), so a
/// run is never read or written through a link planted in the state directory.
pub(crate) fn refuse_symlinked_dirs(root: &Path, dir: &Path) -> Result<()> {
    let mut check = dir.to_path_buf();
    while check.starts_with(root) && check != root {
        let meta = fs::symlink_metadata(&check).map_err(|e| Error::io("inspect", &check, e))?;
        if meta.file_type().is_symlink() {
            return Err(symlink_refused(&check));
        }
        check.pop();
    }
    Ok(())
}

/// fsyncs a directory so that a file created or renamed in it survives a crash.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(|e| Error::io("sync directory", dir, e))
}

/// The refusal of a state path that is a symbolic link.
fn symlink_refused(path: &Path) -> Error {
    Error::RefusedInput { message: format!("refusing to use `{}`: it is a symbolic link", path.display()) }
}

/// Refuses a path that is a symbolic link.
pub(super) fn refuse_symlink(path: &Path) -> Result<()> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => Err(symlink_refused(path)),
        _ => Ok(()),
    }
}

/// The prefix of every temporary file closeacct makes beside the file it is writing.
pub(super) const TEMP_PREFIX: &str = ".closeacct-";

/// Removes the temporary files a killed closeacct left in a run directory (a `start` killed before
/// its first line was linked into place, a checklist copy killed mid-write). Only called with the
/// run's lock held, so no live writer's temporary file is among them.
pub(crate) fn remove_stale_temps(dir: &Path) -> Result<()> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io("list", dir, e)),
    };
    let mut removed = false;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("list", dir, e))?;
        if entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
            fs::remove_file(entry.path()).map_err(|e| Error::io("remove the temporary file", entry.path(), e))?;
            removed = true;
        }
    }
    if removed {
        sync_dir(dir)?;
    }
    Ok(())
}

/// Refuses an output file (a report, its signature) that would overwrite the record or something
/// that is not a plain file: any path inside the state directory (however it is spelled:
/// links in its directories are resolved), a symbolic link, or anything that exists and is not a
/// regular file (a device, a FIFO, a directory). A regular file elsewhere may be replaced.
pub(crate) fn check_output_path(root: &Path, path: &Path) -> Result<()> {
    let refuse = |reason: String| Err(Error::CantCreate { path: path.to_owned(), reason });
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => return refuse("it is a symbolic link".to_owned()),
        Ok(meta) if !meta.is_file() => return refuse("it exists and is not a regular file".to_owned()),
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) if e.kind() == io::ErrorKind::NotADirectory => {
            return refuse("a part of its path is not a directory".to_owned());
        }
        Err(e) => return Err(Error::io("inspect", path, e)),
    }
    let absolute = std::path::absolute(path).map_err(|e| Error::io("resolve", path, e))?;
    let (Some(parent), Some(name)) = (absolute.parent(), absolute.file_name()) else {
        return refuse("it names no file".to_owned());
    };
    let parent = match fs::canonicalize(parent) {
        Ok(parent) if parent.is_dir() => parent,
        Ok(_) => return refuse(format!("`{}` is not a directory", parent.display())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return refuse(format!("its directory `{}` does not exist", parent.display()));
        }
        Err(e) => return Err(Error::io("inspect", parent, e)),
    };
    // A state directory that does not exist holds nothing to overwrite.
    let Ok(root) = fs::canonicalize(root) else { return Ok(()) };
    if parent.join(name).starts_with(&root) {
        return refuse(format!(
            "it is inside the state directory `{}`, whose files only closeacct writes",
            root.display()
        ));
    }
    Ok(())
}

/// Writes a whole file atomically: temp file in the same directory, fsync, rename, fsync dir.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut temp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .permissions(fs::Permissions::from_mode(mode))
        .tempfile_in(&dir)
        .map_err(|e| Error::io("create a temporary file in", &dir, e))?;
    temp.write_all(bytes).and_then(|()| temp.as_file().sync_all()).map_err(|e| Error::io("write", temp.path(), e))?;
    temp.persist(path).map_err(|e| Error::io("replace", path, e.error))?;
    sync_dir(&dir)
}

/// The path of the copy of a checklist a run is pinned to.
pub(crate) fn pinned_checklist_path(dir: &Path, sha256: &str) -> PathBuf {
    dir.join(format!("checklist-{}.toml", &sha256[..sha256.len().min(16)]))
}

/// Keeps a copy of the checklist text a run is pinned to, so later changes can be shown step by
/// step and reports render what the operator walked.
pub(crate) fn pin_checklist(dir: &Path, sha256: &str, text: &str) -> Result<()> {
    let path = pinned_checklist_path(dir, sha256);
    refuse_symlink(&path)?;
    if path.exists() {
        return Ok(());
    }
    write_atomic(&path, text.as_bytes(), 0o600)
}
