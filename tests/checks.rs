//! The check engine driven as a library, with real processes and real kills: the AWS checks of
//! `checklists/CHECKS-DRAFT.md` run the real aws CLI against a local `moto_server`, which is seeded
//! with resources the checks must find exactly, then emptied so they pass.
//!
//! Every test uses its own [`Interrupt`], so interrupting one test's commands leaves the others'
//! alone; the process-wide one belongs to the binary.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use closeacct::testing::{Check, CheckError, CheckRecord, EXCERPT_BYTES, Interrupt, Options, Plan, quote, run_check};
use regex::Regex;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use toml::Spanned;

use crate::common::moto::Moto;

/// moto's account.
const ACCOUNT: &str = "123456789012";

/// Regions the regional checks are narrowed to, to keep the tests quick: two seeded, one not.
const REGIONS: &[&str] = &["us-east-1", "eu-west-1", "ap-southeast-2"];

const DRAFT: &str = include_str!("../checklists/CHECKS-DRAFT.md");

fn parse(body: &str) -> Check {
    toml::from_str(body).unwrap_or_else(|e| panic!("{e}\n{body}"))
}

/// The check under `### name` in the draft.
fn draft(name: &str) -> Check {
    #[derive(Deserialize)]
    struct Doc {
        stages: Stages,
    }
    #[derive(Deserialize)]
    struct Stages {
        steps: Steps,
    }
    #[derive(Deserialize)]
    struct Steps {
        check: Check,
    }
    let heading = format!("\n### {name}\n");
    let after = &DRAFT[DRAFT.find(&heading).unwrap_or_else(|| panic!("no `### {name}` in the draft"))..];
    let block = &after[after.find("```toml\n").expect("a toml block") + 8..];
    let block = &block[..block.find("```").expect("the block's end")];
    toml::from_str::<Doc>(block).unwrap_or_else(|e| panic!("{name}: {e}")).stages.steps.check
}

