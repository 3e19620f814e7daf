//! Labels: which ones each issue carries, and the labels the repository needs for them,
//! styled from `label_configuration` (the specification's `github_integration` one wins over
//! the configuration's, field by field). GitHub compares label names ignoring case, so
//! every comparison here does too, and one spelling is used throughout.

use crate::governance::config::{GovernanceConfig, LabelConfiguration, LabelStyle};
use crate::governance::desired::{DesiredIssue, DesiredLabel, IssueKind};
use crate::governance::problems::{field, Document, Problem, Report};
use crate::governance::spec::ProjectSpec;
use std::collections::{BTreeMap, BTreeSet};

const KINDS: [IssueKind; 3] = [IssueKind::Epic, IssueKind::Feature, IssueKind::Task];
const DEFAULT_COLOR: &str = "ededed";

pub(super) struct LabelRules {
    /// The (possibly renamed) label for each kind, in the order of `KINDS`.
    kind_labels: [String; 3],
    /// Lower-case names of agent services: their labels come from assignment only.
    agents: BTreeSet<String>,
    /// Lower-case label name → style.
    styles: BTreeMap<String, Style>,
}

#[derive(Default)]
struct Style {
    /// The colour as written, with where it was written (for a warning if it is invalid).
    color: Option<(String, Document, String)>,
    description: Option<String>,
}

/// What one issue's labels are made from.
pub(super) struct IssueLabels<'a> {
    pub kind: IssueKind,
    pub template_labels: &'a [String],
    pub priority: Option<&'a str>,
    pub agent: Option<&'a str>,
}

impl LabelRules {
    pub fn new(config: &GovernanceConfig, spec: &ProjectSpec) -> LabelRules {
        let from_config = (
            &config.label_configuration,
            Document::Config,
            "label_configuration",
        );
        let from_spec = spec
            .github_integration
            .as_ref()
            .and_then(|g| g.label_configuration.as_ref())
            .map(|c| (c, Document::Spec, "github_integration.label_configuration"));
        let layers: Vec<(&LabelConfiguration, Document, &str)> =
            std::iter::once(from_config).chain(from_spec).collect();

        let kind_labels = KINDS.map(|kind| {
            layers
                .iter()
                .rev()
                .find_map(|(c, _, _)| kind_style(c, kind).and_then(|s| s.name.clone()))
                .map(|n| n.trim().to_string())
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| kind.as_str().to_string())
        });

        let mut agents: BTreeSet<String> = config
            .agent_service_mappings
            .keys()
            .map(|k| lower(k))
            .collect();
        let mut styles: BTreeMap<String, Style> = BTreeMap::new();
        // Later layers win: within a document the kind labels over agent labels over the
        // general map, and the specification over the configuration.
        for (c, document, base) in &layers {
            for (name, style) in &c.labels {
                let path = field(&field(base, "labels"), name);
                overlay(&mut styles, name, style, *document, &path);
            }
            for (name, style) in &c.agent_labels {
                agents.insert(lower(name));
                let path = field(&field(base, "agent_labels"), name);
                overlay(&mut styles, name, style, *document, &path);
            }
            for (i, kind) in KINDS.iter().enumerate() {
                if let Some(style) = kind_style(c, *kind) {
                    let path = field(base, &format!("{}_label", kind.as_str()));
                    overlay(&mut styles, &kind_labels[i], style, *document, &path);
                }
            }
        }
        LabelRules {
            kind_labels,
            agents,
            styles,
        }
    }

    pub fn kind_label(&self, kind: IssueKind) -> &str {
        &self.kind_labels[kind_index(kind)]
    }

    /// An issue's labels: its template's, its kind label where the organization has no
    /// issue type for the kind, `priority:<p>`, and its agent's. A template's kind labels
    /// follow the same issue-type rule (and renaming); its priority and agent labels give
    /// way to the item's own priority and assignment, so an issue never carries two.
    pub fn issue_labels(
        &self,
        parts: &IssueLabels,
        org_has_type: impl Fn(IssueKind) -> bool,
    ) -> Vec<String> {
        let mut labels: Vec<String> = Vec::new();
        for label in parts.template_labels.iter().map(|l| l.trim()) {
            if label.is_empty() || self.agents.contains(&lower(label)) {
                continue;
            }
            if parts.priority.is_some() && lower(label).starts_with("priority:") {
                continue;
            }
            match self.kind_of(label) {
                Some(kind) if org_has_type(kind) => {}
                Some(kind) => labels.push(self.kind_label(kind).to_string()),
                None => labels.push(label.to_string()),
            }
        }
        if !org_has_type(parts.kind) {
            labels.push(self.kind_label(parts.kind).to_string());
        }
        if let Some(priority) = parts.priority {
            labels.push(format!("priority:{priority}"));
        }
        if let Some(agent) = parts.agent {
            labels.push(agent.to_string());
        }
        sorted_distinct(labels)
    }

    /// Gives every label one spelling across all issues (the first one used) and returns
    /// the labels the repository needs, sorted by name.
    pub fn collect(&self, issues: &mut [DesiredIssue], report: &mut Report) -> Vec<DesiredLabel> {
        let mut spelling: BTreeMap<String, String> = BTreeMap::new();
        for issue in issues.iter_mut() {
            for label in &mut issue.labels {
                let canonical = spelling
                    .entry(lower(label))
                    .or_insert_with(|| label.clone());
                label.clone_from(canonical);
            }
            issue.labels = sorted_distinct(std::mem::take(&mut issue.labels));
        }
        let mut labels: Vec<DesiredLabel> = spelling
            .into_iter()
            .map(|(key, name)| self.desired_label(&key, name, report))
            .collect();
        labels.sort_by(|a, b| order(&a.name, &b.name));
        labels
    }

    fn desired_label(&self, key: &str, name: String, report: &mut Report) -> DesiredLabel {
        let style = self.styles.get(key);
        let configured = style.and_then(|s| s.color.as_ref());
        let color = match configured {
            Some((raw, document, path)) => normalized_color(raw).unwrap_or_else(|| {
                report.push(Problem::warning(
                    *document,
                    field(path, "color"),
                    "label_color",
                    format!("{raw:?} is not a colour; label {name} gets the default colour"),
                    "write six hex digits, such as \"0366d6\" or \"#0366D6\"",
                ));
                default_color(key).to_string()
            }),
            None => default_color(key).to_string(),
        };
        DesiredLabel {
            name,
            color,
            description: style.and_then(|s| s.description.clone()),
        }
    }

    fn kind_of(&self, label: &str) -> Option<IssueKind> {
        let label = lower(label);
        KINDS
            .into_iter()
            .find(|&kind| label == kind.as_str() || label == lower(self.kind_label(kind)))
    }
}

