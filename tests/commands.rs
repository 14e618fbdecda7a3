//! The scripted commands: start, answer, confirm, skip, status --check, and their refusals.

use crate::common::{Env, SMALL, Small};

#[test]
fn a_scripted_run_goes_from_start_to_complete() {
    let s = Small::new();
    let stderr = s.closeacct("start", &["--fact", "org=no"]).status(0).stderr;
    assert!(stderr.contains("Started run small/acct-1"), "{stderr}");
    s.closeacct("confirm", &["backup", "--note", "copied to s3://backups/2026"]).status(0);
    s.closeacct("confirm", &["2.1", "--evidence", "CS-2026-11-0042"]).status(0);
    s.closeacct("confirm", &["close-account", "--attest", "acct-1"]).status(0);
    s.closeacct("status", &["--check"]).status(3);
    let stderr = s.closeacct("confirm", &["confirmation"]).status(0).stderr;
    assert!(stderr.contains("Checklist complete: 4 done, 0 skipped, 1 not applicable."), "{stderr}");
    s.closeacct("status", &["--check"]).status(0);
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
    s.closeacct("start", &["--fact", "org=no"]).status(0);
    s.closeacct("confirm", &["backup"]).status(0);
    std::fs::remove_file(&s.file).unwrap();
    let overview = s.env.closeacct(&["status"]).status(0).stdout;
    let row = overview.lines().nth(1).expect("a row for the run");
    assert!(row.starts_with("small") && row.contains("acct-1") && row.contains("1/4"), "{overview}");
    assert!(row.ends_with("2.1 ticket"), "{overview}");
    let json = s.env.closeacct(&["status", "--format", "json"]).status(0).stdout;
    let runs: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(runs[0]["counts"]["done"], 1, "{runs}");
    assert_eq!(runs[0]["pending_checklist_changes"], serde_json::json!([]));
}

#[test]
fn out_of_order_and_inapplicable_steps_are_refused_with_the_reason() {
    let s = Small::new();
    s.closeacct("start", &[]).status(0);
    let stderr = s.closeacct("confirm", &["remove-members"]).status(2).stderr;
    assert!(stderr.contains("depends on fact `org`, which has no answer yet"), "{stderr}");
    let stderr = s.closeacct("confirm", &["ticket", "--evidence", "T-1"]).status(2).stderr;
    assert_eq!(stderr, "closeacct: step 2.1 `ticket` must wait for 1.1 `backup`: resolve it first\n");
    s.closeacct("answer", &["org", "no"]).status(0);
    let stderr = s.closeacct("confirm", &["remove-members"]).status(2).stderr;
    assert!(stderr.contains("does not apply to this account: it needs `org`"), "{stderr}");
    assert!(stderr.contains("org = no"), "{stderr}");
    let before = s.log();
    s.closeacct("skip", &["remove-members", "--reason", "n/a"]).status(2);
    assert_eq!(s.log(), before, "a refusal writes nothing");
}

#[test]
fn attest_and_evidence_steps_need_their_input() {
    let s = Small::new();
    s.closeacct("start", &["--fact", "org=yes"]).status(0);
    s.closeacct("confirm", &["backup"]).status(0);
    let stderr = s.closeacct("confirm", &["ticket"]).status(2).stderr;
    assert!(stderr.contains("needs evidence: --evidence \"Ticket number\""), "{stderr}");
    s.closeacct("confirm", &["ticket", "--evidence", "   "]).status(2);
    s.closeacct("confirm", &["ticket", "--evidence", "T-77"]).status(0);
    let stderr = s.closeacct("confirm", &["close-account"]).status(2).stderr;
    assert!(stderr.contains("cannot be undone; confirm it with --attest acct-1"), "{stderr}");
    let stderr = s.closeacct("confirm", &["close-account", "--attest", "acct-2"]).status(2).stderr;
    assert!(stderr.contains("--attest must be exactly the account `acct-1`"), "{stderr}");
    s.closeacct("confirm", &["close-account", "--attest", "acct-1"]).status(0);
}

#[test]
fn confirming_again_adds_to_the_record_and_skipping_a_done_step_is_refused() {
    let s = Small::new();
    s.closeacct("start", &[]).status(0);
    s.closeacct("confirm", &["backup", "--note", "first"]).status(0);
    let before = s.log();
    s.closeacct("confirm", &["backup", "--note", "second"]).status(0);
    let after = s.log();
    assert!(after.starts_with(&before), "earlier lines are never rewritten");
    assert!(after[before.len()..].contains("\"note\":\"second\""));
    let stderr = s.closeacct("skip", &["backup", "--reason", "changed my mind"]).status(2).stderr;
    assert!(stderr.contains("already done"), "{stderr}");
    s.closeacct("skip", &["backup", "--reason", "  "]).status(2);
}

