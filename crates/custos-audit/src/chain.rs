//! The hash chain. Every entry's hash covers a domain tag, its sequence number,
//! its predecessor's hash, its time, its index columns and its payload, so
//! changing, removing, inserting or reordering any stored byte breaks the chain.
//! The last entry of every committed batch also carries an Ed25519 signature over
//! the new head (instance, sequence number, hash): a forger with write access to
//! the database but not the audit key cannot extend the chain.

use aws_lc_rs::digest::{Context, SHA256};

use crate::Hash;
use crate::event::{AuditEvent, EventError, StoredEventV1};
use crate::merkle::MerkleFrontier;
use crate::signing::AuditSigner;

/// Domain tag of entry hashes, version 1.
const ENTRY_DOMAIN: &[u8] = b"custos.audit.entry.v1\0";
/// The predecessor of the first entry.
pub const GENESIS_HASH: Hash = [0u8; 32];

/// The columns stored beside the payload so the trail can be filtered without
/// parsing it. They are covered by the entry hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexFields {
    /// Action name.
    pub action: String,
    /// Actor's display name.
    pub actor: String,
    /// Target kind.
    pub target_kind: Option<String>,
    /// Target id.
    pub target_id: Option<String>,
    /// `success`, `failure` or `unknown`.
    pub outcome: String,
}

/// An event ready to be sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingEntry {
    /// Event time, milliseconds.
    pub time_ms: i64,
    /// Index columns.
    pub index: IndexFields,
    /// The stored event's bytes.
    pub payload: Vec<u8>,
}

impl PendingEntry {
    /// Encodes `event` for the chain.
    pub fn from_event(event: &AuditEvent) -> Result<Self, EventError> {
        Self::with_stored(event.clone()).map(|(entry, _)| entry)
    }

    /// Encodes `event` for the chain, and returns its stored form too (what
    /// decoding the payload gives back), for readers that would otherwise decode it.
    pub fn with_stored(event: AuditEvent) -> Result<(Self, StoredEventV1), EventError> {
        let time_ms = event.time_ms;
        let index = IndexFields {
            action: event.action.clone(),
            actor: event.actor.display_name().to_owned(),
            target_kind: event.target.as_ref().map(|t| t.kind.clone()),
            target_id: event.target.as_ref().and_then(|t| t.id.clone()),
            outcome: event.outcome.as_str().to_owned(),
        };
        let stored = event.into_stored()?;
        let entry = Self {
            time_ms,
            index,
            payload: stored.encode(),
        };
        Ok((entry, stored))
    }
}

/// An entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEntry {
    /// Position in the chain, from 1, without gaps.
    pub seq: u64,
    /// Event time, milliseconds.
    pub time_ms: i64,
    /// Index columns.
    pub index: IndexFields,
    /// The stored event's bytes.
    pub payload: Vec<u8>,
    /// Hash of entry `seq - 1` ([`GENESIS_HASH`] for the first).
    pub prev_hash: Hash,
    /// This entry's hash.
    pub hash: Hash,
    /// On the last entry of a batch: the signature over the head.
    pub head_signature: Option<Vec<u8>>,
}

/// Where the chain stands: last sequence number, its hash, the Merkle frontier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    /// Last sequence number (0 when empty).
    pub seq: u64,
    /// Hash of that entry ([`GENESIS_HASH`] when empty).
    pub hash: Hash,
    /// Merkle frontier over all entry hashes so far.
    pub frontier: MerkleFrontier,
}

impl ChainHead {
    /// The empty chain.
    pub fn genesis() -> Self {
        Self {
            seq: 0,
            hash: GENESIS_HASH,
            frontier: MerkleFrontier::new(),
        }
    }
}

/// Appends `field` as its length (`u32::MAX` for none) and its bytes.
fn put_field(preimage: &mut Vec<u8>, field: Option<&[u8]>) {
    match field {
        Some(bytes) => {
            put_length(preimage, bytes);
            preimage.extend_from_slice(bytes);
        }
        None => preimage.extend_from_slice(&u32::MAX.to_be_bytes()),
    }
}

/// Appends the length of `bytes`, big-endian.
fn put_length(preimage: &mut Vec<u8>, bytes: &[u8]) {
    // Lengths above u32::MAX cannot be stored; saturating keeps the encoding total.
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX - 1);
    preimage.extend_from_slice(&len.to_be_bytes());
}

/// The hash of an entry.
pub fn entry_hash(
    seq: u64,
    prev_hash: &Hash,
    time_ms: i64,
    index: &IndexFields,
    payload: &[u8],
) -> Hash {
    // Everything but the payload is gathered first and hashed in one update: each
    // update is a call into aws-lc, and a dozen small ones cost more than the hash.
    let mut preimage = Vec::with_capacity(256);
    preimage.extend_from_slice(ENTRY_DOMAIN);
    preimage.extend_from_slice(&seq.to_be_bytes());
    preimage.extend_from_slice(prev_hash);
    preimage.extend_from_slice(&time_ms.to_be_bytes());
    put_field(&mut preimage, Some(index.action.as_bytes()));
    put_field(&mut preimage, Some(index.actor.as_bytes()));
    put_field(
        &mut preimage,
        index.target_kind.as_deref().map(str::as_bytes),
    );
    put_field(&mut preimage, index.target_id.as_deref().map(str::as_bytes));
    put_field(&mut preimage, Some(index.outcome.as_bytes()));
    put_length(&mut preimage, payload);
    let mut ctx = Context::new(&SHA256);
    ctx.update(&preimage);
    ctx.update(payload);
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

/// What the head signature covers.
pub fn head_message(instance: &str, seq: u64, hash: &Hash) -> Vec<u8> {
    format!(
        "custos.audit.head v1\n{instance}\n{seq}\n{}\n",
        hex::encode(hash)
    )
    .into_bytes()
}

/// Seals `pending` onto the chain at `head`: assigns sequence numbers, links and
/// hashes each entry, extends the Merkle frontier and signs the new head on the
/// last entry. Returns the entries to store and the new head.
pub fn seal_batch(
    head: &ChainHead,
    pending: Vec<PendingEntry>,
    signer: &AuditSigner,
    instance: &str,
) -> (Vec<StoredEntry>, ChainHead) {
    let mut next = head.clone();
    let mut sealed = Vec::with_capacity(pending.len());
    for entry in pending {
        let seq = next.seq + 1;
        let hash = entry_hash(seq, &next.hash, entry.time_ms, &entry.index, &entry.payload);
        next.frontier.push(&hash);
        sealed.push(StoredEntry {
            seq,
            time_ms: entry.time_ms,
            index: entry.index,
            payload: entry.payload,
            prev_hash: next.hash,
            hash,
            head_signature: None,
        });
        next.seq = seq;
        next.hash = hash;
    }
    if let Some(last) = sealed.last_mut() {
        last.head_signature = Some(signer.sign(&head_message(instance, last.seq, &last.hash)));
    }
    (sealed, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The entry hash is the chain's format: every trail ever written is checked
    /// against it, so its bytes may never change.
    #[test]
    fn an_entry_hashes_to_its_known_answer() {
        let index = IndexFields {
            action: "customer.read".into(),
            actor: "demo-ccaas".into(),
            target_kind: Some("customer".into()),
            target_id: None,
            outcome: "success".into(),
        };
        let hash = entry_hash(7, &[0x5a; 32], 1_700_000_000_123, &index, b"{\"v\":1}");
        assert_eq!(
            hex::encode(hash),
            "286a8fbe4a4b3e15f2f3d729fd4874119233efbd0ea33110fe1734cde89c5420"
        );
    }
}
