//! The terminal side of the wizard: dialoguer prompts and an indicatif progress line, all on
//! stderr so stdout stays free for data.

use std::io::{self, IsTerminal};
use std::sync::atomic::{AtomicBool, Ordering};

use console::Term;
use dialoguer::theme::{ColorfulTheme, SimpleTheme, Theme};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::error::{Error, Result};
use crate::wizard::Prompter;

/// Set once the interruption has been reported, so it is reported once.
static INTERRUPT_REPORTED: AtomicBool = AtomicBool::new(false);

/// Whether the wizard can prompt: stdin and stderr must both be terminals.
pub fn can_prompt() -> bool {
    io::stdin().is_terminal() && io::stderr().is_terminal()
}

/// Makes Ctrl-C restore the cursor and exit 4 wherever it lands, prompt or not. Everything
/// recorded before it is already on disk, so exiting at once loses nothing confirmed.
pub fn install_interrupt_handler() {
    // A second install (a second `run` in one process) keeps the first handler, which is the same.
    let _ = ctrlc::set_handler(|| {
        report_interrupt();
        std::process::exit(4);
    });
}

/// Shows the cursor again and says what was kept; only the first call prints.
pub fn report_interrupt() {
    if INTERRUPT_REPORTED.swap(true, Ordering::SeqCst) {
        return;
    }
    let term = Term::stderr();
    let _ = term.show_cursor();
    let _ = term.write_line("");
    eprintln!("closeacct: {}", Error::Interrupted);
}

/// Prompts on the terminal with dialoguer.
pub struct TerminalPrompter {
    term: Term,
    theme: Box<dyn Theme>,
}

impl Default for TerminalPrompter {
    fn default() -> Self {
        let theme: Box<dyn Theme> =
            if console::colors_enabled_stderr() { Box::new(ColorfulTheme::default()) } else { Box::new(SimpleTheme) };
        TerminalPrompter { term: Term::stderr(), theme }
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

impl Prompter for TerminalPrompter {
    fn confirm(&mut self, prompt: &str) -> Result<bool> {
        dialoguer::Confirm::with_theme(self.theme.as_ref())
            .with_prompt(prompt)
            .wait_for_newline(false)
            .interact_on(&self.term)
            .map_err(prompt_error)
    }

    fn select(&mut self, prompt: &str, items: &[&str]) -> Result<usize> {
        dialoguer::Select::with_theme(self.theme.as_ref())
            .with_prompt(prompt)
            .items(items)
            .default(0)
            .interact_on(&self.term)
            .map_err(prompt_error)
    }

    fn input(&mut self, prompt: &str) -> Result<String> {
        dialoguer::Input::<String>::with_theme(self.theme.as_ref())
            .with_prompt(prompt)
            .allow_empty(true)
            .interact_text_on(&self.term)
            .map_err(prompt_error)
    }

    fn say(&mut self, text: &str) {
        let _ = self.term.write_line(text);
    }

    fn progress(&mut self, label: &str, pos: u64, len: u64) {
        let width = self.term.size_checked().map_or(80, |(_, cols)| usize::from(cols));
        let bar_width = width.saturating_sub(label.chars().count() + 14).clamp(10, 30);
        let template = format!("{{msg}}  [{{bar:{bar_width}}}] {{pos}}/{{len}}");
        let style = ProgressStyle::with_template(&template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("#>-");
        let bar =
            ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::term(self.term.clone(), 20)).with_style(style);
        bar.set_message(label.to_owned());
        bar.set_position(pos);
        // Leaves the line drawn as it is, so the step text follows it.
        bar.abandon();
    }
}
