//! Sync from fakehub: full, incremental, deletions, faults, and resuming after an abort.

mod common;
use common::*;
use ghgov::mirror::sync::SyncKind;
use ghgov::store::{Scope, SyncStatus};
use serde_json::json;

async fn charged(fh: &fakehub::FakeHub) -> u64 {
    fh.hub.stats.totals().charged_requests
}

/// Adds sub-issues and dependencies through fakehub's REST API.
async fn relate(fh: &fakehub::FakeHub) {
    let c = reqwest::Client::new();
    let post = |path: String, body: serde_json::Value| {
        let c = c.clone();
        let url = format!("{}{path}", fh.url);
        async move {
            c.post(url)
                .bearer_auth(GH_TOKEN)
                .json(&body)
                .send_ok()
                .await;
        }
    };
    let id = |n: u64| fh.hub.world.read().repos[0].issue(n).unwrap().id;
    for child in [2, 3, 4] {
        post(
            "/repos/acme/widgets/issues/1/sub_issues".into(),
            json!({"sub_issue_id": id(child)}),
        )
        .await;
    }
    post(
        "/repos/acme/widgets/issues/5/sub_issues".into(),
        json!({"sub_issue_id": id(6)}),
    )
    .await;
    post(
        "/repos/acme/widgets/issues/3/dependencies/blocked_by".into(),
        json!({"issue_id": id(2)}),
    )
    .await;
    post(
        "/repos/acme/widgets/issues/4/dependencies/blocked_by".into(),
        json!({"issue_id": id(3)}),
    )
    .await;
}

async fn full_then_incremental(db: String) {
    let t = TestWorld::seeded(seed(450, 120, 8, 3, 15)).start(&db).await;
    let fh = &t.fh;
    relate(fh).await;
    let s = t.syncer();
    let report = s.sync(&repo(), SyncKind::Full).await.unwrap();
    assert!(report.issues >= 465, "{}", report.summary());
    assert_eq!(
        (report.sub_issue_parents, report.dependency_issues),
        (2, 2),
        "only issues GitHub says have relations are asked"
    );
    // Pages: 5 issue pages, 2 comment pages, labels, milestones, repository, plus the
    // first incremental pages and 4 relation lists: a handful over the page count.
    assert!(
        report.requests <= 5 + 2 + 3 + 2 + 4 + 2,
        "requests: {}",
        report.requests
    );
    assert_mirror_equals(fh, &s.store).await;

    // Nothing changed: every request is answered 304 and costs nothing.
    let before = charged(fh).await;
    let again = s.sync(&repo(), SyncKind::Incremental).await.unwrap();
    assert_eq!(
        charged(fh).await - before,
        0,
        "an unchanged incremental sync costs no rate limit: {}",
        again.summary()
    );
    assert_eq!(again.not_modified, again.requests);

    // Changes of every kind arrive with the next incremental sync.
    let c = reqwest::Client::new();
    let url = |p: &str| format!("{}{p}", fh.url);
    c.patch(url("/repos/acme/widgets/issues/7"))
        .bearer_auth(GH_TOKEN)
        .json(&json!({"title": "renamed", "state": "closed", "state_reason": "not_planned", "labels": ["bug"], "type": "Bug"}))
        .send_ok()
        .await;
    c.post(url("/repos/acme/widgets/issues"))
        .bearer_auth(GH_TOKEN)
        .json(&json!({"title": "brand new", "milestone": 1}))
        .send_ok()
        .await;
    c.post(url("/repos/acme/widgets/issues/8/comments"))
        .bearer_auth(GH_TOKEN)
        .json(&json!({"body": "new comment"}))
        .send_ok()
        .await;
    c.post(url("/repos/acme/widgets/labels"))
        .bearer_auth(GH_TOKEN)
        .json(&json!({"name": "fresh", "color": "00ff00"}))
        .send_ok()
        .await;
    c.patch(url("/repos/acme/widgets/milestones/2"))
        .bearer_auth(GH_TOKEN)
        .json(&json!({"title": "renamed milestone", "due_on": "2031-05-01T12:00:00Z"}))
        .send_ok()
        .await;
    let id = |n: u64| fh.hub.world.read().repos[0].issue(n).unwrap().id;
    c.delete(url("/repos/acme/widgets/issues/1/sub_issue"))
        .bearer_auth(GH_TOKEN)
        .json(&json!({"sub_issue_id": id(3)}))
        .send_ok()
        .await;
    c.post(url("/repos/acme/widgets/issues/9/dependencies/blocked_by"))
        .bearer_auth(GH_TOKEN)
        .json(&json!({"issue_id": id(10)}))
        .send_ok()
        .await;
    fh.hub.clock.advance(chrono::Duration::seconds(5));
    let inc = s.sync(&repo(), SyncKind::Incremental).await.unwrap();
    assert!(
        inc.issues >= 2 && inc.issues < 100,
        "only what changed: {}",
        inc.summary()
    );
    assert_mirror_equals(fh, &s.store).await;

    // Every sync is recorded as an operation.
    let (ops, total) = s
        .store
        .sync_operations(Some("acme/widgets"), 10, 0)
        .await
        .unwrap();
    assert_eq!(total, 3);
    assert!(ops
        .iter()
        .all(|o| o.status == SyncStatus::Completed && o.completed_at.is_some()));
    assert_eq!(ops[2].sync_type, "full");
    assert!(
        ops.iter()
            .all(|o| o.cursor.as_deref().is_some_and(|c| c.ends_with('Z'))),
        "each operation records the cursor it left"
    );
}

