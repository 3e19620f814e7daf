//! Creating and editing issues, with the `issues` webhook actions GitHub sends for each change.

use super::types::*;
use super::world::World;
use crate::error::{ApiError, ApiResult, FieldError};
use serde_json::json;

/// GitHub's limit on issue titles.
pub const MAX_TITLE: usize = 256;

#[derive(Debug, Default, Clone)]
pub struct NewIssue {
    pub title: Option<String>,
    pub body: Option<String>,
    pub labels: Vec<String>,
    pub assignees: Vec<String>,
    pub milestone: Option<u64>,
    pub type_name: Option<String>,
    pub pull_request: bool,
}

/// A PATCH: `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Default, Clone)]
pub struct IssuePatch {
    pub title: Option<String>,
    pub body: Option<Option<String>>,
    pub state: Option<IssueState>,
    pub state_reason: Option<Option<String>>,
    pub labels: Option<Vec<String>>,
    pub assignees: Option<Vec<String>>,
    pub milestone: Option<Option<u64>>,
    pub type_name: Option<Option<String>>,
}

fn check_title(title: &str) -> ApiResult<()> {
    if title.trim().is_empty() {
        return Err(ApiError::invalid("Issue", "title", "missing_field"));
    }
    if title.chars().count() > MAX_TITLE {
        return Err(ApiError::validation(vec![FieldError::new(
            "Issue", "title", "custom",
        )
        .with_message(format!(
            "title is too long (maximum is {MAX_TITLE} characters)"
        ))]));
    }
    Ok(())
}

impl World {
    fn check_milestone(&self, repo: usize, milestone: Option<u64>) -> ApiResult<()> {
        match milestone {
            Some(n) if self.repos[repo].milestone(n).is_none() => {
                Err(ApiError::validation(vec![FieldError::new(
                    "Issue",
                    "milestone",
                    "invalid",
                )
                .with_message(format!("milestone {n} does not exist"))]))
            }
            _ => Ok(()),
        }
    }

    fn resolve_type(&self, repo: usize, name: Option<&str>) -> ApiResult<Option<Id>> {
        let Some(name) = name else { return Ok(None) };
        let owner = &self.repos[repo].owner;
        self.issue_type_by_name(owner, name)
            .map(|t| Some(t.id))
            .ok_or_else(|| {
                ApiError::validation(vec![FieldError::new("Issue", "type", "invalid")
                    .with_message(format!("issue type '{name}' does not exist for {owner}"))])
            })
    }

    pub fn create_issue(
        &mut self,
        repo: usize,
        sender: &str,
        new: NewIssue,
        now: Time,
    ) -> ApiResult<u64> {
        let title = new.title.clone().unwrap_or_default();
        check_title(&title)?;
        self.check_milestone(repo, new.milestone)?;
        let type_id = self.resolve_type(repo, new.type_name.as_deref())?;
        let assignees = self.check_assignees(repo, &new.assignees, "assignees")?;
        let labels = self.labels_for_names(repo, &new.labels, sender, now)?;
        self.user(sender);
        let id = self.next_id();
        let number = self.repos[repo].issues.len() as u64 + 1;
        let issue = Issue {
            id,
            number,
            title,
            body: new.body,
            user: sender.to_string(),
            state: IssueState::Open,
            state_reason: None,
            labels: Vec::new(),
            assignees: Vec::new(),
            milestone: None,
            type_id: None,
            comments: 0,
            created_at: now,
            updated_at: now,
            closed_at: None,
            closed_by: None,
            locked: false,
            active_lock_reason: None,
            pull_request: new.pull_request,
            parent: None,
            sub_issues: Vec::new(),
            blocked_by: Vec::new(),
            blocking: Vec::new(),
            gone: None,
        };
        self.insert_issue(repo, issue);
        self.repos[repo].updated_at = now;
        if new.pull_request {
            // Pull requests are seeded stubs: they send no `issues` events.
            self.edit_issue(repo, number, |i| {
                i.labels = labels;
                i.assignees = assignees;
                i.milestone = new.milestone;
            });
            return Ok(number);
        }
        self.emit_issue_event(repo, number, "opened", sender, json!({}));
        let opened = self.outbox.len() - 1;
        let patch = IssuePatch {
            labels: (!labels.is_empty()).then(|| new.labels.clone()),
            assignees: (!assignees.is_empty()).then_some(assignees),
            milestone: new.milestone.map(Some),
            type_name: new.type_name.map(Some),
            ..Default::default()
        };
        let _ = type_id;
        self.apply_patch(repo, number, sender, patch, now, false)?;
        // `opened` shows the issue as it was created: with its labels, assignees, milestone
        // and type (the `labeled`, `assigned`… events that follow show the same).
        let issue = self.issue_json(repo, self.repos[repo].issue(number).expect("created"));
        self.outbox[opened].payload["issue"] = issue;
        Ok(number)
    }

