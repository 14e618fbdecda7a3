//! A step's checks: resolved for the run, run with their output redacted, and recorded.

use super::{ActiveRun, Session};
use crate::checklist::StepRef;
use crate::checks::{self, CheckError, CheckRecord, Plan, Progress as CheckProgress};
use crate::error::{Error, Result};
use crate::progress::{Applies, Progress};
use crate::state::{CheckRef, Event, EventKind};

/// The most a check's record may take in the log: a line holds at most 1 MiB, and JSON may
/// escape a byte of output to six.
pub(crate) const MAX_CHECK_RECORD_BYTES: usize = 512 * 1024;

/// Runs one check with the operator's environment as it is, at most `jobs` commands at once;
/// everything taken from the commands' output is redacted ([`crate::secrets::redact`]). Ctrl-C
/// stops it through [`checks::kill_running`]; it then returns [`Error::Interrupted`].
pub(crate) fn run_check(
    plan: &Plan,
    jobs: usize,
    progress: &(dyn Fn(&CheckProgress<'_>) + Sync),
) -> Result<CheckRecord> {
    let options = checks::Options { jobs, ..checks::Options::default() };
    checks::run(plan, &options, progress, &|text| crate::secrets::redact(text).into_owned())
        .map_err(|e| check_error(&e))
}

/// What a check that could not produce a record means for the command: a program that cannot be
/// run is exit 69, an interruption exit 4, a value that cannot go into a command exit 2.
fn check_error(error: &CheckError) -> Error {
    match error {
        CheckError::MissingProgram { program } | CheckError::Spawn { program, .. } => {
            Error::Unavailable { program: program.clone(), message: error.to_string() }
        }
        CheckError::Interrupted => Error::Interrupted,
        CheckError::BadWord { .. } | CheckError::UnansweredFact { .. } => Error::refused(error.to_string()),
    }
}

impl Session {
    /// The latest run of each of a step's checks, for `confirm --with-check`: every check of the
    /// step must have run, the latest run of each must have passed, and it must be a run of the
    /// check as the checklist has it now, with the answers given now (after a change, run it
    /// again): its recorded fingerprint is the current plan's.
    pub(super) fn passed_checks(&self, run: &ActiveRun, r: StepRef) -> Result<Vec<CheckRef>> {
        let step = self.checklist.step(r);
        let id = step.id.get_ref();
        let number = r.number();
        let checks = self.checklist.checks(step);
        if checks.is_empty() {
            return Err(Error::refused(format!("step {number} `{id}` has no check; confirm it without --with-check")));
        }
        let rerun = format!("closeacct check {} {id} --yes", self.run_args(&run.account));
        let latest = run.replay.latest_checks(id);
        let mut passed = Vec::with_capacity(checks.len());
        let plans = self.check_plans(run, r)?;
        for (n, plan) in (1u32..).zip(&plans) {
            let which = if checks.len() == 1 { "its check".to_owned() } else { format!("its check {n}") };
            let reason = match latest.get(&n) {
                None => format!("{which} has not run yet"),
                Some(ran) if ran.check_sha256 != plan.fingerprint() => format!(
                    "{which} is not the one that ran (seq {}): the checklist or an answer it reads changed since",
                    ran.seq
                ),
                Some(ran) if !ran.passed => format!("the latest run of {which} (seq {}) failed", ran.seq),
                Some(ran) => {
                    let sha256 = ran.line_sha256.clone().ok_or_else(|| Error::Internal {
                        message: format!("the hash of line {} is not known", ran.seq),
                    })?;
                    passed.push(CheckRef { seq: ran.seq, sha256 });
                    continue;
                }
            };
            return Err(Error::refused(format!(
                "step {number} `{id}` cannot be confirmed with its checks: {reason}; run it with `{rerun}`"
            )));
        }
        Ok(passed)
    }

    /// A step's checks, resolved for the run: `{account}` and the facts filled in. Refused (exit
    /// 2) for a step without checks, a step that does not apply (or whose `when` reads a fact
    /// not answered yet), and a check that reads a fact not answered yet.
    pub(crate) fn check_plans(&self, run: &ActiveRun, r: StepRef) -> Result<Vec<Plan>> {
        let step = self.checklist.step(r);
        let id = step.id.get_ref();
        let checks = self.checklist.checks(step);
        if checks.is_empty() {
            return Err(Error::refused(format!("step {} `{id}` has no check", r.number())));
        }
        let progress = Progress::new(&self.checklist, &run.replay);
        if progress.applies(step) != Applies::Yes {
            // Says why: ruled out by the facts, or waiting for one.
            progress.check_can_record(r)?;
        }
        checks
            .iter()
            .map(|check| {
                Plan::resolve(check, &run.account, &run.replay.facts).map_err(|e| match e {
                    CheckError::UnansweredFact { fact } => Error::refused(format!(
                        "the check of step {} `{id}` needs fact `{fact}`, which is not answered yet; answer it first: closeacct answer --provider {} --account {} {fact} VALUE",
                        r.number(),
                        run.provider,
                        run.account
                    )),
                    other => check_error(&other),
                })
            })
            .collect()
    }

    /// Records one of a step's checks that ran (`check` 1 for the first) as one `check_ran`
    /// event, written and fsynced before this returns. A record too long for a log line first
    /// loses excerpts (see [`CheckRecord::fit`]).
    pub(crate) fn record_check(
        &self,
        run: &mut ActiveRun,
        r: StepRef,
        check: u32,
        mut result: CheckRecord,
    ) -> Result<Event> {
        let step = self.checklist.step(r).id.get_ref().clone();
        if !result.fit(MAX_CHECK_RECORD_BYTES) {
            return Err(Error::RefusedInput {
                message: format!(
                    "refusing to record check {check} of step `{step}`: its commands alone take more than {} KiB, more than a log line may hold",
                    MAX_CHECK_RECORD_BYTES / 1024
                ),
            });
        }
        run.record(&self.operator, EventKind::CheckRan { step, check, result: Box::new(result) })
    }
}
