//! The plan's tests: a fixture diffed into changes, rendered against a snapshot, and the
//! removal guard.

use super::{diff, Action};
use crate::governance::config::GovernanceConfig;
use crate::governance::current::{CurrentIssue, CurrentLabel, CurrentState};
use crate::governance::desired::{
    marker, DesiredIssue, DesiredLabel, DesiredState, IssueKind, SubIssueLink,
};
use serde_json::json;

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
