//! A check as a checklist author writes it (`[stages.steps.check]`), and its validation.
//!
//! The serde types keep what was written, with the positions the loader needs for
//! `file:line:col`; [`Check::validate`] turns them into a [`ValidCheck`] or a [`SpecError`] that
//! names the field and points at the offending value.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use regex::Regex;
use serde::{Deserialize, Serialize};
use toml::Spanned;

/// A command runs for at most this long unless the check says otherwise.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// The longest timeout a check may ask for.
pub(crate) const MAX_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// The placeholder filled with the run's account.
pub(crate) const ACCOUNT: &str = "account";

/// One read-only check, as written in a step's `[stages.steps.check]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// What passing means, in one line ("No EC2 instance that is not terminated, in any region");
    /// `{account}` is replaced by the account, as in a fact's question.
    pub summary: String,
    /// At most one variable, and the command whose whitespace-separated stdout gives its words;
    /// `run` is then run once per word.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub foreach: Option<Spanned<BTreeMap<String, Vec<Spanned<String>>>>>,
    /// The command: a program and its arguments, never a shell line.
    pub run: Spanned<Vec<Spanned<String>>>,
    /// `"empty"`, `"success"`, `{ matches = "REGEX" }` or `{ fails_with = "REGEX" }`.
    pub expect: Spanned<ExpectSpec>,
    /// How long each command may run: `30s`, `5m`; 60 seconds when left out, 10 minutes at most.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Spanned<String>>,
}

/// `expect` as written; [`Check::validate`] decides whether it means anything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ExpectSpec {
    /// `"empty"` or `"success"`.
    Word(String),
    /// `{ matches = "REGEX" }` or `{ fails_with = "REGEX" }`.
    Table(BTreeMap<String, String>),
}

/// What a command's outcome must be for its item to pass.
#[derive(Debug, Clone)]
pub enum Expect {
    /// Exit 0 and nothing but whitespace on stdout; anything printed is what is left.
    Empty,
    /// Exit 0.
    Success,
    /// Exit 0 and stdout matches. Like `FailsWith`, matched against the output with surrounding
    /// whitespace trimmed, so `^True$` matches the `True` and newline the aws CLI prints.
    Matches(Regex),
    /// A non-zero exit whose stderr matches: for questions answered by a refusal, such as
    /// "not in an organization" (`AWSOrganizationsNotInUseException`).
    FailsWith(Regex),
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expect::Empty => f.write_str("empty"),
            Expect::Success => f.write_str("success"),
            Expect::Matches(re) => write!(f, "matches /{re}/"),
            Expect::FailsWith(re) => write!(f, "fails with /{re}/"),
        }
    }
}

/// A word of a command line with its `{name}` placeholders found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Part {
    Text(String),
    Var(String),
}

impl Template {
    /// Finds the placeholders in a word: `{` and `}` around 1-64 letters, digits, `_` or `-`.
    /// Any other brace is text, so a `JMESPath` `{id: InstanceId}` stays as it is.
    pub(crate) fn parse(word: &str) -> Template {
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut rest = word;
        while let Some(open) = rest.find('{') {
            let after = &rest[open + 1..];
            let name_len = after.find(|c: char| !is_name_char(c)).unwrap_or(after.len());
            if (1..=64).contains(&name_len) && after[name_len..].starts_with('}') {
                text.push_str(&rest[..open]);
                if !text.is_empty() {
                    parts.push(Part::Text(std::mem::take(&mut text)));
                }
                parts.push(Part::Var(after[..name_len].to_owned()));
                rest = &after[name_len + 1..];
            } else {
                text.push_str(&rest[..=open]);
                rest = after;
            }
        }
        text.push_str(rest);
        if !text.is_empty() || parts.is_empty() {
            parts.push(Part::Text(text));
        }
        Template { parts }
    }

