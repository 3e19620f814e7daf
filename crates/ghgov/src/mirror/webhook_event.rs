//! A stored webhook delivery read into a typed event, before anything acts on it. The
//! receiver keeps the raw bytes; the processor calls [`WebhookEvent::parse`] and hands the
//! result to `events::apply`, which only ever sees these types.

use crate::github::types::{Comment, Issue, Label, Milestone, Repository};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Every event the mirror acts on, and the rest under [`WebhookEvent::Unknown`].
#[derive(Debug, Clone)]
pub enum WebhookEvent {
    Ping,
    Issues {
        repository: Repository,
        change: IssueChange,
    },
    IssueComment {
        repository: Repository,
        comment: Comment,
        deleted: bool,
        /// The issue, whose comment count and `updated_at` moved too (when readable).
        issue: Option<Issue>,
    },
    Label {
        repository: Repository,
        label: Label,
        deleted: bool,
    },
    Milestone {
        repository: Repository,
        milestone: Milestone,
        deleted: bool,
    },
    SubIssues {
        repository: Option<Repository>,
        parent_id: i64,
        child_id: i64,
        link: LinkChange,
        /// The parent and the child as the payload shows them.
        embedded: Vec<EmbeddedIssue>,
    },
    IssueDependencies {
        repository: Option<Repository>,
        blocked_id: i64,
        blocking_id: i64,
        link: LinkChange,
        /// The blocked and the blocking issue as the payload shows them.
        embedded: Vec<EmbeddedIssue>,
    },
    Repository {
        repository: Repository,
        deleted: bool,
    },
    /// An event the mirror does not follow: stored, and marked ignored.
    Unknown {
        name: String,
    },
}

#[derive(Debug, Clone)]
pub enum IssueChange {
    Deleted {
        issue_id: i64,
    },
    Transferred {
        issue_id: i64,
        /// The issue in its new repository, as the payload's `changes` give it.
        new_home: Option<(Repository, Issue)>,
    },
    /// Opened, edited, closed, labeled… : the issue as it now is.
    Updated {
        issue: Issue,
        milestone: Option<Milestone>,
    },
}

/// What happened to a sub-issue or dependency link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkChange {
    Added,
    Removed,
    /// An action the mirror does not know: the event is ignored.
    Other,
}

/// An issue object a relation event carries, with the repository it names.
#[derive(Debug, Clone)]
pub struct EmbeddedIssue {
    pub repository_url: String,
    pub issue: Issue,
}

fn field<T: DeserializeOwned>(payload: &Value, key: &str) -> anyhow::Result<T> {
    let v = payload
        .get(key)
        .ok_or_else(|| anyhow::anyhow!("the payload has no '{key}'"))?;
    serde_json::from_value(v.clone())
        .map_err(|e| anyhow::anyhow!("the payload's '{key}' cannot be read: {e}"))
}

fn id_of(payload: &Value, key: &str) -> anyhow::Result<i64> {
    payload
        .get(key)
        .and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)))
        .ok_or_else(|| anyhow::anyhow!("the payload has no numeric '{key}'"))
}

/// The payload's repository, when it has one.
fn repository(payload: &Value) -> anyhow::Result<Option<Repository>> {
    match payload.get("repository") {
        Some(v) if v.is_object() => {
            Ok(Some(serde_json::from_value(v.clone()).map_err(|e| {
                anyhow::anyhow!("the payload's repository cannot be read: {e}")
            })?))
        }
        _ => Ok(None),
    }
}

fn repo_required(payload: &Value) -> anyhow::Result<Repository> {
    repository(payload)?.ok_or_else(|| anyhow::anyhow!("the payload has no repository"))
}

/// Issue objects under `keys` that name their repository and read as issues; others are
/// left out, as they tell the mirror nothing it can place.
fn embedded(payload: &Value, keys: [&str; 2]) -> Vec<EmbeddedIssue> {
    keys.iter()
        .filter_map(|key| payload.get(*key))
        .filter_map(|v| {
            let url = v.get("repository_url")?.as_str()?.to_string();
            let issue = serde_json::from_value::<Issue>(v.clone()).ok()?;
            Some(EmbeddedIssue {
                repository_url: url,
                issue,
            })
        })
        .collect()
}

fn link(action: &str, added: [&str; 2], removed: [&str; 2]) -> LinkChange {
    if added.contains(&action) {
        LinkChange::Added
    } else if removed.contains(&action) {
        LinkChange::Removed
    } else {
        LinkChange::Other
    }
}

impl WebhookEvent {
    /// Reads a delivery's event name (`X-GitHub-Event`) and JSON payload. An event the mirror
    /// does not follow is `Unknown` whatever its payload; a followed one missing what the
    /// mirror needs is an error that says what is missing.
    pub fn parse(name: &str, payload: &str) -> anyhow::Result<WebhookEvent> {
        Ok(Self::parse_with_sender(name, payload)?.0)
    }

