//! The run rules: which steps apply, which are resolved, what comes next, and what may be
//! recorded. Everything here is derived from a checklist and a replayed log; nothing is stored.

use serde::Serialize;

use crate::checklist::{Loaded, Step, StepRef};
use crate::error::{Error, Result};
use crate::state::{RecordedStatus, Replay};

/// A step's status in a run, as reports show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Status {
    Done,
    Skipped,
    Waiting,
    Pending,
    NotApplicable,
}

impl Status {
    /// Done, skipped or not applicable: nothing more is needed.
    pub(crate) fn is_resolved(self) -> bool {
        matches!(self, Status::Done | Status::Skipped | Status::NotApplicable)
    }

    /// The word reports use.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Done => "done",
            Status::Skipped => "skipped",
            Status::Waiting => "waiting",
            Status::Pending => "pending",
            Status::NotApplicable => "not-applicable",
        }
    }
}

/// Whether a step applies, given the facts answered so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Applies {
    Yes,
    No,
    /// Its `when` reads a fact that has no answer yet.
    Unknown {
        fact: String,
    },
}

/// Counts of steps by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Counts {
    pub(crate) total: usize,
    pub(crate) applicable: usize,
    pub(crate) done: usize,
    pub(crate) skipped: usize,
    pub(crate) waiting: usize,
    pub(crate) pending: usize,
    pub(crate) not_applicable: usize,
}

impl Counts {
    /// Steps that count towards progress: done or skipped.
    pub(crate) fn resolved_applicable(&self) -> usize {
        self.done + self.skipped
    }
}

/// A checklist read against a run.
pub struct Progress<'a> {
    pub(crate) checklist: &'a Loaded,
    pub(crate) replay: &'a Replay,
}

impl<'a> Progress<'a> {
    pub fn new(checklist: &'a Loaded, replay: &'a Replay) -> Self {
        Progress { checklist, replay }
    }

    /// Whether a step applies with the latest answers.
    pub(crate) fn applies(&self, step: &Step) -> Applies {
        match self.checklist.condition(step) {
            None => Applies::Yes,
            Some(condition) => match condition.eval(&self.replay.facts) {
                Ok(true) => Applies::Yes,
                Ok(false) => Applies::No,
                Err(fact) => Applies::Unknown { fact },
            },
        }
    }

    /// The status of a step. A step once done or skipped stays so in the record even if a later
    /// answer rules it out.
    pub(crate) fn status(&self, step: &Step) -> Status {
        let recorded = self.replay.steps.get(step.id.get_ref()).map(|r| r.status);
        match recorded {
            Some(RecordedStatus::Done) => Status::Done,
            Some(RecordedStatus::Skipped) => Status::Skipped,
            _ if self.applies(step) == Applies::No => Status::NotApplicable,
            Some(RecordedStatus::Waiting) => Status::Waiting,
            _ => Status::Pending,
        }
    }

