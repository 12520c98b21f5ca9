//! The SQL of [`crate::InstanceStore`], written once for both backends.

/// Implements the trait for `$store` (a type in the calling module with a `pool`).
macro_rules! impl_instance_store {
    ($store:ident) => {
        mod instance_sql {
        use uuid::Uuid;

        use super::$store;
        use crate::StoreError;
        use crate::instance::{InstanceInfo, InstanceStore, SetupTokenHash, UnixTime};

        impl InstanceStore for $store {
            async fn ping(&self) -> Result<(), StoreError> {
                sqlx::query("SELECT 1")
                    .execute(&self.pool)
                    .await
                    .map_err(StoreError::query("ping"))?;
                Ok(())
            }

            async fn instance(&self, now: UnixTime) -> Result<InstanceInfo, StoreError> {
                sqlx::query(
                    "INSERT INTO instance (singleton, instance_id, created_at) VALUES (1, $1, $2) \
                     ON CONFLICT (singleton) DO NOTHING",
                )
                .bind(Uuid::new_v4())
                .bind(now.0)
                .execute(&self.pool)
                .await
                .map_err(StoreError::query("create instance"))?;
                let (instance_id, created_at, setup_completed_at): (Uuid, i64, Option<i64>) =
                    sqlx::query_as(
                        "SELECT instance_id, created_at, setup_completed_at FROM instance WHERE singleton = 1",
                    )
                    .fetch_one(&self.pool)
                    .await
                    .map_err(StoreError::query("read instance"))?;
                Ok(InstanceInfo {
                    instance_id,
                    created_at: UnixTime(created_at),
                    setup_completed_at: setup_completed_at.map(UnixTime),
                })
            }

            async fn find_instance(&self) -> Result<Option<InstanceInfo>, StoreError> {
                let row: Option<(Uuid, i64, Option<i64>)> = sqlx::query_as(
                    "SELECT instance_id, created_at, setup_completed_at FROM instance WHERE singleton = 1",
                )
                .fetch_optional(&self.pool)
                .await
                .map_err(StoreError::query("read instance"))?;
                Ok(row.map(
                    |(instance_id, created_at, setup_completed_at)| InstanceInfo {
                        instance_id,
                        created_at: UnixTime(created_at),
                        setup_completed_at: setup_completed_at.map(UnixTime),
                    },
                ))
            }

            async fn replace_setup_token(
                &self,
                token: &SetupTokenHash,
                issued_at: UnixTime,
                expires_at: UnixTime,
            ) -> Result<(), StoreError> {
                let mut tx = self
                    .pool
                    .begin()
                    .await
                    .map_err(StoreError::query("begin setup token"))?;
                sqlx::query("DELETE FROM setup_tokens WHERE consumed_at IS NULL")
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::query("retire setup tokens"))?;
                sqlx::query(
                    "INSERT INTO setup_tokens (token_hash, issued_at, expires_at) VALUES ($1, $2, $3)",
                )
                .bind(token.0.as_slice())
                .bind(issued_at.0)
                .bind(expires_at.0)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::query("issue setup token"))?;
                tx.commit()
                    .await
                    .map_err(StoreError::query("commit setup token"))
            }

            async fn consume_setup_token(
                &self,
                token: &SetupTokenHash,
                now: UnixTime,
            ) -> Result<bool, StoreError> {
                let done = sqlx::query(
                    "UPDATE setup_tokens SET consumed_at = $1 \
                     WHERE token_hash = $2 AND consumed_at IS NULL AND expires_at > $3",
                )
                .bind(now.0)
                .bind(token.0.as_slice())
                .bind(now.0)
                .execute(&self.pool)
                .await
                .map_err(StoreError::query("consume setup token"))?;
                Ok(done.rows_affected() == 1)
            }

            async fn mark_setup_complete(&self, now: UnixTime) -> Result<(), StoreError> {
                let mut tx = self
                    .pool
                    .begin()
                    .await
                    .map_err(StoreError::query("begin setup completion"))?;
                sqlx::query(
                    "UPDATE instance SET setup_completed_at = $1 WHERE singleton = 1 AND setup_completed_at IS NULL",
                )
                .bind(now.0)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::query("complete setup"))?;
                sqlx::query("DELETE FROM setup_tokens WHERE consumed_at IS NULL")
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::query("retire setup tokens"))?;
                tx.commit()
                    .await
                    .map_err(StoreError::query("commit setup completion"))
            }
        }
        }
    };
}

pub(crate) use impl_instance_store;
