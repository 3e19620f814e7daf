//! Processes stored deliveries in the order they arrived: each in one transaction through
//! the projector; a failure is retried with backoff and, after the last attempt, the
//! delivery is marked dead (listed by the API, and replayable).

use super::events::{self, Outcome, HANDLED};
use crate::store::{DeliveryRow, DeliveryStatus, Store};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

pub const MAX_ATTEMPTS: i64 = 5;

#[derive(Clone)]
pub struct Processor {
    store: Store,
    pub wake: Arc<Notify>,
    /// First retry delay; doubled each attempt.
    pub retry_base: Duration,
}

impl Processor {
    pub fn new(store: Store) -> Self {
        Processor {
            store,
            wake: Arc::new(Notify::new()),
            retry_base: Duration::from_secs(2),
        }
    }

    /// Processes what is due now; returns how many deliveries it handled.
    pub async fn drain(&self) -> anyhow::Result<usize> {
        let mut handled = 0;
        loop {
            let due = self.store.due_deliveries(200).await?;
            if due.is_empty() {
                return Ok(handled);
            }
            for d in &due {
                self.process(d).await?;
                handled += 1;
            }
        }
    }

    async fn process(&self, d: &DeliveryRow) -> anyhow::Result<()> {
        let span = tracing::info_span!("delivery", id = %d.delivery_id, event = %d.event);
        let _enter = span.enter();
        if !HANDLED.contains(&d.event.as_str()) {
            self.store
                .finish_delivery(d.id, DeliveryStatus::Ignored, None)
                .await?;
            metrics::counter!("ghgov_deliveries_total", "status" => "ignored").increment(1);
            return Ok(());
        }
        let result = async {
            let payload: serde_json::Value = serde_json::from_str(&d.payload)
                .map_err(|e| anyhow::anyhow!("the payload is not JSON: {e}"))?;
            let mut tx = self.store.begin_write().await?;
            let outcome = events::apply(&mut tx, &d.event, &payload).await?;
            tx.commit().await?;
            anyhow::Ok(outcome)
        }
        .await;
        match result {
            Ok(outcome) => {
                let status = if outcome == Outcome::Processed {
                    DeliveryStatus::Processed
                } else {
                    DeliveryStatus::Ignored
                };
                self.store.finish_delivery(d.id, status, None).await?;
                metrics::counter!("ghgov_deliveries_total", "status" => status.as_str())
                    .increment(1);
            }
            Err(e) => {
                let attempt = d.attempts + 1;
                let next = (attempt < MAX_ATTEMPTS).then(|| {
                    let delay = self.retry_base * 2u32.saturating_pow(attempt as u32 - 1);
                    (chrono::Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default())
                        .format("%Y-%m-%dT%H:%M:%SZ")
                        .to_string()
                });
                tracing::warn!(attempt, dead = next.is_none(), "delivery failed: {e:#}");
                metrics::counter!("ghgov_deliveries_total", "status" => if next.is_some() { "retry" } else { "dead" }).increment(1);
                self.store
                    .retry_delivery(d.id, &format!("{e:#}"), next)
                    .await?;
            }
        }
        Ok(())
    }

    /// Runs until the process stops: wakes on new deliveries, and every second for retries.
    pub async fn run(self) {
        loop {
            if let Err(e) = self.drain().await {
                tracing::error!("delivery processing: {e:#}");
            }
            let _ = tokio::time::timeout(Duration::from_secs(1), self.wake.notified()).await;
        }
    }
}
