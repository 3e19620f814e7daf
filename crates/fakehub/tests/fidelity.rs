//! GitHub's own schemas judge fakehub: every JSON body the endpoints return validates against
//! `rest-schemas.json`, and every webhook payload against `webhook-schemas.json`.

mod common;
use common::*;
use serde_json::{json, Value};

fn check(def: &str, r: &Resp) -> Value {
    assert!(r.status < 300, "{def}: status {} {}", r.status, r.body);
    if r.body.is_array() {
        assert!(
            !r.body.as_array().unwrap().is_empty(),
            "{def}: an empty list proves nothing"
        );
        schemas().check_rest_list(def, &r.body);
    } else {
        schemas().check_rest(def, &r.body);
    }
    r.body.clone()
}

#[tokio::test]
async fn rest_bodies_validate_against_githubs_schemas() {
    let env = Env::new(generated(30, 20, 6, 3, 4)).await;
    let rx = Receiver::start().await;
    let o = "/repos/acme/widgets";

    check("full-repository", &env.get(o).await);
    check(
        "issue",
        &env.get(&format!("{o}/issues?state=all&per_page=100")).await,
    );
    check("issue", &env.get(&format!("{o}/issues/1")).await);
    let epic = check("issue", &env.post(&format!("{o}/issues"), json!({"title": "Epic", "body": "b", "labels": ["bug"], "assignees": ["alice"], "milestone": 1, "type": "Feature"})).await);
    let n = epic["number"].as_u64().unwrap();
    check(
        "issue",
        &env.patch(
            &format!("{o}/issues/{n}"),
            json!({"state": "closed", "state_reason": "completed"}),
        )
        .await,
    );
    check(
        "issue",
        &env.post(
            &format!("{o}/issues/{n}/assignees"),
            json!({"assignees": ["bob"]}),
        )
        .await,
    );
    check(
        "issue",
        &env.delete_with(
            &format!("{o}/issues/{n}/assignees"),
            json!({"assignees": ["bob"]}),
        )
        .await,
    );
    check("simple-user", &env.get(&format!("{o}/assignees")).await);
    let found = env
        .get("/search/issues?q=repo:acme/widgets+is:issue&per_page=100")
        .await;
    assert_eq!(found.status, 200, "{}", found.body);
    assert!(!found.body["items"].as_array().unwrap().is_empty());
    schemas().check_rest_list("issue-search-result-item", &found.body["items"]);
    let by_id = format!("/repositories/{}", env.fh.hub.world.read().repos[0].id);
    check(
        "issue",
        &env.get(&format!("{by_id}/issues?state=all")).await,
    );
    check("label", &env.get(&format!("{o}/labels")).await);
    check(
        "label",
        &env.post(
            &format!("{o}/labels"),
            json!({"name": "fresh", "color": "123456", "description": "d"}),
        )
        .await,
    );
    check("label", &env.get(&format!("{o}/labels/fresh")).await);
    check(
        "label",
        &env.patch(&format!("{o}/labels/fresh"), json!({"description": null}))
            .await,
    );
    check(
        "label",
        &env.post(
            &format!("{o}/issues/{n}/labels"),
            json!({"labels": ["fresh"]}),
        )
        .await,
    );
    check(
        "label",
        &env.put(
            &format!("{o}/issues/{n}/labels"),
            json!({"labels": ["fresh", "bug"]}),
        )
        .await,
    );
    check("label", &env.get(&format!("{o}/issues/{n}/labels")).await);
    check(
        "label",
        &env.delete(&format!("{o}/issues/{n}/labels/fresh")).await,
    );
    check(
        "milestone",
        &env.get(&format!("{o}/milestones?state=all")).await,
    );
    check(
        "milestone",
        &env.post(
            &format!("{o}/milestones"),
            json!({"title": "Next", "due_on": "2031-01-01T12:00:00Z", "description": "d"}),
        )
        .await,
    );
    check("milestone", &env.get(&format!("{o}/milestones/1")).await);
    check(
        "milestone",
        &env.patch(&format!("{o}/milestones/1"), json!({"state": "closed"}))
            .await,
    );
    check(
        "issue-comment",
        &env.get(&format!("{o}/issues/comments")).await,
    );
    let c = check(
        "issue-comment",
        &env.post(
            &format!("{o}/issues/{n}/comments"),
            json!({"body": "hello"}),
        )
        .await,
    );
    check(
        "issue-comment",
        &env.get(&format!("{o}/issues/{n}/comments")).await,
    );
    check(
        "issue-comment",
        &env.get(&format!("{o}/issues/comments/{}", c["id"])).await,
    );
    check(
        "issue-comment",
        &env.patch(
            &format!("{o}/issues/comments/{}", c["id"]),
            json!({"body": "edited"}),
        )
        .await,
    );

    let child = check(
        "issue",
        &env.post(&format!("{o}/issues"), json!({"title": "Child"}))
            .await,
    );
    let sibling = check(
        "issue",
        &env.post(&format!("{o}/issues"), json!({"title": "Sibling"}))
            .await,
    );
    check(
        "issue",
        &env.post(
            &format!("{o}/issues/{n}/sub_issues"),
            json!({"sub_issue_id": child["id"]}),
        )
        .await,
    );
    check(
        "issue",
        &env.post(
            &format!("{o}/issues/{n}/sub_issues"),
            json!({"sub_issue_id": sibling["id"]}),
        )
        .await,
    );
    check(
        "issue",
        &env.get(&format!("{o}/issues/{n}/sub_issues")).await,
    );
    check(
        "issue",
        &env.patch(
            &format!("{o}/issues/{n}/sub_issues/priority"),
            json!({"sub_issue_id": sibling["id"], "before_id": child["id"]}),
        )
        .await,
    );
    check(
        "issue",
        &env.get(&format!("{o}/issues/{}/parent", child["number"]))
            .await,
    );
    check(
        "issue",
        &env.delete_with(
            &format!("{o}/issues/{n}/sub_issue"),
            json!({"sub_issue_id": sibling["id"]}),
        )
        .await,
    );
    check(
        "issue",
        &env.post(
            &format!("{o}/issues/{n}/dependencies/blocked_by"),
            json!({"issue_id": child["id"]}),
        )
        .await,
    );
    check(
        "issue",
        &env.get(&format!("{o}/issues/{n}/dependencies/blocked_by"))
            .await,
    );
    check(
        "issue",
        &env.get(&format!(
            "{o}/issues/{}/dependencies/blocking",
            child["number"]
        ))
        .await,
    );
    check(
        "issue",
        &env.delete(&format!(
            "{o}/issues/{n}/dependencies/blocked_by/{}",
            child["id"]
        ))
        .await,
    );

    check("issue-type", &env.get("/orgs/acme/issue-types").await);
    // Users and organizations. The corpus has no `private-user`, `public-user` or
    // `organization-full` schema; their `simple-user` part is checked, the rest in
    // tests/permissions.rs.
    env.put(
        "/_fakehub/orgs/acme/members/octocat",
        json!({"role": "admin"}),
    )
    .await;
    check("simple-user", &env.get("/user").await);
    check("simple-user", &env.get("/users/octocat").await);
    check("simple-user", &env.get("/orgs/acme/members").await);
    let org = env.get("/orgs/acme").await;
    assert_eq!(org.status, 200);
    for field in [
        "login",
        "id",
        "node_id",
        "url",
        "repos_url",
        "events_url",
        "hooks_url",
        "issues_url",
        "members_url",
        "public_members_url",
        "avatar_url",
        "description",
        "html_url",
        "has_organization_projects",
        "has_repository_projects",
        "public_repos",
        "public_gists",
        "followers",
        "following",
        "type",
        "created_at",
        "updated_at",
        "archived_at",
    ] {
        assert!(
            org.body.get(field).is_some(),
            "organization-full needs {field}: {}",
            org.body
        );
    }
    let t = check(
        "issue-type",
        &env.post(
            "/orgs/acme/issue-types",
            json!({"name": "Epic", "color": "purple"}),
        )
        .await,
    );
    check(
        "issue-type",
        &env.put(
            &format!("/orgs/acme/issue-types/{}", t["id"]),
            json!({"description": "big"}),
        )
        .await,
    );
    check("rate-limit-overview", &env.get("/rate_limit").await);

    let hook = check("hook", &env.post(&format!("{o}/hooks"), json!({"config": {"url": rx.url, "content_type": "json", "secret": "s"}, "events": ["*"]})).await);
    let h = hook["id"].as_u64().unwrap();
    env.wait_deliveries().await;
    check("hook", &env.get(&format!("{o}/hooks")).await);
    check("hook", &env.get(&format!("{o}/hooks/{h}")).await);
    check(
        "hook",
        &env.patch(&format!("{o}/hooks/{h}"), json!({"active": true}))
            .await,
    );
    check(
        "webhook-config",
        &env.get(&format!("{o}/hooks/{h}/config")).await,
    );
    check(
        "webhook-config",
        &env.patch(
            &format!("{o}/hooks/{h}/config"),
            json!({"insecure_ssl": "0"}),
        )
        .await,
    );
    let items = check(
        "hook-delivery-item",
        &env.get(&format!("{o}/hooks/{h}/deliveries")).await,
    );
    check(
        "hook-delivery",
        &env.get(&format!("{o}/hooks/{h}/deliveries/{}", items[0]["id"]))
            .await,
    );

    let nf = env.get(&format!("{o}/issues/99999")).await;
    assert_eq!(nf.status, 404);
    schemas().check_rest("basic-error", &nf.body);
    let invalid = env
        .post(
            &format!("{o}/labels"),
            json!({"name": "bug", "color": "zzz"}),
        )
        .await;
    assert_eq!(invalid.status, 422);
    schemas().check_rest("validation-error", &invalid.body);
}

