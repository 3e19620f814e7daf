//! `GET /api/v1/issues` (filters, sort, pages), `GET /issues/{id}` with its relations, and
//! `GET /issues/{id}/comments`.

use super::extract::{Json, Path, Query};
use super::params::{invalid, Page, PerPage, Positive, Timestamp};
use super::{bad_request, json_bytes, not_found, ApiResult, AppState, Paging};
use crate::store::sql::id_list;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use serde_json::{json, Value};
use sqlx::any::AnyRow;
use sqlx::Row;
use std::collections::HashMap;

/// Bind values of a query built piece by piece.
enum Arg {
    I(i64),
    S(String),
}

struct Filters {
    conditions: Vec<String>,
    args: Vec<Arg>,
}

impl Filters {
    fn push(&mut self, condition: impl Fn(usize) -> String, arg: Arg) {
        self.args.push(arg);
        let n = self.args.len();
        self.conditions.push(condition(n));
    }
    fn sql(&self) -> String {
        if self.conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.conditions.join(" AND "))
        }
    }
}

fn bind_all<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    args: &'q [Arg],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for a in args {
        q = match a {
            Arg::I(i) => q.bind(*i),
            Arg::S(s) => q.bind(s.as_str()),
        };
    }
    q
}

const ISSUE_COLUMNS: &str = "i.id, i.number, i.title, i.state, i.state_reason, i.is_pull_request, i.user_login, i.milestone_id, i.issue_type, i.comments_count, \
     i.html_url, i.sub_issues_total, i.sub_issues_completed, i.blocked_by_total, i.blocking_total, i.created_at, i.updated_at, i.closed_at, r.full_name, i.body";

fn issue_json(
    r: &AnyRow,
    labels: &HashMap<i64, Vec<String>>,
    assignees: &HashMap<i64, Vec<String>>,
    milestones: &HashMap<i64, Value>,
) -> Value {
    let id: i64 = r.get(0);
    let milestone_id: Option<i64> = r.get(7);
    json!({
        "id": id,
        "repository": r.get::<String, _>(18),
        "number": r.get::<i64, _>(1),
        "title": r.get::<String, _>(2),
        "state": r.get::<String, _>(3),
        "state_reason": r.get::<Option<String>, _>(4),
        "is_pull_request": r.get::<i64, _>(5) != 0,
        "user": r.get::<Option<String>, _>(6),
        "labels": labels.get(&id).cloned().unwrap_or_default(),
        "assignees": assignees.get(&id).cloned().unwrap_or_default(),
        "milestone": milestone_id.and_then(|m| milestones.get(&m).cloned()),
        "type": r.get::<Option<String>, _>(8),
        "comments": r.get::<i64, _>(9),
        "html_url": r.get::<Option<String>, _>(10),
        "sub_issues": {"total": r.get::<i64, _>(11), "completed": r.get::<i64, _>(12)},
        "dependencies": {"blocked_by": r.get::<i64, _>(13), "blocking": r.get::<i64, _>(14)},
        "created_at": r.get::<String, _>(15),
        "updated_at": r.get::<String, _>(16),
        "closed_at": r.get::<Option<String>, _>(17),
    })
}

/// Labels, assignees and milestones of a set of issues, in three queries.
async fn details(
    state: &AppState,
    rows: &[AnyRow],
) -> ApiResult<(
    HashMap<i64, Vec<String>>,
    HashMap<i64, Vec<String>>,
    HashMap<i64, Value>,
)> {
    let ids: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
    let (mut labels, mut assignees, mut milestones) =
        (HashMap::new(), HashMap::new(), HashMap::new());
    if ids.is_empty() {
        return Ok((labels, assignees, milestones));
    }
    // Ids are integers from our own rows, so inlining them is safe.
    let list = id_list(&ids);
    for r in sqlx::query(&format!("SELECT il.issue_id, l.name FROM issue_labels il JOIN labels l ON l.id = il.label_id WHERE il.issue_id IN ({list}) ORDER BY l.name"))
        .fetch_all(&state.store.pool)
        .await?
    {
        labels.entry(r.get::<i64, _>(0)).or_insert_with(Vec::new).push(r.get::<String, _>(1));
    }
    for r in sqlx::query(&format!(
        "SELECT issue_id, login FROM issue_assignees WHERE issue_id IN ({list}) ORDER BY login"
    ))
    .fetch_all(&state.store.pool)
    .await?
    {
        assignees
            .entry(r.get::<i64, _>(0))
            .or_insert_with(Vec::new)
            .push(r.get::<String, _>(1));
    }
    let mids: Vec<i64> = rows
        .iter()
        .filter_map(|r| r.get::<Option<i64>, _>(7))
        .collect();
    if !mids.is_empty() {
        for r in sqlx::query(&format!(
            "SELECT id, number, title, state, due_on FROM milestones WHERE id IN ({})",
            id_list(&mids)
        ))
        .fetch_all(&state.store.pool)
        .await?
        {
            milestones.insert(
                r.get::<i64, _>(0),
                json!({"id": r.get::<i64, _>(0), "number": r.get::<i64, _>(1), "title": r.get::<String, _>(2), "state": r.get::<String, _>(3), "due_on": r.get::<Option<String>, _>(4)}),
            );
        }
    }
    Ok((labels, assignees, milestones))
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
    let answer = list_uncached(&state, &q).await?;
    let body = axum::body::Bytes::from(serde_json::to_vec(&answer).map_err(anyhow::Error::from)?);
    state.cache.put(key, version, body.clone());
    Ok(json_bytes(body))
}

