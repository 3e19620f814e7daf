//! Every JSON answer the harness sees is checked against ghgov's OpenAPI document
//! (`ghgov::api::openapi_document()`): the schema of the operation and status the request
//! was answered by. An answer the document does not describe fails the test.

use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// A response's status and JSON body (null when the body is not JSON), after checking a
/// JSON body against the OpenAPI document (see [`check_against_document`]): an answer the
/// document does not describe fails the test.
pub(super) async fn answer(method: &str, url: &str, r: reqwest::Response) -> (u16, Value) {
    let r = checked(method, url, r).await;
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Sends `request` and answers its status and JSON body (null when the body is not JSON),
/// like [`super::call`], after checking the body against the OpenAPI document.
pub async fn send_checked(request: reqwest::RequestBuilder) -> (u16, Value) {
    let (client, request) = request.build_split();
    let request = request.expect("a well-formed request");
    let (method, url) = (request.method().to_string(), request.url().to_string());
    let r = client.execute(request).await.unwrap();
    answer(&method, &url, r).await
}

/// `r` as it came, after its JSON body (if it has one) was checked against the OpenAPI
/// document: a body the document does not describe fails the test.
pub(super) async fn checked(method: &str, url: &str, r: reqwest::Response) -> reqwest::Response {
    let (status, version, headers) = (r.status(), r.version(), r.headers().clone());
    let body = r.bytes().await.unwrap();
    let json = headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if json {
        if let Ok(value) = serde_json::from_slice::<Value>(&body) {
            if let Err(e) = check_against_document(method, url, status.as_u16(), &value) {
                panic!("{e}\n the answer: {value}");
            }
        }
    }
    let mut rebuilt = axum::http::Response::builder()
        .status(status)
        .version(version);
    *rebuilt.headers_mut().unwrap() = headers;
    reqwest::Response::from(rebuilt.body(body).unwrap())
}

/// Checks an answer's JSON body against ghgov's OpenAPI document: the schema of the
/// documented path that `url`'s path matches, its `method`, and `status`. A path or method
/// the document does not have is not checked (a test of an unknown route); a status it
/// does not list for the operation is an error, as is a body that does not match.
pub fn check_against_document(
    method: &str,
    url: &str,
    status: u16,
    body: &Value,
) -> Result<(), String> {
    let doc = ghgov::api::openapi_document();
    let path = match reqwest::Url::parse(url) {
        Ok(u) => u.path().to_string(),
        Err(_) => url.split('?').next().unwrap_or_default().to_string(),
    };
    let Some(template) = documented_path(doc, &path) else {
        return Ok(());
    };
    let method = method.to_ascii_lowercase();
    let Some(operation) = doc["paths"][&template].get(&method) else {
        return Ok(());
    };
    let what = format!("{} {template} ({path})", method.to_uppercase());
    let Some(response) = operation["responses"]
        .get(status.to_string())
        .or_else(|| operation["responses"].get("default"))
    else {
        return Err(format!(
            "{what} answered {status}, a status the OpenAPI document does not list for it"
        ));
    };
    let Some(schema) = response["content"]["application/json"].get("schema") else {
        return Err(format!(
            "{what} answered {status} with JSON, which the OpenAPI document does not describe"
        ));
    };
    let key = format!("{what} {status}");
    let validator = {
        static VALIDATORS: OnceLock<Mutex<HashMap<String, Arc<jsonschema::Validator>>>> =
            OnceLock::new();
        let mut cache = VALIDATORS.get_or_init(Default::default).lock().unwrap();
        match cache.get(&key) {
            Some(v) => v.clone(),
            None => {
                // The schema with the document's components beside it, where its
                // `#/components/schemas/…` references point.
                let root = serde_json::json!({
                    "allOf": [schema],
                    "components": doc["components"],
                });
                let v =
                    Arc::new(jsonschema::draft202012::new(&root).map_err(|e| {
                        format!("{what} {status}: the schema does not compile: {e}")
                    })?);
                cache.insert(key.clone(), v.clone());
                v
            }
        }
    };
    let problems: Vec<String> = validator
        .iter_errors(body)
        .map(|e| format!("at '{}': {e}", e.instance_path()))
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{what} answered {status} with a body unlike the OpenAPI document's schema:\n  {}",
            problems.join("\n  ")
        ))
    }
}

/// The document's path (`/api/v1/issues/{id}`) that `path` (`/api/v1/issues/7`) is, the
/// literal one when both would do.
fn documented_path(doc: &Value, path: &str) -> Option<String> {
    let segments: Vec<&str> = path.split('/').collect();
    let mut best: Option<(usize, &String)> = None;
    for template in doc["paths"].as_object()?.keys() {
        let parts: Vec<&str> = template.split('/').collect();
        if parts.len() != segments.len() {
            continue;
        }
        let mut literal = 0;
        let fits = parts.iter().zip(&segments).all(|(p, s)| {
            if p.starts_with('{') && p.ends_with('}') {
                !s.is_empty()
            } else {
                literal += 1;
                p == s
            }
        });
        if fits && !matches!(best, Some((n, _)) if n >= literal) {
            best = Some((literal, template));
        }
    }
    best.map(|(_, t)| t.clone())
}
