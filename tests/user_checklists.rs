//! Checklists of the user's own, in `$XDG_CONFIG_HOME/closeacct/checklists/`: named by id like
//! built-in ones, listed with their origin, refused when an id is taken twice, listed as invalid
//! without stopping the others, and the README's example run as written.

use std::path::{Path, PathBuf};

use crate::common::{Env, SMALL, bin};

/// The user's checklist directory in the test environment (`HOME` is the temp dir and
/// `XDG_CONFIG_HOME` is unset, so it is `~/.config/closeacct/checklists`).
fn user_dir(env: &Env) -> PathBuf {
    let dir = env.dir.path().join(".config/closeacct/checklists");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn put(env: &Env, name: &str, text: &str) -> PathBuf {
    let path = user_dir(env).join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// The fenced block of `lang` that follows `heading` in the README.
fn readme_block(heading: &str, lang: &str) -> String {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let section = &readme[readme.find(heading).unwrap_or_else(|| panic!("README has no {heading}"))..];
    let start = section.find(&format!("```{lang}\n")).unwrap() + lang.len() + 4;
    let end = start + section[start..].find("\n```").unwrap();
    section[start..end].to_owned()
}

#[test]
fn the_readme_example_runs_as_written() {
    let env = Env::new();
    let toml = readme_block("### Write your own checklist", "toml");
    let script = readme_block("### Write your own checklist", "sh");
    let first_line = toml.lines().next().unwrap();
    let name = first_line.rsplit('/').next().unwrap();
    assert!(first_line.starts_with("# ~/.config/closeacct/checklists/"), "{first_line}");
    put(&env, name, &toml);

    // The script as a user would paste it, with the binary first on PATH.
    let path =
        format!("{}:{}", Path::new(bin()).parent().unwrap().display(), std::env::var("PATH").unwrap_or_default());
    let out = env.std_cmd("sh").args(["-ec", &script]).env("PATH", path).output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the README's script failed\n{stdout}\n{stderr}");
    assert!(stdout.contains("payroll-saas.toml: ok (payroll-saas v1, 2 stages, 2 steps"), "{stdout}");
    let listed = stdout.lines().find(|l| l.starts_with("payroll-saas ")).expect("providers lists it");
    assert!(listed.ends_with(&user_dir(&env).join(name).display().to_string()), "{listed}");
    // `status --check` exited 0: the run is complete.
    let report = env.closeacct(&["report", "--provider", "payroll-saas", "--format", "json"]).status(0);
    assert!(report.stdout.contains("\"complete\": true"), "{}", report.stdout);
}

#[test]
fn providers_shows_where_each_checklist_comes_from() {
    let env = Env::new();
    let path = put(&env, "small.toml", SMALL);
    let out = env.closeacct(&["providers"]).status(0);
    assert!(out.stdout.lines().next().unwrap().ends_with("VERSION  ORIGIN"), "{}", out.stdout);
    let aws = out.stdout.lines().find(|l| l.starts_with("aws ")).unwrap();
    assert!(aws.ends_with("  built-in"), "{aws}");
    let small = out.stdout.lines().find(|l| l.starts_with("small ")).unwrap();
    assert!(small.contains("Small test checklist") && small.ends_with(&path.display().to_string()), "{small}");

    let json = env.closeacct(&["providers", "--format", "json"]).status(0);
    let rows: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let small = rows.as_array().unwrap().iter().find(|r| r["id"] == "small").unwrap();
    assert_eq!(small["origin"], path.display().to_string());
    assert_eq!(small["steps"], 5);
    assert_eq!(rows[0]["origin"], "built-in");
    assert!(rows[0].get("problem").is_none());
}

#[test]
fn every_command_takes_a_user_checklists_id() {
    let env = Env::new();
    put(&env, "small.toml", SMALL);
    let a = ["--provider", "small", "--account", "acme"];
    env.closeacct(&["checklist", "show", "small"]).status(0);
    env.closeacct(&["start"]).args(&a).args(&["--fact", "org=no"]).status(0);
    env.closeacct(&["answer"]).args(&a).args(&["org", "no"]).status(0);
    env.closeacct(&["confirm"]).args(&a).args(&["backup"]).status(0);
    env.closeacct(&["skip"]).args(&a).args(&["ticket", "--reason", "no ticket system here"]).status(0);
    env.closeacct(&["status"]).args(&a).status(0);
    env.closeacct(&["report"]).args(&a).status(0);
    env.closeacct(&["verify"]).args(&a).status(0);
}

#[test]
fn a_run_stays_reachable_by_its_id_when_its_file_is_gone() {
    let env = Env::new();
    let path = put(&env, "small.toml", SMALL);
    let a = ["--provider", "small", "--account", "acme"];
    env.closeacct(&["start"]).args(&a).args(&["--fact", "org=no"]).status(0);
    std::fs::remove_file(&path).unwrap();
    env.closeacct(&["confirm"]).args(&a).args(&["backup"]).status(0);
    let status = env.closeacct(&["status"]).args(&a).status(0);
    assert!(status.stdout.contains("1 of 4 resolved"), "{}", status.stdout);
    env.closeacct(&["verify"]).args(&a).status(0);
    // Without the file, only its runs know the id.
    let out = env.closeacct(&["start", "--provider", "small", "--account", "other"]).status(2);
    assert!(out.stderr.contains("unknown provider `small`"), "{}", out.stderr);
}

#[test]
fn a_run_started_from_a_checklist_file_is_reachable_by_its_id() {
    let env = Env::new();
    let file = env.write("elsewhere.toml", SMALL);
    let a = ["--provider", "small", "--account", "acme"];
    env.closeacct(&["start", "--checklist", file.to_str().unwrap(), "--account", "acme", "--fact", "org=no"]).status(0);
    env.closeacct(&["answer"]).args(&a).args(&["org", "no"]).status(0);
    env.closeacct(&["status"]).args(&a).status(0);
    env.closeacct(&["status", "--provider", "small"]).status(0);
    env.closeacct(&["verify"]).args(&a).status(0);
    env.closeacct(&["report"]).args(&a).status(0);
}

#[test]
fn an_id_defined_twice_is_refused_naming_both_files() {
    let env = Env::new();
    let first = put(&env, "a.toml", SMALL);
    let second = put(&env, "b.toml", SMALL);
    let out = env.closeacct(&["start", "--provider", "small", "--account", "acme"]).status(65);
    let line = out.stderr.lines().next().unwrap();
    assert!(
        line.contains(&first.display().to_string()) && line.contains(&second.display().to_string()),
        "{}",
        out.stderr
    );
    assert!(!env.run_dir("small", "acme").exists(), "nothing is started");
    // Other checklists are not affected.
    env.closeacct(&["checklist", "show", "aws"]).status(0);

    let shadow = put(&env, "mine.toml", &SMALL.replace("id = \"small\"", "id = \"aws\""));
    let out = env.closeacct(&["status", "--provider", "aws", "--account", "1"]).status(65);
    assert!(
        out.stderr.contains("built-in checklists/aws.toml") && out.stderr.contains(&shadow.display().to_string()),
        "{}",
        out.stderr
    );
    let listed = env.closeacct(&["providers"]).status(0);
    assert!(listed.stdout.lines().any(|l| l.starts_with("aws ") && l.contains("(invalid)")), "{}", listed.stdout);
    // Each problem is said once, though the id it names is a row per file.
    let said: Vec<&str> = listed.stderr.lines().collect();
    let mut once = said.clone();
    once.dedup();
    assert_eq!(said, once, "{}", listed.stderr);
    for id in ["`aws`", "`small`"] {
        let lines = said.iter().filter(|l| l.contains(&format!("{id} is defined twice"))).count();
        assert_eq!(lines, 1, "{id}: {}", listed.stderr);
    }
}

#[test]
fn an_invalid_user_checklist_is_listed_with_its_place_and_the_others_still_work() {
    let env = Env::new();
    let broken = put(&env, "broken.toml", &SMALL.replace("kind = \"confirm\"", "kind = \"maybe\""));
    put(&env, "fine.toml", &SMALL.replace("id = \"small\"", "id = \"fine\""));
    let out = env.closeacct(&["providers"]).status(0);
    let row = out.stdout.lines().find(|l| l.starts_with("small ")).expect("listed under its declared id");
    assert!(row.contains("(invalid)") && row.ends_with(&broken.display().to_string()), "{row}");
    assert!(out.stderr.contains(&format!("{}:22:8: ", broken.display())), "{}", out.stderr);

    let json = env.closeacct(&["providers", "--format", "json"]).status(0);
    let rows: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let small = rows.as_array().unwrap().iter().find(|r| r["id"] == "small").unwrap();
    assert!(small["problem"].as_str().unwrap().starts_with(&format!("{}:22:8: ", broken.display())));
    assert!(small.get("steps").is_none());

    env.closeacct(&["start", "--provider", "fine", "--account", "acme", "--fact", "org=no"]).status(0);
    let out = env.closeacct(&["start", "--provider", "small", "--account", "acme"]).status(65);
    assert!(out.stderr.starts_with(&format!("closeacct: {}:22:8: ", broken.display())), "{}", out.stderr);
}
