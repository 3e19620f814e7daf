//! GitHub's issue mutations, carried out by the same model operations as REST: they change
//! the same world and emit the same webhook events.

use super::ids::{self, NodeKind};
use super::objects::{typed_error, IssueState, Repository};
use super::objects::{Issue, Viewer};
use crate::error::ApiError;
use crate::hub::Hub;
use crate::model::access::Refusal;
use crate::model::{Id, IssuePatch, IssueState as ModelState, Need, NewIssue, Role, World};
use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use std::sync::Arc;

/// A model refusal as a GraphQL error with GitHub's `type`.
pub(super) fn refused(e: ApiError) -> async_graphql::Error {
    let kind = match e.status.as_u16() {
        404 | 410 => "NOT_FOUND",
        401 | 403 => "FORBIDDEN",
        _ => "UNPROCESSABLE",
    };
    let detail: Vec<String> = e.errors.iter().filter_map(|f| f.message.clone()).collect();
    let message = if detail.is_empty() {
        e.message
    } else {
        detail.join("; ")
    };
    typed_error(kind, message)
}

/// The viewer's right to do what a mutation does in repository `repo`: a repository it
/// cannot see is NOT_FOUND, a right it lacks FORBIDDEN.
fn allowed(world: &World, viewer: &Viewer, repo: usize, role: Role) -> async_graphql::Result<()> {
    match world.can(viewer.credential.as_ref(), repo, Need::Role(role)) {
        Ok(()) => Ok(()),
        Err(Refusal::NotFound) => Err(typed_error(
            "NOT_FOUND",
            "Could not resolve to a node with the global id given.",
        )),
        Err(Refusal::Forbidden(message)) => Err(typed_error("FORBIDDEN", message)),
    }
}

pub(super) fn not_found(id: &ID) -> async_graphql::Error {
    typed_error(
        "NOT_FOUND",
        format!(
            "Could not resolve to a node with the global id of '{}'.",
            id.0
        ),
    )
}

/// The database id behind `id`, which must name a `kind`.
fn id_of(id: &ID, kind: NodeKind) -> async_graphql::Result<Id> {
    match ids::decode(id) {
        Some((k, db)) if k == kind => Ok(db),
        _ => Err(not_found(id)),
    }
}

fn repo_of(world: &World, id: &ID) -> async_graphql::Result<usize> {
    let db = id_of(id, NodeKind::Repository)?;
    world
        .repos
        .iter()
        .position(|r| r.id == db)
        .ok_or_else(|| not_found(id))
}

/// Where the issue `id` names is; a pull request's id is not an issue's, as on GitHub.
fn issue_at(world: &World, id: &ID) -> async_graphql::Result<(usize, u64)> {
    let db = id_of(id, NodeKind::Issue)?;
    world
        .issue_loc
        .get(&db)
        .copied()
        .filter(|&(repo, number)| {
            world.repos[repo]
                .issue(number)
                .is_some_and(|i| !i.pull_request)
        })
        .ok_or_else(|| not_found(id))
}

fn label_names(world: &World, repo: usize, ids: &[ID]) -> async_graphql::Result<Vec<String>> {
    ids.iter()
        .map(|id| {
            let db = id_of(id, NodeKind::Label)?;
            world.repos[repo]
                .label(db)
                .map(|l| l.name.clone())
                .ok_or_else(|| not_found(id))
        })
        .collect()
}

fn milestone_number(world: &World, repo: usize, id: &ID) -> async_graphql::Result<u64> {
    let db = id_of(id, NodeKind::Milestone)?;
    world.repos[repo]
        .milestones
        .iter()
        .find(|m| m.id == db && !m.deleted)
        .map(|m| m.number)
        .ok_or_else(|| not_found(id))
}

fn logins(world: &World, ids: &[ID]) -> async_graphql::Result<Vec<String>> {
    ids.iter()
        .map(|id| {
            let db = id_of(id, NodeKind::User)?;
            world
                .users
                .values()
                .find(|u| u.id == db)
                .map(|u| u.login.clone())
                .ok_or_else(|| not_found(id))
        })
        .collect()
}

#[derive(InputObject)]
pub struct CreateIssueInput {
    pub assignee_ids: Option<Vec<ID>>,
    pub body: Option<String>,
    pub client_mutation_id: Option<String>,
    pub label_ids: Option<Vec<ID>>,
    pub milestone_id: Option<ID>,
    pub parent_issue_id: Option<ID>,
    pub repository_id: ID,
    pub title: String,
}

#[derive(SimpleObject)]
pub struct CreateIssuePayload {
    pub client_mutation_id: Option<String>,
    pub issue: Option<Issue>,
}

