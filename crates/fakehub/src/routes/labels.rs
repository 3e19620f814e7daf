use super::{mutate, name_list, nullable_str, object, str_field, Hs};
use crate::error::{ApiError, ApiResult};
use crate::http::{link_header, Actor, Page, PageParams};
use axum::body::Bytes;
use axum::extract::{Extension, Path, Query};
use axum::http::{StatusCode, Uri};
use axum::Json;
use serde_json::Value;

type RepoPath = Path<(String, String)>;
type IssuePath = Path<(String, String, u64)>;

pub async fn list(
    hub: Hs,
    Path((owner, name)): RepoPath,
    Query(q): Query<Vec<(String, String)>>,
    uri: Uri,
) -> ApiResult<Page> {
    let w = hub.world.read();
    let r = &w.repos[w.repo_idx(&owner, &name)?];
    let p = PageParams::from_query(&q)?;
    let all: Vec<Value> = r.labels.iter().map(|l| w.label_json(r, l)).collect();
    Ok(Page {
        items: p.slice(&all),
        link: link_header(&w.base, uri.path(), &q, p, all.len()),
    })
}

pub async fn get(
    hub: Hs,
    Path((owner, name, label)): Path<(String, String, String)>,
) -> ApiResult<Json<Value>> {
    let w = hub.world.read();
    let r = &w.repos[w.repo_idx(&owner, &name)?];
    let l = r.label_by_name(&label).ok_or_else(ApiError::not_found)?;
    Ok(Json(w.label_json(r, l)))
}

pub async fn create(
    hub: Hs,
    Extension(actor): Extension<Actor>,
    Path((owner, name)): RepoPath,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let m = object(&body)?;
    let label_name = str_field(&m, "name")?.unwrap_or_default();
    let color = str_field(&m, "color")?;
    let description = str_field(&m, "description")?;
    let v = mutate(&hub, |w, _| {
        let repo = w.repo_idx(&owner, &name)?;
        let id = w.create_label(
            repo,
            &actor.login,
            &label_name,
            color.as_deref(),
            description,
        )?;
        let r = &w.repos[repo];
        Ok(w.label_json(r, r.label(id).expect("label")))
    })?;
    Ok((StatusCode::CREATED, Json(v)))
}

pub async fn update(
    hub: Hs,
    Extension(actor): Extension<Actor>,
    Path((owner, name, label)): Path<(String, String, String)>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let m = object(&body)?;
    let new_name = str_field(&m, "new_name")?.or(str_field(&m, "name")?);
    let color = str_field(&m, "color")?;
    let description = nullable_str(&m, "description")?;
    let v = mutate(&hub, |w, _| {
        let repo = w.repo_idx(&owner, &name)?;
        let id = w.update_label(repo, &label, &actor.login, new_name, color, description)?;
        let r = &w.repos[repo];
        Ok(w.label_json(r, r.label(id).expect("label")))
    })?;
    Ok(Json(v))
}

pub async fn remove(
    hub: Hs,
    Extension(actor): Extension<Actor>,
    Path((owner, name, label)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    mutate(&hub, |w, _| {
        let repo = w.repo_idx(&owner, &name)?;
        w.delete_label(repo, &label, &actor.login)
    })?;
    Ok(StatusCode::NO_CONTENT)
}

fn issue_labels(hub: &crate::hub::Hub, repo: usize, number: u64) -> Vec<Value> {
    let w = hub.world.read();
    let r = &w.repos[repo];
    r.issue(number)
        .map(|i| {
            i.labels
                .iter()
                .filter_map(|id| r.label(*id))
                .map(|l| w.label_json(r, l))
                .collect()
        })
        .unwrap_or_default()
}

pub async fn list_on_issue(
    hub: Hs,
    Path((owner, name, number)): IssuePath,
    Query(q): Query<Vec<(String, String)>>,
    uri: Uri,
) -> ApiResult<Page> {
    let repo = {
        let w = hub.world.read();
        let repo = w.repo_idx(&owner, &name)?;
        w.live_issue(repo, number)?;
        repo
    };
    let all = issue_labels(&hub, repo, number);
    let p = PageParams::from_query(&q)?;
    Ok(Page {
        items: p.slice(&all),
        link: link_header(&hub.base_url(), uri.path(), &q, p, all.len()),
    })
}

/// Body for add/set: `{"labels": [...]}` or a bare array of names.
fn label_names(body: &Bytes) -> ApiResult<Vec<String>> {
    if let Ok(Value::Array(_)) = serde_json::from_slice::<Value>(body) {
        let mut m = serde_json::Map::new();
        m.insert("labels".into(), serde_json::from_slice(body)?);
        return Ok(name_list(&m, "labels")?.unwrap_or_default());
    }
    let m = object(body)?;
    Ok(name_list(&m, "labels")?.unwrap_or_default())
}

pub async fn add_to_issue(
    hub: Hs,
    Extension(actor): Extension<Actor>,
    Path((owner, name, number)): IssuePath,
    body: Bytes,
) -> ApiResult<Json<Vec<Value>>> {
    let names = label_names(&body)?;
    if names.is_empty() {
        return Err(ApiError::invalid("Label", "labels", "missing_field"));
    }
    let repo = mutate(&hub, |w, now| {
        let repo = w.repo_idx(&owner, &name)?;
        w.add_issue_labels(repo, number, &actor.login, &names, now)?;
        Ok(repo)
    })?;
    Ok(Json(issue_labels(&hub, repo, number)))
}

pub async fn set_on_issue(
    hub: Hs,
    Extension(actor): Extension<Actor>,
    Path((owner, name, number)): IssuePath,
    body: Bytes,
) -> ApiResult<Json<Vec<Value>>> {
    let names = label_names(&body)?;
    let repo = mutate(&hub, |w, now| {
        let repo = w.repo_idx(&owner, &name)?;
        w.set_issue_labels(repo, number, &actor.login, names, now)?;
        Ok(repo)
    })?;
    Ok(Json(issue_labels(&hub, repo, number)))
}

pub async fn clear_on_issue(
    hub: Hs,
    Extension(actor): Extension<Actor>,
    Path((owner, name, number)): IssuePath,
) -> ApiResult<StatusCode> {
    mutate(&hub, |w, now| {
        let repo = w.repo_idx(&owner, &name)?;
        w.set_issue_labels(repo, number, &actor.login, Vec::new(), now)
    })?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn remove_from_issue(
    hub: Hs,
    Extension(actor): Extension<Actor>,
    Path((owner, name, number, label)): Path<(String, String, u64, String)>,
) -> ApiResult<Json<Vec<Value>>> {
    let repo = mutate(&hub, |w, now| {
        let repo = w.repo_idx(&owner, &name)?;
        w.remove_issue_label(repo, number, &actor.login, &label, now)?;
        Ok(repo)
    })?;
    Ok(Json(issue_labels(&hub, repo, number)))
}
