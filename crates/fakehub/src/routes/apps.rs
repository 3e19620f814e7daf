//! GitHub Apps' own endpoints. Those authenticated by the app's RS256 JWT rather than a
//! token sit outside the token gate (`router`): `GET /app`, the app's installations and
//! their access tokens, `GET /repos/{o}/{r}/installation` (and for organizations and users),
//! the app's webhook log, and fakehub's control routes (`/_fakehub/apps…`). Those taken with
//! a token pass the gate (`routes::mod`): `GET /installation/repositories` with an
//! installation token, and adding or removing a repository of an installation with a user's.

use super::hooks::{deliveries_at, delivery_at, redeliver_at, At};
use super::{object, Hs};
use crate::error::{ApiError, ApiResult};
use crate::http::{link_header, Actor, Page, PageParams};
use crate::hub::Hub;
use crate::model::apps::{Installation, TokenRequest};
use crate::model::{Credential, Id, Need, Role, UserKind, World};
use axum::body::Bytes;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

pub fn router() -> Router<Arc<Hub>> {
    Router::new()
        .route("/app", get(app))
        .route("/app/installations", get(installations))
        .route(
            "/app/installations/{id}",
            get(installation).delete(uninstall),
        )
        .route("/app/installations/{id}/access_tokens", post(access_token))
        .route("/repos/{owner}/{repo}/installation", get(repo_installation))
        .route("/orgs/{org}/installation", get(account_installation))
        .route("/users/{login}/installation", get(account_installation))
        .route("/app/hook/config", get(hook_config))
        .route("/app/hook/deliveries", get(hook_deliveries))
        .route("/app/hook/deliveries/{id}", get(hook_delivery))
        .route("/app/hook/deliveries/{id}/attempts", post(hook_redeliver))
        .route("/_fakehub/apps", post(declare))
        .route("/_fakehub/apps/{id}/installations", post(install))
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

/// Runs `f` for the app whose JWT the request carries, under the read lock.
fn as_app<R>(
    hub: &Hub,
    headers: &HeaderMap,
    f: impl FnOnce(&World, Id) -> ApiResult<R>,
) -> ApiResult<R> {
    let world = hub.world.read();
    let id = app_of_jwt(&world, headers, hub.clock.now().timestamp())?;
    f(&world, id)
}

async fn app(State(hub): State<Arc<Hub>>, headers: HeaderMap) -> ApiResult<Json<Value>> {
    as_app(&hub, &headers, |w, id| {
        Ok(Json(w.app_json(w.app(id).expect("found by its JWT"))))
    })
}

async fn installations(State(hub): State<Arc<Hub>>, headers: HeaderMap) -> ApiResult<Json<Value>> {
    as_app(&hub, &headers, |w, id| {
        let app = w.app(id).expect("found by its JWT");
        Ok(Json(
            app.installations
                .iter()
                .map(|i| w.installation_json(app, i))
                .collect(),
        ))
    })
}

async fn installation(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Path(installation): Path<Id>,
) -> ApiResult<Json<Value>> {
    as_app(&hub, &headers, |w, id| {
        let app = w.app(id).expect("found by its JWT");
        let i = app
            .installation(installation)
            .ok_or_else(ApiError::not_found)?;
        Ok(Json(w.installation_json(app, i)))
    })
}

/// `DELETE /app/installations/{id}`: the app uninstalls itself; its tokens stop working
/// and `installation.deleted` goes to its webhook.
async fn uninstall(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Path(installation): Path<Id>,
) -> ApiResult<StatusCode> {
    let mut world = hub.world.write();
    let app = app_of_jwt(&world, &headers, hub.clock.now().timestamp())?;
    let sender = installer(&mut world, installation);
    if !world.uninstall_app(app, installation, &sender) {
        return Err(ApiError::not_found());
    }
    hub.flush(&mut world);
    Ok(StatusCode::NO_CONTENT)
}

/// Who an installation event about `installation` names as its sender.
fn installer(world: &mut World, installation: Id) -> String {
    match world
        .installation(installation)
        .map(|(_, i)| i.account.clone())
    {
        Some(account) => installer_for(world, &account),
        None => world.user(crate::hub::DEFAULT_LOGIN).login.clone(),
    }
}

/// Who installs an app on `account`: the account itself when it is a user, else an
/// administrator of the organization, else the default user.
fn installer_for(world: &mut World, account: &str) -> String {
    match world.find_user(account).map(|u| u.kind) {
        Some(UserKind::User) => account.to_string(),
        _ => world
            .org_members(account)
            .into_iter()
            .find(|(_, role)| *role == crate::model::OrgRole::Admin)
            .map(|(login, _)| login)
            .unwrap_or_else(|| world.user(crate::hub::DEFAULT_LOGIN).login.clone()),
    }
}

fn unprocessable(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message.into())
}

