//! Issue events and timeline entries.

use super::writer::node_id;
use crate::clock::iso;
use crate::model::{Comment, IssueEvent, World};
use serde_json::{json, Value};

impl World {
    /// An issue event; `with_issue` for the repository-wide lists, which name the issue.
    pub fn issue_event_json(&self, e: &IssueEvent, with_issue: bool) -> Value {
        let repo = &self.repos[e.repo];
        let mut v = json!({
            "id": e.id,
            "node_id": node_id("IE", e.id),
            "url": format!("{}/repos/{}/{}/issues/events/{}", self.base, repo.owner, repo.name, e.id),
            "actor": self.user_json(&e.actor),
            "event": e.event,
            "commit_id": null,
            "commit_url": null,
            "created_at": iso(e.created_at),
            "performed_via_github_app": null,
        });
        for (k, x) in &e.detail {
            v[k] = x.clone();
        }
        if with_issue {
            v["issue"] = repo
                .issue(e.number)
                .map(|i| self.issue_json(e.repo, i))
                .unwrap_or(Value::Null);
        }
        v
    }

    /// A comment as a timeline entry (`commented`).
    pub fn timeline_comment_json(&self, repo: usize, c: &Comment) -> Value {
        let mut v = self.comment_json(&self.repos[repo], c);
        v["event"] = json!("commented");
        v["actor"] = v["user"].clone();
        v
    }
}
