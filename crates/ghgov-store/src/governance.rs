//! Storage of the governance engine: configuration versions, plans and their approval,
//! the apply journal, the key table and the audit trail.

use super::{now_text, Store, WriteTx};
use anyhow::Context;
use serde::Serialize;
use serde_json::Value;
use sqlx::FromRow;
use std::collections::HashMap;

#[derive(Debug, Clone, Serialize)]
pub struct ConfigVersion {
    pub repository: String,
    pub version: i64,
    pub config: Value,
    pub actor: String,
    pub created_at: String,
    /// Top-level parts that differ from the previous version.
    pub changes: Vec<String>,
}

/// A stored configuration version, its JSON columns still text.
#[derive(FromRow)]
struct ConfigRecord {
    repository: String,
    version: i64,
    config: String,
    actor: String,
    created_at: String,
    changes: String,
}

const CONFIG_COLUMNS: &str = "repository, version, config, actor, created_at, changes";

impl ConfigRecord {
    fn parse(self) -> anyhow::Result<ConfigVersion> {
        Ok(ConfigVersion {
            repository: self.repository,
            version: self.version,
            config: serde_json::from_str(&self.config)?,
            actor: self.actor,
            created_at: self.created_at,
            changes: serde_json::from_str(&self.changes)?,
        })
    }
}

/// The top-level fields (and `governance_rules.*` parts) in which two configurations differ.
pub fn config_changes(before: Option<&Value>, after: &Value) -> Vec<String> {
    let Some(before) = before else {
        return vec!["(first version)".into()];
    };
    let mut keys: Vec<String> = Vec::new();
    let empty = serde_json::Map::new();
    let b = before.as_object().unwrap_or(&empty);
    let a = after.as_object().unwrap_or(&empty);
    let mut names: Vec<&String> = b.keys().chain(a.keys()).collect();
    names.sort();
    names.dedup();
    for name in names {
        if b.get(name) == a.get(name) {
            continue;
        }
        match (b.get(name), a.get(name)) {
            (Some(Value::Object(bo)), Some(Value::Object(ao))) if name == "governance_rules" => {
                let mut inner: Vec<&String> = bo.keys().chain(ao.keys()).collect();
                inner.sort();
                inner.dedup();
                keys.extend(
                    inner
                        .into_iter()
                        .filter(|k| bo.get(*k) != ao.get(*k))
                        .map(|k| format!("{name}.{k}")),
                );
            }
            _ => keys.push(name.clone()),
        }
    }
    keys
}

/// Where a plan stands. Stored, and shown by the API, as [`PlanStatus::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    /// Ready to apply, no approval needed.
    Planned,
    PendingApproval,
    Approved,
    Applying,
    Applied,
    Failed,
}

impl PlanStatus {
    pub const ALL: [PlanStatus; 6] = [
        PlanStatus::Planned,
        PlanStatus::PendingApproval,
        PlanStatus::Approved,
        PlanStatus::Applying,
        PlanStatus::Applied,
        PlanStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PlanStatus::Planned => "planned",
            PlanStatus::PendingApproval => "pending_approval",
            PlanStatus::Approved => "approved",
            PlanStatus::Applying => "applying",
            PlanStatus::Applied => "applied",
            PlanStatus::Failed => "failed",
        }
    }
    pub fn parse(s: &str) -> Option<PlanStatus> {
        PlanStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// Where a journaled apply step stands. Stored, and shown by the API, as
/// [`JournalStatus::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JournalStatus {
    /// About to be sent, or sent with no recorded outcome (a crash in between).
    Intent,
    Done,
    Failed,
}

