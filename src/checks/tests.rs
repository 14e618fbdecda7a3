use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::*;

fn captured(bytes: &[u8], keep_whole: bool) -> Captured {
    Captured {
        bytes: bytes.len() as u64,
        sha256: Sha256::digest(bytes).into(),
        head: bytes[..bytes.len().min(runner::HEAD_BYTES)].to_vec(),
        whole: (keep_whole && bytes.len() <= WHOLE_LIMIT).then(|| bytes.to_vec()),
        blank: bytes.iter().all(u8::is_ascii_whitespace),
        open: false,
        read_error: None,
    }
}

fn finished(code: Option<i32>, stdout: &[u8], stderr: &[u8]) -> Finished {
    Finished {
        exit_code: code,
        signal: if code.is_none() { Some(9) } else { None },
        timed_out: false,
        duration: Duration::from_millis(3),
        stdout: captured(stdout, true),
        stderr: captured(stderr, true),
    }
}

fn plan(expect: &str) -> Plan {
    let check: Check = toml::from_str(&format!("summary = \"s\"\nrun = [\"aws\", \"x\"]\nexpect = {expect}")).unwrap();
    Plan::resolve(&check.validate(&[]).unwrap(), "acct", &BTreeMap::new()).unwrap()
}

fn same(text: &str) -> String {
    text.to_owned()
}

fn outcome(expect: &str, f: &Finished) -> ItemRecord {
    item_record(Some("eu-west-1"), &["aws".into(), "x".into()], f, &plan(expect), &same)
}

#[test]
fn empty_passes_on_whitespace_only_and_lists_what_is_left() {
    assert!(outcome("\"empty\"", &finished(Some(0), b"", b"")).passed);
    assert!(outcome("\"empty\"", &finished(Some(0), b"\n \t\n", b"warning")).passed);
    let item = outcome("\"empty\"", &finished(Some(0), b"i-0abc\ti-0def\n", b""));
    assert!(!item.passed);
    assert_eq!(item.left, ["i-0abc", "i-0def"]);
    assert!(!item.left_truncated);
    assert_eq!(item.reason.as_deref(), Some("stdout is not empty"));
    // `None` is what the aws CLI prints for a null; it is not an empty list.
    let item = outcome("\"empty\"", &finished(Some(0), b"None\n", b""));
    assert_eq!((item.passed, item.left.as_slice()), (false, &["None".to_owned()][..]));
    let item = outcome("\"empty\"", &finished(Some(255), b"", b"\nAn error occurred (AuthFailure) when calling\n"));
    assert_eq!(item.reason.as_deref(), Some("exit code 255: An error occurred (AuthFailure) when calling"));
    assert!(item.left.is_empty());
}

#[test]
fn a_redaction_stays_one_word_of_what_is_left() {
    assert_eq!(
        redacted_words("i-0abc [redacted: AWS secret access key]\tx [redacted: HTTP Basic credentials] [y]"),
        ["i-0abc", "[redacted: AWS secret access key]", "x", "[redacted: HTTP Basic credentials]", "[y]"]
    );
    assert_eq!(redacted_words("[redacted: cut"), ["[redacted: cut"]);
}

#[test]
fn what_is_left_is_capped_and_never_ends_in_a_cut_word() {
    let many = (0..60).map(|i| format!("vol-{i:03}")).collect::<Vec<_>>().join(" ");
    let item = outcome("\"empty\"", &finished(Some(0), many.as_bytes(), b""));
    assert_eq!(item.left.len(), MAX_LEFT_WORDS);
    assert!(item.left_truncated);
    let long = "i-0123456789 ".repeat(1000);
    let item = outcome("\"empty\"", &finished(Some(0), long.as_bytes(), b""));
    assert!(item.left.iter().all(|w| w == "i-0123456789"), "{:?}", item.left.last());
    assert!(item.left_truncated);
}

