//! Reading the two input documents (SPEC-FORMATS.md §1, §2) from YAML, JSON or Markdown
//! into `serde_json::Value`, then into the typed configuration and specification.
//!
//! Every format becomes a `serde_json::Value` first: one representation, whatever was
//! read, and one kind of error path. Errors name the document, then a line and column
//! (syntax) or a field path (types), then a hint.

use super::config::GovernanceConfig;
use super::document_limits::{DocumentLimits, Limit, LimitExceeded};
use super::markdown::parse_markdown;
use super::prescan::{self, Refusal};
use super::problems::{field, index};
use super::spec::{ProjectSpec, TaskDef};
use anyhow::{anyhow, bail, Context};
use serde::de::value::BorrowedStrDeserializer;
use serde::de::{DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::io::Read;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Json,
    Markdown,
}

impl Format {
    /// The format a file name announces, if it announces one.
    pub fn from_extension(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "yml" | "yaml" => Some(Format::Yaml),
            "json" => Some(Format::Json),
            "md" | "markdown" => Some(Format::Markdown),
            _ => None,
        }
    }

    /// A guess from the content, for files without a telling extension (or stdin).
    pub fn sniff(text: &str) -> Format {
        let text = text.trim_start_matches('\u{feff}').trim_start();
        if text.starts_with('{') {
            Format::Json
        } else if looks_like_markdown(text) {
            Format::Markdown
        } else {
            Format::Yaml
        }
    }

    pub fn detect(path: &Path, text: &str) -> Format {
        Format::from_extension(path).unwrap_or_else(|| Format::sniff(text))
    }
}

/// Front matter followed by a `# ` heading, or no front matter and an epic heading first.
/// A YAML file may start with `---` and have `# ` comments too, so a heading only counts
/// after the front matter has been closed by a second `---` line.
fn looks_like_markdown(text: &str) -> bool {
    let mut lines = text.lines().map(str::trim_end);
    match lines.next() {
        Some("---") => {
            let mut after_front_matter = lines.skip_while(|l| *l != "---").skip(1);
            after_front_matter.any(|l| l.starts_with("# "))
        }
        Some(first) => first.starts_with("# Epic:"),
        None => false,
    }
}

/// Parses one document. `what` names it in messages ("spec file plans/q1.yml").
/// Markdown is always a project specification. A document over `limits` is refused with
/// a [`LimitExceeded`] before it is expanded.
pub fn parse_document(
    text: &str,
    format: Format,
    what: &str,
    limits: &DocumentLimits,
) -> anyhow::Result<Value> {
    prescan::size(text, limits).map_err(|e| e.of(what))?;
    let text = text.trim_start_matches('\u{feff}');
    if text.trim().is_empty() {
        bail!("{what} is empty (hint: see examples/ for what it should contain)");
    }
    match format {
        Format::Json => {
            prescan::json(text, limits).map_err(|e| e.of(what))?;
            parse_json(text, what)
        }
        Format::Yaml => parse_yaml(text, what, limits),
        Format::Markdown => {
            let spec = parse_markdown(text, limits).map_err(|e| match e.limit {
                Some(exceeded) => anyhow::Error::new(exceeded.of(what)),
                None => anyhow!("{what}: {e}"),
            })?;
            Ok(serde_json::to_value(spec)?)
        }
    }
}

/// Reads and parses a file; `what` is the kind of document ("spec", "configuration").
/// A file larger than the limit is refused without being read in full.
pub fn read_document(path: &Path, what: &str, limits: &DocumentLimits) -> anyhow::Result<Value> {
    let label = format!("{what} file {}", path.display());
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
            "{label} does not exist (hint: check the path, which is relative to the current \
             directory; examples/ has a {what} to start from)"
        ),
        Err(e) => return Err(e).with_context(|| format!("cannot read {label}")),
    };
    let mut text = String::new();
    file.take(limits.max_bytes as u64 + 1)
        .read_to_string(&mut text)
        .with_context(|| format!("cannot read {label}"))?;
    if text.len() > limits.max_bytes {
        return Err(LimitExceeded::new(Limit::Bytes, limits).of(&label).into());
    }
    parse_document(&text, Format::detect(path, &text), &label, limits)
}

