//! The plan's tests: a fixture diffed into changes, rendered against a snapshot, and the
//! removal guard.

use super::{diff, Action, AppliedFields, DriftOutcome};
use crate::governance::config::{ConflictStrategy, GovernanceConfig, SyncConfig};
use crate::governance::current::{CurrentIssue, CurrentLabel, CurrentState};
use crate::governance::desired::{
    marker, wrap_generated, DesiredIssue, DesiredLabel, DesiredState, IssueKind, SubIssueLink,
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
        body: wrap_generated(&d.body),
        state: "open".into(),
        labels: labels.iter().map(|l| l.to_string()).collect(),
        assignees: vec![],
        milestone: None,
        issue_type: None,
        parent_id: None,
        blocked_by: vec![],
        html_url: None,
        applied: None,
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

/// An issue as the last apply left it, then edited by people on GitHub.
fn applied_then_edited(d: &DesiredIssue) -> CurrentIssue {
    let mut c = existing(d, 20, &["task"]);
    c.applied = Some(AppliedFields {
        title: Some(d.title.clone()),
        body: Some(d.body.clone()),
        milestone: d.milestone.clone(),
        labels: Some(d.labels.clone()),
        assignees: Some(d.assignees.clone()),
    });
    c
}

fn one_issue(d: &DesiredIssue, c: CurrentIssue) -> (DesiredState, CurrentState) {
    let desired = DesiredState {
        repository: "acme/widgets".into(),
        issues: vec![d.clone()],
        ..Default::default()
    };
    let mut current = CurrentState {
        repository_id: Some(1),
        ..Default::default()
    };
    current.issues.insert(d.key.clone(), c);
    (desired, current)
}

fn with_strategies(pairs: &[(&str, ConflictStrategy)]) -> GovernanceConfig {
    GovernanceConfig {
        sync: Some(SyncConfig {
            conflict_strategies: pairs.iter().map(|(f, s)| (f.to_string(), *s)).collect(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[test]
fn text_people_wrote_around_the_generated_part_is_not_a_change() {
    let d = issue(
        "task/api/docs",
        IssueKind::Task,
        "Write the docs",
        &["task"],
    );
    let mut c = applied_then_edited(&d);
    c.body = format!("Note above.\n\n{}\nNote below.\n", c.body);
    let (desired, current) = one_issue(&d, c.clone());
    let plan = diff(&desired, &current, &GovernanceConfig::default(), false).unwrap();
    assert!(plan.changes.is_empty(), "{}", plan.render());
    assert!(plan.drift.is_empty(), "{}", plan.render());

    // The specification's text changes: only the generated part is in the plan.
    let mut d2 = d.clone();
    d2.body = format!("{}\nNew body", marker(&d.key));
    let (desired, current) = one_issue(&d2, c);
    let plan = diff(&desired, &current, &GovernanceConfig::default(), false).unwrap();
    let change = &plan.changes[0];
    assert_eq!(change.fields.len(), 1, "{}", plan.render());
    assert_eq!(change.field("body"), Some(&json!(d2.body)));
    // GitHub's generated part ends with the line break the markers put after it.
    assert_eq!(change.fields[0].before, json!(format!("{}\n", d.body)));
    assert_eq!(change.applied.as_ref().unwrap().body, Some(d2.body.clone()));
}

#[test]
fn a_body_from_before_the_markers_gets_them_once() {
    let d = issue(
        "task/api/docs",
        IssueKind::Task,
        "Write the docs",
        &["task"],
    );
    let mut c = existing(&d, 20, &["task"]);
    c.body = d.body.clone();
    let (desired, current) = one_issue(&d, c);
    let plan = diff(&desired, &current, &GovernanceConfig::default(), false).unwrap();
    assert_eq!(plan.to_change, 1);
    let f = &plan.changes[0].fields[0];
    assert_eq!(
        (f.field.as_str(), &f.before, &f.after),
        ("body", &json!(d.body), &json!(d.body))
    );
    assert!(plan
        .render()
        .contains("~ body = (unchanged, now between the generated-part markers)"));
}

#[test]
fn labels_assignees_and_status_people_set_are_never_reverted() {
    let mut d = issue(
        "task/api/docs",
        IssueKind::Task,
        "Write the docs",
        &["task", "docs"],
    );
    d.assignees = vec!["octo".into()];
    let mut c = applied_then_edited(&d);
    // People removed `docs` and `octo`, added their own, and the work moved on.
    c.labels = vec!["task".into(), "urgent".into(), "status:in_progress".into()];
    c.assignees = vec!["mona".into()];
    c.state = "open".into();
    let (desired, current) = one_issue(&d, c.clone());
    let plan = diff(&desired, &current, &GovernanceConfig::default(), false).unwrap();
    assert!(plan.changes.is_empty(), "{}", plan.render());

    // The specification newly asks for a label and an assignee, and a status label: the
    // new ones are added to what is there; the status label is the workflow's.
    let mut d2 = d.clone();
    d2.labels = vec![
        "task".into(),
        "docs".into(),
        "api".into(),
        "status:review".into(),
    ];
    d2.assignees = vec!["octo".into(), "hubot".into()];
    let (desired, current) = one_issue(&d2, c);
    let plan = diff(&desired, &current, &GovernanceConfig::default(), false).unwrap();
    let change = &plan.changes[0];
    assert_eq!(
        change.field("labels"),
        Some(&json!(["task", "urgent", "status:in_progress", "api"]))
    );
    assert_eq!(change.field("assignees"), Some(&json!(["mona", "hubot"])));
    assert!(change.field("state").is_none());
}

#[test]
fn closed_issues_stay_closed() {
    let d = issue(
        "task/api/docs",
        IssueKind::Task,
        "Write the docs",
        &["task"],
    );
    let mut c = applied_then_edited(&d);
    c.state = "closed".into();
    let (desired, current) = one_issue(&d, c);
    let mut config = GovernanceConfig::default();
    config.governance_rules.authoritative = vec!["issues".into()];
    let plan = diff(&desired, &current, &config, false).unwrap();
    assert!(plan.changes.is_empty(), "{}", plan.render());
}

#[test]
fn drift_follows_each_fields_strategy() {
    let mut d = issue(
        "task/api/docs",
        IssueKind::Task,
        "Write the docs",
        &["task"],
    );
    d.milestone = Some("Q1".into());
    let mut c = applied_then_edited(&d);
    c.title = "Docs, renamed by a person".into();
    c.body = wrap_generated(&format!("{}\nEdited inside the markers", marker(&d.key)));
    c.milestone = Some("Q2".into());
    let (desired, current) = one_issue(&d, c.clone());

    // Defaults: title and body manual (not written), milestone last writer: the person.
    let plan = diff(&desired, &current, &GovernanceConfig::default(), false).unwrap();
    assert!(plan.changes.is_empty(), "{}", plan.render());
    let outcomes: Vec<(&str, DriftOutcome)> = plan
        .drift
        .iter()
        .map(|d| (d.field.as_str(), d.outcome))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("title", DriftOutcome::Manual),
            ("body", DriftOutcome::Manual),
            ("milestone", DriftOutcome::Kept)
        ]
    );
    insta::assert_snapshot!("drift_by_default", plan.render());

    // local_wins writes the specification's values; remote_wins keeps GitHub's.
    let config = with_strategies(&[
        ("title", ConflictStrategy::LocalWins),
        ("body", ConflictStrategy::RemoteWins),
        ("milestone", ConflictStrategy::LocalWins),
    ]);
    let plan = diff(&desired, &current, &config, false).unwrap();
    let change = &plan.changes[0];
    assert_eq!(change.field("title"), Some(&json!("Write the docs")));
    assert_eq!(change.field("milestone"), Some(&json!("Q1")));
    assert!(change.field("body").is_none());
    let applied = change.applied.as_ref().unwrap();
    assert_eq!(
        applied.body,
        Some(d.body.clone()),
        "the base stays what was applied"
    );
    insta::assert_snapshot!("drift_settled_by_strategies", plan.render());

    // last_writer_wins: a specification that changed the title since the last apply wins.
    let mut d2 = d.clone();
    d2.title = "Write the API docs".into();
    let (desired2, current2) = one_issue(&d2, c);
    let config = with_strategies(&[("title", ConflictStrategy::LastWriterWins)]);
    let plan = diff(&desired2, &current2, &config, false).unwrap();
    assert_eq!(
        plan.changes[0].field("title"),
        Some(&json!("Write the API docs"))
    );
    assert_eq!(plan.drift[0].outcome, DriftOutcome::Written);
    // …and with `manual` it is not written.
    let plan = diff(&desired2, &current2, &GovernanceConfig::default(), false).unwrap();
    assert!(plan.changes.is_empty(), "{}", plan.render());
}

#[test]
fn a_body_with_a_broken_marker_is_not_rewritten() {
    let d = issue(
        "task/api/docs",
        IssueKind::Task,
        "Write the docs",
        &["task"],
    );
    let mut c = applied_then_edited(&d);
    // A person deleted the end marker (and the text after it is theirs, or not).
    c.body = c
        .body
        .replace(crate::governance::desired::GENERATED_END, "");
    let (desired, current) = one_issue(&d, c);
    let config = with_strategies(&[("body", ConflictStrategy::LocalWins)]);
    let plan = diff(&desired, &current, &config, false).unwrap();
    assert!(plan.changes.is_empty(), "{}", plan.render());
    assert_eq!(plan.drift.len(), 1);
    assert_eq!(
        (plan.drift[0].strategy, plan.drift[0].outcome),
        (ConflictStrategy::Manual, DriftOutcome::Manual)
    );
}
