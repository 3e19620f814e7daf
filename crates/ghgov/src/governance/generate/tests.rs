use super::{generate, Context};
use crate::governance::config::GovernanceConfig;
use crate::governance::desired::{
    DependencyLink, DesiredIssue, DesiredLabel, DesiredMilestone, DesiredState, IssueKind,
    SubIssueLink, PLACEHOLDER,
};
use crate::governance::problems::{Document, Problem, Severity};
use crate::governance::spec::ProjectSpec;
use chrono::NaiveDate;
use proptest::prelude::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;

fn config() -> GovernanceConfig {
    serde_json::from_value(json!({
        "organization": "acme",
        "repository": "widgets",
        "governance_rules": {
            "epic_generation_rules": {
                "template_mapping": {
                    "infrastructure": "epic-infra",
                    "agent_services": "no-such-template"
                },
                "auto_assignment_rules": {
                    "infrastructure": ["agent:orchestrator", "agent:dev"]
                },
                "milestone_policies": {
                    "default_duration": "1 month",
                    "auto_milestone_creation": true,
                    "milestone_naming_pattern": "Q{quarter}-{year}-{epic_name}"
                }
            },
            "feature_generation_rules": {
                "task_estimation_rules": { "simple": "1-3 days", "medium": "1-2 weeks" }
            },
            "compliance_requirements": {
                "required_documentation": ["acceptance_criteria", "technical_specs"]
            }
        },
        "agent_service_mappings": {
            "agent:orchestrator": {
                "capabilities": ["infrastructure", "deployment"],
                "auto_assignment_priority": 1,
                "escalation_rules": { "max_concurrent_tasks": 3 }
            },
            "agent:dev": {
                "capabilities": ["development", "monitoring"],
                "auto_assignment_priority": 2,
                "github_login": "dev-bot"
            },
            "agent:qa": { "capabilities": ["testing"], "auto_assignment_priority": 3 }
        },
        "templates": {
            "epic_templates": [{
                "template_id": "epic-infra",
                "title_pattern": "Epic: {epic_name} Infrastructure Platform",
                "description_template": "Build foundational {component_type} components.",
                "default_labels": ["epic", "infrastructure", "priority:critical"]
            }],
            "feature_templates": [{
                "template_id": "monitoring-feature",
                "title_pattern": "Feature: {monitoring_type} Monitoring Platform",
                "default_labels": ["feature", "monitoring", "agent:orchestrator"],
                "estimated_effort": "2-3 weeks"
            }]
        },
        "label_configuration": {
            "epic_label": { "color": "8B4789", "description": "Epic-level initiatives" },
            "feature_label": { "color": "#0366D6", "description": "Feature development" },
            "task_label": { "name": "type: task" },
            "agent_labels": {
                "agent:orchestrator": { "color": "FF6B35", "description": "Orchestrator service" }
            }
        }
    }))
    .expect("a valid configuration")
}

fn spec_json() -> Value {
    json!({
        "organization": "acme",
        "repository": "widgets",
        "project_scope": {
            "start_date": "2026-01-05",
            "epic_definitions": [
                {
                    "epic_key": "infrastructure-foundation",
                    "epic_title": "Core",
                    "category": "infrastructure",
                    "priority": "high",
                    "estimated_duration": "3 months",
                    "variables": { "component_type": "cloud" },
                    "success_criteria": ["All components deployed"],
                    "technical_specs": ["Kubernetes"],
                    "feature_breakdown": [{
                        "feature_key": "monitoring-platform",
                        "feature_title": "Monitoring & Logging Platform",
                        "template": "monitoring-feature",
                        "required_capability": "monitoring",
                        "variables": { "monitoring_type": "Metrics" },
                        "acceptance_criteria": ["Every service exports metrics"],
                        "technical_specs": ["Prometheus"],
                        "task_breakdown": [
                            "setup_prometheus_monitoring",
                            {
                                "task_key": "configure_grafana",
                                "title": "Configure Grafana dashboards",
                                "description": "Dashboards for every service.",
                                "complexity": "medium",
                                "priority": "critical",
                                "acceptance_criteria": ["A dashboard per service"],
                                "technical_specs": ["Grafana 11", "Provisioned from git"]
                            }
                        ]
                    }]
                },
                {
                    "epic_key": "developer-portal",
                    "epic_title": "Developer Portal",
                    "epic_description": "A portal for developers.",
                    "category": "developer_experience",
                    "milestone_mapping": "Portal",
                    "acceptance_criteria": ["Portal is live"],
                    "technical_specs": ["Static site"],
                    "feature_breakdown": [{
                        "feature_key": "docs",
                        "feature_title": "Documentation",
                        "required_capability": "development",
                        "acceptance_criteria": ["Docs published"],
                        "technical_specs": ["Markdown"]
                    }]
                }
            ],
            "cross_epic_dependencies": [
                {
                    "dependent_epic": "developer-portal",
                    "dependency_epic": "infrastructure-foundation",
                    "dependency_type": "blocks",
                    "dependency_reason": "Needs hosting"
                },
                {
                    "dependent_epic": "developer-portal",
                    "dependency_epic": "infrastructure-foundation",
                    "dependency_type": "depends_on"
                },
                { "dependent_epic": "developer-portal", "dependency_epic": "nowhere" }
            ]
        }
    })
}

