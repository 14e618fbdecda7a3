//! Reading `rules.toml`: a small reader of the subset of TOML it is written in.

use std::fmt;
use std::sync::OnceLock;

use super::{Allowlist, Rule, RuleSet, Target};

/// Why the rules file could not be read, with the line it happened on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParseError {
    pub(crate) line: usize,
    pub(crate) message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rules.toml:{}: {}", self.line, self.message)
    }
}

/// A value of the TOML the rules file uses.
enum Value<'a> {
    Str(&'a str),
    Number(f64),
    Strings(Vec<&'a str>),
}

/// Which table the keys being read belong to.
enum Table {
    Top,
    Allowlist,
    Rule,
    RuleAllowlist,
}

/// Reads the rules file: the subset of TOML it is written in, and only the keys closeacct
/// understands (anything else is an error, so a typo can not silently switch a check off).
pub(crate) fn parse(src: &str) -> Result<RuleSet<'_>, ParseError> {
    let mut reader = Reader { src, pos: 0 };
    let mut set = RuleSet { global: Vec::new(), rules: Vec::new() };
    let mut table = Table::Top;
    loop {
        reader.skip_blank();
        if reader.pos >= src.len() {
            break;
        }
        let at = reader.pos;
        if reader.rest().starts_with('[') {
            let header = reader.take_line().trim();
            table = match header {
                "[[allowlists]]" => {
                    set.global.push(Allowlist::empty());
                    Table::Allowlist
                }
                "[[rules]]" => {
                    set.rules.push(Rule::empty());
                    Table::Rule
                }
                "[[rules.allowlists]]" => {
                    let rule = set.rules.last_mut().ok_or_else(|| ParseError {
                        line: reader.line_at(at),
                        message: "an allowlist before any rule".to_owned(),
                    })?;
                    rule.allowlists.push(Allowlist::empty());
                    Table::RuleAllowlist
                }
                _ => return Err(ParseError { line: reader.line_at(at), message: format!("unknown table {header}") }),
            };
            continue;
        }
        let key = reader.take_key()?;
        let value = reader.take_value()?;
        reader.end_of_line()?;
        let bad = |what: &str| ParseError { line: reader.line_at(at), message: format!("{what} `{key}`") };
        match table {
            Table::Top => match (key, value) {
                ("title", Value::Str(_)) => {}
                _ => return Err(bad("unknown or mistyped top-level key")),
            },
            Table::Allowlist => {
                let list = set.global.last_mut().expect("an allowlist table was opened");
                let targets = matches!(value, Value::Strings(_)) && key == "targetRules";
                match value {
                    Value::Strings(v) if targets => list.target_rules = v,
                    value => list.set(key, value).map_err(|()| bad("unknown or mistyped allowlist key"))?,
                }
            }
            Table::Rule => {
                let rule = set.rules.last_mut().expect("a rule table was opened");
                rule.set(key, value).map_err(|()| bad("unknown or mistyped rule key"))?;
            }
            Table::RuleAllowlist => {
                let rule = set.rules.last_mut().expect("a rule table was opened");
                let list = rule.allowlists.last_mut().expect("an allowlist table was opened");
                list.set(key, value).map_err(|()| bad("unknown or mistyped allowlist key"))?;
            }
        }
    }
    for rule in &set.rules {
        if rule.id.is_empty() || rule.regex.is_empty() || rule.description.is_empty() {
            return Err(ParseError {
                line: 0,
                message: format!("rule `{}` lacks an id, regex or description", rule.id),
            });
        }
    }
    for target in set.global.iter().flat_map(|list| &list.target_rules) {
        if !set.rules.iter().any(|r| r.id == *target) {
            return Err(ParseError {
                line: 0,
                message: format!("an allowlist targets rule `{target}`, which does not exist"),
            });
        }
    }
    Ok(set)
}

impl<'a> Rule<'a> {
    fn empty() -> Rule<'a> {
        Rule {
            id: "",
            description: "",
            regex: "",
            secret_group: None,
            entropy: None,
            keywords: Vec::new(),
            allowlists: Vec::new(),
            compiled: OnceLock::new(),
        }
    }

    fn set(&mut self, key: &str, value: Value<'a>) -> Result<(), ()> {
        match (key, value) {
            ("id", Value::Str(s)) => self.id = s,
            ("description", Value::Str(s)) => self.description = s,
            ("regex", Value::Str(s)) => self.regex = s,
            ("secretGroup", Value::Number(n)) if n >= 0.0 && n.fract() == 0.0 && n < 100.0 => {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let group = n as usize;
                self.secret_group = (group > 0).then_some(group);
            }
            ("entropy", Value::Number(n)) => self.entropy = Some(n),
            ("keywords", Value::Strings(v)) => self.keywords = v,
            _ => return Err(()),
        }
        Ok(())
    }
}

