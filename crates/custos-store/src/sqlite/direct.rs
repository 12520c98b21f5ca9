//! SQLite's hot paths on in-process connections, without sqlx's thread hop.
//!
//! sqlx runs each SQLite connection on a thread of its own, and every statement is
//! a round trip through channels to it: measured on the reference machine at about
//! 150–190 µs of CPU per query, mostly thread wake-ups (BENCHMARKS.md, issue 5).
//! The lookups every request makes — a session or a service token by its hash, a
//! customer with its fields, cards and open interactions, an interaction — run
//! here instead, on rusqlite connections used on the calling thread: a read from
//! SQLite's page cache takes microseconds, like any other CPU work a request does.
//! The two group commits (the audit trail's and the conversation entries') run
//! here too, each on a writer connection of its own on the blocking pool: one hop
//! per batch instead of one per statement. The audit writer opens the trail's file
//! (`trail.rs`) as its main database, so an append takes only that file's write
//! lock and never changes the file the readers cache. The audit indexer has a
//! connection of its own on the trail's file that writes only the attached lookup
//! file (`lookup.rs`), so its rounds never hold the trail's write lock.
//!
//! The connections open the same files as the sqlx pool with the same settings
//! (`synchronous = FULL`, `secure_delete`, foreign keys, a busy timeout; the files
//! are already in WAL mode). Readers are `query_only`, with the trail attached.
//! SQL text is shared with the sqlx implementations, and rows are decoded by the
//! same code (`columns.rs`). Design records: `docs/design/0012-sqlite-hot-paths.md`,
//! `docs/design/0014-audit-trail-file.md`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use custos_audit::{
    AuditSigner, ChainHead, PendingEntry, SignedCheckpoint, StoredEntry, seal_batch,
};
use rusqlite::{Connection, OpenFlags, params};
use uuid::Uuid;

use super::{BUSY_TIMEOUT, lookup};
use crate::StoreError;
use crate::accounts::{
    SESSION_BY_TOKEN_SQL, ServiceTokenRecord, SessionRecord, TOKEN_BY_HASH_SQL, UserRecord,
};
use crate::audit::{
    ADVANCE_HEAD_SQL, ADVANCE_LOOKUP_SQL, ENTRIES_AFTER_SQL, INSERT_ENTRY_SQL, LOCK_HEAD_SQL,
    LOCK_LOOKUP_SQL, LOOKUP_INSERT_SQL, LOOKUP_SEQ_SQL, LOOKUP_UPTO_SQL, PUT_CHECKPOINT_SQL,
    checkpoint_of, head_from_row, seq_param,
};
use crate::columns::{
    CustomerFold, decode_entry, decode_interaction, decode_service_token, session_with_user,
};
use crate::conversation::{
    EntryAppend, INSERT_ENTRY_SQL as INSERT_CONVERSATION_ENTRY_SQL, LAST_ENTRY_SEQ_SQL,
    REWRITE_ENTRY_SQL, TOUCH_OPEN_INTERACTION_SQL,
};
use crate::vault::{CUSTOMER_SQL, INTERACTION_BY_ID_SQL, InteractionRecord, StoredCustomer};

/// Idle reader connections kept open; more are opened under load and closed after.
const MAX_IDLE_READERS: usize = 8;

/// Direct connections to one SQLite file.
#[derive(Debug)]
pub(crate) struct Direct {
    path: PathBuf,
    trail: PathBuf,
    lookup: PathBuf,
    readers: Mutex<Vec<Connection>>,
    /// Writes the main file (conversation entries).
    writer: Mutex<Option<Connection>>,
    /// Writes the trail's file (audit appends).
    trail_writer: Mutex<Option<Connection>>,
    indexer: Mutex<Option<Connection>>,
}

/// Wraps a rusqlite error raised while doing `operation`.
fn embedded(operation: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |source| StoreError::Embedded { operation, source }
}

impl Direct {
    /// Direct connections to the database at `path` (already created, migrated
    /// and its trail moved), whose audit trail is in the file at `trail` and the
    /// trail's lookup tables in the file at `lookup`.
    pub(crate) fn new(path: &Path, trail: PathBuf, lookup: PathBuf) -> Self {
        Self {
            path: path.to_owned(),
            trail,
            lookup,
            readers: Mutex::new(Vec::new()),
            writer: Mutex::new(None),
            trail_writer: Mutex::new(None),
            indexer: Mutex::new(None),
        }
    }

