//! GitHub's GraphQL API at `POST /graphql`, on the async-graphql engine, answering from the
//! same model as REST. In GitHub's order: authenticate, read the document, work out its cost
//! (refusing unbounded or oversized connections), charge the hour's 5,000 points, run it,
//! and answer errors in GitHub's shape (`type`, `message`, `path`, `locations`) with the
//! `x-ratelimit-*` headers of the `graphql` resource.

mod connection;
pub mod cost;
pub mod ids;
mod issue_types;
mod mutations;
pub mod objects;
mod project_mutations;
mod projects;
mod pulls;

use crate::hub::Hub;
use crate::stats::RequestTally;
use async_graphql::{EmptySubscription, Request, Schema, Variables};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use objects::{Query, Spent, Viewer};
use serde_json::{json, Map, Value};
use std::sync::{Arc, OnceLock};

pub type FakehubSchema = Schema<Query, mutations::Mutation, EmptySubscription>;

/// Points a user may spend on GraphQL in an hour: the same number as the REST limit
/// (`--rate-limit`, 5,000 by default, as on GitHub), counted in a bucket of its own.
fn points_per_hour(hub: &Hub) -> u64 {
    hub.settings.read().rate_limit
}

const DOCS: &str = "https://docs.github.com/graphql";

/// The schema fakehub serves (built once).
pub fn schema() -> &'static FakehubSchema {
    static SCHEMA: OnceLock<FakehubSchema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        Schema::build(Query, mutations::Mutation::default(), EmptySubscription).finish()
    })
}

pub fn router() -> Router<Arc<Hub>> {
    Router::new().route("/graphql", post(handle))
}

fn message(status: StatusCode, text: &str) -> Response {
    (
        status,
        axum::Json(json!({"message": text, "documentation_url": DOCS})),
    )
        .into_response()
}

fn token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("token") || scheme.eq_ignore_ascii_case("bearer"))
        .then(|| token.trim().to_string())
}

/// The request's document, variables and operation.
struct Asked {
    query: String,
    variables: Map<String, Value>,
    operation: Option<String>,
}

/// Reads the request body, or says why GitHub would answer 400.
fn read_body(body: &[u8]) -> Result<Asked, &'static str> {
    let refused = || "Problems parsing JSON";
    let value: Value = serde_json::from_slice(body).map_err(|_| refused())?;
    let query = value
        .get("query")
        .and_then(Value::as_str)
        .ok_or("A query attribute must be specified and must be a string.")?
        .to_string();
    let variables = match value.get("variables") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        // Some clients send the variables as a JSON string.
        Some(Value::String(s)) if s.trim().is_empty() => Map::new(),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Object(m)) => m,
            _ => return Err(refused()),
        },
        Some(_) => return Err(refused()),
    };
    let operation = value
        .get("operationName")
        .and_then(Value::as_str)
        .map(str::to_string);
    Ok(Asked {
        query,
        variables,
        operation,
    })
}

/// One error in GitHub's shape.
fn error(kind: Option<&str>, text: &str, at: Option<(usize, usize)>) -> Value {
    let mut e = json!({"message": text});
    if let Some(kind) = kind {
        e["type"] = json!(kind);
    }
    if let Some((line, column)) = at {
        e["locations"] = json!([{"line": line, "column": column}]);
    }
    e
}

