//! Validation as a caller sees it: documents in, report out. Each check has a unit test
//! that starts from a clean pair of documents and breaks one thing; the snapshots show
//! the rendered messages people read.

use super::*;
use crate::governance::problems::Severity;
use serde_json::{json, Value};

fn config() -> Value {
    json!({
        "organization": "acme",
        "repository": "widgets",
        "configuration_version": "2.0",
        "governance_rules": {
            "epic_generation_rules": {
                "template_mapping": { "infrastructure": "infrastructure-epic" },
                "auto_assignment_rules": {
                    "infrastructure": ["agent:orchestrator"],
                    "agent_services": ["agent:dev", "agent:qa"]
                },
                "milestone_policies": {
                    "default_duration": "3 months",
                    "auto_milestone_creation": true,
                    "milestone_naming_pattern": "Q{quarter}-{year}-{epic_name}"
                }
            },
            "feature_generation_rules": {
                "max_features_per_epic": 8,
                "auto_task_breakdown": true,
                "task_estimation_rules": {
                    "simple": "1-3 days", "medium": "1-2 weeks", "complex": "2-4 weeks"
                }
            },
            "compliance_requirements": {
                "audit_trail_required": true,
                "approval_workflows": ["epic_creation", "milestone_changes"],
                "required_documentation": []
            }
        },
        "agent_service_mappings": {
            "agent:orchestrator": {
                "capabilities": ["infrastructure", "deployment"],
                "auto_assignment_priority": 1,
                "escalation_rules": { "max_concurrent_tasks": 10, "escalation_threshold": "2 days overdue" }
            },
            "agent:dev": { "capabilities": ["development"], "auto_assignment_priority": 2 },
            "agent:qa": { "capabilities": ["testing"], "auto_assignment_priority": 3 }
        },
        "templates": {
            "epic_templates": [{
                "template_id": "infrastructure-epic",
                "title_pattern": "Epic: {epic_name} Infrastructure Platform",
                "description_template": "Build foundational {component_type} components...",
                "default_labels": ["epic", "infrastructure"]
            }],
            "feature_templates": [{
                "template_id": "monitoring-feature",
                "title_pattern": "Feature: {monitoring_type} Monitoring Platform",
                "default_labels": ["feature", "monitoring"],
                "estimated_effort": "2-3 weeks"
            }]
        },
        "label_configuration": {
            "epic_label": { "color": "8B4789", "description": "Epic-level initiatives" },
            "feature_label": { "color": "#0366d6" },
            "agent_labels": { "agent:dev": { "color": "4ECDC4" } }
        }
    })
}

fn spec() -> Value {
    json!({
        "organization": "acme",
        "repository": "widgets",
        "project_scope": {
            "start_date": "2025-01-06",
            "epic_definitions": [
                {
                    "epic_key": "infrastructure-foundation",
                    "epic_title": "Infrastructure Foundation",
                    "category": "infrastructure",
                    "assigned_agent_services": ["agent:orchestrator"],
                    "priority": "critical",
                    "estimated_duration": "3 months",
                    "variables": { "component_type": "networking" },
                    "feature_breakdown": [{
                        "feature_key": "monitoring-platform",
                        "feature_title": "Monitoring & Logging Platform",
                        "assigned_agent": "agent:orchestrator",
                        "estimated_effort": "2-3 weeks",
                        "template": "monitoring-feature",
                        "variables": { "monitoring_type": "Prometheus" },
                        "task_breakdown": ["setup_prometheus_monitoring", "configure_grafana_dashboards"]
                    }]
                },
                {
                    "epic_key": "agent-services-platform",
                    "epic_title": "Agent Services Platform",
                    "category": "agent_services",
                    "milestone_mapping": "Q2-2025-Agents",
                    "feature_breakdown": [{
                        "feature_key": "api-gateway",
                        "feature_title": "API gateway",
                        "priority": "high",
                        "task_breakdown": [
                            { "task_key": "write_tests", "title": "Write tests", "complexity": "simple", "assigned_agent": "agent:qa" }
                        ]
                    }]
                }
            ],
            "cross_epic_dependencies": [{
                "dependent_epic": "agent-services-platform",
                "dependency_epic": "infrastructure-foundation",
                "dependency_type": "blocks",
                "dependency_reason": "Requires infrastructure foundation"
            }]
        }
    })
}

fn check(spec: &Value, config: &Value) -> Report {
    validate(spec, config).report
}

/// `value` with the node at a JSON pointer replaced (or added to its parent; `-` appends).
fn with(mut value: Value, pointer: &str, new: Value) -> Value {
    let (parent, last) = pointer.rsplit_once('/').expect("pointer");
    let last = last.replace("~1", "/").replace("~0", "~");
    match value.pointer_mut(parent).expect("parent exists") {
        Value::Object(m) => {
            m.insert(last, new);
        }
        Value::Array(a) if last == "-" => a.push(new),
        Value::Array(a) => a[last.parse::<usize>().expect("index")] = new,
        other => panic!("cannot set {pointer} in {other}"),
    }
    value
}

/// The (code, path) of every problem, to compare with what a test expects.
fn found(report: &Report) -> Vec<(String, String)> {
    report
        .problems
        .iter()
        .map(|p| (p.code.clone(), p.path.clone()))
        .collect()
}

#[track_caller]
fn assert_only(report: &Report, expected: &[(&str, &str)]) {
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(c, p)| (c.to_string(), p.to_string()))
        .collect();
    assert_eq!(found(report), expected, "\n{}", report.render());
}

#[track_caller]
fn problem<'a>(report: &'a Report, code: &str, path: &str) -> &'a Problem {
    report
        .problems
        .iter()
        .find(|p| p.code == code && p.path == path)
        .unwrap_or_else(|| panic!("no {code} at {path} in\n{}", report.render()))
}

// ---------------------------------------------------------------- clean documents

