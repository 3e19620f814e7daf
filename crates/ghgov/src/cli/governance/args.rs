//! The flags of the governance commands.

use crate::cli::args::{DbArgs, GitHubArgs};
use crate::cli::document_limit_args::DocumentLimitArgs;
use clap::Args;
use std::path::PathBuf;

/// Where the documents come from.
#[derive(Args, Clone)]
pub struct DocArgs {
    /// The project specification: YAML, JSON or Markdown.
    #[arg(long, env = "GHGOV_SPEC")]
    pub spec: Option<PathBuf>,
    /// The governance configuration (YAML or JSON). Without it, the newest version stored
    /// for the repository (PUT /api/v1/governance/config/{org}/{repo}) is used; with it, the
    /// file is stored as a new version when it differs.
    #[arg(long, env = "GHGOV_CONFIG")]
    pub config: Option<PathBuf>,
    /// The repository, OWNER/NAME; must match the specification's organization/repository.
    #[arg(long, env = "GHGOV_REPO")]
    pub repo: Option<String>,
    /// Treat warnings (such as empty required documentation) as errors.
    #[arg(long)]
    pub strict: bool,
    /// Who is acting (recorded in plans, approvals and the audit log).
    #[arg(long, env = "GHGOV_ACTOR", default_value_t = default_actor())]
    pub actor: String,
    #[command(flatten)]
    pub limits: DocumentLimitArgs,
}

fn default_actor() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "local".into());
    format!("cli:{user}")
}

#[derive(Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub docs: DocArgs,
    /// Print the problems as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub db: DbArgs,
    #[command(flatten)]
    pub github: GitHubArgs,
}

#[derive(Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub docs: DocArgs,
    /// Print the plan as JSON.
    #[arg(long)]
    pub json: bool,
    /// Allow a plan that removes more than 25% of an authoritative kind.
    #[arg(long)]
    pub force: bool,
    /// Diff against the mirror as it is, without syncing the repository first.
    #[arg(long)]
    pub no_refresh: bool,
    #[command(flatten)]
    pub db: DbArgs,
    #[command(flatten)]
    pub github: GitHubArgs,
}

#[derive(Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub docs: DocArgs,
    /// Apply a stored plan (from `ghgov plan` or POST /api/v1/governance/generate)
    /// instead of planning afresh; also resumes an interrupted apply.
    #[arg(long, value_name = "ID")]
    pub plan: Option<i64>,
    /// Skip the interactive confirmation.
    #[arg(long)]
    pub auto_approve: bool,
    /// Allow a plan that removes more than 25% of an authoritative kind.
    #[arg(long)]
    pub force: bool,
    /// Minimum milliseconds between writes (GitHub asks for about one a second; its
    /// secondary limits allow 80 a minute and 500 an hour, which ghgov always keeps to).
    #[arg(long, env = "GHGOV_WRITE_INTERVAL_MS", default_value_t = 1000)]
    pub write_interval_ms: u64,
    /// Do not keep writes inside the 80/min and 500/h windows. Only for servers without
    /// secondary limits (a GitHub Enterprise server configured so, `fakehub
    /// --secondary-limits off`); `retry-after` answers are still honoured.
    #[arg(long)]
    pub no_secondary_limits: bool,
    #[command(flatten)]
    pub db: DbArgs,
    #[command(flatten)]
    pub github: GitHubArgs,
}

#[derive(Args)]
pub struct ApproveArgs {
    /// The plan's id.
    pub id: i64,
    /// Who approves; must differ from the plan's creator.
    #[arg(long, env = "GHGOV_ACTOR", default_value_t = default_actor())]
    pub actor: String,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Args)]
pub struct ComplianceArgs {
    /// The repository, OWNER/NAME.
    #[arg(long, env = "GHGOV_REPO")]
    pub repo: String,
    /// The governance configuration; default: the newest stored version.
    #[arg(long, env = "GHGOV_CONFIG")]
    pub config: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Check the mirror as it is, without syncing first (also when no token is given).
    #[arg(long)]
    pub no_refresh: bool,
    #[command(flatten)]
    pub limits: DocumentLimitArgs,
    #[command(flatten)]
    pub db: DbArgs,
    #[command(flatten)]
    pub github: GitHubArgs,
}
