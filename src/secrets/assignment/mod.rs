//! Assignments: a field whose name says it holds a secret, and the value given to it; and
//! name/value pairs naming such a field.
//!
//! Everything starts from a keyword the Aho-Corasick pass found. A keyword inside a field name
//! (`pass` in `MYSQL_ROOT_PASSWORD`) is widened to the whole name, which is then read as words, so
//! that the name decides, not the keyword: `db_password` is a field, `password_policy`, `bypass`
//! and `NextToken` are not. What follows the name decides how the value was given (see the module
//! documentation of `secrets`), and the value itself must be a real one, not a placeholder, a
//! reference or a status word. No regex is involved, so nothing is compiled for a note that talks
//! about passwords.

mod field;
mod separator;
mod value;

use self::field::{Field, Label, widen};
use self::separator::{separator, spaces};
use self::value::{Value, take_value};
use super::shapes::{base64_decode, printable_pair};
use super::{Check, Found, SecretKind, Triggered, line_before};

pub(crate) use self::field::{KEYWORDS, is_name_byte};
pub(crate) use self::value::{MAX_VALUE, is_placeholder, looks_like_value, looks_random};

/// How the value was introduced, which sets how secret it must look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    /// `=`, `:` without a space, a quoted value, a `--flag` or an XML element: anything real.
    Assigned,
    /// `: ` with a space, or a full-width colon: random-looking values, a lone word ending the
    /// line, or for a password a passphrase ending the line (`purple-tiger-42`).
    Labelled,
    /// "is", "was", "set to", a particle: random-looking values, or for a password a passphrase
    /// with a number ending the line.
    Said,
    /// A bare space (`db password Zq8!vN3pLw`): only random-looking values.
    Spaced,
}

/// Every assignment and name/value pair in `text`, but for field names `in_marker` (the words of a
/// `[redacted: …]` marker).
pub(crate) fn find(text: &str, triggered: &Triggered, in_marker: &dyn Fn(usize) -> bool) -> Vec<Found> {
    let mut out = Vec::new();
    // A field name inside the name just read, or inside the secret just found, is part of it, not a
    // field of its own; skipping it also keeps the work linear on texts made of field names.
    let mut done_until = 0;
    for &(start, end) in &triggered.labels {
        let Some(label) = widen(text, start, end) else { continue };
        let Some(field) = label.field else { continue };
        if label.start < done_until || in_marker(label.start) {
            continue;
        }
        done_until = label.end;
        let place = place_of(text, label.start);
        if place == Place::Arn {
            continue;
        }
        if field == Field::AdminUser {
            out.extend(admin_credentials(text, &label, &mut done_until));
            continue;
        }
        out.extend(assignment(text, &label, field, place, &mut done_until));
        if field == Field::Secret(SecretKind::Password) {
            out.extend(value_before(text, &label));
        }
        if let Field::Secret(kind) = field {
            out.extend(named_pair(text, &label, kind));
        }
    }
    out
}

/// Where a field name sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Free,
    /// `…:secret:prod/db…` inside an ARN: a resource name, never a field.
    Arn,
    /// Inside a URL: `/token/` in its path is no field, `?token=…` in its query is.
    Url,
}

fn place_of(text: &str, start: usize) -> Place {
    let before = line_before(text, start);
    let token_start = before.rfind(char::is_whitespace).map_or(0, |i| i + 1);
    let token = before[token_start..].to_ascii_lowercase();
    if token.contains("arn:") {
        Place::Arn
    } else if token.contains("://") {
        Place::Url
    } else {
        Place::Free
    }
}

/// The assignment to `label`'s field, if its value is a real one. `read_until` is moved past the
/// value looked at.
fn assignment(text: &str, label: &Label, field: Field, place: Place, read_until: &mut usize) -> Option<Found> {
    let (form, value_start) = separator(text, label)?;
    if place == Place::Url && !text[..value_start].trim_end().ends_with('=') {
        return None;
    }
    let value = take_value(text, value_start, form == Form::Spaced);
    let form = if value.quoted { Form::Assigned } else { form };
    if label.flag && value.text.starts_with('-') {
        return None;
    }
    let mut found = |v: &Value<'_>, kind| {
        *read_until = (*read_until).max(v.end);
        Found { at: v.start, start: v.start, end: v.end, kind, check: Check::Assignment }
    };
    match field {
        Field::Secret(kind) => {
            let password = kind == SecretKind::Password;
            if looks_like_value(value.text, form, value.rest, password) {
                return Some(found(&value, kind));
            }
            // `credentials: admin / Zq8!vN3pLw`: a user name, then the password after a slash.
            let slash = value.rest.trim_start_matches([' ', '\t']).strip_prefix('/')?;
            let second = text.len() - slash.trim_start_matches([' ', '\t']).len();
            if !password || second == text.len() || slash.len() == slash.trim_start_matches([' ', '\t']).len() {
                return None;
            }
            let value = take_value(text, second, form == Form::Spaced);
            looks_like_value(value.text, form, value.rest, password).then(|| found(&value, kind))
        }
        Field::Auth => {
            base64_decode(value.text).is_some_and(|d| printable_pair(&d)).then(|| found(&value, SecretKind::BasicAuth))
        }
        Field::AdminUser => None,
    }
}