fn spec() -> ProjectSpec {
    serde_json::from_value(spec_json()).expect("a valid specification")
}

fn ctx() -> Context {
    Context {
        issue_types: Vec::new(),
        agent_load: BTreeMap::new(),
        today: NaiveDate::from_ymd_opt(2026, 3, 10).expect("a date"),
    }
}

fn issue<'a>(state: &'a DesiredState, key: &str) -> &'a DesiredIssue {
    state
        .issues
        .iter()
        .find(|i| i.key == key)
        .unwrap_or_else(|| panic!("no issue {key}"))
}

fn codes(state: &DesiredState) -> Vec<(&str, &str)> {
    state
        .report
        .problems
        .iter()
        .map(|p| (p.code.as_str(), p.path.as_str()))
        .collect()
}

#[test]
fn issues_in_creation_order_with_titles() {
    let state = generate(&spec(), &config(), &ctx());
    assert_eq!(state.repository, "acme/widgets");
    let listed: Vec<(&str, IssueKind, &str)> = state
        .issues
        .iter()
        .map(|i| (i.key.as_str(), i.kind, i.title.as_str()))
        .collect();
    assert_eq!(
        listed,
        [
            (
                "epic/infrastructure-foundation",
                IssueKind::Epic,
                "Epic: Core Infrastructure Platform"
            ),
            (
                "epic/developer-portal",
                IssueKind::Epic,
                "Epic: Developer Portal"
            ),
            (
                "feature/monitoring-platform",
                IssueKind::Feature,
                "Feature: Metrics Monitoring Platform"
            ),
            ("feature/docs", IssueKind::Feature, "Feature: Documentation"),
            (
                "task/monitoring-platform/setup_prometheus_monitoring",
                IssueKind::Task,
                "Setup prometheus monitoring"
            ),
            (
                "task/monitoring-platform/configure_grafana",
                IssueKind::Task,
                "Configure Grafana dashboards"
            ),
        ]
    );
    let task = issue(&state, "task/monitoring-platform/configure_grafana");
    assert_eq!(
        task.spec_path,
        "project_scope.epic_definitions[0].feature_breakdown[0].task_breakdown[1]"
    );
    assert_eq!(task.parent.as_deref(), Some("feature/monitoring-platform"));
}

#[test]
fn bodies_carry_marker_description_metadata_and_sections() {
    let state = generate(&spec(), &config(), &ctx());
    assert_eq!(
        issue(&state, "task/monitoring-platform/configure_grafana").body,
        "<!-- ghgov:key=task/monitoring-platform/configure_grafana -->\n\
         \n\
         Dashboards for every service.\n\
         \n\
         **Kind:** task · **Priority:** critical · **Estimate:** 1-2 weeks · **Agent:** agent:orchestrator · **Parent:** feature/monitoring-platform\n\
         \n\
         ## Acceptance criteria\n\
         - A dashboard per service\n\
         \n\
         ## Technical specs\n\
         - Grafana 11\n\
         - Provisioned from git\n"
    );
    // The epic's description comes from its template; its success criteria stand in for
    // the acceptance criteria it does not have.
    assert_eq!(
        issue(&state, "epic/infrastructure-foundation").body,
        "<!-- ghgov:key=epic/infrastructure-foundation -->\n\
         \n\
         Build foundational cloud components.\n\
         \n\
         **Kind:** epic · **Priority:** high · **Estimate:** 3 months\n\
         \n\
         ## Acceptance criteria\n\
         - All components deployed\n\
         \n\
         ## Technical specs\n\
         - Kubernetes\n"
    );
}

