//! GitHub's GraphQL API beside REST, through the same transport: the same token, rate
//! budget, pacing, retries and circuit. Documents are constants ([`GraphQlDocument`]), never
//! assembled at run time; their variables and answers are typed by the caller.

use super::client::{GitHub, GitHubError};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A GraphQL query or mutation ghgov sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GraphQlDocument {
    /// The operation's name, for messages and metrics.
    pub name: &'static str,
    pub text: &'static str,
    /// Mutations are writes: paced as writes and refused by read-only clients.
    pub mutation: bool,
}

/// Why GitHub's GraphQL API refused a document (its `errors[].type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphQlFailure {
    NotFound,
    Forbidden,
    RateLimited,
    /// Anything else: a malformed document, a validation error, an internal error.
    Other,
}

impl GraphQlFailure {
    fn from_type(kind: Option<&str>) -> Self {
        match kind {
            Some("NOT_FOUND") => GraphQlFailure::NotFound,
            Some("FORBIDDEN") | Some("INSUFFICIENT_SCOPES") => GraphQlFailure::Forbidden,
            Some("RATE_LIMITED") | Some("MAX_NODE_LIMIT_EXCEEDED") => GraphQlFailure::RateLimited,
            _ => GraphQlFailure::Other,
        }
    }
}

#[derive(Serialize)]
struct Request<'a, V> {
    query: &'a str,
    variables: &'a V,
}

#[derive(Deserialize)]
struct Response<T> {
    data: Option<T>,
    #[serde(default)]
    errors: Vec<ErrorEntry>,
}

#[derive(Deserialize)]
struct ErrorEntry {
    #[serde(rename = "type")]
    kind: Option<String>,
    message: Option<String>,
}

/// The GraphQL endpoint beside a REST base URL: `https://api.github.com/graphql`, or
/// `https://HOST/api/graphql` for GitHub Enterprise's `https://HOST/api/v3`.
fn endpoint(rest_base: &str) -> String {
    match rest_base.strip_suffix("/api/v3") {
        Some(host) => format!("{host}/api/graphql"),
        None => format!("{rest_base}/graphql"),
    }
}

impl GitHub {
    /// Sends `document` with `variables` and reads its `data` as `T`. An answer with
    /// `errors` is a [`GitHubError::GraphQl`] naming the first one.
    pub async fn graphql<V: Serialize, T: DeserializeOwned>(
        &self,
        document: &GraphQlDocument,
        variables: &V,
    ) -> Result<T, GitHubError> {
        let url = endpoint(&self.config.base_url);
        let body = serde_json::to_value(Request {
            query: document.text,
            variables,
        })
        .map_err(|e| GitHubError::Decode {
            url: url.clone(),
            message: format!("the variables of {} cannot be sent: {e}", document.name),
        })?;
        let answer: Value = self.post_graphql(&url, &body, document.mutation).await?;
        let response: Response<T> =
            serde_json::from_value(answer).map_err(|e| GitHubError::Decode {
                url: url.clone(),
                message: format!("not the answer to {} ghgov expects: {e}", document.name),
            })?;
        if let Some(first) = response.errors.first() {
            return Err(GitHubError::GraphQl {
                document: document.name,
                failure: GraphQlFailure::from_type(first.kind.as_deref()),
                message: first.message.clone().unwrap_or_default(),
            });
        }
        response.data.ok_or_else(|| GitHubError::Decode {
            url,
            message: format!(
                "the answer to {} has neither data nor errors",
                document.name
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::github::GitHubConfig;
    use axum::routing::post;

    const VIEWER: GraphQlDocument = GraphQlDocument {
        name: "Viewer",
        text: "query Viewer { viewer { login } }",
        mutation: false,
    };

    #[test]
    fn the_endpoint_sits_beside_the_rest_api() {
        assert_eq!(
            endpoint("https://api.github.com"),
            "https://api.github.com/graphql"
        );
        assert_eq!(
            endpoint("https://ghe.example/api/v3"),
            "https://ghe.example/api/graphql"
        );
    }

    /// A loopback server answering every POST /graphql with `answer`.
    async fn answering(answer: Value) -> String {
        let app = axum::Router::new().route(
            "/graphql",
            post(move |axum::Json(request): axum::Json<Value>| {
                let answer = answer.clone();
                async move {
                    // The document goes out as text, with its variables.
                    assert_eq!(request["query"], VIEWER.text);
                    assert_eq!(request["variables"]["first"], 3);
                    axum::Json(answer)
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}")
    }

    #[derive(Deserialize, Debug, PartialEq)]
    struct Viewer {
        viewer: Login,
    }
    #[derive(Deserialize, Debug, PartialEq)]
    struct Login {
        login: String,
    }

    #[tokio::test]
    async fn answers_are_typed_and_errors_are_failures() {
        let vars = serde_json::json!({"first": 3});
        let url = answering(serde_json::json!({"data": {"viewer": {"login": "octo"}}})).await;
        let gh = GitHub::new(GitHubConfig::for_tests(&url, "t"), None).unwrap();
        let v: Viewer = gh.graphql(&VIEWER, &vars).await.unwrap();
        assert_eq!(v.viewer.login, "octo");
        assert_eq!(
            gh.stats.requests.load(std::sync::atomic::Ordering::Relaxed),
            1
        );

        let url = answering(serde_json::json!({"data": null, "errors": [
            {"type": "NOT_FOUND", "message": "Could not resolve to a ProjectV2 with the number 9."}
        ]}))
        .await;
        let gh = GitHub::new(GitHubConfig::for_tests(&url, "t"), None).unwrap();
        let err = gh.graphql::<_, Viewer>(&VIEWER, &vars).await.unwrap_err();
        assert!(
            matches!(
                &err,
                GitHubError::GraphQl { failure: GraphQlFailure::NotFound, message, .. }
                    if message.contains("ProjectV2")
            ),
            "{err}"
        );

        // A read-only client may query but not mutate.
        let mutation = GraphQlDocument {
            mutation: true,
            ..VIEWER
        };
        let err = gh
            .read_only()
            .graphql::<_, Viewer>(&mutation, &vars)
            .await
            .unwrap_err();
        assert!(matches!(err, GitHubError::ReadOnly(_)), "{err}");
    }
}
