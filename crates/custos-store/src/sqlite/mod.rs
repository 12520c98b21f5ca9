//! The embedded SQLite store: one file in the data directory, WAL journal,
//! foreign keys on, a busy timeout instead of immediate lock errors, and
//! `synchronous = FULL` so an acknowledged write survives a power cut. The audit
//! trail lives in a second file beside it (`trail.rs`) and the trail's lookup
//! tables in a third (`lookup.rs`), both attached to every connection.

mod direct;
mod lookup;
mod trail;

pub(crate) use direct::Direct;
pub use lookup::lookup_path;
pub use trail::trail_path;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

crate::sql::accounts::impl_account_store!(SqliteStore, sqlx::Sqlite);
crate::sql::audit::impl_audit_store!(SqliteStore, sqlx::Sqlite);
crate::sql::instance::impl_instance_store!(SqliteStore);
crate::sql::invitations::impl_invitation_store!(SqliteStore, sqlx::Sqlite);
crate::sql::passkeys::impl_passkey_store!(SqliteStore);
crate::sql::vault::impl_vault_store!(SqliteStore);
crate::sql::detection::impl_detection_store!(SqliteStore);
crate::sql::conversation::impl_conversation_store!(SqliteStore, sqlx::Sqlite);

use crate::{DatabaseUrl, StoreError, StoreOptions, migrations};

/// How long a writer waits for another writer's lock before failing.
pub(super) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A store on an SQLite database file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pub(crate) pool: SqlitePool,
    /// The hot paths' own connections; none for an in-memory database, which
    /// cannot be shared between drivers.
    direct: Option<Arc<Direct>>,
}

impl SqliteStore {
    /// Opens the file named by `url` (creating it and its directory) and migrates it.
    pub async fn open(url: &DatabaseUrl, options: &StoreOptions) -> Result<Self, StoreError> {
        let path = url.sqlite_path();
        if let Some(parent) = path.as_deref().and_then(Path::parent)
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(StoreError::File)?;
        }
        let memory = path
            .as_deref()
            .is_none_or(|p| in_memory(p, url.expose_secret()));
        let lookup = match &path {
            Some(p) if !memory => lookup_path(p),
            _ => PathBuf::from(":memory:"),
        };
        // An in-memory database keeps its trail in itself: an attached in-memory
        // file would be another one on every connection.
        let trail = path.as_deref().filter(|_| !memory).map(trail_path);
        let connect = SqliteConnectOptions::from_str(url.expose_secret())
            .map_err(StoreError::InvalidUrl)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            // Deleted rows (a shredded data key) are overwritten, not left in free pages.
            .pragma("secure_delete", "ON")
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(options.max_connections.max(1))
            // A local file connection does not go stale; pinging it before every use
            // would double the round trips to its worker thread.
            .test_before_acquire(false)
            .acquire_timeout(options.acquire_timeout)
            .after_connect({
                let lookup = lookup.clone();
                let trail = trail.clone();
                move |connection, _| {
                    let lookup = lookup.clone();
                    let trail = trail.clone();
                    Box::pin(async move {
                        if let Some(trail) = &trail {
                            trail::attach(connection, trail).await?;
                        }
                        lookup::attach(connection, &lookup).await
                    })
                }
            })
            .connect_with(connect)
            .await
            .map_err(StoreError::Unavailable)?;
        migrations::sqlite()
            .run(&pool)
            .await
            .map_err(StoreError::Migration)?;
        if let (Some(main), Some(trail)) = (&path, &trail) {
            trail::adopt(&pool, main, trail).await?;
        }
        lookup::reset_if_stale(&pool).await?;
        let direct = path
            .zip(trail)
            .filter(|_| options.sqlite_direct)
            .map(|(main, trail)| Arc::new(Direct::new(&main, trail, lookup)));
        Ok(Self { pool, direct })
    }

    /// The direct connections, if this database has them.
    pub(crate) fn direct(&self) -> Option<&Arc<Direct>> {
        self.direct.as_ref()
    }

    /// Closes the pool and the direct connections.
    pub async fn close(&self) {
        if let Some(direct) = &self.direct {
            direct.close();
        }
        self.pool.close().await;
    }
}

/// The file named `main`'s file name with `suffix` appended, in the same directory.
fn beside(main: &Path, suffix: &str) -> PathBuf {
    let mut name = main.file_name().unwrap_or_default().to_owned();
    name.push(suffix);
    main.with_file_name(name)
}

/// Whether the URL names a database that lives only in its connection's memory.
fn in_memory(path: &Path, url: &str) -> bool {
    path.as_os_str().is_empty() || path == Path::new(":memory:") || url.contains("mode=memory")
}
