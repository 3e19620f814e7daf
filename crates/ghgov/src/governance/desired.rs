//! The desired state: what the repository should hold according to a specification under
//! a configuration. Generation produces it (`generate.rs`), planning diffs it against the
//! mirror (`plan/`). Keys tie each issue to its place in the specification.

use super::problems::Report;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IssueKind {
    Epic,
    Feature,
    Task,
}

impl IssueKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IssueKind::Epic => "epic",
            IssueKind::Feature => "feature",
            IssueKind::Task => "task",
        }
    }
    /// The GitHub issue type that stands for this kind, where the organization has it.
    pub fn type_name(self) -> &'static str {
        match self {
            IssueKind::Epic => "Epic",
            IssueKind::Feature => "Feature",
            IssueKind::Task => "Task",
        }
    }
}

/// Issue keys: `epic/EPIC`, `feature/FEATURE`, `task/FEATURE/TASK`.
pub fn epic_key(epic: &str) -> String {
    format!("epic/{epic}")
}
pub fn feature_key(feature: &str) -> String {
    format!("feature/{feature}")
}
pub fn task_key(feature: &str, task: &str) -> String {
    format!("task/{feature}/{task}")
}

const MARKER_START: &str = "<!-- ghgov:key=";
const MARKER_END: &str = " -->";

/// The HTML comment that carries an issue's key in its body (invisible on GitHub).
pub fn marker(key: &str) -> String {
    format!("{MARKER_START}{key}{MARKER_END}")
}

/// The key in a body's marker, if it has one.
pub fn key_in_body(body: &str) -> Option<&str> {
    let start = body.find(MARKER_START)? + MARKER_START.len();
    let len = body[start..].find(MARKER_END)?;
    let key = body[start..start + len].trim();
    (!key.is_empty()).then_some(key)
}

/// How a section the specification leaves empty is rendered: visible on GitHub and
/// recognisable by compliance checks.
pub const PLACEHOLDER: &str = "_To be written";

/// The heading of a documentation section (`acceptance_criteria` → "Acceptance criteria").
pub fn section_title(name: &str) -> String {
    super::spec::title_from_key(name)
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DesiredState {
    /// `OWNER/NAME`.
    pub repository: String,
    pub labels: Vec<DesiredLabel>,
    pub milestones: Vec<DesiredMilestone>,
    /// Epics, then features, then tasks, each in specification order: the order they are
    /// created in, so that a parent exists before its children.
    pub issues: Vec<DesiredIssue>,
    /// In the order children appear under their parent.
    pub sub_issues: Vec<SubIssueLink>,
    pub dependencies: Vec<DependencyLink>,
    /// Warnings from generation: empty documentation sections, work left unassigned.
    pub report: Report,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredLabel {
    pub name: String,
    /// Six hex digits, lower case, no `#`.
    pub color: String,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredMilestone {
    pub title: String,
    pub description: Option<String>,
    /// `YYYY-MM-DD`; sent as noon UTC (GitHub rounds due dates).
    pub due_on: Option<String>,
    /// False when the due date was counted from today (no `start_date` in the
    /// specification): then an existing milestone's due date is left alone.
    pub due_on_authoritative: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredIssue {
    pub key: String,
    pub kind: IssueKind,
    pub title: String,
    /// Starts with `marker(key)`.
    pub body: String,
    /// Sorted, without case-insensitive duplicates.
    pub labels: Vec<String>,
    pub milestone: Option<String>,
    /// `Epic` / `Feature` / `Task` where the organization has that issue type.
    pub issue_type: Option<String>,
    pub priority: Option<String>,
    pub estimate: Option<String>,
    pub agent: Option<String>,
    /// GitHub logins (from agents' `github_login`).
    pub assignees: Vec<String>,
    pub parent: Option<String>,
    /// Where the item is in the specification, for messages.
    pub spec_path: String,
    /// Required documentation sections rendered with the placeholder.
    pub missing_sections: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubIssueLink {
    pub parent: String,
    pub child: String,
}

/// `blocked` waits for `blocking` (GitHub: `blocked` has `blocking` in its blocked_by).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DependencyLink {
    pub blocked: String,
    pub blocking: String,
    pub reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_round_trip() {
        let body = format!("{}\nText", marker("task/api/write_tests"));
        assert_eq!(key_in_body(&body), Some("task/api/write_tests"));
        assert_eq!(key_in_body("no marker"), None);
        assert_eq!(key_in_body("<!-- ghgov:key= -->"), None);
    }
}
