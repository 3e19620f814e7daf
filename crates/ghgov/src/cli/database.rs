//! Commands on the database alone: `ghgov migrate` and `ghgov prune`.

use super::args::DbArgs;
use crate::server;
use crate::store::Store;
use clap::Args;
use std::time::Duration;

pub async fn migrate(db: DbArgs) -> anyhow::Result<()> {
    let store = Store::open(&db.db).await?;
    println!(
        "database {} is at migration {:?}",
        crate::store::redact(&db.db),
        store.migrations().await?.last()
    );
    Ok(())
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

pub async fn prune(args: PruneArgs) -> anyhow::Result<()> {
    let store = Store::open(&args.db.db).await?;
    let keep = Duration::from_secs(args.retention_days * 86_400);
    let dropped = server::prune(&store, &crate::clock::system(), keep).await?;
    println!(
        "dropped the payloads of {dropped} deliveries finished more than {} days ago",
        args.retention_days
    );
    Ok(())
}
