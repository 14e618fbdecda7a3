//! The checklist: its schema, loading and validation.
//!
//! A checklist is data (`checklists/*.toml`, compiled in). The engine knows no provider by name:
//! everything provider-specific — facts, stages, steps, warnings, follow-up dates — is here as
//! plain fields. Validation errors carry `file:line:col` so an author can jump to the problem.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::digest::sha256_hex;
use crate::error::{Error, Result};

/// Checklist files larger than this are refused before parsing, so hostile input stays bounded.
pub const MAX_CHECKLIST_BYTES: usize = 32 * 1024 * 1024;

/// The longest id accepted for a checklist, stage, step, fact or choice.
const MAX_ID_LEN: usize = 64;

/// The checklists compiled into the binary: (id, file name, TOML text).
pub const BUILTIN: &[(&str, &str, &str)] = &[
    ("aws", "checklists/aws.toml", include_str!("../checklists/aws.toml")),
    ("centurylink", "checklists/centurylink.toml", include_str!("../checklists/centurylink.toml")),
    ("aws-root", "checklists/aws-root.toml", include_str!("../checklists/aws-root.toml")),
    ("aws-org-member", "checklists/aws-org-member.toml", include_str!("../checklists/aws-org-member.toml")),
    ("gcp-project", "checklists/gcp-project.toml", include_str!("../checklists/gcp-project.toml")),
    ("gcp-billing", "checklists/gcp-billing.toml", include_str!("../checklists/gcp-billing.toml")),
    ("azure-subscription", "checklists/azure-subscription.toml", include_str!("../checklists/azure-subscription.toml")),
];

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
    pub fn source_summary(&self) -> Cow<'_, Source> {
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

/// A parsed `when` condition: an OR of ANDs of literals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    any: Vec<Vec<Literal>>,
}

/// `fact`, `!fact`, `fact=choice` or `!fact=choice`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Literal {
    negated: bool,
    fact: String,
    choice: Option<String>,
}

impl Condition {
    /// Parses `a`, `!a`, `a && !b`, `kind=member || c`.
    pub fn parse(text: &str) -> std::result::Result<Condition, String> {
        let mut any = Vec::new();
        for alternative in text.split("||") {
            let mut all = Vec::new();
            for literal in alternative.split("&&") {
                let literal = literal.trim();
                let (negated, rest) = match literal.strip_prefix('!') {
                    Some(rest) => (true, rest.trim_start()),
                    None => (false, literal),
                };
                let (fact, choice) = match rest.split_once('=') {
                    Some((fact, choice)) => (fact.trim(), Some(choice.trim())),
                    None => (rest, None),
                };
                if !is_valid_id(fact) || choice.is_some_and(|c| !is_valid_id(c)) {
                    return Err(format!(
                        "malformed condition `{text}` (expected e.g. `fact`, `!fact`, `fact=choice`, joined by && or ||)"
                    ));
                }
                all.push(Literal { negated, fact: fact.to_owned(), choice: choice.map(str::to_owned) });
            }
            any.push(all);
        }
        Ok(Condition { any })
    }

    /// The facts this condition reads, with the choice each literal compares against.
    pub fn literals(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.any.iter().flatten().map(|l| (l.fact.as_str(), l.choice.as_deref()))
    }

    /// Evaluates against answered facts (`yes`/`no` or a choice id). `Err(fact)` when a fact the
    /// outcome depends on is unanswered.
    pub fn eval(&self, facts: &BTreeMap<String, String>) -> std::result::Result<bool, String> {
        let mut missing = None;
        for all in &self.any {
            let mut holds = true;
            for literal in all {
                let Some(value) = facts.get(&literal.fact) else {
                    missing.get_or_insert_with(|| literal.fact.clone());
                    holds = false;
                    break;
                };
                let matched = match &literal.choice {
                    Some(choice) => value == choice,
                    None => value == "yes",
                };
                if matched == literal.negated {
                    holds = false;
                    break;
                }
            }
            if holds {
                return Ok(true);
            }
        }
        match missing {
            Some(fact) => Err(fact),
            None => Ok(false),
        }
    }
}

/// Whether `id` is a well-formed id: lowercase ASCII letters, digits, `-` and `_`, starting with
/// a letter or digit, at most 64 characters.
pub fn is_valid_id(id: &str) -> bool {
    let bytes = id.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= MAX_ID_LEN
        && bytes[0].is_ascii_alphanumeric()
        && bytes.iter().all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// A step's place in the checklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepRef {
    /// Index of the stage (0-based).
    pub stage: usize,
    /// Index of the step within its stage (0-based).
    pub step: usize,
    /// Index of the step in checklist order (0-based).
    pub flat: usize,
}

impl StepRef {
    /// The number shown to operators, `3.2` for the second step of the third stage.
    pub fn number(self) -> String {
        format!("{}.{}", self.stage + 1, self.step + 1)
    }
}

