//! How the wizard talks to the operator: one small trait, so the walk itself never touches a
//! terminal. The terminal implementation (`terminal.rs`) is the only caller of dialoguer; tests
//! drive the wizard with [`Scripted`].

#[cfg(test)]
use std::collections::VecDeque;

#[cfg(test)]
use crate::error::Error;
use crate::error::Result;

/// Everything the wizard asks of, and shows to, the operator.
pub(crate) trait Prompter {
    /// A yes/no question.
    fn confirm(&mut self, prompt: &str) -> Result<bool>;
    /// A menu; returns the index chosen. The first item is highlighted.
    fn select(&mut self, prompt: &str, items: &[&str]) -> Result<usize>;
    /// A line of text (may be empty; callers decide whether that is allowed).
    fn input(&mut self, prompt: &str) -> Result<String>;
    /// Shows text (step details, status lines).
    fn say(&mut self, text: &str);
    /// Shows progress: a label and `pos` of `len` steps resolved.
    fn progress(&mut self, label: &str, pos: u64, len: u64);
    /// How many columns text may use on one line.
    fn width(&self) -> usize;
    /// Shows how far a running check is: `label` (`eu-west-1 · 7/17`), `done` of `total` items.
    fn check_progress(&mut self, label: &str, done: usize, total: usize);
    /// The check is over: takes its progress off the screen.
    fn check_progress_end(&mut self);
}

/// A prompter that answers from a script, for tests.
#[cfg(test)]
#[derive(Default)]
pub(crate) struct Scripted {
    pub(crate) answers: VecDeque<String>,
    pub(crate) transcript: Vec<String>,
}

#[cfg(test)]
impl Scripted {
    /// A prompter that gives these answers in order; running out is an interruption.
    pub(crate) fn new(answers: &[&str]) -> Scripted {
        Scripted { answers: answers.iter().map(|a| (*a).to_owned()).collect(), transcript: Vec::new() }
    }

    fn next(&mut self, prompt: &str) -> Result<String> {
        let answer = self.answers.pop_front().ok_or(Error::Interrupted)?;
        self.transcript.push(format!("? {prompt} › {answer}"));
        Ok(answer)
    }
}

#[cfg(test)]
impl Prompter for Scripted {
    fn confirm(&mut self, prompt: &str) -> Result<bool> {
        Ok(self.next(prompt)? == "y")
    }
    fn select(&mut self, prompt: &str, items: &[&str]) -> Result<usize> {
        let answer = self.next(prompt)?;
        items
            .iter()
            .position(|item| item.starts_with(&answer))
            .ok_or_else(|| Error::Internal { message: format!("no menu item starts with {answer:?} in {items:?}") })
    }
    fn input(&mut self, prompt: &str) -> Result<String> {
        self.next(prompt)
    }
    fn say(&mut self, text: &str) {
        self.transcript.push(text.to_owned());
    }
    fn progress(&mut self, label: &str, pos: u64, len: u64) {
        self.transcript.push(format!("{label} [{pos}/{len}]"));
    }
    fn width(&self) -> usize {
        80
    }
    fn check_progress(&mut self, label: &str, done: usize, total: usize) {
        self.transcript.push(format!("running: {label} [{done}/{total}]"));
    }
    fn check_progress_end(&mut self) {}
}