#[test]
fn success_matches_and_fails_with() {
    assert!(outcome("\"success\"", &finished(Some(0), b"anything", b"")).passed);
    assert!(!outcome("\"success\"", &finished(Some(1), b"", b"")).passed);
    // Matched with surrounding whitespace trimmed, so `$` works before the CLI's newline.
    assert!(outcome("{ matches = '^True$' }", &finished(Some(0), b"True\n", b"")).passed);
    let item = outcome("{ matches = '^True$' }", &finished(Some(0), b"False\n", b""));
    assert_eq!(item.reason.as_deref(), Some("stdout does not match /^True$/"));
    assert!(!outcome("{ matches = '^True$' }", &finished(Some(2), b"True\n", b"")).passed);
    let big = vec![b'T'; WHOLE_LIMIT + 1];
    let item = outcome("{ matches = 'T' }", &finished(Some(0), &big, b""));
    assert_eq!(item.reason.as_deref(), Some("stdout is over 1024 KiB, too long to match"));
    let not_in_use =
        b"\nAn error occurred (AWSOrganizationsNotInUseException) when calling the DescribeOrganization operation\n";
    assert!(outcome("{ fails_with = 'NotInUse' }", &finished(Some(254), b"", not_in_use)).passed);
    let item = outcome("{ fails_with = 'NotInUse' }", &finished(Some(0), b"o-123", b""));
    assert_eq!(item.reason.as_deref(), Some("it succeeded; expected it to fail with /NotInUse/"));
    let item = outcome("{ fails_with = 'NotInUse' }", &finished(Some(255), b"", b"AccessDenied"));
    assert_eq!(item.reason.as_deref(), Some("exit code 255: AccessDenied; expected it to fail with /NotInUse/"));
    // Killed is never a pass, whatever it printed.
    let item = outcome("{ fails_with = 'NotInUse' }", &finished(None, b"", not_in_use));
    assert_eq!(item.reason.as_deref(), Some("was killed by signal 9: aws x"));
}

#[test]
fn a_timeout_names_the_command() {
    let mut f = finished(None, b"", b"");
    f.timed_out = true;
    let item = outcome("\"success\"", &f);
    assert_eq!(item.reason.as_deref(), Some("timed out after 60s: aws x"));
    assert!(item.command.timed_out);
}

#[test]
fn excerpts_are_redacted_before_they_are_cut() {
    // A secret straddling the 4 KiB cut is whole in the 8 KiB head, so the redaction sees it.
    let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    let text = format!("{}{secret}\n", "x".repeat(EXCERPT_BYTES - 10));
    let redact = |t: &str| t.replace(secret, "[redacted: AWS secret access key]");
    let (excerpt, cut) = excerpt(&captured(text.as_bytes(), false), &redact);
    assert!(cut);
    assert_eq!(excerpt.len(), EXCERPT_BYTES);
    assert!(excerpt.ends_with("x[redacted:"), "{}", &excerpt[excerpt.len() - 40..]);
    assert!(!excerpt.contains(&secret[..10]));
}

#[test]
fn excerpts_share_the_check_budget_in_order() {
    let full = vec![b'a'; runner::HEAD_BYTES];
    let items: Vec<ItemRecord> = (0..10)
        .map(|i| {
            item_record(
                Some(&format!("r{i}")),
                &["x".into()],
                &finished(Some(0), &full, &full),
                &plan("\"success\""),
                &same,
            )
        })
        .collect();
    let mut record = CheckRecord {
        summary: String::new(),
        expect: String::new(),
        timeout_ms: 0,
        jobs: 1,
        passed: false,
        problem: None,
        foreach: None,
        items,
        duration_ms: 0,
        excerpt_bytes: 0,
        excerpts_truncated: false,
        check_sha256: String::new(),
    };
    record = finish(record, Instant::now());
    let sizes: Vec<(usize, usize)> =
        record.items.iter().map(|i| (i.command.stdout_excerpt.len(), i.command.stderr_excerpt.len())).collect();
    // 8 commands of 2 × 4 KiB fill 64 KiB; the rest get nothing.
    assert_eq!(sizes[..8], [(EXCERPT_BYTES, EXCERPT_BYTES); 8]);
    assert_eq!(sizes[8..], [(0, 0); 2]);
    assert_eq!(record.excerpt_bytes, CHECK_EXCERPT_BYTES);
    assert!(record.excerpts_truncated);
    assert!(record.passed);
    assert!(record.items.iter().all(|i| i.command.stdout_bytes == full.len() as u64));
}

