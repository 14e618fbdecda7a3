//! The fleet report (`report --all`): one row per run — account, state, progress, who it waits
//! on, its key dates, the head of its log — and totals, for a programme manager's ticket. Entries
//! that are not readable runs are rows too, saying what is wrong. The JSON form is [`FleetReport`]
//! through serde, versioned by [`SCHEMA_VERSION`], and documented in the README.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Serialize;

use super::markdown::cell;
use super::{Format, time};
use crate::fleet::{ProblemLine, RunState, Summary};

/// The version of the fleet report's JSON shape.
pub(crate) const SCHEMA_VERSION: u32 = 1;

/// Everything the fleet report shows.
#[derive(Debug, Serialize)]
pub(crate) struct FleetReport {
    pub(crate) schema_version: u32,
    pub(crate) generated_at: Timestamp,
    /// The provider the report is restricted to (`--provider`), if any.
    pub(crate) provider: Option<String>,
    pub(crate) state_dir: String,
    /// Sorted by provider, account, then archive.
    pub(crate) runs: Vec<Summary>,
    pub(crate) problems: Vec<ProblemLine>,
    pub(crate) totals: Totals,
}

/// The sums over every run.
#[derive(Debug, Default, Serialize)]
pub(crate) struct Totals {
    pub(crate) runs: usize,
    pub(crate) open: usize,
    pub(crate) complete: usize,
    pub(crate) archived: usize,
    /// Entries that could not be read as runs.
    pub(crate) problems: usize,
    /// Steps that apply, over every run, and how many of them are resolved.
    pub(crate) applicable_steps: usize,
    pub(crate) resolved_steps: usize,
    /// Steps waiting on someone else, by who acts (`partner`, `provider`, `customer`).
    pub(crate) waiting_on: BTreeMap<String, usize>,
    /// Key dates passed while their step is still open.
    pub(crate) overdue: usize,
}

impl FleetReport {
    /// The report of `runs` and `problems` at `now`.
    pub(crate) fn new(
        mut runs: Vec<Summary>,
        problems: Vec<ProblemLine>,
        provider: Option<String>,
        state_dir: String,
        now: Timestamp,
    ) -> FleetReport {
        runs.sort_by(|a, b| (&a.provider, &a.account, &a.archive).cmp(&(&b.provider, &b.account, &b.archive)));
        let mut totals = Totals { runs: runs.len(), problems: problems.len(), ..Totals::default() };
        for run in &runs {
            match run.state {
                RunState::Open => totals.open += 1,
                RunState::Complete => totals.complete += 1,
                RunState::Archived => totals.archived += 1,
            }
            totals.applicable_steps += run.counts.applicable;
            totals.resolved_steps += run.counts.resolved_applicable();
            for waiting in &run.waiting {
                *totals.waiting_on.entry(waiting.on.to_string()).or_default() += 1;
            }
            totals.overdue += run.overdue.len();
        }
        FleetReport { schema_version: SCHEMA_VERSION, generated_at: now, provider, state_dir, runs, problems, totals }
    }
}

/// Writes the fleet report in a format: each run's times in the zone it was started in, the
/// time the report was made in `zone`.
pub(crate) fn render(report: &FleetReport, format: Format, zone: &TimeZone, w: &mut impl Write) -> io::Result<()> {
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *w, report)?;
            writeln!(w)
        }
        Format::Text => w.write_all(text(report, zone).as_bytes()),
        Format::Markdown => w.write_all(markdown(report, zone).as_bytes()),
    }
}

/// The cells of a run's row: account, provider, state, progress, waiting on, key dates, last
/// activity, last hash.
fn cells(run: &Summary) -> [String; 8] {
    let zone = &run.tz;
    let account = match &run.archive {
        Some(stamp) => format!("{} (archive {stamp})", run.account),
        None => run.account.clone(),
    };
    let waiting: Vec<String> = run.waiting.iter().map(|w| format!("{} ({})", w.number, w.who())).collect();
    let mut dates = run
        .next_key_date
        .as_ref()
        .map_or_else(|| "-".to_owned(), |d| format!("{} (step {})", time(d.date, zone), d.step_number));
    if !run.overdue.is_empty() {
        let _ = write!(dates, "; {} overdue", run.overdue.len());
    }
    [
        account,
        run.provider.clone(),
        run.state.as_str().to_owned(),
        format!("{}/{}", run.counts.resolved_applicable(), run.counts.applicable),
        if waiting.is_empty() { "-".to_owned() } else { waiting.join(", ") },
        dates,
        run.last_activity.map_or_else(|| "-".to_owned(), |t| format!("{} by {}", time(t, zone), run.last_by)),
        run.last_hash.clone(),
    ]
}

