//! Changes to issues through the API: each becomes an operation of the one writer
//! (`crate::writer`), journaled before anything is sent. The answer is the issue as GitHub
//! confirmed it when that happens within a short wait (201 for a create, 200 for an edit),
//! otherwise 202 with the operation to follow at `GET /api/v1/operations/{id}`.

use super::extract::{Json, Path};
use super::issues::{detail, etag_of, IssueDetail};
use super::{bad_request, not_found, require, ApiError, ApiResult, AppState, ErrorBody, Principal};
use crate::store::operations::{OperationRow, OperationStatus};
use crate::store::{RepoName, Scope};
use crate::tracking::Status;
use crate::writer::merge::IssueSnapshot;
use crate::writer::{Change, IssueEdit, Writer};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use utoipa::ToSchema;

/// How long a write request waits for GitHub's confirmation before answering 202.
const CONFIRMATION_WAIT: Duration = Duration::from_secs(5);

/// A new issue.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIssueBody {
    /// `OWNER/NAME`, a repository this server mirrors
    repository: String,
    title: String,
    body: Option<String>,
    /// Label names
    labels: Option<Vec<String>>,
    /// Milestone number
    milestone: Option<i64>,
    /// Logins
    assignees: Option<Vec<String>>,
    /// Not supported yet (a 422 names it)
    kind: Option<String>,
    /// Not supported yet (a 422 names it)
    parent: Option<i64>,
    /// Not supported yet (a 422 names it)
    agent: Option<String>,
}

/// An issue's fields to change; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueEditBody {
    title: Option<String>,
    body: Option<String>,
    /// The whole set of label names the issue ends up with
    labels: Option<Vec<String>>,
    /// The whole set of logins the issue ends up with
    assignees: Option<Vec<String>>,
    /// A milestone number, or null to take the issue out of its milestone
    #[serde(default, deserialize_with = "crate::writer::null_is_a_value")]
    #[schema(value_type = Option<i64>)]
    milestone: Option<Option<i64>>,
    /// `open` or `closed`
    state: Option<String>,
    /// With `state`: `completed`, `not_planned` or `reopened`
    state_reason: Option<String>,
}