async fn deletions_and_transfers_leave_the_mirror(db: String) {
    let t = TestWorld::seeded(seed(120, 30, 4, 2, 0)).start(&db).await;
    let fh = &t.fh;
    fh.hub.world.write().create_repo(
        "acme",
        "elsewhere",
        fakehub::model::UserKind::Organization,
        chrono::Utc::now(),
    );
    let s = t.syncer();
    s.sync(&repo(), SyncKind::Full).await.unwrap();
    let c = reqwest::Client::new();
    for n in [3, 50, 99] {
        c.post(format!(
            "{}/_fakehub/repos/acme/widgets/issues/{n}/delete",
            fh.url
        ))
        .send_ok()
        .await;
    }
    c.post(format!(
        "{}/_fakehub/repos/acme/widgets/issues/10/transfer",
        fh.url
    ))
    .json(&json!({"to": "acme/elsewhere"}))
    .send_ok()
    .await;
    c.delete(format!("{}/repos/acme/widgets/labels/bug", fh.url))
        .bearer_auth(GH_TOKEN)
        .send_ok()
        .await;
    c.delete(format!("{}/repos/acme/widgets/milestones/1", fh.url))
        .bearer_auth(GH_TOKEN)
        .send_ok()
        .await;
    let report = s.sync(&repo(), SyncKind::Full).await.unwrap();
    assert_eq!(report.removed, 4, "{}", report.summary());
    assert_mirror_equals(fh, &s.store).await;
    // Reconcile finds deletions an incremental sync cannot see, with a count check.
    c.post(format!(
        "{}/_fakehub/repos/acme/widgets/issues/20/delete",
        fh.url
    ))
    .send_ok()
    .await;
    ghgov::mirror::reconciler::reconcile(&s, &repo())
        .await
        .unwrap();
    assert_mirror_equals(fh, &s.store).await;
}

