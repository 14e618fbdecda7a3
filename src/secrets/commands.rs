//! Command lines that take a password without naming it: `mysql -pSECRET`, `docker login -p …`,
//! `sshpass -p …`, `curl -u user:…`, `sqlplus user/…@db`, `echo … | docker login
//! --password-stdin`. A command word the keyword pass found is checked to be the whole word, and
//! its arguments are read up to the end of the command (a line break, `|`, `;`, `&&`).

use super::assignment::{Form, MAX_VALUE, is_name_byte, looks_like_value};
use super::{Check, Found, Keyword, SecretKind, Triggered, line_before};

/// Keywords for the commands.
pub(crate) const KEYWORDS: &[(&str, Keyword)] = &[
    ("mysql", Keyword::Command),
    ("mariadb", Keyword::Command),
    ("mongo", Keyword::Command),
    ("sshpass", Keyword::Command),
    ("redis-cli", Keyword::Command),
    ("sqlcmd", Keyword::Command),
    ("ipmitool", Keyword::Command),
    ("ldap", Keyword::Command),
    ("smbclient", Keyword::Command),
    ("rpcclient", Keyword::Command),
    ("htpasswd", Keyword::Command),
    ("net user", Keyword::Command),
    ("net use", Keyword::Command),
    ("psexec", Keyword::Command),
    (" login", Keyword::Command),
    ("password-stdin", Keyword::Command),
    ("convertto-securestring", Keyword::Command),
    ("sqlplus", Keyword::Command),
    ("curl", Keyword::Command),
];

/// Every command-line password in `text`.
pub(crate) fn find(text: &str, lowered: &str, triggered: &Triggered) -> Vec<Found> {
    let mut out = Vec::new();
    // The same command word inside the arguments just read (`mysql mysql …`) is one of them.
    let mut read: Option<(&str, usize)> = None;
    for &(start, end) in &triggered.commands {
        let keyword = &lowered[start..end];
        if read.is_some_and(|(k, until)| k == keyword && start < until) {
            continue;
        }
        read = Some((keyword, command(text, lowered, start, end, &mut out)));
    }
    out
}

/// How a command takes its password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Takes {
    /// `-pSECRET`, glued (`mysql`, where `-p secret` would prompt and name a database).
    Glued(char),
    /// `-p SECRET` or `-pSECRET`.
    Flag(char),
    /// `-U user%SECRET`.
    UserPercent,
    /// `htpasswd -b file user SECRET`.
    Htpasswd,
    /// `net user NAME SECRET`.
    NetUser,
    /// `net use Z: \\server\share SECRET`.
    NetUse,
    /// `echo SECRET | … --password-stdin`.
    EchoPipe,
    /// The first argument that is not a flag (`ConvertTo-SecureString "…" -AsPlainText`).
    FirstArgument,
    /// `user/SECRET@database` (`sqlplus`).
    SlashAt,
    /// `-u user:SECRET` (`curl`).
    UserColon,
}

/// The command a keyword stands for: the whole word must be one of these.
fn command_takes(word: &str) -> Option<Takes> {
    Some(match word {
        "mysql" | "mysqldump" | "mysqladmin" | "mysqlimport" | "mysqlshow" | "mysqlcheck" | "mysqlsh" | "mariadb"
        | "mariadb-dump" | "mariadb-admin" => Takes::Glued('p'),
        "sshpass" | "mongo" | "mongosh" | "mongodump" | "mongorestore" | "mongoexport" | "mongoimport" => {
            Takes::Flag('p')
        }
        "redis-cli" => Takes::Flag('a'),
        "sqlcmd" | "ipmitool" => Takes::Flag('P'),
        "psexec" | "psexec64" => Takes::Flag('p'),
        "ldapsearch" | "ldapmodify" | "ldapadd" | "ldapdelete" | "ldapwhoami" | "ldappasswd" | "ldapcompare" => {
            Takes::Flag('w')
        }
        "smbclient" | "rpcclient" => Takes::UserPercent,
        "htpasswd" => Takes::Htpasswd,
        "net user" => Takes::NetUser,
        "net use" => Takes::NetUse,
        "password-stdin" => Takes::EchoPipe,
        "convertto-securestring" => Takes::FirstArgument,
        "sqlplus" => Takes::SlashAt,
        "curl" => Takes::UserColon,
        _ => return None,
    })
}

