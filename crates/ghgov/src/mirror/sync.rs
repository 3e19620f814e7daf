//! Sync from GitHub, full or incremental. Every page is committed in one transaction
//! together with the cursor that says where to resume, so a sync killed at any point picks
//! up at its last committed page and writes nothing twice.

use super::projector::{self, Seen};
use super::RepoName;
use crate::github::types::{Comment, Issue};
use crate::github::{Fetched, GitHub, GitHubError, ListOf, Lookup, NextPage, PageOf, Validator};
use crate::store::{save_cursor, Store, SyncCursor, SyncStatus};
use crate::tracking::{Provenance, Source};
use serde::de::DeserializeOwned;
use serde::Serialize;
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
    /// The list of `what` from `at`.
    async fn fetch(
        self,
        gh: &GitHub,
        repo: &RepoName,
        at: &At,
        conditional: bool,
    ) -> Result<Option<PageOfItems>, GitHubError> {
        Ok(match self {
            Paged::Issues => {
                let list = match at {
                    At::Start => ListOf::issues_oldest_first(repo),
                    At::Since(since) => ListOf::issues_updated_since(repo, since),
                    At::Next(next) => ListOf::resume(next),
                };
                fetch(gh, &list, conditional)
                    .await?
                    .map(|p| PageOfItems::from(p, Items::Issues))
            }
            Paged::Comments => {
                let list = match at {
                    At::Start => ListOf::comments(repo),
                    At::Since(since) => ListOf::comments_updated_since(repo, since),
                    At::Next(next) => ListOf::resume(next),
                };
                fetch(gh, &list, conditional)
                    .await?
                    .map(|p| PageOfItems::from(p, Items::Comments))
            }
        })
    }
}

/// Where a listing starts: its first page, the first page of changes since a time, or a
/// page GitHub linked to (kept in a cursor).
enum At {
    Start,
    Since(String),
    Next(NextPage),
}

impl At {
    fn next_or(stored: Option<String>, otherwise: At) -> At {
        stored.map_or(otherwise, |url| At::Next(NextPage::stored(url)))
    }
}

/// Whether GitHub's answer for an issue of `repo` is an issue of `repo`: a transferred
/// issue answers (through a redirect GitHub follows) from its new repository.
fn lives_in(issue: &Issue, repo: &RepoName) -> bool {
    let here = format!("/{}/", repo.full()).to_ascii_lowercase();
    issue
        .html_url
        .as_deref()
        .is_none_or(|url| url.to_ascii_lowercase().contains(&here))
}

/// A page of issues or comments.
enum Items {
    Issues(Vec<Issue>),
    Comments(Vec<Comment>),
}

struct PageOfItems {
    items: Items,
    next: Option<NextPage>,
    last_page: Option<u64>,
    validator: Option<Validator>,
}

impl PageOfItems {
    fn from<T>(page: PageOf<T>, items: fn(Vec<T>) -> Items) -> Self {
        PageOfItems {
            items: items(page.items),
            next: page.next,
            last_page: page.last_page,
            validator: page.validator,
        }
    }
}

