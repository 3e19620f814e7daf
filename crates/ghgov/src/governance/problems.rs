//! What validation, generation and planning report: every problem at once, each with the
//! path of the offending field, what is wrong, and how to fix it.

use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// Which input document a problem is in.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Document {
    Spec,
    Config,
}

/// One problem of a document: where, what, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Problem {
    pub severity: Severity,
    pub document: Document,
    /// A path into the document: `project_scope.epic_definitions[1].feature_breakdown[8]`,
    /// `agent_service_mappings["agent:dev"].capabilities`. Empty for the whole document.
    pub path: String,
    /// Machine-readable kind, stable across releases (`max_features_per_epic`, `schema`…).
    pub code: String,
    pub message: String,
    pub hint: String,
}

impl Problem {
    pub fn error(
        document: Document,
        path: impl Into<String>,
        code: &str,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Problem {
        Problem {
            severity: Severity::Error,
            document,
            path: path.into(),
            code: code.into(),
            message: message.into(),
            hint: hint.into(),
        }
    }

    pub fn warning(
        document: Document,
        path: impl Into<String>,
        code: &str,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Problem {
        Problem {
            severity: Severity::Warning,
            ..Problem::error(document, path, code, message, hint)
        }
    }

    /// One problem as the command line shows it:
    /// `error: spec: project_scope.epic_definitions[1]: message` and an indented hint.
    pub fn render(&self) -> String {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let doc = match self.document {
            Document::Spec => "spec",
            Document::Config => "config",
        };
        let at = if self.path.is_empty() {
            String::new()
        } else {
            format!(" {}", self.path)
        };
        let mut s = format!("{severity}: {doc}{at}: {}", self.message);
        if !self.hint.is_empty() {
            s.push_str(&format!("\n  hint: {}", self.hint));
        }
        s
    }
}

/// All problems of a run; `--strict` turns warnings into errors.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub problems: Vec<Problem>,
}

impl Report {
    pub fn push(&mut self, p: Problem) {
        self.problems.push(p);
    }
    pub fn extend(&mut self, other: Report) {
        self.problems.extend(other.problems);
    }
    pub fn errors(&self) -> usize {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .count()
    }
    pub fn warnings(&self) -> usize {
        self.problems.len() - self.errors()
    }
    /// Under `--strict` every warning counts as an error.
    pub fn strict(mut self, strict: bool) -> Report {
        if strict {
            for p in &mut self.problems {
                p.severity = Severity::Error;
            }
        }
        self
    }
    pub fn ok(&self) -> bool {
        self.errors() == 0
    }
    /// Every problem, errors first, then a summary line.
    pub fn render(&self) -> String {
        let mut sorted: Vec<&Problem> = self.problems.iter().collect();
        sorted.sort_by_key(|p| p.severity);
        let mut out = String::new();
        for p in sorted {
            out.push_str(&p.render());
            out.push('\n');
        }
        out.push_str(&format!(
            "{} error{}, {} warning{}\n",
            self.errors(),
            if self.errors() == 1 { "" } else { "s" },
            self.warnings(),
            if self.warnings() == 1 { "" } else { "s" }
        ));
        out
    }
}

/// `a.b[2].c` paths, built one step at a time.
pub fn field(parent: &str, name: &str) -> String {
    let simple = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    match (parent.is_empty(), simple) {
        (true, true) => name.to_string(),
        (false, true) => format!("{parent}.{name}"),
        (_, false) => format!("{parent}[{name:?}]"),
    }
}

pub fn index(parent: &str, i: usize) -> String {
    format!("{parent}[{i}]")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_like_the_document() {
        let p = index(&field(&field("", "project_scope"), "epic_definitions"), 1);
        assert_eq!(p, "project_scope.epic_definitions[1]");
        assert_eq!(
            field("agent_service_mappings", "agent:dev"),
            "agent_service_mappings[\"agent:dev\"]"
        );
    }

    #[test]
    fn strict_turns_warnings_into_errors() {
        let mut r = Report::default();
        r.push(Problem::warning(Document::Spec, "x", "c", "m", "h"));
        assert!(r.ok());
        assert!(!r.clone().strict(true).ok());
        assert_eq!(
            r.render(),
            "warning: spec x: m\n  hint: h\n0 errors, 1 warning\n"
        );
    }
}