/// The body of `POST …/access_tokens`: every field optional.
fn token_request(bytes: &Bytes) -> ApiResult<TokenRequest> {
    let m = object(bytes)?;
    let strings = |key: &str| -> ApiResult<Option<Vec<String>>> {
        match m.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| unprocessable(format!("{key} must be a list of names")))
                })
                .collect::<ApiResult<Vec<_>>>()
                .map(Some),
            Some(_) => Err(unprocessable(format!("{key} must be a list of names"))),
        }
    };
    let repository_ids = match m.get("repository_ids") {
        None | Some(Value::Null) => None,
        Some(Value::Array(a)) => Some(
            a.iter()
                .map(|v| {
                    v.as_u64()
                        .ok_or_else(|| unprocessable("repository_ids must be a list of integers"))
                })
                .collect::<ApiResult<Vec<_>>>()?,
        ),
        Some(_) => return Err(unprocessable("repository_ids must be a list of integers")),
    };
    let permissions = match m.get("permissions") {
        None | Some(Value::Null) => None,
        Some(Value::Object(p)) => Some(
            p.iter()
                .map(|(k, v)| {
                    v.as_str()
                        .map(|v| (k.clone(), v.to_string()))
                        .ok_or_else(|| {
                            unprocessable(format!("permissions.{k} must be read, write or admin"))
                        })
                })
                .collect::<ApiResult<BTreeMap<_, _>>>()?,
        ),
        Some(_) => return Err(unprocessable("permissions must be an object")),
    };
    Ok(TokenRequest {
        repositories: strings("repositories")?,
        repository_ids,
        permissions,
    })
}

/// `POST /app/installations/{id}/access_tokens`: a one-hour `ghs_` token acting as the
/// installation, optionally narrowed to some of its repositories and permissions.
async fn access_token(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Path(installation): Path<Id>,
    bytes: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let ask = token_request(&bytes)?;
    let mut world = hub.world.write();
    let now = hub.clock.now();
    let app = app_of_jwt(&world, &headers, now.timestamp())?;
    let (token, issued) = world.issue_installation_token(app, installation, ask, now)?;
    let grant = world
        .installation_credential(&token, now)
        .and_then(|c| c.installation().cloned())
        .expect("a token just issued is valid");
    let mut answer = json!({
        "token": token,
        "expires_at": crate::clock::iso(issued.expires_at),
        "permissions": grant.permissions,
        "repository_selection": if grant.repositories.is_some() { "selected" } else { "all" },
    });
    if let Some(ids) = &issued.repositories {
        answer["repositories"] = ids
            .iter()
            .filter_map(|id| world.repo_by_id(*id))
            .map(|r| world.repo_json(&world.repos[r]))
            .collect();
    }
    Ok((StatusCode::CREATED, Json(answer)))
}

