//! The records the simulator keeps. Everything a response shows is derived from these.

use chrono::{DateTime, Utc};

/// A database id, unique across every kind of object, as on GitHub.
pub type Id = u64;
pub type Time = DateTime<Utc>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserKind {
    User,
    Organization,
    Bot,
}

impl UserKind {
    pub fn as_str(self) -> &'static str {
        match self {
            UserKind::User => "User",
            UserKind::Organization => "Organization",
            UserKind::Bot => "Bot",
        }
    }
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: Id,
    pub login: String,
    pub kind: UserKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueState {
    Open,
    Closed,
}

impl IssueState {
    pub fn as_str(self) -> &'static str {
        match self {
            IssueState::Open => "open",
            IssueState::Closed => "closed",
        }
    }
}

/// Why an issue no longer answers at its number.
#[derive(Debug, Clone, PartialEq)]
pub enum Gone {
    Deleted,
    Transferred { to_repo: String, to_number: u64 },
}

#[derive(Debug, Clone)]
pub struct Issue {
    pub id: Id,
    pub number: u64,
    pub title: String,
    pub body: Option<String>,
    pub user: String,
    pub state: IssueState,
    pub state_reason: Option<String>,
    /// Label ids, in the order they were applied.
    pub labels: Vec<Id>,
    pub assignees: Vec<String>,
    /// Milestone number.
    pub milestone: Option<u64>,
    pub type_id: Option<Id>,
    pub comments: u64,
    pub created_at: Time,
    pub updated_at: Time,
    pub closed_at: Option<Time>,
    pub closed_by: Option<String>,
    pub locked: bool,
    /// Why it was locked (`off-topic`, `too heated`, `resolved`, `spam`), while locked.
    pub active_lock_reason: Option<String>,
    pub pull_request: bool,
    /// Parent issue id.
    pub parent: Option<Id>,
    /// Sub-issue ids in priority order.
    pub sub_issues: Vec<Id>,
    pub blocked_by: Vec<Id>,
    pub blocking: Vec<Id>,
    pub gone: Option<Gone>,
}

impl Issue {
    pub fn is_open(&self) -> bool {
        self.state == IssueState::Open
    }
}

#[derive(Debug, Clone)]
pub struct Label {
    pub id: Id,
    pub name: String,
    pub color: String,
    pub description: Option<String>,
    pub default: bool,
}

#[derive(Debug, Clone)]
pub struct Milestone {
    pub id: Id,
    pub number: u64,
    pub title: String,
    pub description: Option<String>,
    pub state: IssueState,
    pub due_on: Option<Time>,
    pub creator: String,
    pub created_at: Time,
    pub updated_at: Time,
    pub closed_at: Option<Time>,
    /// Kept in step with the issues by `World::account`.
    pub open_issues: u64,
    pub closed_issues: u64,
    pub deleted: bool,
}

#[derive(Debug, Clone)]
pub struct Comment {
    pub id: Id,
    pub issue_number: u64,
    pub user: String,
    pub body: String,
    pub created_at: Time,
    pub updated_at: Time,
}

#[derive(Debug, Clone)]
pub struct HookResponse {
    pub code: Option<u16>,
    pub status: String,
    pub message: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Hook {
    pub id: Id,
    pub active: bool,
    pub events: Vec<String>,
    pub url: String,
    pub content_type: String,
    pub secret: Option<String>,
    pub insecure_ssl: String,
    pub created_at: Time,
    pub updated_at: Time,
    pub last_response: HookResponse,
}

impl Hook {
    pub fn wants(&self, event: &str) -> bool {
        self.active && (event == "ping" || self.events.iter().any(|e| e == "*" || e == event))
    }
}

#[derive(Debug, Clone)]
pub struct IssueType {
    pub id: Id,
    pub name: String,
    pub description: Option<String>,
    pub color: Option<String>,
    pub is_enabled: bool,
    pub created_at: Time,
    pub updated_at: Time,
}

#[derive(Debug, Clone)]
pub struct Repo {
    pub id: Id,
    pub owner: String,
    pub name: String,
    pub description: Option<String>,
    pub private: bool,
    pub created_at: Time,
    pub updated_at: Time,
    pub pushed_at: Time,
    /// Index = number - 1. Issues and pull requests share the sequence.
    pub issues: Vec<Issue>,
    pub labels: Vec<Label>,
    /// Index = number - 1; deleted ones stay as tombstones so numbers are never reused.
    pub milestones: Vec<Milestone>,
    /// Ordered by id.
    pub comments: Vec<Comment>,
    pub hooks: Vec<Hook>,
    /// Open issues plus open pull requests, as GitHub counts them.
    pub open_issues_count: u64,
}

impl Repo {
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }

    pub fn issue(&self, number: u64) -> Option<&Issue> {
        number
            .checked_sub(1)
            .and_then(|i| self.issues.get(i as usize))
    }

    pub fn label_by_name(&self, name: &str) -> Option<&Label> {
        self.labels
            .iter()
            .find(|l| l.name.eq_ignore_ascii_case(name))
    }

    pub fn label(&self, id: Id) -> Option<&Label> {
        self.labels.iter().find(|l| l.id == id)
    }

    pub fn milestone(&self, number: u64) -> Option<&Milestone> {
        number
            .checked_sub(1)
            .and_then(|i| self.milestones.get(i as usize))
            .filter(|m| !m.deleted)
    }
}
