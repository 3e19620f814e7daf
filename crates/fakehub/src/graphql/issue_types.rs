//! Issue types in GraphQL: an organization's types (`/orgs/{org}/issue-types` in REST),
//! seen through its repositories and their issues.

use super::connection::{connection, PageArgs};
use super::ids::{self, NodeKind};
use super::objects::{paged, Viewer};
use crate::hub::Hub;
use crate::model::{Id, IssueType as ModelType, UserKind, World};
use async_graphql::{Context, Enum, Object, ID};
use std::sync::Arc;

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum IssueTypeColor {
    #[graphql(name = "BLUE")]
    Blue,
    #[graphql(name = "GRAY")]
    Gray,
    #[graphql(name = "GREEN")]
    Green,
    #[graphql(name = "ORANGE")]
    Orange,
    #[graphql(name = "PINK")]
    Pink,
    #[graphql(name = "PURPLE")]
    Purple,
    #[graphql(name = "RED")]
    Red,
    #[graphql(name = "YELLOW")]
    Yellow,
}

impl IssueTypeColor {
    /// REST's color name (`yellow`); a type without one is gray.
    fn of(color: Option<&str>) -> Self {
        match color.map(str::to_ascii_lowercase).as_deref() {
            Some("blue") => Self::Blue,
            Some("green") => Self::Green,
            Some("orange") => Self::Orange,
            Some("pink") => Self::Pink,
            Some("purple") => Self::Purple,
            Some("red") => Self::Red,
            Some("yellow") => Self::Yellow,
            _ => Self::Gray,
        }
    }
}

connection!(IssueTypeConnection, IssueTypeEdge, IssueType);

/// One of organization `org`'s issue types.
#[derive(Clone, Debug)]
pub struct IssueType {
    pub org: String,
    pub id: Id,
}

impl IssueType {
    fn read<R: Default>(&self, ctx: &Context<'_>, f: impl FnOnce(&ModelType) -> R) -> R {
        ctx.data_unchecked::<Arc<Hub>>()
            .world
            .read()
            .issue_type(&self.org, self.id)
            .map(f)
            .unwrap_or_default()
    }
}

#[Object]
impl IssueType {
    /// The same id REST answers as the type's `node_id`.
    pub async fn id(&self) -> ID {
        ID(ids::encode(NodeKind::IssueType, self.id))
    }

    async fn name(&self, ctx: &Context<'_>) -> String {
        self.read(ctx, |t| t.name.clone())
    }

    async fn description(&self, ctx: &Context<'_>) -> Option<String> {
        self.read(ctx, |t| t.description.clone())
    }

    async fn color(&self, ctx: &Context<'_>) -> IssueTypeColor {
        IssueTypeColor::of(self.read(ctx, |t| t.color.clone()).as_deref())
    }

    async fn is_enabled(&self, ctx: &Context<'_>) -> bool {
        self.read(ctx, |t| t.is_enabled)
    }
}

/// The organization owning repository `repo`, if an organization owns it.
fn org_of(world: &World, repo: usize) -> Option<String> {
    let owner = &world.repos[repo].owner;
    world
        .find_user(owner)
        .filter(|u| u.kind == UserKind::Organization)
        .map(|u| u.login.clone())
}

/// `Repository.issueTypes`: the types an issue of repository `repo` may have (the owning
/// organization's enabled types, oldest first); null when a user owns the repository.
pub(super) fn of_repository(
    ctx: &Context<'_>,
    repo: usize,
    args: PageArgs,
) -> async_graphql::Result<Option<IssueTypeConnection>> {
    let types = {
        let world = ctx.data_unchecked::<Arc<Hub>>().world.read();
        let Some(org) = org_of(&world, repo) else {
            return Ok(None);
        };
        world
            .issue_types
            .get(&org.to_ascii_lowercase())
            .into_iter()
            .flatten()
            .filter(|t| t.is_enabled)
            .map(|t| IssueType {
                org: org.clone(),
                id: t.id,
            })
            .collect::<Vec<_>>()
    };
    paged(types, args).map(Some)
}

/// `Repository.issueType(name)`: an enabled type of the owning organization.
pub(super) fn named(ctx: &Context<'_>, repo: usize, name: &str) -> Option<IssueType> {
    let world = ctx.data_unchecked::<Arc<Hub>>().world.read();
    let org = org_of(&world, repo)?;
    let id = world.issue_type_by_name(&org, name)?.id;
    Some(IssueType { org, id })
}

/// `Issue.issueType`: the type issue `i` of repository `repo` was given, if it still exists.
pub(super) fn of_issue(world: &World, repo: usize, i: &crate::model::Issue) -> Option<IssueType> {
    let owner = &world.repos[repo].owner;
    let t = world.issue_type(owner, i.type_id?)?;
    Some(IssueType {
        org: owner.clone(),
        id: t.id,
    })
}

/// `node(id)` of an issue type: seen by the organization's members and by whoever sees one
/// of its repositories.
pub(super) fn resolve(world: &World, viewer: &Viewer, id: Id) -> Option<IssueType> {
    let (org, _) = world
        .issue_types
        .iter()
        .find(|(_, types)| types.iter().any(|t| t.id == id))?;
    let member = world
        .can_org(
            viewer.credential.as_ref(),
            org,
            crate::model::OrgNeed::Member,
        )
        .is_ok();
    let sees_a_repository = world
        .repos
        .iter()
        .enumerate()
        .any(|(idx, r)| r.owner.eq_ignore_ascii_case(org) && viewer.sees(world, idx));
    (member || sees_a_repository).then(|| IssueType {
        org: org.clone(),
        id,
    })
}
