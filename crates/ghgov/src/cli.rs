//! The `ghgov` command line. Every flag has a `GHGOV_*` environment fallback.

use crate::github::{GitHub, GitHubConfig};
use crate::governance::commands as gov;
use crate::mirror::sync::{Progress, SyncKind, Syncer};
use crate::mirror::RepoName;
use crate::server::{self, ServeOptions};
use crate::store::{Scope, Store};
use clap::{Args, Parser, Subcommand};
use serde_json::json;
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

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
    Serve(ServeArgs),
    /// Sync one repository from GitHub into the mirror (incremental unless --full).
    Sync(SyncArgs),
    /// Apply pending database migrations and exit.
    Migrate(DbArgs),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage GitHub webhooks.
    #[command(subcommand)]
    Hooks(HooksCommand),
    /// Check a project specification and a governance configuration; every problem at once.
    Validate(gov::ValidateArgs),
    /// Show what applying the specification would change on GitHub, and store the plan.
    Plan(gov::PlanArgs),
    /// Create and update the issue hierarchy on GitHub (journaled, paced, resumable).
    Apply(gov::ApplyArgs),
    /// Approve a plan that waits for approval (by a principal other than its creator).
    Approve(gov::ApproveArgs),
    /// How well the governed issues follow the rules, with each violation and its fix.
    Compliance(gov::ComplianceArgs),
}

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
    /// Personal access token.
    #[arg(long, env = "GHGOV_GITHUB_TOKEN", hide_env_values = true)]
    pub github_token: Option<String>,
}

impl GitHubArgs {
    pub fn config(&self) -> anyhow::Result<GitHubConfig> {
        let token = self.github_token.clone().ok_or_else(|| {
            anyhow::anyhow!(
                "a GitHub token is needed: pass --github-token or set GHGOV_GITHUB_TOKEN"
            )
        })?;
        Ok(GitHubConfig::new(&self.github_url, &token))
    }
}

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "GHGOV_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub db: DbArgs,
    #[command(flatten)]
    pub github: GitHubArgs,
    /// Webhook secret; repeat (or comma-separate in the environment) to accept several during rotation.
    #[arg(
        long = "webhook-secret",
        env = "GHGOV_WEBHOOK_SECRET",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub webhook_secrets: Vec<String>,
    /// Repositories to mirror and reconcile (OWNER/NAME); repeatable.
    #[arg(long = "repo", env = "GHGOV_REPOS", value_delimiter = ',')]
    pub repos: Vec<String>,
    /// Seconds between reconciles (an incremental sync that repairs missed webhooks).
    #[arg(long, env = "GHGOV_RECONCILE_INTERVAL", default_value_t = 900)]
    pub reconcile_interval: u64,
    /// Run a self-contained demo: SQLite plus an in-process fakehub with a demo repository.
    #[arg(long)]
    pub demo: bool,
    #[command(flatten)]
    pub document_limits: crate::governance::document_limits::DocumentLimitArgs,
}

