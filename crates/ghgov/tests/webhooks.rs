//! The webhook receiver and processor: signatures, storage before acknowledgement,
//! duplicates, the corpus of real payloads, lost and reordered deliveries, dead letters.

mod common;
use common::*;
use ghgov::store::{DeliveryStatus, Scope};
use serde_json::{json, Value};
use std::collections::HashSet;

fn corpus() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/github/webhook-examples.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

async fn signature_headers_and_size(db: String) {
    let t = TestWorld::seeded(seed(0, 0, 0, 0, 0))
        .serving()
        .start(&db)
        .await;
    let gg = t.ghgov();
    let body = br#"{"zen":"hi","hook_id":1}"#;
    // A bad or missing signature gets 401 and stores nothing.
    let r = deliver(&gg.url(), "ping", "d-1", body, "wrong-secret").await;
    assert_eq!(r.status(), 401);
    let r = reqwest::Client::new()
        .post(format!("{}/webhooks/github", gg.url()))
        .header("X-GitHub-Event", "ping")
        .header("X-GitHub-Delivery", "d-2")
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        gg.store.count_deliveries(None).await.unwrap(),
        0,
        "nothing stored"
    );
    // Missing event or delivery headers: 400.
    let r = reqwest::Client::new()
        .post(format!("{}/webhooks/github", gg.url()))
        .header("X-Hub-Signature-256", fakehub::webhooks::sign(SECRET, body))
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // Either secret of a rotation works; the same delivery id twice is stored once.
    assert_eq!(
        deliver(&gg.url(), "ping", "d-3", body, "old-secret")
            .await
            .status(),
        202
    );
    let again = deliver(&gg.url(), "ping", "d-3", body, SECRET).await;
    assert_eq!(again.status(), 202);
    assert_eq!(again.json::<Value>().await.unwrap()["duplicate"], true);
    assert_eq!(gg.store.count_deliveries(None).await.unwrap(), 1);
    // Over 25 MB: 413, answered from the declared length before any of the body is read.
    let head = format!(
        "POST /webhooks/github HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: ping\r\nX-GitHub-Delivery: d-4\r\nX-Hub-Signature-256: sha256={}\r\nContent-Length: {}\r\n\r\n",
        "ab".repeat(32),
        25 * 1024 * 1024 + 10
    );
    let answer = raw_http(gg.addr, head.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    processed(&gg.store).await;
    assert_eq!(
        gg.store
            .count_deliveries(Some(DeliveryStatus::Processed))
            .await
            .unwrap(),
        1
    );
    t.finish().await;
}

async fn corpus_examples_are_projected_or_ignored(db: String) {
    // The repositories GitHub's examples are about (tests/scope.rs covers the others).
    let scope = [
        "Codertocat/Hello-World",
        "Octocoders/*",
        "octo-org/octo-repo",
    ];
    let t = TestWorld::empty()
        .serving_with(move |options| ghgov::server::ServeOptions {
            scope: ghgov::mirror::scope::RepoScope::parse_all(&scope.map(String::from)).unwrap(),
            ..options
        })
        .start(&db)
        .await;
    let gg = t.ghgov();
    let handled = ghgov::mirror::events::HANDLED;
    let mut sent = 0;
    let mut expect_processed = 0;
    for (event, examples) in corpus().as_object().unwrap() {
        for (k, example) in examples.as_array().unwrap().iter().enumerate() {
            let body = serde_json::to_vec(example).unwrap();
            let r = deliver(&gg.url(), event, &format!("{event}-{k}"), &body, SECRET).await;
            assert_eq!(r.status(), 202, "{event} example {k}");
            sent += 1;
            if handled.contains(&event.as_str()) {
                expect_processed += 1;
            }
        }
    }
    processed(&gg.store).await;
    let (rows, total) = gg.store.list_deliveries(None, 1000, 0).await.unwrap();
    assert_eq!(total, sent);
    let failed: Vec<String> = rows
        .iter()
        .filter(|d| d.status != "processed" && d.status != "ignored")
        .map(|d| format!("{} {:?}: {:?}", d.event, d.action, d.error))
        .collect();
    assert!(failed.is_empty(), "examples that failed: {failed:#?}");
    let processed_rows = rows.iter().filter(|d| d.status == "processed").count() as i64;
    assert_eq!(
        processed_rows, expect_processed,
        "every example of a handled event is projected"
    );
    for d in rows.iter().filter(|d| !handled.contains(&d.event.as_str())) {
        assert_eq!(d.status, "ignored", "{} is stored and ignored", d.event);
    }
    // The examples share objects that their own `deleted` examples remove; each `created`
    // example sent again lands once more.
    for event in ["issue_comment", "label", "milestone"] {
        let created = corpus()[event]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["action"] == "created")
            .unwrap()
            .clone();
        let r = deliver(
            &gg.url(),
            event,
            &format!("again-{event}"),
            &serde_json::to_vec(&created).unwrap(),
            SECRET,
        )
        .await;
        assert_eq!(r.status(), 202, "{event} sent again");
    }
    processed(&gg.store).await;
    // The projections landed: issues, comments, labels, milestones from the examples.
    for table in ["issues", "comments", "labels", "milestones", "repositories"] {
        assert!(
            sqlx::query_scalar::<_, i64>(&format!("SELECT COUNT(*) FROM {table}"))
                .fetch_one(gg.store.pool_for_tests())
                .await
                .unwrap()
                > 0,
            "{table} has rows"
        );
    }
    t.finish().await;
}

