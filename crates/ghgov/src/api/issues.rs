//! `GET /api/v1/issues` (filters, sort, pages), `GET /issues/{id}` with its relations, and
//! `GET /issues/{id}/comments`. The queries live in the store (`ghgov_store::issue_reads`);
//! this module parses parameters and renders rows.

use super::extract::{Json, Path, Query};
use super::params::{invalid, Page, PerPage, Positive, Timestamp};
use super::{bad_request, json_bytes, not_found, ApiResult, AppState, Paging};
use crate::store::issue_reads::{
    AssigneeFilter, IssueBrief, IssueDetails, IssueFilter, IssueRow, IssueSort, KindFilter,
    MilestoneFilter, ParentFilter, SortDirection, StateFilter,
};
use crate::tracking::Status;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

// The fields of the answers below are in alphabetical order: the order they are written in
// (see `extract::Json`).

/// An issue or pull-request stub of the mirror.
#[derive(Serialize, ToSchema)]
pub struct Issue {
    /// Logins.
    pub assignees: Vec<String>,
    pub closed_at: Option<String>,
    /// How many comments it has on GitHub.
    pub comments: i64,
    pub created_at: String,
    pub dependencies: Dependencies,
    pub html_url: Option<String>,
    /// GitHub's database id.
    pub id: i64,
    pub is_pull_request: bool,
    /// Label names.
    pub labels: Vec<String>,
    pub milestone: Option<MilestoneRef>,
    pub number: i64,
    /// OWNER/NAME.
    pub repository: String,
    /// `open` or `closed`.
    pub state: String,
    pub state_reason: Option<String>,
    /// Where the work stands: planning, in_progress, review, done, blocked or cancelled
    /// (from its state and status label); null for pull requests.
    pub status: Option<String>,
    pub sub_issues: SubIssues,
    pub title: String,
    /// The issue type's name.
    #[serde(rename = "type")]
    pub issue_type: Option<String>,
    pub updated_at: String,
    /// The author's login.
    pub user: Option<String>,
}

/// The milestone an issue is in.
#[derive(Serialize, ToSchema)]
pub struct MilestoneRef {
    pub due_on: Option<String>,
    pub id: i64,
    pub number: i64,
    pub state: String,
    pub title: String,
}

/// How many sub-issues an issue has, and how many of them are completed.
#[derive(Serialize, ToSchema)]
pub struct SubIssues {
    pub completed: i64,
    pub total: i64,
}

/// How many issues block this one, and how many it blocks.
#[derive(Serialize, ToSchema)]
pub struct Dependencies {
    pub blocked_by: i64,
    pub blocking: i64,
}

/// Another issue named by a relation; number, title and state are null when the related
/// issue is not (yet) in the mirror.
#[derive(Serialize, ToSchema)]
pub struct IssueRef {
    pub id: i64,
    pub number: Option<i64>,
    pub state: Option<String>,
    pub title: Option<String>,
}

/// One issue with its body, parent, children and dependencies: an [`Issue`]'s fields and
/// those of its relations.
#[derive(Serialize, ToSchema)]
pub struct IssueDetail {
    pub assignees: Vec<String>,
    /// A descendant in its sub-issue tree is `blocked` (see `GET /issues/hierarchy/{id}`).
    pub at_risk: bool,
    /// The issues blocking this one.
    pub blocked_by: Vec<IssueRef>,
    /// The issues this one blocks.
    pub blocking: Vec<IssueRef>,
    pub body: Option<String>,
    /// Its sub-issues.
    pub children: Vec<IssueRef>,
    pub closed_at: Option<String>,
    pub comments: i64,
    pub created_at: String,
    pub dependencies: Dependencies,
    /// Hours, from a governance apply or an `estimate:N` label.
    pub estimate: Option<f64>,
    pub html_url: Option<String>,
    pub id: i64,
    pub is_pull_request: bool,
    pub labels: Vec<String>,
    pub milestone: Option<MilestoneRef>,
    pub number: i64,
    /// The issue this one is a sub-issue of.
    pub parent: Option<IssueRef>,
    /// 0 to 1, over its sub-issue tree weighted by estimates (none for pull requests).
    pub progress: Option<f64>,
    pub repository: String,
    pub state: String,
    pub state_reason: Option<String>,
    /// Where the work stands (see [`Issue`]'s `status`).
    pub status: Option<String>,
    pub sub_issues: SubIssues,
    pub title: String,
    #[serde(rename = "type")]
    pub issue_type: Option<String>,
    pub updated_at: String,
    pub user: Option<String>,
}