#[derive(InputObject)]
pub struct UpdateIssueInput {
    pub assignee_ids: Option<Vec<ID>>,
    pub body: Option<String>,
    pub client_mutation_id: Option<String>,
    pub id: ID,
    pub label_ids: Option<Vec<ID>>,
    pub milestone_id: Option<ID>,
    pub state: Option<IssueState>,
    pub title: Option<String>,
}

#[derive(SimpleObject)]
pub struct UpdateIssuePayload {
    pub client_mutation_id: Option<String>,
    pub issue: Option<Issue>,
}

#[derive(InputObject)]
pub struct AddSubIssueInput {
    pub client_mutation_id: Option<String>,
    pub issue_id: ID,
    pub replace_parent: Option<bool>,
    pub sub_issue_id: Option<ID>,
}

#[derive(SimpleObject)]
pub struct AddSubIssuePayload {
    pub client_mutation_id: Option<String>,
    pub issue: Option<Issue>,
    pub sub_issue: Option<Issue>,
}

#[derive(InputObject)]
pub struct RemoveSubIssueInput {
    pub client_mutation_id: Option<String>,
    pub issue_id: ID,
    pub sub_issue_id: ID,
}

#[derive(SimpleObject)]
pub struct RemoveSubIssuePayload {
    pub client_mutation_id: Option<String>,
    pub issue: Option<Issue>,
    pub sub_issue: Option<Issue>,
}

#[derive(InputObject)]
pub struct DeleteIssueInput {
    pub client_mutation_id: Option<String>,
    pub issue_id: ID,
}

#[derive(SimpleObject)]
pub struct DeleteIssuePayload {
    pub client_mutation_id: Option<String>,
    pub repository: Option<Repository>,
}

#[derive(InputObject)]
pub struct TransferIssueInput {
    pub client_mutation_id: Option<String>,
    pub issue_id: ID,
    pub repository_id: ID,
}

#[derive(SimpleObject)]
pub struct TransferIssuePayload {
    pub client_mutation_id: Option<String>,
    pub issue: Option<Issue>,
}

/// Every mutation fakehub serves.
#[derive(async_graphql::MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct Mutation(IssueMutation, super::project_mutations::ProjectMutation);

#[derive(Default)]
pub struct IssueMutation;

/// Runs `f` on the world under the write lock and hands its webhook events to the
/// dispatcher, as a REST handler does.
pub(super) fn mutate<R>(
    ctx: &Context<'_>,
    f: impl FnOnce(&mut World, crate::model::Time, &Viewer) -> async_graphql::Result<R>,
) -> async_graphql::Result<R> {
    let hub = ctx.data_unchecked::<Arc<Hub>>();
    let viewer = ctx.data_unchecked::<Viewer>();
    let mut world = hub.world.write();
    let now = hub.clock.now();
    let result = f(&mut world, now, viewer);
    hub.flush(&mut world);
    result
}

fn issue_id(world: &World, repo: usize, number: u64) -> Issue {
    Issue {
        id: world.repos[repo].issue(number).map_or(0, |i| i.id),
    }
}

#[Object]
impl IssueMutation {
    async fn create_issue(
        &self,
        ctx: &Context<'_>,
        input: CreateIssueInput,
    ) -> async_graphql::Result<Option<CreateIssuePayload>> {
        let issue = mutate(ctx, |w, now, viewer| {
            let login = viewer.login.as_str();
            let repo = repo_of(w, &input.repository_id)?;
            allowed(w, viewer, repo, Role::Read)?;
            let new = NewIssue {
                title: Some(input.title.clone()),
                body: input.body.clone(),
                labels: label_names(w, repo, input.label_ids.as_deref().unwrap_or_default())?,
                assignees: logins(w, input.assignee_ids.as_deref().unwrap_or_default())?,
                milestone: match &input.milestone_id {
                    Some(id) => Some(milestone_number(w, repo, id)?),
                    None => None,
                },
                type_name: None,
                pull_request: false,
            };
            let parent = match &input.parent_issue_id {
                Some(id) => Some(issue_at(w, id)?),
                None => None,
            };
            let number = w.create_issue(repo, login, new, now).map_err(refused)?;
            let created = issue_id(w, repo, number);
            if let Some((parent_repo, parent_number)) = parent {
                w.add_sub_issue(parent_repo, parent_number, created.id, false, login, now)
                    .map_err(refused)?;
            }
            Ok(created)
        })?;
        Ok(Some(CreateIssuePayload {
            client_mutation_id: input.client_mutation_id,
            issue: Some(issue),
        }))
    }