/// `GET /repos/{owner}/{repo}/installation`: the app's installation that covers the
/// repository, 404 when none does.
async fn repo_installation(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Path((owner, name)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    as_app(&hub, &headers, |w, id| {
        let repo = w.repo_idx(&owner, &name)?;
        let app = w.app(id).expect("found by its JWT");
        app.installations
            .iter()
            .find(|i| w.installation_repos(i).contains(&repo))
            .map(|i| Json(w.installation_json(app, i)))
            .ok_or_else(ApiError::not_found)
    })
}

/// `GET /orgs/{org}/installation` and `GET /users/{login}/installation`.
async fn account_installation(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Path(account): Path<String>,
) -> ApiResult<Json<Value>> {
    as_app(&hub, &headers, |w, id| {
        let app = w.app(id).expect("found by its JWT");
        app.installations
            .iter()
            .find(|i| i.account.eq_ignore_ascii_case(&account))
            .map(|i| Json(w.installation_json(app, i)))
            .ok_or_else(ApiError::not_found)
    })
}

/// The app's one webhook, or 404 when it has none.
fn app_hook(w: &World, app: Id) -> ApiResult<Id> {
    w.app(app)
        .and_then(|a| a.hooks.first())
        .map(|h| h.id)
        .ok_or_else(ApiError::not_found)
}

async fn hook_config(State(hub): State<Arc<Hub>>, headers: HeaderMap) -> ApiResult<Json<Value>> {
    as_app(&hub, &headers, |w, id| {
        let hook = app_hook(w, id)?;
        let app = w.app(id).expect("found by its JWT");
        let h = app.hooks.iter().find(|h| h.id == hook).expect("found");
        Ok(Json(w.hook_config_json(h)))
    })
}

async fn hook_deliveries(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Query(q): Query<Vec<(String, String)>>,
    uri: Uri,
) -> ApiResult<Page> {
    let (app, hook) = as_app(&hub, &headers, |w, id| Ok((id, app_hook(w, id)?)))?;
    deliveries_at(State(hub), At::App(app), hook, q, uri).await
}

async fn hook_delivery(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Path(delivery): Path<u64>,
) -> ApiResult<Json<Value>> {
    let (app, hook) = as_app(&hub, &headers, |w, id| Ok((id, app_hook(w, id)?)))?;
    delivery_at(State(hub), At::App(app), hook, delivery).await
}

async fn hook_redeliver(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Path(delivery): Path<u64>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let (app, hook) = as_app(&hub, &headers, |w, id| Ok((id, app_hook(w, id)?)))?;
    redeliver_at(State(hub), At::App(app), hook, delivery).await
}

// Token-authenticated routes (behind the gate).

/// `GET /installation/repositories`: what an installation token reaches.
pub async fn installation_repositories(
    hub: Hs,
    Extension(actor): Extension<Actor>,
    Query(q): Query<Vec<(String, String)>>,
    uri: Uri,
) -> ApiResult<Response> {
    let Some(grant) = actor.credential.as_ref().and_then(Credential::installation) else {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "You must authenticate with an installation access token in order to list repositories for an installation.",
        ));
    };
    let w = hub.world.read();
    let repos: Vec<usize> = (0..w.repos.len())
        .filter(|&r| grant.covers(&w, r))
        .collect();
    let p = PageParams::from_query(&q)?;
    let selection = match w.installation(grant.installation_id) {
        Some((_, i)) if grant.repositories.is_none() => i.repositories.as_str(),
        _ => "selected",
    };
    let body = json!({
        "total_count": repos.len(),
        "repository_selection": selection,
        "repositories": p.slice(&repos).into_iter().map(|r| w.repo_json(&w.repos[r])).collect::<Vec<_>>(),
    });
    let mut response = Json(body).into_response();
    if let Some(link) = link_header(&w.base, uri.path(), &q, p, repos.len()) {
        response
            .headers_mut()
            .insert(header::LINK, link.parse().expect("a Link header is ASCII"));
    }
    Ok(response)
}

