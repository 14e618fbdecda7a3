//! Every checklist a provider id can name: the built-in ones and the user's own, from
//! `$XDG_CONFIG_HOME/closeacct/checklists/*.toml` (the platform's config directory).
//!
//! The user's directory is read once per process. A file that does not load is kept as invalid
//! with its error and does not stop the others; an id defined twice (a user file reusing a
//! built-in id, or two user files) cannot be resolved until one of them is renamed.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::BUILTIN;
use super::load::Loaded;
use crate::error::{Error, Result};

/// Where a checklist in the catalog comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Compiled in; the file name under `checklists/`.
    Builtin(&'static str),
    /// A file in the user's checklist directory.
    User(PathBuf),
}

impl Origin {
    /// `built-in`, or the file's path.
    pub(crate) fn describe(&self) -> String {
        match self {
            Origin::Builtin(_) => "built-in".to_owned(),
            Origin::User(path) => path.display().to_string(),
        }
    }

    fn location(&self) -> String {
        match self {
            Origin::Builtin(file) => format!("built-in {file}"),
            Origin::User(path) => path.display().to_string(),
        }
    }
}

/// A file in the user's directory, loaded or not.
#[derive(Debug)]
pub(crate) struct UserChecklist {
    /// The checklist's id; for a file that does not load, its `id` if that much can be read,
    /// else the file's stem.
    pub(crate) id: String,
    pub(crate) path: PathBuf,
    pub(crate) loaded: std::result::Result<Loaded, Invalid>,
}

/// Why a user's checklist file does not load: where (`file:line:col`, or the file) and what.
#[derive(Debug, Clone)]
pub(crate) struct Invalid {
    pub(crate) location: String,
    pub(crate) reason: String,
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.location, self.reason)
    }
}

/// Files in the user's directory beyond this many are not read (and a warning says so).
const MAX_USER_CHECKLISTS: usize = 1000;

/// The built-in checklists and the user's.
#[derive(Debug, Default)]
pub(crate) struct Catalog {
    pub(crate) user: Vec<UserChecklist>,
    /// A problem with the directory itself (unreadable, too many files), to show as a warning.
    pub(crate) dir_problem: Option<String>,
}

/// One row of the catalog: an id with where it comes from, for `providers`.
pub(crate) struct Entry<'c> {
    pub(crate) id: &'c str,
    pub(crate) origin: Origin,
    /// Why the id cannot be used: its file does not load (`file:line:col: reason`), or the id
    /// is defined twice.
    pub(crate) problem: Option<String>,
    /// The loaded user checklist (built-in ones are loaded by the caller, if it needs them).
    pub(crate) user: Option<&'c Loaded>,
    /// A built-in checklist's text.
    pub(crate) builtin_text: Option<&'static str>,
}

impl Catalog {
    /// The catalog of this process: the user's directory is read the first time it is needed.
    pub(crate) fn get() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(|| Catalog::read(user_dir()))
    }

    /// Reads the user's checklists from `dir` (a missing directory is an empty one).
    pub(crate) fn read(dir: Option<PathBuf>) -> Catalog {
        let mut catalog = Catalog::default();
        let Some(dir) = dir else { return catalog };
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return catalog,
            Err(e) => {
                catalog.dir_problem = Some(format!("cannot read {}: {e}", dir.display()));
                return catalog;
            }
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
            .collect();
        paths.sort();
        if paths.len() > MAX_USER_CHECKLISTS {
            catalog.dir_problem = Some(format!(
                "{} holds {} checklist files; only the first {MAX_USER_CHECKLISTS} are read",
                dir.display(),
                paths.len()
            ));
            paths.truncate(MAX_USER_CHECKLISTS);
        }
        catalog.user = paths.into_iter().map(UserChecklist::read).collect();
        catalog
    }

    /// The ids any command accepts, built-in first, without repeats.
    pub(crate) fn ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = BUILTIN.iter().map(|(id, _, _)| (*id).to_owned()).collect();
        for user in &self.user {
            if !ids.contains(&user.id) {
                ids.push(user.id.clone());
            }
        }
        ids
    }

    /// Every place an id is defined: the built-in file, then user files in name order.
    fn definitions(&self, id: &str) -> Vec<Origin> {
        let builtin = BUILTIN.iter().filter(|(builtin, _, _)| *builtin == id).map(|(_, file, _)| Origin::Builtin(file));
        let user = self.user.iter().filter(|user| user.id == id).map(|user| Origin::User(user.path.clone()));
        builtin.chain(user).collect()
    }

    /// Refuses (exit 2, with the nearest ids) an id no checklist has, built in or the user's.
    pub(crate) fn require_known(&self, id: &str) -> Result<()> {
        if self.definitions(id).is_empty() {
            return Err(Error::UnknownProvider { provider: id.to_owned(), available: self.ids() });
        }
        Ok(())
    }

    /// The checklist with this id: exit 2 if none has it, 65 if it is defined twice or its file
    /// does not load.
    pub(crate) fn resolve(&self, id: &str) -> Result<Loaded> {
        match self.definitions(id).as_slice() {
            [] => Err(Error::UnknownProvider { provider: id.to_owned(), available: self.ids() }),
            [Origin::Builtin(_)] => Loaded::builtin(id),
            [Origin::User(path)] => {
                let user = self.user.iter().find(|user| &user.path == path).expect("the definition came from here");
                user.loaded.clone().map_err(|Invalid { location, reason }| Error::InvalidChecklist { location, reason })
            }
            [first, second, ..] => {
                Err(Error::DuplicateChecklist { id: id.to_owned(), first: first.location(), second: second.location() })
            }
        }
    }

    /// Every checklist, built-in first, then the user's in file-name order; an id defined twice
    /// is shown at each place with the error.
    pub(crate) fn entries(&self) -> Vec<Entry<'_>> {
        let duplicate = |id: &str| match self.definitions(id).as_slice() {
            [first, second, ..] => Some(
                Error::DuplicateChecklist { id: id.to_owned(), first: first.location(), second: second.location() }
                    .to_string(),
            ),
            _ => None,
        };
        let builtin = BUILTIN.iter().map(|(id, file, text)| Entry {
            id,
            origin: Origin::Builtin(file),
            problem: duplicate(id),
            user: None,
            builtin_text: Some(text),
        });
        let user = self.user.iter().map(|user| Entry {
            id: &user.id,
            origin: Origin::User(user.path.clone()),
            problem: duplicate(&user.id).or_else(|| user.loaded.as_ref().err().map(ToString::to_string)),
            user: user.loaded.as_ref().ok(),
            builtin_text: None,
        });
        builtin.chain(user).collect()
    }

    /// Whether the checklist is one the catalog resolves by its id alone (built in, or a valid
    /// user file), so suggested commands need no `--checklist`.
    pub(crate) fn names(&self, loaded: &Loaded) -> bool {
        if BUILTIN.iter().any(|(_, file, _)| *file == loaded.origin) {
            return true;
        }
        self.user.iter().any(|user| user.path.display().to_string() == loaded.origin && user.loaded.is_ok())
    }
}

