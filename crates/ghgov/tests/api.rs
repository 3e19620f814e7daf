//! The REST API over a mirrored repository.

mod common;
use common::*;
use ghgov::mirror::sync::SyncKind;
use ghgov::store::Scope;
use serde_json::{json, Value};

async fn api_over_a_mirror(db: String) {
    let mut t = TestWorld::seeded(seed(260, 60, 6, 3, 10)).start(&db).await;
    let fh = t.fh.clone();
    let c = reqwest::Client::new();
    let id = |n: u64| fh.hub.world.read().repos[0].issue(n).unwrap().id;
    c.post(format!("{}/repos/acme/widgets/issues/1/sub_issues", fh.url))
        .bearer_auth(GH_TOKEN)
        .json(&json!({"sub_issue_id": id(2)}))
        .send_ok()
        .await;
    c.post(format!(
        "{}/repos/acme/widgets/issues/2/dependencies/blocked_by",
        fh.url
    ))
    .bearer_auth(GH_TOKEN)
    .json(&json!({"issue_id": id(3)}))
    .send_ok()
    .await;
    // fakehub assigns only users it knows (as GitHub assigns only collaborators).
    fh.hub.world.write().user("zed");
    c.patch(format!("{}/repos/acme/widgets/issues/2", fh.url)).bearer_auth(GH_TOKEN).json(&json!({"labels": ["bug", "ui-x"], "assignees": ["zed"], "milestone": 1, "title": "Needle in the haystack"})).send_ok().await;
    // A clock of the test's: /health reuses its GitHub check for 30 s of it.
    let clock = ghgov::clock::ManualClock::at(chrono::Utc::now());
    let gg = t
        .serve_with(|options| ghgov::server::ServeOptions {
            clock: std::sync::Arc::new(clock.clone()),
            ..options
        })
        .await;
    let s = ghgov::mirror::sync::Syncer::new(gg.store.clone(), gg.gh.clone().unwrap());
    s.sync(&repo(), SyncKind::Full).await.unwrap();
    let (_, read) = gg.store.create_token("reader", Scope::Read).await.unwrap();
    let (_, write) = gg.store.create_token("writer", Scope::Write).await.unwrap();
    assert_token_stored_hashed(&gg.store, &read).await;
    assert_token_stored_hashed(&gg.store, &write).await;
    let url = gg.url();

    // Without a token, or with a wrong one: 401.
    let r = c.get(format!("{url}/api/v1/issues")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(api(&url, "nope", "/api/v1/issues").await.0, 401);

    let (s1, all) = api(
        &url,
        &read,
        "/api/v1/issues?repo=acme/widgets&state=all&per_page=100",
    )
    .await;
    assert_eq!(s1, 200);
    assert_eq!(
        all["pagination"],
        json!({"page": 1, "per_page": 100, "total": 270, "pages": 3})
    );
    assert_eq!(all["data"].as_array().unwrap().len(), 100);
    let (_, issues_only) = api(
        &url,
        &read,
        "/api/v1/issues?state=all&kind=issue&per_page=1",
    )
    .await;
    assert_eq!(issues_only["pagination"]["total"], 260);
    let (_, page3) = api(&url, &read, "/api/v1/issues?state=all&per_page=100&page=3").await;
    assert_eq!(page3["data"].as_array().unwrap().len(), 70);
    let open = fh.hub.world.read().repos[0]
        .issues
        .iter()
        .filter(|i| i.is_open())
        .count();
    assert_eq!(
        api(&url, &read, "/api/v1/issues?per_page=1").await.1["pagination"]["total"],
        open,
        "state defaults to open"
    );

    // Filters narrow to the needle.
    for q in [
        "label=bug&label=UI-X",
        "assignee=zed",
        "q=haystack",
        "milestone=1&label=ui-x",
        &format!("parent={}", id(1)),
    ] {
        let (_, found) = api(&url, &read, &format!("/api/v1/issues?state=all&{q}")).await;
        assert_eq!(found["pagination"]["total"], 1, "{q}: {found}");
        assert_eq!(found["data"][0]["number"], 2, "{q}");
    }
    let (_, since) = api(
        &url,
        &read,
        "/api/v1/issues?state=all&updated_since=2999-01-01T00:00:00Z",
    )
    .await;
    assert_eq!(since["pagination"]["total"], 0);
    let (_, sorted) = api(
        &url,
        &read,
        "/api/v1/issues?state=all&sort=number&direction=asc&per_page=3",
    )
    .await;
    let numbers: Vec<i64> = sorted["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["number"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, [1, 2, 3]);
    // A narrowed list (by label) pages the same ids in either direction, in order, whatever
    // the sort; and agrees with the unfiltered list's view of the same issues.
    let numbers_of = |v: &Value| -> Vec<i64> {
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["number"].as_i64().unwrap())
            .collect()
    };
    for sort in ["number", "updated", "created", "comments"] {
        let pages = |direction: &'static str| {
            let (url, read) = (url.clone(), read.clone());
            async move {
                let mut all = Vec::new();
                for page in 1..=10 {
                    let (_, p) = api(&url, &read, &format!("/api/v1/issues?state=all&label=bug&sort={sort}&direction={direction}&per_page=7&page={page}")).await;
                    all.extend(numbers_of(&p));
                }
                all
            }
        };
        let asc = pages("asc").await;
        let mut desc = pages("desc").await;
        desc.reverse();
        assert_eq!(asc, desc, "sort={sort}");
        assert!(!asc.is_empty());
        if sort == "number" {
            assert!(asc.windows(2).all(|w| w[0] < w[1]), "{asc:?}");
        }
    }
    for bad in [
        "state=maybe",
        "per_page=101",
        "page=0",
        "sort=size",
        "updated_since=soon",
        "parent=x",
    ] {
        assert_eq!(
            api(&url, &read, &format!("/api/v1/issues?{bad}")).await.0,
            400,
            "{bad}"
        );
    }

    // Answers are cached while the mirror is unchanged, and only then.
    let needle = "/api/v1/issues?state=all&q=haystack";
    assert_eq!(
        api(&url, &read, needle).await.1["data"][0]["title"],
        "Needle in the haystack"
    );
    c.patch(format!("{}/repos/acme/widgets/issues/2", fh.url))
        .bearer_auth(GH_TOKEN)
        .json(&json!({"title": "Renamed needle in the haystack"}))
        .send_ok()
        .await;
    fh.hub.clock.advance(chrono::Duration::seconds(2));
    s.sync(&repo(), SyncKind::Incremental).await.unwrap();
    assert_eq!(
        api(&url, &read, needle).await.1["data"][0]["title"],
        "Renamed needle in the haystack",
        "a change reaches the next answer"
    );
    // Totals are kept per filter, whatever the page or sort, and follow the mirror too.
    let tagged = "/api/v1/issues?state=all&label=ui-x";
    let total = |q: String| {
        let (url, read) = (url.clone(), read.clone());
        async move { api(&url, &read, &q).await.1["pagination"]["total"].clone() }
    };
    assert_eq!(total(format!("{tagged}&page=2")).await, 1);
    c.patch(format!("{}/repos/acme/widgets/issues/5", fh.url))
        .bearer_auth(GH_TOKEN)
        .json(&json!({"labels": ["ui-x"]}))
        .send_ok()
        .await;
    fh.hub.clock.advance(chrono::Duration::seconds(2));
    s.sync(&repo(), SyncKind::Incremental).await.unwrap();
    assert_eq!(total(format!("{tagged}&sort=number")).await, 2);
    assert_eq!(total(format!("{tagged}&page=2")).await, 2);

    // One issue with its relations.
    let (s2, detail) = api(&url, &read, &format!("/api/v1/issues/{}", id(2))).await;
    assert_eq!(s2, 200, "{detail}");
    assert_eq!(detail["labels"], json!(["bug", "ui-x"]));
    assert_eq!(detail["assignees"], json!(["zed"]));
    assert_eq!(detail["milestone"]["number"], 1);
    assert_eq!(detail["parent"]["number"], 1);
    assert_eq!(detail["blocked_by"][0]["number"], 3);
    let (_, parent) = api(&url, &read, &format!("/api/v1/issues/{}", id(1))).await;
    assert_eq!(parent["children"][0]["number"], 2);
    let (_, blocker) = api(&url, &read, &format!("/api/v1/issues/{}", id(3))).await;
    assert_eq!(blocker["blocking"][0]["number"], 2);
    assert_eq!(api(&url, &read, "/api/v1/issues/424242").await.0, 404);

    // Comments, labels, milestones with progress, repositories.
    let with_comments = fh.hub.world.read().repos[0]
        .issues
        .iter()
        .find(|i| i.comments > 0)
        .map(|i| (i.id, i.comments))
        .unwrap();
    let (_, comments) = api(
        &url,
        &read,
        &format!("/api/v1/issues/{}/comments", with_comments.0),
    )
    .await;
    assert_eq!(comments["pagination"]["total"], with_comments.1);
    let (_, labels) = api(&url, &read, "/api/v1/labels?repo=acme/widgets").await;
    assert_eq!(labels["pagination"]["total"], 7);
    let (_, ms) = api(&url, &read, "/api/v1/milestones?repo=acme/widgets").await;
    let m1 = ms["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["number"] == 1)
        .unwrap()
        .clone();
    let fm = fh.hub.world.read().repos[0].milestone(1).unwrap().clone();
    assert_eq!(
        m1["progress"]["total"].as_u64().unwrap(),
        fm.open_issues + fm.closed_issues
    );
    let (_, repos) = api(&url, &read, "/api/v1/repos").await;
    assert_eq!(repos["data"][0]["full_name"], "acme/widgets");

    // Sync control: read tokens may look, write tokens may trigger. The triggered sync is
    // told apart from the earlier ones by its id, and its effect shows in the API.
    let before = newest_operation(&url, &read, "acme/widgets").await;
    assert!(before > 0, "the syncs above are listed");
    c.patch(format!("{}/repos/acme/widgets/issues/4", fh.url))
        .bearer_auth(GH_TOKEN)
        .json(&json!({"title": "Brought by the triggered sync"}))
        .send_ok()
        .await;
    fh.hub.clock.advance(chrono::Duration::seconds(2));
    let body = json!({"repository": "acme/widgets", "sync_type": "incremental"});
    let r = c
        .post(format!("{url}/api/v1/sync/trigger"))
        .bearer_auth(&read)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = c
        .post(format!("{url}/api/v1/sync/trigger"))
        .bearer_auth(&write)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let r = c
        .post(format!("{url}/api/v1/sync/trigger"))
        .bearer_auth(&write)
        .json(&json!({"repository": "nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let op = finished_operation(&url, &read, "acme/widgets", "incremental", before).await;
    assert_eq!(op["status"], "completed", "{op}");
    assert!(op["records_processed"].as_i64().unwrap() >= 1, "{op}");
    // The tracker's form of the request: its operation is named in the answer.
    let r = c
        .post(format!("{url}/api/v1/sync/trigger"))
        .bearer_auth(&write)
        .json(&json!({"sync_type": "full", "direction": "bidirectional", "repository": "acme/widgets"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let accepted: Value = r.json().await.unwrap();
    assert_eq!(
        (accepted["status"].as_str(), accepted["direction"].as_str()),
        (Some("running"), Some("bidirectional")),
        "{accepted}"
    );
    assert!(accepted["created_at"].is_string(), "{accepted}");
    let op_id = accepted["operation_id"].as_i64().unwrap();
    let full = loop {
        let (_, ops) = api(&url, &read, "/api/v1/sync/operations?per_page=100").await;
        let found = ops["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["id"] == op_id)
            .cloned();
        match found {
            Some(o) if o["status"] != "running" => break o,
            _ => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
        }
    };
    assert_eq!(
        (full["status"].as_str(), full["sync_type"].as_str()),
        (Some("completed"), Some("full")),
        "{full}"
    );
    let r = c
        .post(format!("{url}/api/v1/sync/trigger"))
        .bearer_auth(&write)
        .json(&json!({"repository": "acme/widgets", "direction": "sideways"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let (_, issue4) = api(&url, &read, &format!("/api/v1/issues/{}", id(4))).await;
    assert_eq!(issue4["title"], "Brought by the triggered sync", "{op}");
    let (_, status) = api(&url, &read, "/api/v1/sync/status").await;
    assert_eq!(status["repositories"][0]["repository"], "acme/widgets");
    assert!(status["repositories"][0]["cursors"]["issues"]["since"].is_string());

    // The delivery log and replay.
    for (event, id, body) in [
        ("ping", "p-1", &br#"{"zen":"z"}"#[..]),
        ("watch", "w-1", br#"{"action":"started"}"#),
    ] {
        assert_eq!(deliver(&url, event, id, body, SECRET).await.status(), 202);
    }
    processed(&gg.store).await;
    let (_, ignored) = api(&url, &read, "/api/v1/webhooks/events?status=ignored").await;
    assert_eq!(ignored["pagination"]["total"], 1);
    assert_eq!(ignored["data"][0]["event"], "watch");
    assert_eq!(
        api(&url, &read, "/api/v1/webhooks/events?status=weird")
            .await
            .0,
        400
    );
    let event_id = ignored["data"][0]["id"].as_i64().unwrap();
    let r = c
        .post(format!("{url}/api/v1/webhooks/events/{event_id}/replay"))
        .bearer_auth(&write)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    assert_eq!(
        c.post(format!("{url}/api/v1/webhooks/events/99999/replay"))
            .bearer_auth(&write)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    // Open endpoints.
    let health: Value = c
        .get(format!("{url}/health"))
        .send_ok()
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "healthy", "{health}");
    assert_eq!(health["checks"]["database"]["status"], "ok");
    let metrics = c
        .get(format!("{url}/metrics"))
        .send_ok()
        .await
        .text()
        .await
        .unwrap();
    for name in [
        "ghgov_http_requests_total",
        "ghgov_http_request_duration_seconds",
        "ghgov_github_requests_total",
        "ghgov_github_rate_limit_remaining",
        "ghgov_sync_operations_total",
        "ghgov_deliveries",
        "ghgov_delivery_queue_depth",
    ] {
        assert!(metrics.contains(name), "metrics has {name}");
    }
    let version: Value = c
        .get(format!("{url}/version"))
        .send_ok()
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(version["name"], "ghgov");
    let openapi: Value = c
        .get(format!("{url}/api/v1/openapi.json"))
        .send_ok()
        .await
        .json()
        .await
        .unwrap();
    assert!(openapi["paths"]["/api/v1/issues"]["get"].is_object());
    for path in [
        "/api/v1/governance/config/{org}/{repo}",
        "/api/v1/governance/validate",
        "/api/v1/governance/generate",
        "/api/v1/governance/plans/{id}/approve",
        "/api/v1/governance/compliance/{org}/{repo}",
    ] {
        assert!(openapi["paths"][path].is_object(), "{path} is documented");
    }

    // GitHub down: degraded, not unhealthy (once the cached check is older than 30 s).
    clock.advance(std::time::Duration::from_secs(31));
    fh.hub
        .faults
        .set(fakehub::faults::FaultSettings {
            error_rate: 1.0,
            ..Default::default()
        })
        .unwrap();
    let health: Value = c
        .get(format!("{url}/health"))
        .send_ok()
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "degraded", "{health}");
    fh.hub.faults.set(Default::default()).unwrap();
    t.finish().await;
}

suite!(both: [
    api_over_a_mirror,
]);