#[test]
fn empty_required_sections_get_a_placeholder_and_a_warning() {
    let state = generate(&spec(), &config(), &ctx());
    let task = issue(
        &state,
        "task/monitoring-platform/setup_prometheus_monitoring",
    );
    assert_eq!(
        task.missing_sections,
        ["acceptance_criteria", "technical_specs"]
    );
    assert!(task.body.contains(&format!(
        "## Technical specs\n{PLACEHOLDER}: add technical_specs to this task in the specification._"
    )));
    let path = "project_scope.epic_definitions[0].feature_breakdown[0].task_breakdown[0]";
    let warning = state
        .report
        .problems
        .iter()
        .find(|p| p.path == format!("{path}.technical_specs"))
        .expect("a warning");
    assert_eq!(warning.code, "missing_documentation");
    assert_eq!(warning.severity, Severity::Warning);
    assert_eq!(warning.document, Document::Spec);
    assert!(issue(&state, "feature/docs").missing_sections.is_empty());
}

#[test]
fn estimates_priorities_and_agents() {
    let state = generate(&spec(), &config(), &ctx());
    let feature = issue(&state, "feature/monitoring-platform");
    assert_eq!(feature.estimate.as_deref(), Some("2-3 weeks"));
    assert_eq!(feature.priority.as_deref(), Some("high"));
    // Pool from auto_assignment_rules[infrastructure]; both agents qualify (by category or
    // by the required capability). The critical task went first and took the orchestrator
    // (equal utilization, lower priority number); now dev is the less loaded one.
    assert_eq!(
        issue(&state, "task/monitoring-platform/configure_grafana")
            .agent
            .as_deref(),
        Some("agent:orchestrator")
    );
    assert_eq!(feature.agent.as_deref(), Some("agent:dev"));
    assert_eq!(feature.assignees, ["dev-bot"]);
    let docs = issue(&state, "feature/docs");
    assert_eq!(docs.agent.as_deref(), Some("agent:dev"));
    assert_eq!(docs.assignees, ["dev-bot"]);
    assert_eq!(docs.priority, None);
    let epic = issue(&state, "epic/developer-portal");
    assert_eq!(epic.agent, None);
    assert_eq!(epic.estimate.as_deref(), Some("1 month"));
}

#[test]
fn labels_per_issue_without_issue_types() {
    let state = generate(&spec(), &config(), &ctx());
    assert_eq!(
        issue(&state, "epic/infrastructure-foundation").labels,
        ["epic", "infrastructure", "priority:high"]
    );
    // The template's agent label gives way to the agent actually assigned.
    assert_eq!(
        issue(&state, "feature/monitoring-platform").labels,
        ["agent:dev", "feature", "monitoring", "priority:high"]
    );
    assert_eq!(
        issue(&state, "task/monitoring-platform/configure_grafana").labels,
        ["agent:orchestrator", "priority:critical", "type: task"]
    );
    assert!(state.issues.iter().all(|i| i.issue_type.is_none()));
}

#[test]
fn issue_types_replace_kind_labels() {
    let mut context = ctx();
    context.issue_types = vec!["Bug".into(), "epic".into(), "Task".into()];
    let state = generate(&spec(), &config(), &context);
    let epic = issue(&state, "epic/infrastructure-foundation");
    assert_eq!(epic.issue_type.as_deref(), Some("epic"));
    assert_eq!(epic.labels, ["infrastructure", "priority:high"]);
    let feature = issue(&state, "feature/monitoring-platform");
    assert_eq!(feature.issue_type, None);
    assert!(feature.labels.contains(&"feature".to_string()));
    let task = issue(&state, "task/monitoring-platform/configure_grafana");
    assert_eq!(task.issue_type.as_deref(), Some("Task"));
    assert_eq!(task.labels, ["agent:orchestrator", "priority:critical"]);
    assert!(!state.labels.iter().any(|l| l.name == "epic"));
}

#[test]
fn labels_to_create_are_styled() {
    let state = generate(&spec(), &config(), &ctx());
    let label = |name: &str, color: &str, description: Option<&str>| DesiredLabel {
        name: name.into(),
        color: color.into(),
        description: description.map(String::from),
    };
    assert_eq!(
        state.labels,
        [
            label("agent:dev", "ededed", None),
            label("agent:orchestrator", "ff6b35", Some("Orchestrator service")),
            label("epic", "8b4789", Some("Epic-level initiatives")),
            label("feature", "0366d6", Some("Feature development")),
            label("infrastructure", "ededed", None),
            label("monitoring", "ededed", None),
            label("priority:critical", "b60205", None),
            label("priority:high", "d93f0b", None),
            label("type: task", "ededed", None),
        ]
    );
}