/// The specification in `v`; an error names the field at fault (`spec
/// project_scope.epic_definitions[1]: missing field `epic_key` (hint: …)`).
pub fn spec_from_value(v: &Value) -> anyhow::Result<ProjectSpec> {
    typed_from_value(v, "spec")
}

/// The configuration in `v`; errors as for [`spec_from_value`].
pub fn config_from_value(v: &Value) -> anyhow::Result<GovernanceConfig> {
    typed_from_value(v, "configuration")
}

fn parse_json(text: &str, what: &str) -> anyhow::Result<Value> {
    serde_json::from_str(text).map_err(|e| {
        // serde_json appends " at line L column C"; we say it in our own words first.
        let full = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let message = full.strip_suffix(&suffix).unwrap_or(&full);
        anyhow!(
            "{what}: line {}, column {}: {message} (hint: {})",
            e.line(),
            e.column(),
            json_syntax_hint(message)
        )
    })
}

fn json_syntax_hint(message: &str) -> &'static str {
    if message.contains("trailing comma") {
        "remove the comma before the closing bracket or brace"
    } else if message.contains("EOF while parsing") {
        "the document ends too early: a closing bracket, brace or quote is missing"
    } else if message.contains("key must be a string") {
        "put keys in double quotes"
    } else {
        "check the JSON syntax just before this point (commas, quotes, brackets)"
    }
}

fn parse_yaml(text: &str, what: &str, limits: &DocumentLimits) -> anyhow::Result<Value> {
    // The parser below would expand every alias and scan any depth: measured first.
    prescan::yaml(text, limits).map_err(|refusal| match refusal {
        Refusal::Limit(exceeded) => anyhow::Error::new(exceeded.of(what)),
        Refusal::Syntax {
            line,
            column,
            message,
        } => anyhow!(
            "{what}: line {line}, column {column}: {message} (hint: {})",
            yaml_syntax_hint(&message)
        ),
    })?;
    let mut yaml: serde_norway::Value = serde_norway::from_str(text).map_err(|e| {
        let message = strip_yaml_locations(&e.to_string());
        let hint = yaml_syntax_hint(&message);
        match e.location() {
            Some(at) => anyhow!(
                "{what}: line {}, column {}: {message} (hint: {hint})",
                at.line(),
                at.column()
            ),
            None => anyhow!("{what}: {message} (hint: {hint})"),
        }
    })?;
    // `<<: *defaults` is common in hand-written configurations.
    yaml.apply_merge()
        .map_err(|e| anyhow!("{what}: {e} (hint: `<<:` takes a mapping or a list of them)"))?;
    yaml_to_json(yaml, "").map_err(|e| anyhow!("{what}: {e}"))
}

/// serde_norway puts " at line L column C" (or "at position N") after the problem and
/// after its context; the caller reports the location itself.
pub(crate) fn strip_yaml_locations(message: &str) -> String {
    let mut out = String::new();
    let mut rest = message;
    while let Some(at) = rest.find(" at ") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 4..];
        let location_len = location_prefix_len(after);
        if location_len == 0 {
            out.push_str(" at ");
        }
        rest = &after[location_len..];
    }
    out.push_str(rest);
    out
}

/// The length of a leading "line L column C" or "position N", else 0.
fn location_prefix_len(s: &str) -> usize {
    let digits = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
    if let Some(r) = s.strip_prefix("line ") {
        let l = digits(r);
        if let Some(c) = r[l..].strip_prefix(" column ") {
            let cl = digits(c);
            if l > 0 && cl > 0 {
                return "line ".len() + l + " column ".len() + cl;
            }
        }
    } else if let Some(r) = s.strip_prefix("position ") {
        let l = digits(r);
        if l > 0 {
            return "position ".len() + l;
        }
    }
    0
}

