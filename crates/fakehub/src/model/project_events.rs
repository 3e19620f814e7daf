//! `projects_v2` and `projects_v2_item` webhook events: what the project operations of
//! `projects.rs` send to the owning organization's hooks. Projects owned by a user send
//! nothing (GitHub delivers these events to organization hooks and apps only).

use super::projects::{FieldKind, FieldValue, ItemContent, Project, ProjectField, ProjectItem};
use super::types::*;
use super::world::World;
use crate::clock::iso;
use crate::graphql::ids::{encode, NodeKind};
use serde_json::{json, Value};

/// GitHub's `field_type` in `changes.field_value`.
fn field_type(kind: FieldKind) -> &'static str {
    match kind {
        FieldKind::Text | FieldKind::Title => "text",
        FieldKind::Number => "number",
        FieldKind::Date => "date",
        FieldKind::SingleSelect => "single_select",
        FieldKind::Iteration => "iteration",
        FieldKind::Assignees => "assignees",
        FieldKind::Labels => "labels",
        FieldKind::LinkedPullRequests => "linked_pull_requests",
        FieldKind::Milestone => "milestone",
        FieldKind::ParentIssue => "parent_issue",
        FieldKind::Repository => "repository",
        FieldKind::Reviewers => "reviewers",
        FieldKind::SubIssuesProgress => "sub_issues_progress",
    }
}

/// The node id GraphQL gives a field.
pub fn field_node_id(f: &ProjectField) -> String {
    let kind = match f.kind {
        FieldKind::SingleSelect => NodeKind::SingleSelectField,
        FieldKind::Iteration => NodeKind::IterationField,
        _ => NodeKind::ProjectField,
    };
    encode(kind, f.id)
}

/// A value as `changes.field_value.from`/`to` show it: text and dates as strings, numbers
/// as numbers, an option or an iteration as its object.
fn value_json(f: &ProjectField, v: Option<&FieldValue>) -> Value {
    match v {
        None => Value::Null,
        Some(FieldValue::Text(t)) => json!(t),
        Some(FieldValue::Number(n)) => {
            if n.fract() == 0.0 && n.abs() < 9e15 {
                json!(*n as i64)
            } else {
                json!(n)
            }
        }
        Some(FieldValue::Date(d)) => json!(format!("{d}T00:00:00+00:00")),
        Some(FieldValue::SingleSelect(o)) => match f.options.iter().find(|opt| &opt.id == o) {
            Some(opt) => json!({
                "id": opt.id,
                "name": opt.name,
                "color": opt.color,
                "description": opt.description,
            }),
            None => Value::Null,
        },
        Some(FieldValue::Iteration(i)) => match f.iterations.iter().find(|it| &it.id == i) {
            Some(it) => json!({
                "id": it.id,
                "title": it.title,
                "duration": it.duration_days,
                "start_date": it.start_date.to_string(),
            }),
            None => Value::Null,
        },
    }
}

impl World {
    fn org_owned(&self, p: &Project) -> bool {
        self.find_user(&p.owner)
            .is_some_and(|u| u.kind == UserKind::Organization)
    }

    /// A project as the `projects_v2` object of a webhook.
    pub fn project_hook_json(&self, p: &Project, deleted: Option<(&str, Time)>) -> Value {
        json!({
            "id": p.id,
            "node_id": encode(NodeKind::Project, p.id),
            "owner": self.user_json(&p.owner),
            "creator": self.user_json(&p.creator),
            "title": p.title,
            "description": p.readme,
            "public": p.public,
            "closed_at": p.closed_at.map(iso),
            "created_at": iso(p.created_at),
            "updated_at": iso(p.updated_at),
            "number": p.number,
            "short_description": p.short_description,
            "deleted_at": deleted.map(|(_, at)| iso(at)),
            "deleted_by": deleted.map(|(by, _)| self.user_json(by)),
            "state": if p.closed { "closed" } else { "open" },
            "is_template": false,
            "latest_status_update": null,
        })
    }

