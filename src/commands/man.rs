//! `closeacct man`: the manual, one roff page per command, from the same clap types as `--help`.
//!
//! `clap_mangen` renders each page's name, synopsis, description and options; this module adds what
//! a manual needs beyond `--help`: the examples, the exit status (from [`EXIT_CODES`], the table
//! the README is held to), the environment, the files, and a SEE ALSO that names only the pages
//! written.

use clap::CommandFactory;
use clap_mangen::roff::{Roff, bold, italic, roman};

use crate::cli::{Cli, ManArgs};
use crate::error::{EXIT_CODES, Error, Result};
use crate::ui::Ui;

/// Every environment variable closeacct (or a library it uses for it) reads, and what for: the
/// ENVIRONMENT section of `closeacct(1)`; a test holds the source to it.
pub(crate) const ENVIRONMENT: &[(&str, &str)] = &[
    ("CLOSEACCT_STATE_DIR", "Where runs are stored, when --state-dir is not given."),
    ("CLOSEACCT_NOW", "Pins the clock at an RFC 3339 time (2026-11-24T13:40:00Z), for tests and reproducible reports."),
    ("USER, LOGNAME", "Who acts, when --operator is not given: $USER, else $LOGNAME."),
    (
        "TZ",
        "The operator's time zone: times are shown in it, a new run records it, and days and weeks of follow-ups are counted in the run's zone.",
    ),
    ("TZDIR", "Where time zone files are looked up first (else /usr/share/zoneinfo)."),
    (
        "HOME, XDG_STATE_HOME",
        "The default state directory: $XDG_STATE_HOME/closeacct, that is ~/.local/state/closeacct.",
    ),
    (
        "XDG_CONFIG_HOME",
        "The user's checklists: $XDG_CONFIG_HOME/closeacct/checklists/*.toml (~/.config/closeacct/checklists), reached by their id like built-in ones.",
    ),
    ("COLUMNS", "The width `status` fits its table of runs to (else the terminal's width, else 80)."),
    ("NO_COLOR, CLICOLOR, CLICOLOR_FORCE", "NO_COLOR (any value) turns colour off; CLICOLOR_FORCE forces it."),
    (
        "COMPLETE",
        "Set by the completion script `closeacct completions SHELL` prints: closeacct then answers the shell's completion request instead of running a command.",
    ),
];

/// Prints the main page, or writes every page into `--dir`.
pub(crate) fn cmd_man(ui: &Ui, args: &ManArgs) -> Result<()> {
    let pages = pages();
    let Some(dir) = &args.dir else {
        return ui.stdout(&pages[0].1);
    };
    std::fs::create_dir_all(dir).map_err(|e| Error::io("create directory", dir, e))?;
    for (name, page) in &pages {
        let path = dir.join(name);
        std::fs::write(&path, page).map_err(|e| Error::io("write", &path, e))?;
    }
    ui.status(format!("wrote {} man pages to {}", pages.len(), dir.display()));
    Ok(())
}

/// Every page as (file name, roff): `closeacct.1` first, then one per command, nested ones too
/// (`closeacct-checklist-show.1`).
pub(crate) fn pages() -> Vec<(String, Vec<u8>)> {
    let mut cmd = without_help_subcommand(Cli::command());
    cmd.build();
    let mut commands = Vec::new();
    collect(&cmd, &mut commands);
    let names: Vec<String> = commands.iter().map(|c| page_name(c)).collect();
    commands.iter().map(|c| (format!("{}.1", page_name(c)), render(c, &names))).collect()
}

/// `help` is a subcommand in clap, but has no page: leaving it out keeps every page that a
/// COMMANDS list names a page that exists.
fn without_help_subcommand(cmd: clap::Command) -> clap::Command {
    cmd.disable_help_subcommand(true).mut_subcommands(without_help_subcommand)
}

fn collect<'c>(cmd: &'c clap::Command, into: &mut Vec<&'c clap::Command>) {
    into.push(cmd);
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        collect(sub, into);
    }
}

/// `closeacct`, `closeacct-status`, `closeacct-checklist-show`.
fn page_name(cmd: &clap::Command) -> String {
    cmd.get_display_name().unwrap_or_else(|| cmd.get_name()).to_owned()
}

