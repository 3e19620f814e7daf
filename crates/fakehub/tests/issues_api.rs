//! Issues, labels, milestones and comments over REST, as a GitHub client sees them.

mod common;
use common::*;
use serde_json::json;

#[tokio::test]
async fn create_get_update_and_close_an_issue() {
    let env = Env::new(generated(0, 0, 3, 2, 0)).await;
    let created = env
        .post(
            "/repos/acme/widgets/issues",
            json!({"title": "Crash on start", "body": "Steps…", "labels": ["bug", {"name": "new-label"}], "assignees": ["alice"], "milestone": 1, "type": "Bug"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let issue = created.body;
    assert_eq!(issue["number"], 1);
    assert_eq!(issue["state"], "open");
    assert_eq!(issue["user"]["login"], "octocat");
    assert_eq!(issue["assignee"]["login"], "alice");
    assert_eq!(issue["milestone"]["number"], 1);
    assert_eq!(issue["milestone"]["open_issues"], 1);
    assert_eq!(issue["type"]["name"], "Bug");
    let names: Vec<&str> = issue["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["bug", "new-label"],
        "a missing label is created, as GitHub does for writers"
    );
    assert!(issue["url"].as_str().unwrap().starts_with(&env.fh.url));
    assert_eq!(
        issue["html_url"],
        format!("{}/acme/widgets/issues/1", env.fh.url)
    );

    let got = env.get("/repos/acme/widgets/issues/1").await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body["title"], "Crash on start");

    let closed = env.patch("/repos/acme/widgets/issues/1", json!({"state": "closed", "state_reason": "not_planned", "title": "Crash on start (wontfix)"})).await;
    assert_eq!(closed.status, 200, "{}", closed.body);
    assert_eq!(closed.body["state"], "closed");
    assert_eq!(closed.body["state_reason"], "not_planned");
    assert_eq!(closed.body["closed_by"]["login"], "octocat");
    assert!(closed.body["closed_at"].is_string());
    let m = env.get("/repos/acme/widgets/milestones/1").await.body;
    assert_eq!(
        (m["open_issues"].as_u64(), m["closed_issues"].as_u64()),
        (Some(0), Some(1)),
        "milestone counts follow the issue"
    );

    let reopened = env.patch("/repos/acme/widgets/issues/1", json!({"state": "open", "milestone": null, "labels": [], "assignees": [], "type": null})).await;
    assert_eq!(reopened.body["state"], "open");
    assert_eq!(reopened.body["state_reason"], "reopened");
    assert!(reopened.body["milestone"].is_null());
    assert!(reopened.body["type"].is_null());
    assert_eq!(reopened.body["labels"], json!([]));
    let m = env.get("/repos/acme/widgets/milestones/1").await.body;
    assert_eq!(
        (m["open_issues"].as_u64(), m["closed_issues"].as_u64()),
        (Some(0), Some(0))
    );
}

#[tokio::test]
async fn validation_errors_have_githubs_shape() {
    let env = Env::new(generated(1, 0, 2, 1, 0)).await;
    let r = env
        .post("/repos/acme/widgets/issues", json!({"body": "no title"}))
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["message"], "Validation Failed");
    assert_eq!(
        r.body["errors"][0],
        json!({"resource": "Issue", "field": "title", "code": "missing_field"})
    );
    assert!(r.body["documentation_url"].is_string());

    let long = "x".repeat(257);
    let r = env
        .post("/repos/acme/widgets/issues", json!({"title": long}))
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["errors"][0]["field"], "title");

    let r = env
        .post(
            "/repos/acme/widgets/issues",
            json!({"title": "t", "milestone": 99}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["errors"][0]["field"].as_str()),
        (422, Some("milestone"))
    );

    let r = env
        .post(
            "/repos/acme/widgets/issues",
            json!({"title": "t", "type": "Epic"}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["errors"][0]["field"].as_str()),
        (422, Some("type"))
    );

    let r = env
        .send(
            reqwest::Method::POST,
            "/repos/acme/widgets/issues",
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 422, "an empty body has no title");
    let r = env
        .post(
            "/repos/acme/widgets/labels",
            json!({"name": "BUG", "color": "ff0000"}),
        )
        .await;
    assert_eq!(
        r.status, 422,
        "label names are unique case-insensitively: {}",
        r.body
    );
    assert_eq!(
        r.body["errors"][0],
        json!({"resource": "Label", "field": "name", "code": "already_exists"})
    );
    let r = env
        .post(
            "/repos/acme/widgets/labels",
            json!({"name": "fresh", "color": "red"}),
        )
        .await;
    assert_eq!(
        r.body["errors"][0],
        json!({"resource": "Label", "field": "color", "code": "invalid"})
    );

    assert_eq!(env.get("/repos/acme/widgets/issues/999").await.status, 404);
    assert_eq!(
        env.get("/repos/acme/nope").await.body["message"],
        "Not Found"
    );
    assert_eq!(env.get("/no/such/route").await.status, 404);
}

