//! Webhook payload envelopes: every event carries the repository, the sender and, for
//! organization-owned repositories, the organization.

use crate::model::*;
use serde_json::{json, Value};

impl World {
    pub fn envelope(&self, repo: usize, action: Option<&str>, sender: &str) -> Value {
        let r = &self.repos[repo];
        let mut v = json!({
            "repository": self.repo_json(r),
            "sender": self.user_json(sender),
        });
        if let Some(action) = action {
            v["action"] = Value::String(action.to_string());
        }
        if self.owner_is_org(r) {
            v["organization"] = self.org_json(&r.owner);
        }
        v
    }

    /// An `issues` event about `number`, with extra top-level fields merged in.
    pub fn emit_issue_event(
        &mut self,
        repo: usize,
        number: u64,
        action: &str,
        sender: &str,
        extra: Value,
    ) {
        let mut payload = self.envelope(repo, Some(action), sender);
        let issue = self.repos[repo].issue(number).expect("issue exists");
        payload["issue"] = self.issue_json(repo, issue);
        merge(&mut payload, extra);
        self.emit(repo, "issues", Some(action), payload);
    }
}

pub fn merge(into: &mut Value, extra: Value) {
    if let (Some(into), Value::Object(extra)) = (into.as_object_mut(), extra) {
        for (k, v) in extra {
            into.insert(k, v);
        }
    }
}
