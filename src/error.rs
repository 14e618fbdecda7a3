//! One error type for the whole tool, and the exit code each failure maps to.
//!
//! Only `run()` prints errors. Every variant names the thing involved so that the one line the
//! operator sees says what went wrong and, where there is one, what to do next.

use std::io;
use std::path::PathBuf;

/// Every exit code closeacct uses and what it means: the one table that `Error::exit_code`
/// keeps to, that `closeacct man` prints under EXIT STATUS, and that a test holds the README's
/// "## Exit codes" table to.
pub(crate) const EXIT_CODES: &[(u8, &str)] = &[
    (0, "success; for `wizard`, the checklist is complete"),
    (1, "unexpected internal error"),
    (
        2,
        "usage error: bad arguments, unknown provider or step, a step out of order or not applicable, wizard without a terminal",
    ),
    (3, "the run is saved but not complete (save and quit; `status --check`); a check found work left"),
    (4, "interrupted (Ctrl-C); everything confirmed before it is kept"),
    (5, "the checklist changed since the run began (rerun with `--accept-changes`)"),
    (
        65,
        "invalid or duplicated checklist, damaged state file or pinned copy, a head the log no longer holds (`verify --head`), or refused input (e.g. a secret in a note)",
    ),
    (66, "no such run or file"),
    (69, "a program a check needs is not installed, or cannot be run (`EX_UNAVAILABLE`)"),
    (73, "refused to create an output file (inside the state dir, a symlink, not a regular file, no such directory)"),
    (74, "I/O error reading or writing state"),
    (75, "the run is locked by another closeacct process (the message names its pid)"),
];

/// Shorthand used across the crate.
pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

