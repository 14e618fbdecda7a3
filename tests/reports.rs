//! Reports, status and verify, through the binary: snapshots of every report format for a complete
//! and a partial run of each built-in provider, key dates at the calendar's edges, tamper
//! detection, `report --output`, a closed pipe, and the JSON report's documented keys.
//!
//! Runs are driven by the scripted commands with the clock pinned per command (`CLOSEACCT_NOW`),
//! so every event has its own realistic time and nothing depends on the wall clock.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Stdio;

use jiff::{SignedDuration, Timestamp};
use regex::Regex;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::common::{Env, Output, SMALL, Small, redact};

/// The report text is laid out for a terminal this wide.
const WIDTH: usize = 80;

// ------------------------------------------------------------------------------------------------
// Running commands at a given time

fn ts(text: &str) -> Timestamp {
    text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

// ------------------------------------------------------------------------------------------------
// A generic driver: walks a provider's checklist in order through `status`, confirming every
// applicable step with the input its kind needs, unless the scenario says otherwise.

/// What to do at one step; the default confirms it six minutes after the previous command, with
/// the input its kind needs (`--attest ACCOUNT`, `--evidence TEXT`).
#[derive(Clone, Copy)]
struct Act {
    /// Minutes after the previous command (default 6).
    after: i64,
    /// Another operator than `ana`.
    by: Option<&'static str>,
    note: Option<&'static str>,
    evidence: Option<&'static str>,
    /// Skip the step with this reason instead of confirming it.
    skip: Option<&'static str>,
    /// Leave the step open: the walk stops here. With `waiting`, the step is recorded as waiting.
    stop: bool,
    /// With `stop`: record the step as waiting (with this note), as the wizard's "Not yet — keep
    /// waiting" does.
    waiting: Option<&'static str>,
}

const ACT: Act = Act { after: 6, by: None, note: None, evidence: None, skip: None, stop: false, waiting: None };

/// One run to drive.
struct Scenario {
    provider: &'static str,
    account: &'static str,
    /// When `start` runs.
    start: &'static str,
    /// Facts given to `start`.
    facts: &'static [(&'static str, &'static str)],
    /// Answers given afterwards with `answer`, a few minutes apart (a fact answered again shows
    /// its earlier answer in the report).
    answers: &'static [(&'static str, &'static str)],
    /// Per step id; a step not listed gets [`ACT`].
    acts: &'static [(&'static str, Act)],
    /// The operator's time zone (`TZ`) when the run starts: key dates are counted in it.
    zone: &'static str,
}

/// A step as `checklist show --format json` describes it.
struct StepInfo {
    kind: String,
    evidence: Option<String>,
}

fn checklist_steps(env: &Env, provider: &str) -> BTreeMap<String, StepInfo> {
    let out = env.closeacct(&["checklist", "show", provider, "--format", "json"]).status(0).stdout;
    let checklist = json(&out);
    let mut steps = BTreeMap::new();
    for stage in checklist["stages"].as_array().expect("stages") {
        for step in stage["steps"].as_array().expect("steps") {
            steps.insert(
                step["id"].as_str().expect("id").to_owned(),
                StepInfo {
                    kind: step["kind"].as_str().expect("kind").to_owned(),
                    evidence: step["evidence"].as_str().map(str::to_owned),
                },
            );
        }
    }
    steps
}

/// Drives the scenario; returns the time of the last command.
fn drive(env: &Env, s: &Scenario) -> Timestamp {
    let steps = checklist_steps(env, s.provider);
    for (id, _) in s.acts {
        assert!(steps.contains_key(*id), "scenario for {} names step `{id}`, which the checklist lacks", s.provider);
    }
    let run = ["--provider", s.provider, "--account", s.account];
    let mut now = ts(s.start);
    let mut args: Vec<String> = ["start", "--provider", s.provider, "--account", s.account].map(String::from).into();
    for (fact, value) in s.facts {
        args.extend(["--fact".to_owned(), format!("{fact}={value}")]);
    }
    env.closeacct(&args.iter().map(String::as_str).collect::<Vec<_>>()).now(&now.to_string()).tz(s.zone).status(0);
    for (fact, value) in s.answers {
        now = now.checked_add(SignedDuration::from_mins(3)).unwrap();
        env.closeacct(&[&["answer"], &run[..], &[fact, value]].concat()).now(&now.to_string()).status(0);
    }

    let mut seen = HashSet::new();
    loop {
        let out =
            env.closeacct(&[&["status", "--format", "json"], &run[..]].concat()).now(&now.to_string()).status(0).stdout;
        let status = json(&out);
        let Some(id) = status["next_step"]["id"].as_str().map(str::to_owned) else {
            assert_eq!(status["complete"], true, "no next step, yet not complete: {status}");
            break;
        };
        assert!(seen.insert(id.clone()), "step `{id}` is still open after it was recorded: {status}");
        let act = s.acts.iter().find(|(a, _)| *a == id).map_or(ACT, |(_, act)| *act);
        now = now.checked_add(SignedDuration::from_mins(act.after)).unwrap();
        if act.stop {
            if let Some(note) = act.waiting {
                mark_waiting(env, s.provider, s.account, &id, now, act.by.unwrap_or("ana"), note);
            }
            break;
        }
        let info = &steps[&id];
        let mut args: Vec<String> = Vec::new();
        if let Some(reason) = act.skip {
            args.extend(["skip".into(), id.clone(), "--reason".into(), reason.into()]);
        } else {
            args.extend(["confirm".into(), id.clone()]);
            match info.kind.as_str() {
                "attest" => args.extend(["--attest".into(), s.account.into()]),
                "evidence" => {
                    let default = format!("recorded for {id}: {}", info.evidence.as_deref().unwrap_or("evidence"));
                    args.extend(["--evidence".into(), act.evidence.map_or(default, str::to_owned)]);
                }
                _ => {
                    if let Some(evidence) = act.evidence {
                        args.extend(["--evidence".into(), evidence.into()]);
                    }
                }
            }
            if let Some(note) = act.note {
                args.extend(["--note".into(), note.into()]);
            }
        }
        args.extend(run.map(String::from));
        if let Some(by) = act.by {
            args.extend(["--operator".into(), by.into()]);
        }
        env.closeacct(&args.iter().map(String::as_str).collect::<Vec<_>>()).now(&now.to_string()).status(0);
    }
    for (id, _) in s.acts {
        assert!(seen.contains(*id), "the walk never reached step `{id}` of {}", s.provider);
    }
    now
}

/// Records a wait step as waiting, as the wizard's "Not yet — keep waiting" choice does: the
/// scripted commands have no way to say so, so this appends the event through the library,
/// holding the run's lock like any writer.
fn mark_waiting(env: &Env, provider: &str, account: &str, step: &str, now: Timestamp, by: &str, note: &str) {
    use closeacct::testing::{Detail, EventKind, RunLock, open_log_for_append, replay};
    let dir = env.run_dir(provider, account);
    let _lock = RunLock::acquire(&dir, provider, account).expect("lock");
    let (_, end) = replay(&dir, Detail::Summary).expect("replay");
    let mut log = open_log_for_append(&dir, &end).expect("open log");
    log.append(
        now,
        by,
        EventKind::StepWaiting { step: step.to_owned(), note: Some(note.to_owned()), on: None, happened_at: None },
    )
    .expect("append waiting");
}