/// A write operation and where it stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct OperationView {
    /// The operation's id
    pub operation_id: i64,
    /// `issue.create` or `issue.update`
    pub kind: String,
    /// `queued`, `running`, `done` or `failed`
    pub status: String,
    pub repository: String,
    /// The issue it changed or created (once known)
    pub issue_id: Option<i64>,
    /// The comment or milestone it made or changed (once done)
    pub result_id: Option<i64>,
    /// Why it failed
    pub error: Option<String>,
    /// How many times it was taken up (more than once: resumed after a stop)
    pub attempts: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl From<OperationRow> for OperationView {
    fn from(o: OperationRow) -> Self {
        OperationView {
            operation_id: o.id,
            kind: o.kind,
            status: o.status,
            repository: o.repository,
            issue_id: o.issue_id,
            result_id: o.result_id,
            error: o.error,
            attempts: o.attempts,
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}

fn writer(state: &AppState) -> ApiResult<&Writer> {
    state.writer.as_ref().ok_or_else(|| {
        ApiError(
            StatusCode::SERVICE_UNAVAILABLE,
            "this server has no GitHub token, so it cannot write to GitHub; start it with --github-token".into(),
        )
    })
}

/// The fields of an issue as the API showed them in one version (what a change sent with
/// that version's ETag is based on).
pub(super) fn snapshot_of(issue: &IssueDetail) -> IssueSnapshot {
    IssueSnapshot {
        title: issue.title.clone(),
        body: issue.body.clone(),
        labels: issue.labels.clone(),
        assignees: issue.assignees.clone(),
        milestone: issue.milestone.as_ref().map(|m| m.number),
        state: issue.state.clone(),
        state_reason: issue.state_reason.clone(),
    }
}

/// Keeps the version a client just read, so a change it sends with that ETag can be merged
/// field by field. Reads first: an unchanged issue read again writes nothing.
pub(super) async fn remember_version(
    state: &AppState,
    issue: &IssueDetail,
    etag: &str,
) -> ApiResult<()> {
    if state.store.issue_version(issue.id, etag).await?.is_none() {
        let snapshot = serde_json::to_string(&snapshot_of(issue)).map_err(anyhow::Error::from)?;
        state
            .store
            .save_issue_version(issue.id, etag, &snapshot)
            .await?;
    }
    Ok(())
}

/// The version a change sent with `If-Match` is based on: one a client read (kept by
/// `GET /api/v1/issues/{id}`) or the current one. An ETag naming neither is refused with
/// 412, since nothing can be merged against it. No `If-Match`: the change is not based on
/// a version and its fields are written as given.
async fn base_of(
    state: &AppState,
    id: i64,
    headers: &HeaderMap,
) -> ApiResult<Option<IssueSnapshot>> {
    let Some(wanted) = headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()) else {
        return Ok(None);
    };
    let tag = wanted.trim().trim_start_matches("W/").to_string();
    let current = detail(state, id).await?;
    let now = etag_of(&current);
    if tag == "*" || tag == now {
        return Ok(Some(snapshot_of(&current)));
    }
    if let Some(kept) = state.store.issue_version(id, &tag).await? {
        let snapshot = serde_json::from_str(&kept).map_err(anyhow::Error::from)?;
        return Ok(Some(snapshot));
    }
    Err(ApiError(
        StatusCode::PRECONDITION_FAILED,
        format!("If-Match: {wanted} is no version of this issue ghgov showed; its version now is {now}: read it again (GET /api/v1/issues/{id}) and send the change with that ETag"),
    ))
}

/// A status change or close sent with `If-Match` must name a version ghgov showed.
async fn check_base(state: &AppState, id: i64, headers: &HeaderMap) -> ApiResult<()> {
    base_of(state, id, headers).await.map(|_| ())
}

fn unprocessable(message: impl Into<String>) -> ApiError {
    ApiError(StatusCode::UNPROCESSABLE_ENTITY, message.into())
}

fn check_state(state: Option<&str>, reason: Option<&str>) -> ApiResult<()> {
    if let Some(s) = state {
        if s != "open" && s != "closed" {
            return Err(unprocessable(format!(
                "state must be \"open\" or \"closed\", not {s:?}"
            )));
        }
    }
    if let Some(r) = reason {
        if !matches!(r, "completed" | "not_planned" | "reopened") {
            return Err(unprocessable(format!(
                "state_reason must be \"completed\", \"not_planned\" or \"reopened\", not {r:?}"
            )));
        }
    }
    Ok(())
}

/// The answer to a write: the issue once GitHub confirmed it, else the operation (202).
async fn answer(state: &AppState, id: i64, confirmed: StatusCode) -> ApiResult<Response> {
    follow(state, id, confirmed, async |op: &OperationRow| {
        match op.issue_id {
            Some(issue) => detail(state, issue).await,
            None => Err(not_found(format!("operation {id} wrote no issue"))),
        }
    })
    .await
}

/// Queues a change that produces no issue (a plan's apply) and answers its operation: 200
/// once done within the wait, 202 while it runs, 502 when it failed.
pub(super) async fn queue_and_follow(
    state: &AppState,
    repo: &RepoName,
    change: &Change,
    principal: &str,
) -> ApiResult<Response> {
    let id = writer(state)?
        .enqueue(repo, None, change, principal)
        .await?;
    follow(state, id, StatusCode::OK, async |op: &OperationRow| {
        Ok(OperationView::from(op.clone()))
    })
    .await
}

/// Create an issue on GitHub
#[utoipa::path(
    post,
    path = "/api/v1/issues",
    operation_id = "create_issue",
    tag = "issues",
    request_body = NewIssueBody,
    security(("bearer" = ["write"])),
    responses(
        (status = 201, description = "Created on GitHub and mirrored", body = IssueDetail),
        (status = 202, description = "Journaled; GitHub has not confirmed it yet", body = OperationView),
        (status = 400, description = "Not a JSON issue, or not a repository name", body = ErrorBody),
        (status = 403, description = "The token's scope is too small", body = ErrorBody),
        (status = 404, description = "The repository is not one this server mirrors", body = ErrorBody),
        (status = 422, description = "A field's value is not allowed", body = ErrorBody),
        (status = 502, description = "GitHub refused the change", body = ErrorBody),
        (status = 503, description = "The server has no GitHub token", body = ErrorBody),
    ),
)]
pub async fn create(
    State(state): State<AppState>,
    Extension(scope): Extension<Scope>,
    Extension(principal): Extension<Principal>,
    Json(body): Json<NewIssueBody>,
) -> ApiResult<Response> {
    require(scope, Scope::Write)?;
    let repo = RepoName::parse(&body.repository).map_err(|e| bad_request(e.to_string()))?;
    if !state.scope.allows(&state.store, &repo.full()).await? {
        return Err(not_found(state.scope.refusal(&repo.full())));
    }
    if body.title.trim().is_empty() {
        return Err(unprocessable("title must not be empty"));
    }
    for (given, field) in [
        (body.kind.is_some(), "kind"),
        (body.parent.is_some(), "parent"),
        (body.agent.is_some(), "agent"),
    ] {
        if given {
            return Err(unprocessable(format!(
                "{field} is not supported by this version of ghgov yet; create the issue without it"
            )));
        }
    }
    let change = Change::CreateIssue {
        fields: IssueEdit {
            title: Some(body.title),
            body: body.body,
            labels: body.labels,
            assignees: body.assignees,
            milestone: body.milestone.map(Some),
            ..IssueEdit::default()
        },
    };
    let id = writer(&state)?
        .enqueue(&repo, None, &change, &principal.0)
        .await?;
    answer(&state, id, StatusCode::CREATED).await
}

