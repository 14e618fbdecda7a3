//! A validated check resolved against one run: the account and the facts filled in, the
//! `foreach` variable still open until its command has run.
//!
//! Every value put into a command must be a plain word (`[A-Za-z0-9._:/-]+`), so nothing a
//! command prints, or an answer typed, can add an option, a second word or a shell character.

use std::collections::BTreeMap;
use std::time::Duration;

use super::CheckError;
use super::spec::{ACCOUNT, Expect, ValidCheck};
use super::template::{Part, Template};

/// A check ready to run for one account.
#[derive(Debug, Clone)]
pub struct Plan {
    /// What passing means, with `{account}` filled in.
    pub(crate) summary: String,
    pub(crate) expect: Expect,
    /// Per command.
    pub(crate) timeout: Duration,
    /// The `foreach` variable and its command, fully resolved.
    pub(crate) foreach: Option<(String, Vec<String>)>,
    /// `run`, with only the `foreach` variable left open.
    run: Vec<Template>,
}

/// Whether `value` may be put into a command: letters, digits and `._:/-`, at least one.
pub(crate) fn is_plain_word(value: &str) -> bool {
    !value.is_empty() && value.bytes().all(|b| b.is_ascii_alphanumeric() || b"._:/-".contains(&b))
}

impl Plan {
    /// Fills `{account}` and the facts (by fact id; the answer, such as `yes` or a choice id).
    pub fn resolve(check: &ValidCheck, account: &str, facts: &BTreeMap<String, String>) -> Result<Plan, CheckError> {
        let value = |name: &str| -> Result<Option<&str>, CheckError> {
            if check.foreach.as_ref().is_some_and(|f| f.variable == name) {
                return Ok(None);
            }
            let value = if name == ACCOUNT {
                account
            } else {
                facts.get(name).ok_or_else(|| CheckError::UnansweredFact { fact: name.to_owned() })?
            };
            if !is_plain_word(value) {
                return Err(CheckError::BadWord { placeholder: name.to_owned(), value: value.to_owned() });
            }
            Ok(Some(value))
        };
        let fill = |template: &Template| -> Result<Template, CheckError> {
            let mut parts: Vec<Part> = Vec::new();
            for part in template.parts() {
                let filled = match part {
                    Part::Var(name) => value(name)?.map_or_else(|| part.clone(), |v| Part::Text(v.to_owned())),
                    Part::Text(_) => part.clone(),
                };
                match (parts.last_mut(), filled) {
                    (Some(Part::Text(before)), Part::Text(text)) => before.push_str(&text),
                    (_, filled) => parts.push(filled),
                }
            }
            Ok(Template::from_parts(parts))
        };
        let foreach = match &check.foreach {
            None => None,
            Some(f) => {
                let argv = f.command.iter().map(|t| fill(t).map(|t| t.to_string())).collect::<Result<_, _>>()?;
                Some((f.variable.clone(), argv))
            }
        };
        Ok(Plan {
            // As in a fact's question: shown and recorded, never run, so any account will do.
            summary: check.summary.replace("{account}", account),
            expect: check.expect.clone(),
            timeout: check.timeout,
            foreach,
            run: check.run.iter().map(fill).collect::<Result<_, _>>()?,
        })
    }