pub(crate) fn yaml_syntax_hint(message: &str) -> &'static str {
    if message.contains("mapping values are not allowed") {
        "check the indentation, and quote a value that itself contains ': '"
    } else if message.contains("did not find expected key")
        || message.contains("did not find expected '-'")
    {
        "check the indentation of this line against the lines above it"
    } else if message.contains("cannot start any token")
        || message.contains("unexpected character")
        || message.contains("tabs disallowed")
    {
        "YAML indents with spaces, not tabs; quote values starting with @, ` or %"
    } else if message.contains("unknown escape") {
        "in double quotes a backslash starts an escape: write \\\\ for one, or use single quotes"
    } else if message.contains("quote") {
        "close the quote"
    } else if message.contains("bracket")
        || message.contains("flow")
        || message.contains("illegal placement of ':'")
    {
        "check that every [ and { is closed, and in the right order"
    } else if message.contains("duplicate entry") {
        "each key may appear only once in a mapping"
    } else if message.contains("more than one document") {
        "keep a single document: remove the extra `---` line"
    } else if message.contains("unknown anchor") {
        "define the anchor (`&name`) before using it (`*name`)"
    } else {
        "check the YAML syntax around this line (indentation, quotes, a missing ':')"
    }
}

/// JSON can hold everything the two documents need; YAML can hold more (non-text keys,
/// tags, infinities). Those are refused here with the path where they occur.
fn yaml_to_json(yaml: serde_norway::Value, path: &str) -> anyhow::Result<Value> {
    use serde_norway::Value as Y;
    let at = |path: &str| {
        if path.is_empty() {
            "the top level".to_string()
        } else {
            path.to_string()
        }
    };
    Ok(match yaml {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::String(s) => Value::String(s),
        Y::Number(n) => {
            if let Some(u) = n.as_u64() {
                Value::from(u)
            } else if let Some(i) = n.as_i64() {
                Value::from(i)
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                serde_json::Number::from_f64(f)
                    .map(Value::Number)
                    .ok_or_else(|| {
                        anyhow!(
                        "at {}: {n} is not a finite number (hint: quote it if it is meant as text)",
                        at(path)
                    )
                    })?
            }
        }
        Y::Sequence(items) => Value::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(i, item)| yaml_to_json(item, &index(path, i)))
                .collect::<anyhow::Result<_>>()?,
        ),
        Y::Mapping(entries) => {
            let mut object = serde_json::Map::new();
            for (key, value) in entries {
                let Y::String(key) = key else {
                    bail!(
                        "at {}: the key {} is not text (hint: quote it, e.g. \"{}\")",
                        at(path),
                        yaml_key_text(&key),
                        yaml_key_text(&key).trim_matches('`')
                    );
                };
                let value = yaml_to_json(value, &field(path, &key))?;
                object.insert(key, value);
            }
            Value::Object(object)
        }
        Y::Tagged(tagged) => bail!(
            "at {}: YAML tags such as `{}` are not supported (hint: remove the tag)",
            at(path),
            tagged.tag
        ),
    })
}

fn yaml_key_text(key: &serde_norway::Value) -> String {
    let text = serde_norway::to_string(key).unwrap_or_default();
    format!("`{}`", text.trim())
}

/// Deserializes `v` as `T`; on failure the message names the field at fault.
fn typed_from_value<T: DeserializeOwned>(v: &Value, document: &str) -> anyhow::Result<T> {
    let first = match T::deserialize(v) {
        Ok(typed) => return Ok(typed),
        Err(e) => e,
    };
    // The tracked pass fails the same way, with the place; the fallback is for safety.
    let (path, message) =
        describe_error::<T>(v, "").unwrap_or_else(|| (String::new(), first.to_string()));
    let at = if path.is_empty() {
        String::new()
    } else {
        format!(" {path}")
    };
    bail!("{document}{at}: {message} (hint: {})", type_hint(&message))
}

