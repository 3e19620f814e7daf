//! Hostile input: a GitHub that points elsewhere or answers 304 unasked.

mod common;
use common::*;
use ghgov::github::{GitHub, GitHubConfig, GitHubError};
use ghgov::mirror::sync::{SyncKind, Syncer};
use ghgov::store::Store;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

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

suite!(both: [
    a_link_to_another_host_is_not_followed,
    a_304_to_an_unconditional_request_is_an_error,
]);
