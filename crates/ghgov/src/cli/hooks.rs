//! `ghgov hooks install`: the repository webhook that feeds a server.

use super::args::{secrets_from_env, GitHubArgs, SECRET_ENV};
use crate::github::GitHub;
use crate::mirror::RepoName;
use crate::secret::{self, Secret};
use crate::server::hooks::install_hook;
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum HooksCommand {
    /// Create the repository webhook that sends events to this ghgov.
    Install {
        /// The repository, OWNER/NAME.
        repository: String,
        /// ghgov's public base URL; the hook posts to URL/webhooks/github.
        #[arg(long)]
        url: String,
        /// The secret GitHub signs with (one of the server's --webhook-secret values).
        /// Without it, --secret-file or GHGOV_WEBHOOK_SECRET (a single secret) is used.
        #[arg(long, hide_env_values = true)]
        secret: Option<String>,
        /// A file holding the secret (one line).
        #[arg(long, conflicts_with = "secret", value_name = "PATH")]
        secret_file: Option<PathBuf>,
        #[command(flatten)]
        github: GitHubArgs,
    },
}

pub async fn run(command: HooksCommand) -> anyhow::Result<()> {
    match command {
        HooksCommand::Install {
            repository,
            url,
            secret,
            secret_file,
            github,
        } => {
            let repo = RepoName::parse(&repository)?;
            let secret = hook_secret(secret, secret_file)?;
            let gh = GitHub::new(github.config()?, None)?;
            let id = install_hook(&gh, &repo, &url, &secret).await?;
            println!(
                "webhook {id} on {repo} now posts to {}/webhooks/github",
                url.trim_end_matches('/')
            );
            Ok(())
        }
    }
}

/// The one secret `hooks install` gives GitHub.
fn hook_secret(flag: Option<String>, file: Option<PathBuf>) -> anyhow::Result<Secret> {
    if let Some(s) = flag {
        return Secret::new(s, "--secret");
    }
    if let Some(path) = file {
        return secret::from_file(&path, "the webhook secret");
    }
    let env = std::env::var(SECRET_ENV).map_err(|_| {
        anyhow::anyhow!(
            "a webhook secret is needed: pass --secret-file PATH or --secret, or set {SECRET_ENV}"
        )
    })?;
    let mut all = secrets_from_env(&env)?;
    if all.len() != 1 {
        anyhow::bail!(
            "{SECRET_ENV} holds {} secrets (a rotation); pass the one GitHub should sign with as --secret",
            all.len()
        );
    }
    Ok(all.remove(0))
}
