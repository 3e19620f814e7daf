use super::{mutate, object, param, parse_time, str_field, Hs};
use crate::error::{ApiError, ApiResult};
use crate::http::{link_header, Actor, PageParams, RawPage};
use crate::model::{Comment, Id, Repo, World};
use axum::body::Bytes;
use axum::extract::{Extension, Path, Query};
use axum::http::{StatusCode, Uri};
use axum::Json;
use serde_json::Value;

type Q = Query<Vec<(String, String)>>;

/// The JSON array of one page of `all`, written straight to bytes.
fn render_page(w: &World, r: &Repo, all: &[&Comment], p: PageParams) -> Vec<u8> {
    let mut body = Vec::with_capacity(p.per_page.min(all.len()) * 2048 + 2);
    let page = all.iter().skip(p.offset()).take(p.per_page);
    crate::render::write_array(&mut body, page, |out, c| w.write_comment(out, r, c));
    body
}

fn since_filter(q: &[(String, String)]) -> ApiResult<impl Fn(&Comment) -> bool> {
    let since = param(q, "since")
        .map(|s| parse_time("since", s))
        .transpose()?;
    Ok(move |c: &Comment| since.is_none_or(|s| c.updated_at >= s))
}

pub async fn list_on_issue(
    hub: Hs,
    Path((owner, name, number)): Path<(String, String, u64)>,
    Query(q): Q,
    uri: Uri,
) -> ApiResult<RawPage> {
    let w = hub.world.read();
    let repo = w.repo_idx(&owner, &name)?;
    w.live_issue(repo, number)?;
    let keep = since_filter(&q)?;
    let r = &w.repos[repo];
    let all: Vec<&Comment> = r
        .comments
        .iter()
        .filter(|c| c.issue_number == number && keep(c))
        .collect();
    let p = PageParams::from_query(&q)?;
    Ok(RawPage {
        body: render_page(&w, r, &all, p),
        link: link_header(&w.base, uri.path(), &q, p, all.len()),
    })
}

pub async fn list_in_repo(
    hub: Hs,
    Path((owner, name)): Path<(String, String)>,
    Query(q): Q,
    uri: Uri,
) -> ApiResult<RawPage> {
    let w = hub.world.read();
    let r = &w.repos[w.repo_idx(&owner, &name)?];
    let keep = since_filter(&q)?;
    let mut all: Vec<&Comment> = r.comments.iter().filter(|c| keep(c)).collect();
    match param(&q, "sort") {
        Some("updated") => all.sort_by_key(|c| (c.updated_at, c.id)),
        Some("created") | None => {}
        Some(other) => {
            return Err(ApiError::unprocessable(format!(
                "sort must be created or updated, got '{other}'"
            )))
        }
    }
    // GitHub ignores `direction` without `sort`.
    if param(&q, "sort").is_some() && param(&q, "direction") == Some("desc") {
        all.reverse();
    }
    let p = PageParams::from_query(&q)?;
    Ok(RawPage {
        body: render_page(&w, r, &all, p),
        link: link_header(&w.base, uri.path(), &q, p, all.len()),
    })
}

fn render(hub: &crate::hub::Hub, repo: usize, id: Id) -> ApiResult<Value> {
    let w = hub.world.read();
    let idx = w.comment_index(repo, id)?;
    let r = &w.repos[repo];
    Ok(w.comment_json(r, &r.comments[idx]))
}

pub async fn get(
    hub: Hs,
    Path((owner, name, id)): Path<(String, String, Id)>,
) -> ApiResult<Json<Value>> {
    let repo = hub.world.read().repo_idx(&owner, &name)?;
    Ok(Json(render(&hub, repo, id)?))
}

pub async fn create(
    hub: Hs,
    Extension(actor): Extension<Actor>,
    Path((owner, name, number)): Path<(String, String, u64)>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let text = str_field(&object(&body)?, "body")?;
    let (repo, id) = mutate(&hub, |w, now| {
        let repo = w.repo_idx(&owner, &name)?;
        Ok((
            repo,
            w.create_comment(repo, number, &actor.login, text, now)?,
        ))
    })?;
    Ok((StatusCode::CREATED, Json(render(&hub, repo, id)?)))
}

pub async fn update(
    hub: Hs,
    Extension(actor): Extension<Actor>,
    Path((owner, name, id)): Path<(String, String, Id)>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let text = str_field(&object(&body)?, "body")?;
    let repo = mutate(&hub, |w, now| {
        let repo = w.repo_idx(&owner, &name)?;
        w.update_comment(repo, id, &actor.login, text, now)?;
        Ok(repo)
    })?;
    Ok(Json(render(&hub, repo, id)?))
}

pub async fn remove(
    hub: Hs,
    Extension(actor): Extension<Actor>,
    Path((owner, name, id)): Path<(String, String, Id)>,
) -> ApiResult<StatusCode> {
    mutate(&hub, |w, _| {
        let repo = w.repo_idx(&owner, &name)?;
        w.delete_comment(repo, id, &actor.login)
    })?;
    Ok(StatusCode::NO_CONTENT)
}
