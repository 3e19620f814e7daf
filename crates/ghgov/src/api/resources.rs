//! Repositories, labels and milestones (with progress from the mirrored issues).

use super::extract::{Json, Query};
use super::params::{Page, PerPage};
use super::{bad_request, ApiResult, AppState, Paging};
use axum::extract::State;
use serde::Deserialize;
use serde_json::{json, Value};
use sqlx::Row;

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
    let total: i64 = sqlx::query("SELECT COUNT(*) FROM repositories")
        .fetch_one(&state.store.pool)
        .await?
        .get(0);
    let rows = sqlx::query(
        "SELECT r.id, r.full_name, r.html_url, r.default_branch, r.private, \
         (SELECT COUNT(*) FROM issues i WHERE i.repository_id = r.id AND i.is_pull_request = 0), \
         (SELECT COUNT(*) FROM issues i WHERE i.repository_id = r.id AND i.is_pull_request = 0 AND i.state = 'open') \
         FROM repositories r ORDER BY r.full_name LIMIT $1 OFFSET $2",
    )
    .bind(paging.per_page)
    .bind(paging.offset())
    .fetch_all(&state.store.pool)
    .await?;
    let data = rows
        .iter()
        .map(|r| {
            json!({"id": r.get::<i64, _>(0), "full_name": r.get::<String, _>(1), "html_url": r.get::<Option<String>, _>(2), "default_branch": r.get::<Option<String>, _>(3),
                   "private": r.get::<i64, _>(4) != 0, "issues": r.get::<i64, _>(5), "open_issues": r.get::<i64, _>(6)})
        })
        .collect();
    Ok(Json(paging.envelope(data, total)))
}

fn repo_filter(repo: &Option<String>) -> (String, String) {
    match repo {
        Some(r) => ("AND r.full_name_lc = $3".into(), r.to_ascii_lowercase()),
        None => ("AND $3 = $3".into(), String::new()),
    }
}

pub async fn labels(
    State(state): State<AppState>,
    Query(q): Query<RepoQuery>,
) -> ApiResult<Json<Value>> {
    let paging = Paging::with_default(q.page, q.per_page, 100);
    let (filter, arg) = repo_filter(&q.repo);
    let total: i64 = sqlx::query(&format!("SELECT COUNT(*) FROM labels l JOIN repositories r ON r.id = l.repository_id WHERE 1 = 1 {}", filter.replace("$3", "$1")))
        .bind(&arg)
        .fetch_one(&state.store.pool)
        .await?
        .get(0);
    let rows = sqlx::query(&format!(
        "SELECT l.id, r.full_name, l.name, l.color, l.description, (SELECT COUNT(*) FROM issue_labels il WHERE il.label_id = l.id) \
         FROM labels l JOIN repositories r ON r.id = l.repository_id WHERE 1 = 1 {filter} ORDER BY r.full_name, l.name_lc LIMIT $1 OFFSET $2"
    ))
    .bind(paging.per_page)
    .bind(paging.offset())
    .bind(&arg)
    .fetch_all(&state.store.pool)
    .await?;
    let data = rows
        .iter()
        .map(|r| json!({"id": r.get::<i64, _>(0), "repository": r.get::<String, _>(1), "name": r.get::<String, _>(2), "color": r.get::<String, _>(3), "description": r.get::<Option<String>, _>(4), "issues": r.get::<i64, _>(5)}))
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
    let (filter, arg) = repo_filter(&q.repo);
    let state_filter = match q.state.as_deref().unwrap_or("all") {
        "all" => "",
        "open" => "AND m.state = 'open'",
        "closed" => "AND m.state = 'closed'",
        other => {
            return Err(bad_request(format!(
                "state must be open, closed or all, got '{other}'"
            )))
        }
    };
    let total: i64 = sqlx::query(&format!(
        "SELECT COUNT(*) FROM milestones m JOIN repositories r ON r.id = m.repository_id WHERE 1 = 1 {} {state_filter}",
        filter.replace("$3", "$1")
    ))
    .bind(&arg)
    .fetch_one(&state.store.pool)
    .await?
    .get(0);
    // Progress is counted from the mirrored issues, so it is what the mirror knows.
    let rows = sqlx::query(&format!(
        "SELECT m.id, r.full_name, m.number, m.title, m.description, m.state, m.due_on, \
         (SELECT COUNT(*) FROM issues i WHERE i.milestone_id = m.id AND i.state = 'open'), \
         (SELECT COUNT(*) FROM issues i WHERE i.milestone_id = m.id AND i.state = 'closed') \
         FROM milestones m JOIN repositories r ON r.id = m.repository_id WHERE 1 = 1 {filter} {state_filter} ORDER BY r.full_name, m.number LIMIT $1 OFFSET $2"
    ))
    .bind(paging.per_page)
    .bind(paging.offset())
    .bind(&arg)
    .fetch_all(&state.store.pool)
    .await?;
    let data = rows
        .iter()
        .map(|r| {
            let (open, closed): (i64, i64) = (r.get(7), r.get(8));
            let percent = if open + closed == 0 { 0.0 } else { (closed as f64 * 1000.0 / (open + closed) as f64).round() / 10.0 };
            json!({"id": r.get::<i64, _>(0), "repository": r.get::<String, _>(1), "number": r.get::<i64, _>(2), "title": r.get::<String, _>(3),
                   "description": r.get::<Option<String>, _>(4), "state": r.get::<String, _>(5), "due_on": r.get::<Option<String>, _>(6),
                   "progress": {"open_issues": open, "closed_issues": closed, "total": open + closed, "percent_complete": percent}})
        })
        .collect();
    Ok(Json(paging.envelope(data, total)))
}
