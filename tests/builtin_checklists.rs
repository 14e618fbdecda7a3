//! The built-in checklists carry their sources faithfully: every step, precaution, exception and
//! date of the two source documents (the Bespin Global notice on closing an AWS account, and
//! `CenturyLink` Cloud's "Closing Your Account") must be in the checklist an operator walks, the
//! facts must switch the steps they govern, the irreversible steps must be attested, and the
//! source's dates must be follow-ups counted from the right step.
//!
//! The coverage tables below are the seeds, point by point: dropping or rewording a point away
//! from its substance fails a test that names it.

use std::collections::BTreeMap;

use closeacct::testing::{Actor, Delay, FactKind, Loaded, Step, StepKind};
use regex::{Regex, RegexBuilder};

use crate::common::Env;

fn load(id: &str) -> Loaded {
    Loaded::builtin(id).unwrap_or_else(|e| panic!("built-in checklist {id} does not load: {e}"))
}

/// Every text of a checklist an operator can read, one entry per field, each labelled with where
/// it comes from: name, summary, source, facts, stage titles and summaries, step titles, details,
/// warnings, evidence prompts, links and follow-up texts.
fn texts(loaded: &Loaded) -> Vec<(String, String)> {
    let c = &loaded.checklist;
    let mut out = vec![("name".to_owned(), c.name.clone())];
    out.extend(c.summary.iter().map(|s| ("summary".to_owned(), s.clone())));
    if let Some(source) = &c.source {
        out.push(("source.title".to_owned(), source.title.clone()));
        out.push(("source.publisher".to_owned(), source.publisher.clone()));
    }
    for source in &c.sources {
        let id = source.id.get_ref();
        out.push((format!("source {id} title"), source.title.clone()));
        out.push((format!("source {id} publisher"), source.publisher.clone()));
        out.extend(source.read.iter().map(|r| (format!("source {id} read"), r.clone())));
    }
    for fact in &c.facts {
        let id = fact.id.get_ref();
        out.push((format!("fact {id}"), fact.question.clone()));
        out.extend(fact.help.iter().map(|h| (format!("fact {id} help"), h.clone())));
        out.extend(fact.choices.iter().map(|ch| (format!("fact {id} choice"), ch.label.clone())));
    }
    for stage in &c.stages {
        let id = stage.id.get_ref();
        out.push((format!("stage {id}"), stage.title.clone()));
        out.extend(stage.summary.iter().map(|s| (format!("stage {id} summary"), s.clone())));
        for step in &stage.steps {
            let id = step.id.get_ref();
            out.push((format!("step {id} title"), step.title.clone()));
            out.push((format!("step {id} detail"), step.detail.clone()));
            for paragraph in &step.detail_if {
                out.push((format!("step {id} detail_if {}", paragraph.when.get_ref()), paragraph.text.clone()));
            }
            out.extend(step.warning.iter().map(|w| (format!("step {id} warning"), w.clone())));
            out.extend(step.evidence.iter().map(|e| (format!("step {id} evidence"), e.clone())));
            for link in &step.links {
                out.push((format!("step {id} link"), format!("{} <{}>", link.label, link.url)));
            }
            for follow_up in &step.follow_up {
                out.push((format!("step {id} follow-up"), follow_up.text.clone()));
            }
        }
    }
    out
}

fn pattern(text: &str) -> Regex {
    RegexBuilder::new(text)
        .case_insensitive(true)
        .dot_matches_new_line(true)
        .build()
        .unwrap_or_else(|e| panic!("bad pattern {text:?}: {e}"))
}

