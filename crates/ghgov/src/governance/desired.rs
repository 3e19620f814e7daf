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

/// The generated part of a governed issue's body sits between these two comments (invisible
/// on GitHub). Only that part is regenerated; what people write before or after it is kept
/// byte for byte.
pub const GENERATED_START: &str = "<!-- ghgov:generated:start -->";
pub const GENERATED_END: &str = "<!-- ghgov:generated:end -->";

/// A body read as the text before the generated part, the generated part, and the text
/// after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyParts<'a> {
    /// Both markers, in order.
    Marked {
        before: &'a str,
        generated: &'a str,
        after: &'a str,
    },
    /// No marker at all: a body written before the markers existed, all of it generated.
    /// Its next write puts the markers around it.
    Unmarked(&'a str),
    /// One marker without the other, or the end before the start: which part is whose
    /// cannot be told, so the body is not rewritten.
    Broken,
}

impl<'a> BodyParts<'a> {
    /// The generated part, if the body has one that can be told apart.
    pub fn generated(&self) -> Option<&'a str> {
        match *self {
            BodyParts::Marked { generated, .. } => Some(generated),
            BodyParts::Unmarked(all) => Some(all),
            BodyParts::Broken => None,
        }
    }
}

/// Splits `body` at the generated part's markers.
pub fn body_parts(body: &str) -> BodyParts<'_> {
    match (body.find(GENERATED_START), body.find(GENERATED_END)) {
        (None, None) => BodyParts::Unmarked(body),
        (Some(start), Some(end)) if start + GENERATED_START.len() <= end => {
            let inner = &body[start + GENERATED_START.len()..end];
            // The line break after the start marker is the marker's, not the content's.
            let generated = inner
                .strip_prefix("\r\n")
                .or_else(|| inner.strip_prefix('\n'))
                .unwrap_or(inner);
            BodyParts::Marked {
                before: &body[..start],
                generated,
                after: &body[end + GENERATED_END.len()..],
            }
        }
        _ => BodyParts::Broken,
    }
}

/// The generated part between its markers, as a new issue's body holds it.
pub fn wrap_generated(generated: &str) -> String {
    let mut out = format!("{GENERATED_START}\n{generated}");
    if !generated.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(GENERATED_END);
    out.push('\n');
    out
}

/// `body` with its generated part replaced by `generated`; the text around it is kept as
/// it is. An unmarked body is all generated: the result is the new part between markers.
/// None for a body whose markers are broken.
pub fn replace_generated(body: &str, generated: &str) -> Option<String> {
    match body_parts(body) {
        BodyParts::Marked { before, after, .. } => {
            let wrapped = wrap_generated(generated);
            // `wrap_generated` ends with a line break that the text after the end marker
            // already holds (the marker was written with one).
            let wrapped = wrapped.strip_suffix('\n').unwrap_or(&wrapped);
            Some(format!("{before}{wrapped}{after}"))
        }
        BodyParts::Unmarked(_) => Some(wrap_generated(generated)),
        BodyParts::Broken => None,
    }
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
    /// The body's generated part: starts with `marker(key)`. On GitHub it sits between
    /// [`GENERATED_START`] and [`GENERATED_END`] ([`wrap_generated`]).
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

    #[test]
    fn generated_part_is_replaced_and_the_rest_kept_byte_for_byte() {
        let generated = format!("{}\nOld text\n", marker("epic/a"));
        let created = wrap_generated(&generated);
        assert_eq!(key_in_body(&created), Some("epic/a"));
        assert_eq!(body_parts(&created).generated(), Some(generated.as_str()));
        let edited = format!("People's note  \r\n\n{created}\nBelow, by hand.\n\n");
        let new = format!("{}\nNew text\n", marker("epic/a"));
        let replaced = replace_generated(&edited, &new).unwrap();
        assert_eq!(
            replaced,
            format!(
                "People's note  \r\n\n{}\nBelow, by hand.\n\n",
                wrap_generated(&new)
            )
        );
        match body_parts(&replaced) {
            BodyParts::Marked {
                before,
                generated,
                after,
            } => {
                assert_eq!(before, "People's note  \r\n\n");
                assert_eq!(generated, new);
                assert_eq!(after, "\n\nBelow, by hand.\n\n");
            }
            other => panic!("{other:?}"),
        }
        // An old body is all generated: it gets the markers.
        assert_eq!(
            replace_generated(&generated, &new).unwrap(),
            wrap_generated(&new)
        );
        // One marker alone: nobody can tell whose text is whose.
        let broken = format!("{GENERATED_START}\nx");
        assert_eq!(body_parts(&broken), BodyParts::Broken);
        assert_eq!(replace_generated(&broken, &new), None);
        let reversed = format!("{GENERATED_END}\n{GENERATED_START}");
        assert_eq!(body_parts(&reversed), BodyParts::Broken);
    }
}