impl<'a> Allowlist<'a> {
    fn empty() -> Allowlist<'a> {
        Allowlist {
            all: false,
            target: Target::Secret,
            regexes: Vec::new(),
            stopwords: Vec::new(),
            target_rules: Vec::new(),
            compiled: OnceLock::new(),
        }
    }

    fn set(&mut self, key: &str, value: Value<'a>) -> Result<(), ()> {
        match (key, value) {
            ("description", Value::Str(_)) => {}
            ("condition", Value::Str(s)) => {
                self.all = match s.to_ascii_uppercase().as_str() {
                    "AND" => true,
                    "OR" => false,
                    _ => return Err(()),
                }
            }
            ("regexTarget", Value::Str(s)) => {
                self.target = match s {
                    "secret" => Target::Secret,
                    "match" => Target::Match,
                    "line" => Target::Line,
                    _ => return Err(()),
                }
            }
            ("regexes", Value::Strings(v)) => self.regexes = v,
            ("stopwords", Value::Strings(v)) => self.stopwords = v,
            _ => return Err(()),
        }
        Ok(())
    }
}

struct Reader<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Reader<'a> {
    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    /// The 1-based line number at byte `at`; only errors need it, so it is counted then.
    fn line_at(&self, at: usize) -> usize {
        memchr::memchr_iter(b'\n', &self.src.as_bytes()[..at]).count() + 1
    }

    fn error(&self, message: &str) -> ParseError {
        ParseError { line: self.line_at(self.pos), message: message.to_owned() }
    }

    /// Skips whitespace, line breaks and comments.
    fn skip_blank(&mut self) {
        let bytes = self.src.as_bytes();
        while self.pos < bytes.len() {
            match bytes[self.pos] {
                b' ' | b'\t' | b'\r' | b'\n' => self.pos += 1,
                b'#' => {
                    self.pos = memchr::memchr(b'\n', &bytes[self.pos..]).map_or(bytes.len(), |i| self.pos + i + 1);
                }
                _ => break,
            }
        }
    }

    fn skip_spaces(&mut self) {
        let bytes = self.src.as_bytes();
        while self.pos < bytes.len() && matches!(bytes[self.pos], b' ' | b'\t') {
            self.pos += 1;
        }
    }

    fn take_line(&mut self) -> &'a str {
        let rest = self.rest();
        let end = rest.find('\n').map_or(rest.len(), |i| i + 1);
        self.pos += end;
        &rest[..end]
    }

    fn take_key(&mut self) -> Result<&'a str, ParseError> {
        let rest = self.rest();
        let end =
            rest.bytes().position(|b| !(b.is_ascii_alphanumeric() || b == b'_' || b == b'-')).unwrap_or(rest.len());
        if end == 0 {
            return Err(self.error("expected a key"));
        }
        self.pos += end;
        self.skip_spaces();
        if !self.rest().starts_with('=') {
            return Err(self.error("expected `=` after the key"));
        }
        self.pos += 1;
        self.skip_spaces();
        Ok(&rest[..end])
    }

    fn take_value(&mut self) -> Result<Value<'a>, ParseError> {
        let rest = self.rest();
        if rest.starts_with('[') {
            self.pos += 1;
            let mut items = Vec::new();
            loop {
                self.skip_blank();
                if self.rest().starts_with(']') {
                    self.pos += 1;
                    return Ok(Value::Strings(items));
                }
                items.push(self.take_string()?);
                self.skip_blank();
                if self.rest().starts_with(',') {
                    self.pos += 1;
                } else if !self.rest().starts_with(']') {
                    return Err(self.error("expected `,` or `]` in an array"));
                }
            }
        }
        if rest.starts_with(['\'', '"']) {
            return self.take_string().map(Value::Str);
        }
        let end = rest.find(|c: char| c.is_whitespace() || c == '#').unwrap_or(rest.len());
        let number = rest[..end].parse::<f64>().map_err(|_| self.error("expected a string, a number or an array"))?;
        self.pos += end;
        Ok(Value::Number(number))
    }

    fn take_string(&mut self) -> Result<&'a str, ParseError> {
        let rest = self.rest();
        let (open, close, multiline) = if rest.starts_with("'''") {
            ("'''", "'''", true)
        } else if rest.starts_with('\'') {
            ("'", "'", false)
        } else if rest.starts_with('"') && !rest.starts_with("\"\"\"") {
            ("\"", "\"", false)
        } else {
            return Err(self.error("expected a literal string ('...', '''...''') or a basic string (\"...\")"));
        };
        let body = &rest[open.len()..];
        let end =
            memchr::memmem::find(body.as_bytes(), close.as_bytes()).ok_or_else(|| self.error("unterminated string"))?;
        let text = &body[..end];
        if !multiline && text.contains('\n') {
            return Err(self.error("line break in a one-line string"));
        }
        if open == "\"" && text.contains('\\') {
            return Err(self.error("escapes in basic strings are not supported; use a literal string"));
        }
        // TOML drops a line break right after the opening quotes of a multi-line string.
        let text = if multiline { text.strip_prefix('\n').unwrap_or(text) } else { text };
        self.pos += open.len() + end + close.len();
        Ok(text)
    }

    fn end_of_line(&mut self) -> Result<(), ParseError> {
        self.skip_spaces();
        let rest = self.rest();
        if rest.is_empty() || rest.starts_with('\n') || rest.starts_with("\r\n") || rest.starts_with('#') {
            self.take_line();
            Ok(())
        } else {
            Err(self.error("unexpected text after the value"))
        }
    }
}
