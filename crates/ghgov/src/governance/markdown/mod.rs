//! The Markdown form of a project specification (SPEC-FORMATS.md §2), parsed into the same
//! `ProjectSpec` the YAML form gives.
//!
//! ```markdown
//! ---
//! organization: acme                      # front matter: the top-level fields
//! repository: widgets
//! ---
//! # Epic: Infrastructure Foundation {#infrastructure-foundation}
//! category: infrastructure · priority: critical · depends_on: other-epic
//!
//! Description paragraphs.
//!
//! ## Success criteria                     # a section: one string per bullet
//! - Monitoring coverage > 95%
//!
//! ## Feature: Monitoring {#monitoring-platform}
//! agent: agent:orchestrator · effort: 2-3 weeks
//!
//! - [ ] Set up Prometheus (complexity: medium) {#setup_prometheus}
//!
//! ### Acceptance criteria
//! - Dashboards cover every service
//! ```
//!
//! Parsing happens in two passes: pulldown-cmark's events become a flat list of top-level
//! blocks with line numbers, then the blocks are read in order against the heading outline
//! (which epic or feature, and which section, the text is in). Nothing is skipped silently:
//! text the format has no place for is an error with its line and a hint.
//!
//! The passes live in `blocks` (pass 1) and `builder` (pass 2); `front_matter` reads the
//! YAML at the top and `metadata` the `name: value` lines and task lines.

mod blocks;
mod builder;
mod front_matter;
mod metadata;

#[cfg(test)]
mod tests;

pub use builder::slug;

use super::document_limits::{DocumentLimits, LimitExceeded};
use super::spec::ProjectSpec;
use blocks::{blocks, Block, BlockKind};
use builder::SpecBuilder;
use front_matter::parse_front_matter;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message} (hint: {hint})")]
pub struct MarkdownError {
    /// 1-based line of the document.
    pub line: usize,
    pub message: String,
    pub hint: String,
    /// Set when the front matter went past one of the document limits.
    pub limit: Option<LimitExceeded>,
}

fn error(line: usize, message: impl Into<String>, hint: impl Into<String>) -> MarkdownError {
    MarkdownError {
        line,
        message: message.into(),
        hint: hint.into(),
        limit: None,
    }
}

/// The specification in `text`. Its front matter is YAML, and is held to `limits`.
pub fn parse_markdown(text: &str, limits: &DocumentLimits) -> Result<ProjectSpec, MarkdownError> {
    let mut blocks = blocks(text)?.into_iter();
    let front_matter = match blocks.next() {
        Some(Block {
            kind: BlockKind::FrontMatter { yaml, first_line },
            ..
        }) => parse_front_matter(&yaml, first_line, limits)?,
        _ => {
            return Err(error(
                1,
                "the document has no front matter",
                "start it with a `---` line, `organization: …` and `repository: …` lines, \
                 and another `---` line",
            ))
        }
    };
    let mut builder = SpecBuilder::default();
    for block in blocks {
        builder.add(block)?;
    }
    Ok(builder.finish(front_matter))
}
