//! Principals and their tokens: unique names, revocation by exactly that name, older
//! databases with duplicate names kept whole, token use recorded without making a request
//! wait for the database's write lock, the open health check's cost, and secrets that never
//! print.

mod common;
use common::*;
use ghgov::clock::ManualClock;
use ghgov::server::ServeOptions;
use ghgov::store::{Scope, Store};
use reqwest::Method;
use sha2::{Digest, Sha256};
use sqlx::Row;
use std::sync::Arc;
use std::time::Duration;

async fn names_are_unique_and_revocation_is_exact(db: String) {
    let t = TestWorld::empty().start(&db).await;
    let store = t.store.clone();
    let (x_id, x) = store.create_token("x", Scope::Read).await.unwrap();
    let (_, one) = store
        .create_token(&x_id.to_string(), Scope::Read)
        .await
        .unwrap();
    let err = store
        .create_token(&x_id.to_string(), Scope::Admin)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("exists already"), "{err}");
    // Revoking the name that looks like x's id revokes that token only.
    assert!(store.revoke_token(&x_id.to_string()).await.unwrap());
    assert!(store.authenticate(&one).await.unwrap().is_none());
    assert!(
        store.authenticate(&x).await.unwrap().is_some(),
        "x is untouched"
    );
    assert!(
        !store.revoke_token(&x_id.to_string()).await.unwrap(),
        "nothing left to revoke"
    );
    // A revoked token's name stays taken: the audit log names it.
    assert!(store
        .create_token(&x_id.to_string(), Scope::Read)
        .await
        .is_err());
    assert!(store.revoke_token_id(x_id).await.unwrap());
    assert!(store.authenticate(&x).await.unwrap().is_none());
}

/// A database as the previous release left it (migrations 1 to 3), with two tokens sharing
/// a name, then opened by this release: both tokens are kept, one renamed.
async fn duplicate_names_in_older_databases_are_kept(db: String) {
    sqlx::any::install_default_drivers();
    let backend = if db.starts_with("sqlite:") {
        "sqlite"
    } else {
        "postgres"
    };
    let old = std::env::temp_dir().join(format!("ghgov-old-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&old).unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../ghgov-store/migrations")
        .join(backend);
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if ["0001", "0002", "0003"].iter().any(|v| name.starts_with(v)) {
            std::fs::copy(&path, old.join(&name)).unwrap();
        }
    }
    let url = if backend == "sqlite" {
        format!("{db}?mode=rwc")
    } else {
        db.clone()
    };
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    sqlx::migrate::Migrator::new(old.as_path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    let hash = |t: &str| hex::encode(Sha256::digest(t.as_bytes()));
    for (name, token) in [("dup", "ghgov_a"), ("dup", "ghgov_b"), ("solo", "ghgov_c")] {
        sqlx::query("INSERT INTO api_tokens (name, token_hash, scope, created_at) VALUES ($1, $2, 'read', '2026-01-01T00:00:00Z')")
            .bind(name)
            .bind(hash(token))
            .execute(&pool)
            .await
            .unwrap();
    }
    pool.close().await;
    let store = Store::open(&db).await.unwrap();
    let mut names: Vec<String> = store
        .list_tokens()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    names.sort();
    let second = sqlx::query("SELECT id FROM api_tokens WHERE token_hash = $1")
        .bind(hash("ghgov_b"))
        .fetch_one(store.pool_for_tests())
        .await
        .unwrap()
        .get::<i64, _>(0);
    assert_eq!(names, ["dup", &format!("dup#{second}"), "solo"]);
    for token in ["ghgov_a", "ghgov_b", "ghgov_c"] {
        assert!(
            store.authenticate(token).await.unwrap().is_some(),
            "{token} still works"
        );
    }
    std::fs::remove_dir_all(old).unwrap();
}

async fn a_held_write_lock_does_not_slow_reads(db: String) {
    let t = TestWorld::seeded(seed(3, 0, 0, 0, 0))
        .serving()
        .start(&db)
        .await;
    let gg = t.ghgov();
    let (id, token) = gg.store.create_token("reader", Scope::Read).await.unwrap();
    // Someone holds the write lock (and the token rows) for a long time.
    let mut tx = gg.store.begin_write().await.unwrap();
    sqlx::query("UPDATE api_tokens SET scope = scope")
        .execute(&mut **tx)
        .await
        .unwrap();
    let answered = tokio::time::timeout(
        Duration::from_secs(5),
        call(
            Method::GET,
            &format!("{}/api/v1/repos", gg.url()),
            &token,
            None,
        ),
    )
    .await;
    let (status, body) = answered.expect("a read waited for the write lock");
    assert_eq!(status, 200, "{body}");
    drop(tx);
    // The use is written down afterwards.
    gg.state.usage.flush(&gg.store).await;
    let used = gg
        .store
        .list_tokens()
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.id == id)
        .unwrap();
    assert!(used.last_used_at.is_some(), "{used:?}");
    t.finish().await;
}

