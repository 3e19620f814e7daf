//! Step two: what the schemas cannot say. Three groups, so that one broken document does
//! not hide the other's problems: rules on the configuration alone and on the two together
//! (here), and on the specification alone (`structure.rs`).

use super::duration::{parse_duration, DURATION_FORMS};
use super::limits;
use super::text::{clip, list, placeholders, BUILTIN_PLACEHOLDERS};
use crate::governance::config::{GovernanceConfig, Template};
use crate::governance::problems::{field, index, Document, Problem, Report};
use crate::governance::spec::{EpicDef, FeatureDef, ProjectSpec, TaskEntry};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Sections a specification can fill, and which kinds of item carry them.
const EPIC_SECTIONS: &[&str] = &["acceptance_criteria", "technical_specs", "success_criteria"];
const ITEM_SECTIONS: &[&str] = &["acceptance_criteria", "technical_specs"];
const COMPLEXITIES: &[&str] = &["simple", "medium", "complex"];

pub(super) const EPIC_RULES: &str = "governance_rules.epic_generation_rules";
const FEATURE_RULES: &str = "governance_rules.feature_generation_rules";
const COMPLIANCE: &str = "governance_rules.compliance_requirements";

pub(super) fn epic_path(i: usize) -> String {
    index("project_scope.epic_definitions", i)
}
pub(super) fn feature_path(i: usize, j: usize) -> String {
    index(&field(&epic_path(i), "feature_breakdown"), j)
}
pub(super) fn task_path(i: usize, j: usize, k: usize) -> String {
    index(&field(&feature_path(i, j), "task_breakdown"), k)
}

pub(super) fn spec_error(path: String, code: &str, message: String, hint: String) -> Problem {
    Problem::error(Document::Spec, path, code, message, hint)
}
fn config_error(path: String, code: &str, message: String, hint: String) -> Problem {
    Problem::error(Document::Config, path, code, message, hint)
}

/// Every feature of the specification with its epic and both indices.
pub(super) fn features(
    spec: &ProjectSpec,
) -> impl Iterator<Item = (usize, usize, &EpicDef, &FeatureDef)> {
    spec.project_scope
        .epic_definitions
        .iter()
        .enumerate()
        .flat_map(|(i, e)| {
            e.feature_breakdown
                .iter()
                .enumerate()
                .map(move |(j, f)| (i, j, e, f))
        })
}

// ---------------------------------------------------------------- configuration alone

pub(super) fn config_rules(c: &GovernanceConfig, r: &mut Report) {
    agents(c, r);
    templates(c, r);
    config_durations(c, r);
    documentation_names(c, r);
    limits::config_labels(c, r);
    tracking(c, r);
}

/// The `tracking` section: state names that exist, one label per state.
fn tracking(c: &GovernanceConfig, r: &mut Report) {
    let Some(t) = &c.tracking else {
        return;
    };
    for p in t.problems() {
        r.push(config_error(p.path, p.code, p.message, p.hint));
    }
}

fn agents(c: &GovernanceConfig, r: &mut Report) {
    for (name, agent) in &c.agent_service_mappings {
        let at = field("agent_service_mappings", name);
        if agent.max_concurrent_tasks() == 0 {
            r.push(Problem::warning(
                Document::Config,
                field(&field(&at, "escalation_rules"), "max_concurrent_tasks"),
                "no_capacity",
                format!("agent `{name}` can never be given work: max_concurrent_tasks is 0"),
                "raise max_concurrent_tasks, or remove the agent",
            ));
        }
        if agent.capabilities.is_empty() {
            r.push(Problem::warning(
                Document::Config,
                field(&at, "capabilities"),
                "no_capabilities",
                format!("agent `{name}` has no capabilities, so work is never assigned to it automatically"),
                "list the categories and capabilities it takes, e.g. capabilities: [development, testing]",
            ));
        }
    }
    let rules = field(EPIC_RULES, "auto_assignment_rules");
    for (category, names) in &c
        .governance_rules
        .epic_generation_rules
        .auto_assignment_rules
    {
        for (k, name) in names.iter().enumerate() {
            if !c.agent_service_mappings.contains_key(name) {
                r.push(config_error(
                    index(&field(&rules, category), k),
                    "unknown_agent",
                    format!("unknown agent service `{name}`"),
                    known_agents_hint(c),
                ));
            }
        }
    }
}