/// Drives a mix of changes through fakehub with a webhook wired to ghgov.
async fn churn(fh: &fakehub::FakeHub, rounds: usize) {
    let c = reqwest::Client::new();
    let url = |p: String| format!("{}{p}", fh.url);
    for k in 0..rounds {
        let n = (k % 40 + 1) as u64;
        let calls: Vec<(reqwest::Method, String, Value)> = vec![
            (
                reqwest::Method::PATCH,
                format!("/repos/acme/widgets/issues/{n}"),
                json!({"title": format!("edit {k}"), "labels": if k % 3 == 0 { json!(["bug"]) } else { json!([]) }}),
            ),
            (
                reqwest::Method::POST,
                "/repos/acme/widgets/issues".into(),
                json!({"title": format!("new {k}"), "assignees": ["alice"]}),
            ),
            (
                reqwest::Method::POST,
                format!("/repos/acme/widgets/issues/{n}/comments"),
                json!({"body": format!("comment {k}")}),
            ),
            (
                reqwest::Method::PATCH,
                format!("/repos/acme/widgets/issues/{}", n + 1),
                json!({"state": if k % 2 == 0 { "closed" } else { "open" }}),
            ),
        ];
        for (m, p, b) in calls {
            c.request(m, url(p))
                .bearer_auth(GH_TOKEN)
                .json(&b)
                .send_ok()
                .await;
        }
        if k % 10 == 5 {
            c.post(url(format!(
                "/_fakehub/repos/acme/widgets/issues/{}/delete",
                60 + k
            )))
            .send_ok()
            .await;
        }
        if k % 10 == 7 {
            let child = fh.hub.world.read().repos[0]
                .issue(70 + k as u64)
                .unwrap()
                .id;
            c.post(url("/repos/acme/widgets/issues/41/sub_issues".into()))
                .bearer_auth(GH_TOKEN)
                .json(&json!({"sub_issue_id": child}))
                .send_ok()
                .await;
        }
    }
    fh.hub.clock.advance(chrono::Duration::seconds(2));
}

