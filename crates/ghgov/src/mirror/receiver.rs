//! `POST /webhooks/github`: check the signature header's form before reading anything,
//! read the body within a size limit, a deadline and a bound on concurrent unauthenticated
//! readers, verify the signature (constant time, several secrets for rotation), store the
//! delivery durably, answer 202, and let the processor project it. Stores are grouped:
//! deliveries arriving together share one transaction (one fsync).

use crate::front_door::ErrorBody;
use crate::secret::Secret;
use crate::store::{NewDelivery, Store};
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use sha2::Sha256;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, Notify, Semaphore};

/// GitHub caps payloads at 25 MB.
pub const MAX_PAYLOAD: usize = 25 * 1024 * 1024;
const BATCH: usize = 256;

/// What an unauthenticated sender may cost before its signature is checked.
#[derive(Debug, Clone, Copy)]
pub struct WebhookLimits {
    /// The largest body read (GitHub's own cap by default).
    pub max_body: usize,
    /// Bodies read at once; together with `max_body` this bounds the memory strangers can
    /// hold.
    pub max_readers: usize,
    /// How long a request may wait for a reader's turn before it is answered 503.
    pub reader_wait: Duration,
    /// The whole body must arrive within this.
    pub body_timeout: Duration,
}

impl Default for WebhookLimits {
    fn default() -> Self {
        WebhookLimits {
            max_body: MAX_PAYLOAD,
            max_readers: 64,
            reader_wait: Duration::from_secs(5),
            body_timeout: Duration::from_secs(30),
        }
    }
}

type Job = (NewDelivery, oneshot::Sender<Result<bool, String>>);

#[derive(Clone)]
pub struct Receiver {
    secrets: Arc<Vec<Secret>>,
    queue: mpsc::Sender<Job>,
    limits: WebhookLimits,
    readers: Arc<Semaphore>,
    /// Deliveries waiting to be stored; the processor steps aside while there are any,
    /// because acknowledging GitHub in time matters more than projecting at once.
    pub waiting: Arc<AtomicUsize>,
}

/// The bytes of a well-formed `X-Hub-Signature-256` (`sha256=` and 64 hex digits).
fn signature_bytes(header: Option<&str>) -> Option<Vec<u8>> {
    let hex_sig = header?.strip_prefix("sha256=")?;
    if hex_sig.len() != 64 {
        return None;
    }
    hex::decode(hex_sig).ok()
}

/// True when `header` (`sha256=HEX`) is the HMAC of `body` under one of `secrets`.
pub fn signature_ok(secrets: &[Secret], body: &[u8], header: Option<&str>) -> bool {
    let Some(sig) = signature_bytes(header) else {
        return false;
    };
    // An empty key would accept anything its holder signed; configuration refuses one, and
    // this makes sure no path around it verifies with one.
    secrets
        .iter()
        .filter(|s| !s.expose().is_empty())
        .any(|secret| {
            let mut mac =
                Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes()).expect("any key length");
            mac.update(body);
            // verify_slice compares in constant time.
            mac.verify_slice(&sig).is_ok()
        })
}

impl Receiver {
    /// Starts the batching writer; `wake` is notified after each stored batch.
    pub fn start(
        store: Store,
        secrets: Vec<Secret>,
        limits: WebhookLimits,
        wake: Arc<Notify>,
    ) -> Receiver {
        let (tx, mut rx) = mpsc::channel::<Job>(8192);
        tokio::spawn(async move {
            let mut batch: Vec<Job> = Vec::with_capacity(BATCH);
            while let Some(first) = rx.recv().await {
                batch.push(first);
                while batch.len() < BATCH {
                    match rx.try_recv() {
                        Ok(job) => batch.push(job),
                        Err(_) => break,
                    }
                }
                let deliveries: Vec<NewDelivery> = batch.iter().map(|(d, _)| d.clone()).collect();
                let result = store.insert_deliveries(&deliveries).await;
                for (k, (_, reply)) in batch.drain(..).enumerate() {
                    let _ = reply.send(match &result {
                        Ok(fresh) => Ok(fresh[k]),
                        Err(e) => Err(format!("{e:#}")),
                    });
                }
                wake.notify_one();
            }
        });
        Receiver {
            secrets: Arc::new(secrets),
            queue: tx,
            readers: Arc::new(Semaphore::new(limits.max_readers.max(1))),
            limits,
            waiting: Arc::new(AtomicUsize::new(0)),
        }
    }

