//! Checks: `closeacct check`, `confirm --with-check` and the reports, through the real binary, and
//! the check engine as a library where it has more to show (jobs side by side, the environment,
//! an interruption). The built-in AWS checks run the real aws CLI against a local `moto_server`,
//! seeded with resources they must find exactly, then emptied so they pass.
//!
//! Library tests use their own [`Interrupt`], so interrupting one test's commands leaves the
//! others' alone; the process-wide one belongs to the binary.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use closeacct::testing::{Check, CheckError, CheckRecord, EXCERPT_BYTES, Interrupt, Options, Plan, quote, run_check};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::common::moto::Moto;
use crate::common::{Env, Run, bin};
use crate::reports::{CHECK, CHECK_COMMAND, CHECK_FOREACH, CHECK_ITEM, CHECK_REF, SCHEMA_VERSION, assert_keys};

// ------------------------------------------------------------------------------------------------
// A checklist of our own: one step with checks, run through the binary.

/// A test environment with a small checklist whose step `look` (1.1) carries `checks` (TOML of
/// `[[stages.steps.check]]` blocks, `{dir}` replaced by the temp dir), and the run `acct-1`
/// started with the fact `org` answered `no`.
struct Checked {
    env: Env,
    file: String,
}

const CHECKED: &str = r#"id = "checked"
name = "Checked"
version = 1
[source]
title = "s"
publisher = "p"
[[facts]]
id = "org"
question = "Is {account} an organization's management account?"
[[stages]]
id = "a"
title = "A"
[[stages.steps]]
id = "look"
title = "Nothing is left"
detail = "Shut everything down."
actor = "customer"
kind = "confirm"
{checks}
[[stages.steps]]
id = "members"
title = "Remove the members"
detail = "Only for management accounts."
actor = "customer"
kind = "confirm"
when = "org"
[stages.steps.check]
summary = "No member"
run = ["true"]
expect = "success"
[[stages.steps]]
id = "after"
title = "Afterwards"
detail = "d"
actor = "customer"
kind = "confirm"
"#;

impl Checked {
    fn new(checks: &str) -> Checked {
        let env = Env::new();
        let text = CHECKED.replace("{checks}", &checks.replace("{dir}", &env.dir.path().display().to_string()));
        let file = env.write("checked.toml", text).display().to_string();
        let checked = Checked { env, file };
        checked.closeacct("start", &["--fact", "org=no"]).status(0);
        checked
    }

