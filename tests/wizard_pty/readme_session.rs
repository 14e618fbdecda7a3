//! The README's "What a session looks like" is a real session: the wizard's screen and the
//! markdown report in it are made again here, from the real binary on a pseudo-terminal, and
//! must be exactly the README's blocks, so they cannot go stale.
//!
//! Each block follows a marker line (`<!-- transcript: wizard -->`, `<!-- transcript: report -->`)
//! and is compared whole. On a difference the test prints the block to paste in its place;
//! `CLOSEACCT_BLESS_README=1 cargo test --locked readme_session` writes it into README.md instead.
//!
//! The session is the `payroll-saas` checklist of the README's "Write your own checklist", taken
//! from there: one fact, an evidence step, and Save and quit at the irreversible step. The clock,
//! operator and time zone are the tests' own (2026-11-24 13:40 UTC, `ana`); the state directory
//! is the default one under the test's `HOME`, shown as `/home/ana`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use expectrl::process::Termios;

use super::{DOWN, ENTER, Pty, STEP_MENU, TIMEOUT, item, recorded, render, step_menu_shown};
use crate::common::Env;

const PROVIDER: &str = "payroll-saas";
const ACCOUNT: &str = "acme-payroll";
const EVIDENCE: &str = "finance archive, payroll/2026-12";
/// What the test's `HOME` (a temp dir) is shown as.
const HOME: &str = "/home/ana";
const COLUMNS: u16 = 80;
/// Tall enough for the whole session; the screen is rendered from everything written anyway.
const ROWS: u16 = 60;
/// Set to 1, the test writes what it saw into README.md instead of failing.
const BLESS: &str = "CLOSEACCT_BLESS_README";

fn readme_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")
}

/// Where a block's content is in the README: after the line of its opening fence, up to the line
/// of its closing one.
struct Block {
    content: std::ops::Range<usize>,
    lang: String,
}

/// The fenced block on the line after `marker`.
fn find_block(readme: &str, marker: &str) -> Result<Block, String> {
    let line = format!("{marker}\n");
    let at = readme.find(&line).ok_or_else(|| format!("README.md has no line `{marker}`"))?;
    let open_start = at + line.len();
    let open_end = open_start + readme[open_start..].find('\n').ok_or("README.md ends after the marker")? + 1;
    let open = &readme[open_start..open_end - 1];
    let fence: String = open.chars().take_while(|&c| c == '`').collect();
    if fence.len() < 3 {
        return Err(format!("the line after `{marker}` in README.md is not a fence: {open:?}"));
    }
    let mut pos = open_end;
    for line in readme[open_end..].split_inclusive('\n') {
        if line.trim_end_matches('\n') == fence {
            return Ok(Block { content: open_end..pos, lang: open[fence.len()..].to_owned() });
        }
        pos += line.len();
    }
    Err(format!("the block after `{marker}` in README.md is never closed"))
}

