//! Speed and memory figures for the targets in the issues, printed, never asserted: shared
//! machines are noisy, so the numbers are for people to read and compare.
//!
//! `cargo bench --bench figures` (add `-- --quick` for fewer repetitions, `-- --only GROUP` for
//! one group of figures: `startup`, `checklist`, `status`, `confirm`, `big-log`, `fleet` or
//! `checks`).
//!
//! Heap figures come from a counting allocator around the library call; process figures run the
//! release binary under GNU time (`/usr/bin/time -f %M`) and read its own peak RSS.

// Figures are printed for people: a cast to f64 losing bits past 2^52 does not matter here.
#![allow(clippy::cast_precision_loss)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use closeacct::testing::Progress;
use closeacct::testing::{Appender, EVENTS_FILE, EventKind, Sink, StateDir, read_log};
use closeacct::testing::{CheckProgress, Interrupt, Options, Plan};
use closeacct::testing::{Loaded, generate_for_benchmarks};
use closeacct::testing::{OnChange, Session};
use closeacct::testing::{one_region_argv_for_benchmarks, regions_check_for_benchmarks, run_check};

// The local AWS emulator the check tests use, started the same way.
#[allow(dead_code)]
#[path = "../tests/common/moto.rs"]
mod moto;

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

#[allow(unsafe_code)]
// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` `runs` times; returns the median time and the peak heap growth during one run.
fn measure<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, usize) {
    let mut times = Vec::with_capacity(runs);
    let mut peak = 0;
    for _ in 0..runs {
        let base = CURRENT.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        let start = Instant::now();
        let result = f();
        times.push(start.elapsed());
        drop(result);
        peak = peak.max(PEAK.load(Ordering::Relaxed) - base);
    }
    times.sort();
    (times[times.len() / 2], peak)
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Median wall times of commands run side by side: each repetition runs every command once, in
/// turn, so a busy moment on a shared machine falls on all of them alike. Output goes to
/// /dev/null for every command alike.
fn time_side_by_side(runs: usize, commands: &[&dyn Fn() -> Command]) -> Vec<Duration> {
    let mut times = vec![Vec::with_capacity(runs); commands.len()];
    for _ in 0..runs {
        for (make, times) in commands.iter().zip(&mut times) {
            let mut cmd = make();
            cmd.stdout(Stdio::null()).stderr(Stdio::null());
            let start = Instant::now();
            let status = cmd.status().expect("run command");
            times.push(start.elapsed());
            assert!(status.success(), "{cmd:?} failed ({status})");
        }
    }
    times
        .into_iter()
        .map(|mut t| {
            t.sort();
            t[t.len() / 2]
        })
        .collect()
}

/// Median wall time of one command, and its peak RSS (MiB).
fn time_command(runs: usize, make: impl Fn() -> Command) -> (Duration, f64) {
    (time_side_by_side(runs, &[&make])[0], peak_rss_mib(&make))
}

/// The peak RSS (MiB) of one more run of a command, from GNU time (`/usr/bin/time -f %M`); 0
/// without it. A child spawned straight from this process shares its memory until `exec`, so its
/// own `ru_maxrss` would count this benchmark's heap too. Times are taken without the wrapper,
/// whose own start-up would be added to every command and so flatter the ratios.
fn peak_rss_mib(make: &dyn Fn() -> Command) -> f64 {
    let gnu_time = Path::new("/usr/bin/time");
    if !gnu_time.exists() {
        return 0.0;
    }
    let rss_file = tempfile::NamedTempFile::new().expect("temp file");
    let inner = make();
    let mut wrapped = Command::new(gnu_time);
    wrapped.args(["-f", "%M", "-o"]).arg(rss_file.path()).arg(inner.get_program()).args(inner.get_args());
    for (key, value) in inner.get_envs() {
        match value {
            Some(value) => wrapped.env(key, value),
            None => wrapped.env_remove(key),
        };
    }
    let status = wrapped.stdout(Stdio::null()).stderr(Stdio::null()).status().expect("run command");
    assert!(status.success(), "{wrapped:?} failed ({status})");
    let kib: f64 = std::fs::read_to_string(rss_file.path()).unwrap_or_default().trim().parse().unwrap_or(0.0);
    kib / 1024.0
}

/// The binary measured: `CLOSEACCT_BENCH_BINARY` (to measure another build, such as the one
/// before a change, with the same figures), else this tree's release build.
fn release_binary() -> PathBuf {
    if let Some(binary) = std::env::var_os("CLOSEACCT_BENCH_BINARY") {
        return PathBuf::from(binary);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let status = Command::new(env!("CARGO"))
        .args(["build", "--release", "--quiet"])
        .current_dir(root)
        .status()
        .expect("cargo build");
    assert!(status.success());
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    target.join("release/closeacct")
}

/// A log of `kinds` appended after the run's first line: written and chained exactly as closeacct
/// writes them, but without an fsync per line, which made building the benchmark's logs take
/// most of its time (the cost of a durable append is measured on its own).
fn append_unsynced(dir: &Path, kinds: impl Iterator<Item = EventKind>) {
    struct Unsynced(std::fs::File);
    impl Sink for Unsynced {
        fn append(&mut self, bytes: &[u8]) -> std::io::Result<()> {
            std::io::Write::write_all(&mut self.0, bytes)
        }
        fn sync(&mut self) -> std::io::Result<()> {
            Ok(())
        }
        fn truncate(&mut self, len: u64) -> std::io::Result<()> {
            self.0.set_len(len)
        }
    }
    let path = dir.join(EVENTS_FILE);
    let end = read_log(&path, |_| Ok(())).unwrap();
    let file = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
    let mut appender = Appender::new(Box::new(Unsynced(file)), path, &end);
    let at = closeacct::testing::now();
    for kind in kinds {
        appender.append(at, "bench", kind).unwrap();
    }
}

/// A run of the generated checklist with `events` events: the start, a fact, then confirmations
/// and notes cycling over the first steps, so replay does real work on every line.
fn make_run(session: &Session, account: &str, events: usize) -> PathBuf {
    let checklist = &session.checklist;
    let run = session.create(account).expect("create run");
    let dir = run.dir.clone();
    drop(run);
    let ids: Vec<String> = checklist.steps().map(|(_, s)| s.id.get_ref().clone()).take(50).collect();
    let fact = std::iter::once(EventKind::FactAnswered { fact: "org".into(), value: "no".into() });
    let rest = (2..events).map(|i| {
        let step = ids[i % ids.len()].clone();
        if i % 3 == 0 {
            EventKind::NoteAdded { step, note: format!("note {i}: checked region ap-northeast-2, ticket CS-{i}") }
        } else {
            EventKind::StepDone {
                step,
                note: None,
                evidence: Some(format!("ticket CS-{i}")),
                attested: None,
                happened_at: None,
                checks: Vec::new(),
            }
        }
    });
    append_unsynced(&dir, fact.chain(rest));
    dir.join(EVENTS_FILE)
}

/// The groups `--only` can choose, in the order a whole run measures them.
const GROUPS: [&str; 7] = ["startup", "checklist", "status", "confirm", "big-log", "fleet", "checks"];

fn main() {
    // The floor of `status`/`verify`: this binary, started again to hash every line of a log once.
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--hash-lines") {
        hash_lines(Path::new(&args[at + 1]));
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    let runs = if quick { 5 } else { 21 };
    let dir = tempfile::tempdir().unwrap();
    // CLOSEACCT_BENCH_KEEP=1 keeps the generated runs and checklists, for profiling by hand.
    let keep = std::env::var_os("CLOSEACCT_BENCH_KEEP").is_some();
    if keep {
        eprintln!("keeping the benchmark files in {}", dir.path().display());
    }
    let only = args.windows(2).find(|w| w[0] == "--only").map(|w| w[1].as_str());
    if let Some(group) = only.filter(|g| !GROUPS.contains(g)) {
        eprintln!("figures: unknown group `{group}`; the groups are {}", GROUPS.join(", "));
        std::process::exit(2);
    }
    let wanted = |group: &str| only.is_none_or(|g| g == group);
    // The check figures need no release binary.
    if only == Some("checks") {
        check_figures(quick);
        return;
    }
    let binary = release_binary();
    println!("closeacct figures ({runs} repetitions each, median)");

    let mut table = Table::default();
    if wanted("startup") {
        startup_figures(quick, &binary, &mut table);
    }
    if wanted("checklist") {
        checklist_figures(runs, dir.path(), &binary);
    }
    let session = resume_figures(runs, quick, dir.path());
    if wanted("status") {
        status_figures(runs, dir.path(), &binary, &session);
    }
    if wanted("confirm") {
        confirm_figures(quick, &binary, &session, dir.path(), &mut table);
    }
    if wanted("big-log") {
        big_log_figures(quick, &binary, &session, dir.path(), &mut table);
    }
    if wanted("fleet") {
        fleet_figures(quick, &binary, dir.path(), &mut table);
    }
    if wanted("checks") {
        check_figures(quick);
    }
    table.print();
    if keep {
        let _ = dir.keep();
    }
}

/// Issue 3: load and validate a generated checklist of 10,000 steps.
fn checklist_figures(runs: usize, dir: &Path, binary: &Path) {
    let text = generate_for_benchmarks(10_000);
    let (time, heap) = measure(runs, || Loaded::parse(&text, "generated.toml").unwrap());
    println!(
        "checklist load+validate, 10,000 steps ({} KiB): {:.1} ms, peak heap {:.1} MiB  [target < 50 ms, < 20 MB]",
        text.len() / 1024,
        ms(time),
        mib(heap)
    );
    let (time, heap) = measure(runs, || toml::from_str::<toml::Table>(&text).unwrap());
    println!(
        "  for comparison, the toml crate parsing it in one piece: {:.1} ms, peak heap {:.1} MiB",
        ms(time),
        mib(heap)
    );
    let file = dir.join("generated.toml");
    std::fs::write(&file, &text).unwrap();
    let (time, rss) = time_command(runs, || {
        let mut c = Command::new(binary);
        c.args(["checklist", "validate"]).arg(&file);
        c
    });
    println!("  `closeacct checklist validate` process: {:.1} ms, max RSS {rss:.1} MiB", ms(time));
}

/// Issue 4: resume a run of 100,000 events, and the cost of one durable confirmation. Returns
/// the session of the generated runs.
fn resume_figures(runs: usize, quick: bool, dir: &Path) -> Session {
    let small = Loaded::parse(&generate_for_benchmarks(200), "generated.toml").unwrap();
    let state = dir.join("state");
    let session = Session { state: StateDir { root: state.clone() }, checklist: small, operator: "bench".into() };
    let start = Instant::now();
    let big_log = make_run(&session, "big-run", 100_000);
    let build = start.elapsed();
    let log_len = std::fs::metadata(big_log).unwrap().len();
    let (time, heap) = measure(runs, || {
        let run = session.open("big-run", OnChange::Refuse).unwrap();
        let next = Progress::new(&session.checklist, &run.replay).first_open();
        (run, next)
    });
    println!(
        "resume (lock, replay, first open step), 100,000 events ({:.1} MiB log): {:.1} ms, peak heap {:.1} MiB  [target < 100 ms, < 32 MB]",
        log_len as f64 / 1_048_576.0,
        ms(time),
        mib(heap)
    );
    let mut latencies = Vec::new();
    {
        let mut run = session.open("big-run", OnChange::Refuse).unwrap();
        for i in 0..if quick { 50 } else { 300 } {
            let start = Instant::now();
            run.record("bench", EventKind::NoteAdded { step: "step-0".into(), note: format!("latency {i}") }).unwrap();
            latencies.push(start.elapsed());
        }
    }
    latencies.sort();
    println!(
        "  confirmation latency (write + fsync, {} appends): median {:.2} ms, p99 {:.2} ms; building the log took {:.1} s",
        latencies.len(),
        ms(latencies[latencies.len() / 2]),
        ms(latencies[latencies.len() * 99 / 100]),
        build.as_secs_f64()
    );

    session
}

/// Issue 5: status and report --format json on 10,000 events, side by side with cat.
fn status_figures(runs: usize, dir: &Path, binary: &Path, session: &Session) {
    let state = session.state.root.clone();
    let log = make_run(session, "mid-run", 10_000);
    let checklist_file = dir.join("small.toml");
    std::fs::write(&checklist_file, &session.checklist.text).unwrap();
    let closeacct = |args: &[&str]| {
        let mut c = Command::new(binary);
        c.args(args).arg("--checklist").arg(&checklist_file).env("CLOSEACCT_STATE_DIR", &state);
        c
    };
    let cat = || {
        let mut c = Command::new("cat");
        c.arg(&log);
        c
    };
    // The least a reader that checks the chain must do: hash the whole file, in one process.
    let hash_only = || {
        let mut c = Command::new("sha256sum");
        c.arg(&log);
        c
    };
    let verify = || closeacct(&["verify", "--account", "mid-run"]);
    let status = || closeacct(&["status", "--account", "mid-run", "--format", "json"]);
    let report = || closeacct(&["report", "--account", "mid-run", "--format", "json"]);
    let rounds = runs.max(51);
    let times = time_side_by_side(rounds, &[&cat, &hash_only, &verify, &status, &report]);
    println!(
        "status/report on 10,000 events ({:.1} MiB log), {rounds} rounds side by side:",
        std::fs::metadata(&log).unwrap().len() as f64 / 1_048_576.0
    );
    let line = |name: &str, time: Duration, rest: &str| {
        println!("  {name:<22} {:.2} ms ({:.1}x cat){rest}", ms(time), ms(time) / ms(times[0]));
    };
    println!("  cat                    {:.2} ms", ms(times[0]));
    line("sha256sum", times[1], ": hashing the file alone, for reference");
    line("verify", times[2], "");
    let rss = |make: &dyn Fn() -> Command| format!(", max RSS {:.1} MiB", peak_rss_mib(make));
    line("status --format json", times[3], &(rss(&status) + "  [target within 3x cat, < 20 MB]"));
    line("report --format json", times[4], &rss(&report));
}

/// Whether `program` is on `PATH`.
fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// CPU seconds used by this process's children that have ended (user + system), from
/// `/proc/self/stat`.
fn children_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name, which is in parentheses; cutime and cstime are 16 and 17.
    let fields: Vec<&str> = stat.rsplit_once(')').map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
    let ticks = |i: usize| fields.get(i - 3).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    let per_second = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8_lossy(&out.stdout).trim().parse::<f64>().ok())
        .unwrap_or(100.0);
    (ticks(16) + ticks(17)) / per_second
}

