//! The value given to a field, and whether it is a real one.

use super::super::MIN_VALUE_CHARS;
use super::super::shapes::url_password;
use super::Form;

/// The value at `from`: the quoted string, or the run up to whitespace.
pub(crate) struct Value<'a> {
    /// The value itself, without quotes or trailing sentence punctuation.
    pub(crate) text: &'a str,
    /// Its span in the whole text.
    pub(crate) start: usize,
    pub(crate) end: usize,
    /// Whether it was quoted.
    pub(crate) quoted: bool,
    /// The text after it.
    pub(crate) rest: &'a str,
}

/// The longest value looked at; longer ones are cut (and still refused if they start like one).
pub(crate) const MAX_VALUE: usize = 1024;

/// The value at `from`. In prose (`prose`: after a bare space), a comma or semicolon ends it too:
/// `Access key ID,Secret access key` is a list, not a key and its value.
pub(crate) fn take_value(text: &str, from: usize, prose: bool) -> Value<'_> {
    let s = &text[from..];
    let skipped = usize::from(s.starts_with('\\') && s[1..].starts_with(['"', '\'']));
    let unescaped = &s[skipped..];
    let limit = |body: &str| {
        let mut n = body.len().min(MAX_VALUE);
        while !body.is_char_boundary(n) {
            n -= 1;
        }
        n
    };
    if let Some(quote) = unescaped.chars().next().filter(|c| matches!(c, '"' | '\'' | '`' | '“' | '‘' | '«' | '「'))
    {
        let offset = skipped + quote.len_utf8();
        let body = &s[offset..];
        let closing: &[char] = match quote {
            '“' => &['”', '"'],
            '‘' => &['’', '\''],
            '«' => &['»'],
            '「' => &['」'],
            _ => &[quote],
        };
        let end = body[..limit(body)].find(|c: char| closing.contains(&c) || c == '\n').unwrap_or(limit(body));
        let text_end = if body[..end].ends_with('\\') { end - 1 } else { end };
        return Value {
            text: &body[..text_end],
            start: from + offset,
            end: from + offset + text_end,
            quoted: true,
            rest: &body[end..],
        };
    }
    let body = unescaped;
    let run = body[..limit(body)]
        .find(|c: char| {
            c.is_whitespace()
                || matches!(c, '"' | '\'' | '`' | '<' | '，' | '。' | '、' | '）' | '」' | '”' | '’')
                || (prose && matches!(c, ',' | ';'))
        })
        .unwrap_or(limit(body));
    let mut value = &body[..run];
    // `auth_token=…&format=json`, `Password=…;Database=…`: the next pair is not part of the value.
    if let Some(cut) = next_pair(value) {
        value = &value[..cut];
    }
    let value = trim_trailing(value);
    Value {
        text: value,
        start: from + skipped,
        end: from + skipped + value.len(),
        quoted: false,
        rest: &body[value.len()..],
    }
}

