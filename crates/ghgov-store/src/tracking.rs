//! Tracking work: the status workflow, pure (states, the labels that show them on GitHub,
//! the transitions allowed), the times an issue's status history yields, and the history's
//! storage. The projector derives an issue's status from the row it stores and records each
//! change here, in the same transaction (see `projector::MirrorTx::issues`).
//!
//! On GitHub a status is an open issue with one status label (`status:planning` …), or a
//! closed issue: closed as completed (or with no reason) is `done`, closed as not planned
//! (or as a duplicate) is `cancelled`. Closed issues carry no status label; an open issue
//! without one is `planning`. An open issue with several status labels takes the one that
//! says most about where the work stands: `blocked` first, then the most advanced of
//! `review`, `in_progress`, `planning`.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Where a piece of work stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Planning,
    InProgress,
    Review,
    Done,
    Blocked,
    Cancelled,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Planning,
        Status::InProgress,
        Status::Review,
        Status::Done,
        Status::Blocked,
        Status::Cancelled,
    ];

    /// The states an open issue can be in: each is shown by a label.
    pub const OPEN: [Status; 4] = [
        Status::Planning,
        Status::InProgress,
        Status::Review,
        Status::Blocked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Planning => "planning",
            Status::InProgress => "in_progress",
            Status::Review => "review",
            Status::Done => "done",
            Status::Blocked => "blocked",
            Status::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Whether the issue is closed on GitHub in this state.
    pub fn is_closed(self) -> bool {
        matches!(self, Status::Done | Status::Cancelled)
    }

    /// Which of several status labels on one open issue wins: the highest rank.
    fn rank(self) -> u8 {
        match self {
            Status::Blocked => 4,
            Status::Review => 3,
            Status::InProgress => 2,
            Status::Planning => 1,
            Status::Done | Status::Cancelled => 0,
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The configuration's optional `tracking` section, as written (state names are text so a
/// misspelt one is reported, not refused by the parser).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrackingConfig {
    /// State → the label that shows it on an open issue (`in_progress: "wip"`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub status_labels: BTreeMap<String, String>,
    /// State → the states it may move to, replacing that state's default list.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub transitions: BTreeMap<String, Vec<String>>,
    /// How parents follow their sub-issues (see [`crate::rollup`]).
    #[serde(default, skip_serializing_if = "RollupConfig::is_default")]
    pub rollup: RollupConfig,
    /// Anything else, kept as written.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// `tracking.rollup`: what a parent's derived status follows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollupConfig {
    /// A parent whose children are all done is derived `done` (off by default: closing a
    /// parent stays a person's decision).
    #[serde(default)]
    pub parent_done_when_children_done: bool,
}

impl RollupConfig {
    fn is_default(&self) -> bool {
        *self == RollupConfig::default()
    }
}

/// A mistake in a `tracking` section: where (below `tracking`), a code and a hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackingProblem {
    /// The path inside the configuration, such as `tracking.transitions.review[1]`.
    pub path: String,
    pub code: &'static str,
    pub message: String,
    pub hint: String,
}

/// `parent.name`, or `parent["name"]` when the name is not a plain word: the paths
/// validation reports use everywhere.
fn field(parent: &str, name: &str) -> String {
    if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        format!("{parent}.{name}")
    } else {
        format!("{parent}[{name:?}]")
    }
}

