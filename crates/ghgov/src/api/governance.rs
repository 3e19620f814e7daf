//! The governance endpoints: configuration versions, validation, plans (generate, read,
//! approve), compliance and the audit trail.

use super::documents::{document_body, documents_body, off_runtime, DocumentResult};
use super::extract::{Json, Path, Query};
use super::params::{PerPage, Positive, Whole};
use super::{bad_request, not_found, require, ApiError, ApiResult, AppState, Principal};
use crate::governance::compliance;
use crate::governance::engine::{self, check, Documents};
use crate::governance::load::config_from_value;
use crate::governance::plan::Plan;
use crate::governance::validate::validate_config;
use crate::governance::workflow::{self, PlanRequest, Planned};
use crate::mirror::RepoName;
use crate::store::governance::ApprovalError;
use crate::store::Scope;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Extension;
use serde::Deserialize;
use serde_json::{json, Value};

fn repo_of(org: &str, repo: &str) -> ApiResult<RepoName> {
    RepoName::parse(&format!("{org}/{repo}")).map_err(|e| bad_request(e.to_string()))
}

#[derive(Deserialize)]
pub struct VersionQuery {
    version: Option<Positive>,
}

pub async fn get_config(
    State(state): State<AppState>,
    Path((org, repo)): Path<(String, String)>,
    Query(q): Query<VersionQuery>,
) -> ApiResult<Json<Value>> {
    let repo = repo_of(&org, &repo)?;
    let version = q.version.map(|v| v.0);
    let found = match version {
        Some(v) => state.store.config_version(&repo.full(), v).await?,
        None => state.store.latest_config(&repo.full()).await?,
    };
    let found = found.ok_or_else(|| {
        not_found(format!(
            "no governance configuration{} for {repo}; PUT one to /api/v1/governance/config/{repo}",
            version.map(|v| format!(" version {v}")).unwrap_or_default()
        ))
    })?;
    Ok(Json(json!(found)))
}

