//! The current time, injectable so tests and reports are reproducible.
//!
//! `CLOSEACCT_NOW` (an RFC 3339 timestamp) pins "now"; tests set it so snapshots and key dates do
//! not depend on the wall clock.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, OnceLock};

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::bounded;

/// The environment variable that pins the clock.
pub(crate) const NOW_ENV: &str = "CLOSEACCT_NOW";

/// Now, or the pinned time from `CLOSEACCT_NOW`, to the whole second: records and reports show
/// seconds, and sub-second digits would only make them harder to read and compare. A malformed
/// `CLOSEACCT_NOW` is refused once, at start-up, by [`check_pinned`].
pub fn now() -> Timestamp {
    let now = pinned().ok().flatten().unwrap_or_else(Timestamp::now);
    Timestamp::from_second(now.as_second()).unwrap_or(now)
}

/// The time `CLOSEACCT_NOW` pins, if it is set; `Err` with the value when it is not a time.
fn pinned() -> std::result::Result<Option<Timestamp>, String> {
    match std::env::var(NOW_ENV) {
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(value)) => Err(value.to_string_lossy().into_owned()),
        Ok(text) => text.parse().map(Some).map_err(|_| text),
    }
}

/// Refuses a `CLOSEACCT_NOW` that is set but is not an RFC 3339 time, rather than silently using
/// the wall clock (a report or a record would then carry a time nobody asked for).
pub(crate) fn check_pinned() -> std::result::Result<(), String> {
    pinned().map(|_| ()).map_err(|value| {
        format!("{NOW_ENV} is `{}`, not an RFC 3339 time such as 2026-11-24T13:40:00Z", value.escape_debug())
    })
}

/// The operator's time zone (`TZ`, else the system's), UTC when neither can be read. Found once
/// per process: the wizard and `status` ask for it for every recorded event and every reminder.
/// A `TZ` that cannot be used (not a zone, a file that is not one, `/dev/zero`) is a warning on
/// stderr and UTC, never a hang: every file is read with a bound.
pub(crate) fn local_zone() -> TimeZone {
    static ZONE: OnceLock<TimeZone> = OnceLock::new();
    let find = || match std::env::var_os("TZ") {
        None => zone_linked_from(Path::new(LOCALTIME)).or_else(|| TimeZone::try_system().ok()).unwrap_or(TimeZone::UTC),
        Some(value) => {
            let spec = value.to_string_lossy();
            zone_named(&spec).unwrap_or_else(|reason| {
                eprintln!("closeacct: warning: TZ=`{}` cannot be used ({reason}); using UTC", spec.escape_debug());
                TimeZone::UTC
            })
        }
    };
    ZONE.get_or_init(find).clone()
}

/// How the operator's zone is named in a run's record, so that any reader can compute the same
/// dates: its IANA name where known (`Europe/Berlin`), else the `TZ` it came from (a POSIX rule
/// such as `EST5EDT,M3.2.0,M11.1.0`, or a file's path), else `UTC`.
pub(crate) fn local_zone_name() -> String {
    let zone = local_zone();
    if let Some(name) = zone.iana_name() {
        return name.to_owned();
    }
    match std::env::var("TZ") {
        Ok(spec) if zone_named(&spec).is_ok() => spec.strip_prefix(':').unwrap_or(&spec).to_owned(),
        _ => "UTC".to_owned(),
    }
}

/// The zone a run's times are shown and its key dates counted in: the one recorded when the run
/// began, so every reader gets the same dates whatever their own `TZ`. UTC for a run from before
/// zones were recorded, and for a recorded zone this machine cannot find (with a warning).
pub(crate) fn run_zone(recorded: Option<&str>) -> TimeZone {
    static ZONES: OnceLock<Mutex<HashMap<String, TimeZone>>> = OnceLock::new();
    let Some(name) = recorded else { return TimeZone::UTC };
    let mut zones = ZONES.get_or_init(Mutex::default).lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    zones
        .entry(name.to_owned())
        .or_insert_with(|| {
            zone_named(name).unwrap_or_else(|reason| {
                eprintln!(
                    "closeacct: warning: the run's time zone `{}` cannot be used here ({reason}); showing UTC",
                    name.escape_debug()
                );
                TimeZone::UTC
            })
        })
        .clone()
}