/// Drives every kind of mutation with a `*` hook attached and validates each payload.
#[tokio::test]
async fn webhook_payloads_validate_against_githubs_schemas() {
    let env = Env::new(generated(0, 0, 0, 0, 0)).await;
    env.fh.hub.world.write().create_repo(
        "acme",
        "elsewhere",
        fakehub::model::UserKind::Organization,
        chrono::Utc::now(),
    );
    let rx = Receiver::start().await;
    let o = "/repos/acme/widgets";
    env.post(
        &format!("{o}/hooks"),
        json!({"config": {"url": rx.url, "content_type": "json", "secret": "s"}, "events": ["*"]}),
    )
    .await;
    env.post(
        &format!("{o}/milestones"),
        json!({"title": "M", "due_on": "2031-01-01T12:00:00Z"}),
    )
    .await;
    let a = env.post(&format!("{o}/issues"), json!({"title": "A", "body": "x", "labels": ["bug"], "assignees": ["alice"], "milestone": 1, "type": "Task"})).await.body;
    let b = env.issue("B").await;
    env.patch(&format!("{o}/issues/1"), json!({"title": "A2", "body": "y", "labels": [], "assignees": [], "milestone": null, "type": null})).await;
    env.patch(&format!("{o}/issues/1"), json!({"state": "closed"}))
        .await;
    env.patch(&format!("{o}/issues/1"), json!({"state": "open"}))
        .await;
    env.put(
        &format!("{o}/issues/1/lock"),
        json!({"lock_reason": "too heated"}),
    )
    .await;
    env.delete(&format!("{o}/issues/1/lock")).await;
    env.patch(&format!("{o}/labels/bug"), json!({"color": "000000"}))
        .await;
    env.delete(&format!("{o}/labels/bug")).await;
    env.patch(
        &format!("{o}/milestones/1"),
        json!({"title": "M2", "state": "closed"}),
    )
    .await;
    env.patch(&format!("{o}/milestones/1"), json!({"state": "open"}))
        .await;
    env.delete(&format!("{o}/milestones/1")).await;
    let c = env
        .post(&format!("{o}/issues/1/comments"), json!({"body": "c"}))
        .await
        .body;
    env.patch(
        &format!("{o}/issues/comments/{}", c["id"]),
        json!({"body": "d"}),
    )
    .await;
    env.delete(&format!("{o}/issues/comments/{}", c["id"]))
        .await;
    env.post(
        &format!("{o}/issues/1/sub_issues"),
        json!({"sub_issue_id": b["id"]}),
    )
    .await;
    env.delete_with(
        &format!("{o}/issues/1/sub_issue"),
        json!({"sub_issue_id": b["id"]}),
    )
    .await;
    env.post(
        &format!("{o}/issues/2/dependencies/blocked_by"),
        json!({"issue_id": a["id"]}),
    )
    .await;
    env.delete(&format!("{o}/issues/2/dependencies/blocked_by/{}", a["id"]))
        .await;
    env.post(
        "/_fakehub/repos/acme/widgets/issues/2/transfer",
        json!({"to": "acme/elsewhere"}),
    )
    .await;
    env.post("/_fakehub/repos/acme/widgets/issues/1/delete", json!({}))
        .await;
    env.wait_deliveries().await;

    let got = rx.all();
    let mut seen = std::collections::BTreeSet::new();
    for r in &got {
        let payload = r.json();
        seen.insert(Schemas::webhook_def(r.event(), payload["action"].as_str()));
        schemas().check_webhook(r.event(), &payload);
        assert!(fakehub::webhooks::verify(
            "s",
            &r.body,
            r.header("x-hub-signature-256")
        ));
    }
    let expected = [
        "webhook-ping",
        "webhook-issues-opened",
        "webhook-issues-edited",
        "webhook-issues-closed",
        "webhook-issues-reopened",
        "webhook-issues-labeled",
        "webhook-issues-unlabeled",
        "webhook-issues-assigned",
        "webhook-issues-unassigned",
        "webhook-issues-milestoned",
        "webhook-issues-demilestoned",
        "webhook-issues-typed",
        "webhook-issues-untyped",
        "webhook-issues-deleted",
        "webhook-issues-transferred",
        "webhook-issues-locked",
        "webhook-issues-unlocked",
        "webhook-label-created",
        "webhook-label-edited",
        "webhook-label-deleted",
        "webhook-milestone-created",
        "webhook-milestone-edited",
        "webhook-milestone-closed",
        "webhook-milestone-opened",
        "webhook-milestone-deleted",
        "webhook-issue-comment-created",
        "webhook-issue-comment-edited",
        "webhook-issue-comment-deleted",
        "webhook-sub-issues-sub-issue-added",
        "webhook-sub-issues-parent-issue-added",
        "webhook-sub-issues-sub-issue-removed",
        "webhook-sub-issues-parent-issue-removed",
        "webhook-issue-dependencies-blocked-by-added",
        "webhook-issue-dependencies-blocking-added",
        "webhook-issue-dependencies-blocked-by-removed",
        "webhook-issue-dependencies-blocking-removed",
    ];
    let missing: Vec<&str> = expected
        .iter()
        .copied()
        .filter(|e| !seen.contains(*e))
        .collect();
    assert!(missing.is_empty(), "never delivered: {missing:?}");
}

#[tokio::test]
async fn the_schema_check_catches_a_wrong_body() {
    let env = Env::new(generated(1, 0, 0, 0, 0)).await;
    let mut issue = env.get("/repos/acme/widgets/issues/1").await.body;
    assert!(schemas().rest_errors("issue", &issue).is_empty());
    issue.as_object_mut().unwrap().remove("number");
    issue["url"] = json!("not a url");
    issue["labels"] = json!("bug");
    let errors = schemas().rest_errors("issue", &issue);
    assert!(
        errors.len() >= 3,
        "missing field, bad URI format and wrong type are all caught: {errors:?}"
    );
}
