//! The one writer inside the server: every change the API asks of GitHub is journaled as an
//! operation (`write_operations`) before it is sent, sent by one task in the order it was
//! asked, through the GitHub client's budget and pacing, and settled together with GitHub's
//! answer projected into the mirror (one transaction). A server stopped at any moment finds
//! its operations still `running` at the next start and resolves each by reading GitHub
//! first: an issue create carries a marker in its body, so one that landed is found, never
//! sent twice.
//!
//! Because the answer is projected at once, the webhook that echoes our own write finds the
//! mirror already at that version and changes nothing (the projector keeps the newest
//! `updated_at`), so it is neither recorded as someone else's change nor written again.

pub mod merge;

use crate::github::types::{Comment, Issue, Milestone};
use crate::github::{
    GitHub, GitHubError, IssueFields, ListOf, Lookup, MilestoneFields, Write, Written,
};
use crate::mirror::projector::Seen;
use crate::store::operations::{NewOperation, OperationRow, OperationStatus};
use crate::store::{RepoName, Store};
use crate::tracking::{Provenance, Source, Status, Workflow};
use anyhow::{anyhow, Context};
use merge::{merge, FieldConflict, IssueSnapshot, Strategies};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};

/// An issue's fields as the API asks to set them; absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IssueEdit {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// The whole set of label names the issue ends up with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<String>>,
    /// The whole set of logins the issue ends up with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignees: Option<Vec<String>>,
    /// A milestone number; `Some(None)` (sent as null) clears it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "null_is_a_value"
    )]
    pub milestone: Option<Option<i64>>,
    /// `open` or `closed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// `completed`, `not_planned` or `reopened` with a state change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_reason: Option<String>,
}

/// A milestone's fields as the API asks to set them; absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MilestoneEdit {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// RFC 3339 (GitHub keeps the day).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_on: Option<String>,
    /// `open` or `closed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

impl MilestoneEdit {
    fn github(&self) -> MilestoneFields {
        MilestoneFields {
            title: self.title.clone(),
            description: self.description.clone(),
            due_on: self.due_on.clone(),
            state: self.state.clone(),
        }
    }
}

/// What GitHub confirmed, as it is recorded: the issue (or the comment, with its issue's
/// id, or the milestone) the operation wrote.
pub enum Confirmed {
    Issue(Box<Issue>),
    Comment {
        issue_id: Option<i64>,
        comment: Box<Comment>,
    },
    Milestone(Box<Milestone>),
}

/// A field present as null reads as `Some(None)` (clear it), an absent one as `None`
/// (leave it), through `#[serde(default)]`.
pub fn null_is_a_value<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<i64>>, D::Error> {
    Option::<i64>::deserialize(d).map(Some)
}

/// What an operation changes on GitHub, as journaled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum Change {
    #[serde(rename = "issue.create")]
    CreateIssue { fields: IssueEdit },
    /// Changes an issue's fields; with `base` (the version the change was based on), merged
    /// field by field with GitHub's issue when sent (see `merge`).
    #[serde(rename = "issue.update")]
    UpdateIssue {
        number: i64,
        fields: IssueEdit,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        base: Option<IssueSnapshot>,
    },
    /// Moves the issue to a workflow status: its status label and open/closed state are
    /// worked out from the issue as GitHub has it when the change is sent, so labels
    /// others set meanwhile are kept.
    /// A comment on issue `number`.
    #[serde(rename = "issue.comment")]
    Comment { number: i64, body: String },
    #[serde(rename = "milestone.create")]
    CreateMilestone { fields: MilestoneEdit },
    #[serde(rename = "milestone.update")]
    UpdateMilestone { number: i64, fields: MilestoneEdit },
    /// Applies a stored, approved governance plan (its own journal makes it resumable).
    #[serde(rename = "plan.apply")]
    ApplyPlan { plan_id: i64 },
    #[serde(rename = "issue.status")]
    SetStatus {
        number: i64,
        status: Status,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
}

