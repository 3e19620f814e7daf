//! Domain events: what changed in the mirror, recorded in the same transaction as the change
//! (`domain_events`, migration 0009), for the consumers that follow (notifications, agents,
//! analytics) to page through by id.
//!
//! A transaction's events wait in memory ([`WriteTx`]'s buffer, which a savepoint's rollback
//! cuts back) and are written by its commit, in a few statements, just before `COMMIT`: on
//! PostgreSQL under a table lock, on SQLite within the one write turn. Their ids are given
//! there, following `MAX(id)`, so ids follow commit order: a reader that has seen id N never
//! later finds a newly committed event below N (paging by `after` skips nothing and repeats
//! nothing however writers interleave). Events are emitted only where stored state changed
//! (the rule the status history follows), so replays and reconciles that change nothing
//! emit nothing.

use crate::projector::{Change, MirrorTx};
use crate::records::Issue;
use crate::sql::{anonymous_placeholders, id_list, placeholders};
use crate::tracking::{Provenance, Status};
use crate::{Store, WriteTx};
use serde_json::json;
use sqlx::{AnyConnection, FromRow};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Every event type ghgov records (the API refuses a `type` filter outside it).
pub const EVENT_TYPES: &[&str] = &[
    ISSUE_CREATED,
    ISSUE_UPDATED,
    ISSUE_CLOSED,
    ISSUE_REOPENED,
    ISSUE_REMOVED,
    ISSUE_STATUS_CHANGED,
    ISSUE_ASSIGNED,
    ISSUE_UNASSIGNED,
    HIERARCHY_UPDATED,
    DEPENDENCY_ADDED,
    DEPENDENCY_REMOVED,
    MILESTONE_PROGRESS_CHANGED,
    CONFLICT_DETECTED,
];

pub const ISSUE_CREATED: &str = "issue.created";
pub const ISSUE_UPDATED: &str = "issue.updated";
pub const ISSUE_CLOSED: &str = "issue.closed";
pub const ISSUE_REOPENED: &str = "issue.reopened";
/// Deleted or transferred on GitHub: it left the mirror.
pub const ISSUE_REMOVED: &str = "issue.removed";
pub const ISSUE_STATUS_CHANGED: &str = "issue.status_changed";
pub const ISSUE_ASSIGNED: &str = "issue.assigned";
pub const ISSUE_UNASSIGNED: &str = "issue.unassigned";
pub const HIERARCHY_UPDATED: &str = "hierarchy.updated";
pub const DEPENDENCY_ADDED: &str = "dependency.added";
pub const DEPENDENCY_REMOVED: &str = "dependency.removed";
pub const MILESTONE_PROGRESS_CHANGED: &str = "milestone.progress_changed";
/// Recorded by ghgov's writer (not the projector).
pub const CONFLICT_DETECTED: &str = "conflict.detected";

/// The kinds of entity an event is about (`entity=KIND:ID` in the API).
pub const ENTITIES: &[&str] = &["issue", "milestone", "conflict", "repository"];

/// An event recorded earlier in the same transaction, to name as a cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventRef(pub(crate) usize);

/// What caused an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// An event of this transaction (its id is given at commit).
    Pending(EventRef),
    /// An event already committed.
    Recorded(i64),
}

/// An event to record.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// One of [`EVENT_TYPES`].
    pub event_type: &'static str,
    /// One of [`ENTITIES`].
    pub entity: &'static str,
    pub entity_id: i64,
    pub repository_id: Option<i64>,
    /// A JSON object.
    pub payload: serde_json::Value,
    /// When the change happened (RFC 3339, the mirror's format).
    pub occurred_at: String,
    pub causation: Option<Cause>,
}

impl NewEvent {
    pub fn new(
        event_type: &'static str,
        entity: &'static str,
        entity_id: i64,
        repository_id: Option<i64>,
        occurred_at: &str,
        payload: serde_json::Value,
    ) -> NewEvent {
        NewEvent {
            event_type,
            entity,
            entity_id,
            repository_id,
            payload,
            occurred_at: occurred_at.to_string(),
            causation: None,
        }
    }

    pub fn caused_by(mut self, cause: Option<Cause>) -> NewEvent {
        self.causation = cause;
        self
    }
}

