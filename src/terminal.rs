//! The terminal side of the wizard: dialoguer prompts and an indicatif progress line, all on
//! stderr so stdout stays free for data; the bar a running check shows; and Ctrl-C, which also
//! stops a check's commands.

use std::io::{self, IsTerminal};
use std::sync::Once;

use console::Term;
use dialoguer::theme::{ColorfulTheme, SimpleTheme, Theme};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::checks::{self, Progress as CheckProgress};
use crate::error::{Error, Result};
use crate::prompter::Prompter;
use crate::visible::{visible, visible_line};

/// The interruption is reported once. Ctrl-C reaches both the signal handler's thread and the
/// prompt on the main thread, and either may exit the process: whichever comes second waits here
/// until the first has finished writing, so the message and the cursor are never cut off.
static INTERRUPT_REPORTED: Once = Once::new();

/// Whether the wizard can prompt: stdin and stderr must both be terminals.
pub(crate) fn can_prompt() -> bool {
    io::stdin().is_terminal() && io::stderr().is_terminal()
}

/// Makes Ctrl-C restore the cursor and exit 4 wherever it lands, prompt or not. Everything
/// recorded before it is already on disk, so exiting at once loses nothing confirmed. A check's
/// commands run in process groups of their own, which the terminal's Ctrl-C does not reach:
/// they are killed first, and a check cut short is never recorded.
pub(crate) fn install_interrupt_handler() {
    // A second install (a second `run` in one process) keeps the first handler, which is the same.
    let _ = ctrlc::set_handler(|| {
        checks::kill_running();
        report_interrupt();
        std::process::exit(4);
    });
}

/// A check's progress on stderr, `eu-west-1 · 7/17` beside a bar over its items; shown only when
/// stderr is a terminal, and taken off the screen when the check ends.
pub(crate) struct CheckBar {
    bar: Option<ProgressBar>,
}