impl Change {
    pub fn kind(&self) -> &'static str {
        match self {
            Change::CreateIssue { .. } => "issue.create",
            Change::UpdateIssue { .. } => "issue.update",
            Change::SetStatus { .. } => "issue.status",
            Change::ApplyPlan { .. } => "plan.apply",
            Change::Comment { .. } => "issue.comment",
            Change::CreateMilestone { .. } => "milestone.create",
            Change::UpdateMilestone { .. } => "milestone.update",
        }
    }

    fn reason(&self) -> Option<&str> {
        match self {
            Change::SetStatus { reason, .. } => reason.as_deref(),
            _ => None,
        }
    }
}

/// The marker an issue created by operation `id` carries at the end of its body: an HTML
/// comment GitHub does not render, by which a restarted writer finds a create that landed.
pub fn operation_marker(id: i64) -> String {
    format!("<!-- ghgov:operation:{id} -->")
}

/// How far back a look for a create that may have landed goes (pages of 100, newest first).
const MAX_SEARCH_PAGES: usize = 20;
/// How many unsettled operations one round of the writer takes up.
const BATCH: i64 = 100;
/// How long the writer waits between rounds when nobody wakes it (a safety net).
const IDLE_ROUND: Duration = Duration::from_secs(5);
/// How many times an operation is taken up before a failure that may be passing (a 5xx,
/// a broken connection) counts as final.
const MAX_ATTEMPTS: i64 = 5;
/// How long after GitHub's answer the writer reads the issue again: past the answer's
/// whole second, so GitHub's state then orders every fact of that second.
const SETTLE_AFTER: Duration = Duration::from_millis(1100);
/// The pause before taking up an operation again, times its attempts so far.
const RETRY_PAUSE: Duration = Duration::from_millis(500);

/// The handle the API queues through; `run` is the task `serve` starts.
#[derive(Clone)]
pub struct Writer {
    store: Store,
    gh: Arc<GitHub>,
    wake: Arc<Notify>,
    /// Moves whenever an operation settles, so waiting requests look again.
    settled: Arc<watch::Sender<u64>>,
    /// Issues to read again once the second of GitHub's answer has passed (see
    /// `settle_seconds`), with when.
    rereads: Arc<std::sync::Mutex<Vec<(RepoName, i64, tokio::time::Instant)>>>,
}

impl Writer {
    pub fn new(store: Store, gh: Arc<GitHub>) -> Writer {
        Writer {
            store,
            gh,
            wake: Arc::new(Notify::new()),
            settled: Arc::new(watch::channel(0).0),
            rereads: Arc::default(),
        }
    }

    /// Journals `change` on `repo` for `principal` and wakes the writer; answers the
    /// operation's id.
    pub async fn enqueue(
        &self,
        repo: &RepoName,
        issue_id: Option<i64>,
        change: &Change,
        principal: &str,
    ) -> anyhow::Result<i64> {
        let request = serde_json::to_string(change)?;
        let id = self
            .store
            .enqueue_operation(NewOperation {
                kind: change.kind(),
                repository: &repo.full(),
                issue_id,
                request: &request,
                principal,
            })
            .await?;
        self.wake.notify_one();
        Ok(id)
    }