/// The regions of the check benchmark: as many as an account typically has enabled.
const REGIONS: [&str; 16] = [
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-north-1",
    "ap-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "sa-east-1",
];

/// Issue 16: a check over 16 regions (a `foreach` command, then one command per region) with
/// `--jobs 8` and `--jobs 1`, side by side with one region's command, against moto.
fn check_figures(quick: bool) {
    if !on_path("moto_server") || !on_path("aws") {
        println!("check over 16 regions: skipped (moto_server or the aws CLI is not on PATH)");
        return;
    }
    let moto = moto::Moto::start();
    let env = moto.env();
    let plan =
        Plan::resolve(&regions_check_for_benchmarks(&REGIONS), "123456789012", &std::collections::BTreeMap::new())
            .expect("the benchmark check resolves");
    let one_region = || {
        let argv = one_region_argv_for_benchmarks("eu-west-1");
        let mut command = Command::new(&argv[0]);
        command.args(&argv[1..]).stdin(Stdio::null());
        for (name, value) in &env {
            match value {
                Some(value) => command.env(name, value),
                None => command.env_remove(name),
            };
        }
        command
    };
    let check = |jobs: usize| {
        let interrupt = Interrupt::new();
        let options = Options { jobs, env: env.clone(), interrupt: &interrupt };
        let start = Instant::now();
        let record =
            run_check(&plan, &options, &|_: &CheckProgress<'_>| {}, &|text| text.to_owned()).expect("the check runs");
        assert!(record.passed, "{:?}", record.failures());
        assert_eq!(record.items.len(), REGIONS.len());
        start.elapsed()
    };
    let rounds = if quick { 1 } else { 5 };
    let (mut one, mut eight, mut two, mut serial, mut cpu) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        one.push(time_side_by_side(1, &[&one_region])[0]);
        eight.push(check(8));
        two.push(check(2));
        let before = children_cpu_seconds();
        serial.push(check(1));
        cpu.push(children_cpu_seconds() - before);
    }
    let median = |mut times: Vec<Duration>| {
        times.sort();
        times[times.len() / 2]
    };
    cpu.sort_by(f64::total_cmp);
    let (one, eight, two, serial, cpu) = (median(one), median(eight), median(two), median(serial), cpu[cpu.len() / 2]);
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let floor = cpu / cores as f64;
    println!(
        "check over 16 regions against moto (17 aws CLI commands: describe-regions, then one a region), median of {rounds}:"
    );
    println!("  one region's command    {:.2} s", one.as_secs_f64());
    println!(
        "  --jobs 8                {:.2} s ({:.1}x one command)  [target within 3x]",
        eight.as_secs_f64(),
        eight.as_secs_f64() / one.as_secs_f64()
    );
    println!(
        "  --jobs 2                {:.2} s ({:.1}x one command)",
        two.as_secs_f64(),
        two.as_secs_f64() / one.as_secs_f64()
    );
    println!(
        "  --jobs 1                {:.2} s ({:.1}x one command)",
        serial.as_secs_f64(),
        serial.as_secs_f64() / one.as_secs_f64()
    );
    println!(
        "  CPU of the 17 commands  {cpu:.2} s ({:.2} s a command); on {cores} cores the floor is {floor:.2} s, {:.1}x one command",
        cpu / 17.0,
        floor / one.as_secs_f64()
    );
}

