//! The audit trail's logic, pure: no I/O, no async, no clock.
//!
//! - [`event`]: one OCSF-shaped event type ([`AuditEvent`]) and its versioned stored form.
//! - [`chain`]: sealing events into a hash chain ([`seal_batch`]): each entry's hash covers
//!   its sequence number, its predecessor's hash, its index columns and its payload; the last
//!   entry of every batch carries an Ed25519 signature over the new head.
//! - [`merkle`]: an RFC 9162 Merkle tree over the entry hashes, kept as a compact frontier.
//! - [`checkpoint`]: signed (size, root, time) statements, also written outside the database.
//! - [`verify`]: a streaming verifier that names the first bad sequence number.
//! - [`export`]: OCSF JSON lines and CEF for SIEMs.
//! - [`bundle`]: signed, compressed archive bundles of a segment, verifiable offline.
//!
//! The design, and what it does and does not protect against, is in
//! `docs/design/0002-audit-trail.md`.

pub mod bundle;
pub mod chain;
pub mod checkpoint;
pub mod event;
pub mod export;
pub mod merkle;
pub mod signing;
pub mod verify;

pub use bundle::{Bundle, BundleError, read_bundle, write_bundle};
pub use chain::{ChainHead, IndexFields, PendingEntry, StoredEntry, entry_hash, seal_batch};
pub use checkpoint::{Checkpoint, SignedCheckpoint};
pub use event::{
    Activity, Actor, ActorKind, AuditEvent, EventError, Outcome, Reason, StoredEventV1, Target,
};
pub use merkle::MerkleFrontier;
pub use signing::{AuditSigner, AuditVerifyingKey, KeyError};
pub use verify::{ChainVerifier, Finding, Problem, Report};

/// A SHA-256 digest.
pub type Hash = [u8; 32];