async fn health_asks_github_once_in_a_while() {
    let clock = ManualClock::at(chrono::Utc::now());
    let server_clock = clock.clone();
    let t = TestWorld::empty()
        .serving_with(move |options| ServeOptions {
            clock: Arc::new(server_clock),
            ..options
        })
        .start_on_sqlite()
        .await;
    let (fh, gg) = (&t.fh, t.ghgov());
    let checks = || {
        fh.hub.stats.snapshot()["routes"]["GET /rate_limit"]["requests_total"]
            .as_u64()
            .unwrap_or(0)
    };
    let health = || async {
        let r = reqwest::get(format!("{}/health", gg.url())).await.unwrap();
        assert_eq!(r.status(), 200);
        r.json::<serde_json::Value>().await.unwrap()
    };
    // Ten at once: the first checks GitHub, the others wait for its answer.
    let calls: Vec<_> = (0..10)
        .map(|_| {
            let url = format!("{}/health", gg.url());
            tokio::spawn(async move {
                reqwest::get(url)
                    .await
                    .unwrap()
                    .json::<serde_json::Value>()
                    .await
                    .unwrap()
            })
        })
        .collect();
    for call in calls {
        let h = call.await.unwrap();
        assert_eq!(h["checks"]["github"]["status"], "ok", "{h}");
    }
    assert_eq!(
        checks(),
        1,
        "ten open /health calls cost GitHub one request"
    );
    clock.advance(Duration::from_secs(29));
    health().await;
    assert_eq!(checks(), 1);
    clock.advance(Duration::from_secs(2));
    health().await;
    assert_eq!(checks(), 2, "the check is renewed after 30 s");
    t.finish().await;
}

async fn secrets_never_print() {
    let config = ghgov::github::GitHubConfig::new("https://api.github.com", "ghp_topsecret");
    let debug = format!("{config:?}");
    assert!(!debug.contains("ghp_topsecret"), "{debug}");
    let options = ServeOptions {
        github: Some(config),
        webhook_secrets: vec!["hook-topsecret".into()],
        ..ServeOptions::new("postgres://ghgov:db-topsecret@db/ghgov")
    };
    let debug = format!("{options:?}");
    for secret in ["ghp_topsecret", "hook-topsecret", "db-topsecret"] {
        assert!(!debug.contains(secret), "{secret} in {debug}");
    }
    // A webhook's creation, as the GitHub client logs and reports it.
    let hook = ghgov::github::Write::CreateRepoHook {
        repo: repo(),
        hook: ghgov::github::NewHook {
            name: "web",
            active: true,
            events: vec!["issues".into()],
            config: ghgov::github::HookConfig {
                url: "https://ghgov.example/webhooks/github".into(),
                content_type: "json",
                secret: "hook-topsecret".into(),
                insecure_ssl: "0",
            },
        },
    };
    let debug = format!("{hook:?}");
    assert!(!debug.contains("hook-topsecret"), "{debug}");
}

suite!(
    both: [
        names_are_unique_and_revocation_is_exact,
        duplicate_names_in_older_databases_are_kept,
        a_held_write_lock_does_not_slow_reads,
    ],
    plain: [health_asks_github_once_in_a_while, secrets_never_print]
);