fn states_hint() -> String {
    format!(
        "the states are {}",
        Status::ALL
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

impl TrackingConfig {
    /// Every mistake at once: unknown state names (keys and targets), a label given to a
    /// closed state, a label used for two states, an empty label.
    pub fn problems(&self) -> Vec<TrackingProblem> {
        let mut out = Vec::new();
        let mut by_label: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        for (state, label) in &self.status_labels {
            let path = field("tracking.status_labels", state);
            match Status::parse(state) {
                None => out.push(TrackingProblem {
                    path: path.clone(),
                    code: "unknown_state",
                    message: format!("unknown state `{state}`"),
                    hint: states_hint(),
                }),
                Some(s) if s.is_closed() => out.push(TrackingProblem {
                    path: path.clone(),
                    code: "closed_state_label",
                    message: format!("`{state}` is a closed issue on GitHub and carries no status label"),
                    hint: "done is closed as completed, cancelled closed as not planned; remove this entry".into(),
                }),
                Some(_) => {}
            }
            if label.trim().is_empty() {
                out.push(TrackingProblem {
                    path,
                    code: "empty_label",
                    message: format!("the label of `{state}` is empty"),
                    hint: "name a label, such as \"status:in_progress\"".into(),
                });
            } else {
                by_label
                    .entry(label.to_lowercase())
                    .or_default()
                    .push(state);
            }
        }
        // A label named for a state in the defaults and not renamed also counts.
        for s in Status::OPEN {
            if !self.status_labels.contains_key(s.as_str()) {
                let default = default_label(s).expect("open states have labels");
                by_label.entry(default).or_default().push(s.as_str());
            }
        }
        for (label, mut states) in by_label {
            states.sort_unstable();
            if states.len() > 1 {
                let written: Vec<&&str> = states
                    .iter()
                    .filter(|s| self.status_labels.contains_key(**s))
                    .collect();
                let at = written.first().map_or(states[0], |s| **s);
                out.push(TrackingProblem {
                    path: field("tracking.status_labels", at),
                    code: "duplicate_status_label",
                    message: format!(
                        "the label `{label}` would show two states: {}",
                        states.join(" and ")
                    ),
                    hint: "give each state its own label (labels are compared without case)".into(),
                });
            }
        }
        for (state, targets) in &self.transitions {
            let path = field("tracking.transitions", state);
            if Status::parse(state).is_none() {
                out.push(TrackingProblem {
                    path: path.clone(),
                    code: "unknown_state",
                    message: format!("unknown state `{state}`"),
                    hint: states_hint(),
                });
            }
            for (k, t) in targets.iter().enumerate() {
                if Status::parse(t).is_none() {
                    out.push(TrackingProblem {
                        path: format!("{path}[{k}]"),
                        code: "unknown_state",
                        message: format!("unknown state `{t}`"),
                        hint: states_hint(),
                    });
                }
            }
        }
        out
    }
}

fn default_label(s: Status) -> Option<String> {
    (!s.is_closed()).then(|| format!("status:{}", s.as_str()))
}

/// A repository's status workflow: the labels of the open states and the transitions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workflow {
    /// Open state → its label, lower-cased for comparison.
    labels: Vec<(Status, String)>,
    /// The label as configured (its case kept), per open state.
    label_names: Vec<(Status, String)>,
    transitions: BTreeMap<Status, Vec<Status>>,
    /// `tracking.rollup.parent_done_when_children_done`.
    parent_done_when_children_done: bool,
}

impl Default for Workflow {
    /// The fixed defaults other tools depend on: labels `status:<state>` and forward
    /// through the workflow, `blocked` from and back to the open states, reopening from
    /// `done`, replanning from `cancelled`.
    fn default() -> Self {
        use Status::*;
        let transitions = BTreeMap::from([
            (Planning, vec![InProgress, Blocked, Cancelled]),
            (InProgress, vec![Review, Planning, Blocked, Cancelled]),
            (Review, vec![Done, InProgress, Blocked]),
            (Blocked, vec![Planning, InProgress, Review, Cancelled]),
            (Done, vec![InProgress]),
            (Cancelled, vec![Planning]),
        ]);
        let names: Vec<(Status, String)> = Status::OPEN
            .iter()
            .map(|s| (*s, default_label(*s).expect("open states have labels")))
            .collect();
        Workflow {
            labels: names.iter().map(|(s, n)| (*s, n.to_lowercase())).collect(),
            label_names: names,
            transitions,
            parent_done_when_children_done: false,
        }
    }
}

impl Workflow {
    /// The workflow a `tracking` section describes: the defaults with its labels and
    /// transition lists put in. A section with problems is refused with all of them.
    pub fn from_config(c: &TrackingConfig) -> Result<Workflow, Vec<TrackingProblem>> {
        let problems = c.problems();
        if !problems.is_empty() {
            return Err(problems);
        }
        let mut w = Workflow {
            parent_done_when_children_done: c.rollup.parent_done_when_children_done,
            ..Workflow::default()
        };
        for (state, label) in &c.status_labels {
            let s = Status::parse(state).expect("checked");
            for (st, name) in w.label_names.iter_mut() {
                if *st == s {
                    *name = label.trim().to_string();
                }
            }
        }
        w.labels = w
            .label_names
            .iter()
            .map(|(s, n)| (*s, n.to_lowercase()))
            .collect();
        for (state, targets) in &c.transitions {
            let mut list: Vec<Status> = Vec::new();
            for t in targets {
                let t = Status::parse(t).expect("checked");
                if !list.contains(&t) {
                    list.push(t);
                }
            }
            w.transitions
                .insert(Status::parse(state).expect("checked"), list);
        }
        Ok(w)
    }

    /// Whether a parent whose sub-issues are all done is derived `done` by the rollup.
    pub fn parent_done_when_children_done(&self) -> bool {
        self.parent_done_when_children_done
    }

    /// The states `from` may move to.
    pub fn allowed_from(&self, from: Status) -> &[Status] {
        self.transitions.get(&from).map_or(&[], Vec::as_slice)
    }

    /// Whether `from` → `to` is allowed. Staying put is not a transition, so always allowed.
    pub fn allows(&self, from: Status, to: Status) -> bool {
        from == to || self.allowed_from(from).contains(&to)
    }

    /// The label that shows `status` on an open issue (None for `done` and `cancelled`).
    pub fn label_for(&self, status: Status) -> Option<&str> {
        self.label_names
            .iter()
            .find(|(s, _)| *s == status)
            .map(|(_, n)| n.as_str())
    }

    /// Whether a label name is one of this workflow's status labels.
    pub fn is_status_label(&self, name: &str) -> bool {
        let name = name.to_lowercase();
        self.labels.iter().any(|(_, l)| *l == name)
    }

    /// An issue's status from what GitHub shows: its state, `state_reason` and labels.
    pub fn derive<'a>(
        &self,
        state: &str,
        state_reason: Option<&str>,
        labels: impl IntoIterator<Item = &'a str>,
    ) -> Status {
        if state == "closed" {
            return match state_reason {
                Some("not_planned") | Some("duplicate") => Status::Cancelled,
                _ => Status::Done,
            };
        }
        let mut best = Status::Planning;
        for name in labels {
            let name = name.to_lowercase();
            if let Some((s, _)) = self.labels.iter().find(|(_, l)| *l == name) {
                if s.rank() > best.rank() {
                    best = *s;
                }
            }
        }
        best
    }
}