/// A fence that `content` cannot close: one backtick more than any run of them starting a line.
fn fence_for(content: &str) -> String {
    let longest = content.lines().map(|l| l.chars().take_while(|&c| c == '`').count()).max().unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

/// Checks that the README's block after `marker` is `shown` exactly; on a difference, rewrites
/// the block under `CLOSEACCT_BLESS_README=1`, and otherwise says what differs and what to paste.
fn compare_or_bless(marker: &str, lang: &str, shown: &str) -> Result<(), String> {
    let path = readme_path();
    let readme = std::fs::read_to_string(&path).expect("read README.md");
    let block = find_block(&readme, marker);
    let expected = format!("{shown}\n");
    if let Ok(block) = &block
        && block.lang == lang
        && readme[block.content.clone()] == expected
    {
        return Ok(());
    }
    let fence = fence_for(shown);
    let paste = format!("{marker}\n{fence}{lang}\n{expected}{fence}\n");
    if std::env::var(BLESS).is_ok_and(|v| v == "1") {
        let block = block?;
        // From the marker to the end of the closing fence's line.
        let start = readme.find(&format!("{marker}\n")).expect("found before");
        let close = block.content.end + readme[block.content.end..].find('\n').map_or(0, |i| i + 1);
        let updated = format!("{}{paste}{}", &readme[..start], &readme[close.min(readme.len())..]);
        // Atomically: other tests read the README meanwhile.
        let tmp = path.with_extension("md.bless");
        std::fs::write(&tmp, updated).expect("write README.md");
        std::fs::rename(&tmp, &path).expect("replace README.md");
        eprintln!("{BLESS}: rewrote the block after `{marker}` in README.md");
        return Ok(());
    }
    let why = match &block {
        Err(e) => e.clone(),
        Ok(block) if block.lang != lang => format!("the block is `{}`, not `{lang}`", block.lang),
        Ok(block) => {
            let old = &readme[block.content.clone()];
            let n = old.lines().zip(expected.lines()).take_while(|(a, b)| a == b).count();
            format!(
                "line {} of the block differs:\n  README: {:?}\n  now:    {:?}",
                n + 1,
                old.lines().nth(n).unwrap_or("(the block ends)"),
                expected.lines().nth(n).unwrap_or("(the block ends)")
            )
        }
    };
    Err(format!(
        "README.md's block after `{marker}` is not what closeacct shows now: {why}\n\
         Paste this in its place (or run the test with {BLESS}=1 to write it):\n{paste}"
    ))
}

/// Trailing blanks and blank lines at both ends cut; the test's `HOME` shown as [`HOME`].
fn normalise(text: &str, home: &str) -> String {
    let text = text.replace(home, HOME);
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    let first = lines.iter().position(|l| !l.is_empty()).unwrap_or(lines.len());
    let last = lines.iter().rposition(|l| !l.is_empty()).map_or(first, |i| i + 1);
    lines[first..last].join("\n")
}

/// The `toml` block of "### Write your own checklist", and the file name its first line gives.
fn payroll_checklist(readme: &str) -> (String, String) {
    let section = &readme[readme.find("\n### Write your own checklist\n").expect("the README has the section")..];
    let start = section.find("```toml\n").expect("a toml block") + "```toml\n".len();
    let end = start + section[start..].find("\n```").expect("closed");
    let toml = &section[start..=end];
    let name = toml.lines().next().and_then(|l| l.strip_prefix("# ~/.config/closeacct/checklists/"));
    (name.expect("the block names its file").to_owned(), toml.to_owned())
}

/// Sends `keys` once the wizard is reading the terminal key by key (echo off). console turns the
/// terminal's own echo back on between two keys it reads: keys arriving then would be echoed by
/// the terminal too, and show on the screen twice.
#[track_caller]
fn press(pty: &mut Pty, keys: &str) {
    let start = Instant::now();
    while pty.session.is_echo().expect("the terminal's mode") {
        if start.elapsed() > TIMEOUT {
            pty.fail("the wizard never read a key");
        }
        pty.pump();
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    pty.send(keys);
}

/// Waits for step `step`'s menu and chooses `label` in it, an arrow key at a time.
#[track_caller]
fn choose(pty: &mut Pty, step: &str, label: &str) {
    pty.expect(&step_menu_shown(step));
    let index = item(&STEP_MENU, label);
    for item in &STEP_MENU[1..=index] {
        press(pty, DOWN);
        pty.expect(&format!(r"(?m)^> {}$", regex::escape(item)));
    }
    press(pty, ENTER);
    pty.expect(&format!(r"(?m)^Step {}: {}\n", regex::escape(step), regex::escape(STEP_MENU[index])));
}

#[test]
fn the_readme_session_is_what_the_wizard_shows_and_the_report_it_makes() {
    let readme = std::fs::read_to_string(readme_path()).expect("read README.md");
    let env = Env::new();
    let home = env.dir.path().display().to_string();
    let (name, toml) = payroll_checklist(&readme);
    let dir = env.dir.path().join(".config/closeacct/checklists");
    std::fs::create_dir_all(&dir).expect("config dir");
    std::fs::write(dir.join(name), toml).expect("write the checklist");

    // On an 80×60 terminal, sized before closeacct starts: the shell waits for a line first (the
    // terminal's echo of it, a blank first row, is cut by `normalise`).
    let args = ["wizard", "--provider", PROVIDER, "--account", ACCOUNT];
    let cmd = env
        .closeacct(&args)
        .env("TERM", "xterm")
        .env_remove("CLOSEACCT_STATE_DIR")
        .via("/bin/sh", &["-c", "read -r _; exec \"$0\" \"$@\""])
        .command();
    let mut pty = Pty::spawn(cmd);
    pty.session.get_process_mut().set_window_size(COLUMNS, ROWS).expect("set the terminal size");
    pty.send(ENTER);

    pty.expect(r"already been exported elsewhere\? \[y/n\] $");
    press(&mut pty, "n");
    recorded(&mut pty, "exported = no");
    choose(&mut pty, "1.1", "Done");
    pty.expect(r"(?m)^Where the export is stored: $");
    press(&mut pty, &format!("{EVIDENCE}{ENTER}"));
    recorded(&mut pty, "done");
    choose(&mut pty, "2.1", "Save and quit");
    assert_eq!(pty.wait_exit(), 3, "Save and quit exits 3");

    // The temp dir shown as HOME before the terminal lays it out, as a terminal would.
    pty.pump();
    let raw = String::from_utf8_lossy(&pty.raw).replace(&home, HOME);
    let screen = normalise(&render(raw.as_bytes(), COLUMNS).join("\n"), &home);
    assert!(screen.contains(&format!("Run stored in {HOME}/.local/state/closeacct/runs/{PROVIDER}/{ACCOUNT}\n")));
    let wizard = format!("$ closeacct {}\n{screen}", args.join(" "));

    let report_args = ["report", "--provider", PROVIDER, "--account", ACCOUNT, "--format", "markdown"];
    let report = env.closeacct(&report_args).env_remove("CLOSEACCT_STATE_DIR").status(0).stdout;
    let report = normalise(&report, &home);
    let command = format!("`closeacct {}`", report_args.join(" "));
    let section = &readme[readme.find("<!-- transcript: wizard -->").unwrap_or(0)..];
    let section = &section[..section.find("<!-- transcript: report -->").unwrap_or(section.len())];

    let failures: Vec<String> = [
        compare_or_bless("<!-- transcript: wizard -->", "text", &wizard),
        compare_or_bless("<!-- transcript: report -->", "markdown", &report),
        if section.contains(&command) { Ok(()) } else { Err(format!("the README does not name {command}")) },
    ]
    .into_iter()
    .filter_map(Result::err)
    .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
