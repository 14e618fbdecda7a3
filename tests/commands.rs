//! The scripted commands: start, answer, confirm, skip, status --check, and their refusals.

use crate::common::{Env, SMALL, Small};

#[test]
fn a_scripted_run_goes_from_start_to_complete() {
    let s = Small::new();
    insta::assert_snapshot!(s.closeacct("start", &["--fact", "org=no"]).output().snapshot(), @"
    ------- stderr -------
    Started run small/acct-1 in $TEST_ENV/state/runs/small/acct-1
    ✔ recorded org = no (seq 2)
    0/4 resolved. Next: step 1.1 `backup` Back up the data
    [exit status: 0]
    ");
    s.closeacct("confirm", &["backup", "--note", "copied to s3://backups/2026"]).status(0);
    s.closeacct("confirm", &["2.1", "--evidence", "CS-2026-11-0042"]).status(0);
    s.closeacct("confirm", &["close-account", "--attest", "acct-1"]).status(0);
    s.closeacct("status", &["--check"]).status(3);
    insta::assert_snapshot!(s.closeacct("confirm", &["confirmation"]).output().snapshot(), @"
    ------- stderr -------
    ✔ recorded step 2.3 `confirmation` done (seq 6)
    Checklist complete: 4 done, 0 skipped, 1 not applicable.
    [exit status: 0]
    ");
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
    insta::assert_snapshot!(s.closeacct("confirm", &["remove-members"]).output().snapshot(), @"
    ------- stderr -------
    closeacct: step 1.2 `remove-members` depends on fact `org`, which has no answer yet; answer it first: closeacct answer --provider small --account acct-1 org VALUE
    [exit status: 2]
    ");
    insta::assert_snapshot!(s.closeacct("confirm", &["ticket", "--evidence", "T-1"]).output().snapshot(), @"
    ------- stderr -------
    closeacct: step 2.1 `ticket` must wait for 1.1 `backup`: resolve it first
    [exit status: 2]
    ");
    s.closeacct("answer", &["org", "no"]).status(0);
    insta::assert_snapshot!(s.closeacct("confirm", &["remove-members"]).output().snapshot(), @"
    ------- stderr -------
    closeacct: step 1.2 `remove-members` does not apply to this account: it needs `org`, and the facts answered rule it out (org = no)
    [exit status: 2]
    ");
    let before = s.log();
    s.closeacct("skip", &["remove-members", "--reason", "n/a"]).status(2);
    assert_eq!(s.log(), before, "a refusal writes nothing");
}

#[test]
fn attest_and_evidence_steps_need_their_input() {
    let s = Small::new();
    s.closeacct("start", &["--fact", "org=yes"]).status(0);
    s.closeacct("confirm", &["backup"]).status(0);
    insta::assert_snapshot!(s.closeacct("confirm", &["ticket"]).output().snapshot(), @r#"
    ------- stderr -------
    closeacct: step 2.1 `ticket` needs evidence: --evidence "Ticket number"
    [exit status: 2]
    "#);
    insta::assert_snapshot!(s.closeacct("confirm", &["ticket", "--evidence", "   "]).output().snapshot(), @r#"
    ------- stderr -------
    closeacct: step 2.1 `ticket` needs evidence: --evidence "Ticket number"
    [exit status: 2]
    "#);
    s.closeacct("confirm", &["ticket", "--evidence", "T-77"]).status(0);
    insta::assert_snapshot!(s.closeacct("confirm", &["close-account"]).output().snapshot(), @"
    ------- stderr -------
    closeacct: step 2.2 `close-account` cannot be undone; confirm it with --attest acct-1
    [exit status: 2]
    ");
    insta::assert_snapshot!(s.closeacct("confirm", &["close-account", "--attest", "acct-2"]).output().snapshot(), @"
    ------- stderr -------
    closeacct: step 2.2 `close-account` cannot be undone; --attest must be exactly the account `acct-1`
    [exit status: 2]
    ");
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
    insta::assert_snapshot!(s.closeacct("skip", &["backup", "--reason", "changed my mind"]).output().snapshot(), @"
    ------- stderr -------
    closeacct: step 1.1 `backup` is already done; a done step cannot be skipped
    [exit status: 2]
    ");
    insta::assert_snapshot!(s.closeacct("skip", &["backup", "--reason", "  "]).output().snapshot(), @"
    ------- stderr -------
    closeacct: --reason must say why the step is skipped
    [exit status: 2]
    ");
}

#[test]
fn facts_take_yes_no_true_false_and_nothing_else() {
    let s = Small::new();
    insta::assert_snapshot!(s.closeacct("start", &["--fact", "org=maybe"]).output().snapshot(), @"
    ------- stderr -------
    closeacct: `maybe` is not an answer to fact `org` (accepted: yes, no, true, false)
    [exit status: 2]
    ");
    assert!(!s.env.log("small", "acct-1").exists(), "a bad --fact starts nothing");
    s.closeacct("start", &["--fact", "org=TRUE"]).status(0);
    insta::assert_snapshot!(s.closeacct("answer", &["colour", "red"]).output().snapshot(), @"
    ------- stderr -------
    closeacct: unknown fact `colour` in checklist `small` (facts: org)
    [exit status: 2]
    ");
    s.closeacct("answer", &["org", "false"]).status(0);
    insta::assert_snapshot!(s.closeacct("start", &["--fact", "org=yes"]).output().snapshot(), @"
    ------- stderr -------
    A run for small/acct-1 already exists in $TEST_ENV/state/runs/small/acct-1; recording the facts given.
    ✔ recorded org = yes (seq 4)
    0/5 resolved. Next: step 1.1 `backup` Back up the data
    [exit status: 0]
    ");
    assert_eq!(s.log().matches("fact_answered").count(), 3);
}

#[test]
fn unknown_steps_name_the_close_matches() {
    let s = Small::new();
    s.closeacct("start", &[]).status(0);
    insta::assert_snapshot!(s.closeacct("confirm", &["backpu"]).output().snapshot(), @"
    ------- stderr -------
    closeacct: unknown step `backpu` in checklist `small`
    hint: did you mean `backup`? `closeacct checklist show small` lists the steps
    [exit status: 2]
    ");
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
    let confirm = env.closeacct(&["confirm", "--provider", "aws", "--account", "111122223333", "x"]).output();
    insta::assert_snapshot!(confirm.snapshot(), @"
    ------- stderr -------
    closeacct: unknown step `x` in checklist `aws`
    hint: `closeacct checklist show aws` lists the steps
    [exit status: 2]
    ");
    let report = env.closeacct(&["report", "--provider", "aws", "--account", "111122223333"]).output();
    insta::assert_snapshot!(report.snapshot(), @"
    ------- stderr -------
    closeacct: no run for aws/111122223333 in $TEST_ENV/state
    hint: start it with `closeacct wizard --provider aws --account 111122223333`
    [exit status: 66]
    ");
    insta::assert_snapshot!(env.closeacct(&["status"]).output().snapshot(), @"
    ------- stderr -------
    closeacct: no run for any provider/any account in $TEST_ENV/state
    hint: start one with `closeacct wizard --provider ID`
    [exit status: 66]
    ");
    insta::assert_snapshot!(env.closeacct(&["verify", "--provider", "aws"]).output().snapshot(), @"
    ------- stderr -------
    closeacct: no run for aws/any account in $TEST_ENV/state
    hint: start one with `closeacct wizard --provider aws` or `closeacct start`
    [exit status: 66]
    ");
}

#[test]
fn account_may_be_left_out_when_the_provider_has_one_run() {
    let s = Small::new();
    s.closeacct("start", &[]).status(0);
    s.env.closeacct(&["confirm", "--checklist", &s.file, "backup"]).status(0);
    s.env.closeacct(&["start", "--checklist", &s.file, "--account", "acct-2"]).status(0);
    insta::assert_snapshot!(s.env.closeacct(&["confirm", "--checklist", &s.file, "backup"]).output().snapshot(), @"
    ------- stderr -------
    closeacct: provider `small` has 2 runs (acct-1, acct-2); say which with --account
    [exit status: 2]
    ");
}

#[test]
fn secrets_in_notes_are_refused_with_exit_65_and_never_written_or_echoed() {
    let s = Small::new();
    s.closeacct("start", &[]).status(0);
    let before = s.log();
    let secret = "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";
    let out = s.closeacct("confirm", &["backup", "--note", secret]).output();
    assert!(!out.stderr.contains("wJalr"), "the secret is not echoed: {}", out.stderr);
    insta::assert_snapshot!(out.snapshot(), @"
    ------- stderr -------
    closeacct: refusing to record the note for step `backup`: it contains what looks like an AWS secret access key; record where the secret is kept, not the secret
    [exit status: 65]
    ");
    let out = s.closeacct("skip", &["backup", "--reason", "key AKIAQWERTYUIOPASDFGH is ours"]).output();
    insta::assert_snapshot!(out.snapshot(), @"
    ------- stderr -------
    closeacct: refusing to record the reason for skipping step `backup`: it contains what looks like an AWS access key ID; record where the secret is kept, not the secret
    [exit status: 65]
    ");
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
    insta::assert_snapshot!(s.closeacct("confirm", &["backup"]).output().snapshot(), @"
    ------- stderr -------
    closeacct: the checklist `small` changed since this run began (version 1 → 2; step 1.1 `backup` changed: title)
    hint: rerun with --accept-changes to go on with the new one
    [exit status: 5]
    ");
    insta::assert_snapshot!(s.closeacct("status", &[]).output().snapshot(), @"
    small/acct-1: in progress
      started        2026-11-24 13:40
      last activity  2026-11-24 13:40
      time zone      UTC (the run's)
      steps          0 of 5 resolved
                     0 done, 0 skipped, 0 waiting, 5 pending, 0 not applicable
      next           1.1 backup — Back up the data
      checklist changed since the run began: version 1 → 2
      checklist changed since the run began: step 1.1 `backup` changed: title
    ------- stderr -------
    [exit status: 0]
    ");
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

/// `--at`: a step recorded after the fact keeps both times; key dates count from when it
/// happened; a time in the future or before the run started is refused with nothing written.
#[test]
fn at_records_when_a_step_happened_beside_when_it_was_recorded() {
    let s = Small::new();
    s.closeacct("start", &["--fact", "org=no"]).now("2026-11-20T08:00:00Z").tz("Europe/Paris").status(0);
    let at = |step: &str, rest: &[&str], when: &str| {
        s.closeacct("confirm", &[step]).args(rest).args(&["--at", when]).tz("Europe/Paris")
    };
    let before = s.log();
    for (when, message) in [
        ("today 14:50", "2026-11-24 14:50 is in the future (it is now 2026-11-24 14:40)"),
        ("2026-11-20 08:59", "2026-11-20 08:59 is before the run started (2026-11-20 09:00)"),
        ("last tuesday", "`last tuesday` is not a time; write 2026-11-20T16:10+01:00"),
        ("2026-11-21", "`2026-11-21` is not a time"),
    ] {
        let out = at("backup", &[], when).status(2);
        assert!(out.stderr.contains(message), "{when}: {}", out.stderr);
    }
    assert_eq!(s.log(), before, "nothing is written when --at is refused");

    at("backup", &[], "yesterday 10:00").status(0);
    let out = at("backup", &["--note", "again"], "today 11:00").status(2);
    assert!(out.stderr.contains("already done; --at cannot change when it happened"), "{}", out.stderr);
    s.closeacct("skip", &["ticket", "--reason", "by phone", "--at", "2026-11-24T09:00:00Z"]).status(0);
    at("close-account", &["--attest", "acct-1"], "2026-11-22T16:10+01:00").status(0);
    // Nothing happens before what it requires: the confirmation cannot predate the closure.
    let before = s.log();
    for command in ["confirm", "wait"] {
        let rest: &[&str] = if command == "wait" { &["--on", "the vendor"] } else { &[] };
        let out =
            s.closeacct(command, &["confirmation", "--at", "2026-11-22 10:00"]).args(rest).tz("Europe/Paris").status(2);
        let says = "step 2.3 `confirmation` cannot have happened at 2026-11-22 10:00: it requires step 2.2 `close-account`, done at 2026-11-22 16:10";
        assert!(out.stderr.contains(says), "{command}: {}", out.stderr);
    }
    assert_eq!(s.log(), before, "nothing is written");

    let events: Vec<serde_json::Value> = s.log().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(events[2]["happened_at"], "2026-11-23T09:00:00Z");
    assert_eq!(events[2]["at"], "2026-11-24T13:40:00Z", "the time of recording is never backdated");
    assert_eq!(events[3]["happened_at"], "2026-11-24T09:00:00Z");
    assert_eq!(events[4]["happened_at"], "2026-11-22T15:10:00Z");

    let report = s.closeacct("report", &["--format", "json"]).status(0);
    let report: serde_json::Value = serde_json::from_str(&report.stdout).unwrap();
    let steps = report["stages"][1]["steps"].as_array().unwrap();
    let close = steps.iter().find(|st| st["id"] == "close-account").unwrap();
    assert_eq!(close["happened_at"], "2026-11-22T15:10:00Z");
    assert_eq!(close["at"], "2026-11-24T13:40:00Z");
    // 90 days from when the account was closed, not from when that was recorded.
    let dates = report["key_dates"].as_array().unwrap();
    let deleted = dates.iter().find(|d| d["text"] == "content is deleted").unwrap();
    assert_eq!(deleted["date"], "2027-02-20T15:10:00Z");
    let text = s.closeacct("report", &[]).status(0).stdout;
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.contains("2026-11-24T14:40:00+01:00 done by ana (happened 2026-11-22T16:10:00+01:00)"), "{text}");
}

/// `wait`: a wait step marked waiting from a script, as the wizard does; `confirm` closes it.
#[test]
fn wait_marks_a_wait_step_waiting_on_someone_and_confirm_closes_it() {
    let s = Small::new();
    s.closeacct("start", &["--fact", "org=no"]).status(0);
    let out = s.closeacct("wait", &["ticket", "--on", "support"]).status(2);
    assert!(out.stderr.contains("step 2.1 `ticket` is not a wait step"), "{}", out.stderr);
    let out = s.closeacct("wait", &["confirmation", "--on", "support"]).status(2);
    assert!(out.stderr.contains("must wait for 2.2 `close-account`"), "{}", out.stderr);
    s.closeacct("confirm", &["backup"]).status(0);
    s.closeacct("confirm", &["ticket", "--evidence", "CS-1"]).status(0);
    s.closeacct("confirm", &["close-account", "--attest", "acct-1"]).status(0);
    let out = s.closeacct("wait", &["confirmation", "--on", "  "]).status(2);
    assert!(out.stderr.contains("--on must say who the step waits on"), "{}", out.stderr);
    insta::assert_snapshot!(s.closeacct("wait", &["2.3", "--on", "Provider support", "--note", "asked in CS-1"]).output().snapshot(), @"
    ------- stderr -------
    ✔ recorded step 2.3 `confirmation` waiting on Provider support (seq 6)
    3/4 resolved. Next: step 2.3 `confirmation` The provider confirms
    [exit status: 0]
    ");
    let status = s.closeacct("status", &["--format", "json"]).status(0);
    let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(status["counts"]["waiting"], 1, "{status}");
    // Whom it waits on, as the operator named them, in every overview.
    let waiting = &status["waiting"][0];
    assert_eq!(
        (&waiting["id"], &waiting["on"], &waiting["waiting_on"]),
        (&"confirmation".into(), &"provider".into(), &"Provider support".into())
    );
    assert!(waiting["since"].is_string(), "{status}");
    let text = s.closeacct("status", &[]).status(0).stdout;
    assert!(text.contains("(Provider support,") && text.contains("since 2026-11-24 13:40)"), "{text}");
    let runs = s.env.closeacct(&["runs", "--format", "json"]).status(0).stdout;
    let runs: serde_json::Value = serde_json::from_str(&runs).unwrap();
    assert_eq!(runs["runs"][0]["waiting"][0]["waiting_on"], "Provider support");
    let all = s.env.closeacct(&["report", "--all"]).status(0).stdout;
    assert!(all.contains("2.3 (Provider support)"), "{all}");
    s.closeacct("confirm", &["confirmation"]).status(0);
    s.closeacct("status", &["--check"]).status(0);
    let out = s.closeacct("wait", &["confirmation", "--on", "support"]).status(2);
    assert!(out.stderr.contains("already resolved"), "{}", out.stderr);
    let last_wait = s
        .log()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|e| e["event"] == "step_waiting")
        .unwrap();
    assert_eq!((&last_wait["on"], &last_wait["note"]), (&"Provider support".into(), &"asked in CS-1".into()));
}