#[derive(Args)]
pub struct SyncArgs {
    /// The repository, OWNER/NAME.
    pub repository: String,
    /// List everything (and find deletions) instead of only what changed.
    #[arg(long)]
    pub full: bool,
    #[command(flatten)]
    pub db: DbArgs,
    #[command(flatten)]
    pub github: GitHubArgs,
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create a token; it is printed once, as the last line.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "read", value_parser = ["read", "write", "admin"])]
        scope: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List tokens (never the tokens themselves).
    List {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Revoke a token by id or name.
    Revoke {
        id_or_name: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
pub enum HooksCommand {
    /// Create the repository webhook that sends events to this ghgov.
    Install {
        /// The repository, OWNER/NAME.
        repository: String,
        /// ghgov's public base URL; the hook posts to URL/webhooks/github.
        #[arg(long)]
        url: String,
        /// The secret GitHub signs with (use the same as --webhook-secret).
        #[arg(long, env = "GHGOV_WEBHOOK_SECRET", hide_env_values = true)]
        secret: String,
        #[command(flatten)]
        github: GitHubArgs,
    },
}

struct Bar(indicatif::ProgressBar);

impl Progress for Bar {
    fn page(&self, resource: &str, done: u64, total: Option<u64>) {
        if let Some(t) = total {
            self.0.set_length(t.max(done));
        }
        self.0.set_position(done);
        self.0.set_message(resource.to_string());
    }
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) if args.demo => crate::demo::run(args).await,
        Command::Serve(args) => serve(args).await,
        Command::Sync(args) => sync(args).await,
        Command::Migrate(db) => {
            let store = Store::open(&db.db).await?;
            println!(
                "database {} is at migration {:?}",
                crate::store::redact(&db.db),
                store.migrations().await?.last()
            );
            Ok(())
        }
        Command::Token(t) => token(t).await,
        Command::Validate(a) => gov::validate(a).await,
        Command::Plan(a) => gov::plan(a).await,
        Command::Apply(a) => gov::apply(a).await,
        Command::Approve(a) => gov::approve(a).await,
        Command::Compliance(a) => gov::compliance(a).await,
        Command::Hooks(HooksCommand::Install {
            repository,
            url,
            secret,
            github,
        }) => {
            let repo = RepoName::parse(&repository)?;
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

/// Creates the repository webhook (all events, JSON, signed with `secret`).
pub async fn install_hook(
    gh: &GitHub,
    repo: &RepoName,
    public_url: &str,
    secret: &str,
) -> anyhow::Result<i64> {
    let body = json!({
        "name": "web",
        "active": true,
        "events": ["*"],
        "config": {"url": format!("{}/webhooks/github", public_url.trim_end_matches('/')), "content_type": "json", "secret": secret, "insecure_ssl": "0"},
    });
    let hook = gh
        .write(
            reqwest::Method::POST,
            &format!("/repos/{}/hooks", repo.full()),
            &body,
        )
        .await?;
    hook["id"]
        .as_i64()
        .ok_or_else(|| anyhow::anyhow!("GitHub answered without a hook id: {hook}"))
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let repos = args
        .repos
        .iter()
        .map(|r| RepoName::parse(r))
        .collect::<anyhow::Result<Vec<_>>>()?;
    if args.webhook_secrets.is_empty() {
        tracing::warn!("no --webhook-secret: every webhook delivery will be refused with 401");
    }
    let github = match &args.github.github_token {
        Some(_) => Some(args.github.config()?),
        None => {
            tracing::warn!("no --github-token: syncs and reconciles are off");
            None
        }
    };
    let mut running = server::start(ServeOptions {
        listen: args.listen,
        db: args.db.db.clone(),
        github,
        webhook_secrets: args.webhook_secrets.clone(),
        repos,
        reconcile_interval: Some(Duration::from_secs(args.reconcile_interval.max(1))),
        retry_base: Duration::from_secs(2),
        document_limits: args.document_limits.limits(),
    })
    .await?;
    eprintln!("ghgov listening on {}", running.url());
    let stop = running.stop_handle();
    tokio::spawn(async move {
        shutdown_signal().await;
        if let Some(s) = stop {
            let _ = s.send(());
        }
    });
    running.wait().await;
    Ok(())
}

pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

async fn sync(args: SyncArgs) -> anyhow::Result<()> {
    // Arguments first, so a mistake is reported before anything is touched.
    let repo = RepoName::parse(&args.repository)?;
    let config = args.github.config()?;
    let store = Store::open(&args.db.db).await?;
    let gh = Arc::new(GitHub::new(config, Some(store.clone()))?);
    let mut syncer = Syncer::new(store, gh);
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {msg:>9} page {pos}/{len} {wide_bar} {elapsed}",
            )
            .expect("template"),
        );
        bar
    });
    if let Some(b) = &bar {
        syncer.progress = Box::new(Bar(b.clone()));
    }
    let kind = if args.full {
        SyncKind::Full
    } else {
        SyncKind::Incremental
    };
    let result = syncer.sync(&repo, kind).await;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let report = result?;
    println!("{}", report.summary());
    Ok(())
}

async fn token(cmd: TokenCommand) -> anyhow::Result<()> {
    match cmd {
        TokenCommand::Create { name, scope, db } => {
            let store = Store::open(&db.db).await?;
            let scope = Scope::parse(&scope).expect("clap checked the scope");
            let (id, token) = store.create_token(&name, scope).await?;
            eprintln!(
                "created {} token {id} '{name}'; it is shown once:",
                scope.as_str()
            );
            println!("{token}");
        }
        TokenCommand::List { db } => {
            let store = Store::open(&db.db).await?;
            println!(
                "{:<5} {:<20} {:<6} {:<21} {:<21} revoked",
                "id", "name", "scope", "created", "last used"
            );
            for t in store.list_tokens().await? {
                println!(
                    "{:<5} {:<20} {:<6} {:<21} {:<21} {}",
                    t.id,
                    t.name,
                    t.scope.as_str(),
                    t.created_at,
                    t.last_used_at.unwrap_or_else(|| "-".into()),
                    t.revoked_at.unwrap_or_else(|| "-".into())
                );
            }
        }
        TokenCommand::Revoke { id_or_name, db } => {
            let store = Store::open(&db.db).await?;
            if !store.revoke_token(&id_or_name).await? {
                anyhow::bail!(
                    "no active token with id or name '{id_or_name}' (see `ghgov token list`)"
                );
            }
            println!("revoked {id_or_name}");
        }
    }
    Ok(())
}
