//! `checklist validate|show` and `providers`: every validation error kind with its position, the
//! round trip through `show --format toml`, and hostile input to the loader.

use std::fmt::Write as _;

use closeacct::testing::{BUILTIN, Loaded};
use proptest::prelude::*;

use crate::common::Env;

#[test]
fn every_invalid_fixture_fails_with_its_position_and_exit_65() {
    let env = Env::new();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/checklists/invalid");
    let mut names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    names.sort();
    assert!(names.len() >= 15, "expected a fixture per validation error kind");
    let mut transcript = String::new();
    for name in names {
        let name = name.to_str().unwrap().to_owned();
        let out = env
            .closeacct(&["checklist", "validate", &format!("tests/fixtures/checklists/invalid/{name}")])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output();
        assert!(out.stdout.is_empty(), "{name}: nothing on stdout");
        let stderr = out.stderr;
        assert_eq!(stderr.lines().count(), 1, "{name}: one line\n{stderr}");
        let _ = write!(transcript, "[{}] {stderr}", out.code.unwrap());
    }
    insta::assert_snapshot!(transcript);
}

#[test]
fn every_valid_fixture_validates_through_the_binary() {
    let env = Env::new();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/checklists/valid");
    let mut names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    names.sort();
    assert!(names.len() >= 3, "the test fixtures: small, progress, dates");
    for name in names {
        let name = name.to_str().unwrap().to_owned();
        let path = dir.join(&name);
        let stdout = env.closeacct(&["checklist", "validate", path.to_str().unwrap()]).status(0).stdout;
        assert!(stdout.contains(": ok ("), "{name}: {stdout}");
    }
}

#[test]
fn a_missing_checklist_file_exits_66() {
    let env = Env::new();
    let stderr = env.closeacct(&["checklist", "validate", "no-such.toml"]).status(66).stderr;
    assert_eq!(stderr, "closeacct: no such file `no-such.toml`\n");
}

#[test]
fn builtin_checklists_validate_and_round_trip_through_show_toml() {
    let env = Env::new();
    for (id, _, text) in BUILTIN {
        let original = Loaded::parse(text, id).unwrap();
        let toml = env.closeacct(&["checklist", "show", id, "--format", "toml"]).status(0).stdout;
        let path = env.write(&format!("{id}-shown.toml"), &toml);
        let ok = env.closeacct(&["checklist", "validate", path.to_str().unwrap()]).status(0).stdout;
        assert!(ok.contains(&format!("ok ({id} v")), "{ok}");
        let shown = Loaded::parse(&toml, "shown").unwrap();
        assert_eq!(shown.checklist, original.checklist, "{id}: show --format toml changes the checklist");

        let json = env.closeacct(&["checklist", "show", id, "--format", "json"]).status(0).stdout;
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["id"], *id);
        assert_eq!(value["stages"].as_array().unwrap().len(), original.checklist.stages.len());
    }
}

#[test]
fn providers_lists_every_builtin_checklist() {
    let env = Env::new();
    let out = env.closeacct(&["providers"]).status(0).stdout;
    insta::assert_snapshot!(out);
    let json = env.closeacct(&["providers", "--format", "json"]).status(0).stdout;
    let rows: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    let ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        ["aws", "centurylink", "aws-root", "aws-org-member", "gcp-project", "gcp-billing", "azure-subscription"]
    );
}

#[test]
fn checklist_show_text_snapshots() {
    let env = Env::new();
    for (id, _, _) in BUILTIN {
        let out = env.closeacct(&["checklist", "show", id]).status(0).stdout;
        insta::assert_snapshot!(format!("show_{id}"), out);
    }
}

