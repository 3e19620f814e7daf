//! The governance configuration (SPEC-FORMATS.md §1): the rules one organization/repository
//! sets once. Field names are fixed by that document; ghgov accepts more, never less.
//! Unknown fields are kept in `extra` maps so nothing a user wrote is silently dropped when
//! a configuration is stored and served back.

use crate::tracking::TrackingConfig;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// When an agent mapping gives no `escalation_rules.max_concurrent_tasks`.
pub const DEFAULT_MAX_CONCURRENT_TASKS: u32 = 10;
/// When an agent mapping gives no `auto_assignment_priority` (lower wins a tie).
pub const DEFAULT_ASSIGNMENT_PRIORITY: i64 = 100;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GovernanceConfig {
    pub organization: String,
    pub repository: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration_version: Option<String>,
    #[serde(default)]
    pub governance_rules: GovernanceRules,
    #[serde(default)]
    pub agent_service_mappings: BTreeMap<String, AgentMapping>,
    #[serde(default)]
    pub templates: Templates,
    #[serde(default)]
    pub label_configuration: LabelConfiguration,
    /// ghgov's addition: the status workflow (labels of the open states, transitions
    /// allowed); the defaults of `crate::tracking::Workflow` where it says nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking: Option<TrackingConfig>,
    /// ghgov's addition: how a field changed both by ghgov and on GitHub is settled
    /// (`sync.conflict_strategies`), for governance drift and the API's writes alike.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync: Option<SyncConfig>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl GovernanceConfig {
    /// The strategy that settles a conflict on `field` (see [`SyncConfig::strategy`]).
    pub fn conflict_strategy(&self, field: &str) -> ConflictStrategy {
        self.sync
            .as_ref()
            .map_or_else(|| default_strategy(field), |s| s.strategy(field))
    }
}

/// The `sync` section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SyncConfig {
    /// Field → strategy. Fields: `title`, `body` (for governed issues: the body's generated
    /// part), `state`, `status`, `milestone`. Labels and assignees are not listed: they
    /// always merge as sets (what either side added stays, what a person removed stays
    /// removed).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub conflict_strategies: BTreeMap<String, ConflictStrategy>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl SyncConfig {
    /// The configured strategy of `field`, else its default: `manual` for `title` and
    /// `body` (text is never lost), `last_writer_wins` for the rest.
    pub fn strategy(&self, field: &str) -> ConflictStrategy {
        self.conflict_strategies
            .get(field)
            .copied()
            .unwrap_or_else(|| default_strategy(field))
    }
}

/// The fields `sync.conflict_strategies` may name.
pub const CONFLICT_FIELDS: [&str; 5] = ["title", "body", "state", "status", "milestone"];

fn default_strategy(field: &str) -> ConflictStrategy {
    match field {
        "title" | "body" => ConflictStrategy::Manual,
        _ => ConflictStrategy::LastWriterWins,
    }
}

/// How a field changed on both sides (ghgov's side: the specification or an API write;
/// the other: GitHub, since ghgov last wrote it) is settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictStrategy {
    /// GitHub's value stays.
    RemoteWins,
    /// ghgov's value is written over GitHub's.
    LocalWins,
    /// The side that changed the field last wins.
    LastWriterWins,
    /// Nothing is written; a person settles it.
    Manual,
}

impl ConflictStrategy {
    pub fn as_str(self) -> &'static str {
        match self {
            ConflictStrategy::RemoteWins => "remote_wins",
            ConflictStrategy::LocalWins => "local_wins",
            ConflictStrategy::LastWriterWins => "last_writer_wins",
            ConflictStrategy::Manual => "manual",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GovernanceRules {
    #[serde(default)]
    pub epic_generation_rules: EpicGenerationRules,
    #[serde(default)]
    pub feature_generation_rules: FeatureGenerationRules,
    #[serde(default)]
    pub compliance_requirements: ComplianceRequirements,
    /// ghgov's addition: object kinds (`labels`, `milestones`, `issues`) this configuration
    /// owns outright. Only for those may a plan delete (labels, milestones) or close
    /// (issues) what the specification no longer names. Empty by default: nothing is ever
    /// removed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authoritative: Vec<String>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EpicGenerationRules {
    /// Epic category → epic template id.
    #[serde(default)]
    pub template_mapping: BTreeMap<String, String>,
    /// Epic category → agent services that may take its work.
    #[serde(default)]
    pub auto_assignment_rules: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub milestone_policies: MilestonePolicies,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MilestonePolicies {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_duration: Option<String>,
    #[serde(default = "yes")]
    pub auto_milestone_creation: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub milestone_naming_pattern: Option<String>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl Default for MilestonePolicies {
    fn default() -> Self {
        MilestonePolicies {
            default_duration: None,
            auto_milestone_creation: true,
            milestone_naming_pattern: None,
            extra: BTreeMap::new(),
        }
    }
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureGenerationRules {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_features_per_epic: Option<u32>,
    #[serde(default = "yes")]
    pub auto_task_breakdown: bool,
    /// Complexity (`simple`, `medium`, `complex`) → effort range such as "1-3 days".
    #[serde(default)]
    pub task_estimation_rules: BTreeMap<String, String>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl Default for FeatureGenerationRules {
    fn default() -> Self {
        FeatureGenerationRules {
            max_features_per_epic: None,
            auto_task_breakdown: true,
            task_estimation_rules: BTreeMap::new(),
            extra: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ComplianceRequirements {
    #[serde(default)]
    pub audit_trail_required: bool,
    /// `epic_creation`, `milestone_changes`.
    #[serde(default)]
    pub approval_workflows: Vec<String>,
    /// Body sections every issue must have: `acceptance_criteria`, `technical_specs`, …
    #[serde(default)]
    pub required_documentation: Vec<String>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AgentMapping {
    #[serde(default)]
    pub capabilities: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_assignment_priority: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalation_rules: Option<EscalationRules>,
    /// ghgov's addition: a GitHub login that work of this agent is also assigned to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub github_login: Option<String>,
    /// `specializations`, `testing_frameworks` and anything else, kept as written.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl AgentMapping {
    pub fn max_concurrent_tasks(&self) -> u32 {
        self.escalation_rules
            .as_ref()
            .and_then(|e| e.max_concurrent_tasks)
            .unwrap_or(DEFAULT_MAX_CONCURRENT_TASKS)
    }
    pub fn priority(&self) -> i64 {
        self.auto_assignment_priority
            .unwrap_or(DEFAULT_ASSIGNMENT_PRIORITY)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EscalationRules {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrent_tasks: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalation_threshold: Option<String>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Templates {
    #[serde(default)]
    pub epic_templates: Vec<Template>,
    #[serde(default)]
    pub feature_templates: Vec<Template>,
    /// ghgov's addition: templates for tasks, chosen like feature templates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub task_templates: Vec<Template>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Template {
    pub template_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title_pattern: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description_template: Option<String>,
    #[serde(default)]
    pub default_labels: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required_features: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_effort: Option<String>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LabelConfiguration {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epic_label: Option<LabelStyle>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feature_label: Option<LabelStyle>,
    /// ghgov's addition, like `epic_label` for the label named `task`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_label: Option<LabelStyle>,
    #[serde(default)]
    pub agent_labels: BTreeMap<String, LabelStyle>,
    /// ghgov's addition: styles for any other label by name (priority, category labels…).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, LabelStyle>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LabelStyle {
    /// Renames the label (`epic_label: {name: "type: epic"}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}
