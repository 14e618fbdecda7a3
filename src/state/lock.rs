//! The run's lock: one closeacct process per run at a time.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::dir::refuse_symlink;
use crate::error::{Error, Result};

const LOCK_FILE: &str = "lock";

/// The run's lock: held for as long as this value lives. The kernel drops it when the process
/// dies, so a lock left by a dead process never blocks.
#[derive(Debug)]
pub struct RunLock {
    file: File,
}

impl Drop for RunLock {
    /// Clears the pid before the lock goes, so a process that finds the run locked a moment
    /// later waits for the next holder's pid rather than naming this one.
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
    }
}

impl RunLock {
    /// Takes the lock of a run directory, or says which process holds it.
    pub fn acquire(dir: &Path, provider: &str, account: &str) -> Result<RunLock> {
        let path = dir.join(LOCK_FILE);
        refuse_symlink(&path)?;
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .map_err(|e| Error::io("open lock", &path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                let pid = holder_pid(&path);
                return Err(Error::Locked { provider: provider.to_owned(), account: account.to_owned(), pid });
            }
            Err(fs::TryLockError::Error(e)) => return Err(Error::io("lock", &path, e)),
        }
        file.set_len(0)
            .and_then(|()| write!(file, "{}", std::process::id()))
            .map_err(|e| Error::io("write lock", &path, e))?;
        Ok(RunLock { file })
    }
}

/// The pid written in a lock file by its holder; it may be a moment late, so retry briefly.
fn holder_pid(path: &Path) -> String {
    for _ in 0..20 {
        if let Ok(text) = fs::read_to_string(path)
            && !text.trim().is_empty()
        {
            return text.trim().to_owned();
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    "unknown".to_owned()
}
