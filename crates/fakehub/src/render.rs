//! JSON views of the model, with GitHub's field names and every URL absolute under the
//! simulator's public base URL.

use crate::clock::iso;
use crate::model::*;
use base64::Engine;
use serde_json::{json, Value};

fn node_id(prefix: &str, id: Id) -> String {
    let raw = format!("0:{id}");
    format!(
        "{prefix}_{}",
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(raw)
    )
}

fn opt_time(t: Option<Time>) -> Value {
    t.map(|t| Value::String(iso(t))).unwrap_or(Value::Null)
}

impl World {
    /// The web (html) side of the simulator lives under the same base URL.
    fn html(&self) -> &str {
        &self.base
    }

    pub fn user_json(&self, login: &str) -> Value {
        let (id, login, kind) = match self.find_user(login) {
            Some(u) => (u.id, u.login.as_str(), u.kind),
            None => (0, login, UserKind::User),
        };
        let b = &self.base;
        json!({
            "login": login,
            "id": id,
            "node_id": node_id(if kind == UserKind::Organization { "O" } else { "U" }, id),
            "avatar_url": format!("{b}/_avatars/{id}"),
            "gravatar_id": "",
            "url": format!("{b}/users/{login}"),
            "html_url": format!("{}/{login}", self.html()),
            "followers_url": format!("{b}/users/{login}/followers"),
            "following_url": format!("{b}/users/{login}/following{{/other_user}}"),
            "gists_url": format!("{b}/users/{login}/gists{{/gist_id}}"),
            "starred_url": format!("{b}/users/{login}/starred{{/owner}}{{/repo}}"),
            "subscriptions_url": format!("{b}/users/{login}/subscriptions"),
            "organizations_url": format!("{b}/users/{login}/orgs"),
            "repos_url": format!("{b}/users/{login}/repos"),
            "events_url": format!("{b}/users/{login}/events{{/privacy}}"),
            "received_events_url": format!("{b}/users/{login}/received_events"),
            "type": kind.as_str(),
            "user_view_type": "public",
            "site_admin": false,
        })
    }

    pub fn org_json(&self, login: &str) -> Value {
        let id = self.find_user(login).map(|u| u.id).unwrap_or(0);
        let b = &self.base;
        json!({
            "login": login,
            "id": id,
            "node_id": node_id("O", id),
            "url": format!("{b}/orgs/{login}"),
            "repos_url": format!("{b}/orgs/{login}/repos"),
            "events_url": format!("{b}/orgs/{login}/events"),
            "hooks_url": format!("{b}/orgs/{login}/hooks"),
            "issues_url": format!("{b}/orgs/{login}/issues"),
            "members_url": format!("{b}/orgs/{login}/members{{/member}}"),
            "public_members_url": format!("{b}/orgs/{login}/public_members{{/member}}"),
            "avatar_url": format!("{b}/_avatars/{id}"),
            "description": null,
        })
    }

    pub fn owner_is_org(&self, repo: &Repo) -> bool {
        self.find_user(&repo.owner)
            .is_some_and(|u| u.kind == UserKind::Organization)
    }