#[test]
fn clean_documents_have_no_problems() {
    let v = validate(&spec(), &config());
    assert!(v.report.problems.is_empty(), "{}", v.report.render());
    let spec = v.spec.expect("typed spec");
    assert_eq!(spec.project_scope.epic_definitions.len(), 2);
    assert_eq!(v.config.expect("typed config").organization, "acme");
}

/// The examples of SPEC-FORMATS.md pass the schemas. (Their template ids do not match
/// each other, which the rules report; that is the example's problem, not the format's.)
#[test]
fn documented_examples_fit_the_schemas() {
    let config: Value = serde_norway::from_str(DOCUMENTED_CONFIG).expect("yaml");
    let spec: Value = serde_norway::from_str(DOCUMENTED_SPEC).expect("yaml");
    let v = validate(&spec, &config);
    let schema: Vec<&Problem> = v
        .report
        .problems
        .iter()
        .filter(|p| p.code == "schema")
        .collect();
    assert!(schema.is_empty(), "{}", v.report.render());
    assert!(v.spec.is_some() && v.config.is_some());
}

#[test]
fn documented_examples_snapshot() {
    let config: Value = serde_norway::from_str(DOCUMENTED_CONFIG).expect("yaml");
    let spec: Value = serde_norway::from_str(DOCUMENTED_SPEC).expect("yaml");
    insta::assert_snapshot!(check(&spec, &config).render());
}

const DOCUMENTED_CONFIG: &str = r#"
organization: acme
repository: widgets
configuration_version: "2.0"
governance_rules:
  epic_generation_rules:
    template_mapping:
      infrastructure: epic-infrastructure-template
      agent_services: epic-agent-services-template
      developer_experience: epic-dev-experience-template
    auto_assignment_rules:
      infrastructure: ["agent:orchestrator", "agent:security"]
      agent_services: ["agent:dev", "agent:qa", "agent:security"]
      developer_experience: ["agent:dev", "agent:pm"]
    milestone_policies:
      default_duration: "3 months"
      auto_milestone_creation: true
      milestone_naming_pattern: "Q{quarter}-{year}-{epic_name}"
  feature_generation_rules:
    max_features_per_epic: 8
    auto_task_breakdown: true
    task_estimation_rules:
      simple: "1-3 days"
      medium: "1-2 weeks"
      complex: "2-4 weeks"
  compliance_requirements:
    audit_trail_required: true
    approval_workflows: ["epic_creation", "milestone_changes"]
    required_documentation: ["acceptance_criteria", "technical_specs"]
agent_service_mappings:
  "agent:orchestrator":
    capabilities: ["infrastructure", "coordination", "deployment"]
    auto_assignment_priority: 1
    escalation_rules: { max_concurrent_tasks: 10, escalation_threshold: "2 days overdue" }
  "agent:dev":
    capabilities: ["development", "coding", "testing"]
    auto_assignment_priority: 2
    specializations: ["frontend", "backend", "api_development"]
  "agent:qa":
    capabilities: ["testing", "quality_assurance", "automation"]
    auto_assignment_priority: 3
    testing_frameworks: ["unit", "integration", "e2e", "performance"]
templates:
  epic_templates:
    - template_id: infrastructure-epic
      title_pattern: "Epic: {epic_name} Infrastructure Platform"
      description_template: "Build foundational {component_type} components..."
      default_labels: ["epic", "infrastructure", "priority:critical"]
      required_features: ["monitoring", "security", "deployment"]
  feature_templates:
    - template_id: monitoring-feature
      title_pattern: "Feature: {monitoring_type} Monitoring Platform"
      description_template: "Implement {monitoring_type} monitoring..."
      default_labels: ["feature", "monitoring", "agent:orchestrator"]
      estimated_effort: "2-3 weeks"
label_configuration:
  epic_label:    { color: "8B4789", description: "Epic-level initiatives" }
  feature_label: { color: "0366d6", description: "Feature development" }
  agent_labels:
    "agent:orchestrator": { color: "FF6B35", description: "Orchestrator service" }
    "agent:dev":          { color: "4ECDC4", description: "Development agent" }
"#;

const DOCUMENTED_SPEC: &str = r#"
organization: acme
repository: widgets
project_scope:
  epic_definitions:
    - epic_key: infrastructure-foundation
      epic_title: Infrastructure Foundation Platform
      epic_description: Build foundational infrastructure components...
      category: infrastructure
      assigned_agent_services: ["agent:orchestrator", "agent:security"]
      priority: critical
      estimated_duration: "3 months"
      milestone_mapping: Q1-2025-Infrastructure
      success_criteria:
        - All infrastructure components deployed
        - Monitoring coverage > 95%
      feature_breakdown:
        - feature_key: monitoring-platform
          feature_title: Monitoring & Logging Platform
          feature_description: Comprehensive monitoring solution...
          assigned_agent: "agent:orchestrator"
          estimated_effort: "2-3 weeks"
          acceptance_criteria: ["Every service exports metrics"]
          task_breakdown:
            - setup_prometheus_monitoring
            - configure_grafana_dashboards
            - implement_log_aggregation
  cross_epic_dependencies:
    - dependent_epic: agent-services-platform
      dependency_epic: infrastructure-foundation
      dependency_type: blocks
      dependency_reason: Requires infrastructure foundation
generation_metadata:
  specification_source: conversation_history
  confidence_score: 0.95
  human_review_required: false
"#;

// ---------------------------------------------------------------- schema step

#[test]
fn schema_type_errors_name_both_types_and_how_to_fix() {
    let config = with(config(), "/configuration_version", json!(2.0));
    let report = check(&spec(), &config);
    assert_only(&report, &[("schema", "configuration_version")]);
    let p = &report.problems[0];
    assert_eq!(p.document, Document::Config);
    assert_eq!(p.message, "expected a string, found a number (2.0)");
    assert!(
        p.hint.starts_with("put the value in quotes: \"2.0\""),
        "{}",
        p.hint
    );
}

