//! The admin API for accounts and rights (`/_fakehub/users`, `/_fakehub/orgs/…`,
//! `/_fakehub/repos/{o}/{r}/collaborators/…`): what the seed document declares, changed at
//! run time. Declaring the first user or organization turns permission checks on.

use crate::error::{ApiError, ApiResult};
use crate::model::{OrgRole, Role, UserKind};
use crate::routes::{bool_field, object, str_field, Hs};
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::{get, patch, post, put};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::Arc;

pub fn router() -> Router<Arc<crate::hub::Hub>> {
    Router::new()
        .route("/_fakehub/access", get(access))
        .route("/_fakehub/users", post(add_user))
        .route("/_fakehub/orgs/{org}", put(add_org))
        .route(
            "/_fakehub/orgs/{org}/members/{login}",
            put(set_member).delete(remove_member),
        )
        .route("/_fakehub/repos/{owner}/{repo}", patch(set_repo))
        .route(
            "/_fakehub/repos/{owner}/{repo}/collaborators/{login}",
            put(set_collaborator).delete(remove_collaborator),
        )
}

/// What is declared: users (never their tokens), organizations with members, and the
/// private repositories and collaborators; `enforced` says whether rights are checked.
async fn access(hub: Hs) -> Json<Value> {
    let w = hub.world.read();
    let mut users: Vec<Value> = w
        .access
        .tokens
        .values()
        .map(|c| match c {
            crate::model::Credential::User { login, scopes } => {
                json!({"login": login, "scopes": scopes})
            }
            crate::model::Credential::Installation(g) => json!({"login": g.bot}),
        })
        .collect();
    users.sort_by(|a, b| a["login"].as_str().cmp(&b["login"].as_str()));
    let mut orgs: Vec<Value> = w
        .access
        .orgs
        .values()
        .map(|o| {
            json!({"login": o.login, "members": o.members.values()
                .map(|(l, r)| json!({"login": l, "role": r.as_str()})).collect::<Vec<_>>()})
        })
        .collect();
    orgs.sort_by(|a, b| a["login"].as_str().cmp(&b["login"].as_str()));
    let repos: Vec<Value> = w
        .repos
        .iter()
        .filter(|r| r.private || w.access.collaborators.get(&r.id).is_some_and(|c| !c.is_empty()))
        .map(|r| {
            let collaborators: serde_json::Map<String, Value> = w
                .access
                .collaborators
                .get(&r.id)
                .map(|c| c.values().map(|(l, role)| (l.clone(), json!(role.as_str()))).collect())
                .unwrap_or_default();
            json!({"full_name": r.full_name(), "private": r.private, "collaborators": collaborators})
        })
        .collect();
    Json(json!({"enforced": w.access.enforced(), "users": users, "orgs": orgs, "repos": repos}))
}

/// `{"login", "token", "name"?, "type"?: "User"|"Bot", "scopes"?: [...]}`, as in the seed.
async fn add_user(hub: Hs, body: Bytes) -> ApiResult<(StatusCode, Json<Value>)> {
    let u: crate::seed::SeedUser =
        serde_json::from_slice(&body).map_err(|e| ApiError::bad_request(format!("user: {e}")))?;
    let kind = match u.kind.as_deref() {
        None | Some("User") => UserKind::User,
        Some("Bot") => UserKind::Bot,
        Some(other) => {
            return Err(ApiError::unprocessable(format!(
                "type must be User or Bot, got '{other}'"
            )))
        }
    };
    let now = hub.clock.now();
    let mut w = hub.world.write();
    w.declare_user(
        &u.login,
        Some(&u.token),
        u.name.clone(),
        kind,
        u.scopes.as_deref(),
        now,
    )
    .map_err(ApiError::unprocessable)?;
    Ok((StatusCode::CREATED, Json(w.user_json(&u.login))))
}

async fn add_org(hub: Hs, Path(org): Path<String>) -> ApiResult<StatusCode> {
    let now = hub.clock.now();
    hub.world
        .write()
        .declare_org(&org, now)
        .map_err(ApiError::unprocessable)?;
    Ok(StatusCode::NO_CONTENT)
}

/// `{"role": "member"|"admin"}` (default `member`).
async fn set_member(
    hub: Hs,
    Path((org, login)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let m = object(&body)?;
    let role = match str_field(&m, "role")? {
        None => OrgRole::Member,
        Some(r) => OrgRole::parse(&r).ok_or_else(|| {
            ApiError::unprocessable(format!("role must be member or admin, got '{r}'"))
        })?,
    };
    let now = hub.clock.now();
    hub.world
        .write()
        .set_org_member(&org, &login, Some(role), now)
        .map_err(ApiError::unprocessable)?;
    Ok(Json(
        json!({"org": org, "login": login, "role": role.as_str()}),
    ))
}

async fn remove_member(
    hub: Hs,
    Path((org, login)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let now = hub.clock.now();
    hub.world
        .write()
        .set_org_member(&org, &login, None, now)
        .map_err(ApiError::unprocessable)?;
    Ok(StatusCode::NO_CONTENT)
}

/// `{"private": bool}`.
async fn set_repo(
    hub: Hs,
    Path((owner, name)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let m = object(&body)?;
    let mut w = hub.world.write();
    let repo = w.repo_idx(&owner, &name)?;
    if let Some(p) = bool_field(&m, "private")? {
        w.repos[repo].private = p;
    }
    Ok(Json(
        json!({"full_name": w.repos[repo].full_name(), "private": w.repos[repo].private}),
    ))
}

/// `{"role": "read"|"triage"|"write"|"maintain"|"admin"}` (`permission` also accepted, as
/// GitHub's own collaborator endpoint names it; default `write`, GitHub's default).
async fn set_collaborator(
    hub: Hs,
    Path((owner, name, login)): Path<(String, String, String)>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let m = object(&body)?;
    let given = match str_field(&m, "role")? {
        Some(r) => Some(r),
        None => str_field(&m, "permission")?,
    };
    let role = match given {
        None => Role::Write,
        Some(r) => Role::parse(&r).ok_or_else(|| {
            ApiError::unprocessable(format!(
                "role must be read, triage, write, maintain or admin, got '{r}'"
            ))
        })?,
    };
    let mut w = hub.world.write();
    let repo = w.repo_idx(&owner, &name)?;
    w.set_collaborator(repo, &login, Some(role));
    Ok(Json(
        json!({"repository": w.repos[repo].full_name(), "login": login, "role": role.as_str()}),
    ))
}

async fn remove_collaborator(
    hub: Hs,
    Path((owner, name, login)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let mut w = hub.world.write();
    let repo = w.repo_idx(&owner, &name)?;
    w.set_collaborator(repo, &login, None);
    Ok(StatusCode::NO_CONTENT)
}