#[test]
fn the_budget_cuts_at_a_character_boundary() {
    assert_eq!(floor_char_boundary("aé", 2), 1);
    assert_eq!(floor_char_boundary("aé", 3), 3);
    assert_eq!(floor_char_boundary("aé", 10), 3);
    assert_eq!(floor_char_boundary("é", 0), 0);
}

#[test]
fn foreach_words_must_be_plain_present_and_few() {
    let words = |stdout: &[u8]| foreach_words(&finished(Some(0), stdout, b""), Duration::from_secs(60), &same);
    assert_eq!(words(b"us-east-1\teu-west-1\n").unwrap(), ["us-east-1", "eu-west-1"]);
    assert_eq!(
        words(b"us-east-1 eu;west\n").unwrap_err(),
        "the foreach command printed `eu;west`, which is not a plain word (allowed: letters, digits, `._:/-`)"
    );
    assert_eq!(words(b" \n").unwrap_err(), "the foreach command printed no words");
    assert_eq!(words(b"None\n").unwrap(), ["None"]);
    let many = "r ".repeat(MAX_ITEMS + 1);
    assert!(words(many.as_bytes()).unwrap_err().ends_with("more than 1000"));
    let big = vec![b'a'; WHOLE_LIMIT + 1];
    assert_eq!(words(&big).unwrap_err(), "the foreach command printed more than 1024 KiB");
    let failed = foreach_words(&finished(Some(255), b"", b"boom\n"), Duration::from_secs(60), &same);
    assert_eq!(failed.unwrap_err(), "the foreach command failed (exit code 255: boom)");
}

#[test]
fn stderr_lines_prefer_the_last_when_all_was_read() {
    assert_eq!(stderr_line(&captured(b"\nfirst\n\nlast\n\n", false), &same).as_deref(), Some("last"));
    let long = format!("first\n{}\nlast\n", "x".repeat(runner::HEAD_BYTES));
    assert_eq!(stderr_line(&captured(long.as_bytes(), false), &same).as_deref(), Some("first"));
    assert_eq!(stderr_line(&captured(b" \n", false), &same), None);
    let wide = "é".repeat(300);
    assert_eq!(stderr_line(&captured(wide.as_bytes(), false), &same).unwrap().chars().count(), 201);
}

#[test]
fn progress_reads_like_a_bar_label() {
    assert_eq!(Progress { item: Some("eu-west-1"), done: 7, total: 17 }.to_string(), "eu-west-1 · 7/17");
    assert_eq!(Progress { item: None, done: 0, total: 17 }.to_string(), "0/17");
}

#[test]
fn errors_say_which_are_unavailable() {
    assert!(CheckError::MissingProgram { program: "aws".into() }.is_unavailable());
    assert!(
        CheckError::Spawn { program: "aws".into(), source: io::ErrorKind::PermissionDenied.into() }.is_unavailable()
    );
    assert!(!CheckError::Interrupted.is_unavailable());
    assert_eq!(
        CheckError::MissingProgram { program: "aws".into() }.to_string(),
        "cannot run `aws`: it is not installed, or not on PATH"
    );
}

#[test]
fn the_benchmark_check_is_a_valid_foreach_check() {
    let check = regions_check_for_benchmarks(&["us-east-1", "eu-west-1"]);
    let plan = Plan::resolve(&check, "acct", &BTreeMap::new()).unwrap();
    assert_eq!(
        plan.display(None)[0],
        "aws ec2 describe-regions --region-names us-east-1 eu-west-1 --query 'Regions[].RegionName' --output text"
    );
    assert_eq!(plan.run_argv(Some("eu-west-1")), one_region_argv_for_benchmarks("eu-west-1"));
    assert!(read_only::not_read_only(&check.run).is_none());
}