/// A checklist with everything derived at load time: its hash and an index of its steps.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub checklist: Checklist,
    /// Where it was loaded from, for messages (`checklists/aws.toml`, a path).
    pub origin: String,
    /// sha256 of the file's bytes, hex; pinned by runs.
    pub sha256: String,
    /// The TOML text it was loaded from.
    pub text: String,
    conditions: HashMap<String, Condition>,
    /// The parsed `when` of each step's `detail_if` paragraphs, in order; steps without any are
    /// left out.
    detail_ifs: HashMap<String, Vec<Condition>>,
    index: HashMap<String, StepRef>,
    order: Vec<StepRef>,
}

impl Loaded {
    /// Parses and validates a checklist. `origin` names the file in error messages.
    pub fn parse(text: &str, origin: &str) -> Result<Loaded> {
        if text.len() > MAX_CHECKLIST_BYTES {
            return Err(Error::InvalidChecklist {
                location: origin.to_owned(),
                reason: format!("file is {} bytes; checklists are limited to {MAX_CHECKLIST_BYTES}", text.len()),
            });
        }
        let checklist = match parse_by_stage(text) {
            Some(checklist) => checklist,
            None => parse_whole(text).map_err(|e| {
                let location = match e.span() {
                    Some(span) => Position::of(text, span.start).at(origin),
                    None => origin.to_owned(),
                };
                Error::InvalidChecklist { location, reason: one_line(e.message()) }
            })?,
        };
        Validator { text, origin }.validate(checklist)
    }

    /// Loads a built-in checklist by id.
    pub fn builtin(id: &str) -> Result<Loaded> {
        let Some((_, file, text)) = BUILTIN.iter().find(|(builtin, _, _)| *builtin == id) else {
            let available = BUILTIN.iter().map(|(id, _, _)| (*id).to_owned()).collect();
            return Err(Error::UnknownProvider { provider: id.to_owned(), available });
        };
        Loaded::parse(text, file)
    }

    /// Loads a checklist file from disk.
    pub fn from_file(path: &Path) -> Result<Loaded> {
        let bytes = std::fs::read(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::NoSuchFile { path: path.to_owned() },
            _ => Error::io("read checklist", path, e),
        })?;
        let origin = path.display().to_string();
        let text = String::from_utf8(bytes).map_err(|e| {
            let pos = Position::of_bytes(e.as_bytes(), e.utf8_error().valid_up_to());
            Error::InvalidChecklist { location: pos.at(&origin), reason: "file is not valid UTF-8".into() }
        })?;
        Loaded::parse(&text, &origin)
    }

    /// Every step in checklist order, with its place.
    pub fn steps(&self) -> impl Iterator<Item = (StepRef, &Step)> {
        self.order.iter().map(|&r| (r, self.step(r)))
    }

    /// The step at a place.
    pub fn step(&self, r: StepRef) -> &Step {
        &self.checklist.stages[r.stage].steps[r.step]
    }

    /// Number of steps in the checklist.
    pub fn step_count(&self) -> usize {
        self.order.len()
    }

    /// Looks a step up by id.
    pub fn find(&self, id: &str) -> Option<StepRef> {
        self.index.get(id).copied()
    }

    /// Looks a step up by id or by its number (`3.2`); unknown ones get the closest ids suggested.
    pub fn resolve(&self, arg: &str) -> Result<StepRef> {
        if let Some(r) = self.find(arg) {
            return Ok(r);
        }
        if let Some((stage, step)) = arg.split_once('.')
            && let (Ok(stage), Ok(step)) = (stage.parse::<usize>(), step.parse::<usize>())
            && let Some(r) = self.order.iter().find(|r| r.stage + 1 == stage && r.step + 1 == step)
        {
            return Ok(*r);
        }
        let ids: Vec<String> = self.steps().map(|(_, step)| step.id.get_ref().clone()).collect();
        let close_matches = crate::error::closest(arg, &ids).into_iter().map(str::to_owned).collect();
        Err(Error::UnknownStep { step: arg.to_owned(), checklist: self.id().to_owned(), close_matches })
    }

    /// The checklist id.
    pub fn id(&self) -> &str {
        self.checklist.id.get_ref()
    }

    /// The parsed `when` of a step, if it has one.
    pub fn condition(&self, step: &Step) -> Option<&Condition> {
        self.conditions.get(step.id.get_ref())
    }

    /// A step's detail followed, a paragraph each, by its `detail_if` texts whose condition holds
    /// for these answers (`yes`/`no` or a choice id). A condition that depends on an unanswered
    /// fact does not hold.
    pub fn detail_for(&self, step: &Step, facts: &BTreeMap<String, String>) -> String {
        let mut detail = step.detail.clone();
        let conditions = self.detail_ifs.get(step.id.get_ref()).map_or(&[][..], Vec::as_slice);
        for (paragraph, condition) in step.detail_if.iter().zip(conditions) {
            if condition.eval(facts) == Ok(true) {
                detail.push_str("\n\n");
                detail.push_str(&paragraph.text);
            }
        }
        detail
    }

    /// Looks a fact up by id.
    pub fn fact(&self, id: &str) -> Option<&Fact> {
        self.checklist.facts.iter().find(|f| f.id.get_ref() == id)
    }

    /// Looks a fact up by id, or says which facts there are.
    pub fn require_fact(&self, id: &str) -> Result<&Fact> {
        self.fact(id).ok_or_else(|| Error::UnknownFact {
            fact: id.to_owned(),
            checklist: self.id().to_owned(),
            available: self.checklist.facts.iter().map(|f| f.id.get_ref().as_str()).collect::<Vec<_>>().join(", "),
        })
    }

    /// Pretty TOML that loads back to an equal checklist.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(&self.checklist).unwrap_or_else(|e| format!("# failed to render: {e}\n"))
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
    pub fn normalise(&self, value: &str) -> Result<String> {
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

/// Parses a checklist document in one piece.
pub fn parse_whole(text: &str) -> std::result::Result<Checklist, toml::de::Error> {
    toml::from_str(text)
}

/// Parses a checklist a stage at a time, or `None` when that is not possible or fails (the
/// caller then parses the whole document, which also gives the canonical error).
///
/// The toml crate holds every token and parse event of a document at once, about twenty times
/// the text's size; parsing one `[[stages]]` section at a time keeps that peak to one stage, so a
/// checklist of 10,000 steps loads in a few megabytes. It gives the same checklist as a whole
/// parse because each section is a contiguous slice that only adds one element to `stages`:
/// [`stage_sections`] refuses any document where a later header could reach outside its stage.
pub fn parse_by_stage(text: &str) -> Option<Checklist> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Section {
        stages: Vec<Stage>,
    }
    let starts = stage_sections(text)?;
    let first = *starts.first()?;
    let mut checklist: Checklist = toml::from_str(&text[..first]).ok()?;
    if !checklist.stages.is_empty() {
        return None;
    }
    for (i, &start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(text.len());
        let section: Section = toml::from_str(&text[start..end]).ok()?;
        let [mut stage] = <[Stage; 1]>::try_from(section.stages).ok()?;
        shift_stage_spans(&mut stage, start);
        checklist.stages.push(stage);
    }
    Some(checklist)
}