/// Where and why `v` is not a `T`, as (path, message). `base` is the path of `v`.
fn describe_error<T: DeserializeOwned>(v: &Value, base: &str) -> Option<(String, String)> {
    let tracked = Tracked {
        value: v,
        path: base.to_string(),
    };
    let e = T::deserialize(tracked).err()?;
    let (path, node) = e.place.unwrap_or_else(|| (base.to_string(), v.clone()));
    // A task is a key or a mapping (an untagged enum), so serde only says that neither
    // fitted; for a mapping, its own error is the useful one.
    if e.message.contains("untagged enum TaskEntry") {
        return match node {
            Value::Object(_) => describe_error::<TaskDef>(&node, &path)
                .or_else(|| Some((path.clone(), e.message.clone()))),
            _ => Some((
                path,
                format!(
                    "a task is a key (text) or a mapping with task_key, title, \
                     complexity…; found {}",
                    kind_of(&node)
                ),
            )),
        };
    }
    Some((path, e.message))
}

/// A deserializer over a JSON value that remembers where it is, so that an error can say
/// where it happened: serde itself stops at the first error without saying so.
struct Tracked<'v> {
    value: &'v Value,
    path: String,
}

/// The first error, and the path and value of the innermost element it came out of.
#[derive(Debug)]
struct TrackedError {
    message: String,
    place: Option<(String, Value)>,
}

impl TrackedError {
    /// Records where the error happened, unless a deeper element already did.
    fn at(mut self, path: &str, value: &Value) -> TrackedError {
        if self.place.is_none() {
            self.place = Some((path.to_string(), value.clone()));
        }
        self
    }
}

impl std::fmt::Display for TrackedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TrackedError {}

impl serde::de::Error for TrackedError {
    fn custom<M: std::fmt::Display>(message: M) -> Self {
        TrackedError {
            message: message.to_string(),
            place: None,
        }
    }
}

