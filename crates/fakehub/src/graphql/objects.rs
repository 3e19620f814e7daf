//! The types fakehub serves, with GitHub's names, fields, arguments and nullability. Each
//! object holds a key into the model (a repository index, an issue id) and reads the world
//! when a field is asked for, so REST and GraphQL always see the same state.

use super::connection::{connection, Page, PageArgs};
use super::ids::{self, NodeKind};
use crate::hub::Hub;
use crate::model::{Id, IssueState as ModelState, Time, World};
use async_graphql::{
    Context, Enum, Error, ErrorExtensions, InputValueError, InputValueResult, Interface, Object,
    Scalar, ScalarType, SimpleObject, Value, ID,
};
use std::sync::Arc;

/// An ISO-8601 time, as GitHub's `DateTime` scalar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateTime(pub String);

/// Only for objects deleted while a query reads them.
impl Default for DateTime {
    fn default() -> Self {
        DateTime("1970-01-01T00:00:00Z".into())
    }
}

#[Scalar(name = "DateTime")]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        match value {
            Value::String(s) if chrono::DateTime::parse_from_rfc3339(&s).is_ok() => Ok(DateTime(s)),
            other => Err(InputValueError::expected_type(other)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.clone())
    }
}

fn time(t: Time) -> DateTime {
    DateTime(crate::clock::iso(t))
}

/// An RFC 3986 URI, as GitHub's `URI` scalar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uri(pub String);

#[Scalar(name = "URI")]
impl ScalarType for Uri {
    fn parse(value: Value) -> InputValueResult<Self> {
        match value {
            Value::String(s) => Ok(Uri(s)),
            other => Err(InputValueError::expected_type(other)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.clone())
    }
}

/// A failure with GitHub's `type` (moved to the top of the error object when answered).
pub fn typed_error(kind: &'static str, message: impl Into<String>) -> Error {
    Error::new(message).extend_with(|_, e| e.set("type", kind))
}

fn hub<'a>(ctx: &Context<'a>) -> &'a Arc<Hub> {
    ctx.data_unchecked::<Arc<Hub>>()
}

/// Who the request acts as.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub login: String,
    /// None for an anonymous request in open mode.
    pub credential: Option<crate::model::Credential>,
}

impl Viewer {
    /// Whether the viewer may see repository `idx` (a private one is invisible, as on
    /// GitHub, to whoever has no role in it).
    pub fn sees(&self, world: &World, idx: usize) -> bool {
        world
            .can(
                self.credential.as_ref(),
                idx,
                crate::model::Need::Role(crate::model::Role::Read),
            )
            .is_ok()
    }

    /// Whether the viewer may see issue (or pull request) `id`: it is live and in a
    /// repository the viewer sees.
    pub fn sees_issue(&self, world: &World, id: Id) -> bool {
        world
            .issue_by_id(id)
            .is_some_and(|(repo, i)| i.gone.is_none() && self.sees(world, repo))
    }
}

fn viewer<'a>(ctx: &Context<'a>) -> &'a Viewer {
    ctx.data_unchecked::<Viewer>()
}

/// The issues among `ids` the viewer may see, in their order (a link to an issue in a
/// repository the viewer cannot see is left out, as on GitHub).
pub(super) fn visible_issues(ctx: &Context<'_>, ids: &[Id]) -> Vec<Issue> {
    let world = hub(ctx).world.read();
    let viewer = viewer(ctx);
    ids.iter()
        .filter(|id| viewer.sees_issue(&world, **id))
        .map(|&id| Issue { id })
        .collect()
}

/// Reads issue (or pull request) `id`, which may since have been deleted or transferred:
/// then None.
pub(super) fn read_issue<R>(
    ctx: &Context<'_>,
    id: Id,
    f: impl FnOnce(&World, usize, &crate::model::Issue) -> R,
) -> Option<R> {
    let world = hub(ctx).world.read();
    let (repo, number) = *world.issue_loc.get(&id)?;
    let issue = world.repos[repo].issue(number)?;
    Some(f(&world, repo, issue))
}