    /// Makes the writer look at its journal now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Waits up to `wait` for operation `id` to settle; answers it as it then stands.
    pub async fn settle_within(&self, id: i64, wait: Duration) -> anyhow::Result<OperationRow> {
        let mut changes = self.settled.subscribe();
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let op = self
                .store
                .operation(id)
                .await?
                .ok_or_else(|| anyhow!("operation {id} is not in the journal"))?;
            if op.status().settled() {
                return Ok(op);
            }
            if tokio::time::timeout_at(deadline, changes.changed())
                .await
                .is_err()
            {
                return Ok(op);
            }
        }
    }

    /// The writer's task: takes up unsettled operations in order, for as long as the
    /// server runs. Operations left `running` by a stop are resolved first (they are the
    /// oldest).
    pub async fn run(self) {
        loop {
            let woken = self.wake.notified();
            self.settle_seconds().await;
            match self.round().await {
                Ok(0) => {
                    let next = self
                        .rereads
                        .lock()
                        .map_or(None, |r| r.iter().map(|(_, _, at)| *at).min());
                    let wait = next.map_or(IDLE_ROUND, |at| {
                        at.saturating_duration_since(tokio::time::Instant::now())
                            .min(IDLE_ROUND)
                    });
                    let _ = tokio::time::timeout(wait, woken).await;
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::error!(error = %format!("{e:#}"), "the writer could not read its journal; retrying");
                    tokio::time::sleep(IDLE_ROUND).await;
                }
            }
        }
    }

    /// GitHub's timestamps have whole seconds: a fact of the second of one of our writes
    /// from elsewhere cannot be ordered against GitHub's answer, so the mirror keeps the
    /// answer (see `WriteTx::confirmed_by_github`) and, once that second has passed, reads
    /// the issue again: GitHub's state then is its word on that second.
    async fn settle_seconds(&self) {
        let now = tokio::time::Instant::now();
        let due: Vec<(RepoName, i64)> = {
            let Ok(mut all) = self.rereads.lock() else {
                return;
            };
            let (due, later): (Vec<_>, Vec<_>) = all.drain(..).partition(|(_, _, at)| *at <= now);
            *all = later;
            let mut due: Vec<(RepoName, i64)> = due.into_iter().map(|(r, n, _)| (r, n)).collect();
            due.sort_by_key(|(r, n)| (r.key(), *n));
            due.dedup_by(|a, b| a.0.key() == b.0.key() && a.1 == b.1);
            due
        };
        for (repo, number) in due {
            if let Err(e) = self.settle_one(&repo, number).await {
                tracing::warn!(repository = %repo, number, error = %format!("{e:#}"), "reading an issue again after a write failed; the reconciler will catch up");
            }
        }
    }

    async fn settle_one(&self, repo: &RepoName, number: i64) -> anyhow::Result<()> {
        let Lookup::Found(issue) = self.gh.issue(repo, number).await? else {
            return Ok(());
        };
        let mut tx = self.store.begin_write().await?;
        // What changed in that second besides our writes is someone else's, seen by a read.
        tx.set_provenance(
            Provenance::new(Source::Sync).correlation(format!("settle-{}#{number}", repo.full())),
        );
        tx.confirmed_by_github();
        let repo_id = self.repository_id(&mut tx, repo).await?;
        tx.mirror()
            .issue(&mut Seen::default(), repo_id, &issue, None)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn repository_id(
        &self,
        tx: &mut crate::store::WriteTx,
        repo: &RepoName,
    ) -> anyhow::Result<i64> {
        Ok(match tx.mirror().repository_id(repo).await? {
            Some(id) => id,
            None => {
                let r = self.gh.repository(repo).await?;
                tx.mirror().repository(&r).await?
            }
        })
    }

    /// One pass over the unsettled operations, in order; answers how many it settled. An
    /// operation GitHub failed without saying whether it landed (a 5xx, a broken
    /// connection) stays `running` and the pass ends there, so later operations never
    /// overtake it; the next pass looks before sending it again, up to `MAX_ATTEMPTS`.
    pub async fn round(&self) -> anyhow::Result<usize> {
        let ops = self.store.unsettled_operations(BATCH).await?;
        let mut settled = 0;
        let mut folded: HashSet<i64> = HashSet::new();
        for (i, op) in ops.iter().enumerate() {
            if folded.contains(&op.id) {
                continue;
            }
            let id = op.id;
            // Later edits of the same issue waiting behind this one go out in the same
            // write: GitHub's limits allow few writes, and the last value of each field is
            // what they would leave anyway.
            let (leader, followers) = coalesce(op, &ops[i + 1..]);
            match self.execute(&leader).await {
                Ok(()) => {
                    for f in &followers {
                        let mut tx = self.store.begin_write().await?;
                        tx.operation_done(f.id, op.issue_id, None).await?;
                        tx.commit().await?;
                        folded.insert(f.id);
                        settled += 1;
                    }
                }
                Err(e) if retryable(&e) && op.attempts + 1 < MAX_ATTEMPTS => {
                    tracing::warn!(operation = id, attempt = op.attempts + 1, error = %format!("{e:#}"), "write operation will be retried");
                    tokio::time::sleep(RETRY_PAUSE * (op.attempts as u32 + 1)).await;
                    return Ok(settled.max(1));
                }
                Err(e) => {
                    let message = format!("{e:#}");
                    tracing::warn!(operation = id, error = %message, "write operation failed");
                    self.store.operation_failed(id, &message).await?;
                }
            }
            settled += 1;
            self.settled.send_modify(|n| *n += 1);
        }
        Ok(settled)
    }

    async fn execute(&self, op: &OperationRow) -> anyhow::Result<()> {
        let change: Change = serde_json::from_str(&op.request)
            .with_context(|| format!("operation {} has an unreadable request", op.id))?;
        let repo = RepoName::parse(&op.repository)?;
        if let Change::ApplyPlan { plan_id } = change {
            return self.apply_plan(op, plan_id).await;
        }
        // Left running by a stop: look before sending again.
        if op.status() == OperationStatus::Running {
            if let Some(done) = self.already_there(op, &repo, &change).await? {
                return self.record(op, &repo, done).await;
            }
        }
        let mut conflicts = Vec::new();
        let write = match &change {
            Change::UpdateIssue {
                number,
                fields,
                base: Some(base),
            } => {
                let remote = match self.gh.issue(&repo, *number).await? {
                    Lookup::Found(issue) => issue,
                    _ => {
                        return Err(anyhow!(
                            "issue #{number} of {repo} is not on GitHub any more"
                        ))
                    }
                };
                let merged = merge(
                    base,
                    fields,
                    &IssueSnapshot::of_issue(&remote),
                    &self.strategies(&repo).await?,
                );
                conflicts = merged.conflicts.clone();
                if merged.is_empty() {
                    // Nothing of the change is left to write: GitHub's issue is the result.
                    return self
                        .record_with(op, &repo, Confirmed::Issue(Box::new(remote)), &conflicts)
                        .await;
                }
                Write::UpdateIssue {
                    repo: repo.clone(),
                    number: *number,
                    fields: github_fields(&merged.write),
                }
            }
            Change::SetStatus { number, status, .. } => {
                match self.status_write(&repo, *number, *status).await? {
                    StatusWrite::Send(w) => *w,
                    // GitHub already shows the status: nothing to send.
                    StatusWrite::Already(issue) => {
                        return self.record(op, &repo, Confirmed::Issue(issue)).await
                    }
                }
            }
            _ => request(op.id, &repo, &change)
                .ok_or_else(|| anyhow!("operation {} has no request to send", op.id))?,
        };
        self.store.operation_running(op.id).await?;
        let confirmed = match self.gh.send(&write).await {
            Ok(Written::Issue(issue)) => Confirmed::Issue(issue),
            Ok(Written::Comment(comment)) => Confirmed::Comment {
                issue_id: op.issue_id,
                comment,
            },
            Ok(Written::Milestone(m)) => Confirmed::Milestone(Box::new(m)),
            Ok(other) => return Err(anyhow!("GitHub answered {other:?} to {}", describe(&write))),
            // Failed without saying whether it landed: the operation stays `running`, and
            // the next attempt looks before it sends.
            Err(e) => return Err(e).context(describe(&write)),
        };
        self.record_with(op, &repo, confirmed, &conflicts).await
    }

    /// Whether `change` already took effect on GitHub (after a stop or an ambiguous
    /// failure): the issue a create made (found by its marker), or for an update the issue
    /// as it now is (an update sends whole values, so sending it again is harmless; it is
    /// only skipped when GitHub already shows every field).
    async fn already_there(
        &self,
        op: &OperationRow,
        repo: &RepoName,
        change: &Change,
    ) -> anyhow::Result<Option<Confirmed>> {
        let issue = |i: Issue| Some(Confirmed::Issue(Box::new(i)));
        match change {
            Change::CreateIssue { .. } => {
                let marker = operation_marker(op.id);
                let since = crate::store::seconds_before(&op.created_at, 600);
                let mut list = Some(ListOf::issues_newest_first(repo));
                let mut pages = 0;
                while let Some(at) = list.take() {
                    pages += 1;
                    let page = self.gh.page(&at).await?;
                    let older = page
                        .items
                        .last()
                        .is_some_and(|i| i.created_at.as_str() < since.as_str());
                    if let Some(found) = page.items.into_iter().find(|i| {
                        i.pull_request.is_none()
                            && i.body.as_deref().is_some_and(|b| b.contains(&marker))
                    }) {
                        return Ok(issue(found));
                    }
                    if !older && pages < MAX_SEARCH_PAGES {
                        list = page.next.as_ref().map(ListOf::resume);
                    }
                }
                Ok(None)
            }
            Change::UpdateIssue { number, fields, .. } => match self.gh.issue(repo, *number).await?
            {
                Lookup::Found(found) if shows(&found, fields) => Ok(issue(found)),
                _ => Ok(None),
            },
            Change::ApplyPlan { .. } | Change::UpdateMilestone { .. } => Ok(None),
            Change::Comment { number, .. } => {
                let marker = operation_marker(op.id);
                let found = self
                    .gh
                    .all(&ListOf::issue_comments(repo, *number))
                    .await?
                    .into_iter()
                    .find(|c| c.body.as_deref().is_some_and(|b| b.contains(&marker)));
                Ok(found.map(|c| Confirmed::Comment {
                    issue_id: op.issue_id,
                    comment: Box::new(c),
                }))
            }
            Change::CreateMilestone { fields } => {
                // Milestone titles are unique in a repository: one with this title is ours.
                let title = fields.title.as_deref().unwrap_or_default();
                let found = self
                    .gh
                    .all(&ListOf::milestones(repo))
                    .await?
                    .into_iter()
                    .find(|m| m.title == title);
                Ok(found.map(|m| Confirmed::Milestone(Box::new(m))))
            }
            Change::SetStatus { number, status, .. } => {
                let workflow = self.workflow(repo).await?;
                match self.gh.issue(repo, *number).await? {
                    Lookup::Found(found) if status_of(&workflow, &found) == *status => {
                        Ok(issue(found))
                    }
                    _ => Ok(None),
                }
            }
        }
    }

    /// Applies a plan as the operation's principal, with the same checks as the command
    /// line; a stopped apply is resumed by its own journal when taken up again.
    async fn apply_plan(&self, op: &OperationRow, plan_id: i64) -> anyhow::Result<()> {
        use crate::governance::workflow::{apply, ApplyOutcome, Unattended};
        self.store.operation_running(op.id).await?;
        match apply(&self.store, &self.gh, plan_id, &op.principal, &Unattended).await {
            Ok(ApplyOutcome::Applied(_) | ApplyOutcome::AlreadyApplied) => {
                let mut tx = self.store.begin_write().await?;
                tx.operation_done(op.id, None, None).await?;
                tx.commit().await?;
                Ok(())
            }
            Err(e) => Err(anyhow::Error::from(e)),
        }
    }

    /// The conflict strategies of `repo`'s newest governance configuration (defaults when
    /// it has none).
    async fn strategies(&self, repo: &RepoName) -> anyhow::Result<Strategies> {
        Ok(match self.store.latest_config(&repo.full()).await? {
            Some(v) => crate::governance::load::config_from_value(&v.config)
                .map(|c| Strategies::of(&c))
                .unwrap_or_default(),
            None => Strategies::default(),
        })
    }

    /// The workflow `repo` follows (its configuration's, or the defaults).
    async fn workflow(&self, repo: &RepoName) -> anyhow::Result<Arc<Workflow>> {
        match self.store.repository_id(&repo.key()).await? {
            Some(id) => self.store.workflow(id).await,
            None => Ok(Arc::new(Workflow::default())),
        }
    }

    /// The write that moves issue `number` to `target`, from the issue as GitHub has it
    /// now; refused when GitHub's status moved meanwhile to one the workflow does not let
    /// go to `target`.
    async fn status_write(
        &self,
        repo: &RepoName,
        number: i64,
        target: Status,
    ) -> anyhow::Result<StatusWrite> {
        let workflow = self.workflow(repo).await?;
        let issue = match self.gh.issue(repo, number).await? {
            Lookup::Found(issue) => issue,
            _ => {
                return Err(anyhow!(
                    "issue #{number} of {repo} is not on GitHub any more"
                ))
            }
        };
        let current = status_of(&workflow, &issue);
        if current == target {
            return Ok(StatusWrite::Already(Box::new(issue)));
        }
        if !workflow.allows(current, target) {
            return Err(anyhow!(
                "issue #{number} is now {} on GitHub, and the workflow does not allow {} → {} (allowed from {}: {})",
                current.as_str(),
                current.as_str(),
                target.as_str(),
                current.as_str(),
                list(workflow.allowed_from(current))
            ));
        }
        let mut labels: Vec<String> = issue
            .labels
            .iter()
            .map(|l| l.name.clone())
            .filter(|n| !workflow.is_status_label(n))
            .collect();
        let mut fields = IssueFields::default();
        match target {
            Status::Done | Status::Cancelled => {
                fields.state = Some("closed".into());
                fields.state_reason = Some(
                    if target == Status::Done {
                        "completed"
                    } else {
                        "not_planned"
                    }
                    .into(),
                );
            }
            open => {
                if let Some(label) = workflow.label_for(open) {
                    labels.push(label.to_string());
                }
                if issue.state == "closed" {
                    fields.state = Some("open".into());
                    fields.state_reason = Some("reopened".into());
                }
            }
        }
        fields.labels = Some(labels);
        Ok(StatusWrite::Send(Box::new(Write::UpdateIssue {
            repo: repo.clone(),
            number,
            fields,
        })))
    }

    /// Projects GitHub's answer and settles the operation, in one transaction, tried again
    /// when the database gives up on it (PostgreSQL breaks a deadlock with a webhook's
    /// projection of the same issue by aborting one of the two).
    async fn record(
        &self,
        op: &OperationRow,
        repo: &RepoName,
        confirmed: Confirmed,
    ) -> anyhow::Result<()> {
        self.record_with(op, repo, confirmed, &[]).await
    }

    /// As `record`, with the conflicts the merge left for a person, in the same
    /// transaction (so they exist exactly when the rest of the change is recorded).
    async fn record_with(
        &self,
        op: &OperationRow,
        repo: &RepoName,
        confirmed: Confirmed,
        conflicts: &[FieldConflict],
    ) -> anyhow::Result<()> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.record_once(op, repo, &confirmed, conflicts).await {
                Err(e) if attempt < 5 && database_gave_up(&e) => {
                    tracing::debug!(operation = op.id, error = %format!("{e:#}"), "recording again");
                    tokio::time::sleep(Duration::from_millis(20 * attempt)).await;
                }
                other => return other,
            }
        }
    }

    async fn record_once(
        &self,
        op: &OperationRow,
        repo: &RepoName,
        confirmed: &Confirmed,
        conflicts: &[FieldConflict],
    ) -> anyhow::Result<()> {
        let change: Option<Change> = serde_json::from_str(&op.request).ok();
        let mut tx = self.store.begin_write().await?;
        // The status change this records is the API caller's, not a sync's.
        tx.set_provenance(
            Provenance::new(Source::Api)
                .actor(Some(op.principal.clone()))
                .correlation(format!("operation-{}", op.id))
                .reason(change.as_ref().and_then(Change::reason).map(str::to_string)),
        );
        tx.confirmed_by_github();
        let repo_id = self.repository_id(&mut tx, repo).await?;
        let mut seen = Seen::default();
        match confirmed {
            Confirmed::Issue(issue) => {
                tx.mirror().issue(&mut seen, repo_id, issue, None).await?;
                for c in conflicts {
                    let id = tx
                        .record_conflict(crate::store::conflicts::NewConflict {
                            entity: "issue",
                            entity_id: issue.id,
                            repository: &repo.full(),
                            field: c.field,
                            base: Some(c.base.to_string()),
                            local: Some(c.local.to_string()),
                            remote: Some(c.remote.to_string()),
                            strategy: c.strategy.as_str(),
                            operation_id: Some(op.id),
                        })
                        .await?;
                    use crate::store::events::{record_event, NewEvent, CONFLICT_DETECTED};
                    record_event(
                        &mut tx,
                        NewEvent::new(
                            CONFLICT_DETECTED,
                            "conflict",
                            id,
                            Some(repo_id),
                            &crate::store::now_text(),
                            serde_json::json!({
                                "issue_id": issue.id,
                                "field": c.field,
                                "base": c.base,
                                "local": c.local,
                                "remote": c.remote,
                                "strategy": c.strategy.as_str(),
                            }),
                        ),
                    );
                }
                tx.operation_done(op.id, Some(issue.id), None).await?;
            }
            Confirmed::Comment { issue_id, comment } => {
                tx.mirror()
                    .comment(&mut seen, repo_id, comment, None)
                    .await?;
                tx.operation_done(op.id, *issue_id, Some(comment.id))
                    .await?;
            }
            Confirmed::Milestone(m) => {
                tx.mirror().milestone(&mut seen, repo_id, m).await?;
                tx.operation_done(op.id, None, Some(m.id)).await?;
            }
        }
        tx.commit().await?;
        if let (Confirmed::Issue(issue), Ok(mut rereads)) = (confirmed, self.rereads.lock()) {
            rereads.push((
                repo.clone(),
                issue.number,
                tokio::time::Instant::now() + SETTLE_AFTER,
            ));
        }
        Ok(())
    }
}

