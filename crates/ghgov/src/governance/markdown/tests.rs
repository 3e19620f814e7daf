//! The Markdown reader's tests: whole documents, front matter, keys, metadata and task
//! lines, and the errors for text the format has no place for.

use super::metadata::{dependency, metadata_pairs, parse_task};
use super::{parse_markdown, slug, MarkdownError};
use crate::governance::document_limits::DocumentLimits;
use crate::governance::spec::{ProjectSpec, TaskDef};

const HEADER: &str = "---\norganization: acme\nrepository: widgets\n---\n";

fn parse(body: &str) -> Result<ProjectSpec, MarkdownError> {
    parse_markdown(&format!("{HEADER}{body}"), &DocumentLimits::DEFAULT)
}

/// The error for `body`, with its line counted from the first line after the header.
fn body_error(body: &str) -> (usize, String, String) {
    let e = parse(body).expect_err("an error");
    (e.line - HEADER.lines().count(), e.message, e.hint)
}

const FULL: &str = "\
# Epic: Infrastructure Foundation Platform {#infrastructure-foundation}
category: infrastructure · priority: critical · duration: 3 months · milestone: Q1-2026-Infra
agents: agent:orchestrator, agent:security

Build foundational *infrastructure* components.
Second line of the same paragraph.

A second paragraph with `code`.

## Success criteria
- All components deployed
- Monitoring coverage > 95%

## Technical specs
- Terraform for everything

## Variables
- component_type: networking

## Feature: Monitoring & Logging Platform {#monitoring-platform}
agent: agent:orchestrator | effort: 2-3 weeks; template: monitoring-feature

Comprehensive monitoring.

