//! Starting fakehub: in-process for tests (`FakeHub::start`) or as the `fakehub` binary.

use crate::hub::{Hub, Settings};
use crate::seed::{self, SeedDoc, Seeded};
use axum::extract::Request;
use axum::{Router, ServiceExt};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tower::Layer;

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Where to listen; port 0 picks a free one.
    pub listen: Option<SocketAddr>,
    /// The base URL responses point at; defaults to `http://LISTEN_ADDR`.
    pub public_url: Option<String>,
    pub settings: Settings,
    pub seed: Option<SeedDoc>,
}

/// The HTTP application: GitHub's REST API behind the gate, GraphQL (which authenticates
/// and charges its own points), plus the admin API.
pub fn app(hub: Arc<Hub>) -> Router {
    crate::routes::router()
        .route_layer(axum::middleware::from_fn_with_state(
            hub.clone(),
            crate::http::gate,
        ))
        .merge(crate::graphql::router())
        .merge(crate::routes::apps::router())
        .merge(crate::admin::router())
        .fallback(|| async { crate::error::ApiError::not_found() })
        .with_state(hub)
}

/// A running simulator.
pub struct FakeHub {
    pub hub: Arc<Hub>,
    pub addr: SocketAddr,
    /// The public base URL (what every `url` field starts with).
    pub url: String,
    pub seeded: Vec<Seeded>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl FakeHub {
    /// Binds, seeds, and serves in the background.
    pub async fn start(options: Options) -> anyhow::Result<FakeHub> {
        let listen = options
            .listen
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
        let listener = TcpListener::bind(listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
        let addr = listener.local_addr()?;
        let url = options
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{addr}"))
            .trim_end_matches('/')
            .to_string();
        let hub = Arc::new(Hub::new(&url, options.settings.clone()));
        let seeded = match &options.seed {
            Some(doc) => {
                let now = hub.clock.now();
                seed::apply(&mut hub.world.write(), doc, now)
                    .map_err(|e| anyhow::anyhow!("seed: {e}"))?
            }
            None => Vec::new(),
        };
        let (stop, stopped) = oneshot::channel::<()>();
        // In front of the router, since it changes where a request is routed.
        let app = axum::middleware::from_fn_with_state(hub.clone(), crate::http::canonical)
            .layer(app(hub.clone()));
        let task = tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            if let Err(e) = axum::serve(listener, ServiceExt::<Request>::into_make_service(app))
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::error!("fakehub server stopped: {e}");
            }
        });
        Ok(FakeHub {
            hub,
            addr,
            url,
            seeded,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// An empty simulator on a free loopback port that accepts any token.
    pub async fn start_default() -> anyhow::Result<FakeHub> {
        Self::start(Options::default()).await
    }

    /// Stops accepting requests and waits for the server task to end.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Waits for the server task (until `shutdown` is called from elsewhere or it fails).
    pub async fn wait(mut self) {
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    pub fn stop_handle(&mut self) -> Option<oneshot::Sender<()>> {
        self.stop.take()
    }
}

impl Drop for FakeHub {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