fn known_agents_hint(c: &GovernanceConfig) -> String {
    if c.agent_service_mappings.is_empty() {
        "the configuration defines no agents; add this one under agent_service_mappings".into()
    } else {
        format!(
            "known agents (agent_service_mappings): {}",
            list(c.agent_service_mappings.keys())
        )
    }
}

fn templates(c: &GovernanceConfig, r: &mut Report) {
    for (kind, list_) in [
        ("epic_templates", &c.templates.epic_templates),
        ("feature_templates", &c.templates.feature_templates),
        ("task_templates", &c.templates.task_templates),
    ] {
        let mut first: HashMap<&str, usize> = HashMap::new();
        for (i, t) in list_.iter().enumerate() {
            let at = index(&field("templates", kind), i);
            match first.get(t.template_id.as_str()) {
                Some(&f) => r.push(config_error(
                    field(&at, "template_id"),
                    "duplicate_template",
                    format!("template id `{}` is used twice", t.template_id),
                    format!(
                        "first used at {}; give each template its own id",
                        index(&field("templates", kind), f)
                    ),
                )),
                None => {
                    first.insert(&t.template_id, i);
                }
            }
        }
    }
    let mapping = field(EPIC_RULES, "template_mapping");
    for (category, id) in &c.governance_rules.epic_generation_rules.template_mapping {
        if find_template(&c.templates.epic_templates, id).is_none() {
            r.push(config_error(
                field(&mapping, category),
                "unknown_template",
                format!("no epic template has the id `{id}`"),
                template_ids_hint(&c.templates.epic_templates, "templates.epic_templates"),
            ));
        }
    }
}

pub(super) fn find_template<'a>(list_: &'a [Template], id: &str) -> Option<&'a Template> {
    list_.iter().find(|t| t.template_id == id)
}