/// Registry and platform logins whose `-p` is the password: `docker login -u ci -p …`.
const LOGINS: &[&str] =
    &["docker", "podman", "buildah", "skopeo", "nerdctl", "helm registry", "oras", "cf", "az", "oc", "crane auth"];

/// The password on the command line at the keyword `start..end`, if it is such a command;
/// returns where the arguments read end, so that the caller skips commands inside them.
fn command(text: &str, lowered: &str, start: usize, end: usize, out: &mut Vec<Found>) -> usize {
    let bytes = text.as_bytes();
    let keyword = &lowered[start..end];
    let takes = if keyword == " login" {
        let before = lowered[..start].trim_end();
        if !LOGINS.iter().any(|l| before.ends_with(l)) || bytes.get(end).is_some_and(|&b| is_name_byte(b)) {
            return end;
        }
        Takes::Flag('p')
    } else if keyword.contains(' ') || keyword == "password-stdin" || keyword == "convertto-securestring" {
        let Some(t) = command_takes(keyword) else { return end };
        t
    } else {
        let left = bytes[..start].iter().rev().take_while(|&&b| is_name_byte(b)).count();
        let right = bytes[end..].iter().take_while(|&&b| is_name_byte(b)).count();
        let Some(t) = command_takes(&lowered[start - left..end + right]) else { return end };
        t
    };
    let args = arguments(text, end);
    let read_until = args.last().map_or(end, |a| a.1);
    if let Some((s, e)) = password_argument(text, takes, &args, start) {
        let value = &text[s..e];
        let kind = if takes == Takes::UserColon { SecretKind::BasicAuth } else { SecretKind::Password };
        if looks_like_value(value, Form::Assigned, "", true) {
            out.push(Found { at: s, start: s, end: e, kind, check: Check::Command });
        }
    }
    read_until
}

/// The span of the password among a command's arguments.
fn password_argument(text: &str, takes: Takes, args: &[(usize, usize)], at: usize) -> Option<(usize, usize)> {
    match takes {
        Takes::Glued(flag) => args.iter().find_map(|&a| glued(text, a, flag)),
        Takes::Flag(flag) => {
            args.iter().enumerate().find_map(|(i, &a)| glued(text, a, flag).or_else(|| separate(text, args, i, flag)))
        }
        Takes::UserPercent => user_argument(text, args, "-U").and_then(|(u, e)| {
            let percent = text[u..e].find('%')?;
            Some((u + percent + 1, e))
        }),
        Takes::UserColon => user_argument(text, args, "-u").and_then(|(u, e)| {
            let colon = text[u..e].find(':')?;
            Some((u + colon + 1, e))
        }),
        Takes::Htpasswd => {
            let flags = args.first().filter(|a| text[a.0..a.1].starts_with('-'))?;
            let flags = &text[flags.0..flags.1];
            let skip = if flags.contains('n') { 2 } else { 3 };
            if flags.contains('b') { args.get(skip).map(|&a| unquote(text, a)) } else { None }
        }
        Takes::NetUser => args.get(1).filter(|a| !text[a.0..a.1].starts_with('/')).map(|&a| unquote(text, a)),
        // `net use Z: \\server\share SECRET /user:…`: the argument after the share.
        Takes::NetUse => {
            let share = args.iter().position(|a| text[a.0..a.1].starts_with("\\\\"))?;
            args.get(share + 1).filter(|a| !text[a.0..a.1].starts_with(['/', '*'])).map(|&a| unquote(text, a))
        }
        Takes::EchoPipe => echoed(text, at),
        Takes::FirstArgument => args.iter().find(|a| !text[a.0..a.1].starts_with('-')).map(|&a| unquote(text, a)),
        Takes::SlashAt => {
            let (s, e) = args.iter().find(|a| !text[a.0..a.1].starts_with('-')).map(|&a| unquote(text, a))?;
            let arg = &text[s..e];
            let slash = arg.find('/').filter(|&i| i > 0)?;
            let end = arg[slash..].find('@').map_or(arg.len(), |i| slash + i);
            Some((s + slash + 1, s + end))
        }
    }
}

