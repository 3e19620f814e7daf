//! Small text helpers shared by the schema and rule steps: placeholders, key syntax, and
//! values and lists written for people.

use serde_json::Value;
use std::collections::BTreeMap;

/// Placeholders generation fills in for every item; anything else must come from the
/// item's `variables`.
pub(super) const BUILTIN_PLACEHOLDERS: &[&str] = &[
    "epic_title",
    "epic_name",
    "epic_key",
    "category",
    "priority",
    "feature_title",
    "feature_key",
    "task_title",
    "task_key",
    "quarter",
    "year",
];

/// The `{name}` placeholders of a pattern, in order, each once. Braces around anything
/// that is not a plain name (`{ }`, `{a b}`) are literal text, not placeholders.
pub(super) fn placeholders(pattern: &str) -> Vec<&str> {
    let mut found: Vec<&str> = Vec::new();
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find(['}', '{']) else {
            break;
        };
        let name = &after[..close];
        if after[close..].starts_with('}') && is_placeholder_name(name) && !found.contains(&name) {
            found.push(name);
        }
        rest = &after[close..];
    }
    found
}

fn is_placeholder_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `pattern` with each known placeholder replaced; unknown ones stay as written.
pub(super) fn substitute(pattern: &str, values: &BTreeMap<&str, String>) -> String {
    let mut out = pattern.to_string();
    for name in placeholders(pattern) {
        if let Some(v) = values.get(name) {
            out = out.replace(&format!("{{{name}}}"), v);
        }
    }
    out
}

/// Keys end up in issue markers (HTML comments) and URLs, so only these characters.
pub(super) fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
}

/// A key close to `key` that is valid: other characters become `_`, runs collapse.
pub(super) fn suggest_key(key: &str) -> String {
    let mut out = String::new();
    for c in key.trim().chars() {
        if is_key_char(c) {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let trimmed = out.trim_matches('_');
    if trimmed.is_empty() {
        "my_key".to_string()
    } else {
        trimmed.to_string()
    }
}

/// At most `max` characters, with an ellipsis when cut.
pub(super) fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max).collect();
        out.push('…');
        out
    }
}

/// A value as a message quotes it: strings as written, anything else as compact JSON.
pub(super) fn show(v: &Value) -> String {
    match v {
        Value::String(s) => clip(s, 60),
        other => clip(&other.to_string(), 60),
    }
}

/// `a, b, c` — or `a, b, c and 7 more` for long lists, which hints must not drown in.
pub(super) fn list<I, S>(items: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    const MAX: usize = 10;
    let all: Vec<String> = items.into_iter().map(|s| s.as_ref().to_string()).collect();
    if all.is_empty() {
        return "none".to_string();
    }
    let mut out = all.iter().take(MAX).cloned().collect::<Vec<_>>().join(", ");
    if all.len() > MAX {
        out.push_str(&format!(" and {} more", all.len() - MAX));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_placeholders() {
        assert_eq!(
            placeholders("Q{quarter}-{year}-{epic_name} {quarter}"),
            vec!["quarter", "year", "epic_name"]
        );
        assert_eq!(placeholders("{ } {a b} {{x}} {unclosed"), vec!["x"]);
        assert!(placeholders("no braces } {").is_empty());
        assert_eq!(placeholders("{é}{ok}"), vec!["ok"]);
    }

    #[test]
    fn substitutes_known_placeholders_only() {
        let values = BTreeMap::from([("epic_name", "Infra".to_string())]);
        assert_eq!(
            substitute("Epic: {epic_name} {component_type}", &values),
            "Epic: Infra {component_type}"
        );
    }

    #[test]
    fn suggests_valid_keys() {
        assert_eq!(
            suggest_key("Set up Prometheus monitoring!"),
            "set_up_prometheus_monitoring"
        );
        assert_eq!(suggest_key("  ©©  "), "my_key");
        assert!(suggest_key("ключ").chars().all(is_key_char));
    }

    #[test]
    fn clips_and_lists() {
        assert_eq!(clip("abcdef", 3), "abc…");
        assert_eq!(clip("äöü", 3), "äöü");
        assert_eq!(list(Vec::<String>::new()), "none");
        assert_eq!(
            list((1..=12).map(|i| i.to_string())),
            "1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 2 more"
        );
    }
}
