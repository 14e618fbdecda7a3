//! What `providers` shows of a built-in checklist (id, name, version, stages, steps, the sources'
//! titles), read off its text line by line instead of parsing and validating it whole: seven
//! checklists parsed at every start made `providers` cost several times a bare process. The
//! built-in texts are fixed at build time, and a test checks that the outline of each agrees with
//! its full parse; any line the reader does not expect gives `None`, and the caller parses.

/// The columns of `providers` for one checklist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Outline {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) version: u32,
    pub(crate) stages: usize,
    pub(crate) steps: usize,
    /// The `[source]`'s title, or every `[[sources]]` title joined by `; `, as
    /// `Checklist::source_summary` gives it.
    pub(crate) source: String,
}

/// The outline of a checklist's text, or `None` for anything but the plain layout of the
/// built-in checklists (the caller then parses the checklist).
pub(crate) fn outline(text: &str) -> Option<Outline> {
    let (mut id, mut name, mut version) = (None, None, None);
    let (mut stages, mut steps) = (0, 0);
    let mut source: Option<String> = None;
    let mut titles: Vec<String> = Vec::new();
    let mut table = String::new();
    // The closing delimiter of a multi-line string being skipped.
    let mut inside: Option<&str> = None;
    for line in text.lines() {
        if let Some(delimiter) = inside {
            if line.contains(delimiter) {
                inside = None;
            }
            continue;
        }
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(header) = line.strip_prefix("[[") {
            header.split("]]").next()?.trim().clone_into(&mut table);
            match table.as_str() {
                "stages" => stages += 1,
                "stages.steps" => steps += 1,
                "sources" => titles.push(String::new()),
                _ => {}
            }
            continue;
        }
        if let Some(header) = line.strip_prefix('[') {
            header.split(']').next()?.trim().clone_into(&mut table);
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            // The rest of a multi-line array.
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        for delimiter in ["\"\"\"", "'''"] {
            if let Some(rest) = value.strip_prefix(delimiter)
                && !rest.contains(delimiter)
            {
                inside = Some(delimiter);
            }
        }
        match (table.as_str(), key) {
            ("", "id") => id = Some(string(value)?),
            ("", "name") => name = Some(string(value)?),
            ("", "version") => version = Some(value.split(['#', ' ']).next()?.parse().ok()?),
            ("source", "title") => source = Some(string(value)?),
            ("sources", "title") => *titles.last_mut()? = string(value)?,
            _ => {}
        }
    }
    let source = source.unwrap_or_else(|| titles.join("; "));
    Some(Outline { id: id?, name: name?, version: version?, stages, steps, source })
}

/// A one-line TOML string (`"…"` with escapes, or `'…'`), followed by nothing but a comment.
fn string(value: &str) -> Option<String> {
    if let Some(literal) = value.strip_prefix('\'') {
        let (text, rest) = literal.split_once('\'')?;
        return rest_is_comment(rest).then(|| text.to_owned());
    }
    let mut chars = value.strip_prefix('"')?.chars();
    let mut text = String::new();
    loop {
        match chars.next()? {
            '"' => return rest_is_comment(chars.as_str()).then_some(text),
            '\\' => text.push(match chars.next()? {
                '"' => '"',
                '\\' => '\\',
                'n' => '\n',
                't' => '\t',
                'u' => {
                    let hex: String = chars.by_ref().take(4).collect();
                    char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?
                }
                _ => return None,
            }),
            c => text.push(c),
        }
    }
}

fn rest_is_comment(rest: &str) -> bool {
    let rest = rest.trim();
    rest.is_empty() || rest.starts_with('#')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checklist::{BUILTIN, Loaded};

    #[test]
    fn the_outline_of_every_builtin_checklist_agrees_with_its_full_parse() {
        for (id, _, text) in BUILTIN {
            let loaded = Loaded::builtin(id).unwrap();
            let expected = Outline {
                id: loaded.id().to_owned(),
                name: loaded.checklist.name.clone(),
                version: loaded.checklist.version,
                stages: loaded.checklist.stages.len(),
                steps: loaded.step_count(),
                source: loaded.checklist.source_summary().title.clone(),
            };
            assert_eq!(outline(text), Some(expected), "{id}");
        }
    }

    #[test]
    fn anything_unexpected_is_left_to_the_parser() {
        assert_eq!(outline("name = \"x\"\nversion = 1\n"), None, "no id");
        assert_eq!(outline("id = \"x\"\nname = \"\"\"\nmulti\"\"\"\nversion = 1\n"), None);
        assert_eq!(outline("id = \"x\"\nname = \"a\\qb\"\nversion = 1\n"), None, "an unknown escape");
    }
}
