//! Choosing the run: a picker of the provider's runs when no account is given, and a "did you
//! mean" when a typed account is close to a run's but matches none. Nothing is started without
//! the operator's say.

use super::say_wrapped;
use crate::clock;
use crate::error::{Error, Result};
use crate::progress::Progress;
use crate::prompter::Prompter;
use crate::session::{ReadRun, Session, validate_account};
use crate::state::Detail;

/// The account to walk: the one given, or one picked from the provider's runs, or a new one
/// typed. A typed account that is close to a run's asks first.
pub(super) fn choose_account(session: &Session, given: Option<&str>, p: &mut dyn Prompter) -> Result<String> {
    let runs: Vec<String> =
        session.state.runs(Some(session.provider()))?.into_iter().map(|(_, account)| account).collect();
    let typed = match given {
        Some(account) => {
            validate_account(account)?;
            account.to_owned()
        }
        None if runs.is_empty() => ask_account(p)?,
        None => match pick_run(session, &runs, p)? {
            Some(account) => return Ok(account),
            None => ask_account(p)?,
        },
    };
    if runs.contains(&typed) {
        return Ok(typed);
    }
    match similar(&typed, &runs) {
        None => Ok(typed),
        Some(close) => {
            if p.confirm(&format!("There is no run for {typed}. Did you mean {close}?"))? {
                return Ok(close.to_owned());
            }
            if p.confirm(&format!("Start a new run for {typed}?"))? {
                return Ok(typed);
            }
            p.say("Nothing started.");
            Err(Error::Incomplete)
        }
    }
}

/// A menu of the provider's runs, with their progress and last activity, then "start a new run";
/// `None` for a new run.
fn pick_run(session: &Session, runs: &[String], p: &mut dyn Prompter) -> Result<Option<String>> {
    let mut labels = Vec::with_capacity(runs.len() + 1);
    for account in runs {
        labels.push(run_label(session, account));
    }
    labels.push("Start a new run (another account)".to_owned());
    let items: Vec<&str> = labels.iter().map(String::as_str).collect();
    let question = format!("Which {} run?", session.provider());
    let index = p.select(&question, &items)?;
    Ok(runs.get(index).cloned())
}

/// `111122223333 · 5 of 40 steps resolved · last activity 2026-11-24 14:02`; a run that cannot be
/// read says so (choosing it shows why).
fn run_label(session: &Session, account: &str) -> String {
    match ReadRun::with_pinned_checklist(&session.state, session.provider(), account, Detail::Summary) {
        Ok(run) => {
            let progress = Progress::new(&run.checklist, &run.replay);
            let counts = progress.counts();
            let zone = clock::run_zone(run.replay.zone.as_deref());
            let state = if progress.is_complete() {
                "complete".to_owned()
            } else {
                format!("{} of {} steps resolved", counts.resolved_applicable(), counts.applicable)
            };
            let last = run.replay.last_at.map(|at| format!(" · last activity {}", clock::minutes_in(at, &zone)));
            format!("{account} · {state}{}", last.unwrap_or_default())
        }
        Err(_) => format!("{account} · cannot be read (choose it to see why)"),
    }
}

fn ask_account(p: &mut dyn Prompter) -> Result<String> {
    loop {
        let account = p.input("Account ID or alias to close")?;
        match validate_account(account.trim()) {
            Ok(()) => return Ok(account.trim().to_owned()),
            Err(e) => say_wrapped(p, &format!("✘ {e}")),
        }
    }
}

/// The run's account a typed one was most likely meant to be: the same letters and digits once
/// separators are ignored (`1111-2222-3333` for `111122223333`), or at most two edits away.
fn similar<'r>(typed: &str, runs: &'r [String]) -> Option<&'r str> {
    let bare = |account: &str| -> String {
        account.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
    };
    let typed_bare = bare(typed);
    let mut close: Vec<(usize, &str)> = runs
        .iter()
        .filter_map(|run| {
            if bare(run) == typed_bare {
                return Some((0, run.as_str()));
            }
            let distance = strsim::osa_distance(typed, run);
            (distance <= 2).then_some((distance, run.as_str()))
        })
        .collect();
    close.sort_unstable();
    close.first().map(|(_, run)| *run)
}

#[cfg(test)]
mod tests {
    use super::similar;

    #[test]
    fn a_typed_account_is_matched_to_a_close_run() {
        let runs = vec!["1111-2222-3333".to_owned(), "acme-prod".to_owned(), "444455556666".to_owned()];
        assert_eq!(similar("111122223333", &runs), Some("1111-2222-3333"));
        assert_eq!(similar("1111.2222.3333", &runs), Some("1111-2222-3333"));
        assert_eq!(similar("acme-prd", &runs), Some("acme-prod"));
        assert_eq!(similar("444455556669", &runs), Some("444455556666"));
        assert_eq!(similar("444455557777", &runs), None, "three edits away");
        assert_eq!(similar("acme-staging", &runs), None);
    }
}
