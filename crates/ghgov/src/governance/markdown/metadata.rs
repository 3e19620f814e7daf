//! Metadata lines (`name: value · …` under a heading) and task lines
//! (`Title (name: value) {#key}`): their pairs, the names each kind accepts, and the
//! fields they fill.

use super::builder::slug;
use super::{error, MarkdownError};
use crate::governance::spec::{CrossEpicDependency, FeatureDef, TaskDef};

/// Accepted metadata names: (name, aliases). The aliases are the YAML field names.
type MetadataNames = &'static [(&'static str, &'static [&'static str])];

pub(super) const EPIC_METADATA: MetadataNames = &[
    ("category", &[]),
    ("priority", &[]),
    ("duration", &["estimated_duration"]),
    ("milestone", &["milestone_mapping"]),
    ("agents", &["assigned_agent_services"]),
    ("depends_on", &[]),
    ("blocks", &[]),
];

const FEATURE_METADATA: MetadataNames = &[
    ("agent", &["assigned_agent"]),
    ("effort", &["estimated_effort"]),
    ("template", &[]),
    ("priority", &[]),
    ("capability", &["required_capability"]),
];

const TASK_METADATA: MetadataNames = &[
    ("complexity", &[]),
    ("agent", &["assigned_agent"]),
    ("capability", &["required_capability"]),
    ("priority", &[]),
];

/// `name: value` pairs separated by `·`, `|`, `;` or line breaks; None when `text` is
/// anything else (then it is ordinary text). A value may itself contain colons
/// (`agent: agent:qa`), so each pair splits at its first `: `.
pub(super) fn metadata_pairs(text: &str) -> Option<Vec<(String, String)>> {
    let mut pairs = Vec::new();
    for piece in text.split(['\n', ';', '·', '|']).map(str::trim) {
        if piece.is_empty() {
            continue;
        }
        let (name, value) = piece.split_once(": ")?;
        let is_name = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !is_name || value.trim().is_empty() {
            return None;
        }
        pairs.push((name.to_string(), value.trim().to_string()));
    }
    (!pairs.is_empty()).then_some(pairs)
}

/// The pairs under their canonical names; unknown or repeated names are errors.
pub(super) fn known_pairs(
    pairs: Vec<(String, String)>,
    known: MetadataNames,
    kind: &str,
    line: usize,
) -> Result<Vec<(&'static str, String)>, MarkdownError> {
    let mut out: Vec<(&'static str, String)> = Vec::new();
    for (name, value) in pairs {
        let Some(&(canonical, _)) = known
            .iter()
            .find(|(n, aliases)| *n == name || aliases.contains(&name.as_str()))
        else {
            let names: Vec<&str> = known.iter().map(|(n, _)| *n).collect();
            return Err(error(
                line,
                format!("unknown {kind} metadata `{name}`"),
                format!("{kind} metadata names are {}", names.join(", ")),
            ));
        };
        if out.iter().any(|(seen, _)| *seen == canonical) {
            return Err(error(
                line,
                format!("the {kind} metadata `{canonical}` is given twice"),
                "keep one of them",
            ));
        }
        out.push((canonical, value));
    }
    Ok(out)
}

pub(super) fn feature_metadata(
    feature: &mut FeatureDef,
    line: usize,
    pairs: Vec<(String, String)>,
) -> Result<(), MarkdownError> {
    for (name, value) in known_pairs(pairs, FEATURE_METADATA, "feature", line)? {
        let slot = match name {
            "agent" => &mut feature.assigned_agent,
            "effort" => &mut feature.estimated_effort,
            "template" => &mut feature.template,
            "priority" => &mut feature.priority,
            "capability" => &mut feature.required_capability,
            _ => unreachable!("known_pairs returns only FEATURE_METADATA names"),
        };
        *slot = Some(value);
    }
    Ok(())
}

pub(super) fn comma_list(
    value: &str,
    name: &str,
    line: usize,
) -> Result<Vec<String>, MarkdownError> {
    let list: Vec<String> = value
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(String::from)
        .collect();
    if list.is_empty() {
        return Err(error(
            line,
            format!("`{name}` names nothing"),
            "separate the names with commas",
        ));
    }
    Ok(list)
}

pub(super) fn dependency(dependent: &str, dependency: &str, kind: &str) -> CrossEpicDependency {
    CrossEpicDependency {
        dependent_epic: dependent.to_string(),
        dependency_epic: dependency.to_string(),
        dependency_type: kind.to_string(),
        dependency_reason: None,
    }
}

/// `Title (name: value · …) {#task_key}`; the metadata and the key are optional.
pub(super) fn parse_task(text: &str, line: usize) -> Result<TaskDef, MarkdownError> {
    let (rest, key) = split_trailing_key(text, line)?;
    let (title, pairs) = split_trailing_metadata(rest);
    if title.is_empty() {
        return Err(error(
            line,
            "a task without a title",
            "write the title after `- [ ] `",
        ));
    }
    let task_key = key.unwrap_or_else(|| slug(title, '_'));
    if task_key.is_empty() {
        return Err(error(
            line,
            format!("no task key can be made from \"{title}\""),
            "give one at the end of the line: `{#my_task}`",
        ));
    }
    let mut task = TaskDef {
        task_key,
        title: Some(title.to_string()),
        ..TaskDef::default()
    };
    for (name, value) in known_pairs(pairs, TASK_METADATA, "task", line)? {
        let slot = match name {
            "complexity" => &mut task.complexity,
            "agent" => &mut task.assigned_agent,
            "capability" => &mut task.required_capability,
            "priority" => &mut task.priority,
            _ => unreachable!("known_pairs returns only TASK_METADATA names"),
        };
        *slot = Some(value);
    }
    Ok(task)
}

/// Splits off a trailing `{#key}`.
fn split_trailing_key(text: &str, line: usize) -> Result<(&str, Option<String>), MarkdownError> {
    let text = text.trim_end();
    let Some(open) = text.strip_suffix('}').and_then(|inner| inner.rfind("{#")) else {
        return Ok((text, None));
    };
    let key = text[open + 2..text.len() - 1].trim();
    if key.is_empty() || key.contains(char::is_whitespace) {
        return Err(error(
            line,
            format!("\"{{#{key}}}\" is not a task key"),
            "a task key is one word such as `{#write_load_tests}`",
        ));
    }
    Ok((text[..open].trim_end(), Some(key.to_string())))
}

/// Splits off trailing `(name: value · …)` when the parentheses hold metadata; other
/// parentheses are part of the title.
fn split_trailing_metadata(text: &str) -> (&str, Vec<(String, String)>) {
    let text = text.trim();
    let Some(inner_end) = text.strip_suffix(')').map(str::len) else {
        return (text, Vec::new());
    };
    let mut depth = 0;
    let open = text[..inner_end].char_indices().rev().find(|&(_, c)| {
        match c {
            ')' => depth += 1,
            '(' if depth == 0 => return true,
            '(' => depth -= 1,
            _ => {}
        }
        false
    });
    match open.and_then(|(open, _)| Some((open, metadata_pairs(&text[open + 1..inner_end])?))) {
        Some((open, pairs)) => (text[..open].trim_end(), pairs),
        None => (text, Vec::new()),
    }
}
