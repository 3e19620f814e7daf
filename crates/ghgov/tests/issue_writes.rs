//! Changes through the API reach GitHub through the one writer: journaled first, answered
//! with the issue as GitHub confirmed it (or 202 and an operation), resumed after a stop
//! without a duplicate, and not taken for someone else's change when the webhook echoes it.

mod common;
use common::*;
use ghgov::store::Scope;
use ghgov::writer::{operation_marker, Change, IssueEdit};
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;

fn issues_on_github(t: &Tester) -> usize {
    t.fh.hub.world.read().repos[0].issues.len()
}

fn writes_on_github(t: &Tester) -> u64 {
    t.fh.hub.stats.snapshot()["writes"].as_u64().unwrap()
}

async fn api_writes_come_back_confirmed(db: String) {
    let t = TestWorld::seeded(seed(3, 0, 3, 2, 0))
        .serving()
        .start(&db)
        .await;
    let gg = t.ghgov();
    ghgov::server::hooks::install_hook(&gg.gh.clone().unwrap(), &repo(), &gg.url(), &SECRET.into())
        .await
        .unwrap();
    let (_, write) = gg.store.create_token("writer", Scope::Write).await.unwrap();
    let (_, read) = gg.store.create_token("reader", Scope::Read).await.unwrap();
    let url = format!("{}/api/v1", gg.url());
    let before = issues_on_github(&t);

    // Created on GitHub, mirrored, and answered as the API shows it.
    let (status, made) = call(
        Method::POST,
        &format!("{url}/issues"),
        &write,
        Some(
            json!({"repository": "acme/widgets", "title": "From the API", "body": "Some text",
                    "labels": ["bug"], "milestone": 1}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{made}");
    let id = made["id"].as_i64().unwrap();
    assert_eq!(made["title"], "From the API");
    assert_eq!(made["labels"][0], "bug", "{made}");
    assert_eq!(made["milestone"]["number"], 1, "{made}");
    let number = made["number"].as_u64().unwrap();
    let body = t.fh.hub.world.read().repos[0]
        .issue(number)
        .unwrap()
        .body
        .clone()
        .unwrap_or_default();
    assert!(
        body.starts_with("Some text") && body.contains("<!-- ghgov:operation:"),
        "{body}"
    );
    let (status, again) = call(
        Method::POST,
        &format!("{url}/issues/create"),
        &write,
        Some(json!({"repository": "acme/widgets", "title": "Second"})),
    )
    .await;
    assert_eq!(status, 201, "{again}");
    assert_eq!(issues_on_github(&t), before + 2);

    // An edit: the whole answer is GitHub's confirmed state.
    let (status, edited) = call(Method::PATCH, &format!("{url}/issues/{id}"), &write,
        Some(json!({"title": "Renamed", "state": "closed", "state_reason": "not_planned", "milestone": null}))).await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(
        (edited["title"].as_str(), edited["state"].as_str()),
        (Some("Renamed"), Some("closed"))
    );
    assert_eq!(edited["state_reason"], "not_planned");
    assert_eq!(edited["milestone"], Value::Null, "{edited}");
    let (status, put) = call(
        Method::PUT,
        &format!("{url}/issues/{id}"),
        &write,
        Some(json!({"labels": ["bug", "enhancement"]})),
    )
    .await;
    assert_eq!(status, 200, "{put}");
    assert_eq!(put["labels"].as_array().unwrap().len(), 2, "{put}");

    // The echoes of our own writes change nothing and cause no write.
    let writes = writes_on_github(&t);
    settled(&t.fh, &gg.store).await;
    let (_, now) = call(Method::GET, &format!("{url}/issues/{id}"), &read, None).await;
    assert_eq!(
        (now["title"].as_str(), now["state"].as_str()),
        (Some("Renamed"), Some("closed"))
    );
    assert_eq!(
        writes_on_github(&t),
        writes,
        "an echo is never written back"
    );

    // Each write is a settled operation.
    let (status, op) = call(Method::GET, &format!("{url}/operations/1"), &read, None).await;
    assert_eq!(status, 200, "{op}");
    assert_eq!(
        (op["status"].as_str(), op["kind"].as_str()),
        (Some("done"), Some("issue.create"))
    );
    assert_eq!(op["issue_id"], id);
    assert_eq!(
        call(Method::GET, &format!("{url}/operations/999"), &read, None)
            .await
            .0,
        404
    );

    // Refusals: each with what and how to fix it, none reaching GitHub.
    let writes = writes_on_github(&t);
    for (method, path, token, body, want) in [
        (
            Method::POST,
            "issues",
            &read,
            json!({"repository": "acme/widgets", "title": "x"}),
            403,
        ),
        (
            Method::POST,
            "issues",
            &write,
            json!({"repository": "acme/other", "title": "x"}),
            404,
        ),
        (
            Method::POST,
            "issues",
            &write,
            json!({"repository": "acme/widgets", "title": "  "}),
            422,
        ),
        (
            Method::POST,
            "issues",
            &write,
            json!({"repository": "acme/widgets", "title": "x", "parent": 1}),
            422,
        ),
        (
            Method::POST,
            "issues",
            &write,
            json!({"repository": "acme/widgets"}),
            400,
        ),
        (
            Method::POST,
            "issues",
            &write,
            json!({"repository": "acme/widgets", "title": "x", "colour": 1}),
            400,
        ),
        (
            Method::PATCH,
            "issues/999999",
            &write,
            json!({"title": "x"}),
            404,
        ),
        (
            Method::PATCH,
            &format!("issues/{id}") as &str,
            &write,
            json!({"state": "gone"}),
            422,
        ),
        (
            Method::PATCH,
            &format!("issues/{id}") as &str,
            &write,
            json!({"state": "closed", "state_reason": "why"}),
            422,
        ),
    ] {
        let (status, answer) = call(
            method.clone(),
            &format!("{url}/{path}"),
            token,
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, want, "{method} {path} {body}: {answer}");
        assert!(
            answer["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{answer}"
        );
    }
    assert_eq!(
        writes_on_github(&t),
        writes,
        "refused requests never reach GitHub"
    );

    // GitHub's own refusal: the operation fails and says why.
    let (status, answer) = call(
        Method::POST,
        &format!("{url}/issues"),
        &write,
        Some(json!({"repository": "acme/widgets", "title": "x", "milestone": 999})),
    )
    .await;
    assert_eq!(status, 502, "{answer}");
    assert!(
        answer["error"].as_str().unwrap().contains("422"),
        "{answer}"
    );
    t.finish().await;
}

async fn a_slow_github_answers_202_with_an_operation(db: String) {
    let t = TestWorld::seeded(seed(1, 0, 0, 0, 0))
        .serving()
        .start(&db)
        .await;
    let gg = t.ghgov();
    let (_, write) = gg.store.create_token("writer", Scope::Write).await.unwrap();
    let url = format!("{}/api/v1", gg.url());
    t.fh.hub
        .faults
        .set(fakehub::faults::FaultSettings {
            latency_ms: 7_000,
            ..Default::default()
        })
        .unwrap();
    let (status, queued) = call(
        Method::POST,
        &format!("{url}/issues"),
        &write,
        Some(json!({"repository": "acme/widgets", "title": "Slow"})),
    )
    .await;
    assert_eq!(status, 202, "{queued}");
    let op = queued["operation_id"].as_i64().unwrap();
    assert!(
        matches!(queued["status"].as_str(), Some("queued" | "running")),
        "{queued}"
    );
    let done = loop {
        let (_, now) = call(Method::GET, &format!("{url}/operations/{op}"), &write, None).await;
        if now["status"] == "done" {
            break now;
        }
        assert_ne!(now["status"], "failed", "{now}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    t.fh.hub.faults.set(Default::default()).unwrap();
    let id = done["issue_id"].as_i64().unwrap();
    let (status, issue) = call(Method::GET, &format!("{url}/issues/{id}"), &write, None).await;
    assert_eq!((status, issue["title"].as_str()), (200, Some("Slow")));
    t.finish().await;
}

async fn writes_survive_5xx_and_stops_without_duplicates(db: String) {
    let mut t = TestWorld::seeded(seed(2, 0, 0, 0, 0))
        .serving()
        .start(&db)
        .await;
    let gg = t.take_ghgov();
    let (_, write) = gg.store.create_token("writer", Scope::Write).await.unwrap();
    let store = gg.store.clone();
    gg.shutdown().await;
    let before = issues_on_github(&t);

    // A stop after the create was sent, before its outcome was recorded: it landed.
    let change = Change::CreateIssue {
        fields: IssueEdit {
            title: Some("Landed".into()),
            ..Default::default()
        },
    };
    let landed = store
        .enqueue_operation(ghgov::store::operations::NewOperation {
            kind: change.kind(),
            repository: "acme/widgets",
            issue_id: None,
            request: &serde_json::to_string(&change).unwrap(),
            principal: "token:test",
        })
        .await
        .unwrap();
    store.operation_running(landed).await.unwrap();
    let c = reqwest::Client::new();
    c.post(format!("{}/repos/acme/widgets/issues", t.fh.url))
        .bearer_auth(GH_TOKEN)
        .json(&json!({"title": "Landed", "body": operation_marker(landed)}))
        .send_ok()
        .await;
    // A stop after it was marked running, before it was sent: it did not land.
    let change = Change::CreateIssue {
        fields: IssueEdit {
            title: Some("Never sent".into()),
            ..Default::default()
        },
    };
    let unsent = store
        .enqueue_operation(ghgov::store::operations::NewOperation {
            kind: change.kind(),
            repository: "acme/widgets",
            issue_id: None,
            request: &serde_json::to_string(&change).unwrap(),
            principal: "token:test",
        })
        .await
        .unwrap();
    store.operation_running(unsent).await.unwrap();
    let after_crash = issues_on_github(&t);
    assert_eq!(after_crash, before + 1);

    // Restarted: both settle, the landed one without a second create.
    let gg = t.start_ghgov(|o| o).await;
    let settle = |id: i64| {
        let store = gg.store.clone();
        async move {
            for _ in 0..600 {
                let op = store.operation(id).await.unwrap().unwrap();
                if op.status().settled() {
                    return op;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            panic!("operation {id} did not settle");
        }
    };
    let op = settle(landed).await;
    assert_eq!(op.status, "done", "{op:?}");
    let issue = gg
        .store
        .issue_reads()
        .get(op.issue_id.unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(issue.title, "Landed");
    assert_eq!(settle(unsent).await.status, "done");
    assert_eq!(
        issues_on_github(&t),
        after_crash + 1,
        "one create for the unsent, none again for the landed"
    );

    // GitHub failing with 5xx: the write lands once it passes, exactly once.
    t.fh.hub
        .faults
        .set(fakehub::faults::FaultSettings {
            fail_next: 3,
            ..Default::default()
        })
        .unwrap();
    let url = format!("{}/api/v1", gg.url());
    let (status, answer) = call(
        Method::POST,
        &format!("{url}/issues"),
        &write,
        Some(json!({"repository": "acme/widgets", "title": "Through the storm"})),
    )
    .await;
    assert!(status == 201 || status == 202, "{status} {answer}");
    let op = match answer["operation_id"].as_i64() {
        Some(op) => settle(op).await,
        None => settle(3).await,
    };
    assert_eq!(op.status, "done", "{op:?}");
    let storm = t.fh.hub.world.read().repos[0]
        .issues
        .iter()
        .filter(|i| i.title == "Through the storm")
        .count();
    assert_eq!(storm, 1, "written exactly once");
    gg.shutdown().await;
    t.finish().await;
}

/// ghgov serving a synced mirror of `doc` (its webhook not installed), with a write token:
/// the tester, the token and the API's base URL.
async fn synced(db: &str, doc: fakehub::SeedDoc) -> (Tester, String, String) {
    let t = TestWorld::seeded(doc).serving().start(db).await;
    let (_, write) = t
        .ghgov()
        .store
        .create_token("writer", Scope::Write)
        .await
        .unwrap();
    t.syncer()
        .sync(&repo(), ghgov::mirror::sync::SyncKind::Full)
        .await
        .unwrap();
    let url = format!("{}/api/v1", t.ghgov().url());
    (t, write, url)
}

/// A request with extra headers: status, headers and JSON body.
async fn call_with(
    method: Method,
    url: &str,
    token: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut r = reqwest::Client::new()
        .request(method, url)
        .bearer_auth(token);
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap();
    (
        status,
        headers,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

async fn status_changes_follow_the_workflow(db: String) {
    let t = TestWorld::seeded(seed(4, 0, 3, 1, 1))
        .serving()
        .start(&db)
        .await;
    let gg = t.ghgov();
    ghgov::server::hooks::install_hook(&gg.gh.clone().unwrap(), &repo(), &gg.url(), &SECRET.into())
        .await
        .unwrap();
    let (_, write) = gg.store.create_token("writer", Scope::Write).await.unwrap();
    t.syncer()
        .sync(&repo(), ghgov::mirror::sync::SyncKind::Full)
        .await
        .unwrap();
    let url = format!("{}/api/v1", gg.url());
    let (_, open) = call(
        Method::GET,
        &format!("{url}/issues?repo=acme/widgets&status=planning&kind=issue&per_page=1"),
        &write,
        None,
    )
    .await;
    let id = open["data"][0]["id"]
        .as_i64()
        .expect("an open issue in planning");
    let number = open["data"][0]["number"].as_u64().unwrap();
    let status = |s: &str| json!({"status": s});
    let at = format!("{url}/issues/{id}/status");

    // The workflow decides: planning → review is refused with what is allowed.
    let (code, refused) = call(Method::PUT, &at, &write, Some(status("review"))).await;
    assert_eq!(code, 409, "{refused}");
    assert_eq!(refused["status"], "planning");
    assert_eq!(
        refused["allowed"],
        json!(["in_progress", "blocked", "cancelled"])
    );
    assert_eq!(
        call(Method::PUT, &at, &write, Some(status("nope"))).await.0,
        422
    );

    // Started: the status label is set on GitHub, with the reason in the history.
    let (code, moved) = call(
        Method::PUT,
        &at,
        &write,
        Some(json!({"status": "in_progress", "reason": "started"})),
    )
    .await;
    assert_eq!(code, 200, "{moved}");
    assert_eq!(moved["status"], "in_progress");
    assert!(
        moved["labels"]
            .as_array()
            .unwrap()
            .contains(&json!("status:in_progress")),
        "{moved}"
    );
    // Someone labels the issue on GitHub meanwhile; the next move keeps their label.
    let c = reqwest::Client::new();
    c.post(format!(
        "{}/repos/acme/widgets/issues/{number}/labels",
        t.fh.url
    ))
    .bearer_auth(GH_TOKEN)
    .json(&json!({"labels": ["enhancement"]}))
    .send_ok()
    .await;
    let (code, review) = call(Method::PUT, &at, &write, Some(status("review"))).await;
    assert_eq!(code, 200, "{review}");
    let labels: Vec<&str> = review["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert!(
        labels.contains(&"enhancement") && labels.contains(&"status:review"),
        "{labels:?}"
    );
    assert!(!labels.contains(&"status:in_progress"), "{labels:?}");

    // Done closes it as completed; done → in_progress reopens it.
    let (code, done) = call(Method::PUT, &at, &write, Some(status("done"))).await;
    assert_eq!(code, 200, "{done}");
    assert_eq!(
        (done["state"].as_str(), done["state_reason"].as_str()),
        (Some("closed"), Some("completed"))
    );
    assert!(
        !done["labels"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l.as_str().unwrap().starts_with("status:")),
        "{done}"
    );
    let (code, again) = call(Method::PUT, &at, &write, Some(status("in_progress"))).await;
    assert_eq!(code, 200, "{again}");
    assert_eq!(
        (again["state"].as_str(), again["status"].as_str()),
        (Some("open"), Some("in_progress"))
    );

    // The history has each move once, from the API, with who and why; echoes add nothing.
    settled(&t.fh, &gg.store).await;
    let (_, history) = call(
        Method::GET,
        &format!("{url}/issues/{id}/history?per_page=100"),
        &write,
        None,
    )
    .await;
    let api: Vec<&Value> = history["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["source"] == "api")
        .collect();
    let moves: Vec<&str> = api
        .iter()
        .map(|h| h["to"].as_str().or(h["to_status"].as_str()).unwrap())
        .collect();
    assert_eq!(moves.len(), 4, "{history}");
    for want in ["in_progress", "review", "done"] {
        assert!(moves.contains(&want), "{moves:?}");
    }
    assert!(
        api.iter().all(|h| h["actor"] == "token:writer"),
        "{history}"
    );
    assert!(api.iter().any(|h| h["reason"] == "started"), "{history}");

    // Versions: If-None-Match answers 304; a write based on an old version is refused.
    let (_, headers, _) = call_with(
        Method::GET,
        &format!("{url}/issues/{id}"),
        &write,
        &[],
        None,
    )
    .await;
    let etag = headers["etag"].to_str().unwrap().to_string();
    let (code, _, _) = call_with(
        Method::GET,
        &format!("{url}/issues/{id}"),
        &write,
        &[("if-none-match", &etag)],
        None,
    )
    .await;
    assert_eq!(code, 304);
    let (code, _, stale) = call_with(
        Method::PATCH,
        &format!("{url}/issues/{id}"),
        &write,
        &[("if-match", "\"0000\"")],
        Some(json!({"title": "Based on an old read"})),
    )
    .await;
    assert_eq!(code, 412, "{stale}");
    assert!(stale["error"].as_str().unwrap().contains(&etag), "{stale}");
    let (code, _, fresh) = call_with(
        Method::PATCH,
        &format!("{url}/issues/{id}"),
        &write,
        &[("if-match", &etag)],
        Some(json!({"title": "Based on the latest read"})),
    )
    .await;
    assert_eq!(code, 200, "{fresh}");

    // Someone changes the issue on GitHub right after our write, likely in the same
    // second: the mirror ends with their change once the writer's settling read is done.
    let (code, _) = call(Method::PUT, &at, &write, Some(status("blocked"))).await;
    assert_eq!(code, 200);
    c.patch(format!("{}/repos/acme/widgets/issues/{number}", t.fh.url))
        .bearer_auth(GH_TOKEN)
        .json(&json!({"title": "Changed right after"}))
        .send_ok()
        .await;
    let mut seen = Value::Null;
    for _ in 0..100 {
        settled(&t.fh, &gg.store).await;
        seen = call(Method::GET, &format!("{url}/issues/{id}"), &write, None)
            .await
            .1;
        if seen["title"] == "Changed right after" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        (seen["title"].as_str(), seen["status"].as_str()),
        (Some("Changed right after"), Some("blocked")),
        "{seen}"
    );
    let (code, _) = call(Method::PUT, &at, &write, Some(status("in_progress"))).await;
    assert_eq!(code, 200);

    // DELETE closes as not planned (in_progress → cancelled is allowed).
    let (code, closed) = call(Method::DELETE, &format!("{url}/issues/{id}"), &write, None).await;
    assert_eq!(code, 200, "{closed}");
    assert_eq!(
        (closed["state_reason"].as_str(), closed["status"].as_str()),
        (Some("not_planned"), Some("cancelled"))
    );
    // A pull request has no status.
    let (_, pulls) = call(
        Method::GET,
        &format!("{url}/issues?repo=acme/widgets&kind=pull_request&state=all"),
        &write,
        None,
    )
    .await;
    let pr = pulls["data"][0]["id"].as_i64().unwrap();
    assert_eq!(
        call(
            Method::PUT,
            &format!("{url}/issues/{pr}/status"),
            &write,
            Some(status("in_progress"))
        )
        .await
        .0,
        422
    );
    t.finish().await;
}

async fn comments_and_milestones_go_through_the_writer(db: String) {
    let (t, write, url) = synced(&db, seed(2, 0, 0, 1, 0)).await;
    let (_, list) = call(
        Method::GET,
        &format!("{url}/issues?repo=acme/widgets&state=all&per_page=1"),
        &write,
        None,
    )
    .await;
    let id = list["data"][0]["id"].as_i64().unwrap();
    let number = list["data"][0]["number"].as_u64().unwrap();

    // A comment: on GitHub once, in the mirror, listed with the issue's comments.
    let (code, made) = call(
        Method::POST,
        &format!("{url}/issues/{id}/comments"),
        &write,
        Some(json!({"body": "Looks good"})),
    )
    .await;
    assert_eq!(code, 201, "{made}");
    assert!(
        made["body"].as_str().unwrap().starts_with("Looks good"),
        "{made}"
    );
    let on_github = t.fh.hub.world.read().repos[0]
        .comments
        .iter()
        .filter(|c| c.body.starts_with("Looks good"))
        .count();
    assert_eq!(on_github, 1);
    let (_, comments) = call(
        Method::GET,
        &format!("{url}/issues/{id}/comments"),
        &write,
        None,
    )
    .await;
    assert!(
        comments["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == made["id"]),
        "{comments}"
    );
    assert_eq!(
        call(
            Method::POST,
            &format!("{url}/issues/{id}/comments"),
            &write,
            Some(json!({"body": " "}))
        )
        .await
        .0,
        422
    );
    assert_eq!(
        call(
            Method::POST,
            "{url}/issues/999999/comments"
                .replace("{url}", &url)
                .as_str(),
            &write,
            Some(json!({"body": "x"}))
        )
        .await
        .0,
        404
    );
    let _ = number;

    // Milestones: create, read, change, close (DELETE closes, never deletes).
    let (code, m) = call(Method::POST, &format!("{url}/milestones"), &write,
        Some(json!({"repository": "acme/widgets", "title": "v9", "description": "the big one", "due_on": "2027-03-31T12:00:00Z"}))).await;
    assert_eq!(code, 201, "{m}");
    assert_eq!(
        (m["title"].as_str(), m["state"].as_str()),
        (Some("v9"), Some("open"))
    );
    let mid = m["id"].as_i64().unwrap();
    let (code, got) = call(
        Method::GET,
        &format!("{url}/milestones/{mid}"),
        &write,
        None,
    )
    .await;
    assert_eq!(
        (code, got["description"].as_str()),
        (200, Some("the big one"))
    );
    let (code, changed) = call(
        Method::PUT,
        &format!("{url}/milestones/{mid}"),
        &write,
        Some(json!({"title": "v9.0"})),
    )
    .await;
    assert_eq!(
        (code, changed["title"].as_str()),
        (200, Some("v9.0")),
        "{changed}"
    );
    let (code, closed) = call(
        Method::DELETE,
        &format!("{url}/milestones/{mid}"),
        &write,
        None,
    )
    .await;
    assert_eq!(
        (code, closed["state"].as_str()),
        (200, Some("closed")),
        "{closed}"
    );
    assert!(t.fh.hub.world.read().repos[0]
        .milestones
        .iter()
        .any(|m| m.title == "v9.0" && m.state == fakehub::model::IssueState::Closed));
    for (method, path, body, want) in [
        (
            Method::POST,
            "milestones".to_string(),
            json!({"repository": "acme/widgets", "title": "x", "due_on": "soon"}),
            422,
        ),
        (
            Method::POST,
            "milestones".to_string(),
            json!({"repository": "acme/elsewhere", "title": "x"}),
            404,
        ),
        (
            Method::PUT,
            format!("milestones/{mid}"),
            json!({"state": "gone"}),
            422,
        ),
        (
            Method::PUT,
            "milestones/999999".to_string(),
            json!({"title": "x"}),
            404,
        ),
    ] {
        let (code, answer) = call(
            method.clone(),
            &format!("{url}/{path}"),
            &write,
            Some(body.clone()),
        )
        .await;
        assert_eq!(code, want, "{method} {path} {body}: {answer}");
    }
    // A second milestone with a title GitHub already has is GitHub's refusal.
    let (code, dup) = call(
        Method::POST,
        &format!("{url}/milestones"),
        &write,
        Some(json!({"repository": "acme/widgets", "title": "v9.0"})),
    )
    .await;
    assert_eq!(code, 502, "{dup}");
    t.finish().await;
}

async fn changes_merge_field_by_field_with_githubs(db: String) {
    let (t, write, url) = synced(&db, seed(2, 0, 2, 0, 0)).await;
    let (_, list) = call(
        Method::GET,
        &format!("{url}/issues?repo=acme/widgets&state=open&kind=issue&per_page=1"),
        &write,
        None,
    )
    .await;
    let id = list["data"][0]["id"].as_i64().expect("an open issue");
    let number = list["data"][0]["number"].as_u64().unwrap();
    let gh = reqwest::Client::new();
    let on_github = |body: Value| {
        let gh = gh.clone();
        let url = format!("{}/repos/acme/widgets/issues/{number}", t.fh.url);
        async move {
            gh.patch(url)
                .bearer_auth(GH_TOKEN)
                .json(&body)
                .send_ok()
                .await;
        }
    };
    let read = || async {
        let (_, h, v) = call_with(
            Method::GET,
            &format!("{url}/issues/{id}"),
            &write,
            &[],
            None,
        )
        .await;
        (h["etag"].to_str().unwrap().to_string(), v)
    };
    let github_title = || {
        t.fh.hub.world.read().repos[0]
            .issue(number)
            .unwrap()
            .title
            .clone()
    };

    // Both sides changed the title (manual: a conflict); the change's body and label are
    // written, and GitHub's label stays.
    let (etag, seen) = read().await;
    let mut labels: Vec<String> = seen["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap().to_string())
        .collect();
    on_github(json!({"title": "Remote title", "labels": labels.iter().cloned().chain(["bug".to_string()]).collect::<Vec<_>>()})).await;
    labels.push("enhancement".into());
    let (code, _, answer) = call_with(
        Method::PATCH,
        &format!("{url}/issues/{id}"),
        &write,
        &[("if-match", &etag)],
        Some(json!({"title": "Local title", "body": "local body", "labels": labels})),
    )
    .await;
    assert_eq!(code, 409, "{answer}");
    assert_eq!(answer["conflicts"][0]["field"], "title");
    assert_eq!(
        (
            answer["conflicts"][0]["local"].as_str(),
            answer["conflicts"][0]["remote"].as_str()
        ),
        (Some("Local title"), Some("Remote title"))
    );
    assert_eq!(answer["issue"]["title"], "Remote title");
    assert_eq!(answer["issue"]["body"], "local body");
    let now: Vec<&str> = answer["issue"]["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert!(
        now.contains(&"bug") && now.contains(&"enhancement"),
        "labels merge as sets: {now:?}"
    );
    let conflict = answer["conflicts"][0]["id"].as_i64().unwrap();
    let (_, open) = call(Method::GET, &format!("{url}/sync/conflicts"), &write, None).await;
    assert_eq!(open["pagination"]["total"], 1, "{open}");
    assert_eq!(open["data"][0]["base"], seen["title"]);

    // Settled each way: local writes the change's value, remote writes nothing, a value.
    let resolve = |c: i64, body: Value| {
        let url = url.clone();
        let write = write.clone();
        async move {
            call(
                Method::POST,
                &format!("{url}/sync/conflicts/{c}/resolve"),
                &write,
                Some(body),
            )
            .await
        }
    };
    assert_eq!(
        resolve(conflict, json!({"resolution": "sideways"})).await.0,
        422
    );
    assert_eq!(
        resolve(conflict, json!({"resolution": "value"})).await.0,
        422
    );
    let (code, settled) = resolve(conflict, json!({"resolution": "local"})).await;
    assert_eq!(code, 200, "{settled}");
    assert_eq!(settled["conflict"]["status"], "resolved");
    assert_eq!(github_title(), "Local title");
    assert_eq!(
        resolve(conflict, json!({"resolution": "remote"})).await.0,
        409,
        "settled once"
    );

    let conflict_on = |title: &'static str| {
        let read = &read;
        let on_github = &on_github;
        let url = url.clone();
        let write = write.clone();
        async move {
            let (etag, _) = read().await;
            on_github(json!({"title": format!("{title} on GitHub")})).await;
            let (code, _, answer) = call_with(
                Method::PATCH,
                &format!("{url}/issues/{id}"),
                &write,
                &[("if-match", &etag)],
                Some(json!({"title": format!("{title} here")})),
            )
            .await;
            assert_eq!(code, 409, "{answer}");
            answer["conflicts"][0]["id"].as_i64().unwrap()
        }
    };
    let c = conflict_on("Second").await;
    let writes = writes_on_github(&t);
    assert_eq!(resolve(c, json!({"resolution": "remote"})).await.0, 200);
    assert_eq!(
        (github_title(), writes_on_github(&t)),
        ("Second on GitHub".to_string(), writes),
        "remote: nothing written"
    );
    let c = conflict_on("Third").await;
    assert_eq!(
        resolve(c, json!({"resolution": "value", "value": "Merged title"}))
            .await
            .0,
        200
    );
    assert_eq!(github_title(), "Merged title");
    assert_eq!(
        resolve(c, json!({"resolution": "value", "value": 7}))
            .await
            .0,
        409
    );

    // Different fields on each side: both kept, no conflict.
    let (etag, _) = read().await;
    on_github(json!({"body": "GitHub's body"})).await;
    let (code, _, both) = call_with(
        Method::PATCH,
        &format!("{url}/issues/{id}"),
        &write,
        &[("if-match", &etag)],
        Some(json!({"title": "Only the title"})),
    )
    .await;
    assert_eq!(code, 200, "{both}");
    assert_eq!(
        (both["title"].as_str(), both["body"].as_str()),
        (Some("Only the title"), Some("GitHub's body"))
    );
    // The same field, last writer wins (state): the change's close reason is written.
    let (etag, _) = read().await;
    on_github(json!({"state": "closed", "state_reason": "completed"})).await;
    let (code, _, closed) = call_with(
        Method::PATCH,
        &format!("{url}/issues/{id}"),
        &write,
        &[("if-match", &etag)],
        Some(json!({"state": "closed", "state_reason": "not_planned"})),
    )
    .await;
    assert_eq!(code, 200, "{closed}");
    assert_eq!(closed["state_reason"], "not_planned");
    // A version ghgov never showed is refused.
    let (code, _, _) = call_with(
        Method::PATCH,
        &format!("{url}/issues/{id}"),
        &write,
        &[("if-match", "\"nope\"")],
        Some(json!({"title": "x"})),
    )
    .await;
    assert_eq!(code, 412);
    let (_, all) = call(
        Method::GET,
        &format!("{url}/sync/conflicts?status=all"),
        &write,
        None,
    )
    .await;
    assert_eq!(all["pagination"]["total"], 3, "{all}");
    assert_eq!(
        call(
            Method::GET,
            &format!("{url}/sync/conflicts?status=weird"),
            &write,
            None
        )
        .await
        .0,
        400
    );
    t.finish().await;
}

async fn queued_edits_of_one_issue_go_out_as_one_write(db: String) {
    let mut t = TestWorld::seeded(seed(2, 0, 2, 0, 0))
        .serving()
        .start(&db)
        .await;
    let gg = t.take_ghgov();
    t.syncer()
        .sync(&repo(), ghgov::mirror::sync::SyncKind::Full)
        .await
        .unwrap();
    let store = gg.store.clone();
    gg.shutdown().await;
    let (a, b) = {
        let w = t.fh.hub.world.read();
        let r = &w.repos[0];
        (
            (r.issues[0].id as i64, r.issues[0].number as i64),
            (r.issues[1].id as i64, r.issues[1].number as i64),
        )
    };
    let edit = |fields: IssueEdit, (id, number): (i64, i64)| {
        let store = store.clone();
        async move {
            let change = Change::UpdateIssue {
                number,
                fields,
                base: None,
            };
            store
                .enqueue_operation(ghgov::store::operations::NewOperation {
                    kind: change.kind(),
                    repository: "acme/widgets",
                    issue_id: Some(id),
                    request: &serde_json::to_string(&change).unwrap(),
                    principal: "token:test",
                })
                .await
                .unwrap()
        }
    };
    let title = |t: &str| IssueEdit {
        title: Some(t.into()),
        ..Default::default()
    };
    let mut ops = vec![
        edit(title("one"), a).await,
        edit(
            IssueEdit {
                title: Some("two".into()),
                labels: Some(vec!["bug".into()]),
                ..Default::default()
            },
            a,
        )
        .await,
        edit(title("b's"), b).await,
        edit(title("three"), a).await,
        edit(
            IssueEdit {
                body: Some("the body".into()),
                ..Default::default()
            },
            a,
        )
        .await,
    ];
    let writes = writes_on_github(&t);
    let gg = t.start_ghgov(|o| o).await;
    for op in ops.drain(..) {
        let mut n = 0;
        loop {
            let row = gg.store.operation(op).await.unwrap().unwrap();
            if row.status().settled() {
                assert_eq!(row.status, "done", "{row:?}");
                break;
            }
            n += 1;
            assert!(n < 600, "operation {op} did not settle");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    assert_eq!(
        writes_on_github(&t) - writes,
        2,
        "four edits of one issue in one write, one for the other"
    );
    let (title_now, body_now, labels_now) = {
        let w = t.fh.hub.world.read();
        let issue = w.repos[0].issue(a.1 as u64).unwrap();
        (issue.title.clone(), issue.body.clone(), issue.labels.len())
    };
    assert_eq!(
        (title_now.as_str(), body_now.as_deref()),
        ("three", Some("the body"))
    );
    assert_eq!(labels_now, 1);
    gg.shutdown().await;
    t.finish().await;
}

suite!(both: [
    queued_edits_of_one_issue_go_out_as_one_write,
    changes_merge_field_by_field_with_githubs,
    comments_and_milestones_go_through_the_writer,
    status_changes_follow_the_workflow,
    api_writes_come_back_confirmed,
    a_slow_github_answers_202_with_an_operation,
    writes_survive_5xx_and_stops_without_duplicates,
]);
