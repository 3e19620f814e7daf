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

#[tokio::test]
async fn a_transferred_issue_redirects_and_repositories_answer_by_id() {
    let env = Env::new(generated(40, 3, 2, 1, 0)).await;
    let other = env.fh.hub.world.write().create_repo(
        "acme",
        "other",
        fakehub::model::UserKind::Organization,
        chrono::Utc::now(),
    );
    let (widgets_id, other_id) = {
        let w = env.fh.hub.world.read();
        (w.repos[0].id, w.repos[other].id)
    };
    let r = env
        .post(
            "/_fakehub/repos/acme/widgets/issues/2/transfer",
            json!({"to": "acme/other"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let raw = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let send = |m: reqwest::Method, p: &str| {
        raw.request(m, env.url(p))
            .header("Authorization", format!("token {}", env.token))
            .json(&json!({"title": "x"}))
            .send()
    };
    let r = send(reqwest::Method::GET, &format!("{O}/issues/2"))
        .await
        .unwrap();
    assert_eq!(r.status(), 301);
    let location = format!("{}/repositories/{other_id}/issues/1", env.fh.url);
    assert_eq!(r.headers()["location"], location.as_str());
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["message"], "Moved Permanently");
    assert_eq!(body["url"], location.as_str());
    // Sub-resources lead to the same sub-resource; writes get 307.
    let r = send(
        reqwest::Method::GET,
        &format!("{O}/issues/2/comments?per_page=5"),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 301);
    assert_eq!(
        r.headers()["location"],
        format!("{location}/comments?per_page=5").as_str()
    );
    let r = send(reqwest::Method::PATCH, &format!("{O}/issues/2"))
        .await
        .unwrap();
    assert_eq!(r.status(), 307);
    // A client that follows lands on the issue where it lives now.
    let followed = env.get(&format!("{O}/issues/2")).await;
    assert_eq!(followed.status, 200);
    assert_eq!(followed.body["number"], 1);
    assert!(followed.body["repository_url"]
        .as_str()
        .unwrap()
        .ends_with("/repos/acme/other"));
    // Deleted is 410.
    env.post("/_fakehub/repos/acme/widgets/issues/3/delete", json!({}))
        .await;
    assert_eq!(env.get(&format!("{O}/issues/3")).await.status, 410);

    // `/repositories/{id}/…` serves what `/repos/{owner}/{repo}/…` serves.
    let by_id = format!("/repositories/{widgets_id}");
    for rest in [
        "",
        "/issues?state=all",
        "/issues/1",
        "/issues/1/comments",
        "/issues/comments",
        "/labels",
        "/milestones?state=all",
    ] {
        let a = env.get(&format!("{O}{rest}")).await;
        let b = env.get(&format!("{by_id}{rest}")).await;
        assert_eq!((a.status, &a.body), (b.status, &b.body), "{rest}");
        assert_eq!(a.status, 200, "{rest}");
    }
    assert_eq!(env.get("/repositories/999999999/issues").await.status, 404);
    // `Link` headers name the repository by id, as GitHub's do, and lead on.
    let page = env.get(&format!("{O}/issues?state=all&per_page=10")).await;
    let next = page.link("next").unwrap();
    assert_eq!(
        next,
        format!(
            "{}/repositories/{widgets_id}/issues?state=all&per_page=10&page=2",
            env.fh.url
        )
    );
    let second = env.get(&next).await;
    assert_eq!(second.status, 200);
    assert_eq!(second.body.as_array().unwrap().len(), 10);
    assert!(second.link("prev").unwrap().contains(&by_id));
}

#[tokio::test]
async fn webhook_details_opened_state_reason_sha1_and_the_delivery_log() {
    let env = Env::new(generated(0, 0, 2, 1, 0)).await;
    let rx = Receiver::start().await;
    let r = env
        .post(
            &format!("{O}/hooks"),
            json!({"config": {"url": rx.url, "content_type": "json", "secret": "s3cret"}, "events": ["issues"]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let hook = r.body["id"].as_u64().unwrap();
    let created = env
        .post(
            &format!("{O}/issues"),
            json!({"title": "t", "labels": ["bug"], "assignees": ["alice"], "milestone": 1}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    // Never closed: state_reason is there, and null.
    assert!(created
        .body
        .as_object()
        .unwrap()
        .contains_key("state_reason"));
    assert!(created.body["state_reason"].is_null());
    env.wait_deliveries().await;
    let got = rx.events();
    let opened = got
        .iter()
        .find(|r| r.json()["action"] == "opened")
        .expect("opened");
    let issue = &opened.json()["issue"];
    assert_eq!(issue["labels"][0]["name"], "bug");
    assert_eq!(issue["assignees"][0]["login"], "alice");
    assert_eq!(issue["milestone"]["number"], 1);
    // Both signatures, each over the exact body.
    let sha1 = opened.header("x-hub-signature");
    assert_eq!(sha1, fakehub::webhooks::sign_sha1("s3cret", &opened.body));
    assert!(sha1.starts_with("sha1=") && sha1.len() == 5 + 40);
    assert!(fakehub::webhooks::verify(
        "s3cret",
        &opened.body,
        opened.header("x-hub-signature-256")
    ));

    // The delivery log: newest first, by status, by cursor.
    rx.answer_with(500);
    env.patch(&format!("{O}/issues/1"), json!({"title": "u"}))
        .await;
    env.wait_deliveries().await;
    let log = format!("{O}/hooks/{hook}/deliveries");
    let all = env.get(&log).await.body;
    let all = all.as_array().unwrap();
    let n = all.len();
    assert!(
        n >= 5,
        "ping, opened, labeled, assigned, milestoned, edited: {n}"
    );
    let ids: Vec<u64> = all.iter().map(|d| d["id"].as_u64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first");
    let failed = env.get(&format!("{log}?status=failure")).await.body;
    assert_eq!(failed.as_array().unwrap().len(), 1);
    assert_eq!(failed[0]["status_code"], 500);
    let ok = env.get(&format!("{log}?status=success")).await.body;
    assert_eq!(ok.as_array().unwrap().len(), n - 1);
    assert_eq!(env.get(&format!("{log}?status=maybe")).await.status, 422);
    let first = env.get(&format!("{log}?per_page=2")).await;
    assert_eq!(first.body.as_array().unwrap().len(), 2);
    let next = first.link("next").expect("a next page");
    assert!(next.contains(&format!("cursor=v1_{}", ids[2])), "{next}");
    let mut seen: Vec<u64> = Vec::new();
    let mut page = Some(next);
    seen.extend(ids[..2].iter());
    while let Some(url) = page {
        let r = env.get(&url).await;
        seen.extend(
            r.body
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["id"].as_u64().unwrap()),
        );
        page = r.link("next");
    }
    assert_eq!(seen, ids, "every delivery once, in order");
}

#[tokio::test]
async fn mentioned_conditional_requests_locations_and_locks() {
    let env = Env::new(generated(0, 0, 0, 0, 0)).await;
    for (title, body) in [
        ("a", "cc @alice"),
        ("b", "mail alice@example.com"),
        ("c", "nothing"),
        ("d", "@alice-bob"),
    ] {
        let r = env
            .post(
                &format!("{O}/issues"),
                json!({"title": title, "body": body}),
            )
            .await;
        assert_eq!(r.status, 201);
        // 201 answers say where the new thing lives.
        assert_eq!(r.header("location"), r.body["url"].as_str());
    }
    let c = env
        .post(
            &format!("{O}/issues/3/comments"),
            json!({"body": "@ALICE, have a look"}),
        )
        .await;
    assert_eq!(c.status, 201);
    assert_eq!(c.header("location"), c.body["url"].as_str());
    let titles = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|i| i["title"].as_str().unwrap().to_string())
            .collect()
    };
    let r = env
        .get(&format!(
            "{O}/issues?mentioned=alice&sort=created&direction=asc"
        ))
        .await;
    assert_eq!(titles(&r.body), ["a", "c"], "in the body or in a comment");
    assert_eq!(
        env.get(&format!("{O}/issues?mentioned=nobody")).await.body,
        json!([])
    );

    // Last-Modified and If-Modified-Since on a single resource.
    let one = env.get(&format!("{O}/issues/1")).await;
    let lm = one.header("last-modified").unwrap().to_string();
    assert!(lm.ends_with(" GMT"), "{lm}");
    let used = one.header_u64("x-ratelimit-used");
    let again = env
        .send(
            reqwest::Method::GET,
            &format!("{O}/issues/1"),
            None,
            &[("If-Modified-Since", lm.as_str())],
        )
        .await;
    assert_eq!(again.status, 304);
    assert_eq!(again.header_u64("x-ratelimit-used"), used, "a 304 is free");
    env.fh.hub.clock.advance(chrono::Duration::seconds(5));

    // Lock and unlock, with the issue showing it and the events sent.
    let r = env
        .put(
            &format!("{O}/issues/1/lock"),
            json!({"lock_reason": "too heated"}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let locked = env.get(&format!("{O}/issues/1")).await;
    assert_eq!(locked.body["locked"], true);
    assert_eq!(locked.body["active_lock_reason"], "too heated");
    let after = env
        .send(
            reqwest::Method::GET,
            &format!("{O}/issues/1"),
            None,
            &[("If-Modified-Since", lm.as_str())],
        )
        .await;
    assert_eq!(after.status, 200, "locking modified it");
    let r = env
        .put(
            &format!("{O}/issues/1/lock"),
            json!({"lock_reason": "bored"}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["errors"][0]["field"], "lock_reason");
    assert_eq!(env.delete(&format!("{O}/issues/1/lock")).await.status, 204);
    let unlocked = env.get(&format!("{O}/issues/1")).await;
    assert_eq!(unlocked.body["locked"], false);
    assert!(unlocked.body["active_lock_reason"].is_null());
    assert_eq!(
        env.put(&format!("{O}/issues/99/lock"), json!({}))
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn reads_count_against_the_points_per_minute() {
    let env = Env::with(generated(0, 0, 0, 0, 0), |o| {
        o.settings.secondary_limits = true
    })
    .await;
    // Ten writes (5 points each) and 850 reads (1 point each): 900 points.
    for k in 0..10 {
        let r = env
            .post(&format!("{O}/issues"), json!({"title": format!("i{k}")}))
            .await;
        assert_eq!(r.status, 201);
    }
    for k in 0..850 {
        assert_eq!(env.get(O).await.status, 200, "read {k}");
    }
    // Over: 403 or 429 (GitHub answers either; fakehub alternates), retry-after in both.
    let first = env.get(O).await;
    let second = env.get(O).await;
    assert_eq!((first.status, second.status), (403, 429));
    for r in [&first, &second] {
        assert!(r.body["message"]
            .as_str()
            .unwrap()
            .contains("secondary rate limit"));
        let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=60).contains(&retry), "retry-after {retry}");
    }
    env.fh.hub.clock.advance(chrono::Duration::seconds(61));
    assert_eq!(env.get(O).await.status, 200, "a minute later");
    // Off, there is no such limit.
    env.put("/_fakehub/settings", json!({"secondary_limits": false}))
        .await;
    for _ in 0..950 {
        assert_eq!(env.get(O).await.status, 200);
    }
}

#[tokio::test]
async fn search_issues_with_qualifiers_and_its_own_limit() {
    let env = Env::new(generated(0, 0, 0, 1, 0)).await;
    env.fh.hub.world.write().create_repo(
        "acme",
        "other",
        fakehub::model::UserKind::Organization,
        chrono::Utc::now(),
    );
    for (repo, title, body, labels, assignees, milestone) in [
        (
            "widgets",
            "Crash on start",
            "boom",
            vec!["bug"],
            vec!["alice"],
            Some(1),
        ),
        (
            "widgets",
            "Add dark mode",
            "crash course",
            vec!["ui"],
            vec![],
            None,
        ),
        (
            "widgets",
            "Crash in settings",
            "",
            vec!["bug", "ui"],
            vec!["bob"],
            None,
        ),
        ("other", "Crash elsewhere", "", vec!["bug"], vec![], None),
    ] {
        let r = env
            .post(
                &format!("/repos/acme/{repo}/issues"),
                json!({"title": title, "body": body, "labels": labels, "assignees": assignees, "milestone": milestone}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    env.patch(&format!("{O}/issues/3"), json!({"state": "closed"}))
        .await;
    let titles = |q: &str| {
        let env = &env;
        let q = q.to_string();
        async move {
            let r = env
                .get(&format!(
                    "/search/issues?q={}&sort=created&order=asc",
                    q.replace(' ', "+")
                ))
                .await;
            assert_eq!(r.status, 200, "{q}: {}", r.body);
            assert_eq!(r.header("x-ratelimit-resource"), Some("search"));
            assert_eq!(r.body["incomplete_results"], false);
            let items: Vec<String> = r.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["title"].as_str().unwrap().to_string())
                .collect();
            assert_eq!(r.body["total_count"], items.len());
            items
        }
    };
    assert_eq!(
        titles("crash repo:acme/widgets").await,
        ["Crash on start", "Add dark mode", "Crash in settings"]
    );
    assert_eq!(
        titles("crash repo:acme/widgets in:title").await,
        ["Crash on start", "Crash in settings"]
    );
    assert_eq!(
        titles("crash in:title is:issue is:open").await,
        ["Crash on start", "Crash elsewhere"]
    );
    assert_eq!(
        titles("repo:acme/widgets is:closed").await,
        ["Crash in settings"]
    );
    assert_eq!(titles("label:bug label:ui").await, ["Crash in settings"]);
    assert_eq!(titles("assignee:alice").await, ["Crash on start"]);
    assert_eq!(titles("milestone:v1.0").await, ["Crash on start"]);
    assert_eq!(titles("is:pr").await, Vec::<String>::new());
    let today = chrono::Utc::now().date_naive();
    assert_eq!(
        titles(&format!("repo:acme/other updated:>={today}")).await,
        ["Crash elsewhere"]
    );
    assert_eq!(
        titles(&format!("repo:acme/other updated:>{today}")).await,
        Vec::<String>::new()
    );
    assert_eq!(env.get("/search/issues?q=in:nowhere").await.status, 422);
    assert_eq!(env.get("/search/issues").await.status, 422);
    // 30 searches a minute (12 made above); the core limit is not charged.
    let core = env.get(O).await.header_u64("x-ratelimit-used");
    for _ in 12..30 {
        assert_eq!(env.get("/search/issues?q=crash").await.status, 200);
    }
    let over = env.get("/search/issues?q=crash").await;
    assert_eq!(over.status, 403);
    assert!(over.body["message"]
        .as_str()
        .unwrap()
        .starts_with("API rate limit exceeded for user ID"));
    assert!(over.header("retry-after").is_some());
    assert_eq!(over.header("x-ratelimit-remaining"), Some("0"));
    assert_eq!(env.get(O).await.header_u64("x-ratelimit-used"), core + 1);
    env.fh.hub.clock.advance(chrono::Duration::seconds(61));
    assert_eq!(env.get("/search/issues?q=crash").await.status, 200);
}

#[tokio::test]
async fn issue_events_and_the_timeline() {
    let env = Env::new(generated(0, 0, 1, 1, 0)).await;
    env.fh.hub.world.write().create_repo(
        "acme",
        "other",
        fakehub::model::UserKind::Organization,
        chrono::Utc::now(),
    );
    let r = env
        .post(
            &format!("{O}/issues"),
            json!({"title": "A", "labels": ["bug"], "assignees": ["alice"], "milestone": 1}),
        )
        .await;
    assert_eq!(r.status, 201);
    let child = env.issue("B").await;
    env.patch(&format!("{O}/issues/1"), json!({"title": "A2"}))
        .await;
    env.fh.hub.clock.advance(chrono::Duration::seconds(1));
    env.post(&format!("{O}/issues/1/comments"), json!({"body": "hi"}))
        .await;
    env.fh.hub.clock.advance(chrono::Duration::seconds(1));
    env.patch(&format!("{O}/issues/1"), json!({"state": "closed"}))
        .await;
    env.patch(&format!("{O}/issues/1"), json!({"state": "open"}))
        .await;
    env.post(
        &format!("{O}/issues/1/sub_issues"),
        json!({"sub_issue_id": child["id"]}),
    )
    .await;
    let names = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|e| e["event"].as_str().unwrap().to_string())
            .collect()
    };
    let events = env.get(&format!("{O}/issues/1/events")).await;
    assert_eq!(events.status, 200);
    assert_eq!(
        names(&events.body),
        [
            "labeled",
            "assigned",
            "milestoned",
            "renamed",
            "closed",
            "reopened",
            "sub_issue_added"
        ]
    );
    let e = &events.body;
    assert_eq!(
        e[0]["label"],
        json!({"name": "bug", "color": e[0]["label"]["color"]})
    );
    assert_eq!(e[1]["assignee"]["login"], "alice");
    assert_eq!(e[1]["assigner"]["login"], "octocat");
    assert_eq!(e[2]["milestone"]["title"], "v1.0");
    assert_eq!(e[3]["rename"], json!({"from": "A", "to": "A2"}));
    assert_eq!(e[4]["actor"]["login"], "octocat");
    schemas().check_rest_list("issue-event", &events.body);
    let child_events = env.get(&format!("{O}/issues/2/events")).await.body;
    assert_eq!(names(&child_events), ["parent_issue_added"]);
    // The timeline adds the comments, in time order.
    let timeline = env.get(&format!("{O}/issues/1/timeline")).await.body;
    assert_eq!(
        names(&timeline),
        [
            "labeled",
            "assigned",
            "milestoned",
            "renamed",
            "commented",
            "closed",
            "reopened",
            "sub_issue_added"
        ]
    );
    assert_eq!(timeline[4]["body"], "hi");
    // The repository's events, newest first, each naming its issue; and one by id.
    let all = env.get(&format!("{O}/issues/events")).await.body;
    assert_eq!(all[0]["event"], "parent_issue_added");
    assert_eq!(all[0]["issue"]["number"], 2);
    schemas().check_rest_list("issue-event", &all);
    let one = env
        .get(&format!("{O}/issues/events/{}", all[1]["id"]))
        .await;
    assert_eq!(one.body["event"], "sub_issue_added");
    assert_eq!(env.get(&format!("{O}/issues/events/1")).await.status, 404);
    // A transfer shows on the issue where it lives now.
    env.post(
        "/_fakehub/repos/acme/widgets/issues/2/transfer",
        json!({"to": "acme/other"}),
    )
    .await;
    let moved = env.get("/repos/acme/other/issues/1/events").await.body;
    assert_eq!(
        names(&moved).last().map(String::as_str),
        Some("transferred")
    );
}
