//! Sends webhook deliveries: asynchronously, in order per hook, with GitHub's 10 s timeout,
//! each logged; failures are not retried (as on GitHub) but can be redelivered over REST.

use super::signature::sign;
use crate::faults::{DeliveryFault, Faults};
use crate::model::{HookOwner, HookResponse, Id, Outgoing, Time, World};
use parking_lot::Mutex;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Notify};

/// GitHub gives a receiver 10 seconds to answer.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a delivery picked for reordering waits for a successor to overtake it.
const REORDER_WINDOW: Duration = Duration::from_millis(200);

#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: u64,
    pub guid: String,
    pub hook_id: Id,
    /// The repository the event happened in (none for organization events and org pings).
    pub repository_id: Option<Id>,
    pub event: String,
    pub action: Option<String>,
    pub redelivery: bool,
    pub delivered_at: Time,
    pub duration: f64,
    /// `pending` until sent; then `OK`, or what went wrong.
    pub status: String,
    pub status_code: u16,
    pub request_headers: BTreeMap<String, String>,
    pub payload: Arc<String>,
    pub response_headers: BTreeMap<String, String>,
    pub response_body: String,
}

#[derive(Debug, Clone)]
struct Job {
    delivery_id: u64,
    hook_id: Id,
    url: String,
    content_type: String,
    secret: Option<String>,
    guid: String,
    event: String,
    repository_id: Option<Id>,
    /// `X-GitHub-Hook-Installation-Target-*`: the hook's owner.
    target_id: Id,
    target_type: &'static str,
    payload: Arc<String>,
    fault: DeliveryFault,
}

#[derive(Default)]
struct Inner {
    client: std::sync::OnceLock<reqwest::Client>,
    channels: Mutex<HashMap<Id, mpsc::UnboundedSender<Job>>>,
    log: Mutex<Vec<Delivery>>,
    last_response: Mutex<HashMap<Id, HookResponse>>,
    next_id: AtomicU64,
    pending: AtomicUsize,
    idle: Notify,
    /// Bumped by `reset`, so workers of an earlier generation stop logging.
    generation: AtomicU64,
}

#[derive(Clone, Default)]
pub struct Dispatcher {
    inner: Arc<Inner>,
}

impl Dispatcher {
    /// Queues `event` for every hook it reaches (see `World::hooks_reached`) that subscribes.
    pub fn enqueue(&self, faults: &Faults, world: &World, event: Outgoing, now: Time) {
        let repository_id = match &event.target {
            HookOwner::Repo(r) => Some(world.repos[*r].id),
            HookOwner::Org(_) | HookOwner::App(_) => None,
        };
        let body = Arc::new(event.payload.to_string());
        for (owner, hook) in world
            .hooks_reached(&event.target)
            .into_iter()
            .filter(|(_, h)| {
                h.wants(event.event) && event.only_hook.is_none_or(|only| only == h.id)
            })
        {
            let (target_id, target_type) = target_of(world, &owner);
            let job = Job {
                delivery_id: 0,
                hook_id: hook.id,
                url: hook.url.clone(),
                content_type: hook.content_type.clone(),
                secret: hook.secret.clone(),
                guid: uuid::Uuid::new_v4().to_string(),
                event: event.event.to_string(),
                repository_id,
                target_id,
                target_type,
                payload: body.clone(),
                fault: faults.for_delivery(),
            };
            self.submit(job, event.action.clone(), false, now);
        }
    }

    /// Sends a logged delivery again, keeping its GUID.
    pub fn redeliver(
        &self,
        world: &World,
        owner: &HookOwner,
        hook_id: Id,
        delivery_id: u64,
        now: Time,
    ) -> bool {
        let Some(original) = self.delivery(hook_id, delivery_id) else {
            return false;
        };
        let Some(hook) = world.hooks_of(owner).iter().find(|h| h.id == hook_id) else {
            return false;
        };
        let (target_id, target_type) = target_of(world, owner);
        let job = Job {
            delivery_id: 0,
            hook_id,
            url: hook.url.clone(),
            content_type: hook.content_type.clone(),
            secret: hook.secret.clone(),
            guid: original.guid.clone(),
            event: original.event.clone(),
            repository_id: original.repository_id,
            target_id,
            target_type,
            payload: original.payload.clone(),
            fault: DeliveryFault::default(),
        };
        self.submit(job, original.action.clone(), true, now);
        true
    }

