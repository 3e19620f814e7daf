//! The REST API under `/api/v1` (bearer tokens), plus the open `/health`, `/metrics` and
//! `/version`, and the webhook receiver at `/webhooks/github`.

mod documents;
mod extract;
mod governance;
mod issues;
mod ops;
mod params;
mod resources;
pub mod usage;

pub use params::Paging;

use crate::clock::SharedClock;
use crate::github::GitHub;
use crate::mirror::processor::Processor;
use crate::mirror::receiver::{self, Receiver};
use crate::mirror::scope::RepoScope;
use crate::server::http::{bounded_body, HttpLimits};
use crate::store::{Scope, Store};
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use std::sync::Arc;
use std::time::Instant;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub gh: Option<Arc<GitHub>>,
    /// The repositories this server mirrors.
    pub scope: Arc<RepoScope>,
    pub processor: Processor,
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
    pub cache: Arc<ResponseCache>,
    /// Token use, written down off the request path.
    pub usage: Arc<usage::TokenUsage>,
    /// The last GitHub check of `/health`, reused for a while.
    pub health: Arc<ops::HealthCache>,
    pub clock: SharedClock,
    /// What a governance document in a request may cost to read.
    pub document_limits: crate::governance::document_limits::DocumentLimits,
}

/// Answers of read endpoints, valid while the mirror's version is unchanged.
#[derive(Default)]
pub struct ResponseCache {
    entries: parking_lot::Mutex<CachedAnswers>,
    /// One computation per key at a time: concurrent misses wait for the first.
    fills: crate::store::single_flight::FillLocks<String>,
}

#[derive(Default)]
struct CachedAnswers {
    by_key: std::collections::HashMap<String, (i64, axum::body::Bytes)>,
    /// Bytes held in `by_key`, keys included.
    bytes: usize,
}

/// Entries kept before the cache starts over.
const CACHE_ENTRIES: usize = 2048;
/// Bytes kept before the cache starts over: what bounds its memory, whatever the pages' size.
const CACHE_BYTES: usize = 16 << 20;

impl ResponseCache {
    pub fn get(&self, key: &str, version: i64) -> Option<axum::body::Bytes> {
        self.entries
            .lock()
            .by_key
            .get(key)
            .filter(|(v, _)| *v == version)
            .map(|(_, b)| b.clone())
    }

    pub fn fill_lock(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        self.fills.lock_for(&key.to_string())
    }

    pub fn put(&self, key: String, version: i64, body: axum::body::Bytes) {
        let size = key.len() + body.len();
        if size > CACHE_BYTES / 4 {
            return; // one huge answer would push out everything else
        }
        let mut e = self.entries.lock();
        if e.by_key.len() >= CACHE_ENTRIES || e.bytes + size > CACHE_BYTES {
            e.by_key.clear();
            e.bytes = 0;
        }
        if let Some((_, old)) = e.by_key.get(&key) {
            let old = key.len() + old.len();
            e.bytes -= old;
        }
        e.bytes += size;
        e.by_key.insert(key, (version, body));
    }
}

/// A JSON answer from already serialised bytes.
pub fn json_bytes(body: axum::body::Bytes) -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

/// An error answer: `{"error": "..."}` with a status. A 500's message is for the log
/// only: the caller gets a generic answer and an id to find it there.
pub struct ApiError(pub StatusCode, pub String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.0 == StatusCode::INTERNAL_SERVER_ERROR {
            let error_id = uuid::Uuid::new_v4().to_string();
            tracing::error!(error_id = %error_id, "API error: {}", self.1);
            return (
                self.0,
                Json(json!({
                    "error": "internal error: the server log has the details under this error_id",
                    "error_id": error_id,
                })),
            )
                .into_response();
        }
        (self.0, Json(json!({"error": self.1}))).into_response()
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> Self {
        // GitHub's refusals are the caller's business (a limit, a missing repository).
        if e.chain()
            .any(|c| c.downcast_ref::<crate::github::GitHubError>().is_some())
        {
            return ApiError(StatusCode::BAD_GATEWAY, format!("{e:#}"));
        }
        ApiError(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}"))
    }
}