#[tokio::test]
async fn deleted_and_transferred_issues_answer_410() {
    let env = Env::new(generated(3, 0, 0, 0, 0)).await;
    env.fh.hub.world.write().create_repo(
        "acme",
        "other",
        fakehub::model::UserKind::Organization,
        chrono::Utc::now(),
    );
    let r = env
        .post("/_fakehub/repos/acme/widgets/issues/1/delete", json!({}))
        .await;
    assert_eq!(r.status, 204);
    let gone = env.get("/repos/acme/widgets/issues/1").await;
    assert_eq!(gone.status, 410);
    let r = env
        .post(
            "/_fakehub/repos/acme/widgets/issues/2/transfer",
            json!({"to": "acme/other"}),
        )
        .await;
    assert_eq!(r.body["number"], 1);
    // GitHub follows a transfer (issue 10): a 301 to the new place, which clients follow.
    let moved = env.get("/repos/acme/widgets/issues/2").await;
    assert_eq!((moved.status, &moved.body["number"]), (200, &json!(1)));
    assert_eq!(env.get("/repos/acme/other/issues/1").await.status, 200);
    let list = env.get("/repos/acme/widgets/issues?state=all").await.body;
    assert_eq!(
        list.as_array().unwrap().len(),
        1,
        "gone issues leave the list"
    );
    assert_eq!(
        env.patch("/repos/acme/widgets/issues/1", json!({"title": "x"}))
            .await
            .status,
        410
    );
}

