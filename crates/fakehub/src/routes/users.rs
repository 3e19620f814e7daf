//! Users and organizations: `GET /user`, `/users/{login}`, `/orgs/{org}`, and an
//! organization's members.

use super::Hs;
use crate::error::{ApiError, ApiResult};
use crate::http::Actor;
use crate::model::UserKind;
use axum::extract::{Extension, Path};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;

/// The authenticated user, as GitHub's `private-user`.
pub async fn me(hub: Hs, Extension(actor): Extension<Actor>) -> ApiResult<Json<Value>> {
    match &actor.credential {
        None => return Err(ApiError::requires_authentication()),
        // An installation acts for no user.
        Some(c) if c.installation().is_some() => {
            return Err(ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                crate::model::access::NOT_ACCESSIBLE_BY_INTEGRATION,
            ))
        }
        Some(_) => {}
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

/// Whether the caller sees the organization's concealed members: its members do (and
/// everyone in open mode). Memberships are concealed, GitHub's default, so others see none.
fn sees_members(w: &crate::model::World, org: &str, actor: &Actor) -> bool {
    !w.access.enforced()
        || actor.credential.as_ref().is_some_and(|c| {
            w.org_members(org)
                .iter()
                .any(|(l, _)| l.eq_ignore_ascii_case(c.login()))
        })
}

/// The declared members, as simple users, by login.
pub async fn members(
    hub: Hs,
    Extension(actor): Extension<Actor>,
    Path(org): Path<String>,
) -> ApiResult<Json<Value>> {
    let w = hub.world.read();
    known_org(&w, &org)?;
    if !sees_members(&w, &org, &actor) {
        return Ok(Json(Value::Array(Vec::new())));
    }
    Ok(Json(Value::Array(
        w.org_members(&org)
            .iter()
            .map(|(login, _)| w.user_json(login))
            .collect(),
    )))
}

/// 204 for a member, 404 otherwise; a caller who is no member is sent to the public
/// membership (302), as GitHub does.
pub async fn is_member(
    hub: Hs,
    Extension(actor): Extension<Actor>,
    Path((org, login)): Path<(String, String)>,
) -> ApiResult<Response> {
    let w = hub.world.read();
    known_org(&w, &org)?;
    if !sees_members(&w, &org, &actor) {
        let to = format!("{}/orgs/{org}/public_members/{login}", w.base);
        return Ok((StatusCode::FOUND, [(header::LOCATION, to)]).into_response());
    }
    w.org_members(&org)
        .iter()
        .any(|(l, _)| l.eq_ignore_ascii_case(&login))
        .then(|| StatusCode::NO_CONTENT.into_response())
        .ok_or_else(ApiError::not_found)
}

/// Public members: memberships are concealed (GitHub's default), so there are none.
pub async fn public_members(hub: Hs, Path(org): Path<String>) -> ApiResult<Json<Value>> {
    known_org(&hub.world.read(), &org)?;
    Ok(Json(Value::Array(Vec::new())))
}

pub async fn is_public_member(
    hub: Hs,
    Path((org, _login)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    known_org(&hub.world.read(), &org)?;
    Err(ApiError::not_found())
}
