//! Sync control, the webhook delivery log, health, metrics, version and the OpenAPI document.

use super::extract::{Json, Path, Query};
use super::params::{Page, PerPage};
use super::records::{DeliverySchema, SyncOperationSchema};
use super::{
    bad_request, not_found, require, ApiError, ApiResult, AppState, ErrorBody, Paging, Principal,
};
use crate::clock::SharedClock;
use crate::mirror::sync::{SyncKind, Syncer};
use crate::mirror::RepoName;
use crate::store::{DeliveryRow, DeliveryStatus, Requeue, Scope, SyncOperation, SyncStatus};
use axum::extract::{Extension, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;
use utoipa::{IntoParams, ToSchema};

// The fields of the answers below are in alphabetical order: the order they are written in
// (see `extract::Json`).

/// What to sync.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TriggerBody {
    /// OWNER/NAME
    repository: String,
    /// `full` or `incremental` (default)
    #[serde(default)]
    #[schema(pattern = "^(full|incremental)$")]
    sync_type: Option<String>,
    /// Add a repository outside the configured set to the mirror (admin scope only).
    #[serde(default)]
    admit: bool,
    /// `pull` (default): GitHub into the mirror; `push`: ghgov's changes to GitHub, which the
    /// server's writer sends continuously (nothing waits for a trigger); `bidirectional`: both.
    #[serde(default)]
    #[schema(pattern = "^(pull|push|bidirectional)$")]
    direction: Option<String>,
}

/// A sync started in the background.
#[derive(Serialize, ToSchema)]
pub struct SyncAccepted {
    pub accepted: bool,
    /// Whether this request added the repository to the mirrored set.
    pub admitted: bool,
    /// When the operation was recorded.
    pub created_at: String,
    /// `pull`, `push` or `bidirectional`.
    pub direction: String,
    /// The sync operation (listed at `operations`); null for a `push` alone.
    pub operation_id: Option<i64>,
    /// Where to follow the sync.
    pub operations: String,
    pub repository: String,
    /// `running` (the sync started), or `done` for a `push` alone.
    pub status: String,
    pub sync_type: String,
}

/// Start a sync of a mirrored repository (write scope)
///
/// With `"admit": true` an admin token adds a repository outside the configured set (kept,
/// and written to the audit log).
#[utoipa::path(
    post,
    path = "/api/v1/sync/trigger",
    tag = "sync",
    request_body = TriggerBody,
    security(("bearer" = ["write"])),
    responses(
        (status = 202, description = "Accepted: the sync runs in the background", body = SyncAccepted),
        (status = 403, description = "The token's scope is too small, or the repository is not mirrored (the message says how to add it)", body = ErrorBody),
        (status = 502, description = "GitHub refused a request", body = ErrorBody),
        (status = 503, description = "No GitHub connection is configured", body = ErrorBody),
    ),
)]
pub async fn trigger_sync(
    State(state): State<AppState>,
    Extension(scope): Extension<Scope>,
    Extension(principal): Extension<Principal>,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<SyncAccepted>)> {
    require(scope, Scope::Write)?;
    let body: TriggerBody = serde_json::from_slice(&body).map_err(|e| bad_request(format!("expected {{\"repository\": \"OWNER/NAME\", \"sync_type\": \"full\"|\"incremental\", \"direction\": \"pull\"|\"push\"|\"bidirectional\", \"admit\": false}}: {e}")))?;
    let direction = body.direction.as_deref().unwrap_or("pull").to_string();
    if !matches!(direction.as_str(), "pull" | "push" | "bidirectional") {
        return Err(bad_request(format!(
            "direction must be pull, push or bidirectional, got '{direction}'"
        )));
    }
    let repo = RepoName::parse(&body.repository).map_err(|e| bad_request(e.to_string()))?;
    let kind = match body.sync_type.as_deref().unwrap_or("incremental") {
        "full" => SyncKind::Full,
        "incremental" => SyncKind::Incremental,
        other => {
            return Err(bad_request(format!(
                "sync_type must be full or incremental, got '{other}'"
            )))
        }
    };
    let gh = state.gh.clone().ok_or_else(|| {
        ApiError(
            StatusCode::SERVICE_UNAVAILABLE,
            "no GitHub connection is configured (--github-url, --github-token)".into(),
        )
    })?;
    // The server's token may read far more than the operator chose to mirror.
    let mut admitted = false;
    if !state.scope.allows(&state.store, &repo.full()).await? {
        if !body.admit {
            return Err(ApiError(
                StatusCode::FORBIDDEN,
                state.scope.refusal(&repo.full()),
            ));
        }
        require(scope, Scope::Admin)?;
        admitted = state
            .store
            .admit_repository(&repo.full(), &principal.0)
            .await?;
        tracing::info!(repository = %repo, by = %principal.0, "repository admitted to the mirror");
    }
    let repo_name = repo.full();
    let created_at = crate::store::now_text();
    // A push has nothing to start: the writer sends every journaled change as it comes.
    let operation_id = if direction == "push" {
        if let Some(w) = &state.writer {
            w.wake();
        }
        None
    } else {
        let op = state.store.start_sync(kind.as_str(), &repo_name).await?;
        let syncer = Syncer::new(state.store.clone(), gh);
        tokio::spawn(async move {
            match syncer.sync_recorded(&repo, kind, op).await {
                Ok(r) => tracing::info!("{}", r.summary()),
                Err(e) => tracing::warn!(repository = %repo, "triggered sync failed: {e:#}"),
            }
        });
        Some(op)
    };
    Ok((
        StatusCode::ACCEPTED,
        Json(SyncAccepted {
            accepted: true,
            admitted,
            created_at,
            status: if operation_id.is_some() {
                "running"
            } else {
                "done"
            }
            .into(),
            direction,
            operation_id,
            operations: "/api/v1/sync/operations".into(),
            repository: repo_name,
            sync_type: kind.as_str().into(),
        }),
    ))
}

