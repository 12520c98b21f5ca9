//! The SQL of [`crate::InvitationStore`], written once for both backends (see `sql/mod.rs`).

/// Implements the trait for `$store` (a type in the calling module with a `pool`).
macro_rules! impl_invitation_store {
    ($store:ident) => {
        mod invitation_sql {
        use super::$store;
        use crate::StoreError;
        use crate::invitations::{
            InvitationRecord, InvitationRow, InvitationStore, invitation_from_row,
        };

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
                sqlx::query("DELETE FROM invitations WHERE username = $1 AND consumed_at IS NULL")
                    .bind(&invitation.username)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::query("retire earlier invitations"))?;
                sqlx::query(
                    "INSERT INTO invitations (token_hash, username, role, team, invited_by, issued_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(invitation.token_hash.as_slice())
                .bind(&invitation.username)
                .bind(&invitation.role)
                .bind(invitation.team.as_deref())
                .bind(&invitation.invited_by)
                .bind(invitation.issued_at)
                .bind(invitation.expires_at)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::query("store invitation"))?;
                tx.commit().await.map_err(StoreError::query("commit invitation"))
            }

            async fn find_invitation(
                &self,
                token_hash: &[u8; 32],
                now: i64,
            ) -> Result<Option<InvitationRecord>, StoreError> {
                let row: Option<InvitationRow> = sqlx::query_as(
                    "SELECT token_hash, username, role, team, invited_by, issued_at, expires_at \
                     FROM invitations WHERE token_hash = $1 AND consumed_at IS NULL AND expires_at > $2",
                )
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
                let row: Option<InvitationRow> = sqlx::query_as(
                    "UPDATE invitations SET consumed_at = $1 \
                     WHERE token_hash = $2 AND consumed_at IS NULL AND expires_at > $1 \
                     RETURNING token_hash, username, role, team, invited_by, issued_at, expires_at",
                )
                .bind(now)
                .bind(token_hash.as_slice())
                .fetch_optional(&self.pool)
                .await
                .map_err(StoreError::query("use invitation"))?;
                row.map(invitation_from_row).transpose()
            }
        }
        }
    };
}

pub(crate) use impl_invitation_store;
