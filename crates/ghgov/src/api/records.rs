//! Schemas of the store's rows that answers carry as they are. The store crate has no
//! OpenAPI types, so these document the rows' shapes here; the API tests check every answer
//! against the document, so a row that changes shape fails them until this file follows.
//! (Never built: they exist for their schemas.)

#![allow(dead_code)]

use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

/// One sync of a repository, for history and status.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SyncOperation)]
pub struct SyncOperationSchema {
    id: i64,
    /// `full` or `incremental`.
    sync_type: String,
    direction: String,
    /// OWNER/NAME.
    repository: String,
    status: SyncStatus,
    started_at: String,
    completed_at: Option<String>,
    records_processed: i64,
    records_failed: i64,
    /// GitHub requests made.
    requests: i64,
    /// Requests GitHub answered 304 Not Modified.
    not_modified: i64,
    cursor: Option<String>,
    error: Option<String>,
}

/// Where a sync stands; `interrupted`: left running by a process that stopped.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SyncStatus {
    Running,
    Completed,
    Failed,
    Interrupted,
}

/// A stored webhook delivery (its payload is not shown).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Delivery)]
pub struct DeliverySchema {
    /// The row's id (for replay and discard).
    id: i64,
    /// GitHub's X-GitHub-Delivery.
    delivery_id: String,
    event: String,
    action: Option<String>,
    repository: Option<String>,
    received_at: String,
    processed_at: Option<String>,
    /// pending, processed, failed, ignored, dead or discarded.
    status: String,
    attempts: i64,
    next_attempt_at: Option<String>,
    error: Option<String>,
    /// When retention dropped the payload (the row and its metadata stay).
    payload_pruned_at: Option<String>,
}

/// A stored version of a repository's governance configuration.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ConfigVersion)]
pub struct ConfigVersionSchema {
    repository: String,
    version: i64,
    /// The configuration.
    #[schema(value_type = Object)]
    config: Value,
    actor: String,
    created_at: String,
    /// Top-level parts that differ from the previous version.
    changes: Vec<String>,
}

/// Where a plan stands.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    Planned,
    PendingApproval,
    Approved,
    Applying,
    Applied,
    Failed,
}

/// A stored plan.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PlanRecord)]
pub struct PlanRecordSchema {
    id: i64,
    repository: String,
    status: PlanStatus,
    /// The plan: its changes, as `generate` answered them.
    #[schema(value_type = Object)]
    plan: Value,
    config_version: Option<i64>,
    spec_digest: String,
    /// What needs an admin's approval before the plan may be applied.
    needs_approval: Vec<String>,
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

/// Where a journaled apply step stands; `intent`: about to be sent, or sent with no
/// recorded outcome.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum JournalStatus {
    Intent,
    Done,
    Failed,
}

/// One step of applying a plan.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = JournalStep)]
pub struct JournalStepSchema {
    step: i64,
    object_key: String,
    action: String,
    method: String,
    path: String,
    status: JournalStatus,
    result_id: Option<i64>,
    error: Option<String>,
    created_at: String,
    completed_at: Option<String>,
}

/// An entry of the audit trail.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AuditEntry)]
pub struct AuditEntrySchema {
    id: i64,
    repository: Option<String>,
    actor: String,
    action: String,
    object_kind: String,
    object_key: String,
    /// The object before the action (any JSON).
    before: Option<Value>,
    /// The object after the action (any JSON).
    after: Option<Value>,
    correlation_id: String,
    at: String,
}