/// Where each top-level `[[stages]]` header starts, if every header from the first of them on is
/// `[[stages]]` or a table below `stages.` written with bare keys; `None` otherwise.
fn stage_sections(text: &str) -> Option<Vec<usize>> {
    use toml_parser::lexer::TokenKind;
    let source = toml_parser::Source::new(text);
    let mut tokens = source.lex().peekable();
    let mut starts = Vec::new();
    // Brackets and braces open inside a value: a `[` there starts an array, not a header.
    let mut depth = 0usize;
    let mut at_line_start = true;
    while let Some(token) = tokens.next() {
        match token.kind() {
            TokenKind::Newline => at_line_start = depth == 0,
            TokenKind::Whitespace | TokenKind::Comment => {}
            TokenKind::LeftSquareBracket if at_line_start => {
                at_line_start = false;
                let header_start = token.span().start();
                let array = tokens
                    .next_if(|next| {
                        next.kind() == TokenKind::LeftSquareBracket && next.span().start() == token.span().end()
                    })
                    .is_some();
                let mut key = String::new();
                loop {
                    let part = tokens.next()?;
                    match part.kind() {
                        TokenKind::Atom | TokenKind::Dot => {
                            key.push_str(source.input().get(part.span().start()..part.span().end())?);
                        }
                        TokenKind::Whitespace => {}
                        TokenKind::RightSquareBracket => break,
                        // Quoted keys, or anything odd: leave it to the whole-document parse.
                        _ => return None,
                    }
                }
                if array && key == "stages" {
                    starts.push(header_start);
                } else if !starts.is_empty() && !key.starts_with("stages.") {
                    return None;
                }
            }
            kind => {
                at_line_start = false;
                match kind {
                    TokenKind::LeftSquareBracket | TokenKind::LeftCurlyBracket => depth += 1,
                    TokenKind::RightSquareBracket | TokenKind::RightCurlyBracket => depth = depth.saturating_sub(1),
                    _ => {}
                }
            }
        }
    }
    Some(starts)
}

/// Moves the spans of a stage parsed from a slice starting at `offset` to the whole text.
fn shift_stage_spans(stage: &mut Stage, offset: usize) {
    fn shift<T: Default>(spanned: &mut Spanned<T>, offset: usize) {
        let span = spanned.span();
        let value = std::mem::take(spanned.get_mut());
        *spanned = Spanned::new(span.start + offset..span.end + offset, value);
    }
    shift(&mut stage.id, offset);
    for step in &mut stage.steps {
        shift(&mut step.id, offset);
        step.when.iter_mut().chain(step.requires.iter_mut()).for_each(|s| shift(s, offset));
        step.sources.iter_mut().chain(step.detail_if.iter_mut().map(|d| &mut d.when)).for_each(|s| shift(s, offset));
        for follow_up in &mut step.follow_up {
            follow_up.after.iter_mut().chain(follow_up.from.iter_mut()).for_each(|s| shift(s, offset));
        }
    }
}

/// A 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub col: usize,
}

