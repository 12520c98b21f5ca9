//! Storage of the audit trail: group-committed appends onto the hash chain,
//! ordered reads for verification, filtered queries, signed checkpoints, and the
//! cursors of the forwarding sinks.
//!
//! An append locks the chain head row inside its transaction, so appends from
//! several processes or nodes (a CLI command while the server runs, several
//! servers on one PostgreSQL) serialize into one chain.

use std::future::Future;

use custos_audit::{
    AuditSigner, ChainHead, Hash, MerkleFrontier, PendingEntry, SignedCheckpoint, StoredEntry,
};

use crate::StoreError;

/// Filters of [`AuditStore::query_audit`]; every one set must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Actor display name.
    pub actor: Option<String>,
    /// Action name.
    pub action: Option<String>,
    /// Target kind and id (`customer`, id).
    pub target: Option<(String, String)>,
    /// At or after, milliseconds.
    pub since_ms: Option<i64>,
    /// Before, milliseconds.
    pub until_ms: Option<i64>,
    /// Only entries after this sequence number (paging cursor).
    pub after_seq: Option<u64>,
    /// Newest first instead of oldest first; with a cursor, entries before it.
    pub newest_first: bool,
    /// At most this many.
    pub limit: u32,
}

/// Where the stored trail begins once older entries were archived and pruned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditAnchor {
    /// The chain head after the last pruned entry.
    pub head: ChainHead,
    /// The signed checkpoint at `head.seq`, as a witness line.
    pub checkpoint_line: String,
    /// When the prune happened, milliseconds.
    pub pruned_ms: i64,
}

/// The audit trail's storage.
pub trait AuditStore {
    /// Seals `pending` onto the chain (one transaction, one head signature) and
    /// returns the new head. Nothing is stored if anything fails.
    fn append_audit(
        &self,
        pending: Vec<PendingEntry>,
        signer: &AuditSigner,
        instance: &str,
        now_ms: i64,
    ) -> impl Future<Output = Result<ChainHead, StoreError>> + Send;

    /// [`Self::append_audit`], and in the same transaction a checkpoint of the new
    /// head signed by `signer`, which it returns: one commit where storing the
    /// checkpoint on its own took a second (BENCHMARKS.md, issue 3).
    fn append_audit_checkpointed(
        &self,
        pending: Vec<PendingEntry>,
        signer: &AuditSigner,
        instance: &str,
        now_ms: i64,
    ) -> impl Future<Output = Result<(ChainHead, SignedCheckpoint), StoreError>> + Send;

    /// Where the chain stands.
    fn audit_head(&self) -> impl Future<Output = Result<ChainHead, StoreError>> + Send;

