//! The governance workflow every entry point (command line, REST API, demo) goes through:
//! plan, approve, apply. The rules that guard GitHub are kept here, once: a plan that
//! needs approval is applied only after a principal other than its creator approved it,
//! and a stored plan is refused once a newer plan of its repository was applied (its
//! changes could undo the newer ones).
//!
//! Entry points bring plain inputs (a store, a GitHub client, ids, an actor) and talk to a
//! person, if there is one, through [`ApplyListener`].

use super::apply::{Applier, ApplyProgress, ApplyReport};
use super::desired::DesiredState;
use super::engine::{self, repository_of, Checked, Documents, Planner};
use super::plan::Plan;
use crate::github::GitHub;
use crate::mirror::RepoName;
use crate::store::governance::{ApprovalError, PlanRow, PlanStatus};
use crate::store::Store;
use anyhow::Context;

/// What to plan: documents that passed [`engine::check`], and how.
pub struct PlanRequest<'a> {
    pub documents: &'a Documents,
    pub checked: &'a Checked,
    /// The stored configuration version `documents.config` was read from; `None` stores
    /// the configuration as a new version (unless it equals the newest).
    pub stored_config_version: Option<i64>,
    /// Allow a plan that removes more than 25% of an authoritative kind.
    pub force: bool,
    /// Sync the repository into the mirror before diffing.
    pub refresh: bool,
    /// Who asks (recorded with the configuration version and the plan).
    pub actor: &'a str,
}

/// A stored plan, with the desired state it was diffed from.
pub struct Planned {
    pub row: PlanRow,
    pub plan: Plan,
    pub desired: DesiredState,
}

/// Records the configuration version, plans the specification against the mirror and
/// stores the plan (waiting for approval when the configuration's workflows ask for it).
pub async fn plan(store: &Store, gh: &GitHub, request: PlanRequest<'_>) -> anyhow::Result<Planned> {
    let PlanRequest {
        documents,
        checked,
        stored_config_version,
        force,
        refresh,
        actor,
    } = request;
    let repo = repository_of(&checked.spec, None)?;
    let config_version = match stored_config_version {
        Some(version) => version,
        None => {
            store
                .save_config(&repo.full(), &documents.config, actor)
                .await?
                .version
        }
    };
    let mut planner = Planner::new(store.clone(), gh);
    planner.refresh = refresh;
    let (plan, desired) = planner.plan(&checked.spec, &checked.config, force).await?;
    let row =
        engine::store_plan(store, &plan, Some(config_version), &documents.spec, actor).await?;
    Ok(Planned { row, plan, desired })
}

/// Approves a plan waiting for approval; the store refuses its creator (four eyes).
pub async fn approve(
    store: &Store,
    plan_id: i64,
    approver: &str,
) -> Result<PlanRow, ApprovalError> {
    store.approve_plan(plan_id, approver).await
}

/// What an entry point sees of an apply, and where it may stop one before any write.
pub trait ApplyListener: ApplyProgress {
    /// The stored plan passed the staleness check and is about to be judged; an entry
    /// point with a person in front of it shows the plan here.
    fn reviewing(&self, _plan: &Plan) {}

    /// Asked once, right before the first write; an error stops the apply with nothing
    /// written (a person who did not say yes).
    fn confirm(&self, _plan: &Plan) -> anyhow::Result<()> {
        Ok(())
    }
}

/// Nobody watches and nobody is asked: the demo, and tests.
pub struct Unattended;

impl ApplyProgress for Unattended {
    fn step(&self, _done: usize, _total: usize, _what: &str) {}
}

impl ApplyListener for Unattended {}

/// How an apply that was allowed ended.
#[derive(Debug, PartialEq, Eq)]
pub enum ApplyOutcome {
    /// Every change is on GitHub now (none, for an empty plan).
    Applied(ApplyReport),
    /// An earlier apply finished this plan; nothing was done.
    AlreadyApplied,
}

