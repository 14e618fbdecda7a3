//! Refusing secrets before they reach the record, and redacting them from output.
//!
//! The state file is append-only and meant to be kept, shared with auditors and attached to
//! tickets, so a password or key pasted into a note would live there for good: it can not be
//! edited out without breaking the record. Every note, piece of evidence and reason is therefore
//! screened here first ([`find_secret`]), and anything that looks like a credential is refused with
//! the *kind* of secret seen ([`SecretKind`]), never the secret itself, so the refusal message is
//! as safe to show, log and record as the note should have been. Output that is the world's
//! rather than the record's (read-only commands) goes through [`redact`] instead, which hides each
//! secret behind `[redacted: <kind>]`.
//!
//! Four families of checks run over the text:
//!
//! * **Vendor shapes** (`rules.toml`, in the gitleaks schema and mostly taken from gitleaks):
//!   credentials whose format gives them away wherever they appear: AWS access key IDs (`AKIA…`)
//!   and session tokens, private-key blocks, GitHub, GitLab, Slack, Google, Stripe, npm, `PyPI`,
//!   `SendGrid`, Twilio and some two hundred other vendors' tokens, JSON Web Tokens, webhook URLs,
//!   Azure SAS signatures, password hashes (`htpasswd`, `crypt`), `.pgpass` lines. A new shape is
//!   a data edit.
//! * **Other shapes**, which a regex can not judge alone (`shapes.rs`): URLs with a password in
//!   them, and `user:password@host` without a scheme; `Basic` credentials that decode to
//!   `user:password`; `Bearer` tokens; a private key wrapped in base64 once more (a kubeconfig's
//!   `client-key-data`); and a bare 40-character base64 string mixing upper case, lower case and
//!   digits (an AWS secret access key, unless it reads as a path or a `CamelCase` name).
//! * **Assignments** (`assignment/`): a secret-named field followed by a value: `password=…`,
//!   `"passwd": "…"`, `DB_PASSWORD: …`, `api-key=…`, `client_secret …`, `token: …`,
//!   `--password …`, `-storepass …`, `<Password>…</Password>`, `define('DB_PASSWORD', '…')`,
//!   `machine … login … password …` (`.netrc`), MFA recovery codes and TOTP seeds, a value written
//!   before its field ("use '…' as the password", when the field ends the clause), and the same in
//!   other languages (`Passwort`, `mot de passe`, `contraseña`, `senha`, `пароль`, `密码`,
//!   `パスワード`, `비밀번호`, …). Field names are read as words (`PGPASSWORD`, `dbPassword`,
//!   `aws_secret_access_key`, `x-api-key`), so `password_policy`, `secret_name` or
//!   `--delete-secret-keys` is no field. Name/value pairs whose name is such a field count too:
//!   `<add key="DbPassword" value="…"/>`, `{"name": "DB_PASSWORD", "value": "…"}`,
//!   `ParameterKey=DBPassword,ParameterValue=…`, `--name /prod/db/password --value …`,
//!   `variable "db_password" { default = "…" }`, `<entry key="db.password">…</entry>` (a bare
//!   value there must look random), and so does SQL's `IDENTIFIED BY …`.
//! * **Command lines** that take a password without naming it (`commands.rs`): `mysql -pSECRET`,
//!   `docker login -p …`, `sshpass -p …`, `redis-cli -a …`, `curl -u user:…`,
//!   `sqlplus user/…@db`, `net use … \\server\share …`, `echo … | docker login --password-stdin`.
//!
//! Finding the checks that apply costs one pass: every rule's and check's keywords go into one
//! Aho-Corasick automaton run over the lower-cased text, and only the rules whose keywords occur
//! are compiled (once per process) and run. Nothing is built until there is text to screen.
//!
//! An assignment only counts when an actual value follows, because operators legitimately write
//! *about* secrets ("rotated the root password, stored in the vault", "token: see vault"). The
//! value must be at least [`MIN_VALUE_CHARS`] characters and must not be:
//!
//! * a placeholder: `<redacted>`, `[REDACTED]`, `***`, `xxxxxx`, `…`, `${DB_PASSWORD}`,
//!   `$DB_PASSWORD`, `$(cat pw.txt)`, `%PASSWORD%`, `{{ secrets.token }}`, `var.db_password`,
//!   `null`, `none`, `n/a`, or a phrase naming where the secret lives (`see vault`, `in
//!   1Password`, `stored in Secrets Manager`). A `$` followed by something that is no variable
//!   name (`$3cr3t`, or `$ecretPass` with its mixed case) is a value, not a variable;
//! * a reference: an ARN, a URL without credentials, an absolute or home path, an e-mail address,
//!   a date, a `vault`-style path of plain words (`prod/db/root`);
//! * a status word: `rotated`, `revoked`, `pending`, `unchanged`, `done`, … (a lower-case word
//!   ending in `-ed` or `-ing`, a participle such as `geändert` or `cambiada`, or one of a short
//!   list).
//!
//! How hard the value must look like a secret depends on how it was written. After `=`, inside
//! quotes, after a `--flag` or in an XML element, any remaining value is refused. After `:` and a
//! space (which is also how prose reads: "password: reset by the customer"), and after a full-width
//! colon, the value must look random (letters mixed with digits, a symbol, or mixed case inside a
//! word other than a `CamelCase` name such as `OpsNow` or `GitHub`), or be a single ASCII word that
//! ends the line, or for a password a passphrase of words and numbers that ends the line
//! (`purple-tiger-42`). After "is" (`ist`, `lautet`, `est`, `es`, `é`, `är`, a dash), "set to" or
//! a particle (`비밀번호는`, `密码是`) it must look random, or for a password be such a passphrase
//! with a number in it; after a bare space ("db password Zq8!vN3pLw") it must look random. Up to
//! four words may stand between the field and its separator ("root password for the old bastion:
//! …", "Mot de passe du compte root = …"), unless one of them says the name is about something
//! else ("password policy: …", "token ID: …"). A value runs to the next space or closing quote:
//! `&`, `,`, `;`, `/` and brackets inside it belong to it, unless they start a next `name=` pair
//! (`auth_token=…&format=json`); sentence punctuation and unbalanced closing brackets after it do
//! not.
//!
//! Borderline choices, deliberately made:
//!
//! * `token: see vault`, `password: in 1Password`, `secret: stored in the vault` are **allowed**:
//!   they say where the secret is, which is exactly what the refusal message asks for.
//! * Values shorter than [`MIN_VALUE_CHARS`] (`pwd=abc12`) are allowed; short values are far more
//!   often ticket fragments, flags and words than real passwords.
//! * A single word after `password: ` that ends the line (`password: customer-held`) is refused:
//!   it can not be told from a passphrase such as `correct-horse-battery`.
//! * A hardware MFA serial after `token:` (`token: GAHT12345678`) is refused: it looks exactly like
//!   a token value. Write "MFA device serial GAHT12345678" instead.
//! * AWS unique IDs with the length of an access key ID (`AIDA…`, `AROA…`, `ANPA…` and 16 more
//!   characters) are refused along with access key IDs, as they share the shape and the refusal is
//!   cheap; so is AWS's documented example key ID, and an access key ID running on into more
//!   characters (`AKIA…_old`). Real user and role IDs, one character longer, are allowed, and so
//!   are client IDs and other identifiers that are public by design (the gitleaks rules for them
//!   are left out).
//! * The gitleaks rules that look for a vendor's name next to a value let identifiers through:
//!   `Heroku app id: <uuid>` is allowed, `HEROKU_API_KEY=<uuid>` is refused.
//! * When the shape of an AWS secret access key (40 random base64 characters) and a field name meet
//!   at one value (`apiKey: <40 characters>`), the AWS kind is named; the value is refused either
//!   way. After an identifier's word (`guid`, `VersionId`, `etag`, any `…id`), such a string is
//!   taken for the identifier it is.
//! * An administrator's user name, a colon or slash and a value (`root / q8rnNoeJp48I!`, `MySQL
//!   root: …`) is refused as a password only when the value has eight characters or more with a
//!   symbol, or upper case, lower case and digits: `root: r-ab12` is an Organizations root.
//! * Pagination, idempotency, upload and domain-verification tokens (`NextToken`,
//!   `ContinuationToken`, `ClientToken`, `verification token`) are not treated as secret fields.
//! * Lower-case hex (SHA-1, SHA-256 digests, git commits), UUIDs and AWS resource IDs never count
//!   as a secret access key: a 40-character candidate must contain a character that is not hex.
//! * A certificate (`-----BEGIN CERTIFICATE-----`, a kubeconfig's `certificate-authority-data`) and
//!   a public key are allowed; only private keys are refused.
//! * A password hash (`$apr1$…`, `$2y$…`, `{SSHA}…`) is refused like a password: it is an
//!   `htpasswd` line's credential, and weak ones are cracked offline.
//! * The words of a `[redacted: <kind>]` marker are neither field nor value, so redacted text
//!   screens clean. Only exact markers naming a kind count, so a secret can not hide in brackets.