    /// The names of its placeholders, in order.
    pub(crate) fn placeholders(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Var(name) => Some(name.as_str()),
            Part::Text(_) => None,
        })
    }

    /// The word without placeholders, if it has none.
    pub(crate) fn literal(&self) -> Option<&str> {
        match self.parts.as_slice() {
            [Part::Text(text)] => Some(text),
            _ => None,
        }
    }

    pub(crate) fn parts(&self) -> &[Part] {
        &self.parts
    }

    pub(crate) fn from_parts(parts: Vec<Part>) -> Template {
        Template { parts }
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for part in &self.parts {
            match part {
                Part::Text(text) => f.write_str(text)?,
                Part::Var(name) => write!(f, "{{{name}}}")?,
            }
        }
        Ok(())
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// A check that passed validation: placeholders known, the expectation compiled.
#[derive(Debug, Clone)]
pub struct ValidCheck {
    /// What passing means.
    pub summary: String,
    /// The variable and its command, if the check runs once per word.
    pub foreach: Option<Foreach>,
    /// The command run for each word (or once).
    pub run: Vec<Template>,
    pub expect: Expect,
    /// Per command.
    pub timeout: Duration,
}

/// `foreach`: the variable and the command whose output gives its words.
#[derive(Debug, Clone)]
pub struct Foreach {
    pub(crate) variable: String,
    pub(crate) command: Vec<Template>,
}

/// The field of a check that validation refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Foreach,
    Run,
    Expect,
    Timeout,
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Field::Foreach => "foreach",
            Field::Run => "run",
            Field::Expect => "expect",
            Field::Timeout => "timeout",
        })
    }
}

/// Why a check was refused, which field, and where in the checklist text (a byte range the
/// loader turns into `file:line:col`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("check `{field}`: {reason}")]
pub struct SpecError {
    pub field: Field,
    pub span: Range<usize>,
    pub reason: String,
}

impl Check {
    /// Validates the check against the checklist's fact ids: refuses an empty command, an
    /// unknown or misplaced placeholder, an unused `foreach` variable, an unknown `expect` or a
    /// bad regex, a malformed or too long timeout, and commands that are visibly not read-only
    /// (see [`not_read_only`]).
    pub fn validate(&self, fact_ids: &[&str]) -> Result<ValidCheck, SpecError> {
        let known = |name: &str| name == ACCOUNT || fact_ids.contains(&name);

        let foreach = match &self.foreach {
            None => None,
            Some(table) => {
                let error = |reason: String| SpecError { field: Field::Foreach, span: table.span(), reason };
                let mut entries = table.get_ref().iter();
                let (Some((variable, argv)), None) = (entries.next(), entries.next()) else {
                    return Err(error(format!(
                        "`foreach` takes exactly one variable, as in `foreach = {{ region = [\"aws\", …] }}` (got {})",
                        table.get_ref().len()
                    )));
                };
                if variable.is_empty() || variable.len() > 64 || !variable.chars().all(is_name_char) {
                    return Err(error(format!(
                        "malformed variable name `{}` (use letters, digits, `_` or `-`)",
                        variable.escape_debug()
                    )));
                }
                if known(variable) {
                    return Err(error(format!(
                        "the variable `{variable}` hides {}; choose another name",
                        if variable == ACCOUNT { "the account".to_owned() } else { format!("the fact `{variable}`") }
                    )));
                }
                let command = command(Field::Foreach, argv, table.span(), &|name| {
                    if name == variable {
                        Some(format!("`{{{name}}}` is not known yet while its own `foreach` command runs"))
                    } else if known(name) {
                        None
                    } else {
                        Some(unknown_placeholder(name, None, fact_ids))
                    }
                })?;
                Some(Foreach { variable: variable.clone(), command })
            }
        };

        let variable = foreach.as_ref().map(|f| f.variable.as_str());
        let run = command(Field::Run, self.run.get_ref(), self.run.span(), &|name| {
            (Some(name) != variable && !known(name)).then(|| unknown_placeholder(name, variable, fact_ids))
        })?;
        if let (Some(table), Some(variable)) = (&self.foreach, variable)
            && !run.iter().flat_map(Template::placeholders).any(|name| name == variable)
        {
            return Err(SpecError {
                field: Field::Foreach,
                span: table.span(),
                reason: format!("`run` never uses the `foreach` variable `{{{variable}}}`"),
            });
        }

        Ok(ValidCheck { summary: self.summary.clone(), foreach, run, expect: self.expect()?, timeout: self.timeout()? })
    }

