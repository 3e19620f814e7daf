//! `GET /api/v1/issues` (filters, sort, pages), `GET /issues/{id}` with its relations, and
//! `GET /issues/{id}/comments`. The queries live in the store (`ghgov_store::issue_reads`);
//! this module parses parameters and renders rows.

use super::extract::{Json, Path, Query};
use super::params::{invalid, Page, PerPage, Positive, Timestamp};
use super::{bad_request, json_bytes, not_found, ApiResult, AppState, Paging};
use crate::store::issue_reads::{
    AssigneeFilter, IssueBrief, IssueDetails, IssueFilter, IssueRow, IssueSort, KindFilter,
    MilestoneFilter, ParentFilter, SortDirection, StateFilter,
};
use axum::extract::{RawQuery, State};
use axum::response::Response;
use serde_json::{json, Value};

fn issue_json(r: &IssueRow, d: &IssueDetails) -> Value {
    json!({
        "id": r.id,
        "repository": r.repository,
        "number": r.number,
        "title": r.title,
        "state": r.state,
        "state_reason": r.state_reason,
        "is_pull_request": r.is_pull_request != 0,
        "user": r.user_login,
        "labels": d.labels.get(&r.id).cloned().unwrap_or_default(),
        "assignees": d.assignees.get(&r.id).cloned().unwrap_or_default(),
        "milestone": r.milestone().map(|m| json!({
            "id": m.id, "number": m.number, "title": m.title, "state": m.state, "due_on": m.due_on,
        })),
        "type": r.issue_type,
        "comments": r.comments_count,
        "html_url": r.html_url,
        "sub_issues": {"total": r.sub_issues_total, "completed": r.sub_issues_completed},
        "dependencies": {"blocked_by": r.blocked_by_total, "blocking": r.blocking_total},
        "created_at": r.created_at,
        "updated_at": r.updated_at,
        "closed_at": r.closed_at,
    })
}

fn brief_json(b: &IssueBrief) -> Value {
    json!({"id": b.id, "number": b.number, "title": b.title, "state": b.state})
}

pub async fn list(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    Query(q): Query<Vec<(String, String)>>,
) -> ApiResult<Response> {
    // The same question of an unchanged mirror gets the same answer.
    let key = format!("issues?{}", raw.unwrap_or_default());
    let version = state.store.mirror_version().await?;
    if let Some(body) = state.cache.get(&key, version) {
        return Ok(json_bytes(body));
    }
    let fill = state.cache.fill_lock(&key);
    let _filling = fill.lock().await;
    if let Some(body) = state.cache.get(&key, version) {
        return Ok(json_bytes(body));
    }
    let answer = list_uncached(&state, version, &q).await?;
    let body = axum::body::Bytes::from(serde_json::to_vec(&answer).map_err(anyhow::Error::from)?);
    state.cache.put(key, version, body.clone());
    Ok(json_bytes(body))
}

