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
            ADVANCE_HEAD_SQL, ADVANCE_LOOKUP_SQL, AnchorRow, AuditAnchor, AuditQuery, AuditStore,
            ENTRIES_AFTER_SQL, ENTRY_COLUMNS, LOCK_HEAD_SQL, LOCK_LOOKUP_SQL, LOOKUP_INSERT_SQL,
            LOOKUP_SEQ_SQL, LOOKUP_UPTO_SQL, Lookup, PRUNE_LOOKUP_SQL, PUT_CHECKPOINT_SQL,
            aliased_entry_columns, checkpoint_of, checkpointed, head_from_row, insert_chunks,
            seq_param,
        };

        /// One statement of a query: everything from the entries (`All`), the
        /// entries after the lookup watermark (`Tail`), or the entries up to it
        /// found through a lookup table (`Indexed`).
        enum QueryPart<'q> {
            All,
            Tail(i64),
            Indexed(Lookup<'q>, i64),
        }

        impl $store {
            /// Runs one part of [`AuditStore::query_audit`], at most `limit` entries.
            async fn query_audit_part(
                &self,
                query: &AuditQuery,
                part: &QueryPart<'_>,
                limit: u32,
            ) -> Result<Vec<StoredEntry>, StoreError> {
                let columns = aliased_entry_columns();
                let mut sql = match part {
                    QueryPart::All | QueryPart::Tail(_) => QueryBuilder::<$db>::new(format!(
                        "SELECT {columns} FROM audit_entries e WHERE 1 = 1"
                    )),
                    QueryPart::Indexed(lookup, _) => {
                        let table = match lookup {
                            Lookup::Target(..) => "audit_lookup_target",
                            Lookup::Actor(_) => "audit_lookup_actor",
                            Lookup::Action(_) => "audit_lookup_action",
                            Lookup::Time(..) => "audit_lookup_time",
                        };
                        QueryBuilder::<$db>::new(format!(
                            "SELECT {columns} FROM {table} l JOIN audit_entries e ON e.seq = l.seq WHERE 1 = 1"
                        ))
                    }
                };
                // The sequence column the order and the bounds apply to: the
                // lookup table's when there is one, so its key serves them.
                let seq = match part {
                    QueryPart::Tail(indexed) => {
                        sql.push(" AND e.seq > ").push_bind(*indexed);
                        "e.seq"
                    }
                    QueryPart::All => "e.seq",
                    QueryPart::Indexed(lookup, indexed) => {
                        sql.push(" AND l.seq <= ").push_bind(*indexed);
                        match lookup {
                            Lookup::Target(kind, id) => {
                                sql.push(" AND l.target_kind = ").push_bind(kind.to_string());
                                sql.push(" AND l.target_id = ").push_bind(id.to_string());
                            }
                            Lookup::Actor(actor) => {
                                sql.push(" AND l.actor = ").push_bind(actor.to_string());
                            }
                            Lookup::Action(action) => {
                                sql.push(" AND l.action = ").push_bind(action.to_string());
                            }
                            Lookup::Time(since, until) => {
                                if let Some(since) = since {
                                    sql.push(" AND l.time_ms >= ").push_bind(*since);
                                }
                                if let Some(until) = until {
                                    sql.push(" AND l.time_ms < ").push_bind(*until);
                                }
                            }
                        }
                        "l.seq"
                    }
                };
                // Every filter is checked on the entry itself too: the lookup
                // tables are derived data and only narrow the search.
                if let Some(actor) = &query.actor {
                    sql.push(" AND e.actor = ").push_bind(actor.clone());
                }
                if let Some(action) = &query.action {
                    sql.push(" AND e.action = ").push_bind(action.clone());
                }
                if let Some((kind, id)) = &query.target {
                    sql.push(" AND e.target_kind = ").push_bind(kind.clone());
                    sql.push(" AND e.target_id = ").push_bind(id.clone());
                }
                if let Some(since) = query.since_ms {
                    sql.push(" AND e.time_ms >= ").push_bind(since);
                }
                if let Some(until) = query.until_ms {
                    sql.push(" AND e.time_ms < ").push_bind(until);
                }
                if let Some(after) = query.after_seq {
                    let bound = if query.newest_first { " < " } else { " > " };
                    sql.push(format!(" AND {seq}{bound}")).push_bind(seq_param(after));
                }
                let order = if query.newest_first { " DESC" } else { "" };
                sql.push(format!(" ORDER BY {seq}{order} LIMIT ")).push_bind(i64::from(limit));
                let rows = sql
                    .build()
                    .fetch_all(&self.pool)
                    .await
                    .map_err(StoreError::query("query audit entries"))?;
                rows.iter().map(decode_entry).collect()
            }
        }

        /// A watermark read back as a sequence number.
        fn watermark(seq: i64) -> u64 {
            u64::try_from(seq).unwrap_or(0)
        }

        impl $store {
            /// A batch sealed onto the chain in one transaction, with a signed
            /// checkpoint of the new head when `checkpoint` says so.
            async fn append_sealed(
                &self,
                pending: Vec<PendingEntry>,
                signer: &AuditSigner,
                instance: &str,
                now_ms: i64,
                checkpoint: bool,
            ) -> Result<(ChainHead, Option<SignedCheckpoint>), StoreError> {
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
                let signed = checkpoint.then(|| checkpoint_of(&next, signer, instance, now_ms));
                if let Some(signed) = &signed {
                    sqlx::query(PUT_CHECKPOINT_SQL)
                        .bind(seq_param(signed.checkpoint.size))
                        .bind(signed.checkpoint.time_ms)
                        .bind(signed.to_json_line())
                        .execute(&mut *tx)
                        .await
                        .map_err(StoreError::query("store audit checkpoint"))?;
                }
                tx.commit()
                    .await
                    .map_err(StoreError::query("commit audit append"))?;
                Ok((next, signed))
            }
        }

        impl AuditStore for $store {
            async fn append_audit(
                &self,
                pending: Vec<PendingEntry>,
                signer: &AuditSigner,
                instance: &str,
                now_ms: i64,
            ) -> Result<ChainHead, StoreError> {
                let (head, _) = self.append_sealed(pending, signer, instance, now_ms, false).await?;
                Ok(head)
            }

            async fn append_audit_checkpointed(
                &self,
                pending: Vec<PendingEntry>,
                signer: &AuditSigner,
                instance: &str,
                now_ms: i64,
            ) -> Result<(ChainHead, SignedCheckpoint), StoreError> {
                checkpointed(self.append_sealed(pending, signer, instance, now_ms, true).await?)
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
                let Some(lookup) = query.lookup() else {
                    return self.query_audit_part(query, &QueryPart::All, query.limit).await;
                };
                let indexed: i64 = sqlx::query_scalar(LOOKUP_SEQ_SQL)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(StoreError::query("read the audit lookup watermark"))?;
                // The lookup tables cover the entries up to `indexed`; the rest are
                // read straight from the entries. Lookup rows are only ever added
                // with the watermark, so a round of the indexer in between changes nothing.
                let parts = if query.newest_first {
                    [QueryPart::Tail(indexed), QueryPart::Indexed(lookup, indexed)]
                } else {
                    [QueryPart::Indexed(lookup, indexed), QueryPart::Tail(indexed)]
                };
                let mut entries = Vec::new();
                for part in &parts {
                    let remaining = query.limit.saturating_sub(u32::try_from(entries.len()).unwrap_or(u32::MAX));
                    if remaining == 0 {
                        break;
                    }
                    entries.extend(self.query_audit_part(query, part, remaining).await?);
                }
                Ok(entries)
            }

            async fn index_audit(&self, max_entries: u32) -> Result<u64, StoreError> {
                let operation = "index audit entries";
                let indexed: i64 = sqlx::query_scalar(LOOKUP_SEQ_SQL)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(StoreError::query(operation))?;
                let upto: i64 = sqlx::query_scalar(LOOKUP_UPTO_SQL)
                    .bind(indexed)
                    .bind(i64::from(max_entries))
                    .fetch_one(&self.pool)
                    .await
                    .map_err(StoreError::query(operation))?;
                if upto == indexed {
                    return Ok(watermark(indexed));
                }
                let mut tx = self.pool.begin().await.map_err(StoreError::query(operation))?;
                let indexed: i64 = sqlx::query_scalar(LOCK_LOOKUP_SQL)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(StoreError::query(operation))?;
                let upto: i64 = sqlx::query_scalar(LOOKUP_UPTO_SQL)
                    .bind(indexed)
                    .bind(i64::from(max_entries))
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(StoreError::query(operation))?;
                for insert in LOOKUP_INSERT_SQL {
                    sqlx::query(insert)
                        .bind(indexed)
                        .bind(upto)
                        .execute(&mut *tx)
                        .await
                        .map_err(StoreError::query(operation))?;
                }
                sqlx::query(ADVANCE_LOOKUP_SQL)
                    .bind(upto)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::query(operation))?;
                tx.commit().await.map_err(StoreError::query(operation))?;
                Ok(watermark(upto))
            }

            async fn put_audit_checkpoint(&self, checkpoint: &SignedCheckpoint) -> Result<(), StoreError> {
                sqlx::query(PUT_CHECKPOINT_SQL)
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
                for prune in PRUNE_LOOKUP_SQL {
                    sqlx::query(prune)
                        .bind(seq_param(anchor.head.seq))
                        .execute(&mut *tx)
                        .await
                        .map_err(StoreError::query("prune audit lookups"))?;
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
