//! The wizard's flow, driven through a prompter that reacts to what it is asked, the way an
//! operator would: every kind of step, refusals asked again, save and quit, resume, restart.
//! What needs a real terminal (Ctrl-C, no terminal, narrow terminals, kill -9) is tested through
//! the binary on a pseudo-terminal in `tests/wizard_pty.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use regex::Regex;
use serde_json::Value;

use super::{Options, Outcome, RUN_CHECK, STEP_MENU, WAIT_MENU, run};
use crate::checklist::Loaded;
use crate::error::Error;
use crate::prompter::{Prompter, Scripted};
use crate::session::Session;
use crate::state::{EVENTS_FILE, StateDir};

/// Answers like an operator walking to the end: facts whose question matches `yes` get yes, the
/// others no; the first step gets a note, then the next `confirm` step is skipped with a reason,
/// and every other step is done; an attest step first gets a wrong account, an evidence step
/// first gets nothing, and both must be refused and asked again.
#[allow(clippy::struct_excessive_bools)] // each flag is one thing the walk has met, or one policy
struct Driver {
    yes: Regex,
    /// Step number → kind, to choose the step to skip.
    kinds: BTreeMap<String, String>,
    /// The numbers of the steps with checks, whose menus offer to run them.
    checked: BTreeSet<String>,
    /// The answer to "Archive the run …?".
    archive: bool,
    /// Save and quit at the menu of this step.
    quit_at: Option<String>,
    /// At a wait step's menu: keep waiting rather than record it happened.
    keep_waiting: bool,
    /// Everything said and asked, in order.
    transcript: Vec<String>,
    /// Each step menu shown, in order (a menu shown again after a note counts once).
    menus: Vec<String>,
    facts: Vec<bool>,
    /// (step number, what, seq) of every "✔ recorded" line.
    recorded: Vec<(String, String, u64)>,
    noted: bool,
    skipped: bool,
    attest_refused: bool,
    evidence_refused: bool,
    /// A refusal ("✘ …") the next line must be.
    expect_refusal: Option<&'static str>,
}

impl Driver {
    fn new(yes: &str, checklist: &Loaded) -> Driver {
        Driver {
            yes: Regex::new(yes).unwrap(),
            kinds: steps(checklist).into_iter().map(|(number, (_, kind))| (number, kind)).collect(),
            checked: checklist
                .steps()
                .filter(|(_, step)| !checklist.checks(step).is_empty())
                .map(|(r, _)| r.number())
                .collect(),
            archive: false,
            quit_at: None,
            keep_waiting: false,
            transcript: Vec::new(),
            menus: Vec::new(),
            facts: Vec::new(),
            recorded: Vec::new(),
            noted: false,
            skipped: false,
            attest_refused: false,
            evidence_refused: false,
            expect_refusal: None,
        }
    }

    fn current(&self) -> String {
        self.menus.last().cloned().expect("text asked outside a step")
    }

    fn text(&self) -> String {
        self.transcript.join("\n")
    }
}

impl Prompter for Driver {
    fn confirm(&mut self, prompt: &str) -> crate::error::Result<bool> {
        let answer = if prompt.starts_with("Archive the run") {
            self.archive
        } else if prompt.starts_with("Go back to the step's menu") {
            // Evidence left empty: asked again rather than going back.
            false
        } else {
            assert!(self.menus.is_empty(), "every fact is asked before the steps: {prompt}");
            let yes = self.yes.is_match(prompt);
            self.facts.push(yes);
            yes
        };
        self.transcript.push(format!("? {prompt} › {}", if answer { "yes" } else { "no" }));
        Ok(answer)
    }