    pub fn repo_json(&self, repo: &Repo) -> Value {
        let b = &self.base;
        let full = repo.full_name();
        let api = format!("{b}/repos/{full}");
        let html = format!("{}/{full}", self.html());
        let open = repo.open_issues_count;
        json!({
            "id": repo.id,
            "node_id": node_id("R", repo.id),
            "name": repo.name,
            "full_name": full,
            "private": repo.private,
            "visibility": if repo.private { "private" } else { "public" },
            "owner": self.user_json(&repo.owner),
            "html_url": html,
            "description": repo.description,
            "fork": false,
            "url": api,
            "archive_url": format!("{api}/{{archive_format}}{{/ref}}"),
            "assignees_url": format!("{api}/assignees{{/user}}"),
            "blobs_url": format!("{api}/git/blobs{{/sha}}"),
            "branches_url": format!("{api}/branches{{/branch}}"),
            "collaborators_url": format!("{api}/collaborators{{/collaborator}}"),
            "comments_url": format!("{api}/comments{{/number}}"),
            "commits_url": format!("{api}/commits{{/sha}}"),
            "compare_url": format!("{api}/compare/{{base}}...{{head}}"),
            "contents_url": format!("{api}/contents/{{+path}}"),
            "contributors_url": format!("{api}/contributors"),
            "deployments_url": format!("{api}/deployments"),
            "downloads_url": format!("{api}/downloads"),
            "events_url": format!("{api}/events"),
            "forks_url": format!("{api}/forks"),
            "git_commits_url": format!("{api}/git/commits{{/sha}}"),
            "git_refs_url": format!("{api}/git/refs{{/sha}}"),
            "git_tags_url": format!("{api}/git/tags{{/sha}}"),
            "git_url": format!("{html}.git"),
            "hooks_url": format!("{api}/hooks"),
            "issue_comment_url": format!("{api}/issues/comments{{/number}}"),
            "issue_events_url": format!("{api}/issues/events{{/number}}"),
            "issues_url": format!("{api}/issues{{/number}}"),
            "keys_url": format!("{api}/keys{{/key_id}}"),
            "labels_url": format!("{api}/labels{{/name}}"),
            "languages_url": format!("{api}/languages"),
            "merges_url": format!("{api}/merges"),
            "milestones_url": format!("{api}/milestones{{/number}}"),
            "notifications_url": format!("{api}/notifications{{?since,all,participating}}"),
            "pulls_url": format!("{api}/pulls{{/number}}"),
            "releases_url": format!("{api}/releases{{/id}}"),
            "ssh_url": format!("git@fakehub.invalid:{full}.git"),
            "stargazers_url": format!("{api}/stargazers"),
            "statuses_url": format!("{api}/statuses/{{sha}}"),
            "subscribers_url": format!("{api}/subscribers"),
            "subscription_url": format!("{api}/subscription"),
            "tags_url": format!("{api}/tags"),
            "teams_url": format!("{api}/teams"),
            "trees_url": format!("{api}/git/trees{{/sha}}"),
            "clone_url": format!("{html}.git"),
            "mirror_url": null,
            "svn_url": html,
            "homepage": null,
            "language": "Rust",
            "forks_count": 0,
            "forks": 0,
            "stargazers_count": 0,
            "watchers_count": 0,
            "watchers": 0,
            "size": 0,
            "default_branch": "main",
            "open_issues_count": open,
            "open_issues": open,
            "is_template": false,
            "topics": [],
            "has_issues": true,
            "has_projects": true,
            "has_wiki": false,
            "has_pages": false,
            "has_downloads": true,
            "has_discussions": false,
            "archived": false,
            "disabled": false,
            "pushed_at": iso(repo.pushed_at),
            "created_at": iso(repo.created_at),
            "updated_at": iso(repo.updated_at),
            "allow_forking": true,
            "web_commit_signoff_required": false,
            "license": {
                "key": "mit",
                "name": "MIT License",
                "spdx_id": "MIT",
                "url": format!("{b}/licenses/mit"),
                "node_id": "MDc6TGljZW5zZTEz",
            },
            "network_count": 0,
            "subscribers_count": 0,
        })
    }

    pub fn label_json(&self, repo: &Repo, label: &Label) -> Value {
        json!({
            "id": label.id,
            "node_id": node_id("LA", label.id),
            "url": format!("{}/repos/{}/labels/{}", self.base, repo.full_name(), encode_path(&label.name)),
            "name": label.name,
            "color": label.color,
            "default": label.default,
            "description": label.description,
        })
    }

