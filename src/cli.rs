//! The command line, as typed: clap types only, importing nothing else of the crate. Resolving
//! them (state dir, checklist, operator, account) happens once, in `Session`, before anything is
//! prompted or written.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Walks you safely through closing a cloud account: asks, records and proves every step.
///
/// Each confirmation is written durably before the next step is shown, an interrupted run resumes
/// where it stopped, and `report` prints a checklist you can attach to an audit.
#[derive(Debug, Parser)]
#[command(name = "closeacct", version, propagate_version = true, max_term_width = 100)]
#[command(after_help = "Start with `closeacct providers`, then `closeacct wizard --provider aws`.\n\
    `closeacct man --help` says how to install the manual pages.")]
pub(crate) struct Cli {
    /// Say only what must be said: errors, warnings and the requested data
    #[arg(long, short = 'q', global = true)]
    pub(crate) quiet: bool,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// List the available checklists: id, name, stages, steps, version
    Providers(ProvidersArgs),
    /// Show or validate a checklist
    #[command(subcommand)]
    Checklist(ChecklistCommand),
    /// Walk through a closure interactively; starts a run or resumes it
    Wizard(WizardArgs),
    /// Start a run without prompts (for scripts and runbooks)
    Start(StartArgs),
    /// Record the answer to a fact (yes/no, or a choice's id)
    Answer(AnswerArgs),
    /// Mark a step done, with an optional note, evidence or attestation
    Confirm(ConfirmArgs),
    /// Mark a step skipped, with the reason
    Skip(SkipArgs),
    /// Mark a wait step as waiting on someone else (`confirm` closes it)
    Wait(WaitArgs),
    /// Show the progress of one run or of all runs
    Status(StatusArgs),
    /// Print the completed checklist: who confirmed what, when, and the dates to watch
    #[command(mut_arg("provider", |a| a.required_unless_present_any(["checklist", "all"])))]
    Report(ReportArgs),
    /// Check the integrity of a run's state file (sequence numbers and hash chain)
    Verify(VerifyArgs),
    /// Run a step's read-only checks and record what they find (shows the commands; runs them with --yes)
    Check(CheckArgs),
    /// List runs: progress, what they wait on, the next key date, the last activity and who
    Runs(RunsArgs),
    /// Move a complete run to the archive (kept, readable and reportable; never deleted)
    Archive(ArchiveArgs),
    /// Move a run to the state directory's trash, after you type its account (nothing is deleted)
    Remove(RemoveArgs),
    /// Print the script that registers shell completion (of ids, accounts and steps too)
    Completions(CompletionsArgs),
    /// Print the man page (roff), or write one page per command
    Man(ManArgs),
}

/// `checklist` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum ChecklistCommand {
    /// Print a checklist
    Show(ChecklistShowArgs),
    /// Check a checklist file; errors name `file:line:col`
    Validate(ChecklistValidateArgs),
}

/// Output formats for `providers` and `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum DataFormat {
    Text,
    Json,
}

/// How a report is laid out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReportFormat {
    /// Plain text for an 80-column terminal
    #[default]
    Text,
    /// Markdown that pastes cleanly into a ticket
    Markdown,
    /// JSON with a versioned schema (`schema_version`)
    Json,
}

/// Output formats for `checklist show`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ChecklistFormat {
    Text,
    Toml,
    Json,
}

/// Where runs are stored.
#[derive(Debug, Clone, Args)]
pub(crate) struct StateArgs {
    /// Directory holding the runs [env: `CLOSEACCT_STATE_DIR`] [default: `$XDG_STATE_HOME/closeacct`]
    #[arg(long, value_name = "DIR", global = true)]
    pub(crate) state_dir: Option<PathBuf>,
}

/// Which checklist to use.
#[derive(Debug, Clone, Args)]
pub(crate) struct ChecklistArgs {
    /// Use this checklist file instead of the built-in one
    #[arg(long, value_name = "FILE")]
    pub(crate) checklist: Option<PathBuf>,
}

/// Which run a command acts on.
#[derive(Debug, Clone, Args)]
pub(crate) struct RunArgs {
    /// The provider's checklist id (see `closeacct providers`)
    #[arg(long, short = 'p', value_name = "ID", required_unless_present = "checklist")]
    pub(crate) provider: Option<String>,
    /// The account ID or alias; may be left out when the provider has exactly one run
    #[arg(long, short = 'a', value_name = "ACCOUNT")]
    pub(crate) account: Option<String>,
    #[command(flatten)]
    pub(crate) checklist: ChecklistArgs,
    #[command(flatten)]
    pub(crate) state: StateArgs,
}