/// What the mirror knows of its repositories' syncs, and GitHub's rate limit.
#[derive(Serialize, ToSchema)]
pub struct SyncStatusReport {
    /// The last rate limit GitHub reported; null without a GitHub connection.
    pub rate_limit: Option<RateLimit>,
    pub repositories: Vec<RepositorySync>,
}

/// GitHub's rate limit as last reported (null fields: not reported yet).
#[derive(Serialize, ToSchema)]
pub struct RateLimit {
    pub limit: Option<u64>,
    pub remaining: Option<u64>,
    /// When the limit resets (Unix seconds).
    pub reset: Option<i64>,
}

/// One repository's syncs.
#[derive(Serialize, ToSchema)]
pub struct RepositorySync {
    /// Where the next incremental sync of each resource starts.
    pub cursors: BTreeMap<String, Cursor>,
    /// Its newest sync among the last 50 of all repositories.
    #[schema(value_type = Option<SyncOperationSchema>)]
    pub last_operation: Option<SyncOperation>,
    pub repository: String,
    pub running: bool,
}

/// Where a resource's incremental sync starts.
#[derive(Serialize, ToSchema)]
pub struct Cursor {
    pub since: Option<String>,
    pub updated_at: Option<String>,
}

/// Cursors and last syncs per repository, rate limit
#[utoipa::path(
    get,
    path = "/api/v1/sync/status",
    tag = "sync",
    security(("bearer" = ["read"])),
    responses((status = 200, description = "OK", body = SyncStatusReport)),
)]
pub async fn sync_status(State(state): State<AppState>) -> ApiResult<Json<SyncStatusReport>> {
    let cursors = state.store.all_cursors().await?;
    let (recent, _) = state.store.sync_operations(None, 50, 0).await?;
    let mut repos = Vec::new();
    let mut names: Vec<String> = state
        .scope
        .to_reconcile(&state.store)
        .await?
        .iter()
        .map(|r| r.full())
        .collect();
    for (repo, ..) in &cursors {
        if !names.contains(repo) {
            names.push(repo.clone());
        }
    }
    for name in names {
        let resources = cursors
            .iter()
            .filter(|c| c.0 == name && !c.1.ends_with("_full"))
            .map(|c| {
                let cursor = Cursor {
                    since: c.2.clone(),
                    updated_at: c.3.clone(),
                };
                (c.1.clone(), cursor)
            })
            .collect();
        let last = recent.iter().find(|o| o.repository == name).cloned();
        let running = recent
            .iter()
            .any(|o| o.repository == name && o.status == SyncStatus::Running);
        repos.push(RepositorySync {
            cursors: resources,
            last_operation: last,
            repository: name,
            running,
        });
    }
    let rate = state.gh.as_ref().map(|gh| {
        let s = gh.budget.snapshot();
        RateLimit {
            limit: s.limit,
            remaining: s.remaining,
            reset: s.reset,
        }
    });
    Ok(Json(SyncStatusReport {
        rate_limit: rate,
        repositories: repos,
    }))
}

