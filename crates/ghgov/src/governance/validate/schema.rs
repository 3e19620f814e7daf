//! Step one: the documents against their JSON Schemas. The schemas are the files shipped for
//! editors, embedded so that the server and the editor never disagree. Every error is
//! reported, in plain words, at a path in our `a.b[1]` form.

use super::text::{clip, list, show};
use crate::governance::problems::{field, index, Document, Problem};
use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::paths::LocationSegment;
use jsonschema::{JsonType, ValidationError, Validator};
use serde_json::Value;
use std::sync::LazyLock;

/// The configuration schema (`$id` https://ghgov.dev/schemas/governance-config.schema.json).
pub const CONFIG_SCHEMA: &str = include_str!("../../../schemas/governance-config.schema.json");
/// The specification schema (`$id` https://ghgov.dev/schemas/project-spec.schema.json).
pub const SPEC_SCHEMA: &str = include_str!("../../../schemas/project-spec.schema.json");

struct Compiled {
    /// Kept to look up a field's `description` for hints.
    json: Value,
    validator: Validator,
}

impl Compiled {
    /// Panics only if an embedded schema is broken, which a unit test rules out.
    fn new(text: &str) -> Compiled {
        let json: Value = serde_json::from_str(text).expect("embedded schema is JSON");
        let validator = jsonschema::draft202012::new(&json).expect("embedded schema compiles");
        Compiled { json, validator }
    }
}

static CONFIG: LazyLock<Compiled> = LazyLock::new(|| Compiled::new(CONFIG_SCHEMA));
static SPEC: LazyLock<Compiled> = LazyLock::new(|| Compiled::new(SPEC_SCHEMA));

/// Ordering key for an instance location: indices compare as numbers, so `[10]` comes
/// after `[2]`. The validator's own order depends on hash maps, and reports must be stable.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Index(usize),
    Field(String),
}

/// Every schema problem of `instance`, ordered by location (mapping keys alphabetically:
/// the parsed document no longer knows the order they were written in).
pub(super) fn check(doc: Document, instance: &Value) -> Vec<Problem> {
    let compiled: &Compiled = match doc {
        Document::Spec => &SPEC,
        Document::Config => &CONFIG,
    };
    let mut found: Vec<(Vec<Step>, Problem)> = compiled
        .validator
        .iter_errors(instance)
        .map(|e| {
            let steps = steps(&e);
            let (message, hint) = describe(&e, &compiled.json, &steps);
            let problem = Problem::error(doc, path(&steps), "schema", message, hint);
            (steps, problem)
        })
        .collect();
    // Stable: problems at one location keep the schema's order.
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found.into_iter().map(|(_, p)| p).collect()
}

fn steps(e: &ValidationError) -> Vec<Step> {
    e.instance_path()
        .iter()
        .map(|s| match s {
            LocationSegment::Property(name) => Step::Field(name.into_owned()),
            LocationSegment::Index(i) => Step::Index(i),
        })
        .collect()
}

fn path(steps: &[Step]) -> String {
    steps.iter().fold(String::new(), |p, s| match s {
        Step::Field(name) => field(&p, name),
        Step::Index(i) => index(&p, *i),
    })
}

/// Message and hint for one error, in the user's terms rather than the schema's.
fn describe(e: &ValidationError, schema: &Value, steps: &[Step]) -> (String, String) {
    let instance: &Value = e.instance();
    let name = match steps.last() {
        Some(Step::Field(n)) => Some(n.as_str()),
        _ => None,
    };
    // The schema object holding the failed keyword, e.g. `/$defs/labelStyle/properties/color`.
    let here = keyword_parent(e);
    let about = |pointer: &str| -> Option<String> {
        let d = schema.pointer(pointer)?.get("description")?.as_str()?;
        Some(d.to_string())
    };
    let with_about = |advice: String, pointer: &str| match (about(pointer), name) {
        (Some(d), Some(n)) => format!("{advice}; `{n}`: {d}"),
        (Some(d), None) => format!("{advice}; {d}"),
        (None, _) => advice,
    };
    match e.kind() {
        ValidationErrorKind::Type { kind } => {
            let expected: Vec<JsonType> = match kind {
                TypeKind::Single(t) => vec![*t],
                TypeKind::Multiple(set) => set.iter().collect(),
            };
            let message = format!(
                "expected {}, found {}",
                expected_text(&expected),
                found(instance)
            );
            (message, with_about(type_advice(&expected, instance), &here))
        }
        ValidationErrorKind::Required { property } => {
            let prop = property.as_str().unwrap_or_default();
            let message = format!("missing required field `{prop}`");
            let pointer = format!("{here}/properties/{}", escape(prop));
            let hint = match about(&pointer) {
                Some(d) => format!("add `{prop}`: {d}"),
                None => format!("add `{prop}`"),
            };
            (message, hint)
        }
        ValidationErrorKind::Enum { options } => {
            let allowed: Vec<&str> = options
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let message = format!("`{}` is not one of {}", show(instance), list(&allowed));
            let close = instance
                .as_str()
                .and_then(|s| allowed.iter().find(|a| a.eq_ignore_ascii_case(s.trim())));
            let advice = match close {
                Some(a) => format!("write `{a}` (lower case, as listed)"),
                None => format!("write one of {}", list(&allowed)),
            };
            (message, with_about(advice, &here))
        }
        ValidationErrorKind::Minimum { limit }
        | ValidationErrorKind::ExclusiveMinimum { limit } => (
            format!("{} is below the minimum, {limit}", show(instance)),
            with_about(format!("use {limit} or more"), &here),
        ),
        ValidationErrorKind::Maximum { limit }
        | ValidationErrorKind::ExclusiveMaximum { limit } => (
            format!("{} is above the maximum, {limit}", show(instance)),
            with_about(format!("use {limit} or less"), &here),
        ),
        // The schemas use no other keywords; should one be added, the library's own
        // wording is still better than nothing.
        _ => (
            clip(&e.to_string(), 200),
            with_about("see the documented format".to_string(), &here),
        ),
    }
}

