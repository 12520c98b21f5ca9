//! Archive bundles: a segment of the trail (entries `from_seq..=to_seq`), the
//! chain head it continues from, the signed checkpoints inside it, and a trailer
//! signed with the audit key over the SHA-256 of everything before it; all as
//! JSON lines, gzip-compressed. A bundle verifies offline with the public key
//! alone: the trailer proves Custos wrote it, the chain and checkpoints prove the
//! entries are the ones the trail had.
//!
//! ```text
//! {"v":1,"type":"custos.audit.bundle","instance":…,"from_seq":…,"to_seq":…,"start_seq":…,"start_hash":…,"start_frontier":…,"created_ms":…,"key_id":…}
//! {"entry":{"seq":…,"time_ms":…,"action":…,…,"payload":<base64>,"prev_hash":<hex>,"hash":<hex>,"head_signature":<base64>|null}}
//! {"checkpoint":"<a witness line>"}
//! {"trailer":{"entries":…,"checkpoints":…,"sha256":<hex>,"signature":<base64>}}
//! ```

use std::io::{BufRead, BufReader, Read, Write};

use aws_lc_rs::digest::{Context, SHA256};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::Hash;
use crate::chain::{ChainHead, IndexFields, StoredEntry};
use crate::checkpoint::SignedCheckpoint;
use crate::merkle::MerkleFrontier;
use crate::signing::{AuditSigner, AuditVerifyingKey};

/// What a bundle holds, once read and its trailer checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    /// The installation.
    pub instance: String,
    /// First entry.
    pub from_seq: u64,
    /// Last entry.
    pub to_seq: u64,
    /// The chain head just before `from_seq`.
    pub start: ChainHead,
    /// When it was made, milliseconds.
    pub created_ms: i64,
    /// The entries, in order.
    pub entries: Vec<StoredEntry>,
    /// Checkpoints with sizes in `from_seq..=to_seq`.
    pub checkpoints: Vec<SignedCheckpoint>,
}