impl JournalStatus {
    pub const ALL: [JournalStatus; 3] = [
        JournalStatus::Intent,
        JournalStatus::Done,
        JournalStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JournalStatus::Intent => "intent",
            JournalStatus::Done => "done",
            JournalStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<JournalStatus> {
        JournalStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct PlanRow {
    pub id: i64,
    pub repository: String,
    pub status: PlanStatus,
    pub plan: Value,
    pub config_version: Option<i64>,
    pub spec_digest: String,
    pub needs_approval: Vec<String>,
    pub created_by: String,
    pub created_at: String,
    pub approved_by: Option<String>,
    pub approved_at: Option<String>,
    pub updated_at: String,
    pub adds: i64,
    pub changes: i64,
    pub destroys: i64,
    pub error: Option<String>,
}

/// A stored plan, its status, body and approvals still text.
#[derive(FromRow)]
struct PlanRecord {
    id: i64,
    repository: String,
    status: String,
    plan: String,
    config_version: Option<i64>,
    spec_digest: String,
    needs_approval: String,
    created_by: String,
    created_at: String,
    approved_by: Option<String>,
    approved_at: Option<String>,
    updated_at: String,
    adds: i64,
    changes: i64,
    destroys: i64,
    error: Option<String>,
}

const PLAN_COLUMNS: &str = "id, repository, status, plan, config_version, spec_digest, needs_approval, created_by, created_at, approved_by, approved_at, updated_at, adds, changes, destroys, error";

impl PlanRecord {
    fn parse(self) -> anyhow::Result<PlanRow> {
        let id = self.id;
        let status = self.status;
        Ok(PlanRow {
            id,
            repository: self.repository,
            status: PlanStatus::parse(&status)
                .ok_or_else(|| anyhow::anyhow!("plan {id} has the unknown status '{status}'"))?,
            plan: serde_json::from_str(&self.plan)?,
            config_version: self.config_version,
            spec_digest: self.spec_digest,
            needs_approval: self
                .needs_approval
                .split(',')
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
            created_by: self.created_by,
            created_at: self.created_at,
            approved_by: self.approved_by,
            approved_at: self.approved_at,
            updated_at: self.updated_at,
            adds: self.adds,
            changes: self.changes,
            destroys: self.destroys,
            error: self.error,
        })
    }
}

pub struct NewPlan<'a> {
    pub repository: &'a str,
    pub plan: &'a Value,
    pub config_version: Option<i64>,
    pub spec_digest: &'a str,
    pub needs_approval: &'a [String],
    pub created_by: &'a str,
    pub counts: (i64, i64, i64),
}

/// Why an approval was refused.
#[derive(Debug, thiserror::Error)]
pub enum ApprovalError {
    #[error("there is no plan {0}")]
    NotFound(i64),
    #[error("plan {id} is {status}, not waiting for approval")]
    NotPending { id: i64, status: &'static str },
    #[error("plan {id} was created by {creator}; it must be approved by a different principal")]
    SamePrincipal { id: i64, creator: String },
    #[error(transparent)]
    Store(#[from] anyhow::Error),
}

#[derive(Debug, Clone, Serialize)]
pub struct JournalRow {
    pub step: i64,
    pub object_key: String,
    pub action: String,
    pub method: String,
    pub path: String,
    pub status: JournalStatus,
    pub result_id: Option<i64>,
    pub error: Option<String>,
    pub created_at: String,
    pub completed_at: Option<String>,
}

/// A stored journal step, its status still text.
#[derive(FromRow)]
struct JournalRecord {
    step: i64,
    object_key: String,
    action: String,
    method: String,
    path: String,
    status: String,
    result_id: Option<i64>,
    error: Option<String>,
    created_at: String,
    completed_at: Option<String>,
}

impl JournalRecord {
    fn parse(self, plan_id: i64) -> anyhow::Result<JournalRow> {
        let step = self.step;
        let status = self.status;
        Ok(JournalRow {
            step,
            object_key: self.object_key,
            action: self.action,
            method: self.method,
            path: self.path,
            status: JournalStatus::parse(&status).ok_or_else(|| {
                anyhow::anyhow!(
                    "step {step} of plan {plan_id}'s journal has the unknown status '{status}'"
                )
            })?,
            result_id: self.result_id,
            error: self.error,
            created_at: self.created_at,
            completed_at: self.completed_at,
        })
    }
}

pub struct Intent<'a> {
    pub plan_id: i64,
    pub step: i64,
    pub object_key: &'a str,
    pub action: &'a str,
    pub method: &'a str,
    pub path: &'a str,
    pub request: &'a Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub repository: Option<String>,
    pub actor: String,
    pub action: String,
    pub object_kind: String,
    pub object_key: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub correlation_id: String,
    pub at: String,
}

/// A stored audit entry, its states still JSON text.
#[derive(FromRow)]
struct AuditRecord {
    id: i64,
    repository: Option<String>,
    actor: String,
    action: String,
    object_kind: String,
    object_key: String,
    before_state: Option<String>,
    after_state: Option<String>,
    correlation_id: String,
    at: String,
}

impl AuditRecord {
    fn parse(self) -> anyhow::Result<AuditEntry> {
        let parse = |s: Option<String>| -> anyhow::Result<Option<Value>> {
            s.map(|s| serde_json::from_str(&s))
                .transpose()
                .map_err(Into::into)
        };
        Ok(AuditEntry {
            id: self.id,
            repository: self.repository,
            actor: self.actor,
            action: self.action,
            object_kind: self.object_kind,
            object_key: self.object_key,
            before: parse(self.before_state)?,
            after: parse(self.after_state)?,
            correlation_id: self.correlation_id,
            at: self.at,
        })
    }
}

#[derive(FromRow)]
struct RequestRecord {
    object_key: String,
    request: String,
}

#[derive(FromRow)]
struct AppliedRecord {
    issue_key: String,
    applied: String,
}

#[derive(FromRow)]
struct KeyRecord {
    issue_key: String,
    issue_id: i64,
    issue_number: i64,
}

pub struct NewAudit<'a> {
    pub repository: Option<&'a str>,
    pub actor: &'a str,
    pub action: &'a str,
    pub object_kind: &'a str,
    pub object_key: &'a str,
    pub before: Option<&'a Value>,
    pub after: Option<&'a Value>,
    pub correlation_id: &'a str,
}

fn json_text(v: Option<&Value>) -> Option<String> {
    v.map(|v| v.to_string())
}

impl Store {
    /// Stores `config` as the repository's newest version, unless it equals the newest
    /// already stored. Returns the version that holds it.
    pub async fn save_config(
        &self,
        repository: &str,
        config: &Value,
        actor: &str,
    ) -> anyhow::Result<ConfigVersion> {
        let repository = repository.to_ascii_lowercase();
        let mut tx = self.begin_write().await?;
        let latest = sqlx::query_as::<_, ConfigRecord>(&format!(
            "SELECT {CONFIG_COLUMNS} FROM governance_configs WHERE repository = $1 ORDER BY version DESC LIMIT 1"
        ))
        .bind(&repository)
        .fetch_optional(&mut **tx)
        .await?
        .map(ConfigRecord::parse)
        .transpose()?;
        if let Some(l) = &latest {
            if &l.config == config {
                return Ok(l.clone());
            }
        }
        let version = latest.as_ref().map_or(1, |l| l.version + 1);
        let changes = config_changes(latest.as_ref().map(|l| &l.config), config);
        let now = now_text();
        sqlx::query("INSERT INTO governance_configs (repository, version, config, actor, created_at, changes) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&repository)
            .bind(version)
            .bind(config.to_string())
            .bind(actor)
            .bind(&now)
            .bind(serde_json::to_string(&changes)?)
            .execute(&mut **tx)
            .await?;
        audit(
            &mut tx,
            NewAudit {
                repository: Some(&repository),
                actor,
                action: "config.save",
                object_kind: "governance_config",
                object_key: &format!("{repository}@{version}"),
                before: latest.as_ref().map(|l| &l.config),
                after: Some(config),
                correlation_id: &format!("config-{repository}-{version}"),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(ConfigVersion {
            repository,
            version,
            config: config.clone(),
            actor: actor.into(),
            created_at: now,
            changes,
        })
    }

    pub async fn latest_config(&self, repository: &str) -> anyhow::Result<Option<ConfigVersion>> {
        sqlx::query_as::<_, ConfigRecord>(&format!("SELECT {CONFIG_COLUMNS} FROM governance_configs WHERE repository = $1 ORDER BY version DESC LIMIT 1"))
            .bind(repository.to_ascii_lowercase())
            .fetch_optional(&self.pool)
            .await?
            .map(ConfigRecord::parse)
            .transpose()
    }

    pub async fn config_version(
        &self,
        repository: &str,
        version: i64,
    ) -> anyhow::Result<Option<ConfigVersion>> {
        sqlx::query_as::<_, ConfigRecord>(&format!("SELECT {CONFIG_COLUMNS} FROM governance_configs WHERE repository = $1 AND version = $2"))
            .bind(repository.to_ascii_lowercase())
            .bind(version)
            .fetch_optional(&self.pool)
            .await?
            .map(ConfigRecord::parse)
            .transpose()
    }

    /// Every version, newest first.
    pub async fn config_versions(&self, repository: &str) -> anyhow::Result<Vec<ConfigVersion>> {
        sqlx::query_as::<_, ConfigRecord>(&format!("SELECT {CONFIG_COLUMNS} FROM governance_configs WHERE repository = $1 ORDER BY version DESC"))
            .bind(repository.to_ascii_lowercase())
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(ConfigRecord::parse)
            .collect()
    }

    pub async fn create_plan(&self, p: NewPlan<'_>) -> anyhow::Result<PlanRow> {
        let status = if p.needs_approval.is_empty() {
            PlanStatus::Planned
        } else {
            PlanStatus::PendingApproval
        };
        let now = now_text();
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar("INSERT INTO governance_plans (repository, status, plan, config_version, spec_digest, needs_approval, created_by, created_at, updated_at, adds, changes, destroys) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10, $11) RETURNING id")
            .bind(p.repository.to_ascii_lowercase())
            .bind(status.as_str())
            .bind(p.plan.to_string())
            .bind(p.config_version)
            .bind(p.spec_digest)
            .bind(p.needs_approval.join(","))
            .bind(p.created_by)
            .bind(&now)
            .bind(p.counts.0)
            .bind(p.counts.1)
            .bind(p.counts.2)
            .fetch_one(&mut **tx)
            .await?;
        audit(
            &mut tx,
            NewAudit {
                repository: Some(p.repository),
                actor: p.created_by,
                action: "plan.create",
                object_kind: "governance_plan",
                object_key: &id.to_string(),
                before: None,
                after: Some(&serde_json::json!({"status": status.as_str(), "add": p.counts.0, "change": p.counts.1, "destroy": p.counts.2, "needs_approval": p.needs_approval})),
                correlation_id: &format!("plan-{id}"),
            },
        )
        .await?;
        tx.commit().await?;
        self.plan(id)
            .await?
            .context("a plan vanished right after it was stored")
    }

    pub async fn plan(&self, id: i64) -> anyhow::Result<Option<PlanRow>> {
        sqlx::query_as::<_, PlanRecord>(&format!(
            "SELECT {PLAN_COLUMNS} FROM governance_plans WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .map(PlanRecord::parse)
        .transpose()
    }

    /// Plans of a repository, newest first (without their bodies' details trimmed).
    pub async fn plans(&self, repository: &str, limit: i64) -> anyhow::Result<Vec<PlanRow>> {
        sqlx::query_as::<_, PlanRecord>(&format!(
            "SELECT {PLAN_COLUMNS} FROM governance_plans WHERE repository = $1 ORDER BY id DESC LIMIT $2"
        ))
        .bind(repository.to_ascii_lowercase())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(PlanRecord::parse)
        .collect()
    }

    /// A plan of the same repository made after `id` and applied (in part or in full): it
    /// makes plan `id` stale.
    pub async fn newer_applied_plan(
        &self,
        repository: &str,
        id: i64,
    ) -> anyhow::Result<Option<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM governance_plans WHERE repository = $1 AND id > $2 AND status IN ($3, $4, $5) ORDER BY id LIMIT 1",
        )
        .bind(repository.to_ascii_lowercase())
        .bind(id)
        .bind(PlanStatus::Applying.as_str())
        .bind(PlanStatus::Applied.as_str())
        .bind(PlanStatus::Failed.as_str())
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn set_plan_status(
        &self,
        id: i64,
        status: PlanStatus,
        error: Option<&str>,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "UPDATE governance_plans SET status = $1, error = $2, updated_at = $3 WHERE id = $4",
        )
        .bind(status.as_str())
        .bind(error)
        .bind(now_text())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Approves a pending plan. The creator may not approve their own plan (four eyes).
    pub async fn approve_plan(&self, id: i64, approver: &str) -> Result<PlanRow, ApprovalError> {
        let mut tx = self.begin_write().await.map_err(anyhow::Error::from)?;
        let row = sqlx::query_as::<_, PlanRecord>(&format!(
            "SELECT {PLAN_COLUMNS} FROM governance_plans WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
        .map_err(anyhow::Error::from)?
        .map(PlanRecord::parse)
        .transpose()?
        .ok_or(ApprovalError::NotFound(id))?;
        if row.status != PlanStatus::PendingApproval {
            return Err(ApprovalError::NotPending {
                id,
                status: row.status.as_str(),
            });
        }
        if row.created_by == approver {
            return Err(ApprovalError::SamePrincipal {
                id,
                creator: row.created_by,
            });
        }
        let now = now_text();
        sqlx::query("UPDATE governance_plans SET status = $1, approved_by = $2, approved_at = $3, updated_at = $3 WHERE id = $4 AND status = $5")
            .bind(PlanStatus::Approved.as_str())
            .bind(approver)
            .bind(&now)
            .bind(id)
            .bind(PlanStatus::PendingApproval.as_str())
            .execute(&mut **tx)
            .await
            .map_err(anyhow::Error::from)?;
        audit(
            &mut tx,
            NewAudit {
                repository: Some(&row.repository),
                actor: approver,
                action: "plan.approve",
                object_kind: "governance_plan",
                object_key: &id.to_string(),
                before: Some(&serde_json::json!({"status": PlanStatus::PendingApproval})),
                after: Some(&serde_json::json!({"status": PlanStatus::Approved, "needs_approval": row.needs_approval})),
                correlation_id: &format!("plan-{id}"),
            },
        )
        .await?;
        tx.commit().await.map_err(anyhow::Error::from)?;
        self.plan(id).await?.ok_or(ApprovalError::NotFound(id))
    }

    pub async fn journal(&self, plan_id: i64) -> anyhow::Result<Vec<JournalRow>> {
        sqlx::query_as::<_, JournalRecord>("SELECT step, object_key, action, method, path, status, result_id, error, created_at, completed_at FROM governance_journal WHERE plan_id = $1 ORDER BY step")
            .bind(plan_id)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|r| r.parse(plan_id))
            .collect()
    }

    /// Records that a write is about to be sent. Committed before the request goes out.
    pub async fn journal_intent(&self, i: Intent<'_>) -> anyhow::Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO governance_journal (plan_id, step, object_key, action, method, path, request, status, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (plan_id, step) DO UPDATE SET status = excluded.status, method = excluded.method, path = excluded.path, request = excluded.request, error = NULL, completed_at = NULL")
            .bind(i.plan_id)
            .bind(i.step)
            .bind(i.object_key)
            .bind(i.action)
            .bind(i.method)
            .bind(i.path)
            .bind(i.request.to_string())
            .bind(JournalStatus::Intent.as_str())
            .bind(now_text())
            .execute(&mut **tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn journal_failed(&self, plan_id: i64, step: i64, error: &str) -> anyhow::Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE governance_journal SET status = $1, error = $2, completed_at = $3 WHERE plan_id = $4 AND step = $5")
            .bind(JournalStatus::Failed.as_str())
            .bind(error)
            .bind(now_text())
            .bind(plan_id)
            .bind(step)
            .execute(&mut **tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn issue_keys(
        &self,
        repository: &str,
    ) -> anyhow::Result<HashMap<String, (i64, i64)>> {
        Ok(sqlx::query_as::<_, KeyRecord>(
            "SELECT issue_key, issue_id, issue_number FROM governance_keys WHERE repository = $1",
        )
        .bind(repository.to_ascii_lowercase())
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|r| (r.issue_key, (r.issue_id, r.issue_number)))
        .collect())
    }

    /// What the last apply wrote to each governed issue of `repository`, by key (the JSON
    /// `save_applied` stored); issues without a record are left out.
    pub async fn applied_records(
        &self,
        repository: &str,
    ) -> anyhow::Result<HashMap<String, Value>> {
        sqlx::query_as::<_, AppliedRecord>(
            "SELECT issue_key, applied FROM governance_keys WHERE repository = $1 AND applied IS NOT NULL",
        )
        .bind(repository.to_ascii_lowercase())
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|r| Ok((r.issue_key, serde_json::from_str(&r.applied)?)))
        .collect()
    }

    /// The request bodies of the issue writes the applies of `repository`'s plans completed,
    /// oldest first, with the key of the issue each was about: what an apply wrote before
    /// `applied` records were kept (migration 0010).
    pub async fn applied_issue_requests(
        &self,
        repository: &str,
    ) -> anyhow::Result<Vec<(String, Value)>> {
        sqlx::query_as::<_, RequestRecord>(
            "SELECT j.object_key, j.request FROM governance_journal j JOIN governance_plans p ON p.id = j.plan_id \
             WHERE p.repository = $1 AND j.status = $2 AND j.action IN ('create', 'update') \
             AND j.method IN ('POST', 'PATCH') AND j.path LIKE '%/issues%' ORDER BY j.id",
        )
        .bind(repository.to_ascii_lowercase())
        .bind(JournalStatus::Done.as_str())
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|r| Ok((r.object_key, serde_json::from_str(&r.request)?)))
        .collect()
    }

    pub async fn audit_entries(
        &self,
        repository: Option<&str>,
        correlation_id: Option<&str>,
        limit: i64,
    ) -> anyhow::Result<Vec<AuditEntry>> {
        sqlx::query_as::<_, AuditRecord>(
            "SELECT id, repository, actor, action, object_kind, object_key, before_state, after_state, correlation_id, at FROM audit_log \
             WHERE (CAST($1 AS TEXT) IS NULL OR repository = $1) AND (CAST($2 AS TEXT) IS NULL OR correlation_id = $2) ORDER BY id DESC LIMIT $3",
        )
        .bind(repository.map(|r| r.to_ascii_lowercase()))
        .bind(correlation_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(AuditRecord::parse)
        .collect()
    }
}

/// Completes a journaled step inside the transaction that also records its effects.
pub async fn journal_done(
    tx: &mut WriteTx,
    plan_id: i64,
    step: i64,
    result_id: Option<i64>,
) -> anyhow::Result<()> {
    sqlx::query("UPDATE governance_journal SET status = $1, result_id = $2, error = NULL, completed_at = $3 WHERE plan_id = $4 AND step = $5")
        .bind(JournalStatus::Done.as_str())
        .bind(result_id)
        .bind(now_text())
        .bind(plan_id)
        .bind(step)
        .execute(&mut ***tx)
        .await?;
    Ok(())
}

/// Records which issue carries `key`.
pub async fn save_key(
    tx: &mut WriteTx,
    repository: &str,
    key: &str,
    issue_id: i64,
    issue_number: i64,
    plan_id: Option<i64>,
) -> anyhow::Result<()> {
    sqlx::query("INSERT INTO governance_keys (repository, issue_key, issue_id, issue_number, plan_id, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (repository, issue_key) DO UPDATE SET issue_id = excluded.issue_id, issue_number = excluded.issue_number, plan_id = excluded.plan_id, updated_at = excluded.updated_at")
        .bind(repository.to_ascii_lowercase())
        .bind(key)
        .bind(issue_id)
        .bind(issue_number)
        .bind(plan_id)
        .bind(now_text())
        .execute(&mut ***tx)
        .await?;
    Ok(())
}

/// Records what an apply wrote to the issue carrying `key` (after `save_key`).
pub async fn save_applied(
    tx: &mut WriteTx,
    repository: &str,
    key: &str,
    applied: &Value,
) -> anyhow::Result<()> {
    sqlx::query("UPDATE governance_keys SET applied = $1 WHERE repository = $2 AND issue_key = $3")
        .bind(applied.to_string())
        .bind(repository.to_ascii_lowercase())
        .bind(key)
        .execute(&mut ***tx)
        .await?;
    Ok(())
}

pub async fn audit(tx: &mut WriteTx, a: NewAudit<'_>) -> anyhow::Result<()> {
    sqlx::query("INSERT INTO audit_log (repository, actor, action, object_kind, object_key, before_state, after_state, correlation_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
        .bind(a.repository.map(|r| r.to_ascii_lowercase()))
        .bind(a.actor)
        .bind(a.action)
        .bind(a.object_kind)
        .bind(a.object_key)
        .bind(json_text(a.before))
        .bind(json_text(a.after))
        .bind(a.correlation_id)
        .bind(now_text())
        .execute(&mut ***tx)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_reads_back_from_its_stored_text() {
        for status in PlanStatus::ALL {
            assert_eq!(PlanStatus::parse(status.as_str()), Some(status));
            // The API shows the stored text.
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
        }
        for status in JournalStatus::ALL {
            assert_eq!(JournalStatus::parse(status.as_str()), Some(status));
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
        }
        assert_eq!(PlanStatus::parse("pending"), None);
        assert_eq!(JournalStatus::parse("Done"), None);
    }

    #[tokio::test]
    async fn an_unknown_stored_status_is_an_error_not_a_guess() {
        let dir = std::env::temp_dir().join(format!(
            "ghgov-plan-status-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let store = Store::open(&format!("sqlite://{}", dir.join("x.db").display()))
            .await
            .unwrap();
        let plan = store
            .create_plan(NewPlan {
                repository: "acme/widgets",
                plan: &serde_json::json!({}),
                config_version: None,
                spec_digest: "digest",
                needs_approval: &[],
                created_by: "alice",
                counts: (0, 0, 0),
            })
            .await
            .unwrap();
        store
            .journal_intent(Intent {
                plan_id: plan.id,
                step: 0,
                object_key: "label:bug",
                action: "create",
                method: "POST",
                path: "/repos/acme/widgets/labels",
                request: &serde_json::json!({}),
            })
            .await
            .unwrap();
        for table in ["governance_plans", "governance_journal"] {
            sqlx::query(&format!("UPDATE {table} SET status = 'paused'"))
                .execute(&store.pool)
                .await
                .unwrap();
        }
        let id = plan.id;
        assert_eq!(
            store.plan(id).await.unwrap_err().to_string(),
            format!("plan {id} has the unknown status 'paused'")
        );
        assert_eq!(
            store.journal(id).await.unwrap_err().to_string(),
            format!("step 0 of plan {id}'s journal has the unknown status 'paused'")
        );
        store.pool.close().await;
        std::fs::remove_dir_all(dir).unwrap();
    }
}