    fn select(&mut self, prompt: &str, items: &[&str]) -> crate::error::Result<usize> {
        let step = prompt.strip_prefix("Step ").expect("a step menu").split(' ').next().unwrap().to_owned();
        let wait = prompt.ends_with("has it happened?");
        let mut labels: Vec<&str> = if wait { WAIT_MENU } else { STEP_MENU }.iter().map(|(l, _)| *l).collect();
        if self.checked.contains(&step) {
            labels.insert(1, RUN_CHECK.0);
        }
        assert_eq!(items, labels.as_slice(), "the menu of step {step}");
        // Indexes below are those of the menu without its check.
        let items: Vec<&str> = items.iter().copied().filter(|item| *item != RUN_CHECK.0).collect();
        let kept_waiting = self.keep_waiting && wait;
        if self.menus.last() != Some(&step) {
            self.menus.push(step.clone());
        }
        let index = |label: &str| items.iter().position(|item| item.starts_with(label)).expect("a menu item");
        let choice = if self.quit_at.as_ref() == Some(&step) {
            items.len() - 1
        } else if kept_waiting {
            index("Not yet")
        } else if wait {
            index("Yes")
        } else if !self.noted {
            self.noted = true;
            index("Add a note")
        } else if !self.skipped && self.menus.len() > 1 && self.kinds[&step] == "confirm" {
            self.skipped = true;
            index("Skip")
        } else {
            index("Done")
        };
        self.transcript.push(format!("? {prompt} › {}", items[choice]));
        Ok(if self.checked.contains(&step) && choice > 0 { choice + 1 } else { choice })
    }

    fn input(&mut self, prompt: &str) -> crate::error::Result<String> {
        let step = self.current();
        let answer = if prompt.starts_with("When did it happen") {
            // Now: the time of recording.
            String::new()
        } else if prompt.starts_with("Note") {
            format!("note on step {step}: checked with the team")
        } else if prompt.starts_with("Why is this step skipped") {
            "not needed: nothing of this kind in the account".to_owned()
        } else if let Some(rest) = prompt.strip_prefix("Type the account ") {
            let account = rest.split(' ').next().unwrap().to_owned();
            if self.attest_refused {
                account
            } else {
                self.attest_refused = true;
                self.expect_refusal = Some("that is not");
                format!("{account}x")
            }
        } else if self.evidence_refused {
            format!("evidence for {step}: CS-2026-{}", step.replace('.', "-"))
        } else {
            self.evidence_refused = true;
            self.expect_refusal = Some("evidence is required");
            String::new()
        };
        self.transcript.push(format!("? {prompt} › {answer}"));
        Ok(answer)
    }

    fn say(&mut self, text: &str) {
        if let Some(refusal) = self.expect_refusal.take() {
            assert!(text.contains('✘') && text.contains(refusal), "expected a refusal ({refusal}), got {text:?}");
        }
        let recorded = Regex::new(r"^✔ recorded (\w+) \d\d:\d\d:\d\d \(seq (\d+)\)$").unwrap();
        if let Some(c) = recorded.captures(text) {
            self.recorded.push((self.current(), c[1].to_owned(), c[2].parse().unwrap()));
        }
        self.transcript.push(text.to_owned());
    }

    fn progress(&mut self, label: &str, pos: u64, len: u64) {
        self.transcript.push(format!("{label} [{pos}/{len}]"));
    }

    fn width(&self) -> usize {
        80
    }

    fn check_progress(&mut self, label: &str, done: usize, total: usize) {
        self.transcript.push(format!("running: {label} [{done}/{total}]"));
    }

    fn check_progress_end(&mut self) {}
}

/// A session on a fresh state directory in `dir`.
fn session(dir: &Path, checklist: Loaded) -> Session {
    Session { state: StateDir { root: dir.to_path_buf() }, checklist, operator: "ana".into() }
}

fn small() -> Loaded {
    Loaded::parse(include_str!("../../tests/fixtures/checklists/valid/small.toml"), "small.toml").unwrap()
}

fn options(account: &str) -> Options<'_> {
    Options { account: Some(account), restart: false, accept_changes: false }
}

/// The events of a run's log, each line parsed.
fn events(session: &Session, account: &str) -> Vec<Value> {
    let log = session.state.run_dir(session.provider(), account).join(EVENTS_FILE);
    std::fs::read_to_string(log).unwrap().lines().map(|line| serde_json::from_str(line).unwrap()).collect()
}

/// Step number ("3.2") → (id, kind).
fn steps(checklist: &Loaded) -> BTreeMap<String, (String, String)> {
    checklist.steps().map(|(r, s)| (r.number(), (s.id.get_ref().clone(), s.kind.to_string()))).collect()
}

