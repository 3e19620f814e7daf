//! Measures what a document would cost before it is turned into values, and stops at the
//! first limit it crosses (see `document_limits.rs`).
//!
//! YAML is read as a stream of parser events: an alias counts as a copy of the node it
//! names (its nodes, its text, its depth), which is what expanding it would build, without
//! building it. The stream stops at the first limit crossed, so nesting beyond the depth
//! limit is never scanned (the YAML parser's cost grows with depth at every token).
//! granit-parser reads YAML as libyaml (under serde_norway) does, indentation leniencies
//! included, so that a document it measures is the document serde_norway then builds; a
//! document it cannot read is refused with its message, and never reaches libyaml
//! unmeasured.
//! JSON has no aliases; a pass over its bytes counts its nodes and depth.

use super::document_limits::{DocumentLimits, Limit, LimitExceeded};
use granit_parser::{ErrorKind, Event, Parser};
use std::collections::HashMap;

/// What a document would cost, once read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cost {
    /// Nodes once aliases are expanded.
    pub nodes: u64,
    /// Bytes of text (scalars) once aliases are expanded.
    pub text_bytes: u64,
    /// Deepest nesting of lists and mappings, aliases expanded.
    pub depth: usize,
}

/// Why a document was not measured to the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Limit(LimitExceeded),
    /// The YAML is malformed; line is 1-based, column 1-based.
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
}

/// The size check every format starts with.
pub fn size(text: &str, limits: &DocumentLimits) -> Result<(), LimitExceeded> {
    if text.len() > limits.max_bytes {
        return Err(LimitExceeded::new(Limit::Bytes, limits));
    }
    Ok(())
}

