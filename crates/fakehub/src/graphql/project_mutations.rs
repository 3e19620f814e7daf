//! The Projects v2 mutations: create a project and its fields, add issues and drafts,
//! set, clear, archive, restore, reorder, convert and delete them; edit, close and delete
//! the project; all through `model::projects`, which sends the webhook events.

use super::connection::PageArgs;
use super::ids::{self, NodeKind};
use super::mutations::{mutate, not_found, refused};
use super::objects::typed_error;
use super::projects::{
    Date, ProjectV2, ProjectV2CustomFieldType, ProjectV2FieldConfiguration, ProjectV2Item,
    ProjectV2ItemConnection, ProjectV2SingleSelectFieldOptionColor,
};
use crate::hub::Hub;
use crate::model::projects::{FieldValue, ProjectEdit};
use crate::model::Id;
use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use std::sync::Arc;

/// The database id behind `id`, which must be one of `kinds`.
fn id_of(id: &ID, kinds: &[NodeKind]) -> async_graphql::Result<Id> {
    match ids::decode(id) {
        Some((k, db)) if kinds.contains(&k) => Ok(db),
        _ => Err(not_found(id)),
    }
}

fn project_id(id: &ID) -> async_graphql::Result<Id> {
    id_of(id, &[NodeKind::Project])
}

fn field_id(id: &ID) -> async_graphql::Result<Id> {
    id_of(
        id,
        &[
            NodeKind::ProjectField,
            NodeKind::SingleSelectField,
            NodeKind::IterationField,
        ],
    )
}

// Projects' own rights (organization_projects, project collaborators) are not modelled
// yet: everyone who may call the API may change any board.

#[derive(InputObject)]
pub struct CreateProjectV2Input {
    pub client_mutation_id: Option<String>,
    pub owner_id: ID,
    pub title: String,
}

#[derive(SimpleObject)]
pub struct CreateProjectV2Payload {
    pub client_mutation_id: Option<String>,
    pub project_v2: Option<ProjectV2>,
}

#[derive(InputObject)]
pub struct ProjectV2SingleSelectFieldOptionInput {
    pub color: ProjectV2SingleSelectFieldOptionColor,
    pub description: String,
    pub name: String,
}

#[derive(InputObject)]
pub struct CreateProjectV2FieldInput {
    pub client_mutation_id: Option<String>,
    pub data_type: ProjectV2CustomFieldType,
    pub name: String,
    pub project_id: ID,
    pub single_select_options: Option<Vec<ProjectV2SingleSelectFieldOptionInput>>,
}

#[derive(SimpleObject)]
pub struct CreateProjectV2FieldPayload {
    pub client_mutation_id: Option<String>,
    pub project_v2_field: Option<ProjectV2FieldConfiguration>,
}

#[derive(InputObject)]
pub struct AddProjectV2ItemByIdInput {
    pub client_mutation_id: Option<String>,
    pub content_id: ID,
    pub project_id: ID,
}

#[derive(SimpleObject)]
pub struct AddProjectV2ItemByIdPayload {
    pub client_mutation_id: Option<String>,
    pub item: Option<ProjectV2Item>,
}

#[derive(InputObject)]
pub struct AddProjectV2DraftIssueInput {
    pub body: Option<String>,
    pub client_mutation_id: Option<String>,
    pub project_id: ID,
    pub title: String,
}

#[derive(SimpleObject)]
pub struct AddProjectV2DraftIssuePayload {
    pub client_mutation_id: Option<String>,
    pub project_item: Option<ProjectV2Item>,
}

/// One of these is set, the one that fits the field.
#[derive(InputObject)]
pub struct ProjectV2FieldValue {
    pub date: Option<Date>,
    pub iteration_id: Option<String>,
    pub number: Option<f64>,
    pub single_select_option_id: Option<String>,
    pub text: Option<String>,
}

#[derive(InputObject)]
pub struct UpdateProjectV2ItemFieldValueInput {
    pub client_mutation_id: Option<String>,
    pub field_id: ID,
    pub item_id: ID,
    pub project_id: ID,
    pub value: ProjectV2FieldValue,
}

#[derive(SimpleObject)]
pub struct UpdateProjectV2ItemFieldValuePayload {
    pub client_mutation_id: Option<String>,
    pub project_v2_item: Option<ProjectV2Item>,
}

#[derive(InputObject)]
pub struct ClearProjectV2ItemFieldValueInput {
    pub client_mutation_id: Option<String>,
    pub field_id: ID,
    pub item_id: ID,
    pub project_id: ID,
}

#[derive(SimpleObject)]
pub struct ClearProjectV2ItemFieldValuePayload {
    pub client_mutation_id: Option<String>,
    pub project_v2_item: Option<ProjectV2Item>,
}

