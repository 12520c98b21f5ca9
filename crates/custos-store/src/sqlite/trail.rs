//! The audit trail in a database file of its own, attached to every connection
//! as `trail`.
//!
//! In WAL mode a connection keeps its page cache only while the file it caches
//! is unchanged: any commit to the file, by any connection, empties every other
//! connection's cache of that file at its next read. With the trail in the same
//! file as the customers, sessions and tokens, each audit group commit (about a
//! thousand a second under load) sent every request's lookups back to the file
//! for pages nothing had changed (BENCHMARKS.md, issue 5). In a file of its own,
//! the commits that record reads leave the data they record untouched.
//!
//! The trail's tables (`audit_entries`, `audit_head`, `audit_checkpoints`,
//! `audit_anchor`, `audit_cursors`) keep their names; SQL that names them without
//! a schema finds them in `trail`. The migrations still create them in the main
//! file; [`adopt`] moves them on open, in two steps that each write one file, so
//! a crash between them is finished on the next open and loses nothing. Once
//! moved, a missing or empty trail file stops the store from opening: a deleted
//! trail must never quietly restart from an empty one. Design record:
//! `docs/design/0014-audit-trail-file.md`.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, SqliteConnection, SqlitePool};

use crate::StoreError;

/// The tables of the audit trail, moved as a whole.
const TABLES: [&str; 5] = [
    "audit_entries",
    "audit_head",
    "audit_checkpoints",
    "audit_anchor",
    "audit_cursors",
];

/// The trail's file beside the database file `main` (`custos.db` →
/// `custos.db.audit-trail`).
pub fn trail_path(main: &Path) -> PathBuf {
    super::beside(main, ".audit-trail")
}

/// Attaches the trail's file to a fresh sqlx connection. Every append is durable
/// (`synchronous = FULL`, as in the main file).
pub(crate) async fn attach(connection: &mut SqliteConnection, path: &Path) -> sqlx::Result<()> {
    sqlx::query("ATTACH DATABASE $1 AS trail")
        .bind(path.to_string_lossy().into_owned())
        .execute(&mut *connection)
        .await?;
    sqlx::raw_sql("PRAGMA trail.synchronous = FULL;")
        .execute(connection)
        .await?;
    Ok(())
}

/// Whether the schema `schema` of the pool's connections holds the audit head.
async fn holds_trail(pool: &SqlitePool, schema: &str) -> Result<bool, StoreError> {
    let sql = format!("SELECT COUNT(*) FROM {schema}.sqlite_schema WHERE name = 'audit_head'");
    let count: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .fetch_one(pool)
        .await
        .map_err(StoreError::query("find the audit trail"))?;
    Ok(count > 0)
}

/// Moves the trail's tables from the main file (`main`) into the trail's file
/// (`trail`) if they are still in the main file, then checks that the trail's
/// file holds them.
pub(crate) async fn adopt(pool: &SqlitePool, main: &Path, trail: &Path) -> Result<(), StoreError> {
    if holds_trail(pool, "main").await? {
        if !holds_trail(pool, "trail").await? {
            copy_into_file(pool, main, trail).await?;
        }
        drop_from_main(pool).await?;
    }
    if holds_trail(pool, "trail").await? {
        Ok(())
    } else {
        Err(StoreError::Corrupt(
            "the audit trail file beside the database is missing or empty",
        ))
    }
}

/// Step one, writing only the trail's file: its tables created from the main
/// file's own definitions (so they match whatever the migrations made) and
/// filled with the main file's rows, in one transaction.
async fn copy_into_file(pool: &SqlitePool, main: &Path, trail: &Path) -> Result<(), StoreError> {
    const MOVE: &str = "move the audit trail to its own file";
    let placeholders = vec!["?"; TABLES.len()].join(", ");
    let mut definitions = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(format!(
        "SELECT sql FROM main.sqlite_schema WHERE tbl_name IN ({placeholders}) \
         AND sql IS NOT NULL ORDER BY type = 'trigger', rowid"
    )));
    for table in TABLES {
        definitions = definitions.bind(table);
    }
    let definitions = definitions
        .fetch_all(pool)
        .await
        .map_err(StoreError::query(MOVE))?;

    let mut file = SqliteConnectOptions::from_str("sqlite://")
        .map_err(StoreError::InvalidUrl)?
        .filename(trail)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .pragma("secure_delete", "ON")
        .busy_timeout(super::BUSY_TIMEOUT)
        .connect()
        .await
        .map_err(StoreError::Unavailable)?;
    let moved = async {
        sqlx::query("ATTACH DATABASE $1 AS source")
            .bind(main.to_string_lossy().into_owned())
            .execute(&mut file)
            .await?;
        let mut tx = file.begin().await?;
        for definition in &definitions {
            sqlx::raw_sql(sqlx::AssertSqlSafe(definition.clone()))
                .execute(&mut *tx)
                .await?;
        }
        for table in TABLES {
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "INSERT INTO main.{table} SELECT * FROM source.{table}"
            )))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await
    }
    .await;
    let _ = file.close().await;
    moved.map_err(StoreError::query(MOVE))
}

/// Step two, writing only the main file: its copies of the trail's tables go
/// (their triggers with them; dropping a table fires none).
async fn drop_from_main(pool: &SqlitePool) -> Result<(), StoreError> {
    let dropped = async {
        let mut tx = pool.begin().await?;
        for table in TABLES {
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP TABLE main.{table}")))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await
    }
    .await;
    dropped.map_err(StoreError::query("drop the moved audit tables"))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::trail_path;

    #[test]
    fn the_trail_file_sits_beside_the_database() {
        assert_eq!(
            trail_path(Path::new("/var/lib/custos/custos.db")),
            Path::new("/var/lib/custos/custos.db.audit-trail")
        );
        assert_eq!(
            trail_path(Path::new("custos.db")),
            Path::new("custos.db.audit-trail")
        );
    }
}