/// Every way a closeacct command can fail.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad arguments that clap could not catch (a wrong combination, a malformed value).
    #[error("{message}")]
    Usage { message: String },

    /// `--provider` names no checklist.
    #[error("unknown provider `{provider}` (available: {})", available.join(", "))]
    UnknownProvider { provider: String, available: Vec<String> },

    /// A step argument matches no step id or number in the checklist.
    #[error("unknown step `{step}` in checklist `{checklist}`")]
    UnknownStep { step: String, checklist: String, close_matches: Vec<String> },

    /// A fact name matches no fact in the checklist.
    #[error("unknown fact `{fact}` in checklist `{checklist}` (facts: {available})")]
    UnknownFact { fact: String, checklist: String, available: String },

    /// An answer that the fact does not accept.
    #[error("`{value}` is not an answer to fact `{fact}` (accepted: {accepted})")]
    InvalidFactValue { fact: String, value: String, accepted: String },

    /// The account argument is not an account id or alias.
    #[error(
        "`{account}` is not an account ID or alias (1-64 characters: letters, digits, `.`, `_`, `@`, `-`, starting with a letter or digit)"
    )]
    InvalidAccount { account: String },

    /// The action is not allowed in the run's current state (out of order, not applicable...).
    #[error("{message}")]
    Refused { message: String },

    /// The wizard needs a terminal and does not have one.
    #[error(
        "the wizard needs a terminal on stdin and stderr; for scripts use `closeacct start`, `answer`, `confirm` and `skip`"
    )]
    NoTerminal,

    /// The run is saved but not complete (save and quit, `status --check`); what is left has
    /// been shown already.
    #[error("the run is saved but not complete")]
    Incomplete,

    /// Ctrl-C: everything recorded before it is kept.
    #[error("interrupted; everything recorded before the interruption is kept")]
    Interrupted,

    /// The checklist differs from the one the run started with.
    #[error("the checklist `{checklist}` changed since this run began ({summary})")]
    ChecklistChanged { checklist: String, summary: String },

    /// A checklist file that fails validation.
    #[error("{location}: {reason}")]
    InvalidChecklist { location: String, reason: String },

    /// Two checklists with one id: a user file reusing a built-in id, or two user files.
    #[error("checklist id `{id}` is defined twice: in {first} and in {second}")]
    DuplicateChecklist { id: String, first: String, second: String },

    /// A state file whose content is damaged; nothing is rewritten.
    #[error("{path}: line {line}: {reason}; nothing was changed")]
    DamagedState { path: PathBuf, line: usize, reason: String },

    /// A file in a run's directory that is not what the log says it is (an edited checklist
    /// copy, a directory renamed to another account); nothing is rewritten.
    #[error("{}: {reason}; nothing was changed", path.display())]
    DamagedFile { path: PathBuf, reason: String },

    /// Input refused before anything was written (a secret in a note, say).
    #[error("{message}")]
    RefusedInput { message: String },

    /// A run was to be started where one already exists.
    #[error("a run for {provider}/{account} already exists")]
    RunExists { provider: String, account: String },

    /// No run exists for this provider and account (`None`: any).
    #[error(
        "no run for {}/{} in {}",
        provider.as_deref().unwrap_or("any provider"),
        account.as_deref().unwrap_or("any account"),
        state_dir.display()
    )]
    NoSuchRun { provider: Option<String>, account: Option<String>, state_dir: PathBuf },

    /// An entry of the state directory that is not a run (a file, a directory without a log).
    #[error("`{}` is not a run: {reason}", path.display())]
    NotARun { path: PathBuf, reason: String },

    /// A run directory whose log names another run: a copy (`1111.bak`) or a moved directory.
    #[error("`{}` holds the log of {recorded}, not of {named} (a copy, or a moved run); nothing was changed", path.display())]
    MisplacedRun { path: PathBuf, recorded: String, named: String },

    /// A run pinned to a checklist that is neither built in nor given, whose pinned copy is gone.
    #[error(
        "the run in `{}` is pinned to checklist sha256 {sha256}, which is neither built in nor kept in the run's directory (`{}` is missing)",
        dir.display(),
        file.display()
    )]
    UnknownChecklist { dir: PathBuf, file: PathBuf, sha256: String },

    /// Some entries of an overview could not be read as runs; each was shown in its row, and the
    /// exit code is the worst of theirs.
    #[error("{problems} of the {entries} entries listed could not be read as runs (marked above); the worst: {worst}")]
    RunsWithProblems { problems: usize, entries: usize, worst: Box<Error> },

    /// A file the command needs does not exist.
    #[error("no such file `{}`", path.display())]
    NoSuchFile { path: PathBuf },

    /// Reading or writing state failed.
    #[error("failed to {action} `{}`: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// Every step is resolved and recorded, but recording that the run is complete failed.
    #[error("the run is complete, but recording that in `{}` failed: {source}", path.display())]
    CompletionNotRecorded {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// An output file closeacct refuses to write: it would overwrite the state, follow a link,
    /// or replace something that is not a regular file.
    #[error("refusing to write `{}`: {reason}; nothing was changed", path.display())]
    CantCreate { path: PathBuf, reason: String },

    /// A key file that cannot sign.
    #[error("cannot sign with `{}`: {reason}", path.display())]
    BadKey { path: PathBuf, reason: String },

    /// The log no longer holds the head a report quoted (`verify --head`).
    #[error("{}: {reason}", path.display())]
    HeadMismatch { path: PathBuf, reason: String },

    /// Another closeacct process holds the run's lock.
    #[error("the run {provider}/{account} is in use by another closeacct (pid {pid})")]
    Locked { provider: String, account: String, pid: String },

    /// A check ran and found work left (or could not tell): what is left has been shown.
    #[error("{message}")]
    CheckFailed { message: String },

    /// A program a check needs cannot be run (not installed, not on `PATH`): `EX_UNAVAILABLE`.
    #[error("{message}")]
    Unavailable { program: String, message: String },

    /// A bug: something that should not happen did.
    #[error("internal error: {message}")]
    Internal { message: String },
}