/// Where a status change was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Webhook,
    /// A sync page, a reconcile or a read-back of one issue.
    #[default]
    Sync,
    /// A change made through ghgov's API.
    Api,
    /// A governance plan's apply.
    Apply,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Webhook => "webhook",
            Source::Sync => "sync",
            Source::Api => "api",
            Source::Apply => "apply",
        }
    }
}

/// Who and what caused the writes of a mirror transaction: recorded with every status
/// change they make. Set by the caller (`WriteTx::set_provenance`, `MirrorTx::with`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Provenance {
    pub source: Source,
    /// The GitHub login (a webhook's `sender.login`) or ghgov principal; None when unknown.
    pub actor: Option<String>,
    /// The webhook delivery id, `sync-<operation>`, `plan-<id>`, the API request id.
    pub correlation: Option<String>,
    /// Why, when the caller knows better than GitHub's `state_reason` (the API's reason).
    pub reason: Option<String>,
}

impl Provenance {
    pub fn new(source: Source) -> Provenance {
        Provenance {
            source,
            ..Provenance::default()
        }
    }

    pub fn actor(mut self, actor: Option<impl Into<String>>) -> Self {
        self.actor = actor.map(Into::into);
        self
    }

    pub fn correlation(mut self, id: impl Into<String>) -> Self {
        self.correlation = Some(id.into());
        self
    }

