//! The projector: the one way facts enter the mirror tables, whether they came from a
//! webhook or from a sync page. Its writes are the methods of [`MirrorTx`], which runs them
//! inside the caller's write transaction; each is idempotent, and older facts (by
//! `updated_at`) never overwrite newer ones.

use crate::events::{EventsSince, Links, PendingEvent};
use crate::records::{Comment, Issue, Label, Milestone, Repository, User};
use crate::sql::{id_list, placeholders};
use crate::tracking::{Provenance, Status, Workflow, WorkflowCache};
use crate::{DbError, WriteTx};

/// A write operation in flight, as the projector attributes an echo to it.
#[derive(FromRow)]
struct InFlight {
    id: i64,
    issue_id: i64,
    principal: String,
    request: String,
}
use sqlx::{Any, AnyConnection, FromRow, Transaction};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// A write transaction's door to the mirror tables: the projector's writes are its methods.
/// There are two ways to get one, and both move the mirror's version when the transaction
/// commits (see [`crate::Store::mirror_version`]): [`WriteTx::mirror`], in a transaction
/// from [`crate::Store::begin_mirror_write`] or [`crate::Store::begin_write`], and
/// [`MirrorSavepoint::mirror`], inside a savepoint that keeps or undoes its writes alone.
pub struct MirrorTx<'t> {
    pub(crate) conn: &'t mut AnyConnection,
    /// Recorded with every status change these writes make.
    pub(crate) provenance: Provenance,
    /// The workflow each repository derives statuses with.
    workflows: Arc<WorkflowCache>,
    /// The transaction's domain events (see [`crate::events`]).
    pub(crate) events: &'t mut Vec<PendingEvent>,
    /// Its issues are as GitHub confirmed them to ghgov's writer (see `WriteTx::confirmed`).
    pub(crate) confirmed: bool,
}

impl WriteTx {
    /// The mirror's door inside this transaction; its commit then moves the mirror's
    /// version. Status changes it records carry the transaction's provenance.
    pub fn mirror(&mut self) -> MirrorTx<'_> {
        self.changes_mirror = true;
        MirrorTx {
            conn: &mut self.tx,
            provenance: self.provenance.clone(),
            workflows: self.workflows.clone(),
            events: &mut self.events,
            confirmed: self.confirmed,
        }
    }

    /// Marks the issues this transaction stores as GitHub confirmed them to ghgov's writer
    /// (its answer to a write, or the read that settles a second after one): a fact of the
    /// same second from elsewhere (GitHub's timestamps have whole seconds) then does not
    /// overwrite them.
    pub fn confirmed_by_github(&mut self) {
        self.confirmed = true;
    }

    /// Who and what causes this transaction's mirror writes (source, actor, correlation):
    /// every status change they make is recorded with it. Without it a change is recorded
    /// as seen by a sync, with no actor.
    pub fn set_provenance(&mut self, provenance: Provenance) {
        self.provenance = provenance;
    }

    /// A savepoint inside this transaction, for mirror writes that may fail alone: what it
    /// writes is kept by its `commit` (which also marks this transaction as one that moves
    /// the mirror's version) and undone alone by its `rollback`, the rest of the transaction
    /// going on.
    pub async fn mirror_savepoint(&mut self) -> Result<MirrorSavepoint<'_>, DbError> {
        let WriteTx {
            tx,
            changes_mirror,
            provenance,
            workflows,
            events,
            ..
        } = self;
        Ok(MirrorSavepoint {
            tx: sqlx::Acquire::begin(&mut **tx).await?,
            changes_mirror,
            provenance: provenance.clone(),
            workflows: workflows.clone(),
            events: EventsSince::new(events),
        })
    }
}

/// A savepoint of a write transaction, for the projector (see [`WriteTx::mirror_savepoint`]).
pub struct MirrorSavepoint<'t> {
    tx: Transaction<'t, Any>,
    changes_mirror: &'t mut bool,
    provenance: Provenance,
    workflows: Arc<WorkflowCache>,
    events: EventsSince<'t>,
}

impl MirrorSavepoint<'_> {
    /// The mirror's door inside this savepoint.
    pub fn mirror(&mut self) -> MirrorTx<'_> {
        MirrorTx {
            conn: &mut self.tx,
            provenance: self.provenance.clone(),
            workflows: self.workflows.clone(),
            events: &mut *self.events.buffer,
            confirmed: false,
        }
    }

    /// Keeps what the savepoint wrote; the enclosing transaction's commit then moves the
    /// mirror's version, even if the event was in the end ignored (it may have projected
    /// its repository).
    pub async fn commit(mut self) -> Result<(), DbError> {
        self.tx.commit().await?;
        self.events.keep = true;
        *self.changes_mirror = true;
        Ok(())
    }

    /// Undoes what the savepoint wrote, and only that.
    pub async fn rollback(self) -> Result<(), DbError> {
        self.tx.rollback().await
    }
}

/// What happened to an issue fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    Stored,
    /// The mirror already holds a newer version.
    Stale,
    /// GitHub said the issue is gone; an older fact does not bring it back.
    Tombstoned,
}

/// Rows already written in this transaction, so a page of 100 issues sharing the same
/// labels and authors writes each of them once.
#[derive(Default)]
pub struct Seen {
    users: HashSet<i64>,
    labels: HashSet<(i64, String, Option<String>, Option<String>)>,
    milestones: HashSet<(i64, Option<String>)>,
}

fn flag(b: bool) -> i64 {
    b as i64
}

/// What a complete listing can prove deleted.
#[derive(Debug, Clone, Copy)]
pub enum ListedTable {
    Labels,
    Milestones,
}

/// Where an issue's comments are filed: its repository and number.
#[derive(FromRow)]
struct IssueNumber {
    repository_id: i64,
    number: i64,
}

