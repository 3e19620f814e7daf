//! Sub-issues and issue dependencies, with GitHub's limits: 100 sub-issues per parent, 8
//! levels, one parent each, no cycles; 50 issues per dependency relation.

use super::types::*;
use super::world::World;
use crate::error::{ApiError, ApiResult, FieldError};
use serde_json::json;

pub const MAX_SUB_ISSUES: usize = 100;
pub const MAX_DEPTH: usize = 8;
pub const MAX_DEPENDENCIES: usize = 50;

fn rule(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::validation(vec![
        FieldError::new("Issue", field, "invalid").with_message(message)
    ])
}

impl World {
    fn id_of(&self, repo: usize, number: u64) -> ApiResult<Id> {
        Ok(self.live_issue(repo, number)?.id)
    }

    fn loc(&self, id: Id) -> ApiResult<(usize, u64)> {
        self.issue_by_id(id)
            .map(|(r, i)| (r, i.number))
            .ok_or_else(ApiError::not_found)
    }

    fn issue_ref(&self, id: Id) -> &Issue {
        self.issue_by_id(id).expect("indexed issue").1
    }

    fn set_issue<F: FnOnce(&mut Issue)>(&mut self, id: Id, f: F) {
        if let Ok((r, n)) = self.loc(id) {
            f(self.issue_mut(r, n));
        }
    }

    /// Levels from the root of `id`'s tree down to `id` (a root is level 1).
    fn depth(&self, mut id: Id) -> usize {
        let mut depth = 1;
        while let Some(p) = self.issue_by_id(id).and_then(|(_, i)| i.parent) {
            depth += 1;
            id = p;
        }
        depth
    }

    /// Levels below `id`, counting `id` itself.
    fn height(&self, id: Id) -> usize {
        1 + self
            .issue_ref(id)
            .sub_issues
            .iter()
            .map(|c| self.height(*c))
            .max()
            .unwrap_or(0)
    }

    fn is_ancestor(&self, candidate: Id, mut of: Id) -> bool {
        while let Some(p) = self.issue_by_id(of).and_then(|(_, i)| i.parent) {
            if p == candidate {
                return true;
            }
            of = p;
        }
        false
    }

    fn emit_sub_issue_events(&mut self, parent: Id, child: Id, added: bool, sender: &str) {
        let (pr, _) = self.loc(parent).expect("parent");
        let (cr, _) = self.loc(child).expect("child");
        let parent_json = self.issue_json(pr, self.issue_ref(parent));
        let child_json = self.issue_json(cr, self.issue_ref(child));
        let (a1, a2) = if added {
            ("sub_issue_added", "parent_issue_added")
        } else {
            ("sub_issue_removed", "parent_issue_removed")
        };
        let mut p = self.envelope(pr, Some(a1), sender);
        p["sub_issue_id"] = json!(child);
        p["sub_issue"] = child_json.clone();
        p["sub_issue_repo"] = self.repo_json(&self.repos[cr]);
        p["parent_issue_id"] = json!(parent);
        p["parent_issue"] = parent_json.clone();
        self.emit(pr, "sub_issues", Some(a1), p);
        let mut c = self.envelope(cr, Some(a2), sender);
        c["parent_issue_id"] = json!(parent);
        c["parent_issue"] = parent_json;
        c["parent_issue_repo"] = self.repo_json(&self.repos[pr]);
        c["sub_issue_id"] = json!(child);
        c["sub_issue"] = child_json;
        self.emit(cr, "sub_issues", Some(a2), c);
    }

