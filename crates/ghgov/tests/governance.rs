//! The governance engine against fakehub, on SQLite and PostgreSQL: the example
//! specification applied creates exactly the expected hierarchy; a second apply writes
//! nothing; a crash at every k-th write, or between journaling a write and sending it,
//! converges without duplicates or losses; writes keep GitHub's secondary limits on a
//! virtual clock; secondary-limit answers are waited out; approvals need a second
//! principal, and the workflow's apply refuses unapproved and stale plans; removals are
//! guarded.

mod common;
use common::*;
use fakehub::FakeHub;
use ghgov::github::{GitHub, GitHubConfig, WriteLimits};
use ghgov::governance::apply::{Applier, ApplyReport, CrashPoint, InjectedCrash};
use ghgov::governance::desired::{key_in_body, wrap_generated, DesiredState};
use ghgov::governance::engine::{self, check, Checked, Documents, Planner};
use ghgov::governance::load::read_document;
use ghgov::governance::plan::{Action, Change, FieldChange, Plan, Target};
use ghgov::governance::workflow::{self, ApplyError, ApplyOutcome, Unattended};
use ghgov::mirror::RepoName;
use ghgov::store::governance::{JournalStatus, PlanStatus};
use ghgov::store::Store;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::time::Duration;

fn example(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name);
    read_document(&path, name, &Default::default()).unwrap()
}

fn example_docs() -> Documents {
    Documents {
        spec: example("project-spec.yml"),
        config: example("governance.yml"),
    }
}

fn checked(docs: &Documents) -> Checked {
    match check(docs, false) {
        Ok(c) => c,
        Err(report) => panic!("the documents are invalid:\n{}", report.render()),
    }
}

struct Setup {
    store: Store,
    gh: GitHub,
}

fn setup(t: &Tester) -> Setup {
    Setup {
        store: t.store.clone(),
        gh: t.github(),
    }
}

impl Setup {
    async fn plan(&self, c: &Checked, actor: &str) -> (i64, Plan, DesiredState) {
        let planner = Planner::new(self.store.clone(), &self.gh);
        let (plan, desired) = planner.plan(&c.spec, &c.config, false).await.unwrap();
        let row = engine::store_plan(&self.store, &plan, None, &json!({}), actor)
            .await
            .unwrap();
        (row.id, plan, desired)
    }

    async fn apply(
        &self,
        id: i64,
        plan: &Plan,
        crash: Option<CrashPoint>,
    ) -> anyhow::Result<ApplyReport> {
        let repo = ghgov::mirror::RepoName::parse(&plan.repository).unwrap();
        let applier = Applier::new(&self.store, &self.gh, &repo, "test");
        match crash {
            Some(point) => applier.crash_at(point),
            None => applier,
        }
        .apply(id, plan)
        .await
    }
}

/// fakehub's issues of acme/widgets by key; panics on a key carried twice.
fn hub_issues(fh: &FakeHub) -> HashMap<String, fakehub::model::Issue> {
    hub_issues_of(fh, "acme/widgets")
}

fn hub_issues_of(fh: &FakeHub, full_name: &str) -> HashMap<String, fakehub::model::Issue> {
    let world = fh.hub.world.read();
    let repo = world
        .repos
        .iter()
        .find(|r| r.full_name() == full_name)
        .unwrap();
    let mut by_key = HashMap::new();
    for i in &repo.issues {
        if i.gone.is_some() || i.pull_request {
            continue;
        }
        if let Some(key) = i.body.as_deref().and_then(key_in_body) {
            assert!(
                by_key.insert(key.to_string(), i.clone()).is_none(),
                "duplicate issue for {key}"
            );
        }
    }
    by_key
}

