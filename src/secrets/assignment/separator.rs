//! What comes between a field name and its value, and so how the value was given.

use super::Form;
use super::field::Label;

/// Words between a field name and its separator that make the name something other than the
/// field itself: "password policy: …", "token ID: …", "secret version: …".
const ABOUT_THE_FIELD: &[&str] = &[
    "id",
    "ids",
    "name",
    "names",
    "version",
    "versions",
    "policy",
    "policies",
    "rotation",
    "expiry",
    "expiration",
    "expires",
    "manager",
    "length",
    "hint",
    "reset",
    "change",
    "changed",
    "status",
    "type",
    "arn",
    "path",
    "owner",
    "age",
    "last",
    "created",
    "updated",
    "location",
    "file",
    "ticket",
    "history",
    "count",
    "used",
    "requirement",
    "requirements",
    "complexity",
    "strength",
    "vault",
    "store",
    "stored",
    "kept",
    "holder",
    "format",
    "prefix",
    "suffix",
    "scope",
    "scopes",
    "permission",
    "permissions",
    "role",
    "fingerprint",
    "algorithm",
    "size",
    "lifetime",
    "ttl",
    "days",
    "date",
    "field",
    "label",
    "rule",
    "rules",
    "setting",
    "settings",
    "option",
    "options",
    "prompt",
    "page",
    "link",
    "url",
    "endpoint",
    "request",
    "form",
    "note",
    "notes",
    "list",
    "report",
    "metadata",
    "usage",
];

/// Words that say "is", in the languages of the labels (`is`, `ist`, `lautet`, `est`, `es`, `é`,
/// `är`, `on`, `jest`, `to`, `是`), and dashes used the same way ("Пароль — …").
const IS_WORDS: &[&str] = &[
    "is", "was", "are", "were", "ist", "war", "lautet", "est", "es", "era", "é", "è", "är", "er", "on", "jest", "je",
    "to", "是", "为", "—", "–", "-",
];

/// Phrases that say "is now": `set to`, `changed to`.
const SET_TO: &[&str] = &["set to", "changed to", "reset to", "updated to", "rotated to", "now"];

/// The separator after a field name: how the value is introduced, and where it starts.
pub(super) fn separator(text: &str, label: &Label) -> Option<(Form, usize)> {
    let bytes = text.as_bytes();
    let mut p = label.end;
    let quoted_name = label.start > 0 && matches!(bytes[label.start - 1], b'"' | b'\'');
    // A closing quote or bracket after a quoted name: `"password": `, `\"pw\":`, `['token']=`.
    if bytes.get(p) == Some(&b'\\') && bytes.get(p + 1).is_some_and(|b| matches!(b, b'"' | b'\'')) {
        p += 2;
    }
    while p < bytes.len() && p < label.end + 2 && matches!(bytes[p], b'"' | b'\'' | b'`' | b']') {
        p += 1;
    }
    // `define('DB_PASSWORD', '…')`, `setdefault("DB_PASSWORD", "…")`: a call's name and value.
    if quoted_name && text[..label.start - 1].trim_end().ends_with('(') {
        let rest = &text[p..];
        let after_comma = rest.trim_start_matches([' ', '\t']).strip_prefix(',')?;
        let value = after_comma.trim_start_matches([' ', '\t']);
        return value.starts_with(['"', '\'']).then(|| (Form::Assigned, text.len() - value.len()));
    }
    if let Some(found) = explicit_separator(text, label, p) {
        return Some(found);
    }
    if let Some(after) = qualifier(text, p) {
        return explicit_separator(text, label, after);
    }
    // A bare space: a flag's argument, or `.netrc`'s `login … password …`, or prose.
    let gap = spaces(bytes, p);
    if gap == 0 {
        return None;
    }
    let mut window_start = label.start.saturating_sub(200);
    while !text.is_char_boundary(window_start) {
        window_start += 1;
    }
    let before = text[window_start..label.start].to_ascii_lowercase();
    let netrc = before.contains("login ") && before.contains("machine ");
    let form = if label.flag || netrc { Form::Assigned } else { Form::Spaced };
    Some((form, p + gap))
}

