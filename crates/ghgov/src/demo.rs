//! `ghgov serve --demo`: everything on one machine with nothing to set up. An in-process
//! fakehub plays GitHub with a seeded demo repository; ghgov mirrors it into SQLite, with
//! webhooks wired, governs it with the example specification, and prints the URL and a
//! ready read token.

use crate::github::{GitHub, GitHubConfig, WriteLimits};
use crate::governance::apply::ApplyReport;
use crate::governance::document_limits::DocumentLimits;
use crate::governance::engine::{check, Documents};
use crate::governance::load::parse_text;
use crate::governance::plan::Plan;
use crate::governance::workflow::{self, ApplyOutcome, PlanRequest, Unattended};
use crate::mirror::scope::{RepoPattern, RepoScope};
use crate::mirror::sync::{SyncKind, Syncer};
use crate::mirror::RepoName;
use crate::server::hooks::install_hook;
use crate::server::signals::shutdown_signal;
use crate::server::{self, ServeOptions};
use crate::store::{Scope, Store};
use fakehub::{FakeHub, Generate, Options, SeedDoc, SeedRepo, Settings, TokenSpec};
use rand::RngCore;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

pub const DEMO_REPO: &str = "acme/demo";
const DEMO_TOKEN: &str = "demo-github-token";
const DEFAULT_DB: &str = "sqlite://ghgov.db";
const DEMO_DB: &str = "sqlite://ghgov-demo.db";
/// Who the demo's configuration versions, plans and writes are recorded as.
const DEMO_ACTOR: &str = "demo";

pub fn seed() -> SeedDoc {
    SeedDoc {
        repos: vec![SeedRepo {
            full_name: DEMO_REPO.into(),
            generate: Some(Generate {
                issues: 240,
                comments: 150,
                labels: 12,
                milestones: 4,
                pulls: 12,
                seed: 42,
            }),
            ..Default::default()
        }],
        ..Default::default()
    }
}

/// The example specification and configuration (examples/), pointed at the demo repository.
fn demo_documents() -> anyhow::Result<Documents> {
    let mut spec = parse_text(
        include_str!("../../../examples/project-spec.yml"),
        "example specification",
        &DocumentLimits::DEFAULT,
    )?;
    let mut config = parse_text(
        include_str!("../../../examples/governance.yml"),
        "example configuration",
        &DocumentLimits::DEFAULT,
    )?;
    let (owner, name) = DEMO_REPO.split_once('/').expect("OWNER/NAME");
    for doc in [&mut spec, &mut config] {
        doc["organization"] = json!(owner);
        doc["repository"] = json!(name);
    }
    Ok(Documents { spec, config })
}

/// Governs the demo repository: the example specification is validated, planned and
/// applied (made after the hook exists, so the new issues also arrive by webhook).
async fn govern(store: &Store, gh: &GitHub) -> anyhow::Result<(Plan, ApplyReport)> {
    let docs = demo_documents()?;
    let checked = check(&docs, false).map_err(|report| {
        anyhow::anyhow!("the example documents are invalid:\n{}", report.render())
    })?;
    let planned = workflow::plan(
        store,
        gh,
        PlanRequest {
            documents: &docs,
            checked: &checked,
            stored_config_version: None,
            force: false,
            refresh: true,
            actor: DEMO_ACTOR,
        },
    )
    .await?;
    // The same rules as every apply: the example configuration asks for no approval, so
    // the demo's fresh plan goes through.
    let report = match workflow::apply(store, gh, planned.row.id, DEMO_ACTOR, &Unattended).await? {
        ApplyOutcome::Applied(report) => report,
        ApplyOutcome::AlreadyApplied => ApplyReport::default(),
    };
    Ok((planned.plan, report))
}

/// Runs the demo until Ctrl-C. `base` holds what the flags say about the server (listen
/// address, database, limits); the demo brings GitHub, the webhook secret and the
/// repository. The default database is swapped for the demo's own, which starts empty.
pub async fn run(base: ServeOptions) -> anyhow::Result<()> {
    let fh = FakeHub::start(Options {
        seed: Some(seed()),
        settings: Settings {
            tokens: vec![TokenSpec::parse(&format!("demo-admin:{DEMO_TOKEN}"))],
            // The demo applies ~80 writes at once; secondary limits would hold it a minute.
            secondary_limits: false,
            ..Default::default()
        },
        ..Default::default()
    })
    .await?;
    let db = if base.db == DEFAULT_DB {
        DEMO_DB.to_string()
    } else {
        base.db.clone()
    };
    if let Some(path) = db.strip_prefix("sqlite://") {
        // A demo starts clean: fakehub is new each time.
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{path}{suffix}"));
        }
    }
    let mut secret = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut secret);
    let secret = hex::encode(secret);
    let token_name = format!("demo-{}", &secret[..8]);
    let secret = crate::secret::Secret::from(secret.as_str());
    let mut config = GitHubConfig::new(&fh.url, DEMO_TOKEN);
    config.write_interval = Duration::from_millis(20);
    config.write_limits = WriteLimits::NONE;
    let repo = RepoName::parse(DEMO_REPO)?;
    let mut running = server::start(ServeOptions {
        db: db.clone(),
        github: Some(config.clone()),
        webhook_secrets: vec![secret.clone()],
        scope: RepoScope::new(vec![RepoPattern::One(repo.clone())]),
        ..base
    })
    .await?;
    let gh = Arc::new(GitHub::new(config, Some(running.store.clone()))?);
    let report = Syncer::new(running.store.clone(), gh.clone())
        .sync(&repo, SyncKind::Full)
        .await?;
    install_hook(&gh, &repo, &running.url(), &secret).await?;
    let (plan, applied) = govern(&running.store, &gh).await?;
    let (_, token) = running.store.create_token(&token_name, Scope::Read).await?;
    let url = running.url();
    println!("ghgov demo is running");
    println!("  API:        {url}/api/v1  (OpenAPI: {url}/api/v1/openapi.json)");
    println!("  health:     {url}/health   metrics: {url}/metrics");
    println!(
        "  GitHub:     fakehub at {} (token {DEMO_TOKEN}), repository {DEMO_REPO}",
        fh.url
    );
    println!("  database:   {db}");
    println!("  mirrored:   {}", report.summary());
    println!(
        "  governed:   examples/project-spec.yml applied to {DEMO_REPO}: {} ({})",
        applied.summary_line(),
        plan.summary_line()
    );
    println!("  try:        curl -H 'Authorization: Bearer {token}' '{url}/api/v1/issues?repo={DEMO_REPO}&state=open&per_page=5'");
    println!("  compliance: curl -H 'Authorization: Bearer {token}' '{url}/api/v1/governance/compliance/{DEMO_REPO}'");
    println!("  edit an issue in fakehub and watch the webhook update the mirror:");
    println!("              curl -X PATCH -H 'Authorization: token {DEMO_TOKEN}' -d '{{\"state\":\"closed\"}}' {}/repos/{DEMO_REPO}/issues/1", fh.url);
    println!("read token (Ctrl-C stops the demo):");
    println!("{token}");
    let stop = running.stop_handle();
    shutdown_signal().await;
    if let Some(s) = stop {
        let _ = s.send(());
    }
    running.wait().await;
    fh.shutdown().await;
    Ok(())
}