/// The web address of issue or pull request `i` of repository `repo`.
pub(super) fn issue_url(w: &World, repo: usize, i: &crate::model::Issue) -> Uri {
    let kind = if i.pull_request { "pull" } else { "issues" };
    Uri(format!(
        "{}/{}/{kind}/{}",
        w.base,
        w.repos[repo].full_name(),
        i.number
    ))
}

/// The labels of issue or pull request `id`, paged.
pub(super) fn labels_of(
    ctx: &Context<'_>,
    id: Id,
    args: PageArgs,
) -> async_graphql::Result<Option<LabelConnection>> {
    let labels = read_issue(ctx, id, |_, repo, i| {
        i.labels
            .iter()
            .map(|&id| Label { repo, id })
            .collect::<Vec<_>>()
    })
    .unwrap_or_default();
    paged(labels, args).map(Some)
}

/// The assignees of issue or pull request `id`, paged.
pub(super) fn assignees_of(
    ctx: &Context<'_>,
    id: Id,
    args: PageArgs,
) -> async_graphql::Result<UserConnection> {
    let users = read_issue(ctx, id, |_, _, i| {
        i.assignees
            .iter()
            .map(|login| User {
                login: login.clone(),
            })
            .collect::<Vec<_>>()
    })
    .unwrap_or_default();
    paged(users, args)
}