/// Create an issue on GitHub (the same as `POST /api/v1/issues`)
#[utoipa::path(
    post,
    path = "/api/v1/issues/create",
    operation_id = "create_issue_alias",
    tag = "issues",
    request_body = NewIssueBody,
    security(("bearer" = ["write"])),
    responses(
        (status = 201, description = "Created on GitHub and mirrored", body = IssueDetail),
        (status = 202, description = "Journaled; GitHub has not confirmed it yet", body = OperationView),
        (status = 400, description = "Not a JSON issue, or not a repository name", body = ErrorBody),
        (status = 403, description = "The token's scope is too small", body = ErrorBody),
        (status = 404, description = "The repository is not one this server mirrors", body = ErrorBody),
        (status = 422, description = "A field's value is not allowed", body = ErrorBody),
        (status = 502, description = "GitHub refused the change", body = ErrorBody),
        (status = 503, description = "The server has no GitHub token", body = ErrorBody),
    ),
)]
pub async fn create_alias(
    state: State<AppState>,
    scope: Extension<Scope>,
    principal: Extension<Principal>,
    body: Json<NewIssueBody>,
) -> ApiResult<Response> {
    create(state, scope, principal, body).await
}

/// Change an issue's fields on GitHub
#[utoipa::path(
    patch,
    path = "/api/v1/issues/{id}",
    operation_id = "edit_issue",
    tag = "issues",
    params(("id" = i64, Path, description = "Issue id")),
    request_body = IssueEditBody,
    security(("bearer" = ["write"])),
    responses(
        (status = 200, description = "Changed on GitHub and mirrored", body = IssueDetail),
        (status = 202, description = "Journaled; GitHub has not confirmed it yet", body = OperationView),
        (status = 400, description = "Not a JSON edit", body = ErrorBody),
        (status = 403, description = "The token's scope is too small", body = ErrorBody),
        (status = 404, description = "No such issue in the mirror", body = ErrorBody),
        (status = 409, description = "Fields changed on GitHub too, left to a person; the rest is written", body = ConflictsFound),
        (status = 412, description = "If-Match names no version ghgov showed", body = ErrorBody),
        (status = 422, description = "A field's value is not allowed", body = ErrorBody),
        (status = 502, description = "GitHub refused the change", body = ErrorBody),
        (status = 503, description = "The server has no GitHub token", body = ErrorBody),
    ),
)]
pub async fn edit(
    State(state): State<AppState>,
    Extension(scope): Extension<Scope>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    Json(body): Json<IssueEditBody>,
) -> ApiResult<Response> {
    require(scope, Scope::Write)?;
    check_state(body.state.as_deref(), body.state_reason.as_deref())?;
    if body.title.as_deref().is_some_and(|t| t.trim().is_empty()) {
        return Err(unprocessable("title must not be empty"));
    }
    let row = state
        .store
        .issue_reads()
        .get(id)
        .await?
        .ok_or_else(|| not_found(format!("no issue with id {id} in the mirror")))?;
    let base = base_of(&state, id, &headers).await?;
    let repo = RepoName::parse(&row.repository)?;
    let change = Change::UpdateIssue {
        number: row.number,
        base,
        fields: IssueEdit {
            title: body.title,
            body: body.body,
            labels: body.labels,
            assignees: body.assignees,
            milestone: body.milestone,
            state: body.state,
            state_reason: body.state_reason,
        },
    };
    let op = writer(&state)?
        .enqueue(&repo, Some(id), &change, &principal.0)
        .await?;
    let response = answer(&state, op, StatusCode::OK).await?;
    // Fields left to a person: the rest of the change is written, these answer 409.
    let conflicts = state.store.conflicts_of_operation(op).await?;
    if conflicts.is_empty() {
        return Ok(response);
    }
    let fields: Vec<&str> = conflicts.iter().map(|c| c.field.as_str()).collect();
    Ok((
        StatusCode::CONFLICT,
        axum::Json(ConflictsFound {
            error: format!(
                "{} changed on GitHub too since the version this change is based on; the rest of the change is written, these wait to be settled (POST /api/v1/sync/conflicts/{{id}}/resolve)",
                fields.join(", ")
            ),
            conflicts: conflicts.into_iter().map(ConflictView::from).collect(),
            issue: detail(&state, id).await?,
        }),
    )
        .into_response())
}

/// A change that left fields to a person.
#[derive(Serialize, ToSchema)]
pub struct ConflictsFound {
    pub error: String,
    pub conflicts: Vec<ConflictView>,
    /// The issue with the rest of the change written
    pub issue: IssueDetail,
}

/// A field changed both through ghgov and on GitHub that its strategy leaves to a person.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConflictView {
    pub id: i64,
    /// `issue`
    pub entity: String,
    pub entity_id: i64,
    pub repository: String,
    pub field: String,
    /// The value in the version the change was based on
    pub base: serde_json::Value,
    /// The change's value
    pub local: serde_json::Value,
    /// GitHub's value
    pub remote: serde_json::Value,
    /// The field's strategy (`manual`)
    pub strategy: String,
    /// `open` or `resolved`
    pub status: String,
    pub operation_id: Option<i64>,
    /// `local`, `remote` or `value`
    pub resolution: Option<String>,
    pub resolved_by: Option<String>,
    pub created_at: String,
    pub resolved_at: Option<String>,
}

