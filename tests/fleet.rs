//! Many runs: `start --accounts-from`, `runs`, `archive`, `remove`, `report --all`, and the
//! overview that shows every entry of the state directory, whatever is wrong with one of them.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::common::{Env, SMALL};

/// `closeacct <command> --checklist small.toml --account ACCOUNT <rest>`.
fn small<'e>(env: &'e Env, command: &str, account: &str, rest: &[&str]) -> crate::common::Run<'e> {
    let file = env.dir.path().join("small.toml");
    if !file.exists() {
        env.write("small.toml", SMALL);
    }
    env.closeacct(&[command, "--checklist", file.to_str().unwrap(), "--account", account]).args(rest)
}

/// Takes a run of the small checklist from start to complete.
fn complete(env: &Env, account: &str) {
    small(env, "start", account, &["--fact", "org=no"]).status(0);
    small(env, "confirm", account, &["backup"]).status(0);
    small(env, "confirm", account, &["ticket", "--evidence", "T-1"]).status(0);
    small(env, "confirm", account, &["close-account", "--attest", account]).status(0);
    small(env, "confirm", account, &["confirmation"]).status(0);
}

/// Names of the run directories under `runs/PROVIDER`.
fn runs_of(env: &Env, provider: &str) -> Vec<String> {
    let Ok(entries) = fs::read_dir(env.state().join("runs").join(provider)) else { return Vec::new() };
    let mut names: Vec<String> = entries.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

#[test]
fn start_from_a_list_starts_each_account_once_and_reports_the_ones_that_exist() {
    let env = Env::new();
    let list = env.write("accounts.txt", "# programme Q4\n111122223333\n\n  222233334444   # the old one\n");
    let out = env
        .closeacct(&["start", "--provider", "centurylink", "--accounts-from"])
        .args(&[list.to_str().unwrap(), "--fact", "term_commitment=no"])
        .status(0);
    insta::assert_snapshot!(out.snapshot(), @"
    ------- stderr -------
    Started 2 runs of centurylink in $TEST_ENV/state/runs/centurylink, each with term_commitment = no; 0 already existed. `closeacct runs --provider centurylink` lists them.
    [exit status: 0]
    ");
    assert_eq!(runs_of(&env, "centurylink"), ["111122223333", "222233334444"]);
    let log = fs::read_to_string(env.log("centurylink", "222233334444")).unwrap();
    assert!(log.lines().nth(1).unwrap().contains(r#""fact":"term_commitment","value":"no""#), "{log}");
    assert_eq!(
        fs::read_to_string(env.state().join(".gitignore")).unwrap().lines().filter(|l| !l.starts_with('#')).count(),
        3,
        "a new state directory gets a .gitignore"
    );

    // Again, from standard input, with one more account: the two are left as they were.
    let before = fs::read(env.log("centurylink", "111122223333")).unwrap();
    let out = env
        .closeacct(&["start", "--provider", "centurylink", "--accounts-from", "-", "--format", "json"])
        .stdin("111122223333\n222233334444\n333344445555\n")
        .status(0);
    insta::assert_snapshot!(out.snapshot(), @r#"
    {
      "schema_version": 1,
      "provider": "centurylink",
      "started": 1,
      "existing": 2,
      "accounts": [
        {
          "account": "111122223333",
          "line": 1,
          "result": "existing",
          "dir": "$TEST_ENV/state/runs/centurylink/111122223333"
        },
        {
          "account": "222233334444",
          "line": 2,
          "result": "existing",
          "dir": "$TEST_ENV/state/runs/centurylink/222233334444"
        },
        {
          "account": "333344445555",
          "line": 3,
          "result": "started",
          "dir": "$TEST_ENV/state/runs/centurylink/333344445555"
        }
      ]
    }
    ------- stderr -------
    centurylink/111122223333 (line 1) already has a run: left as it is
    centurylink/222233334444 (line 2) already has a run: left as it is
    Started 1 run of centurylink in $TEST_ENV/state/runs/centurylink; 2 already existed. `closeacct runs --provider centurylink` lists them.
    [exit status: 0]
    "#);
    assert_eq!(fs::read(env.log("centurylink", "111122223333")).unwrap(), before, "an existing run is not touched");
}

#[test]
fn a_bad_list_starts_nothing_and_names_every_bad_line() {
    let env = Env::new();
    let start = |list: &str| env.closeacct(&["start", "--provider", "centurylink", "--accounts-from", list]);
    insta::assert_snapshot!(start("missing.txt").status(66).snapshot(), @"
    ------- stderr -------
    closeacct: no such file `missing.txt`
    [exit status: 66]
    ");
    let bad = env.write("bad.txt", "1111\n2222\n3333\n4444\n5555\n6666\nnot an account\n8888\n2222\n");
    insta::assert_snapshot!(start(bad.to_str().unwrap()).status(2).snapshot(), @"
    ------- stderr -------
    closeacct: `$TEST_ENV/bad.txt`: line 7: `not an account` is not an account ID or alias (1-64 characters: letters, digits, `.`, `_`, `@`, `-`, starting with a letter or digit)
    closeacct: `$TEST_ENV/bad.txt`: line 9: `2222` is listed twice (first on line 2)
    closeacct: `$TEST_ENV/bad.txt` has 2 bad lines (shown above); nothing was started
    [exit status: 2]
    ");
    let empty = env.write("empty.txt", "# nothing yet\n\n");
    insta::assert_snapshot!(start(empty.to_str().unwrap()).status(2).snapshot(), @"
    ------- stderr -------
    closeacct: `$TEST_ENV/empty.txt` lists no accounts; nothing was started
    [exit status: 2]
    ");
    let fact = env.write("good.txt", "1111\n");
    env.closeacct(&["start", "--provider", "centurylink", "--accounts-from", fact.to_str().unwrap()])
        .args(&["--fact", "term_commitment=maybe"])
        .status(2);
    env.closeacct(&["start", "--provider", "centurylink", "--account", "1111", "--format", "json"]).status(2);
    assert!(!env.state().join("runs").exists(), "nothing was started");
}

/// A programme's list of 10,000 accounts: every line is checked before anything starts (a bad
/// last line, a duplicate 9,000 lines apart), then the list starts in one command. Starting
/// makes five fsyncs a run, so the normal run starts the first 300 and `CLOSEACCT_LONG_TESTS=1`
/// all 10,000.
#[test]
fn a_list_of_ten_thousand_accounts() {
    let env = Env::new();
    let account = |i: u64| format!("{:012}", 100_000_000_000 + i);
    let list_of = |n: u64| -> String { (0..n).map(|i| account(i) + "\n").collect() };
    let accounts = list_of(10_000);
    let bad = env.write("bad.txt", format!("{accounts}{}\nno/slash\n", account(999)));
    let out =
        env.closeacct(&["start", "--provider", "centurylink", "--accounts-from", bad.to_str().unwrap()]).status(2);
    insta::assert_snapshot!(out.snapshot(), @"
    ------- stderr -------
    closeacct: `$TEST_ENV/bad.txt`: line 10001: `100000000999` is listed twice (first on line 1000)
    closeacct: `$TEST_ENV/bad.txt`: line 10002: `no/slash` is not an account ID or alias (1-64 characters: letters, digits, `.`, `_`, `@`, `-`, starting with a letter or digit)
    closeacct: `$TEST_ENV/bad.txt` has 2 bad lines (shown above); nothing was started
    [exit status: 2]
    ");
    assert!(!env.state().join("runs").exists(), "nothing was started");

    let long = std::env::var_os("CLOSEACCT_LONG_TESTS").is_some();
    let count = if long { 10_000 } else { 300 };
    let list = env.write("accounts.txt", list_of(count as u64));
    let out = env
        .closeacct(&["start", "--provider", "centurylink", "--accounts-from", list.to_str().unwrap()])
        .args(&["--format", "json"])
        .status(0);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!((json["started"].as_u64(), json["existing"].as_u64()), (Some(count as u64), Some(0)));
    assert_eq!(json["accounts"][count - 1]["line"], count);
    assert_eq!(runs_of(&env, "centurylink").len(), count);
    let runs: serde_json::Value =
        serde_json::from_str(&env.closeacct(&["runs", "--format", "json"]).status(0).stdout).unwrap();
    assert_eq!(runs["runs"].as_array().unwrap().len(), count);
}

/// Whether the file system refuses a mode-000 directory to this process (not as root).
fn permissions_enforced(dir: &Path) -> bool {
    let probe = dir.join("permission-probe");
    fs::create_dir(&probe).unwrap();
    fs::set_permissions(&probe, fs::Permissions::from_mode(0o000)).unwrap();
    let enforced = fs::read_dir(&probe).is_err();
    fs::set_permissions(&probe, fs::Permissions::from_mode(0o700)).unwrap();
    fs::remove_dir(&probe).unwrap();
    enforced
}

/// One good run among every kind of bad entry: each bad entry is one row saying what is wrong,
/// the good run is still shown, and the exit code is the worst problem's, after everything is
/// printed. An unreadable run directory never vanishes from the overview.
#[test]
#[allow(clippy::too_many_lines)] // one state dir with every kind of bad entry, read by every overview
fn the_overview_shows_every_entry_and_exits_with_the_worst_problem() {
    let env = Env::new();
    complete(&env, "good");
    let runs = env.state().join("runs");
    // Only an unreadable directory: `status --check` must not pass.
    small(&env, "start", "locked-out", &[]).status(0);
    let locked_out = runs.join("small/locked-out");
    let as_root = !permissions_enforced(env.dir.path());
    if as_root && !Path::new("/usr/bin/setpriv").exists() {
        eprintln!("the unreadable run is not checked: running as root without setpriv");
    }
    let run_as_user = |args: &[&str]| {
        let run = env.closeacct(args);
        if as_root {
            for path in walk(env.dir.path()) {
                std::os::unix::fs::lchown(&path, Some(65534), Some(65534)).unwrap();
            }
            run.via("/usr/bin/setpriv", &["--reuid=65534", "--regid=65534", "--clear-groups", "--"]).output()
        } else {
            run.output()
        }
    };
    let unreadable = !as_root || Path::new("/usr/bin/setpriv").exists();
    if unreadable {
        fs::set_permissions(&locked_out, fs::Permissions::from_mode(0o000)).unwrap();
        let out = run_as_user(&["status", "--check"]);
        fs::set_permissions(&locked_out, fs::Permissions::from_mode(0o700)).unwrap();
        assert_eq!(out.code, Some(74), "{}", out.snapshot());
        let row = out.stdout.lines().find(|l| l.contains("locked-out")).unwrap_or_default();
        assert!(row.contains(" ! ") && row.ends_with("unreadable"), "{}", out.stdout);
        let words = out.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(words.contains("unreadable ! failed to read"), "{}", out.stdout);
        assert!(out.stdout.contains("good"), "{}", out.stdout);
    }
    fs::rename(&locked_out, runs.join("small/locked-out.moved")).unwrap();

    // Every other kind of bad entry.
    fs::create_dir_all(runs.join("small/no-log")).unwrap();
    fs::write(runs.join("small/notes.txt"), "not a run").unwrap();
    fs::write(runs.join("README"), "not a provider").unwrap();
    copy_dir(&runs.join("small/good"), &runs.join("small/good.bak"));
    complete(&env, "damaged");
    let log = env.log("small", "damaged");
    let text = fs::read_to_string(&log).unwrap().replacen("T-1", "T-2", 1);
    fs::write(&log, text).unwrap();
    // A run of a checklist file that is gone, and whose pinned copy is gone too.
    let other = env.write("other.toml", SMALL.replace("id = \"small\"", "id = \"other\""));
    env.closeacct(&["start", "--checklist", other.to_str().unwrap(), "--account", "orphan"]).status(0);
    for entry in fs::read_dir(runs.join("other/orphan")).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap().to_string_lossy().starts_with("checklist-") {
            fs::remove_file(path).unwrap();
        }
    }
    // The directory of the first run, whose log names `locked-out`.
    let out = env.closeacct(&["status"]).status(65);
    insta::assert_snapshot!(out.snapshot(), @"
    PROVIDER  ACCOUNT           RESOLVED  WAITING  LAST ACTIVITY     NEXT
    README                             !                             not-a-run
      ! `$TEST_ENV/state/runs/README` is not a run: a file where the directory
        of a provider's runs belongs
    other     orphan                   !                             unknown-checkl…
      ! the run in `$TEST_ENV/state/runs/other/orphan` is pinned to checklist
        sha256 5b6511373b8e, which is neither built in nor kept in the run's
        directory
        (`$TEST_ENV/state/runs/other/orphan/checklist-5b6511373b8ef8a7.toml`
        is missing)
    small     damaged                  !                             damaged
      ! $TEST_ENV/state/runs/small/damaged/events.jsonl: line 5: does not
        match the hash of line 4 (an earlier line was changed, removed or
        reordered); nothing was changed
    small     good                   4/4        0  2026-11-24 13:40  complete
    small     good.bak                 !                             misplaced
      ! `$TEST_ENV/state/runs/small/good.bak` holds the log of small/good, not
        of small/good.bak (a copy, or a moved run); nothing was changed
    small     locked-out.moved         !                             misplaced
      ! `$TEST_ENV/state/runs/small/locked-out.moved` holds the log of
        small/locked-out, not of small/locked-out.moved (a copy, or a moved run);
        nothing was changed
    small     no-log                   !                             not-a-run
      ! `$TEST_ENV/state/runs/small/no-log` is not a run: it has no
        events.jsonl (a run starts with its log)
    small     notes.txt                !                             not-a-run
      ! `$TEST_ENV/state/runs/small/notes.txt` is not a run: a file where the
        directory of a run belongs
    ------- stderr -------
    closeacct: 7 of the 8 entries listed could not be read as runs (marked above); the worst: $TEST_ENV/state/runs/small/damaged/events.jsonl: line 5: does not match the hash of line 4 (an earlier line was changed, removed or reordered); nothing was changed
    [exit status: 65]
    ");
    let out = env.closeacct(&["runs", "--format", "json"]).status(65);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let listed: Vec<&str> = json["runs"].as_array().unwrap().iter().map(|r| r["account"].as_str().unwrap()).collect();
    assert_eq!(listed, ["good"]);
    let problems: Vec<(&str, &str, u64)> = json["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["account"].as_str().unwrap(), p["kind"].as_str().unwrap(), p["exit_code"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        problems,
        [
            ("", "not-a-run", 66),
            ("orphan", "unknown-checklist", 66),
            ("damaged", "damaged", 65),
            ("good.bak", "misplaced", 65),
            ("locked-out.moved", "misplaced", 65),
            ("no-log", "not-a-run", 66),
            ("notes.txt", "not-a-run", 66),
        ]
    );
    let out = env.closeacct(&["report", "--all", "--format", "json"]).status(65);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!((json["totals"]["runs"].as_u64(), json["totals"]["problems"].as_u64()), (Some(1), Some(7)), "{json}");
    // Without the damage, the worst left is something missing.
    for name in ["damaged", "good.bak", "locked-out.moved"] {
        fs::rename(runs.join("small").join(name), env.dir.path().join(name)).unwrap();
    }
    let out = env.closeacct(&["status", "--check"]).status(66);
    assert!(out.stderr.contains("4 of the 5 entries listed could not be read as runs"), "{}", out.stderr);
    let out = env.closeacct(&["status", "--provider", "small"]).status(66);
    // A header and three rows; what is wrong with an entry is on indented lines under its row.
    let rows = out.stdout.lines().filter(|line| !line.starts_with(' ')).count();
    assert_eq!(rows, 4, "{}", out.stdout);
}

/// Every path under `dir`.
fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut paths = vec![dir.to_path_buf()];
    if let Ok(entries) = fs::read_dir(dir) {
        for entry in entries {
            let path = entry.unwrap().path();
            if fs::symlink_metadata(&path).unwrap().is_dir() {
                paths.extend(walk(&path));
            } else {
                paths.push(path);
            }
        }
    }
    paths
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
    }
}

#[test]
fn runs_lists_every_run_newest_first_and_filters_by_state() {
    let env = Env::new();
    complete(&env, "done-1");
    small(&env, "start", "open-1", &["--fact", "org=yes"]).now("2026-11-25T09:00:00Z").status(0);
    small(&env, "confirm", "open-1", &["backup"]).now("2026-11-25T10:00:00Z").args(&["--operator", "bo"]).status(0);
    let out = env.closeacct(&["runs"]).now("2026-11-26T08:00:00Z").status(0);
    insta::assert_snapshot!(out.snapshot(), @"
    PROVIDER  ACCOUNT  STATE     PROGRESS  WAITING  NEXT KEY DATE     LAST ACTIVITY     BY
    small     open-1   open           1/5  -        -                 2026-11-25 10:00  bo
    small     done-1   complete       4/4  -        2027-02-22 13:40  2026-11-24 13:40  ana
    ------- stderr -------
    [exit status: 0]
    ");
    let out = env.closeacct(&["runs", "--state", "open", "--format", "json"]).now("2026-11-26T08:00:00Z").status(0);
    insta::assert_snapshot!(out.snapshot(), @r#"
    {
      "schema_version": 1,
      "generated_at": "2026-11-26T08:00:00Z",
      "runs": [
        {
          "provider": "small",
          "account": "open-1",
          "state": "open",
          "complete": false,
          "archive": null,
          "counts": {
            "total": 5,
            "applicable": 5,
            "done": 1,
            "skipped": 0,
            "waiting": 0,
            "pending": 4,
            "not_applicable": 0
          },
          "next_step": {
            "number": "1.2",
            "id": "remove-members",
            "title": "Remove the member accounts"
          },
          "waiting": [],
          "next_key_date": null,
          "overdue": [],
          "started_at": "2026-11-25T09:00:00Z",
          "last_activity": "2026-11-25T10:00:00Z",
          "last_by": "bo",
          "events": 3,
          "last_hash": "3a5e434f1644078d3b6c1e7d5fde728eb8ff1d10cf4821aa5cc3e9cc5649f5c8",
          "state_file": "$TEST_ENV/state/runs/small/open-1/events.jsonl",
          "pending_checklist_changes": [],
          "zone": "UTC"
        }
      ],
      "problems": []
    }
    ------- stderr -------
    [exit status: 0]
    "#);
    let out = env.closeacct(&["runs", "--state", "complete"]).status(0);
    assert_eq!(out.stdout.lines().count(), 2, "{}", out.stdout);
    let out = env.closeacct(&["runs", "--state", "archived"]).status(0);
    assert_eq!(out.stdout.lines().count(), 1, "{}", out.stdout);
}

#[test]
fn archive_takes_only_a_complete_run_which_stays_readable_and_reportable() {
    let env = Env::new();
    small(&env, "start", "open-1", &[]).status(0);
    insta::assert_snapshot!(small(&env, "archive", "open-1", &[]).status(2).snapshot(), @"
    ------- stderr -------
    closeacct: the run small/open-1 is not complete (0 of 5 steps resolved; next: step 1.1 `backup`); only a complete run is archived (`closeacct remove` moves any run to the trash)
    [exit status: 2]
    ");
    complete(&env, "done-1");
    let report = small(&env, "report", "done-1", &["--format", "json"]).status(0).stdout;
    insta::assert_snapshot!(small(&env, "archive", "done-1", &[]).status(0).snapshot(), @"
    ------- stderr -------
    Archived small/done-1 to $TEST_ENV/state/archive/small/done-1/20261124T134000Z; `closeacct report --provider small --account done-1 --archived` reports it
    [exit status: 0]
    ");
    assert_eq!(runs_of(&env, "small"), ["open-1"]);
    let archived = env.state().join("archive/small/done-1/20261124T134000Z");
    assert!(archived.join("events.jsonl").exists());
    let out = env.closeacct(&["runs", "--state", "all"]).status(0);
    insta::assert_snapshot!(out.snapshot(), @"
    PROVIDER  ACCOUNT                  STATE     PROGRESS  WAITING  NEXT KEY DATE     LAST ACTIVITY     BY
    small     done-1/20261124T134000Z  archived       4/4  -        2027-02-22 13:40  2026-11-24 13:40  ana
    small     open-1                   open           0/5  -        -                 2026-11-24 13:40  ana
    ------- stderr -------
    [exit status: 0]
    ");
    // Reported and verified where it is, with the same content.
    let again = small(&env, "report", "done-1", &["--format", "json", "--archived"]).status(0).stdout;
    let strip = |r: &str| {
        let mut v: serde_json::Value = serde_json::from_str(r).unwrap();
        v["run"]["state_file"] = serde_json::Value::Null;
        v
    };
    assert_eq!(strip(&again), strip(&report));
    small(&env, "verify", "done-1", &["--archived"]).status(0);
    small(&env, "report", "done-1", &["--archived", "20261124T134000Z"]).status(0);
    small(&env, "report", "done-1", &["--archived", "20990101T000000Z"]).status(66);
    small(&env, "report", "done-1", &[]).status(66);
    // A second archive of the same account in the same second gets its own directory.
    complete(&env, "done-1");
    small(&env, "archive", "done-1", &[]).status(0);
    assert!(env.state().join("archive/small/done-1/20261124T134000Z-2/events.jsonl").exists());
}

#[test]
fn remove_moves_a_run_to_the_trash_only_once_the_account_is_typed() {
    let env = Env::new();
    small(&env, "start", "acct-1", &[]).status(0);
    let before = fs::read(env.log("small", "acct-1")).unwrap();
    insta::assert_snapshot!(small(&env, "remove", "acct-1", &[]).status(2).snapshot(), @"
    ------- stderr -------
    closeacct: removing a run needs its account typed; on a terminal it is asked for, in scripts give --attest acct-1
    [exit status: 2]
    ");
    insta::assert_snapshot!(small(&env, "remove", "acct-1", &["--attest", "acct-2"]).status(2).snapshot(), @"
    ------- stderr -------
    closeacct: `acct-2` is not the account `acct-1`; nothing was moved
    [exit status: 2]
    ");
    assert_eq!(runs_of(&env, "small"), ["acct-1"]);
    insta::assert_snapshot!(small(&env, "remove", "acct-1", &["--attest", "acct-1"]).status(0).snapshot(), @"
    ------- stderr -------
    Moved the run small/acct-1 to $TEST_ENV/state/trash/small/acct-1/20261124T134000Z; nothing was deleted (move the directory back to runs/small/ to restore it)
    [exit status: 0]
    ");
    assert!(runs_of(&env, "small").is_empty());
    let trashed = env.state().join("trash/small/acct-1/20261124T134000Z/events.jsonl");
    assert_eq!(fs::read(trashed).unwrap(), before, "nothing deleted or changed");
    small(&env, "remove", "acct-1", &["--attest", "acct-1"]).status(66);
    // A damaged run can be removed too, and a directory that is not a run.
    complete(&env, "acct-1");
    fs::write(env.log("small", "acct-1"), "garbage\n").unwrap();
    small(&env, "remove", "acct-1", &["--attest", "acct-1"]).status(0);
    assert!(env.state().join("trash/small/acct-1/20261124T134000Z-2/events.jsonl").exists());
}

#[test]
fn report_all_has_a_row_per_run_and_totals() {
    let env = Env::new();
    complete(&env, "done-1");
    small(&env, "archive", "done-1", &[]).status(0);
    complete(&env, "done-2");
    small(&env, "start", "open-1", &["--fact", "org=yes"]).status(0);
    small(&env, "confirm", "open-1", &["backup"]).args(&["--operator", "bo"]).status(0);
    let out = env.closeacct(&["report", "--all", "--format", "markdown"]).now("2026-12-01T00:00:00Z").status(0);
    insta::assert_snapshot!(out.snapshot(), @"
    # Account closure programme

    3 runs: 1 open, 1 complete, 1 archived; 9 of 13 steps resolved; 0 key dates overdue

    | Account | Provider | State | Progress | Waiting on | Key dates | Last activity | Last hash |
    |---|---|---|---|---|---|---|---|
    | done-1 (archive 20261124T134000Z) | small | archived | 4/4 | - | 2027-02-22T13:40:00+00:00 (step 2.2) | 2026-11-24T13:40:00+00:00 by ana | `596b77c54665c0a078c242d6b1ce2da5747fdc5811bd4e8ccd8ecebefd64aded` |
    | done-2 | small | complete | 4/4 | - | 2027-02-22T13:40:00+00:00 (step 2.2) | 2026-11-24T13:40:00+00:00 by ana | `a1b99541d523612f0982c2ef4f33e9be5e0f3cc44e6ec90d241e95d2662a4da0` |
    | open-1 | small | open | 1/5 | - | - | 2026-11-24T13:40:00+00:00 by bo | `708d3d20ea36029056c20bca829bae07978932e5e03383c8f859f68f48f3586b` |

    State directory: `$TEST_ENV/state`. Generated 2026-12-01T00:00:00+00:00.
    ------- stderr -------
    [exit status: 0]
    ");
    let out = env.closeacct(&["report", "--all"]).now("2027-03-01T00:00:00Z").status(0);
    insta::assert_snapshot!(out.snapshot(), @"
    closeacct fleet report
    ======================
    State directory  $TEST_ENV/state
    Totals           3 runs: 1 open, 1 complete, 1 archived; 9 of 13 steps resolved; 0 key dates overdue

    ACCOUNT                            PROVIDER  STATE     PROGRESS  WAITING ON  KEY DATES  LAST ACTIVITY                     LAST HASH
    done-1 (archive 20261124T134000Z)  small     archived       4/4  -           -          2026-11-24T13:40:00+00:00 by ana  596b77c54665c0a078c242d6b1ce2da5747fdc5811bd4e8ccd8ecebefd64aded
    done-2                             small     complete       4/4  -           -          2026-11-24T13:40:00+00:00 by ana  a1b99541d523612f0982c2ef4f33e9be5e0f3cc44e6ec90d241e95d2662a4da0
    open-1                             small     open           1/5  -           -          2026-11-24T13:40:00+00:00 by bo   708d3d20ea36029056c20bca829bae07978932e5e03383c8f859f68f48f3586b

    Generated 2027-03-01T00:00:00+00:00
    ------- stderr -------
    [exit status: 0]
    ");
    let file = env.dir.path().join("programme.json");
    env.closeacct(&["report", "--all", "--provider", "small", "--format", "json", "--output", file.to_str().unwrap()])
        .status(0);
    let json: serde_json::Value = serde_json::from_str(&fs::read_to_string(file).unwrap()).unwrap();
    insta::assert_json_snapshot!(json["totals"], @r#"
    {
      "applicable_steps": 13,
      "archived": 1,
      "complete": 1,
      "open": 1,
      "overdue": 0,
      "problems": 0,
      "resolved_steps": 9,
      "runs": 3,
      "waiting_on": {}
    }
    "#);
    assert_eq!(json["runs"][0]["state"], "archived");
    assert_eq!(json["runs"][0]["archive"], "20261124T134000Z");
    assert_eq!(json["runs"][2]["last_by"], "bo");
    // A provider nothing is filed under and no checklist has is a mistyped one (see below).
    env.closeacct(&["report", "--all", "--provider", "nothing-here"]).status(2);
    env.closeacct(&["report", "--all", "--account", "open-1"]).status(2);
}

/// A mistyped `--provider` in an overview is a usage error with the nearest ids, never an empty
/// list that looks like "no runs"; a provider known only from the runs filed under it (a checklist
/// file the catalog does not hold) is still listed.
#[test]
fn an_overview_of_an_unknown_provider_says_so() {
    let env = Env::new();
    env.closeacct(&["start", "--provider", "aws", "--account", "111122223333", "--fact", "org_management=no"])
        .status(0);
    for overview in [&["status"][..], &["runs"], &["report", "--all"]] {
        let out = env.closeacct(overview).args(&["--provider", "gcp"]).status(2);
        assert!(out.stderr.contains("did you mean `gcp-billing` or `gcp-project`?"), "{overview:?}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{}", out.stdout);
    }
    small(&env, "start", "open-1", &[]).status(0);
    for overview in [&["status"][..], &["runs"], &["report", "--all"]] {
        let out = env.closeacct(overview).args(&["--provider", "small"]).status(0);
        assert!(out.stdout.contains("open-1"), "{overview:?}: {}", out.stdout);
    }
}

/// Every reader of an overview sees the same dates: each run's times and key dates are in the
/// zone it was started in (as `status` and `report` show them), not the reader's.
#[test]
fn overviews_show_each_run_in_its_own_zone_whoever_reads_them() {
    let env = Env::new();
    for (account, zone) in [("tokyo-1", "Asia/Tokyo"), ("york-1", "America/New_York")] {
        small(&env, "start", account, &["--fact", "org=no"]).tz(zone).now("2026-11-30T23:30:00Z").status(0);
        for step in ["backup", "ticket"] {
            small(&env, "confirm", account, &[step, "--evidence", "T-1"]).now("2026-11-30T23:30:00Z").status(0);
        }
        small(&env, "confirm", account, &["close-account", "--attest", account]).now("2026-11-30T23:30:00Z").status(0);
        small(&env, "confirm", account, &["confirmation"]).now("2026-11-30T23:40:00Z").status(0);
    }
    let read = |args: &[&str], reader: &str| {
        let out = env.closeacct(args).tz(reader).now("2026-12-01T00:00:00Z").status(0).stdout;
        out.lines().filter(|l| !l.contains("Generated") && !l.contains("generated_at")).collect::<Vec<_>>().join("\n")
    };
    for args in
        [&["runs"][..], &["runs", "--format", "json"], &["report", "--all"], &["report", "--all", "--format", "json"]]
    {
        let in_utc = read(args, "UTC");
        assert_eq!(in_utc, read(args, "Pacific/Kiritimati"), "{args:?}");
        assert_eq!(in_utc, read(args, "America/Los_Angeles"), "{args:?}");
    }
    let report = read(&["report", "--all"], "UTC");
    // The closure was at 08:30 on 1 December in Tokyo and 18:30 on 30 November in New York; the
    // 90-day follow-up lands on each run's own calendar.
    assert!(report.contains("2027-03-01T08:30:00+09:00 (step 2.2)"), "{report}");
    assert!(report.contains("2027-02-28T18:30:00-05:00 (step 2.2)"), "{report}");
    let json: serde_json::Value = serde_json::from_str(&read(&["runs", "--format", "json"], "UTC")).unwrap();
    let zones: Vec<&str> = json["runs"].as_array().unwrap().iter().map(|r| r["zone"].as_str().unwrap()).collect();
    assert_eq!(zones.len(), 2);
    assert!(zones.contains(&"Asia/Tokyo") && zones.contains(&"America/New_York"), "{zones:?}");
}

/// Runs git in `dir` with a clean environment (no global configuration); returns its output.
fn git(env: &Env, dir: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new("git")
        .args(["-c", "init.defaultBranch=main", "-c", "user.name=ana", "-c", "user.email=ana@example.com"])
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", env.dir.path())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("run git")
}

#[track_caller]
fn git_ok(env: &Env, dir: &Path, args: &[&str]) -> String {
    let out = git(env, dir, args);
    assert!(
        out.status.success(),
        "git {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A state directory shared through git: started by closeacct (which writes its .gitignore),
/// committed, pushed to a bare repository and cloned twice. Returns the two clones.
fn shared_state(env: &Env) -> Option<(std::path::PathBuf, std::path::PathBuf)> {
    if std::process::Command::new("git").arg("--version").output().is_err() {
        eprintln!("git is not installed: the team tests are skipped");
        return None;
    }
    let seed = env.dir.path().join("seed");
    small(env, "start", "1111", &["--fact", "org=no"]).env("CLOSEACCT_STATE_DIR", &seed).status(0);
    git_ok(env, &seed, &["init", "-q"]);
    git_ok(env, &seed, &["add", "-A"]);
    git_ok(env, &seed, &["commit", "-q", "-m", "start 1111"]);
    let ignored = git_ok(env, &seed, &["status", "--porcelain", "--ignored"]);
    assert_eq!(
        ignored.lines().collect::<Vec<_>>(),
        ["!! runs/small/1111/checkpoint", "!! runs/small/1111/lock"],
        "only the lock and the writer's checkpoint are left out"
    );
    git_ok(env, env.dir.path(), &["clone", "-q", "--bare", "seed", "origin.git"]);
    let a = env.dir.path().join("a");
    let b = env.dir.path().join("b");
    git_ok(env, env.dir.path(), &["clone", "-q", "origin.git", "a"]);
    git_ok(env, env.dir.path(), &["clone", "-q", "origin.git", "b"]);
    Some((a, b))
}

/// Two operators close different accounts in their own clones: the logs merge with no conflict
/// and every run verifies.
#[test]
fn two_clones_closing_different_accounts_merge_cleanly() {
    let env = Env::new();
    let Some((a, b)) = shared_state(&env) else { return };
    small(&env, "start", "2222", &["--fact", "org=no"]).env("CLOSEACCT_STATE_DIR", &a).status(0);
    small(&env, "confirm", "1111", &["backup"]).env("CLOSEACCT_STATE_DIR", &a).status(0);
    git_ok(&env, &a, &["add", "-A"]);
    git_ok(&env, &a, &["commit", "-q", "-m", "ana: 2222 started, 1111 backed up"]);
    git_ok(&env, &a, &["push", "-q"]);
    small(&env, "start", "3333", &["--fact", "org=yes"])
        .env("CLOSEACCT_STATE_DIR", &b)
        .args(&["--operator", "bo"])
        .status(0);
    git_ok(&env, &b, &["add", "-A"]);
    git_ok(&env, &b, &["commit", "-q", "-m", "bo: 3333 started"]);
    git_ok(&env, &b, &["pull", "-q", "--no-rebase", "--no-edit"]);
    assert_eq!(git_ok(&env, &b, &["status", "--porcelain"]), "", "merged with nothing left over");
    let out = env.closeacct(&["runs"]).env("CLOSEACCT_STATE_DIR", &b).status(0);
    // A header and three rows; what is wrong with an entry is on indented lines under its row.
    let rows = out.stdout.lines().filter(|line| !line.starts_with(' ')).count();
    assert_eq!(rows, 4, "{}", out.stdout);
    for account in ["1111", "2222", "3333"] {
        small(&env, "verify", account, &[]).env("CLOSEACCT_STATE_DIR", &b).status(0);
    }
}

/// The same run extended in two clones: git's merge of the two logs is never accepted. Committed
/// with its conflict markers, or merged line by line (union), `verify` refuses it as a fork
/// naming the first sequence number the two histories hold differently.
#[test]
fn the_same_run_extended_in_two_clones_is_a_fork_that_verify_names() {
    let env = Env::new();
    let Some((a, b)) = shared_state(&env) else { return };
    small(&env, "confirm", "1111", &["backup"]).env("CLOSEACCT_STATE_DIR", &a).status(0);
    git_ok(&env, &a, &["commit", "-q", "-am", "ana: backed up"]);
    git_ok(&env, &a, &["push", "-q"]);
    small(&env, "confirm", "1111", &["backup", "--note", "copied to s3://archive"])
        .env("CLOSEACCT_STATE_DIR", &b)
        .args(&["--operator", "bo"])
        .status(0);
    git_ok(&env, &b, &["commit", "-q", "-am", "bo: backed up"]);
    let merge = git(&env, &b, &["pull", "-q", "--no-rebase", "--no-edit"]);
    assert!(!merge.status.success(), "git reports a conflict in the log");
    git_ok(&env, &b, &["commit", "-q", "-am", "merged as it stands"]);
    let out = small(&env, "verify", "1111", &[]).env("CLOSEACCT_STATE_DIR", &b).status(65);
    assert!(out.stderr.contains("line 3: a git conflict marker"), "{}", out.stderr);
    assert!(out.stderr.contains("the two histories differ from sequence number 3 on"), "{}", out.stderr);
    let overview = env.closeacct(&["status"]).env("CLOSEACCT_STATE_DIR", &b).status(65);
    let words = overview.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.contains("1111 ! damaged ! "), "{}", overview.stdout);
    assert!(words.contains("line 3: a git conflict marker"), "{}", overview.stdout);

    // Merged line by line instead: both histories, one after the other.
    git_ok(&env, &b, &["reset", "-q", "--hard", "HEAD~1"]);
    fs::write(b.join(".git/info/attributes"), "*.jsonl merge=union\n").unwrap();
    git_ok(&env, &b, &["pull", "-q", "--no-rebase", "--no-edit"]);
    let out = small(&env, "verify", "1111", &[]).env("CLOSEACCT_STATE_DIR", &b).status(65);
    insta::assert_snapshot!(out.snapshot(), @"
    ------- stderr -------
    closeacct: $TEST_ENV/b/runs/small/1111/events.jsonl: line 4: sequence number 3 again, after 3: the log holds two histories (a fork: the run was extended in two places, such as two clones, and their logs were merged); the first differing sequence number is 3; nothing was changed
    [exit status: 65]
    ");
    // Nothing was rewritten, and no command records on top of the fork.
    let log = b.join("runs/small/1111/events.jsonl");
    let before = fs::read(&log).unwrap();
    small(&env, "confirm", "1111", &["ticket", "--evidence", "T-1"]).env("CLOSEACCT_STATE_DIR", &b).status(65);
    assert_eq!(fs::read(&log).unwrap(), before);
}
