//! Shell completion offers the real provider ids (the user's checklists too), the accounts of the
//! runs there are (of the typed provider's), and the step ids of the typed provider's checklist;
//! `closeacct completions SHELL` prints the script that asks for them.

use std::path::Path;

use crate::common::{Env, SMALL, bin};

/// What closeacct offers for the last word of `line` (`closeacct wizard --provider a`), asked the
/// way the bash script asks.
fn complete(env: &Env, line: &[&str]) -> Vec<String> {
    let mut args = vec!["--"];
    args.extend_from_slice(line);
    let out = env
        .closeacct(&args)
        .env("COMPLETE", "bash")
        .env("_CLAP_COMPLETE_INDEX", (line.len() - 1).to_string())
        .env("_CLAP_IFS", "\n")
        .status(0);
    out.stdout.lines().map(str::to_owned).collect()
}

fn ids_of(env: &Env, provider: &str) -> Vec<String> {
    let json = env.closeacct(&["checklist", "show", provider, "--format", "json"]).status(0).stdout;
    let checklist: serde_json::Value = serde_json::from_str(&json).unwrap();
    let stages = checklist["stages"].as_array().unwrap();
    stages.iter().flat_map(|s| s["steps"].as_array().unwrap()).map(|s| s["id"].as_str().unwrap().to_owned()).collect()
}

#[test]
fn provider_ids_come_from_the_checklists_there_are() {
    let env = Env::new();
    let dir = env.dir.path().join(".config/closeacct/checklists");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("small.toml"), SMALL).unwrap();

    assert_eq!(
        complete(&env, &["closeacct", "wizard", "--provider", "a"]),
        ["aws", "aws-root", "aws-org-member", "azure-subscription"]
    );
    assert_eq!(complete(&env, &["closeacct", "status", "-p", "s"]), ["small"], "the user's own checklist");
    assert_eq!(complete(&env, &["closeacct", "checklist", "show", "gcp"]), ["gcp-project", "gcp-billing"]);
    let all = complete(&env, &["closeacct", "report", "--provider", ""]);
    assert_eq!(all.len(), 8, "{all:?}");
    assert!(!all.iter().any(|id| id.contains(".toml")), "ids, not file names: {all:?}");
}

#[test]
fn accounts_come_from_the_runs_and_narrow_to_the_typed_provider() {
    let env = Env::new();
    assert!(complete(&env, &["closeacct", "status", "--account", ""]).is_empty(), "no runs, no accounts");
    env.closeacct(&["start", "--provider", "aws", "--account", "111122223333"]).status(0);
    env.closeacct(&["start", "--provider", "gcp-project", "--account", "billing-prod"]).status(0);
    env.closeacct(&["start", "--provider", "aws", "--account", "444455556666"]).status(0);

    assert_eq!(
        complete(&env, &["closeacct", "status", "--account", ""]),
        ["111122223333", "444455556666", "billing-prod"]
    );
    assert_eq!(
        complete(&env, &["closeacct", "confirm", "--provider", "aws", "--account", ""]),
        ["111122223333", "444455556666"]
    );
    assert_eq!(complete(&env, &["closeacct", "report", "-p", "gcp-project", "-a", ""]), ["billing-prod"]);
    assert_eq!(complete(&env, &["closeacct", "skip", "--provider=aws", "-a", "4"]), ["444455556666"]);
    let elsewhere = env.dir.path().join("elsewhere");
    assert!(
        complete(&env, &["closeacct", "status", "--state-dir", elsewhere.to_str().unwrap(), "--account", ""])
            .is_empty(),
        "--state-dir is honoured"
    );
}

#[test]
fn step_ids_come_from_the_typed_providers_checklist() {
    let env = Env::new();
    // At an empty word the flags are offered too.
    let steps = |line: &[&str]| complete(&env, line).into_iter().filter(|w| !w.starts_with('-')).collect::<Vec<_>>();
    assert_eq!(complete(&env, &["closeacct", "confirm", "--provider", "aws", "back"]), ["back-up-data"]);
    assert_eq!(steps(&["closeacct", "skip", "-p", "centurylink", ""]), ids_of(&env, "centurylink"));
    assert_eq!(complete(&env, &["closeacct", "wait", "-p", "aws", "-a", "1", "final"]), ["final-charges"]);
    let small = env.write("small.toml", SMALL);
    let from_file = steps(&["closeacct", "confirm", "--checklist", small.to_str().unwrap(), ""]);
    assert_eq!(from_file.len(), 5, "{from_file:?}");
    assert!(steps(&["closeacct", "confirm", ""]).is_empty(), "no provider, no steps");
}

/// The script `completions bash` prints, loaded in bash and run as bash runs it on <Tab>.
#[test]
fn the_bash_script_offers_them_at_a_tab() {
    let env = Env::new();
    env.closeacct(&["start", "--provider", "aws", "--account", "111122223333"]).status(0);
    let script = env.closeacct(&["completions", "bash"]).status(0).stdout;
    assert!(script.contains("COMPLETE=\"bash\"") && script.contains(bin()), "{script}");
    let registration = env.closeacct(&[]).env("COMPLETE", "bash").status(0).stdout;
    assert_eq!(script, registration, "`completions bash` is the script `COMPLETE=bash closeacct` prints");

    let bin_dir = Path::new(bin()).parent().unwrap();
    let tab = |words: &str| {
        let program = format!(
            "source <(closeacct completions bash)\n\
             COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1))\n\
             _clap_complete_closeacct closeacct \"${{COMP_WORDS[COMP_CWORD]}}\" closeacct\n\
             printf '%s\\n' \"${{COMPREPLY[@]}}\""
        );
        let out = env
            .std_cmd("bash")
            .args(["-c", &program])
            .env("PATH", format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default()))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().lines().filter(|l| !l.is_empty()).map(str::to_owned).collect::<Vec<_>>()
    };
    assert_eq!(tab("closeacct wizard --provider gcp-"), ["gcp-project", "gcp-billing"]);
    assert_eq!(tab("closeacct confirm -p aws -a ''"), ["111122223333"]);
    assert_eq!(tab("closeacct confirm -p aws root"), ["root-user-access"]);

    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let script = env.closeacct(&["completions", shell]).status(0).stdout;
        assert!(script.contains("COMPLETE") && script.contains(bin()), "{shell}: {script}");
    }
}
