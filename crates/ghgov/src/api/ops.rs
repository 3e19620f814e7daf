//! Sync control, the webhook delivery log, health, metrics, version and the OpenAPI document.

use super::extract::{Json, Path, Query};
use super::params::{Page, PerPage};
use super::{bad_request, not_found, require, ApiError, ApiResult, AppState, Paging, Principal};
use crate::clock::SharedClock;
use crate::mirror::sync::{SyncKind, Syncer};
use crate::mirror::RepoName;
use crate::store::{DeliveryStatus, Requeue, Scope, SyncStatus};
use axum::extract::{Extension, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{json, Value};
use std::time::Duration;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriggerBody {
    repository: String,
    #[serde(default)]
    sync_type: Option<String>,
    /// Add a repository outside the configured set to the mirror (admin scope only).
    #[serde(default)]
    admit: bool,
}

pub async fn trigger_sync(
    State(state): State<AppState>,
    Extension(scope): Extension<Scope>,
    Extension(principal): Extension<Principal>,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    require(scope, Scope::Write)?;
    let body: TriggerBody = serde_json::from_slice(&body).map_err(|e| bad_request(format!("expected {{\"repository\": \"OWNER/NAME\", \"sync_type\": \"full\"|\"incremental\", \"admit\": false}}: {e}")))?;
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
    let syncer = Syncer::new(state.store.clone(), gh);
    let repo_name = repo.full();
    tokio::spawn(async move {
        match syncer.sync(&repo, kind).await {
            Ok(r) => tracing::info!("{}", r.summary()),
            Err(e) => tracing::warn!(repository = %repo, "triggered sync failed: {e:#}"),
        }
    });
    Ok((
        StatusCode::ACCEPTED,
        Json(
            json!({"accepted": true, "repository": repo_name, "sync_type": kind.as_str(), "admitted": admitted, "operations": "/api/v1/sync/operations"}),
        ),
    ))
}

pub async fn sync_status(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let cursors = state.store.all_cursors().await?;
    let (recent, _) = state.store.sync_operations(None, 50, 0).await?;
    let mut repos: Vec<Value> = Vec::new();
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
        let resources: serde_json::Map<String, Value> = cursors
            .iter()
            .filter(|c| c.0 == name && !c.1.ends_with("_full"))
            .map(|c| (c.1.clone(), json!({"since": c.2, "updated_at": c.3})))
            .collect();
        let last = recent.iter().find(|o| o.repository == name);
        let running = recent
            .iter()
            .any(|o| o.repository == name && o.status == SyncStatus::Running);
        repos.push(json!({"repository": name, "running": running, "last_operation": last, "cursors": resources}));
    }
    let rate = state.gh.as_ref().map(|gh| {
        let s = gh.budget.snapshot();
        json!({"limit": s.limit, "remaining": s.remaining, "reset": s.reset})
    });
    Ok(Json(json!({"repositories": repos, "rate_limit": rate})))
}

#[derive(Deserialize)]
pub struct OpsQuery {
    repository: Option<String>,
    page: Option<Page>,
    per_page: Option<PerPage>,
}

pub async fn sync_operations(
    State(state): State<AppState>,
    Query(q): Query<OpsQuery>,
) -> ApiResult<Json<Value>> {
    let paging = Paging::from(q.page, q.per_page);
    let (ops, total) = state
        .store
        .sync_operations(q.repository.as_deref(), paging.per_page, paging.offset())
        .await?;
    Ok(Json(
        paging.envelope(
            ops.into_iter()
                .map(|o| serde_json::to_value(o).unwrap_or_default())
                .collect(),
            total,
        ),
    ))
}

#[derive(Deserialize)]
pub struct EventsQuery {
    status: Option<String>,
    page: Option<Page>,
    per_page: Option<PerPage>,
}

pub async fn webhook_events(
    State(state): State<AppState>,
    Query(q): Query<EventsQuery>,
) -> ApiResult<Json<Value>> {
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
    Ok(Json(
        paging.envelope(
            rows.into_iter()
                .map(|r| serde_json::to_value(r).unwrap_or_default())
                .collect(),
            total,
        ),
    ))
}

pub async fn replay(
    State(state): State<AppState>,
    Extension(scope): Extension<Scope>,
    Path(id): Path<i64>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    require(scope, Scope::Write)?;
    match state.store.replay_delivery(id).await? {
        Requeue::Done => {}
        Requeue::NotFound => return Err(not_found(format!("no webhook event with id {id}"))),
        Requeue::Refused(why) => return Err(ApiError(StatusCode::CONFLICT, why)),
    }
    state.processor.wake.notify_one();
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"replayed": id, "status": "pending"})),
    ))
}

/// Gives up on a dead delivery (it stays listed, as `discarded`).
pub async fn discard(
    State(state): State<AppState>,
    Extension(scope): Extension<Scope>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    require(scope, Scope::Write)?;
    let now = crate::store::timestamp(state.clock.now());
    match state.store.discard_delivery(id, &now).await? {
        Requeue::Done => Ok(Json(json!({"discarded": id, "status": "discarded"}))),
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
pub struct HealthCache(tokio::sync::Mutex<Option<(chrono::DateTime<chrono::Utc>, Value)>>);

impl HealthCache {
    async fn github(&self, gh: &crate::github::GitHub, clock: &SharedClock) -> Value {
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
        let checked = match tokio::time::timeout(
            Duration::from_secs(3),
            gh.get("/rate_limit", false),
        )
        .await
        {
            Ok(Ok(_)) => {
                json!({"status": "ok", "rate_limit_remaining": gh.budget.snapshot().remaining})
            }
            Ok(Err(e)) => json!({"status": "error", "error": e.to_string()}),
            Err(_) => json!({"status": "error", "error": "timed out after 3s"}),
        };
        *last = Some((now, checked.clone()));
        checked
    }
}

pub async fn health(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let db = state.store.ping().await;
    let github = match &state.gh {
        None => json!({"status": "not_configured"}),
        Some(gh) => state.health.github(gh, &state.clock).await,
    };
    let pending = state.store.unsettled_deliveries().await.unwrap_or(-1);
    let overall = match (&db, github["status"].as_str()) {
        (Err(_), _) => "unhealthy",
        (Ok(()), Some("error")) => "degraded",
        _ => "healthy",
    };
    let code = if overall == "unhealthy" {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    let body = json!({
        "status": overall,
        "checks": {
            "database": match &db { Ok(()) => json!({"status": "ok", "backend": format!("{:?}", state.store.backend).to_lowercase()}), Err(e) => json!({"status": "error", "error": format!("{e:#}")}) },
            "github": github,
        },
        "queue_depth": pending,
    });
    (code, Json(body))
}

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

pub async fn version() -> Json<Value> {
    Json(json!({"name": "ghgov", "version": env!("CARGO_PKG_VERSION")}))
}

pub async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("openapi.json"),
    )
}
