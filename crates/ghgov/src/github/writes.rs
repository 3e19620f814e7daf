//! GitHub's REST writes ghgov makes, as values: a [`Write`] says what to change, can be
//! journaled before it is sent (method, path and body), and is sent by [`GitHub::send`],
//! which reads GitHub's answer into a typed [`Written`].

use super::client::{GitHub, GitHubError};
use super::rest::{path_segment, IssueRef};
use crate::github::types::{Comment, Issue, Label, Milestone};
use crate::store::RepoName;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A label's fields as sent; absent fields are left as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LabelFields {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A milestone's fields as sent; absent fields are left as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MilestoneFields {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// RFC 3339; GitHub keeps only the day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_on: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

/// An issue's fields as sent; absent fields are left as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IssueFields {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Label names: the whole set the issue ends up with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<String>>,
    /// Logins: the whole set the issue ends up with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignees: Option<Vec<String>>,
    /// The milestone's number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub milestone: Option<i64>,
    /// Sends `"milestone": null` (takes the issue out of its milestone) when no number is
    /// given.
    #[serde(skip)]
    pub clear_milestone: bool,
    /// The organization issue type's name.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub issue_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_reason: Option<String>,
}

/// A repository webhook as created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewHook {
    pub name: &'static str,
    pub active: bool,
    pub events: Vec<String>,
    pub config: HookConfig,
}

#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct HookConfig {
    pub url: String,
    pub content_type: &'static str,
    pub secret: String,
    pub insecure_ssl: &'static str,
}

/// Never shows the secret (writes are logged and journaled by their Debug form).
impl std::fmt::Debug for HookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HookConfig")
            .field("url", &self.url)
            .field("content_type", &self.content_type)
            .field("secret", &"<redacted>")
            .field("insecure_ssl", &self.insecure_ssl)
            .finish()
    }
}

/// GitHub's answer to a hook's creation (what ghgov reads of it).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Hook {
    pub id: i64,
}

/// One change to make on GitHub.
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    CreateLabel {
        repo: RepoName,
        fields: LabelFields,
    },
    UpdateLabel {
        repo: RepoName,
        name: String,
        fields: LabelFields,
    },
    DeleteLabel {
        repo: RepoName,
        name: String,
    },
    CreateMilestone {
        repo: RepoName,
        fields: MilestoneFields,
    },
    UpdateMilestone {
        repo: RepoName,
        number: i64,
        fields: MilestoneFields,
    },
    DeleteMilestone {
        repo: RepoName,
        number: i64,
    },
    CreateIssue {
        repo: RepoName,
        fields: IssueFields,
    },
    UpdateIssue {
        repo: RepoName,
        number: i64,
        fields: IssueFields,
    },
    /// Makes issue `child_id` a sub-issue of issue `parent` (a number), moving it from
    /// another parent when `replace_parent`.
    AddSubIssue {
        repo: RepoName,
        parent: i64,
        child_id: i64,
        replace_parent: bool,
    },
    /// Records that issue `blocked` (a number) is blocked by issue `blocking_id`.
    AddBlockedBy {
        repo: RepoName,
        blocked: i64,
        blocking_id: i64,
    },
    CreateRepoHook {
        repo: RepoName,
        hook: NewHook,
    },
    /// A comment on issue `number`.
    CreateComment {
        repo: RepoName,
        number: i64,
        body: String,
    },
}

/// What GitHub answered to a [`Write`].
#[derive(Debug, Clone)]
pub enum Written {
    Label(Label),
    Milestone(Milestone),
    Issue(Box<Issue>),
    /// A relation was made; GitHub answers with one of the issues.
    Linked(IssueRef),
    Hook(Hook),
    Comment(Box<Comment>),
    /// Deleted (GitHub answers 204).
    Nothing,
}

