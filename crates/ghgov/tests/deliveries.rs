//! What happens to a webhook delivery after it is stored: the retry schedule of a failing
//! one (on a clock the test moves), retention of old payloads, discarding dead letters, and
//! which events the installed hook asks GitHub for.

mod common;
use common::*;
use ghgov::clock::ManualClock;
use ghgov::mirror::processor::{Processor, RetrySchedule};
use ghgov::mirror::scope::RepoScope;
use ghgov::server::{self, ServeOptions};
use ghgov::store::{timestamp, NewDelivery, Scope};
use reqwest::Method;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

const DAY: Duration = Duration::from_secs(86_400);

/// An `issues` event about acme/widgets whose issue cannot be read: it fails every time.
fn failing_payload() -> String {
    json!({"action": "opened", "issue": {"id": 5, "title": 7}, "repository": {"id": 1, "name": "widgets", "full_name": "acme/widgets", "owner": {"id": 2, "login": "acme"}}}).to_string()
}

async fn failing_deliveries_follow_the_retry_schedule(db: String) {
    let t = TestWorld::empty().start(&db).await;
    let store = t.store.clone();
    let start = chrono::Utc::now();
    let clock = ManualClock::at(start);
    let mut processor = Processor::new(
        store.clone(),
        Arc::new(RepoScope::parse_all(&["acme/widgets".to_string()]).unwrap()),
    );
    processor.clock = Arc::new(clock.clone());
    assert_eq!(processor.retries, RetrySchedule::default());
    store
        .insert_deliveries(&[NewDelivery {
            delivery_id: "fails".into(),
            event: "issues".into(),
            action: Some("opened".into()),
            repository: Some("acme/widgets".into()),
            payload: failing_payload(),
        }])
        .await
        .unwrap();
    let row = || async { store.list_deliveries(None, 1, 0).await.unwrap().0.remove(0) };

    assert_eq!(processor.drain().await.unwrap(), 1, "first attempt at once");
    let mut elapsed = Duration::ZERO;
    for (attempt, wait) in [5u64, 10, 20, 40, 80].into_iter().enumerate() {
        let r = row().await;
        assert_eq!(r.status, "failed");
        assert_eq!(r.attempts, attempt as i64 + 1);
        elapsed += Duration::from_secs(wait);
        let due = start + chrono::Duration::from_std(elapsed).unwrap();
        assert_eq!(r.next_attempt_at.as_deref(), Some(timestamp(due).as_str()));
        // A second early, nothing happens; on time, the next attempt runs.
        clock.advance(Duration::from_secs(wait - 1));
        assert_eq!(
            processor.drain().await.unwrap(),
            0,
            "retry {} is not due yet",
            attempt + 1
        );
        clock.advance(Duration::from_secs(1));
        assert_eq!(
            processor.drain().await.unwrap(),
            1,
            "retry {} runs after {wait} s",
            attempt + 1
        );
    }
    let r = row().await;
    assert_eq!(r.status, "dead", "dead after the last retry fails: {r:?}");
    assert_eq!(r.attempts, 6);
    assert_eq!(r.next_attempt_at, None);
    clock.advance(DAY);
    assert_eq!(
        processor.drain().await.unwrap(),
        0,
        "a dead delivery is not retried"
    );
}

async fn events(url: &str, token: &str) -> Vec<Value> {
    let (status, body) = call(
        Method::GET,
        &format!("{url}/api/v1/webhooks/events?per_page=100"),
        token,
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["data"].as_array().unwrap().clone()
}

fn by_delivery<'a>(events: &'a [Value], id: &str) -> &'a Value {
    events
        .iter()
        .find(|e| e["delivery_id"] == id)
        .unwrap_or_else(|| panic!("no delivery {id} in {events:?}"))
}

/// An `issues` event about `repository` whose issue the projector can read.
fn opened_issue(delivery_id: &str, repository: &str) -> NewDelivery {
    let (owner, name) = repository.split_once('/').unwrap();
    NewDelivery {
        delivery_id: delivery_id.into(),
        event: "issues".into(),
        action: Some("opened".into()),
        repository: Some(repository.into()),
        payload: json!({
            "action": "opened",
            "issue": {"id": 5, "number": 1, "title": "first", "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"},
            "repository": {"id": 1, "name": name, "full_name": repository, "owner": {"id": 2, "login": owner}, "open_issues_count": 1},
        })
        .to_string(),
    }
}

