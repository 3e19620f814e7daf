//! Tracking work: every issue's status derived from what GitHub shows, its history from
//! every source (complete, without duplicates across replays, redeliveries and reconciles),
//! the workflow's transitions (defaults, configured, violations in compliance) and the
//! times the history yields.

mod common;
use common::*;
use ghgov::store::Scope;
use serde_json::{json, Value};
use std::collections::HashSet;

/// GitHub's (fakehub's) side of a scenario, through its REST API with the test token.
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

    async fn get(&self, path: &str) -> Value {
        reqwest::Client::new()
            .get(format!("{}/repos/acme/widgets{path}", self.fh.url))
            .bearer_auth(GH_TOKEN)
            .send_ok()
            .await
            .json()
            .await
            .unwrap()
    }

    /// A new issue with these labels: (number, id).
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

    async fn patch(&self, number: u64, body: Value) -> Value {
        self.send(reqwest::Method::PATCH, &format!("/issues/{number}"), body)
            .await
    }

    /// Moves the issue to `status` with one change on GitHub (state, reason and labels
    /// together, so every webhook it causes shows the end result).
    async fn set(&self, number: u64, status: &str) {
        let body = match status {
            "planning" => json!({"state": "open", "labels": []}),
            "done" => json!({"state": "closed", "state_reason": "completed", "labels": []}),
            "cancelled" => json!({"state": "closed", "state_reason": "not_planned", "labels": []}),
            open => json!({"state": "open", "labels": [format!("status:{open}")]}),
        };
        self.patch(number, body).await;
    }

    /// Moves GitHub's clock on, so the next change has a later `updated_at`.
    fn later(&self, seconds: i64) {
        self.fh
            .hub
            .clock
            .advance(chrono::Duration::seconds(seconds));
    }
}

/// The issue's status as the API shows it.
async fn status_of(url: &str, token: &str, id: i64) -> Value {
    let (code, body) = api(url, token, &format!("/api/v1/issues/{id}")).await;
    assert_eq!(code, 200, "{body}");
    body["status"].clone()
}

