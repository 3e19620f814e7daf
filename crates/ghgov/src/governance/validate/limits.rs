//! GitHub's limits, checked before a plan runs into them halfway through an apply: sub-issue
//! counts, dependency counts, title and label lengths, label colours.

use super::rules::{
    epic_path, epic_template, feature_path, feature_template, placeholder_problem, task_path,
    unfilled, EPIC_RULES,
};
use super::text::{clip, substitute};
use crate::governance::config::{GovernanceConfig, LabelConfiguration, LabelStyle};
use crate::governance::problems::{field, index, Document, Problem, Report};
use crate::governance::spec::{title_from_key, EpicDef, FeatureDef, ProjectSpec};
use std::collections::BTreeMap;

/// Sub-issues one issue may have.
const MAX_SUB_ISSUES: usize = 100;
/// Levels of sub-issues GitHub allows below an issue.
const MAX_SUB_ISSUE_DEPTH: usize = 8;
/// Ours: epic → feature → task.
const HIERARCHY_DEPTH: usize = 3;
// Checked when compiling: a deeper hierarchy must add a check on the specification.
const _: () = assert!(HIERARCHY_DEPTH <= MAX_SUB_ISSUE_DEPTH);
/// Blocked-by (and, separately, blocking) relationships of one issue.
const MAX_DEPENDENCIES: usize = 50;
const MAX_TITLE: usize = 256;
const MAX_MILESTONE_TITLE: usize = 255;
const MAX_LABEL: usize = 50;
const MAX_LABEL_DESCRIPTION: usize = 100;

fn len(s: &str) -> usize {
    s.chars().count()
}

pub(super) fn sub_issue_counts(s: &ProjectSpec, r: &mut Report) {
    let mut check = |path: String, what: &str, key: &str, children: usize, kind: &str| {
        if children > MAX_SUB_ISSUES {
            r.push(Problem::error(
                Document::Spec,
                index(&path, MAX_SUB_ISSUES),
                "too_many_sub_issues",
                format!(
                    "{what} `{}` has {children} {kind}s; GitHub allows at most {MAX_SUB_ISSUES} sub-issues per issue",
                    clip(key, 60)
                ),
                format!("split the {what} into several {what}s"),
            ));
        }
    };
    for (i, e) in s.project_scope.epic_definitions.iter().enumerate() {
        let at = field(&epic_path(i), "feature_breakdown");
        check(
            at,
            "epic",
            &e.epic_key,
            e.feature_breakdown.len(),
            "feature",
        );
        for (j, f) in e.feature_breakdown.iter().enumerate() {
            let at = field(&feature_path(i, j), "task_breakdown");
            check(
                at,
                "feature",
                &f.feature_key,
                f.task_breakdown.len(),
                "task",
            );
        }
    }
}

/// `waits_for[epic]` lists (epic it waits for, declaring entry), without duplicates.
pub(super) fn dependency_counts(keys: &[&str], waits_for: &[Vec<(usize, usize)>], r: &mut Report) {
    let mut blocking = vec![0usize; keys.len()];
    for edges in waits_for {
        for (to, _) in edges {
            blocking[*to] += 1;
        }
    }
    for (n, key) in keys.iter().enumerate() {
        for (count, relation, verb) in [
            (waits_for[n].len(), "blocked-by", "waits for"),
            (blocking[n], "blocking", "blocks"),
        ] {
            if count > MAX_DEPENDENCIES {
                r.push(Problem::error(
                    Document::Spec,
                    "project_scope.cross_epic_dependencies",
                    "too_many_dependencies",
                    format!(
                        "epic `{key}` {verb} {count} epics; GitHub allows at most {MAX_DEPENDENCIES} {relation} relationships per issue"
                    ),
                    "split the epic, or drop dependencies that already follow from others",
                ));
            }
        }
    }
}

// ---------------------------------------------------------------- labels

pub(super) fn config_labels(c: &GovernanceConfig, r: &mut Report) {
    label_configuration(
        Document::Config,
        "label_configuration",
        &c.label_configuration,
        r,
    );
    for (kind, templates) in [
        ("epic_templates", &c.templates.epic_templates),
        ("feature_templates", &c.templates.feature_templates),
        ("task_templates", &c.templates.task_templates),
    ] {
        for (i, t) in templates.iter().enumerate() {
            let at = field(&index(&field("templates", kind), i), "default_labels");
            for (k, label) in t.default_labels.iter().enumerate() {
                label_name(Document::Config, index(&at, k), label, r);
            }
        }
    }
    // Agents are labels too (`agent:dev` on the work it takes).
    for name in c.agent_service_mappings.keys() {
        label_name(
            Document::Config,
            field("agent_service_mappings", name),
            name,
            r,
        );
    }
}