    /// [`WebhookEvent::parse`], with the login of the payload's `sender` (who made the
    /// change), which status history records as the actor.
    pub fn parse_with_sender(
        name: &str,
        payload: &str,
    ) -> anyhow::Result<(WebhookEvent, Option<String>)> {
        if !super::events::HANDLED.contains(&name) {
            return Ok((WebhookEvent::Unknown { name: name.into() }, None));
        }
        let payload: Value = serde_json::from_str(payload)
            .map_err(|e| anyhow::anyhow!("the payload is not JSON: {e}"))?;
        let sender = payload
            .get("sender")
            .and_then(|s| s.get("login"))
            .and_then(Value::as_str)
            .map(str::to_string);
        Ok((Self::from_value(name, &payload)?, sender))
    }

    fn from_value(name: &str, payload: &Value) -> anyhow::Result<WebhookEvent> {
        let action = payload.get("action").and_then(Value::as_str).unwrap_or("");
        let deleted = action == "deleted";
        Ok(match name {
            "ping" => WebhookEvent::Ping,
            "issues" => {
                let repository = repo_required(payload)?;
                let issue_id = id_of(payload.get("issue").unwrap_or(&Value::Null), "id")?;
                let change = match action {
                    "deleted" => IssueChange::Deleted { issue_id },
                    "transferred" => {
                        let changes = payload.get("changes");
                        let new_home =
                            match changes.map(|c| (c.get("new_issue"), c.get("new_repository"))) {
                                Some((Some(issue), Some(repo))) => Some((
                                    serde_json::from_value(repo.clone())?,
                                    serde_json::from_value(issue.clone())?,
                                )),
                                _ => None,
                            };
                        IssueChange::Transferred { issue_id, new_home }
                    }
                    _ => IssueChange::Updated {
                        issue: field(payload, "issue")?,
                        milestone: payload
                            .get("milestone")
                            .filter(|m| m.is_object())
                            .map(|m| serde_json::from_value(m.clone()))
                            .transpose()?,
                    },
                };
                WebhookEvent::Issues { repository, change }
            }
            "issue_comment" => WebhookEvent::IssueComment {
                repository: repo_required(payload)?,
                comment: field(payload, "comment")?,
                deleted,
                issue: field(payload, "issue").ok(),
            },
            "label" => WebhookEvent::Label {
                repository: repo_required(payload)?,
                label: field(payload, "label")?,
                deleted,
            },
            "milestone" => WebhookEvent::Milestone {
                repository: repo_required(payload)?,
                milestone: field(payload, "milestone")?,
                deleted,
            },
            "sub_issues" => WebhookEvent::SubIssues {
                repository: repository(payload)?,
                parent_id: id_of(payload, "parent_issue_id")?,
                child_id: id_of(payload, "sub_issue_id")?,
                link: link(
                    action,
                    ["sub_issue_added", "parent_issue_added"],
                    ["sub_issue_removed", "parent_issue_removed"],
                ),
                embedded: embedded(payload, ["parent_issue", "sub_issue"]),
            },
            "issue_dependencies" => WebhookEvent::IssueDependencies {
                repository: repository(payload)?,
                blocked_id: id_of(payload, "blocked_issue_id")?,
                blocking_id: id_of(payload, "blocking_issue_id")?,
                link: link(
                    action,
                    ["blocked_by_added", "blocking_added"],
                    ["blocked_by_removed", "blocking_removed"],
                ),
                embedded: embedded(payload, ["blocked_issue", "blocking_issue"]),
            },
            "repository" => WebhookEvent::Repository {
                repository: field(payload, "repository")?,
                deleted,
            },
            other => WebhookEvent::Unknown { name: other.into() },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_the_mirror_does_not_follow_are_unknown_whatever_their_payload() {
        match WebhookEvent::parse("watch", "not even json").unwrap() {
            WebhookEvent::Unknown { name } => assert_eq!(name, "watch"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_followed_event_missing_what_the_mirror_needs_says_what() {
        let e = WebhookEvent::parse("label", r#"{"action":"created"}"#).unwrap_err();
        assert_eq!(e.to_string(), "the payload has no repository");
        let repo =
            r#"{"id":1,"name":"w","full_name":"a/w","owner":{"login":"a","id":2},"private":false}"#;
        let e = WebhookEvent::parse(
            "label",
            &format!(r#"{{"action":"created","repository":{repo}}}"#),
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "the payload has no 'label'");
        let e = WebhookEvent::parse("sub_issues", r#"{"action":"sub_issue_added"}"#).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the payload has no numeric 'parent_issue_id'"
        );
        assert!(WebhookEvent::parse("issues", "{")
            .unwrap_err()
            .to_string()
            .starts_with("the payload is not JSON"));
    }

    #[test]
    fn link_actions_are_typed() {
        let parse = |action: &str| match WebhookEvent::parse(
            "issue_dependencies",
            &format!(r#"{{"action":"{action}","blocked_issue_id":1,"blocking_issue_id":2.0}}"#),
        )
        .unwrap()
        {
            WebhookEvent::IssueDependencies {
                link, blocking_id, ..
            } => (link, blocking_id),
            other => panic!("{other:?}"),
        };
        assert_eq!(parse("blocking_added"), (LinkChange::Added, 2));
        assert_eq!(parse("blocked_by_removed"), (LinkChange::Removed, 2));
        assert_eq!(parse("renamed"), (LinkChange::Other, 2));
    }
}
