//! Reading a line in the one form closeacct writes, without a general JSON parser.
//!
//! Replaying a long log is mostly parsing, and every line closeacct writes has one shape:
//! `serde_json`'s compact form of [`Event`], keys in declaration order, absent options left out.
//! [`parse`] reads exactly that shape. For any other line (keys in another order, an escaped
//! string, an extra field, whitespace, an unusual number or timestamp) it returns `None` and the
//! caller parses the line with `serde_json`, so the two readers agree on every line this one
//! accepts. A unit test and the `log_parser` fuzz target check that agreement.

use std::borrow::Cow;

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::Offset;

use super::event::{Event, EventKind, EventRef, Text};

/// The event on `line` when it is in the form closeacct writes; `None` for anything else.
pub(super) fn parse(line: &str) -> Option<EventRef<'_>> {
    let mut c = Cursor { rest: line };
    c.literal("{\"v\":")?;
    let v = u32::try_from(c.number()?).ok()?;
    c.literal(",\"seq\":")?;
    let seq = c.number()?;
    c.literal(",\"prev\":")?;
    let prev = c.text()?;
    c.literal(",\"at\":")?;
    let at = timestamp(c.string()?)?;
    c.literal(",\"by\":")?;
    let by = c.text()?;
    c.literal(",\"event\":")?;
    let kind = match c.string()? {
        "run_started" => EventKind::RunStarted {
            provider: c.field("provider")?,
            account: c.field("account")?,
            checklist_version: c.version_field()?,
            checklist_sha256: c.field("checklist_sha256")?,
            zone: c.optional_field("zone")?,
        },
        "fact_answered" => EventKind::FactAnswered { fact: c.field("fact")?, value: c.field("value")? },
        "step_done" => EventKind::StepDone {
            step: c.field("step")?,
            note: c.optional_field("note")?,
            evidence: c.optional_field("evidence")?,
            attested: c.optional_field("attested")?,
            happened_at: c.optional_time("happened_at")?,
            // A step confirmed with checks carries a list of objects: left to serde_json.
            checks: Vec::new(),
        },
        "step_skipped" => EventKind::StepSkipped {
            step: c.field("step")?,
            reason: c.field("reason")?,
            happened_at: c.optional_time("happened_at")?,
        },
        "step_waiting" => EventKind::StepWaiting {
            step: c.field("step")?,
            note: c.optional_field("note")?,
            on: c.optional_field("on")?,
            happened_at: c.optional_time("happened_at")?,
        },
        "note_added" => EventKind::NoteAdded { step: c.field("step")?, note: c.field("note")? },
        "checklist_accepted" => EventKind::ChecklistAccepted {
            checklist_version: c.version_field()?,
            checklist_sha256: c.field("checklist_sha256")?,
            changes: c.list_field("changes")?,
        },
        "run_completed" => EventKind::RunCompleted {},
        "run_reopened" => EventKind::RunReopened {},
        _ => return None,
    };
    c.literal("}")?;
    c.rest.is_empty().then_some(Event { v, seq, prev, at, by, kind })
}

/// `2026-11-24T21:28:20Z`, the form jiff prints a whole-second UTC timestamp in, read without the
/// general parser; anything else goes to jiff's parser, which is what serde uses.
fn timestamp(s: &str) -> Option<Timestamp> {
    fn digits(b: &[u8]) -> Option<i16> {
        b.iter().try_fold(0i16, |n, &d| d.is_ascii_digit().then(|| n * 10 + i16::from(d - b'0')))
    }
    let quick = || {
        let b = s.as_bytes();
        if b.len() != 20 || [b[4], b[7], b[10], b[13], b[16], b[19]] != *b"--T::Z" {
            return None;
        }
        let two = |at: usize| digits(&b[at..at + 2]).and_then(|n| i8::try_from(n).ok());
        let civil = DateTime::new(digits(&b[0..4])?, two(5)?, two(8)?, two(11)?, two(14)?, two(17)?, 0).ok()?;
        Offset::UTC.to_timestamp(civil).ok()
    };
    quick().or_else(|| s.parse().ok())
}

struct Cursor<'a> {
    rest: &'a str,
}