#[derive(InputObject)]
pub struct ArchiveProjectV2ItemInput {
    pub client_mutation_id: Option<String>,
    pub item_id: ID,
    pub project_id: ID,
}

#[derive(SimpleObject)]
pub struct ArchiveProjectV2ItemPayload {
    pub client_mutation_id: Option<String>,
    pub item: Option<ProjectV2Item>,
}

#[derive(InputObject)]
pub struct DeleteProjectV2ItemInput {
    pub client_mutation_id: Option<String>,
    pub item_id: ID,
    pub project_id: ID,
}

#[derive(SimpleObject)]
pub struct DeleteProjectV2ItemPayload {
    pub client_mutation_id: Option<String>,
    pub deleted_item_id: Option<ID>,
}

#[derive(InputObject)]
pub struct UpdateProjectV2Input {
    pub client_mutation_id: Option<String>,
    pub project_id: ID,
    pub title: Option<String>,
    pub short_description: Option<String>,
    pub readme: Option<String>,
    pub public: Option<bool>,
    pub closed: Option<bool>,
}

#[derive(SimpleObject)]
pub struct UpdateProjectV2Payload {
    pub client_mutation_id: Option<String>,
    pub project_v2: Option<ProjectV2>,
}

#[derive(InputObject)]
pub struct DeleteProjectV2Input {
    pub client_mutation_id: Option<String>,
    pub project_id: ID,
}

/// The project as it was deleted (a deleted project no longer resolves by id or number,
/// but the answer still reads it).
#[derive(SimpleObject)]
pub struct DeleteProjectV2Payload {
    pub client_mutation_id: Option<String>,
    pub project_v2: Option<ProjectV2>,
}

#[derive(InputObject)]
pub struct UnarchiveProjectV2ItemInput {
    pub client_mutation_id: Option<String>,
    pub item_id: ID,
    pub project_id: ID,
}

#[derive(SimpleObject)]
pub struct UnarchiveProjectV2ItemPayload {
    pub client_mutation_id: Option<String>,
    pub item: Option<ProjectV2Item>,
}

#[derive(InputObject)]
pub struct UpdateProjectV2ItemPositionInput {
    pub client_mutation_id: Option<String>,
    pub project_id: ID,
    pub item_id: ID,
    /// The item to place it after; absent: to the top.
    pub after_id: Option<ID>,
}

/// The reordered items, as GitHub answers them.
pub struct UpdateProjectV2ItemPositionPayload {
    pub client_mutation_id: Option<String>,
    pub project: Id,
}

#[Object]
impl UpdateProjectV2ItemPositionPayload {
    async fn client_mutation_id(&self) -> Option<String> {
        self.client_mutation_id.clone()
    }

    /// The project's items in their new order.
    async fn items(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> async_graphql::Result<Option<ProjectV2ItemConnection>> {
        ProjectV2 { id: self.project }
            .items_page(
                ctx,
                PageArgs {
                    first,
                    last,
                    after,
                    before,
                },
            )
            .map(Some)
    }
}

#[derive(InputObject)]
pub struct ConvertProjectV2DraftIssueItemToIssueInput {
    pub client_mutation_id: Option<String>,
    pub item_id: ID,
    pub repository_id: ID,
}

#[derive(SimpleObject)]
pub struct ConvertProjectV2DraftIssueItemToIssuePayload {
    pub client_mutation_id: Option<String>,
    pub item: Option<ProjectV2Item>,
}

#[derive(Default)]
pub struct ProjectMutation;

#[Object]
impl ProjectMutation {
    async fn create_project_v2(
        &self,
        ctx: &Context<'_>,
        input: CreateProjectV2Input,
    ) -> async_graphql::Result<Option<CreateProjectV2Payload>> {
        let owner = id_of(&input.owner_id, &[NodeKind::Organization, NodeKind::User])?;
        let id = mutate(ctx, |w, now, viewer| {
            let owner = w
                .users
                .values()
                .find(|u| u.id == owner)
                .map(|u| u.login.clone())
                .ok_or_else(|| not_found(&input.owner_id))?;
            w.create_project(&owner, &input.title, &viewer.login, now)
                .map_err(refused)
        })?;
        Ok(Some(CreateProjectV2Payload {
            client_mutation_id: input.client_mutation_id,
            project_v2: Some(ProjectV2 { id }),
        }))
    }

    async fn create_project_v2_field(
        &self,
        ctx: &Context<'_>,
        input: CreateProjectV2FieldInput,
    ) -> async_graphql::Result<Option<CreateProjectV2FieldPayload>> {
        let project = project_id(&input.project_id)?;
        let options = input
            .single_select_options
            .unwrap_or_default()
            .into_iter()
            .map(|o| (o.name, o.color.name().to_string(), o.description))
            .collect();
        let field = mutate(ctx, |w, now, _| {
            w.create_project_field(project, &input.name, input.data_type.into(), options, now)
                .map_err(refused)
        })?;
        let hub = ctx.data_unchecked::<Arc<Hub>>();
        let configuration = {
            let world = hub.world.read();
            world.project(project).and_then(|p| {
                p.field(field)
                    .map(|f| super::projects::configuration(p.id, f))
            })
        };
        Ok(Some(CreateProjectV2FieldPayload {
            client_mutation_id: input.client_mutation_id,
            project_v2_field: configuration,
        }))
    }