impl Error {
    /// The exit code from the CONTRACT table.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Internal { .. } => 1,
            Error::Usage { .. }
            | Error::UnknownProvider { .. }
            | Error::UnknownStep { .. }
            | Error::UnknownFact { .. }
            | Error::InvalidFactValue { .. }
            | Error::InvalidAccount { .. }
            | Error::Refused { .. }
            | Error::RunExists { .. }
            | Error::BadKey { .. }
            | Error::NoTerminal => 2,
            Error::Incomplete | Error::CheckFailed { .. } => 3,
            Error::Interrupted => 4,
            Error::ChecklistChanged { .. } => 5,
            Error::InvalidChecklist { .. }
            | Error::DuplicateChecklist { .. }
            | Error::DamagedState { .. }
            | Error::DamagedFile { .. }
            | Error::HeadMismatch { .. }
            | Error::RefusedInput { .. }
            | Error::MisplacedRun { .. } => 65,
            Error::NoSuchRun { .. }
            | Error::NoSuchFile { .. }
            | Error::NotARun { .. }
            | Error::UnknownChecklist { .. } => 66,
            Error::CantCreate { .. } => 73,
            Error::Io { .. } | Error::CompletionNotRecorded { .. } => 74,
            Error::Locked { .. } => 75,
            Error::Unavailable { .. } => 69,
            Error::RunsWithProblems { worst, .. } => worst.exit_code(),
        }
    }

    /// What to do about it, printed on a line of its own after the error, if there is a next
    /// step to suggest.
    pub(crate) fn hint(&self) -> Option<String> {
        match self {
            Error::UnknownProvider { provider, available } => Some(match closest(provider, available).as_slice() {
                [] => "`closeacct providers` lists them".to_owned(),
                close => format!("did you mean {}? `closeacct providers` lists them", or_list(close)),
            }),
            Error::UnknownStep { checklist, close_matches, .. } => Some(match close_matches.as_slice() {
                [] => format!("`closeacct checklist show {checklist}` lists the steps"),
                close => {
                    format!("did you mean {}? `closeacct checklist show {checklist}` lists the steps", or_list(close))
                }
            }),
            Error::DuplicateChecklist { .. } => Some(
                "give one of them another id; `closeacct providers` shows where each checklist comes from".to_owned(),
            ),
            Error::ChecklistChanged { .. } => Some("rerun with --accept-changes to go on with the new one".to_owned()),
            Error::CompletionNotRecorded { .. } => Some(
                "everything else is recorded; the next closeacct command that records anything records the completion"
                    .to_owned(),
            ),
            Error::UnknownChecklist { .. } => {
                Some("give the checklist the run was started with: --checklist FILE".to_owned())
            }
            Error::NoSuchRun { provider: Some(provider), account: Some(account), .. } => {
                Some(format!("start it with `closeacct wizard --provider {provider} --account {account}`"))
            }
            Error::NoSuchRun { provider: Some(provider), account: None, .. } => {
                Some(format!("start one with `closeacct wizard --provider {provider}` or `closeacct start`"))
            }
            Error::NoSuchRun { provider: None, .. } => {
                Some("start one with `closeacct wizard --provider ID`".to_owned())
            }
            Error::Unavailable { program, .. } => Some(format!(
                "install `{program}` or put it on PATH; a check runs it with your environment as it is (try `{program} --version`)"
            )),
            _ => None,
        }
    }

    /// Whether the operator has been told already (the wizard's summary, the interruption's
    /// message), so `run` prints nothing more.
    pub(crate) fn is_reported(&self) -> bool {
        matches!(self, Error::Incomplete | Error::Interrupted)
    }

    /// Whether this error is a closed stdout (`closeacct report | head`), which is not a failure.
    pub(crate) fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Io { source, .. } if source.kind() == io::ErrorKind::BrokenPipe)
    }

    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Error::Usage { message: message.into() }
    }

    pub(crate) fn refused(message: impl Into<String>) -> Self {
        Error::Refused { message: message.into() }
    }

    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io { action, path: path.into(), source }
    }
}

/// Up to three of `candidates` closest to `given`, closest first: "did you mean" suggestions.
/// Closeness is the edit distance to the whole candidate or to its start (`gpc` is close to
/// `gcp-project`), and a candidate containing what was typed is close. A candidate that shares
/// nothing with what was typed (as far from it as its length) is no suggestion.
pub(crate) fn closest<'a>(given: &str, candidates: &'a [String]) -> Vec<&'a str> {
    // Ids are lower case: `AWS` means `aws`.
    let given = &given.to_lowercase();
    let typed = given.chars().count();
    let distance = |c: &str| {
        let whole = strsim::levenshtein(given, c);
        let whole = (whole <= 3.max(c.len() / 3) && whole < typed).then_some(whole);
        let start: String = c.chars().take(typed).collect();
        let start = strsim::osa_distance(given, &start);
        let start = (start <= 1.max(typed / 3) && start < typed).then_some(start);
        let contains = c.contains(given).then_some(1);
        whole.into_iter().chain(start).chain(contains).min().filter(|&d| d < typed)
    };
    let mut close: Vec<(usize, &str)> =
        candidates.iter().filter_map(|c| distance(c).map(|d| (d, c.as_str()))).collect();
    close.sort_unstable();
    close.into_iter().take(3).map(|(_, c)| c).collect()
}

