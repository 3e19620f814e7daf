//! `{name}` placeholders in title patterns, description templates and the milestone naming
//! pattern, and the values an item offers for them.

use super::tree::Item;
use super::Start;
use chrono::Datelike;
use std::collections::BTreeMap;

/// Fills the placeholders of `pattern` from `values`. Values are inserted as they are, never
/// scanned again, so a title containing braces cannot pull in another value. Placeholders
/// without a value stay as written and are returned (once each) so the caller can warn.
pub(super) fn fill(pattern: &str, values: &BTreeMap<String, String>) -> (String, Vec<String>) {
    let mut out = String::with_capacity(pattern.len());
    let mut unfilled = Vec::new();
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let name_len = after
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        let name = &after[..name_len];
        if name.is_empty() || !after[name_len..].starts_with('}') {
            // Not a placeholder (`{}`, `{ x }`, a lone brace): keep the brace as text.
            out.push('{');
            rest = after;
            continue;
        }
        match values.get(name) {
            Some(value) => out.push_str(value),
            None => {
                out.push_str(&rest[open..open + name_len + 2]);
                if !unfilled.iter().any(|u| u == name) {
                    unfilled.push(name.to_string());
                }
            }
        }
        rest = &after[name_len + 1..];
    }
    out.push_str(rest);
    (out, unfilled)
}

/// The values an item offers: its epic's `variables`, overridden by a feature's own (a
/// task sees its feature's), then the built-in names, which describe the item itself and
/// so win over variables of the same name.
pub(super) fn values_for(item: &Item, start: &Start) -> BTreeMap<String, String> {
    let mut values = item.epic.variables.clone();
    if let Some(feature) = item.feature {
        values.extend(feature.variables.clone());
    }
    let mut set = |name: &str, value: &str| {
        values.insert(name.to_string(), value.to_string());
    };
    let epic = item.epic;
    set("epic_title", &epic.epic_title);
    set("epic_name", &epic.epic_title);
    set("epic_key", &epic.epic_key);
    if let Some(category) = epic.category.as_deref().filter(|c| !c.trim().is_empty()) {
        set("category", category);
    }
    if let Some(priority) = item.priority() {
        set("priority", &priority);
    }
    set("quarter", &((start.date.month0() / 3) + 1).to_string());
    set("year", &start.date.year().to_string());
    if let Some(feature) = item.feature {
        set("feature_title", &feature.feature_title);
        set("feature_key", &feature.feature_key);
    }
    if let Some(task) = &item.task {
        set("task_title", &item.spec_title());
        set("task_key", &task.task_key);
    }
    values
}

#[cfg(test)]
mod tests {
    use super::fill;
    use std::collections::BTreeMap;

    fn values() -> BTreeMap<String, String> {
        [("a", "1"), ("epic_name", "Core {a}")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn fills_known_and_keeps_unknown() {
        assert_eq!(
            fill("Q{a}-{epic_name} {missing} {missing}", &values()),
            (
                "Q1-Core {a} {missing} {missing}".to_string(),
                vec!["missing".to_string()]
            )
        );
    }

    #[test]
    fn odd_braces_are_text() {
        for s in ["{}", "{ a }", "{a", "a}", "{{a}}", "{é}", "{", "x{a-b}"] {
            let (out, _) = fill(s, &values());
            let expected = s.replace("{a}", "1");
            assert_eq!(out, expected, "{s:?}");
        }
    }
}
