//! fakehub's own control API under `/_fakehub/` (not GitHub's): reset, seed, clock, faults,
//! settings, counters, and the mutations GitHub only offers elsewhere (delete, transfer).

use crate::error::{ApiError, ApiResult};
use crate::faults::FaultSettings;
use crate::hub::{Hub, TokenSpec};
use crate::routes::{mutate, object, parse_time, str_field, Hs};
use crate::seed::{self, SeedDoc};
use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

pub fn router() -> Router<Arc<Hub>> {
    Router::new()
        .route("/_fakehub/reset", post(reset))
        .route("/_fakehub/seed", post(seed))
        .route("/_fakehub/clock", get(clock).post(set_clock))
        .route("/_fakehub/faults", get(faults).put(set_faults))
        .route("/_fakehub/settings", get(settings).put(set_settings))
        .route("/_fakehub/stats", get(stats))
        .route("/_fakehub/stats/reset", post(reset_stats))
        .route("/_fakehub/deliveries", get(deliveries))
        .route("/_fakehub/deliveries/wait", post(wait_deliveries))
        .route("/_fakehub/projects", post(seed_project))
        .route(
            "/_fakehub/repos/{owner}/{repo}/issues/{number}/delete",
            post(delete_issue),
        )
        .route(
            "/_fakehub/repos/{owner}/{repo}/issues/{number}/transfer",
            post(transfer_issue),
        )
        .merge(crate::admin_access::router())
}

async fn reset(hub: Hs) -> StatusCode {
    hub.reset();
    StatusCode::NO_CONTENT
}

async fn seed(hub: Hs, body: Bytes) -> ApiResult<Json<Value>> {
    let doc: SeedDoc = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("seed document: {e}")))?;
    let now = hub.clock.now();
    let mut w = hub.world.write();
    let seeded = seed::apply(&mut w, &doc, now).map_err(ApiError::unprocessable)?;
    Ok(Json(json!({ "repos": seeded })))
}

#[derive(Deserialize)]
struct SeedProject {
    /// The owning user or organization (declared or not; created on first sight).
    owner: String,
    #[serde(default = "default_project_title")]
    title: String,
    /// `OWNER/NAME`: the repository whose issues become the items, lowest numbers first.
    repository: String,
    /// How many issues to put on the board (at most the repository's).
    #[serde(default)]
    items: Option<usize>,
    /// Give every item a Status, an `Estimate` (number) and a `Notes` (text) value.
    #[serde(default = "yes")]
    values: bool,
}

fn default_project_title() -> String {
    "Benchmark".into()
}

fn yes() -> bool {
    true
}

/// `POST /_fakehub/projects`: a Projects v2 board filled from a repository's issues in one
/// call (GraphQL adds items one at a time), through the same model operations, so the
/// owner's hooks hear of it.
async fn seed_project(hub: Hs, body: Bytes) -> ApiResult<(StatusCode, Json<Value>)> {
    use crate::model::projects::{FieldKind, FieldValue};
    let spec: SeedProject = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("project: {e}")))?;
    let (owner, name) = spec
        .repository
        .split_once('/')
        .ok_or_else(|| ApiError::unprocessable("repository must be OWNER/NAME"))?;
    mutate(&hub, |w, now| {
        let repo = w.repo_idx(owner, name)?;
        if w.find_user(&spec.owner).is_none() {
            w.user(&spec.owner);
        }
        let sender = "fakehub";
        let project = w.create_project(&spec.owner, &spec.title, sender, now)?;
        let mut issues: Vec<(u64, u64)> = w.repos[repo]
            .issues
            .iter()
            .filter(|i| i.gone.is_none())
            .map(|i| (i.number, i.id))
            .collect();
        issues.sort_unstable();
        issues.truncate(spec.items.unwrap_or(usize::MAX));
        let (status, options, estimate, notes) = if spec.values {
            let status = w
                .project(project)
                .and_then(|p| p.field_by_name("Status"))
                .map(|f| {
                    (
                        f.id,
                        f.options.iter().map(|o| o.id.clone()).collect::<Vec<_>>(),
                    )
                })
                .expect("a new project has a Status field");
            let estimate =
                w.create_project_field(project, "Estimate", FieldKind::Number, vec![], now)?;
            let notes = w.create_project_field(project, "Notes", FieldKind::Text, vec![], now)?;
            (Some(status.0), status.1, Some(estimate), Some(notes))
        } else {
            (None, Vec::new(), None, None)
        };
        for (k, (number, id)) in issues.iter().enumerate() {
            let item = w.add_project_item(project, *id, sender, now)?;
            if let (Some(status), Some(estimate), Some(notes)) = (status, estimate, notes) {
                let option = options[k % options.len()].clone();
                w.set_project_value(
                    project,
                    item,
                    status,
                    FieldValue::SingleSelect(option),
                    sender,
                    now,
                )?;
                w.set_project_value(
                    project,
                    item,
                    estimate,
                    FieldValue::Number((k % 8 + 1) as f64),
                    sender,
                    now,
                )?;
                w.set_project_value(
                    project,
                    item,
                    notes,
                    FieldValue::Text(format!("Issue #{number}")),
                    sender,
                    now,
                )?;
            }
        }
        let p = w.project(project).expect("just created");
        Ok((
            StatusCode::CREATED,
            Json(json!({
                "id": project,
                "node_id": crate::graphql::ids::encode(crate::graphql::ids::NodeKind::Project, project),
                "number": p.number,
                "owner": p.owner,
                "items": p.items.len(),
            })),
        ))
    })
}

