//! A record an auditor can rely on: no output that destroys data, no tampering or mix-up that
//! goes unseen, no text that lies on a screen, no read without a bound, one truth after a failed
//! write. Each test runs the real binary.

use std::fs;
use std::time::{Duration, Instant};

use crate::common::{Env, Small};
use crate::durability::{ulimit_unit, with_file_size_limit};

#[test]
fn an_empty_state_dir_and_a_malformed_clock_are_refused_with_exit_2() {
    let env = Env::new();
    let out = env.closeacct(&["status"]).env("CLOSEACCT_STATE_DIR", "").output();
    insta::assert_snapshot!(out.snapshot(), @"
    ------- stderr -------
    closeacct: the state directory is empty (--state-dir or CLOSEACCT_STATE_DIR); give a directory or leave it unset
    [exit status: 2]
    ");
    let out = env.closeacct(&["providers"]).env("CLOSEACCT_NOW", "yesterday").output();
    insta::assert_snapshot!(out.snapshot(), @"
    ------- stderr -------
    closeacct: CLOSEACCT_NOW is `yesterday`, not an RFC 3339 time such as 2026-11-24T13:40:00Z
    [exit status: 2]
    ");
    let out = env.closeacct(&["providers"]).env("CLOSEACCT_NOW", "2026-13-45T99:00:00Z").output();
    assert_eq!(out.code, Some(2), "{}", out.snapshot());
}

/// A run of SMALL one step from complete, with a note on the first step padded by `pad` bytes.
fn one_step_from_complete(s: &Small, pad: usize) {
    s.closeacct("start", &["--fact", "org=no"]).status(0);
    let note = format!("copied{}", ".".repeat(pad));
    s.closeacct("confirm", &["backup", "--note", &note]).status(0);
    s.closeacct("confirm", &["ticket", "--evidence", "T-1"]).status(0);
    s.closeacct("confirm", &["close-account", "--attest", "acct-1"]).status(0);
}

/// When the disk fills after the last step is recorded but before the run's completion is, the
/// operator is told exactly that (exit 74), and the next command that writes records it.
#[test]
fn a_full_disk_between_the_last_step_and_the_completion_is_told_as_it_is_and_mended_next() {
    // Measure the lines the last confirmation writes, on a run with no limit.
    let probe = Small::new();
    one_step_from_complete(&probe, 0);
    let before = probe.log().len();
    probe.closeacct("confirm", &["confirmation"]).status(0);
    let lines: Vec<usize> = probe.log()[before..].lines().map(|l| l.len() + 1).collect();
    let [step_line, completed_line] = lines[..] else { panic!("two lines: {lines:?}") };

    // Pad the run so that the step's line ends exactly on a block of the file-size limit.
    let s = Small::new();
    let unit = usize::try_from(ulimit_unit(s.env.dir.path())).unwrap();
    let pad = (unit - (before + step_line) % unit) % unit;
    one_step_from_complete(&s, pad);
    let size = s.log().len();
    assert_eq!((size + step_line) % unit, 0, "padded to a block");
    assert!(completed_line < unit);
    let blocks = ((size + step_line) / unit) as u64;
    let args = ["confirm", "--checklist", &s.file, "--account", "acct-1", "confirmation"];
    let out = with_file_size_limit(&s.env, blocks, false, &args);
    assert_eq!(out.code, Some(74), "{}", out.snapshot());
    let stderr = out.stderr.replace(&s.env.dir.path().display().to_string(), "$TEST_ENV");
    insta::assert_snapshot!(stderr, @"
    ✔ recorded step 2.3 `confirmation` done (seq 6)
    closeacct: the run is complete, but recording that in `$TEST_ENV/state/runs/small/acct-1/events.jsonl` failed: File too large (os error 27); nothing was recorded
    hint: everything else is recorded; the next closeacct command that records anything records the completion
    ");
    let log = s.log();
    assert!(log.lines().last().unwrap().contains("\"event\":\"step_done\""), "the step is recorded: {log}");
    assert!(!log.contains("run_completed"), "the completion is not: {log}");
    s.closeacct("verify", &[]).status(0);

    // The next command that writes records the completion first.
    s.closeacct("confirm", &["confirmation", "--note", "the e-mail came at 14:10"]).status(0);
    let log = s.log();
    assert_eq!(log.matches("run_completed").count(), 1, "{log}");
    let kinds: Vec<&str> =
        log.lines().rev().take(2).map(|l| if l.contains("run_completed") { "c" } else { "n" }).collect();
    assert_eq!(kinds, ["n", "c"], "completion first, then the note: {log}");
}

/// Temporary files a killed closeacct left in a run's directory are removed by the next command
/// that writes there.
#[test]
fn stale_temporary_files_in_a_run_directory_are_cleaned_up_by_the_next_writer() {
    let s = Small::new();
    s.closeacct("start", &[]).status(0);
    let dir = s.env.run_dir("small", "acct-1");
    let stale = dir.join(".closeacct-Xq3Z9k");
    fs::write(&stale, "{\"v\":1,\"seq\":1").unwrap();
    s.closeacct("status", &[]).status(0);
    assert!(stale.exists(), "a read-only command touches nothing");
    s.closeacct("confirm", &["backup"]).status(0);
    assert!(!stale.exists(), "the writer removed it");

    // A start killed before its first line was linked into place leaves only a temporary file;
    // the next start cleans it up and starts the run.
    let other = s.env.run_dir("small", "acct-2");
    fs::create_dir_all(&other).unwrap();
    let orphan = other.join(".closeacct-Ab12Cd");
    fs::write(&orphan, "").unwrap();
    s.env.closeacct(&["start", "--checklist", &s.file, "--account", "acct-2"]).status(0);
    assert!(!orphan.exists());
    let names: Vec<String> =
        fs::read_dir(&other).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert!(names.iter().all(|n| !n.starts_with(".closeacct-")), "{names:?}");
}

/// A last line that is whole and in the chain but lacks only its newline (the crash came after
/// the line, before the newline) is kept: its newline is added, and its sequence number is never
/// handed out again.
#[test]
fn a_whole_last_line_missing_only_its_newline_is_kept_and_its_seq_not_reused() {
    let s = Small::new();
    s.closeacct("start", &["--fact", "org=no"]).status(0);
    s.closeacct("confirm", &["backup", "--note", "copied"]).status(0);
    let log = s.env.log("small", "acct-1");
    let whole = fs::read(&log).unwrap();
    fs::write(&log, &whole[..whole.len() - 1]).unwrap();
    let out = s.closeacct("verify", &[]).output();
    insta::assert_snapshot!(out.snapshot(), @"
    ok: $TEST_ENV/state/runs/small/acct-1/events.jsonl — 3 events, sequence 1..3 unbroken, head 3:1032d39fd76971d2fce3265432e89b2f60ed0e90fb3177edc2788a716324896b
    note: the last line lacks its newline (a crash after the line was written); it is whole and kept, and the next command that records adds the newline
    ------- stderr -------
    [exit status: 0]
    ");
    let out = s.closeacct("confirm", &["ticket", "--evidence", "T-1"]).output();
    insta::assert_snapshot!(out.snapshot(), @"
    ------- stderr -------
    closeacct: the last line of the log lacked its newline (a crash after the line was written); it is whole, so it is kept and the newline was added to events.jsonl
    ✔ recorded step 2.1 `ticket` done (seq 4)
    2/4 resolved. Next: step 2.2 `close-account` Close the account
    [exit status: 0]
    ");
    let after = fs::read_to_string(&log).unwrap();
    assert!(after.as_bytes().starts_with(&whole), "the acknowledged line is kept, newline and all");
    assert!(!s.env.run_dir("small", "acct-1").join("events.jsonl.torn").exists(), "nothing set aside");
    let seqs: Vec<u64> =
        after.lines().map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, [1, 2, 3, 4]);
}

/// A last line cut part-way after it was confirmed is not a crash's torn line: the writer's
/// checkpoint says it was recorded whole, so a writer refuses to set it aside (which would reuse
/// its sequence number) and changes nothing; a line torn by a crash, past the checkpoint, is still
/// set aside as before.
#[test]
fn a_confirmed_last_line_cut_short_is_damage_not_a_torn_line() {
    let s = Small::new();
    s.closeacct("start", &["--fact", "org=no"]).status(0);
    s.closeacct("confirm", &["backup", "--note", "copied"]).status(0);
    let log = s.env.log("small", "acct-1");
    let whole = fs::read(&log).unwrap();
    let cut = &whole[..whole.len() - 40];
    fs::write(&log, cut).unwrap();
    let out = s.closeacct("confirm", &["ticket", "--evidence", "T-1"]).output();
    assert_eq!(out.code, Some(65), "{}", out.snapshot());
    assert!(out.stderr.contains("line 3") && out.stderr.contains("recorded whole"), "{}", out.stderr);
    assert_eq!(fs::read(&log).unwrap(), cut, "nothing changed");
    assert!(!s.env.run_dir("small", "acct-1").join("events.jsonl.torn").exists());

    // Torn by a crash: bytes past the last confirmed line are set aside as ever.
    let torn = [&whole[..], b"{\"v\":1,\"seq\":4,\"pr"].concat();
    fs::write(&log, &torn).unwrap();
    // Until then, status and every report say it is there and not part of the record.
    let status = s.closeacct("status", &[]).status(0);
    assert!(status.stderr.contains("18 bytes of a line cut short by a crash"), "{}", status.stderr);
    assert!(s.closeacct("report", &[]).status(0).stdout.contains("Torn         18 bytes after the last line"));
    let markdown = s.closeacct("report", &["--format", "markdown"]).status(0).stdout;
    assert!(markdown.contains("- Torn: 18 bytes after the last line"), "{markdown}");
    let json = s.closeacct("report", &["--format", "json"]).status(0).stdout;
    assert_eq!(serde_json::from_str::<serde_json::Value>(&json).unwrap()["run"]["torn_bytes"], 18);
    s.closeacct("confirm", &["ticket", "--evidence", "T-1"]).status(0);
    let json = s.closeacct("report", &["--format", "json"]).status(0).stdout;
    assert_eq!(serde_json::from_str::<serde_json::Value>(&json).unwrap()["run"]["torn_bytes"], serde_json::Value::Null);
    assert!(s.env.run_dir("small", "acct-1").join("events.jsonl.torn").exists());
    assert!(fs::read(&log).unwrap().starts_with(&whole));
}

/// Every file the tool reads is checked first and read with a bound: a device, a huge file, a
/// `TZ` naming `/dev/zero`, a symbolic link planted for a checklist copy each end at once.
#[test]
fn reads_have_bounds_devices_huge_files_and_bad_zones_end_at_once() {
    let env = Env::new();
    let started = Instant::now();
    let out = env.closeacct(&["checklist", "validate", "/dev/zero"]).output();
    insta::assert_snapshot!(out.snapshot(), @"
    ------- stderr -------
    closeacct: /dev/zero: it is not a regular file
    [exit status: 65]
    ");
    let huge = env.dir.path().join("huge.toml");
    fs::File::create(&huge).unwrap().set_len(300 << 20).unwrap();
    let out = env.closeacct(&["checklist", "validate", huge.to_str().unwrap()]).output();
    insta::assert_snapshot!(out.snapshot(), @"
    ------- stderr -------
    closeacct: $TEST_ENV/huge.toml: it is larger than 4 MiB
    [exit status: 65]
    ");
    let start = ["start", "--provider", "aws", "--account", "111122223333", "--quiet"];
    let out = env.closeacct(&start).tz("/dev/zero").output();
    assert_eq!(out.code, Some(0));
    insta::assert_snapshot!(out.stderr, @"closeacct: warning: TZ=`/dev/zero` cannot be used (it is not a regular file); using UTC");
    let other = ["start", "--provider", "aws", "--account", "444455556666", "--quiet"];
    let out = env.closeacct(&other).tz("../../../../dev/zero").output();
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stderr.starts_with("closeacct: warning: TZ="), "{}", out.stderr);
    let log = fs::read_to_string(env.log("aws", "111122223333")).unwrap();
    assert!(log.contains("\"zone\":\"UTC\""), "the zone that was used is recorded: {log}");
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());

    // A run from a checklist file, whose pinned copy is swapped for a link.
    let s = Small::new();
    s.closeacct("start", &[]).status(0);
    let dir = s.env.run_dir("small", "acct-1");
    let pinned = pinned_copy(&dir);
    let elsewhere = s.env.write("elsewhere.toml", fs::read(&pinned).unwrap());
    fs::remove_file(&pinned).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &pinned).unwrap();
    fs::remove_file(&s.file).unwrap();
    let out = s.env.closeacct(&["status", "--provider", "small", "--account", "acct-1"]).output();
    assert_eq!(out.code, Some(65), "{}", out.snapshot());
    assert!(out.stderr.contains("symbolic link"), "{}", out.stderr);
}

/// The copy of the checklist a run is pinned to is checked against the sha256 the log recorded
/// whenever it is read: edited, it is damage (exit 65, naming the file), not the run's checklist.
#[test]
fn an_edited_pinned_checklist_copy_is_refused_naming_the_file() {
    let s = Small::new();
    s.closeacct("start", &["--fact", "org=no"]).status(0);
    let dir = s.env.run_dir("small", "acct-1");
    let pinned = pinned_copy(&dir);
    let edited =
        fs::read_to_string(&pinned).unwrap().replace("title = \"Back up the data\"", "title = \"Nothing to do\"");
    fs::write(&pinned, edited).unwrap();
    fs::remove_file(&s.file).unwrap();
    let before = s.log();
    for args in [
        &["status"][..],
        &["status", "--provider", "small", "--account", "acct-1"],
        &["report", "--provider", "small", "--account", "acct-1"],
    ] {
        let out = s.env.closeacct(args).output();
        assert_eq!(out.code, Some(65), "{args:?}: {}", out.snapshot());
        assert!(out.stderr.contains("checklist-") && out.stderr.contains("the copy was edited"), "{}", out.stderr);
    }
    let out = s.env.closeacct(&["status", "--provider", "small", "--account", "acct-1"]).output();
    insta::assert_snapshot!(out.snapshot().replace(&pinned.file_name().unwrap().to_string_lossy().to_string(), "checklist-PINNED.toml"), @"
    ------- stderr -------
    closeacct: $TEST_ENV/state/runs/small/acct-1/checklist-PINNED.toml: this copy of the checklist has sha256 16a1ef567f55a78c08c8cf4b8375b2c8af20837e68e9e7729495fca77eada8db, but the log pins b86ef6552f3bb0fcf04109fbedf17e6477377618946a69b90282b94520fb5a83 (the copy was edited after the run pinned it); nothing was changed
    [exit status: 65]
    ");
    assert_eq!(s.log(), before, "nothing was written");
}

/// The provider and account recorded in a run's first event are the truth: a run directory
/// renamed to another account is damage, with both names shown, and `--attest` never compares
/// with the directory's name.
#[test]
fn a_run_directory_renamed_to_another_account_is_refused_with_both_names() {
    let env = Env::new();
    let run = ["--provider", "aws", "--account", "111122223333"];
    env.closeacct(&[&["start"][..], &run, &["--fact", "org_management=no"]].concat()).status(0);
    let from = env.run_dir("aws", "111122223333");
    fs::rename(&from, env.run_dir("aws", "444455556666")).unwrap();
    let other = ["--provider", "aws", "--account", "444455556666"];
    let out = env.closeacct(&[&["report"][..], &other].concat()).output();
    insta::assert_snapshot!(out.snapshot(), @"
    ------- stderr -------
    closeacct: $TEST_ENV/state/runs/aws/444455556666: the log records the run aws/111122223333, but its directory names aws/444455556666; nothing was changed
    [exit status: 65]
    ");
    env.closeacct(&[&["verify"][..], &other].concat()).status(65);
    env.closeacct(&[&["confirm", "root-user-access"][..], &other].concat()).status(65);
    let out = env.closeacct(&[&["confirm", "close-account", "--attest", "444455556666"][..], &other].concat()).output();
    assert_eq!(out.code, Some(65), "{}", out.snapshot());
}

/// With a Cloud Term Commitment, the closure of a `CenturyLink` account goes through the terminate service order;
/// the final invoice still comes after the close of that month, and the key date says so.
#[test]
fn a_centurylink_term_commitment_keeps_the_final_invoice_date() {
    let env = Env::new();
    let run = ["--provider", "centurylink", "--account", "ACME2"];
    env.closeacct(&[&["start"][..], &run, &["--fact", "term_commitment=yes"]].concat()).status(0);
    env.closeacct(&[&["confirm", "determine-services"][..], &run].concat()).status(0);
    env.closeacct(&[&["confirm", "retrieve-data", "--evidence", "s3://archive/ctl"][..], &run].concat()).status(0);
    let evidence = ["confirm", "terminate-service-order", "--evidence", "J. Doe, TSO-118"];
    env.closeacct(&[&evidence[..], &run].concat()).status(0);
    let json = env.closeacct(&[&["report", "--format", "json"][..], &run].concat()).status(0).stdout;
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let invoice: Vec<&serde_json::Value> =
        report["key_dates"].as_array().unwrap().iter().filter(|d| d["step"] == "final-invoice").collect();
    assert_eq!(invoice.len(), 1, "{:#}", report["key_dates"]);
    assert_eq!(invoice[0]["date"], "2026-12-01T00:00:00Z");
    assert_eq!(invoice[0]["from_step"], "terminate-service-order");
    let text = env.closeacct(&[&["report"][..], &run].concat()).status(0).stdout;
    assert!(text.contains("final invoice from CenturyLink"), "{text}");
}

/// Read-only commands never need an operator (a malformed `$USER` does not stop them); a command
/// that records says how to give one, never records "unknown", and screens the name like a note.
#[test]
fn the_operator_is_screened_and_only_commands_that_record_need_one() {
    let s = Small::new();
    s.closeacct("start", &["--fact", "org=no"]).status(0);
    for (user, code) in [("\u{1b}[31mana", 2), ("", 2)] {
        for read_only in [&["status"][..], &["report"], &["verify"]] {
            let out = s.closeacct(read_only[0], &read_only[1..]).env("USER", user).env_remove("LOGNAME").output();
            assert_eq!(out.code, Some(0), "{read_only:?} with USER={user:?}: {}", out.snapshot());
        }
        let out = s.closeacct("confirm", &["backup"]).env("USER", user).env_remove("LOGNAME").output();
        assert_eq!(out.code, Some(code), "{}", out.snapshot());
        assert!(out.stderr.contains("--operator NAME"), "says how: {}", out.stderr);
    }
    let out = s.closeacct("confirm", &["backup"]).env("USER", "").env_remove("LOGNAME").output();
    insta::assert_snapshot!(out.snapshot(), @"
    ------- stderr -------
    closeacct: who is acting? neither --operator nor $USER gives a name; say who with --operator NAME
    [exit status: 2]
    ");
    let out = s.closeacct("confirm", &["backup", "--operator", "ghp_4f7Hs9Kq2LmN8pXvB3cRtY6wZ1aE5dG0jUiO"]).output();
    assert_eq!(out.code, Some(65), "{}", out.snapshot());
    assert!(out.stderr.contains("the operator's name") && !out.stderr.contains("ghp_"), "{}", out.stderr);
    // One alias works everywhere: read-only commands take --operator and ignore it.
    for read_only in
        [&["status", "--operator", "bo"][..], &["report", "--operator", "bo"], &["verify", "--operator", "bo"]]
    {
        s.closeacct(read_only[0], &read_only[1..]).status(0);
    }
    s.env.closeacct(&["providers", "--operator", "bo"]).status(0);
    s.closeacct("confirm", &["backup", "--operator", "bo"]).status(0);
    assert!(!s.log().contains("\"by\":\"unknown\""));
    assert!(s.log().lines().last().unwrap().contains("\"by\":\"bo\""));
}

/// What the operator types may not carry escape sequences, carriage returns or bidirectional
/// overrides (a clear refusal, nothing written); what a checklist someone else wrote carries is
/// shown visibly and inertly on the terminal and in text and markdown reports, and kept exactly
/// in JSON.
#[test]
fn untrusted_text_is_shown_as_it_is_and_typed_control_characters_are_refused() {
    let s = Small::new();
    s.closeacct("start", &["--fact", "org=no"]).status(0);
    let before = s.log();
    for text in ["clear \u{1b}[2J screen", "fake\roverwrite", "evil \u{202e}txt.exe", "zero\u{200b}width"] {
        let out = s.closeacct("confirm", &["backup", "--note", text]).output();
        assert_eq!(out.code, Some(65), "{text:?}: {}", out.snapshot());
        assert!(out.stderr.contains("control character U+"), "{}", out.stderr);
        assert!(!out.stderr.contains('\u{1b}') && !out.stderr.contains('\u{202e}'), "{:?}", out.stderr);
    }
    assert_eq!(s.log(), before, "nothing written");
    s.closeacct("confirm", &["backup", "--note", "two lines:\nsecond\tand a tab"]).status(0);

    // A checklist written by someone else, with escapes in its texts.
    let hostile = crate::common::SMALL
        .replace(
            "title = \"Back up the data\"",
            "title = \"Back up\\u001b[2J\\u001b]8;;https://evil.example\\u0007the data\\u202e\"",
        )
        .replace("id = \"small\"", "id = \"hostile\"");
    let file = s.env.write("hostile.toml", hostile).display().to_string();
    let run = ["--checklist", file.as_str(), "--account", "acct-9"];
    s.env.closeacct(&[&["start", "--fact", "org=no"][..], &run].concat()).status(0);
    for format in ["text", "markdown"] {
        let out = s.env.closeacct(&[&["report", "--format", format][..], &run].concat()).status(0);
        assert!(
            !out.stdout.contains('\u{1b}') && !out.stdout.contains('\u{202e}') && !out.stdout.contains('\u{7}'),
            "{format}"
        );
        for shown in ["Back up\\u{1b}", "2J\\u{1b}", "evil.example\\u{7}the data\\u{202e}"] {
            assert!(out.stdout.contains(shown), "{format}: {shown} in {}", out.stdout);
        }
    }
    let json = s.env.closeacct(&[&["report", "--format", "json"][..], &run].concat()).status(0).stdout;
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        report["stages"][0]["steps"][0]["title"], "Back up\u{1b}[2J\u{1b}]8;;https://evil.example\u{7}the data\u{202e}",
        "JSON keeps the exact text"
    );
    let status = s.env.closeacct(&[&["status"][..], &run].concat()).status(0).stdout;
    assert!(!status.contains('\u{1b}'), "{status:?}");
    let out = s.env.closeacct(&[&["confirm", "\u{1b}[2Jbackup"][..], &run].concat()).output();
    assert_eq!(out.code, Some(2));
    assert!(out.stderr.contains("\\u{1b}[2Jbackup") && !out.stderr.contains('\u{1b}'), "{:?}", out.stderr);
}

/// `report --output` never destroys data: not the run's own log or checklist copy (or anything
/// else in the state directory, however the path is spelled), not through a symbolic link, not a
/// device. Each is refused with exit 73 and nothing changed; a regular file elsewhere is replaced.
#[test]
fn report_output_refuses_the_state_dir_links_and_devices_with_exit_73() {
    let s = Small::new();
    s.closeacct("start", &["--fact", "org=no"]).status(0);
    s.closeacct("confirm", &["backup"]).status(0);
    let dir = s.env.run_dir("small", "acct-1");
    let log = dir.join("events.jsonl");
    let before = fs::read(&log).unwrap();
    let pinned = pinned_copy(&dir);
    let outside = s.env.write("victim.txt", "keep me");
    let link = s.env.dir.path().join("link.txt");
    std::os::unix::fs::symlink(&outside, &link).unwrap();
    // The same log, reached through `..` and through a link to the state directory.
    let dotted = s.env.state().join("runs/small/../small/acct-1/events.jsonl");
    let state_link = s.env.dir.path().join("state-link");
    std::os::unix::fs::symlink(s.env.state(), &state_link).unwrap();
    let via_link = state_link.join("runs/small/acct-1/events.jsonl");
    for target in [
        log.clone(),
        pinned.clone(),
        dotted,
        via_link,
        dir.join("new-file.md"),
        link.clone(),
        "/dev/null".into(),
        s.env.dir.path().to_path_buf(),
        s.env.dir.path().join("no-such-dir/report.md"),
        outside.join("report.md"),
    ] {
        let out = s.closeacct("report", &["--output", target.to_str().unwrap()]).output();
        assert_eq!(out.code, Some(73), "{}: {}", target.display(), out.snapshot());
        assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    }
    assert_eq!(fs::read(&log).unwrap(), before, "the log is untouched");
    assert_eq!(fs::read_to_string(&outside).unwrap(), "keep me", "the link's target is untouched");
    assert!(!dir.join("new-file.md").exists());
    let out = s.closeacct("report", &["--output", log.to_str().unwrap()]).output();
    insta::assert_snapshot!(out.snapshot(), @"
    ------- stderr -------
    closeacct: refusing to write `$TEST_ENV/state/runs/small/acct-1/events.jsonl`: it is inside the state directory `$TEST_ENV/state`, whose files only closeacct writes; nothing was changed
    [exit status: 73]
    ");
    // Elsewhere, a regular file is replaced whole.
    let report = s.env.write("report.md", "old");
    s.closeacct("report", &["--format", "markdown", "--output", report.to_str().unwrap()]).status(0);
    assert!(fs::read_to_string(&report).unwrap().starts_with("# Account closure report"));
}

/// `report --output FILE --sign KEY` writes FILE.sig, an SSH signature by the key in namespace
/// `closeacct` that stock `ssh-keygen -Y verify` accepts, and rejects once the report changes.
#[test]
fn a_signed_report_verifies_with_stock_ssh_keygen_and_a_forged_one_does_not() {
    let s = Small::new();
    s.closeacct("start", &["--fact", "org=no"]).status(0);
    let key = s.env.dir.path().join("id_ed25519");
    let made = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "ops@example.com", "-f"])
        .arg(&key)
        .status()
        .expect("ssh-keygen (openssh-client) is installed");
    assert!(made.success());
    let public = fs::read_to_string(key.with_extension("pub")).unwrap();
    let signers = s.env.write("allowed_signers", format!("ops@example.com {public}"));
    let report = s.env.dir.path().join("report.md");
    let out = s
        .closeacct(
            "report",
            &["--format", "markdown", "--output", report.to_str().unwrap(), "--sign", key.to_str().unwrap()],
        )
        .status(0);
    assert!(out.stderr.contains("Signature written to"), "{}", out.stderr);
    let sig = s.env.dir.path().join("report.md.sig");
    assert!(fs::read_to_string(&sig).unwrap().starts_with("-----BEGIN SSH SIGNATURE-----"));
    let verify = |file: &std::path::Path| {
        std::process::Command::new("ssh-keygen")
            .args(["-Y", "verify", "-n", "closeacct", "-I", "ops@example.com", "-f"])
            .arg(&signers)
            .arg("-s")
            .arg(&sig)
            .stdin(fs::File::open(file).unwrap())
            .output()
            .unwrap()
    };
    let good = verify(&report);
    assert!(good.status.success(), "{}", String::from_utf8_lossy(&good.stderr));
    // One byte changed: the signature no longer holds.
    let mut forged = fs::read(&report).unwrap();
    let at = forged.iter().position(|&b| b == b'1').unwrap();
    forged[at] = b'2';
    let forged_file = s.env.write("forged.md", forged);
    assert!(!verify(&forged_file).status.success(), "a changed report fails");
    // Another namespace fails too.
    let other = std::process::Command::new("ssh-keygen")
        .args(["-Y", "verify", "-n", "file", "-I", "ops@example.com", "-f"])
        .arg(&signers)
        .arg("-s")
        .arg(&sig)
        .stdin(fs::File::open(&report).unwrap())
        .output()
        .unwrap();
    assert!(!other.status.success());
    // The programme report is signed the same way.
    let all = s.env.dir.path().join("all.md");
    s.env
        .closeacct(&[
            "report",
            "--all",
            "--format",
            "markdown",
            "--output",
            all.to_str().unwrap(),
            "--sign",
            key.to_str().unwrap(),
        ])
        .status(0);
    let all_sig = s.env.dir.path().join("all.md.sig");
    let checked = std::process::Command::new("ssh-keygen")
        .args(["-Y", "verify", "-n", "closeacct", "-I", "ops@example.com", "-f"])
        .arg(&signers)
        .arg("-s")
        .arg(&all_sig)
        .stdin(fs::File::open(&all).unwrap())
        .output()
        .unwrap();
    assert!(checked.status.success(), "{}", String::from_utf8_lossy(&checked.stderr));
    // The public half is not a key to sign with, and says so.
    let public_key = key.with_extension("pub");
    let out =
        s.closeacct("report", &["--output", report.to_str().unwrap(), "--sign", public_key.to_str().unwrap()]).output();
    assert_eq!(out.code, Some(2), "{}", out.snapshot());
    assert!(out.stderr.contains("it is a public key"), "{}", out.stderr);
    // An RSA key is refused with what to do instead, and nothing is written.
    let rsa = s.env.dir.path().join("id_rsa");
    let made = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "rsa", "-b", "2048", "-N", "", "-f"])
        .arg(&rsa)
        .status();
    assert!(made.unwrap().success());
    let unsigned = s.env.dir.path().join("unsigned.md");
    let out =
        s.closeacct("report", &["--output", unsigned.to_str().unwrap(), "--sign", rsa.to_str().unwrap()]).output();
    assert_eq!(out.code, Some(2), "{}", out.snapshot());
    assert!(out.stderr.contains("RSA key") && out.stderr.contains("ssh-keygen -Y sign"), "{}", out.stderr);
    assert!(!unsigned.exists());
    // No key, a key that is not one, and --sign without --output: clear errors.
    let missing = s.closeacct("report", &["--output", report.to_str().unwrap(), "--sign", "/no/such/key"]).output();
    assert_eq!(missing.code, Some(66), "{}", missing.snapshot());
    let not_a_key = s.env.write("not-a-key", "hello");
    let bad =
        s.closeacct("report", &["--output", report.to_str().unwrap(), "--sign", not_a_key.to_str().unwrap()]).output();
    assert_eq!(bad.code, Some(2), "{}", bad.snapshot());
    s.closeacct("report", &["--sign", key.to_str().unwrap()]).status(2);
}

/// `verify --head SEQ:HASH` proves the log still holds the head a report quoted: a log rewritten
/// end to end and re-chained (possible for whoever can write the file) is caught, and so is a
/// log cut back to before the head.
#[test]
fn verify_head_catches_a_rewritten_and_rechained_log() {
    let s = Small::new();
    s.closeacct("start", &["--fact", "org=no"]).status(0);
    s.closeacct("confirm", &["backup", "--note", "copied"]).status(0);
    let json = s.closeacct("report", &["--format", "json"]).status(0).stdout;
    let head = serde_json::from_str::<serde_json::Value>(&json).unwrap()["run"]["head"].as_str().unwrap().to_owned();
    let out = s.closeacct("verify", &["--head", &head]).output();
    assert_eq!(out.code, Some(0), "{}", out.snapshot());
    assert!(out.stdout.contains("still holds event 3"), "{}", out.stdout);
    s.closeacct("confirm", &["ticket", "--evidence", "T-1"]).status(0);
    s.closeacct("verify", &["--head", &head]).status(0);

    // Rewrite the whole log with a different note and re-chain it: the chain alone is fine...
    let log = s.env.log("small", "acct-1");
    let forged =
        rechain(&fs::read_to_string(&log).unwrap().replace("\"note\":\"copied\"", "\"note\":\"nothing to copy\""));
    fs::write(&log, forged).unwrap();
    s.closeacct("verify", &[]).status(0);
    // ...but not the head the report quoted.
    let out = s.closeacct("verify", &["--head", &head]).output();
    assert_eq!(out.code, Some(65), "{}", out.snapshot());
    assert!(out.stderr.contains("event 3 has hash") && out.stderr.contains("rewritten"), "{}", out.stderr);
    // Cut back to before the head.
    let whole = fs::read_to_string(&log).unwrap();
    let two: String = whole.split_inclusive('\n').take(2).collect();
    fs::write(&log, two).unwrap();
    let out = s.closeacct("verify", &["--head", &head]).output();
    assert_eq!(out.code, Some(65), "{}", out.snapshot());
    assert!(out.stderr.contains("no longer holds event 3"), "{}", out.stderr);
    s.closeacct("verify", &["--head", "3:xyz"]).status(2);
}

/// Recomputes every line's `prev` so an edited log chains again, as a forger would.
fn rechain(log: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut prev = "0".repeat(64);
    let mut out = String::new();
    for line in log.lines() {
        let mut event: serde_json::Value = serde_json::from_str(line).unwrap();
        event["prev"] = serde_json::Value::from(prev.clone());
        // Keep the key order closeacct writes: v, seq, prev, at, by, event, ...
        let text = serde_json::to_string(&event).unwrap();
        prev = format!("{:x}", Sha256::digest(text.as_bytes()));
        out.push_str(&text);
        out.push('\n');
    }
    out
}

/// Every recorded event of a step appears in its history, in order, with its time and who: a
/// step skipped, then skipped again by someone else, keeps both reasons (the report showed only
/// the last). Notes between them are kept the same way (`state::replay` unit tests).
#[test]
fn the_report_keeps_every_event_of_a_step_in_its_history() {
    let s = Small::new();
    s.closeacct("start", &["--fact", "org=no"]).status(0);
    s.closeacct("skip", &["backup", "--reason", "the customer keeps its own copy"])
        .now("2026-11-24T10:00:00Z")
        .status(0);
    let run = ["--checklist", &s.file, "--account", "acct-1"];
    let again = ["skip", "backup", "--reason", "second look: nothing to back up", "--operator", "bo"];
    s.env.closeacct(&[&again[..], &run].concat()).now("2026-11-24T12:00:00Z").status(0);
    let json = s.closeacct("report", &["--format", "json"]).status(0).stdout;
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let history = report["stages"][0]["steps"][0]["history"].as_array().unwrap();
    let seen: Vec<(&str, &str, &str)> = history
        .iter()
        .map(|h| (h["event"].as_str().unwrap(), h["by"].as_str().unwrap(), h["reason"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(
        seen,
        [("skipped", "ana", "the customer keeps its own copy"), ("skipped", "bo", "second look: nothing to back up")]
    );
    let text = s.closeacct("report", &[]).status(0).stdout;
    for shown in [
        "2026-11-24T10:00:00+00:00 skipped by ana",
        "reason: the customer keeps its own copy",
        "2026-11-24T12:00:00+00:00 skipped by bo",
        "reason: second look: nothing to back up",
    ] {
        assert!(text.contains(shown), "{shown}:\n{text}");
    }
}

/// Changing a fact after the run is complete could change what applies: refused unless
/// `--reopen`, and a reopened run says so in status and report.
#[test]
fn changing_a_fact_on_a_complete_run_needs_reopen_and_is_reported() {
    let s = Small::new();
    s.closeacct("start", &["--fact", "org=no"]).status(0);
    s.closeacct("confirm", &["backup"]).status(0);
    s.closeacct("confirm", &["ticket", "--evidence", "T-1"]).status(0);
    s.closeacct("confirm", &["close-account", "--attest", "acct-1"]).status(0);
    s.closeacct("confirm", &["confirmation"]).status(0);
    s.closeacct("status", &["--check"]).status(0);
    let before = s.log();
    let out = s.closeacct("answer", &["org", "yes"]).output();
    insta::assert_snapshot!(out.snapshot(), @"
    ------- stderr -------
    closeacct: the run small/acct-1 is complete; answering `org` yes instead of no could change which steps apply. To change it, reopen the run: add --reopen (the report will say the run was reopened)
    [exit status: 2]
    ");
    assert_eq!(s.log(), before, "nothing written");
    s.closeacct("start", &["--fact", "org=yes"]).status(2);
    // The same answer again changes nothing and is fine: the run stays complete since it was,
    // with no second completion (through `answer` or `start --fact`).
    let completed = |s: &Small| {
        let json = s.closeacct("report", &["--format", "json"]).status(0).stdout;
        serde_json::from_str::<serde_json::Value>(&json).unwrap()["run"]["completed_at"].clone()
    };
    let first = completed(&s);
    assert!(first.is_string(), "{first}");
    s.closeacct("answer", &["org", "no"]).now("2026-11-24T15:00:00Z").status(0);
    s.closeacct("start", &["--fact", "org=no"]).now("2026-11-24T15:05:00Z").status(0);
    assert_eq!(completed(&s), first);
    assert_eq!(s.log().matches("\"event\":\"run_completed\"").count(), 1, "{}", s.log());
    assert!(s.closeacct("report", &[]).status(0).stdout.contains("Completed    2026-11-24T13:40:00+00:00"));
    s.closeacct("answer", &["org", "yes", "--reopen"]).now("2026-11-25T09:00:00Z").status(0);
    assert!(s.log().contains("\"event\":\"run_reopened\""));
    s.closeacct("status", &["--check"]).status(3);
    let status = s.closeacct("status", &[]).status(0).stdout;
    assert!(status.contains("reopened       2026-11-25 09:00"), "{status}");
    let text = s.closeacct("report", &[]).status(0).stdout;
    assert!(text.contains("Reopened     2026-11-25T09:00:00+00:00"), "{text}");
    let json = s.closeacct("report", &["--format", "json"]).status(0).stdout;
    assert_eq!(serde_json::from_str::<serde_json::Value>(&json).unwrap()["run"]["reopened_at"], "2026-11-25T09:00:00Z");
}

/// The copy of the checklist a run in `dir` is pinned to (`checklist-HASH.toml`).
fn pinned_copy(dir: &std::path::Path) -> std::path::PathBuf {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("checklist-"))
        .expect("a pinned checklist copy")
}
