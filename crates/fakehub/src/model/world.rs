//! The whole simulated GitHub: users, repositories and the indexes that find things by id.

use super::types::*;
use crate::error::{ApiError, ApiResult};
use serde_json::Value;
use std::collections::HashMap;

/// Who a webhook belongs to, and where an event happened: a repository (an index) or an
/// organization (its login, lower-cased). A repository's events also reach the hooks of
/// the organization that owns it, as on GitHub.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HookOwner {
    Repo(usize),
    Org(String),
    /// A GitHub App's own webhook (by app id).
    App(Id),
}

/// A webhook event produced by a mutation, waiting to be handed to the dispatcher.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub target: HookOwner,
    pub event: &'static str,
    pub action: Option<String>,
    pub payload: Value,
    /// Only this hook gets it (a ping); otherwise every hook that subscribes.
    pub only_hook: Option<Id>,
}

#[derive(Debug)]
pub struct World {
    /// Public base URL every `url` field points at (no trailing slash).
    pub base: String,
    next_id: Id,
    pub users: HashMap<String, User>,
    pub repos: Vec<Repo>,
    pub repo_index: HashMap<String, usize>,
    /// Organization issue types, keyed by lower-cased owner login.
    pub issue_types: HashMap<String, Vec<IssueType>>,
    /// Issue id → (repository index, number).
    pub issue_loc: HashMap<Id, (usize, u64)>,
    /// Comment id → repository index.
    pub comment_loc: HashMap<Id, usize>,
    pub outbox: Vec<Outgoing>,
    /// Projects v2 of every owner (see `projects.rs`).
    pub projects: Vec<super::projects::Project>,
    /// GitHub Apps (see `apps.rs`).
    pub apps: Vec<super::apps::App>,
    /// What happened to issues, oldest first (see `record_issue_events`).
    pub issue_events: Vec<super::IssueEvent>,
    /// Each user's JSON, rendered when the user is created (users never change), keyed by
    /// lower-cased login. See `render::World::write_user`.
    pub(crate) rendered_users: HashMap<String, Box<[u8]>>,
    /// Declared users, tokens, organizations and collaborators (see `model::access`).
    pub access: super::access::Directory,
    /// Organization webhooks, keyed by lower-cased organization login.
    pub org_hooks: HashMap<String, Vec<Hook>>,
    /// Installation access tokens handed out, by token (see `apps.rs`).
    pub installation_tokens: HashMap<String, super::apps::InstallationToken>,
}

impl World {
    pub fn new(base: &str) -> Self {
        World {
            base: base.trim_end_matches('/').to_string(),
            next_id: 1_000,
            users: HashMap::new(),
            repos: Vec::new(),
            repo_index: HashMap::new(),
            issue_types: HashMap::new(),
            issue_loc: HashMap::new(),
            comment_loc: HashMap::new(),
            outbox: Vec::new(),
            projects: Vec::new(),
            apps: Vec::new(),
            issue_events: Vec::new(),
            rendered_users: HashMap::new(),
            access: Default::default(),
            org_hooks: HashMap::new(),
            installation_tokens: HashMap::new(),
        }
    }

    pub fn next_id(&mut self) -> Id {
        self.next_id += 1;
        self.next_id
    }

    /// The user with this login, created on first sight (fakehub has no sign-up).
    pub fn user(&mut self, login: &str) -> &User {
        self.user_of_kind(login, UserKind::User)
    }

    pub fn user_of_kind(&mut self, login: &str, kind: UserKind) -> &User {
        let key = login.to_ascii_lowercase();
        if !self.users.contains_key(&key) {
            let id = self.next_id();
            let kind = if login.ends_with("[bot]") {
                UserKind::Bot
            } else {
                kind
            };
            let json = self.render_user(id, login, kind);
            self.rendered_users
                .insert(key.clone(), json.into_boxed_slice());
            self.users.insert(
                key.clone(),
                User {
                    id,
                    login: login.to_string(),
                    kind,
                },
            );
        }
        &self.users[&key]
    }

    pub fn find_user(&self, login: &str) -> Option<&User> {
        self.users.get(&login.to_ascii_lowercase())
    }

    /// The repository with this database id (`/repositories/{id}/…`).
    pub fn repo_by_id(&self, id: Id) -> Option<usize> {
        self.repos.iter().position(|r| r.id == id)
    }

