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

use super::shapes::{base64_decode, printable_pair, url_password};
use super::{Check, Found, Keyword, MIN_VALUE_CHARS, SecretKind, Triggered, line_before};

/// Keywords for field names.
pub(crate) const KEYWORDS: &[(&str, Keyword)] = &[
    // Pieces of ASCII field names, widened to the whole name.
    ("pass", Keyword::Label),
    ("pw", Keyword::Label),
    ("secret", Keyword::Label),
    ("token", Keyword::Label),
    ("key", Keyword::Label),
    ("auth", Keyword::Label),
    ("cred", Keyword::Label),
    ("pat", Keyword::Label),
    ("code", Keyword::Label),
    ("seed", Keyword::Label),
    ("phrase", Keyword::Label),
    ("mnemonic", Keyword::Label),
    // Administrators' user names, for `root / …` and `admin: …` (see `admin_credentials`).
    ("root", Keyword::Label),
    ("admin", Keyword::Label),
    ("sa", Keyword::Label),
    ("superuser", Keyword::Label),
    ("postgres", Keyword::Label),
    ("kennwort", Keyword::Label),
    ("wachtwoord", Keyword::Label),
    ("senha", Keyword::Label),
    ("contrasena", Keyword::Label),
    ("salasana", Keyword::Label),
    ("heslo", Keyword::Label),
    ("haslo", Keyword::Label),
    ("sifre", Keyword::Label),
    ("parola", Keyword::Label),
    ("jelszo", Keyword::Label),
    ("losenord", Keyword::Label),
    ("adgangskode", Keyword::Label),
    ("mdp", Keyword::Label),
    ("clave", Keyword::Label),
    ("jeton", Keyword::Label),
    // Labels that are not one ASCII word, taken as they are (see PHRASES).
    ("mot de passe", Keyword::Label),
    ("mot-de-passe", Keyword::Label),
    ("palavra-passe", Keyword::Label),
    ("contraseña", Keyword::Label),
    ("hasło", Keyword::Label),
    ("jelszó", Keyword::Label),
    ("şifre", Keyword::Label),
    ("lösenord", Keyword::Label),
    ("parolă", Keyword::Label),
    ("пароль", Keyword::Label),
    ("парола", Keyword::Label),
    ("κωδικός", Keyword::Label),
    ("密码", Keyword::Label),
    ("密碼", Keyword::Label),
    ("口令", Keyword::Label),
    ("パスワード", Keyword::Label),
    ("暗証番号", Keyword::Label),
    ("비밀번호", Keyword::Label),
    ("비밀 번호", Keyword::Label),
    ("비번", Keyword::Label),
    ("암호", Keyword::Label),
    ("패스워드", Keyword::Label),
    ("كلمة المرور", Keyword::Label),
    ("كلمة السر", Keyword::Label),
    ("סיסמה", Keyword::Label),
    ("סיסמא", Keyword::Label),
    ("पासवर्ड", Keyword::Label),
    ("รหัสผ่าน", Keyword::Label),
    ("mật khẩu", Keyword::Label),
    ("kata sandi", Keyword::Label),
    ("kata laluan", Keyword::Label),
    ("رمز عبور", Keyword::Label),
    ("시크릿", Keyword::Label),
    ("シークレット", Keyword::Label),
    ("密钥", Keyword::Label),
    ("秘钥", Keyword::Label),
    ("clé secrète", Keyword::Label),
    ("clave secreta", Keyword::Label),
    ("chave secreta", Keyword::Label),
    ("秘密鍵", Keyword::Label),
    ("私钥", Keyword::Label),
    ("개인 키", Keyword::Label),
    ("개인키", Keyword::Label),
    ("clé privée", Keyword::Label),
    ("clave privada", Keyword::Label),
    ("chave privada", Keyword::Label),
    ("토큰", Keyword::Label),
    ("токен", Keyword::Label),
    ("トークン", Keyword::Label),
    ("令牌", Keyword::Label),
    ("api 키", Keyword::Label),
    ("api키", Keyword::Label),
    ("apiキー", Keyword::Label),
    ("api キー", Keyword::Label),
    ("api-schlüssel", Keyword::Label),
    ("api schlüssel", Keyword::Label),
    ("clé api", Keyword::Label),
    ("clé d'api", Keyword::Label),
    ("cle api", Keyword::Label),
    ("clave api", Keyword::Label),
    ("clave de api", Keyword::Label),
    ("chave de api", Keyword::Label),
    ("chave api", Keyword::Label),
    ("chiave api", Keyword::Label),
    ("api-ключ", Keyword::Label),
    ("ключ api", Keyword::Label),
    ("identified by", Keyword::Label),
];