/// "`a`", "`a` or `b`".
fn or_list(items: &[impl AsRef<str>]) -> String {
    items.iter().map(|i| format!("`{}`", i.as_ref())).collect::<Vec<_>>().join(" or ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_its_contract_exit_code() {
        let io_err = || io::Error::other("boom");
        let cases: Vec<(Error, u8)> = vec![
            (Error::Internal { message: String::new() }, 1),
            (Error::usage("x"), 2),
            (Error::UnknownProvider { provider: "x".into(), available: vec!["aws".into()] }, 2),
            (Error::UnknownStep { step: "x".into(), checklist: "aws".into(), close_matches: Vec::new() }, 2),
            (Error::UnknownFact { fact: "x".into(), checklist: "aws".into(), available: String::new() }, 2),
            (Error::InvalidFactValue { fact: "f".into(), value: "v".into(), accepted: "yes, no".into() }, 2),
            (Error::InvalidAccount { account: "..".into() }, 2),
            (Error::refused("x"), 2),
            (Error::NoTerminal, 2),
            (Error::RunExists { provider: "aws".into(), account: "a".into() }, 2),
            (Error::Incomplete, 3),
            (Error::Interrupted, 4),
            (Error::ChecklistChanged { checklist: "aws".into(), summary: String::new() }, 5),
            (Error::InvalidChecklist { location: "f:1:1".into(), reason: "r".into() }, 65),
            (Error::DamagedState { path: "p".into(), line: 1, reason: "r".into() }, 65),
            (Error::RefusedInput { message: "secret".into() }, 65),
            (Error::DamagedFile { path: "p".into(), reason: "r".into() }, 65),
            (Error::DuplicateChecklist { id: "a".into(), first: "x".into(), second: "y".into() }, 65),
            (Error::NoSuchRun { provider: Some("aws".into()), account: None, state_dir: "s".into() }, 66),
            (Error::NoSuchFile { path: "p".into() }, 66),
            (Error::CantCreate { path: "p".into(), reason: "r".into() }, 73),
            (Error::BadKey { path: "k".into(), reason: "r".into() }, 2),
            (Error::HeadMismatch { path: "p".into(), reason: "r".into() }, 65),
            (Error::NotARun { path: "p".into(), reason: "r".into() }, 66),
            (Error::UnknownChecklist { dir: "d".into(), file: "f".into(), sha256: "ab".into() }, 66),
            (Error::MisplacedRun { path: "p".into(), recorded: "aws/1".into(), named: "aws/1.bak".into() }, 65),
            (
                Error::RunsWithProblems { problems: 1, entries: 2, worst: Box::new(Error::io("read", "p", io_err())) },
                74,
            ),
            (Error::io("read", "p", io_err()), 74),
            (Error::CompletionNotRecorded { path: "p".into(), source: io_err() }, 74),
            (Error::Locked { provider: "aws".into(), account: "a".into(), pid: "1".into() }, 75),
            (Error::CheckFailed { message: "left".into() }, 3),
            (Error::Unavailable { program: "aws".into(), message: "cannot run `aws`".into() }, 69),
        ];
        for (error, code) in cases {
            assert_eq!(error.exit_code(), code, "{error:?}");
            assert!(EXIT_CODES.iter().any(|(c, _)| *c == code), "exit code {code} is missing from EXIT_CODES");
        }
    }

    #[test]
    fn the_readme_lists_exactly_the_exit_codes_table() {
        let readme = include_str!("../README.md");
        let section = &readme[readme.find("\n## Exit codes\n").expect("README has ## Exit codes")..];
        let rows: Vec<(u8, &str)> = section
            .lines()
            .skip_while(|line| !line.starts_with("| code |"))
            .skip(2)
            .take_while(|line| line.starts_with('|'))
            .map(|line| {
                let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
                (cells[0].parse().expect("a code"), cells[1])
            })
            .collect();
        assert_eq!(rows, EXIT_CODES, "README's ## Exit codes table and error::EXIT_CODES differ");
    }

    #[test]
    fn broken_pipe_is_recognised() {
        let e = Error::io("write", "stdout", io::Error::from(io::ErrorKind::BrokenPipe));
        assert!(e.is_broken_pipe());
        assert!(!Error::io("write", "stdout", io::Error::other("x")).is_broken_pipe());
    }
}