    /// `closeacct <command> --checklist checked.toml --account acct-1 <rest>`.
    fn closeacct(&self, command: &str, rest: &[&str]) -> Run<'_> {
        self.env.closeacct(&[command, "--checklist", &self.file, "--account", "acct-1"]).args(rest)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.env.log("checked", "acct-1")).expect("read the log")
    }

    fn events(&self) -> Vec<Value> {
        self.log().lines().map(|line| serde_json::from_str(line).expect("a JSON line")).collect()
    }
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// Whether a process that was sent SIGKILL is dead within a few seconds: gone, or a zombie
/// (dead, waiting for a parent to reap it). The signal is delivered when the process next runs,
/// which on a busy machine is not at once.
fn dies(pid: i32) -> bool {
    let alive = || {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .is_ok_and(|stat| !stat.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with('Z')))
    };
    let start = Instant::now();
    while alive() {
        if start.elapsed() > Duration::from_secs(5) {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    true
}

const TWO_REGIONS: &str = r#"[[stages.steps.check]]
summary = "No instance left in {account}"
foreach = { region = ["echo", "eu-west-1 us-east-1"] }
run = ["sh", "-c", "if [ $1 = eu-west-1 ] && [ -e {dir}/left ]; then cat {dir}/left; fi", "sh", "{region}"]
expect = "empty"
"#;

#[test]
fn without_consent_the_commands_are_shown_and_nothing_runs() {
    let c = Checked::new(TWO_REGIONS);
    std::fs::write(c.env.dir.path().join("left"), "i-0abc\n").unwrap();
    let before = c.log();
    insta::assert_snapshot!(c.closeacct("check", &["look"]).output().snapshot(), @r#"
    ------- stderr -------
    Step 1.1 `look` has a check. Nothing has run. With --yes, these read-only commands run with your environment and credentials as they are:

    check 1/1: No instance left in acct-1
      $ echo 'eu-west-1 us-east-1'
      $ sh -c 'if [ $1 = eu-west-1 ] && [ -e $TEST_ENV/left ]; then cat $TEST_ENV/left; fi' sh {region}   (for each {region} the first command prints)
    closeacct: nothing was run; to run this command with your credentials, add --yes
    [exit status: 2]
    "#);
    c.closeacct("check", &["look", "--format", "json"]).status(2);
    assert_eq!(c.log(), before, "nothing is recorded");
    assert!(c.env.dir.path().join("left").exists(), "nothing ran");
}

#[test]
fn a_failing_check_says_what_is_left_and_only_a_passing_one_confirms_the_step() {
    let c = Checked::new(TWO_REGIONS);
    let left = c.env.dir.path().join("left");
    let refused = c.closeacct("confirm", &["look", "--with-check"]).status(2).stderr;
    assert!(refused.contains("cannot be confirmed with its checks: its check has not run yet"), "{refused}");

    std::fs::write(&left, "i-0abc\ti-0def\n").unwrap();
    insta::assert_snapshot!(c.closeacct("check", &["look", "--yes"]).output().snapshot(), @"
    check 1/1 FAILED: No instance left in acct-1
      eu-west-1: i-0abc, i-0def
    ------- stderr -------
    ✔ recorded check 1/1 of step 1.1 `look` (seq 3)
    closeacct: the check of step 1.1 `look` found work left (recorded, listed above); the step stays open
    [exit status: 3]
    ");
    let refused = c.closeacct("confirm", &["look", "--with-check"]).status(2).stderr;
    assert!(refused.contains("the latest run of its check (seq 3) failed; run it with `closeacct check"), "{refused}");

    std::fs::remove_file(&left).unwrap();
    insta::assert_snapshot!(c.closeacct("check", &["1.1", "--yes"]).output().snapshot(), @"
    check 1/1 passed: No instance left in acct-1
    ------- stderr -------
    ✔ recorded check 1/1 of step 1.1 `look` (seq 4)
    Step 1.1 `look`: its check passed; confirm the step with it as evidence: closeacct confirm --provider checked --account acct-1 --checklist $TEST_ENV/checked.toml look --with-check
    [exit status: 0]
    ");
    c.closeacct("confirm", &["look", "--with-check"]).status(0);
    let refused = c.closeacct("confirm", &["after", "--with-check"]).status(2).stderr;
    assert!(refused.contains("step 1.3 `after` has no check"), "{refused}");

    // The step is done with the passing run as its evidence: its seq and its line's sha256.
    let lines: Vec<String> = c.log().lines().map(str::to_owned).collect();
    let events = c.events();
    let kinds: Vec<&str> = events.iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["run_started", "fact_answered", "check_ran", "check_ran", "step_done"]);
    assert_eq!((&events[2]["step"], &events[2]["check"]), (&Value::from("look"), &Value::from(1)));
    assert_eq!(events[4]["checks"], serde_json::json!([{ "seq": 4, "sha256": sha256_hex(lines[3].as_bytes()) }]));

    // The report, in every format, shows both runs and what the step rests on.
    let report = json(&c.closeacct("report", &["--format", "json"]).status(0).stdout);
    assert_eq!(report["schema_version"], SCHEMA_VERSION);
    let step = &report["stages"][0]["steps"][0];
    assert_eq!(step["status"], "done");
    let runs = step["checks"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    for run in runs {
        assert_keys(run, CHECK, "stages[].steps[].checks[]");
        assert_keys(&run["foreach"], CHECK_FOREACH, "checks[].foreach");
        assert_keys(&run["foreach"]["command"], CHECK_COMMAND, "checks[].foreach.command");
        for item in run["items"].as_array().unwrap() {
            assert_keys(item, CHECK_ITEM, "checks[].items[]");
            assert_keys(&item["command"], CHECK_COMMAND, "checks[].items[].command");
        }
        let seq = usize::try_from(run["seq"].as_u64().unwrap()).unwrap();
        assert_eq!(run["sha256"], sha256_hex(lines[seq - 1].as_bytes()));
    }
    assert_eq!(runs[0]["failures"], serde_json::json!(["eu-west-1: i-0abc, i-0def"]));
    assert_eq!(runs[0]["items"][0]["command"]["stdout_sha256"], sha256_hex(b"i-0abc\ti-0def\n"));
    assert_eq!((runs[1]["passed"].as_bool(), runs[1]["failures"].as_array().unwrap().len()), (Some(true), 0));
    assert_keys(&step["confirmed_with_checks"][0], CHECK_REF, "confirmed_with_checks[]");
    let text = c.closeacct("report", &[]).status(0).stdout;
    assert!(text.contains("        check 1 failed 2026-11-24T13:40:00+00:00 by ana (seq 3)\n"), "{text}");
    assert!(text.contains("          ✘ eu-west-1: i-0abc, i-0def\n"), "{text}");
    let rested_on =
        text.split("confirmed with its checks: seq 4 (line sha256").nth(1).expect("the step names its check");
    assert!(rested_on.trim_start().starts_with(&sha256_hex(lines[3].as_bytes())), "{text}");
    let markdown = c.closeacct("report", &["--format", "markdown"]).status(0).stdout;
    assert!(
        markdown.contains(
            "### Checks of step 1.1 (`look`)\n\n**Check 1 failed** · 2026-11-24T13:40:00+00:00 by ana · seq 3"
        ),
        "{markdown}"
    );
    assert!(markdown.contains("  | i-0abc\ti-0def\n"), "{markdown}");

    // After a change to the check, its earlier runs no longer confirm the step.
    let changed = std::fs::read_to_string(&c.file).unwrap().replace("No instance left", "No instance at all");
    std::fs::write(&c.file, changed).unwrap();
    let refused = c.closeacct("confirm", &["look", "--with-check", "--accept-changes"]).status(2).stderr;
    assert!(
        refused
            .contains("its check is not the one that ran (seq 4): the checklist or an answer it reads changed since"),
        "{refused}"
    );
}

#[test]
fn a_check_needs_the_step_to_apply_and_its_facts_answered() {
    let c =
        Checked::new("[[stages.steps.check]]\nsummary = \"s\"\nrun = [\"echo\", \"{org}\"]\nexpect = \"success\"\n");
    let refused = c.closeacct("check", &["members", "--yes"]).status(2).stderr;
    assert!(refused.contains("step 1.2 `members` does not apply to this account"), "{refused}");
    let env = Env::new();
    let file = env.write(
        "checked.toml",
        CHECKED.replace(
            "{checks}",
            "[[stages.steps.check]]\nsummary = \"s\"\nrun = [\"echo\", \"{org}\"]\nexpect = \"success\"\n",
        ),
    );
    let run = ["--checklist", file.to_str().unwrap(), "--account", "acct-1"];
    env.closeacct(&[&["start"][..], &run].concat()).status(0);
    let refused = env.closeacct(&[&["check", "look", "--yes"][..], &run].concat()).status(2).stderr;
    assert!(
        refused.contains("needs fact `org`, which is not answered yet; answer it first: closeacct answer"),
        "{refused}"
    );
    let text = c.closeacct("check", &["look", "--yes"]).status(0).stdout;
    assert_eq!(text, "check 1/1 passed: s\n");
    assert_eq!(c.events()[2]["result"]["items"][0]["command"]["argv"], serde_json::json!(["echo", "no"]));
    // The run read `no`: once the answer is `yes`, it is not the check that would run now.
    c.closeacct("answer", &["org", "yes"]).status(0);
    let refused = c.closeacct("confirm", &["look", "--with-check"]).status(2).stderr;
    assert!(refused.contains("its check is not the one that ran (seq 3)"), "{refused}");
    c.closeacct("check", &["look", "--yes"]).status(0);
    c.closeacct("confirm", &["look", "--with-check"]).status(0);
}

#[test]
fn commands_see_the_operators_environment_and_nothing_more_and_no_credential_is_kept() {
    let c = Checked::new("[[stages.steps.check]]\nsummary = \"s\"\nrun = [\"env\"]\nexpect = \"success\"\n");
    let key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    c.closeacct("check", &["look", "--yes"])
        .env("AWS_PROFILE", "ops")
        .env("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", key)
        .status(0);
    let excerpt = c.events()[2]["result"]["items"][0]["command"]["stdout_excerpt"].as_str().unwrap().to_owned();
    let names: BTreeSet<&str> = excerpt.lines().filter_map(|line| line.split_once('=').map(|(name, _)| name)).collect();
    let expected = [
        "PATH",
        "HOME",
        "USER",
        "TZ",
        "NO_COLOR",
        "CLOSEACCT_NOW",
        "CLOSEACCT_STATE_DIR",
        "AWS_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    ];
    assert_eq!(names, BTreeSet::from(expected), "{excerpt}");
    assert!(excerpt.contains("AWS_PROFILE=ops\n"), "{excerpt}");
    assert!(!c.log().contains(key) && !c.log().contains("AKIAIOSFODNN7EXAMPLE"), "{excerpt}");
    assert!(excerpt.contains("AWS_SECRET_ACCESS_KEY=[redacted: AWS secret access key]"), "{excerpt}");
}

#[test]
fn a_command_that_hangs_is_killed_at_its_timeout_with_its_group_and_the_check_fails() {
    let c = Checked::new(
        "[[stages.steps.check]]\nsummary = \"hangs\"\nrun = [\"sh\", \"-c\", \"sleep 300 & echo $!; echo $$; wait\"]\nexpect = \"success\"\ntimeout = \"1s\"\n",
    );
    let start = Instant::now();
    let out = c.closeacct("check", &["look", "--yes", "--format", "json"]).status(3);
    assert!(start.elapsed() < Duration::from_secs(10), "{:?}", start.elapsed());
    let output = json(&out.stdout);
    assert_eq!(output["passed"], false);
    let item = &output["checks"][0]["items"][0];
    assert_eq!(item["reason"], "timed out after 1s: sh -c 'sleep 300 & echo $!; echo $$; wait'");
    assert_eq!((&item["command"]["timed_out"], &item["command"]["signal"]), (&Value::from(true), &Value::from(9)));
    let pids: Vec<i32> =
        item["command"]["stdout_excerpt"].as_str().unwrap().split_whitespace().map(|p| p.parse().unwrap()).collect();
    assert_eq!(pids.len(), 2, "the background sleep and the shell");
    for pid in pids {
        assert!(dies(pid), "process {pid} outlived the timeout");
    }
    assert_eq!(c.events()[2]["result"]["items"][0]["command"]["timed_out"], true, "the timeout is in the record");
}

#[test]
fn a_missing_program_fails_at_once_with_exit_69_and_records_nothing() {
    let c = Checked::new(
        "[[stages.steps.check]]\nsummary = \"s\"\nrun = [\"closeacct-no-such-program\", \"--version\"]\nexpect = \"success\"\n",
    );
    let before = c.log();
    insta::assert_snapshot!(c.closeacct("check", &["look", "--yes"]).output().snapshot(), @"
    ------- stderr -------
    closeacct: cannot run `closeacct-no-such-program`: it is not installed, or not on PATH
    hint: install `closeacct-no-such-program` or put it on PATH; a check runs it with your environment as it is (try `closeacct-no-such-program --version`)
    [exit status: 69]
    ");
    assert_eq!(c.log(), before);
}

#[test]
fn fifty_megabytes_of_output_are_hashed_whole_excerpted_briefly_in_bounded_memory() {
    const SIZE: usize = 50 * 1024 * 1024;
    let c = Checked::new(&format!(
        "[[stages.steps.check]]\nsummary = \"s\"\nrun = [\"sh\", \"-c\", \"yes closeacct-check-output | head -c {SIZE}\"]\nexpect = \"success\"\n"
    ));
    let gnu_time = std::path::Path::new("/usr/bin/time");
    let rss_file = c.env.dir.path().join("rss");
    let mut check = c.closeacct("check", &["look", "--yes"]);
    if gnu_time.exists() {
        check = check.via("/usr/bin/time", &["-f", "%M", "-o", rss_file.to_str().unwrap()]);
    }
    check.status(0);
    let command = &c.events()[2]["result"]["items"][0]["command"];
    assert_eq!(command["stdout_bytes"], SIZE);
    let line = b"closeacct-check-output\n";
    let mut hasher = Sha256::new();
    for _ in 0..SIZE / line.len() {
        hasher.update(line);
    }
    hasher.update(&line[..SIZE % line.len()]);
    assert_eq!(command["stdout_sha256"], format!("{:x}", hasher.finalize()), "the hash covers every byte");
    let excerpt = command["stdout_excerpt"].as_str().unwrap();
    assert_eq!(excerpt.len(), EXCERPT_BYTES);
    assert!(excerpt.starts_with("closeacct-check-output\ncloseacct"));
    assert_eq!(command["excerpts_truncated"], true);
    if gnu_time.exists() {
        let kib: u64 = std::fs::read_to_string(&rss_file).unwrap().trim().parse().unwrap();
        assert!(kib < 48 * 1024, "closeacct's peak RSS was {kib} KiB for 50 MB of output");
    }
}

#[test]
fn a_secret_in_the_output_is_redacted_in_the_log_and_every_report() {
    // The command prints a whole key, its argv only pieces of it: so neither the checklist nor its
    // pinned copy holds it, and only the output could bring it in. Where the pieces meet is only
    // in the key.
    const KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    const JOIN: &str = "FEMI/K7MD";
    let c = Checked::new(
        r#"[[stages.steps.check]]
summary = "s"
run = ["sh", "-c", "k=wJalrXUtnFEMI; k=$k/K7MDENG/bPxRfiCYEXAMPLEKEY; printf 'i-0abc\\nSecretAccessKey\\t%s\\n' $k; printf 'aws_secret_access_key = %s\\n' $k >&2"]
expect = "empty"
"#,
    );
    let out = c.closeacct("check", &["look", "--yes"]).status(3);
    assert!(!out.stdout.contains(JOIN) && !out.stderr.contains(JOIN), "{}", out.snapshot());
    assert!(
        out.stdout.contains("  i-0abc, SecretAccessKey, [redacted: AWS secret access key]\n"),
        "{}",
        out.snapshot()
    );
    let label = "[redacted: AWS secret access key]";
    let command = &c.events()[2]["result"]["items"][0]["command"];
    assert_eq!(command["stdout_excerpt"], format!("i-0abc\nSecretAccessKey\t{label}\n"));
    assert_eq!(command["stderr_excerpt"], format!("aws_secret_access_key = {label}\n"));
    // The hash is of what was printed, the key included: evidence, not a copy.
    assert_eq!(command["stdout_sha256"], sha256_hex(format!("i-0abc\nSecretAccessKey\t{KEY}\n").as_bytes()));
    for format in ["text", "markdown", "json"] {
        let report = c.closeacct("report", &["--format", format]).status(0).stdout;
        assert!(report.contains(label) && !report.contains(JOIN), "{format}:\n{report}");
    }
    for entry in walk(&c.env.state()) {
        let bytes = std::fs::read(&entry).unwrap();
        assert!(!String::from_utf8_lossy(&bytes).contains(JOIN), "{} holds the key", entry.display());
    }
}

/// Every file under `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() { files.extend(walk(&path)) } else { files.push(path) }
    }
    files
}

#[test]
fn ctrl_c_stops_every_command_records_nothing_and_exits_4() {
    let c = Checked::new(
        r#"[[stages.steps.check]]
summary = "s"
foreach = { n = ["seq", "3"] }
run = ["sh", "-c", "echo $$ > {dir}/pid-$1; exec sleep 300", "sh", "{n}"]
expect = "success"
"#,
    );
    let before = c.log();
    let child = c
        .closeacct("check", &["look", "--yes"])
        .command()
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid_files = || -> Vec<i32> {
        std::fs::read_dir(c.env.dir.path())
            .unwrap()
            .filter_map(|e| {
                let e = e.unwrap();
                let name = e.file_name().into_string().unwrap();
                name.starts_with("pid-")
                    .then(|| std::fs::read_to_string(e.path()).unwrap().trim().parse().ok())
                    .flatten()
            })
            .collect()
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while pid_files().len() < 3 {
        assert!(Instant::now() < deadline, "the three commands did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    let pids = pid_files();
    let closeacct = nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap());
    nix::sys::signal::kill(closeacct, nix::sys::signal::Signal::SIGINT).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("interrupted"));
    for pid in pids {
        assert!(dies(pid), "{pid} outlived Ctrl-C");
    }
    assert_eq!(c.log(), before, "a check cut short is not recorded");
}

// ------------------------------------------------------------------------------------------------
// The built-in AWS checks, through the binary, with the real aws CLI against moto.

/// moto's account.
const ACCOUNT: &str = "123456789012";

/// The regions the account is said to have enabled (see [`Moto::cli_env`]).
const REGIONS: &[&str] = &["us-east-1", "eu-west-1"];

/// `run` pointed at moto, the aws CLI over [`REGIONS`].
fn on_moto<'e>(mut run: Run<'e>, moto: &Moto) -> Run<'e> {
    for (name, value) in moto.cli_env(REGIONS) {
        let name = name.into_string().expect("UTF-8 name");
        run = match value {
            Some(value) => run.env(&name, value),
            None => run.env_remove(&name),
        };
    }
    run
}

/// What a check left, item by item (`""` without `foreach`), for the items that did not pass.
fn left(check: &Value) -> BTreeMap<String, BTreeSet<String>> {
    check["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|item| item["passed"] == false)
        .map(|item| {
            assert_eq!(item["reason"], "stdout is not empty", "{item:#}");
            let words = item["left"].as_array().unwrap().iter().map(|w| w.as_str().unwrap().to_owned()).collect();
            (item["item"].as_str().unwrap_or_default().to_owned(), words)
        })
        .collect()
}

fn set<'a>(words: impl IntoIterator<Item = &'a String>) -> BTreeSet<String> {
    words.into_iter().cloned().collect()
}

/// What the AWS test seeds: two instances and a volume in one region, one instance and an
/// address in the other (each instance brings its root volume), a bucket, and an organization
/// with a member.
struct Seeded {
    east: Vec<String>,
    east_roots: Vec<String>,
    west: Vec<String>,
    west_roots: Vec<String>,
    volume: String,
    /// Its public IP and allocation id.
    address: Vec<String>,
    member: String,
}

fn seed(moto: &Moto) -> Seeded {
    let instances = |region: &str, count: &str| {
        let words = moto.aws_words(&[
            "ec2",
            "run-instances",
            "--region",
            region,
            "--image-id",
            "ami-12c6146b",
            "--count",
            count,
            "--query",
            "Instances[].[InstanceId,BlockDeviceMappings[0].Ebs.VolumeId]",
        ]);
        words.chunks(2).map(|pair| (pair[0].clone(), pair[1].clone())).unzip::<_, _, Vec<_>, Vec<_>>()
    };
    let (east, east_roots) = instances("us-east-1", "2");
    let (west, west_roots) = instances("eu-west-1", "1");
    let volume = moto.aws(&[
        "ec2",
        "create-volume",
        "--region",
        "us-east-1",
        "--availability-zone",
        "us-east-1a",
        "--size",
        "8",
        "--query",
        "VolumeId",
        "--output",
        "text",
    ]);
    let address =
        moto.aws_words(&["ec2", "allocate-address", "--region", "eu-west-1", "--query", "[PublicIp,AllocationId]"]);
    moto.aws(&["s3api", "create-bucket", "--bucket", "closeacct-test-bucket"]);
    moto.aws(&["organizations", "create-organization", "--feature-set", "ALL"]);
    let member = moto.aws(&[
        "organizations",
        "create-account",
        "--email",
        "member@example.com",
        "--account-name",
        "member",
        "--query",
        "CreateAccountStatus.AccountId",
        "--output",
        "text",
    ]);
    Seeded { east, east_roots, west, west_roots, volume, address, member }
}

/// Removes everything [`seed`] made.
fn empty(moto: &Moto, seeded: &Seeded) {
    for (region, ids) in [("us-east-1", &seeded.east), ("eu-west-1", &seeded.west)] {
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        moto.aws(&[&["ec2", "terminate-instances", "--region", region, "--instance-ids"][..], &ids].concat());
    }
    moto.aws(&["ec2", "delete-volume", "--region", "us-east-1", "--volume-id", &seeded.volume]);
    moto.aws(&["ec2", "release-address", "--region", "eu-west-1", "--allocation-id", &seeded.address[1]]);
    moto.aws(&["s3api", "delete-bucket", "--bucket", "closeacct-test-bucket"]);
    moto.aws(&["organizations", "remove-account-from-organization", "--account-id", &seeded.member]);
    moto.aws(&["organizations", "delete-organization"]);
}

fn by_region(pairs: &[(&str, BTreeSet<String>)]) -> BTreeMap<String, BTreeSet<String>> {
    pairs.iter().map(|(r, s)| ((*r).to_owned(), s.clone())).collect()
}

/// The shut-down checks' first run finds exactly what was seeded, and every command reached moto.
fn assert_finds_the_seeded(found: &Value, s: &Seeded) {
    let checks = found["checks"].as_array().unwrap();
    let summaries: Vec<&str> = checks.iter().map(|c| c["summary"].as_str().unwrap()).collect();
    assert_eq!(
        summaries,
        [
            "No EC2 instance that is not terminated, in any enabled region",
            "No EBS volume, in any enabled region",
            "No Elastic IP address, in any enabled region",
            "No NAT gateway that is not deleted, in any enabled region",
            "No RDS DB instance, in any enabled region",
            "No S3 bucket",
            "No CloudTrail trail, in any enabled region",
            "No domain registered with Route 53",
        ]
    );
    assert_eq!(left(&checks[0]), by_region(&[("us-east-1", set(&s.east)), ("eu-west-1", set(&s.west))]));
    let mut east_volumes = set(&s.east_roots);
    east_volumes.insert(s.volume.clone());
    assert_eq!(left(&checks[1]), by_region(&[("us-east-1", east_volumes), ("eu-west-1", set(&s.west_roots))]));
    assert_eq!(left(&checks[2]), by_region(&[("eu-west-1", set(&s.address[..1]))]));
    assert_eq!(left(&checks[5]), by_region(&[("", BTreeSet::from(["closeacct-test-bucket".to_owned()]))]));
    for (i, check) in checks.iter().enumerate() {
        assert_eq!(check["passed"], ![0, 1, 2, 5].contains(&i), "{}: {:?}", check["summary"], check["failures"]);
        // Every command reached moto: the regions in the order listed, each output whole.
        if check["foreach"].is_object() {
            assert_eq!(check["foreach"]["words"], serde_json::json!(REGIONS));
            let items: Vec<&str> =
                check["items"].as_array().unwrap().iter().map(|i| i["item"].as_str().unwrap()).collect();
            assert_eq!(items, REGIONS, "{}", check["summary"]);
        }
        for item in check["items"].as_array().unwrap() {
            let command = &item["command"];
            assert_eq!(command["exit_code"], 0, "{command:#}");
            let excerpt = command["stdout_excerpt"].as_str().unwrap();
            assert_eq!(command["stdout_sha256"], sha256_hex(excerpt.as_bytes()), "{command:#}");
        }
    }
    assert_eq!(checks[0]["failures"][0], format!("us-east-1: {}", s.east.join(", ")));
}

#[test]
fn the_aws_checks_find_exactly_what_was_seeded_then_pass_and_are_the_steps_evidence() {
    let moto = Moto::start();
    let env = Env::new();
    let aws = |args: &[&str]| on_moto(env.closeacct(args).args(&["--provider", "aws", "--account", ACCOUNT]), &moto);
    let seeded = seed(&moto);

    aws(&["start", "--fact", "org_management=yes", "--fact", "org_member=no", "--fact", "ri_or_savings_plans=yes"])
        .status(0);
    let found = json(&aws(&["check", "shut-down-resources", "--yes", "--format", "json"]).status(3).stdout);
    assert_finds_the_seeded(&found, &seeded);

    // The organization's checks: a member is left, and the organization exists.
    let members = json(&aws(&["check", "members-closed-or-removed", "--yes", "--format", "json"]).status(3).stdout);
    assert_eq!(left(&members["checks"][0]), by_region(&[("", BTreeSet::from([seeded.member.clone()]))]));
    let org = json(&aws(&["check", "delete-organization", "--yes", "--format", "json"]).status(3).stdout);
    assert_eq!(
        org["checks"][0]["items"][0]["reason"],
        "it succeeded; expected it to fail with /AWSOrganizationsNotInUseException/"
    );
    // moto 5.2 answers Reserved Instances and Savings Plans with a server error: never a pass.
    let commitments = json(&aws(&["check", "ri-savings-plans", "--yes", "--format", "json"]).status(3).stdout);
    for check in commitments["checks"].as_array().unwrap() {
        let item = &check["items"][0];
        assert!(item["reason"].as_str().unwrap().starts_with("exit code 255: "), "{item:#}");
        assert!(item["command"]["stderr_excerpt"].as_str().unwrap().contains("500"), "{item:#}");
    }

    // Emptied, the account passes, and the passing runs are the steps' evidence.
    empty(&moto, &seeded);
    aws(&["confirm", "check-active-resources"]).status(0);
    insta::assert_snapshot!(aws(&["check", "shut-down-resources", "--yes"]).output().snapshot(), @"
    check 1/8 passed: No EC2 instance that is not terminated, in any enabled region
    check 2/8 passed: No EBS volume, in any enabled region
    check 3/8 passed: No Elastic IP address, in any enabled region
    check 4/8 passed: No NAT gateway that is not deleted, in any enabled region
    check 5/8 passed: No RDS DB instance, in any enabled region
    check 6/8 passed: No S3 bucket
    check 7/8 passed: No CloudTrail trail, in any enabled region
    check 8/8 passed: No domain registered with Route 53
    ------- stderr -------
    ✔ recorded check 1/8 of step 2.2 `shut-down-resources` (seq 18)
    ✔ recorded check 2/8 of step 2.2 `shut-down-resources` (seq 19)
    ✔ recorded check 3/8 of step 2.2 `shut-down-resources` (seq 20)
    ✔ recorded check 4/8 of step 2.2 `shut-down-resources` (seq 21)
    ✔ recorded check 5/8 of step 2.2 `shut-down-resources` (seq 22)
    ✔ recorded check 6/8 of step 2.2 `shut-down-resources` (seq 23)
    ✔ recorded check 7/8 of step 2.2 `shut-down-resources` (seq 24)
    ✔ recorded check 8/8 of step 2.2 `shut-down-resources` (seq 25)
    Step 2.2 `shut-down-resources`: all its checks passed; confirm the step with them as evidence: closeacct confirm --provider aws --account 123456789012 shut-down-resources --with-check
    [exit status: 0]
    ");
    aws(&["confirm", "shut-down-resources", "--with-check"]).status(0);
    for step in ["members-closed-or-removed", "delete-organization"] {
        aws(&["check", step, "--yes"]).status(0);
        aws(&["confirm", step, "--with-check"]).status(0);
    }

    // The evidence, in every format.
    let report = json(&aws(&["report", "--format", "json"]).status(0).stdout);
    let step = report["stages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["steps"].as_array().unwrap())
        .find(|s| s["id"] == "shut-down-resources")
        .unwrap();
    assert_eq!(step["status"], "done");
    let runs = step["checks"].as_array().unwrap();
    assert_eq!(runs.len(), 16, "two runs of eight checks");
    let passing: Vec<&Value> = runs[8..].iter().map(|r| &r["seq"]).collect();
    let rested_on: Vec<&Value> = step["confirmed_with_checks"].as_array().unwrap().iter().map(|c| &c["seq"]).collect();
    assert_eq!(rested_on, passing);
    let text = aws(&["report"]).status(0).stdout;
    assert!(text.contains("        check 1 failed 2026-11-24T13:40:00+00:00 by ana (seq "), "{text}");
    assert!(text.contains(&format!("          ✘ us-east-1: {}\n", seeded.east.join(", "))), "{text}");
    assert!(
        text.contains(
            "          $ aws ec2 describe-volumes --region eu-west-1 --query 'Volumes[].VolumeId' --output text\n"
        ),
        "{text}"
    );
    let markdown = aws(&["report", "--format", "markdown"]).status(0).stdout;
    assert!(markdown.contains("### Checks of step 2.2 (`shut-down-resources`)"), "{markdown}");
    assert!(markdown.contains(&format!("- ✘ us-east-1: {}\n", seeded.east.join(", "))), "{markdown}");
    assert!(
        markdown.contains("\n```text\n$ aws ec2 describe-regions --query 'Regions[].RegionName' --output text\n"),
        "{markdown}"
    );
}

#[test]
fn the_organization_member_and_root_checks_answer_from_the_management_account() {
    let moto = Moto::start();
    let env = Env::new();
    moto.aws(&["organizations", "create-organization", "--feature-set", "ALL"]);
    let create = |name: &str| {
        moto.aws(&[
            "organizations",
            "create-account",
            "--email",
            &format!("{name}@example.com"),
            "--account-name",
            name,
            "--query",
            "CreateAccountStatus.AccountId",
            "--output",
            "text",
        ])
    };
    let (leaving, closing) = (create("leaving"), create("closing"));
    let member = |account: &str, args: &[&str]| {
        on_moto(env.closeacct(args).args(&["--provider", "aws-org-member", "--account", account]), &moto)
    };
    let facts = |remove_first: &str| {
        [
            "start",
            "--fact",
            "all_features=yes",
            "--fact",
            &format!("remove_first={remove_first}"),
            "--fact",
            "created_by_org=yes",
            "--fact",
            "control_tower=no",
            "--fact",
            "govcloud=no",
        ]
        .map(str::to_owned)
    };
    let start = |account: &str, remove_first: &str| {
        let args = facts(remove_first);
        member(account, &args.iter().map(String::as_str).collect::<Vec<_>>()).status(0);
    };

    // A member that leaves first: not the management account, no delegated administrator, then
    // gone from the organization.
    start(&leaving, "yes");
    member(&leaving, &["check", "not-the-management-account", "--yes"]).status(0);
    member(&leaving, &["check", "delegated-administrator", "--yes"]).status(0);
    let still_in = member(&leaving, &["check", "remove-account", "--yes"]).status(3).stdout;
    assert!(still_in.contains("  it succeeded; expected it to fail with /AccountNotFoundException/\n"), "{still_in}");
    moto.aws(&["organizations", "remove-account-from-organization", "--account-id", &leaving]);
    member(&leaving, &["check", "remove-account", "--yes"]).status(0);

    // A member closed from the management account is SUSPENDED.
    start(&closing, "no");
    moto.aws(&["organizations", "close-account", "--account-id", &closing]);
    member(&closing, &["check", "closure-status", "--yes"]).status(0);

    // The management account itself is caught.
    start(ACCOUNT, "no");
    let caught = member(ACCOUNT, &["check", "not-the-management-account", "--yes"]).status(3).stdout;
    assert!(caught.contains("stdout does not match /^False$/"), "{caught}");

    // A standalone account's listing checks pass on an empty account; their output is the list.
    let root =
        |args: &[&str]| on_moto(env.closeacct(args).args(&["--provider", "aws-root", "--account", ACCOUNT]), &moto);
    root(&[
        "start",
        "--fact",
        "ri_or_savings_plans=no",
        "--fact",
        "keep_root_email=no",
        "--fact",
        "cross_account_access=no",
    ])
    .status(0);
    root(&["check", "route53-domains", "--yes"]).status(0);
    root(&["check", "cloudtrail-trails", "--yes"]).status(0);
}

// ------------------------------------------------------------------------------------------------
// The engine as a library.

fn parse(body: &str) -> Check {
    toml::from_str(body).unwrap_or_else(|e| panic!("{e}\n{body}"))
}

fn plan(check: &Check) -> Plan {
    let valid = check.validate(&[]).unwrap_or_else(|e| panic!("{e}"));
    Plan::resolve(&valid, ACCOUNT, &BTreeMap::new()).unwrap()
}

fn same(text: &str) -> String {
    text.to_owned()
}

fn run_with(check: &Check, jobs: usize, env: Vec<(OsString, Option<OsString>)>) -> Result<CheckRecord, CheckError> {
    let interrupt = Interrupt::new();
    run_check(&plan(check), &Options { jobs, env, interrupt: &interrupt }, &|_| {}, &same)
}

fn run(check: &Check) -> CheckRecord {
    run_with(check, 8, Vec::new()).unwrap()
}

#[test]
fn a_missing_program_in_a_foreach_stops_the_rest_from_starting() {
    let started = Instant::now();
    let check = parse(
        r#"
summary = "s"
foreach = { n = ["seq", "100"] }
run = ["closeacct-no-such-program", "{n}"]
expect = "success"
"#,
    );
    let error = run_with(&check, 1, Vec::new()).unwrap_err();
    assert!(matches!(&error, CheckError::MissingProgram { program } if program == "closeacct-no-such-program"));
    assert!(error.is_unavailable());
    let error = run_with(&parse("summary = \"s\"\nforeach = { n = [\"closeacct-no-such-program\"] }\nrun = [\"echo\", \"{n}\"]\nexpect = \"success\""), 1, Vec::new())
        .unwrap_err();
    assert!(matches!(error, CheckError::MissingProgram { .. }));
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
}

#[test]
fn foreach_words_must_be_plain_words() {
    for (printed, named) in [("us-east-1 eu;west-1", "eu;west-1"), ("a $(reboot)", "$(reboot)"), ("a b&c", "b&c")] {
        let check = parse(&format!(
            "summary = \"s\"\nforeach = {{ r = [\"printf\", \"{printed}\"] }}\nrun = [\"echo\", \"{{r}}\"]\nexpect = \"success\""
        ));
        let record = run(&check);
        assert!(!record.passed);
        assert!(record.items.is_empty(), "nothing runs on words that are not plain");
        let problem = record.problem.as_deref().unwrap();
        assert!(
            problem.starts_with(&format!("the foreach command printed `{named}`, which is not a plain word")),
            "{problem}"
        );
        assert!(problem.ends_with(&format!(": printf {}", quote(printed))), "{problem}");
        assert_eq!(record.failures(), [problem]);
    }
}

#[test]
fn jobs_run_side_by_side_and_results_keep_the_order_of_the_words() {
    let check = parse(
        r#"
summary = "s"
foreach = { n = ["echo", "8 7 6 5 4 3 2 1"] }
run = ["sh", "-c", "sleep 0.$1; echo item-$1", "sh", "{n}"]
expect = "empty"
"#,
    );
    let interrupt = Interrupt::new();
    let calls = Mutex::new(Vec::new());
    let start = Instant::now();
    let record = run_check(
        &plan(&check),
        &Options { jobs: 8, env: Vec::new(), interrupt: &interrupt },
        &|p| calls.lock().unwrap().push((p.item.map(str::to_owned), p.done, p.total)),
        &same,
    )
    .unwrap();
    // One after another they would take 3.6 s at least.
    assert!(start.elapsed() < Duration::from_secs(3), "{:?}", start.elapsed());
    let words = ["8", "7", "6", "5", "4", "3", "2", "1"];
    let items: Vec<&str> = record.items.iter().map(|i| i.item.as_deref().unwrap()).collect();
    assert_eq!(items, words);
    let left: Vec<&str> = record.items.iter().map(|i| i.left[0].as_str()).collect();
    assert_eq!(left, words.map(|w| format!("item-{w}")));
    assert_eq!(record.jobs, 8);
    let calls = calls.into_inner().unwrap();
    assert_eq!(calls[0], (None, 0, 8));
    assert_eq!(calls[1..].iter().map(|c| c.1).collect::<Vec<_>>(), [1, 2, 3, 4, 5, 6, 7, 8]);
    // The shortest sleeps end first.
    assert_eq!(calls[1].0.as_deref(), Some("1"));
    assert_eq!(calls[8].0.as_deref(), Some("8"));
}

#[test]
fn commands_inherit_the_environment_unchanged() {
    let record = run(&parse("summary = \"s\"\nrun = [\"env\"]\nexpect = \"success\""));
    let mut expected = Sha256::new();
    for (name, value) in std::env::vars_os() {
        expected.update(name.as_encoded_bytes());
        expected.update(b"=");
        expected.update(value.as_encoded_bytes());
        expected.update(b"\n");
    }
    assert_eq!(record.items[0].command.stdout_sha256, format!("{:x}", expected.finalize()));
    // The tests' changes apply on top of it.
    let check = parse(
        "summary = \"s\"\nrun = [\"sh\", \"-c\", \"echo $CLOSEACCT_TEST_SET-${PATH:+path}-${HOME:-nohome}\"]\nexpect = { matches = '^set-path-nohome$' }",
    );
    let env = vec![("CLOSEACCT_TEST_SET".into(), Some("set".into())), ("HOME".into(), None)];
    assert!(run_with(&check, 1, env).unwrap().passed);
}

#[test]
fn an_interrupt_kills_the_running_commands_and_starts_no_more() {
    let dir = tempfile::tempdir().unwrap();
    let check = parse(&format!(
        r#"
summary = "s"
foreach = {{ n = ["seq", "6"] }}
run = ["sh", "-c", "echo $$ > {}/$1; exec sleep 300", "sh", "{{n}}"]
expect = "success"
"#,
        dir.path().display()
    ));
    let interrupt = Interrupt::new();
    let plan = plan(&check);
    let started = |dir: &std::path::Path| std::fs::read_dir(dir).unwrap().count();
    std::thread::scope(|s| {
        let running =
            s.spawn(|| run_check(&plan, &Options { jobs: 2, env: Vec::new(), interrupt: &interrupt }, &|_| {}, &same));
        let deadline = Instant::now() + Duration::from_secs(10);
        while started(dir.path()) < 2 {
            assert!(Instant::now() < deadline, "the first two commands did not start");
            std::thread::sleep(Duration::from_millis(10));
        }
        // Let both write their pid.
        std::thread::sleep(Duration::from_millis(100));
        let at = Instant::now();
        interrupt.interrupt();
        assert!(matches!(running.join().unwrap(), Err(CheckError::Interrupted)));
        assert!(at.elapsed() < Duration::from_secs(3), "{:?}", at.elapsed());
    });
    assert_eq!(started(dir.path()), 2, "nothing starts after the interrupt");
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let pid: i32 = std::fs::read_to_string(entry.unwrap().path()).unwrap().trim().parse().unwrap();
        assert!(dies(pid), "{pid} survived the interrupt");
    }
}

/// The README's "A session against moto", run as written against a `moto_server` on a free port of
/// 127.0.0.1 (started and stopped here, so the block's own start, endpoint and `kill` lines are
/// left out): every closeacct in it exits as its comment says, 0 where it says nothing.
#[test]
fn the_readmes_session_against_moto_runs_as_written() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let section = &readme[readme.find("### A session against moto").expect("the README has the section")..];
    let start = section.find("```sh\n").expect("an sh block") + "```sh\n".len();
    let block = &section[start..start + section[start..].find("\n```").unwrap()];
    let mut script = Vec::new();
    let mut skip_continuation = false;
    for line in block.lines() {
        let skip = skip_continuation
            || line.starts_with("moto_server ")
            || line.starts_with("kill $MOTO")
            || line.starts_with("export AWS_ENDPOINT_URL");
        skip_continuation = skip && line.ends_with('\\');
        if !skip {
            script.push(line);
        }
    }
    let expected: Vec<i32> = script
        .iter()
        .filter(|line| line.starts_with("closeacct "))
        .map(|line| line.split_once("(exit ").map_or(0, |(_, rest)| rest[..1].parse().unwrap()))
        .collect();
    assert!(expected.len() >= 8, "{script:#?}");

    let env = Env::new();
    let moto = Moto::start();
    let shim = env.dir.path().join("shim");
    std::fs::create_dir_all(&shim).unwrap();
    let codes = env.dir.path().join("codes");
    std::fs::write(
        shim.join("closeacct"),
        "#!/bin/sh\n\"$TEST_CLOSEACCT\" \"$@\"\ncode=$?\necho $code >> \"$TEST_CODES\"\nexit $code\n",
    )
    .unwrap();
    std::fs::set_permissions(shim.join("closeacct"), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let mut cmd = env.std_cmd("bash");
    cmd.args(["-c", &script.join("\n")])
        .env("PATH", format!("{}:{}", shim.display(), std::env::var("PATH").unwrap_or_default()))
        .env("TEST_CLOSEACCT", bin())
        .env("TEST_CODES", &codes);
    for (name, value) in moto.env() {
        match value {
            Some(value) => cmd.env(name, value),
            None => cmd.env_remove(name),
        };
    }
    let out = cmd.output().unwrap();
    let ran: Vec<i32> = std::fs::read_to_string(&codes).unwrap().lines().map(|c| c.parse().unwrap()).collect();
    assert_eq!(
        ran,
        expected,
        "exit codes of the block's closeacct lines\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("Check 1 passed"), "the markdown report shows the passing runs: {report}");
}
