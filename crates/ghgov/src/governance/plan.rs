//! The plan: the desired state against the mirror. Every object is created, updated
//! (field by field) or left alone; nothing is deleted or closed unless the configuration
//! makes that kind authoritative. Rendered like Terraform's plans, or as JSON.

use super::config::GovernanceConfig;
use super::current::{CurrentIssue, CurrentState};
use super::desired::{DesiredIssue, DesiredState, IssueKind};
use super::problems::Problem;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::HashSet;

/// Removing more than this share of a kind's existing objects needs `--force`.
pub const MAX_REMOVAL_SHARE: f64 = 0.25;

/// Warnings a rendered plan lists before it only counts the rest.
const SHOWN_WARNINGS: usize = 10;

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
    fn rank(&self) -> u8 {
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
    /// The specification's `generation_metadata`, kept with the plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation_metadata: Option<Value>,
}

#[derive(Debug, thiserror::Error)]
#[error("the plan would remove {removed} of {existing} existing {kind} (more than {pct}%); this looks like a mistake in the specification. Check it, or pass --force to go ahead")]
pub struct RemovalRefused {
    pub kind: String,
    pub removed: usize,
    pub existing: usize,
    pub pct: u32,
}

fn lower_set(v: &[String]) -> HashSet<String> {
    v.iter().map(|s| s.to_lowercase()).collect()
}

/// Bodies compare without line-ending and trailing-space differences (GitHub's editor
/// may store CRLF).
fn same_body(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.replace("\r\n", "\n").trim_end().to_string();
    norm(a) == norm(b)
}

fn create_issue_fields(d: &DesiredIssue) -> Vec<FieldChange> {
    let mut f = vec![
        FieldChange {
            field: "title".into(),
            before: Value::Null,
            after: json!(d.title),
        },
        FieldChange {
            field: "body".into(),
            before: Value::Null,
            after: json!(d.body),
        },
        FieldChange {
            field: "labels".into(),
            before: Value::Null,
            after: json!(d.labels),
        },
    ];
    if let Some(m) = &d.milestone {
        f.push(FieldChange {
            field: "milestone".into(),
            before: Value::Null,
            after: json!(m),
        });
    }
    if let Some(t) = &d.issue_type {
        f.push(FieldChange {
            field: "type".into(),
            before: Value::Null,
            after: json!(t),
        });
    }
    if !d.assignees.is_empty() {
        f.push(FieldChange {
            field: "assignees".into(),
            before: Value::Null,
            after: json!(d.assignees),
        });
    }
    f
}

/// Field-level differences of an existing issue. Labels and assignees are additive: what
/// people added by hand stays.
fn update_issue_fields(d: &DesiredIssue, c: &CurrentIssue) -> Vec<FieldChange> {
    let mut f = Vec::new();
    if d.title != c.title {
        f.push(FieldChange {
            field: "title".into(),
            before: json!(c.title),
            after: json!(d.title),
        });
    }
    if !same_body(&d.body, &c.body) {
        f.push(FieldChange {
            field: "body".into(),
            before: json!(c.body),
            after: json!(d.body),
        });
    }
    let have = lower_set(&c.labels);
    let missing: Vec<&String> = d
        .labels
        .iter()
        .filter(|l| !have.contains(&l.to_lowercase()))
        .collect();
    if !missing.is_empty() {
        let mut after = c.labels.clone();
        after.extend(missing.into_iter().cloned());
        f.push(FieldChange {
            field: "labels".into(),
            before: json!(c.labels),
            after: json!(after),
        });
    }
    if let Some(m) = &d.milestone {
        if c.milestone.as_deref().map(str::to_lowercase) != Some(m.to_lowercase()) {
            f.push(FieldChange {
                field: "milestone".into(),
                before: json!(c.milestone),
                after: json!(m),
            });
        }
    }
    if let Some(t) = &d.issue_type {
        if c.issue_type.as_deref().map(str::to_lowercase) != Some(t.to_lowercase()) {
            f.push(FieldChange {
                field: "type".into(),
                before: json!(c.issue_type),
                after: json!(t),
            });
        }
    }
    let have = lower_set(&c.assignees);
    if d.assignees
        .iter()
        .any(|a| !have.contains(&a.to_lowercase()))
    {
        let mut after = c.assignees.clone();
        after.extend(
            d.assignees
                .iter()
                .filter(|a| !have.contains(&a.to_lowercase()))
                .cloned(),
        );
        f.push(FieldChange {
            field: "assignees".into(),
            before: json!(c.assignees),
            after: json!(after),
        });
    }
    f
}

