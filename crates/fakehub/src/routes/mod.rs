//! GitHub's REST endpoints, one file per resource. A handler parses the request, calls one
//! model operation under the world lock, renders the answer and flushes webhook events.

pub mod apps;
mod assignees;
mod comments;
mod events;
mod hooks;
mod issue_list;
mod issue_types;
mod issues;
mod labels;
mod milestones;
mod relations;
mod repos;
mod search;
mod users;

use crate::error::{ApiError, ApiResult};
use crate::hub::Hub;
use crate::model::{Time, World};
use axum::body::Bytes;
use axum::routing::{delete, get, patch, post, put};
use axum::Router;
use serde_json::{Map, Value};
use std::sync::Arc;

pub type Hs = axum::extract::State<Arc<Hub>>;

pub fn router() -> Router<Arc<Hub>> {
    let repo = "/repos/{owner}/{repo}";
    let issue = "/repos/{owner}/{repo}/issues/{number}";
    Router::new()
        .route("/rate_limit", get(repos::rate_limit))
        .route("/user", get(users::me))
        .route("/users/{login}", get(users::user))
        .route("/orgs/{org}", get(users::org))
        .route("/orgs/{org}/members", get(users::members))
        .route("/orgs/{org}/members/{login}", get(users::is_member))
        .route("/orgs/{org}/public_members", get(users::public_members))
        .route(
            "/orgs/{org}/public_members/{login}",
            get(users::is_public_member),
        )
        .route("/search/issues", get(search::issues))
        .route(
            "/installation/repositories",
            get(apps::installation_repositories),
        )
        .route(
            "/user/installations/{installation_id}/repositories/{repository_id}",
            put(apps::add_repo).delete(apps::remove_repo),
        )
        .route(repo, get(repos::get_repo))
        .route(&format!("{repo}/assignees"), get(assignees::list))
        .route(
            &format!("{repo}/assignees/{{assignee}}"),
            get(assignees::check),
        )
        .route(
            &format!("{repo}/issues"),
            get(issue_list::list).post(issues::create),
        )
        .route(issue, get(issues::get).patch(issues::update))
        .route(
            &format!("{issue}/lock"),
            axum::routing::put(issues::lock).delete(issues::unlock),
        )
        .route(
            &format!("{issue}/assignees"),
            post(issues::add_assignees).delete(issues::remove_assignees),
        )
        .route(
            &format!("{issue}/labels"),
            get(labels::list_on_issue)
                .post(labels::add_to_issue)
                .put(labels::set_on_issue)
                .delete(labels::clear_on_issue),
        )
        .route(
            &format!("{issue}/labels/{{name}}"),
            delete(labels::remove_from_issue),
        )
        .route(
            &format!("{issue}/comments"),
            get(comments::list_on_issue).post(comments::create),
        )
        .route(&format!("{repo}/issues/events"), get(events::in_repo))
        .route(
            &format!("{repo}/issues/events/{{event_id}}"),
            get(events::get),
        )
        .route(&format!("{issue}/events"), get(events::on_issue))
        .route(&format!("{issue}/timeline"), get(events::timeline))
        .route(
            &format!("{repo}/issues/comments"),
            get(comments::list_in_repo),
        )
        .route(
            &format!("{repo}/issues/comments/{{comment_id}}"),
            get(comments::get)
                .patch(comments::update)
                .delete(comments::remove),
        )
        .route(
            &format!("{issue}/sub_issues"),
            get(relations::list_sub_issues).post(relations::add_sub_issue),
        )
        .route(
            &format!("{issue}/sub_issue"),
            delete(relations::remove_sub_issue),
        )
        .route(
            &format!("{issue}/sub_issues/priority"),
            patch(relations::reprioritize),
        )
        .route(&format!("{issue}/parent"), get(relations::parent))
        .route(
            &format!("{issue}/dependencies/blocked_by"),
            get(relations::list_blocked_by).post(relations::add_blocked_by),
        )
        .route(
            &format!("{issue}/dependencies/blocked_by/{{issue_id}}"),
            delete(relations::remove_blocked_by),
        )
        .route(
            &format!("{issue}/dependencies/blocking"),
            get(relations::list_blocking),
        )
        .route(
            &format!("{repo}/labels"),
            get(labels::list).post(labels::create),
        )
        .route(
            &format!("{repo}/labels/{{name}}"),
            get(labels::get)
                .patch(labels::update)
                .delete(labels::remove),
        )
        .route(
            &format!("{repo}/milestones"),
            get(milestones::list).post(milestones::create),
        )
        .route(
            &format!("{repo}/milestones/{{number}}"),
            get(milestones::get)
                .patch(milestones::update)
                .delete(milestones::remove),
        )
        .route(
            "/orgs/{org}/issue-types",
            get(issue_types::list).post(issue_types::create),
        )
        .route(
            "/orgs/{org}/issue-types/{id}",
            axum::routing::put(issue_types::update).delete(issue_types::remove),
        )
        .route(
            "/orgs/{org}/hooks",
            get(hooks::org_list).post(hooks::org_create),
        )
        .route(
            "/orgs/{org}/hooks/{hook_id}",
            get(hooks::org_get)
                .patch(hooks::org_update)
                .delete(hooks::org_remove),
        )
        .route(
            "/orgs/{org}/hooks/{hook_id}/config",
            get(hooks::org_get_config).patch(hooks::org_update_config),
        )
        .route("/orgs/{org}/hooks/{hook_id}/pings", post(hooks::org_ping))
        .route(
            "/orgs/{org}/hooks/{hook_id}/deliveries",
            get(hooks::org_deliveries),
        )
        .route(
            "/orgs/{org}/hooks/{hook_id}/deliveries/{delivery_id}",
            get(hooks::org_delivery),
        )
        .route(
            "/orgs/{org}/hooks/{hook_id}/deliveries/{delivery_id}/attempts",
            post(hooks::org_redeliver),
        )
        .route(
            &format!("{repo}/hooks"),
            get(hooks::list).post(hooks::create),
        )
        .route(
            &format!("{repo}/hooks/{{hook_id}}"),
            get(hooks::get).patch(hooks::update).delete(hooks::remove),
        )
        .route(
            &format!("{repo}/hooks/{{hook_id}}/config"),
            get(hooks::get_config).patch(hooks::update_config),
        )
        .route(
            &format!("{repo}/hooks/{{hook_id}}/pings"),
            post(hooks::ping),
        )
        .route(
            &format!("{repo}/hooks/{{hook_id}}/deliveries"),
            get(hooks::deliveries),
        )
        .route(
            &format!("{repo}/hooks/{{hook_id}}/deliveries/{{delivery_id}}"),
            get(hooks::delivery),
        )
        .route(
            &format!("{repo}/hooks/{{hook_id}}/deliveries/{{delivery_id}}/attempts"),
            post(hooks::redeliver),
        )
}

