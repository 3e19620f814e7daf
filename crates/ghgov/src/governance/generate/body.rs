//! Issue bodies: the key marker, the description, one line of metadata, then the
//! documentation sections. Every section `required_documentation` names is always there —
//! with the specification's items, or with a visible placeholder that compliance checks
//! recognise — so a body's shape never depends on how complete the specification is.

use crate::governance::desired::{marker, section_title, IssueKind, PLACEHOLDER};
use serde_json::Value;
use std::collections::BTreeMap;

/// The documentation an item carries in the specification.
pub(super) struct Documentation<'a> {
    pub success_criteria: &'a [String],
    pub acceptance_criteria: &'a [String],
    pub technical_specs: &'a [String],
    /// Sections with other names may come from fields ghgov does not know by name.
    pub extra: &'a BTreeMap<String, Value>,
}

impl Documentation<'_> {
    fn items(&self, section: &str) -> Vec<String> {
        let listed: Vec<String> = match section {
            "success_criteria" => self.success_criteria.to_vec(),
            "acceptance_criteria" => self.acceptance_criteria.to_vec(),
            "technical_specs" => self.technical_specs.to_vec(),
            other => match self.extra.get(other) {
                Some(Value::String(s)) => vec![s.clone()],
                Some(Value::Array(values)) => values
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect(),
                _ => Vec::new(),
            },
        };
        listed
            .iter()
            .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|s| !s.is_empty())
            .collect()
    }
}

pub(super) struct Body {
    pub text: String,
    /// Required sections rendered with the placeholder.
    pub missing: Vec<String>,
}

pub(super) fn render(
    key: &str,
    kind: IssueKind,
    description: Option<&str>,
    metadata: &[(&str, String)],
    docs: &Documentation,
    required: &[String],
) -> Body {
    let mut blocks = vec![marker(key)];
    if let Some(description) = description.map(str::trim).filter(|d| !d.is_empty()) {
        blocks.push(description.to_string());
    }
    blocks.push(
        metadata
            .iter()
            .map(|(name, value)| format!("**{name}:** {value}"))
            .collect::<Vec<_>>()
            .join(" · "),
    );

    let required = distinct_sections(required);
    let mut rendered: Vec<String> = Vec::new();
    let mut missing = Vec::new();
    // SPEC-FORMATS: an epic's success criteria are the content of its acceptance criteria
    // when it has none of its own, rather than a second list next to a placeholder.
    let success_stands_in = kind == IssueKind::Epic
        && docs.acceptance_criteria.iter().all(|s| s.trim().is_empty())
        && required.iter().any(|r| r == "acceptance_criteria");
    let success = docs.items("success_criteria");
    if !success.is_empty() && !success_stands_in {
        blocks.push(section("success_criteria", &success));
        rendered.push("success_criteria".into());
    }
    for name in &required {
        if rendered.contains(name) {
            continue;
        }
        let mut items = docs.items(name);
        if items.is_empty() && success_stands_in && name == "acceptance_criteria" {
            items = success.clone();
        }
        if items.is_empty() {
            blocks.push(format!(
                "## {}\n{PLACEHOLDER}: add {name} to this {} in the specification._",
                section_title(name),
                kind.as_str()
            ));
            missing.push(name.clone());
        } else {
            blocks.push(section(name, &items));
        }
        rendered.push(name.clone());
    }
    // Documentation the specification gives is shown even where it is not required.
    for name in ["acceptance_criteria", "technical_specs"] {
        let items = docs.items(name);
        if !items.is_empty() && !rendered.iter().any(|r| r == name) {
            blocks.push(section(name, &items));
        }
    }
    let mut text = blocks.join("\n\n");
    text.push('\n');
    Body { text, missing }
}

/// The estimate a governed body's metadata line shows (`**Estimate:** 2-3 weeks`), as
/// written: what a governance apply records as the issue's planned estimate. The metadata
/// line is the first that starts with `**Kind:**`.
pub(crate) fn estimate_in_body(body: &str) -> Option<&str> {
    let line = body
        .lines()
        .find(|l| l.trim_start().starts_with("**Kind:**"))?;
    line.split(" · ")
        .find_map(|part| part.trim().strip_prefix("**Estimate:**"))
        .map(str::trim)
        .filter(|e| !e.is_empty())
}

fn section(name: &str, items: &[String]) -> String {
    let bullets: Vec<String> = items.iter().map(|i| format!("- {i}")).collect();
    format!("## {}\n{}", section_title(name), bullets.join("\n"))
}

/// Required section names, trimmed, without blanks or repeats.
fn distinct_sections(required: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for name in required.iter().map(|r| r.trim()).filter(|r| !r.is_empty()) {
        if !out.iter().any(|o| o == name) {
            out.push(name.to_string());
        }
    }
    out
}

#[cfg(test)]
mod estimate_tests {
    use super::*;

    #[test]
    fn the_estimate_a_body_shows_is_read_back() {
        let docs = Documentation {
            success_criteria: &[],
            acceptance_criteria: &[],
            technical_specs: &[],
            extra: &BTreeMap::new(),
        };
        let metadata = [
            ("Kind", "task".to_string()),
            ("Priority", "high".to_string()),
            ("Estimate", "2-3 days".to_string()),
            ("Agent", "bot".to_string()),
        ];
        let body = render(
            "task/a",
            IssueKind::Task,
            Some("Do it."),
            &metadata,
            &docs,
            &[],
        );
        assert_eq!(estimate_in_body(&body.text), Some("2-3 days"));
        let body = render("task/a", IssueKind::Task, None, &metadata[..1], &docs, &[]);
        assert_eq!(estimate_in_body(&body.text), None);
        assert_eq!(
            estimate_in_body("**Estimate:** 3d without a metadata line"),
            None
        );
    }
}
