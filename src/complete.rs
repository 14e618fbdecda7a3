//! Shell completion that offers what the operator can actually name: provider ids (built-in and
//! the user's checklists), the accounts of the runs in the state directory, and a checklist's
//! step ids, rather than file names.
//!
//! The shell's script (`closeacct completions SHELL`) calls closeacct back with `COMPLETE=SHELL`
//! and the words typed so far; [`answer_request`] answers that before anything else runs. Values
//! already typed narrow the answer: `--provider` limits accounts to that provider's runs and names
//! the checklist whose steps are offered; `--state-dir` and `--checklist` are honoured too.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::CommandFactory;
use clap_complete::engine::{ArgValueCandidates, CompletionCandidate};
use clap_complete::env::{Bash, CompleteEnv, Elvish, EnvCompleter, Fish, Powershell, Zsh};

use crate::checklist::{Catalog, Loaded};
use crate::cli::Cli;
use crate::state::StateDir;

/// The environment variable that turns a run of closeacct into a completion request.
pub(crate) const COMPLETE_ENV: &str = "COMPLETE";

/// Answers a shell's completion request (`COMPLETE=bash closeacct -- closeacct confirm …`) when
/// `COMPLETE` is set, and says how to exit; `None` when this is an ordinary run.
pub(crate) fn answer_request(args: &[OsString]) -> Option<ExitCode> {
    if std::env::var_os(COMPLETE_ENV).is_none_or(|v| v.is_empty() || v == "0") {
        return None;
    }
    let typed = Arc::new(Typed::from_words(args.iter().skip_while(|a| *a != "--").skip(1)));
    let current_dir = std::env::current_dir().ok();
    match CompleteEnv::with_factory(move || command(&typed)).try_complete(args.to_vec(), current_dir.as_deref()) {
        Ok(true) => Some(ExitCode::SUCCESS),
        Ok(false) => None,
        Err(e) => {
            let _ = e.print();
            Some(ExitCode::from(2))
        }
    }
}

/// The script that registers completion in `shell`: it calls `completer` (this binary) back
/// with `COMPLETE` set on every <Tab>.
pub(crate) fn registration(shell: clap_complete::Shell, completer: &str) -> Vec<u8> {
    let env: &dyn EnvCompleter = match shell {
        clap_complete::Shell::Bash => &Bash,
        clap_complete::Shell::Elvish => &Elvish,
        clap_complete::Shell::Fish => &Fish,
        clap_complete::Shell::PowerShell => &Powershell,
        clap_complete::Shell::Zsh => &Zsh,
        // A shell without dynamic completion gets the static script (subcommands and flags).
        other => {
            let mut buffer = Vec::new();
            clap_complete::generate(other, &mut Cli::command(), "closeacct", &mut buffer);
            return buffer;
        }
    };
    let mut buffer = Vec::new();
    env.write_registration(COMPLETE_ENV, "closeacct", "closeacct", completer, &mut buffer)
        .expect("writing to a Vec cannot fail");
    buffer
}

/// What the words typed so far already say.
#[derive(Debug, Default)]
struct Typed {
    provider: Option<String>,
    state_dir: Option<PathBuf>,
    checklist: Option<PathBuf>,
}

impl Typed {
    /// Reads `--provider ID`, `--provider=ID`, `-p ID`, `-pID`, and the same forms of
    /// `--state-dir` and `--checklist`; an empty value (the word being completed) is no value.
    fn from_words<'a>(words: impl Iterator<Item = &'a OsString>) -> Typed {
        let mut typed = Typed::default();
        let mut words = words.filter_map(|w| w.to_str());
        while let Some(word) = words.next() {
            let (flag, inline) = match word.split_once('=') {
                Some((flag, value)) if flag.starts_with("--") => (flag, Some(value)),
                _ if word.starts_with("-p") && word.len() > 2 => ("-p", Some(&word[2..])),
                _ => (word, None),
            };
            let slot = match flag {
                "--provider" | "-p" => Slot::Provider,
                "--state-dir" => Slot::StateDir,
                "--checklist" => Slot::Checklist,
                _ => continue,
            };
            let Some(value) = inline.or_else(|| words.next()).filter(|v| !v.is_empty()) else { continue };
            match slot {
                Slot::Provider => typed.provider = Some(value.to_owned()),
                Slot::StateDir => typed.state_dir = Some(PathBuf::from(value)),
                Slot::Checklist => typed.checklist = Some(PathBuf::from(value)),
            }
        }
        typed
    }
}

enum Slot {
    Provider,
    StateDir,
    Checklist,
}

/// The command line with a completer on every `provider`, `account` and `step` argument.
fn command(typed: &Arc<Typed>) -> clap::Command {
    attach(Cli::command(), typed)
}

