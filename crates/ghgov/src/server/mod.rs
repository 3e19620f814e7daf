//! `ghgov serve`: the API, the webhook receiver, the delivery processor, the reconciler and
//! delivery retention in one process.

pub mod hooks;
pub mod signals;

use crate::api::{self, AppState};
use crate::clock::SharedClock;
pub use crate::front_door::HttpLimits;
use crate::github::{GitHub, GitHubConfig};
use crate::mirror::processor::{Processor, RetrySchedule};
use crate::mirror::receiver::{Receiver, WebhookLimits};
use crate::mirror::reconciler;
use crate::mirror::scope::RepoScope;
use crate::mirror::sync::Syncer;
use crate::secret::Secret;
use crate::store::Store;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

#[derive(Clone)]
pub struct ServeOptions {
    pub listen: SocketAddr,
    pub db: String,
    pub github: Option<GitHubConfig>,
    pub webhook_secrets: Vec<Secret>,
    /// The repositories mirrored (and reconciled); deliveries about others are ignored.
    pub scope: RepoScope,
    /// None: no reconciler (tests drive syncs themselves).
    pub reconcile_interval: Option<Duration>,
    pub retries: RetrySchedule,
    pub webhook: WebhookLimits,
    pub http: HttpLimits,
    /// Payloads of finished deliveries are dropped after this long; None keeps them.
    pub retention: Option<Duration>,
    pub clock: SharedClock,
    /// What a governance document in a request may cost to read.
    pub document_limits: crate::governance::document_limits::DocumentLimits,
}

impl std::fmt::Debug for ServeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeOptions")
            .field("listen", &self.listen)
            .field("db", &crate::store::redact(&self.db))
            .field("github", &self.github)
            .field("webhook_secrets", &self.webhook_secrets)
            .field("scope", &self.scope)
            .field("reconcile_interval", &self.reconcile_interval)
            .field("retries", &self.retries)
            .field("webhook", &self.webhook)
            .field("http", &self.http)
            .field("retention", &self.retention)
            .field("document_limits", &self.document_limits)
            .finish_non_exhaustive()
    }
}

/// How often retention looks for payloads to drop.
const RETENTION_EVERY: Duration = Duration::from_secs(3600);
/// How often token use is written down (see `api::usage`).
const USAGE_EVERY: Duration = Duration::from_secs(10);

impl ServeOptions {
    /// Options with every default: loopback on a free port, no GitHub, no secrets, no
    /// repositories, no reconciler.
    pub fn new(db: &str) -> ServeOptions {
        ServeOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            db: db.to_string(),
            github: None,
            webhook_secrets: Vec::new(),
            scope: RepoScope::default(),
            reconcile_interval: None,
            retries: RetrySchedule::default(),
            webhook: WebhookLimits::default(),
            http: HttpLimits::default(),
            retention: Some(DEFAULT_RETENTION),
            clock: crate::clock::system(),
            document_limits: crate::governance::document_limits::DocumentLimits::DEFAULT,
        }
    }
}

/// Payloads of finished deliveries are kept 30 days by default.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(30 * 24 * 3600);

pub struct Running {
    pub addr: SocketAddr,
    pub store: Store,
    pub gh: Option<Arc<GitHub>>,
    pub processor: Processor,
    pub state: AppState,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
    writer_task: Option<tokio::task::JoinHandle<()>>,
}

/// A server dropped without `shutdown` (a test's, a panicking caller's) still stops its
/// writer, so no writer outlives the server that owns its journal.
impl Drop for Running {
    fn drop(&mut self) {
        if let Some(w) = &self.writer_task {
            w.abort();
        }
    }
}

impl Running {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub async fn shutdown(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        let _ = (&mut self.task).await;
        self.stop_writer().await;
        self.state.usage.flush(&self.store).await;
    }

    /// Stops the writer between (or inside) its operations; what it left unsettled is
    /// resumed by the next server.
    async fn stop_writer(&mut self) {
        if let Some(w) = self.writer_task.take() {
            w.abort();
            let _ = w.await;
        }
    }

