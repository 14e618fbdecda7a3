//! `closeacct checklist show|validate`.

use std::fmt::Write as _;

use crate::checklist::{FactKind, Loaded};
use crate::checks::display_templates;
use crate::cli::{ChecklistCommand, ChecklistFormat, ChecklistShowArgs, ChecklistValidateArgs};
use crate::error::Result;
use crate::layout;
use crate::session::Session;
use crate::ui::Ui;

/// Runs a `checklist` subcommand.
pub(crate) fn cmd_checklist(ui: &Ui, command: &ChecklistCommand) -> Result<()> {
    match command {
        ChecklistCommand::Show(args) => cmd_show(ui, args),
        ChecklistCommand::Validate(args) => cmd_validate(ui, args),
    }
}

fn cmd_show(ui: &Ui, args: &ChecklistShowArgs) -> Result<()> {
    let loaded = Session::load_checklist(args.provider.as_deref(), &args.checklist)?;
    match args.format {
        ChecklistFormat::Toml => ui.stdout(loaded.to_toml().as_bytes()),
        ChecklistFormat::Json => ui
            .stdout((serde_json::to_string_pretty(&loaded.checklist).expect("checklist serialises") + "\n").as_bytes()),
        ChecklistFormat::Text => ui.stdout_text(&render_text(&loaded)),
    }
}

fn cmd_validate(ui: &Ui, args: &ChecklistValidateArgs) -> Result<()> {
    let loaded = Loaded::from_file(&args.file)?;
    let line = format!(
        "{}: ok ({} v{}, {} stages, {} steps, sha256 {})\n",
        args.file.display(),
        loaded.id(),
        loaded.checklist.version,
        loaded.checklist.stages.len(),
        loaded.step_count(),
        loaded.sha256
    );
    ui.stdout_text(&line)
}

/// A readable outline: facts, then each stage's steps with who acts, kind, conditions.
fn render_text(loaded: &Loaded) -> String {
    let c = &loaded.checklist;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} ({} v{}, {} stages, {} steps)",
        c.name,
        c.id.get_ref(),
        c.version,
        c.stages.len(),
        loaded.step_count()
    );
    let summary = c.source_summary();
    let mut source = format!("Source: {} — {}", summary.title, summary.publisher);
    if let Some(date) = &summary.date {
        let _ = write!(source, ", {date}");
    }
    if let Some(reference) = &summary.reference {
        let _ = write!(source, " ({reference})");
    }
    let _ = writeln!(out, "{source}");
    if !c.facts.is_empty() {
        let _ = writeln!(out, "\nFacts");
        for fact in &c.facts {
            let answers = match fact.kind {
                FactKind::YesNo => "yes/no".to_owned(),
                FactKind::Choice => fact.accepted().join("/"),
            };
            let _ = writeln!(out, "  {:<20} {} ({answers})", fact.id.get_ref(), fact.question);
        }
    }
    for (s, stage) in c.stages.iter().enumerate() {
        let _ = writeln!(out, "\nStage {}/{} · {}", s + 1, c.stages.len(), stage.title);
        for (i, step) in stage.steps.iter().enumerate() {
            let _ = writeln!(out, "  {}.{:<3} {}  [{} · {}]", s + 1, i + 1, step.title, step.actor, step.kind);
            let mut meta = vec![format!("id {}", step.id.get_ref())];
            if let Some(when) = &step.when {
                meta.push(format!("when {}", when.get_ref()));
            }
            if !step.requires.is_empty() {
                let ids: Vec<&str> = step.requires.iter().map(|r| r.get_ref().as_str()).collect();
                meta.push(format!("requires {}", ids.join(", ")));
            }
            let _ = writeln!(out, "        {}", meta.join(" · "));
            for follow_up in &step.follow_up {
                let from = follow_up.from.as_ref().map_or("this step", |f| f.get_ref().as_str());
                let when = match &follow_up.after {
                    Some(after) if after.get_ref() == "end-of-month" => format!("at the close of the month of {from}"),
                    Some(after) => format!("{} after {from}", after.get_ref()),
                    None => "undated".to_owned(),
                };
                let line = format!("follow-up, {when}: {}", follow_up.text);
                let _ = writeln!(out, "{}", layout::fill(&line, layout::REPORT_WIDTH, "        ", "          "));
            }
            let step_checks = loaded.checks(step);
            for (n, check) in (1..).zip(step_checks) {
                let which = if step_checks.len() == 1 { "check".to_owned() } else { format!("check {n}") };
                let _ = writeln!(out, "        {which}: {} (expect {})", check.summary, check.expect);
                for (i, line) in display_templates(check).iter().enumerate() {
                    let each = match &check.foreach {
                        Some(foreach) if i == 1 => format!("   (for each {{{}}})", foreach.variable),
                        _ => String::new(),
                    };
                    let _ = writeln!(out, "          $ {line}{each}");
                }
            }
        }
    }
    out
}
