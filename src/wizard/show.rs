//! What the wizard shows of a step before its menu: where it is, what to do (the paragraphs that
//! apply to this account's answers), warnings, links, the sources it comes from, the dates that
//! follow from it, and its checks.

use super::walk::{RUN_CHECK, Walk};
use super::{say_indented, say_wrapped};
use crate::checklist::{Actor, StepKind, StepRef};
use crate::clock;
use crate::dates::{self, StepDate};
use crate::progress::Progress;
use crate::session::ActiveRun;

impl Walk<'_, '_> {
    pub(super) fn show_step(&mut self, run: &ActiveRun, r: StepRef) {
        let c = &self.checklist.checklist;
        let step = self.checklist.step(r);
        let counts = Progress::new(self.checklist, &run.replay).counts();
        let stage = &c.stages[r.stage];
        self.p.say("");
        self.p.progress(
            &format!("Stage {}/{} · {}", r.stage + 1, c.stages.len(), stage.title),
            counts.resolved_applicable() as u64,
            counts.applicable as u64,
        );
        let who = match step.kind {
            StepKind::Wait => format!("{} acts", step.actor),
            _ if step.actor == Actor::Customer => "you do this · customer".to_owned(),
            _ => format!("{}", step.actor),
        };
        say_wrapped(self.p, &format!("  Step {}  {}   ({who})", r.number(), step.title));
        self.p.say("");
        say_indented(self.p, &self.checklist.detail_for(step, &run.replay.facts), "  ");
        if let Some(warning) = &step.warning {
            self.p.say("");
            say_indented(self.p, &format!("! {warning}"), "  ");
        }
        for link in &step.links {
            self.p.say(&format!("  → {}: {}", link.label, link.url));
        }
        self.show_dates(run, r);
        self.show_sources(r);
        self.show_checks(run, r);
        self.p.say("");
    }

    /// The dates that follow from the step, computed in the run's zone: when the step is still
    /// open and starts the clock, the date it would give if done now.
    fn show_dates(&mut self, run: &ActiveRun, r: StepRef) {
        let step = self.checklist.step(r);
        let zone = clock::run_zone(run.replay.zone.as_deref());
        let dates = dates::step_dates(self.checklist, &run.replay, step.id.get_ref(), clock::now(), &zone);
        for date in dates {
            say_wrapped(self.p, &format!("  ⏲ {}", date_line(&date, &zone)));
        }
    }

    /// `Source: [b1] Title <https://…>`, for each source the step cites.
    fn show_sources(&mut self, r: StepRef) {
        let c = &self.checklist.checklist;
        for id in &self.checklist.step(r).sources {
            if let Some(source) = c.sources.iter().find(|s| s.id.get_ref() == id.get_ref()) {
                let url = source.url.as_deref().map_or_else(String::new, |url| format!(" <{url}>"));
                say_wrapped(self.p, &format!("  Source: [{}] {}{url}", id.get_ref(), source.title));
            }
        }
    }

    /// A step's checks: what each shows and the exact commands it runs (the `foreach` variable
    /// as `{region}` until its words are known), and how the latest run of each ended.
    fn show_checks(&mut self, run: &ActiveRun, r: StepRef) {
        let step = self.checklist.step(r);
        if self.checklist.checks(step).is_empty() {
            return;
        }
        self.p.say("");
        let plans = match self.session.check_plans(run, r) {
            Ok(plans) => plans,
            Err(e) => {
                say_wrapped(self.p, &format!("  ✘ this step's check cannot run: {e}"));
                return;
            }
        };
        say_wrapped(
            self.p,
            &format!(
                "  A check can show whether this is done: read-only commands that run only when you choose \"{}\", with your environment and credentials.",
                RUN_CHECK.0
            ),
        );
        for (n, plan) in (1..).zip(&plans) {
            say_wrapped(self.p, &format!("    {n}. {}", plan.summary));
            for (i, line) in plan.display(None).iter().enumerate() {
                let each = match &plan.foreach {
                    Some((variable, _)) if i == 1 => format!("   (for each {{{variable}}})"),
                    _ => String::new(),
                };
                self.p.say(&format!("       $ {line}{each}"));
            }
        }
        let zone = clock::run_zone(run.replay.zone.as_deref());
        for (n, ran) in run.replay.latest_checks(step.id.get_ref()) {
            let outcome = if ran.passed { "passed" } else { "failed" };
            let when = clock::minutes_in(ran.at, &zone);
            say_wrapped(self.p, &format!("  Last run of check {n}: {outcome} {when} by {} (seq {})", ran.by, ran.seq));
        }
    }
}

/// `content is deleted: on or after 2027-02-22 (90 days after this step, if it is done now)`.
/// Days, weeks and month ends are dates; hours and minutes are times.
fn date_line(date: &StepDate, zone: &jiff::tz::TimeZone) -> String {
    let when = match (date.date, date.after.as_deref()) {
        (Some(at), Some(after)) => {
            let hourly = after.ends_with("hour") || after.ends_with("hours") || after.contains("minute");
            let shown = if hourly { clock::minutes_in(at, zone) } else { clock::date_in(at, zone) };
            let from = match (&date.from_other, date.if_done_now) {
                (Some(other), _) => format!("{after} after step `{other}`"),
                (None, true) => format!("{after} after this step, if it is done now"),
                (None, false) => format!("{after} after this step"),
            };
            format!("on or after {shown} ({from})")
        }
        (None, Some(after)) => match &date.from_other {
            Some(other) => format!("{after} after step `{other}` is done"),
            None => format!("{after} after this step"),
        },
        (_, None) => "no date given".to_owned(),
    };
    // "The vendor deletes the data.: on or after …" would read as a typo.
    format!("{}: {when}", date.text.trim_end_matches('.'))
}
