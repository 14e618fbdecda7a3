//! Key dates: the follow-ups of a checklist counted from the times recorded in a run.
//!
//! A follow-up says "`after` this long from when step `from` was done, `text`". Its date is known
//! once that step is done; until then the report lists it as undated, with what starts its clock.
//! Days and weeks are calendar days in the operator's zone (the same wall-clock time 90 days
//! later, whatever daylight-saving does in between); minutes and hours are elapsed time;
//! `end-of-month` is midnight starting the month after the anchor's, local time.

use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan, ZonedDateTime};
use serde::Serialize;

use crate::checklist::{Delay, Loaded, StepKind};
use crate::clock;
use crate::progress::{Progress, Status};
use crate::state::{RecordedStatus, Replay, StepRecord};

/// One date that follows from a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct KeyDate {
    /// The id of the step the follow-up belongs to.
    pub(crate) step: String,
    /// That step's number (`6.5`).
    pub(crate) step_number: String,
    /// The step whose completion starts the clock.
    pub(crate) from_step: String,
    /// The delay as written in the checklist (`90d`, `end-of-month`); `None` for a date the
    /// source gives no length for (a plan's term end).
    pub(crate) after: Option<String>,
    /// When the clock started: the `from` step's completion, if it is done.
    pub(crate) anchor: Option<Timestamp>,
    /// The date itself, once the anchor is known and the delay is computable.
    pub(crate) date: Option<Timestamp>,
    /// Whether the date has passed at the time the dates were computed.
    pub(crate) passed: bool,
    /// What happens then, or what to do if the step is still open.
    pub(crate) text: String,
}

impl KeyDate {
    /// "step 3.3 is still open since 2026-11-24 13:40 (1h after `request-to-close`): <text>": the
    /// date the follow-up fell due, in `zone`, and how it was counted.
    pub(crate) fn reminder_line(&self, zone: &TimeZone) -> String {
        let when = self.date.map_or_else(String::new, |d| format!(" since {}", clock::minutes_in(d, zone)));
        let counted = match self.after.as_deref() {
            Some("end-of-month") => format!(" (the end of the month of `{}`)", self.from_step),
            Some(after) => format!(" ({after} after `{}`)", self.from_step),
            None => String::new(),
        };
        format!("step {} is still open{when}{counted}: {}", self.step_number, self.text)
    }
}

/// Adds a delay to an anchor time, in `zone` for calendar units.
pub(crate) fn add_delay(anchor: Timestamp, delay: Delay, zone: &TimeZone) -> Option<Timestamp> {
    let zoned: ZonedDateTime = anchor.to_zoned_datetime(zone.clone());
    let result = match delay {
        Delay::Minutes(n) => return anchor.checked_add(n.minutes()).ok(),
        Delay::Hours(n) => return anchor.checked_add(n.hours()).ok(),
        Delay::Days(n) => zoned.checked_add(n.days()).ok()?,
        Delay::Weeks(n) => zoned.checked_add(n.weeks()).ok()?,
        Delay::EndOfMonth => {
            let next_month = zoned.date().first_of_month().checked_add(1.month()).ok()?;
            next_month.to_zoned_datetime(zone.clone()).ok()?
        }
    };
    Some(result.timestamp())
}

/// Every follow-up of every step that applies (or was done), dated where its anchor is done,
/// sorted: dated ones by date, then the undated ones in checklist order.
///
/// Left out: a follow-up counted from a step that was skipped or does not apply (its date can
/// never come, and "90d after step X" would mislead), and a repeat of a date already listed with
/// the same text (two routes to the same closure).
pub(crate) fn key_dates(checklist: &Loaded, replay: &Replay, now: Timestamp, zone: &TimeZone) -> Vec<KeyDate> {
    let progress = Progress::new(checklist, replay);
    let never_done = |id: &str| {
        checklist
            .find(id)
            .is_some_and(|r| matches!(progress.status(checklist.step(r)), Status::Skipped | Status::NotApplicable))
    };
    let mut dates: Vec<KeyDate> = Vec::new();
    for (r, step) in checklist.steps() {
        let status = progress.status(step);
        if status == Status::NotApplicable {
            continue;
        }
        for follow_up in &step.follow_up {
            let from_step = follow_up.from.as_ref().map_or_else(|| step.id.get_ref().clone(), |f| f.get_ref().clone());
            if never_done(&from_step) {
                continue;
            }
            // On a step someone else acts on, a date counted from an earlier step is a deadline
            // for that wait ("no confirmation after 1 hour: e-mail support"); once the wait is
            // over it is nothing to watch.
            let chases_the_wait = step.kind == StepKind::Wait && from_step != *step.id.get_ref();
            if chases_the_wait && status.is_resolved() {
                continue;
            }
            let anchor = done_at(replay, &from_step);
            let after = follow_up.after.as_ref().map(|a| a.get_ref().clone());
            let date = match (anchor, after.as_deref().and_then(Delay::parse)) {
                (Some(anchor), Some(delay)) => add_delay(anchor, delay, zone),
                _ => None,
            };
            if date.is_some() && dates.iter().any(|d| d.date == date && d.text == follow_up.text) {
                continue;
            }
            dates.push(KeyDate {
                step: step.id.get_ref().clone(),
                step_number: r.number(),
                from_step,
                after,
                anchor,
                date,
                passed: date.is_some_and(|d| d <= now),
                text: follow_up.text.clone(),
            });
        }
    }
    // Stable: undated ones keep checklist order after the dated ones.
    dates.sort_by_key(|d| (d.date.is_none(), d.date));
    dates
}