    pub async fn store(&self, delivery: NewDelivery) -> Result<bool, String> {
        let (reply, answer) = oneshot::channel();
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let result = async {
            self.queue
                .send((delivery, reply))
                .await
                .map_err(|_| "the delivery writer stopped".to_string())?;
            answer
                .await
                .map_err(|_| "the delivery writer stopped".to_string())?
        }
        .await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        result
    }
}

fn problem(status: StatusCode, message: &str) -> Response {
    let body = ErrorBody {
        error: message.into(),
        error_id: None,
    };
    (status, Json(body)).into_response()
}

/// A delivery stored.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Stored {
    /// Its X-GitHub-Delivery was stored before (GitHub redelivered it): kept once.
    pub duplicate: bool,
    pub stored: bool,
}

/// Why a body could not be read.
enum ReadFailure {
    TooLarge,
    TimedOut,
    Broken(String),
}

/// Reads the whole body within the size limit and the deadline.
async fn read_body(body: Body, limits: &WebhookLimits) -> Result<Bytes, ReadFailure> {
    let limited = Limited::new(body, limits.max_body);
    match tokio::time::timeout(limits.body_timeout, limited.collect()).await {
        Err(_) => Err(ReadFailure::TimedOut),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) if e.is::<LengthLimitError>() => Err(ReadFailure::TooLarge),
        Ok(Err(e)) => Err(ReadFailure::Broken(e.to_string())),
    }
}

fn rejected(reason: &'static str, status: StatusCode, message: &str) -> Response {
    metrics::counter!("ghgov_webhook_rejected_total", "reason" => reason).increment(1);
    problem(status, message)
}

/// GitHub webhook receiver
///
/// Signed with X-Hub-Signature-256, named by X-GitHub-Event and X-GitHub-Delivery. A
/// request without a well-formed X-Hub-Signature-256 is refused before its body is read;
/// deliveries about repositories outside the mirrored set are stored and marked ignored.
#[utoipa::path(
    post,
    path = "/webhooks/github",
    operation_id = "receive_webhook",
    tag = "webhooks",
    security(()),
    params(
        ("X-Hub-Signature-256" = String, Header, description = "sha256= and the HMAC-SHA256 of the body with the webhook secret"),
        ("X-GitHub-Event" = String, Header, description = "The event's name"),
        ("X-GitHub-Delivery" = String, Header, description = "The delivery's id"),
    ),
    request_body(
        description = "GitHub's payload, as JSON or form-encoded (`payload=`)",
        content(
            (std::collections::HashMap<String, serde_json::Value> = "application/json"),
            (String = "application/x-www-form-urlencoded"),
        ),
    ),
    responses(
        (status = 202, description = "Stored", body = Stored),
        (status = 400, description = "Headers missing, or the body is not a JSON object", body = ErrorBody),
        (status = 401, description = "Missing, malformed or invalid signature", body = ErrorBody),
        (status = 408, description = "The body did not arrive within --body-read-timeout", body = ErrorBody),
        (status = 413, description = "The body is larger than --webhook-max-body (25 MB by default)", body = ErrorBody),
        (status = 503, description = "Too many bodies being read at once (--webhook-max-readers), or the delivery could not be stored", body = ErrorBody),
    ),
)]
pub async fn handle(State(receiver): State<Receiver>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let headers: HeaderMap = parts.headers;
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    // Nothing is read from a sender that does not even claim a signature.
    if signature_bytes(header("x-hub-signature-256")).is_none() {
        return rejected(
            "signature",
            StatusCode::UNAUTHORIZED,
            "missing or malformed X-Hub-Signature-256 (expected sha256= and 64 hex digits): check the webhook secret",
        );
    }
    let limits = receiver.limits;
    let declared = header("content-length").and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.max_body as u64) {
        return rejected(
            "size",
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!(
                "the body is larger than {} bytes (--webhook-max-body)",
                limits.max_body
            ),
        );
    }
    let Ok(Ok(turn)) =
        tokio::time::timeout(limits.reader_wait, receiver.readers.clone().acquire_owned()).await
    else {
        return rejected(
            "busy",
            StatusCode::SERVICE_UNAVAILABLE,
            &format!(
                "{} webhook bodies are being read already (--webhook-max-readers); GitHub may redeliver this one",
                limits.max_readers
            ),
        );
    };
    let body = match read_body(body, &limits).await {
        Ok(b) => b,
        Err(ReadFailure::TooLarge) => {
            return rejected(
                "size",
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!(
                    "the body is larger than {} bytes (--webhook-max-body)",
                    limits.max_body
                ),
            )
        }
        Err(ReadFailure::TimedOut) => {
            return rejected(
                "timeout",
                StatusCode::REQUEST_TIMEOUT,
                &format!(
                    "the body did not arrive within {} s (--body-read-timeout)",
                    limits.body_timeout.as_secs_f64()
                ),
            )
        }
        Err(ReadFailure::Broken(e)) => {
            return rejected(
                "body",
                StatusCode::BAD_REQUEST,
                &format!("the body could not be read: {e}"),
            )
        }
    };
    drop(turn);
    if !signature_ok(&receiver.secrets, &body, header("x-hub-signature-256")) {
        return rejected(
            "signature",
            StatusCode::UNAUTHORIZED,
            "missing or invalid X-Hub-Signature-256: check the webhook secret",
        );
    }
    let (Some(event), Some(delivery_id)) = (header("x-github-event"), header("x-github-delivery"))
    else {
        return problem(
            StatusCode::BAD_REQUEST,
            "X-GitHub-Event and X-GitHub-Delivery headers are required",
        );
    };
    // Only the action and repository are read here; the payload is stored as it came.
    let (text, head) = match std::str::from_utf8(&body).ok().and_then(|t| {
        serde_json::from_str::<Head>(t)
            .ok()
            .map(|h| (t.to_string(), h))
    }) {
        Some(parsed) => parsed,
        None if body.starts_with(b"payload=") => match serde_urlencoded_payload(&body) {
            // The form content type wraps the JSON in `payload=`.
            Some(json) => match serde_json::from_str::<Head>(&json) {
                Ok(h) => (json, h),
                Err(e) => {
                    return problem(
                        StatusCode::BAD_REQUEST,
                        &format!("the form payload is not a JSON object: {e}"),
                    )
                }
            },
            None => return problem(StatusCode::BAD_REQUEST, "the form body has no JSON payload"),
        },
        None => return problem(StatusCode::BAD_REQUEST, "the body is not a JSON object"),
    };
    let delivery = NewDelivery {
        delivery_id: delivery_id.to_string(),
        event: event.to_string(),
        action: head.action,
        repository: head.repository.and_then(|r| r.full_name),
        payload: text,
    };
    match receiver.store(delivery).await {
        Ok(fresh) => {
            metrics::counter!("ghgov_webhook_received_total", "duplicate" => if fresh { "false" } else { "true" }).increment(1);
            let stored = Stored {
                duplicate: !fresh,
                stored: true,
            };
            (StatusCode::ACCEPTED, Json(stored)).into_response()
        }
        Err(e) => {
            tracing::error!("could not store delivery {delivery_id}: {e}");
            problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "the delivery could not be stored; GitHub may redeliver it",
            )
        }
    }
}

