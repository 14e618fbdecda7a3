//! Validation: everything a checklist must satisfy beyond its TOML shape, one function per rule
//! family, each error located at `file:line:col`.

use std::collections::{HashMap, HashSet};

use toml::Spanned;

use super::condition::Condition;
use super::load::{Loaded, Position, StepRef};
use super::schema::{Checklist, Delay, Fact, FactKind, MAX_ID_LEN, Step, is_valid_id};
use crate::checks::ValidCheck;
use crate::digest::sha256_hex;
use crate::error::{Error, Result};

pub(super) struct Validator<'a> {
    pub(super) text: &'a str,
    pub(super) origin: &'a str,
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

    pub(super) fn validate(&self, checklist: Checklist) -> Result<Loaded> {
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
        let mut checks = HashMap::new();
        let fact_ids: Vec<&str> = checklist.facts.iter().map(|f| f.id.get_ref().as_str()).collect();
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
            let step_checks = self.step_checks(step, &fact_ids)?;
            if !step_checks.is_empty() {
                checks.insert(step.id.get_ref().clone(), step_checks);
            }
        }
        Ok(Loaded {
            sha256: sha256_hex(self.text.as_bytes()),
            text: self.text.to_owned(),
            origin: self.origin.to_owned(),
            checklist,
            conditions,
            detail_ifs,
            checks,
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

    /// A step's checks, each validated against the checklist's facts (the placeholders it may
    /// use): an empty command, an unknown placeholder, an unused `foreach` variable, an unknown
    /// `expect`, a timeout over 10 minutes and a command visibly not read-only are refused at
    /// the value at fault.
    fn step_checks(&self, step: &Step, fact_ids: &[&str]) -> Result<Vec<ValidCheck>> {
        let many = step.check.len() > 1;
        let mut valid = Vec::with_capacity(step.check.len());
        for (i, check) in step.check.iter().enumerate() {
            match check.validate(fact_ids) {
                Ok(check) => valid.push(check),
                Err(e) if many => {
                    return self.error(e.span.clone(), format!("check {} `{}`: {}", i + 1, e.field, e.reason));
                }
                Err(e) => return self.error(e.span.clone(), e.to_string()),
            }
        }
        Ok(valid)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checklist::generate_for_benchmarks;
    use crate::checklist::testing::{cited, facts};

    #[test]
    fn ids_are_checked() {
        assert!(is_valid_id("close-account_2"));
        for bad in ["", "-a", "A", "a b", "a.b", &"a".repeat(65)] {
            assert!(!is_valid_id(bad), "{bad:?}");
        }
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
    fn checks_are_validated_where_they_are_written_and_kept_in_order() {
        let check = |body: &str| format!("[[stages.steps.check]]\nsummary = \"s\"\n{body}\n");
        let two = format!(
            "{}{}",
            check(
                "foreach = { region = [\"aws\", \"ec2\", \"describe-regions\"] }\nrun = [\"aws\", \"ec2\", \"describe-volumes\", \"--region\", \"{region}\"]\nexpect = \"empty\""
            ),
            check(
                "run = [\"aws\", \"organizations\", \"describe-organization\", \"{org}\"]\nexpect = { fails_with = \"NotInUse\" }"
            ),
        );
        let loaded = Loaded::parse(&cited(&two), "t.toml").unwrap();
        let step = loaded.step(loaded.find("one").unwrap());
        assert_eq!(step.check.len(), 2);
        let checks = loaded.checks(step);
        assert_eq!(checks.len(), 2);
        assert!(checks[0].foreach.is_some() && checks[1].foreach.is_none());
        // The loader points at the value at fault, and names which check when there are several.
        refused(
            &cited(&check("run = [\"aws\", \"ec2\", \"delete-volume\"]\nexpect = \"empty\"")),
            "t.toml:33:22: check `run`: `aws ec2 delete-volume` is not read-only; a check may only look",
        );
        refused(
            &cited(&format!(
                "{}{}",
                check("run = [\"true\"]\nexpect = \"success\""),
                check("run = [\"x\"]\nexpect = \"success\"\ntimeout = \"1h\"")
            )),
            "t.toml:39:11: check 2 `timeout`: malformed timeout `1h` (expected e.g. `30s` or `5m`)",
        );
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
}
