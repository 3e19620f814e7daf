//! Users and organizations: `GET /user`, `/users/{login}`, `/orgs/{org}`, and an
//! organization's members.

use super::Hs;
use crate::error::{ApiError, ApiResult};
use crate::http::Actor;
use crate::model::UserKind;
use axum::extract::{Extension, Path};
use axum::http::StatusCode;
use axum::Json;
use serde_json::Value;

/// The authenticated user, as GitHub's `private-user`.
pub async fn me(hub: Hs, Extension(actor): Extension<Actor>) -> ApiResult<Json<Value>> {
    if actor.credential.is_none() {
        return Err(ApiError::requires_authentication());
    }
    let w = hub.world.read();
    Ok(Json(w.full_user_json(&actor.login, true)))
}

pub async fn user(hub: Hs, Path(login): Path<String>) -> ApiResult<Json<Value>> {
    let w = hub.world.read();
    let u = w.find_user(&login).ok_or_else(ApiError::not_found)?;
    Ok(Json(w.full_user_json(&u.login, false)))
}

pub async fn org(hub: Hs, Path(org): Path<String>) -> ApiResult<Json<Value>> {
    let w = hub.world.read();
    w.full_org_json(&org)
        .map(Json)
        .ok_or_else(ApiError::not_found)
}

fn known_org(w: &crate::model::World, org: &str) -> ApiResult<()> {
    match w.find_user(org) {
        Some(u) if u.kind == UserKind::Organization => Ok(()),
        _ => Err(ApiError::not_found()),
    }
}

/// The declared members, as simple users, by login.
pub async fn members(hub: Hs, Path(org): Path<String>) -> ApiResult<Json<Value>> {
    let w = hub.world.read();
    known_org(&w, &org)?;
    Ok(Json(Value::Array(
        w.org_members(&org)
            .iter()
            .map(|(login, _)| w.user_json(login))
            .collect(),
    )))
}

/// 204 for a member, 404 otherwise.
pub async fn is_member(
    hub: Hs,
    Path((org, login)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let w = hub.world.read();
    known_org(&w, &org)?;
    w.org_members(&org)
        .iter()
        .any(|(l, _)| l.eq_ignore_ascii_case(&login))
        .then_some(StatusCode::NO_CONTENT)
        .ok_or_else(ApiError::not_found)
}