page_of!(
    /// A page of issues.
    IssueList,
    Issue
);

/// A comment on an issue.
#[derive(Serialize, ToSchema)]
pub struct Comment {
    pub body: Option<String>,
    pub created_at: String,
    pub html_url: Option<String>,
    pub id: i64,
    pub updated_at: String,
    /// The author's login.
    pub user: Option<String>,
}

page_of!(
    /// A page of an issue's comments.
    CommentList,
    Comment
);

fn issue(r: &IssueRow, d: &IssueDetails) -> Issue {
    Issue {
        assignees: d.assignees.get(&r.id).cloned().unwrap_or_default(),
        closed_at: r.closed_at.clone(),
        comments: r.comments_count,
        created_at: r.created_at.clone(),
        dependencies: Dependencies {
            blocked_by: r.blocked_by_total,
            blocking: r.blocking_total,
        },
        html_url: r.html_url.clone(),
        id: r.id,
        is_pull_request: r.is_pull_request != 0,
        labels: d.labels.get(&r.id).cloned().unwrap_or_default(),
        milestone: r.milestone().map(|m| MilestoneRef {
            due_on: m.due_on,
            id: m.id,
            number: m.number,
            state: m.state,
            title: m.title,
        }),
        number: r.number,
        repository: r.repository.clone(),
        state: r.state.clone(),
        state_reason: r.state_reason.clone(),
        status: r.status.clone(),
        sub_issues: SubIssues {
            completed: r.sub_issues_completed,
            total: r.sub_issues_total,
        },
        title: r.title.clone(),
        issue_type: r.issue_type.clone(),
        updated_at: r.updated_at.clone(),
        user: r.user_login.clone(),
    }
}

fn brief(b: IssueBrief) -> IssueRef {
    IssueRef {
        id: b.id,
        number: b.number,
        state: b.state,
        title: b.title,
    }
}

/// The filters, order and page of the issue list. (The list reads its query string itself:
/// `label` may be repeated.)
#[allow(dead_code)]
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
struct IssueListQuery {
    /// OWNER/NAME
    repo: Option<String>,
    /// open (default), closed or all
    #[param(pattern = "^(open|closed|all)$")]
    state: Option<String>,
    /// Label name; repeat for several (all must match)
    #[param(style = Form, explode)]
    label: Option<Vec<String>>,
    /// Milestone number or title, `none`, or `*` (any)
    milestone: Option<String>,
    /// Login, `none`, or `*` (any)
    assignee: Option<String>,
    /// Issue type name
    #[param(rename = "type")]
    issue_type: Option<String>,
    /// Parent issue id (from 1), or none
    parent: Option<String>,
    /// Text in title or body
    q: Option<String>,
    /// RFC 3339 time, such as 2024-05-01T00:00:00Z
    #[param(format = DateTime)]
    updated_since: Option<String>,
    /// issue, pull_request or all (default)
    #[param(pattern = "^(issue|pull_request|all)$")]
    kind: Option<String>,
    /// Issues in this status: planning, in_progress, review, done, blocked or cancelled
    #[param(pattern = "^(planning|in_progress|review|done|blocked|cancelled)$")]
    status: Option<String>,
    /// updated (default), created, number or comments
    #[param(pattern = "^(updated|created|number|comments)$")]
    sort: Option<String>,
    /// desc (default) or asc
    #[param(pattern = "^(asc|desc)$")]
    direction: Option<String>,
    /// Page number, 1 to 1000000
    #[param(minimum = 1, maximum = 1000000)]
    page: Option<i64>,
    /// Items per page, 1 to 100 (default 30)
    #[param(minimum = 1, maximum = 100)]
    per_page: Option<i64>,
}

