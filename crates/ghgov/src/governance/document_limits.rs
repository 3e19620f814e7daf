//! What one governance document (a specification or a configuration) may cost to read,
//! checked before the document is expanded into values: a few kilobytes of YAML aliases
//! can otherwise stand for gigabytes, and deep nesting costs the YAML parser quadratic time.
//!
//! The limits are set once (`ghgov serve` and the governance commands share the flags in
//! `cli/document_limit_args.rs`) and apply to YAML, JSON and the front matter of Markdown
//! alike.

use std::time::Duration;

/// The costs a document may have. The defaults leave a specification of several thousand
/// issues (a few MB) far inside them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocumentLimits {
    /// Bytes of the document as written. It also bounds the text the document's YAML
    /// aliases may expand to, which a document without aliases never reaches.
    pub max_bytes: usize,
    /// Nodes (mappings, lists, keys and values) once aliases are expanded.
    pub max_nodes: usize,
    /// Lists and mappings nested in one another, aliases expanded.
    pub max_depth: usize,
    /// How long reading one document may take before it is refused.
    pub parse_timeout: Duration,
}

/// Depth beyond which the YAML and JSON parsers refuse documents themselves (at 128,
/// with messages of their own); the configurable limit stays below it.
pub const DEPTH_CEILING: usize = 120;

impl DocumentLimits {
    pub const DEFAULT: DocumentLimits = DocumentLimits {
        max_bytes: 8 * 1024 * 1024,
        max_nodes: 1_000_000,
        max_depth: 64,
        parse_timeout: Duration::from_secs(5),
    };

    /// A request body may carry two documents (a specification and a configuration),
    /// each as long as one document may be.
    pub fn max_body_bytes(&self) -> usize {
        self.max_bytes.saturating_mul(2)
    }

    /// The limit `limit` stands for, as a number (milliseconds for the deadline).
    pub fn value(&self, limit: Limit) -> u64 {
        match limit {
            Limit::Bytes | Limit::ExpandedBytes => self.max_bytes as u64,
            Limit::Nodes => self.max_nodes as u64,
            Limit::Depth => self.max_depth as u64,
            Limit::Deadline => self.parse_timeout.as_millis() as u64,
        }
    }
}

impl Default for DocumentLimits {
    fn default() -> Self {
        DocumentLimits::DEFAULT
    }
}

/// Which limit a document went past.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// The document as written.
    Bytes,
    /// The text its aliases expand to.
    ExpandedBytes,
    Nodes,
    Depth,
    Deadline,
}

impl Limit {
    /// The limit's name, as the API reports it.
    pub fn name(self) -> &'static str {
        match self {
            Limit::Bytes | Limit::ExpandedBytes => "max_document_bytes",
            Limit::Nodes => "max_document_nodes",
            Limit::Depth => "max_document_depth",
            Limit::Deadline => "document_parse_timeout_ms",
        }
    }

    pub fn flag(self) -> &'static str {
        match self {
            Limit::Bytes | Limit::ExpandedBytes => "--max-document-bytes",
            Limit::Nodes => "--max-document-nodes",
            Limit::Depth => "--max-document-depth",
            Limit::Deadline => "--document-parse-timeout-ms",
        }
    }

    pub fn env(self) -> &'static str {
        match self {
            Limit::Bytes | Limit::ExpandedBytes => "GHGOV_MAX_DOCUMENT_BYTES",
            Limit::Nodes => "GHGOV_MAX_DOCUMENT_NODES",
            Limit::Depth => "GHGOV_MAX_DOCUMENT_DEPTH",
            Limit::Deadline => "GHGOV_DOCUMENT_PARSE_TIMEOUT_MS",
        }
    }
}

/// A document refused for what it would cost. `document` names it as other errors do
/// ("spec file plans/q1.yml"); `line` is where the limit was crossed, when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitExceeded {
    pub document: String,
    pub line: Option<usize>,
    pub limit: Limit,
    /// The limit's value (bytes, nodes, levels or milliseconds).
    pub max: u64,
}

impl LimitExceeded {
    pub fn new(limit: Limit, limits: &DocumentLimits) -> LimitExceeded {
        LimitExceeded {
            document: String::new(),
            line: None,
            limit,
            max: limits.value(limit),
        }
    }

