//! Reconcile: on start and periodically, an incremental sync repairs whatever webhooks
//! missed. It also compares issue and comment counts with GitHub's (one request each) and,
//! when they differ, a full listing finds what was deleted while a webhook was lost.

use super::scope::RepoScope;
use super::sync::{SyncKind, SyncReport, Syncer};
use super::RepoName;
use std::sync::Arc;
use std::time::Duration;

pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(15 * 60);

pub async fn reconcile(syncer: &Syncer, repo: &RepoName) -> anyhow::Result<SyncReport> {
    let mut report = syncer.sync(repo, SyncKind::Incremental).await?;
    let full = repo.full();
    let (local_issues, local_comments) = syncer.store.resource_reads().counts(&repo.key()).await?;
    let remote_issues = syncer.gh.issue_total(repo).await?;
    let remote_comments = syncer.gh.comment_total(repo).await?;
    if local_issues != remote_issues || local_comments != remote_comments {
        tracing::info!(repository = %full, local_issues, remote_issues, local_comments, remote_comments, "counts differ: full sync");
        report = syncer.sync(repo, SyncKind::Full).await?;
    }
    Ok(report)
}

/// Reconciles every mirrored repository (see `RepoScope::to_reconcile`) now and then every
/// `interval`, until the process stops.
pub async fn run(syncer: Syncer, scope: Arc<RepoScope>, interval: Duration) {
    loop {
        match scope.to_reconcile(&syncer.store).await {
            Ok(repos) => {
                for repo in &repos {
                    match reconcile(&syncer, repo).await {
                        Ok(r) => tracing::info!("reconcile: {}", r.summary()),
                        Err(e) => tracing::warn!(repository = %repo, "reconcile failed: {e:#}"),
                    }
                }
            }
            Err(e) => tracing::warn!("reconcile: cannot list the repositories: {e:#}"),
        }
        tokio::time::sleep(interval).await;
    }
}
