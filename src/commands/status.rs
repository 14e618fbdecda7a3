//! `closeacct status`: progress of one run or of all runs; `--check` gates scripts.

use std::fmt::Write as _;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Serialize;

use crate::checklist::Loaded;
use crate::cli::{DataFormat, StatusArgs};
use crate::clock;
use crate::dates::{self, KeyDate};
use crate::error::{Error, Result};
use crate::fit::{self, Column};
use crate::layout::{REPORT_WIDTH, fill_hanging};
use crate::progress::{Counts, Progress, Status};
use crate::session::{ReadRun, Session};
use crate::state::{Detail, StateDir};
use crate::ui::Ui;

/// One run's progress, as `status` prints it (and as its JSON).
#[derive(Serialize)]
struct RunStatus {
    provider: String,
    account: String,
    complete: bool,
    counts: Counts,
    next_step: Option<StepLine>,
    waiting: Vec<StepLine>,
    overdue: Vec<KeyDate>,
    started_at: Option<Timestamp>,
    last_activity: Option<Timestamp>,
    /// When a complete run was last reopened (`--reopen`) to change an answer.
    reopened_at: Option<Timestamp>,
    pending_checklist_changes: Vec<String>,
    /// The zone the run recorded when it began; its times are shown and its dates counted in it.
    zone: String,
    #[serde(skip)]
    tz: TimeZone,
}

#[derive(Serialize)]
struct StepLine {
    number: String,
    id: String,
    title: String,
}

/// Prints the status of one run (with `--account`) or of every run.
pub(crate) fn cmd_status(ui: &Ui, args: &StatusArgs) -> Result<()> {
    let state = StateDir::resolve(args.state.state_dir.as_deref())?;
    let now = clock::now();
    // The checklist loaded to name the run is used again to read it.
    let mut loaded = None;
    let runs: Vec<(String, String)> = match (&args.provider, &args.account, &args.checklist.checklist) {
        (_, Some(account), _) => match Session::load_checklist(args.provider.as_deref(), &args.checklist) {
            Ok(checklist) => {
                let run = vec![(checklist.id().to_owned(), account.clone())];
                loaded = Some(checklist);
                run
            }
            // A run from a checklist file is read against the copy pinned in it.
            Err(Error::UnknownProvider { provider, .. }) => vec![(provider, account.clone())],
            Err(e) => return Err(e),
        },
        (provider, None, file) => {
            let provider = match (provider, file) {
                (Some(p), _) => Some(p.clone()),
                (None, Some(_)) => Some(Session::load_checklist(None, &args.checklist)?.id().to_owned()),
                (None, None) => None,
            };
            state.runs(provider.as_deref())?
        }
    };
    if runs.is_empty() {
        return Err(Error::NoSuchRun {
            provider: args.provider.clone(),
            account: args.account.clone(),
            state_dir: state.root.clone(),
        });
    }
    let mut statuses = Vec::new();
    for (provider, account) in &runs {
        let run = read_run(&state, provider, account, args, loaded.take())?;
        statuses.push(run_status(&run, now));
    }
    let detail = args.account.is_some();
    match args.format {
        DataFormat::Json if detail => {
            ui.stdout((serde_json::to_string_pretty(&statuses[0]).expect("status serialises") + "\n").as_bytes())?;
        }
        DataFormat::Json => {
            ui.stdout((serde_json::to_string_pretty(&statuses).expect("status serialises") + "\n").as_bytes())?;
        }
        DataFormat::Text if detail => ui.stdout_text(&render_detail(&statuses[0]))?,
        DataFormat::Text => ui.stdout_text(&render_lines(&statuses))?,
    }
    if args.check && statuses.iter().any(|s| !s.complete) {
        return Err(Error::Incomplete);
    }
    Ok(())
}

/// Reads a run with its checklist: the `--checklist` file, the built-in one, or (for a run made
/// from a custom checklist) the copy pinned in the run directory.
fn read_run(
    state: &StateDir,
    provider: &str,
    account: &str,
    args: &StatusArgs,
    loaded: Option<Loaded>,
) -> Result<ReadRun> {
    let checklist = match loaded.map_or_else(|| Session::load_checklist(Some(provider), &args.checklist), Ok) {
        Ok(checklist) => checklist,
        Err(Error::UnknownProvider { .. }) => {
            return ReadRun::with_pinned_checklist(state, provider, account, Detail::Summary);
        }
        Err(e) => return Err(e),
    };
    let session = Session { state: state.clone(), checklist, operator: String::new() };
    session.read(account, Detail::Summary)
}

