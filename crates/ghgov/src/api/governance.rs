//! The governance endpoints: configuration versions, validation, plans (generate, read,
//! approve), compliance and the audit trail.

use super::documents::DocumentLimitError;
use super::documents::{document_body, documents_body, off_runtime, DocumentResult};
use super::extract::{Json, Path, Query};
use super::params::{PerPage, Positive, Whole};
use super::records::{
    AuditEntrySchema, ConfigVersionSchema, JournalStepSchema, PlanRecordSchema, PlanStatus,
};
use super::{bad_request, not_found, require, ApiError, ApiResult, AppState, ErrorBody, Principal};
use crate::governance::compliance::{self, ComplianceReport};
use crate::governance::engine::{self, check, Documents};
use crate::governance::load::config_from_value;
use crate::governance::plan::Plan;
use crate::governance::problems::Problem;
use crate::governance::validate::validate_config;
use crate::governance::workflow::{self, PlanRequest, Planned};
use crate::mirror::RepoName;
use crate::store::governance::{ApprovalError, AuditEntry, ConfigVersion, JournalRow, PlanRow};
use crate::store::Scope;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Extension;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};

// The fields of the answers below are in alphabetical order: the order they are written in
// (see `extract::Json`).

fn repo_of(org: &str, repo: &str) -> ApiResult<RepoName> {
    RepoName::parse(&format!("{org}/{repo}")).map_err(|e| bad_request(e.to_string()))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VersionQuery {
    /// Configuration version, from 1 (default: the newest)
    #[param(value_type = Option<i64>, minimum = 1)]
    version: Option<Positive>,
}

/// The newest governance configuration version (or ?version=N)
#[utoipa::path(
    get,
    path = "/api/v1/governance/config/{org}/{repo}",
    tag = "governance",
    params(
        ("org" = String, Path, description = "The repository's owner"),
        ("repo" = String, Path, description = "The repository's name"),
        VersionQuery,
    ),
    security(("bearer" = ["read"])),
    responses(
        (status = 200, description = "OK", body = ConfigVersionSchema),
        (status = 404, description = "No configuration (or no such version) for the repository", body = ErrorBody),
    ),
)]
pub async fn get_config(
    State(state): State<AppState>,
    Path((org, repo)): Path<(String, String)>,
    Query(q): Query<VersionQuery>,
) -> ApiResult<Json<ConfigVersion>> {
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
    Ok(Json(found))
}

/// A repository's configuration versions.
#[derive(Serialize, ToSchema)]
pub struct ConfigVersions {
    /// Newest first.
    pub data: Vec<VersionSummary>,
    pub repository: String,
}

/// A configuration version without its configuration: who stored it, when, and which
/// parts changed.
#[derive(Serialize, ToSchema)]
pub struct VersionSummary {
    pub actor: String,
    /// Top-level parts that differ from the previous version.
    pub changes: Vec<String>,
    pub created_at: String,
    pub version: i64,
}

/// Every configuration version, newest first (who, when, which parts changed)
#[utoipa::path(
    get,
    path = "/api/v1/governance/config/{org}/{repo}/versions",
    tag = "governance",
    params(
        ("org" = String, Path, description = "The repository's owner"),
        ("repo" = String, Path, description = "The repository's name"),
    ),
    security(("bearer" = ["read"])),
    responses((status = 200, description = "OK", body = ConfigVersions)),
)]
pub async fn config_versions(
    State(state): State<AppState>,
    Path((org, repo)): Path<(String, String)>,
) -> ApiResult<Json<ConfigVersions>> {
    let repo = repo_of(&org, &repo)?;
    let versions = state.store.config_versions(&repo.full()).await?;
    let data = versions
        .into_iter()
        .map(|v| VersionSummary {
            actor: v.actor,
            changes: v.changes,
            created_at: v.created_at,
            version: v.version,
        })
        .collect();
    Ok(Json(ConfigVersions {
        data,
        repository: repo.full(),
    }))
}