    pub fn milestone_json(&self, repo: &Repo, m: &Milestone) -> Value {
        let api = format!("{}/repos/{}", self.base, repo.full_name());
        json!({
            "url": format!("{api}/milestones/{}", m.number),
            "html_url": format!("{}/{}/milestone/{}", self.html(), repo.full_name(), m.number),
            "labels_url": format!("{api}/milestones/{}/labels", m.number),
            "id": m.id,
            "node_id": node_id("MI", m.id),
            "number": m.number,
            "state": m.state.as_str(),
            "title": m.title,
            "description": m.description,
            "creator": self.user_json(&m.creator),
            "open_issues": m.open_issues,
            "closed_issues": m.closed_issues,
            "created_at": iso(m.created_at),
            "updated_at": iso(m.updated_at),
            "closed_at": opt_time(m.closed_at),
            "due_on": opt_time(m.due_on),
        })
    }

    pub fn issue_type_json(&self, t: &IssueType) -> Value {
        json!({
            "id": t.id,
            "node_id": node_id("IT", t.id),
            "name": t.name,
            "description": t.description,
            "color": t.color,
            "is_enabled": t.is_enabled,
            "created_at": iso(t.created_at),
            "updated_at": iso(t.updated_at),
        })
    }

    pub fn sub_issues_summary(&self, issue: &Issue) -> Value {
        let total = issue.sub_issues.len() as u64;
        let completed = issue
            .sub_issues
            .iter()
            .filter(|id| self.issue_by_id(**id).is_some_and(|(_, i)| !i.is_open()))
            .count() as u64;
        let percent = if total == 0 { 0 } else { completed * 100 / total };
        json!({"total": total, "completed": completed, "percent_completed": percent})
    }

    pub fn dependencies_summary(&self, issue: &Issue) -> Value {
        let open = |ids: &Vec<Id>| {
            ids.iter()
                .filter(|id| self.issue_by_id(**id).is_some_and(|(_, i)| i.is_open()))
                .count()
        };
        json!({
            "blocked_by": open(&issue.blocked_by),
            "blocking": open(&issue.blocking),
            "total_blocked_by": issue.blocked_by.len(),
            "total_blocking": issue.blocking.len(),
        })
    }

    pub fn issue_json(&self, repo_idx: usize, issue: &Issue) -> Value {
        let repo = &self.repos[repo_idx];
        let full = repo.full_name();
        let repo_api = format!("{}/repos/{full}", self.base);
        let api = format!("{repo_api}/issues/{}", issue.number);
        let kind = if issue.pull_request { "pull" } else { "issues" };
        let html = format!("{}/{full}/{kind}/{}", self.html(), issue.number);
        let labels: Vec<Value> = issue
            .labels
            .iter()
            .filter_map(|id| repo.label(*id))
            .map(|l| self.label_json(repo, l))
            .collect();
        let assignees: Vec<Value> = issue.assignees.iter().map(|a| self.user_json(a)).collect();
        let milestone = issue
            .milestone
            .and_then(|n| repo.milestone(n))
            .map(|m| self.milestone_json(repo, m))
            .unwrap_or(Value::Null);
        let issue_type = issue
            .type_id
            .and_then(|id| self.issue_type(&repo.owner, id))
            .map(|t| self.issue_type_json(t))
            .unwrap_or(Value::Null);
        let parent_url = issue
            .parent
            .and_then(|p| self.issue_by_id(p))
            .map(|(r, p)| {
                Value::String(format!(
                    "{}/repos/{}/issues/{}",
                    self.base,
                    self.repos[r].full_name(),
                    p.number
                ))
            })
            .unwrap_or(Value::Null);
        let mut v = json!({
            "url": api,
            "repository_url": repo_api,
            "labels_url": format!("{api}/labels{{/name}}"),
            "comments_url": format!("{api}/comments"),
            "events_url": format!("{api}/events"),
            "html_url": html,
            "timeline_url": format!("{api}/timeline"),
            "id": issue.id,
            "node_id": node_id("I", issue.id),
            "number": issue.number,
            "title": issue.title,
            "user": self.user_json(&issue.user),
            "labels": labels,
            "state": issue.state.as_str(),
            "state_reason": issue.state_reason,
            "locked": issue.locked,
            "active_lock_reason": null,
            "assignee": assignees.first().cloned().unwrap_or(Value::Null),
            "assignees": assignees,
            "milestone": milestone,
            "comments": issue.comments,
            "created_at": iso(issue.created_at),
            "updated_at": iso(issue.updated_at),
            "closed_at": opt_time(issue.closed_at),
            "closed_by": issue.closed_by.as_deref().map(|u| self.user_json(u)).unwrap_or(Value::Null),
            "author_association": if issue.user.eq_ignore_ascii_case(&repo.owner) { "OWNER" } else { "MEMBER" },
            "body": issue.body,
            "reactions": {
                "url": format!("{api}/reactions"),
                "total_count": 0, "+1": 0, "-1": 0, "laugh": 0, "hooray": 0,
                "confused": 0, "heart": 0, "rocket": 0, "eyes": 0,
            },
            "performed_via_github_app": null,
            "type": issue_type,
            "sub_issues_summary": self.sub_issues_summary(issue),
            "issue_dependencies_summary": self.dependencies_summary(issue),
            "parent_issue_url": parent_url,
        });
        if issue.state_reason.is_none() {
            // GitHub's schema lists state_reason as an enum without null; leaving it out
            // reads the same to every client and keeps the body valid.
            v.as_object_mut().expect("object").remove("state_reason");
        }
        if issue.pull_request {
            v["draft"] = Value::Bool(false);
            v["pull_request"] = json!({
                "url": format!("{repo_api}/pulls/{}", issue.number),
                "html_url": html,
                "diff_url": format!("{html}.diff"),
                "patch_url": format!("{html}.patch"),
                "merged_at": null,
            });
        }
        v
    }

