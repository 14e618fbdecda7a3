//! Loading a checklist: from a built-in table or a file, parsed (a stage at a time where that is
//! possible, to bound memory), validated, and indexed for the lookups every command makes.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::condition::Condition;
use super::schema::{Checklist, Fact, Stage, Step};
use super::validate::Validator;
use super::{BUILTIN, MAX_CHECKLIST_BYTES, MAX_CHECKLIST_FILE_BYTES};
use crate::bounded::{self, Unreadable};
use crate::checks::ValidCheck;
use crate::error::{Error, Result};

/// A step's place in the checklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepRef {
    /// Index of the stage (0-based).
    pub(crate) stage: usize,
    /// Index of the step within its stage (0-based).
    pub(crate) step: usize,
    /// Index of the step in checklist order (0-based).
    pub(crate) flat: usize,
}

impl StepRef {
    /// The number shown to operators, `3.2` for the second step of the third stage.
    pub(crate) fn number(self) -> String {
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
    pub(super) conditions: HashMap<String, Condition>,
    /// The parsed `when` of each step's `detail_if` paragraphs, in order; steps without any are
    /// left out.
    pub(super) detail_ifs: HashMap<String, Vec<Condition>>,
    /// The validated checks of each step that has any, in order.
    pub(super) checks: HashMap<String, Vec<ValidCheck>>,
    pub(super) index: HashMap<String, StepRef>,
    pub(super) order: Vec<StepRef>,
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

    /// Loads a checklist file from disk: a regular file of at most
    /// [`MAX_CHECKLIST_FILE_BYTES`], read with that bound.
    pub(crate) fn from_file(path: &Path) -> Result<Loaded> {
        let bytes = Loaded::read_file(path, true)?;
        Loaded::from_bytes(bytes, path)
    }

    /// Reads a checklist file within its bound; a symbolic link is refused unless `follow`.
    pub(crate) fn read_file(path: &Path, follow: bool) -> Result<Vec<u8>> {
        bounded::read(path, MAX_CHECKLIST_FILE_BYTES, follow).map_err(|e| match e {
            Unreadable::NotFound => Error::NoSuchFile { path: path.to_owned() },
            Unreadable::Io(e) => Error::io("read checklist", path, e),
            other => Error::InvalidChecklist { location: path.display().to_string(), reason: other.reason() },
        })
    }

    /// Loads a checklist from the bytes of the file at `path`.
    pub(crate) fn from_bytes(bytes: Vec<u8>, path: &Path) -> Result<Loaded> {
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
    pub(crate) fn resolve(&self, arg: &str) -> Result<StepRef> {
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

    /// A step's checks, validated, in the order written; empty for a step without any.
    pub fn checks(&self, step: &Step) -> &[ValidCheck] {
        self.checks.get(step.id.get_ref()).map_or(&[], Vec::as_slice)
    }

    /// Looks a fact up by id.
    pub fn fact(&self, id: &str) -> Option<&Fact> {
        self.checklist.facts.iter().find(|f| f.id.get_ref() == id)
    }

    /// Looks a fact up by id, or says which facts there are.
    pub(crate) fn require_fact(&self, id: &str) -> Result<&Fact> {
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

/// Parses a checklist document in one piece.
pub(crate) fn parse_whole(text: &str) -> std::result::Result<Checklist, toml::de::Error> {
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
pub(crate) fn parse_by_stage(text: &str) -> Option<Checklist> {
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
        for check in &mut step.check {
            check.shift_spans(offset);
        }
    }
}

/// A 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Position {
    pub(crate) line: usize,
    pub(crate) col: usize,
}

impl Position {
    /// The position of byte offset `offset` in `text`.
    pub(crate) fn of(text: &str, offset: usize) -> Position {
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

    pub(super) fn at(self, origin: &str) -> String {
        format!("{origin}:{}:{}", self.line, self.col)
    }
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

fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checklist::BUILTIN;
    use crate::checklist::testing::cited;

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
                for check in &step.check {
                    if let Some(foreach) = &check.foreach {
                        spans.push(foreach.span());
                        spans.extend(foreach.get_ref().values().flatten().map(Spanned::span));
                    }
                    spans.push(check.run.span());
                    spans.extend(check.run.get_ref().iter().map(Spanned::span));
                    spans.push(check.expect.span());
                    spans.extend(check.timeout.iter().map(Spanned::span));
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
            cited("[[stages.steps.detail_if]]\nwhen = \"org\"\ntext = \"y\"")
        ));
        // Checks in a later stage, one as a table and two as an array of tables.
        assert_same_parse(&format!(
            "{}{}",
            cited(
                "[stages.steps.check]\nsummary = \"s\"\nrun = [\"aws\", \"s3api\", \"list-buckets\"]\nexpect = \"empty\""
            ),
            concat!(
                "[[stages]]\nid = \"t\"\ntitle = \"T\"\n[[stages.steps]]\nid = \"two\"\ntitle = \"T\"\ndetail = \"d\"\n",
                "actor = \"customer\"\nkind = \"confirm\"\n",
                "[[stages.steps.check]]\nsummary = \"a\"\nforeach = { r = [\"list\", \"{account}\"] }\n",
                "run = [\"aws\", \"ec2\", \"describe-volumes\", \"--region\", \"{r}\"]\nexpect = { matches = \"^$\" }\ntimeout = \"5s\"\n",
                "[[stages.steps.check]]\nsummary = \"b\"\nrun = [\"true\"]\nexpect = \"success\"\n",
            )
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

    #[test]
    fn positions_count_lines_and_characters() {
        let text = "a\nbé c\n";
        assert_eq!(Position::of(text, 0), Position { line: 1, col: 1 });
        assert_eq!(Position::of(text, 5), Position { line: 2, col: 3 });
        assert_eq!(Position::of(text, 100), Position { line: 3, col: 1 });
    }
}
