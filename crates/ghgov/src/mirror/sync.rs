//! Sync from GitHub, full or incremental. Every page is committed in one transaction
//! together with the cursor that says where to resume, so a sync killed at any point picks
//! up at its last committed page and writes nothing twice.

use super::projector::{self, Seen};
use super::RepoName;
use crate::github::types::{Comment, Issue, Label, Milestone, Repository};
use crate::github::{Fetched, GitHub, Page};
use crate::store::{save_cursor, Store, SyncCursor, SyncStatus};
use anyhow::Context;
use serde::Serialize;
use serde_json::Value;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

/// How far back an incremental sync looks before its cursor (clock skew, same-second edits).
const OVERLAP_SECONDS: i64 = 60;
const EPOCH: &str = "1970-01-01T00:00:00Z";
/// Marks a full listing as complete in its `_full` cursor until the whole sync completes.
const LISTED: &str = "listed";

/// Issues written by one sync from which the planner's statistics are refreshed after it.
const BULK_ROWS: u64 = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SyncKind {
    Full,
    Incremental,
}

impl SyncKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SyncKind::Full => "full",
            SyncKind::Incremental => "incremental",
        }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct SyncReport {
    pub repository: String,
    pub sync_type: String,
    pub operation_id: i64,
    pub issues: u64,
    pub comments: u64,
    pub labels: u64,
    pub milestones: u64,
    pub sub_issue_parents: u64,
    pub dependency_issues: u64,
    pub removed: u64,
    pub requests: u64,
    pub not_modified: u64,
    pub seconds: f64,
}

impl SyncReport {
    pub fn summary(&self) -> String {
        format!(
            "synced {} ({}): {} issues, {} comments, {} labels, {} milestones, {} sub-issue lists, {} dependency lists, {} removed; {} requests ({} not modified) in {:.2}s",
            self.repository,
            self.sync_type,
            self.issues,
            self.comments,
            self.labels,
            self.milestones,
            self.sub_issue_parents,
            self.dependency_issues,
            self.removed,
            self.requests,
            self.not_modified,
            self.seconds
        )
    }
}

/// Reports progress of long syncs (a progress bar on a terminal).
pub trait Progress: Send + Sync {
    fn page(&self, resource: &str, done: u64, total_pages: Option<u64>);
}

pub struct NoProgress;
impl Progress for NoProgress {
    fn page(&self, _: &str, _: u64, _: Option<u64>) {}
}

/// The two lists a sync pages through with cursors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Paged {
    Issues,
    Comments,
}

impl Paged {
    /// Also the name of its incremental cursor.
    fn name(self) -> &'static str {
        match self {
            Paged::Issues => "issues",
            Paged::Comments => "comments",
        }
    }
    fn full_resource(self) -> &'static str {
        match self {
            Paged::Issues => "issues_full",
            Paged::Comments => "comments_full",
        }
    }
    fn full_url(self, full: &str) -> String {
        match self {
            Paged::Issues => {
                format!("/repos/{full}/issues?state=all&sort=created&direction=asc&per_page=100")
            }
            Paged::Comments => format!("/repos/{full}/issues/comments?per_page=100"),
        }
    }
    fn since_url(self, full: &str, since: &str) -> String {
        match self {
            Paged::Issues => format!("/repos/{full}/issues?state=all&sort=updated&direction=desc&per_page=100&since={since}"),
            Paged::Comments => format!("/repos/{full}/issues/comments?sort=updated&direction=desc&per_page=100&since={since}"),
        }
    }
}

/// What a full listing saw.
struct Listing {
    count: u64,
    generation: i64,
    newest: Option<String>,
}

pub struct Syncer {
    pub store: Store,
    pub gh: Arc<GitHub>,
    pub progress: Box<dyn Progress>,
}

fn repo_lock(db: &str, repo: &RepoName) -> Arc<tokio::sync::Mutex<()>> {
    static LOCKS: std::sync::OnceLock<
        parking_lot::Mutex<std::collections::HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    > = std::sync::OnceLock::new();
    let key = format!("{db} {}", repo.key());
    LOCKS
        .get_or_init(Default::default)
        .lock()
        .entry(key)
        .or_default()
        .clone()
}

fn list<T: serde::de::DeserializeOwned>(body: Value, what: &str) -> anyhow::Result<Vec<T>> {
    serde_json::from_value(body)
        .with_context(|| format!("GitHub sent a {what} list ghgov cannot read"))
}

impl Syncer {
    pub fn new(store: Store, gh: Arc<GitHub>) -> Self {
        Syncer {
            store,
            gh,
            progress: Box::new(NoProgress),
        }
    }