/// A configuration as stored.
#[derive(Serialize, ToSchema)]
pub struct SavedConfig {
    pub actor: String,
    /// Top-level parts that differ from the previous version.
    pub changes: Vec<String>,
    pub created_at: String,
    pub version: i64,
    /// What validation found short of an error.
    pub warnings: Vec<Problem>,
}

/// Store a configuration (JSON or YAML body) as a new version (write scope)
///
/// Stores a configuration as a new version (unless it equals the newest). The body is the
/// configuration: JSON, or YAML with a YAML content type.
#[utoipa::path(
    put,
    path = "/api/v1/governance/config/{org}/{repo}",
    tag = "governance",
    params(
        ("org" = String, Path, description = "The repository's owner"),
        ("repo" = String, Path, description = "The repository's name"),
    ),
    request_body(
        description = "The governance configuration",
        content(
            (HashMap<String, Value> = "application/json"),
            (String = "application/yaml"),
        ),
    ),
    security(("bearer" = ["write"])),
    responses(
        (status = 200, description = "Equal to the newest version, which is kept", body = SavedConfig),
        (status = 201, description = "Stored as a new version", body = SavedConfig),
        (status = 403, description = "The token's scope is too small", body = ErrorBody),
        (status = 413, description = "A document, or the body, is larger than --max-document-bytes allows (a body holding two documents, twice that): a DocumentLimitError; a body past every limit: an Error", body = DocumentFailure),
        (status = 422, description = "The configuration is invalid (an Error), or went past a limit (a DocumentLimitError)", body = DocumentFailure),
    ),
)]
pub async fn put_config(
    State(state): State<AppState>,
    Extension(scope): Extension<Scope>,
    Extension(principal): Extension<Principal>,
    Path((org, repo)): Path<(String, String)>,
    body: axum::body::Body,
) -> DocumentResult<(StatusCode, Json<SavedConfig>)> {
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
        Json(SavedConfig {
            actor: saved.actor,
            changes: saved.changes,
            created_at: saved.created_at,
            version: saved.version,
            warnings: report.problems,
        }),
    ))
}

/// A 422 of an endpoint reading documents: the documents are invalid, or one went past a
/// limit.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum DocumentFailure {
    Invalid(ErrorBody),
    Limit(DocumentLimitError),
}

/// The documents of a validate or generate request, and how to treat them.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct DocumentsRequest {
    /// The project specification: an object, or YAML/JSON/Markdown text
    spec: DocumentInput,
    /// The governance configuration; default: the newest stored version
    config: Option<DocumentInput>,
    /// Warnings count as errors
    #[serde(default)]
    strict: bool,
    /// Generate only: allow removing more than 25% of an authoritative kind
    #[serde(default)]
    force: bool,
    /// Generate only: sync the repository before diffing (default true)
    refresh: Option<bool>,
}

/// A document: an object, or text holding YAML, JSON or Markdown.
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum DocumentInput {
    Object(HashMap<String, Value>),
    Text(String),
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

/// What validation found.
#[derive(Serialize, ToSchema)]
pub struct ValidationReport {
    /// How many problems are errors.
    pub errors: usize,
    pub problems: Vec<Problem>,
    /// The problems as text.
    pub text: String,
    /// No errors (with `strict`, no warnings either).
    pub valid: bool,
    /// How many problems are warnings.
    pub warnings: usize,
}

/// Validate a specification and configuration: every problem with path, code, message and hint
#[utoipa::path(
    post,
    path = "/api/v1/governance/validate",
    tag = "governance",
    request_body = DocumentsRequest,
    security(("bearer" = ["read"])),
    responses(
        (status = 200, description = "The report (valid or not)", body = ValidationReport),
        (status = 413, description = "A document, or the body, is larger than --max-document-bytes allows (a body holding two documents, twice that): a DocumentLimitError; a body past every limit: an Error", body = DocumentFailure),
        (status = 422, description = "A document would expand past --max-document-nodes or --max-document-bytes, nests deeper than --max-document-depth, or took longer than --document-parse-timeout-ms to read", body = DocumentLimitError),
    ),
)]
pub async fn validate(
    State(state): State<AppState>,
    body: axum::body::Body,
) -> DocumentResult<Json<ValidationReport>> {
    let (body, docs, _) = documents(&state, body).await?;
    let report = off_runtime(move || match check(&docs, body.strict) {
        Ok(c) => c.report,
        Err(r) => r,
    })
    .await?;
    Ok(Json(ValidationReport {
        errors: report.errors(),
        text: report.render(),
        valid: report.ok(),
        warnings: report.warnings(),
        problems: report.problems,
    }))
}