    pub fn reason(mut self, reason: Option<impl Into<String>>) -> Self {
        self.reason = reason.map(Into::into);
        self
    }
}

/// One entry of an issue's status history.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StatusChangeRow {
    pub id: i64,
    pub issue_id: i64,
    pub repository_id: i64,
    /// None for the first observation.
    pub from_status: Option<String>,
    pub to_status: String,
    pub at: String,
    pub actor: Option<String>,
    pub source: String,
    pub reason: Option<String>,
    pub correlation_id: Option<String>,
    /// 1 when the workflow did not allow `from` → `to` (recorded, never reverted).
    pub violation: i64,
    pub recorded_at: String,
}

/// A workflow violation with the issue it happened to, for compliance.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ViolationRow {
    pub id: i64,
    pub issue_id: i64,
    pub number: Option<i64>,
    pub html_url: Option<String>,
    pub from_status: Option<String>,
    pub to_status: String,
    pub at: String,
    pub actor: Option<String>,
    pub source: String,
    pub correlation_id: Option<String>,
}

// ---------------------------------------------------------------- times

/// What an issue's history says about how its work went, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct StatusTimes {
    /// From the first move into `in_progress` to the move into `done` (the issue is done).
    pub cycle_time: Option<i64>,
    /// From creation to the move into `done` (the issue is done).
    pub lead_time: Option<i64>,
    /// Total time spent `blocked`, an open stretch counted up to now.
    pub blocked_time: i64,
    /// Total time spent in `review`, an open stretch counted up to now.
    pub review_time: i64,
}

fn parse_time(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}

