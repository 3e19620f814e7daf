//! Domain events: every change the projector stores is an event, written in the same
//! transaction, with the delivery, sync or plan that caused it as correlation; replays and
//! reconciles that change nothing add none; `GET /api/v1/events` pages through them in
//! commit order without skipping or repeating, whatever writers do meanwhile.

mod common;
use common::*;
use ghgov::store::events::{record_event, NewEvent, ISSUE_CREATED};
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

    async fn post(&self, path: &str, body: Value) -> Value {
        self.send(reqwest::Method::POST, path, body).await
    }

    async fn patch(&self, number: i64, body: Value) -> Value {
        self.send(reqwest::Method::PATCH, &format!("/issues/{number}"), body)
            .await
    }

    fn later(&self, seconds: i64) {
        self.fh
            .hub
            .clock
            .advance(chrono::Duration::seconds(seconds));
    }
}

async fn hooked(t: &Tester) {
    let gg = t.ghgov();
    ghgov::server::hooks::install_hook(&gg.gh.clone().unwrap(), &repo(), &gg.url(), &SECRET.into())
        .await
        .unwrap();
}

/// Every event after `after`, following `next_after` (pages of 7).
async fn events_after(url: &str, token: &str, mut after: i64) -> Vec<Value> {
    let mut out = Vec::new();
    loop {
        let (code, body) = api(url, token, &format!("/api/v1/events?after={after}&limit=7")).await;
        assert_eq!(code, 200, "{body}");
        let data = body["data"].as_array().unwrap();
        match body["next_after"].as_i64() {
            Some(next) => {
                assert_eq!(Some(next), data.last().and_then(|e| e["id"].as_i64()));
                out.extend(data.iter().cloned());
                after = next;
            }
            None => {
                assert!(data.is_empty(), "{body}");
                return out;
            }
        }
    }
}

/// (type, entity id) of each event.
fn kinds(events: &[Value]) -> Vec<(String, i64)> {
    events
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap().to_string(),
                e["entity_id"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn last_id(events: &[Value], before: i64) -> i64 {
    events.last().map_or(before, |e| e["id"].as_i64().unwrap())
}

/// What a webhook scenario's steps look at.
struct Ctx<'a> {
    fh: &'a fakehub::FakeHub,
    store: &'a ghgov::store::Store,
    url: &'a str,
    read: &'a str,
}

impl Ctx<'_> {
    /// The events a step added after `seen`, once GitHub's webhooks are processed: their
    /// kinds as expected, one delivery of fakehub's as their correlation, sent by the test
    /// token's user.
    async fn step(&self, seen: i64, expected: Vec<(&str, i64)>) -> (i64, Vec<Value>) {
        settled(self.fh, self.store).await;
        let got = events_after(self.url, self.read, seen).await;
        let want: Vec<(String, i64)> = expected
            .iter()
            .map(|(k, id)| (k.to_string(), *id))
            .collect();
        assert_eq!(kinds(&got), want, "{got:#?}");
        let correlations: HashSet<&str> = got
            .iter()
            .map(|e| e["correlation_id"].as_str().unwrap())
            .collect();
        if !got.is_empty() {
            assert_eq!(correlations.len(), 1, "one delivery made them: {got:#?}");
            let delivery = correlations.iter().next().unwrap().to_string();
            let guids: HashSet<String> = self
                .fh
                .hub
                .dispatcher
                .all_deliveries()
                .iter()
                .map(|d| d.guid.clone())
                .collect();
            assert!(guids.contains(&delivery), "{delivery} is fakehub's");
        }
        for e in &got {
            assert_eq!(e["source"], "webhook", "{e}");
            assert_eq!(e["actor"], "ghgov-bot", "{e}");
            assert_eq!(e["repository"], "acme/widgets", "{e}");
        }
        (last_id(&got, seen), got)
    }
}