/// The rows of the README's speed table: what, the measured figure, the ratio, its target.
#[derive(Default)]
struct Table {
    rows: Vec<[String; 4]>,
}

impl Table {
    fn row(&mut self, what: &str, measured: String, ratio: f64, target: f64) {
        let verdict = if ratio <= target { "met" } else { "not met" };
        self.rows.push([what.to_owned(), measured, format!("{ratio:.2}x"), format!("≤ {target}x ({verdict})")]);
    }

    fn print(&self) {
        println!("\n| what | measured | ratio | target |\n|---|---|---|---|");
        for [what, measured, ratio, target] in &self.rows {
            println!("| {what} | {measured} | {ratio} | {target} |");
        }
    }
}

/// Reads a file as closeacct reads a log (128 KiB at a time) and hashes every line once: the
/// least a reader that checks the chain must do, as a process of its own.
fn hash_lines(path: &Path) {
    use std::io::Read;
    let mut file = std::fs::File::open(path).expect("open log");
    let mut buffer = vec![0u8; 128 * 1024];
    let mut carry = Vec::new();
    let mut digest = [0u8; 32];
    loop {
        let n = file.read(&mut buffer).expect("read log");
        if n == 0 {
            break;
        }
        carry.extend_from_slice(&buffer[..n]);
        let mut start = 0;
        for newline in memchr::memchr_iter(b'\n', &carry) {
            digest =
                sha2::Digest::finalize(sha2::Digest::chain_update(sha2::Sha256::default(), &carry[start..newline]))
                    .into();
            start = newline + 1;
        }
        carry.drain(..start);
    }
    std::hint::black_box(digest);
}

