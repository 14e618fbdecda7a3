//! What the wizard does next: a pure function of the run's progress, so the walk's order is
//! decided in one place and tested without a prompter.

use crate::checklist::StepRef;
use crate::progress::Progress;

/// The next thing the wizard does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    /// Ask the facts that have no answer yet (before any step).
    Facts,
    /// Show this step and its menu.
    Step(StepRef),
    /// Every step is resolved: show the summary.
    Complete,
    /// Nothing more can be done in this session (steps wait on someone, or on steps that do):
    /// save and say how to resume.
    Saved,
}

/// The next thing to do in a run, after the step `cursor` (the last one shown in this session;
/// steps are shown in checklist order, each at most once a session, so a step left waiting is
/// asked again only by the next session).
pub(crate) fn next(progress: &Progress<'_>, cursor: Option<StepRef>) -> Next {
    if progress.is_complete() {
        return Next::Complete;
    }
    if !progress.unanswered_facts().is_empty() {
        return Next::Facts;
    }
    let after = cursor.map_or(0, |r| r.flat + 1);
    progress
        .checklist
        .steps()
        .skip(after)
        .find(|(_, step)| !progress.status(step).is_resolved() && progress.unmet_requirements(step).is_empty())
        .map_or(Next::Saved, |(r, _)| Next::Step(r))
}