page_of!(
    /// A page of sync operations, newest first.
    SyncOperationList,
    SyncOperation,
    schema = SyncOperationSchema
);

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OpsQuery {
    /// OWNER/NAME
    repository: Option<String>,
    /// Page number, 1 to 1000000
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000000)]
    page: Option<Page>,
    /// Items per page, 1 to 100 (default 30)
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    per_page: Option<PerPage>,
}

/// Sync history
#[utoipa::path(
    get,
    path = "/api/v1/sync/operations",
    tag = "sync",
    params(OpsQuery),
    security(("bearer" = ["read"])),
    responses((status = 200, description = "OK", body = SyncOperationList)),
)]
pub async fn sync_operations(
    State(state): State<AppState>,
    Query(q): Query<OpsQuery>,
) -> ApiResult<Json<SyncOperationList>> {
    let paging = Paging::from(q.page, q.per_page);
    let (ops, total) = state
        .store
        .sync_operations(q.repository.as_deref(), paging.per_page, paging.offset())
        .await?;
    Ok(Json(SyncOperationList {
        data: ops,
        pagination: paging.pagination(total),
    }))
}

page_of!(
    /// A page of stored webhook deliveries.
    DeliveryList,
    DeliveryRow,
    schema = DeliverySchema
);

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// pending, processed, failed, ignored, dead or discarded
    #[param(value_type = Option<String>, pattern = "^(pending|processed|failed|ignored|dead|discarded)$")]
    status: Option<String>,
    /// Page number, 1 to 1000000
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000000)]
    page: Option<Page>,
    /// Items per page, 1 to 100 (default 30)
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    per_page: Option<PerPage>,
}

/// Stored webhook deliveries
#[utoipa::path(
    get,
    path = "/api/v1/webhooks/events",
    tag = "webhooks",
    params(EventsQuery),
    security(("bearer" = ["read"])),
    responses((status = 200, description = "OK", body = DeliveryList)),
)]
pub async fn webhook_events(
    State(state): State<AppState>,
    Query(q): Query<EventsQuery>,
) -> ApiResult<Json<DeliveryList>> {
    let paging = Paging::from(q.page, q.per_page);
    let status = match q.status.as_deref() {
        None => None,
        Some(s) => Some(DeliveryStatus::parse(s).ok_or_else(|| {
            bad_request(format!(
                "status must be pending, processed, failed, ignored or dead, got '{s}'"
            ))
        })?),
    };
    let (rows, total) = state
        .store
        .list_deliveries(status, paging.per_page, paging.offset())
        .await?;
    Ok(Json(DeliveryList {
        data: rows,
        pagination: paging.pagination(total),
    }))
}

/// A delivery queued again.
#[derive(Serialize, ToSchema)]
pub struct Replayed {
    /// The delivery's row id.
    pub replayed: i64,
    /// `pending`
    pub status: String,
}