/// The issue's whole history answer (one page of 100).
async fn history(url: &str, token: &str, id: i64) -> Value {
    let (code, body) = api(
        url,
        token,
        &format!("/api/v1/issues/{id}/history?per_page=100"),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    body
}

/// (from, to) of each history entry.
fn moves(h: &Value) -> Vec<(Option<String>, String)> {
    h["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["from"].as_str().map(str::to_string),
                r["to"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn path_of(statuses: &[&str]) -> Vec<(Option<String>, String)> {
    statuses
        .iter()
        .enumerate()
        .map(|(k, s)| ((k > 0).then(|| statuses[k - 1].to_string()), s.to_string()))
        .collect()
}

/// The ids of the issues a list answer holds.
async fn listed(url: &str, token: &str, query: &str) -> HashSet<i64> {
    let (code, body) = api(url, token, &format!("/api/v1/issues?{query}")).await;
    assert_eq!(code, 200, "{body}");
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect()
}

async fn hooked(t: &Tester) {
    let gg = t.ghgov();
    ghgov::server::hooks::install_hook(&gg.gh.clone().unwrap(), &repo(), &gg.url(), &SECRET.into())
        .await
        .unwrap();
}

async fn every_label_and_state_gives_its_status(db: String) {
    let t = TestWorld::empty().serving().start(&db).await;
    hooked(&t).await;
    let (fh, gg) = (&t.fh, t.ghgov());
    let hub = Hub { fh };
    let cases: Vec<(&str, &[&str], Option<Value>, &str)> = vec![
        ("no label", &[], None, "planning"),
        ("planning label", &["status:planning"], None, "planning"),
        ("in progress", &["status:in_progress"], None, "in_progress"),
        ("review", &["status:review"], None, "review"),
        ("blocked", &["status:blocked"], None, "blocked"),
        ("other labels only", &["bug"], None, "planning"),
        // Several status labels: blocked first, then the most advanced.
        (
            "in progress and review",
            &["status:in_progress", "status:review"],
            None,
            "review",
        ),
        (
            "review and blocked",
            &["status:review", "status:blocked", "status:planning"],
            None,
            "blocked",
        ),
        ("closed", &[], Some(json!({"state": "closed"})), "done"),
        (
            "closed completed, a label left",
            &["status:review"],
            Some(json!({"state": "closed", "state_reason": "completed"})),
            "done",
        ),
        (
            "closed not planned",
            &["status:in_progress"],
            Some(json!({"state": "closed", "state_reason": "not_planned"})),
            "cancelled",
        ),
        (
            "closed as duplicate",
            &[],
            Some(json!({"state": "closed", "state_reason": "duplicate"})),
            "cancelled",
        ),
    ];
    let mut ids = Vec::new();
    for (title, labels, patch, _) in &cases {
        let (number, id) = hub.create(title, labels).await;
        if let Some(p) = patch {
            hub.patch(number, p.clone()).await;
        }
        ids.push(id);
    }
    settled(fh, &gg.store).await;
    let (_, read) = gg.store.create_token("reader", Scope::Read).await.unwrap();
    let url = gg.url();
    for ((title, _, _, want), id) in cases.iter().zip(&ids) {
        assert_eq!(status_of(&url, &read, *id).await, json!(want), "{title}");
    }
    // The list shows each issue's status and filters by it.
    let (_, all) = api(&url, &read, "/api/v1/issues?state=all&per_page=100").await;
    for row in all["data"].as_array().unwrap() {
        let k = ids.iter().position(|id| *id == row["id"]).unwrap();
        assert_eq!(row["status"], cases[k].3, "{}", cases[k].0);
    }
    for status in [
        "planning",
        "in_progress",
        "review",
        "blocked",
        "done",
        "cancelled",
    ] {
        let want: HashSet<i64> = cases
            .iter()
            .zip(&ids)
            .filter(|(c, _)| c.3 == status)
            .map(|(_, id)| *id)
            .collect();
        assert_eq!(
            listed(&url, &read, &format!("state=all&status={status}")).await,
            want,
            "{status}"
        );
    }
    assert_eq!(
        listed(&url, &read, "status=cancelled").await,
        HashSet::new(),
        "state=open by default: no open issue is cancelled"
    );
    let (code, body) = api(&url, &read, "/api/v1/issues?status=shipped").await;
    assert_eq!(code, 400, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("in_progress"),
        "{body}"
    );
    // A full sync stores the same facts again: no status moves, no history is added.
    let before: Vec<Value> = {
        let mut v = Vec::new();
        for id in &ids {
            v.push(history(&url, &read, *id).await["data"].clone());
        }
        v
    };
    t.syncer()
        .sync(&repo(), ghgov::mirror::sync::SyncKind::Full)
        .await
        .unwrap();
    for (k, id) in ids.iter().enumerate() {
        assert_eq!(
            history(&url, &read, *id).await["data"],
            before[k],
            "{}",
            cases[k].0
        );
        assert_eq!(status_of(&url, &read, *id).await, json!(cases[k].3));
    }
    t.finish().await;
}

async fn history_from_webhooks_names_sender_and_delivery_and_gives_times(db: String) {
    let t = TestWorld::empty().serving().start(&db).await;
    hooked(&t).await;
    let (fh, gg) = (&t.fh, t.ghgov());
    let hub = Hub { fh };
    let (number, id) = hub.create("Build it", &[]).await;
    // in_progress after 60 s, blocked 120 s later for 30 s, review 600 s later, done 300 s
    // after that.
    for (wait, status) in [
        (60, "in_progress"),
        (120, "blocked"),
        (30, "in_progress"),
        (600, "review"),
        (300, "done"),
    ] {
        hub.later(wait);
        hub.set(number, status).await;
    }
    settled(fh, &gg.store).await;
    let (_, read) = gg.store.create_token("reader", Scope::Read).await.unwrap();
    let url = gg.url();
    let h = history(&url, &read, id).await;
    assert_eq!(
        moves(&h),
        path_of(&[
            "planning",
            "in_progress",
            "blocked",
            "in_progress",
            "review",
            "done"
        ]),
        "{h}"
    );
    let guids: HashSet<String> = fh
        .hub
        .dispatcher
        .all_deliveries()
        .iter()
        .map(|d| d.guid.clone())
        .collect();
    for row in h["data"].as_array().unwrap() {
        assert_eq!(row["source"], "webhook", "{row}");
        assert_eq!(row["actor"], "ghgov-bot", "{row}");
        assert_eq!(row["violation"], false, "{row}");
        let delivery = row["correlation_id"].as_str().unwrap();
        assert!(
            guids.contains(delivery),
            "{delivery} is a delivery of fakehub's"
        );
    }
    assert_eq!(h["data"][5]["reason"], "completed", "{h}");
    // fakehub's clock keeps flowing between the steps, so the times are checked against
    // the entries' own times (the rule itself is unit tested on a fixed sequence).
    let at = |k: usize| {
        chrono::DateTime::parse_from_rfc3339(h["data"][k]["at"].as_str().unwrap()).unwrap()
    };
    let created = hub.get(&format!("/issues/{number}")).await["created_at"]
        .as_str()
        .map(|c| chrono::DateTime::parse_from_rfc3339(c).unwrap())
        .unwrap();
    let secs = |d: chrono::Duration| d.num_seconds();
    assert_eq!(
        h["times"],
        json!({
            "blocked_time": secs(at(3) - at(2)),
            "cycle_time": secs(at(5) - at(1)),
            "lead_time": secs(at(5) - created),
            "review_time": secs(at(5) - at(4)),
        }),
        "{h}"
    );
    assert!(
        secs(at(3) - at(2)) >= 30 && secs(at(5) - at(4)) >= 300,
        "{h}"
    );
    assert_eq!(h["pagination"]["total"], 6);

    // Every delivery replayed through the API, one redelivered by GitHub (same GUID) and
    // one sent again under a new delivery id: the history stays as it was.
    let (_, write) = gg.store.create_token("writer", Scope::Write).await.unwrap();
    let (rows, _) = gg.store.list_deliveries(None, 1000, 0).await.unwrap();
    for d in &rows {
        let (code, body) = call(
            reqwest::Method::POST,
            &format!("{url}/api/v1/webhooks/events/{}/replay", d.id),
            &write,
            None,
        )
        .await;
        assert_eq!(code, 202, "{body}");
    }
    processed(&gg.store).await;
    let hook = fh.hub.world.read().repos[0].hooks[0].id;
    let first = fh.hub.dispatcher.all_deliveries()[0].id;
    reqwest::Client::new()
        .post(format!(
            "{}/repos/acme/widgets/hooks/{hook}/deliveries/{first}/attempts",
            fh.url
        ))
        .bearer_auth(GH_TOKEN)
        .send_ok()
        .await;
    let again = rows
        .iter()
        .find(|d| d.event == "issues" && d.action.as_deref() == Some("labeled"))
        .unwrap();
    let payload = gg.store.delivery(again.id).await.unwrap().unwrap().payload;
    let r = deliver(&url, "issues", "a-new-id", payload.as_bytes(), SECRET).await;
    assert_eq!(r.status(), 202);
    settled(fh, &gg.store).await;
    assert_eq!(history(&url, &read, id).await["data"], h["data"]);
    t.finish().await;
}

async fn every_default_transition_is_allowed_and_others_are_violations(db: String) {
    let t = TestWorld::empty().serving().start(&db).await;
    hooked(&t).await;
    let (fh, gg) = (&t.fh, t.ghgov());
    let hub = Hub { fh };
    // A walk through all sixteen default transitions.
    let walk = [
        "planning",
        "in_progress",
        "review",
        "done",
        "in_progress",
        "planning",
        "blocked",
        "planning",
        "cancelled",
        "planning",
        "in_progress",
        "blocked",
        "in_progress",
        "cancelled",
        "planning",
        "in_progress",
        "review",
        "in_progress",
        "review",
        "blocked",
        "review",
        "blocked",
        "cancelled",
    ];
    let edges: HashSet<(&str, &str)> = walk.windows(2).map(|w| (w[0], w[1])).collect();
    assert_eq!(edges.len(), 16, "the walk covers every default transition");
    let (number, id) = hub.create("Walk", &[]).await;
    for status in &walk[1..] {
        hub.later(10);
        hub.set(number, status).await;
    }
    // Changes the workflow refuses, made on GitHub all the same: closing an issue that
    // never started, reopening it without a status, and jumping to review.
    let (other, other_id) = hub.create("Skips", &[]).await;
    for status in ["done", "planning", "review"] {
        hub.later(10);
        hub.set(other, status).await;
    }
    settled(fh, &gg.store).await;
    let (_, read) = gg.store.create_token("reader", Scope::Read).await.unwrap();
    let url = gg.url();
    let h = history(&url, &read, id).await;
    assert_eq!(moves(&h), path_of(&walk), "{h}");
    assert!(
        h["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["violation"] == false),
        "{h}"
    );
    let h = history(&url, &read, other_id).await;
    assert_eq!(
        moves(&h),
        path_of(&["planning", "done", "planning", "review"])
    );
    let flagged: Vec<&Value> = h["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["violation"])
        .collect();
    assert_eq!(
        flagged,
        [&json!(false), &json!(true), &json!(true), &json!(true)]
    );
    // Never reverted: GitHub keeps what people did.
    assert_eq!(status_of(&url, &read, other_id).await, "review");
    assert_eq!(hub.get(&format!("/issues/{other}")).await["state"], "open");

    // Compliance lists them (it needs the repository's configuration).
    let (_, write) = gg.store.create_token("writer", Scope::Write).await.unwrap();
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
    let listed: Vec<(i64, &str, &str)> = report["workflow_violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["issue"].as_i64().unwrap(),
                v["from"].as_str().unwrap(),
                v["to"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            (other_id, "planning", "done"),
            (other_id, "done", "planning"),
            (other_id, "planning", "review"),
        ],
        "{report}"
    );
    assert_eq!(report["workflow_violations"][0]["actor"], "ghgov-bot");
    assert_eq!(report["workflow_violations"][0]["number"], other);
    t.finish().await;
}

async fn a_configured_workflow_renames_narrows_and_widens(db: String) {
    let t = TestWorld::empty().serving().start(&db).await;
    hooked(&t).await;
    let (fh, gg) = (&t.fh, t.ghgov());
    let hub = Hub { fh };
    let (_, read) = gg.store.create_token("reader", Scope::Read).await.unwrap();
    let (_, write) = gg.store.create_token("writer", Scope::Write).await.unwrap();
    let url = gg.url();
    let put = |config: Value| {
        let (url, write) = (url.clone(), write.clone());
        async move {
            call(
                reqwest::Method::PUT,
                &format!("{url}/api/v1/governance/config/acme/widgets"),
                &write,
                Some(config),
            )
            .await
        }
    };
    // Before any configuration: `wip` means nothing.
    let (wip, wip_id) = hub.create("Labelled wip", &["wip"]).await;
    settled(fh, &gg.store).await;
    assert_eq!(status_of(&url, &read, wip_id).await, "planning");

    // A configuration with mistakes is refused, every mistake named where it is.
    let (code, body) = put(json!({
        "organization": "acme",
        "repository": "widgets",
        "tracking": {
            "status_labels": {"in_progress": "wip", "review": "WIP"},
            "transitions": {"planning": ["in_progress", "shipped"], "reviewing": ["done"]}
        }
    }))
    .await;
    assert_eq!(code, 422, "{body}");
    let message = body["error"].as_str().unwrap();
    for path in [
        "tracking.status_labels.in_progress",
        "tracking.transitions.planning[1]",
        "tracking.transitions.reviewing",
    ] {
        assert!(message.contains(path), "{path} in {message}");
    }

    // Renamed, widened (planning → done) and narrowed (in_progress → review only). The
    // running server takes it with the next change, without a restart.
    let (code, body) = put(json!({
        "organization": "acme",
        "repository": "widgets",
        "tracking": {
            "status_labels": {"in_progress": "wip"},
            "transitions": {"planning": ["in_progress", "done"], "in_progress": ["review"]}
        }
    }))
    .await;
    assert_eq!(code, 201, "{body}");
    hub.later(10);
    hub.patch(wip, json!({"title": "Labelled wip, edited"}))
        .await;
    settled(fh, &gg.store).await;
    assert_eq!(status_of(&url, &read, wip_id).await, "in_progress");
    // Narrowed: in_progress → blocked is now a violation.
    hub.later(10);
    hub.patch(wip, json!({"labels": ["status:blocked"]})).await;
    // Widened: closing an issue that never started is allowed.
    let (skip, skip_id) = hub.create("Closed at once", &[]).await;
    hub.later(10);
    hub.set(skip, "done").await;
    settled(fh, &gg.store).await;
    let h = history(&url, &read, wip_id).await;
    assert_eq!(
        moves(&h),
        path_of(&["planning", "in_progress", "blocked"]),
        "{h}"
    );
    let flags: Vec<&Value> = h["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["violation"])
        .collect();
    assert_eq!(flags, [&json!(false), &json!(false), &json!(true)]);
    let h = history(&url, &read, skip_id).await;
    assert_eq!(moves(&h), path_of(&["planning", "done"]), "{h}");
    assert_eq!(h["data"][1]["violation"], false, "{h}");
    t.finish().await;
}

async fn a_lost_webhook_is_caught_by_reconcile_and_arrives_late_for_nothing(db: String) {
    // No webhook installed: every change on GitHub is a lost webhook until the reconcile.
    let t = TestWorld::empty().serving().start(&db).await;
    let (fh, gg) = (&t.fh, t.ghgov());
    let hub = Hub { fh };
    let (number, id) = hub.create("Quietly started", &[]).await;
    let syncer = t.syncer();
    let first = syncer
        .sync(&repo(), ghgov::mirror::sync::SyncKind::Full)
        .await
        .unwrap();
    let planning_snapshot = hub.get(&format!("/issues/{number}")).await;
    hub.later(30);
    hub.set(number, "in_progress").await;
    let (_, read) = gg.store.create_token("reader", Scope::Read).await.unwrap();
    let url = gg.url();
    assert_eq!(status_of(&url, &read, id).await, "planning");
    let report = ghgov::mirror::reconciler::reconcile(&syncer, &repo())
        .await
        .unwrap();
    let h = history(&url, &read, id).await;
    assert_eq!(moves(&h), path_of(&["planning", "in_progress"]), "{h}");
    for (row, op) in h["data"]
        .as_array()
        .unwrap()
        .iter()
        .zip([first.operation_id, report.operation_id])
    {
        assert_eq!(row["source"], "sync", "{row}");
        assert_eq!(row["actor"], Value::Null, "{row}");
        assert_eq!(row["correlation_id"], format!("sync-{op}"), "{row}");
    }
    // The lost webhook arrives late, and then an older one, out of order: nothing changes.
    let repository = hub.get("").await;
    let current = hub.get(&format!("/issues/{number}")).await;
    let late = json!({"action": "labeled", "issue": current, "repository": repository, "sender": {"login": "someone", "id": 5}});
    let stale = json!({"action": "opened", "issue": planning_snapshot, "repository": repository, "sender": {"login": "someone", "id": 5}});
    for (k, payload) in [late, stale].iter().enumerate() {
        let body = serde_json::to_vec(payload).unwrap();
        let r = deliver(&url, "issues", &format!("late-{k}"), &body, SECRET).await;
        assert_eq!(r.status(), 202);
    }
    processed(&gg.store).await;
    assert_eq!(history(&url, &read, id).await["data"], h["data"]);
    assert_eq!(status_of(&url, &read, id).await, "in_progress");
    t.finish().await;
}

/// A change made through ghgov (the store function the write API uses) is recorded with its
/// provenance at once; GitHub's echo of it then adds nothing.
async fn an_api_change_is_recorded_once_and_its_echo_adds_nothing(db: String) {
    use ghgov::tracking::{Provenance, Source, Status};
    let t = TestWorld::empty().serving().start(&db).await;
    hooked(&t).await;
    let (fh, gg) = (&t.fh, t.ghgov());
    let hub = Hub { fh };
    let (number, id) = hub.create("Through the API", &[]).await;
    settled(fh, &gg.store).await;
    let mut tx = gg.store.begin_mirror_write().await.unwrap();
    tx.set_provenance(
        Provenance::new(Source::Api)
            .actor(Some("token:alice"))
            .correlation("request-1")
            .reason(Some("picked up")),
    );
    let change = tx
        .mirror()
        .append_status_change(id, Status::Review, "2026-06-01T00:00:00Z")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let change = change.expect("a change");
    assert_eq!(
        (change.from, change.to, change.violation),
        (Some(Status::Planning), Status::Review, true),
        "planning → review is not a default transition: recorded as a violation"
    );
    // The same again is no change.
    let mut tx = gg.store.begin_mirror_write().await.unwrap();
    let again = tx
        .mirror()
        .append_status_change(id, Status::Review, "2026-06-01T00:00:01Z")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(again, None);
    // GitHub is told, and echoes it.
    hub.later(10);
    hub.set(number, "review").await;
    settled(fh, &gg.store).await;
    let (_, read) = gg.store.create_token("reader", Scope::Read).await.unwrap();
    let h = history(&gg.url(), &read, id).await;
    assert_eq!(moves(&h), path_of(&["planning", "review"]), "{h}");
    let api_row = &h["data"][1];
    assert_eq!(
        (
            &api_row["source"],
            &api_row["actor"],
            &api_row["correlation_id"],
            &api_row["reason"],
            &api_row["at"]
        ),
        (
            &json!("api"),
            &json!("token:alice"),
            &json!("request-1"),
            &json!("picked up"),
            &json!("2026-06-01T00:00:00Z")
        ),
        "{h}"
    );
    t.finish().await;
}

/// Issues a governance apply creates get their first status from the apply's record step
/// (source `apply`, the actor, `plan-<id>`); a sync that reads them back adds nothing.
async fn an_apply_records_the_first_status_of_what_it_creates(db: String) {
    let t = TestWorld::empty().start(&db).await;
    let (plan, plan_id, repo) = t.apply_example("alice").await;
    t.syncer()
        .sync(&repo, ghgov::mirror::sync::SyncKind::Full)
        .await
        .unwrap();
    let ids: Vec<i64> = fh_issue_ids(&t.fh, &plan.repository);
    assert!(ids.len() >= 30, "the example creates its hierarchy");
    for id in ids {
        let history = t.store.status_history_all(id).await.unwrap();
        assert_eq!(history.len(), 1, "issue {id}: {history:?}");
        let h = &history[0];
        assert_eq!(
            (
                h.from_status.as_deref(),
                h.to_status.as_str(),
                h.source.as_str(),
                h.actor.as_deref(),
                h.correlation_id.clone()
            ),
            (
                None,
                "planning",
                "apply",
                Some("alice"),
                Some(format!("plan-{plan_id}"))
            ),
            "issue {id}"
        );
    }
    t.finish().await;
}

/// The ids of a repository's issues on fakehub.
fn fh_issue_ids(fh: &fakehub::FakeHub, full_name: &str) -> Vec<i64> {
    let world = fh.hub.world.read();
    let repo = world
        .repos
        .iter()
        .find(|r| r.full_name() == full_name)
        .unwrap();
    repo.issues
        .iter()
        .filter(|i| i.gone.is_none() && !i.pull_request)
        .map(|i| i.id as i64)
        .collect()
}

/// Two transactions storing the same issue at once (a webhook batch beside a sync page on
/// PostgreSQL): the second reads the status the first committed, so each change is recorded
/// once and from where it really came. The second is seen waiting on the first's row lock
/// before the first commits (SQLite takes one writer at a time: there it runs in turn).
async fn concurrent_writers_record_each_change_once(db: String) {
    // The issue already mirrored (its row is locked), and a new one (a lock named by its id).
    contended(&db, true).await;
    contended(&db, false).await;
}

async fn contended(db: &str, mirrored_first: bool) {
    use ghgov::mirror::projector::Seen;
    use ghgov::store::records::{Issue, Repository};
    use ghgov::tracking::{Provenance, Source};
    let store = ghgov::store::Store::open(db).await.unwrap();
    let issue_id = if mirrored_first { 100 } else { 200 };
    let repository: Repository = serde_json::from_value(json!({
        "id": 1, "name": "widgets", "full_name": "acme/widgets", "owner": {"id": 2, "login": "acme"}, "open_issues_count": 1
    }))
    .unwrap();
    let issue = |second: u32, labels: Value| -> Issue {
        serde_json::from_value(json!({
            "id": issue_id, "number": issue_id, "title": "Contended", "state": "open", "labels": labels,
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": format!("2026-01-01T00:00:{second:02}Z"),
        }))
        .unwrap()
    };
    let label = |id: i64, name: &str| json!([{"id": id, "name": name}]);
    let mut tx = store.begin_mirror_write().await.unwrap();
    tx.mirror().repository(&repository).await.unwrap();
    if mirrored_first {
        tx.mirror()
            .issue(&mut Seen::default(), 1, &issue(0, json!([])), None)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();

    let mut first = store.begin_mirror_write().await.unwrap();
    first.set_provenance(Provenance::new(Source::Webhook).correlation("first"));
    first
        .mirror()
        .issue(
            &mut Seen::default(),
            1,
            &issue(1, label(11, "status:in_progress")),
            None,
        )
        .await
        .unwrap();
    let postgres = db.starts_with("postgres");
    let second = {
        let (store, issue) = (store.clone(), issue(2, label(12, "status:review")));
        async move {
            let mut tx = store.begin_mirror_write().await.unwrap();
            tx.set_provenance(Provenance::new(Source::Sync).correlation("second"));
            tx.mirror()
                .issue(&mut Seen::default(), 1, &issue, None)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
    };
    if postgres {
        let second = tokio::spawn(second);
        // Wait (on a condition, not a clock) until the second writer waits for the first.
        let pool = store.pool_for_tests();
        let mut waiting = 0_i64;
        for _ in 0..3000 {
            waiting = sqlx::query_scalar(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
            )
            .fetch_one(pool)
            .await
            .unwrap();
            if waiting > 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(waiting, 1, "the second writer waits for the first");
        first.commit().await.unwrap();
        second.await.unwrap();
    } else {
        first.commit().await.unwrap();
        second.await;
    }
    let history = store.status_history_all(issue_id).await.unwrap();
    let got: Vec<(Option<&str>, &str, Option<&str>)> = history
        .iter()
        .map(|h| {
            (
                h.from_status.as_deref(),
                h.to_status.as_str(),
                h.correlation_id.as_deref(),
            )
        })
        .collect();
    let mut want = vec![
        (Some("planning"), "in_progress", Some("first")),
        (Some("in_progress"), "review", Some("second")),
    ];
    if mirrored_first {
        want.insert(0, (None, "planning", None));
    } else {
        want[0].0 = None;
    }
    assert_eq!(got, want, "mirrored first: {mirrored_first}");
}

/// A database as the previous release left it (migrations 1 to 5), holding issues, then
/// opened by this release: each issue gets its status from the default labels and a first
/// observation in its history; pull requests get none.
async fn issues_mirrored_before_tracking_get_their_status(db: String) {
    sqlx::any::install_default_drivers();
    let backend = if db.starts_with("sqlite:") {
        "sqlite"
    } else {
        "postgres"
    };
    let old = std::env::temp_dir().join(format!("ghgov-old-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&old).unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../ghgov-store/migrations")
        .join(backend);
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if ["0001", "0002", "0003", "0004", "0005"]
            .iter()
            .any(|v| name.starts_with(v))
        {
            std::fs::copy(&path, old.join(&name)).unwrap();
        }
    }
    let url = if backend == "sqlite" {
        format!("{db}?mode=rwc")
    } else {
        db.clone()
    };
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    sqlx::migrate::Migrator::new(old.as_path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    std::fs::remove_dir_all(&old).unwrap();
    for sql in [
        "INSERT INTO repositories (id, owner, name, full_name, full_name_lc) VALUES (1, 'acme', 'widgets', 'acme/widgets', 'acme/widgets')",
        "INSERT INTO labels (id, repository_id, name, name_lc) VALUES (7, 1, 'Status:Review', 'status:review'), (8, 1, 'bug', 'bug')",
        "INSERT INTO issues (id, repository_id, number, title, state, state_reason, is_pull_request, created_at, updated_at) VALUES \
         (101, 1, 1, 'in review', 'open', NULL, 0, '2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z'), \
         (102, 1, 2, 'a bug', 'open', NULL, 0, '2026-01-01T00:00:00Z', '2026-01-03T00:00:00Z'), \
         (103, 1, 3, 'dropped', 'closed', 'not_planned', 0, '2026-01-01T00:00:00Z', '2026-01-04T00:00:00Z'), \
         (104, 1, 4, 'a pull request', 'open', NULL, 1, '2026-01-01T00:00:00Z', '2026-01-05T00:00:00Z')",
        "INSERT INTO issue_labels (issue_id, label_id) VALUES (101, 7), (102, 8), (104, 7)",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    pool.close().await;
    let store = ghgov::store::Store::open(&db).await.unwrap();
    for (id, want, at, reason) in [
        (101, Some("review"), "2026-01-02T00:00:00Z", None),
        (102, Some("planning"), "2026-01-03T00:00:00Z", None),
        (
            103,
            Some("cancelled"),
            "2026-01-04T00:00:00Z",
            Some("not_planned"),
        ),
        (104, None, "", None),
    ] {
        let row = store.issue_reads().get(id).await.unwrap().unwrap();
        assert_eq!(row.status.as_deref(), want, "issue {id}");
        let history = store.status_history_all(id).await.unwrap();
        match want {
            None => assert!(history.is_empty(), "{history:?}"),
            Some(status) => {
                assert_eq!(history.len(), 1, "{history:?}");
                let h = &history[0];
                assert_eq!(
                    (
                        h.from_status.as_deref(),
                        h.to_status.as_str(),
                        h.at.as_str()
                    ),
                    (None, status, at)
                );
                assert_eq!(h.source, "sync");
                assert_eq!(h.correlation_id.as_deref(), Some("migration-0006"));
                assert_eq!(h.reason.as_deref(), reason);
            }
        }
    }
}

suite!(both: [
    every_label_and_state_gives_its_status,
    history_from_webhooks_names_sender_and_delivery_and_gives_times,
    every_default_transition_is_allowed_and_others_are_violations,
    a_configured_workflow_renames_narrows_and_widens,
    a_lost_webhook_is_caught_by_reconcile_and_arrives_late_for_nothing,
    issues_mirrored_before_tracking_get_their_status,
    an_api_change_is_recorded_once_and_its_echo_adds_nothing,
    an_apply_records_the_first_status_of_what_it_creates,
    concurrent_writers_record_each_change_once,
]);
