//! What a checklist file says: the types serde reads a checklist into, and the small vocabulary
//! they use (who acts, how a step is resolved, delays).

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::checks::Check;
use crate::error::{Error, Result};

/// A loaded, validated checklist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checklist {
    /// Stable identifier, also the provider id on the command line.
    pub id: Spanned<String>,
    /// Human name shown in headers.
    pub name: String,
    /// Bumped whenever the steps change meaning.
    pub version: u32,
    /// One paragraph shown before the first question.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The document the steps were taken from, in the original one-source form. A checklist has
    /// this or `sources`, never both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// The documents the steps were taken from, each with an id the steps cite.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<SourceEntry>,
    /// Questions asked up front that decide which steps apply.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub facts: Vec<Fact>,
    /// Ordered stages, each with ordered steps.
    #[serde(default)]
    pub stages: Vec<Stage>,
}

impl Checklist {
    /// The sources in the one-source shape, for the places that show a single source line: the
    /// `[source]` table, or every `[[sources]]` entry's title (joined by `; `), their publishers,
    /// their URLs (as the reference) and, when there is only one, what of it was read (as the
    /// date).
    pub(crate) fn source_summary(&self) -> Cow<'_, Source> {
        if let Some(source) = &self.source {
            return Cow::Borrowed(source);
        }
        let join = |parts: Vec<&str>| (!parts.is_empty()).then(|| parts.join("; "));
        let mut publishers: Vec<&str> = Vec::new();
        for source in &self.sources {
            if !publishers.contains(&source.publisher.as_str()) {
                publishers.push(&source.publisher);
            }
        }
        Cow::Owned(Source {
            title: self.sources.iter().map(|s| s.title.as_str()).collect::<Vec<_>>().join("; "),
            publisher: publishers.join(", "),
            date: match self.sources.as_slice() {
                [only] => only.read.clone(),
                _ => None,
            },
            reference: join(self.sources.iter().filter_map(|s| s.url.as_deref()).collect()),
            url: None,
        })
    }
}

/// Where a checklist's content comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Title of the source document.
    pub title: String,
    /// Who published it (the provider, the partner).
    pub publisher: String,
    /// When it was published, as the document gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// Where it can be found (a URL, a ticket, a file name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Its public address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// One of several documents a checklist's steps come from (`[[sources]]`); steps cite it by id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceEntry {
    pub id: Spanned<String>,
    pub title: String,
    pub publisher: String,
    /// Its public address; left out when none is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The version or date read, as the author of the checklist gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read: Option<String>,
}

/// A question asked before the steps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fact {
    pub id: Spanned<String>,
    /// The question; `{account}` is replaced by the account.
    pub question: String,
    #[serde(default)]
    pub kind: FactKind,
    /// Why the question matters, shown under it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// The answers of a `choice` fact.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<Choice>,
}

/// The kind of answer a fact takes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FactKind {
    #[default]
    YesNo,
    Choice,
}

/// One answer of a choice fact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    pub id: Spanned<String>,
    pub label: String,
}

/// A group of steps walked together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    pub id: Spanned<String>,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default)]
    pub steps: Vec<Step>,
}

/// One thing the operator, partner or provider does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Stable id, unique in the checklist; the state file refers to steps by it.
    pub id: Spanned<String>,
    pub title: String,
    /// What to do, where, why it matters, and what evidence to keep.
    pub detail: String,
    pub actor: Actor,
    pub kind: StepKind,
    /// A condition on facts; the step applies only when it holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<Spanned<String>>,
    /// Steps that must be resolved first; each must come earlier in the checklist.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requires: Vec<Spanned<String>>,
    /// Paragraphs of the detail shown only when their condition holds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub detail_if: Vec<DetailIf>,
    /// Shown with a `!` before the menu.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
    /// The prompt for an `evidence` step (what to enter).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    /// The ids of the `[[sources]]` the step comes from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
    /// Dates that follow from this step: reminders and the provider's windows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub follow_up: Vec<FollowUp>,
    /// Read-only checks that gather evidence for the step, run only with the operator's consent:
    /// `[stages.steps.check]` for one, `[[stages.steps.check]]` for several (written back as the
    /// latter).
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "one_or_many")]
    pub check: Vec<Check>,
}

/// A step's `check`: one table or an array of them. The toml deserializer reads each value
/// itself, so the positions inside a check survive (an untagged enum would buffer them away).
fn one_or_many<'de, D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Vec<Check>, D::Error> {
    struct OneOrMany;
    impl<'de> serde::de::Visitor<'de> for OneOrMany {
        type Value = Vec<Check>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a check table, or an array of check tables")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> std::result::Result<Vec<Check>, A::Error> {
            Check::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(|check| vec![check])
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Vec<Check>, A::Error> {
            let mut checks = Vec::new();
            while let Some(check) = seq.next_element()? {
                checks.push(check);
            }
            Ok(checks)
        }
    }
    deserializer.deserialize_any(OneOrMany)
}