/// Queue a delivery again (write scope)
#[utoipa::path(
    post,
    path = "/api/v1/webhooks/events/{id}/replay",
    tag = "webhooks",
    params(("id" = i64, Path, description = "Delivery row id")),
    security(("bearer" = ["write"])),
    responses(
        (status = 202, description = "Accepted: queued again", body = Replayed),
        (status = 403, description = "The token's scope is too small", body = ErrorBody),
        (status = 404, description = "No such delivery", body = ErrorBody),
        (status = 409, description = "Its payload was dropped by retention", body = ErrorBody),
    ),
)]
pub async fn replay(
    State(state): State<AppState>,
    Extension(scope): Extension<Scope>,
    Path(id): Path<i64>,
) -> ApiResult<(StatusCode, Json<Replayed>)> {
    require(scope, Scope::Write)?;
    match state.store.replay_delivery(id).await? {
        Requeue::Done => {}
        Requeue::NotFound => return Err(not_found(format!("no webhook event with id {id}"))),
        Requeue::Refused(why) => return Err(ApiError(StatusCode::CONFLICT, why)),
    }
    state.processor.wake.notify_one();
    Ok((
        StatusCode::ACCEPTED,
        Json(Replayed {
            replayed: id,
            status: "pending".into(),
        }),
    ))
}

/// A delivery given up on.
#[derive(Serialize, ToSchema)]
pub struct Discarded {
    /// The delivery's row id.
    pub discarded: i64,
    /// `discarded`
    pub status: String,
}

/// Give up on a dead or failing delivery: it is listed as discarded, and retention may drop its payload (write scope)
#[utoipa::path(
    post,
    path = "/api/v1/webhooks/events/{id}/discard",
    tag = "webhooks",
    params(("id" = i64, Path, description = "Delivery row id")),
    security(("bearer" = ["write"])),
    responses(
        (status = 200, description = "Discarded", body = Discarded),
        (status = 403, description = "The token's scope is too small", body = ErrorBody),
        (status = 404, description = "No such delivery", body = ErrorBody),
        (status = 409, description = "The delivery is not dead or failing", body = ErrorBody),
    ),
)]
pub async fn discard(
    State(state): State<AppState>,
    Extension(scope): Extension<Scope>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Discarded>> {
    require(scope, Scope::Write)?;
    let now = crate::store::timestamp(state.clock.now());
    match state.store.discard_delivery(id, &now).await? {
        Requeue::Done => Ok(Json(Discarded {
            discarded: id,
            status: "discarded".into(),
        })),
        Requeue::NotFound => Err(not_found(format!("no webhook event with id {id}"))),
        Requeue::Refused(why) => Err(ApiError(StatusCode::CONFLICT, why)),
    }
}

/// How long `/health` reuses its GitHub check: the endpoint is open, and each check costs a
/// GitHub request.
pub const HEALTH_GITHUB_TTL: Duration = Duration::from_secs(30);

/// The last GitHub check. Callers arriving while a check runs wait for it rather than
/// starting their own.
#[derive(Default)]
pub struct HealthCache(tokio::sync::Mutex<Option<(chrono::DateTime<chrono::Utc>, GitHubCheck)>>);

impl HealthCache {
    async fn github(&self, gh: &crate::github::GitHub, clock: &SharedClock) -> GitHubCheck {
        let mut last = self.0.lock().await;
        let now = clock.now();
        if let Some((at, v)) = &*last {
            if (now - *at)
                .to_std()
                .is_ok_and(|age| age < HEALTH_GITHUB_TTL)
            {
                return v.clone();
            }
        }
        let checked = match tokio::time::timeout(Duration::from_secs(3), gh.rate_limit()).await {
            Ok(Ok(_)) => GitHubCheck {
                error: None,
                rate_limit_remaining: Some(gh.budget.snapshot().remaining),
                status: CheckStatus::Ok,
            },
            Ok(Err(e)) => GitHubCheck::error(e.to_string()),
            Err(_) => GitHubCheck::error("timed out after 3s".into()),
        };
        *last = Some((now, checked.clone()));
        checked
    }
}

/// The server's health: `unhealthy` (503) when the database does not answer, `degraded`
/// when GitHub does not.
#[derive(Serialize, ToSchema)]
pub struct Health {
    pub checks: Checks,
    /// Deliveries pending or waiting for a retry (-1: unknown).
    pub queue_depth: i64,
    pub status: Overall,
}

#[derive(Serialize, ToSchema, PartialEq, Eq, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub enum Overall {
    Healthy,
    Degraded,
    Unhealthy,
}

