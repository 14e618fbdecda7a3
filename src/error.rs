//! One error type for the whole tool, and the exit code each failure maps to.
//!
//! Only `run()` prints errors. Every variant names the thing involved so that the one line the
//! operator sees says what went wrong and, where there is one, what to do next.

use std::io;
use std::path::PathBuf;

/// Shorthand used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every way a closeacct command can fail.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad arguments that clap could not catch (a wrong combination, a malformed value).
    #[error("{message}")]
    Usage { message: String },

    /// `--provider` names no built-in checklist.
    #[error("unknown provider `{provider}` (available: {available})")]
    UnknownProvider { provider: String, available: String },

    /// A step argument matches no step id or number in the checklist.
    #[error("unknown step `{step}` in checklist `{checklist}`{suggestion}")]
    UnknownStep { step: String, checklist: String, suggestion: String },

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

    /// The run is saved but not complete; the message has been shown already.
    #[error("{message}")]
    Incomplete { message: String },

    /// Ctrl-C: everything recorded before it is kept.
    #[error("interrupted; everything recorded before the interruption is kept")]
    Interrupted,

    /// The checklist differs from the one the run started with.
    #[error(
        "the checklist `{checklist}` changed since this run began ({summary}); rerun with --accept-changes to go on with the new one"
    )]
    ChecklistChanged { checklist: String, summary: String },

    /// A checklist file that fails validation.
    #[error("{location}: {reason}")]
    InvalidChecklist { location: String, reason: String },

    /// A state file whose content is damaged; nothing is rewritten.
    #[error("{path}: line {line}: {reason}; nothing was changed")]
    DamagedState { path: PathBuf, line: usize, reason: String },

    /// Input refused before anything was written (a secret in a note, say).
    #[error("{message}")]
    RefusedInput { message: String },

    /// A run was to be started where one already exists.
    #[error("a run for {provider}/{account} already exists")]
    RunExists { provider: String, account: String },

    /// No run exists for this provider and account.
    #[error("no run for {provider}/{account}{hint}")]
    NoSuchRun { provider: String, account: String, hint: String },

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

    /// Another closeacct process holds the run's lock.
    #[error("the run {provider}/{account} is in use by another closeacct (pid {pid})")]
    Locked { provider: String, account: String, pid: String },

    /// Exit with a code after the message has already been shown.
    #[error("exit {code}")]
    Silent { code: u8 },

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
            | Error::NoTerminal => 2,
            Error::Incomplete { .. } => 3,
            Error::Interrupted => 4,
            Error::ChecklistChanged { .. } => 5,
            Error::InvalidChecklist { .. } | Error::DamagedState { .. } | Error::RefusedInput { .. } => 65,
            Error::NoSuchRun { .. } | Error::NoSuchFile { .. } => 66,
            Error::Io { .. } => 74,
            Error::Locked { .. } => 75,
            Error::Silent { code } => *code,
        }
    }

    /// Whether this error is a closed stdout (`closeacct report | head`), which is not a failure.
    pub fn is_broken_pipe(&self) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_its_contract_exit_code() {
        let io_err = || io::Error::other("boom");
        let cases: Vec<(Error, u8)> = vec![
            (Error::Internal { message: String::new() }, 1),
            (Error::usage("x"), 2),
            (Error::UnknownProvider { provider: "x".into(), available: "aws".into() }, 2),
            (Error::UnknownStep { step: "x".into(), checklist: "aws".into(), suggestion: String::new() }, 2),
            (Error::UnknownFact { fact: "x".into(), checklist: "aws".into(), available: String::new() }, 2),
            (Error::InvalidFactValue { fact: "f".into(), value: "v".into(), accepted: "yes, no".into() }, 2),
            (Error::InvalidAccount { account: "..".into() }, 2),
            (Error::refused("x"), 2),
            (Error::NoTerminal, 2),
            (Error::RunExists { provider: "aws".into(), account: "a".into() }, 2),
            (Error::Incomplete { message: String::new() }, 3),
            (Error::Interrupted, 4),
            (Error::ChecklistChanged { checklist: "aws".into(), summary: String::new() }, 5),
            (Error::InvalidChecklist { location: "f:1:1".into(), reason: "r".into() }, 65),
            (Error::DamagedState { path: "p".into(), line: 1, reason: "r".into() }, 65),
            (Error::RefusedInput { message: "secret".into() }, 65),
            (Error::NoSuchRun { provider: "aws".into(), account: "a".into(), hint: String::new() }, 66),
            (Error::NoSuchFile { path: "p".into() }, 66),
            (Error::io("read", "p", io_err()), 74),
            (Error::Locked { provider: "aws".into(), account: "a".into(), pid: "1".into() }, 75),
            (Error::Silent { code: 3 }, 3),
        ];
        for (error, code) in cases {
            assert_eq!(error.exit_code(), code, "{error:?}");
        }
    }

    #[test]
    fn broken_pipe_is_recognised() {
        let e = Error::io("write", "stdout", io::Error::from(io::ErrorKind::BrokenPipe));
        assert!(e.is_broken_pipe());
        assert!(!Error::io("write", "stdout", io::Error::other("x")).is_broken_pipe());
    }
}
