//! One desired issue from one item of the specification: title, body, labels, milestone,
//! issue type, estimate and agent.

use super::agents::Assignee;
use super::body::{self, Documentation};
use super::labels::{IssueLabels, LabelRules};
use super::placeholders::{fill, values_for};
use super::templates::{lookup, template_for};
use super::tree::{non_blank, Item};
use super::{Context, Start};
use crate::governance::config::{GovernanceConfig, Template};
use crate::governance::desired::{DesiredIssue, IssueKind};
use crate::governance::problems::{field, Document, Problem, Report};
use std::collections::BTreeMap;

/// What every issue is built against.
pub(super) struct Inputs<'a> {
    pub config: &'a GovernanceConfig,
    pub ctx: &'a Context,
    pub start: &'a Start,
    /// Epic issue key → milestone title.
    pub milestones: &'a BTreeMap<String, String>,
    /// Issue key → agent.
    pub assignees: &'a BTreeMap<String, Assignee>,
    pub labels: &'a LabelRules,
}

pub(super) fn build(item: &Item, inputs: &Inputs, report: &mut Report) -> DesiredIssue {
    let template = template_for(item, inputs.config, report);
    let values = values_for(item, inputs.start);
    let title = title(item, template, &values, report);
    let description = description(item, template, &values, report);
    let priority = item.priority();
    let estimate = estimate(item, template, inputs.config, report);
    let assignee = inputs.assignees.get(&item.key);
    let agent = assignee.map(|a| a.agent.clone());
    let issue_type = org_issue_type(&inputs.ctx.issue_types, item.kind);

    let labels = inputs.labels.issue_labels(
        &IssueLabels {
            kind: item.kind,
            template_labels: template.map_or(&[], |t| &t.default_labels),
            priority: priority.as_deref(),
            agent: agent.as_deref(),
        },
        |kind| org_issue_type(&inputs.ctx.issue_types, kind).is_some(),
    );

    let metadata: Vec<(&str, String)> = [
        ("Kind", Some(item.kind.as_str().to_string())),
        ("Priority", priority.clone()),
        ("Estimate", estimate.clone()),
        ("Agent", agent.clone()),
        ("Parent", item.parent.clone()),
    ]
    .into_iter()
    .filter_map(|(name, value)| Some((name, value?)))
    .collect();
    let required = &inputs
        .config
        .governance_rules
        .compliance_requirements
        .required_documentation;
    let body = body::render(
        &item.key,
        item.kind,
        description.as_deref(),
        &metadata,
        &documentation(item),
        required,
    );
    for section in &body.missing {
        report.push(Problem::warning(
            Document::Spec,
            field(&item.spec_path, section),
            "missing_documentation",
            format!("{} has no {section}; its body shows a placeholder", item.key),
            format!("add {section} to this {} in the specification (the configuration's required_documentation asks for it)", item.kind.as_str()),
        ));
    }

    DesiredIssue {
        key: item.key.clone(),
        kind: item.kind,
        title,
        body: body.text,
        labels,
        milestone: inputs.milestones.get(&epic_issue_key(item)).cloned(),
        issue_type,
        priority,
        estimate,
        agent,
        assignees: assignee
            .and_then(|a| a.github_login.clone())
            .into_iter()
            .collect(),
        parent: item.parent.clone(),
        spec_path: item.spec_path.clone(),
        missing_sections: body.missing,
    }
}

fn epic_issue_key(item: &Item) -> String {
    crate::governance::desired::epic_key(&item.epic.epic_key)
}

/// The organization's issue type for a kind, spelled as the organization spells it.
fn org_issue_type(issue_types: &[String], kind: IssueKind) -> Option<String> {
    issue_types
        .iter()
        .find(|t| t.trim().eq_ignore_ascii_case(kind.type_name()))
        .cloned()
}

