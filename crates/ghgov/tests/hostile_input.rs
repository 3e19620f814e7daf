//! Hostile input: a GitHub that points elsewhere or answers 304 unasked, API parameters out
//! of range, an internal error that must not show its SQL, and mutated webhook payloads that
//! may fail a delivery but never panic the processor or corrupt the mirror.
//!
//! The webhook property test runs `PROPTEST_CASES` cases (default 48) from a fixed seed;
//! `GHGOV_HOSTILE_SEED=N` runs another seed. Failures are not persisted to files.

mod common;
use common::*;
use ghgov::github::{GitHub, GitHubConfig, GitHubError};
use ghgov::mirror::sync::{SyncKind, Syncer};
use ghgov::store::{Scope, Store};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

// ---------------------------------------------------------------------------------------
// A GitHub that lies.

/// A loopback HTTP server answering every request with `answer(path)`; it counts requests.
async fn loopback<F>(answer: F) -> (String, Arc<AtomicUsize>)
where
    F: Fn(&str) -> axum::response::Response + Clone + Send + Sync + 'static,
{
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
        counter.fetch_add(1, Ordering::SeqCst);
        let response = answer(uri.path());
        async move { response }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, hits)
}

fn repository_document() -> axum::response::Response {
    use axum::response::IntoResponse;
    axum::Json(json!({"id": 1, "name": "widgets", "full_name": "acme/widgets", "owner": {"id": 2, "login": "acme"}, "open_issues_count": 0}))
        .into_response()
}

/// The GitHub errors anywhere in a failure's chain.
fn github_error(e: &anyhow::Error) -> Option<&GitHubError> {
    e.chain().find_map(|c| c.downcast_ref::<GitHubError>())
}

async fn a_link_to_another_host_is_not_followed(db: String) {
    use axum::response::IntoResponse;
    let (elsewhere, elsewhere_hits) = loopback(|_| axum::Json(json!([])).into_response()).await;
    let next = format!("<{elsewhere}/repos/acme/widgets/labels?page=2>; rel=\"next\"");
    let (api, _) = loopback(move |path| match path {
        "/repos/acme/widgets" => repository_document(),
        _ => ([("link", next.clone())], axum::Json(json!([]))).into_response(),
    })
    .await;
    let store = Store::open(&db).await.unwrap();
    let gh = GitHub::new(GitHubConfig::for_tests(&api, GH_TOKEN), Some(store.clone())).unwrap();
    let err = Syncer::new(store, Arc::new(gh))
        .sync(&repo(), SyncKind::Full)
        .await
        .expect_err("a sync whose pages lead to another host fails");
    let other_host = elsewhere.trim_start_matches("http://");
    match github_error(&err) {
        Some(GitHubError::OffOrigin { host, .. }) => assert_eq!(host, other_host, "{err:#}"),
        _ => panic!("expected the link to be refused, got: {err:#}"),
    }
    assert!(format!("{err:#}").contains(other_host), "{err:#}");
    assert_eq!(
        elsewhere_hits.load(Ordering::SeqCst),
        0,
        "the other host received no request, so never the token"
    );
}

async fn a_304_to_an_unconditional_request_is_an_error(db: String) {
    use axum::response::IntoResponse;
    let not_modified = || axum::http::StatusCode::NOT_MODIFIED.into_response();
    // The repository document is real; every list answers 304 though nothing was asked.
    let (api, _) = loopback(move |path| match path {
        "/repos/acme/widgets" => repository_document(),
        _ => not_modified(),
    })
    .await;
    let store = Store::open(&db).await.unwrap();
    let gh = Arc::new(
        GitHub::new(GitHubConfig::for_tests(&api, GH_TOKEN), Some(store.clone())).unwrap(),
    );
    let plain = gh.get("/repos/acme/widgets/issues", false).await;
    assert!(
        matches!(plain, Err(GitHubError::UnexpectedNotModified { .. })),
        "{plain:?}"
    );
    let err = Syncer::new(store.clone(), gh)
        .sync(&repo(), SyncKind::Full)
        .await
        .expect_err("a sync answered 304 unasked fails");
    assert!(
        matches!(
            github_error(&err),
            Some(GitHubError::UnexpectedNotModified { .. })
        ),
        "{err:#}"
    );
    // And when everything, the repository too, answers 304.
    let (api, _) = loopback(move |_| not_modified()).await;
    let gh = GitHub::new(GitHubConfig::for_tests(&api, GH_TOKEN), Some(store.clone())).unwrap();
    let err = Syncer::new(store, Arc::new(gh))
        .sync(&repo(), SyncKind::Full)
        .await
        .expect_err("a sync answered only 304 fails");
    assert!(
        matches!(
            github_error(&err),
            Some(GitHubError::UnexpectedNotModified { .. })
        ),
        "{err:#}"
    );
}

// ---------------------------------------------------------------------------------------
// Strict parameters and quiet internal errors.