/// Where a `&name=`, `;name=` or `,name=` starts the next pair inside a run.
fn next_pair(run: &str) -> Option<usize> {
    let b = run.as_bytes();
    (1..b.len()).find(|&i| {
        matches!(b[i], b'&' | b';' | b',') && {
            let name = b[i + 1..]
                .iter()
                .take_while(|&&c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'))
                .count();
            name > 0 && b.get(i + 1 + name) == Some(&b'=')
        }
    })
}

/// Sentence punctuation after a value is not part of it, nor is a closing bracket it did not open;
/// `!` and `?` may be, so they stay.
fn trim_trailing(mut value: &str) -> &str {
    loop {
        let Some(last) = value.chars().next_back() else { return value };
        let opened = |open: char| value.matches(open).count() >= value.matches(last).count();
        let drop = match last {
            '.' | ',' | ';' | ':' => true,
            ')' => !opened('('),
            ']' => !opened('['),
            '}' => !opened('{'),
            _ => false,
        };
        if !drop {
            return value;
        }
        value = &value[..value.len() - last.len_utf8()];
    }
}

/// Whether `value`, introduced in `form` and followed by `rest`, is a real secret value;
/// `password` when the field is a password, which may be a passphrase of plain words.
pub(crate) fn looks_like_value(value: &str, form: Form, rest: &str, password: bool) -> bool {
    if value.chars().count() < MIN_VALUE_CHARS
        || is_placeholder(value)
        || is_reference(value)
        || is_status_word(value)
        || names_a_vault(value)
    {
        return false;
    }
    let line_rest = rest.split('\n').next().unwrap_or("");
    let ends_line = line_rest.trim().trim_matches(|c: char| c.is_ascii_punctuation()).is_empty();
    let word = value.bytes().all(|b| b.is_ascii_alphabetic() || b == b'-');
    // `purple-tiger-42`: lower-case words and numbers, as passphrases are made.
    let passphrase = password
        && ends_line
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && value.bytes().any(|b| b.is_ascii_lowercase());
    match form {
        Form::Assigned => true,
        Form::Spaced => looks_random(value),
        Form::Said => looks_random(value) || (passphrase && value.bytes().any(|b| b.is_ascii_digit()) && !word),
        Form::Labelled => looks_random(value) || (ends_line && word) || passphrase,
    }
}

/// Letters mixed with digits inside one word, a symbol, or a capital after a lower-case letter:
/// `hunter2`, `Tr0ub4dor&3`, `cOrReCt`. Hyphenated names of plain words and numbers
/// (`prod-billing-2026`, `2026-03-01`) do not count, nor do `CamelCase` product names made of
/// whole words (`OpsNow`, `GitHub`, `CenturyLink`, `PagerDuty`).
pub(crate) fn looks_random(value: &str) -> bool {
    let symbol = value.chars().any(|c| !c.is_alphanumeric() && !matches!(c, '-' | '_' | '.' | '/' | '\''));
    let mixed_segment = value.split(['-', '_', '.', '/']).any(|segment| {
        let letters = segment.chars().any(char::is_alphabetic);
        let digits = segment.chars().any(|c| c.is_ascii_digit());
        let humps = segment.as_bytes().windows(2).any(|w| w[0].is_ascii_lowercase() && w[1].is_ascii_uppercase())
            && !camel_words(segment);
        (letters && digits) || humps
    });
    symbol || mixed_segment
}

/// `OpsNow`, `GitHub`, `payDay`: whole words joined, each after the first capitalised and at least
/// three letters long.
pub(super) fn camel_words(segment: &str) -> bool {
    let b = segment.as_bytes();
    let Some(&first) = b.first() else { return false };
    let lower_after = b[1..].iter().take_while(|c| c.is_ascii_lowercase()).count();
    let first_word_ok = first.is_ascii_lowercase() || (first.is_ascii_uppercase() && lower_after > 0);
    if !first_word_ok {
        return false;
    }
    let mut i = 1 + lower_after;
    let mut humps = 0;
    while i < b.len() {
        if !b[i].is_ascii_uppercase() {
            return false;
        }
        let n = b[i + 1..].iter().take_while(|c| c.is_ascii_lowercase()).count();
        if n < 2 {
            return false;
        }
        i += 1 + n;
        humps += 1;
    }
    humps > 0
}

/// Obvious stand-ins for a value, in any case: `<redacted>`, `[REDACTED]`, `(hidden)`, `***`,
/// `xxxxxx`, `…`, `${VAR}`, `$VAR`, `$(command)`, `%VAR%`, `{{ var }}`, `null`, `none`, `n/a`,
/// `your-password`.
pub(crate) fn is_placeholder(value: &str) -> bool {
    let v = value.trim();
    let lower = v.to_lowercase();
    let masked = !v.is_empty()
        && v.chars().all(|c| matches!(c, '*' | '•' | '●' | '·' | '.' | '…' | 'x' | 'X' | '#' | '?' | '-' | '_' | ' '));
    let mut chars = v.chars();
    let one_char_repeated = v.chars().count() >= 3 && chars.next().is_some_and(|first| chars.all(|c| c == first));
    let words = ["redacted", "removed", "masked", "hidden", "omitted", "elided", "placeholder", "your-", "your_"];
    is_variable(v)
        || is_bracketed_word(v)
        || masked
        || one_char_repeated
        || words.iter().any(|w| lower.contains(w))
        || matches!(lower.as_str(), "null" | "none" | "nil" | "undefined" | "empty" | "n/a" | "tbd" | "todo")
}

/// A variable or a template rather than a value: `$DB_PASSWORD`, `$password`, `${PW}`,
/// `$(cat pw.txt)`, `$env:PW`, `%PASSWORD%`, `{{ secrets.token }}`, `${{ secrets.X }}`, `@PW@`.
/// `$3cr3t` and `$ecretPass` are values: no variable name starts with a digit, and names are
/// written in one case.
fn is_variable(v: &str) -> bool {
    let name_in_one_case = |name: &str| {
        !name.is_empty()
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && !name.as_bytes()[0].is_ascii_digit()
            && (!name.bytes().any(|b| b.is_ascii_lowercase()) || !name.bytes().any(|b| b.is_ascii_uppercase()))
    };
    if let Some(rest) = v.strip_prefix('$') {
        return rest.starts_with(['{', '(']) || rest.to_ascii_lowercase().starts_with("env:") || name_in_one_case(rest);
    }
    // `var.db_password`, `local.pw`, `process.env.DB_PASSWORD`, `os.environ["PW"]`: references in
    // Terraform, JavaScript and Python to a value kept elsewhere.
    let reference =
        ["var.", "local.", "data.", "module.", "env.", "secrets.", "vars.", "process.env.", "os.environ", "os.getenv"]
            .iter()
            .any(|p| {
                v.starts_with(p) && v[p.len()..].bytes().all(|b| b.is_ascii_alphanumeric() || b"_.[]'\"()".contains(&b))
            });
    reference
        || (v.len() > 2 && v.starts_with('%') && v.ends_with('%') && name_in_one_case(&v[1..v.len() - 1]))
        || (v.len() > 2 && v.starts_with('@') && v.ends_with('@') && name_in_one_case(&v[1..v.len() - 1]))
        || (v.starts_with("{{") && v.ends_with("}}"))
}

/// `<redacted>`, `[REDACTED]`, `(hidden)`, `<your password here>`: words in brackets. Brackets
/// around something random (`(Xk2!mf9)`) are a value; braces and square brackets always start
/// a template or structured data (`{"password": …}`), whose fields are screened on their own.
fn is_bracketed_word(v: &str) -> bool {
    let Some(open) = v.chars().next() else { return false };
    let close = match open {
        '<' => '>',
        '(' => ')',
        '[' | '{' => return true,
        _ => return false,
    };
    let inner = v[1..].strip_suffix(close).unwrap_or(&v[1..]);
    inner.chars().all(|c| c.is_alphabetic() || matches!(c, ' ' | '-' | '_' | '.' | '/' | '\'' | ':'))
        || !looks_random(inner)
}

/// Pointers to where a secret is, rather than the secret: ARNs, URLs, paths, e-mail addresses,
/// dates, `vault`-style paths of plain words.
pub(super) fn is_reference(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    let url_without_password = lower.find("://").is_some_and(|at| url_password(value, at).is_none());
    ["arn:", "ssm:", "vault:", "op://", "file:", "secretsmanager:", "keyvault:", "projects/"]
        .iter()
        .any(|p| lower.starts_with(p))
        || url_without_password
        || value.starts_with('/')
        || value.starts_with("~/")
        || value.starts_with("./")
        || is_email(value)
        || is_date(value)
        || is_plain_path(value)
}

/// `name@host.tld`.
fn is_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else { return false };
    let local_ok = !local.is_empty()
        && local.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-'));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        && labels.last().is_some_and(|tld| tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic()));
    local_ok && domain_ok
}