async fn clock(hub: Hs) -> Json<Value> {
    Json(
        json!({"now": crate::clock::iso(hub.clock.now()), "offset_seconds": hub.clock.offset().num_seconds()}),
    )
}

/// `{"advance_seconds": N}` or `{"set": "2030-01-01T00:00:00Z"}`.
async fn set_clock(hub: Hs, body: Bytes) -> ApiResult<Json<Value>> {
    let m = object(&body)?;
    if let Some(at) = str_field(&m, "set")? {
        hub.clock.set(parse_time("set", &at)?);
    } else if let Some(secs) = m.get("advance_seconds").and_then(Value::as_i64) {
        hub.clock.advance(chrono::Duration::seconds(secs));
    } else {
        return Err(ApiError::unprocessable(
            "give {\"advance_seconds\": N} or {\"set\": \"ISO-8601 time\"}",
        ));
    }
    Ok(clock(hub).await)
}

async fn faults(hub: Hs) -> Json<FaultSettings> {
    Json(hub.faults.get())
}

async fn set_faults(hub: Hs, body: Bytes) -> ApiResult<Json<FaultSettings>> {
    let settings: FaultSettings = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("fault settings: {e}")))?;
    hub.faults.set(settings).map_err(ApiError::unprocessable)?;
    Ok(Json(hub.faults.get()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsPatch {
    rate_limit: Option<u64>,
    secondary_limits: Option<bool>,
    /// `TOKEN` or `LOGIN:TOKEN` entries; an empty list accepts any token.
    tokens: Option<Vec<String>>,
}

async fn settings(hub: Hs) -> Json<Value> {
    let s = hub.settings.read();
    Json(json!({
        "rate_limit": s.rate_limit,
        "secondary_limits": s.secondary_limits,
        "tokens": s.tokens.iter().map(|t| json!({"login": t.login})).collect::<Vec<_>>(),
    }))
}

async fn set_settings(hub: Hs, body: Bytes) -> ApiResult<Json<Value>> {
    let p: SettingsPatch = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("settings: {e}")))?;
    {
        let mut s = hub.settings.write();
        if let Some(r) = p.rate_limit {
            s.rate_limit = r;
        }
        if let Some(b) = p.secondary_limits {
            s.secondary_limits = b;
        }
        if let Some(t) = p.tokens {
            s.tokens = t.iter().map(|t| TokenSpec::parse(t)).collect();
        }
    }
    Ok(settings(hub).await)
}

async fn stats(hub: Hs) -> Json<Value> {
    Json(hub.stats.snapshot())
}

async fn reset_stats(hub: Hs) -> StatusCode {
    hub.stats.reset();
    StatusCode::NO_CONTENT
}

async fn deliveries(hub: Hs) -> Json<Value> {
    let all: Vec<Value> = hub
        .dispatcher
        .all_deliveries()
        .iter()
        .map(|d| {
            json!({
                "id": d.id, "guid": d.guid, "hook_id": d.hook_id, "event": d.event, "action": d.action,
                "status": d.status, "status_code": d.status_code, "redelivery": d.redelivery,
            })
        })
        .collect();
    Json(json!({"pending": hub.dispatcher.pending(), "deliveries": all}))
}

#[derive(Deserialize)]
struct WaitQuery {
    timeout_ms: Option<u64>,
}

/// Waits until every queued webhook delivery has been sent: tests wait on this, not on sleeps.
async fn wait_deliveries(hub: Hs, Query(q): Query<WaitQuery>) -> ApiResult<Json<Value>> {
    let idle = hub
        .dispatcher
        .wait_idle(Duration::from_millis(q.timeout_ms.unwrap_or(10_000)))
        .await;
    if !idle {
        return Err(ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            format!("{} deliveries still pending", hub.dispatcher.pending()),
        ));
    }
    Ok(Json(json!({"pending": 0})))
}

async fn delete_issue(
    hub: Hs,
    Path((owner, name, number)): Path<(String, String, u64)>,
) -> ApiResult<StatusCode> {
    mutate(&hub, |w, _| {
        let repo = w.repo_idx(&owner, &name)?;
        let sender = w.repos[repo].owner.clone();
        w.delete_issue(repo, number, &sender)
    })?;
    Ok(StatusCode::NO_CONTENT)
}

/// `{"to": "OWNER/NAME"}` moves the issue; answers with its new number.
async fn transfer_issue(
    hub: Hs,
    Path((owner, name, number)): Path<(String, String, u64)>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let m = object(&body)?;
    let to = str_field(&m, "to")?
        .ok_or_else(|| ApiError::unprocessable("give {\"to\": \"OWNER/NAME\"}"))?;
    let new_number = mutate(&hub, |w, now| {
        let repo = w.repo_idx(&owner, &name)?;
        let (to_owner, to_name) = to
            .split_once('/')
            .ok_or_else(|| ApiError::unprocessable("to must be OWNER/NAME"))?;
        let target = w.repo_idx(to_owner, to_name)?;
        let sender = w.repos[repo].owner.clone();
        w.transfer_issue(repo, number, target, &sender, now)
    })?;
    Ok(Json(json!({"repository": to, "number": new_number})))
}