/// Checks a walked run against its log: every "recorded" the wizard said is the matching line,
/// every step event was said, the facts are the answers given, and the run ends completed once.
fn check_recorded(session: &Session, account: &str, d: &Driver) {
    let steps = steps(&session.checklist);
    let events = events(session, account);
    for (i, event) in events.iter().enumerate() {
        assert_eq!(event["seq"].as_u64(), Some(i as u64 + 1), "sequence numbers count up: {event}");
        assert_eq!(event["by"], "ana");
    }
    for (number, what, seq) in &d.recorded {
        let event = &events[usize::try_from(*seq).unwrap() - 1];
        let kind = match what.as_str() {
            "done" => "step_done",
            "skipped" => "step_skipped",
            "waiting" => "step_waiting",
            _ => "note_added",
        };
        assert_eq!(event["event"], kind, "seq {seq} reported as {what} for step {number}: {event}");
        assert_eq!(event["step"], steps[number].0.as_str(), "seq {seq} is step {number}");
        match (steps[number].1.as_str(), what.as_str()) {
            ("attest", "done") => assert_eq!(event["attested"], account),
            ("evidence", "done") => {
                assert!(event["evidence"].as_str().is_some_and(|e| e.starts_with("evidence for ")), "{event}");
            }
            (_, "skipped") => assert_eq!(event["reason"], "not needed: nothing of this kind in the account"),
            (_, "note") => assert!(event["note"].as_str().is_some_and(|n| n.starts_with("note on step")), "{event}"),
            _ => {}
        }
    }
    let said = events
        .iter()
        .filter(|e| matches!(e["event"].as_str(), Some("step_done" | "step_skipped" | "step_waiting" | "note_added")))
        .count();
    assert_eq!(said, d.recorded.len(), "every step event was reported as recorded");
    let facts: Vec<bool> =
        events.iter().filter(|e| e["event"] == "fact_answered").map(|e| e["value"] == "yes").collect();
    assert_eq!(facts, d.facts);
}

/// Walks a whole checklist and checks everything it recorded, and that every kind of step, a
/// refused attestation and evidence, a skip and a note were met.
fn full_run(checklist: Loaded, account: &str, yes: &str) {
    let dir = tempfile::tempdir().unwrap();
    let session = session(dir.path(), checklist);
    let mut d = Driver::new(yes, &session.checklist);
    assert_eq!(run(&session, &options(account), &mut d).unwrap(), Outcome::Complete, "{}", d.text());
    check_recorded(&session, account, &d);
    let events = events(&session, account);
    assert_eq!(events.last().unwrap()["event"], "run_completed");
    assert_eq!(events.iter().filter(|e| e["event"] == "run_completed").count(), 1);
    let steps = steps(&session.checklist);
    let kinds: BTreeSet<&str> =
        d.recorded.iter().filter(|(_, what, _)| what == "done").map(|(n, ..)| steps[n].1.as_str()).collect();
    assert_eq!(kinds, BTreeSet::from(["attest", "confirm", "evidence", "wait"]), "{:?}", d.recorded);
    assert!(d.attest_refused && d.evidence_refused && d.skipped && d.noted);
    let done = d.recorded.iter().filter(|(_, what, _)| what == "done").count();
    let summary = Regex::new(r"✔ Checklist complete: (\d+) done, 1 skipped, \d+ not applicable\.").unwrap();
    let text = d.text();
    let said = summary.captures(&text).unwrap_or_else(|| panic!("no summary:\n{text}"));
    assert_eq!(said[1].parse::<usize>().unwrap(), done);
    assert!(
        d.text().contains(&format!("Report: closeacct report --provider {} --account {account}", session.provider()))
    );
}

#[test]
fn a_full_aws_run_answers_every_kind_of_step() {
    // A member account served through the partner: the other facts are no.
    full_run(Loaded::builtin("aws").unwrap(), "111122223333", r"Is 111122223333 a member account");
}

#[test]
fn a_full_centurylink_run_answers_every_kind_of_step() {
    full_run(Loaded::builtin("centurylink").unwrap(), "CL-4242", r"^$");
}

#[test]
fn a_full_small_run_shows_every_step_once_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let session = session(dir.path(), small());
    let mut d = Driver::new("management", &session.checklist);
    assert_eq!(run(&session, &options("acct-1"), &mut d).unwrap(), Outcome::Complete);
    assert_eq!(d.menus, ["1.1", "1.2", "2.1", "2.2", "2.3"]);
    check_recorded(&session, "acct-1", &d);
}