    /// The ids of a step's requirements that are not resolved yet.
    pub(crate) fn unmet_requirements(&self, step: &Step) -> Vec<&'a str> {
        step.requires
            .iter()
            .filter_map(|id| self.checklist.find(id.get_ref()))
            .map(|r| self.checklist.step(r))
            .filter(|required| !self.status(required).is_resolved())
            .map(|required| required.id.get_ref().as_str())
            .collect()
    }

    /// Counts by status.
    pub(crate) fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for (_, step) in self.checklist.steps() {
            counts.total += 1;
            match self.status(step) {
                Status::Done => counts.done += 1,
                Status::Skipped => counts.skipped += 1,
                Status::Waiting => counts.waiting += 1,
                Status::Pending => counts.pending += 1,
                Status::NotApplicable => counts.not_applicable += 1,
            }
        }
        counts.applicable = counts.total - counts.not_applicable;
        counts
    }

    /// Every step resolved (a waiting step keeps the run open).
    pub(crate) fn is_complete(&self) -> bool {
        self.first_open().is_none()
    }

    /// The first step that is pending or waiting, in checklist order.
    pub fn first_open(&self) -> Option<StepRef> {
        self.checklist.steps().find(|(_, step)| !self.status(step).is_resolved()).map(|(r, _)| r)
    }

    /// Facts without an answer, in checklist order.
    pub(crate) fn unanswered_facts(&self) -> Vec<&'a str> {
        self.checklist
            .checklist
            .facts
            .iter()
            .map(|f| f.id.get_ref().as_str())
            .filter(|id| !self.replay.facts.contains_key(*id))
            .collect()
    }

    /// Refuses to record a step as done or skipped when it does not apply, depends on an
    /// unanswered fact, or has unresolved requirements. The message says why.
    pub(crate) fn check_can_record(&self, r: StepRef) -> Result<()> {
        let step = self.checklist.step(r);
        let id = step.id.get_ref();
        let number = r.number();
        match self.applies(step) {
            Applies::Yes => {}
            Applies::No => {
                let when = step.when.as_ref().map_or("", |w| w.get_ref().as_str());
                return Err(Error::refused(format!(
                    "step {number} `{id}` does not apply to this account: it needs `{when}`, and the facts answered rule it out ({})",
                    self.describe_facts(step)
                )));
            }
            Applies::Unknown { fact } => {
                return Err(Error::refused(format!(
                    "step {number} `{id}` depends on fact `{fact}`, which has no answer yet; answer it first: closeacct answer --provider {} --account {} {fact} VALUE",
                    self.checklist.id(),
                    self.replay.account
                )));
            }
        }
        let unmet = self.unmet_requirements(step);
        if !unmet.is_empty() {
            let list: Vec<String> = unmet
                .iter()
                .map(|u| format!("{} `{u}`", self.checklist.find(u).map(StepRef::number).unwrap_or_default()))
                .collect();
            return Err(Error::refused(format!(
                "step {number} `{id}` must wait for {}: resolve {} first",
                list.join(", "),
                if unmet.len() == 1 { "it" } else { "them" }
            )));
        }
        Ok(())
    }

    /// The answers to the facts a step's `when` reads, in checklist order: `org = no, ri = yes`.
    fn describe_facts(&self, step: &Step) -> String {
        let Some(condition) = self.checklist.condition(step) else { return String::new() };
        let mut parts = Vec::new();
        for fact in &self.checklist.checklist.facts {
            let id = fact.id.get_ref();
            if condition.literals().any(|(read, _)| read == id)
                && let Some(value) = self.replay.facts.get(id)
            {
                parts.push(format!("{id} = {value}"));
            }
        }
        parts.join(", ")
    }
}

/// What changed between the checklist a run is pinned to and the current one, one line a change.
pub(crate) fn diff_checklists(old: &Loaded, new: &Loaded) -> Vec<String> {
    let mut changes = Vec::new();
    if old.checklist.version != new.checklist.version {
        changes.push(format!("version {} → {}", old.checklist.version, new.checklist.version));
    }
    for (r, step) in old.steps() {
        let id = step.id.get_ref();
        match new.find(id) {
            None => changes.push(format!("step {} `{id}` removed", r.number())),
            Some(nr) => {
                let fields = changed_fields(step, new.step(nr));
                if !fields.is_empty() {
                    changes.push(format!("step {} `{id}` changed: {}", nr.number(), fields.join(", ")));
                }
            }
        }
    }
    for (r, step) in new.steps() {
        let id = step.id.get_ref();
        if old.find(id).is_none() {
            changes.push(format!("step {} `{id}` added: {}", r.number(), step.title));
        }
    }
    let old_facts: Vec<_> = old.checklist.facts.iter().map(|f| (f.id.get_ref(), &f.question, f.accepted())).collect();
    let new_facts: Vec<_> = new.checklist.facts.iter().map(|f| (f.id.get_ref(), &f.question, f.accepted())).collect();
    if old_facts != new_facts {
        changes.push("facts changed".to_owned());
    }
    if changes.is_empty() && old.sha256 != new.sha256 {
        changes.push("wording or layout changed; no step changed".to_owned());
    }
    changes
}

