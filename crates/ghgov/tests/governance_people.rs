//! Governance respects people, on SQLite and PostgreSQL against fakehub: after people edit
//! governed issues on GitHub (text around the generated part of the body, labels,
//! assignees, status labels, closing), a re-plan wants nothing of them and a re-apply writes
//! nothing; a changed specification rewrites only the generated part and adds only what it
//! newly asks for; a title, body or milestone changed on GitHub since the last apply is drift,
//! settled by the configuration's conflict strategies; bodies written before the markers
//! existed get them once.

mod common;
use common::*;
use ghgov::governance::apply::{Applier, ApplyReport};
use ghgov::governance::desired::{
    body_parts, key_in_body, wrap_generated, BodyParts, DesiredState, GENERATED_END,
    GENERATED_START,
};
use ghgov::governance::engine::{self, check, Checked, Documents, Planner};
use ghgov::governance::load::read_document;
use ghgov::governance::plan::{DriftOutcome, Plan};
use ghgov::mirror::RepoName;
use ghgov::store::Store;
use serde_json::{json, Value};
use std::collections::HashMap;

const EPIC: &str = "epic/infrastructure-foundation";
const FEATURE: &str = "feature/monitoring-platform";
const TASK: &str = "task/monitoring-platform/setup_prometheus_monitoring";
const OTHER_TASK: &str = "task/monitoring-platform/configure_grafana_dashboards";

fn example(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name);
    read_document(&path, name, &Default::default()).unwrap()
}

/// The example cut down to one epic, one feature and two tasks; every agent's work is also
/// assigned to the token's user.
fn small_docs() -> Documents {
    let mut spec = example("project-spec.yml");
    let mut config = example("governance.yml");
    let scope = &mut spec["project_scope"];
    let mut epic = scope["epic_definitions"][0].clone();
    let mut feature = epic["feature_breakdown"][0].clone();
    let tasks = feature["task_breakdown"].as_array().unwrap()[..2].to_vec();
    feature["task_breakdown"] = json!(tasks);
    epic["feature_breakdown"] = json!([feature]);
    scope["epic_definitions"] = json!([epic]);
    scope["cross_epic_dependencies"] = json!([]);
    for (_, agent) in config["agent_service_mappings"].as_object_mut().unwrap() {
        agent["github_login"] = json!("ghgov-bot");
    }
    Documents { spec, config }
}

fn checked(docs: &Documents) -> Checked {
    match check(docs, false) {
        Ok(c) => c,
        Err(report) => panic!("the documents are invalid:\n{}", report.render()),
    }
}

struct Gov {
    store: Store,
    gh: ghgov::github::GitHub,
}

impl Gov {
    async fn plan(&self, c: &Checked) -> (i64, Plan, DesiredState) {
        let planner = Planner::new(self.store.clone(), &self.gh);
        let (plan, desired) = planner.plan(&c.spec, &c.config, false).await.unwrap();
        let row = engine::store_plan(&self.store, &plan, None, &json!({}), "alice")
            .await
            .unwrap();
        (row.id, plan, desired)
    }

    async fn apply(&self, id: i64, plan: &Plan) -> ApplyReport {
        let repo = RepoName::parse(&plan.repository).unwrap();
        Applier::new(&self.store, &self.gh, &repo, "test")
            .apply(id, plan)
            .await
            .unwrap()
    }

    async fn plan_and_apply(&self, c: &Checked) -> (Plan, DesiredState, ApplyReport) {
        let (id, plan, desired) = self.plan(c).await;
        let report = self.apply(id, &plan).await;
        (plan, desired, report)
    }
}

/// GitHub's side, through fakehub's REST API with the test token: what people do.
struct People<'a> {
    fh: &'a fakehub::FakeHub,
}