/// Why a bundle could not be read or trusted.
#[derive(Debug, Error)]
pub enum BundleError {
    /// Reading or writing failed.
    #[error("cannot read or write the bundle: {0}")]
    Io(#[from] std::io::Error),
    /// The content is not a bundle of this version.
    #[error("malformed bundle: {0}")]
    Malformed(String),
    /// The trailer's signature does not verify or its digest does not match.
    #[error("the bundle's signature does not match its content")]
    BadSignature,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct HeaderV1 {
    v: u8,
    #[serde(rename = "type")]
    kind: String,
    instance: String,
    from_seq: u64,
    to_seq: u64,
    start_seq: u64,
    start_hash: String,
    start_frontier: String,
    created_ms: i64,
    key_id: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryV1 {
    seq: u64,
    time_ms: i64,
    action: String,
    actor: String,
    target_kind: Option<String>,
    target_id: Option<String>,
    outcome: String,
    payload: String,
    prev_hash: String,
    hash: String,
    head_signature: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TrailerV1 {
    entries: u64,
    checkpoints: u64,
    sha256: String,
    signature: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
enum Line {
    Entry(EntryV1),
    Checkpoint(String),
    Trailer(TrailerV1),
}

const BUNDLE_TYPE: &str = "custos.audit.bundle";

fn trailer_message(instance: &str, from: u64, to: u64, sha256: &str) -> Vec<u8> {
    format!("custos.audit.bundle v1\n{instance}\n{from}\n{to}\n{sha256}\n").into_bytes()
}

/// Writes lines while hashing them.
struct HashingWriter<W: Write> {
    inner: W,
    digest: Context,
}

impl<W: Write> HashingWriter<W> {
    fn line(&mut self, value: &impl Serialize) -> Result<(), BundleError> {
        let mut bytes =
            serde_json::to_vec(value).map_err(|e| BundleError::Malformed(e.to_string()))?;
        bytes.push(b'\n');
        self.digest.update(&bytes);
        self.inner.write_all(&bytes)?;
        Ok(())
    }
}

/// Writes a signed bundle of `entries` (which must continue from `start`).
pub fn write_bundle<W: Write>(
    out: W,
    instance: &str,
    start: &ChainHead,
    entries: &[StoredEntry],
    checkpoints: &[SignedCheckpoint],
    created_ms: i64,
    signer: &AuditSigner,
) -> Result<W, BundleError> {
    let from_seq = start.seq + 1;
    let to_seq = entries.last().map_or(start.seq, |e| e.seq);
    let mut w = HashingWriter {
        inner: GzEncoder::new(out, Compression::default()),
        digest: Context::new(&SHA256),
    };
    w.line(&HeaderV1 {
        v: 1,
        kind: BUNDLE_TYPE.to_owned(),
        instance: instance.to_owned(),
        from_seq,
        to_seq,
        start_seq: start.seq,
        start_hash: hex::encode(start.hash),
        start_frontier: B64.encode(start.frontier.encode()),
        created_ms,
        key_id: signer.key_id().to_owned(),
    })?;
    for e in entries {
        w.line(&Line::Entry(EntryV1 {
            seq: e.seq,
            time_ms: e.time_ms,
            action: e.index.action.clone(),
            actor: e.index.actor.clone(),
            target_kind: e.index.target_kind.clone(),
            target_id: e.index.target_id.clone(),
            outcome: e.index.outcome.clone(),
            payload: B64.encode(&e.payload),
            prev_hash: hex::encode(e.prev_hash),
            hash: hex::encode(e.hash),
            head_signature: e.head_signature.as_ref().map(|s| B64.encode(s)),
        }))?;
    }
    let inside: Vec<&SignedCheckpoint> = checkpoints
        .iter()
        .filter(|c| (from_seq..=to_seq).contains(&c.checkpoint.size))
        .collect();
    for c in &inside {
        w.line(&Line::Checkpoint(c.to_json_line()))?;
    }
    let HashingWriter { inner, digest } = w;
    let sha256 = hex::encode(digest.finish().as_ref());
    let signature = signer.sign(&trailer_message(instance, from_seq, to_seq, &sha256));
    let mut w = HashingWriter {
        inner,
        digest: Context::new(&SHA256),
    };
    w.line(&Line::Trailer(TrailerV1 {
        entries: entries.len() as u64,
        checkpoints: inside.len() as u64,
        sha256,
        signature: B64.encode(signature),
    }))?;
    Ok(w.inner.finish()?)
}

fn malformed(what: impl std::fmt::Display) -> BundleError {
    BundleError::Malformed(what.to_string())
}

fn hash_from_hex(text: &str) -> Result<Hash, BundleError> {
    let bytes = hex::decode(text).map_err(malformed)?;
    bytes
        .as_slice()
        .try_into()
        .map_err(|_| malformed("hash is not 32 bytes"))
}

/// Reads a bundle and checks its trailer signature with `key`. The entries are
/// not verified here: hand them to a [`crate::ChainVerifier`] starting at `start`.
pub fn read_bundle<R: Read>(input: R, key: &AuditVerifyingKey) -> Result<Bundle, BundleError> {
    let mut lines = BufReader::new(GzDecoder::new(input));
    let mut digest = Context::new(&SHA256);
    let mut buf = String::new();
    let mut next_line =
        |digest: &mut Context, hash_it: bool| -> Result<Option<String>, BundleError> {
            buf.clear();
            if lines.read_line(&mut buf)? == 0 {
                return Ok(None);
            }
            if hash_it {
                digest.update(buf.as_bytes());
            }
            Ok(Some(buf.trim_end_matches('\n').to_owned()))
        };
    let header_line = next_line(&mut digest, true)?.ok_or_else(|| malformed("empty"))?;
    let header: HeaderV1 = serde_json::from_str(&header_line).map_err(malformed)?;
    if header.v != 1 || header.kind != BUNDLE_TYPE {
        return Err(malformed("not a version 1 Custos audit bundle"));
    }
    let frontier = MerkleFrontier::decode(&B64.decode(&header.start_frontier).map_err(malformed)?)
        .map_err(malformed)?;
    if frontier.size() != header.start_seq || header.from_seq != header.start_seq + 1 {
        return Err(malformed("the start head does not fit the range"));
    }
    let start = ChainHead {
        seq: header.start_seq,
        hash: hash_from_hex(&header.start_hash)?,
        frontier,
    };
    let mut entries = Vec::new();
    let mut checkpoints = Vec::new();
    loop {
        // The trailer is not part of what it signs: peek before hashing.
        let Some(line) = next_line(&mut digest, false)? else {
            return Err(malformed("no trailer: the bundle is truncated"));
        };
        match serde_json::from_str::<Line>(&line).map_err(malformed)? {
            Line::Entry(e) => {
                digest.update(line.as_bytes());
                digest.update(b"\n");
                entries.push(StoredEntry {
                    seq: e.seq,
                    time_ms: e.time_ms,
                    index: IndexFields {
                        action: e.action,
                        actor: e.actor,
                        target_kind: e.target_kind,
                        target_id: e.target_id,
                        outcome: e.outcome,
                    },
                    payload: B64.decode(&e.payload).map_err(malformed)?,
                    prev_hash: hash_from_hex(&e.prev_hash)?,
                    hash: hash_from_hex(&e.hash)?,
                    head_signature: e
                        .head_signature
                        .map(|s| B64.decode(s))
                        .transpose()
                        .map_err(malformed)?,
                });
            }
            Line::Checkpoint(text) => {
                digest.update(line.as_bytes());
                digest.update(b"\n");
                checkpoints.push(SignedCheckpoint::from_json_line(&text).map_err(malformed)?);
            }
            Line::Trailer(trailer) => {
                if next_line(&mut digest, false)?.is_some() {
                    return Err(malformed("content after the trailer"));
                }
                let sha256 = hex::encode(digest.finish().as_ref());
                let signed =
                    trailer_message(&header.instance, header.from_seq, header.to_seq, &sha256);
                let signature = B64.decode(&trailer.signature).map_err(malformed)?;
                if sha256 != trailer.sha256 || !key.verify(&signed, &signature) {
                    return Err(BundleError::BadSignature);
                }
                if trailer.entries != entries.len() as u64
                    || trailer.checkpoints != checkpoints.len() as u64
                {
                    return Err(malformed("the trailer's counts do not match"));
                }
                return Ok(Bundle {
                    instance: header.instance,
                    from_seq: header.from_seq,
                    to_seq: header.to_seq,
                    start,
                    created_ms: header.created_ms,
                    entries,
                    checkpoints,
                });
            }
        }
    }
}
