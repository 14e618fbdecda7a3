//! The wizard on a real pseudo-terminal: the real binary, driven key by key with `expectrl`, the
//! way an operator drives it. What it shows is read off the screen (escape sequences stripped),
//! what it records is read back from the log and through the scripted commands.
//!
//! Only what needs a terminal is here: one whole run end to end, a kill -9 and the resume,
//! Ctrl-C at each kind of prompt, no terminal, a second process, narrow terminals and colour, and
//! the session the README shows (`readme_session.rs`).
//! The flow itself (every kind of step, save and quit, resume, restart, a complete run) is
//! tested through a scripted prompter in `src/wizard/tests/`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::ErrorKind;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use expectrl::Expect;
use expectrl::process::unix::WaitStatus;
use expectrl::session::OsSession;
use regex::Regex;
use serde_json::Value;

use crate::common::{Env, SMALL, Small};

/// The README's "What a session looks like", kept true by a session on a terminal.
mod readme_session;

/// How long any one expectation may take: generous, the CI machine is small and shared.
const TIMEOUT: Duration = Duration::from_secs(20);
/// How long the screen must stay still before a text prompt with no fixed wording counts as shown.
const QUIET: Duration = Duration::from_millis(250);

const ENTER: &str = "\r";
const DOWN: &str = "\x1b[B";
const CTRL_C: &str = "\x03";
/// What console writes to show the cursor again.
const SHOW_CURSOR: &[u8] = b"\x1b[?25h";

/// The labels of the wizard's menus, from the wizard's own tables.
static STEP_MENU: LazyLock<Vec<&str>> =
    LazyLock::new(|| closeacct::testing::STEP_MENU.iter().map(|(label, _)| *label).collect());
static WAIT_MENU: LazyLock<Vec<&str>> =
    LazyLock::new(|| closeacct::testing::WAIT_MENU.iter().map(|(label, _)| *label).collect());

/// The wizard's command line with the same clean environment the other tests use, on a
/// terminal that draws menus.
fn wizard_cmd(env: &Env, args: &[&str]) -> Command {
    env.closeacct(&["wizard"]).args(args).env("TERM", "xterm").command()
}

/// Like [`wizard_cmd`], with one of the wizard's standard streams (`fd` 0, 1 or 2) redirected to
/// or from a file. (ptyprocess closes every inherited descriptor before exec, so a
/// `Command::stderr(file)` never reaches the child; a shell redirects after that and execs.)
fn wizard_cmd_redirected(env: &Env, args: &[&str], fd: u8, file: &Path) -> Command {
    let file = file.to_str().expect("UTF-8 path");
    assert!(!file.contains('\''), "{file}");
    let op = if fd == 0 { '<' } else { '>' };
    let script = format!("exec \"$0\" \"$@\" {fd}{op}'{file}'");
    env.closeacct(&["wizard"]).args(args).env("TERM", "xterm").via("/bin/sh", &["-c", &script]).command()
}

/// Removes escape sequences and carriage returns; an escape sequence or UTF-8 character cut off
/// at the end is left out until the rest of it arrives, so the text only ever grows at its end.
fn strip_ansi(raw: &[u8]) -> String {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            0x1b => {
                let Some(&next) = raw.get(i + 1) else { break };
                let end = match next {
                    // CSI: parameters, then one final byte in 0x40..=0x7e.
                    b'[' => raw[i + 2..].iter().position(|b| (0x40..=0x7e).contains(b)).map(|p| i + 2 + p + 1),
                    // OSC: up to BEL or ESC \.
                    b']' => raw[i + 2..].iter().position(|&b| b == 0x07 || b == 0x1b).map(|p| {
                        let at = i + 2 + p;
                        if raw[at] == 0x1b { at + 2 } else { at + 1 }
                    }),
                    _ => Some(i + 2),
                };
                match end {
                    Some(end) if end <= raw.len() => i = end,
                    _ => break,
                }
            }
            b'\r' | 0x07 => i += 1,
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    match std::str::from_utf8(&out) {
        Ok(text) => text.to_owned(),
        Err(e) if e.error_len().is_none() => String::from_utf8_lossy(&out[..e.valid_up_to()]).into_owned(),
        Err(_) => String::from_utf8_lossy(&out).into_owned(),
    }
}

/// What the wizard is showing, as far as the driver is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Prompt {
    /// A yes/no question (a fact, or a confirmation): its last row, the one dialoguer redraws
    /// with the answer, and everything shown since the previous prompt (a help text, the rows of
    /// a long question) on one line.
    YesNo { row: String, shown: String },
    /// A step's menu; `wait` for a step someone else acts on.
    Menu { step: String, wait: bool },
    /// "Type the account … to confirm".
    Attest(String),
    /// Any other line of text asked for (evidence).
    Input(String),
    /// "✔ recorded WHAT … (seq N)".
    Recorded { what: String, seq: u64 },
    /// "✘ …": an answer was refused.
    Refused(String),
    /// "✔ Checklist complete: …".
    Complete,
}

/// The wizard running on a pseudo-terminal (80×24, as ptyprocess sets it up), and everything it
/// has written so far.
struct Pty {
    session: OsSession,
    raw: Vec<u8>,
    text: String,
    /// Where in `text` the next expectation starts looking.
    pos: usize,
    eof: bool,
    last_output: Instant,
    code: Option<i32>,
}

/// The wizard wraps long lines at spaces to the terminal's width, so a space in an expected
/// pattern (outside a character class) also matches a line break and the next line's indent.
fn wrappable(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let (mut in_class, mut escaped) = (false, false);
    for ch in pattern.chars() {
        match ch {
            ' ' if !in_class && !escaped => out.push_str("[ \\n]+"),
            _ => out.push(ch),
        }
        if escaped {
            escaped = false;
        } else if ch == '\\' {
            escaped = true;
        } else if ch == '[' {
            in_class = true;
        } else if ch == ']' {
            in_class = false;
        }
    }
    out
}

