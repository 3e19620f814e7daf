//! `ghgov serve`: the API, the webhook receiver, the delivery processor and the reconciler
//! in one process.

use crate::api::{self, AppState};
use crate::github::{GitHub, GitHubConfig};
use crate::mirror::processor::Processor;
use crate::mirror::receiver::Receiver;
use crate::mirror::reconciler;
use crate::mirror::sync::Syncer;
use crate::mirror::RepoName;
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
    pub webhook_secrets: Vec<String>,
    pub repos: Vec<RepoName>,
    /// None: no reconciler (tests drive syncs themselves).
    pub reconcile_interval: Option<Duration>,
    pub retry_base: Duration,
    /// What a governance document in a request may cost to read.
    pub document_limits: crate::governance::document_limits::DocumentLimits,
}

pub struct Running {
    pub addr: SocketAddr,
    pub store: Store,
    pub gh: Option<Arc<GitHub>>,
    pub processor: Processor,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub async fn shutdown(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        let _ = self.task.await;
    }

    pub fn stop_handle(&mut self) -> Option<oneshot::Sender<()>> {
        self.stop.take()
    }

    pub async fn wait(self) {
        let _ = self.task.await;
    }
}

pub async fn start(opts: ServeOptions) -> anyhow::Result<Running> {
    let store = Store::open(&opts.db).await?;
    store.interrupt_stale_syncs().await?;
    let gh = match &opts.github {
        Some(cfg) => Some(Arc::new(GitHub::new(cfg.clone(), Some(store.clone()))?)),
        None => None,
    };
    let mut processor = Processor::new(store.clone());
    processor.retry_base = opts.retry_base;
    let receiver = Receiver::start(
        store.clone(),
        opts.webhook_secrets.clone(),
        processor.wake.clone(),
    );
    processor.ingest_waiting = receiver.waiting.clone();
    tokio::spawn(processor.clone().run());
    if let (Some(gh), Some(interval)) = (&gh, opts.reconcile_interval) {
        if !opts.repos.is_empty() {
            tokio::spawn(reconciler::run(
                Syncer::new(store.clone(), gh.clone()),
                opts.repos.clone(),
                interval,
            ));
        }
    }
    let state = AppState {
        store: store.clone(),
        gh: gh.clone(),
        repos: Arc::new(opts.repos.clone()),
        processor: processor.clone(),
        metrics: crate::telemetry::metrics(),
        cache: Arc::default(),
        touched: Arc::default(),
        document_limits: opts.document_limits,
    };
    let app = api::router(state, receiver);
    let listener = TcpListener::bind(opts.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", opts.listen))?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let shutdown = async {
            let _ = stopped.await;
        };
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::error!("server stopped: {e}");
        }
    });
    Ok(Running {
        addr,
        store,
        gh,
        processor,
        stop: Some(stop),
        task,
    })
}
