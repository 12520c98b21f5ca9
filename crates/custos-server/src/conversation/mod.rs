//! Conversations: what customers and agents say in an interaction (chat and email
//! messages, call transcripts), redacted on the way in and stored only redacted
//! (a raw copy only where an admin keeps one for the channel, sealed under the
//! customer's data key); the customer's verification; and the idle lifecycle.

pub mod events;
pub mod ingest;
pub mod lifecycle;
pub mod verification;
pub mod writer;

use thiserror::Error;

use crate::notify::NotifyError;
use crate::vault::VaultError;

/// Why a conversation request failed. Messages never carry content, codes or contacts.
#[derive(Debug, Error)]
pub enum ConversationError {
    /// The vault failed (keys, integrity, store).
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] custos_store::StoreError),
    /// The audit trail could not record the action, so it did not happen.
    #[error("audit: {0}")]
    Audit(#[from] crate::audit::AuditError),
    /// The interaction is closed.
    #[error("the interaction is closed")]
    Closed,
    /// Already verified.
    #[error("the customer is already verified in this interaction")]
    AlreadyVerified,
    /// Too many failed verification attempts in this interaction.
    #[error("too many failed verification attempts in this interaction; open a new one")]
    VerificationLocked,
    /// The customer record lacks what the method needs.
    #[error("the customer has no {0} on file")]
    NoContact(&'static str),
    /// The channel is not configured.
    #[error("{0} is configured")]
    NotConfigured(&'static str),
    /// Too many codes sent.
    #[error("too many codes sent for this interaction")]
    TooManyCodes {
        /// Seconds until another may be sent.
        retry_after: u64,
    },
    /// The code could not be delivered.
    #[error("the code could not be delivered: {0}")]
    Delivery(NotifyError),
    /// No code was sent.
    #[error("no code was sent for this interaction")]
    NoCode,
    /// Wrong code.
    #[error("the code is not right")]
    WrongCode {
        /// Tries left on this code.
        attempts_left: u32,
    },
    /// The code was used already.
    #[error("the code was used already; send a new one")]
    CodeUsed,
    /// The code expired.
    #[error("the code expired; send a new one")]
    CodeExpired,
    /// The code has no tries left.
    #[error("too many wrong codes; send a new one")]
    CodeSpent,
    /// The answers were wrong.
    #[error("the answers do not match the record")]
    WrongAnswers,
    /// The system random generator failed.
    #[error("no randomness available")]
    Random,
    /// The request was refused.
    #[error("{0}")]
    Invalid(String),
    /// Storage is not available right now.
    #[error("{0}")]
    Unavailable(&'static str),
}
