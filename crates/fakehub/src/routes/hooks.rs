//! Repository and organization webhooks: CRUD, pings, the delivery log and redelivery.
//! One set of handlers serves both; the wrappers at the bottom name the owner.

use super::{bool_field, mutate, name_list, object, Hs};
use crate::clock::iso;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::http::{link_header, with_param, Actor, Page, PageParams};
use crate::model::{Hook, HookOwner, HookResponse, Id, Outgoing, UserKind, World};
use crate::webhooks::Delivery;
use axum::body::Bytes;
use axum::extract::{Extension, Path, Query};
use axum::http::{StatusCode, Uri};
use axum::Json;
use serde_json::{json, Map, Value};

type RepoPath = Path<(String, String)>;
type HookPath = Path<(String, String, Id)>;
type OrgPath = Path<String>;
type OrgHookPath = Path<(String, Id)>;

/// A hook owner as a route names it.
pub enum At {
    Repo(String, String),
    Org(String),
    /// A GitHub App's webhook (`/app/hook/…`, behind the app's JWT).
    App(Id),
}

impl At {
    fn resolve(&self, w: &World) -> ApiResult<HookOwner> {
        match self {
            At::Repo(owner, name) => Ok(HookOwner::Repo(w.repo_idx(owner, name)?)),
            At::Org(org) => match w.find_user(org) {
                Some(u) if u.kind == UserKind::Organization => {
                    Ok(HookOwner::Org(org.to_ascii_lowercase()))
                }
                _ => Err(ApiError::not_found()),
            },
            At::App(id) => match w.app(*id) {
                Some(_) => Ok(HookOwner::App(*id)),
                None => Err(ApiError::not_found()),
            },
        }
    }

    fn noun(&self) -> &'static str {
        match self {
            At::Repo(..) => "repository",
            At::Org(_) => "organization",
            At::App(_) => "app",
        }
    }
}

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

fn hook_view(hub: &crate::hub::Hub, w: &World, owner: &HookOwner, hook: &Hook) -> Value {
    let mut hook = hook.clone();
    if let Some(last) = hub.dispatcher.last_response(hook.id) {
        hook.last_response = last;
    }
    w.hook_json(owner, &hook)
}

fn find<'w>(w: &'w World, owner: &HookOwner, id: Id) -> ApiResult<&'w Hook> {
    w.hooks_of(owner)
        .iter()
        .find(|h| h.id == id)
        .ok_or_else(ApiError::not_found)
}

fn find_mut<'w>(w: &'w mut World, owner: &HookOwner, id: Id) -> ApiResult<&'w mut Hook> {
    w.hooks_of_mut(owner)
        .iter_mut()
        .find(|h| h.id == id)
        .ok_or_else(ApiError::not_found)
}

pub async fn list_at(hub: Hs, at: At, q: Vec<(String, String)>, uri: Uri) -> ApiResult<Page> {
    let w = hub.world.read();
    let owner = at.resolve(&w)?;
    let all: Vec<Value> = w
        .hooks_of(&owner)
        .iter()
        .map(|h| hook_view(&hub, &w, &owner, h))
        .collect();
    let p = PageParams::from_query(&q)?;
    Ok(Page {
        items: p.slice(&all),
        link: link_header(&w.base, uri.path(), &q, p, all.len()),
    })
}

pub async fn get_at(hub: Hs, at: At, id: Id) -> ApiResult<Json<Value>> {
    let w = hub.world.read();
    let owner = at.resolve(&w)?;
    Ok(Json(hook_view(&hub, &w, &owner, find(&w, &owner, id)?)))
}

fn queue_ping(w: &mut World, owner: &HookOwner, hook_id: Id, sender: &str) {
    let hook = find(w, owner, hook_id).expect("hook").clone();
    let mut payload = match owner {
        HookOwner::Repo(repo) => w.envelope(*repo, None, sender),
        HookOwner::Org(org) => {
            let login = w.find_user(org).map_or(org.clone(), |u| u.login.clone());
            json!({"organization": w.org_json(&login), "sender": w.user_json(sender)})
        }
        HookOwner::App(_) => json!({"sender": w.user_json(sender)}),
    };
    payload["zen"] = json!("Design for failure.");
    payload["hook_id"] = json!(hook_id);
    payload["hook"] = w.hook_json(owner, &hook);
    w.outbox.push(Outgoing {
        target: owner.clone(),
        event: "ping",
        action: None,
        payload,
        only_hook: Some(hook_id),
    });
}

