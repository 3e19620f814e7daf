//! Governance documents in request bodies, read off the async runtime within the document
//! limits. A document over a limit is answered 413 (its size as sent) or 422 (what it
//! would expand to, its depth, the deadline), naming the limit and how to raise it.

use super::{bad_request, ApiError};
use crate::governance::blocking_read::read_blocking;
use crate::governance::document_limits::{DocumentLimits, Limit, LimitExceeded};
use crate::governance::load::parse_text;
use crate::governance::prescan;
use axum::body::{Body, Bytes};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;

/// The answer of an endpoint that reads documents.
pub enum DocumentError {
    Api(ApiError),
    Limit(LimitExceeded),
}

pub type DocumentResult<T> = Result<T, DocumentError>;

impl From<ApiError> for DocumentError {
    fn from(e: ApiError) -> Self {
        DocumentError::Api(e)
    }
}

impl From<anyhow::Error> for DocumentError {
    fn from(e: anyhow::Error) -> Self {
        let e = match e.downcast::<LimitExceeded>() {
            Ok(exceeded) => return DocumentError::Limit(exceeded),
            Err(e) => e,
        };
        match e.downcast::<BadDocument>() {
            Ok(BadDocument(message)) => DocumentError::Api(bad_request(message)),
            Err(e) => DocumentError::Api(ApiError::from(e)),
        }
    }
}

impl From<crate::store::DbError> for DocumentError {
    fn from(e: crate::store::DbError) -> Self {
        DocumentError::Api(e.into())
    }
}

impl IntoResponse for DocumentError {
    fn into_response(self) -> Response {
        let e = match self {
            DocumentError::Api(e) => return e.into_response(),
            DocumentError::Limit(e) => e,
        };
        let status = if e.is_size() {
            StatusCode::PAYLOAD_TOO_LARGE
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        let limit = LimitBody {
            env: e.limit.env().into(),
            flag: e.limit.flag().into(),
            name: e.limit.name().into(),
            value: e.max,
        };
        (
            status,
            Json(DocumentLimitError {
                error: e.to_string(),
                limit,
            }),
        )
            .into_response()
    }
}

/// A governance document refused for what it would cost to read: the limit it went past,
/// its value (bytes, nodes, levels or milliseconds) and the `ghgov serve` flag and
/// environment variable that raise it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DocumentLimitError {
    pub error: String,
    pub limit: LimitBody,
}

/// A document limit.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = DocumentLimit)]
pub struct LimitBody {
    /// The environment variable that sets it.
    pub env: String,
    /// The `ghgov serve` flag that sets it.
    pub flag: String,
    #[schema(
        pattern = "^(max_document_bytes|max_document_nodes|max_document_depth|document_parse_timeout_ms)$"
    )]
    pub name: String,
    /// Bytes, nodes, levels or milliseconds.
    pub value: u64,
}

/// A document the client got wrong (400), as opposed to one over a limit.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct BadDocument(String);

fn bad(message: impl Into<String>) -> anyhow::Error {
    BadDocument(message.into()).into()
}

/// The request body, refused past `max` bytes without reading the rest.
async fn read_body(
    body: Body,
    max: usize,
    what: &str,
    limits: &DocumentLimits,
) -> DocumentResult<Bytes> {
    axum::body::to_bytes(body, max).await.map_err(|e| {
        let too_long = e
            .into_inner()
            .downcast_ref::<http_body_util::LengthLimitError>()
            .is_some();
        if too_long {
            let mut exceeded = LimitExceeded::new(Limit::Bytes, limits).of(what);
            exceeded.max = max as u64;
            DocumentError::Limit(exceeded)
        } else {
            DocumentError::Api(bad_request("the request body could not be read"))
        }
    })
}

/// A body `{"spec": …, "config": …, …}` whose documents are objects or YAML, JSON or
/// Markdown text. `B` takes the other fields. Documents absent or null are None.
pub async fn documents_body<B>(
    body: Body,
    limits: &DocumentLimits,
) -> DocumentResult<(B, Option<Value>, Option<Value>)>
where
    B: DeserializeOwned + Send + 'static,
{
    let what = "the request body (at most two documents)";
    let body = read_body(body, limits.max_body_bytes(), what, limits).await?;
    let limits = *limits;
    let read = move || {
        let text = std::str::from_utf8(&body).map_err(|_| bad("the body is not UTF-8"))?;
        // The body's own parser gives up at 128 levels with a message of its own; nesting
        // past the document limit is answered as such first.
        let envelope_limits = DocumentLimits {
            max_bytes: usize::MAX,
            max_nodes: usize::MAX,
            max_depth: limits.max_depth + 1,
            ..limits
        };
        prescan::json(text, &envelope_limits).map_err(|mut e| {
            e.max = limits.max_depth as u64;
            e.of(what)
        })?;
        #[derive(Deserialize)]
        struct Documents<'a> {
            #[serde(borrow)]
            spec: Option<&'a RawValue>,
            #[serde(borrow)]
            config: Option<&'a RawValue>,
        }
        let not_json =
            |e: serde_json::Error| bad(format!("the body is not the JSON expected: {e}"));
        let documents: Documents = serde_json::from_str(text).map_err(not_json)?;
        // The other fields: a wrong one is named (`strict: invalid type …`).
        let rest: B =
            serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_str(text))
                .map_err(|e| match e.path().to_string().as_str() {
                    "." => bad(format!("the body is not the JSON expected: {}", e.inner())),
                    field => bad(format!(
                        "the body is not the JSON expected: `{field}`: {}",
                        e.inner()
                    )),
                })?;
        let spec = document(documents.spec, "spec", &limits)?;
        let config = document(documents.config, "config", &limits)?;
        Ok((rest, spec, config))
    };
    Ok(read_blocking(&limits, what, read).await?)
}

/// A body that is one document, JSON or YAML (`what` names it).
pub async fn document_body(
    body: Body,
    what: &'static str,
    limits: &DocumentLimits,
) -> DocumentResult<Value> {
    let body = read_body(body, limits.max_bytes, what, limits).await?;
    let limits = *limits;
    let read = move || {
        let text = std::str::from_utf8(&body).map_err(|_| bad("the body is not UTF-8"))?;
        parse_text(text, what, &limits).map_err(as_bad)
    };
    Ok(read_blocking(&limits, what, read).await?)
}

/// One document of a body: an object, or text in any of the formats.
fn document(
    raw: Option<&RawValue>,
    what: &str,
    limits: &DocumentLimits,
) -> anyhow::Result<Option<Value>> {
    let Some(raw) = raw else { return Ok(None) };
    let json = raw.get();
    match json.as_bytes().first() {
        Some(b'"') => {
            let text: String = serde_json::from_str(json)?;
            parse_text(&text, what, limits).map(Some).map_err(as_bad)
        }
        Some(b'{') => {
            prescan::json(json, limits).map_err(|e| e.of(what))?;
            Ok(Some(serde_json::from_str(json)?))
        }
        _ => Err(bad(format!(
            "`{what}` must be an object, or a string holding YAML, JSON or Markdown"
        ))),
    }
}

/// A document that could not be read is the client's to fix, unless a limit stopped it.
fn as_bad(e: anyhow::Error) -> anyhow::Error {
    if e.is::<LimitExceeded>() {
        e
    } else {
        bad(format!("{e:#}"))
    }
}

/// Runs CPU work on documents (validation) off the async runtime; the document limits
/// already bound what it costs.
pub async fn off_runtime<T, F>(work: F) -> DocumentResult<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| DocumentError::from(anyhow::anyhow!("checking the documents failed: {e}")))
}