    async fn add_project_v2_item_by_id(
        &self,
        ctx: &Context<'_>,
        input: AddProjectV2ItemByIdInput,
    ) -> async_graphql::Result<Option<AddProjectV2ItemByIdPayload>> {
        let project = project_id(&input.project_id)?;
        let content = id_of(&input.content_id, &[NodeKind::Issue, NodeKind::PullRequest])?;
        let item = mutate(ctx, |w, now, viewer| {
            w.add_project_item(project, content, &viewer.login, now)
                .map_err(refused)
        })?;
        Ok(Some(AddProjectV2ItemByIdPayload {
            client_mutation_id: input.client_mutation_id,
            item: Some(ProjectV2Item { project, id: item }),
        }))
    }

    async fn add_project_v2_draft_issue(
        &self,
        ctx: &Context<'_>,
        input: AddProjectV2DraftIssueInput,
    ) -> async_graphql::Result<Option<AddProjectV2DraftIssuePayload>> {
        let project = project_id(&input.project_id)?;
        let item = mutate(ctx, |w, now, viewer| {
            w.add_project_draft(
                project,
                &input.title,
                input.body.as_deref().unwrap_or_default(),
                &viewer.login,
                now,
            )
            .map_err(refused)
        })?;
        Ok(Some(AddProjectV2DraftIssuePayload {
            client_mutation_id: input.client_mutation_id,
            project_item: Some(ProjectV2Item { project, id: item }),
        }))
    }

    async fn update_project_v2_item_field_value(
        &self,
        ctx: &Context<'_>,
        input: UpdateProjectV2ItemFieldValueInput,
    ) -> async_graphql::Result<Option<UpdateProjectV2ItemFieldValuePayload>> {
        let project = project_id(&input.project_id)?;
        let item = id_of(&input.item_id, &[NodeKind::ProjectItem])?;
        let field = field_id(&input.field_id)?;
        let v = &input.value;
        let value = match (&v.text, v.number, &v.date, &v.single_select_option_id, &v.iteration_id) {
            (Some(t), None, None, None, None) => FieldValue::Text(t.clone()),
            (None, Some(n), None, None, None) => FieldValue::Number(n),
            (None, None, Some(d), None, None) => FieldValue::Date(d.0),
            (None, None, None, Some(o), None) => FieldValue::SingleSelect(o.clone()),
            (None, None, None, None, Some(i)) => FieldValue::Iteration(i.clone()),
            _ => {
                return Err(typed_error(
                    "UNPROCESSABLE",
                    "Exactly one of text, number, date, singleSelectOptionId and iterationId must be given.",
                ))
            }
        };
        mutate(ctx, |w, now, viewer| {
            w.set_project_value(project, item, field, value, &viewer.login, now)
                .map_err(refused)
        })?;
        Ok(Some(UpdateProjectV2ItemFieldValuePayload {
            client_mutation_id: input.client_mutation_id,
            project_v2_item: Some(ProjectV2Item { project, id: item }),
        }))
    }

    async fn clear_project_v2_item_field_value(
        &self,
        ctx: &Context<'_>,
        input: ClearProjectV2ItemFieldValueInput,
    ) -> async_graphql::Result<Option<ClearProjectV2ItemFieldValuePayload>> {
        let project = project_id(&input.project_id)?;
        let item = id_of(&input.item_id, &[NodeKind::ProjectItem])?;
        let field = field_id(&input.field_id)?;
        mutate(ctx, |w, now, viewer| {
            w.clear_project_value(project, item, field, &viewer.login, now)
                .map_err(refused)
        })?;
        Ok(Some(ClearProjectV2ItemFieldValuePayload {
            client_mutation_id: input.client_mutation_id,
            project_v2_item: Some(ProjectV2Item { project, id: item }),
        }))
    }

    async fn archive_project_v2_item(
        &self,
        ctx: &Context<'_>,
        input: ArchiveProjectV2ItemInput,
    ) -> async_graphql::Result<Option<ArchiveProjectV2ItemPayload>> {
        let project = project_id(&input.project_id)?;
        let item = id_of(&input.item_id, &[NodeKind::ProjectItem])?;
        mutate(ctx, |w, now, viewer| {
            w.archive_project_item(project, item, true, &viewer.login, now)
                .map_err(refused)
        })?;
        Ok(Some(ArchiveProjectV2ItemPayload {
            client_mutation_id: input.client_mutation_id,
            item: Some(ProjectV2Item { project, id: item }),
        }))
    }

