//! Invitations: the one-time links an administrator gives a new person, who
//! redeems one to choose a password and enrol an authenticator. Only the token's
//! SHA-256 is stored; the account is created when the link is redeemed.

use std::future::Future;

use crate::StoreError;

/// An invitation as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationRecord {
    /// SHA-256 of the token in the link.
    pub token_hash: [u8; 32],
    /// The account's username.
    pub username: String,
    /// Its role (a person's).
    pub role: String,
    /// Its team, if any.
    pub team: Option<String>,
    /// Who invited (an actor id).
    pub invited_by: String,
    /// Issued (Unix seconds).
    pub issued_at: i64,
    /// Stops working at.
    pub expires_at: i64,
}

/// Storage of invitations.
pub trait InvitationStore {
    /// Stores an invitation; any earlier unused one for the same username stops working.
    fn create_invitation(
        &self,
        invitation: &InvitationRecord,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The usable invitation with this token hash (not used, not expired), without using it.
    fn find_invitation(
        &self,
        token_hash: &[u8; 32],
        now: i64,
    ) -> impl Future<Output = Result<Option<InvitationRecord>, StoreError>> + Send;
    /// Uses the invitation with this token hash, once, if it has not expired; its
    /// record, or `None` if there is no such usable invitation.
    fn consume_invitation(
        &self,
        token_hash: &[u8; 32],
        now: i64,
    ) -> impl Future<Output = Result<Option<InvitationRecord>, StoreError>> + Send;
}

/// An `invitations` row.
pub(crate) type InvitationRow = (Vec<u8>, String, String, Option<String>, String, i64, i64);

pub(crate) fn invitation_from_row(row: InvitationRow) -> Result<InvitationRecord, StoreError> {
    let (hash, username, role, team, invited_by, issued_at, expires_at) = row;
    Ok(InvitationRecord {
        token_hash: hash
            .try_into()
            .map_err(|_| StoreError::Corrupt("an invitation's token hash is not 32 bytes"))?,
        username,
        role,
        team,
        invited_by,
        issued_at,
        expires_at,
    })
}