/// A webhook sequence on GitHub yields exactly the expected events, in order, each with
/// the delivery that brought it as correlation; replaying every delivery, GitHub's
/// redelivery and a copy under a new delivery id add none.
async fn a_webhook_sequence_yields_its_events_in_order(db: String) {
    let t = TestWorld::empty().serving().start(&db).await;
    hooked(&t).await;
    let (fh, gg) = (&t.fh, t.ghgov());
    let hub = Hub { fh };
    let (_, read) = gg.store.create_token("reader", Scope::Read).await.unwrap();
    let url = gg.url();
    let mut seen = 0;
    let ctx = Ctx {
        fh,
        store: &gg.store,
        url: &url,
        read: &read,
    };
    let m = hub.post("/milestones", json!({"title": "v1"})).await;
    let (milestone, milestone_number) = (m["id"].as_i64().unwrap(), m["number"].as_i64().unwrap());
    let (s, _) = ctx.step(seen, vec![]).await;
    seen = s;

    let a = hub
        .post(
            "/issues",
            json!({"title": "Parent", "milestone": milestone_number}),
        )
        .await;
    let (a_number, a_id) = (a["number"].as_i64().unwrap(), a["id"].as_i64().unwrap());
    let (s, got) = ctx
        .step(
            seen,
            vec![
                ("issue.created", a_id),
                ("issue.status_changed", a_id),
                ("milestone.progress_changed", milestone),
            ],
        )
        .await;
    seen = s;
    assert_eq!(got[0]["payload"]["number"], a_number);
    assert_eq!(got[0]["payload"]["title"], "Parent");
    assert_eq!(got[1]["payload"]["from"], Value::Null);
    assert_eq!(got[1]["payload"]["to"], "planning");
    assert_eq!(
        got[2]["payload"],
        json!({"number": milestone_number, "open": 1, "closed": 0, "previous": {"open": 0, "closed": 0}})
    );
    assert_eq!(
        got[2]["causation_id"], got[1]["id"],
        "the status change caused it"
    );

    hub.later(10);
    hub.patch(a_number, json!({"labels": ["status:in_progress"]}))
        .await;
    let (s, got) = ctx
        .step(
            seen,
            vec![("issue.updated", a_id), ("issue.status_changed", a_id)],
        )
        .await;
    seen = s;
    assert_eq!(got[0]["payload"]["fields"], json!(["labels"]));
    assert_eq!(
        got[0]["payload"]["labels"],
        json!({"added": ["status:in_progress"], "removed": []})
    );
    assert_eq!(
        (&got[1]["payload"]["from"], &got[1]["payload"]["to"]),
        (&json!("planning"), &json!("in_progress"))
    );

    hub.later(10);
    hub.post(
        &format!("/issues/{a_number}/assignees"),
        json!({"assignees": ["ghgov-bot"]}),
    )
    .await;
    let (s, got) = ctx.step(seen, vec![("issue.assigned", a_id)]).await;
    seen = s;
    assert_eq!(got[0]["payload"]["logins"], json!(["ghgov-bot"]));

    hub.later(10);
    let b = hub.post("/issues", json!({"title": "Child"})).await;
    let (b_number, b_id) = (b["number"].as_i64().unwrap(), b["id"].as_i64().unwrap());
    let (s, _) = ctx
        .step(
            seen,
            vec![("issue.created", b_id), ("issue.status_changed", b_id)],
        )
        .await;
    seen = s;

    hub.later(10);
    hub.post(
        &format!("/issues/{a_number}/sub_issues"),
        json!({"sub_issue_id": b_id}),
    )
    .await;
    let (s, got) = ctx.step(seen, vec![("hierarchy.updated", a_id)]).await;
    seen = s;
    assert_eq!(
        got[0]["payload"],
        json!({"change": "added", "parent_id": a_id, "child_id": b_id})
    );

    hub.later(10);
    hub.post(
        &format!("/issues/{b_number}/dependencies/blocked_by"),
        json!({"issue_id": a_id}),
    )
    .await;
    let (s, got) = ctx.step(seen, vec![("dependency.added", b_id)]).await;
    seen = s;
    assert_eq!(
        got[0]["payload"],
        json!({"blocked_id": b_id, "blocking_id": a_id})
    );

    hub.later(10);
    hub.patch(
        a_number,
        json!({"state": "closed", "state_reason": "completed", "labels": [], "title": "Parent, done"}),
    )
    .await;
    let (s, got) = ctx
        .step(
            seen,
            vec![
                ("issue.updated", a_id),
                ("issue.closed", a_id),
                ("issue.status_changed", a_id),
                ("milestone.progress_changed", milestone),
            ],
        )
        .await;
    seen = s;
    assert_eq!(got[0]["payload"]["fields"], json!(["title", "labels"]));
    assert_eq!(
        got[0]["payload"]["title"],
        json!({"from": "Parent", "to": "Parent, done"})
    );
    assert_eq!(got[1]["payload"]["state_reason"], "completed");
    assert_eq!(got[2]["payload"]["to"], "done");
    assert_eq!(got[2]["payload"]["violation"], true, "in_progress → done");
    assert_eq!(
        got[3]["payload"],
        json!({"number": milestone_number, "open": 0, "closed": 1, "previous": {"open": 1, "closed": 0}})
    );
    assert_eq!(got[3]["causation_id"], got[2]["id"]);

    hub.later(10);
    hub.send(
        reqwest::Method::DELETE,
        &format!("/issues/{a_number}/sub_issue"),
        json!({"sub_issue_id": b_id}),
    )
    .await;
    let (s, got) = ctx.step(seen, vec![("hierarchy.updated", a_id)]).await;
    seen = s;
    assert_eq!(got[0]["payload"]["change"], "removed");

    hub.later(10);
    hub.patch(a_number, json!({"state": "open"})).await;
    let (s, _) = ctx
        .step(
            seen,
            vec![
                ("issue.reopened", a_id),
                ("issue.status_changed", a_id),
                ("milestone.progress_changed", milestone),
            ],
        )
        .await;
    seen = s;
    let all = events_after(&url, &read, 0).await;
    assert_eq!(last_id(&all, 0), seen);

    // Every delivery replayed, one redelivered by GitHub (same GUID), one sent again under
    // a new delivery id: nothing changes, so no event.
    let (_, write) = gg.store.create_token("writer", Scope::Write).await.unwrap();
    let (rows, _) = gg.store.list_deliveries(None, 1000, 0).await.unwrap();
    // Not the sub-issue deliveries: a link carries no version, so replaying the old
    // "added" of a link removed since puts it back in the mirror (and the later "removed"
    // takes it out again): the mirror changes, and its events say so. That is the mirror's
    // rule for links, not the events'.
    for d in rows.iter().filter(|d| d.event != "sub_issues") {
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
    let first = fh.hub.dispatcher.all_deliveries()[1].id;
    reqwest::Client::new()
        .post(format!(
            "{}/repos/acme/widgets/hooks/{hook}/deliveries/{first}/attempts",
            fh.url
        ))
        .bearer_auth(GH_TOKEN)
        .send_ok()
        .await;
    let opened = rows
        .iter()
        .find(|d| d.event == "issues" && d.action.as_deref() == Some("opened"))
        .unwrap();
    let payload = gg.store.delivery(opened.id).await.unwrap().unwrap().payload;
    let r = deliver(&url, "issues", "a-new-id", payload.as_bytes(), SECRET).await;
    assert_eq!(r.status(), 202);
    settled(fh, &gg.store).await;
    assert_eq!(events_after(&url, &read, 0).await, all);

    // Deleted on GitHub (by the repository's owner): it leaves the mirror, with the link
    // that blocked B and its place in the milestone.
    reqwest::Client::new()
        .post(format!(
            "{}/_fakehub/repos/acme/widgets/issues/{a_number}/delete",
            fh.url
        ))
        .send_ok()
        .await;
    settled(fh, &gg.store).await;
    let got = events_after(&url, &read, seen).await;
    let mut k = kinds(&got);
    k.sort();
    assert_eq!(
        k,
        [
            ("dependency.removed".to_string(), b_id),
            ("issue.removed".to_string(), a_id),
            ("milestone.progress_changed".to_string(), milestone),
        ],
        "{got:#?}"
    );
    let removed = got.iter().find(|e| e["type"] == "issue.removed").unwrap();
    assert_eq!(
        removed["payload"],
        json!({"number": a_number, "reason": "deleted"})
    );
    let progress = got
        .iter()
        .find(|e| e["type"] == "milestone.progress_changed")
        .unwrap();
    assert_eq!(
        progress["payload"],
        json!({"number": milestone_number, "open": 0, "closed": 0, "previous": {"open": 1, "closed": 0}})
    );
    assert_eq!(progress["causation_id"], removed["id"]);
    t.finish().await;
}

/// Changes no webhook told ghgov about are found by a sync, and recorded as its events
/// (correlation `sync-<operation>`); a reconcile that finds nothing new adds none.
async fn a_sync_finds_a_lost_change_with_its_operation_as_correlation(db: String) {
    let t = TestWorld::empty().serving().start(&db).await;
    let (fh, gg) = (&t.fh, t.ghgov());
    let hub = Hub { fh };
    let (_, read) = gg.store.create_token("reader", Scope::Read).await.unwrap();
    let url = gg.url();
    let a = hub.post("/issues", json!({"title": "Quiet"})).await;
    let (a_number, a_id) = (a["number"].as_i64().unwrap(), a["id"].as_i64().unwrap());
    let syncer = t.syncer();
    let first = syncer
        .sync(&repo(), ghgov::mirror::sync::SyncKind::Full)
        .await
        .unwrap();
    let got = events_after(&url, &read, 0).await;
    assert_eq!(
        kinds(&got),
        [
            ("issue.created".to_string(), a_id),
            ("issue.status_changed".to_string(), a_id)
        ]
    );
    for e in &got {
        assert_eq!(
            e["correlation_id"],
            format!("sync-{}", first.operation_id),
            "{e}"
        );
        assert_eq!(e["source"], "sync", "{e}");
        assert_eq!(e["actor"], Value::Null, "{e}");
    }
    let seen = last_id(&got, 0);
    // Lost on the way: a close and a new sub-issue.
    hub.later(30);
    hub.patch(
        a_number,
        json!({"state": "closed", "state_reason": "not_planned"}),
    )
    .await;
    let b = hub.post("/issues", json!({"title": "Quiet child"})).await;
    let b_id = b["id"].as_i64().unwrap();
    hub.post(
        &format!("/issues/{a_number}/sub_issues"),
        json!({"sub_issue_id": b_id}),
    )
    .await;
    let report = ghgov::mirror::reconciler::reconcile(&syncer, &repo())
        .await
        .unwrap();
    let got = events_after(&url, &read, seen).await;
    let mut k = kinds(&got);
    k.sort();
    let mut want = vec![
        ("issue.closed".to_string(), a_id),
        ("issue.status_changed".to_string(), a_id),
        ("issue.created".to_string(), b_id),
        ("issue.status_changed".to_string(), b_id),
        ("hierarchy.updated".to_string(), a_id),
    ];
    want.sort();
    assert_eq!(k, want, "{got:#?}");
    for e in &got {
        assert_eq!(
            e["correlation_id"],
            format!("sync-{}", report.operation_id),
            "{e}"
        );
    }
    let cancelled = got
        .iter()
        .find(|e| e["type"] == "issue.status_changed" && e["entity_id"] == a_id)
        .unwrap();
    assert_eq!(cancelled["payload"]["to"], "cancelled");
    assert_eq!(cancelled["payload"]["reason"], "not_planned");
    let seen = last_id(&got, seen);
    // Nothing new: a reconcile, and a full sync, add no event.
    ghgov::mirror::reconciler::reconcile(&syncer, &repo())
        .await
        .unwrap();
    syncer
        .sync(&repo(), ghgov::mirror::sync::SyncKind::Full)
        .await
        .unwrap();
    assert_eq!(events_after(&url, &read, seen).await, Vec::<Value>::new());
    t.finish().await;
}

/// A reader paging with `after` while writers commit sees every committed event once, in
/// id order; on PostgreSQL a transaction that recorded its event first but commits last
/// is not skipped. An event rolled back with its transaction never appears.
async fn paging_never_skips_or_repeats_under_concurrent_writes(db: String) {
    let t = TestWorld::empty().serving().start(&db).await;
    let gg = t.ghgov();
    let (_, read) = gg.store.create_token("reader", Scope::Read).await.unwrap();
    let url = gg.url();
    let event = |n: i64| {
        NewEvent::new(
            ISSUE_CREATED,
            "issue",
            n,
            None,
            "2026-01-01T00:00:00Z",
            json!({"n": n}),
        )
    };
    // Rolled back: never seen.
    let mut tx = gg.store.begin_write().await.unwrap();
    record_event(&mut tx, event(0));
    drop(tx);
    if gg.store.backend == ghgov::store::Backend::Postgres {
        // The first transaction records first and commits last, after a reader saw the
        // second's event.
        let mut first = gg.store.begin_mirror_write().await.unwrap();
        record_event(&mut first, event(1));
        let mut second = gg.store.begin_mirror_write().await.unwrap();
        record_event(&mut second, event(2));
        second.commit().await.unwrap();
        let got = events_after(&url, &read, 0).await;
        assert_eq!(kinds(&got), [("issue.created".to_string(), 2)]);
        first.commit().await.unwrap();
        let more = events_after(&url, &read, last_id(&got, 0)).await;
        assert_eq!(kinds(&more), [("issue.created".to_string(), 1)]);
    }
    // Writers and a reader at once.
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let store = gg.store.clone();
            tokio::spawn(async move {
                for k in 0..25 {
                    let mut tx = store.begin_mirror_write().await.unwrap();
                    for j in 0..(1 + k % 3) {
                        record_event(&mut tx, event(1000 * (w + 1) + 10 * k + j));
                    }
                    tx.commit().await.unwrap();
                    tokio::task::yield_now().await;
                }
            })
        })
        .collect();
    let mut ids = Vec::new();
    let mut after = 0;
    loop {
        let done = writers.iter().all(|w| w.is_finished());
        let (code, body) = api(
            &url,
            &read,
            &format!("/api/v1/events?after={after}&limit=5"),
        )
        .await;
        assert_eq!(code, 200, "{body}");
        for e in body["data"].as_array().unwrap() {
            ids.push(e["id"].as_i64().unwrap());
        }
        match body["next_after"].as_i64() {
            Some(next) => after = next,
            // Caught up after the writers finished: everything is read.
            None if done => break,
            None => tokio::task::yield_now().await,
        }
    }
    for w in writers {
        w.await.unwrap();
    }
    assert!(
        ids.windows(2).all(|p| p[0] < p[1]),
        "ids only grow: {ids:?}"
    );
    let all: Vec<i64> = events_after(&url, &read, 0)
        .await
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    // Everything committed was read while paging, once (the PostgreSQL events above were
    // read before this loop started after 0, so they are in it too).
    assert_eq!(ids, all, "paged while writing = everything, once, in order");
    let total = 4 * (0..25).map(|k| 1 + k % 3).sum::<i64>()
        + if gg.store.backend == ghgov::store::Backend::Postgres {
            2
        } else {
            0
        };
    assert_eq!(all.len() as i64, total);
    assert!(
        !events_after(&url, &read, 0)
            .await
            .iter()
            .any(|e| e["entity_id"] == 0),
        "the rolled back event is not there"
    );
    t.finish().await;
}