    /// sha256 (hex) of everything that decides what the check runs and what passing means: the
    /// summary, the expectation, the timeout, the `foreach` variable and command, and `run` (with
    /// the account and facts filled in). Recorded with each run, so a run is known to be of the
    /// check as the checklist has it now, for the answers given now.
    pub(crate) fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        let mut field = |text: &str| {
            // Length-prefixed, so no two different plans hash the same bytes.
            hasher.update((text.len() as u64).to_le_bytes());
            hasher.update(text.as_bytes());
        };
        field(&self.summary);
        field(&self.expect.to_string());
        field(&self.timeout.as_millis().to_string());
        if let Some((variable, argv)) = &self.foreach {
            field(variable);
            field(&argv.len().to_string());
            for word in argv {
                field(word);
            }
        }
        field(&self.run.len().to_string());
        for template in &self.run {
            field(&template.to_string());
        }
        super::hex(&hasher.finalize().into())
    }

    /// The `run` command for one `foreach` word (or the only one, without `foreach`).
    pub(crate) fn run_argv(&self, word: Option<&str>) -> Vec<String> {
        self.run
            .iter()
            .map(|template| {
                template
                    .parts()
                    .iter()
                    .map(|part| match (part, word) {
                        (Part::Text(text), _) => text.as_str(),
                        (Part::Var(_), Some(word)) => word,
                        (Part::Var(name), None) => name.as_str(),
                    })
                    .collect()
            })
            .collect()
    }

    /// The commands as a shell reader would type them: the `foreach` command first, then `run`,
    /// with the variable shown as `{region}` until its words are known, then once per word.
    pub(crate) fn display(&self, words: Option<&[String]>) -> Vec<String> {
        let mut lines: Vec<String> = self.foreach.iter().map(|(_, argv)| quote_line(argv.iter())).collect();
        match words {
            Some(words) if self.foreach.is_some() => {
                lines.extend(words.iter().map(|w| quote_line(self.run_argv(Some(w)).iter())));
            }
            _ => lines.push(self.display_open()),
        }
        lines
    }

    fn display_open(&self) -> String {
        template_line(&self.run)
    }
}

/// A check's commands as written, every placeholder shown (`{account}`, `{region}`): the
/// `foreach` command first, then `run`.
pub(crate) fn display_templates(check: &ValidCheck) -> Vec<String> {
    check.foreach.iter().map(|f| template_line(&f.command)).chain([template_line(&check.run)]).collect()
}

/// A command line with its placeholders open, quoted for a shell reader.
fn template_line(words: &[Template]) -> String {
    let words: Vec<String> = words
        .iter()
        .map(|template| match template.parts() {
            [Part::Var(name)] => format!("{{{name}}}"),
            _ => quote(&template.to_string()),
        })
        .collect();
    words.join(" ")
}

/// One word quoted for a POSIX shell reader: bare when that is safe, single-quoted otherwise.
pub fn quote(word: &str) -> String {
    // try_quote fails only on a NUL byte, which an argument cannot hold anyway.
    shlex::try_quote(word).map_or_else(|_| format!("{word:?}"), std::borrow::Cow::into_owned)
}