    async fn delete_project_v2_item(
        &self,
        ctx: &Context<'_>,
        input: DeleteProjectV2ItemInput,
    ) -> async_graphql::Result<Option<DeleteProjectV2ItemPayload>> {
        let project = project_id(&input.project_id)?;
        let item = id_of(&input.item_id, &[NodeKind::ProjectItem])?;
        mutate(ctx, |w, now, viewer| {
            w.delete_project_item(project, item, &viewer.login, now)
                .map_err(refused)
        })?;
        Ok(Some(DeleteProjectV2ItemPayload {
            client_mutation_id: input.client_mutation_id,
            deleted_item_id: Some(input.item_id),
        }))
    }

    async fn update_project_v2(
        &self,
        ctx: &Context<'_>,
        input: UpdateProjectV2Input,
    ) -> async_graphql::Result<Option<UpdateProjectV2Payload>> {
        let project = project_id(&input.project_id)?;
        let edit = ProjectEdit {
            title: input.title,
            short_description: input.short_description,
            readme: input.readme,
            public: input.public,
            closed: input.closed,
        };
        mutate(ctx, |w, now, viewer| {
            w.update_project(project, edit, &viewer.login, now)
                .map_err(refused)
        })?;
        Ok(Some(UpdateProjectV2Payload {
            client_mutation_id: input.client_mutation_id,
            project_v2: Some(ProjectV2 { id: project }),
        }))
    }

    async fn delete_project_v2(
        &self,
        ctx: &Context<'_>,
        input: DeleteProjectV2Input,
    ) -> async_graphql::Result<Option<DeleteProjectV2Payload>> {
        let project = project_id(&input.project_id)?;
        mutate(ctx, |w, now, viewer| {
            w.delete_project(project, &viewer.login, now)
                .map_err(refused)
        })?;
        Ok(Some(DeleteProjectV2Payload {
            client_mutation_id: input.client_mutation_id,
            project_v2: Some(ProjectV2 { id: project }),
        }))
    }

    async fn unarchive_project_v2_item(
        &self,
        ctx: &Context<'_>,
        input: UnarchiveProjectV2ItemInput,
    ) -> async_graphql::Result<Option<UnarchiveProjectV2ItemPayload>> {
        let project = project_id(&input.project_id)?;
        let item = id_of(&input.item_id, &[NodeKind::ProjectItem])?;
        mutate(ctx, |w, now, viewer| {
            w.archive_project_item(project, item, false, &viewer.login, now)
                .map_err(refused)
        })?;
        Ok(Some(UnarchiveProjectV2ItemPayload {
            client_mutation_id: input.client_mutation_id,
            item: Some(ProjectV2Item { project, id: item }),
        }))
    }

    async fn update_project_v2_item_position(
        &self,
        ctx: &Context<'_>,
        input: UpdateProjectV2ItemPositionInput,
    ) -> async_graphql::Result<Option<UpdateProjectV2ItemPositionPayload>> {
        let project = project_id(&input.project_id)?;
        let item = id_of(&input.item_id, &[NodeKind::ProjectItem])?;
        let after = match &input.after_id {
            Some(a) => Some(id_of(a, &[NodeKind::ProjectItem])?),
            None => None,
        };
        mutate(ctx, |w, now, viewer| {
            w.position_project_item(project, item, after, &viewer.login, now)
                .map_err(refused)
        })?;
        Ok(Some(UpdateProjectV2ItemPositionPayload {
            client_mutation_id: input.client_mutation_id,
            project,
        }))
    }

    async fn convert_project_v2_draft_issue_item_to_issue(
        &self,
        ctx: &Context<'_>,
        input: ConvertProjectV2DraftIssueItemToIssueInput,
    ) -> async_graphql::Result<Option<ConvertProjectV2DraftIssueItemToIssuePayload>> {
        let item = id_of(&input.item_id, &[NodeKind::ProjectItem])?;
        let repo = id_of(&input.repository_id, &[NodeKind::Repository])?;
        let project = mutate(ctx, |w, now, viewer| {
            let repo = w
                .repo_by_id(repo)
                .ok_or_else(|| not_found(&input.repository_id))?;
            let project = w
                .projects
                .iter()
                .find(|p| !p.deleted && p.item(item).is_some())
                .map(|p| p.id)
                .ok_or_else(|| not_found(&input.item_id))?;
            w.convert_project_draft(project, item, repo, &viewer.login, now)
                .map_err(refused)?;
            Ok(project)
        })?;
        Ok(Some(ConvertProjectV2DraftIssueItemToIssuePayload {
            client_mutation_id: input.client_mutation_id,
            item: Some(ProjectV2Item { project, id: item }),
        }))
    }
}
