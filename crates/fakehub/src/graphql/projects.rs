//! Projects v2 in GraphQL: owners' `projectV2`/`projectsV2`, the project with its fields and
//! items, item field values, and the mutations that build and move a board. All of it reads
//! and changes `model::projects`.

use super::connection::{connection, PageArgs};
use super::ids::{self, NodeKind};
use super::objects::{
    paged, typed_error, Actor, DateTime, Issue, Uri, User, UserConnection, Viewer,
};
use super::pulls::PullRequest;
use crate::hub::Hub;
use crate::model::projects::{
    FieldKind, FieldValue, ItemContent, Project, ProjectField, ProjectItem,
};
use crate::model::{Id, Time, World};
use async_graphql::{
    Context, Enum, InputValueError, InputValueResult, Interface, Object, Scalar, ScalarType,
    SimpleObject, Union, Value, ID,
};
use chrono::NaiveDate;
use std::sync::Arc;

fn hub<'a>(ctx: &Context<'a>) -> &'a Arc<Hub> {
    ctx.data_unchecked::<Arc<Hub>>()
}

fn time(t: Time) -> DateTime {
    DateTime(crate::clock::iso(t))
}

fn int(n: u64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// A calendar day, as GitHub's `Date` scalar (`2026-04-05`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date(pub NaiveDate);

#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(Date)
                .map_err(|_| InputValueError::custom(format!("{s:?} is not a date (YYYY-MM-DD)"))),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ProjectV2FieldType {
    #[graphql(name = "ASSIGNEES")]
    Assignees,
    #[graphql(name = "DATE")]
    Date,
    #[graphql(name = "ITERATION")]
    Iteration,
    #[graphql(name = "LABELS")]
    Labels,
    #[graphql(name = "LINKED_PULL_REQUESTS")]
    LinkedPullRequests,
    #[graphql(name = "MILESTONE")]
    Milestone,
    #[graphql(name = "NUMBER")]
    Number,
    #[graphql(name = "PARENT_ISSUE")]
    ParentIssue,
    #[graphql(name = "REPOSITORY")]
    Repository,
    #[graphql(name = "REVIEWERS")]
    Reviewers,
    #[graphql(name = "SINGLE_SELECT")]
    SingleSelect,
    #[graphql(name = "SUB_ISSUES_PROGRESS")]
    SubIssuesProgress,
    #[graphql(name = "TEXT")]
    Text,
    #[graphql(name = "TITLE")]
    Title,
}

impl From<FieldKind> for ProjectV2FieldType {
    fn from(k: FieldKind) -> Self {
        match k {
            FieldKind::Assignees => Self::Assignees,
            FieldKind::Date => Self::Date,
            FieldKind::Iteration => Self::Iteration,
            FieldKind::Labels => Self::Labels,
            FieldKind::LinkedPullRequests => Self::LinkedPullRequests,
            FieldKind::Milestone => Self::Milestone,
            FieldKind::Number => Self::Number,
            FieldKind::ParentIssue => Self::ParentIssue,
            FieldKind::Repository => Self::Repository,
            FieldKind::Reviewers => Self::Reviewers,
            FieldKind::SingleSelect => Self::SingleSelect,
            FieldKind::SubIssuesProgress => Self::SubIssuesProgress,
            FieldKind::Text => Self::Text,
            FieldKind::Title => Self::Title,
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ProjectV2CustomFieldType {
    #[graphql(name = "DATE")]
    Date,
    #[graphql(name = "ITERATION")]
    Iteration,
    #[graphql(name = "NUMBER")]
    Number,
    #[graphql(name = "SINGLE_SELECT")]
    SingleSelect,
    #[graphql(name = "TEXT")]
    Text,
}

impl From<ProjectV2CustomFieldType> for FieldKind {
    fn from(k: ProjectV2CustomFieldType) -> Self {
        match k {
            ProjectV2CustomFieldType::Date => FieldKind::Date,
            ProjectV2CustomFieldType::Iteration => FieldKind::Iteration,
            ProjectV2CustomFieldType::Number => FieldKind::Number,
            ProjectV2CustomFieldType::SingleSelect => FieldKind::SingleSelect,
            ProjectV2CustomFieldType::Text => FieldKind::Text,
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ProjectV2ItemType {
    #[graphql(name = "DRAFT_ISSUE")]
    DraftIssue,
    #[graphql(name = "ISSUE")]
    Issue,
    #[graphql(name = "PULL_REQUEST")]
    PullRequest,
    #[graphql(name = "REDACTED")]
    Redacted,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ProjectV2SingleSelectFieldOptionColor {
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

impl ProjectV2SingleSelectFieldOptionColor {
    fn parse(name: &str) -> Self {
        match name {
            "BLUE" => Self::Blue,
            "GREEN" => Self::Green,
            "ORANGE" => Self::Orange,
            "PINK" => Self::Pink,
            "PURPLE" => Self::Purple,
            "RED" => Self::Red,
            "YELLOW" => Self::Yellow,
            _ => Self::Gray,
        }
    }

    /// The name the model keeps (GraphQL's).
    pub fn name(self) -> &'static str {
        match self {
            Self::Blue => "BLUE",
            Self::Gray => "GRAY",
            Self::Green => "GREEN",
            Self::Orange => "ORANGE",
            Self::Pink => "PINK",
            Self::Purple => "PURPLE",
            Self::Red => "RED",
            Self::Yellow => "YELLOW",
        }
    }
}

/// Reads project `id`. An object in hand still reads a project deleted since (so
/// `deleteProjectV2` answers the project it deleted); lookups by id or number
/// (`node`, `projectV2`, `projectsV2`) never find a deleted one.
fn with_project<R>(ctx: &Context<'_>, id: Id, f: impl FnOnce(&World, &Project) -> R) -> Option<R> {
    let world = hub(ctx).world.read();
    let project = world.projects.iter().find(|p| p.id == id)?;
    Some(f(&world, project))
}

/// What a project item's content is, as the viewer may see it: an item whose issue or pull
/// request is in a repository the viewer cannot see (or is gone) is redacted.
enum Seen {
    Draft,
    Issue(Id),
    PullRequest(Id),
    Redacted,
}

fn seen(world: &World, viewer: &Viewer, content: &ItemContent) -> Seen {
    match content {
        ItemContent::Draft { .. } => Seen::Draft,
        ItemContent::Issue(id) => match world.issue_by_id(*id) {
            Some((_, i)) if viewer.sees_issue(world, *id) => {
                if i.pull_request {
                    Seen::PullRequest(*id)
                } else {
                    Seen::Issue(*id)
                }
            }
            _ => Seen::Redacted,
        },
    }
}

/// `projectItems` of an issue or pull request: the items holding `content` on live
/// projects, in the order the projects were made.
pub(super) fn items_holding(
    ctx: &Context<'_>,
    content: Id,
    include_archived: bool,
    args: PageArgs,
) -> async_graphql::Result<ProjectV2ItemConnection> {
    let items: Vec<ProjectV2Item> = {
        let world = hub(ctx).world.read();
        world
            .projects
            .iter()
            .filter(|p| !p.deleted)
            .flat_map(|p| {
                p.items
                    .iter()
                    .filter(|i| i.content == ItemContent::Issue(content))
                    .filter(|i| include_archived || !i.archived)
                    .map(|i| ProjectV2Item {
                        project: p.id,
                        id: i.id,
                    })
            })
            .collect()
    };
    paged(items, args)
}

#[derive(Clone, Debug)]
pub struct ProjectV2 {
    pub id: Id,
}

connection!(ProjectV2Connection, ProjectV2Edge, ProjectV2);
connection!(ProjectV2ItemConnection, ProjectV2ItemEdge, ProjectV2Item);
connection!(
    ProjectV2FieldConfigurationConnection,
    ProjectV2FieldConfigurationEdge,
    ProjectV2FieldConfiguration
);
connection!(
    ProjectV2ItemFieldValueConnection,
    ProjectV2ItemFieldValueEdge,
    ProjectV2ItemFieldValue
);

impl ProjectV2 {
    fn read<R: Default>(&self, ctx: &Context<'_>, f: impl FnOnce(&World, &Project) -> R) -> R {
        with_project(ctx, self.id, f).unwrap_or_default()
    }

    /// A page of the project's items, in board order.
    pub(super) fn items_page(
        &self,
        ctx: &Context<'_>,
        args: PageArgs,
    ) -> async_graphql::Result<ProjectV2ItemConnection> {
        let items = self.read(ctx, |_, p| {
            p.items
                .iter()
                .map(|i| ProjectV2Item {
                    project: p.id,
                    id: i.id,
                })
                .collect::<Vec<_>>()
        });
        paged(items, args)
    }
}

#[Object]
impl ProjectV2 {
    pub async fn id(&self) -> ID {
        ID(ids::encode(NodeKind::Project, self.id))
    }

    async fn number(&self, ctx: &Context<'_>) -> i32 {
        self.read(ctx, |_, p| int(p.number))
    }

    async fn title(&self, ctx: &Context<'_>) -> String {
        self.read(ctx, |_, p| p.title.clone())
    }

    async fn short_description(&self, ctx: &Context<'_>) -> Option<String> {
        self.read(ctx, |_, p| p.short_description.clone())
    }

    async fn readme(&self, ctx: &Context<'_>) -> Option<String> {
        self.read(ctx, |_, p| p.readme.clone())
    }

    async fn public(&self, ctx: &Context<'_>) -> bool {
        self.read(ctx, |_, p| p.public)
    }

    async fn closed(&self, ctx: &Context<'_>) -> bool {
        self.read(ctx, |_, p| p.closed)
    }

    async fn closed_at(&self, ctx: &Context<'_>) -> Option<DateTime> {
        self.read(ctx, |_, p| p.closed_at.map(time))
    }

    async fn created_at(&self, ctx: &Context<'_>) -> DateTime {
        self.read(ctx, |_, p| time(p.created_at))
    }

    async fn updated_at(&self, ctx: &Context<'_>) -> DateTime {
        self.read(ctx, |_, p| time(p.updated_at))
    }

    async fn creator(&self, ctx: &Context<'_>) -> Option<Actor> {
        with_project(ctx, self.id, |_, p| {
            Actor::User(User {
                login: p.creator.clone(),
            })
        })
    }

    async fn url(&self, ctx: &Context<'_>) -> Uri {
        Uri(self.read(ctx, |w, p| {
            format!("{}/orgs/{}/projects/{}", w.base, p.owner, p.number)
        }))
    }

    /// The user or organization the project belongs to.
    async fn owner(&self, ctx: &Context<'_>) -> ProjectV2Owner {
        let (login, org) = self.read(ctx, |w, p| {
            let org = w
                .find_user(&p.owner)
                .is_some_and(|u| u.kind == crate::model::UserKind::Organization);
            (p.owner.clone(), org)
        });
        if org {
            ProjectV2Owner::Organization(Organization { login })
        } else {
            ProjectV2Owner::User(User { login })
        }
    }

    /// The field called `name` (case does not matter).
    async fn field(&self, ctx: &Context<'_>, name: String) -> Option<ProjectV2FieldConfiguration> {
        with_project(ctx, self.id, |_, p| {
            p.field_by_name(&name).map(|f| configuration(p.id, f))
        })
        .flatten()
    }

    async fn fields(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> async_graphql::Result<ProjectV2FieldConfigurationConnection> {
        let fields = self.read(ctx, |_, p| {
            p.fields
                .iter()
                .map(|f| configuration(p.id, f))
                .collect::<Vec<_>>()
        });
        paged(
            fields,
            PageArgs {
                first,
                last,
                after,
                before,
            },
        )
    }

    /// Items in board order (as added, or as moved), archived ones included.
    async fn items(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> async_graphql::Result<ProjectV2ItemConnection> {
        self.items_page(
            ctx,
            PageArgs {
                first,
                last,
                after,
                before,
            },
        )
    }
}

pub(super) fn configuration(project: Id, f: &ProjectField) -> ProjectV2FieldConfiguration {
    let key = FieldKey { project, id: f.id };
    match f.kind {
        FieldKind::SingleSelect => {
            ProjectV2FieldConfiguration::SingleSelect(ProjectV2SingleSelectField(key))
        }
        FieldKind::Iteration => {
            ProjectV2FieldConfiguration::Iteration(ProjectV2IterationField(key))
        }
        _ => ProjectV2FieldConfiguration::Plain(ProjectV2Field(key)),
    }
}

#[derive(Clone, Copy, Debug)]
pub struct FieldKey {
    project: Id,
    id: Id,
}

impl FieldKey {
    fn read<R: Default>(&self, ctx: &Context<'_>, f: impl FnOnce(&ProjectField) -> R) -> R {
        with_project(ctx, self.project, |_, p| p.field(self.id).map(f))
            .flatten()
            .unwrap_or_default()
    }

    fn node_id(&self, ctx: &Context<'_>) -> ID {
        let kind = self.read(ctx, |f| Some(f.kind)).unwrap_or(FieldKind::Text);
        let node = match kind {
            FieldKind::SingleSelect => NodeKind::SingleSelectField,
            FieldKind::Iteration => NodeKind::IterationField,
            _ => NodeKind::ProjectField,
        };
        ID(ids::encode(node, self.id))
    }
}

/// Any field of a project.
#[derive(Union, Clone)]
pub enum ProjectV2FieldConfiguration {
    Plain(ProjectV2Field),
    Iteration(ProjectV2IterationField),
    SingleSelect(ProjectV2SingleSelectField),
}

#[derive(Clone, Debug)]
pub struct ProjectV2Field(FieldKey);

#[Object]
impl ProjectV2Field {
    async fn id(&self, ctx: &Context<'_>) -> ID {
        self.0.node_id(ctx)
    }
    async fn name(&self, ctx: &Context<'_>) -> String {
        self.0.read(ctx, |f| f.name.clone())
    }
    async fn data_type(&self, ctx: &Context<'_>) -> ProjectV2FieldType {
        self.0
            .read(ctx, |f| Some(ProjectV2FieldType::from(f.kind)))
            .unwrap_or(ProjectV2FieldType::Text)
    }
    async fn created_at(&self, ctx: &Context<'_>) -> DateTime {
        self.0.read(ctx, |f| time(f.created_at))
    }
    async fn updated_at(&self, ctx: &Context<'_>) -> DateTime {
        self.0.read(ctx, |f| time(f.updated_at))
    }
    async fn project(&self) -> ProjectV2 {
        ProjectV2 { id: self.0.project }
    }
}

#[derive(SimpleObject, Clone, Debug)]
pub struct ProjectV2SingleSelectFieldOption {
    pub color: ProjectV2SingleSelectFieldOptionColor,
    pub description: String,
    pub id: String,
    pub name: String,
}

#[derive(Clone, Debug)]
pub struct ProjectV2SingleSelectField(FieldKey);

#[Object]
impl ProjectV2SingleSelectField {
    async fn id(&self, ctx: &Context<'_>) -> ID {
        self.0.node_id(ctx)
    }
    async fn name(&self, ctx: &Context<'_>) -> String {
        self.0.read(ctx, |f| f.name.clone())
    }
    async fn data_type(&self) -> ProjectV2FieldType {
        ProjectV2FieldType::SingleSelect
    }
    async fn created_at(&self, ctx: &Context<'_>) -> DateTime {
        self.0.read(ctx, |f| time(f.created_at))
    }
    async fn updated_at(&self, ctx: &Context<'_>) -> DateTime {
        self.0.read(ctx, |f| time(f.updated_at))
    }
    async fn project(&self) -> ProjectV2 {
        ProjectV2 { id: self.0.project }
    }
    /// The options, or those named.
    async fn options(
        &self,
        ctx: &Context<'_>,
        names: Option<Vec<String>>,
    ) -> Vec<ProjectV2SingleSelectFieldOption> {
        self.0.read(ctx, |f| {
            f.options
                .iter()
                .filter(|o| {
                    names
                        .as_ref()
                        .is_none_or(|n| n.iter().any(|n| n.eq_ignore_ascii_case(&o.name)))
                })
                .map(|o| ProjectV2SingleSelectFieldOption {
                    color: ProjectV2SingleSelectFieldOptionColor::parse(&o.color),
                    description: o.description.clone(),
                    id: o.id.clone(),
                    name: o.name.clone(),
                })
                .collect()
        })
    }
}

#[derive(SimpleObject, Clone, Debug)]
pub struct ProjectV2IterationFieldIteration {
    pub duration: i32,
    pub id: String,
    pub start_date: Date,
    pub title: String,
}

#[derive(SimpleObject, Clone, Debug)]
pub struct ProjectV2IterationFieldConfiguration {
    pub completed_iterations: Vec<ProjectV2IterationFieldIteration>,
    pub duration: i32,
    pub iterations: Vec<ProjectV2IterationFieldIteration>,
    pub start_day: i32,
}

#[derive(Clone, Debug)]
pub struct ProjectV2IterationField(FieldKey);

#[Object]
impl ProjectV2IterationField {
    async fn id(&self, ctx: &Context<'_>) -> ID {
        self.0.node_id(ctx)
    }
    async fn name(&self, ctx: &Context<'_>) -> String {
        self.0.read(ctx, |f| f.name.clone())
    }
    async fn data_type(&self) -> ProjectV2FieldType {
        ProjectV2FieldType::Iteration
    }
    async fn created_at(&self, ctx: &Context<'_>) -> DateTime {
        self.0.read(ctx, |f| time(f.created_at))
    }
    async fn updated_at(&self, ctx: &Context<'_>) -> DateTime {
        self.0.read(ctx, |f| time(f.updated_at))
    }
    async fn project(&self) -> ProjectV2 {
        ProjectV2 { id: self.0.project }
    }
    async fn configuration(&self, ctx: &Context<'_>) -> ProjectV2IterationFieldConfiguration {
        let today = hub(ctx).clock.now().date_naive();
        let iterations: Vec<ProjectV2IterationFieldIteration> = self.0.read(ctx, |f| {
            f.iterations
                .iter()
                .map(|i| ProjectV2IterationFieldIteration {
                    duration: i.duration_days as i32,
                    id: i.id.clone(),
                    start_date: Date(i.start_date),
                    title: i.title.clone(),
                })
                .collect()
        });
        let (completed, current): (Vec<_>, Vec<_>) = iterations
            .into_iter()
            .partition(|i| i.start_date.0 + chrono::Duration::days(i.duration as i64) <= today);
        ProjectV2IterationFieldConfiguration {
            duration: current
                .first()
                .or(completed.first())
                .map_or(14, |i| i.duration),
            start_day: current.first().or(completed.first()).map_or(1, |i| {
                chrono::Datelike::weekday(&i.start_date.0).number_from_monday() as i32
            }),
            completed_iterations: completed,
            iterations: current,
        }
    }
}

#[derive(Clone, Debug)]
pub struct DraftIssue {
    project: Id,
    item: Id,
}

impl DraftIssue {
    fn read<R: Default>(
        &self,
        ctx: &Context<'_>,
        f: impl FnOnce(Id, &str, &str, &ProjectItem) -> R,
    ) -> R {
        with_project(ctx, self.project, |_, p| {
            p.item(self.item).and_then(|i| match &i.content {
                ItemContent::Draft { id, title, body } => Some(f(*id, title, body, i)),
                ItemContent::Issue(_) => None,
            })
        })
        .flatten()
        .unwrap_or_default()
    }
}

#[Object]
impl DraftIssue {
    async fn id(&self, ctx: &Context<'_>) -> ID {
        ID(ids::encode(
            NodeKind::DraftIssue,
            self.read(ctx, |id, _, _, _| id),
        ))
    }
    async fn title(&self, ctx: &Context<'_>) -> String {
        self.read(ctx, |_, t, _, _| t.to_string())
    }
    async fn body(&self, ctx: &Context<'_>) -> String {
        self.read(ctx, |_, _, b, _| b.to_string())
    }
    async fn created_at(&self, ctx: &Context<'_>) -> DateTime {
        self.read(ctx, |_, _, _, i| time(i.created_at))
    }
    async fn updated_at(&self, ctx: &Context<'_>) -> DateTime {
        self.read(ctx, |_, _, _, i| time(i.updated_at))
    }
    async fn creator(&self, ctx: &Context<'_>) -> Option<Actor> {
        let login = self.read(ctx, |_, _, _, i| i.creator.clone());
        (!login.is_empty()).then_some(Actor::User(User { login }))
    }
    async fn assignees(
        &self,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> async_graphql::Result<UserConnection> {
        paged(
            Vec::<User>::new(),
            PageArgs {
                first,
                last,
                after,
                before,
            },
        )
    }
}

/// What an item is.
#[derive(Union, Clone)]
pub enum ProjectV2ItemContent {
    DraftIssue(DraftIssue),
    Issue(Issue),
    PullRequest(PullRequest),
}

#[derive(Clone, Debug)]
pub struct ProjectV2Item {
    pub project: Id,
    pub id: Id,
}

impl ProjectV2Item {
    fn read<R: Default>(
        &self,
        ctx: &Context<'_>,
        f: impl FnOnce(&World, &Project, &ProjectItem) -> R,
    ) -> R {
        with_project(ctx, self.project, |w, p| {
            p.item(self.id).map(|i| f(w, p, i))
        })
        .flatten()
        .unwrap_or_default()
    }

    fn values(&self, ctx: &Context<'_>) -> Vec<ProjectV2ItemFieldValue> {
        let viewer = ctx.data_unchecked::<Viewer>();
        self.read(ctx, |w, p, item| {
            let mut out = Vec::new();
            // The title, as GitHub lists it first (none for a redacted item).
            if let Some(title_field) = p.fields.iter().find(|f| f.kind == FieldKind::Title) {
                let title = match (&item.content, seen(w, viewer, &item.content)) {
                    (_, Seen::Redacted) => None,
                    (ItemContent::Draft { title, .. }, _) => Some(title.clone()),
                    (ItemContent::Issue(id), _) => w.issue_by_id(*id).map(|(_, i)| i.title.clone()),
                };
                out.push(ProjectV2ItemFieldValue::Text(TextValue {
                    key: ValueKey::of(self, title_field.id),
                    text: title,
                }));
            }
            for f in &p.fields {
                let key = ValueKey::of(self, f.id);
                match item.value(f.id) {
                    Some(FieldValue::Text(t)) => {
                        out.push(ProjectV2ItemFieldValue::Text(TextValue {
                            key,
                            text: Some(t.clone()),
                        }))
                    }
                    Some(FieldValue::Number(n)) => {
                        out.push(ProjectV2ItemFieldValue::Number(NumberValue {
                            key,
                            number: Some(*n),
                        }))
                    }
                    Some(FieldValue::Date(d)) => {
                        out.push(ProjectV2ItemFieldValue::Date(DateValue {
                            key,
                            date: Some(Date(*d)),
                        }))
                    }
                    Some(FieldValue::SingleSelect(o)) => {
                        if let Some(opt) = f.options.iter().find(|x| &x.id == o) {
                            out.push(ProjectV2ItemFieldValue::SingleSelect(SingleSelectValue {
                                key,
                                color: ProjectV2SingleSelectFieldOptionColor::parse(&opt.color),
                                description: Some(opt.description.clone()),
                                name: Some(opt.name.clone()),
                                option_id: Some(opt.id.clone()),
                            }))
                        }
                    }
                    Some(FieldValue::Iteration(it)) => {
                        if let Some(i) = f.iterations.iter().find(|x| &x.id == it) {
                            out.push(ProjectV2ItemFieldValue::Iteration(IterationValue {
                                key,
                                duration: i.duration_days as i32,
                                iteration_id: i.id.clone(),
                                start_date: Date(i.start_date),
                                title: i.title.clone(),
                            }))
                        }
                    }
                    None => {}
                }
            }
            out
        })
    }
}

#[Object]
impl ProjectV2Item {
    pub async fn id(&self) -> ID {
        ID(ids::encode(NodeKind::ProjectItem, self.id))
    }

    /// REDACTED for an issue or pull request the viewer cannot see.
    #[graphql(name = "type")]
    async fn item_type(&self, ctx: &Context<'_>) -> ProjectV2ItemType {
        let viewer = ctx.data_unchecked::<Viewer>();
        self.read(ctx, |w, _, i| {
            Some(match seen(w, viewer, &i.content) {
                Seen::Draft => ProjectV2ItemType::DraftIssue,
                Seen::Issue(_) => ProjectV2ItemType::Issue,
                Seen::PullRequest(_) => ProjectV2ItemType::PullRequest,
                Seen::Redacted => ProjectV2ItemType::Redacted,
            })
        })
        .unwrap_or(ProjectV2ItemType::Redacted)
    }

    async fn is_archived(&self, ctx: &Context<'_>) -> bool {
        self.read(ctx, |_, _, i| i.archived)
    }

    async fn created_at(&self, ctx: &Context<'_>) -> DateTime {
        self.read(ctx, |_, _, i| time(i.created_at))
    }

    async fn updated_at(&self, ctx: &Context<'_>) -> DateTime {
        self.read(ctx, |_, _, i| time(i.updated_at))
    }

    async fn creator(&self, ctx: &Context<'_>) -> Option<Actor> {
        let login = self.read(ctx, |_, _, i| i.creator.clone());
        (!login.is_empty()).then_some(Actor::User(User { login }))
    }

    async fn project(&self) -> ProjectV2 {
        ProjectV2 { id: self.project }
    }

    /// Null for an issue or pull request the viewer cannot see.
    async fn content(&self, ctx: &Context<'_>) -> Option<ProjectV2ItemContent> {
        let viewer = ctx.data_unchecked::<Viewer>();
        self.read(ctx, |w, _, i| match seen(w, viewer, &i.content) {
            Seen::Draft => Some(ProjectV2ItemContent::DraftIssue(DraftIssue {
                project: self.project,
                item: self.id,
            })),
            Seen::Issue(id) => Some(ProjectV2ItemContent::Issue(Issue { id })),
            Seen::PullRequest(id) => Some(ProjectV2ItemContent::PullRequest(PullRequest { id })),
            Seen::Redacted => None,
        })
    }

    async fn field_values(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> async_graphql::Result<ProjectV2ItemFieldValueConnection> {
        paged(
            self.values(ctx),
            PageArgs {
                first,
                last,
                after,
                before,
            },
        )
    }

    /// The item's value for the field called `name`.
    async fn field_value_by_name(
        &self,
        ctx: &Context<'_>,
        name: String,
    ) -> Option<ProjectV2ItemFieldValue> {
        let field = with_project(ctx, self.project, |_, p| {
            p.field_by_name(&name).map(|f| f.id)
        })
        .flatten()?;
        self.values(ctx)
            .into_iter()
            .find(|v| v.key().field == field)
    }
}

/// Which item and field a value belongs to.
#[derive(Clone, Copy, Debug)]
pub struct ValueKey {
    project: Id,
    item: Id,
    field: Id,
}

impl ValueKey {
    fn of(item: &ProjectV2Item, field: Id) -> Self {
        ValueKey {
            project: item.project,
            item: item.id,
            field,
        }
    }

    fn field(&self, ctx: &Context<'_>) -> ProjectV2FieldConfiguration {
        with_project(ctx, self.project, |_, p| {
            p.field(self.field).map(|f| configuration(p.id, f))
        })
        .flatten()
        .unwrap_or(ProjectV2FieldConfiguration::Plain(ProjectV2Field(
            FieldKey {
                project: self.project,
                id: self.field,
            },
        )))
    }

    fn item(&self) -> ProjectV2Item {
        ProjectV2Item {
            project: self.project,
            id: self.item,
        }
    }

    /// A value's id: the item's and the field's, so it is stable.
    fn node_id(&self) -> ID {
        ID(ids::encode(
            NodeKind::FieldValue,
            self.item.wrapping_mul(1_000_003) ^ self.field,
        ))
    }
}

/// An item's value for one field.
#[derive(Union, Clone)]
pub enum ProjectV2ItemFieldValue {
    Date(DateValue),
    Iteration(IterationValue),
    Number(NumberValue),
    SingleSelect(SingleSelectValue),
    Text(TextValue),
}

impl ProjectV2ItemFieldValue {
    fn key(&self) -> ValueKey {
        match self {
            Self::Date(v) => v.key,
            Self::Iteration(v) => v.key,
            Self::Number(v) => v.key,
            Self::SingleSelect(v) => v.key,
            Self::Text(v) => v.key,
        }
    }
}

/// An item's value of one kind, as GraphQL type `$name`: the fields every value has (its
/// id, field, item and times) and the kind's own fields, written out once here.
macro_rules! field_value {
    ($value:ident, $name:literal, { $($own:ident: $ty:ty),* $(,)? }) => {
        #[derive(Clone, Debug)]
        pub struct $value {
            key: ValueKey,
            $($own: $ty,)*
        }

        #[Object(name = $name)]
        impl $value {
            async fn id(&self) -> ID {
                self.key.node_id()
            }
            async fn field(&self, ctx: &Context<'_>) -> ProjectV2FieldConfiguration {
                self.key.field(ctx)
            }
            async fn item(&self) -> ProjectV2Item {
                self.key.item()
            }
            async fn created_at(&self, ctx: &Context<'_>) -> DateTime {
                self.key.item().read(ctx, |_, _, i| time(i.created_at))
            }
            async fn updated_at(&self, ctx: &Context<'_>) -> DateTime {
                self.key.item().read(ctx, |_, _, i| time(i.updated_at))
            }
            $(
                async fn $own(&self) -> $ty {
                    self.$own.clone()
                }
            )*
        }
    };
}

field_value!(TextValue, "ProjectV2ItemFieldTextValue", { text: Option<String> });
field_value!(NumberValue, "ProjectV2ItemFieldNumberValue", { number: Option<f64> });
field_value!(DateValue, "ProjectV2ItemFieldDateValue", { date: Option<Date> });
field_value!(SingleSelectValue, "ProjectV2ItemFieldSingleSelectValue", {
    color: ProjectV2SingleSelectFieldOptionColor,
    description: Option<String>,
    name: Option<String>,
    option_id: Option<String>,
});
field_value!(IterationValue, "ProjectV2ItemFieldIterationValue", {
    duration: i32,
    iteration_id: String,
    start_date: Date,
    title: String,
});

/// An organization (what fakehub knows of one: its login, and its projects).
#[derive(Clone, Debug)]
pub struct Organization {
    pub login: String,
}

/// The projects of a user or organization: the one implementation of both owners'
/// `projectV2` and `projectsV2`.
pub(super) struct Owned<'a>(pub &'a str);

impl Owned<'_> {
    /// `projectV2(number)`: NOT_FOUND for a number the owner has no project under.
    pub(super) fn project(
        &self,
        ctx: &Context<'_>,
        number: i32,
    ) -> async_graphql::Result<Option<ProjectV2>> {
        let world = hub(ctx).world.read();
        match u64::try_from(number)
            .ok()
            .and_then(|n| world.project_numbered(self.0, n))
        {
            Some(p) => Ok(Some(ProjectV2 { id: p.id })),
            None => Err(typed_error(
                "NOT_FOUND",
                format!("Could not resolve to a ProjectV2 with the number {number}."),
            )),
        }
    }

    /// `projectsV2`: by number, newest first, as GitHub orders them by default; `query`
    /// keeps those whose title contains it.
    pub(super) fn projects(
        &self,
        ctx: &Context<'_>,
        args: PageArgs,
        query: Option<&str>,
    ) -> async_graphql::Result<ProjectV2Connection> {
        let projects = {
            let world = hub(ctx).world.read();
            let query = query.map(str::to_lowercase);
            let mut projects: Vec<&Project> = world
                .projects_of(self.0)
                .into_iter()
                .filter(|p| {
                    query
                        .as_ref()
                        .is_none_or(|q| p.title.to_lowercase().contains(q))
                })
                .collect();
            projects.sort_by_key(|p| std::cmp::Reverse(p.number));
            projects
                .into_iter()
                .map(|p| ProjectV2 { id: p.id })
                .collect::<Vec<_>>()
        };
        paged(projects, args)
    }
}

/// Who a project belongs to.
// The arguments' types repeat, which clippy takes for duplicated attributes.
#[allow(clippy::duplicated_attributes)]
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID"))]
#[graphql(field(
    name = "project_v2",
    ty = "Option<ProjectV2>",
    arg(name = "number", ty = "i32")
))]
#[graphql(field(
    name = "projects_v2",
    ty = "ProjectV2Connection",
    arg(name = "after", ty = "Option<String>"),
    arg(name = "before", ty = "Option<String>"),
    arg(name = "first", ty = "Option<i32>"),
    arg(name = "last", ty = "Option<i32>"),
    arg(name = "query", ty = "Option<String>")
))]
pub enum ProjectV2Owner {
    Organization(Organization),
    User(User),
}

#[Object]
impl Organization {
    pub async fn id(&self, ctx: &Context<'_>) -> ID {
        let id = hub(ctx)
            .world
            .read()
            .find_user(&self.login)
            .map_or(0, |u| u.id);
        ID(ids::encode(NodeKind::Organization, id))
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
    ) -> async_graphql::Result<Option<ProjectV2>> {
        Owned(&self.login).project(ctx, number)
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
    ) -> async_graphql::Result<ProjectV2Connection> {
        let args = PageArgs {
            first,
            last,
            after,
            before,
        };
        Owned(&self.login).projects(ctx, args, query.as_deref())
    }
}