// ------------------------------------------------------------------------------------------------
// The scenarios

const AWS_COMPLETE: Scenario = Scenario {
    provider: "aws",
    account: "111122223333",
    start: "2026-11-02T09:00:00Z",
    facts: &[("org_management", "no"), ("org_member", "yes"), ("ri_or_savings_plans", "no")],
    answers: &[("ri_or_savings_plans", "yes")],
    acts: &[
        ("root-user-access", Act { note: Some("Root sign-in tested; the MFA device is in the ops safe."), ..ACT }),
        (
            "check-active-resources",
            Act { after: 12, note: Some("Found: EC2 | RDS (eu-west-1) | 2 S3 buckets | 1 Route 53 zone"), ..ACT },
        ),
        ("shut-down-resources", Act { after: 95, ..ACT }),
        (
            "back-up-data",
            Act { evidence: Some("s3://acme-archive/111122223333/ (Glacier Deep Archive), copied 2026-11-02"), ..ACT },
        ),
        ("opsnow-billing", Act { evidence: Some("USD 0.00 outstanding in OpsNow Billing, checked 2026-11-02"), ..ACT }),
        ("ri-savings-plans", Act { note: Some("1 RI m5.large in eu-west-1, term ends 2027-06-30"), ..ACT }),
        ("forward-termination-link", Act { note: Some("Forwarded to Bespin, ticket BG-4471"), ..ACT }),
        (
            "bespin-terminates-link",
            Act { after: 1440, by: Some("bo"), note: Some("Bespin's e-mail of 2026-11-03 08:55"), ..ACT },
        ),
        ("close-account", Act { after: 20, ..ACT }),
        (
            "confirmation-email",
            Act { evidence: Some("AWS e-mail \"Account closed\" received 2026-11-03 10:02 UTC"), ..ACT },
        ),
        (
            "support-portal-request",
            Act {
                skip: Some("Closed in the console and the confirmation e-mail arrived; no portal request needed."),
                ..ACT
            },
        ),
        ("bespin-proceeds-closing", Act { skip: Some("Not needed: the account was closed in the console."), ..ACT }),
        (
            "final-charges",
            Act {
                after: 43_200,
                by: Some("bo"),
                evidence: Some("Final charge USD 12.40 on the company card, 2026-12-03"),
                ..ACT
            },
        ),
    ],
    zone: "UTC",
};

const AWS_PARTIAL: Scenario = Scenario {
    provider: "aws",
    account: "444455556666",
    start: "2026-11-20T14:00:00Z",
    facts: &[("org_management", "yes"), ("org_member", "no"), ("ri_or_savings_plans", "no")],
    answers: &[],
    acts: &[
        (
            "back-up-data",
            Act { skip: Some("Sandbox account: nothing to keep, agreed with the owner (ticket OPS-90)."), ..ACT },
        ),
        ("opsnow-billing", Act { evidence: Some("USD 0.00 outstanding in OpsNow Billing, checked 2026-11-20"), ..ACT }),
        (
            "members-closed-or-removed",
            Act { after: 45, note: Some("3 member accounts closed, see ticket OPS-88"), ..ACT },
        ),
        ("bespin-terminates-link", Act { after: 10, stop: true, waiting: Some("Asked Bespin, ticket BG-5120"), ..ACT }),
    ],
    zone: "UTC",
};

const CENTURYLINK_COMPLETE: Scenario = Scenario {
    provider: "centurylink",
    account: "ACME1",
    start: "2026-11-09T08:30:00Z",
    facts: &[("term_commitment", "no")],
    answers: &[],
    acts: &[
        (
            "determine-services",
            Act { note: Some("6 servers | 2 load balancers | object storage (from the Usage History)"), ..ACT },
        ),
        ("retrieve-data", Act { after: 180, evidence: Some("nas-02:/archive/ctl/ACME1, checksums verified"), ..ACT }),
        ("delete-billed-resources", Act { after: 40, note: Some("Deleted through the Control Portal"), ..ACT }),
        ("request-to-close", Act { after: 10, ..ACT }),
        (
            "closure-confirmation",
            Act { after: 25, evidence: Some("Ticket 1234567: closure confirmed by the CenturyLink Cloud team"), ..ACT },
        ),
        (
            "final-invoice",
            Act {
                after: 36_000,
                by: Some("bo"),
                evidence: Some("Invoice INV-2026-11-0931, received 2026-12-04"),
                ..ACT
            },
        ),
    ],
    zone: "UTC",
};

/// The closure request goes out at 12:40; the confirmation is left waiting.
const CENTURYLINK_PARTIAL: Scenario = Scenario {
    provider: "centurylink",
    account: "ACME2",
    start: "2026-11-24T12:00:00Z",
    facts: &[("term_commitment", "no")],
    answers: &[],
    acts: &[
        ("retrieve-data", Act { evidence: Some("nas-02:/archive/ctl/ACME2"), ..ACT }),
        ("request-to-close", Act { after: 22, ..ACT }),
        (
            "closure-confirmation",
            Act { after: 5, stop: true, waiting: Some("Ticket opened by the link; no reply yet"), ..ACT },
        ),
    ],
    zone: "UTC",
};

/// Reports are made a while after the last event.
const AWS_COMPLETE_AT: &str = "2026-12-04T09:00:00Z";
const AWS_PARTIAL_AT: &str = "2026-11-21T09:00:00Z";
const CENTURYLINK_COMPLETE_AT: &str = "2026-12-05T09:00:00Z";
/// 1 hour 15 minutes after the closure request of `CENTURYLINK_PARTIAL`.
const CENTURYLINK_PARTIAL_AT: &str = "2026-11-24T13:55:00Z";

// ------------------------------------------------------------------------------------------------
// Checks on rendered reports

/// Whether a word cannot be broken: a sha256, a path, a URL, or any word too long for a line.
fn unbreakable(word: &str) -> bool {
    (word.len() == 64 && word.bytes().all(|b| b.is_ascii_hexdigit()))
        || word.starts_with('/')
        || word.contains("://")
        || word.chars().count() > 40
}

/// Every line of a text output fits `WIDTH` columns, unless it holds a hash or a path.
#[track_caller]
fn assert_fits(text: &str, what: &str) {
    for (i, line) in text.lines().enumerate() {
        let width = line.chars().count();
        assert!(
            width <= WIDTH || line.split_whitespace().any(unbreakable),
            "{what}: line {} is {width} columns wide:\n{line}",
            i + 1
        );
    }
}

/// The unescaped `|` in a markdown line.
fn pipes(line: &str) -> usize {
    let mut count = 0;
    let mut escaped = false;
    for ch in line.chars() {
        match ch {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '|' => count += 1,
            _ => {}
        }
    }
    count
}

/// Every row of every markdown table has as many cells as its header, and no row breaks a line.
#[track_caller]
fn assert_tables_hold(markdown: &str) {
    let mut header: Option<usize> = None;
    for (i, line) in markdown.lines().enumerate() {
        if !line.starts_with('|') {
            header = None;
            continue;
        }
        let n = pipes(line);
        assert!(line.ends_with('|'), "markdown line {} is not a whole row:\n{line}", i + 1);
        match header {
            None => header = Some(n),
            Some(h) => assert_eq!(n, h, "markdown line {} has {n} cell borders, its header {h}:\n{line}", i + 1),
        }
    }
}

