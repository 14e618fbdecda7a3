//! Refusing secrets before they reach the record.
//!
//! The state file is append-only and meant to be kept, shared with auditors and attached to
//! tickets, so a password or key pasted into a note would live there for good: it can not be
//! edited out without breaking the record. Every note, piece of evidence and reason is therefore
//! screened here first, and anything that looks like a credential is refused with the *kind* of
//! secret seen ([`SecretKind`]), never the secret itself, so the refusal message is as safe to
//! show, log and record as the note should have been.
//!
//! Two families of checks run over the text:
//!
//! * **Shapes**: credentials whose format gives them away wherever they appear: AWS access key
//!   IDs (`AKIA…`), AWS session tokens, private-key blocks (and bare PKCS#1, PKCS#8, SEC1 and
//!   OpenSSH key bodies), GitHub, GitLab, Slack, Google, Stripe and other prefixed vendor tokens,
//!   JSON Web Tokens, webhook URLs, URLs with a password in them, `Basic` credentials that decode
//!   to `user:password`, and a bare 40-character base64 string mixing upper case, lower case and
//!   digits (an AWS secret access key, unless it reads as a path or a `CamelCase` name).
//! * **Assignments**: a secret-named field followed by a value: `password=…`, `"passwd": "…"`,
//!   `DB_PASSWORD: …`, `api_key=…`, `client_secret …`, `token: …`, `--password …`,
//!   `Authorization: Bearer …`, `비밀번호: …`, `--secret-string …`. Keywords match in any case,
//!   with quotes and whitespace tolerated around `=`, `:`, `:=` and `=>`. Name/value pairs whose
//!   name is such a field count too: `<add key="DbPassword" value="…"/>`,
//!   `{"name": "DB_PASSWORD", "value": "…"}`, `ParameterKey=DBPassword,ParameterValue=…`,
//!   `--name /prod/db/password --value …` (a bare value there must look random).
//!
//! An assignment only counts when an actual value follows, because operators legitimately write
//! *about* secrets ("rotated the root password, stored in the vault", "token: see vault"). The
//! value must be at least [`MIN_VALUE_CHARS`] characters and must not be:
//!
//! * a placeholder: `<redacted>`, `[REDACTED]`, `***`, `xxxxxx`, `…`, `${DB_PASSWORD}`,
//!   `$DB_PASSWORD`, `%PASSWORD%`, `{{ secrets.token }}`, `null`, `none`, `n/a`, or a phrase naming
//!   where the secret lives (`see vault`, `in 1Password`, `stored in Secrets Manager`);
//! * a reference: an ARN, a URL without credentials, an absolute or home path, an e-mail address,
//!   a `vault`-style path of plain words (`prod/db/root`);
//! * a status word: `rotated`, `revoked`, `pending`, `unchanged`, … (a lower-case word ending in
//!   `-ed` or `-ing`, or one of a short list).
//!
//! How hard the value must look like a secret depends on how it was written. After `=`, inside
//! quotes, or after a `--flag`, any remaining value is refused. After `:` and a space (which is
//! also how prose reads: "password: reset by the customer"), the value must look random (letters
//! mixed with digits, a symbol, or mixed case inside a word other than a `CamelCase` name such as
//! `OpsNow` or `GitHub`), or be a single word that ends the line. After "is"/"was" ("the password
//! is …") it must look random.
//!
//! Borderline choices, deliberately made:
//!
//! * `token: see vault`, `password: in 1Password`, `secret: stored in the vault` are **allowed**:
//!   they say where the secret is, which is exactly what the refusal message asks for.
//! * Values shorter than [`MIN_VALUE_CHARS`] (`pwd=abc12`) are allowed; short values are far more
//!   often ticket fragments, flags and words than real passwords.
//! * A hardware MFA serial after `token:` (`token: GAHT12345678`) is refused: it looks exactly like
//!   a token value. Write "MFA device serial GAHT12345678" instead.
//! * AWS unique IDs that are not secrets (`AIDA…` user IDs, `AROA…` role IDs, `ANPA…` policy IDs)
//!   are refused along with access key IDs, as they share the shape and the refusal is cheap.
//! * Pagination and idempotency tokens (`NextToken`, `ContinuationToken`, `ClientToken`) are not
//!   treated as secret fields.
//! * Lower-case hex (SHA-1, SHA-256 digests, git commits), UUIDs and AWS resource IDs never count
//!   as a secret access key: a 40-character candidate must contain a character that is not hex.

use std::fmt;
use std::sync::LazyLock;

use regex::Regex;

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
    /// A value after `password`, `passwd`, `pwd`, `passphrase`, `비밀번호`, ….
    Password,
    /// A value after `secret`, `client_secret`, `secret_key`, `AccountKey`, ….
    ClientSecret,
    /// `Authorization: Bearer …`, or `Bearer` followed by a token-looking value.
    BearerToken,
    /// `Basic …` credentials (base64 of `user:password`).
    BasicAuth,
    /// A value after `api_key`, `apikey`, `token`, `access_token`, …, or a vendor-prefixed key
    /// (GitLab, npm, `PyPI`, Docker Hub, `HashiCorp` Vault, `SendGrid`, `OpenAI`, Anthropic, …).
    ApiToken,
    /// `ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`, `github_pat_`.
    GitHubToken,
    /// `xoxb-`, `xoxp-`, `xoxa-`, `xoxr-`, `xoxs-`, `xapp-`.
    SlackToken,
    /// `AIza` and 35 more characters.
    GoogleApiKey,
    /// `GOCSPX-` and 28 more characters.
    GoogleOAuthClientSecret,
    /// `sk_live_`, `rk_live_`, `sk_test_`, `rk_test_`, `whsec_`.
    StripeKey,
    /// Three base64url segments, the first two starting `eyJ`.
    Jwt,
    /// A URL whose user-info carries a password: `https://user:pass@host`, `postgres://u:p@h`.
    UrlWithPassword,
    /// A Slack, Discord or Microsoft Teams incoming-webhook URL (the URL is the credential).
    WebhookUrl,
}