#[tokio::test]
async fn list_filters_sorts_and_includes_pull_requests() {
    let env = Env::new(generated(0, 0, 0, 0, 0)).await;
    for (title, labels, assignee) in [
        ("a", vec!["bug"], "alice"),
        ("b", vec!["bug", "ui"], "bob"),
        ("c", vec!["ui"], "alice"),
    ] {
        let r = env
            .post(
                "/repos/acme/widgets/issues",
                json!({"title": title, "labels": labels, "assignees": [assignee]}),
            )
            .await;
        assert_eq!(r.status, 201);
    }
    env.post("/repos/acme/widgets/milestones", json!({"title": "M1"}))
        .await;
    env.patch(
        "/repos/acme/widgets/issues/3",
        json!({"state": "closed", "milestone": 1}),
    )
    .await;
    env.fh.hub.clock.advance(chrono::Duration::minutes(1));
    env.post(
        "/repos/acme/widgets/issues/1/comments",
        json!({"body": "hi"}),
    )
    .await;
    let titles = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|i| i["title"].as_str().unwrap().to_string())
            .collect()
    };

    assert_eq!(
        titles(&env.get("/repos/acme/widgets/issues").await.body),
        ["b", "a"],
        "open, newest first by default"
    );
    assert_eq!(
        titles(
            &env.get("/repos/acme/widgets/issues?state=all&direction=asc")
                .await
                .body
        ),
        ["a", "b", "c"]
    );
    assert_eq!(
        titles(
            &env.get("/repos/acme/widgets/issues?state=closed")
                .await
                .body
        ),
        ["c"]
    );
    assert_eq!(
        titles(
            &env.get("/repos/acme/widgets/issues?state=all&labels=bug,UI")
                .await
                .body
        ),
        ["b"]
    );
    assert_eq!(
        titles(
            &env.get("/repos/acme/widgets/issues?state=all&labels=nosuch")
                .await
                .body
        ),
        Vec::<String>::new()
    );
    assert_eq!(
        titles(
            &env.get("/repos/acme/widgets/issues?state=all&assignee=alice")
                .await
                .body
        ),
        ["c", "a"]
    );
    assert_eq!(
        titles(
            &env.get("/repos/acme/widgets/issues?state=all&milestone=1")
                .await
                .body
        ),
        ["c"]
    );
    assert_eq!(
        titles(
            &env.get("/repos/acme/widgets/issues?state=all&milestone=none")
                .await
                .body
        ),
        ["b", "a"]
    );
    assert_eq!(
        titles(
            &env.get("/repos/acme/widgets/issues?state=all&milestone=*")
                .await
                .body
        ),
        ["c"]
    );
    assert_eq!(
        titles(
            &env.get("/repos/acme/widgets/issues?state=all&creator=octocat&sort=comments")
                .await
                .body
        )[0],
        "a"
    );
    assert_eq!(
        titles(
            &env.get("/repos/acme/widgets/issues?state=all&sort=updated&direction=desc")
                .await
                .body
        )[0],
        "a",
        "the comment bumped issue 1"
    );
    assert_eq!(
        env.get("/repos/acme/widgets/issues?state=bogus")
            .await
            .status,
        422
    );
    let future = "2999-01-01T00:00:00Z";
    assert_eq!(
        titles(
            &env.get(&format!(
                "/repos/acme/widgets/issues?state=all&since={future}"
            ))
            .await
            .body
        )
        .len(),
        0
    );
    assert_eq!(
        env.get("/repos/acme/widgets/issues?since=yesterday")
            .await
            .status,
        422
    );

    let env = Env::new(generated(10, 0, 2, 1, 5)).await;
    let all = env
        .get("/repos/acme/widgets/issues?state=all&per_page=100")
        .await
        .body;
    let pulls = all
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i.get("pull_request").is_some())
        .count();
    assert_eq!(
        (all.as_array().unwrap().len(), pulls),
        (15, 5),
        "pull requests are in the issue list with a pull_request key"
    );
}