/// Issues and pull-request stubs
///
/// Filters, sort and pages; the same question of an unchanged mirror gets the same answer.
#[utoipa::path(
    get,
    path = "/api/v1/issues",
    operation_id = "list_issues",
    tag = "issues",
    params(IssueListQuery),
    security(("bearer" = ["read"])),
    responses((status = 200, description = "OK", body = IssueList)),
)]
pub async fn list(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    Query(q): Query<Vec<(String, String)>>,
) -> ApiResult<Response> {
    // The same question of an unchanged mirror gets the same answer.
    let key = format!("issues?{}", raw.unwrap_or_default());
    let version = state.store.mirror_version().await?;
    if let Some(body) = state.cache.get(&key, version) {
        return Ok(json_bytes(body));
    }
    let fill = state.cache.fill_lock(&key);
    let _filling = fill.lock().await;
    if let Some(body) = state.cache.get(&key, version) {
        return Ok(json_bytes(body));
    }
    let answer = list_uncached(&state, version, &q).await?;
    let body = axum::body::Bytes::from(serde_json::to_vec(&answer).map_err(anyhow::Error::from)?);
    state.cache.put(key, version, body.clone());
    Ok(json_bytes(body))
}

async fn list_uncached(
    state: &AppState,
    version: i64,
    q: &[(String, String)],
) -> ApiResult<IssueList> {
    let one = |k: &str| {
        q.iter()
            .rev()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let page = one("page")
        .map(|v| Page::parse(&v).map_err(|e| invalid("page", e)))
        .transpose()?;
    let per_page = one("per_page")
        .map(|v| PerPage::parse(&v).map_err(|e| invalid("per_page", e)))
        .transpose()?;
    let paging = Paging::from(page, per_page);
    let mut filter = IssueFilter {
        repo_key: one("repo").map(|r| r.to_ascii_lowercase()),
        ..IssueFilter::default()
    };
    filter.state = match one("state").as_deref().unwrap_or("open") {
        "all" => StateFilter::All,
        "open" => StateFilter::Open,
        "closed" => StateFilter::Closed,
        other => {
            return Err(bad_request(format!(
                "state must be open, closed or all, got '{other}'"
            )))
        }
    };
    filter.labels = q
        .iter()
        .filter(|(k, _)| k == "label")
        .map(|(_, label)| label.to_lowercase())
        .collect();
    filter.milestone = match one("milestone").as_deref() {
        None | Some("*") => MilestoneFilter::Any,
        Some("none") => MilestoneFilter::None,
        Some(m) => match m.parse::<i64>() {
            Ok(number) => MilestoneFilter::Number(number),
            Err(_) => MilestoneFilter::Title(m.into()),
        },
    };
    filter.assignee = match one("assignee").as_deref() {
        None | Some("*") => AssigneeFilter::Any,
        Some("none") => AssigneeFilter::None,
        Some(a) => AssigneeFilter::Login(a.to_lowercase()),
    };
    filter.issue_type = one("type").map(|t| t.to_lowercase());
    filter.parent = match one("parent").as_deref() {
        None => ParentFilter::Any,
        Some("none") => ParentFilter::None,
        Some(p) => {
            let parent = Positive::parse(p)
                .map_err(|e| invalid("parent", format!("{e} (an issue id), or 'none'")))?;
            ParentFilter::Id(parent.0)
        }
    };
    filter.text = one("q").filter(|t| !t.trim().is_empty());
    if let Some(since) = one("updated_since") {
        let t = Timestamp::parse(&since).map_err(|e| invalid("updated_since", e))?;
        filter.updated_since = Some(t.0);
    }
    filter.kind = match one("kind").as_deref() {
        None | Some("all") => KindFilter::All,
        Some("issue") => KindFilter::Issue,
        Some("pull_request") => KindFilter::PullRequest,
        Some(other) => {
            return Err(bad_request(format!(
                "kind must be issue, pull_request or all, got '{other}'"
            )))
        }
    };
    filter.status = match one("status") {
        None => None,
        Some(s) => Some(Status::parse(&s).ok_or_else(|| {
            bad_request(format!(
                "status must be planning, in_progress, review, done, blocked or cancelled, got '{s}'"
            ))
        })?),
    };
    let sort = match one("sort").as_deref().unwrap_or("updated") {
        "updated" => IssueSort::Updated,
        "created" => IssueSort::Created,
        "number" => IssueSort::Number,
        "comments" => IssueSort::Comments,
        other => {
            return Err(bad_request(format!(
                "sort must be updated, created, number or comments, got '{other}'"
            )))
        }
    };
    let direction = match one("direction").as_deref().unwrap_or("desc") {
        "asc" => SortDirection::Asc,
        "desc" => SortDirection::Desc,
        other => {
            return Err(bad_request(format!(
                "direction must be asc or desc, got '{other}'"
            )))
        }
    };
    let page = state
        .store
        .issue_reads()
        .list(
            version,
            &filter,
            sort,
            direction,
            paging.per_page,
            paging.offset(),
        )
        .await?;
    let data = page
        .issues
        .iter()
        .map(|r| issue(r, &page.details))
        .collect();
    Ok(IssueList {
        data,
        pagination: paging.pagination(page.total),
    })
}

/// One issue with labels, milestone, parent, children and dependencies
#[utoipa::path(
    get,
    path = "/api/v1/issues/{id}",
    operation_id = "get_issue",
    tag = "issues",
    params(("id" = i64, Path, description = "Issue id")),
    security(("bearer" = ["read"])),
    responses(
        (status = 200, description = "OK, with the issue's version as ETag", body = IssueDetail),
        (status = 304, description = "Unchanged since the version in If-None-Match"),
        (status = 404, description = "No such issue in the mirror", body = super::ErrorBody),
    ),
)]
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    headers: axum::http::HeaderMap,
) -> ApiResult<Response> {
    use axum::response::IntoResponse;
    let issue = detail(&state, id).await?;
    let etag = etag_of(&issue);
    super::issue_writes::remember_version(&state, &issue, &etag).await?;
    let unchanged = headers
        .get(axum::http::header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let status = if unchanged {
        axum::http::StatusCode::NOT_MODIFIED
    } else {
        axum::http::StatusCode::OK
    };
    let mut response = if unchanged {
        status.into_response()
    } else {
        Json(issue).into_response()
    };
    response.headers_mut().insert(
        axum::http::header::ETAG,
        axum::http::HeaderValue::from_str(&etag).expect("an ETag is ASCII"),
    );
    Ok(response)
}

/// The version of an issue as the API shows it: a strong ETag over its whole answer, so
/// any change to what a client saw (on GitHub or in ghgov) gives another one. Writes take
/// it back in `If-Match` as the version they were based on.
pub(super) fn etag_of(issue: &IssueDetail) -> String {
    use sha2::{Digest, Sha256};
    let bytes = serde_json::to_vec(issue).unwrap_or_default();
    let digest = Sha256::digest(&bytes);
    let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// One issue as `GET /api/v1/issues/{id}` shows it (also the answer to a write).
pub(super) async fn detail(state: &AppState, id: i64) -> ApiResult<IssueDetail> {
    let reads = state.store.issue_reads();
    let row = reads
        .get(id)
        .await?
        .ok_or_else(|| not_found(format!("no issue with id {id} in the mirror")))?;
    let rows = [row];
    let details = reads.details(&rows).await?;
    let Issue {
        assignees,
        closed_at,
        comments,
        created_at,
        dependencies,
        html_url,
        id: _,
        is_pull_request,
        labels,
        milestone,
        number,
        repository,
        state: issue_state,
        state_reason,
        status,
        sub_issues,
        title,
        issue_type,
        updated_at,
        user,
    } = issue(&rows[0], &details);
    let briefs = |list: Vec<IssueBrief>| list.into_iter().map(brief).collect::<Vec<_>>();
    let rollup = state.store.rollup_of(id).await?;
    Ok(IssueDetail {
        assignees,
        at_risk: rollup.as_ref().is_some_and(|r| r.at_risk != 0),
        blocked_by: briefs(reads.blocked_by(id).await?),
        blocking: briefs(reads.blocking(id).await?),
        body: rows[0].body.clone(),
        children: briefs(reads.children(id).await?),
        closed_at,
        comments,
        created_at,
        dependencies,
        estimate: rollup.as_ref().and_then(|r| r.estimate),
        html_url,
        id,
        is_pull_request,
        labels,
        milestone,
        number,
        parent: reads.parent(id).await?.map(brief),
        progress: rollup.as_ref().map(|r| r.progress),
        repository,
        state: issue_state,
        state_reason,
        status,
        sub_issues,
        title,
        issue_type,
        updated_at,
        user,
    })
}

#[derive(serde::Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page number, 1 to 1000000
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000000)]
    page: Option<Page>,
    /// Items per page, 1 to 100 (default 30)
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    per_page: Option<PerPage>,
}

