//! The behavioural harness, parameterised over the store: every scenario runs on SQLite and,
//! when `GHGOV_TEST_POSTGRES_URL` points at a server, on a fresh PostgreSQL database of its
//! own (created for the test, dropped after).
#![allow(dead_code)]

use fakehub::{FakeHub, Generate, Options, SeedDoc, SeedRepo, Settings, TokenSpec};
use ghgov::github::{GitHub, GitHubConfig};
use ghgov::mirror::sync::Syncer;
use ghgov::mirror::RepoName;
use ghgov::server::{self, Running, ServeOptions};
use ghgov::store::Store;
use libtest_mimic::{Arguments, Completion, Trial};
use serde_json::Value;
use sqlx::Executor;
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

pub const GH_TOKEN: &str = "gh-token";
pub const SECRET: &str = "hook-secret";

/// A database for one test.
pub struct TestDb {
    pub url: String,
    admin: Option<(String, String)>,
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let path =
            std::env::temp_dir().join(format!("ghgov-test-{}.db", uuid::Uuid::new_v4().simple()));
        TestDb {
            url: format!("sqlite://{}", path.display()),
            admin: None,
        }
    }

    /// A fresh PostgreSQL database on the server the suite found (see [`postgres_server`]),
    /// or None when there is none.
    pub async fn postgres() -> Option<TestDb> {
        let server = postgres_server().as_ref().ok()?.clone();
        sqlx::any::install_default_drivers();
        let name = format!("ghgov_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&server)
            .await
            .expect("connect to the PostgreSQL test server");
        conn.execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .expect("create a test database");
        let (base, _) = server
            .rsplit_once('/')
            .expect("a database URL ends in /DBNAME");
        Some(TestDb {
            url: format!("{base}/{name}"),
            admin: Some((server, name)),
        })
    }

    pub async fn drop(self) {
        if let Some((server, name)) = self.admin {
            if let Ok(mut conn) = <sqlx::AnyConnection as sqlx::Connection>::connect(&server).await
            {
                let _ = conn
                    .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                    .await;
            }
        } else if let Some(path) = self.url.strip_prefix("sqlite://") {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{path}{suffix}"));
            }
        }
    }
}

/// Where the suite's PostgreSQL tests run: `GHGOV_TEST_POSTGRES_URL`, else a server at
/// the default local address if one answers. `Err` holds why they cannot run.
pub fn postgres_server() -> &'static Result<String, String> {
    static SERVER: OnceLock<Result<String, String>> = OnceLock::new();
    SERVER.get_or_init(|| {
        if let Ok(url) = std::env::var("GHGOV_TEST_POSTGRES_URL") {
            return Ok(url);
        }
        let probe = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime for the PostgreSQL probe")
            .block_on(async {
                sqlx::any::install_default_drivers();
                tokio::time::timeout(
                    Duration::from_secs(3),
                    <sqlx::AnyConnection as sqlx::Connection>::connect(DEFAULT_POSTGRES),
                )
                .await
            });
        match probe {
            Ok(Ok(_)) => Ok(DEFAULT_POSTGRES.to_string()),
            Ok(Err(e)) => Err(format!("no PostgreSQL server: GHGOV_TEST_POSTGRES_URL is unset and {DEFAULT_POSTGRES} refused ({e})")),
            Err(_) => Err(format!("no PostgreSQL server: GHGOV_TEST_POSTGRES_URL is unset and {DEFAULT_POSTGRES} did not answer within 3 s")),
        }
    })
}

/// The address tried when `GHGOV_TEST_POSTGRES_URL` is unset.
pub const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Runs `future` on a fresh two-thread runtime, as `#[tokio::test]` would.
pub fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a test runtime")
        .block_on(future)
}

/// A test that needs no database of the harness's.
pub fn plain<F, Fut>(name: &str, test: F) -> Trial
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = ()>,
{
    Trial::test(name, move || {
        block_on(test());
        Ok(())
    })
}

/// `NAME::sqlite` and `NAME::postgres`, each running `scenario(db_url)` on a database of
/// its own. Without a PostgreSQL server the second is reported as ignored, with the reason;
/// under `CI` it fails instead, because CI must run both.
pub fn both<F, Fut>(name: &str, scenario: F) -> [Trial; 2]
where
    F: Fn(String) -> Fut + Send + Sync + Copy + 'static,
    Fut: Future<Output = ()>,
{
    let sqlite = Trial::test(format!("{name}::sqlite"), move || {
        block_on(async move {
            let db = TestDb::sqlite().await;
            scenario(db.url.clone()).await;
            db.drop().await;
        });
        Ok(())
    });
    let postgres = Trial::ignorable_test(format!("{name}::postgres"), move || {
        if let Err(why) = postgres_server() {
            if std::env::var("CI").is_ok() {
                return Err(format!("CI must run the PostgreSQL pass: {why}").into());
            }
            return Ok(Completion::ignored_with(why));
        }
        block_on(async move {
            let db = TestDb::postgres().await.expect("a PostgreSQL server");
            scenario(db.url.clone()).await;
            db.drop().await;
        });
        Ok(Completion::Completed)
    });
    [sqlite, postgres]
}