    pub fn at_line(mut self, line: usize) -> LimitExceeded {
        self.line = Some(line);
        self
    }

    pub fn of(mut self, document: &str) -> LimitExceeded {
        self.document = document.to_string();
        self
    }

    /// Whether this is about the document's size as sent (HTTP 413) rather than what it
    /// would become (422).
    pub fn is_size(&self) -> bool {
        self.limit == Limit::Bytes
    }
}

impl LimitExceeded {
    /// What went past the limit, and the hint: how to fix the document or raise the limit.
    pub fn explain(&self) -> (String, String) {
        let max = self.max;
        let (what, fix) = match self.limit {
            Limit::Bytes => (
                format!("it is larger than {max} bytes, the limit"),
                "split the document",
            ),
            Limit::ExpandedBytes => (
                format!(
                    "its aliases would expand its text to more than {max} bytes, the most a \
                     document may have"
                ),
                "write out what the aliases stand for, or use fewer of them",
            ),
            Limit::Nodes => (
                format!(
                    "with its aliases expanded it would have more than {max} nodes (mappings, \
                     lists, keys and values), the limit"
                ),
                "use fewer aliases, or split the document",
            ),
            Limit::Depth => (
                format!(
                    "lists and mappings nest more than {max} levels deep here (aliases \
                     expanded), the limit"
                ),
                "flatten the nesting",
            ),
            Limit::Deadline => (
                format!("reading it took longer than {max} ms, the limit"),
                "make the document smaller or simpler",
            ),
        };
        let hint = format!(
            "{fix}; if the document is genuine, raise the limit with {} or {}",
            self.limit.flag(),
            self.limit.env()
        );
        (what, hint)
    }
}

impl std::fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (what, hint) = self.explain();
        write!(f, "{}: ", self.document)?;
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        write!(f, "{what} (hint: {hint})")
    }
}

impl std::error::Error for LimitExceeded {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::governance::load::{parse_document, spec_from_value, Format};
    use crate::governance::prescan;

    const DEFAULT: DocumentLimits = DocumentLimits::DEFAULT;

    /// The limit `text` (in `format`) went past, with DEFAULT limits unless given.
    fn refused(text: &str, format: Format, limits: &DocumentLimits) -> LimitExceeded {
        let e = parse_document(text, format, "spec", limits).expect_err("refused");
        e.downcast_ref::<LimitExceeded>()
            .unwrap_or_else(|| panic!("not a limit: {e:#}"))
            .clone()
    }

    /// "Billion laughs": each level a list of nine aliases of the level before.
    fn nested_bomb(levels: usize) -> String {
        let mut text = String::from("organization: acme\nrepository: widgets\nl0: &l0 [lol]\n");
        for i in 1..levels {
            let aliases = vec![format!("*l{}", i - 1); 9].join(", ");
            text.push_str(&format!("l{i}: &l{i} [{aliases}]\n"));
        }
        text
    }

    /// One anchor of many values, aliased many times: about `bytes` long.
    fn wide_bomb(bytes: usize) -> String {
        let head = format!(
            "organization: acme\nrepository: widgets\na: &a [{}]\n",
            vec!["x"; 1500].join(",")
        );
        let aliases = vec!["*a"; (bytes - head.len() - 8) / 3].join(",");
        format!("{head}b: [{aliases}]\n")
    }

