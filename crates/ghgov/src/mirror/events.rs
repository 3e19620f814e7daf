//! What each webhook event means for the mirror. Every fact goes through the projector, the
//! same way sync pages do.

use super::projector::{self, Seen, Tx};
use super::RepoName;
use crate::github::types::{Comment, Issue, Label, Milestone, Repository};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The events the mirror understands; anything else is stored and marked ignored.
pub const HANDLED: &[&str] = &[
    "issues",
    "issue_comment",
    "label",
    "milestone",
    "sub_issues",
    "issue_dependencies",
    "repository",
    "ping",
];

/// What [`apply`] did with one event; the delivery is marked processed or ignored after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventEffect {
    Processed,
    Ignored,
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

/// The repository a payload is about, projected so its id is known.
async fn repository(tx: &mut Tx<'_>, payload: &Value) -> anyhow::Result<Option<i64>> {
    match payload.get("repository") {
        Some(v) if v.is_object() => {
            let r: Repository = serde_json::from_value(v.clone())
                .map_err(|e| anyhow::anyhow!("the payload's repository cannot be read: {e}"))?;
            Ok(Some(projector::repository(tx, &r).await?))
        }
        _ => Ok(None),
    }
}

async fn repo_required(tx: &mut Tx<'_>, payload: &Value) -> anyhow::Result<i64> {
    repository(tx, payload)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the payload has no repository"))
}

/// The repository id of an issue object's `repository_url`, if the mirror holds it.
async fn repo_of_issue_url(tx: &mut Tx<'_>, issue: &Value) -> anyhow::Result<Option<i64>> {
    let Some(url) = issue.get("repository_url").and_then(Value::as_str) else {
        return Ok(None);
    };
    let mut parts = url.rsplit('/');
    let (name, owner) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    // Built, not parsed: a malformed URL finds no repository rather than failing the event.
    let repo = RepoName {
        owner: owner.to_string(),
        name: name.to_string(),
    };
    let row = sqlx::query("SELECT id FROM repositories WHERE full_name_lc = $1")
        .bind(repo.key())
        .fetch_optional(&mut **tx)
        .await?;
    Ok(row.map(|r| sqlx::Row::get(&r, 0)))
}

/// Projects the issue objects a relation event carries (their summaries changed), when
/// the mirror follows their repositories.
async fn embedded_issues(
    tx: &mut Tx<'_>,
    seen: &mut Seen,
    payload: &Value,
    keys: [&str; 2],
) -> anyhow::Result<()> {
    for key in keys {
        if let Some(v) = payload.get(key) {
            if let (Some(repo), Ok(issue)) = (
                repo_of_issue_url(tx, v).await?,
                serde_json::from_value::<Issue>(v.clone()),
            ) {
                projector::issue(tx, seen, repo, &issue, None).await?;
            }
        }
    }
    Ok(())
}

pub async fn apply(tx: &mut Tx<'_>, event: &str, payload: &Value) -> anyhow::Result<EventEffect> {
    let action = payload.get("action").and_then(Value::as_str).unwrap_or("");
    let mut seen = Seen::default();
    match event {
        "ping" => Ok(EventEffect::Processed),
        "issues" => {
            let repo = repo_required(tx, payload).await?;
            let issue_id = id_of(payload.get("issue").unwrap_or(&Value::Null), "id")?;
            match action {
                "deleted" => projector::remove_issue(tx, issue_id, "deleted").await?,
                "transferred" => {
                    projector::remove_issue(tx, issue_id, "transferred").await?;
                    // The issue's new home, when the mirror follows that repository too.
                    if let Some(changes) = payload.get("changes") {
                        if let (Some(new_issue), Some(new_repo)) =
                            (changes.get("new_issue"), changes.get("new_repository"))
                        {
                            let r: Repository = serde_json::from_value(new_repo.clone())?;
                            let known = sqlx::query("SELECT 1 FROM repositories WHERE id = $1")
                                .bind(r.id)
                                .fetch_optional(&mut **tx)
                                .await?
                                .is_some();
                            if known {
                                let i: Issue = serde_json::from_value(new_issue.clone())?;
                                projector::issue(tx, &mut seen, r.id, &i, None).await?;
                            }
                        }
                    }
                }
                _ => {
                    let issue: Issue = field(payload, "issue")?;
                    projector::issue(tx, &mut seen, repo, &issue, None).await?;
                    if let Some(m) = payload.get("milestone").filter(|m| m.is_object()) {
                        let m: Milestone = serde_json::from_value(m.clone())?;
                        projector::milestone(tx, &mut seen, repo, &m).await?;
                    }
                }
            }
            Ok(EventEffect::Processed)
        }
        "issue_comment" => {
            let repo = repo_required(tx, payload).await?;
            let comment: Comment = field(payload, "comment")?;
            if action == "deleted" {
                projector::remove_comment(tx, comment.id).await?;
            } else {
                projector::comment(tx, &mut seen, repo, &comment, None).await?;
            }
            // The issue's comment count and updated_at moved too.
            if let Ok(issue) = field::<Issue>(payload, "issue") {
                projector::issue(tx, &mut seen, repo, &issue, None).await?;
            }
            Ok(EventEffect::Processed)
        }
        "label" => {
            let repo = repo_required(tx, payload).await?;
            let label: Label = field(payload, "label")?;
            if action == "deleted" {
                projector::remove_label(tx, label.id).await?;
            } else {
                projector::label(tx, &mut seen, repo, &label).await?;
            }
            Ok(EventEffect::Processed)
        }
        "milestone" => {
            let repo = repo_required(tx, payload).await?;
            let m: Milestone = field(payload, "milestone")?;
            if action == "deleted" {
                projector::remove_milestone(tx, m.id).await?;
            } else {
                projector::milestone(tx, &mut seen, repo, &m).await?;
            }
            Ok(EventEffect::Processed)
        }
        "sub_issues" => {
            repository(tx, payload).await?;
            let (parent, child) = (
                id_of(payload, "parent_issue_id")?,
                id_of(payload, "sub_issue_id")?,
            );
            embedded_issues(tx, &mut seen, payload, ["parent_issue", "sub_issue"]).await?;
            match action {
                "sub_issue_added" | "parent_issue_added" => {
                    projector::link_sub_issue(tx, parent, child).await?
                }
                "sub_issue_removed" | "parent_issue_removed" => {
                    projector::unlink_sub_issue(tx, parent, child).await?
                }
                _ => return Ok(EventEffect::Ignored),
            }
            Ok(EventEffect::Processed)
        }
        "issue_dependencies" => {
            repository(tx, payload).await?;
            let (blocked, blocking) = (
                id_of(payload, "blocked_issue_id")?,
                id_of(payload, "blocking_issue_id")?,
            );
            embedded_issues(tx, &mut seen, payload, ["blocked_issue", "blocking_issue"]).await?;
            match action {
                "blocked_by_added" | "blocking_added" => {
                    projector::add_dependency(tx, blocked, blocking).await?
                }
                "blocked_by_removed" | "blocking_removed" => {
                    projector::remove_dependency(tx, blocked, blocking).await?
                }
                _ => return Ok(EventEffect::Ignored),
            }
            Ok(EventEffect::Processed)
        }
        "repository" => {
            let r: Repository = field(payload, "repository")?;
            if action == "deleted" {
                projector::remove_repository(tx, r.id).await?;
            } else {
                // renamed, transferred, edited…: the payload carries the new name and owner.
                projector::repository(tx, &r).await?;
            }
            Ok(EventEffect::Processed)
        }
        _ => Ok(EventEffect::Ignored),
    }
}