/// JSON pointer (into the schema) of the object that holds the keyword that failed. Through
/// `$ref` only the absolute keyword location knows where that is.
fn keyword_parent(e: &ValidationError) -> String {
    let location = match e.absolute_keyword_location() {
        Some(uri) => uri
            .as_str()
            .split_once('#')
            .map(|(_, fragment)| percent_decode(fragment))
            .unwrap_or_default(),
        None => e.schema_path().as_str().to_string(),
    };
    match location.rfind('/') {
        Some(cut) => location[..cut].to_string(),
        None => String::new(),
    }
}

/// URI fragments percent-encode some characters of property names.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// JSON pointer escaping of one property name.
fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

fn type_name(t: JsonType) -> &'static str {
    match t {
        JsonType::String => "a string",
        JsonType::Integer => "a whole number",
        JsonType::Number => "a number",
        JsonType::Boolean => "true or false",
        JsonType::Array => "a list",
        JsonType::Object => "a mapping",
        JsonType::Null => "nothing",
    }
}

/// "a string", "a string or a mapping". Null is accepted for optional fields only so that
/// `field:` with no value means the same as leaving it out; naming it would only confuse.
fn expected_text(types: &[JsonType]) -> String {
    let named: Vec<&str> = types
        .iter()
        .filter(|t| **t != JsonType::Null || types.len() == 1)
        .map(|t| type_name(*t))
        .collect();
    named.join(" or ")
}

fn found(v: &Value) -> String {
    match v {
        Value::Null => "nothing (null)".to_string(),
        Value::Bool(b) => format!("{b}"),
        Value::Number(n) => format!("a number ({n})"),
        Value::String(s) => format!("a string ({:?})", clip(s, 40)),
        Value::Array(_) => "a list".to_string(),
        Value::Object(_) => "a mapping".to_string(),
    }
}

/// How to write the value so that it has the expected type.
fn type_advice(expected: &[JsonType], v: &Value) -> String {
    let wants = |t| expected.contains(&t);
    match v {
        Value::Number(_) | Value::Bool(_) if wants(JsonType::String) => {
            format!("put the value in quotes: \"{v}\"")
        }
        Value::Number(n) if wants(JsonType::Integer) && !n.is_i64() && !n.is_u64() => {
            "write a whole number, without a decimal point".to_string()
        }
        Value::Null => "give a value, or leave the field out".to_string(),
        Value::String(s) if wants(JsonType::Array) => {
            format!("write a list, even of one item: [{:?}]", clip(s, 40))
        }
        _ if wants(JsonType::Object) => "write a mapping of names to values".to_string(),
        _ if wants(JsonType::Array) => "write a list".to_string(),
        _ if wants(JsonType::Boolean) => "write true or false".to_string(),
        _ if wants(JsonType::Integer) => "write a whole number".to_string(),
        _ if wants(JsonType::Number) => "write a number".to_string(),
        _ => format!("write {}", expected_text(expected)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_schemas_compile() {
        assert!(CONFIG.json.get("$id").is_some());
        assert!(SPEC.json.get("$id").is_some());
        let _ = &CONFIG.validator;
        let _ = &SPEC.validator;
    }

    /// The specification schema carries its own copy of the label definitions (editors
    /// load one file); the copies must not drift apart.
    #[test]
    fn shared_definitions_agree() {
        for def in ["duration", "labelStyle", "labelConfiguration"] {
            assert_eq!(CONFIG.json["$defs"][def], SPEC.json["$defs"][def], "{def}");
        }
    }

    #[test]
    fn decodes_fragments() {
        assert_eq!(percent_decode("/%24defs/a%20b/%zz%"), "/$defs/a b/%zz%");
    }
}