/// An event waiting for its transaction's commit, with the provenance it was made under.
#[derive(Debug, Clone)]
pub struct PendingEvent {
    pub(crate) event: NewEvent,
    pub(crate) provenance: Provenance,
}

/// Adds an event to the buffer, with this provenance; its reference, to name as a cause.
pub(crate) fn push(
    buffer: &mut Vec<PendingEvent>,
    provenance: &Provenance,
    event: NewEvent,
) -> EventRef {
    buffer.push(PendingEvent {
        event,
        provenance: provenance.clone(),
    });
    EventRef(buffer.len() - 1)
}

/// Records an event in this transaction, with the transaction's provenance (correlation id,
/// source, actor): it is written by the transaction's commit and undone with it. For
/// changes outside the projector (the writer's `conflict.detected`); the projector records
/// its own.
pub fn record_event(tx: &mut WriteTx, event: NewEvent) -> EventRef {
    push(&mut tx.events, &tx.provenance, event)
}

#[derive(FromRow)]
struct RepoNameRow {
    id: i64,
    full_name: String,
}

/// Events written by one INSERT (see [`flush`]).
const ROWS_PER_INSERT: usize = 1000;

/// Writes a transaction's events, just before its commit (see the module's comment).
pub(crate) async fn flush(
    conn: &mut AnyConnection,
    events: &[PendingEvent],
) -> Result<(), sqlx::Error> {
    if events.is_empty() {
        return Ok(());
    }
    if conn.backend_name() == "PostgreSQL" {
        // Ids follow commit order: whoever writes events holds this lock until its commit,
        // so no transaction can commit a lower id after a reader saw a higher one. Plain
        // reads do not wait for it (EXCLUSIVE conflicts with writers, not with SELECT).
        sqlx::query("LOCK TABLE domain_events IN EXCLUSIVE MODE")
            .execute(&mut *conn)
            .await?;
    }
    let first: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM domain_events")
        .fetch_one(&mut *conn)
        .await?;
    let mut repo_ids: Vec<i64> = events
        .iter()
        .filter_map(|e| e.event.repository_id)
        .collect();
    repo_ids.sort_unstable();
    repo_ids.dedup();
    let names: HashMap<i64, String> = if repo_ids.is_empty() {
        HashMap::new()
    } else {
        sqlx::query_as::<_, RepoNameRow>(&format!(
            "SELECT id, full_name FROM repositories WHERE id IN ({})",
            id_list(&repo_ids)
        ))
        .persistent(false)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|r| (r.id, r.full_name))
        .collect()
    };
    let recorded_at = crate::now_text();
    // One statement for a page's events (13 values a row, within both databases' bind
    // limits); on SQLite with anonymous parameters, which it need not look up by name.
    let sqlite = conn.backend_name() == "SQLite";
    for (c, chunk) in events.chunks(ROWS_PER_INSERT).enumerate() {
        let values = if sqlite {
            anonymous_placeholders(chunk.len(), 13)
        } else {
            placeholders(chunk.len(), 13)
        };
        let sql = format!(
            "INSERT INTO domain_events (id, event_type, entity, entity_id, repository_id, repository, payload, correlation_id, causation_id, source, actor, occurred_at, recorded_at) VALUES {values}"
        );
        let mut q = sqlx::query(&sql);
        for (k, e) in chunk.iter().enumerate() {
            let id = first + (c * ROWS_PER_INSERT + k) as i64;
            let causation = e.event.causation.and_then(|cause| match cause {
                Cause::Recorded(id) => Some(id),
                // A cause undone with its savepoint leaves no reference.
                Cause::Pending(EventRef(at)) => (at < events.len()).then_some(first + at as i64),
            });
            let p = &e.provenance;
            q = q
                .bind(id)
                .bind(e.event.event_type)
                .bind(e.event.entity)
                .bind(e.event.entity_id)
                .bind(e.event.repository_id)
                .bind(
                    e.event
                        .repository_id
                        .and_then(|r| names.get(&r))
                        .map(String::as_str),
                )
                .bind(e.event.payload.to_string())
                .bind(p.correlation.as_deref())
                .bind(causation)
                .bind(p.source.as_str())
                .bind(p.actor.as_deref())
                .bind(e.event.occurred_at.as_str())
                .bind(recorded_at.as_str());
        }
        q.persistent(false).execute(&mut *conn).await?;
    }
    Ok(())
}