/// The event API's parameters: bad ones are 400s naming them; good ones filter.
async fn the_event_api_checks_its_parameters_and_filters(db: String) {
    let t = TestWorld::empty().serving().start(&db).await;
    let gg = t.ghgov();
    let (_, read) = gg.store.create_token("reader", Scope::Read).await.unwrap();
    let url = gg.url();
    let (code, body) = api(&url, &read, "/api/v1/events?after=0").await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body, json!({"data": [], "next_after": null}));
    for (query, name) in [
        ("after=-1", "after"),
        ("after=x", "after"),
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("type=issue.exploded", "type"),
        ("entity=bug:1", "entity"),
        ("entity=issue:x", "entity"),
        ("entity=issue:0", "entity"),
    ] {
        let (code, body) = api(&url, &read, &format!("/api/v1/events?{query}")).await;
        assert_eq!(code, 400, "{query}: {body}");
        let message = body["error"].as_str().unwrap();
        assert!(message.contains(&format!("`{name}`")), "{query}: {message}");
    }
    let mut tx = gg.store.begin_write().await.unwrap();
    for (t, entity, id) in [
        (ISSUE_CREATED, "issue", 5),
        (ghgov::store::events::ISSUE_CLOSED, "issue", 5),
        (ISSUE_CREATED, "issue", 6),
        (
            ghgov::store::events::MILESTONE_PROGRESS_CHANGED,
            "milestone",
            5,
        ),
    ] {
        record_event(
            &mut tx,
            NewEvent::new(t, entity, id, None, "2026-01-01T00:00:00Z", json!({})),
        );
    }
    tx.commit().await.unwrap();
    let ids = |body: &Value| -> Vec<i64> {
        body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_i64().unwrap())
            .collect()
    };
    let (_, body) = api(&url, &read, "/api/v1/events?type=issue.created").await;
    assert_eq!(ids(&body), [1, 3]);
    let (_, body) = api(&url, &read, "/api/v1/events?entity=issue:5").await;
    assert_eq!(ids(&body), [1, 2]);
    let (_, body) = api(
        &url,
        &read,
        "/api/v1/events?entity=milestone:5&type=milestone.progress_changed",
    )
    .await;
    assert_eq!(ids(&body), [4]);
    let (_, body) = api(&url, &read, "/api/v1/events?after=1&limit=2").await;
    assert_eq!(ids(&body), [2, 3]);
    assert_eq!(body["next_after"], 3);
    // Without a token: 401.
    let r = reqwest::get(format!("{url}/api/v1/events")).await.unwrap();
    assert_eq!(r.status(), 401);
    t.finish().await;
}