/// The issues API's response cache is dropped when the mirror's version moves: storing a
/// delivery, using a token or ignoring an event must not move it; projecting an event must.
async fn only_mirror_writes_move_the_mirror_version(db: String) {
    let t = TestWorld::empty().start(&db).await;
    let store = t.store.clone();
    let processor = Processor::new(
        store.clone(),
        Arc::new(RepoScope::parse_all(&["acme/widgets".to_string()]).unwrap()),
    );
    let before = store.mirror_version().await.unwrap();
    let (id, token) = store.create_token("reader", Scope::Read).await.unwrap();
    assert!(store.authenticate(&token).await.unwrap().is_some());
    store
        .touch_tokens(&[(id, timestamp(chrono::Utc::now()))])
        .await
        .unwrap();
    store
        .insert_deliveries(&[opened_issue("elsewhere", "other/repo")])
        .await
        .unwrap();
    assert_eq!(processor.drain().await.unwrap(), 1);
    let ignored = store.list_deliveries(None, 1, 0).await.unwrap().0.remove(0);
    assert_eq!(ignored.status, "ignored", "{ignored:?}");
    store
        .insert_deliveries(&[opened_issue("mirrored", "acme/widgets")])
        .await
        .unwrap();
    assert_eq!(
        store.mirror_version().await.unwrap(),
        before,
        "tokens, stored deliveries and an ignored event leave the mirror as it was"
    );
    assert_eq!(processor.drain().await.unwrap(), 1);
    let processed = store.list_deliveries(None, 1, 0).await.unwrap().0.remove(0);
    assert_eq!(processed.status, "processed", "{processed:?}");
    assert!(
        store.mirror_version().await.unwrap() > before,
        "a projected event changes the mirror"
    );
}

async fn old_payloads_are_dropped_and_dead_letters_kept(db: String) {
    let t = TestWorld::empty().start(&db).await;
    let clock = ManualClock::at(chrono::Utc::now());
    let options = ServeOptions {
        clock: Arc::new(clock.clone()),
        // No retries: a failure is dead at once.
        retries: RetrySchedule::new(Vec::new()),
        ..serve_options(&db, &t.fh)
    };
    let gg = t.start_ghgov(|_| options.clone()).await;
    let url = gg.url();
    let (_, token) = gg.store.create_token("ops", Scope::Write).await.unwrap();
    let ping = br#"{"zen":"hi","hook_id":1}"#;
    assert_eq!(
        deliver(&url, "ping", "processed-1", ping, SECRET)
            .await
            .status(),
        202
    );
    assert_eq!(
        deliver(&url, "star", "ignored-1", ping, SECRET)
            .await
            .status(),
        202
    );
    let failing = failing_payload();
    assert_eq!(
        deliver(&url, "issues", "dead-1", failing.as_bytes(), SECRET)
            .await
            .status(),
        202
    );
    processed(&gg.store).await;
    let listed = events(&url, &token).await;
    assert_eq!(by_delivery(&listed, "processed-1")["status"], "processed");
    assert_eq!(by_delivery(&listed, "ignored-1")["status"], "ignored");
    assert_eq!(by_delivery(&listed, "dead-1")["status"], "dead");

    // 29 days on nothing goes; 31 days on the finished payloads go, the dead one stays.
    let keep = 30 * DAY;
    clock.advance(29 * DAY);
    assert_eq!(
        server::prune(&gg.store, &options.clock, keep)
            .await
            .unwrap(),
        0
    );
    clock.advance(2 * DAY);
    assert_eq!(
        server::prune(&gg.store, &options.clock, keep)
            .await
            .unwrap(),
        2
    );
    let listed = events(&url, &token).await;
    for id in ["processed-1", "ignored-1"] {
        let e = by_delivery(&listed, id);
        assert!(e["payload_pruned_at"].is_string(), "{e}");
        assert!(
            e["event"].is_string() && e["received_at"].is_string(),
            "the row stays: {e}"
        );
        let row = gg
            .store
            .delivery(e["id"].as_i64().unwrap())
            .await
            .unwrap()
            .unwrap();
        assert!(row.payload.is_empty(), "the payload is gone");
    }
    let dead = by_delivery(&listed, "dead-1").clone();
    assert!(dead["payload_pruned_at"].is_null(), "{dead}");
    let dead_id = dead["id"].as_i64().unwrap();
    assert_eq!(
        gg.store.delivery(dead_id).await.unwrap().unwrap().payload,
        failing
    );

    // A pruned delivery cannot be replayed; the dead one can, and can be discarded.
    let pruned_id = by_delivery(&listed, "processed-1")["id"].as_i64().unwrap();
    let (status, body) = call(
        Method::POST,
        &format!("{url}/api/v1/webhooks/events/{pruned_id}/replay"),
        &token,
        None,
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("retention"),
        "{body}"
    );
    let (status, body) = call(
        Method::POST,
        &format!("{url}/api/v1/webhooks/events/{pruned_id}/discard"),
        &token,
        None,
    )
    .await;
    assert_eq!(status, 409, "only dead ones are discarded: {body}");
    let (status, body) = call(
        Method::POST,
        &format!("{url}/api/v1/webhooks/events/{dead_id}/discard"),
        &token,
        None,
    )
    .await;
    assert_eq!(
        (status, &body["status"]),
        (200, &json!("discarded")),
        "{body}"
    );
    let (status, _) = call(
        Method::GET,
        &format!("{url}/api/v1/webhooks/events?status=discarded"),
        &token,
        None,
    )
    .await;
    assert_eq!(status, 200);
    clock.advance(31 * DAY);
    assert_eq!(
        server::prune(&gg.store, &options.clock, keep)
            .await
            .unwrap(),
        1
    );
    gg.shutdown().await;

    // The server prunes by itself, from its start.
    assert_eq!(deliver_later(&t, &clock).await, 0);
    t.finish().await;
}