    #[test]
    fn alias_bombs_are_refused_naming_the_limit() {
        let e = refused(&nested_bomb(12), Format::Yaml, &DEFAULT);
        assert_eq!((e.limit, e.max), (Limit::Nodes, 1_000_000));
        // Level i has 1 + 9 × (nodes of level i - 1) nodes, from 2: level 6 (line 9) is
        // the first past a million.
        assert_eq!(e.line, Some(9));
        let message = e.to_string();
        assert!(
            message.starts_with(
                "spec: line 9: with its aliases expanded it would have more than 1000000 nodes"
            ),
            "{message}"
        );
        assert!(
            message.contains("--max-document-nodes or GHGOV_MAX_DOCUMENT_NODES"),
            "{message}"
        );

        let bomb = wide_bomb(10_000);
        assert!(bomb.len() <= 10_000);
        assert_eq!(refused(&bomb, Format::Yaml, &DEFAULT).limit, Limit::Nodes);

        // The same in the front matter of a Markdown specification, lines counted from
        // the top of the document.
        let markdown = format!("---\n{}---\n# Epic: A\n", nested_bomb(12));
        let e = refused(&markdown, Format::Markdown, &DEFAULT);
        assert_eq!((e.limit, e.line), (Limit::Nodes, Some(10)));

        // A large text repeated is as costly as many nodes.
        let text = format!(
            "a: &a {}\nb: [{}]\n",
            "y".repeat(100_000),
            vec!["*a"; 100].join(",")
        );
        assert_eq!(
            refused(&text, Format::Yaml, &DEFAULT).limit,
            Limit::ExpandedBytes
        );
    }