/// GitHub never links an issue to itself; a payload that does is not GitHub's.
fn not_itself(from: i64, to: i64, link: &str) -> anyhow::Result<()> {
    if from == to {
        anyhow::bail!("issue {from} cannot be its own {link}");
    }
    Ok(())
}

/// An issue's stored status, read before a page is written.
#[derive(FromRow)]
struct StoredStatus {
    id: i64,
    status: Option<String>,
}

/// The newest configuration version of a repository, if it has one.
#[derive(FromRow)]
struct LatestVersion {
    version: Option<i64>,
}

#[derive(FromRow)]
struct ConfigText {
    config: String,
}

#[derive(FromRow)]
struct IssueStatusKey {
    repository_id: i64,
    status: Option<String>,
}

/// A status change about to be recorded.
pub(crate) struct Change<'a> {
    pub(crate) issue_id: i64,
    pub(crate) from: Option<Status>,
    pub(crate) to: Status,
    pub(crate) at: &'a str,
    pub(crate) reason: Option<&'a str>,
    pub(crate) violation: bool,
}

/// A status change the projector recorded (see [`MirrorTx::append_status_change`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusChange {
    pub from: Option<Status>,
    pub to: Status,
    /// The workflow does not allow it (recorded anyway).
    pub violation: bool,
}

impl<'t> MirrorTx<'t> {
    /// A door for reads only (the store's own use: [`crate::Store::workflow`]).
    pub(crate) fn reader(
        conn: &'t mut AnyConnection,
        events: &'t mut Vec<PendingEvent>,
        workflows: Arc<WorkflowCache>,
    ) -> Self {
        MirrorTx {
            conn,
            provenance: Provenance::default(),
            workflows,
            events,
            confirmed: false,
        }
    }