#[test]
fn schema_errors_use_our_paths() {
    let spec = with(
        spec(),
        "/project_scope/epic_definitions/1/feature_breakdown/0/task_breakdown/-",
        json!(42),
    );
    let config = with(
        config(),
        "/agent_service_mappings/agent:dev/capabilities",
        json!("development"),
    );
    let report = check(&spec, &config);
    assert_only(
        &report,
        &[
            (
                "schema",
                "agent_service_mappings[\"agent:dev\"].capabilities",
            ),
            (
                "schema",
                "project_scope.epic_definitions[1].feature_breakdown[0].task_breakdown[1]",
            ),
        ],
    );
    assert_eq!(
        report.problems[1].message,
        "expected a string or a mapping, found a number (42)"
    );
    assert!(report.problems[0]
        .hint
        .starts_with("write a list, even of one item: [\"development\"]"));
}

#[test]
fn schema_reports_missing_fields_and_enums() {
    let mut spec = spec();
    spec["project_scope"]["epic_definitions"][0]
        .as_object_mut()
        .unwrap()
        .remove("epic_key");
    let spec = with(
        spec,
        "/project_scope/epic_definitions/0/priority",
        json!("urgent"),
    );
    let spec = with(
        spec,
        "/project_scope/cross_epic_dependencies/0/dependency_type",
        json!("Blocks"),
    );
    let report = check(&spec, &config());
    let missing = problem(&report, "schema", "project_scope.epic_definitions[0]");
    assert_eq!(missing.message, "missing required field `epic_key`");
    assert!(missing
        .hint
        .starts_with("add `epic_key`: Identifies the epic"));
    let priority = problem(
        &report,
        "schema",
        "project_scope.epic_definitions[0].priority",
    );
    assert_eq!(
        priority.message,
        "`urgent` is not one of critical, high, medium, low"
    );
    assert!(priority
        .hint
        .starts_with("write one of critical, high, medium, low"));
    let kind = problem(
        &report,
        "schema",
        "project_scope.cross_epic_dependencies[0].dependency_type",
    );
    assert!(
        kind.hint
            .starts_with("write `blocks` (lower case, as listed)"),
        "{}",
        kind.hint
    );
    // A missing key stops deserialization, so no rules ran on the specification.
    assert_eq!(report.problems.len(), 3, "{}", report.render());
}

#[test]
fn schema_errors_do_not_stop_the_rules_when_the_document_still_reads() {
    let spec = with(
        spec(),
        "/project_scope/epic_definitions/0/priority",
        json!("urgent"),
    );
    let spec = with(
        spec,
        "/project_scope/epic_definitions/0/category",
        json!("unknown"),
    );
    let report = check(&spec, &config());
    assert_only(
        &report,
        &[
            ("schema", "project_scope.epic_definitions[0].priority"),
            (
                "unknown_category",
                "project_scope.epic_definitions[0].category",
            ),
        ],
    );
}

#[test]
fn every_schema_error_is_reported_in_document_order() {
    let mut spec = spec();
    for i in [0, 1] {
        spec["project_scope"]["epic_definitions"][i]["epic_title"] = json!(i);
    }
    spec["organization"] = json!(["acme"]);
    let report = check(&spec, &config());
    assert_only(
        &report,
        &[
            ("schema", "organization"),
            ("schema", "project_scope.epic_definitions[0].epic_title"),
            ("schema", "project_scope.epic_definitions[1].epic_title"),
        ],
    );
}

#[test]
fn optional_fields_may_be_null_and_unknown_fields_are_kept() {
    let spec = with(
        spec(),
        "/project_scope/epic_definitions/0/epic_description",
        Value::Null,
    );
    let spec = with(
        spec,
        "/project_scope/epic_definitions/0/owner_team",
        json!({"any": [1]}),
    );
    let config = with(
        config(),
        "/governance_rules/epic_generation_rules/milestone_policies/milestone_naming_pattern",
        Value::Null,
    );
    let v = validate(&spec, &config);
    assert!(v.report.problems.is_empty(), "{}", v.report.render());
    let epic = &v.spec.unwrap().project_scope.epic_definitions[0];
    assert_eq!(epic.extra["owner_team"], json!({"any": [1]}));
}

#[test]
fn integer_fields_reject_fractions() {
    let fraction = with(
        config(),
        "/governance_rules/feature_generation_rules/max_features_per_epic",
        json!(2.5),
    );
    let report = check(&spec(), &fraction);
    let p = problem(
        &report,
        "schema",
        "governance_rules.feature_generation_rules.max_features_per_epic",
    );
    assert_eq!(p.message, "expected a whole number, found a number (2.5)");
    let zero = with(
        config(),
        "/governance_rules/feature_generation_rules/max_features_per_epic",
        json!(0),
    );
    let report = check(&spec(), &zero);
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.message == "0 is below the minimum, 1"),
        "{}",
        report.render()
    );
}

/// 8.0 satisfies the schema's "integer" but not serde's u32: the document is reported as
/// unreadable rather than silently skipped.
#[test]
fn documents_the_types_cannot_read_are_reported() {
    let config = with(
        config(),
        "/governance_rules/feature_generation_rules/max_features_per_epic",
        json!(8.0),
    );
    let v = validate(&spec(), &config);
    assert!(v.config.is_none());
    assert_only(&v.report, &[("schema", "")]);
    assert!(v.report.problems[0]
        .message
        .starts_with("the document cannot be read: "));
}

#[test]
fn one_broken_document_does_not_hide_the_others_problems() {
    let spec = with(
        spec(),
        "/project_scope/epic_definitions/0/estimated_duration",
        json!("soon"),
    );
    let v = validate(&spec, &json!("not a mapping"));
    assert!(v.config.is_none() && v.spec.is_some());
    assert_only(
        &v.report,
        &[
            ("schema", ""),
            (
                "invalid_duration",
                "project_scope.epic_definitions[0].estimated_duration",
            ),
        ],
    );
}

