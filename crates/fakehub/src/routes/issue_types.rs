//! Organization issue types (`/orgs/{org}/issue-types`).

use super::{bool_field, nullable_str, object, str_field, Hs};
use crate::error::{ApiError, ApiResult};
use crate::model::{Id, IssueType, UserKind};
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::Json;
use serde_json::Value;

const COLORS: [&str; 8] = [
    "gray", "blue", "green", "yellow", "orange", "red", "pink", "purple",
];

fn check_org(w: &crate::model::World, org: &str) -> ApiResult<()> {
    match w.find_user(org) {
        Some(u) if u.kind == UserKind::Organization => Ok(()),
        _ => Err(ApiError::not_found()),
    }
}

fn color(m: &serde_json::Map<String, Value>) -> ApiResult<Option<Option<String>>> {
    let c = nullable_str(m, "color")?;
    if let Some(Some(c)) = &c {
        if !COLORS.contains(&c.as_str()) {
            return Err(ApiError::invalid("IssueType", "color", "invalid"));
        }
    }
    Ok(c)
}

pub async fn list(hub: Hs, Path(org): Path<String>) -> ApiResult<Json<Vec<Value>>> {
    let w = hub.world.read();
    check_org(&w, &org)?;
    let types = w
        .issue_types
        .get(&org.to_ascii_lowercase())
        .cloned()
        .unwrap_or_default();
    Ok(Json(types.iter().map(|t| w.issue_type_json(t)).collect()))
}

pub async fn create(hub: Hs, Path(org): Path<String>, body: Bytes) -> ApiResult<Json<Value>> {
    let m = object(&body)?;
    let name = str_field(&m, "name")?
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| ApiError::invalid("IssueType", "name", "missing_field"))?;
    let color = color(&m)?.flatten();
    let now = hub.clock.now();
    let mut w = hub.world.write();
    check_org(&w, &org)?;
    if w.issue_type_by_name(&org, &name).is_some() {
        return Err(ApiError::invalid("IssueType", "name", "already_exists"));
    }
    let t = IssueType {
        id: w.next_id(),
        name,
        description: str_field(&m, "description")?,
        color,
        is_enabled: bool_field(&m, "is_enabled")?.unwrap_or(true),
        created_at: now,
        updated_at: now,
    };
    let v = w.issue_type_json(&t);
    w.issue_types
        .entry(org.to_ascii_lowercase())
        .or_default()
        .push(t);
    Ok(Json(v))
}

pub async fn update(
    hub: Hs,
    Path((org, id)): Path<(String, Id)>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let m = object(&body)?;
    let color = color(&m)?;
    let now = hub.clock.now();
    let mut w = hub.world.write();
    check_org(&w, &org)?;
    let name = str_field(&m, "name")?;
    if let Some(n) = &name {
        if w.issue_type_by_name(&org, n).is_some_and(|t| t.id != id) {
            return Err(ApiError::invalid("IssueType", "name", "already_exists"));
        }
    }
    let types = w.issue_types.entry(org.to_ascii_lowercase()).or_default();
    let t = types
        .iter_mut()
        .find(|t| t.id == id)
        .ok_or_else(ApiError::not_found)?;
    if let Some(n) = name {
        t.name = n;
    }
    if let Some(d) = nullable_str(&m, "description")? {
        t.description = d;
    }
    if let Some(c) = color {
        t.color = c;
    }
    if let Some(e) = bool_field(&m, "is_enabled")? {
        t.is_enabled = e;
    }
    t.updated_at = now;
    let t = t.clone();
    Ok(Json(w.issue_type_json(&t)))
}

pub async fn remove(hub: Hs, Path((org, id)): Path<(String, Id)>) -> ApiResult<StatusCode> {
    let mut w = hub.world.write();
    check_org(&w, &org)?;
    let types = w.issue_types.entry(org.to_ascii_lowercase()).or_default();
    let before = types.len();
    types.retain(|t| t.id != id);
    if types.len() == before {
        return Err(ApiError::not_found());
    }
    for repo in w
        .repos
        .iter_mut()
        .filter(|r| r.owner.eq_ignore_ascii_case(&org))
    {
        for issue in repo.issues.iter_mut().filter(|i| i.type_id == Some(id)) {
            issue.type_id = None;
        }
    }
    Ok(StatusCode::NO_CONTENT)
}
