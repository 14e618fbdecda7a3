//! Secret screening: the samples in tests/fixtures/secrets/ are refused (every secret, with its
//! kind) and rarely refused (ordinary operator notes), redaction leaves nothing of a secret
//! behind, and through the binary a refused note, evidence or skip reason exits 65, names the
//! kind, never echoes the secret and leaves the state file untouched.
//!
//! Every credential here and in the fixtures is made up for these tests (random strings in the
//! vendors' formats, or AWS's documented example key); none is, or was, a working credential.

use std::time::{Duration, Instant};

use closeacct::testing::{SecretKind, find_secret, findings, redact};

use crate::common::{Output, Small};

use SecretKind as K;

const SECRETS_FILE: &str = include_str!("fixtures/secrets/secrets.txt");
const BENIGN_FILE: &str = include_str!("fixtures/secrets/benign.txt");

/// A secret sample and the phrase of the kind it must be refused as.
struct Sample {
    line: usize,
    text: String,
    kind: String,
}

/// Undoes a fixture line's escapes: `\n`, `\t`, `\\`, `\#`.
fn unescape(line: &str) -> Result<String, String> {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('\\') => out.push('\\'),
            Some('#') => out.push('#'),
            Some(other) => return Err(format!("unknown escape \\{other}")),
            None => return Err("a backslash at the end of the line".to_owned()),
        }
    }
    Ok(out)
}

/// The samples of a fixture file, with the kind of the `## <phrase>` section each is in (empty
/// outside any section).
fn samples(file: &str) -> Vec<Sample> {
    let mut kind = String::new();
    let mut out = Vec::new();
    for (i, line) in file.lines().enumerate() {
        if let Some(phrase) = line.strip_prefix("## ") {
            phrase.trim().clone_into(&mut kind);
        } else if !line.trim().is_empty() && !line.starts_with('#') {
            let text = unescape(line).unwrap_or_else(|e| panic!("line {}: {e}", i + 1));
            out.push(Sample { line: i + 1, text, kind: kind.clone() });
        }
    }
    out
}

fn secrets() -> Vec<Sample> {
    let samples = samples(SECRETS_FILE);
    assert!(samples.iter().all(|s| !s.kind.is_empty()), "every secret sample is in a `## <kind>` section");
    samples
}

fn benign() -> Vec<String> {
    let samples = samples(BENIGN_FILE);
    assert!(samples.iter().all(|s| s.kind.is_empty()), "benign.txt has no sections");
    samples.into_iter().map(|s| s.text).collect()
}

#[test]
fn the_fixture_format_reads_escapes_and_sections() {
    let parsed = samples("# comment\n\n## a password\npw=a\\\\b\\nc\n\\#1\tx\n## an API key or access token\nk\n");
    let got: Vec<(usize, &str, &str)> = parsed.iter().map(|s| (s.line, s.text.as_str(), s.kind.as_str())).collect();
    assert_eq!(
        got,
        [(4, "pw=a\\b\nc", "a password"), (5, "#1\tx", "a password"), (7, "k", "an API key or access token")]
    );
    assert_eq!(unescape("a\\qb"), Err("unknown escape \\q".to_owned()));
    assert_eq!(unescape("a\\"), Err("a backslash at the end of the line".to_owned()));
}

#[test]
fn every_secret_sample_is_refused_with_its_kind() {
    let secrets = secrets();
    assert!(secrets.len() >= 300, "only {} secret samples", secrets.len());
    let mut missed = Vec::new();
    let mut wrong_kind = Vec::new();
    for sample in &secrets {
        match find_secret(&sample.text) {
            None => missed.push(format!("line {}: {:?}", sample.line, sample.text)),
            Some(kind) if kind.phrase() != sample.kind => wrong_kind.push(format!(
                "line {}: {:?}: expected {}, got {kind} ({kind:?})",
                sample.line, sample.text, sample.kind
            )),
            Some(_) => {}
        }
    }
    let refused = secrets.len() - missed.len();
    eprintln!(
        "secret samples: {refused}/{} refused, {} with the expected kind",
        secrets.len(),
        refused - wrong_kind.len()
    );
    assert!(
        missed.is_empty(),
        "{} of {} secrets were not refused:\n{}",
        missed.len(),
        secrets.len(),
        missed.join("\n")
    );
    assert!(wrong_kind.is_empty(), "secrets refused as the wrong kind:\n{}", wrong_kind.join("\n"));
}

