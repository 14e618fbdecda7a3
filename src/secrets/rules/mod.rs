//! The vendor shapes: reading `rules.toml` and running one rule over a text.
//!
//! The file is in the gitleaks schema so that shapes can be taken from gitleaks and a new vendor
//! is a data edit. It is read by a small reader of the TOML the file uses rather than the `toml`
//! crate, because every process that screens a note reads it: the `toml` crate takes over a
//! millisecond for it, this reader a small fraction of that. A test checks that both read the
//! file alike.

mod reader;

use std::sync::OnceLock;

use regex_automata::meta::{BuildError, Regex};
use regex_automata::util::syntax;

pub(crate) use self::reader::parse;

/// The rules file, compiled in.
pub(crate) const RULES_TOML: &str = include_str!("../rules.toml");

/// Every rule of the file, and the top-level allowlists (each for every rule, or for the rules it
/// names in `targetRules`).
pub(crate) struct RuleSet<'a> {
    pub(crate) global: Vec<Allowlist<'a>>,
    pub(crate) rules: Vec<Rule<'a>>,
}

/// One `[[rules]]` table.
pub(crate) struct Rule<'a> {
    pub(crate) id: &'a str,
    /// The refusal phrase, with its article.
    pub(crate) description: &'a str,
    pub(crate) regex: &'a str,
    pub(crate) secret_group: Option<usize>,
    pub(crate) entropy: Option<f64>,
    pub(crate) keywords: Vec<&'a str>,
    pub(crate) allowlists: Vec<Allowlist<'a>>,
    compiled: OnceLock<Regex>,
}

/// What an allowlist's regexes are matched against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    Secret,
    Match,
    Line,
}

/// An `[[allowlists]]` or `[[rules.allowlists]]` table: a finding it matches is not a secret.
pub(crate) struct Allowlist<'a> {
    /// `condition = "AND"`: every kind of check given must match, not just one.
    pub(crate) all: bool,
    pub(crate) target: Target,
    pub(crate) regexes: Vec<&'a str>,
    pub(crate) stopwords: Vec<&'a str>,
    /// `targetRules`: the rules a top-level allowlist is for; empty for all of them.
    pub(crate) target_rules: Vec<&'a str>,
    compiled: OnceLock<Option<Regex>>,
}

/// One secret a rule found: the byte span of the secret in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hit {
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// Compiles a rule's pattern: bytes, ASCII classes, as gitleaks' RE2 patterns expect. Without a
/// literal prefilter: a rule runs only on a text holding its keyword, and a note is short, so the
/// prefilter would cost more to build (half of the compile for `(?i)…datadog…`) than it saves.
pub(crate) fn compile(pattern: &str) -> Result<Regex, Box<BuildError>> {
    Regex::builder()
        .syntax(syntax::Config::new().unicode(false).utf8(false))
        .configure(Regex::config().auto_prefilter(false).utf8_empty(false))
        .build(pattern)
        .map_err(Box::new)
}

impl Rule<'_> {
    fn regex(&self) -> &Regex {
        self.compiled.get_or_init(|| compile(self.regex).expect("every rule compiles (checked by the tests)"))
    }

    /// Every secret this rule finds in `text`, after its entropy and allowlist checks.
    pub(crate) fn find_all(&self, text: &str, global: &[Allowlist<'_>], out: &mut Vec<Hit>) {
        let bytes = text.as_bytes();
        for caps in self.regex().captures_iter(bytes) {
            let Some(whole) = caps.get_match() else { continue };
            let secret = match self.secret_group {
                Some(group) => caps.get_group(group),
                None => (1..caps.group_len())
                    .filter_map(|g| caps.get_group(g))
                    .find(|m| !m.is_empty())
                    .or(Some(whole.span())),
            };
            let Some(secret) = secret else { continue };
            let (start, end) = trim_span(bytes, secret.start, secret.end);
            if start >= end {
                continue;
            }
            let secret_text = &bytes[start..end];
            if self.entropy.is_some_and(|min| shannon_entropy(secret_text) <= min) {
                continue;
            }
            let line = line_around(bytes, whole.start(), whole.end());
            let allowed = |list: &Allowlist<'_>| list.allows(secret_text, &bytes[whole.range()], line);
            let for_this = |list: &&Allowlist<'_>| list.target_rules.is_empty() || list.target_rules.contains(&self.id);
            if global.iter().filter(for_this).any(allowed) || self.allowlists.iter().any(allowed) {
                continue;
            }
            out.push(Hit { start, end });
        }
    }
}

