//! The conditional-request cache, in the database so it survives restarts.

use super::{now_text, Store};

impl Store {
    pub async fn etag(&self, key: &str) -> anyhow::Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT etag FROM etags WHERE request_key = $1")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn save_etag(&self, key: &str, etag: &str) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO etags (request_key, etag, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (request_key) DO UPDATE SET etag = excluded.etag, updated_at = excluded.updated_at",
        )
        .bind(key)
        .bind(etag)
        .bind(now_text())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn delete_etag(&self, key: &str) -> anyhow::Result<()> {
        sqlx::query("DELETE FROM etags WHERE request_key = $1")
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
