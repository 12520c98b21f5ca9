//! Storage for Custos: one set of storage traits and their two implementations,
//! an embedded SQLite store (the default) and a pooled PostgreSQL store.
//!
//! Services never see SQL or a backend type: they hold a [`Store`] and call the
//! methods of the domain traits ([`InstanceStore`], [`AuditStore`], …), which every backend
//! implements. Each backend keeps its own migration tree under `migrations/<backend>/`,
//! applied when the store is opened.

mod audit;
mod database_url;
mod error;
mod instance;
mod migrations;
mod postgres;
mod sqlite;

pub use audit::{AuditAnchor, AuditQuery, AuditStore};
pub use database_url::{Backend, DatabaseUrl, DatabaseUrlError};
pub use error::StoreError;
pub use instance::{InstanceInfo, InstanceStore, SetupTokenHash, UnixTime};
pub use postgres::PgStore;
pub use sqlite::SqliteStore;

/// Tuning for opening a store. The defaults suit a small contact center.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Upper bound of pooled connections (PostgreSQL; SQLite readers).
    pub max_connections: u32,
    /// How long a caller waits for a pooled connection before giving up.
    pub acquire_timeout: std::time::Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
            acquire_timeout: std::time::Duration::from_secs(5),
        }
    }
}

/// The store the server runs on: one of the backends, chosen by the database URL.
#[derive(Debug, Clone)]
pub enum Store {
    /// The embedded default.
    Sqlite(SqliteStore),
    /// Shared by several stateless nodes.
    Postgres(PgStore),
}

/// Forwards a call to whichever backend this store is.
macro_rules! dispatch {
    ($self:ident, $store:ident => $call:expr) => {
        match $self {
            Store::Sqlite($store) => $call,
            Store::Postgres($store) => $call,
        }
    };
}

impl Store {
    /// Opens (and creates, for SQLite) the database at `url` and applies pending migrations.
    pub async fn open(url: &DatabaseUrl, options: &StoreOptions) -> Result<Self, StoreError> {
        match url.backend() {
            Backend::Sqlite => Ok(Self::Sqlite(SqliteStore::open(url, options).await?)),
            Backend::Postgres => Ok(Self::Postgres(PgStore::open(url, options).await?)),
        }
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        match self {
            Self::Sqlite(_) => Backend::Sqlite,
            Self::Postgres(_) => Backend::Postgres,
        }
    }

    /// Closes every pooled connection, waiting for those in use to be returned.
    pub async fn close(&self) {
        dispatch!(self, s => s.close().await)
    }
}

impl InstanceStore for Store {
    async fn ping(&self) -> Result<(), StoreError> {
        dispatch!(self, s => s.ping().await)
    }

    async fn instance(&self, now: UnixTime) -> Result<InstanceInfo, StoreError> {
        dispatch!(self, s => s.instance(now).await)
    }

    async fn find_instance(&self) -> Result<Option<InstanceInfo>, StoreError> {
        dispatch!(self, s => s.find_instance().await)
    }

    async fn replace_setup_token(
        &self,
        token: &SetupTokenHash,
        issued_at: UnixTime,
        expires_at: UnixTime,
    ) -> Result<(), StoreError> {
        dispatch!(self, s => s.replace_setup_token(token, issued_at, expires_at).await)
    }

    async fn consume_setup_token(
        &self,
        token: &SetupTokenHash,
        now: UnixTime,
    ) -> Result<bool, StoreError> {
        dispatch!(self, s => s.consume_setup_token(token, now).await)
    }

    async fn mark_setup_complete(&self, now: UnixTime) -> Result<(), StoreError> {
        dispatch!(self, s => s.mark_setup_complete(now).await)
    }
}

impl AuditStore for Store {
    async fn append_audit(
        &self,
        pending: Vec<custos_audit::PendingEntry>,
        signer: &custos_audit::AuditSigner,
        instance: &str,
        now_ms: i64,
    ) -> Result<custos_audit::ChainHead, StoreError> {
        dispatch!(self, s => s.append_audit(pending, signer, instance, now_ms).await)
    }

    async fn audit_head(&self) -> Result<custos_audit::ChainHead, StoreError> {
        dispatch!(self, s => s.audit_head().await)
    }

    async fn audit_entries(
        &self,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<custos_audit::StoredEntry>, StoreError> {
        dispatch!(self, s => s.audit_entries(after_seq, limit).await)
    }

    async fn query_audit(
        &self,
        query: &AuditQuery,
    ) -> Result<Vec<custos_audit::StoredEntry>, StoreError> {
        dispatch!(self, s => s.query_audit(query).await)
    }

    async fn put_audit_checkpoint(
        &self,
        checkpoint: &custos_audit::SignedCheckpoint,
    ) -> Result<(), StoreError> {
        dispatch!(self, s => s.put_audit_checkpoint(checkpoint).await)
    }

    async fn audit_checkpoint_lines(&self) -> Result<Vec<String>, StoreError> {
        dispatch!(self, s => s.audit_checkpoint_lines().await)
    }

    async fn audit_anchor(&self) -> Result<Option<AuditAnchor>, StoreError> {
        dispatch!(self, s => s.audit_anchor().await)
    }

    async fn prune_audit(&self, anchor: &AuditAnchor) -> Result<u64, StoreError> {
        dispatch!(self, s => s.prune_audit(anchor).await)
    }

    async fn audit_cursor(&self, sink: &str) -> Result<u64, StoreError> {
        dispatch!(self, s => s.audit_cursor(sink).await)
    }

    async fn set_audit_cursor(&self, sink: &str, seq: u64, now_ms: i64) -> Result<(), StoreError> {
        dispatch!(self, s => s.set_audit_cursor(sink, seq, now_ms).await)
    }
}