    pub fn add_sub_issue(
        &mut self,
        repo: usize,
        number: u64,
        child: Id,
        replace_parent: bool,
        sender: &str,
        now: Time,
    ) -> ApiResult<()> {
        let parent = self.id_of(repo, number)?;
        let (child_repo, _) = self.loc(child).map_err(|_| {
            rule(
                "sub_issue_id",
                format!("issue with id {child} does not exist"),
            )
        })?;
        // GitHub keeps pull requests out of both graphs, at either end.
        if self.issue_ref(parent).pull_request {
            return Err(rule("parent", "Parent may only be an issue"));
        }
        if self.issue_ref(child).pull_request {
            return Err(rule("sub_issue_id", "Sub issue may only be an issue"));
        }
        if self.repos[child_repo].owner != self.repos[repo].owner {
            return Err(rule(
                "sub_issue_id",
                "sub-issues must belong to the same owner",
            ));
        }
        if child == parent || self.is_ancestor(child, parent) {
            return Err(rule(
                "sub_issue_id",
                "an issue cannot be a sub-issue of itself or of its own sub-issues",
            ));
        }
        let existing = self.issue_ref(child).parent;
        if existing == Some(parent) {
            return Err(rule(
                "sub_issue_id",
                "the issue is already a sub-issue of this parent",
            ));
        }
        if existing.is_some() && !replace_parent {
            return Err(rule(
                "sub_issue_id",
                "sub-issue may only have one parent (use replace_parent to move it)",
            ));
        }
        if self.issue_ref(parent).sub_issues.len() >= MAX_SUB_ISSUES {
            return Err(rule(
                "sub_issue_id",
                format!("a parent may have at most {MAX_SUB_ISSUES} sub-issues"),
            ));
        }
        if self.depth(parent) + self.height(child) > MAX_DEPTH {
            return Err(rule(
                "sub_issue_id",
                format!("sub-issues may be nested at most {MAX_DEPTH} levels deep"),
            ));
        }
        if let Some(old) = existing {
            self.unlink_sub_issue(old, child, sender, now);
        }
        self.set_issue(parent, |p| {
            p.sub_issues.push(child);
            p.updated_at = now;
        });
        self.set_issue(child, |c| c.parent = Some(parent));
        self.emit_sub_issue_events(parent, child, true, sender);
        Ok(())
    }

    fn unlink_sub_issue(&mut self, parent: Id, child: Id, sender: &str, now: Time) {
        self.set_issue(parent, |p| {
            p.sub_issues.retain(|c| *c != child);
            p.updated_at = now;
        });
        self.set_issue(child, |c| c.parent = None);
        self.emit_sub_issue_events(parent, child, false, sender);
    }

    pub fn remove_sub_issue(
        &mut self,
        repo: usize,
        number: u64,
        child: Id,
        sender: &str,
        now: Time,
    ) -> ApiResult<()> {
        let parent = self.id_of(repo, number)?;
        if !self.issue_ref(parent).sub_issues.contains(&child) {
            return Err(ApiError::not_found());
        }
        self.unlink_sub_issue(parent, child, sender, now);
        Ok(())
    }

    pub fn reprioritize_sub_issue(
        &mut self,
        repo: usize,
        number: u64,
        child: Id,
        after: Option<Id>,
        before: Option<Id>,
    ) -> ApiResult<()> {
        let parent = self.id_of(repo, number)?;
        let subs = self.issue_ref(parent).sub_issues.clone();
        if !subs.contains(&child) {
            return Err(ApiError::not_found());
        }
        let anchor = match (after, before) {
            (Some(a), None) => a,
            (None, Some(b)) => b,
            _ => {
                return Err(ApiError::unprocessable(
                    "Exactly one of after_id or before_id is required",
                ))
            }
        };
        if anchor == child || !subs.contains(&anchor) {
            return Err(rule(
                if after.is_some() {
                    "after_id"
                } else {
                    "before_id"
                },
                "the anchor must be another sub-issue of this parent",
            ));
        }
        let mut order: Vec<Id> = subs.into_iter().filter(|c| *c != child).collect();
        let at = order.iter().position(|c| *c == anchor).expect("anchor");
        order.insert(if after.is_some() { at + 1 } else { at }, child);
        self.set_issue(parent, |p| p.sub_issues = order);
        Ok(())
    }

