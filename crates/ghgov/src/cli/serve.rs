//! `ghgov serve`: its flags, checked all at once before anything starts.

use super::args::{DbArgs, GitHubArgs, SecretArgs, SECRET_ENV};
use crate::mirror::processor::RetrySchedule;
use crate::mirror::receiver::WebhookLimits;
use crate::mirror::scope::RepoScope;
use crate::server::signals::shutdown_signal;
use crate::server::{self, HttpLimits, ServeOptions};
use clap::Args;
use std::net::SocketAddr;
use std::time::Duration;

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
    pub document_limits: super::document_limit_args::DocumentLimitArgs,
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

/// `ghgov serve`, or with --demo the self-contained demo.
pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    if args.demo {
        return demo(&args).await;
    }
    serve(args).await
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
        document_limits: args.document_limits.limits(),
        ..ServeOptions::new(&args.db.db)
    })
}

/// The demo's server options: the flags that make sense for it (listen address,
/// database, limits); the demo brings its own GitHub, secret and repository.
#[cfg(feature = "demo")]
fn demo_options(args: &ServeArgs) -> ServeOptions {
    ServeOptions {
        listen: args.listen,
        reconcile_interval: Some(Duration::from_secs(args.reconcile_interval.max(1))),
        webhook: args.limits.webhook(),
        http: args.limits.http(),
        retention: args.limits.retention(),
        retries: args.limits.webhook_retry_schedule.clone(),
        document_limits: args.document_limits.limits(),
        ..ServeOptions::new(&args.db.db)
    }
}

#[cfg(feature = "demo")]
async fn demo(args: &ServeArgs) -> anyhow::Result<()> {
    crate::demo::run(demo_options(args)).await
}

/// A build without the `demo` feature carries no GitHub simulator to run one with.
#[cfg(not(feature = "demo"))]
async fn demo(_args: &ServeArgs) -> anyhow::Result<()> {
    anyhow::bail!("this build has no demo: rebuild with the default `demo` feature")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use crate::governance::document_limits::DocumentLimits;
    use crate::secret::Secret;
    use clap::Parser;

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
        assert_eq!(options.document_limits, DocumentLimits::DEFAULT);
        let args = serve_args(&[
            "--retention-days",
            "0",
            "--webhook-retry-schedule",
            "1,2",
            "--document-parse-timeout-ms",
            "600000",
            "--max-document-bytes",
            "1000",
        ]);
        let options = serve_options(&args, None).unwrap();
        assert_eq!(options.retention, None);
        // The document limits reach the server, not only the demo's.
        assert_eq!(
            options.document_limits.parse_timeout,
            Duration::from_secs(600)
        );
        assert_eq!(options.document_limits.max_bytes, 1000);
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