/// Who acts, for commands that record.
#[derive(Debug, Clone, Args)]
pub(crate) struct OperatorArgs {
    /// Who is acting, as recorded in the log [default: $USER]
    #[arg(long, value_name = "NAME")]
    pub(crate) operator: Option<String>,
    /// Go on with a checklist that changed since the run began, recording that it was accepted
    #[arg(long)]
    pub(crate) accept_changes: bool,
}

/// `--operator` on a command that records nothing: accepted, so that one alias works for every
/// command, and ignored.
#[derive(Debug, Clone, Args)]
pub(crate) struct ReadOnlyOperator {
    /// Who is acting; accepted for uniformity, not used (this command records nothing)
    #[arg(long, value_name = "NAME")]
    pub(crate) operator: Option<String>,
}

/// `closeacct man`
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    closeacct man --dir ~/.local/share/man/man1   # then `man closeacct-status`")]
pub(crate) struct ManArgs {
    #[command(flatten)]
    pub(crate) operator: ReadOnlyOperator,
    /// Write closeacct.1 and a page per command (closeacct-status.1, closeacct-checklist-show.1)
    /// into DIR, creating it, instead of printing the main page
    #[arg(long, value_name = "DIR")]
    pub(crate) dir: Option<PathBuf>,
}

/// `closeacct providers`
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    closeacct providers --format json")]
pub(crate) struct ProvidersArgs {
    #[command(flatten)]
    pub(crate) operator: ReadOnlyOperator,
    /// Output format
    #[arg(long, value_enum, default_value_t = DataFormat::Text)]
    pub(crate) format: DataFormat,
}

/// `closeacct checklist show`
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    closeacct checklist show aws --format toml > ours.toml   # to adapt it: edit, then validate")]
pub(crate) struct ChecklistShowArgs {
    #[command(flatten)]
    pub(crate) operator: ReadOnlyOperator,
    /// The provider's checklist id
    #[arg(value_name = "PROVIDER", required_unless_present = "checklist")]
    pub(crate) provider: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = ChecklistFormat::Text)]
    pub(crate) format: ChecklistFormat,
    #[command(flatten)]
    pub(crate) checklist: ChecklistArgs,
}

/// `closeacct checklist validate`
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    closeacct checklist validate ours.toml")]
pub(crate) struct ChecklistValidateArgs {
    #[command(flatten)]
    pub(crate) operator: ReadOnlyOperator,
    /// The checklist file to check
    #[arg(value_name = "FILE")]
    pub(crate) file: PathBuf,
}

/// `closeacct wizard`
#[derive(Debug, Args)]
pub(crate) struct WizardArgs {
    #[command(flatten)]
    pub(crate) run: RunArgs,
    #[command(flatten)]
    pub(crate) operator: OperatorArgs,
    /// Archive the existing run and start a new one (asks first)
    #[arg(long)]
    pub(crate) restart: bool,
}

/// `closeacct start`
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    closeacct start -p aws -a 111122223333 --fact org_management=no --fact org_member=no")]
pub(crate) struct StartArgs {
    #[command(flatten)]
    pub(crate) run: RunArgs,
    #[command(flatten)]
    pub(crate) operator: OperatorArgs,
    /// Answer a fact up front: KEY=VALUE (repeatable)
    #[arg(long = "fact", value_name = "KEY=VALUE")]
    pub(crate) facts: Vec<String>,
    /// Reopen the run if it is complete and a --fact changes an answer
    #[arg(long)]
    pub(crate) reopen: bool,
    /// Start one run per account listed in FILE (one a line; blank lines and `#` comments
    /// ignored; `-` reads standard input); every line is checked before anything starts
    #[arg(long, value_name = "FILE", conflicts_with = "account")]
    pub(crate) accounts_from: Option<PathBuf>,
    /// Output format: with --accounts-from, `json` lists each account as started or existing
    #[arg(long, value_enum, default_value_t = DataFormat::Text)]
    pub(crate) format: DataFormat,
}

/// `closeacct answer`
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    closeacct answer -p aws -a 111122223333 ri_or_savings_plans no")]
pub(crate) struct AnswerArgs {
    #[command(flatten)]
    pub(crate) run: RunArgs,
    #[command(flatten)]
    pub(crate) operator: OperatorArgs,
    /// The fact's id
    pub(crate) fact: String,
    /// yes/no (or true/false), or the id of a choice
    pub(crate) value: String,
    /// Reopen a complete run to change an answer (the report says it was reopened)
    #[arg(long)]
    pub(crate) reopen: bool,
}

