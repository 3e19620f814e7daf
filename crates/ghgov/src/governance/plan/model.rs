//! The plan's types: the objects a plan touches ([`Target`]), what it does to each
//! ([`Action`], [`Change`], [`FieldChange`]) and the [`Plan`] itself, serialized as JSON.

use crate::governance::desired::IssueKind;
use crate::governance::problems::Problem;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "object", rename_all = "snake_case")]
pub enum Target {
    Label { name: String },
    Milestone { title: String },
    Issue { key: String, kind: IssueKind },
    SubIssue { parent: String, child: String },
    Dependency { blocked: String, blocking: String },
}

impl Target {
    /// The kind's name in messages and the audit log.
    pub fn kind(&self) -> &'static str {
        match self {
            Target::Label { .. } => "label",
            Target::Milestone { .. } => "milestone",
            Target::Issue { .. } => "issue",
            Target::SubIssue { .. } => "sub_issue",
            Target::Dependency { .. } => "dependency",
        }
    }
    /// A stable name of the object (`epic/infra`, `epic/a <- epic/b`).
    pub fn key(&self) -> String {
        match self {
            Target::Label { name } => name.clone(),
            Target::Milestone { title } => title.clone(),
            Target::Issue { key, .. } => key.clone(),
            Target::SubIssue { parent, child } => format!("{parent} > {child}"),
            Target::Dependency { blocked, blocking } => format!("{blocked} < {blocking}"),
        }
    }
    /// Order of application: labels, milestones, epics, features, tasks, links.
    pub(super) fn rank(&self) -> u8 {
        match self {
            Target::Label { .. } => 0,
            Target::Milestone { .. } => 1,
            Target::Issue {
                kind: IssueKind::Epic,
                ..
            } => 2,
            Target::Issue {
                kind: IssueKind::Feature,
                ..
            } => 3,
            Target::Issue {
                kind: IssueKind::Task,
                ..
            } => 4,
            Target::SubIssue { .. } => 5,
            Target::Dependency { .. } => 6,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Update,
    Delete,
    Close,
}

impl Action {
    /// The name used in JSON, the journal and the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Close => "close",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub before: Value,
    pub after: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    #[serde(flatten)]
    pub target: Target,
    pub action: Action,
    /// For a create, every field of the new object (before is null).
    pub fields: Vec<FieldChange>,
    /// The existing object's number (issues, milestones) or id (labels).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<i64>,
    /// For an issue: what the apply of this change records as last written (the base the
    /// next plan tells drift by).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied: Option<AppliedFields>,
}

/// What ghgov last wrote to a governed issue, field by field (None: never recorded).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedFields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The body's generated part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub milestone: Option<String>,
    /// The labels the specification asked for (a person's removal of one is kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignees: Option<Vec<String>>,
}

/// What a plan does about a field changed on GitHub since the last apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftOutcome {
    /// The specification's value is written over GitHub's (`local_wins`, or
    /// `last_writer_wins` when the specification changed the field since the last apply).
    Written,
    /// GitHub's value stays (`remote_wins`, or `last_writer_wins` when only GitHub changed).
    Kept,
    /// Nothing is written; a person makes both sides agree (`manual`).
    Manual,
}

/// A governed field changed on GitHub since ghgov last wrote it, and different from what
/// the specification says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Drift {
    /// The issue's key.
    pub key: String,
    pub number: i64,
    pub field: String,
    /// What the last apply wrote.
    pub base: Value,
    /// What the specification says now.
    pub local: Value,
    /// What GitHub holds.
    pub remote: Value,
    pub strategy: crate::governance::config::ConflictStrategy,
    pub outcome: DriftOutcome,
}

impl Change {
    pub fn field(&self, name: &str) -> Option<&Value> {
        self.fields
            .iter()
            .find(|f| f.field == name)
            .map(|f| &f.after)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub repository: String,
    pub changes: Vec<Change>,
    pub to_add: usize,
    pub to_change: usize,
    pub to_destroy: usize,
    pub unchanged: usize,
    pub warnings: Vec<Problem>,
    /// Approval workflows (`epic_creation`, `milestone_changes`, `human_review`) this plan
    /// triggers.
    pub needs_approval: Vec<String>,
    /// Governed fields changed on GitHub since the last apply, and how each is settled.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drift: Vec<Drift>,
    /// The specification's `generation_metadata`, kept with the plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation_metadata: Option<Value>,
}