#[test]
fn at_least_98_percent_of_secrets_and_at_most_1_percent_of_benign_notes_are_refused() {
    let secrets = secrets();
    let benign = benign();
    assert!(benign.len() >= 500, "only {} benign samples", benign.len());
    let missed: Vec<&Sample> = secrets.iter().filter(|s| find_secret(&s.text).is_none()).collect();
    let refused: Vec<String> =
        benign.iter().filter_map(|note| find_secret(note).map(|kind| format!("{note:?} as {kind}"))).collect();
    #[allow(clippy::cast_precision_loss)]
    let rate = |n: usize, of: usize| n as f64 * 100.0 / of as f64;
    let secret_rate = rate(secrets.len() - missed.len(), secrets.len());
    let benign_rate = rate(refused.len(), benign.len());
    eprintln!(
        "secrets refused: {}/{} ({secret_rate:.1}%); benign notes refused: {}/{} ({benign_rate:.1}%)",
        secrets.len() - missed.len(),
        secrets.len(),
        refused.len(),
        benign.len()
    );
    for sample in &missed {
        eprintln!("  missed (line {}): {:?}", sample.line, sample.text);
    }
    for line in &refused {
        eprintln!("  refused: {line}");
    }
    assert!(missed.len() * 50 <= secrets.len(), "fewer than 98% of secrets refused ({secret_rate:.1}%)");
    assert!(refused.len() * 100 <= benign.len(), "more than 1% of benign notes refused ({benign_rate:.1}%)");
}

#[test]
fn no_rule_of_the_rules_file_fires_on_a_benign_note() {
    let mut fired = Vec::new();
    for note in benign() {
        for finding in findings(&note).iter().filter(|f| f.from_rules_file) {
            fired.push(format!("rule {} on {note:?}", finding.by));
        }
    }
    assert!(fired.is_empty(), "vendor rules fire on benign notes:\n{}", fired.join("\n"));
}

#[test]
fn the_secret_samples_cover_every_kind() {
    let secrets = secrets();
    for kind in SecretKind::ALL {
        assert!(secrets.iter().any(|s| s.kind == kind.phrase()), "no secret sample of kind {kind:?}");
    }
}

#[test]
fn a_secret_is_found_wherever_it_sits_in_a_longer_note() {
    let padding = "Closed the account per CS-2026-11-0042; backups in s3://acme-archive-apne2/. ";
    for sample in secrets().iter().step_by(7) {
        for text in [
            format!("{padding}{}", sample.text),
            format!("{}\n{padding}", sample.text),
            format!("{padding}\n{}\n{padding}", sample.text),
        ] {
            assert_eq!(find_secret(&text).map(SecretKind::phrase), Some(sample.kind.as_str()), "in {text:?}");
        }
    }
}

#[test]
fn kind_phrases_name_the_kind_and_carry_no_secret() {
    for kind in SecretKind::ALL {
        let phrase = kind.phrase();
        assert_eq!(kind.to_string(), phrase);
        assert!(phrase.starts_with("a ") || phrase.starts_with("an ") || phrase.starts_with("HTTP "), "{phrase}");
    }
}

// ---------------------------------------------------------------------------------------------
// Redaction.

#[test]
fn redaction_leaves_nothing_to_find_and_benign_notes_as_they_are() {
    for sample in secrets() {
        let redacted = redact(&sample.text);
        assert!(redacted.contains("[redacted: "), "line {}: nothing redacted in {:?}", sample.line, sample.text);
        assert_eq!(find_secret(&redacted), None, "line {}: {redacted:?} still holds a secret", sample.line);
        // Overlapping findings are hidden as one, under the kind of either.
        let labels: Vec<String> =
            findings(&sample.text).iter().map(|f| format!("[redacted: {}]", f.kind.label())).collect();
        assert!(labels.iter().any(|l| redacted.contains(l)), "line {}: {redacted:?} lacks the kind", sample.line);
    }
    for note in benign() {
        if find_secret(&note).is_none() {
            assert_eq!(redact(&note), note.as_str());
        }
    }
}

#[test]
fn redaction_hides_every_fragment_of_the_secret() {
    let secret = "Zq8!vN3pLw-7Tx";
    for text in [
        format!("password={secret}"),
        format!("\"password\": \"{secret}\""),
        format!("db password {secret} (old)"),
        format!("postgres://app:{secret}@db.internal/billing"),
        format!("mysql -uroot -p{secret} billing"),
    ] {
        let redacted = redact(&text);
        for fragment in fragments(secret) {
            assert!(!redacted.contains(fragment), "{redacted:?} shows {fragment:?} of the secret");
        }
    }
}