const HEADER: [&str; 8] =
    ["ACCOUNT", "PROVIDER", "STATE", "PROGRESS", "WAITING ON", "KEY DATES", "LAST ACTIVITY", "LAST HASH"];

/// A line of totals: `3 runs: 2 open, 1 complete, 0 archived; 12 of 20 steps resolved; …`.
fn totals_line(t: &Totals) -> String {
    let mut line = format!(
        "{} runs: {} open, {} complete, {} archived; {} of {} steps resolved",
        t.runs, t.open, t.complete, t.archived, t.resolved_steps, t.applicable_steps
    );
    let waiting: usize = t.waiting_on.values().sum();
    let on: Vec<String> = t.waiting_on.iter().map(|(who, n)| format!("{n} on the {who}")).collect();
    if waiting > 0 {
        let _ = write!(line, "; {waiting} steps waiting ({})", on.join(", "));
    }
    let _ = write!(line, "; {} key dates overdue", t.overdue);
    if t.problems > 0 {
        let _ = write!(line, "; {} entries could not be read as runs", t.problems);
    }
    line
}

fn text(r: &FleetReport, zone: &TimeZone) -> String {
    let mut out = String::new();
    let scope = r.provider.as_ref().map_or_else(String::new, |p| format!(" · provider {p}"));
    let title = format!("closeacct fleet report{scope}");
    let _ = writeln!(out, "{title}\n{}", "=".repeat(title.chars().count()));
    let _ = writeln!(out, "State directory  {}", r.state_dir);
    let _ = writeln!(out, "Totals           {}\n", totals_line(&r.totals));
    let rows: Vec<[String; 8]> = r.runs.iter().map(cells).collect();
    let mut widths = HEADER.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    for p in &r.problems {
        widths[0] = widths[0].max(p.account.chars().count());
        widths[1] = widths[1].max(p.provider.chars().count());
    }
    let line = |out: &mut String, cells: [&str; 8]| {
        let mut text = String::new();
        for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
            let _ = if i == 3 { write!(text, "{cell:>width$}  ") } else { write!(text, "{cell:<width$}  ") };
        }
        let _ = writeln!(out, "{}", text.trim_end());
    };
    line(&mut out, HEADER);
    for row in &rows {
        line(&mut out, row.each_ref().map(String::as_str));
    }
    for p in &r.problems {
        let _ = writeln!(
            out,
            "{:<w$}  {:<v$}  ! {}: {}",
            p.account,
            p.provider,
            p.kind,
            p.message,
            w = widths[0],
            v = widths[1]
        );
    }
    let _ = writeln!(out, "\nGenerated {}", time(r.generated_at, zone));
    out
}

fn markdown(r: &FleetReport, zone: &TimeZone) -> String {
    let mut out = String::new();
    let scope = r.provider.as_ref().map_or_else(String::new, |p| format!(": provider `{p}`"));
    let _ = writeln!(out, "# Account closure programme{scope}\n");
    let _ = writeln!(out, "{}\n", totals_line(&r.totals));
    let _ =
        writeln!(out, "| Account | Provider | State | Progress | Waiting on | Key dates | Last activity | Last hash |");
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|");
    for run in &r.runs {
        let [account, provider, state, progress, waiting, dates, last, hash] = cells(run);
        let _ = writeln!(
            out,
            "| {} | {} | {state} | {progress} | {} | {} | {} | `{hash}` |",
            cell(&account),
            cell(&provider),
            cell(&waiting),
            cell(&dates),
            cell(&last)
        );
    }
    for p in &r.problems {
        let _ = writeln!(
            out,
            "| {} | {} | **{}** | | | | {} | |",
            cell(&p.account),
            cell(&p.provider),
            p.kind,
            cell(&p.message)
        );
    }
    let _ = writeln!(out, "\nState directory: `{}`. Generated {}.", r.state_dir, time(r.generated_at, zone));
    out
}