/// The follow-ups whose date has passed while their step is still open (pending or waiting):
/// "1 hour has passed since the closure request without a confirmation".
pub(crate) fn due_reminders(checklist: &Loaded, replay: &Replay, now: Timestamp, zone: &TimeZone) -> Vec<KeyDate> {
    let progress = Progress::new(checklist, replay);
    key_dates(checklist, replay, now, zone)
        .into_iter()
        .filter(|d| d.passed)
        .filter(|d| {
            checklist
                .find(&d.step)
                .is_some_and(|r| matches!(progress.status(checklist.step(r)), Status::Pending | Status::Waiting))
        })
        .collect()
}

/// A follow-up of one step as the wizard shows it under the step: its date, counted from when
/// its anchor was done, or from now when the anchor is this step and still open ("if it is done
/// now"); `None` while another step it counts from is still open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StepDate {
    pub(crate) text: String,
    /// The delay in words (`90 days`, `1 hour`, `the end of the month`); `None` for an undated
    /// follow-up.
    pub(crate) after: Option<String>,
    pub(crate) date: Option<Timestamp>,
    /// Whether the date is counted from now, as if the step were done now.
    pub(crate) if_done_now: bool,
    /// The step the clock starts from, when it is another one.
    pub(crate) from_other: Option<String>,
}

/// The follow-ups of step `step_id`, dated as far as the run allows (see [`StepDate`]).
pub(crate) fn step_dates(
    checklist: &Loaded,
    replay: &Replay,
    step_id: &str,
    now: Timestamp,
    zone: &TimeZone,
) -> Vec<StepDate> {
    let Some(step) = checklist.find(step_id).map(|r| checklist.step(r)) else { return Vec::new() };
    step.follow_up
        .iter()
        .map(|follow_up| {
            let from = follow_up.from.as_ref().map_or(step_id, |f| f.get_ref().as_str());
            let delay = follow_up.after.as_ref().and_then(|a| Delay::parse(a.get_ref()));
            let done = done_at(replay, from);
            let if_done_now = done.is_none() && from == step_id;
            let anchor = done.or_else(|| if_done_now.then_some(now));
            StepDate {
                text: follow_up.text.clone(),
                after: delay.map(in_words),
                date: anchor.zip(delay).and_then(|(anchor, delay)| add_delay(anchor, delay, zone)),
                if_done_now,
                from_other: (from != step_id).then(|| from.to_owned()),
            }
        })
        .collect()
}

/// `90 days`, `1 hour`, `2 weeks`, `30 minutes`, `the end of the month`.
fn in_words(delay: Delay) -> String {
    let plural = |n: i64, unit: &str| if n == 1 { format!("1 {unit}") } else { format!("{n} {unit}s") };
    match delay {
        Delay::Minutes(n) => plural(n, "minute"),
        Delay::Hours(n) => plural(n, "hour"),
        Delay::Days(n) => plural(n, "day"),
        Delay::Weeks(n) => plural(n, "week"),
        Delay::EndOfMonth => "the end of the month".to_owned(),
    }
}