/// What the request costs and what is left of the hour's points, for `rateLimit`.
#[derive(Debug, Clone, Copy)]
pub struct Spent {
    pub cost: u64,
    pub limit: u64,
    pub remaining: u64,
    pub used: u64,
    pub reset_at: Time,
    pub node_count: u64,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum IssueState {
    #[graphql(name = "CLOSED")]
    Closed,
    #[graphql(name = "OPEN")]
    Open,
}

impl From<ModelState> for IssueState {
    fn from(s: ModelState) -> Self {
        match s {
            ModelState::Open => IssueState::Open,
            ModelState::Closed => IssueState::Closed,
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum MilestoneState {
    #[graphql(name = "CLOSED")]
    Closed,
    #[graphql(name = "OPEN")]
    Open,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum IssueStateReason {
    #[graphql(name = "COMPLETED")]
    Completed,
    #[graphql(name = "DUPLICATE")]
    Duplicate,
    #[graphql(name = "NOT_PLANNED")]
    NotPlanned,
    #[graphql(name = "REOPENED")]
    Reopened,
}

impl IssueStateReason {
    fn from_rest(reason: &str) -> Option<Self> {
        match reason {
            "completed" => Some(IssueStateReason::Completed),
            "duplicate" => Some(IssueStateReason::Duplicate),
            "not_planned" => Some(IssueStateReason::NotPlanned),
            "reopened" => Some(IssueStateReason::Reopened),
            _ => None,
        }
    }
}

#[derive(SimpleObject, Debug, Clone)]
pub struct RateLimit {
    pub cost: i32,
    pub limit: i32,
    pub node_count: i32,
    pub remaining: i32,
    pub reset_at: DateTime,
    pub used: i32,
}

#[derive(SimpleObject, Debug, Clone, Copy)]
pub struct SubIssuesSummary {
    pub completed: i32,
    pub percent_completed: i32,
    pub total: i32,
}

connection!(IssueConnection, IssueEdge, Issue);
connection!(LabelConnection, LabelEdge, Label);
connection!(MilestoneConnection, MilestoneEdge, Milestone);
connection!(UserConnection, UserEdge, User);

/// The page `args` asks for, as the connection type `C`.
pub(super) fn paged<T, C: From<Page<T>>>(
    items: Vec<T>,
    args: PageArgs,
) -> async_graphql::Result<C> {
    Page::of(items, &args).map(C::from)
}

fn int(n: u64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// Anything with a global id.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID"))]
pub enum Node {
    Issue(Issue),
    IssueType(super::issue_types::IssueType),
    PullRequest(super::pulls::PullRequest),
    ProjectV2(super::projects::ProjectV2),
    ProjectV2Item(super::projects::ProjectV2Item),
    Label(Label),
    Milestone(Milestone),
    Organization(super::projects::Organization),
    Repository(Repository),
    User(User),
}

/// Who acted (an issue's author).
#[derive(Interface)]
#[graphql(field(name = "login", ty = "String"))]
#[graphql(field(name = "url", ty = "Uri"))]
pub enum Actor {
    User(User),
}

/// A repository's owner.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID"))]
#[graphql(field(name = "login", ty = "String"))]
#[graphql(field(name = "url", ty = "Uri"))]
pub enum RepositoryOwner {
    User(User),
}

#[derive(Clone, Debug)]
pub struct User {
    pub login: String,
}

#[Object]
impl User {
    pub async fn id(&self, ctx: &Context<'_>) -> ID {
        let id = hub(ctx)
            .world
            .read()
            .find_user(&self.login)
            .map_or(0, |u| u.id);
        ID(ids::encode(NodeKind::User, id))
    }

    async fn database_id(&self, ctx: &Context<'_>) -> Option<i32> {
        hub(ctx)
            .world
            .read()
            .find_user(&self.login)
            .map(|u| int(u.id))
    }

    async fn login(&self) -> String {
        self.login.clone()
    }

    async fn url(&self, ctx: &Context<'_>) -> Uri {
        Uri(format!("{}/{}", hub(ctx).world.read().base, self.login))
    }

    pub async fn project_v2(
        &self,
        ctx: &Context<'_>,
        number: i32,
    ) -> async_graphql::Result<Option<super::projects::ProjectV2>> {
        super::projects::Owned(&self.login).project(ctx, number)
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn projects_v2(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
        query: Option<String>,
    ) -> async_graphql::Result<super::projects::ProjectV2Connection> {
        let args = PageArgs {
            first,
            last,
            after,
            before,
        };
        super::projects::Owned(&self.login).projects(ctx, args, query.as_deref())
    }
}

pub struct Query;

#[Object]
impl Query {
    /// The user the token belongs to.
    async fn viewer(&self, ctx: &Context<'_>) -> User {
        User {
            login: ctx.data_unchecked::<Viewer>().login.clone(),
        }
    }

    /// A repository by owner and name.
    async fn repository(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Some(true)")] follow_renames: Option<bool>,
        name: String,
        owner: String,
    ) -> async_graphql::Result<Option<Repository>> {
        let _ = follow_renames;
        let world = hub(ctx).world.read();
        let viewer = ctx.data_unchecked::<Viewer>();
        match world.repo_idx(&owner, &name) {
            Ok(idx) if viewer.sees(&world, idx) => Ok(Some(Repository { idx })),
            _ => Err(typed_error(
                "NOT_FOUND",
                format!("Could not resolve to a Repository with the name '{owner}/{name}'."),
            )),
        }
    }

    /// An organization by login.
    async fn organization(
        &self,
        ctx: &Context<'_>,
        login: String,
    ) -> async_graphql::Result<Option<super::projects::Organization>> {
        let world = hub(ctx).world.read();
        match world.find_user(&login) {
            Some(u) if u.kind == crate::model::UserKind::Organization => {
                Ok(Some(super::projects::Organization {
                    login: u.login.clone(),
                }))
            }
            _ => Err(typed_error(
                "NOT_FOUND",
                format!("Could not resolve to an Organization with the login of '{login}'."),
            )),
        }
    }

    /// A user by login.
    async fn user(&self, ctx: &Context<'_>, login: String) -> async_graphql::Result<Option<User>> {
        let world = hub(ctx).world.read();
        match world.find_user(&login) {
            Some(u) if u.kind != crate::model::UserKind::Organization => Ok(Some(User {
                login: u.login.clone(),
            })),
            _ => Err(typed_error(
                "NOT_FOUND",
                format!("Could not resolve to a User with the login of '{login}'."),
            )),
        }
    }

    /// Any object by its global id.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Node>> {
        let viewer = ctx.data_unchecked::<Viewer>();
        match resolve_node(&hub(ctx).world.read(), viewer, &id) {
            Some(node) => Ok(Some(node)),
            None => Err(typed_error(
                "NOT_FOUND",
                format!(
                    "Could not resolve to a node with the global id of '{}'",
                    id.0
                ),
            )),
        }
    }

    /// Objects by their global ids, null where an id names nothing.
    async fn nodes(&self, ctx: &Context<'_>, ids: Vec<ID>) -> Vec<Option<Node>> {
        let world = hub(ctx).world.read();
        let viewer = ctx.data_unchecked::<Viewer>();
        ids.iter()
            .map(|id| resolve_node(&world, viewer, id))
            .collect()
    }

    /// The points this query cost and what is left of the hour.
    async fn rate_limit(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Some(false)")] dry_run: Option<bool>,
    ) -> Option<RateLimit> {
        let spent = ctx.data_unchecked::<Spent>();
        let _ = dry_run;
        Some(RateLimit {
            cost: int(spent.cost),
            limit: int(spent.limit),
            node_count: int(spent.node_count),
            remaining: int(spent.remaining),
            reset_at: time(spent.reset_at),
            used: int(spent.used),
        })
    }
}

fn resolve_node(world: &World, viewer: &Viewer, id: &ID) -> Option<Node> {
    let (kind, db_id) = ids::decode(id)?;
    match kind {
        NodeKind::Repository => world
            .repos
            .iter()
            .position(|r| r.id == db_id)
            .filter(|idx| viewer.sees(world, *idx))
            .map(|idx| Node::Repository(Repository { idx })),
        // REST gives a pull request an issue-style id; GitHub's `PR_` ids name one too.
        NodeKind::Issue | NodeKind::PullRequest => {
            let (_, issue) = world.issue_by_id(db_id)?;
            if !viewer.sees_issue(world, db_id) {
                return None;
            }
            match (issue.pull_request, kind) {
                (true, _) => Some(Node::PullRequest(super::pulls::PullRequest { id: db_id })),
                (false, NodeKind::Issue) => Some(Node::Issue(Issue { id: db_id })),
                (false, _) => None,
            }
        }
        NodeKind::IssueType => {
            super::issue_types::resolve(world, viewer, db_id).map(Node::IssueType)
        }
        NodeKind::Label => world.repos.iter().enumerate().find_map(|(idx, r)| {
            r.label(db_id).filter(|_| viewer.sees(world, idx)).map(|_| {
                Node::Label(Label {
                    repo: idx,
                    id: db_id,
                })
            })
        }),
        NodeKind::Milestone => world.repos.iter().enumerate().find_map(|(idx, r)| {
            r.milestones
                .iter()
                .find(|m| m.id == db_id && !m.deleted && viewer.sees(world, idx))
                .map(|m| {
                    Node::Milestone(Milestone {
                        repo: idx,
                        number: m.number,
                    })
                })
        }),
        NodeKind::Project => world
            .project(db_id)
            .map(|p| Node::ProjectV2(super::projects::ProjectV2 { id: p.id })),
        NodeKind::ProjectItem => world.projects.iter().find_map(|p| {
            (!p.deleted && p.item(db_id).is_some()).then_some(Node::ProjectV2Item(
                super::projects::ProjectV2Item {
                    project: p.id,
                    id: db_id,
                },
            ))
        }),
        NodeKind::ProjectField
        | NodeKind::SingleSelectField
        | NodeKind::IterationField
        | NodeKind::DraftIssue
        | NodeKind::FieldValue => None,
        NodeKind::User | NodeKind::Organization => {
            world.users.values().find(|u| u.id == db_id).map(|u| {
                let login = u.login.clone();
                if u.kind == crate::model::UserKind::Organization {
                    Node::Organization(super::projects::Organization { login })
                } else {
                    Node::User(User { login })
                }
            })
        }
    }
}

#[derive(Clone, Debug)]
pub struct Repository {
    pub idx: usize,
}

#[Object]
impl Repository {
    async fn id(&self, ctx: &Context<'_>) -> ID {
        ID(ids::encode(
            NodeKind::Repository,
            hub(ctx).world.read().repos[self.idx].id,
        ))
    }

    async fn database_id(&self, ctx: &Context<'_>) -> Option<i32> {
        Some(int(hub(ctx).world.read().repos[self.idx].id))
    }

    async fn name(&self, ctx: &Context<'_>) -> String {
        hub(ctx).world.read().repos[self.idx].name.clone()
    }

    async fn name_with_owner(&self, ctx: &Context<'_>) -> String {
        hub(ctx).world.read().repos[self.idx].full_name()
    }

    async fn owner(&self, ctx: &Context<'_>) -> RepositoryOwner {
        RepositoryOwner::User(User {
            login: hub(ctx).world.read().repos[self.idx].owner.clone(),
        })
    }

    async fn description(&self, ctx: &Context<'_>) -> Option<String> {
        hub(ctx).world.read().repos[self.idx].description.clone()
    }

    async fn is_private(&self, ctx: &Context<'_>) -> bool {
        hub(ctx).world.read().repos[self.idx].private
    }

    async fn url(&self, ctx: &Context<'_>) -> Uri {
        let world = hub(ctx).world.read();
        Uri(format!(
            "{}/{}",
            world.base,
            world.repos[self.idx].full_name()
        ))
    }

    async fn created_at(&self, ctx: &Context<'_>) -> DateTime {
        time(hub(ctx).world.read().repos[self.idx].created_at)
    }

    async fn updated_at(&self, ctx: &Context<'_>) -> DateTime {
        time(hub(ctx).world.read().repos[self.idx].updated_at)
    }

    /// Issues (not pull requests), oldest first.
    #[allow(clippy::too_many_arguments)]
    async fn issues(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        labels: Option<Vec<String>>,
        last: Option<i32>,
        states: Option<Vec<IssueState>>,
    ) -> async_graphql::Result<IssueConnection> {
        let world = hub(ctx).world.read();
        let repo = &world.repos[self.idx];
        let wanted_labels: Option<Vec<Id>> = labels.map(|names| {
            names
                .iter()
                .filter_map(|n| repo.label_by_name(n).map(|l| l.id))
                .collect()
        });
        let issues: Vec<Issue> = repo
            .issues
            .iter()
            .filter(|i| !i.pull_request && i.gone.is_none())
            .filter(|i| {
                states
                    .as_ref()
                    .is_none_or(|s| s.contains(&IssueState::from(i.state)))
            })
            .filter(|i| {
                wanted_labels
                    .as_ref()
                    .is_none_or(|want| want.iter().any(|l| i.labels.contains(l)))
            })
            .map(|i| Issue { id: i.id })
            .collect();
        paged(
            issues,
            PageArgs {
                first,
                last,
                after,
                before,
            },
        )
    }

    async fn issue(&self, ctx: &Context<'_>, number: i32) -> Option<Issue> {
        let world = hub(ctx).world.read();
        let issue = world.repos[self.idx].issue(u64::try_from(number).ok()?)?;
        (!issue.pull_request && issue.gone.is_none()).then_some(Issue { id: issue.id })
    }

    /// Pull requests, oldest first.
    #[allow(clippy::too_many_arguments)]
    async fn pull_requests(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        labels: Option<Vec<String>>,
        last: Option<i32>,
        states: Option<Vec<super::pulls::PullRequestState>>,
    ) -> async_graphql::Result<super::pulls::PullRequestConnection> {
        super::pulls::of_repository(
            ctx,
            self.idx,
            labels,
            states,
            PageArgs {
                first,
                last,
                after,
                before,
            },
        )
    }

    async fn pull_request(
        &self,
        ctx: &Context<'_>,
        number: i32,
    ) -> Option<super::pulls::PullRequest> {
        let world = hub(ctx).world.read();
        let pr = world.repos[self.idx].issue(u64::try_from(number).ok()?)?;
        (pr.pull_request && pr.gone.is_none()).then_some(super::pulls::PullRequest { id: pr.id })
    }

    /// The owning organization's issue types (null for a repository a user owns).
    async fn issue_types(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> async_graphql::Result<Option<super::issue_types::IssueTypeConnection>> {
        super::issue_types::of_repository(
            ctx,
            self.idx,
            PageArgs {
                first,
                last,
                after,
                before,
            },
        )
    }

    /// One of the owning organization's issue types, by name.
    async fn issue_type(
        &self,
        ctx: &Context<'_>,
        name: String,
    ) -> Option<super::issue_types::IssueType> {
        super::issue_types::named(ctx, self.idx, &name)
    }

    async fn labels(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
        query: Option<String>,
    ) -> async_graphql::Result<Option<LabelConnection>> {
        let world = hub(ctx).world.read();
        let query = query.map(|q| q.to_lowercase());
        let labels = world.repos[self.idx]
            .labels
            .iter()
            .filter(|l| {
                query
                    .as_ref()
                    .is_none_or(|q| l.name.to_lowercase().contains(q))
            })
            .map(|l| Label {
                repo: self.idx,
                id: l.id,
            })
            .collect();
        paged(
            labels,
            PageArgs {
                first,
                last,
                after,
                before,
            },
        )
        .map(Some)
    }

    async fn label(&self, ctx: &Context<'_>, name: String) -> Option<Label> {
        let world = hub(ctx).world.read();
        world.repos[self.idx].label_by_name(&name).map(|l| Label {
            repo: self.idx,
            id: l.id,
        })
    }

    #[allow(clippy::too_many_arguments)]
    async fn milestones(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
        query: Option<String>,
        states: Option<Vec<MilestoneState>>,
    ) -> async_graphql::Result<Option<MilestoneConnection>> {
        let world = hub(ctx).world.read();
        let query = query.map(|q| q.to_lowercase());
        let milestones = world.repos[self.idx]
            .milestones
            .iter()
            .filter(|m| !m.deleted)
            .filter(|m| {
                let state = match m.state {
                    ModelState::Open => MilestoneState::Open,
                    ModelState::Closed => MilestoneState::Closed,
                };
                states.as_ref().is_none_or(|s| s.contains(&state))
            })
            .filter(|m| {
                query
                    .as_ref()
                    .is_none_or(|q| m.title.to_lowercase().contains(q))
            })
            .map(|m| Milestone {
                repo: self.idx,
                number: m.number,
            })
            .collect();
        paged(
            milestones,
            PageArgs {
                first,
                last,
                after,
                before,
            },
        )
        .map(Some)
    }

    async fn milestone(&self, ctx: &Context<'_>, number: i32) -> Option<Milestone> {
        let world = hub(ctx).world.read();
        let number = u64::try_from(number).ok()?;
        world.repos[self.idx].milestone(number).map(|_| Milestone {
            repo: self.idx,
            number,
        })
    }
}

#[derive(Clone, Debug)]
pub struct Issue {
    pub id: Id,
}

impl Issue {
    /// Reads the issue (which may since have been deleted or transferred: then None).
    fn with<R>(
        &self,
        ctx: &Context<'_>,
        f: impl FnOnce(&World, usize, &crate::model::Issue) -> R,
    ) -> Option<R> {
        read_issue(ctx, self.id, f)
    }

    fn field<R: Default>(
        &self,
        ctx: &Context<'_>,
        f: impl FnOnce(&World, usize, &crate::model::Issue) -> R,
    ) -> R {
        self.with(ctx, f).unwrap_or_default()
    }

    /// The issues `pick` names that the viewer may see.
    fn issues_by_id(
        &self,
        ctx: &Context<'_>,
        pick: impl FnOnce(&crate::model::Issue) -> Vec<Id>,
    ) -> Vec<Issue> {
        visible_issues(ctx, &self.field(ctx, |_, _, i| pick(i)))
    }
}

#[Object]
impl Issue {
    async fn id(&self) -> ID {
        ID(ids::encode(NodeKind::Issue, self.id))
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

    /// The body as written (empty when there is none).
    async fn body(&self, ctx: &Context<'_>) -> String {
        self.field(ctx, |_, _, i| i.body.clone().unwrap_or_default())
    }

    async fn state(&self, ctx: &Context<'_>) -> IssueState {
        self.with(ctx, |_, _, i| IssueState::from(i.state))
            .unwrap_or(IssueState::Closed)
    }

    async fn state_reason(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Some(false)")] enable_duplicate: Option<bool>,
    ) -> Option<IssueStateReason> {
        let reason = self.with(ctx, |_, _, i| i.state_reason.clone()).flatten()?;
        match IssueStateReason::from_rest(&reason)? {
            IssueStateReason::Duplicate if enable_duplicate != Some(true) => {
                Some(IssueStateReason::NotPlanned)
            }
            other => Some(other),
        }
    }

    async fn closed(&self, ctx: &Context<'_>) -> bool {
        self.field(ctx, |_, _, i| !i.is_open())
    }

    async fn closed_at(&self, ctx: &Context<'_>) -> Option<DateTime> {
        self.with(ctx, |_, _, i| i.closed_at.map(time)).flatten()
    }

    async fn created_at(&self, ctx: &Context<'_>) -> DateTime {
        self.field(ctx, |_, _, i| time(i.created_at))
    }

    async fn updated_at(&self, ctx: &Context<'_>) -> DateTime {
        self.field(ctx, |_, _, i| time(i.updated_at))
    }

    async fn locked(&self, ctx: &Context<'_>) -> bool {
        self.field(ctx, |_, _, i| i.locked)
    }

    async fn url(&self, ctx: &Context<'_>) -> Uri {
        self.with(ctx, issue_url)
            .unwrap_or_else(|| Uri(String::new()))
    }

    async fn author(&self, ctx: &Context<'_>) -> Option<Actor> {
        self.with(ctx, |_, _, i| {
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
        self.with(ctx, |_, repo, i| {
            i.milestone.map(|number| Milestone { repo, number })
        })
        .flatten()
    }

    async fn parent(&self, ctx: &Context<'_>) -> Option<Issue> {
        let parent = self.with(ctx, |_, _, i| i.parent).flatten()?;
        visible_issues(ctx, &[parent]).pop()
    }

    /// The issues blocking this one (that the viewer may see), in the order they were added.
    async fn blocked_by(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> async_graphql::Result<IssueConnection> {
        paged(
            self.issues_by_id(ctx, |i| i.blocked_by.clone()),
            PageArgs {
                first,
                last,
                after,
                before,
            },
        )
    }

    /// The issues this one blocks (that the viewer may see), in the order they were added.
    async fn blocking(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> async_graphql::Result<IssueConnection> {
        paged(
            self.issues_by_id(ctx, |i| i.blocking.clone()),
            PageArgs {
                first,
                last,
                after,
                before,
            },
        )
    }

    async fn issue_type(&self, ctx: &Context<'_>) -> Option<super::issue_types::IssueType> {
        self.with(ctx, super::issue_types::of_issue).flatten()
    }

    /// The project items holding this issue.
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

    async fn sub_issues(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> async_graphql::Result<IssueConnection> {
        paged(
            self.issues_by_id(ctx, |i| i.sub_issues.clone()),
            PageArgs {
                first,
                last,
                after,
                before,
            },
        )
    }

    async fn sub_issues_summary(&self, ctx: &Context<'_>) -> SubIssuesSummary {
        let (total, completed) = self.field(ctx, |w, _, i| {
            let completed = i
                .sub_issues
                .iter()
                .filter(|id| {
                    w.issue_by_id(**id)
                        .is_some_and(|(_, s)| s.state == ModelState::Closed)
                })
                .count();
            (i.sub_issues.len(), completed)
        });
        SubIssuesSummary {
            completed: int(completed as u64),
            percent_completed: (completed * 100)
                .checked_div(total)
                .map_or(0, |p| int(p as u64)),
            total: int(total as u64),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Label {
    pub repo: usize,
    pub id: Id,
}

impl Label {
    fn field<R: Default>(&self, ctx: &Context<'_>, f: impl FnOnce(&crate::model::Label) -> R) -> R {
        hub(ctx).world.read().repos[self.repo]
            .label(self.id)
            .map(f)
            .unwrap_or_default()
    }
}

#[Object]
impl Label {
    async fn id(&self) -> ID {
        ID(ids::encode(NodeKind::Label, self.id))
    }

    async fn name(&self, ctx: &Context<'_>) -> String {
        self.field(ctx, |l| l.name.clone())
    }

    async fn color(&self, ctx: &Context<'_>) -> String {
        self.field(ctx, |l| l.color.clone())
    }

    async fn description(&self, ctx: &Context<'_>) -> Option<String> {
        self.field(ctx, |l| l.description.clone())
    }

    async fn is_default(&self, ctx: &Context<'_>) -> bool {
        self.field(ctx, |l| l.default)
    }

    async fn url(&self, ctx: &Context<'_>) -> Uri {
        let world = hub(ctx).world.read();
        let repo = &world.repos[self.repo];
        let name = repo
            .label(self.id)
            .map(|l| l.name.clone())
            .unwrap_or_default();
        Uri(format!(
            "{}/{}/labels/{}",
            world.base,
            repo.full_name(),
            crate::render::encode_path(&name)
        ))
    }

    async fn repository(&self) -> Repository {
        Repository { idx: self.repo }
    }
}

#[derive(Clone, Debug)]
pub struct Milestone {
    pub repo: usize,
    pub number: u64,
}

impl Milestone {
    fn field<R: Default>(
        &self,
        ctx: &Context<'_>,
        f: impl FnOnce(&crate::model::Milestone) -> R,
    ) -> R {
        hub(ctx).world.read().repos[self.repo]
            .milestone(self.number)
            .map(f)
            .unwrap_or_default()
    }
}

#[Object]
impl Milestone {
    async fn id(&self, ctx: &Context<'_>) -> ID {
        ID(ids::encode(NodeKind::Milestone, self.field(ctx, |m| m.id)))
    }

    async fn number(&self) -> i32 {
        int(self.number)
    }

    async fn title(&self, ctx: &Context<'_>) -> String {
        self.field(ctx, |m| m.title.clone())
    }

    async fn description(&self, ctx: &Context<'_>) -> Option<String> {
        self.field(ctx, |m| m.description.clone())
    }

    async fn state(&self, ctx: &Context<'_>) -> MilestoneState {
        if self.field(ctx, |m| m.state == ModelState::Closed) {
            MilestoneState::Closed
        } else {
            MilestoneState::Open
        }
    }

    async fn closed(&self, ctx: &Context<'_>) -> bool {
        self.field(ctx, |m| m.state == ModelState::Closed)
    }

    async fn closed_at(&self, ctx: &Context<'_>) -> Option<DateTime> {
        self.field(ctx, |m| m.closed_at.map(time))
    }

    async fn due_on(&self, ctx: &Context<'_>) -> Option<DateTime> {
        self.field(ctx, |m| m.due_on.map(time))
    }

    async fn created_at(&self, ctx: &Context<'_>) -> DateTime {
        self.field(ctx, |m| time(m.created_at))
    }

    async fn updated_at(&self, ctx: &Context<'_>) -> DateTime {
        self.field(ctx, |m| time(m.updated_at))
    }

    async fn url(&self, ctx: &Context<'_>) -> Uri {
        let world = hub(ctx).world.read();
        Uri(format!(
            "{}/{}/milestone/{}",
            world.base,
            world.repos[self.repo].full_name(),
            self.number
        ))
    }
}