mod assignment;
mod commands;
mod rules;
mod shapes;

use std::borrow::Cow;
use std::fmt;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use self::rules::RuleSet;

/// The shortest assignment value that is refused; shorter ones are taken for words or fragments.
pub(crate) const MIN_VALUE_CHARS: usize = 6;

/// What kind of secret was seen; `Display` gives a phrase like "an AWS secret access key".
///
/// Neither `Display` nor `Debug` ever carries any part of the secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretKind {
    /// `AKIA…`, `ASIA…` and the other AWS key and unique-ID prefixes, with 16 more characters.
    AwsAccessKeyId,
    /// 40 base64 characters, next to `aws_secret_access_key` and the like, or random-looking.
    AwsSecretAccessKey,
    /// An STS session token (`IQoJb3JpZ2luX2Vj…`, `FwoGZXIvYXdz…`).
    AwsSessionToken,
    /// A `-----BEGIN … PRIVATE KEY-----` block, a `PuTTY` key file, or a bare private-key body.
    PrivateKey,
    /// A value after `password`, `passwd`, `pwd`, `passphrase`, `비밀번호`, `пароль`, ….
    Password,
    /// A value after `secret`, `client_secret`, `secret_key`, `AccountKey`, ….
    ClientSecret,
    /// `Authorization: Bearer …`, or `Bearer` followed by a token-looking value.
    BearerToken,
    /// `Basic …` credentials (base64 of `user:password`), `curl -u user:password`.
    BasicAuth,
    /// A value after `api_key`, `apikey`, `token`, `access_token`, …, or a token with a generic
    /// prefix (`sk-…`).
    ApiToken,
    /// `ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`, `github_pat_`.
    GitHubToken,
    /// `xoxb-`, `xoxp-`, `xoxa-`, `xoxr-`, `xoxs-`, `xapp-`.
    SlackToken,
    /// `AIza` and 35 more characters.
    GoogleApiKey,
    /// `GOCSPX-` and 24 or more characters.
    GoogleOAuthClientSecret,
    /// `sk_live_`, `rk_live_`, `sk_test_`, `rk_test_`, `whsec_`.
    StripeKey,
    /// Three base64url segments, the first two starting `eyJ`.
    Jwt,
    /// A URL whose user-info carries a password: `https://user:pass@host`, `postgres://u:p@h`.
    UrlWithPassword,
    /// A Slack, Discord, Microsoft Teams or Google Chat incoming-webhook URL (the URL is the
    /// credential).
    WebhookUrl,
    /// A vendor's token shape from `rules.toml` that is none of the above: "a GitLab personal
    /// access token", "an npm access token".
    Vendor(VendorKind),
}

