//! The checklist: its schema, loading and validation.
//!
//! A checklist is data (`checklists/*.toml`, compiled in). The engine knows no provider by name:
//! everything provider-specific — facts, stages, steps, warnings, follow-up dates — is here as
//! plain fields. Validation errors carry `file:line:col` so an author can jump to the problem.
//!
//! The parts: [`schema`] (the types a file is read into), [`condition`] (`when`), [`load`]
//! (parsing, the built-in table, the loaded checklist and its index) and [`validate`] (the rules).

mod catalog;
mod condition;
mod load;
mod outline;
mod schema;
mod validate;

pub(crate) use catalog::{Catalog, Entry};
pub use condition::Condition;
pub use load::StepRef;
pub use load::{Loaded, generate_for_benchmarks};
pub(crate) use outline::{Outline, outline};
pub use schema::{Actor, Delay, FactKind, Step, StepKind};
pub use schema::{Checklist, Choice, DetailIf, Fact, FollowUp, Link, Source, SourceEntry, Stage};

/// Checklist files larger than this are refused before parsing, so hostile input stays bounded.
pub(crate) const MAX_CHECKLIST_BYTES: usize = 32 * 1024 * 1024;

/// Checklist files larger than this are refused before they are read.
pub(crate) const MAX_CHECKLIST_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// The checklists compiled into the binary: (id, file name, TOML text).
pub const BUILTIN: &[(&str, &str, &str)] = &[
    ("aws", "checklists/aws.toml", include_str!("../../checklists/aws.toml")),
    ("centurylink", "checklists/centurylink.toml", include_str!("../../checklists/centurylink.toml")),
    ("aws-root", "checklists/aws-root.toml", include_str!("../../checklists/aws-root.toml")),
    ("aws-org-member", "checklists/aws-org-member.toml", include_str!("../../checklists/aws-org-member.toml")),
    ("gcp-project", "checklists/gcp-project.toml", include_str!("../../checklists/gcp-project.toml")),
    ("gcp-billing", "checklists/gcp-billing.toml", include_str!("../../checklists/gcp-billing.toml")),
    (
        "azure-subscription",
        "checklists/azure-subscription.toml",
        include_str!("../../checklists/azure-subscription.toml"),
    ),
];

#[cfg(test)]
mod testing {
    use std::collections::BTreeMap;

    /// A checklist with two `[[sources]]`, a fact and one step citing a source; `{step}` is
    /// replaced by extra lines of the step.
    const CITED: &str = r#"id = "t"
name = "T"
version = 1

[[sources]]
id = "a1"
title = "First"
publisher = "P"
url = "https://example.com/a1"

[[sources]]
id = "a2"
title = "Second"
publisher = "P"

[[facts]]
id = "org"
question = "Org?"

[[stages]]
id = "s"
title = "S"

[[stages.steps]]
id = "one"
title = "One"
detail = "Always."
actor = "customer"
kind = "confirm"
sources = ["a1"]
{step}
"#;

    pub(super) fn cited(step: &str) -> String {
        CITED.replace("{step}", step)
    }

    pub(super) fn facts(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }
}
