//! `when` conditions: which facts a step (or a paragraph of it) depends on, and whether they
//! hold for the answers given so far.

use std::collections::BTreeMap;

use super::schema::is_valid_id;

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
    pub(crate) fn parse(text: &str) -> std::result::Result<Condition, String> {
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
    pub(crate) fn literals(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checklist::testing::facts;

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
}