async fn lost_and_reordered_webhooks_are_repaired_by_reconcile(db: String) {
    let t = TestWorld::seeded(seed(150, 40, 5, 2, 0))
        .serving()
        .start(&db)
        .await;
    let (fh, gg) = (&t.fh, t.ghgov());
    let s = ghgov::mirror::sync::Syncer::new(gg.store.clone(), gg.gh.clone().unwrap());
    s.sync(&repo(), ghgov::mirror::sync::SyncKind::Full)
        .await
        .unwrap();
    let gh = gg.gh.clone().unwrap();
    ghgov::server::hooks::install_hook(&gh, &repo(), &gg.url(), &SECRET.into())
        .await
        .unwrap();
    fh.hub
        .faults
        .set(fakehub::faults::FaultSettings {
            seed: 99,
            webhook_drop: 0.2,
            webhook_duplicate: 0.1,
            webhook_reorder: 0.1,
            ..Default::default()
        })
        .unwrap();
    churn(fh, 30).await;
    assert!(
        fh.hub
            .dispatcher
            .wait_idle(std::time::Duration::from_secs(30))
            .await
    );
    processed(&gg.store).await;
    let dropped = fh
        .hub
        .dispatcher
        .all_deliveries()
        .iter()
        .filter(|d| d.status.starts_with("dropped"))
        .count();
    assert!(dropped > 10, "the scenario really lost webhooks: {dropped}");
    let (want, got) = compare(fh, &gg.store).await;
    assert_ne!(
        want, got,
        "lost webhooks leave the mirror behind before the reconcile"
    );
    ghgov::mirror::reconciler::reconcile(&s, &repo())
        .await
        .unwrap();
    assert_mirror_equals(fh, &gg.store).await;
    // Three deliveries sent again by hand, as GitHub's "Redeliver" does: the same GUID.
    let hook = fh.hub.world.read().repos[0].hooks[0].id;
    let answered = |d: &&fakehub::webhooks::Delivery| d.status_code / 100 == 2;
    for d in fh
        .hub
        .dispatcher
        .all_deliveries()
        .iter()
        .filter(answered)
        .take(3)
    {
        reqwest::Client::new()
            .post(format!(
                "{}/repos/acme/widgets/hooks/{hook}/deliveries/{}/attempts",
                fh.url, d.id
            ))
            .bearer_auth(GH_TOKEN)
            .send_ok()
            .await;
    }
    assert!(
        fh.hub
            .dispatcher
            .wait_idle(std::time::Duration::from_secs(30))
            .await
    );
    processed(&gg.store).await;
    let log = fh.hub.dispatcher.all_deliveries();
    let redelivered: Vec<_> = log.iter().filter(|d| d.redelivery).collect();
    assert_eq!(redelivered.len(), 3);
    for d in redelivered {
        assert!(
            d.response_body.contains(r#""duplicate":true"#),
            "a redelivery is answered as a duplicate: {}",
            d.response_body
        );
    }
    // The delivery log of the API lists each delivery once, however often it arrived
    // (duplicated by the fault injector, or redelivered), and every one was projected.
    let delivered: HashSet<&str> = log
        .iter()
        .filter(answered)
        .map(|d| d.guid.as_str())
        .collect();
    let (_, read) = gg.store.create_token("reader", Scope::Read).await.unwrap();
    let listed = api_all(&gg.url(), &read, "/api/v1/webhooks/events").await;
    let guids: Vec<&str> = listed
        .iter()
        .map(|e| e["delivery_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        guids.iter().copied().collect::<HashSet<&str>>(),
        delivered,
        "the API lists what fakehub delivered"
    );
    assert_eq!(guids.len(), delivered.len(), "each delivery listed once");
    let (_, done) = api(&gg.url(), &read, "/api/v1/webhooks/events?status=processed").await;
    assert_eq!(done["pagination"]["total"], delivered.len());
    t.finish().await;
}

async fn webhooks_alone_keep_the_mirror_exact(db: String) {
    let t = TestWorld::seeded(seed(80, 20, 4, 2, 0))
        .serving()
        .start(&db)
        .await;
    let (fh, gg) = (&t.fh, t.ghgov());
    let s = ghgov::mirror::sync::Syncer::new(gg.store.clone(), gg.gh.clone().unwrap());
    s.sync(&repo(), ghgov::mirror::sync::SyncKind::Full)
        .await
        .unwrap();
    ghgov::server::hooks::install_hook(&gg.gh.clone().unwrap(), &repo(), &gg.url(), &SECRET.into())
        .await
        .unwrap();
    churn(fh, 12).await;
    // Dependencies, label and milestone changes, issue types, close reasons and deleted
    // comments travel by webhook too.
    let c = reqwest::Client::new();
    let id = |n: u64| fh.hub.world.read().repos[0].issue(n).unwrap().id;
    c.post(format!(
        "{}/repos/acme/widgets/issues/5/dependencies/blocked_by",
        fh.url
    ))
    .bearer_auth(GH_TOKEN)
    .json(&json!({"issue_id": id(6)}))
    .send_ok()
    .await;
    c.post(format!("{}/repos/acme/widgets/labels", fh.url))
        .bearer_auth(GH_TOKEN)
        .json(&json!({"name": "by-hook", "color": "123456"}))
        .send_ok()
        .await;
    c.patch(format!("{}/repos/acme/widgets/milestones/1", fh.url))
        .bearer_auth(GH_TOKEN)
        .json(&json!({"state": "closed", "due_on": "2031-05-01T12:00:00Z"}))
        .send_ok()
        .await;
    // Two issues the churn left alone and open: one closed as not planned, one closed and
    // reopened.
    let open: Vec<u64> = fh.hub.world.read().repos[0]
        .issues
        .iter()
        .filter(|i| i.number > 20 && i.is_open() && !i.pull_request && i.gone.is_none())
        .map(|i| i.number)
        .take(2)
        .collect();
    for (n, change) in [
        (7, json!({"type": "Bug"})),
        (
            open[0],
            json!({"state": "closed", "state_reason": "not_planned"}),
        ),
        (open[1], json!({"state": "closed"})),
        (open[1], json!({"state": "open"})),
    ] {
        c.patch(format!("{}/repos/acme/widgets/issues/{n}", fh.url))
            .bearer_auth(GH_TOKEN)
            .json(&change)
            .send_ok()
            .await;
    }
    let comment = fh.hub.world.read().repos[0].comments[0].id;
    c.delete(format!(
        "{}/repos/acme/widgets/issues/comments/{comment}",
        fh.url
    ))
    .bearer_auth(GH_TOKEN)
    .send_ok()
    .await;
    assert!(
        fh.hub
            .dispatcher
            .wait_idle(std::time::Duration::from_secs(30))
            .await
    );
    processed(&gg.store).await;
    assert_mirror_equals(fh, &gg.store).await;
    t.finish().await;
}

/// GitHub's JSON for `path` on fakehub.
async fn hub_json(fh: &fakehub::FakeHub, path: &str) -> Value {
    reqwest::Client::new()
        .get(format!("{}/repos/acme/widgets{path}", fh.url))
        .bearer_auth(GH_TOKEN)
        .send_ok()
        .await
        .json()
        .await
        .unwrap()
}

async fn an_older_fact_never_overwrites_a_newer_one(db: String) {
    let t = TestWorld::seeded(seed(3, 2, 2, 1, 0))
        .serving()
        .start(&db)
        .await;
    let (fh, gg) = (&t.fh, t.ghgov());
    let s = ghgov::mirror::sync::Syncer::new(gg.store.clone(), gg.gh.clone().unwrap());
    s.sync(&repo(), ghgov::mirror::sync::SyncKind::Full)
        .await
        .unwrap();
    let (_, read) = gg.store.create_token("reader", Scope::Read).await.unwrap();
    let url = gg.url();
    let repository = hub_json(fh, "").await;
    let issue_v1 = hub_json(fh, "/issues/1").await;
    let id = issue_v1["id"].as_i64().unwrap();
    let shown = |path: String| {
        let (url, read) = (url.clone(), read.clone());
        async move {
            let (status, body) = api(&url, &read, &path).await;
            assert_eq!(status, 200, "{path}: {body}");
            body
        }
    };
    let mut sent = 0;
    let mut send = |event: &'static str, payload: Value| {
        sent += 1;
        let (url, id) = (url.clone(), format!("guard-{sent}"));
        async move {
            let body = serde_json::to_vec(&payload).unwrap();
            assert_eq!(deliver(&url, event, &id, &body, SECRET).await.status(), 202);
        }
    };

    // Two webhooks about issue 1, the newer one first: the older one changes nothing.
    fh.hub.clock.advance(chrono::Duration::seconds(2));
    let issue_v2: Value = reqwest::Client::new()
        .patch(format!("{}/repos/acme/widgets/issues/1", fh.url))
        .bearer_auth(GH_TOKEN)
        .json(&json!({"title": "The newer title", "state": "closed"}))
        .send_ok()
        .await
        .json()
        .await
        .unwrap();
    assert!(issue_v2["updated_at"].as_str() > issue_v1["updated_at"].as_str());
    for issue in [&issue_v2, &issue_v1] {
        send(
            "issues",
            json!({"action": "edited", "issue": issue, "repository": repository}),
        )
        .await;
    }
    processed(&gg.store).await;
    let detail = shown(format!("/api/v1/issues/{id}")).await;
    assert_eq!(
        (&detail["title"], &detail["state"]),
        (&json!("The newer title"), &json!("closed")),
        "{detail}"
    );

    // A webhook newer than what a sync then pages through (the page was read before the
    // change): the page does not take the issue back.
    let mut issue_v3 = issue_v2.clone();
    issue_v3["title"] = json!("Newer than the sync page");
    issue_v3["updated_at"] = json!("2999-01-01T00:00:00Z");
    send(
        "issues",
        json!({"action": "edited", "issue": issue_v3, "repository": repository}),
    )
    .await;
    processed(&gg.store).await;
    s.sync(&repo(), ghgov::mirror::sync::SyncKind::Full)
        .await
        .unwrap();
    let detail = shown(format!("/api/v1/issues/{id}")).await;
    assert_eq!(detail["title"], "Newer than the sync page", "{detail}");

    // The same for a comment: edited twice, its webhooks arrive newest first.
    let comment_v1 = hub_json(fh, "/issues/comments").await[0].clone();
    let comment_id = comment_v1["id"].as_i64().unwrap();
    let number = comment_v1["issue_url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    fh.hub.clock.advance(chrono::Duration::seconds(2));
    let comment_v2: Value = reqwest::Client::new()
        .patch(format!(
            "{}/repos/acme/widgets/issues/comments/{comment_id}",
            fh.url
        ))
        .bearer_auth(GH_TOKEN)
        .json(&json!({"body": "the newer body"}))
        .send_ok()
        .await
        .json()
        .await
        .unwrap();
    let issue = hub_json(fh, &format!("/issues/{number}")).await;
    for comment in [&comment_v2, &comment_v1] {
        send(
            "issue_comment",
            json!({"action": "edited", "comment": comment, "issue": issue, "repository": repository}),
        )
        .await;
    }
    processed(&gg.store).await;
    let issue_id = issue["id"].as_i64().unwrap();
    let comments = shown(format!("/api/v1/issues/{issue_id}/comments")).await;
    let body = comments["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == comment_id)
        .map(|c| c["body"].clone());
    assert_eq!(body, Some(json!("the newer body")), "{comments}");
    // None of this was an error: every delivery was processed.
    let (_, done) = api(&url, &read, "/api/v1/webhooks/events?status=processed").await;
    assert_eq!(done["pagination"]["total"], 5, "{done}");
    t.finish().await;
}

async fn failing_deliveries_go_dead_and_can_be_replayed(db: String) {
    let t = TestWorld::seeded(seed(0, 0, 0, 0, 0))
        .serving()
        .start(&db)
        .await;
    let gg = t.ghgov();
    // An issues event whose issue cannot be read fails every attempt.
    let body = serde_json::to_vec(&json!({"action": "opened", "issue": {"id": 5, "title": 7}, "repository": {"id": 1, "name": "widgets", "full_name": "acme/widgets", "owner": {"id": 2, "login": "acme"}}})).unwrap();
    assert_eq!(
        deliver(&gg.url(), "issues", "bad-1", &body, SECRET)
            .await
            .status(),
        202
    );
    let mut dead = Vec::new();
    for _ in 0..500 {
        dead = gg
            .store
            .list_deliveries(Some(ghgov::store::DeliveryStatus::Dead), 10, 0)
            .await
            .unwrap()
            .0;
        if !dead.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(dead.len(), 1, "marked dead after its last attempt");
    let failed_then_dead = gg
        .store
        .list_deliveries(Some(ghgov::store::DeliveryStatus::Failed), 10, 0)
        .await
        .unwrap()
        .1;
    assert_eq!(failed_then_dead, 0, "no longer waiting for a retry");
    assert_eq!(dead[0].attempts, gg.processor.retries.max_attempts());
    assert!(
        dead[0].error.as_deref().unwrap_or("").contains("issue"),
        "{:?}",
        dead[0].error
    );
    assert_eq!(
        gg.store.replay_delivery(dead[0].id).await.unwrap(),
        ghgov::store::Requeue::Done
    );
    let row = gg.store.delivery(dead[0].id).await.unwrap().unwrap();
    assert!(
        row.status == "pending" || row.attempts < gg.processor.retries.max_attempts(),
        "replayed: {row:?}"
    );
    t.finish().await;
}

suite!(both: [
    signature_headers_and_size,
    corpus_examples_are_projected_or_ignored,
    lost_and_reordered_webhooks_are_repaired_by_reconcile,
    webhooks_alone_keep_the_mirror_exact,
    an_older_fact_never_overwrites_a_newer_one,
    failing_deliveries_go_dead_and_can_be_replayed,
]);