fn created(target: Target, fields: Vec<FieldChange>) -> Change {
    Change {
        target,
        action: Action::Create,
        fields,
        number: None,
    }
}

fn field(name: &str, before: Value, after: Value) -> FieldChange {
    FieldChange {
        field: name.into(),
        before,
        after,
    }
}

/// Diffs `desired` against `current`. Refuses (unless `force`) a plan that would remove
/// more than a quarter of an authoritative kind.
pub fn diff(
    desired: &DesiredState,
    current: &CurrentState,
    config: &GovernanceConfig,
    force: bool,
) -> Result<Plan, RemovalRefused> {
    let mut changes = Vec::new();
    let mut unchanged = 0;
    let authoritative = lower_set(&config.governance_rules.authoritative);

    for l in &desired.labels {
        match current.label(&l.name) {
            None => changes.push(created(
                Target::Label {
                    name: l.name.clone(),
                },
                vec![
                    field("color", Value::Null, json!(l.color)),
                    field("description", Value::Null, json!(l.description)),
                ],
            )),
            Some(c) => {
                let mut f = Vec::new();
                if !c.color.eq_ignore_ascii_case(&l.color) {
                    f.push(field("color", json!(c.color), json!(l.color)));
                }
                if l.description.is_some() && l.description != c.description {
                    f.push(field(
                        "description",
                        json!(c.description),
                        json!(l.description),
                    ));
                }
                push_update(
                    &mut changes,
                    &mut unchanged,
                    Target::Label {
                        name: l.name.clone(),
                    },
                    f,
                    Some(c.id),
                );
            }
        }
    }

    for m in &desired.milestones {
        match current.milestone(&m.title) {
            None => changes.push(created(
                Target::Milestone {
                    title: m.title.clone(),
                },
                vec![
                    field("description", Value::Null, json!(m.description)),
                    field("due_on", Value::Null, json!(m.due_on)),
                ],
            )),
            Some(c) => {
                let mut f = Vec::new();
                if m.description.is_some() && m.description != c.description {
                    f.push(field(
                        "description",
                        json!(c.description),
                        json!(m.description),
                    ));
                }
                let current_day = c.due_on.as_deref().map(|d| &d[..d.len().min(10)]);
                if m.due_on_authoritative
                    && m.due_on.is_some()
                    && current_day != m.due_on.as_deref()
                {
                    f.push(field("due_on", json!(c.due_on), json!(m.due_on)));
                }
                push_update(
                    &mut changes,
                    &mut unchanged,
                    Target::Milestone {
                        title: m.title.clone(),
                    },
                    f,
                    Some(c.number),
                );
            }
        }
    }

    for d in &desired.issues {
        let target = Target::Issue {
            key: d.key.clone(),
            kind: d.kind,
        };
        match current.issues.get(&d.key) {
            None => changes.push(created(target, create_issue_fields(d))),
            Some(c) => push_update(
                &mut changes,
                &mut unchanged,
                target,
                update_issue_fields(d, c),
                Some(c.number),
            ),
        }
    }

    let id_of = |key: &str| current.issues.get(key).map(|i| i.id);
    for link in &desired.sub_issues {
        let target = Target::SubIssue {
            parent: link.parent.clone(),
            child: link.child.clone(),
        };
        let child = current.issues.get(&link.child);
        match (id_of(&link.parent), child) {
            (Some(p), Some(c)) if c.parent_id == Some(p) => unchanged += 1,
            (_, Some(c)) if c.parent_id.is_some() => {
                let before = c
                    .parent_id
                    .and_then(|id| current.key_of(id).map(String::from))
                    .map_or(json!(c.parent_id), |k| json!(k));
                changes.push(Change {
                    target,
                    action: Action::Update,
                    fields: vec![field("parent", before, json!(link.parent))],
                    number: Some(c.number),
                });
            }
            _ => changes.push(created(
                target,
                vec![field("parent", Value::Null, json!(link.parent))],
            )),
        }
    }

    for dep in &desired.dependencies {
        let target = Target::Dependency {
            blocked: dep.blocked.clone(),
            blocking: dep.blocking.clone(),
        };
        let exists = match (current.issues.get(&dep.blocked), id_of(&dep.blocking)) {
            (Some(b), Some(blocking)) => b.blocked_by.contains(&blocking),
            _ => false,
        };
        if exists {
            unchanged += 1;
        } else {
            changes.push(created(
                target,
                vec![field("blocked_by", Value::Null, json!(dep.blocking))],
            ));
        }
    }

    // Removals, only for kinds the configuration owns.
    if authoritative.contains("labels") {
        let wanted = lower_set(
            &desired
                .labels
                .iter()
                .map(|l| l.name.clone())
                .collect::<Vec<_>>(),
        );
        let gone: Vec<Change> = current
            .labels
            .iter()
            .filter(|l| !wanted.contains(&l.name.to_lowercase()))
            .map(|l| Change {
                target: Target::Label {
                    name: l.name.clone(),
                },
                action: Action::Delete,
                fields: vec![],
                number: Some(l.id),
            })
            .collect();
        check_share("labels", gone.len(), current.labels.len(), force)?;
        changes.extend(gone);
    }
    if authoritative.contains("milestones") {
        let wanted = lower_set(
            &desired
                .milestones
                .iter()
                .map(|m| m.title.clone())
                .collect::<Vec<_>>(),
        );
        let gone: Vec<Change> = current
            .milestones
            .iter()
            .filter(|m| !wanted.contains(&m.title.to_lowercase()))
            .map(|m| Change {
                target: Target::Milestone {
                    title: m.title.clone(),
                },
                action: Action::Delete,
                fields: vec![],
                number: Some(m.number),
            })
            .collect();
        check_share("milestones", gone.len(), current.milestones.len(), force)?;
        changes.extend(gone);
    }
    if authoritative.contains("issues") {
        let wanted: HashSet<&str> = desired.issues.iter().map(|i| i.key.as_str()).collect();
        let open: Vec<(&String, &CurrentIssue)> = current
            .issues
            .iter()
            .filter(|(_, i)| i.state == "open")
            .collect();
        let mut gone: Vec<Change> = open
            .iter()
            .filter(|(k, _)| !wanted.contains(k.as_str()))
            .map(|(k, i)| Change {
                target: Target::Issue {
                    key: (*k).clone(),
                    kind: kind_of_key(k),
                },
                action: Action::Close,
                fields: vec![field("state", json!("open"), json!("closed"))],
                number: Some(i.number),
            })
            .collect();
        gone.sort_by_key(|c| c.number);
        check_share("issues", gone.len(), open.len(), force)?;
        changes.extend(gone);
    }

    // Stable order: by kind of object, then as generated.
    changes.sort_by_key(|c| c.target.rank());

    let count = |a: &[Action]| changes.iter().filter(|c| a.contains(&c.action)).count();
    let mut needs_approval = Vec::new();
    let approvals = lower_set(
        &config
            .governance_rules
            .compliance_requirements
            .approval_workflows,
    );
    if approvals.contains("epic_creation")
        && changes.iter().any(|c| {
            c.action == Action::Create
                && matches!(
                    c.target,
                    Target::Issue {
                        kind: IssueKind::Epic,
                        ..
                    }
                )
        })
    {
        needs_approval.push("epic_creation".to_string());
    }
    if approvals.contains("milestone_changes")
        && changes
            .iter()
            .any(|c| matches!(c.target, Target::Milestone { .. }))
    {
        needs_approval.push("milestone_changes".to_string());
    }
    let mut warnings = desired.report.problems.clone();
    for (key, number) in &current.duplicates {
        warnings.push(Problem::warning(
            super::problems::Document::Spec,
            key.clone(),
            "duplicate_issue",
            format!(
                "issue #{number} carries the key {key} too; the oldest issue is the one governed"
            ),
            format!("close #{number} as a duplicate, or remove its ghgov:key marker"),
        ));
    }
    Ok(Plan {
        repository: desired.repository.clone(),
        to_add: count(&[Action::Create]),
        to_change: count(&[Action::Update]),
        to_destroy: count(&[Action::Delete, Action::Close]),
        unchanged,
        changes,
        warnings,
        needs_approval,
        generation_metadata: None,
    })
}

