//! ghgov's storage layer. Storage on SQLite (default) or PostgreSQL, chosen by the URL scheme. One set of queries
//! serves both through sqlx's `Any` driver; the schema differs only where the databases do
//! (identity columns), in versioned migrations per backend applied at start-up.

mod admissions;
pub mod conflicts;
mod deliveries;
mod etags;
pub mod events;
pub mod governance;
pub mod issue_reads;
mod names;
pub mod operations;
pub mod planning_reads;
pub mod projector;
pub mod records;
pub mod resource_reads;
pub mod rollup;
pub mod single_flight;
pub mod sql;
mod sync_ops;
pub mod sync_reads;
mod tokens;
pub mod tracking;

pub use deliveries::{mark_delivery, DeliveryRow, DeliveryStatus, NewDelivery, Requeue};
pub use names::RepoName;
/// The database's error, for callers that convert it into their own.
pub use sqlx::Error as DbError;
pub use sync_ops::{save_cursor, SyncCursor, SyncOperation, SyncStatus};
pub use tokens::{Scope, TokenRow};

use anyhow::Context;
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Store {
    /// Private: the rest of ghgov reaches the database through the store's methods only.
    pool: AnyPool,
    pub backend: Backend,
    /// The database URL (without password), which names this store in process-wide locks.
    pub name: Arc<str>,
    /// SQLite takes one writer at a time. Writers of this process queue here, in order,
    /// instead of meeting SQLite's busy handler (which sleeps and retries).
    write_lock: Arc<tokio::sync::Mutex<()>>,
    /// Issue-list totals and orders per filter, kept until the mirror changes.
    list_cache: Arc<issue_reads::ListCache>,
    /// The status workflow of each repository, per configuration version.
    workflows: Arc<tracking::WorkflowCache>,
}

/// A write transaction, holding the store's write turn until it commits or is dropped.
pub struct WriteTx {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
    /// Whether the transaction changes mirrored data (see [`Store::mirror_version`]).
    changes_mirror: bool,
    /// Recorded with the status changes its mirror writes make.
    provenance: tracking::Provenance,
    workflows: Arc<tracking::WorkflowCache>,
    /// Domain events of this transaction, written by its commit (see [`events`]).
    events: Vec<events::PendingEvent>,
    /// Its issues are as GitHub confirmed them to ghgov's writer.
    confirmed: bool,
}

impl WriteTx {
    /// Commits; a transaction that changed mirrored data also moves the mirror's version,
    /// in the same transaction, so no reader sees the new data with the old version.
    pub async fn commit(mut self) -> Result<(), sqlx::Error> {
        if self.changes_mirror {
            sqlx::query("UPDATE mirror_version SET version = version + 1 WHERE id = 1")
                .execute(&mut *self.tx)
                .await?;
        }
        // Last, so the events' lock is held only for the commit itself.
        events::flush(&mut self.tx, &self.events).await?;
        self.tx.commit().await
    }
}

impl std::ops::Deref for WriteTx {
    type Target = sqlx::Transaction<'static, sqlx::Any>;
    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Writes the path of a SQLite URL so sqlx creates the file when it is missing.
fn sqlite_url(url: &str) -> String {
    if url.contains('?') {
        url.to_string()
    } else {
        format!("{url}?mode=rwc")
    }
}

/// The file of a SQLite URL (`sqlite://PATH`, `sqlite:PATH`, with or without `?options`);
/// None for an in-memory database.
fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then(|| path.into())
}

