//! `ghgov sync`: one repository into the mirror, with a progress bar on a terminal.

use super::args::{DbArgs, GitHubArgs};
use crate::github::GitHub;
use crate::mirror::sync::{Progress, SyncKind, Syncer};
use crate::mirror::RepoName;
use crate::store::Store;
use clap::Args;
use std::io::IsTerminal;
use std::sync::Arc;

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

pub async fn run(args: SyncArgs) -> anyhow::Result<()> {
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