/// A closeacct command in a state directory, with the generated checklist file.
fn command(binary: &Path, state: &Path, checklist: Option<&Path>, args: &[&str]) -> Command {
    let mut c = Command::new(binary);
    c.args(args).env("CLOSEACCT_STATE_DIR", state).env("USER", "bench");
    if let Some(file) = checklist {
        c.arg("--checklist").arg(file);
    }
    c
}

/// Start-up: `providers` (all seven built-in checklists) beside `true` and `--version`.
fn startup_figures(quick: bool, binary: &Path, table: &mut Table) {
    let rounds = if quick { 31 } else { 101 };
    let truth = || Command::new("true");
    let version = || command(binary, Path::new("/nonexistent"), None, &["--version"]);
    let providers = || command(binary, Path::new("/nonexistent"), None, &["providers"]);
    let times = time_side_by_side(rounds, &[&truth, &version, &providers]);
    println!("start-up, {rounds} rounds side by side:");
    println!("  true                   {:.2} ms", ms(times[0]));
    println!("  closeacct --version    {:.2} ms ({:.1}x true)", ms(times[1]), ms(times[1]) / ms(times[0]));
    println!(
        "  closeacct providers    {:.2} ms ({:.1}x true)  [target within 3x true]",
        ms(times[2]),
        ms(times[2]) / ms(times[0])
    );
    table.row(
        "`providers` beside `true`",
        format!("{:.2} ms vs {:.2} ms (`--version`: {:.2} ms)", ms(times[2]), ms(times[0]), ms(times[1])),
        ms(times[2]) / ms(times[0]),
        3.0,
    );
}

