//! What the governance commands read: the documents (files, else the stored
//! configuration) and the GitHub client; and how a failed check is reported.

use super::args::DocArgs;
use crate::cli::args::GitHubArgs;
use crate::github::GitHub;
use crate::governance::blocking_read::read_blocking;
use crate::governance::document_limits::DocumentLimits;
use crate::governance::engine::Documents;
use crate::governance::load::read_document;
use crate::governance::problems::Report;
use crate::store::Store;
use anyhow::anyhow;
use std::path::Path;
use std::time::Duration;

/// A failed check: the report is printed, the exit status is 1.
#[derive(Debug, thiserror::Error)]
#[error("{errors} error(s) in the specification or configuration; nothing was planned or written")]
pub struct Invalid {
    pub errors: usize,
}

/// Reads a document file off the async runtime, within `limits`.
pub(super) async fn read_file(
    path: &Path,
    what: &'static str,
    limits: DocumentLimits,
) -> anyhow::Result<serde_json::Value> {
    let label = format!("{what} file {}", path.display());
    let path = path.to_path_buf();
    read_blocking(&limits, &label, move || read_document(&path, what, &limits)).await
}

/// Reads the specification and the configuration (file, else the newest stored version).
/// The stored configuration version is returned when the configuration came from the
/// store, `None` when it came from a file.
pub(super) async fn documents(
    docs: &DocArgs,
    store: Option<&Store>,
) -> anyhow::Result<(Documents, Option<i64>)> {
    let spec_path = docs
        .spec
        .as_ref()
        .ok_or_else(|| anyhow!("--spec FILE is required: the project specification (YAML, JSON or Markdown; see examples/project-spec.yml)"))?;
    let limits = docs.limits.limits();
    let spec = read_file(spec_path, "specification", limits).await?;
    let (config, stored_version) = match &docs.config {
        Some(p) => (read_file(p, "configuration", limits).await?, None),
        None => {
            let repo = docs.repo.clone().or_else(|| {
                Some(format!(
                    "{}/{}",
                    spec["organization"].as_str()?,
                    spec["repository"].as_str()?
                ))
            });
            let stored = match (store, &repo) {
                (Some(s), Some(r)) => s.latest_config(r).await?,
                _ => None,
            };
            let stored = stored.ok_or_else(|| {
                anyhow!(
                    "no governance configuration for {}: pass --config FILE (see examples/governance.yml) or store one with PUT /api/v1/governance/config/OWNER/NAME",
                    repo.unwrap_or_else(|| "this repository".into())
                )
            })?;
            (stored.config, Some(stored.version))
        }
    };
    Ok((Documents { spec, config }, stored_version))
}

pub(super) fn print_report(report: &Report, json: bool) {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(report).unwrap_or_default()
        );
    } else {
        eprint!("{}", report.render());
    }
}

pub(super) fn github(
    args: &GitHubArgs,
    store: &Store,
    write_interval: Option<Duration>,
) -> anyhow::Result<GitHub> {
    let mut config = args.config()?;
    if let Some(w) = write_interval {
        config.write_interval = w;
    }
    GitHub::new(config, Some(store.clone()))
}
