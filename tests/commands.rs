//! The scripted commands: start, answer, confirm, skip, status --check, and their refusals.

use crate::common::{Env, SMALL, Small};

#[test]
fn a_scripted_run_goes_from_start_to_complete() {
    let s = Small::new();
    let (_, stderr) = s.expect("start", &["--fact", "org=no"], 0);
    assert!(stderr.contains("Started run small/acct-1"), "{stderr}");
    s.expect("confirm", &["backup", "--note", "copied to s3://backups/2026"], 0);
    s.expect("confirm", &["2.1", "--evidence", "CS-2026-11-0042"], 0);
    s.expect("confirm", &["close-account", "--attest", "acct-1"], 0);
    s.expect("status", &["--check"], 3);
    let (_, stderr) = s.expect("confirm", &["confirmation"], 0);
    assert!(stderr.contains("Checklist complete: 4 done, 0 skipped, 1 not applicable."), "{stderr}");
    s.expect("status", &["--check"], 0);
    let events: Vec<serde_json::Value> = s.log().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let kinds: Vec<&str> = events.iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["run_started", "fact_answered", "step_done", "step_done", "step_done", "step_done", "run_completed"]
    );
    assert!(events.iter().all(|e| e["by"] == "ana" && e["at"] == "2026-11-24T13:40:00Z"));
    assert_eq!(events[3]["evidence"], "CS-2026-11-0042");
    assert_eq!(events[4]["attested"], "acct-1");
}

/// A run started from a checklist file is read without `--checklist` too, against the copy of
/// the checklist pinned in its directory, and the file itself may be gone.
#[test]
fn status_reads_a_run_from_a_checklist_file_against_its_pinned_copy() {
    let s = Small::new();
    s.expect("start", &["--fact", "org=no"], 0);
    s.expect("confirm", &["backup"], 0);
    std::fs::remove_file(&s.file).unwrap();
    let (overview, _) = s.env.expect(&["status"], 0);
    let row = overview.lines().nth(1).expect("a row for the run");
    assert!(row.starts_with("small") && row.contains("acct-1") && row.contains("1/4"), "{overview}");
    assert!(row.ends_with("2.1 ticket"), "{overview}");
    let (json, _) = s.env.expect(&["status", "--format", "json"], 0);
    let runs: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(runs[0]["counts"]["done"], 1, "{runs}");
    assert_eq!(runs[0]["pending_checklist_changes"], serde_json::json!([]));
}

#[test]
fn out_of_order_and_inapplicable_steps_are_refused_with_the_reason() {
    let s = Small::new();
    s.expect("start", &[], 0);
    let (_, stderr) = s.expect("confirm", &["remove-members"], 2);
    assert!(stderr.contains("depends on fact `org`, which has no answer yet"), "{stderr}");
    let (_, stderr) = s.expect("confirm", &["ticket", "--evidence", "T-1"], 2);
    assert_eq!(stderr, "closeacct: step 2.1 `ticket` must wait for 1.1 `backup`: resolve it first\n");
    s.expect("answer", &["org", "no"], 0);
    let (_, stderr) = s.expect("confirm", &["remove-members"], 2);
    assert!(stderr.contains("does not apply to this account: it needs `org`"), "{stderr}");
    assert!(stderr.contains("org = no"), "{stderr}");
    let before = s.log();
    s.expect("skip", &["remove-members", "--reason", "n/a"], 2);
    assert_eq!(s.log(), before, "a refusal writes nothing");
}

#[test]
fn attest_and_evidence_steps_need_their_input() {
    let s = Small::new();
    s.expect("start", &["--fact", "org=yes"], 0);
    s.expect("confirm", &["backup"], 0);
    let (_, stderr) = s.expect("confirm", &["ticket"], 2);
    assert!(stderr.contains("needs evidence: --evidence \"Ticket number\""), "{stderr}");
    s.expect("confirm", &["ticket", "--evidence", "   "], 2);
    s.expect("confirm", &["ticket", "--evidence", "T-77"], 0);
    let (_, stderr) = s.expect("confirm", &["close-account"], 2);
    assert!(stderr.contains("cannot be undone; confirm it with --attest acct-1"), "{stderr}");
    let (_, stderr) = s.expect("confirm", &["close-account", "--attest", "acct-2"], 2);
    assert!(stderr.contains("--attest must be exactly the account `acct-1`"), "{stderr}");
    s.expect("confirm", &["close-account", "--attest", "acct-1"], 0);
}

#[test]
fn confirming_again_adds_to_the_record_and_skipping_a_done_step_is_refused() {
    let s = Small::new();
    s.expect("start", &[], 0);
    s.expect("confirm", &["backup", "--note", "first"], 0);
    let before = s.log();
    s.expect("confirm", &["backup", "--note", "second"], 0);
    let after = s.log();
    assert!(after.starts_with(&before), "earlier lines are never rewritten");
    assert!(after[before.len()..].contains("\"note\":\"second\""));
    let (_, stderr) = s.expect("skip", &["backup", "--reason", "changed my mind"], 2);
    assert!(stderr.contains("already done"), "{stderr}");
    s.expect("skip", &["backup", "--reason", "  "], 2);
}