impl From<crate::store::conflicts::ConflictRow> for ConflictView {
    fn from(c: crate::store::conflicts::ConflictRow) -> Self {
        let value = |v: Option<String>| {
            v.and_then(|t| serde_json::from_str(&t).ok())
                .unwrap_or(serde_json::Value::Null)
        };
        ConflictView {
            id: c.id,
            entity: c.entity,
            entity_id: c.entity_id,
            repository: c.repository,
            field: c.field,
            base: value(c.base),
            local: value(c.local),
            remote: value(c.remote),
            strategy: c.strategy,
            status: c.status,
            operation_id: c.operation_id,
            resolution: c.resolution,
            resolved_by: c.resolved_by,
            created_at: c.created_at,
            resolved_at: c.resolved_at,
        }
    }
}

/// Replace an issue's fields on GitHub (as PATCH: absent fields stay)
#[utoipa::path(
    put,
    path = "/api/v1/issues/{id}",
    operation_id = "put_issue",
    tag = "issues",
    params(("id" = i64, Path, description = "Issue id")),
    request_body = IssueEditBody,
    security(("bearer" = ["write"])),
    responses(
        (status = 200, description = "Changed on GitHub and mirrored", body = IssueDetail),
        (status = 202, description = "Journaled; GitHub has not confirmed it yet", body = OperationView),
        (status = 400, description = "Not a JSON edit", body = ErrorBody),
        (status = 403, description = "The token's scope is too small", body = ErrorBody),
        (status = 404, description = "No such issue in the mirror", body = ErrorBody),
        (status = 409, description = "Fields changed on GitHub too, left to a person; the rest is written", body = ConflictsFound),
        (status = 412, description = "If-Match names no version ghgov showed", body = ErrorBody),
        (status = 422, description = "A field's value is not allowed", body = ErrorBody),
        (status = 502, description = "GitHub refused the change", body = ErrorBody),
        (status = 503, description = "The server has no GitHub token", body = ErrorBody),
    ),
)]
pub async fn put(
    state: State<AppState>,
    scope: Extension<Scope>,
    principal: Extension<Principal>,
    id: Path<i64>,
    headers: HeaderMap,
    body: Json<IssueEditBody>,
) -> ApiResult<Response> {
    edit(state, scope, principal, id, headers, body).await
}

/// A write operation and where it stands
#[utoipa::path(
    get,
    path = "/api/v1/operations/{id}",
    operation_id = "get_operation",
    tag = "issues",
    params(("id" = i64, Path, description = "Operation id")),
    security(("bearer" = ["read"])),
    responses(
        (status = 200, description = "OK", body = OperationView),
        (status = 404, description = "No such operation", body = ErrorBody),
    ),
)]
pub async fn operation(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<OperationView>> {
    let op = state
        .store
        .operation(id)
        .await?
        .ok_or_else(|| not_found(format!("no operation {id}")))?;
    Ok(axum::Json(op.into()))
}

/// A status to move an issue to.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    /// planning, in_progress, review, done, blocked or cancelled
    status: String,
    /// Why (kept in the status history)
    reason: Option<String>,
}

/// A transition the workflow does not allow, with the ones it does.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransitionRefused {
    pub error: String,
    /// The issue's status now
    pub status: String,
    /// The statuses the workflow allows from it
    pub allowed: Vec<String>,
}

/// Moves issue `id` to `target` through the writer, after checking the workflow; the
/// answer for both `PUT …/status` and `DELETE …` (which is a move to `cancelled`).
async fn move_to(
    state: &AppState,
    principal: &Principal,
    id: i64,
    target: Status,
    reason: Option<String>,
) -> ApiResult<Response> {
    let row = state
        .store
        .issue_reads()
        .get(id)
        .await?
        .ok_or_else(|| not_found(format!("no issue with id {id} in the mirror")))?;
    let Some(current) = row.status.as_deref().and_then(Status::parse) else {
        return Err(unprocessable(format!(
            "{} #{} is a pull request: pull requests have no workflow status",
            row.repository, row.number
        )));
    };
    let repo = RepoName::parse(&row.repository)?;
    let workflow = match state.store.repository_id(&repo.key()).await? {
        Some(repo_id) => state.store.workflow(repo_id).await?,
        None => std::sync::Arc::new(crate::tracking::Workflow::default()),
    };
    if !workflow.allows(current, target) {
        let allowed: Vec<String> = workflow
            .allowed_from(current)
            .iter()
            .map(|s| s.as_str().to_string())
            .collect();
        return Ok((
            StatusCode::CONFLICT,
            axum::Json(TransitionRefused {
                error: format!(
                    "the workflow does not allow {} → {}; from {} it allows: {} (change the tracking section's transitions to allow more)",
                    current.as_str(),
                    target.as_str(),
                    current.as_str(),
                    allowed.join(", ")
                ),
                status: current.as_str().to_string(),
                allowed,
            }),
        )
            .into_response());
    }
    let change = Change::SetStatus {
        number: row.number,
        status: target,
        reason,
    };
    let op = writer(state)?
        .enqueue(&repo, Some(id), &change, &principal.0)
        .await?;
    answer(state, op, StatusCode::OK).await
}