fn push_update(
    changes: &mut Vec<Change>,
    unchanged: &mut usize,
    target: Target,
    fields: Vec<FieldChange>,
    number: Option<i64>,
) {
    if fields.is_empty() {
        *unchanged += 1;
    } else {
        changes.push(Change {
            target,
            action: Action::Update,
            fields,
            number,
        });
    }
}

fn kind_of_key(key: &str) -> IssueKind {
    match key.split('/').next() {
        Some("epic") => IssueKind::Epic,
        Some("feature") => IssueKind::Feature,
        _ => IssueKind::Task,
    }
}

fn check_share(
    kind: &str,
    removed: usize,
    existing: usize,
    force: bool,
) -> Result<(), RemovalRefused> {
    if force || removed == 0 || (removed as f64) <= MAX_REMOVAL_SHARE * existing as f64 {
        return Ok(());
    }
    Err(RemovalRefused {
        kind: kind.into(),
        removed,
        existing,
        pct: (MAX_REMOVAL_SHARE * 100.0) as u32,
    })
}

/// A value as the plan shows it: strings quoted, long strings cut, lists inline.
fn show(v: &Value) -> String {
    match v {
        Value::Null => "(none)".into(),
        Value::String(s) => {
            let quoted = format!("{s:?}");
            if quoted.chars().count() > 62 {
                let cut: String = quoted.chars().take(58).collect();
                format!("{cut}\"…")
            } else {
                quoted
            }
        }
        other => other.to_string(),
    }
}

