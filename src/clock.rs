//! The current time, injectable so tests and reports are reproducible.
//!
//! `CLOSEACCT_NOW` (an RFC 3339 timestamp) pins "now"; tests set it so snapshots and key dates do
//! not depend on the wall clock.

use jiff::Timestamp;
use jiff::tz::TimeZone;

/// The environment variable that pins the clock.
pub const NOW_ENV: &str = "CLOSEACCT_NOW";

/// Now, or the pinned time from `CLOSEACCT_NOW`, to the whole second: records and reports show
/// seconds, and sub-second digits would only make them harder to read and compare.
pub fn now() -> Timestamp {
    let now = std::env::var(NOW_ENV).ok().and_then(|text| text.parse().ok()).unwrap_or_else(Timestamp::now);
    Timestamp::from_second(now.as_second()).unwrap_or(now)
}

/// The operator's time zone (`TZ`, else the system's), UTC when neither can be read.
pub fn local_zone() -> TimeZone {
    TimeZone::try_system().unwrap_or(TimeZone::UTC)
}
