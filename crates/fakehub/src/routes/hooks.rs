//! Repository webhooks: CRUD, pings, the delivery log and redelivery.

use super::{bool_field, mutate, name_list, object, Hs};
use crate::clock::iso;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::http::{link_header, with_param, Actor, Page, PageParams};
use crate::model::{Hook, HookResponse, Id, Outgoing, World};
use crate::webhooks::Delivery;
use axum::body::Bytes;
use axum::extract::{Extension, Path, Query};
use axum::http::{StatusCode, Uri};
use axum::Json;
use serde_json::{json, Map, Value};

type RepoPath = Path<(String, String)>;
type HookPath = Path<(String, String, Id)>;

struct Config {
    url: Option<String>,
    content_type: Option<String>,
    secret: Option<Option<String>>,
    insecure_ssl: Option<String>,
}

fn config(m: &Map<String, Value>) -> ApiResult<Config> {
    let content_type = super::str_field(m, "content_type")?;
    if let Some(ct) = &content_type {
        if ct != "json" && ct != "form" {
            return Err(ApiError::invalid("Hook", "content_type", "invalid"));
        }
    }
    let insecure_ssl = match m.get("insecure_ssl") {
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(Value::String(s)) => Some(s.clone()),
        _ => None,
    };
    Ok(Config {
        url: super::str_field(m, "url")?,
        content_type,
        secret: super::nullable_str(m, "secret")?,
        insecure_ssl,
    })
}

fn check_url(url: &str) -> ApiResult<()> {
    if url.starts_with("http://") || url.starts_with("https://") {
        Ok(())
    } else {
        Err(ApiError::validation(vec![FieldError::new(
            "Hook", "url", "custom",
        )
        .with_message(format!("url is not a valid URL: '{url}'"))]))
    }
}

fn hook_view(hub: &crate::hub::Hub, w: &World, repo: usize, hook: &Hook) -> Value {
    let mut hook = hook.clone();
    if let Some(last) = hub.dispatcher.last_response(hook.id) {
        hook.last_response = last;
    }
    w.hook_json(&w.repos[repo], &hook)
}

fn find(w: &World, repo: usize, id: Id) -> ApiResult<&Hook> {
    w.repos[repo]
        .hooks
        .iter()
        .find(|h| h.id == id)
        .ok_or_else(ApiError::not_found)
}

pub async fn list(
    hub: Hs,
    Path((owner, name)): RepoPath,
    Query(q): Query<Vec<(String, String)>>,
    uri: Uri,
) -> ApiResult<Page> {
    let w = hub.world.read();
    let repo = w.repo_idx(&owner, &name)?;
    let all: Vec<Value> = w.repos[repo]
        .hooks
        .iter()
        .map(|h| hook_view(&hub, &w, repo, h))
        .collect();
    let p = PageParams::from_query(&q)?;
    Ok(Page {
        items: p.slice(&all),
        link: link_header(&w.base, uri.path(), &q, p, all.len()),
    })
}

pub async fn get(hub: Hs, Path((owner, name, id)): HookPath) -> ApiResult<Json<Value>> {
    let w = hub.world.read();
    let repo = w.repo_idx(&owner, &name)?;
    Ok(Json(hook_view(&hub, &w, repo, find(&w, repo, id)?)))
}

fn queue_ping(w: &mut World, repo: usize, hook_id: Id, sender: &str) {
    let mut payload = w.envelope(repo, None, sender);
    let hook = w.repos[repo]
        .hooks
        .iter()
        .find(|h| h.id == hook_id)
        .expect("hook")
        .clone();
    payload["zen"] = json!("Design for failure.");
    payload["hook_id"] = json!(hook_id);
    payload["hook"] = w.hook_json(&w.repos[repo], &hook);
    w.outbox.push(Outgoing {
        repo,
        event: "ping",
        action: None,
        payload,
        only_hook: Some(hook_id),
    });
}