fn attach(cmd: clap::Command, typed: &Arc<Typed>) -> clap::Command {
    let cmd = cmd.mut_args(|arg| {
        let typed = Arc::clone(typed);
        match arg.get_id().as_str() {
            "provider" => arg.add(ArgValueCandidates::new(provider_ids)),
            "account" => arg.add(ArgValueCandidates::new(move || accounts(&typed))),
            "step" => arg.add(ArgValueCandidates::new(move || steps(&typed))),
            _ => arg,
        }
    });
    cmd.mut_subcommands(|sub| attach(sub, typed))
}

/// Every id `--provider` accepts, each with its checklist's name.
fn provider_ids() -> Vec<CompletionCandidate> {
    let catalog = Catalog::get();
    catalog
        .ids()
        .into_iter()
        .map(|id| {
            let name = catalog.resolve(&id).ok().map(|loaded| loaded.checklist.name.clone().into());
            CompletionCandidate::new(id).help(name)
        })
        .collect()
}

/// The accounts of the runs in the state directory, of the typed provider's runs only if one is
/// typed; each with its provider.
fn accounts(typed: &Typed) -> Vec<CompletionCandidate> {
    let Ok(state) = StateDir::resolve(typed.state_dir.as_deref()) else { return Vec::new() };
    let mut runs = state.runs(typed.provider.as_deref()).unwrap_or_default();
    if runs.is_empty() && typed.provider.is_some() {
        // A provider typed wrong (or half typed) still leaves the accounts there are.
        runs = state.runs(None).unwrap_or_default();
    }
    let mut seen = Vec::new();
    runs.into_iter()
        .filter(|(_, account)| {
            let new = !seen.contains(account);
            seen.push(account.clone());
            new
        })
        .map(|(provider, account)| CompletionCandidate::new(account).help(Some(provider.into())))
        .collect()
}

/// The step ids of the checklist named by `--checklist` or `--provider`, each with its number and
/// title; nothing when neither is typed.
fn steps(typed: &Typed) -> Vec<CompletionCandidate> {
    let loaded = match (&typed.checklist, &typed.provider) {
        (Some(file), _) => Loaded::from_file(file).ok(),
        (None, Some(provider)) => Catalog::get().resolve(provider).ok(),
        (None, None) => None,
    };
    let Some(loaded) = loaded else { return Vec::new() };
    loaded
        .steps()
        .map(|(r, step)| {
            CompletionCandidate::new(step.id.get_ref()).help(Some(format!("{} {}", r.number(), step.title).into()))
        })
        .collect()
}

/// The path the shell's script calls back: the binary as it was invoked, made absolute when it
/// was given as a relative path (`./target/release/closeacct`), as `CompleteEnv` does.
pub(crate) fn completer_path(argv0: Option<&OsStr>, current_dir: Option<&Path>) -> String {
    let path = PathBuf::from(argv0.unwrap_or(OsStr::new("closeacct")));
    let path = match current_dir {
        Some(dir) if path.components().count() > 1 && path.is_relative() => dir.join(path),
        _ => path,
    };
    path.to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(words: &[&str]) -> Typed {
        let words: Vec<OsString> = words.iter().map(Into::into).collect();
        Typed::from_words(words.iter())
    }

    #[test]
    fn typed_values_are_read_in_every_form() {
        assert_eq!(typed(&["closeacct", "confirm", "--provider", "aws"]).provider.as_deref(), Some("aws"));
        assert_eq!(typed(&["closeacct", "confirm", "--provider=gcp-project"]).provider.as_deref(), Some("gcp-project"));
        assert_eq!(typed(&["closeacct", "confirm", "-p", "aws"]).provider.as_deref(), Some("aws"));
        assert_eq!(typed(&["closeacct", "confirm", "-paws"]).provider.as_deref(), Some("aws"));
        assert_eq!(typed(&["closeacct", "confirm", "--provider", ""]).provider, None);
        let t = typed(&["closeacct", "status", "--state-dir", "/s", "--checklist=c.toml"]);
        assert_eq!(
            (t.state_dir.as_deref(), t.checklist.as_deref()),
            (Some(Path::new("/s")), Some(Path::new("c.toml")))
        );
    }

    #[test]
    fn a_relative_completer_path_is_made_absolute() {
        let dir = Path::new("/work");
        assert_eq!(completer_path(Some(OsStr::new("closeacct")), Some(dir)), "closeacct");
        assert_eq!(completer_path(Some(OsStr::new("./bin/closeacct")), Some(dir)), "/work/./bin/closeacct");
        assert_eq!(completer_path(Some(OsStr::new("/usr/bin/closeacct")), Some(dir)), "/usr/bin/closeacct");
    }
}