/// Runs the trials with libtest's command line (filters, `--ignored`, `--test-threads`…).
pub fn run(trials: Vec<Trial>) -> ! {
    libtest_mimic::run(&Arguments::from_args(), trials).exit()
}

/// `fn main` of a test binary: `suite!(both: [scenario, …], plain: [test, …])` makes
/// `scenario::sqlite` and `scenario::postgres` of each scenario (an `async fn(String)`
/// taking the database URL) and one test of each plain `async fn()`.
#[macro_export]
macro_rules! suite {
    (both: [$($scenario:ident),* $(,)?] $(, plain: [$($test:ident),* $(,)?])? $(,)?) => {
        fn main() {
            let mut trials = Vec::new();
            $( trials.extend(common::both(stringify!($scenario), $scenario)); )*
            $($( trials.push(common::plain(stringify!($test), $test)); )*)?
            common::run(trials)
        }
    };
}

pub fn repo() -> RepoName {
    RepoName::parse("acme/widgets").unwrap()
}

pub fn seed(
    issues: usize,
    comments: usize,
    labels: usize,
    milestones: usize,
    pulls: usize,
) -> SeedDoc {
    SeedDoc {
        repos: vec![SeedRepo {
            full_name: "acme/widgets".into(),
            generate: Some(Generate {
                issues,
                comments,
                labels,
                milestones,
                pulls,
                seed: 11,
            }),
            ..Default::default()
        }],
    }
}

pub async fn fakehub(seed: SeedDoc) -> FakeHub {
    FakeHub::start(Options {
        seed: Some(seed),
        settings: Settings {
            tokens: vec![TokenSpec::parse(&format!("ghgov-bot:{GH_TOKEN}"))],
            rate_limit: 1_000_000,
            secondary_limits: false,
        },
        ..Default::default()
    })
    .await
    .unwrap()
}

pub fn gh_config(fh: &FakeHub) -> GitHubConfig {
    GitHubConfig::for_tests(&fh.url, GH_TOKEN)
}

pub async fn syncer(db: &str, fh: &FakeHub) -> Syncer {
    let store = Store::open(db).await.unwrap();
    let gh = Arc::new(GitHub::new(gh_config(fh), Some(store.clone())).unwrap());
    Syncer::new(store, gh)
}

/// ghgov serving on a free port against `fh`, with the webhook secret and no reconciler.
pub async fn ghgov(db: &str, fh: &FakeHub) -> Running {
    server::start(ServeOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        db: db.to_string(),
        github: Some(gh_config(fh)),
        webhook_secrets: vec!["old-secret".into(), SECRET.into()],
        repos: vec![repo()],
        reconcile_interval: None,
        retry_base: Duration::from_millis(10),
        document_limits: ghgov::governance::document_limits::DocumentLimits::default(),
    })
    .await
    .unwrap()
}

/// Waits until no delivery is pending (or fails after 30 s).
pub async fn processed(store: &Store) {
    for _ in 0..3000 {
        if store
            .count("SELECT COUNT(*) FROM deliveries WHERE status = 'pending'")
            .await
            .unwrap()
            == 0
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("deliveries still pending after 30 s");
}

/// POSTs a signed webhook delivery to ghgov.
pub async fn deliver(
    url: &str,
    event: &str,
    id: &str,
    body: &[u8],
    secret: &str,
) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{url}/webhooks/github"))
        .header("X-GitHub-Event", event)
        .header("X-GitHub-Delivery", id)
        .header("X-Hub-Signature-256", fakehub::webhooks::sign(secret, body))
        .header("Content-Type", "application/json")
        .body(body.to_vec())
        .send()
        .await
        .unwrap()
}