pub async fn create(
    hub: Hs,
    Extension(actor): Extension<Actor>,
    Path((owner, name)): RepoPath,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let m = object(&body)?;
    if let Some(n) = super::str_field(&m, "name")? {
        if n != "web" {
            return Err(ApiError::invalid("Hook", "name", "invalid"));
        }
    }
    let cfg = match m.get("config") {
        Some(Value::Object(c)) => config(c)?,
        _ => return Err(ApiError::invalid("Hook", "config", "missing_field")),
    };
    let url = cfg
        .url
        .ok_or_else(|| ApiError::invalid("Hook", "url", "missing_field"))?;
    check_url(&url)?;
    let events = name_list(&m, "events")?.unwrap_or_else(|| vec!["push".into()]);
    let active = bool_field(&m, "active")?.unwrap_or(true);
    let v = mutate(&hub, |w, now| {
        let repo = w.repo_idx(&owner, &name)?;
        if w.repos[repo].hooks.iter().any(|h| h.url == url) {
            return Err(ApiError::validation(vec![FieldError::new(
                "Hook", "", "custom",
            )
            .with_message("Hook already exists on this repository")]));
        }
        let id = w.next_id();
        let hook = Hook {
            id,
            active,
            events,
            url,
            content_type: cfg.content_type.unwrap_or_else(|| "form".into()),
            secret: cfg.secret.flatten().filter(|s| !s.is_empty()),
            insecure_ssl: cfg.insecure_ssl.unwrap_or_else(|| "0".into()),
            created_at: now,
            updated_at: now,
            last_response: HookResponse {
                code: None,
                status: "unused".into(),
                message: None,
            },
        };
        let view = w.hook_json(&w.repos[repo], &hook);
        w.repos[repo].hooks.push(hook);
        queue_ping(w, repo, id, &actor.login);
        Ok(view)
    })?;
    Ok((StatusCode::CREATED, Json(v)))
}

pub async fn update(
    hub: Hs,
    Path((owner, name, id)): HookPath,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let m = object(&body)?;
    let cfg = match m.get("config") {
        Some(Value::Object(c)) => Some(config(c)?),
        _ => None,
    };
    if let Some(url) = cfg.as_ref().and_then(|c| c.url.as_ref()) {
        check_url(url)?;
    }
    let events = name_list(&m, "events")?;
    let add = name_list(&m, "add_events")?.unwrap_or_default();
    let remove = name_list(&m, "remove_events")?.unwrap_or_default();
    let active = bool_field(&m, "active")?;
    let now = hub.clock.now();
    let mut w = hub.world.write();
    let repo = w.repo_idx(&owner, &name)?;
    let hook = w.repos[repo]
        .hooks
        .iter_mut()
        .find(|h| h.id == id)
        .ok_or_else(ApiError::not_found)?;
    if let Some(e) = events {
        hook.events = e;
    }
    for e in add {
        if !hook.events.contains(&e) {
            hook.events.push(e);
        }
    }
    hook.events.retain(|e| !remove.contains(e));
    if let Some(a) = active {
        hook.active = a;
    }
    if let Some(c) = cfg {
        apply_config(hook, c);
    }
    hook.updated_at = now;
    let hook = hook.clone();
    Ok(Json(hook_view(&hub, &w, repo, &hook)))
}

fn apply_config(hook: &mut Hook, c: Config) {
    if let Some(u) = c.url {
        hook.url = u;
    }
    if let Some(ct) = c.content_type {
        hook.content_type = ct;
    }
    if let Some(s) = c.secret {
        hook.secret = s.filter(|s| !s.is_empty());
    }
    if let Some(i) = c.insecure_ssl {
        hook.insecure_ssl = i;
    }
}

pub async fn get_config(hub: Hs, Path((owner, name, id)): HookPath) -> ApiResult<Json<Value>> {
    let w = hub.world.read();
    let repo = w.repo_idx(&owner, &name)?;
    Ok(Json(w.hook_config_json(find(&w, repo, id)?)))
}

pub async fn update_config(
    hub: Hs,
    Path((owner, name, id)): HookPath,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let c = config(&object(&body)?)?;
    if let Some(url) = &c.url {
        check_url(url)?;
    }
    let mut w = hub.world.write();
    let repo = w.repo_idx(&owner, &name)?;
    let hook = w.repos[repo]
        .hooks
        .iter_mut()
        .find(|h| h.id == id)
        .ok_or_else(ApiError::not_found)?;
    apply_config(hook, c);
    let hook = hook.clone();
    Ok(Json(w.hook_config_json(&hook)))
}

pub async fn remove(hub: Hs, Path((owner, name, id)): HookPath) -> ApiResult<StatusCode> {
    let mut w = hub.world.write();
    let repo = w.repo_idx(&owner, &name)?;
    let before = w.repos[repo].hooks.len();
    w.repos[repo].hooks.retain(|h| h.id != id);
    if w.repos[repo].hooks.len() == before {
        return Err(ApiError::not_found());
    }
    hub.dispatcher.forget_hook(id);
    Ok(StatusCode::NO_CONTENT)
}

