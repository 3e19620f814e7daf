//! Processes stored deliveries in the order they arrived: each in one transaction through
//! the projector; a failure is retried with backoff and, after the last attempt, the
//! delivery is marked dead (listed by the API, and replayable).

use super::events::{self, Outcome, HANDLED};
use crate::store::{DeliveryRow, DeliveryStatus, Store};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

pub const MAX_ATTEMPTS: i64 = 5;
/// Deliveries projected per transaction.
const BATCH: i64 = 4;

#[derive(Clone)]
pub struct Processor {
    store: Store,
    pub wake: Arc<Notify>,
    /// First retry delay; doubled each attempt.
    pub retry_base: Duration,
    /// Deliveries the receiver is still storing (see `Receiver::waiting`).
    pub ingest_waiting: Arc<std::sync::atomic::AtomicUsize>,
}

impl Processor {
    pub fn new(store: Store) -> Self {
        Processor {
            store,
            wake: Arc::new(Notify::new()),
            retry_base: Duration::from_secs(2),
            ingest_waiting: Arc::default(),
        }
    }

    /// Processes what is due now; returns how many deliveries it handled.
    pub async fn drain(&self) -> anyhow::Result<usize> {
        let mut handled = 0;
        loop {
            self.step_aside().await;
            let due = self.store.due_deliveries(BATCH).await?;
            if due.is_empty() {
                return Ok(handled);
            }
            self.process_batch(&due).await?;
            handled += due.len();
        }
    }

    /// Lets the receiver store what is arriving first, for up to 50 ms at a time, so
    /// projection never makes GitHub wait for its acknowledgement.
    async fn step_aside(&self) {
        for _ in 0..50 {
            if self
                .ingest_waiting
                .load(std::sync::atomic::Ordering::SeqCst)
                == 0
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    /// Projects a batch in one transaction (one commit, one fsync), each delivery inside its
    /// own savepoint so a failing one is rolled back alone and retried later.
    async fn process_batch(&self, batch: &[DeliveryRow]) -> anyhow::Result<()> {
        // Parsing needs no lock: it is done before the write turn is taken.
        let parsed: Vec<(&DeliveryRow, Option<anyhow::Result<serde_json::Value>>)> = batch
            .iter()
            .map(|d| {
                let payload = HANDLED.contains(&d.event.as_str()).then(|| {
                    serde_json::from_str(&d.payload)
                        .map_err(|e| anyhow::anyhow!("the payload is not JSON: {e}"))
                });
                (d, payload)
            })
            .collect();
        let mut tx = self.store.begin_write().await?;
        let mut failures = Vec::new();
        let now = crate::store::now_text();
        for (d, payload) in parsed {
            let span = tracing::info_span!("delivery", id = %d.delivery_id, event = %d.event);
            let _enter = span.enter();
            let status = match payload {
                None => DeliveryStatus::Ignored,
                Some(Err(e)) => {
                    failures.push((d, e));
                    continue;
                }
                Some(Ok(payload)) => {
                    let mut savepoint = sqlx::Acquire::begin(&mut *tx).await?;
                    match events::apply(&mut savepoint, &d.event, &payload).await {
                        Ok(outcome) => {
                            savepoint.commit().await?;
                            if outcome == Outcome::Processed {
                                DeliveryStatus::Processed
                            } else {
                                DeliveryStatus::Ignored
                            }
                        }
                        Err(e) => {
                            savepoint.rollback().await?;
                            failures.push((d, e));
                            continue;
                        }
                    }
                }
            };
            sqlx::query("UPDATE deliveries SET status = $1, processed_at = $2, error = NULL, attempts = attempts + 1, next_attempt_at = NULL WHERE id = $3")
                .bind(status.as_str())
                .bind(&now)
                .bind(d.id)
                .execute(&mut **tx)
                .await?;
            metrics::counter!("ghgov_deliveries_total", "status" => status.as_str()).increment(1);
        }
        tx.commit().await?;
        for (d, e) in failures {
            let attempt = d.attempts + 1;
            let next = (attempt < MAX_ATTEMPTS).then(|| {
                let delay = self.retry_base * 2u32.saturating_pow(attempt as u32 - 1);
                (chrono::Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default())
                    .format("%Y-%m-%dT%H:%M:%SZ")
                    .to_string()
            });
            tracing::warn!(delivery = %d.delivery_id, attempt, dead = next.is_none(), "delivery failed: {e:#}");
            metrics::counter!("ghgov_deliveries_total", "status" => if next.is_some() { "retry" } else { "dead" }).increment(1);
            self.store
                .retry_delivery(d.id, &format!("{e:#}"), next)
                .await?;
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