/// The three reports of a run at `now`, redacted, with the checks every report must pass.
fn reports(env: &Env, provider: &str, account: &str, now: &str) -> (String, String, String) {
    let run = ["--provider", provider, "--account", account];
    let text = env.closeacct(&[&["report"], &run[..]].concat()).now(now).status(0).stdout;
    let markdown = env.closeacct(&[&["report", "--format", "markdown"], &run[..]].concat()).now(now).status(0).stdout;
    let json_text = env.closeacct(&[&["report", "--format", "json"], &run[..]].concat()).now(now).status(0).stdout;
    assert_fits(&text, "text report");
    assert_tables_hold(&markdown);
    let report = json(&json_text);
    assert_eq!(report["schema_version"], SCHEMA_VERSION);
    assert_eq!(report["generated_at"], now);
    let dir = env.dir.path();
    (redact(&text, dir), redact(&markdown, dir), redact(&json_text, dir))
}

// ------------------------------------------------------------------------------------------------
// 1. Snapshots

#[test]
fn aws_complete_run_reports() {
    let env = Env::new();
    drive(&env, &AWS_COMPLETE);
    let (text, markdown, report) = reports(&env, "aws", AWS_COMPLETE.account, AWS_COMPLETE_AT);
    assert!(text.contains("Completed    2026-12-03"), "{text}");
    assert!(text.contains("earlier: no"), "the first answer to ri_or_savings_plans is kept:\n{text}");
    assert!(markdown.contains("EC2 \\| RDS"), "a pipe in a note is escaped:\n{markdown}");
    insta::assert_snapshot!("aws_complete_text", text);
    insta::assert_snapshot!("aws_complete_markdown", markdown);
    insta::assert_snapshot!("aws_complete_json", report);
}

/// An archived run's report (like any run's whose log is over 4 MiB) reads its notes, evidence
/// and every event of each step's history back from the log by place rather than holding them:
/// it must say exactly what the held report says, in every format.
#[test]
fn a_report_read_back_by_place_says_exactly_what_a_held_one_says() {
    let env = Env::new();
    drive(&env, &AWS_COMPLETE);
    let account = AWS_COMPLETE.account;
    let held = reports(&env, "aws", account, AWS_COMPLETE_AT);
    assert!(held.2.contains("\"history\"") && held.0.contains("skipped by"), "the run has a history to read back");
    env.closeacct(&["archive", "--provider", "aws", "--account", account]).now(AWS_COMPLETE_AT).status(0);
    let archived = |format: &str| {
        let args = ["report", "--provider", "aws", "--account", account, "--archived", "--format", format];
        let out = env.closeacct(&args).now(AWS_COMPLETE_AT).status(0).stdout;
        let stamp = Regex::new(r"archive/aws/(\d+)/\d{8}T\d{6}Z/").unwrap();
        stamp.replace_all(&redact(&out, env.dir.path()), "runs/aws/$1/").into_owned()
    };
    assert_eq!(archived("text"), held.0);
    assert_eq!(archived("markdown"), held.1);
    assert_eq!(archived("json"), held.2);
}

#[test]
fn aws_partial_run_reports() {
    let env = Env::new();
    drive(&env, &AWS_PARTIAL);
    let (text, markdown, report) = reports(&env, "aws", AWS_PARTIAL.account, AWS_PARTIAL_AT);
    assert!(text.contains("Completed    not yet"), "{text}");
    assert!(text.contains("[waiting] Bespin terminates the link"), "{text}");
    assert!(text.contains("reason: Sandbox account"), "{text}");
    insta::assert_snapshot!("aws_partial_text", text);
    insta::assert_snapshot!("aws_partial_markdown", markdown);
    insta::assert_snapshot!("aws_partial_json", report);
}

#[test]
fn centurylink_complete_run_reports() {
    let env = Env::new();
    drive(&env, &CENTURYLINK_COMPLETE);
    let (text, markdown, report) = reports(&env, "centurylink", CENTURYLINK_COMPLETE.account, CENTURYLINK_COMPLETE_AT);
    assert!(text.contains("Completed    2026-12-04"), "{text}");
    insta::assert_snapshot!("centurylink_complete_text", text);
    insta::assert_snapshot!("centurylink_complete_markdown", markdown);
    insta::assert_snapshot!("centurylink_complete_json", report);
}

#[test]
fn centurylink_partial_run_reports_and_the_overdue_confirmation() {
    let env = Env::new();
    drive(&env, &CENTURYLINK_PARTIAL);
    let run = ["--provider", "centurylink", "--account", CENTURYLINK_PARTIAL.account];
    let (text, markdown, report) = reports(&env, "centurylink", CENTURYLINK_PARTIAL.account, CENTURYLINK_PARTIAL_AT);
    assert!(text.contains("2026-11-24T13:40:00+00:00 (passed, still open)"), "the 1-hour follow-up is due:\n{text}");
    insta::assert_snapshot!("centurylink_partial_text", text);
    insta::assert_snapshot!("centurylink_partial_markdown", markdown);
    insta::assert_snapshot!("centurylink_partial_json", report);

    // The request went out at 12:40; at 13:39:59 nothing is due, at 13:55 the reminder shows.
    let detail = env.closeacct(&[&["status"], &run[..]].concat()).now("2026-11-24T13:39:59Z").status(0).stdout;
    assert!(!detail.contains('!'), "{detail}");
    let detail = env.closeacct(&[&["status"], &run[..]].concat()).now(CENTURYLINK_PARTIAL_AT).status(0).stdout;
    assert!(detail.contains("still open since 2026-11-24 13:40"), "{detail}");
    assert!(detail.contains("Email help@ctl.io"), "{detail}");
    assert_fits(&detail, "status detail");
    let overview = env.closeacct(&["status"]).now(CENTURYLINK_PARTIAL_AT).status(0).stdout;
    assert!(overview.contains("still open since 2026-11-24 13:40"), "{overview}");
    insta::assert_snapshot!("centurylink_partial_status", detail);

    let out = env
        .closeacct(&[&["status", "--format", "json"], &run[..]].concat())
        .now(CENTURYLINK_PARTIAL_AT)
        .status(0)
        .stdout;
    let status = json(&out);
    let overdue = status["overdue"].as_array().expect("overdue");
    assert_eq!(overdue.len(), 1, "{status}");
    assert_eq!(overdue[0]["step"], "closure-confirmation");
    assert_eq!(overdue[0]["from_step"], "request-to-close");
    assert_eq!(overdue[0]["after"], "1h");
    assert_eq!(overdue[0]["anchor"], "2026-11-24T12:40:00Z");
    assert_eq!(overdue[0]["date"], "2026-11-24T13:40:00Z");
    assert_eq!(status["waiting"][0]["id"], "closure-confirmation");
}