/// A page, asked conditionally or not; None when GitHub says it is unchanged.
async fn fetch<T: DeserializeOwned>(
    gh: &GitHub,
    list: &ListOf<T>,
    conditional: bool,
) -> Result<Option<PageOf<T>>, GitHubError> {
    if !conditional {
        return gh.page(list).await.map(Some);
    }
    Ok(match gh.page_if_changed(list).await? {
        Fetched::Modified(page) => Some(page),
        Fetched::NotModified => None,
    })
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
        let op = self.store.start_sync(kind.as_str(), &repo.full()).await?;
        self.sync_recorded(repo, kind, op).await
    }

    /// Runs the sync recorded as operation `op` (from `Store::start_sync`), so a caller
    /// can name the operation before it runs.
    pub async fn sync_recorded(
        &self,
        repo: &RepoName,
        kind: SyncKind,
        op: i64,
    ) -> anyhow::Result<SyncReport> {
        let lock = repo_lock(&self.store.name, repo);
        let _turn = lock.lock().await;
        let started = Instant::now();
        let (req0, nm0) = (
            self.gh.stats.requests.load(Ordering::Relaxed),
            self.gh.stats.not_modified.load(Ordering::Relaxed),
        );
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
        let changed = self
            .list_incremental(Paged::Issues, repo, repo_id, op)
            .await?;
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
            .list_incremental(Paged::Comments, repo, repo_id, op)
            .await?;
        if !comments_full {
            report.comments += changed;
        }
        let (parents, deps) = self.relations(repo, repo_id, op).await?;
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
        match self.gh.repository_if_changed(repo).await? {
            Fetched::Modified((r, validator)) => {
                let mut tx = self.store.begin_mirror_write().await?;
                let id = tx.mirror().repository(&r).await?;
                tx.commit().await?;
                self.remember(validator).await;
                Ok(id)
            }
            Fetched::NotModified => {
                match self.store.repository_id(&repo.key()).await? {
                    Some(id) => Ok(id),
                    // The cache says unchanged but the row is missing: ask again in full.
                    None => {
                        self.gh.forget_repository_etag(repo).await;
                        Box::pin(self.repository(repo)).await
                    }
                }
            }
        }
    }

    async fn remember(&self, validator: Option<Validator>) {
        if let Some(v) = validator {
            self.gh.remember(v).await;
        }
    }

    /// Every item of a list, or nothing when its first page is unchanged; with the first
    /// page's validator, to remember once the items are stored.
    async fn all_pages<T: DeserializeOwned>(
        &self,
        first: ListOf<T>,
        resource: &str,
    ) -> anyhow::Result<Option<(Vec<T>, Option<Validator>)>> {
        let Fetched::Modified(mut page) = self.gh.page_if_changed(&first).await? else {
            return Ok(None);
        };
        let validator = page.validator.take();
        let mut items = Vec::new();
        let mut pages = 0;
        loop {
            pages += 1;
            self.progress.page(resource, pages, page.last_page);
            items.append(&mut page.items);
            match page.next.take() {
                Some(next) => page = self.gh.page(&ListOf::<T>::resume(&next)).await?,
                None => return Ok(Some((items, validator))),
            }
        }
    }

    /// Labels are few: a changed first page means a full listing, authoritative for deletions.
    async fn labels(&self, repo: &RepoName, repo_id: i64) -> anyhow::Result<u64> {
        let Some((labels, validator)) = self.all_pages(ListOf::labels(repo), "labels").await?
        else {
            return Ok(0);
        };
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
        self.remember(validator).await;
        Ok(labels.len() as u64)
    }

    async fn milestones(&self, repo: &RepoName, repo_id: i64) -> anyhow::Result<u64> {
        let Some((milestones, validator)) = self
            .all_pages(ListOf::milestones(repo), "milestones")
            .await?
        else {
            return Ok(0);
        };
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
        self.remember(validator).await;
        Ok(milestones.len() as u64)
    }

    /// Projects one page and moves the cursor, in one transaction. Returns the items on the
    /// page and the newest `updated_at` among them.
    async fn page(
        &self,
        op: i64,
        repo_id: i64,
        full: &str,
        items: Items,
        resource: &str,
        cursor: &SyncCursor,
    ) -> anyhow::Result<(u64, Option<String>)> {
        // Full listings carry their generation in the cursor; incremental pages have none.
        let generation = (cursor.generation > 0).then_some(cursor.generation);
        let mut tx = self.store.begin_mirror_write().await?;
        tx.set_provenance(provenance(op));
        let mut seen = Seen::default();
        let stamps: Vec<String> = match items {
            Items::Issues(issues) => {
                tx.mirror()
                    .issues(&mut seen, repo_id, &issues, generation)
                    .await?;
                issues.into_iter().map(|i| i.updated_at).collect()
            }
            Items::Comments(comments) => {
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
        repo: &RepoName,
        repo_id: i64,
        op: i64,
    ) -> anyhow::Result<Option<Listing>> {
        let full = &repo.full();
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
        let mut at = match resume.next_url {
            Some(next) if resume.generation > 0 => At::Next(NextPage::stored(next)),
            _ => At::Start,
        };
        let mut listing = Listing {
            count: 0,
            generation,
            newest: self.store.cursor(full, what.name()).await?.since,
        };
        let mut pages = 0;
        loop {
            let PageOfItems {
                items,
                next,
                last_page,
                ..
            } = what
                .fetch(&self.gh, repo, &at, false)
                .await?
                .ok_or_else(|| anyhow::anyhow!("GitHub answered a full listing's page with 304"))?;
            pages += 1;
            self.progress.page(what.name(), pages, last_page);
            let cursor = SyncCursor {
                since: None,
                next_url: next.as_ref().map(|n| n.as_str().to_string()),
                generation,
            };
            let (n, page_newest) = self
                .page(op, repo_id, full, items, what.full_resource(), &cursor)
                .await?;
            listing.count += n;
            if page_newest.as_deref() > listing.newest.as_deref() {
                listing.newest = page_newest;
            }
            match next {
                Some(n) => at = At::Next(n),
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
        let Some(listing) = self.list_full(Paged::Issues, repo, repo_id, op).await? else {
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
                .confirm_issue(repo, repo_id, r.id, r.number, listing.generation, op)
                .await? as u64;
        }
        self.finish_full(Paged::Issues, &full, &listing).await?;
        Ok((listing.count, removed))
    }

    /// Every comment; a full listing is authoritative: comments it did not show were deleted.
    async fn comments_full(&self, repo: &RepoName, repo_id: i64, op: i64) -> anyhow::Result<u64> {
        let full = repo.full();
        let Some(listing) = self.list_full(Paged::Comments, repo, repo_id, op).await? else {
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
        op: i64,
    ) -> anyhow::Result<bool> {
        let reason = match self.gh.issue(repo, number).await? {
            // GitHub follows a transferred issue to its new repository: the answer is the
            // issue as it lives there, so it left this one.
            Lookup::Found(issue) if !lives_in(&issue, repo) => "transferred",
            Lookup::Found(issue) => {
                let mut tx = self.store.begin_mirror_write().await?;
                tx.set_provenance(provenance(op));
                if issue.id == id {
                    tx.mirror()
                        .issue(&mut Seen::default(), repo_id, &issue, Some(generation))
                        .await?;
                    tx.commit().await?;
                    return Ok(false);
                }
                tx.mirror().remove_issue(id, "replaced").await?;
                tx.commit().await?;
                return Ok(true);
            }
            Lookup::Gone => "deleted",
            Lookup::NotFound => "not_found",
        };
        let mut tx = self.store.begin_mirror_write().await?;
        tx.set_provenance(provenance(op));
        tx.mirror().remove_issue(id, reason).await?;
        tx.commit().await?;
        Ok(true)
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
        op: i64,
    ) -> anyhow::Result<u64> {
        let full = repo.full();
        let cursor = self.store.cursor(&full, what.name()).await?;
        let Some(since) = cursor.since.clone() else {
            return Ok(0);
        };
        let mut conditional = cursor.next_url.is_none();
        let mut at = At::next_or(
            cursor.next_url.clone(),
            At::Since(crate::store::seconds_before(&since, OVERLAP_SECONDS)),
        );
        let mut count = 0;
        let mut pages = 0;
        let mut newest = Some(since);
        loop {
            let Some(PageOfItems {
                items,
                next,
                last_page,
                validator,
            }) = what.fetch(&self.gh, repo, &at, conditional).await?
            else {
                break;
            };
            pages += 1;
            self.progress.page(what.name(), pages, last_page);
            // The new `since` is written only when the listing is complete.
            let page_cursor = SyncCursor {
                since: cursor.since.clone(),
                next_url: next.as_ref().map(|n| n.as_str().to_string()),
                generation: 0,
            };
            let (n, page_newest) = self
                .page(op, repo_id, &full, items, what.name(), &page_cursor)
                .await?;
            self.remember(validator).await;
            count += n;
            if page_newest.as_deref() > newest.as_deref() {
                newest = page_newest;
            }
            match next {
                Some(n) => at = At::Next(n),
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
    async fn relations(
        &self,
        repo: &RepoName,
        repo_id: i64,
        op: i64,
    ) -> anyhow::Result<(u64, u64)> {
        let dirty = self.store.dirty_issues(repo_id).await?;
        let (mut parents, mut deps) = (0, 0);
        for r in dirty {
            let (id, number, sub_total, blocked_total) =
                (r.id, r.number, r.sub_issues_total, r.blocked_by_total);
            let children = if sub_total > 0 {
                parents += 1;
                ids(self.gh.all(&ListOf::sub_issues(repo, number)).await?)
            } else {
                Vec::new()
            };
            let blockers = if blocked_total > 0 {
                deps += 1;
                ids(self.gh.all(&ListOf::blocked_by(repo, number)).await?)
            } else {
                Vec::new()
            };
            let mut tx = self.store.begin_mirror_write().await?;
            // Link changes it finds are events of this sync.
            tx.set_provenance(provenance(op));
            tx.mirror().set_sub_issues(id, &children).await?;
            tx.mirror().set_blocked_by(id, &blockers).await?;
            tx.mirror().clear_relations_dirty(id).await?;
            tx.commit().await?;
        }
        Ok((parents, deps))
    }
}

/// What status changes a sync operation records: seen by `sync-<operation id>`.
fn provenance(op: i64) -> Provenance {
    Provenance::new(Source::Sync).correlation(format!("sync-{op}"))
}

fn ids(issues: Vec<crate::github::IssueRef>) -> Vec<i64> {
    issues.into_iter().map(|i| i.id).collect()
}