#[tokio::test]
async fn labels_crud_and_issue_labels() {
    let env = Env::new(generated(0, 0, 0, 0, 0)).await;
    let r = env
        .post(
            "/repos/acme/widgets/labels",
            json!({"name": "area: api", "color": "#1D76DB", "description": "API"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["color"], "1d76db");
    assert_eq!(
        r.body["url"],
        format!("{}/repos/acme/widgets/labels/area%3A%20api", env.fh.url)
    );
    assert_eq!(
        env.get("/repos/acme/widgets/labels/AREA%3A%20API")
            .await
            .body["name"],
        "area: api"
    );
    let r = env
        .patch(
            "/repos/acme/widgets/labels/area%3A%20api",
            json!({"new_name": "api", "color": "000000"}),
        )
        .await;
    assert_eq!(
        (r.body["name"].as_str(), r.body["color"].as_str()),
        (Some("api"), Some("000000"))
    );
    env.post(
        "/repos/acme/widgets/labels",
        json!({"name": "ui", "color": "ffffff"}),
    )
    .await;
    env.issue("one").await;

    let r = env
        .post(
            "/repos/acme/widgets/issues/1/labels",
            json!({"labels": ["api"]}),
        )
        .await;
    assert_eq!(r.status, 200);
    let r = env
        .post("/repos/acme/widgets/issues/1/labels", json!(["ui"]))
        .await;
    assert_eq!(
        r.body.as_array().unwrap().len(),
        2,
        "add keeps existing labels"
    );
    let r = env
        .put(
            "/repos/acme/widgets/issues/1/labels",
            json!({"labels": ["ui"]}),
        )
        .await;
    assert_eq!(r.body.as_array().unwrap().len(), 1, "set replaces");
    let r = env.delete("/repos/acme/widgets/issues/1/labels/UI").await;
    assert_eq!(
        (r.status, r.body.as_array().map(|a| a.len())),
        (200, Some(0))
    );
    assert_eq!(
        env.delete("/repos/acme/widgets/issues/1/labels/ui")
            .await
            .status,
        404
    );
    env.put(
        "/repos/acme/widgets/issues/1/labels",
        json!({"labels": ["ui", "api"]}),
    )
    .await;
    assert_eq!(
        env.delete("/repos/acme/widgets/issues/1/labels")
            .await
            .status,
        204
    );
    assert_eq!(
        env.get("/repos/acme/widgets/issues/1/labels").await.body,
        json!([])
    );

    env.put(
        "/repos/acme/widgets/issues/1/labels",
        json!({"labels": ["ui"]}),
    )
    .await;
    assert_eq!(
        env.delete("/repos/acme/widgets/labels/ui").await.status,
        204
    );
    assert_eq!(
        env.get("/repos/acme/widgets/issues/1").await.body["labels"],
        json!([]),
        "deleting a label removes it from issues"
    );
    assert_eq!(
        env.get("/repos/acme/widgets/labels")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn milestones_crud_with_counts_and_due_on() {
    let env = Env::new(generated(0, 0, 0, 0, 0)).await;
    let r = env
        .post(
            "/repos/acme/widgets/milestones",
            json!({"title": "Sprint 1", "due_on": "2030-05-01T12:00:00Z", "description": "first"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    // GitHub keeps the day in US Pacific time: midnight there, 07:00 UTC in May (issue 10).
    assert_eq!(r.body["due_on"], "2030-05-01T07:00:00Z");
    assert_eq!(
        env.post(
            "/repos/acme/widgets/milestones",
            json!({"title": "Sprint 1"})
        )
        .await
        .status,
        422
    );
    for t in ["a", "b", "c"] {
        env.post(
            "/repos/acme/widgets/issues",
            json!({"title": t, "milestone": 1}),
        )
        .await;
    }
    env.patch("/repos/acme/widgets/issues/2", json!({"state": "closed"}))
        .await;
    let m = env.get("/repos/acme/widgets/milestones/1").await.body;
    assert_eq!(
        (m["open_issues"].as_u64(), m["closed_issues"].as_u64()),
        (Some(2), Some(1))
    );
    let r = env
        .patch(
            "/repos/acme/widgets/milestones/1",
            json!({"state": "closed"}),
        )
        .await;
    assert_eq!(r.body["state"], "closed");
    assert!(r.body["closed_at"].is_string());
    assert_eq!(
        env.get("/repos/acme/widgets/milestones").await.body,
        json!([]),
        "default lists open milestones"
    );
    assert_eq!(
        env.get("/repos/acme/widgets/milestones?state=all")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        env.delete("/repos/acme/widgets/milestones/1").await.status,
        204
    );
    assert!(env.get("/repos/acme/widgets/issues/1").await.body["milestone"].is_null());
    assert_eq!(
        env.get("/repos/acme/widgets/milestones/1").await.status,
        404
    );
    let r = env
        .post(
            "/repos/acme/widgets/milestones",
            json!({"title": "Sprint 2"}),
        )
        .await;
    assert_eq!(r.body["number"], 2, "milestone numbers are never reused");
}

#[tokio::test]
async fn comments_per_issue_and_repository_wide() {
    let env = Env::new(generated(0, 0, 0, 0, 0)).await;
    env.issue("one").await;
    env.issue("two").await;
    let c1 = env
        .post(
            "/repos/acme/widgets/issues/1/comments",
            json!({"body": "first"}),
        )
        .await;
    assert_eq!(c1.status, 201);
    env.post(
        "/repos/acme/widgets/issues/2/comments",
        json!({"body": "second"}),
    )
    .await;
    assert_eq!(
        env.post("/repos/acme/widgets/issues/2/comments", json!({"body": ""}))
            .await
            .status,
        422
    );
    assert_eq!(
        env.get("/repos/acme/widgets/issues/1").await.body["comments"],
        1
    );
    assert_eq!(
        env.get("/repos/acme/widgets/issues/1/comments")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let all = env.get("/repos/acme/widgets/issues/comments").await.body;
    assert_eq!(all.as_array().unwrap().len(), 2);
    let id = c1.body["id"].as_u64().unwrap();
    env.fh.hub.clock.advance(chrono::Duration::hours(1));
    let edited = env
        .patch(
            &format!("/repos/acme/widgets/issues/comments/{id}"),
            json!({"body": "edited"}),
        )
        .await;
    assert_eq!(edited.body["body"], "edited");
    let since = edited.body["updated_at"].as_str().unwrap().to_string();
    let recent = env
        .get(&format!(
            "/repos/acme/widgets/issues/comments?since={since}"
        ))
        .await
        .body;
    assert_eq!(
        recent.as_array().unwrap().len(),
        1,
        "since filters on updated_at"
    );
    assert_eq!(
        env.get(&format!("/repos/acme/widgets/issues/comments/{id}"))
            .await
            .body["body"],
        "edited"
    );
    assert_eq!(
        env.delete(&format!("/repos/acme/widgets/issues/comments/{id}"))
            .await
            .status,
        204
    );
    assert_eq!(
        env.get(&format!("/repos/acme/widgets/issues/comments/{id}"))
            .await
            .status,
        404
    );
    assert_eq!(
        env.get("/repos/acme/widgets/issues/1").await.body["comments"],
        0
    );
}

#[tokio::test]
async fn organization_issue_types() {
    let env = Env::new(generated(0, 0, 0, 0, 0)).await;
    let types = env.get("/orgs/acme/issue-types").await.body;
    let names: Vec<&str> = types
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Task", "Bug", "Feature"]);
    let r = env
        .post(
            "/orgs/acme/issue-types",
            json!({"name": "Epic", "description": "A large body of work", "color": "purple"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        env.post("/orgs/acme/issue-types", json!({"name": "epic"}))
            .await
            .status,
        422
    );
    let i = env
        .post(
            "/repos/acme/widgets/issues",
            json!({"title": "big", "type": "Epic"}),
        )
        .await;
    assert_eq!(i.body["type"]["name"], "Epic");
    assert_eq!(
        env.get("/repos/acme/widgets/issues?type=Epic")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(env.get("/orgs/nobody/issue-types").await.status, 404);
}

#[tokio::test]
async fn repository_fields_clients_read() {
    let env = Env::new(generated(5, 0, 0, 0, 2)).await;
    let r = env.get("/repos/acme/widgets").await.body;
    assert_eq!(r["full_name"], "acme/widgets");
    assert_eq!(r["owner"]["login"], "acme");
    assert_eq!(r["owner"]["type"], "Organization");
    assert_eq!(r["default_branch"], "main");
    assert_eq!(r["license"]["spdx_id"], "MIT");
    let open = env
        .get("/repos/acme/widgets/issues?per_page=100")
        .await
        .body
        .as_array()
        .unwrap()
        .len();
    assert_eq!(
        r["open_issues_count"].as_u64().unwrap() as usize,
        open,
        "open issues and pull requests"
    );
}
