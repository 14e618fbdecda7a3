//! Reading a file with a bound: every file closeacct reads is untrusted (a checklist someone
//! wrote, a file in the state directory, whatever `TZ` names), so it is checked first — a regular
//! file, not a symbolic link where one is refused, no larger than a cap — and then read with that
//! cap, so `/dev/zero`, a FIFO or a 300 MB file ends in a clear error at once, not in a hang or
//! an exhausted memory.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// Why a file could not be read within its bound.
#[derive(Debug)]
pub(crate) enum Unreadable {
    NotFound,
    Symlink,
    NotARegularFile,
    TooLarge { cap: u64 },
    Io(io::Error),
}

impl Unreadable {
    /// What went wrong, as the end of a sentence naming the file.
    pub(crate) fn reason(&self) -> String {
        match self {
            Unreadable::NotFound => "no such file".to_owned(),
            Unreadable::Symlink => "it is a symbolic link".to_owned(),
            Unreadable::NotARegularFile => "it is not a regular file".to_owned(),
            Unreadable::TooLarge { cap } => format!("it is larger than {}", size(*cap)),
            Unreadable::Io(e) => e.to_string(),
        }
    }
}

/// `4 MiB`, `64 KiB`.
fn size(bytes: u64) -> String {
    if bytes >= 1 << 20 { format!("{} MiB", bytes >> 20) } else { format!("{} KiB", bytes >> 10) }
}

/// Reads all of `path`, which must be a regular file of at most `cap` bytes; a symbolic link is
/// followed only when `follow_symlink`.
pub(crate) fn read(path: &Path, cap: u64, follow_symlink: bool) -> Result<Vec<u8>, Unreadable> {
    let not_found =
        |e: io::Error| if e.kind() == io::ErrorKind::NotFound { Unreadable::NotFound } else { Unreadable::Io(e) };
    if !follow_symlink && std::fs::symlink_metadata(path).map_err(not_found)?.file_type().is_symlink() {
        return Err(Unreadable::Symlink);
    }
    let file = File::open(path).map_err(not_found)?;
    // Checked on the open file, not the path, so it cannot be swapped in between.
    let meta = file.metadata().map_err(Unreadable::Io)?;
    if !meta.is_file() {
        return Err(Unreadable::NotARegularFile);
    }
    if meta.len() > cap {
        return Err(Unreadable::TooLarge { cap });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    // The file may grow after the check: read one byte past the cap to see it.
    file.take(cap + 1).read_to_end(&mut bytes).map_err(Unreadable::Io)?;
    if bytes.len() as u64 > cap {
        return Err(Unreadable::TooLarge { cap });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    #[test]
    fn devices_fifos_links_and_large_files_are_refused_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let started = Instant::now();
        assert!(matches!(read(Path::new("/dev/zero"), 1024, true), Err(Unreadable::NotARegularFile)));
        let big = dir.path().join("big");
        File::create(&big).unwrap().set_len(300 << 20).unwrap();
        assert!(matches!(read(&big, 4 << 20, true), Err(Unreadable::TooLarge { cap }) if cap == 4 << 20));
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&big, &link).unwrap();
        assert!(matches!(read(&link, 4 << 20, false), Err(Unreadable::Symlink)));
        assert!(matches!(read(&dir.path().join("missing"), 1, true), Err(Unreadable::NotFound)));
        assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
        let small = dir.path().join("small");
        std::fs::write(&small, "abc").unwrap();
        assert_eq!(read(&small, 3, false).unwrap(), b"abc");
        assert!(matches!(read(&small, 2, false), Err(Unreadable::TooLarge { .. })));
        assert_eq!(Unreadable::TooLarge { cap: 4 << 20 }.reason(), "it is larger than 4 MiB");
    }
}