impl SecretKind {
    /// Every kind, in declaration order.
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
        }
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
/// one wins (`aws_secret_access_key = …` is an AWS secret access key, not just a secret field).
pub fn find_secret(text: &str) -> Option<SecretKind> {
    first_secret(text).map(|(_, kind)| kind)
}

/// Where the first secret-looking thing in `text` starts, and its kind.
fn first_secret(text: &str) -> Option<(usize, SecretKind)> {
    let mut best: Option<(usize, usize, SecretKind)> = None;
    let mut consider = |hit: Option<(usize, SecretKind)>, rank: usize| {
        if let Some((at, kind)) = hit
            && best.is_none_or(|(best_at, best_rank, _)| (at, rank) < (best_at, best_rank))
        {
            best = Some((at, rank, kind));
        }
    };
    for (rank, shape) in SHAPES.iter().enumerate() {
        consider(shape.first(text), rank);
    }
    let rank = SHAPES.len();
    consider(first_bare_aws_secret(text), rank);
    consider(first_bearer(text), rank + 1);
    consider(first_basic(text), rank + 2);
    consider(first_url_password(text), rank + 3);
    consider(first_assignment(text), rank + 4);
    consider(first_named_pair(text), rank + 5);
    best.map(|(at, _, kind)| (at, kind))
}

/// `text` with every secret-looking thing replaced by `[redacted: <kind>]` (`[redacted: AWS
/// secret access key]`); borrowed when there is none.
///
/// For output that is not the operator's (a check's commands print what the world holds): it is
/// kept as evidence, so a secret in it is cut out rather than refused. Each secret is replaced
/// from where it starts to the end of its word (a quoted value to its closing quote, `Bearer`
/// and `Basic` with the credential after them, a private key through its `-----END` line or its
/// last base64 line). Should a secret still be seen in the result (one that only the text before
/// an earlier cut made recognisable), the whole text is replaced: nothing is kept rather than
/// too much.
pub(crate) fn redact(text: &str) -> std::borrow::Cow<'_, str> {
    let Some(mut found) = first_secret(text) else { return std::borrow::Cow::Borrowed(text) };
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let (at, kind) = found;
        out.push_str(&rest[..at]);
        out.push_str(&redaction(kind));
        // At least one character goes, so the scan always moves on.
        let first = rest[at..].chars().next().map_or(0, char::len_utf8);
        rest = &rest[secret_end(rest, at, kind).max(at + first)..];
        match first_secret(rest) {
            Some(next) => found = next,
            None => break,
        }
    }
    out.push_str(rest);
    match first_secret(&out) {
        Some((_, kind)) => std::borrow::Cow::Owned(redaction(kind)),
        None => std::borrow::Cow::Owned(out),
    }
}

/// `[redacted: AWS secret access key]`: the kind's phrase without its article.
fn redaction(kind: SecretKind) -> String {
    let phrase = kind.phrase();
    let bare = phrase.strip_prefix("an ").or_else(|| phrase.strip_prefix("a ")).unwrap_or(phrase);
    format!("[redacted: {bare}]")
}

/// Where the secret found at `at` in `text` ends.
fn secret_end(text: &str, at: usize, kind: SecretKind) -> usize {
    let word_end = |from: usize| text[from..].find(char::is_whitespace).map_or(text.len(), |i| from + i);
    let line_end = |from: usize| text[from..].find('\n').map_or(text.len(), |i| from + i);
    match kind {
        SecretKind::PrivateKey => {
            // Through the `-----END … PRIVATE KEY-----` line, else through the lines of base64
            // that follow (a bare key body, or a block whose end was cut off).
            if let Some(end) = text[at..].find("-----END").map(|i| at + i) {
                return line_end(end);
            }
            let mut end = line_end(at);
            while end < text.len() {
                let next = line_end(end + 1);
                let line = text[end + 1..next].trim();
                if line.is_empty() || !line.bytes().all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b)) {
                    break;
                }
                end = next;
            }
            end
        }
        SecretKind::BearerToken | SecretKind::BasicAuth => {
            // The scheme's word, then the credential after it.
            let after_word = word_end(at);
            let value = text[after_word..].find(|c: char| !c.is_whitespace()).map_or(text.len(), |i| after_word + i);
            if text[after_word..value].contains('\n') { after_word } else { trimmed_end(text, value, word_end(value)) }
        }
        _ => {
            // A quoted value runs to its closing quote on the same line.
            if let Some(quote) = text[..at].chars().next_back().filter(|c| matches!(c, '"' | '\'' | '`'))
                && let Some(close) = text[at..line_end(at)].find(quote)
            {
                return at + close;
            }
            trimmed_end(text, at, word_end(at))
        }
    }
}

/// `end`, moved back over the quotes and punctuation that close a word (`",`), but not before
/// `start`.
fn trimmed_end(text: &str, start: usize, end: usize) -> usize {
    let word = &text[start..end];
    start + word.trim_end_matches(['"', '\'', '`', ',', ';', ')', ']', '}', '.']).len().max(1).min(word.len())
}

// ---------------------------------------------------------------------------------------------
// Shapes: a regex whose group 1 (or whole match) is the secret, and an optional extra check.

struct Shape {
    kind: SecretKind,
    regex: Regex,
    check: fn(&str) -> bool,
}

impl Shape {
    fn new(kind: SecretKind, pattern: &str, check: fn(&str) -> bool) -> Shape {
        Shape { kind, regex: Regex::new(pattern).expect("secret pattern compiles"), check }
    }

    /// Where the first accepted match starts.
    fn first(&self, text: &str) -> Option<(usize, SecretKind)> {
        self.regex.captures_iter(text).find_map(|caps| {
            let m = caps.get(1).or_else(|| caps.get(0))?;
            (self.check)(m.as_str()).then_some((m.start(), self.kind))
        })
    }
}

fn always(_: &str) -> bool {
    true
}

/// Letters and digits both appear (random tokens do; words and numbers don't).
fn letters_and_digits(token: &str) -> bool {
    token.bytes().any(|b| b.is_ascii_alphabetic()) && token.bytes().any(|b| b.is_ascii_digit())
}