#[test]
fn facts_take_yes_no_true_false_and_nothing_else() {
    let s = Small::new();
    let (_, stderr) = s.expect("start", &["--fact", "org=maybe"], 2);
    assert_eq!(stderr, "closeacct: `maybe` is not an answer to fact `org` (accepted: yes, no, true, false)\n");
    assert!(!s.env.log("small", "acct-1").exists(), "a bad --fact starts nothing");
    s.expect("start", &["--fact", "org=TRUE"], 0);
    let (_, stderr) = s.expect("answer", &["colour", "red"], 2);
    assert!(stderr.contains("unknown fact `colour`"), "{stderr}");
    s.expect("answer", &["org", "false"], 0);
    let (_, stderr) = s.expect("start", &["--fact", "org=yes"], 0);
    assert!(stderr.contains("already exists"), "{stderr}");
    assert_eq!(s.log().matches("fact_answered").count(), 3);
}

#[test]
fn unknown_steps_name_the_close_matches() {
    let s = Small::new();
    s.expect("start", &[], 0);
    let (_, stderr) = s.expect("confirm", &["backpu"], 2);
    assert!(stderr.contains("unknown step `backpu`") && stderr.contains("did you mean `backup`"), "{stderr}");
}

#[test]
fn bad_accounts_are_refused_before_anything_is_written() {
    let env = Env::new();
    for account in ["..", "../../etc", "a/b", "a b", "x\u{7}", &"a".repeat(65), "-rf", ""] {
        let (_, stderr) = env.expect(&["start", "--provider", "aws", &format!("--account={account}")], 2);
        assert!(stderr.starts_with("closeacct: "), "{account:?}: {stderr}");
    }
    assert!(!env.state().join("runs").exists(), "nothing was created");
}

#[test]
fn commands_without_a_run_exit_66_and_say_how_to_start() {
    let env = Env::new();
    let (_, stderr) = env.expect(&["confirm", "--provider", "aws", "--account", "111122223333", "x"], 2);
    assert!(stderr.contains("unknown step"), "{stderr}");
    let (_, stderr) = env.expect(&["report", "--provider", "aws", "--account", "111122223333"], 66);
    assert!(stderr.contains("no run for aws/111122223333"), "{stderr}");
    env.expect(&["status"], 66);
    env.expect(&["verify", "--provider", "aws"], 66);
}

#[test]
fn account_may_be_left_out_when_the_provider_has_one_run() {
    let s = Small::new();
    s.expect("start", &[], 0);
    s.env.expect(&["confirm", "--checklist", &s.file, "backup"], 0);
    s.env.expect(&["start", "--checklist", &s.file, "--account", "acct-2"], 0);
    let (_, stderr) = s.env.expect(&["confirm", "--checklist", &s.file, "backup"], 2);
    assert!(stderr.contains("has 2 runs (acct-1, acct-2); say which with --account"), "{stderr}");
}

#[test]
fn secrets_in_notes_are_refused_with_exit_65_and_never_written_or_echoed() {
    let s = Small::new();
    s.expect("start", &[], 0);
    let before = s.log();
    let secret = "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";
    let (_, stderr) = s.expect("confirm", &["backup", "--note", secret], 65);
    assert!(stderr.contains("refusing to record the note for step `backup`"), "{stderr}");
    assert!(!stderr.contains("wJalr"), "the secret is not echoed: {stderr}");
    s.expect("skip", &["backup", "--reason", "key AKIAQWERTYUIOPASDFGH is ours"], 65);
    assert_eq!(s.log(), before);
}

#[test]
fn a_changed_checklist_needs_consent() {
    let s = Small::new();
    s.expect("start", &[], 0);
    std::fs::write(
        &s.file,
        SMALL
            .replace("title = \"Back up the data\"", "title = \"Back up all data\"")
            .replace("version = 1", "version = 2"),
    )
    .unwrap();
    let (_, stderr) = s.expect("confirm", &["backup"], 5);
    assert!(stderr.contains("version 1 → 2; step 1.1 `backup` changed: title"), "{stderr}");
    assert!(stderr.contains("--accept-changes"), "{stderr}");
    let (status, _) = s.expect("status", &[], 0);
    assert!(status.contains("checklist changed since the run began"), "{status}");
    s.expect("confirm", &["backup", "--accept-changes"], 0);
    assert!(s.log().contains("\"event\":\"checklist_accepted\""));
    s.expect("confirm", &["ticket", "--evidence", "T-1"], 0);
}

#[test]
fn run_can_be_called_twice_in_one_process() {
    let env = Env::new();
    for _ in 0..2 {
        let code = closeacct::run(["closeacct", "checklist", "validate", "/no/such/file"].map(Into::into));
        assert_eq!(code, std::process::ExitCode::from(66));
    }
    drop(env);
}