#[test]
fn a_configuration_alone() {
    assert!(validate_config(&config()).problems.is_empty());
    let config = with(
        config(),
        "/label_configuration/epic_label/color",
        json!("purple"),
    );
    // Outside the enum, but the document still reads, so the rules run too.
    let config = with(
        config,
        "/governance_rules/authoritative",
        json!(["everything"]),
    );
    assert_only(
        &validate_config(&config),
        &[
            ("schema", "governance_rules.authoritative[0]"),
            ("invalid_color", "label_configuration.epic_label.color"),
        ],
    );
}

#[test]
fn a_tracking_section_is_checked_for_states_and_labels() {
    let good = with(
        config(),
        "/tracking",
        json!({
            "status_labels": {"in_progress": "wip", "review": "needs review"},
            "transitions": {"planning": ["in_progress"], "review": ["done", "cancelled"]}
        }),
    );
    assert!(
        validate_config(&good).problems.is_empty(),
        "{}",
        validate_config(&good).render()
    );
    let bad = with(
        config(),
        "/tracking",
        json!({
            "status_labels": {"in progress": "wip", "review": "status:blocked"},
            "transitions": {"review": ["done", "shipped"], "reviewing": ["done"]}
        }),
    );
    let report = validate_config(&bad);
    assert_only(
        &report,
        &[
            ("unknown_state", "tracking.status_labels[\"in progress\"]"),
            ("duplicate_status_label", "tracking.status_labels.review"),
            ("unknown_state", "tracking.transitions.review[1]"),
            ("unknown_state", "tracking.transitions.reviewing"),
        ],
    );
    let p = problem(&report, "unknown_state", "tracking.transitions.review[1]");
    assert!(p.hint.contains("in_progress"), "{}", p.hint);
    let p = problem(
        &report,
        "duplicate_status_label",
        "tracking.status_labels.review",
    );
    assert!(p.message.contains("blocked and review"), "{}", p.message);
    // The schema checks the shapes.
    let shape = with(
        config(),
        "/tracking",
        json!({"transitions": {"review": "done"}}),
    );
    assert_eq!(found(&validate_config(&shape))[0].0, "schema");
}

// ---------------------------------------------------------------- rules between the documents

#[test]
fn spec_must_be_for_the_configured_repository() {
    let report = check(&with(spec(), "/repository", json!("gadgets")), &config());
    assert_only(&report, &[("repository_mismatch", "repository")]);
    assert!(report.problems[0].hint.contains("repository: widgets"));
    // Owner and repository names are case-insensitive on GitHub.
    let report = check(&with(spec(), "/organization", json!("ACME")), &config());
    assert_only(&report, &[]);
}

#[test]
fn too_many_features_reported_at_the_first_one_over() {
    let config = with(
        config(),
        "/governance_rules/feature_generation_rules/max_features_per_epic",
        json!(1),
    );
    let spec = with(
        spec(),
        "/project_scope/epic_definitions/1/feature_breakdown/-",
        json!({"feature_key": "second", "feature_title": "Second"}),
    );
    let report = check(&spec, &config);
    assert_only(
        &report,
        &[(
            "max_features_per_epic",
            "project_scope.epic_definitions[1].feature_breakdown[1]",
        )],
    );
    assert!(report.problems[0]
        .hint
        .contains("governance_rules.feature_generation_rules.max_features_per_epic"));
}

#[test]
fn required_documentation_missing_is_a_warning_per_item_and_section() {
    let config = with(
        config(),
        "/governance_rules/compliance_requirements/required_documentation",
        json!([
            "technical_specs",
            "success_criteria",
            "design_notes",
            "technical_specs"
        ]),
    );
    let mut spec = spec();
    spec["project_scope"]["epic_definitions"][0]["technical_specs"] = json!(["Terraform"]);
    spec["project_scope"]["epic_definitions"][0]["success_criteria"] = json!(["Deployed"]);
    // Blank entries do not count.
    spec["project_scope"]["epic_definitions"][1]["success_criteria"] = json!(["  "]);
    spec["project_scope"]["epic_definitions"][0]["feature_breakdown"][0]["technical_specs"] =
        json!(["Prometheus 2"]);
    spec["project_scope"]["epic_definitions"][1]["feature_breakdown"][0]["task_breakdown"][0]
        ["technical_specs"] = json!(["pytest"]);
    let report = check(&spec, &config);
    let f0 = "project_scope.epic_definitions[0].feature_breakdown[0]";
    assert_only(
        &report,
        &[
            (
                "unknown_documentation",
                "governance_rules.compliance_requirements.required_documentation[2]",
            ),
            (
                "missing_documentation",
                "project_scope.epic_definitions[1].technical_specs",
            ),
            (
                "missing_documentation",
                "project_scope.epic_definitions[1].success_criteria",
            ),
            (
                "missing_documentation",
                &format!("{f0}.task_breakdown[0].technical_specs"),
            ),
            (
                "missing_documentation",
                &format!("{f0}.task_breakdown[1].technical_specs"),
            ),
            (
                "missing_documentation",
                "project_scope.epic_definitions[1].feature_breakdown[0].technical_specs",
            ),
        ],
    );
    assert!(report
        .problems
        .iter()
        .all(|p| p.severity == Severity::Warning));
    let task = problem(
        &report,
        "missing_documentation",
        &format!("{f0}.task_breakdown[0].technical_specs"),
    );
    assert!(
        task.hint.starts_with("write the task as a mapping"),
        "{}",
        task.hint
    );
    assert!(report.ok());
    assert!(!report.strict(true).ok());
}