#[test]
fn unknown_provider_exits_2_and_lists_the_known_ones() {
    let env = Env::new();
    let out = env.closeacct(&["checklist", "show", "gpc"]).output();
    insta::assert_snapshot!(out.snapshot(), @"
    ------- stderr -------
    closeacct: unknown provider `gpc` (available: aws, centurylink, aws-root, aws-org-member, gcp-project, gcp-billing, azure-subscription)
    hint: did you mean `gcp-billing` or `gcp-project`? `closeacct providers` lists them
    [exit status: 2]
    ");
    let out = env.closeacct(&["checklist", "show", "azure"]).output();
    insta::assert_snapshot!(out.snapshot(), @"
    ------- stderr -------
    closeacct: unknown provider `azure` (available: aws, centurylink, aws-root, aws-org-member, gcp-project, gcp-billing, azure-subscription)
    hint: did you mean `azure-subscription`? `closeacct providers` lists them
    [exit status: 2]
    ");
    let out = env.closeacct(&["checklist", "show", "awz"]).output();
    insta::assert_snapshot!(out.snapshot(), @"
    ------- stderr -------
    closeacct: unknown provider `awz` (available: aws, centurylink, aws-root, aws-org-member, gcp-project, gcp-billing, azure-subscription)
    hint: did you mean `aws` or `aws-org-member` or `aws-root`? `closeacct providers` lists them
    [exit status: 2]
    ");
    // Ids are lower case; one typed in capitals is suggested as it is written.
    let out = env.closeacct(&["checklist", "show", "AWS"]).status(2);
    assert!(out.stderr.contains("did you mean `aws`"), "{}", out.stderr);
}

#[test]
fn a_custom_checklist_drives_commands() {
    let env = Env::new();
    let path = env.write("small.toml", crate::common::SMALL);
    let file = path.to_str().unwrap();
    insta::assert_snapshot!(env.closeacct(&["checklist", "validate", file]).output().snapshot(), @"
    $TEST_ENV/small.toml: ok (small v1, 2 stages, 5 steps, sha256 b86ef6552f3bb0fcf04109fbedf17e6477377618946a69b90282b94520fb5a83)
    ------- stderr -------
    [exit status: 0]
    ");
    env.closeacct(&["start", "--checklist", file, "--account", "acct-1", "--fact", "org=no"]).status(0);
    let out = env.closeacct(&["confirm", "--checklist", file, "--provider", "other", "backup"]).output();
    insta::assert_snapshot!(out.snapshot(), @"
    ------- stderr -------
    closeacct: --provider `other` does not match the id `small` of checklist `$TEST_ENV/small.toml`
    [exit status: 2]
    ");
}

#[test]
fn hostile_checklists_get_clean_errors() {
    let deep = format!("a = {}{}", "[".repeat(100_000), "]".repeat(100_000));
    let huge_string = format!("id = \"{}\"", "x".repeat(40 * 1024 * 1024));
    let binary: String = (0u8..=255).map(char::from).cycle().take(100_000).collect();
    let inline_deep = format!("a = {}1{}", "{b = ".repeat(50_000), "}".repeat(50_000));
    for (name, text) in
        [("deep arrays", deep), ("too large", huge_string), ("binary", binary), ("deep tables", inline_deep)]
    {
        let err = Loaded::parse(&text, "hostile.toml").expect_err(name);
        assert_eq!(err.exit_code(), 65, "{name}: {err}");
        assert!(err.to_string().starts_with("hostile.toml"), "{name}: {err}");
    }
}

#[test]
fn odd_ids_are_refused_with_their_position() {
    for id in ["../etc", "a b", "ÄÖ", "step\u{0}", "x\ny", &"z".repeat(65)] {
        let text =
            crate::common::SMALL.replace("id = \"backup\"", &format!("id = {}", toml::Value::String(id.to_owned())));
        let err = Loaded::parse(&text, "odd.toml").unwrap_err();
        assert!(err.to_string().contains("malformed step id"), "{id:?}: {err}");
        assert!(err.to_string().starts_with("odd.toml:18:6"), "{id:?}: {err}");
    }
}

#[test]
fn a_generated_checklist_of_100_000_steps_loads() {
    let text = closeacct::testing::generate_for_benchmarks(100_000);
    let loaded = Loaded::parse(&text, "big.toml").unwrap();
    assert_eq!(loaded.step_count(), 100_000);
    assert!(loaded.find("step-99999").is_some());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn the_loader_never_panics_on_arbitrary_text(text in "\\PC*") {
        let _ = Loaded::parse(&text, "fuzz.toml");
    }

    #[test]
    fn the_loader_never_panics_on_mutated_checklists(
        cut in 0usize..4000,
        insert in "[\\[\\]{}=\"'#\\n a-z0-9.!&|-]{0,12}",
    ) {
        let base = crate::common::SMALL;
        let mut at = cut.min(base.len());
        while !base.is_char_boundary(at) {
            at -= 1;
        }
        let text = format!("{}{insert}{}", &base[..at], &base[at..]);
        if let Err(e) = Loaded::parse(&text, "mutated.toml") {
            prop_assert_eq!(e.exit_code(), 65);
            prop_assert!(e.to_string().starts_with("mutated.toml"), "{}", e);
        }
    }
}