fn template_ids_hint(templates: &[Template], at: &str) -> String {
    if templates.is_empty() {
        format!("{at} is empty; define the template there or use one that exists")
    } else {
        let mut ids: Vec<&str> = templates.iter().map(|t| t.template_id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        format!("templates in {at}: {}", list(ids))
    }
}

pub(super) fn duration_problem(doc: Document, path: String, value: &str) -> Option<Problem> {
    if parse_duration(value).is_some() {
        return None;
    }
    Some(Problem::error(
        doc,
        path,
        "invalid_duration",
        format!("`{}` is not a duration", clip(value, 60)),
        format!("write {DURATION_FORMS}"),
    ))
}

fn config_durations(c: &GovernanceConfig, r: &mut Report) {
    let rules = &c.governance_rules;
    let mut durations: Vec<(String, &str)> = Vec::new();
    if let Some(d) = &rules
        .epic_generation_rules
        .milestone_policies
        .default_duration
    {
        durations.push((
            field(&field(EPIC_RULES, "milestone_policies"), "default_duration"),
            d,
        ));
    }
    for (kind, list_) in [
        ("epic_templates", &c.templates.epic_templates),
        ("feature_templates", &c.templates.feature_templates),
        ("task_templates", &c.templates.task_templates),
    ] {
        for (i, t) in list_.iter().enumerate() {
            if let Some(d) = &t.estimated_effort {
                durations.push((
                    field(&index(&field("templates", kind), i), "estimated_effort"),
                    d,
                ));
            }
        }
    }
    for (name, agent) in &c.agent_service_mappings {
        let at = field(&field("agent_service_mappings", name), "escalation_rules");
        if let Some(d) = agent
            .escalation_rules
            .as_ref()
            .and_then(|e| e.escalation_threshold.as_ref())
        {
            durations.push((field(&at, "escalation_threshold"), d));
        }
    }
    let estimation = field(FEATURE_RULES, "task_estimation_rules");
    for (complexity, effort) in &rules.feature_generation_rules.task_estimation_rules {
        let at = field(&estimation, complexity);
        durations.push((at.clone(), effort));
        if !COMPLEXITIES.contains(&complexity.as_str()) {
            r.push(Problem::warning(
                Document::Config,
                at,
                "unknown_complexity",
                format!("`{complexity}` is not a task complexity, so this rule never applies"),
                format!("use {}", list(COMPLEXITIES)),
            ));
        }
    }
    for (path, value) in durations {
        r.problems
            .extend(duration_problem(Document::Config, path, value));
    }
}

fn documentation_names(c: &GovernanceConfig, r: &mut Report) {
    let at = field(COMPLIANCE, "required_documentation");
    for (i, name) in c
        .governance_rules
        .compliance_requirements
        .required_documentation
        .iter()
        .enumerate()
    {
        if !EPIC_SECTIONS.contains(&name.as_str()) {
            // One warning here rather than one per issue: the specification has no field
            // for this section, so every issue would be flagged.
            r.push(Problem::warning(
                Document::Config,
                index(&at, i),
                "unknown_documentation",
                format!(
                    "no specification field fills the section `{name}`, so every issue will show it as a placeholder and count as non-compliant until it is written on GitHub"
                ),
                format!("sections a specification fills: {}", list(EPIC_SECTIONS)),
            ));
        }
    }
}

// ---------------------------------------------------------------- the two together

pub(super) fn cross_rules(s: &ProjectSpec, c: &GovernanceConfig, r: &mut Report) {
    repository(s, c, r);
    max_features(s, c, r);
    documentation(s, c, r);
    spec_agents(s, c, r);
    categories(s, c, r);
    feature_templates(s, c, r);
    template_placeholders(s, c, r);
    limits::titles(s, c, r);
    limits::milestone_patterns(s, c, r);
}

fn repository(s: &ProjectSpec, c: &GovernanceConfig, r: &mut Report) {
    // GitHub owner and repository names are case-insensitive.
    for (name, ours, theirs) in [
        ("organization", &s.organization, &c.organization),
        ("repository", &s.repository, &c.repository),
    ] {
        if !ours.eq_ignore_ascii_case(theirs) {
            r.push(spec_error(
                name.into(),
                "repository_mismatch",
                format!(
                    "{name} `{}` is not the configuration's `{}`",
                    clip(ours, 60),
                    clip(theirs, 60)
                ),
                format!(
                    "validate against the configuration of {}/{}, or write {name}: {theirs}",
                    s.organization, s.repository
                ),
            ));
        }
    }
}

fn max_features(s: &ProjectSpec, c: &GovernanceConfig, r: &mut Report) {
    let Some(max) = c
        .governance_rules
        .feature_generation_rules
        .max_features_per_epic
    else {
        return;
    };
    let max = max as usize;
    for (i, e) in s.project_scope.epic_definitions.iter().enumerate() {
        let count = e.feature_breakdown.len();
        if count > max {
            r.push(spec_error(
                index(&field(&epic_path(i), "feature_breakdown"), max),
                "max_features_per_epic",
                format!(
                    "epic `{}` has {count} features; the configuration allows at most {max} per epic",
                    e.epic_key
                ),
                format!("split the epic, or raise {FEATURE_RULES}.max_features_per_epic in the configuration"),
            ));
        }
    }
}

fn filled(items: &[String]) -> bool {
    items.iter().any(|s| !s.trim().is_empty())
}

fn documentation(s: &ProjectSpec, c: &GovernanceConfig, r: &mut Report) {
    // Each section once, in the configuration's order, however often it is listed.
    let mut required: Vec<&str> = Vec::new();
    for name in &c
        .governance_rules
        .compliance_requirements
        .required_documentation
    {
        if !required.contains(&name.as_str()) {
            required.push(name);
        }
    }
    if required.is_empty() {
        return;
    }
    let mut missing = |path: &str, what: &str, key: &str, section: &str, advice: &str| {
        r.push(Problem::warning(
            Document::Spec,
            field(path, section),
            "missing_documentation",
            format!(
                "{what} `{}` has no {section}; its issue will show a placeholder and count as non-compliant",
                clip(key, 60)
            ),
            format!("{advice} {section} to this {what}, or write the section on GitHub"),
        ));
    };
    for (i, e) in s.project_scope.epic_definitions.iter().enumerate() {
        for &section in &required {
            let items = match section {
                // Generation fills an epic's acceptance criteria from its success criteria
                // when it has none of its own.
                "acceptance_criteria" if !filled(&e.acceptance_criteria) => &e.success_criteria,
                "acceptance_criteria" => &e.acceptance_criteria,
                "technical_specs" => &e.technical_specs,
                "success_criteria" => &e.success_criteria,
                _ => continue,
            };
            if !filled(items) {
                missing(&epic_path(i), "epic", &e.epic_key, section, "add");
            }
        }
    }
    // Features and tasks have no success_criteria; that section is an epic's alone.
    let item_sections: Vec<&str> = required
        .iter()
        .copied()
        .filter(|s| ITEM_SECTIONS.contains(s))
        .collect();
    for (i, j, _, f) in features(s) {
        for section in &item_sections {
            let items = if *section == "acceptance_criteria" {
                &f.acceptance_criteria
            } else {
                &f.technical_specs
            };
            if !filled(items) {
                missing(
                    &feature_path(i, j),
                    "feature",
                    &f.feature_key,
                    section,
                    "add",
                );
            }
        }
        for (k, t) in f.task_breakdown.iter().enumerate() {
            let def = t.to_def();
            let advice = match t {
                TaskEntry::Key(_) => "write the task as a mapping (task_key: …) and add",
                TaskEntry::Full(_) => "add",
            };
            for section in &item_sections {
                let items = if *section == "acceptance_criteria" {
                    &def.acceptance_criteria
                } else {
                    &def.technical_specs
                };
                if !filled(items) {
                    missing(&task_path(i, j, k), "task", &def.task_key, section, advice);
                }
            }
        }
    }
}

fn spec_agents(s: &ProjectSpec, c: &GovernanceConfig, r: &mut Report) {
    let mut check = |path: String, name: &str| {
        if !c.agent_service_mappings.contains_key(name) {
            r.push(spec_error(
                path,
                "unknown_agent",
                format!("unknown agent service `{}`", clip(name, 60)),
                known_agents_hint(c),
            ));
        }
    };
    for (i, e) in s.project_scope.epic_definitions.iter().enumerate() {
        let at = field(&epic_path(i), "assigned_agent_services");
        for (k, name) in e.assigned_agent_services.iter().enumerate() {
            check(index(&at, k), name);
        }
    }
    for (i, j, _, f) in features(s) {
        if let Some(name) = &f.assigned_agent {
            check(field(&feature_path(i, j), "assigned_agent"), name);
        }
        for (k, t) in f.task_breakdown.iter().enumerate() {
            if let TaskEntry::Full(d) = t {
                if let Some(name) = &d.assigned_agent {
                    check(field(&task_path(i, j, k), "assigned_agent"), name);
                }
            }
        }
    }
}

fn categories(s: &ProjectSpec, c: &GovernanceConfig, r: &mut Report) {
    let rules = &c.governance_rules.epic_generation_rules;
    let known: BTreeSet<&str> = rules
        .template_mapping
        .keys()
        .chain(rules.auto_assignment_rules.keys())
        .map(String::as_str)
        .collect();
    // Without either map the configuration says nothing about categories.
    if known.is_empty() {
        return;
    }
    for (i, e) in s.project_scope.epic_definitions.iter().enumerate() {
        if let Some(category) = &e.category {
            if !known.contains(category.as_str()) {
                r.push(spec_error(
                    field(&epic_path(i), "category"),
                    "unknown_category",
                    format!(
                        "the configuration knows no category `{}`",
                        clip(category, 60)
                    ),
                    format!(
                        "categories in {EPIC_RULES}.template_mapping and auto_assignment_rules: {}",
                        list(&known)
                    ),
                ));
            }
        }
    }
}

fn feature_templates(s: &ProjectSpec, c: &GovernanceConfig, r: &mut Report) {
    for (i, j, _, f) in features(s) {
        if let Some(id) = &f.template {
            if find_template(&c.templates.feature_templates, id).is_none() {
                r.push(spec_error(
                    field(&feature_path(i, j), "template"),
                    "unknown_template",
                    format!("no feature template has the id `{}`", clip(id, 60)),
                    template_ids_hint(
                        &c.templates.feature_templates,
                        "templates.feature_templates",
                    ),
                ));
            }
        }
    }
}

/// The epic template an epic's category selects, if it exists.
pub(super) fn epic_template<'a>(c: &'a GovernanceConfig, e: &EpicDef) -> Option<&'a Template> {
    let id = c
        .governance_rules
        .epic_generation_rules
        .template_mapping
        .get(e.category.as_deref()?)?;
    find_template(&c.templates.epic_templates, id)
}