/// Epics and features: the template's title pattern or the default one. Tasks: their own
/// title. A pattern that fills to nothing falls back to the specification's title.
fn title(
    item: &Item,
    template: Option<&Template>,
    values: &BTreeMap<String, String>,
    report: &mut Report,
) -> String {
    let pattern = match item.kind {
        IssueKind::Epic => "Epic: {epic_title}",
        IssueKind::Feature => "Feature: {feature_title}",
        IssueKind::Task => return item.spec_title().trim().to_string(),
    };
    let pattern = template
        .and_then(|t| non_blank(t.title_pattern.as_deref()))
        .unwrap_or(pattern);
    let title = filled(pattern, values, item, "title pattern", template, report);
    let title = title.trim();
    if title.is_empty() {
        item.spec_title().trim().to_string()
    } else {
        title.to_string()
    }
}

/// The item's own description, else its template's description template filled in.
fn description(
    item: &Item,
    template: Option<&Template>,
    values: &BTreeMap<String, String>,
    report: &mut Report,
) -> Option<String> {
    let own = match (&item.task, item.feature) {
        (Some(task), _) => task.description.as_deref(),
        (None, Some(feature)) => feature.feature_description.as_deref(),
        (None, None) => item.epic.epic_description.as_deref(),
    };
    if let Some(own) = non_blank(own) {
        return Some(own.to_string());
    }
    let pattern = template.and_then(|t| non_blank(t.description_template.as_deref()))?;
    Some(filled(
        pattern,
        values,
        item,
        "description template",
        template,
        report,
    ))
}

fn filled(
    pattern: &str,
    values: &BTreeMap<String, String>,
    item: &Item,
    what: &str,
    template: Option<&Template>,
    report: &mut Report,
) -> String {
    let (text, unfilled) = fill(pattern, values);
    let source = match template {
        Some(t) => format!("the {what} of template {}", t.template_id),
        None => format!("the default {what}"),
    };
    for name in unfilled {
        report.push(Problem::warning(
            Document::Spec,
            field(&item.spec_path, "variables"),
            "unfilled_placeholder",
            format!(
                "{source} uses {{{name}}}, which {} does not provide; it stays as written",
                item.key
            ),
            format!("add {name} to the variables of this item or of its epic"),
        ));
    }
    text
}

/// Epics: their duration, else the default one. Features: their effort, else their
/// template's. Tasks: the estimation rule for their complexity.
fn estimate(
    item: &Item,
    template: Option<&Template>,
    config: &GovernanceConfig,
    report: &mut Report,
) -> Option<String> {
    let estimate = match item.kind {
        IssueKind::Epic => non_blank(item.epic.estimated_duration.as_deref()).or_else(|| {
            non_blank(
                config
                    .governance_rules
                    .epic_generation_rules
                    .milestone_policies
                    .default_duration
                    .as_deref(),
            )
        }),
        IssueKind::Feature => non_blank(item.feature?.estimated_effort.as_deref())
            .or_else(|| template.and_then(|t| non_blank(t.estimated_effort.as_deref()))),
        IssueKind::Task => {
            let complexity = non_blank(item.task.as_ref()?.complexity.as_deref())?;
            let rules = &config
                .governance_rules
                .feature_generation_rules
                .task_estimation_rules;
            let found = lookup(rules.iter(), complexity).map(|(_, effort)| effort.as_str());
            if found.is_none() {
                report.push(Problem::warning(
                    Document::Spec,
                    field(&item.spec_path, "complexity"),
                    "unknown_complexity",
                    format!("complexity {complexity:?} has no task_estimation_rules entry; the task gets no estimate"),
                    format!("use one of: {}", rules.keys().cloned().collect::<Vec<_>>().join(", ")),
                ));
            }
            found
        }
    };
    estimate.map(|e| e.trim().to_string())
}

fn documentation<'a>(item: &'a Item) -> Documentation<'a> {
    match (&item.task, item.feature) {
        (Some(task), _) => Documentation {
            success_criteria: &[],
            acceptance_criteria: &task.acceptance_criteria,
            technical_specs: &task.technical_specs,
            extra: &task.extra,
        },
        (None, Some(feature)) => Documentation {
            success_criteria: &[],
            acceptance_criteria: &feature.acceptance_criteria,
            technical_specs: &feature.technical_specs,
            extra: &feature.extra,
        },
        (None, None) => Documentation {
            success_criteria: &item.epic.success_criteria,
            acceptance_criteria: &item.epic.acceptance_criteria,
            technical_specs: &item.epic.technical_specs,
            extra: &item.epic.extra,
        },
    }
}