/// `confirm` on a fresh run and on a run of 10,000 events, and `confirm --note` beside `confirm`,
/// side by side: each round confirms the next step of three runs.
fn confirm_figures(quick: bool, binary: &Path, session: &Session, dir: &Path, table: &mut Table) {
    let rounds = if quick { 21 } else { 101 };
    let checklist = dir.join("confirm.toml");
    std::fs::write(&checklist, &session.checklist.text).unwrap();
    // Steps 0..49 done, as `make_run` leaves them; step 50 on is next, in order.
    make_run(session, "fresh-plain", 60);
    make_run(session, "fresh-note", 60);
    make_run(session, "ten-thousand", 10_000);
    let state = &session.state.root;
    let step = &std::cell::Cell::new(50);
    let checklist = &checklist;
    let confirm = |account: &'static str, note: bool| {
        move || {
            let step = format!("step-{}", step.get());
            let mut args = vec!["confirm", "--account", account, step.as_str()];
            if note {
                args.extend(["--note", "checked every region; ticket CS-2026-11-0042 closed by ana@example.com"]);
            }
            command(binary, state, Some(checklist), &args)
        }
    };
    let (plain, noted, big) =
        (confirm("fresh-plain", false), confirm("fresh-note", true), confirm("ten-thousand", false));
    let next = || {
        step.set(step.get() + 1);
        Command::new("true")
    };
    let times = time_side_by_side(rounds, &[&plain, &noted, &big, &next]);
    println!("confirm, {rounds} rounds side by side (write + fsync each):");
    println!("  confirm, fresh run              {:.2} ms", ms(times[0]));
    println!(
        "  confirm --note, fresh run       {:.2} ms ({:.2}x)  [target within 1.5x]",
        ms(times[1]),
        ms(times[1]) / ms(times[0])
    );
    println!(
        "  confirm, run of 10,000 events   {:.2} ms ({:.2}x)  [target within 2x]",
        ms(times[2]),
        ms(times[2]) / ms(times[0])
    );
    table.row(
        "`confirm --note T` beside `confirm`",
        format!("{:.2} ms vs {:.2} ms", ms(times[1]), ms(times[0])),
        ms(times[1]) / ms(times[0]),
        1.5,
    );
    table.row(
        "`confirm` on a run of 10,000 events beside a fresh run",
        format!("{:.2} ms vs {:.2} ms", ms(times[2]), ms(times[0])),
        ms(times[2]) / ms(times[0]),
        2.0,
    );
}

