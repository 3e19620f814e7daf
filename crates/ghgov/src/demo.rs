//! `ghgov serve --demo`: everything on one machine with nothing to set up. An in-process
//! fakehub plays GitHub with a seeded demo repository; ghgov mirrors it into SQLite, with
//! webhooks wired, and prints the URL and a ready read token.

use crate::cli::{install_hook, shutdown_signal, ServeArgs};
use crate::github::{GitHub, GitHubConfig};
use crate::mirror::sync::{SyncKind, Syncer};
use crate::mirror::RepoName;
use crate::server::{self, ServeOptions};
use crate::store::Scope;
use fakehub::{FakeHub, Generate, Options, SeedDoc, SeedRepo, Settings, TokenSpec};
use rand::RngCore;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

pub const DEMO_REPO: &str = "acme/demo";
const DEMO_TOKEN: &str = "demo-github-token";
const DEFAULT_DB: &str = "sqlite://ghgov.db";
const DEMO_DB: &str = "sqlite://ghgov-demo.db";

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
    }
}

/// A small Epic → Feature → Task tree with one dependency, made over fakehub's REST API
/// (so it looks exactly as GitHub would show it).
async fn build_hierarchy(gh: &GitHub) -> anyhow::Result<()> {
    let base = format!("/repos/{DEMO_REPO}");
    let create = |title: &str, labels: Vec<&str>| json!({"title": title, "labels": labels, "body": "Created by the ghgov demo."});
    let epic = gh
        .write(
            reqwest::Method::POST,
            &format!("{base}/issues"),
            &create("Epic: self-serve onboarding", vec!["enhancement"]),
        )
        .await?;
    let mut features = Vec::new();
    for name in ["Feature: sign-up flow", "Feature: welcome tour"] {
        let f = gh
            .write(
                reqwest::Method::POST,
                &format!("{base}/issues"),
                &create(name, vec!["enhancement"]),
            )
            .await?;
        gh.write(
            reqwest::Method::POST,
            &format!("{base}/issues/{}/sub_issues", epic["number"]),
            &json!({"sub_issue_id": f["id"]}),
        )
        .await?;
        for task in ["design", "build", "test"] {
            let t = gh
                .write(
                    reqwest::Method::POST,
                    &format!("{base}/issues"),
                    &create(
                        &format!("Task: {task} {}", name.trim_start_matches("Feature: ")),
                        vec![],
                    ),
                )
                .await?;
            gh.write(
                reqwest::Method::POST,
                &format!("{base}/issues/{}/sub_issues", f["number"]),
                &json!({"sub_issue_id": t["id"]}),
            )
            .await?;
        }
        features.push(f);
    }
    gh.write(
        reqwest::Method::POST,
        &format!(
            "{base}/issues/{}/dependencies/blocked_by",
            features[1]["number"]
        ),
        &json!({"issue_id": features[0]["id"]}),
    )
    .await?;
    Ok(())
}

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let fh = FakeHub::start(Options {
        seed: Some(seed()),
        settings: Settings {
            tokens: vec![TokenSpec::parse(&format!("demo-admin:{DEMO_TOKEN}"))],
            ..Default::default()
        },
        ..Default::default()
    })
    .await?;
    let db = if args.db.db == DEFAULT_DB {
        DEMO_DB.to_string()
    } else {
        args.db.db.clone()
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
    let mut config = GitHubConfig::new(&fh.url, DEMO_TOKEN);
    config.write_interval = Duration::from_millis(50);
    let repo = RepoName::parse(DEMO_REPO)?;
    let mut running = server::start(ServeOptions {
        listen: args.listen,
        db: db.clone(),
        github: Some(config.clone()),
        webhook_secrets: vec![secret.clone()],
        repos: vec![repo.clone()],
        reconcile_interval: Some(Duration::from_secs(args.reconcile_interval.max(1))),
        retry_base: Duration::from_secs(2),
    })
    .await?;
    let gh = Arc::new(GitHub::new(config, Some(running.store.clone()))?);
    let report = Syncer::new(running.store.clone(), gh.clone())
        .sync(&repo, SyncKind::Full)
        .await?;
    install_hook(&gh, &repo, &running.url(), &secret).await?;
    // Made after the hook exists, so these arrive in the mirror by webhook.
    build_hierarchy(&gh).await?;
    let (_, token) = running.store.create_token("demo", Scope::Read).await?;
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
    println!("  try:        curl -H 'Authorization: Bearer {token}' '{url}/api/v1/issues?repo={DEMO_REPO}&state=open&per_page=5'");
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
