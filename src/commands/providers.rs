//! `closeacct providers`: the built-in checklists.

use std::fmt::Write as _;

use serde::Serialize;

use crate::checklist::{BUILTIN, Loaded};
use crate::cli::{DataFormat, ProvidersArgs};
use crate::error::Result;
use crate::ui::Ui;

#[derive(Serialize)]
struct ProviderRow<'a> {
    id: &'a str,
    name: &'a str,
    version: u32,
    stages: usize,
    steps: usize,
    source: String,
}

/// Lists the built-in checklists.
pub(crate) fn cmd_providers(ui: &Ui, args: &ProvidersArgs) -> Result<()> {
    let loaded = BUILTIN.iter().map(|(id, _, _)| Loaded::builtin(id)).collect::<Result<Vec<_>>>()?;
    let rows: Vec<ProviderRow> = loaded
        .iter()
        .map(|l| ProviderRow {
            id: l.id(),
            name: &l.checklist.name,
            version: l.checklist.version,
            stages: l.checklist.stages.len(),
            steps: l.step_count(),
            source: l.checklist.source_summary().into_owned().title,
        })
        .collect();
    match args.format {
        DataFormat::Json => ui.stdout((serde_json::to_string_pretty(&rows).expect("rows serialise") + "\n").as_bytes()),
        DataFormat::Text => {
            let width = rows.iter().map(|r| r.id.len()).max().unwrap_or(2).max(2);
            let name_width = rows.iter().map(|r| r.name.chars().count()).max().unwrap_or(4).max(4);
            let mut out = format!("{:<width$}  {:<name_width$}  STAGES  STEPS  VERSION\n", "ID", "NAME");
            for r in &rows {
                let _ = writeln!(
                    out,
                    "{:<width$}  {:<name_width$}  {:>6}  {:>5}  {:>7}",
                    r.id, r.name, r.stages, r.steps, r.version
                );
            }
            ui.stdout_text(&out)
        }
    }
}
