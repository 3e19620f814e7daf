use super::{mutate, name_list, nullable_str, nullable_u64, object, str_field, Hs};
use crate::error::{ApiError, ApiResult};
use crate::http::Actor;
use crate::model::{IssuePatch, IssueState, NewIssue};
use axum::body::Bytes;
use axum::extract::{Extension, Path};
use axum::http::StatusCode;
use axum::Json;
use serde_json::Value;

type IssuePath = Path<(String, String, u64)>;

fn respond(hub: &crate::hub::Hub, repo: usize, number: u64) -> Value {
    let w = hub.world.read();
    w.issue_json(repo, w.repos[repo].issue(number).expect("issue"))
}

pub async fn get(hub: Hs, Path((owner, name, number)): IssuePath) -> ApiResult<Json<Value>> {
    let w = hub.world.read();
    let repo = w.repo_idx(&owner, &name)?;
    let issue = w.live_issue(repo, number)?;
    Ok(Json(w.issue_json(repo, issue)))
}

pub async fn create(
    hub: Hs,
    Extension(actor): Extension<Actor>,
    Path((owner, name)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let m = object(&body)?;
    let mut assignees = name_list(&m, "assignees")?.unwrap_or_default();
    if let Some(a) = str_field(&m, "assignee")? {
        assignees.insert(0, a);
    }
    let new = NewIssue {
        title: match m.get("title") {
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => str_field(&m, "title")?,
        },
        body: str_field(&m, "body")?,
        labels: name_list(&m, "labels")?.unwrap_or_default(),
        assignees,
        milestone: nullable_u64(&m, "milestone")?.flatten(),
        type_name: str_field(&m, "type")?,
        pull_request: false,
    };
    let (repo, number) = mutate(&hub, |w, now| {
        let repo = w.repo_idx(&owner, &name)?;
        Ok((repo, w.create_issue(repo, &actor.login, new, now)?))
    })?;
    Ok((StatusCode::CREATED, Json(respond(&hub, repo, number))))
}

pub async fn update(
    hub: Hs,
    Extension(actor): Extension<Actor>,
    Path((owner, name, number)): IssuePath,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let m = object(&body)?;
    let state = match str_field(&m, "state")?.as_deref() {
        None => None,
        Some("open") => Some(IssueState::Open),
        Some("closed") => Some(IssueState::Closed),
        Some(_) => return Err(ApiError::invalid("Issue", "state", "invalid")),
    };
    let mut assignees = name_list(&m, "assignees")?;
    if let Some(a) = nullable_str(&m, "assignee")? {
        assignees = Some(a.into_iter().collect());
    }
    let patch = IssuePatch {
        title: match m.get("title") {
            Some(Value::Null) => return Err(ApiError::invalid("Issue", "title", "missing_field")),
            _ => str_field(&m, "title")?,
        },
        body: nullable_str(&m, "body")?,
        state,
        state_reason: nullable_str(&m, "state_reason")?,
        labels: match m.get("labels") {
            Some(Value::Null) => Some(Vec::new()),
            _ => name_list(&m, "labels")?,
        },
        assignees,
        milestone: nullable_u64(&m, "milestone")?,
        type_name: nullable_str(&m, "type")?,
    };
    let repo = mutate(&hub, |w, now| {
        let repo = w.repo_idx(&owner, &name)?;
        w.update_issue(repo, number, &actor.login, patch, now)?;
        Ok(repo)
    })?;
    Ok(Json(respond(&hub, repo, number)))
}

async fn change_assignees(
    hub: Hs,
    actor: Actor,
    owner: String,
    name: String,
    number: u64,
    body: Bytes,
    add: bool,
) -> ApiResult<Value> {
    let m = object(&body)?;
    let given = name_list(&m, "assignees")?.unwrap_or_default();
    let repo = mutate(&hub, |w, now| {
        let repo = w.repo_idx(&owner, &name)?;
        let current = w.live_issue(repo, number)?.assignees.clone();
        let next: Vec<String> = if add {
            // Logins that cannot be assigned are dropped without a word, as on GitHub.
            let given = w.only_assignable(repo, &given);
            current.into_iter().chain(given).collect()
        } else {
            current
                .into_iter()
                .filter(|a| !given.iter().any(|g| g.eq_ignore_ascii_case(a)))
                .collect()
        };
        let patch = IssuePatch {
            assignees: Some(next),
            ..Default::default()
        };
        w.update_issue(repo, number, &actor.login, patch, now)?;
        Ok(repo)
    })?;
    Ok(respond(&hub, repo, number))
}

pub async fn add_assignees(
    hub: Hs,
    Extension(actor): Extension<Actor>,
    Path((owner, name, number)): IssuePath,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let v = change_assignees(hub, actor, owner, name, number, body, true).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

pub async fn remove_assignees(
    hub: Hs,
    Extension(actor): Extension<Actor>,
    Path((owner, name, number)): IssuePath,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        change_assignees(hub, actor, owner, name, number, body, false).await?,
    ))
}

/// `PUT …/issues/{n}/lock`, with an optional `lock_reason`: 204.
pub async fn lock(
    hub: Hs,
    Extension(actor): Extension<Actor>,
    Path((owner, name, number)): IssuePath,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let m = object(&body)?;
    let reason = str_field(&m, "lock_reason")?;
    mutate(&hub, |w, now| {
        let repo = w.repo_idx(&owner, &name)?;
        w.lock_issue(repo, number, reason, &actor.login, now)
    })?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE …/issues/{n}/lock`: 204.
pub async fn unlock(
    hub: Hs,
    Extension(actor): Extension<Actor>,
    Path((owner, name, number)): IssuePath,
) -> ApiResult<StatusCode> {
    mutate(&hub, |w, now| {
        let repo = w.repo_idx(&owner, &name)?;
        w.unlock_issue(repo, number, &actor.login, now)
    })?;
    Ok(StatusCode::NO_CONTENT)
}
