//! Repositories, labels and milestones (with progress from the mirrored issues).

use super::extract::{Json, Query};
use super::params::{Page, PerPage};
use super::{bad_request, ApiResult, AppState, Paging};
use crate::store::resource_reads::MilestoneState;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

// The fields of the answers below are in alphabetical order: the order they are written in
// (see `extract::Json`).

/// A mirrored repository with its issue counts (pull requests not included).
#[derive(Serialize, ToSchema)]
pub struct Repo {
    pub default_branch: Option<String>,
    /// OWNER/NAME.
    pub full_name: String,
    pub html_url: Option<String>,
    /// GitHub's database id.
    pub id: i64,
    pub issues: i64,
    pub open_issues: i64,
    pub private: bool,
}

page_of!(
    /// A page of mirrored repositories.
    RepoList,
    Repo
);

/// A label with the number of mirrored issues carrying it.
#[derive(Serialize, ToSchema)]
pub struct Label {
    pub color: String,
    pub description: Option<String>,
    pub id: i64,
    pub issues: i64,
    pub name: String,
    pub repository: String,
}

page_of!(
    /// A page of labels.
    LabelList,
    Label
);

/// A milestone with its progress as the mirror knows it.
#[derive(Serialize, ToSchema)]
pub struct Milestone {
    pub description: Option<String>,
    pub due_on: Option<String>,
    pub id: i64,
    pub number: i64,
    pub progress: Progress,
    pub repository: String,
    /// `open` or `closed`.
    pub state: String,
    pub title: String,
}

/// The issues of a milestone.
#[derive(Serialize, ToSchema)]
pub struct Progress {
    pub closed_issues: i64,
    pub open_issues: i64,
    /// Closed issues as a share of all, in percent to one decimal.
    pub percent_complete: f64,
    pub total: i64,
    /// 0 to 1: the done issues' weight over all issues' weight (weight: the estimate, else
    /// 1; cancelled issues left out), as the hierarchy rollup counts it.
    pub weighted_progress: f64,
}

page_of!(
    /// A page of milestones.
    MilestoneList,
    Milestone
);

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RepoQuery {
    /// OWNER/NAME (labels and milestones only; the repository list ignores it)
    repo: Option<String>,
    /// Page number, 1 to 1000000
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000000)]
    page: Option<Page>,
    /// Items per page, 1 to 100 (default 30; labels: 100)
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    per_page: Option<PerPage>,
}

/// Mirrored repositories
#[utoipa::path(
    get,
    path = "/api/v1/repos",
    tag = "mirror",
    params(RepoQuery),
    security(("bearer" = ["read"])),
    responses((status = 200, description = "OK", body = RepoList)),
)]
pub async fn repos(
    State(state): State<AppState>,
    Query(q): Query<RepoQuery>,
) -> ApiResult<Json<RepoList>> {
    let paging = Paging::from(q.page, q.per_page);
    let (total, rows) = state
        .store
        .resource_reads()
        .repositories(paging.per_page, paging.offset())
        .await?;
    let data = rows
        .into_iter()
        .map(|r| Repo {
            default_branch: r.default_branch,
            full_name: r.full_name,
            html_url: r.html_url,
            id: r.id,
            issues: r.issues,
            open_issues: r.open_issues,
            private: r.private != 0,
        })
        .collect();
    Ok(Json(RepoList {
        data,
        pagination: paging.pagination(total),
    }))
}

fn repo_key(repo: &Option<String>) -> Option<String> {
    repo.as_ref().map(|r| r.to_ascii_lowercase())
}

/// Labels
#[utoipa::path(
    get,
    path = "/api/v1/labels",
    tag = "mirror",
    params(RepoQuery),
    security(("bearer" = ["read"])),
    responses((status = 200, description = "OK", body = LabelList)),
)]
pub async fn labels(
    State(state): State<AppState>,
    Query(q): Query<RepoQuery>,
) -> ApiResult<Json<LabelList>> {
    let paging = Paging::with_default(q.page, q.per_page, 100);
    let (total, rows) = state
        .store
        .resource_reads()
        .labels(&repo_key(&q.repo), paging.per_page, paging.offset())
        .await?;
    let data = rows
        .into_iter()
        .map(|l| Label {
            color: l.color,
            description: l.description,
            id: l.id,
            issues: l.issues,
            name: l.name,
            repository: l.repository,
        })
        .collect();
    Ok(Json(LabelList {
        data,
        pagination: paging.pagination(total),
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MilestoneQuery {
    /// OWNER/NAME
    repo: Option<String>,
    /// open, closed or all (default)
    #[param(value_type = Option<String>, pattern = "^(open|closed|all)$")]
    state: Option<String>,
    /// Page number, 1 to 1000000
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000000)]
    page: Option<Page>,
    /// Items per page, 1 to 100 (default 30)
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    per_page: Option<PerPage>,
}

/// A milestone as the API shows it, with its progress over the mirrored issues.
pub(super) fn milestone_of(m: crate::store::resource_reads::MilestoneSummary) -> Milestone {
    let (open, closed) = (m.open_issues, m.closed_issues);
    let percent = if open + closed == 0 {
        0.0
    } else {
        (closed as f64 * 1000.0 / (open + closed) as f64).round() / 10.0
    };
    Milestone {
        description: m.description,
        due_on: m.due_on,
        id: m.id,
        number: m.number,
        progress: Progress {
            closed_issues: closed,
            open_issues: open,
            percent_complete: percent,
            total: open + closed,
            weighted_progress: m.weighted_progress,
        },
        repository: m.repository,
        state: m.state,
        title: m.title,
    }
}

/// Milestones with progress
#[utoipa::path(
    get,
    path = "/api/v1/milestones",
    tag = "mirror",
    params(MilestoneQuery),
    security(("bearer" = ["read"])),
    responses((status = 200, description = "OK", body = MilestoneList)),
)]
pub async fn milestones(
    State(state): State<AppState>,
    Query(q): Query<MilestoneQuery>,
) -> ApiResult<Json<MilestoneList>> {
    let paging = Paging::from(q.page, q.per_page);
    let wanted = match q.state.as_deref().unwrap_or("all") {
        "all" => MilestoneState::All,
        "open" => MilestoneState::Open,
        "closed" => MilestoneState::Closed,
        other => {
            return Err(bad_request(format!(
                "state must be open, closed or all, got '{other}'"
            )))
        }
    };
    let (total, rows) = state
        .store
        .resource_reads()
        .milestones(&repo_key(&q.repo), wanted, paging.per_page, paging.offset())
        .await?;
    let data = rows.into_iter().map(milestone_of).collect();
    Ok(Json(MilestoneList {
        data,
        pagination: paging.pagination(total),
    }))
}