/// Comments of an issue
#[utoipa::path(
    get,
    path = "/api/v1/issues/{id}/comments",
    operation_id = "issue_comments",
    tag = "issues",
    params(("id" = i64, Path, description = "Issue id"), PageQuery),
    security(("bearer" = ["read"])),
    responses(
        (status = 200, description = "OK", body = CommentList),
        (status = 404, description = "No such issue in the mirror", body = super::ErrorBody),
    ),
)]
pub async fn comments(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(p): Query<PageQuery>,
) -> ApiResult<Json<CommentList>> {
    let paging = Paging::from(p.page, p.per_page);
    let (total, rows) = state
        .store
        .issue_reads()
        .comments(id, paging.per_page, paging.offset())
        .await?
        .ok_or_else(|| not_found(format!("no issue with id {id} in the mirror")))?;
    let data = rows
        .into_iter()
        .map(|r| Comment {
            body: r.body,
            created_at: r.created_at,
            html_url: r.html_url,
            id: r.id,
            updated_at: r.updated_at,
            user: r.user_login,
        })
        .collect();
    Ok(Json(CommentList {
        data,
        pagination: paging.pagination(total),
    }))
}

/// One change of an issue's status.
#[derive(Serialize, ToSchema)]
pub struct StatusChange {
    /// The GitHub login (a webhook's sender) or ghgov principal; null when unknown.
    pub actor: Option<String>,
    /// When it happened: the issue's `updated_at` on GitHub, or when ghgov made it.
    pub at: String,
    /// The webhook delivery id, `sync-<operation>`, `plan-<id>` or the API request.
    pub correlation_id: Option<String>,
    /// Null for the first observation of the issue.
    pub from: Option<String>,
    pub id: i64,
    /// GitHub's `state_reason` for a close, or the reason given to the API.
    pub reason: Option<String>,
    /// When ghgov recorded it.
    pub recorded_at: String,
    /// `webhook`, `sync`, `api` or `apply`.
    pub source: String,
    pub to: String,
    /// True when the workflow does not allow `from` → `to` (recorded, never reverted).
    pub violation: bool,
}