impl People<'_> {
    async fn send(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        reqwest::Client::new()
            .request(method, format!("{}/repos/acme/widgets{path}", self.fh.url))
            .bearer_auth(GH_TOKEN)
            .json(&body)
            .send_ok()
            .await
            .json()
            .await
            .unwrap()
    }

    async fn edit(&self, number: u64, body: Value) -> Value {
        self.send(reqwest::Method::PATCH, &format!("/issues/{number}"), body)
            .await
    }

    async fn issue(&self, number: u64) -> Value {
        reqwest::Client::new()
            .get(format!(
                "{}/repos/acme/widgets/issues/{number}",
                self.fh.url
            ))
            .bearer_auth(GH_TOKEN)
            .send_ok()
            .await
            .json()
            .await
            .unwrap()
    }

    /// Governed issues by key: their numbers.
    fn numbers(&self) -> HashMap<String, u64> {
        let world = self.fh.hub.world.read();
        let repo = world
            .repos
            .iter()
            .find(|r| r.full_name() == "acme/widgets")
            .unwrap();
        repo.issues
            .iter()
            .filter(|i| i.gone.is_none() && !i.pull_request)
            .filter_map(|i| {
                let key = i.body.as_deref().and_then(key_in_body)?;
                Some((key.to_string(), i.number))
            })
            .collect()
    }

    fn writes(&self) -> u64 {
        self.fh.hub.stats.totals().writes
    }
}

fn names(v: &Value, field: &str, name: &str) -> Vec<String> {
    let mut out: Vec<String> = v[field]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x[name].as_str().unwrap().to_string())
        .collect();
    out.sort();
    out
}

fn desired_of<'a>(d: &'a DesiredState, key: &str) -> &'a ghgov::governance::desired::DesiredIssue {
    d.issues.iter().find(|i| i.key == key).unwrap()
}

fn sorted(v: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = v.iter().map(|s| s.to_string()).collect();
    out.sort();
    out
}