#[test]
fn save_and_quit_saves_and_the_next_session_resumes_and_asks_a_waiting_step_again() {
    let dir = tempfile::tempdir().unwrap();
    let session = session(dir.path(), small());
    let mut d = Driver::new("^$", &session.checklist);
    d.noted = true;
    d.skipped = true;
    d.attest_refused = true;
    d.evidence_refused = true;
    d.quit_at = Some("2.1".into());
    assert_eq!(run(&session, &options("acct-1"), &mut d).unwrap(), Outcome::Saved);
    let text = d.text();
    assert!(text.contains("→ 4 steps apply, 1 do not (shown as not applicable in the report)"), "{text}");
    assert!(text.contains("\nSaved: 1 of 4 steps resolved."), "{text}");
    assert!(text.contains("Resume with: closeacct wizard --provider small --account acct-1 --checklist small.toml"));

    // Resumed: the step after the last one done, then the wait step is left waiting.
    d.transcript.clear();
    d.menus.clear();
    d.quit_at = None;
    d.keep_waiting = true;
    assert_eq!(run(&session, &options("acct-1"), &mut d).unwrap(), Outcome::Saved);
    let text = d.text();
    let resumed = Regex::new(
        r"Resuming run started \d{4}-\d\d-\d\d \d\d:\d\d — 1 of 4 steps resolved, last at\s[^(]+\(step 1\.1\)\.",
    )
    .unwrap();
    assert!(resumed.is_match(&text), "{text}");
    assert!(text.contains("Next: Stage 2/2 · Close · Step 2.1 Open the closure ticket"), "{text}");
    assert!(!text.contains("[y/n]") && !text.contains("organization's management"), "no fact asked again: {text}");
    assert_eq!(d.menus, ["2.1", "2.2", "2.3"]);
    assert!(text.contains("Still waiting; the next run of the wizard asks again."), "{text}");
    assert!(text.contains("\nSaved: 3 of 4 steps resolved, 1 waiting on someone else."), "{text}");

    // The wait step is asked again, and now it happened.
    d.transcript.clear();
    d.menus.clear();
    d.keep_waiting = false;
    assert_eq!(run(&session, &options("acct-1"), &mut d).unwrap(), Outcome::Complete);
    assert_eq!(d.menus, ["2.3"]);
    assert!(d.text().contains("✔ Checklist complete: 4 done, 0 skipped, 1 not applicable."), "{}", d.text());
    check_recorded(&session, "acct-1", &d);
}

#[test]
fn restart_asks_first_and_no_archives_nothing_and_yes_archives_the_old_run() {
    let dir = tempfile::tempdir().unwrap();
    let session = session(dir.path(), small());
    let mut d = Driver::new("^$", &session.checklist);
    d.quit_at = Some("2.1".into());
    run(&session, &options("acct-1"), &mut d).unwrap();
    let log = session.state.run_dir("small", "acct-1").join(EVENTS_FILE);
    let before = std::fs::read(&log).unwrap();
    let archive = dir.path().join("archive/small/acct-1");
    let restart = Options { account: Some("acct-1"), restart: true, accept_changes: false };

    let mut no = Driver::new("^$", &session.checklist);
    assert!(matches!(run(&session, &restart, &mut no), Err(Error::Incomplete)));
    assert!(no.text().contains("? Archive the run for small/acct-1 (1 of 4 steps resolved) and start a new one? › no"));
    assert!(no.text().ends_with("Nothing changed."), "{}", no.text());
    assert!(!archive.exists(), "nothing archived");

    let mut yes = Driver::new("^$", &session.checklist);
    yes.archive = true;
    yes.quit_at = Some("1.1".into());
    assert_eq!(run(&session, &restart, &mut yes).unwrap(), Outcome::Saved);
    let moved = Regex::new(r"Archived the old run to (\S+)").unwrap().captures(&yes.text()).unwrap()[1].to_owned();
    assert!(Path::new(&moved).starts_with(&archive), "{moved}");
    assert_eq!(std::fs::read(Path::new(&moved).join(EVENTS_FILE)).unwrap(), before);
    assert_eq!(yes.facts, [false], "a fresh run asks the fact again");
    let kinds: Vec<Value> = events(&session, "acct-1").iter().map(|e| e["event"].clone()).collect();
    assert_eq!(kinds, ["run_started", "fact_answered"], "the new run starts from scratch");
}