/// Runs one mutation under the world lock and hands its webhook events to the dispatcher,
/// whether it succeeded or not (a failed operation may still have created labels).
pub fn mutate<R>(hub: &Hub, f: impl FnOnce(&mut World, Time) -> ApiResult<R>) -> ApiResult<R> {
    let mut world = hub.world.write();
    let now = hub.clock.now();
    let result = f(&mut world, now);
    hub.flush(&mut world);
    result
}

/// A JSON object request body; an empty body reads as `{}`.
pub fn object(bytes: &Bytes) -> ApiResult<Map<String, Value>> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(bytes)? {
        Value::Object(m) => Ok(m),
        _ => Err(ApiError::bad_request(
            "Problems parsing JSON: expected an object",
        )),
    }
}

fn wrong_type(field: &str, want: &str) -> ApiError {
    ApiError::validation(vec![crate::error::FieldError::new("", field, "invalid")
        .with_message(format!("{field} must be {want}"))])
}

/// A string field: absent → None; null → Some(None).
pub fn nullable_str(m: &Map<String, Value>, key: &str) -> ApiResult<Option<Option<String>>> {
    match m.get(key) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) => Ok(Some(Some(s.clone()))),
        Some(_) => Err(wrong_type(key, "a string")),
    }
}

pub fn str_field(m: &Map<String, Value>, key: &str) -> ApiResult<Option<String>> {
    Ok(nullable_str(m, key)?.flatten())
}

pub fn bool_field(m: &Map<String, Value>, key: &str) -> ApiResult<Option<bool>> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(wrong_type(key, "a boolean")),
    }
}

/// An integer field, also accepted as a numeric string (GitHub is lenient there).
pub fn nullable_u64(m: &Map<String, Value>, key: &str) -> ApiResult<Option<Option<u64>>> {
    match m.get(key) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::Number(n)) => n
            .as_u64()
            .map(|n| Some(Some(n)))
            .ok_or_else(|| wrong_type(key, "a positive integer")),
        Some(Value::String(s)) => s
            .parse()
            .map(|n| Some(Some(n)))
            .map_err(|_| wrong_type(key, "a positive integer")),
        Some(_) => Err(wrong_type(key, "an integer")),
    }
}

pub fn u64_field(m: &Map<String, Value>, key: &str) -> ApiResult<Option<u64>> {
    Ok(nullable_u64(m, key)?.flatten())
}

/// A list of names; items may be strings or objects with a `name` (as for labels).
pub fn name_list(m: &Map<String, Value>, key: &str) -> ApiResult<Option<Vec<String>>> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.clone()),
                Value::Object(o) => o
                    .get("name")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .ok_or_else(|| wrong_type(key, "a list of names")),
                _ => Err(wrong_type(key, "a list of strings")),
            })
            .collect::<ApiResult<Vec<_>>>()
            .map(Some),
        Some(_) => Err(wrong_type(key, "an array")),
    }
}

/// The last value of a query parameter.
pub fn param<'a>(query: &'a [(String, String)], key: &str) -> Option<&'a str> {
    query
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

pub fn parse_time(field: &str, v: &str) -> ApiResult<Time> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(v) {
        return Ok(t.with_timezone(&chrono::Utc));
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).expect("midnight").and_utc());
    }
    Err(ApiError::unprocessable(format!(
        "{field} must be an ISO 8601 timestamp such as 2024-05-01T12:00:00Z, got '{v}'"
    )))
}
