//! Sub-issues and dependencies: GitHub's endpoints, limits and summaries.

mod common;
use common::*;
use serde_json::json;

fn id(v: &serde_json::Value) -> u64 {
    v["id"].as_u64().unwrap()
}

#[tokio::test]
async fn sub_issues_add_list_reorder_remove_and_summary() {
    let env = Env::new(generated(0, 0, 0, 0, 0)).await;
    let parent = env.issue("epic").await;
    let a = env.issue("a").await;
    let b = env.issue("b").await;
    let c = env.issue("c").await;
    for child in [&a, &b, &c] {
        let r = env
            .post(
                "/repos/acme/widgets/issues/1/sub_issues",
                json!({"sub_issue_id": id(child)}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.body["number"], 1, "answers with the parent");
    }
    let order = |v: &serde_json::Value| -> Vec<u64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|i| i["number"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(
        order(
            &env.get("/repos/acme/widgets/issues/1/sub_issues")
                .await
                .body
        ),
        [2, 3, 4]
    );
    let r = env
        .patch(
            "/repos/acme/widgets/issues/1/sub_issues/priority",
            json!({"sub_issue_id": id(&c), "before_id": id(&a)}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        order(
            &env.get("/repos/acme/widgets/issues/1/sub_issues")
                .await
                .body
        ),
        [4, 2, 3]
    );
    env.patch(
        "/repos/acme/widgets/issues/1/sub_issues/priority",
        json!({"sub_issue_id": id(&c), "after_id": id(&b)}),
    )
    .await;
    assert_eq!(
        order(
            &env.get("/repos/acme/widgets/issues/1/sub_issues")
                .await
                .body
        ),
        [2, 3, 4]
    );

    assert_eq!(
        env.get("/repos/acme/widgets/issues/2/parent").await.body["number"],
        1
    );
    assert_eq!(
        env.get("/repos/acme/widgets/issues/1/parent").await.status,
        404
    );
    let child = env.get("/repos/acme/widgets/issues/2").await.body;
    assert_eq!(child["parent_issue_url"], parent["url"]);

    env.patch("/repos/acme/widgets/issues/2", json!({"state": "closed"}))
        .await;
    let summary = env.get("/repos/acme/widgets/issues/1").await.body["sub_issues_summary"].clone();
    assert_eq!(
        summary,
        json!({"total": 3, "completed": 1, "percent_completed": 33})
    );

    let r = env
        .delete_with(
            "/repos/acme/widgets/issues/1/sub_issue",
            json!({"sub_issue_id": id(&b)}),
        )
        .await;
    assert_eq!((r.status, r.body["number"].as_u64()), (200, Some(3)));
    assert_eq!(
        env.get("/repos/acme/widgets/issues/1").await.body["sub_issues_summary"]["total"],
        2
    );
    assert_eq!(
        env.delete_with(
            "/repos/acme/widgets/issues/1/sub_issue",
            json!({"sub_issue_id": id(&b)})
        )
        .await
        .status,
        404
    );
}

#[tokio::test]
async fn sub_issue_rules_one_parent_no_cycles_depth_and_count() {
    let env = Env::new(generated(0, 0, 0, 0, 0)).await;
    let one = env.issue("1").await;
    let two = env.issue("2").await;
    let three = env.issue("3").await;
    env.post(
        "/repos/acme/widgets/issues/1/sub_issues",
        json!({"sub_issue_id": id(&two)}),
    )
    .await;
    // A second parent needs replace_parent.
    let r = env
        .post(
            "/repos/acme/widgets/issues/3/sub_issues",
            json!({"sub_issue_id": id(&two)}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["errors"][0]["field"], "sub_issue_id");
    let r = env
        .post(
            "/repos/acme/widgets/issues/3/sub_issues",
            json!({"sub_issue_id": id(&two), "replace_parent": true}),
        )
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(
        env.get("/repos/acme/widgets/issues/1").await.body["sub_issues_summary"]["total"],
        0
    );
    // No cycles: 3 → 2, so 2 cannot take 3, and nothing takes itself.
    assert_eq!(
        env.post(
            "/repos/acme/widgets/issues/2/sub_issues",
            json!({"sub_issue_id": id(&three)})
        )
        .await
        .status,
        422
    );
    assert_eq!(
        env.post(
            "/repos/acme/widgets/issues/1/sub_issues",
            json!({"sub_issue_id": id(&one)})
        )
        .await
        .status,
        422
    );
    assert_eq!(
        env.post(
            "/repos/acme/widgets/issues/1/sub_issues",
            json!({"sub_issue_id": 987654})
        )
        .await
        .status,
        422
    );

    // Eight levels at most: a chain of 8 works, the 9th level is refused.
    let mut chain = vec![env.issue("L1").await];
    for level in 2..=8 {
        let next = env.issue(&format!("L{level}")).await;
        let parent = chain.last().unwrap()["number"].as_u64().unwrap();
        let r = env
            .post(
                &format!("/repos/acme/widgets/issues/{parent}/sub_issues"),
                json!({"sub_issue_id": id(&next)}),
            )
            .await;
        assert_eq!(r.status, 201, "level {level}: {}", r.body);
        chain.push(next);
    }
    let ninth = env.issue("L9").await;
    let deepest = chain.last().unwrap()["number"].as_u64().unwrap();
    let r = env
        .post(
            &format!("/repos/acme/widgets/issues/{deepest}/sub_issues"),
            json!({"sub_issue_id": id(&ninth)}),
        )
        .await;
    assert_eq!(r.status, 422, "a ninth level is refused");

    // A hundred sub-issues at most.
    let big = env.issue("big parent").await["number"].as_u64().unwrap();
    for k in 0..100 {
        let child = env.issue(&format!("child {k}")).await;
        let r = env
            .post(
                &format!("/repos/acme/widgets/issues/{big}/sub_issues"),
                json!({"sub_issue_id": id(&child)}),
            )
            .await;
        assert_eq!(r.status, 201);
    }
    let extra = env.issue("one too many").await;
    let r = env
        .post(
            &format!("/repos/acme/widgets/issues/{big}/sub_issues"),
            json!({"sub_issue_id": id(&extra)}),
        )
        .await;
    assert_eq!(r.status, 422);
    let page = env
        .get(&format!(
            "/repos/acme/widgets/issues/{big}/sub_issues?per_page=100&page=2"
        ))
        .await;
    assert_eq!(page.body, json!([]));
    assert!(page.link("prev").is_some());
}

#[tokio::test]
async fn dependencies_blocked_by_and_blocking() {
    let env = Env::new(generated(0, 0, 0, 0, 0)).await;
    let a = env.issue("a").await;
    let b = env.issue("b").await;
    let r = env
        .post(
            "/repos/acme/widgets/issues/1/dependencies/blocked_by",
            json!({"issue_id": id(&b)}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        r.body["issue_dependencies_summary"],
        json!({"blocked_by": 1, "blocking": 0, "total_blocked_by": 1, "total_blocking": 0})
    );
    assert_eq!(
        env.post(
            "/repos/acme/widgets/issues/1/dependencies/blocked_by",
            json!({"issue_id": id(&b)})
        )
        .await
        .status,
        422
    );
    assert_eq!(
        env.post(
            "/repos/acme/widgets/issues/1/dependencies/blocked_by",
            json!({"issue_id": id(&a)})
        )
        .await
        .status,
        422
    );
    let blocking = env
        .get("/repos/acme/widgets/issues/2/dependencies/blocking")
        .await
        .body;
    assert_eq!(blocking[0]["number"], 1);
    env.patch("/repos/acme/widgets/issues/2", json!({"state": "closed"}))
        .await;
    let s =
        env.get("/repos/acme/widgets/issues/1").await.body["issue_dependencies_summary"].clone();
    assert_eq!(
        (s["blocked_by"].as_u64(), s["total_blocked_by"].as_u64()),
        (Some(0), Some(1)),
        "a closed blocker no longer blocks"
    );
    let r = env
        .delete(&format!(
            "/repos/acme/widgets/issues/1/dependencies/blocked_by/{}",
            id(&b)
        ))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        env.get("/repos/acme/widgets/issues/1/dependencies/blocked_by")
            .await
            .body,
        json!([])
    );

    // Fifty per relation.
    for k in 0..50 {
        let blocker = env.issue(&format!("blocker {k}")).await;
        assert_eq!(
            env.post(
                "/repos/acme/widgets/issues/1/dependencies/blocked_by",
                json!({"issue_id": id(&blocker)})
            )
            .await
            .status,
            201
        );
    }
    let extra = env.issue("51st").await;
    let r = env
        .post(
            "/repos/acme/widgets/issues/1/dependencies/blocked_by",
            json!({"issue_id": id(&extra)}),
        )
        .await;
    assert_eq!(r.status, 422);
}
