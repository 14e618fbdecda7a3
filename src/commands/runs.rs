//! `closeacct runs`: every run, with its progress, what it waits on, its next key date and its
//! last activity, newest first; entries that are not readable runs are listed after them.

use std::fmt::Write as _;

use jiff::Timestamp;
use serde::Serialize;

use crate::cli::{DataFormat, RunsArgs, RunsState};
use crate::clock;
use crate::error::Result;
use crate::fleet::{self, Fleet, ProblemLine, Row, RunState, Summary};
use crate::state::StateDir;
use crate::ui::Ui;

/// The version of `runs --format json`'s shape; bumped when a field changes meaning or goes away.
const SCHEMA_VERSION: u32 = 1;

/// `runs --format json`.
#[derive(Serialize)]
struct Listing {
    schema_version: u32,
    generated_at: Timestamp,
    runs: Vec<Summary>,
    problems: Vec<ProblemLine>,
}

/// Lists runs; exits with the worst problem's code once everything is printed.
pub(crate) fn cmd_runs(ui: &Ui, args: &RunsArgs) -> Result<()> {
    let state = StateDir::resolve(args.state_dir.state_dir.as_deref())?;
    let (given, provider) = fleet::overview_scope(&state, args.provider.as_deref(), &args.checklist)?;
    let (active, archived) = match args.state {
        RunsState::Open | RunsState::Complete | RunsState::Active => (true, false),
        RunsState::Archived => (false, true),
        RunsState::All => (true, true),
    };
    let now = clock::now();
    let mut fleet = Fleet::new(state, given);
    let mut runs = Vec::new();
    let mut problems = Vec::new();
    let tally = fleet.each_row(provider.as_deref(), active, archived, |row| match row {
        Row::Run(run) => {
            let summary = Summary::of(run, now);
            let wanted = match args.state {
                RunsState::Open => summary.state == RunState::Open,
                RunsState::Complete => summary.state == RunState::Complete,
                RunsState::Active | RunsState::Archived | RunsState::All => true,
            };
            if wanted {
                runs.push(summary);
            }
        }
        Row::Problem(problem) => problems.push(ProblemLine::of(problem)),
    })?;
    // Newest activity first; runs without any (none: every run has a first event) go last.
    runs.sort_by(|a, b| {
        b.last_activity.cmp(&a.last_activity).then_with(|| (&a.provider, &a.account).cmp(&(&b.provider, &b.account)))
    });
    if runs.is_empty() && problems.is_empty() {
        ui.status(format_args!("No runs in {}.", fleet.state.root.display()));
    }
    let out = match args.format {
        DataFormat::Json => {
            let listing = Listing { schema_version: SCHEMA_VERSION, generated_at: now, runs, problems };
            serde_json::to_string_pretty(&listing).expect("runs serialise") + "\n"
        }
        DataFormat::Text => render(&runs, &problems),
    };
    ui.stdout(out.as_bytes())?;
    fleet::finish(tally)
}

/// One row per run, columns as wide as their longest value, then a row per problem.
/// Times are each run's own, in the zone it was started in (as `status` shows them).
fn render(runs: &[Summary], problems: &[ProblemLine]) -> String {
    let local = |t: Option<Timestamp>, s: &Summary| t.map_or_else(|| "-".to_owned(), |t| clock::minutes_in(t, &s.tz));
    let account = |s: &Summary| match &s.archive {
        Some(stamp) => format!("{}/{stamp}", s.account),
        None => s.account.clone(),
    };
    let rows: Vec<[String; 8]> = runs
        .iter()
        .map(|s| {
            let waiting: Vec<&str> = s.waiting.iter().map(|w| w.number.as_str()).collect();
            [
                s.provider.clone(),
                account(s),
                s.state.as_str().to_owned(),
                format!("{}/{}", s.counts.resolved_applicable(), s.counts.applicable),
                if waiting.is_empty() { "-".to_owned() } else { waiting.join(",") },
                local(s.next_key_date.as_ref().map(|d| d.date), s),
                local(s.last_activity, s),
                s.last_by.clone(),
            ]
        })
        .collect();
    let header = ["PROVIDER", "ACCOUNT", "STATE", "PROGRESS", "WAITING", "NEXT KEY DATE", "LAST ACTIVITY", "BY"];
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    for p in problems {
        widths[0] = widths[0].max(p.provider.chars().count());
        widths[1] = widths[1].max(p.account.chars().count());
    }
    let mut out = String::new();
    let line = |out: &mut String, cells: [&str; 8]| {
        let mut text = String::new();
        for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
            // Progress is a number: right-aligned.
            let _ = if i == 3 { write!(text, "{cell:>width$}  ") } else { write!(text, "{cell:<width$}  ") };
        }
        let _ = writeln!(out, "{}", text.trim_end());
    };
    line(&mut out, header);
    for row in &rows {
        line(&mut out, row.each_ref().map(String::as_str));
    }
    for p in problems {
        let _ = writeln!(
            out,
            "{:<w0$}  {:<w1$}  ! {}: {}",
            p.provider,
            p.account,
            p.kind,
            p.message,
            w0 = widths[0],
            w1 = widths[1]
        );
    }
    out
}