    /// The same door with another provenance: a batch of webhook deliveries gives each its
    /// own sender and delivery id.
    pub fn with(self, provenance: Provenance) -> MirrorTx<'t> {
        MirrorTx { provenance, ..self }
    }

    /// The workflow the repository uses: its newest stored configuration's `tracking`
    /// section, or the defaults. Kept per configuration version, so a stored configuration
    /// takes effect with the next write (one indexed read per call).
    pub async fn workflow(&mut self, repo_id: i64) -> anyhow::Result<Arc<Workflow>> {
        let version = sqlx::query_as::<_, LatestVersion>(
            "SELECT MAX(g.version) AS version FROM governance_configs g WHERE g.repository = (SELECT r.full_name_lc FROM repositories r WHERE r.id = $1)",
        )
        .bind(repo_id)
        .fetch_one(&mut *self.conn)
        .await?
        .version;
        if let Some(w) = self.workflows.get(repo_id, version) {
            return Ok(w);
        }
        let config = sqlx::query_as::<_, ConfigText>(
            "SELECT g.config FROM governance_configs g WHERE g.repository = (SELECT r.full_name_lc FROM repositories r WHERE r.id = $1) AND g.version = $2",
        )
        .bind(repo_id)
        .bind(version)
        .fetch_optional(&mut *self.conn)
        .await?;
        let w = Arc::new(
            config
                .map(|c| WorkflowCache::from_document(repo_id, &c.config))
                .unwrap_or_default(),
        );
        self.workflows.put(repo_id, version, w.clone());
        Ok(w)
    }

    /// Records a status change made through ghgov (the API) before GitHub echoes it: the
    /// issue's current status becomes `to` and, when that differs from the stored one, one
    /// history row is written with this door's provenance (source `api`, the principal, the
    /// request id and reason). The webhook that later confirms it derives the same status
    /// and so adds nothing. None when the issue is not mirrored or already has that status.
    pub async fn append_status_change(
        &mut self,
        issue_id: i64,
        to: Status,
        at: &str,
    ) -> anyhow::Result<Option<StatusChange>> {
        let lock = if self.conn.backend_name() == "PostgreSQL" {
            " FOR UPDATE"
        } else {
            ""
        };
        let Some(row) = sqlx::query_as::<_, IssueStatusKey>(&format!(
            "SELECT repository_id, status FROM issues WHERE id = $1{lock}"
        ))
        .bind(issue_id)
        .fetch_optional(&mut *self.conn)
        .await?
        else {
            return Ok(None);
        };
        let from = row.status.as_deref().and_then(Status::parse);
        if from == Some(to) {
            return Ok(None);
        }
        let workflow = self.workflow(row.repository_id).await?;
        let violation = from.is_some_and(|f| !workflow.allows(f, to));
        sqlx::query("UPDATE issues SET status = $1 WHERE id = $2")
            .bind(to.as_str())
            .bind(issue_id)
            .execute(&mut *self.conn)
            .await?;
        self.record_changes(
            row.repository_id,
            &[Change {
                issue_id,
                from,
                to,
                at,
                reason: None,
                violation,
            }],
        )
        .await?;
        self.rollup_issue(issue_id).await?;
        Ok(Some(StatusChange {
            from,
            to,
            violation,
        }))
    }

    /// The stored statuses of the issues with these ids (an id list), that are mirrored.
    async fn stored_statuses(
        &mut self,
        ids: &str,
        lock: &str,
    ) -> anyhow::Result<HashMap<i64, Option<Status>>> {
        Ok(sqlx::query_as::<_, StoredStatus>(&format!(
            "SELECT id, status FROM issues WHERE id IN ({ids}){lock}"
        ))
        .persistent(false)
        .fetch_all(&mut *self.conn)
        .await?
        .into_iter()
        .map(|r| (r.id, r.status.as_deref().and_then(Status::parse)))
        .collect())
    }

    /// Writes status history rows with this door's provenance, a few statements for a page.
    /// A change to an issue that ghgov's writer is changing right now (an operation
    /// `running` for it) is that operation's: GitHub's echo of our own write can be
    /// projected before the writer records GitHub's answer, and must not read as someone
    /// else's change.
    async fn record_changes(&mut self, repo_id: i64, changes: &[Change<'_>]) -> anyhow::Result<()> {
        self.status_events(repo_id, changes);
        let recorded_at = crate::now_text();
        let ours = if self.provenance.source == crate::tracking::Source::Api || changes.is_empty() {
            HashMap::new()
        } else {
            self.writes_in_flight(changes).await?
        };
        let p = &self.provenance;
        // 11 values a row: a page of 100 issues in one statement, within both databases' bind limits.
        for chunk in changes.chunks(100) {
            let sql = format!(
                "INSERT INTO issue_status_history (issue_id, repository_id, from_status, to_status, at, actor, source, reason, correlation_id, violation, recorded_at) VALUES {}",
                placeholders(chunk.len(), 11)
            );
            let mut q = sqlx::query(&sql);
            for c in chunk {
                let p = ours.get(&c.issue_id).unwrap_or(p);
                q = q
                    .bind(c.issue_id)
                    .bind(repo_id)
                    .bind(c.from.map(Status::as_str))
                    .bind(c.to.as_str())
                    .bind(c.at)
                    .bind(p.actor.as_deref())
                    .bind(p.source.as_str())
                    .bind(p.reason.as_deref().or(c.reason))
                    .bind(p.correlation.as_deref())
                    .bind(flag(c.violation))
                    .bind(&recorded_at);
            }
            q.execute(&mut *self.conn).await?;
        }
        Ok(())
    }

    /// The provenance of the writer's operations in flight for these changes' issues: the
    /// newest `running` operation of each.
    async fn writes_in_flight(
        &mut self,
        changes: &[Change<'_>],
    ) -> anyhow::Result<HashMap<i64, Provenance>> {
        let ids = id_list(changes.iter().map(|c| c.issue_id));
        let rows = sqlx::query_as::<_, InFlight>(&format!(
            "SELECT id, issue_id, principal, request FROM write_operations WHERE status = $1 AND issue_id IN ({ids}) ORDER BY id"
        ))
        .bind(crate::operations::OperationStatus::Running.as_str())
        .persistent(false)
        .fetch_all(&mut *self.conn)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let reason = serde_json::from_str::<serde_json::Value>(&r.request)
                    .ok()
                    .and_then(|v| v["reason"].as_str().map(str::to_string));
                let p = Provenance::new(crate::tracking::Source::Api)
                    .actor(Some(r.principal))
                    .correlation(format!("operation-{}", r.id))
                    .reason(reason);
                (r.issue_id, p)
            })
            .collect())
    }

    pub async fn repository(&mut self, r: &Repository) -> anyhow::Result<i64> {
        sqlx::query(
            "INSERT INTO repositories (id, owner, name, full_name, full_name_lc, private, default_branch, html_url, open_issues_count, created_at, updated_at, pushed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, name = excluded.name, full_name = excluded.full_name, full_name_lc = excluded.full_name_lc, \
             private = excluded.private, default_branch = COALESCE(excluded.default_branch, repositories.default_branch), html_url = COALESCE(excluded.html_url, repositories.html_url), \
             open_issues_count = COALESCE(excluded.open_issues_count, repositories.open_issues_count), created_at = COALESCE(excluded.created_at, repositories.created_at), \
             updated_at = COALESCE(excluded.updated_at, repositories.updated_at), pushed_at = COALESCE(excluded.pushed_at, repositories.pushed_at)",
        )
        .bind(r.id)
        .bind(&r.owner.login)
        .bind(&r.name)
        .bind(&r.full_name)
        .bind(r.full_name.to_ascii_lowercase())
        .bind(flag(r.private))
        .bind(&r.default_branch)
        .bind(&r.html_url)
        .bind(r.open_issues_count)
        .bind(&r.created_at)
        .bind(&r.updated_at)
        .bind(&r.pushed_at)
        .execute(&mut *self.conn)
        .await?;
        Ok(r.id)
    }

    /// Whether the mirror holds the repository with this id.
    pub async fn repository_known(&mut self, repo_id: i64) -> anyhow::Result<bool> {
        Ok(sqlx::query("SELECT 1 FROM repositories WHERE id = $1")
            .bind(repo_id)
            .fetch_optional(&mut *self.conn)
            .await?
            .is_some())
    }

    /// The id of the mirrored repository with this name.
    pub async fn repository_id(&mut self, repo: &crate::RepoName) -> anyhow::Result<Option<i64>> {
        crate::planning_reads::repository_id_in(&mut *self.conn, &repo.key()).await
    }

    /// Ids of the repository's labels or milestones that `listed` (a complete listing from
    /// GitHub) does not hold: GitHub deleted them.
    pub async fn unlisted(
        &mut self,
        table: ListedTable,
        repo_id: i64,
        listed: &HashSet<i64>,
    ) -> anyhow::Result<Vec<i64>> {
        let table = match table {
            ListedTable::Labels => "labels",
            ListedTable::Milestones => "milestones",
        };
        let ids: Vec<i64> =
            sqlx::query_scalar(&format!("SELECT id FROM {table} WHERE repository_id = $1"))
                .bind(repo_id)
                .fetch_all(&mut *self.conn)
                .await?;
        Ok(ids.into_iter().filter(|id| !listed.contains(id)).collect())
    }

    /// Deletes the repository's comments a complete listing (`generation`) did not show.
    pub async fn remove_unseen_comments(
        &mut self,
        repo_id: i64,
        generation: i64,
    ) -> anyhow::Result<()> {
        sqlx::query("DELETE FROM comments WHERE repository_id = $1 AND seen_generation <> $2")
            .bind(repo_id)
            .bind(generation)
            .execute(&mut *self.conn)
            .await?;
        Ok(())
    }

    /// Removes a repository and everything mirrored from it (GitHub deleted it).
    pub async fn remove_repository(&mut self, repo_id: i64) -> anyhow::Result<()> {
        for sql in [
            "DELETE FROM issue_labels WHERE issue_id IN (SELECT id FROM issues WHERE repository_id = $1)",
            "DELETE FROM issue_assignees WHERE issue_id IN (SELECT id FROM issues WHERE repository_id = $1)",
            "DELETE FROM sub_issue_links WHERE parent_id IN (SELECT id FROM issues WHERE repository_id = $1) OR child_id IN (SELECT id FROM issues WHERE repository_id = $1)",
            "DELETE FROM dependencies WHERE blocked_id IN (SELECT id FROM issues WHERE repository_id = $1) OR blocking_id IN (SELECT id FROM issues WHERE repository_id = $1)",
            "DELETE FROM issues WHERE repository_id = $1",
            "DELETE FROM comments WHERE repository_id = $1",
            "DELETE FROM labels WHERE repository_id = $1",
            "DELETE FROM milestones WHERE repository_id = $1",
            "DELETE FROM repositories WHERE id = $1",
        ] {
            sqlx::query(sql).bind(repo_id).execute(&mut *self.conn).await?;
        }
        self.rollup_repository_removed(repo_id).await
    }

    pub async fn user(&mut self, seen: &mut Seen, u: &User) -> anyhow::Result<()> {
        if !seen.users.insert(u.id) {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO users (id, login, user_type, avatar_url, html_url) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (id) DO UPDATE SET login = excluded.login, user_type = excluded.user_type, avatar_url = excluded.avatar_url, html_url = excluded.html_url",
        )
        .bind(u.id)
        .bind(&u.login)
        .bind(u.user_type.as_deref().unwrap_or("User"))
        .bind(&u.avatar_url)
        .bind(&u.html_url)
        .execute(&mut *self.conn)
        .await?;
        Ok(())
    }

    pub async fn label(&mut self, seen: &mut Seen, repo_id: i64, l: &Label) -> anyhow::Result<()> {
        if !seen
            .labels
            .insert((l.id, l.name.clone(), l.color.clone(), l.description.clone()))
        {
            return Ok(());
        }
        let done = sqlx::query(
            "INSERT INTO labels (id, repository_id, name, name_lc, color, description, is_default) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, name_lc = excluded.name_lc, color = excluded.color, description = excluded.description, is_default = excluded.is_default \
             WHERE labels.repository_id = excluded.repository_id",
        )
        .bind(l.id)
        .bind(repo_id)
        .bind(&l.name)
        .bind(l.name.to_lowercase())
        .bind(l.color.as_deref().unwrap_or("ededed"))
        .bind(&l.description)
        .bind(flag(l.default.unwrap_or(false)))
        .execute(&mut *self.conn)
        .await?;
        if done.rows_affected() == 0 {
            anyhow::bail!("label {} belongs to another repository in the mirror: a label is never shared, so the payload is not GitHub's", l.id);
        }
        Ok(())
    }

    pub async fn remove_label(&mut self, label_id: i64) -> anyhow::Result<()> {
        sqlx::query("DELETE FROM issue_labels WHERE label_id = $1")
            .bind(label_id)
            .execute(&mut *self.conn)
            .await?;
        sqlx::query("DELETE FROM labels WHERE id = $1")
            .bind(label_id)
            .execute(&mut *self.conn)
            .await?;
        Ok(())
    }

    pub async fn milestone(
        &mut self,
        seen: &mut Seen,
        repo_id: i64,
        m: &Milestone,
    ) -> anyhow::Result<()> {
        if !seen.milestones.insert((m.id, m.updated_at.clone())) {
            return Ok(());
        }
        // Milestones without a timestamp (rare, trimmed payloads) are taken as they come.
        let done = sqlx::query(
            "INSERT INTO milestones (id, repository_id, number, title, description, state, due_on, open_issues, closed_issues, created_at, updated_at, closed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             ON CONFLICT (id) DO UPDATE SET number = excluded.number, title = excluded.title, description = excluded.description, state = excluded.state, due_on = excluded.due_on, \
             open_issues = excluded.open_issues, closed_issues = excluded.closed_issues, created_at = excluded.created_at, updated_at = excluded.updated_at, closed_at = excluded.closed_at \
             WHERE milestones.repository_id = excluded.repository_id \
             AND (milestones.updated_at IS NULL OR excluded.updated_at IS NULL OR excluded.updated_at >= milestones.updated_at)",
        )
        .bind(m.id)
        .bind(repo_id)
        .bind(m.number)
        .bind(&m.title)
        .bind(&m.description)
        .bind(&m.state)
        .bind(&m.due_on)
        .bind(m.open_issues.unwrap_or(0))
        .bind(m.closed_issues.unwrap_or(0))
        .bind(&m.created_at)
        .bind(&m.updated_at)
        .bind(&m.closed_at)
        .execute(&mut *self.conn)
        .await?;
        if done.rows_affected() == 0 {
            // Older than what the mirror holds, or another repository's.
            let owner: Option<i64> =
                sqlx::query_scalar("SELECT repository_id FROM milestones WHERE id = $1")
                    .bind(m.id)
                    .fetch_optional(&mut *self.conn)
                    .await?;
            if owner.is_some_and(|o| o != repo_id) {
                anyhow::bail!("milestone {} belongs to another repository in the mirror: a milestone is never shared, so the payload is not GitHub's", m.id);
            }
        }
        Ok(())
    }

    /// Removes the repository's milestone with this number, if the mirror has it.
    pub async fn remove_milestone_numbered(
        &mut self,
        repo_id: i64,
        number: i64,
    ) -> anyhow::Result<()> {
        let id: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM milestones WHERE repository_id = $1 AND number = $2",
        )
        .bind(repo_id)
        .bind(number)
        .fetch_optional(&mut *self.conn)
        .await?;
        if let Some(id) = id {
            self.remove_milestone(id).await?;
        }
        Ok(())
    }

    pub async fn remove_milestone(&mut self, milestone_id: i64) -> anyhow::Result<()> {
        sqlx::query("UPDATE issues SET milestone_id = NULL WHERE milestone_id = $1")
            .bind(milestone_id)
            .execute(&mut *self.conn)
            .await?;
        sqlx::query("DELETE FROM milestones WHERE id = $1")
            .bind(milestone_id)
            .execute(&mut *self.conn)
            .await?;
        self.rollup_milestone_removed(milestone_id).await
    }

    /// Upserts an issue (or pull request stub) with its labels, assignees and milestone.
    /// `generation` marks it as seen by a full sync.
    pub async fn issue(
        &mut self,
        seen: &mut Seen,
        repo_id: i64,
        i: &Issue,
        generation: Option<i64>,
    ) -> anyhow::Result<Applied> {
        Ok(self
            .issues(seen, repo_id, std::slice::from_ref(i), generation)
            .await?[0])
    }

    /// A page of issues in a few statements: the checks and the label and assignee rows are
    /// written for the whole page at once (a sync page costs ~110 statements, not ~1,000).
    pub async fn issues(
        &mut self,
        seen: &mut Seen,
        repo_id: i64,
        page: &[Issue],
        generation: Option<i64>,
    ) -> anyhow::Result<Vec<Applied>> {
        if page.is_empty() {
            return Ok(Vec::new());
        }
        // Ids come from parsed integers, so listing them inline is safe.
        let ids = id_list(page.iter().map(|i| i.id));
        let tombstoned: HashSet<i64> = sqlx::query_scalar::<_, i64>(&format!(
            "SELECT issue_id FROM issue_tombstones WHERE issue_id IN ({ids})"
        ))
        .fetch_all(&mut *self.conn)
        .await?
        .into_iter()
        .collect();
        // The relations of an issue need fetching when GitHub says it has some, or when the
        // mirror holds some (they may have been removed).
        let linked: HashSet<i64> = sqlx::query_scalar::<_, i64>(&format!(
            "SELECT parent_id FROM sub_issue_links WHERE parent_id IN ({ids}) UNION SELECT blocked_id FROM dependencies WHERE blocked_id IN ({ids})"
        ))
        .fetch_all(&mut *self.conn)
        .await?
        .into_iter()
        .collect();
        // The statuses stored now, so a change is recorded only when the status derived
        // from the row being stored differs: one read for the page. On PostgreSQL another
        // transaction (a webhook batch beside a sync) may be storing the same issues: the
        // rows are locked, in id order, so each reads the status the other committed and a
        // change is recorded once. (SQLite takes one writer at a time.)
        let postgres = self.conn.backend_name() == "PostgreSQL";
        let lock = if postgres {
            " ORDER BY id FOR UPDATE"
        } else {
            ""
        };
        let mut current = self.stored_statuses(&ids, lock).await?;
        if postgres {
            // Issues not mirrored yet have no row to lock: two transactions storing the same
            // new issue take turns on a lock named by its id (the projector's only advisory
            // lock), and the second then reads what the first stored.
            let mut absent: Vec<i64> = page
                .iter()
                .map(|i| i.id)
                .filter(|id| !current.contains_key(id))
                .collect();
            absent.sort_unstable();
            absent.dedup();
            if !absent.is_empty() {
                let values = absent
                    .iter()
                    .map(|id| format!("({id})"))
                    .collect::<Vec<_>>()
                    .join(", ");
                sqlx::query(&format!(
                    "SELECT COUNT(*) FROM (SELECT pg_advisory_xact_lock(v.id) FROM (VALUES {values}) AS v(id)) AS l"
                ))
                .persistent(false)
                .execute(&mut *self.conn)
                .await?;
                current.extend(self.stored_statuses(&id_list(absent), "").await?);
            }
        }
        let workflow = self.workflow(repo_id).await?;
        let before = self.issue_snapshot(&ids).await?;
        let mut changes: Vec<Change<'_>> = Vec::new();
        let mut users: Vec<&User> = Vec::new();
        for i in page.iter().filter(|i| !tombstoned.contains(&i.id)) {
            users.extend(i.user.iter());
            users.extend(i.assignees.iter());
        }
        for u in users {
            self.user(seen, u).await?;
        }
        let mut outcomes = Vec::with_capacity(page.len());
        let mut stored: Vec<&Issue> = Vec::new();
        for i in page {
            if tombstoned.contains(&i.id) {
                outcomes.push(Applied::Tombstoned);
                continue;
            }
            if let Some(m) = &i.milestone {
                self.milestone(seen, repo_id, m).await?;
            }
            // Pull requests are not tracked work.
            let status = i.pull_request.is_none().then(|| {
                workflow.derive(
                    &i.state,
                    i.state_reason.as_deref(),
                    i.labels.iter().map(|l| l.name.as_str()),
                )
            });
            let applied = self
                .upsert_issue(repo_id, i, status, generation, linked.contains(&i.id))
                .await?;
            if applied == Applied::Stored {
                stored.push(i);
                let from = current.insert(i.id, status).flatten();
                if let Some(to) = status.filter(|to| from != Some(*to)) {
                    changes.push(Change {
                        issue_id: i.id,
                        from,
                        to,
                        at: &i.updated_at,
                        reason: to
                            .is_closed()
                            .then_some(i.state_reason.as_deref())
                            .flatten(),
                        violation: from.is_some_and(|f| !workflow.allows(f, to)),
                    });
                }
            }
            outcomes.push(applied);
        }
        if stored.is_empty() {
            return Ok(outcomes);
        }
        let moves = self.issue_events(repo_id, before, &stored);
        self.record_changes(repo_id, &changes).await?;
        self.milestone_events(repo_id, moves).await?;
        for i in &stored {
            for l in &i.labels {
                self.label(seen, repo_id, l).await?;
            }
        }
        let stored_ids = id_list(stored.iter().map(|i| i.id));
        sqlx::query(&format!(
            "DELETE FROM issue_labels WHERE issue_id IN ({stored_ids})"
        ))
        .execute(&mut *self.conn)
        .await?;
        sqlx::query(&format!(
            "DELETE FROM issue_assignees WHERE issue_id IN ({stored_ids})"
        ))
        .execute(&mut *self.conn)
        .await?;
        let mut pairs: Vec<(i64, i64)> = stored
            .iter()
            .flat_map(|i| i.labels.iter().map(move |l| (i.id, l.id)))
            .collect();
        pairs.sort_unstable();
        pairs.dedup();
        for chunk in pairs.chunks(400) {
            let sql = format!(
                "INSERT INTO issue_labels (issue_id, label_id) VALUES {} ON CONFLICT DO NOTHING",
                placeholders(chunk.len(), 2)
            );
            let mut q = sqlx::query(&sql);
            for (issue, label) in chunk {
                q = q.bind(*issue).bind(*label);
            }
            q.execute(&mut *self.conn).await?;
        }
        let mut logins: Vec<(i64, &str)> = stored
            .iter()
            .flat_map(|i| i.assignees.iter().map(move |a| (i.id, a.login.as_str())))
            .collect();
        logins.sort_unstable();
        logins.dedup();
        for chunk in logins.chunks(400) {
            let sql = format!(
                "INSERT INTO issue_assignees (issue_id, login) VALUES {} ON CONFLICT DO NOTHING",
                placeholders(chunk.len(), 2)
            );
            let mut q = sqlx::query(&sql);
            for (issue, login) in chunk {
                q = q.bind(*issue).bind(*login);
            }
            q.execute(&mut *self.conn).await?;
        }
        self.rollup_issues(&stored).await?;
        Ok(outcomes)
    }

    async fn upsert_issue(
        &mut self,
        repo_id: i64,
        i: &Issue,
        status: Option<Status>,
        generation: Option<i64>,
        has_links: bool,
    ) -> anyhow::Result<Applied> {
        let sub = i.sub_issues_summary.clone().unwrap_or_default();
        let deps = i.issue_dependencies_summary.clone().unwrap_or_default();
        let dirty = flag(sub.total > 0 || deps.total_blocked_by > 0 || has_links);

        let done = sqlx::query(
            "INSERT INTO issues (id, repository_id, number, node_id, title, body, state, state_reason, is_pull_request, user_login, milestone_id, issue_type, comments_count, locked, html_url, \
             sub_issues_total, sub_issues_completed, blocked_by_total, blocking_total, created_at, updated_at, closed_at, seen_generation, relations_dirty, status, confirmed_updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26) \
             ON CONFLICT (id) DO UPDATE SET repository_id = excluded.repository_id, number = excluded.number, node_id = excluded.node_id, title = excluded.title, body = excluded.body, \
             state = excluded.state, state_reason = excluded.state_reason, is_pull_request = excluded.is_pull_request, user_login = excluded.user_login, milestone_id = excluded.milestone_id, \
             issue_type = excluded.issue_type, comments_count = excluded.comments_count, locked = excluded.locked, html_url = excluded.html_url, sub_issues_total = excluded.sub_issues_total, \
             sub_issues_completed = excluded.sub_issues_completed, blocked_by_total = excluded.blocked_by_total, blocking_total = excluded.blocking_total, created_at = excluded.created_at, \
             updated_at = excluded.updated_at, closed_at = excluded.closed_at, relations_dirty = excluded.relations_dirty, status = excluded.status, \
             confirmed_updated_at = CASE WHEN excluded.confirmed_updated_at IS NOT NULL THEN excluded.confirmed_updated_at \
               WHEN excluded.updated_at = issues.updated_at THEN issues.confirmed_updated_at ELSE NULL END, \
             seen_generation = CASE WHEN excluded.seen_generation > issues.seen_generation THEN excluded.seen_generation ELSE issues.seen_generation END \
             WHERE excluded.updated_at > issues.updated_at OR (excluded.updated_at = issues.updated_at \
               AND (excluded.confirmed_updated_at IS NOT NULL OR issues.confirmed_updated_at IS NULL OR issues.confirmed_updated_at <> issues.updated_at))",
        )
        .bind(i.id)
        .bind(repo_id)
        .bind(i.number)
        .bind(&i.node_id)
        .bind(&i.title)
        .bind(&i.body)
        .bind(&i.state)
        .bind(&i.state_reason)
        .bind(flag(i.pull_request.is_some()))
        .bind(i.user.as_ref().map(|u| u.login.clone()))
        .bind(i.milestone.as_ref().map(|m| m.id))
        .bind(i.issue_type.as_ref().map(|t| t.name.clone()))
        .bind(i.comments.unwrap_or(0))
        .bind(flag(i.locked.unwrap_or(false)))
        .bind(&i.html_url)
        .bind(sub.total)
        .bind(sub.completed)
        .bind(deps.total_blocked_by)
        .bind(deps.total_blocking)
        .bind(&i.created_at)
        .bind(&i.updated_at)
        .bind(&i.closed_at)
        .bind(generation.unwrap_or(0))
        .bind(dirty)
        .bind(status.map(Status::as_str))
        .bind(self.confirmed.then(|| i.updated_at.clone()))
        .execute(&mut *self.conn)
        .await?;
        if done.rows_affected() == 0 {
            // Stale, but a full sync still saw it: it exists.
            if let Some(g) = generation {
                sqlx::query(
                    "UPDATE issues SET seen_generation = $1 WHERE id = $2 AND seen_generation < $1",
                )
                .bind(g)
                .bind(i.id)
                .execute(&mut *self.conn)
                .await?;
            }
            return Ok(Applied::Stale);
        }
        Ok(Applied::Stored)
    }

    /// GitHub says the issue is gone (deleted or transferred): it leaves the mirror, and a
    /// tombstone keeps late events from bringing it back.
    pub async fn remove_issue(&mut self, issue_id: i64, reason: &str) -> anyhow::Result<()> {
        let repo_number = sqlx::query_as::<_, IssueNumber>(
            "SELECT repository_id, number FROM issues WHERE id = $1",
        )
        .bind(issue_id)
        .fetch_optional(&mut *self.conn)
        .await?;
        self.removal_events(issue_id, reason).await?;
        for sql in [
            "DELETE FROM issue_labels WHERE issue_id = $1",
            "DELETE FROM issue_assignees WHERE issue_id = $1",
            "DELETE FROM sub_issue_links WHERE parent_id = $1 OR child_id = $1",
            "DELETE FROM dependencies WHERE blocked_id = $1 OR blocking_id = $1",
            "DELETE FROM issues WHERE id = $1",
        ] {
            sqlx::query(sql)
                .bind(issue_id)
                .execute(&mut *self.conn)
                .await?;
        }
        if let Some(r) = repo_number {
            sqlx::query("DELETE FROM comments WHERE repository_id = $1 AND issue_number = $2")
                .bind(r.repository_id)
                .bind(r.number)
                .execute(&mut *self.conn)
                .await?;
        }
        sqlx::query("INSERT INTO issue_tombstones (issue_id, reason, at) VALUES ($1, $2, $3) ON CONFLICT (issue_id) DO NOTHING")
            .bind(issue_id)
            .bind(reason)
            .bind(crate::now_text())
            .execute(&mut *self.conn)
            .await?;
        self.rollup_removed(&[issue_id]).await
    }

    pub async fn comment(
        &mut self,
        seen: &mut Seen,
        repo_id: i64,
        c: &Comment,
        generation: Option<i64>,
    ) -> anyhow::Result<Applied> {
        let Some(number) = c.issue_number() else {
            anyhow::bail!(
                "comment {} has no issue number in issue_url '{}'",
                c.id,
                c.issue_url
            );
        };
        if let Some(u) = &c.user {
            self.user(seen, u).await?;
        }
        let done = sqlx::query(
            "INSERT INTO comments (id, repository_id, issue_number, user_login, body, html_url, created_at, updated_at, seen_generation) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (id) DO UPDATE SET body = excluded.body, user_login = excluded.user_login, html_url = excluded.html_url, updated_at = excluded.updated_at, \
             issue_number = excluded.issue_number, repository_id = excluded.repository_id, \
             seen_generation = CASE WHEN excluded.seen_generation > comments.seen_generation THEN excluded.seen_generation ELSE comments.seen_generation END \
             WHERE excluded.updated_at >= comments.updated_at",
        )
        .bind(c.id)
        .bind(repo_id)
        .bind(number)
        .bind(c.user.as_ref().map(|u| u.login.clone()))
        .bind(&c.body)
        .bind(&c.html_url)
        .bind(&c.created_at)
        .bind(&c.updated_at)
        .bind(generation.unwrap_or(0))
        .execute(&mut *self.conn)
        .await?;
        if done.rows_affected() == 0 {
            if let Some(g) = generation {
                sqlx::query("UPDATE comments SET seen_generation = $1 WHERE id = $2")
                    .bind(g)
                    .bind(c.id)
                    .execute(&mut *self.conn)
                    .await?;
            }
            return Ok(Applied::Stale);
        }
        Ok(Applied::Stored)
    }

    pub async fn remove_comment(&mut self, comment_id: i64) -> anyhow::Result<()> {
        sqlx::query("DELETE FROM comments WHERE id = $1")
            .bind(comment_id)
            .execute(&mut *self.conn)
            .await?;
        Ok(())
    }

    /// Whether either issue was deleted or transferred: a link to it arriving late (webhooks
    /// come out of order) must not outlive it.
    async fn either_gone(&mut self, a: i64, b: i64) -> anyhow::Result<bool> {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM issue_tombstones WHERE issue_id IN ($1, $2)")
                .bind(a)
                .bind(b)
                .fetch_one(&mut *self.conn)
                .await?;
        Ok(n > 0)
    }

    /// Replaces the sub-issues of `parent` with `children`, in priority order.
    pub async fn set_sub_issues(&mut self, parent: i64, children: &[i64]) -> anyhow::Result<()> {
        for child in children {
            not_itself(parent, *child, "sub-issue")?;
        }
        let touched = [&[parent], children].concat();
        let before = self.links_before(Links::SubIssues, &touched).await?;
        sqlx::query("DELETE FROM sub_issue_links WHERE parent_id = $1")
            .bind(parent)
            .execute(&mut *self.conn)
            .await?;
        for (pos, child) in children.iter().enumerate() {
            if self.either_gone(parent, *child).await? {
                continue;
            }
            // One parent per child: a link elsewhere is superseded.
            sqlx::query(
                "INSERT INTO sub_issue_links (child_id, parent_id, position) VALUES ($1, $2, $3) \
                 ON CONFLICT (child_id) DO UPDATE SET parent_id = excluded.parent_id, position = excluded.position",
            )
            .bind(*child)
            .bind(parent)
            .bind(pos as i64)
            .execute(&mut *self.conn)
            .await?;
        }
        self.link_events(Links::SubIssues, &touched, before).await?;
        self.rollup_links(&[parent], children).await
    }

    pub async fn link_sub_issue(&mut self, parent: i64, child: i64) -> anyhow::Result<()> {
        not_itself(parent, child, "sub-issue")?;
        if self.either_gone(parent, child).await? {
            return Ok(());
        }
        let before = self
            .links_before(Links::SubIssues, &[parent, child])
            .await?;
        let next: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(position) + 1, 0) FROM sub_issue_links WHERE parent_id = $1",
        )
        .bind(parent)
        .fetch_one(&mut *self.conn)
        .await?;
        sqlx::query(
            "INSERT INTO sub_issue_links (child_id, parent_id, position) VALUES ($1, $2, $3) \
             ON CONFLICT (child_id) DO UPDATE SET parent_id = excluded.parent_id, position = CASE WHEN sub_issue_links.parent_id = excluded.parent_id THEN sub_issue_links.position ELSE excluded.position END",
        )
        .bind(child)
        .bind(parent)
        .bind(next)
        .execute(&mut *self.conn)
        .await?;
        self.link_events(Links::SubIssues, &[parent, child], before)
            .await?;
        self.rollup_links(&[parent], &[child]).await
    }

    pub async fn unlink_sub_issue(&mut self, parent: i64, child: i64) -> anyhow::Result<()> {
        let before = self
            .links_before(Links::SubIssues, &[parent, child])
            .await?;
        sqlx::query("DELETE FROM sub_issue_links WHERE parent_id = $1 AND child_id = $2")
            .bind(parent)
            .bind(child)
            .execute(&mut *self.conn)
            .await?;
        self.link_events(Links::SubIssues, &[parent, child], before)
            .await?;
        self.rollup_links(&[parent], &[child]).await
    }

    /// Replaces the issues blocking `blocked`.
    pub async fn set_blocked_by(&mut self, blocked: i64, blockers: &[i64]) -> anyhow::Result<()> {
        let before = self.links_before(Links::Dependencies, &[blocked]).await?;
        sqlx::query("DELETE FROM dependencies WHERE blocked_id = $1")
            .bind(blocked)
            .execute(&mut *self.conn)
            .await?;
        for b in blockers {
            self.insert_dependency(blocked, *b).await?;
        }
        self.link_events(Links::Dependencies, &[blocked], before)
            .await
    }

    pub async fn add_dependency(&mut self, blocked: i64, blocking: i64) -> anyhow::Result<()> {
        let before = self.links_before(Links::Dependencies, &[blocked]).await?;
        self.insert_dependency(blocked, blocking).await?;
        self.link_events(Links::Dependencies, &[blocked], before)
            .await
    }

    async fn insert_dependency(&mut self, blocked: i64, blocking: i64) -> anyhow::Result<()> {
        not_itself(blocked, blocking, "blocker")?;
        if self.either_gone(blocked, blocking).await? {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO dependencies (blocked_id, blocking_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(blocked)
        .bind(blocking)
        .execute(&mut *self.conn)
        .await?;
        Ok(())
    }

    pub async fn remove_dependency(&mut self, blocked: i64, blocking: i64) -> anyhow::Result<()> {
        let before = self.links_before(Links::Dependencies, &[blocked]).await?;
        sqlx::query("DELETE FROM dependencies WHERE blocked_id = $1 AND blocking_id = $2")
            .bind(blocked)
            .bind(blocking)
            .execute(&mut *self.conn)
            .await?;
        self.link_events(Links::Dependencies, &[blocked], before)
            .await
    }

    pub async fn clear_relations_dirty(&mut self, issue_id: i64) -> anyhow::Result<()> {
        sqlx::query("UPDATE issues SET relations_dirty = 0 WHERE id = $1")
            .bind(issue_id)
            .execute(&mut *self.conn)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod same_second_tests {
    use crate::records::{Issue, Repository};
    use crate::tracking::{Provenance, Source};
    use crate::Store;
    use serde_json::json;

    fn issue(title: &str) -> Issue {
        serde_json::from_value(json!({
            "id": 7, "number": 1, "title": title, "state": "open", "labels": [], "assignees": [],
            "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:05Z"
        }))
        .unwrap()
    }

    async fn project(s: &Store, i: &Issue, source: Source) {
        let mut tx = s.begin_mirror_write().await.unwrap();
        tx.set_provenance(Provenance::new(source));
        if source == Source::Api {
            tx.confirmed_by_github();
        }
        let mut seen = super::Seen::default();
        tx.mirror().issue(&mut seen, 1, i, None).await.unwrap();
        tx.commit().await.unwrap();
    }

    async fn title(s: &Store) -> String {
        s.issue_reads().get(7).await.unwrap().unwrap().title
    }

    /// Within one second: ghgov writes A then B; the late echo of A (or any fact of that
    /// second from elsewhere) must not bring A back; GitHub's state read after the second
    /// settles it; a later second always wins.
    #[tokio::test]
    async fn a_late_echo_of_our_own_write_in_the_same_second_changes_nothing() {
        let dir = std::env::temp_dir().join(format!("ghgov-tie-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let s = Store::open(&format!("sqlite://{}", dir.join("t.db").display()))
            .await
            .unwrap();
        let repo: Repository = serde_json::from_value(json!({
            "id": 1, "name": "widgets", "full_name": "acme/widgets", "owner": {"login": "acme", "id": 2}, "open_issues_count": 0
        }))
        .unwrap();
        let mut tx = s.begin_mirror_write().await.unwrap();
        tx.mirror().repository(&repo).await.unwrap();
        tx.commit().await.unwrap();
        project(&s, &issue("A"), Source::Api).await;
        project(&s, &issue("B"), Source::Api).await;
        assert_eq!(title(&s).await, "B", "ghgov's later answer wins the tie");
        project(&s, &issue("A"), Source::Webhook).await;
        assert_eq!(title(&s).await, "B", "the echo of A is ours and stale");
        project(&s, &issue("C"), Source::Webhook).await;
        assert_eq!(
            title(&s).await,
            "B",
            "a same-second fact from elsewhere waits for the settling read"
        );
        // The writer's read once the second has passed: GitHub says C.
        project(&s, &issue("C"), Source::Api).await;
        assert_eq!(title(&s).await, "C", "the settling read is GitHub's word");
        project(&s, &issue("B"), Source::Webhook).await;
        assert_eq!(title(&s).await, "C", "B's late echo does not undo it");
        let later = Issue {
            updated_at: "2026-01-01T00:00:06Z".into(),
            ..issue("A")
        };
        project(&s, &later, Source::Webhook).await;
        assert_eq!(title(&s).await, "A", "a later second always wins");
    }
}