impl<'a> Cursor<'a> {
    fn literal(&mut self, expected: &str) -> Option<()> {
        self.rest = self.rest.strip_prefix(expected)?;
        Some(())
    }

    /// A JSON number that is a plain non-negative integer (no sign, fraction, exponent, leading
    /// zero or overflow; `serde_json` either reads those differently or refuses them).
    fn number(&mut self) -> Option<u64> {
        let len = self.rest.bytes().take_while(u8::is_ascii_digit).count();
        let (digits, rest) = self.rest.split_at(len);
        if digits.is_empty() || (digits.len() > 1 && digits.starts_with('0')) || rest.starts_with(['.', 'e', 'E']) {
            return None;
        }
        self.rest = rest;
        digits.parse().ok()
    }

    /// A JSON string without escapes or control characters, as a borrowed slice.
    fn string(&mut self) -> Option<&'a str> {
        let body = self.rest.strip_prefix('"')?;
        let bytes = body.as_bytes();
        let len = memchr::memchr2(b'"', b'\\', bytes)?;
        // Folded rather than `any`: without an early exit the check runs over whole vectors,
        // which makes replaying a long log measurably faster.
        let controls = bytes[..len].iter().fold(0u8, |found, &b| found | u8::from(b < 0x20));
        if bytes[len] != b'"' || controls != 0 {
            return None;
        }
        self.rest = &body[len + 1..];
        Some(&body[..len])
    }

    fn text(&mut self) -> Option<Text<'a>> {
        self.string().map(|s| Text(Cow::Borrowed(s)))
    }

    fn key(&mut self, name: &str) -> Option<()> {
        self.literal(",\"")?;
        self.literal(name)?;
        self.literal("\":")
    }

    fn field(&mut self, name: &str) -> Option<Text<'a>> {
        self.key(name)?;
        self.text()
    }

    /// A field written only when it has a value: absent here unless the next key is `name`. The
    /// outer `None` is a line not in the written form, as everywhere here.
    #[allow(clippy::option_option)]
    fn optional_field(&mut self, name: &str) -> Option<Option<Text<'a>>> {
        let before = self.rest;
        if self.key(name).is_none() {
            self.rest = before;
            return Some(None);
        }
        self.text().map(Some)
    }

    /// A timestamp written only when it has a value (see [`Cursor::optional_field`]).
    #[allow(clippy::option_option)]
    fn optional_time(&mut self, name: &str) -> Option<Option<Timestamp>> {
        let before = self.rest;
        if self.key(name).is_none() {
            self.rest = before;
            return Some(None);
        }
        timestamp(self.string()?).map(Some)
    }

    fn version_field(&mut self) -> Option<u32> {
        self.key("checklist_version")?;
        u32::try_from(self.number()?).ok()
    }

    fn list_field(&mut self, name: &str) -> Option<Vec<Text<'a>>> {
        self.key(name)?;
        self.literal("[")?;
        let mut items = Vec::new();
        if self.literal("]").is_some() {
            return Some(items);
        }
        loop {
            items.push(self.text()?);
            if self.literal("]").is_some() {
                return Some(items);
            }
            self.literal(",")?;
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::checks::{CheckRecord, CommandRecord, ItemRecord};
    use crate::state::STATE_VERSION;
    use crate::state::event::CheckRef;

    /// What `serde_json` makes of the line: the reference this reader must agree with.
    fn by_serde(line: &str) -> Option<EventRef<'_>> {
        serde_json::from_str(line).ok()
    }

    fn agrees(line: &str) {
        if let Some(fast) = parse(line) {
            assert_eq!(Some(fast), by_serde(line), "{line}");
        }
    }

    fn text() -> impl Strategy<Value = String> {
        prop_oneof!["[a-z0-9 ._:-]{0,12}", any::<String>(), Just(String::new()), "[\"\\\\\\n\\t\\u{1}é€😀]{0,4}",]
    }

    fn timestamp() -> impl Strategy<Value = Timestamp> {
        prop_oneof![
            (Timestamp::MIN.as_second()..=Timestamp::MAX.as_second()).prop_map(|s| Timestamp::from_second(s).unwrap()),
            (0i64..=4_102_444_800, 1i32..1_000_000_000).prop_map(|(s, ns)| Timestamp::new(s, ns).unwrap()),
            Just(Timestamp::MIN),
            Just(Timestamp::MAX),
        ]
    }

    /// Each kind's strategy is boxed: unboxed, the union's type is deep enough to overflow a debug
    /// build's test-thread stack.
    fn kind() -> impl Strategy<Value = EventKind> {
        let opt = || proptest::option::of(text());
        let time = || proptest::option::of(timestamp());
        prop_oneof![
            (text(), text(), any::<u32>(), text(), opt())
                .prop_map(|(provider, account, checklist_version, checklist_sha256, zone)| {
                    EventKind::RunStarted { provider, account, checklist_version, checklist_sha256, zone }
                })
                .boxed(),
            (text(), text()).prop_map(|(fact, value)| EventKind::FactAnswered { fact, value }).boxed(),
            (text(), opt(), opt(), opt(), time(), checks())
                .prop_map(|(step, note, evidence, attested, happened_at, checks)| EventKind::StepDone {
                    step,
                    note,
                    evidence,
                    attested,
                    happened_at,
                    checks
                })
                .boxed(),
            (text(), text(), time())
                .prop_map(|(step, reason, happened_at)| EventKind::StepSkipped { step, reason, happened_at })
                .boxed(),
            (text(), opt(), opt(), time())
                .prop_map(|(step, note, on, happened_at)| EventKind::StepWaiting { step, note, on, happened_at })
                .boxed(),
            (text(), text()).prop_map(|(step, note)| EventKind::NoteAdded { step, note }).boxed(),
            (any::<u32>(), text(), proptest::collection::vec(text(), 0..3))
                .prop_map(|(checklist_version, checklist_sha256, changes)| EventKind::ChecklistAccepted {
                    checklist_version,
                    checklist_sha256,
                    changes
                })
                .boxed(),
            Just(EventKind::RunCompleted {}).boxed(),
            Just(EventKind::RunReopened {}).boxed(),
            (text(), any::<u32>(), check_record())
                .prop_map(|(step, check, result)| EventKind::CheckRan { step, check, result: Box::new(result) })
                .boxed(),
        ]
    }

    fn checks() -> impl Strategy<Value = Vec<CheckRef>> {
        let check = (any::<u64>(), text()).prop_map(|(seq, sha256)| CheckRef { seq, sha256 });
        prop_oneof![3 => Just(Vec::new()), 1 => proptest::collection::vec(check, 1..3)]
    }

    /// A check's record with the world's text in its excerpts and argv.
    fn check_record() -> impl Strategy<Value = CheckRecord> {
        let item = (proptest::option::of(text()), any::<bool>(), text(), text(), proptest::option::of(any::<i32>()));
        (text(), any::<bool>(), proptest::option::of(text()), proptest::collection::vec(item, 0..3)).prop_map(
            |(summary, passed, problem, items)| CheckRecord {
                summary,
                expect: "empty".into(),
                timeout_ms: 60_000,
                jobs: 8,
                passed,
                problem,
                foreach: None,
                items: items
                    .into_iter()
                    .map(|(item, passed, argv, excerpt, exit_code)| ItemRecord {
                        item,
                        passed,
                        reason: None,
                        left: vec![excerpt.clone()],
                        left_truncated: false,
                        command: CommandRecord {
                            argv: vec!["aws".into(), argv],
                            exit_code,
                            signal: None,
                            timed_out: false,
                            duration_ms: 1,
                            stdout_sha256: "e3b0".into(),
                            stdout_bytes: excerpt.len() as u64,
                            stderr_bytes: 0,
                            stdout_excerpt: excerpt,
                            stderr_excerpt: String::new(),
                            excerpts_truncated: false,
                            output_open: false,
                        },
                    })
                    .collect(),
                duration_ms: 5,
                excerpt_bytes: 0,
                excerpts_truncated: false,
                check_sha256: "ab".repeat(32),
            },
        )
    }

    /// Whether the quick reader reads this kind of event (else it is always left to `serde_json`).
    fn read_quickly(kind: &EventKind) -> bool {
        match kind {
            EventKind::CheckRan { .. } => false,
            EventKind::StepDone { checks, .. } => checks.is_empty(),
            _ => true,
        }
    }

    fn event() -> impl Strategy<Value = Event> {
        (any::<u64>(), text(), timestamp(), text(), kind()).prop_map(|(seq, prev, at, by, kind)| Event {
            v: STATE_VERSION,
            seq,
            prev,
            at,
            by,
            kind,
        })
    }

    #[test]
    fn reads_the_lines_closeacct_writes() {
        let line = r#"{"v":1,"seq":3,"prev":"ab","at":"2026-11-24T21:28:20Z","by":"ops","event":"step_done","step":"s","evidence":"CS-2"}"#;
        let event = parse(line).expect("a line in the written form");
        assert_eq!(event.seq, 3);
        assert_eq!(event.at, "2026-11-24T21:28:20Z".parse::<Timestamp>().unwrap());
        assert_eq!(Some(event), by_serde(line));
    }

    #[test]
    fn leaves_other_forms_to_serde() {
        for line in [
            r#"{"seq":3,"v":1,"prev":"ab","at":"2026-11-24T21:28:20Z","by":"ops","event":"run_completed"}"#,
            r#"{"v":1,"seq":3,"prev":"a\"b","at":"2026-11-24T21:28:20Z","by":"ops","event":"run_completed"}"#,
            r#"{"v":1,"seq":03,"prev":"ab","at":"2026-11-24T21:28:20Z","by":"ops","event":"run_completed"}"#,
            r#"{"v":1,"seq":3,"prev":"ab","at":"2026-11-24T21:28:20Z","by":"ops","event":"run_completed"} "#,
            r#"{"v":1,"seq":3,"prev":"ab","at":"2026-11-24T21:28:20Z","by":"ops","event":"run_completed","x":1}"#,
            r#"{"v":1,"seq":3.0,"prev":"ab","at":"2026-11-24T21:28:20Z","by":"ops","event":"run_completed"}"#,
            r#"{"v":1,"seq":18446744073709551616,"prev":"ab","at":"2026-11-24T21:28:20Z","by":"ops","event":"run_completed"}"#,
            r#"{"v":1,"seq":3,"prev":"ab","at":"2026-11-24T21:28:20Z","by":"ops","event":"step_done","evidence":"e","step":"s"}"#,
        ] {
            assert!(parse(line).is_none(), "{line}");
        }
    }

    #[test]
    fn reads_other_timestamps_as_jiff_does() {
        for at in
            ["2026-11-24T21:28:20.5Z", "2024-02-29T23:59:60Z", "2026-11-24t21:28:20z", "2026-11-24T21:28:20+09:00"]
        {
            let line = format!(r#"{{"v":1,"seq":1,"prev":"","at":"{at}","by":"","event":"run_completed"}}"#);
            assert_eq!(parse(&line).map(|e| e.at), at.parse().ok(), "{at}");
            agrees(&line);
        }
        let bad = r#"{"v":1,"seq":1,"prev":"","at":"2026-02-30T00:00:00Z","by":"","event":"run_completed"}"#;
        assert!(parse(bad).is_none() && by_serde(bad).is_none());
    }

    proptest! {
        /// A line closeacct writes reads back as the event written. The quick path reads every
        /// one without escapes, and leaves those with escapes to `serde_json`.
        #[test]
        fn written_lines_read_back_the_same(event in event()) {
            let line = serde_json::to_string(&event).unwrap();
            let quick = read_quickly(&event.kind);
            let written = Some(event);
            prop_assert_eq!(by_serde(&line).map(|e| e.to_owned_event()), written.clone());
            let fast = parse(&line);
            // serde_json writes every escape with a backslash.
            if line.contains('\\') || !quick {
                prop_assert!(fast.is_none(), "{}", line);
            } else {
                prop_assert_eq!(fast.map(|e| e.to_owned_event()), written, "{}", line);
            }
        }

        /// A damaged line is either left to serde_json or read exactly as serde_json reads it.
        #[test]
        fn damaged_lines_agree_with_serde(event in event(), at in any::<prop::sample::Index>(), byte in any::<u8>(), cut in any::<bool>()) {
            let mut line = serde_json::to_vec(&event).unwrap();
            let at = at.index(line.len());
            if cut { line.truncate(at) } else { line[at] = byte }
            if let Ok(line) = std::str::from_utf8(&line) {
                agrees(line);
            }
        }
    }
}
