//! `Query`, `Path` and `Json` as axum's, but a request they cannot read is answered like
//! every other API error: JSON `{"error": ...}` naming the parameter, not axum's plain text.

use super::{bad_request, ApiError};
use axum::extract::path::ErrorKind;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The query string as `T`; the error names the parameter (see `params` for the types
/// that say which form they expect).
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(Query)
            .map_err(|e| match e.path().to_string().as_str() {
                // Not about one parameter: a missing one, or a repeated one.
                "." => bad_request(format!("invalid query string: {}", e.inner())),
                name => super::params::invalid(name, e.inner()),
            })
    }
}

/// The path parameters as `T`.
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Path(v)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => {
                // A single value's error does not say which parameter it was.
                let only = RawPathParams::from_request_parts(parts, state)
                    .await
                    .ok()
                    .and_then(|p| {
                        let mut it = p.iter();
                        it.next()
                            .filter(|_| it.next().is_none())
                            .map(|(k, _)| k.to_string())
                    });
                let (name, problem) = match e.into_kind() {
                    ErrorKind::ParseErrorAtKey {
                        key,
                        value,
                        expected_type,
                    } => (Some(key), describe(expected_type, &value)),
                    ErrorKind::DeserializeError {
                        key,
                        value,
                        message,
                    } => (Some(key), format!("{message}, got '{value}'")),
                    ErrorKind::ParseError {
                        value,
                        expected_type,
                    } => (only, describe(expected_type, &value)),
                    other => (only, other.to_string()),
                };
                let name = name.unwrap_or_else(|| "in the URL".into());
                Err(bad_request(format!(
                    "invalid path parameter `{name}`: {problem}"
                )))
            }
            Err(other) => Err(ApiError(other.status(), other.body_text())),
        }
    }
}

fn describe(expected_type: &str, value: &str) -> String {
    let form = match expected_type {
        "i64" | "i32" | "u64" | "u32" => "a whole number",
        other => other,
    };
    format!("expected {form}, got '{value}'")
}

/// A JSON body as `T`, and a JSON answer.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Json(v)),
            // axum's own words name the field (`strict: invalid type…`); only its 422 for a
            // well-formed body of the wrong shape becomes a 400 like every other bad input.
            Err(e @ JsonRejection::JsonDataError(_)) => Err(bad_request(e.body_text())),
            Err(e) => Err(ApiError(e.status(), e.body_text())),
        }
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        // Written from a `serde_json::Value`, whose object keys are sorted: every answer,
        // and every row of the store inside one, has its fields in alphabetical order, as
        // the API has always written them.
        match serde_json::to_value(self.0) {
            Ok(v) => axum::Json(v).into_response(),
            Err(e) => ApiError::from(anyhow::Error::from(e)).into_response(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::params::Page;
    use axum::http::{Request as HttpRequest, StatusCode};

    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct Q {
        page: Option<Page>,
        repo: String,
    }

    async fn query(uri: &str) -> Result<Q, (StatusCode, String)> {
        let (mut parts, _) = HttpRequest::get(uri).body(()).unwrap().into_parts();
        Query::<Q>::from_request_parts(&mut parts, &())
            .await
            .map(|q| q.0)
            .map_err(|e| (e.0, e.1))
    }

    #[tokio::test]
    async fn a_bad_query_names_its_parameter() {
        assert!(query("/x?repo=a/b&page=2").await.is_ok());
        assert_eq!(
            query("/x?repo=a/b&page=abc").await.err().unwrap(),
            (
                StatusCode::BAD_REQUEST,
                "invalid query parameter `page`: expected a whole number from 1 to 1000000, got 'abc'".into()
            )
        );
        let (status, message) = query("/x?page=2").await.err().unwrap();
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(message.contains("missing field `repo`"), "{message}");
    }
}
