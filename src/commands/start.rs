//! `closeacct start`: begin a run without prompts.

use std::path::Path;

use serde::Serialize;

use crate::cli::{DataFormat, StartArgs};
use crate::error::{Error, Result};
use crate::fleet::AccountList;
use crate::session::{ActiveRun, Session, validate_account};
use crate::ui::Ui;

/// Starts a run (or says it exists) and records any `--fact` given.
pub(crate) fn cmd_start(ui: &Ui, args: &StartArgs) -> Result<()> {
    let session = Session::from_args(&args.run, Some(&args.operator))?;
    if let Some(list) = &args.accounts_from {
        return start_many(ui, args, &session, list);
    }
    if args.format == DataFormat::Json {
        return Err(Error::usage(
            "--format json lists the accounts of --accounts-from; for one run, `closeacct status --account A --format json`",
        ));
    }
    let Some(account) = args.run.account.as_deref() else {
        return Err(Error::usage("`start` needs --account ACCOUNT"));
    };
    validate_account(account)?;
    // Check every answer before writing anything, so a bad one leaves no half-started run.
    let facts = parse_facts(&session, &args.facts)?;
    let open_existing = || -> Result<ActiveRun> {
        let run = session.open_existing(&args.run, &args.operator)?;
        ui.note_torn(&run);
        ui.status(format_args!(
            "A run for {}/{account} already exists in {}; recording the facts given.",
            session.provider(),
            run.dir.display()
        ));
        Ok(run)
    };
    let mut run = if session.run_exists(account) {
        open_existing()?
    } else {
        match session.create(account) {
            Ok(run) => {
                ui.status(format_args!("Started run {}/{account} in {}", session.provider(), run.dir.display()));
                run
            }
            // Another `start` got there first.
            Err(Error::RunExists { .. }) => open_existing()?,
            Err(e) => return Err(e),
        }
    };
    for (fact, value) in facts {
        let event = session.answer(&mut run, &fact, value.clone(), args.reopen)?;
        ui.status(format_args!("✔ recorded {fact} = {value} (seq {})", event.seq));
    }
    ui.say_next(&session, &run);
    Ok(())
}

/// Parses `KEY=VALUE` answers against the checklist's facts.
fn parse_facts(session: &Session, given: &[String]) -> Result<Vec<(String, String)>> {
    given
        .iter()
        .map(|pair| {
            let Some((key, value)) = pair.split_once('=') else {
                return Err(Error::usage(format!("--fact `{pair}` is not KEY=VALUE")));
            };
            let fact = session.checklist.require_fact(key.trim())?;
            Ok((key.trim().to_owned(), fact.normalise(value)?))
        })
        .collect()
}

/// What `start --accounts-from` did for one account.
#[derive(Serialize)]
struct Started {
    account: String,
    /// The line of the list it is on.
    line: usize,
    /// `started`, or `existing` (a run was there already; it is left as it was).
    result: &'static str,
    dir: String,
}

/// `start --accounts-from --format json`.
#[derive(Serialize)]
struct StartedList<'a> {
    schema_version: u32,
    provider: &'a str,
    started: usize,
    existing: usize,
    accounts: Vec<Started>,
}

/// Starts one run per account listed. Every line and every `--fact` is checked before anything
/// is written; a run that exists is reported as existing and left as it was (its facts are not
/// recorded again), so the same list can be given again after an interruption.
fn start_many(ui: &Ui, args: &StartArgs, session: &Session, list: &Path) -> Result<()> {
    let text = AccountList::read_text(list)?;
    let name = if list.as_os_str() == "-" { "standard input".to_owned() } else { format!("`{}`", list.display()) };
    let accounts = match AccountList::parse(&text) {
        Ok(accounts) => accounts.accounts,
        Err(bad) => {
            const SHOWN: usize = 20;
            for line in bad.iter().take(SHOWN) {
                ui.warning(format_args!("{name}: {line}"));
            }
            if bad.len() > SHOWN {
                ui.warning(format_args!("{name}: … and {} more bad lines", bad.len() - SHOWN));
            }
            return Err(Error::usage(format!(
                "{name} has {} bad line{} (shown above); nothing was started",
                bad.len(),
                if bad.len() == 1 { "" } else { "s" }
            )));
        }
    };
    if accounts.is_empty() {
        return Err(Error::usage(format!("{name} lists no accounts; nothing was started")));
    }
    let facts = parse_facts(session, &args.facts)?;
    let provider = session.provider();
    let mut results = Vec::with_capacity(accounts.len());
    for (line, account) in accounts {
        let created = if session.run_exists(&account) {
            None
        } else {
            match session.create(&account) {
                Ok(run) => Some(run),
                Err(Error::RunExists { .. }) => None,
                Err(e) => {
                    let started = results.iter().filter(|r: &&Started| r.result == "started").count();
                    ui.warning(format_args!(
                        "stopped at line {line} (`{account}`); {started} runs were started before it (run the same command again to go on)"
                    ));
                    return Err(e);
                }
            }
        };
        let result = if let Some(mut run) = created {
            for (fact, value) in &facts {
                session.answer(&mut run, fact, value.clone(), false)?;
            }
            "started"
        } else {
            ui.status(format_args!("{provider}/{account} (line {line}) already has a run: left as it is"));
            "existing"
        };
        let dir = session.state.run_dir(provider, &account).display().to_string();
        results.push(Started { account, line, result, dir });
    }
    let started = results.iter().filter(|r| r.result == "started").count();
    let existing = results.len() - started;
    let answers: Vec<String> = facts.iter().map(|(fact, value)| format!("{fact} = {value}")).collect();
    ui.status(format_args!(
        "Started {started} run{} of {provider} in {}{}; {existing} already existed. `closeacct runs --provider {provider}` lists them.",
        if started == 1 { "" } else { "s" },
        session.state.root.join("runs").join(provider).display(),
        if answers.is_empty() || started == 0 { String::new() } else { format!(", each with {}", answers.join(", ")) }
    ));
    if args.format == DataFormat::Json {
        let out = StartedList { schema_version: 1, provider, started, existing, accounts: results };
        ui.stdout((serde_json::to_string_pretty(&out).expect("list serialises") + "\n").as_bytes())?;
    }
    Ok(())
}
