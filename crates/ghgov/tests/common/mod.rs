//! The behavioural harness, parameterised over the store: every scenario runs on SQLite and,
//! when `GHGOV_TEST_POSTGRES_URL` points at a server, on a fresh PostgreSQL database of its
//! own (created for the test, dropped after).
#![allow(dead_code)]

use fakehub::{FakeHub, Generate, Options, SeedDoc, SeedRepo, Settings, TokenSpec};
use ghgov::github::{GitHub, GitHubConfig};
use ghgov::mirror::processor::RetrySchedule;
use ghgov::mirror::scope::RepoScope;
use ghgov::mirror::sync::Syncer;
use ghgov::mirror::RepoName;
use ghgov::secret::Secret;
use ghgov::server::{self, Running, ServeOptions};
use ghgov::store::Store;
use libtest_mimic::{Arguments, Completion, Trial};
use serde_json::Value;
use sqlx::Executor;
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

mod harness;
#[allow(unused_imports)]
pub use harness::{TestWorld, Tester};
mod openapi;
use openapi::{answer, checked};
#[allow(unused_imports)]
pub use openapi::{check_against_document, send_checked};

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

/// The longest a scenario may run: a hung one fails with this instead of holding CI.
pub const SCENARIO_TIMEOUT: Duration = Duration::from_secs(600);

/// Runs `future` on a fresh two-thread runtime, as `#[tokio::test]` would, failing it
/// after [`SCENARIO_TIMEOUT`].
pub fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a test runtime")
        .block_on(async {
            match tokio::time::timeout(SCENARIO_TIMEOUT, future).await {
                Ok(output) => output,
                Err(_) => panic!(
                    "the scenario did not finish within {} s",
                    SCENARIO_TIMEOUT.as_secs()
                ),
            }
        })
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
        #[allow(clippy::vec_init_then_push)]
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
        ..Default::default()
    }
}

/// fakehub's options for `seed`: the test token, and limits out of the way. Scenarios get
/// a fakehub through [`TestWorld`].
fn hub_options(seed: SeedDoc) -> Options {
    Options {
        seed: Some(seed),
        settings: Settings {
            tokens: vec![TokenSpec::parse(&format!("ghgov-bot:{GH_TOKEN}"))],
            rate_limit: 1_000_000,
            secondary_limits: false,
        },
        ..Default::default()
    }
}

pub fn gh_config(fh: &FakeHub) -> GitHubConfig {
    GitHubConfig::for_tests(&fh.url, GH_TOKEN)
}

/// The options `ghgov()` starts with: acme/widgets mirrored, two webhook secrets (a
/// rotation), quick retries, no reconciler.
pub fn serve_options(db: &str, fh: &FakeHub) -> ServeOptions {
    ServeOptions {
        github: Some(gh_config(fh)),
        webhook_secrets: vec![Secret::from("old-secret"), Secret::from(SECRET)],
        scope: RepoScope::parse_all(&["acme/widgets".to_string()]).unwrap(),
        retries: RetrySchedule::new(vec![Duration::from_millis(10); 4]),
        ..ServeOptions::new(db)
    }
}

/// Waits until every delivery is settled: none pending, none failed and waiting for a
/// retry (or fails after 30 s).
pub async fn processed(store: &Store) {
    for _ in 0..3000 {
        if store.unsettled_deliveries().await.unwrap() == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("deliveries still pending or waiting for a retry after 30 s");
}

/// A JSON request to ghgov's API with a bearer token: status and JSON body (null when the
/// body is not JSON).
pub async fn call(
    method: reqwest::Method,
    url: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut r = reqwest::Client::new()
        .request(method.clone(), url)
        .bearer_auth(token);
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.unwrap();
    answer(method.as_str(), url, r).await
}

/// Waits until fakehub has sent every webhook and ghgov has processed what it stored.
pub async fn settled(fh: &FakeHub, store: &Store) {
    assert!(
        fh.hub.dispatcher.wait_idle(Duration::from_secs(30)).await,
        "fakehub's webhooks did not go out within 30 s"
    );
    processed(store).await;
}

/// Sends `request` as is over a new connection and returns what comes back until the
/// server closes it (or 30 s pass).
pub async fn raw_http(addr: std::net::SocketAddr, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer).into_owned()
}