#[test]
fn unknown_agents_in_either_document() {
    let spec = with(
        spec(),
        "/project_scope/epic_definitions/0/assigned_agent_services/-",
        json!("agent:security"),
    );
    let spec = with(
        spec,
        "/project_scope/epic_definitions/0/feature_breakdown/0/assigned_agent",
        json!("agent:ops"),
    );
    let spec = with(
        spec,
        "/project_scope/epic_definitions/1/feature_breakdown/0/task_breakdown/0/assigned_agent",
        json!("agent:pm"),
    );
    let config = with(
        config(),
        "/governance_rules/epic_generation_rules/auto_assignment_rules/infrastructure/-",
        json!("agent:security"),
    );
    let report = check(&spec, &config);
    assert_only(
        &report,
        &[
            ("unknown_agent", "governance_rules.epic_generation_rules.auto_assignment_rules.infrastructure[1]"),
            ("unknown_agent", "project_scope.epic_definitions[0].assigned_agent_services[1]"),
            ("unknown_agent", "project_scope.epic_definitions[0].feature_breakdown[0].assigned_agent"),
            (
                "unknown_agent",
                "project_scope.epic_definitions[1].feature_breakdown[0].task_breakdown[0].assigned_agent",
            ),
        ],
    );
    assert_eq!(
        report.problems[0].hint,
        "known agents (agent_service_mappings): agent:dev, agent:orchestrator, agent:qa"
    );
}

#[test]
fn unknown_categories_only_when_the_configuration_names_some() {
    let spec = with(
        spec(),
        "/project_scope/epic_definitions/1/category",
        json!("devex"),
    );
    let report = check(&spec, &config());
    assert_only(
        &report,
        &[(
            "unknown_category",
            "project_scope.epic_definitions[1].category",
        )],
    );
    assert!(report.problems[0]
        .hint
        .ends_with("agent_services, infrastructure"));

    let mut config = config();
    config["governance_rules"]["epic_generation_rules"] = json!({});
    // The epic template is no longer selected, so only the category check is affected.
    assert_only(&check(&spec, &config), &[]);
}

#[test]
fn unknown_and_duplicate_templates() {
    let config = with(
        config(),
        "/governance_rules/epic_generation_rules/template_mapping/agent_services",
        json!("agent-epic"),
    );
    let config = with(
        config,
        "/templates/feature_templates/-",
        json!({"template_id": "monitoring-feature"}),
    );
    let spec = with(
        spec(),
        "/project_scope/epic_definitions/1/feature_breakdown/0/template",
        json!("gateway"),
    );
    let report = check(&spec, &config);
    assert_only(
        &report,
        &[
            (
                "duplicate_template",
                "templates.feature_templates[1].template_id",
            ),
            (
                "unknown_template",
                "governance_rules.epic_generation_rules.template_mapping.agent_services",
            ),
            (
                "unknown_template",
                "project_scope.epic_definitions[1].feature_breakdown[0].template",
            ),
        ],
    );
    assert_eq!(
        report.problems[1].hint,
        "templates in templates.epic_templates: infrastructure-epic"
    );
}

#[test]
fn placeholders_must_be_built_in_or_variables() {
    let mut spec = spec();
    spec["project_scope"]["epic_definitions"][0]["variables"] = json!({});
    spec["project_scope"]["epic_definitions"][0]["feature_breakdown"][0]["variables"] =
        json!({"other": "x"});
    let config = with(
        config(),
        "/governance_rules/epic_generation_rules/milestone_policies/milestone_naming_pattern",
        json!("{team}-Q{quarter}-{year}"),
    );
    let report = check(&spec, &config);
    assert_only(
        &report,
        &[
            ("unknown_placeholder", "project_scope.epic_definitions[0]"),
            (
                "unknown_placeholder",
                "project_scope.epic_definitions[0].feature_breakdown[0]",
            ),
            // The second epic has a milestone_mapping, so the pattern is not used for it.
            ("unknown_placeholder", "project_scope.epic_definitions[0]"),
        ],
    );
    let epic = &report.problems[0];
    assert_eq!(
        epic.message,
        "epic template `infrastructure-epic` uses {component_type}, which is neither built in nor in this epic's variables"
    );
    assert_eq!(epic.hint, "add variables: {component_type: …} to this epic");
}

// ---------------------------------------------------------------- keys and dependencies

#[test]
fn duplicate_keys_point_at_the_first_use() {
    let mut spec = spec();
    let scope = &mut spec["project_scope"]["epic_definitions"];
    scope[1]["epic_key"] = json!("infrastructure-foundation");
    scope[1]["feature_breakdown"][0]["feature_key"] = json!("monitoring-platform");
    scope[0]["feature_breakdown"][0]["task_breakdown"] = json!(["a", {"task_key": "a"}]);
    // The same task key under another feature is fine.
    scope[1]["feature_breakdown"][0]["task_breakdown"] = json!(["a"]);
    spec["project_scope"]["cross_epic_dependencies"] = json!([]);
    let report = check(&spec, &config());
    assert_only(
        &report,
        &[
            (
                "duplicate_key",
                "project_scope.epic_definitions[0].feature_breakdown[0].task_breakdown[1].task_key",
            ),
            (
                "duplicate_key",
                "project_scope.epic_definitions[1].epic_key",
            ),
            (
                "duplicate_key",
                "project_scope.epic_definitions[1].feature_breakdown[0].feature_key",
            ),
        ],
    );
    assert_eq!(
        report.problems[1].hint,
        "first used at project_scope.epic_definitions[0].epic_key; each epic needs its own key"
    );
}

#[test]
fn empty_and_invalid_keys_and_titles() {
    let mut spec = spec();
    let scope = &mut spec["project_scope"]["epic_definitions"];
    scope[0]["epic_key"] = json!("Infra Foundation");
    scope[0]["epic_title"] = json!(" ");
    scope[0]["feature_breakdown"][0]["feature_key"] = json!("");
    scope[1]["feature_breakdown"][0]["task_breakdown"] =
        json!(["Set up Prometheus!", {"task_key": "ok", "title": ""}]);
    spec["project_scope"]["cross_epic_dependencies"] = json!([]);
    let report = check(&spec, &config());
    assert_only(
        &report,
        &[
            ("invalid_key", "project_scope.epic_definitions[0].epic_key"),
            (
                "empty_title",
                "project_scope.epic_definitions[0].epic_title",
            ),
            (
                "empty_key",
                "project_scope.epic_definitions[0].feature_breakdown[0].feature_key",
            ),
            (
                "invalid_key",
                "project_scope.epic_definitions[1].feature_breakdown[0].task_breakdown[0]",
            ),
            (
                "empty_title",
                "project_scope.epic_definitions[1].feature_breakdown[0].task_breakdown[1].title",
            ),
        ],
    );
    assert!(
        report.problems[3]
            .hint
            .ends_with("e.g. `set_up_prometheus`"),
        "{}",
        report.problems[3].hint
    );
}