/// `op` with the queued plain edits of the same issue that follow it folded in (each
/// field takes the latest value asked), and those followers. Only edits without a base
/// version fold, and folding stops at the first other change of that issue, so the order
/// in which changes of one issue were asked is kept.
fn coalesce(op: &OperationRow, later: &[OperationRow]) -> (OperationRow, Vec<OperationRow>) {
    let plain = |o: &OperationRow| -> Option<(i64, IssueEdit)> {
        if o.status() != OperationStatus::Queued || o.kind != "issue.update" {
            return None;
        }
        match serde_json::from_str::<Change>(&o.request).ok()? {
            Change::UpdateIssue {
                number,
                fields,
                base: None,
            } => Some((number, fields)),
            _ => None,
        }
    };
    let Some((number, mut fields)) = plain(op) else {
        return (op.clone(), Vec::new());
    };
    let mut followers = Vec::new();
    for o in later
        .iter()
        .filter(|o| o.issue_id == op.issue_id && o.repository == op.repository)
    {
        match plain(o) {
            Some((n, f)) if n == number => {
                overlay(&mut fields, f);
                followers.push(o.clone());
            }
            _ => break,
        }
    }
    if followers.is_empty() {
        return (op.clone(), followers);
    }
    let mut leader = op.clone();
    leader.request = serde_json::to_string(&Change::UpdateIssue {
        number,
        fields,
        base: None,
    })
    .unwrap_or_else(|_| op.request.clone());
    (leader, followers)
}