/// `closeacct confirm`
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    closeacct confirm -p aws -a 111122223333 1.1\n  \
    closeacct confirm -p aws -a 111122223333 back-up-data --evidence \"s3://archive/2026-11\"")]
pub(crate) struct ConfirmArgs {
    #[command(flatten)]
    pub(crate) run: RunArgs,
    #[command(flatten)]
    pub(crate) operator: OperatorArgs,
    /// The step's id or number, as `checklist show` lists them (e.g. `back-up-data` or `3.1`)
    pub(crate) step: String,
    /// A note to keep with the step
    // Texts may start with `-` (a pasted key block); without this clap would refuse them and
    // echo the whole value in its error, before the secret screen could run.
    #[arg(long, allow_hyphen_values = true)]
    pub(crate) note: Option<String>,
    /// Evidence (ticket number, confirmation e-mail date); required for evidence steps
    #[arg(long, allow_hyphen_values = true)]
    pub(crate) evidence: Option<String>,
    /// The account, typed again; required for irreversible (attest) steps
    #[arg(long, value_name = "ACCOUNT")]
    pub(crate) attest: Option<String>,
    /// When it happened, if not now: 2026-11-20T16:10+01:00, "2026-11-20 16:10" or
    /// "yesterday 16:10" (in the run's time zone); key dates count from it
    #[arg(long, value_name = "WHEN")]
    pub(crate) at: Option<String>,
    /// Confirm with the step's checks as evidence: the latest run of each must have passed
    #[arg(long)]
    pub(crate) with_check: bool,
}

/// `closeacct skip`
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    closeacct skip -p aws -a 111122223333 2.1 --reason \"inventory done in CS-4410\"")]
pub(crate) struct SkipArgs {
    #[command(flatten)]
    pub(crate) run: RunArgs,
    #[command(flatten)]
    pub(crate) operator: OperatorArgs,
    /// The step's id or number
    pub(crate) step: String,
    /// Why the step is skipped (kept in the report)
    #[arg(long, allow_hyphen_values = true)]
    pub(crate) reason: String,
    /// When it happened, if not now: 2026-11-20T16:10+01:00, "2026-11-20 16:10" or
    /// "yesterday 16:10" (in the run's time zone); key dates count from it
    #[arg(long, value_name = "WHEN")]
    pub(crate) at: Option<String>,
}

/// `closeacct wait`
#[derive(Debug, Args)]
pub(crate) struct WaitArgs {
    #[command(flatten)]
    pub(crate) run: RunArgs,
    #[command(flatten)]
    pub(crate) operator: OperatorArgs,
    /// The wait step's id or number
    pub(crate) step: String,
    /// Who it waits on (a partner, the provider, a team)
    #[arg(long, value_name = "WHO", allow_hyphen_values = true)]
    pub(crate) on: String,
    /// A note to keep with it (what was asked, a ticket)
    #[arg(long, allow_hyphen_values = true)]
    pub(crate) note: Option<String>,
    /// When the wait began, if not now: 2026-11-20T16:10+01:00, "2026-11-20 16:10" or
    /// "yesterday 16:10" (in the run's time zone); key dates count from it
    #[arg(long, value_name = "WHEN")]
    pub(crate) at: Option<String>,
}

/// `closeacct status`
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    closeacct status\n  \
    closeacct status -p aws -a 111122223333 --check   # exit 3 while steps are open")]
pub(crate) struct StatusArgs {
    #[command(flatten)]
    pub(crate) operator: ReadOnlyOperator,
    /// Only runs of this provider
    #[arg(long, short = 'p', value_name = "ID")]
    pub(crate) provider: Option<String>,
    /// Detail of one run
    #[arg(long, short = 'a', value_name = "ACCOUNT")]
    pub(crate) account: Option<String>,
    #[command(flatten)]
    pub(crate) checklist: ChecklistArgs,
    #[command(flatten)]
    pub(crate) state: StateArgs,
    /// Output format
    #[arg(long, value_enum, default_value_t = DataFormat::Text)]
    pub(crate) format: DataFormat,
    /// Exit 0 when the run (or every run) is complete, 3 when not
    #[arg(long)]
    pub(crate) check: bool,
}