async fn people_edits_survive_a_reapply(db: String) {
    let t = TestWorld::empty().start(&db).await;
    let gov = Gov {
        store: t.store.clone(),
        gh: t.github(),
    };
    let people = People { fh: &t.fh };
    let docs = small_docs();
    let (_, desired, _) = gov.plan_and_apply(&checked(&docs)).await;
    let n = people.numbers();
    assert_eq!(n.len(), 4);

    // A new issue's body is its generated part between the markers.
    let task = people.issue(n[TASK]).await;
    let generated = &desired_of(&desired, TASK).body;
    assert_eq!(task["body"], json!(wrap_generated(generated)));
    let spec_labels = names(&task, "labels", "name");
    assert_eq!(names(&task, "assignees", "login"), ["ghgov-bot"]);

    // People at work: a paragraph above and below the generated part, a label of their
    // own, the task moved on by the status workflow, the feature's assignee taken off, the
    // epic assigned by hand, the other task closed.
    let above = "Context from the team call (Tue):\r\n\r\n* keep the old exporter\r\n\r\n";
    let below = "\n\n---\nNotes by hand. Trailing spaces stay.   \n";
    let edited_body = format!("{above}{}{below}", task["body"].as_str().unwrap());
    let mut labels = spec_labels.clone();
    labels.extend(["urgent".to_string(), "status:in_progress".to_string()]);
    people
        .edit(n[TASK], json!({"body": edited_body, "labels": labels}))
        .await;
    people.edit(n[FEATURE], json!({"assignees": []})).await;
    people
        .edit(n[EPIC], json!({"assignees": ["ghgov-bot"]}))
        .await;
    people
        .edit(
            n[OTHER_TASK],
            json!({"state": "closed", "state_reason": "completed"}),
        )
        .await;

    // Re-planned, nothing of theirs is wanted back, and a re-apply writes nothing.
    let (id, plan, _) = gov.plan(&checked(&docs)).await;
    assert_eq!(
        plan.summary_line(),
        "Plan: 0 to add, 0 to change, 0 to destroy.",
        "{}",
        plan.render()
    );
    assert!(plan.drift.is_empty(), "{}", plan.render());
    let before = people.writes();
    let report = gov.apply(id, &plan).await;
    assert_eq!(report.writes, 0);
    assert_eq!(people.writes(), before, "a re-apply writes nothing");

    // The specification changes the task's text and asks for a new label and a status
    // label: only the generated part changes, the new label is added, and everything
    // people did stays.
    let mut docs2 = small_docs();
    let task_spec = &mut docs2.spec["project_scope"]["epic_definitions"][0]["feature_breakdown"][0]
        ["task_breakdown"][0];
    task_spec["acceptance_criteria"] = json!(["Every node is scraped every 15 s"]);
    let templates = docs2.config["templates"]["feature_templates"]
        .as_array_mut()
        .unwrap();
    for t in templates.iter_mut() {
        let mut labels = t["default_labels"].as_array().cloned().unwrap_or_default();
        labels.push(json!("observability"));
        labels.push(json!("status:review"));
        t["default_labels"] = json!(labels);
    }
    let c2 = checked(&docs2);
    let (id, plan, desired2) = gov.plan(&c2).await;
    let rendered = plan.render();
    let task_change = plan
        .changes
        .iter()
        .find(|c| c.target.key() == TASK)
        .unwrap_or_else(|| panic!("{rendered}"));
    let fields: Vec<&str> = task_change
        .fields
        .iter()
        .map(|f| f.field.as_str())
        .collect();
    assert_eq!(fields, ["body"], "{rendered}");
    assert_eq!(
        task_change.fields[0].before,
        json!(generated),
        "only the generated part is compared"
    );
    assert!(plan.drift.is_empty(), "{rendered}");
    assert!(
        !rendered.contains("Context from the team call"),
        "{rendered}"
    );
    let feature_change = plan.changes.iter().find(|c| c.target.key() == FEATURE);
    if let Some(f) = feature_change {
        assert!(f.field("assignees").is_none(), "{rendered}");
        if let Some(labels) = f.field("labels") {
            assert!(!labels.to_string().contains("status:review"), "{rendered}");
        }
    }
    gov.apply(id, &plan).await;

    let task = people.issue(n[TASK]).await;
    let body = task["body"].as_str().unwrap();
    let new_generated = &desired_of(&desired2, TASK).body;
    assert_ne!(new_generated, generated);
    assert_eq!(
        body,
        format!("{above}{}{below}", wrap_generated(new_generated)),
        "text around the generated part is kept byte for byte"
    );
    match body_parts(body) {
        BodyParts::Marked { generated, .. } => assert_eq!(generated, new_generated),
        other => panic!("{other:?}"),
    }
    let mut want = spec_labels.clone();
    want.extend(["urgent".to_string(), "status:in_progress".to_string()]);
    want.sort();
    assert_eq!(
        names(&task, "labels", "name"),
        want,
        "labels people set stay"
    );
    assert_eq!(task["state"], "open");

    let feature = people.issue(n[FEATURE]).await;
    let feature_labels = names(&feature, "labels", "name");
    assert!(
        feature_labels.contains(&"observability".to_string()),
        "{feature_labels:?}"
    );
    assert!(
        !feature_labels.iter().any(|l| l.starts_with("status:")),
        "{feature_labels:?}"
    );
    assert_eq!(
        names(&feature, "assignees", "login"),
        Vec::<String>::new(),
        "a removed assignee is not put back"
    );
    let epic = people.issue(n[EPIC]).await;
    assert_eq!(names(&epic, "assignees", "login"), sorted(&["ghgov-bot"]));
    let other = people.issue(n[OTHER_TASK]).await;
    assert_eq!(
        (other["state"].as_str(), other["state_reason"].as_str()),
        (Some("closed"), Some("completed")),
        "closed stays closed"
    );

    // And again: nothing to do.
    let (_, plan, _) = gov.plan(&c2).await;
    assert_eq!(
        plan.summary_line(),
        "Plan: 0 to add, 0 to change, 0 to destroy.",
        "{}",
        plan.render()
    );
    t.finish().await;
}