async fn handle(State(hub): State<Arc<Hub>>, headers: HeaderMap, body: Bytes) -> Response {
    let mut tally = RequestTally::default();
    // Who asks. Open mode (no tokens and no users declared) answers anonymous requests too,
    // so clients that send no token to a host other than GitHub's still work.
    let open = hub.settings.read().tokens.is_empty() && {
        let w = hub.world.read();
        w.access.tokens.is_empty() && !w.access.enforced()
    };
    let credential = match token(&headers) {
        Some(t) => match hub.credential_for(&t) {
            Some(c) => Some(c),
            None => {
                return finish(
                    &hub,
                    tally,
                    message(StatusCode::UNAUTHORIZED, "Bad credentials"),
                )
            }
        },
        None if open => None,
        None => {
            return finish(
                &hub,
                tally,
                message(
                    StatusCode::UNAUTHORIZED,
                    "This endpoint requires you to be authenticated.",
                ),
            )
        }
    };
    let login = credential
        .as_ref()
        .map_or(crate::hub::DEFAULT_LOGIN, |c| c.login())
        .to_string();
    let asked = match read_body(&body) {
        Ok(a) => a,
        Err(why) => return finish(&hub, tally, message(StatusCode::BAD_REQUEST, why)),
    };
    let doc = match async_graphql::parser::parse_query(&asked.query) {
        Ok(doc) => doc,
        Err(e) => {
            let at = e.positions().next().map(|p| (p.line, p.column));
            let body = json!({"errors": [error(None, &e.to_string(), at)]});
            let resp = with_limit_headers(axum::Json(body).into_response(), &hub, &login);
            return finish(&hub, tally, resp);
        }
    };
    let cost = match cost::measure(&doc, asked.operation.as_deref(), &asked.variables) {
        Ok(c) => c,
        Err(refused) => {
            let body = json!({"errors": [error(Some(refused.kind), &refused.message, refused.at)]});
            let resp = with_limit_headers(axum::Json(body).into_response(), &hub, &login);
            return finish(&hub, tally, resp);
        }
    };

    // The hour's points, per user as on GitHub.
    let now = hub.clock.now_precise();
    // Read before taking the limits' lock: no lock is held while waiting for another.
    let per_hour = points_per_hour(&hub);
    let spent = {
        let mut limits = hub.limits.lock();
        let bucket = limits.bucket(&format!("graphql:{}", login.to_lowercase()), per_hour, now);
        let points = cost.points();
        if bucket.remaining() < points {
            None
        } else {
            bucket.used += points;
            Some(Spent {
                cost: points,
                limit: bucket.limit,
                remaining: bucket.remaining(),
                used: bucket.used,
                reset_at: bucket.reset,
                node_count: cost.nodes,
            })
        }
    };
    let Some(spent) = spent else {
        tally.rate_limited = true;
        let id = hub.world.read().find_user(&login).map_or(0, |u| u.id);
        let body = json!({"errors": [error(
            Some("RATE_LIMITED"),
            &format!("API rate limit already exceeded for user ID {id}."),
            None,
        )]});
        let resp = with_limit_headers(axum::Json(body).into_response(), &hub, &login);
        return finish(&hub, tally, resp);
    };
    tally.charged = true;
    if hub.world.read().find_user(&login).is_none() {
        hub.world.write().user(&login);
    }

    let mut request = Request::new(asked.query)
        .variables(Variables::from_json(Value::Object(asked.variables)))
        .data(hub.clone())
        .data(Viewer {
            login: login.clone(),
            credential,
        })
        .data(spent);
    if let Some(op) = asked.operation {
        request = request.operation_name(op);
    }
    let answer = schema().execute(request).await;
    let mut body = serde_json::to_value(&answer).unwrap_or_else(|_| json!({}));
    githubs_error_shape(&mut body);
    let resp = with_limit_headers(axum::Json(body).into_response(), &hub, &login);
    finish(&hub, tally, resp)
}

/// async-graphql puts the error kind under `extensions`; GitHub has `type` at the top.
fn githubs_error_shape(body: &mut Value) {
    let Some(errors) = body.get_mut("errors").and_then(Value::as_array_mut) else {
        return;
    };
    for e in errors {
        let Some(obj) = e.as_object_mut() else {
            continue;
        };
        if let Some(Value::Object(mut ext)) = obj.remove("extensions") {
            if let Some(kind) = ext.remove("type") {
                obj.insert("type".into(), kind);
            }
        }
    }
}

fn with_limit_headers(mut resp: Response, hub: &Hub, login: &str) -> Response {
    let now = hub.clock.now_precise();
    let per_hour = points_per_hour(hub);
    let (limit, remaining, used, reset) = {
        let mut limits = hub.limits.lock();
        let b = limits.bucket(&format!("graphql:{}", login.to_lowercase()), per_hour, now);
        (b.limit, b.remaining(), b.used, b.reset.timestamp())
    };
    let h = resp.headers_mut();
    h.insert("x-ratelimit-limit", HeaderValue::from(limit));
    h.insert("x-ratelimit-remaining", HeaderValue::from(remaining));
    h.insert("x-ratelimit-used", HeaderValue::from(used));
    h.insert("x-ratelimit-reset", HeaderValue::from(reset));
    h.insert("x-ratelimit-resource", HeaderValue::from_static("graphql"));
    resp
}

fn finish(hub: &Hub, tally: RequestTally, resp: Response) -> Response {
    let mut tally = tally;
    tally.server_error = resp.status().is_server_error();
    hub.stats.record("POST /graphql", tally);
    resp
}