#[test]
fn redaction_of_64_kib_is_linear_and_complete() {
    // Every secret sample, between benign notes, until the text passes 64 KiB; and texts made of
    // nothing but keywords, which would make a quadratic scan crawl.
    let secrets = secrets();
    let benign = benign();
    let mut mixed = String::new();
    for (secret, note) in secrets.iter().cycle().zip(benign.iter().cycle()) {
        if mixed.len() > 64 * 1024 {
            break;
        }
        mixed.push_str(&secret.text);
        mixed.push('\n');
        mixed.push_str(note);
        mixed.push('\n');
    }
    let adversarial = [
        "password=".repeat(64 * 1024 / 9),
        "passwordpassword".repeat(64 * 1024 / 16),
        "-----BEGIN RSA PRIVATE KEY-----\n".repeat(64 * 1024 / 32),
        "curl -u ".repeat(64 * 1024 / 8),
        "https://".repeat(64 * 1024 / 8),
        "Bearer ".repeat(64 * 1024 / 7),
        "A".repeat(64 * 1024),
        "ufjjvkfursblrvk".repeat(64 * 1024 / 15),
        "[redacted: ".repeat(64 * 1024 / 11),
        "[redacted: password] x".repeat(64 * 1024 / 22),
        "root:".repeat(64 * 1024 / 5) + "@",
        "mysql ".repeat(64 * 1024 / 6),
        "password password ".repeat(64 * 1024 / 18),
        "a:b@c.de ".repeat(64 * 1024 / 9),
    ];
    let small = &mixed[..mixed.char_indices().map(|(i, _)| i).find(|&i| i >= 8 * 1024).unwrap()];
    let time = |text: &str| {
        let start = Instant::now();
        let redacted = redact(text);
        (start.elapsed(), redacted.into_owned())
    };
    let (small_time, _) = time(small);
    let (big_time, redacted) = time(&mixed);
    assert_eq!(find_secret(&redacted), None, "a secret survived redaction of the 64 KiB text");
    eprintln!("redacting 8 KiB: {small_time:?}; 64 KiB: {big_time:?}");
    // Linear: 8 times the text, allowing for noise; a quadratic scan would take about 64 times.
    assert!(big_time <= small_time * 24 + Duration::from_millis(50), "8 KiB in {small_time:?}, 64 KiB in {big_time:?}");
    for text in &adversarial {
        let (elapsed, _) = time(text);
        assert!(elapsed < Duration::from_secs(2), "{:?}… took {elapsed:?}", &text[..20]);
    }
}

// ---------------------------------------------------------------------------------------------
// Through the binary.

/// A started run of the small checklist for `acct-1`, with `org` answered `no`.
fn started() -> Small {
    let run = Small::new();
    run.closeacct("start", &["--fact", "org=no"]).status(0);
    run
}

/// Runs a command that must be refused for `secret`: exit 65, a message naming `what` and
/// `kind`, nothing of the secret on stdout or stderr, and the log byte for byte unchanged.
#[track_caller]
fn refuses(run: &Small, command: &str, rest: &[&str], what: &str, kind: SecretKind, secret: &str) {
    let before = run.log();
    let Output { stdout, stderr, .. } = run.closeacct(command, rest).status(65);
    let expected = format!("refusing to record {what}: it contains what looks like {}", kind.phrase());
    assert!(stderr.contains(&expected), "expected {expected:?} in:\n{stderr}");
    for output in [&stdout, &stderr] {
        for fragment in fragments(secret) {
            assert!(!output.contains(fragment), "output echoes {fragment:?} of the secret:\n{output}");
        }
    }
    assert_eq!(run.log(), before, "the state file changed after a refusal");
}

/// Every 6-character window of the secret that looks like part of a credential (so that
/// ordinary words around it, such as "password", are not demanded absent from the message).
fn fragments(secret: &str) -> Vec<&str> {
    let chars: Vec<(usize, char)> = secret.char_indices().collect();
    (0..chars.len().saturating_sub(5))
        .map(|i| {
            let end = chars.get(i + 6).map_or(secret.len(), |&(at, _)| at);
            &secret[chars[i].0..end]
        })
        .filter(|w| w.bytes().any(|b| b.is_ascii_digit()) || w.bytes().any(|b| b"!@#$%^&*+/~".contains(&b)))
        .collect()
}

