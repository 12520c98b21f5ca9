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
        Self::with_stored(event).map(|(entry, _)| entry)
    }

    /// Encodes `event` for the chain, and returns its stored form too (what
    /// decoding the payload gives back), for readers that would otherwise decode it.
    pub fn with_stored(event: &AuditEvent) -> Result<(Self, StoredEventV1), EventError> {
        let stored = event.to_stored()?;
        let entry = Self {
            time_ms: event.time_ms,
            index: IndexFields {
                action: event.action.clone(),
                actor: event.actor.display_name().to_owned(),
                target_kind: event.target.as_ref().map(|t| t.kind.clone()),
                target_id: event.target.as_ref().and_then(|t| t.id.clone()),
                outcome: event.outcome.as_str().to_owned(),
            },
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

fn put_field(ctx: &mut Context, field: Option<&[u8]>) {
    match field {
        Some(bytes) => {
            // Lengths above u32::MAX cannot be stored; saturating keeps the encoding total.
            let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX - 1);
            ctx.update(&len.to_be_bytes());
            ctx.update(bytes);
        }
        None => ctx.update(&u32::MAX.to_be_bytes()),
    }
}

/// The hash of an entry.
pub fn entry_hash(
    seq: u64,
    prev_hash: &Hash,
    time_ms: i64,
    index: &IndexFields,
    payload: &[u8],
) -> Hash {
    let mut ctx = Context::new(&SHA256);
    ctx.update(ENTRY_DOMAIN);
    ctx.update(&seq.to_be_bytes());
    ctx.update(prev_hash);
    ctx.update(&time_ms.to_be_bytes());
    put_field(&mut ctx, Some(index.action.as_bytes()));
    put_field(&mut ctx, Some(index.actor.as_bytes()));
    put_field(&mut ctx, index.target_kind.as_deref().map(str::as_bytes));
    put_field(&mut ctx, index.target_id.as_deref().map(str::as_bytes));
    put_field(&mut ctx, Some(index.outcome.as_bytes()));
    put_field(&mut ctx, Some(payload));
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