/// `PUT` and `DELETE /user/installations/{installation_id}/repositories/{repository_id}`:
/// a user with admin rights on the repository adds it to (or removes it from) an
/// installation with selected repositories; the app hears `installation_repositories`.
async fn change_repo(
    hub: Hs,
    actor: Actor,
    installation: Id,
    repository: Id,
    add: bool,
) -> ApiResult<StatusCode> {
    let Some(credential @ Credential::User { .. }) = actor.credential.as_ref() else {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            crate::model::access::NOT_ACCESSIBLE_BY_INTEGRATION,
        ));
    };
    super::mutate(&hub, |w, _| {
        let repo = w.repo_by_id(repository).ok_or_else(ApiError::not_found)?;
        w.can(Some(credential), repo, Need::Role(Role::Admin))
            .map_err(|r| match r {
                crate::model::access::Refusal::NotFound => ApiError::not_found(),
                crate::model::access::Refusal::Forbidden(m) => {
                    ApiError::new(StatusCode::FORBIDDEN, m)
                }
            })?;
        w.change_installation_repos(installation, repo, add, &actor.login)?;
        Ok(StatusCode::NO_CONTENT)
    })
}

pub async fn add_repo(
    hub: Hs,
    Extension(actor): Extension<Actor>,
    Path((installation, repository)): Path<(Id, Id)>,
) -> ApiResult<StatusCode> {
    change_repo(hub, actor, installation, repository, true).await
}

pub async fn remove_repo(
    hub: Hs,
    Extension(actor): Extension<Actor>,
    Path((installation, repository)): Path<(Id, Id)>,
) -> ApiResult<StatusCode> {
    change_repo(hub, actor, installation, repository, false).await
}

// fakehub's control routes.

/// `POST /_fakehub/apps`: declares (or replaces) an app at run time, as a seed entry; each
/// of its installations is announced to the app's webhook (`installation.created`).
async fn declare(
    State(hub): State<Arc<Hub>>,
    bytes: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let spec: crate::seed::SeedApp = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::bad_request(format!("not an app declaration: {e}")))?;
    let mut world = hub.world.write();
    let now = hub.clock.now();
    let mut app = crate::seed::build_app(&mut world, &spec, now).map_err(unprocessable)?;
    let installations = std::mem::take(&mut app.installations);
    world.declare_app(app).map_err(unprocessable)?;
    for i in installations {
        let sender = installer_for(&mut world, &i.account);
        world
            .install_app(spec.id, i, &sender)
            .map_err(unprocessable)?;
    }
    let json = world.app_json(world.app(spec.id).expect("declared"));
    hub.flush(&mut world);
    Ok((StatusCode::CREATED, Json(json)))
}

#[derive(Deserialize)]
struct InstallBody {
    #[serde(flatten)]
    spec: crate::seed::SeedInstallation,
    /// Who installs it (the `sender` of `installation.created`); by default the account,
    /// or an administrator of the organization.
    #[serde(default)]
    sender: Option<String>,
}

/// `POST /_fakehub/apps/{id}/installations`: installs an app on an account at run time.
async fn install(
    State(hub): State<Arc<Hub>>,
    Path(app): Path<Id>,
    bytes: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let body: InstallBody = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::bad_request(format!("not an installation: {e}")))?;
    let mut world = hub.world.write();
    if world.app(app).is_none() {
        return Err(ApiError::not_found());
    }
    let now = hub.clock.now();
    let i: Installation =
        crate::seed::build_installation(app, &body.spec, now).map_err(unprocessable)?;
    let id = i.id;
    let sender = match body.sender {
        Some(s) => world.user(&s).login.clone(),
        None => installer_for(&mut world, &i.account),
    };
    world.install_app(app, i, &sender).map_err(unprocessable)?;
    let (a, i) = world.installation(id).expect("installed");
    let json = world.installation_json(a, i);
    hub.flush(&mut world);
    Ok((StatusCode::CREATED, Json(json)))
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
