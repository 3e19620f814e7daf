//! The repository webhook that feeds a server: `ghgov hooks install` and the demo make it.

use crate::github::{GitHub, HookConfig, NewHook, Write};
use crate::mirror::RepoName;
use crate::secret::Secret;

/// The webhook events ghgov subscribes to: the ones it handles (GitHub sends `ping`
/// unasked).
pub fn subscribed_events() -> Vec<&'static str> {
    crate::mirror::events::HANDLED
        .iter()
        .copied()
        .filter(|e| *e != "ping")
        .collect()
}

/// Creates the repository webhook (the events ghgov handles, JSON, signed with `secret`).
pub async fn install_hook(
    gh: &GitHub,
    repo: &RepoName,
    public_url: &str,
    secret: &Secret,
) -> anyhow::Result<i64> {
    let hook = NewHook {
        name: "web",
        active: true,
        events: subscribed_events().into_iter().map(String::from).collect(),
        config: HookConfig {
            url: format!("{}/webhooks/github", public_url.trim_end_matches('/')),
            content_type: "json",
            secret: secret.expose().to_string(),
            insecure_ssl: "0",
        },
    };
    let written = gh
        .send(&Write::CreateRepoHook {
            repo: repo.clone(),
            hook,
        })
        .await?;
    written
        .id()
        .ok_or_else(|| anyhow::anyhow!("GitHub answered without a hook id"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hook_subscribes_to_handled_events() {
        let events = subscribed_events();
        assert!(events.contains(&"issues") && events.contains(&"sub_issues"));
        assert!(!events.contains(&"*") && !events.contains(&"ping"));
    }
}