    pub fn add_blocked_by(
        &mut self,
        repo: usize,
        number: u64,
        blocker: Id,
        sender: &str,
        now: Time,
    ) -> ApiResult<()> {
        let blocked = self.id_of(repo, number)?;
        self.loc(blocker).map_err(|_| {
            rule(
                "issue_id",
                format!("issue with id {blocker} does not exist"),
            )
        })?;
        if self.issue_ref(blocked).pull_request {
            return Err(rule("issue", "Source issue may only be an issue"));
        }
        if self.issue_ref(blocker).pull_request {
            return Err(rule("issue_id", "Target issue may only be an issue"));
        }
        if blocker == blocked {
            return Err(rule("issue_id", "an issue cannot block itself"));
        }
        if self.issue_ref(blocked).blocked_by.contains(&blocker) {
            return Err(rule("issue_id", "this dependency already exists"));
        }
        if self.issue_ref(blocked).blocked_by.len() >= MAX_DEPENDENCIES {
            return Err(rule(
                "issue_id",
                format!("an issue may be blocked by at most {MAX_DEPENDENCIES} issues"),
            ));
        }
        if self.issue_ref(blocker).blocking.len() >= MAX_DEPENDENCIES {
            return Err(rule(
                "issue_id",
                format!("an issue may block at most {MAX_DEPENDENCIES} issues"),
            ));
        }
        self.set_issue(blocked, |i| {
            i.blocked_by.push(blocker);
            i.updated_at = now;
        });
        self.set_issue(blocker, |i| i.blocking.push(blocked));
        self.emit_dependency_events(blocked, blocker, true, sender);
        Ok(())
    }

    pub fn remove_blocked_by(
        &mut self,
        repo: usize,
        number: u64,
        blocker: Id,
        sender: &str,
        now: Time,
    ) -> ApiResult<()> {
        let blocked = self.id_of(repo, number)?;
        if !self.issue_ref(blocked).blocked_by.contains(&blocker) {
            return Err(ApiError::not_found());
        }
        self.set_issue(blocked, |i| {
            i.blocked_by.retain(|b| *b != blocker);
            i.updated_at = now;
        });
        self.set_issue(blocker, |i| i.blocking.retain(|b| *b != blocked));
        self.emit_dependency_events(blocked, blocker, false, sender);
        Ok(())
    }

    fn emit_dependency_events(&mut self, blocked: Id, blocker: Id, added: bool, sender: &str) {
        let (br, _) = self.loc(blocked).expect("blocked");
        let (kr, _) = self.loc(blocker).expect("blocker");
        let blocked_json = self.issue_json(br, self.issue_ref(blocked));
        let blocker_json = self.issue_json(kr, self.issue_ref(blocker));
        let suffix = if added { "added" } else { "removed" };
        for (repo, action) in [
            (br, format!("blocked_by_{suffix}")),
            (kr, format!("blocking_{suffix}")),
        ] {
            let mut p = self.envelope(repo, Some(&action), sender);
            p["blocked_issue_id"] = json!(blocked);
            p["blocked_issue"] = blocked_json.clone();
            p["blocked_issue_repo"] = self.repo_json(&self.repos[br]);
            p["blocking_issue_id"] = json!(blocker);
            p["blocking_issue"] = blocker_json.clone();
            p["blocking_issue_repo"] = self.repo_json(&self.repos[kr]);
            if p.get("organization").is_none() {
                // The schema requires the field; user-owned repositories send the owner.
                p["organization"] = self.org_json(&self.repos[repo].owner);
            }
            self.emit(repo, "issue_dependencies", Some(&action), p);
        }
    }

    /// Cuts every sub-issue and dependency link of an issue that is leaving (deleted or
    /// transferred), so no summary keeps counting it.
    pub fn detach_relations(&mut self, repo: usize, number: u64) {
        let issue = self.repos[repo].issue(number).expect("issue").clone();
        if let Some(p) = issue.parent {
            self.set_issue(p, |p| p.sub_issues.retain(|c| *c != issue.id));
        }
        for c in &issue.sub_issues {
            self.set_issue(*c, |c| c.parent = None);
        }
        for b in &issue.blocked_by {
            self.set_issue(*b, |b| b.blocking.retain(|x| *x != issue.id));
        }
        for b in &issue.blocking {
            self.set_issue(*b, |b| b.blocked_by.retain(|x| *x != issue.id));
        }
        let i = self.issue_mut(repo, number);
        i.parent = None;
        i.sub_issues.clear();
        i.blocked_by.clear();
        i.blocking.clear();
    }
}
