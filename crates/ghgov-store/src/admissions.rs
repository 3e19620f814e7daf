//! Repositories an admin admitted to the mirrored set at run time (see `mirror::scope`).

use super::governance::{audit, NewAudit};
use super::{now_text, Store};

impl Store {
    pub async fn is_admitted(&self, full_name: &str) -> anyhow::Result<bool> {
        Ok(
            sqlx::query("SELECT 1 FROM admitted_repositories WHERE full_name_lc = $1")
                .bind(full_name.to_ascii_lowercase())
                .fetch_optional(&self.pool)
                .await?
                .is_some(),
        )
    }

    pub async fn admitted_repositories(&self) -> anyhow::Result<Vec<String>> {
        Ok(
            sqlx::query_scalar("SELECT full_name FROM admitted_repositories ORDER BY full_name_lc")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// Names of the repositories the mirror holds.
    pub async fn mirrored_repository_names(&self) -> anyhow::Result<Vec<String>> {
        Ok(
            sqlx::query_scalar("SELECT full_name FROM repositories ORDER BY full_name_lc")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// Admits `full_name`, with an audit row in the same transaction; false when it was
    /// admitted already (nothing is written then).
    pub async fn admit_repository(&self, full_name: &str, actor: &str) -> anyhow::Result<bool> {
        let mut tx = self.begin_write().await?;
        let fresh = sqlx::query(
            "INSERT INTO admitted_repositories (full_name_lc, full_name, admitted_by, admitted_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (full_name_lc) DO NOTHING RETURNING full_name_lc",
        )
        .bind(full_name.to_ascii_lowercase())
        .bind(full_name)
        .bind(actor)
        .bind(now_text())
        .fetch_optional(&mut **tx)
        .await?
        .is_some();
        if fresh {
            let correlation = format!("admit-{}", uuid::Uuid::new_v4().simple());
            audit(
                &mut tx,
                NewAudit {
                    repository: Some(full_name),
                    actor,
                    action: "admit",
                    object_kind: "repository",
                    object_key: full_name,
                    before: None,
                    after: Some(&serde_json::json!({"mirrored": true})),
                    correlation_id: &correlation,
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(fresh)
    }
}
