//! What each webhook event means for the mirror. Events arrive typed
//! ([`WebhookEvent`], read from the stored delivery by the processor); every fact goes
//! through the projector, the same way sync pages do.

use super::projector::{MirrorTx, Seen};
use super::webhook_event::{EmbeddedIssue, IssueChange, LinkChange, WebhookEvent};
use super::RepoName;

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

/// The repository id of an issue object's `repository_url`, if the mirror holds it.
async fn repo_of_issue_url(tx: &mut MirrorTx<'_>, url: &str) -> anyhow::Result<Option<i64>> {
    let mut parts = url.rsplit('/');
    let (name, owner) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    // Built, not parsed: a malformed URL finds no repository rather than failing the event.
    let repo = RepoName {
        owner: owner.to_string(),
        name: name.to_string(),
    };
    tx.repository_id(&repo).await
}

/// Projects the issue objects a relation event carries (their summaries changed), when
/// the mirror follows their repositories.
async fn embedded_issues(
    tx: &mut MirrorTx<'_>,
    seen: &mut Seen,
    embedded: &[EmbeddedIssue],
) -> anyhow::Result<()> {
    for e in embedded {
        if let Some(repo) = repo_of_issue_url(tx, &e.repository_url).await? {
            tx.issue(seen, repo, &e.issue, None).await?;
        }
    }
    Ok(())
}

pub async fn apply(tx: &mut MirrorTx<'_>, event: &WebhookEvent) -> anyhow::Result<EventEffect> {
    let mut seen = Seen::default();
    match event {
        WebhookEvent::Ping => Ok(EventEffect::Processed),
        WebhookEvent::Issues { repository, change } => {
            let repo = tx.repository(repository).await?;
            match change {
                IssueChange::Deleted { issue_id } => tx.remove_issue(*issue_id, "deleted").await?,
                IssueChange::Transferred { issue_id, new_home } => {
                    tx.remove_issue(*issue_id, "transferred").await?;
                    // The issue's new home, when the mirror follows that repository too.
                    if let Some((r, issue)) = new_home {
                        if tx.repository_known(r.id).await? {
                            tx.issue(&mut seen, r.id, issue, None).await?;
                        }
                    }
                }
                IssueChange::Updated { issue, milestone } => {
                    tx.issue(&mut seen, repo, issue, None).await?;
                    if let Some(m) = milestone {
                        tx.milestone(&mut seen, repo, m).await?;
                    }
                }
            }
            Ok(EventEffect::Processed)
        }
        WebhookEvent::IssueComment {
            repository,
            comment,
            deleted,
            issue,
        } => {
            let repo = tx.repository(repository).await?;
            if *deleted {
                tx.remove_comment(comment.id).await?;
            } else {
                tx.comment(&mut seen, repo, comment, None).await?;
            }
            // The issue's comment count and updated_at moved too.
            if let Some(issue) = issue {
                tx.issue(&mut seen, repo, issue, None).await?;
            }
            Ok(EventEffect::Processed)
        }
        WebhookEvent::Label {
            repository,
            label,
            deleted,
        } => {
            let repo = tx.repository(repository).await?;
            if *deleted {
                tx.remove_label(label.id).await?;
            } else {
                tx.label(&mut seen, repo, label).await?;
            }
            Ok(EventEffect::Processed)
        }
        WebhookEvent::Milestone {
            repository,
            milestone,
            deleted,
        } => {
            let repo = tx.repository(repository).await?;
            if *deleted {
                tx.remove_milestone(milestone.id).await?;
            } else {
                tx.milestone(&mut seen, repo, milestone).await?;
            }
            Ok(EventEffect::Processed)
        }
        WebhookEvent::SubIssues {
            repository,
            parent_id,
            child_id,
            link,
            embedded,
        } => {
            if let Some(r) = repository {
                tx.repository(r).await?;
            }
            embedded_issues(tx, &mut seen, embedded).await?;
            match link {
                LinkChange::Added => tx.link_sub_issue(*parent_id, *child_id).await?,
                LinkChange::Removed => tx.unlink_sub_issue(*parent_id, *child_id).await?,
                LinkChange::Other => return Ok(EventEffect::Ignored),
            }
            Ok(EventEffect::Processed)
        }
        WebhookEvent::IssueDependencies {
            repository,
            blocked_id,
            blocking_id,
            link,
            embedded,
        } => {
            if let Some(r) = repository {
                tx.repository(r).await?;
            }
            embedded_issues(tx, &mut seen, embedded).await?;
            match link {
                LinkChange::Added => tx.add_dependency(*blocked_id, *blocking_id).await?,
                LinkChange::Removed => tx.remove_dependency(*blocked_id, *blocking_id).await?,
                LinkChange::Other => return Ok(EventEffect::Ignored),
            }
            Ok(EventEffect::Processed)
        }
        WebhookEvent::Repository {
            repository,
            deleted,
        } => {
            if *deleted {
                tx.remove_repository(repository.id).await?;
            } else {
                // renamed, transferred, edited…: the payload carries the new name and owner.
                tx.repository(repository).await?;
            }
            Ok(EventEffect::Processed)
        }
        WebhookEvent::Unknown { .. } => Ok(EventEffect::Ignored),
    }
}
