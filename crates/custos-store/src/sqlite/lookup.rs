//! The audit trail's lookup tables in a database file of their own.
//!
//! SQLite has one write lock per database file. With the lookup tables in the
//! trail's file, every indexing round (thousands of sorted inserts) held the lock
//! the appends need, and under load the rounds took about half of the writer's
//! time (BENCHMARKS.md, issue 3). In a second file, attached to every connection as
//! `lookup`, a round takes only that file's lock: it reads the entries from a
//! snapshot of the trail's file while appends go on, on the other core.
//!
//! The file holds derived data only (design record 0013, addendum): verification
//! never reads it, and it can be rebuilt from the entries at any time. Its
//! watermark row carries the hash of the entry it reaches (`anchor`); when the
//! trail's file no longer holds that entry with that hash (a restored copy of
//! one file without the other, a pruned watermark), the lookups are emptied on
//! open and rebuilt by the indexer, so a stale file can never hide an entry from
//! a filtered query.

use std::path::{Path, PathBuf};

use sqlx::SqliteConnection;

use crate::StoreError;

/// Creates the lookup tables in the file attached as `lookup` if they are missing. The file
/// is WAL like the trail's; `synchronous = NORMAL` because a round lost to a power
/// cut loses its watermark with it, and is simply indexed again.
pub(crate) const SETUP_SQL: &str = "PRAGMA lookup.journal_mode = WAL;
PRAGMA lookup.synchronous = NORMAL;
CREATE TABLE IF NOT EXISTS lookup.audit_lookup_time (
    time_ms  INTEGER NOT NULL,
    seq      INTEGER NOT NULL,
    PRIMARY KEY (time_ms, seq)
) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS lookup.audit_lookup_actor (
    actor  TEXT    NOT NULL,
    seq    INTEGER NOT NULL,
    PRIMARY KEY (actor, seq)
) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS lookup.audit_lookup_action (
    action  TEXT    NOT NULL,
    seq     INTEGER NOT NULL,
    PRIMARY KEY (action, seq)
) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS lookup.audit_lookup_target (
    target_kind  TEXT    NOT NULL,
    target_id    TEXT    NOT NULL,
    seq          INTEGER NOT NULL,
    PRIMARY KEY (target_kind, target_id, seq)
) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS lookup.audit_lookup_state (
    singleton  INTEGER PRIMARY KEY CHECK (singleton = 1),
    seq        INTEGER NOT NULL,
    anchor     BLOB
) STRICT;
INSERT OR IGNORE INTO lookup.audit_lookup_state (singleton, seq) VALUES (1, 0);";

/// The lookup file beside the trail's database file `main` (`custos.db` →
/// `custos.db.audit-lookup`); an in-memory database gets an in-memory one.
pub fn lookup_path(main: &Path) -> PathBuf {
    if main.as_os_str().is_empty() || main == Path::new(":memory:") {
        return PathBuf::from(":memory:");
    }
    super::beside(main, ".audit-lookup")
}

/// Attaches the lookup file to a fresh sqlx connection and makes sure its tables exist.
pub(crate) async fn attach(connection: &mut SqliteConnection, path: &Path) -> sqlx::Result<()> {
    sqlx::query("ATTACH DATABASE $1 AS lookup")
        .bind(path.to_string_lossy().into_owned())
        .execute(&mut *connection)
        .await?;
    sqlx::raw_sql(SETUP_SQL).execute(connection).await?;
    Ok(())
}

/// Whether the watermark's entry is missing or is another entry than the one
/// the lookups were built from.
const STALE_SQL: &str = "SELECT s.seq FROM audit_lookup_state s WHERE s.seq > 0 AND NOT EXISTS \
     (SELECT 1 FROM audit_entries e WHERE e.seq = s.seq AND e.hash = s.anchor)";

/// Empties the lookups for a rebuild.
const RESET_SQL: &str = "DELETE FROM audit_lookup_time; DELETE FROM audit_lookup_actor; \
     DELETE FROM audit_lookup_action; DELETE FROM audit_lookup_target; \
     UPDATE audit_lookup_state SET seq = 0, anchor = NULL WHERE singleton = 1;";

/// Empties the lookup tables if they do not belong to the trail beside them.
/// Returns whether they were reset.
pub(crate) async fn reset_if_stale(pool: &sqlx::SqlitePool) -> Result<bool, StoreError> {
    let stale: Option<i64> = sqlx::query_scalar(STALE_SQL)
        .fetch_optional(pool)
        .await
        .map_err(StoreError::query("check the audit lookups"))?;
    let Some(watermark) = stale else {
        return Ok(false);
    };
    tracing::warn!(
        watermark,
        "the audit lookup file does not match the trail beside it; it is emptied and rebuilt"
    );
    let mut tx = pool
        .begin()
        .await
        .map_err(StoreError::query("reset the audit lookups"))?;
    sqlx::raw_sql(RESET_SQL)
        .execute(&mut *tx)
        .await
        .map_err(StoreError::query("reset the audit lookups"))?;
    tx.commit()
        .await
        .map_err(StoreError::query("reset the audit lookups"))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::lookup_path;

    #[test]
    fn the_lookup_file_sits_beside_the_trail() {
        assert_eq!(
            lookup_path(Path::new("/var/lib/custos/custos.db")),
            Path::new("/var/lib/custos/custos.db.audit-lookup")
        );
        assert_eq!(
            lookup_path(Path::new("custos.db")),
            Path::new("custos.db.audit-lookup")
        );
        assert_eq!(lookup_path(Path::new(":memory:")), Path::new(":memory:"));
        assert_eq!(lookup_path(Path::new("")), Path::new(":memory:"));
    }
}
