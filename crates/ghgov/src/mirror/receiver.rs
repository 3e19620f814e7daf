//! `POST /webhooks/github`: verify the signature (constant time, several secrets for
//! rotation), store the delivery durably, answer 202, and let the processor project it.
//! Stores are grouped: deliveries arriving together share one transaction (one fsync).

use crate::store::{NewDelivery, Store};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, Notify};

/// GitHub caps payloads at 25 MB.
pub const MAX_PAYLOAD: usize = 25 * 1024 * 1024;
const BATCH: usize = 256;

type Job = (NewDelivery, oneshot::Sender<Result<bool, String>>);

#[derive(Clone)]
pub struct Receiver {
    secrets: Arc<Vec<String>>,
    queue: mpsc::Sender<Job>,
    /// Deliveries waiting to be stored; the processor steps aside while there are any,
    /// because acknowledging GitHub in time matters more than projecting at once.
    pub waiting: Arc<AtomicUsize>,
}

/// True when `header` (`sha256=HEX`) is the HMAC of `body` under one of `secrets`.
pub fn signature_ok(secrets: &[String], body: &[u8], header: Option<&str>) -> bool {
    let Some(hex_sig) = header.and_then(|h| h.strip_prefix("sha256=")) else {
        return false;
    };
    let Ok(sig) = hex::decode(hex_sig) else {
        return false;
    };
    secrets.iter().any(|secret| {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
        mac.update(body);
        // verify_slice compares in constant time.
        mac.verify_slice(&sig).is_ok()
    })
}

impl Receiver {
    /// Starts the batching writer; `wake` is notified after each stored batch.
    pub fn start(store: Store, secrets: Vec<String>, wake: Arc<Notify>) -> Receiver {
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
    (status, Json(json!({"error": message}))).into_response()
}

pub async fn handle(State(receiver): State<Receiver>, headers: HeaderMap, body: Bytes) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if !signature_ok(&receiver.secrets, &body, header("x-hub-signature-256")) {
        metrics::counter!("ghgov_webhook_rejected_total", "reason" => "signature").increment(1);
        return problem(
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
            (
                StatusCode::ACCEPTED,
                Json(json!({"stored": true, "duplicate": !fresh})),
            )
                .into_response()
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
        let secrets = vec!["old".to_string(), "new".to_string()];
        assert!(signature_ok(&secrets, body, Some(&sig)));
        assert!(!signature_ok(&["old".to_string()], body, Some(&sig)));
        assert!(!signature_ok(&secrets, body, None));
        assert!(!signature_ok(&secrets, body, Some("sha256=nothex")));
        assert!(!signature_ok(&secrets, b"tampered", Some(&sig)));
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