#[test]
fn dependencies_on_unknown_epics_themselves_twice_and_in_cycles() {
    let mut spec = spec();
    let mut third = spec["project_scope"]["epic_definitions"][1].clone();
    third["epic_key"] = json!("developer-experience");
    third["feature_breakdown"] = json!([]);
    spec["project_scope"]["epic_definitions"]
        .as_array_mut()
        .unwrap()
        .push(third);
    let dep = |a: &str, b: &str| json!({"dependent_epic": a, "dependency_epic": b});
    spec["project_scope"]["cross_epic_dependencies"] = json!([
        dep("agent-services-platform", "infrastructure-foundation"),
        dep("infrastructure-foundation", "developer-experience"),
        dep("developer-experience", "agent-services-platform"),
        dep("agent-services-platform", "infrastructure-foundation"),
        dep("developer-experience", "developer-experience"),
        dep("nowhere", "infrastructure-foundation"),
    ]);
    let report = check(&spec, &config());
    let at = |n: usize| format!("project_scope.cross_epic_dependencies[{n}]");
    assert_only(
        &report,
        &[
            ("duplicate_dependency", &at(3)),
            ("self_dependency", &at(4)),
            ("unknown_epic", &format!("{}.dependent_epic", at(5))),
            ("dependency_cycle", &at(0)),
        ],
    );
    assert_eq!(
        problem(&report, "dependency_cycle", &at(0)).message,
        "epics wait for each other in a cycle: infrastructure-foundation → developer-experience → agent-services-platform → infrastructure-foundation"
    );
}

#[test]
fn long_chains_of_dependencies_are_fine() {
    let mut spec = spec();
    let epics: Vec<Value> = (0..3000)
        .map(|i| json!({"epic_key": format!("e{i}"), "epic_title": "E"}))
        .collect();
    let deps: Vec<Value> = (1..3000)
        .map(|i| json!({"dependent_epic": format!("e{i}"), "dependency_epic": format!("e{}", i - 1)}))
        .collect();
    spec["project_scope"] =
        json!({"epic_definitions": epics, "cross_epic_dependencies": deps.clone()});
    assert_only(&check(&spec, &config()), &[]);
    // Closing the chain makes one cycle through all of them, reported at the entry that
    // closes it when the search starts from the first epic.
    let mut deps = deps;
    deps.push(json!({"dependent_epic": "e0", "dependency_epic": "e2999"}));
    spec["project_scope"]["cross_epic_dependencies"] = json!(deps);
    let report = check(&spec, &config());
    assert_only(
        &report,
        &[(
            "dependency_cycle",
            "project_scope.cross_epic_dependencies[0]",
        )],
    );
    assert_eq!(
        report.problems[0].message,
        "epics wait for each other in a cycle: e0 → e2999 → e2998 → e2997 → e2996 → … (2991 more) … → e4 → e3 → e2 → e1 → e0"
    );
}

// ---------------------------------------------------------------- GitHub limits

#[test]
fn too_many_sub_issues_and_dependencies() {
    let mut spec = spec();
    let tasks: Vec<Value> = (0..101).map(|i| json!(format!("t{i}"))).collect();
    spec["project_scope"]["epic_definitions"][1]["feature_breakdown"][0]["task_breakdown"] =
        json!(tasks);
    let mut epics = spec["project_scope"]["epic_definitions"]
        .as_array()
        .unwrap()
        .clone();
    let mut deps = Vec::new();
    for i in 0..51 {
        epics.push(json!({"epic_key": format!("w{i}"), "epic_title": "Waits"}));
        deps.push(json!({"dependent_epic": format!("w{i}"), "dependency_epic": "infrastructure-foundation"}));
    }
    spec["project_scope"]["epic_definitions"] = json!(epics);
    spec["project_scope"]["cross_epic_dependencies"] = json!(deps);
    let report = check(&spec, &config());
    assert_only(
        &report,
        &[
            (
                "too_many_sub_issues",
                "project_scope.epic_definitions[1].feature_breakdown[0].task_breakdown[100]",
            ),
            (
                "too_many_dependencies",
                "project_scope.cross_epic_dependencies",
            ),
        ],
    );
    assert_eq!(
        report.problems[1].message,
        "epic `infrastructure-foundation` blocks 51 epics; GitHub allows at most 50 blocking relationships per issue"
    );
}

#[test]
fn titles_too_long_after_templates() {
    let long = "x".repeat(230);
    let mut spec = spec();
    // 230 characters fit on their own, but not inside "Epic: … Infrastructure Platform".
    spec["project_scope"]["epic_definitions"][0]["epic_title"] = json!(long);
    spec["project_scope"]["epic_definitions"][0]["milestone_mapping"] = json!("M1");
    spec["project_scope"]["epic_definitions"][1]["epic_title"] = json!(long);
    spec["project_scope"]["epic_definitions"][1]["feature_breakdown"][0]["task_breakdown"] =
        json!([{"task_key": "t", "title": "y".repeat(257)}]);
    let report = check(&spec, &config());
    assert_only(
        &report,
        &[
            ("title_too_long", "project_scope.epic_definitions[0]"),
            (
                "title_too_long",
                "project_scope.epic_definitions[1].feature_breakdown[0].task_breakdown[0].title",
            ),
        ],
    );
    assert_eq!(
        report.problems[0].message,
        "the epic's issue title would be 260 characters long; GitHub allows at most 256"
    );
}