pub async fn config_versions(
    State(state): State<AppState>,
    Path((org, repo)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let repo = repo_of(&org, &repo)?;
    let versions = state.store.config_versions(&repo.full()).await?;
    let data: Vec<Value> = versions
        .iter()
        .map(|v| json!({"version": v.version, "actor": v.actor, "created_at": v.created_at, "changes": v.changes}))
        .collect();
    Ok(Json(json!({"repository": repo.full(), "data": data})))
}

/// Stores a configuration as a new version (unless it equals the newest). The body is the
/// configuration: JSON, or YAML with a YAML content type.
pub async fn put_config(
    State(state): State<AppState>,
    Extension(scope): Extension<Scope>,
    Extension(principal): Extension<Principal>,
    Path((org, repo)): Path<(String, String)>,
    body: axum::body::Body,
) -> DocumentResult<(StatusCode, Json<Value>)> {
    require(scope, Scope::Write)?;
    let repo = repo_of(&org, &repo)?;
    let mut config = document_body(body, "configuration", &state.document_limits).await?;
    if let Value::Object(m) = &mut config {
        m.entry("organization").or_insert(json!(repo.owner));
        m.entry("repository").or_insert(json!(repo.name));
    }
    let same = config["organization"]
        .as_str()
        .is_some_and(|o| o.eq_ignore_ascii_case(&repo.owner))
        && config["repository"]
            .as_str()
            .is_some_and(|r| r.eq_ignore_ascii_case(&repo.name));
    if !same {
        return Err(bad_request(format!(
            "the configuration's organization/repository must be {repo} (the URL's)"
        ))
        .into());
    }
    let (config, report) = off_runtime(move || {
        let report = validate_config(&config);
        (config, report)
    })
    .await?;
    if !report.ok() {
        return Err(ApiError(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("the configuration is invalid:\n{}", report.render()),
        )
        .into());
    }
    let before = state
        .store
        .latest_config(&repo.full())
        .await?
        .map(|c| c.version);
    let saved = state
        .store
        .save_config(&repo.full(), &config, &principal.0)
        .await?;
    let status = if Some(saved.version) == before {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((
        status,
        Json(
            json!({"version": saved.version, "actor": saved.actor, "created_at": saved.created_at, "changes": saved.changes, "warnings": report.problems}),
        ),
    ))
}

/// A validate/generate body without its documents (`spec`, `config`), which are read on
/// their own (see `documents.rs`).
#[derive(Deserialize)]
pub struct ValidateBody {
    #[serde(default)]
    strict: bool,
    #[serde(default)]
    force: bool,
    /// Generate only: sync the repository before diffing (default true).
    refresh: Option<bool>,
}

/// The documents of a validate/generate body; the configuration defaults to the newest
/// stored version of the specification's repository.
async fn documents(
    state: &AppState,
    body: axum::body::Body,
) -> DocumentResult<(ValidateBody, Documents, Option<i64>)> {
    let (body, spec, config) = documents_body::<ValidateBody>(body, &state.document_limits).await?;
    let spec = spec.ok_or_else(|| {
        bad_request(
            "`spec` is required: the project specification (object, or YAML/JSON/Markdown text)",
        )
    })?;
    match config {
        Some(config) => Ok((body, Documents { spec, config }, None)),
        None => {
            let repo = format!(
                "{}/{}",
                spec["organization"].as_str().unwrap_or_default(),
                spec["repository"].as_str().unwrap_or_default()
            );
            let stored = state.store.latest_config(&repo).await?.ok_or_else(|| {
                bad_request(format!("no `config` in the body and none stored for {repo}: send one, or PUT it to /api/v1/governance/config/{repo}"))
            })?;
            Ok((
                body,
                Documents {
                    spec,
                    config: stored.config,
                },
                Some(stored.version),
            ))
        }
    }
}

pub async fn validate(
    State(state): State<AppState>,
    body: axum::body::Body,
) -> DocumentResult<Json<Value>> {
    let (body, docs, _) = documents(&state, body).await?;
    let report = off_runtime(move || match check(&docs, body.strict) {
        Ok(c) => c.report,
        Err(r) => r,
    })
    .await?;
    Ok(Json(json!({
        "valid": report.ok(),
        "errors": report.errors(),
        "warnings": report.warnings(),
        "problems": report.problems,
        "text": report.render(),
    })))
}

/// Plans the specification against the mirror and stores the plan.
pub async fn generate(
    State(state): State<AppState>,
    Extension(scope): Extension<Scope>,
    Extension(principal): Extension<Principal>,
    body: axum::body::Body,
) -> DocumentResult<(StatusCode, Json<Value>)> {
    require(scope, Scope::Write)?;
    let (body, docs, stored_version) = documents(&state, body).await?;
    let (strict, force, refresh) = (body.strict, body.force, body.refresh.unwrap_or(true));
    let (docs, checked) = off_runtime(move || {
        let checked = check(&docs, strict);
        (docs, checked)
    })
    .await?;
    let checked = checked.map_err(|report| {
        ApiError(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("the documents are invalid:\n{}", report.render()),
        )
    })?;
    let repo =
        engine::repository_of(&checked.spec, None).map_err(|e| bad_request(e.to_string()))?;
    // Planning syncs the repository into the mirror: only one the server mirrors.
    if !state.scope.allows(&state.store, &repo.full()).await? {
        return Err(ApiError(StatusCode::FORBIDDEN, state.scope.refusal(&repo.full())).into());
    }
    let gh = state.gh.clone().ok_or_else(|| {
        ApiError(
            StatusCode::SERVICE_UNAVAILABLE,
            "no GitHub connection is configured (--github-url, --github-token)".into(),
        )
    })?;
    let Planned { row, plan, .. } = workflow::plan(
        &state.store,
        &gh,
        PlanRequest {
            documents: &docs,
            checked: &checked,
            stored_config_version: stored_version,
            force,
            refresh,
            actor: &principal.0,
        },
    )
    .await
    .map_err(
        |e| match e.downcast_ref::<crate::governance::plan::RemovalRefused>() {
            Some(r) => ApiError(
                StatusCode::CONFLICT,
                r.to_string().replace("--force", "\"force\": true"),
            ),
            None => ApiError::from(e),
        },
    )?;
    Ok((
        StatusCode::CREATED,
        Json(
            json!({"id": row.id, "status": row.status, "needs_approval": row.needs_approval, "summary": plan.summary_line(), "plan": plan, "text": plan.render()}),
        ),
    ))
}

#[derive(Deserialize)]
pub struct PlansQuery {
    repo: String,
    per_page: Option<PerPage>,
}

pub async fn plans(
    State(state): State<AppState>,
    Query(q): Query<PlansQuery>,
) -> ApiResult<Json<Value>> {
    let repo = RepoName::parse(&q.repo).map_err(|e| bad_request(e.to_string()))?;
    let rows = state
        .store
        .plans(&repo.full(), q.per_page.map_or(30, |p| p.0))
        .await?;
    let data: Vec<Value> = rows
        .iter()
        .map(|r| json!({"id": r.id, "status": r.status, "created_by": r.created_by, "created_at": r.created_at, "approved_by": r.approved_by, "add": r.adds, "change": r.changes, "destroy": r.destroys, "needs_approval": r.needs_approval}))
        .collect();
    Ok(Json(json!({"repository": repo.full(), "data": data})))
}

pub async fn plan(State(state): State<AppState>, Path(id): Path<i64>) -> ApiResult<Json<Value>> {
    let row = state
        .store
        .plan(id)
        .await?
        .ok_or_else(|| not_found(format!("there is no plan {id}")))?;
    let text = serde_json::from_value::<Plan>(row.plan.clone())
        .map(|p| p.render())
        .unwrap_or_default();
    let journal = state.store.journal(id).await?;
    Ok(Json(
        json!({"plan_id": row.id, "text": text, "journal": journal, "record": row}),
    ))
}

pub async fn approve(
    State(state): State<AppState>,
    Extension(scope): Extension<Scope>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    // Approval is the second pair of eyes on changes to GitHub: an admin's.
    require(scope, Scope::Admin)?;
    match workflow::approve(&state.store, id, &principal.0).await {
        Ok(row) => Ok(Json(
            json!({"id": row.id, "status": row.status, "approved_by": row.approved_by, "approved_at": row.approved_at}),
        )),
        Err(e @ ApprovalError::NotFound(_)) => Err(not_found(e.to_string())),
        Err(e @ ApprovalError::SamePrincipal { .. }) => {
            Err(ApiError(StatusCode::FORBIDDEN, e.to_string()))
        }
        Err(e @ ApprovalError::NotPending { .. }) => {
            Err(ApiError(StatusCode::CONFLICT, e.to_string()))
        }
        Err(ApprovalError::Store(e)) => Err(e.into()),
    }
}

pub async fn compliance(
    State(state): State<AppState>,
    Path((org, repo)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let repo = repo_of(&org, &repo)?;
    let stored = state
        .store
        .latest_config(&repo.full())
        .await?
        .ok_or_else(|| {
            not_found(format!(
            "no governance configuration for {repo}; PUT one to /api/v1/governance/config/{repo}"
        ))
        })?;
    let config = config_from_value(&stored.config).map_err(|e| bad_request(format!("{e:#}")))?;
    let report = compliance::report(&state.store, &repo.full(), &config).await?;
    Ok(Json(json!(report)))
}

#[derive(Deserialize)]
pub struct AuditQuery {
    repo: Option<String>,
    correlation_id: Option<String>,
    per_page: Option<Whole<1, 1000>>,
}

pub async fn audit(
    State(state): State<AppState>,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Json<Value>> {
    let entries = state
        .store
        .audit_entries(
            q.repo.as_deref(),
            q.correlation_id.as_deref(),
            q.per_page.map_or(100, |p| p.0),
        )
        .await?;
    Ok(Json(json!({"data": entries})))
}