#[derive(Serialize, ToSchema)]
pub struct Checks {
    pub database: DatabaseCheck,
    pub github: GitHubCheck,
}

#[derive(Serialize, ToSchema, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Ok,
    Error,
    /// No GitHub connection is configured.
    NotConfigured,
}

/// The database: `ok` with its backend, or `error` with what went wrong.
#[derive(Serialize, ToSchema)]
pub struct DatabaseCheck {
    /// `sqlite` or `postgres` (when ok).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub status: CheckStatus,
}

/// GitHub (checked at most every 30 s): `ok` with the remaining rate limit, `error` with
/// what went wrong, or `not_configured`.
#[derive(Serialize, ToSchema, Clone)]
pub struct GitHubCheck {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// When ok: the requests left (null when GitHub did not say).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<u64>)]
    pub rate_limit_remaining: Option<Option<u64>>,
    pub status: CheckStatus,
}

impl GitHubCheck {
    fn error(error: String) -> Self {
        GitHubCheck {
            error: Some(error),
            rate_limit_remaining: None,
            status: CheckStatus::Error,
        }
    }
}

/// Database and GitHub checks
#[utoipa::path(
    get,
    path = "/health",
    tag = "server",
    security(()),
    responses(
        (status = 200, description = "Healthy or degraded", body = Health),
        (status = 503, description = "Unhealthy", body = Health),
    ),
)]
pub async fn health(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let db = state.store.ping().await;
    let github = match &state.gh {
        None => GitHubCheck {
            error: None,
            rate_limit_remaining: None,
            status: CheckStatus::NotConfigured,
        },
        Some(gh) => state.health.github(gh, &state.clock).await,
    };
    let pending = state.store.unsettled_deliveries().await.unwrap_or(-1);
    let overall = match (&db, github.status) {
        (Err(_), _) => Overall::Unhealthy,
        (Ok(()), CheckStatus::Error) => Overall::Degraded,
        _ => Overall::Healthy,
    };
    let code = if overall == Overall::Unhealthy {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    let database = match &db {
        Ok(()) => DatabaseCheck {
            backend: Some(format!("{:?}", state.store.backend).to_lowercase()),
            error: None,
            status: CheckStatus::Ok,
        },
        Err(e) => DatabaseCheck {
            backend: None,
            error: Some(format!("{e:#}")),
            status: CheckStatus::Error,
        },
    };
    let body = Health {
        checks: Checks { database, github },
        queue_depth: pending,
        status: overall,
    };
    (code, Json(body))
}

/// Prometheus metrics
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "server",
    security(()),
    responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain")),
)]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    // Gauges that live in the database are read at scrape time.
    if let Ok(counts) = state.store.delivery_counts().await {
        for s in DeliveryStatus::ALL {
            let n = counts
                .iter()
                .find(|(k, _)| k == s.as_str())
                .map_or(0, |(_, n)| *n);
            metrics::gauge!("ghgov_deliveries", "status" => s.as_str()).set(n as f64);
        }
        let pending: i64 = counts
            .iter()
            .filter(|(k, _)| k == "pending" || k == "failed")
            .map(|(_, n)| *n)
            .sum();
        metrics::gauge!("ghgov_delivery_queue_depth").set(pending as f64);
    }
    if let Some(gh) = &state.gh {
        if let Some(r) = gh.budget.snapshot().remaining {
            metrics::gauge!("ghgov_github_rate_limit_remaining").set(r as f64);
        }
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
}

/// The server's name and version.
#[derive(Serialize, ToSchema)]
pub struct Version {
    /// `ghgov`
    pub name: String,
    pub version: String,
}

/// Name and version
#[utoipa::path(
    get,
    path = "/version",
    tag = "server",
    security(()),
    responses((status = 200, description = "OK", body = Version)),
)]
pub async fn version() -> Json<Version> {
    Json(Version {
        name: "ghgov".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

/// This document
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "server",
    security(()),
    responses((status = 200, description = "The OpenAPI document of this API", body = serde_json::Value)),
)]
pub async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        super::openapi::document_text(),
    )
}
