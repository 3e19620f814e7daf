//! What every request goes through: auth, pagination, ETags, rate limits, counters.

mod common;
use common::*;
use serde_json::json;

#[tokio::test]
async fn auth_schemes_and_unknown_tokens() {
    let env = Env::new(generated(1, 0, 0, 0, 0)).await;
    let ok = env
        .send(
            reqwest::Method::GET,
            "/repos/acme/widgets",
            None,
            &[("Authorization", &format!("Bearer {TOKEN}"))],
        )
        .await;
    assert_eq!(ok.status, 200);
    let bad = env
        .send(
            reqwest::Method::GET,
            "/repos/acme/widgets",
            None,
            &[("Authorization", "token nope")],
        )
        .await;
    assert_eq!(bad.status, 401);
    assert_eq!(bad.body["message"], "Bad credentials");
    assert!(bad.body["documentation_url"].is_string());
    // Anonymous reads get the anonymous allowance; anonymous writes are refused.
    let anon = reqwest::get(env.url("/repos/acme/widgets")).await.unwrap();
    assert_eq!(anon.status(), 200);
    assert_eq!(anon.headers()["x-ratelimit-limit"], "60");
    let r = reqwest::Client::new()
        .post(env.url("/repos/acme/widgets/issues"))
        .json(&json!({"title": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // The token's user is the author.
    let r = env
        .send(
            reqwest::Method::POST,
            "/repos/acme/widgets/issues",
            Some(json!({"title": "by hubot"})),
            &[("Authorization", "token other-token")],
        )
        .await;
    assert_eq!(r.body["user"]["login"], "hubot");
}

#[tokio::test]
async fn any_token_is_accepted_when_none_are_configured() {
    let env = Env::with(generated(1, 0, 0, 0, 0), |o| o.settings.tokens.clear()).await;
    let r = env
        .send(
            reqwest::Method::GET,
            "/repos/acme/widgets",
            None,
            &[("Authorization", "token whatever")],
        )
        .await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn link_pagination_walks_every_page_with_absolute_urls() {
    let env = Env::new(generated(250, 0, 3, 1, 0)).await;
    let first = env
        .get("/repos/acme/widgets/issues?state=all&per_page=100&sort=created&direction=asc")
        .await;
    assert_eq!(first.body.as_array().unwrap().len(), 100);
    let last = first.link("last").unwrap();
    assert!(last.starts_with(&env.fh.url), "absolute: {last}");
    assert!(
        last.contains("state=all") && last.contains("direction=asc") && last.contains("page=3"),
        "keeps the query: {last}"
    );
    assert!(first.link("prev").is_none() && first.link("first").is_none());
    let mut seen = Vec::new();
    let mut next = Some(
        env.url("/repos/acme/widgets/issues?state=all&per_page=100&sort=created&direction=asc"),
    );
    while let Some(url) = next {
        let page = env.get(&url).await;
        seen.extend(
            page.body
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["number"].as_u64().unwrap()),
        );
        next = page.link("next");
        if next.is_none() {
            assert!(page.link("prev").is_some() && page.link("first").is_some());
        }
    }
    assert_eq!(
        seen,
        (1..=250).collect::<Vec<_>>(),
        "every issue exactly once, in order"
    );
    let default = env.get("/repos/acme/widgets/issues?state=all").await;
    assert_eq!(
        default.body.as_array().unwrap().len(),
        30,
        "per_page defaults to 30"
    );
}

#[tokio::test]
async fn cursor_pagination_with_after_and_before() {
    let env = Env::new(generated(120, 0, 0, 0, 0)).await;
    // An empty `after` starts cursor mode; every next link then carries a cursor.
    let mut page = env
        .get("/repos/acme/widgets/issues?state=all&per_page=50&after=")
        .await;
    assert!(page.link("prev").is_none());
    let mut seen = Vec::new();
    loop {
        seen.extend(
            page.body
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["number"].as_u64().unwrap()),
        );
        match page.link("next") {
            Some(next) => {
                assert!(
                    next.contains("after=")
                        && next.contains("state=all")
                        && !next.contains("&page="),
                    "next carries a cursor: {next}"
                );
                page = env.get(&next).await;
            }
            None => break,
        }
    }
    assert_eq!(
        seen,
        (1..=120).rev().collect::<Vec<_>>(),
        "every issue once, newest first"
    );
    let prev = page.link("prev").expect("the last cursor page has prev");
    assert!(prev.contains("before="));
    let back = env.get(&prev).await;
    assert_eq!(back.body.as_array().unwrap().len(), 50);
    assert_eq!(
        (
            back.body[0]["number"].as_u64(),
            back.body[49]["number"].as_u64()
        ),
        (Some(70), Some(21))
    );
    // A cursor stays valid while new issues arrive in front of it.
    let second = env
        .get("/repos/acme/widgets/issues?state=all&per_page=50&after=")
        .await
        .link("next")
        .unwrap();
    env.post("/repos/acme/widgets/issues", json!({"title": "newest"}))
        .await;
    assert_eq!(env.get(&second).await.body[0]["number"], 70);
    assert_eq!(
        env.get("/repos/acme/widgets/issues?after=garbage")
            .await
            .status,
        422
    );
}

#[tokio::test]
async fn etags_answer_304_free_of_charge_and_are_per_token() {
    let env = Env::new(generated(5, 0, 0, 0, 0)).await;
    let first = env.get("/repos/acme/widgets/issues").await;
    let etag = first.header("etag").unwrap().to_string();
    let used = first.header_u64("x-ratelimit-used");
    let again = env
        .send(
            reqwest::Method::GET,
            "/repos/acme/widgets/issues",
            None,
            &[("If-None-Match", &etag)],
        )
        .await;
    assert_eq!(again.status, 304);
    assert_eq!(again.body, serde_json::Value::Null, "no body");
    assert_eq!(
        again.header_u64("x-ratelimit-used"),
        used,
        "a 304 costs nothing"
    );
    assert_eq!(again.header("etag"), Some(etag.as_str()));
    let other = env
        .send(
            reqwest::Method::GET,
            "/repos/acme/widgets/issues",
            None,
            &[
                ("If-None-Match", &etag),
                ("Authorization", "token other-token"),
            ],
        )
        .await;
    assert_eq!(other.status, 200, "ETags are per token");
    env.post("/repos/acme/widgets/issues", json!({"title": "new"}))
        .await;
    let changed = env
        .send(
            reqwest::Method::GET,
            "/repos/acme/widgets/issues",
            None,
            &[("If-None-Match", &etag)],
        )
        .await;
    assert_eq!(changed.status, 200, "a change gives a new ETag");
    for path in [
        "/repos/acme/widgets",
        "/repos/acme/widgets/issues/1",
        "/repos/acme/widgets/labels",
        "/rate_limit",
    ] {
        assert!(
            env.get(path).await.header("etag").is_some(),
            "ETag on GET {path}"
        );
    }
    let s = env.stats().await;
    assert_eq!(s["not_modified"], 1);
    assert_eq!(
        s["routes"]["GET /repos/{owner}/{repo}/issues"]["not_modified"],
        1
    );
}

#[tokio::test]
async fn primary_limit_per_token_and_reset_by_the_clock() {
    let env = Env::with(generated(1, 0, 0, 0, 0), |o| o.settings.rate_limit = 3).await;
    for k in 0..3 {
        let r = env.get("/repos/acme/widgets").await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header_u64("x-ratelimit-remaining"), 2 - k);
        assert_eq!(r.header("x-ratelimit-resource"), Some("core"));
    }
    let r = env.get("/repos/acme/widgets").await;
    assert_eq!(r.status, 403);
    assert!(r.body["message"]
        .as_str()
        .unwrap()
        .starts_with("API rate limit exceeded"));
    assert_eq!(r.header_u64("x-ratelimit-remaining"), 0);
    let reset = r.header_u64("x-ratelimit-reset");
    assert!(reset > chrono::Utc::now().timestamp() as u64);
    let other = env
        .send(
            reqwest::Method::GET,
            "/repos/acme/widgets",
            None,
            &[("Authorization", "token other-token")],
        )
        .await;
    assert_eq!(other.status, 200, "each token has its own bucket");
    let rl = env.get("/rate_limit").await;
    assert_eq!(
        rl.status, 200,
        "GET /rate_limit is free even when the limit is spent"
    );
    assert_eq!(rl.body["resources"]["core"]["remaining"], 0);
    env.fh.hub.clock.advance(chrono::Duration::minutes(61));
    assert_eq!(
        env.get("/repos/acme/widgets").await.status,
        200,
        "the window resets"
    );
    let s = env.stats().await;
    assert_eq!(s["rate_limited"], 1);
}

#[tokio::test]
async fn secondary_limit_eighty_writes_a_minute_with_retry_after() {
    let env = Env::with(generated(0, 0, 0, 0, 0), |o| {
        o.settings.secondary_limits = true
    })
    .await;
    for k in 0..80 {
        let r = env
            .post(
                "/repos/acme/widgets/issues",
                json!({"title": format!("i{k}")}),
            )
            .await;
        assert_eq!(r.status, 201, "write {k}");
    }
    let r = env
        .post("/repos/acme/widgets/issues", json!({"title": "81st"}))
        .await;
    assert_eq!(r.status, 403);
    assert!(r.body["message"]
        .as_str()
        .unwrap()
        .contains("secondary rate limit"));
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "retry-after {retry}");
    assert_eq!(
        env.get("/repos/acme/widgets/issues/1").await.status,
        200,
        "reads still work"
    );
    env.fh.hub.clock.advance(chrono::Duration::seconds(61));
    assert_eq!(
        env.post("/repos/acme/widgets/issues", json!({"title": "later"}))
            .await
            .status,
        201
    );
    let s = env.stats().await;
    assert_eq!(
        (s["writes"].as_u64(), s["rate_limited"].as_u64()),
        (Some(81), Some(1))
    );
    // Switched off at run time, the limit goes away.
    env.put("/_fakehub/settings", json!({"secondary_limits": false}))
        .await;
    for _ in 0..85 {
        assert_eq!(
            env.post("/repos/acme/widgets/issues", json!({"title": "bulk"}))
                .await
                .status,
            201
        );
    }
}