pub(super) fn spec_labels(s: &ProjectSpec, r: &mut Report) {
    if let Some(lc) = s
        .github_integration
        .as_ref()
        .and_then(|g| g.label_configuration.as_ref())
    {
        label_configuration(
            Document::Spec,
            "github_integration.label_configuration",
            lc,
            r,
        );
    }
}

fn label_configuration(doc: Document, at: &str, lc: &LabelConfiguration, r: &mut Report) {
    for (name, style) in [
        ("epic_label", &lc.epic_label),
        ("feature_label", &lc.feature_label),
        ("task_label", &lc.task_label),
    ] {
        if let Some(style) = style {
            label_style(doc, field(at, name), style, r);
        }
    }
    for (group, styles) in [("agent_labels", &lc.agent_labels), ("labels", &lc.labels)] {
        for (name, style) in styles {
            let path = field(&field(at, group), name);
            label_name(doc, path.clone(), name, r);
            label_style(doc, path, style, r);
        }
    }
}

fn label_style(doc: Document, at: String, style: &LabelStyle, r: &mut Report) {
    if let Some(name) = &style.name {
        label_name(doc, field(&at, "name"), name, r);
    }
    if let Some(color) = &style.color {
        if let Some(hint) = color_hint(color) {
            r.push(Problem::error(
                doc,
                field(&at, "color"),
                "invalid_color",
                format!("`{}` is not a label colour", clip(color, 40)),
                hint,
            ));
        }
    }
    if let Some(d) = &style.description {
        if len(d) > MAX_LABEL_DESCRIPTION {
            r.push(Problem::error(
                doc,
                field(&at, "description"),
                "label_description_too_long",
                format!(
                    "the label description is {} characters long; GitHub allows at most {MAX_LABEL_DESCRIPTION}",
                    len(d)
                ),
                "shorten the description",
            ));
        }
    }
}

/// `None` for six hex digits (with or without '#'); otherwise how to fix it.
fn color_hint(color: &str) -> Option<String> {
    let digits = color.trim().trim_start_matches('#');
    let hex = !digits.is_empty() && digits.chars().all(|c| c.is_ascii_hexdigit());
    match (hex, digits.len()) {
        (true, 6) => None,
        // CSS shorthand: GitHub wants every digit.
        (true, 3) => {
            let full: String = digits.chars().flat_map(|c| [c, c]).collect();
            Some(format!("GitHub needs all six digits: \"{full}\""))
        }
        _ => Some("write six hex digits such as \"0366d6\", with or without '#'".into()),
    }
}

fn label_name(doc: Document, at: String, name: &str, r: &mut Report) {
    if len(name) > MAX_LABEL {
        r.push(Problem::error(
            doc,
            at,
            "label_too_long",
            format!(
                "label `{}` is {} characters long; GitHub allows at most {MAX_LABEL}",
                clip(name, 60),
                len(name)
            ),
            "use a shorter name",
        ));
    }
}

// ---------------------------------------------------------------- titles

/// What generation fills built-in placeholders with. Quarter and year depend on the day
/// the plan runs; one and four digits are all that matter for lengths.
fn epic_values(e: &EpicDef) -> BTreeMap<&str, String> {
    let mut v: BTreeMap<&str, String> = BTreeMap::from([
        ("epic_title", e.epic_title.clone()),
        ("epic_name", e.epic_title.clone()),
        ("epic_key", e.epic_key.clone()),
        ("category", e.category.clone().unwrap_or_default()),
        ("priority", e.priority.clone().unwrap_or_default()),
        ("quarter", "1".into()),
        ("year", "2000".into()),
    ]);
    v.extend(e.variables.iter().map(|(k, x)| (k.as_str(), x.clone())));
    v
}

fn feature_values<'a>(e: &'a EpicDef, f: &'a FeatureDef) -> BTreeMap<&'a str, String> {
    let mut v = epic_values(e);
    v.insert("feature_title", f.feature_title.clone());
    v.insert("feature_key", f.feature_key.clone());
    if let Some(p) = &f.priority {
        v.insert("priority", p.clone());
    }
    v.extend(f.variables.iter().map(|(k, x)| (k.as_str(), x.clone())));
    v
}

