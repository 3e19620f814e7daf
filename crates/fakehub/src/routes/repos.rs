use super::Hs;
use crate::error::ApiResult;
use axum::extract::{Extension, Path};
use axum::Json;
use serde_json::{json, Value};

pub async fn get_repo(
    hub: Hs,
    Extension(actor): Extension<crate::http::Actor>,
    Path((owner, name)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let w = hub.world.read();
    let idx = w.repo_idx(&owner, &name)?;
    let mut repo = w.repo_json(&w.repos[idx]);
    if let Some(c) = &actor.credential {
        // GitHub tells an authenticated caller its own rights on the repository.
        repo["permissions"] = w.permissions_json(c.login(), idx);
    }
    Ok(Json(repo))
}

/// `GET /rate_limit` (free of charge on GitHub; the gate knows).
pub async fn rate_limit(hub: Hs, headers: axum::http::HeaderMap) -> Json<Value> {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' ').map(|(_, t)| t.trim().to_string()));
    let (key, max) = match token {
        Some(t) => (format!("token:{t}"), hub.settings.read().rate_limit),
        None => ("anonymous".to_string(), crate::limits::ANONYMOUS_LIMIT),
    };
    let b = hub
        .limits
        .lock()
        .bucket(&key, max, hub.clock.now_precise())
        .clone();
    let core = json!({"limit": b.limit, "remaining": b.remaining(), "used": b.used, "reset": b.reset.timestamp(), "resource": "core"});
    let other = |resource: &str, limit: u64| json!({"limit": limit, "remaining": limit, "used": 0, "reset": b.reset.timestamp(), "resource": resource});
    Json(json!({
        "resources": {
            "core": core,
            "search": other("search", 30),
            "graphql": other("graphql", 5000),
            "integration_manifest": other("integration_manifest", 5000),
            "code_search": other("code_search", 10),
        },
        "rate": core,
    }))
}