#[tokio::test]
async fn counters_per_route_and_charged_requests() {
    let env = Env::new(generated(3, 0, 0, 0, 0)).await;
    env.get("/repos/acme/widgets/issues").await;
    env.get("/repos/acme/widgets/issues/1").await;
    env.get("/repos/acme/widgets/issues/999").await;
    env.patch("/repos/acme/widgets/issues/1", json!({"title": "renamed"}))
        .await;
    env.patch("/repos/acme/widgets/issues/1", json!({"title": ""}))
        .await;
    let s = env.stats().await;
    assert_eq!(s["requests_total"], 5);
    assert_eq!(s["charged_requests"], 5, "errors cost rate limit too");
    assert_eq!(s["writes"], 1, "only successful writes count");
    assert_eq!(
        s["routes"]["PATCH /repos/{owner}/{repo}/issues/{number}"]["requests_total"],
        2
    );
    env.post("/_fakehub/stats/reset", json!({})).await;
    assert_eq!(env.stats().await["requests_total"], 0);
}

#[tokio::test]
async fn injected_faults_are_reproducible() {
    let env = Env::new(generated(2, 0, 0, 0, 0)).await;
    let r = env
        .put("/_fakehub/faults", json!({"seed": 9, "error_rate": 0.5}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let mut statuses = Vec::new();
    for _ in 0..40 {
        statuses.push(env.get("/repos/acme/widgets").await.status);
    }
    env.put("/_fakehub/faults", json!({"seed": 9, "error_rate": 0.5}))
        .await;
    let mut again = Vec::new();
    for _ in 0..40 {
        again.push(env.get("/repos/acme/widgets").await.status);
    }
    assert_eq!(statuses, again, "the same seed gives the same faults");
    let errors = statuses.iter().filter(|s| **s == 502).count();
    assert!((8..=32).contains(&errors), "about half fail: {errors}");
    env.put(
        "/_fakehub/faults",
        json!({"fail_next": 2, "error_status": 503}),
    )
    .await;
    assert_eq!(env.get("/repos/acme/widgets").await.status, 503);
    assert_eq!(env.get("/repos/acme/widgets").await.status, 503);
    assert_eq!(
        env.get("/repos/acme/widgets").await.status,
        200,
        "a burst ends"
    );
    env.put("/_fakehub/faults", json!({"secondary_rate": 1.0}))
        .await;
    let r = env.get("/repos/acme/widgets").await;
    assert_eq!((r.status, r.header("retry-after")), (403, Some("60")));
    assert_eq!(
        env.put("/_fakehub/faults", json!({"error_rate": 2}))
            .await
            .status,
        422
    );
    assert_eq!(
        env.put("/_fakehub/faults", json!({"typo": 1})).await.status,
        400
    );
    env.put("/_fakehub/faults", json!({})).await;
    assert!(env.stats().await["server_errors"].as_u64().unwrap() >= 10);
}

#[tokio::test]
async fn admin_reset_seed_and_clock() {
    let env = Env::new(generated(2, 0, 0, 0, 0)).await;
    let r = env.post("/_fakehub/seed", json!({"repos": [{"full_name": "solo/tool", "owner_type": "User", "labels": [{"name": "bug", "color": "ff0000"}], "milestones": [{"title": "v1"}], "issues": [{"title": "seeded", "labels": ["bug"], "milestone": 1, "comments": ["first!"]}]}]})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let i = env.get("/repos/solo/tool/issues/1").await.body;
    assert_eq!(
        (i["comments"].as_u64(), i["milestone"]["title"].as_str()),
        (Some(1), Some("v1"))
    );
    assert_eq!(
        env.post("/_fakehub/seed", json!({"repos": [{"full_name": "bad"}]}))
            .await
            .status,
        422
    );
    assert_eq!(
        env.post("/_fakehub/seed", json!({"repoz": []}))
            .await
            .status,
        400
    );
    let before = env.get("/_fakehub/clock").await.body["now"]
        .as_str()
        .unwrap()
        .to_string();
    let after = env
        .post("/_fakehub/clock", json!({"advance_seconds": 86400}))
        .await
        .body["now"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(after > before);
    env.post("/_fakehub/clock", json!({"set": "2030-01-01T00:00:00Z"}))
        .await;
    let i = env
        .post("/repos/solo/tool/issues", json!({"title": "in the future"}))
        .await
        .body;
    assert!(i["created_at"].is_string(), "{i}");
    assert!(
        i["created_at"].as_str().unwrap().starts_with("2030-01-01"),
        "{i}"
    );
    assert_eq!(env.post("/_fakehub/reset", json!({})).await.status, 204);
    assert_eq!(env.get("/repos/acme/widgets").await.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_than_a_hundred_concurrent_requests_hit_the_secondary_limit() {
    let env = Env::with(generated(1, 0, 0, 0, 0), |o| {
        o.settings.secondary_limits = true
    })
    .await;
    env.put("/_fakehub/faults", json!({"latency_ms": 1500}))
        .await;
    let env = std::sync::Arc::new(env);
    let tasks: Vec<_> = (0..110)
        .map(|_| {
            let env = env.clone();
            tokio::spawn(async move { env.get("/repos/acme/widgets").await.status })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    let refused = statuses.iter().filter(|s| **s == 403).count();
    assert_eq!(
        statuses.len() - refused,
        statuses.iter().filter(|s| **s == 200).count()
    );
    assert!(
        (1..=10).contains(&refused),
        "the ones over 100 in flight are refused: {refused}"
    );
}