    /// An item as the `projects_v2_item` object of a webhook.
    pub fn item_hook_json(&self, p: &Project, it: &ProjectItem) -> Value {
        let (content_node_id, content_type) = match &it.content {
            ItemContent::Issue(id) => {
                let pull = self.issue_by_id(*id).is_some_and(|(_, i)| i.pull_request);
                (
                    encode(NodeKind::Issue, *id),
                    if pull { "PullRequest" } else { "Issue" },
                )
            }
            ItemContent::Draft { id, .. } => (encode(NodeKind::DraftIssue, *id), "DraftIssue"),
        };
        json!({
            "id": it.id,
            "node_id": encode(NodeKind::ProjectItem, it.id),
            "project_node_id": encode(NodeKind::Project, p.id),
            "content_node_id": content_node_id,
            "content_type": content_type,
            "creator": self.user_json(&it.creator),
            "created_at": iso(it.created_at),
            "updated_at": iso(it.updated_at),
            "archived_at": it.archived.then(|| iso(it.updated_at)),
        })
    }

    /// Queues a `projects_v2` event about project `id` (by id, deleted ones included).
    pub(crate) fn emit_project_event(
        &mut self,
        id: Id,
        action: &str,
        sender: &str,
        changes: Option<Value>,
        deleted: Option<Time>,
    ) {
        let Some(p) = self.projects.iter().find(|p| p.id == id) else {
            return;
        };
        if !self.org_owned(p) {
            return;
        }
        let mut payload = json!({
            "action": action,
            "projects_v2": self.project_hook_json(p, deleted.map(|at| (sender, at))),
            "organization": self.org_json(&p.owner),
            "sender": self.user_json(sender),
        });
        if let Some(c) = changes {
            payload["changes"] = c;
        }
        let owner = p.owner.clone();
        self.emit_org(&owner, "projects_v2", action, payload);
    }

    /// Queues a `projects_v2_item` event; `item` is given when it is no longer on the board.
    pub(crate) fn emit_item_event(
        &mut self,
        project: Id,
        item: Result<Id, &ProjectItem>,
        action: &str,
        sender: &str,
        changes: Option<Value>,
    ) {
        let Some(p) = self.projects.iter().find(|p| p.id == project) else {
            return;
        };
        if !self.org_owned(p) {
            return;
        }
        let it = match item {
            Ok(id) => match p.item(id) {
                Some(it) => it,
                None => return,
            },
            Err(it) => it,
        };
        let mut payload = json!({
            "action": action,
            "projects_v2_item": self.item_hook_json(p, it),
            "organization": self.org_json(&p.owner),
            "sender": self.user_json(sender),
        });
        if let Some(c) = changes {
            payload["changes"] = c;
        }
        let owner = p.owner.clone();
        self.emit_org(&owner, "projects_v2_item", action, payload);
    }

    /// `changes.field_value` for an edit of `field` from `from` to `to` (GitHub's example
    /// payload shows only the field's node id and type; `from`, `to`, `field_name` and
    /// `project_number` are in the schema and GitHub's current payloads).
    pub(crate) fn field_change(
        &self,
        project: Id,
        field: Id,
        from: Option<&FieldValue>,
        to: Option<&FieldValue>,
    ) -> Option<Value> {
        let p = self.projects.iter().find(|p| p.id == project)?;
        let f = p.field(field)?;
        let mut change = json!({
            "field_node_id": field_node_id(f),
            "field_type": field_type(f.kind),
            "field_name": f.name,
            "project_number": p.number,
        });
        // An empty side is left out: the schema's `from`/`to` admit no null (its `oneOf`
        // lists strings, integers, options and iterations only).
        for (key, v) in [("from", from), ("to", to)] {
            let v = value_json(f, v);
            if !v.is_null() {
                change[key] = v;
            }
        }
        Some(json!({ "field_value": change }))
    }
}
