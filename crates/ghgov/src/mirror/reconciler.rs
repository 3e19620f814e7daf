//! Reconcile: on start and periodically, an incremental sync repairs whatever webhooks
//! missed. It also compares issue and comment counts with GitHub's (one request each) and,
//! when they differ, a full listing finds what was deleted while a webhook was lost.

use super::scope::RepoScope;
use super::sync::{SyncKind, SyncReport, Syncer};
use super::RepoName;
use std::sync::Arc;
use std::time::Duration;

pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(15 * 60);

/// Total items of a GitHub list, from the `last` page of a one-per-page request.
async fn remote_total(syncer: &Syncer, path: &str) -> anyhow::Result<i64> {
    let page = syncer.gh.get_page(path).await?;
    Ok(match page.last_page {
        Some(n) => n as i64,
        None => page.body.as_array().map_or(0, |a| a.len() as i64),
    })
}

pub async fn reconcile(syncer: &Syncer, repo: &RepoName) -> anyhow::Result<SyncReport> {
    let mut report = syncer.sync(repo, SyncKind::Incremental).await?;
    let full = repo.full();
    let lc = repo.key();
    let (local_issues, local_comments) = syncer.store.resource_reads().counts(&lc).await?;
    let remote_issues = remote_total(
        syncer,
        &format!("/repos/{full}/issues?state=all&per_page=1"),
    )
    .await?;
    let remote_comments =
        remote_total(syncer, &format!("/repos/{full}/issues/comments?per_page=1")).await?;
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
