//! API tokens. Only a SHA-256 hash is stored; the token itself is shown once, at creation.

use super::{now_text, Store};
use rand::RngCore;
use sha2::{Digest, Sha256};

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

/// A token as stored, its scope still text.
#[derive(sqlx::FromRow)]
struct StoredToken {
    id: i64,
    name: String,
    scope: String,
    created_at: String,
    last_used_at: Option<String>,
    revoked_at: Option<String>,
}

#[derive(sqlx::FromRow)]
struct ActiveToken {
    id: i64,
    scope: String,
    name: String,
}

#[derive(sqlx::FromRow)]
struct Revocation {
    revoked_at: Option<String>,
}

#[derive(sqlx::FromRow)]
struct NewId {
    id: i64,
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl Store {
    /// Creates a token and returns it in clear (the only time it is ever visible). Names are
    /// unique, revoked tokens included: a name is the principal the audit log records.
    pub async fn create_token(&self, name: &str, scope: Scope) -> anyhow::Result<(i64, String)> {
        let name = name.trim();
        if name.is_empty() {
            anyhow::bail!("a token needs a name (--name), such as dashboard or ci-bot");
        }
        let taken =
            sqlx::query_as::<_, Revocation>("SELECT revoked_at FROM api_tokens WHERE name = $1")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?;
        if let Some(Revocation {
            revoked_at: revoked,
        }) = taken
        {
            anyhow::bail!(
                "a token named '{name}' exists already{}; names are unique because the audit log records them: choose another name",
                revoked.map(|at| format!(" (revoked {at})")).unwrap_or_default()
            );
        }
        let mut bytes = [0u8; 24];
        rand::thread_rng().fill_bytes(&mut bytes);
        let token = format!("ghgov_{}", hex::encode(bytes));
        let row = sqlx::query_as::<_, NewId>("INSERT INTO api_tokens (name, token_hash, scope, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(name)
            .bind(hash_token(&token))
            .bind(scope.as_str())
            .bind(now_text())
            .fetch_one(&self.pool)
            .await
            .map_err(|e| anyhow::anyhow!("could not store the token '{name}' (is the name taken?): {e}"))?;
        Ok((row.id, token))
    }

    /// The scope of a valid, unrevoked token.
    pub async fn check_token(&self, token: &str) -> anyhow::Result<Option<(i64, Scope)>> {
        Ok(self
            .authenticate(token)
            .await?
            .map(|(id, scope, _)| (id, scope)))
    }

    /// Id, scope and name (the principal) of a valid, unrevoked token.
    pub async fn authenticate(&self, token: &str) -> anyhow::Result<Option<(i64, Scope, String)>> {
        let row = sqlx::query_as::<_, ActiveToken>(
            "SELECT id, scope, name FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
        )
        .bind(hash_token(token))
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.and_then(|r| Scope::parse(&r.scope).map(|s| (r.id, s, r.name))))
    }

    /// Records when tokens were last used (in one transaction, off the request path: see
    /// `api::usage`).
    pub async fn touch_tokens(&self, used: &[(i64, String)]) -> anyhow::Result<()> {
        if used.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        for (id, at) in used {
            // A later use recorded by another instance is kept.
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $1)")
                .bind(at)
                .bind(id)
                .execute(&mut **tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn list_tokens(&self) -> anyhow::Result<Vec<TokenRow>> {
        let rows = sqlx::query_as::<_, StoredToken>("SELECT id, name, scope, created_at, last_used_at, revoked_at FROM api_tokens ORDER BY id").fetch_all(&self.pool).await?;
        Ok(rows
            .into_iter()
            .map(|r| TokenRow {
                id: r.id,
                name: r.name,
                // An unknown stored scope grants the least.
                scope: Scope::parse(&r.scope).unwrap_or(Scope::Read),
                created_at: r.created_at,
                last_used_at: r.last_used_at,
                revoked_at: r.revoked_at,
            })
            .collect())
    }

    /// Revokes the token with exactly this name; false when no active token has it.
    pub async fn revoke_token(&self, name: &str) -> anyhow::Result<bool> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL",
        )
        .bind(now_text())
        .bind(name)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Revokes the token with this id; false when no active token has it.
    pub async fn revoke_token_id(&self, id: i64) -> anyhow::Result<bool> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(now_text())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }
}
