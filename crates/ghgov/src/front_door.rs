//! The HTTP front door: accepts connections with a deadline for request headers, bounds how
//! long a request body may take to arrive, and shuts down within a deadline: a client that
//! holds a connection open (a half-sent body, say) cannot keep the process alive. Also the
//! one shape of an error answer, shared by the API and the webhook receiver.

use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

/// Server-wide time and size bounds on what clients send.
#[derive(Debug, Clone, Copy)]
pub struct HttpLimits {
    /// A connection must deliver a request's headers within this (HTTP/1).
    pub header_read_timeout: Duration,
    /// A request's whole body must arrive within this.
    pub body_read_timeout: Duration,
    /// The largest API request body.
    pub max_api_body: usize,
    /// How long shutdown waits for requests in flight before closing their connections.
    pub shutdown_timeout: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            max_api_body: 10 * 1024 * 1024,
            shutdown_timeout: Duration::from_secs(10),
        }
    }
}

/// Reads an API request's body within `max_api_body` and `body_read_timeout` before the
/// handler sees it (handlers take the body whole anyway).
pub async fn bounded_body(
    axum::extract::State(limits): axum::extract::State<HttpLimits>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let limited = Limited::new(body, limits.max_api_body);
    let bytes = match tokio::time::timeout(limits.body_read_timeout, limited.collect()).await {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(e)) if e.is::<LengthLimitError>() => {
            return too(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "the request body is larger than {} bytes (--max-request-body; governance documents: --max-document-bytes)",
                    limits.max_api_body
                ),
            )
        }
        Ok(Err(e)) => {
            return too(
                StatusCode::BAD_REQUEST,
                format!("the request body could not be read: {e}"),
            )
        }
        Err(_) => {
            return too(
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "the request body did not arrive within {} s (--body-read-timeout)",
                    limits.body_read_timeout.as_secs_f64()
                ),
            )
        }
    };
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

fn too(status: StatusCode, message: String) -> Response {
    (status, axum::Json(serde_json::json!({"error": message}))).into_response()
}

/// Serves `app` on `listener` until `stop` resolves, then lets requests in flight finish for
/// up to `shutdown_timeout` and closes whatever is left.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: HttpLimits,
    stop: impl std::future::Future<Output = ()>,
) {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        // Out of file descriptors and the like: wait a little, go on.
                        tracing::warn!("accepting a connection failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let service = TowerToHyperService::new(app.clone());
                let conn = builder
                    .serve_connection_with_upgrades(TokioIo::new(stream), service)
                    .into_owned();
                let conn = graceful.watch(conn);
                connections.spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!("connection ended: {e}");
                    }
                });
                while connections.try_join_next().is_some() {}
            }
            _ = &mut stop => break,
        }
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(limits.shutdown_timeout) => {
            tracing::warn!(
                "shutdown: connections still open after {} s (--shutdown-timeout); closing them",
                limits.shutdown_timeout.as_secs_f64()
            );
        }
    }
    connections.abort_all();
}

/// Every error answer. A 400 names the parameter and the form it expects. A 500 says only
/// `internal error` and gives an `error_id`: the server log has the details under that id.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Error)]
pub struct ErrorBody {
    pub error: String,
    /// Only on 500 answers: the id of the logged details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_id: Option<String>,
}
