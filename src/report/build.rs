//! Folding a run into a [`Report`]: its facts, its steps with their history and checks, and what
//! the log records of steps the checklist no longer lists.

use std::collections::HashSet;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::{
    AcceptedChange, CheckReport, ChecklistInfo, Entries, FactReport, History, Report, RunInfo, SCHEMA_VERSION,
    SourceInfo, StageReport, StepReport, UnlistedStep,
};
use crate::checklist::{Checklist, FactKind, Step, StepRef};
use crate::dates;
use crate::progress::{Progress, Status};
use crate::session::ReadRun;
use crate::state::{EVENTS_FILE, Entry};

/// Every recorded run of a step's checks, oldest first.
fn check_reports<'a>(run: &'a ReadRun, step: &str) -> Vec<CheckReport<'a>> {
    run.replay.checks.get(step).into_iter().flatten().filter_map(CheckReport::of).collect()
}

/// Builds the report of a run at `now`; dates are computed in `zone`.
pub(crate) fn build<'a>(run: &'a ReadRun, now: Timestamp, zone: &TimeZone) -> Report<'a> {
    let checklist = &run.checklist;
    let c = &checklist.checklist;
    let replay = &run.replay;
    let progress = Progress::new(checklist, replay);
    Report {
        schema_version: SCHEMA_VERSION,
        generated_at: now,
        provider: run.provider.clone(),
        account: run.account.clone(),
        checklist: ChecklistInfo {
            id: checklist.id().to_owned(),
            name: c.name.clone(),
            version: c.version,
            sha256: checklist.sha256.clone(),
            sources: source_infos(c),
        },
        run: RunInfo {
            started_at: replay.started_at,
            started_by: replay.started_by.clone(),
            completed_at: replay.completed_at,
            complete: progress.is_complete(),
            reopened_at: replay.reopened_at,
            zone: replay.zone.clone().unwrap_or_else(|| "UTC".to_owned()),
            operators: replay.operators.iter().map(ToString::to_string).collect(),
            last_activity: replay.last_at,
            state_file: run.dir.join(EVENTS_FILE).display().to_string(),
            events: run.end.count,
            last_hash: run.end.last_hash.clone(),
            head: format!("{}:{}", run.end.count, run.end.last_hash),
            torn_bytes: run.end.torn.as_ref().map(Vec::len),
        },
        counts: progress.counts(),
        facts: fact_reports(run),
        stages: stage_reports(run, &progress),
        unlisted_steps: unlisted_steps(run),
        key_dates: dates::key_dates(checklist, replay, now, zone),
        checklist_changes: replay
            .accepted_changes
            .iter()
            .map(|(at, by, changes)| AcceptedChange { at: *at, by: by.clone(), changes: changes.clone() })
            .collect(),
        pending_checklist_changes: run.pending_changes.clone(),
    }
}

/// The checklist's sources: its `[[sources]]`, or its single `[source]`.
fn source_infos(c: &Checklist) -> Vec<SourceInfo> {
    let listed = c.sources.iter().map(|s| SourceInfo {
        id: Some(s.id.get_ref().clone()),
        title: s.title.clone(),
        publisher: s.publisher.clone(),
        url: s.url.clone(),
        date: s.read.clone(),
        reference: None,
    });
    let single = c.source.iter().map(|s| SourceInfo {
        id: None,
        title: s.title.clone(),
        publisher: s.publisher.clone(),
        url: s.url.clone(),
        date: s.date.clone(),
        reference: s.reference.clone(),
    });
    single.chain(listed).collect()
}

/// Every fact with its latest answer and the earlier ones.
fn fact_reports(run: &ReadRun) -> Vec<FactReport> {
    let replay = &run.replay;
    run.checklist
        .checklist
        .facts
        .iter()
        .map(|fact| {
            let id = fact.id.get_ref();
            let mut history: Vec<Entry> = replay
                .fact_history
                .iter()
                .filter(|(f, ..)| f == id)
                .map(|(_, value, at, by)| Entry { at: *at, by: by.as_str().into(), text: value.clone() })
                .collect();
            let latest = history.pop();
            let answer_label = match (fact.kind, &latest) {
                (FactKind::Choice, Some(latest)) => fact
                    .choices
                    .iter()
                    .find(|choice| *choice.id.get_ref() == latest.text)
                    .map(|choice| choice.label.clone()),
                _ => None,
            };
            FactReport {
                id: id.clone(),
                question: fact.question.replace("{account}", &run.account),
                answer: latest.as_ref().map(|e| e.text.clone()),
                answer_label,
                answered_at: latest.as_ref().map(|e| e.at),
                answered_by: latest.map(|e| e.by.to_string()),
                earlier_answers: history,
            }
        })
        .collect()
}

