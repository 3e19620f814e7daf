//! Repositories, labels and milestones (with progress from the mirrored issues).

use super::extract::{Json, Query};
use super::params::{Page, PerPage};
use super::{bad_request, ApiResult, AppState, Paging};
use crate::store::resource_reads::MilestoneState;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
pub struct RepoQuery {
    repo: Option<String>,
    page: Option<Page>,
    per_page: Option<PerPage>,
}

pub async fn repos(
    State(state): State<AppState>,
    Query(q): Query<RepoQuery>,
) -> ApiResult<Json<Value>> {
    let paging = Paging::from(q.page, q.per_page);
    let (total, rows) = state
        .store
        .resource_reads()
        .repositories(paging.per_page, paging.offset())
        .await?;
    let data = rows
        .iter()
        .map(|r| {
            json!({"id": r.id, "full_name": r.full_name, "html_url": r.html_url, "default_branch": r.default_branch,
                   "private": r.private != 0, "issues": r.issues, "open_issues": r.open_issues})
        })
        .collect();
    Ok(Json(paging.envelope(data, total)))
}

fn repo_key(repo: &Option<String>) -> Option<String> {
    repo.as_ref().map(|r| r.to_ascii_lowercase())
}

pub async fn labels(
    State(state): State<AppState>,
    Query(q): Query<RepoQuery>,
) -> ApiResult<Json<Value>> {
    let paging = Paging::with_default(q.page, q.per_page, 100);
    let (total, rows) = state
        .store
        .resource_reads()
        .labels(&repo_key(&q.repo), paging.per_page, paging.offset())
        .await?;
    let data = rows
        .iter()
        .map(|l| json!({"id": l.id, "repository": l.repository, "name": l.name, "color": l.color, "description": l.description, "issues": l.issues}))
        .collect();
    Ok(Json(paging.envelope(data, total)))
}

#[derive(Deserialize)]
pub struct MilestoneQuery {
    repo: Option<String>,
    state: Option<String>,
    page: Option<Page>,
    per_page: Option<PerPage>,
}

pub async fn milestones(
    State(state): State<AppState>,
    Query(q): Query<MilestoneQuery>,
) -> ApiResult<Json<Value>> {
    let paging = Paging::from(q.page, q.per_page);
    let wanted = match q.state.as_deref().unwrap_or("all") {
        "all" => MilestoneState::All,
        "open" => MilestoneState::Open,
        "closed" => MilestoneState::Closed,
        other => {
            return Err(bad_request(format!(
                "state must be open, closed or all, got '{other}'"
            )))
        }
    };
    let (total, rows) = state
        .store
        .resource_reads()
        .milestones(&repo_key(&q.repo), wanted, paging.per_page, paging.offset())
        .await?;
    let data = rows
        .iter()
        .map(|m| {
            let (open, closed) = (m.open_issues, m.closed_issues);
            let percent = if open + closed == 0 { 0.0 } else { (closed as f64 * 1000.0 / (open + closed) as f64).round() / 10.0 };
            json!({"id": m.id, "repository": m.repository, "number": m.number, "title": m.title,
                   "description": m.description, "state": m.state, "due_on": m.due_on,
                   "progress": {"open_issues": open, "closed_issues": closed, "total": open + closed, "percent_complete": percent}})
        })
        .collect();
    Ok(Json(paging.envelope(data, total)))
}
