//! Projects v2: boards owned by a user or an organization, with fields (the built-in ones a
//! new project gets on GitHub, plus text, number, date, single-select and iteration fields)
//! and items (issues, pull requests or draft issues) carrying a value per field.
//!
//! GitHub serves projects through GraphQL only; these are the rules its mutations follow.

use super::types::*;
use super::world::World;
use crate::error::{ApiError, ApiResult};
use chrono::NaiveDate;

/// A field's kind, as GraphQL's `ProjectV2FieldType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Assignees,
    Date,
    Iteration,
    Labels,
    LinkedPullRequests,
    Milestone,
    Number,
    ParentIssue,
    Repository,
    Reviewers,
    SingleSelect,
    SubIssuesProgress,
    Text,
    Title,
}

impl FieldKind {
    /// Fields whose values come from the item's content, not from the project.
    pub fn is_builtin(self) -> bool {
        !matches!(
            self,
            FieldKind::Date
                | FieldKind::Iteration
                | FieldKind::Number
                | FieldKind::SingleSelect
                | FieldKind::Text
        )
    }
}

/// One option of a single-select field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectOption {
    /// Short hex id, unique in the project (GitHub's look like `f75ad846`).
    pub id: String,
    pub name: String,
    /// GraphQL's `ProjectV2SingleSelectFieldOptionColor`, e.g. `GRAY`.
    pub color: String,
    pub description: String,
}

/// One iteration of an iteration field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Iteration {
    pub id: String,
    pub title: String,
    pub start_date: NaiveDate,
    pub duration_days: u32,
}

#[derive(Debug, Clone)]
pub struct ProjectField {
    pub id: Id,
    pub name: String,
    pub kind: FieldKind,
    pub options: Vec<SelectOption>,
    pub iterations: Vec<Iteration>,
    pub created_at: Time,
    pub updated_at: Time,
}

/// What an item is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemContent {
    /// An issue or pull request, by id.
    Issue(Id),
    Draft {
        id: Id,
        title: String,
        body: String,
    },
}

/// A value an item holds for one of the project's own fields.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    Text(String),
    Number(f64),
    Date(NaiveDate),
    /// An option id.
    SingleSelect(String),
    /// An iteration id.
    Iteration(String),
}

#[derive(Debug, Clone)]
pub struct ProjectItem {
    pub id: Id,
    pub content: ItemContent,
    pub archived: bool,
    pub creator: String,
    /// Field id → value, for fields that are not built in.
    pub values: Vec<(Id, FieldValue)>,
    pub created_at: Time,
    pub updated_at: Time,
}

impl ProjectItem {
    pub fn value(&self, field: Id) -> Option<&FieldValue> {
        self.values
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, v)| v)
    }
}

#[derive(Debug, Clone)]
pub struct Project {
    pub id: Id,
    /// Numbered per owner, from 1.
    pub number: u64,
    /// The owning user's or organization's login.
    pub owner: String,
    pub title: String,
    pub short_description: Option<String>,
    pub readme: Option<String>,
    pub public: bool,
    pub closed: bool,
    pub closed_at: Option<Time>,
    pub creator: String,
    pub fields: Vec<ProjectField>,
    pub items: Vec<ProjectItem>,
    pub created_at: Time,
    pub updated_at: Time,
    /// Deleted projects stay as tombstones so their numbers are never reused.
    pub deleted: bool,
}

impl Project {
    pub fn field(&self, id: Id) -> Option<&ProjectField> {
        self.fields.iter().find(|f| f.id == id)
    }

    pub fn field_by_name(&self, name: &str) -> Option<&ProjectField> {
        self.fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
    }

    pub fn item(&self, id: Id) -> Option<&ProjectItem> {
        self.items.iter().find(|i| i.id == id)
    }
}

/// What `update_project` changes; `None` leaves a setting as it is.
#[derive(Debug, Clone, Default)]
pub struct ProjectEdit {
    pub title: Option<String>,
    pub short_description: Option<String>,
    pub readme: Option<String>,
    pub public: Option<bool>,
    pub closed: Option<bool>,
}

/// The fields a new project starts with on GitHub, in their order.
const BUILTIN_FIELDS: [(&str, FieldKind); 10] = [
    ("Title", FieldKind::Title),
    ("Assignees", FieldKind::Assignees),
    ("Status", FieldKind::SingleSelect),
    ("Labels", FieldKind::Labels),
    ("Linked pull requests", FieldKind::LinkedPullRequests),
    ("Milestone", FieldKind::Milestone),
    ("Repository", FieldKind::Repository),
    ("Reviewers", FieldKind::Reviewers),
    ("Parent issue", FieldKind::ParentIssue),
    ("Sub-issues progress", FieldKind::SubIssuesProgress),
];

