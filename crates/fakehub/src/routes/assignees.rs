//! `GET /repos/{owner}/{repo}/assignees` and `…/assignees/{login}`.

use super::Hs;
use crate::error::{ApiError, ApiResult};
use crate::http::{link_header, Page, PageParams};
use axum::extract::{Path, Query};
use axum::http::{StatusCode, Uri};
use serde_json::Value;

pub async fn list(
    hub: Hs,
    Path((owner, name)): Path<(String, String)>,
    Query(q): Query<Vec<(String, String)>>,
    uri: Uri,
) -> ApiResult<Page> {
    let w = hub.world.read();
    let repo = w.repo_idx(&owner, &name)?;
    let p = PageParams::from_query(&q)?;
    let users = w.assignable_users(repo);
    let items: Vec<Value> = p
        .slice(&users)
        .into_iter()
        .map(|u| w.user_json(&u.login))
        .collect();
    Ok(Page {
        items,
        link: link_header(&w.base, uri.path(), &q, p, users.len()),
    })
}

/// 204 if the user can be assigned, 404 otherwise (GitHub's "check if a user can be
/// assigned").
pub async fn check(
    hub: Hs,
    Path((owner, name, login)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let w = hub.world.read();
    let repo = w.repo_idx(&owner, &name)?;
    w.assignable(repo, &login)
        .map(|_| StatusCode::NO_CONTENT)
        .ok_or_else(ApiError::not_found)
}
