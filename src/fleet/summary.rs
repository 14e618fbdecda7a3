//! One run summed up for an overview (`runs`, `report --all`): its state, progress, what it waits
//! on, its next key date, its last activity and who did it, and the head of its log. The JSON of
//! both commands is this struct through serde; the README documents it.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Serialize;

use super::{FleetRun, Problem};
use crate::checklist::{Actor, StepRef};
use crate::clock;
use crate::dates::{self, KeyDate};
use crate::progress::{Counts, Progress, Status};
use crate::session::ReadRun;
use crate::state::{EVENTS_FILE, Place};

/// Where a run is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum RunState {
    /// Active, with steps left (pending or waiting).
    Open,
    /// Active, every step resolved.
    Complete,
    /// Moved to `archive/` (by `archive` or `--restart`).
    Archived,
}

impl RunState {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RunState::Open => "open",
            RunState::Complete => "complete",
            RunState::Archived => "archived",
        }
    }
}

/// A run, summed up.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Summary {
    pub(crate) provider: String,
    pub(crate) account: String,
    pub(crate) state: RunState,
    /// Every step resolved (also for an archived run).
    pub(crate) complete: bool,
    /// The archive's stamp (`20261124T134000Z`) for an archived run.
    pub(crate) archive: Option<String>,
    pub(crate) counts: Counts,
    /// The first step still open.
    pub(crate) next_step: Option<StepLine>,
    /// Steps waiting on someone else, with who acts.
    pub(crate) waiting: Vec<Waiting>,
    /// The next key date still to come.
    pub(crate) next_key_date: Option<KeyDateLine>,
    /// Key dates passed while their step is still open.
    pub(crate) overdue: Vec<KeyDateLine>,
    pub(crate) started_at: Option<Timestamp>,
    pub(crate) last_activity: Option<Timestamp>,
    /// Who recorded the last event.
    pub(crate) last_by: String,
    pub(crate) events: u64,
    /// sha256 of the log's last line, as `verify` prints it.
    pub(crate) last_hash: String,
    pub(crate) state_file: String,
    pub(crate) pending_checklist_changes: Vec<String>,
    /// The time zone the run was started in: its key dates are counted in it, and its times are
    /// shown in it, so every reader of an overview sees the same dates.
    pub(crate) zone: String,
    #[serde(skip)]
    pub(crate) tz: TimeZone,
}

/// A step named in a summary.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct StepLine {
    pub(crate) number: String,
    pub(crate) id: String,
    pub(crate) title: String,
}

/// A step waiting on someone else.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Waiting {
    pub(crate) number: String,
    pub(crate) id: String,
    pub(crate) title: String,
    /// Who acts: `partner`, `provider` (or `customer`).
    pub(crate) on: Actor,
    pub(crate) since: Option<Timestamp>,
    /// Who it waits on, as the operator named them (`wait --on`), if they did: `waiting_on`, as
    /// the report's steps call it.
    #[allow(clippy::struct_field_names)]
    pub(crate) waiting_on: Option<String>,
}

impl Waiting {
    /// The waiting steps of a run, in checklist order.
    pub(crate) fn of_run(run: &ReadRun, progress: &Progress<'_>) -> Vec<Waiting> {
        run.checklist
            .steps()
            .filter(|(_, s)| progress.status(s) == Status::Waiting)
            .map(|(r, step)| {
                let record = run.replay.steps.get(step.id.get_ref());
                Waiting {
                    number: r.number(),
                    id: step.id.get_ref().clone(),
                    title: step.title.clone(),
                    on: step.actor,
                    since: record.and_then(|record| record.waiting_since),
                    waiting_on: record.and_then(|record| record.waiting_on.clone()),
                }
            })
            .collect()
    }

    /// `Bespin Global` as the operator named them, else who acts (`partner`).
    pub(crate) fn who(&self) -> String {
        self.waiting_on.clone().unwrap_or_else(|| self.on.to_string())
    }
}

/// A key date in a summary.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct KeyDateLine {
    pub(crate) date: Timestamp,
    pub(crate) step: String,
    pub(crate) step_number: String,
    pub(crate) text: String,
}

impl KeyDateLine {
    fn of(date: &KeyDate) -> Option<KeyDateLine> {
        Some(KeyDateLine {
            date: date.date?,
            step: date.step.clone(),
            step_number: date.step_number.clone(),
            text: date.text.clone(),
        })
    }
}

impl Summary {
    /// Sums up a run at `now`; key dates are counted in the zone the run recorded.
    pub(crate) fn of(fleet_run: &FleetRun, now: Timestamp) -> Summary {
        let run = &fleet_run.run;
        let tz = clock::run_zone(run.replay.zone.as_deref());
        let checklist = &*run.checklist;
        let progress = Progress::new(checklist, &run.replay);
        let complete = progress.is_complete();
        let line = |r: StepRef| {
            let step = checklist.step(r);
            StepLine { number: r.number(), id: step.id.get_ref().clone(), title: step.title.clone() }
        };
        let waiting = Waiting::of_run(run, &progress);
        let key_dates = dates::key_dates(checklist, &run.replay, now, &tz);
        let open = |d: &KeyDate| {
            checklist
                .find(&d.step)
                .is_some_and(|r| matches!(progress.status(checklist.step(r)), Status::Pending | Status::Waiting))
        };
        let (state, archive) = match &fleet_run.place {
            Place::Archived { stamp } => (RunState::Archived, Some(stamp.clone())),
            Place::Active if complete => (RunState::Complete, None),
            Place::Active => (RunState::Open, None),
        };
        Summary {
            provider: run.provider.clone(),
            account: run.account.clone(),
            state,
            complete,
            archive,
            counts: progress.counts(),
            next_step: progress.first_open().map(line),
            waiting,
            next_key_date: key_dates.iter().filter(|d| !d.passed).find_map(KeyDateLine::of),
            overdue: key_dates.iter().filter(|d| d.passed && open(d)).filter_map(KeyDateLine::of).collect(),
            started_at: run.replay.started_at,
            last_activity: run.replay.last_at,
            last_by: fleet_run.last_by.clone(),
            events: run.end.count,
            last_hash: run.end.last_hash.clone(),
            state_file: run.dir.join(EVENTS_FILE).display().to_string(),
            pending_checklist_changes: run.pending_changes.clone(),
            zone: run.replay.zone.clone().unwrap_or_else(|| "UTC".to_owned()),
            tz,
        }
    }
}

/// An entry that is not a readable run, as overviews print it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ProblemLine {
    pub(crate) provider: String,
    pub(crate) account: String,
    pub(crate) path: String,
    /// `damaged`, `unreadable`, `not-a-run`, `misplaced`, `unknown-checklist` or `bad-checklist`.
    pub(crate) kind: &'static str,
    /// What is wrong, as the error would say it.
    pub(crate) message: String,
    /// The exit code this problem alone would give.
    pub(crate) exit_code: u8,
}

impl ProblemLine {
    pub(crate) fn of(problem: &Problem) -> ProblemLine {
        ProblemLine {
            provider: problem.provider.clone(),
            account: problem.account.clone(),
            path: problem.path.display().to_string(),
            kind: problem.kind,
            message: problem.error.to_string(),
            exit_code: problem.error.exit_code(),
        }
    }
}