impl<'de> serde::Deserializer<'de> for Tracked<'de> {
    type Error = TrackedError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TrackedError> {
        let result = match self.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => {
                if let Some(u) = n.as_u64() {
                    visitor.visit_u64(u)
                } else if let Some(i) = n.as_i64() {
                    visitor.visit_i64(i)
                } else {
                    visitor.visit_f64(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::Array(items) => visitor.visit_seq(TrackedSeq {
                items: items.iter().enumerate(),
                path: &self.path,
            }),
            Value::Object(map) => visitor.visit_map(TrackedMap {
                entries: map.iter(),
                pending: None,
                path: &self.path,
            }),
        };
        result.map_err(|e| e.at(&self.path, self.value))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TrackedError> {
        match self.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, TrackedError> {
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

struct TrackedSeq<'v, 'p> {
    items: std::iter::Enumerate<std::slice::Iter<'v, Value>>,
    path: &'p str,
}

impl<'de> SeqAccess<'de> for TrackedSeq<'de, '_> {
    type Error = TrackedError;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, TrackedError> {
        let Some((i, value)) = self.items.next() else {
            return Ok(None);
        };
        let path = index(self.path, i);
        seed.deserialize(Tracked {
            value,
            path: path.clone(),
        })
        .map(Some)
        .map_err(|e| e.at(&path, value))
    }
}

struct TrackedMap<'v, 'p> {
    entries: serde_json::map::Iter<'v>,
    /// The entry whose key was just read.
    pending: Option<(&'v String, &'v Value)>,
    path: &'p str,
}

impl<'de> MapAccess<'de> for TrackedMap<'de, '_> {
    type Error = TrackedError;

    fn next_key_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, TrackedError> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        self.pending = Some((key, value));
        seed.deserialize(BorrowedStrDeserializer::new(key))
            .map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<S::Value, TrackedError> {
        let (key, value) = self
            .pending
            .take()
            .ok_or_else(|| serde::de::Error::custom("a value was asked for before its key"))?;
        let path = field(self.path, key);
        seed.deserialize(Tracked {
            value,
            path: path.clone(),
        })
        .map_err(|e| e.at(&path, value))
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

fn type_hint(message: &str) -> String {
    if let Some(name) = message
        .strip_prefix("missing field `")
        .and_then(|r| r.strip_suffix('`'))
    {
        format!("add `{name}` here")
    } else if message.contains("expected a string") {
        "write text here; quote values YAML would read as numbers, booleans or dates".into()
    } else if message.contains("expected a sequence") {
        "write a list here (`- item` lines, or `[a, b]`)".into()
    } else if message.contains("expected a map") || message.contains("expected struct") {
        "write a mapping here (`key: value` lines)".into()
    } else if message.contains("expected u32") || message.contains("expected i64") {
        "write a whole number here".into()
    } else if message.contains("expected a boolean") {
        "write true or false here".into()
    } else {
        "compare with the documents in examples/".into()
    }
}

/// A document given as text (API bodies): its format sniffed from the content.
pub fn parse_text(text: &str, what: &str, limits: &DocumentLimits) -> anyhow::Result<Value> {
    parse_document(text, Format::sniff(text), what, limits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::governance::spec::TaskEntry;

    const LIMITS: DocumentLimits = DocumentLimits::DEFAULT;

    const EXAMPLE_CONFIGURATION: &str =
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/governance.yml");
    const EXAMPLE_SPEC_YAML: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/project-spec.yml"
    );
    const EXAMPLE_SPEC_MARKDOWN: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/project-spec.md"
    );

    #[test]
    fn formats_come_from_the_extension_then_the_content() {
        let f = |p: &str| Format::from_extension(Path::new(p));
        assert_eq!(f("a/b.yml"), Some(Format::Yaml));
        assert_eq!(f("b.YAML"), Some(Format::Yaml));
        assert_eq!(f("b.json"), Some(Format::Json));
        assert_eq!(f("b.md"), Some(Format::Markdown));
        assert_eq!(f("b.markdown"), Some(Format::Markdown));
        assert_eq!(f("b.txt"), None);
        assert_eq!(f("noext"), None);

        assert_eq!(Format::sniff("  {\"a\": 1}"), Format::Json);
        assert_eq!(Format::sniff("a: 1\n"), Format::Yaml);
        let md = "---\norganization: acme\n---\n# Epic: X\n";
        assert_eq!(Format::sniff(md), Format::Markdown);
        assert_eq!(Format::sniff("# Epic: X\n"), Format::Markdown);
        // A YAML document with a start marker and comments is still YAML.
        assert_eq!(
            Format::sniff("---\n# The configuration\norganization: acme\n"),
            Format::Yaml
        );
        let path = Path::new("plan");
        assert_eq!(Format::detect(path, md), Format::Markdown);
        assert_eq!(Format::detect(Path::new("plan.yml"), md), Format::Yaml);
    }

    #[test]
    fn yaml_and_json_give_the_same_value() {
        let yaml = parse_document(
            "a: 1\nb: [x, true, 2.5]\nc: null\n",
            Format::Yaml,
            "t",
            &LIMITS,
        );
        let json = parse_document(
            r#"{"a": 1, "b": ["x", true, 2.5], "c": null}"#,
            Format::Json,
            "t",
            &LIMITS,
        );
        assert_eq!(yaml.unwrap(), json.unwrap());
    }

    #[test]
    fn yaml_merge_keys_and_anchors_are_resolved() {
        let text = "base: &b {color: red, size: 1}\nother:\n  <<: *b\n  size: 2\n";
        let v = parse_document(text, Format::Yaml, "t", &LIMITS).unwrap();
        assert_eq!(v["other"], serde_json::json!({"color": "red", "size": 2}));
    }

    #[test]
    fn yaml_syntax_errors_say_where_and_what_to_do() {
        let text = "organization: acme\nrepository: widgets\n  bad: indent: here\n";
        let e = parse_document(text, Format::Yaml, "spec file x.yml", &LIMITS)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("spec file x.yml: line 3, column "), "{e}");
        assert!(e.contains("mapping values are not allowed"), "{e}");
        assert!(e.contains("hint: check the indentation"), "{e}");
        assert!(!e.contains(" at line "), "{e}");

        let e = parse_document("a: 1\na: 2\n", Format::Yaml, "t", &LIMITS)
            .unwrap_err()
            .to_string();
        // serde_norway reports the mapping that holds the duplicate.
        assert_eq!(
            e,
            "t: line 1, column 1: duplicate entry with key \"a\" (hint: each key may appear \
             only once in a mapping)"
        );
    }

    #[test]
    fn malformed_yaml_is_explained_before_it_is_read() {
        let error = |text: &str| {
            parse_document(text, Format::Yaml, "t", &LIMITS)
                .unwrap_err()
                .to_string()
        };
        let e = error("a: \"unclosed\nb: 2\n");
        assert_eq!(
            e,
            "t: line 1, column 4: unclosed quote (hint: close the quote)"
        );
        let e = error("a:\n\t- x\n");
        assert!(e.starts_with("t: line 2, column 2: tabs disallowed"), "{e}");
        assert!(
            e.contains("hint: YAML indents with spaces, not tabs"),
            "{e}"
        );
        let e = error("a: [1, 2\n");
        assert!(
            e.contains("hint: check that every [ and { is closed"),
            "{e}"
        );
        let e = error("a: \"\\q\"\n");
        assert!(
            e.contains("write \\\\ for one, or use single quotes"),
            "{e}"
        );
        let e = error("a: *nope\n");
        assert!(e.contains("hint: define the anchor"), "{e}");
    }

    #[test]
    fn yaml_only_constructs_are_refused_with_their_path() {
        let e = parse_document("rules:\n  1: x\n", Format::Yaml, "configuration", &LIMITS)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "configuration: at rules: the key `1` is not text (hint: quote it, e.g. \"1\")"
        );
        let e = parse_document("a: [!custom x]\n", Format::Yaml, "t", &LIMITS)
            .unwrap_err()
            .to_string();
        assert!(e.contains("at a[0]: YAML tags such as `!custom`"), "{e}");
        let e = parse_document("a: .inf\n", Format::Yaml, "t", &LIMITS)
            .unwrap_err()
            .to_string();
        assert!(e.contains("at a: "), "{e}");
        assert!(e.contains("not a finite number"), "{e}");
    }

    #[test]
    fn json_syntax_errors_say_where_and_what_to_do() {
        let e = parse_document(
            "{\n  \"a\": 1,\n}\n",
            Format::Json,
            "configuration file c.json",
            &LIMITS,
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            e,
            "configuration file c.json: line 3, column 1: trailing comma (hint: remove the \
             comma before the closing bracket or brace)"
        );
    }

    #[test]
    fn location_suffixes_are_removed_from_yaml_messages() {
        assert_eq!(
            strip_yaml_locations("did not find expected key at line 3 column 1, while parsing a block mapping at line 1 column 1"),
            "did not find expected key, while parsing a block mapping"
        );
        assert_eq!(strip_yaml_locations("look at this"), "look at this");
        assert_eq!(strip_yaml_locations("x at position 5"), "x");
    }

    #[test]
    fn empty_and_missing_documents_are_explained() {
        let e = parse_document(" \n", Format::Yaml, "spec file s.yml", &LIMITS).unwrap_err();
        assert!(e.to_string().starts_with("spec file s.yml is empty"));
        let e = read_document(Path::new("/nonexistent/plan.yml"), "spec", &LIMITS).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("spec file /nonexistent/plan.yml does not exist (hint:"),
            "{e}"
        );
    }

    #[test]
    fn type_errors_name_the_field() {
        let v = serde_json::json!({
            "organization": "acme", "repository": "widgets",
            "project_scope": {"epic_definitions": [
                {"epic_key": "a", "epic_title": "A"},
                {"epic_key": "b", "epic_title": "B", "feature_breakdown": [
                    {"feature_key": "f", "feature_title": "F", "estimated_effort": 3}
                ]}
            ]}
        });
        let e = spec_from_value(&v).unwrap_err().to_string();
        assert_eq!(
            e,
            "spec project_scope.epic_definitions[1].feature_breakdown[0].estimated_effort: \
             invalid type: integer `3`, expected a string (hint: write text here; quote values \
             YAML would read as numbers, booleans or dates)"
        );
    }

    #[test]
    fn missing_fields_point_at_their_mapping() {
        let v = serde_json::json!({
            "organization": "acme", "repository": "widgets",
            "project_scope": {"epic_definitions": [{"epic_key": "a"}]}
        });
        let e = spec_from_value(&v).unwrap_err().to_string();
        assert_eq!(
            e,
            "spec project_scope.epic_definitions[0]: missing field `epic_title` \
             (hint: add `epic_title` here)"
        );
        let e = spec_from_value(&serde_json::json!([1])).unwrap_err();
        assert!(
            e.to_string().starts_with("spec: invalid type: sequence"),
            "{e}"
        );
    }

    #[test]
    fn task_errors_say_what_is_wrong_inside_the_task() {
        let v = serde_json::json!({
            "organization": "acme", "repository": "widgets",
            "project_scope": {"epic_definitions": [{"epic_key": "a", "epic_title": "A",
                "feature_breakdown": [{"feature_key": "f", "feature_title": "F",
                    "task_breakdown": ["ok", {"task_key": "t", "complexity": ["x"]}, 7]}]}]}
        });
        let e = spec_from_value(&v).unwrap_err().to_string();
        assert!(
            e.starts_with(
                "spec project_scope.epic_definitions[0].feature_breakdown[0].task_breakdown[1]"
            ),
            "{e}"
        );
        assert!(
            e.contains("invalid type: sequence, expected a string"),
            "{e}"
        );
        let mut v = v;
        v["project_scope"]["epic_definitions"][0]["feature_breakdown"][0]["task_breakdown"][1] =
            serde_json::json!("fine");
        let e = spec_from_value(&v).unwrap_err().to_string();
        assert!(
            e.contains("task_breakdown[2]: a task is a key (text)"),
            "{e}"
        );
        assert!(e.contains("found a number"), "{e}");
    }

    #[test]
    fn configuration_errors_name_agent_keys() {
        let v = serde_json::json!({
            "organization": "acme", "repository": "widgets",
            "agent_service_mappings": {"agent:dev": {"escalation_rules": {"max_concurrent_tasks": "ten"}}}
        });
        let e = config_from_value(&v).unwrap_err().to_string();
        assert!(
            e.starts_with(
                "configuration agent_service_mappings[\"agent:dev\"].escalation_rules.max_concurrent_tasks: invalid type: string \"ten\""
            ),
            "{e}"
        );
        assert!(e.contains("hint: write a whole number here"), "{e}");
    }

    #[test]
    fn the_example_configuration_loads() {
        let v = read_document(Path::new(EXAMPLE_CONFIGURATION), "configuration", &LIMITS).unwrap();
        let config = config_from_value(&v).unwrap();
        assert_eq!(config.organization, "acme");
        assert_eq!(config.repository, "widgets");
        assert!(config
            .governance_rules
            .compliance_requirements
            .approval_workflows
            .is_empty());
    }

    #[test]
    fn the_example_specification_is_the_same_in_yaml_and_markdown() {
        let yaml = read_document(Path::new(EXAMPLE_SPEC_YAML), "spec", &LIMITS).unwrap();
        let markdown = read_document(Path::new(EXAMPLE_SPEC_MARKDOWN), "spec", &LIMITS).unwrap();
        let from_yaml = spec_from_value(&yaml).unwrap();
        let from_markdown = spec_from_value(&markdown).unwrap();
        assert_eq!(from_yaml, from_markdown);
        assert_eq!(from_yaml.project_scope.epic_definitions.len(), 3);
        let tasks =
            &from_yaml.project_scope.epic_definitions[0].feature_breakdown[0].task_breakdown;
        assert!(matches!(tasks[0], TaskEntry::Full(_)));
    }
}