/// The value written before its field: "use 'Tr0ub4dor&3' as the password", "Tr0ub4dor&3 is the
/// new root password". It must look random, as after "is".
fn value_before(text: &str, label: &Label) -> Option<Found> {
    const FILLER: &[&str] =
        &["the", "my", "our", "your", "new", "root", "admin", "temporary", "temp", "initial", "db", "current"];
    // The field ends the clause ("… as the password.", "… as the password for root"); in "INC42 is
    // the password reset ticket" it is a modifier.
    let after = text[label.end..].split('\n').next().unwrap_or("");
    let after = after.trim_start_matches([' ', '\t']);
    let clause_ends = after.is_empty()
        || after.starts_with(|c: char| c.is_ascii_punctuation())
        || ["for ", "of ", "on ", "to "].iter().any(|w| after.starts_with(w));
    if !clause_ends {
        return None;
    }
    let mut before = line_before(text, label.start).trim_end();
    loop {
        let word_start = before.rfind([' ', '\t']).map_or(0, |i| i + 1);
        if !FILLER.contains(&before[word_start..].to_lowercase().as_str()) {
            break;
        }
        before = before[..word_start].trim_end();
    }
    let word_start = before.rfind([' ', '\t']).map_or(0, |i| i + 1);
    if !["is", "was", "as"].contains(&before[word_start..].to_lowercase().as_str()) || word_start == 0 {
        return None;
    }
    let before = before[..word_start].trim_end();
    let quoted = before.ends_with(['"', '\'', '`', '”', '’']);
    let inner = before.trim_end_matches(['"', '\'', '`', '”', '’']);
    let value_start = if quoted {
        inner.rfind(['"', '\'', '`', '“', '‘']).map(|i| i + inner[i..].chars().next().map_or(1, char::len_utf8))?
    } else {
        inner.rfind([' ', '\t']).map_or(0, |i| i + 1)
    };
    let value = &inner[value_start..];
    let form = if quoted { Form::Assigned } else { Form::Said };
    let start = label.start - line_before(text, label.start).len() + value_start;
    looks_like_value(value, form, "", true).then_some(Found {
        at: start,
        start,
        end: start + value.len(),
        kind: SecretKind::Password,
        check: Check::Assignment,
    })
}

/// `root / q8rnNoeJp48I!`, `admin: …`: an administrator's name, a colon or slash, and a value of
/// eight characters or more with a symbol, or with upper case, lower case and digits.
fn admin_credentials(text: &str, label: &Label, read_until: &mut usize) -> Option<Found> {
    let bytes = text.as_bytes();
    let mut p = label.end + spaces(bytes, label.end);
    if !matches!(bytes.get(p), Some(b':' | b'/')) || text[p..].starts_with("://") {
        return None;
    }
    p += 1;
    p += spaces(bytes, p);
    let value = take_value(text, p, false);
    let v = value.text;
    let has = |f: fn(&u8) -> bool| v.as_bytes().iter().any(f);
    let symbol = v.bytes().any(|b| !b.is_ascii_alphanumeric() && !matches!(b, b'-' | b'_' | b'.'));
    let mixed = has(u8::is_ascii_uppercase) && has(u8::is_ascii_lowercase) && has(u8::is_ascii_digit);
    let found = v.len() >= 8 && (symbol || mixed) && looks_like_value(v, Form::Spaced, value.rest, true);
    if found {
        *read_until = (*read_until).max(value.end);
    }
    found.then_some(Found {
        at: value.start,
        start: value.start,
        end: value.end,
        kind: SecretKind::Password,
        check: Check::Assignment,
    })
}