/// Move an issue to a workflow status on GitHub
#[utoipa::path(
    put,
    path = "/api/v1/issues/{id}/status",
    operation_id = "set_issue_status",
    tag = "issues",
    params(("id" = i64, Path, description = "Issue id")),
    request_body = StatusBody,
    security(("bearer" = ["write"])),
    responses(
        (status = 200, description = "Moved on GitHub and mirrored", body = IssueDetail),
        (status = 202, description = "Journaled; GitHub has not confirmed it yet", body = OperationView),
        (status = 400, description = "Not a JSON status", body = ErrorBody),
        (status = 403, description = "The token's scope is too small", body = ErrorBody),
        (status = 404, description = "No such issue in the mirror", body = ErrorBody),
        (status = 409, description = "The workflow does not allow this transition", body = TransitionRefused),
        (status = 412, description = "If-Match names no version ghgov showed", body = ErrorBody),
        (status = 422, description = "Not a status, or a pull request", body = ErrorBody),
        (status = 502, description = "GitHub refused the change, or the issue moved on GitHub meanwhile", body = ErrorBody),
        (status = 503, description = "The server has no GitHub token", body = ErrorBody),
    ),
)]
pub async fn set_status(
    State(state): State<AppState>,
    Extension(scope): Extension<Scope>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    Json(body): Json<StatusBody>,
) -> ApiResult<Response> {
    require(scope, Scope::Write)?;
    let target = Status::parse(&body.status).ok_or_else(|| {
        unprocessable(format!(
            "status must be planning, in_progress, review, done, blocked or cancelled, not {:?}",
            body.status
        ))
    })?;
    check_base(&state, id, &headers).await?;
    move_to(&state, &principal, id, target, body.reason).await
}

/// Close an issue as not planned (its status becomes `cancelled`)
#[utoipa::path(
    delete,
    path = "/api/v1/issues/{id}",
    operation_id = "close_issue",
    tag = "issues",
    params(("id" = i64, Path, description = "Issue id")),
    security(("bearer" = ["write"])),
    responses(
        (status = 200, description = "Closed on GitHub and mirrored", body = IssueDetail),
        (status = 202, description = "Journaled; GitHub has not confirmed it yet", body = OperationView),
        (status = 403, description = "The token's scope is too small", body = ErrorBody),
        (status = 404, description = "No such issue in the mirror", body = ErrorBody),
        (status = 409, description = "The workflow does not allow cancelling it from its status", body = TransitionRefused),
        (status = 412, description = "If-Match names no version ghgov showed", body = ErrorBody),
        (status = 422, description = "A pull request", body = ErrorBody),
        (status = 502, description = "GitHub refused the change", body = ErrorBody),
        (status = 503, description = "The server has no GitHub token", body = ErrorBody),
    ),
)]
pub async fn close(
    State(state): State<AppState>,
    Extension(scope): Extension<Scope>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    require(scope, Scope::Write)?;
    check_base(&state, id, &headers).await?;
    move_to(&state, &principal, id, Status::Cancelled, None).await
}

/// Waits for operation `id` and answers what it made: `made(op)` once done within the
/// wait (with `confirmed` as status), 202 with the operation while it runs, 502 when it
/// failed.
async fn follow<T: Serialize>(
    state: &AppState,
    id: i64,
    confirmed: StatusCode,
    made: impl AsyncFnOnce(&OperationRow) -> ApiResult<T>,
) -> ApiResult<Response> {
    let op = writer(state)?.settle_within(id, CONFIRMATION_WAIT).await?;
    match op.status() {
        OperationStatus::Done => Ok((confirmed, axum::Json(made(&op).await?)).into_response()),
        OperationStatus::Failed => Err(ApiError(
            StatusCode::BAD_GATEWAY,
            format!(
                "GitHub did not accept the change (operation {id}): {}",
                op.error.unwrap_or_default()
            ),
        )),
        _ => Ok((StatusCode::ACCEPTED, axum::Json(OperationView::from(op))).into_response()),
    }
}

/// A comment to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    body: String,
}

/// Comment on an issue on GitHub
#[utoipa::path(
    post,
    path = "/api/v1/issues/{id}/comments",
    operation_id = "add_comment",
    tag = "issues",
    params(("id" = i64, Path, description = "Issue id")),
    request_body = CommentBody,
    security(("bearer" = ["write"])),
    responses(
        (status = 201, description = "Added on GitHub and mirrored", body = super::issues::Comment),
        (status = 202, description = "Journaled; GitHub has not confirmed it yet", body = OperationView),
        (status = 400, description = "Not a JSON comment", body = ErrorBody),
        (status = 403, description = "The token's scope is too small", body = ErrorBody),
        (status = 404, description = "No such issue in the mirror", body = ErrorBody),
        (status = 422, description = "An empty comment", body = ErrorBody),
        (status = 502, description = "GitHub refused the change", body = ErrorBody),
        (status = 503, description = "The server has no GitHub token", body = ErrorBody),
    ),
)]
pub async fn comment(
    State(state): State<AppState>,
    Extension(scope): Extension<Scope>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<i64>,
    Json(body): Json<CommentBody>,
) -> ApiResult<Response> {
    require(scope, Scope::Write)?;
    if body.body.trim().is_empty() {
        return Err(unprocessable("body must not be empty"));
    }
    let row = state
        .store
        .issue_reads()
        .get(id)
        .await?
        .ok_or_else(|| not_found(format!("no issue with id {id} in the mirror")))?;
    let repo = RepoName::parse(&row.repository)?;
    let change = Change::Comment {
        number: row.number,
        body: body.body,
    };
    let op = writer(&state)?
        .enqueue(&repo, Some(id), &change, &principal.0)
        .await?;
    follow(
        &state,
        op,
        StatusCode::CREATED,
        async |op: &OperationRow| {
            let c = state
                .store
                .issue_reads()
                .comment(op.result_id.unwrap_or_default())
                .await?
                .ok_or_else(|| not_found("the comment left the mirror"))?;
            Ok(super::issues::Comment {
                body: c.body,
                created_at: c.created_at,
                html_url: c.html_url,
                id: c.id,
                updated_at: c.updated_at,
                user: c.user_login,
            })
        },
    )
    .await
}

