//! The `ghgov` command line. Every flag has a `GHGOV_*` environment fallback.

use crate::github::{GitHub, GitHubConfig};
use crate::governance::commands as gov;
use crate::mirror::processor::RetrySchedule;
use crate::mirror::receiver::WebhookLimits;
use crate::mirror::scope::RepoScope;
use crate::mirror::sync::{Progress, SyncKind, Syncer};
use crate::mirror::RepoName;
use crate::secret::{self, Secret};
use crate::server::hooks::install_hook;
use crate::server::signals::shutdown_signal;
use crate::server::{self, HttpLimits, ServeOptions};
use crate::store::{Scope, Store};
use clap::{Args, Parser, Subcommand};
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
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
    /// Drop the payloads of old finished webhook deliveries (the server does it hourly).
    Prune(PruneArgs),
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

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "GHGOV_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub db: DbArgs,
    #[command(flatten)]
    pub github: GitHubArgs,
    #[command(flatten)]
    pub secrets: SecretArgs,
    /// Repositories to mirror and reconcile: OWNER/NAME, or OWNER/* for every repository of
    /// an owner; repeatable. Webhooks about other repositories are stored and ignored, and
    /// only an admin token may add one at run time.
    #[arg(long = "repo", env = "GHGOV_REPOS", value_delimiter = ',')]
    pub repos: Vec<String>,
    /// Seconds between reconciles (an incremental sync that repairs missed webhooks).
    #[arg(long, env = "GHGOV_RECONCILE_INTERVAL", default_value_t = 900)]
    pub reconcile_interval: u64,
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Run a self-contained demo: SQLite plus an in-process fakehub with a demo repository.
    #[arg(long)]
    pub demo: bool,
    #[command(flatten)]
    pub document_limits: crate::governance::document_limits::DocumentLimitArgs,
}

/// Bounds on what clients may cost the server, and how long deliveries are kept.
#[derive(Args, Clone)]
pub struct LimitArgs {
    /// The largest webhook body accepted, in bytes (GitHub sends at most 25 MB).
    #[arg(long, env = "GHGOV_WEBHOOK_MAX_BODY", default_value_t = 25 * 1024 * 1024,
          value_parser = clap::value_parser!(u64).range(1024..=1024 * 1024 * 1024))]
    pub webhook_max_body: u64,
    /// Webhook bodies read at once, before their signatures can be checked.
    #[arg(long, env = "GHGOV_WEBHOOK_MAX_READERS", default_value_t = 64,
          value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub webhook_max_readers: u64,
    /// Seconds a connection has to send a request's headers.
    #[arg(long, env = "GHGOV_HEADER_READ_TIMEOUT", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_read_timeout: u64,
    /// Seconds a request has to send its whole body.
    #[arg(long, env = "GHGOV_BODY_READ_TIMEOUT", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub body_read_timeout: u64,
    /// The largest API request body, in bytes.
    #[arg(long, env = "GHGOV_MAX_REQUEST_BODY", default_value_t = 10 * 1024 * 1024,
          value_parser = clap::value_parser!(u64).range(1024..=1024 * 1024 * 1024))]
    pub max_request_body: u64,
    /// Seconds shutdown waits for requests in flight before closing their connections.
    #[arg(long, env = "GHGOV_SHUTDOWN_TIMEOUT", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub shutdown_timeout: u64,
    /// Days the payloads of processed and ignored deliveries are kept (the rows stay; dead
    /// ones are kept until replayed or discarded); 0 keeps them forever.
    #[arg(long, env = "GHGOV_RETENTION_DAYS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(0..=36_500))]
    pub retention_days: u64,
    /// Seconds between attempts of a failing webhook delivery; one more failure after the
    /// last makes it dead.
    #[arg(long, env = "GHGOV_WEBHOOK_RETRY_SCHEDULE", default_value = "5,10,20,40,80",
          value_parser = RetrySchedule::parse)]
    pub webhook_retry_schedule: RetrySchedule,
}

impl LimitArgs {
    pub fn webhook(&self) -> WebhookLimits {
        WebhookLimits {
            max_body: self.webhook_max_body as usize,
            max_readers: self.webhook_max_readers as usize,
            body_timeout: Duration::from_secs(self.body_read_timeout),
            ..WebhookLimits::default()
        }
    }

