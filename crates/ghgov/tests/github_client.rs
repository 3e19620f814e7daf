//! The GitHub client against fakehub: retries, limits, the circuit, ETags across restarts.

mod common;
use common::*;
use fakehub::faults::FaultSettings;
use ghgov::github::{Fetched, GitHub, GitHubError, IssueFields, ListOf, Write};
use ghgov::store::Store;
use std::sync::atomic::Ordering;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_5xx_bursts_and_secondary_limits() {
    let t = TestWorld::seeded(seed(3, 0, 0, 0, 0))
        .start_on_sqlite()
        .await;
    let fh = &t.fh;
    let gh = GitHub::new(gh_config(fh), None).unwrap();
    fh.hub
        .faults
        .set(FaultSettings {
            fail_next: 3,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        gh.repository(&repo()).await.unwrap().full_name,
        "acme/widgets"
    );
    assert_eq!(gh.stats.retries.load(Ordering::Relaxed), 3);
    assert_eq!(gh.stats.by_status().get(&502), Some(&3));
    fh.hub
        .faults
        .set(FaultSettings {
            secondary_rate: 1.0,
            ..Default::default()
        })
        .unwrap();
    let err = gh.repository(&repo()).await.unwrap_err();
    assert_eq!(
        err.status(),
        Some(403),
        "after its attempts the client reports the limit: {err}"
    );
    assert!(gh.stats.retries.load(Ordering::Relaxed) >= 3 + 5);
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_circuit_opens_after_repeated_failures() {
    let t = TestWorld::seeded(seed(1, 0, 0, 0, 0))
        .start_on_sqlite()
        .await;
    let fh = &t.fh;
    let mut config = gh_config(fh);
    config.max_attempts = 3;
    config.breaker_threshold = 5;
    config.breaker_cooldown = Duration::from_secs(60);
    let gh = GitHub::new(config, None).unwrap();
    fh.hub
        .faults
        .set(FaultSettings {
            error_rate: 1.0,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        gh.repository(&repo()).await.unwrap_err().status(),
        Some(502)
    );
    let second = gh.repository(&repo()).await.unwrap_err();
    assert!(
        matches!(
            second,
            GitHubError::CircuitOpen(_) | GitHubError::Status { .. }
        ),
        "{second}"
    );
    let before = fh.hub.stats.totals().requests_total;
    let third = gh.repository(&repo()).await.unwrap_err();
    assert!(matches!(third, GitHubError::CircuitOpen(_)), "{third}");
    assert_eq!(
        fh.hub.stats.totals().requests_total,
        before,
        "an open circuit sends nothing"
    );
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spent_primary_limit_is_not_waited_for_an_hour() {
    let t = TestWorld::seeded(seed(1, 0, 0, 0, 0))
        .start_on_sqlite()
        .await;
    let fh = &t.fh;
    fh.hub.settings.write().rate_limit = 2;
    let mut config = gh_config(fh);
    config.max_wait = Duration::from_secs(5);
    let gh = GitHub::new(config, None).unwrap();
    gh.repository(&repo()).await.unwrap();
    gh.repository(&repo()).await.unwrap();
    assert_eq!(
        gh.budget.snapshot().remaining,
        Some(0),
        "the budget learned the headers"
    );
    let err = gh.repository(&repo()).await.unwrap_err();
    assert!(
        matches!(err, GitHubError::RateLimited(d) if d > Duration::from_secs(3000)),
        "{err}"
    );
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn etags_survive_a_restart_and_are_kept_only_once_committed() {
    let t = TestWorld::seeded(seed(5, 0, 0, 0, 0))
        .start_on_sqlite()
        .await;
    let fh = &t.fh;
    let gh = t.github();
    let issues = ListOf::issues_oldest_first(&repo());
    assert!(matches!(
        gh.page_if_changed(&issues).await.unwrap(),
        Fetched::Modified(_)
    ));
    // Not committed: the next conditional request still fetches in full.
    let Fetched::Modified(page) = gh.page_if_changed(&issues).await.unwrap() else {
        panic!("an ETag was kept that nobody committed");
    };
    assert_eq!(page.items.len(), 5);
    gh.remember(
        page.validator
            .expect("a conditional answer carries its ETag"),
    )
    .await;
    let restarted = GitHub::new(gh_config(fh), Some(Store::open(&t.db).await.unwrap())).unwrap();
    let charged = fh.hub.stats.totals().charged_requests;
    assert!(matches!(
        restarted.page_if_changed(&issues).await.unwrap(),
        Fetched::NotModified
    ));
    assert_eq!(
        fh.hub.stats.totals().charged_requests,
        charged,
        "the 304 cost nothing"
    );
    // A read-only client refuses to write.
    let ro = restarted.read_only();
    let err = ro
        .send(&Write::CreateIssue {
            repo: repo(),
            fields: IssueFields {
                title: Some("x".into()),
                ..Default::default()
            },
        })
        .await
        .unwrap_err();
    assert!(matches!(err, GitHubError::ReadOnly(_)));
    assert_eq!(fh.hub.world.read().repos[0].issues.len(), 5);
    t.finish().await;
}
