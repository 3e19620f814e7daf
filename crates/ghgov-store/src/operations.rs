//! The one writer's queue (`write_operations`): what the API asked to change on GitHub, in
//! the order it was asked, with where each change stands. See `ghgov::writer`.

use super::{now_text, Store, WriteTx};
use serde::Serialize;

/// Where an operation stands. Stored, and shown by the API, as [`OperationStatus::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OperationStatus {
    /// Journaled, not sent yet.
    Queued,
    /// May have been sent: its outcome is not recorded yet.
    Running,
    Done,
    Failed,
}

impl OperationStatus {
    pub const ALL: [OperationStatus; 4] = [Self::Queued, Self::Running, Self::Done, Self::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn settled(self) -> bool {
        matches!(self, Self::Done | Self::Failed)
    }
}

/// One operation as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct OperationRow {
    pub id: i64,
    /// What it does, e.g. `issue.create`, `issue.update`.
    pub kind: String,
    /// `OWNER/NAME`.
    pub repository: String,
    /// The issue it changes, or (once done) the issue it created.
    pub issue_id: Option<i64>,
    /// Once done, the comment or milestone it made or changed.
    pub result_id: Option<i64>,
    /// The change, as JSON the writer reads back.
    pub request: String,
    pub status: String,
    /// How many times it was taken up (more than one: resumed after a stop).
    pub attempts: i64,
    pub error: Option<String>,
    /// Who asked (`token:NAME`).
    pub principal: String,
    pub created_at: String,
    pub updated_at: String,
}

impl OperationRow {
    pub fn status(&self) -> OperationStatus {
        // Only this module writes the column, always through `as_str`.
        OperationStatus::parse(&self.status).unwrap_or(OperationStatus::Failed)
    }
}

/// An operation to journal.
pub struct NewOperation<'a> {
    pub kind: &'a str,
    pub repository: &'a str,
    pub issue_id: Option<i64>,
    pub request: &'a str,
    pub principal: &'a str,
}

#[derive(sqlx::FromRow)]
struct NewId {
    id: i64,
}

const COLUMNS: &str = "id, kind, repository, issue_id, result_id, request, status, attempts, error, principal, created_at, updated_at";

impl Store {
    /// Journals an operation (`queued`); the writer takes it up in id order.
    pub async fn enqueue_operation(&self, op: NewOperation<'_>) -> anyhow::Result<i64> {
        let now = now_text();
        let row = sqlx::query_as::<_, NewId>("INSERT INTO write_operations (kind, repository, issue_id, request, status, attempts, principal, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 0, $6, $7, $7) RETURNING id")
            .bind(op.kind)
            .bind(op.repository)
            .bind(op.issue_id)
            .bind(op.request)
            .bind(OperationStatus::Queued.as_str())
            .bind(op.principal)
            .bind(now)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.id)
    }

    pub async fn operation(&self, id: i64) -> anyhow::Result<Option<OperationRow>> {
        Ok(sqlx::query_as::<_, OperationRow>(&format!(
            "SELECT {COLUMNS} FROM write_operations WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Operations not settled yet, oldest first: `running` ones were left by a stop.
    pub async fn unsettled_operations(&self, limit: i64) -> anyhow::Result<Vec<OperationRow>> {
        Ok(sqlx::query_as::<_, OperationRow>(&format!(
            "SELECT {COLUMNS} FROM write_operations WHERE status IN ($1, $2) ORDER BY id LIMIT $3"
        ))
        .bind(OperationStatus::Queued.as_str())
        .bind(OperationStatus::Running.as_str())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Marks an operation `running` before its request leaves, counting the attempt; from
    /// here on a restart must look before it sends again.
    pub async fn operation_running(&self, id: i64) -> anyhow::Result<()> {
        sqlx::query("UPDATE write_operations SET status = $1, attempts = attempts + 1, updated_at = $2 WHERE id = $3")
            .bind(OperationStatus::Running.as_str())
            .bind(now_text())
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn operation_failed(&self, id: i64, error: &str) -> anyhow::Result<()> {
        sqlx::query(
            "UPDATE write_operations SET status = $1, error = $2, updated_at = $3 WHERE id = $4",
        )
        .bind(OperationStatus::Failed.as_str())
        .bind(error)
        .bind(now_text())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

impl WriteTx {
    /// Settles an operation as done with the issue it wrote (and the comment or milestone,
    /// if that is what it made), in the transaction that projects GitHub's answer into the
    /// mirror.
    pub async fn operation_done(
        &mut self,
        id: i64,
        issue_id: Option<i64>,
        result_id: Option<i64>,
    ) -> anyhow::Result<()> {
        sqlx::query("UPDATE write_operations SET status = $1, issue_id = COALESCE($2, issue_id), result_id = $3, error = NULL, updated_at = $4 WHERE id = $5")
            .bind(OperationStatus::Done.as_str())
            .bind(issue_id)
            .bind(result_id)
            .bind(now_text())
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }
}
