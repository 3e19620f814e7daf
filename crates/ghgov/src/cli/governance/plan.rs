//! `ghgov plan` and `ghgov approve`.

use super::args::{ApproveArgs, DocArgs, PlanArgs};
use super::inputs::{documents, github, print_report, Invalid};
use crate::github::GitHub;
use crate::governance::engine::{check, repository_of};
use crate::governance::plan::Plan;
use crate::governance::workflow::{self, PlanRequest, Planned};
use crate::store::governance::{PlanRow, PlanStatus};
use crate::store::Store;

/// Checks the documents, then plans and stores the plan through the workflow.
pub(super) async fn plan_and_store(
    docs: &DocArgs,
    store: &Store,
    gh: &GitHub,
    force: bool,
    refresh: bool,
    json: bool,
) -> anyhow::Result<(PlanRow, Plan)> {
    let (documents, stored_config_version) = documents(docs, Some(store)).await?;
    let checked = match check(&documents, docs.strict) {
        Ok(c) => c,
        Err(report) => {
            print_report(&report, json);
            return Err(Invalid {
                errors: report.errors(),
            }
            .into());
        }
    };
    repository_of(&checked.spec, docs.repo.as_deref())?;
    let started = std::time::Instant::now();
    let Planned { row, plan, desired } = workflow::plan(
        store,
        gh,
        PlanRequest {
            documents: &documents,
            checked: &checked,
            stored_config_version,
            force,
            refresh,
            actor: &docs.actor,
        },
    )
    .await?;
    eprintln!(
        "plan computed in {} ms ({} issues, {} labels, {} milestones, {} links desired{})",
        started.elapsed().as_millis(),
        desired.issues.len(),
        desired.labels.len(),
        desired.milestones.len(),
        desired.sub_issues.len() + desired.dependencies.len(),
        if refresh {
            ", mirror refreshed first"
        } else {
            ""
        }
    );
    Ok((row, plan))
}

pub async fn plan(args: PlanArgs) -> anyhow::Result<()> {
    let store = Store::open(&args.db.db).await?;
    let gh = github(&args.github, &store, None)?;
    let (row, plan) = plan_and_store(
        &args.docs,
        &store,
        &gh,
        args.force,
        !args.no_refresh,
        args.json,
    )
    .await?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "id": row.id, "status": row.status, "plan": plan
            }))?
        );
        return Ok(());
    }
    println!(
        "Saved as plan {} ({}). Apply it with `ghgov apply --plan {}`{}.\n",
        row.id,
        row.status.as_str(),
        row.id,
        if row.status == PlanStatus::PendingApproval {
            format!(" once another principal has run `ghgov approve {}`", row.id)
        } else {
            String::new()
        }
    );
    print!("{}", plan.render());
    Ok(())
}

pub async fn approve(args: ApproveArgs) -> anyhow::Result<()> {
    let store = Store::open(&args.db.db).await?;
    let row = workflow::approve(&store, args.id, &args.actor).await?;
    println!(
        "Plan {} approved by {} ({}). Apply it with `ghgov apply --plan {}`.",
        row.id,
        args.actor,
        row.needs_approval.join(", "),
        row.id
    );
    Ok(())
}
