//! Errors in GitHub's shape: `{"message", "documentation_url", "status", "errors"?}`.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;

pub const DOCS: &str = "https://docs.github.com/rest";

/// One entry of a 422 answer's `errors[]`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FieldError {
    pub resource: String,
    pub field: String,
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The offending value, when GitHub names it (`{"value": "nobody", "field": "assignees"}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

impl FieldError {
    pub fn new(resource: &str, field: &str, code: &str) -> Self {
        FieldError {
            resource: resource.into(),
            field: field.into(),
            code: code.into(),
            message: None,
            value: None,
        }
    }
    pub fn with_value(mut self, value: impl Into<String>) -> Self {
        self.value = Some(value.into());
        self
    }
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub errors: Vec<FieldError>,
    pub retry_after: Option<u64>,
    /// Where the resource now lives (a redirect's `Location`, also its body's `url`).
    pub location: Option<String>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            errors: Vec::new(),
            retry_after: None,
            location: None,
        }
    }
    /// GitHub's answer for something that moved (a transferred issue): 301 with `Location`.
    /// Requests other than GET and HEAD get 307 instead (see `routes::follow_moves`).
    pub fn moved(url: String) -> Self {
        ApiError {
            location: Some(url),
            ..Self::new(StatusCode::MOVED_PERMANENTLY, "Moved Permanently")
        }
    }
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not Found")
    }
    pub fn gone(message: &str) -> Self {
        Self::new(StatusCode::GONE, message)
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
    pub fn validation(errors: Vec<FieldError>) -> Self {
        ApiError {
            errors,
            ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, "Validation Failed")
        }
    }
    pub fn invalid(resource: &str, field: &str, code: &str) -> Self {
        Self::validation(vec![FieldError::new(resource, field, code)])
    }
    pub fn unprocessable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, message)
    }
    pub fn bad_credentials() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Bad credentials")
    }
    pub fn requires_authentication() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Requires authentication")
    }
    pub fn body(&self) -> serde_json::Value {
        let mut body = json!({
            "message": self.message,
            "documentation_url": DOCS,
            "status": self.status.as_u16().to_string(),
        });
        if !self.errors.is_empty() {
            body["errors"] = serde_json::to_value(&self.errors).unwrap_or_default();
        }
        if let Some(url) = &self.location {
            body["url"] = json!(url);
        }
        body
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body())).into_response();
        if let Some(url) = self
            .location
            .as_deref()
            .and_then(|u| HeaderValue::from_str(u).ok())
        {
            response
                .headers_mut()
                .insert(axum::http::header::LOCATION, url);
        }
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert("retry-after", HeaderValue::from(secs));
        }
        response
    }
}

impl From<serde_json::Error> for ApiError {
    fn from(e: serde_json::Error) -> Self {
        ApiError::bad_request(format!("Problems parsing JSON: {e}"))
    }
}