    /// GitHub's canonical form of a repository path: `/repos/{owner}/{repo}/rest` becomes
    /// `/repositories/{id}/rest`, as in GitHub's `Link` headers. Other paths stay.
    pub fn canonical_path(&self, path: &str) -> String {
        let mut parts = path.splitn(5, '/');
        let (Some(""), Some("repos"), Some(owner), Some(name)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return path.to_string();
        };
        match self.repo_idx(owner, name) {
            Ok(r) => match parts.next() {
                Some(rest) => format!("/repositories/{}/{rest}", self.repos[r].id),
                None => format!("/repositories/{}", self.repos[r].id),
            },
            Err(_) => path.to_string(),
        }
    }

    pub fn repo_idx(&self, owner: &str, name: &str) -> ApiResult<usize> {
        self.repo_index
            .get(&format!("{owner}/{name}").to_ascii_lowercase())
            .copied()
            .ok_or_else(ApiError::not_found)
    }

    /// Creates a repository (admin/seed only: GitHub's own create endpoint is out of scope).
    pub fn create_repo(
        &mut self,
        owner: &str,
        name: &str,
        owner_kind: UserKind,
        at: Time,
    ) -> usize {
        let key = format!("{owner}/{name}").to_ascii_lowercase();
        if let Some(&idx) = self.repo_index.get(&key) {
            return idx;
        }
        let owner_login = self.user_of_kind(owner, owner_kind).login.clone();
        if owner_kind == UserKind::Organization {
            self.ensure_default_issue_types(&owner_login, at);
        }
        let id = self.next_id();
        self.repos.push(Repo {
            id,
            owner: owner_login,
            name: name.to_string(),
            description: Some(format!("{name}: a repository simulated by fakehub")),
            private: false,
            created_at: at,
            updated_at: at,
            pushed_at: at,
            issues: Vec::new(),
            labels: Vec::new(),
            milestones: Vec::new(),
            comments: Vec::new(),
            hooks: Vec::new(),
            open_issues_count: 0,
        });
        let idx = self.repos.len() - 1;
        self.repo_index.insert(key, idx);
        idx
    }

    /// GitHub gives every organization the types Task, Bug and Feature.
    fn ensure_default_issue_types(&mut self, org: &str, at: Time) {
        let key = org.to_ascii_lowercase();
        if self.issue_types.contains_key(&key) {
            return;
        }
        let mut types = Vec::new();
        for (name, description, color) in [
            ("Task", "A specific piece of work", "yellow"),
            ("Bug", "An unexpected problem or behavior", "red"),
            ("Feature", "A request, idea, or new functionality", "blue"),
        ] {
            types.push(IssueType {
                id: self.next_id(),
                name: name.into(),
                description: Some(description.into()),
                color: Some(color.into()),
                is_enabled: true,
                created_at: at,
                updated_at: at,
            });
        }
        self.issue_types.insert(key, types);
    }

    pub fn issue_type_by_name(&self, owner: &str, name: &str) -> Option<&IssueType> {
        self.issue_types
            .get(&owner.to_ascii_lowercase())?
            .iter()
            .find(|t| t.is_enabled && t.name.eq_ignore_ascii_case(name))
    }

    pub fn issue_type(&self, owner: &str, id: Id) -> Option<&IssueType> {
        self.issue_types
            .get(&owner.to_ascii_lowercase())?
            .iter()
            .find(|t| t.id == id)
    }

    /// The live issue at `number`: 404 if there never was one, 410 if it was deleted or moved.
    pub fn live_issue(&self, repo: usize, number: u64) -> ApiResult<&Issue> {
        let issue = self.repos[repo]
            .issue(number)
            .ok_or_else(ApiError::not_found)?;
        match &issue.gone {
            None => Ok(issue),
            Some(Gone::Deleted) => Err(ApiError::gone("This issue was deleted")),
            // GitHub follows a transferred issue to where it lives now.
            Some(Gone::Transferred { to_repo, to_number }) => {
                match self.repo_index.get(&to_repo.to_ascii_lowercase()) {
                    Some(&to) => Err(ApiError::moved(format!(
                        "{}/repositories/{}/issues/{to_number}",
                        self.base, self.repos[to].id
                    ))),
                    None => Err(ApiError::gone("This issue was transferred")),
                }
            }
        }
    }