/// A new milestone.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMilestoneBody {
    /// `OWNER/NAME`, a repository this server mirrors
    repository: String,
    title: String,
    description: Option<String>,
    /// RFC 3339; GitHub keeps the day
    due_on: Option<String>,
}

/// A milestone's fields to change; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MilestoneEditBody {
    title: Option<String>,
    description: Option<String>,
    /// RFC 3339; GitHub keeps the day
    due_on: Option<String>,
    /// `open` or `closed`
    state: Option<String>,
}

fn check_due_on(due_on: Option<&str>) -> ApiResult<()> {
    match due_on {
        Some(d) if chrono::DateTime::parse_from_rfc3339(d).is_err() => Err(unprocessable(format!(
            "due_on must be an RFC 3339 time such as 2027-03-31T00:00:00Z, not {d:?}"
        ))),
        _ => Ok(()),
    }
}

async fn milestone_answer(
    state: &AppState,
    op: &OperationRow,
) -> ApiResult<super::resources::Milestone> {
    let m = state
        .store
        .resource_reads()
        .milestone(op.result_id.unwrap_or_default())
        .await?
        .ok_or_else(|| not_found("the milestone left the mirror"))?;
    Ok(super::resources::milestone_of(m))
}

/// Create a milestone on GitHub
#[utoipa::path(
    post,
    path = "/api/v1/milestones",
    operation_id = "create_milestone",
    tag = "mirror",
    request_body = NewMilestoneBody,
    security(("bearer" = ["write"])),
    responses(
        (status = 201, description = "Created on GitHub and mirrored", body = super::resources::Milestone),
        (status = 202, description = "Journaled; GitHub has not confirmed it yet", body = OperationView),
        (status = 400, description = "Not a JSON milestone, or not a repository name", body = ErrorBody),
        (status = 403, description = "The token's scope is too small", body = ErrorBody),
        (status = 404, description = "The repository is not one this server mirrors", body = ErrorBody),
        (status = 422, description = "A field's value is not allowed", body = ErrorBody),
        (status = 502, description = "GitHub refused the change (a title already used)", body = ErrorBody),
        (status = 503, description = "The server has no GitHub token", body = ErrorBody),
    ),
)]
pub async fn create_milestone(
    State(state): State<AppState>,
    Extension(scope): Extension<Scope>,
    Extension(principal): Extension<Principal>,
    Json(body): Json<NewMilestoneBody>,
) -> ApiResult<Response> {
    require(scope, Scope::Write)?;
    let repo = RepoName::parse(&body.repository).map_err(|e| bad_request(e.to_string()))?;
    if !state.scope.allows(&state.store, &repo.full()).await? {
        return Err(not_found(state.scope.refusal(&repo.full())));
    }
    if body.title.trim().is_empty() {
        return Err(unprocessable("title must not be empty"));
    }
    check_due_on(body.due_on.as_deref())?;
    let change = Change::CreateMilestone {
        fields: crate::writer::MilestoneEdit {
            title: Some(body.title),
            description: body.description,
            due_on: body.due_on,
            state: None,
        },
    };
    let op = writer(&state)?
        .enqueue(&repo, None, &change, &principal.0)
        .await?;
    follow(
        &state,
        op,
        StatusCode::CREATED,
        async |op: &OperationRow| milestone_answer(&state, op).await,
    )
    .await
}