/// `status`, `verify` and `report` on the run of 100,000 events, beside the floor of hashing
/// every line once in a process of its own; peak RSS of the JSON report beside `status`.
fn big_log_figures(quick: bool, binary: &Path, session: &Session, dir: &Path, table: &mut Table) {
    let rounds = if quick { 5 } else { 21 };
    let checklist = dir.join("big.toml");
    std::fs::write(&checklist, &session.checklist.text).unwrap();
    let state = &session.state.root;
    let log = session.state.root.join("runs").join(session.checklist.id()).join("big-run").join(EVENTS_FILE);
    let me = std::env::current_exe().unwrap();
    let floor = || {
        let mut c = Command::new(&me);
        c.arg("--hash-lines").arg(&log);
        c
    };
    let run = |args: &'static [&'static str]| {
        let checklist = checklist.clone();
        move || command(binary, state, Some(&checklist), args)
    };
    let status = run(&["status", "--account", "big-run", "--format", "json"]);
    let verify = run(&["verify", "--account", "big-run"]);
    let json = run(&["report", "--account", "big-run", "--format", "json"]);
    let text = run(&["report", "--account", "big-run", "--format", "text"]);
    let times = time_side_by_side(rounds, &[&floor, &status, &verify, &json, &text]);
    let (status_rss, json_rss) = (peak_rss_mib(&status), peak_rss_mib(&json));
    println!(
        "100,000 events ({:.1} MiB log), {rounds} rounds side by side:",
        std::fs::metadata(&log).unwrap().len() as f64 / 1_048_576.0
    );
    println!("  floor: hash every line  {:.1} ms", ms(times[0]));
    println!(
        "  status --format json    {:.1} ms ({:.2}x floor), max RSS {status_rss:.1} MiB",
        ms(times[1]),
        ms(times[1]) / ms(times[0])
    );
    println!("  verify                  {:.1} ms ({:.2}x floor)", ms(times[2]), ms(times[2]) / ms(times[0]));
    println!(
        "  report --format json    {:.1} ms, max RSS {json_rss:.1} MiB ({:.2}x status)",
        ms(times[3]),
        json_rss / status_rss
    );
    println!("  report --format text    {:.1} ms ({:.2}x json)", ms(times[4]), ms(times[4]) / ms(times[3]));
    table.row(
        "`status` on 100,000 events beside hashing every line once",
        format!("{:.1} ms vs {:.1} ms", ms(times[1]), ms(times[0])),
        ms(times[1]) / ms(times[0]),
        1.3,
    );
    table.row(
        "`verify` on 100,000 events beside hashing every line once",
        format!("{:.1} ms vs {:.1} ms", ms(times[2]), ms(times[0])),
        ms(times[2]) / ms(times[0]),
        1.3,
    );
    table.row(
        "`report --format json` on 100,000 events: peak RSS beside `status`",
        format!("{json_rss:.1} MiB vs {status_rss:.1} MiB"),
        json_rss / status_rss,
        2.0,
    );
    table.row(
        "text report beside the JSON report, 100,000 events",
        format!("{:.1} ms vs {:.1} ms", ms(times[4]), ms(times[3])),
        ms(times[4]) / ms(times[3]),
        1.5,
    );
}

