//! Issue comments, kept per repository in id order.

use super::types::*;
use super::world::World;
use crate::error::{ApiError, ApiResult};
use serde_json::json;

impl World {
    fn emit_comment_event(
        &mut self,
        repo: usize,
        comment: &Comment,
        action: &str,
        sender: &str,
        extra: serde_json::Value,
    ) {
        let r = &self.repos[repo];
        let comment_json = self.comment_json(r, comment);
        let issue = r
            .issue(comment.issue_number)
            .map(|i| self.issue_json(repo, i));
        let mut payload = self.envelope(repo, Some(action), sender);
        payload["comment"] = comment_json;
        payload["issue"] = issue.unwrap_or_default();
        crate::payload::merge(&mut payload, extra);
        self.emit(repo, "issue_comment", Some(action), payload);
    }

    pub fn create_comment(
        &mut self,
        repo: usize,
        number: u64,
        sender: &str,
        body: Option<String>,
        now: Time,
    ) -> ApiResult<Id> {
        self.live_issue(repo, number)?;
        let body = body
            .filter(|b| !b.trim().is_empty())
            .ok_or_else(|| ApiError::invalid("IssueComment", "body", "missing_field"))?;
        self.user(sender);
        let id = self.next_id();
        let comment = Comment {
            id,
            issue_number: number,
            user: sender.to_string(),
            body,
            created_at: now,
            updated_at: now,
        };
        self.repos[repo].comments.push(comment.clone());
        self.comment_loc.insert(id, repo);
        let issue = self.issue_mut(repo, number);
        issue.comments += 1;
        issue.updated_at = now;
        self.emit_comment_event(repo, &comment, "created", sender, json!({}));
        Ok(id)
    }

    pub fn comment_index(&self, repo: usize, id: Id) -> ApiResult<usize> {
        if self.comment_loc.get(&id) != Some(&repo) {
            return Err(ApiError::not_found());
        }
        self.repos[repo]
            .comments
            .binary_search_by_key(&id, |c| c.id)
            .map_err(|_| ApiError::not_found())
    }

    pub fn update_comment(
        &mut self,
        repo: usize,
        id: Id,
        sender: &str,
        body: Option<String>,
        now: Time,
    ) -> ApiResult<()> {
        let idx = self.comment_index(repo, id)?;
        let body = body
            .filter(|b| !b.trim().is_empty())
            .ok_or_else(|| ApiError::invalid("IssueComment", "body", "missing_field"))?;
        let c = &mut self.repos[repo].comments[idx];
        let from = std::mem::replace(&mut c.body, body);
        if from == c.body {
            return Ok(());
        }
        c.updated_at = now;
        let comment = c.clone();
        self.emit_comment_event(
            repo,
            &comment,
            "edited",
            sender,
            json!({"changes": {"body": {"from": from}}}),
        );
        Ok(())
    }

    pub fn delete_comment(&mut self, repo: usize, id: Id, sender: &str) -> ApiResult<()> {
        let idx = self.comment_index(repo, id)?;
        let comment = self.repos[repo].comments.remove(idx);
        self.comment_loc.remove(&id);
        if let Some(i) = self.repos[repo]
            .issues
            .get_mut((comment.issue_number - 1) as usize)
        {
            i.comments = i.comments.saturating_sub(1);
        }
        self.emit_comment_event(repo, &comment, "deleted", sender, json!({}));
        Ok(())
    }
}
