//! Apply: the plan's changes sent through the one writer, in dependency order (labels,
//! milestones, epics, features, tasks, sub-issue links, dependencies).
//!
//! Every write is journaled as an intent (committed) before it is sent, and its outcome,
//! the key table, the mirror projection and the audit row are committed together after.
//! Killed at any moment, a re-apply converges: finished steps are skipped, and a step whose
//! intent has no outcome is resolved first. For an issue create that means looking for the
//! key's marker on GitHub, so a create that did land is never sent twice.

mod in_flight;
mod record;
mod requests;

use super::plan::{Action, Change, Plan, Target};
use crate::github::{GitHub, Written};
use crate::mirror::RepoName;
use crate::store::governance::{Intent, JournalStatus, PlanStatus};
use crate::store::{seconds_before, Store};
use anyhow::{anyhow, Context};
use in_flight::ambiguous;
use record::StepResult;
use serde_json::{json, Value};
use std::collections::HashMap;

/// Told of every finished step (for progress bars and ETAs).
pub trait ApplyProgress: Send + Sync {
    fn step(&self, done: usize, total: usize, what: &str);
}

pub struct Applier<'a> {
    store: &'a Store,
    gh: &'a GitHub,
    repo: &'a RepoName,
    actor: &'a str,
    progress: Option<&'a dyn ApplyProgress>,
    #[cfg(feature = "test-hooks")]
    crash: Option<CrashPoint>,
}

#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ApplyReport {
    pub added: usize,
    pub changed: usize,
    pub destroyed: usize,
    /// Steps found finished by an earlier, interrupted apply.
    pub resumed: usize,
    /// Requests sent that change something on GitHub.
    pub writes: usize,
}

impl ApplyReport {
    pub fn summary_line(&self) -> String {
        format!(
            "Apply complete: {} added, {} changed, {} destroyed.",
            self.added, self.changed, self.destroyed
        )
    }
}

/// The moments of an apply where a kill is the most harmful, counted from the start of
/// one run. ghgov's tests stop an apply at one of them on purpose (feature `test-hooks`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashPoint {
    /// The n-th intent is journaled; its write is not sent.
    AfterJournal(usize),
    /// The n-th write is sent; its outcome is not recorded.
    AfterSend(usize),
}

/// The simulated kill at a [`CrashPoint`].
#[derive(Debug, thiserror::Error)]
#[error("apply stopped on purpose at {0:?} (crash injection)")]
pub struct InjectedCrash(pub CrashPoint);

struct Run<'a> {
    a: &'a Applier<'a>,
    plan_id: i64,
    repo_id: i64,
    correlation: String,
    /// Key → (issue id, number), filled as issues are found or created.
    keys: HashMap<String, (i64, i64)>,
    /// Milestone title (lower case) → number.
    milestones: HashMap<String, i64>,
    writes: usize,
    /// Intents of writes journaled by this run.
    journaled: usize,
    /// When the step being resolved was journaled, minus a margin for clock skew.
    flight_since: Option<String>,
}

impl<'a> Applier<'a> {
    pub fn new(store: &'a Store, gh: &'a GitHub, repo: &'a RepoName, actor: &'a str) -> Self {
        Applier {
            store,
            gh,
            repo,
            actor,
            progress: None,
            #[cfg(feature = "test-hooks")]
            crash: None,
        }
    }

    pub fn with_progress(self, progress: &'a dyn ApplyProgress) -> Self {
        Applier {
            progress: Some(progress),
            ..self
        }
    }

    /// Stops the apply at `point` as a kill would: nothing after it runs.
    #[cfg(feature = "test-hooks")]
    pub fn crash_at(self, point: CrashPoint) -> Self {
        Applier {
            crash: Some(point),
            ..self
        }
    }

    /// Applies stored plan `plan_id`. Safe to call again after any failure or kill.
    pub async fn apply(&self, plan_id: i64, plan: &Plan) -> anyhow::Result<ApplyReport> {
        self.store
            .set_plan_status(plan_id, PlanStatus::Applying, None)
            .await?;
        let result = self.run(plan_id, plan).await;
        match &result {
            Ok(_) => {
                self.store
                    .set_plan_status(plan_id, PlanStatus::Applied, None)
                    .await?
            }
            Err(e) if e.downcast_ref::<InjectedCrash>().is_some() => {}
            Err(e) => {
                self.store
                    .set_plan_status(plan_id, PlanStatus::Failed, Some(&format!("{e:#}")))
                    .await?
            }
        }
        result
    }

    async fn run(&self, plan_id: i64, plan: &Plan) -> anyhow::Result<ApplyReport> {
        let repo_id = self.repository_id().await?;
        let mut run = Run {
            a: self,
            plan_id,
            repo_id,
            correlation: format!("plan-{plan_id}"),
            keys: self.store.issue_keys(&self.repo.full()).await?,
            milestones: HashMap::new(),
            writes: 0,
            journaled: 0,
            flight_since: None,
        };
        run.load_milestones().await?;
        let journal: HashMap<i64, (JournalStatus, String)> = self
            .store
            .journal(plan_id)
            .await?
            .into_iter()
            .map(|j| (j.step, (j.status, j.created_at)))
            .collect();
        let mut report = ApplyReport::default();
        let total = plan.changes.len();
        for (step, change) in plan.changes.iter().enumerate() {
            let step = step as i64;
            let entry = journal.get(&step);
            let status = entry.map(|(s, _)| *s);
            if status == Some(JournalStatus::Done) {
                report.resumed += 1;
            } else {
                run.flight_since = entry.map(|(_, at)| seconds_before(at, SEARCH_SLACK_SECONDS));
                run.step(step, change, status == Some(JournalStatus::Intent))
                    .await?;
            }
            match change.action {
                Action::Create => report.added += 1,
                Action::Update => report.changed += 1,
                Action::Delete | Action::Close => report.destroyed += 1,
            }
            if let Some(p) = self.progress {
                p.step(step as usize + 1, total, &change.target.key());
            }
        }
        report.writes = run.writes;
        Ok(report)
    }

