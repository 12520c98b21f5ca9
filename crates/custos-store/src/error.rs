//! The one error type of the storage layer.
//!
//! Messages name what failed, never the SQL, the parameters or a credential, so
//! they are safe to log. The underlying driver error is kept as the source for
//! operators who enable debug logging of the store.

use thiserror::Error;

/// Why a storage operation failed.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The database could not be reached or a connection could not be had in time.
    #[error("the database is unavailable")]
    Unavailable(#[source] sqlx::Error),
    /// Applying the schema migrations failed.
    #[error("database migration failed")]
    Migration(#[source] sqlx::migrate::MigrateError),
    /// A query failed for another reason.
    #[error("database query failed during {operation}")]
    Query {
        /// What the store was doing, in a few words.
        operation: &'static str,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// A query on the embedded store's direct connections failed.
    #[error("database query failed during {operation}")]
    Embedded {
        /// What the store was doing, in a few words.
        operation: &'static str,
        /// The driver's error.
        #[source]
        source: rusqlite::Error,
    },
    /// A unique name is already taken.
    #[error("{0} already exists")]
    Conflict(&'static str),
    /// The database holds something this version cannot read.
    #[error("the database holds invalid data: {0}")]
    Corrupt(&'static str),
    /// The database URL was refused by the driver.
    #[error("the database URL is invalid")]
    InvalidUrl(#[source] sqlx::Error),
    /// The SQLite file or its directory could not be prepared.
    #[error("cannot prepare the database file: {0}")]
    File(#[source] std::io::Error),
}

impl StoreError {
    /// Wraps a driver error raised while doing `operation`.
    pub(crate) fn query(operation: &'static str) -> impl FnOnce(sqlx::Error) -> Self {
        move |source| match source {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                Self::Unavailable(source)
            }
            source => Self::Query { operation, source },
        }
    }
}