/// fakehub holds exactly the desired hierarchy: every issue once, with its title, labels,
/// milestone and type; every sub-issue link; every dependency.
fn assert_hub_matches(fh: &FakeHub, desired: &DesiredState) {
    let issues = hub_issues_of(fh, &desired.repository);
    let want: HashSet<&str> = desired.issues.iter().map(|i| i.key.as_str()).collect();
    let have: HashSet<&str> = issues.keys().map(String::as_str).collect();
    assert_eq!(have, want, "issue keys on fakehub");
    let world = fh.hub.world.read();
    let repo = world
        .repos
        .iter()
        .find(|r| r.full_name() == desired.repository)
        .unwrap();
    let label_name: HashMap<u64, String> = repo
        .labels
        .iter()
        .map(|l| (l.id, l.name.to_lowercase()))
        .collect();
    for d in &desired.issues {
        let i = &issues[&d.key];
        assert_eq!(i.title, d.title, "{}", d.key);
        // On GitHub the generated part sits between its markers.
        assert_eq!(
            i.body.as_deref(),
            Some(wrap_generated(&d.body).as_str()),
            "{}",
            d.key
        );
        let labels: HashSet<String> = i.labels.iter().map(|l| label_name[l].clone()).collect();
        let want: HashSet<String> = d.labels.iter().map(|l| l.to_lowercase()).collect();
        assert_eq!(labels, want, "labels of {}", d.key);
        let milestone = i
            .milestone
            .map(|n| repo.milestones[n as usize - 1].title.clone());
        assert_eq!(milestone, d.milestone, "milestone of {}", d.key);
        let type_name = i
            .type_id
            .and_then(|t| world.issue_type("acme", t))
            .map(|t| t.name.clone());
        assert_eq!(type_name, d.issue_type, "type of {}", d.key);
    }
    for link in &desired.sub_issues {
        assert_eq!(
            issues[&link.child].parent,
            Some(issues[&link.parent].id),
            "{} under {}",
            link.child,
            link.parent
        );
    }
    let expected_links: usize = desired.sub_issues.len();
    let actual_links: usize = issues.values().filter(|i| i.parent.is_some()).count();
    assert_eq!(actual_links, expected_links, "no extra sub-issue links");
    for dep in &desired.dependencies {
        assert!(
            issues[&dep.blocked]
                .blocked_by
                .contains(&issues[&dep.blocking].id),
            "{} blocked by {}",
            dep.blocked,
            dep.blocking
        );
    }
    for l in &desired.labels {
        let found = repo
            .labels
            .iter()
            .find(|x| x.name.eq_ignore_ascii_case(&l.name))
            .unwrap_or_else(|| panic!("label {} missing", l.name));
        assert_eq!(found.color.to_lowercase(), l.color, "colour of {}", l.name);
    }
    for m in &desired.milestones {
        assert!(
            repo.milestones.iter().any(|x| x.title == m.title),
            "milestone {}",
            m.title
        );
    }
}

fn writes(fh: &FakeHub) -> u64 {
    fh.hub.stats.totals().writes
}

async fn example_applies_exactly_and_once(db: String) {
    let t = TestWorld::empty().start(&db).await;
    let (fh, s) = (&t.fh, setup(&t));
    let c = checked(&example_docs());
    let (id, plan, desired) = s.plan(&c, "alice").await;
    assert_eq!(plan.to_destroy, 0);
    assert!(
        plan.to_add > desired.issues.len(),
        "{}",
        plan.summary_line()
    );
    assert!(desired.issues.len() >= 30, "the example is realistic");
    assert!(!desired.dependencies.is_empty(), "cross-epic dependencies");
    let report = s.apply(id, &plan, None).await.unwrap();
    assert_eq!(report.added, plan.to_add);
    assert_eq!(report.writes, plan.to_add, "one request per object");
    assert_hub_matches(fh, &desired);
    assert_eq!(
        s.store.plan(id).await.unwrap().unwrap().status,
        PlanStatus::Applied
    );

    // Planned again, nothing is left to do and nothing is written.
    let before = writes(fh);
    let (id2, plan2, _) = s.plan(&c, "alice").await;
    assert_eq!(
        plan2.summary_line(),
        "Plan: 0 to add, 0 to change, 0 to destroy.",
        "{}",
        plan2.render()
    );
    let report = s.apply(id2, &plan2, None).await.unwrap();
    assert_eq!(report.writes, 0);
    assert_eq!(writes(fh), before, "a second apply writes nothing");

    // The Markdown form of the same plan has nothing to add either.
    let markdown = Documents {
        spec: example("project-spec.md"),
        config: example("governance.yml"),
    };
    let (_, plan_md, _) = s.plan(&checked(&markdown), "alice").await;
    assert_eq!(
        plan_md.summary_line(),
        "Plan: 0 to add, 0 to change, 0 to destroy.",
        "{}",
        plan_md.render()
    );

    // Every write is in the audit trail under the plan's correlation id.
    let audit = s
        .store
        .audit_entries(Some("acme/widgets"), Some(&format!("plan-{id}")), 10_000)
        .await
        .unwrap();
    let applied = audit.iter().filter(|a| a.actor == "test").count();
    assert_eq!(applied, plan.to_add, "one audit row per write");
    assert!(audit.iter().all(|a| a.after.is_some()));

    // A changed title is an in-place update of that one field.
    let mut docs = example_docs();
    docs.spec["project_scope"]["epic_definitions"][0]["epic_title"] = json!("Renamed Platform");
    let c2 = checked(&docs);
    let (id3, plan3, desired3) = s.plan(&c2, "alice").await;
    assert_eq!(plan3.to_add, 0, "{}", plan3.render());
    assert!(plan3.to_change >= 1, "{}", plan3.render());
    assert!(plan3.render().contains("~ title"), "{}", plan3.render());
    s.apply(id3, &plan3, None).await.unwrap();
    assert_hub_matches(fh, &desired3);
}