/// A command line quoted for a shell reader.
pub(crate) fn quote_line<'a>(argv: impl Iterator<Item = &'a String>) -> String {
    argv.map(|w| quote(w)).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::spec::Check;

    fn plan(body: &str, account: &str, facts: &[(&str, &str)]) -> Result<Plan, CheckError> {
        #[derive(serde::Deserialize)]
        struct Wrapper {
            check: Check,
        }
        let check = toml::from_str::<Wrapper>(&format!("[check]\n{body}")).unwrap().check;
        let ids: Vec<&str> = facts.iter().map(|(k, _)| *k).collect();
        let valid = check.validate(&ids).unwrap();
        let facts = facts.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Plan::resolve(&valid, account, &facts)
    }

    const ORG: &str = r#"
summary = "No instance of {account}"
foreach = { region = ["aws", "ec2", "describe-regions", "--query", "Regions[].RegionName", "--output", "text"] }
run = ["aws", "ec2", "describe-instances", "--region", "{region}", "--query", "Reservations[].Instances[?OwnerId=='{account}'][].InstanceId", "--filters", "Name=tag:mgmt,Values={org}"]
expect = "empty"
"#;

    #[test]
    fn account_and_facts_are_filled_and_the_variable_stays_open() {
        let plan = plan(ORG, "111122223333", &[("org", "yes")]).unwrap();
        assert_eq!(plan.summary, "No instance of 111122223333");
        assert_eq!(
            plan.display(None),
            [
                "aws ec2 describe-regions --query 'Regions[].RegionName' --output text",
                "aws ec2 describe-instances --region {region} --query \"Reservations[].Instances[?OwnerId=='111122223333'][].InstanceId\" --filters 'Name=tag:mgmt,Values=yes'",
            ]
        );
        assert_eq!(plan.run_argv(Some("eu-west-1"))[4], "eu-west-1");
        let words = ["us-east-1".to_owned(), "eu-west-1".to_owned()];
        let lines = plan.display(Some(&words));
        assert_eq!(lines.len(), 3);
        assert!(lines[2].starts_with("aws ec2 describe-instances --region eu-west-1 --query"), "{}", lines[2]);
    }

    #[test]
    fn templates_show_every_placeholder() {
        #[derive(serde::Deserialize)]
        struct Wrapper {
            check: Check,
        }
        let check = toml::from_str::<Wrapper>(&format!("[check]\n{ORG}")).unwrap().check;
        let lines = display_templates(&check.validate(&["org"]).unwrap());
        assert_eq!(lines[0], "aws ec2 describe-regions --query 'Regions[].RegionName' --output text");
        assert_eq!(
            lines[1],
            "aws ec2 describe-instances --region {region} --query \"Reservations[].Instances[?OwnerId=='{account}'][].InstanceId\" --filters 'Name=tag:mgmt,Values={org}'"
        );
    }

    #[test]
    fn the_fingerprint_changes_with_what_the_check_runs_and_the_answers_it_reads() {
        let base = plan(ORG, "111122223333", &[("org", "yes")]).unwrap().fingerprint();
        assert_eq!(base.len(), 64);
        assert_eq!(plan(ORG, "111122223333", &[("org", "yes")]).unwrap().fingerprint(), base);
        for other in [
            plan(ORG, "111122223333", &[("org", "no")]),
            plan(ORG, "444455556666", &[("org", "yes")]),
            plan(&ORG.replace("describe-instances", "describe-volumes"), "111122223333", &[("org", "yes")]),
            plan(&ORG.replace("expect = \"empty\"", "expect = \"success\""), "111122223333", &[("org", "yes")]),
            plan(&format!("{ORG}timeout = \"5s\"\n"), "111122223333", &[("org", "yes")]),
        ] {
            assert_ne!(other.unwrap().fingerprint(), base);
        }
    }

    #[test]
    fn a_placeholder_inside_a_word_is_shown_inside_its_quotes() {
        let plan = plan(
            "summary = \"s\"\nforeach = { b = [\"ls\"] }\nrun = [\"stat\", \"/x y/{b}\"]\nexpect = \"empty\"",
            "a",
            &[],
        )
        .unwrap();
        assert_eq!(plan.display(None)[1], "stat '/x y/{b}'");
    }

    #[test]
    fn values_that_are_not_plain_words_are_refused() {
        for account in ["a b", "x;rm", "", "--help\n", "a@b", "é"] {
            let error =
                plan("summary = \"s\"\nrun = [\"echo\", \"{account}\"]\nexpect = \"empty\"", account, &[]).unwrap_err();
            assert!(
                matches!(&error, CheckError::BadWord { placeholder, value } if placeholder == "account" && value == account)
            );
        }
        let error =
            plan("summary = \"s\"\nrun = [\"echo\", \"{f}\"]\nexpect = \"empty\"", "a", &[("f", "$(x)")]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "the value of `{f}` is not a plain word: `$(x)` (allowed: letters, digits, `._:/-`)"
        );
    }

    #[test]
    fn an_unanswered_fact_is_named() {
        #[derive(serde::Deserialize)]
        struct Wrapper {
            check: Check,
        }
        let check =
            toml::from_str::<Wrapper>("[check]\nsummary = \"s\"\nrun = [\"echo\", \"{f}\"]\nexpect = \"empty\"")
                .unwrap()
                .check;
        let valid = check.validate(&["f"]).unwrap();
        let error = Plan::resolve(&valid, "a", &BTreeMap::new()).unwrap_err();
        assert!(matches!(error, CheckError::UnansweredFact { fact } if fact == "f"));
    }

    #[test]
    fn plain_words() {
        for ok in ["us-east-1", "i-0abc", "arn:aws:s3:::b/k", "1.2", "a_b"] {
            assert!(is_plain_word(ok), "{ok}");
        }
        for bad in ["", "a b", "a\tb", "a'b", "a\"b", "$x", "a*", "a;b", "a|b", "a\nb", "ü", "a=b", "a,b"] {
            assert!(!is_plain_word(bad), "{bad:?}");
        }
    }
}