/// Why an apply was refused, or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("there is no plan {0}")]
    NotFound(i64),
    #[error("plan {id} is stale: plan {newer} was applied after it was made, so its changes may undo newer ones")]
    Stale { id: i64, newer: i64 },
    #[error("plan {id} needs approval ({}) by a principal other than {created_by}", .needs.join(", "))]
    NeedsApproval {
        id: i64,
        needs: Vec<String>,
        created_by: String,
    },
    /// The listener declined before the first write.
    #[error(transparent)]
    Declined(anyhow::Error),
    /// Writes began and stopped; applying the plan again resumes it.
    #[error("plan {id} stopped: {source:#}")]
    Stopped { id: i64, source: anyhow::Error },
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Applies stored plan `plan_id` as `actor`, if the rules allow it: refused when stale or
/// not approved as its configuration asks. Resumes an interrupted apply.
pub async fn apply(
    store: &Store,
    gh: &GitHub,
    plan_id: i64,
    actor: &str,
    listener: &impl ApplyListener,
) -> Result<ApplyOutcome, ApplyError> {
    let row = store
        .plan(plan_id)
        .await?
        .ok_or(ApplyError::NotFound(plan_id))?;
    let plan: Plan = serde_json::from_value(row.plan.clone()).context("reading the stored plan")?;
    // An applied plan is history: showing it again is harmless, whatever came after.
    if row.status != PlanStatus::Applied {
        refuse_stale(store, &row).await?;
    }
    listener.reviewing(&plan);
    if row.status == PlanStatus::Applied {
        return Ok(ApplyOutcome::AlreadyApplied);
    }
    refuse_unapproved(&row)?;
    if plan.changes.is_empty() {
        store
            .set_plan_status(row.id, PlanStatus::Applied, None)
            .await?;
        return Ok(ApplyOutcome::Applied(ApplyReport::default()));
    }
    listener.confirm(&plan).map_err(ApplyError::Declined)?;
    let repo = RepoName::parse(&plan.repository)?;
    Applier::new(store, gh, &repo, actor)
        .with_progress(listener)
        .apply(row.id, &plan)
        .await
        .map(ApplyOutcome::Applied)
        .map_err(|source| ApplyError::Stopped { id: row.id, source })
}

/// Whether stored plan `plan_id` may be applied now: it exists, is not stale and is
/// approved as its configuration asks (or was applied already: applying again is a no-op).
/// The server checks this before it queues an apply, so the caller hears a refusal at once.
pub async fn check_applicable(store: &Store, plan_id: i64) -> Result<(), ApplyError> {
    let row = store
        .plan(plan_id)
        .await?
        .ok_or(ApplyError::NotFound(plan_id))?;
    if row.status == PlanStatus::Applied {
        return Ok(());
    }
    refuse_stale(store, &row).await?;
    refuse_unapproved(&row)
}

/// A plan made before another plan of its repository was applied may undo that one.
async fn refuse_stale(store: &Store, row: &PlanRow) -> Result<(), ApplyError> {
    match store.newer_applied_plan(&row.repository, row.id).await? {
        Some(newer) => Err(ApplyError::Stale { id: row.id, newer }),
        None => Ok(()),
    }
}

/// A plan that needs approval goes ahead only once approved by someone other than its
/// creator. The store enforces that when approving; the approver is checked again here so
/// no status change can sneak an unapproved plan through.
fn refuse_unapproved(row: &PlanRow) -> Result<(), ApplyError> {
    let approved_by_another = row
        .approved_by
        .as_deref()
        .is_some_and(|approver| approver != row.created_by);
    let waiting = row.status == PlanStatus::PendingApproval;
    if waiting || (!row.needs_approval.is_empty() && !approved_by_another) {
        return Err(ApplyError::NeedsApproval {
            id: row.id,
            needs: row.needs_approval.clone(),
            created_by: row.created_by.clone(),
        });
    }
    Ok(())
}