/// Two writers storing the same change at once (a webhook batch beside a sync): each
/// change is one event. On PostgreSQL the second waits for the first (seen in
/// pg_stat_activity) and then compares with what the first committed.
async fn concurrent_writers_record_each_event_once(db: String) {
    use ghgov::mirror::projector::Seen;
    use ghgov::store::events::EventFilter;
    use ghgov::store::records::{Issue, Repository};
    use ghgov::tracking::{Provenance, Source};
    let store = ghgov::store::Store::open(&db).await.unwrap();
    let repository: Repository = serde_json::from_value(json!({
        "id": 1, "name": "widgets", "full_name": "acme/widgets", "owner": {"id": 2, "login": "acme"}, "open_issues_count": 2
    }))
    .unwrap();
    let issue = |id: i64, second: u32, labels: Value| -> Issue {
        serde_json::from_value(json!({
            "id": id, "number": id, "title": "Contended", "state": "open", "labels": labels,
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": format!("2026-01-01T00:00:{second:02}Z"),
        }))
        .unwrap()
    };
    let mut tx = store.begin_mirror_write().await.unwrap();
    tx.mirror().repository(&repository).await.unwrap();
    for id in [100, 101] {
        tx.mirror()
            .issue(&mut Seen::default(), 1, &issue(id, 0, json!([])), None)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let all = EventFilter {
        after: 0,
        limit: 1000,
        ..EventFilter::default()
    };
    let setup = store.events(&all).await.unwrap().len();

    // Both store the label change and the sub-issue link.
    let labelled = issue(100, 1, json!([{"id": 11, "name": "status:in_progress"}]));
    let mut first = store.begin_mirror_write().await.unwrap();
    first.set_provenance(Provenance::new(Source::Webhook).correlation("first"));
    first
        .mirror()
        .issue(&mut Seen::default(), 1, &labelled, None)
        .await
        .unwrap();
    first.mirror().link_sub_issue(100, 101).await.unwrap();
    let second = {
        let (store, labelled) = (store.clone(), labelled.clone());
        async move {
            let mut tx = store.begin_mirror_write().await.unwrap();
            tx.set_provenance(Provenance::new(Source::Sync).correlation("second"));
            tx.mirror().link_sub_issue(100, 101).await.unwrap();
            tx.mirror()
                .issue(&mut Seen::default(), 1, &labelled, None)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
    };
    if db.starts_with("postgres") {
        let second = tokio::spawn(second);
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
    let got: Vec<(String, Option<String>)> = store.events(&all).await.unwrap()[setup..]
        .iter()
        .map(|e| (e.event_type.clone(), e.correlation_id.clone()))
        .collect();
    let first = Some("first".to_string());
    assert_eq!(
        got,
        [
            ("issue.updated".to_string(), first.clone()),
            ("issue.status_changed".to_string(), first.clone()),
            ("hierarchy.updated".to_string(), first),
        ]
    );
}

/// A governance apply's changes are events of its plan (`plan-<id>`, source apply, its
/// actor): each issue it creates once, each sub-issue link and dependency once; the sync
/// that reads them back adds none.
async fn an_apply_records_its_changes_as_events_of_its_plan(db: String) {
    use ghgov::store::events::EventFilter;
    let t = TestWorld::empty().start(&db).await;
    let (plan, plan_id, repo) = t.apply_example("alice").await;
    let all = EventFilter {
        after: 0,
        limit: 100_000,
        ..EventFilter::default()
    };
    let events = t.store.events(&all).await.unwrap();
    let (issues, links, blockers) = {
        let world = t.fh.hub.world.read();
        let r = world
            .repos
            .iter()
            .find(|r| r.full_name() == plan.repository)
            .unwrap();
        let live: Vec<_> = r
            .issues
            .iter()
            .filter(|i| i.gone.is_none() && !i.pull_request)
            .collect();
        (
            live.iter().map(|i| i.id as i64).collect::<HashSet<i64>>(),
            live.iter().map(|i| i.sub_issues.len()).sum::<usize>(),
            live.iter().map(|i| i.blocked_by.len()).sum::<usize>(),
        )
    };
    assert!(issues.len() >= 30, "the example creates its hierarchy");
    let of = |t: &str| {
        events
            .iter()
            .filter(|e| e.event_type == t)
            .collect::<Vec<_>>()
    };
    let created: Vec<i64> = of("issue.created").iter().map(|e| e.entity_id).collect();
    assert_eq!(created.len(), issues.len(), "each created once");
    assert_eq!(created.iter().copied().collect::<HashSet<_>>(), issues);
    assert_eq!(of("hierarchy.updated").len(), links);
    assert!(links > 0);
    assert_eq!(of("dependency.added").len(), blockers);
    let plan_id = format!("plan-{plan_id}");
    for e in &events {
        assert_eq!(e.correlation_id.as_deref(), Some(plan_id.as_str()), "{e:?}");
        assert_eq!(
            (e.source.as_str(), e.actor.as_deref()),
            ("apply", Some("alice")),
            "{e:?}"
        );
    }
    t.syncer()
        .sync(&repo, ghgov::mirror::sync::SyncKind::Full)
        .await
        .unwrap();
    let after = t.store.events(&all).await.unwrap();
    assert_eq!(
        after.len(),
        events.len(),
        "the sync finds nothing new: {:#?}",
        &after[events.len()..]
    );
    t.finish().await;
}

/// A status change made through ghgov (the store function the write API uses) is one
/// event with the request's provenance; GitHub's echo of it (the label) is an update of the
/// labels, not a second status change.
async fn an_api_status_change_is_one_event_and_its_echo_no_second(db: String) {
    use ghgov::mirror::projector::Seen;
    use ghgov::store::events::EventFilter;
    use ghgov::store::records::{Issue, Repository};
    use ghgov::tracking::{Provenance, Source, Status};
    let store = ghgov::store::Store::open(&db).await.unwrap();
    let repository: Repository = serde_json::from_value(json!({
        "id": 1, "name": "widgets", "full_name": "acme/widgets", "owner": {"id": 2, "login": "acme"}, "open_issues_count": 1
    }))
    .unwrap();
    let issue = |second: u32, labels: Value| -> Issue {
        serde_json::from_value(json!({
            "id": 7, "number": 7, "title": "Through the API", "state": "open", "labels": labels,
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": format!("2026-01-01T00:00:{second:02}Z"),
        }))
        .unwrap()
    };
    let mut tx = store.begin_mirror_write().await.unwrap();
    tx.mirror().repository(&repository).await.unwrap();
    tx.mirror()
        .issue(&mut Seen::default(), 1, &issue(0, json!([])), None)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let all = EventFilter {
        after: 0,
        limit: 1000,
        ..EventFilter::default()
    };
    let setup = store.events(&all).await.unwrap().len();
    let mut tx = store.begin_mirror_write().await.unwrap();
    tx.set_provenance(
        Provenance::new(Source::Api)
            .actor(Some("token:alice"))
            .correlation("request-1"),
    );
    tx.mirror()
        .append_status_change(7, Status::InProgress, "2026-01-01T00:00:05Z")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin_mirror_write().await.unwrap();
    tx.set_provenance(Provenance::new(Source::Webhook).correlation("echo"));
    tx.mirror()
        .issue(
            &mut Seen::default(),
            1,
            &issue(6, json!([{"id": 11, "name": "status:in_progress"}])),
            None,
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let got: Vec<(String, Option<String>, String)> = store.events(&all).await.unwrap()[setup..]
        .iter()
        .map(|e| {
            (
                e.event_type.clone(),
                e.correlation_id.clone(),
                e.payload.clone(),
            )
        })
        .collect();
    assert_eq!(got.len(), 2, "{got:#?}");
    assert_eq!(
        (got[0].0.as_str(), got[0].1.as_deref()),
        ("issue.status_changed", Some("request-1"))
    );
    let payload: Value = serde_json::from_str(&got[0].2).unwrap();
    assert_eq!(
        (
            &payload["from"],
            &payload["to"],
            &payload["source"],
            &payload["actor"]
        ),
        (
            &json!("planning"),
            &json!("in_progress"),
            &json!("api"),
            &json!("token:alice")
        )
    );
    assert_eq!(
        (got[1].0.as_str(), got[1].1.as_deref()),
        ("issue.updated", Some("echo"))
    );
}

suite!(both: [
    a_webhook_sequence_yields_its_events_in_order,
    a_sync_finds_a_lost_change_with_its_operation_as_correlation,
    paging_never_skips_or_repeats_under_concurrent_writes,
    the_event_api_checks_its_parameters_and_filters,
    concurrent_writers_record_each_event_once,
    an_apply_records_its_changes_as_events_of_its_plan,
    an_api_status_change_is_one_event_and_its_echo_no_second,
]);