fn kind_style(c: &LabelConfiguration, kind: IssueKind) -> Option<&LabelStyle> {
    match kind {
        IssueKind::Epic => c.epic_label.as_ref(),
        IssueKind::Feature => c.feature_label.as_ref(),
        IssueKind::Task => c.task_label.as_ref(),
    }
}

fn kind_index(kind: IssueKind) -> usize {
    match kind {
        IssueKind::Epic => 0,
        IssueKind::Feature => 1,
        IssueKind::Task => 2,
    }
}

fn overlay(
    styles: &mut BTreeMap<String, Style>,
    name: &str,
    style: &LabelStyle,
    document: Document,
    path: &str,
) {
    let entry = styles.entry(lower(name)).or_default();
    if let Some(color) = &style.color {
        entry.color = Some((color.clone(), document, path.to_string()));
    }
    if let Some(description) = style.description.as_ref().filter(|d| !d.trim().is_empty()) {
        entry.description = Some(description.clone());
    }
}

/// Six lower-case hex digits without `#`; the three-digit shorthand is expanded.
fn normalized_color(raw: &str) -> Option<String> {
    let hex = raw.trim().trim_start_matches('#').to_lowercase();
    if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    match hex.len() {
        6 => Some(hex),
        3 => Some(hex.chars().flat_map(|c| [c, c]).collect()),
        _ => None,
    }
}

/// Unstyled priority labels get the colours people expect (red for critical through
/// green for low); anything else GitHub's neutral grey.
fn default_color(lower_name: &str) -> &'static str {
    match lower_name {
        "priority:critical" => "b60205",
        "priority:high" => "d93f0b",
        "priority:medium" => "fbca04",
        "priority:low" => "0e8a16",
        _ => DEFAULT_COLOR,
    }
}

fn lower(s: &str) -> String {
    s.trim().to_lowercase()
}

fn order(a: &str, b: &str) -> std::cmp::Ordering {
    lower(a).cmp(&lower(b)).then_with(|| a.cmp(b))
}

/// Sorted by name ignoring case, keeping the first spelling of names equal but for case.
fn sorted_distinct(labels: Vec<String>) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut out: Vec<String> = labels
        .into_iter()
        .filter(|l| !l.trim().is_empty() && seen.insert(lower(l)))
        .collect();
    out.sort_by(|a, b| order(a, b));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_are_normalised() {
        assert_eq!(normalized_color("#8B4789"), Some("8b4789".into()));
        assert_eq!(normalized_color(" FfF "), Some("ffffff".into()));
        assert_eq!(normalized_color("red"), None);
        assert_eq!(normalized_color("12345"), None);
        assert_eq!(normalized_color("#é12345"), None);
    }

    #[test]
    fn first_spelling_wins_and_order_ignores_case() {
        assert_eq!(
            sorted_distinct(vec!["b".into(), "A".into(), "a".into(), " ".into()]),
            ["A", "b"]
        );
    }
}
