//! The events of a run's log: what each line records, and how a line is read back.
//!
//! Events made here own their strings; events read back borrow from the line wherever its JSON
//! has no escapes, so replaying a long log does not allocate every field.

use std::borrow::Cow;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::checks::CheckRecord;

/// One line of the log. `S` is the string type: `String` for events made here, a borrowed
/// `Cow<str>` while replaying, so a long log is read without allocating every field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event<S = String> {
    /// State format version.
    pub v: u32,
    /// 1 for the first line, then one more for each line.
    pub seq: u64,
    /// sha256 (hex) of the previous line's bytes, without its newline.
    pub prev: S,
    /// When it happened (RFC 3339, UTC).
    pub at: Timestamp,
    /// Who did it (`--operator`, default `$USER`).
    pub by: S,
    #[serde(flatten)]
    pub kind: EventKind<S>,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventKind<S = String> {
    /// The first line of every run.
    RunStarted {
        provider: S,
        account: S,
        checklist_version: u32,
        checklist_sha256: S,
        /// The operator's time zone when the run began (an IANA name where known): key dates
        /// are counted in it, whoever reads the run. Runs from before it was recorded have none.
        #[serde(skip_serializing_if = "Option::is_none")]
        zone: Option<S>,
    },
    /// A fact was answered (again); the latest answer counts.
    FactAnswered { fact: S, value: S },
    /// A step was confirmed done (again: the new note or evidence adds to the record).
    StepDone {
        step: S,
        #[serde(skip_serializing_if = "Option::is_none")]
        note: Option<S>,
        #[serde(skip_serializing_if = "Option::is_none")]
        evidence: Option<S>,
        /// The account typed to confirm an irreversible step.
        #[serde(skip_serializing_if = "Option::is_none")]
        attested: Option<S>,
        /// When it happened, when the operator records it afterwards (`--at`); `at` is when it
        /// was recorded.
        #[serde(skip_serializing_if = "Option::is_none")]
        happened_at: Option<Timestamp>,
        /// The checks it was confirmed with (`confirm --with-check`): the latest passing run of
        /// each of the step's checks.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        checks: Vec<CheckRef>,
    },
    /// A step was skipped, with the reason.
    StepSkipped {
        step: S,
        reason: S,
        #[serde(skip_serializing_if = "Option::is_none")]
        happened_at: Option<Timestamp>,
    },
    /// A step is waiting on someone else.
    StepWaiting {
        step: S,
        #[serde(skip_serializing_if = "Option::is_none")]
        note: Option<S>,
        /// Who it waits on (`--on "Bespin Global"`).
        #[serde(skip_serializing_if = "Option::is_none")]
        on: Option<S>,
        #[serde(skip_serializing_if = "Option::is_none")]
        happened_at: Option<Timestamp>,
    },
    /// A note on a step, without changing its status.
    NoteAdded { step: S, note: S },
    /// The operator accepted a changed checklist.
    ChecklistAccepted { checklist_version: u32, checklist_sha256: S, changes: Vec<S> },
    /// Every step was resolved.
    RunCompleted {},
    /// A complete run was opened again (`--reopen`) to change a fact's answer.
    RunReopened {},
    /// One of a step's checks ran, with the operator's consent; what it found is evidence.
    CheckRan {
        step: S,
        /// Which of the step's checks: 1 for the first, in the order the checklist lists them.
        check: u32,
        /// The commands, how each ended, the sha256 of all it printed, and redacted excerpts.
        result: Box<CheckRecord>,
    },
}

/// A check a step was confirmed with: its `check_ran` line, by sequence number and the sha256 of
/// that line (what the next line carries as `prev`, and `sha256sum` of the line without its
/// newline gives).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckRef {
    pub seq: u64,
    pub sha256: String,
}

/// An event as read from a line, borrowing from it where the JSON has no escapes.
pub type EventRef<'a> = Event<Text<'a>>;

/// A string read from a line: borrowed when it can be, owned when the JSON escaped it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Text<'a>(pub Cow<'a, str>);

impl AsRef<str> for Text<'_> {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> std::result::Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> std::result::Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

/// The flat shape of a line, for reading. `#[serde(flatten)]` would buffer every line into an
/// intermediate map first, which makes replaying a long log several times slower.
#[derive(Deserialize)]
struct WireEvent<'a> {
    v: u32,
    seq: u64,
    #[serde(borrow)]
    prev: Text<'a>,
    at: Timestamp,
    #[serde(borrow)]
    by: Text<'a>,
    event: Tag,
    #[serde(borrow)]
    provider: Option<Text<'a>>,
    #[serde(borrow)]
    account: Option<Text<'a>>,
    checklist_version: Option<u32>,
    #[serde(borrow)]
    checklist_sha256: Option<Text<'a>>,
    #[serde(borrow)]
    fact: Option<Text<'a>>,
    #[serde(borrow)]
    value: Option<Text<'a>>,
    #[serde(borrow)]
    step: Option<Text<'a>>,
    #[serde(borrow)]
    note: Option<Text<'a>>,
    #[serde(borrow)]
    evidence: Option<Text<'a>>,
    #[serde(borrow)]
    attested: Option<Text<'a>>,
    #[serde(borrow)]
    reason: Option<Text<'a>>,
    #[serde(borrow)]
    changes: Option<Vec<Text<'a>>>,
    #[serde(borrow)]
    zone: Option<Text<'a>>,
    happened_at: Option<Timestamp>,
    #[serde(borrow)]
    on: Option<Text<'a>>,
    checks: Option<Vec<CheckRef>>,
    check: Option<u32>,
    result: Option<Box<CheckRecord>>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum Tag {
    RunStarted,
    FactAnswered,
    StepDone,
    StepSkipped,
    StepWaiting,
    NoteAdded,
    ChecklistAccepted,
    RunCompleted,
    RunReopened,
    CheckRan,
}