/// A paragraph appended to a step's detail when `when` (a condition on facts) holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetailIf {
    pub when: Spanned<String>,
    pub text: String,
}

/// Who acts on a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Actor {
    Customer,
    Partner,
    Provider,
}

/// How a step is resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepKind {
    /// The operator confirms it is done.
    Confirm,
    /// Irreversible: the operator types the account to confirm.
    Attest,
    /// The operator enters evidence (a ticket number, an e-mail date).
    Evidence,
    /// Someone else acts; the operator records when, or leaves it waiting.
    Wait,
}

/// A link shown with a step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    pub label: String,
    pub url: String,
}

/// A date that follows from a step: `after` a delay counted from when step `from` (default: this
/// step) was done. Without `after`, the date is not computable and the text says what ends it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FollowUp {
    /// `30m`, `1h`, `90d`, `2w`, or `end-of-month` (the close of the anchor's month).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Spanned<String>>,
    /// The step whose completion starts the clock; this step when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Spanned<String>>,
    /// What happens at that date, or what to do if this step is still open then.
    pub text: String,
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Actor::Customer => "customer",
            Actor::Partner => "partner",
            Actor::Provider => "provider",
        })
    }
}

impl fmt::Display for StepKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StepKind::Confirm => "confirm",
            StepKind::Attest => "attest",
            StepKind::Evidence => "evidence",
            StepKind::Wait => "wait",
        })
    }
}

/// A delay after an anchor time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delay {
    Minutes(i64),
    Hours(i64),
    Days(i64),
    Weeks(i64),
    /// The close of the anchor's month: midnight starting the next month, local time.
    EndOfMonth,
}

impl Delay {
    /// Parses `30m`, `1h`, `90d`, `2w` or `end-of-month`.
    pub fn parse(text: &str) -> Option<Delay> {
        if text == "end-of-month" {
            return Some(Delay::EndOfMonth);
        }
        let unit = text.chars().last()?;
        let digits = &text[..text.len() - unit.len_utf8()];
        if digits.is_empty() || digits.len() > 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n: i64 = digits.parse().ok()?;
        match unit {
            'm' => Some(Delay::Minutes(n)),
            'h' => Some(Delay::Hours(n)),
            'd' => Some(Delay::Days(n)),
            'w' => Some(Delay::Weeks(n)),
            _ => None,
        }
    }
}

impl Fact {
    /// The accepted answers, normalised: `yes`/`no` or a choice id.
    pub fn accepted(&self) -> Vec<&str> {
        match self.kind {
            FactKind::YesNo => vec!["yes", "no"],
            FactKind::Choice => self.choices.iter().map(|c| c.id.get_ref().as_str()).collect(),
        }
    }

    /// Normalises an answer (`y`, `true`, `No`...) or says which answers are accepted.
    pub(crate) fn normalise(&self, value: &str) -> Result<String> {
        let lower = value.trim().to_ascii_lowercase();
        let normalised = match self.kind {
            FactKind::YesNo => match lower.as_str() {
                "yes" | "y" | "true" => Some("yes"),
                "no" | "n" | "false" => Some("no"),
                _ => None,
            },
            FactKind::Choice => self.choices.iter().map(|c| c.id.get_ref().as_str()).find(|c| *c == lower),
        };
        normalised.map(str::to_owned).ok_or_else(|| Error::InvalidFactValue {
            fact: self.id.get_ref().clone(),
            value: value.to_owned(),
            accepted: match self.kind {
                FactKind::YesNo => "yes, no, true, false".to_owned(),
                FactKind::Choice => self.accepted().join(", "),
            },
        })
    }
}

/// The longest id accepted for a checklist, stage, step, fact or choice.
pub(super) const MAX_ID_LEN: usize = 64;

/// Whether `id` is a well-formed id: lowercase ASCII letters, digits, `-` and `_`, starting with
/// a letter or digit, at most 64 characters.
pub(crate) fn is_valid_id(id: &str) -> bool {
    let bytes = id.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= MAX_ID_LEN
        && bytes[0].is_ascii_alphanumeric()
        && bytes.iter().all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_parse() {
        assert_eq!(Delay::parse("1h"), Some(Delay::Hours(1)));
        assert_eq!(Delay::parse("90d"), Some(Delay::Days(90)));
        assert_eq!(Delay::parse("end-of-month"), Some(Delay::EndOfMonth));
        for bad in ["", "h", "1", "1y", "-1d", "1.5h", "9999999d", "1é"] {
            assert_eq!(Delay::parse(bad), None, "{bad:?}");
        }
    }
}
