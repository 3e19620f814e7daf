//! The `ghgov` command line: clap types, prompts, progress bars and printing. Every flag
//! has a `GHGOV_*` environment fallback. The work is the library's (server, mirror,
//! governance::workflow); the commands here turn flags into its plain inputs and its
//! results into lines.

pub mod args;
pub mod database;
pub mod document_limit_args;
pub mod governance;
pub mod hooks;
pub mod issue;
pub mod serve;
pub mod sync;
pub mod tokens;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "ghgov",
    version,
    about = "Self-hosted GitHub governance and tracking: a faithful mirror of your repositories' issues, and a governance engine that turns a project specification into an Epic → Feature → Task hierarchy on GitHub."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the server: REST API, webhook receiver, delivery processor and reconciler.
    Serve(serve::ServeArgs),
    /// Sync one repository from GitHub into the mirror (incremental unless --full).
    Sync(sync::SyncArgs),
    /// Apply pending database migrations and exit.
    Migrate(args::DbArgs),
    /// Drop the payloads of old finished webhook deliveries (the server does it hourly).
    Prune(database::PruneArgs),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(tokens::TokenCommand),
    /// Manage GitHub webhooks.
    #[command(subcommand)]
    Hooks(hooks::HooksCommand),
    /// Check a project specification and a governance configuration; every problem at once.
    Validate(governance::ValidateArgs),
    /// Show what applying the specification would change on GitHub, and store the plan.
    Plan(governance::PlanArgs),
    /// Create and update the issue hierarchy on GitHub (journaled, paced, resumable).
    Apply(governance::ApplyArgs),
    /// Approve a plan that waits for approval (by a principal other than its creator).
    Approve(governance::ApproveArgs),
    /// How well the governed issues follow the rules, with each violation and its fix.
    Compliance(governance::ComplianceArgs),
    /// Change issues through a running server (its one writer): create, edit, status, close, comment, show.
    #[command(subcommand)]
    Issue(issue::IssueCommand),
    /// Milestones through a running server: list, create, edit, close.
    #[command(subcommand)]
    Milestone(issue::MilestoneCommand),
    /// Conflicts between changes made through ghgov and on GitHub: list, resolve.
    #[command(subcommand)]
    Conflicts(issue::ConflictsCommand),
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => serve::run(args).await,
        Command::Sync(args) => sync::run(args).await,
        Command::Migrate(db) => database::migrate(db).await,
        Command::Prune(args) => database::prune(args).await,
        Command::Token(command) => tokens::run(command).await,
        Command::Hooks(command) => hooks::run(command).await,
        Command::Validate(args) => governance::validate(args).await,
        Command::Plan(args) => governance::plan(args).await,
        Command::Apply(args) => governance::apply(args).await,
        Command::Approve(args) => governance::approve(args).await,
        Command::Compliance(args) => governance::compliance(args).await,
        Command::Issue(command) => issue::run(command).await,
        Command::Milestone(command) => issue::run_milestone(command).await,
        Command::Conflicts(command) => issue::run_conflicts(command).await,
    }
}