/// A stored plan.
#[derive(Serialize, ToSchema)]
pub struct PlanCreated {
    pub id: i64,
    /// What needs an admin's approval before the plan may be applied.
    pub needs_approval: Vec<String>,
    /// The changes to make on GitHub.
    #[schema(value_type = Object)]
    pub plan: Plan,
    #[schema(value_type = PlanStatus)]
    pub status: crate::store::governance::PlanStatus,
    /// `N to add, N to change, N to destroy`.
    pub summary: String,
    /// The plan as text.
    pub text: String,
}

/// Plan the specification against the mirror and store the plan (write scope)
#[utoipa::path(
    post,
    path = "/api/v1/governance/generate",
    tag = "governance",
    request_body = DocumentsRequest,
    security(("bearer" = ["write"])),
    responses(
        (status = 201, description = "The plan, stored", body = PlanCreated),
        (status = 403, description = "The token's scope is too small, or the specification's repository is not mirrored", body = ErrorBody),
        (status = 409, description = "The plan would remove more than 25% of an authoritative kind (send \"force\": true)", body = ErrorBody),
        (status = 413, description = "A document, or the body, is larger than --max-document-bytes allows (a body holding two documents, twice that): a DocumentLimitError; a body past every limit: an Error", body = DocumentFailure),
        (status = 422, description = "The documents are invalid (an Error), or a document went past a limit (a DocumentLimitError)", body = DocumentFailure),
        (status = 502, description = "GitHub refused a request", body = ErrorBody),
        (status = 503, description = "No GitHub connection is configured", body = ErrorBody),
    ),
)]
pub async fn generate(
    State(state): State<AppState>,
    Extension(scope): Extension<Scope>,
    Extension(principal): Extension<Principal>,
    body: axum::body::Body,
) -> DocumentResult<(StatusCode, Json<PlanCreated>)> {
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
        Json(PlanCreated {
            id: row.id,
            needs_approval: row.needs_approval,
            summary: plan.summary_line(),
            text: plan.render(),
            plan,
            status: row.status,
        }),
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlansQuery {
    /// OWNER/NAME
    repo: String,
    /// Plans, 1 to 100 (default 30), newest first
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    per_page: Option<PerPage>,
}

/// A repository's stored plans.
#[derive(Serialize, ToSchema)]
pub struct PlanList {
    /// Newest first.
    pub data: Vec<PlanSummary>,
    pub repository: String,
}

/// A stored plan without its changes.
#[derive(Serialize, ToSchema)]
pub struct PlanSummary {
    /// Objects to add.
    pub add: i64,
    pub approved_by: Option<String>,
    /// Objects to change.
    pub change: i64,
    pub created_at: String,
    pub created_by: String,
    /// Objects to remove.
    pub destroy: i64,
    pub id: i64,
    pub needs_approval: Vec<String>,
    #[schema(value_type = PlanStatus)]
    pub status: crate::store::governance::PlanStatus,
}

/// Stored plans of a repository
#[utoipa::path(
    get,
    path = "/api/v1/governance/plans",
    tag = "governance",
    params(PlansQuery),
    security(("bearer" = ["read"])),
    responses((status = 200, description = "OK", body = PlanList)),
)]
pub async fn plans(
    State(state): State<AppState>,
    Query(q): Query<PlansQuery>,
) -> ApiResult<Json<PlanList>> {
    let repo = RepoName::parse(&q.repo).map_err(|e| bad_request(e.to_string()))?;
    let rows = state
        .store
        .plans(&repo.full(), q.per_page.map_or(30, |p| p.0))
        .await?;
    let data = rows
        .into_iter()
        .map(|r| PlanSummary {
            add: r.adds,
            approved_by: r.approved_by,
            change: r.changes,
            created_at: r.created_at,
            created_by: r.created_by,
            destroy: r.destroys,
            id: r.id,
            needs_approval: r.needs_approval,
            status: r.status,
        })
        .collect();
    Ok(Json(PlanList {
        data,
        repository: repo.full(),
    }))
}

