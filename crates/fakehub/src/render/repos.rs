//! Repositories: the repository object, with its owner and every URL GitHub lists.

use super::writer::node_id;
use crate::clock::iso;
use crate::model::{Repo, UserKind, World};
use serde_json::{json, Value};

impl World {
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
}