#[test]
fn free_text_cannot_break_a_markdown_table_or_the_text_layout() {
    let (env, file) = small_run();
    let run = ["--checklist", file.as_str(), "--account", "acct-1"];
    let note = "pipes | and \\| here\nsecond line with <br> and [a link](https://example.com) and *stars* `code`";
    let url = "https://backups.example.com/very/long/path/that/does/not/fit/on/one/line/of/the/report/at/all";
    env.closeacct(&[&["confirm", "backup", "--note", note, "--operator", "bo|x"], &run[..]].concat())
        .now("2026-11-24T11:00:00Z")
        .status(0);
    env.closeacct(&[&["confirm", "ticket", "--evidence", url], &run[..]].concat())
        .now("2026-11-24T11:05:00Z")
        .status(0);

    let markdown = env
        .closeacct(&[&["report", "--format", "markdown"], &run[..]].concat())
        .now("2026-11-24T12:00:00Z")
        .status(0)
        .stdout;
    assert_tables_hold(&markdown);
    let row = markdown.lines().find(|l| l.contains("`backup`")).expect("the backup row");
    assert!(
        row.contains(
            "2026-11-24T11:00:00+00:00 done by bo\\|x: note: pipes \\| and \\\\\\| here second line with \\<br\\> and \\[a link\\](https://example.com) and \\*stars\\* \\`code\\`"
        ),
        "{row}"
    );

    let text = env.closeacct(&[&["report"], &run[..]].concat()).now("2026-11-24T12:00:00Z").status(0).stdout;
    assert_fits(&text, "text report");
    assert!(text.contains("          note: pipes | and \\| here\n"), "a line break in a note is kept:\n{text}");
    assert!(text.contains("\n                second line with <br>"), "and indented under the note:\n{text}");
    assert!(text.contains(url), "a long URL is never cut:\n{text}");
}

