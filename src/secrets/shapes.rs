//! Shapes a regex alone can not judge: the value has to be decoded, or weighed against its
//! neighbourhood. Written by hand, without regexes, so that they cost nothing to set up.

use super::{Check, Found, Keyword, SecretKind, Triggered, line_before};

/// What starts these checks, besides the bare AWS secret key, which has no keyword and is looked
/// for in every text (one pass over the bytes).
pub(crate) const KEYWORDS: &[(&str, Keyword)] = &[
    ("bearer", Keyword::Bearer),
    ("basic", Keyword::Basic),
    ("://", Keyword::Url),
    ("@", Keyword::At),
    // "PRIVATE KEY" in base64, at each of the three alignments.
    ("ufjjvkfursblrvk", Keyword::Base64PrivateKey),
    ("svzbveugs0vz", Keyword::Base64PrivateKey),
    ("uklwqvrfietf", Keyword::Base64PrivateKey),
];

/// Every secret these checks find.
pub(crate) fn find(text: &str, triggered: &Triggered) -> Vec<Found> {
    let mut out = Vec::new();
    base64_private_keys(text, &triggered.base64_keys, &mut out);
    bare_aws_secrets(text, &mut out);
    bearer(text, &triggered.bearer, &mut out);
    basic(text, &triggered.basic, &mut out);
    url_passwords(text, &triggered.urls, &mut out);
    userinfo_passwords(text, &triggered.ats, &mut out);
    out
}

fn is_base64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/'
}

/// The run of base64 characters (and padding) around byte `at`.
fn base64_run(bytes: &[u8], at: usize) -> (usize, usize) {
    let in_run = |b: u8| is_base64(b) || b == b'=';
    let start = bytes[..at].iter().rposition(|&b| !in_run(b)).map_or(0, |i| i + 1);
    let end = bytes[at..].iter().position(|&b| !in_run(b)).map_or(bytes.len(), |i| at + i);
    (start, end)
}

/// A private key encoded in base64 once more (`client-key-data: LS0tLS1CRUdJTi…`, a key pasted
/// through `base64`): the run decodes to text holding "PRIVATE KEY". A certificate does not.
fn base64_private_keys(text: &str, hits: &[usize], out: &mut Vec<Found>) {
    let bytes = text.as_bytes();
    let mut done_until = 0;
    for &at in hits {
        if at < done_until {
            continue;
        }
        let (start, end) = base64_run(bytes, at);
        done_until = end;
        let run = &text[start..end];
        let decodes_to_key = (0..4).any(|skip| {
            run.get(skip..).and_then(|r| base64_decode(trim_to_quads(r))).is_some_and(|decoded| {
                memchr::memmem::find(&decoded, b"PRIVATE KEY").is_some()
                    || memchr::memmem::find(&decoded, b"private key").is_some()
            })
        });
        if decodes_to_key {
            out.push(Found { at: start, start, end, kind: SecretKind::PrivateKey, check: Check::Base64PrivateKey });
        }
    }
}

/// The longest prefix of `s` that is whole base64 quads (a run may be cut off mid-way).
fn trim_to_quads(s: &str) -> &str {
    let s = s.trim_end_matches('=');
    &s[..s.len() - s.len() % 4]
}

/// A bare 40-character base64 string: an AWS secret access key, when it mixes upper case, lower
/// case and digits and does not read as words, or when the line says "secret" before it.
fn bare_aws_secrets(text: &str, out: &mut Vec<Found>) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !(is_base64(bytes[i]) || bytes[i] == b'=') {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && (is_base64(bytes[i]) || bytes[i] == b'=') {
            i += 1;
        }
        let token = &text[start..i];
        if token.len() != 40 || token.contains('=') || token.bytes().all(|b| b.is_ascii_hexdigit()) {
            continue;
        }
        let has = |f: fn(&u8) -> bool| token.as_bytes().iter().any(f);
        let random = has(u8::is_ascii_uppercase)
            && has(u8::is_ascii_lowercase)
            && has(u8::is_ascii_digit)
            && !reads_as_words(token);
        let prev = text[..start].chars().next_back();
        let standalone = prev.is_none_or(|c| !matches!(c, '-' | '_' | '.' | ':' | '%' | '\\'));
        let before = line_before(text, start);
        if (random && standalone && !names_an_identifier(before)) || says_secret(before) {
            out.push(Found {
                at: start,
                start,
                end: i,
                kind: SecretKind::AwsSecretAccessKey,
                check: Check::BareAwsSecret,
            });
        }
    }
}