    /// Runs one sync and records it as a sync operation (failed ones too). Syncs of the same
    /// repository into the same database take turns.
    pub async fn sync(&self, repo: &RepoName, kind: SyncKind) -> anyhow::Result<SyncReport> {
        let lock = repo_lock(&self.store.name, repo);
        let _turn = lock.lock().await;
        let started = Instant::now();
        let (req0, nm0) = (
            self.gh.stats.requests.load(Ordering::Relaxed),
            self.gh.stats.not_modified.load(Ordering::Relaxed),
        );
        let op = self.store.start_sync(kind.as_str(), &repo.full()).await?;
        let mut report = SyncReport {
            repository: repo.full(),
            sync_type: kind.as_str().into(),
            operation_id: op,
            ..Default::default()
        };
        let result = self.run(repo, kind, op, &mut report).await;
        report.requests = self.gh.stats.requests.load(Ordering::Relaxed) - req0;
        report.not_modified = self.gh.stats.not_modified.load(Ordering::Relaxed) - nm0;
        report.seconds = started.elapsed().as_secs_f64();
        let processed =
            (report.issues + report.comments + report.labels + report.milestones) as i64;
        let (status, error) = match &result {
            Ok(()) => (SyncStatus::Completed, None),
            Err(e) => (SyncStatus::Failed, Some(format!("{e:#}"))),
        };
        self.store
            .finish_sync(
                op,
                status,
                processed,
                0,
                report.requests as i64,
                report.not_modified as i64,
                error.as_deref(),
            )
            .await?;
        // The operation records where the mirror stands: the issues cursor it left.
        if let Ok(c) = self.store.cursor(&repo.full(), "issues").await {
            let _ = self.store.record_sync_cursor(op, c.since).await;
        }
        // Many rows changed at once: the planner's picture of the tables is out of date until
        // the database gets round to it, and until then the list's indexes may go unused.
        if result.is_ok() && report.issues >= BULK_ROWS {
            if let Err(e) = self.store.refresh_statistics().await {
                tracing::warn!("refreshing planner statistics after the sync failed: {e:#}");
            }
        }
        metrics::counter!("ghgov_sync_operations_total", "type" => kind.as_str(), "status" => status.as_str()).increment(1);
        result.map(|_| report)
    }