/// A kind of secret named by a rule of `rules.toml`: the rule's id and its refusal phrase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VendorKind {
    rule: &'static str,
    phrase: &'static str,
}

impl VendorKind {
    /// The id of the rule in `rules.toml` (`gitlab-pat`).
    #[cfg(test)]
    pub(crate) fn rule(self) -> &'static str {
        self.rule
    }
}

impl SecretKind {
    /// Every kind that is not a vendor's, in declaration order.
    pub const ALL: [SecretKind; 17] = [
        SecretKind::AwsAccessKeyId,
        SecretKind::AwsSecretAccessKey,
        SecretKind::AwsSessionToken,
        SecretKind::PrivateKey,
        SecretKind::Password,
        SecretKind::ClientSecret,
        SecretKind::BearerToken,
        SecretKind::BasicAuth,
        SecretKind::ApiToken,
        SecretKind::GitHubToken,
        SecretKind::SlackToken,
        SecretKind::GoogleApiKey,
        SecretKind::GoogleOAuthClientSecret,
        SecretKind::StripeKey,
        SecretKind::Jwt,
        SecretKind::UrlWithPassword,
        SecretKind::WebhookUrl,
    ];

    /// The phrase used in refusals, with its article: "an AWS access key ID".
    pub fn phrase(self) -> &'static str {
        match self {
            SecretKind::AwsAccessKeyId => "an AWS access key ID",
            SecretKind::AwsSecretAccessKey => "an AWS secret access key",
            SecretKind::AwsSessionToken => "an AWS session token",
            SecretKind::PrivateKey => "a private key",
            SecretKind::Password => "a password",
            SecretKind::ClientSecret => "a client secret or secret key",
            SecretKind::BearerToken => "a bearer token",
            SecretKind::BasicAuth => "HTTP Basic credentials",
            SecretKind::ApiToken => "an API key or access token",
            SecretKind::GitHubToken => "a GitHub token",
            SecretKind::SlackToken => "a Slack token",
            SecretKind::GoogleApiKey => "a Google API key",
            SecretKind::GoogleOAuthClientSecret => "a Google OAuth client secret",
            SecretKind::StripeKey => "a Stripe secret key",
            SecretKind::Jwt => "a JSON Web Token",
            SecretKind::UrlWithPassword => "a URL with a password in it",
            SecretKind::WebhookUrl => "a webhook URL",
            SecretKind::Vendor(vendor) => vendor.phrase,
        }
    }

    /// The phrase without its article, as redaction shows it: "AWS access key ID".
    pub fn label(self) -> &'static str {
        let phrase = self.phrase();
        phrase.strip_prefix("a ").or_else(|| phrase.strip_prefix("an ")).unwrap_or(phrase)
    }

    /// The kind a rule of `rules.toml` reports: a built-in kind when its description is that
    /// kind's phrase, otherwise a vendor kind carrying the rule's id and description.
    fn of_rule(rule: &rules::Rule<'static>) -> SecretKind {
        SecretKind::ALL
            .into_iter()
            .find(|k| k.phrase() == rule.description)
            .unwrap_or(SecretKind::Vendor(VendorKind { rule: rule.id, phrase: rule.description }))
    }
}

