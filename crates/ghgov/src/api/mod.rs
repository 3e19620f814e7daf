//! The REST API under `/api/v1` (bearer tokens), plus the open `/health`, `/metrics` and
//! `/version`, and the webhook receiver at `/webhooks/github`.

mod documents;
mod governance;
mod issues;
mod ops;
mod resources;

use crate::github::GitHub;
use crate::mirror::processor::Processor;
use crate::mirror::receiver::{self, Receiver, MAX_PAYLOAD};
use crate::mirror::RepoName;
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
    pub repos: Arc<Vec<RepoName>>,
    pub processor: Processor,
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
    pub cache: Arc<ResponseCache>,
    /// When each token's `last_used_at` was last written (at most once a minute).
    pub touched: Arc<parking_lot::Mutex<std::collections::HashMap<i64, Instant>>>,
    /// What a governance document in a request may cost to read.
    pub document_limits: crate::governance::document_limits::DocumentLimits,
}

/// Answers of read endpoints, valid while the mirror's version is unchanged.
#[derive(Default)]
pub struct ResponseCache {
    entries: parking_lot::Mutex<std::collections::HashMap<String, (i64, axum::body::Bytes)>>,
    /// One computation per key at a time: concurrent misses wait for the first.
    fills: parking_lot::Mutex<std::collections::HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// Entries kept before the cache starts over.
const CACHE_ENTRIES: usize = 2048;

impl ResponseCache {
    pub fn get(&self, key: &str, version: i64) -> Option<axum::body::Bytes> {
        self.entries
            .lock()
            .get(key)
            .filter(|(v, _)| *v == version)
            .map(|(_, b)| b.clone())
    }

    pub fn fill_lock(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut f = self.fills.lock();
        if f.len() >= CACHE_ENTRIES {
            f.retain(|_, l| Arc::strong_count(l) > 1);
        }
        f.entry(key.to_string()).or_default().clone()
    }

    pub fn put(&self, key: String, version: i64, body: axum::body::Bytes) {
        let mut e = self.entries.lock();
        if e.len() >= CACHE_ENTRIES {
            e.clear();
        }
        e.insert(key, (version, body));
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

/// An error answer: `{"error": "..."}` with a status.
pub struct ApiError(pub StatusCode, pub String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({"error": self.1}))).into_response()
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> Self {
        tracing::error!("API error: {e:#}");
        ApiError(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}"))
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
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

/// Page parameters: `page` from 1, `per_page` at most 100 (default 30).
#[derive(Debug, Clone, Copy)]
pub struct Paging {
    pub page: i64,
    pub per_page: i64,
}

impl Paging {
    pub fn from(page: Option<i64>, per_page: Option<i64>) -> ApiResult<Paging> {
        let page = page.unwrap_or(1);
        let per_page = per_page.unwrap_or(30);
        if page < 1 {
            return Err(bad_request("page starts at 1"));
        }
        if !(1..=100).contains(&per_page) {
            return Err(bad_request("per_page must be between 1 and 100"));
        }
        Ok(Paging { page, per_page })
    }
    pub fn offset(&self) -> i64 {
        (self.page - 1) * self.per_page
    }
    pub fn envelope(&self, data: Vec<serde_json::Value>, total: i64) -> serde_json::Value {
        json!({
            "data": data,
            "pagination": {"page": self.page, "per_page": self.per_page, "total": total, "pages": (total + self.per_page - 1) / self.per_page},
        })
    }
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
            let due = {
                let mut touched = state.touched.lock();
                let due = touched
                    .get(&id)
                    .is_none_or(|t| t.elapsed() > std::time::Duration::from_secs(60));
                if due {
                    touched.insert(id, Instant::now());
                }
                due
            };
            if due {
                let _ = state.store.touch_token(id).await;
            }
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
                "this needs a {} token; yours is {}",
                needed.as_str(),
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

pub fn router(state: AppState, receiver: Receiver) -> Router {
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
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), auth));
    let open = Router::new()
        .route("/health", get(ops::health))
        .route("/metrics", get(ops::metrics))
        .route("/version", get(ops::version))
        .route("/api/v1/health", get(ops::health))
        .route("/api/v1/metrics", get(ops::metrics))
        .route("/api/v1/version", get(ops::version))
        .route("/api/v1/openapi.json", get(ops::openapi));
    let webhooks = Router::new()
        .route("/webhooks/github", post(receiver::handle))
        // Bodies over 25 MB are refused with 413 before they are read in full.
        .layer(DefaultBodyLimit::max(MAX_PAYLOAD))
        .with_state(receiver);
    Router::new()
        .nest("/api/v1", api)
        .merge(open)
        .with_state(state)
        .merge(webhooks)
        .layer(axum::middleware::from_fn(observe))
}
