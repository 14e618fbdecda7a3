//! A check as a checklist author writes it (`[stages.steps.check]`), and its validation.
//!
//! The serde types keep what was written, with the positions the loader needs for
//! `file:line:col`; [`Check::validate`] turns them into a [`ValidCheck`] or a [`SpecError`] that
//! names the field and points at the offending value.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::time::Duration;

use regex::Regex;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::read_only::not_read_only;
use super::template::{Template, is_name_char};

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