impl CheckBar {
    /// A bar headed by `label` (the check's summary, cut to fit).
    pub(crate) fn new(label: &str) -> CheckBar {
        if !io::stderr().is_terminal() {
            return CheckBar { bar: None };
        }
        let width = columns();
        let room = width.saturating_sub(40).max(10);
        let mut label: String = label.chars().take(room).collect();
        if label.chars().count() == room {
            label.pop();
            label.push('…');
        }
        let style = ProgressStyle::with_template("{prefix}  [{bar:20}] {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("#>-");
        let bar = ProgressBar::with_draw_target(Some(1), ProgressDrawTarget::stderr()).with_style(style);
        bar.set_prefix(label);
        CheckBar { bar: Some(bar) }
    }

    /// Shows how far the check is; callable from the threads that run its commands.
    pub(crate) fn show(&self, progress: &CheckProgress<'_>) {
        self.set(&progress.to_string(), progress.done, progress.total);
    }

    /// Shows `label` (`eu-west-1 · 7/17`) and the bar at `done` of `total`.
    pub(crate) fn set(&self, label: &str, done: usize, total: usize) {
        if let Some(bar) = &self.bar {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
            bar.set_message(label.to_owned());
        }
    }

    /// Takes the bar off the screen.
    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Shows the cursor again and says what was kept; only the first call prints, and every call
/// returns only once it has been printed.
pub(crate) fn report_interrupt() {
    INTERRUPT_REPORTED.call_once(|| {
        let term = Term::stderr();
        let _ = term.show_cursor();
        let _ = term.write_line("");
        eprintln!("closeacct: {}", Error::Interrupted);
    });
}

/// Prompts on the terminal with dialoguer.
pub(crate) struct TerminalPrompter {
    term: Term,
    theme: Box<dyn Theme>,
    /// The progress of a check while it runs.
    check_bar: Option<CheckBar>,
    /// The progress line drawn last, so an unchanged one is not drawn again.
    last_progress: Option<(String, u64, u64)>,
}

impl Default for TerminalPrompter {
    fn default() -> Self {
        // An answer is echoed with a neutral mark: a green ✔ means only "recorded", and is
        // printed by the wizard once the event is on disk (an answer may still be refused).
        let theme: Box<dyn Theme> = if console::colors_enabled_stderr() {
            Box::new(ColorfulTheme {
                success_prefix: console::style("›".to_owned()).for_stderr().dim(),
                ..ColorfulTheme::default()
            })
        } else {
            Box::new(SimpleTheme)
        };
        TerminalPrompter { term: Term::stderr(), theme, check_bar: None, last_progress: None }
    }
}

/// dialoguer's errors: Ctrl-C becomes an interruption, anything else an I/O error on the terminal.
fn prompt_error(error: dialoguer::Error) -> Error {
    let dialoguer::Error::IO(source) = error;
    match source.kind() {
        io::ErrorKind::Interrupted | io::ErrorKind::UnexpectedEof => Error::Interrupted,
        _ => Error::io("prompt on", "the terminal", source),
    }
}

/// The width of the terminal the wizard writes to (stderr); 80 when it has none.
pub(crate) fn columns() -> usize {
    Term::stderr().size_checked().map_or(80, |(_, cols)| usize::from(cols))
}

impl TerminalPrompter {
    /// dialoguer redraws a prompt by clearing the terminal row it ends on, so a prompt wider than
    /// the terminal leaves its first rows behind and shows up twice. A long prompt is wrapped
    /// here instead: all but its last row are printed as they are, and the last row, with
    /// `reserve` columns to spare for the answer, is what dialoguer asks with.
    fn fit(&self, prompt: &str, reserve: usize) -> String {
        let room = columns().saturating_sub(reserve).max(20);
        if prompt.chars().count() <= room {
            return prompt.to_owned();
        }
        let filled = crate::layout::fill(prompt, room, "", "");
        let (rows, last) = filled.rsplit_once('\n').unwrap_or(("", &filled));
        for row in rows.lines() {
            let _ = self.term.write_line(row);
        }
        last.to_owned()
    }
}

impl Prompter for TerminalPrompter {
    fn confirm(&mut self, prompt: &str) -> Result<bool> {
        // Room for " [y/n] yes" and the colourful theme's marks.
        let prompt = self.fit(&visible_line(prompt), 16);
        dialoguer::Confirm::with_theme(self.theme.as_ref())
            .with_prompt(prompt)
            .wait_for_newline(false)
            .interact_on(&self.term)
            .map_err(prompt_error)
    }

    fn select(&mut self, prompt: &str, items: &[&str]) -> Result<usize> {
        let items: Vec<String> = items.iter().map(|item| visible_line(item).into_owned()).collect();
        // The choice is reported on the prompt's row: "prompt: item".
        let longest = items.iter().map(|item| item.chars().count()).max().unwrap_or(0);
        let prompt = self.fit(&visible_line(prompt), longest + 6);
        dialoguer::Select::with_theme(self.theme.as_ref())
            .with_prompt(prompt)
            .items(items)
            .default(0)
            .interact_on(&self.term)
            .map_err(prompt_error)
    }

    fn input(&mut self, prompt: &str) -> Result<String> {
        // Leaves room to type an account ID or a ticket number on the prompt's row.
        let prompt = self.fit(&visible_line(prompt), 16);
        let value = dialoguer::Input::<String>::with_theme(self.theme.as_ref())
            .with_prompt(&prompt)
            .allow_empty(true)
            .report(false)
            .interact_text_on(&self.term)
            .map_err(prompt_error)?;
        // dialoguer clears only the row the cursor ends on, so the rows a long answer wrapped
        // onto above it would stay on screen next to its report: clear them, then report once.
        let mut typed = String::new();
        let _ = self.theme.format_input_prompt(&mut typed, &prompt, None);
        typed.push_str(&value);
        let rows = console::measure_text_width(&typed).div_ceil(columns().max(1)).max(1);
        let _ = self.term.clear_last_lines(rows - 1);
        let mut report = String::new();
        let _ = self.theme.format_input_prompt_selection(&mut report, &prompt, &value);
        let _ = self.term.write_line(&report);
        Ok(value)
    }

    fn say(&mut self, text: &str) {
        let _ = self.term.write_line(&visible(text));
    }

    fn progress(&mut self, label: &str, pos: u64, len: u64) {
        let drawn = Some((label.to_owned(), pos, len));
        if self.last_progress == drawn {
            return;
        }
        self.last_progress = drawn;
        let bar_width = columns().saturating_sub(label.chars().count() + 14).clamp(10, 30);
        let template = format!("{{msg}}  [{{bar:{bar_width}}}] {{pos}}/{{len}}");
        let style = ProgressStyle::with_template(&template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("#>-");
        // Set up out of sight, then drawn once: each setter would otherwise redraw the line.
        let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::hidden())
            .with_style(style)
            .with_message(visible_line(label).into_owned())
            .with_position(pos);
        bar.set_draw_target(ProgressDrawTarget::term(self.term.clone(), 20));
        // Leaves the line drawn as it is, so the step text follows it.
        bar.abandon();
    }

    fn width(&self) -> usize {
        columns()
    }

    fn check_progress(&mut self, label: &str, done: usize, total: usize) {
        self.check_bar.get_or_insert_with(|| CheckBar::new("  running the check")).set(label, done, total);
    }

    fn check_progress_end(&mut self) {
        if let Some(bar) = self.check_bar.take() {
            bar.finish();
        }
    }
}
