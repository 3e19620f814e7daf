//! Flag groups several commands share: the database, GitHub, webhook secrets.

use crate::github::GitHubConfig;
use crate::secret::{self, Secret};
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Clone)]
pub struct DbArgs {
    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB.
    #[arg(long, env = "GHGOV_DB", default_value = "sqlite://ghgov.db")]
    pub db: String,
}

#[derive(Args, Clone)]
pub struct GitHubArgs {
    /// GitHub API base URL (GitHub Enterprise: https://HOST/api/v3).
    #[arg(
        long,
        env = "GHGOV_GITHUB_URL",
        default_value = "https://api.github.com"
    )]
    pub github_url: String,
    /// Personal access token (prefer --github-token-file: a flag is visible to other users
    /// of the machine in the process list).
    #[arg(long, env = "GHGOV_GITHUB_TOKEN", hide_env_values = true)]
    pub github_token: Option<String>,
    /// A file holding the personal access token (one line).
    #[arg(
        long,
        env = "GHGOV_GITHUB_TOKEN_FILE",
        conflicts_with = "github_token",
        value_name = "PATH"
    )]
    pub github_token_file: Option<PathBuf>,
}

impl GitHubArgs {
    /// The token from --github-token or --github-token-file, if either is given.
    pub fn token(&self) -> anyhow::Result<Option<Secret>> {
        match (&self.github_token, &self.github_token_file) {
            (Some(t), _) => Ok(Some(Secret::new(
                t.clone(),
                "--github-token (or GHGOV_GITHUB_TOKEN)",
            )?)),
            (None, Some(path)) => Ok(Some(secret::from_file(path, "the GitHub token")?)),
            (None, None) => Ok(None),
        }
    }

    pub fn has_token(&self) -> bool {
        self.github_token.is_some() || self.github_token_file.is_some()
    }

    pub fn config(&self) -> anyhow::Result<GitHubConfig> {
        let token = self.token()?.ok_or_else(|| {
            anyhow::anyhow!(
                "a GitHub token is needed: pass --github-token-file PATH or --github-token, or set GHGOV_GITHUB_TOKEN"
            )
        })?;
        Ok(GitHubConfig::with_secret(&self.github_url, token))
    }
}

/// Webhook secrets: repeatable flags, files, or the environment.
#[derive(Args, Clone, Default)]
pub struct SecretArgs {
    /// Webhook secret; repeat the flag to accept several during a rotation. Without it (and
    /// without --webhook-secret-file), GHGOV_WEBHOOK_SECRET is read: comma-separated, each
    /// item trimmed.
    #[arg(long = "webhook-secret", value_name = "SECRET")]
    pub webhook_secrets: Vec<String>,
    /// A file of webhook secrets, one per line; repeatable.
    #[arg(long = "webhook-secret-file", value_name = "PATH")]
    pub webhook_secret_files: Vec<PathBuf>,
}

/// The variable that holds webhook secrets when no flag gives them.
pub const SECRET_ENV: &str = "GHGOV_WEBHOOK_SECRET";

impl SecretArgs {
    /// Every secret, each refused when empty or only whitespace: an empty HMAC key would
    /// let anyone sign a delivery.
    pub fn secrets(&self, env: Option<&str>) -> anyhow::Result<Vec<Secret>> {
        let mut out = Vec::new();
        for (k, value) in self.webhook_secrets.iter().enumerate() {
            out.push(Secret::new(
                value.clone(),
                &format!("--webhook-secret (occurrence {})", k + 1),
            )?);
        }
        for path in &self.webhook_secret_files {
            out.extend(secret::lines_from_file(path, "webhook secrets")?);
        }
        if out.is_empty() {
            if let Some(text) = env {
                out = secrets_from_env(text)?;
            }
        }
        Ok(out)
    }
}

/// `GHGOV_WEBHOOK_SECRET`: comma-separated, each item trimmed, none empty.
pub fn secrets_from_env(text: &str) -> anyhow::Result<Vec<Secret>> {
    text.split(',')
        .enumerate()
        .map(|(k, item)| {
            Secret::new(
                item.trim(),
                &format!("item {} of {SECRET_ENV} (comma-separated)", k + 1),
            )
        })
        .collect()
}