impl Allowlist<'_> {
    fn allows(&self, secret: &[u8], whole: &[u8], line: &[u8]) -> bool {
        let target = match self.target {
            Target::Secret => secret,
            Target::Match => whole,
            Target::Line => line,
        };
        let regex = self
            .compiled
            .get_or_init(|| {
                (!self.regexes.is_empty()).then(|| {
                    let joined = self.regexes.iter().map(|r| format!("(?:{r})")).collect::<Vec<_>>().join("|");
                    compile(&joined).expect("every allowlist compiles (checked by the tests)")
                })
            })
            .as_ref()
            .is_some_and(|r| r.is_match(target));
        let lowered = secret.to_ascii_lowercase();
        let stopword = self.stopwords.iter().any(|w| memchr::memmem::find(&lowered, w.as_bytes()).is_some());
        if self.all {
            (self.regexes.is_empty() || regex) && (self.stopwords.is_empty() || stopword)
        } else {
            regex || stopword
        }
    }
}

/// The span without surrounding whitespace (gitleaks trims line breaks off a match).
fn trim_span(bytes: &[u8], mut start: usize, mut end: usize) -> (usize, usize) {
    while start < end && bytes[start].is_ascii_whitespace() {
        start += 1;
    }
    while end > start && bytes[end - 1].is_ascii_whitespace() {
        end -= 1;
    }
    (start, end)
}

/// The lines holding `start..end`.
fn line_around(bytes: &[u8], start: usize, end: usize) -> &[u8] {
    let from = memchr::memrchr(b'\n', &bytes[..start]).map_or(0, |i| i + 1);
    let to = memchr::memchr(b'\n', &bytes[end..]).map_or(bytes.len(), |i| end + i);
    &bytes[from..to]
}