/// Each field `later` sets replaces `into`'s.
fn overlay(into: &mut IssueEdit, later: IssueEdit) {
    let IssueEdit {
        title,
        body,
        labels,
        assignees,
        milestone,
        state,
        state_reason,
    } = later;
    if title.is_some() {
        into.title = title;
    }
    if body.is_some() {
        into.body = body;
    }
    if labels.is_some() {
        into.labels = labels;
    }
    if assignees.is_some() {
        into.assignees = assignees;
    }
    if milestone.is_some() {
        into.milestone = milestone;
    }
    if state.is_some() {
        into.state = state;
        into.state_reason = state_reason;
    }
}

/// What a status change needs: a write, or nothing because GitHub already shows it.
enum StatusWrite {
    Send(Box<Write>),
    Already(Box<Issue>),
}

/// An issue's workflow status as GitHub shows it.
pub fn status_of(workflow: &Workflow, issue: &Issue) -> Status {
    workflow.derive(
        &issue.state,
        issue.state_reason.as_deref(),
        issue.labels.iter().map(|l| l.name.as_str()),
    )
}

fn list(statuses: &[Status]) -> String {
    statuses
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The REST write for an operation; `None` for a status change, which `status_write`
/// works out from GitHub's current issue, and for a plan, which its applier writes.
fn request(id: i64, repo: &RepoName, change: &Change) -> Option<Write> {
    match change {
        Change::CreateIssue { fields } => {
            let mut fields = github_fields(fields);
            let marker = operation_marker(id);
            fields.body = Some(match fields.body.take() {
                Some(b) if !b.is_empty() => format!("{b}\n\n{marker}"),
                _ => marker,
            });
            Some(Write::CreateIssue {
                repo: repo.clone(),
                fields,
            })
        }
        Change::UpdateIssue { number, fields, .. } => Some(Write::UpdateIssue {
            repo: repo.clone(),
            number: *number,
            fields: github_fields(fields),
        }),
        Change::Comment { number, body } => Some(Write::CreateComment {
            repo: repo.clone(),
            number: *number,
            body: format!("{body}\n\n{}", operation_marker(id)),
        }),
        Change::CreateMilestone { fields } => Some(Write::CreateMilestone {
            repo: repo.clone(),
            fields: fields.github(),
        }),
        Change::UpdateMilestone { number, fields } => Some(Write::UpdateMilestone {
            repo: repo.clone(),
            number: *number,
            fields: fields.github(),
        }),
        Change::SetStatus { .. } | Change::ApplyPlan { .. } => None,
    }
}

fn github_fields(e: &IssueEdit) -> IssueFields {
    IssueFields {
        title: e.title.clone(),
        body: e.body.clone(),
        labels: e.labels.clone(),
        assignees: e.assignees.clone(),
        milestone: e.milestone.flatten(),
        clear_milestone: matches!(e.milestone, Some(None)),
        issue_type: None,
        state: e.state.clone(),
        state_reason: e.state_reason.clone(),
    }
}

/// Whether GitHub's issue already shows every field an update sets.
fn shows(i: &Issue, e: &IssueEdit) -> bool {
    let names = |v: &[String]| {
        let mut v: Vec<String> = v.iter().map(|s| s.to_lowercase()).collect();
        v.sort();
        v
    };
    e.title.as_ref().is_none_or(|t| *t == i.title)
        && e.body
            .as_ref()
            .is_none_or(|b| i.body.as_deref().map(str::trim_end) == Some(b.trim_end()))
        && e.state.as_ref().is_none_or(|s| *s == i.state)
        && e.labels.as_ref().is_none_or(|l| {
            names(l) == names(&i.labels.iter().map(|l| l.name.clone()).collect::<Vec<_>>())
        })
        && e.assignees.as_ref().is_none_or(|a| {
            names(a)
                == names(
                    &i.assignees
                        .iter()
                        .map(|u| u.login.clone())
                        .collect::<Vec<_>>(),
                )
        })
        && e.milestone
            .is_none_or(|m| m == i.milestone.as_ref().map(|m| m.number))
}

/// Whether a failure may pass: GitHub said nothing certain (a 5xx, a broken connection),
/// or the database could not record what GitHub answered (the operation stays `running`,
/// so the next attempt reads GitHub before it sends anything).
fn retryable(e: &anyhow::Error) -> bool {
    database_gave_up(e)
        || e.chain().any(|c| {
            c.downcast_ref::<GitHubError>().is_some_and(|g| {
                matches!(g, GitHubError::Transport { .. }) || g.status().is_some_and(|s| s >= 500)
            })
        })
}

/// A database error anywhere in the chain (a deadlock broken, a lost connection, a busy
/// file): worth trying again, never GitHub's refusal.
fn database_gave_up(e: &anyhow::Error) -> bool {
    e.chain()
        .any(|c| c.downcast_ref::<crate::store::DbError>().is_some())
}

fn describe(w: &Write) -> String {
    format!("{} {}", w.method(), w.path())
}