impl Pty {
    fn spawn(cmd: Command) -> Pty {
        let session = OsSession::spawn(cmd).expect("spawn closeacct on a pty");
        Pty {
            session,
            raw: Vec::new(),
            text: String::new(),
            pos: 0,
            eof: false,
            last_output: Instant::now(),
            code: None,
        }
    }

    fn wizard(env: &Env, args: &[&str]) -> Pty {
        Pty::spawn(wizard_cmd(env, args))
    }

    fn pid(&self) -> i32 {
        self.session.get_process().pid().as_raw()
    }

    /// Reads whatever the wizard has written; returns whether there was anything.
    fn pump(&mut self) -> bool {
        let mut got = false;
        let mut buf = [0u8; 8192];
        while !self.eof {
            match self.session.try_read(&mut buf) {
                Ok(0) => self.eof = true,
                Ok(n) => {
                    self.raw.extend_from_slice(&buf[..n]);
                    got = true;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                // EIO: the terminal's other end is closed; everything written has been read.
                Err(_) => self.eof = true,
            }
        }
        if got {
            self.text = strip_ansi(&self.raw);
            self.last_output = Instant::now();
        }
        got
    }

    /// The text not yet consumed by an expectation.
    fn rest(&self) -> &str {
        &self.text[self.pos..]
    }

    #[track_caller]
    fn fail(&self, what: &str) -> ! {
        let start = self.text.len().saturating_sub(4000);
        let start = (start..self.text.len()).find(|&i| self.text.is_char_boundary(i)).unwrap_or(0);
        panic!(
            "{what}\n--- not yet matched ---\n{}\n--- screen (end of transcript) ---\n{}\n--- end (eof: {}) ---",
            self.rest(),
            &self.text[start..],
            self.eof
        );
    }

    /// Waits until `pattern` (a regex) shows up after what was matched before; returns its groups
    /// (group 0 is the whole match) and moves past it.
    #[track_caller]
    fn expect(&mut self, pattern: &str) -> Vec<String> {
        let re = Regex::new(&wrappable(pattern)).expect("valid regex");
        let start = Instant::now();
        loop {
            self.pump();
            if let Some(c) = re.captures(self.rest()) {
                let groups = c.iter().map(|m| m.map_or_else(String::new, |m| m.as_str().to_owned())).collect();
                self.pos += c.get(0).expect("group 0").end();
                return groups;
            }
            if self.eof {
                self.fail(&format!("the wizard ended without showing /{pattern}/"));
            }
            if start.elapsed() > TIMEOUT {
                self.fail(&format!("timed out waiting for /{pattern}/"));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits until nothing new has been written for `QUIET`.
    fn settle(&mut self) {
        let start = Instant::now();
        loop {
            self.pump();
            if self.last_output.elapsed() >= QUIET || self.eof {
                return;
            }
            if start.elapsed() > TIMEOUT {
                self.fail("the wizard never stopped writing");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn send(&mut self, keys: &str) {
        self.session.send(keys).expect("write to the pty");
    }

    /// Types a line of text and Enter.
    fn type_line(&mut self, text: &str) {
        self.send(text);
        self.send(ENTER);
    }

    /// Chooses `items[index]` in the menu being shown (whose prompt line was already matched),
    /// one arrow key at a time, and waits for the menu to report the choice.
    #[track_caller]
    fn choose(&mut self, prompt: &str, items: &[&str], index: usize) {
        for item in &items[1..=index] {
            self.send(DOWN);
            self.expect(&format!(r"(?m)^> {}$", regex::escape(item)));
        }
        self.send(ENTER);
        self.expect(&format!(r"(?m)^{}: {}\n", regex::escape(prompt), regex::escape(items[index])));
    }

    /// Waits for the next thing the driver must react to.
    #[track_caller]
    fn next_prompt(&mut self) -> Prompt {
        // Lines that report something: the earliest one comes first.
        let lines = Regex::new(
            r"(?m)^(?:✔ recorded (?<what>\w+) \d\d:\d\d:\d\d \(seq (?<seq>\d+)\)\n|  ✘ (?<refused>[^\n]*)\n|✔ (?<complete>Checklist complete))",
        )
        .expect("regex");
        // Prompts: shown last, so they end the text.
        let menu_lines = |menu: &[&str]| {
            let lines: Vec<String> = menu.iter().map(|item| regex::escape(item)).collect();
            format!("> {}\n", lines.join("\n  "))
        };
        let menu = Regex::new(&format!(r"(?:^|\n)Step (?<step>[\d.]+):\n{}?$", menu_lines(&STEP_MENU))).expect("regex");
        let wait_menu =
            Regex::new(&format!(r"(?:^|\n)Step (?<step>[\d.]+) · has it happened\?:\n{}?$", menu_lines(&WAIT_MENU)))
                .expect("regex");
        let yes_no = Regex::new(r"(?:^|\n)(?<q>[^\n]*) \[y/n\] $").expect("regex");
        let attest =
            Regex::new(r"(?:^|\n)Type the account (?<account>\S+) to confirm \(empty to go back\): $").expect("regex");
        let input = Regex::new(r"(?:^|\n)(?<label>[^\n]+): $").expect("regex");
        let start = Instant::now();
        loop {
            self.pump();
            let rest = self.rest();
            if let Some(c) = lines.captures(rest) {
                let end = c.get(0).expect("group 0").end();
                let prompt = if let Some(what) = c.name("what") {
                    Prompt::Recorded { what: what.as_str().to_owned(), seq: c["seq"].parse().expect("seq") }
                } else if let Some(refused) = c.name("refused") {
                    Prompt::Refused(refused.as_str().to_owned())
                } else {
                    Prompt::Complete
                };
                self.pos += end;
                return prompt;
            }
            let found = if let Some(c) = menu.captures(rest) {
                Some((Prompt::Menu { step: c["step"].to_owned(), wait: false }, c.get(0).expect("0").end()))
            } else if let Some(c) = wait_menu.captures(rest) {
                Some((Prompt::Menu { step: c["step"].to_owned(), wait: true }, c.get(0).expect("0").end()))
            } else if let Some(c) = yes_no.captures(rest) {
                let shown = rest[..c.get(0).expect("0").end()].split_whitespace().collect::<Vec<_>>().join(" ");
                Some((Prompt::YesNo { row: c["q"].to_owned(), shown }, c.get(0).expect("0").end()))
            } else if let Some(c) = attest.captures(rest) {
                Some((Prompt::Attest(c["account"].to_owned()), c.get(0).expect("0").end()))
            } else if let Some(c) = input.captures(rest)
                && self.last_output.elapsed() >= QUIET
            {
                Some((Prompt::Input(c["label"].to_owned()), c.get(0).expect("0").end()))
            } else {
                None
            };
            if let Some((prompt, end)) = found {
                self.pos += end;
                return prompt;
            }
            if self.eof {
                self.fail("the wizard ended without showing a prompt");
            }
            if start.elapsed() > TIMEOUT {
                self.fail("timed out waiting for a prompt");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The screen as a terminal `cols` wide shows what was written so far: escape sequences
    /// applied (cursor moves, cleared lines), one string per row, trailing blanks cut. The screen
    /// is tall enough that nothing scrolls away.
    fn screen(&mut self, cols: u16) -> Vec<String> {
        self.pump();
        render(&self.raw, cols)
    }

    /// Waits for the wizard to exit (reading what it writes meanwhile) and returns its exit code.
    #[track_caller]
    fn wait_exit(&mut self) -> i32 {
        if let Some(code) = self.code {
            return code;
        }
        let start = Instant::now();
        loop {
            self.pump();
            match self.session.get_process().status() {
                Ok(WaitStatus::StillAlive) => {}
                Ok(WaitStatus::Exited(_, code)) => {
                    // Whatever it wrote last is still in the terminal's buffer.
                    while !self.eof && start.elapsed() < TIMEOUT {
                        if !self.pump() {
                            std::thread::sleep(Duration::from_millis(10));
                        }
                    }
                    self.code = Some(code);
                    return code;
                }
                Ok(WaitStatus::Signaled(_, signal, _)) => {
                    self.code = Some(128 + signal as i32);
                    return 128 + signal as i32;
                }
                Ok(other) => self.fail(&format!("unexpected wait status {other:?}")),
                Err(e) => self.fail(&format!("waitpid: {e}")),
            }
            if start.elapsed() > TIMEOUT {
                self.fail("timed out waiting for the wizard to exit");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Kills the wizard with SIGKILL: no handler runs, nothing is flushed or cleaned up.
    fn kill9(&mut self) {
        self.session.get_process_mut().kill(expectrl::process::unix::Signal::SIGKILL).expect("kill -9");
        assert_eq!(self.wait_exit(), 128 + 9, "killed by SIGKILL");
    }
}

/// `raw` as a terminal `cols` wide and 2000 rows tall shows it (so nothing scrolls away): escape
/// sequences applied, one string per row, trailing blanks and blank rows at the end cut.
fn render(raw: &[u8], cols: u16) -> Vec<String> {
    let size = |n: u16| std::num::NonZero::new(n).expect("not zero");
    let mut parser = vt100::Parser::new(size(2000), size(cols), 0);
    parser.process(raw);
    let rows: Vec<String> = parser.screen().rows(0, cols).map(|row| row.trim_end().to_owned()).collect();
    let last = rows.iter().rposition(|row| !row.is_empty()).map_or(0, |i| i + 1);
    rows[..last].to_vec()
}

/// The events of a run's log, each line parsed; panics on a line that is not JSON.
fn parse_log(path: &Path) -> Vec<Value> {
    let log = std::fs::read_to_string(path).expect("read the log");
    log.lines()
        .enumerate()
        .map(|(i, line)| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("line {} is not JSON: {e}\n{line}", i + 1))
        })
        .collect()
}

/// Step number ("3.2") → step id and kind, read from `checklist show --format json`; `checklist`
/// is the provider, or `--checklist FILE`.
fn step_index(env: &Env, checklist: &[&str]) -> Steps {
    let args = [&["checklist", "show"][..], checklist, &["--format", "json"]].concat();
    let stdout = env.closeacct(&args).status(0).stdout;
    let json: Value = serde_json::from_str(&stdout).expect("checklist JSON");
    let mut index = BTreeMap::new();
    for (s, stage) in json["stages"].as_array().expect("stages").iter().enumerate() {
        for (t, step) in stage["steps"].as_array().expect("steps").iter().enumerate() {
            let id = step["id"].as_str().expect("id").to_owned();
            let kind = step["kind"].as_str().expect("kind").to_owned();
            index.insert(format!("{}.{}", s + 1, t + 1), (id, kind));
        }
    }
    index
}

/// Step number → (id, kind).
type Steps = BTreeMap<String, (String, String)>;

/// What a full run through the driver did.
#[derive(Default, Debug)]
struct Walked {
    /// Every "✔ recorded" line, in order: (step number, what: done/skipped/note, seq).
    recorded: Vec<(String, String, u64)>,
    /// Each step menu shown, in order.
    menus: Vec<String>,
    facts: Vec<(String, bool)>,
    attest_refused: bool,
    evidence_refused: bool,
    done: usize,
    skipped: usize,
}

/// Walks the wizard to the end, reacting to whatever it shows: facts matching `yes` are answered
/// yes and the others no; the first step gets a note, the next `confirm` step is skipped with a
/// reason, every other step is done — an attest step first gets a wrong account and an evidence
/// step first gets nothing, and both must be refused and asked again. `steps` (the checklist's
/// numbers and kinds) only decides which step to skip.
fn walk_to_the_end(pty: &mut Pty, yes: &Regex, steps: &Steps) -> Walked {
    let mut w = Walked::default();
    let mut current: Option<String> = None;
    let mut resolved: BTreeSet<String> = BTreeSet::new();
    let mut expect_refusal: Option<&str> = None;
    loop {
        let prompt = pty.next_prompt();
        if let Some(refusal) = expect_refusal.take() {
            match &prompt {
                Prompt::Refused(text) if text.contains(refusal) => continue,
                other => pty.fail(&format!("expected a refusal ({refusal}), got {other:?}")),
            }
        }
        match prompt {
            Prompt::Complete => return w,
            Prompt::YesNo { row, .. } if row.starts_with("Go back to the step's menu") => {
                // Evidence left empty: stay and give it.
                pty.send("n");
                pty.expect(r"recorded\) no\n");
            }
            Prompt::YesNo { row, shown } => {
                assert!(w.menus.is_empty(), "every fact is asked before the steps: {shown}");
                let answer = yes.is_match(&shown);
                pty.send(if answer { "y" } else { "n" });
                pty.expect(&format!(r"{} {}\n", regex::escape(&row), if answer { "yes" } else { "no" }));
                w.facts.push((shown, answer));
            }
            Prompt::Menu { step, wait } => {
                assert!(!resolved.contains(&step), "step {step} was asked again after it was recorded");
                assert!(steps.contains_key(&step), "no step {step} in the checklist");
                if current.as_ref() != Some(&step) {
                    w.menus.push(step.clone());
                }
                current = Some(step.clone());
                if wait {
                    pty.choose(&format!("Step {step} · has it happened?"), &WAIT_MENU, item(&WAIT_MENU, "Yes"));
                } else if w.recorded.is_empty() {
                    pty.choose(&format!("Step {step}"), &STEP_MENU, item(&STEP_MENU, "Add a note"));
                    pty.expect(r"(?m)^Note \(empty to go back\): $");
                    pty.type_line(&format!("note on step {step}: checked with the team"));
                } else if w.skipped == 0 && w.menus.len() > 1 && steps[&step].1 == "confirm" {
                    pty.choose(&format!("Step {step}"), &STEP_MENU, item(&STEP_MENU, "Skip"));
                    pty.expect(r"(?m)^Why is this step skipped\? \(empty to go back\): $");
                    pty.type_line("not needed: nothing of this kind in the account");
                } else {
                    pty.choose(&format!("Step {step}"), &STEP_MENU, 0);
                }
            }
            Prompt::Attest(account) => {
                if w.attest_refused {
                    pty.type_line(&account);
                } else {
                    pty.type_line(&format!("{account}x"));
                    expect_refusal = Some("that is not");
                    w.attest_refused = true;
                }
            }
            Prompt::Input(label) if label.starts_with("When did it happen") => pty.send(ENTER),
            Prompt::Input(label) => {
                let step = current.clone().unwrap_or_else(|| pty.fail(&format!("text asked outside a step: {label}")));
                if w.evidence_refused {
                    pty.type_line(&format!("evidence for {step}: CS-2026-{}", step.replace('.', "-")));
                } else {
                    pty.send(ENTER);
                    expect_refusal = Some("evidence is required");
                    w.evidence_refused = true;
                }
            }
            Prompt::Recorded { what, seq } => {
                let step = current.clone().unwrap_or_else(|| pty.fail("recorded outside a step"));
                match what.as_str() {
                    "done" => w.done += 1,
                    "skipped" => w.skipped += 1,
                    "note" => {}
                    other => pty.fail(&format!("unexpected record {other}")),
                }
                if what != "note" {
                    resolved.insert(step.clone());
                }
                w.recorded.push((step, what, seq));
            }
            Prompt::Refused(text) => pty.fail(&format!("unexpected refusal: {text}")),
        }
    }
}

/// Checks a finished run: `status --check`, `verify`, the log, and that every "recorded" the
/// wizard printed is the matching line of the log. `run` selects the run
/// (`--provider P --account A`).
fn check_complete_run(env: &Env, run: &[&str], steps: &Steps, account: &str, log: &Path, w: &Walked) {
    env.closeacct(&[&["status"][..], run, &["--check"]].concat()).status(0);
    env.closeacct(&[&["verify"][..], run].concat()).status(0);
    let events = parse_log(log);
    for (i, event) in events.iter().enumerate() {
        assert_eq!(event["seq"].as_u64(), Some(i as u64 + 1), "sequence numbers count up: {event}");
        assert_eq!(event["by"], "ana");
    }
    assert_eq!(events.last().expect("events")["event"], "run_completed");
    assert_eq!(events.iter().filter(|e| e["event"] == "run_completed").count(), 1);
    for (number, what, seq) in &w.recorded {
        let event = &events[usize::try_from(*seq).expect("seq") - 1];
        let kind = match what.as_str() {
            "done" => "step_done",
            "skipped" => "step_skipped",
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
    let recorded: usize = events
        .iter()
        .filter(|e| matches!(e["event"].as_str(), Some("step_done" | "step_skipped" | "note_added")))
        .count();
    assert_eq!(recorded, w.recorded.len(), "every step event was reported as recorded");
    let facts: Vec<&str> =
        events.iter().filter(|e| e["event"] == "fact_answered").map(|e| e["value"].as_str().expect("value")).collect();
    let answers: Vec<&str> = w.facts.iter().map(|(_, yes)| if *yes { "yes" } else { "no" }).collect();
    assert_eq!(facts, answers);
}

/// The walk met every kind of step, a refused attestation and evidence, a skip and a note.
#[track_caller]
fn assert_all_kinds_walked(steps: &Steps, w: &Walked) {
    let kinds: BTreeSet<&str> = w
        .recorded
        .iter()
        .filter(|(_, what, _)| what == "done")
        .map(|(number, _, _)| steps[number].1.as_str())
        .collect();
    assert_eq!(kinds, BTreeSet::from(["attest", "confirm", "evidence", "wait"]), "{w:?}");
    assert!(w.attest_refused && w.evidence_refused, "{w:?}");
    assert_eq!(w.skipped, 1, "{w:?}");
    assert!(w.recorded.iter().any(|(_, what, _)| what == "note"), "{w:?}");
}

/// The wizard and the log, for the SMALL checklist's run.
impl Small {
    fn wizard(&self, extra: &[&str]) -> Pty {
        let mut args = vec!["--checklist", self.file.as_str(), "--account", "acct-1"];
        args.extend_from_slice(extra);
        Pty::wizard(&self.env, &args)
    }

    fn events(&self) -> Vec<Value> {
        parse_log(&self.env.log("small", "acct-1"))
    }
}

/// Answers the SMALL checklist's one fact.
fn answer_org(pty: &mut Pty, yes: bool) {
    pty.expect(r"Is acct-1 an organization's management account\? \[y/n\] $");
    pty.send(if yes { "y" } else { "n" });
    pty.expect(if yes { r"account\? yes\n" } else { r"account\? no\n" });
}

/// The place of the item of `menu` that starts with `label`.
fn item(menu: &[&str], label: &str) -> usize {
    menu.iter().position(|item| item.starts_with(label)).unwrap_or_else(|| panic!("no `{label}` in {menu:?}"))
}

/// A step's menu as shown, Done highlighted, as a regex.
fn step_menu_shown(step: &str) -> String {
    let middle = STEP_MENU.len() - 2;
    format!(r"(?m)^Step {}:\n> Done\n(?:  [^\n]*\n){{{middle}}}  Save and quit\n", regex::escape(step))
}

/// Waits for a step's menu and chooses `index` in it.
fn at_step(pty: &mut Pty, step: &str, index: usize) {
    pty.expect(&step_menu_shown(step));
    pty.choose(&format!("Step {step}"), &STEP_MENU, index);
}

/// "✔ recorded WHAT … (seq N)" → N.
fn recorded(pty: &mut Pty, what: &str) -> u64 {
    pty.expect(&format!(r"✔ recorded {what} 13:40:00 \(seq (\d+)\)\n"))[1].parse().expect("seq")
}

#[test]
fn a_full_small_run_records_every_kind_of_step() {
    let s = Small::new();
    let steps = step_index(&s.env, &["--checklist", &s.file]);
    let stdout = s.env.dir.path().join("stdout");
    let mut pty =
        Pty::spawn(wizard_cmd_redirected(&s.env, &["--checklist", &s.file, "--account", "acct-1"], 1, &stdout));
    pty.expect(r"closeacct · Small test checklist \(checklist small v1, 2 stages, 5 steps\)\n");
    let walked = walk_to_the_end(&mut pty, &Regex::new("management").expect("regex"), &steps);
    assert_eq!(walked.menus, ["1.1", "1.2", "2.1", "2.2", "2.3"]);
    pty.expect(r": 4 done, 1 skipped, 0 not applicable\.\n");
    assert_eq!(pty.wait_exit(), 0);
    assert_all_kinds_walked(&steps, &walked);
    let run = ["--checklist", s.file.as_str(), "--account", "acct-1"];
    check_complete_run(&s.env, &run, &steps, "acct-1", &s.env.log("small", "acct-1"), &walked);
    assert_eq!(std::fs::read_to_string(&stdout).expect("stdout"), "", "prompts and progress go to stderr");
}

#[test]
fn a_kill_9_loses_nothing_recorded_and_the_rerun_resumes_at_the_next_step() {
    let s = Small::new();
    let mut pty = s.wizard(&[]);
    answer_org(&mut pty, true);
    pty.expect(r"→ 5 steps apply, 0 do not");
    let mut seen = Vec::new();
    at_step(&mut pty, "1.1", 0);
    seen.push(("backup", recorded(&mut pty, "done")));
    at_step(&mut pty, "1.2", 0);
    seen.push(("remove-members", recorded(&mut pty, "done")));
    at_step(&mut pty, "2.1", 0);
    pty.expect(r"Ticket number: $");
    pty.type_line("CS-77");
    seen.push(("ticket", recorded(&mut pty, "done")));
    // Waiting at the next menu; the process gets no chance to clean up.
    pty.expect(&step_menu_shown("2.2"));
    pty.kill9();

    let events = s.events();
    for (step, seq) in &seen {
        let event = &events[usize::try_from(*seq).expect("seq") - 1];
        assert_eq!((event["event"].as_str(), event["step"].as_str()), (Some("step_done"), Some(*step)), "{event}");
    }
    assert_eq!(events.len(), 5, "run started, fact, three steps");

    let mut pty = s.wizard(&[]);
    pty.expect(
        r"Resuming run started 2026-11-24 13:40 — 3 of 5 steps resolved, last at 2026-11-24 13:40 \(step 2\.1\)\.\n",
    );
    pty.expect(r"Next: Stage 2/2 · Close · Step 2\.2 Close the account\n");
    // The first thing asked is step 2.2: no fact, no earlier step.
    assert_eq!(pty.next_prompt(), Prompt::Menu { step: "2.2".into(), wait: false });
    assert!(!pty.text.contains("[y/n]"), "the fact is not asked again");
    pty.choose("Step 2.2", &STEP_MENU, 0);
    assert_eq!(pty.next_prompt(), Prompt::Attest("acct-1".into()));
    pty.type_line("acct-1");
    assert!(matches!(pty.next_prompt(), Prompt::Recorded { ref what, seq: 6 } if what == "done"));
    assert_eq!(pty.next_prompt(), Prompt::Menu { step: "2.3".into(), wait: true });
    pty.choose("Step 2.3 · has it happened?", &WAIT_MENU, item(&WAIT_MENU, "Yes"));
    assert!(matches!(pty.next_prompt(), Prompt::Input(ref label) if label.starts_with("When did it happen")));
    pty.send(ENTER);
    assert!(matches!(pty.next_prompt(), Prompt::Recorded { ref what, seq: 7 } if what == "done"));
    assert_eq!(pty.next_prompt(), Prompt::Complete);
    assert_eq!(pty.wait_exit(), 0);
    for step in ["Step 1.1:", "Step 1.2:", "Step 2.1:"] {
        assert!(!pty.text.contains(step), "{step} asked again after the kill:\n{}", pty.text);
    }
    s.closeacct("verify", &[]).status(0);
    s.closeacct("status", &["--check"]).status(0);
}

/// Sends Ctrl-C once the screen is still, and checks the wizard restores the cursor, says it was
/// interrupted and exits 4.
fn interrupt(pty: &mut Pty) {
    pty.settle();
    let mark = pty.raw.len();
    pty.send(CTRL_C);
    pty.expect(r"closeacct: interrupted; everything recorded before the interruption is kept\n");
    assert_eq!(pty.wait_exit(), 4, "Ctrl-C exits 4");
    let after = &pty.raw[mark..];
    assert!(after.windows(SHOW_CURSOR.len()).any(|w| w == SHOW_CURSOR), "cursor shown again after Ctrl-C: {after:?}");
}

#[test]
fn ctrl_c_at_a_menu_exits_4_shows_the_cursor_and_keeps_the_answers() {
    let s = Small::new();
    let mut pty = s.wizard(&[]);
    answer_org(&mut pty, false);
    at_step(&mut pty, "1.1", 0);
    let seq = recorded(&mut pty, "done");
    pty.expect(&step_menu_shown("2.1"));
    interrupt(&mut pty);
    let events = s.events();
    assert_eq!(events.len(), 3);
    assert_eq!(events[2]["seq"].as_u64(), Some(seq));
    assert_eq!((events[2]["event"].as_str(), events[2]["step"].as_str()), (Some("step_done"), Some("backup")));
    s.closeacct("verify", &[]).status(0);
}

#[test]
fn ctrl_c_at_a_text_prompt_exits_4_and_records_nothing_half_typed() {
    let s = Small::new();
    s.closeacct("start", &["--fact", "org=no"]).status(0);
    s.closeacct("confirm", &["backup"]).status(0);
    let before = s.log();
    let mut pty = s.wizard(&[]);
    pty.expect(r"Resuming run started");
    at_step(&mut pty, "2.1", 0);
    pty.expect(r"Ticket number: $");
    pty.send("CS-12");
    pty.expect(r"CS-12$");
    interrupt(&mut pty);
    assert_eq!(s.log(), before, "nothing half-typed is recorded");
}

#[test]
fn ctrl_c_at_a_yes_no_question_exits_4_and_keeps_the_run() {
    let s = Small::new();
    let mut pty = s.wizard(&[]);
    pty.expect(r"Is acct-1 an organization's management account\? \[y/n\] $");
    interrupt(&mut pty);
    let events = s.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["event"], "run_started");
}

#[test]
fn without_a_terminal_the_wizard_exits_2_at_once_and_points_to_the_scripted_commands() {
    let s = Small::new();
    let check = |stderr: &str| {
        for word in ["closeacct start", "confirm", "skip"] {
            assert!(stderr.contains(word), "{word} in {stderr:?}");
        }
    };
    // stdin /dev/null.
    let started = Instant::now();
    let stderr = s.env.closeacct(&["wizard", "--checklist", &s.file, "--account", "acct-1"]).status(2).stderr;
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
    check(&stderr);

    // stdin an open pipe nobody writes to: waiting on it would hang.
    let mut child = wizard_cmd(&s.env, &["--checklist", &s.file, "--account", "acct-1"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(5) {
            let _ = child.kill();
            panic!("the wizard waits on a pipe instead of exiting");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let out = child.wait_with_output().expect("output");
    assert_eq!(status.code(), Some(2));
    check(&String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout.is_empty());

    // stderr a terminal, stdin /dev/null.
    let mut pty = Pty::spawn(wizard_cmd_redirected(
        &s.env,
        &["--checklist", &s.file, "--account", "acct-1"],
        0,
        Path::new("/dev/null"),
    ));
    assert_eq!(pty.wait_exit(), 2);
    check(&pty.text);

    // stdin a terminal, stderr a file: the prompts would go nowhere.
    let stderr_file = s.env.dir.path().join("stderr");
    let mut pty =
        Pty::spawn(wizard_cmd_redirected(&s.env, &["--checklist", &s.file, "--account", "acct-1"], 2, &stderr_file));
    assert_eq!(pty.wait_exit(), 2);
    check(&std::fs::read_to_string(&stderr_file).expect("stderr"));
    assert!(!s.env.run_dir("small", "acct-1").exists(), "nothing is started");
}

#[test]
fn a_second_process_on_the_same_run_exits_75_naming_the_holder() {
    let s = Small::new();
    let mut first = s.wizard(&[]);
    answer_org(&mut first, false);
    first.expect(&step_menu_shown("1.1"));
    let pid = first.pid();
    let before = s.log();

    let stderr = s.closeacct("confirm", &["backup"]).status(75).stderr;
    assert!(stderr.contains(&format!("the run small/acct-1 is in use by another closeacct (pid {pid})")), "{stderr}");

    let mut second = s.wizard(&[]);
    assert_eq!(second.wait_exit(), 75);
    assert!(second.text.contains(&format!("(pid {pid})")), "{}", second.text);
    assert_eq!(s.log(), before, "neither wrote anything");

    // The first goes on undisturbed.
    first.choose("Step 1.1", &STEP_MENU, 0);
    recorded(&mut first, "done");
    at_step(&mut first, "2.1", item(&STEP_MENU, "Save and quit"));
    assert_eq!(first.wait_exit(), 3);
    // Released: a scripted command gets the run now.
    s.closeacct("skip", &["ticket", "--reason", "opened by phone"]).status(0);
}

/// The wizard on `cols` columns of terminal, with or without `NO_COLOR`. ptyprocess sets its
/// default 80 columns from the parent once the child has started, so the child waits for a line
/// on stdin, sent only after the size is set, before it execs the wizard: the very first line the
/// wizard writes already sees the narrow terminal.
/// closeacct with `args` on a terminal `cols` wide: the size is set before closeacct starts.
fn on_terminal(env: &Env, cols: u16, no_color: bool, args: &[&str]) -> Pty {
    let mut run = env.closeacct(args).env("TERM", "xterm").via("/bin/sh", &["-c", "read -r _; exec \"$0\" \"$@\""]);
    if !no_color {
        run = run.env_remove("NO_COLOR");
    }
    let mut pty = Pty::spawn(run.command());
    pty.session.get_process_mut().set_window_size(cols, 40).expect("set the terminal size");
    pty.send(ENTER);
    pty
}

fn narrow_wizard(env: &Env, cols: u16, no_color: bool, args: &[&str]) -> Pty {
    on_terminal(env, cols, no_color, &[&["wizard"], args].concat())
}

/// A prompt too long for a narrow terminal is wrapped at spaces only: the account to type keeps
/// its hyphens on one line.
#[test]
fn a_narrow_terminal_never_splits_the_account_to_type() {
    let s = Small::new();
    let account = "acme-prod-eu-west-1a";
    let mut pty = on_terminal(&s.env, 40, true, &["wizard", "--checklist", &s.file, "--account", account]);
    pty.expect(r"an organization's management account\? \[y/n\] $");
    pty.send("n");
    at_step(&mut pty, "1.1", 0);
    recorded(&mut pty, "done");
    at_step(&mut pty, "2.1", 0);
    pty.expect(r"Ticket number: $");
    pty.type_line("CS-1");
    recorded(&mut pty, "done");
    at_step(&mut pty, "2.2", 0);
    pty.expect(r"\nType the account\n");
    pty.expect(&format!(r"{account} to\n"));
    pty.expect(r"confirm \(empty to go back\): $");
    pty.send("\x03");
    assert_eq!(pty.wait_exit(), 4);
}

#[test]
fn on_a_terminal_the_status_overview_keeps_each_run_on_one_line() {
    let env = Env::new();
    let small = env.write("small.toml", SMALL).display().to_string();
    let run = ["--checklist", small.as_str(), "--account", "a-long-account-name-01"];
    env.closeacct(&[&["start", "--fact", "org=yes"], &run[..]].concat()).status(0);
    env.closeacct(&[&["confirm", "backup"], &run[..]].concat()).status(0);
    // Whole, the row is longer than 80 columns; piped, it is fitted to 80.
    let wide = env.closeacct(&["status"]).env("COLUMNS", "200").status(0).stdout;
    let row = wide.lines().nth(1).expect("a row");
    assert!(row.ends_with("  1.2 remove-members") && row.chars().count() > 80, "{wide}");
    let piped = env.closeacct(&["status"]).env_remove("COLUMNS").status(0).stdout;
    let piped = piped.lines().nth(1).expect("a row");
    for cols in [80u16, 100] {
        let mut pty = on_terminal(&env, cols, true, &["status"]);
        pty.expect(r"PROVIDER +ACCOUNT +RESOLVED +WAITING +LAST ACTIVITY +NEXT\n");
        let fitted = pty.expect(r"(small +a-long-account-name-01 .*)\n").remove(1);
        assert_eq!(pty.wait_exit(), 0);
        if cols == 80 {
            assert!(fitted.ends_with("  1.2 remo…") && fitted.chars().count() == 80, "{fitted:?}");
            assert_eq!(fitted, piped, "into a pipe as on an 80-column terminal");
        } else {
            assert_eq!(fitted, row, "a wide terminal shows the row whole");
        }
    }
}

#[test]
fn a_narrow_terminal_gets_lines_wrapped_at_spaces_and_no_color_means_none() {
    for no_color in [true, false] {
        let env = Env::new();
        let mut pty = narrow_wizard(&env, 50, no_color, &["--provider", "aws", "--account", "111122223333"]);
        // Long lines wrap at a space (a space in an expected pattern also matches a line break).
        pty.expect(
            r"closeacct · AWS account closure through Bespin Global \(checklist aws v\d+, 7 stages, \d+ steps\)\n",
        );
        pty.expect(r"A management account can only be closed once every member account");
        pty.settle();
        pty.send("n");
        pty.settle();
        pty.send("n");
        pty.settle();
        pty.send("n");
        pty.expect(r"Step 1\.1  Make sure you can log in as the account's root user   \(you do this · customer\)\n");
        pty.settle();
        // No line is wider than the terminal, but a path or a progress bar (redrawn in place,
        // so its drawings run together in the transcript).
        let wide: Vec<&str> = pty
            .text
            .lines()
            .filter(|line| line.chars().count() > 50 && !line.contains('/') && !line.contains("] "))
            .collect();
        assert!(wide.is_empty(), "lines wider than 50 columns: {wide:#?}");
        let coloured = pty.raw.windows(4).any(|w| w[0] == 0x1b && w[1] == b'[' && (w[2] == b'3' || w[2] == b'9'));
        assert_eq!(
            coloured,
            !no_color,
            "NO_COLOR={no_color}: colour codes {}",
            if coloured { "seen" } else { "missing" }
        );
        pty.send("\x03");
        assert_eq!(pty.wait_exit(), 4);
    }
}

#[test]
fn ctrl_c_while_a_check_runs_kills_its_commands_records_nothing_and_exits_4() {
    let env = Env::new();
    let backup_step = "kind = \"confirm\"\n\n[[stages.steps]]\nid = \"remove-members\"";
    assert!(SMALL.contains(backup_step));
    let check = format!(
        "kind = \"confirm\"\n[stages.steps.check]\nsummary = \"Nothing is still copying\"\nforeach = {{ n = [\"seq\", \"2\"] }}\nrun = [\"sh\", \"-c\", \"echo $$ > {}/pid-$1; exec sleep 300\", \"sh\", \"{{n}}\"]\nexpect = \"success\"\n\n[[stages.steps]]\nid = \"remove-members\"",
        env.dir.path().display()
    );
    let file = env.write("checked.toml", SMALL.replacen(backup_step, &check, 1)).display().to_string();
    let mut pty = Pty::wizard(&env, &["--checklist", &file, "--account", "acct-1"]);
    answer_org(&mut pty, false);
    // The step shows the exact commands before anything runs.
    pty.expect(r"\$ seq 2\n");
    pty.expect(r"\$ sh -c '[^\n]*' sh \{n\}   \(for each \{n\}\)\n");
    let menu: Vec<&str> =
        [STEP_MENU[0], closeacct::testing::RUN_CHECK.0].into_iter().chain(STEP_MENU[1..].iter().copied()).collect();
    pty.expect(r"(?m)^Step 1\.1:\n> Done\n  Run the check\n");
    pty.choose("Step 1.1", &menu, 1);
    pty.expect(r"Run the check's read-only commands now, with your credentials\? \[y/n\] $");
    let before = std::fs::read_to_string(env.log("small", "acct-1")).expect("the log");
    pty.send("y");
    let pids = |dir: &Path| -> Vec<i32> {
        std::fs::read_dir(dir)
            .expect("temp dir")
            .filter_map(|entry| {
                let entry = entry.expect("entry");
                let name = entry.file_name().into_string().expect("name");
                let pid = std::fs::read_to_string(entry.path()).ok()?;
                name.starts_with("pid-").then(|| pid.trim().parse().ok()).flatten()
            })
            .collect()
    };
    let deadline = Instant::now() + TIMEOUT;
    while pids(env.dir.path()).len() < 2 {
        assert!(Instant::now() < deadline, "the check's commands did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    let running = pids(env.dir.path());
    interrupt(&mut pty);
    for pid in running {
        let gone = || {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .map_or(true, |stat| stat.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with('Z')))
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        while !gone() {
            assert!(Instant::now() < deadline, "{pid} outlived Ctrl-C");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    assert_eq!(std::fs::read_to_string(env.log("small", "acct-1")).expect("the log"), before, "nothing is recorded");
}

/// `remove` on a terminal asks for the account to be typed: anything else moves nothing (exit 2);
/// the account moves the run to the trash.
#[test]
fn remove_on_a_terminal_moves_the_run_only_once_the_account_is_typed() {
    let s = Small::new();
    s.closeacct("start", &[]).status(0);
    let remove = ["remove", "--checklist", s.file.as_str(), "--account", "acct-1"];
    let mut pty = on_terminal(&s.env, 100, true, &remove);
    pty.expect(r"Type the account acct-1 to move the run small/acct-1 to the trash");
    pty.type_line("acct-2");
    pty.expect(r"`acct-2` is not the account `acct-1`; nothing was moved");
    assert_eq!(pty.wait_exit(), 2);
    assert!(s.env.log("small", "acct-1").exists(), "nothing was moved");
    let mut pty = on_terminal(&s.env, 100, true, &remove);
    pty.expect(r"to the trash");
    pty.type_line("acct-1");
    pty.expect(r"Moved the run small/acct-1 to .*trash/small/acct-1/");
    assert_eq!(pty.wait_exit(), 0);
    assert!(!s.env.run_dir("small", "acct-1").exists());
}

/// At 40 columns, a question longer than a row stays whole on the screen once it is answered:
/// every row of it, then the answer; the checklist-change question too, and both answers are
/// acknowledged as recorded.
#[test]
fn on_a_narrow_terminal_every_question_stays_whole_with_its_answer() {
    let s = Small::new();
    let wizard = ["wizard", "--checklist", s.file.as_str(), "--account", "acct-1"];
    let mut pty = on_terminal(&s.env, 40, true, &wizard);
    pty.expect(r"\[y/n\] $");
    pty.send("n");
    recorded(&mut pty, "org = no");
    at_step(&mut pty, "1.1", item(&STEP_MENU, "Save and quit"));
    assert_eq!(pty.wait_exit(), 3);
    let screen = pty.screen(40).join("\n");
    assert!(pty.screen(40).iter().all(|row| row.chars().count() <= 40));
    let words = screen.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.contains("Is acct-1 an organization's management account? no ✔ recorded org = no"), "{screen}");

    // The checklist changes: its question, asked on the narrow terminal, stays whole too.
    std::fs::write(&s.file, SMALL.replace("Copy out what you must keep.", "Copy out all you must keep.")).unwrap();
    let mut pty = on_terminal(&s.env, 40, true, &wizard);
    pty.expect(r"\[y/n\] $");
    pty.send("y");
    recorded(&mut pty, "checklist change accepted");
    at_step(&mut pty, "1.1", item(&STEP_MENU, "Save and quit"));
    assert_eq!(pty.wait_exit(), 3);
    let screen = pty.screen(40).join("\n");
    let words = screen.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains(
            "Go on with the new checklist? (steps already recorded stay recorded) yes ✔ recorded checklist change accepted"
        ),
        "{screen}"
    );
}