    pub fn comment_json(&self, repo: &Repo, c: &Comment) -> Value {
        let api = format!("{}/repos/{}", self.base, repo.full_name());
        json!({
            "url": format!("{api}/issues/comments/{}", c.id),
            "html_url": format!("{}/{}/issues/{}#issuecomment-{}", self.html(), repo.full_name(), c.issue_number, c.id),
            "issue_url": format!("{api}/issues/{}", c.issue_number),
            "id": c.id,
            "node_id": node_id("IC", c.id),
            "user": self.user_json(&c.user),
            "created_at": iso(c.created_at),
            "updated_at": iso(c.updated_at),
            "author_association": if c.user.eq_ignore_ascii_case(&repo.owner) { "OWNER" } else { "MEMBER" },
            "body": c.body,
            "reactions": {
                "url": format!("{api}/issues/comments/{}/reactions", c.id),
                "total_count": 0, "+1": 0, "-1": 0, "laugh": 0, "hooray": 0,
                "confused": 0, "heart": 0, "rocket": 0, "eyes": 0,
            },
            "performed_via_github_app": null,
        })
    }

    pub fn hook_config_json(&self, hook: &Hook) -> Value {
        let mut config = json!({
            "url": hook.url,
            "content_type": hook.content_type,
            "insecure_ssl": hook.insecure_ssl,
        });
        if hook.secret.is_some() {
            // GitHub never shows a secret back.
            config["secret"] = Value::String("********".into());
        }
        config
    }

    pub fn hook_json(&self, repo: &Repo, hook: &Hook) -> Value {
        let api = format!("{}/repos/{}/hooks/{}", self.base, repo.full_name(), hook.id);
        json!({
            "type": "Repository",
            "id": hook.id,
            "name": "web",
            "active": hook.active,
            "events": hook.events,
            "config": self.hook_config_json(hook),
            "updated_at": iso(hook.updated_at),
            "created_at": iso(hook.created_at),
            "url": api,
            "test_url": format!("{api}/test"),
            "ping_url": format!("{api}/pings"),
            "deliveries_url": format!("{api}/deliveries"),
            "last_response": {
                "code": hook.last_response.code,
                "status": hook.last_response.status,
                "message": hook.last_response.message,
            },
        })
    }
}

/// Percent-encodes a path segment (label names may hold spaces, slashes, colons…).
pub fn encode_path(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
