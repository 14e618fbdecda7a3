//! Text layout shared by the wizard, `status` and the text report.
//!
//! Everything closeacct wraps is wrapped at spaces only: ids (`request-to-close`), dates and
//! paths keep their hyphens and slashes, and a word too long for a line (a URL, a hash) stays
//! whole, because an operator copies them.
//!
//! Text that is the world's rather than closeacct's (what a check's commands printed) is shown
//! through [`visible`], so it cannot drive the terminal or reorder what a reader sees.

use std::borrow::Cow;
use std::fmt::Write as _;

/// The width `status` and the text report are laid out for.
pub(crate) const REPORT_WIDTH: usize = 80;

/// Fills `text` to `width` columns after `first`, the following lines indented to line up under
/// the text's start.
pub(crate) fn fill_hanging(text: &str, width: usize, first: &str) -> String {
    fill(text, width, first, &" ".repeat(first.chars().count()))
}

/// Fills `text` to `width` columns, `initial` before the first line and `subsequent` before the
/// others.
pub(crate) fn fill(text: &str, width: usize, initial: &str, subsequent: &str) -> String {
    let options = textwrap::Options::new(width)
        .initial_indent(initial)
        .subsequent_indent(subsequent)
        .word_splitter(textwrap::WordSplitter::NoHyphenation)
        .break_words(false);
    textwrap::fill(text, &options)
}

/// Text as the world wrote it (a check's output), safe to show: control characters and the
/// bidirectional controls that reorder text are written as escapes (`\u{1b}`), so an excerpt can
/// neither drive the terminal nor hide or reorder what a reader sees. Newlines (and tabs) stay
/// when `lines` is set.
pub(crate) fn visible(text: &str, lines: bool) -> Cow<'_, str> {
    let hidden = |c: char| {
        (c.is_control() && !(lines && matches!(c, '\n' | '\t')))
            || matches!(c, '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !text.chars().any(hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if hidden(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worlds_text_is_shown_with_its_controls_escaped() {
        assert!(matches!(visible("i-0abc\ti-0def\nvol-1", true), Cow::Borrowed(_)));
        assert_eq!(visible("ok\u{1b}[31mred\r\n", true), "ok\\u{1b}[31mred\\u{d}\n");
        assert_eq!(visible("a\nb\tc", false), "a\\u{a}b\\u{9}c");
        assert_eq!(visible("x\u{202e}gnp.exe\u{2066}", true), "x\\u{202e}gnp.exe\\u{2066}");
        assert_eq!(visible("héllo ✔", false), "héllo ✔");
    }

    #[test]
    fn wraps_at_spaces_only() {
        let text = "see step request-to-close at https://control.ctl.io/organization/account now";
        assert_eq!(
            fill(text, 20, "  ", "    "),
            "  see step\n    request-to-close\n    at\n    https://control.ctl.io/organization/account\n    now"
        );
    }
}