fn render(cmd: &clap::Command, all: &[String]) -> Vec<u8> {
    let version = cmd.get_version().unwrap_or_default();
    let man = clap_mangen::Man::new(cmd.clone())
        .source(format!("closeacct {version}"))
        .manual("closeacct manual")
        .title(page_name(cmd));
    let mut out = Vec::new();
    let written = "writing to a Vec cannot fail";
    man.render_title(&mut out).expect(written);
    man.render_name_section(&mut out).expect(written);
    man.render_synopsis_section(&mut out).expect(written);
    man.render_description_section(&mut out).expect(written);
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut out).expect(written);
    }
    if cmd.has_subcommands() {
        man.render_subcommands_section(&mut out).expect(written);
    }
    let mut roff = Roff::new();
    let name = page_name(cmd);
    let is_main_page = name == "closeacct";
    roff.control("SH", ["EXIT STATUS"]);
    if is_main_page {
        for (code, meaning) in EXIT_CODES {
            roff.control("TP", []).text([bold(code.to_string())]).text([roman(*meaning)]);
        }
    } else {
        roff.text([roman("0 on success; otherwise one of the codes listed in "), bold("closeacct"), roman("(1).")]);
    }
    roff.control("SH", ["ENVIRONMENT"]);
    if is_main_page {
        for (var, meaning) in ENVIRONMENT {
            roff.control("TP", []).text([bold(*var)]).text([roman(*meaning)]);
        }
        roff.control("SH", ["FILES"]);
        for (path, meaning) in [
            ("$XDG_STATE_HOME/closeacct/runs/PROVIDER/ACCOUNT/events.jsonl", "A run's append-only, hash-chained log."),
            ("$XDG_STATE_HOME/closeacct/archive/", "Runs set aside by wizard --restart."),
            ("$XDG_CONFIG_HOME/closeacct/checklists/*.toml", "The user's own checklists."),
        ] {
            roff.control("TP", []).text([italic(path)]).text([roman(meaning)]);
        }
    } else {
        roff.text([roman("As listed in "), bold("closeacct"), roman("(1).")]);
    }
    if let Some(after) = cmd.get_after_help() {
        after_help(&mut roff, &after.to_string());
    }
    roff.control("SH", ["SEE ALSO"]);
    let see_also: Vec<&String> = if is_main_page {
        all.iter().skip(1).collect()
    } else {
        all.iter().filter(|other| related(&name, other)).collect()
    };
    let last = see_also.len().saturating_sub(1);
    for (i, other) in see_also.into_iter().enumerate() {
        let sep = if i == last { "" } else { "," };
        roff.text([bold(other.as_str()), roman(format!("(1){sep}"))]);
    }
    roff.to_writer(&mut out).expect(written);
    man.render_version_section(&mut out).expect(written);
    out
}

/// What a command's page points to: the main page, its parent and its own subcommands.
fn related(name: &str, other: &str) -> bool {
    let parent = name.rsplit_once('-').map_or("", |(parent, _)| parent);
    other != name
        && (other == "closeacct"
            || other == parent
            || other.strip_prefix(name).and_then(|rest| rest.strip_prefix('-')).is_some_and(|s| !s.contains('-')))
}

/// The text after the options: "Examples:" and its indented command lines become EXAMPLES, set
/// as typed; anything else is NOTES.
fn after_help(roff: &mut Roff, text: &str) {
    if let Some(examples) = text.strip_prefix("Examples:\n") {
        roff.control("SH", ["EXAMPLES"]).control("nf", []).control("RS", ["4"]);
        for line in examples.lines() {
            roff.text([roman(line.trim())]);
        }
        roff.control("RE", []).control("fi", []);
    } else {
        roff.control("SH", ["NOTES"]);
        for line in text.lines() {
            roff.text([roman(line)]);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn the_readme_lists_exactly_the_environment_table() {
        let readme = include_str!("../../README.md");
        let section = &readme[readme.find("\n## Environment\n").expect("README has ## Environment")..];
        let rows: Vec<(&str, &str)> = section
            .lines()
            .skip_while(|line| !line.starts_with("| variable |"))
            .skip(2)
            .take_while(|line| line.starts_with('|'))
            .map(|line| line.trim_matches('|').split_once(" | ").map(|(v, m)| (v.trim(), m.trim())).expect("two cells"))
            .collect();
        assert_eq!(rows, ENVIRONMENT, "README's ## Environment table and ENVIRONMENT differ");
    }

    /// Every variable the source reads by name (`var("X")`, `var_os("X")`, `from_env("X")`, or a
    /// `const X_ENV: &str = "X"`) is documented.
    #[test]
    fn every_variable_the_code_reads_is_documented() {
        let documented: Vec<&str> = ENVIRONMENT.iter().flat_map(|(vars, _)| vars.split(", ")).collect();
        let mut read = Vec::new();
        let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("tests.rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    for marker in ["var(\"", "var_os(\"", "from_env(\"", "_ENV: &str = \""] {
                        for (at, _) in text.match_indices(marker) {
                            let rest = &text[at + marker.len()..];
                            let name = &rest[..rest.find('"').unwrap()];
                            read.push((name.to_owned(), path.display().to_string()));
                        }
                    }
                }
            }
        }
        assert!(read.iter().any(|(name, _)| name == "CLOSEACCT_STATE_DIR"), "the scan finds nothing: {read:?}");
        for (name, file) in read {
            // This test's own markers are not variables.
            if !file.ends_with("man.rs") {
                assert!(documented.contains(&name.as_str()), "{file} reads ${name}, which ENVIRONMENT does not list");
            }
        }
    }
}
