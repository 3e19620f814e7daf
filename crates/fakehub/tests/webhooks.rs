//! Repository hooks and the deliveries fakehub sends for every mutation.

mod common;
use common::*;
use fakehub::webhooks::verify;
use serde_json::json;

const SECRET: &str = "s3cret";

async fn hooked(env: &Env, events: serde_json::Value) -> (Receiver, u64) {
    let rx = Receiver::start().await;
    let r = env
        .post("/repos/acme/widgets/hooks", json!({"name": "web", "config": {"url": rx.url, "content_type": "json", "secret": SECRET}, "events": events}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        r.body["config"]["secret"], "********",
        "secrets are never shown back"
    );
    (rx, r.body["id"].as_u64().unwrap())
}

#[tokio::test]
async fn hook_crud_and_ping() {
    let env = Env::new(generated(0, 0, 0, 0, 0)).await;
    let (rx, id) = hooked(&env, json!(["issues"])).await;
    let ping = &rx.wait_for(1).await[0];
    assert_eq!(ping.event(), "ping");
    assert_eq!(ping.json()["hook_id"], id);
    assert!(verify(
        SECRET,
        &ping.body,
        ping.header("x-hub-signature-256")
    ));
    assert_eq!(
        env.get("/repos/acme/widgets/hooks")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let r = env
        .patch(
            &format!("/repos/acme/widgets/hooks/{id}"),
            json!({"add_events": ["label"], "remove_events": ["issues"], "active": false}),
        )
        .await;
    assert_eq!(
        (r.body["events"].clone(), r.body["active"].clone()),
        (json!(["label"]), json!(false))
    );
    let r = env
        .patch(
            &format!("/repos/acme/widgets/hooks/{id}/config"),
            json!({"content_type": "form"}),
        )
        .await;
    assert_eq!(r.body["content_type"], "form");
    assert_eq!(
        env.get(&format!("/repos/acme/widgets/hooks/{id}/config"))
            .await
            .body["url"],
        rx.url
    );
    assert_eq!(
        env.post(
            "/repos/acme/widgets/hooks",
            json!({"config": {"url": rx.url}})
        )
        .await
        .status,
        422,
        "one hook per URL"
    );
    assert_eq!(
        env.post("/repos/acme/widgets/hooks", json!({"config": {}}))
            .await
            .status,
        422
    );
    assert_eq!(
        env.post(
            "/repos/acme/widgets/hooks",
            json!({"config": {"url": "ftp://x"}})
        )
        .await
        .status,
        422
    );
    assert_eq!(
        env.delete(&format!("/repos/acme/widgets/hooks/{id}"))
            .await
            .status,
        204
    );
    assert_eq!(
        env.get(&format!("/repos/acme/widgets/hooks/{id}"))
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn every_issue_change_is_delivered_signed_and_in_order() {
    let env = Env::new(generated(0, 0, 0, 1, 0)).await;
    let (rx, hook_id) = hooked(&env, json!(["*"])).await;
    env.issue("first").await;
    env.patch("/repos/acme/widgets/issues/1", json!({"title": "renamed", "labels": ["bug"], "assignees": ["alice"], "milestone": 1, "type": "Task"})).await;
    env.patch(
        "/repos/acme/widgets/issues/1",
        json!({"state": "closed", "labels": [], "assignees": [], "milestone": null}),
    )
    .await;
    env.patch("/repos/acme/widgets/issues/1", json!({"state": "open"}))
        .await;
    env.wait_deliveries().await;
    let got = rx.events();
    let actions: Vec<String> = got
        .iter()
        .map(|r| {
            format!(
                "{}.{}",
                r.event(),
                r.json()["action"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            "issues.opened",
            "label.created",
            "issues.edited",
            "issues.labeled",
            "issues.assigned",
            "issues.milestoned",
            "issues.typed",
            "issues.closed",
            "issues.unlabeled",
            "issues.unassigned",
            "issues.demilestoned",
            "issues.reopened",
        ]
    );
    let edited = got[2].json();
    assert_eq!(edited["changes"]["title"]["from"], "first");
    assert_eq!(edited["issue"]["title"], "renamed");
    for r in &got {
        assert!(
            verify(SECRET, &r.body, r.header("x-hub-signature-256")),
            "signature verifies"
        );
        assert!(r.header("user-agent").starts_with("GitHub-Hookshot/"));
        assert_eq!(r.header("x-github-hook-id"), hook_id.to_string());
        assert!(
            uuid::Uuid::parse_str(r.header("x-github-delivery")).is_ok(),
            "delivery id is a GUID"
        );
        assert_eq!(r.header("content-type"), "application/json");
    }
    let guids: std::collections::HashSet<&str> =
        got.iter().map(|r| r.header("x-github-delivery")).collect();
    assert_eq!(guids.len(), got.len(), "one GUID per delivery");
}

#[tokio::test]
async fn events_filter_and_other_resources() {
    let env = Env::new(generated(0, 0, 0, 0, 0)).await;
    let (rx, _) = hooked(
        &env,
        json!([
            "label",
            "milestone",
            "issue_comment",
            "sub_issues",
            "issue_dependencies"
        ]),
    )
    .await;
    let a = env.issue("a").await;
    let b = env.issue("b").await;
    env.post(
        "/repos/acme/widgets/labels",
        json!({"name": "x", "color": "000000"}),
    )
    .await;
    env.patch("/repos/acme/widgets/labels/x", json!({"new_name": "y"}))
        .await;
    env.delete("/repos/acme/widgets/labels/y").await;
    env.post("/repos/acme/widgets/milestones", json!({"title": "m"}))
        .await;
    env.patch(
        "/repos/acme/widgets/milestones/1",
        json!({"state": "closed", "title": "m2"}),
    )
    .await;
    env.delete("/repos/acme/widgets/milestones/1").await;
    let c = env
        .post(
            "/repos/acme/widgets/issues/1/comments",
            json!({"body": "hi"}),
        )
        .await
        .body;
    env.patch(
        &format!("/repos/acme/widgets/issues/comments/{}", c["id"]),
        json!({"body": "edited"}),
    )
    .await;
    env.delete(&format!("/repos/acme/widgets/issues/comments/{}", c["id"]))
        .await;
    env.post(
        "/repos/acme/widgets/issues/1/sub_issues",
        json!({"sub_issue_id": b["id"]}),
    )
    .await;
    env.delete_with(
        "/repos/acme/widgets/issues/1/sub_issue",
        json!({"sub_issue_id": b["id"]}),
    )
    .await;
    env.post(
        "/repos/acme/widgets/issues/2/dependencies/blocked_by",
        json!({"issue_id": a["id"]}),
    )
    .await;
    env.delete(&format!(
        "/repos/acme/widgets/issues/2/dependencies/blocked_by/{}",
        a["id"]
    ))
    .await;
    env.wait_deliveries().await;
    let actions: Vec<String> = rx
        .events()
        .iter()
        .map(|r| format!("{}.{}", r.event(), r.json()["action"].as_str().unwrap()))
        .collect();
    assert_eq!(
        actions,
        [
            "label.created",
            "label.edited",
            "label.deleted",
            "milestone.created",
            "milestone.edited",
            "milestone.closed",
            "milestone.deleted",
            "issue_comment.created",
            "issue_comment.edited",
            "issue_comment.deleted",
            "sub_issues.sub_issue_added",
            "sub_issues.parent_issue_added",
            "sub_issues.sub_issue_removed",
            "sub_issues.parent_issue_removed",
            "issue_dependencies.blocked_by_added",
            "issue_dependencies.blocking_added",
            "issue_dependencies.blocked_by_removed",
            "issue_dependencies.blocking_removed",
        ],
        "no issues events: the hook did not subscribe to them"
    );
}

#[tokio::test]
async fn delivery_log_and_redelivery_keep_the_guid() {
    let env = Env::new(generated(0, 0, 0, 0, 0)).await;
    let (rx, hook) = hooked(&env, json!(["issues"])).await;
    rx.answer_with(500);
    env.issue("x").await;
    env.wait_deliveries().await;
    let log = env
        .get(&format!("/repos/acme/widgets/hooks/{hook}/deliveries"))
        .await
        .body;
    let newest = &log[0];
    assert_eq!(
        (
            newest["event"].as_str(),
            newest["action"].as_str(),
            newest["status_code"].as_u64()
        ),
        (Some("issues"), Some("opened"), Some(500))
    );
    assert_eq!(log.as_array().unwrap().len(), 2, "ping and opened");
    let id = newest["id"].as_u64().unwrap();
    let full = env
        .get(&format!("/repos/acme/widgets/hooks/{hook}/deliveries/{id}"))
        .await
        .body;
    assert_eq!(full["request"]["payload"]["action"], "opened");
    assert_eq!(full["request"]["headers"]["X-GitHub-Event"], "issues");
    let hook_view = env
        .get(&format!("/repos/acme/widgets/hooks/{hook}"))
        .await
        .body;
    assert_eq!(hook_view["last_response"]["code"], 500);
    // Not retried automatically; redelivered on request, with the same GUID.
    let before = rx.all().len();
    rx.answer_with(200);
    let r = env
        .post(
            &format!("/repos/acme/widgets/hooks/{hook}/deliveries/{id}/attempts"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 202);
    let all = rx.wait_for(before + 1).await;
    assert_eq!(all.len(), before + 1);
    assert_eq!(
        all[before].header("x-github-delivery"),
        newest["guid"].as_str().unwrap()
    );
    env.wait_deliveries().await;
    let log = env
        .get(&format!("/repos/acme/widgets/hooks/{hook}/deliveries"))
        .await
        .body;
    assert_eq!(
        (
            log[0]["redelivery"].as_bool(),
            log[0]["status_code"].as_u64()
        ),
        (Some(true), Some(200))
    );
    assert_eq!(
        env.post(
            &format!("/repos/acme/widgets/hooks/{hook}/deliveries/999999/attempts"),
            json!({})
        )
        .await
        .status,
        404
    );
}

#[tokio::test]
async fn form_content_type_signs_the_form_body() {
    let env = Env::new(generated(0, 0, 0, 0, 0)).await;
    let rx = Receiver::start().await;
    env.post(
        "/repos/acme/widgets/hooks",
        json!({"config": {"url": rx.url, "secret": SECRET}, "events": ["issues"]}),
    )
    .await;
    env.issue("x").await;
    env.wait_deliveries().await;
    let got = rx.events();
    assert_eq!(
        got[0].header("content-type"),
        "application/x-www-form-urlencoded"
    );
    assert!(got[0].body.starts_with(b"payload="));
    assert!(verify(
        SECRET,
        &got[0].body,
        got[0].header("x-hub-signature-256")
    ));
}

#[tokio::test]
async fn webhook_faults_drop_duplicate_and_reorder_reproducibly() {
    async fn run(faults: serde_json::Value) -> (Vec<String>, usize) {
        let env = Env::new(generated(0, 0, 0, 0, 0)).await;
        let (rx, _) = hooked(&env, json!(["issues"])).await;
        rx.wait_for(1).await;
        env.put("/_fakehub/faults", faults).await;
        for k in 0..40 {
            env.issue(&format!("i{k}")).await;
        }
        env.wait_deliveries().await;
        let got: Vec<String> = rx
            .events()
            .iter()
            .map(|r| r.json()["issue"]["title"].as_str().unwrap().to_string())
            .collect();
        let dropped = env.get("/_fakehub/deliveries").await.body["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["status"].as_str().unwrap().starts_with("dropped"))
            .count();
        (got, dropped)
    }
    let (dropped_run, dropped) = run(json!({"seed": 3, "webhook_drop": 0.25})).await;
    assert_eq!(
        dropped_run.len() + dropped,
        40,
        "dropped deliveries are logged, the rest arrive"
    );
    assert!(
        (3..=20).contains(&dropped),
        "about a quarter dropped: {dropped}"
    );
    assert_eq!(
        run(json!({"seed": 3, "webhook_drop": 0.25})).await.0,
        dropped_run,
        "same seed, same drops"
    );

    let (dups, _) = run(json!({"seed": 5, "webhook_duplicate": 0.3})).await;
    assert!(dups.len() > 40, "some arrive twice: {}", dups.len());

    let (reordered, _) = run(json!({"seed": 8, "webhook_reorder": 0.3})).await;
    let mut sorted = reordered.clone();
    sorted.sort_by_key(|t| t[1..].parse::<u32>().unwrap());
    assert_eq!(reordered.len(), 40);
    assert_ne!(reordered, sorted, "some arrive out of order");
}