#[test]
fn the_specification_overrides_label_styles() {
    let mut spec = spec();
    spec.github_integration = Some(
        serde_json::from_value(json!({
            "label_configuration": {
                "epic_label": { "color": "fff" },
                "labels": { "Priority:High": { "color": "not-a-colour", "description": "Soon" } }
            }
        }))
        .expect("a valid integration block"),
    );
    let state = generate(&spec, &config(), &ctx());
    let find = |name: &str| state.labels.iter().find(|l| l.name == name).cloned();
    let epic = find("epic").expect("the epic label");
    assert_eq!(epic.color, "ffffff");
    assert_eq!(epic.description.as_deref(), Some("Epic-level initiatives"));
    let high = find("priority:high").expect("the priority label");
    assert_eq!(high.color, "d93f0b");
    assert_eq!(high.description.as_deref(), Some("Soon"));
    assert!(codes(&state).contains(&(
        "label_color",
        "github_integration.label_configuration.labels[\"Priority:High\"].color"
    )));
}

#[test]
fn milestones_from_the_pattern_and_the_mapping() {
    let state = generate(&spec(), &config(), &ctx());
    assert_eq!(
        state.milestones,
        [
            DesiredMilestone {
                title: "Q1-2026-Core".into(),
                description: Some("Delivery of epic: Core".into()),
                due_on: Some("2026-04-05".into()),
                due_on_authoritative: true,
            },
            DesiredMilestone {
                title: "Portal".into(),
                description: Some("Delivery of epic: Developer Portal".into()),
                due_on: Some("2026-02-04".into()),
                due_on_authoritative: true,
            },
        ]
    );
    assert_eq!(
        issue(&state, "task/monitoring-platform/configure_grafana")
            .milestone
            .as_deref(),
        Some("Q1-2026-Core")
    );
    assert_eq!(
        issue(&state, "feature/docs").milestone.as_deref(),
        Some("Portal")
    );
}

#[test]
fn epics_sharing_a_milestone_share_one_due_with_the_last() {
    let mut spec = spec();
    spec.project_scope.start_date = None;
    spec.project_scope.epic_definitions[0].milestone_mapping = Some("portal".into());
    let state = generate(&spec, &config(), &ctx());
    assert_eq!(
        state.milestones,
        [DesiredMilestone {
            title: "portal".into(),
            description: Some("Delivery of epics: Core, Developer Portal".into()),
            // Today (2026-03-10) plus the longer of 3 months and 1 month.
            due_on: Some("2026-06-08".into()),
            due_on_authoritative: false,
        }]
    );
    assert!(state
        .issues
        .iter()
        .all(|i| i.milestone.as_deref() == Some("portal")));
}

#[test]
fn no_milestone_without_mapping_when_creation_is_off() {
    let mut config = config();
    config
        .governance_rules
        .epic_generation_rules
        .milestone_policies
        .auto_milestone_creation = false;
    let state = generate(&spec(), &config, &ctx());
    assert_eq!(state.milestones.len(), 1);
    assert_eq!(issue(&state, "feature/monitoring-platform").milestone, None);
}

#[test]
fn links_between_issues() {
    let state = generate(&spec(), &config(), &ctx());
    let link = |parent: &str, child: &str| SubIssueLink {
        parent: parent.into(),
        child: child.into(),
    };
    assert_eq!(
        state.sub_issues,
        [
            link(
                "epic/infrastructure-foundation",
                "feature/monitoring-platform"
            ),
            link("epic/developer-portal", "feature/docs"),
            link(
                "feature/monitoring-platform",
                "task/monitoring-platform/setup_prometheus_monitoring"
            ),
            link(
                "feature/monitoring-platform",
                "task/monitoring-platform/configure_grafana"
            ),
        ]
    );
    assert_eq!(
        state.dependencies,
        [DependencyLink {
            blocked: "epic/developer-portal".into(),
            blocking: "epic/infrastructure-foundation".into(),
            reason: Some("Needs hosting".into()),
        }]
    );
    assert!(codes(&state).contains(&(
        "unknown_epic",
        "project_scope.cross_epic_dependencies[2].dependency_epic"
    )));
}