    fn expect(&self) -> Result<Expect, SpecError> {
        let error = |reason: String| SpecError { field: Field::Expect, span: self.expect.span(), reason };
        let expected = "expected \"empty\", \"success\", { matches = \"REGEX\" } or { fails_with = \"REGEX\" }";
        match self.expect.get_ref() {
            ExpectSpec::Word(word) if word == "empty" => Ok(Expect::Empty),
            ExpectSpec::Word(word) if word == "success" => Ok(Expect::Success),
            ExpectSpec::Word(word) => Err(error(format!("unknown expect `{}` ({expected})", word.escape_debug()))),
            ExpectSpec::Table(table) => {
                let mut entries = table.iter();
                let (Some((key, pattern)), None) = (entries.next(), entries.next()) else {
                    return Err(error(format!("unknown expect ({expected})")));
                };
                let regex = || {
                    Regex::new(pattern).map_err(|e| {
                        // The regex crate's message spans several lines; the loader prints one.
                        let detail = e.to_string().lines().last().unwrap_or_default().trim().to_owned();
                        error(format!("bad regex in `{key}`: {detail}"))
                    })
                };
                match key.as_str() {
                    "matches" => Ok(Expect::Matches(regex()?)),
                    "fails_with" => Ok(Expect::FailsWith(regex()?)),
                    _ => Err(error(format!("unknown expect `{}` ({expected})", key.escape_debug()))),
                }
            }
        }
    }

    fn timeout(&self) -> Result<Duration, SpecError> {
        let Some(timeout) = &self.timeout else { return Ok(DEFAULT_TIMEOUT) };
        let error = |reason: String| SpecError { field: Field::Timeout, span: timeout.span(), reason };
        let text = timeout.get_ref();
        let duration = parse_timeout(text).ok_or_else(|| {
            error(format!("malformed timeout `{}` (expected e.g. `30s` or `5m`)", text.escape_debug()))
        })?;
        if duration.is_zero() || duration > MAX_TIMEOUT {
            return Err(error(format!("timeout `{text}` is out of range (1s to 10m)")));
        }
        Ok(duration)
    }

    /// Moves every position by `offset`: for a check parsed from a slice of the checklist text
    /// (the loader parses one `[[stages]]` section at a time).
    pub(crate) fn shift_spans(&mut self, offset: usize) {
        fn shift<T: Default>(spanned: &mut Spanned<T>, offset: usize) {
            let span = spanned.span();
            let value = std::mem::take(spanned.get_mut());
            *spanned = Spanned::new(span.start + offset..span.end + offset, value);
        }
        if let Some(foreach) = &mut self.foreach {
            foreach.get_mut().values_mut().flatten().for_each(|word| shift(word, offset));
            shift(foreach, offset);
        }
        self.run.get_mut().iter_mut().for_each(|word| shift(word, offset));
        shift(&mut self.run, offset);
        let span = self.expect.span();
        let expect = self.expect.get_ref().clone();
        self.expect = Spanned::new(span.start + offset..span.end + offset, expect);
        if let Some(timeout) = &mut self.timeout {
            shift(timeout, offset);
        }
    }
}

/// Parses `30s` or `5m`.
fn parse_timeout(text: &str) -> Option<Duration> {
    let (digits, unit) = text.split_at(text.len().checked_sub(1)?);
    if digits.is_empty() || digits.len() > 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    match unit {
        "s" => Some(Duration::from_secs(n)),
        "m" => Some(Duration::from_secs(n * 60)),
        _ => None,
    }
}

fn unknown_placeholder(name: &str, variable: Option<&str>, fact_ids: &[&str]) -> String {
    let mut known = vec![format!("{{{ACCOUNT}}}")];
    known.extend(variable.map(|v| format!("{{{v}}}")));
    known.extend(fact_ids.iter().map(|f| format!("{{{f}}}")));
    format!("unknown placeholder `{{{name}}}` (known here: {})", known.join(", "))
}