/// A left edge that is not part of a longer ASCII word, written without look-behind.
const L: &str = r"(?:^|[^A-Za-z0-9_])";
/// A right edge, likewise.
const R: &str = r"(?:$|[^A-Za-z0-9_])";

static SHAPES: LazyLock<Vec<Shape>> = LazyLock::new(|| {
    use SecretKind as K;
    vec![
        Shape::new(K::PrivateKey, r"(?i)(-{3,}\s*BEGIN\s+(?:[A-Z0-9]+\s+)*PRIVATE\s+KEY(?:\s+BLOCK)?\s*-{3,})", always),
        Shape::new(K::PrivateKey, r"(PuTTY-User-Key-File-[0-9]+\s*:)", always),
        // Bare key bodies: PKCS#1 RSA (`MII…IBAAK`), PKCS#8 (`MII…IBADAN`), SEC1 EC (`MHcCAQEE`,
        // `MIGkAgEBBD`), OpenSSH (`openssh-key-v1` in base64).
        Shape::new(
            K::PrivateKey,
            r"((?:MII[A-Za-z0-9+/]{3}IBAAK|MII[A-Za-z0-9+/]{3}IBADAN|MHcCAQEE|MIGkAgEBBD|b3BlbnNzaC1rZXktdjE)[A-Za-z0-9+/]{20,})",
            always,
        ),
        Shape::new(
            K::AwsAccessKeyId,
            &format!("{L}((?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{{16}}){R}"),
            always,
        ),
        Shape::new(K::AwsSessionToken, r"((?:IQoJb3JpZ2luX2Vj|FwoGZXIvYXdz|FQoGZXIvYXdz)[A-Za-z0-9+/=%]{16,})", always),
        Shape::new(
            K::GitHubToken,
            &format!("{L}(gh[pousr]_[A-Za-z0-9]{{30,255}}|github_pat_[A-Za-z0-9_]{{40,255}}){R}"),
            always,
        ),
        Shape::new(K::SlackToken, r"(xox[abposre]-[0-9A-Za-z-]{10,}|xapp-[0-9]-[0-9A-Za-z-]{10,})", always),
        Shape::new(K::GoogleApiKey, r"(AIza[0-9A-Za-z_-]{35})", always),
        Shape::new(K::GoogleOAuthClientSecret, r"(GOCSPX-[0-9A-Za-z_-]{24,})", always),
        Shape::new(
            K::StripeKey,
            &format!("{L}((?:sk|rk)_(?:live|test)_[0-9A-Za-z]{{16,}}|whsec_[0-9A-Za-z+/]{{24,}}){R}"),
            always,
        ),
        Shape::new(K::Jwt, r"(eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*)", always),
        Shape::new(
            K::WebhookUrl,
            r"(?i)(hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/-]{16,}|discord(?:app)?\.com/api/webhooks/[0-9]+/[A-Za-z0-9_-]{20,}|webhook\.office\.com/webhookb2/[A-Za-z0-9@/_-]{20,}|outlook\.office\.com/webhook/[A-Za-z0-9@/_-]{20,})",
            always,
        ),
        // Vendor-prefixed tokens: GitLab, npm, PyPI, Docker Hub, HashiCorp Vault, Terraform
        // Cloud, DigitalOcean, Shopify, SendGrid, Anthropic, OpenAI, Hugging Face.
        Shape::new(
            K::ApiToken,
            &format!(
                "{L}(glpat-[0-9A-Za-z_-]{{20,}}|npm_[0-9A-Za-z]{{36}}|pypi-AgEIcHlwaS5vcmc[0-9A-Za-z_-]{{20,}}|dckr_pat_[0-9A-Za-z_-]{{20,}}|hv[sbr]\\.[0-9A-Za-z_-]{{24,}}|[0-9a-zA-Z]{{14}}\\.atlasv1\\.[0-9A-Za-z_-]{{40,}}|do[por]_v1_[0-9a-f]{{64}}|shp(?:at|ss|ca|pa)_[0-9a-fA-F]{{32}}|SG\\.[0-9A-Za-z_-]{{16,}}\\.[0-9A-Za-z_-]{{16,}}|sk-ant-[0-9A-Za-z_-]{{32,}}|sk-(?:proj-|svcacct-)?[0-9A-Za-z_-]{{32,}}|hf_[0-9A-Za-z]{{30,}}){R}"
            ),
            letters_and_digits,
        ),
    ]
});

// ---------------------------------------------------------------------------------------------
// A bare 40-character base64 string: an AWS secret access key.

static BASE64_40: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|[^A-Za-z0-9+/=])([A-Za-z0-9+/]{40})(?:$|[^A-Za-z0-9+/=])").expect("compiles"));

/// Secret-ish words that make any non-hex 40-character base64 string a secret access key.
static SECRET_CONTEXT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)secret|시크릿|비밀").expect("compiles"));

fn first_bare_aws_secret(text: &str) -> Option<(usize, SecretKind)> {
    let mut from = 0;
    while let Some(caps) = BASE64_40.captures_at(text, from) {
        let m = caps.get(1)?;
        // The trailing edge character was consumed; resume at it so neighbours are still seen.
        from = m.end();
        let token = m.as_str();
        if token.bytes().all(|b| b.is_ascii_hexdigit()) {
            continue;
        }
        let context = line_before(text, m.start());
        let has_class = |f: fn(&u8) -> bool| token.bytes().any(|b| f(&b));
        let random = has_class(u8::is_ascii_uppercase)
            && has_class(u8::is_ascii_lowercase)
            && has_class(u8::is_ascii_digit)
            && !reads_as_words(token);
        let prev = text[..m.start()].chars().next_back();
        let standalone_edge = prev.is_none_or(|c| !matches!(c, '-' | '_' | '.' | ':' | '%' | '\\'));
        if (random && standalone_edge) || SECRET_CONTEXT.is_match(context) {
            return Some((m.start(), SecretKind::AwsSecretAccessKey));
        }
    }
    None
}