async fn drift_is_shown_and_settled_by_strategy(db: String) {
    let t = TestWorld::empty().start(&db).await;
    let gov = Gov {
        store: t.store.clone(),
        gh: t.github(),
    };
    let people = People { fh: &t.fh };
    let docs = small_docs();
    let (_, desired, _) = gov.plan_and_apply(&checked(&docs)).await;
    let n = people.numbers();
    let epic_title = desired_of(&desired, EPIC).title.clone();
    let feature_title = desired_of(&desired, FEATURE).title.clone();

    // People rename the epic, edit inside the feature's generated part and move the task
    // to another milestone.
    people
        .edit(n[EPIC], json!({"title": "Platform (renamed in planning)"}))
        .await;
    let feature = people.issue(n[FEATURE]).await;
    let inside = feature["body"].as_str().unwrap().replace(
        GENERATED_END,
        &format!("Edited inside by a person.\n{GENERATED_END}"),
    );
    people.edit(n[FEATURE], json!({"body": inside})).await;
    let later = people
        .send(
            reqwest::Method::POST,
            "/milestones",
            json!({"title": "Later"}),
        )
        .await;
    people
        .edit(n[TASK], json!({"milestone": later["number"]}))
        .await;

    // Defaults: title and body manual (`! drift`, not written), milestone last writer
    // wins: the person changed it last, it stays.
    let (id, plan, _) = gov.plan(&checked(&docs)).await;
    let rendered = plan.render();
    assert_eq!(plan.changes.len(), 0, "{rendered}");
    let outcomes: HashMap<(String, String), DriftOutcome> = plan
        .drift
        .iter()
        .map(|d| ((d.key.clone(), d.field.clone()), d.outcome))
        .collect();
    assert_eq!(outcomes.len(), 3, "{rendered}");
    assert_eq!(
        outcomes[&(EPIC.into(), "title".into())],
        DriftOutcome::Manual
    );
    assert_eq!(
        outcomes[&(FEATURE.into(), "body".into())],
        DriftOutcome::Manual
    );
    assert_eq!(
        outcomes[&(TASK.into(), "milestone".into())],
        DriftOutcome::Kept
    );
    assert!(
        rendered.contains(&format!("! drift {EPIC} (#{}) title [manual]", n[EPIC])),
        "{rendered}"
    );
    assert!(
        rendered.contains("Edited inside by a person."),
        "{rendered}"
    );
    let before = people.writes();
    assert_eq!(gov.apply(id, &plan).await.writes, 0);
    assert_eq!(
        people.writes(),
        before,
        "drift settled by keeping writes nothing"
    );

    // A strategy or field ghgov does not know is a validation problem naming its path.
    let mut bad = small_docs();
    bad.config["sync"] = json!({"conflict_strategies": {"title": "ours", "labels": "manual"}});
    let problems = match check(&bad, false) {
        Ok(_) => panic!("an unknown strategy is refused"),
        Err(report) => report.render(),
    };
    assert!(
        problems.contains("sync.conflict_strategies.title"),
        "{problems}"
    );
    assert!(problems.contains("labels"), "{problems}");

    // Configured otherwise: the title is the specification's (local_wins), the body's
    // edit stays (remote_wins), the milestone is put back (local_wins).
    let mut docs2 = small_docs();
    docs2.config["sync"] = json!({"conflict_strategies": {
        "title": "local_wins", "body": "remote_wins", "milestone": "local_wins"
    }});
    let c2 = checked(&docs2);
    let (id, plan, _) = gov.plan(&c2).await;
    let rendered = plan.render();
    assert_eq!(
        plan.summary_line(),
        "Plan: 0 to add, 2 to change, 0 to destroy.",
        "{rendered}"
    );
    assert!(
        plan.drift.iter().all(|d| d.outcome != DriftOutcome::Manual),
        "{rendered}"
    );
    gov.apply(id, &plan).await;
    let epic = people.issue(n[EPIC]).await;
    assert_eq!(epic["title"], json!(epic_title));
    let feature = people.issue(n[FEATURE]).await;
    assert!(feature["body"]
        .as_str()
        .unwrap()
        .contains("Edited inside by a person."));
    let task = people.issue(n[TASK]).await;
    assert_ne!(task["milestone"]["title"], "Later");

    // last_writer_wins: a title the specification changed since the last apply is written
    // over a person's; one it did not change leaves the person's.
    people
        .edit(n[EPIC], json!({"title": "People's epic title"}))
        .await;
    people
        .edit(n[FEATURE], json!({"title": "People's feature title"}))
        .await;
    let mut docs3 = small_docs();
    docs3.config["sync"] = json!({"conflict_strategies": {"title": "last_writer_wins"}});
    docs3.spec["project_scope"]["epic_definitions"][0]["epic_title"] = json!("Platform Two");
    let c3 = checked(&docs3);
    let (id, plan, desired3) = gov.plan(&c3).await;
    let rendered = plan.render();
    let outcome = |key: &str| {
        plan.drift
            .iter()
            .find(|d| d.key == key && d.field == "title")
            .map(|d| d.outcome)
    };
    assert_eq!(outcome(EPIC), Some(DriftOutcome::Written), "{rendered}");
    assert_eq!(outcome(FEATURE), Some(DriftOutcome::Kept), "{rendered}");
    gov.apply(id, &plan).await;
    assert_eq!(
        people.issue(n[EPIC]).await["title"],
        json!(desired_of(&desired3, EPIC).title)
    );
    assert_eq!(
        people.issue(n[FEATURE]).await["title"],
        "People's feature title"
    );
    assert_ne!(feature_title, "People's feature title");

    // manual again: the person's title is shown as drift until someone settles it; once
    // GitHub and the specification agree there is nothing left.
    let (_, plan, _) = gov
        .plan(&checked(&docs3.clone_with_config(small_docs().config)))
        .await;
    assert!(
        plan.render().contains(&format!("! drift {FEATURE}")),
        "{}",
        plan.render()
    );
    people
        .edit(n[FEATURE], json!({"title": feature_title}))
        .await;
    let (_, plan, _) = gov
        .plan(&checked(&docs3.clone_with_config(small_docs().config)))
        .await;
    assert!(
        !plan
            .drift
            .iter()
            .any(|d| d.key == FEATURE && d.field == "title"),
        "{}",
        plan.render()
    );
    t.finish().await;
}