async fn list_uncached(state: &AppState, version: i64, q: &[(String, String)]) -> ApiResult<Value> {
    let one = |k: &str| {
        q.iter()
            .rev()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let page = one("page")
        .map(|v| Page::parse(&v).map_err(|e| invalid("page", e)))
        .transpose()?;
    let per_page = one("per_page")
        .map(|v| PerPage::parse(&v).map_err(|e| invalid("per_page", e)))
        .transpose()?;
    let paging = Paging::from(page, per_page);
    let mut filter = IssueFilter {
        repo_key: one("repo").map(|r| r.to_ascii_lowercase()),
        ..IssueFilter::default()
    };
    filter.state = match one("state").as_deref().unwrap_or("open") {
        "all" => StateFilter::All,
        "open" => StateFilter::Open,
        "closed" => StateFilter::Closed,
        other => {
            return Err(bad_request(format!(
                "state must be open, closed or all, got '{other}'"
            )))
        }
    };
    filter.labels = q
        .iter()
        .filter(|(k, _)| k == "label")
        .map(|(_, label)| label.to_lowercase())
        .collect();
    filter.milestone = match one("milestone").as_deref() {
        None | Some("*") => MilestoneFilter::Any,
        Some("none") => MilestoneFilter::None,
        Some(m) => match m.parse::<i64>() {
            Ok(number) => MilestoneFilter::Number(number),
            Err(_) => MilestoneFilter::Title(m.into()),
        },
    };
    filter.assignee = match one("assignee").as_deref() {
        None | Some("*") => AssigneeFilter::Any,
        Some("none") => AssigneeFilter::None,
        Some(a) => AssigneeFilter::Login(a.to_lowercase()),
    };
    filter.issue_type = one("type").map(|t| t.to_lowercase());
    filter.parent = match one("parent").as_deref() {
        None => ParentFilter::Any,
        Some("none") => ParentFilter::None,
        Some(p) => {
            let parent = Positive::parse(p)
                .map_err(|e| invalid("parent", format!("{e} (an issue id), or 'none'")))?;
            ParentFilter::Id(parent.0)
        }
    };
    filter.text = one("q").filter(|t| !t.trim().is_empty());
    if let Some(since) = one("updated_since") {
        let t = Timestamp::parse(&since).map_err(|e| invalid("updated_since", e))?;
        filter.updated_since = Some(t.0);
    }
    filter.kind = match one("kind").as_deref() {
        None | Some("all") => KindFilter::All,
        Some("issue") => KindFilter::Issue,
        Some("pull_request") => KindFilter::PullRequest,
        Some(other) => {
            return Err(bad_request(format!(
                "kind must be issue, pull_request or all, got '{other}'"
            )))
        }
    };
    let sort = match one("sort").as_deref().unwrap_or("updated") {
        "updated" => IssueSort::Updated,
        "created" => IssueSort::Created,
        "number" => IssueSort::Number,
        "comments" => IssueSort::Comments,
        other => {
            return Err(bad_request(format!(
                "sort must be updated, created, number or comments, got '{other}'"
            )))
        }
    };
    let direction = match one("direction").as_deref().unwrap_or("desc") {
        "asc" => SortDirection::Asc,
        "desc" => SortDirection::Desc,
        other => {
            return Err(bad_request(format!(
                "direction must be asc or desc, got '{other}'"
            )))
        }
    };
    let page = state
        .store
        .issue_reads()
        .list(
            version,
            &filter,
            sort,
            direction,
            paging.per_page,
            paging.offset(),
        )
        .await?;
    let data = page
        .issues
        .iter()
        .map(|r| issue_json(r, &page.details))
        .collect();
    Ok(paging.envelope(data, page.total))
}

pub async fn get(State(state): State<AppState>, Path(id): Path<i64>) -> ApiResult<Json<Value>> {
    let reads = state.store.issue_reads();
    let row = reads
        .get(id)
        .await?
        .ok_or_else(|| not_found(format!("no issue with id {id} in the mirror")))?;
    let rows = [row];
    let details = reads.details(&rows).await?;
    let mut v = issue_json(&rows[0], &details);
    v["body"] = json!(rows[0].body);
    v["parent"] = reads
        .parent(id)
        .await?
        .map_or(Value::Null, |p| brief_json(&p));
    let briefs = |list: Vec<IssueBrief>| Value::Array(list.iter().map(brief_json).collect());
    v["children"] = briefs(reads.children(id).await?);
    v["blocked_by"] = briefs(reads.blocked_by(id).await?);
    v["blocking"] = briefs(reads.blocking(id).await?);
    Ok(Json(v))
}

#[derive(serde::Deserialize)]
pub struct PageQuery {
    page: Option<Page>,
    per_page: Option<PerPage>,
}

pub async fn comments(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(p): Query<PageQuery>,
) -> ApiResult<Json<Value>> {
    let paging = Paging::from(p.page, p.per_page);
    let (total, rows) = state
        .store
        .issue_reads()
        .comments(id, paging.per_page, paging.offset())
        .await?
        .ok_or_else(|| not_found(format!("no issue with id {id} in the mirror")))?;
    let data = rows
        .iter()
        .map(|r| json!({"id": r.id, "user": r.user_login, "body": r.body, "html_url": r.html_url, "created_at": r.created_at, "updated_at": r.updated_at}))
        .collect();
    Ok(Json(paging.envelope(data, total)))
}
