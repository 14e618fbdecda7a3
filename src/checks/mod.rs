//! Read-only checks: commands that gather evidence for a step, with the operator's consent.
//!
//! The operator still confirms a step; a check tells them whether they can ("no EC2 instance is
//! left in any region"), and its result becomes evidence in the record. Checks are data in the
//! checklist ([`Check`]); this engine knows no provider. The flow:
//!
//! 1. the checklist loader calls [`Check::validate`] with the checklist's fact ids, which refuses
//!    mistakes with the field and position ([`SpecError`]);
//! 2. [`Plan::resolve`] fills in the account and the facts; [`Plan::display`] shows the exact
//!    commands, for consent;
//! 3. [`run`] runs the `foreach` command, then `run` once per word with bounded parallelism, and
//!    returns a [`CheckRecord`] to write as one event.
//!
//! **Commands.** argv only, never a shell. `{name}` placeholders take the `foreach` word, the
//! run's `{account}`, or a fact's answer (by fact id); every value put in must be a plain word
//! (`[A-Za-z0-9._:/-]+`). Each command inherits the operator's environment unchanged
//! (`AWS_PROFILE`, `AWS_REGION`, `AWS_ENDPOINT_URL`…; [`Options::env`] stays empty outside
//! tests), reads stdin from `/dev/null`, and runs in its own process group. Past its timeout
//! (default 60 s, at most 10 minutes) the whole group is killed with SIGKILL and its item fails,
//! naming the command; when a command ends, whatever it left running in its group is killed too.
//!
//! **Read-only, as far as can be seen.** Validation refuses commands that visibly change
//! something for the CLIs it knows (`aws` operations such as `delete-*`, `terminate-*`,
//! `close-account`; `gcloud`/`az` words such as `delete`, `create`; see [`read_only::not_read_only`]).
//! This is a guard against mistakes in a checklist, not a sandbox: a command is run with the
//! operator's credentials, and the checklist is trusted like any script the operator runs.
//!
//! **What "empty" means.** `expect = "empty"` passes when the command exits 0 and prints nothing
//! but whitespace; what it prints is what is left, item by item. The aws CLI (1.x and 2.x format
//! text output on the client) prints *nothing* for an empty list with `--output text`, such as
//! `--query 'Volumes[].VolumeId'` or a filter `[?State!='deleted']`, but prints `None` when the
//! query selects a null, such as `Reservations[0].Instances` on no reservations. `None` is not
//! treated as empty: a check whose query can select a null fails (closed) rather than passes, so
//! write queries as list projections.
//!
//! **Output.** stdout is hashed (sha256) while it is read, whatever its size; only a head is kept
//! for the excerpts: 4 KiB of stdout and 4 KiB of stderr a command, 64 KiB for the whole check
//! (the `foreach` command first, then the items in order; later ones get shorter or empty
//! excerpts, and the record says so). Excerpts pass through the caller's redaction function before
//! they are kept, as do the argv, the words and what is left; the head read is 8 KiB, so a secret
//! that straddles the 4 KiB cut is still whole when redacted. Only the `foreach` command's stdout
//! (its words), stdout for `matches` and stderr for `fails_with` are kept whole, up to 1 MiB.
//!
//! **Failures.** A missing program fails the whole check at once with
//! [`CheckError::MissingProgram`] (the command exits 69, `EX_UNAVAILABLE`). A `foreach` command
//! that fails, prints more than 1 MiB or 1,000 words, a word that is not plain, or no word at all,
//! fails the check with a [`CheckRecord::problem`]: a check over nothing proves nothing.
//!
//! **Ctrl-C.** Children in their own process group do not get the terminal's SIGINT. The
//! interrupt handler must call [`kill_running`] before it exits: that kills every running
//! command's process group and makes sure nothing more starts; a [`run`] still going returns
//! [`CheckError::Interrupted`], and the caller records nothing.

mod plan;
mod read_only;
mod record;
mod runner;
pub(crate) mod spec;
mod template;

use std::ffi::OsString;
use std::io;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use std::{fmt, thread};

pub use self::plan::{Plan, quote};
pub(crate) use self::plan::{display_templates, is_plain_word, quote_line};
pub use self::record::CheckRecord;
pub use self::record::{CommandRecord, ForeachRecord, ItemRecord};
pub use self::runner::Interrupt;
pub(crate) use self::runner::WHOLE_LIMIT;
use self::runner::{Captured, Failure, Finished, Keep};
pub use self::spec::Check;
pub use self::spec::{Expect, ExpectSpec, Field, Foreach, SpecError, ValidCheck};
pub use self::template::Template;