impl Written {
    /// The id of the GitHub object the answer is about.
    pub fn id(&self) -> Option<i64> {
        match self {
            Written::Label(l) => Some(l.id),
            Written::Milestone(m) => Some(m.id),
            Written::Issue(i) => Some(i.id),
            Written::Linked(r) => Some(r.id),
            Written::Hook(h) => Some(h.id),
            Written::Comment(c) => Some(c.id),
            Written::Nothing => None,
        }
    }
}

impl Write {
    pub fn method(&self) -> Method {
        match self {
            Write::CreateLabel { .. }
            | Write::CreateMilestone { .. }
            | Write::CreateIssue { .. }
            | Write::AddSubIssue { .. }
            | Write::AddBlockedBy { .. }
            | Write::CreateRepoHook { .. }
            | Write::CreateComment { .. } => Method::POST,
            Write::UpdateLabel { .. }
            | Write::UpdateMilestone { .. }
            | Write::UpdateIssue { .. } => Method::PATCH,
            Write::DeleteLabel { .. } | Write::DeleteMilestone { .. } => Method::DELETE,
        }
    }

    pub fn path(&self) -> String {
        match self {
            Write::CreateLabel { repo, .. } => format!("/repos/{}/labels", repo.full()),
            Write::UpdateLabel { repo, name, .. } | Write::DeleteLabel { repo, name } => {
                format!("/repos/{}/labels/{}", repo.full(), path_segment(name))
            }
            Write::CreateMilestone { repo, .. } => format!("/repos/{}/milestones", repo.full()),
            Write::UpdateMilestone { repo, number, .. }
            | Write::DeleteMilestone { repo, number } => {
                format!("/repos/{}/milestones/{number}", repo.full())
            }
            Write::CreateIssue { repo, .. } => format!("/repos/{}/issues", repo.full()),
            Write::UpdateIssue { repo, number, .. } => {
                format!("/repos/{}/issues/{number}", repo.full())
            }
            Write::AddSubIssue { repo, parent, .. } => {
                format!("/repos/{}/issues/{parent}/sub_issues", repo.full())
            }
            Write::AddBlockedBy { repo, blocked, .. } => {
                format!(
                    "/repos/{}/issues/{blocked}/dependencies/blocked_by",
                    repo.full()
                )
            }
            Write::CreateRepoHook { repo, .. } => format!("/repos/{}/hooks", repo.full()),
            Write::CreateComment { repo, number, .. } => {
                format!("/repos/{}/issues/{number}/comments", repo.full())
            }
        }
    }

    /// The JSON body (none for deletions).
    pub fn body(&self) -> Option<Value> {
        let to_json = |v: Result<Value, serde_json::Error>| v.unwrap_or(Value::Null);
        match self {
            Write::CreateLabel { fields, .. } | Write::UpdateLabel { fields, .. } => {
                Some(to_json(serde_json::to_value(fields)))
            }
            Write::CreateMilestone { fields, .. } | Write::UpdateMilestone { fields, .. } => {
                Some(to_json(serde_json::to_value(fields)))
            }
            Write::CreateIssue { fields, .. } | Write::UpdateIssue { fields, .. } => {
                let mut body = to_json(serde_json::to_value(fields));
                if fields.clear_milestone && fields.milestone.is_none() {
                    body["milestone"] = Value::Null;
                }
                Some(body)
            }
            Write::AddSubIssue {
                child_id,
                replace_parent,
                ..
            } => {
                let mut body = serde_json::json!({ "sub_issue_id": child_id });
                if *replace_parent {
                    body["replace_parent"] = Value::Bool(true);
                }
                Some(body)
            }
            Write::CreateComment { body, .. } => Some(serde_json::json!({ "body": body })),
            Write::AddBlockedBy { blocking_id, .. } => {
                Some(serde_json::json!({ "issue_id": blocking_id }))
            }
            Write::CreateRepoHook { hook, .. } => Some(to_json(serde_json::to_value(hook))),
            Write::DeleteLabel { .. } | Write::DeleteMilestone { .. } => None,
        }
    }