/// The argument of `-u`/`-U` or `--user` (`-u name`, `-uname`, `--user name`, `--user=name`),
/// without quotes.
fn user_argument(text: &str, args: &[(usize, usize)], short: &str) -> Option<(usize, usize)> {
    args.iter().enumerate().find_map(|(i, a)| {
        let arg = &text[a.0..a.1];
        let user = if arg == short || arg == "--user" {
            args.get(i + 1).copied()?
        } else if let Some(rest) = arg.strip_prefix("--user=").or_else(|| arg.strip_prefix(short)) {
            (a.1 - rest.len(), a.1)
        } else {
            return None;
        };
        Some(unquote(text, user))
    })
}

/// The spans of the arguments after `from`, up to the end of the command (a line break, `|`, `;`,
/// `&&`); a quoted argument is one span, quotes included.
fn arguments(text: &str, from: usize) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = from;
    let stop = (from + MAX_VALUE).min(bytes.len());
    while i < stop {
        match bytes[i] {
            b' ' | b'\t' => i += 1,
            b'\n' | b'|' | b';' => break,
            b'&' if bytes.get(i + 1) == Some(&b'&') => break,
            _ => {
                let start = i;
                let mut quote = None;
                while i < stop {
                    let b = bytes[i];
                    match quote {
                        Some(q) if b == q => quote = None,
                        None if b == b'"' || b == b'\'' => quote = Some(b),
                        None if b.is_ascii_whitespace() || b == b'|' || b == b';' => break,
                        Some(_) | None => {}
                    }
                    i += 1;
                }
                out.push((start, i));
            }
        }
    }
    out
}

/// An argument's span without the quotes around it.
fn unquote(text: &str, (start, end): (usize, usize)) -> (usize, usize) {
    let arg = &text[start..end];
    for q in ['"', '\''] {
        if arg.len() >= 2 && arg.starts_with(q) && arg.ends_with(q) {
            return (start + 1, end - 1);
        }
    }
    (start, end)
}

/// `-pSECRET`: the value glued to a one-letter flag.
fn glued(text: &str, (start, end): (usize, usize), flag: char) -> Option<(usize, usize)> {
    let arg = &text[start..end];
    let rest = arg.strip_prefix('-')?.strip_prefix(flag)?;
    let rest = rest.strip_prefix('=').unwrap_or(rest);
    if rest.is_empty() || rest.starts_with('-') {
        return None;
    }
    Some(unquote(text, (end - rest.len(), end)))
}

/// `-p SECRET`: the argument after a one-letter flag.
fn separate(text: &str, args: &[(usize, usize)], i: usize, flag: char) -> Option<(usize, usize)> {
    let (start, end) = args[i];
    if !text[start..end].strip_prefix('-')?.strip_prefix(flag)?.is_empty() {
        return None;
    }
    let next = *args.get(i + 1)?;
    (!text[next.0..next.1].starts_with('-')).then(|| unquote(text, next))
}

/// `echo 'SECRET' | docker login --password-stdin`: what is echoed into the pipe before `at`.
fn echoed(text: &str, at: usize) -> Option<(usize, usize)> {
    let line = line_before(text, at);
    let line_start = at - line.len();
    let pipe = line.rfind('|')?;
    let segment = &line[..pipe];
    let echo = segment.rfind("echo ").or_else(|| segment.rfind("printf "))?;
    let args = arguments(text, line_start + echo + segment[echo..].find(' ')?);
    let last = args.iter().rev().find(|a| a.1 <= line_start + pipe && !text[a.0..a.1].starts_with('-'))?;
    let (s, e) = unquote(text, *last);
    (&text[s..e] != "%s").then_some((s, e))
}
