//! The wizard's flow, driven through a prompter that reacts to what it is asked, the way an
//! operator would: every kind of step, refusals asked again, save and quit, resume, restart.
//! What needs a real terminal (Ctrl-C, no terminal, narrow terminals, kill -9) is tested through
//! the binary on a pseudo-terminal in `tests/wizard_pty.rs`.

mod checks;
mod resume;

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
    Loaded::parse(include_str!("../../../tests/fixtures/checklists/valid/small.toml"), "small.toml").unwrap()
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