fn heading(c: &Change) -> String {
    let what = match &c.target {
        Target::Label { name } => format!("label {name:?}"),
        Target::Milestone { title } => format!("milestone {title:?}"),
        Target::Issue { key, kind } => match c.number {
            Some(n) => format!("{} {key} (#{n})", kind.as_str()),
            None => format!("{} {key}", kind.as_str()),
        },
        Target::SubIssue { parent, child } => format!("sub-issue {child} under {parent}"),
        Target::Dependency { blocked, blocking } => {
            format!("dependency: {blocked} blocked by {blocking}")
        }
    };
    let verb = match c.action {
        Action::Create => "will be created",
        Action::Update => "will be updated in place",
        Action::Delete => "will be deleted",
        Action::Close => "will be closed",
    };
    format!("{what} {verb}")
}

impl Plan {
    /// Terraform-like text, ending with the `Plan: …` line.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if self.changes.is_empty() {
            out.push_str(&format!(
                "No changes. {} matches the specification ({} objects up to date).\n\n",
                self.repository, self.unchanged
            ));
        } else {
            out.push_str(&format!(
                "ghgov will perform the following actions on {}:\n\n",
                self.repository
            ));
            for c in &self.changes {
                let sign = match c.action {
                    Action::Create => "+",
                    Action::Update => "~",
                    Action::Delete | Action::Close => "-",
                };
                out.push_str(&format!("  # {}\n", heading(c)));
                out.push_str(&format!(
                    "  {sign} {} {:?}",
                    c.target.kind(),
                    c.target.key()
                ));
                if c.fields.is_empty() {
                    out.push('\n');
                } else {
                    out.push_str(" {\n");
                    let width = c.fields.iter().map(|f| f.field.len()).max().unwrap_or(0);
                    for f in &c.fields {
                        match c.action {
                            Action::Create => out.push_str(&format!(
                                "      + {:width$} = {}\n",
                                f.field,
                                show(&f.after)
                            )),
                            _ => out.push_str(&format!(
                                "      ~ {:width$} = {} -> {}\n",
                                f.field,
                                show(&f.before),
                                show(&f.after)
                            )),
                        }
                    }
                    out.push_str("    }\n");
                }
                out.push('\n');
            }
        }
        if !self.warnings.is_empty() {
            out.push_str(&format!("Warnings ({}):\n", self.warnings.len()));
            for w in self.warnings.iter().take(SHOWN_WARNINGS) {
                out.push_str(&format!("  {}\n", w.render().replace('\n', "\n  ")));
            }
            if self.warnings.len() > SHOWN_WARNINGS {
                out.push_str(&format!(
                    "  … and {} more (`ghgov validate` lists every one; `plan --json` includes them)\n",
                    self.warnings.len() - SHOWN_WARNINGS
                ));
            }
            out.push('\n');
        }
        if !self.needs_approval.is_empty() {
            out.push_str(&format!(
                "This plan needs approval ({}) by a different principal before it is applied.\n\n",
                self.needs_approval.join(", ")
            ));
        }
        out.push_str(&self.summary_line());
        out.push('\n');
        out
    }

    pub fn summary_line(&self) -> String {
        format!(
            "Plan: {} to add, {} to change, {} to destroy.",
            self.to_add, self.to_change, self.to_destroy
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::governance::current::{CurrentIssue, CurrentLabel};
    use crate::governance::desired::{marker, DesiredLabel, SubIssueLink};

    fn issue(key: &str, kind: IssueKind, title: &str, labels: &[&str]) -> DesiredIssue {
        DesiredIssue {
            key: key.into(),
            kind,
            title: title.into(),
            body: format!("{}\nBody of {key}", marker(key)),
            labels: labels.iter().map(|l| l.to_string()).collect(),
            milestone: None,
            issue_type: None,
            priority: None,
            estimate: None,
            agent: None,
            assignees: vec![],
            parent: None,
            spec_path: String::new(),
            missing_sections: vec![],
        }
    }

    fn existing(d: &DesiredIssue, id: i64, labels: &[&str]) -> CurrentIssue {
        CurrentIssue {
            id,
            number: id,
            title: d.title.clone(),
            body: d.body.clone(),
            state: "open".into(),
            labels: labels.iter().map(|l| l.to_string()).collect(),
            assignees: vec![],
            milestone: None,
            issue_type: None,
            parent_id: None,
            blocked_by: vec![],
            html_url: None,
        }
    }

    fn fixture() -> (DesiredState, CurrentState) {
        let epic = issue("epic/core", IssueKind::Epic, "Epic: Core", &["epic"]);
        let feature = issue(
            "feature/api",
            IssueKind::Feature,
            "Feature: API",
            &["feature", "agent:dev"],
        );
        let task = issue(
            "task/api/docs",
            IssueKind::Task,
            "Write the docs",
            &["task"],
        );
        let desired = DesiredState {
            repository: "acme/widgets".into(),
            labels: vec![
                DesiredLabel {
                    name: "epic".into(),
                    color: "8b4789".into(),
                    description: Some("Epics".into()),
                },
                DesiredLabel {
                    name: "feature".into(),
                    color: "0366d6".into(),
                    description: None,
                },
            ],
            milestones: vec![],
            issues: vec![epic.clone(), feature.clone(), task.clone()],
            sub_issues: vec![
                SubIssueLink {
                    parent: "epic/core".into(),
                    child: "feature/api".into(),
                },
                SubIssueLink {
                    parent: "feature/api".into(),
                    child: "task/api/docs".into(),
                },
            ],
            dependencies: vec![],
            report: Default::default(),
        };
        let mut current = CurrentState {
            repository_id: Some(1),
            labels: vec![CurrentLabel {
                id: 5,
                name: "Epic".into(),
                color: "FFFFFF".into(),
                description: Some("Epics".into()),
            }],
            ..Default::default()
        };
        let mut old_epic = existing(&epic, 10, &["epic", "wontfix"]);
        old_epic.title = "Epic: Old core".into();
        current.issues.insert(epic.key.clone(), old_epic);
        let mut f = existing(&feature, 11, &["feature"]);
        f.parent_id = Some(10);
        current.issues.insert(feature.key.clone(), f);
        (desired, current)
    }

    #[test]
    fn plans_read_like_terraform() {
        let (desired, current) = fixture();
        let plan = diff(&desired, &current, &GovernanceConfig::default(), false).unwrap();
        assert_eq!((plan.to_add, plan.to_change, plan.to_destroy), (3, 3, 0));
        insta::assert_snapshot!(plan.render());
    }

    #[test]
    fn labels_people_added_stay_and_nothing_is_removed_without_authority() {
        let (desired, current) = fixture();
        let plan = diff(&desired, &current, &GovernanceConfig::default(), false).unwrap();
        let feature = plan
            .changes
            .iter()
            .find(|c| c.target.key() == "feature/api")
            .unwrap();
        assert_eq!(
            feature.field("labels"),
            Some(&json!(["feature", "agent:dev"]))
        );
        let epic = plan
            .changes
            .iter()
            .find(|c| c.target.key() == "epic/core")
            .unwrap();
        assert!(
            epic.field("labels").is_none(),
            "wontfix stays, nothing to add"
        );
        assert!(plan.changes.iter().all(|c| c.action != Action::Close));
    }

    #[test]
    fn authoritative_removals_over_a_quarter_need_force() {
        let (mut desired, current) = fixture();
        desired.issues.clear();
        desired.sub_issues.clear();
        let mut config = GovernanceConfig::default();
        config.governance_rules.authoritative = vec!["issues".into()];
        let refused = diff(&desired, &current, &config, false).unwrap_err();
        assert_eq!((refused.removed, refused.existing), (2, 2));
        let plan = diff(&desired, &current, &config, true).unwrap();
        assert_eq!(plan.to_destroy, 2);
    }
}
