//! Invitations: the one-time links an administrator gives a new person, who
//! redeems one to choose a password and enrol an authenticator. Only the token's
//! SHA-256 is stored; the account is created when the link is redeemed.
//!
//! A credential reset is an invitation for an existing account (`resets_user`):
//! issuing one takes the person's second factors and sessions away at once, and
//! redeeming it gives them a new password, authenticator and recovery codes
//! ([`crate::AccountStore::complete_credential_reset`]).

use std::future::Future;

use uuid::Uuid;

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
    /// The existing account this link resets; `None` for a new person.
    pub resets_user: Option<Uuid>,
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
    /// In one transaction: stores `reset` (an invitation naming the account it
    /// resets in `resets_user`; earlier unused links for the username stop working),
    /// removes that account's TOTP secret, recovery codes, passkeys and pending
    /// sign-ins, and ends its live sessions at `issued_at`. Returns how many
    /// sessions ended.
    fn issue_credential_reset(
        &self,
        reset: &InvitationRecord,
    ) -> impl Future<Output = Result<usize, StoreError>> + Send;
}

/// The columns of an `invitations` row, in [`InvitationRow`] order.
pub(crate) const INVITATION_COLUMNS: &str =
    "token_hash, username, role, team, invited_by, issued_at, expires_at, resets_user";

/// An `invitations` row.
pub(crate) type InvitationRow = (
    Vec<u8>,
    String,
    String,
    Option<String>,
    String,
    i64,
    i64,
    Option<Uuid>,
);

pub(crate) fn invitation_from_row(row: InvitationRow) -> Result<InvitationRecord, StoreError> {
    let (hash, username, role, team, invited_by, issued_at, expires_at, resets_user) = row;
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
        resets_user,
    })
}