async fn list_uncached(state: &AppState, q: &[(String, String)]) -> ApiResult<Value> {
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
    let mut f = Filters {
        conditions: Vec::new(),
        args: Vec::new(),
    };
    if let Some(repo) = one("repo") {
        f.push(
            |n| format!("r.full_name_lc = ${n}"),
            Arg::S(repo.to_ascii_lowercase()),
        );
    }
    match one("state").as_deref().unwrap_or("open") {
        "all" => {}
        s @ ("open" | "closed") => f.push(|n| format!("i.state = ${n}"), Arg::S(s.into())),
        other => {
            return Err(bad_request(format!(
                "state must be open, closed or all, got '{other}'"
            )))
        }
    }
    for (_, label) in q.iter().filter(|(k, _)| k == "label") {
        f.push(
            // Driven by the label's own index: the issues carrying it, not every issue.
            |n| format!("i.id IN (SELECT il.issue_id FROM issue_labels il WHERE il.label_id IN (SELECT l.id FROM labels l WHERE l.name_lc = ${n}))"),
            Arg::S(label.to_lowercase()),
        );
    }
    match one("milestone").as_deref() {
        None | Some("*") => {}
        Some("none") => f.conditions.push("i.milestone_id IS NULL".into()),
        Some(m) => match m.parse::<i64>() {
            Ok(number) => f.push(|n| format!("EXISTS (SELECT 1 FROM milestones m WHERE m.id = i.milestone_id AND m.number = ${n})"), Arg::I(number)),
            Err(_) => f.push(|n| format!("EXISTS (SELECT 1 FROM milestones m WHERE m.id = i.milestone_id AND m.title = ${n})"), Arg::S(m.into())),
        },
    }
    match one("assignee").as_deref() {
        None | Some("*") => {}
        Some("none") => f.conditions.push("NOT EXISTS (SELECT 1 FROM issue_assignees a WHERE a.issue_id = i.id)".into()),
        Some(a) => f.push(|n| format!("EXISTS (SELECT 1 FROM issue_assignees a WHERE a.issue_id = i.id AND LOWER(a.login) = ${n})"), Arg::S(a.to_lowercase())),
    }
    if let Some(t) = one("type") {
        f.push(
            |n| format!("LOWER(i.issue_type) = ${n}"),
            Arg::S(t.to_lowercase()),
        );
    }
    match one("parent").as_deref() {
        None => {}
        Some("none") => f
            .conditions
            .push("NOT EXISTS (SELECT 1 FROM sub_issue_links s WHERE s.child_id = i.id)".into()),
        Some(p) => {
            let parent = Positive::parse(p)
                .map_err(|e| invalid("parent", format!("{e} (an issue id), or 'none'")))?;
            f.push(|n| format!("EXISTS (SELECT 1 FROM sub_issue_links s WHERE s.child_id = i.id AND s.parent_id = ${n})"), Arg::I(parent.0));
        }
    }
    if let Some(text) = one("q").filter(|t| !t.trim().is_empty()) {
        let pattern = format!(
            "%{}%",
            text.to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        f.push(|n| format!("(LOWER(i.title) LIKE ${n} ESCAPE '\\' OR LOWER(COALESCE(i.body, '')) LIKE ${n} ESCAPE '\\')"), Arg::S(pattern));
    }
    if let Some(since) = one("updated_since") {
        let t = Timestamp::parse(&since).map_err(|e| invalid("updated_since", e))?;
        f.push(|n| format!("i.updated_at >= ${n}"), Arg::S(t.0));
    }
    match one("kind").as_deref() {
        None | Some("all") => {}
        Some("issue") => f.conditions.push("i.is_pull_request = 0".into()),
        Some("pull_request") => f.conditions.push("i.is_pull_request = 1".into()),
        Some(other) => {
            return Err(bad_request(format!(
                "kind must be issue, pull_request or all, got '{other}'"
            )))
        }
    }
    let order_column = match one("sort").as_deref().unwrap_or("updated") {
        "updated" => "i.updated_at",
        "created" => "i.created_at",
        "number" => "i.number",
        "comments" => "i.comments_count",
        other => {
            return Err(bad_request(format!(
                "sort must be updated, created, number or comments, got '{other}'"
            )))
        }
    };
    let direction = match one("direction").as_deref().unwrap_or("desc") {
        "asc" => "ASC",
        "desc" => "DESC",
        other => {
            return Err(bad_request(format!(
                "direction must be asc or desc, got '{other}'"
            )))
        }
    };
    let from = "FROM issues i JOIN repositories r ON r.id = i.repository_id";
    let where_sql = f.sql();
    let total: i64 = bind_all(
        sqlx::query(&format!("SELECT COUNT(*) {from} {where_sql}")),
        &f.args,
    )
    .fetch_one(&state.store.pool)
    .await?
    .get(0);
    let n = f.args.len();
    let sql = format!("SELECT {ISSUE_COLUMNS} {from} {where_sql} ORDER BY {order_column} {direction}, i.id {direction} LIMIT ${} OFFSET ${}", n + 1, n + 2);
    let rows = bind_all(sqlx::query(&sql), &f.args)
        .bind(paging.per_page)
        .bind(paging.offset())
        .fetch_all(&state.store.pool)
        .await?;
    let (labels, assignees, milestones) = details(state, &rows).await?;
    let data = rows
        .iter()
        .map(|r| issue_json(r, &labels, &assignees, &milestones))
        .collect();
    Ok(paging.envelope(data, total))
}

async fn brief(state: &AppState, sql: &str, id: i64) -> ApiResult<Vec<Value>> {
    let rows = sqlx::query(sql)
        .bind(id)
        .fetch_all(&state.store.pool)
        .await?;
    Ok(rows
        .iter()
        .map(|r| json!({"id": r.get::<i64, _>(0), "number": r.get::<Option<i64>, _>(1), "title": r.get::<Option<String>, _>(2), "state": r.get::<Option<String>, _>(3)}))
        .collect())
}

pub async fn get(State(state): State<AppState>, Path(id): Path<i64>) -> ApiResult<Json<Value>> {
    let row = sqlx::query(&format!("SELECT {ISSUE_COLUMNS} FROM issues i JOIN repositories r ON r.id = i.repository_id WHERE i.id = $1"))
        .bind(id)
        .fetch_optional(&state.store.pool)
        .await?
        .ok_or_else(|| not_found(format!("no issue with id {id} in the mirror")))?;
    let rows = vec![row];
    let (labels, assignees, milestones) = details(&state, &rows).await?;
    let mut v = issue_json(&rows[0], &labels, &assignees, &milestones);
    v["body"] = json!(rows[0].get::<Option<String>, _>(19));
    let parent = brief(&state, "SELECT s.parent_id, i.number, i.title, i.state FROM sub_issue_links s LEFT JOIN issues i ON i.id = s.parent_id WHERE s.child_id = $1", id).await?;
    v["parent"] = parent.into_iter().next().unwrap_or(Value::Null);
    v["children"] = json!(brief(&state, "SELECT s.child_id, i.number, i.title, i.state FROM sub_issue_links s LEFT JOIN issues i ON i.id = s.child_id WHERE s.parent_id = $1 ORDER BY s.position", id).await?);
    v["blocked_by"] = json!(brief(&state, "SELECT d.blocking_id, i.number, i.title, i.state FROM dependencies d LEFT JOIN issues i ON i.id = d.blocking_id WHERE d.blocked_id = $1 ORDER BY d.blocking_id", id).await?);
    v["blocking"] = json!(brief(&state, "SELECT d.blocked_id, i.number, i.title, i.state FROM dependencies d LEFT JOIN issues i ON i.id = d.blocked_id WHERE d.blocking_id = $1 ORDER BY d.blocked_id", id).await?);
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
    let issue = sqlx::query("SELECT repository_id, number FROM issues WHERE id = $1")
        .bind(id)
        .fetch_optional(&state.store.pool)
        .await?
        .ok_or_else(|| not_found(format!("no issue with id {id} in the mirror")))?;
    let (repo, number): (i64, i64) = (issue.get(0), issue.get(1));
    let total: i64 =
        sqlx::query("SELECT COUNT(*) FROM comments WHERE repository_id = $1 AND issue_number = $2")
            .bind(repo)
            .bind(number)
            .fetch_one(&state.store.pool)
            .await?
            .get(0);
    let rows = sqlx::query("SELECT id, user_login, body, html_url, created_at, updated_at FROM comments WHERE repository_id = $1 AND issue_number = $2 ORDER BY created_at, id LIMIT $3 OFFSET $4")
        .bind(repo)
        .bind(number)
        .bind(paging.per_page)
        .bind(paging.offset())
        .fetch_all(&state.store.pool)
        .await?;
    let data = rows
        .iter()
        .map(|r| json!({"id": r.get::<i64, _>(0), "user": r.get::<Option<String>, _>(1), "body": r.get::<Option<String>, _>(2), "html_url": r.get::<Option<String>, _>(3), "created_at": r.get::<String, _>(4), "updated_at": r.get::<String, _>(5)}))
        .collect();
    Ok(Json(paging.envelope(data, total)))
}
