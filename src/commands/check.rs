//! `closeacct check STEP`: run a step's read-only checks, with the operator's consent, and record
//! what they find as evidence.
//!
//! Without `--yes` nothing runs: the exact commands are shown and the command exits 2. With it,
//! each of the step's checks runs in turn and becomes one `check_ran` event, written and fsynced
//! before it is reported; a check that fails says what is left, item by item, and the command
//! exits 3.

use std::fmt::Write as _;

use serde::Serialize;

use crate::checks::Plan;
use crate::cli::{CheckArgs, DataFormat};
use crate::error::{Error, Result};
use crate::report::{CheckReport, visible_line};
use crate::session::{self, Session};
use crate::state::EventKind;
use crate::terminal::{self, CheckBar};
use crate::ui::Ui;

/// What `--format json` prints.
#[derive(Serialize)]
struct CheckOutput<'a> {
    provider: &'a str,
    account: &'a str,
    step: StepInfo<'a>,
    /// Every check of the step passed.
    passed: bool,
    /// One per check, in the checklist's order, as the report shows them.
    checks: Vec<CheckReport<'a>>,
}

#[derive(Serialize)]
struct StepInfo<'a> {
    number: String,
    id: &'a str,
    title: &'a str,
}

/// Shows a step's check commands, or runs them (`--yes`) and records what they find.
pub(crate) fn cmd_check(ui: &Ui, args: &CheckArgs) -> Result<()> {
    let session = Session::from_args(&args.run, Some(&args.operator))?;
    let r = session.checklist.resolve(&args.step)?;
    let mut run = session.open_existing(&args.run, &args.operator)?;
    ui.note_torn(&run);
    let plans = session.check_plans(&run, r)?;
    let step = session.checklist.step(r);
    let id = step.id.get_ref();
    let number = r.number();
    let total = plans.len();
    if !args.yes {
        show_commands(ui, &number, id, &plans);
        return Err(Error::usage(format!(
            "nothing was run; to run {} with your credentials, add --yes",
            if total == 1 { "this command" } else { "these commands" }
        )));
    }

    // Ctrl-C kills the commands' process groups, records nothing more, and exits 4.
    terminal::install_interrupt_handler();
    let mut events = Vec::with_capacity(total);
    for (n, plan) in (1u32..).zip(&plans) {
        let bar = CheckBar::new(&format!("check {n}/{total}"));
        let result = session::run_check(plan, usize::from(args.jobs), &|progress| bar.show(progress));
        bar.finish();
        let result = match result {
            // The handler is saying so and exiting; wait until it has said it.
            Err(Error::Interrupted) => {
                terminal::report_interrupt();
                return Err(Error::Interrupted);
            }
            result => result?,
        };
        let event = session.record_check(&mut run, r, n, result)?;
        ui.status(format_args!("✔ recorded check {n}/{total} of step {number} `{id}` (seq {})", event.seq));
        let sha256 =
            run.replay.checks.get(id.as_str()).and_then(|runs| runs.last()).and_then(|c| c.line_sha256.clone());
        if args.format == DataFormat::Text
            && let EventKind::CheckRan { result, .. } = &event.kind
        {
            ui.stdout(result_text(n, total, result).as_bytes())?;
        }
        events.push((event, sha256));
    }

    let reports: Vec<CheckReport<'_>> = events
        .iter()
        .filter_map(|(event, sha256)| match &event.kind {
            EventKind::CheckRan { check, result, .. } => Some(CheckReport {
                seq: event.seq,
                check: *check,
                at: event.at,
                by: &event.by,
                sha256: sha256.as_deref(),
                failures: result.failures(),
                result,
            }),
            _ => None,
        })
        .collect();
    let failed = reports.iter().filter(|c| !c.result.passed).count();
    if args.format == DataFormat::Json {
        let output = CheckOutput {
            provider: &run.provider,
            account: &run.account,
            step: StepInfo { number: number.clone(), id, title: &step.title },
            passed: failed == 0,
            checks: reports,
        };
        let json = serde_json::to_string_pretty(&output).expect("check output serialises") + "\n";
        ui.stdout(json.as_bytes())?;
    }
    if failed > 0 {
        let which = if total == 1 { "the check".to_owned() } else { format!("{failed} of {total} checks") };
        return Err(Error::CheckFailed {
            message: format!(
                "{which} of step {number} `{id}` found work left (recorded, listed above); the step stays open"
            ),
        });
    }
    let (checks, them) = if total == 1 { ("its check", "it") } else { ("all its checks", "them") };
    ui.status(format_args!(
        "Step {number} `{id}`: {checks} passed; confirm the step with {them} as evidence: closeacct confirm {} {id} --with-check",
        session.run_args(&run.account)
    ));
    Ok(())
}

/// The commands each check runs, as a shell reader would type them, on stderr.
fn show_commands(ui: &Ui, number: &str, id: &str, plans: &[Plan]) {
    let total = plans.len();
    ui.status(format_args!(
        "Step {number} `{id}` has {}. Nothing has run. With --yes, these read-only commands run with your environment and credentials as they are:",
        if total == 1 { "a check".to_owned() } else { format!("{total} checks") }
    ));
    for (n, plan) in (1..).zip(plans) {
        ui.status(format_args!("\ncheck {n}/{total}: {}", plan.summary));
        let lines = plan.display(None);
        for (i, line) in lines.iter().enumerate() {
            let each = match &plan.foreach {
                Some((variable, _)) if i == 1 => format!("   (for each {{{variable}}} the first command prints)"),
                _ => String::new(),
            };
            ui.status(format_args!("  $ {line}{each}"));
        }
    }
}

/// `check 1/2 passed: …` or `check 2/2 FAILED: …` and what is left, item by item.
fn result_text(n: u32, total: usize, result: &crate::checks::CheckRecord) -> String {
    let outcome = if result.passed { "passed" } else { "FAILED" };
    let mut text = format!("check {n}/{total} {outcome}: {}\n", visible_line(&result.summary));
    for line in result.failures() {
        let _ = writeln!(text, "  {}", visible_line(&line));
    }
    text
}