    /// Up to `limit` entries after `after_seq`, in sequence order, exactly as stored.
    fn audit_entries(
        &self,
        after_seq: u64,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<StoredEntry>, StoreError>> + Send;

    /// Entries matching `query`.
    fn query_audit(
        &self,
        query: &AuditQuery,
    ) -> impl Future<Output = Result<Vec<StoredEntry>, StoreError>> + Send;

    /// Records a signed checkpoint (a second one for the same size is ignored).
    fn put_audit_checkpoint(
        &self,
        checkpoint: &SignedCheckpoint,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Every checkpoint, by size. Lines that cannot be parsed are returned as errors
    /// by the verifier's caller, so they are passed through raw.
    fn audit_checkpoint_lines(
        &self,
    ) -> impl Future<Output = Result<Vec<String>, StoreError>> + Send;

    /// The newest checkpoint (largest size), raw, if any; one row, whatever the history.
    fn latest_audit_checkpoint_line(
        &self,
    ) -> impl Future<Output = Result<Option<String>, StoreError>> + Send;

    /// The retention anchor, if entries were ever pruned.
    fn audit_anchor(&self) -> impl Future<Output = Result<Option<AuditAnchor>, StoreError>> + Send;

    /// Moves the anchor to `anchor` and deletes every entry at or below it, in one
    /// transaction. Refuses to move the anchor backwards. Returns the entries deleted.
    fn prune_audit(
        &self,
        anchor: &AuditAnchor,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Adds up to `max_entries` entries after the lookup tables' watermark to the
    /// lookup tables behind [`AuditStore::query_audit`], in one transaction, and
    /// returns the new watermark (the last entry they cover). Costs nothing when
    /// they are caught up. Appends never wait for this; queries scan the entries
    /// after the watermark directly, so they are complete whenever it runs.
    fn index_audit(&self, max_entries: u32)
    -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// The last sequence number a sink has delivered (0 if none).
    fn audit_cursor(&self, sink: &str) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Moves a sink's cursor forward (never back).
    fn set_audit_cursor(
        &self,
        sink: &str,
        seq: u64,
        now_ms: i64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// An `audit_anchor` row: seq, hash, frontier, checkpoint line, prune time.
pub(crate) type AnchorRow = (i64, Vec<u8>, Vec<u8>, String, i64);

/// The `audit_entries` columns, in the order `columns::decode_entry` reads them.
pub(crate) const ENTRY_COLUMNS: &str = "seq, time_ms, action, actor, target_kind, target_id, outcome, payload, prev_hash, hash, head_signature";

/// Up to `$2` entries after sequence number `$1`, in order, [`ENTRY_COLUMNS`] each.
pub(crate) const ENTRIES_AFTER_SQL: &str = "SELECT seq, time_ms, action, actor, target_kind, \
     target_id, outcome, payload, prev_hash, hash, head_signature FROM audit_entries \
     WHERE seq > $1 ORDER BY seq LIMIT $2";

/// Locks the chain head for an append and reads it (`$1`: the time). Reading it
/// through an UPDATE takes the lock first (the row on PostgreSQL, the write lock
/// on SQLite), so appends from every process and node serialize here.
pub(crate) const LOCK_HEAD_SQL: &str =
    "UPDATE audit_head SET updated_ms = $1 WHERE singleton = 1 RETURNING seq, hash, frontier";

/// Stores a signed checkpoint (once per size).
pub(crate) const PUT_CHECKPOINT_SQL: &str = "INSERT INTO audit_checkpoints (size, time_ms, line) \
     VALUES ($1, $2, $3) ON CONFLICT (size) DO NOTHING";

/// The checkpoint an append stores with its batch: of the head it reached.
pub(crate) fn checkpoint_of(
    head: &ChainHead,
    signer: &AuditSigner,
    instance: &str,
    now_ms: i64,
) -> SignedCheckpoint {
    custos_audit::Checkpoint::of_head(head, instance, now_ms).sign(signer)
}

/// An append asked for its checkpoint, with it.
pub(crate) fn checkpointed(
    appended: (ChainHead, Option<SignedCheckpoint>),
) -> Result<(ChainHead, SignedCheckpoint), StoreError> {
    match appended {
        (head, Some(signed)) => Ok((head, signed)),
        (_, None) => Err(StoreError::Corrupt("an append without its checkpoint")),
    }
}

/// Moves the chain head to the end of an appended batch.
pub(crate) const ADVANCE_HEAD_SQL: &str =
    "UPDATE audit_head SET seq = $1, hash = $2, frontier = $3 WHERE singleton = 1";

/// Inserts one entry, its columns in [`ENTRY_COLUMNS`] order.
pub(crate) const INSERT_ENTRY_SQL: &str = "INSERT INTO audit_entries (seq, time_ms, action, actor, \
     target_kind, target_id, outcome, payload, prev_hash, hash, head_signature) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";

/// The lookup tables' watermark: the last entry they cover.
pub(crate) const LOOKUP_SEQ_SQL: &str = "SELECT seq FROM audit_lookup_state WHERE singleton = 1";

/// Locks the lookup tables' watermark for an indexing round and reads it.
pub(crate) const LOCK_LOOKUP_SQL: &str =
    "UPDATE audit_lookup_state SET seq = seq WHERE singleton = 1 RETURNING seq";

/// The last stored entry among the `$2` after `$1` (`$1` if there is none).
pub(crate) const LOOKUP_UPTO_SQL: &str = "SELECT COALESCE(MAX(seq), $1) FROM audit_entries \
     WHERE seq > $1 AND seq <= $1 + $2";

/// Adds the entries in (`$1`, `$2`] to each lookup table, sorted by its key so
/// that each B-tree page is written once per round.
pub(crate) const LOOKUP_INSERT_SQL: [&str; 4] = [
    "INSERT INTO audit_lookup_time (time_ms, seq) SELECT time_ms, seq FROM audit_entries \
     WHERE seq > $1 AND seq <= $2 ORDER BY time_ms, seq ON CONFLICT DO NOTHING",
    "INSERT INTO audit_lookup_actor (actor, seq) SELECT actor, seq FROM audit_entries \
     WHERE seq > $1 AND seq <= $2 ORDER BY actor, seq ON CONFLICT DO NOTHING",
    "INSERT INTO audit_lookup_action (action, seq) SELECT action, seq FROM audit_entries \
     WHERE seq > $1 AND seq <= $2 ORDER BY action, seq ON CONFLICT DO NOTHING",
    "INSERT INTO audit_lookup_target (target_kind, target_id, seq) \
     SELECT target_kind, target_id, seq FROM audit_entries WHERE seq > $1 AND seq <= $2 \
     AND target_kind IS NOT NULL AND target_id IS NOT NULL \
     ORDER BY target_kind, target_id, seq ON CONFLICT DO NOTHING",
];

/// Moves the lookup tables' watermark, with the hash of the entry it reaches
/// (SQLite checks it on open: `sqlite/lookup.rs`).
pub(crate) const ADVANCE_LOOKUP_SQL: &str = "UPDATE audit_lookup_state SET seq = $1, \
     anchor = (SELECT hash FROM audit_entries WHERE seq = $1) WHERE singleton = 1";

/// Removes the lookup rows of pruned entries (at or below `$1`).
pub(crate) const PRUNE_LOOKUP_SQL: [&str; 4] = [
    "DELETE FROM audit_lookup_time WHERE seq <= $1",
    "DELETE FROM audit_lookup_actor WHERE seq <= $1",
    "DELETE FROM audit_lookup_action WHERE seq <= $1",
    "DELETE FROM audit_lookup_target WHERE seq <= $1",
];

/// The lookup table a query reads its candidates from, and the key it matches:
/// the most selective filter set (target, then actor, action, time).
pub(crate) enum Lookup<'q> {
    /// `audit_lookup_target`.
    Target(&'q str, &'q str),
    /// `audit_lookup_actor`.
    Actor(&'q str),
    /// `audit_lookup_action`.
    Action(&'q str),
    /// `audit_lookup_time`: at or after, before.
    Time(Option<i64>, Option<i64>),
}

impl AuditQuery {
    /// The lookup this query is best served by; `None` when it filters on
    /// nothing but sequence numbers (the entries' own key serves it).
    pub(crate) fn lookup(&self) -> Option<Lookup<'_>> {
        if let Some((kind, id)) = &self.target {
            Some(Lookup::Target(kind, id))
        } else if let Some(actor) = &self.actor {
            Some(Lookup::Actor(actor))
        } else if let Some(action) = &self.action {
            Some(Lookup::Action(action))
        } else if self.since_ms.is_some() || self.until_ms.is_some() {
            Some(Lookup::Time(self.since_ms, self.until_ms))
        } else {
            None
        }
    }
}

/// [`ENTRY_COLUMNS`] of the entries table aliased `e` (queries joining a lookup table).
pub(crate) fn aliased_entry_columns() -> String {
    ENTRY_COLUMNS
        .split(", ")
        .map(|column| format!("e.{column}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Largest multi-row INSERT, in entries (11 parameters each).
const INSERT_CHUNK_MAX: usize = 64;

/// Splits a batch into chunks whose sizes are powers of two (64, 32, …, 1), so the
/// multi-row INSERTs come in at most seven shapes and every one stays in the
/// prepared-statement cache. Group commit makes batch sizes vary; without this
/// nearly every batch would prepare new SQL, which costs more than the insert.
pub(crate) fn insert_chunks<T>(entries: &[T]) -> impl Iterator<Item = &[T]> {
    let mut rest = entries;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let size = if rest.len() >= INSERT_CHUNK_MAX {
            INSERT_CHUNK_MAX
        } else {
            1 << (usize::BITS - 1 - rest.len().leading_zeros())
        };
        let (chunk, tail) = rest.split_at(size);
        rest = tail;
        Some(chunk)
    })
}

/// A stored hash. A value of the wrong length (only tampering makes one) becomes
/// a value no real hash equals, so the verifier reports it instead of failing to read.
pub(crate) fn hash_from(bytes: &[u8]) -> Hash {
    match <[u8; 32]>::try_from(bytes) {
        Ok(hash) => hash,
        Err(_) => {
            let mut poisoned = [0xA5; 32];
            poisoned[0] = bytes.len().min(255) as u8;
            poisoned
        }
    }
}

pub(crate) fn head_from_row(
    seq: i64,
    hash: &[u8],
    frontier: &[u8],
) -> Result<ChainHead, StoreError> {
    let frontier = MerkleFrontier::decode(frontier)
        .map_err(|_| StoreError::Corrupt("audit chain head frontier"))?;
    let seq = u64::try_from(seq).map_err(|_| StoreError::Corrupt("audit chain head sequence"))?;
    if frontier.size() != seq || hash.len() != 32 {
        return Err(StoreError::Corrupt("audit chain head"));
    }
    Ok(ChainHead {
        seq,
        hash: hash_from(hash),
        frontier,
    })
}

/// Sequence numbers are stored as signed 64-bit integers.
pub(crate) fn seq_param(seq: u64) -> i64 {
    i64::try_from(seq).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    #[test]
    fn chunks_are_powers_of_two_and_cover_everything() {
        for n in 0..300usize {
            let items: Vec<usize> = (0..n).collect();
            let chunks: Vec<&[usize]> = super::insert_chunks(&items).collect();
            assert!(
                chunks
                    .iter()
                    .all(|c| c.len().is_power_of_two() && c.len() <= 64)
            );
            assert_eq!(chunks.concat(), items);
        }
    }
}