impl fmt::Display for SecretKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.phrase())
    }
}

/// The first secret-looking thing in `text`, if any.
///
/// "First" is by position in the text; when two checks fire at the same place, the more specific
/// one wins (`aws_secret_access_key = …` is an AWS secret access key, not just a secret field;
/// `GITHUB_TOKEN=ghp_…` is a GitHub token).
pub fn find_secret(text: &str) -> Option<SecretKind> {
    findings(text).into_iter().min_by_key(|f| (f.at, f.rank)).map(|f| f.kind)
}

/// `text` with every secret replaced by `[redacted: <kind>]`, e.g. `[redacted: private key]`;
/// borrowed unchanged when there is none.
///
/// What is hidden is the secret itself: an assignment's value, a token, a URL's password, a
/// private-key block from its `BEGIN` line to its `END` line. Overlapping findings are hidden as
/// one, under the kind of the one that starts first. The work is linear in the text's length.
pub fn redact(text: &str) -> Cow<'_, str> {
    let mut found = findings(text);
    if found.is_empty() {
        return Cow::Borrowed(text);
    }
    found.sort_by_key(|f| (f.start, f.rank));
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < found.len() {
        let first = found[i];
        let mut end = first.end;
        i += 1;
        while i < found.len() && found[i].start < end {
            end = end.max(found[i].end);
            i += 1;
        }
        let start = first.start.max(copied);
        out.push_str(&text[copied..start]);
        out.push_str("[redacted: ");
        out.push_str(first.kind.label());
        out.push(']');
        copied = end.max(start);
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// One secret found in a text.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finding {
    /// Where the finding counts as being, for "the first secret": the secret's start, or for some
    /// checks the start of what introduces it (a URL's scheme, the word `Bearer`).
    pub at: usize,
    /// The byte span that redaction hides (always on character boundaries).
    pub start: usize,
    pub end: usize,
    pub kind: SecretKind,
    /// The rule id or check that found it.
    pub by: &'static str,
    /// Whether a rule of `rules.toml` found it (rather than a hand-written check).
    pub from_rules_file: bool,
    /// Lower is more specific, for findings at the same place.
    rank: usize,
}

