//! Sub-issue and dependency endpoints. They name other issues by database id, not number.

use super::{bool_field, mutate, object, u64_field, Hs};
use crate::error::{ApiError, ApiResult};
use crate::http::{link_header, Actor, Page, PageParams};
use crate::model::Id;
use axum::body::Bytes;
use axum::extract::{Extension, Path, Query};
use axum::http::{StatusCode, Uri};
use axum::Json;
use serde_json::Value;

type IssuePath = Path<(String, String, u64)>;
type Q = Query<Vec<(String, String)>>;

fn required_id(body: &Bytes, key: &str) -> ApiResult<Id> {
    u64_field(&object(body)?, key)?.ok_or_else(|| ApiError::invalid("Issue", key, "missing_field"))
}

fn render_issue(hub: &crate::hub::Hub, repo: usize, number: u64) -> Value {
    let w = hub.world.read();
    w.issue_json(repo, w.repos[repo].issue(number).expect("issue"))
}

/// A page of the issues whose ids `pick` returns for the issue at the path.
fn list_ids(
    hub: &crate::hub::Hub,
    owner: &str,
    name: &str,
    number: u64,
    q: &[(String, String)],
    uri: &Uri,
    pick: impl Fn(&crate::model::Issue) -> Vec<Id>,
) -> ApiResult<Page> {
    let w = hub.world.read();
    let repo = w.repo_idx(owner, name)?;
    let ids = pick(w.live_issue(repo, number)?);
    let all: Vec<Value> = ids
        .iter()
        .filter_map(|id| w.issue_by_id(*id))
        .map(|(r, i)| w.issue_json(r, i))
        .collect();
    let p = PageParams::from_query(q)?;
    Ok(Page {
        items: p.slice(&all),
        link: link_header(&w.base, uri.path(), q, p, all.len()),
    })
}

pub async fn list_sub_issues(
    hub: Hs,
    Path((owner, name, number)): IssuePath,
    Query(q): Q,
    uri: Uri,
) -> ApiResult<Page> {
    list_ids(&hub, &owner, &name, number, &q, &uri, |i| {
        i.sub_issues.clone()
    })
}

pub async fn list_blocked_by(
    hub: Hs,
    Path((owner, name, number)): IssuePath,
    Query(q): Q,
    uri: Uri,
) -> ApiResult<Page> {
    list_ids(&hub, &owner, &name, number, &q, &uri, |i| {
        i.blocked_by.clone()
    })
}

pub async fn list_blocking(
    hub: Hs,
    Path((owner, name, number)): IssuePath,
    Query(q): Q,
    uri: Uri,
) -> ApiResult<Page> {
    list_ids(&hub, &owner, &name, number, &q, &uri, |i| {
        i.blocking.clone()
    })
}

pub async fn parent(hub: Hs, Path((owner, name, number)): IssuePath) -> ApiResult<Json<Value>> {
    let w = hub.world.read();
    let repo = w.repo_idx(&owner, &name)?;
    let parent = w
        .live_issue(repo, number)?
        .parent
        .ok_or_else(ApiError::not_found)?;
    let (r, p) = w.issue_by_id(parent).ok_or_else(ApiError::not_found)?;
    Ok(Json(w.issue_json(r, p)))
}

pub async fn add_sub_issue(
    hub: Hs,
    Extension(actor): Extension<Actor>,
    Path((owner, name, number)): IssuePath,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let m = object(&body)?;
    let child = u64_field(&m, "sub_issue_id")?
        .ok_or_else(|| ApiError::invalid("Issue", "sub_issue_id", "missing_field"))?;
    let replace = bool_field(&m, "replace_parent")?.unwrap_or(false);
    let repo = mutate(&hub, |w, now| {
        let repo = w.repo_idx(&owner, &name)?;
        w.add_sub_issue(repo, number, child, replace, &actor.login, now)?;
        Ok(repo)
    })?;
    Ok((StatusCode::CREATED, Json(render_issue(&hub, repo, number))))
}

pub async fn remove_sub_issue(
    hub: Hs,
    Extension(actor): Extension<Actor>,
    Path((owner, name, number)): IssuePath,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let child = required_id(&body, "sub_issue_id")?;
    let child_loc = mutate(&hub, |w, now| {
        let repo = w.repo_idx(&owner, &name)?;
        w.remove_sub_issue(repo, number, child, &actor.login, now)?;
        Ok(w.issue_by_id(child).map(|(r, i)| (r, i.number)))
    })?;
    // GitHub answers with the sub-issue that was removed.
    let (r, n) = child_loc.ok_or_else(ApiError::not_found)?;
    Ok(Json(render_issue(&hub, r, n)))
}

pub async fn reprioritize(
    hub: Hs,
    Path((owner, name, number)): IssuePath,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let m = object(&body)?;
    let child = u64_field(&m, "sub_issue_id")?
        .ok_or_else(|| ApiError::invalid("Issue", "sub_issue_id", "missing_field"))?;
    let (after, before) = (u64_field(&m, "after_id")?, u64_field(&m, "before_id")?);
    let repo = mutate(&hub, |w, _| {
        let repo = w.repo_idx(&owner, &name)?;
        w.reprioritize_sub_issue(repo, number, child, after, before)?;
        Ok(repo)
    })?;
    Ok(Json(render_issue(&hub, repo, number)))
}

pub async fn add_blocked_by(
    hub: Hs,
    Extension(actor): Extension<Actor>,
    Path((owner, name, number)): IssuePath,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let blocker = required_id(&body, "issue_id")?;
    let repo = mutate(&hub, |w, now| {
        let repo = w.repo_idx(&owner, &name)?;
        w.add_blocked_by(repo, number, blocker, &actor.login, now)?;
        Ok(repo)
    })?;
    Ok((StatusCode::CREATED, Json(render_issue(&hub, repo, number))))
}

pub async fn remove_blocked_by(
    hub: Hs,
    Extension(actor): Extension<Actor>,
    Path((owner, name, number, blocker)): Path<(String, String, u64, Id)>,
) -> ApiResult<Json<Value>> {
    let repo = mutate(&hub, |w, now| {
        let repo = w.repo_idx(&owner, &name)?;
        w.remove_blocked_by(repo, number, blocker, &actor.login, now)?;
        Ok(repo)
    })?;
    Ok(Json(render_issue(&hub, repo, number)))
}