/// Labels that are not one ASCII word, and the kind of secret after them.
const PHRASES: &[(&str, SecretKind)] = &[
    ("mot de passe", SecretKind::Password),
    ("mot-de-passe", SecretKind::Password),
    ("palavra-passe", SecretKind::Password),
    ("contraseña", SecretKind::Password),
    ("hasło", SecretKind::Password),
    ("jelszó", SecretKind::Password),
    ("şifre", SecretKind::Password),
    ("lösenord", SecretKind::Password),
    ("parolă", SecretKind::Password),
    ("пароль", SecretKind::Password),
    ("парола", SecretKind::Password),
    ("κωδικός", SecretKind::Password),
    ("密码", SecretKind::Password),
    ("密碼", SecretKind::Password),
    ("口令", SecretKind::Password),
    ("パスワード", SecretKind::Password),
    ("暗証番号", SecretKind::Password),
    ("비밀번호", SecretKind::Password),
    ("비밀 번호", SecretKind::Password),
    ("비번", SecretKind::Password),
    ("암호", SecretKind::Password),
    ("패스워드", SecretKind::Password),
    ("كلمة المرور", SecretKind::Password),
    ("كلمة السر", SecretKind::Password),
    ("סיסמה", SecretKind::Password),
    ("סיסמא", SecretKind::Password),
    ("पासवर्ड", SecretKind::Password),
    ("รหัสผ่าน", SecretKind::Password),
    ("mật khẩu", SecretKind::Password),
    ("kata sandi", SecretKind::Password),
    ("kata laluan", SecretKind::Password),
    ("رمز عبور", SecretKind::Password),
    ("identified by", SecretKind::Password),
    ("시크릿", SecretKind::ClientSecret),
    ("シークレット", SecretKind::ClientSecret),
    ("密钥", SecretKind::ClientSecret),
    ("秘钥", SecretKind::ClientSecret),
    ("clé secrète", SecretKind::ClientSecret),
    ("clave secreta", SecretKind::ClientSecret),
    ("chave secreta", SecretKind::ClientSecret),
    ("秘密鍵", SecretKind::PrivateKey),
    ("私钥", SecretKind::PrivateKey),
    ("개인 키", SecretKind::PrivateKey),
    ("개인키", SecretKind::PrivateKey),
    ("clé privée", SecretKind::PrivateKey),
    ("clave privada", SecretKind::PrivateKey),
    ("chave privada", SecretKind::PrivateKey),
    ("토큰", SecretKind::ApiToken),
    ("токен", SecretKind::ApiToken),
    ("トークン", SecretKind::ApiToken),
    ("令牌", SecretKind::ApiToken),
    ("api 키", SecretKind::ApiToken),
    ("api키", SecretKind::ApiToken),
    ("apiキー", SecretKind::ApiToken),
    ("api キー", SecretKind::ApiToken),
    ("api-schlüssel", SecretKind::ApiToken),
    ("api schlüssel", SecretKind::ApiToken),
    ("clé api", SecretKind::ApiToken),
    ("clé d'api", SecretKind::ApiToken),
    ("cle api", SecretKind::ApiToken),
    ("clave api", SecretKind::ApiToken),
    ("clave de api", SecretKind::ApiToken),
    ("chave de api", SecretKind::ApiToken),
    ("chave api", SecretKind::ApiToken),
    ("chiave api", SecretKind::ApiToken),
    ("api-ключ", SecretKind::ApiToken),
    ("ключ api", SecretKind::ApiToken),
];

/// Whole words that name a password field.
const PASSWORD_WORDS: &[&str] = &[
    "password",
    "passwords",
    "passwd",
    "passphrase",
    "pass",
    "pwd",
    "pw",
    "pswd",
    "passw",
    "passwort",
    "kennwort",
    "wachtwoord",
    "passord",
    "senha",
    "contrasena",
    "salasana",
    "heslo",
    "haslo",
    "sifre",
    "parola",
    "jelszo",
    "losenord",
    "adgangskode",
    "mdp",
    "clave",
    "storepass",
    "keypass",
    "srcstorepass",
    "deststorepass",
    "cred",
    "creds",
    "credential",
    "credentials",
];