/// The text on the same line just before byte `at`, at most [`LOOK_BACK`] bytes of it (so that
/// screening stays linear however long the note is).
fn line_before(text: &str, at: usize) -> &str {
    let mut start = at.saturating_sub(LOOK_BACK);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    let window = &text[start..at];
    window.rfind('\n').map_or(window, |i| &window[i + 1..])
}

/// How far back context is looked for.
const LOOK_BACK: usize = 120;

/// A path or `CamelCase` identifier: every `/`-separated segment is made of words (a run of two or
/// more lower-case letters, optionally capitalised), runs of capitals and runs of digits, and has
/// no `+`. Random base64 almost never does (its lower-case runs are mostly one letter long).
fn reads_as_words(token: &str) -> bool {
    static WORDS: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^(?:[A-Z]?[a-z]{2,}|[A-Z]+|[0-9]+)+$").expect("compiles"));
    token.split('/').all(|segment| !segment.is_empty() && WORDS.is_match(segment))
}

// ---------------------------------------------------------------------------------------------
// Authorization headers.

static BEARER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"(?i){L}(bearer)\s+([A-Za-z0-9._~+/=-]+)")).expect("compiles"));

static AUTHORIZATION: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)authori[sz]ation").expect("compiles"));

/// Whether the line holding `at` mentions an Authorization header before it.
fn authorization_before(text: &str, at: usize) -> bool {
    AUTHORIZATION.is_match(line_before(text, at))
}

fn first_bearer(text: &str) -> Option<(usize, SecretKind)> {
    BEARER.captures_iter(text).find_map(|caps| {
        let word = caps.get(1)?;
        let value = caps.get(2)?.as_str();
        let len = value.chars().count();
        let plausible = !is_placeholder(value)
            && if authorization_before(text, word.start()) { len >= 8 } else { len >= 16 && letters_and_digits(value) };
        plausible.then_some((word.start(), SecretKind::BearerToken))
    })
}

static BASIC: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"(?i){L}(basic)\s+([A-Za-z0-9+/]{{6,}}={{0,2}})")).expect("compiles"));

fn first_basic(text: &str) -> Option<(usize, SecretKind)> {
    BASIC.captures_iter(text).find_map(|caps| {
        let word = caps.get(1)?;
        let value = caps.get(2)?.as_str();
        let decodes_to_credentials = base64_decode(value)
            .is_some_and(|bytes| bytes.contains(&b':') && bytes.iter().all(|&b| (0x20..0x7f).contains(&b)));
        let in_header = authorization_before(text, word.start()) && value.len() >= 8 && !is_placeholder(value);
        (decodes_to_credentials || in_header).then_some((word.start(), SecretKind::BasicAuth))
    })
}

/// Standard base64 with optional padding; `None` if it is not well formed.
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let s = s.trim_end_matches('=');
    if s.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for b in s.bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).ok()?);
        }
    }
    Some(out)
}

// ---------------------------------------------------------------------------------------------
// URLs with a password in their user-info.

static URL_PASSWORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)[a-z][a-z0-9+.-]{0,30}://[^\s/?#@:'"<>]*:([^\s/?#@'"<>]+)@[^\s/?#@'"<>]"#).expect("compiles")
});

fn first_url_password(text: &str) -> Option<(usize, SecretKind)> {
    URL_PASSWORD.captures_iter(text).find_map(|caps| {
        let whole = caps.get(0)?;
        let password = caps.get(1)?.as_str();
        (!is_placeholder(password)).then_some((whole.start(), SecretKind::UrlWithPassword))
    })
}

// ---------------------------------------------------------------------------------------------
// Assignments: a secret-named field and a value.

/// A secret-named field, the separator, and the start of the value.
///
/// Group `key` is the field name; `qual` an optional "for the root account" between name and
/// separator; `sep` the separator (`=`, `:`, `:=`, `=>`, "is", "was", a Korean particle).
static ASSIGNMENT: LazyLock<Regex> = LazyLock::new(|| {
    let keys = [
        // Password family.
        r"pass(?:word|wd|phrase)s?",
        r"pwd",
        r"pw",
        r"pass",
        r"비밀\s?번호",
        r"패스워드",
        r"비번",
        r"암호",
        // Secret family.
        r"client[\s_.-]?secret",
        r"secret[\s_.-]?(?:access[\s_.-]?)?key",
        r"secret",
        r"시크릿(?:\s?키)?",
        r"account[\s_.-]?key",
        r"shared[\s_.-]?access[\s_.-]?key",
        // Token family.
        r"api[\s_.-]?keys?",
        r"api[\s_.-]?tokens?",
        r"(?:access|auth|refresh|session|bearer|bot|id|app|personal[\s_.-]?access)[\s_.-]?tokens?",
        r"tokens?",
        r"토큰",
        r"api\s?키",
    ]
    .join("|");
    let pattern = format!(
        r#"(?i)(?P<key>{keys})\\?["'`]?(?P<qual>[ \t]+(?:for|of)(?:[ \t]+[^\s:=]{{1,40}}){{1,3}})?(?P<sep>[ \t]*(?::=|=>|==|=|:|：)|[ \t]+(?:is|was|are)[ \t]|(?:은|는|이|가|을|를)?[ \t])\s*"#
    );
    Regex::new(&pattern).expect("compiles")
});

/// A `--flag value` on a command line, for the same field names.
static FLAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?:^|\s)--(?P<key>[a-z0-9-]*(?:password|passwd|passphrase|secret|secret-access-key|secret-key|secret-string|token|api-key|apikey))[ \t]+",
    )
    .expect("compiles")
});

/// How the value was introduced, which sets how secret it must look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    /// `=`, `:` without a space, a quoted value, or a `--flag`: anything real is refused.
    Assigned,
    /// `: ` with a space: random-looking values, or a lone word ending the line.
    Labelled,
    /// "is", "was", a Korean particle: only random-looking values.
    Stated,
}