/// `closeacct report`
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    closeacct report -p aws -a 111122223333 --format markdown --output closure.md")]
pub(crate) struct ReportArgs {
    #[command(flatten)]
    pub(crate) operator: ReadOnlyOperator,
    #[command(flatten)]
    pub(crate) run: RunArgs,
    /// Output format
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub(crate) format: ReportFormat,
    /// Write the report to FILE (atomically) instead of stdout; never a file in the state
    /// directory, a symbolic link, or anything but a regular file
    #[arg(long, short = 'o', value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Also write FILE.sig, an SSH signature of the report by the private key KEY (namespace
    /// `closeacct`; `ssh-keygen -Y verify` checks it)
    #[arg(long, value_name = "KEY", requires = "output")]
    pub(crate) sign: Option<PathBuf>,
    /// Report the archived run: the latest archive of the account, or the one of STAMP
    #[arg(long, value_name = "STAMP", num_args = 0..=1, default_missing_value = "latest")]
    pub(crate) archived: Option<String>,
    /// One row per run (active and archived), with totals: a report for a programme
    #[arg(long, conflicts_with_all = ["account", "archived"])]
    pub(crate) all: bool,
}

/// `closeacct verify`
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    closeacct verify -p aws -a 111122223333")]
pub(crate) struct VerifyArgs {
    #[command(flatten)]
    pub(crate) operator: ReadOnlyOperator,
    #[command(flatten)]
    pub(crate) run: RunArgs,
    /// Also prove the log still holds this head (as `verify` and every report print it): the
    /// event with sequence number SEQ, whose line has the sha256 HASH
    #[arg(long, value_name = "SEQ:HASH", value_parser = parse_head)]
    pub(crate) head: Option<Head>,
    /// Verify the archived run: the latest archive of the account, or the one of STAMP
    #[arg(long, value_name = "STAMP", num_args = 0..=1, default_missing_value = "latest")]
    pub(crate) archived: Option<String>,
}

/// A head of a log, as `verify` prints it and `--head` takes it: `12:3f5a…` (64 hex digits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Head {
    pub(crate) seq: u64,
    pub(crate) hash: String,
}

fn parse_head(text: &str) -> Result<Head, String> {
    let bad = || format!("`{}` is not SEQ:HASH (a sequence number, a colon and 64 hex digits)", text.escape_debug());
    let (seq, hash) = text.split_once(':').ok_or_else(bad)?;
    let seq: u64 = seq.parse().ok().filter(|&s| s > 0).ok_or_else(bad)?;
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    Ok(Head { seq, hash: hash.to_ascii_lowercase() })
}

/// `closeacct check`
#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    #[command(flatten)]
    pub(crate) run: RunArgs,
    #[command(flatten)]
    pub(crate) operator: OperatorArgs,
    /// The step's id or number (e.g. `shut-down-resources` or `3.2`)
    pub(crate) step: String,
    /// Run the commands shown (they are read-only, and run with your environment and
    /// credentials); without it, nothing runs
    #[arg(long)]
    pub(crate) yes: bool,
    /// How many commands run at once
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub(crate) jobs: u16,
    /// Output format of what the checks found
    #[arg(long, value_enum, default_value_t = DataFormat::Text)]
    pub(crate) format: DataFormat,
}

/// Which runs `runs` lists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum RunsState {
    /// Active runs with steps left
    Open,
    /// Active runs with every step resolved
    Complete,
    /// Open and complete runs: everything under `runs/`
    #[default]
    Active,
    /// Runs moved to the archive
    Archived,
    /// Active and archived runs
    All,
}

/// `closeacct runs`
#[derive(Debug, Args)]
pub(crate) struct RunsArgs {
    /// Only runs of this provider
    #[arg(long, short = 'p', value_name = "ID")]
    pub(crate) provider: Option<String>,
    /// Which runs to list
    #[arg(long, value_enum, default_value_t = RunsState::Active)]
    pub(crate) state: RunsState,
    /// Output format
    #[arg(long, value_enum, default_value_t = DataFormat::Text)]
    pub(crate) format: DataFormat,
    #[command(flatten)]
    pub(crate) checklist: ChecklistArgs,
    #[command(flatten)]
    pub(crate) state_dir: StateArgs,
}

/// `closeacct archive`
#[derive(Debug, Args)]
pub(crate) struct ArchiveArgs {
    #[command(flatten)]
    pub(crate) run: RunArgs,
}

/// `closeacct remove`
#[derive(Debug, Args)]
pub(crate) struct RemoveArgs {
    #[command(flatten)]
    pub(crate) run: RunArgs,
    /// The account, typed again, for scripts; without it the account is asked for on the terminal
    #[arg(long, value_name = "ACCOUNT")]
    pub(crate) attest: Option<String>,
}

/// `closeacct completions`
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    source <(closeacct completions bash)   # in ~/.bashrc; zsh alike, fish: `| source`")]
pub(crate) struct CompletionsArgs {
    #[command(flatten)]
    pub(crate) operator: ReadOnlyOperator,
    /// The shell to register completions in
    pub(crate) shell: clap_complete::Shell,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