    /// Whether the server is still serving (false once it stopped, or its task panicked).
    pub fn is_running(&self) -> bool {
        !self.task.is_finished()
    }

    pub fn stop_handle(&mut self) -> Option<oneshot::Sender<()>> {
        self.stop.take()
    }

    pub async fn wait(mut self) {
        let _ = (&mut self.task).await;
        self.stop_writer().await;
        self.state.usage.flush(&self.store).await;
    }
}

pub async fn start(opts: ServeOptions) -> anyhow::Result<Running> {
    let store = Store::open(&opts.db).await?;
    store.interrupt_stale_syncs().await?;
    let gh = match &opts.github {
        Some(cfg) => Some(Arc::new(GitHub::new(cfg.clone(), Some(store.clone()))?)),
        None => None,
    };
    let scope = Arc::new(opts.scope.clone());
    let mut processor = Processor::new(store.clone(), scope.clone());
    processor.retries = opts.retries.clone();
    processor.clock = opts.clock.clone();
    let receiver = Receiver::start(
        store.clone(),
        opts.webhook_secrets.clone(),
        opts.webhook,
        processor.wake.clone(),
    );
    processor.ingest_waiting = receiver.waiting.clone();
    tokio::spawn(processor.clone().run());
    if let (Some(gh), Some(interval)) = (&gh, opts.reconcile_interval) {
        tokio::spawn(reconciler::run(
            Syncer::new(store.clone(), gh.clone()),
            scope.clone(),
            interval,
        ));
    }
    if let Some(keep) = opts.retention {
        tokio::spawn(retention(store.clone(), opts.clock.clone(), keep));
    }
    // The one writer: every change the API asks of GitHub, journaled, in order.
    let writer = gh
        .as_ref()
        .map(|gh| crate::writer::Writer::new(store.clone(), gh.clone()));
    // Stopped with the server (an abort is as safe as a crash: the journal resumes it).
    let writer_task = writer.as_ref().map(|w| tokio::spawn(w.clone().run()));
    let state = AppState {
        writer,
        store: store.clone(),
        gh: gh.clone(),
        scope,
        processor: processor.clone(),
        metrics: crate::telemetry::metrics(),
        cache: Arc::default(),
        usage: Arc::default(),
        health: Arc::default(),
        clock: opts.clock.clone(),
        document_limits: opts.document_limits,
    };
    tokio::spawn(state.usage.clone().run(store.clone(), USAGE_EVERY));
    let app = api::router(state.clone(), receiver, opts.http);
    let listener = TcpListener::bind(opts.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", opts.listen))?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let limits = opts.http;
    let task = tokio::spawn(async move {
        crate::front_door::serve(listener, app, limits, async {
            let _ = stopped.await;
        })
        .await;
    });
    Ok(Running {
        addr,
        store,
        gh,
        processor,
        state,
        stop: Some(stop),
        task,
        writer_task,
    })
}

/// Drops the payloads of deliveries finished more than `keep` ago (see
/// `Store::prune_payloads`); `ghgov prune` does the same on demand.
pub async fn prune(store: &Store, clock: &SharedClock, keep: Duration) -> anyhow::Result<u64> {
    let now = clock.now();
    let cutoff = chrono::Duration::from_std(keep)
        .ok()
        .and_then(|k| now.checked_sub_signed(k))
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC);
    store
        .prune_payloads(
            &crate::store::timestamp(cutoff),
            &crate::store::timestamp(now),
        )
        .await
}

async fn retention(store: Store, clock: SharedClock, keep: Duration) {
    loop {
        match prune(&store, &clock, keep).await {
            Ok(0) => {}
            Ok(n) => tracing::info!("retention: dropped the payloads of {n} finished deliveries"),
            Err(e) => tracing::warn!("retention failed: {e:#}"),
        }
        tokio::time::sleep(RETENTION_EVERY).await;
    }
}