/// The Status options of a new project, with GitHub's colors.
const STATUS_OPTIONS: [(&str, &str, &str); 3] = [
    ("Todo", "GREEN", "This item hasn't been started"),
    ("In Progress", "YELLOW", "This is actively being worked on"),
    ("Done", "PURPLE", "This has been completed"),
];

/// GraphQL's option colors.
pub const OPTION_COLORS: [&str; 8] = [
    "BLUE", "GRAY", "GREEN", "ORANGE", "PINK", "PURPLE", "RED", "YELLOW",
];

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::unprocessable(message)
}

/// An option id: eight hex digits from the field id and the option's place.
fn option_id(field: Id, k: usize) -> String {
    format!(
        "{:08x}",
        (field.wrapping_mul(2_654_435_761) ^ (k as u64 + 1)) & 0xffff_ffff
    )
}

impl World {
    fn project_idx(&self, id: Id) -> ApiResult<usize> {
        self.projects
            .iter()
            .position(|p| p.id == id && !p.deleted)
            .ok_or_else(ApiError::not_found)
    }

    /// Where item `item` of live project `project` is: (project index, item index).
    fn item_at(&self, project: Id, item: Id) -> ApiResult<(usize, usize)> {
        let p = self.project_idx(project)?;
        let i = self.projects[p]
            .items
            .iter()
            .position(|i| i.id == item)
            .ok_or_else(ApiError::not_found)?;
        Ok((p, i))
    }

    pub fn project(&self, id: Id) -> Option<&Project> {
        self.projects.iter().find(|p| p.id == id && !p.deleted)
    }

    /// The project numbered `number` of `owner`.
    pub fn project_numbered(&self, owner: &str, number: u64) -> Option<&Project> {
        self.projects
            .iter()
            .find(|p| !p.deleted && p.number == number && p.owner.eq_ignore_ascii_case(owner))
    }

    /// Every live project of `owner`, by number.
    pub fn projects_of(&self, owner: &str) -> Vec<&Project> {
        self.projects
            .iter()
            .filter(|p| !p.deleted && p.owner.eq_ignore_ascii_case(owner))
            .collect()
    }

    /// A new project of `owner` with GitHub's built-in fields and Status options.
    pub fn create_project(
        &mut self,
        owner: &str,
        title: &str,
        creator: &str,
        now: Time,
    ) -> ApiResult<Id> {
        if title.trim().is_empty() {
            return Err(invalid("Title can't be blank"));
        }
        let owner_login = match self.find_user(owner) {
            Some(u) => u.login.clone(),
            None => return Err(ApiError::not_found()),
        };
        let number = self
            .projects
            .iter()
            .filter(|p| p.owner.eq_ignore_ascii_case(owner))
            .count() as u64
            + 1;
        let id = self.next_id();
        let mut fields = Vec::new();
        for (name, kind) in BUILTIN_FIELDS.iter() {
            let field_id = self.next_id();
            let options = if *name == "Status" {
                STATUS_OPTIONS
                    .iter()
                    .enumerate()
                    .map(|(k, (n, c, d))| SelectOption {
                        id: option_id(field_id, k),
                        name: n.to_string(),
                        color: c.to_string(),
                        description: d.to_string(),
                    })
                    .collect()
            } else {
                Vec::new()
            };
            fields.push(ProjectField {
                id: field_id,
                name: name.to_string(),
                kind: *kind,
                options,
                iterations: Vec::new(),
                created_at: now,
                updated_at: now,
            });
        }
        self.projects.push(Project {
            id,
            number,
            owner: owner_login,
            title: title.to_string(),
            short_description: None,
            readme: None,
            public: false,
            closed: false,
            closed_at: None,
            creator: creator.to_string(),
            fields,
            items: Vec::new(),
            created_at: now,
            updated_at: now,
            deleted: false,
        });
        self.emit_project_event(id, "created", creator, None, None);
        Ok(id)
    }