#[test]
fn on_a_complete_run_the_wizard_shows_the_summary_and_asks_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let session = session(dir.path(), small());
    run(&session, &options("acct-1"), &mut Driver::new("^$", &session.checklist)).unwrap();
    let log = session.state.run_dir("small", "acct-1").join(EVENTS_FILE);
    let before = std::fs::read(&log).unwrap();
    let mut d = Driver::new("^$", &session.checklist);
    assert_eq!(run(&session, &options("acct-1"), &mut d).unwrap(), Outcome::Complete);
    let text = d.text();
    assert!(text.contains("✔ Checklist complete: 4 done, 0 skipped, 1 not applicable."), "{text}");
    assert!(text.contains("Key dates") && text.contains("content is deleted"), "{text}");
    assert!(d.menus.is_empty() && d.facts.is_empty(), "nothing is asked: {text}");
    assert_eq!(std::fs::read(&log).unwrap(), before, "nothing is written");
}

#[test]
fn without_an_account_the_wizard_asks_for_one_until_it_is_valid() {
    let dir = tempfile::tempdir().unwrap();
    let session = session(dir.path(), small());
    let mut p = Scripted::new(&["../etc", "acct-9"]);
    let none = Options { account: None, restart: false, accept_changes: false };
    // The script ends at the first fact: an interruption, with the run started.
    assert!(matches!(run(&session, &none, &mut p), Err(Error::Interrupted)));
    let asked: Vec<&String> = p.transcript.iter().filter(|line| line.starts_with("? Account ID")).collect();
    assert_eq!(asked, ["? Account ID or alias to close › ../etc", "? Account ID or alias to close › acct-9"]);
    assert!(p.transcript.iter().any(|line| line.starts_with("✘ `../etc` is not an account ID")), "{:?}", p.transcript);
    let kinds: Vec<Value> = events(&session, "acct-9").iter().map(|e| e["event"].clone()).collect();
    assert_eq!(kinds, ["run_started"]);
}

#[test]
fn restart_answered_no_writes_nothing_even_when_the_checklist_changed() {
    let dir = tempfile::tempdir().unwrap();
    let session = session(dir.path(), small());
    let mut d = Driver::new("^$", &session.checklist);
    d.quit_at = Some("2.1".into());
    run(&session, &options("acct-1"), &mut d).unwrap();
    let log = session.state.run_dir("small", "acct-1").join(EVENTS_FILE);
    let before = std::fs::read(&log).unwrap();
    let changed_text = session.checklist.text.replace("version = 1", "version = 2");
    let changed = Session { checklist: Loaded::parse(&changed_text, "small.toml").unwrap(), ..session };
    let restart = Options { account: Some("acct-1"), restart: true, accept_changes: false };
    let mut no = Driver::new("^$", &changed.checklist);
    assert!(matches!(run(&changed, &restart, &mut no), Err(Error::Incomplete)));
    assert!(no.text().ends_with("Nothing changed."), "{}", no.text());
    assert_eq!(std::fs::read(&log).unwrap(), before, "no checklist_accepted, nothing at all");
}

#[test]
fn without_an_operator_the_wizard_asks_for_a_name_until_it_is_usable() {
    let mut p = Scripted::new(&["", "\u{1b}[31mana", "ana"]);
    assert_eq!(super::ask_operator(&mut p).unwrap(), "ana");
    let refused = p.transcript.iter().filter(|line| line.starts_with('✘')).count();
    assert_eq!(refused, 2, "{:?}", p.transcript);
}

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

/// A checklist with a cited source, a paragraph for members only and a follow-up.
const CITED: &str = r#"id = "cited"
name = "Cited"
version = 1

[[sources]]
id = "a1"
title = "The provider's guide"
publisher = "P"
url = "https://example.com/guide"

[[facts]]
id = "member"
question = "Is {account} a member account?"

[[stages]]
id = "s"
title = "S"

