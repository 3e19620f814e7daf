//! `ghgov token create | list | revoke`.

use super::args::DbArgs;
use crate::store::{Scope, Store};
use clap::Subcommand;

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

pub async fn run(cmd: TokenCommand) -> anyhow::Result<()> {
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