/// Applies with a simulated kill at `point` of every run until the apply completes.
async fn apply_with_crashes(s: &Setup, id: i64, plan: &Plan, point: CrashPoint) -> usize {
    let mut crashes = 0;
    loop {
        match s.apply(id, plan, Some(point)).await {
            Ok(_) => return crashes,
            Err(e) if e.downcast_ref::<InjectedCrash>().is_some() => crashes += 1,
            Err(e) => panic!("apply failed after {crashes} crashes: {e:#}"),
        }
        assert!(crashes < 2_000, "apply does not converge at {point:?}");
    }
}

/// A repository name for the run crashing at `point`.
fn crash_repo(point: CrashPoint) -> String {
    match point {
        CrashPoint::AfterSend(k) => format!("widgets-sent-{k}"),
        CrashPoint::AfterJournal(k) => format!("widgets-journaled-{k}"),
    }
}

async fn crashes_at_every_kth_write_converge(db: String) {
    // Killed after the k-th write of each run is sent (its outcome unrecorded), or after the
    // k-th intent is journaled (its write unsent). A resumed step is journaled again, so
    // killing at the first intent of every run would never get anywhere: k >= 2 there.
    let points = [
        CrashPoint::AfterSend(1),
        CrashPoint::AfterSend(2),
        CrashPoint::AfterSend(5),
        CrashPoint::AfterSend(13),
        CrashPoint::AfterJournal(2),
        CrashPoint::AfterJournal(5),
        CrashPoint::AfterJournal(13),
    ];
    // One repository per run: GitHub never reuses ids, and neither does one fakehub.
    let t = TestWorld::seeded(fakehub::SeedDoc {
        repos: points
            .iter()
            .map(|p| fakehub::SeedRepo {
                full_name: format!("acme/{}", crash_repo(*p)),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    })
    .start(&db)
    .await;
    let (fh, s) = (&t.fh, setup(&t));
    for point in points {
        let name = crash_repo(point);
        let mut docs = example_docs();
        docs.spec["repository"] = json!(name);
        docs.config["repository"] = json!(name);
        let c = checked(&docs);
        let (id, plan, desired) = s.plan(&c, "alice").await;
        let before = writes(fh);
        if let CrashPoint::AfterJournal(k) = point {
            // The kill lands between the journal and the send: the k-th step is journaled
            // as an intent, and nothing of it reached GitHub.
            let crashed = s.apply(id, &plan, Some(point)).await.unwrap_err();
            assert!(
                crashed.downcast_ref::<InjectedCrash>().is_some(),
                "{crashed:#}"
            );
            assert_eq!(
                writes(fh) - before,
                k as u64 - 1,
                "{name}: the k-th write is not sent"
            );
            let journal = s.store.journal(id).await.unwrap();
            let last = journal.last().unwrap();
            assert_eq!(
                (last.step, last.status),
                (k as i64 - 1, JournalStatus::Intent),
                "{name}"
            );
        }
        let crashes = apply_with_crashes(&s, id, &plan, point).await;
        assert!(crashes > 0, "{name}: the crash was injected");
        // hub_issues_of panics on any duplicate key.
        assert_hub_matches(fh, &desired);
        assert_eq!(
            writes(fh) - before,
            plan.to_add as u64,
            "{name}: every step reached GitHub exactly once, none twice, none lost"
        );
        let (_, again, _) = s.plan(&c, "alice").await;
        assert_eq!(
            again.summary_line(),
            "Plan: 0 to add, 0 to change, 0 to destroy.",
            "{name}: {}",
            again.render()
        );
    }
}

/// A plan of `n` label creations: content-creating requests and nothing else.
fn labels_plan(repository: &str, n: usize) -> Plan {
    Plan {
        repository: repository.into(),
        changes: (0..n)
            .map(|k| Change {
                target: Target::Label {
                    name: format!("paced-{k:03}"),
                },
                action: Action::Create,
                fields: vec![FieldChange {
                    field: "color".into(),
                    before: Value::Null,
                    after: json!("0e8a16"),
                }],
                number: None,
                applied: None,
            })
            .collect(),
        to_add: n,
        ..Default::default()
    }
}

async fn writes_keep_githubs_limits_on_a_virtual_clock(db: String) {
    // fakehub enforces GitHub's secondary limits (80 content-creating requests a minute, 500
    // an hour, sliding) and judges them on the clock the client's waits move: a write the
    // client sends too early is refused and counted.
    const WRITES: usize = 580;
    let t = TestWorld::seeded(fakehub::SeedDoc {
        repos: ["acme/windows", "acme/spaced"]
            .iter()
            .map(|r| fakehub::SeedRepo {
                full_name: r.to_string(),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    })
    .hub_settings(|settings| {
        // One token per run: fakehub counts the limits per token, as GitHub does.
        settings.tokens = vec![
            fakehub::TokenSpec::parse("ghgov-bot:token-windows"),
            fakehub::TokenSpec::parse("ghgov-bot:token-spaced"),
        ];
        settings.secondary_limits = true;
    })
    .start(&db)
    .await;
    let (fh, store) = (&t.fh, t.store.clone());
    // GitHub's limits alone (writes as fast as the windows let them go), then with GitHub's
    // advice of a second between writes on top, as ghgov runs by default.
    for (name, write_interval) in [
        ("windows", Duration::ZERO),
        ("spaced", GitHubConfig::new("", "").write_interval),
    ] {
        let config = GitHubConfig {
            write_interval,
            ..GitHubConfig::new(&fh.url, &format!("token-{name}"))
        };
        assert_eq!(config.write_limits, WriteLimits::GITHUB);
        let clock = VirtualClock::new(fh);
        let gh = GitHub::new(config, Some(store.clone()))
            .unwrap()
            .with_clock(clock.clone());
        let full_name = format!("acme/{name}");
        let plan = labels_plan(&full_name, WRITES);
        let row = engine::store_plan(&store, &plan, None, &json!({}), "alice")
            .await
            .unwrap();
        let before = fh.hub.stats.totals();
        let repo = RepoName::parse(&full_name).unwrap();
        let report = Applier::new(&store, &gh, &repo, "test")
            .apply(row.id, &plan)
            .await
            .unwrap();
        let after = fh.hub.stats.totals();
        assert_eq!(report.writes, WRITES, "{name}");
        assert_eq!(after.writes - before.writes, WRITES as u64, "{name}");
        assert_eq!(
            after.rate_limited - before.rate_limited,
            0,
            "{name}: a write went out beyond 80 in a minute or 500 in an hour"
        );
        let took = clock.elapsed();
        assert!(
            took >= Duration::from_secs(3600),
            "{name}: write 501 waits for the first to leave the hour, yet {WRITES} writes took {took:?}"
        );
        assert!(
            took <= Duration::from_secs(3600 + 120),
            "{name}: no longer than the limits ask: {took:?}"
        );
    }
}

async fn secondary_limit_answers_are_waited_out(db: String) {
    let t = TestWorld::empty().start(&db).await;
    let (fh, s) = (&t.fh, setup(&t));
    let c = checked(&example_docs());
    let (id, plan, desired) = s.plan(&c, "alice").await;
    fh.hub
        .faults
        .set(fakehub::faults::FaultSettings {
            seed: 9,
            secondary_rate: 0.2,
            error_rate: 0.05,
            ..Default::default()
        })
        .unwrap();
    s.apply(id, &plan, None).await.unwrap();
    assert!(
        fh.hub.stats.totals().rate_limited > 0,
        "secondary-limit answers were met"
    );
    fh.hub.faults.set(Default::default()).unwrap();
    assert_hub_matches(fh, &desired);
}

async fn approval_needs_another_principal(db: String) {
    let t = TestWorld::empty().start(&db).await;
    let s = setup(&t);
    let mut docs = example_docs();
    docs.config["governance_rules"]["compliance_requirements"]["approval_workflows"] =
        json!(["epic_creation", "milestone_changes"]);
    let c = checked(&docs);
    let (id, plan, _) = s.plan(&c, "alice").await;
    assert_eq!(
        plan.needs_approval,
        vec!["epic_creation", "milestone_changes"]
    );
    let row = s.store.plan(id).await.unwrap().unwrap();
    assert_eq!(row.status, PlanStatus::PendingApproval);
    let own = s.store.approve_plan(id, "alice").await.unwrap_err();
    assert!(own.to_string().contains("different principal"), "{own}");
    let row = s.store.approve_plan(id, "bob").await.unwrap();
    assert_eq!(row.status, PlanStatus::Approved);
    assert_eq!(row.approved_by.as_deref(), Some("bob"));
    let again = s.store.approve_plan(id, "carol").await.unwrap_err();
    assert!(again.to_string().contains("not waiting"), "{again}");
    s.apply(id, &plan, None).await.unwrap();

    // A specification flagged for human review waits too, and keeps its metadata.
    let mut flagged = docs.clone();
    flagged.config["governance_rules"]["compliance_requirements"]["approval_workflows"] = json!([]);
    flagged.spec["generation_metadata"] =
        json!({"specification_source": "conversation_history", "human_review_required": true});
    flagged.spec["project_scope"]["epic_definitions"][0]["epic_title"] = json!("Reviewed title");
    let (id_flagged, plan_flagged, _) = s.plan(&checked(&flagged), "alice").await;
    assert_eq!(plan_flagged.needs_approval, vec!["human_review"]);
    assert_eq!(
        plan_flagged.generation_metadata.as_ref().unwrap()["specification_source"],
        "conversation_history"
    );
    assert_eq!(
        s.store.plan(id_flagged).await.unwrap().unwrap().status,
        PlanStatus::PendingApproval
    );

    // Only epic creation and milestone changes need approval: a title change does not.
    docs.spec["project_scope"]["epic_definitions"][1]["feature_breakdown"][0]["feature_title"] =
        json!("Retitled feature");
    let (id2, plan2, _) = s.plan(&checked(&docs), "alice").await;
    assert!(
        plan2.needs_approval.is_empty(),
        "{:?}",
        plan2.needs_approval
    );
    assert_eq!(
        s.store.plan(id2).await.unwrap().unwrap().status,
        PlanStatus::Planned
    );
}

/// The workflow's apply, the one the command line and the demo go through, keeps the
/// rules itself: a plan waiting for approval, one whose creator is its only approver, and
/// one made before a newer plan was applied are refused before any write.
async fn workflow_apply_refuses_unapproved_and_stale_plans(db: String) {
    let t = TestWorld::empty().start(&db).await;
    let (fh, s) = (&t.fh, setup(&t));
    let mut docs = example_docs();
    docs.config["governance_rules"]["compliance_requirements"]["approval_workflows"] =
        json!(["epic_creation"]);
    let (waiting, _, _) = s.plan(&checked(&docs), "alice").await;
    let err = workflow::apply(&s.store, &s.gh, waiting, "alice", &Unattended)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ApplyError::NeedsApproval { id, created_by, .. } if *id == waiting && created_by == "alice"),
        "{err}"
    );
    assert_eq!(writes(fh), 0, "nothing is written for a refused plan");
    let own = workflow::approve(&s.store, waiting, "alice")
        .await
        .unwrap_err();
    assert!(own.to_string().contains("different principal"), "{own}");
    workflow::approve(&s.store, waiting, "bob").await.unwrap();

    // A status changed by hand does not stand in for an approval.
    let (bypassed, _, _) = s.plan(&checked(&docs), "alice").await;
    s.store
        .set_plan_status(bypassed, PlanStatus::Planned, None)
        .await
        .unwrap();
    let err = workflow::apply(&s.store, &s.gh, bypassed, "alice", &Unattended)
        .await
        .unwrap_err();
    assert!(matches!(err, ApplyError::NeedsApproval { .. }), "{err}");

    // A newer plan that needs no approval is applied: the approved older ones are stale.
    let mut free = example_docs();
    free.config["governance_rules"]["compliance_requirements"]["approval_workflows"] = json!([]);
    let (newer, _, _) = s.plan(&checked(&free), "alice").await;
    let outcome = workflow::apply(&s.store, &s.gh, newer, "alice", &Unattended)
        .await
        .unwrap();
    assert!(
        matches!(&outcome, ApplyOutcome::Applied(r) if r.added > 0 && r.writes > 0),
        "{outcome:?}"
    );
    let sent = writes(fh);
    let err = workflow::apply(&s.store, &s.gh, waiting, "bob", &Unattended)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ApplyError::Stale { id, newer: n } if id == waiting && n == newer),
        "{err}"
    );
    assert_eq!(writes(fh), sent, "nothing is written for a stale plan");
    assert_eq!(
        s.store.plan(waiting).await.unwrap().unwrap().status,
        PlanStatus::Approved,
        "a refused plan keeps its status"
    );
    let again = workflow::apply(&s.store, &s.gh, newer, "alice", &Unattended)
        .await
        .unwrap();
    assert_eq!(again, ApplyOutcome::AlreadyApplied);
    let missing = workflow::apply(&s.store, &s.gh, 9999, "alice", &Unattended)
        .await
        .unwrap_err();
    assert!(matches!(missing, ApplyError::NotFound(9999)), "{missing}");
}