/// POSTs a signed webhook delivery to ghgov (its answer checked against the OpenAPI
/// document).
pub async fn deliver(
    url: &str,
    event: &str,
    id: &str,
    body: &[u8],
    secret: &str,
) -> reqwest::Response {
    let url = format!("{url}/webhooks/github");
    let r = reqwest::Client::new()
        .post(&url)
        .header("X-GitHub-Event", event)
        .header("X-GitHub-Delivery", id)
        .header("X-Hub-Signature-256", fakehub::webhooks::sign(secret, body))
        .header("Content-Type", "application/json")
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    checked("POST", &url, r).await
}

/// A GET of ghgov's API with a bearer token: status and JSON body (null when the body is
/// not JSON), checked against the OpenAPI document.
pub async fn api(url: &str, token: &str, path: &str) -> (u16, Value) {
    let url = format!("{url}{path}");
    let r = reqwest::Client::new()
        .get(&url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    answer("GET", &url, r).await
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
            let issue_type = i
                .type_id
                .and_then(|t| w.issue_type(&r.owner, t))
                .map(|t| t.name.clone());
            want.push(format!(
                "issue {} {:?} {} {:?} {} {:?} {:?} {} type={:?} reason={:?} closed={:?} comments={}",
                i.number,
                i.title,
                i.state.as_str(),
                i.body,
                i.pull_request,
                labels,
                assignees,
                milestone,
                issue_type,
                i.state_reason,
                i.closed_at.map(fakehub::clock::iso),
                i.comments
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
                "milestone {} {} {} due={:?}",
                m.number,
                m.title,
                m.state.as_str(),
                m.due_on.map(fakehub::clock::iso)
            ));
        }
        for c in &r.comments {
            want.push(format!("comment {} {} {:?}", c.id, c.issue_number, c.body));
        }
    }
    let mut got = Vec::new();
    let pool = store.pool_for_tests();
    for row in sqlx::query("SELECT i.id, i.number, i.title, i.state, i.body, i.is_pull_request, m.title, i.issue_type, i.state_reason, i.closed_at, i.comments_count FROM issues i LEFT JOIN milestones m ON m.id = i.milestone_id").fetch_all(pool).await.unwrap() {
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
            "issue {} {:?} {} {:?} {} {:?} {:?} {} type={:?} reason={:?} closed={:?} comments={}",
            row.get::<i64, _>(1),
            row.get::<String, _>(2),
            row.get::<String, _>(3),
            row.get::<Option<String>, _>(4),
            row.get::<i64, _>(5) != 0,
            labels,
            assignees,
            row.get::<Option<String>, _>(6).unwrap_or_default(),
            row.get::<Option<String>, _>(7),
            row.get::<Option<String>, _>(8),
            row.get::<Option<String>, _>(9),
            row.get::<i64, _>(10)
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
    for row in sqlx::query("SELECT number, title, state, due_on FROM milestones")
        .fetch_all(pool)
        .await
        .unwrap()
    {
        got.push(format!(
            "milestone {} {} {} due={:?}",
            row.get::<i64, _>(0),
            row.get::<String, _>(1),
            row.get::<String, _>(2),
            row.get::<Option<String>, _>(3)
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

/// Sends a setup request that must succeed, and panics with the request, the status and
/// the answer when it does not: a setup that silently failed makes a test prove nothing.
/// An answer of ghgov's is checked against the OpenAPI document as well.
pub trait SendOk {
    fn send_ok(self) -> impl Future<Output = reqwest::Response> + Send;
}

impl SendOk for reqwest::RequestBuilder {
    async fn send_ok(self) -> reqwest::Response {
        let (client, request) = self.build_split();
        let request = request.expect("a well-formed request");
        let (method, url) = (request.method().to_string(), request.url().to_string());
        let what = format!("{method} {url}");
        let r = client
            .execute(request)
            .await
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        let status = r.status();
        if !status.is_success() {
            panic!(
                "{what} answered {status}: {}",
                r.text().await.unwrap_or_default()
            );
        }
        checked(&method, &url, r).await
    }
}

/// The database holds the SHA-256 of `token` and never the token itself, in any column of
/// `api_tokens`. (The SQLite files are not read directly: a second descriptor on them drops
/// SQLite's POSIX locks for the whole process, and another process may then delete the WAL
/// under the open connections.)
pub async fn assert_token_stored_hashed(store: &Store, token: &str) {
    use sha2::Digest;
    use sqlx::{Column, Row};
    let digest = hex::encode(sha2::Sha256::digest(token.as_bytes()));
    let rows = sqlx::query("SELECT * FROM api_tokens")
        .fetch_all(store.pool_for_tests())
        .await
        .unwrap();
    let mut hashes = 0;
    for row in &rows {
        for (i, column) in row.columns().iter().enumerate() {
            // Numbers do not decode as text; only text can hold a token.
            if let Ok(Some(text)) = row.try_get::<Option<String>, _>(i) {
                assert!(
                    !text.contains(token),
                    "api_tokens.{} holds the token in clear",
                    column.name()
                );
                hashes += usize::from(text == digest);
            }
        }
    }
    assert_eq!(hashes, 1, "api_tokens holds the token's SHA-256 once");
}

/// Every page of a list answer of the API, in order.
pub async fn api_all(url: &str, token: &str, path: &str) -> Vec<Value> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut all = Vec::new();
    for page in 1.. {
        let (status, body) = api(url, token, &format!("{path}{sep}per_page=100&page={page}")).await;
        assert_eq!(status, 200, "{path} page {page}: {body}");
        let data = body["data"].as_array().cloned().unwrap_or_default();
        all.extend(data);
        if page >= body["pagination"]["pages"].as_i64().unwrap_or(0) {
            break;
        }
    }
    all
}

/// A clock for ghgov's GitHub client that moves only when the client waits on it, and
/// moves fakehub's clock by as much: an hour of pacing passes in milliseconds, and fakehub's
/// rate limits judge every request on the same timeline. Real time still flows for
/// fakehub between waits, which only ever spreads requests further apart.
pub struct VirtualClock {
    origin: std::time::Instant,
    waited: parking_lot::Mutex<Duration>,
    hub: Arc<fakehub::Hub>,
}

impl VirtualClock {
    pub fn new(fh: &FakeHub) -> Arc<VirtualClock> {
        Arc::new(VirtualClock {
            origin: std::time::Instant::now(),
            waited: parking_lot::Mutex::new(Duration::ZERO),
            hub: fh.hub.clone(),
        })
    }

    /// How long the client has waited on this clock.
    pub fn elapsed(&self) -> Duration {
        *self.waited.lock()
    }
}

impl std::fmt::Debug for VirtualClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VirtualClock(+{:?})", self.elapsed())
    }
}

impl ghgov::github::Clock for VirtualClock {
    fn now(&self) -> std::time::Instant {
        self.origin + self.elapsed()
    }

    fn epoch(&self) -> i64 {
        self.hub.clock.now().timestamp()
    }

    fn sleep(&self, d: Duration) -> ghgov::github::Sleep {
        *self.waited.lock() += d;
        self.hub
            .clock
            .advance(chrono::Duration::from_std(d).expect("a wait shorter than centuries"));
        Box::pin(std::future::ready(()))
    }
}

/// The id of the newest sync operation the API lists for `repository` (0 when none).
pub async fn newest_operation(url: &str, token: &str, repository: &str) -> i64 {
    let (status, ops) = api(
        url,
        token,
        &format!("/api/v1/sync/operations?repository={repository}&per_page=1"),
    )
    .await;
    assert_eq!(status, 200, "{ops}");
    ops["data"][0]["id"].as_i64().unwrap_or(0)
}

/// Waits (30 s at most) until the API lists a finished `sync_type` operation of
/// `repository` newer than operation `after`, and returns it.
pub async fn finished_operation(
    url: &str,
    token: &str,
    repository: &str,
    sync_type: &str,
    after: i64,
) -> Value {
    let mut seen = Value::Null;
    for _ in 0..3000 {
        let (_, ops) = api(
            url,
            token,
            &format!("/api/v1/sync/operations?repository={repository}&per_page=100"),
        )
        .await;
        let found = ops["data"].as_array().and_then(|ops| {
            ops.iter()
                .find(|o| {
                    o["id"].as_i64().unwrap_or(0) > after
                        && o["repository"] == repository
                        && o["sync_type"] == sync_type
                        && o["status"] != "running"
                })
                .cloned()
        });
        if let Some(op) = found {
            return op;
        }
        seen = ops;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no finished {sync_type} operation of {repository} after #{after} within 30 s: {seen}");
}