/// The check with its `foreach` over `regions` only (`describe-regions --region-names`).
fn narrowed(mut check: Check, regions: &[&str]) -> Check {
    let foreach = check.foreach.as_ref().expect("a regional check");
    let variable = foreach.get_ref().keys().next().expect("a variable").clone();
    let mut argv = vec!["aws", "ec2", "describe-regions", "--region-names"];
    argv.extend_from_slice(regions);
    argv.extend_from_slice(&["--query", "Regions[].RegionName", "--output", "text"]);
    let argv = argv.iter().map(|w| Spanned::new(0..0, (*w).to_owned())).collect();
    check.foreach = Some(Spanned::new(0..0, BTreeMap::from([(variable, argv)])));
    check
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

fn on_moto(moto: &Moto, check: &Check) -> CheckRecord {
    run_with(check, 8, moto.env()).unwrap()
}

/// What is left, item by item, for the items that did not pass.
fn left(record: &CheckRecord) -> BTreeMap<String, BTreeSet<String>> {
    record
        .items
        .iter()
        .filter(|item| !item.passed)
        .map(|item| {
            assert_eq!(item.reason.as_deref(), Some("stdout is not empty"), "{item:#?}");
            (item.item.clone().unwrap_or_default(), item.left.iter().cloned().collect())
        })
        .collect()
}

fn set(words: &[String]) -> BTreeSet<String> {
    words.iter().cloned().collect()
}

#[track_caller]
fn assert_passes(record: &CheckRecord) {
    assert!(record.passed, "{}: {:?}", record.summary, record.failures());
    assert!(record.items.iter().all(|item| item.passed && item.left.is_empty()));
}

#[test]
fn ec2_instances_in_two_regions_are_found_then_gone() {
    let moto = Moto::start();
    let east = moto.aws_words(&[
        "ec2",
        "run-instances",
        "--region",
        "us-east-1",
        "--image-id",
        "ami-12c6146b",
        "--count",
        "2",
        "--query",
        "Instances[].InstanceId",
    ]);
    let west = moto.aws_words(&[
        "ec2",
        "run-instances",
        "--region",
        "eu-west-1",
        "--image-id",
        "ami-12c6146b",
        "--query",
        "Instances[].InstanceId",
    ]);
    assert_eq!((east.len(), west.len()), (2, 1));

    let check = narrowed(draft("ec2-instances"), REGIONS);
    let record = on_moto(&moto, &check);
    assert!(!record.passed);
    assert_eq!(record.foreach.as_ref().unwrap().words, REGIONS);
    let items: Vec<&str> = record.items.iter().map(|i| i.item.as_deref().unwrap()).collect();
    assert_eq!(items, REGIONS, "results in the order of the words");
    assert_eq!(left(&record), BTreeMap::from([("us-east-1".into(), set(&east)), ("eu-west-1".into(), set(&west))]));
    assert_eq!(record.items[0].command.argv[4], "us-east-1");
    let failures = record.failures();
    assert_eq!(failures.len(), 2);
    assert!(failures[1].starts_with("eu-west-1: i-"), "{failures:?}");

    for (region, ids) in [("us-east-1", &east), ("eu-west-1", &west)] {
        let args = ["ec2", "terminate-instances", "--region", region, "--instance-ids"];
        moto.aws(&[&args[..], &ids.iter().map(String::as_str).collect::<Vec<_>>()].concat());
    }
    // Terminated instances are still listed, as `terminated`, and so no longer left.
    assert_eq!(
        moto.aws_words(&["ec2", "describe-instances", "--query", "Reservations[].Instances[].State.Name"]),
        ["terminated"; 2]
    );
    assert_passes(&on_moto(&moto, &check));
}

#[test]
fn ebs_volumes_and_elastic_ips_are_found_then_gone() {
    let moto = Moto::start();
    let volume = |zone: &str| {
        let region = &zone[..zone.len() - 1];
        let args = ["ec2", "create-volume", "--region", region, "--availability-zone", zone, "--size", "8"];
        moto.aws(&[&args[..], &["--query", "VolumeId", "--output", "text"]].concat())
    };
    let east_volumes = vec![volume("us-east-1a")];
    let west_volumes = vec![volume("eu-west-1a")];
    let address = |region: &str| {
        moto.aws_words(&["ec2", "allocate-address", "--region", region, "--query", "[PublicIp,AllocationId]"])
    };
    let east_address = address("us-east-1");
    let west_address = address("eu-west-1");

    let volumes = narrowed(draft("ebs-volumes"), REGIONS);
    let addresses = narrowed(draft("elastic-ips"), REGIONS);
    assert_eq!(
        left(&on_moto(&moto, &volumes)),
        BTreeMap::from([("us-east-1".into(), set(&east_volumes)), ("eu-west-1".into(), set(&west_volumes))])
    );
    assert_eq!(
        left(&on_moto(&moto, &addresses)),
        BTreeMap::from([("us-east-1".into(), set(&east_address[..1])), ("eu-west-1".into(), set(&west_address[..1])),])
    );

    for (region, id) in
        east_volumes.iter().map(|v| ("us-east-1", v)).chain(west_volumes.iter().map(|v| ("eu-west-1", v)))
    {
        moto.aws(&["ec2", "delete-volume", "--region", region, "--volume-id", id]);
    }
    for (region, address) in [("us-east-1", &east_address), ("eu-west-1", &west_address)] {
        moto.aws(&["ec2", "release-address", "--region", region, "--allocation-id", &address[1]]);
    }
    assert_passes(&on_moto(&moto, &volumes));
    assert_passes(&on_moto(&moto, &addresses));
}

#[test]
fn s3_buckets_and_the_organization_are_found_then_gone() {
    let moto = Moto::start();
    for bucket in ["closeacct-test-a", "closeacct-test-b"] {
        moto.aws(&["s3api", "create-bucket", "--bucket", bucket]);
    }
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

    let buckets = draft("s3-buckets");
    let record = on_moto(&moto, &buckets);
    assert_eq!(
        left(&record),
        BTreeMap::from([(String::new(), set(&["closeacct-test-a".into(), "closeacct-test-b".into()]))])
    );
    assert_eq!(record.failures(), ["closeacct-test-a, closeacct-test-b"]);

    let management = on_moto(&moto, &draft("org-management"));
    assert_passes(&management);
    assert_eq!(management.summary, format!("{ACCOUNT} is the management account of its organization"));
    assert!(management.items[0].command.argv[4].contains(&format!("=='{ACCOUNT}'")));
    let none = on_moto(&moto, &draft("org-none"));
    assert!(!none.passed);
    assert_eq!(
        none.items[0].reason.as_deref(),
        Some("it succeeded; expected it to fail with /AWSOrganizationsNotInUseException/")
    );
    let members = draft("org-members");
    assert_eq!(left(&on_moto(&moto, &members)), BTreeMap::from([(String::new(), BTreeSet::from([member.clone()]))]));

    for bucket in ["closeacct-test-a", "closeacct-test-b"] {
        moto.aws(&["s3api", "delete-bucket", "--bucket", bucket]);
    }
    assert_passes(&on_moto(&moto, &buckets));
    moto.aws(&["organizations", "remove-account-from-organization", "--account-id", &member]);
    assert_passes(&on_moto(&moto, &members));
    moto.aws(&["organizations", "delete-organization"]);
    assert_passes(&on_moto(&moto, &draft("org-none")));
    let management = on_moto(&moto, &draft("org-management"));
    assert!(!management.passed);
    let reason = management.items[0].reason.as_deref().unwrap();
    assert!(reason.starts_with("exit code 255: An error occurred (AWSOrganizationsNotInUseException)"), "{reason}");
}

#[test]
fn the_other_draft_checks_pass_on_an_empty_account_and_fail_where_moto_cannot_answer() {
    let moto = Moto::start();
    // Every regional check lists the regions with the same command; it gives them all.
    let regions = moto.aws_words(&["ec2", "describe-regions", "--query", "Regions[].RegionName"]);
    assert!(regions.len() > 30 && REGIONS.iter().all(|r| regions.iter().any(|w| w == r)), "{regions:?}");
    let foreach = |name: &str| -> Vec<String> {
        let table = draft(name).foreach.expect("regional").into_inner();
        table
            .into_iter()
            .flat_map(|(variable, argv)| [variable].into_iter().chain(argv.into_iter().map(Spanned::into_inner)))
            .collect()
    };
    for name in
        ["ebs-volumes", "elastic-ips", "nat-gateways", "rds-instances", "cloudtrail-trails", "reserved-instances"]
    {
        assert_eq!(foreach(name), foreach("ec2-instances"), "{name}");
    }

    // A NAT gateway needs a VPC, a subnet and an address.
    let vpc =
        moto.aws(&["ec2", "create-vpc", "--cidr-block", "10.0.0.0/16", "--query", "Vpc.VpcId", "--output", "text"]);
    let subnet = moto.aws(&[
        "ec2",
        "create-subnet",
        "--vpc-id",
        &vpc,
        "--cidr-block",
        "10.0.1.0/24",
        "--query",
        "Subnet.SubnetId",
        "--output",
        "text",
    ]);
    let address = moto.aws(&["ec2", "allocate-address", "--query", "AllocationId", "--output", "text"]);
    let nat = moto.aws(&[
        "ec2",
        "create-nat-gateway",
        "--subnet-id",
        &subnet,
        "--allocation-id",
        &address,
        "--query",
        "NatGateway.NatGatewayId",
        "--output",
        "text",
    ]);
    let nat_check = narrowed(draft("nat-gateways"), &["us-east-1", "ap-southeast-2"]);
    assert_eq!(
        left(&on_moto(&moto, &nat_check)),
        BTreeMap::from([("us-east-1".into(), BTreeSet::from([nat.clone()]))])
    );
    moto.aws(&["ec2", "delete-nat-gateway", "--nat-gateway-id", &nat]);
    // Still listed, as `deleted`, and so no longer left.
    assert_passes(&on_moto(&moto, &nat_check));

    assert_passes(&on_moto(&moto, &narrowed(draft("rds-instances"), &["eu-west-1", "ap-southeast-2"])));
    assert_passes(&on_moto(&moto, &narrowed(draft("cloudtrail-trails"), &["us-east-1", "eu-west-1"])));
    assert_passes(&on_moto(&moto, &draft("route53-domains")));

    // aws-cli 1.x sends rds in us-east-1 to rds.amazonaws.com whatever AWS_ENDPOINT_URL says;
    // the test environment's proxy stops it on this machine.
    let record = on_moto(&moto, &narrowed(draft("rds-instances"), &["us-east-1"]));
    let reason = record.items[0].reason.as_deref().unwrap();
    assert!(reason.contains("Failed to connect to proxy URL: \"http://127.0.0.1:9\""), "{reason}");

    // moto 5.2 answers these with a 500; a server error fails a check, never passes it.
    for record in
        [on_moto(&moto, &narrowed(draft("reserved-instances"), &REGIONS[..1])), on_moto(&moto, &draft("savings-plans"))]
    {
        assert!(!record.passed, "{}", record.summary);
        let reason = record.items[0].reason.as_deref().unwrap();
        assert!(reason.starts_with("exit code 255: "), "{reason}");
        assert!(record.items[0].command.stderr_excerpt.contains("500"), "{:?}", record.items[0].command.stderr_excerpt);
    }
}

#[test]
fn a_hanging_command_is_killed_with_its_group_at_its_timeout() {
    let check = parse(
        r#"
summary = "hangs"
run = ["sh", "-c", "sleep 300 & echo $!; echo $$; wait"]
expect = "success"
timeout = "1s"
"#,
    );
    let start = Instant::now();
    let record = run(&check);
    assert!(start.elapsed() < Duration::from_secs(5), "{:?}", start.elapsed());
    assert!(!record.passed);
    let item = &record.items[0];
    assert_eq!(item.reason.as_deref(), Some("timed out after 1s: sh -c 'sleep 300 & echo $!; echo $$; wait'"));
    assert!(item.command.timed_out);
    assert_eq!((item.command.exit_code, item.command.signal), (None, Some(9)));
    assert!((1000..4000).contains(&item.command.duration_ms), "{}", item.command.duration_ms);
    let pids: Vec<i32> = item.command.stdout_excerpt.split_whitespace().map(|p| p.parse().unwrap()).collect();
    assert_eq!(pids.len(), 2, "the background sleep and the shell");
    for pid in pids {
        assert!(dies(pid), "process {pid} survived the timeout");
    }
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

#[test]
fn a_missing_program_fails_at_once() {
    let started = Instant::now();
    let error = run_with(
        &parse("summary = \"s\"\nrun = [\"closeacct-no-such-program\", \"--version\"]\nexpect = \"success\""),
        8,
        Vec::new(),
    )
    .unwrap_err();
    assert!(matches!(&error, CheckError::MissingProgram { program } if program == "closeacct-no-such-program"));
    assert!(error.is_unavailable());
    assert_eq!(error.to_string(), "cannot run `closeacct-no-such-program`: it is not installed, or not on PATH");
    // In a foreach, the first item stops the rest from starting.
    let check = parse(
        r#"
summary = "s"
foreach = { n = ["seq", "100"] }
run = ["closeacct-no-such-program", "{n}"]
expect = "success"
"#,
    );
    let error = run_with(&check, 1, Vec::new()).unwrap_err();
    assert!(matches!(error, CheckError::MissingProgram { .. }));
    let error = run_with(&parse("summary = \"s\"\nforeach = { n = [\"closeacct-no-such-program\"] }\nrun = [\"echo\", \"{n}\"]\nexpect = \"success\""), 1, Vec::new())
        .unwrap_err();
    assert!(matches!(error, CheckError::MissingProgram { .. }));
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
}

#[test]
fn fifty_megabytes_are_hashed_whole_and_excerpted_briefly() {
    const SIZE: usize = 50 * 1024 * 1024;
    let check = parse(&format!(
        "summary = \"s\"\nrun = [\"sh\", \"-c\", \"yes closeacct-check-output | head -c {SIZE}\"]\nexpect = \"empty\""
    ));
    let record = run(&check);
    let command = &record.items[0].command;
    assert_eq!(command.stdout_bytes, SIZE as u64);
    let line = b"closeacct-check-output\n";
    let mut hasher = Sha256::new();
    for _ in 0..SIZE / line.len() {
        hasher.update(line);
    }
    hasher.update(&line[..SIZE % line.len()]);
    assert_eq!(command.stdout_sha256, format!("{:x}", hasher.finalize()));
    assert_eq!(command.stdout_excerpt.len(), EXCERPT_BYTES);
    assert!(command.stdout_excerpt.starts_with("closeacct-check-output\ncloseacct"));
    assert!(command.excerpts_truncated && record.excerpts_truncated);
    let item = &record.items[0];
    assert_eq!(item.left.len(), 50);
    assert!(item.left.iter().all(|w| w == "closeacct-check-output"));
    assert!(item.left_truncated);
}

/// A stand-in for `secrets::redact`: a 40-character base64 word is an AWS secret access key.
fn stand_in_redact(text: &str) -> String {
    let key = Regex::new(r"(^|[^A-Za-z0-9/+])[A-Za-z0-9/+]{40}([^A-Za-z0-9/+=]|$)").unwrap();
    key.replace_all(text, "${1}[redacted: AWS secret access key]${2}").into_owned()
}

#[test]
fn secrets_in_output_never_reach_the_record() {
    const KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    // The key is printed as a foreach word, on stdout and on stderr; it is a plain word, so it
    // also lands in the argv.
    let check = parse(&format!(
        r#"
summary = "s"
foreach = {{ w = ["printf", "eu-west-1 {KEY}"] }}
run = ["sh", "-c", "echo \"$1\"; echo \"aws_secret_access_key = $1\" >&2", "sh", "{{w}}"]
expect = "empty"
"#
    ));
    let interrupt = Interrupt::new();
    let options = Options { jobs: 2, env: Vec::new(), interrupt: &interrupt };
    let record = run_check(&plan(&check), &options, &|_| {}, &stand_in_redact).unwrap();
    let json = serde_json::to_string(&record).unwrap();
    assert!(!json.contains(KEY) && !json.contains(&KEY[..20]), "{json}");
    let label = "[redacted: AWS secret access key]";
    assert_eq!(record.foreach.as_ref().unwrap().words, ["eu-west-1", label]);
    let item = &record.items[1];
    assert_eq!(item.item.as_deref(), Some(label));
    assert_eq!(item.command.argv[4], label);
    assert_eq!(item.command.stdout_excerpt, format!("{label}\n"));
    assert_eq!(item.command.stderr_excerpt, format!("aws_secret_access_key = {label}\n"));
    assert_eq!(item.left, ["[redacted:", "AWS", "secret", "access", "key]"]);
    // The hash is of what was printed, the key included: evidence, not a copy.
    assert_eq!(item.command.stdout_sha256, format!("{:x}", Sha256::digest(format!("{KEY}\n"))));
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
    assert_passes(&run_with(&check, 1, env).unwrap());
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
