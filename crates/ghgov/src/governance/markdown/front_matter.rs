//! The front matter: the YAML between the opening `---` lines, held to the document
//! limits, read into the specification's top-level fields.

use super::{error, MarkdownError};
use crate::governance::document_limits::DocumentLimits;
use crate::governance::load::{strip_yaml_locations, yaml_syntax_hint};
use crate::governance::prescan::{self, Refusal};
use crate::governance::spec::{CrossEpicDependency, GitHubIntegration};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// The specification's top-level fields, and the two of `project_scope` that are not
/// epics (`start_date`, `cross_epic_dependencies`).
#[derive(Deserialize)]
pub(super) struct FrontMatter {
    pub(super) organization: String,
    pub(super) repository: String,
    #[serde(default)]
    pub(super) start_date: Option<String>,
    #[serde(default)]
    pub(super) cross_epic_dependencies: Vec<CrossEpicDependency>,
    #[serde(default)]
    pub(super) generation_metadata: Option<Value>,
    #[serde(default)]
    pub(super) github_integration: Option<GitHubIntegration>,
    #[serde(flatten)]
    pub(super) extra: BTreeMap<String, Value>,
}

pub(super) fn parse_front_matter(
    yaml: &str,
    first_line: usize,
    limits: &DocumentLimits,
) -> Result<FrontMatter, MarkdownError> {
    // As for a YAML document: the parser below would expand every alias.
    prescan::yaml(yaml, limits).map_err(|refusal| match refusal {
        Refusal::Limit(exceeded) => {
            let line = first_line + exceeded.line.unwrap_or(1) - 1;
            let (what, hint) = exceeded.explain();
            MarkdownError {
                line,
                message: format!("front matter: {what}"),
                hint,
                limit: Some(exceeded.at_line(line)),
            }
        }
        Refusal::Syntax { line, message, .. } => error(
            first_line + line - 1,
            format!("front matter: {message}"),
            yaml_syntax_hint(&message),
        ),
    })?;
    let front_matter: FrontMatter = serde_norway::from_str(yaml).map_err(|e| {
        let line = e
            .location()
            .map_or(first_line, |at| first_line + at.line() - 1);
        let message = strip_yaml_locations(&e.to_string());
        let hint = if message.contains("missing field") {
            "the front matter needs at least `organization:` and `repository:`"
        } else {
            yaml_syntax_hint(&message)
        };
        error(line, format!("front matter: {message}"), hint)
    })?;
    for nested in ["project_scope", "epic_definitions"] {
        if front_matter.extra.contains_key(nested) {
            return Err(error(
                first_line,
                format!("front matter: `{nested}` is not written here"),
                "write epics as `# Epic:` headings; give `start_date` and \
                 `cross_epic_dependencies` directly in the front matter",
            ));
        }
    }
    Ok(front_matter)
}
