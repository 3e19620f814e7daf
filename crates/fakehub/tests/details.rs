//! The details GitHub gets right: assignability, what a relation may point at, milestone
//! dates, moved and deleted issues, webhook details, conditional requests, locks and the
//! secondary limits on reads.

mod common;
use common::*;
use serde_json::json;

const O: &str = "/repos/acme/widgets";

#[tokio::test]
async fn only_assignable_users_can_be_assigned() {
    let env = Env::new(generated(0, 0, 0, 0, 0)).await;
    // Creating with a login nobody has used: GitHub's 422, naming the value.
    let r = env
        .post(
            &format!("{O}/issues"),
            json!({"title": "t", "assignees": ["alice", "nobody-here"]}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.body["message"], "Validation Failed");
    assert_eq!(
        r.body["errors"],
        json!([{"resource": "Issue", "field": "assignees", "code": "invalid", "value": "nobody-here"}])
    );
    assert_eq!(
        env.get(&format!("{O}/issues?state=all")).await.body,
        json!([]),
        "nothing was created"
    );
    // An organization cannot be assigned either.
    let r = env
        .post(
            &format!("{O}/issues"),
            json!({"title": "t", "assignee": "acme"}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);

    let issue = env
        .post(
            &format!("{O}/issues"),
            json!({"title": "t", "assignees": ["ALICE"]}),
        )
        .await;
    assert_eq!(issue.status, 201, "{}", issue.body);
    assert_eq!(issue.body["assignees"][0]["login"], "alice");
    // Updating: the same 422, and the issue is unchanged.
    let r = env
        .patch(
            &format!("{O}/issues/1"),
            json!({"title": "new", "assignees": ["ghost-user"]}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["errors"][0]["value"], "ghost-user");
    let now = env.get(&format!("{O}/issues/1")).await.body;
    assert_eq!(now["title"], "t");
    // POST …/assignees drops whom it cannot assign, silently.
    let r = env
        .post(
            &format!("{O}/issues/1/assignees"),
            json!({"assignees": ["bob", "ghost-user"]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let logins: Vec<&str> = r.body["assignees"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["login"].as_str().unwrap())
        .collect();
    assert_eq!(logins, ["alice", "bob"]);

    // The list of assignable users, paginated, and the check.
    let all = env.get(&format!("{O}/assignees?per_page=100")).await;
    assert_eq!(all.status, 200);
    let logins: Vec<&str> = all
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["login"].as_str().unwrap())
        .collect();
    assert!(logins.contains(&"alice") && logins.contains(&"octocat"));
    assert!(
        !logins.contains(&"acme"),
        "organizations are not assignable"
    );
    let mut sorted = logins.clone();
    sorted.sort_by_key(|l| l.to_ascii_lowercase());
    assert_eq!(logins, sorted);
    let page = env.get(&format!("{O}/assignees?per_page=2")).await;
    assert_eq!(page.body.as_array().unwrap().len(), 2);
    assert!(page
        .link("next")
        .unwrap()
        .contains("/assignees?per_page=2&page=2"));
    assert_eq!(env.get(&format!("{O}/assignees/alice")).await.status, 204);
    assert_eq!(env.get(&format!("{O}/assignees/Alice")).await.status, 204);
    assert_eq!(
        env.get(&format!("{O}/assignees/ghost-user")).await.status,
        404
    );
    assert_eq!(env.get(&format!("{O}/assignees/acme")).await.status, 404);
    assert_eq!(env.get("/repos/acme/nothing/assignees").await.status, 404);
}

#[tokio::test]
async fn pull_requests_are_in_neither_graph() {
    let env = Env::new(generated(6, 0, 0, 0, 2)).await;
    let (pr, issue, other) = {
        let w = env.fh.hub.world.read();
        let r = &w.repos[0];
        let pr = r.issues.iter().find(|i| i.pull_request).unwrap();
        let mut issues = r.issues.iter().filter(|i| !i.pull_request);
        let (a, b) = (issues.next().unwrap(), issues.next().unwrap());
        ((pr.number, pr.id), (a.number, a.id), (b.number, b.id))
    };
    let message = |r: &Resp| r.body["errors"][0]["message"].as_str().unwrap().to_string();
    let r = env
        .post(
            &format!("{O}/issues/{}/dependencies/blocked_by", issue.0),
            json!({"issue_id": pr.1}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(message(&r), "Target issue may only be an issue");
    let r = env
        .post(
            &format!("{O}/issues/{}/dependencies/blocked_by", pr.0),
            json!({"issue_id": issue.1}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(message(&r), "Source issue may only be an issue");
    let r = env
        .post(
            &format!("{O}/issues/{}/sub_issues", issue.0),
            json!({"sub_issue_id": pr.1}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(message(&r), "Sub issue may only be an issue");
    let r = env
        .post(
            &format!("{O}/issues/{}/sub_issues", pr.0),
            json!({"sub_issue_id": other.1}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(message(&r), "Parent may only be an issue");
    // Between two issues, both work.
    let r = env
        .post(
            &format!("{O}/issues/{}/dependencies/blocked_by", issue.0),
            json!({"issue_id": other.1}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
}

#[tokio::test]
async fn a_due_date_keeps_its_pacific_day() {
    let env = Env::new(generated(0, 0, 0, 0, 0)).await;
    let r = env
        .post(
            &format!("{O}/milestones"),
            json!({"title": "M", "due_on": "2020-09-24T06:59:00Z"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["due_on"], "2020-09-23T07:00:00Z");
    let r = env
        .patch(
            &format!("{O}/milestones/1"),
            json!({"due_on": "2031-01-15T23:30:00Z"}),
        )
        .await;
    assert_eq!(
        r.body["due_on"], "2031-01-15T08:00:00Z",
        "winter: 08:00 UTC"
    );
    let r = env
        .patch(&format!("{O}/milestones/1"), json!({"due_on": null}))
        .await;
    assert!(r.body["due_on"].is_null());
}