/// The zone a name or `TZ` value stands for: an IANA name looked up in the zoneinfo directory, a
/// POSIX rule, or (starting with `/`) a zone file; each file read with a bound.
pub(crate) fn zone_named(spec: &str) -> Result<TimeZone, String> {
    let spec = spec.strip_prefix(':').unwrap_or(spec);
    if spec.is_empty() || spec == "UTC" {
        return Ok(TimeZone::UTC);
    }
    if spec.starts_with('/') {
        let bytes = bounded::read(Path::new(spec), MAX_ZONE_FILE, true).map_err(|e| e.reason())?;
        let name = spec.rfind(ZONEINFO).map_or(spec, |at| &spec[at + ZONEINFO.len()..]);
        return TimeZone::tzif(name, &bytes).map_err(|e| e.to_string());
    }
    let is_name = spec.split('/').all(|part| {
        !part.is_empty() && part != ".." && part.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-+".contains(&b))
    });
    if is_name && let Some(zone) = zone_file(spec) {
        return zone;
    }
    TimeZone::posix(spec).map_err(|_| "neither a zone name nor a POSIX TZ rule".to_owned())
}

/// Reads the zone `name` from the first zoneinfo directory that has it; `None` when none does.
fn zone_file(name: &str) -> Option<Result<TimeZone, String>> {
    let dirs = std::env::var("TZDIR").into_iter().chain(
        ["/usr/share/zoneinfo", "/usr/lib/zoneinfo", "/usr/share/lib/zoneinfo", "/etc/zoneinfo"].map(String::from),
    );
    dirs.map(|dir| Path::new(&dir).join(name)).find(|path| path.is_file()).map(|path| {
        let bytes = bounded::read(&path, MAX_ZONE_FILE, true).map_err(|e| e.reason())?;
        TimeZone::tzif(name, &bytes).map_err(|e| e.to_string())
    })
}

/// Zone files are a few kilobytes; anything much larger is not one.
const MAX_ZONE_FILE: u64 = 1 << 20;

const ZONEINFO: &str = "zoneinfo/";

/// `2026-11-24 14:02`: a time in `zone` to the minute, as `status` and the wizard show it.
pub(crate) fn minutes_in(at: Timestamp, zone: &TimeZone) -> String {
    at.to_zoned_datetime(zone.clone()).strftime("%Y-%m-%d %H:%M").to_string()
}

/// `2026-11-24`: the date of a time in `zone`.
pub(crate) fn date_in(at: Timestamp, zone: &TimeZone) -> String {
    at.to_zoned_datetime(zone.clone()).strftime("%Y-%m-%d").to_string()
}

const LOCALTIME: &str = "/etc/localtime";

/// The zone a link such as `/etc/localtime` points to in a zoneinfo directory, named as jiff names
/// it. jiff finds the same zone, but first indexes the whole zoneinfo directory, which takes
/// longer than replaying a run of a thousand events.
fn zone_linked_from(link: &Path) -> Option<TimeZone> {
    let target = std::fs::read_link(link).ok()?;
    let target = target.to_str()?;
    let name = &target[target.rfind(ZONEINFO)? + ZONEINFO.len()..];
    TimeZone::tzif(name, &bounded::read(link, MAX_ZONE_FILE, true).ok()?).ok()
}

/// `+01:00`: an offset as RFC 3339 writes it.
fn offset_text(offset: jiff::tz::Offset) -> String {
    let seconds = offset.seconds();
    let sign = if seconds < 0 { '-' } else { '+' };
    let minutes = seconds.unsigned_abs() / 60;
    format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60)
}