fn changed_fields(old: &Step, new: &Step) -> Vec<&'static str> {
    let mut fields = Vec::new();
    let when = |s: &Step| s.when.as_ref().map(|w| w.get_ref().clone());
    let requires = |s: &Step| s.requires.iter().map(|r| r.get_ref().clone()).collect::<Vec<_>>();
    if old.title != new.title {
        fields.push("title");
    }
    if old.detail != new.detail {
        fields.push("detail");
    }
    if old.actor != new.actor {
        fields.push("actor");
    }
    if old.kind != new.kind {
        fields.push("kind");
    }
    if when(old) != when(new) {
        fields.push("when");
    }
    if requires(old) != requires(new) {
        fields.push("requires");
    }
    if old.warning != new.warning {
        fields.push("warning");
    }
    if old.follow_up != new.follow_up {
        fields.push("follow-up");
    }
    if old.check != new.check {
        fields.push("check");
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::testing::done;
    use crate::state::{Event, EventKind};

    const CHECKLIST: &str = include_str!("../tests/fixtures/checklists/valid/progress.toml");

    fn event(seq: u64, kind: EventKind) -> Event {
        Event { v: 1, seq, prev: String::new(), at: "2026-11-24T10:00:00Z".parse().unwrap(), by: "ana".into(), kind }
    }

    fn replay(kinds: Vec<EventKind>) -> Replay {
        let mut replay = Replay { account: "acct".into(), ..Replay::default() };
        for (i, kind) in kinds.into_iter().enumerate() {
            replay.apply(&event(i as u64 + 1, kind));
        }
        replay
    }

    fn fact(value: &str) -> EventKind {
        EventKind::FactAnswered { fact: "org".into(), value: value.into() }
    }

    #[test]
    fn a_refusal_names_only_the_facts_the_condition_reads() {
        let text = CHECKLIST
            .replace("[[facts]]\nid = \"org\"", "[[facts]]\nid = \"or\"\nquestion = \"Or?\"\n[[facts]]\nid = \"org\"");
        let checklist = Loaded::parse(&text, "t.toml").unwrap();
        let or = EventKind::FactAnswered { fact: "or".into(), value: "yes".into() };
        let state = replay(vec![done("a"), or, fact("no")]);
        let err = Progress::new(&checklist, &state).check_can_record(checklist.find("b").unwrap()).unwrap_err();
        assert!(err.to_string().ends_with("the facts answered rule it out (org = no)"), "{err}");
    }

    #[test]
    fn unanswered_fact_blocks_and_negative_answer_rules_out() {
        let checklist = Loaded::parse(CHECKLIST, "t.toml").unwrap();
        let b = checklist.find("b").unwrap();
        let state = replay(vec![done("a")]);
        let err = Progress::new(&checklist, &state).check_can_record(b).unwrap_err();
        assert!(err.to_string().contains("has no answer yet"), "{err}");

        let state = replay(vec![done("a"), fact("no")]);
        let progress = Progress::new(&checklist, &state);
        assert_eq!(progress.status(checklist.step(b)), Status::NotApplicable);
        let err = progress.check_can_record(b).unwrap_err();
        assert!(err.to_string().contains("does not apply"), "{err}");
        // `c` requires `b`, which is resolved by not applying.
        assert!(progress.check_can_record(checklist.find("c").unwrap()).is_ok());
    }

    #[test]
    fn requires_are_enforced_in_order() {
        let checklist = Loaded::parse(CHECKLIST, "t.toml").unwrap();
        let state = replay(vec![fact("yes")]);
        let progress = Progress::new(&checklist, &state);
        let err = progress.check_can_record(checklist.find("b").unwrap()).unwrap_err();
        assert!(err.to_string().contains("must wait for 1.1 `a`"), "{err}");
        assert_eq!(err.exit_code(), 2);
        assert_eq!(progress.first_open(), checklist.find("a"));
    }

    #[test]
    fn waiting_keeps_the_run_open_and_done_stays_done_after_a_new_answer() {
        let checklist = Loaded::parse(CHECKLIST, "t.toml").unwrap();
        let waiting = replay(vec![
            fact("yes"),
            done("a"),
            done("b"),
            EventKind::StepWaiting { step: "c".into(), note: None, on: None, happened_at: None },
        ]);
        let progress = Progress::new(&checklist, &waiting);
        assert!(!progress.is_complete());
        assert_eq!(progress.counts().waiting, 1);
        assert_eq!(progress.first_open(), checklist.find("c"));

        let state = replay(vec![fact("yes"), done("a"), done("b"), done("c"), fact("no")]);
        let progress = Progress::new(&checklist, &state);
        assert_eq!(progress.status(checklist.step(checklist.find("b").unwrap())), Status::Done);
        assert!(progress.is_complete());
        assert_eq!(progress.counts(), Counts { total: 3, applicable: 3, done: 3, ..Counts::default() });
    }

    #[test]
    fn changes_are_listed_step_by_step() {
        let old = Loaded::parse(CHECKLIST, "t.toml").unwrap();
        let changed = CHECKLIST
            .replace("title = \"B\"", "title = \"B2\"")
            .replace("id = \"c\"", "id = \"c2\"")
            .replace("version = 1", "version = 2");
        let new = Loaded::parse(&changed, "t.toml").unwrap();
        assert_eq!(
            diff_checklists(&old, &new),
            vec![
                "version 1 → 2".to_owned(),
                "step 1.2 `b` changed: title".to_owned(),
                "step 2.1 `c` removed".to_owned(),
                "step 2.1 `c2` added: C".to_owned(),
            ]
        );
        let reworded = Loaded::parse(&format!("{CHECKLIST}\n# a comment\n"), "t.toml").unwrap();
        assert_eq!(diff_checklists(&old, &reworded), vec!["wording or layout changed; no step changed".to_owned()]);
        assert!(diff_checklists(&old, &old).is_empty());
    }
}