/// What the whole history says, in seconds; an open stretch counts up to now.
#[derive(Serialize, ToSchema)]
pub struct StatusTimes {
    /// Total time spent blocked.
    pub blocked_time: i64,
    /// From the first move into in_progress to done; null unless the issue is done.
    pub cycle_time: Option<i64>,
    /// From creation to done; null unless the issue is done.
    pub lead_time: Option<i64>,
    /// Total time spent in review.
    pub review_time: i64,
}

/// A page of an issue's status history, oldest first, and the times the whole history
/// yields.
#[derive(Serialize, ToSchema)]
pub struct IssueHistory {
    pub data: Vec<StatusChange>,
    pub pagination: super::Pagination,
    pub times: StatusTimes,
}

/// Status history of an issue
///
/// Every change of the issue's status, from whichever source saw it first (webhook, sync,
/// api, apply), with cycle, lead, blocked and review times.
#[utoipa::path(
    get,
    path = "/api/v1/issues/{id}/history",
    operation_id = "issue_history",
    tag = "issues",
    params(("id" = i64, Path, description = "Issue id"), PageQuery),
    security(("bearer" = ["read"])),
    responses(
        (status = 200, description = "OK", body = IssueHistory),
        (status = 404, description = "No such issue in the mirror", body = super::ErrorBody),
    ),
)]
pub async fn history(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(p): Query<PageQuery>,
) -> ApiResult<Json<IssueHistory>> {
    let paging = Paging::from(p.page, p.per_page);
    let row = state
        .store
        .issue_reads()
        .get(id)
        .await?
        .ok_or_else(|| not_found(format!("no issue with id {id} in the mirror")))?;
    let all = state.store.status_history_all(id).await?;
    let t = crate::tracking::history::times_of(&all, &row.created_at, state.clock.now());
    let (total, rows) = state
        .store
        .status_history(id, paging.per_page, paging.offset())
        .await?;
    let data = rows
        .into_iter()
        .map(|r| StatusChange {
            actor: r.actor,
            at: r.at,
            correlation_id: r.correlation_id,
            from: r.from_status,
            id: r.id,
            reason: r.reason,
            recorded_at: r.recorded_at,
            source: r.source,
            to: r.to_status,
            violation: r.violation != 0,
        })
        .collect();
    Ok(Json(IssueHistory {
        data,
        pagination: paging.pagination(total),
        times: StatusTimes {
            blocked_time: t.blocked_time,
            cycle_time: t.cycle_time,
            lead_time: t.lead_time,
            review_time: t.review_time,
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Pagination;

    /// The list is cached as bytes, written straight from its types: their fields must be
    /// in the order every other answer writes them (a `serde_json::Value`'s, alphabetical).
    #[test]
    fn the_issue_list_writes_its_fields_in_alphabetical_order() {
        let issue = Issue {
            assignees: vec!["zed".into()],
            closed_at: None,
            comments: 2,
            created_at: "2024-05-01T00:00:00Z".into(),
            dependencies: Dependencies {
                blocked_by: 1,
                blocking: 0,
            },
            html_url: Some("https://github.com/acme/widgets/issues/1".into()),
            id: 10,
            is_pull_request: false,
            labels: vec!["bug".into()],
            milestone: Some(MilestoneRef {
                due_on: None,
                id: 3,
                number: 1,
                state: "open".into(),
                title: "v1".into(),
            }),
            number: 1,
            repository: "acme/widgets".into(),
            state: "open".into(),
            state_reason: None,
            status: Some("review".into()),
            sub_issues: SubIssues {
                completed: 1,
                total: 2,
            },
            title: "A needle".into(),
            issue_type: Some("Bug".into()),
            updated_at: "2024-05-02T00:00:00Z".into(),
            user: Some("ann".into()),
        };
        let list = IssueList {
            data: vec![issue],
            pagination: Pagination {
                page: 1,
                pages: 1,
                per_page: 30,
                total: 1,
            },
        };
        let direct = serde_json::to_string(&list).unwrap();
        assert_eq!(direct, serde_json::to_value(&list).unwrap().to_string());
    }
}
