//! A word of a command line, with its `{name}` placeholders found.

use std::fmt;

/// A word of a command line with its `{name}` placeholders found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Part {
    Text(String),
    Var(String),
}

impl Template {
    /// Finds the placeholders in a word: `{` and `}` around 1-64 letters, digits, `_` or `-`.
    /// Any other brace is text, so a `JMESPath` `{id: InstanceId}` stays as it is.
    pub(crate) fn parse(word: &str) -> Template {
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut rest = word;
        while let Some(open) = rest.find('{') {
            let after = &rest[open + 1..];
            let name_len = after.find(|c: char| !is_name_char(c)).unwrap_or(after.len());
            if (1..=64).contains(&name_len) && after[name_len..].starts_with('}') {
                text.push_str(&rest[..open]);
                if !text.is_empty() {
                    parts.push(Part::Text(std::mem::take(&mut text)));
                }
                parts.push(Part::Var(after[..name_len].to_owned()));
                rest = &after[name_len + 1..];
            } else {
                text.push_str(&rest[..=open]);
                rest = after;
            }
        }
        text.push_str(rest);
        if !text.is_empty() || parts.is_empty() {
            parts.push(Part::Text(text));
        }
        Template { parts }
    }

    /// The names of its placeholders, in order.
    pub(crate) fn placeholders(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Var(name) => Some(name.as_str()),
            Part::Text(_) => None,
        })
    }

    /// The word without placeholders, if it has none.
    pub(crate) fn literal(&self) -> Option<&str> {
        match self.parts.as_slice() {
            [Part::Text(text)] => Some(text),
            _ => None,
        }
    }

    pub(crate) fn parts(&self) -> &[Part] {
        &self.parts
    }

    pub(crate) fn from_parts(parts: Vec<Part>) -> Template {
        Template { parts }
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for part in &self.parts {
            match part {
                Part::Text(text) => f.write_str(text)?,
                Part::Var(name) => write!(f, "{{{name}}}")?,
            }
        }
        Ok(())
    }
}

pub(super) fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_find_placeholders_and_leave_other_braces() {
        let t = Template::parse("arn:aws:{region}:{account}");
        assert_eq!(t.placeholders().collect::<Vec<_>>(), ["region", "account"]);
        assert_eq!(t.to_string(), "arn:aws:{region}:{account}");
        assert_eq!(t.literal(), None);
        for text in ["Reservations[].Instances[].{id: InstanceId}", "{}", "{ a }", "{a", "a}", "{ x}", ""] {
            let t = Template::parse(text);
            assert_eq!(t.literal(), Some(text), "{text}");
        }
        assert_eq!(Template::parse("{{x}}").placeholders().collect::<Vec<_>>(), ["x"]);
        assert_eq!(Template::parse("{x}").parts(), [Part::Var("x".into())]);
    }
}