/// The fields of a payload the receiver files a delivery under.
#[derive(serde::Deserialize)]
struct Head {
    action: Option<String>,
    repository: Option<RepoHead>,
}

#[derive(serde::Deserialize)]
struct RepoHead {
    full_name: Option<String>,
}

/// The JSON text inside a form-encoded body (`payload=…`).
fn serde_urlencoded_payload(body: &[u8]) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
    pairs
        .into_iter()
        .find(|(k, _)| k == "payload")
        .map(|(_, json)| json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_of_several_secrets_verifies() {
        let body = b"{\"zen\":\"x\"}";
        let sig = fakehub::webhooks::sign("new", body);
        let secret = |s: &str| Secret::new(s, "test").unwrap();
        let secrets = vec![secret("old"), secret("new")];
        assert!(signature_ok(&secrets, body, Some(&sig)));
        assert!(!signature_ok(&[secret("old")], body, Some(&sig)));
        assert!(!signature_ok(&secrets, body, None));
        assert!(!signature_ok(&secrets, body, Some("sha256=nothex")));
        assert!(!signature_ok(&secrets, b"tampered", Some(&sig)));
        // Truncated or padded digests are malformed, not compared.
        assert!(!signature_ok(&secrets, body, Some(&sig[..sig.len() - 2])));
        assert!(signature_bytes(Some(&format!("{sig}00"))).is_none());
        // A body signed with an empty key never verifies, even if one slipped through.
        let empty = fakehub::webhooks::sign("", body);
        assert!(!signature_ok(&[Secret::from("")], body, Some(&empty)));
    }

    #[test]
    fn form_bodies_decode() {
        let form = serde_urlencoded::to_string([("payload", "{\"a\":\"b c%\"}")]).unwrap();
        let json = serde_urlencoded_payload(form.as_bytes()).unwrap();
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&json).unwrap()["a"],
            "b c%"
        );
    }
}
