//! Issue events and timelines: `GET /repos/{o}/{r}/issues/events` (newest first),
//! `…/issues/events/{id}`, `…/issues/{n}/events` and `…/issues/{n}/timeline` (oldest first;
//! the timeline also shows comments, as `commented`).

use super::Hs;
use crate::error::{ApiError, ApiResult};
use crate::http::{link_header, Page, PageParams};
use crate::model::Id;
use axum::extract::{Path, Query};
use axum::http::Uri;
use axum::Json;
use serde_json::Value;

type Q = Query<Vec<(String, String)>>;

fn page(base: &str, uri: &Uri, q: &[(String, String)], all: Vec<Value>) -> ApiResult<Page> {
    let p = PageParams::from_query(q)?;
    Ok(Page {
        items: p.slice(&all),
        link: link_header(base, uri.path(), q, p, all.len()),
    })
}

pub async fn in_repo(
    hub: Hs,
    Path((owner, name)): Path<(String, String)>,
    Query(q): Q,
    uri: Uri,
) -> ApiResult<Page> {
    let w = hub.world.read();
    let repo = w.repo_idx(&owner, &name)?;
    let all = w
        .issue_events
        .iter()
        .rev()
        .filter(|e| e.repo == repo)
        .map(|e| w.issue_event_json(e, true))
        .collect();
    page(&w.base, &uri, &q, all)
}

pub async fn get(
    hub: Hs,
    Path((owner, name, id)): Path<(String, String, Id)>,
) -> ApiResult<Json<Value>> {
    let w = hub.world.read();
    let repo = w.repo_idx(&owner, &name)?;
    w.issue_events
        .iter()
        .find(|e| e.repo == repo && e.id == id)
        .map(|e| Json(w.issue_event_json(e, true)))
        .ok_or_else(ApiError::not_found)
}

pub async fn on_issue(
    hub: Hs,
    Path((owner, name, number)): Path<(String, String, u64)>,
    Query(q): Q,
    uri: Uri,
) -> ApiResult<Page> {
    let w = hub.world.read();
    let repo = w.repo_idx(&owner, &name)?;
    w.live_issue(repo, number)?;
    let all = w
        .issue_events
        .iter()
        .filter(|e| e.repo == repo && e.number == number)
        .map(|e| w.issue_event_json(e, false))
        .collect();
    page(&w.base, &uri, &q, all)
}

pub async fn timeline(
    hub: Hs,
    Path((owner, name, number)): Path<(String, String, u64)>,
    Query(q): Q,
    uri: Uri,
) -> ApiResult<Page> {
    let w = hub.world.read();
    let repo = w.repo_idx(&owner, &name)?;
    w.live_issue(repo, number)?;
    let mut entries: Vec<(crate::model::Time, Id, Value)> = w
        .issue_events
        .iter()
        .filter(|e| e.repo == repo && e.number == number)
        .map(|e| (e.created_at, e.id, w.issue_event_json(e, false)))
        .collect();
    entries.extend(
        w.repos[repo]
            .comments
            .iter()
            .filter(|c| c.issue_number == number)
            .map(|c| (c.created_at, c.id, w.timeline_comment_json(repo, c))),
    );
    entries.sort_by_key(|(t, id, _)| (*t, *id));
    page(
        &w.base,
        &uri,
        &q,
        entries.into_iter().map(|(_, _, v)| v).collect(),
    )
}