async fn removals_are_guarded(db: String) {
    let t = TestWorld::empty().start(&db).await;
    let (fh, s) = (&t.fh, setup(&t));
    let mut docs = example_docs();
    // Without authority, dropping an epic from the specification removes nothing.
    let c = checked(&docs);
    let (id, plan, _) = s.plan(&c, "alice").await;
    s.apply(id, &plan, None).await.unwrap();
    let epics = docs.spec["project_scope"]["epic_definitions"]
        .as_array()
        .unwrap()
        .clone();
    docs.spec["project_scope"]["epic_definitions"] = json!([epics[0]]);
    docs.spec["project_scope"]["cross_epic_dependencies"] = json!([]);
    let planner = Planner::new(s.store.clone(), &s.gh);
    let (plan, _) = planner
        .plan(&checked(&docs).spec, &c.config, false)
        .await
        .unwrap();
    assert_eq!(plan.to_destroy, 0, "{}", plan.render());

    // With issues authoritative, closing two thirds of them needs --force.
    docs.config["governance_rules"]["authoritative"] = json!(["issues"]);
    let c2 = checked(&docs);
    let err = planner.plan(&c2.spec, &c2.config, false).await.unwrap_err();
    assert!(err.to_string().contains("--force"), "{err}");
    let (plan, kept) = planner.plan(&c2.spec, &c2.config, true).await.unwrap();
    assert!(plan.to_destroy > 0);
    let row = engine::store_plan(&s.store, &plan, None, &json!({}), "alice")
        .await
        .unwrap();
    let report = s.apply(row.id, &plan, None).await.unwrap();
    assert_eq!(report.destroyed, plan.to_destroy);
    let open = hub_issues(fh).values().filter(|i| i.is_open()).count();
    assert_eq!(
        open,
        kept.issues.len(),
        "only the kept epic's issues stay open"
    );
}

