//! The list `start --accounts-from` reads: one account a line, blank lines and `#` comments
//! ignored. Every line is checked before anything is started, and a bad line is named by its
//! number.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};
use crate::session::validate_account;

/// Lists larger than this are refused before they are read whole: 10,000 accounts take 650 KiB.
pub(crate) const MAX_LIST_BYTES: u64 = 16 * 1024 * 1024;

/// The accounts of a list, in order, each with its line number.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct AccountList {
    pub(crate) accounts: Vec<(usize, String)>,
}

impl AccountList {
    /// Reads the list in `path` (`-`: standard input), bounded by [`MAX_LIST_BYTES`].
    pub(crate) fn read_text(path: &Path) -> Result<String> {
        let name = path.display().to_string();
        let mut bytes = Vec::new();
        let read = if name == "-" {
            std::io::stdin().lock().take(MAX_LIST_BYTES + 1).read_to_end(&mut bytes)
        } else {
            let file = std::fs::File::open(path).map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => Error::NoSuchFile { path: path.to_owned() },
                _ => Error::io("read", path, e),
            })?;
            file.take(MAX_LIST_BYTES + 1).read_to_end(&mut bytes)
        };
        read.map_err(|e| Error::io("read", path, e))?;
        if bytes.len() as u64 > MAX_LIST_BYTES {
            return Err(Error::usage(format!("`{name}` is longer than {MAX_LIST_BYTES} bytes; split the list")));
        }
        String::from_utf8(bytes).map_err(|e| {
            let line = 1 + memchr::memchr_iter(b'\n', &e.as_bytes()[..e.utf8_error().valid_up_to()]).count();
            Error::usage(format!("`{name}`: line {line} is not valid UTF-8; nothing was started"))
        })
    }

    /// Parses a list: one account a line; everything from `#` on, and blank lines, are ignored.
    /// Every bad line is returned (`line N: why`) when any is bad, so all can be fixed at once.
    pub(crate) fn parse(text: &str) -> std::result::Result<AccountList, Vec<String>> {
        let mut accounts = Vec::new();
        let mut bad = Vec::new();
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, line) in text.lines().enumerate() {
            let number = i + 1;
            let account = line.split('#').next().unwrap_or_default().trim();
            if account.is_empty() {
                continue;
            }
            if let Err(e) = validate_account(account) {
                bad.push(format!("line {number}: {e}"));
            } else if let Some(first) = seen.insert(account, number) {
                seen.insert(account, first);
                bad.push(format!("line {number}: `{account}` is listed twice (first on line {first})"));
            } else {
                accounts.push((number, account.to_owned()));
            }
        }
        if bad.is_empty() { Ok(AccountList { accounts }) } else { Err(bad) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_blank_lines_are_skipped_and_bad_lines_are_named() {
        let list = AccountList::parse("# programme Q4\n111122223333\n\n  prod.main  # the old one\n").unwrap();
        assert_eq!(list.accounts, [(2, "111122223333".to_owned()), (4, "prod.main".to_owned())]);
        let bad = AccountList::parse("a\nb c\na\n../x\n").unwrap_err();
        assert_eq!(bad.len(), 3, "{bad:?}");
        assert!(bad[0].starts_with("line 2: `b c` is not an account ID"), "{bad:?}");
        assert_eq!(bad[1], "line 3: `a` is listed twice (first on line 1)");
        assert!(bad[2].starts_with("line 4: `../x`"), "{bad:?}");
    }
}
