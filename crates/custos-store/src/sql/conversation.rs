//! The SQL of [`crate::ConversationStore`], written once for both backends (see `sql/mod.rs`).

/// Implements the trait for `$store` (a type in the calling module with a `pool`).
macro_rules! impl_conversation_store {
    ($store:ident, $db:ty) => {
        mod conversation_sql {
        use uuid::Uuid;

        use super::$store;
        use crate::StoreError;
        use crate::conversation::{
            AttemptOutcome, ConversationStore, EntryAppend, EntryRecord, VerificationCodeRecord,
        };
        use crate::vault::{INTERACTION_COLUMNS, InteractionRecord, InteractionRow, interaction_from_row};

        const ENTRY_COLUMNS: &str =
            "id, interaction_id, seq, kind, created_at, created_by, content, raw_sealed";
        type EntryRow = (Uuid, Uuid, i64, String, i64, String, String, Option<Vec<u8>>);

        fn entry_from_row(row: EntryRow) -> EntryRecord {
            let (id, interaction_id, seq, kind, created_at, created_by, content, raw_sealed) = row;
            EntryRecord { id, interaction_id, seq, kind, created_at, created_by, content, raw_sealed }
        }

        const CODE_COLUMNS: &str =
            "id, interaction_id, method, code_mac, created_at, expires_at, attempts, used_at";
        type CodeRow = (Uuid, Uuid, String, Vec<u8>, i64, i64, i64, Option<i64>);

        fn code_from_row(row: CodeRow) -> VerificationCodeRecord {
            let (id, interaction_id, method, code_mac, created_at, expires_at, attempts, used_at) = row;
            VerificationCodeRecord {
                id,
                interaction_id,
                method,
                code_mac,
                created_at,
                expires_at,
                attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
                used_at,
            }
        }

        impl ConversationStore for $store {
            async fn append_batch(&self, appends: &mut [EntryAppend]) -> Result<Vec<bool>, StoreError> {
                let mut tx = self
                    .pool
                    .begin()
                    .await
                    .map_err(StoreError::query("begin append entries"))?;
                let mut stored = Vec::with_capacity(appends.len());
                for append in appends.iter_mut() {
                    // Writing first takes the interaction's lock (the row on PostgreSQL,
                    // the database on SQLite), so concurrent appends number in turn.
                    let open = sqlx::query(crate::conversation::TOUCH_OPEN_INTERACTION_SQL)
                    .bind(append.now)
                    .bind(append.context.as_deref())
                    .bind(append.interaction)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::query("touch interaction"))?;
                    if open.rows_affected() != 1 {
                        stored.push(false);
                        continue;
                    }
                    let last: i64 = sqlx::query_scalar(crate::conversation::LAST_ENTRY_SEQ_SQL)
                    .bind(append.interaction)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(StoreError::query("number entries"))?;
                    for (entry, seq) in append.entries.iter_mut().zip(last + 1..) {
                        entry.seq = seq;
                        entry.interaction_id = append.interaction;
                        sqlx::query(crate::conversation::INSERT_ENTRY_SQL)
                        .bind(entry.id)
                        .bind(append.interaction)
                        .bind(seq)
                        .bind(&entry.kind)
                        .bind(entry.created_at)
                        .bind(&entry.created_by)
                        .bind(&entry.content)
                        .bind(&entry.raw_sealed)
                        .execute(&mut *tx)
                        .await
                        .map_err(StoreError::query("store entry"))?;
                    }
                    for (id, content) in &append.rewrite {
                        sqlx::query(crate::conversation::REWRITE_ENTRY_SQL)
                        .bind(content)
                        .bind(id)
                        .bind(append.interaction)
                        .execute(&mut *tx)
                        .await
                        .map_err(StoreError::query("redact earlier entry"))?;
                    }
                    stored.push(true);
                }
                tx.commit()
                    .await
                    .map_err(StoreError::query("commit append entries"))?;
                Ok(stored)
            }

            async fn redaction_context(&self, interaction: Uuid) -> Result<Option<Vec<u8>>, StoreError> {
                let row: Option<Option<Vec<u8>>> = sqlx::query_scalar(
                    "SELECT redaction_context FROM interactions WHERE id = $1",
                )
                .bind(interaction)
                .fetch_optional(&self.pool)
                .await
                .map_err(StoreError::query("read redaction context"))?;
                Ok(row.flatten())
            }

            async fn entries(&self, interaction: Uuid) -> Result<Vec<EntryRecord>, StoreError> {
                let rows: Vec<EntryRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {ENTRY_COLUMNS} FROM interaction_entries \
                     WHERE interaction_id = $1 ORDER BY seq"
                )))
                .bind(interaction)
                .fetch_all(&self.pool)
                .await
                .map_err(StoreError::query("read entries"))?;
                Ok(rows.into_iter().map(entry_from_row).collect())
            }

            async fn entry(&self, interaction: Uuid, id: Uuid) -> Result<Option<EntryRecord>, StoreError> {
                let row: Option<EntryRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {ENTRY_COLUMNS} FROM interaction_entries \
                     WHERE interaction_id = $1 AND id = $2"
                )))
                .bind(interaction)
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(StoreError::query("read entry"))?;
                Ok(row.map(entry_from_row))
            }

            async fn add_verification_code(&self, code: &VerificationCodeRecord) -> Result<(), StoreError> {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO verification_codes ({CODE_COLUMNS}) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                )))
                .bind(code.id)
                .bind(code.interaction_id)
                .bind(&code.method)
                .bind(&code.code_mac)
                .bind(code.created_at)
                .bind(code.expires_at)
                .bind(i64::from(code.attempts))
                .bind(code.used_at)
                .execute(&self.pool)
                .await
                .map_err(StoreError::query("store verification code"))?;
                Ok(())
            }

            async fn codes_sent_since(&self, interaction: Uuid, since: i64) -> Result<u32, StoreError> {
                let n: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM verification_codes WHERE interaction_id = $1 AND created_at >= $2",
                )
                .bind(interaction)
                .bind(since)
                .fetch_one(&self.pool)
                .await
                .map_err(StoreError::query("count verification codes"))?;
                Ok(u32::try_from(n).unwrap_or(u32::MAX))
            }

            async fn latest_verification_code(
                &self,
                interaction: Uuid,
            ) -> Result<Option<VerificationCodeRecord>, StoreError> {
                let row: Option<CodeRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {CODE_COLUMNS} FROM verification_codes WHERE interaction_id = $1 \
                     ORDER BY created_at DESC, id DESC LIMIT 1"
                )))
                .bind(interaction)
                .fetch_optional(&self.pool)
                .await
                .map_err(StoreError::query("read verification code"))?;
                Ok(row.map(code_from_row))
            }

            async fn attempt_verification_code(
                &self,
                code: Uuid,
                correct: bool,
                max_attempts: u32,
                now: i64,
            ) -> Result<AttemptOutcome, StoreError> {
                let mut tx = self
                    .pool
                    .begin()
                    .await
                    .map_err(StoreError::query("begin verification attempt"))?;
                let usable = "id = $2 AND used_at IS NULL AND expires_at > $1 AND attempts < $3 \
                     AND interaction_id IN (SELECT id FROM interactions WHERE closed_at IS NULL)";
                let sql = if correct {
                    format!("UPDATE verification_codes SET used_at = $1 WHERE {usable} \
                             RETURNING interaction_id, method")
                } else {
                    format!("UPDATE verification_codes SET attempts = attempts + 1 WHERE {usable} \
                             RETURNING interaction_id, method")
                };
                let hit: Option<(Uuid, String)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(now)
                    .bind(code)
                    .bind(i64::from(max_attempts))
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(StoreError::query("record verification attempt"))?;
                let Some((interaction, method)) = hit else {
                    return Ok(AttemptOutcome::Refused);
                };
                let outcome = mark_interaction(&mut tx, interaction, &method, correct, now).await?;
                tx.commit()
                    .await
                    .map_err(StoreError::query("commit verification attempt"))?;
                Ok(outcome)
            }

            async fn record_verification(
                &self,
                interaction: Uuid,
                method: &str,
                correct: bool,
                now: i64,
            ) -> Result<AttemptOutcome, StoreError> {
                let mut tx = self
                    .pool
                    .begin()
                    .await
                    .map_err(StoreError::query("begin verification"))?;
                let outcome = mark_interaction(&mut tx, interaction, method, correct, now).await?;
                tx.commit()
                    .await
                    .map_err(StoreError::query("commit verification"))?;
                Ok(outcome)
            }

            async fn close_idle_interactions(
                &self,
                idle_before: i64,
                now: i64,
                by: &str,
            ) -> Result<Vec<InteractionRecord>, StoreError> {
                let rows: Vec<InteractionRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "UPDATE interactions SET closed_at = $1, closed_by = $2, redaction_context = NULL \
                     WHERE closed_at IS NULL AND last_activity_at < $3 RETURNING {INTERACTION_COLUMNS}"
                )))
                .bind(now)
                .bind(by)
                .bind(idle_before)
                .fetch_all(&self.pool)
                .await
                .map_err(StoreError::query("close idle interactions"))?;
                Ok(rows.into_iter().map(interaction_from_row).collect())
            }
        }

        /// Verifies the open interaction or counts a failure on it.
        async fn mark_interaction(
            tx: &mut sqlx::Transaction<'_, $db>,
            interaction: Uuid,
            method: &str,
            correct: bool,
            now: i64,
        ) -> Result<AttemptOutcome, StoreError>
        {
            let done = if correct {
                sqlx::query(
                    "UPDATE interactions SET verified_at = $1, verified_method = $2, \
                     last_activity_at = $1 WHERE id = $3 AND closed_at IS NULL",
                )
                .bind(now)
                .bind(method)
                .bind(interaction)
                .execute(&mut **tx)
                .await
            } else {
                sqlx::query(
                    "UPDATE interactions SET verification_failures = verification_failures + 1 \
                     WHERE id = $1 AND closed_at IS NULL",
                )
                .bind(interaction)
                .execute(&mut **tx)
                .await
            }
            .map_err(StoreError::query("mark interaction verification"))?;
            Ok(match (done.rows_affected() == 1, correct) {
                (false, _) => AttemptOutcome::Refused,
                (true, true) => AttemptOutcome::Verified,
                (true, false) => AttemptOutcome::Counted,
            })
        }
        }
    };
}

pub(crate) use impl_conversation_store;
