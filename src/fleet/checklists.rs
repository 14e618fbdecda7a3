//! The checklists of many runs, each parsed once: keyed by the sha256 a run's log records, so a
//! thousand runs of one checklist cost one parse, and the differences between a pinned copy and
//! the current checklist are worked out once per pair.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use crate::checklist::{BUILTIN, Catalog, Loaded};
use crate::digest::sha256_hex;
use crate::error::{Error, Result};
use crate::progress::diff_checklists;
use crate::session::load_pinned;
use crate::state;

/// Checklists read so far.
pub(crate) struct Checklists {
    /// A `--checklist` file: the current checklist of its provider.
    given: Option<Arc<Loaded>>,
    /// The sha256 of each built-in checklist's text, by provider id, worked out when first needed.
    builtin_sha: HashMap<String, Option<String>>,
    /// The user's checklist of each provider id that is not built in, when first needed.
    user: HashMap<String, Option<Arc<Loaded>>>,
    /// Every checklist parsed so far, by sha256.
    by_sha: HashMap<String, Arc<Loaded>>,
    /// What changed between a pinned checklist and the current one, by (pinned, current) sha256.
    diffs: HashMap<(String, String), Vec<String>>,
}

impl Checklists {
    pub(crate) fn new(given: Option<Loaded>) -> Checklists {
        let mut checklists = Checklists {
            given: None,
            builtin_sha: HashMap::new(),
            user: HashMap::new(),
            by_sha: HashMap::new(),
            diffs: HashMap::new(),
        };
        if let Some(given) = given {
            let given = Arc::new(given);
            checklists.by_sha.insert(given.sha256.clone(), Arc::clone(&given));
            checklists.given = Some(given);
        }
        checklists
    }

    /// The current checklist of a provider: the `--checklist` file if it has that id, else the
    /// built-in one, else the user's; `None` when there is none.
    pub(crate) fn current(&mut self, provider: &str) -> Result<Option<Arc<Loaded>>> {
        if let Some(given) = self.given.as_ref().filter(|g| g.id() == provider) {
            return Ok(Some(Arc::clone(given)));
        }
        let sha = self
            .builtin_sha
            .entry(provider.to_owned())
            .or_insert_with(|| {
                BUILTIN.iter().find(|(id, _, _)| *id == provider).map(|(_, _, text)| sha256_hex(text.as_bytes()))
            })
            .clone();
        let Some(sha) = sha else {
            // The user's checklist of that id, if there is exactly one that loads.
            let user = self
                .user
                .entry(provider.to_owned())
                .or_insert_with(|| Catalog::get().resolve(provider).ok().map(Arc::new))
                .clone();
            return Ok(user);
        };
        if let Some(loaded) = self.by_sha.get(&sha) {
            return Ok(Some(Arc::clone(loaded)));
        }
        let loaded = Arc::new(Loaded::builtin(provider)?);
        self.by_sha.insert(sha, Arc::clone(&loaded));
        Ok(Some(loaded))
    }

    /// The checklist a run in `dir` is pinned to (`sha256`, as its log records it) and how the
    /// current checklist differs from it, as `Session::read` works them out for one run: the
    /// current checklist when it is the same, else the copy pinned in the run's directory. A copy
    /// whose content does not hash to the recorded sha256 is refused.
    pub(crate) fn for_run(&mut self, dir: &Path, provider: &str, sha256: &str) -> Result<(Arc<Loaded>, Vec<String>)> {
        let current = self.current(provider)?;
        if let Some(current) = current.as_ref().filter(|c| c.sha256 == sha256) {
            return Ok((Arc::clone(current), Vec::new()));
        }
        let pinned = self.pinned(dir, sha256)?;
        match (pinned, current) {
            (Some(pinned), Some(current)) => {
                let key = (pinned.sha256.clone(), current.sha256.clone());
                let changes = self.diffs.entry(key).or_insert_with(|| diff_checklists(&pinned, &current)).clone();
                Ok((pinned, changes))
            }
            (Some(pinned), None) => Ok((pinned, Vec::new())),
            (None, Some(current)) => {
                let change = format!(
                    "checklist sha256 {} → {} (the earlier copy is missing, so the steps cannot be compared)",
                    short(sha256),
                    short(&current.sha256)
                );
                Ok((current, vec![change]))
            }
            (None, None) => Err(Error::UnknownChecklist {
                dir: dir.to_owned(),
                file: state::pinned_checklist_path(dir, sha256),
                sha256: short(sha256).to_owned(),
            }),
        }
    }

    /// The checklist with this sha256: parsed already, or read from the copy pinned in `dir`
    /// (`None` when there is none).
    fn pinned(&mut self, dir: &Path, sha256: &str) -> Result<Option<Arc<Loaded>>> {
        if let Some(loaded) = self.by_sha.get(sha256) {
            return Ok(Some(Arc::clone(loaded)));
        }
        let Some(loaded) = load_pinned(dir, sha256)? else { return Ok(None) };
        let loaded = Arc::new(loaded);
        self.by_sha.insert(sha256.to_owned(), Arc::clone(&loaded));
        Ok(Some(loaded))
    }
}

fn short(hash: &str) -> &str {
    &hash[..hash.len().min(12)]
}