/// The times of one issue from its history (`(status entered, at)` in the order recorded),
/// its creation time and now. The status holds from its entry until the next one; an issue
/// that is not (or no longer) done has no cycle or lead time. Entries whose time does not
/// parse are skipped; a stretch never counts negative time.
pub fn times(
    history: &[(Status, &str)],
    created_at: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> StatusTimes {
    let entries: Vec<(Status, chrono::DateTime<chrono::Utc>)> = history
        .iter()
        .filter_map(|(s, at)| parse_time(at).map(|t| (*s, t)))
        .collect();
    let mut out = StatusTimes::default();
    for (k, (status, start)) in entries.iter().enumerate() {
        let end = entries.get(k + 1).map_or(now, |(_, t)| *t);
        let spent = (end - *start).num_seconds().max(0);
        match status {
            Status::Blocked => out.blocked_time += spent,
            Status::Review => out.review_time += spent,
            _ => {}
        }
    }
    if let Some((Status::Done, done_at)) = entries.last() {
        if let Some(created) = parse_time(created_at) {
            out.lead_time = Some((*done_at - created).num_seconds().max(0));
        }
        out.cycle_time = entries
            .iter()
            .find(|(s, _)| *s == Status::InProgress)
            .filter(|(_, t)| t <= done_at)
            .map(|(_, t)| (*done_at - *t).num_seconds().max(0));
    }
    out
}

// ---------------------------------------------------------------- reads

const HISTORY_COLUMNS: &str = "id, issue_id, repository_id, from_status, to_status, at, actor, source, reason, correlation_id, violation, recorded_at";

#[derive(sqlx::FromRow)]
struct Count {
    total: i64,
}

impl crate::Store {
    /// A page of an issue's status history, oldest first, with the number of entries.
    pub async fn status_history(
        &self,
        issue_id: i64,
        limit: i64,
        offset: i64,
    ) -> anyhow::Result<(i64, Vec<StatusChangeRow>)> {
        let total = sqlx::query_as::<_, Count>(
            "SELECT COUNT(*) AS total FROM issue_status_history WHERE issue_id = $1",
        )
        .bind(issue_id)
        .fetch_one(&self.pool)
        .await?
        .total;
        let rows = sqlx::query_as::<_, StatusChangeRow>(&format!(
            "SELECT {HISTORY_COLUMNS} FROM issue_status_history WHERE issue_id = $1 ORDER BY id LIMIT $2 OFFSET $3"
        ))
        .bind(issue_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        Ok((total, rows))
    }

    /// An issue's whole status history, oldest first (what its times are computed from).
    pub async fn status_history_all(&self, issue_id: i64) -> anyhow::Result<Vec<StatusChangeRow>> {
        Ok(sqlx::query_as::<_, StatusChangeRow>(&format!(
            "SELECT {HISTORY_COLUMNS} FROM issue_status_history WHERE issue_id = $1 ORDER BY id"
        ))
        .bind(issue_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The workflow violations recorded for a repository (by lower-cased full name), oldest
    /// first, with the issue's number and link while it is mirrored.
    pub async fn status_violations(&self, repo_key: &str) -> anyhow::Result<Vec<ViolationRow>> {
        Ok(sqlx::query_as::<_, ViolationRow>(
            "SELECT h.id, h.issue_id, i.number, i.html_url, h.from_status, h.to_status, h.at, h.actor, h.source, h.correlation_id \
             FROM issue_status_history h LEFT JOIN issues i ON i.id = h.issue_id \
             WHERE h.repository_id IN (SELECT r.id FROM repositories r WHERE r.full_name_lc = $1) AND h.violation = 1 ORDER BY h.id",
        )
        .bind(repo_key)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The workflow a mirrored repository uses now (see [`crate::projector::MirrorTx::workflow`]):
    /// what a write through ghgov checks a requested status change against.
    pub async fn workflow(&self, repo_id: i64) -> anyhow::Result<Arc<Workflow>> {
        let mut tx = self.pool.begin().await?;
        let mut no_events = Vec::new();
        let w = crate::projector::MirrorTx::reader(&mut tx, &mut no_events, self.workflows.clone())
            .workflow(repo_id)
            .await?;
        tx.rollback().await?;
        Ok(w)
    }
}

// ---------------------------------------------------------------- workflows per repository

/// A repository's workflow and the configuration version it came from (None: defaults).
type KeptWorkflow = (Option<i64>, Arc<Workflow>);

/// The workflow each repository uses, kept per configuration version: a newly stored
/// configuration is picked up by the next write, without a restart.
#[derive(Default)]
pub struct WorkflowCache {
    inner: parking_lot::Mutex<HashMap<i64, KeptWorkflow>>,
    default: Arc<Workflow>,
}

impl WorkflowCache {
    pub(crate) fn get(&self, repo_id: i64, version: Option<i64>) -> Option<Arc<Workflow>> {
        if version.is_none() {
            return Some(self.default.clone());
        }
        let inner = self.inner.lock();
        match inner.get(&repo_id) {
            Some((v, w)) if *v == version => Some(w.clone()),
            _ => None,
        }
    }

    pub(crate) fn put(&self, repo_id: i64, version: Option<i64>, w: Arc<Workflow>) {
        self.inner.lock().insert(repo_id, (version, w));
    }

    /// The workflow a stored configuration document describes: its `tracking` section, or
    /// the defaults when it has none or it cannot be used (configurations are validated
    /// before they are stored, so that is an old or hand-written one; said in the log).
    pub(crate) fn from_document(repo_id: i64, config: &str) -> Workflow {
        let section = serde_json::from_str::<serde_json::Value>(config)
            .ok()
            .and_then(|v| v.get("tracking").cloned());
        let Some(section) = section else {
            return Workflow::default();
        };
        match serde_json::from_value::<TrackingConfig>(section) {
            Ok(c) => Workflow::from_config(&c).unwrap_or_else(|problems| {
                tracing::warn!(repo_id, ?problems, "the stored configuration's tracking section has problems: the default workflow is used");
                Workflow::default()
            }),
            Err(e) => {
                tracing::warn!(repo_id, "the stored configuration's tracking section cannot be read ({e}): the default workflow is used");
                Workflow::default()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;

    #[test]
    fn open_and_closed_issues_have_their_status() {
        let w = Workflow::default();
        assert_eq!(w.derive("open", None, []), Planning);
        assert_eq!(w.derive("open", None, ["bug"]), Planning);
        assert_eq!(w.derive("open", None, ["status:planning"]), Planning);
        assert_eq!(w.derive("open", None, ["Status:In_Progress"]), InProgress);
        assert_eq!(w.derive("open", None, ["status:review"]), Review);
        assert_eq!(
            w.derive("open", Some("reopened"), ["status:blocked"]),
            Blocked
        );
        assert_eq!(w.derive("closed", Some("completed"), []), Done);
        assert_eq!(w.derive("closed", None, []), Done);
        assert_eq!(w.derive("closed", Some("not_planned"), []), Cancelled);
        assert_eq!(w.derive("closed", Some("duplicate"), []), Cancelled);
        // A leftover label on a closed issue does not change what closing said.
        assert_eq!(
            w.derive("closed", Some("completed"), ["status:review"]),
            Done
        );
    }

    #[test]
    fn several_status_labels_blocked_first_then_the_most_advanced() {
        let w = Workflow::default();
        assert_eq!(
            w.derive("open", None, ["status:planning", "status:review"]),
            Review
        );
        assert_eq!(
            w.derive("open", None, ["status:review", "status:in_progress"]),
            Review
        );
        assert_eq!(
            w.derive(
                "open",
                None,
                ["status:review", "status:blocked", "status:planning"]
            ),
            Blocked
        );
        assert_eq!(
            w.derive("open", None, ["status:planning", "status:in_progress"]),
            InProgress
        );
    }

    #[test]
    fn the_default_transitions_are_the_promised_ones() {
        let w = Workflow::default();
        let expect = [
            (Planning, vec![InProgress, Blocked, Cancelled]),
            (InProgress, vec![Review, Planning, Blocked, Cancelled]),
            (Review, vec![Done, InProgress, Blocked]),
            (Blocked, vec![Planning, InProgress, Review, Cancelled]),
            (Done, vec![InProgress]),
            (Cancelled, vec![Planning]),
        ];
        for (from, to) in &expect {
            assert_eq!(w.allowed_from(*from), to.as_slice(), "{from}");
            for t in Status::ALL {
                assert_eq!(
                    w.allows(*from, t),
                    t == *from || to.contains(&t),
                    "{from} → {t}"
                );
            }
        }
        assert!(!w.allows(Planning, Done));
        assert!(!w.allows(Planning, Review));
        assert!(!w.allows(Done, Planning));
        assert!(!w.allows(Cancelled, Done));
        assert!(!w.allows(Review, Cancelled));
        for s in Status::OPEN {
            assert_eq!(w.label_for(s), Some(format!("status:{s}").as_str()));
        }
        assert_eq!(w.label_for(Done), None);
    }

    fn config(labels: &[(&str, &str)], transitions: &[(&str, &[&str])]) -> TrackingConfig {
        TrackingConfig {
            status_labels: labels
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            transitions: transitions
                .iter()
                .map(|(a, b)| (a.to_string(), b.iter().map(|t| t.to_string()).collect()))
                .collect(),
            rollup: RollupConfig::default(),
            extra: BTreeMap::new(),
        }
    }

    #[test]
    fn a_tracking_section_renames_labels_and_narrows_or_widens_transitions() {
        let c = config(
            &[("in_progress", "WIP"), ("review", "needs review")],
            &[
                ("planning", &["in_progress"]),
                ("review", &["done", "cancelled"]),
            ],
        );
        let w = Workflow::from_config(&c).unwrap();
        assert_eq!(w.derive("open", None, ["wip"]), InProgress);
        assert_eq!(w.derive("open", None, ["status:in_progress"]), Planning);
        assert_eq!(w.derive("open", None, ["Needs Review"]), Review);
        assert_eq!(w.label_for(InProgress), Some("WIP"));
        // Narrowed: planning may no longer be blocked or cancelled.
        assert_eq!(w.allowed_from(Planning), [InProgress]);
        assert!(!w.allows(Planning, Blocked));
        // Widened (and replaced): review may be cancelled, no longer sent back.
        assert!(w.allows(Review, Cancelled));
        assert!(!w.allows(Review, InProgress));
        // The rest keeps the defaults.
        assert_eq!(w.allowed_from(Done), [InProgress]);
    }

    #[test]
    fn a_bad_tracking_section_is_refused_with_every_problem() {
        let c = config(
            &[
                ("in_progres", "x"),
                ("review", "status:blocked"),
                ("done", "finished"),
            ],
            &[("reviewing", &["done"]), ("review", &["done", "shipped"])],
        );
        let problems = Workflow::from_config(&c).unwrap_err();
        let got: Vec<(&str, &str)> = problems.iter().map(|p| (p.path.as_str(), p.code)).collect();
        assert_eq!(
            got,
            [
                ("tracking.status_labels.done", "closed_state_label"),
                ("tracking.status_labels.in_progres", "unknown_state"),
                ("tracking.status_labels.review", "duplicate_status_label"),
                ("tracking.transitions.review[1]", "unknown_state"),
                ("tracking.transitions.reviewing", "unknown_state"),
            ]
        );
        assert!(problems.iter().all(|p| !p.hint.is_empty()));
        let two = config(&[("review", "x"), ("blocked", "X")], &[]);
        let problems = two.problems();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].code, "duplicate_status_label");
        assert!(
            problems[0].message.contains("blocked and review"),
            "{}",
            problems[0].message
        );
    }

    fn t(s: &str) -> chrono::DateTime<chrono::Utc> {
        parse_time(s).unwrap()
    }

    #[test]
    fn times_follow_a_fixed_history() {
        // created 09:00; planning 10:00, in_progress 11:00, blocked 12:00-12:30, in_progress,
        // review 13:00-14:00, back to in_progress 14:00, review 15:00, done 15:20.
        let history = [
            (Planning, "2026-01-01T10:00:00Z"),
            (InProgress, "2026-01-01T11:00:00Z"),
            (Blocked, "2026-01-01T12:00:00Z"),
            (InProgress, "2026-01-01T12:30:00Z"),
            (Review, "2026-01-01T13:00:00Z"),
            (InProgress, "2026-01-01T14:00:00Z"),
            (Review, "2026-01-01T15:00:00Z"),
            (Done, "2026-01-01T15:20:00Z"),
        ];
        let now = t("2026-01-02T00:00:00Z");
        let got = times(&history, "2026-01-01T09:00:00Z", now);
        assert_eq!(
            got,
            StatusTimes {
                cycle_time: Some(4 * 3600 + 20 * 60),
                lead_time: Some(6 * 3600 + 20 * 60),
                blocked_time: 30 * 60,
                review_time: 3600 + 20 * 60,
            }
        );
        // Still blocked: the open stretch counts up to now; not done, so no cycle or lead.
        let open = [
            (Planning, "2026-01-01T10:00:00Z"),
            (Blocked, "2026-01-01T11:00:00Z"),
        ];
        let got = times(&open, "2026-01-01T10:00:00Z", t("2026-01-01T13:30:00Z"));
        assert_eq!(
            got,
            StatusTimes {
                cycle_time: None,
                lead_time: None,
                blocked_time: 2 * 3600 + 30 * 60,
                review_time: 0,
            }
        );
        // Reopened after done: no longer done.
        let reopened = [
            (InProgress, "2026-01-01T10:00:00Z"),
            (Review, "2026-01-01T10:30:00Z"),
            (Done, "2026-01-01T11:00:00Z"),
            (InProgress, "2026-01-01T12:00:00Z"),
        ];
        assert_eq!(
            times(&reopened, "2026-01-01T09:00:00Z", now).cycle_time,
            None
        );
        // Done without ever being in progress: a lead time, no cycle time.
        let skipped = [
            (Planning, "2026-01-01T10:00:00Z"),
            (Done, "2026-01-01T12:00:00Z"),
        ];
        let got = times(&skipped, "2026-01-01T09:00:00Z", now);
        assert_eq!((got.cycle_time, got.lead_time), (None, Some(3 * 3600)));
    }
}