fn title_too_long(r: &mut Report, path: String, what: &str, title: &str, fix: &str) {
    if len(title) > MAX_TITLE {
        r.push(Problem::error(
            Document::Spec,
            path,
            "title_too_long",
            format!(
                "the {what}'s issue title would be {} characters long; GitHub allows at most {MAX_TITLE}",
                len(title)
            ),
            format!("shorten {fix}"),
        ));
    }
}

/// Issue titles as generation makes them: the template's title pattern filled in, else the
/// title as written.
pub(super) fn titles(s: &ProjectSpec, c: &GovernanceConfig, r: &mut Report) {
    for (i, e) in s.project_scope.epic_definitions.iter().enumerate() {
        match epic_template(c, e).and_then(|t| Some((t, t.title_pattern.as_ref()?))) {
            Some((t, pattern)) => {
                let title = substitute(pattern, &epic_values(e));
                let fix = format!(
                    "epic_title or the title_pattern of epic template `{}`",
                    t.template_id
                );
                title_too_long(r, epic_path(i), "epic", &title, &fix);
            }
            None => title_too_long(
                r,
                field(&epic_path(i), "epic_title"),
                "epic",
                &e.epic_title,
                "epic_title",
            ),
        }
        for (j, f) in e.feature_breakdown.iter().enumerate() {
            let at = feature_path(i, j);
            match feature_template(c, f).and_then(|t| Some((t, t.title_pattern.as_ref()?))) {
                Some((t, pattern)) => {
                    let title = substitute(pattern, &feature_values(e, f));
                    let fix = format!(
                        "feature_title or the title_pattern of feature template `{}`",
                        t.template_id
                    );
                    title_too_long(r, at, "feature", &title, &fix);
                }
                None => title_too_long(
                    r,
                    field(&at, "feature_title"),
                    "feature",
                    &f.feature_title,
                    "feature_title",
                ),
            }
            for (k, t) in f.task_breakdown.iter().enumerate() {
                let def = t.to_def();
                let (title, path, fix) = match &def.title {
                    Some(title) => (
                        title.clone(),
                        field(&task_path(i, j, k), "title"),
                        "the title",
                    ),
                    None => (
                        title_from_key(&def.task_key),
                        task_path(i, j, k),
                        "the key, or give the task a shorter title",
                    ),
                };
                title_too_long(r, path, "task", &title, fix);
            }
        }
    }
}

// ---------------------------------------------------------------- milestones

fn milestone_too_long(r: &mut Report, path: String, title: &str, fix: &str) {
    if len(title) > MAX_MILESTONE_TITLE {
        r.push(Problem::error(
            Document::Spec,
            path,
            "milestone_title_too_long",
            format!(
                "the milestone title would be {} characters long; GitHub allows at most {MAX_MILESTONE_TITLE}",
                len(title)
            ),
            format!("shorten {fix}"),
        ));
    }
}

pub(super) fn milestone_mappings(s: &ProjectSpec, r: &mut Report) {
    for (i, e) in s.project_scope.epic_definitions.iter().enumerate() {
        if let Some(m) = &e.milestone_mapping {
            milestone_too_long(
                r,
                field(&epic_path(i), "milestone_mapping"),
                m,
                "milestone_mapping",
            );
        }
    }
}

/// Epics without a `milestone_mapping` get a milestone named by the configuration's
/// pattern (when milestones are created automatically).
pub(super) fn milestone_patterns(s: &ProjectSpec, c: &GovernanceConfig, r: &mut Report) {
    let policies = &c.governance_rules.epic_generation_rules.milestone_policies;
    let Some(pattern) = &policies.milestone_naming_pattern else {
        return;
    };
    if !policies.auto_milestone_creation {
        return;
    }
    for (i, e) in s.project_scope.epic_definitions.iter().enumerate() {
        if e.milestone_mapping.is_some() {
            continue;
        }
        let names = unfilled([pattern.as_str()], &e.variables);
        if !names.is_empty() {
            let source = format!("the milestone naming pattern ({EPIC_RULES}.milestone_policies)");
            r.push(placeholder_problem(epic_path(i), "epic", &source, &names));
        }
        let title = substitute(pattern, &epic_values(e));
        milestone_too_long(
            r,
            epic_path(i),
            &title,
            "epic_title or the configuration's milestone_naming_pattern, or give the epic a milestone_mapping",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours() {
        assert_eq!(color_hint("0366d6"), None);
        assert_eq!(color_hint("#FF6B35"), None);
        assert!(color_hint("#fff").unwrap().contains("\"ffffff\""));
        assert!(color_hint("red").is_some());
        assert!(color_hint("").is_some());
        assert!(color_hint("#").is_some());
        assert!(color_hint("12345g").is_some());
    }
}
