//! GitHub Apps and their installations as GitHub shows them (`GET /app`,
//! `GET /app/installations`, the installation webhooks).

use crate::clock::iso;
use crate::model::apps::{App, Installation};
use crate::model::World;
use serde_json::{json, Value};

impl World {
    pub fn app_json(&self, app: &App) -> Value {
        let owner = app
            .installations
            .first()
            .map(|i| i.account.clone())
            .unwrap_or_else(|| crate::hub::DEFAULT_LOGIN.to_string());
        json!({
            "id": app.id,
            "slug": app.slug,
            "client_id": app.client_id,
            "node_id": super::node_id("A", app.id),
            "name": app.slug,
            "description": null,
            "external_url": format!("{}/apps/{}", self.base, app.slug),
            "html_url": format!("{}/apps/{}", self.base, app.slug),
            "owner": self.user_json(&owner),
            "created_at": iso(app.created_at),
            "updated_at": iso(app.created_at),
            "permissions": app.installations.first().map(|i| json!(i.permissions)).unwrap_or(json!({})),
            "events": [],
            "installations_count": app.installations.len(),
        })
    }

    /// An installation as `GET /app/installations` and the `installation` webhook show it.
    pub fn installation_json(&self, app: &App, i: &Installation) -> Value {
        let (target_id, target_type) = self
            .find_user(&i.account)
            .map_or((0, "User"), |u| (u.id, u.kind.as_str()));
        json!({
            "id": i.id,
            "app_id": app.id,
            "app_slug": app.slug,
            "client_id": app.client_id,
            "account": self.user_json(&i.account),
            "target_id": target_id,
            "target_type": target_type,
            "repository_selection": i.repositories.as_str(),
            "access_tokens_url": format!("{}/app/installations/{}/access_tokens", self.base, i.id),
            "repositories_url": format!("{}/installation/repositories", self.base),
            "html_url": format!("{}/settings/installations/{}", self.base, i.id),
            "permissions": i.permissions,
            "events": [],
            "created_at": iso(i.created_at),
            "updated_at": iso(i.created_at),
            "single_file_name": null,
            "has_multiple_single_files": false,
            "single_file_paths": [],
            "suspended_at": null,
            "suspended_by": null,
        })
    }

    /// Repositories as the installation webhooks list them (id, node id, names, private).
    pub fn installation_repo_list(&self, repos: &[usize]) -> Value {
        repos
            .iter()
            .map(|&r| {
                let repo = &self.repos[r];
                json!({
                    "id": repo.id,
                    "node_id": super::node_id("R", repo.id),
                    "name": repo.name,
                    "full_name": repo.full_name(),
                    "private": repo.private,
                })
            })
            .collect()
    }
}
