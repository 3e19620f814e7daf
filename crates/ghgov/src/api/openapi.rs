//! The OpenAPI document, generated from the handlers' `#[utoipa::path]` attributes and the
//! answers' types, and served at `GET /api/v1/openapi.json`. A route missing here fails the
//! test below; an answer that does not match its schema fails the API tests (their harness
//! checks every JSON answer against this document).

use super::{events, governance, hierarchy, issue_writes, issues, ops, resources, ErrorBody};
use serde_json::Value;
use std::sync::OnceLock;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as Document, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "ghgov API",
        version = "1",
        description = "The ghgov mirror of GitHub repositories. Every /api/v1 path except health, metrics, version and this document needs `Authorization: Bearer TOKEN` (see `ghgov token create`); a path's security names the token scope it needs (read, write or admin: each includes the ones before it).",
    ),
    servers((url = "/")),
    paths(
        resources::repos,
        issues::list,
        issues::get,
        issue_writes::create,
        issue_writes::create_alias,
        issue_writes::edit,
        issue_writes::put,
        issue_writes::operation,
        issue_writes::set_status,
        issue_writes::close,
        issue_writes::comment,
        issue_writes::create_milestone,
        issue_writes::get_milestone,
        issue_writes::edit_milestone,
        issue_writes::close_milestone,
        issue_writes::conflicts,
        issue_writes::resolve_conflict,
        issues::comments,
        issues::history,
        events::list,
        hierarchy::hierarchy,
        resources::labels,
        resources::milestones,
        ops::trigger_sync,
        ops::sync_status,
        ops::sync_operations,
        ops::webhook_events,
        ops::replay,
        ops::discard,
        governance::get_config,
        governance::put_config,
        governance::config_versions,
        governance::validate,
        governance::generate,
        governance::plans,
        governance::plan,
        governance::approve,
        governance::apply_plan,
        governance::compliance,
        governance::audit,
        ops::health,
        ops::metrics,
        ops::version,
        ops::openapi,
        crate::mirror::receiver::handle,
    ),
    components(schemas(ErrorBody)),
    modifiers(&Shared),
    tags(
        (name = "mirror", description = "Repositories, labels and milestones of the mirror"),
        (name = "issues", description = "Issues and pull-request stubs of the mirror"),
        (name = "events", description = "Domain events: every change the mirror recorded, in commit order"),
        (name = "sync", description = "Syncing the mirror with GitHub"),
        (name = "webhooks", description = "GitHub's deliveries: receiving, listing, replaying"),
        (name = "governance", description = "Governance configurations, validation, plans, compliance and the audit trail"),
        (name = "server", description = "Health, metrics, version and this document (no token needed)"),
    ),
)]
struct ApiDoc;

/// What every path shares, written once: the bearer scheme, the answers any `/api/v1`
/// request may get before or besides its handler's own (the token check, the body's
/// limits, an internal error), and the open endpoints' second paths under `/api/v1`.
struct Shared;

/// Answers of the layers around every token-checked handler.
const COMMON: [(&str, &str); 5] = [
    (
        "400",
        "A parameter or the body is malformed (the message names it)",
    ),
    ("401", "No token, or an unknown or revoked one"),
    (
        "408",
        "The request body did not arrive within --body-read-timeout",
    ),
    ("413", "The request body is larger than --max-request-body"),
    (
        "500",
        "Internal error: the message gives an error_id, the server log has the details",
    ),
];

/// Open endpoints also served under `/api/v1`.
const ALIASED: [&str; 3] = ["/health", "/metrics", "/version"];

impl Modify for Shared {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        for (path, item) in doc.paths.paths.iter_mut() {
            if !path.starts_with("/api/v1/") {
                continue;
            }
            for op in operations(item) {
                let guarded = op
                    .security
                    .as_ref()
                    .is_some_and(|s| !s.is_empty() && !is_open(s));
                if !guarded {
                    continue;
                }
                for (status, description) in COMMON {
                    op.responses
                        .responses
                        .entry(status.to_string())
                        .or_insert_with(|| error_response(description).into());
                }
            }
        }
        for path in ALIASED {
            let mut item = doc.paths.paths[path].clone();
            for op in operations(&mut item) {
                op.operation_id = op.operation_id.as_ref().map(|id| format!("{id}_api_v1"));
            }
            doc.paths.paths.insert(format!("/api/v1{path}"), item);
        }
    }
}

/// Whether a security requirement is the empty one (`security(())`: no token).
fn is_open(requirements: &[utoipa::openapi::security::SecurityRequirement]) -> bool {
    serde_json::to_value(requirements).is_ok_and(|v| v == serde_json::json!([{}]))
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.patch.as_mut(),
    ]
    .into_iter()
    .flatten()
}

fn error_response(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Error")))
                .build(),
        )
        .build()
}

/// The document as JSON.
pub fn openapi_document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        serde_json::to_value(ApiDoc::openapi()).expect("the OpenAPI document serialises")
    })
}

/// The document as served.
pub(super) fn document_text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        serde_json::to_string_pretty(openapi_document()).expect("the OpenAPI document serialises")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An endpoint cannot be added without documenting it, nor a documented one removed
    /// while its documentation stays.
    #[test]
    fn every_route_is_documented_and_every_documented_path_is_a_route() {
        let doc = openapi_document();
        let routes = super::super::routes();
        for (method, path) in &routes {
            let method = method.as_str().to_ascii_lowercase();
            assert!(
                doc["paths"][path][&method].is_object(),
                "{} {path} is served but not in the OpenAPI document: give its handler a #[utoipa::path] and list it in api/openapi.rs",
                method.to_uppercase()
            );
        }
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                assert!(
                    routes
                        .iter()
                        .any(|(m, p)| p == path && m.as_str().eq_ignore_ascii_case(method)),
                    "{} {path} is documented but not served",
                    method.to_uppercase()
                );
            }
        }
    }

    /// Every schema a path names is in the document, and every operation has an id of its
    /// own and at least one success answer and error answer.
    #[test]
    fn the_document_is_whole() {
        let doc = openapi_document();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        let text = doc.to_string();
        for name in doc["components"]["schemas"].as_object().unwrap().keys() {
            assert!(!name.is_empty());
        }
        let mut rest = text.as_str();
        while let Some(at) = rest.find("\"$ref\":\"#/components/schemas/") {
            rest = &rest[at + 29..];
            let name = &rest[..rest.find('"').unwrap()];
            assert!(
                doc["components"]["schemas"][name].is_object(),
                "{name} is referenced but not defined"
            );
        }
        let mut ids = std::collections::HashSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let id = op["operationId"].as_str().unwrap_or_default();
                assert!(
                    ids.insert(id.to_string()),
                    "{method} {path}: operationId {id} twice"
                );
                let statuses: Vec<&String> = op["responses"].as_object().unwrap().keys().collect();
                assert!(
                    statuses.iter().any(|s| s.starts_with('2')),
                    "{method} {path}: no success answer"
                );
                assert!(op["security"].is_array(), "{method} {path}: no security");
            }
        }
    }
}
