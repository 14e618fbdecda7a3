//! What the documentation shows is what happens: every command line in the README's ```sh and
//! ```console blocks, and every example in `--help`, is taken from the text (so a new one cannot
//! go stale unseen) and run against the real binary, in order, in one state directory; each
//! closeacct it runs must exit 0, or the code a trailing `# exit N` comment gives. The README's
//! "Write your own checklist" and "A session against moto" sections have tests of their own
//! (`user_checklists.rs`, `checks.rs`).

use std::collections::BTreeSet;
use std::path::Path;

use crate::common::{Env, bin};
use crate::man::command_paths;

/// Lines not run as written, each with the exit code it has here instead, and why.
const NOT_AS_WRITTEN: &[(&str, i32, &str)] = &[
    (
        "closeacct wizard --provider aws --account 111122223333",
        2,
        "the wizard needs a terminal; without one it exits 2 at once, as documented (tests/wizard_pty.rs drives it on one)",
    ),
    (
        "closeacct wizard --provider aws",
        2,
        "the wizard needs a terminal; without one it exits 2 at once, as documented (tests/wizard_pty.rs drives it on one)",
    ),
];

/// A command line from the documentation.
#[derive(Debug)]
struct Line {
    text: String,
    /// Where it comes from: `README.md:84`, `closeacct confirm --help`.
    origin: String,
    /// Shell assignments before it in its block (`A="--provider aws --account 1111"`).
    prelude: Vec<String>,
    /// A `# …` comment stands before it: the steps up to the one it records are done first.
    after_ellipsis: bool,
}

impl Line {
    /// 0, or the `N` of a trailing `# exit N` comment, or what [`NOT_AS_WRITTEN`] says.
    fn expected(&self) -> i32 {
        if let Some((_, code, _)) = NOT_AS_WRITTEN.iter().find(|(text, _, _)| *text == self.text) {
            return *code;
        }
        let Some((_, comment)) = self.text.split_once(" # ") else { return 0 };
        comment
            .split_once("exit ")
            .and_then(|(_, rest)| rest.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok())
            .unwrap_or(0)
    }
}

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap()
}

/// The lines of ```sh and ```console blocks that run closeacct (a console line without its `$ `).
fn readme_lines() -> Vec<Line> {
    let readme = readme();
    let mut lines = Vec::new();
    let mut heading = "";
    let mut block: Option<&str> = None;
    let mut prelude = Vec::new();
    let mut after_ellipsis = false;
    for (n, line) in readme.lines().enumerate() {
        if let Some(fence) = line.strip_prefix("```") {
            block = match block {
                Some(_) => None,
                None => Some(fence),
            };
            prelude.clear();
            after_ellipsis = false;
            continue;
        }
        match block {
            None if line.starts_with('#') => heading = line,
            // Those two sections have tests of their own: `user_checklists.rs`, and `checks.rs`,
            // which runs the session against a moto_server it starts on a free port.
            Some("sh" | "console")
                if heading != "### Write your own checklist" && heading != "### A session against moto" =>
            {
                let command = line.strip_prefix("$ ").unwrap_or(line);
                let is_assignment = command.split_once('=').is_some_and(|(name, _)| {
                    !name.is_empty() && name.bytes().all(|b| b.is_ascii_uppercase() || b == b'_')
                });
                if command.starts_with('#') {
                    after_ellipsis |= command.contains('…');
                } else if is_assignment {
                    prelude.push(command.to_owned());
                } else if command.contains("closeacct ") && (block == Some("sh") || line.starts_with("$ ")) {
                    lines.push(Line {
                        text: command.to_owned(),
                        origin: format!("README.md:{}", n + 1),
                        prelude: prelude.clone(),
                        after_ellipsis: std::mem::take(&mut after_ellipsis),
                    });
                }
            }
            _ => {}
        }
    }
    lines
}

/// Every `--help` text: the top level's, then each command's in the order `--help` lists them.
fn helps(env: &Env) -> Vec<(String, String)> {
    std::iter::once(Vec::new())
        .chain(command_paths(env))
        .map(|path| {
            let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
            args.push("--help");
            let name = format!("closeacct {}", args.join(" "));
            (name, env.closeacct(&args).status(0).stdout)
        })
        .collect()
}