/// Endings that make a run-together word a password field (`PGPASSWORD`, `rootpassword`).
const PASSWORD_ENDINGS: &[&str] = &["password", "passwd", "passphrase", "passwort", "kennwort"];

/// Run-together words ending in `pass` or `pwd` that are password fields (`dbpass`, `smtppass`);
/// others (`bypass`, `compass`) are not, unless written in capitals like an environment variable.
const SHORT_PASSWORD_PREFIXES: &[&str] = &[
    "db", "smtp", "mysql", "pg", "root", "admin", "user", "ldap", "ftp", "redis", "mail", "bind", "proxy", "vnc",
    "wifi", "sudo", "become", "master", "app", "api", "amqp", "mq", "sql", "ssh", "vpn", "sa",
];

/// Words before `key` that make it a secret key (`api key`, `AccountKey`, `x-api-key`).
const KEY_QUALIFIERS: &[&str] = &[
    "api",
    "access",
    "secret",
    "private",
    "account",
    "master",
    "encryption",
    "decryption",
    "signing",
    "client",
    "app",
    "application",
    "auth",
    "admin",
    "service",
    "subscription",
    "storage",
    "consumer",
    "sas",
    "shared",
    "function",
    "functions",
    "hmac",
    "jwt",
    "session",
    "webhook",
    "preshared",
    "recovery",
    "license",
    "ingest",
    "insert",
];

/// Run-together words ending in a secret key's name, and the kind after them.
const KEY_ENDINGS: &[(&str, SecretKind)] = &[
    ("secretaccesskey", SecretKind::AwsSecretAccessKey),
    ("apikey", SecretKind::ApiToken),
    ("appkey", SecretKind::ApiToken),
    ("authkey", SecretKind::ApiToken),
    ("subscriptionkey", SecretKind::ApiToken),
    ("privatekey", SecretKind::PrivateKey),
    ("secretkey", SecretKind::ClientSecret),
    ("accesskey", SecretKind::ClientSecret),
    ("accountkey", SecretKind::ClientSecret),
    ("masterkey", SecretKind::ClientSecret),
    ("signingkey", SecretKind::ClientSecret),
    ("encryptionkey", SecretKind::ClientSecret),
    ("sharedaccesskey", SecretKind::ClientSecret),
    ("presharedkey", SecretKind::ClientSecret),
    ("consumerkey", SecretKind::ClientSecret),
    ("clientkey", SecretKind::ClientSecret),
    ("hmackey", SecretKind::ClientSecret),
    ("storagekey", SecretKind::ClientSecret),
    ("adminkey", SecretKind::ClientSecret),
    ("functionkey", SecretKind::ClientSecret),
];

/// Words before `token` that make it a pagination, idempotency or verification token: not a secret.
const NOT_SECRET_TOKENS: &[&str] = &[
    "next",
    "continuation",
    "page",
    "pagination",
    "client",
    "idempotency",
    "cancel",
    "csrf",
    "xsrf",
    "sync",
    "marker",
    "verification",
    "sequence",
    "upload",
];

/// Trailing words that leave a field what it is (`password_value`, `password2`, `SECRET_STRING`).
const NEUTRAL_SUFFIXES: &[&str] = &[
    "value",
    "str",
    "string",
    "b64",
    "base64",
    "plain",
    "plaintext",
    "raw",
    "old",
    "new",
    "current",
    "hash",
    "text",
    "base",
];

/// What a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Secret(SecretKind),
    /// `auth`: base64 of `user:password` (Docker's `config.json`, `.npmrc`'s `_auth`).
    Auth,
    /// An administrator's user name (`root`, `admin`): `root / …` and `admin: …` give a password.
    AdminUser,
}

/// User names whose `name / …` or `name: …` is a password when what follows looks strongly random
/// (`MySQL root: q8rnNoeJp48I!`): alone, these words are far more often prose or an id
/// (`root r-ab12`), so the bar is higher than for a field.
const ADMIN_USERS: &[&str] = &["root", "admin", "administrator", "sa", "superuser", "postgres"];

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

