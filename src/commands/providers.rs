//! `closeacct providers`: every checklist a provider id can name, built-in and the user's own,
//! with where each comes from.

use std::fmt::Write as _;

use serde::Serialize;

use crate::checklist::{Catalog, Entry, Loaded, Outline, outline};
use crate::cli::{DataFormat, ProvidersArgs};
use crate::error::Result;
use crate::ui::Ui;

#[derive(Serialize)]
struct ProviderRow<'a> {
    id: &'a str,
    /// `built-in`, or the file's path.
    origin: String,
    /// Why the id cannot be used (its file does not load, the id is defined twice); the columns
    /// below are then absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    problem: Option<String>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    columns: Option<Columns>,
}

#[derive(Serialize)]
struct Columns {
    name: String,
    version: u32,
    stages: usize,
    steps: usize,
    source: String,
}

impl Columns {
    /// The columns of a built-in checklist, read off its text ([`outline`]) rather than parsing
    /// and validating all of them at every start; one the outline cannot read is parsed.
    fn of_builtin(id: &str, text: &str) -> Result<Columns> {
        match outline(text) {
            Some(Outline { name, version, stages, steps, source, .. }) => {
                Ok(Columns { name, version, stages, steps, source })
            }
            None => Ok(Columns::of(&Loaded::builtin(id)?)),
        }
    }

    fn of(loaded: &Loaded) -> Columns {
        Columns {
            name: loaded.checklist.name.clone(),
            version: loaded.checklist.version,
            stages: loaded.checklist.stages.len(),
            steps: loaded.step_count(),
            source: loaded.checklist.source_summary().into_owned().title,
        }
    }
}

/// Lists the checklists; one that cannot be used is listed as `(invalid)` with why on stderr (in
/// JSON, as `problem`), and the command still succeeds: every other checklist works.
pub(crate) fn cmd_providers(ui: &Ui, args: &ProvidersArgs) -> Result<()> {
    let catalog = Catalog::get();
    if let Some(problem) = &catalog.dir_problem {
        ui.warning(problem);
    }
    let entries = catalog.entries();
    let rows = entries.iter().map(row).collect::<Result<Vec<_>>>()?;
    if args.format == DataFormat::Text {
        // An id defined twice is a row per file, each with the one problem: said once.
        let mut said = std::collections::HashSet::new();
        for problem in rows.iter().filter_map(|r| r.problem.as_deref()).filter(|p| said.insert(*p)) {
            ui.warning(problem);
        }
    }
    match args.format {
        DataFormat::Json => ui.stdout((serde_json::to_string_pretty(&rows).expect("rows serialise") + "\n").as_bytes()),
        DataFormat::Text => ui.stdout_text(&render_text(&rows)),
    }
}

fn row<'e>(entry: &'e Entry<'_>) -> Result<ProviderRow<'e>> {
    let columns = match (&entry.problem, entry.user) {
        (Some(_), _) => None,
        (None, Some(user)) => Some(Columns::of(user)),
        (None, None) => Some(Columns::of_builtin(entry.id, entry.builtin_text.unwrap_or_default())?),
    };
    Ok(ProviderRow { id: entry.id, origin: entry.origin.describe(), problem: entry.problem.clone(), columns })
}

fn render_text(rows: &[ProviderRow]) -> String {
    let width = rows.iter().map(|r| r.id.chars().count()).max().unwrap_or(2).max(2);
    let name_of = |r: &ProviderRow| r.columns.as_ref().map_or_else(|| "(invalid)".to_owned(), |c| c.name.clone());
    let name_width = rows.iter().map(|r| name_of(r).chars().count()).max().unwrap_or(4).max(4);
    let mut out = format!("{:<width$}  {:<name_width$}  STAGES  STEPS  VERSION  ORIGIN\n", "ID", "NAME");
    for r in rows {
        let (stages, steps, version) = match &r.columns {
            Some(c) => (c.stages.to_string(), c.steps.to_string(), c.version.to_string()),
            None => ("-".to_owned(), "-".to_owned(), "-".to_owned()),
        };
        let _ = writeln!(
            out,
            "{:<width$}  {:<name_width$}  {stages:>6}  {steps:>5}  {version:>7}  {}",
            r.id,
            name_of(r),
            r.origin
        );
    }
    out
}