/// Every stage, with each of its steps and what was recorded for it.
fn stage_reports<'a>(run: &'a ReadRun, progress: &Progress<'_>) -> Vec<StageReport<'a>> {
    let checklist = &run.checklist;
    checklist
        .checklist
        .stages
        .iter()
        .enumerate()
        .map(|(s, stage)| StageReport {
            number: s + 1,
            id: stage.id.get_ref().clone(),
            title: stage.title.clone(),
            steps: checklist
                .steps()
                .filter(|(r, _)| r.stage == s)
                .map(|(r, step)| step_report(run, progress, r, step))
                .collect(),
        })
        .collect()
}

fn step_report<'a>(run: &'a ReadRun, progress: &Progress<'_>, r: StepRef, step: &Step) -> StepReport<'a> {
    let record = run.replay.steps.get(step.id.get_ref());
    let status = progress.status(step);
    let (at, happened_at, by) = match (status, record) {
        (Status::Done | Status::Skipped, Some(record)) => {
            (Some(record.at), record.happened_at, Some(record.by.clone()))
        }
        (Status::Waiting, Some(record)) => (record.waiting_since, None, Some(record.by.clone())),
        _ => (None, None, None),
    };
    StepReport {
        number: r.number(),
        id: step.id.get_ref().clone(),
        title: step.title.clone(),
        actor: step.actor,
        kind: step.kind,
        status,
        when: step.when.as_ref().map(|w| w.get_ref().clone()),
        sources: step.sources.iter().map(|s| s.get_ref().clone()).collect(),
        at,
        happened_at,
        by,
        skip_reason: record.filter(|_| status == Status::Skipped).and_then(|r| r.reason.clone()),
        attested: record.and_then(|r| r.attested.clone()),
        waiting_on: record.filter(|_| status == Status::Waiting).and_then(|r| r.waiting_on.clone()),
        notes: Entries::of(run, record, false),
        evidence: Entries::of(run, record, true),
        history: record.map_or_else(History::none, |r| History::of(run, r)),
        checks: check_reports(run, step.id.get_ref()),
        confirmed_with_checks: record.map(|r| r.confirmed_with.as_slice()).unwrap_or_default(),
    }
}

/// What was recorded for steps the checklist no longer lists, oldest first. A step of which only
/// checks were recorded is `checked`.
fn unlisted_steps(run: &ReadRun) -> Vec<UnlistedStep<'_>> {
    let listed: HashSet<&str> = run.checklist.steps().map(|(_, step)| step.id.get_ref().as_str()).collect();
    let mut unlisted: Vec<UnlistedStep<'_>> = run
        .replay
        .steps
        .iter()
        .filter(|(id, _)| !listed.contains(id.as_str()))
        .map(|(id, record)| UnlistedStep {
            id: id.clone(),
            status: record.status.as_str(),
            at: record.at,
            by: record.by.clone(),
            skip_reason: record.reason.clone(),
            attested: record.attested.clone(),
            notes: Entries::of(run, Some(record), false),
            evidence: Entries::of(run, Some(record), true),
            history: History::of(run, record),
            checks: check_reports(run, id),
            confirmed_with_checks: &record.confirmed_with,
        })
        .collect();
    for (id, runs) in &run.replay.checks {
        if listed.contains(id.as_str()) || run.replay.steps.contains_key(id) {
            continue;
        }
        let Some(first) = runs.first() else { continue };
        unlisted.push(UnlistedStep {
            id: id.clone(),
            status: "checked",
            at: first.at,
            by: first.by.to_string(),
            skip_reason: None,
            attested: None,
            notes: Entries::Held(&[]),
            evidence: Entries::Held(&[]),
            history: History::none(),
            checks: check_reports(run, id),
            confirmed_with_checks: &[],
        });
    }
    unlisted.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
    unlisted
}
