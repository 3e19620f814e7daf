//! Processes stored deliveries in the order they arrived: each in one transaction through
//! the projector; a failure is retried on a schedule (5, 10, 20, 40, 80 s by default) and,
//! after the last retry, the delivery is marked dead (listed by the API, and replayable).
//! Deliveries about repositories outside the mirrored set are marked ignored, unread.

use super::events::{self, EventEffect, HANDLED};
use super::scope::RepoScope;
use super::webhook_event::WebhookEvent;
use crate::clock::SharedClock;
use crate::store::{timestamp, DeliveryRow, DeliveryStatus, Store};
use crate::tracking::{Provenance, Source};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// A delivery read into its event, with the login of its sender.
type Parsed = (WebhookEvent, Option<String>);

/// Deliveries projected per transaction.
const BATCH: i64 = 4;

/// The waits between attempts of a failing delivery: after the first failure the first
/// wait, and so on; a failure after the last wait makes the delivery dead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule(Vec<Duration>);

impl Default for RetrySchedule {
    fn default() -> Self {
        RetrySchedule([5, 10, 20, 40, 80].map(Duration::from_secs).to_vec())
    }
}

impl RetrySchedule {
    pub fn new(waits: Vec<Duration>) -> RetrySchedule {
        RetrySchedule(waits)
    }

    /// `5,10,20,40,80` (seconds; an empty text: no retries).
    pub fn parse(text: &str) -> anyhow::Result<RetrySchedule> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(RetrySchedule(Vec::new()));
        }
        let waits = text
            .split(',')
            .map(|part| {
                let part = part.trim();
                part.parse::<u64>()
                    .ok()
                    .filter(|s| (1..=86_400).contains(s))
                    .map(Duration::from_secs)
                    .ok_or_else(|| {
                        anyhow::anyhow!(
                            "'{part}' in the retry schedule '{text}' is not a number of seconds from 1 to 86400; write it like 5,10,20,40,80"
                        )
                    })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(RetrySchedule(waits))
    }

    /// Attempts before a delivery is dead.
    pub fn max_attempts(&self) -> i64 {
        self.0.len() as i64 + 1
    }

    /// The wait after failed attempt number `attempt` (from 1), or None: dead.
    pub fn wait_after(&self, attempt: i64) -> Option<Duration> {
        usize::try_from(attempt - 1)
            .ok()
            .and_then(|i| self.0.get(i).copied())
    }
}

impl std::fmt::Display for RetrySchedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|d| d.as_secs().to_string()).collect();
        write!(f, "{}", parts.join(","))
    }
}

#[derive(Clone)]
pub struct Processor {
    store: Store,
    pub wake: Arc<Notify>,
    pub retries: RetrySchedule,
    pub clock: SharedClock,
    /// The repositories the mirror follows; deliveries about others are ignored.
    pub scope: Arc<RepoScope>,
    /// Deliveries the receiver is still storing (see `Receiver::waiting`).
    pub ingest_waiting: Arc<std::sync::atomic::AtomicUsize>,
}

impl Processor {
    pub fn new(store: Store, scope: Arc<RepoScope>) -> Self {
        Processor {
            store,
            wake: Arc::new(Notify::new()),
            retries: RetrySchedule::default(),
            clock: crate::clock::system(),
            scope,
            ingest_waiting: Arc::default(),
        }
    }

    /// Processes what is due now; returns how many deliveries it handled.
    pub async fn drain(&self) -> anyhow::Result<usize> {
        let mut handled = 0;
        loop {
            self.step_aside().await;
            let now = timestamp(self.clock.now());
            let due = self.store.due_deliveries(&now, BATCH).await?;
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
        // Which deliveries are about repositories outside the set (read before the write
        // turn is taken, like the parsing below, which needs no lock either).
        let mut outside = Vec::with_capacity(batch.len());
        for d in batch {
            outside.push(match &d.repository {
                Some(name) if !self.scope.allows(&self.store, name).await? => {
                    Some(format!("not processed: {}", self.scope.refusal(name)))
                }
                _ => None,
            });
        }
        // Each delivery read into its typed event before anything acts on it.
        let parsed: Vec<(&DeliveryRow, Option<anyhow::Result<Parsed>>)> = batch
            .iter()
            .zip(&outside)
            .map(|(d, outside)| {
                let payload = (outside.is_none() && HANDLED.contains(&d.event.as_str()))
                    .then(|| WebhookEvent::parse_with_sender(&d.event, &d.payload));
                (d, payload)
            })
            .collect();
        let mut tx = self.store.begin_write().await?;
        let mut failures = Vec::new();
        let now = timestamp(self.clock.now());
        for ((d, payload), outside) in parsed.into_iter().zip(outside) {
            let span = tracing::info_span!("delivery", id = %d.delivery_id, event = %d.event);
            let _enter = span.enter();
            let status = match payload {
                None => DeliveryStatus::Ignored,
                Some(Err(e)) => {
                    failures.push((d, e));
                    continue;
                }
                Some(Ok((payload, sender))) => {
                    let mut savepoint = tx.mirror_savepoint().await?;
                    // Status changes this delivery makes name its sender and delivery id.
                    let provenance = Provenance::new(Source::Webhook)
                        .actor(sender)
                        .correlation(d.delivery_id.clone());
                    match events::apply(&mut savepoint.mirror().with(provenance), &payload).await {
                        Ok(effect) => {
                            // Even an ignored event may have projected its repository: the
                            // commit marks the batch as one that moves the mirror's version.
                            savepoint.commit().await?;
                            if effect == EventEffect::Processed {
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
            // An ignored delivery about another repository says so; others carry no error.
            crate::store::mark_delivery(&mut tx, d.id, status, &now, outside.as_deref()).await?;
            metrics::counter!("ghgov_deliveries_total", "status" => status.as_str()).increment(1);
        }
        tx.commit().await?;
        for (d, e) in failures {
            let attempt = d.attempts + 1;
            let next = self.retries.wait_after(attempt).map(|wait| {
                timestamp(self.clock.now() + chrono::Duration::from_std(wait).unwrap_or_default())
            });
            tracing::warn!(delivery = %d.delivery_id, attempt, dead = next.is_none(), "delivery failed: {e:#}");
            metrics::counter!("ghgov_deliveries_total", "status" => if next.is_some() { "retry" } else { "dead" }).increment(1);
            self.store
                .retry_delivery(d.id, &format!("{e:#}"), next, &now)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_schedule_is_the_promised_one() {
        let s = RetrySchedule::default();
        let waits: Vec<u64> = (1..=6)
            .map_while(|a| s.wait_after(a))
            .map(|d| d.as_secs())
            .collect();
        assert_eq!(waits, [5, 10, 20, 40, 80]);
        assert_eq!(s.max_attempts(), 6);
        assert_eq!(s.wait_after(6), None);
        assert_eq!(s.to_string(), "5,10,20,40,80");
    }

    #[test]
    fn schedules_parse_strictly() {
        assert_eq!(
            RetrySchedule::parse(" 1, 2 ,3").unwrap().to_string(),
            "1,2,3"
        );
        assert_eq!(RetrySchedule::parse("").unwrap().max_attempts(), 1);
        for bad in ["5,,10", "0", "-5", "5s", "99999999"] {
            let err = RetrySchedule::parse(bad).unwrap_err().to_string();
            assert!(err.contains("5,10,20,40,80"), "{bad}: {err}");
        }
    }
}