impl From<crate::store::DbError> for ApiError {
    fn from(e: crate::store::DbError) -> Self {
        anyhow::Error::from(e).into()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

pub fn bad_request(message: impl Into<String>) -> ApiError {
    ApiError(StatusCode::BAD_REQUEST, message.into())
}

pub fn not_found(message: impl Into<String>) -> ApiError {
    ApiError(StatusCode::NOT_FOUND, message.into())
}

/// Who is calling: `token:NAME` (recorded in plans, approvals and the audit log).
#[derive(Debug, Clone)]
pub struct Principal(pub String);

/// Bearer-token authentication for `/api/v1`; the token's scope goes into the request.
async fn auth(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let token = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
                .or_else(|| v.strip_prefix("token "))
        })
        .map(|t| t.trim().to_string());
    let Some(token) = token else {
        return ApiError(StatusCode::UNAUTHORIZED, "an API token is required: Authorization: Bearer TOKEN (create one with `ghgov token create`)".into()).into_response();
    };
    match state.store.authenticate(&token).await {
        Ok(Some((id, scope, name))) => {
            state
                .usage
                .record(id, crate::store::timestamp(state.clock.now()));
            req.extensions_mut().insert(scope);
            req.extensions_mut()
                .insert(Principal(format!("token:{name}")));
            next.run(req).await
        }
        Ok(None) => ApiError(
            StatusCode::UNAUTHORIZED,
            "unknown or revoked API token".into(),
        )
        .into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

pub fn require(scope: Scope, needed: Scope) -> ApiResult<()> {
    if scope >= needed {
        Ok(())
    } else {
        Err(ApiError(
            StatusCode::FORBIDDEN,
            format!(
                "this needs {} token; yours is {}",
                match needed {
                    Scope::Admin => "an admin",
                    Scope::Write => "a write (or admin)",
                    Scope::Read => "a read",
                },
                scope.as_str()
            ),
        ))
    }
}

/// Counts and times every request for `/metrics`.
async fn observe(matched: Option<MatchedPath>, req: Request, next: Next) -> Response {
    let method = req.method().to_string();
    let route = matched
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let started = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("ghgov_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status).increment(1);
    metrics::histogram!("ghgov_http_request_duration_seconds", "method" => method, "route" => route).record(started.elapsed().as_secs_f64());
    response
}

pub fn router(state: AppState, receiver: Receiver, limits: HttpLimits) -> Router {
    // Bodies are read whole before the handler runs, up to what the largest request may
    // carry: ordinary bodies are bounded again by `DefaultBodyLimit`, documents by their own
    // limits (api/documents.rs).
    let read_limits = HttpLimits {
        max_api_body: limits
            .max_api_body
            .max(state.document_limits.max_body_bytes()),
        ..limits
    };
    let api = Router::new()
        .route("/repos", get(resources::repos))
        .route("/issues", get(issues::list))
        .route("/issues/{id}", get(issues::get))
        .route("/issues/{id}/comments", get(issues::comments))
        .route("/labels", get(resources::labels))
        .route("/milestones", get(resources::milestones))
        .route("/sync/trigger", post(ops::trigger_sync))
        .route("/sync/status", get(ops::sync_status))
        .route("/sync/operations", get(ops::sync_operations))
        .route("/webhooks/events", get(ops::webhook_events))
        .route(
            "/governance/config/{org}/{repo}",
            get(governance::get_config).put(governance::put_config),
        )
        .route(
            "/governance/config/{org}/{repo}/versions",
            get(governance::config_versions),
        )
        .route("/governance/validate", post(governance::validate))
        .route("/governance/generate", post(governance::generate))
        .route("/governance/plans", get(governance::plans))
        .route("/governance/plans/{id}", get(governance::plan))
        .route("/governance/plans/{id}/approve", post(governance::approve))
        .route(
            "/governance/compliance/{org}/{repo}",
            get(governance::compliance),
        )
        .route("/governance/audit", get(governance::audit))
        .route("/webhooks/events/{id}/replay", post(ops::replay))
        .route("/webhooks/events/{id}/discard", post(ops::discard))
        // Layers run outermost last-added first: the token is checked, then the body read
        // within its bounds, then the handler runs.
        .route_layer(axum::middleware::from_fn_with_state(
            read_limits,
            bounded_body,
        ))
        .layer(DefaultBodyLimit::max(limits.max_api_body))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), auth));
    let open = Router::new()
        .route("/health", get(ops::health))
        .route("/metrics", get(ops::metrics))
        .route("/version", get(ops::version))
        .route("/api/v1/health", get(ops::health))
        .route("/api/v1/metrics", get(ops::metrics))
        .route("/api/v1/version", get(ops::version))
        .route("/api/v1/openapi.json", get(ops::openapi));
    // The receiver reads its body itself: only after the signature header's form is checked.
    let webhooks = Router::new()
        .route("/webhooks/github", post(receiver::handle))
        .with_state(receiver);
    Router::new()
        .nest("/api/v1", api)
        .merge(open)
        .with_state(state)
        .merge(webhooks)
        .layer(axum::middleware::from_fn(observe))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_response_cache_holds_a_bounded_number_of_bytes() {
        let cache = ResponseCache::default();
        let page = axum::body::Bytes::from(vec![b'x'; 1 << 20]);
        for i in 0..40 {
            cache.put(format!("k{i}"), 1, page.clone());
            assert!(cache.entries.lock().bytes <= CACHE_BYTES);
        }
        // The newest answer is always kept; an answer of another version is a miss.
        assert!(cache.get("k39", 1).is_some());
        assert!(cache.get("k39", 2).is_none());
        // Replacing an entry does not count it twice.
        cache.put("k39".into(), 2, page.clone());
        let held: usize = cache
            .entries
            .lock()
            .by_key
            .iter()
            .map(|(k, (_, b))| k.len() + b.len())
            .sum();
        assert_eq!(cache.entries.lock().bytes, held);
        // An answer bigger than a quarter of the budget is not kept at all.
        cache.put(
            "huge".into(),
            2,
            axum::body::Bytes::from(vec![0; CACHE_BYTES]),
        );
        assert!(cache.get("huge", 2).is_none());
    }
}