/// One milestone with its progress
#[utoipa::path(
    get,
    path = "/api/v1/milestones/{id}",
    operation_id = "get_milestone",
    tag = "mirror",
    params(("id" = i64, Path, description = "Milestone id")),
    security(("bearer" = ["read"])),
    responses(
        (status = 200, description = "OK", body = super::resources::Milestone),
        (status = 404, description = "No such milestone in the mirror", body = ErrorBody),
    ),
)]
pub async fn get_milestone(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<super::resources::Milestone>> {
    let m = state
        .store
        .resource_reads()
        .milestone(id)
        .await?
        .ok_or_else(|| not_found(format!("no milestone with id {id} in the mirror")))?;
    Ok(axum::Json(super::resources::milestone_of(m)))
}

async fn change_milestone(
    state: &AppState,
    principal: &Principal,
    id: i64,
    fields: crate::writer::MilestoneEdit,
) -> ApiResult<Response> {
    if let Some(s) = fields.state.as_deref() {
        if s != "open" && s != "closed" {
            return Err(unprocessable(format!(
                "state must be \"open\" or \"closed\", not {s:?}"
            )));
        }
    }
    if fields.title.as_deref().is_some_and(|t| t.trim().is_empty()) {
        return Err(unprocessable("title must not be empty"));
    }
    check_due_on(fields.due_on.as_deref())?;
    let m = state
        .store
        .resource_reads()
        .milestone(id)
        .await?
        .ok_or_else(|| not_found(format!("no milestone with id {id} in the mirror")))?;
    let repo = RepoName::parse(&m.repository)?;
    let change = Change::UpdateMilestone {
        number: m.number,
        fields,
    };
    let op = writer(state)?
        .enqueue(&repo, None, &change, &principal.0)
        .await?;
    follow(state, op, StatusCode::OK, async |op: &OperationRow| {
        milestone_answer(state, op).await
    })
    .await
}

/// Change a milestone on GitHub
#[utoipa::path(
    put,
    path = "/api/v1/milestones/{id}",
    operation_id = "edit_milestone",
    tag = "mirror",
    params(("id" = i64, Path, description = "Milestone id")),
    request_body = MilestoneEditBody,
    security(("bearer" = ["write"])),
    responses(
        (status = 200, description = "Changed on GitHub and mirrored", body = super::resources::Milestone),
        (status = 202, description = "Journaled; GitHub has not confirmed it yet", body = OperationView),
        (status = 400, description = "Not a JSON milestone", body = ErrorBody),
        (status = 403, description = "The token's scope is too small", body = ErrorBody),
        (status = 404, description = "No such milestone in the mirror", body = ErrorBody),
        (status = 422, description = "A field's value is not allowed", body = ErrorBody),
        (status = 502, description = "GitHub refused the change", body = ErrorBody),
        (status = 503, description = "The server has no GitHub token", body = ErrorBody),
    ),
)]
pub async fn edit_milestone(
    State(state): State<AppState>,
    Extension(scope): Extension<Scope>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<i64>,
    Json(body): Json<MilestoneEditBody>,
) -> ApiResult<Response> {
    require(scope, Scope::Write)?;
    let fields = crate::writer::MilestoneEdit {
        title: body.title,
        description: body.description,
        due_on: body.due_on,
        state: body.state,
    };
    change_milestone(&state, &principal, id, fields).await
}

/// Close a milestone on GitHub
#[utoipa::path(
    delete,
    path = "/api/v1/milestones/{id}",
    operation_id = "close_milestone",
    tag = "mirror",
    params(("id" = i64, Path, description = "Milestone id")),
    security(("bearer" = ["write"])),
    responses(
        (status = 200, description = "Closed on GitHub and mirrored", body = super::resources::Milestone),
        (status = 202, description = "Journaled; GitHub has not confirmed it yet", body = OperationView),
        (status = 403, description = "The token's scope is too small", body = ErrorBody),
        (status = 404, description = "No such milestone in the mirror", body = ErrorBody),
        (status = 502, description = "GitHub refused the change", body = ErrorBody),
        (status = 503, description = "The server has no GitHub token", body = ErrorBody),
    ),
)]
pub async fn close_milestone(
    State(state): State<AppState>,
    Extension(scope): Extension<Scope>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    require(scope, Scope::Write)?;
    let fields = crate::writer::MilestoneEdit {
        state: Some("closed".into()),
        ..Default::default()
    };
    change_milestone(&state, &principal, id, fields).await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConflictQuery {
    /// open (default), resolved or all
    #[param(pattern = "^(open|resolved|all)$")]
    status: Option<String>,
    /// Page number, 1 to 1000000
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000000)]
    page: Option<super::params::Page>,
    /// Items per page, 1 to 100 (default 30)
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    per_page: Option<super::params::PerPage>,
}

/// A page of conflicts.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConflictList {
    pub data: Vec<ConflictView>,
    pub pagination: super::params::Pagination,
}

/// Conflicts between changes made through ghgov and on GitHub, newest first
#[utoipa::path(
    get,
    path = "/api/v1/sync/conflicts",
    operation_id = "list_conflicts",
    tag = "sync",
    params(ConflictQuery),
    security(("bearer" = ["read"])),
    responses(
        (status = 200, description = "OK", body = ConflictList),
        (status = 400, description = "A parameter is not allowed", body = ErrorBody),
    ),
)]
pub async fn conflicts(
    State(state): State<AppState>,
    super::extract::Query(q): super::extract::Query<ConflictQuery>,
) -> ApiResult<axum::Json<ConflictList>> {
    use crate::store::conflicts::ConflictFilter;
    let filter = match q.status.as_deref().unwrap_or("open") {
        "open" => ConflictFilter::Open,
        "resolved" => ConflictFilter::Resolved,
        "all" => ConflictFilter::All,
        other => {
            return Err(bad_request(format!(
                "status must be open, resolved or all, got '{other}'"
            )))
        }
    };
    let paging = super::params::Paging::from(q.page, q.per_page);
    let (total, rows) = state
        .store
        .conflicts(filter, paging.per_page, paging.offset())
        .await?;
    Ok(axum::Json(ConflictList {
        data: rows.into_iter().map(ConflictView::from).collect(),
        pagination: paging.pagination(total),
    }))
}