trait WithConfig {
    fn clone_with_config(&self, config: Value) -> Documents;
}

impl WithConfig for Documents {
    fn clone_with_config(&self, config: Value) -> Documents {
        Documents {
            spec: self.spec.clone(),
            config,
        }
    }
}

async fn bodies_from_before_the_markers_get_them_once(db: String) {
    let t = TestWorld::empty().start(&db).await;
    let gov = Gov {
        store: t.store.clone(),
        gh: t.github(),
    };
    let people = People { fh: &t.fh };
    let c = checked(&small_docs());
    let (_, desired, _) = gov.plan_and_apply(&c).await;
    let n = people.numbers();
    // The task's body as ghgov wrote it before the markers: the generated part alone.
    let old = desired_of(&desired, TASK).body.clone();
    people.edit(n[TASK], json!({"body": old})).await;

    let (id, plan, _) = gov.plan(&c).await;
    let rendered = plan.render();
    assert_eq!(
        plan.summary_line(),
        "Plan: 0 to add, 1 to change, 0 to destroy.",
        "{rendered}"
    );
    assert!(
        rendered.contains("~ body = (unchanged, now between the generated-part markers)"),
        "{rendered}"
    );
    // Someone edits the old body between the plan and the apply: all of it counts as
    // generated, so their words cannot be told apart and the apply stops instead.
    people
        .edit(
            n[TASK],
            json!({"body": format!("{old}\nA person's line.\n")}),
        )
        .await;
    let repo = RepoName::parse("acme/widgets").unwrap();
    let err = Applier::new(&gov.store, &gov.gh, &repo, "test")
        .apply(id, &plan)
        .await
        .unwrap_err();
    assert!(
        format!("{err:#}").contains("changed on GitHub since the plan"),
        "{err:#}"
    );
    assert!(people.issue(n[TASK]).await["body"]
        .as_str()
        .unwrap()
        .contains("A person's line."));
    people.edit(n[TASK], json!({"body": old})).await;
    let (id, plan, _) = gov.plan(&c).await;
    gov.apply(id, &plan).await;
    let body = people.issue(n[TASK]).await["body"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(body, wrap_generated(&old));
    assert!(body.starts_with(GENERATED_START));
    let (_, plan, _) = gov.plan(&c).await;
    assert_eq!(
        plan.summary_line(),
        "Plan: 0 to add, 0 to change, 0 to destroy.",
        "{}",
        plan.render()
    );
    t.finish().await;
}

async fn issues_applied_before_records_take_their_base_from_the_journal(db: String) {
    let t = TestWorld::empty().start(&db).await;
    let gov = Gov {
        store: t.store.clone(),
        gh: t.github(),
    };
    let people = People { fh: &t.fh };
    let c = checked(&small_docs());
    let (_, desired, _) = gov.plan_and_apply(&c).await;
    let n = people.numbers();
    // As a database from before migration 0010 holds it: no records, only the journal;
    // and a body as ghgov wrote it then, without markers.
    sqlx::query("UPDATE governance_keys SET applied = NULL")
        .execute(t.store.pool_for_tests())
        .await
        .unwrap();
    let old = desired_of(&desired, TASK).body.clone();
    people.edit(n[TASK], json!({"body": old})).await;
    // People rename the epic and take a label the specification asked for off the feature.
    people
        .edit(n[EPIC], json!({"title": "Renamed before the upgrade"}))
        .await;
    let feature = people.issue(n[FEATURE]).await;
    let mut kept = names(&feature, "labels", "name");
    let removed = kept.remove(0);
    people
        .edit(n[FEATURE], json!({"labels": kept.clone()}))
        .await;

    let (id, plan, _) = gov.plan(&c).await;
    let rendered = plan.render();
    assert_eq!(
        plan.drift
            .iter()
            .map(|d| (d.key.as_str(), d.field.as_str(), d.outcome))
            .collect::<Vec<_>>(),
        [(EPIC, "title", DriftOutcome::Manual)],
        "{rendered}"
    );
    assert_eq!(
        plan.summary_line(),
        "Plan: 0 to add, 1 to change, 0 to destroy.",
        "{rendered}"
    );
    gov.apply(id, &plan).await;
    assert_eq!(
        people.issue(n[EPIC]).await["title"],
        "Renamed before the upgrade"
    );
    let feature = people.issue(n[FEATURE]).await;
    assert!(
        !names(&feature, "labels", "name").contains(&removed),
        "{removed} stays off"
    );
    assert_eq!(
        people.issue(n[TASK]).await["body"],
        json!(wrap_generated(&old))
    );
    t.finish().await;
}

async fn edits_between_plan_and_apply_are_kept(db: String) {
    let t = TestWorld::empty().start(&db).await;
    let gov = Gov {
        store: t.store.clone(),
        gh: t.github(),
    };
    let people = People { fh: &t.fh };
    gov.plan_and_apply(&checked(&small_docs())).await;
    let n = people.numbers();

    // The specification changes the feature's text and labels; the plan is made…
    let mut docs = small_docs();
    docs.spec["project_scope"]["epic_definitions"][0]["feature_breakdown"][0]
        ["feature_description"] = json!("A new description.");
    for t in docs.config["templates"]["feature_templates"]
        .as_array_mut()
        .unwrap()
    {
        t["default_labels"] = json!([t["default_labels"].clone(), json!(["observability"])]
            .iter()
            .flat_map(|v| v.as_array().cloned().unwrap_or_default())
            .collect::<Vec<_>>());
    }
    let (id, plan, desired) = gov.plan(&checked(&docs)).await;
    let change = plan
        .changes
        .iter()
        .find(|c| c.target.key() == FEATURE)
        .unwrap_or_else(|| panic!("{}", plan.render()));
    assert!(change.field("body").is_some() && change.field("labels").is_some());

    // …then, before it is applied, a person writes above the generated part and adds a
    // label of their own.
    let feature = people.issue(n[FEATURE]).await;
    let mut labels = names(&feature, "labels", "name");
    labels.push("needs-design".into());
    let above = "Decided on Monday: ship it behind a flag.\n\n";
    people
        .edit(
            n[FEATURE],
            json!({"body": format!("{above}{}", feature["body"].as_str().unwrap()), "labels": labels}),
        )
        .await;
    gov.apply(id, &plan).await;

    let feature = people.issue(n[FEATURE]).await;
    assert_eq!(
        feature["body"],
        json!(format!(
            "{above}{}",
            wrap_generated(&desired_of(&desired, FEATURE).body)
        ))
    );
    let have = names(&feature, "labels", "name");
    assert!(have.contains(&"needs-design".to_string()), "{have:?}");
    assert!(have.contains(&"observability".to_string()), "{have:?}");
    t.finish().await;
}

suite!(both: [
    edits_between_plan_and_apply_are_kept,
    issues_applied_before_records_take_their_base_from_the_journal,
    people_edits_survive_a_reapply,
    drift_is_shown_and_settled_by_strategy,
    bodies_from_before_the_markers_get_them_once,
]);