/// A savepoint's view of its transaction's events: what it added is cut back when it is
/// rolled back or dropped, kept when it commits.
pub(crate) struct EventsSince<'t> {
    pub(crate) buffer: &'t mut Vec<PendingEvent>,
    mark: usize,
    pub(crate) keep: bool,
}

impl<'t> EventsSince<'t> {
    pub(crate) fn new(buffer: &'t mut Vec<PendingEvent>) -> Self {
        let mark = buffer.len();
        EventsSince {
            buffer,
            mark,
            keep: false,
        }
    }
}

impl Drop for EventsSince<'_> {
    fn drop(&mut self) {
        if !self.keep {
            self.buffer.truncate(self.mark);
        }
    }
}

// ---------------------------------------------------------------- the projector's events

/// What the mirror held of an issue before a page was stored: what its events compare.
#[derive(Debug, Clone)]
pub(crate) struct Snapshot {
    title: String,
    body: Option<String>,
    state: String,
    milestone_id: Option<i64>,
    labels: BTreeMap<i64, String>,
    assignees: BTreeSet<String>,
}

impl Snapshot {
    fn of(i: &Issue) -> Snapshot {
        Snapshot {
            title: i.title.clone(),
            body: i.body.clone(),
            state: i.state.clone(),
            milestone_id: i.milestone.as_ref().map(|m| m.id),
            labels: i.labels.iter().map(|l| (l.id, l.name.clone())).collect(),
            assignees: i.assignees.iter().map(|a| a.login.clone()).collect(),
        }
    }
}

/// The issues of a page as the mirror held them, by id (absent: not mirrored yet).
pub(crate) type Before = HashMap<i64, Snapshot>;

#[derive(FromRow)]
struct IssueRow {
    id: i64,
    title: String,
    body: Option<String>,
    state: String,
    milestone_id: Option<i64>,
}

#[derive(FromRow)]
struct LabelOf {
    issue_id: i64,
    label_id: i64,
    name: String,
}

#[derive(FromRow)]
struct AssigneeOf {
    issue_id: i64,
    login: String,
}

/// An issue that left or joined a milestone, or moved between open and closed in one.
struct Move {
    issue_id: i64,
    at: String,
    old: Option<(i64, bool)>,
    new: Option<(i64, bool)>,
}

/// The milestone moves of a page, and where its issue events start in the buffer.
pub(crate) struct Moves {
    mark: usize,
    moves: Vec<Move>,
}

#[derive(FromRow)]
struct MilestoneCounts {
    id: i64,
    number: i64,
    open_issues: i64,
    closed_issues: i64,
}

#[derive(FromRow)]
struct Pair {
    a: i64,
    b: i64,
}

#[derive(FromRow)]
struct RemovedIssue {
    repository_id: i64,
    number: i64,
    milestone_id: Option<i64>,
    state: String,
    is_pull_request: i64,
}

/// Sub-issue links (parent, child) or dependencies (blocked, blocking).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Links {
    SubIssues,
    Dependencies,
}

fn names(labels: &BTreeMap<i64, String>, ids: impl Iterator<Item = i64>) -> Vec<String> {
    let mut out: Vec<String> = ids.filter_map(|id| labels.get(&id).cloned()).collect();
    out.sort();
    out
}