    /// A connection to the database file at `path`, used on one thread at a time.
    fn connect(path: &Path) -> Result<Connection, StoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let connection =
            Connection::open_with_flags(path, flags).map_err(embedded("open database"))?;
        connection
            .busy_timeout(BUSY_TIMEOUT)
            .map_err(embedded("set busy timeout"))?;
        Ok(connection)
    }

    /// A reader: the main file with the trail's attached, both read-only.
    fn open_reader(&self) -> Result<Connection, StoreError> {
        let connection = Self::connect(&self.path)?;
        connection
            .execute(
                "ATTACH DATABASE ?1 AS trail",
                [self.trail.to_string_lossy()],
            )
            .map_err(embedded("attach the audit trail file"))?;
        connection
            .execute_batch("PRAGMA query_only = ON;")
            .map_err(embedded("configure connection"))?;
        Ok(connection)
    }

    /// A writer on the file at `path`, as durable as the sqlx pool's connections.
    fn open_writer(path: &Path) -> Result<Connection, StoreError> {
        let connection = Self::connect(path)?;
        connection
            .execute_batch(
                "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON;",
            )
            .map_err(embedded("configure connection"))?;
        Ok(connection)
    }

    /// The indexer's connection: the trail's file, never written through it, with
    /// the lookup file attached. A page cache of 16 MiB holds a round's B-tree
    /// pages, and statement journals stay in memory.
    fn open_indexer(&self) -> Result<Connection, StoreError> {
        let connection = Self::connect(&self.trail)?;
        connection
            .execute(
                "ATTACH DATABASE ?1 AS lookup",
                [self.lookup.to_string_lossy()],
            )
            .map_err(embedded("attach the audit lookup file"))?;
        connection
            .execute_batch(lookup::SETUP_SQL)
            .and_then(|()| {
                connection
                    .execute_batch("PRAGMA lookup.cache_size = -16384; PRAGMA temp_store = MEMORY;")
            })
            .map_err(embedded("configure the indexer connection"))?;
        Ok(connection)
    }

    /// Closes the direct connections, after a write under way (it holds the writer);
    /// a read under way returns its connection afterwards.
    pub(crate) fn close(&self) {
        self.readers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        *self.writer.lock().unwrap_or_else(PoisonError::into_inner) = None;
        *self
            .trail_writer
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = None;
        *self.indexer.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// Runs `read` on an idle reader connection (or a new one), on this thread.
    fn read<T>(
        &self,
        read: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let idle = self
            .readers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let connection = match idle {
            Some(connection) => connection,
            None => self.open_reader()?,
        };
        let result = read(&connection);
        let mut readers = self.readers.lock().unwrap_or_else(PoisonError::into_inner);
        if readers.len() < MAX_IDLE_READERS {
            readers.push(connection);
        }
        result
    }

    /// The first row `sql` returns for `params`, decoded; on this thread.
    fn first_row<T>(
        &self,
        operation: &'static str,
        sql: &str,
        params: impl rusqlite::Params,
        decode: impl FnOnce(&rusqlite::Row<'_>) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        self.read(|connection| {
            let mut statement = connection
                .prepare_cached(sql)
                .map_err(embedded(operation))?;
            let mut rows = statement.query(params).map_err(embedded(operation))?;
            match rows.next().map_err(embedded(operation))? {
                Some(row) => decode(row).map(Some),
                None => Ok(None),
            }
        })
    }

    /// The live session with this token hash, and its person.
    pub(crate) fn session_by_token(
        &self,
        token_hash: &[u8; 32],
    ) -> Result<Option<(SessionRecord, UserRecord)>, StoreError> {
        self.first_row(
            "read session",
            SESSION_BY_TOKEN_SQL,
            [token_hash.as_slice()],
            |row| session_with_user(row),
        )
    }

    /// The service token with this hash.
    pub(crate) fn service_token_by_hash(
        &self,
        token_hash: &[u8; 32],
    ) -> Result<Option<ServiceTokenRecord>, StoreError> {
        self.first_row(
            "read service token",
            TOKEN_BY_HASH_SQL,
            [token_hash.as_slice()],
            |row| decode_service_token(row),
        )
    }

    /// One interaction by id.
    pub(crate) fn interaction(&self, id: Uuid) -> Result<Option<InteractionRecord>, StoreError> {
        self.first_row("read interaction", INTERACTION_BY_ID_SQL, [id], |row| {
            decode_interaction(row)
        })
    }

    /// A customer with their fields, cards and open interactions.
    pub(crate) fn customer(&self, id: Uuid) -> Result<Option<StoredCustomer>, StoreError> {
        self.read(|connection| {
            let mut statement = connection
                .prepare_cached(CUSTOMER_SQL)
                .map_err(embedded("read customer"))?;
            let mut rows = statement.query([id]).map_err(embedded("read customer"))?;
            let mut fold = CustomerFold::default();
            while let Some(row) = rows.next().map_err(embedded("read customer"))? {
                fold.add(id, row)?;
            }
            Ok(fold.finish())
        })
    }

    /// Up to `limit` audit entries after `after_seq`, in order. A page is thousands
    /// of rows (the detection loop, the forwarders, verification and export read
    /// the trail this way), so it is read on the blocking pool, not on the caller's
    /// thread.
    pub(crate) async fn audit_entries(
        self: Arc<Self>,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<StoredEntry>, StoreError> {
        tokio::task::spawn_blocking(move || {
            self.read(|connection| {
                let operation = "read audit entries";
                let mut statement = connection
                    .prepare_cached(ENTRIES_AFTER_SQL)
                    .map_err(embedded(operation))?;
                let mut rows = statement
                    .query(params![seq_param(after_seq), i64::from(limit)])
                    .map_err(embedded(operation))?;
                let mut entries = Vec::new();
                while let Some(row) = rows.next().map_err(embedded(operation))? {
                    entries.push(decode_entry(row)?);
                }
                Ok(entries)
            })
        })
        .await
        .map_err(|_| StoreError::Corrupt("a read task ended abnormally"))?
    }

    /// Runs `write` in one IMMEDIATE transaction on a writer connection (the
    /// trail's file's if `trail`, else the main file's), on the blocking pool (the
    /// commit waits for the disk). IMMEDIATE takes the file's write lock first, so
    /// writers in every process serialize at the start.
    async fn write<T: Send + 'static>(
        self: Arc<Self>,
        trail: bool,
        operation: &'static str,
        write: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        tokio::task::spawn_blocking(move || {
            let (slot, path) = if trail {
                (&self.trail_writer, &self.trail)
            } else {
                (&self.writer, &self.path)
            };
            let mut writer = slot.lock().unwrap_or_else(PoisonError::into_inner);
            if writer.is_none() {
                *writer = Some(Self::open_writer(path)?);
            }
            let Some(connection) = writer.as_ref() else {
                return Err(StoreError::Corrupt("no writer connection"));
            };
            in_transaction(connection, "BEGIN IMMEDIATE", operation, write)
        })
        .await
        .map_err(|_| StoreError::Corrupt("a write task ended abnormally"))?
    }

    /// Appends a batch of audit entries in one durable transaction.
    pub(crate) async fn append_audit(
        self: Arc<Self>,
        pending: Vec<PendingEntry>,
        signer: AuditSigner,
        instance: String,
        now_ms: i64,
        checkpoint: bool,
    ) -> Result<(ChainHead, Option<SignedCheckpoint>), StoreError> {
        self.write(true, "append audit entries", move |tx| {
            append_audit_in(tx, pending, &signer, &instance, now_ms, checkpoint)
        })
        .await
    }

    /// [`crate::AuditStore::index_audit`] on the indexer's connection, on the
    /// blocking pool. Its transaction is DEFERRED: it reads the entries from a
    /// snapshot and takes only the lookup file's write lock (IMMEDIATE would take
    /// every attached file's, the trail's included).
    pub(crate) async fn index_audit(self: Arc<Self>, max_entries: u32) -> Result<u64, StoreError> {
        tokio::task::spawn_blocking(move || {
            let mut indexer = self.indexer.lock().unwrap_or_else(PoisonError::into_inner);
            if indexer.is_none() {
                *indexer = Some(self.open_indexer()?);
            }
            let Some(connection) = indexer.as_ref() else {
                return Err(StoreError::Corrupt("no indexer connection"));
            };
            let indexed = connection
                .prepare_cached(LOOKUP_SEQ_SQL)
                .and_then(|mut s| s.query_row([], |row| row.get(0)))
                .map_err(embedded("read the audit lookup watermark"))?;
            if lookup_upto(connection, indexed, max_entries)? == indexed {
                return Ok(u64::try_from(indexed).unwrap_or(0));
            }
            in_transaction(connection, "BEGIN", "index audit entries", |tx| {
                index_round(tx, max_entries)
            })
        })
        .await
        .map_err(|_| StoreError::Corrupt("an indexing task ended abnormally"))?
    }

    /// [`crate::ConversationStore::append_batch`] in one durable transaction.
    pub(crate) async fn append_entries(
        self: Arc<Self>,
        appends: &mut [EntryAppend],
    ) -> Result<Vec<bool>, StoreError> {
        let mut owned = appends.to_vec();
        let (stored, owned) = self
            .write(false, "append conversation entries", move |tx| {
                let stored = append_entries_in(tx, &mut owned)?;
                Ok((stored, owned))
            })
            .await?;
        for (append, done) in appends.iter_mut().zip(owned) {
            append.entries = done.entries;
        }
        Ok(stored)
    }
}