/// Asserts every point of a seed: each of its patterns must match (case-insensitively) within one
/// field of the checklist. Lists every missing point at once.
#[track_caller]
fn assert_covers(id: &str, points: &[(&str, &[&str])]) {
    let loaded = load(id);
    let texts = texts(&loaded);
    let mut missing = Vec::new();
    for (what, patterns) in points {
        assert!(!patterns.is_empty(), "{id}: point `{what}` has no pattern");
        for p in *patterns {
            let re = pattern(p);
            if !texts.iter().any(|(_, text)| re.is_match(text)) {
                missing.push(format!("  {what}: /{p}/"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "{id}: the checklist no longer carries these points of its source:\n{}",
        missing.join("\n")
    );
}

/// The Bespin Global notice, point by point.
const AWS_POINTS: &[(&str, &[&str])] = &[
    // 1. Service cancellation
    ("cancellation 1: the customer shuts down resources", &[r"shut down (the )?resources"]),
    (
        "cancellation 2: the customer forwards the termination link to Bespin",
        &[r"forward the termination link to Bespin"],
    ),
    ("cancellation 3: Bespin terminates the link", &[r"Bespin (Global )?terminates the link"]),
    ("cancellation 4: the customer cancels the AWS service", &[r"cancel the AWS service"]),
    // 2. How to close an account
    ("console 1: log in with the root user", &[r"log in to the AWS Management Console with the root user"]),
    (
        "console 2: account name in the search bar, then My Account",
        &[r"account name from the search bar", r"\[?My Account\]?"],
    ),
    ("console 3: scroll down to Close Account", &[r"scroll down to the \[?Close Account\]? section"]),
    ("console 4: read the termination terms", &[r"read and understand the Account Termination Terms and Conditions"]),
    (
        "console 5: all check boxes, then Close Account",
        &[r"select all (the )?check boxes.*then select \[?Close Account"],
    ),
    ("console 6: Close Account in the confirmation box", &[r"select \[?Close Account\]? in the confirmation box"]),
    (
        "console 7: confirmation e-mail within a few minutes",
        &[r"within a few minutes", r"confirmation e-?mail", r"successfully closed"],
    ),
    (
        "note: delete the organization before closing its master account",
        &[r"to close an organization's master.*delete the organization first"],
    ),
    // 3. Precautions
    ("the root user, not IAM", &[r"root user, not an IAM", r"IAM user cannot close"]),
    (
        "management account: all members closed or removed",
        &[r"management account", r"all member accounts are closed or removed"],
    ),
    ("see: Removing a member account from your organization", &[r"Removing a member account from your organization"]),
    (
        "the e-mail address cannot be used for new AWS accounts",
        &[r"can't create new AWS accounts using the e-?mail address"],
    ),
    (
        "AWS Support cannot close the account (security)",
        &[r"for security reasons, AWS Support cannot close your account on your behalf"],
    ),
    (
        "back up resources or data before closing",
        &[r"back up the resources or data you want to retain before you close", r"AWS documentation"],
    ),
    ("outstanding bill through OpsNow Billing", &[r"outstanding bill", r"OpsNow Billing"]),
    (
        "RIs and Savings Plans charged until the plan term ends",
        &[
            r"Reserved Instances \(RIs\)",
            r"Savings Plans",
            r"ongoing payment commitments",
            r"until the plan term ends, even after",
        ],
    ),
    (
        "closing might not terminate all active resources",
        &[r"might not automatically terminate all your active resources"],
    ),
    (
        "check active resources, services, regions, agreements and close them",
        &[r"active resources, services, regions, agreements"],
    ),
    (
        "content permanently deleted after 90 days (privacy policy)",
        &[
            r"privacy policy.*permanently deleted.*90 days|privacy policy.*90 days.*permanently deleted",
            r"90 days after closure",
        ],
    ),
    ("services not yet terminated will be terminated", &[r"not yet (been )?terminated (are|will be) terminated"]),
    (
        "payment method charged for usage before closure",
        &[r"designated payment method is charged for any usage fees incurred before closure"],
    ),
    ("refunds through the same payment method", &[r"refunds are issued through the same payment method"]),
    (
        "reopening within 90 days may be charged",
        &[r"reopen.*within 90 days.*might be charged", r"90-day reopen window"],
    ),
    // The partner note
    (
        "through a partner, closure may not proceed through the Organization feature",
        &[r"through a partner.*may not proceed.*Organization feature"],
    ),
    (
        "request the closure through the Customer Support Portal",
        &[r"request (it|the closure).*through (Bespin's )?(the )?Customer Support Portal"],
    ),
    ("questions go to the Customer Support Portal", &[r"questions.*Customer Support Portal"]),
];

/// The `CenturyLink` Cloud article, point by point.
const CENTURYLINK_POINTS: &[(&str, &[&str])] = &[
    // Overview
    (
        "an account or its assets cannot be recovered after deletion",
        &[r"not possible to recover an account or the associated assets after the account is deleted"],
    ),
    ("recover all data before deletion", &[r"recovered all data before proceeding to deletion"]),
    // Exceptions
    (
        "Cloud Term Commitment: sales representative executes a terminate service order",
        &[r"Cloud Term Commitment", r"sales representative", r"terminate service order"],
    ),
    // Step 1
    ("determine all the services", &[r"determine all the services"]),
    ("Usage History helps", &[r"Usage History", r"https://control\.ctl\.io/Organization/payment/ledger"]),
    // Step 2
    ("retrieve the data from those services", &[r"retrieve the data from"]),
    (
        "billable Service Task to extract a VM or other data",
        &[
            r"extracting a virtual machine or other data",
            r"Service Task.*billable|billable.*Service Task",
            r"https://www\.ctl\.io/service-tasks",
        ],
    ),
    // Step 3
    (
        "delete actively billed resources via the API or Control Portal",
        &[r"API or the Control Portal to delete any actively billed resources", r"https://www\.ctl\.io/api-docs"],
    ),
    ("resources not deleted may accrue charges", &[r"resources not deleted may accrue further charges"]),
    (
        "closure confirmation does not mean no further charges",
        &[r"confirmation of account closure doesn't necessarily mean that no further charges"],
    ),
    ("delete everything before requesting closure", &[r"delete all your services before requesting account closure"]),
    (
        "the OpenVPN server's default data center network is not charged",
        &[r"default data center", r"OpenVPN server", r"not charged to you", r"doesn't need to be deleted"],
    ),
    // Step 4
    (
        "request to close on the Account Profile/Info page",
        &[r"Account Profile/Info page", r#""request to close" link"#, r"https://control\.ctl\.io/organization/account"],
    ),
    (
        "the link immediately generates a ticket, without a confirmation prompt",
        &[r"immediately generates a ticket", r"without an additional confirmation prompt"],
    ),
    (
        "the CenturyLink Cloud team then closes the account",
        &[r"CenturyLink Cloud team, who will then close your account"],
    ),
    (
        "no confirmation after 1 hour: e-mail help@ctl.io or a separate ticket",
        &[
            r"after 1 hour",
            r"help@ctl\.io",
            r"mailto:help@ctl\.io",
            r"separate ticket",
            r"verify (that )?the closure request was sent",
        ],
    ),
    (
        "the help desk web UI for a separate ticket",
        &[r"https://www\.ctl\.io/knowledge-base/support/using-the-help-desk-web-ui"],
    ),
    (
        "no guarantee data or configurations can be retrieved after this point",
        &[r"no guarantee that any server data or configurations can be retrieved after this point"],
    ),
    // Final invoice
    ("final invoice after the close of the current month", &[r"after the close of the current month.*final invoice"]),
];

#[test]
fn aws_checklist_covers_every_point_of_the_bespin_notice() {
    assert_covers("aws", AWS_POINTS);
}

#[test]
fn centurylink_checklist_covers_every_point_of_the_article() {
    assert_covers("centurylink", CENTURYLINK_POINTS);
}

#[test]
fn builtin_checklists_name_their_sources() {
    // Each names its one document by title, publisher and where it was published; never by the
    // file it was received as.
    let aws = load("aws");
    assert_eq!(aws.checklist.name, "AWS account closure through Bespin Global");
    let [source] = aws.checklist.sources.as_slice() else { panic!("aws: one source: {:?}", aws.checklist.sources) };
    assert_eq!(source.publisher, "Bespin Global Cloud Technical Support Team");
    assert!(source.title.to_lowercase().contains("close an account"), "{}", source.title);
    assert_eq!(
        source.url.as_deref(),
        Some(
            "https://support.bespinglobal.com/en/support/solutions/articles/73000544720--aws-service-cancellation-procedure-and-how-to-close-an-account"
        )
    );
    assert!(source.read.as_deref().is_some_and(|r| r.contains("gives no address of its own")), "{:?}", source.read);

    let ctl = load("centurylink");
    assert_eq!(ctl.checklist.name, "CenturyLink Cloud account closure");
    let [source] = ctl.checklist.sources.as_slice() else {
        panic!("centurylink: one source: {:?}", ctl.checklist.sources)
    };
    assert_eq!(source.title, "Closing Your Account");
    assert!(source.publisher.starts_with("CenturyLink Cloud"), "{}", source.publisher);
    assert!(source.publisher.contains("Richard Seroter"), "{}", source.publisher);
    // The version followed is not the one published: no address, and `read` says so.
    assert_eq!(source.url, None);
    let read = source.read.as_deref().unwrap_or_default();
    assert!(read.contains("2015-11-04") && read.contains("gives no public address"), "{read}");
    for (id, _, text) in closeacct::testing::BUILTIN {
        assert!(
            !text.contains("11-04-2015") && !text.contains("seeds/"),
            "{id}: an ambiguous date or an internal path"
        );
    }
}

#[test]
fn links_are_exactly_the_ones_the_sources_give() {
    // The Bespin notice gives no URL: nothing may be made up.
    let aws = load("aws");
    let aws_links: Vec<_> = aws.steps().flat_map(|(_, s)| s.links.iter().map(|l| l.url.clone())).collect();
    assert!(aws_links.is_empty(), "aws has links its source does not give: {aws_links:?}");

    let ctl = load("centurylink");
    let mut urls: Vec<_> = ctl.steps().flat_map(|(_, s)| s.links.iter().map(|l| l.url.as_str())).collect();
    urls.sort_unstable();
    assert_eq!(
        urls,
        [
            "https://control.ctl.io/Organization/payment/ledger",
            "https://control.ctl.io/organization/account",
            "https://www.ctl.io/api-docs",
            "https://www.ctl.io/knowledge-base/support/using-the-help-desk-web-ui",
            "https://www.ctl.io/service-tasks",
            "mailto:help@ctl.io",
        ]
    );
    let on = |step: &str| -> Vec<&str> { step_of(&ctl, step).links.iter().map(|l| l.url.as_str()).collect() };
    assert_eq!(on("determine-services"), ["https://control.ctl.io/Organization/payment/ledger"]);
    assert_eq!(on("retrieve-data"), ["https://www.ctl.io/service-tasks"]);
    assert_eq!(on("delete-billed-resources"), ["https://www.ctl.io/api-docs"]);
    assert_eq!(on("request-to-close"), ["https://control.ctl.io/organization/account"]);
    assert!(on("closure-confirmation").contains(&"mailto:help@ctl.io"));
}

/// Every follow-up: (step it belongs to, step that starts its clock, parsed delay or `None` when
/// undated, text).
fn follow_ups(loaded: &Loaded) -> Vec<(String, String, Option<Delay>, String)> {
    let mut out = Vec::new();
    for (_, step) in loaded.steps() {
        for f in &step.follow_up {
            let from = f.from.as_ref().map_or_else(|| step.id.get_ref().clone(), |f| f.get_ref().clone());
            let delay =
                f.after.as_ref().map(|a| Delay::parse(a.get_ref()).unwrap_or_else(|| panic!("bad delay {a:?}")));
            out.push((step.id.get_ref().clone(), from, delay, f.text.to_lowercase()));
        }
    }
    out
}

fn step_of<'a>(loaded: &'a Loaded, id: &str) -> &'a Step {
    loaded.step(loaded.find(id).unwrap_or_else(|| panic!("{}: no step `{id}`", loaded.id())))
}

#[test]
fn the_sources_dates_are_follow_ups_from_the_right_steps() {
    let aws = load("aws");
    let dates = follow_ups(&aws);
    let from_closure: Vec<_> =
        dates.iter().filter(|(_, from, delay, _)| from == "close-account" && *delay == Some(Delay::Days(90))).collect();
    assert_eq!(from_closure.len(), 2, "content deletion and the reopen window, 90 days from the closure: {dates:#?}");
    assert!(from_closure.iter().any(|(_, _, _, text)| text.contains("permanently deleted")), "{from_closure:#?}");
    assert!(from_closure.iter().any(|(_, _, _, text)| text.contains("reopen")), "{from_closure:#?}");
    // Closed through the Customer Support Portal instead: the same windows, from that closure.
    let from_portal: Vec<_> = dates.iter().filter(|(_, from, _, _)| from == "bespin-proceeds-closing").collect();
    assert_eq!(from_portal.len(), 2, "{dates:#?}");
    assert!(from_portal.iter().all(|(_, _, delay, _)| *delay == Some(Delay::Days(90))), "{from_portal:#?}");
    // Reserved Instances and Savings Plans: charged until the plan term ends, a date the source
    // does not give.
    let plans: Vec<_> = dates.iter().filter(|(_, _, _, text)| text.contains("savings plans")).collect();
    assert_eq!(plans.len(), 1, "{dates:#?}");
    assert_eq!(plans[0].2, None, "the plan term end is not a fixed delay: {plans:#?}");
    assert!(plans[0].3.contains("until their plan term ends"), "{plans:#?}");
    assert_eq!(step_of(&aws, &plans[0].0).when.as_ref().map(|w| w.get_ref().as_str()), Some("ri_or_savings_plans"));
    // "Within a few minutes" is not a delay the source pins down: no invented reminder for the e-mail.
    assert!(step_of(&aws, "confirmation-email").follow_up.is_empty());
    // Nothing else is dated.
    let with_delay = dates.iter().filter(|(_, _, delay, _)| delay.is_some()).count();
    assert_eq!(with_delay, 4, "{dates:#?}");

    let ctl = load("centurylink");
    let dates = follow_ups(&ctl);
    let found: Vec<_> = dates.iter().map(|(step, from, delay, _)| (step.as_str(), from.as_str(), *delay)).collect();
    assert_eq!(
        found,
        [
            ("closure-confirmation", "request-to-close", Some(Delay::Hours(1))),
            ("final-invoice", "request-to-close", Some(Delay::EndOfMonth)),
            // The same invoice when the closure goes through the terminate service order.
            ("final-invoice", "terminate-service-order", Some(Delay::EndOfMonth)),
        ]
    );
    assert!(dates[0].3.contains("help@ctl.io") && dates[0].3.contains("separate ticket"), "{dates:#?}");
    assert!(dates[1].3.contains("final invoice") && dates[2].3 == dates[1].3, "{dates:#?}");
}

/// Which steps apply under some answers, by evaluating each step's `when`.
fn applicable(loaded: &Loaded, answers: &[(&str, &str)]) -> Vec<String> {
    let facts: BTreeMap<String, String> = answers.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    loaded
        .steps()
        .filter(|(_, step)| loaded.condition(step).is_none_or(|c| c.eval(&facts).expect("every fact answered")))
        .map(|(_, step)| step.id.get_ref().clone())
        .collect()
}

#[test]
fn facts_switch_the_steps_they_govern() {
    let aws = load("aws");
    let facts: Vec<_> = aws.checklist.facts.iter().map(|f| f.id.get_ref().as_str()).collect();
    assert_eq!(facts, ["org_management", "org_member", "ri_or_savings_plans"]);
    // Each fact decides something.
    for fact in &facts {
        assert!(
            aws.steps().any(|(_, s)| s.when.as_ref().is_some_and(|w| w.get_ref().contains(fact))),
            "aws: no step depends on fact `{fact}`"
        );
    }
    // Organization removal is for the management account only.
    let stage = aws
        .checklist
        .stages
        .iter()
        .find(|s| s.id.get_ref() == "organization-removal")
        .expect("organization removal stage");
    for step in &stage.steps {
        assert_eq!(step.when.as_ref().map(|w| w.get_ref().as_str()), Some("org_management"), "{}", step.id.get_ref());
    }
    assert_eq!(step_of(&aws, "support-portal-request").when.as_ref().unwrap().get_ref(), "org_member");
    assert_eq!(step_of(&aws, "bespin-proceeds-closing").when.as_ref().unwrap().get_ref(), "org_member");
    assert_eq!(step_of(&aws, "ri-savings-plans").when.as_ref().unwrap().get_ref(), "ri_or_savings_plans");

    let none = applicable(&aws, &[("org_management", "no"), ("org_member", "no"), ("ri_or_savings_plans", "no")]);
    let all = applicable(&aws, &[("org_management", "yes"), ("org_member", "yes"), ("ri_or_savings_plans", "yes")]);
    assert_eq!(all.len(), aws.step_count());
    let switched: Vec<_> = all.iter().filter(|id| !none.contains(id)).map(String::as_str).collect();
    assert_eq!(
        switched,
        [
            "ri-savings-plans",
            "members-closed-or-removed",
            "delete-organization",
            "support-portal-request",
            "bespin-proceeds-closing"
        ]
    );
    // The closure itself and the whole cancellation procedure apply to every account.
    for id in [
        "shut-down-resources",
        "forward-termination-link",
        "bespin-terminates-link",
        "close-account",
        "content-deletion",
    ] {
        assert!(none.contains(&id.to_owned()), "{id} must apply to every account");
    }

    let ctl = load("centurylink");
    let facts: Vec<_> = ctl.checklist.facts.iter().map(|f| f.id.get_ref().as_str()).collect();
    assert_eq!(facts, ["term_commitment"]);
    assert_eq!(step_of(&ctl, "terminate-service-order").when.as_ref().unwrap().get_ref(), "term_commitment");
    let committed = applicable(&ctl, &[("term_commitment", "yes")]);
    let regular = applicable(&ctl, &[("term_commitment", "no")]);
    assert!(
        committed.contains(&"terminate-service-order".to_owned())
            && !regular.contains(&"terminate-service-order".to_owned())
    );
    assert!(regular.contains(&"request-to-close".to_owned()) && !committed.contains(&"request-to-close".to_owned()));
    // Finding the services, recovering the data, deleting and the final invoice concern everyone.
    for id in ["determine-services", "retrieve-data", "delete-billed-resources", "final-invoice"] {
        assert!(
            committed.contains(&id.to_owned()) && regular.contains(&id.to_owned()),
            "{id} must apply to every account"
        );
    }
}

#[test]
fn irreversible_steps_are_attested_and_others_act_where_the_source_says() {
    let attested = |loaded: &Loaded| -> Vec<String> {
        loaded.steps().filter(|(_, s)| s.kind == StepKind::Attest).map(|(_, s)| s.id.get_ref().clone()).collect()
    };
    let aws = load("aws");
    assert_eq!(attested(&aws), ["close-account"]);
    let close = step_of(&aws, "close-account");
    assert!(close.title.contains("confirmation box"), "{}", close.title);
    assert!(close.warning.as_deref().is_some_and(|w| w.contains("e-mail address")), "{:?}", close.warning);
    // The closure comes after the preparation the notice asks for.
    let requires: Vec<&str> = close.requires.iter().map(|r| r.get_ref().as_str()).collect();
    for id in [
        "shut-down-resources",
        "back-up-data",
        "opsnow-billing",
        "members-closed-or-removed",
        "delete-organization",
        "select-check-boxes",
    ] {
        assert!(requires.contains(&id), "close-account must require {id}: {requires:?}");
    }
    // The console walk, in the notice's order, each step requiring the one before.
    let console = [
        "console-root-login",
        "open-my-account",
        "find-close-account-section",
        "read-termination-terms",
        "select-check-boxes",
        "close-account",
    ];
    for pair in console.windows(2) {
        assert!(
            step_of(&aws, pair[1]).requires.iter().any(|r| r.get_ref() == pair[0]),
            "{} must require {}",
            pair[1],
            pair[0]
        );
    }
    assert!(step_of(&aws, "console-root-login").requires.iter().any(|r| r.get_ref() == "bespin-terminates-link"));
    let bespin = step_of(&aws, "bespin-terminates-link");
    assert_eq!((bespin.actor, bespin.kind), (Actor::Partner, StepKind::Wait));
    assert_eq!(step_of(&aws, "confirmation-email").kind, StepKind::Evidence);

    let ctl = load("centurylink");
    assert_eq!(attested(&ctl), ["request-to-close"]);
    let request = step_of(&ctl, "request-to-close");
    assert!(request.warning.as_deref().is_some_and(|w| w.contains("without an additional confirmation prompt")));
    let requires: Vec<&str> = request.requires.iter().map(|r| r.get_ref().as_str()).collect();
    assert_eq!(requires, ["determine-services", "retrieve-data", "delete-billed-resources"]);
    let confirmation = step_of(&ctl, "closure-confirmation");
    assert_eq!((confirmation.actor, confirmation.kind), (Actor::Provider, StepKind::Wait));
    let invoice = step_of(&ctl, "final-invoice");
    assert_eq!((invoice.actor, invoice.kind), (Actor::Provider, StepKind::Wait));
}

#[test]
fn aws_stages_follow_the_operators_walk() {
    let aws = load("aws");
    let stages: Vec<_> = aws.checklist.stages.iter().map(|s| s.id.get_ref().as_str()).collect();
    assert_eq!(
        stages,
        [
            "preparation",
            "resource-shutdown",
            "backup",
            "billing-check",
            "organization-removal",
            "request-submission",
            "after-closure"
        ]
    );
}

#[test]
fn a_run_refuses_the_organization_steps_for_an_account_outside_one() {
    let env = Env::new();
    env.closeacct(&[
        "start",
        "--provider",
        "aws",
        "--account",
        "111122223333",
        "--fact",
        "org_management=no",
        "--fact",
        "org_member=no",
        "--fact",
        "ri_or_savings_plans=no",
    ])
    .status(0);
    let stderr = env
        .closeacct(&["confirm", "--provider", "aws", "--account", "111122223333", "delete-organization"])
        .status(2)
        .stderr;
    assert!(stderr.contains("org_management"), "the refusal names the fact that rules the step out: {stderr}");
}

// ------------------------------------------------------------------------------------------------
// The checklists written from the provider source pack: their shape, every route walked through
// the binary, and each key date the sources give.

/// Asserts a checklist's stage ids, step count and facts (id and kind).
#[track_caller]
fn assert_shape(id: &str, stages: &[&str], steps: usize, facts: &[(&str, FactKind)]) {
    let loaded = load(id);
    let found: Vec<&str> = loaded.checklist.stages.iter().map(|s| s.id.get_ref().as_str()).collect();
    assert_eq!(found, stages, "{id}: stages");
    assert_eq!(loaded.step_count(), steps, "{id}: steps");
    let found: Vec<(&str, FactKind)> =
        loaded.checklist.facts.iter().map(|f| (f.id.get_ref().as_str(), f.kind)).collect();
    assert_eq!(found, facts, "{id}: facts");
}

#[test]
fn aws_root_has_its_pinned_shape() {
    assert_shape(
        "aws-root",
        &["who-and-how", "before-closing", "close", "post-closure"],
        20,
        &[
            ("ri_or_savings_plans", FactKind::YesNo),
            ("keep_root_email", FactKind::YesNo),
            ("cross_account_access", FactKind::YesNo),
        ],
    );
}

#[test]
fn aws_org_member_has_its_pinned_shape() {
    assert_shape(
        "aws-org-member",
        &["before-closing", "remove-from-organization", "close", "after-closing"],
        18,
        &[
            ("all_features", FactKind::YesNo),
            ("remove_first", FactKind::YesNo),
            ("created_by_org", FactKind::YesNo),
            ("control_tower", FactKind::YesNo),
            ("govcloud", FactKind::YesNo),
        ],
    );
}

#[test]
fn gcp_project_has_its_pinned_shape() {
    assert_shape(
        "gcp-project",
        &["before-shutdown", "shutdown", "recovery-window"],
        14,
        &[("keep_project_id", FactKind::YesNo), ("oracle_resources", FactKind::YesNo)],
    );
}

#[test]
fn gcp_billing_has_its_pinned_shape() {
    assert_shape(
        "gcp-billing",
        &["before-closing", "close", "after-closing", "payments-profile"],
        13,
        &[("invoiced", FactKind::YesNo), ("prepay", FactKind::YesNo), ("close_payments_profile", FactKind::YesNo)],
    );
}

#[test]
fn azure_subscription_has_its_pinned_shape() {
    assert_shape(
        "azure-subscription",
        &["who-cancels", "before-cancelling", "cancel", "after-cancelling"],
        29,
        &[
            ("subscription_type", FactKind::Choice),
            ("support_plan", FactKind::YesNo),
            ("last_subscription", FactKind::YesNo),
            ("free_egress", FactKind::YesNo),
            ("delete_subscription", FactKind::YesNo),
        ],
    );
    let azure = load("azure-subscription");
    let choices: Vec<&str> = azure.fact("subscription_type").unwrap().accepted();
    assert_eq!(choices, ["free", "pay-as-you-go", "visual-studio", "ea", "mca", "csp"]);
}

/// Starts a run with `facts` at `now` and confirms every next step `status` names, with the input
/// its kind needs, all at `now`, until step `stop_after` is done or the run is complete; a step
/// listed in `later` is confirmed at that time instead. Returns the ids confirmed, in order.
fn walk(
    env: &Env,
    provider: &str,
    account: &str,
    facts: &[(&str, &str)],
    now: &str,
    later: &[(&str, &str)],
    stop_after: Option<&str>,
) -> Vec<String> {
    let loaded = load(provider);
    let run = ["--provider", provider, "--account", account];
    let mut args: Vec<String> = ["start"].iter().chain(&run).map(|s| (*s).to_owned()).collect();
    for (fact, value) in facts {
        args.extend(["--fact".to_owned(), format!("{fact}={value}")]);
    }
    env.closeacct(&args.iter().map(String::as_str).collect::<Vec<_>>()).now(now).status(0);
    let mut done = Vec::new();
    loop {
        let status = env.closeacct(&[&["status", "--format", "json"], &run[..]].concat()).now(now).status(0).stdout;
        let status: serde_json::Value = serde_json::from_str(&status).expect("status JSON");
        let Some(id) = status["next_step"]["id"].as_str().map(str::to_owned) else {
            assert_eq!(status["complete"], true, "{provider} {facts:?}: no next step, yet not complete: {status}");
            break;
        };
        assert!(!done.contains(&id), "{provider} {facts:?}: `{id}` still open after it was confirmed");
        let step = step_of(&loaded, &id);
        let mut args = vec!["confirm".to_owned(), id.clone()];
        match step.kind {
            StepKind::Attest => args.extend(["--attest".to_owned(), account.to_owned()]),
            StepKind::Evidence => args.extend(["--evidence".to_owned(), format!("recorded for {id}")]),
            StepKind::Confirm | StepKind::Wait => {}
        }
        args.extend(run.map(str::to_owned));
        let at = later.iter().find(|(step, _)| *step == id).map_or(now, |(_, at)| *at);
        env.closeacct(&args.iter().map(String::as_str).collect::<Vec<_>>()).now(at).status(0);
        done.push(id.clone());
        if stop_after == Some(id.as_str()) {
            break;
        }
    }
    done
}

/// Answers to a checklist's facts: (fact, answer).
type Answers = &'static [(&'static str, &'static str)];

/// Combinations of answers that together take every route of each new checklist, so that every
/// step is reached in at least one of them.
const ROUTES: &[(&str, &[Answers])] = &[
    (
        "aws-root",
        &[
            &[("ri_or_savings_plans", "yes"), ("keep_root_email", "yes"), ("cross_account_access", "yes")],
            &[("ri_or_savings_plans", "no"), ("keep_root_email", "no"), ("cross_account_access", "no")],
        ],
    ),
    (
        "aws-org-member",
        &[
            // Closed from the management account, and left in the organization.
            &[
                ("all_features", "yes"),
                ("remove_first", "no"),
                ("created_by_org", "no"),
                ("control_tower", "yes"),
                ("govcloud", "yes"),
            ],
            // Consolidated billing only: closed by its root user, which needs a password first.
            &[
                ("all_features", "no"),
                ("remove_first", "no"),
                ("created_by_org", "yes"),
                ("control_tower", "no"),
                ("govcloud", "no"),
            ],
            // Removed first, then closed as a standalone account.
            &[
                ("all_features", "yes"),
                ("remove_first", "yes"),
                ("created_by_org", "yes"),
                ("control_tower", "no"),
                ("govcloud", "no"),
            ],
            &[
                ("all_features", "no"),
                ("remove_first", "yes"),
                ("created_by_org", "no"),
                ("control_tower", "yes"),
                ("govcloud", "yes"),
            ],
        ],
    ),
    (
        "gcp-project",
        &[
            &[("keep_project_id", "yes"), ("oracle_resources", "no")],
            &[("keep_project_id", "no"), ("oracle_resources", "yes")],
            &[("keep_project_id", "no"), ("oracle_resources", "no")],
        ],
    ),
    (
        "gcp-billing",
        &[
            &[("invoiced", "no"), ("prepay", "yes"), ("close_payments_profile", "yes")],
            &[("invoiced", "yes"), ("prepay", "no"), ("close_payments_profile", "no")],
            &[("invoiced", "yes"), ("prepay", "yes"), ("close_payments_profile", "yes")],
        ],
    ),
    (
        "azure-subscription",
        &[
            &[
                ("subscription_type", "pay-as-you-go"),
                ("support_plan", "yes"),
                ("last_subscription", "yes"),
                ("free_egress", "yes"),
                ("delete_subscription", "yes"),
            ],
            &[
                ("subscription_type", "csp"),
                ("support_plan", "no"),
                ("last_subscription", "no"),
                ("free_egress", "yes"),
                ("delete_subscription", "no"),
            ],
            &[
                ("subscription_type", "mca"),
                ("support_plan", "no"),
                ("last_subscription", "yes"),
                ("free_egress", "no"),
                ("delete_subscription", "no"),
            ],
            &[
                ("subscription_type", "ea"),
                ("support_plan", "yes"),
                ("last_subscription", "no"),
                ("free_egress", "no"),
                ("delete_subscription", "yes"),
            ],
        ],
    ),
];

#[test]
fn every_route_of_the_new_checklists_walks_to_completion_through_the_binary() {
    for (provider, routes) in ROUTES {
        let loaded = load(provider);
        let mut reached = std::collections::BTreeSet::new();
        for (n, facts) in routes.iter().enumerate() {
            let env = Env::new();
            let account = format!("acct-{n}");
            let done = walk(&env, provider, &account, facts, "2026-11-24T13:40:00Z", &[], None);
            // Exactly the steps that apply under these answers, in checklist order.
            assert_eq!(done, applicable(&loaded, facts), "{provider} {facts:?}");
            env.closeacct(&["status", "--check", "--provider", provider, "--account", &account])
                .now("2026-11-24T13:40:00Z")
                .status(0);
            reached.extend(done);
        }
        let all: std::collections::BTreeSet<String> = loaded.steps().map(|(_, s)| s.id.get_ref().clone()).collect();
        let never: Vec<_> = all.difference(&reached).collect();
        assert!(never.is_empty(), "{provider}: no route reaches {never:?}");
    }
}

/// Walks `provider` under `facts`: everything at 2027-01-30T08:00Z, step `anchor` at
/// 2027-01-30T16:45Z, and stops there; returns `report --format json`'s key dates counted from
/// `anchor`, as (after, date, text), after checking each one's anchor time.
fn dates_from(provider: &str, facts: &[(&str, &str)], anchor: &str) -> Vec<(String, String, String)> {
    const ANCHOR_AT: &str = "2027-01-30T16:45:00Z";
    let env = Env::new();
    walk(&env, provider, "acct-1", facts, "2027-01-30T08:00:00Z", &[(anchor, ANCHOR_AT)], Some(anchor));
    let report = env
        .closeacct(&["report", "--format", "json", "--provider", provider, "--account", "acct-1"])
        .now("2027-01-30T17:00:00Z")
        .status(0)
        .stdout;
    let report: serde_json::Value = serde_json::from_str(&report).expect("report JSON");
    report["key_dates"]
        .as_array()
        .expect("key_dates")
        .iter()
        .filter(|d| d["from_step"] == anchor)
        .map(|d| {
            assert_eq!(d["anchor"], ANCHOR_AT, "{provider}: {d}");
            assert_eq!(d["passed"], false, "{provider}: {d}");
            let s = |key: &str| d[key].as_str().unwrap_or_else(|| panic!("{provider}: no {key} in {d}")).to_owned();
            (s("after"), s("date"), s("text").to_lowercase())
        })
        .collect()
}

/// The one key date with this delay among `dates`; its date and text.
#[track_caller]
fn one_dated<'d>(dates: &'d [(String, String, String)], after: &str) -> (&'d str, &'d str) {
    let found: Vec<_> = dates.iter().filter(|(a, _, _)| a == after).collect();
    assert_eq!(found.len(), 1, "one `{after}` date expected: {dates:#?}");
    (found[0].1.as_str(), found[0].2.as_str())
}

const AWS_ROOT_FACTS: &[(&str, &str)] =
    &[("ri_or_savings_plans", "no"), ("keep_root_email", "no"), ("cross_account_access", "no")];

#[test]
fn aws_root_post_closure_period_ends_90_days_after_the_closure() {
    let dates = dates_from("aws-root", AWS_ROOT_FACTS, "close-account");
    let (date, text) = one_dated(&dates, "90d");
    assert_eq!(date, "2027-04-30T16:45:00Z");
    assert!(text.contains("post-closure period ends") && text.contains("can't be reopened"), "{text}");
}

#[test]
fn aws_root_payment_for_a_reopen_is_due_60_days_after_the_closure() {
    let dates = dates_from("aws-root", AWS_ROOT_FACTS, "close-account");
    let (date, text) = one_dated(&dates, "60d");
    assert_eq!(date, "2027-03-31T16:45:00Z");
    assert!(text.contains("full payment") && text.contains("reopened"), "{text}");
    // The bill for use before the closure: at the start of the month after it.
    let (date, text) = one_dated(&dates, "end-of-month");
    assert_eq!(date, "2027-02-01T00:00:00Z");
    assert!(text.contains("bill"), "{text}");
    assert_eq!(dates.len(), 3, "{dates:#?}");
}

#[test]
fn aws_org_member_dates_count_from_whichever_closure_applies() {
    let management = [
        ("all_features", "yes"),
        ("remove_first", "no"),
        ("created_by_org", "no"),
        ("control_tower", "no"),
        ("govcloud", "no"),
    ];
    let dates = dates_from("aws-org-member", &management, "close-member");
    let (date, text) = one_dated(&dates, "90d");
    assert_eq!(date, "2027-04-30T16:45:00Z");
    assert!(text.contains("post-closure period ends"), "{text}");
    assert_eq!(one_dated(&dates, "60d").0, "2027-03-31T16:45:00Z");

    let as_root = [
        ("all_features", "no"),
        ("remove_first", "no"),
        ("created_by_org", "no"),
        ("control_tower", "no"),
        ("govcloud", "no"),
    ];
    let dates = dates_from("aws-org-member", &as_root, "close-as-root");
    assert_eq!(one_dated(&dates, "90d").0, "2027-04-30T16:45:00Z");
    assert_eq!(one_dated(&dates, "60d").0, "2027-03-31T16:45:00Z");
}

#[test]
fn gcp_project_recovery_window_ends_30_days_after_the_shutdown() {
    let dates = dates_from("gcp-project", &[("keep_project_id", "no"), ("oracle_resources", "no")], "shut-down");
    let (date, text) = one_dated(&dates, "30d");
    assert_eq!(date, "2027-03-01T16:45:00Z");
    assert!(text.contains("recovery window ends") && text.contains("permanently deleted"), "{text}");
    assert_eq!(dates.len(), 1, "{dates:#?}");
}

#[test]
fn gcp_payments_profile_can_be_reopened_for_30_days() {
    let facts = [("invoiced", "no"), ("prepay", "no"), ("close_payments_profile", "yes")];
    let dates = dates_from("gcp-billing", &facts, "close-payments-profile");
    let (date, text) = one_dated(&dates, "30d");
    assert_eq!(date, "2027-03-01T16:45:00Z");
    assert!(text.contains("can no longer be reopened"), "{text}");
}

const AZURE_FACTS: &[(&str, &str)] = &[
    ("subscription_type", "ea"),
    ("support_plan", "no"),
    ("last_subscription", "yes"),
    ("free_egress", "yes"),
    ("delete_subscription", "no"),
];

#[test]
fn azure_final_bill_comes_72_hours_after_the_last_cancellation() {
    let dates = dates_from("azure-subscription", AZURE_FACTS, "cancel-subscription");
    let (date, text) = one_dated(&dates, "72h");
    assert_eq!(date, "2027-02-02T16:45:00Z");
    assert!(text.contains("billing cycle"), "{text}");
}

#[test]
fn azure_deletion_and_reactivation_limit_are_90_days_after_the_cancellation() {
    let dates = dates_from("azure-subscription", AZURE_FACTS, "cancel-subscription");
    let ninety: Vec<_> = dates.iter().filter(|(a, _, _)| a == "90d").collect();
    assert_eq!(ninety.len(), 2, "{dates:#?}");
    assert!(ninety.iter().all(|(_, date, _)| date == "2027-04-30T16:45:00Z"), "{ninety:#?}");
    assert!(ninety.iter().any(|(_, _, text)| text.contains("deleted automatically")), "{ninety:#?}");
    assert!(ninety.iter().any(|(_, _, text)| text.contains("reactivate")), "{ninety:#?}");

    // Bought through a partner: the same dates, counted from the partner's cancellation.
    let csp = [
        ("subscription_type", "csp"),
        ("support_plan", "no"),
        ("last_subscription", "yes"),
        ("free_egress", "no"),
        ("delete_subscription", "no"),
    ];
    let dates = dates_from("azure-subscription", &csp, "partner-cancels");
    assert_eq!(one_dated(&dates, "72h").0, "2027-02-02T16:45:00Z");
    let ninety: Vec<_> = dates.iter().filter(|(a, _, _)| a == "90d").collect();
    assert_eq!(ninety.len(), 2, "{dates:#?}");
    assert!(ninety.iter().all(|(_, date, _)| date == "2027-04-30T16:45:00Z"), "{ninety:#?}");
}

#[test]
fn azure_free_egress_window_ends_60_days_after_the_transfer_starts() {
    let dates = dates_from("azure-subscription", AZURE_FACTS, "egress-start");
    let (date, text) = one_dated(&dates, "60d");
    assert_eq!(date, "2027-03-31T16:45:00Z");
    assert!(text.contains("free-egress window"), "{text}");
}

#[test]
fn every_step_of_every_builtin_checklist_names_its_sources() {
    for (id, _, _) in closeacct::testing::BUILTIN {
        let loaded = load(id);
        let c = &loaded.checklist;
        assert!(c.source.is_none(), "{id}: the one-table [source] form; use [[sources]] with public URLs");
        let known: Vec<&str> = c.sources.iter().map(|s| s.id.get_ref().as_str()).collect();
        assert!(!known.is_empty(), "{id}: no [[sources]]");
        for source in &c.sources {
            let name = source.id.get_ref();
            assert!(!source.title.trim().is_empty() && !source.publisher.trim().is_empty(), "{id}: source {name}");
            // A public address, or a `read` saying why there is none; never an internal path.
            match &source.url {
                Some(url) => assert!(url.starts_with("https://"), "{id}: source {name}: {url}"),
                None => assert!(source.read.as_deref().is_some_and(|r| !r.is_empty()), "{id}: source {name}"),
            }
            for text in [Some(&source.title), source.url.as_ref(), source.read.as_ref()].into_iter().flatten() {
                assert!(!text.contains("seeds/") && !text.contains(".txt"), "{id}: source {name}: {text}");
            }
        }
        for (_, step) in loaded.steps() {
            let step_id = step.id.get_ref();
            assert!(!step.sources.is_empty(), "{id}: step `{step_id}` names no source");
            for cited in &step.sources {
                assert!(
                    known.contains(&cited.get_ref().as_str()),
                    "{id}: step `{step_id}` cites `{}`",
                    cited.get_ref()
                );
            }
        }
        // Every source listed is cited by some step.
        for source in &known {
            assert!(
                loaded.steps().any(|(_, s)| s.sources.iter().any(|c| c.get_ref() == source)),
                "{id}: no step cites source `{source}`"
            );
        }
    }
}

/// A step's detail as shown under these answers.
fn detail_under(loaded: &Loaded, step: &str, answers: &[(&str, &str)]) -> String {
    let facts: BTreeMap<String, String> = answers.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    loaded.detail_for(step_of(loaded, step), &facts)
}

#[test]
fn fact_dependent_paragraphs_show_only_where_they_apply() {
    // The console closure applies to every AWS account; the partner's support-portal route and
    // the organization's deletion only to the accounts they concern.
    let aws = load("aws");
    let standalone = detail_under(
        &aws,
        "close-account",
        &[("org_management", "no"), ("org_member", "no"), ("ri_or_savings_plans", "no")],
    );
    assert!(!standalone.contains("Customer Support Portal") && !standalone.contains("partner"), "{standalone}");
    assert!(!standalone.contains("management account"), "{standalone}");
    let member = detail_under(
        &aws,
        "close-account",
        &[("org_management", "no"), ("org_member", "yes"), ("ri_or_savings_plans", "no")],
    );
    assert!(member.contains("through a partner") && member.contains("Customer Support Portal"), "{member}");
    assert!(!member.contains("management account"), "{member}");
    let management = detail_under(
        &aws,
        "close-account",
        &[("org_management", "yes"), ("org_member", "no"), ("ri_or_savings_plans", "no")],
    );
    assert!(management.contains("organization must have been deleted"), "{management}");
    assert!(!management.contains("Customer Support Portal"), "{management}");

    // Removing a created member: both versions of the waiting period; an invited one: none.
    let org = load("aws-org-member");
    let created = detail_under(&org, "standalone-requirements", &[("created_by_org", "yes")]);
    assert!(created.contains("4 days") && created.contains("seven days"), "{created}");
    let invited = detail_under(&org, "standalone-requirements", &[("created_by_org", "no")]);
    assert!(invited.contains("no waiting period") && !invited.contains("4 days"), "{invited}");

    // Who may cancel an Azure subscription, by its type.
    let azure = load("azure-subscription");
    let who = |t: &str| detail_under(&azure, "who-may-cancel", &[("subscription_type", t)]);
    for t in ["free", "pay-as-you-go", "visual-studio", "ea"] {
        assert!(who(t).contains("service administrator and the subscription owner"), "{t}: {}", who(t));
    }
    assert!(who("mca").contains("subscription owners can cancel") && !who("mca").contains("service administrator"));
    assert!(who("csp").contains("partner") && !who("csp").contains("subscription owners can cancel"));
}

#[test]
fn where_the_sources_disagree_the_step_says_both() {
    let text = |id: &str, step: &str| -> String {
        let loaded = load(id);
        let s = step_of(&loaded, step);
        let mut all = vec![s.detail.clone()];
        all.extend(s.detail_if.iter().map(|d| d.text.clone()));
        all.extend(s.warning.clone());
        all.join("\n")
    };
    let delete = text("azure-subscription", "delete-subscription");
    assert!(delete.contains("15 minutes") && delete.contains("seven days"), "{delete}");
    let retention = text("azure-subscription", "data-retention");
    assert!(retention.contains("30 to 90 days") && retention.contains("2020") && retention.contains("said 90 days"));
    let plan = text("azure-subscription", "support-plan");
    assert!(plan.contains("[Your subscriptions]") && plan.contains("older version") && plan.contains("auto-renewal"));
    let label = text("aws-org-member", "closure-status");
    assert!(label.contains("calls it CLOSED") && label.contains("calls it SUSPENDED"), "{label}");
    let govcloud = text("aws-org-member", "govcloud");
    assert!(govcloud.contains("standard account first") && govcloud.contains("closes both"), "{govcloud}");
    let waiting = text("aws-org-member", "standalone-requirements");
    assert!(waiting.contains("4 days") && waiting.contains("seven days"), "{waiting}");
    // The quotas have changed over time: the step links the page and writes down no figure.
    let quota = text("aws-org-member", "closure-quota");
    let org = load("aws-org-member");
    assert_eq!(
        step_of(&org, "closure-quota").links.iter().map(|l| l.url.as_str()).collect::<Vec<_>>(),
        ["https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html"]
    );
    for figure in ["10%", "20%", "200", "250", "1000", "1,000", " 3 "] {
        assert!(!quota.contains(figure), "closure-quota hard-codes `{figure}`: {quota}");
    }
}