/// Whether the word just before is one that introduces an identifier or a digest, not a key:
/// "entity guid …", "`VersionId`: …", "etag …".
fn names_an_identifier(before: &str) -> bool {
    let word: String = before
        .trim_end_matches(|c: char| c.is_whitespace() || matches!(c, ':' | '=' | '"' | '\''))
        .chars()
        .rev()
        .take_while(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    let word: String = word.chars().rev().collect();
    [
        "id",
        "ids",
        "guid",
        "uuid",
        "versionid",
        "version",
        "etag",
        "digest",
        "hash",
        "checksum",
        "fingerprint",
        "sha1",
        "sha256",
        "md5",
        "requestid",
        "nonce",
        "cursor",
        "marker",
        "nexttoken",
        "continuationtoken",
        "serial",
    ]
    .contains(&word.as_str())
        || word.ends_with("id")
}

/// "secret", "시크릿" or "비밀" in any case: a 40-character string after it is a secret key.
fn says_secret(context: &str) -> bool {
    context.to_ascii_lowercase().contains("secret") || context.contains("시크릿") || context.contains("비밀")
}

/// A path or `CamelCase` identifier: every `/`-separated segment is made of words (a run of two or
/// more lower-case letters, optionally capitalised), runs of capitals and runs of digits, and has
/// no `+`. Random base64 almost never does (its lower-case runs are mostly one letter long).
fn reads_as_words(token: &str) -> bool {
    token.split('/').all(|segment| {
        let b = segment.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let run = |from: usize, f: fn(&u8) -> bool| b[from..].iter().take_while(|c| f(c)).count();
            if b[i].is_ascii_digit() {
                i += run(i, u8::is_ascii_digit);
            } else if b[i].is_ascii_uppercase() {
                i += run(i, u8::is_ascii_uppercase);
                // The last capital may start a word: `ABCdef` is `AB` + `Cdef`.
                match run(i, u8::is_ascii_lowercase) {
                    0 => {}
                    1 => return false,
                    n => i += n,
                }
            } else if b[i].is_ascii_lowercase() {
                let n = run(i, u8::is_ascii_lowercase);
                if n < 2 {
                    return false;
                }
                i += n;
            } else {
                return false;
            }
        }
        !b.is_empty()
    })
}