    /// A new field. Single-select fields need at least one option; names are unique in
    /// the project, case-insensitively.
    pub fn create_project_field(
        &mut self,
        project: Id,
        name: &str,
        kind: FieldKind,
        options: Vec<(String, String, String)>,
        now: Time,
    ) -> ApiResult<Id> {
        let p = self.project_idx(project)?;
        if name.trim().is_empty() {
            return Err(invalid("Name can't be blank"));
        }
        if self.projects[p].field_by_name(name).is_some() {
            return Err(invalid("Name has already been taken"));
        }
        if kind.is_builtin() {
            return Err(invalid(format!(
                "A field of this type cannot be created: {kind:?} is built in"
            )));
        }
        if kind == FieldKind::SingleSelect && options.is_empty() {
            return Err(invalid(
                "Single select fields must have at least one option",
            ));
        }
        if let Some((_, color, _)) = options
            .iter()
            .find(|(_, c, _)| !OPTION_COLORS.contains(&c.as_str()))
        {
            return Err(invalid(format!("{color} is not an option color")));
        }
        let id = self.next_id();
        let options = options
            .into_iter()
            .enumerate()
            .map(|(k, (name, color, description))| SelectOption {
                id: option_id(id, k),
                name,
                color,
                description,
            })
            .collect();
        let iterations = if kind == FieldKind::Iteration {
            // GitHub starts an iteration field with three two-week iterations from today.
            (0..3)
                .map(|k| Iteration {
                    id: option_id(id, k),
                    title: format!("Iteration {}", k + 1),
                    start_date: now.date_naive() + chrono::Duration::days(14 * k as i64),
                    duration_days: 14,
                })
                .collect()
        } else {
            Vec::new()
        };
        let project = &mut self.projects[p];
        project.fields.push(ProjectField {
            id,
            name: name.to_string(),
            kind,
            options,
            iterations,
            created_at: now,
            updated_at: now,
        });
        project.updated_at = now;
        Ok(id)
    }

    /// Adds an issue or pull request; adding one already on the board answers that item.
    pub fn add_project_item(
        &mut self,
        project: Id,
        content: Id,
        creator: &str,
        now: Time,
    ) -> ApiResult<Id> {
        let project_id = project;
        let p = self.project_idx(project)?;
        if self
            .issue_by_id(content)
            .is_none_or(|(_, i)| i.gone.is_some())
        {
            return Err(ApiError::not_found());
        }
        if let Some(existing) = self.projects[p]
            .items
            .iter()
            .find(|i| i.content == ItemContent::Issue(content))
        {
            return Ok(existing.id);
        }
        let id = self.next_id();
        let project = &mut self.projects[p];
        project.items.push(ProjectItem {
            id,
            content: ItemContent::Issue(content),
            archived: false,
            creator: creator.to_string(),
            values: Vec::new(),
            created_at: now,
            updated_at: now,
        });
        project.updated_at = now;
        self.emit_item_event(project_id, Ok(id), "created", creator, None);
        Ok(id)
    }

    pub fn add_project_draft(
        &mut self,
        project: Id,
        title: &str,
        body: &str,
        creator: &str,
        now: Time,
    ) -> ApiResult<Id> {
        let p = self.project_idx(project)?;
        if title.trim().is_empty() {
            return Err(invalid("Title can't be blank"));
        }
        let (id, draft) = (self.next_id(), self.next_id());
        let project = &mut self.projects[p];
        project.items.push(ProjectItem {
            id,
            content: ItemContent::Draft {
                id: draft,
                title: title.to_string(),
                body: body.to_string(),
            },
            archived: false,
            creator: creator.to_string(),
            values: Vec::new(),
            created_at: now,
            updated_at: now,
        });
        project.updated_at = now;
        let project_id = project.id;
        self.emit_item_event(project_id, Ok(id), "created", creator, None);
        Ok(id)
    }