pub async fn ping_hook(
    hub: &crate::hub::Hub,
    owner: &str,
    name: &str,
    id: Id,
    sender: &str,
) -> ApiResult<()> {
    mutate(hub, |w, _| {
        let repo = w.repo_idx(owner, name)?;
        find(w, repo, id)?;
        queue_ping(w, repo, id, sender);
        Ok(())
    })
}

pub async fn ping(
    hub: Hs,
    Extension(actor): Extension<Actor>,
    Path((owner, name, id)): HookPath,
) -> ApiResult<StatusCode> {
    ping_hook(&hub, &owner, &name, id, &actor.login).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn item_json(d: &Delivery) -> Value {
    json!({
        "id": d.id,
        "guid": d.guid,
        "delivered_at": iso(d.delivered_at),
        "redelivery": d.redelivery,
        "duration": d.duration,
        "status": d.status,
        "status_code": d.status_code,
        "event": d.event,
        "action": d.action,
        "installation_id": null,
        "repository_id": d.repository_id,
        "throttled_at": null,
    })
}

/// GitHub's delivery log: newest first, `status=success|failure` (by status code: 200–399
/// succeeded, anything else failed), paged by `cursor` (the `Link` header's `next`; a page
/// starts at the delivery its cursor names).
pub async fn deliveries(
    hub: Hs,
    Path((owner, name, id)): HookPath,
    Query(q): Query<Vec<(String, String)>>,
    uri: Uri,
) -> ApiResult<Page> {
    let base = {
        let w = hub.world.read();
        let repo = w.repo_idx(&owner, &name)?;
        find(&w, repo, id)?;
        w.base.clone()
    };
    let wanted: Option<bool> = match super::param(&q, "status") {
        None | Some("") => None,
        Some("success") => Some(true),
        Some("failure") => Some(false),
        Some(_) => return Err(ApiError::invalid("Hook", "status", "invalid")),
    };
    let start: Option<u64> = match super::param(&q, "cursor") {
        None | Some("") => None,
        Some(c) => Some(
            c.strip_prefix("v1_")
                .unwrap_or(c)
                .parse()
                .map_err(|_| ApiError::invalid("Hook", "cursor", "invalid"))?,
        ),
    };
    let p = PageParams::from_query(&q)?;
    let all: Vec<Delivery> = hub
        .dispatcher
        .deliveries(id)
        .into_iter()
        .rev()
        .filter(|d| {
            wanted
                .is_none_or(|ok| d.status != "pending" && (200..400).contains(&d.status_code) == ok)
        })
        .filter(|d| start.is_none_or(|s| d.id <= s))
        .collect();
    let items = all.iter().take(p.per_page).map(item_json).collect();
    let link = all.get(p.per_page).map(|next| {
        let url = with_param(
            &base,
            uri.path(),
            &q,
            &[("cursor", format!("v1_{}", next.id))],
            &["page"],
        );
        format!("<{url}>; rel=\"next\"")
    });
    Ok(Page { items, link })
}

pub async fn delivery(
    hub: Hs,
    Path((owner, name, id, delivery_id)): Path<(String, String, Id, u64)>,
) -> ApiResult<Json<Value>> {
    let base = {
        let w = hub.world.read();
        let repo = w.repo_idx(&owner, &name)?;
        find(&w, repo, id)?;
        w.base.clone()
    };
    let d = hub
        .dispatcher
        .delivery(id, delivery_id)
        .ok_or_else(ApiError::not_found)?;
    let mut v = item_json(&d);
    let payload: Value = serde_json::from_str(&d.payload).unwrap_or(Value::Null);
    v["url"] = json!(format!(
        "{base}/repos/{owner}/{name}/hooks/{id}/deliveries/{delivery_id}"
    ));
    v["request"] = json!({"headers": d.request_headers, "payload": payload});
    v["response"] = json!({"headers": d.response_headers, "payload": d.response_body});
    Ok(Json(v))
}

pub async fn redeliver(
    hub: Hs,
    Path((owner, name, id, delivery_id)): Path<(String, String, Id, u64)>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let w = hub.world.read();
    let repo = w.repo_idx(&owner, &name)?;
    find(&w, repo, id)?;
    if !hub
        .dispatcher
        .redeliver(&w, repo, id, delivery_id, hub.clock.now())
    {
        return Err(ApiError::not_found());
    }
    Ok((StatusCode::ACCEPTED, Json(json!({}))))
}
