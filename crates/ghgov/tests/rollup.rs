//! The hierarchy rollup against fakehub: sub-issues linked through GitHub's REST API,
//! statuses moved with labels and closes, and what ghgov derives from the webhooks
//! (`GET /api/v1/issues/hierarchy/{id}`, `GET /api/v1/issues/{id}`): progress weighted by
//! `estimate:N` labels, at risk, the derived parent status (with and without
//! `tracking.rollup.parent_done_when_children_done`), GitHub's sub-issue summary
//! cross-checked, and the estimates a governance apply records.

mod common;
use common::*;
use ghgov::store::Scope;
use serde_json::{json, Value};

/// GitHub's (fakehub's) side, through its REST API with the test token.
struct Hub<'a> {
    fh: &'a fakehub::FakeHub,
}

impl Hub<'_> {
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

    /// A new issue: (number, id).
    async fn create(&self, title: &str, labels: &[&str]) -> (u64, i64) {
        let i = self
            .send(
                reqwest::Method::POST,
                "/issues",
                json!({"title": title, "labels": labels}),
            )
            .await;
        (i["number"].as_u64().unwrap(), i["id"].as_i64().unwrap())
    }

    async fn link(&self, parent: u64, child: i64) {
        self.send(
            reqwest::Method::POST,
            &format!("/issues/{parent}/sub_issues"),
            json!({"sub_issue_id": child}),
        )
        .await;
    }

    /// Moves an issue to `status` in one change, a little later on GitHub's clock.
    async fn set(&self, number: u64, status: &str, extra_labels: &[&str]) {
        self.fh.hub.clock.advance(chrono::Duration::seconds(10));
        let mut labels: Vec<String> = extra_labels.iter().map(|l| l.to_string()).collect();
        let body = match status {
            "done" => json!({"state": "closed", "state_reason": "completed", "labels": labels}),
            "cancelled" => {
                json!({"state": "closed", "state_reason": "not_planned", "labels": labels})
            }
            open => {
                labels.push(format!("status:{open}"));
                json!({"state": "open", "labels": labels})
            }
        };
        self.send(reqwest::Method::PATCH, &format!("/issues/{number}"), body)
            .await;
    }
}

async fn hooked(t: &Tester) {
    let gg = t.ghgov();
    ghgov::server::hooks::install_hook(&gg.gh.clone().unwrap(), &repo(), &gg.url(), &SECRET.into())
        .await
        .unwrap();
}

/// The hierarchy answer under `id` (checked against the OpenAPI document by `api`).
async fn tree(url: &str, token: &str, id: i64) -> Value {
    let (code, body) = api(url, token, &format!("/api/v1/issues/hierarchy/{id}")).await;
    assert_eq!(code, 200, "{body}");
    body
}

/// The node with this id in a hierarchy answer.
fn find(node: &Value, id: i64) -> Option<&Value> {
    if node["id"] == id {
        return Some(node);
    }
    node["children"]
        .as_array()?
        .iter()
        .find_map(|c| find(c, id))
}

fn close(a: &Value, b: f64) -> bool {
    (a.as_f64().unwrap() - b).abs() < 1e-9
}