/// Creates a missing SQLite file readable and writable by its owner only: it holds the
/// organisation's GitHub data and token hashes. SQLite gives its -wal and -shm files the
/// same permissions. An existing file that others can read is reported, not changed.
fn create_private(url: &str) -> anyhow::Result<()> {
    let Some(path) = sqlite_file(url) else {
        return Ok(());
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
        {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                if let Ok(meta) = std::fs::metadata(&path) {
                    let mode = meta.permissions().mode() & 0o777;
                    if mode & 0o077 != 0 {
                        tracing::warn!(
                            "the database {} can be read by other users (mode {mode:o}); run chmod 600 on it",
                            path.display()
                        );
                    }
                }
            }
            Err(e) => {
                return Err(anyhow::anyhow!(
                    "cannot create the database file {}: {e}",
                    path.display()
                ))
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

impl Store {
    /// Connects to `sqlite://PATH` or `postgres://…`.
    pub async fn connect(url: &str) -> anyhow::Result<Store> {
        sqlx::any::install_default_drivers();
        let (backend, url) = if url.starts_with("sqlite:") {
            create_private(url)?;
            (Backend::Sqlite, sqlite_url(url))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            (Backend::Postgres, url.to_string())
        } else {
            anyhow::bail!("unsupported database URL '{url}': use sqlite://PATH (the default is sqlite://ghgov.db) or postgres://USER@HOST/DB");
        };
        let options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(30));
        let pool = match backend {
            Backend::Sqlite => {
                options
                    // SQLite takes one writer at a time; a few connections serve the readers.
                    .max_connections(8)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            // WAL lets readers run beside the writer. FULL syncs every commit
                            // to disk, so an acknowledged webhook survives even a power cut;
                            // deliveries are committed in batches, which keeps that cheap.
                            conn.execute("PRAGMA journal_mode = WAL").await?;
                            conn.execute("PRAGMA synchronous = FULL").await?;
                            conn.execute("PRAGMA busy_timeout = 10000").await?;
                            // 4 MB of page cache per connection keeps the server small; the
                            // operating system's cache holds the rest of the file.
                            conn.execute("PRAGMA cache_size = -4000").await?;
                            Ok(())
                        })
                    })
                    .connect(&url)
                    .await
            }
            Backend::Postgres => options.max_connections(16).connect(&url).await,
        }
        .with_context(|| format!("cannot open the database at {}", redact(&url)))?;
        Ok(Store {
            pool,
            backend,
            name: redact(&url).into(),
            write_lock: Arc::new(tokio::sync::Mutex::new(())),
            list_cache: Arc::default(),
            workflows: Arc::default(),
        })
    }

    /// Connects and applies every pending migration.
    pub async fn open(url: &str) -> anyhow::Result<Store> {
        let store = Self::connect(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    pub async fn migrate(&self) -> anyhow::Result<()> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator
            .run(&self.pool)
            .await
            .context("applying database migrations")?;
        self.rebuild_rollups_if_pending().await?;
        Ok(())
    }

    /// Versions of the applied migrations.
    pub async fn migrations(&self) -> anyhow::Result<Vec<i64>> {
        Ok(
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// A transaction that writes, but not mirrored data (deliveries, tokens, cursors,
    /// governance records): its commit leaves [`Store::mirror_version`] alone. Writers of
    /// mirrored data use [`Store::begin_mirror_write`], or [`WriteTx::mirror`] here.
    pub async fn begin_write(&self) -> Result<WriteTx, sqlx::Error> {
        self.begin(false).await
    }

    /// A transaction that writes mirrored data (repositories, issues, labels, milestones,
    /// comments, sub-issues, dependencies): its commit moves [`Store::mirror_version`].
    /// The projector writes through its [`WriteTx::mirror`].
    pub async fn begin_mirror_write(&self) -> Result<WriteTx, sqlx::Error> {
        self.begin(true).await
    }

    /// On SQLite a write transaction waits for this process's write turn and then takes the
    /// write lock at once (`BEGIN IMMEDIATE`): a transaction that reads first and upgrades
    /// later would fail with "database is locked" instead of waiting.
    async fn begin(&self, changes_mirror: bool) -> Result<WriteTx, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => {
                let turn = self.write_lock.clone().lock_owned().await;
                Ok(WriteTx {
                    tx: self.pool.begin_with("BEGIN IMMEDIATE").await?,
                    _turn: Some(turn),
                    changes_mirror,
                    provenance: tracking::Provenance::default(),
                    workflows: self.workflows.clone(),
                    events: Vec::new(),
                    confirmed: false,
                })
            }
            Backend::Postgres => Ok(WriteTx {
                tx: self.pool.begin().await?,
                _turn: None,
                changes_mirror,
                provenance: tracking::Provenance::default(),
                workflows: self.workflows.clone(),
                events: Vec::new(),
                confirmed: false,
            }),
        }
    }

    /// The mirror's change counter: it moves with every committed write of mirrored data
    /// (see [`WriteTx::commit`]), and only then, so read caches keyed by it (the issues API)
    /// survive writes that leave the mirror as it was (a stored delivery, a used token).
    pub async fn mirror_version(&self) -> anyhow::Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT version FROM mirror_version WHERE id = 1")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Brings the query planner's statistics and PostgreSQL's visibility map up to date after
    /// a bulk load. PostgreSQL would get round to it itself, later; until then it may sort
    /// thousands of rows where an index would serve, and read table rows where the index
    /// alone would do (measured: a deep page of the issue list 5.9 ms before, 0.6 ms after).
    /// SQLite plans these queries well without statistics (and with them once chose a full
    /// scan for the label filter), so it is left alone.
    pub async fn refresh_statistics(&self) -> anyhow::Result<()> {
        if self.backend == Backend::Postgres {
            // VACUUM runs outside a transaction; a pool connection is not in one.
            sqlx::query("VACUUM (ANALYZE) issues, issue_labels, issue_assignees, labels, milestones, repositories, comments")
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// The connection pool, for ghgov's tests that look under the hood. Only with the
    /// feature `test-support`, which only ghgov's dev-dependency enables: the product build
    /// does not see the pool.
    #[cfg(feature = "test-support")]
    #[doc(hidden)]
    pub fn pool_for_tests(&self) -> &AnyPool {
        &self.pool
    }

    pub async fn ping(&self) -> anyhow::Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Now, in the format every timestamp column uses.
pub fn now_text() -> String {
    timestamp(chrono::Utc::now())
}

/// The one format of every stored timestamp: RFC 3339, UTC, whole seconds, as GitHub writes
/// them. Fixed width, so text order is time order (the mirror compares them as text).
pub const TIMESTAMP_FORMAT: &str = "%Y-%m-%dT%H:%M:%SZ";

/// A time in the format every timestamp column uses ([`TIMESTAMP_FORMAT`]).
pub fn timestamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format(TIMESTAMP_FORMAT).to_string()
}

/// A stored timestamp moved `seconds` earlier, in the same format (unchanged when it does
/// not parse).
pub fn seconds_before(at: &str, seconds: i64) -> String {
    chrono::DateTime::parse_from_rfc3339(at)
        .map(|t| timestamp((t - chrono::Duration::seconds(seconds)).with_timezone(&chrono::Utc)))
        .unwrap_or_else(|_| at.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite://x.db"), "sqlite://x.db");
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_new_sqlite_file_is_private_to_its_owner() {
        use std::os::unix::fs::PermissionsExt;
        let dir =
            std::env::temp_dir().join(format!("ghgov-perm-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("x.db");
        let store = Store::open(&format!("sqlite://{}", db.display()))
            .await
            .unwrap();
        store.create_token("t", Scope::Read).await.unwrap();
        for file in ["x.db", "x.db-wal", "x.db-shm"] {
            let mode = std::fs::metadata(dir.join(file))
                .unwrap()
                .permissions()
                .mode()
                & 0o777;
            assert_eq!(mode, 0o600, "{file} has mode {mode:o}");
        }
        store.pool.close().await;
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn sqlite_files_are_found_in_every_url_form() {
        assert_eq!(
            sqlite_file("sqlite://a/b.db?mode=rwc"),
            Some("a/b.db".into())
        );
        assert_eq!(sqlite_file("sqlite:b.db"), Some("b.db".into()));
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://x/y"), None);
    }

    #[tokio::test]
    async fn unknown_schemes_are_refused_with_a_hint() {
        let err = Store::connect("mysql://x").await.err().unwrap().to_string();
        assert!(
            err.contains("sqlite://") && err.contains("postgres://"),
            "{err}"
        );
    }
}