    /// Sets an item's value for one of the project's own fields; the value's kind must be
    /// the field's, and a single-select option or an iteration must be one of the field's.
    pub fn set_project_value(
        &mut self,
        project: Id,
        item: Id,
        field: Id,
        value: FieldValue,
        sender: &str,
        now: Time,
    ) -> ApiResult<()> {
        let p = self.project_idx(project)?;
        let proj = &self.projects[p];
        let f = proj.field(field).ok_or_else(ApiError::not_found)?;
        proj.item(item).ok_or_else(ApiError::not_found)?;
        let fits = match (&value, f.kind) {
            (FieldValue::Text(_), FieldKind::Text)
            | (FieldValue::Number(_), FieldKind::Number)
            | (FieldValue::Date(_), FieldKind::Date) => true,
            (FieldValue::SingleSelect(o), FieldKind::SingleSelect) => {
                if !f.options.iter().any(|opt| &opt.id == o) {
                    return Err(invalid(format!(
                        "The single select option Id does not belong to the field: {o}"
                    )));
                }
                true
            }
            (FieldValue::Iteration(it), FieldKind::Iteration) => {
                if !f.iterations.iter().any(|i| &i.id == it) {
                    return Err(invalid(format!(
                        "The iteration Id does not belong to the field: {it}"
                    )));
                }
                true
            }
            _ => false,
        };
        if !fits {
            return Err(invalid(format!(
                "The field {} ({:?}) cannot take this value",
                f.name, f.kind
            )));
        }
        let project = &mut self.projects[p];
        let it = project
            .items
            .iter_mut()
            .find(|i| i.id == item)
            .expect("checked above");
        let from = it.value(field).cloned();
        it.values.retain(|(fid, _)| *fid != field);
        it.values.push((field, value.clone()));
        it.updated_at = now;
        project.updated_at = now;
        let project = project.id;
        let changes = self.field_change(project, field, from.as_ref(), Some(&value));
        self.emit_item_event(project, Ok(item), "edited", sender, changes);
        Ok(())
    }

    pub fn clear_project_value(
        &mut self,
        project: Id,
        item: Id,
        field: Id,
        sender: &str,
        now: Time,
    ) -> ApiResult<()> {
        let (p, i) = self.item_at(project, item)?;
        let project = &mut self.projects[p];
        if project.field(field).is_none() {
            return Err(ApiError::not_found());
        }
        let it = &mut project.items[i];
        let Some(from) = it.value(field).cloned() else {
            // Nothing to clear: GitHub answers the item and sends nothing.
            return Ok(());
        };
        it.values.retain(|(fid, _)| *fid != field);
        it.updated_at = now;
        project.updated_at = now;
        let project = project.id;
        let changes = self.field_change(project, field, Some(&from), None);
        self.emit_item_event(project, Ok(item), "edited", sender, changes);
        Ok(())
    }

    pub fn archive_project_item(
        &mut self,
        project: Id,
        item: Id,
        archived: bool,
        sender: &str,
        now: Time,
    ) -> ApiResult<()> {
        let (p, i) = self.item_at(project, item)?;
        let project = &mut self.projects[p];
        let it = &mut project.items[i];
        if it.archived == archived {
            return Ok(());
        }
        let before = it.archived.then_some(it.updated_at);
        it.archived = archived;
        it.updated_at = now;
        project.updated_at = now;
        let project = project.id;
        let changes = serde_json::json!({"archived_at": {
            "from": before.map(crate::clock::iso),
            "to": archived.then(|| crate::clock::iso(now)),
        }});
        let action = if archived { "archived" } else { "restored" };
        self.emit_item_event(project, Ok(item), action, sender, Some(changes));
        Ok(())
    }

    pub fn delete_project_item(
        &mut self,
        project: Id,
        item: Id,
        sender: &str,
        now: Time,
    ) -> ApiResult<()> {
        let (p, at) = self.item_at(project, item)?;
        let project = &mut self.projects[p];
        let gone = project.items.remove(at);
        project.updated_at = now;
        let project = project.id;
        self.emit_item_event(project, Err(&gone), "deleted", sender, None);
        Ok(())
    }

    /// Changes a project's settings (`updateProjectV2`): `edited` with what changed, and
    /// `closed` or `reopened` when `closed` flips.
    pub fn update_project(
        &mut self,
        project: Id,
        edit: ProjectEdit,
        sender: &str,
        now: Time,
    ) -> ApiResult<()> {
        let p = self.project_idx(project)?;
        if edit.title.as_deref().is_some_and(|t| t.trim().is_empty()) {
            return Err(invalid("Title can't be blank"));
        }
        let pr = &mut self.projects[p];
        let mut changes = serde_json::Map::new();
        let mut note = |key: &str, from: serde_json::Value, to: serde_json::Value| {
            if from != to {
                changes.insert(key.into(), serde_json::json!({"from": from, "to": to}));
            }
        };
        if let Some(t) = edit.title {
            note("title", pr.title.clone().into(), t.clone().into());
            pr.title = t;
        }
        if let Some(d) = edit.short_description {
            note(
                "short_description",
                pr.short_description.clone().into(),
                d.clone().into(),
            );
            pr.short_description = Some(d);
        }
        if let Some(r) = edit.readme {
            note("description", pr.readme.clone().into(), r.clone().into());
            pr.readme = Some(r);
        }
        if let Some(public) = edit.public {
            note("public", pr.public.into(), public.into());
            pr.public = public;
        }
        let flip = edit.closed.filter(|c| *c != pr.closed);
        if let Some(closed) = flip {
            pr.closed = closed;
            pr.closed_at = closed.then_some(now);
        }
        if changes.is_empty() && flip.is_none() {
            return Ok(());
        }
        pr.updated_at = now;
        if !changes.is_empty() {
            self.emit_project_event(project, "edited", sender, Some(changes.into()), None);
        }
        match flip {
            Some(true) => self.emit_project_event(project, "closed", sender, None, None),
            Some(false) => self.emit_project_event(project, "reopened", sender, None, None),
            None => {}
        }
        Ok(())
    }

