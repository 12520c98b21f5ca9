//! The SQL of [`crate::InvitationStore`], written once for both backends (see `sql/mod.rs`).

/// Implements the trait for `$store` (a type in the calling module with a `pool`)
/// on the database `$db`.
macro_rules! impl_invitation_store {
    ($store:ident, $db:ty) => {
        mod invitation_sql {
        use super::$store;
        use crate::StoreError;
        use crate::invitations::{
            INVITATION_COLUMNS, InvitationRecord, InvitationRow, InvitationStore,
            invitation_from_row,
        };

        /// Retires the username's unused links and stores `invitation`, in `tx`.
        async fn insert_invitation(
            tx: &mut sqlx::Transaction<'_, $db>,
            invitation: &InvitationRecord,
        ) -> Result<(), StoreError> {
            sqlx::query("DELETE FROM invitations WHERE username = $1 AND consumed_at IS NULL")
                .bind(&invitation.username)
                .execute(&mut **tx)
                .await
                .map_err(StoreError::query("retire earlier invitations"))?;
            sqlx::query(
                "INSERT INTO invitations (token_hash, username, role, team, invited_by, issued_at, expires_at, resets_user) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(invitation.token_hash.as_slice())
            .bind(&invitation.username)
            .bind(&invitation.role)
            .bind(invitation.team.as_deref())
            .bind(&invitation.invited_by)
            .bind(invitation.issued_at)
            .bind(invitation.expires_at)
            .bind(invitation.resets_user)
            .execute(&mut **tx)
            .await
            .map_err(StoreError::query("store invitation"))?;
            Ok(())
        }

        impl InvitationStore for $store {
            async fn create_invitation(
                &self,
                invitation: &InvitationRecord,
            ) -> Result<(), StoreError> {
                let mut tx = self
                    .pool
                    .begin()
                    .await
                    .map_err(StoreError::query("begin invitation"))?;
                insert_invitation(&mut tx, invitation).await?;
                tx.commit().await.map_err(StoreError::query("commit invitation"))
            }

            async fn find_invitation(
                &self,
                token_hash: &[u8; 32],
                now: i64,
            ) -> Result<Option<InvitationRecord>, StoreError> {
                let row: Option<InvitationRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {INVITATION_COLUMNS} \
                     FROM invitations WHERE token_hash = $1 AND consumed_at IS NULL AND expires_at > $2"
                )))
                .bind(token_hash.as_slice())
                .bind(now)
                .fetch_optional(&self.pool)
                .await
                .map_err(StoreError::query("read invitation"))?;
                row.map(invitation_from_row).transpose()
            }

            async fn consume_invitation(
                &self,
                token_hash: &[u8; 32],
                now: i64,
            ) -> Result<Option<InvitationRecord>, StoreError> {
                let row: Option<InvitationRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "UPDATE invitations SET consumed_at = $1 \
                     WHERE token_hash = $2 AND consumed_at IS NULL AND expires_at > $1 \
                     RETURNING {INVITATION_COLUMNS}"
                )))
                .bind(now)
                .bind(token_hash.as_slice())
                .fetch_optional(&self.pool)
                .await
                .map_err(StoreError::query("use invitation"))?;
                row.map(invitation_from_row).transpose()
            }

            async fn issue_credential_reset(
                &self,
                reset: &InvitationRecord,
            ) -> Result<usize, StoreError> {
                let user = reset
                    .resets_user
                    .ok_or(StoreError::Corrupt("a credential reset that names no account"))?;
                let now = reset.issued_at;
                let mut tx = self
                    .pool
                    .begin()
                    .await
                    .map_err(StoreError::query("begin credential reset"))?;
                insert_invitation(&mut tx, reset).await?;
                sqlx::query("UPDATE users SET totp_sealed = NULL, totp_last_step = NULL WHERE id = $1")
                    .bind(user)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::query("remove authenticator"))?;
                for (table, what) in [
                    ("recovery_codes", "remove recovery codes"),
                    ("passkeys", "remove passkeys"),
                    ("webauthn_ceremonies", "end passkey ceremonies"),
                    ("mfa_challenges", "end pending sign-ins"),
                ] {
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DELETE FROM {table} WHERE user_id = $1"
                    )))
                    .bind(user)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::query(what))?;
                }
                let ended = sqlx::query(
                    "UPDATE sessions SET ended_at = $1, end_reason = 'credentials_reset' \
                     WHERE user_id = $2 AND ended_at IS NULL",
                )
                .bind(now)
                .bind(user)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::query("end sessions"))?
                .rows_affected();
                tx.commit()
                    .await
                    .map_err(StoreError::query("commit credential reset"))?;
                Ok(usize::try_from(ended).unwrap_or(usize::MAX))
            }
        }
        }
    };
}

pub(crate) use impl_invitation_store;