pub(super) fn feature_template<'a>(
    c: &'a GovernanceConfig,
    f: &FeatureDef,
) -> Option<&'a Template> {
    find_template(&c.templates.feature_templates, f.template.as_deref()?)
}

/// Placeholders in `patterns` that neither generation nor `variables` can fill.
pub(super) fn unfilled<'a>(
    patterns: impl IntoIterator<Item = &'a str>,
    variables: &BTreeMap<String, String>,
) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for p in patterns {
        for name in placeholders(p) {
            if !BUILTIN_PLACEHOLDERS.contains(&name)
                && !variables.contains_key(name)
                && !out.contains(&name)
            {
                out.push(name);
            }
        }
    }
    out
}

pub(super) fn placeholder_problem(
    path: String,
    what: &str,
    source: &str,
    names: &[&str],
) -> Problem {
    let braced: Vec<String> = names.iter().map(|n| format!("{{{n}}}")).collect();
    let example: Vec<String> = names.iter().map(|n| format!("{n}: …")).collect();
    spec_error(
        path,
        "unknown_placeholder",
        format!(
            "{source} uses {}, which is neither built in nor in this {what}'s variables",
            list(&braced)
        ),
        format!("add variables: {{{}}} to this {what}", example.join(", ")),
    )
}

fn template_placeholders(s: &ProjectSpec, c: &GovernanceConfig, r: &mut Report) {
    fn patterns(t: &Template) -> impl Iterator<Item = &str> {
        t.title_pattern
            .iter()
            .chain(&t.description_template)
            .map(String::as_str)
    }
    for (i, e) in s.project_scope.epic_definitions.iter().enumerate() {
        if let Some(t) = epic_template(c, e) {
            let names = unfilled(patterns(t), &e.variables);
            if !names.is_empty() {
                let source = format!("epic template `{}`", t.template_id);
                r.push(placeholder_problem(epic_path(i), "epic", &source, &names));
            }
        }
    }
    for (i, j, e, f) in features(s) {
        if let Some(t) = feature_template(c, f) {
            // A feature sees its epic's variables too (its own win), as generation does.
            let mut vars = e.variables.clone();
            vars.extend(f.variables.clone());
            let names = unfilled(patterns(t), &vars);
            if !names.is_empty() {
                let source = format!("feature template `{}`", t.template_id);
                r.push(placeholder_problem(
                    feature_path(i, j),
                    "feature",
                    &source,
                    &names,
                ));
            }
        }
    }
}