    /// Like `live_issue` but for pull requests too, when the endpoint is an issue endpoint.
    pub fn issue_by_id(&self, id: Id) -> Option<(usize, &Issue)> {
        let &(repo, number) = self.issue_loc.get(&id)?;
        let issue = self.repos[repo].issue(number)?;
        issue.gone.is_none().then_some((repo, issue))
    }

    pub fn issue_mut(&mut self, repo: usize, number: u64) -> &mut Issue {
        &mut self.repos[repo].issues[(number - 1) as usize]
    }

    /// Applies `change` to an issue while keeping the counters that depend on it
    /// (milestone open/closed counts, the repository's open count) true.
    pub fn edit_issue<R>(
        &mut self,
        repo: usize,
        number: u64,
        change: impl FnOnce(&mut Issue) -> R,
    ) -> R {
        self.account(repo, number, false);
        let result = change(self.issue_mut(repo, number));
        self.account(repo, number, true);
        result
    }

    fn account(&mut self, repo: usize, number: u64, add: bool) {
        let r = &mut self.repos[repo];
        let issue = &r.issues[(number - 1) as usize];
        if issue.gone.is_some() {
            return;
        }
        let (open, milestone) = (issue.is_open(), issue.milestone);
        let delta = |n: &mut u64| {
            if add {
                *n += 1
            } else {
                *n = n.saturating_sub(1)
            }
        };
        if open {
            delta(&mut r.open_issues_count);
        }
        if let Some(m) = milestone.and_then(|m| r.milestones.get_mut((m - 1) as usize)) {
            if open {
                delta(&mut m.open_issues)
            } else {
                delta(&mut m.closed_issues)
            }
        }
    }

    /// Adds a brand-new issue record and counts it.
    pub fn insert_issue(&mut self, repo: usize, issue: Issue) -> u64 {
        let number = issue.number;
        self.issue_loc.insert(issue.id, (repo, number));
        self.repos[repo].issues.push(issue);
        self.account(repo, number, true);
        number
    }

    pub fn emit(&mut self, repo: usize, event: &'static str, action: Option<&str>, payload: Value) {
        self.outbox.push(Outgoing {
            target: HookOwner::Repo(repo),
            event,
            action: action.map(str::to_string),
            payload,
            only_hook: None,
        });
    }

    /// Queues an organization-scoped event (`projects_v2`, …) for the organization's hooks.
    pub fn emit_org(&mut self, org: &str, event: &'static str, action: &str, payload: Value) {
        self.outbox.push(Outgoing {
            target: HookOwner::Org(org.to_ascii_lowercase()),
            event,
            action: Some(action.to_string()),
            payload,
            only_hook: None,
        });
    }

    /// The hooks of `owner`.
    pub fn hooks_of(&self, owner: &HookOwner) -> &[Hook] {
        match owner {
            HookOwner::Repo(r) => &self.repos[*r].hooks,
            HookOwner::Org(o) => self.org_hooks.get(o).map(Vec::as_slice).unwrap_or(&[]),
            HookOwner::App(a) => self.app(*a).map(|a| a.hooks.as_slice()).unwrap_or(&[]),
        }
    }

    pub fn hooks_of_mut(&mut self, owner: &HookOwner) -> &mut Vec<Hook> {
        match owner {
            HookOwner::Repo(r) => &mut self.repos[*r].hooks,
            HookOwner::Org(o) => self.org_hooks.entry(o.clone()).or_default(),
            HookOwner::App(a) => {
                let i = self
                    .apps
                    .iter()
                    .position(|app| app.id == *a)
                    .expect("hooks of a known app");
                &mut self.apps[i].hooks
            }
        }
    }

    /// Every hook an event at `target` reaches: its own, and for a repository owned by an
    /// organization, the organization's.
    pub fn hooks_reached(&self, target: &HookOwner) -> Vec<(HookOwner, &Hook)> {
        let mut all: Vec<(HookOwner, &Hook)> = self
            .hooks_of(target)
            .iter()
            .map(|h| (target.clone(), h))
            .collect();
        if let HookOwner::Repo(r) = target {
            let org = HookOwner::Org(self.repos[*r].owner.to_ascii_lowercase());
            all.extend(self.hooks_of(&org).iter().map(|h| (org.clone(), h)));
        }
        all
    }
}
