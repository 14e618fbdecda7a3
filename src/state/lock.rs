//! The run's lock: one closeacct process per run at a time.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
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
        // A holder writes its pid just after it takes the lock and clears it just before it lets
        // go; a busy machine can stretch either moment. So while the lock is held but no pid is
        // there yet, try again for up to a second: either the pid appears (and is named) or the
        // holder finishes and the lock is ours.
        let mut tries = 0;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(fs::TryLockError::WouldBlock) => {
                    tries += 1;
                    if let Some(pid) = holder_pid(&path) {
                        return Err(Error::Locked { provider: provider.to_owned(), account: account.to_owned(), pid });
                    }
                    if tries >= 100 {
                        let pid = "unknown".to_owned();
                        return Err(Error::Locked { provider: provider.to_owned(), account: account.to_owned(), pid });
                    }
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                Err(fs::TryLockError::Error(e)) => return Err(Error::io("lock", &path, e)),
            }
        }
        file.set_len(0)
            .and_then(|()| write!(file, "{}", std::process::id()))
            .map_err(|e| Error::io("write lock", &path, e))?;
        Ok(RunLock { file })
    }
}

/// The pid written in a lock file by its holder, if there is one yet. The file is untrusted: at
/// most a few bytes are read, and only digits are taken.
fn holder_pid(path: &Path) -> Option<String> {
    let mut bytes = Vec::new();
    fs::File::open(path).ok()?.take(32).read_to_end(&mut bytes).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    let pid = text.trim();
    (!pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit())).then(|| pid.to_owned())
}