/// State directories of 100 and 1,000 runs of the built-in `aws` checklist, each run a start,
/// three facts and a few confirmations with evidence and notes (about 20 events).
fn fleet(dir: &Path, name: &str, count: usize) -> (PathBuf, Vec<PathBuf>) {
    let state = dir.join(name);
    let session = Session {
        state: StateDir { root: state.clone() },
        checklist: Loaded::builtin("aws").unwrap(),
        operator: "bench".into(),
    };
    let ids: Vec<String> = session.checklist.steps().map(|(_, s)| s.id.get_ref().clone()).collect();
    let mut logs = Vec::with_capacity(count);
    for i in 0..count {
        let dir = session.create(&format!("{:012}", 100_000_000_000 + i)).unwrap().dir.clone();
        let facts = ["org_management", "org_member", "ri_or_savings_plans"]
            .map(|fact| EventKind::FactAnswered { fact: fact.into(), value: "no".into() });
        let steps = ids.iter().take(8 + i % 8).enumerate().flat_map(|(n, step)| {
            let evidence = Some(format!("ticket CS-{i}-{n}"));
            [
                EventKind::StepDone {
                    step: step.clone(),
                    note: None,
                    evidence,
                    attested: None,
                    happened_at: None,
                    checks: Vec::new(),
                },
                EventKind::NoteAdded { step: step.clone(), note: format!("checked region {n}") },
            ]
        });
        append_unsynced(&dir, facts.into_iter().chain(steps));
        logs.push(dir.join(EVENTS_FILE));
    }
    (state, logs)
}