impl UserChecklist {
    fn read(path: PathBuf) -> UserChecklist {
        let loaded = Loaded::from_file(&path);
        let id = match &loaded {
            Ok(loaded) => loaded.id().to_owned(),
            Err(_) => declared_id(&path).unwrap_or_else(|| {
                path.file_stem().map(|stem| stem.to_string_lossy().into_owned()).unwrap_or_default()
            }),
        };
        let loaded = loaded.map_err(|e| match e {
            Error::InvalidChecklist { location, reason } => Invalid { location, reason },
            other => Invalid { location: path.display().to_string(), reason: other.to_string() },
        });
        UserChecklist { id, path, loaded }
    }
}

/// The `id` a checklist file declares, if its TOML parses that far.
fn declared_id(path: &Path) -> Option<String> {
    let bytes = Loaded::read_file(path, true).ok()?;
    let table: toml::Table = std::str::from_utf8(&bytes).ok()?.parse().ok()?;
    table.get("id")?.as_str().map(str::to_owned)
}

/// `closeacct/checklists` under the platform's config directory.
pub(crate) fn user_dir() -> Option<PathBuf> {
    use etcetera::BaseStrategy;
    let strategy = etcetera::choose_base_strategy().ok()?;
    Some(strategy.config_dir().join("closeacct").join("checklists"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINE: &str = "id = \"mine\"\nname = \"Mine\"\nversion = 1\n\n[source]\ntitle = \"Runbook\"\npublisher = \"Us\"\n\n[[stages]]\nid = \"s\"\ntitle = \"S\"\n\n[[stages.steps]]\nid = \"one\"\ntitle = \"One\"\ndetail = \"Do it.\"\nactor = \"customer\"\nkind = \"confirm\"\n";

    fn catalog_of(files: &[(&str, &str)]) -> (tempfile::TempDir, Catalog) {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let catalog = Catalog::read(Some(dir.path().to_owned()));
        (dir, catalog)
    }

    #[test]
    fn a_user_checklist_resolves_by_its_id_beside_the_built_in_ones() {
        let (_dir, catalog) = catalog_of(&[("mine.toml", MINE), ("notes.txt", "not a checklist")]);
        assert_eq!(catalog.resolve("mine").unwrap().id(), "mine");
        assert_eq!(catalog.resolve("aws").unwrap().id(), "aws");
        assert!(catalog.ids().contains(&"mine".to_owned()));
        assert_eq!(catalog.user.len(), 1, "only *.toml files are read");
    }

    #[test]
    fn an_id_defined_twice_names_both_files() {
        let (dir, catalog) = catalog_of(&[("a.toml", MINE), ("b.toml", MINE)]);
        let err = catalog.resolve("mine").unwrap_err();
        assert_eq!(err.exit_code(), 65);
        let message = err.to_string();
        assert!(message.contains(&dir.path().join("a.toml").display().to_string()), "{message}");
        assert!(message.contains(&dir.path().join("b.toml").display().to_string()), "{message}");

        let (_dir, catalog) = catalog_of(&[("aws.toml", &MINE.replace("\"mine\"", "\"aws\""))]);
        let message = catalog.resolve("aws").unwrap_err().to_string();
        assert!(message.contains("built-in checklists/aws.toml"), "{message}");
    }

    #[test]
    fn an_invalid_file_is_kept_with_its_location_and_the_others_still_work() {
        let broken = MINE.replace("kind = \"confirm\"", "kind = \"sometimes\"");
        let (_dir, catalog) = catalog_of(&[("broken.toml", &broken), ("mine.toml", &MINE.replace("mine", "fine"))]);
        assert_eq!(catalog.resolve("fine").unwrap().id(), "fine");
        let err = catalog.resolve("mine").unwrap_err();
        assert_eq!(err.exit_code(), 65);
        assert!(err.to_string().contains("broken.toml:18:8"), "{err}");
    }

    #[test]
    fn a_missing_directory_is_an_empty_one() {
        let catalog = Catalog::read(Some(PathBuf::from("/nonexistent/closeacct/checklists")));
        assert!(catalog.user.is_empty() && catalog.dir_problem.is_none());
    }
}