async fn a_tree_rolls_up_progress_risk_and_the_derived_status(db: String) {
    let t = TestWorld::empty().serving().start(&db).await;
    hooked(&t).await;
    let (fh, gg) = (&t.fh, t.ghgov());
    let hub = Hub { fh };
    let (_, read) = gg.store.create_token("reader", Scope::Read).await.unwrap();
    let (_, write) = gg.store.create_token("writer", Scope::Write).await.unwrap();
    let url = gg.url();

    // epic ─┬─ f1 ─┬─ t1 (estimate:3)
    //       │      └─ t2
    //       └─ f2 ─── t3
    let (epic, epic_id) = hub.create("Epic", &[]).await;
    let (f1, f1_id) = hub.create("Feature 1", &[]).await;
    let (f2, f2_id) = hub.create("Feature 2", &[]).await;
    let (t1, t1_id) = hub.create("Task 1", &["estimate:3"]).await;
    let (t2, t2_id) = hub.create("Task 2", &[]).await;
    let (t3, t3_id) = hub.create("Task 3", &[]).await;
    hub.link(epic, f1_id).await;
    hub.link(epic, f2_id).await;
    hub.link(f1, t1_id).await;
    hub.link(f1, t2_id).await;
    hub.link(f2, t3_id).await;
    // t1 and t2 are the work of milestone 1.
    hub.send(reqwest::Method::POST, "/milestones", json!({"title": "M1"}))
        .await;
    for t in [t1, t2] {
        hub.send(
            reqwest::Method::PATCH,
            &format!("/issues/{t}"),
            json!({"milestone": 1}),
        )
        .await;
    }
    settled(fh, &gg.store).await;
    let root = tree(&url, &read, epic_id).await;
    assert_eq!(root["progress"], 0.0, "{root}");
    assert_eq!(root["derived_status"], "planning", "{root}");
    assert_eq!(root["counts"]["total"], 5, "{root}");
    let kids: Vec<i64> = root["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(kids, [f1_id, f2_id], "children in GitHub's order: {root}");
    assert_eq!(find(&root, t1_id).unwrap()["estimate"], 3.0, "{root}");

    // t1 starts, t2 is done, t3 is blocked.
    hub.set(t1, "in_progress", &["estimate:3"]).await;
    hub.set(t2, "done", &[]).await;
    hub.set(t3, "blocked", &[]).await;
    settled(fh, &gg.store).await;
    let root = tree(&url, &read, epic_id).await;
    let n1 = find(&root, f1_id).unwrap();
    // f1: t1 weighs 3 and is not done, t2 weighs 1 and is: 1/4.
    assert!(close(&n1["progress"], 0.25), "{n1}");
    assert_eq!(n1["derived_status"], "in_progress", "{n1}");
    assert_eq!(n1["status"], "planning", "{n1}");
    assert_eq!(n1["at_risk"], false, "{n1}");
    let n2 = find(&root, f2_id).unwrap();
    assert_eq!(
        (&n2["progress"], &n2["at_risk"]),
        (&json!(0.0), &json!(true)),
        "{n2}"
    );
    // The epic: f1 (0.25) and f2 (0), each weighing 1; at risk through f2's t3.
    assert!(close(&root["progress"], 0.125), "{root}");
    assert_eq!(root["at_risk"], true, "{root}");
    assert_eq!(root["derived_status"], "in_progress", "{root}");
    assert_eq!(
        root["counts"],
        json!({"blocked": 1, "done": 1, "in_progress": 1, "total": 5})
    );
    // The issue itself shows its progress and risk too.
    let (code, epic_detail) = api(&url, &read, &format!("/api/v1/issues/{epic_id}")).await;
    assert_eq!(code, 200, "{epic_detail}");
    assert!(close(&epic_detail["progress"], 0.125), "{epic_detail}");
    assert_eq!(epic_detail["at_risk"], true, "{epic_detail}");
    // Milestone 1: t2 done (weight 1) of t1 (3) and t2.
    let (code, milestones) = api(&url, &read, "/api/v1/milestones?repo=acme/widgets").await;
    assert_eq!(code, 200, "{milestones}");
    let progress = &milestones["data"][0]["progress"];
    assert!(close(&progress["weighted_progress"], 0.25), "{milestones}");
    assert_eq!(progress["closed_issues"], 1, "{milestones}");

    // A cancelled task counts for nothing: f2 has nothing left to do, nobody is at risk.
    hub.set(t3, "cancelled", &[]).await;
    settled(fh, &gg.store).await;
    let root = tree(&url, &read, epic_id).await;
    assert_eq!(root["at_risk"], false, "{root}");
    assert_eq!(root["counts"]["total"], 4, "{root}");

    // Without the setting, a parent whose children are all done is not derived done.
    hub.set(t1, "done", &["estimate:3"]).await;
    settled(fh, &gg.store).await;
    let root = tree(&url, &read, epic_id).await;
    let n1 = find(&root, f1_id).unwrap();
    assert_eq!(
        (&n1["progress"], &n1["derived_status"]),
        (&json!(1.0), &json!("in_progress")),
        "{n1}"
    );

    // With it, the next change derives done up the tree.
    let (code, body) = call(
        reqwest::Method::PUT,
        &format!("{url}/api/v1/governance/config/acme/widgets"),
        &write,
        Some(json!({
            "organization": "acme",
            "repository": "widgets",
            "tracking": {"rollup": {"parent_done_when_children_done": true}}
        })),
    )
    .await;
    assert_eq!(code, 201, "{body}");
    hub.set(t1, "done", &[]).await;
    hub.set(f2, "done", &[]).await;
    settled(fh, &gg.store).await;
    let root = tree(&url, &read, epic_id).await;
    let n1 = find(&root, f1_id).unwrap();
    assert_eq!(n1["derived_status"], "done", "{n1}");
    assert_eq!(root["derived_status"], "done", "{root}");
    assert_eq!(
        root["status"], "planning",
        "ghgov does not close it: {root}"
    );
    assert!(close(&root["progress"], 1.0), "{root}");
    let (_, milestones) = api(&url, &read, "/api/v1/milestones?repo=acme/widgets").await;
    assert!(
        close(&milestones["data"][0]["progress"]["weighted_progress"], 1.0),
        "{milestones}"
    );
    // Nothing was written to GitHub for it.
    let on_github = fh.hub.world.read().repos[0].issue(epic).unwrap().is_open();
    assert!(on_github);
    t.finish().await;
}

async fn github_summaries_are_cross_checked(db: String) {
    let t = TestWorld::empty().serving().start(&db).await;
    hooked(&t).await;
    let (fh, gg) = (&t.fh, t.ghgov());
    let hub = Hub { fh };
    let (_, read) = gg.store.create_token("reader", Scope::Read).await.unwrap();
    let (_, write) = gg.store.create_token("writer", Scope::Write).await.unwrap();
    let url = gg.url();
    let (parent, parent_id) = hub.create("Parent", &[]).await;
    let (_, a) = hub.create("A", &[]).await;
    let (b_number, b) = hub.create("B", &[]).await;
    hub.link(parent, a).await;
    hub.link(parent, b).await;
    hub.set(b_number, "done", &[]).await;
    settled(fh, &gg.store).await;
    // A sync reads GitHub's summaries as they are now: they agree with the mirror.
    t.syncer()
        .sync(&repo(), ghgov::mirror::sync::SyncKind::Full)
        .await
        .unwrap();
    let root = tree(&url, &read, parent_id).await;
    assert_eq!(
        root["github_summary"],
        json!({"completed": 1, "total": 2}),
        "{root}"
    );
    assert_eq!(
        root["mirror_summary"],
        json!({"completed": 1, "total": 2}),
        "{root}"
    );
    assert_eq!(root["summary_mismatch"], false, "{root}");

    // GitHub's summary says something else (as a lost webhook would leave it).
    sqlx::query("UPDATE issues SET sub_issues_total = 3 WHERE id = $1")
        .bind(parent_id)
        .execute(gg.store.pool_for_tests())
        .await
        .unwrap();
    let root = tree(&url, &read, parent_id).await;
    assert_eq!(root["summary_mismatch"], true, "{root}");
    let (code, body) = call(
        reqwest::Method::PUT,
        &format!("{url}/api/v1/governance/config/acme/widgets"),
        &write,
        Some(json!({"organization": "acme", "repository": "widgets"})),
    )
    .await;
    assert_eq!(code, 201, "{body}");
    let (code, report) = api(&url, &read, "/api/v1/governance/compliance/acme/widgets").await;
    assert_eq!(code, 200, "{report}");
    assert_eq!(
        report["summary_mismatch"],
        json!([{"issue": parent_id, "number": parent, "github_total": 3, "github_completed": 1, "mirror_total": 2, "mirror_closed": 1}]),
        "{report}"
    );
    t.finish().await;
}

async fn an_apply_records_each_governed_estimate_as_hours(db: String) {
    let t = TestWorld::empty().start(&db).await;
    let (plan, _, _) = t.apply_example("alice").await;
    // What the bodies on GitHub say, read back as hours.
    let bodies = fh_world_issues(&t.fh, &plan.repository);
    let mut estimated = 0;
    for (id, body) in &bodies {
        let written = body
            .lines()
            .find(|l| l.starts_with("**Kind:**"))
            .and_then(|l| {
                l.split(" · ")
                    .find_map(|p| p.strip_prefix("**Estimate:** "))
            })
            .map(|e| ghgov::store::rollup::parse_estimate(e).expect("a readable estimate"));
        let rollup = t.store.rollup_of(*id).await.unwrap().expect("a rollup row");
        assert_eq!(rollup.estimate, written, "issue {id}: {body}");
        estimated += usize::from(written.is_some());
    }
    assert!(
        estimated >= 10,
        "the example estimates its work: {estimated}"
    );
    // The epics' rollups cover their trees, as a full recomputation does.
    t.store.rollups_consistent().await.unwrap().unwrap();
    t.finish().await;
}

/// (id, body) of a repository's issues on fakehub.
fn fh_world_issues(fh: &fakehub::FakeHub, full_name: &str) -> Vec<(i64, String)> {
    let world = fh.hub.world.read();
    let repo = world
        .repos
        .iter()
        .find(|r| r.full_name() == full_name)
        .unwrap();
    repo.issues
        .iter()
        .filter(|i| i.gone.is_none() && !i.pull_request)
        .map(|i| (i.id as i64, i.body.clone().unwrap_or_default()))
        .collect()
}

suite!(both: [
    a_tree_rolls_up_progress_risk_and_the_derived_status,
    github_summaries_are_cross_checked,
    an_apply_records_each_governed_estimate_as_hours,
]);