fn kind_for_key(key: &str) -> SecretKind {
    let key = key.to_ascii_lowercase();
    let key: String = key.chars().filter(|c| c.is_alphanumeric()).collect();
    if key.contains("pass")
        || key.starts_with("pw")
        || key.contains("비")
        || key.contains("패스")
        || key.contains("암호")
    {
        SecretKind::Password
    } else if key.contains("secretaccesskey") {
        SecretKind::AwsSecretAccessKey
    } else if key.contains("secret") || key.contains("시크릿") || key.ends_with("key") && !key.starts_with("api") {
        SecretKind::ClientSecret
    } else {
        SecretKind::ApiToken
    }
}

fn first_assignment(text: &str) -> Option<(usize, SecretKind)> {
    let from_assignments = ASSIGNMENT.captures_iter(text).find_map(|caps| {
        let key = caps.name("key")?;
        let sep = caps.name("sep")?.as_str().trim();
        let value_start = caps.get(0)?.end();
        if !key_stands_alone(text, key.start(), key.as_str()) || inside_arn_or_url(text, key.start(), sep) {
            return None;
        }
        let english_word_sep =
            sep.eq_ignore_ascii_case("is") || sep.eq_ignore_ascii_case("was") || sep.eq_ignore_ascii_case("are");
        let form = match sep {
            "=" | ":=" | "=>" | "==" => Form::Assigned,
            ":" | "：" => {
                if caps.get(0)?.as_str().ends_with([':', '：']) {
                    Form::Assigned
                } else {
                    Form::Labelled
                }
            }
            _ if english_word_sep => Form::Stated,
            // A bare space or Korean particle: only for the Korean keywords.
            _ if key.as_str().is_ascii() => return None,
            _ => Form::Stated,
        };
        let value = take_value(&text[value_start..]);
        let form = if value.quoted { Form::Assigned } else { form };
        looks_like_value(value.text, form, value.rest)
            .then_some((value_start + value.offset, kind_for_key(key.as_str())))
    });
    let from_flags = FLAG.captures_iter(text).find_map(|caps| {
        let key = caps.name("key")?;
        let lowered = key.as_str().to_ascii_lowercase();
        if is_pagination_token(&lowered) {
            return None;
        }
        let value_start = caps.get(0)?.end();
        let value = take_value(&text[value_start..]);
        (!value.text.starts_with('-') && looks_like_value(value.text, Form::Assigned, value.rest))
            .then_some((value_start + value.offset, kind_for_key(key.as_str())))
    });
    match (from_assignments, from_flags) {
        (Some(a), Some(b)) => Some(if b.0 < a.0 { b } else { a }),
        (a, b) => a.or(b),
    }
}

/// Field names such as `NextToken` page through results or make calls idempotent; they are not
/// secrets.
fn is_pagination_token(key_and_prefix: &str) -> bool {
    ["next", "continuation", "page", "pagination", "client", "idempotency", "cancel", "csrf", "xsrf", "sync", "marker"]
        .iter()
        .any(|p| {
            key_and_prefix.ends_with(&format!("{p}token"))
                || key_and_prefix.contains(&format!("{p}-token"))
                || key_and_prefix.contains(&format!("{p}_token"))
        })
}

/// A name/value pair whose *name* is a secret field: `<add key="DbPassword" value="…"/>`,
/// `{"name": "DB_PASSWORD", "value": "…"}` (ECS, Kubernetes `env`), `ParameterKey=DBPassword,
/// ParameterValue=…` (`CloudFormation`), `--name /prod/db/password --value …` (SSM).
static NAMED_PAIR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r#"(?i){L}(?:["']?(?:parameter[_-]?key|key|name)["']?[ \t]*[=:][ \t]*|--name[ \t]+)["']?(?P<name>[A-Za-z0-9_./:-]{{0,80}}?(?:password|passwd|passphrase|pwd|secret|secret[_-]?key|token|api[_-]?key|apikey))["']?[ \t]*[,;]?\s*(?:-[ \t]+)?(?:["']?(?:parameter[_-]?value|value)["']?[ \t]*[=:][ \t]*|--value[ \t]+)"#
    ))
    .expect("compiles")
});

fn first_named_pair(text: &str) -> Option<(usize, SecretKind)> {
    NAMED_PAIR.captures_iter(text).find_map(|caps| {
        let name = caps.name("name")?.as_str();
        if is_pagination_token(&name.to_ascii_lowercase()) {
            return None;
        }
        let value_start = caps.get(0)?.end();
        let value = take_value(&text[value_start..]);
        // Quoted, it is plainly a value; bare (`Key=rotate-secret,Value=monthly` in a tag list),
        // it must look random.
        let form = if value.quoted { Form::Assigned } else { Form::Stated };
        looks_like_value(value.text, form, value.rest).then_some((value_start + value.offset, kind_for_key(name)))
    })
}

/// The keyword is the end of a field name, not the middle of a word: short keywords (`pw`, `pwd`,
/// `pass`, `secret`, `token`) need a non-letter before them, or a camel-case hump; and pagination
/// tokens are skipped.
fn key_stands_alone(text: &str, key_start: usize, key: &str) -> bool {
    let before = line_before(text, key_start);
    let prev = text[..key_start].chars().next_back();
    // The identifier this keyword ends, e.g. `NextToken`, `next_token`, `DB_PASSWORD`.
    let ident_start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
        .last()
        .map_or(before.len(), |(i, _)| i);
    let ident = format!("{}{}", &before[ident_start..], key).to_ascii_lowercase();
    let ident: String = ident.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-')).collect();
    if is_pagination_token(&ident) {
        return false;
    }
    let lowered = key.to_ascii_lowercase();
    let long_keyword = lowered.contains("word") || lowered.contains("phrase") || lowered.contains("passwd");
    match prev {
        None => true,
        Some(c) if !c.is_ascii_alphabetic() => true,
        // `dbPassword`, `clientSecret`, `accessToken`: a capital starts the keyword.
        Some(c) if c.is_ascii_lowercase() && key.starts_with(|k: char| k.is_ascii_uppercase()) => true,
        // `DBPASSWORD`, `rootpassword`: long keywords may end a run-together name.
        Some(_) => long_keyword,
    }
}

