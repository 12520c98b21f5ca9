//! The SQL of [`crate::AuditStore`], written once for both backends: sqlx binds
//! `$N` placeholders by number on SQLite as on PostgreSQL, `QueryBuilder` writes
//! each dialect's placeholders, and the statements use only SQL both share.

/// Implements the trait for `$store` (a type in the calling module with a `pool`).
macro_rules! impl_audit_store {
    ($store:ident, $db:ty) => {
        mod audit_sql {
        use custos_audit::{
            AuditSigner, ChainHead, PendingEntry, SignedCheckpoint, StoredEntry, seal_batch,
        };
        use sqlx::QueryBuilder;

        use super::$store;
        use crate::StoreError;
        use crate::columns::decode_entry;
        use crate::audit::{
            ADVANCE_HEAD_SQL, AnchorRow, AuditAnchor, AuditQuery, AuditStore, ENTRIES_AFTER_SQL,
            ENTRY_COLUMNS, LOCK_HEAD_SQL, head_from_row, insert_chunks, seq_param,
        };

        impl AuditStore for $store {
            async fn append_audit(
                &self,
                pending: Vec<PendingEntry>,
                signer: &AuditSigner,
                instance: &str,
                now_ms: i64,
            ) -> Result<ChainHead, StoreError> {
                let mut tx = self
                    .pool
                    .begin()
                    .await
                    .map_err(StoreError::query("begin audit append"))?;
                let (seq, hash, frontier): (i64, Vec<u8>, Vec<u8>) = sqlx::query_as(LOCK_HEAD_SQL)
                .bind(now_ms)
                .fetch_one(&mut *tx)
                .await
                .map_err(StoreError::query("lock audit head"))?;
                let head = head_from_row(seq, &hash, &frontier)?;
                let (sealed, next) = seal_batch(&head, pending, signer, instance);
                for chunk in insert_chunks(&sealed) {
                    let mut insert = QueryBuilder::<$db>::new(format!(
                        "INSERT INTO audit_entries ({ENTRY_COLUMNS}) "
                    ));
                    insert.push_values(chunk, |mut row, e| {
                        row.push_bind(seq_param(e.seq))
                            .push_bind(e.time_ms)
                            .push_bind(e.index.action.as_str())
                            .push_bind(e.index.actor.as_str())
                            .push_bind(e.index.target_kind.as_deref())
                            .push_bind(e.index.target_id.as_deref())
                            .push_bind(e.index.outcome.as_str())
                            .push_bind(e.payload.as_slice())
                            .push_bind(e.prev_hash.as_slice())
                            .push_bind(e.hash.as_slice())
                            .push_bind(e.head_signature.as_deref());
                    });
                    insert
                        .build()
                        .execute(&mut *tx)
                        .await
                        .map_err(StoreError::query("append audit entries"))?;
                }
                sqlx::query(ADVANCE_HEAD_SQL)
                    .bind(seq_param(next.seq))
                    .bind(next.hash.as_slice())
                    .bind(next.frontier.encode())
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::query("advance audit head"))?;
                tx.commit()
                    .await
                    .map_err(StoreError::query("commit audit append"))?;
                Ok(next)
            }

            async fn audit_head(&self) -> Result<ChainHead, StoreError> {
                let (seq, hash, frontier): (i64, Vec<u8>, Vec<u8>) =
                    sqlx::query_as("SELECT seq, hash, frontier FROM audit_head WHERE singleton = 1")
                        .fetch_one(&self.pool)
                        .await
                        .map_err(StoreError::query("read audit head"))?;
                head_from_row(seq, &hash, &frontier)
            }

            async fn audit_entries(
                &self,
                after_seq: u64,
                limit: u32,
            ) -> Result<Vec<StoredEntry>, StoreError> {
                let rows = sqlx::query(ENTRIES_AFTER_SQL)
                    .bind(seq_param(after_seq))
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(StoreError::query("read audit entries"))?;
                rows.iter().map(decode_entry).collect()
            }

            async fn query_audit(&self, query: &AuditQuery) -> Result<Vec<StoredEntry>, StoreError> {
                let mut sql = QueryBuilder::<$db>::new(format!(
                    "SELECT {ENTRY_COLUMNS} FROM audit_entries WHERE 1 = 1"
                ));
                if let Some(actor) = &query.actor {
                    sql.push(" AND actor = ").push_bind(actor.clone());
                }
                if let Some(action) = &query.action {
                    sql.push(" AND action = ").push_bind(action.clone());
                }
                if let Some((kind, id)) = &query.target {
                    sql.push(" AND target_kind = ").push_bind(kind.clone());
                    sql.push(" AND target_id = ").push_bind(id.clone());
                }
                if let Some(since) = query.since_ms {
                    sql.push(" AND time_ms >= ").push_bind(since);
                }
                if let Some(until) = query.until_ms {
                    sql.push(" AND time_ms < ").push_bind(until);
                }
                if let Some(after) = query.after_seq {
                    sql.push(if query.newest_first {
                        " AND seq < "
                    } else {
                        " AND seq > "
                    })
                    .push_bind(seq_param(after));
                }
                sql.push(if query.newest_first {
                    " ORDER BY seq DESC"
                } else {
                    " ORDER BY seq"
                });
                sql.push(" LIMIT ").push_bind(i64::from(query.limit));
                let rows = sql
                    .build()
                    .fetch_all(&self.pool)
                    .await
                    .map_err(StoreError::query("query audit entries"))?;
                rows.iter().map(decode_entry).collect()
            }

            async fn put_audit_checkpoint(&self, checkpoint: &SignedCheckpoint) -> Result<(), StoreError> {
                sqlx::query("INSERT INTO audit_checkpoints (size, time_ms, line) VALUES ($1, $2, $3) ON CONFLICT (size) DO NOTHING")
                    .bind(seq_param(checkpoint.checkpoint.size))
                    .bind(checkpoint.checkpoint.time_ms)
                    .bind(checkpoint.to_json_line())
                    .execute(&self.pool)
                    .await
                    .map_err(StoreError::query("store audit checkpoint"))?;
                Ok(())
            }

            async fn audit_checkpoint_lines(&self) -> Result<Vec<String>, StoreError> {
                sqlx::query_scalar("SELECT line FROM audit_checkpoints ORDER BY size")
                    .fetch_all(&self.pool)
                    .await
                    .map_err(StoreError::query("read audit checkpoints"))
            }

            async fn latest_audit_checkpoint_line(&self) -> Result<Option<String>, StoreError> {
                sqlx::query_scalar("SELECT line FROM audit_checkpoints ORDER BY size DESC LIMIT 1")
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(StoreError::query("read the latest audit checkpoint"))
            }

            async fn audit_anchor(&self) -> Result<Option<AuditAnchor>, StoreError> {
                let row: Option<AnchorRow> = sqlx::query_as(
                    "SELECT seq, hash, frontier, checkpoint, pruned_ms FROM audit_anchor WHERE singleton = 1",
                )
                .fetch_optional(&self.pool)
                .await
                .map_err(StoreError::query("read audit anchor"))?;
                row.map(|(seq, hash, frontier, checkpoint_line, pruned_ms)| {
                    Ok(AuditAnchor {
                        head: head_from_row(seq, &hash, &frontier)?,
                        checkpoint_line,
                        pruned_ms,
                    })
                })
                .transpose()
            }

            async fn prune_audit(&self, anchor: &AuditAnchor) -> Result<u64, StoreError> {
                let mut tx = self
                    .pool
                    .begin()
                    .await
                    .map_err(StoreError::query("begin audit prune"))?;
                let moved = sqlx::query(
                    "INSERT INTO audit_anchor (singleton, seq, hash, frontier, checkpoint, pruned_ms) \
                     VALUES (1, $1, $2, $3, $4, $5) \
                     ON CONFLICT (singleton) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, \
                     frontier = excluded.frontier, checkpoint = excluded.checkpoint, pruned_ms = excluded.pruned_ms \
                     WHERE audit_anchor.seq < excluded.seq",
                )
                .bind(seq_param(anchor.head.seq))
                .bind(anchor.head.hash.as_slice())
                .bind(anchor.head.frontier.encode())
                .bind(anchor.checkpoint_line.as_str())
                .bind(anchor.pruned_ms)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::query("move audit anchor"))?;
                if moved.rows_affected() != 1 {
                    return Err(StoreError::Corrupt(
                        "the audit anchor may only move forward",
                    ));
                }
                let deleted = sqlx::query("DELETE FROM audit_entries WHERE seq <= $1")
                    .bind(seq_param(anchor.head.seq))
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::query("prune audit entries"))?;
                tx.commit()
                    .await
                    .map_err(StoreError::query("commit audit prune"))?;
                Ok(deleted.rows_affected())
            }

            async fn audit_cursor(&self, sink: &str) -> Result<u64, StoreError> {
                let seq: Option<i64> = sqlx::query_scalar("SELECT seq FROM audit_cursors WHERE sink = $1")
                    .bind(sink)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(StoreError::query("read audit cursor"))?;
                Ok(seq.and_then(|s| u64::try_from(s).ok()).unwrap_or(0))
            }

            async fn set_audit_cursor(&self, sink: &str, seq: u64, now_ms: i64) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO audit_cursors (sink, seq, updated_ms) VALUES ($1, $2, $3) \
                     ON CONFLICT (sink) DO UPDATE SET seq = CASE WHEN audit_cursors.seq > excluded.seq THEN audit_cursors.seq ELSE excluded.seq END, updated_ms = excluded.updated_ms",
                )
                .bind(sink)
                .bind(seq_param(seq))
                .bind(now_ms)
                .execute(&self.pool)
                .await
                .map_err(StoreError::query("advance audit cursor"))?;
                Ok(())
            }
        }
        }
    };
}

pub(crate) use impl_audit_store;
