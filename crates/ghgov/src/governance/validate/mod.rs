//! Validation of a specification against a configuration: every problem at once, each with
//! the path of the offending field and a hint.
//!
//! Two steps. First both documents are checked against their JSON Schemas (the same files
//! editors use), which catches wrong types, missing fields and values outside an enum in
//! the words of the schema. Then, for the documents that deserialize into the typed
//! structs, the rules no schema can express: references between the documents (agents,
//! categories, templates), duplicate keys, dependency cycles, GitHub's limits and
//! durations. Semantic checks still run when the schema step found problems that do not
//! stop deserialization (a misspelt priority), so one run shows everything.

mod duration;
mod limits;
mod rules;
mod schema;
mod structure;
mod text;

#[cfg(test)]
mod tests;

pub use duration::parse_duration;
pub use schema::{CONFIG_SCHEMA, SPEC_SCHEMA};

use super::config::GovernanceConfig;
use super::problems::{Document, Problem, Report};
use super::spec::ProjectSpec;
use serde::de::DeserializeOwned;
use serde_json::Value;

#[derive(Debug, Clone, Default)]
pub struct Validated {
    pub report: Report,
    /// Present when the specification deserializes (it may still have problems).
    pub spec: Option<ProjectSpec>,
    /// Present when the configuration deserializes (it may still have problems).
    pub config: Option<GovernanceConfig>,
}

/// Both documents, each against its schema and its own rules, and against each other.
pub fn validate(spec: &Value, config: &Value) -> Validated {
    let mut report = Report::default();
    let config_typed: Option<GovernanceConfig> = read(Document::Config, config, &mut report);
    let spec_typed: Option<ProjectSpec> = read(Document::Spec, spec, &mut report);
    if let Some(c) = &config_typed {
        rules::config_rules(c, &mut report);
    }
    if let Some(s) = &spec_typed {
        structure::spec_rules(s, &mut report);
    }
    if let (Some(s), Some(c)) = (&spec_typed, &config_typed) {
        rules::cross_rules(s, c, &mut report);
    }
    Validated {
        report,
        spec: spec_typed,
        config: config_typed,
    }
}

/// A configuration on its own (when it is stored, before any specification meets it):
/// its schema and the rules that need no specification.
pub fn validate_config(config: &Value) -> Report {
    let mut report = Report::default();
    if let Some(c) = read::<GovernanceConfig>(Document::Config, config, &mut report) {
        rules::config_rules(&c, &mut report);
    }
    report
}

/// Schema problems of one document, then the typed value if it deserializes.
fn read<T: DeserializeOwned>(doc: Document, value: &Value, report: &mut Report) -> Option<T> {
    let problems = schema::check(doc, value);
    let schema_clean = problems.is_empty();
    report.problems.extend(problems);
    match T::deserialize(value) {
        Ok(t) => Some(t),
        Err(e) => {
            // The schemas are meant to be at least as strict as the types, so this is
            // rare (8.0 where a whole number is expected); when the schema already
            // complained, its messages say more than serde's.
            if schema_clean {
                report.push(Problem::error(
                    doc,
                    "",
                    "schema",
                    format!("the document cannot be read: {e}"),
                    "check the field named in the message against the documented format",
                ));
            }
            None
        }
    }
}
