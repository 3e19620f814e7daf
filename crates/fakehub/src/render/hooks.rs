//! Repository and organization webhooks and their configuration (secrets never shown back).

use crate::clock::iso;
use crate::model::{Hook, HookOwner, World};
use serde_json::{json, Value};

impl World {
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

    /// Where `owner`'s hooks live: `{base}/repos/{owner}/{repo}` or `{base}/orgs/{org}`.
    pub fn hooks_api(&self, owner: &HookOwner) -> String {
        match owner {
            HookOwner::Repo(r) => format!("{}/repos/{}", self.base, self.repos[*r].full_name()),
            HookOwner::Org(o) => {
                let login = self.find_user(o).map_or(o.as_str(), |u| u.login.as_str());
                format!("{}/orgs/{login}", self.base)
            }
            HookOwner::App(_) => format!("{}/app", self.base),
        }
    }

    pub fn hook_json(&self, owner: &HookOwner, hook: &Hook) -> Value {
        let api = format!("{}/hooks/{}", self.hooks_api(owner), hook.id);
        let mut v = json!({
            "type": match owner {
                HookOwner::Repo(_) => "Repository",
                HookOwner::Org(_) => "Organization",
                HookOwner::App(_) => "App",
            },
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
        });
        if let HookOwner::Org(_) = owner {
            // Organization hooks have no test URL.
            if let Some(m) = v.as_object_mut() {
                m.remove("test_url");
            }
        }
        v
    }
}
