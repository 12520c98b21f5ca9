//! Passkeys (WebAuthn credentials) and the WebAuthn ceremonies in flight.
//!
//! The store keeps what it is given: the credential arrives sealed by the server
//! (public key and signature counter inside), the ceremony state too. The store
//! only indexes them by owner and credential id and makes each ceremony single-use.

use std::future::Future;

use uuid::Uuid;

use crate::StoreError;

/// A passkey as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyRecord {
    /// Public id.
    pub id: Uuid,
    /// Its owner.
    pub user_id: Uuid,
    /// The authenticator's credential id (public, unique).
    pub credential_id: Vec<u8>,
    /// The owner's label for it, e.g. "work laptop".
    pub name: String,
    /// The sealed credential (public key, counter).
    pub sealed: Vec<u8>,
    /// Enrolled (Unix seconds).
    pub created_at: i64,
    /// Last used to sign in or step up.
    pub last_used_at: Option<i64>,
}

/// Storage of passkeys and ceremonies.
pub trait PasskeyStore {
    /// Stores a new passkey; `Conflict` if its credential id is already enrolled.
    fn add_passkey(
        &self,
        passkey: &PasskeyRecord,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// A person's passkeys, oldest first.
    fn passkeys_of(
        &self,
        user: Uuid,
    ) -> impl Future<Output = Result<Vec<PasskeyRecord>, StoreError>> + Send;
    /// Replaces a passkey's sealed credential (its counter moved) and records its use.
    fn record_passkey_use(
        &self,
        id: Uuid,
        sealed: &[u8],
        now: i64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Removes one of a person's passkeys; whether it existed.
    fn remove_passkey(
        &self,
        user: Uuid,
        id: Uuid,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Whether the person has any passkey (without reading them: the sign-in path asks).
    fn has_passkey(&self, user: Uuid) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Stores a ceremony's sealed state under `key`, replacing one in flight there.
    fn put_ceremony(
        &self,
        key: &[u8; 32],
        user: Uuid,
        sealed_state: &[u8],
        expires_at: i64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Takes (and deletes) the ceremony under `key`: its person and sealed state;
    /// `None` if there is none or it has expired.
    fn take_ceremony(
        &self,
        key: &[u8; 32],
        now: i64,
    ) -> impl Future<Output = Result<Option<(Uuid, Vec<u8>)>, StoreError>> + Send;
}

/// A `passkeys` row.
pub(crate) type PasskeyRow = (Uuid, Uuid, Vec<u8>, String, Vec<u8>, i64, Option<i64>);

pub(crate) fn passkey_from_row(row: PasskeyRow) -> PasskeyRecord {
    let (id, user_id, credential_id, name, sealed, created_at, last_used_at) = row;
    PasskeyRecord {
        id,
        user_id,
        credential_id,
        name,
        sealed,
        created_at,
        last_used_at,
    }
}