/// How many commands run at once unless the operator says otherwise.
pub(crate) const DEFAULT_JOBS: usize = 8;

/// The most commands that may run at once.
pub(crate) const MAX_JOBS: usize = 64;

/// The most words a `foreach` may give.
pub(crate) const MAX_ITEMS: usize = 1000;

/// The most of each stream of a command kept as its excerpt.
pub const EXCERPT_BYTES: usize = 4 * 1024;

/// The most excerpt text kept for a whole check.
pub(crate) const CHECK_EXCERPT_BYTES: usize = 64 * 1024;

/// The most words kept as what is left, for each item.
const MAX_LEFT_WORDS: usize = 50;

/// Kills every running check command's process group and stops new ones from starting. For the
/// Ctrl-C handler, before it exits.
pub(crate) fn kill_running() {
    Interrupt::global().interrupt();
}

/// Why a check could not produce a record. A check that ran and did not pass is not an error:
/// it is a [`CheckRecord`] with `passed: false`.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// A program is not installed (or not on `PATH`): `EX_UNAVAILABLE`.
    #[error("cannot run `{program}`: it is not installed, or not on PATH")]
    MissingProgram { program: String },

    /// A program could not be started for another reason (not executable, too many processes).
    #[error("cannot run `{program}`: {source}")]
    Spawn {
        program: String,
        #[source]
        source: io::Error,
    },

    /// The run was interrupted; its commands were killed and nothing should be recorded.
    #[error("interrupted; the check's commands were stopped")]
    Interrupted,

    /// An account or fact answer that cannot be put into a command.
    #[error("the value of `{{{placeholder}}}` is not a plain word: `{}` (allowed: letters, digits, `._:/-`)", value.escape_debug())]
    BadWord { placeholder: String, value: String },

    /// The check needs a fact that has not been answered.
    #[error("the check needs fact `{fact}`, which is not answered yet")]
    UnansweredFact { fact: String },
}

impl CheckError {
    /// Whether a program the check needs cannot be run (exit 69).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, CheckError::MissingProgram { .. } | CheckError::Spawn { .. })
    }
}

/// How to run a check.
#[derive(Debug)]
pub struct Options<'a> {
    /// How many commands may run at once (1 to [`MAX_JOBS`]).
    pub jobs: usize,
    /// Changes to the inherited environment: `Some` sets a variable, `None` removes it. Empty in
    /// the `check` command, so commands see the operator's environment unchanged; the tests use
    /// it to point the CLI at a local emulator.
    pub env: Vec<(OsString, Option<OsString>)>,
    /// Where running commands are registered; [`Interrupt::global`] outside tests.
    pub interrupt: &'a Interrupt,
}

impl Default for Options<'static> {
    fn default() -> Self {
        Options { jobs: DEFAULT_JOBS, env: Vec::new(), interrupt: Interrupt::global() }
    }
}

/// Progress through a check's items, reported as each one ends (and once at the start with
/// `done` 0). Shown as `eu-west-1 · 7/17`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress<'a> {
    /// The item that just ended.
    pub item: Option<&'a str>,
    pub done: usize,
    pub total: usize,
}

impl fmt::Display for Progress<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(item) = self.item {
            write!(f, "{item} · ")?;
        }
        write!(f, "{}/{}", self.done, self.total)
    }
}

/// The caller's redaction, applied to everything taken from a command's output.
pub(crate) type Redact<'a> = &'a (dyn Fn(&str) -> String + Sync);