/// A field name found in the text, widened from a keyword.
struct Label {
    start: usize,
    end: usize,
    /// Written as a command-line flag (`--password`, `-storepass`).
    flag: bool,
    /// Not an ASCII word (`пароль`, `密码`, `mot de passe`).
    phrase: bool,
    field: Option<Field>,
}

pub(crate) fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
}

/// The field name around a keyword found at `start..end`, and what it holds.
fn widen(text: &str, start: usize, end: usize) -> Option<Label> {
    let bytes = text.as_bytes();
    let keyword = &text[start..end];
    if !keyword.bytes().all(is_name_byte) {
        let kind = PHRASES.iter().find(|(p, _)| keyword.to_lowercase() == *p).map(|&(_, k)| k)?;
        // `mot de passe` inside a longer word is no label; CJK labels have no word boundaries. A
        // Scandinavian definite ending (`lösenordet`) belongs to the label.
        let alone = |c: Option<char>| c.is_none_or(|c| !c.is_ascii_alphanumeric());
        let after = &text[end..];
        let ending = ["et", "en"].iter().find(|e| after.starts_with(*e) && alone(after[e.len()..].chars().next()));
        let end = end + ending.map_or(0, |e| e.len());
        if !(alone(text[..start].chars().next_back()) && alone(text[end..].chars().next())) {
            return None;
        }
        return Some(Label { start, end, flag: false, phrase: true, field: Some(Field::Secret(kind)) });
    }
    let left = bytes[..start].iter().rev().take(64).take_while(|&&b| is_name_byte(b)).count();
    let right = bytes[end..].iter().take(64).take_while(|&&b| is_name_byte(b)).count();
    let (mut s, mut e) = (start - left, end + right);
    while e > s && matches!(bytes[e - 1], b'.' | b'-') {
        e -= 1;
    }
    let flag = bytes[s] == b'-';
    while s < e && matches!(bytes[s], b'.' | b'-' | b'_') {
        s += 1;
    }
    let field = classify(&text[s..e], &previous_words(text, s));
    Some(Label { start: s, end: e, flag, phrase: false, field })
}

/// The two words before `at`, each across one space ("secret access" in "secret access key"),
/// lower-cased, nearest last.
fn previous_words(text: &str, mut at: usize) -> Vec<String> {
    let mut out = Vec::new();
    for _ in 0..2 {
        let Some(before) = text[..at].strip_suffix(' ') else { break };
        let len = before.bytes().rev().take_while(u8::is_ascii_alphanumeric).count();
        if len == 0 {
            break;
        }
        out.insert(0, before[before.len() - len..].to_ascii_lowercase());
        at = before.len() - len;
    }
    out
}

/// The words of a field name: split at `_`, `-`, `.`, at humps (`dbPassword`, `APIKey`) and
/// between letters and digits; lower-cased.
fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in name.split(|c: char| !c.is_ascii_alphanumeric()).filter(|p| !p.is_empty()) {
        let b = part.as_bytes();
        let mut from = 0;
        for i in 1..b.len() {
            let hump = b[i - 1].is_ascii_lowercase() && b[i].is_ascii_uppercase();
            let acronym_end = b[i - 1].is_ascii_uppercase()
                && b[i].is_ascii_uppercase()
                && b.get(i + 1).is_some_and(u8::is_ascii_lowercase);
            let digits = b[i - 1].is_ascii_digit() != b[i].is_ascii_digit();
            if hump || acronym_end || digits {
                out.push(part[from..i].to_ascii_lowercase());
                from = i;
            }
        }
        out.push(part[from..].to_ascii_lowercase());
    }
    out
}

/// Verbs that make a name an action rather than a field: `delete-secret`, `get-login-password`,
/// `--delete-secret-keys`.
const ACTIONS: &[&str] = &[
    "delete", "remove", "rm", "list", "get", "describe", "show", "export", "import", "rotate", "revoke", "create",
    "generate", "reset", "forgot", "verify", "validate", "update", "change", "disable", "enable", "schedule", "cancel",
    "restore", "put", "has", "no", "without", "use", "require", "requires", "ask", "prompt", "read", "fetch", "load",
    "lookup", "find", "check", "test", "send", "issue", "renew", "expire", "manage",
];

