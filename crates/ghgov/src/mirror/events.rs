//! What each webhook event means for the mirror. Events arrive typed
//! ([`WebhookEvent`], read from the stored delivery by the processor); every fact goes
//! through the projector, the same way sync pages do.

use super::projector::{self, Seen, Tx};
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
async fn repo_of_issue_url(tx: &mut Tx<'_>, url: &str) -> anyhow::Result<Option<i64>> {
    let mut parts = url.rsplit('/');
    let (name, owner) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    // Built, not parsed: a malformed URL finds no repository rather than failing the event.
    let repo = RepoName {
        owner: owner.to_string(),
        name: name.to_string(),
    };
    projector::repository_id(tx, &repo).await
}

/// Projects the issue objects a relation event carries (their summaries changed), when
/// the mirror follows their repositories.
async fn embedded_issues(
    tx: &mut Tx<'_>,
    seen: &mut Seen,
    embedded: &[EmbeddedIssue],
) -> anyhow::Result<()> {
    for e in embedded {
        if let Some(repo) = repo_of_issue_url(tx, &e.repository_url).await? {
            projector::issue(tx, seen, repo, &e.issue, None).await?;
        }
    }
    Ok(())
}

pub async fn apply(tx: &mut Tx<'_>, event: &WebhookEvent) -> anyhow::Result<EventEffect> {
    let mut seen = Seen::default();
    match event {
        WebhookEvent::Ping => Ok(EventEffect::Processed),
        WebhookEvent::Issues { repository, change } => {
            let repo = projector::repository(tx, repository).await?;
            match change {
                IssueChange::Deleted { issue_id } => {
                    projector::remove_issue(tx, *issue_id, "deleted").await?
                }
                IssueChange::Transferred { issue_id, new_home } => {
                    projector::remove_issue(tx, *issue_id, "transferred").await?;
                    // The issue's new home, when the mirror follows that repository too.
                    if let Some((r, issue)) = new_home {
                        if projector::repository_known(tx, r.id).await? {
                            projector::issue(tx, &mut seen, r.id, issue, None).await?;
                        }
                    }
                }
                IssueChange::Updated { issue, milestone } => {
                    projector::issue(tx, &mut seen, repo, issue, None).await?;
                    if let Some(m) = milestone {
                        projector::milestone(tx, &mut seen, repo, m).await?;
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
            let repo = projector::repository(tx, repository).await?;
            if *deleted {
                projector::remove_comment(tx, comment.id).await?;
            } else {
                projector::comment(tx, &mut seen, repo, comment, None).await?;
            }
            // The issue's comment count and updated_at moved too.
            if let Some(issue) = issue {
                projector::issue(tx, &mut seen, repo, issue, None).await?;
            }
            Ok(EventEffect::Processed)
        }
        WebhookEvent::Label {
            repository,
            label,
            deleted,
        } => {
            let repo = projector::repository(tx, repository).await?;
            if *deleted {
                projector::remove_label(tx, label.id).await?;
            } else {
                projector::label(tx, &mut seen, repo, label).await?;
            }
            Ok(EventEffect::Processed)
        }
        WebhookEvent::Milestone {
            repository,
            milestone,
            deleted,
        } => {
            let repo = projector::repository(tx, repository).await?;
            if *deleted {
                projector::remove_milestone(tx, milestone.id).await?;
            } else {
                projector::milestone(tx, &mut seen, repo, milestone).await?;
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
                projector::repository(tx, r).await?;
            }
            embedded_issues(tx, &mut seen, embedded).await?;
            match link {
                LinkChange::Added => projector::link_sub_issue(tx, *parent_id, *child_id).await?,
                LinkChange::Removed => {
                    projector::unlink_sub_issue(tx, *parent_id, *child_id).await?
                }
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
                projector::repository(tx, r).await?;
            }
            embedded_issues(tx, &mut seen, embedded).await?;
            match link {
                LinkChange::Added => {
                    projector::add_dependency(tx, *blocked_id, *blocking_id).await?
                }
                LinkChange::Removed => {
                    projector::remove_dependency(tx, *blocked_id, *blocking_id).await?
                }
                LinkChange::Other => return Ok(EventEffect::Ignored),
            }
            Ok(EventEffect::Processed)
        }
        WebhookEvent::Repository {
            repository,
            deleted,
        } => {
            if *deleted {
                projector::remove_repository(tx, repository.id).await?;
            } else {
                // renamed, transferred, edited…: the payload carries the new name and owner.
                projector::repository(tx, repository).await?;
            }
            Ok(EventEffect::Processed)
        }
        WebhookEvent::Unknown { .. } => Ok(EventEffect::Ignored),
    }
}