/// Every secret in `text`, in no particular order: what [`find_secret`] and [`redact`] build on.
/// Public for tests and measurements.
#[doc(hidden)]
pub fn findings(text: &str) -> Vec<Finding> {
    if text.is_empty() {
        return Vec::new();
    }
    let screen = &*SCREEN;
    let lowered = lower_case(text);
    let mut rules_hit = vec![false; screen.rules.rules.len()];
    let mut checks = Triggered::default();
    for m in screen.keywords.find_overlapping_iter(&lowered) {
        for &trigger in &screen.triggers[m.pattern().as_usize()] {
            match trigger {
                Trigger::Rule(i) => rules_hit[i] = true,
                Trigger::Check(check) => checks.note(check, m.start(), m.end()),
            }
        }
    }
    let mut out = Vec::new();
    let mut hits = Vec::new();
    for (i, rule) in screen.rules.rules.iter().enumerate().filter(|&(i, _)| rules_hit[i]) {
        hits.clear();
        rule.find_all(text, &screen.rules.global, &mut hits);
        out.extend(hits.iter().map(|hit| {
            let (start, end) = char_bounds(text, hit.start, hit.end);
            Finding { at: start, start, end, kind: screen.kinds[i], by: rule.id, from_rules_file: true, rank: i }
        }));
    }
    let markers = redaction_markers(text, screen);
    let in_marker = |at: usize| {
        let i = markers.partition_point(|&(start, _)| start <= at);
        i > 0 && at < markers[i - 1].1
    };
    let found = shapes::find(text, &checks)
        .into_iter()
        .chain(assignment::find(text, &checks, &in_marker))
        .chain(commands::find(text, &lowered, &checks));
    let base = screen.rules.rules.len();
    out.extend(found.map(|f| {
        let (start, end) = char_bounds(text, f.start, f.end);
        Finding {
            at: f.at.min(start),
            start,
            end,
            kind: f.kind,
            by: f.check.name(),
            from_rules_file: false,
            rank: base + f.check as usize,
        }
    }));
    out.retain(|f| !in_marker(f.start));
    out
}

/// The spans of the `[redacted: <kind>]` markers [`redact`] leaves, so that redacted text reads as
/// clean: their words ("password", "Basic credentials") are no field and no value. Only exact
/// markers naming a kind count, so a secret can not hide inside brackets of its own. In order of
/// position, and not overlapping.
fn redaction_markers(text: &str, screen: &Screen) -> Vec<(usize, usize)> {
    const OPEN: &str = "[redacted: ";
    let mut out = Vec::new();
    for start in memchr::memmem::find_iter(text.as_bytes(), OPEN) {
        let label_start = start + OPEN.len();
        let window = &text.as_bytes()[label_start..(label_start + 80).min(text.len())];
        let Some(len) = memchr::memchr(b']', window) else { continue };
        let label = &text[label_start..label_start + len];
        let known = SecretKind::ALL.iter().chain(&screen.kinds).any(|k| k.label() == label);
        if known {
            out.push((start, label_start + len + 1));
        }
    }
    out
}

/// The span widened to character boundaries, so that redaction never cuts a character in two
/// (byte-wise regexes may end inside one).
fn char_bounds(text: &str, mut start: usize, mut end: usize) -> (usize, usize) {
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    while !text.is_char_boundary(end) {
        end += 1;
    }
    (start, end)
}

/// The hand-written checks, in the order they win ties at the same place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Check {
    Base64PrivateKey,
    BareAwsSecret,
    Bearer,
    Basic,
    UrlPassword,
    Command,
    Assignment,
    NamedPair,
}

impl Check {
    fn name(self) -> &'static str {
        match self {
            Check::Base64PrivateKey => "base64-private-key",
            Check::BareAwsSecret => "bare-aws-secret",
            Check::Bearer => "bearer",
            Check::Basic => "basic",
            Check::UrlPassword => "url-password",
            Check::Command => "command",
            Check::Assignment => "assignment",
            Check::NamedPair => "named-pair",
        }
    }
}

/// A secret found by a hand-written check.
pub(crate) struct Found {
    pub(crate) at: usize,
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) kind: SecretKind,
    pub(crate) check: Check,
}

/// What a keyword sets off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trigger {
    Rule(usize),
    Check(Keyword),
}