/// What a field named `name` holds, if it is a secret field at all. `before` are the words before
/// it across spaces, for "api key", "secret access key" and "next token".
fn classify(name: &str, before: &[String]) -> Option<Field> {
    let mut words = words(name);
    while words.len() > 1
        && words.last().is_some_and(|w| NEUTRAL_SUFFIXES.contains(&w.as_str()) || w.bytes().all(|b| b.is_ascii_digit()))
    {
        words.pop();
    }
    if words.len() > 1 && ACTIONS.contains(&words[0].as_str()) {
        return None;
    }
    let last = words.last()?.as_str();
    let prev = if words.len() > 1 { Some(words[words.len() - 2].as_str()) } else { before.last().map(String::as_str) };
    let has = |w: &str| words.iter().chain(if words.len() > 1 { &[][..] } else { before }).any(|x| x == w);
    let upper_case_name = !name.bytes().any(|b| b.is_ascii_lowercase());

    // `passordet`, `adgangskoden`: the Scandinavian definite form of a password word.
    let definite = ["et", "en"].iter().any(|e| last.strip_suffix(e).is_some_and(|w| PASSWORD_WORDS.contains(&w)));
    if PASSWORD_WORDS.contains(&last) || PASSWORD_ENDINGS.iter().any(|e| last.ends_with(e)) || definite {
        return Some(Field::Secret(SecretKind::Password));
    }
    for short in ["pass", "pwd"] {
        if let Some(prefix) = last.strip_suffix(short)
            && (SHORT_PASSWORD_PREFIXES.contains(&prefix) || (upper_case_name && !prefix.is_empty()))
        {
            return Some(Field::Secret(SecretKind::Password));
        }
    }
    if last == "secret" || last == "secrets" || (last.ends_with("secret") && last.len() > "secret".len()) {
        return Some(Field::Secret(SecretKind::ClientSecret));
    }
    if last == "key" || last == "keys" {
        let prev = prev?;
        if !KEY_QUALIFIERS.contains(&prev) {
            return None;
        }
        let kind = if has("secret") && (has("access") || has("aws")) {
            SecretKind::AwsSecretAccessKey
        } else if has("secret") {
            SecretKind::ClientSecret
        } else if prev == "private" {
            SecretKind::PrivateKey
        } else if matches!(prev, "api" | "app" | "application" | "auth" | "subscription") {
            SecretKind::ApiToken
        } else {
            SecretKind::ClientSecret
        };
        return Some(Field::Secret(kind));
    }
    if let Some(&(_, kind)) = KEY_ENDINGS.iter().find(|(e, _)| last.ends_with(e)) {
        return Some(Field::Secret(kind));
    }
    if let Some(prefix) = last.strip_suffix("tokens").or_else(|| last.strip_suffix("token")) {
        let qualifier = if prefix.is_empty() { prev } else { Some(prefix) };
        if qualifier.is_some_and(|q| NOT_SECRET_TOKENS.contains(&q)) {
            return None;
        }
        let kind = if has("aws") && has("session") { SecretKind::AwsSessionToken } else { SecretKind::ApiToken };
        return Some(Field::Secret(kind));
    }
    // MFA recovery codes, TOTP seeds and wallet phrases are credentials like a password.
    let second_factor = |w: Option<&str>| {
        w.is_some_and(|w| ["recovery", "backup", "mfa", "otp", "totp", "2fa", "emergency"].contains(&w))
    };
    if (matches!(last, "code" | "codes") && second_factor(prev))
        || (matches!(last, "phrase" | "phrases")
            && prev.is_some_and(|w| ["seed", "recovery", "secret", "wallet"].contains(&w)))
        || last == "mnemonic"
    {
        return Some(Field::Secret(SecretKind::Password));
    }
    if last == "seed" && second_factor(prev) {
        return Some(Field::Secret(SecretKind::ClientSecret));
    }
    if words.len() == 1 && ADMIN_USERS.contains(&last) {
        return Some(Field::AdminUser);
    }
    match last {
        "jeton" | "pat" | "pats" | "authorization" | "authorisation" => Some(Field::Secret(SecretKind::ApiToken)),
        "auth" if words.len() == 1 => Some(Field::Auth),
        _ => None,
    }
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
fn separator(text: &str, label: &Label) -> Option<(Form, usize)> {
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

fn spaces(bytes: &[u8], from: usize) -> usize {
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
fn camel_words(segment: &str) -> bool {
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
fn is_reference(value: &str) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_are_read_as_words() {
        assert_eq!(words("MYSQL_ROOT_PASSWORD"), ["mysql", "root", "password"]);
        assert_eq!(words("dbPassword2"), ["db", "password", "2"]);
        assert_eq!(words("APIKey"), ["api", "key"]);
        assert_eq!(words("x-api-key"), ["x", "api", "key"]);
        assert_eq!(words("spring.datasource.password"), ["spring", "datasource", "password"]);
    }

    #[test]
    fn the_name_decides_whether_it_is_a_secret_field() {
        let kind = |name: &str, before: Option<&str>| {
            classify(name, &before.map(str::to_owned).into_iter().collect::<Vec<_>>())
        };
        let secret = |k| Some(Field::Secret(k));
        for name in
            ["password", "DB_PASSWORD", "PGPASSWORD", "dbPass", "SMTP_PASS", "DBPASS", "password_value", "Passwort"]
        {
            assert_eq!(kind(name, None), secret(SecretKind::Password), "{name}");
        }
        assert_eq!(kind("aws_secret_access_key", None), secret(SecretKind::AwsSecretAccessKey));
        assert_eq!(kind("SecretAccessKey", None), secret(SecretKind::AwsSecretAccessKey));
        assert_eq!(kind("client_secret", None), secret(SecretKind::ClientSecret));
        assert_eq!(kind("AccountKey", None), secret(SecretKind::ClientSecret));
        assert_eq!(kind("x-api-key", None), secret(SecretKind::ApiToken));
        assert_eq!(kind("key", Some("api")), secret(SecretKind::ApiToken));
        assert_eq!(kind("PrivateKey", None), secret(SecretKind::PrivateKey));
        assert_eq!(kind("access_token", None), secret(SecretKind::ApiToken));
        assert_eq!(kind("aws_session_token", None), secret(SecretKind::AwsSessionToken));
        assert_eq!(kind("auth", None), Some(Field::Auth));
        for name in
            ["password_policy", "bypass", "compass", "NextToken", "next_token", "secret_name", "secret-id", "keyboard"]
        {
            assert_eq!(kind(name, None), None, "{name}");
        }
        assert_eq!(kind("key", Some("public")), None);
        assert_eq!(kind("key", None), None);
        assert_eq!(kind("token", Some("next")), None);
    }

    #[test]
    fn values_keep_their_symbols_but_not_the_next_pair_or_sentence_punctuation() {
        fn value(s: &str) -> &str {
            take_value(s, 0, false).text
        }
        assert_eq!(value("Tr0ub&dor,x/y(z) next"), "Tr0ub&dor,x/y(z)");
        assert_eq!(value("Ttj2u1ls&format=json"), "Ttj2u1ls");
        assert_eq!(value("Xk2!mf9Lq;Database=billing"), "Xk2!mf9Lq");
        assert_eq!(value("hunter22)."), "hunter22");
        assert_eq!(value("'quoted value' rest"), "quoted value");
        assert_eq!(value("\\\"escaped\\\""), "escaped");
        assert_eq!(value("abc<"), "abc");
    }

    #[test]
    fn variables_are_placeholders_but_dollar_values_are_not() {
        for v in ["$DB_PASSWORD", "$password", "${PW}", "$(cat pw.txt)", "$env:PW", "%PASSWORD%", "{{ secrets.token }}"]
        {
            assert!(is_placeholder(v), "{v}");
        }
        for v in ["$3cr3t", "$ecretPass", "(Xk2!mf9)", "Tr0ub4dor"] {
            assert!(!is_placeholder(v), "{v}");
        }
    }

    #[test]
    fn camel_case_product_names_are_words() {
        for w in ["OpsNow", "GitHub", "CenturyLink", "PagerDuty", "payDay"] {
            assert!(camel_words(w), "{w}");
        }
        for w in ["cOrReCt", "aB", "OpsN", "ABCdef", "Ops"] {
            assert!(!camel_words(w), "{w}");
        }
    }

    #[test]
    fn references_are_recognised() {
        for v in
            ["ops-admin@acme.example", "2026-11-20", "2026-11-20T14:05:00Z", "prod/db/root", "kv/acct-1/", "arn:aws:x"]
        {
            assert!(is_reference(v), "{v}");
        }
        for v in ["Xk2!mf9@host", "2026-11-2x", "Tr0ub/4dor", "https://a:b@c"] {
            assert!(!is_reference(v), "{v}");
        }
    }
}