#[test]
fn facts_take_yes_no_true_false_and_nothing_else() {
    let s = Small::new();
    let stderr = s.closeacct("start", &["--fact", "org=maybe"]).status(2).stderr;
    assert_eq!(stderr, "closeacct: `maybe` is not an answer to fact `org` (accepted: yes, no, true, false)\n");
    assert!(!s.env.log("small", "acct-1").exists(), "a bad --fact starts nothing");
    s.closeacct("start", &["--fact", "org=TRUE"]).status(0);
    let stderr = s.closeacct("answer", &["colour", "red"]).status(2).stderr;
    assert!(stderr.contains("unknown fact `colour`"), "{stderr}");
    s.closeacct("answer", &["org", "false"]).status(0);
    let stderr = s.closeacct("start", &["--fact", "org=yes"]).status(0).stderr;
    assert!(stderr.contains("already exists"), "{stderr}");
    assert_eq!(s.log().matches("fact_answered").count(), 3);
}

#[test]
fn unknown_steps_name_the_close_matches() {
    let s = Small::new();
    s.closeacct("start", &[]).status(0);
    let stderr = s.closeacct("confirm", &["backpu"]).status(2).stderr;
    assert!(stderr.contains("unknown step `backpu`") && stderr.contains("did you mean `backup`"), "{stderr}");
}

#[test]
fn bad_accounts_are_refused_before_anything_is_written() {
    let env = Env::new();
    for account in ["..", "../../etc", "a/b", "a b", "x\u{7}", &"a".repeat(65), "-rf", ""] {
        let stderr = env.closeacct(&["start", "--provider", "aws", &format!("--account={account}")]).status(2).stderr;
        assert!(stderr.starts_with("closeacct: "), "{account:?}: {stderr}");
    }
    assert!(!env.state().join("runs").exists(), "nothing was created");
}

#[test]
fn commands_without_a_run_exit_66_and_say_how_to_start() {
    let env = Env::new();
    let stderr = env.closeacct(&["confirm", "--provider", "aws", "--account", "111122223333", "x"]).status(2).stderr;
    assert!(stderr.contains("unknown step"), "{stderr}");
    let stderr = env.closeacct(&["report", "--provider", "aws", "--account", "111122223333"]).status(66).stderr;
    assert!(stderr.contains("no run for aws/111122223333"), "{stderr}");
    env.closeacct(&["status"]).status(66);
    env.closeacct(&["verify", "--provider", "aws"]).status(66);
}

#[test]
fn account_may_be_left_out_when_the_provider_has_one_run() {
    let s = Small::new();
    s.closeacct("start", &[]).status(0);
    s.env.closeacct(&["confirm", "--checklist", &s.file, "backup"]).status(0);
    s.env.closeacct(&["start", "--checklist", &s.file, "--account", "acct-2"]).status(0);
    let stderr = s.env.closeacct(&["confirm", "--checklist", &s.file, "backup"]).status(2).stderr;
    assert!(stderr.contains("has 2 runs (acct-1, acct-2); say which with --account"), "{stderr}");
}

#[test]
fn secrets_in_notes_are_refused_with_exit_65_and_never_written_or_echoed() {
    let s = Small::new();
    s.closeacct("start", &[]).status(0);
    let before = s.log();
    let secret = "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";
    let stderr = s.closeacct("confirm", &["backup", "--note", secret]).status(65).stderr;
    assert!(stderr.contains("refusing to record the note for step `backup`"), "{stderr}");
    assert!(!stderr.contains("wJalr"), "the secret is not echoed: {stderr}");
    s.closeacct("skip", &["backup", "--reason", "key AKIAQWERTYUIOPASDFGH is ours"]).status(65);
    assert_eq!(s.log(), before);
}

#[test]
fn a_changed_checklist_needs_consent() {
    let s = Small::new();
    s.closeacct("start", &[]).status(0);
    std::fs::write(
        &s.file,
        SMALL
            .replace("title = \"Back up the data\"", "title = \"Back up all data\"")
            .replace("version = 1", "version = 2"),
    )
    .unwrap();
    let stderr = s.closeacct("confirm", &["backup"]).status(5).stderr;
    assert!(stderr.contains("version 1 → 2; step 1.1 `backup` changed: title"), "{stderr}");
    assert!(stderr.contains("--accept-changes"), "{stderr}");
    let status = s.closeacct("status", &[]).status(0).stdout;
    assert!(status.contains("checklist changed since the run began"), "{status}");
    s.closeacct("confirm", &["backup", "--accept-changes"]).status(0);
    assert!(s.log().contains("\"event\":\"checklist_accepted\""));
    s.closeacct("confirm", &["ticket", "--evidence", "T-1"]).status(0);
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