    /// Whether sending it twice could make two of something (an issue): such writes are
    /// not retried blindly after an ambiguous failure.
    pub fn duplicates_on_retry(&self) -> bool {
        matches!(
            self,
            Write::CreateIssue { .. } | Write::CreateComment { .. }
        )
    }

    fn read_answer(&self, gh: &GitHub, answer: Value) -> Result<Written, GitHubError> {
        let decode = |what: &str, e: serde_json::Error| GitHubError::Decode {
            url: gh.url(&self.path()),
            message: format!("not the {what} ghgov expects: {e}"),
        };
        Ok(match self {
            Write::CreateLabel { .. } | Write::UpdateLabel { .. } => {
                Written::Label(serde_json::from_value(answer).map_err(|e| decode("label", e))?)
            }
            Write::CreateMilestone { .. } | Write::UpdateMilestone { .. } => Written::Milestone(
                serde_json::from_value(answer).map_err(|e| decode("milestone", e))?,
            ),
            Write::CreateIssue { .. } | Write::UpdateIssue { .. } => Written::Issue(Box::new(
                serde_json::from_value(answer).map_err(|e| decode("issue", e))?,
            )),
            Write::AddSubIssue { .. } | Write::AddBlockedBy { .. } => {
                Written::Linked(serde_json::from_value(answer).map_err(|e| decode("issue", e))?)
            }
            Write::CreateRepoHook { .. } => {
                Written::Hook(serde_json::from_value(answer).map_err(|e| decode("hook", e))?)
            }
            Write::CreateComment { .. } => Written::Comment(Box::new(
                serde_json::from_value(answer).map_err(|e| decode("comment", e))?,
            )),
            Write::DeleteLabel { .. } | Write::DeleteMilestone { .. } => Written::Nothing,
        })
    }
}

impl GitHub {
    /// Sends `write`. Failures that leave it unknown whether GitHub acted are retried,
    /// except for writes that [`Write::duplicates_on_retry`]: those come back to the
    /// caller, which looks whether the write landed before sending it again.
    pub async fn send(&self, write: &Write) -> Result<Written, GitHubError> {
        let body = write.body();
        let answer = self
            .write_json(
                write.method(),
                &write.path(),
                body.as_ref(),
                !write.duplicates_on_retry(),
            )
            .await?;
        write.read_answer(self, answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo() -> RepoName {
        RepoName::parse("acme/widgets").unwrap()
    }

    #[test]
    fn writes_say_where_they_go_and_what_they_send() {
        let w = Write::UpdateLabel {
            repo: repo(),
            name: "agent:dev".into(),
            fields: LabelFields {
                color: Some("ff0000".into()),
                ..Default::default()
            },
        };
        assert_eq!(w.method(), Method::PATCH);
        assert_eq!(w.path(), "/repos/acme/widgets/labels/agent%3Adev");
        assert_eq!(w.body(), Some(serde_json::json!({"color": "ff0000"})));
        let w = Write::UpdateIssue {
            repo: repo(),
            number: 7,
            fields: IssueFields {
                issue_type: Some("Epic".into()),
                milestone: Some(2),
                ..Default::default()
            },
        };
        assert_eq!(
            w.body(),
            Some(serde_json::json!({"type": "Epic", "milestone": 2}))
        );
        let w = Write::AddSubIssue {
            repo: repo(),
            parent: 3,
            child_id: 99,
            replace_parent: true,
        };
        assert_eq!(w.path(), "/repos/acme/widgets/issues/3/sub_issues");
        assert_eq!(
            w.body(),
            Some(serde_json::json!({"sub_issue_id": 99, "replace_parent": true}))
        );
        let w = Write::DeleteMilestone {
            repo: repo(),
            number: 4,
        };
        assert_eq!((w.method(), w.body()), (Method::DELETE, None));
        assert!(!w.duplicates_on_retry());
        assert!(Write::CreateIssue {
            repo: repo(),
            fields: IssueFields::default()
        }
        .duplicates_on_retry());
    }
}