    fn submit(&self, mut job: Job, action: Option<String>, redelivery: bool, now: Time) {
        let inner = &self.inner;
        job.delivery_id = inner.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        inner.log.lock().push(Delivery {
            id: job.delivery_id,
            guid: job.guid.clone(),
            hook_id: job.hook_id,
            repository_id: job.repository_id,
            event: job.event.clone(),
            action,
            redelivery,
            delivered_at: now,
            duration: 0.0,
            status: "pending".into(),
            status_code: 0,
            request_headers: BTreeMap::new(),
            payload: job.payload.clone(),
            response_headers: BTreeMap::new(),
            response_body: String::new(),
        });
        inner.pending.fetch_add(1, Ordering::SeqCst);
        let mut channels = inner.channels.lock();
        let sender = channels.entry(job.hook_id).or_insert_with(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            let generation = inner.generation.load(Ordering::SeqCst);
            tokio::spawn(worker(self.inner.clone(), rx, generation));
            tx
        });
        if sender.send(job).is_err() {
            inner.pending.fetch_sub(1, Ordering::SeqCst);
        }
    }

    pub fn deliveries(&self, hook_id: Id) -> Vec<Delivery> {
        self.inner
            .log
            .lock()
            .iter()
            .filter(|d| d.hook_id == hook_id)
            .cloned()
            .collect()
    }

    pub fn all_deliveries(&self) -> Vec<Delivery> {
        self.inner.log.lock().clone()
    }

    pub fn delivery(&self, hook_id: Id, id: u64) -> Option<Delivery> {
        self.inner
            .log
            .lock()
            .iter()
            .find(|d| d.hook_id == hook_id && d.id == id)
            .cloned()
    }

    pub fn last_response(&self, hook_id: Id) -> Option<HookResponse> {
        self.inner.last_response.lock().get(&hook_id).cloned()
    }

    /// Deliveries queued or in flight.
    pub fn pending(&self) -> usize {
        self.inner.pending.load(Ordering::SeqCst)
    }

    /// Waits until every queued delivery has been sent (or dropped); false on timeout.
    pub async fn wait_idle(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            let notified = self.inner.idle.notified();
            if self.pending() == 0 {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || tokio::time::timeout(left, notified).await.is_err() {
                return self.pending() == 0;
            }
        }
    }

    pub fn reset(&self) {
        let inner = &self.inner;
        inner.generation.fetch_add(1, Ordering::SeqCst);
        inner.channels.lock().clear();
        inner.log.lock().clear();
        inner.last_response.lock().clear();
        inner.pending.store(0, Ordering::SeqCst);
        inner.idle.notify_waiters();
    }

    pub fn forget_hook(&self, hook_id: Id) {
        self.inner.channels.lock().remove(&hook_id);
    }
}

/// The id and kind GitHub names a hook's owner by in its delivery headers.
fn target_of(world: &World, owner: &HookOwner) -> (Id, &'static str) {
    match owner {
        HookOwner::Repo(r) => (world.repos[*r].id, "repository"),
        HookOwner::Org(o) => (
            world.find_user(o).map(|u| u.id).unwrap_or_default(),
            "organization",
        ),
        HookOwner::App(a) => (*a, "integration"),
    }
}

async fn worker(inner: Arc<Inner>, mut rx: mpsc::UnboundedReceiver<Job>, generation: u64) {
    while let Some(job) = rx.recv().await {
        if job.fault.reorder {
            // Let the next delivery of this hook overtake this one, if one comes soon.
            match tokio::time::timeout(REORDER_WINDOW, rx.recv()).await {
                Ok(Some(next)) => {
                    deliver(&inner, next, generation).await;
                    deliver(&inner, job, generation).await;
                }
                _ => deliver(&inner, job, generation).await,
            }
            continue;
        }
        deliver(&inner, job, generation).await;
    }
}

