//! The SQL of [`crate::VaultStore`], written once for both backends (see `sql/mod.rs`).

/// Implements the trait for `$store` (a type in the calling module with a `pool`).
macro_rules! impl_vault_store {
    ($store:ident) => {
        mod vault_sql {
        use uuid::Uuid;

        use super::$store;
        use crate::StoreError;
        use crate::accounts::conflict_or;
        use crate::vault::{
            CARD_COLUMNS, CardRow, CardTokenRecord,
            INTERACTION_COLUMNS, InteractionRecord, InteractionRow, InteractionScope, KekRecord, NewCustomer,
            StoredCustomer, SystemKeyRecord, VaultStore, WrappedDataKey, card_from_row,
            interaction_from_row, version,
        };

        impl VaultStore for $store {
            async fn vault_keks(&self) -> Result<Vec<KekRecord>, StoreError> {
                let rows: Vec<(i64, Vec<u8>, i64)> = sqlx::query_as(
                    "SELECT version, wrapped, created_at FROM vault_keks ORDER BY version",
                )
                .fetch_all(&self.pool)
                .await
                .map_err(StoreError::query("read key-encryption keys"))?;
                rows.into_iter()
                    .map(|(v, wrapped, created_at)| {
                        Ok(KekRecord { version: version(v)?, wrapped, created_at })
                    })
                    .collect()
            }

            async fn add_vault_kek(&self, kek: &KekRecord) -> Result<bool, StoreError> {
                let done = sqlx::query(
                    "INSERT INTO vault_keks (version, wrapped, created_at) VALUES ($1, $2, $3) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(i64::from(kek.version))
                .bind(&kek.wrapped)
                .bind(kek.created_at)
                .execute(&self.pool)
                .await
                .map_err(StoreError::query("add key-encryption key"))?;
                Ok(done.rows_affected() == 1)
            }

            async fn destroy_unused_keks(&self, current: u32) -> Result<Vec<u32>, StoreError> {
                let rows: Vec<i64> = sqlx::query_scalar(
                    "DELETE FROM vault_keks WHERE version < $1 AND NOT EXISTS \
                     (SELECT 1 FROM customers WHERE customers.kek_version = vault_keks.version) \
                     RETURNING version",
                )
                .bind(i64::from(current))
                .fetch_all(&self.pool)
                .await
                .map_err(StoreError::query("destroy retired key-encryption keys"))?;
                rows.into_iter().map(version).collect()
            }

            async fn kek_usage(&self) -> Result<Vec<(u32, u64)>, StoreError> {
                let rows: Vec<(i64, i64)> = sqlx::query_as(
                    "SELECT kek_version, COUNT(*) FROM customers WHERE kek_version IS NOT NULL \
                     GROUP BY kek_version ORDER BY kek_version",
                )
                .fetch_all(&self.pool)
                .await
                .map_err(StoreError::query("count data keys per KEK"))?;
                rows.into_iter()
                    .map(|(v, n)| Ok((version(v)?, u64::try_from(n).unwrap_or(0))))
                    .collect()
            }

            async fn vault_system_keys(&self) -> Result<Vec<SystemKeyRecord>, StoreError> {
                let rows: Vec<(String, i64, Vec<u8>)> = sqlx::query_as(
                    "SELECT purpose, version, wrapped FROM vault_keys ORDER BY purpose, version",
                )
                .fetch_all(&self.pool)
                .await
                .map_err(StoreError::query("read vault keys"))?;
                rows.into_iter()
                    .map(|(purpose, v, wrapped)| {
                        Ok(SystemKeyRecord { purpose, version: version(v)?, wrapped })
                    })
                    .collect()
            }

            async fn add_vault_system_key(
                &self,
                key: &SystemKeyRecord,
                now: i64,
            ) -> Result<bool, StoreError> {
                let done = sqlx::query(
                    "INSERT INTO vault_keys (purpose, version, wrapped, created_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                )
                .bind(&key.purpose)
                .bind(i64::from(key.version))
                .bind(&key.wrapped)
                .bind(now)
                .execute(&self.pool)
                .await
                .map_err(StoreError::query("add vault key"))?;
                Ok(done.rows_affected() == 1)
            }

            async fn create_customer(&self, new: &NewCustomer) -> Result<(), StoreError> {
                let c = &new.customer;
                let mut tx = self
                    .pool
                    .begin()
                    .await
                    .map_err(StoreError::query("begin create customer"))?;
                sqlx::query(
                    "INSERT INTO customers (id, created_at, created_by, kek_version, \
                     data_key_version, data_key_wrapped) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(c.id)
                .bind(c.created_at)
                .bind(&c.created_by)
                .bind(c.kek_version.map(i64::from))
                .bind(i64::from(c.data_key_version))
                .bind(&c.data_key_wrapped)
                .execute(&mut *tx)
                .await
                .map_err(conflict_or("create customer", "a customer with this id"))?;
                for (field, sealed) in &new.fields {
                    sqlx::query(
                        "INSERT INTO customer_fields (customer_id, field, sealed) VALUES ($1, $2, $3)",
                    )
                    .bind(c.id)
                    .bind(field)
                    .bind(sealed)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::query("store customer field"))?;
                }
                for (field, hash) in &new.index {
                    sqlx::query(
                        "INSERT INTO customer_index (field, hash, customer_id) VALUES ($1, $2, $3) \
                         ON CONFLICT DO NOTHING",
                    )
                    .bind(field)
                    .bind(hash)
                    .bind(c.id)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::query("store blind index"))?;
                }
                for card in &new.cards {
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "INSERT INTO card_tokens ({CARD_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
                    )))
                    .bind(&card.token)
                    .bind(card.customer_id)
                    .bind(&card.brand)
                    .bind(&card.bin)
                    .bind(&card.last4)
                    .bind(&card.expiry_sealed)
                    .bind(&card.pan_sealed)
                    .bind(i64::from(card.vault_key_version))
                    .bind(card.created_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::query("store card token"))?;
                }
                tx.commit()
                    .await
                    .map_err(StoreError::query("commit create customer"))
            }

            async fn customer(&self, id: Uuid) -> Result<Option<StoredCustomer>, StoreError> {
                let rows = sqlx::query(crate::vault::CUSTOMER_SQL)
                    .bind(id)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(StoreError::query("read customer"))?;
                crate::columns::fold_customer(id, &rows)
            }

            async fn delete_customer(&self, id: Uuid, now: i64, by: &str) -> Result<bool, StoreError> {
                let mut tx = self
                    .pool
                    .begin()
                    .await
                    .map_err(StoreError::query("begin delete customer"))?;
                let done = sqlx::query(
                    "UPDATE customers SET data_key_wrapped = NULL, kek_version = NULL, \
                     deleted_at = $1, deleted_by = $2 WHERE id = $3 AND deleted_at IS NULL",
                )
                .bind(now)
                .bind(by)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::query("shred customer key"))?;
                if done.rows_affected() != 1 {
                    return Ok(false);
                }
                sqlx::query(
                    "UPDATE interaction_entries SET raw_sealed = NULL WHERE interaction_id IN \
                     (SELECT id FROM interactions WHERE customer_id = $1)",
                )
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::query("drop raw conversation copies"))?;
                sqlx::query("UPDATE interactions SET redaction_context = NULL WHERE customer_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::query("drop redaction contexts"))?;
                for table in ["customer_fields", "customer_index", "card_tokens"] {
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DELETE FROM {table} WHERE customer_id = $1"
                    )))
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::query("delete customer data"))?;
                }
                tx.commit()
                    .await
                    .map_err(StoreError::query("commit delete customer"))?;
                Ok(true)
            }

            async fn customers_by_index(&self, field: &str, hash: &[u8]) -> Result<Vec<Uuid>, StoreError> {
                sqlx::query_scalar(
                    "SELECT customer_id FROM customer_index WHERE field = $1 AND hash = $2 \
                     ORDER BY customer_id LIMIT 100",
                )
                .bind(field)
                .bind(hash)
                .fetch_all(&self.pool)
                .await
                .map_err(StoreError::query("search blind index"))
            }

            async fn card_token(&self, token: &str) -> Result<Option<CardTokenRecord>, StoreError> {
                let row: Option<CardRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {CARD_COLUMNS} FROM card_tokens WHERE token = $1"
                )))
                .bind(token)
                .fetch_optional(&self.pool)
                .await
                .map_err(StoreError::query("read card token"))?;
                row.map(card_from_row).transpose()
            }

            async fn data_keys_to_rewrap(&self, current: u32, limit: u32) -> Result<Vec<WrappedDataKey>, StoreError> {
                let rows: Vec<(Uuid, i64, i64, Vec<u8>)> = sqlx::query_as(
                    "SELECT id, kek_version, data_key_version, data_key_wrapped FROM customers \
                     WHERE kek_version IS NOT NULL AND kek_version <> $1 \
                     AND data_key_wrapped IS NOT NULL ORDER BY id LIMIT $2",
                )
                .bind(i64::from(current))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(StoreError::query("find data keys to rewrap"))?;
                rows.into_iter()
                    .map(|(customer_id, kek, dk, wrapped)| {
                        Ok(WrappedDataKey {
                            customer_id,
                            kek_version: version(kek)?,
                            data_key_version: version(dk)?,
                            wrapped,
                        })
                    })
                    .collect()
            }

            async fn rewrap_data_key(
                &self,
                customer: Uuid,
                from_kek: u32,
                to_kek: u32,
                wrapped: &[u8],
            ) -> Result<bool, StoreError> {
                let done = sqlx::query(
                    "UPDATE customers SET kek_version = $1, data_key_wrapped = $2 \
                     WHERE id = $3 AND kek_version = $4 AND deleted_at IS NULL",
                )
                .bind(i64::from(to_kek))
                .bind(wrapped)
                .bind(customer)
                .bind(i64::from(from_kek))
                .execute(&self.pool)
                .await
                .map_err(StoreError::query("rewrap data key"))?;
                Ok(done.rows_affected() == 1)
            }

            async fn create_interaction(&self, i: &InteractionRecord) -> Result<(), StoreError> {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO interactions ({INTERACTION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
                )))
                .bind(i.id)
                .bind(i.customer_id)
                .bind(&i.channel)
                .bind(i.agent_id)
                .bind(&i.agent_team)
                .bind(&i.opened_by)
                .bind(i.opened_at)
                .bind(i.closed_at)
                .bind(&i.closed_by)
                .bind(i.verified_at)
                .bind(&i.verified_method)
                .bind(i64::from(i.verification_failures))
                .bind(i.last_activity_at)
                .execute(&self.pool)
                .await
                .map_err(StoreError::query("open interaction"))?;
                Ok(())
            }

            async fn interaction(&self, id: Uuid) -> Result<Option<InteractionRecord>, StoreError> {
                let row: Option<InteractionRow> = sqlx::query_as(crate::vault::INTERACTION_BY_ID_SQL)
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(StoreError::query("read interaction"))?;
                Ok(row.map(interaction_from_row))
            }

            async fn open_interactions(&self, customer: Uuid) -> Result<Vec<InteractionRecord>, StoreError> {
                let rows: Vec<InteractionRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {INTERACTION_COLUMNS} FROM interactions \
                     WHERE customer_id = $1 AND closed_at IS NULL ORDER BY opened_at"
                )))
                .bind(customer)
                .fetch_all(&self.pool)
                .await
                .map_err(StoreError::query("read open interactions"))?;
                Ok(rows.into_iter().map(interaction_from_row).collect())
            }

            async fn open_interactions_in(
                &self,
                scope: &InteractionScope,
                limit: u32,
            ) -> Result<Vec<InteractionRecord>, StoreError> {
                let filter = match scope {
                    InteractionScope::All => "",
                    InteractionScope::Agent(_) => "AND agent_id = $2",
                    InteractionScope::Team(_) => "AND agent_team = $2",
                };
                let sql = format!(
                    "SELECT {INTERACTION_COLUMNS} FROM interactions \
                     WHERE closed_at IS NULL {filter} ORDER BY opened_at DESC LIMIT $1"
                );
                let query = sqlx::query_as::<_, InteractionRow>(sqlx::AssertSqlSafe(sql))
                    .bind(i64::from(limit));
                let query = match scope {
                    InteractionScope::All => query,
                    InteractionScope::Agent(agent) => query.bind(*agent),
                    InteractionScope::Team(team) => query.bind(team.clone()),
                };
                let rows = query
                    .fetch_all(&self.pool)
                    .await
                    .map_err(StoreError::query("list open interactions"))?;
                Ok(rows.into_iter().map(interaction_from_row).collect())
            }

            async fn reassign_interaction(
                &self,
                id: Uuid,
                agent: Uuid,
                team: Option<&str>,
                now: i64,
            ) -> Result<bool, StoreError> {
                let done = sqlx::query(
                    "UPDATE interactions SET agent_id = $1, agent_team = $2, last_activity_at = $3 \
                     WHERE id = $4 AND closed_at IS NULL",
                )
                .bind(agent)
                .bind(team)
                .bind(now)
                .bind(id)
                .execute(&self.pool)
                .await
                .map_err(StoreError::query("reassign interaction"))?;
                Ok(done.rows_affected() == 1)
            }

            async fn close_interaction(&self, id: Uuid, now: i64, by: &str) -> Result<bool, StoreError> {
                let done = sqlx::query(
                    "UPDATE interactions SET closed_at = $1, closed_by = $2, redaction_context = NULL \
                     WHERE id = $3 AND closed_at IS NULL",
                )
                .bind(now)
                .bind(by)
                .bind(id)
                .execute(&self.pool)
                .await
                .map_err(StoreError::query("close interaction"))?;
                Ok(done.rows_affected() == 1)
            }
        }
        }
    };
}

pub(crate) use impl_vault_store;