    /// Deletes a project (`deleteProjectV2`); its number is not reused.
    pub fn delete_project(&mut self, project: Id, sender: &str, now: Time) -> ApiResult<()> {
        let p = self.project_idx(project)?;
        self.projects[p].deleted = true;
        self.projects[p].updated_at = now;
        self.emit_project_event(project, "deleted", sender, None, Some(now));
        Ok(())
    }

    /// Moves an item to just after `after` (None: to the top), as
    /// `updateProjectV2ItemPosition` does; `reordered` says which item preceded it before
    /// and which does now.
    pub fn position_project_item(
        &mut self,
        project: Id,
        item: Id,
        after: Option<Id>,
        sender: &str,
        now: Time,
    ) -> ApiResult<()> {
        let (p, at) = self.item_at(project, item)?;
        let pr = &mut self.projects[p];
        if after == Some(item) {
            return Err(invalid("An item cannot be positioned after itself"));
        }
        if let Some(a) = after {
            pr.item(a).ok_or_else(ApiError::not_found)?;
        }
        let node =
            |id: Id| crate::graphql::ids::encode(crate::graphql::ids::NodeKind::ProjectItem, id);
        let before = at.checked_sub(1).map(|k| pr.items[k].id);
        let mut it = pr.items.remove(at);
        it.updated_at = now;
        let to = match after {
            None => 0,
            Some(a) => pr.items.iter().position(|i| i.id == a).expect("checked") + 1,
        };
        pr.items.insert(to, it);
        pr.updated_at = now;
        let changes = serde_json::json!({"previous_projects_v2_item_node_id": {
            "from": before.map(node),
            "to": after.map(node),
        }});
        self.emit_item_event(project, Ok(item), "reordered", sender, Some(changes));
        Ok(())
    }