    pub fn update_issue(
        &mut self,
        repo: usize,
        number: u64,
        sender: &str,
        patch: IssuePatch,
        now: Time,
    ) -> ApiResult<()> {
        self.live_issue(repo, number)?;
        if let Some(title) = &patch.title {
            check_title(title)?;
        }
        if let Some(m) = patch.milestone {
            self.check_milestone(repo, m)?;
        }
        if let Some(t) = &patch.type_name {
            self.resolve_type(repo, t.as_deref())?;
        }
        if let Some(a) = &patch.assignees {
            self.check_assignees(repo, a, "assignees")?;
        }
        if let Some(Some(reason)) = &patch.state_reason {
            if !["completed", "not_planned", "reopened", "duplicate"].contains(&reason.as_str()) {
                return Err(ApiError::invalid("Issue", "state_reason", "invalid"));
            }
        }
        self.user(sender);
        self.apply_patch(repo, number, sender, patch, now, true)
    }

    /// Applies a validated patch and emits one `issues` event per observable change, in the
    /// order GitHub sends them.
    fn apply_patch(
        &mut self,
        repo: usize,
        number: u64,
        sender: &str,
        patch: IssuePatch,
        now: Time,
        bump: bool,
    ) -> ApiResult<()> {
        let labels = match &patch.labels {
            Some(names) => Some(self.labels_for_names(repo, names, sender, now)?),
            None => None,
        };
        let type_id = match &patch.type_name {
            Some(t) => Some(self.resolve_type(repo, t.as_deref())?),
            None => None,
        };
        let assignees = match &patch.assignees {
            Some(a) => Some(self.check_assignees(repo, a, "assignees")?),
            None => None,
        };
        let before = self.repos[repo].issue(number).expect("live issue").clone();
        let sender_owned = sender.to_string();
        self.edit_issue(repo, number, |i| {
            if let Some(t) = patch.title.clone() {
                i.title = t;
            }
            if let Some(b) = patch.body.clone() {
                i.body = b;
            }
            if let Some(state) = patch.state {
                if state != i.state {
                    i.state = state;
                    match state {
                        IssueState::Closed => {
                            i.closed_at = Some(now);
                            i.closed_by = Some(sender_owned.clone());
                            i.state_reason = Some("completed".into());
                        }
                        IssueState::Open => {
                            i.closed_at = None;
                            i.closed_by = None;
                            i.state_reason = Some("reopened".into());
                        }
                    }
                }
            }
            if let Some(reason) = patch.state_reason.clone() {
                if i.state == IssueState::Closed || reason.as_deref() == Some("reopened") {
                    i.state_reason = reason;
                }
            }
            if let Some(l) = labels {
                i.labels = l;
            }
            if let Some(a) = assignees {
                i.assignees = a;
            }
            if let Some(m) = patch.milestone {
                i.milestone = m;
            }
            if let Some(t) = type_id {
                i.type_id = t;
            }
        });
        let after = self.repos[repo].issue(number).expect("live issue").clone();
        let changed = before.title != after.title
            || before.body != after.body
            || before.state != after.state
            || before.state_reason != after.state_reason
            || before.labels != after.labels
            || before.assignees != after.assignees
            || before.milestone != after.milestone
            || before.type_id != after.type_id;
        if changed && bump {
            self.issue_mut(repo, number).updated_at = now;
            self.repos[repo].updated_at = now;
        }
        self.emit_issue_diff(repo, &before, &after, sender);
        Ok(())
    }

