//! Issue events (`GET …/issues/events`, `…/issues/{n}/events`) and the timeline: what the
//! webhook events of a mutation say happened to an issue, recorded when they are sent.

use super::types::*;
use super::world::{Outgoing, World};
use serde_json::{json, Map, Value};

/// One event on an issue's timeline.
#[derive(Debug, Clone)]
pub struct IssueEvent {
    pub id: Id,
    pub repo: usize,
    pub number: u64,
    /// GitHub's name: `labeled`, `assigned`, `closed`, `renamed`, `sub_issue_added`…
    pub event: String,
    pub actor: String,
    pub created_at: Time,
    /// The event's own fields (`label`, `assignee`, `milestone`, `rename`…), rendered.
    pub detail: Map<String, Value>,
}

fn number(v: &Value) -> Option<u64> {
    v["number"].as_u64()
}

impl World {
    /// Records the issue events that webhook events `sent` describe.
    pub fn record_issue_events(&mut self, sent: &[Outgoing], now: Time) {
        for e in sent {
            let super::world::HookOwner::Repo(at) = e.target else {
                continue;
            };
            let p = &e.payload;
            let actor = p["sender"]["login"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let mut detail = Map::new();
            let (repo, issue, event) = match (e.event, e.action.as_deref()) {
                ("issues", Some(a @ ("labeled" | "unlabeled"))) => {
                    detail.insert(
                        "label".into(),
                        json!({"name": p["label"]["name"], "color": p["label"]["color"]}),
                    );
                    (at, number(&p["issue"]), a)
                }
                ("issues", Some(a @ ("assigned" | "unassigned"))) => {
                    detail.insert("assignee".into(), p["assignee"].clone());
                    detail.insert("assigner".into(), p["sender"].clone());
                    (at, number(&p["issue"]), a)
                }
                ("issues", Some(a @ ("milestoned" | "demilestoned"))) => {
                    detail.insert(
                        "milestone".into(),
                        json!({"title": p["milestone"]["title"]}),
                    );
                    (at, number(&p["issue"]), a)
                }
                ("issues", Some(a @ ("closed" | "reopened"))) => {
                    detail.insert("state_reason".into(), p["issue"]["state_reason"].clone());
                    (at, number(&p["issue"]), a)
                }
                ("issues", Some(a @ ("locked" | "unlocked"))) => {
                    detail.insert(
                        "lock_reason".into(),
                        p["issue"]["active_lock_reason"].clone(),
                    );
                    (at, number(&p["issue"]), a)
                }
                ("issues", Some("edited")) if p["changes"]["title"].is_object() => {
                    detail.insert(
                        "rename".into(),
                        json!({"from": p["changes"]["title"]["from"], "to": p["issue"]["title"]}),
                    );
                    (at, number(&p["issue"]), "renamed")
                }
                // Recorded where the issue lives now.
                ("issues", Some("transferred")) => {
                    let to = p["changes"]["new_repository"]["full_name"]
                        .as_str()
                        .and_then(|n| self.repo_index.get(&n.to_ascii_lowercase()).copied());
                    match to {
                        Some(to) => (to, number(&p["changes"]["new_issue"]), "transferred"),
                        None => continue,
                    }
                }
                ("sub_issues", Some(a @ ("sub_issue_added" | "sub_issue_removed"))) => {
                    (at, number(&p["parent_issue"]), a)
                }
                ("sub_issues", Some(a @ ("parent_issue_added" | "parent_issue_removed"))) => {
                    (at, number(&p["sub_issue"]), a)
                }
                _ => continue,
            };
            let Some(number) = issue else { continue };
            let id = self.next_id();
            self.issue_events.push(IssueEvent {
                id,
                repo,
                number,
                event: event.to_string(),
                actor,
                created_at: now,
                detail,
            });
        }
    }
}
