//! The REST API under `/api/v1` (bearer tokens), plus the open `/health`, `/metrics` and
//! `/version`, and the webhook receiver at `/webhooks/github`.

/// A page of a list, `{"data": [...], "pagination": {...}}`, as a type of its own: one
/// named schema per list in the OpenAPI document. `schema = T` documents the items as `T`
/// (for rows of the store, which carries no schemas).
macro_rules! page_of {
    ($(#[$doc:meta])* $name:ident, $item:ty $(, schema = $schema:ty)?) => {
        $(#[$doc])*
        #[derive(serde::Serialize, utoipa::ToSchema)]
        pub struct $name {
            $(#[schema(value_type = Vec<$schema>)])?
            pub data: Vec<$item>,
            pub pagination: $crate::api::Pagination,
        }
    };
}

mod documents;
mod events;
mod extract;
mod governance;
mod hierarchy;
pub(crate) mod issue_writes;
mod issues;
mod openapi;
mod ops;
mod params;
mod records;
mod resources;
pub mod usage;

pub use openapi::openapi_document;
pub use params::{Pagination, Paging};

use crate::clock::SharedClock;
pub use crate::front_door::ErrorBody;
use crate::front_door::{bounded_body, HttpLimits};
use crate::github::GitHub;
use crate::mirror::processor::Processor;
use crate::mirror::receiver::{self, Receiver};
use crate::mirror::scope::RepoScope;
use crate::store::{Scope, Store};
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::handler::Handler;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::MethodFilter;
use axum::{Json, Router};
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
    /// The one writer to GitHub (none without a GitHub token).
    pub writer: Option<crate::writer::Writer>,
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
                Json(ErrorBody {
                    error: "internal error: the server log has the details under this error_id"
                        .into(),
                    error_id: Some(error_id),
                }),
            )
                .into_response();
        }
        (
            self.0,
            Json(ErrorBody {
                error: self.1,
                error_id: None,
            }),
        )
            .into_response()
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

/// The routes of one router, and their list (method, path as the OpenAPI document writes
/// it), which a test compares with the document: an endpoint cannot be added undocumented.
struct Routes<S> {
    router: Router<S>,
    /// Where the router is nested, for the list.
    prefix: &'static str,
    listed: Vec<(Method, String)>,
}

impl<S: Clone + Send + Sync + 'static> Routes<S> {
    fn new(prefix: &'static str) -> Self {
        Routes {
            router: Router::new(),
            prefix,
            listed: Vec::new(),
        }
    }

    /// `method path` served by `handler` (a path given twice answers both methods).
    fn on<H: Handler<T, S>, T: 'static>(mut self, method: Method, path: &str, handler: H) -> Self {
        let filter = MethodFilter::try_from(method.clone()).expect("a method axum routes");
        self.router = self.router.route(path, axum::routing::on(filter, handler));
        self.listed.push((method, format!("{}{path}", self.prefix)));
        self
    }

    fn get<H: Handler<T, S>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.on(Method::GET, path, handler)
    }

    fn post<H: Handler<T, S>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.on(Method::POST, path, handler)
    }

    fn put<H: Handler<T, S>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.on(Method::PUT, path, handler)
    }

    fn patch<H: Handler<T, S>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.on(Method::PATCH, path, handler)
    }
}

/// `/api/v1`: behind a bearer token.
fn api_routes() -> Routes<AppState> {
    Routes::new("/api/v1")
        .get("/repos", resources::repos)
        .get("/issues", issues::list)
        .get("/issues/{id}", issues::get)
        .post("/issues", issue_writes::create)
        .post("/issues/create", issue_writes::create_alias)
        .patch("/issues/{id}", issue_writes::edit)
        .put("/issues/{id}", issue_writes::put)
        .put("/issues/{id}/status", issue_writes::set_status)
        .on(Method::DELETE, "/issues/{id}", issue_writes::close)
        .get("/operations/{id}", issue_writes::operation)
        .get("/sync/conflicts", issue_writes::conflicts)
        .post(
            "/sync/conflicts/{id}/resolve",
            issue_writes::resolve_conflict,
        )
        .post("/issues/{id}/comments", issue_writes::comment)
        .post("/milestones", issue_writes::create_milestone)
        .get("/milestones/{id}", issue_writes::get_milestone)
        .put("/milestones/{id}", issue_writes::edit_milestone)
        .on(
            Method::DELETE,
            "/milestones/{id}",
            issue_writes::close_milestone,
        )
        .get("/issues/{id}/comments", issues::comments)
        .get("/issues/{id}/history", issues::history)
        .get("/events", events::list)
        .get("/issues/hierarchy/{id}", hierarchy::hierarchy)
        .get("/labels", resources::labels)
        .get("/milestones", resources::milestones)
        .post("/sync/trigger", ops::trigger_sync)
        .get("/sync/status", ops::sync_status)
        .get("/sync/operations", ops::sync_operations)
        .get("/webhooks/events", ops::webhook_events)
        .get("/governance/config/{org}/{repo}", governance::get_config)
        .put("/governance/config/{org}/{repo}", governance::put_config)
        .get(
            "/governance/config/{org}/{repo}/versions",
            governance::config_versions,
        )
        .post("/governance/validate", governance::validate)
        .post("/governance/generate", governance::generate)
        .get("/governance/plans", governance::plans)
        .get("/governance/plans/{id}", governance::plan)
        .post("/governance/plans/{id}/approve", governance::approve)
        .post("/governance/plans/{id}/apply", governance::apply_plan)
        .get(
            "/governance/compliance/{org}/{repo}",
            governance::compliance,
        )
        .get("/governance/audit", governance::audit)
        .post("/webhooks/events/{id}/replay", ops::replay)
        .post("/webhooks/events/{id}/discard", ops::discard)
}

/// Open to anyone: health, metrics, version and the OpenAPI document.
fn open_routes() -> Routes<AppState> {
    Routes::new("")
        .get("/health", ops::health)
        .get("/metrics", ops::metrics)
        .get("/version", ops::version)
        .get("/api/v1/health", ops::health)
        .get("/api/v1/metrics", ops::metrics)
        .get("/api/v1/version", ops::version)
        .get("/api/v1/openapi.json", ops::openapi)
}

/// GitHub's deliveries, checked by their signature.
fn webhook_routes() -> Routes<Receiver> {
    Routes::new("").post("/webhooks/github", receiver::handle)
}

/// Every route the server answers: its method and its path as the OpenAPI document writes
/// it (`/api/v1/issues/{id}`).
pub fn routes() -> Vec<(Method, String)> {
    [
        api_routes().listed,
        open_routes().listed,
        webhook_routes().listed,
    ]
    .concat()
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
    let api = api_routes()
        .router
        // Layers run outermost last-added first: the token is checked, then the body read
        // within its bounds, then the handler runs.
        .route_layer(axum::middleware::from_fn_with_state(
            read_limits,
            bounded_body,
        ))
        .layer(DefaultBodyLimit::max(limits.max_api_body))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), auth));
    let open = open_routes().router;
    // The receiver reads its body itself: only after the signature header's form is checked.
    let webhooks = webhook_routes().router.with_state(receiver);
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