    fn emit_issue_diff(&mut self, repo: usize, before: &Issue, after: &Issue, sender: &str) {
        let n = after.number;
        let mut changes = serde_json::Map::new();
        if before.title != after.title {
            changes.insert("title".into(), json!({"from": before.title}));
        }
        if before.body != after.body {
            changes.insert(
                "body".into(),
                json!({"from": before.body.clone().unwrap_or_default()}),
            );
        }
        if !changes.is_empty() {
            self.emit_issue_event(repo, n, "edited", sender, json!({"changes": changes}));
        }
        if before.state != after.state {
            let action = if after.is_open() {
                "reopened"
            } else {
                "closed"
            };
            self.emit_issue_event(repo, n, action, sender, json!({}));
        }
        for id in &after.labels {
            if !before.labels.contains(id) {
                let label = self.repos[repo]
                    .label(*id)
                    .map(|l| self.label_json(&self.repos[repo], l));
                self.emit_issue_event(repo, n, "labeled", sender, json!({"label": label}));
            }
        }
        for id in &before.labels {
            if !after.labels.contains(id) {
                let label = self.repos[repo]
                    .label(*id)
                    .map(|l| self.label_json(&self.repos[repo], l));
                self.emit_issue_event(repo, n, "unlabeled", sender, json!({"label": label}));
            }
        }
        for a in &after.assignees {
            if !before.assignees.contains(a) {
                let user = self.user_json(a);
                self.emit_issue_event(repo, n, "assigned", sender, json!({"assignee": user}));
            }
        }
        for a in &before.assignees {
            if !after.assignees.contains(a) {
                let user = self.user_json(a);
                self.emit_issue_event(repo, n, "unassigned", sender, json!({"assignee": user}));
            }
        }
        if before.milestone != after.milestone {
            let r = &self.repos[repo];
            if let Some(old) = before
                .milestone
                .and_then(|m| r.milestone(m))
                .map(|m| self.milestone_json(r, m))
            {
                self.emit_issue_event(repo, n, "demilestoned", sender, json!({"milestone": old}));
            }
            let r = &self.repos[repo];
            if let Some(new) = after
                .milestone
                .and_then(|m| r.milestone(m))
                .map(|m| self.milestone_json(r, m))
            {
                self.emit_issue_event(repo, n, "milestoned", sender, json!({"milestone": new}));
            }
        }
        if before.type_id != after.type_id {
            let owner = self.repos[repo].owner.clone();
            match after
                .type_id
                .and_then(|t| self.issue_type(&owner, t))
                .map(|t| self.issue_type_json(t))
            {
                Some(t) => self.emit_issue_event(repo, n, "typed", sender, json!({"type": t})),
                None => {
                    let old = before
                        .type_id
                        .and_then(|t| self.issue_type(&owner, t))
                        .map(|t| self.issue_type_json(t));
                    self.emit_issue_event(repo, n, "untyped", sender, json!({"type": old}))
                }
            }
        }
    }

    /// Deleting an issue (GitHub does it through GraphQL; here through the admin API).
    pub fn delete_issue(&mut self, repo: usize, number: u64, sender: &str) -> ApiResult<()> {
        self.live_issue(repo, number)?;
        self.detach_relations(repo, number);
        self.emit_issue_event(repo, number, "deleted", sender, json!({}));
        self.edit_issue(repo, number, |i| i.gone = Some(Gone::Deleted));
        self.repos[repo]
            .comments
            .retain(|c| c.issue_number != number);
        Ok(())
    }

    /// Moves an issue to another repository: it gets a new number there and the old one
    /// answers 410.
    pub fn transfer_issue(
        &mut self,
        repo: usize,
        number: u64,
        to: usize,
        sender: &str,
        now: Time,
    ) -> ApiResult<u64> {
        let old = self.live_issue(repo, number)?.clone();
        if repo == to {
            return Err(ApiError::unprocessable(
                "An issue cannot be transferred to its own repository",
            ));
        }
        self.detach_relations(repo, number);
        let new_number = self.create_issue(
            to,
            &old.user,
            NewIssue {
                title: Some(old.title.clone()),
                body: old.body.clone(),
                ..Default::default()
            },
            now,
        )?;
        self.edit_issue(repo, number, |i| {
            i.gone = Some(Gone::Transferred {
                to_repo: String::new(),
                to_number: new_number,
            })
        });
        let to_name = self.repos[to].full_name();
        if let Some(Gone::Transferred { to_repo, .. }) = &mut self.issue_mut(repo, number).gone {
            *to_repo = to_name;
        }
        let new_issue = self.issue_json(to, self.repos[to].issue(new_number).expect("created"));
        let new_repo = self.repo_json(&self.repos[to]);
        let mut payload = self.envelope(repo, Some("transferred"), sender);
        // The event describes the issue as it was before it moved.
        let mut old_json = self.issue_json(repo, &old);
        old_json["state"] = json!(old.state.as_str());
        payload["issue"] = old_json;
        payload["changes"] = json!({"new_issue": new_issue, "new_repository": new_repo});
        self.emit(repo, "issues", Some("transferred"), payload);
        self.repos[repo]
            .comments
            .retain(|c| c.issue_number != number);
        Ok(new_number)
    }
}