/// A stored plan, its text and its apply journal.
#[derive(Serialize, ToSchema)]
pub struct PlanDetail {
    /// The steps of applying it, so far.
    #[schema(value_type = Vec<JournalStepSchema>)]
    pub journal: Vec<JournalRow>,
    pub plan_id: i64,
    #[schema(value_type = PlanRecordSchema)]
    pub record: PlanRow,
    /// The plan as text.
    pub text: String,
}

/// One plan, its text and its apply journal
#[utoipa::path(
    get,
    path = "/api/v1/governance/plans/{id}",
    tag = "governance",
    params(("id" = i64, Path, description = "Plan id")),
    security(("bearer" = ["read"])),
    responses(
        (status = 200, description = "OK", body = PlanDetail),
        (status = 404, description = "No such plan", body = ErrorBody),
    ),
)]
pub async fn plan(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Json<PlanDetail>> {
    let row = state
        .store
        .plan(id)
        .await?
        .ok_or_else(|| not_found(format!("there is no plan {id}")))?;
    let text = serde_json::from_value::<Plan>(row.plan.clone())
        .map(|p| p.render())
        .unwrap_or_default();
    let journal = state.store.journal(id).await?;
    Ok(Json(PlanDetail {
        journal,
        plan_id: row.id,
        record: row,
        text,
    }))
}

/// A plan approved.
#[derive(Serialize, ToSchema)]
pub struct Approved {
    pub approved_at: Option<String>,
    pub approved_by: Option<String>,
    pub id: i64,
    #[schema(value_type = PlanStatus)]
    pub status: crate::store::governance::PlanStatus,
}

/// Approve a pending plan as this token's principal (admin scope; not the plan's creator)
#[utoipa::path(
    post,
    path = "/api/v1/governance/plans/{id}/approve",
    tag = "governance",
    params(("id" = i64, Path, description = "Plan id")),
    security(("bearer" = ["admin"])),
    responses(
        (status = 200, description = "Approved", body = Approved),
        (status = 403, description = "The token is not an admin's, or its principal created the plan", body = ErrorBody),
        (status = 404, description = "No such plan", body = ErrorBody),
        (status = 409, description = "The plan is not pending approval", body = ErrorBody),
    ),
)]
pub async fn approve(
    State(state): State<AppState>,
    Extension(scope): Extension<Scope>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Approved>> {
    // Approval is the second pair of eyes on changes to GitHub: an admin's.
    require(scope, Scope::Admin)?;
    match workflow::approve(&state.store, id, &principal.0).await {
        Ok(row) => Ok(Json(Approved {
            approved_at: row.approved_at,
            approved_by: row.approved_by,
            id: row.id,
            status: row.status,
        })),
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

/// Apply an approved plan on GitHub through the server's writer (write scope)
///
/// The same checks as `ghgov apply --plan`: a stale plan or one waiting for approval is
/// refused at once. The apply runs as an operation of the server's one writer (resumed after
/// a stop); the answer is the operation, `done` when it finished within a few seconds.
#[utoipa::path(
    post,
    path = "/api/v1/governance/plans/{id}/apply",
    tag = "governance",
    params(("id" = i64, Path, description = "Plan id")),
    security(("bearer" = ["write"])),
    responses(
        (status = 200, description = "Applied (or applied before)", body = super::issue_writes::OperationView),
        (status = 202, description = "Applying: follow the operation", body = super::issue_writes::OperationView),
        (status = 403, description = "The token's scope is too small", body = ErrorBody),
        (status = 404, description = "No such plan", body = ErrorBody),
        (status = 409, description = "The plan is stale, or waits for approval", body = ErrorBody),
        (status = 502, description = "GitHub refused a change; applying again resumes", body = ErrorBody),
        (status = 503, description = "The server has no GitHub token", body = ErrorBody),
    ),
)]
pub async fn apply_plan(
    State(state): State<AppState>,
    Extension(scope): Extension<Scope>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<i64>,
) -> ApiResult<axum::response::Response> {
    require(scope, Scope::Write)?;
    match workflow::check_applicable(&state.store, id).await {
        Ok(()) => {}
        Err(e @ workflow::ApplyError::NotFound(_)) => return Err(not_found(e.to_string())),
        Err(
            e @ (workflow::ApplyError::Stale { .. } | workflow::ApplyError::NeedsApproval { .. }),
        ) => return Err(ApiError(StatusCode::CONFLICT, e.to_string())),
        Err(e) => return Err(anyhow::Error::from(e).into()),
    }
    let row = state
        .store
        .plan(id)
        .await?
        .ok_or_else(|| not_found(format!("there is no plan {id}")))?;
    let repo = RepoName::parse(&row.repository).map_err(|e| bad_request(e.to_string()))?;
    super::issue_writes::queue_and_follow(
        &state,
        &repo,
        &crate::writer::Change::ApplyPlan { plan_id: id },
        &principal.0,
    )
    .await
}

/// Compliance of the governed issues: shares per rule, violations with links and fixes
#[utoipa::path(
    get,
    path = "/api/v1/governance/compliance/{org}/{repo}",
    tag = "governance",
    params(
        ("org" = String, Path, description = "The repository's owner"),
        ("repo" = String, Path, description = "The repository's name"),
    ),
    security(("bearer" = ["read"])),
    responses(
        (status = 200, description = "OK", body = ComplianceReport),
        (status = 404, description = "No configuration for the repository", body = ErrorBody),
    ),
)]
pub async fn compliance(
    State(state): State<AppState>,
    Path((org, repo)): Path<(String, String)>,
) -> ApiResult<Json<ComplianceReport>> {
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
    Ok(Json(report))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// OWNER/NAME
    repo: Option<String>,
    /// The entries of one change (an apply, an approval)
    correlation_id: Option<String>,
    /// Entries, 1 to 1000 (default 100), newest first
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000)]
    per_page: Option<Whole<1, 1000>>,
}

/// Entries of the audit trail.
#[derive(Serialize, ToSchema)]
pub struct AuditTrail {
    #[schema(value_type = Vec<AuditEntrySchema>)]
    pub data: Vec<AuditEntry>,
}

/// The audit trail
#[utoipa::path(
    get,
    path = "/api/v1/governance/audit",
    tag = "governance",
    params(AuditQuery),
    security(("bearer" = ["read"])),
    responses((status = 200, description = "OK", body = AuditTrail)),
)]
pub async fn audit(
    State(state): State<AppState>,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Json<AuditTrail>> {
    let entries = state
        .store
        .audit_entries(
            q.repo.as_deref(),
            q.correlation_id.as_deref(),
            q.per_page.map_or(100, |p| p.0),
        )
        .await?;
    Ok(Json(AuditTrail { data: entries }))
}
