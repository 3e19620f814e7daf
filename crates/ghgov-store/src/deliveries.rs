//! The raw webhook log. A delivery is stored before it is acknowledged, keyed by GitHub's
//! delivery id so a redelivery or a duplicate is stored (and processed) once.

use super::{now_text, Store};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    Pending,
    Processed,
    Failed,
    Ignored,
    Dead,
    /// A dead delivery someone chose not to replay.
    Discarded,
}

impl DeliveryStatus {
    pub const ALL: [DeliveryStatus; 6] = [
        Self::Pending,
        Self::Processed,
        Self::Failed,
        Self::Ignored,
        Self::Dead,
        Self::Discarded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Processed => "processed",
            Self::Failed => "failed",
            Self::Ignored => "ignored",
            Self::Dead => "dead",
            Self::Discarded => "discarded",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// What became of a request to requeue or discard a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requeue {
    Done,
    NotFound,
    /// The delivery is not in a state that allows it; the message says why.
    Refused(String),
}

#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub delivery_id: String,
    pub event: String,
    pub action: Option<String>,
    pub repository: Option<String>,
    pub payload: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct DeliveryRow {
    pub id: i64,
    pub delivery_id: String,
    pub event: String,
    pub action: Option<String>,
    pub repository: Option<String>,
    pub received_at: String,
    pub processed_at: Option<String>,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: Option<String>,
    pub error: Option<String>,
    /// When retention dropped the payload (the row and its metadata stay).
    pub payload_pruned_at: Option<String>,
    #[serde(skip)]
    pub payload: String,
}

const COLUMNS: &str = "id, delivery_id, event, action, repository, received_at, processed_at, status, attempts, next_attempt_at, error, payload, payload_pruned_at";

#[derive(sqlx::FromRow)]
struct StoredId {
    delivery_id: String,
}

#[derive(sqlx::FromRow)]
struct StatusCount {
    status: String,
    total: i64,
}

impl Store {
    /// Stores a batch in one transaction (one fsync for many deliveries) and few statements
    /// (each statement is a round trip to the database). Returns, for each delivery, whether
    /// it was new.
    pub async fn insert_deliveries(&self, batch: &[NewDelivery]) -> anyhow::Result<Vec<bool>> {
        let mut tx = self.begin_write().await?;
        let now = now_text();
        let mut fresh_ids = std::collections::HashSet::new();
        for chunk in batch.chunks(100) {
            let values = (0..chunk.len())
                .map(|r| {
                    let b = r * 6;
                    format!(
                        "(${}, ${}, ${}, ${}, ${}, ${}, 'pending')",
                        b + 1,
                        b + 2,
                        b + 3,
                        b + 4,
                        b + 5,
                        b + 6
                    )
                })
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "INSERT INTO deliveries (delivery_id, event, action, repository, payload, received_at, status) VALUES {values} \
                 ON CONFLICT (delivery_id) DO NOTHING RETURNING delivery_id"
            );
            let mut q = sqlx::query_as::<_, StoredId>(&sql);
            for d in chunk {
                q = q
                    .bind(&d.delivery_id)
                    .bind(&d.event)
                    .bind(&d.action)
                    .bind(&d.repository)
                    .bind(&d.payload)
                    .bind(&now);
            }
            for row in q.fetch_all(&mut **tx).await? {
                fresh_ids.insert(row.delivery_id);
            }
        }
        tx.commit().await?;
        // The same id twice in one batch: the first is the new one.
        let mut fresh = Vec::with_capacity(batch.len());
        for d in batch {
            fresh.push(fresh_ids.remove(&d.delivery_id));
        }
        Ok(fresh)
    }