pub async fn api(url: &str, token: &str, path: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .get(format!("{url}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// fakehub's state and the mirror's, reduced to comparable facts (sorted lines).
pub async fn compare(fh: &FakeHub, store: &Store) -> (Vec<String>, Vec<String>) {
    use sqlx::Row;
    let mut want = Vec::new();
    {
        let w = fh.hub.world.read();
        let r = &w.repos[w.repo_idx("acme", "widgets").unwrap()];
        for i in r.issues.iter().filter(|i| i.gone.is_none()) {
            let mut labels: Vec<String> = i
                .labels
                .iter()
                .filter_map(|l| r.label(*l))
                .map(|l| l.name.clone())
                .collect();
            labels.sort();
            let mut assignees = i.assignees.clone();
            assignees.sort();
            let milestone = i
                .milestone
                .and_then(|m| r.milestone(m))
                .map(|m| m.title.clone())
                .unwrap_or_default();
            want.push(format!(
                "issue {} {:?} {} {:?} {} {:?} {:?} {}",
                i.number,
                i.title,
                i.state.as_str(),
                i.body,
                i.pull_request,
                labels,
                assignees,
                milestone
            ));
            for (pos, c) in i.sub_issues.iter().enumerate() {
                want.push(format!("sub {} {} {pos}", i.id, c));
            }
            for b in &i.blocked_by {
                want.push(format!("dep {} {}", i.id, b));
            }
        }
        for l in &r.labels {
            want.push(format!("label {} {} {:?}", l.name, l.color, l.description));
        }
        for m in r.milestones.iter().filter(|m| !m.deleted) {
            want.push(format!(
                "milestone {} {} {}",
                m.number,
                m.title,
                m.state.as_str()
            ));
        }
        for c in &r.comments {
            want.push(format!("comment {} {} {:?}", c.id, c.issue_number, c.body));
        }
    }
    let mut got = Vec::new();
    let pool = &store.pool;
    for row in sqlx::query("SELECT i.id, i.number, i.title, i.state, i.body, i.is_pull_request, m.title FROM issues i LEFT JOIN milestones m ON m.id = i.milestone_id").fetch_all(pool).await.unwrap() {
        let id: i64 = row.get(0);
        let mut labels: Vec<String> = sqlx::query("SELECT l.name FROM issue_labels il JOIN labels l ON l.id = il.label_id WHERE il.issue_id = $1")
            .bind(id)
            .fetch_all(pool)
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        labels.sort();
        let mut assignees: Vec<String> = sqlx::query("SELECT login FROM issue_assignees WHERE issue_id = $1").bind(id).fetch_all(pool).await.unwrap().iter().map(|r| r.get(0)).collect();
        assignees.sort();
        got.push(format!(
            "issue {} {:?} {} {:?} {} {:?} {:?} {}",
            row.get::<i64, _>(1),
            row.get::<String, _>(2),
            row.get::<String, _>(3),
            row.get::<Option<String>, _>(4),
            row.get::<i64, _>(5) != 0,
            labels,
            assignees,
            row.get::<Option<String>, _>(6).unwrap_or_default()
        ));
    }
    for row in sqlx::query("SELECT parent_id, child_id, position FROM sub_issue_links")
        .fetch_all(pool)
        .await
        .unwrap()
    {
        got.push(format!(
            "sub {} {} {}",
            row.get::<i64, _>(0),
            row.get::<i64, _>(1),
            row.get::<i64, _>(2)
        ));
    }
    for row in sqlx::query("SELECT blocked_id, blocking_id FROM dependencies")
        .fetch_all(pool)
        .await
        .unwrap()
    {
        got.push(format!(
            "dep {} {}",
            row.get::<i64, _>(0),
            row.get::<i64, _>(1)
        ));
    }
    for row in sqlx::query("SELECT name, color, description FROM labels")
        .fetch_all(pool)
        .await
        .unwrap()
    {
        got.push(format!(
            "label {} {} {:?}",
            row.get::<String, _>(0),
            row.get::<String, _>(1),
            row.get::<Option<String>, _>(2)
        ));
    }
    for row in sqlx::query("SELECT number, title, state FROM milestones")
        .fetch_all(pool)
        .await
        .unwrap()
    {
        got.push(format!(
            "milestone {} {} {}",
            row.get::<i64, _>(0),
            row.get::<String, _>(1),
            row.get::<String, _>(2)
        ));
    }
    for row in sqlx::query("SELECT id, issue_number, body FROM comments")
        .fetch_all(pool)
        .await
        .unwrap()
    {
        got.push(format!(
            "comment {} {} {:?}",
            row.get::<i64, _>(0),
            row.get::<i64, _>(1),
            row.get::<Option<String>, _>(2).unwrap_or_default()
        ));
    }
    want.sort();
    got.sort();
    (want, got)
}

/// Asserts the mirror equals fakehub, showing the first differences.
pub async fn assert_mirror_equals(fh: &FakeHub, store: &Store) {
    let (want, got) = compare(fh, store).await;
    if want != got {
        let missing: Vec<&String> = want.iter().filter(|w| !got.contains(w)).take(8).collect();
        let extra: Vec<&String> = got.iter().filter(|g| !want.contains(g)).take(8).collect();
        panic!("the mirror differs from fakehub ({} vs {} facts)\n missing: {missing:#?}\n extra: {extra:#?}", want.len(), got.len());
    }
}
