//! Sync operations (one row per sync, for history and status) and sync cursors (where the
//! next incremental sync starts, and where an interrupted one resumes).

use super::{now_text, Store};
use serde::Serialize;

/// Where a sync operation stands. Stored, and shown by the API, as [`SyncStatus::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SyncStatus {
    Running,
    Completed,
    Failed,
    /// Left running by a process that stopped (marked at the next start).
    Interrupted,
}

impl SyncStatus {
    pub const ALL: [SyncStatus; 4] = [
        Self::Running,
        Self::Completed,
        Self::Failed,
        Self::Interrupted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Interrupted => "interrupted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SyncOperation {
    pub id: i64,
    pub sync_type: String,
    pub direction: String,
    pub repository: String,
    pub status: SyncStatus,
    pub started_at: String,
    pub completed_at: Option<String>,
    pub records_processed: i64,
    pub records_failed: i64,
    pub requests: i64,
    pub not_modified: i64,
    pub cursor: Option<String>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct SyncCursor {
    pub since: Option<String>,
    pub next_url: Option<String>,
    pub generation: i64,
}

/// A sync operation as stored, its status still text.
#[derive(sqlx::FromRow)]
struct StoredOperation {
    id: i64,
    sync_type: String,
    direction: String,
    repository: String,
    status: String,
    started_at: String,
    completed_at: Option<String>,
    records_processed: i64,
    records_failed: i64,
    requests: i64,
    not_modified: i64,
    cursor: Option<String>,
    error: Option<String>,
}

#[derive(sqlx::FromRow)]
struct Count {
    total: i64,
}

#[derive(sqlx::FromRow)]
struct NewId {
    id: i64,
}

/// A cursor as `all_cursors` lists it.
#[derive(sqlx::FromRow)]
struct ListedCursor {
    repository: String,
    resource: String,
    since: Option<String>,
    updated_at: Option<String>,
}

fn op(r: StoredOperation) -> anyhow::Result<SyncOperation> {
    let id = r.id;
    Ok(SyncOperation {
        id,
        sync_type: r.sync_type,
        direction: r.direction,
        repository: r.repository,
        status: SyncStatus::parse(&r.status).ok_or_else(|| {
            anyhow::anyhow!("sync operation {id} has the unknown status '{}'", r.status)
        })?,
        started_at: r.started_at,
        completed_at: r.completed_at,
        records_processed: r.records_processed,
        records_failed: r.records_failed,
        requests: r.requests,
        not_modified: r.not_modified,
        cursor: r.cursor,
        error: r.error,
    })
}

const OP_COLUMNS: &str = "id, sync_type, direction, repository, status, started_at, completed_at, records_processed, records_failed, requests, not_modified, cursor, error";

impl Store {
    pub async fn start_sync(&self, sync_type: &str, repository: &str) -> anyhow::Result<i64> {
        let row = sqlx::query_as::<_, NewId>("INSERT INTO sync_operations (sync_type, direction, repository, status, started_at) VALUES ($1, 'pull', $2, $3, $4) RETURNING id")
            .bind(sync_type)
            .bind(repository)
            .bind(SyncStatus::Running.as_str())
            .bind(now_text())
            .fetch_one(&self.pool)
            .await?;
        Ok(row.id)
    }

    /// Writes down where the mirror stands after an operation: the issues cursor it left.
    pub async fn record_sync_cursor(&self, id: i64, since: Option<String>) -> anyhow::Result<()> {
        sqlx::query("UPDATE sync_operations SET cursor = $1 WHERE id = $2")
            .bind(since)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn finish_sync(
        &self,
        id: i64,
        status: SyncStatus,
        processed: i64,
        failed: i64,
        requests: i64,
        not_modified: i64,
        error: Option<&str>,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "UPDATE sync_operations SET status = $1, completed_at = $2, records_processed = $3, records_failed = $4, requests = $5, not_modified = $6, error = $7 WHERE id = $8",
        )
        .bind(status.as_str())
        .bind(now_text())
        .bind(processed)
        .bind(failed)
        .bind(requests)
        .bind(not_modified)
        .bind(error)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn sync_operations(
        &self,
        repository: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> anyhow::Result<(Vec<SyncOperation>, i64)> {
        let (filter, arg) = match repository {
            Some(r) => ("WHERE repository = $3", r.to_string()),
            None => ("WHERE $3 = $3", String::new()),
        };
        let rows = sqlx::query_as::<_, StoredOperation>(&format!(
            "SELECT {OP_COLUMNS} FROM sync_operations {filter} ORDER BY id DESC LIMIT $1 OFFSET $2"
        ))
        .bind(limit)
        .bind(offset)
        .bind(&arg)
        .fetch_all(&self.pool)
        .await?;
        let total = sqlx::query_as::<_, Count>(&format!(
            "SELECT COUNT(*) AS total FROM sync_operations {}",
            filter.replace("$3", "$1")
        ))
        .bind(&arg)
        .fetch_one(&self.pool)
        .await?
        .total;
        Ok((
            rows.into_iter().map(op).collect::<anyhow::Result<_>>()?,
            total,
        ))
    }

    /// Marks syncs left `running` by a process that died as interrupted.
    pub async fn interrupt_stale_syncs(&self) -> anyhow::Result<()> {
        sqlx::query("UPDATE sync_operations SET status = $1, completed_at = $2 WHERE status = $3")
            .bind(SyncStatus::Interrupted.as_str())
            .bind(now_text())
            .bind(SyncStatus::Running.as_str())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn cursor(&self, repository: &str, resource: &str) -> anyhow::Result<SyncCursor> {
        Ok(sqlx::query_as::<_, SyncCursor>("SELECT since, next_url, generation FROM sync_cursors WHERE repository = $1 AND resource = $2")
            .bind(repository)
            .bind(resource)
            .fetch_optional(&self.pool)
            .await?
            .unwrap_or_default())
    }

    pub async fn all_cursors(
        &self,
    ) -> anyhow::Result<Vec<(String, String, Option<String>, Option<String>)>> {
        let rows = sqlx::query_as::<_, ListedCursor>("SELECT repository, resource, since, updated_at FROM sync_cursors ORDER BY repository, resource").fetch_all(&self.pool).await?;
        Ok(rows
            .into_iter()
            .map(|r| (r.repository, r.resource, r.since, r.updated_at))
            .collect())
    }
}

/// Writes a cursor inside the caller's transaction, so a page and its cursor commit together.
pub async fn save_cursor(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    repository: &str,
    resource: &str,
    cursor: &SyncCursor,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO sync_cursors (repository, resource, since, next_url, generation, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (repository, resource) DO UPDATE SET since = excluded.since, next_url = excluded.next_url, generation = excluded.generation, updated_at = excluded.updated_at",
    )
    .bind(repository)
    .bind(resource)
    .bind(&cursor.since)
    .bind(&cursor.next_url)
    .bind(cursor.generation)
    .bind(now_text())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_reads_back_from_its_stored_text() {
        for status in SyncStatus::ALL {
            assert_eq!(SyncStatus::parse(status.as_str()), Some(status));
            // The API shows the stored text.
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
        }
        assert_eq!(SyncStatus::parse("Completed"), None);
    }

    #[tokio::test]
    async fn an_unknown_stored_status_is_an_error_not_a_guess() {
        let dir = std::env::temp_dir().join(format!(
            "ghgov-sync-status-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let store = Store::open(&format!("sqlite://{}", dir.join("x.db").display()))
            .await
            .unwrap();
        let id = store.start_sync("full", "acme/widgets").await.unwrap();
        sqlx::query("UPDATE sync_operations SET status = 'paused' WHERE id = $1")
            .bind(id)
            .execute(&store.pool)
            .await
            .unwrap();
        let err = store.sync_operations(None, 10, 0).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("sync operation {id} has the unknown status 'paused'")
        );
        store.pool.close().await;
        std::fs::remove_dir_all(dir).unwrap();
    }
}
