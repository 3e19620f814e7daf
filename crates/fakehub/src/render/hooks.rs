//! Repository webhooks and their configuration (secrets never shown back).

use crate::clock::iso;
use crate::model::{Hook, Repo, World};
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