/// When a step was first done, if it is done.
fn done_at(replay: &Replay, step: &str) -> Option<Timestamp> {
    replay.steps.get(step).filter(|r| r.status == RecordedStatus::Done).map(StepRecord::happened)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::testing::done;
    use crate::state::{Event, EventKind};

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn local(zone: &TimeZone, t: Timestamp) -> String {
        t.to_zoned_datetime(zone.clone()).strftime("%Y-%m-%d %H:%M %Z").to_string()
    }

    /// US Eastern with its daylight-saving rules, without needing a time zone database.
    fn eastern() -> TimeZone {
        TimeZone::posix("EST5EDT,M3.2.0,M11.1.0").unwrap()
    }

    #[test]
    fn end_of_month_is_midnight_starting_the_next_month() {
        let utc = TimeZone::UTC;
        let at = |t| local(&utc, add_delay(ts(t), Delay::EndOfMonth, &utc).unwrap());
        assert_eq!(at("2026-01-31T23:59:59Z"), "2026-02-01 00:00 UTC");
        assert_eq!(at("2026-01-01T00:00:00Z"), "2026-02-01 00:00 UTC");
        // Year end.
        assert_eq!(at("2026-12-15T10:00:00Z"), "2027-01-01 00:00 UTC");
        // February of a leap year, and the leap day itself.
        assert_eq!(at("2028-02-29T12:00:00Z"), "2028-03-01 00:00 UTC");
        assert_eq!(at("2027-02-28T12:00:00Z"), "2027-03-01 00:00 UTC");
    }

    #[test]
    fn end_of_month_is_counted_in_the_local_zone() {
        // 2026-11-30 22:00 in New York is already December in UTC; the local month is November.
        let zone = eastern();
        let close = add_delay(ts("2026-12-01T03:00:00Z"), Delay::EndOfMonth, &zone).unwrap();
        assert_eq!(local(&zone, close), "2026-12-01 00:00 EST");
        assert_eq!(close, ts("2026-12-01T05:00:00Z"));
    }

    #[test]
    fn days_cross_month_year_and_leap_day_boundaries() {
        let utc = TimeZone::UTC;
        let at = |t, n| local(&utc, add_delay(ts(t), Delay::Days(n), &utc).unwrap());
        assert_eq!(at("2026-11-24T13:40:00Z", 90), "2027-02-22 13:40 UTC");
        assert_eq!(at("2026-12-31T23:30:00Z", 1), "2027-01-01 23:30 UTC");
        // 2028 is a leap year: 90 days from 2027-12-01 lands on 2028-02-29.
        assert_eq!(at("2027-12-01T09:00:00Z", 90), "2028-02-29 09:00 UTC");
        assert_eq!(at("2028-02-29T09:00:00Z", 1), "2028-03-01 09:00 UTC");
        assert_eq!(at("2026-01-31T09:00:00Z", 28), "2026-02-28 09:00 UTC");
    }

    #[test]
    fn days_keep_the_wall_clock_across_daylight_saving_and_hours_do_not() {
        let zone = eastern();
        // 2027-03-14 02:00 EST becomes EDT. 90 days from 2027-01-10 10:00 EST.
        let start = ts("2027-01-10T15:00:00Z");
        let later = add_delay(start, Delay::Days(90), &zone).unwrap();
        assert_eq!(local(&zone, later), "2027-04-10 10:00 EDT");
        assert_eq!(later.duration_since(start).as_secs() / 3600, 90 * 24 - 1);
        // Elapsed hours ignore the wall clock: 24h over the change is 11:00 local.
        let before_change = ts("2027-03-13T15:00:00Z");
        assert_eq!(local(&zone, add_delay(before_change, Delay::Hours(24), &zone).unwrap()), "2027-03-14 11:00 EDT");
        // Back in November: 2 weeks across the change keep 10:00.
        let autumn = ts("2027-10-30T14:00:00Z");
        assert_eq!(local(&zone, add_delay(autumn, Delay::Weeks(2), &zone).unwrap()), "2027-11-13 10:00 EST");
        // One hour after 01:30 on the night the clocks go back is 01:30 again, an hour later.
        let ambiguous = ts("2027-11-07T05:30:00Z");
        assert_eq!(add_delay(ambiguous, Delay::Hours(1), &zone).unwrap(), ts("2027-11-07T06:30:00Z"));
    }

    const CHECKLIST: &str = include_str!("../tests/fixtures/checklists/valid/dates.toml");

    fn replay(kinds: Vec<(&str, EventKind)>) -> Replay {
        let mut replay = Replay::default();
        for (i, (at, kind)) in kinds.into_iter().enumerate() {
            replay.apply(&Event { v: 1, seq: i as u64 + 1, prev: String::new(), at: ts(at), by: "ana".into(), kind });
        }
        replay
    }

    #[test]
    fn dates_that_can_never_come_and_repeats_are_left_out() {
        let checklist = Loaded::parse(CHECKLIST, "t.toml").unwrap();
        let utc = TimeZone::UTC;
        let skipped = replay(vec![
            ("2026-11-30T22:30:00Z", EventKind::FactAnswered { fact: "ri".into(), value: "no".into() }),
            (
                "2026-11-30T22:40:00Z",
                EventKind::StepSkipped { step: "request".into(), reason: "by ticket".into(), happened_at: None },
            ),
        ]);
        assert!(key_dates(&checklist, &skipped, ts("2026-12-02T00:00:00Z"), &utc).is_empty());

        // The same follow-up on two steps, counted from the same step: listed once.
        let twice = CHECKLIST.replace(
            "from = \"request\"\ntext = \"no confirmation: e-mail support\"",
            "from = \"request\"\ntext = \"final invoice\"",
        );
        let twice = twice.replace("after = \"1h\"", "after = \"end-of-month\"");
        let checklist = Loaded::parse(&twice, "t.toml").unwrap();
        let requested = replay(vec![("2026-11-30T22:40:00Z", done("request"))]);
        let dates = key_dates(&checklist, &requested, ts("2026-11-30T23:00:00Z"), &utc);
        let texts: Vec<_> = dates.iter().filter(|d| d.date.is_some()).map(|d| d.text.as_str()).collect();
        assert_eq!(texts, ["final invoice"]);
    }

    #[test]
    fn dates_follow_the_recorded_times_and_reminders_fire_only_for_open_steps() {
        let checklist = Loaded::parse(CHECKLIST, "t.toml").unwrap();
        let utc = TimeZone::UTC;
        let facts = EventKind::FactAnswered { fact: "ri".into(), value: "yes".into() };

        let before = replay(vec![("2026-11-30T22:30:00Z", facts.clone())]);
        let dates = key_dates(&checklist, &before, ts("2026-11-30T23:00:00Z"), &utc);
        assert!(dates.iter().all(|d| d.date.is_none()), "nothing is dated before the request");
        assert_eq!(dates.len(), 3);

        let requested =
            replay(vec![("2026-11-30T22:30:00Z", facts.clone()), ("2026-11-30T22:40:00Z", done("request"))]);
        let requested_dates = key_dates(&checklist, &requested, ts("2026-11-30T23:00:00Z"), &utc);
        let summary: Vec<_> = requested_dates.iter().map(|d| (d.step.as_str(), d.date, d.passed)).collect();
        assert_eq!(
            summary,
            [
                ("confirmation", Some(ts("2026-11-30T23:40:00Z")), false),
                ("request", Some(ts("2026-12-01T00:00:00Z")), false),
                ("ri-term", None, false),
            ]
        );
        assert!(due_reminders(&checklist, &requested, ts("2026-11-30T23:39:59Z"), &utc).is_empty());
        let due = due_reminders(&checklist, &requested, ts("2026-11-30T23:40:00Z"), &utc);
        assert_eq!(due.len(), 1);
        assert_eq!((due[0].step_number.as_str(), due[0].text.as_str()), ("1.2", "no confirmation: e-mail support"));

        let confirmed = replay(vec![
            ("2026-11-30T22:30:00Z", facts),
            ("2026-11-30T22:40:00Z", done("request")),
            ("2026-12-01T09:00:00Z", done("confirmation")),
        ]);
        assert!(due_reminders(&checklist, &confirmed, ts("2026-12-02T00:00:00Z"), &utc).is_empty());
        let left: Vec<_> =
            key_dates(&checklist, &confirmed, ts("2026-12-02T00:00:00Z"), &utc).into_iter().map(|d| d.step).collect();
        assert_eq!(left, ["request", "ri-term"], "the confirmation came: its deadline is nothing to watch");

        let no_ri =
            replay(vec![("2026-11-30T22:30:00Z", EventKind::FactAnswered { fact: "ri".into(), value: "no".into() })]);
        let dates = key_dates(&checklist, &no_ri, ts("2026-11-30T23:00:00Z"), &utc);
        assert!(dates.iter().all(|d| d.step != "ri-term"), "a step that does not apply brings no date");
    }
}