/// `status`, `runs` and `report --all` over 100 and 1,000 runs, beside `cat` of all their logs.
fn fleet_figures(quick: bool, binary: &Path, dir: &Path, table: &mut Table) {
    let rounds = if quick { 7 } else { 21 };
    let start = Instant::now();
    let (small_state, small_logs) = fleet(dir, "fleet-100", 100);
    let (big_state, big_logs) = fleet(dir, "fleet-1000", 1000);
    let built = start.elapsed();
    let cat = |logs: &[PathBuf]| {
        let mut c = Command::new("cat");
        c.args(logs);
        c
    };
    let (cat_100, cat_1000) = (|| cat(&small_logs), || cat(&big_logs));
    let at = |state: &Path, args: &'static [&'static str]| {
        let state = state.to_path_buf();
        move || command(binary, &state, None, args)
    };
    let status = (at(&small_state, &["status"]), at(&big_state, &["status"]));
    let runs = (at(&small_state, &["runs"]), at(&big_state, &["runs"]));
    let report = (at(&small_state, &["report", "--all"]), at(&big_state, &["report", "--all"]));
    let bytes: u64 = big_logs.iter().map(|l| std::fs::metadata(l).unwrap().len()).sum();
    // A build from before `runs` and `report --all` (CLOSEACCT_BENCH_BINARY) has `status` only.
    let fleet_commands = Command::new(binary).args(["runs", "--help"]).output().is_ok_and(|o| o.status.success());
    let times = if fleet_commands {
        time_side_by_side(rounds, &[&cat_100, &cat_1000, &status.0, &status.1, &runs.0, &runs.1, &report.0, &report.1])
    } else {
        time_side_by_side(rounds, &[&cat_100, &cat_1000, &status.0, &status.1])
    };
    println!(
        "fleet: 100 and 1,000 runs of `aws` ({:.1} MiB of logs for 1,000; built in {:.1} s), {rounds} rounds side by side:",
        bytes as f64 / 1_048_576.0,
        built.as_secs_f64()
    );
    println!("  cat of all logs        100: {:.1} ms   1,000: {:.1} ms", ms(times[0]), ms(times[1]));
    for (name, i) in [("status", 2), ("runs", 4), ("report --all", 6)].into_iter().filter(|&(_, i)| i < times.len()) {
        let (t100, t1000) = (times[i], times[i + 1]);
        println!(
            "  {name:<22} 100: {:.1} ms   1,000: {:.1} ms ({:.1}x cat; 100 → 1,000: {:.1}x)  [within 3x cat, ≤ 11x]",
            ms(t100),
            ms(t1000),
            ms(t1000) / ms(times[1]),
            ms(t1000) / ms(t100)
        );
        table.row(
            &format!("`{name}` over 1,000 runs beside `cat` of their logs"),
            format!("{:.1} ms vs {:.1} ms", ms(t1000), ms(times[1])),
            ms(t1000) / ms(times[1]),
            3.0,
        );
        table.row(
            &format!("`{name}`: 1,000 runs beside 100"),
            format!("{:.1} ms vs {:.1} ms", ms(t1000), ms(t100)),
            ms(t1000) / ms(t100),
            11.0,
        );
    }
}
