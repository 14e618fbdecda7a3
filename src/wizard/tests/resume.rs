//! Coming back to a run: save and quit then resume, restart, a complete run, and the account and
//! operator asked for when they are not given.

use super::*;

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
    assert_eq!(crate::wizard::ask_operator(&mut p).unwrap(), "ana");
    let refused = p.transcript.iter().filter(|line| line.starts_with('✘')).count();
    assert_eq!(refused, 2, "{:?}", p.transcript);
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
