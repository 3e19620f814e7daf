//! The project specification (SPEC-FORMATS.md §2): what to build. This is the YAML/JSON
//! shape; the Markdown form (see `markdown/`) is parsed into the same structure.

use super::config::LabelConfiguration;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProjectSpec {
    pub organization: String,
    pub repository: String,
    #[serde(default)]
    pub project_scope: ProjectScope,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation_metadata: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub github_integration: Option<GitHubIntegration>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProjectScope {
    /// ghgov's addition: the day the plan starts (YYYY-MM-DD). Milestone due dates are this
    /// plus the epic's duration; without it they count from the day a milestone is first
    /// created, and later plans leave an existing milestone's due date alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date: Option<String>,
    #[serde(default)]
    pub epic_definitions: Vec<EpicDef>,
    #[serde(default)]
    pub cross_epic_dependencies: Vec<CrossEpicDependency>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EpicDef {
    pub epic_key: String,
    pub epic_title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epic_description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default)]
    pub assigned_agent_services: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_duration: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub milestone_mapping: Option<String>,
    #[serde(default)]
    pub success_criteria: Vec<String>,
    #[serde(default)]
    pub acceptance_criteria: Vec<String>,
    #[serde(default)]
    pub technical_specs: Vec<String>,
    /// ghgov's addition: values for a template's own placeholders (`{component_type}`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub variables: BTreeMap<String, String>,
    #[serde(default)]
    pub feature_breakdown: Vec<FeatureDef>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FeatureDef {
    pub feature_key: String,
    pub feature_title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feature_description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned_agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_effort: Option<String>,
    /// ghgov's addition: a feature template id from the configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// ghgov's addition: a capability the work needs beyond the epic's category.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_capability: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    #[serde(default)]
    pub acceptance_criteria: Vec<String>,
    #[serde(default)]
    pub technical_specs: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub variables: BTreeMap<String, String>,
    #[serde(default)]
    pub task_breakdown: Vec<TaskEntry>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// A task is written either as its key alone or as a mapping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
// A bare key is common and small; boxing the mapping would only make the type harder to use.
#[allow(clippy::large_enum_variant)]
pub enum TaskEntry {
    Key(String),
    Full(TaskDef),
}

impl TaskEntry {
    /// The task as a mapping; a bare key gets a title made from it
    /// (`setup_prometheus_monitoring` → "Setup prometheus monitoring").
    pub fn to_def(&self) -> TaskDef {
        match self {
            TaskEntry::Key(k) => TaskDef {
                task_key: k.clone(),
                ..TaskDef::default()
            },
            TaskEntry::Full(d) => d.clone(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskDef {
    pub task_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `simple` | `medium` | `complex` (looked up in `task_estimation_rules`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complexity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned_agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_capability: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    #[serde(default)]
    pub acceptance_criteria: Vec<String>,
    #[serde(default)]
    pub technical_specs: Vec<String>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// A readable title from a key: separators become spaces, the first letter a capital.
pub fn title_from_key(key: &str) -> String {
    let words: Vec<&str> = key
        .split(|c: char| c == '_' || c == '-' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect();
    let mut s = words.join(" ");
    if let Some(first) = s.get(0..1) {
        let upper = first.to_uppercase();
        s.replace_range(0..1, &upper);
    }
    s
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CrossEpicDependency {
    pub dependent_epic: String,
    pub dependency_epic: String,
    /// `blocks` | `depends_on`; both mean the dependent epic waits for the dependency epic.
    #[serde(default = "blocks")]
    pub dependency_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dependency_reason: Option<String>,
}

fn blocks() -> String {
    "blocks".into()
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GitHubIntegration {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_configuration: Option<LabelConfiguration>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_from_keys() {
        assert_eq!(
            title_from_key("setup_prometheus_monitoring"),
            "Setup prometheus monitoring"
        );
        assert_eq!(title_from_key("api-gateway"), "Api gateway");
        assert_eq!(title_from_key(""), "");
    }
}