#[test]
fn a_secret_in_a_note_is_refused_and_nothing_is_written() {
    let run = started();
    let cases: [(&str, SecretKind, &str); 5] = [
        (
            "aws_secret_access_key = MJzjtPrcWC3f5fMqIY3Dwarw4xQTQzKEe7+PR9qR",
            K::AwsSecretAccessKey,
            "MJzjtPrcWC3f5fMqIY3Dwarw4xQTQzKEe7+PR9qR",
        ),
        ("backed up with PGPASSWORD=DmrtDCCPrQRm0V pg_dump", K::Password, "DmrtDCCPrQRm0V"),
        (
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQZlGvwTAwY4zDpZDs4det72\n-----END OPENSSH PRIVATE KEY-----",
            K::PrivateKey,
            "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQZlGvwTAwY4zDpZDs4det72",
        ),
        ("루트 비밀번호: 5nl3Pvfe9zML@j", K::Password, "5nl3Pvfe9zML@j"),
        (
            "SLACK_BOT_TOKEN=xoxb-415594509454-8493571713787-GUKRnMxwJbn9OsXuGRdefJYv",
            K::SlackToken,
            "415594509454-8493571713787-GUKRnMxwJbn9OsXuGRdefJYv",
        ),
    ];
    for (note, kind, secret) in cases {
        // A PEM block starts with `-`, and is still taken as the note's value.
        refuses(&run, "confirm", &["backup", "--note", note], "the note for step `backup`", kind, secret);
    }
    // A note added to a step already done is screened the same way.
    run.closeacct("confirm", &["backup", "--note", "copied to s3://acme-archive-apne2/2026-11-24/"]).status(0);
    refuses(
        &run,
        "confirm",
        &["backup", "--note", "restore test used AKIALACI35K21PEA9DJ2"],
        "the note for step `backup`",
        K::AwsAccessKeyId,
        "AKIALACI35K21PEA9DJ2",
    );
    let log = run.log();
    assert!(log.contains("copied to s3://acme-archive-apne2/2026-11-24/"), "the benign note is recorded:\n{log}");
}

#[test]
fn a_secret_in_evidence_is_refused_and_nothing_is_written() {
    let run = started();
    run.closeacct("confirm", &["backup"]).status(0);
    let cases: [(&str, SecretKind, &str); 4] = [
        (
            "CS-2026-11-0042 opened via API with Authorization: Bearer Cc8Y3tLj1PhkOLdZ6C92f3SnblMto4sv",
            K::BearerToken,
            "Cc8Y3tLj1PhkOLdZ6C92f3SnblMto4sv",
        ),
        ("ticket filed from https://admin:Summer2026!@support.bespin.example/new", K::UrlWithPassword, "Summer2026!"),
        ("case 17299384821, key AKIARXI6VBTCJBS73Z4Z", K::AwsAccessKeyId, "AKIARXI6VBTCJBS73Z4Z"),
        ("INC0012345 api_key=u42O5XDeZCovoWOeH25XqjmQljf2C2DX", K::ApiToken, "u42O5XDeZCovoWOeH25XqjmQljf2C2DX"),
    ];
    for (evidence, kind, secret) in cases {
        refuses(&run, "confirm", &["ticket", "--evidence", evidence], "the evidence for step `ticket`", kind, secret);
    }
    // The same evidence without the secret is recorded.
    run.closeacct("confirm", &["ticket", "--evidence", "CS-2026-11-0042"]).status(0);
}

#[test]
fn a_secret_in_a_skip_reason_is_refused_and_nothing_is_written() {
    let run = started();
    let cases: [(&str, &str, SecretKind, &str); 3] = [
        (
            "backup",
            "customer keeps its own copy; their export used secret key HmE+tWN2EABTPu1m0ugeWOg7GLqwSBIPt3oILT9R",
            K::AwsSecretAccessKey,
            "HmE+tWN2EABTPu1m0ugeWOg7GLqwSBIPt3oILT9R",
        ),
        ("backup", "done by the partner, password: Gd7!kz9Qw", K::Password, "Gd7!kz9Qw"),
        (
            "backup",
            "partner did it with ghp_3D5i3uFKcXn448gM0rsSIfZgPJ4Xh2XiVdvE",
            K::GitHubToken,
            "3D5i3uFKcXn448gM0rsSIfZgPJ4Xh2XiVdvE",
        ),
    ];
    for (step, reason, kind, secret) in cases {
        let what = format!("the reason for skipping step `{step}`");
        refuses(&run, "skip", &[step, "--reason", reason], &what, kind, secret);
    }
    run.closeacct("skip", &["backup", "--reason", "customer keeps its own copy (CS-2026-11-0042)"]).status(0);
}