#[test]
fn milestone_titles_too_long() {
    let mut spec = spec();
    spec["project_scope"]["epic_definitions"][0]["epic_title"] = json!("m".repeat(250));
    spec["project_scope"]["epic_definitions"][0]["category"] = json!("agent_services");
    spec["project_scope"]["epic_definitions"][1]["milestone_mapping"] = json!("n".repeat(256));
    let report = check(&spec, &config());
    assert_only(
        &report,
        &[
            (
                "milestone_title_too_long",
                "project_scope.epic_definitions[1].milestone_mapping",
            ),
            // "Q1-2000-" and 250 characters.
            (
                "milestone_title_too_long",
                "project_scope.epic_definitions[0]",
            ),
        ],
    );
}

#[test]
fn labels_too_long_and_bad_colours() {
    let long = "l".repeat(51);
    let config = with(
        config(),
        "/templates/epic_templates/0/default_labels/-",
        json!(long),
    );
    let config = with(
        config,
        "/label_configuration/epic_label/color",
        json!("#fff"),
    );
    let config = with(
        config,
        "/label_configuration/labels",
        json!({ long.clone(): {"color": "purple", "description": "d".repeat(101)} }),
    );
    let spec = with(
        spec(),
        "/github_integration",
        json!({"label_configuration": {"feature_label": {"name": long, "color": "0366d6"}}}),
    );
    let report = check(&spec, &config);
    let labels = format!("label_configuration.labels.{}", "l".repeat(51));
    assert_only(
        &report,
        &[
            ("invalid_color", "label_configuration.epic_label.color"),
            ("label_too_long", &labels),
            ("invalid_color", &format!("{labels}.color")),
            (
                "label_description_too_long",
                &format!("{labels}.description"),
            ),
            (
                "label_too_long",
                "templates.epic_templates[0].default_labels[2]",
            ),
            (
                "label_too_long",
                "github_integration.label_configuration.feature_label.name",
            ),
        ],
    );
    assert_eq!(
        report.problems[0].hint,
        "GitHub needs all six digits: \"ffffff\""
    );
}

#[test]
fn agent_names_are_labels_too() {
    let name = format!("agent:{}", "a".repeat(50));
    let config = with(
        config(),
        &format!("/agent_service_mappings/{name}"),
        json!({"capabilities": ["x"]}),
    );
    assert_only(
        &check(&spec(), &config),
        &[(
            "label_too_long",
            &format!("agent_service_mappings[{name:?}]"),
        )],
    );
}

// ---------------------------------------------------------------- values

#[test]
fn durations_and_dates_must_parse() {
    let config = with(
        config(),
        "/governance_rules/epic_generation_rules/milestone_policies/default_duration",
        json!("quarterly"),
    );
    let config = with(
        config,
        "/governance_rules/feature_generation_rules/task_estimation_rules/medium",
        json!("1-2 weaks"),
    );
    let config = with(
        config,
        "/governance_rules/feature_generation_rules/task_estimation_rules/trivial",
        json!("1 hour"),
    );
    let config = with(
        config,
        "/templates/feature_templates/0/estimated_effort",
        json!("a while"),
    );
    let config = with(
        config,
        "/agent_service_mappings/agent:orchestrator/escalation_rules/escalation_threshold",
        json!("2 days late or more"),
    );
    let spec = with(
        spec(),
        "/project_scope/epic_definitions/0/estimated_duration",
        json!("3-2 months"),
    );
    let spec = with(
        spec,
        "/project_scope/epic_definitions/0/feature_breakdown/0/estimated_effort",
        json!("2"),
    );
    let spec = with(spec, "/project_scope/start_date", json!("2025-02-30"));
    let report = check(&spec, &config);
    assert_only(
        &report,
        &[
            ("unknown_complexity", "governance_rules.feature_generation_rules.task_estimation_rules.trivial"),
            ("invalid_duration", "governance_rules.epic_generation_rules.milestone_policies.default_duration"),
            ("invalid_duration", "templates.feature_templates[0].estimated_effort"),
            ("invalid_duration", "agent_service_mappings[\"agent:orchestrator\"].escalation_rules.escalation_threshold"),
            ("invalid_duration", "governance_rules.feature_generation_rules.task_estimation_rules.medium"),
            ("invalid_duration", "project_scope.epic_definitions[0].estimated_duration"),
            ("invalid_duration", "project_scope.epic_definitions[0].feature_breakdown[0].estimated_effort"),
            ("invalid_date", "project_scope.start_date"),
        ],
    );
}

#[test]
fn agents_without_capacity_or_capabilities_are_warnings() {
    let config = with(
        config(),
        "/agent_service_mappings/agent:qa",
        json!({"escalation_rules": {"max_concurrent_tasks": 0}}),
    );
    let report = check(&spec(), &config);
    assert_only(
        &report,
        &[
            (
                "no_capacity",
                "agent_service_mappings[\"agent:qa\"].escalation_rules.max_concurrent_tasks",
            ),
            (
                "no_capabilities",
                "agent_service_mappings[\"agent:qa\"].capabilities",
            ),
        ],
    );
    assert_eq!(report.errors(), 0);
}

// ---------------------------------------------------------------- never panic

/// Every node of both documents replaced in turn by values of every other kind (and some
/// awkward strings): validation must report, never panic.
#[test]
fn garbage_anywhere_never_panics() {
    let garbage = [
        Value::Null,
        json!(0),
        json!(-1),
        json!(1.5),
        json!(1e300),
        json!(u64::MAX),
        json!(true),
        json!(""),
        json!("{"),
        json!("{}{x}}"),
        json!("é\u{0}\u{202e}"),
        json!([]),
        json!([null]),
        json!({}),
        json!({"": null}),
    ];
    let mut runs = 0;
    for (doc, base) in [(Document::Spec, spec()), (Document::Config, config())] {
        for pointer in pointers(&base, String::new()) {
            for g in &garbage {
                let broken = if pointer.is_empty() {
                    g.clone()
                } else {
                    with(base.clone(), &pointer, g.clone())
                };
                let (s, c) = match doc {
                    Document::Spec => (broken, config()),
                    Document::Config => (spec(), broken),
                };
                let report = check(&s, &c);
                assert!(!report.render().is_empty());
                runs += 1;
            }
        }
    }
    assert!(runs > 1000, "{runs}");
}