/// When something happened, as an operator writes it: an RFC 3339 time with its offset
/// (`2026-11-20T16:10+01:00`), a date and time in `zone` (`2026-11-20 16:10`, `2026-11-20T16:10`),
/// or `today 16:10`, `yesterday 16:10`, `16:10` (today) and `now`. The result is to the second;
/// whether it is plausible (not in the future, not before the run) is the caller's to check.
pub(crate) fn parse_happened(text: &str, now: Timestamp, zone: &TimeZone) -> Result<Timestamp, String> {
    let text = text.trim();
    let lower = text.to_ascii_lowercase();
    let today = now.to_zoned_datetime(zone.clone()).date();
    // A wall-clock time the clocks skipped, or showed twice, names no one moment: refused, with
    // what to write instead, rather than shifted or guessed.
    let mut unclear = None;
    let mut local = |at: jiff::civil::DateTime| -> Option<Timestamp> {
        let ambiguous = zone.to_ambiguous_timestamp(at);
        let (clocks, before, after) = match ambiguous.offset() {
            jiff::tz::AmbiguousOffset::Gap { before, after } => ("skipped (the clocks went forward)", before, after),
            jiff::tz::AmbiguousOffset::Fold { before, after } => ("came twice (the clocks went back)", before, after),
            jiff::tz::AmbiguousOffset::Unambiguous { .. } => return ambiguous.unambiguous().ok(),
        };
        let wall = at.strftime("%Y-%m-%dT%H:%M");
        unclear = Some(format!(
            "{} {clocks} in {}; give the offset: {wall}{} or {wall}{}",
            at.strftime("%Y-%m-%d %H:%M"),
            zone.iana_name().unwrap_or("the run's time zone"),
            offset_text(before),
            offset_text(after),
        ));
        None
    };
    let mut civil = |date: jiff::civil::Date, time: &str| -> Option<Timestamp> {
        let time: jiff::civil::Time = time.trim().parse().ok()?;
        local(date.to_datetime(time))
    };
    let parsed = if lower == "now" {
        Some(now)
    } else if !text.contains(':') {
        // A date alone would be recorded as its midnight, a time nobody gave.
        None
    } else if let Some(time) = lower.strip_prefix("yesterday") {
        today.yesterday().ok().and_then(|date| civil(date, time))
    } else if let Some(time) = lower.strip_prefix("today") {
        civil(today, time)
    } else if let Ok(at) = text.parse::<Timestamp>() {
        Some(at)
    } else if let Ok(at) = text.replacen(' ', "T", 1).parse::<jiff::civil::DateTime>() {
        local(at)
    } else {
        civil(today, text)
    };
    if let Some(unclear) = unclear {
        return Err(unclear);
    }
    let at = parsed.ok_or_else(|| {
        format!(
            "`{}` is not a time; write 2026-11-20T16:10+01:00, 2026-11-20 16:10, yesterday 16:10 or 16:10",
            text.escape_debug()
        )
    })?;
    Ok(Timestamp::from_second(at.as_second()).unwrap_or(at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_linked_zone_is_the_zone_jiff_finds() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["America/New_York", "Asia/Seoul", "Etc/UTC", "Australia/Lord_Howe"] {
            let Ok(expected) = TimeZone::get(name) else { continue };
            let link = dir.path().join(name.replace('/', "-"));
            std::os::unix::fs::symlink(Path::new("/usr/share/zoneinfo").join(name), &link).unwrap();
            let linked = zone_linked_from(&link).expect("a zone");
            assert_eq!(linked.iana_name(), Some(name));
            for at in ["2026-03-08T06:59:59Z", "2026-03-08T07:00:00Z", "2026-11-01T06:00:00Z", "2026-07-01T00:00:00Z"] {
                let at: Timestamp = at.parse().unwrap();
                assert_eq!(linked.to_offset(at), expected.to_offset(at), "{name} at {at}");
            }
        }
        assert!(zone_linked_from(&dir.path().join("missing")).is_none());
        let plain = dir.path().join("plain");
        std::fs::write(&plain, "not a link").unwrap();
        assert!(zone_linked_from(&plain).is_none());
    }

    #[test]
    fn a_happened_time_is_read_as_an_operator_writes_it() {
        let now: Timestamp = "2026-11-24T13:40:27Z".parse().unwrap();
        let paris = TimeZone::get("Europe/Paris").unwrap();
        let at = |text: &str| parse_happened(text, now, &paris).map(|t| t.to_string());
        assert_eq!(at("2026-11-20T16:10+01:00").unwrap(), "2026-11-20T15:10:00Z");
        assert_eq!(at("2026-11-20T16:10:30Z").unwrap(), "2026-11-20T16:10:30Z");
        assert_eq!(at("2026-11-20 16:10").unwrap(), "2026-11-20T15:10:00Z");
        assert_eq!(at("2026-11-20T16:10").unwrap(), "2026-11-20T15:10:00Z");
        assert_eq!(at("yesterday 16:10").unwrap(), "2026-11-23T15:10:00Z");
        assert_eq!(at("Yesterday  09:05").unwrap(), "2026-11-23T08:05:00Z");
        assert_eq!(at("today 08:00").unwrap(), "2026-11-24T07:00:00Z");
        assert_eq!(at("14:30").unwrap(), "2026-11-24T13:30:00Z");
        assert_eq!(at(" now ").unwrap(), "2026-11-24T13:40:27Z");
        for bad in ["", "soon", "2026-11-20", "25:00", "yesterday", "2026-13-01 10:00", "1700000000"] {
            let err = at(bad).unwrap_err();
            assert!(err.contains("is not a time"), "{bad}: {err}");
        }
        // The hour the clocks skip, and the one they show twice, name no one moment in Paris;
        // with the offset each is one.
        assert_eq!(
            at("2026-03-29 02:30").unwrap_err(),
            "2026-03-29 02:30 skipped (the clocks went forward) in Europe/Paris; give the offset: 2026-03-29T02:30+01:00 or 2026-03-29T02:30+02:00"
        );
        assert_eq!(
            at("2026-10-25 02:30").unwrap_err(),
            "2026-10-25 02:30 came twice (the clocks went back) in Europe/Paris; give the offset: 2026-10-25T02:30+02:00 or 2026-10-25T02:30+01:00"
        );
        assert_eq!(at("2026-10-25T02:30+01:00").unwrap(), "2026-10-25T01:30:00Z");
    }
}