/// A name/value pair whose *name* is a secret field: `<add key="DbPassword" value="…"/>`,
/// `{"name": "DB_PASSWORD", "value": "…"}` (ECS, Kubernetes `env`), `ParameterKey=DBPassword,
/// ParameterValue=…` (`CloudFormation`), `--name /prod/db/password --value …` (SSM),
/// `variable "db_password" { default = "…" }` (Terraform).
fn named_pair(text: &str, label: &Label, kind: SecretKind) -> Option<Found> {
    let bytes = text.as_bytes();
    let in_name = |b: u8| !(b.is_ascii_whitespace() || matches!(b, b'"' | b'\'' | b'=' | b':' | b',' | b';'));
    let name_start = label.start - bytes[..label.start].iter().rev().take(80).take_while(|&&b| in_name(b)).count();
    let name_end = label.end + bytes[label.end..].iter().take(80).take_while(|&&b| in_name(b)).count();
    if name_end != label.end || !names_a_field(&text[..name_start]) {
        return None;
    }
    // `", "value": "`, `,ParameterValue=`, `\n    value: `, ` --value `, `" { default = "`.
    let mut p = name_end;
    p += bytes[p..].iter().take(2).take_while(|&&b| matches!(b, b'"' | b'\'')).count();
    // `<entry key="db.password">…</entry>`, `<string name="api_key">…</string>`: the element's text.
    if bytes.get(p) == Some(&b'>') {
        let value = take_value(text, p + 1, false);
        let password = kind == SecretKind::Password;
        let closed = value.rest.starts_with("</");
        return (closed && looks_like_value(value.text, Form::Assigned, "", password)).then_some(Found {
            at: value.start,
            start: value.start,
            end: value.end,
            kind,
            check: Check::NamedPair,
        });
    }
    p += bytes[p..]
        .iter()
        .take(200)
        .take_while(|&&b| b.is_ascii_whitespace() || matches!(b, b',' | b';' | b'{'))
        .count();
    if bytes[p..].starts_with(b"- ") {
        p += 2;
    }
    let rest = &text[p..];
    let lower = rest.get(..20.min(rest.len())).unwrap_or(rest).to_ascii_lowercase();
    let unquoted = lower.trim_start_matches(['"', '\'']);
    let word = ["parametervalue", "parameter_value", "parameter-value", "--value", "value", "default"]
        .into_iter()
        .find(|w| unquoted.starts_with(w) && !unquoted[w.len()..].starts_with(|c: char| c.is_ascii_alphanumeric()))?;
    p += lower.len() - unquoted.len() + word.len();
    if word == "--value" {
        if !bytes.get(p).is_some_and(|&b| b == b' ' || b == b'\t') {
            return None;
        }
    } else {
        p += bytes[p..].iter().take(2).take_while(|&&b| matches!(b, b'"' | b'\'')).count();
        p += spaces(bytes, p);
        if !bytes.get(p).is_some_and(|&b| b == b'=' || b == b':') {
            return None;
        }
        p += 1;
    }
    p += spaces(bytes, p);
    let value = take_value(text, p, false);
    // Quoted, it is plainly a value; bare (`Key=rotate-secret,Value=monthly` in a tag list), it
    // must look random.
    let form = if value.quoted { Form::Assigned } else { Form::Spaced };
    looks_like_value(value.text, form, value.rest, kind == SecretKind::Password).then_some(Found {
        at: value.start,
        start: value.start,
        end: value.end,
        kind,
        check: Check::NamedPair,
    })
}

/// Whether the text before a name ends like a name field: `key="`, `"name": "`, `ParameterKey=`,
/// `--name `, `variable "`.
fn names_a_field(before: &str) -> bool {
    let trimmed = before.trim_end_matches(['"', '\'', ' ', '\t', '/']);
    let lower_end = trimmed.get(trimmed.len().saturating_sub(8)..).unwrap_or("").to_ascii_lowercase();
    if lower_end.ends_with("--name") || lower_end == "variable" {
        return true;
    }
    let Some(rest) = trimmed.strip_suffix(['=', ':']) else { return false };
    let rest = rest.trim_end_matches(['"', '\'', ' ', '\t']);
    let word: String = rest.chars().rev().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-')).collect();
    let word: String = word.chars().rev().filter(char::is_ascii_alphanumeric).collect::<String>().to_ascii_lowercase();
    matches!(word.as_str(), "key" | "name" | "parameterkey" | "keyname" | "secretname" | "variable" | "var")
}

#[cfg(test)]
mod tests;
