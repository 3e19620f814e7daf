//! What a sync reads back from the mirror to decide its next requests.

use crate::Store;
use sqlx::FromRow;

/// An issue whose sub-issues or dependencies must be fetched again.
#[derive(Debug, Clone, FromRow)]
pub struct DirtyIssue {
    pub id: i64,
    pub number: i64,
    pub sub_issues_total: i64,
    pub blocked_by_total: i64,
}

/// An issue a full listing did not show.
#[derive(Debug, Clone, FromRow)]
pub struct UnseenIssue {
    pub id: i64,
    pub number: i64,
}

impl Store {
    /// Issues of the repository flagged for a relations refresh, by number.
    pub async fn dirty_issues(&self, repo_id: i64) -> anyhow::Result<Vec<DirtyIssue>> {
        Ok(sqlx::query_as::<_, DirtyIssue>("SELECT id, number, sub_issues_total, blocked_by_total FROM issues WHERE repository_id = $1 AND relations_dirty = 1 ORDER BY number")
            .bind(repo_id)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Issues of the repository that the full listing of `generation` did not see.
    pub async fn issues_unseen(
        &self,
        repo_id: i64,
        generation: i64,
    ) -> anyhow::Result<Vec<UnseenIssue>> {
        Ok(sqlx::query_as::<_, UnseenIssue>(
            "SELECT id, number FROM issues WHERE repository_id = $1 AND seen_generation <> $2",
        )
        .bind(repo_id)
        .bind(generation)
        .fetch_all(&self.pool)
        .await?)
    }
}