/// Parses and checks one command line; `refuse` says why a placeholder may not be used here.
fn command(
    field: Field,
    argv: &[Spanned<String>],
    whole: Range<usize>,
    refuse: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Template>, SpecError> {
    if argv.is_empty() {
        return Err(SpecError { field, span: whole, reason: "the command is empty".into() });
    }
    let templates: Vec<Template> = argv.iter().map(|word| Template::parse(word.get_ref())).collect();
    for (word, template) in argv.iter().zip(&templates) {
        if let Some(reason) = template.placeholders().find_map(refuse) {
            return Err(SpecError { field, span: word.span(), reason });
        }
    }
    if let Some((index, reason)) = not_read_only(&templates) {
        return Err(SpecError { field, span: argv[index].span(), reason });
    }
    Ok(templates)
}

/// aws operations that change something: prefixes of the operation name.
const AWS_WRITE_PREFIXES: &[&str] = &[
    "delete-",
    "terminate-",
    "remove-",
    "put-",
    "create-",
    "stop-",
    "modify-",
    "update-",
    "release-",
    "deregister-",
    "disable-",
    "cancel-",
    "revoke-",
    "reboot-",
    "run-",
];

/// aws operations that change something, by their whole name.
const AWS_WRITE_OPERATIONS: &[&str] = &["close-account", "leave-organization"];

/// `aws s3` commands that write.
const AWS_S3_WRITES: &[&str] = &["rm", "rb", "mv", "cp", "sync", "mb"];

/// aws options before the operation that take a value, so that value is not read as the
/// service or the operation.
const AWS_VALUE_OPTIONS: &[&str] = &[
    "--region",
    "--profile",
    "--output",
    "--endpoint-url",
    "--query",
    "--color",
    "--ca-bundle",
    "--cli-read-timeout",
    "--cli-connect-timeout",
    "--cli-binary-format",
];

/// gcloud and az words that change something, wherever they appear.
const GCLOUD_AZ_WRITES: &[&str] = &["delete", "undelete", "cancel", "create", "update"];

/// The index of a word that makes the command visibly not read-only, and why.
///
/// This knows a few CLIs (`aws`, `gcloud`, `az`) and catches mistakes, such as a `delete-` where a
/// `describe-` was meant. It is not a sandbox: `sh -c`, another program, or an aws operation
/// outside the lists passes. The program, and for aws the service and operation, must be written
/// out rather than come from a placeholder, so the guard can see them.
pub(crate) fn not_read_only(argv: &[Template]) -> Option<(usize, String)> {
    let program = argv.first()?;
    let Some(program) = program.literal() else {
        return Some((0, "the program must be written out, not come from a placeholder".into()));
    };
    let name = Path::new(program).file_name().and_then(|n| n.to_str()).unwrap_or(program);
    match name {
        "aws" => {
            let mut positional = Vec::new();
            let mut i = 1;
            while i < argv.len() && positional.len() < 2 {
                let word = argv[i].literal();
                match word {
                    Some(w) if AWS_VALUE_OPTIONS.contains(&w) => i += 1,
                    Some(w) if w.starts_with('-') => {}
                    _ => positional.push(i),
                }
                i += 1;
            }
            let [service, operation] = positional[..] else { return None };
            let (Some(service_name), Some(op)) = (argv[service].literal(), argv[operation].literal()) else {
                let at = if argv[service].literal().is_none() { service } else { operation };
                return Some((
                    at,
                    "the aws service and operation must be written out, not come from a placeholder".into(),
                ));
            };
            let writes = AWS_WRITE_PREFIXES.iter().any(|p| op.starts_with(p))
                || AWS_WRITE_OPERATIONS.contains(&op)
                || (service_name == "s3" && AWS_S3_WRITES.contains(&op));
            writes.then(|| (operation, format!("`aws {service_name} {op}` is not read-only; a check may only look")))
        }
        "gcloud" | "az" => argv.iter().enumerate().skip(1).find_map(|(i, word)| {
            let w = word.literal()?;
            GCLOUD_AZ_WRITES
                .contains(&w)
                .then(|| (i, format!("`{name} … {w}` is not read-only; a check may only look")))
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FACTS: &[&str] = &["org_management"];

    fn parse(body: &str) -> Check {
        #[derive(Deserialize)]
        struct Wrapper {
            check: Check,
        }
        toml::from_str::<Wrapper>(&format!("[check]\n{body}")).expect("valid TOML").check
    }

    fn refused(body: &str) -> (Field, String, String) {
        let text = format!("[check]\n{body}");
        let error = parse(body).validate(FACTS).expect_err("refused");
        // Spans are relative to the wrapped text; report the source text they cover.
        (error.field, text[error.span.clone()].to_owned(), error.reason)
    }

    const EC2: &str = r#"
summary = "No EC2 instance"
foreach = { region = ["aws", "ec2", "describe-regions", "--query", "Regions[].RegionName", "--output", "text"] }
run = ["aws", "ec2", "describe-instances", "--region", "{region}", "--query", "Reservations[].Instances[?State.Name!='terminated'][].InstanceId", "--output", "text"]
expect = "empty"
timeout = "90s"
"#;

    #[test]
    fn a_foreach_check_validates() {
        let valid = parse(EC2).validate(FACTS).unwrap();
        let foreach = valid.foreach.unwrap();
        assert_eq!(foreach.variable, "region");
        assert_eq!(foreach.command.len(), 7);
        assert_eq!(valid.run[4].placeholders().collect::<Vec<_>>(), ["region"]);
        assert!(matches!(valid.expect, Expect::Empty));
        assert_eq!(valid.timeout, Duration::from_secs(90));
    }

    #[test]
    fn defaults_and_the_other_expectations() {
        let check = parse("summary = \"s\"\nrun = [\"true\"]\nexpect = \"success\"");
        let valid = check.validate(&[]).unwrap();
        assert!(valid.foreach.is_none());
        assert!(matches!(valid.expect, Expect::Success));
        assert_eq!(valid.timeout, DEFAULT_TIMEOUT);
        let valid = parse(
            "summary = \"s\"\nrun = [\"x\", \"{account}\", \"{org_management}\"]\nexpect = { matches = '^True$' }",
        )
        .validate(FACTS)
        .unwrap();
        assert!(matches!(&valid.expect, Expect::Matches(re) if re.is_match("True")));
        assert_eq!(valid.expect.to_string(), "matches /^True$/");
        let valid =
            parse("summary = \"s\"\nrun = [\"x\"]\nexpect = { fails_with = 'NotInUse' }").validate(&[]).unwrap();
        assert!(matches!(&valid.expect, Expect::FailsWith(re) if re.is_match("AWSOrganizationsNotInUseException")));
    }

    #[test]
    fn templates_find_placeholders_and_leave_other_braces() {
        let t = Template::parse("arn:aws:{region}:{account}");
        assert_eq!(t.placeholders().collect::<Vec<_>>(), ["region", "account"]);
        assert_eq!(t.to_string(), "arn:aws:{region}:{account}");
        assert_eq!(t.literal(), None);
        for text in ["Reservations[].Instances[].{id: InstanceId}", "{}", "{ a }", "{a", "a}", "{ x}", ""] {
            let t = Template::parse(text);
            assert_eq!(t.literal(), Some(text), "{text}");
        }
        assert_eq!(Template::parse("{{x}}").placeholders().collect::<Vec<_>>(), ["x"]);
        assert_eq!(Template::parse("{x}").parts(), [Part::Var("x".into())]);
    }

    #[test]
    fn an_empty_command_is_refused() {
        let (field, at, reason) = refused("summary = \"s\"\nrun = []\nexpect = \"empty\"");
        assert_eq!((field, at.as_str(), reason.as_str()), (Field::Run, "[]", "the command is empty"));
        let (field, at, _) =
            refused("summary = \"s\"\nforeach = { r = [] }\nrun = [\"x\", \"{r}\"]\nexpect = \"empty\"");
        assert_eq!((field, at.as_str()), (Field::Foreach, "{ r = [] }"));
    }

    #[test]
    fn unknown_placeholders_are_refused_where_they_are() {
        let (field, at, reason) =
            refused("summary = \"s\"\nrun = [\"aws\", \"--region\", \"{regoin}\"]\nexpect = \"empty\"");
        assert_eq!((field, at.as_str()), (Field::Run, "\"{regoin}\""));
        assert_eq!(reason, "unknown placeholder `{regoin}` (known here: {account}, {org_management})");
        // The foreach variable is not known inside its own command.
        let (field, at, reason) = refused(
            "summary = \"s\"\nforeach = { r = [\"list\", \"{r}\"] }\nrun = [\"x\", \"{r}\"]\nexpect = \"empty\"",
        );
        assert_eq!((field, at.as_str()), (Field::Foreach, "\"{r}\""));
        assert!(reason.contains("not known yet"), "{reason}");
    }

    #[test]
    fn foreach_must_have_one_used_unambiguous_variable() {
        let (field, _, reason) =
            refused("summary = \"s\"\nforeach = { r = [\"list\"] }\nrun = [\"x\"]\nexpect = \"empty\"");
        assert_eq!((field, reason.as_str()), (Field::Foreach, "`run` never uses the `foreach` variable `{r}`"));
        let (_, _, reason) = refused(
            "summary = \"s\"\nforeach = { r = [\"a\"], s = [\"b\"] }\nrun = [\"x\", \"{r}\"]\nexpect = \"empty\"",
        );
        assert!(reason.starts_with("`foreach` takes exactly one variable"), "{reason}");
        let (_, _, reason) = refused("summary = \"s\"\nforeach = {}\nrun = [\"x\"]\nexpect = \"empty\"");
        assert!(reason.ends_with("(got 0)"), "{reason}");
        let (_, _, reason) = refused(
            "summary = \"s\"\nforeach = { account = [\"a\"] }\nrun = [\"x\", \"{account}\"]\nexpect = \"empty\"",
        );
        assert_eq!(reason, "the variable `account` hides the account; choose another name");
        let (_, _, reason) =
            refused("summary = \"s\"\nforeach = { \"a b\" = [\"a\"] }\nrun = [\"x\", \"{a}\"]\nexpect = \"empty\"");
        assert!(reason.starts_with("malformed variable name `a b`"), "{reason}");
    }

    #[test]
    fn unknown_expectations_and_bad_regexes_are_refused() {
        for (expect, wanted) in [
            ("\"emtpy\"", "unknown expect `emtpy`"),
            ("{ match = 'x' }", "unknown expect `match`"),
            ("{ matches = 'x', fails_with = 'y' }", "unknown expect ("),
            ("{ matches = '(' }", "bad regex in `matches`: "),
            ("{ fails_with = '[z-a]' }", "bad regex in `fails_with`: "),
        ] {
            let (field, at, reason) = refused(&format!("summary = \"s\"\nrun = [\"x\"]\nexpect = {expect}"));
            assert_eq!((field, at.as_str()), (Field::Expect, expect), "{expect}");
            assert!(reason.starts_with(wanted), "{expect}: {reason}");
            assert!(!reason.contains('\n'), "{reason}");
        }
    }

    #[test]
    fn timeouts_are_parsed_and_bounded() {
        for ok in ["1s", "60s", "10m", "600s"] {
            let check = parse(&format!("summary = \"s\"\nrun = [\"x\"]\nexpect = \"success\"\ntimeout = \"{ok}\""));
            assert!(check.validate(&[]).is_ok(), "{ok}");
        }
        for (bad, wanted) in [
            ("601s", "out of range"),
            ("11m", "out of range"),
            ("0s", "out of range"),
            ("60", "malformed"),
            ("1h", "malformed"),
            ("s", "malformed"),
            ("", "malformed"),
            ("-5s", "malformed"),
            ("1234567s", "malformed"),
            ("1.5m", "malformed"),
        ] {
            let (field, at, reason) =
                refused(&format!("summary = \"s\"\nrun = [\"x\"]\nexpect = \"success\"\ntimeout = \"{bad}\""));
            assert_eq!((field, at), (Field::Timeout, format!("\"{bad}\"")));
            assert!(reason.contains(wanted), "{bad}: {reason}");
        }
    }

    fn guard(argv: &[&str]) -> Option<(usize, String)> {
        not_read_only(&argv.iter().map(|w| Template::parse(w)).collect::<Vec<_>>())
    }

    #[test]
    fn aws_operations_that_write_are_refused() {
        for (argv, at) in [
            (&["aws", "ec2", "terminate-instances", "--instance-ids", "i-1"][..], 2),
            (&["aws", "--region", "eu-west-1", "ec2", "delete-volume"][..], 4),
            (&["aws", "--output=text", "--debug", "ec2", "--region", "x", "create-tags"][..], 6),
            (&["/usr/local/bin/aws", "organizations", "close-account"][..], 2),
            (&["aws", "organizations", "leave-organization"][..], 2),
            (&["aws", "s3", "rb", "s3://bucket"][..], 2),
            (&["aws", "s3api", "put-bucket-policy"][..], 2),
            (&["aws", "ec2", "stop-instances"][..], 2),
            (&["aws", "rds", "modify-db-instance"][..], 2),
            (&["aws", "iam", "update-user"][..], 2),
            (&["aws", "ec2", "release-address"][..], 2),
            (&["aws", "organizations", "remove-account-from-organization"][..], 2),
        ] {
            let (index, reason) = guard(argv).unwrap_or_else(|| panic!("{argv:?} passed"));
            assert_eq!(index, at, "{argv:?}");
            assert!(reason.ends_with("is not read-only; a check may only look"), "{reason}");
        }
    }

    #[test]
    fn aws_reads_pass() {
        for argv in [
            &["aws", "ec2", "describe-instances", "--region", "{region}"][..],
            &["aws", "--region", "delete-me", "ec2", "describe-volumes"][..],
            &["aws", "s3api", "list-buckets", "--query", "Buckets[?Name=='delete-x']"][..],
            &["aws", "s3", "ls"][..],
            &["aws", "organizations", "describe-organization"][..],
            &["aws"][..],
            &["aws", "ec2"][..],
            &["echo", "delete-everything"][..],
            &["gcloud", "compute", "instances", "list", "--filter", "status!=deleted"][..],
        ] {
            assert_eq!(guard(argv), None, "{argv:?}");
        }
    }

    #[test]
    fn gcloud_and_az_writes_are_refused_anywhere() {
        assert_eq!(guard(&["gcloud", "compute", "instances", "delete", "vm"]).unwrap().0, 3);
        assert_eq!(guard(&["gcloud", "projects", "undelete", "p"]).unwrap().0, 2);
        assert_eq!(guard(&["az", "vm", "update"]).unwrap().0, 2);
        assert_eq!(guard(&["az", "group", "create"]).unwrap().0, 2);
        assert_eq!(guard(&["gcloud", "billing", "accounts", "cancel"]).unwrap().0, 3);
    }

    #[test]
    fn placeholders_may_not_hide_the_program_or_the_aws_operation() {
        assert_eq!(guard(&["{tool}", "list"]).unwrap().0, 0);
        assert_eq!(guard(&["aws", "ec2", "{op}"]).unwrap().0, 2);
        assert_eq!(guard(&["aws", "{service}", "describe-x"]).unwrap().0, 1);
    }

    #[test]
    fn the_guard_applies_to_run_and_foreach_and_points_at_the_word() {
        let (field, at, _) = refused(
            "summary = \"s\"\nforeach = { r = [\"aws\", \"ec2\", \"delete-vpc\"] }\nrun = [\"x\", \"{r}\"]\nexpect = \"empty\"",
        );
        assert_eq!((field, at.as_str()), (Field::Foreach, "\"delete-vpc\""));
        let (field, at, _) =
            refused("summary = \"s\"\nrun = [\"aws\", \"ec2\", \"terminate-instances\"]\nexpect = \"empty\"");
        assert_eq!((field, at.as_str()), (Field::Run, "\"terminate-instances\""));
    }

    #[test]
    fn a_check_is_written_back_as_it_was_read() {
        for body in [EC2, "summary = \"s\"\nrun = [\"x\"]\nexpect = { fails_with = \"NotInUse\" }"] {
            let check = parse(body);
            let toml = toml::to_string(&BTreeMap::from([("check", &check)])).unwrap();
            assert_eq!(parse(toml.strip_prefix("[check]\n").unwrap()), check, "{toml}");
            // JSON is written for `checklist show --format json` (Spanned reads back from TOML only).
            let json = serde_json::to_value(&check).unwrap();
            assert_eq!(json["run"][0], check.run.get_ref()[0].get_ref().as_str());
            assert_eq!(json["expect"], serde_json::to_value(check.expect.get_ref()).unwrap());
        }
    }

    #[test]
    fn unknown_keys_are_toml_errors() {
        let error = toml::from_str::<BTreeMap<String, Check>>(
            "[check]\nsummary = \"s\"\nrun = [\"x\"]\nexpect = \"empty\"\nshell = true",
        )
        .unwrap_err();
        assert!(error.to_string().contains("unknown field `shell`"), "{error}");
    }

    #[test]
    fn shifted_spans_point_into_the_whole_text() {
        let prefix = "# a header the slice did not include\n";
        let body =
            "summary = \"s\"\nforeach = { r = [\"list\"] }\nrun = [\"x\", \"{r}\"]\nexpect = \"bad\"\ntimeout = \"5s\"";
        let mut check = parse(body);
        check.shift_spans(prefix.len());
        let whole = format!("{prefix}[check]\n{body}");
        let error = check.validate(&[]).unwrap_err();
        assert_eq!(&whole[error.span], "\"bad\"");
        assert_eq!(&whole[check.run.get_ref()[1].span()], "\"{r}\"");
        assert_eq!(&whole[check.timeout.unwrap().span()], "\"5s\"");
        assert_eq!(&whole[check.foreach.as_ref().unwrap().get_ref()["r"][0].span()], "\"list\"");
    }
}