    async fn run(
        &self,
        repo: &RepoName,
        kind: SyncKind,
        op: i64,
        report: &mut SyncReport,
    ) -> anyhow::Result<()> {
        let repo_id = self.repository(repo).await?;
        report.labels = self.labels(repo, repo_id).await?;
        report.milestones = self.milestones(repo, repo_id).await?;
        let full = repo.full();
        // A resource never synced, or whose full listing was interrupted, gets (the rest
        // of) a full listing first, whatever kind of sync was asked for.
        let issues_full = kind == SyncKind::Full
            || self.store.cursor(&full, "issues").await?.since.is_none()
            || self.store.cursor(&full, "issues_full").await?.generation > 0;
        if issues_full {
            let (n, removed) = self.issues_full(repo, repo_id, op).await?;
            report.issues += n;
            report.removed = removed;
        }
        // After a full listing this fetches the first incremental page once, so the
        // conditional request of the next sync has an ETag to send.
        let changed = self.list_incremental(Paged::Issues, repo, repo_id).await?;
        if !issues_full {
            // After a full listing this only re-reads the overlap: not new records.
            report.issues += changed;
        }
        let comments_full = kind == SyncKind::Full
            || self.store.cursor(&full, "comments").await?.since.is_none()
            || self.store.cursor(&full, "comments_full").await?.generation > 0;
        if comments_full {
            report.comments += self.comments_full(repo, repo_id, op).await?;
        }
        let changed = self
            .list_incremental(Paged::Comments, repo, repo_id)
            .await?;
        if !comments_full {
            report.comments += changed;
        }
        let (parents, deps) = self.relations(repo, repo_id).await?;
        report.sub_issue_parents = parents;
        report.dependency_issues = deps;
        // The full sync is complete: the next one starts afresh.
        let mut tx = self.store.begin_write().await?;
        for resource in ["issues_full", "comments_full"] {
            save_cursor(&mut tx, &full, resource, &SyncCursor::default()).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn repository(&self, repo: &RepoName) -> anyhow::Result<i64> {
        let path = format!("/repos/{}", repo.full());
        match self.gh.get(&path, true).await? {
            Fetched::Modified { body, .. } => {
                let r: Repository = serde_json::from_value(body)
                    .context("GitHub sent a repository ghgov cannot read")?;
                let mut tx = self.store.begin_mirror_write().await?;
                let id = tx.mirror().repository(&r).await?;
                tx.commit().await?;
                self.gh.commit_etag(&path).await;
                Ok(id)
            }
            Fetched::NotModified => {
                match self.store.repository_id(&repo.key()).await? {
                    Some(id) => Ok(id),
                    // The cache says unchanged but the row is missing: ask again in full.
                    None => {
                        self.gh.forget_etag(&path).await;
                        Box::pin(self.repository(repo)).await
                    }
                }
            }
        }
    }

    /// Fetches every page of a list, or nothing when its first page is unchanged.
    async fn all_pages(&self, first: &str, resource: &str) -> anyhow::Result<Option<Vec<Value>>> {
        let mut items = Vec::new();
        let mut url = first.to_string();
        let mut conditional = true;
        let mut pages = 0;
        loop {
            match self.gh.get(&url, conditional).await? {
                Fetched::NotModified => return Ok(None),
                Fetched::Modified {
                    body,
                    next,
                    last_page,
                } => {
                    pages += 1;
                    self.progress.page(resource, pages, last_page);
                    items.extend(body.as_array().cloned().unwrap_or_default());
                    match next {
                        Some(n) => url = n,
                        None => break,
                    }
                }
            }
            conditional = false;
        }
        Ok(Some(items))
    }

    /// Labels are few: a changed first page means a full listing, authoritative for deletions.
    async fn labels(&self, repo: &RepoName, repo_id: i64) -> anyhow::Result<u64> {
        let path = format!("/repos/{}/labels?per_page=100", repo.full());
        let Some(items) = self.all_pages(&path, "labels").await? else {
            return Ok(0);
        };
        let labels: Vec<Label> = list(Value::Array(items), "label")?;
        let mut tx = self.store.begin_mirror_write().await?;
        let mut seen = Seen::default();
        for l in &labels {
            tx.mirror().label(&mut seen, repo_id, l).await?;
        }
        let listed = labels.iter().map(|l| l.id).collect();
        for id in tx
            .mirror()
            .unlisted(projector::ListedTable::Labels, repo_id, &listed)
            .await?
        {
            tx.mirror().remove_label(id).await?;
        }
        tx.commit().await?;
        self.gh.commit_etag(&path).await;
        Ok(labels.len() as u64)
    }

    async fn milestones(&self, repo: &RepoName, repo_id: i64) -> anyhow::Result<u64> {
        let path = format!("/repos/{}/milestones?state=all&per_page=100", repo.full());
        let Some(items) = self.all_pages(&path, "milestones").await? else {
            return Ok(0);
        };
        let milestones: Vec<Milestone> = list(Value::Array(items), "milestone")?;
        let mut tx = self.store.begin_mirror_write().await?;
        let mut seen = Seen::default();
        for m in &milestones {
            tx.mirror().milestone(&mut seen, repo_id, m).await?;
        }
        let listed = milestones.iter().map(|m| m.id).collect();
        for id in tx
            .mirror()
            .unlisted(projector::ListedTable::Milestones, repo_id, &listed)
            .await?
        {
            tx.mirror().remove_milestone(id).await?;
        }
        tx.commit().await?;
        self.gh.commit_etag(&path).await;
        Ok(milestones.len() as u64)
    }

    /// Projects one page and moves the cursor, in one transaction. Returns the items on the
    /// page and the newest `updated_at` among them.
    async fn page(
        &self,
        what: Paged,
        repo_id: i64,
        full: &str,
        body: Value,
        resource: &str,
        cursor: &SyncCursor,
    ) -> anyhow::Result<(u64, Option<String>)> {
        // Full listings carry their generation in the cursor; incremental pages have none.
        let generation = (cursor.generation > 0).then_some(cursor.generation);
        let mut tx = self.store.begin_mirror_write().await?;
        let mut seen = Seen::default();
        let stamps: Vec<String> = match what {
            Paged::Issues => {
                let issues: Vec<Issue> = list(body, "issue")?;
                tx.mirror()
                    .issues(&mut seen, repo_id, &issues, generation)
                    .await?;
                issues.into_iter().map(|i| i.updated_at).collect()
            }
            Paged::Comments => {
                let comments: Vec<Comment> = list(body, "comment")?;
                for c in &comments {
                    tx.mirror()
                        .comment(&mut seen, repo_id, c, generation)
                        .await?;
                }
                comments.into_iter().map(|c| c.updated_at).collect()
            }
        };
        save_cursor(&mut tx, full, resource, cursor).await?;
        tx.commit().await?;
        let newest = stamps.iter().max().cloned();
        Ok((stamps.len() as u64, newest))
    }

    /// Lists every item of `what` under one generation, oldest first (a stable order),
    /// resuming an unfinished listing. None when this generation's listing already ended.
    async fn list_full(
        &self,
        what: Paged,
        repo_id: i64,
        full: &str,
        op: i64,
    ) -> anyhow::Result<Option<Listing>> {
        let resume = self.store.cursor(full, what.full_resource()).await?;
        // An unfinished full sync is resumed: same generation, from its next page.
        let generation = if resume.generation > 0 {
            resume.generation
        } else {
            op
        };
        if resume.generation > 0 && resume.since.as_deref() == Some(LISTED) {
            return Ok(None);
        }
        let mut url = match resume.next_url {
            Some(next) if resume.generation > 0 => next,
            _ => what.full_url(full),
        };
        let mut listing = Listing {
            count: 0,
            generation,
            newest: self.store.cursor(full, what.name()).await?.since,
        };
        let mut pages = 0;
        loop {
            let Page {
                body,
                next,
                last_page,
            } = self.gh.get_page(&url).await?;
            pages += 1;
            self.progress.page(what.name(), pages, last_page);
            let cursor = SyncCursor {
                since: None,
                next_url: next.clone(),
                generation,
            };
            let (n, page_newest) = self
                .page(what, repo_id, full, body, what.full_resource(), &cursor)
                .await?;
            listing.count += n;
            if page_newest.as_deref() > listing.newest.as_deref() {
                listing.newest = page_newest;
            }
            match next {
                Some(n) => url = n,
                None => return Ok(Some(listing)),
            }
        }
    }

    /// Marks a full listing done and moves the incremental cursor to what it saw; an empty
    /// list still gets a cursor, so its next sync is incremental.
    async fn finish_full(&self, what: Paged, full: &str, listing: &Listing) -> anyhow::Result<()> {
        let mut tx = self.store.begin_write().await?;
        let done = SyncCursor {
            since: Some(LISTED.into()),
            next_url: None,
            generation: listing.generation,
        };
        save_cursor(&mut tx, full, what.full_resource(), &done).await?;
        let since = listing.newest.clone().unwrap_or_else(|| EPOCH.to_string());
        save_cursor(
            &mut tx,
            full,
            what.name(),
            &SyncCursor {
                since: Some(since),
                next_url: None,
                generation: 0,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every issue; issues the listing no longer shows are checked one by one and removed
    /// when GitHub confirms they are gone.
    async fn issues_full(
        &self,
        repo: &RepoName,
        repo_id: i64,
        op: i64,
    ) -> anyhow::Result<(u64, u64)> {
        let full = repo.full();
        let Some(listing) = self.list_full(Paged::Issues, repo_id, &full, op).await? else {
            return Ok((0, 0));
        };
        // Issues this generation did not see are gone, unless GitHub still shows them (a
        // deletion during the listing shifts pages).
        let unseen = self
            .store
            .issues_unseen(repo_id, listing.generation)
            .await?;
        let mut removed = 0;
        for r in unseen {
            removed += self
                .confirm_issue(repo, repo_id, r.id, r.number, listing.generation)
                .await? as u64;
        }
        self.finish_full(Paged::Issues, &full, &listing).await?;
        Ok((listing.count, removed))
    }

    /// Every comment; a full listing is authoritative: comments it did not show were deleted.
    async fn comments_full(&self, repo: &RepoName, repo_id: i64, op: i64) -> anyhow::Result<u64> {
        let full = repo.full();
        let Some(listing) = self.list_full(Paged::Comments, repo_id, &full, op).await? else {
            return Ok(0);
        };
        let mut tx = self.store.begin_mirror_write().await?;
        tx.mirror()
            .remove_unseen_comments(repo_id, listing.generation)
            .await?;
        tx.commit().await?;
        self.finish_full(Paged::Comments, &full, &listing).await?;
        Ok(listing.count)
    }

    /// Asks GitHub about one issue the listing did not show; true if it was removed.
    async fn confirm_issue(
        &self,
        repo: &RepoName,
        repo_id: i64,
        id: i64,
        number: i64,
        generation: i64,
    ) -> anyhow::Result<bool> {
        match self
            .gh
            .get(&format!("/repos/{}/issues/{number}", repo.full()), false)
            .await
        {
            Ok(Fetched::Modified { body, .. }) => {
                let issue: Issue = serde_json::from_value(body)?;
                let mut tx = self.store.begin_mirror_write().await?;
                if issue.id == id {
                    tx.mirror()
                        .issue(&mut Seen::default(), repo_id, &issue, Some(generation))
                        .await?;
                    tx.commit().await?;
                    return Ok(false);
                }
                tx.mirror().remove_issue(id, "replaced").await?;
                tx.commit().await?;
                Ok(true)
            }
            Ok(Fetched::NotModified) => Ok(false),
            Err(e) if matches!(e.status(), Some(404) | Some(410)) => {
                let mut tx = self.store.begin_mirror_write().await?;
                let reason = if e.status() == Some(410) {
                    "deleted"
                } else {
                    "not_found"
                };
                tx.mirror().remove_issue(id, reason).await?;
                tx.commit().await?;
                Ok(true)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Items updated since the cursor, newest first: when nothing changed the conditional
    /// first page answers 304 and the sync costs no rate limit. (Newest first also means an
    /// item updated during the listing moves to pages already read instead of being skipped;
    /// the next sync picks it up.)
    async fn list_incremental(
        &self,
        what: Paged,
        repo: &RepoName,
        repo_id: i64,
    ) -> anyhow::Result<u64> {
        let full = repo.full();
        let cursor = self.store.cursor(&full, what.name()).await?;
        let Some(since) = cursor.since.clone() else {
            return Ok(0);
        };
        let (mut url, mut conditional) = match &cursor.next_url {
            Some(next) => (next.clone(), false),
            None => (
                what.since_url(
                    &full,
                    &crate::store::seconds_before(&since, OVERLAP_SECONDS),
                ),
                true,
            ),
        };
        let mut count = 0;
        let mut pages = 0;
        let mut newest = Some(since);
        loop {
            let (body, next, last_page) = match self.gh.get(&url, conditional).await? {
                Fetched::NotModified => break,
                Fetched::Modified {
                    body,
                    next,
                    last_page,
                } => (body, next, last_page),
            };
            pages += 1;
            self.progress.page(what.name(), pages, last_page);
            // The new `since` is written only when the listing is complete.
            let page_cursor = SyncCursor {
                since: cursor.since.clone(),
                next_url: next.clone(),
                generation: 0,
            };
            let (n, page_newest) = self
                .page(what, repo_id, &full, body, what.name(), &page_cursor)
                .await?;
            if conditional {
                self.gh.commit_etag(&url).await;
            }
            count += n;
            if page_newest.as_deref() > newest.as_deref() {
                newest = page_newest;
            }
            match next {
                Some(n) => url = n,
                None => break,
            }
            conditional = false;
        }
        let mut tx = self.store.begin_write().await?;
        save_cursor(
            &mut tx,
            &full,
            what.name(),
            &SyncCursor {
                since: newest,
                next_url: None,
                generation: 0,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(count)
    }

    /// Sub-issues and dependencies of issues that changed: only parents GitHub says have
    /// sub-issues (or that the mirror thinks have some), only issues with dependencies.
    async fn relations(&self, repo: &RepoName, repo_id: i64) -> anyhow::Result<(u64, u64)> {
        let dirty = self.store.dirty_issues(repo_id).await?;
        let (mut parents, mut deps) = (0, 0);
        for r in dirty {
            let (id, number, sub_total, blocked_total) =
                (r.id, r.number, r.sub_issues_total, r.blocked_by_total);
            let children = if sub_total > 0 {
                parents += 1;
                self.ids(&format!(
                    "/repos/{}/issues/{number}/sub_issues?per_page=100",
                    repo.full()
                ))
                .await?
            } else {
                Vec::new()
            };
            let blockers = if blocked_total > 0 {
                deps += 1;
                self.ids(&format!(
                    "/repos/{}/issues/{number}/dependencies/blocked_by?per_page=100",
                    repo.full()
                ))
                .await?
            } else {
                Vec::new()
            };
            let mut tx = self.store.begin_mirror_write().await?;
            tx.mirror().set_sub_issues(id, &children).await?;
            tx.mirror().set_blocked_by(id, &blockers).await?;
            tx.mirror().clear_relations_dirty(id).await?;
            tx.commit().await?;
        }
        Ok((parents, deps))
    }

    async fn ids(&self, first: &str) -> anyhow::Result<Vec<i64>> {
        let mut ids = Vec::new();
        let mut url = first.to_string();
        loop {
            let Page { body, next, .. } = self.gh.get_page(&url).await?;
            ids.extend(
                body.as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|i| i["id"].as_i64()),
            );
            match next {
                Some(n) => url = n,
                None => break,
            }
        }
        Ok(ids)
    }
}
