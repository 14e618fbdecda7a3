//! Untrusted text shown as what it is: a note, a checklist written by someone else, a file in
//! the state directory or a command's output can hold escape sequences (clear the screen, move
//! the cursor, colour, OSC 8 links), carriage returns and bidirectional overrides that make a
//! terminal or a rendered report show something other than what was recorded. Everything shown
//! on a terminal or written as text or markdown goes through here; such characters come out as
//! `\u{1b}`-style escapes, visible and inert. JSON keeps the exact text (its own escaping is
//! exact).

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};

/// Whether `c` must not reach a screen as it is: control characters (C0 but newline and tab,
/// DEL, C1), bidirectional embeddings, overrides, isolates and marks, and the invisible format
/// characters that can hide or reorder text (zero-width spaces and joiners, the byte-order
/// mark, line and paragraph separators).
pub(crate) fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}'
        | '\u{fff9}'..='\u{fffb}')
}

/// The first character of `text` that [`is_unsafe`] (or, unless `multiline`, a newline or tab).
pub(crate) fn first_unsafe(text: &str, multiline: bool) -> Option<char> {
    text.chars().find(|&c| is_unsafe(c) || (!multiline && matches!(c, '\n' | '\t')))
}

/// `text` with every unsafe character written as `\u{…}`; newlines and tabs kept.
pub(crate) fn visible(text: &str) -> Cow<'_, str> {
    escape(text, false)
}

/// Like [`visible`], for one line: newlines and tabs are escaped too.
pub(crate) fn visible_line(text: &str) -> Cow<'_, str> {
    escape(text, true)
}

fn escape(text: &str, one_line: bool) -> Cow<'_, str> {
    let must = |c: char| is_unsafe(c) || (one_line && matches!(c, '\n' | '\t'));
    if !text.chars().any(must) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if must(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A writer that passes text on with [`visible`] applied, for renderers that stream: a UTF-8
/// character split across writes is held until its end arrives, and bytes that are not UTF-8
/// come out as `\x..` escapes.
pub(crate) struct VisibleWriter<W: Write> {
    inner: W,
    carry: Vec<u8>,
}

impl<W: Write> VisibleWriter<W> {
    pub(crate) fn new(inner: W) -> Self {
        VisibleWriter { inner, carry: Vec::new() }
    }

    fn pass(&mut self, final_write: bool) -> io::Result<()> {
        loop {
            match std::str::from_utf8(&self.carry) {
                Ok(text) => {
                    self.inner.write_all(visible(text).as_bytes())?;
                    self.carry.clear();
                    return Ok(());
                }
                Err(e) => {
                    let valid = e.valid_up_to();
                    let text = std::str::from_utf8(&self.carry[..valid]).expect("valid up to here");
                    self.inner.write_all(visible(text).as_bytes())?;
                    match e.error_len() {
                        // An incomplete character at the end: wait for the rest of it.
                        None if !final_write => {
                            self.carry.drain(..valid);
                            return Ok(());
                        }
                        len => {
                            let bad = valid + len.unwrap_or(self.carry.len() - valid);
                            for byte in &self.carry[valid..bad] {
                                write!(self.inner, "\\x{byte:02x}")?;
                            }
                            self.carry.drain(..bad);
                        }
                    }
                }
            }
        }
    }
}

impl<W: Write> Write for VisibleWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.carry.extend_from_slice(buf);
        self.pass(false)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.pass(true)?;
        self.inner.flush()
    }
}

impl<W: Write> Drop for VisibleWriter<W> {
    fn drop(&mut self) {
        let _ = self.pass(true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_controls_and_bidi_and_keeps_ordinary_text() {
        assert_eq!(
            visible("plain text, é, 한국어, emoji 😀\nnext line\ttab"),
            "plain text, é, 한국어, emoji 😀\nnext line\ttab"
        );
        assert_eq!(visible("\u{1b}[2Jcleared"), "\\u{1b}[2Jcleared");
        assert_eq!(visible("ok\rfake"), "ok\\u{d}fake");
        assert_eq!(visible("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(visible("\u{2066}x\u{2069}"), "\\u{2066}x\\u{2069}");
        assert_eq!(
            visible("\u{1b}]8;;https://evil.example\u{7}link\u{1b}]8;;\u{7}"),
            "\\u{1b}]8;;https://evil.example\\u{7}link\\u{1b}]8;;\\u{7}"
        );
        assert_eq!(visible_line("two\nlines"), "two\\u{a}lines");
        assert_eq!(first_unsafe("fine\nline", true), None);
        assert_eq!(first_unsafe("fine\nline", false), Some('\n'));
        assert_eq!(first_unsafe("a\u{200b}b", true), Some('\u{200b}'));
    }

    #[test]
    fn the_writer_holds_split_characters_and_escapes_bytes_that_are_not_utf8() {
        let mut out = Vec::new();
        {
            let mut w = VisibleWriter::new(&mut out);
            let text = "é\u{202e}x".as_bytes();
            for byte in text {
                w.write_all(&[*byte]).unwrap();
            }
            w.write_all(b"\xff!").unwrap();
            w.flush().unwrap();
        }
        assert_eq!(String::from_utf8(out).unwrap(), "é\\u{202e}x\\xff!");
    }

    #[test]
    fn the_worlds_text_is_shown_with_its_controls_escaped() {
        assert!(matches!(visible("i-0abc\ti-0def\nvol-1"), Cow::Borrowed(_)));
        assert_eq!(visible("ok\u{1b}[31mred\r\n"), "ok\\u{1b}[31mred\\u{d}\n");
        assert_eq!(visible_line("a\nb\tc"), "a\\u{a}b\\u{9}c");
        assert_eq!(visible("x\u{202e}gnp.exe\u{2066}"), "x\\u{202e}gnp.exe\\u{2066}");
        assert_eq!(visible_line("héllo ✔"), "héllo ✔");
    }
}
