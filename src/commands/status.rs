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
use crate::fleet::{self, Fleet, Row, Waiting};
use crate::layout::{REPORT_WIDTH, fill_hanging};
use crate::progress::{Counts, Progress};
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
    waiting: Vec<Waiting>,
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

/// A row of the overview: a run, or an entry that could not be read as one.
#[derive(Serialize)]
#[serde(untagged)]
enum Line {
    Run(Box<RunStatus>),
    /// Its JSON: `provider`, `account`, `path` and `problem` {`kind`, `message`, `exit_code`}.
    Problem {
        provider: String,
        account: String,
        path: String,
        problem: ProblemInfo,
    },
}

#[derive(Serialize)]
struct ProblemInfo {
    kind: &'static str,
    message: String,
    exit_code: u8,
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
    let Some(account) = &args.account else { return status_all(ui, args, state, now) };
    let (provider, loaded) = match Session::load_checklist(args.provider.as_deref(), &args.checklist) {
        Ok(checklist) => (checklist.id().to_owned(), Some(checklist)),
        // A run from a checklist file is read against the copy pinned in it.
        Err(Error::UnknownProvider { provider, .. }) => (provider, None),
        Err(e) => return Err(e),
    };
    let run = read_run(&state, &provider, account, args, loaded)?;
    if let Some(torn) = &run.end.torn {
        ui.warning(format_args!(
            "the log ends with {} bytes of a line cut short by a crash, never confirmed and not counted here; the next command that records sets them aside",
            torn.len()
        ));
    }
    let status = run_status(&run, now);
    match args.format {
        DataFormat::Json => {
            ui.stdout((serde_json::to_string_pretty(&status).expect("status serialises") + "\n").as_bytes())?;
        }
        DataFormat::Text => ui.stdout_text(&render_detail(&status))?,
    }
    if args.check && !status.complete {
        return Err(Error::Incomplete);
    }
    Ok(())
}

/// Every run, one row each, and a row for every entry of the state directory that is not a
/// readable run: nothing is left out, and the exit code says the worst problem once every row
/// is printed.
fn status_all(ui: &Ui, args: &StatusArgs, state: StateDir, now: Timestamp) -> Result<()> {
    let (given, provider) = fleet::overview_scope(&state, args.provider.as_deref(), &args.checklist)?;
    let mut fleet = Fleet::new(state, given);
    let mut lines = Vec::new();
    let tally = fleet.each_row(provider.as_deref(), true, false, |row| {
        lines.push(match row {
            Row::Run(run) => Line::Run(Box::new(run_status(&run.run, now))),
            Row::Problem(p) => Line::Problem {
                provider: p.provider.clone(),
                account: p.account.clone(),
                path: p.path.display().to_string(),
                problem: ProblemInfo { kind: p.kind, message: p.error.to_string(), exit_code: p.error.exit_code() },
            },
        });
    })?;
    if lines.is_empty() {
        return Err(Error::NoSuchRun { provider, account: None, state_dir: fleet.state.root });
    }
    match args.format {
        DataFormat::Json => {
            ui.stdout((serde_json::to_string_pretty(&lines).expect("status serialises") + "\n").as_bytes())?;
        }
        DataFormat::Text => ui.stdout_text(&render_lines(&lines))?,
    }
    let incomplete = lines.iter().any(|line| matches!(line, Line::Run(s) if !s.complete));
    fleet::finish(tally)?;
    if args.check && incomplete {
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
        waiting: Waiting::of_run(run, &progress),
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

/// One row per run (and per entry that is not a readable run, saying what is wrong with it), the
/// columns as wide as their longest value, fitted to the output's width (`fit`): a cell too long
/// for it is cut with `…`, the next step first (its number still names it), then names;
/// `--account` and `--format json` show everything whole.
fn render_lines(lines: &[Line]) -> String {
    let width = fit::output_width();
    let mut rows =
        vec![["PROVIDER", "ACCOUNT", "RESOLVED", "WAITING", "LAST ACTIVITY", "NEXT"].map(str::to_owned).to_vec()];
    for line in lines {
        rows.push(match line {
            Line::Run(s) => {
                let next = match (&s.next_step, s.complete) {
                    (_, true) => "complete".to_owned(),
                    (Some(step), false) => format!("{} {}", step.number, step.id),
                    (None, false) => "-".to_owned(),
                };
                let resolved = format!("{}/{}", s.counts.resolved_applicable(), s.counts.applicable);
                vec![
                    s.provider.clone(),
                    s.account.clone(),
                    resolved,
                    s.counts.waiting.to_string(),
                    local(s.last_activity, &s.tz),
                    next,
                ]
            }
            Line::Problem { provider, account, problem, .. } => vec![
                provider.clone(),
                account.clone(),
                "!".to_owned(),
                String::new(),
                String::new(),
                problem.kind.to_owned(),
            ],
        });
    }
    let columns = [Column::NAME, Column::NAME, Column::COUNT, Column::COUNT, Column::FIXED, Column::TEXT];
    let table = fit::table(&rows, &columns, width);
    let mut out = String::new();
    let _ = writeln!(out, "{}", table[0]);
    for (line, row) in lines.iter().zip(&table[1..]) {
        let _ = writeln!(out, "{row}");
        // Under the row, wrapped at spaces: what is wrong with an entry, whole (a word longer
        // than the line, such as a path, goes whole too), or the dates that have passed.
        match line {
            Line::Problem { problem, .. } => {
                let _ = writeln!(out, "{}", fill_hanging(&problem.message, width.min(REPORT_WIDTH), "  ! "));
            }
            Line::Run(s) => {
                for due in &s.overdue {
                    // A word longer than the line (a URL) is cut.
                    for reminder in fill_hanging(&due.reminder_line(&s.tz), width.min(REPORT_WIDTH), "  ! ").lines() {
                        let _ = writeln!(out, "{}", fit::cut(reminder, width));
                    }
                }
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
        let since = w.since.map_or_else(String::new, |t| format!(", since {}", clock::minutes_in(t, &s.tz)));
        labelled(&mut out, "  waiting        ", &format!("{} {} — {} ({}{since})", w.number, w.id, w.title, w.who()));
    }
    for due in &s.overdue {
        labelled(&mut out, "  ! ", &due.reminder_line(&s.tz));
    }
    for change in &s.pending_checklist_changes {
        labelled(&mut out, "  ", &format!("checklist changed since the run began: {change}"));
    }
    out
}