[[stages.steps]]
id = "close"
title = "Close it"
detail = "Press the button."
actor = "customer"
kind = "confirm"
sources = ["a1"]

[[stages.steps.detail_if]]
when = "member"
text = "Members close from the management account."

[[stages.steps.follow_up]]
after = "90d"
text = "content is deleted"
"#;

#[test]
fn a_step_shows_what_applies_its_source_and_its_date_and_every_event_is_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let session = session(dir.path(), Loaded::parse(CITED, "cited.toml").unwrap());
    let mut p = Scripted::new(&["n", "Done earlier", "yesterday 10:00", ""]);
    assert_eq!(run(&session, &options("acct-1"), &mut p).unwrap(), Outcome::Complete, "{:#?}", p.transcript);
    let text = p.transcript.join("\n");
    let acknowledged =
        Regex::new(r"(?m)^✔ recorded (run started|member = no|done) \d\d:\d\d:\d\d \(seq (\d)\)$").unwrap();
    let acks: Vec<(String, String)> =
        acknowledged.captures_iter(&text).map(|c| (c[1].to_owned(), c[2].to_owned())).collect();
    assert_eq!(
        acks,
        [("run started".into(), "1".into()), ("member = no".into(), "2".into()), ("done".into(), "3".into())],
        "{text}"
    );
    assert!(text.contains("  Source: [a1] The provider's guide <https://example.com/guide>"), "{text}");
    let date =
        Regex::new(r"⏲ content is deleted: on or after \d{4}-\d\d-\d\d \(90 days after this step, if it is done now\)")
            .unwrap();
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(date.is_match(&words), "{text}");
    assert!(!text.contains("Members close"), "a paragraph for members only: {text}");
    // A time before the run is refused and asked again; Enter is now.
    assert!(text.contains("is before the run started"), "{text}");
    let asked = p.transcript.iter().filter(|line| line.starts_with("? When did it happen")).count();
    assert_eq!(asked, 2, "{text}");
    let done = &events(&session, "acct-1")[2];
    assert_eq!(done["event"], "step_done");
    assert!(done.get("happened_at").is_none(), "now is the time of recording: {done}");

    let mut member = Scripted::new(&["y", "Save and quit"]);
    assert_eq!(run(&session, &options("second-account"), &mut member).unwrap(), Outcome::Saved);
    assert!(member.transcript.iter().any(|line| line.contains("Members close from the management account.")));
}

#[test]
fn without_an_account_a_picker_offers_the_runs_and_a_close_account_asks_before_a_new_run() {
    let dir = tempfile::tempdir().unwrap();
    let session = session(dir.path(), small());
    let mut first = Scripted::new(&["n", "Save and quit"]);
    assert_eq!(run(&session, &options("1111-2222-3333"), &mut first).unwrap(), Outcome::Saved);

    // No account: the provider's runs with their progress, then a new one.
    let none = Options { account: None, restart: false, accept_changes: false };
    let mut pick = Scripted::new(&["1111-2222-3333", "Save and quit"]);
    assert_eq!(run(&session, &none, &mut pick).unwrap(), Outcome::Saved);
    assert!(pick.transcript.iter().any(|line| line.starts_with("? Which small run? › 1111-2222-3333")));
    assert!(pick.transcript.iter().any(|line| line.contains("Resuming run started")), "{:#?}", pick.transcript);

    // The same digits without separators: asked, and "no" twice starts nothing.
    let mut typed = Scripted::new(&["n", "n"]);
    assert!(matches!(run(&session, &options("111122223333"), &mut typed), Err(Error::Incomplete)));
    let asked: Vec<&String> = typed.transcript.iter().filter(|line| line.starts_with('?')).collect();
    assert_eq!(
        asked,
        [
            "? There is no run for 111122223333. Did you mean 1111-2222-3333? › n",
            "? Start a new run for 111122223333? › n"
        ]
    );
    assert!(!session.run_exists("111122223333"), "nothing is started without a yes");

    // "Yes" goes on with the run meant.
    let mut meant = Scripted::new(&["y", "Save and quit"]);
    assert_eq!(run(&session, &options("111122223333"), &mut meant).unwrap(), Outcome::Saved);
    assert!(!session.run_exists("111122223333"));
}
