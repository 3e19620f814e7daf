//! Pull requests in GraphQL. fakehub's pull requests are stubs: the model's issues with
//! `pull_request` set, sharing the issues' numbers, labels, assignees and milestone. They
//! are never merged (the model has no merge), so a closed one is CLOSED.

use super::connection::{connection, PageArgs};
use super::ids;
use super::objects::{
    assignees_of, issue_url, labels_of, paged, read_issue, Actor, DateTime, LabelConnection,
    Milestone, Repository, Uri, User, UserConnection,
};
use crate::hub::Hub;
use crate::model::{Id, IssueState as ModelState};
use async_graphql::{Context, Enum, Object, ID};
use std::sync::Arc;

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum PullRequestState {
    #[graphql(name = "CLOSED")]
    Closed,
    #[graphql(name = "MERGED")]
    Merged,
    #[graphql(name = "OPEN")]
    Open,
}

impl PullRequestState {
    /// A stub's state: the model does not merge, so closed is CLOSED.
    fn of(i: &crate::model::Issue) -> Self {
        match i.state {
            ModelState::Open => PullRequestState::Open,
            ModelState::Closed => PullRequestState::Closed,
        }
    }
}

connection!(PullRequestConnection, PullRequestEdge, PullRequest);

fn time(t: crate::model::Time) -> DateTime {
    DateTime(crate::clock::iso(t))
}

fn int(n: u64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// `Repository.pullRequests`: the live pull requests of repository `repo`, oldest first,
/// filtered by state and by label names (any of them).
pub(super) fn of_repository(
    ctx: &Context<'_>,
    repo: usize,
    labels: Option<Vec<String>>,
    states: Option<Vec<PullRequestState>>,
    args: PageArgs,
) -> async_graphql::Result<PullRequestConnection> {
    let pulls: Vec<PullRequest> = {
        let world = ctx.data_unchecked::<Arc<Hub>>().world.read();
        let repo = &world.repos[repo];
        let wanted: Option<Vec<Id>> = labels.map(|names| {
            names
                .iter()
                .filter_map(|n| repo.label_by_name(n).map(|l| l.id))
                .collect()
        });
        repo.issues
            .iter()
            .filter(|i| i.pull_request && i.gone.is_none())
            .filter(|i| {
                states
                    .as_ref()
                    .is_none_or(|s| s.contains(&PullRequestState::of(i)))
            })
            .filter(|i| {
                wanted
                    .as_ref()
                    .is_none_or(|want| want.iter().any(|l| i.labels.contains(l)))
            })
            .map(|i| PullRequest { id: i.id })
            .collect()
    };
    paged(pulls, args)
}

#[derive(Clone, Debug)]
pub struct PullRequest {
    pub id: Id,
}

impl PullRequest {
    fn field<R: Default>(
        &self,
        ctx: &Context<'_>,
        f: impl FnOnce(&crate::model::World, usize, &crate::model::Issue) -> R,
    ) -> R {
        read_issue(ctx, self.id, f).unwrap_or_default()
    }
}

#[Object]
impl PullRequest {
    /// The same id REST answers as the pull request's `node_id`.
    pub async fn id(&self) -> ID {
        ID(ids::pull_request(self.id))
    }

    async fn database_id(&self) -> Option<i32> {
        Some(int(self.id))
    }

    async fn number(&self, ctx: &Context<'_>) -> i32 {
        self.field(ctx, |_, _, i| int(i.number))
    }

    async fn title(&self, ctx: &Context<'_>) -> String {
        self.field(ctx, |_, _, i| i.title.clone())
    }

    async fn body(&self, ctx: &Context<'_>) -> String {
        self.field(ctx, |_, _, i| i.body.clone().unwrap_or_default())
    }

    async fn state(&self, ctx: &Context<'_>) -> PullRequestState {
        read_issue(ctx, self.id, |_, _, i| PullRequestState::of(i))
            .unwrap_or(PullRequestState::Closed)
    }

    async fn closed(&self, ctx: &Context<'_>) -> bool {
        self.field(ctx, |_, _, i| !i.is_open())
    }

    async fn closed_at(&self, ctx: &Context<'_>) -> Option<DateTime> {
        self.field(ctx, |_, _, i| i.closed_at.map(time))
    }

    async fn created_at(&self, ctx: &Context<'_>) -> DateTime {
        self.field(ctx, |_, _, i| time(i.created_at))
    }

    async fn updated_at(&self, ctx: &Context<'_>) -> DateTime {
        self.field(ctx, |_, _, i| time(i.updated_at))
    }

    async fn url(&self, ctx: &Context<'_>) -> Uri {
        read_issue(ctx, self.id, issue_url).unwrap_or_else(|| Uri(String::new()))
    }

    async fn author(&self, ctx: &Context<'_>) -> Option<Actor> {
        read_issue(ctx, self.id, |_, _, i| {
            Actor::User(User {
                login: i.user.clone(),
            })
        })
    }

    async fn repository(&self, ctx: &Context<'_>) -> Repository {
        Repository {
            idx: self.field(ctx, |_, repo, _| repo),
        }
    }

    async fn labels(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> async_graphql::Result<Option<LabelConnection>> {
        labels_of(
            ctx,
            self.id,
            PageArgs {
                first,
                last,
                after,
                before,
            },
        )
    }

    async fn assignees(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> async_graphql::Result<UserConnection> {
        assignees_of(
            ctx,
            self.id,
            PageArgs {
                first,
                last,
                after,
                before,
            },
        )
    }

    async fn milestone(&self, ctx: &Context<'_>) -> Option<Milestone> {
        self.field(ctx, |_, repo, i| {
            i.milestone.map(|number| Milestone { repo, number })
        })
    }

    /// Stubs are ready for review.
    async fn is_draft(&self) -> bool {
        false
    }

    /// Stubs are never merged.
    async fn merged(&self) -> bool {
        false
    }

    async fn merged_at(&self) -> Option<DateTime> {
        None
    }

    async fn locked(&self, ctx: &Context<'_>) -> bool {
        self.field(ctx, |_, _, i| i.locked)
    }

    /// The project items holding this pull request.
    async fn project_items(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        #[graphql(default_with = "Some(true)")] include_archived: Option<bool>,
        last: Option<i32>,
    ) -> async_graphql::Result<super::projects::ProjectV2ItemConnection> {
        super::projects::items_holding(
            ctx,
            self.id,
            include_archived != Some(false),
            PageArgs {
                first,
                last,
                after,
                before,
            },
        )
    }
}