/// Runs `write` between `begin` and `COMMIT`, rolling back if anything
/// fails. The three statements come from the connection's statement cache:
/// rusqlite's `Transaction` prepares them anew every time, which cost more per
/// batch than sealing it (BENCHMARKS.md, issue 3).
fn in_transaction<T>(
    connection: &Connection,
    begin: &'static str,
    operation: &'static str,
    write: impl FnOnce(&Connection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let run = |sql: &str| {
        connection
            .prepare_cached(sql)
            .and_then(|mut statement| statement.execute([]))
            .map_err(embedded(operation))
    };
    if !connection.is_autocommit() {
        // Only a write that panicked half-way leaves a transaction open; its
        // statements must not become part of this one.
        run("ROLLBACK")?;
    }
    run(begin)?;
    let done = write(connection).and_then(|done| run("COMMIT").map(|_| done));
    if done.is_err() && !connection.is_autocommit() {
        // Nothing of a failed batch may stay; a failed ROLLBACK leaves SQLite to
        // roll the transaction back when the connection closes.
        let _ = run("ROLLBACK");
    }
    done
}

/// The last stored entry among the `max_entries` after `indexed`.
fn lookup_upto(connection: &Connection, indexed: i64, max_entries: u32) -> Result<i64, StoreError> {
    connection
        .prepare_cached(LOOKUP_UPTO_SQL)
        .and_then(|mut s| s.query_row(params![indexed, i64::from(max_entries)], |row| row.get(0)))
        .map_err(embedded("find the audit entries to index"))
}

/// One indexing round: the entries after the watermark, at most `max_entries`,
/// into each lookup table; returns the new watermark.
fn index_round(tx: &Connection, max_entries: u32) -> Result<u64, StoreError> {
    let indexed: i64 = tx
        .prepare_cached(LOCK_LOOKUP_SQL)
        .and_then(|mut s| s.query_row([], |row| row.get(0)))
        .map_err(embedded("lock the audit lookup watermark"))?;
    let upto = lookup_upto(tx, indexed, max_entries)?;
    for insert in LOOKUP_INSERT_SQL {
        tx.prepare_cached(insert)
            .and_then(|mut s| s.execute(params![indexed, upto]))
            .map_err(embedded("index audit entries"))?;
    }
    tx.prepare_cached(ADVANCE_LOOKUP_SQL)
        .and_then(|mut s| s.execute([upto]))
        .map_err(embedded("advance the audit lookup watermark"))?;
    Ok(u64::try_from(upto).unwrap_or(0))
}

fn append_audit_in(
    tx: &Connection,
    pending: Vec<PendingEntry>,
    signer: &AuditSigner,
    instance: &str,
    now_ms: i64,
    checkpoint: bool,
) -> Result<(ChainHead, Option<SignedCheckpoint>), StoreError> {
    let (seq, hash, frontier): (i64, Vec<u8>, Vec<u8>) = tx
        .prepare_cached(LOCK_HEAD_SQL)
        .and_then(|mut lock| {
            lock.query_row([now_ms], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        })
        .map_err(embedded("lock audit head"))?;
    let head = head_from_row(seq, &hash, &frontier)?;
    let (sealed, next) = seal_batch(&head, pending, signer, instance);
    {
        let mut insert = tx
            .prepare_cached(INSERT_ENTRY_SQL)
            .map_err(embedded("append audit entries"))?;
        for e in &sealed {
            insert
                .execute(params![
                    seq_param(e.seq),
                    e.time_ms,
                    e.index.action,
                    e.index.actor,
                    e.index.target_kind,
                    e.index.target_id,
                    e.index.outcome,
                    e.payload,
                    e.prev_hash.as_slice(),
                    e.hash.as_slice(),
                    e.head_signature,
                ])
                .map_err(embedded("append audit entries"))?;
        }
    }
    tx.prepare_cached(ADVANCE_HEAD_SQL)
        .and_then(|mut advance| {
            advance.execute(params![
                seq_param(next.seq),
                next.hash.as_slice(),
                next.frontier.encode()
            ])
        })
        .map_err(embedded("advance audit head"))?;
    let signed = checkpoint.then(|| checkpoint_of(&next, signer, instance, now_ms));
    if let Some(signed) = &signed {
        tx.prepare_cached(PUT_CHECKPOINT_SQL)
            .and_then(|mut put| {
                put.execute(params![
                    seq_param(signed.checkpoint.size),
                    signed.checkpoint.time_ms,
                    signed.to_json_line()
                ])
            })
            .map_err(embedded("store audit checkpoint"))?;
    }
    Ok((next, signed))
}

fn append_entries_in(
    tx: &Connection,
    appends: &mut [EntryAppend],
) -> Result<Vec<bool>, StoreError> {
    let mut stored = Vec::with_capacity(appends.len());
    for append in appends.iter_mut() {
        let open = tx
            .prepare_cached(TOUCH_OPEN_INTERACTION_SQL)
            .and_then(|mut s| {
                s.execute(params![
                    append.now,
                    append.context.as_deref(),
                    append.interaction
                ])
            })
            .map_err(embedded("touch interaction"))?;
        if open != 1 {
            stored.push(false);
            continue;
        }
        let last: i64 = tx
            .prepare_cached(LAST_ENTRY_SEQ_SQL)
            .and_then(|mut s| s.query_row([append.interaction], |row| row.get(0)))
            .map_err(embedded("number entries"))?;
        let mut insert = tx
            .prepare_cached(INSERT_CONVERSATION_ENTRY_SQL)
            .map_err(embedded("store entry"))?;
        for (entry, seq) in append.entries.iter_mut().zip(last + 1..) {
            entry.seq = seq;
            entry.interaction_id = append.interaction;
            insert
                .execute(params![
                    entry.id,
                    append.interaction,
                    seq,
                    entry.kind,
                    entry.created_at,
                    entry.created_by,
                    entry.content,
                    entry.raw_sealed,
                ])
                .map_err(embedded("store entry"))?;
        }
        let mut rewrite = tx
            .prepare_cached(REWRITE_ENTRY_SQL)
            .map_err(embedded("redact earlier entry"))?;
        for (id, content) in &append.rewrite {
            rewrite
                .execute(params![content, id, append.interaction])
                .map_err(embedded("redact earlier entry"))?;
        }
        stored.push(true);
    }
    Ok(stored)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SQLite numbers `$N` parameters in the order they first appear, not by N;
    /// the direct path binds by position, so every shared statement must name its
    /// parameters in order ($1, then $2, …), as sqlx binds them by N.
    #[test]
    fn shared_statements_name_their_parameters_in_order() {
        for sql in [
            SESSION_BY_TOKEN_SQL,
            TOKEN_BY_HASH_SQL,
            CUSTOMER_SQL,
            INTERACTION_BY_ID_SQL,
            LOCK_HEAD_SQL,
            INSERT_ENTRY_SQL,
            ADVANCE_HEAD_SQL,
            TOUCH_OPEN_INTERACTION_SQL,
            LAST_ENTRY_SEQ_SQL,
            INSERT_CONVERSATION_ENTRY_SQL,
            REWRITE_ENTRY_SQL,
        ] {
            let mut seen: Vec<u32> = Vec::new();
            for piece in sql.split('$').skip(1) {
                let digits: String = piece.chars().take_while(char::is_ascii_digit).collect();
                let n: u32 = digits.parse().expect("a numbered parameter");
                if !seen.contains(&n) {
                    seen.push(n);
                }
            }
            let expected: Vec<u32> = (1..=u32::try_from(seen.len()).unwrap()).collect();
            assert_eq!(seen, expected, "{sql}");
        }
    }
}