    /// The repository's id in the mirror, fetched (and mirrored) when it was never synced.
    async fn repository_id(&self) -> anyhow::Result<i64> {
        if let Some(id) = self.store.repository_id(&self.repo.key()).await? {
            return Ok(id);
        }
        let repo = self.gh.repository(self.repo).await?;
        let mut tx = self.store.begin_mirror_write().await?;
        let id = tx.mirror().repository(&repo).await?;
        tx.commit().await?;
        Ok(id)
    }
}

fn issue_kind_name(t: &Target) -> &'static str {
    match t {
        Target::Issue { kind, .. } => kind.as_str(),
        other => other.kind(),
    }
}

impl Run<'_> {
    async fn load_milestones(&mut self) -> anyhow::Result<()> {
        self.milestones = self
            .a
            .store
            .planning_reads()
            .milestones(self.repo_id)
            .await?
            .into_iter()
            .map(|m| (m.title.to_lowercase(), m.number))
            .collect();
        Ok(())
    }

    fn issue(&self, key: &str) -> anyhow::Result<(i64, i64)> {
        self.keys.get(key).copied().ok_or_else(|| {
            anyhow!(
                "issue {key} is neither on GitHub nor created by this plan; run `ghgov plan` again"
            )
        })
    }

    async fn step(&mut self, step: i64, change: &Change, in_flight: bool) -> anyhow::Result<()> {
        // An issue create that may have landed before a crash: find it by its key.
        if let (Target::Issue { key, .. }, Action::Create) = (&change.target, change.action) {
            if let Some((id, number)) = self.keys.get(key).copied() {
                self.journal_resolution(step, change).await?;
                return self
                    .finish(
                        step,
                        change,
                        StepResult {
                            result_id: Some(id),
                            after: json!({"number": number, "found": "key table"}),
                        },
                        None,
                    )
                    .await;
            }
        }
        // A step left in flight by a crash: if its effect is there, record it without a write.
        if in_flight {
            if let Some(response) = self.effect_present(change).await? {
                self.journal_resolution(step, change).await?;
                return self.settle(step, change, response).await;
            }
        }
        let refreshed = self.refreshed(change).await?;
        let change = &refreshed;
        let write = self.request(change)?;
        let (method, path) = (write.method(), write.path());
        self.a
            .store
            .journal_intent(Intent {
                plan_id: self.plan_id,
                step,
                object_key: &change.target.key(),
                action: change.action.as_str(),
                method: method.as_str(),
                path: &path,
                request: &write.body().unwrap_or(Value::Null),
            })
            .await?;
        self.journaled += 1;
        self.crash_point(CrashPoint::AfterJournal(self.journaled))?;
        let mut attempt = 0;
        let sent = loop {
            attempt += 1;
            let sent = self.a.gh.send(&write).await;
            self.writes += 1;
            self.crash_point(CrashPoint::AfterSend(self.writes))?;
            // A create that failed without saying whether it landed: look before resending.
            match &sent {
                Err(e) if write.duplicates_on_retry() && ambiguous(e) && attempt < 5 => {
                    tokio::time::sleep(std::time::Duration::from_millis(200 * attempt)).await;
                    self.flight_since.get_or_insert_with(|| {
                        seconds_before(&crate::store::now_text(), SEARCH_SLACK_SECONDS)
                    });
                    if let Some(response) = self.effect_present(change).await? {
                        return self.settle(step, change, response).await;
                    }
                }
                _ => break sent,
            }
        };
        let response = match sent {
            Ok(v) => v,
            Err(e) => match self.converged_anyway(change, &e).await? {
                Some(v) => v,
                None => {
                    let message = format!("{} {}: {e}", method, path);
                    self.a
                        .store
                        .journal_failed(self.plan_id, step, &message)
                        .await?;
                    return Err(anyhow!(e)).with_context(|| {
                        format!(
                            "applying {} {} (step {} of plan {}); fix the cause and run the apply again: finished steps are not repeated",
                            change.target.kind(),
                            change.target.key(),
                            step + 1,
                            self.plan_id
                        )
                    });
                }
            },
        };
        self.settle(step, change, response).await
    }

    /// Stops here when a test asked for a crash at this point.
    fn crash_point(&self, here: CrashPoint) -> anyhow::Result<()> {
        #[cfg(feature = "test-hooks")]
        if self.a.crash == Some(here) {
            return Err(InjectedCrash(here).into());
        }
        let _ = here;
        Ok(())
    }

    /// Records a step whose result GitHub gave (or that was found by reading).
    async fn settle(
        &mut self,
        step: i64,
        change: &Change,
        response: Written,
    ) -> anyhow::Result<()> {
        let (result, projection) = self.step_result(change, response)?;
        self.finish(step, change, result, projection).await
    }

    /// Journals a step that is settled by looking, not by writing.
    async fn journal_resolution(&self, step: i64, change: &Change) -> anyhow::Result<()> {
        self.a
            .store
            .journal_intent(Intent {
                plan_id: self.plan_id,
                step,
                object_key: &change.target.key(),
                action: "resolve",
                method: "GET",
                path: "",
                request: &Value::Null,
            })
            .await
    }
}

/// How much earlier than the journaled time a search by key looks (clock skew between
/// ghgov and GitHub).
const SEARCH_SLACK_SECONDS: i64 = 600;
