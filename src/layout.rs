//! Text layout shared by the wizard, `status` and the text report.
//!
//! Everything closeacct wraps is wrapped at spaces only: ids (`request-to-close`), dates and
//! paths keep their hyphens and slashes, and a word too long for a line (a URL, a hash) stays
//! whole, because an operator copies them.

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_spaces_only() {
        let text = "see step request-to-close at https://control.ctl.io/organization/account now";
        assert_eq!(
            fill(text, 20, "  ", "    "),
            "  see step\n    request-to-close\n    at\n    https://control.ctl.io/organization/account\n    now"
        );
    }
}