    async fn update_issue(
        &self,
        ctx: &Context<'_>,
        input: UpdateIssueInput,
    ) -> async_graphql::Result<Option<UpdateIssuePayload>> {
        let issue = mutate(ctx, |w, now, viewer| {
            let login = viewer.login.as_str();
            let (repo, number) = issue_at(w, &input.id)?;
            allowed(w, viewer, repo, Role::Triage)?;
            let patch = IssuePatch {
                title: input.title.clone(),
                body: input.body.clone().map(Some),
                state: input.state.map(|s| match s {
                    IssueState::Open => ModelState::Open,
                    IssueState::Closed => ModelState::Closed,
                }),
                state_reason: None,
                labels: match &input.label_ids {
                    Some(ids) => Some(label_names(w, repo, ids)?),
                    None => None,
                },
                assignees: match &input.assignee_ids {
                    Some(ids) => Some(logins(w, ids)?),
                    None => None,
                },
                milestone: match &input.milestone_id {
                    Some(id) => Some(Some(milestone_number(w, repo, id)?)),
                    None => None,
                },
                type_name: None,
            };
            w.update_issue(repo, number, login, patch, now)
                .map_err(refused)?;
            Ok(issue_id(w, repo, number))
        })?;
        Ok(Some(UpdateIssuePayload {
            client_mutation_id: input.client_mutation_id,
            issue: Some(issue),
        }))
    }

    async fn add_sub_issue(
        &self,
        ctx: &Context<'_>,
        input: AddSubIssueInput,
    ) -> async_graphql::Result<Option<AddSubIssuePayload>> {
        let Some(sub_id) = &input.sub_issue_id else {
            return Err(typed_error(
                "UNPROCESSABLE",
                "Either subIssueId or subIssueUrl is required.",
            ));
        };
        let (parent, child) = mutate(ctx, |w, now, viewer| {
            let login = viewer.login.as_str();
            let (repo, number) = issue_at(w, &input.issue_id)?;
            allowed(w, viewer, repo, Role::Triage)?;
            let child = id_of(sub_id, NodeKind::Issue)?;
            w.add_sub_issue(
                repo,
                number,
                child,
                input.replace_parent.unwrap_or(false),
                login,
                now,
            )
            .map_err(refused)?;
            Ok((issue_id(w, repo, number), Issue { id: child }))
        })?;
        Ok(Some(AddSubIssuePayload {
            client_mutation_id: input.client_mutation_id,
            issue: Some(parent),
            sub_issue: Some(child),
        }))
    }

    async fn remove_sub_issue(
        &self,
        ctx: &Context<'_>,
        input: RemoveSubIssueInput,
    ) -> async_graphql::Result<Option<RemoveSubIssuePayload>> {
        let (parent, child) = mutate(ctx, |w, now, viewer| {
            let login = viewer.login.as_str();
            let (repo, number) = issue_at(w, &input.issue_id)?;
            allowed(w, viewer, repo, Role::Triage)?;
            let child = id_of(&input.sub_issue_id, NodeKind::Issue)?;
            w.remove_sub_issue(repo, number, child, login, now)
                .map_err(refused)?;
            Ok((issue_id(w, repo, number), Issue { id: child }))
        })?;
        Ok(Some(RemoveSubIssuePayload {
            client_mutation_id: input.client_mutation_id,
            issue: Some(parent),
            sub_issue: Some(child),
        }))
    }

    async fn delete_issue(
        &self,
        ctx: &Context<'_>,
        input: DeleteIssueInput,
    ) -> async_graphql::Result<Option<DeleteIssuePayload>> {
        let repo = mutate(ctx, |w, _, viewer| {
            let (repo, number) = issue_at(w, &input.issue_id)?;
            allowed(w, viewer, repo, Role::Admin)?;
            w.delete_issue(repo, number, &viewer.login)
                .map_err(refused)?;
            Ok(repo)
        })?;
        Ok(Some(DeleteIssuePayload {
            client_mutation_id: input.client_mutation_id,
            repository: Some(Repository { idx: repo }),
        }))
    }

    async fn transfer_issue(
        &self,
        ctx: &Context<'_>,
        input: TransferIssueInput,
    ) -> async_graphql::Result<Option<TransferIssuePayload>> {
        let issue = mutate(ctx, |w, now, viewer| {
            let login = viewer.login.as_str();
            let (repo, number) = issue_at(w, &input.issue_id)?;
            let to = repo_of(w, &input.repository_id)?;
            allowed(w, viewer, repo, Role::Write)?;
            allowed(w, viewer, to, Role::Write)?;
            let moved = w
                .transfer_issue(repo, number, to, login, now)
                .map_err(refused)?;
            Ok(issue_id(w, to, moved))
        })?;
        Ok(Some(TransferIssuePayload {
            client_mutation_id: input.client_mutation_id,
            issue: Some(issue),
        }))
    }
}