pub async fn create_at(
    hub: Hs,
    actor: Actor,
    at: At,
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
        let owner = at.resolve(w)?;
        if w.hooks_of(&owner).iter().any(|h| h.url == url) {
            return Err(ApiError::validation(vec![FieldError::new(
                "Hook", "", "custom",
            )
            .with_message(format!("Hook already exists on this {}", at.noun()))]));
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
        let view = w.hook_json(&owner, &hook);
        w.hooks_of_mut(&owner).push(hook);
        queue_ping(w, &owner, id, &actor.login);
        Ok(view)
    })?;
    Ok((StatusCode::CREATED, Json(v)))
}

pub async fn update_at(hub: Hs, at: At, id: Id, body: Bytes) -> ApiResult<Json<Value>> {
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
    let owner = at.resolve(&w)?;
    let hook = find_mut(&mut w, &owner, id)?;
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
    Ok(Json(hook_view(&hub, &w, &owner, &hook)))
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

pub async fn get_config_at(hub: Hs, at: At, id: Id) -> ApiResult<Json<Value>> {
    let w = hub.world.read();
    let owner = at.resolve(&w)?;
    Ok(Json(w.hook_config_json(find(&w, &owner, id)?)))
}

pub async fn update_config_at(hub: Hs, at: At, id: Id, body: Bytes) -> ApiResult<Json<Value>> {
    let c = config(&object(&body)?)?;
    if let Some(url) = &c.url {
        check_url(url)?;
    }
    let mut w = hub.world.write();
    let owner = at.resolve(&w)?;
    let hook = find_mut(&mut w, &owner, id)?;
    apply_config(hook, c);
    let hook = hook.clone();
    Ok(Json(w.hook_config_json(&hook)))
}

pub async fn remove_at(hub: Hs, at: At, id: Id) -> ApiResult<StatusCode> {
    let mut w = hub.world.write();
    let owner = at.resolve(&w)?;
    let hooks = w.hooks_of_mut(&owner);
    let before = hooks.len();
    hooks.retain(|h| h.id != id);
    if hooks.len() == before {
        return Err(ApiError::not_found());
    }
    hub.dispatcher.forget_hook(id);
    Ok(StatusCode::NO_CONTENT)
}

fn ping_at(hub: &crate::hub::Hub, at: At, id: Id, sender: &str) -> ApiResult<()> {
    mutate(hub, |w, _| {
        let owner = at.resolve(w)?;
        find(w, &owner, id)?;
        queue_ping(w, &owner, id, sender);
        Ok(())
    })
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
pub async fn deliveries_at(
    hub: Hs,
    at: At,
    id: Id,
    q: Vec<(String, String)>,
    uri: Uri,
) -> ApiResult<Page> {
    let base = {
        let w = hub.world.read();
        let owner = at.resolve(&w)?;
        find(&w, &owner, id)?;
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

pub async fn delivery_at(hub: Hs, at: At, id: Id, delivery_id: u64) -> ApiResult<Json<Value>> {
    let api = {
        let w = hub.world.read();
        let owner = at.resolve(&w)?;
        find(&w, &owner, id)?;
        w.hooks_api(&owner)
    };
    let d = hub
        .dispatcher
        .delivery(id, delivery_id)
        .ok_or_else(ApiError::not_found)?;
    let mut v = item_json(&d);
    let payload: Value = serde_json::from_str(&d.payload).unwrap_or(Value::Null);
    v["url"] = json!(match at {
        At::App(_) => format!("{api}/hook/deliveries/{delivery_id}"),
        _ => format!("{api}/hooks/{id}/deliveries/{delivery_id}"),
    });
    v["request"] = json!({"headers": d.request_headers, "payload": payload});
    v["response"] = json!({"headers": d.response_headers, "payload": d.response_body});
    Ok(Json(v))
}

pub async fn redeliver_at(
    hub: Hs,
    at: At,
    id: Id,
    delivery_id: u64,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let w = hub.world.read();
    let owner = at.resolve(&w)?;
    find(&w, &owner, id)?;
    if !hub
        .dispatcher
        .redeliver(&w, &owner, id, delivery_id, hub.clock.now())
    {
        return Err(ApiError::not_found());
    }
    Ok((StatusCode::ACCEPTED, Json(json!({}))))
}

// Repository hooks: `/repos/{owner}/{repo}/hooks…`.

pub async fn list(
    hub: Hs,
    Path((owner, name)): RepoPath,
    Query(q): Query<Vec<(String, String)>>,
    uri: Uri,
) -> ApiResult<Page> {
    list_at(hub, At::Repo(owner, name), q, uri).await
}

pub async fn get(hub: Hs, Path((owner, name, id)): HookPath) -> ApiResult<Json<Value>> {
    get_at(hub, At::Repo(owner, name), id).await
}

pub async fn create(
    hub: Hs,
    Extension(actor): Extension<Actor>,
    Path((owner, name)): RepoPath,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    create_at(hub, actor, At::Repo(owner, name), body).await
}

pub async fn update(
    hub: Hs,
    Path((owner, name, id)): HookPath,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    update_at(hub, At::Repo(owner, name), id, body).await
}

pub async fn get_config(hub: Hs, Path((owner, name, id)): HookPath) -> ApiResult<Json<Value>> {
    get_config_at(hub, At::Repo(owner, name), id).await
}

pub async fn update_config(
    hub: Hs,
    Path((owner, name, id)): HookPath,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    update_config_at(hub, At::Repo(owner, name), id, body).await
}

pub async fn remove(hub: Hs, Path((owner, name, id)): HookPath) -> ApiResult<StatusCode> {
    remove_at(hub, At::Repo(owner, name), id).await
}

pub async fn ping(
    hub: Hs,
    Extension(actor): Extension<Actor>,
    Path((owner, name, id)): HookPath,
) -> ApiResult<StatusCode> {
    ping_at(&hub, At::Repo(owner, name), id, &actor.login)?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn deliveries(
    hub: Hs,
    Path((owner, name, id)): HookPath,
    Query(q): Query<Vec<(String, String)>>,
    uri: Uri,
) -> ApiResult<Page> {
    deliveries_at(hub, At::Repo(owner, name), id, q, uri).await
}

pub async fn delivery(
    hub: Hs,
    Path((owner, name, id, delivery_id)): Path<(String, String, Id, u64)>,
) -> ApiResult<Json<Value>> {
    delivery_at(hub, At::Repo(owner, name), id, delivery_id).await
}

pub async fn redeliver(
    hub: Hs,
    Path((owner, name, id, delivery_id)): Path<(String, String, Id, u64)>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    redeliver_at(hub, At::Repo(owner, name), id, delivery_id).await
}

// Organization hooks: `/orgs/{org}/hooks…`.

pub async fn org_list(
    hub: Hs,
    Path(org): OrgPath,
    Query(q): Query<Vec<(String, String)>>,
    uri: Uri,
) -> ApiResult<Page> {
    list_at(hub, At::Org(org), q, uri).await
}

pub async fn org_get(hub: Hs, Path((org, id)): OrgHookPath) -> ApiResult<Json<Value>> {
    get_at(hub, At::Org(org), id).await
}

pub async fn org_create(
    hub: Hs,
    Extension(actor): Extension<Actor>,
    Path(org): OrgPath,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    create_at(hub, actor, At::Org(org), body).await
}

pub async fn org_update(
    hub: Hs,
    Path((org, id)): OrgHookPath,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    update_at(hub, At::Org(org), id, body).await
}

pub async fn org_get_config(hub: Hs, Path((org, id)): OrgHookPath) -> ApiResult<Json<Value>> {
    get_config_at(hub, At::Org(org), id).await
}

pub async fn org_update_config(
    hub: Hs,
    Path((org, id)): OrgHookPath,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    update_config_at(hub, At::Org(org), id, body).await
}

pub async fn org_remove(hub: Hs, Path((org, id)): OrgHookPath) -> ApiResult<StatusCode> {
    remove_at(hub, At::Org(org), id).await
}

pub async fn org_ping(
    hub: Hs,
    Extension(actor): Extension<Actor>,
    Path((org, id)): OrgHookPath,
) -> ApiResult<StatusCode> {
    ping_at(&hub, At::Org(org), id, &actor.login)?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn org_deliveries(
    hub: Hs,
    Path((org, id)): OrgHookPath,
    Query(q): Query<Vec<(String, String)>>,
    uri: Uri,
) -> ApiResult<Page> {
    deliveries_at(hub, At::Org(org), id, q, uri).await
}

pub async fn org_delivery(
    hub: Hs,
    Path((org, id, delivery_id)): Path<(String, Id, u64)>,
) -> ApiResult<Json<Value>> {
    delivery_at(hub, At::Org(org), id, delivery_id).await
}

pub async fn org_redeliver(
    hub: Hs,
    Path((org, id, delivery_id)): Path<(String, Id, u64)>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    redeliver_at(hub, At::Org(org), id, delivery_id).await
}
