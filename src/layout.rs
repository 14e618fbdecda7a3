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
    if let Some(filled) = fill_plain(text, width, initial, subsequent) {
        return filled;
    }
    let options = textwrap::Options::new(width)
        .initial_indent(initial)
        .subsequent_indent(subsequent)
        .word_splitter(textwrap::WordSplitter::NoHyphenation)
        .break_words(false);
    textwrap::fill(text, &options)
}

/// [`fill`] for plain ASCII text (words separated by single spaces, nothing else to measure),
/// as textwrap fills it, without measuring every character's display width: a report of a long
/// run fills a line for every note. `None` for any other text, which textwrap fills.
fn fill_plain(text: &str, width: usize, initial: &str, subsequent: &str) -> Option<String> {
    let plain = |s: &str| s.bytes().all(|b| b.is_ascii_graphic() || b == b' ');
    if text.is_empty()
        || text.starts_with(' ')
        || text.ends_with(' ')
        || text.contains("  ")
        || !plain(text)
        || !plain(initial)
        || !plain(subsequent)
    {
        return None;
    }
    let mut out = String::with_capacity(initial.len() + text.len() + 16);
    out.push_str(initial);
    let mut line = initial.len();
    let mut first = true;
    for word in text.split(' ') {
        if !first && line + 1 + word.len() > width {
            out.push('\n');
            out.push_str(subsequent);
            line = subsequent.len();
            first = true;
        }
        if !first {
            out.push(' ');
            line += 1;
        }
        out.push_str(word);
        line += word.len();
        first = false;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain path fills exactly as textwrap does, over many texts, widths and indents.
    #[test]
    fn plain_text_is_filled_as_textwrap_fills_it() {
        let words = [
            "a",
            "to",
            "the",
            "closure",
            "request-to-close",
            "https://control.ctl.io/organization/account",
            "CS-2026-11-0042",
            "(2026-11-24",
            "13:40",
            "UTC",
            "by",
            "ana)",
        ];
        let mut seed = 7u64;
        let mut next = |n: usize| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            usize::try_from(seed >> 33).unwrap() % n
        };
        for _ in 0..5000 {
            let text: Vec<&str> = (0..=next(20)).map(|_| words[next(words.len())]).collect();
            let text = text.join(" ");
            let (initial, subsequent) = [("", ""), ("  ", "    "), ("        note: ", "              ")][next(3)];
            let width = 10 + next(90);
            let options = textwrap::Options::new(width)
                .initial_indent(initial)
                .subsequent_indent(subsequent)
                .word_splitter(textwrap::WordSplitter::NoHyphenation)
                .break_words(false);
            assert_eq!(
                fill_plain(&text, width, initial, subsequent),
                Some(textwrap::fill(&text, &options)),
                "{text:?} at {width}"
            );
        }
        assert_eq!(fill_plain("two  spaces", 80, "", ""), None);
        assert_eq!(fill_plain("é", 80, "", ""), None);
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
