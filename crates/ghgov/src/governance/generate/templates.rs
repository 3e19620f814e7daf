//! Which configured template shapes an issue: an epic's comes from its category through
//! `template_mapping`, a feature's is named by its `template`. Tasks have none. An unknown
//! template id falls back to the defaults, with a warning.

use super::tree::{non_blank, Item};
use crate::governance::config::{GovernanceConfig, Template};
use crate::governance::desired::IssueKind;
use crate::governance::problems::{field, Document, Problem, Report};

pub(super) fn template_for<'c>(
    item: &Item,
    config: &'c GovernanceConfig,
    report: &mut Report,
) -> Option<&'c Template> {
    let templates = &config.templates;
    match item.kind {
        IssueKind::Epic => {
            let category = non_blank(item.epic.category.as_deref())?;
            let mapping = &config
                .governance_rules
                .epic_generation_rules
                .template_mapping;
            let (category_as_written, id) = lookup(mapping.iter(), category)?;
            let found = find(&templates.epic_templates, id);
            if found.is_none() {
                report.push(Problem::warning(
                    Document::Config,
                    field(
                        "governance_rules.epic_generation_rules.template_mapping",
                        category_as_written,
                    ),
                    "unknown_template",
                    format!("epic template {id:?} is not among templates.epic_templates; epics of category {category_as_written:?} use the default title and labels"),
                    "add the template to templates.epic_templates or correct the id",
                ));
            }
            found
        }
        IssueKind::Feature => {
            let id = non_blank(item.feature?.template.as_deref())?;
            let found = find(&templates.feature_templates, id);
            if found.is_none() {
                report.push(Problem::warning(
                    Document::Spec,
                    field(&item.spec_path, "template"),
                    "unknown_template",
                    format!("feature template {id:?} is not among the configuration's templates.feature_templates; the default title and labels are used"),
                    "correct the template id or add the template to the configuration",
                ));
            }
            found
        }
        IssueKind::Task => None,
    }
}

/// A template by id: exact, else ignoring case.
fn find<'c>(templates: &'c [Template], id: &str) -> Option<&'c Template> {
    let id = id.trim();
    templates.iter().find(|t| t.template_id == id).or_else(|| {
        templates
            .iter()
            .find(|t| t.template_id.to_lowercase() == id.to_lowercase())
    })
}

/// An entry of a map keyed by name: exact, else ignoring case; with the key as written.
pub(super) fn lookup<'m, V>(
    entries: impl Iterator<Item = (&'m String, &'m V)> + Clone,
    name: &str,
) -> Option<(&'m str, &'m V)> {
    let name = name.trim();
    let exact = entries.clone().find(|(k, _)| k.as_str() == name);
    exact
        .or_else(|| {
            entries
                .clone()
                .find(|(k, _)| k.trim().to_lowercase() == name.to_lowercase())
        })
        .map(|(k, v)| (k.as_str(), v))
}
