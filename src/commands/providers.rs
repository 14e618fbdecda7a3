//! `closeacct providers`: the built-in checklists.

use std::fmt::Write as _;

use serde::Serialize;

use crate::checklist::{BUILTIN, Loaded, Outline, outline};
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

/// Lists the built-in checklists. Their columns are read off each text ([`outline`]) rather than
/// parsing all seven at every start; a checklist the outline cannot read is parsed.
pub(crate) fn cmd_providers(ui: &Ui, args: &ProvidersArgs) -> Result<()> {
    let outlines = BUILTIN
        .iter()
        .map(|(id, _, text)| match outline(text) {
            Some(outline) => Ok(outline),
            None => Loaded::builtin(id).map(|l| Outline {
                id: l.id().to_owned(),
                name: l.checklist.name.clone(),
                version: l.checklist.version,
                stages: l.checklist.stages.len(),
                steps: l.step_count(),
                source: l.checklist.source_summary().into_owned().title,
            }),
        })
        .collect::<Result<Vec<_>>>()?;
    let rows: Vec<ProviderRow> = outlines
        .iter()
        .map(|o| ProviderRow {
            id: &o.id,
            name: &o.name,
            version: o.version,
            stages: o.stages,
            steps: o.steps,
            source: o.source.clone(),
        })
        .collect();
    let out = match args.format {
        DataFormat::Json => serde_json::to_string_pretty(&rows).expect("rows serialise") + "\n",
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
            out
        }
    };
    ui.stdout(out.as_bytes())
}