pub(super) fn spaces(bytes: &[u8], from: usize) -> usize {
    bytes[from..].iter().take_while(|&&b| b == b' ' || b == b'\t').count()
}

/// A separator right at `q` (after any spaces): `=`, `:`, `：`, `>` closing an XML tag, a particle,
/// "is", "set to".
fn explicit_separator(text: &str, label: &Label, q: usize) -> Option<(Form, usize)> {
    let bytes = text.as_bytes();
    let s = q + spaces(bytes, q);
    let rest = &text[s..];
    let lead = s - q;
    for sep in [":=", "=>", "==", "="] {
        if rest.starts_with(sep) {
            let v = s + sep.len();
            return Some((Form::Assigned, v + spaces(bytes, v)));
        }
    }
    if let Some(r) = rest.strip_prefix('：') {
        let v = s + rest.len() - r.len();
        return Some((Form::Labelled, v + spaces(bytes, v)));
    }
    if rest.starts_with(':') && !rest.starts_with("://") {
        let v = s + 1;
        let gap = spaces(bytes, v);
        let form = if gap > 0 || label.phrase { Form::Labelled } else { Form::Assigned };
        return Some((form, v + gap));
    }
    if rest.starts_with('>') && lead == 0 && text[..label.start].ends_with('<') {
        return Some((Form::Assigned, s + 1));
    }
    if lead == 0 && label.phrase {
        for particle in ["是", "为", "為", "は", "が", "는", "은", "이", "가", "을", "를"] {
            if rest.starts_with(particle) {
                let v = s + particle.len();
                return Some((Form::Said, v + spaces(bytes, v)));
            }
        }
    }
    if lead > 0 {
        let lower = rest.get(..16.min(rest.len())).unwrap_or(rest).to_lowercase();
        for word in IS_WORDS.iter().chain(SET_TO) {
            if let Some(r) = lower.strip_prefix(word)
                && r.starts_with([' ', '\t'])
            {
                let v = s + word.len();
                return Some((Form::Said, v + spaces(bytes, v)));
            }
        }
    }
    None
}

/// "for the root account", "of ci-deploy", "du compte root", "(root)": up to four words between a
/// field name and its separator, none of them saying the name is about something else
/// ([`ABOUT_THE_FIELD`]). Returns where the separator starts.
fn qualifier(text: &str, from: usize) -> Option<usize> {
    let rest = &text[from..];
    let trimmed = rest.trim_start_matches([' ', '\t']);
    let lead = rest.len() - trimmed.len();
    if let Some(inner) = trimmed.strip_prefix('(') {
        let close = inner.find(')').filter(|&i| i <= 40 && !inner[..i].contains('\n'))?;
        return Some(from + lead + 1 + close + 1);
    }
    if lead == 0 {
        return None;
    }
    let bytes = text.as_bytes();
    let mut at = from + lead;
    for _ in 0..4 {
        let word_len = text[at..].find([' ', '\t', '\n']).unwrap_or(text.len() - at);
        let word = &text[at..at + word_len];
        if word.is_empty() || word.chars().count() > 24 {
            return None;
        }
        let bare = word.trim_end_matches([':', '=', '：', ',']).to_lowercase();
        let plain = bare.starts_with(char::is_alphanumeric)
            && bare.chars().all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '@' | '\'' | '/'));
        if !plain || ABOUT_THE_FIELD.contains(&bare.as_str()) || IS_WORDS.contains(&bare.as_str()) {
            return None;
        }
        // The separator may be glued to the word: "for root: …", "for root=…".
        if let Some(i) = word.find([':', '=', '：']) {
            return Some(at + i);
        }
        at += word_len;
        let next = at + spaces(bytes, at);
        let after = &text[next..];
        let lower = after.get(..12.min(after.len())).unwrap_or(after).to_lowercase();
        let is_word = IS_WORDS.iter().any(|w| lower.strip_prefix(w).is_some_and(|r| r.starts_with([' ', '\t'])));
        if after.starts_with([':', '=', '：']) || (next > at && is_word) {
            return Some(at);
        }
        if next == at {
            return None;
        }
        at = next;
    }
    None
}