    pub fn http(&self) -> HttpLimits {
        HttpLimits {
            header_read_timeout: Duration::from_secs(self.header_read_timeout),
            body_read_timeout: Duration::from_secs(self.body_read_timeout),
            max_api_body: self.max_request_body as usize,
            shutdown_timeout: Duration::from_secs(self.shutdown_timeout),
        }
    }

    pub fn retention(&self) -> Option<Duration> {
        (self.retention_days > 0).then(|| Duration::from_secs(self.retention_days * 86_400))
    }
}

#[derive(Args)]
pub struct PruneArgs {
    /// Drop the payloads of deliveries finished more than this many days ago.
    #[arg(long, env = "GHGOV_RETENTION_DAYS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=36_500))]
    pub retention_days: u64,
    #[command(flatten)]
    pub db: DbArgs,
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
    /// Revoke a token by its name (or by id with --id).
    #[command(group(clap::ArgGroup::new("which").required(true).args(["name", "id"])))]
    Revoke {
        /// The token's name, exactly.
        name: Option<String>,
        /// The token's id (the first column of `ghgov token list`) instead of its name.
        #[arg(long)]
        id: Option<i64>,
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
        Command::Prune(args) => {
            let store = Store::open(&args.db.db).await?;
            let keep = Duration::from_secs(args.retention_days * 86_400);
            let dropped = server::prune(&store, &crate::clock::system(), keep).await?;
            println!(
                "dropped the payloads of {dropped} deliveries finished more than {} days ago",
                args.retention_days
            );
            Ok(())
        }
        Command::Validate(a) => gov::validate(a).await,
        Command::Plan(a) => gov::plan(a).await,
        Command::Apply(a) => gov::apply(a).await,
        Command::Approve(a) => gov::approve(a).await,
        Command::Compliance(a) => gov::compliance(a).await,
        Command::Hooks(HooksCommand::Install {
            repository,
            url,
            secret,
            secret_file,
            github,
        }) => {
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

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let options = serve_options(&args, std::env::var(SECRET_ENV).ok().as_deref())?;
    let mut running = server::start(options).await?;
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

/// Checks every flag of `serve` before anything starts; `env_secrets` is
/// GHGOV_WEBHOOK_SECRET.
pub fn serve_options(args: &ServeArgs, env_secrets: Option<&str>) -> anyhow::Result<ServeOptions> {
    let scope = RepoScope::parse_all(&args.repos)?;
    let webhook_secrets = args.secrets.secrets(env_secrets)?;
    if webhook_secrets.is_empty() {
        tracing::warn!("no webhook secret (--webhook-secret, --webhook-secret-file, {SECRET_ENV}): every webhook delivery will be refused with 401");
    }
    if scope.patterns().is_empty() {
        tracing::warn!("no --repo: webhooks will be stored and ignored, and only an admin token can add a repository");
    }
    let github = if args.github.has_token() {
        Some(args.github.config()?)
    } else {
        tracing::warn!(
            "no GitHub token (--github-token-file, --github-token): syncs and reconciles are off"
        );
        None
    };
    Ok(ServeOptions {
        listen: args.listen,
        github,
        webhook_secrets,
        scope,
        reconcile_interval: Some(Duration::from_secs(args.reconcile_interval.max(1))),
        retries: args.limits.webhook_retry_schedule.clone(),
        webhook: args.limits.webhook(),
        http: args.limits.http(),
        retention: args.limits.retention(),
        ..ServeOptions::new(&args.db.db)
    })
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
        TokenCommand::Revoke { name, id, db } => {
            let store = Store::open(&db.db).await?;
            match (name, id) {
                (_, Some(id)) => {
                    if !store.revoke_token_id(id).await? {
                        anyhow::bail!("no active token with id {id} (see `ghgov token list`)");
                    }
                    println!("revoked token {id}");
                }
                (Some(name), None) => {
                    if !store.revoke_token(&name).await? {
                        anyhow::bail!("no active token named '{name}' (see `ghgov token list`; use --id N for an id)");
                    }
                    println!("revoked {name}");
                }
                (None, None) => anyhow::bail!("name the token to revoke, or give --id N"),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serve_args(args: &[&str]) -> ServeArgs {
        let mut argv = vec!["ghgov", "serve"];
        argv.extend_from_slice(args);
        match Cli::try_parse_from(argv).unwrap().command {
            Command::Serve(s) => s,
            _ => unreachable!("parsed serve"),
        }
    }

    fn exposed(secrets: &[Secret]) -> Vec<&str> {
        secrets.iter().map(Secret::expose).collect()
    }

    #[test]
    fn the_flag_repeats_and_never_splits() {
        let args = serve_args(&["--webhook-secret", "a,b", "--webhook-secret", "c"]);
        let secrets = args.secrets.secrets(Some("ignored,too")).unwrap();
        assert_eq!(
            exposed(&secrets),
            ["a,b", "c"],
            "flags win over the environment"
        );
    }

    #[test]
    fn the_environment_splits_on_commas_and_trims() {
        let args = serve_args(&[]);
        let secrets = args.secrets.secrets(Some(" new , old ")).unwrap();
        assert_eq!(exposed(&secrets), ["new", "old"]);
        assert!(args.secrets.secrets(None).unwrap().is_empty());
    }

    #[test]
    fn empty_secrets_refuse_to_start() {
        for env in ["s,", "", " ", ",s", "a,,b"] {
            let err = serve_options(&serve_args(&[]), Some(env))
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("GHGOV_WEBHOOK_SECRET") && err.contains("empty"),
                "{env:?}: {err}"
            );
        }
        for flag in ["", "  "] {
            let err = serve_options(&serve_args(&["--webhook-secret", flag]), None)
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("--webhook-secret") && err.contains("empty"),
                "{err}"
            );
        }
        let err = serve_options(&serve_args(&["--github-token", " "]), None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--github-token") && err.contains("empty"),
            "{err}"
        );
    }

    #[test]
    fn secrets_and_tokens_come_from_files() {
        let dir = std::env::temp_dir().join(format!("ghgov-cli-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let secrets = dir.join("secrets");
        let token = dir.join("token");
        std::fs::write(&secrets, "one\ntwo\n").unwrap();
        std::fs::write(&token, "ghp_fromfile\n").unwrap();
        let args = serve_args(&[
            "--webhook-secret-file",
            secrets.to_str().unwrap(),
            "--github-token-file",
            token.to_str().unwrap(),
            "--repo",
            "acme/*",
        ]);
        let options = serve_options(&args, Some("not,used")).unwrap();
        assert_eq!(exposed(&options.webhook_secrets), ["one", "two"]);
        assert_eq!(options.github.unwrap().token.expose(), "ghp_fromfile");
        assert!(options.scope.configured("acme/anything"));
        assert!(
            Cli::try_parse_from([
                "ghgov",
                "serve",
                "--github-token",
                "x",
                "--github-token-file",
                token.to_str().unwrap()
            ])
            .is_err(),
            "one source of the token"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn limits_have_sane_defaults_and_ranges() {
        let options = serve_options(&serve_args(&[]), None).unwrap();
        assert_eq!(options.webhook.max_body, 25 * 1024 * 1024);
        assert_eq!(options.retries, RetrySchedule::default());
        assert_eq!(options.retention, Some(Duration::from_secs(30 * 86_400)));
        assert_eq!(options.http.shutdown_timeout, Duration::from_secs(10));
        let args = serve_args(&["--retention-days", "0", "--webhook-retry-schedule", "1,2"]);
        let options = serve_options(&args, None).unwrap();
        assert_eq!(options.retention, None);
        assert_eq!(options.retries.max_attempts(), 3);
        for bad in [
            ["--header-read-timeout", "0"],
            ["--webhook-max-readers", "0"],
            ["--webhook-retry-schedule", "5,x"],
            ["--repo", "acme/wid*"],
        ] {
            let mut argv = vec!["ghgov", "serve"];
            argv.extend_from_slice(&bad);
            let parsed = Cli::try_parse_from(argv);
            let refused = match parsed {
                Err(_) => true,
                Ok(cli) => match cli.command {
                    Command::Serve(s) => serve_options(&s, None).is_err(),
                    _ => false,
                },
            };
            assert!(refused, "{bad:?} is refused");
        }
    }
}