/// Shannon entropy in bits a character, computed as gitleaks does (over the characters, divided
/// by the length in bytes).
pub(crate) fn shannon_entropy(secret: &[u8]) -> f64 {
    if secret.is_empty() {
        return 0.0;
    }
    let text = String::from_utf8_lossy(secret);
    let mut counts: Vec<(char, u32)> = Vec::new();
    for c in text.chars() {
        match counts.iter_mut().find(|(k, _)| *k == c) {
            Some((_, n)) => *n += 1,
            None => counts.push((c, 1)),
        }
    }
    #[allow(clippy::cast_precision_loss)]
    let len = secret.len() as f64;
    counts
        .iter()
        .map(|&(_, n)| {
            let p = f64::from(n) / len;
            -p * p.log2()
        })
        .sum()
}
#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> RuleSet<'static> {
        parse(RULES_TOML).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The reader and the `toml` crate read the same rules from the file.
    #[test]
    fn the_reader_agrees_with_the_toml_crate() {
        let set = rules();
        let table: toml::Table = toml::from_str(RULES_TOML).expect("rules.toml is valid TOML");
        let strings = |v: Option<&toml::Value>| -> Vec<String> {
            v.and_then(toml::Value::as_array)
                .map(|a| a.iter().map(|s| s.as_str().expect("a string").to_owned()).collect())
                .unwrap_or_default()
        };
        let globals = table["allowlists"].as_array().expect("[[allowlists]]");
        assert_eq!(set.global.len(), globals.len());
        for (list, theirs) in set.global.iter().zip(globals) {
            assert_eq!(list.regexes, strings(theirs.get("regexes")));
            assert_eq!(list.stopwords, strings(theirs.get("stopwords")));
            assert_eq!(list.target_rules, strings(theirs.get("targetRules")));
            let target = theirs.get("regexTarget").and_then(toml::Value::as_str).unwrap_or("secret");
            assert_eq!(format!("{:?}", list.target).to_lowercase(), target);
        }
        let toml_rules = table["rules"].as_array().expect("[[rules]]");
        assert_eq!(set.rules.len(), toml_rules.len());
        for (rule, theirs) in set.rules.iter().zip(toml_rules) {
            let get = |k: &str| theirs.get(k).and_then(toml::Value::as_str).unwrap_or_default();
            assert_eq!(rule.id, get("id"));
            assert_eq!(rule.description, get("description"), "{}", rule.id);
            assert_eq!(rule.regex, get("regex"), "{}", rule.id);
            let group = theirs.get("secretGroup").and_then(toml::Value::as_integer).filter(|&g| g > 0);
            assert_eq!(rule.secret_group.map(|g| i64::try_from(g).unwrap()), group, "{}", rule.id);
            let entropy = theirs.get("entropy").map(|e| {
                e.as_float().or_else(|| e.as_integer().and_then(|i| i32::try_from(i).ok()).map(f64::from)).unwrap()
            });
            assert_eq!(rule.entropy, entropy, "{}", rule.id);
            assert_eq!(rule.keywords, strings(theirs.get("keywords")), "{}", rule.id);
            let lists = theirs.get("allowlists").and_then(toml::Value::as_array).cloned().unwrap_or_default();
            assert_eq!(rule.allowlists.len(), lists.len(), "{}", rule.id);
            for (list, theirs) in rule.allowlists.iter().zip(&lists) {
                assert_eq!(list.regexes, strings(theirs.get("regexes")), "{}", rule.id);
                assert_eq!(list.stopwords, strings(theirs.get("stopwords")), "{}", rule.id);
                let target = theirs.get("regexTarget").and_then(toml::Value::as_str).unwrap_or("secret");
                assert_eq!(format!("{:?}", list.target).to_lowercase(), target, "{}", rule.id);
                let all = theirs.get("condition").and_then(toml::Value::as_str).is_some_and(|c| c == "AND");
                assert_eq!(list.all, all, "{}", rule.id);
            }
        }
    }

    #[test]
    fn every_rule_is_well_formed() {
        let set = rules();
        let mut ids = std::collections::HashSet::new();
        for rule in &set.rules {
            assert!(ids.insert(rule.id), "duplicate rule id {}", rule.id);
            compile(rule.regex).unwrap_or_else(|e| panic!("{}: {e}", rule.id));
            assert!(!rule.keywords.is_empty(), "{} has no keywords, so it would run on every note", rule.id);
            for keyword in &rule.keywords {
                assert_eq!(*keyword, keyword.to_ascii_lowercase(), "{}: keywords are lower case", rule.id);
            }
            let d = rule.description;
            assert!(
                d.starts_with("a ") || d.starts_with("an ") || d == "HTTP Basic credentials",
                "{}: the description is a phrase with its article: {d:?}",
                rule.id
            );
            let groups = compile(rule.regex).unwrap().group_info().group_len(regex_automata::PatternID::ZERO);
            assert!(rule.secret_group.is_none_or(|g| g < groups), "{}: no group {:?}", rule.id, rule.secret_group);
            for list in &rule.allowlists {
                assert!(!list.regexes.is_empty() || !list.stopwords.is_empty(), "{}: an empty allowlist", rule.id);
                for r in &list.regexes {
                    compile(r).unwrap_or_else(|e| panic!("{}: allowlist {r}: {e}", rule.id));
                }
            }
        }
        for r in set.global.iter().flat_map(|list| &list.regexes) {
            compile(r).unwrap_or_else(|e| panic!("top-level allowlist {r}: {e}"));
        }
    }

    #[test]
    fn the_reader_refuses_what_it_does_not_understand() {
        for (src, line, needle) in [
            (
                "[[rules]]\nid = \"x\"\nregex = 'a'\ndescription = \"a x\"\npath = 'y'\n",
                5,
                "unknown or mistyped rule key",
            ),
            ("[[rules]]\nid = \"x\\u0041\"\n", 2, "escapes"),
            ("[[rules]]\nid = 'x'\nkeywords = [\"a\" \"b\"]\n", 3, "expected `,` or `]`"),
            ("[rules]\n", 1, "unknown table"),
            ("[[rules.allowlists]]\nregexes = ['a']\n", 1, "before any rule"),
            ("[[rules]]\nid = 'x' trailing\n", 2, "unexpected text"),
            ("[[rules]]\nentropy = high\n", 2, "expected a string"),
            ("[[rules]]\nregex = '''a\n", 2, "unterminated"),
            ("[[rules]]\nid = \"x\"\n", 0, "lacks an id, regex or description"),
        ] {
            let Err(e) = parse(src) else { panic!("{src:?} was accepted") };
            assert_eq!(e.line, line, "{src:?}: {e}");
            assert!(e.message.contains(needle), "{src:?}: {e}");
        }
    }

    #[test]
    fn the_secret_is_the_group_asked_for_or_the_first_that_matched() {
        let src = "[[rules]]\nid = 'a'\ndescription = 'an a'\nregex = '''(x)?(k-[0-9]+)(!)?'''\nkeywords = ['k-']\n\
                   [[rules]]\nid = 'b'\ndescription = 'a b'\nregex = '''(k)-([0-9]+)'''\nsecretGroup = 2\nkeywords = ['k-']\n\
                   [[rules]]\nid = 'c'\ndescription = 'a c'\nregex = '''k-[0-9]+'''\nentropy = 2.5\nkeywords = ['k-']\n";
        let set = parse(src).unwrap();
        let hits = |i: usize, text: &str| {
            let mut out = Vec::new();
            set.rules[i].find_all(text, &set.global, &mut out);
            out.iter().map(|h| &text[h.start..h.end]).collect::<Vec<_>>().join(",")
        };
        assert_eq!(hits(0, "see k-12345! now"), "k-12345");
        assert_eq!(hits(1, "see k-12345! now"), "12345");
        // Entropy: "k-1111" repeats too much, "k-1234567" does not.
        assert_eq!(hits(2, "k-1111 k-1234567"), "k-1234567");
    }

    #[test]
    fn allowlists_follow_their_target_and_condition() {
        let src = "[[allowlists]]\nstopwords = ['example']\n\
                   [[allowlists]]\ntargetRules = ['b']\nregexes = ['k-b']\n\
                   [[rules]]\nid = 'a'\ndescription = 'an a'\nregex = '''k-([a-z0-9]+)'''\nkeywords = ['k-']\n\
                   [[rules.allowlists]]\nregexTarget = 'line'\nregexes = ['''^test:''']\n\
                   [[rules.allowlists]]\ncondition = 'AND'\nregexes = ['''^x''']\nstopwords = ['zz']\n\
                   [[rules]]\nid = 'b'\ndescription = 'a b'\nregex = 'k-b'\nkeywords = ['k-']\n";
        let set = parse(src).unwrap();
        let count = |text: &str| {
            let mut out = Vec::new();
            set.rules[0].find_all(text, &set.global, &mut out);
            out.len()
        };
        assert_eq!(count("k-abc123"), 1);
        assert_eq!(count("k-myexample1"), 0, "a global stopword");
        assert_eq!(count("test: k-abc123"), 0, "a line allowlist");
        assert_eq!(count("k-xyzz1"), 0, "both conditions of an AND list");
        assert_eq!(count("k-xy1"), 1, "only one condition of an AND list");
        assert_eq!(count("k-azz1"), 1, "only the other condition of an AND list");
        assert_eq!(count("k-b1"), 1, "an allowlist for another rule");
        let Err(e) = parse("[[allowlists]]\ntargetRules = ['nope']\nregexes = ['x']\n") else { panic!("accepted") };
        assert!(e.message.contains("`nope`, which does not exist"), "{e}");
    }

    #[test]
    fn entropy_is_computed_as_gitleaks_does() {
        assert!(shannon_entropy(b"").abs() < f64::EPSILON);
        assert!(shannon_entropy(b"aaaa").abs() < f64::EPSILON);
        assert!((shannon_entropy(b"abcd") - 2.0).abs() < 1e-9);
        assert!((shannon_entropy(b"aabb") - 1.0).abs() < 1e-9);
    }
}