/// Runs a check: the `foreach` command, then `run` for each word, at most `options.jobs` at once;
/// results in the order of the words.
pub fn run(
    plan: &Plan,
    options: &Options<'_>,
    progress: &(dyn Fn(&Progress<'_>) + Sync),
    redact: Redact<'_>,
) -> Result<CheckRecord, CheckError> {
    let start = Instant::now();
    let jobs = options.jobs.clamp(1, MAX_JOBS);
    let mut record = CheckRecord {
        summary: plan.summary.clone(),
        expect: plan.expect.to_string(),
        timeout_ms: millis(plan.timeout),
        jobs,
        passed: false,
        problem: None,
        foreach: None,
        items: Vec::new(),
        duration_ms: 0,
        excerpt_bytes: 0,
        excerpts_truncated: false,
        check_sha256: plan.fingerprint(),
    };

    let words = match &plan.foreach {
        None => vec![None],
        Some((variable, argv)) => {
            let keep = Keep { stdout: true, stderr: false };
            let finished = runner::run_command(argv, plan.timeout, keep, &options.env, options.interrupt)
                .map_err(|failure| error(argv, failure))?;
            let words = foreach_words(&finished, plan.timeout, redact);
            let command = command_record(argv, &finished, redact);
            let (words, problem) = match words {
                Ok(words) => (words, None),
                Err(problem) => (Vec::new(), Some(format!("{problem}: {}", quote_line(command.argv.iter())))),
            };
            record.foreach = Some(ForeachRecord {
                variable: variable.clone(),
                command,
                words: words.iter().map(|w| redact(w)).collect(),
            });
            if problem.is_some() {
                record.problem = problem;
                return Ok(finish(record, start));
            }
            words.into_iter().map(Some).collect()
        }
    };

    let total = words.len();
    progress(&Progress { item: None, done: 0, total });
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let results: Mutex<Vec<Option<Result<ItemRecord, CheckError>>>> = Mutex::new((0..total).map(|_| None).collect());
    thread::scope(|scope| {
        for _ in 0..jobs.min(total) {
            scope.spawn(|| {
                while !stop.load(Ordering::SeqCst) {
                    let index = next.fetch_add(1, Ordering::SeqCst);
                    let Some(word) = words.get(index) else { break };
                    let argv = plan.run_argv(word.as_deref());
                    let keep = Keep {
                        stdout: matches!(plan.expect, Expect::Matches(_)),
                        stderr: matches!(plan.expect, Expect::FailsWith(_)),
                    };
                    let result = runner::run_command(&argv, plan.timeout, keep, &options.env, options.interrupt)
                        .map(|finished| item_record(word.as_deref(), &argv, &finished, plan, redact))
                        .map_err(|failure| error(&argv, failure));
                    if result.is_err() {
                        stop.store(true, Ordering::SeqCst);
                    }
                    results.lock().unwrap_or_else(std::sync::PoisonError::into_inner)[index] = Some(result);
                    let done = done.fetch_add(1, Ordering::SeqCst) + 1;
                    progress(&Progress { item: word.as_deref(), done, total });
                }
            });
        }
    });
    if options.interrupt.is_interrupted() {
        return Err(CheckError::Interrupted);
    }
    // Items start in order, so a stop leaves only later items unrun (`None`) and the first error
    // in order is the one that caused it.
    for result in results.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner).into_iter().flatten() {
        record.items.push(result?);
    }
    Ok(finish(record, start))
}

/// Passed or not, and the excerpt budget shared out in order.
fn finish(mut record: CheckRecord, start: Instant) -> CheckRecord {
    record.passed = record.problem.is_none() && record.items.iter().all(|item| item.passed);
    record.duration_ms = millis(start.elapsed());
    let mut left = CHECK_EXCERPT_BYTES;
    let commands =
        record.foreach.iter_mut().map(|f| &mut f.command).chain(record.items.iter_mut().map(|i| &mut i.command));
    for command in commands {
        for excerpt in [&mut command.stdout_excerpt, &mut command.stderr_excerpt] {
            if excerpt.len() > left {
                excerpt.truncate(floor_char_boundary(excerpt, left));
                command.excerpts_truncated = true;
            }
            left -= excerpt.len();
        }
        record.excerpts_truncated |= command.excerpts_truncated;
    }
    record.excerpt_bytes = CHECK_EXCERPT_BYTES - left;
    record
}

fn error(argv: &[String], failure: Failure) -> CheckError {
    let program = argv.first().cloned().unwrap_or_default();
    match failure {
        Failure::Interrupted => CheckError::Interrupted,
        Failure::Spawn(source) if source.kind() == io::ErrorKind::NotFound => CheckError::MissingProgram { program },
        Failure::Spawn(source) => CheckError::Spawn { program, source },
    }
}

/// The words of a `foreach` command, or why there are none to use.
fn foreach_words(finished: &Finished, timeout: Duration, redact: Redact<'_>) -> Result<Vec<String>, String> {
    if let Some(why) = abnormal(finished, timeout) {
        return Err(format!("the foreach command {why}"));
    }
    if finished.exit_code != Some(0) {
        return Err(format!("the foreach command failed ({})", exit_reason(finished, redact)));
    }
    let Some(whole) = &finished.stdout.whole else {
        return Err(format!("the foreach command printed more than {} KiB", WHOLE_LIMIT / 1024));
    };
    let text = String::from_utf8_lossy(whole);
    let words: Vec<String> = text.split_whitespace().map(str::to_owned).collect();
    if let Some(bad) = words.iter().find(|w| !is_plain_word(w)) {
        let shown: String = redact(bad).chars().take(100).collect();
        return Err(format!(
            "the foreach command printed `{}`, which is not a plain word (allowed: letters, digits, `._:/-`)",
            shown.escape_debug()
        ));
    }
    if words.is_empty() {
        return Err("the foreach command printed no words".into());
    }
    if words.len() > MAX_ITEMS {
        return Err(format!("the foreach command printed {} words, more than {MAX_ITEMS}", words.len()));
    }
    Ok(words)
}

/// Why a command did not end on its own, if it did not.
fn abnormal(finished: &Finished, timeout: Duration) -> Option<String> {
    if finished.timed_out {
        Some(format!("timed out after {}", show_duration(timeout)))
    } else if let Some(signal) = finished.signal {
        Some(format!("was killed by signal {signal}"))
    } else if finished.stdout.open || finished.stderr.open {
        Some("left its output open after it ended".into())
    } else {
        [&finished.stdout, &finished.stderr]
            .iter()
            .find_map(|c| c.read_error.as_ref())
            .map(|e| format!("could not be read: {e}"))
    }
}

/// `exit code 255: An error occurred (…)`: the code and the line of stderr that says why.
fn exit_reason(finished: &Finished, redact: Redact<'_>) -> String {
    let code = finished.exit_code.map_or_else(|| "no exit code".into(), |c| format!("exit code {c}"));
    match stderr_line(&finished.stderr, redact) {
        Some(line) => format!("{code}: {line}"),
        None => code,
    }
}

/// The line of stderr that most likely says why: the last one when all of it was read into the
/// head, else the first; at most 200 characters.
fn stderr_line(stderr: &Captured, redact: Redact<'_>) -> Option<String> {
    let text = redact(&String::from_utf8_lossy(&stderr.head));
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let line = if stderr.bytes <= stderr.head.len() as u64 { lines.next_back() } else { lines.next() }?;
    let mut short: String = line.chars().take(200).collect();
    if short.len() < line.len() {
        short.push('…');
    }
    Some(short)
}

fn item_record(
    word: Option<&str>,
    argv: &[String],
    finished: &Finished,
    plan: &Plan,
    redact: Redact<'_>,
) -> ItemRecord {
    let command = command_record(argv, finished, redact);
    let mut left = Vec::new();
    let mut left_truncated = false;
    let reason = if let Some(why) = abnormal(finished, plan.timeout) {
        Some(format!("{why}: {}", quote_line(command.argv.iter())))
    } else {
        match &plan.expect {
            Expect::FailsWith(re) => match (finished.exit_code, &finished.stderr.whole) {
                (Some(0), _) => Some(format!("it succeeded; expected it to fail with /{re}/")),
                (_, None) => Some(format!("stderr is over {} KiB, too long to match", WHOLE_LIMIT / 1024)),
                (_, Some(whole)) if re.is_match(String::from_utf8_lossy(whole).trim()) => None,
                (_, Some(_)) => Some(format!("{}; expected it to fail with /{re}/", exit_reason(finished, redact))),
            },
            _ if finished.exit_code != Some(0) => Some(exit_reason(finished, redact)),
            Expect::Success => None,
            Expect::Empty if finished.stdout.blank => None,
            Expect::Empty => {
                let text = redact(&String::from_utf8_lossy(&finished.stdout.head));
                let mut words = redacted_words(&text);
                if finished.stdout.bytes > finished.stdout.head.len() as u64 {
                    // The head may end inside a word.
                    words.pop();
                    left_truncated = true;
                }
                if words.len() > MAX_LEFT_WORDS {
                    words.truncate(MAX_LEFT_WORDS);
                    left_truncated = true;
                }
                left = words;
                Some("stdout is not empty".into())
            }
            Expect::Matches(re) => match &finished.stdout.whole {
                None => Some(format!("stdout is over {} KiB, too long to match", WHOLE_LIMIT / 1024)),
                Some(whole) if re.is_match(String::from_utf8_lossy(whole).trim()) => None,
                Some(_) => Some(format!("stdout does not match /{re}/")),
            },
        }
    };
    ItemRecord { item: word.map(redact), passed: reason.is_none(), reason, left, left_truncated, command }
}

/// The words of redacted text, a redaction's marker (`[redacted: AWS secret access key]`) kept as
/// one word.
fn redacted_words(text: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut in_marker = false;
    for word in text.split_whitespace() {
        match words.last_mut() {
            Some(marker) if in_marker => {
                marker.push(' ');
                marker.push_str(word);
            }
            _ => words.push(word.to_owned()),
        }
        in_marker = (in_marker || word.starts_with("[redacted:")) && !word.ends_with(']');
    }
    words
}

fn command_record(argv: &[String], finished: &Finished, redact: Redact<'_>) -> CommandRecord {
    let (stdout_excerpt, stdout_cut) = excerpt(&finished.stdout, redact);
    let (stderr_excerpt, stderr_cut) = excerpt(&finished.stderr, redact);
    CommandRecord {
        argv: argv.iter().map(|a| redact(a)).collect(),
        exit_code: finished.exit_code,
        signal: finished.signal,
        timed_out: finished.timed_out,
        duration_ms: millis(finished.duration),
        stdout_sha256: hex(&finished.stdout.sha256),
        stdout_bytes: finished.stdout.bytes,
        stderr_bytes: finished.stderr.bytes,
        stdout_excerpt,
        stderr_excerpt,
        excerpts_truncated: stdout_cut || stderr_cut,
        output_open: finished.stdout.open || finished.stderr.open,
    }
}

/// The redacted start of a stream, at most [`EXCERPT_BYTES`], and whether it shows less than
/// the stream.
fn excerpt(captured: &Captured, redact: Redact<'_>) -> (String, bool) {
    let mut text = redact(&String::from_utf8_lossy(&captured.head));
    let cut = text.len() > EXCERPT_BYTES || captured.bytes > captured.head.len() as u64;
    text.truncate(floor_char_boundary(&text, EXCERPT_BYTES));
    (text, cut)
}

fn floor_char_boundary(text: &str, at: usize) -> usize {
    if at >= text.len() {
        return text.len();
    }
    (0..=at).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0)
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

fn show_duration(duration: Duration) -> String {
    if duration.subsec_millis() == 0 {
        format!("{}s", duration.as_secs())
    } else {
        format!("{}ms", duration.as_millis())
    }
}

pub(crate) fn hex(digest: &[u8; 32]) -> String {
    use std::fmt::Write as _;
    digest.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// A check of EC2 instances over the given regions (`foreach` over `describe-regions
/// --region-names …`), for the benchmark that times it against one region's command.
#[doc(hidden)]
pub fn regions_check_for_benchmarks(regions: &[&str]) -> ValidCheck {
    let words = |argv: &[&str]| argv.iter().map(|w| Template::parse(w)).collect::<Vec<_>>();
    let mut list = vec!["aws", "ec2", "describe-regions", "--region-names"];
    list.extend_from_slice(regions);
    list.extend_from_slice(&["--query", "Regions[].RegionName", "--output", "text"]);
    ValidCheck {
        summary: format!("No EC2 instance that is not terminated, in {} regions", regions.len()),
        foreach: Some(Foreach { variable: "region".into(), command: words(&list) }),
        run: words(&one_region_argv_for_benchmarks("{region}").iter().map(String::as_str).collect::<Vec<_>>()),
        expect: Expect::Empty,
        timeout: spec::DEFAULT_TIMEOUT,
    }
}

/// The command the regions check runs for one region.
#[doc(hidden)]
pub fn one_region_argv_for_benchmarks(region: &str) -> Vec<String> {
    [
        "aws",
        "ec2",
        "describe-instances",
        "--region",
        region,
        "--query",
        "Reservations[].Instances[?State.Name!='terminated'][].InstanceId",
        "--output",
        "text",
    ]
    .iter()
    .map(|w| (*w).to_owned())
    .collect()
}

#[cfg(test)]
mod tests;