fn run_status(run: &ReadRun, now: Timestamp) -> RunStatus {
    let tz = clock::run_zone(run.replay.zone.as_deref());
    let progress = Progress::new(&run.checklist, &run.replay);
    let line = |r: crate::checklist::StepRef| {
        let step = run.checklist.step(r);
        StepLine { number: r.number(), id: step.id.get_ref().clone(), title: step.title.clone() }
    };
    RunStatus {
        provider: run.provider.clone(),
        account: run.account.clone(),
        complete: progress.is_complete(),
        counts: progress.counts(),
        next_step: progress.first_open().map(line),
        waiting: run
            .checklist
            .steps()
            .filter(|(_, s)| progress.status(s) == Status::Waiting)
            .map(|(r, _)| line(r))
            .collect(),
        overdue: dates::due_reminders(&run.checklist, &run.replay, now, &tz),
        started_at: run.replay.started_at,
        last_activity: run.replay.last_at,
        reopened_at: run.replay.reopened_at,
        pending_checklist_changes: run.pending_changes.clone(),
        zone: run.replay.zone.clone().unwrap_or_else(|| "UTC".to_owned()),
        tz,
    }
}

fn local(ts: Option<Timestamp>, zone: &TimeZone) -> String {
    ts.map_or_else(|| "-".to_owned(), |t| clock::minutes_in(t, zone))
}

/// One row per run, the columns as wide as their longest value, fitted to the output's width
/// (`fit`): a cell too long for it is cut with `…`, the next step first (its number still names
/// it), then names; `--account` and `--format json` show everything whole.
fn render_lines(statuses: &[RunStatus]) -> String {
    let width = fit::output_width();
    let mut rows =
        vec![["PROVIDER", "ACCOUNT", "RESOLVED", "WAITING", "LAST ACTIVITY", "NEXT"].map(str::to_owned).to_vec()];
    for s in statuses {
        let next = match (&s.next_step, s.complete) {
            (_, true) => "complete".to_owned(),
            (Some(step), false) => format!("{} {}", step.number, step.id),
            (None, false) => "-".to_owned(),
        };
        let resolved = format!("{}/{}", s.counts.resolved_applicable(), s.counts.applicable);
        rows.push(vec![
            s.provider.clone(),
            s.account.clone(),
            resolved,
            s.counts.waiting.to_string(),
            local(s.last_activity, &s.tz),
            next,
        ]);
    }
    let columns = [Column::NAME, Column::NAME, Column::COUNT, Column::COUNT, Column::FIXED, Column::TEXT];
    let lines = fit::table(&rows, &columns, width);
    let mut out = String::new();
    let _ = writeln!(out, "{}", lines[0]);
    for (s, line) in statuses.iter().zip(&lines[1..]) {
        let _ = writeln!(out, "{line}");
        for due in &s.overdue {
            // Wrapped at spaces; a word longer than the line (a URL) is cut.
            for reminder in fill_hanging(&due.reminder_line(&s.tz), width.min(REPORT_WIDTH), "  ! ").lines() {
                let _ = writeln!(out, "{}", fit::cut(reminder, width));
            }
        }
    }
    out
}

/// `label` then `text`, wrapped with continuation lines under the text.
fn labelled(out: &mut String, label: &str, text: &str) {
    let _ = writeln!(out, "{}", fill_hanging(text, REPORT_WIDTH, label));
}

fn render_detail(s: &RunStatus) -> String {
    let mut out = String::new();
    let c = &s.counts;
    let _ = writeln!(out, "{}/{}: {}", s.provider, s.account, if s.complete { "complete" } else { "in progress" });
    let _ = writeln!(out, "  started        {}", local(s.started_at, &s.tz));
    let _ = writeln!(out, "  last activity  {}", local(s.last_activity, &s.tz));
    let _ = writeln!(out, "  time zone      {} (the run's)", s.zone);
    if let Some(at) = s.reopened_at {
        let _ = writeln!(
            out,
            "  reopened       {} (an answer was changed after the run was complete)",
            local(Some(at), &s.tz)
        );
    }
    let _ = writeln!(out, "  steps          {} of {} resolved", c.resolved_applicable(), c.applicable);
    let _ = writeln!(
        out,
        "                 {} done, {} skipped, {} waiting, {} pending, {} not applicable",
        c.done, c.skipped, c.waiting, c.pending, c.not_applicable
    );
    if let Some(next) = &s.next_step {
        labelled(&mut out, "  next           ", &format!("{} {} — {}", next.number, next.id, next.title));
    }
    for w in &s.waiting {
        labelled(&mut out, "  waiting        ", &format!("{} {} — {}", w.number, w.id, w.title));
    }
    for due in &s.overdue {
        labelled(&mut out, "  ! ", &due.reminder_line(&s.tz));
    }
    for change in &s.pending_checklist_changes {
        labelled(&mut out, "  ", &format!("checklist changed since the run began: {change}"));
    }
    out
}