impl Position {
    /// The position of byte offset `offset` in `text`.
    pub fn of(text: &str, offset: usize) -> Position {
        Position::of_bytes(text.as_bytes(), offset)
    }

    fn of_bytes(bytes: &[u8], offset: usize) -> Position {
        let before = &bytes[..offset.min(bytes.len())];
        #[allow(clippy::naive_bytecount)] // once per error message; not worth a dependency
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let col = String::from_utf8_lossy(&before[line_start..]).chars().count() + 1;
        Position { line, col }
    }

    fn at(self, origin: &str) -> String {
        format!("{origin}:{}:{}", self.line, self.col)
    }
}

struct Validator<'a> {
    text: &'a str,
    origin: &'a str,
}

impl Validator<'_> {
    fn error<T>(&self, span: std::ops::Range<usize>, reason: impl Into<String>) -> Result<T> {
        Err(Error::InvalidChecklist {
            location: Position::of(self.text, span.start).at(self.origin),
            reason: reason.into(),
        })
    }

    fn check_id(&self, id: &Spanned<String>, what: &str) -> Result<()> {
        if is_valid_id(id.get_ref()) {
            return Ok(());
        }
        self.error(
            id.span(),
            format!(
                "malformed {what} id `{}` (use 1-{MAX_ID_LEN} lowercase letters, digits, `-` or `_`, starting with a letter or digit)",
                id.get_ref().escape_debug()
            ),
        )
    }

    fn validate(&self, checklist: Checklist) -> Result<Loaded> {
        self.check_id(&checklist.id, "checklist")?;
        if checklist.version == 0 {
            return self.error(checklist.id.span(), "version must be 1 or more");
        }
        let source_ids = self.check_sources(&checklist)?;
        let facts = self.check_facts(&checklist.facts)?;
        let (index, order) = self.index_steps(&checklist)?;
        let step_at = |r: StepRef| &checklist.stages[r.stage].steps[r.step];
        let mut conditions = HashMap::new();
        let mut detail_ifs = HashMap::new();
        for &r in &order {
            let step = step_at(r);
            if let Some(when) = &step.when {
                conditions.insert(step.id.get_ref().clone(), self.condition(when, &facts, "`when`")?);
            }
            self.check_step_sources(step, &source_ids)?;
            let detail_conditions = self.detail_if_conditions(step, &facts)?;
            if !detail_conditions.is_empty() {
                detail_ifs.insert(step.id.get_ref().clone(), detail_conditions);
            }
            self.check_requires(r, &index, &order, &step_at)?;
            self.check_follow_ups(step, &index)?;
        }
        Ok(Loaded {
            sha256: sha256_hex(self.text.as_bytes()),
            text: self.text.to_owned(),
            origin: self.origin.to_owned(),
            checklist,
            conditions,
            detail_ifs,
            index,
            order,
        })
    }

    /// Fact ids are well formed and unique; yes-no facts have no choices, choice facts two or more.
    fn check_facts<'c>(&self, facts: &'c [Fact]) -> Result<HashMap<&'c str, &'c Fact>> {
        let mut by_id: HashMap<&str, &Fact> = HashMap::new();
        for fact in facts {
            self.check_id(&fact.id, "fact")?;
            if by_id.insert(fact.id.get_ref(), fact).is_some() {
                return self.error(fact.id.span(), format!("duplicate fact id `{}`", fact.id.get_ref()));
            }
            match fact.kind {
                FactKind::YesNo if !fact.choices.is_empty() => {
                    return self
                        .error(fact.id.span(), format!("yes-no fact `{}` cannot have choices", fact.id.get_ref()));
                }
                FactKind::Choice if fact.choices.len() < 2 => {
                    return self.error(
                        fact.id.span(),
                        format!("choice fact `{}` needs at least two choices", fact.id.get_ref()),
                    );
                }
                _ => {}
            }
            let mut seen = HashSet::new();
            for choice in &fact.choices {
                self.check_id(&choice.id, "choice")?;
                if !seen.insert(choice.id.get_ref()) {
                    return self.error(choice.id.span(), format!("duplicate choice id `{}`", choice.id.get_ref()));
                }
            }
        }
        Ok(by_id)
    }

    /// Stage and step ids are well formed and unique, and no stage is empty; returns each step's
    /// place by id and the steps in checklist order.
    fn index_steps(&self, checklist: &Checklist) -> Result<(HashMap<String, StepRef>, Vec<StepRef>)> {
        if checklist.stages.is_empty() {
            return self.error(0..0, "the checklist has no stages");
        }
        let mut index: HashMap<String, StepRef> = HashMap::new();
        let mut order = Vec::new();
        let mut stage_ids = HashSet::new();
        for (s, stage) in checklist.stages.iter().enumerate() {
            self.check_id(&stage.id, "stage")?;
            if !stage_ids.insert(stage.id.get_ref().as_str()) {
                return self.error(stage.id.span(), format!("duplicate stage id `{}`", stage.id.get_ref()));
            }
            if stage.steps.is_empty() {
                return self.error(stage.id.span(), format!("stage `{}` has no steps", stage.id.get_ref()));
            }
            for (i, step) in stage.steps.iter().enumerate() {
                self.check_id(&step.id, "step")?;
                let r = StepRef { stage: s, step: i, flat: order.len() };
                if let Some(first) = index.insert(step.id.get_ref().clone(), r) {
                    return self.error(
                        step.id.span(),
                        format!("duplicate step id `{}` (first used by step {})", step.id.get_ref(), first.number()),
                    );
                }
                order.push(r);
            }
        }
        Ok((index, order))
    }

    /// Each `requires` names a known step that comes earlier; a later one is a cycle or an error.
    fn check_requires<'c>(
        &self,
        r: StepRef,
        index: &HashMap<String, StepRef>,
        order: &[StepRef],
        step_at: &dyn Fn(StepRef) -> &'c Step,
    ) -> Result<()> {
        let step = step_at(r);
        for required in &step.requires {
            let Some(&target) = index.get(required.get_ref()) else {
                return self.error(required.span(), format!("`requires` names unknown step `{}`", required.get_ref()));
            };
            if target.flat >= r.flat {
                if let Some(cycle) = find_cycle(index, order, step_at, r) {
                    return self.error(required.span(), format!("dependency cycle: {}", cycle.join(" → ")));
                }
                return self.error(
                    required.span(),
                    format!(
                        "step `{}` requires `{}`, which comes later (step {}); requirements must come first",
                        step.id.get_ref(),
                        required.get_ref(),
                        target.number()
                    ),
                );
            }
        }
        Ok(())
    }

    /// Each follow-up has a well-formed delay and counts from a known step.
    fn check_follow_ups(&self, step: &Step, index: &HashMap<String, StepRef>) -> Result<()> {
        for follow_up in &step.follow_up {
            if let Some(after) = &follow_up.after
                && Delay::parse(after.get_ref()).is_none()
            {
                return self.error(
                    after.span(),
                    format!(
                        "malformed delay `{}` (expected e.g. `30m`, `1h`, `90d`, `2w` or `end-of-month`)",
                        after.get_ref()
                    ),
                );
            }
            if let Some(from) = &follow_up.from
                && !index.contains_key(from.get_ref())
            {
                return self.error(from.span(), format!("follow-up `from` names unknown step `{}`", from.get_ref()));
            }
        }
        Ok(())
    }

    /// Parses a condition (a step's `when`, a `detail_if`'s) and checks every fact it reads
    /// exists and is compared the way its kind allows. `field` names it in errors.
    fn condition(&self, text: &Spanned<String>, facts: &HashMap<&str, &Fact>, field: &str) -> Result<Condition> {
        let condition = Condition::parse(text.get_ref()).or_else(|reason| self.error(text.span(), reason))?;
        for (fact_id, choice) in condition.literals() {
            let Some(fact) = facts.get(fact_id) else {
                return self.error(text.span(), format!("{field} names unknown fact `{fact_id}`"));
            };
            match (fact.kind, choice) {
                (FactKind::YesNo, Some(_)) => {
                    return self
                        .error(text.span(), format!("fact `{fact_id}` is yes-no; use `{fact_id}` or `!{fact_id}`"));
                }
                (FactKind::Choice, None) => {
                    return self.error(
                        text.span(),
                        format!("fact `{fact_id}` is a choice; compare it: `{fact_id}={}`", fact.accepted().join("|")),
                    );
                }
                (FactKind::Choice, Some(c)) if !fact.accepted().contains(&c) => {
                    return self.error(text.span(), format!("fact `{fact_id}` has no choice `{c}`"));
                }
                _ => {}
            }
        }
        Ok(condition)
    }

    /// A checklist names its sources one way: a `[source]` table or `[[sources]]` entries with
    /// unique, well-formed ids. Returns those ids.
    fn check_sources<'c>(&self, checklist: &'c Checklist) -> Result<HashSet<&'c str>> {
        match (&checklist.source, checklist.sources.first()) {
            (Some(_), Some(first)) => {
                return self.error(first.id.span(), "a checklist has `[source]` or `[[sources]]`, not both");
            }
            (None, None) => return self.error(0..0, "the checklist names no source (add `[[sources]]`)"),
            _ => {}
        }
        let mut ids = HashSet::new();
        for source in &checklist.sources {
            self.check_id(&source.id, "source")?;
            if !ids.insert(source.id.get_ref().as_str()) {
                return self.error(source.id.span(), format!("duplicate source id `{}`", source.id.get_ref()));
            }
        }
        Ok(ids)
    }

    /// Every source a step cites is one of the checklist's `[[sources]]`.
    fn check_step_sources(&self, step: &Step, known: &HashSet<&str>) -> Result<()> {
        match step.sources.iter().find(|id| !known.contains(id.get_ref().as_str())) {
            Some(id) => self.error(id.span(), format!("`sources` names unknown source `{}`", id.get_ref())),
            None => Ok(()),
        }
    }

    /// The parsed conditions of a step's `detail_if` paragraphs, in order, validated like `when`.
    fn detail_if_conditions(&self, step: &Step, facts: &HashMap<&str, &Fact>) -> Result<Vec<Condition>> {
        step.detail_if.iter().map(|d| self.condition(&d.when, facts, "`detail_if`")).collect()
    }
}