    /// Pending deliveries due at `now`, oldest first (GitHub's order per repository).
    pub async fn due_deliveries(&self, now: &str, limit: i64) -> anyhow::Result<Vec<DeliveryRow>> {
        let rows = sqlx::query_as::<_, DeliveryRow>(&format!(
            "SELECT {COLUMNS} FROM deliveries WHERE status IN ('pending', 'failed') AND (next_attempt_at IS NULL OR next_attempt_at <= $1) ORDER BY id LIMIT $2"
        ))
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows)
    }

    /// Records a failed attempt at `now`: retried at `next_attempt_at`, or dead after the
    /// last one.
    pub async fn retry_delivery(
        &self,
        id: i64,
        error: &str,
        next_attempt_at: Option<String>,
        now: &str,
    ) -> anyhow::Result<()> {
        // `failed`: an attempt failed and another is scheduled; `dead`: no attempts left.
        let status = if next_attempt_at.is_some() {
            "failed"
        } else {
            "dead"
        };
        sqlx::query("UPDATE deliveries SET status = $1, error = $2, attempts = attempts + 1, next_attempt_at = $3, processed_at = $4 WHERE id = $5")
            .bind(status)
            .bind(error)
            .bind(next_attempt_at)
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn list_deliveries(
        &self,
        status: Option<DeliveryStatus>,
        limit: i64,
        offset: i64,
    ) -> anyhow::Result<(Vec<DeliveryRow>, i64)> {
        let filter = status
            .map(|s| format!("WHERE status = '{}'", s.as_str()))
            .unwrap_or_default();
        let rows = sqlx::query_as::<_, DeliveryRow>(&format!(
            "SELECT {COLUMNS} FROM deliveries {filter} ORDER BY id DESC LIMIT $1 OFFSET $2"
        ))
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        let total = self.count_deliveries(status).await?;
        Ok((rows, total))
    }

    /// How many deliveries are stored: all of them, or those in one status.
    pub async fn count_deliveries(&self, status: Option<DeliveryStatus>) -> anyhow::Result<i64> {
        let filter = status
            .map(|s| format!("WHERE status = '{}'", s.as_str()))
            .unwrap_or_default();
        Ok(
            sqlx::query_scalar(&format!("SELECT COUNT(*) FROM deliveries {filter}"))
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// How many deliveries are not settled yet: pending, or failed and waiting for a retry.
    pub async fn unsettled_deliveries(&self) -> anyhow::Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM deliveries WHERE status IN ($1, $2)")
                .bind(DeliveryStatus::Pending.as_str())
                .bind(DeliveryStatus::Failed.as_str())
                .fetch_one(&self.pool)
                .await?,
        )
    }

    pub async fn delivery(&self, id: i64) -> anyhow::Result<Option<DeliveryRow>> {
        Ok(sqlx::query_as::<_, DeliveryRow>(&format!(
            "SELECT {COLUMNS} FROM deliveries WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Puts a delivery back in the queue with fresh attempts (dead or failed ones after a
    /// fix). A delivery whose payload retention dropped cannot be replayed.
    pub async fn replay_delivery(&self, id: i64) -> anyhow::Result<Requeue> {
        let done = sqlx::query("UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = NULL, error = NULL WHERE id = $1 AND payload_pruned_at IS NULL")
            .bind(id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() > 0 {
            return Ok(Requeue::Done);
        }
        Ok(match self.delivery(id).await? {
            None => Requeue::NotFound,
            Some(d) => Requeue::Refused(format!(
                "webhook event {id} cannot be replayed: its payload was dropped by retention at {}",
                d.payload_pruned_at.unwrap_or_default()
            )),
        })
    }

    /// Gives up on a dead (or failing) delivery: it leaves the dead letters, and retention
    /// may drop its payload like any other finished delivery's.
    pub async fn discard_delivery(&self, id: i64, now: &str) -> anyhow::Result<Requeue> {
        let done = sqlx::query("UPDATE deliveries SET status = 'discarded', next_attempt_at = NULL, processed_at = $1 WHERE id = $2 AND status IN ('dead', 'failed')")
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() > 0 {
            return Ok(Requeue::Done);
        }
        Ok(match self.delivery(id).await? {
            None => Requeue::NotFound,
            Some(d) => Requeue::Refused(format!(
                "webhook event {id} is {}: only dead or failed deliveries can be discarded",
                d.status
            )),
        })
    }

    /// Drops the payloads of deliveries finished (processed, ignored or discarded) before
    /// `cutoff`, keeping their rows; dead ones stay whole until replayed or discarded.
    /// Returns how many payloads went.
    pub async fn prune_payloads(&self, cutoff: &str, now: &str) -> anyhow::Result<u64> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("UPDATE deliveries SET payload = '', payload_pruned_at = $1 WHERE status IN ('processed', 'ignored', 'discarded') AND processed_at < $2 AND payload_pruned_at IS NULL")
            .bind(now)
            .bind(cutoff)
            .execute(&mut **tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    pub async fn delivery_counts(&self) -> anyhow::Result<Vec<(String, i64)>> {
        let rows = sqlx::query_as::<_, StatusCount>(
            "SELECT status, COUNT(*) AS total FROM deliveries GROUP BY status",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|r| (r.status, r.total)).collect())
    }
}

/// Records, inside the processor's transaction, what became of a delivery: its final status
/// for this attempt and, for an ignored one, why.
pub async fn mark_delivery(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: i64,
    status: DeliveryStatus,
    now: &str,
    note: Option<&str>,
) -> anyhow::Result<()> {
    sqlx::query("UPDATE deliveries SET status = $1, processed_at = $2, error = $3, attempts = attempts + 1, next_attempt_at = NULL WHERE id = $4")
        .bind(status.as_str())
        .bind(now)
        .bind(note)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