#[test]
fn capacity_limits_assignment_and_warns() {
    let mut context = ctx();
    // Open work elsewhere: the orchestrator has 2 of 3, dev is full at 10 of 10.
    context.agent_load = BTreeMap::from([
        ("Agent:Orchestrator".to_string(), 2),
        ("agent:dev".to_string(), 10),
    ]);
    let state = generate(&spec(), &config(), &context);
    // The critical task goes first and takes the orchestrator's last slot.
    assert_eq!(
        issue(&state, "task/monitoring-platform/configure_grafana")
            .agent
            .as_deref(),
        Some("agent:orchestrator")
    );
    assert_eq!(issue(&state, "feature/monitoring-platform").agent, None);
    let unassigned: Vec<&Problem> = state
        .report
        .problems
        .iter()
        .filter(|p| p.code == "unassigned")
        .collect();
    assert_eq!(unassigned.len(), 3, "{unassigned:#?}");
    assert_eq!(
        unassigned[0].path,
        "project_scope.epic_definitions[0].feature_breakdown[0]"
    );
    assert!(unassigned[0].message.contains(
        "all eligible agents are at capacity: agent:dev (10 of 10), agent:orchestrator (3 of 3)"
    ));
    assert!(unassigned[0].hint.contains("max_concurrent_tasks"));
    assert!(!state.labels.iter().any(|l| l.name == "agent:dev"));
}

#[test]
fn explicit_agents_are_taken_when_they_have_room() {
    let mut spec = spec();
    let feature = &mut spec.project_scope.epic_definitions[0].feature_breakdown[0];
    feature.assigned_agent = Some("agent:qa".into());
    let state = generate(&spec, &config(), &ctx());
    assert_eq!(
        issue(&state, "feature/monitoring-platform")
            .agent
            .as_deref(),
        Some("agent:qa")
    );
}

#[test]
fn no_agent_services_means_no_agent_warnings() {
    let mut config = config();
    config.agent_service_mappings.clear();
    let state = generate(&spec(), &config, &ctx());
    assert!(state.issues.iter().all(|i| i.agent.is_none()));
    assert!(!codes(&state).iter().any(|(code, _)| *code == "unassigned"));
}

#[test]
fn odd_input_falls_back_with_warnings() {
    let mut value = spec_json();
    value["project_scope"]["start_date"] = json!("next monday");
    let epics = value["project_scope"]["epic_definitions"]
        .as_array_mut()
        .expect("epics");
    epics.push(json!({
        "epic_key": "agents",
        "epic_title": "Agents",
        "category": "agent_services",
        "estimated_duration": "a while",
        "feature_breakdown": [
            { "feature_key": "f", "feature_title": "F", "template": "nope" },
            { "feature_key": "f", "feature_title": "F again" },
            {
                "feature_key": "g",
                "feature_title": "G",
                "template": "monitoring-feature",
                "task_breakdown": [{ "task_key": "t", "complexity": "epic" }]
            }
        ]
    }));
    epics.push(json!({ "epic_key": "agents", "epic_title": "Agents again" }));
    let spec: ProjectSpec = serde_json::from_value(value).expect("a specification");
    let state = generate(&spec, &config(), &ctx());

    let found = codes(&state);
    for expected in [
        ("start_date", "project_scope.start_date"),
        (
            "unknown_template",
            "governance_rules.epic_generation_rules.template_mapping.agent_services",
        ),
        (
            "unknown_template",
            "project_scope.epic_definitions[2].feature_breakdown[0].template",
        ),
        (
            "duplicate_key",
            "project_scope.epic_definitions[2].feature_breakdown[1]",
        ),
        ("duplicate_key", "project_scope.epic_definitions[3]"),
        (
            "duration",
            "project_scope.epic_definitions[2].estimated_duration",
        ),
        (
            "unfilled_placeholder",
            "project_scope.epic_definitions[2].feature_breakdown[2].variables",
        ),
        (
            "unknown_complexity",
            "project_scope.epic_definitions[2].feature_breakdown[2].task_breakdown[0].complexity",
        ),
    ] {
        assert!(found.contains(&expected), "{expected:?} not in {found:#?}");
    }
    assert_eq!(issue(&state, "epic/agents").title, "Epic: Agents");
    assert_eq!(issue(&state, "feature/f").title, "Feature: F");
    assert_eq!(
        issue(&state, "feature/g").title,
        "Feature: {monitoring_type} Monitoring Platform"
    );
    assert_eq!(
        state.issues.iter().filter(|i| i.key == "feature/f").count(),
        1
    );
    // Counted from today; the unreadable duration gives the milestone no due date.
    let agents_milestone = state
        .milestones
        .iter()
        .find(|m| m.title == "Q1-2026-Agents")
        .expect("the milestone");
    assert_eq!(agents_milestone.due_on, None);
    assert!(!agents_milestone.due_on_authoritative);
    assert!(state
        .report
        .problems
        .iter()
        .all(|p| p.severity == Severity::Warning));
}