    #[test]
    fn deep_nesting_is_refused_naming_the_limit() {
        let flow = format!(
            "organization: acme\nx: {}{}\n",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let e = refused(&flow, Format::Yaml, &DEFAULT);
        assert_eq!((e.limit, e.max, e.line), (Limit::Depth, 64, Some(2)));
        assert!(e.to_string().contains("--max-document-depth"), "{e}");

        let block: String = (0..100)
            .map(|i| format!("{}k{i}:\n", "  ".repeat(i)))
            .collect();
        assert_eq!(refused(&block, Format::Yaml, &DEFAULT).limit, Limit::Depth);

        let json = format!("{{\"x\": {}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(refused(&json, Format::Json, &DEFAULT).limit, Limit::Depth);

        let markdown = format!(
            "---\norganization: acme\nrepository: w\nx: {}{}\n---\n# Epic: A\n",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let e = refused(&markdown, Format::Markdown, &DEFAULT);
        assert_eq!((e.limit, e.line), (Limit::Depth, Some(4)));

        // Aliases carry their depth to where they are used.
        let limits = DocumentLimits {
            max_depth: 3,
            ..DEFAULT
        };
        let aliased = "a: &a [[x]]\nb: [*a]\n";
        assert!(parse_document("a: &a [[x]]\nb: *a\n", Format::Yaml, "t", &limits).is_ok());
        assert_eq!(refused(aliased, Format::Yaml, &limits).limit, Limit::Depth);
    }

    #[test]
    fn documents_at_each_limit_are_accepted_and_one_more_is_refused() {
        // Nodes: a mapping, and n keys with n values.
        let nodes = |n: usize| (0..n).map(|i| format!("k{i}: v\n")).collect::<String>();
        let limits = DocumentLimits {
            max_nodes: 1 + 2 * 50,
            ..DEFAULT
        };
        assert!(parse_document(&nodes(50), Format::Yaml, "t", &limits).is_ok());
        assert_eq!(
            refused(&nodes(51), Format::Yaml, &limits).limit,
            Limit::Nodes
        );
        let json = |n: usize| {
            format!(
                "{{{}}}",
                (0..n)
                    .map(|i| format!("\"k{i}\": 1"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        assert!(parse_document(&json(50), Format::Json, "t", &limits).is_ok());
        assert_eq!(
            refused(&json(51), Format::Json, &limits).limit,
            Limit::Nodes
        );

        // Depth: a mapping holding lists nested n deep.
        let deep = |n: usize| format!("a: {}x{}\n", "[".repeat(n), "]".repeat(n));
        let limits = DocumentLimits {
            max_depth: 10,
            ..DEFAULT
        };
        assert!(parse_document(&deep(9), Format::Yaml, "t", &limits).is_ok());
        assert_eq!(
            refused(&deep(10), Format::Yaml, &limits).limit,
            Limit::Depth
        );
        let deep_json = |n: usize| format!("{{\"a\": {}1{}}}", "[".repeat(n), "]".repeat(n));
        assert!(parse_document(&deep_json(9), Format::Json, "t", &limits).is_ok());
        assert_eq!(
            refused(&deep_json(10), Format::Json, &limits).limit,
            Limit::Depth
        );
        // The ceiling the flags allow is still within what the parsers themselves take.
        let limits = DocumentLimits {
            max_depth: DEPTH_CEILING,
            ..DEFAULT
        };
        assert!(parse_document(&deep(DEPTH_CEILING - 1), Format::Yaml, "t", &limits).is_ok());
        assert!(parse_document(&deep_json(DEPTH_CEILING - 1), Format::Json, "t", &limits).is_ok());

        // Bytes as written.
        let text = "a: [x, y]\n";
        let limits = DocumentLimits {
            max_bytes: text.len(),
            ..DEFAULT
        };
        assert!(parse_document(text, Format::Yaml, "t", &limits).is_ok());
        let limits = DocumentLimits {
            max_bytes: text.len() - 1,
            ..DEFAULT
        };
        let e = refused(text, Format::Yaml, &limits);
        assert_eq!((e.limit, e.line), (Limit::Bytes, None));
        assert!(
            e.to_string().starts_with("spec: it is larger than 9 bytes"),
            "{e}"
        );
        // The text aliases expand to, which the same limit bounds: keys a and b, and
        // four times ten x, 42 bytes from a document of 33.
        let text = "a: &a xxxxxxxxxx\nb: [*a, *a, *a]\n";
        let limits = DocumentLimits {
            max_bytes: 42,
            ..DEFAULT
        };
        assert!(parse_document(text, Format::Yaml, "t", &limits).is_ok());
        let limits = DocumentLimits {
            max_bytes: 41,
            ..DEFAULT
        };
        assert_eq!(
            refused(text, Format::Yaml, &limits).limit,
            Limit::ExpandedBytes
        );
    }

    #[test]
    fn the_examples_are_far_inside_the_defaults() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples");
        for name in ["governance.yml", "project-spec.yml"] {
            let text = std::fs::read_to_string(format!("{dir}/{name}")).unwrap();
            let cost = prescan::yaml(&text, &DEFAULT).unwrap();
            assert!(
                text.len() * 100 < DEFAULT.max_bytes,
                "{name}: {} bytes",
                text.len()
            );
            assert!(
                cost.nodes * 100 < DEFAULT.max_nodes as u64,
                "{name}: {cost:?}"
            );
            assert!(cost.depth * 4 < DEFAULT.max_depth, "{name}: {cost:?}");
        }
        let markdown = std::fs::read_to_string(format!("{dir}/project-spec.md")).unwrap();
        assert!(parse_document(&markdown, Format::Markdown, "t", &DEFAULT).is_ok());
    }

    /// `epics` × 8 features × 20 tasks, written as people write specifications.
    fn large_specification(epics: usize) -> String {
        let mut s = String::from(
            "organization: acme\nrepository: widgets\nproject_scope:\n  epic_definitions:\n",
        );
        for e in 0..epics {
            s += &format!("    - epic_key: epic-{e}\n      epic_title: Epic {e}\n      epic_description: Build part {e} of the platform every service runs on.\n      priority: high\n      feature_breakdown:\n");
            for f in 0..8 {
                s += &format!("        - feature_key: feature-{e}-{f}\n          feature_title: Feature {f} of epic {e}\n          estimated_effort: 2-3 weeks\n          acceptance_criteria:\n            - Every service exports request rate, error rate and latency\n          task_breakdown:\n");
                for t in 0..20 {
                    s += &format!("            - task_key: task_{e}_{f}_{t}\n              title: Task {t} of feature {f} in epic {e}\n              complexity: medium\n              description: Set up this part of the monitoring and document how to run it.\n");
                }
            }
        }
        s
    }

    #[test]
    fn a_specification_of_thousands_of_issues_passes() {
        // 25 × (1 + 8 × 21) = 4225 issues in about 0.9 MB.
        let text = large_specification(25);
        assert!(text.len() > 850_000, "{}", text.len());
        let cost = prescan::yaml(&text, &DEFAULT).unwrap();
        assert!(cost.nodes * 10 < DEFAULT.max_nodes as u64, "{cost:?}");
        let spec =
            spec_from_value(&parse_document(&text, Format::Yaml, "t", &DEFAULT).unwrap()).unwrap();
        assert_eq!(spec.project_scope.epic_definitions.len(), 25);
    }
}
