use super::{mutate, nullable_str, object, param, parse_time, str_field, Hs};
use crate::error::{ApiError, ApiResult};
use crate::http::{link_header, Actor, Page, PageParams};
use crate::model::{IssueState, MilestoneFields, Time};
use axum::body::Bytes;
use axum::extract::{Extension, Path, Query};
use axum::http::{StatusCode, Uri};
use axum::Json;
use serde_json::{Map, Value};

type RepoPath = Path<(String, String)>;
type MilestonePath = Path<(String, String, u64)>;

fn fields(m: &Map<String, Value>) -> ApiResult<MilestoneFields> {
    let state = match str_field(m, "state")?.as_deref() {
        None => None,
        Some("open") => Some(IssueState::Open),
        Some("closed") => Some(IssueState::Closed),
        Some(_) => return Err(ApiError::invalid("Milestone", "state", "invalid")),
    };
    let due_on: Option<Option<Time>> = match nullable_str(m, "due_on")? {
        None => None,
        Some(None) => Some(None),
        Some(Some(s)) => {
            Some(Some(parse_time("due_on", &s).map_err(|_| {
                ApiError::invalid("Milestone", "due_on", "invalid")
            })?))
        }
    };
    Ok(MilestoneFields {
        title: str_field(m, "title")?,
        description: nullable_str(m, "description")?,
        state,
        due_on,
    })
}

pub async fn list(
    hub: Hs,
    Path((owner, name)): RepoPath,
    Query(q): Query<Vec<(String, String)>>,
    uri: Uri,
) -> ApiResult<Page> {
    let w = hub.world.read();
    let r = &w.repos[w.repo_idx(&owner, &name)?];
    let state = param(&q, "state").unwrap_or("open");
    let mut ms: Vec<_> = r
        .milestones
        .iter()
        .filter(|m| !m.deleted)
        .filter(|m| match state {
            "all" => true,
            "closed" => m.state == IssueState::Closed,
            _ => m.state == IssueState::Open,
        })
        .collect();
    match param(&q, "sort").unwrap_or("due_on") {
        "completeness" => ms.sort_by_key(|m| {
            let total = m.open_issues + m.closed_issues;
            (
                (m.closed_issues * 1000).checked_div(total).unwrap_or(0),
                m.number,
            )
        }),
        // GitHub lists milestones without a due date after those with one.
        _ => ms.sort_by_key(|m| (m.due_on.is_none(), m.due_on, m.number)),
    }
    if param(&q, "direction") == Some("desc") {
        ms.reverse();
    }
    let all: Vec<Value> = ms.iter().map(|m| w.milestone_json(r, m)).collect();
    let p = PageParams::from_query(&q)?;
    Ok(Page {
        items: p.slice(&all),
        link: link_header(&w.base, uri.path(), &q, p, all.len()),
    })
}

pub async fn get(hub: Hs, Path((owner, name, number)): MilestonePath) -> ApiResult<Json<Value>> {
    let w = hub.world.read();
    let r = &w.repos[w.repo_idx(&owner, &name)?];
    let m = r.milestone(number).ok_or_else(ApiError::not_found)?;
    Ok(Json(w.milestone_json(r, m)))
}

fn render(hub: &crate::hub::Hub, repo: usize, number: u64) -> Value {
    let w = hub.world.read();
    let r = &w.repos[repo];
    w.milestone_json(r, &r.milestones[(number - 1) as usize])
}

pub async fn create(
    hub: Hs,
    Extension(actor): Extension<Actor>,
    Path((owner, name)): RepoPath,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let f = fields(&object(&body)?)?;
    let (repo, number) = mutate(&hub, |w, now| {
        let repo = w.repo_idx(&owner, &name)?;
        Ok((repo, w.create_milestone(repo, &actor.login, f, now)?))
    })?;
    Ok((StatusCode::CREATED, Json(render(&hub, repo, number))))
}

pub async fn update(
    hub: Hs,
    Extension(actor): Extension<Actor>,
    Path((owner, name, number)): MilestonePath,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let f = fields(&object(&body)?)?;
    let repo = mutate(&hub, |w, now| {
        let repo = w.repo_idx(&owner, &name)?;
        w.update_milestone(repo, number, &actor.login, f, now)?;
        Ok(repo)
    })?;
    Ok(Json(render(&hub, repo, number)))
}

pub async fn remove(
    hub: Hs,
    Extension(actor): Extension<Actor>,
    Path((owner, name, number)): MilestonePath,
) -> ApiResult<StatusCode> {
    mutate(&hub, |w, _| {
        let repo = w.repo_idx(&owner, &name)?;
        w.delete_milestone(repo, number, &actor.login)
    })?;
    Ok(StatusCode::NO_CONTENT)
}