/// Whether `at` starts a word: the byte before it is not a letter, digit or `_`.
fn word_starts(bytes: &[u8], at: usize) -> bool {
    at == 0 || !(bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_')
}

/// Whether the line holding `at` mentions an Authorization header before it.
fn authorization_before(text: &str, at: usize) -> bool {
    let before = line_before(text, at).to_ascii_lowercase();
    before.contains("authorization") || before.contains("authorisation")
}

/// The value after a scheme word and whitespace: its span, made of `allowed` bytes.
fn value_after_word(bytes: &[u8], word_end: usize, allowed: fn(u8) -> bool) -> Option<(usize, usize)> {
    let start = word_end + bytes[word_end..].iter().take_while(|b| b.is_ascii_whitespace()).count();
    if start == word_end {
        return None;
    }
    let end = start + bytes[start..].iter().take_while(|&&b| allowed(b)).count();
    (end > start).then_some((start, end))
}

/// `Bearer` and a token: after an `Authorization` header any value of 8 characters or more, in
/// prose one of 16 or more mixing letters and digits.
fn bearer(text: &str, hits: &[usize], out: &mut Vec<Found>) {
    let bytes = text.as_bytes();
    for &at in hits {
        if !word_starts(bytes, at) {
            continue;
        }
        let allowed = |b: u8| b.is_ascii_alphanumeric() || b"._~+/=-".contains(&b);
        let Some((start, end)) = value_after_word(bytes, at + "bearer".len(), allowed) else { continue };
        let value = &text[start..end];
        let len = value.len();
        let plausible = !super::assignment::is_placeholder(value)
            && if authorization_before(text, at) { len >= 8 } else { len >= 16 && letters_and_digits(value) };
        if plausible {
            out.push(Found { at, start: at, end, kind: SecretKind::BearerToken, check: Check::Bearer });
        }
    }
}

/// `Basic` and base64 that decodes to `user:password`, or any such value after `Authorization`.
fn basic(text: &str, hits: &[usize], out: &mut Vec<Found>) {
    let bytes = text.as_bytes();
    for &at in hits {
        if !word_starts(bytes, at) {
            continue;
        }
        let Some((start, mut end)) = value_after_word(bytes, at + "basic".len(), is_base64) else { continue };
        end += bytes[end..].iter().take(2).take_while(|&&b| b == b'=').count();
        let value = &text[start..end];
        if value.len() < 6 {
            continue;
        }
        let decodes_to_credentials = base64_decode(value).is_some_and(|d| printable_pair(&d));
        let in_header = authorization_before(text, at) && value.len() >= 8 && !super::assignment::is_placeholder(value);
        if decodes_to_credentials || in_header {
            out.push(Found { at, start: at, end, kind: SecretKind::BasicAuth, check: Check::Basic });
        }
    }
}

/// Printable ASCII holding a `:` between two non-empty parts: `user:password`.
pub(crate) fn printable_pair(decoded: &[u8]) -> bool {
    decoded.iter().all(|&b| (0x20..0x7f).contains(&b))
        && decoded.iter().position(|&b| b == b':').is_some_and(|i| i > 0 && i + 1 < decoded.len())
}

/// Letters and digits both appear (random tokens do; words and numbers don't).
pub(crate) fn letters_and_digits(token: &str) -> bool {
    token.bytes().any(|b| b.is_ascii_alphabetic()) && token.bytes().any(|b| b.is_ascii_digit())
}

/// Standard base64 with optional padding; `None` if it is not well formed.
pub(crate) fn base64_decode(s: &str) -> Option<Vec<u8>> {
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
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
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

/// The span of the password in a URL's user-info (`scheme://user:password@host`), if it has one
/// that is not a placeholder. `at` is where `://` starts.
pub(crate) fn url_password(text: &str, at: usize) -> Option<(usize, usize, usize)> {
    let bytes = text.as_bytes();
    let scheme_len =
        bytes[..at].iter().rev().take(32).take_while(|&&b| b.is_ascii_alphanumeric() || b"+.-".contains(&b)).count();
    let scheme_start = at - scheme_len;
    if scheme_len == 0 || !bytes[scheme_start].is_ascii_alphabetic() {
        return None;
    }
    let from = at + 3;
    let authority_len = bytes[from..]
        .iter()
        .take(1024)
        .take_while(|&&b| !(b.is_ascii_whitespace() || b"/?#'\"<>".contains(&b)))
        .count();
    let authority = &text[from..from + authority_len];
    let last_at = authority.rfind('@')?;
    if last_at + 1 == authority.len() {
        return None;
    }
    let colon = authority[..last_at].find(':')?;
    let password = &authority[colon + 1..last_at];
    (!password.is_empty() && !super::assignment::is_placeholder(password)).then_some((
        scheme_start,
        from + colon + 1,
        from + last_at,
    ))
}

/// `user:password@host` without a scheme (`root:q8rnNoeJp48I@db.acme.internal`): a URL's
/// user-info on its own. The host must read as a host name or an IPv4 address, and the password
/// must look random, so that `image:v1.2@sha256:…` and `mailto:ops@acme.example` are no such thing.
fn userinfo_passwords(text: &str, hits: &[usize], out: &mut Vec<Found>) {
    let bytes = text.as_bytes();
    for &at in hits {
        let start = at
            - bytes[..at]
                .iter()
                .rev()
                .take(128)
                .take_while(|&&b| !(b.is_ascii_whitespace() || b"\"'<>(),;=[]{}|`".contains(&b)))
                .count();
        let token = &text[start..at];
        let Some(colon) = token.find(':') else { continue };
        let (user, password) = (&token[..colon], &token[colon + 1..]);
        let user_ok = !user.is_empty() && user.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if !user_ok || password.is_empty() || password.contains([':', '/']) || token.contains("://") {
            continue;
        }
        let host_len = bytes[at + 1..].iter().take_while(|&&b| b.is_ascii_alphanumeric() || b".-".contains(&b)).count();
        let host = text[at + 1..at + 1 + host_len].trim_end_matches('.');
        let labels: Vec<&str> = host.split('.').collect();
        let ipv4 = labels.len() == 4 && labels.iter().all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit()));
        let name = labels.len() >= 2
            && labels.iter().all(|l| !l.is_empty())
            && labels.last().is_some_and(|tld| tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic()));
        let value = password.chars().count() >= super::MIN_VALUE_CHARS
            && !super::assignment::is_placeholder(password)
            && super::assignment::looks_random(password);
        if (ipv4 || name) && value {
            let password_start = start + colon + 1;
            out.push(Found {
                at: start,
                start: password_start,
                end: at,
                kind: SecretKind::UrlWithPassword,
                check: Check::UrlPassword,
            });
        }
    }
}