- [ ] Set up Prometheus monitoring (complexity: medium) {#setup_prometheus_monitoring}
- [x] Configure Grafana dashboards
- [ ] Write load tests (complexity: complex · agent: agent:qa · capability: testing) {#write_load_tests}

### Acceptance criteria
- Dashboards cover every service

### Technical specs
- Prometheus 2.x

## Acceptance criteria
- Epic-level acceptance

# Epic: Agent Services
depends_on: infrastructure-foundation · blocks: later-one, other

## Feature: Routing
";

#[test]
fn a_full_document() {
    let spec = parse(FULL).unwrap();
    assert_eq!(spec.organization, "acme");
    assert_eq!(spec.repository, "widgets");
    let epics = &spec.project_scope.epic_definitions;
    assert_eq!(epics.len(), 2);

    let infra = &epics[0];
    assert_eq!(infra.epic_key, "infrastructure-foundation");
    assert_eq!(infra.epic_title, "Infrastructure Foundation Platform");
    assert_eq!(infra.category.as_deref(), Some("infrastructure"));
    assert_eq!(infra.priority.as_deref(), Some("critical"));
    assert_eq!(infra.estimated_duration.as_deref(), Some("3 months"));
    assert_eq!(infra.milestone_mapping.as_deref(), Some("Q1-2026-Infra"));
    assert_eq!(
        infra.assigned_agent_services,
        ["agent:orchestrator", "agent:security"]
    );
    assert_eq!(
        infra.epic_description.as_deref(),
        Some(
            "Build foundational *infrastructure* components. Second line of the same \
                 paragraph.\n\nA second paragraph with `code`."
        )
    );
    assert_eq!(
        infra.success_criteria,
        ["All components deployed", "Monitoring coverage > 95%"]
    );
    assert_eq!(infra.technical_specs, ["Terraform for everything"]);
    assert_eq!(infra.acceptance_criteria, ["Epic-level acceptance"]);
    assert_eq!(infra.variables["component_type"], "networking");

    let monitoring = &infra.feature_breakdown[0];
    assert_eq!(monitoring.feature_key, "monitoring-platform");
    assert_eq!(monitoring.feature_title, "Monitoring & Logging Platform");
    assert_eq!(
        monitoring.assigned_agent.as_deref(),
        Some("agent:orchestrator")
    );
    assert_eq!(monitoring.estimated_effort.as_deref(), Some("2-3 weeks"));
    assert_eq!(monitoring.template.as_deref(), Some("monitoring-feature"));
    assert_eq!(
        monitoring.feature_description.as_deref(),
        Some("Comprehensive monitoring.")
    );
    assert_eq!(
        monitoring.acceptance_criteria,
        ["Dashboards cover every service"]
    );
    assert_eq!(monitoring.technical_specs, ["Prometheus 2.x"]);

    let tasks: Vec<TaskDef> = monitoring
        .task_breakdown
        .iter()
        .map(|t| t.to_def())
        .collect();
    assert_eq!(tasks.len(), 3);
    assert_eq!(tasks[0].task_key, "setup_prometheus_monitoring");
    assert_eq!(
        tasks[0].title.as_deref(),
        Some("Set up Prometheus monitoring")
    );
    assert_eq!(tasks[0].complexity.as_deref(), Some("medium"));
    assert_eq!(tasks[1].task_key, "configure_grafana_dashboards");
    assert_eq!(
        tasks[1].title.as_deref(),
        Some("Configure Grafana dashboards")
    );
    assert_eq!(tasks[2].task_key, "write_load_tests");
    assert_eq!(tasks[2].complexity.as_deref(), Some("complex"));
    assert_eq!(tasks[2].assigned_agent.as_deref(), Some("agent:qa"));
    assert_eq!(tasks[2].required_capability.as_deref(), Some("testing"));

    let services = &epics[1];
    assert_eq!(services.epic_key, "agent-services");
    assert_eq!(services.feature_breakdown[0].feature_key, "routing");
    assert_eq!(
        spec.project_scope.cross_epic_dependencies,
        [
            dependency("agent-services", "infrastructure-foundation", "depends_on"),
            dependency("later-one", "agent-services", "blocks"),
            dependency("other", "agent-services", "blocks"),
        ]
    );
}

#[test]
fn front_matter_gives_the_top_level_fields() {
    let text = "---
organization: acme
repository: widgets
start_date: 2026-01-05
generation_metadata:
  confidence_score: 0.95
cross_epic_dependencies:
  - dependent_epic: b
    dependency_epic: a
    dependency_reason: needs a
owner_team: platform
github_integration:
  label_configuration:
    epic_label: { color: 8B4789 }
---
# Epic: A
# Epic: B
depends_on: a
";
    let spec = parse_markdown(text, &DocumentLimits::DEFAULT).unwrap();
    assert_eq!(spec.project_scope.start_date.as_deref(), Some("2026-01-05"));
    assert_eq!(
        spec.generation_metadata,
        Some(serde_json::json!({"confidence_score": 0.95}))
    );
    assert_eq!(spec.extra["owner_team"], "platform");
    let labels = spec
        .github_integration
        .unwrap()
        .label_configuration
        .unwrap();
    assert_eq!(labels.epic_label.unwrap().color.as_deref(), Some("8B4789"));
    let deps = &spec.project_scope.cross_epic_dependencies;
    assert_eq!(deps.len(), 2);
    assert_eq!(deps[0].dependency_type, "blocks");
    assert_eq!(deps[0].dependency_reason.as_deref(), Some("needs a"));
    assert_eq!(deps[1], dependency("b", "a", "depends_on"));
}

#[test]
fn front_matter_errors() {
    let e = parse_markdown("# Epic: A\n", &DocumentLimits::DEFAULT).unwrap_err();
    assert_eq!(e.line, 1);
    assert!(e.message.contains("no front matter"));

    let e = parse_markdown(
        "---\norganization: acme\n---\n# Epic: A\n",
        &DocumentLimits::DEFAULT,
    )
    .unwrap_err();
    assert_eq!(e.line, 2);
    assert!(e.message.contains("missing field `repository`"), "{e}");
    assert!(e.hint.contains("organization"));

    let e = parse_markdown(
        "---\norganization: acme\nrepository: w\n  x: y: z\n---\n",
        &DocumentLimits::DEFAULT,
    )
    .unwrap_err();
    assert_eq!(e.line, 4, "{e}");
    assert!(e.message.starts_with("front matter: mapping values"), "{e}");
    assert!(!e.message.contains(" at line"), "{e}");

    let e = parse_markdown(
        "---\norganization: acme\nrepository: w\nproject_scope:\n  start_date: x\n---\n",
        &DocumentLimits::DEFAULT,
    )
    .unwrap_err();
    assert!(e.message.contains("`project_scope`"), "{e}");
}

#[test]
fn keys_default_to_slugs() {
    assert_eq!(
        slug("Monitoring & Logging Platform", '-'),
        "monitoring-logging-platform"
    );
    assert_eq!(slug("  Write load-tests!  ", '_'), "write_load_tests");
    assert_eq!(slug("Ünïcode Title", '-'), "ünïcode-title");
    assert_eq!(slug("!!!", '-'), "");
    let spec = parse("# Epic: The Big One\n## Feature: Small, Part\n- [ ] Do it: now\n").unwrap();
    let epic = &spec.project_scope.epic_definitions[0];
    assert_eq!(epic.epic_key, "the-big-one");
    assert_eq!(epic.feature_breakdown[0].feature_key, "small-part");
    assert_eq!(
        epic.feature_breakdown[0].task_breakdown[0]
            .to_def()
            .task_key,
        "do_it_now"
    );
}

#[test]
fn task_lines() {
    let task = parse_task("Write docs (optional) {#docs}", 1).unwrap();
    assert_eq!(task.title.as_deref(), Some("Write docs (optional)"));
    assert_eq!(task.task_key, "docs");
    let task = parse_task("Tune (the (inner) part) (complexity: simple)", 1).unwrap();
    assert_eq!(task.title.as_deref(), Some("Tune (the (inner) part)"));
    assert_eq!(task.complexity.as_deref(), Some("simple"));
    assert_eq!(task.task_key, "tune_the_inner_part");
    let task = parse_task(
        "Secure it (assigned_agent: agent:security; priority: high)",
        1,
    )
    .unwrap();
    assert_eq!(task.assigned_agent.as_deref(), Some("agent:security"));
    assert_eq!(task.priority.as_deref(), Some("high"));

    let e = parse_task("Thing (effort: 2 days)", 7).unwrap_err();
    assert_eq!(e.line, 7);
    assert_eq!(e.message, "unknown task metadata `effort`");
    assert_eq!(
        e.hint,
        "task metadata names are complexity, agent, capability, priority"
    );
    let e = parse_task("Thing {#two words}", 1).unwrap_err();
    assert!(e.message.contains("is not a task key"));
    let e = parse_task("{#only_key}", 1).unwrap_err();
    assert_eq!(e.message, "a task without a title");
}

#[test]
fn metadata_lines() {
    assert_eq!(
        metadata_pairs("agent: agent:orchestrator · effort: 2-3 weeks"),
        Some(vec![
            ("agent".into(), "agent:orchestrator".into()),
            ("effort".into(), "2-3 weeks".into())
        ])
    );
    assert_eq!(metadata_pairs("Note: this is prose."), None);
    assert_eq!(metadata_pairs("priority: high · and more"), None);
    assert_eq!(metadata_pairs("priority:"), None);
    // Only the first paragraph can be metadata; later ones are description.
    let spec = parse("# Epic: A\nIntro.\n\npriority: high\n").unwrap();
    let epic = &spec.project_scope.epic_definitions[0];
    assert_eq!(epic.priority, None);
    assert_eq!(
        epic.epic_description.as_deref(),
        Some("Intro.\n\npriority: high")
    );
}

#[test]
fn metadata_errors() {
    let (line, message, hint) = body_error("# Epic: A\nowner: me\n");
    assert_eq!(
        (line, message.as_str()),
        (2, "unknown epic metadata `owner`")
    );
    assert_eq!(
        hint,
        "epic metadata names are category, priority, duration, milestone, agents, \
             depends_on, blocks"
    );
    let (line, message, hint) = body_error("# Epic: A\n\n## Feature: F\n\nduration: 1 week\n");
    assert_eq!(
        (line, message.as_str()),
        (5, "unknown feature metadata `duration`")
    );
    assert!(hint.starts_with("feature metadata names are agent, effort"));
    let (_, message, _) = body_error("# Epic: A\npriority: high · priority: low\n");
    assert_eq!(message, "the epic metadata `priority` is given twice");
    let (_, message, _) = body_error("# Epic: A\ndepends_on: ,\n");
    assert_eq!(message, "`depends_on` names nothing");
}

#[test]
fn structure_errors_have_lines_and_hints() {
    let cases: &[(&str, usize, &str)] = &[
        ("## Feature: F\n", 1, "a feature before any epic"),
        (
            "# Epic: A\n\n- [ ] task\n",
            3,
            "a list directly under an epic",
        ),
        (
            "# Epic: A\n\n### Feature: F\n",
            3,
            "a feature heading at level 3",
        ),
        ("## Epic: A\n", 1, "an epic heading at level 2"),
        (
            "# Epic: A\n## Feature: F\n- plain bullet\n",
            3,
            "a plain bullet among a feature's tasks",
        ),
        ("# Epic: A\n## Wishes\n", 2, "unknown section \"Wishes\""),
        (
            "# Epic: A\n## Feature: F\n### Success criteria\n",
            3,
            "success criteria under a feature",
        ),
        ("# Epic: A\n## Tasks\n", 2, "tasks directly under an epic"),
        ("# Plan\n", 1, "a level-1 heading that is not an epic"),
        ("Intro text\n", 1, "text before the first epic"),
        (
            "## Success criteria\n",
            1,
            "a section heading before any epic",
        ),
        (
            "# Epic: A\n## Success criteria\nSome prose.\n",
            3,
            "text in the Success criteria section",
        ),
        (
            "# Epic: A\n## Feature: F\n### Acceptance criteria\n- [ ] a task\n",
            4,
            "a task-list item in the Acceptance criteria section",
        ),
        (
            "# Epic: A\n## Feature: F\n- [ ] a\n  - [ ] nested\n",
            4,
            "a list inside a list item",
        ),
        ("# Epic:\n", 1, "the epic has no title"),
        (
            "# Epic: A\n## Variables\n- no colon here\n",
            3,
            "\"no colon here\" is not a variable",
        ),
    ];
    for (body, line, message) in cases {
        let (got_line, got_message, hint) = body_error(body);
        assert_eq!(
            (got_line, got_message.as_str()),
            (*line, *message),
            "{body}"
        );
        assert!(!hint.is_empty());
    }
    let e = parse("# Epic: A\n## Wishes\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 6: unknown section \"Wishes\" (hint: sections are Success criteria (epics \
             only), Acceptance criteria, Technical specs, Variables, Tasks (features only))"
    );
}

#[test]
fn sections_follow_the_heading_outline() {
    let spec = parse(
        "# Epic: A
## Feature: F
### Tasks
- [ ] One
### Technical Specifications
- Spec for F
## Success criteria
- For A
### Acceptance criteria
- Also for A
",
    )
    .unwrap();
    let epic = &spec.project_scope.epic_definitions[0];
    let feature = &epic.feature_breakdown[0];
    assert_eq!(feature.task_breakdown.len(), 1);
    assert_eq!(feature.technical_specs, ["Spec for F"]);
    assert_eq!(epic.success_criteria, ["For A"]);
    assert_eq!(epic.acceptance_criteria, ["Also for A"]);
}

#[test]
fn loose_lists_comments_and_code_blocks() {
    let spec = parse(
        "<!-- a note for readers -->
# Epic: A

```text
keep   this
```

## Success criteria

- First,
  continued

- Second
",
    )
    .unwrap();
    let epic = &spec.project_scope.epic_definitions[0];
    assert_eq!(
        epic.epic_description.as_deref(),
        Some("```text\nkeep   this\n```")
    );
    assert_eq!(epic.success_criteria, ["First, continued", "Second"]);
}