impl<'de: 'a, 'a> Deserialize<'de> for Event<Text<'a>> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        fn need<T, E: serde::de::Error>(value: Option<T>, field: &'static str) -> std::result::Result<T, E> {
            value.ok_or_else(|| E::missing_field(field))
        }
        let w = WireEvent::deserialize(deserializer)?;
        let kind = match w.event {
            Tag::RunStarted => EventKind::RunStarted {
                provider: need(w.provider, "provider")?,
                account: need(w.account, "account")?,
                checklist_version: need(w.checklist_version, "checklist_version")?,
                checklist_sha256: need(w.checklist_sha256, "checklist_sha256")?,
                zone: w.zone,
            },
            Tag::FactAnswered => {
                EventKind::FactAnswered { fact: need(w.fact, "fact")?, value: need(w.value, "value")? }
            }
            Tag::StepDone => EventKind::StepDone {
                step: need(w.step, "step")?,
                note: w.note,
                evidence: w.evidence,
                attested: w.attested,
                happened_at: w.happened_at,
                checks: w.checks.unwrap_or_default(),
            },
            Tag::StepSkipped => EventKind::StepSkipped {
                step: need(w.step, "step")?,
                reason: need(w.reason, "reason")?,
                happened_at: w.happened_at,
            },
            Tag::StepWaiting => EventKind::StepWaiting {
                step: need(w.step, "step")?,
                note: w.note,
                on: w.on,
                happened_at: w.happened_at,
            },
            Tag::NoteAdded => EventKind::NoteAdded { step: need(w.step, "step")?, note: need(w.note, "note")? },
            Tag::ChecklistAccepted => EventKind::ChecklistAccepted {
                checklist_version: need(w.checklist_version, "checklist_version")?,
                checklist_sha256: need(w.checklist_sha256, "checklist_sha256")?,
                changes: need(w.changes, "changes")?,
            },
            Tag::RunCompleted => EventKind::RunCompleted {},
            Tag::RunReopened => EventKind::RunReopened {},
            Tag::CheckRan => EventKind::CheckRan {
                step: need(w.step, "step")?,
                check: need(w.check, "check")?,
                result: need(w.result, "result")?,
            },
        };
        Ok(Event { v: w.v, seq: w.seq, prev: w.prev, at: w.at, by: w.by, kind })
    }
}

impl<S: AsRef<str>> Event<S> {
    /// An owned copy.
    pub fn to_owned_event(&self) -> Event {
        Event {
            v: self.v,
            seq: self.seq,
            prev: own(&self.prev),
            at: self.at,
            by: own(&self.by),
            kind: self.kind.to_owned_kind(),
        }
    }
}

impl<S: AsRef<str>> EventKind<S> {
    /// An owned copy.
    pub fn to_owned_kind(&self) -> EventKind {
        let opt = |o: &Option<S>| o.as_ref().map(own);
        match self {
            EventKind::RunStarted { provider, account, checklist_version, checklist_sha256, zone } => {
                EventKind::RunStarted {
                    provider: own(provider),
                    account: own(account),
                    checklist_version: *checklist_version,
                    checklist_sha256: own(checklist_sha256),
                    zone: opt(zone),
                }
            }
            EventKind::FactAnswered { fact, value } => EventKind::FactAnswered { fact: own(fact), value: own(value) },
            EventKind::StepDone { step, note, evidence, attested, happened_at, checks } => EventKind::StepDone {
                step: own(step),
                note: opt(note),
                evidence: opt(evidence),
                attested: opt(attested),
                happened_at: *happened_at,
                checks: checks.clone(),
            },
            EventKind::StepSkipped { step, reason, happened_at } => {
                EventKind::StepSkipped { step: own(step), reason: own(reason), happened_at: *happened_at }
            }
            EventKind::StepWaiting { step, note, on, happened_at } => {
                EventKind::StepWaiting { step: own(step), note: opt(note), on: opt(on), happened_at: *happened_at }
            }
            EventKind::NoteAdded { step, note } => EventKind::NoteAdded { step: own(step), note: own(note) },
            EventKind::ChecklistAccepted { checklist_version, checklist_sha256, changes } => {
                EventKind::ChecklistAccepted {
                    checklist_version: *checklist_version,
                    checklist_sha256: own(checklist_sha256),
                    changes: changes.iter().map(own).collect(),
                }
            }
            EventKind::RunCompleted {} => EventKind::RunCompleted {},
            EventKind::RunReopened {} => EventKind::RunReopened {},
            EventKind::CheckRan { step, check, result } => {
                EventKind::CheckRan { step: own(step), check: *check, result: result.clone() }
            }
        }
    }
}

pub(super) fn own<S: AsRef<str>>(s: &S) -> String {
    s.as_ref().to_owned()
}