/// Measures a YAML text against `limits`. Lines in errors are the text's own.
pub fn yaml(text: &str, limits: &DocumentLimits) -> Result<Cost, Refusal> {
    size(text, limits).map_err(Refusal::Limit)?;
    let mut meter = Meter::new(limits);
    // What each anchored node (by the parser's anchor id) costs when an alias repeats it.
    let mut anchors: HashMap<usize, Cost> = HashMap::new();
    let mut open: Vec<Open> = Vec::new();
    for item in Parser::new_from_str(text) {
        let (event, span) = item.map_err(|e| {
            // The scanner reads ahead of the events (a `[` may start a key), and stops by
            // itself past 255 open collections: deeper than any depth limit allows.
            if *e.kind() == ErrorKind::RecursionLimitExceeded {
                let exceeded = LimitExceeded::new(Limit::Depth, limits);
                return Refusal::Limit(exceeded.at_line(e.marker().line()));
            }
            Refusal::Syntax {
                line: e.marker().line(),
                column: e.marker().col() + 1,
                message: e.kind().to_string(),
            }
        })?;
        let line = span.start.line();
        match event {
            Event::Scalar(value, _, anchor, _) => {
                let cost = Cost {
                    nodes: 1,
                    text_bytes: value.len() as u64,
                    depth: 0,
                };
                meter.add(&mut open, cost, line)?;
                if anchor > 0 {
                    anchors.insert(anchor, cost);
                }
            }
            Event::SequenceStart(_, anchor, _) | Event::MappingStart(_, anchor, _) => {
                let before = meter.total;
                meter.add(
                    &mut open,
                    Cost {
                        nodes: 1,
                        text_bytes: 0,
                        depth: 1,
                    },
                    line,
                )?;
                open.push(Open {
                    anchor,
                    before,
                    deepest: open.len() + 1,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(node) = open.pop() else { continue };
                if let Some(parent) = open.last_mut() {
                    parent.deepest = parent.deepest.max(node.deepest);
                }
                if node.anchor > 0 {
                    anchors.insert(
                        node.anchor,
                        Cost {
                            nodes: meter.total.nodes - node.before.nodes,
                            text_bytes: meter.total.text_bytes - node.before.text_bytes,
                            depth: node.deepest - open.len(),
                        },
                    );
                }
            }
            Event::Alias(anchor) => match anchors.get(&anchor) {
                Some(cost) => meter.add(&mut open, *cost, line)?,
                // The parser knows the anchor, but its node is still open: the alias is
                // inside what it names, which would expand without end.
                None => {
                    return Err(Refusal::Limit(
                        LimitExceeded::new(Limit::Depth, limits).at_line(line),
                    ))
                }
            },
            // Stream and document boundaries, and presentation-only events.
            _ => {}
        }
    }
    Ok(meter.total)
}

/// A list or mapping not closed yet.
struct Open {
    anchor: usize,
    /// The totals before it started: what it added is the difference at its end.
    before: Cost,
    /// The deepest level reached inside it, counted from the top of the document.
    deepest: usize,
}

struct Meter<'l> {
    limits: &'l DocumentLimits,
    total: Cost,
}

impl<'l> Meter<'l> {
    fn new(limits: &'l DocumentLimits) -> Meter<'l> {
        Meter {
            limits,
            total: Cost::default(),
        }
    }

    /// Adds a node (or an alias's copy of one) inside the collections in `open`.
    fn add(&mut self, open: &mut [Open], cost: Cost, line: usize) -> Result<(), Refusal> {
        let depth = open.len() + cost.depth;
        let exceeded = |limit| Refusal::Limit(LimitExceeded::new(limit, self.limits).at_line(line));
        if depth > self.limits.max_depth {
            return Err(exceeded(Limit::Depth));
        }
        self.total.nodes += cost.nodes;
        if self.total.nodes > self.limits.max_nodes as u64 {
            return Err(exceeded(Limit::Nodes));
        }
        self.total.text_bytes += cost.text_bytes;
        if self.total.text_bytes > self.limits.max_bytes as u64 {
            return Err(exceeded(Limit::ExpandedBytes));
        }
        self.total.depth = self.total.depth.max(depth);
        if let Some(parent) = open.last_mut() {
            parent.deepest = parent.deepest.max(depth);
        }
        Ok(())
    }
}

/// Measures a JSON text against `limits`. Malformed JSON is measured as far as it goes
/// and left for the JSON parser to report.
pub fn json(text: &str, limits: &DocumentLimits) -> Result<Cost, LimitExceeded> {
    size(text, limits)?;
    let exceeded = |limit, line| LimitExceeded::new(limit, limits).at_line(line);
    let mut cost = Cost::default();
    let mut depth = 0usize;
    let mut line = 1;
    let mut bytes = text.bytes().peekable();
    while let Some(b) = bytes.next() {
        match b {
            b'\n' => line += 1,
            b' ' | b'\t' | b'\r' | b',' | b':' => continue,
            b']' | b'}' => {
                depth = depth.saturating_sub(1);
                continue;
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > limits.max_depth {
                    return Err(exceeded(Limit::Depth, line));
                }
                cost.depth = cost.depth.max(depth);
            }
            b'"' => {
                let mut escaped = false;
                for b in bytes.by_ref() {
                    match (escaped, b) {
                        (false, b'\\') => escaped = true,
                        (false, b'"') => break,
                        _ => escaped = false,
                    }
                }
            }
            // A number, true, false or null: one node however long.
            _ => {
                while bytes
                    .next_if(|b| b.is_ascii_alphanumeric() || b"+-.".contains(b))
                    .is_some()
                {}
            }
        }
        cost.nodes += 1;
        if cost.nodes > limits.max_nodes as u64 {
            return Err(exceeded(Limit::Nodes, line));
        }
    }
    cost.text_bytes = text.len() as u64;
    Ok(cost)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max_bytes: usize, max_nodes: usize, max_depth: usize) -> DocumentLimits {
        DocumentLimits {
            max_bytes,
            max_nodes,
            max_depth,
            ..DocumentLimits::DEFAULT
        }
    }

    fn limit_of(r: Result<Cost, Refusal>) -> (Limit, Option<usize>) {
        match r {
            Err(Refusal::Limit(e)) => (e.limit, e.line),
            other => panic!("expected a limit, got {other:?}"),
        }
    }

    #[test]
    fn aliases_count_as_copies_of_what_they_name() {
        let text = "a: &a [x, y]\nb: [*a, *a]\n";
        // Mapping 1, keys a and b 2, list a 3, list b 1, two copies 3 each.
        let cost = yaml(text, &DocumentLimits::DEFAULT).unwrap();
        assert_eq!(cost.nodes, 1 + 2 + 3 + 1 + 6);
        assert_eq!(cost.text_bytes, 2 + 2 + 2 * 2);
        assert_eq!(cost.depth, 3);
        // Nested anchors: each level doubles. [x] is 2 nodes, b 1 + 2 × 2, c 1 + 2 × 5.
        let text = "a: &a [x]\nb: &b [*a, *a]\nc: &c [*b, *b]\n";
        let cost = yaml(text, &DocumentLimits::DEFAULT).unwrap();
        assert_eq!(cost.nodes, 1 + (1 + 2) + (1 + 5) + (1 + 11));
    }

    #[test]
    fn alias_depth_adds_to_where_the_alias_is() {
        let text = "a: &a [[x]]\nb: [[*a]]\n";
        assert_eq!(yaml(text, &DocumentLimits::DEFAULT).unwrap().depth, 5);
        assert!(yaml(text, &limits(1000, 1000, 5)).is_ok());
        assert_eq!(
            limit_of(yaml(text, &limits(1000, 1000, 4))),
            (Limit::Depth, Some(2))
        );
    }

    #[test]
    fn each_cap_is_inclusive() {
        let text = "[a, b, c]";
        assert!(yaml(text, &limits(9, 4, 1)).is_ok());
        assert_eq!(limit_of(yaml(text, &limits(8, 4, 1))).0, Limit::Bytes);
        assert_eq!(limit_of(yaml(text, &limits(9, 3, 1))).0, Limit::Nodes);
        assert_eq!(limit_of(yaml(text, &limits(9, 4, 0))).0, Limit::Depth);
        let json_text = r#"{"a": [1, true, "x,]"]}"#;
        let cost = json(json_text, &DocumentLimits::DEFAULT).unwrap();
        assert_eq!((cost.nodes, cost.depth), (6, 2));
        assert!(json(json_text, &limits(100, 6, 2)).is_ok());
        assert_eq!(
            json(json_text, &limits(100, 5, 2)).unwrap_err().limit,
            Limit::Nodes
        );
        assert_eq!(
            json(json_text, &limits(100, 6, 1)).unwrap_err().limit,
            Limit::Depth
        );
    }

    #[test]
    fn expanded_text_is_bounded_by_the_byte_limit() {
        let big = "x".repeat(100);
        let text = format!("a: &a {big}\nb: [*a, *a, *a]\n");
        assert!(yaml(&text, &limits(1000, 1000, 10)).is_ok());
        assert_eq!(
            limit_of(yaml(&text, &limits(300, 1000, 10))),
            (Limit::ExpandedBytes, Some(2))
        );
    }

    #[test]
    fn an_alias_inside_what_it_names_is_refused() {
        assert_eq!(
            limit_of(yaml("a: &a [1, *a]\n", &DocumentLimits::DEFAULT)),
            (Limit::Depth, Some(1))
        );
    }

    #[test]
    fn syntax_errors_say_where() {
        let e = yaml("a: 1\n  b: c: d\n", &DocumentLimits::DEFAULT).unwrap_err();
        let Refusal::Syntax {
            line,
            column,
            message,
        } = e
        else {
            panic!("{e:?}")
        };
        assert_eq!((line, column), (2, 4));
        assert!(
            message.contains("mapping values are not allowed"),
            "{message}"
        );
    }

    #[test]
    fn yaml_that_libyaml_reads_is_measured_not_refused() {
        // Leniencies of libyaml, which serde_norway builds the document with: a stricter
        // measure would refuse documents that were always accepted.
        for text in [
            "a:\tb\n",
            "top:\n  key: [a,\n  b]\n",
            "top:\n  description: \"long text\n  continued\"\n",
            "key: [\n  a,\n]\n",
            "a: 1\r\nb: [x, y]\r\n",
        ] {
            assert!(yaml(text, &DocumentLimits::DEFAULT).is_ok(), "{text:?}");
            assert!(
                serde_norway::from_str::<serde_norway::Value>(text).is_ok(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn json_strings_hide_their_brackets() {
        let text = r#"["[[[[", "\"[[", {"k\\": "]]"}]"#;
        let cost = json(text, &limits(1000, 1000, 2)).unwrap();
        assert_eq!((cost.nodes, cost.depth), (6, 2));
    }
}
