//! The SQL of [`crate::PasskeyStore`], written once for both backends (see `sql/mod.rs`).

/// Implements the trait for `$store` (a type in the calling module with a `pool`).
macro_rules! impl_passkey_store {
    ($store:ident) => {
        mod passkey_sql {
        use uuid::Uuid;

        use super::$store;
        use crate::StoreError;
        use crate::accounts::conflict_or;
        use crate::passkeys::{PasskeyRecord, PasskeyRow, PasskeyStore, passkey_from_row};

        impl PasskeyStore for $store {
            async fn add_passkey(&self, passkey: &PasskeyRecord) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO passkeys (id, user_id, credential_id, name, sealed, created_at, last_used_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(passkey.id)
                .bind(passkey.user_id)
                .bind(passkey.credential_id.as_slice())
                .bind(&passkey.name)
                .bind(passkey.sealed.as_slice())
                .bind(passkey.created_at)
                .bind(passkey.last_used_at)
                .execute(&self.pool)
                .await
                .map_err(conflict_or("store passkey", "this passkey"))?;
                Ok(())
            }

            async fn passkeys_of(&self, user: Uuid) -> Result<Vec<PasskeyRecord>, StoreError> {
                let rows: Vec<PasskeyRow> = sqlx::query_as(
                    "SELECT id, user_id, credential_id, name, sealed, created_at, last_used_at \
                     FROM passkeys WHERE user_id = $1 ORDER BY created_at, id",
                )
                .bind(user)
                .fetch_all(&self.pool)
                .await
                .map_err(StoreError::query("list passkeys"))?;
                Ok(rows.into_iter().map(passkey_from_row).collect())
            }

            async fn record_passkey_use(
                &self,
                id: Uuid,
                sealed: &[u8],
                now: i64,
            ) -> Result<(), StoreError> {
                sqlx::query("UPDATE passkeys SET sealed = $1, last_used_at = $2 WHERE id = $3")
                    .bind(sealed)
                    .bind(now)
                    .bind(id)
                    .execute(&self.pool)
                    .await
                    .map_err(StoreError::query("record passkey use"))?;
                Ok(())
            }

            async fn remove_passkey(&self, user: Uuid, id: Uuid) -> Result<bool, StoreError> {
                let done = sqlx::query("DELETE FROM passkeys WHERE user_id = $1 AND id = $2")
                    .bind(user)
                    .bind(id)
                    .execute(&self.pool)
                    .await
                    .map_err(StoreError::query("remove passkey"))?;
                Ok(done.rows_affected() == 1)
            }

            async fn has_passkey(&self, user: Uuid) -> Result<bool, StoreError> {
                let found: Option<i32> =
                    sqlx::query_scalar("SELECT 1 FROM passkeys WHERE user_id = $1 LIMIT 1")
                        .bind(user)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(StoreError::query("look for passkeys"))?;
                Ok(found.is_some())
            }

            async fn put_ceremony(
                &self,
                key: &[u8; 32],
                user: Uuid,
                sealed_state: &[u8],
                expires_at: i64,
            ) -> Result<(), StoreError> {
                let mut tx = self
                    .pool
                    .begin()
                    .await
                    .map_err(StoreError::query("begin ceremony"))?;
                sqlx::query("DELETE FROM webauthn_ceremonies WHERE ceremony_key = $1 OR expires_at <= $2")
                    .bind(key.as_slice())
                    .bind(expires_at - 3600)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::query("replace ceremony"))?;
                sqlx::query(
                    "INSERT INTO webauthn_ceremonies (ceremony_key, user_id, sealed_state, expires_at) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(key.as_slice())
                .bind(user)
                .bind(sealed_state)
                .bind(expires_at)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::query("store ceremony"))?;
                tx.commit().await.map_err(StoreError::query("commit ceremony"))
            }

            async fn take_ceremony(
                &self,
                key: &[u8; 32],
                now: i64,
            ) -> Result<Option<(Uuid, Vec<u8>)>, StoreError> {
                let row: Option<(Uuid, Vec<u8>, i64)> = sqlx::query_as(
                    "DELETE FROM webauthn_ceremonies WHERE ceremony_key = $1 \
                     RETURNING user_id, sealed_state, expires_at",
                )
                .bind(key.as_slice())
                .fetch_optional(&self.pool)
                .await
                .map_err(StoreError::query("take ceremony"))?;
                Ok(row
                    .filter(|(_, _, expires_at)| now < *expires_at)
                    .map(|(user, state, _)| (user, state)))
            }
        }
        }
    };
}

pub(crate) use impl_passkey_store;