/// `…:secret:prod/db…` inside an ARN, or `/token:` inside a URL, is a resource name, not a field.
fn inside_arn_or_url(text: &str, key_start: usize, sep: &str) -> bool {
    let before = line_before(text, key_start);
    let token_start = before.rfind(char::is_whitespace).map_or(0, |i| i + 1);
    let token = before[token_start..].to_ascii_lowercase();
    token.contains("arn:") || (token.contains("://") && sep != "=")
}

/// The value at the start of `s`: the quoted string, or the run up to whitespace or a separator.
struct Value<'a> {
    /// The value itself, without quotes or trailing sentence punctuation.
    text: &'a str,
    /// Where it starts in `s`.
    offset: usize,
    /// Whether it was quoted.
    quoted: bool,
    /// The text after it.
    rest: &'a str,
}

fn take_value(s: &str) -> Value<'_> {
    let skipped = usize::from(s.starts_with('\\'));
    let unescaped = &s[skipped..];
    if let Some(quote) = unescaped.chars().next().filter(|c| matches!(c, '"' | '\'' | '`' | '“' | '‘')) {
        let offset = skipped + quote.len_utf8();
        let body = &s[offset..];
        let closing: &[char] = match quote {
            '“' => &['”', '"'],
            '‘' => &['’', '\''],
            _ => &[quote],
        };
        let end = body.find(|c: char| closing.contains(&c) || c == '\n').unwrap_or(body.len());
        let text = body[..end].strip_suffix('\\').unwrap_or(&body[..end]);
        return Value { text, offset, quoted: true, rest: &body[end..] };
    }
    let end = unescaped
        .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '`' | ';' | '&' | ',' | '，'))
        .unwrap_or(unescaped.len());
    // Sentence punctuation after the value is not part of it; `!` and `?` may be, so they stay.
    let text = unescaped[..end].trim_end_matches(['.', ')', ']', '}', ':']);
    Value { text, offset: skipped, quoted: false, rest: &unescaped[end..] }
}

/// Whether `value`, introduced in `form` and followed by `rest`, is a real secret value.
fn looks_like_value(value: &str, form: Form, rest: &str) -> bool {
    if value.chars().count() < MIN_VALUE_CHARS || is_placeholder(value) || is_reference(value) || is_status_word(value)
    {
        return false;
    }
    // "password: in 1Password", "token: stored in vault": where it is kept, in words.
    if names_a_vault(value) {
        return false;
    }
    match form {
        Form::Assigned => true,
        Form::Stated => looks_random(value),
        Form::Labelled => {
            looks_random(value) || {
                let line_rest = rest.split('\n').next().unwrap_or("");
                let ends_line = line_rest.trim().trim_matches(|c: char| c.is_ascii_punctuation()).is_empty();
                ends_line && value.bytes().all(|b| b.is_ascii_alphabetic() || b == b'-')
            }
        }
    }
}

/// Letters mixed with digits inside one word, a symbol, or a capital after a lower-case letter:
/// `hunter2`, `Tr0ub4dor&3`, `cOrReCt`. Hyphenated names of plain words and numbers
/// (`prod-billing-2026`, `2026-03-01`) do not count, nor do `CamelCase` product names made of
/// whole words (`OpsNow`, `GitHub`, `CenturyLink`, `PagerDuty`).
fn looks_random(value: &str) -> bool {
    static CAMEL_WORDS: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^[A-Z]?[a-z]+(?:[A-Z][a-z]{2,})+$").expect("compiles"));
    let symbol = value.chars().any(|c| !c.is_alphanumeric() && !matches!(c, '-' | '_' | '.' | '/' | '\''));
    let mixed_segment = value.split(['-', '_', '.', '/']).any(|segment| {
        let letters = segment.chars().any(char::is_alphabetic);
        let digits = segment.chars().any(|c| c.is_ascii_digit());
        let humps = segment.as_bytes().windows(2).any(|w| w[0].is_ascii_lowercase() && w[1].is_ascii_uppercase())
            && !CAMEL_WORDS.is_match(segment);
        (letters && digits) || humps
    });
    symbol || mixed_segment
}

/// Obvious stand-ins for a value, in any case: `<redacted>`, `[REDACTED]`, `(hidden)`, `***`,
/// `xxxxxx`, `…`, `${VAR}`, `$VAR`, `%VAR%`, `{{ var }}`, `null`, `none`, `n/a`, `your-password`.
fn is_placeholder(value: &str) -> bool {
    let v = value.trim();
    let lower = v.to_lowercase();
    let bracketed = v.starts_with(['<', '[', '(', '{']);
    let variable = v.starts_with('$') || (v.len() > 2 && v.starts_with('%') && v.ends_with('%'));
    let masked = !v.is_empty()
        && v.chars().all(|c| matches!(c, '*' | '•' | '●' | '·' | '.' | '…' | 'x' | 'X' | '#' | '?' | '-' | '_' | ' '));
    let mut chars = v.chars();
    let one_char_repeated = v.chars().count() >= 3 && chars.next().is_some_and(|first| chars.all(|c| c == first));
    let words = ["redacted", "removed", "masked", "hidden", "omitted", "elided", "placeholder", "your-", "your_"];
    bracketed
        || variable
        || masked
        || one_char_repeated
        || words.iter().any(|w| lower.contains(w))
        || matches!(lower.as_str(), "null" | "none" | "nil" | "undefined" | "empty" | "n/a" | "tbd" | "todo")
}

/// Pointers to where a secret is, rather than the secret: ARNs, URLs, paths, e-mail addresses,
/// dates.
fn is_reference(value: &str) -> bool {
    static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$").expect("compiles")
    });
    static DATE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9:.]+Z?)?$").expect("compiles"));
    static PLAIN_PATH: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(?:[A-Za-z]+[0-9]*|[0-9]+)(?:[-_.](?:[A-Za-z]+[0-9]*|[0-9]+))*(?:/(?:[A-Za-z]+[0-9]*|[0-9]+)(?:[-_.](?:[A-Za-z]+[0-9]*|[0-9]+))*)+/?$").expect("compiles")
    });
    let lower = value.to_ascii_lowercase();
    lower.starts_with("arn:")
        || lower.starts_with("ssm:")
        || lower.starts_with("vault:")
        || lower.starts_with("op://")
        || (lower.contains("://") && !URL_PASSWORD.is_match(value))
        || value.starts_with('/')
        || value.starts_with("~/")
        || value.starts_with("./")
        || EMAIL.is_match(value)
        || DATE.is_match(value)
        || PLAIN_PATH.is_match(value)
}