/// Stores and processes one delivery, then starts a server 31 days later and returns how
/// many payloads are left unpruned once its retention has run.
async fn deliver_later(t: &Tester, clock: &ManualClock) -> i64 {
    let options = |o| ServeOptions {
        clock: Arc::new(clock.clone()),
        ..o
    };
    let gg = t.start_ghgov(options).await;
    let ping = br#"{"zen":"later","hook_id":1}"#;
    assert_eq!(
        deliver(&gg.url(), "ping", "later-1", ping, SECRET)
            .await
            .status(),
        202
    );
    processed(&gg.store).await;
    gg.shutdown().await;
    clock.advance(31 * DAY);
    let gg = t.start_ghgov(options).await;
    let mut left = -1;
    for _ in 0..1000 {
        let (stored, _) = gg.store.list_deliveries(None, 1000, 0).await.unwrap();
        left = stored
            .iter()
            .filter(|d| d.payload_pruned_at.is_none())
            .count() as i64;
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    gg.shutdown().await;
    left
}

async fn the_hook_asks_only_for_handled_events() {
    let t = TestWorld::empty().serving().start_on_sqlite().await;
    let (fh, gg) = (&t.fh, t.ghgov());
    ghgov::server::hooks::install_hook(gg.gh.as_ref().unwrap(), &repo(), &gg.url(), &SECRET.into())
        .await
        .unwrap();
    let mut events = fh.hub.world.read().repos[0].hooks[0].events.clone();
    events.sort();
    let mut handled: Vec<String> = ghgov::mirror::events::HANDLED
        .iter()
        .filter(|e| **e != "ping")
        .map(|e| e.to_string())
        .collect();
    handled.sort();
    assert_eq!(events, handled, "no `*`: only what ghgov projects");
    t.finish().await;
}

suite!(
    both: [
        failing_deliveries_follow_the_retry_schedule,
        old_payloads_are_dropped_and_dead_letters_kept,
        only_mirror_writes_move_the_mirror_version,
    ],
    plain: [the_hook_asks_only_for_handled_events]
);