/// The `closeacct …` spans in backticks and the lines under `Examples:` of every `--help`, the
/// first of each only.
fn help_lines(env: &Env) -> Vec<Line> {
    let mut seen = BTreeSet::new();
    let mut lines = Vec::new();
    for (origin, help) in helps(env) {
        let spans =
            help.split('`').skip(1).step_by(2).map(|span| span.split_whitespace().collect::<Vec<_>>().join(" "));
        let examples =
            help.lines().skip_while(|l| *l != "Examples:").skip(1).take_while(|l| !l.trim().is_empty()).map(str::trim);
        let found: Vec<String> =
            spans.filter(|s| s.starts_with("closeacct ")).chain(examples.map(str::to_owned)).collect();
        for text in found {
            if seen.insert(text.clone()) {
                lines.push(Line { text, origin: origin.clone(), prelude: Vec::new(), after_ellipsis: false });
            }
        }
    }
    lines
}

/// Runs each line with bash in `env`, closeacct first on `PATH` through a shim that notes each
/// exit code, and checks them.
fn run_in_order(env: &Env, lines: &[Line]) {
    let shim = env.dir.path().join("shim");
    std::fs::create_dir_all(&shim).unwrap();
    let codes = env.dir.path().join("codes");
    let script = "#!/bin/sh\n\"$TEST_CLOSEACCT\" \"$@\"\ncode=$?\necho $code >> \"$TEST_CODES\"\nexit $code\n";
    std::fs::write(shim.join("closeacct"), script).unwrap();
    std::fs::set_permissions(shim.join("closeacct"), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", shim.display(), std::env::var("PATH").unwrap_or_default());
    for line in lines {
        if line.after_ellipsis {
            do_the_steps_before(env, line);
        }
        std::fs::write(&codes, "").unwrap();
        let program = format!("{}\n{}", line.prelude.join("\n"), line.text);
        let out = env
            .std_cmd("bash")
            .args(["-c", &program])
            .env("PATH", &path)
            .env("TEST_CLOSEACCT", bin())
            .env("TEST_CODES", &codes)
            .output()
            .unwrap();
        let ran: Vec<i32> = std::fs::read_to_string(&codes).unwrap().lines().map(|c| c.parse().unwrap()).collect();
        let expected = line.expected();
        assert!(
            !ran.is_empty() && ran.iter().all(|&code| code == expected),
            "{}: `{}` exited {ran:?}, documented {expected}\n{}\n{}",
            line.origin,
            line.text,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// For a line after `# …`: records every open step of its run, as the wizard would ask them,
/// until the step the line names is next.
fn do_the_steps_before(env: &Env, line: &Line) {
    let words = format!("{}\nset -- {}\nprintf '%s\\0' \"$@\"", line.prelude.join("\n"), line.text);
    let out = env.std_cmd("bash").args(["-c", &words]).output().unwrap();
    let words: Vec<String> =
        String::from_utf8(out.stdout).unwrap().split('\0').filter(|w| !w.is_empty()).map(str::to_owned).collect();
    let value = |names: &[&str]| {
        words
            .iter()
            .position(|w| names.contains(&w.as_str()))
            .map(|i| words[i + 1].clone())
            .expect("a provider and account")
    };
    let (provider, account) = (value(&["--provider", "-p"]), value(&["--account", "-a"]));
    let mut positional = Vec::new();
    let mut rest = words.iter().skip(2);
    while let Some(word) = rest.next() {
        match word.as_str() {
            "--quiet" | "-q" | "--accept-changes" | "--reopen" => {}
            flag if flag.starts_with('-') => {
                rest.next();
            }
            _ => positional.push(word.clone()),
        }
    }
    let step = positional.first().expect("the line names a step");
    let json = env.closeacct(&["checklist", "show", &provider, "--format", "json"]).status(0).stdout;
    let checklist: serde_json::Value = serde_json::from_str(&json).unwrap();
    let kind = |id: &str| {
        let stages = checklist["stages"].as_array().unwrap();
        let mut steps = stages.iter().flat_map(|s| s["steps"].as_array().unwrap());
        steps.find(|s| s["id"] == id).unwrap()["kind"].as_str().unwrap().to_owned()
    };
    let run = ["--provider", provider.as_str(), "--account", account.as_str()];
    for _ in 0..200 {
        let status = env.closeacct(&["status"]).args(&run).args(&["--format", "json"]).status(0).stdout;
        let status: serde_json::Value = serde_json::from_str(&status).unwrap();
        let next = &status["next_step"];
        if next["id"] == step.as_str() || next["number"] == step.as_str() {
            return;
        }
        let id = next["id"].as_str().unwrap_or_else(|| panic!("{}: no step left before {step}", line.origin));
        let confirm = env.closeacct(&["confirm"]).args(&run).args(&[id]);
        match kind(id).as_str() {
            "evidence" => confirm.args(&["--evidence", "as the runbook says"]),
            "attest" => confirm.args(&["--attest", &account]),
            _ => confirm,
        }
        .status(0);
    }
    panic!("{}: {step} never came next", line.origin);
}

#[test]
fn every_readme_command_line_runs_as_documented() {
    let lines = readme_lines();
    let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
    assert!(texts.contains(&"closeacct status  $A --check && echo \"closure complete\""), "{texts:#?}");
    assert!(lines.iter().any(|l| l.after_ellipsis), "the scripted block's `# …` is seen");
    run_in_order(&Env::new(), &lines);
}

#[test]
fn every_help_example_runs_as_documented() {
    let env = Env::new();
    let lines = help_lines(&env);
    for needed in ["closeacct providers", "closeacct status -p aws -a 111122223333 --check"] {
        assert!(lines.iter().any(|l| l.text.starts_with(needed)), "no `{needed}` in {lines:#?}");
    }
    run_in_order(&env, &lines);
}

#[test]
fn every_allowed_exception_is_still_in_the_docs() {
    let env = Env::new();
    let texts: Vec<String> = readme_lines().into_iter().chain(help_lines(&env)).map(|l| l.text).collect();
    for (text, _, why) in NOT_AS_WRITTEN {
        assert!(texts.iter().any(|t| t == text), "`{text}` ({why}) is no longer documented; drop it from the list");
    }
}

/// Ids in the help (`back-up-data`, in backticks) name a provider, step or fact that exists.
#[test]
fn every_id_the_help_names_exists() {
    let env = Env::new();
    let providers = env.closeacct(&["providers", "--format", "json"]).status(0).stdout;
    let providers: Vec<serde_json::Value> = serde_json::from_str(&providers).unwrap();
    let mut known = BTreeSet::new();
    for provider in &providers {
        let id = provider["id"].as_str().unwrap();
        known.insert(id.to_owned());
        let json = env.closeacct(&["checklist", "show", id, "--format", "json"]).status(0).stdout;
        let checklist: serde_json::Value = serde_json::from_str(&json).unwrap();
        for stage in checklist["stages"].as_array().unwrap() {
            known.extend(stage["steps"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap().to_owned()));
        }
        known.extend(checklist["facts"].as_array().into_iter().flatten().map(|f| f["id"].as_str().unwrap().to_owned()));
    }
    let mut checked = 0;
    for (origin, help) in helps(&env) {
        for span in help.split('`').skip(1).step_by(2) {
            let looks_like_an_id = span.contains('-')
                && !span.starts_with('-')
                && span.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
            if looks_like_an_id {
                assert!(known.contains(span), "{origin} names `{span}`, which no checklist has");
                checked += 1;
            }
        }
    }
    assert!(checked > 0, "no id found in the help");
}

/// `checklist show ID --format toml > mine.toml && checklist validate mine.toml`, unedited, for
/// every checklist `providers` lists: adapting a checklist starts from a file that validates.
#[test]
fn every_checklist_shown_as_toml_validates_unedited() {
    let env = Env::new();
    let providers = env.closeacct(&["providers", "--format", "json"]).status(0).stdout;
    let providers: Vec<serde_json::Value> = serde_json::from_str(&providers).unwrap();
    assert_eq!(providers.len(), 7);
    let bin_dir = Path::new(bin()).parent().unwrap();
    for provider in &providers {
        let id = provider["id"].as_str().unwrap();
        let line = format!(
            "closeacct checklist show {id} --format toml > mine.toml && closeacct checklist validate mine.toml"
        );
        let out = env
            .std_cmd("sh")
            .args(["-c", &line])
            .env("PATH", format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default()))
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{line}\n{stdout}{}", String::from_utf8_lossy(&out.stderr));
        assert!(stdout.starts_with(&format!("mine.toml: ok ({id} v")), "{stdout}");
    }
}

/// A heading's anchor as GitHub makes it: lower case, punctuation but `-` and `_` dropped,
/// spaces turned into `-`.
fn anchor_of(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// Every `](#anchor)` link in the README leads to one of its headings, so renaming a heading
/// (or bumping the schema version in one) cannot leave a link pointing nowhere.
#[test]
fn every_readme_link_to_a_section_finds_it() {
    let readme = readme();
    let mut in_code = false;
    let mut anchors = BTreeSet::new();
    for line in readme.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
        } else if !in_code && line.starts_with('#') {
            anchors.insert(anchor_of(line.trim_start_matches('#')));
        }
    }
    let links: Vec<&str> = readme.split("](#").skip(1).map(|rest| rest.split(')').next().unwrap_or_default()).collect();
    assert!(links.len() > 5, "the README links its sections: {links:?}");
    let broken: Vec<&&str> = links.iter().filter(|link| !anchors.contains(**link)).collect();
    assert!(broken.is_empty(), "links to no heading: {broken:?}; headings: {anchors:?}");
}