/// A status word rather than a value: `rotated`, `pending`, `unchanged`, `required`.
fn is_status_word(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    if !lower.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
        || value.bytes().skip(1).any(|b| b.is_ascii_uppercase())
    {
        return false;
    }
    lower.ends_with("ed")
        || lower.ends_with("ing")
        || [
            "active",
            "inactive",
            "unknown",
            "absent",
            "present",
            "elsewhere",
            "separately",
            "below",
            "above",
            "expire",
            "expires",
            "rotate",
            "revoke",
            "delete",
            "remove",
            "disable",
            "enable",
            "change",
            "policy",
            "optional",
            "default",
            "manual",
            "secret",
            "private",
            "public",
            "invalid",
            "valid",
            "unset",
            "blank",
            "rotation",
            "needs",
            "should",
            "cannot",
            "customer",
            "account",
            "vault",
            "keychain",
            "nowhere",
            "offline",
        ]
        .contains(&lower.as_str())
}

/// "in 1Password", "see vault", "Secrets Manager", "KeePass": where the secret is kept.
fn names_a_vault(value: &str) -> bool {
    let lower = value.to_lowercase();
    [
        "1password",
        "lastpass",
        "bitwarden",
        "keepass",
        "dashlane",
        "vault",
        "keychain",
        "secretsmanager",
        "secrets-manager",
        "parameterstore",
        "passbolt",
        "cyberark",
    ]
    .iter()
    .any(|v| lower.contains(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn refused(text: &str, kind: SecretKind) {
        assert_eq!(find_secret(text), Some(kind), "{text:?} should be refused as {kind:?}");
    }

    #[track_caller]
    fn allowed(text: &str) {
        assert_eq!(find_secret(text), None, "{text:?} should be allowed");
    }

    #[test]
    fn placeholders_are_not_values() {
        for text in [
            "password=<redacted>",
            "api_key=[REDACTED]",
            "password=********",
            "password=xxxxxx",
            "DB_PASSWORD=${DB_PASSWORD}",
            "password: $RDS_MASTER_PASSWORD",
            "set PASSWORD=%PASSWORD%",
            "token: {{ secrets.token }}",
            "secret=null",
            "password: n/a",
            "api_key=your-api-key-here",
            "Authorization: Bearer <token>",
        ] {
            allowed(text);
        }
        // The same fields with a real value are refused, so the above pass for the right reason.
        refused("password=Hx8!kq2Lw", SecretKind::Password);
        refused("api_key=Cc8Y3tLj1PhkOLdZ6C92", SecretKind::ApiToken);
        refused("Authorization: Bearer Cc8Y3tLj1PhkOLdZ6C92", SecretKind::BearerToken);
    }

    #[test]
    fn references_are_not_values() {
        for text in [
            "password: arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:prod/db/root-AbCdEf",
            "token=https://vault.bespin.example/ui/vault/secrets/kv/show/closeacct",
            "password=/etc/billing/db.pass",
            "password=~/.pgpass",
            "secret: prod/db/root",
            "api_key: ops-admin@acme.example",
            "token: op://Ops/AWS root acct-1/password",
            "root password: 2026-11-20 (rotated)",
        ] {
            allowed(text);
        }
        // A URL is a reference only while it carries no password.
        refused("token=https://admin:Hx8!kq2Lw@vault.bespin.example/", SecretKind::UrlWithPassword);
    }

    #[test]
    fn status_words_are_not_values() {
        for text in [
            "password: rotated",
            "token: revoked",
            "secret=pending",
            "password: unchanged",
            "api key: deleted",
            "token=expired",
        ] {
            allowed(text);
        }
        refused("password: Rotated2026!", SecretKind::Password);
    }

    #[test]
    fn values_shorter_than_the_minimum_are_allowed() {
        let short = "abc12";
        let long = "abc123";
        assert_eq!(short.len() + 1, MIN_VALUE_CHARS);
        assert_eq!(long.len(), MIN_VALUE_CHARS);
        allowed(&format!("pwd={short}"));
        refused(&format!("pwd={long}"), SecretKind::Password);
    }

    #[test]
    fn naming_where_the_secret_is_kept_is_allowed() {
        for text in [
            "token: see vault",
            "password: in 1Password",
            "secret: stored in the vault",
            "password: Bitwarden, entry 'AWS root acct-1'",
            "the root password is in the Bespin vault",
            "rotated the root password, stored in 1Password",
            "비밀번호: 고객이 직접 변경함",
            "password=1Password",
            "ssh passphrase: KeePassXC",
        ] {
            allowed(text);
        }
        // But an MFA serial after `token:` looks exactly like a token, and is refused.
        refused("token: GAHT12345678", SecretKind::ApiToken);
        allowed("MFA device serial GAHT12345678");
    }

    #[test]
    fn labelled_prose_needs_a_random_looking_value() {
        allowed("password: reset by the customer");
        allowed("token: OpsNow integration removed");
        allowed("API key: CenturyLink portal one, deleted");
        refused("password: hunter22 (old)", SecretKind::Password);
        refused("password: correct-horse-battery", SecretKind::Password);
        refused("the password is cOrReCtHoRsE", SecretKind::Password);
        allowed("the password is managed by AWS");
    }

    #[test]
    fn hex_digests_uuids_and_resource_ids_are_not_aws_secret_keys() {
        for text in [
            "commit ccadb9f79d9f4bb837c0c60a0eb3a11ecbc9dae6",
            "sha1 CCADB9F79D9F4BB837C0C60A0EB3A11ECBC9DAE6",
            "sha256 41dff02cee737443e210471948d33296c87009e8a7f770d9106fd287db7f1adb",
            "secret rotation job 3f9aa884-e594-49c1-8561-9fc017b4834c",
            "secret version 2328cc2627c0b411304512e884a345d6a9ad7650",
            "snap-0123456789abcdef0 i-0a1b2c3d4e5f67890 vol-049df61146c4d7901",
            "prefix ExportsFromBillingAccount2026/November01 archived",
        ] {
            allowed(text);
        }
        // One character outside hex, with mixed case and digits, and it is a secret key.
        refused("ccadb9f79d9f4bb837c0c60a0eb3a11ecbc9dZe6", SecretKind::AwsSecretAccessKey);
        refused("TxoF54Fzbka8FRCztUjAwyuh1vauWv1zh87mTa5V", SecretKind::AwsSecretAccessKey);
    }

    #[test]
    fn pagination_and_idempotency_tokens_are_not_secret_fields() {
        allowed("NextToken=AAAAAHhKq4bGwZ1l2c2R4dGFnLWxpc3Q");
        allowed("ClientToken=closeacct-acct-1-2026-11-24");
        allowed("--next-token AAAAAHhKq4bGwZ1l2c2R4dGFnLWxpc3Q");
        refused("SessionToken=AAAAAHhKq4bGwZ1l2c2R4dGFnLWxpc3Q", SecretKind::ApiToken);
    }

    #[test]
    fn aws_unique_ids_share_the_access_key_shape() {
        refused("user AIDACKCEVSQ6C2EXAMP1", SecretKind::AwsAccessKeyId);
        refused("key AKIALACI35K21PEA9DJ2 deactivated", SecretKind::AwsAccessKeyId);
        allowed("AKIALACI35K21PEA9DJ (truncated in the ticket)");
    }

    #[test]
    fn the_more_specific_kind_wins_at_the_same_place() {
        refused("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY", SecretKind::AwsSecretAccessKey);
        refused("client_secret=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", SecretKind::GoogleOAuthClientSecret);
        refused("GITHUB_TOKEN=ghp_3D5i3uFKcXn448gM0rsSIfZgPJ4Xh2XiVdvE", SecretKind::GitHubToken);
    }

    #[test]
    fn name_value_pairs_count_when_the_name_is_a_secret_field() {
        refused(r#"<add key="DbPassword" value="Zq8!vN3pLw" />"#, SecretKind::Password);
        refused(r#"{"name": "OPSNOW_API_TOKEN", "value": "plainwords"}"#, SecretKind::ApiToken);
        refused("ParameterKey=DBPassword,ParameterValue=Sup3rS3cret!", SecretKind::Password);
        // Bare, the value must look random: tags are name/value pairs too.
        allowed("--tags Key=rotate-secret,Value=monthly");
        allowed(r#"{"name": "DB_PASSWORD", "valueFrom": "arn:aws:ssm:ap-northeast-2:123456789012:parameter/db"}"#);
        allowed(r#"{"name": "REGION", "value": "ap-northeast-2"}"#);
    }

    #[test]
    fn kinds_name_themselves_without_any_secret() {
        for kind in SecretKind::ALL {
            let phrase = kind.to_string();
            assert_eq!(phrase, kind.phrase());
            assert!(phrase.starts_with("a ") || phrase.starts_with("an ") || phrase.starts_with("HTTP "), "{phrase}");
        }
    }

    #[test]
    fn redact_replaces_each_secret_with_its_kind_and_keeps_the_rest() {
        let key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        for (text, expected) in [
            ("nothing to see: i-0abc vol-123", "nothing to see: i-0abc vol-123"),
            (
                &*format!("aws_secret_access_key = {key}\nregion = eu-west-1\n"),
                "aws_secret_access_key = [redacted: AWS secret access key]\nregion = eu-west-1\n",
            ),
            (
                &*format!("{{\"AccessKeyId\": \"AKIAIOSFODNN7EXAMPLE\", \"SecretAccessKey\": \"{key}\"}}"),
                "{\"AccessKeyId\": \"[redacted: AWS access key ID]\", \"SecretAccessKey\": \"[redacted: AWS secret access key]\"}",
            ),
            (
                &*format!("ACCESSKEY\tAKIAIOSFODNN7EXAMPLE\t{key}\tActive"),
                "ACCESSKEY\t[redacted: AWS access key ID]\t[redacted: AWS secret access key]\tActive",
            ),
            ("Authorization: Bearer Cc8Y3tLj1PhkOLdZ6C92 ok", "Authorization: [redacted: bearer token] ok"),
            ("db password: Hx8!kq2Lw (rotate)", "db password: [redacted: password] (rotate)"),
            ("url postgres://app:Hx8kq2Lw@db.internal/x done", "url [redacted: URL with a password in it] done"),
            (
                "before\n-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA0Z3VS5JJcds3xfn\nAbCdEf0123456789+/==\n-----END RSA PRIVATE KEY-----\nafter",
                "before\n[redacted: private key]\nafter",
            ),
        ] {
            let redacted = redact(text);
            assert_eq!(redacted, expected, "{text:?}");
            assert_eq!(find_secret(&redacted), None, "{redacted:?}");
            assert_eq!(redact(&redacted), redacted, "redacting twice changes nothing");
        }
        assert!(matches!(redact("i-0abc"), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn every_kind_is_redacted_and_no_marker_looks_like_a_secret() {
        for kind in SecretKind::ALL {
            let marker = redaction(kind);
            assert!(marker.starts_with("[redacted: ") && !marker.contains("[redacted: a "), "{marker}");
            assert_eq!(find_secret(&marker), None, "{marker}");
            assert_eq!(find_secret(&format!("aws_secret_access_key = {marker}")), None, "{marker}");
        }
        assert_eq!(redaction(SecretKind::AwsSecretAccessKey), "[redacted: AWS secret access key]");
        assert_eq!(redaction(SecretKind::BasicAuth), "[redacted: HTTP Basic credentials]");
    }
}