/// A checklist change removed a step after it was done: its record (who, when, note, evidence)
/// still appears in every format of the report, not only in the list of changes.
#[test]
fn records_of_a_step_the_checklist_no_longer_lists_stay_in_the_report() {
    let s = Small::new();
    s.closeacct("start", &["--fact", "org=no"]).status(0);
    s.closeacct("confirm", &["backup", "--note", "copied to s3://backups/2026"]).status(0);
    let backup_step = "[[stages.steps]]\nid = \"backup\"\ntitle = \"Back up the data\"\ndetail = \"Copy out what you must keep.\"\nactor = \"customer\"\nkind = \"confirm\"\n\n";
    assert!(SMALL.contains(backup_step));
    let without_backup = SMALL.replacen("version = 1", "version = 2", 1).replacen(backup_step, "", 1).replacen(
        "requires = [\"backup\"]\n",
        "",
        1,
    );
    s.env.write("small.toml", without_backup);
    s.closeacct("confirm", &["ticket", "--evidence", "CS-1", "--accept-changes"]).status(0);

    let json_out = s.closeacct("report", &["--format", "json"]).status(0).stdout;
    let report = json(&json_out);
    let unlisted = report["unlisted_steps"].as_array().unwrap();
    assert_eq!(unlisted.len(), 1, "{report}");
    assert_keys(&unlisted[0], UNLISTED, "unlisted_steps[]");
    assert_eq!(unlisted[0]["id"], "backup");
    assert_eq!(unlisted[0]["status"], "done");
    assert_eq!(unlisted[0]["by"], "ana");
    assert_eq!(unlisted[0]["notes"][0]["text"], "copied to s3://backups/2026");
    let listed: Vec<&str> = report["stages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|stage| stage["steps"].as_array().unwrap())
        .map(|step| step["id"].as_str().unwrap())
        .collect();
    assert!(!listed.contains(&"backup"), "{listed:?}");

    let text = s.closeacct("report", &[]).status(0).stdout;
    let section = text.split("Recorded for steps no longer in the checklist\n").nth(1).expect("the section");
    assert!(section.starts_with("  backup [done]\n        2026-11-24T13:40:00+00:00 done by ana\n"), "{text}");
    assert!(section.contains("note: copied to s3://backups/2026"), "{text}");
    assert_fits(&text, "text report");

    let markdown = s.closeacct("report", &["--format", "markdown"]).status(0).stdout;
    assert!(markdown.contains("## Recorded for steps no longer in the checklist"), "{markdown}");
    assert!(
        markdown
            .contains("| backup | done | 2026-11-24T13:40:00+00:00 done by ana: note: copied to s3://backups/2026 |"),
        "{markdown}"
    );
    assert_tables_hold(&markdown);
}

// ------------------------------------------------------------------------------------------------
// 2. Key dates through the binary

/// AWS (a management account) up to the closure, which is confirmed at `closed_at`.
fn aws_closed_at(env: &Env, account: &'static str, start: &'static str, closed_at: &str, zone: &'static str) {
    // Everything before the closure happens within a few hours of `start`.
    let acts = &[("close-account", Act { stop: true, ..ACT })];
    drive(env, &Scenario { account, start, acts, zone, ..AWS_PARTIAL });
    env.closeacct(&["confirm", "close-account", "--attest", account, "--provider", "aws", "--account", account])
        .now(closed_at)
        .status(0);
}

/// The 90-day dates anchored at `close-account`, from `report --format json` at `now` in `tz`.
fn ninety_days(env: &Env, account: &str, now: &str, tz: &str) -> (Vec<Value>, String) {
    let run = ["--provider", "aws", "--account", account];
    let out = env.closeacct(&[&["report", "--format", "json"], &run[..]].concat()).now(now).tz(tz).status(0).stdout;
    let text = env.closeacct(&[&["report"], &run[..]].concat()).now(now).tz(tz).status(0).stdout;
    let report = json(&out);
    let dates: Vec<Value> = report["key_dates"]
        .as_array()
        .expect("key_dates")
        .iter()
        .filter(|d| d["from_step"] == "close-account" && d["after"] == "90d")
        .cloned()
        .collect();
    assert!(
        dates.iter().any(|d| d["text"].as_str().unwrap().contains("deleted"))
            && dates.iter().any(|d| d["text"].as_str().unwrap().contains("reopen")),
        "the deletion and the reopen window are both dated: {dates:#?}"
    );
    (dates, text)
}

#[test]
fn aws_deletion_and_reopen_dates_count_90_days_from_the_recorded_closure() {
    let env = Env::new();
    aws_closed_at(&env, "111122223333", "2026-12-01T08:00:00Z", "2026-12-02T10:00:00Z", "UTC");
    let (dates, text) = ninety_days(&env, "111122223333", "2027-03-02T09:59:59Z", "UTC");
    for d in &dates {
        assert_eq!(d["anchor"], "2026-12-02T10:00:00Z");
        assert_eq!(d["date"], "2027-03-02T10:00:00Z");
        assert_eq!(d["passed"], false, "one second before");
    }
    assert!(text.contains("2027-03-02T10:00:00+00:00"), "{text}");
    // At the very second the date is reached it has passed.
    let (dates, text) = ninety_days(&env, "111122223333", "2027-03-02T10:00:00Z", "UTC");
    assert!(dates.iter().all(|d| d["passed"] == true), "{dates:#?}");
    assert!(text.contains("2027-03-02T10:00:00+00:00 (passed, still open)"), "{text}");
}

#[test]
fn a_90_day_window_can_end_on_a_leap_day() {
    let env = Env::new();
    aws_closed_at(&env, "111122223333", "2027-11-30T08:00:00Z", "2027-12-01T09:00:00Z", "UTC");
    let (dates, text) = ninety_days(&env, "111122223333", "2027-12-01T10:00:00Z", "UTC");
    assert!(dates.iter().all(|d| d["date"] == "2028-02-29T09:00:00Z"), "{dates:#?}");
    assert!(text.contains("2028-02-29T09:00:00+00:00"), "{text}");
}

#[test]
fn a_90_day_window_keeps_the_local_wall_clock_across_daylight_saving() {
    assert!(Path::new("/usr/share/zoneinfo/America/New_York").exists(), "this test needs the tz database");
    let env = Env::new();
    // 2027-01-10 10:00 EST; 90 days later the clocks have gone forward: 10:00 EDT, 89 days and
    // 23 hours later.
    aws_closed_at(&env, "111122223333", "2027-01-09T15:00:00Z", "2027-01-10T15:00:00Z", "America/New_York");
    let (dates, text) = ninety_days(&env, "111122223333", "2027-01-11T00:00:00Z", "America/New_York");
    assert!(dates.iter().all(|d| d["date"] == "2027-04-10T14:00:00Z"), "{dates:#?}");
    assert!(text.contains("2027-04-10T10:00:00-04:00"), "{text}");
    assert!(text.contains("Started      2027-01-09T10:00:00-05:00"), "{text}");
    // The run's zone decides, not the reader's: a reader in UTC gets the same dates and times.
    let (dates, text) = ninety_days(&env, "111122223333", "2027-01-11T00:00:00Z", "UTC");
    assert!(dates.iter().all(|d| d["date"] == "2027-04-10T14:00:00Z"), "{dates:#?}");
    assert!(text.contains("2027-04-10T10:00:00-04:00") && text.contains("Time zone    America/New_York"), "{text}");
}

/// A `CenturyLink` run up to the closure request, made at `requested_at`.
fn centurylink_requested_at(
    env: &Env,
    account: &'static str,
    start: &'static str,
    requested_at: &str,
    zone: &'static str,
) {
    let acts = &[("request-to-close", Act { stop: true, ..ACT })];
    let s = Scenario { account, start, acts, zone, ..CENTURYLINK_PARTIAL };
    drive(env, &s);
    env.closeacct(&[
        "confirm",
        "request-to-close",
        "--attest",
        account,
        "--provider",
        "centurylink",
        "--account",
        account,
    ])
    .now(requested_at)
    .status(0);
}

/// The key dates of a `CenturyLink` run, by the step they belong to: (date, passed).
fn centurylink_dates(env: &Env, account: &str, now: &str, tz: &str) -> (BTreeMap<String, (Value, Value)>, String) {
    let run = ["--provider", "centurylink", "--account", account];
    let out = env.closeacct(&[&["report", "--format", "json"], &run[..]].concat()).now(now).tz(tz).status(0).stdout;
    let text = env.closeacct(&[&["report"], &run[..]].concat()).now(now).tz(tz).status(0).stdout;
    let dates = json(&out)["key_dates"]
        .as_array()
        .expect("key_dates")
        .iter()
        .map(|d| (d["step"].as_str().unwrap().to_owned(), (d["date"].clone(), d["passed"].clone())))
        .collect();
    (dates, text)
}

#[test]
fn centurylink_final_invoice_after_a_request_on_new_years_eve_is_due_at_midnight_utc() {
    let env = Env::new();
    centurylink_requested_at(&env, "ACME1", "2026-12-31T20:00:00Z", "2026-12-31T23:30:00Z", "UTC");
    let (dates, text) = centurylink_dates(&env, "ACME1", "2026-12-31T23:45:00Z", "UTC");
    assert_eq!(dates["final-invoice"], (Value::from("2027-01-01T00:00:00Z"), Value::from(false)));
    assert_eq!(dates["closure-confirmation"], (Value::from("2027-01-01T00:30:00Z"), Value::from(false)));
    assert!(text.contains("2027-01-01T00:00:00+00:00 · step"), "{text}");

    // The 1-hour reminder: not a second early, and then in status text and JSON.
    let run = ["--provider", "centurylink", "--account", "ACME1"];
    let status = env.closeacct(&[&["status"], &run[..]].concat()).now("2027-01-01T00:29:59Z").status(0).stdout;
    assert!(!status.contains("help@ctl.io"), "{status}");
    assert!(status.contains("still open since 2027-01-01 00:00"), "the final invoice is due: {status}");
    let status = env.closeacct(&[&["status"], &run[..]].concat()).now("2027-01-01T00:30:00Z").status(0).stdout;
    assert!(status.contains("still open since 2027-01-01 00:30"), "{status}");
    let out = env
        .closeacct(&[&["status", "--format", "json"], &run[..]].concat())
        .now("2027-01-01T00:30:00Z")
        .status(0)
        .stdout;
    let overdue: Vec<(Value, Value)> =
        json(&out)["overdue"].as_array().unwrap().iter().map(|d| (d["step"].clone(), d["date"].clone())).collect();
    assert_eq!(
        overdue,
        [
            (Value::from("final-invoice"), Value::from("2027-01-01T00:00:00Z")),
            (Value::from("closure-confirmation"), Value::from("2027-01-01T00:30:00Z"))
        ]
    );
}

#[test]
fn centurylink_final_invoice_on_a_leap_day_and_in_the_local_month() {
    let env = Env::new();
    centurylink_requested_at(&env, "ACME1", "2028-02-29T08:00:00Z", "2028-02-29T12:00:00Z", "UTC");
    let (dates, _) = centurylink_dates(&env, "ACME1", "2028-02-29T12:30:00Z", "UTC");
    assert_eq!(dates["final-invoice"].0, "2028-03-01T00:00:00Z");

    // 2026-11-30 22:00 in New York is already December in UTC: the month that closes is the
    // operator's November, at local midnight (05:00 UTC).
    assert!(Path::new("/usr/share/zoneinfo/America/New_York").exists(), "this test needs the tz database");
    centurylink_requested_at(&env, "ACME2", "2026-11-30T18:00:00Z", "2026-12-01T03:00:00Z", "America/New_York");
    let (dates, text) = centurylink_dates(&env, "ACME2", "2026-12-01T04:00:00Z", "America/New_York");
    assert_eq!(dates["final-invoice"].0, "2026-12-01T05:00:00Z");
    assert!(text.contains("2026-12-01T00:00:00-05:00 · step"), "{text}");
    // A reader in UTC, for whom the request was made in December, gets the same date: the run
    // recorded its operator's zone, and every reader counts in it.
    let (dates, _) = centurylink_dates(&env, "ACME2", "2026-12-01T04:00:00Z", "UTC");
    assert_eq!(dates["final-invoice"].0, "2026-12-01T05:00:00Z", "the run's zone decides, not the reader's");
}

// ------------------------------------------------------------------------------------------------
// 3. Tampering

/// A run of the small checklist with seven lines in its log.
fn small_run() -> (Env, String) {
    let env = Env::new();
    let file = env.write("small.toml", SMALL).display().to_string();
    let run = ["--checklist", file.as_str(), "--account", "acct-1"];
    env.closeacct(&[&["start", "--fact", "org=no"], &run[..]].concat()).now("2026-11-24T09:00:00Z").status(0);
    env.closeacct(&[&["confirm", "backup", "--note", "copied"], &run[..]].concat())
        .now("2026-11-24T09:05:00Z")
        .status(0);
    env.closeacct(&[&["confirm", "ticket", "--evidence", "T-1"], &run[..]].concat())
        .now("2026-11-24T09:10:00Z")
        .status(0);
    env.closeacct(&[&["confirm", "close-account", "--attest", "acct-1"], &run[..]].concat())
        .now("2026-11-24T09:15:00Z")
        .status(0);
    env.closeacct(&[&["confirm", "confirmation"], &run[..]].concat()).now("2026-11-24T10:15:00Z").status(0);
    (env, file)
}

/// `verify`, `status` (overview and detail) and `report` all refuse the damaged log with exit 65,
/// naming the line, and leave it byte for byte as it was.
#[track_caller]
fn assert_detected(env: &Env, file: &str, damaged: &[u8], line: usize, why: &str) {
    let log = env.log("small", "acct-1");
    std::fs::write(&log, damaged).unwrap();
    let run = ["--checklist", file, "--account", "acct-1"];
    let commands: [Vec<&str>; 5] = [
        [&["verify"], &run[..]].concat(),
        [&["status"], &run[..]].concat(),
        vec!["status"],
        [&["report"], &run[..]].concat(),
        [&["report", "--format", "json"], &run[..]].concat(),
    ];
    for args in &commands {
        let Output { stdout, stderr, .. } = env.closeacct(args).status(65);
        if args.len() == 1 {
            // The overview of all runs prints a row for every entry, the damaged run's saying
            // what is wrong with it, and exits with its code once everything is printed.
            // The row names the damage; what it is follows under it, wrapped.
            let row = stdout.lines().nth(1).unwrap_or_default();
            assert!(row.contains("acct-1") && row.ends_with(" damaged"), "{args:?}: {stdout}");
            let below = stdout.lines().skip(2).map(str::trim).collect::<Vec<_>>().join(" ");
            assert!(below.starts_with("! "), "{args:?}: {stdout}");
            assert!(below.contains(&format!("events.jsonl: line {line}: ")), "{args:?} ({why}): {stdout}");
        } else {
            assert_eq!(stdout, "", "{args:?}: nothing is printed from a damaged log");
        }
        assert!(stderr.contains(&format!("events.jsonl: line {line}: ")), "{args:?} ({why}): {stderr}");
        assert!(stderr.contains("nothing was changed"), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: one line: {stderr}");
        assert_eq!(std::fs::read(&log).unwrap(), damaged, "{args:?} ({why}) changed the log");
    }
    let entries: Vec<String> = std::fs::read_dir(env.run_dir("small", "acct-1"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        !entries.iter().any(|e| Path::new(e).extension().is_some_and(|x| x == "torn")),
        "nothing is set aside: {entries:?}"
    );
}

fn lines(log: &[u8]) -> Vec<Vec<u8>> {
    log.split_inclusive(|&b| b == b'\n').map(<[u8]>::to_vec).collect()
}

#[test]
fn editing_one_byte_of_an_earlier_line_is_detected_and_nothing_is_changed() {
    let (env, file) = small_run();
    let log = std::fs::read(env.log("small", "acct-1")).unwrap();
    // Line 3 records `backup` with the note "copied"; make it "copiee".
    let mut damaged = log.clone();
    let start = lines(&log)[..2].iter().map(Vec::len).sum::<usize>();
    let at = start + lines(&log)[2].windows(6).position(|w| w == b"copied").expect("the note") + 5;
    damaged[at] = b'e';
    assert_detected(&env, &file, &damaged, 4, "edited byte");
    let out = env.closeacct(&["verify", "--checklist", &file, "--account", "acct-1"]).output();
    insta::assert_snapshot!(out.snapshot(), @"
    ------- stderr -------
    closeacct: $TEST_ENV/state/runs/small/acct-1/events.jsonl: line 4: does not match the hash of line 3 (an earlier line was changed, removed or reordered); nothing was changed
    [exit status: 65]
    ");
}

#[test]
fn deleting_a_line_is_detected_and_nothing_is_changed() {
    let (env, file) = small_run();
    let mut lines = lines(&std::fs::read(env.log("small", "acct-1")).unwrap());
    lines.remove(2);
    assert_detected(&env, &file, &lines.concat(), 3, "deleted line");
    let out = env.closeacct(&["verify", "--checklist", &file, "--account", "acct-1"]).output();
    insta::assert_snapshot!(out.snapshot(), @"
    ------- stderr -------
    closeacct: $TEST_ENV/state/runs/small/acct-1/events.jsonl: line 3: sequence number is 4 where 3 was expected (lines missing or reordered); nothing was changed
    [exit status: 65]
    ");
}

#[test]
fn reordering_two_lines_is_detected_and_nothing_is_changed() {
    let (env, file) = small_run();
    let mut lines = lines(&std::fs::read(env.log("small", "acct-1")).unwrap());
    lines.swap(3, 4);
    assert_detected(&env, &file, &lines.concat(), 4, "swapped lines");
    let out = env.closeacct(&["verify", "--checklist", &file, "--account", "acct-1"]).output();
    insta::assert_snapshot!(out.snapshot(), @"
    ------- stderr -------
    closeacct: $TEST_ENV/state/runs/small/acct-1/events.jsonl: line 4: sequence number is 5 where 4 was expected (lines missing or reordered); nothing was changed
    [exit status: 65]
    ");
}

#[test]
fn verify_prints_ok_with_the_head_hash_the_report_quotes() {
    let (env, file) = small_run();
    let run = ["--checklist", file.as_str(), "--account", "acct-1"];
    let path = env.log("small", "acct-1");
    let before = std::fs::read(&path).unwrap();
    let Output { stdout: out, stderr, .. } = env.closeacct(&[&["verify"], &run[..]].concat()).status(0);
    assert_eq!(stderr, "");
    let last = before[..before.len() - 1].rsplit(|&b| b == b'\n').next().unwrap();
    let head = format!("{:x}", Sha256::digest(last));
    assert_eq!(
        out,
        format!("ok: {} — 7 events, sequence 1..7 unbroken, head 7:{head}\n", path.display()),
        "the head is the sha256 of the last line"
    );
    let report = env.closeacct(&[&["report", "--format", "json"], &run[..]].concat()).status(0).stdout;
    assert_eq!(json(&report)["run"]["last_hash"], head.as_str());
    assert_eq!(json(&report)["run"]["events"], 7);
    let text = env.closeacct(&[&["report"], &run[..]].concat()).status(0).stdout;
    assert!(text.contains(&head), "{text}");
    assert_eq!(std::fs::read(&path).unwrap(), before, "verify and report write nothing");
}

// ------------------------------------------------------------------------------------------------
// 4. status

#[test]
fn status_lists_every_run_on_one_line_and_details_one() {
    let env = Env::new();
    drive(&env, &AWS_COMPLETE);
    drive(&env, &AWS_PARTIAL);
    drive(&env, &CENTURYLINK_PARTIAL);
    let now = CENTURYLINK_PARTIAL_AT;

    let overview = env.closeacct(&["status"]).now(now).status(0).stdout;
    let rows: Vec<&str> = overview.lines().filter(|l| !l.starts_with(' ')).collect();
    assert_eq!(rows.len(), 4, "a header and one line per run:\n{overview}");
    assert!(rows[0].starts_with("PROVIDER"), "{overview}");
    assert!(rows[1].starts_with("aws") && rows[1].contains("111122223333") && rows[1].ends_with("complete"));
    assert!(rows[2].starts_with("aws") && rows[2].contains("444455556666"), "{overview}");
    assert!(rows[3].starts_with("centurylink") && rows[3].contains("ACME2"), "{overview}");
    assert!(overview.contains("still open since 2026-11-24 13:40"), "the overdue confirmation:\n{overview}");
    // Into a pipe rows fit 80 columns, the next step cut first (a terminal's width: see
    // wizard_pty); the reminders under them wrap.
    assert!(rows[2].ends_with("  6.2 bespin-term…") && rows[2].chars().count() == 80, "{overview}");
    let reminders: String = overview.lines().filter(|l| l.starts_with("  ")).flat_map(|l| [l, "\n"]).collect();
    assert_fits(&reminders, "status reminders");
    insta::assert_snapshot!("status_overview", overview);

    let aws_only = env.closeacct(&["status", "--provider", "aws"]).now(now).status(0).stdout;
    assert_eq!(aws_only.lines().count(), 3, "{aws_only}");

    let out = env.closeacct(&["status", "--format", "json"]).now(now).status(0).stdout;
    let all = json(&out);
    let runs: Vec<(&str, &str, bool)> = all
        .as_array()
        .expect("an array of runs")
        .iter()
        .map(|r| (r["provider"].as_str().unwrap(), r["account"].as_str().unwrap(), r["complete"].as_bool().unwrap()))
        .collect();
    assert_eq!(runs, [("aws", "111122223333", true), ("aws", "444455556666", false), ("centurylink", "ACME2", false)]);
    assert_eq!(all[1]["next_step"]["id"], "bespin-terminates-link");
    assert_eq!(all[1]["waiting"][0]["id"], "bespin-terminates-link");
    assert_eq!(all[2]["overdue"].as_array().unwrap().len(), 1);

    let detail = env.closeacct(&["status", "--provider", "aws", "--account", "444455556666"]).now(now).status(0).stdout;
    assert!(detail.starts_with("aws/444455556666: in progress\n"), "{detail}");
    assert!(detail.contains("waiting        6.2 bespin-terminates-link — Bespin terminates the link"), "{detail}");
    assert_fits(&detail, "status detail");
    insta::assert_snapshot!("status_detail_aws_partial", detail);
    let out = env
        .closeacct(&["status", "--provider", "aws", "--account", "444455556666", "--format", "json"])
        .now(now)
        .status(0)
        .stdout;
    let one = json(&out);
    assert!(one.is_object(), "one run is an object: {one}");
    assert_eq!(one["account"], "444455556666");
    assert_eq!(one["counts"]["waiting"], 1);

    env.closeacct(&["status", "--provider", "aws", "--account", "111122223333", "--check"]).now(now).status(0);
    env.closeacct(&["status", "--provider", "aws", "--account", "444455556666", "--check"]).now(now).status(3);
    env.closeacct(&["status", "--provider", "aws", "--check"]).now(now).status(3);
    env.closeacct(&["status", "--check"]).now(now).status(3);
    let Output { stdout, stderr, .. } =
        env.closeacct(&["status", "--provider", "aws", "--account", "111122223333", "--check"]).now(now).status(0);
    assert!(stdout.contains("complete"), "--check still prints the status: {stdout}");
    assert_eq!(stderr, "");
}

// ------------------------------------------------------------------------------------------------
// 5. report --output and a closed pipe

#[test]
fn report_output_is_written_whole_and_private_and_replaces_an_old_file() {
    let (env, file) = small_run();
    let run = ["--checklist", file.as_str(), "--account", "acct-1"];
    let stdout = env.closeacct(&[&["report", "--format", "markdown"], &run[..]].concat()).status(0).stdout;
    let out = env.write("report.md", "an older report, world-readable\n");
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out_arg = out.display().to_string();
    let Output { stdout: printed, stderr, .. } =
        env.closeacct(&[&["report", "--format", "markdown", "--output", &out_arg], &run[..]].concat()).status(0);
    assert_eq!(printed, "", "nothing on stdout with --output");
    assert_eq!(stderr, format!("Report written to {out_arg}\n"));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), stdout, "the same report as on stdout");
    assert_eq!(std::fs::metadata(&out).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(leftovers(env.dir.path()), Vec::<String>::new());
}

/// Temporary files left in a directory.
fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.starts_with(".closeacct-") || name.starts_with(".tmp"))
        .collect()
}

#[test]
fn report_output_that_cannot_be_written_exits_74_and_leaves_nothing() {
    let (env, file) = small_run();
    let run = ["--checklist", file.as_str(), "--account", "acct-1"];
    let dir = env.dir.path();
    let a_file = env.write("a-file", "x");
    // A directory that does not exist, or a file where one should be, is refused before anything
    // is tried (exit 73, as for an existing directory: `trust.rs`).
    for target in [dir.join("no-such-dir/report.txt"), a_file.join("report.txt")] {
        let target_arg = target.display().to_string();
        let Output { stdout, stderr, .. } =
            env.closeacct(&[&["report", "--output", &target_arg], &run[..]].concat()).status(73);
        assert_eq!(stdout, "");
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        assert!(stderr.starts_with("closeacct: refusing to write "), "{stderr}");
        assert!(stderr.contains("nothing was changed"), "{stderr}");
    }
    // A directory where nothing can be created, whoever runs the test: the write fails (exit 74).
    let Output { stdout, stderr, .. } =
        env.closeacct(&[&["report", "--output", "/proc/closeacct-report.txt"], &run[..]].concat()).status(74);
    assert_eq!(stdout, "");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("closeacct: failed to ") && stderr.contains("/proc"), "names where: {stderr}");
    assert!(!dir.join("no-such-dir").exists());
    assert_eq!(std::fs::read(&a_file).unwrap(), b"x");
    assert_eq!(leftovers(dir), Vec::<String>::new());
}

#[test]
fn report_into_a_closed_pipe_exits_0_quietly() {
    let env = Env::new();
    drive(&env, &AWS_COMPLETE);
    let args = ["report", "--provider", "aws", "--account", AWS_COMPLETE.account];
    // The reading end is closed before the report is written: the write fails with EPIPE.
    let mut child = env
        .closeacct(&args)
        .now(AWS_COMPLETE_AT)
        .command()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert_eq!(stderr, "");

    // As typed in a shell.
    let script = r#""$0" "$@" | head -1; echo "exit=${PIPESTATUS[0]}""#;
    let out = env.closeacct(&args).now(AWS_COMPLETE_AT).via("bash", &["-c", script]).status(0);
    assert_eq!(out.stderr, "");
    assert_eq!(out.stdout, "closeacct report · AWS account closure through Bespin Global\nexit=0\n");
}

// ------------------------------------------------------------------------------------------------
// 6. The JSON report's schema

fn keys(value: &Value) -> BTreeSet<&str> {
    value.as_object().unwrap_or_else(|| panic!("not an object: {value}")).keys().map(String::as_str).collect()
}

#[track_caller]
pub(crate) fn assert_keys(value: &Value, expected: &[&str], what: &str) {
    assert_eq!(
        keys(value),
        expected.iter().copied().collect(),
        "the keys of {what} changed; update the README and bump schema_version if a key changed meaning or went away"
    );
}

const TOP: &[&str] = &[
    "schema_version",
    "generated_at",
    "provider",
    "account",
    "checklist",
    "run",
    "counts",
    "facts",
    "stages",
    "unlisted_steps",
    "key_dates",
    "checklist_changes",
    "pending_checklist_changes",
];
const CHECKLIST: &[&str] = &["id", "name", "version", "sha256", "sources"];
const SOURCE: &[&str] = &["id", "title", "publisher", "url", "date", "reference"];
const RUN: &[&str] = &[
    "started_at",
    "started_by",
    "completed_at",
    "complete",
    "reopened_at",
    "zone",
    "operators",
    "last_activity",
    "state_file",
    "events",
    "last_hash",
    "head",
    "torn_bytes",
];
const COUNTS: &[&str] = &["total", "applicable", "done", "skipped", "waiting", "pending", "not_applicable"];
const FACT: &[&str] = &["id", "question", "answer", "answer_label", "answered_at", "answered_by", "earlier_answers"];
const STAGE: &[&str] = &["number", "id", "title", "steps"];
const STEP: &[&str] = &[
    "number",
    "id",
    "title",
    "actor",
    "kind",
    "status",
    "when",
    "sources",
    "at",
    "happened_at",
    "by",
    "skip_reason",
    "attested",
    "waiting_on",
    "notes",
    "evidence",
    "history",
    "checks",
    "confirmed_with_checks",
];
const UNLISTED: &[&str] = &[
    "id",
    "status",
    "at",
    "by",
    "skip_reason",
    "attested",
    "notes",
    "evidence",
    "history",
    "checks",
    "confirmed_with_checks",
];
/// One event in a step's history.
const HISTORY: &[&str] = &["seq", "event", "at", "happened_at", "by", "note", "evidence", "reason", "attested", "on"];
/// The JSON report's `schema_version`.
pub(crate) const SCHEMA_VERSION: u64 = 2;
/// One run of a step's check: when, who, its line, what failed, then the record's own keys.
pub(crate) const CHECK: &[&str] = &[
    "seq",
    "check",
    "at",
    "by",
    "sha256",
    "failures",
    "summary",
    "expect",
    "timeout_ms",
    "jobs",
    "passed",
    "problem",
    "foreach",
    "items",
    "duration_ms",
    "excerpt_bytes",
    "excerpts_truncated",
    "check_sha256",
];
pub(crate) const CHECK_FOREACH: &[&str] = &["variable", "command", "words"];
pub(crate) const CHECK_ITEM: &[&str] = &["item", "passed", "reason", "left", "left_truncated", "command"];
pub(crate) const CHECK_COMMAND: &[&str] = &[
    "argv",
    "exit_code",
    "signal",
    "timed_out",
    "duration_ms",
    "stdout_sha256",
    "stdout_bytes",
    "stderr_bytes",
    "stdout_excerpt",
    "stderr_excerpt",
    "excerpts_truncated",
    "output_open",
];
/// A check a step was confirmed with.
pub(crate) const CHECK_REF: &[&str] = &["seq", "sha256"];
/// A note, a piece of evidence, or an earlier answer.
const ENTRY: &[&str] = &["at", "by", "text"];
const KEY_DATE: &[&str] = &["step", "step_number", "from_step", "after", "anchor", "date", "passed", "text"];
const CHANGE: &[&str] = &["at", "by", "changes"];

#[test]
fn the_json_report_has_exactly_the_documented_keys() {
    let env = Env::new();
    drive(&env, &AWS_COMPLETE);
    // A changed checklist, accepted, so `checklist_changes` has an entry to check.
    let aws = env.closeacct(&["checklist", "show", "aws", "--format", "toml"]).status(0).stdout;
    let changed_file = env.write("aws.toml", aws.replacen("version = 3", "version = 4", 1)).display().to_string();
    let run = ["--checklist", changed_file.as_str(), "--account", AWS_COMPLETE.account];
    env.closeacct(&[&["confirm", "final-charges", "--note", "refund: none", "--accept-changes"], &run[..]].concat())
        .now(AWS_COMPLETE_AT)
        .status(0);
    let out =
        env.closeacct(&[&["report", "--format", "json"], &run[..]].concat()).now(AWS_COMPLETE_AT).status(0).stdout;
    let report = json(&out);

    assert_eq!(report["schema_version"], SCHEMA_VERSION);
    assert_keys(&report, TOP, "the report");
    assert_keys(&report["checklist"], CHECKLIST, "checklist");
    for source in report["checklist"]["sources"].as_array().unwrap() {
        assert_keys(source, SOURCE, "checklist.sources[]");
    }
    assert_keys(&report["run"], RUN, "run");
    assert_keys(&report["counts"], COUNTS, "counts");
    let facts = report["facts"].as_array().unwrap();
    assert!(!facts.is_empty());
    for fact in facts {
        assert_keys(fact, FACT, "facts[]");
        for earlier in fact["earlier_answers"].as_array().unwrap() {
            assert_keys(earlier, ENTRY, "facts[].earlier_answers[]");
        }
    }
    assert!(facts.iter().any(|f| !f["earlier_answers"].as_array().unwrap().is_empty()));
    let mut statuses = BTreeSet::new();
    let (mut notes, mut evidence, mut histories) = (0, 0, 0);
    for stage in report["stages"].as_array().unwrap() {
        assert_keys(stage, STAGE, "stages[]");
        for step in stage["steps"].as_array().unwrap() {
            assert_keys(step, STEP, "stages[].steps[]");
            statuses.insert(step["status"].as_str().unwrap().to_owned());
            for entry in step["notes"].as_array().unwrap().iter().chain(step["evidence"].as_array().unwrap()) {
                assert_keys(entry, ENTRY, "stages[].steps[].notes[] and evidence[]");
            }
            notes += step["notes"].as_array().unwrap().len();
            evidence += step["evidence"].as_array().unwrap().len();
            for item in step["history"].as_array().unwrap() {
                assert_keys(item, HISTORY, "stages[].steps[].history[]");
                histories += 1;
            }
        }
    }
    assert!(notes > 0 && evidence > 0 && histories > 0);
    assert_eq!(statuses, ["done", "not-applicable", "skipped"].map(String::from).into());
    let key_dates = report["key_dates"].as_array().unwrap();
    assert!(!key_dates.is_empty());
    for date in key_dates {
        assert_keys(date, KEY_DATE, "key_dates[]");
    }
    let changes = report["checklist_changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{report}");
    assert_keys(&changes[0], CHANGE, "checklist_changes[]");
    assert_eq!(report["pending_checklist_changes"], Value::Array(vec![]));

    // The key list, for the README.
    println!("JSON report (schema_version {SCHEMA_VERSION}) keys:");
    for (what, list) in [
        ("top level", TOP),
        ("checklist", CHECKLIST),
        ("checklist.sources[]", SOURCE),
        ("run", RUN),
        ("counts", COUNTS),
        ("facts[]", FACT),
        ("stages[]", STAGE),
        ("stages[].steps[]", STEP),
        ("unlisted_steps[]", UNLISTED),
        ("stages[].steps[].history[], unlisted_steps[].history[]", HISTORY),
        ("stages[].steps[].checks[]", CHECK),
        ("checks[].foreach", CHECK_FOREACH),
        ("checks[].items[]", CHECK_ITEM),
        ("checks[].foreach.command, checks[].items[].command", CHECK_COMMAND),
        ("confirmed_with_checks[]", CHECK_REF),
        ("notes[], evidence[], earlier_answers[]", ENTRY),
        ("key_dates[]", KEY_DATE),
        ("checklist_changes[]", CHANGE),
    ] {
        println!("  {what}: {}", list.join(", "));
    }
}