async fn deliver(inner: &Inner, job: Job, generation: u64) {
    if job.fault.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(job.fault.delay_ms)).await;
    }
    let attempt = if job.fault.drop {
        DeliveryAttempt {
            status: "dropped by fakehub fault injection".into(),
            ..Default::default()
        }
    } else {
        let first = send(inner, &job).await;
        if job.fault.duplicate {
            send(inner, &job).await;
        }
        first
    };
    if inner.generation.load(Ordering::SeqCst) == generation {
        if let Some(d) = inner
            .log
            .lock()
            .iter_mut()
            .find(|d| d.id == job.delivery_id)
        {
            d.status = attempt.status.clone();
            d.status_code = attempt.code;
            d.duration = attempt.duration;
            d.request_headers = attempt.request_headers;
            d.response_headers = attempt.response_headers;
            d.response_body = attempt.body;
        }
        if !job.fault.drop {
            inner.last_response.lock().insert(
                job.hook_id,
                HookResponse {
                    code: Some(attempt.code),
                    status: if attempt.code / 100 == 2 {
                        "active".into()
                    } else {
                        "failed".into()
                    },
                    message: Some(attempt.status),
                },
            );
        }
        let left = inner
            .pending
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |p| {
                Some(p.saturating_sub(1))
            })
            .unwrap_or(1);
        if left <= 1 {
            inner.idle.notify_waiters();
        }
    }
}

/// What one attempt to deliver a webhook produced, as GitHub's delivery log shows it.
#[derive(Default)]
struct DeliveryAttempt {
    status: String,
    code: u16,
    duration: f64,
    request_headers: BTreeMap<String, String>,
    response_headers: BTreeMap<String, String>,
    body: String,
}

async fn send(inner: &Inner, job: &Job) -> DeliveryAttempt {
    let client = inner.client.get_or_init(|| {
        reqwest::Client::builder()
            .timeout(DELIVERY_TIMEOUT)
            .build()
            .expect("HTTP client")
    });
    let (body, content_type) = if job.content_type == "form" {
        let form =
            serde_urlencoded::to_string([("payload", job.payload.as_str())]).unwrap_or_default();
        (form, "application/x-www-form-urlencoded")
    } else {
        (job.payload.to_string(), "application/json")
    };
    let mut headers = BTreeMap::new();
    headers.insert("Accept".to_string(), "*/*".to_string());
    headers.insert("Content-Type".into(), content_type.into());
    headers.insert("User-Agent".into(), "GitHub-Hookshot/fakehub".into());
    headers.insert("X-GitHub-Delivery".into(), job.guid.clone());
    headers.insert("X-GitHub-Event".into(), job.event.clone());
    headers.insert("X-GitHub-Hook-ID".into(), job.hook_id.to_string());
    headers.insert(
        "X-GitHub-Hook-Installation-Target-ID".into(),
        job.target_id.to_string(),
    );
    headers.insert(
        "X-GitHub-Hook-Installation-Target-Type".into(),
        job.target_type.into(),
    );
    if let Some(secret) = &job.secret {
        headers.insert(
            "X-Hub-Signature".into(),
            super::sign_sha1(secret, body.as_bytes()),
        );
        headers.insert("X-Hub-Signature-256".into(), sign(secret, body.as_bytes()));
    }
    let mut request = client.post(&job.url).body(body);
    for (k, v) in &headers {
        request = request.header(k, v);
    }
    let started = Instant::now();
    let mut attempt = DeliveryAttempt {
        request_headers: headers,
        ..Default::default()
    };
    match request.send().await {
        Ok(resp) => {
            attempt.code = resp.status().as_u16();
            attempt.response_headers = resp
                .headers()
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
                .collect();
            attempt.body = resp.text().await.unwrap_or_default();
            attempt.status = if (200..300).contains(&attempt.code) {
                "OK".into()
            } else {
                format!("Invalid HTTP Response: {}", attempt.code)
            };
        }
        Err(e) if e.is_timeout() => attempt.status = "timed out".into(),
        Err(e) => attempt.status = format!("failed to connect: {e}"),
    }
    attempt.duration = started.elapsed().as_secs_f64();
    attempt
}
