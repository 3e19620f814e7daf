//! API tokens. Only a SHA-256 hash is stored; the token itself is shown once, at creation.

use super::{now_text, Store};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::Row;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    Read,
    Write,
    Admin,
}

impl Scope {
    pub fn parse(s: &str) -> Option<Scope> {
        match s {
            "read" => Some(Scope::Read),
            "write" => Some(Scope::Write),
            "admin" => Some(Scope::Admin),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
            Scope::Admin => "admin",
        }
    }
}

#[derive(Debug, Clone)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub scope: Scope,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl Store {
    /// Creates a token and returns it in clear (the only time it is ever visible).
    pub async fn create_token(&self, name: &str, scope: Scope) -> anyhow::Result<(i64, String)> {
        let mut bytes = [0u8; 24];
        rand::thread_rng().fill_bytes(&mut bytes);
        let token = format!("ghgov_{}", hex::encode(bytes));
        let row = sqlx::query("INSERT INTO api_tokens (name, token_hash, scope, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(name)
            .bind(hash_token(&token))
            .bind(scope.as_str())
            .bind(now_text())
            .fetch_one(&self.pool)
            .await?;
        Ok((row.get::<i64, _>(0), token))
    }

    /// The scope of a valid, unrevoked token.
    pub async fn check_token(&self, token: &str) -> anyhow::Result<Option<(i64, Scope)>> {
        let row = sqlx::query(
            "SELECT id, scope FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
        )
        .bind(hash_token(token))
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.and_then(|r| Scope::parse(&r.get::<String, _>(1)).map(|s| (r.get::<i64, _>(0), s))))
    }

    /// Id, scope and name (the principal) of a valid, unrevoked token.
    pub async fn authenticate(&self, token: &str) -> anyhow::Result<Option<(i64, Scope, String)>> {
        let row = sqlx::query(
            "SELECT id, scope, name FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
        )
        .bind(hash_token(token))
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.and_then(|r| {
            Scope::parse(&r.get::<String, _>(1))
                .map(|s| (r.get::<i64, _>(0), s, r.get::<String, _>(2)))
        }))
    }

    pub async fn touch_token(&self, id: i64) -> anyhow::Result<()> {
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(now_text())
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn list_tokens(&self) -> anyhow::Result<Vec<TokenRow>> {
        let rows = sqlx::query("SELECT id, name, scope, created_at, last_used_at, revoked_at FROM api_tokens ORDER BY id").fetch_all(&self.pool).await?;
        Ok(rows
            .iter()
            .map(|r| TokenRow {
                id: r.get(0),
                name: r.get(1),
                scope: Scope::parse(&r.get::<String, _>(2)).unwrap_or(Scope::Read),
                created_at: r.get(3),
                last_used_at: r.get(4),
                revoked_at: r.get(5),
            })
            .collect())
    }

    /// Revokes by id or by name; false when nothing matched.
    pub async fn revoke_token(&self, id_or_name: &str) -> anyhow::Result<bool> {
        let id: i64 = id_or_name.parse().unwrap_or(-1);
        let done = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE (id = $2 OR name = $3) AND revoked_at IS NULL")
            .bind(now_text())
            .bind(id)
            .bind(id_or_name)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
