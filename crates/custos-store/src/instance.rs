//! The identity of this installation and its one-time setup links.
//!
//! On its first start the server creates the instance row and issues a setup
//! link for the first administrator. Only the SHA-256 of the link's token is
//! stored, so a copy of the database cannot be used to take over the setup.

use std::future::Future;

use uuid::Uuid;

use crate::StoreError;

/// Seconds since the Unix epoch, UTC. Both backends store times this way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct UnixTime(pub i64);

/// The SHA-256 digest of a setup token; the token itself is never stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetupTokenHash(pub [u8; 32]);

/// What the store knows about this installation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceInfo {
    /// Random id made on the first start; stable across restarts and nodes.
    pub instance_id: Uuid,
    /// When the installation was first initialized.
    pub created_at: UnixTime,
    /// When the first administrator was created, if yet.
    pub setup_completed_at: Option<UnixTime>,
}

/// Storage of the installation's identity and of setup links.
pub trait InstanceStore {
    /// Succeeds when the database answers a trivial query.
    fn ping(&self) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The instance row, created with a fresh id at `now` if this is the first call ever.
    fn instance(
        &self,
        now: UnixTime,
    ) -> impl Future<Output = Result<InstanceInfo, StoreError>> + Send;

    /// The instance row if this database was ever initialized; never creates it.
    fn find_instance(
        &self,
    ) -> impl Future<Output = Result<Option<InstanceInfo>, StoreError>> + Send;

    /// Makes `token` the only valid setup link: every earlier unconsumed one stops working.
    fn replace_setup_token(
        &self,
        token: &SetupTokenHash,
        issued_at: UnixTime,
        expires_at: UnixTime,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Uses up `token`: true exactly once for a valid, unexpired, unconsumed token.
    fn consume_setup_token(
        &self,
        token: &SetupTokenHash,
        now: UnixTime,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Records that the first administrator exists; setup links are no longer issued.
    fn mark_setup_complete(
        &self,
        now: UnixTime,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}