impl MirrorTx<'_> {
    /// Records an event of this transaction with this door's provenance (it is written by
    /// the commit). The projector's own writes call this where stored state changed.
    pub fn emit(&mut self, event: NewEvent) -> EventRef {
        push(self.events, &self.provenance, event)
    }

    /// The issues with these ids (an id list) as the mirror holds them: three reads a page.
    pub(crate) async fn issue_snapshot(&mut self, ids: &str) -> anyhow::Result<Before> {
        let mut out: Before = sqlx::query_as::<_, IssueRow>(&format!(
            "SELECT id, title, body, state, milestone_id FROM issues WHERE id IN ({ids})"
        ))
        .persistent(false)
        .fetch_all(&mut *self.conn)
        .await?
        .into_iter()
        .map(|r| {
            (
                r.id,
                Snapshot {
                    title: r.title,
                    body: r.body,
                    state: r.state,
                    milestone_id: r.milestone_id,
                    labels: BTreeMap::new(),
                    assignees: BTreeSet::new(),
                },
            )
        })
        .collect();
        for l in sqlx::query_as::<_, LabelOf>(&format!(
            "SELECT il.issue_id, l.id AS label_id, l.name FROM issue_labels il JOIN labels l ON l.id = il.label_id WHERE il.issue_id IN ({ids})"
        ))
        .persistent(false)
        .fetch_all(&mut *self.conn)
        .await?
        {
            if let Some(s) = out.get_mut(&l.issue_id) {
                s.labels.insert(l.label_id, l.name);
            }
        }
        for a in sqlx::query_as::<_, AssigneeOf>(&format!(
            "SELECT issue_id, login FROM issue_assignees WHERE issue_id IN ({ids})"
        ))
        .persistent(false)
        .fetch_all(&mut *self.conn)
        .await?
        {
            if let Some(s) = out.get_mut(&a.issue_id) {
                s.assignees.insert(a.login);
            }
        }
        Ok(out)
    }

    /// The events of the issues a page stored, against what the mirror held before:
    /// created, updated (title, body, labels, milestone), closed or reopened, assigned and
    /// unassigned. Pull requests (stubs) have none, but count in their milestone's progress.
    pub(crate) fn issue_events(
        &mut self,
        repo_id: i64,
        mut before: Before,
        stored: &[&Issue],
    ) -> Moves {
        let mark = self.events.len();
        let mut moves = Vec::new();
        for i in stored {
            let now = Snapshot::of(i);
            // The same issue twice on a page compares with its first version.
            let old = before.insert(i.id, now.clone());
            let place = |s: &Snapshot| s.milestone_id.map(|m| (m, s.state == "open"));
            let (from, to) = (old.as_ref().and_then(place), place(&now));
            if from != to {
                moves.push(Move {
                    issue_id: i.id,
                    at: i.updated_at.clone(),
                    old: from,
                    new: to,
                });
            }
            if i.pull_request.is_some() {
                continue;
            }
            let event = |t: &'static str, payload: serde_json::Value| {
                NewEvent::new(t, "issue", i.id, Some(repo_id), &i.updated_at, payload)
            };
            let Some(old) = old else {
                self.emit(event(
                    ISSUE_CREATED,
                    json!({
                        "number": i.number,
                        "title": i.title,
                        "state": i.state,
                        "labels": names(&now.labels, now.labels.keys().copied()),
                        "assignees": now.assignees,
                        "milestone_id": now.milestone_id,
                    }),
                ));
                continue;
            };
            let mut fields = Vec::new();
            let mut payload = serde_json::Map::new();
            if old.title != now.title {
                fields.push("title");
                payload.insert("title".into(), json!({"from": old.title, "to": now.title}));
            }
            if old.body != now.body {
                fields.push("body");
            }
            if old.labels.keys().ne(now.labels.keys()) {
                fields.push("labels");
                let added = now.labels.keys().filter(|k| !old.labels.contains_key(k));
                let removed = old.labels.keys().filter(|k| !now.labels.contains_key(k));
                payload.insert(
                    "labels".into(),
                    json!({
                        "added": names(&now.labels, added.copied()),
                        "removed": names(&old.labels, removed.copied()),
                    }),
                );
            }
            if old.milestone_id != now.milestone_id {
                fields.push("milestone");
                payload.insert(
                    "milestone".into(),
                    json!({"from": old.milestone_id, "to": now.milestone_id}),
                );
            }
            if !fields.is_empty() {
                payload.insert("number".into(), json!(i.number));
                payload.insert("fields".into(), json!(fields));
                self.emit(event(ISSUE_UPDATED, payload.into()));
            }
            if old.state != now.state {
                if now.state == "closed" {
                    self.emit(event(
                        ISSUE_CLOSED,
                        json!({"number": i.number, "state_reason": i.state_reason}),
                    ));
                } else {
                    self.emit(event(ISSUE_REOPENED, json!({"number": i.number})));
                }
            }
            let added: Vec<&String> = now.assignees.difference(&old.assignees).collect();
            let removed: Vec<&String> = old.assignees.difference(&now.assignees).collect();
            if !added.is_empty() {
                self.emit(event(
                    ISSUE_ASSIGNED,
                    json!({"number": i.number, "logins": added}),
                ));
            }
            if !removed.is_empty() {
                self.emit(event(
                    ISSUE_UNASSIGNED,
                    json!({"number": i.number, "logins": removed}),
                ));
            }
        }
        Moves { mark, moves }
    }

    /// One `issue.status_changed` per status history row, with the same provenance.
    pub(crate) fn status_events(&mut self, repo_id: i64, changes: &[Change<'_>]) {
        for c in changes {
            let p = &self.provenance;
            let payload = json!({
                "from": c.from.map(Status::as_str),
                "to": c.to.as_str(),
                "violation": c.violation,
                "source": p.source.as_str(),
                "actor": p.actor,
                "reason": p.reason.as_deref().or(c.reason),
            });
            self.emit(NewEvent::new(
                ISSUE_STATUS_CHANGED,
                "issue",
                c.issue_id,
                Some(repo_id),
                c.at,
                payload,
            ));
        }
    }

    /// The event of this transaction (since `mark`) that moved an issue: its status change
    /// when it has one, else its close or reopening, creation or update.
    fn cause_of(&self, mark: usize, issue_id: i64) -> Option<Cause> {
        let rank = |t: &str| match t {
            ISSUE_STATUS_CHANGED => 4,
            ISSUE_CLOSED | ISSUE_REOPENED => 3,
            ISSUE_CREATED | ISSUE_REMOVED => 2,
            ISSUE_UPDATED => 1,
            _ => 0,
        };
        (mark..self.events.len())
            .filter(|k| {
                let e = &self.events[*k].event;
                e.entity == "issue" && e.entity_id == issue_id && rank(e.event_type) > 0
            })
            .max_by_key(|k| (rank(self.events[*k].event.event_type), usize::MAX - k))
            .map(|k| Cause::Pending(EventRef(k)))
    }

    async fn milestone_counts(&mut self, ids: &[i64]) -> anyhow::Result<Vec<MilestoneCounts>> {
        // Counted from the index on (milestone_id, state) alone.
        let ids = id_list(ids);
        Ok(sqlx::query_as::<_, MilestoneCounts>(&format!(
            "SELECT m.id, m.number, COALESCE(c.open_issues, 0) AS open_issues, COALESCE(c.closed_issues, 0) AS closed_issues \
             FROM milestones m LEFT JOIN (SELECT milestone_id, \
               COUNT(CASE WHEN state = 'open' THEN 1 END) AS open_issues, \
               COUNT(CASE WHEN state = 'closed' THEN 1 END) AS closed_issues \
               FROM issues WHERE milestone_id IN ({ids}) GROUP BY milestone_id) c ON c.milestone_id = m.id \
             WHERE m.id IN ({ids})"
        ))
        .persistent(false)
        .fetch_all(&mut *self.conn)
        .await?)
    }

    /// One `milestone.progress_changed` per milestone whose open or closed count the page
    /// moved (counted from the mirror, as the API shows them), caused by the first change
    /// that moved it.
    pub(crate) async fn milestone_events(&mut self, repo_id: i64, m: Moves) -> anyhow::Result<()> {
        if m.moves.is_empty() {
            return Ok(());
        }
        // Per milestone, in order of first move: (open, closed) delta, time, cause.
        let mut order: Vec<i64> = Vec::new();
        let mut delta: HashMap<i64, (i64, i64, String, Option<Cause>)> = HashMap::new();
        for mv in &m.moves {
            for (place, sign) in [(mv.old, -1), (mv.new, 1)] {
                let Some((milestone, open)) = place else {
                    continue;
                };
                let d = delta.entry(milestone).or_insert_with(|| {
                    order.push(milestone);
                    (0, 0, mv.at.clone(), self.cause_of(m.mark, mv.issue_id))
                });
                if open {
                    d.0 += sign;
                } else {
                    d.1 += sign;
                }
            }
        }
        let counts: HashMap<i64, MilestoneCounts> = self
            .milestone_counts(&order)
            .await?
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
        for id in order {
            let (d_open, d_closed, at, cause) = &delta[&id];
            let Some(c) = counts.get(&id) else { continue };
            if (*d_open, *d_closed) == (0, 0) {
                continue;
            }
            self.emit(
                NewEvent::new(
                    MILESTONE_PROGRESS_CHANGED,
                    "milestone",
                    id,
                    Some(repo_id),
                    at,
                    json!({
                        "number": c.number,
                        "open": c.open_issues,
                        "closed": c.closed_issues,
                        "previous": {"open": c.open_issues - d_open, "closed": c.closed_issues - d_closed},
                    }),
                )
                .caused_by(*cause),
            );
        }
        Ok(())
    }

    async fn links(&mut self, kind: Links, ids: &[i64]) -> anyhow::Result<BTreeSet<(i64, i64)>> {
        let ids = id_list(ids);
        let sql = match kind {
            Links::SubIssues => format!("SELECT parent_id AS a, child_id AS b FROM sub_issue_links WHERE parent_id IN ({ids}) OR child_id IN ({ids})"),
            Links::Dependencies => format!("SELECT blocked_id AS a, blocking_id AS b FROM dependencies WHERE blocked_id IN ({ids}) OR blocking_id IN ({ids})"),
        };
        Ok(sqlx::query_as::<_, Pair>(&sql)
            .persistent(false)
            .fetch_all(&mut *self.conn)
            .await?
            .into_iter()
            .map(|p| (p.a, p.b))
            .collect())
    }

    /// The links touching these issues before a change to them. On PostgreSQL the issues'
    /// rows are locked first (in id order, as a page's are), so two transactions changing
    /// the same links take turns and the second compares with what the first committed:
    /// each change is recorded once.
    pub(crate) async fn links_before(
        &mut self,
        kind: Links,
        ids: &[i64],
    ) -> anyhow::Result<BTreeSet<(i64, i64)>> {
        if self.conn.backend_name() == "PostgreSQL" {
            sqlx::query(&format!(
                "SELECT id FROM issues WHERE id IN ({}) ORDER BY id FOR UPDATE",
                id_list(ids)
            ))
            .persistent(false)
            .execute(&mut *self.conn)
            .await?;
        }
        self.links(kind, ids).await
    }

    /// The events of a change to the links touching these issues: what was there before
    /// and is gone (removed first), what is there now and was not.
    pub(crate) async fn link_events(
        &mut self,
        kind: Links,
        ids: &[i64],
        before: BTreeSet<(i64, i64)>,
    ) -> anyhow::Result<()> {
        let after = self.links(kind, ids).await?;
        let changes: Vec<((i64, i64), bool)> = before
            .difference(&after)
            .map(|p| (*p, false))
            .chain(after.difference(&before).map(|p| (*p, true)))
            .collect();
        self.emit_links(kind, &changes, None).await
    }

    /// One event per link added (true) or removed (false), about the parent (sub-issues) or
    /// the blocked issue (dependencies).
    async fn emit_links(
        &mut self,
        kind: Links,
        changes: &[((i64, i64), bool)],
        cause: Option<Cause>,
    ) -> anyhow::Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        let repos = self
            .repositories_of(changes.iter().map(|((a, _), _)| *a))
            .await?;
        let at = crate::now_text();
        for &((a, b), added) in changes {
            let (t, payload) = match (kind, added) {
                (Links::SubIssues, _) => (
                    HIERARCHY_UPDATED,
                    json!({"change": if added { "added" } else { "removed" }, "parent_id": a, "child_id": b}),
                ),
                (Links::Dependencies, true) => {
                    (DEPENDENCY_ADDED, json!({"blocked_id": a, "blocking_id": b}))
                }
                (Links::Dependencies, false) => (
                    DEPENDENCY_REMOVED,
                    json!({"blocked_id": a, "blocking_id": b}),
                ),
            };
            let event = NewEvent::new(t, "issue", a, repos.get(&a).copied(), &at, payload);
            self.emit(event.caused_by(cause));
        }
        Ok(())
    }

    async fn repositories_of(
        &mut self,
        ids: impl Iterator<Item = i64>,
    ) -> anyhow::Result<HashMap<i64, i64>> {
        Ok(sqlx::query_as::<_, Pair>(&format!(
            "SELECT id AS a, repository_id AS b FROM issues WHERE id IN ({})",
            id_list(ids.collect::<Vec<_>>())
        ))
        .persistent(false)
        .fetch_all(&mut *self.conn)
        .await?
        .into_iter()
        .map(|p| (p.a, p.b))
        .collect())
    }

    /// The events of an issue leaving the mirror (before its rows are deleted): removed,
    /// its links gone, its milestone's progress. Nothing when it was not mirrored.
    pub(crate) async fn removal_events(
        &mut self,
        issue_id: i64,
        reason: &str,
    ) -> anyhow::Result<()> {
        let Some(r) = sqlx::query_as::<_, RemovedIssue>(
            "SELECT repository_id, number, milestone_id, state, is_pull_request FROM issues WHERE id = $1",
        )
        .bind(issue_id)
        .fetch_optional(&mut *self.conn)
        .await?
        else {
            return Ok(());
        };
        let at = crate::now_text();
        let cause = (r.is_pull_request == 0).then(|| {
            Cause::Pending(self.emit(NewEvent::new(
                ISSUE_REMOVED,
                "issue",
                issue_id,
                Some(r.repository_id),
                &at,
                json!({"number": r.number, "reason": reason}),
            )))
        });
        for kind in [Links::SubIssues, Links::Dependencies] {
            // The deletion that follows leaves none of them.
            let gone: Vec<((i64, i64), bool)> = self
                .links(kind, &[issue_id])
                .await?
                .into_iter()
                .map(|p| (p, false))
                .collect();
            self.emit_links(kind, &gone, cause).await?;
        }
        if let Some(m) = r.milestone_id {
            if let Some(c) = self.milestone_counts(&[m]).await?.pop() {
                let (open, closed) = if r.state == "open" {
                    (c.open_issues - 1, c.closed_issues)
                } else {
                    (c.open_issues, c.closed_issues - 1)
                };
                self.emit(
                    NewEvent::new(
                        MILESTONE_PROGRESS_CHANGED,
                        "milestone",
                        m,
                        Some(r.repository_id),
                        &at,
                        json!({
                            "number": c.number,
                            "open": open,
                            "closed": closed,
                            "previous": {"open": c.open_issues, "closed": c.closed_issues},
                        }),
                    )
                    .caused_by(cause),
                );
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------- reads

/// One recorded event.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct EventRow {
    pub id: i64,
    pub event_type: String,
    pub entity: String,
    pub entity_id: i64,
    pub repository_id: Option<i64>,
    pub repository: Option<String>,
    /// A JSON object, as text.
    pub payload: String,
    pub correlation_id: Option<String>,
    pub causation_id: Option<i64>,
    pub source: String,
    pub actor: Option<String>,
    pub occurred_at: String,
    pub recorded_at: String,
}

/// Which events to read: those after `after`, up to `limit`, optionally of one type and
/// about one entity.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub after: i64,
    pub limit: i64,
    pub event_type: Option<String>,
    pub entity: Option<(String, i64)>,
}

const EVENT_COLUMNS: &str = "id, event_type, entity, entity_id, repository_id, repository, payload, correlation_id, causation_id, source, actor, occurred_at, recorded_at";

impl Store {
    /// Events after `filter.after`, in id order (the order they were committed in).
    pub async fn events(&self, filter: &EventFilter) -> anyhow::Result<Vec<EventRow>> {
        // The same binds whatever the filter: an absent condition holds for every row.
        let (type_cond, type_value) = match &filter.event_type {
            Some(t) => ("event_type = $2", t.clone()),
            None => ("$2 = $2", String::new()),
        };
        let (entity_cond, entity, entity_id) = match &filter.entity {
            Some((e, id)) => ("entity = $3 AND entity_id = $4", e.clone(), *id),
            None => ("$3 = $3 AND $4 = $4", String::new(), 0),
        };
        Ok(sqlx::query_as::<_, EventRow>(&format!(
            "SELECT {EVENT_COLUMNS} FROM domain_events WHERE id > $1 AND {type_cond} AND {entity_cond} ORDER BY id LIMIT $5"
        ))
        .bind(filter.after)
        .bind(type_value)
        .bind(entity)
        .bind(entity_id)
        .bind(filter.limit)
        .fetch_all(&self.pool)
        .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn store() -> Store {
        let dir = std::env::temp_dir().join(format!("ghgov-ev-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        Store::open(&format!("sqlite://{}", dir.join("e.db").display()))
            .await
            .unwrap()
    }

    fn all() -> EventFilter {
        EventFilter {
            after: 0,
            limit: 1000,
            ..EventFilter::default()
        }
    }

    fn ev(t: &'static str, id: i64) -> NewEvent {
        NewEvent::new(
            t,
            "issue",
            id,
            None,
            "2026-01-01T00:00:00Z",
            json!({"n": id}),
        )
    }

    #[tokio::test]
    async fn an_event_is_rolled_back_with_its_transaction() {
        let s = store().await;
        let mut tx = s.begin_write().await.unwrap();
        record_event(&mut tx, ev(ISSUE_CREATED, 1));
        drop(tx);
        assert_eq!(s.events(&all()).await.unwrap(), vec![]);
        // Committed, it is there, with its cause resolved to the id it got.
        let mut tx = s.begin_write().await.unwrap();
        tx.set_provenance(Provenance::new(crate::tracking::Source::Api).correlation("request-7"));
        let first = record_event(&mut tx, ev(ISSUE_CLOSED, 3));
        record_event(
            &mut tx,
            ev(MILESTONE_PROGRESS_CHANGED, 4).caused_by(Some(Cause::Pending(first))),
        );
        tx.commit().await.unwrap();
        let rows = s.events(&all()).await.unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].id, rows[1].id), (1, 2));
        assert_eq!(rows[1].causation_id, Some(1));
        assert_eq!(rows[0].correlation_id.as_deref(), Some("request-7"));
        assert_eq!(rows[0].source, "api");
        assert_eq!(rows[0].payload, r#"{"n":3}"#);
    }

    #[tokio::test]
    async fn a_savepoint_rolled_back_takes_its_events_with_it() {
        let s = store().await;
        let mut tx = s.begin_mirror_write().await.unwrap();
        record_event(&mut tx, ev(ISSUE_CREATED, 1));
        let mut sp = tx.mirror_savepoint().await.unwrap();
        sp.mirror().emit(ev(ISSUE_CREATED, 2));
        sp.rollback().await.unwrap();
        let mut sp = tx.mirror_savepoint().await.unwrap();
        sp.mirror().emit(ev(ISSUE_CREATED, 3));
        drop(sp);
        let mut sp = tx.mirror_savepoint().await.unwrap();
        sp.mirror().emit(ev(ISSUE_CREATED, 4));
        sp.commit().await.unwrap();
        tx.commit().await.unwrap();
        let got: Vec<i64> = s
            .events(&all())
            .await
            .unwrap()
            .iter()
            .map(|r| r.entity_id)
            .collect();
        assert_eq!(got, [1, 4]);
    }

    #[tokio::test]
    async fn filters_and_the_cursor() {
        let s = store().await;
        let mut tx = s.begin_write().await.unwrap();
        for k in 1..=5 {
            record_event(
                &mut tx,
                ev(
                    if k % 2 == 0 {
                        ISSUE_CLOSED
                    } else {
                        ISSUE_CREATED
                    },
                    k,
                ),
            );
        }
        tx.commit().await.unwrap();
        let page = |after, limit, t: Option<&str>, e: Option<i64>| EventFilter {
            after,
            limit,
            event_type: t.map(str::to_string),
            entity: e.map(|id| ("issue".to_string(), id)),
        };
        let ids = |rows: Vec<EventRow>| rows.iter().map(|r| r.id).collect::<Vec<_>>();
        assert_eq!(
            ids(s.events(&page(0, 2, None, None)).await.unwrap()),
            [1, 2]
        );
        assert_eq!(
            ids(s.events(&page(2, 2, None, None)).await.unwrap()),
            [3, 4]
        );
        assert_eq!(
            ids(s
                .events(&page(0, 10, Some(ISSUE_CLOSED), None))
                .await
                .unwrap()),
            [2, 4]
        );
        assert_eq!(
            ids(s.events(&page(0, 10, None, Some(3))).await.unwrap()),
            [3]
        );
        assert_eq!(
            ids(s
                .events(&page(0, 10, Some(ISSUE_CLOSED), Some(3)))
                .await
                .unwrap()),
            Vec::<i64>::new()
        );
    }
}