/// How to settle a conflict.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveBody {
    /// `local` (write the change's value), `remote` (keep GitHub's) or `value` (write `value`)
    resolution: String,
    /// With `value`: the field's new value (text for title and body)
    value: Option<serde_json::Value>,
}

/// A settled conflict, with the operation writing its value (none for `remote`).
#[derive(Debug, Serialize, ToSchema)]
pub struct Resolved {
    pub conflict: ConflictView,
    pub operation_id: Option<i64>,
}

/// Settle a conflict: keep GitHub's value, or write the change's or a merged one
#[utoipa::path(
    post,
    path = "/api/v1/sync/conflicts/{id}/resolve",
    operation_id = "resolve_conflict",
    tag = "sync",
    params(("id" = i64, Path, description = "Conflict id")),
    request_body = ResolveBody,
    security(("bearer" = ["write"])),
    responses(
        (status = 200, description = "Settled (the value written through the writer)", body = Resolved),
        (status = 400, description = "Not a JSON resolution", body = ErrorBody),
        (status = 403, description = "The token's scope is too small", body = ErrorBody),
        (status = 404, description = "No such conflict", body = ErrorBody),
        (status = 409, description = "Already settled", body = ErrorBody),
        (status = 422, description = "Not local, remote or value, or a value of the wrong type", body = ErrorBody),
        (status = 503, description = "The server has no GitHub token", body = ErrorBody),
    ),
)]
pub async fn resolve_conflict(
    State(state): State<AppState>,
    Extension(scope): Extension<Scope>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<i64>,
    Json(body): Json<ResolveBody>,
) -> ApiResult<axum::Json<Resolved>> {
    require(scope, Scope::Write)?;
    let c = state
        .store
        .conflict(id)
        .await?
        .ok_or_else(|| not_found(format!("no conflict {id}")))?;
    if c.status != "open" {
        return Err(ApiError(
            StatusCode::CONFLICT,
            format!(
                "conflict {id} was settled already ({})",
                c.resolution.clone().unwrap_or_default()
            ),
        ));
    }
    let chosen: Option<serde_json::Value> = match body.resolution.as_str() {
        "remote" => None,
        "local" => Some(
            c.local
                .as_deref()
                .and_then(|t| serde_json::from_str(t).ok())
                .unwrap_or_default(),
        ),
        "value" => Some(
            body.value
                .clone()
                .ok_or_else(|| unprocessable("resolution \"value\" needs a value"))?,
        ),
        other => {
            return Err(unprocessable(format!(
                "resolution must be local, remote or value, not {other:?}"
            )))
        }
    };
    let operation_id = match chosen {
        None => None,
        Some(value) => {
            let mut fields = IssueEdit::default();
            let text = || {
                value
                    .as_str()
                    .map(str::to_string)
                    .ok_or_else(|| unprocessable(format!("{} takes text", c.field)))
            };
            match c.field.as_str() {
                "title" => fields.title = Some(text()?),
                "body" => fields.body = Some(text()?),
                "milestone" => fields.milestone = Some(value.as_i64()),
                "state" => {
                    let pair = value.as_array().cloned().unwrap_or_default();
                    fields.state = pair.first().and_then(|v| v.as_str()).map(str::to_string);
                    fields.state_reason = pair.get(1).and_then(|v| v.as_str()).map(str::to_string);
                    check_state(fields.state.as_deref(), fields.state_reason.as_deref())?;
                    if fields.state.is_none() {
                        return Err(unprocessable("state takes [\"open\"|\"closed\", reason]"));
                    }
                }
                other => {
                    return Err(unprocessable(format!(
                        "conflicts on {other} cannot be settled here"
                    )))
                }
            }
            let row = state
                .store
                .issue_reads()
                .get(c.entity_id)
                .await?
                .ok_or_else(|| not_found(format!("issue {} left the mirror", c.entity_id)))?;
            let repo = RepoName::parse(&row.repository)?;
            let change = Change::UpdateIssue {
                number: row.number,
                fields,
                base: None,
            };
            Some(
                writer(&state)?
                    .enqueue(&repo, Some(c.entity_id), &change, &principal.0)
                    .await?,
            )
        }
    };
    if !state
        .store
        .resolve_conflict(id, &body.resolution, &principal.0)
        .await?
    {
        return Err(ApiError(
            StatusCode::CONFLICT,
            format!("conflict {id} was settled meanwhile"),
        ));
    }
    if let Some(op) = operation_id {
        writer(&state)?.settle_within(op, CONFIRMATION_WAIT).await?;
    }
    let settled = state
        .store
        .conflict(id)
        .await?
        .ok_or_else(|| not_found(format!("no conflict {id}")))?;
    Ok(axum::Json(Resolved {
        conflict: settled.into(),
        operation_id,
    }))
}
