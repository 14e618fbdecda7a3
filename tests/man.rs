//! `closeacct man`: one page per command, a main page with the exit codes and the environment,
//! and no page named that is not written; each page renders without a warning where a roff
//! formatter is installed (CI installs groff).

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use crate::common::Env;

/// Every command path (`["checklist", "show"]`), from the `Commands:` lists of `--help`.
pub(crate) fn command_paths(env: &Env) -> Vec<Vec<String>> {
    fn walk(env: &Env, path: &[String], into: &mut Vec<Vec<String>>) {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let help = env.closeacct(&args).status(0).stdout;
        let commands = help.lines().skip_while(|l| *l != "Commands:").skip(1).take_while(|l| !l.trim().is_empty());
        // A name starts its line; a description too long for one line goes on under it.
        for line in commands.filter(|l| !l.starts_with("   ")) {
            let name = line.split_whitespace().next().expect("a command name").to_owned();
            if name != "help" {
                let sub: Vec<String> = path.iter().cloned().chain([name]).collect();
                into.push(sub.clone());
                walk(env, &sub, into);
            }
        }
    }
    let mut paths = Vec::new();
    walk(env, &[], &mut paths);
    paths
}

/// `(N)` references in a page: `closeacct\-status(1)` and `\fBcloseacct\-status\fR(1)`.
fn references(page: &str) -> BTreeSet<String> {
    let plain = page.replace("\\fB", "").replace("\\fR", "").replace("\\-", "-");
    let mut refs = BTreeSet::new();
    for (at, _) in plain.match_indices("(1)") {
        let start = plain[..at].rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '-')).map_or(0, |i| i + 1);
        refs.insert(plain[start..at].to_owned());
    }
    refs
}

/// The rows of a README table under `heading`: its first cell each.
fn readme_table_keys(heading: &str) -> Vec<String> {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let section = &readme[readme.find(heading).unwrap()..];
    section
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| l.trim_matches('|').split(" | ").next().unwrap().trim().to_owned())
        .collect()
}

#[test]
fn the_main_page_has_exit_status_and_environment_from_the_readme() {
    let env = Env::new();
    let page = env.closeacct(&["man"]).status(0).stdout;
    for section in
        [".TH closeacct 1", ".SH NAME", ".SH SYNOPSIS", ".SH \"EXIT STATUS\"", ".SH ENVIRONMENT", ".SH \"SEE ALSO\""]
    {
        assert!(page.contains(section), "no {section} in\n{page}");
    }
    let exit_status = &page[page.find(".SH \"EXIT STATUS\"").unwrap()..page.find(".SH ENVIRONMENT").unwrap()];
    for code in readme_table_keys("\n## Exit codes\n") {
        assert!(exit_status.contains(&format!(".TP\n\\fB{code}\\fR\n")), "exit code {code} missing:\n{exit_status}");
    }
    let environment = &page[page.find(".SH ENVIRONMENT").unwrap()..];
    for vars in readme_table_keys("\n## Environment\n") {
        assert!(environment.contains(&format!(".TP\n\\fB{vars}\\fR\n")), "{vars} missing:\n{environment}");
    }
    assert!(environment.contains("$XDG_CONFIG_HOME/closeacct/checklists"), "{environment}");
}

#[test]
fn man_dir_writes_a_page_per_command_and_names_only_pages_it_wrote() {
    let env = Env::new();
    let dir = env.dir.path().join("man/man1");
    let out = env.closeacct(&["man", "--dir", dir.to_str().unwrap()]).status(0);
    assert!(out.stdout.is_empty(), "{}", out.stdout);

    let mut expected: BTreeSet<String> =
        command_paths(&env).iter().map(|path| format!("closeacct-{}.1", path.join("-"))).collect();
    expected.insert("closeacct.1".to_owned());
    assert!(expected.contains("closeacct-checklist-show.1") && expected.len() > 10, "{expected:?}");
    let written: BTreeSet<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert_eq!(written, expected);
    assert!(out.stderr.contains(&format!("wrote {} man pages", expected.len())), "{}", out.stderr);

    let main = std::fs::read_to_string(dir.join("closeacct.1")).unwrap();
    assert_eq!(main, env.closeacct(&["man"]).status(0).stdout, "`man` prints the page `man --dir` writes");
    let see_also = &main[main.find(".SH \"SEE ALSO\"").unwrap()..];
    assert_eq!(references(see_also).len(), expected.len() - 1, "the main page's SEE ALSO names every other page");

    for name in &written {
        let page = std::fs::read_to_string(dir.join(name)).unwrap();
        let title = name.trim_end_matches(".1");
        assert!(page.contains(&format!(".TH {title} 1")), "{name}: no .TH");
        for section in [".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION", ".SH \"EXIT STATUS\"", ".SH \"SEE ALSO\""] {
            assert!(page.contains(section), "{name}: no {section}");
        }
        for reference in references(&page) {
            assert!(written.contains(&format!("{reference}.1")), "{name} names {reference}(1), which was not written");
        }
    }
}

/// Each page through a real formatter, with every warning on: groff (as `man -l` uses it), else
/// mandoc's linter. Without either the structure is still checked above.
#[test]
fn every_page_renders_without_a_warning() {
    let env = Env::new();
    let dir = env.dir.path().join("man1");
    env.closeacct(&["man", "--dir", dir.to_str().unwrap()]).status(0);
    let formatter = |program: &str| Command::new(program).arg("--version").output().is_ok_and(|o| o.status.success());
    let (program, args): (&str, &[&str]) = if formatter("groff") {
        ("groff", &["-man", "-Tutf8", "-ww", "-z"])
    } else if Command::new("mandoc").arg("-V").output().is_ok() {
        ("mandoc", &["-T", "lint", "-W", "warning"])
    } else {
        eprintln!("neither groff nor mandoc is installed; pages not rendered (.ci/run installs groff)");
        return;
    };
    let mut rendered = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let out = Command::new(program).args(args).arg(&path).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && stderr.trim().is_empty(), "{program} on {}:\n{stderr}", path.display());
        rendered += 1;
    }
    assert!(rendered > 10, "{rendered} pages");
    if program == "groff" {
        let text =
            Command::new("groff").args(["-man", "-Tutf8", "-P-cbou"]).arg(dir.join("closeacct.1")).output().unwrap();
        let text = String::from_utf8_lossy(&text.stdout);
        assert!(text.contains("EXIT STATUS") && text.contains("ENVIRONMENT"), "{text}");
    }
}
