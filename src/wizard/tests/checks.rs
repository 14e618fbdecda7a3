//! A step's check in the walk: run only with consent, each time, and explained when it cannot run.

use super::*;

/// A checklist whose first step, an evidence step, has a check over two regions: while the file
/// `left` exists, the first region prints what it holds and removes it, so the next run passes.
fn checked(dir: &Path) -> Loaded {
    let left = dir.join("left");
    std::fs::write(&left, "i-0abc\ti-0def\n").unwrap();
    let text = format!(
        r#"id = "checked"
name = "Checked"
version = 1
[source]
title = "s"
publisher = "p"
[[facts]]
id = "org"
question = "Is {{account}} an organization's management account?"
[[stages]]
id = "a"
title = "A"
[[stages.steps]]
id = "instances"
title = "Terminate the instances"
detail = "Every one, in every region."
actor = "customer"
kind = "evidence"
evidence = "What was terminated"
[stages.steps.check]
summary = "No instance left in {{account}}"
foreach = {{ region = ["echo", "eu-west-1 us-east-1"] }}
run = ["sh", "-c", "if [ $1 = eu-west-1 ] && [ -e {left} ]; then cat {left}; rm {left}; fi", "sh", "{{region}}"]
expect = "empty"
[[stages.steps]]
id = "after"
title = "Afterwards"
detail = "d"
actor = "customer"
kind = "confirm"
"#,
        left = left.display()
    );
    Loaded::parse(&text, "checked.toml").unwrap()
}

#[test]
fn a_check_runs_only_with_consent_each_time_and_a_passing_run_confirms_the_step() {
    let dir = tempfile::tempdir().unwrap();
    let session = session(dir.path(), checked(dir.path()));
    let mut p =
        Scripted::new(&["n", "Run the check", "n", "Run the check", "y", "Run the check", "y", "y", "Save and quit"]);
    assert_eq!(run(&session, &options("acct-1"), &mut p).unwrap(), Outcome::Saved, "{:#?}", p.transcript);
    let text = p.transcript.join("\n");

    // The step shows what its check runs, the variable open until its words are known.
    assert!(text.contains("    1. No instance left in acct-1\n"), "{text}");
    assert!(text.contains("       $ echo 'eu-west-1 us-east-1'\n"), "{text}");
    assert!(text.contains(" sh {region}   (for each {region})\n"), "{text}");
    let asked: Vec<&String> = p.transcript.iter().filter(|l| l.starts_with("? Run the check's")).collect();
    assert_eq!(asked.len(), 3, "consent is asked every time: {text}");
    let refused = text.find("  Nothing was run.").expect("a refusal runs nothing");
    assert!(!text[..refused].contains("running:"), "{text}");
    // The first run finds what is left, item by item, and goes back to the menu.
    assert!(
        text.contains("  check 1/1 found work left: No instance left in acct-1\n    ✘ eu-west-1: i-0abc, i-0def"),
        "{text}"
    );
    assert!(
        text.contains("running: eu-west-1 · ") || text.contains("running: us-east-1 · "),
        "progress is shown: {text}"
    );
    assert!(text.contains("  check 1/1 passed: No instance left in acct-1"), "{text}");
    assert!(text.contains("? Mark step 1.1 done, with its checks as the evidence? › y"), "{text}");

    let log = std::fs::read_to_string(session.state.run_dir("checked", "acct-1").join(EVENTS_FILE)).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    let events: Vec<Value> = lines.iter().map(|l| serde_json::from_str(l).unwrap()).collect();
    let kinds: Vec<&str> = events.iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["run_started", "fact_answered", "check_ran", "check_ran", "step_done"]);
    assert_eq!(
        (events[2]["result"]["passed"].as_bool(), events[3]["result"]["passed"].as_bool()),
        (Some(false), Some(true))
    );
    assert_eq!(events[2]["result"]["items"][0]["left"], serde_json::json!(["i-0abc", "i-0def"]));
    // The step is done with the passing run as its evidence: its seq and its line's sha256.
    let done = &events[4];
    assert_eq!(done["step"], "instances");
    assert!(done.get("evidence").is_none(), "{done}");
    assert_eq!(
        done["checks"],
        serde_json::json!([{ "seq": 4, "sha256": crate::digest::sha256_hex(lines[3].as_bytes()) }])
    );
}

#[test]
fn a_check_whose_program_is_missing_is_explained_and_the_menu_comes_back() {
    let dir = tempfile::tempdir().unwrap();
    let text =
        checked(dir.path()).text.replace("run = [\"sh\", \"-c\"", "run = [\"closeacct-no-such-program\", \"-c\"");
    let session = session(dir.path(), Loaded::parse(&text, "checked.toml").unwrap());
    let mut p = Scripted::new(&["n", "Run the check", "y", "Save and quit"]);
    assert_eq!(run(&session, &options("acct-1"), &mut p).unwrap(), Outcome::Saved);
    let text = p.transcript.join("\n");
    assert!(text.contains("  ✘ cannot run `closeacct-no-such-program`: it is not installed, or not on\n"), "{text}");
    assert!(text.contains("    install `closeacct-no-such-program` or put it on PATH"), "{text}");
    assert!(
        text.ends_with("Resume with: closeacct wizard --provider checked --account acct-1 --checklist checked.toml")
    );
    let kinds: Vec<Value> = events(&session, "acct-1").iter().map(|e| e["event"].clone()).collect();
    assert_eq!(kinds, ["run_started", "fact_answered"], "nothing is recorded");
}
