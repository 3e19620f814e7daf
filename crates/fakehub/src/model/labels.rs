//! Repository labels (names unique case-insensitively) and the labels on an issue.

use super::issues::IssuePatch;
use super::types::*;
use super::world::World;
use crate::error::{ApiError, ApiResult, FieldError};
use serde_json::json;

/// GitHub's limit on label names.
pub const MAX_LABEL_NAME: usize = 50;

pub fn valid_color(color: &str) -> bool {
    color.len() == 6 && color.bytes().all(|b| b.is_ascii_hexdigit())
}

fn check_label(name: &str, color: &str) -> ApiResult<()> {
    let mut errors = Vec::new();
    if name.trim().is_empty() {
        errors.push(FieldError::new("Label", "name", "missing_field"));
    } else if name.chars().count() > MAX_LABEL_NAME {
        errors.push(
            FieldError::new("Label", "name", "invalid").with_message(format!(
                "name is too long (maximum is {MAX_LABEL_NAME} characters)"
            )),
        );
    }
    if !valid_color(color) {
        errors.push(FieldError::new("Label", "color", "invalid"));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

impl World {
    pub fn create_label(
        &mut self,
        repo: usize,
        sender: &str,
        name: &str,
        color: Option<&str>,
        description: Option<String>,
    ) -> ApiResult<Id> {
        let color = color
            .unwrap_or("ededed")
            .trim_start_matches('#')
            .to_ascii_lowercase();
        check_label(name, &color)?;
        if self.repos[repo].label_by_name(name).is_some() {
            return Err(ApiError::invalid("Label", "name", "already_exists"));
        }
        let id = self.next_id();
        self.repos[repo].labels.push(Label {
            id,
            name: name.to_string(),
            color,
            description,
            default: false,
        });
        self.emit_label_event(repo, id, "created", sender, json!({}));
        Ok(id)
    }

    fn emit_label_event(
        &mut self,
        repo: usize,
        id: Id,
        action: &str,
        sender: &str,
        extra: serde_json::Value,
    ) {
        let r = &self.repos[repo];
        let label = r.label(id).map(|l| self.label_json(r, l));
        let mut payload = self.envelope(repo, Some(action), sender);
        payload["label"] = label.unwrap_or_default();
        crate::payload::merge(&mut payload, extra);
        self.emit(repo, "label", Some(action), payload);
    }

    pub fn update_label(
        &mut self,
        repo: usize,
        name: &str,
        sender: &str,
        new_name: Option<String>,
        color: Option<String>,
        description: Option<Option<String>>,
    ) -> ApiResult<Id> {
        let label = self.repos[repo]
            .label_by_name(name)
            .ok_or_else(ApiError::not_found)?
            .clone();
        let new_name = new_name.unwrap_or_else(|| label.name.clone());
        let color = color
            .map(|c| c.trim_start_matches('#').to_ascii_lowercase())
            .unwrap_or_else(|| label.color.clone());
        check_label(&new_name, &color)?;
        if let Some(other) = self.repos[repo].label_by_name(&new_name) {
            if other.id != label.id {
                return Err(ApiError::invalid("Label", "name", "already_exists"));
            }
        }
        let description = description.unwrap_or_else(|| label.description.clone());
        let mut changes = serde_json::Map::new();
        if new_name != label.name {
            changes.insert("name".into(), json!({"from": label.name}));
        }
        if color != label.color {
            changes.insert("color".into(), json!({"from": label.color}));
        }
        if description != label.description {
            changes.insert("description".into(), json!({"from": label.description}));
        }
        let l = self.repos[repo]
            .labels
            .iter_mut()
            .find(|l| l.id == label.id)
            .expect("label");
        l.name = new_name;
        l.color = color;
        l.description = description;
        if !changes.is_empty() {
            self.emit_label_event(
                repo,
                label.id,
                "edited",
                sender,
                json!({"changes": changes}),
            );
        }
        Ok(label.id)
    }

    pub fn delete_label(&mut self, repo: usize, name: &str, sender: &str) -> ApiResult<()> {
        let id = self.repos[repo]
            .label_by_name(name)
            .ok_or_else(ApiError::not_found)?
            .id;
        self.emit_label_event(repo, id, "deleted", sender, json!({}));
        self.repos[repo].labels.retain(|l| l.id != id);
        for issue in self.repos[repo].issues.iter_mut() {
            issue.labels.retain(|l| *l != id);
        }
        Ok(())
    }

    /// Label ids for names, creating the missing ones as GitHub does for a writer.
    pub fn labels_for_names(
        &mut self,
        repo: usize,
        names: &[String],
        sender: &str,
        _now: Time,
    ) -> ApiResult<Vec<Id>> {
        let mut ids = Vec::new();
        for name in names {
            let id = match self.repos[repo].label_by_name(name) {
                Some(l) => l.id,
                None => self.create_label(repo, sender, name, None, None)?,
            };
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        Ok(ids)
    }

    fn label_names(&self, repo: usize, number: u64) -> Vec<String> {
        let r = &self.repos[repo];
        r.issue(number)
            .map(|i| {
                i.labels
                    .iter()
                    .filter_map(|id| r.label(*id))
                    .map(|l| l.name.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn add_issue_labels(
        &mut self,
        repo: usize,
        number: u64,
        sender: &str,
        names: &[String],
        now: Time,
    ) -> ApiResult<()> {
        self.live_issue(repo, number)?;
        let mut all = self.label_names(repo, number);
        all.extend(names.iter().cloned());
        self.set_issue_labels(repo, number, sender, all, now)
    }

    pub fn set_issue_labels(
        &mut self,
        repo: usize,
        number: u64,
        sender: &str,
        names: Vec<String>,
        now: Time,
    ) -> ApiResult<()> {
        let patch = IssuePatch {
            labels: Some(names),
            ..Default::default()
        };
        self.update_issue(repo, number, sender, patch, now)
    }

    pub fn remove_issue_label(
        &mut self,
        repo: usize,
        number: u64,
        sender: &str,
        name: &str,
        now: Time,
    ) -> ApiResult<()> {
        self.live_issue(repo, number)?;
        let names = self.label_names(repo, number);
        if !names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
            return Err(ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                "Label does not exist",
            ));
        }
        let rest = names
            .into_iter()
            .filter(|n| !n.eq_ignore_ascii_case(name))
            .collect();
        self.set_issue_labels(repo, number, sender, rest, now)
    }
}