/// `2026-11-20`, `2026-11-20T14:05:00Z`.
fn is_date(value: &str) -> bool {
    let b = value.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    b.len() >= 10
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && (b.len() == 10
            || (matches!(b[10], b'T' | b' ')
                && b[11..].iter().all(|&c| c.is_ascii_digit() || matches!(c, b':' | b'.' | b'Z'))))
}

/// `prod/db/root`, `kv/closeacct/acct-1`: two or more `/`-separated segments of plain words (a word,
/// optionally followed by digits, or a number), joined by `-`, `_` or `.`.
fn is_plain_path(value: &str) -> bool {
    let value = value.strip_suffix('/').unwrap_or(value);
    let plain_word = |w: &str| {
        let letters = w.bytes().take_while(u8::is_ascii_alphabetic).count();
        !w.is_empty() && w.bytes().skip(letters).all(|b| b.is_ascii_digit())
    };
    let segments: Vec<&str> = value.split('/').collect();
    segments.len() >= 2 && segments.iter().all(|s| !s.is_empty() && s.split(['-', '_', '.']).all(plain_word))
}

/// A status word rather than a value: `rotated`, `pending`, `unchanged`, `done`, `geändert`.
fn is_status_word(value: &str) -> bool {
    let lower = value.to_lowercase();
    if !lower.chars().all(|c| c.is_alphabetic() || c == '-') || value.chars().skip(1).any(char::is_uppercase) {
        return false;
    }
    let participle = ["ed", "ing", "ado", "ada", "ido", "ida", "ato", "ata", "ito", "ita", "é", "ée"]
        .iter()
        .any(|e| lower.ends_with(e))
        || (lower.starts_with("ge") && (lower.ends_with('t') || lower.ends_with('d')));
    participle
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
            "done",
            "complete",
            "success",
            "successful",
            "true",
            "false",
            "yes",
            "required",
            "unchanged",
            "same",
            "reset",
            "unknown",
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