#[test]
fn the_same_input_gives_the_same_state() {
    let mut context = ctx();
    context.agent_load = BTreeMap::from([("agent:orchestrator".to_string(), 2)]);
    let first = generate(&spec(), &config(), &context);
    assert_eq!(first, generate(&spec(), &config(), &context));
}

#[test]
fn an_empty_specification_gives_an_empty_state() {
    let spec = ProjectSpec {
        organization: "acme".into(),
        repository: "widgets".into(),
        ..ProjectSpec::default()
    };
    let state = generate(&spec, &GovernanceConfig::default(), &ctx());
    assert_eq!(
        state,
        DesiredState {
            repository: "acme/widgets".into(),
            ..DesiredState::default()
        }
    );
}

/// Text from a few awkward pieces (braces, separators, case, blanks, non-ASCII).
fn odd_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            "a",
            "B",
            "{",
            "}",
            "{epic_name}",
            "{x}",
            " ",
            "-",
            "3",
            "weeks",
            "é",
            "#",
            ":",
            "",
        ]),
        0..6,
    )
    .prop_map(|parts| parts.concat())
}

fn odd_spec() -> impl Strategy<Value = Value> {
    let task = (odd_text(), prop::option::of(odd_text())).prop_map(|(key, complexity)| {
        json!({ "task_key": key, "complexity": complexity, "assigned_agent": complexity })
    });
    let feature = (
        odd_text(),
        prop::option::of(odd_text()),
        prop::option::of(odd_text()),
        prop::collection::vec(task, 0..3),
    )
        .prop_map(|(key, template, priority, tasks)| {
            json!({
                "feature_key": key, "feature_title": key, "template": template,
                "priority": priority, "task_breakdown": tasks
            })
        });
    let epic = (
        odd_text(),
        prop::option::of(odd_text()),
        prop::option::of(odd_text()),
        prop::option::of(odd_text()),
        prop::collection::vec(feature, 0..3),
    )
        .prop_map(|(key, category, duration, milestone, features)| {
            json!({
                "epic_key": key, "epic_title": key, "category": category.clone(),
                "estimated_duration": duration, "milestone_mapping": milestone,
                "assigned_agent_services": category.into_iter().collect::<Vec<_>>(),
                "feature_breakdown": features
            })
        });
    (
        prop::option::of(odd_text()),
        prop::collection::vec(epic, 0..4),
        prop::collection::vec((odd_text(), odd_text()), 0..3),
    )
        .prop_map(|(start, epics, dependencies)| {
            json!({
                "organization": "o", "repository": "r",
                "project_scope": {
                    "start_date": start,
                    "epic_definitions": epics,
                    "cross_epic_dependencies": dependencies.into_iter().map(|(a, b)| {
                        json!({ "dependent_epic": a, "dependency_epic": b })
                    }).collect::<Vec<_>>()
                }
            })
        })
}

proptest! {
    #[test]
    fn odd_specifications_never_panic_and_stay_consistent(value in odd_spec(), pattern in odd_text()) {
        let spec: ProjectSpec = serde_json::from_value(value).expect("the shape is right");
        let mut config = config();
        config.governance_rules.epic_generation_rules.milestone_policies.milestone_naming_pattern = Some(pattern);
        let state = generate(&spec, &config, &ctx());
        prop_assert_eq!(&state, &generate(&spec, &config, &ctx()));
        let keys: std::collections::BTreeSet<&str> = state.issues.iter().map(|i| i.key.as_str()).collect();
        prop_assert_eq!(keys.len(), state.issues.len());
        for issue in &state.issues {
            prop_assert!(issue.body.starts_with(&crate::governance::desired::marker(&issue.key)));
            for label in &issue.labels {
                prop_assert!(state.labels.iter().any(|l| &l.name == label));
            }
            if let Some(m) = &issue.milestone {
                prop_assert!(state.milestones.iter().any(|d| &d.title == m));
            }
        }
        for link in &state.sub_issues {
            prop_assert!(keys.contains(link.parent.as_str()) && keys.contains(link.child.as_str()));
        }
    }
}
