//! `fakehub serve`: the simulator as a standalone server.

use clap::{Parser, Subcommand, ValueEnum};
use fakehub::{FakeHub, Generate, Options, SeedDoc, SeedRepo, Settings, TokenSpec};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Parser)]
#[command(
    name = "fakehub",
    version,
    about = "A stateful GitHub simulator: GitHub's REST API, rate limits, ETags and signed webhooks, served from memory."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the simulated GitHub API until SIGINT or SIGTERM.
    Serve(Serve),
}

#[derive(Clone, Copy, ValueEnum)]
enum OnOff {
    On,
    Off,
}

#[derive(Parser)]
struct Serve {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8089", env = "FAKEHUB_LISTEN")]
    listen: SocketAddr,
    /// Base URL written into every `url` field (when fakehub sits behind a proxy).
    #[arg(long, env = "FAKEHUB_PUBLIC_URL")]
    public_url: Option<String>,
    /// A token to accept: `TOKEN` (acting as octocat) or `LOGIN:TOKEN`. Repeatable.
    /// Without any, and without users declared in the seed, every token is accepted.
    #[arg(long = "token", value_name = "[LOGIN:]TOKEN")]
    tokens: Vec<String>,
    /// A JSON seed document (see the README's fakehub section).
    #[arg(long, value_name = "FILE")]
    seed: Option<PathBuf>,
    /// Generate a repository that looks real, OWNER/NAME.
    #[arg(long, value_name = "OWNER/NAME")]
    seed_repo: Option<String>,
    /// Issues to generate in --seed-repo.
    #[arg(long, default_value_t = 0, requires = "seed_repo")]
    seed_issues: usize,
    /// Comments to spread over the generated issues.
    #[arg(long, default_value_t = 0, requires = "seed_repo")]
    seed_comments: usize,
    /// Labels to generate.
    #[arg(long, default_value_t = 8, requires = "seed_repo")]
    seed_labels: usize,
    /// Milestones to generate.
    #[arg(long, default_value_t = 3, requires = "seed_repo")]
    seed_milestones: usize,
    /// Pull requests to generate (they appear in the issue list, as on GitHub).
    #[arg(long, default_value_t = 0, requires = "seed_repo")]
    seed_pulls: usize,
    /// Primary rate limit per token per hour.
    #[arg(long, default_value_t = 5000, value_name = "PER_HOUR")]
    rate_limit: u64,
    /// GitHub's secondary limits (80 writes/min, 500/h, 100 concurrent, 900 points/min).
    #[arg(long, value_enum, default_value = "on")]
    secondary_limits: OnOff,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let Command::Serve(args) = cli.command;
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("FAKEHUB_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .init();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(serve(args))
}

fn seed_doc(args: &Serve) -> anyhow::Result<Option<SeedDoc>> {
    let mut doc = match &args.seed {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("cannot read seed file {}: {e}", path.display()))?;
            serde_json::from_str::<SeedDoc>(&text)
                .map_err(|e| anyhow::anyhow!("seed file {}: {e}", path.display()))?
        }
        None => SeedDoc::default(),
    };
    if let Some(full_name) = &args.seed_repo {
        doc.repos.push(SeedRepo {
            full_name: full_name.clone(),
            generate: Some(Generate {
                issues: args.seed_issues,
                comments: args.seed_comments,
                labels: args.seed_labels,
                milestones: args.seed_milestones,
                pulls: args.seed_pulls,
                seed: 1,
            }),
            ..Default::default()
        });
    }
    let empty = doc.repos.is_empty() && doc.users.is_empty() && doc.orgs.is_empty();
    Ok((!empty).then_some(doc))
}

async fn serve(args: Serve) -> anyhow::Result<()> {
    let started = Instant::now();
    let options = Options {
        listen: Some(args.listen),
        public_url: args.public_url.clone(),
        settings: Settings {
            tokens: args.tokens.iter().map(|t| TokenSpec::parse(t)).collect(),
            rate_limit: args.rate_limit,
            secondary_limits: matches!(args.secondary_limits, OnOff::On),
        },
        seed: seed_doc(&args)?,
    };
    let mut hub = FakeHub::start(options).await?;
    // Handlers are in place before anyone can learn the address and send a signal.
    let signals = Signals::install()?;
    // The first line is a contract: scripts wait for it.
    println!("listening on http://{}", hub.addr);
    std::io::stdout().flush()?;
    for s in &hub.seeded {
        eprintln!(
            "seeded {}: {} issues, {} pull requests, {} comments, {} labels, {} milestones ({:.2}s)",
            s.full_name,
            s.issues,
            s.pulls,
            s.comments,
            s.labels,
            s.milestones,
            started.elapsed().as_secs_f64()
        );
    }
    if hub.url != format!("http://{}", hub.addr) {
        eprintln!("public URL {}", hub.url);
    }
    let stop = hub.stop_handle();
    tokio::spawn(async move {
        signals.wait().await;
        eprintln!("fakehub: shutting down");
        if let Some(stop) = stop {
            let _ = stop.send(());
        }
    });
    hub.wait().await;
    Ok(())
}

struct Signals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl Signals {
    fn install() -> anyhow::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Signals {
                term: signal(SignalKind::terminate())?,
                int: signal(SignalKind::interrupt())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    async fn wait(mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.term.recv() => {},
            _ = self.int.recv() => {},
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    }
}