/// The ids along a `requires` cycle through `start`, if there is one.
fn find_cycle<'c>(
    index: &HashMap<String, StepRef>,
    order: &[StepRef],
    step_at: &dyn Fn(StepRef) -> &'c Step,
    start: StepRef,
) -> Option<Vec<String>> {
    // Iterative depth-first search with an explicit path, so deep chains cannot overflow the stack.
    let mut visited = vec![false; order.len()];
    let mut path: Vec<(StepRef, usize)> = vec![(start, 0)];
    while let Some(&mut (current, ref mut next)) = path.last_mut() {
        let requires = &step_at(current).requires;
        if *next >= requires.len() {
            path.pop();
            continue;
        }
        let target = index.get(requires[*next].get_ref()).copied();
        *next += 1;
        let Some(target) = target else { continue };
        if target == start {
            let mut ids: Vec<String> = path.iter().map(|(r, _)| step_at(*r).id.get_ref().clone()).collect();
            ids.push(step_at(start).id.get_ref().clone());
            return Some(ids);
        }
        if !visited[target.flat] {
            visited[target.flat] = true;
            path.push((target, 0));
        }
    }
    None
}

fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A valid checklist of `steps` steps, in stages of 100, each step requiring the one before and
/// every tenth one conditional on a fact. For benchmarks and load tests of large inputs.
pub fn generate_for_benchmarks(steps: usize) -> String {
    use std::fmt::Write;
    let mut text = String::from(
        "id = \"generated\"\nname = \"Generated\"\nversion = 1\n[source]\ntitle = \"generated\"\npublisher = \"closeacct\"\n[[facts]]\nid = \"org\"\nquestion = \"Org?\"\n",
    );
    for i in 0..steps {
        if i % 100 == 0 {
            let _ = write!(text, "[[stages]]\nid = \"stage-{}\"\ntitle = \"Stage {}\"\n", i / 100, i / 100);
        }
        let _ = write!(
            text,
            "[[stages.steps]]\nid = \"step-{i}\"\ntitle = \"Step {i}\"\ndetail = \"Do the thing number {i}, then keep the evidence.\"\nactor = \"customer\"\nkind = \"confirm\"\n"
        );
        if i > 0 {
            let _ = writeln!(text, "requires = [\"step-{}\"]", i - 1);
        }
        if i % 10 == 0 {
            text.push_str("when = \"!org\"\n");
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn conditions_evaluate_negation_and_or() {
        let c = Condition::parse("org_management && !partner || kind=member").unwrap();
        assert_eq!(c.eval(&facts(&[("org_management", "yes"), ("partner", "no")])), Ok(true));
        assert_eq!(c.eval(&facts(&[("org_management", "yes"), ("partner", "yes"), ("kind", "other")])), Ok(false));
        assert_eq!(c.eval(&facts(&[("org_management", "no"), ("kind", "member")])), Ok(true));
        assert_eq!(c.eval(&facts(&[("org_management", "no")])), Err("kind".to_owned()));
        let negated = Condition::parse("!x").unwrap();
        assert_eq!(negated.eval(&facts(&[("x", "no")])), Ok(true));
        assert_eq!(negated.eval(&facts(&[])), Err("x".to_owned()));
    }

    #[test]
    fn malformed_conditions_are_refused() {
        for bad in ["", "a &&", "A", "a = ", "a b", "!!a", "a=B"] {
            assert!(Condition::parse(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn delays_parse() {
        assert_eq!(Delay::parse("1h"), Some(Delay::Hours(1)));
        assert_eq!(Delay::parse("90d"), Some(Delay::Days(90)));
        assert_eq!(Delay::parse("end-of-month"), Some(Delay::EndOfMonth));
        for bad in ["", "h", "1", "1y", "-1d", "1.5h", "9999999d", "1é"] {
            assert_eq!(Delay::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn ids_are_checked() {
        assert!(is_valid_id("close-account_2"));
        for bad in ["", "-a", "A", "a b", "a.b", &"a".repeat(65)] {
            assert!(!is_valid_id(bad), "{bad:?}");
        }
    }

    /// Every span a checklist carries, in order, so two parses can be compared span for span.
    fn spans(c: &Checklist) -> Vec<std::ops::Range<usize>> {
        let mut spans = vec![c.id.span()];
        for stage in &c.stages {
            spans.push(stage.id.span());
            for step in &stage.steps {
                spans.push(step.id.span());
                spans.extend(step.when.iter().chain(&step.requires).map(Spanned::span));
                spans.extend(step.sources.iter().chain(step.detail_if.iter().map(|d| &d.when)).map(Spanned::span));
                for f in &step.follow_up {
                    spans.extend(f.after.iter().chain(&f.from).map(Spanned::span));
                }
            }
        }
        spans
    }

    #[track_caller]
    fn assert_same_parse(text: &str) {
        let whole = parse_whole(text).expect("parses whole");
        let by_stage = parse_by_stage(text).expect("parses a stage at a time");
        assert_eq!(by_stage, whole);
        assert_eq!(spans(&by_stage), spans(&whole));
    }

    #[test]
    fn parsing_a_stage_at_a_time_gives_the_whole_parse_with_the_same_spans() {
        for (_, _, text) in BUILTIN {
            assert_same_parse(text);
        }
        assert_same_parse(&generate_for_benchmarks(1000));
        // The spans of a step's `sources` and `detail_if` conditions, in a later stage.
        assert_same_parse(&format!(
            "{}[[stages]]\nid = \"t\"\ntitle = \"T\"\n[[stages.steps]]\nid = \"two\"\ntitle = \"T\"\ndetail = \"d\"\nactor = \"customer\"\nkind = \"confirm\"\nsources = [\"a2\", \"a1\"]\n[[stages.steps.detail_if]]\nwhen = \"!org\"\ntext = \"x\"\n",
            CITED.replace("{step}", "[[stages.steps.detail_if]]\nwhen = \"org\"\ntext = \"y\"")
        ));
        // Comments, blank lines, a multi-line array, an inline table and a multi-line string
        // holding something that looks like a header.
        assert_same_parse(concat!(
            "id = \"t\" # [[stages]] in a comment\nname = \"T\"\nversion = 1\n",
            "source = { title = \"s\", publisher = \"p\" }\n\n",
            "[[stages]] # first\nid = \"a\"\ntitle = \"A\"\n",
            "  [[stages.steps]]\n  id = \"one\"\n  title = \"T\"\n",
            "  detail = \"\"\"\n[[stages]]\nid = \\\"not-a-header\\\"\n\"\"\"\n",
            "  actor = \"customer\"\n  kind = \"confirm\"\n",
            "[[stages]]\nid = \"b\"\ntitle = \"B\"\n[[stages.steps]]\nid = \"two\"\ntitle = \"T\"\ndetail = \"d\"\n",
            "actor = \"customer\"\nkind = \"confirm\"\nrequires = [\n  \"one\",\n]\n",
            "[[stages.steps.follow_up]]\nafter = \"1h\"\ntext = \"x\"\n",
        ));
    }

    #[test]
    fn documents_a_stage_at_a_time_cannot_follow_are_left_to_the_whole_parse() {
        let base = "id = \"t\"\nname = \"T\"\nversion = 1\n[[stages]]\nid = \"a\"\ntitle = \"A\"\n";
        // A top-level table after the stages, a quoted header key, and `stages` given inline.
        for text in [
            format!("{base}[source]\ntitle = \"s\"\npublisher = \"p\"\n"),
            format!("{base}[[\"stages\"]]\nid = \"b\"\ntitle = \"B\"\n"),
            "stages = []\n[[stages]]\nid = \"a\"\ntitle = \"A\"\n".to_owned(),
        ] {
            assert!(parse_by_stage(&text).is_none(), "{text}");
        }
    }

    proptest::proptest! {
        /// Whatever the document, a parse a stage at a time either steps aside or agrees with the
        /// whole parse, and never succeeds where the whole parse fails.
        #[test]
        fn parsing_a_stage_at_a_time_never_disagrees(
            cut in 0usize..8000,
            insert in "[\\[\\]{}=\"'#\\n a-z0-9.]{0,16}",
        ) {
            let base = BUILTIN[1].2;
            let mut at = cut.min(base.len());
            while !base.is_char_boundary(at) {
                at -= 1;
            }
            let text = format!("{}{insert}{}", &base[..at], &base[at..]);
            if let Some(by_stage) = parse_by_stage(&text) {
                let whole = parse_whole(&text);
                proptest::prop_assert!(whole.is_ok(), "whole parse fails: {:?}", whole.err());
                let whole = whole.unwrap();
                proptest::prop_assert_eq!(spans(&by_stage), spans(&whole));
                proptest::prop_assert_eq!(by_stage, whole);
            }
        }
    }

    /// A checklist with two `[[sources]]`, a fact and one step citing a source; `{step}` is
    /// replaced by extra lines of the step.
    const CITED: &str = r#"id = "t"
name = "T"
version = 1

[[sources]]
id = "a1"
title = "First"
publisher = "P"
url = "https://example.com/a1"

[[sources]]
id = "a2"
title = "Second"
publisher = "P"

[[facts]]
id = "org"
question = "Org?"

[[stages]]
id = "s"
title = "S"

[[stages.steps]]
id = "one"
title = "One"
detail = "Always."
actor = "customer"
kind = "confirm"
sources = ["a1"]
{step}
"#;

    fn cited(step: &str) -> String {
        CITED.replace("{step}", step)
    }

    #[track_caller]
    fn refused(text: &str, expected: &str) {
        let err = Loaded::parse(text, "t.toml").expect_err("must be refused").to_string();
        assert_eq!(err, expected);
    }

    #[test]
    fn sources_and_detail_if_load() {
        let loaded =
            Loaded::parse(&cited("[[stages.steps.detail_if]]\nwhen = \"org\"\ntext = \"Org.\""), "t.toml").unwrap();
        let c = &loaded.checklist;
        assert_eq!(c.source, None);
        assert_eq!(c.sources.iter().map(|s| s.id.get_ref().as_str()).collect::<Vec<_>>(), ["a1", "a2"]);
        assert_eq!(c.stages[0].steps[0].sources[0].get_ref(), "a1");
        let summary = c.source_summary();
        assert_eq!(summary.title, "First; Second");
        assert_eq!(summary.publisher, "P");
        assert_eq!(summary.reference.as_deref(), Some("https://example.com/a1"));
        assert_eq!(summary.date, None, "two sources: no one date");
        let one_source = cited("")
            .replace("url = \"https://example.com/a1\"", "read = \"2015-11-04\"")
            .replace("[[sources]]\nid = \"a2\"\ntitle = \"Second\"\npublisher = \"P\"\n", "");
        let one = Loaded::parse(&one_source, "t.toml").unwrap();
        assert_eq!(one.checklist.source_summary().date.as_deref(), Some("2015-11-04"));
        // The legacy table, with its new `url`, still loads.
        let legacy = Loaded::parse(
            &generate_for_benchmarks(1).replace("publisher = \"closeacct\"", "publisher = \"c\"\nurl = \"https://x\""),
            "g.toml",
        )
        .unwrap();
        assert_eq!(legacy.checklist.source_summary().url.as_deref(), Some("https://x"));
    }

    #[test]
    fn an_unknown_source_id_is_refused() {
        refused(
            &cited("").replace("sources = [\"a1\"]", "sources = [\"a1\", \"a3\"]"),
            "t.toml:30:18: `sources` names unknown source `a3`",
        );
    }

    #[test]
    fn a_duplicate_source_id_is_refused() {
        refused(&cited("").replace("id = \"a2\"", "id = \"a1\""), "t.toml:12:6: duplicate source id `a1`");
        refused(
            &cited("").replace("id = \"a2\"", "id = \"A2\""),
            "t.toml:12:6: malformed source id `A2` (use 1-64 lowercase letters, digits, `-` or `_`, starting with a letter or digit)",
        );
    }

    #[test]
    fn both_source_forms_are_refused() {
        let both = cited("").replace(
            "[[sources]]\nid = \"a1\"",
            "[source]\ntitle = \"s\"\npublisher = \"p\"\n\n[[sources]]\nid = \"a1\"",
        );
        refused(&both, "t.toml:10:6: a checklist has `[source]` or `[[sources]]`, not both");
    }

    #[test]
    fn a_checklist_without_a_source_is_refused() {
        let text =
            generate_for_benchmarks(1).replace("[source]\ntitle = \"generated\"\npublisher = \"closeacct\"\n", "");
        refused(&text, "t.toml:1:1: the checklist names no source (add `[[sources]]`)");
    }

    #[test]
    fn a_detail_if_is_validated_like_when() {
        let with = |when: &str| cited(&format!("[[stages.steps.detail_if]]\nwhen = \"{when}\"\ntext = \"x\""));
        refused(&with("org_member"), "t.toml:32:8: `detail_if` names unknown fact `org_member`");
        refused(
            &with("org &&"),
            "t.toml:32:8: malformed condition `org &&` (expected e.g. `fact`, `!fact`, `fact=choice`, joined by && or ||)",
        );
        refused(&with("org=yes"), "t.toml:32:8: fact `org` is yes-no; use `org` or `!org`");
    }

    #[test]
    fn detail_for_appends_the_paragraphs_whose_condition_holds() {
        let text = cited(concat!(
            "[[stages.steps.detail_if]]\nwhen = \"org\"\ntext = \"For an organization.\"\n",
            "[[stages.steps.detail_if]]\nwhen = \"!org\"\ntext = \"Standalone.\"\n",
            "[[stages.steps.detail_if]]\nwhen = \"org || !org\"\ntext = \"Either way.\"\n",
        ));
        let loaded = Loaded::parse(&text, "t.toml").unwrap();
        let step = loaded.step(loaded.find("one").unwrap());
        assert_eq!(
            loaded.detail_for(step, &facts(&[("org", "yes")])),
            "Always.\n\nFor an organization.\n\nEither way."
        );
        assert_eq!(loaded.detail_for(step, &facts(&[("org", "no")])), "Always.\n\nStandalone.\n\nEither way.");
        // Unanswered: no condition holds yet.
        assert_eq!(loaded.detail_for(step, &facts(&[])), "Always.");
        // A step without detail_if: its detail as written.
        let plain = Loaded::parse(&cited(""), "t.toml").unwrap();
        assert_eq!(plain.detail_for(plain.step(plain.find("one").unwrap()), &facts(&[("org", "yes")])), "Always.");
    }

    #[test]
    fn positions_count_lines_and_characters() {
        let text = "a\nbé c\n";
        assert_eq!(Position::of(text, 0), Position { line: 1, col: 1 });
        assert_eq!(Position::of(text, 5), Position { line: 2, col: 3 });
        assert_eq!(Position::of(text, 100), Position { line: 3, col: 1 });
    }
}