async fn faults_during_sync_still_end_correct(db: String) {
    let t = TestWorld::seeded(seed(600, 150, 6, 2, 10)).start(&db).await;
    let fh = &t.fh;
    relate(fh).await;
    // 5xx bursts, random 5xx and secondary-limit answers with retry-after.
    fh.hub
        .faults
        .set(fakehub::faults::FaultSettings {
            seed: 4,
            error_rate: 0.15,
            secondary_rate: 0.1,
            fail_next: 3,
            ..Default::default()
        })
        .unwrap();
    let s = t.syncer();
    let report = s.sync(&repo(), SyncKind::Full).await.unwrap();
    assert!(
        s.gh.stats
            .retries
            .load(std::sync::atomic::Ordering::Relaxed)
            >= 3,
        "the faults were met and retried: {}",
        report.summary()
    );
    fh.hub.faults.set(Default::default()).unwrap();
    assert_mirror_equals(fh, &s.store).await;
}

/// The issue numbers the API lists, in number order, over every page.
async fn listed_numbers(url: &str, token: &str) -> Vec<u64> {
    api_all(
        url,
        token,
        "/api/v1/issues?state=all&sort=number&direction=asc",
    )
    .await
    .iter()
    .map(|i| i["number"].as_u64().unwrap())
    .collect()
}

async fn an_aborted_sync_resumes_without_duplicates(db: String) {
    let t = TestWorld::seeded(seed(1500, 300, 5, 2, 0)).start(&db).await;
    let fh = &t.fh;
    let store = t.store.clone();
    // The API over the mirror the aborted syncs fill, as a user would watch it.
    let gg = t.start_ghgov(|options| options).await;
    let (_, read) = gg.store.create_token("reader", Scope::Read).await.unwrap();
    // One attempt per request: any injected failure aborts the sync mid-way.
    let mut config = gh_config(fh);
    config.max_attempts = 1;
    let gh = std::sync::Arc::new(ghgov::github::GitHub::new(config, Some(store.clone())).unwrap());
    let s = ghgov::mirror::sync::Syncer::new(store.clone(), gh);
    fh.hub
        .faults
        .set(fakehub::faults::FaultSettings {
            seed: 21,
            error_rate: 0.08,
            ..Default::default()
        })
        .unwrap();
    let mut failures = 0;
    let mut done = false;
    for _ in 0..200 {
        match s.sync(&repo(), SyncKind::Full).await {
            Ok(_) => {
                done = true;
                break;
            }
            Err(_) => failures += 1,
        }
        // After every abort the API shows whole pages of the listing (issue numbers follow
        // GitHub's creation order): issues 1..=n, each once, and nothing past them.
        let numbers = listed_numbers(&gg.url(), &read).await;
        let n = numbers.len() as u64;
        let whole_pages = n / 100;
        assert!(
            whole_pages * 100 == n || n == 1500,
            "{n} issues listed: not whole pages"
        );
        assert_eq!(
            numbers,
            (1..=n).collect::<Vec<_>>(),
            "after an abort the API lists issues 1..={n}, each once"
        );
    }
    assert!(
        done && failures >= 2,
        "the sync was aborted {failures} times and then finished"
    );
    fh.hub.faults.set(Default::default()).unwrap();
    assert_mirror_equals(fh, &store).await;
    assert_eq!(
        listed_numbers(&gg.url(), &read).await,
        (1..=1500).collect::<Vec<u64>>()
    );
    // Resuming means each issue page was fetched about once, not once per attempt.
    let stats = fh.hub.stats.snapshot();
    let issue_pages = stats["routes"]["GET /repos/{owner}/{repo}/issues"]["requests_total"]
        .as_u64()
        .unwrap();
    assert!(
        issue_pages <= 15 + 2 * failures + 2,
        "issue list requests: {issue_pages} for 15 pages and {failures} aborts"
    );
    let (ops, _) = store.sync_operations(None, 500, 0).await.unwrap();
    assert_eq!(
        ops.iter()
            .filter(|o| o.status == SyncStatus::Failed)
            .count() as u64,
        failures,
        "failed syncs are recorded too"
    );
    gg.shutdown().await;
}

suite!(both: [
    full_then_incremental,
    deletions_and_transfers_leave_the_mirror,
    faults_during_sync_still_end_correct,
    an_aborted_sync_resumes_without_duplicates,
]);