/// The hand-written checks' keywords, by what they start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keyword {
    /// A word that names a secret field (`pass`, `token`, `пароль`).
    Label,
    Bearer,
    Basic,
    Url,
    /// An `@`, for `user:password@host` without a scheme.
    At,
    Base64PrivateKey,
    /// A command that takes a password without naming it (`mysql`, `sshpass`).
    Command,
}

/// Where the hand-written checks' keywords were found: byte spans in the text.
#[derive(Default)]
pub(crate) struct Triggered {
    pub(crate) labels: Vec<(usize, usize)>,
    pub(crate) bearer: Vec<usize>,
    pub(crate) basic: Vec<usize>,
    pub(crate) urls: Vec<usize>,
    pub(crate) ats: Vec<usize>,
    pub(crate) base64_keys: Vec<usize>,
    pub(crate) commands: Vec<(usize, usize)>,
}

impl Triggered {
    fn note(&mut self, keyword: Keyword, start: usize, end: usize) {
        match keyword {
            Keyword::Label => self.labels.push((start, end)),
            Keyword::Bearer => self.bearer.push(start),
            Keyword::Basic => self.basic.push(start),
            Keyword::Url => self.urls.push(start),
            Keyword::At => self.ats.push(start),
            Keyword::Base64PrivateKey => self.base64_keys.push(start),
            Keyword::Command => self.commands.push((start, end)),
        }
    }
}

/// Everything screening needs, built on first use in a process.
struct Screen {
    rules: RuleSet<'static>,
    kinds: Vec<SecretKind>,
    keywords: AhoCorasick,
    triggers: Vec<Vec<Trigger>>,
}

static SCREEN: LazyLock<Screen> = LazyLock::new(|| {
    let rules = rules::parse(rules::RULES_TOML).unwrap_or_else(|e| panic!("{e} (the tests read this file)"));
    let kinds = rules.rules.iter().map(SecretKind::of_rule).collect();
    let mut patterns: Vec<(&str, Trigger)> = Vec::with_capacity(512);
    for (i, rule) in rules.rules.iter().enumerate() {
        patterns.extend(rule.keywords.iter().map(|&k| (k, Trigger::Rule(i))));
    }
    for &(keyword, what) in assignment::KEYWORDS.iter().chain(commands::KEYWORDS).chain(shapes::KEYWORDS) {
        patterns.push((keyword, Trigger::Check(what)));
    }
    patterns.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let mut keywords: Vec<&str> = Vec::with_capacity(patterns.len());
    let mut triggers: Vec<Vec<Trigger>> = Vec::with_capacity(patterns.len());
    for &(keyword, trigger) in &patterns {
        if keywords.last() != Some(&keyword) {
            keywords.push(keyword);
            triggers.push(Vec::new());
        }
        let list = triggers.last_mut().expect("pushed above");
        if !list.contains(&trigger) {
            list.push(trigger);
        }
    }
    // Dense transitions only at the root: building deeper ones costs more than a note's scan saves.
    let keywords = AhoCorasick::builder()
        .match_kind(MatchKind::Standard)
        .kind(Some(AhoCorasickKind::NoncontiguousNFA))
        .dense_depth(1)
        .prefilter(false)
        .build(&keywords)
        .expect("keywords build an automaton");
    Screen { rules, kinds, keywords, triggers }
});

/// `text` in lower case with every byte where it was: ASCII is lowered, and so is any other letter
/// whose lower case is as long in UTF-8 (`Пароль`, `CONTRASEÑA`), so that keyword offsets are
/// offsets into `text`.
fn lower_case(text: &str) -> String {
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let mut lower = c.to_lowercase();
        match (lower.next(), lower.next()) {
            (Some(l), None) if l.len_utf8() == c.len_utf8() => out.push(l),
            _ => out.push(c),
        }
    }
    out
}
/// The text on the same line just before byte `at`, at most [`LOOK_BACK`] bytes of it (so that
/// screening stays linear however long the note is).
pub(crate) fn line_before(text: &str, at: usize) -> &str {
    let mut start = at.saturating_sub(LOOK_BACK);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    let window = &text[start..at];
    window.rfind('\n').map_or(window, |i| &window[i + 1..])
}

/// How far back context is looked for.
const LOOK_BACK: usize = 120;

#[cfg(test)]
mod tests;