/// The log lines of this process, for the error ids.
fn captured_log() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = log.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || LogWriter(sink.clone()))
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("one subscriber");
        log
    })
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn bad_parameters_are_named_with_the_form_expected(db: String) {
    let fh = fakehub(seed(3, 2, 2, 1, 0)).await;
    let gg = ghgov(&db, &fh).await;
    Syncer::new(gg.store.clone(), gg.gh.clone().unwrap())
        .sync(&repo(), SyncKind::Full)
        .await
        .unwrap();
    let (_, read) = gg.store.create_token("reader", Scope::Read).await.unwrap();
    let url = gg.url();
    let issue = fh.hub.world.read().repos[0].issue(1).unwrap().id;
    let pages = "a whole number from 1 to 1000000";
    let per_page = "a whole number from 1 to 100";
    let cases: Vec<(String, &str, &str)> = vec![
        (
            "/api/v1/issues?page=9223372036854775807".into(),
            "page",
            pages,
        ),
        ("/api/v1/issues?page=abc".into(), "page", pages),
        ("/api/v1/issues?per_page=-5".into(), "per_page", per_page),
        (
            "/api/v1/issues?updated_since=2024-13-45T00:00:00Z".into(),
            "updated_since",
            "RFC 3339",
        ),
        (
            "/api/v1/issues?updated_since=2024-05-01".into(),
            "updated_since",
            "RFC 3339",
        ),
        (
            "/api/v1/issues?parent=0".into(),
            "parent",
            "a whole number of at least 1",
        ),
        (
            format!("/api/v1/issues/{issue}/comments?page=0"),
            "page",
            pages,
        ),
        ("/api/v1/issues/abc".into(), "id", "a whole number"),
        (
            "/api/v1/issues/99999999999999999999/comments".into(),
            "id",
            "a whole number",
        ),
        ("/api/v1/repos?page=abc".into(), "page", pages),
        ("/api/v1/labels?per_page=0".into(), "per_page", per_page),
        (
            "/api/v1/milestones?page=9223372036854775807".into(),
            "page",
            pages,
        ),
        (
            "/api/v1/sync/operations?per_page=1000".into(),
            "per_page",
            per_page,
        ),
        ("/api/v1/webhooks/events?page=-1".into(), "page", pages),
        (
            "/api/v1/governance/plans?repo=acme/widgets&per_page=0".into(),
            "per_page",
            per_page,
        ),
        (
            "/api/v1/governance/audit?per_page=100000".into(),
            "per_page",
            "a whole number from 1 to 1000",
        ),
        (
            "/api/v1/governance/config/acme/widgets?version=0".into(),
            "version",
            "a whole number of at least 1",
        ),
        (
            "/api/v1/governance/config/acme/widgets?version=1.5".into(),
            "version",
            "a whole number of at least 1",
        ),
        ("/api/v1/governance/plans/x".into(), "id", "a whole number"),
    ];
    for (path, param, form) in cases {
        let (status, body) = api(&url, &read, &path).await;
        assert_eq!(status, 400, "{path}: {body}");
        let error = body["error"].as_str().unwrap_or_default();
        assert!(
            error.contains(&format!("`{param}`")) && error.contains(form),
            "{path}: the error names `{param}` and {form}: {body}"
        );
    }
    // A JSON body of the wrong shape is a 400 naming the field, in JSON.
    let r = reqwest::Client::new()
        .post(format!("{url}/api/v1/governance/validate"))
        .bearer_auth(&read)
        .json(&json!({"spec": {}, "strict": "yes"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("strict"), "{body}");
    // In range, the same parameters work.
    let (status, body) = api(&url, &read, "/api/v1/issues?state=all&page=1000000&per_page=100&updated_since=2000-01-01T00:00:00%2B02:00").await;
    assert_eq!((status, &body["data"]), (200, &json!([])), "{body}");
    let (status, body) = api(
        &url,
        &read,
        "/api/v1/issues?state=all&updated_since=2000-01-01T00:00:00Z",
    )
    .await;
    assert_eq!(
        (status, &body["pagination"]["total"]),
        (200, &json!(3)),
        "{body}"
    );
    gg.shutdown().await;
}

async fn an_internal_error_answers_an_id_not_sql(db: String) {
    let log = captured_log();
    let fh = fakehub(seed(2, 0, 2, 0, 0)).await;
    let gg = ghgov(&db, &fh).await;
    let (_, read) = gg.store.create_token("reader", Scope::Read).await.unwrap();
    assert_eq!(api(&gg.url(), &read, "/api/v1/labels").await.0, 200);
    sqlx::query("DROP TABLE labels")
        .execute(&gg.store.pool)
        .await
        .unwrap();
    let r = reqwest::Client::new()
        .get(format!("{}/api/v1/labels", gg.url()))
        .bearer_auth(&read)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 500);
    let text = r.text().await.unwrap();
    for leak in ["labels", "table", "relation", "SQL", "sql", "database"] {
        assert!(!text.contains(leak), "the answer shows `{leak}`: {text}");
    }
    let body: Value = serde_json::from_str(&text).unwrap();
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .starts_with("internal error"),
        "{body}"
    );
    let id = body["error_id"].as_str().expect("an error id");
    uuid::Uuid::parse_str(id).expect("the id is a UUID");
    let logged = String::from_utf8_lossy(&log.lock().unwrap()).to_string();
    let line = logged
        .lines()
        .find(|l| l.contains(id))
        .unwrap_or_else(|| panic!("the log has error id {id}"));
    assert!(
        line.contains("labels"),
        "the log line has the detail: {line}"
    );
    gg.shutdown().await;
}

suite!(both: [
    a_link_to_another_host_is_not_followed,
    a_304_to_an_unconditional_request_is_an_error,
    bad_parameters_are_named_with_the_form_expected,
    an_internal_error_answers_an_id_not_sql,
]);
