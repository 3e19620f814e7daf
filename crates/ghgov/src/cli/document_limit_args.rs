//! The `--max-document-*` flags that set [`DocumentLimits`], shared by `serve` and the
//! commands that read governance documents.

use crate::governance::document_limits::{DocumentLimits, DEPTH_CEILING};
use clap::Args;
use std::time::Duration;

/// The flags that set [`DocumentLimits`], for `serve` and for the commands that read
/// documents.
#[derive(Args, Clone, Debug)]
pub struct DocumentLimitArgs {
    /// Largest governance document (specification or configuration) accepted, in bytes;
    /// also the most text its YAML aliases may expand to. An API request body may be
    /// twice this (a specification and a configuration).
    #[arg(
        long,
        env = "GHGOV_MAX_DOCUMENT_BYTES",
        default_value_t = DocumentLimits::DEFAULT.max_bytes as u64,
        value_parser = clap::value_parser!(u64).range(1..),
    )]
    pub max_document_bytes: u64,
    /// Most nodes (mappings, lists, keys and values) a document may have once its YAML
    /// aliases are expanded.
    #[arg(
        long,
        env = "GHGOV_MAX_DOCUMENT_NODES",
        default_value_t = DocumentLimits::DEFAULT.max_nodes as u64,
        value_parser = clap::value_parser!(u64).range(1..),
    )]
    pub max_document_nodes: u64,
    /// Deepest nesting of lists and mappings in a document, aliases expanded (1 to 120).
    #[arg(
        long,
        env = "GHGOV_MAX_DOCUMENT_DEPTH",
        default_value_t = DocumentLimits::DEFAULT.max_depth as u64,
        value_parser = clap::value_parser!(u64).range(1..=DEPTH_CEILING as u64),
    )]
    pub max_document_depth: u64,
    /// Milliseconds reading one document may take; past it the document is refused (the
    /// API answers 422 and stays responsive meanwhile).
    #[arg(
        long,
        env = "GHGOV_DOCUMENT_PARSE_TIMEOUT_MS",
        default_value_t = DocumentLimits::DEFAULT.parse_timeout.as_millis() as u64,
        value_parser = clap::value_parser!(u64).range(1..),
    )]
    pub document_parse_timeout_ms: u64,
}

impl DocumentLimitArgs {
    pub fn limits(&self) -> DocumentLimits {
        let size = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        DocumentLimits {
            max_bytes: size(self.max_document_bytes),
            max_nodes: size(self.max_document_nodes),
            max_depth: size(self.max_document_depth),
            parse_timeout: Duration::from_millis(self.document_parse_timeout_ms),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    const DEFAULT: DocumentLimits = DocumentLimits::DEFAULT;

    #[test]
    fn the_flags_set_the_limits() {
        #[derive(clap::Parser)]
        struct Command {
            #[command(flatten)]
            limits: DocumentLimitArgs,
        }
        let parse = |args: &[&str]| {
            let mut all = vec!["ghgov"];
            all.extend(args);
            <Command as clap::Parser>::try_parse_from(all).map(|c| c.limits.limits())
        };
        assert_eq!(parse(&[]).unwrap(), DEFAULT);
        let limits = parse(&[
            "--max-document-bytes",
            "100",
            "--max-document-nodes",
            "200",
            "--max-document-depth",
            "7",
            "--document-parse-timeout-ms",
            "300",
        ])
        .unwrap();
        assert_eq!(
            limits,
            DocumentLimits {
                max_bytes: 100,
                max_nodes: 200,
                max_depth: 7,
                parse_timeout: Duration::from_millis(300)
            }
        );
        assert!(parse(&["--max-document-depth", "121"]).is_err());
        assert!(parse(&["--max-document-nodes", "0"]).is_err());
    }
}