async fn send(
    method: reqwest::Method,
    url: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    call(method, url, token, body).await
}

async fn rest_api_covers_the_workflow(db: String) {
    use reqwest::Method;
    let t = TestWorld::empty().serving().start(&db).await;
    let server = t.ghgov();
    let url = server.url();
    let store = t.store.clone();
    let (_, alice) = store
        .create_token("alice", ghgov::store::Scope::Admin)
        .await
        .unwrap();
    let (_, bob) = store
        .create_token("bob", ghgov::store::Scope::Admin)
        .await
        .unwrap();
    let (_, writer) = store
        .create_token("writer", ghgov::store::Scope::Write)
        .await
        .unwrap();
    let (_, reader) = store
        .create_token("reader", ghgov::store::Scope::Read)
        .await
        .unwrap();
    let cfg_url = format!("{url}/api/v1/governance/config/acme/widgets");
    let docs = example_docs();

    // Configuration: none yet; PUT stores version 1, an equal PUT keeps it, a change makes 2.
    let (status, _) = send(Method::GET, &cfg_url, &alice, None).await;
    assert_eq!(status, 404);
    let (status, body) = send(Method::PUT, &cfg_url, &reader, Some(docs.config.clone())).await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = send(Method::PUT, &cfg_url, &alice, Some(docs.config.clone())).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["version"], 1);
    let (status, body) = send(Method::PUT, &cfg_url, &alice, Some(docs.config.clone())).await;
    assert_eq!((status, body["version"].clone()), (200, json!(1)));
    let mut strict = docs.config.clone();
    strict["governance_rules"]["compliance_requirements"]["approval_workflows"] =
        json!(["epic_creation"]);
    let (status, body) = send(Method::PUT, &cfg_url, &alice, Some(strict)).await;
    assert_eq!((status, body["version"].clone()), (201, json!(2)), "{body}");
    assert_eq!(
        body["changes"],
        json!(["governance_rules.compliance_requirements"])
    );
    let (_, versions) = send(Method::GET, &format!("{cfg_url}/versions"), &alice, None).await;
    assert_eq!(versions["data"].as_array().unwrap().len(), 2);
    assert_eq!(versions["data"][0]["actor"], "token:alice");
    let (_, v1) = send(Method::GET, &format!("{cfg_url}?version=1"), &alice, None).await;
    assert_eq!(v1["config"], docs.config);
    let mut broken = docs.config.clone();
    broken["agent_service_mappings"]["agent:dev"]["capabilities"] = json!(42);
    let (status, body) = send(Method::PUT, &cfg_url, &alice, Some(broken)).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap_or_default()
            .contains("capabilities"),
        "{body}"
    );

    // Validate: problems with paths; a Markdown specification is accepted as text.
    let mut bad = docs.spec.clone();
    bad["project_scope"]["epic_definitions"][0]["priority"] = json!("urgent");
    let (status, body) = send(
        Method::POST,
        &format!("{url}/api/v1/governance/validate"),
        &reader,
        Some(json!({"spec": bad})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["valid"], false, "{body}");
    assert!(
        body["problems"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["path"] == "project_scope.epic_definitions[0].priority"),
        "{body}"
    );
    let markdown = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/project-spec.md"),
    )
    .unwrap();
    let (_, body) = send(
        Method::POST,
        &format!("{url}/api/v1/governance/validate"),
        &reader,
        Some(json!({"spec": markdown})),
    )
    .await;
    assert_eq!(body["errors"], 0, "{body}");

    // Generate: stored plan waiting for approval (epic creation, version 2 of the config).
    let (status, body) = send(
        Method::POST,
        &format!("{url}/api/v1/governance/generate"),
        &alice,
        Some(json!({"spec": docs.spec})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_i64().unwrap();
    assert_eq!(body["status"], "pending_approval");
    assert!(body["summary"].as_str().unwrap().starts_with("Plan: "));
    let approve = format!("{url}/api/v1/governance/plans/{id}/approve");
    let (status, body) = send(
        Method::POST,
        &format!("{url}/api/v1/governance/plans/{id}/apply"),
        &writer,
        None,
    )
    .await;
    assert_eq!(
        status, 409,
        "a plan waiting for approval is not applied: {body}"
    );
    let (status, body) = send(Method::POST, &approve, &writer, None).await;
    assert_eq!(status, 403, "approving needs the admin scope: {body}");
    assert!(body["error"].as_str().unwrap().contains("admin"), "{body}");
    let (status, body) = send(Method::POST, &approve, &alice, None).await;
    assert_eq!(status, 403, "the creator cannot approve: {body}");
    assert!(
        !body["error"].as_str().unwrap().contains("admin token"),
        "{body}"
    );
    let (status, body) = send(Method::POST, &approve, &bob, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["approved_by"], "token:bob");
    let (status, _) = send(Method::POST, &approve, &bob, None).await;
    assert_eq!(status, 409);
    let (_, body) = send(
        Method::GET,
        &format!("{url}/api/v1/governance/plans/{id}"),
        &reader,
        None,
    )
    .await;
    assert_eq!(body["record"]["status"], "approved");
    assert!(body["text"].as_str().unwrap().contains("Plan: "), "{body}");

    // Apply it through the server's writer: a reader may not, the writer may; applying
    // an applied plan again is done at once and writes nothing.
    let plan: Plan = serde_json::from_value(body["record"]["plan"].clone()).unwrap();
    let apply = format!("{url}/api/v1/governance/plans/{id}/apply");
    assert_eq!(send(Method::POST, &apply, &reader, None).await.0, 403);
    assert_eq!(
        send(
            Method::POST,
            &format!("{url}/api/v1/governance/plans/999/apply"),
            &writer,
            None
        )
        .await
        .0,
        404
    );
    let (status, op) = send(Method::POST, &apply, &writer, None).await;
    assert!(status == 200 || status == 202, "{status} {op}");
    let op_id = op["operation_id"].as_i64().unwrap();
    let done = loop {
        let (_, now) = send(
            Method::GET,
            &format!("{url}/api/v1/operations/{op_id}"),
            &reader,
            None,
        )
        .await;
        match now["status"].as_str() {
            Some("done") => break now,
            Some("failed") => panic!("the apply failed: {now}"),
            _ => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
        }
    };
    assert_eq!(done["kind"], "plan.apply");
    let writes = t.fh.hub.stats.snapshot()["writes"].as_u64().unwrap();
    let (status, again) = send(Method::POST, &apply, &writer, None).await;
    assert_eq!(
        (status, again["status"].as_str()),
        (200, Some("done")),
        "{again}"
    );
    assert_eq!(
        t.fh.hub.stats.snapshot()["writes"].as_u64().unwrap(),
        writes
    );
    let (status, body) = send(
        Method::GET,
        &format!("{url}/api/v1/governance/compliance/acme/widgets"),
        &reader,
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let governed = body["governed_issues"].as_u64().unwrap();
    assert_eq!(
        governed as usize,
        plan.changes
            .iter()
            .filter(|c| c.target.kind() == "issue")
            .count()
    );
    assert_eq!(body["rules"]["hierarchy"]["share"], 1.0, "{body}");
    assert_eq!(body["rules"]["labels"]["share"], 1.0, "{body}");
    let (_, audit) = send(
        Method::GET,
        &format!("{url}/api/v1/governance/audit?repo=acme/widgets&correlation_id=plan-{id}"),
        &reader,
        None,
    )
    .await;
    let actions: HashSet<&str> = audit["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["action"].as_str())
        .collect();
    assert!(
        actions.contains("plan.create")
            && actions.contains("plan.approve")
            && actions.contains("create"),
        "{actions:?}"
    );
    t.finish().await;
}

async fn compliance_finds_violations(db: String) {
    let t = TestWorld::empty().start(&db).await;
    let (fh, s) = (&t.fh, setup(&t));
    let c = checked(&example_docs());
    let (id, plan, desired) = s.plan(&c, "alice").await;
    s.apply(id, &plan, None).await.unwrap();
    let report = ghgov::governance::compliance::report(&s.store, "acme/widgets", &c.config)
        .await
        .unwrap();
    assert_eq!(report.governed_issues, desired.issues.len());
    assert_eq!(report.rules["hierarchy"].share, 1.0);
    // Tasks without technical specs in the example are counted as missing documentation.
    let missing: usize = desired
        .issues
        .iter()
        .filter(|i| !i.missing_sections.is_empty())
        .count();
    assert_eq!(
        report.rules["sections"].total - report.rules["sections"].passing,
        missing
    );

    // Someone removes a feature's labels and unlinks a task on GitHub.
    let issues = hub_issues(fh);
    let feature = desired
        .issues
        .iter()
        .find(|i| i.key.starts_with("feature/"))
        .unwrap();
    let task = desired
        .issues
        .iter()
        .find(|i| i.key.starts_with("task/"))
        .unwrap();
    let client = reqwest::Client::new();
    let n = issues[&feature.key].number;
    client
        .delete(format!("{}/repos/acme/widgets/issues/{n}/labels", fh.url))
        .header("Authorization", format!("token {GH_TOKEN}"))
        .send_ok()
        .await;
    let parent = issues[task.parent.as_ref().unwrap()].number;
    client
        .delete(format!(
            "{}/repos/acme/widgets/issues/{parent}/sub_issue",
            fh.url
        ))
        .header("Authorization", format!("token {GH_TOKEN}"))
        .json(&json!({"sub_issue_id": issues[&task.key].id}))
        .send_ok()
        .await;
    t.syncer()
        .sync(&repo(), ghgov::mirror::sync::SyncKind::Incremental)
        .await
        .unwrap();
    let report = ghgov::governance::compliance::report(&s.store, "acme/widgets", &c.config)
        .await
        .unwrap();
    let rules_of = |key: &str| -> Vec<&str> {
        report
            .violations
            .iter()
            .filter(|v| v.key == key)
            .map(|v| v.rule.as_str())
            .collect()
    };
    assert!(
        rules_of(&feature.key).contains(&"labels"),
        "{}",
        report.render()
    );
    assert!(
        rules_of(&feature.key).contains(&"agent"),
        "{}",
        report.render()
    );
    assert!(
        rules_of(&task.key).contains(&"hierarchy"),
        "{}",
        report.render()
    );
    let v = report
        .violations
        .iter()
        .find(|v| v.key == task.key && v.rule == "hierarchy")
        .unwrap();
    assert!(
        v.url.as_deref().unwrap_or_default().contains("/issues/"),
        "a link: {v:?}"
    );
    assert!(!v.fix.is_empty());

    // The next plan repairs the hierarchy, but labels a person took off are theirs to
    // put back: governance never reverts people's labels (they merge as sets).
    let (id, plan, _) = s.plan(&c, "alice").await;
    assert_eq!(plan.to_add, 1, "{}", plan.render());
    assert!(
        !plan.changes.iter().any(|c| c.target.key() == feature.key),
        "{}",
        plan.render()
    );
    s.apply(id, &plan, None).await.unwrap();
    let issues = hub_issues(fh);
    assert_eq!(
        issues[&task.key].parent,
        Some(issues[&task.parent.clone().unwrap()].id)
    );
    assert!(issues[&feature.key].labels.is_empty());
    let report = ghgov::governance::compliance::report(&s.store, "acme/widgets", &c.config)
        .await
        .unwrap();
    assert!(
        !report
            .violations
            .iter()
            .any(|v| v.key == task.key && v.rule == "hierarchy"),
        "{}",
        report.render()
    );
    assert!(
        report
            .violations
            .iter()
            .any(|v| v.key == feature.key && v.rule == "labels"),
        "{}",
        report.render()
    );
}

suite!(both: [
    example_applies_exactly_and_once,
    crashes_at_every_kth_write_converge,
    writes_keep_githubs_limits_on_a_virtual_clock,
    secondary_limit_answers_are_waited_out,
    approval_needs_another_principal,
    workflow_apply_refuses_unapproved_and_stale_plans,
    removals_are_guarded,
    rest_api_covers_the_workflow,
    compliance_finds_violations,
]);