    /// Turns a draft item into an issue of repository `repo` (an index), as
    /// `convertProjectV2DraftIssueItemToIssue` does: the item stays, now holding the issue.
    pub fn convert_project_draft(
        &mut self,
        project: Id,
        item: Id,
        repo: usize,
        sender: &str,
        now: Time,
    ) -> ApiResult<Id> {
        let p = self.project_idx(project)?;
        let it = self.projects[p]
            .item(item)
            .ok_or_else(ApiError::not_found)?;
        let ItemContent::Draft { title, body, .. } = it.content.clone() else {
            return Err(invalid("The item is not a draft issue"));
        };
        let number = self.create_issue(
            repo,
            sender,
            super::NewIssue {
                title: Some(title),
                body: (!body.is_empty()).then_some(body),
                ..Default::default()
            },
            now,
        )?;
        let issue = self.repos[repo].issue(number).expect("just created").id;
        let pr = &mut self.projects[p];
        let it = pr
            .items
            .iter_mut()
            .find(|i| i.id == item)
            .expect("checked above");
        it.content = ItemContent::Issue(issue);
        it.updated_at = now;
        pr.updated_at = now;
        let changes = serde_json::json!({"content_type": {"from": "DraftIssue", "to": "Issue"}});
        self.emit_item_event(project, Ok(item), "converted", sender, Some(changes));
        Ok(issue)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn world() -> (World, Time, usize) {
        let mut w = World::new("http://fakehub");
        let now = chrono::Utc::now();
        w.user_of_kind("acme", UserKind::Organization);
        let repo = w.create_repo("acme", "widgets", UserKind::Organization, now);
        (w, now, repo)
    }

    #[test]
    fn a_new_project_has_githubs_builtin_fields() {
        let (mut w, now, _) = world();
        let id = w.create_project("acme", "Roadmap", "octocat", now).unwrap();
        let second = w.create_project("ACME", "Other", "octocat", now).unwrap();
        let p = w.project(id).unwrap();
        assert_eq!(p.number, 1);
        assert_eq!(w.project(second).unwrap().number, 2, "numbered per owner");
        let names: Vec<&str> = p.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Title",
                "Assignees",
                "Status",
                "Labels",
                "Linked pull requests",
                "Milestone",
                "Repository",
                "Reviewers",
                "Parent issue",
                "Sub-issues progress"
            ]
        );
        let status: Vec<&str> = p
            .field_by_name("status")
            .unwrap()
            .options
            .iter()
            .map(|o| o.name.as_str())
            .collect();
        assert_eq!(status, ["Todo", "In Progress", "Done"]);
        assert!(w.create_project("nobody", "x", "octocat", now).is_err());
        assert!(w.create_project("acme", " ", "octocat", now).is_err());
        assert_eq!(w.project_numbered("acme", 2).unwrap().id, second);
    }

    #[test]
    fn values_must_fit_their_field() {
        let (mut w, now, repo) = world();
        let project = w.create_project("acme", "Roadmap", "octocat", now).unwrap();
        let number = w
            .create_issue(
                repo,
                "octocat",
                crate::model::NewIssue {
                    title: Some("Card".into()),
                    ..Default::default()
                },
                now,
            )
            .unwrap();
        let issue = w.repos[repo].issue(number).unwrap().id;
        let item = w.add_project_item(project, issue, "octocat", now).unwrap();
        assert_eq!(
            w.add_project_item(project, issue, "octocat", now).unwrap(),
            item,
            "adding twice answers the same item"
        );
        let status = w
            .project(project)
            .unwrap()
            .field_by_name("Status")
            .unwrap()
            .clone();
        let done = status.options[2].id.clone();
        w.set_project_value(
            project,
            item,
            status.id,
            FieldValue::SingleSelect(done.clone()),
            "octocat",
            now,
        )
        .unwrap();
        assert_eq!(
            w.project(project)
                .unwrap()
                .item(item)
                .unwrap()
                .value(status.id),
            Some(&FieldValue::SingleSelect(done))
        );
        assert!(w
            .set_project_value(
                project,
                item,
                status.id,
                FieldValue::SingleSelect("nope".into()),
                "octocat",
                now
            )
            .is_err());
        assert!(w
            .set_project_value(
                project,
                item,
                status.id,
                FieldValue::Text("Done".into()),
                "octocat",
                now
            )
            .is_err());
        let estimate = w
            .create_project_field(project, "Estimate", FieldKind::Number, Vec::new(), now)
            .unwrap();
        w.set_project_value(
            project,
            item,
            estimate,
            FieldValue::Number(3.0),
            "octocat",
            now,
        )
        .unwrap();
        assert!(
            w.create_project_field(project, "estimate", FieldKind::Text, Vec::new(), now)
                .is_err(),
            "names are unique"
        );
        assert!(
            w.create_project_field(
                project,
                "Priority",
                FieldKind::SingleSelect,
                Vec::new(),
                now
            )
            .is_err(),
            "a single select needs options"
        );
        assert!(
            w.create_project_field(project, "Owner", FieldKind::Assignees, Vec::new(), now)
                .is_err(),
            "built-in kinds are not created"
        );
        let sprint = w
            .create_project_field(project, "Sprint", FieldKind::Iteration, Vec::new(), now)
            .unwrap();
        let first = w
            .project(project)
            .unwrap()
            .field(sprint)
            .unwrap()
            .iterations[0]
            .id
            .clone();
        w.set_project_value(
            project,
            item,
            sprint,
            FieldValue::Iteration(first),
            "octocat",
            now,
        )
        .unwrap();
        w.clear_project_value(project, item, estimate, "octocat", now)
            .unwrap();
        assert_eq!(
            w.project(project)
                .unwrap()
                .item(item)
                .unwrap()
                .value(estimate),
            None
        );
        w.archive_project_item(project, item, true, "octocat", now)
            .unwrap();
        assert!(w.project(project).unwrap().item(item).unwrap().archived);
        let draft = w
            .add_project_draft(project, "Idea", "", "octocat", now)
            .unwrap();
        w.delete_project_item(project, draft, "octocat", now)
            .unwrap();
        assert!(w.project(project).unwrap().item(draft).is_none());
        assert!(w
            .delete_project_item(project, draft, "octocat", now)
            .is_err());
    }
}
