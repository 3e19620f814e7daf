//! `GET /api/v1/issues/hierarchy/{id}`: the sub-issue tree under (and including) an issue,
//! each node with its rollup (`ghgov_store::rollup`: progress weighted by estimates, counts
//! over its descendants, at risk, the status its children suggest) and the cross-check of
//! GitHub's own `sub_issues_summary` against the mirror's children.

use super::extract::{Json, Path};
use super::{not_found, ApiResult, AppState};
use crate::store::rollup::HierarchyRow;
use axum::extract::State;
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;

// Fields in alphabetical order: the order they are written in (see `extract::Json`).

/// Counts over an issue's descendants (cancelled subtrees left out).
#[derive(Serialize, ToSchema, Default)]
pub struct RollupCounts {
    pub blocked: i64,
    pub done: i64,
    /// In progress or in review.
    pub in_progress: i64,
    pub total: i64,
}

/// Sub-issue counts: all direct sub-issues and the closed ones.
#[derive(Serialize, ToSchema)]
pub struct SubIssueSummary {
    pub completed: i64,
    pub total: i64,
}

/// One issue of a hierarchy with its rollup.
#[derive(Serialize, ToSchema)]
pub struct HierarchyNode {
    /// A descendant is `blocked`.
    pub at_risk: bool,
    /// Its sub-issues, in GitHub's priority order, each with its own tree.
    #[schema(no_recursion)]
    pub children: Vec<HierarchyNode>,
    pub counts: RollupCounts,
    /// The status the children suggest: `in_progress` for a `planning` parent with a
    /// started child; `done` when all children are done and the repository's
    /// `tracking.rollup.parent_done_when_children_done` is on; else its own status. Not
    /// written to GitHub by ghgov.
    pub derived_status: Option<String>,
    /// Hours (from a governance apply or an `estimate:N` label).
    pub estimate: Option<f64>,
    /// GitHub's `sub_issues_summary` as last mirrored.
    pub github_summary: SubIssueSummary,
    pub id: i64,
    /// The mirror's direct sub-issues (all, closed): what `github_summary` is compared with.
    pub mirror_summary: SubIssueSummary,
    pub number: i64,
    /// 0 to 1: done children's weight over all children's weight (weight: estimate, else 1;
    /// cancelled children left out; a child with children counts its own progress). An
    /// issue without children: 1 when done, else 0.
    pub progress: f64,
    pub status: Option<String>,
    /// `github_summary` and `mirror_summary` disagree.
    pub summary_mismatch: bool,
    pub title: String,
}

fn node(r: &HierarchyRow) -> HierarchyNode {
    HierarchyNode {
        at_risk: r.at_risk.unwrap_or(0) != 0,
        children: Vec::new(),
        counts: RollupCounts {
            blocked: r.blocked.unwrap_or(0),
            done: r.done.unwrap_or(0),
            in_progress: r.in_progress.unwrap_or(0),
            total: r.total.unwrap_or(0),
        },
        derived_status: r.derived_status.clone().or_else(|| r.status.clone()),
        estimate: r.estimate,
        github_summary: SubIssueSummary {
            completed: r.sub_issues_completed,
            total: r.sub_issues_total,
        },
        id: r.id,
        mirror_summary: SubIssueSummary {
            completed: r.children_closed.unwrap_or(0),
            total: r.children_total.unwrap_or(0),
        },
        number: r.number,
        progress: r.progress.unwrap_or(0.0),
        status: r.status.clone(),
        summary_mismatch: r.summary_mismatch(),
        title: r.title.clone(),
    }
}

/// The tree from rows that come parents first, each parent's children in order.
fn tree(rows: &[HierarchyRow]) -> HierarchyNode {
    let mut by_parent: HashMap<i64, Vec<&HierarchyRow>> = HashMap::new();
    for r in &rows[1..] {
        if let Some(p) = r.parent_id {
            by_parent.entry(p).or_default().push(r);
        }
    }
    // The store's read stops at 16 levels (GitHub allows 8), so a cycle (never GitHub's)
    // ends there too.
    fn build(
        r: &HierarchyRow,
        by_parent: &HashMap<i64, Vec<&HierarchyRow>>,
        depth: usize,
    ) -> HierarchyNode {
        let mut n = node(r);
        if depth < 16 {
            n.children = by_parent
                .get(&r.id)
                .map(|kids| {
                    kids.iter()
                        .map(|k| build(k, by_parent, depth + 1))
                        .collect()
                })
                .unwrap_or_default();
        }
        n
    }
    build(&rows[0], &by_parent, 0)
}

/// The sub-issue tree under an issue, with progress and rollups
#[utoipa::path(
    get,
    path = "/api/v1/issues/hierarchy/{id}",
    operation_id = "issue_hierarchy",
    tag = "issues",
    params(("id" = i64, Path, description = "Issue id: the root of the tree")),
    security(("bearer" = ["read"])),
    responses(
        (status = 200, description = "OK", body = HierarchyNode),
        (status = 404, description = "No such issue in the mirror", body = super::ErrorBody),
    ),
)]
pub async fn hierarchy(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Json<HierarchyNode>> {
    let rows = state
        .store
        .hierarchy(id)
        .await?
        .ok_or_else(|| not_found(format!("no issue with id {id} in the mirror")))?;
    Ok(Json(tree(&rows)))
}
