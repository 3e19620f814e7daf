//! The versions of issues clients based their changes on (`issue_versions`) and the
//! conflicts a merge could not settle (`sync_conflicts`). See `ghgov::writer::merge`.

use super::{now_text, Store, WriteTx};

/// A conflict as stored. Values are JSON text (a string, a list, a number or null).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ConflictRow {
    pub id: i64,
    /// `issue`.
    pub entity: String,
    pub entity_id: i64,
    pub repository: String,
    pub field: String,
    pub base: Option<String>,
    pub local: Option<String>,
    pub remote: Option<String>,
    pub strategy: String,
    /// `open` or `resolved`.
    pub status: String,
    /// The write operation that found it.
    pub operation_id: Option<i64>,
    /// `local`, `remote` or `value`.
    pub resolution: Option<String>,
    pub resolved_by: Option<String>,
    pub created_at: String,
    pub resolved_at: Option<String>,
}

/// A conflict to record.
pub struct NewConflict<'a> {
    pub entity: &'a str,
    pub entity_id: i64,
    pub repository: &'a str,
    pub field: &'a str,
    pub base: Option<String>,
    pub local: Option<String>,
    pub remote: Option<String>,
    pub strategy: &'a str,
    pub operation_id: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct Snapshot {
    snapshot: String,
}

#[derive(sqlx::FromRow)]
struct NewId {
    id: i64,
}

#[derive(sqlx::FromRow)]
struct Total {
    total: i64,
}

const COLUMNS: &str = "id, entity, entity_id, repository, field, base, local, remote, strategy, status, operation_id, resolution, resolved_by, created_at, resolved_at";

/// Which conflicts to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictFilter {
    Open,
    Resolved,
    All,
}

impl Store {
    /// Keeps the fields of issue `issue_id` as a client saw them under `etag` (once).
    pub async fn save_issue_version(
        &self,
        issue_id: i64,
        etag: &str,
        snapshot: &str,
    ) -> anyhow::Result<()> {
        sqlx::query("INSERT INTO issue_versions (issue_id, etag, snapshot, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (issue_id, etag) DO NOTHING")
            .bind(issue_id)
            .bind(etag)
            .bind(snapshot)
            .bind(now_text())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The fields of issue `issue_id` as they were under `etag`, if a client read them.
    pub async fn issue_version(&self, issue_id: i64, etag: &str) -> anyhow::Result<Option<String>> {
        Ok(sqlx::query_as::<_, Snapshot>(
            "SELECT snapshot FROM issue_versions WHERE issue_id = $1 AND etag = $2",
        )
        .bind(issue_id)
        .bind(etag)
        .fetch_optional(&self.pool)
        .await?
        .map(|s| s.snapshot))
    }

    pub async fn conflict(&self, id: i64) -> anyhow::Result<Option<ConflictRow>> {
        Ok(sqlx::query_as::<_, ConflictRow>(&format!(
            "SELECT {COLUMNS} FROM sync_conflicts WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// A page of conflicts, newest first, with the total.
    pub async fn conflicts(
        &self,
        filter: ConflictFilter,
        limit: i64,
        offset: i64,
    ) -> anyhow::Result<(i64, Vec<ConflictRow>)> {
        let condition = match filter {
            ConflictFilter::Open => "WHERE status = 'open'",
            ConflictFilter::Resolved => "WHERE status = 'resolved'",
            ConflictFilter::All => "",
        };
        let total = sqlx::query_as::<_, Total>(&format!(
            "SELECT COUNT(*) AS total FROM sync_conflicts {condition}"
        ))
        .fetch_one(&self.pool)
        .await?
        .total;
        let rows = sqlx::query_as::<_, ConflictRow>(&format!(
            "SELECT {COLUMNS} FROM sync_conflicts {condition} ORDER BY id DESC LIMIT $1 OFFSET $2"
        ))
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        Ok((total, rows))
    }

    /// The conflicts a write operation found.
    pub async fn conflicts_of_operation(
        &self,
        operation_id: i64,
    ) -> anyhow::Result<Vec<ConflictRow>> {
        Ok(sqlx::query_as::<_, ConflictRow>(&format!(
            "SELECT {COLUMNS} FROM sync_conflicts WHERE operation_id = $1 ORDER BY id"
        ))
        .bind(operation_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Settles an open conflict; false when it was not open.
    pub async fn resolve_conflict(
        &self,
        id: i64,
        resolution: &str,
        by: &str,
    ) -> anyhow::Result<bool> {
        let done = sqlx::query("UPDATE sync_conflicts SET status = 'resolved', resolution = $1, resolved_by = $2, resolved_at = $3 WHERE id = $4 AND status = 'open'")
            .bind(resolution)
            .bind(by)
            .bind(now_text())
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}

impl WriteTx {
    /// Records a conflict in the transaction that records the rest of the change.
    pub async fn record_conflict(&mut self, c: NewConflict<'_>) -> anyhow::Result<i64> {
        let row = sqlx::query_as::<_, NewId>("INSERT INTO sync_conflicts (entity, entity_id, repository, field, base, local, remote, strategy, status, operation_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', $9, $10) RETURNING id")
            .bind(c.entity)
            .bind(c.entity_id)
            .bind(c.repository)
            .bind(c.field)
            .bind(c.base)
            .bind(c.local)
            .bind(c.remote)
            .bind(c.strategy)
            .bind(c.operation_id)
            .bind(now_text())
            .fetch_one(&mut *self.tx)
            .await?;
        Ok(row.id)
    }
}
