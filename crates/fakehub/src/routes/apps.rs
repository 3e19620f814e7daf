//! GitHub Apps' own endpoints, authenticated by the app's RS256 JWT rather than a token
//! (so they sit outside the token gate): `GET /app`, `GET /app/installations`, and fakehub's
//! `GET /_fakehub/apps/{id}/private-key`.

use crate::error::ApiError;
use crate::hub::Hub;
use crate::model::apps::{App, Selection};
use crate::model::{Id, World};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

pub fn router() -> Router<Arc<Hub>> {
    Router::new()
        .route("/app", get(app))
        .route("/app/installations", get(installations))
        .route("/_fakehub/apps/{id}/private-key", get(private_key))
}

/// The longest a JWT may live, as on GitHub.
const MAX_LIFETIME: i64 = 600;

const BAD_EXP: &str = "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires";
const EXP_TOO_FAR: &str = "'Expiration time' claim ('exp') is too far in the future";
const BAD_IAT: &str =
    "'Issued at' claim ('iat') must be an Integer representing a time in the past";
const UNDECODABLE: &str = "A JSON web token could not be decoded";

#[derive(Deserialize)]
struct Claims {
    iss: Option<Value>,
    iat: Option<Value>,
    exp: Option<Value>,
}

fn unauthorized(message: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, message)
}

/// The app whose JWT authorizes the request, checked as GitHub checks it: signed RS256 by
/// the app's key, `iss` its client id or id, `iat` not in the future, `exp` in the future
/// and at most ten minutes after `iat`.
pub fn app_of_jwt(world: &World, headers: &HeaderMap, now: i64) -> Result<Id, ApiError> {
    let jwt = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim().to_string())
        .ok_or_else(|| unauthorized("A JSON web token could not be decoded"))?;
    // Who it claims to be, before the signature can be checked with that app's key.
    let mut peek = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    peek.insecure_disable_signature_validation();
    peek.validate_exp = false;
    peek.required_spec_claims.clear();
    let unverified =
        jsonwebtoken::decode::<Claims>(&jwt, &jsonwebtoken::DecodingKey::from_secret(&[]), &peek)
            .map_err(|_| unauthorized(UNDECODABLE))?
            .claims;
    let iss = match &unverified.iss {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return Err(unauthorized("'Issuer' claim ('iss') must be an Integer")),
    };
    let app = world
        .app_by_issuer(&iss)
        .ok_or_else(|| unauthorized("Integration not found"))?;
    let key = jsonwebtoken::DecodingKey::from_rsa_pem(app.public_key_pem.as_bytes())
        .map_err(|_| unauthorized(UNDECODABLE))?;
    let mut check = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    check.validate_exp = false;
    check.required_spec_claims.clear();
    let claims = jsonwebtoken::decode::<Claims>(&jwt, &key, &check)
        .map_err(|_| unauthorized(UNDECODABLE))?
        .claims;
    let iat = claims
        .iat
        .as_ref()
        .and_then(Value::as_i64)
        .filter(|iat| *iat <= now)
        .ok_or_else(|| unauthorized(BAD_IAT))?;
    let exp = claims
        .exp
        .as_ref()
        .and_then(Value::as_i64)
        .filter(|exp| *exp > now)
        .ok_or_else(|| unauthorized(BAD_EXP))?;
    if exp - iat > MAX_LIFETIME || exp - now > MAX_LIFETIME {
        return Err(unauthorized(EXP_TOO_FAR));
    }
    Ok(app.id)
}

fn render_app(world: &World, app: &App) -> Value {
    let owner = app
        .installations
        .first()
        .map(|i| i.account.clone())
        .unwrap_or_else(|| crate::hub::DEFAULT_LOGIN.to_string());
    json!({
        "id": app.id,
        "slug": app.slug,
        "client_id": app.client_id,
        "node_id": crate::render::node_id("A", app.id),
        "name": app.slug,
        "description": null,
        "external_url": format!("{}/apps/{}", world.base, app.slug),
        "html_url": format!("{}/apps/{}", world.base, app.slug),
        "owner": {"login": owner, "type": "Organization"},
        "created_at": crate::clock::iso(app.created_at),
        "updated_at": crate::clock::iso(app.created_at),
        "permissions": app.installations.first().map(|i| json!(i.permissions)).unwrap_or(json!({})),
        "events": [],
        "installations_count": app.installations.len(),
    })
}

fn render_installation(world: &World, app: &App, i: &crate::model::apps::Installation) -> Value {
    let account = world.find_user(&i.account);
    json!({
        "id": i.id,
        "app_id": app.id,
        "app_slug": app.slug,
        "client_id": app.client_id,
        "account": {
            "login": account.map_or(i.account.clone(), |u| u.login.clone()),
            "id": account.map_or(0, |u| u.id),
            "type": account.map_or("User", |u| u.kind.as_str()),
        },
        "target_id": account.map_or(0, |u| u.id),
        "target_type": account.map_or("User", |u| u.kind.as_str()),
        "repository_selection": match i.repositories { Selection::All => "all", Selection::Selected(_) => "selected" },
        "access_tokens_url": format!("{}/app/installations/{}/access_tokens", world.base, i.id),
        "repositories_url": format!("{}/installation/repositories", world.base),
        "html_url": format!("{}/settings/installations/{}", world.base, i.id),
        "permissions": i.permissions,
        "events": [],
        "created_at": crate::clock::iso(i.created_at),
        "updated_at": crate::clock::iso(i.created_at),
        "single_file_name": null,
        "suspended_at": null,
        "suspended_by": null,
    })
}

async fn app(State(hub): State<Arc<Hub>>, headers: HeaderMap) -> Response {
    let world = hub.world.read();
    match app_of_jwt(&world, &headers, hub.clock.now().timestamp()) {
        Ok(id) => {
            let app = world.app(id).expect("found by its JWT");
            Json(render_app(&world, app)).into_response()
        }
        Err(e) => e.into_response(),
    }
}

async fn installations(State(hub): State<Arc<Hub>>, headers: HeaderMap) -> Response {
    let world = hub.world.read();
    match app_of_jwt(&world, &headers, hub.clock.now().timestamp()) {
        Ok(id) => {
            let app = world.app(id).expect("found by its JWT");
            let list: Vec<Value> = app
                .installations
                .iter()
                .map(|i| render_installation(&world, app, i))
                .collect();
            Json(list).into_response()
        }
        Err(e) => e.into_response(),
    }
}

async fn private_key(State(hub): State<Arc<Hub>>, Path(id): Path<Id>) -> Response {
    match hub.world.read().app(id) {
        Some(app) => (
            [(header::CONTENT_TYPE, "application/x-pem-file")],
            app.private_key_pem.clone(),
        )
            .into_response(),
        None => ApiError::not_found().into_response(),
    }
}