/// JSON pointers of every node below `value`.
fn pointers(value: &Value, here: String) -> Vec<String> {
    let mut out = vec![here.clone()];
    match value {
        Value::Object(m) => {
            for (k, v) in m {
                let k = k.replace('~', "~0").replace('/', "~1");
                out.extend(pointers(v, format!("{here}/{k}")));
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                out.extend(pointers(v, format!("{here}/{i}")));
            }
        }
        _ => {}
    }
    out
}

#[test]
fn whole_documents_of_the_wrong_kind() {
    for garbage in [Value::Null, json!(1), json!("spec"), json!([{}]), json!({})] {
        let v = validate(&garbage, &garbage);
        assert!(!v.report.ok());
        assert!(v.spec.is_none() && v.config.is_none());
    }
}

proptest::proptest! {
    #[test]
    fn arbitrary_text_in_keys_titles_and_patterns_never_panics(
        key in ".{0,40}",
        title in ".{0,300}",
        pattern in "[{}a-z_ ]{0,40}",
        color in ".{0,8}",
        duration in ".{0,20}",
    ) {
        let mut spec = spec();
        let epic = &mut spec["project_scope"]["epic_definitions"][0];
        epic["epic_key"] = json!(key);
        epic["epic_title"] = json!(title);
        epic["estimated_duration"] = json!(duration);
        epic["feature_breakdown"][0]["task_breakdown"] = json!([key]);
        let mut config = config();
        config["templates"]["epic_templates"][0]["title_pattern"] = json!(pattern);
        config["label_configuration"]["epic_label"]["color"] = json!(color);
        let _ = check(&spec, &config).render();
        let _ = parse_duration(&duration);
    }
}

// ---------------------------------------------------------------- snapshots of the messages

#[test]
fn snapshot_spec_with_many_problems() {
    let spec: Value = serde_norway::from_str(
        r#"
organization: acme
repository: gadgets
project_scope:
  start_date: "next monday"
  epic_definitions:
    - epic_key: infrastructure-foundation
      epic_title: Infrastructure Foundation
      category: infrastructure
      assigned_agent_services: ["agent:orchestrator", "agent:security"]
      estimated_duration: "a quarter"
      feature_breakdown:
        - feature_key: monitoring-platform
          feature_title: Monitoring
          template: monitoring-feature
          assigned_agent: "agent:ops"
          task_breakdown:
            - setup_prometheus
            - setup_prometheus
            - "Configure Grafana dashboards"
        - feature_key: logging
          feature_title: Logging
          template: logging-feature
    - epic_key: infrastructure-foundation
      epic_title: ""
      category: devex
      feature_breakdown:
        - { feature_key: logging, feature_title: Logging again }
  cross_epic_dependencies:
    - { dependent_epic: infrastructure-foundation, dependency_epic: infrastructure-foundation }
    - { dependent_epic: agent-services, dependency_epic: infrastructure-foundation }
"#,
    )
    .expect("yaml");
    let config = with(
        config(),
        "/governance_rules/feature_generation_rules/max_features_per_epic",
        json!(1),
    );
    let config = with(
        config,
        "/governance_rules/compliance_requirements/required_documentation",
        json!(["acceptance_criteria"]),
    );
    insta::assert_snapshot!(check(&spec, &config).render());
}

#[test]
fn snapshot_config_with_problems() {
    let config: Value = serde_norway::from_str(
        r##"
organization: acme
repository: widgets
governance_rules:
  epic_generation_rules:
    template_mapping: { infrastructure: infra-template }
    auto_assignment_rules: { infrastructure: ["agent:orchestrator", "agent:ops"] }
    milestone_policies: { default_duration: "one quarter" }
  feature_generation_rules:
    task_estimation_rules: { simple: "1-3 days", hard: "4 weeks" }
  compliance_requirements:
    required_documentation: [acceptance_criteria, runbook]
agent_service_mappings:
  "agent:orchestrator":
    capabilities: []
    escalation_rules: { max_concurrent_tasks: 0, escalation_threshold: "two days" }
templates:
  epic_templates:
    - { template_id: infra, default_labels: ["a-label-name-that-goes-on-and-on-well-past-fifty-chars"] }
    - { template_id: infra }
label_configuration:
  epic_label: { color: "#8B478" }
  agent_labels:
    "agent:orchestrator": { color: orange }
"##,
    )
    .expect("yaml");
    let spec = json!({"organization": "acme", "repository": "widgets"});
    insta::assert_snapshot!(check(&spec, &config).render());
}

#[test]
fn snapshot_schema_errors() {
    let config: Value = serde_norway::from_str(
        r#"
organization: acme
repository: widgets
configuration_version: 2.0
governance_rules:
  feature_generation_rules: { max_features_per_epic: "eight", auto_task_breakdown: "yes" }
  compliance_requirements: { approval_workflows: [epic_creation, everything] }
  authoritative: [labels, Issues]
agent_service_mappings:
  "agent:dev": { capabilities: development, auto_assignment_priority: 1.5 }
templates:
  epic_templates:
    - { title_pattern: "Epic: {epic_title}" }
label_configuration:
  feature_label: { color: 366 }
  labels: { "priority:high": [red] }
"#,
    )
    .expect("yaml");
    let spec: Value = serde_norway::from_str(
        r#"
organization: acme
project_scope:
  epic_definitions:
    - epic_key: 42
      epic_title: Platform
      priority: urgent
      success_criteria: "It works"
      variables: { replicas: 3 }
      feature_breakdown:
        - feature_key: api
          task_breakdown: [write_tests, 7, { title: No key }, { task_key: t, complexity: hard }]
  cross_epic_dependencies:
    - { dependent_epic: a, dependency_epic: b, dependency_type: requires }
"#,
    )
    .expect("yaml");
    insta::assert_snapshot!(check(&spec, &config).render());
}
