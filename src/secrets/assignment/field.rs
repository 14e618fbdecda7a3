//! Field names: the keywords that start a look, and whether a name is a secret field.

use super::super::{Keyword, SecretKind};

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
pub(super) enum Field {
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
/// A field name found in the text, widened from a keyword.
pub(super) struct Label {
    pub(super) start: usize,
    pub(super) end: usize,
    /// Written as a command-line flag (`--password`, `-storepass`).
    pub(super) flag: bool,
    /// Not an ASCII word (`пароль`, `密码`, `mot de passe`).
    pub(super) phrase: bool,
    pub(super) field: Option<Field>,
}

pub(crate) fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
}

/// The field name around a keyword found at `start..end`, and what it holds.
pub(super) fn widen(text: &str, start: usize, end: usize) -> Option<Label> {
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
pub(super) fn words(name: &str) -> Vec<String> {
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
pub(super) fn classify(name: &str, before: &[String]) -> Option<Field> {
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