fn url_passwords(text: &str, hits: &[usize], out: &mut Vec<Found>) {
    for &at in hits {
        if let Some((scheme, start, end)) = url_password(text, at) {
            out.push(Found { at: scheme, start, end, kind: SecretKind::UrlWithPassword, check: Check::UrlPassword });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_paths_and_camel_case_read_as_words() {
        for words in ["ExportsFromBillingAccount2026/November01", "ABCdef", "abc", "ABC123", "aws/Billing/EU"] {
            assert!(reads_as_words(words), "{words}");
        }
        for random in ["TxoF54Fzbka8FRCztUjAwyuh1vauWv1zh87mTa5V", "aBc", "ABCd", "a", "", "ab+cd"] {
            assert!(!reads_as_words(random), "{random}");
        }
    }

    #[test]
    fn base64_decodes_standard_and_url_safe() {
        assert_eq!(base64_decode("dXNlcjpwYXNz").unwrap(), b"user:pass");
        assert_eq!(base64_decode("dXNlcjpwYXNzMQ==").unwrap(), b"user:pass1");
        assert_eq!(base64_decode("dXNlcjpwYXNzMQ").unwrap(), b"user:pass1");
        assert!(base64_decode("dXNlc").is_none());
        assert!(base64_decode("dXN!").is_none());
        assert!(printable_pair(b"user:pass"));
        assert!(!printable_pair(b"user:"));
        assert!(!printable_pair(b":pass"));
        assert!(!printable_pair(b"user\x01:pass"));
    }

    #[test]
    fn a_url_password_is_found_between_the_colon_and_the_last_at() {
        let text = "see postgres://app:p@ss@db.internal:5432/x";
        let (scheme, start, end) = url_password(text, text.find("://").unwrap()).unwrap();
        assert_eq!(&text[scheme..start], "postgres://app:");
        assert_eq!(&text[start..end], "p@ss");
        for text in
            ["https://app@host", "https://app:@host", "https://app:${PW}@host", "https://host/a:b@c", "://x:y@z"]
        {
            assert_eq!(url_password(text, text.find("://").unwrap()), None, "{text}");
        }
    }
}
