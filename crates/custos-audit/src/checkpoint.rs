//! Signed checkpoints: "the first `size` entries have Merkle root `root`", made
//! every N entries or T seconds, stored in the database and also written to a
//! witness outside it. A checkpoint outside the database is what makes deleting
//! the tail of the trail, together with its in-database checkpoints, detectable.

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::Hash;
use crate::chain::ChainHead;
use crate::signing::{AuditSigner, AuditVerifyingKey};

/// What a checkpoint states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The installation the trail belongs to.
    pub instance: String,
    /// Number of entries covered (entries 1..=size).
    pub size: u64,
    /// RFC 9162 Merkle root of their hashes.
    pub root: Hash,
    /// When it was made, milliseconds.
    pub time_ms: i64,
}

impl Checkpoint {
    /// The checkpoint of the chain as it stands at `head`.
    pub fn of_head(head: &ChainHead, instance: &str, time_ms: i64) -> Self {
        Self {
            instance: instance.to_owned(),
            size: head.seq,
            root: head.frontier.root(),
            time_ms,
        }
    }

    /// The signed bytes: a small text note, versioned.
    pub fn message(&self) -> Vec<u8> {
        format!(
            "custos.audit.checkpoint v1\n{}\n{}\n{}\n{}\n",
            self.instance,
            self.size,
            hex::encode(self.root),
            self.time_ms
        )
        .into_bytes()
    }

    /// Signs it.
    pub fn sign(self, signer: &AuditSigner) -> SignedCheckpoint {
        let signature = signer.sign(&self.message());
        SignedCheckpoint {
            key_id: signer.key_id().to_owned(),
            checkpoint: self,
            signature,
        }
    }
}

/// A checkpoint with its signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    /// The statement.
    pub checkpoint: Checkpoint,
    /// Which key signed it.
    pub key_id: String,
    /// Ed25519 signature over [`Checkpoint::message`].
    pub signature: Vec<u8>,
}

/// The JSON line written to witnesses (version 1).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckpointLineV1 {
    v: u8,
    instance: String,
    size: u64,
    root: String,
    time_ms: i64,
    key_id: String,
    signature: String,
}

/// Why a witness line could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("malformed checkpoint line: {0}")]
pub struct CheckpointParseError(String);

impl SignedCheckpoint {
    /// True when the signature is `key`'s.
    pub fn verify(&self, key: &AuditVerifyingKey) -> bool {
        key.verify(&self.checkpoint.message(), &self.signature)
    }

    /// One JSON line (no newline).
    pub fn to_json_line(&self) -> String {
        let line = CheckpointLineV1 {
            v: 1,
            instance: self.checkpoint.instance.clone(),
            size: self.checkpoint.size,
            root: hex::encode(self.checkpoint.root),
            time_ms: self.checkpoint.time_ms,
            key_id: self.key_id.clone(),
            signature: base64::engine::general_purpose::STANDARD.encode(&self.signature),
        };
        serde_json::to_string(&line).unwrap_or_default()
    }

    /// Reads a JSON line.
    pub fn from_json_line(line: &str) -> Result<Self, CheckpointParseError> {
        let err = |e: &dyn std::fmt::Display| CheckpointParseError(e.to_string());
        let parsed: CheckpointLineV1 = serde_json::from_str(line).map_err(|e| err(&e))?;
        if parsed.v != 1 {
            return Err(CheckpointParseError(format!("version {}", parsed.v)));
        }
        let root_bytes = hex::decode(&parsed.root).map_err(|e| err(&e))?;
        let root: Hash = root_bytes
            .as_slice()
            .try_into()
            .map_err(|_| CheckpointParseError("root is not 32 bytes".into()))?;
        let signature = base64::engine::general_purpose::STANDARD
            .decode(&parsed.signature)
            .map_err(|e| err(&e))?;
        Ok(Self {
            checkpoint: Checkpoint {
                instance: parsed.instance,
                size: parsed.size,
                root,
                time_ms: parsed.time_ms,
            },
            key_id: parsed.key_id,
            signature,
        })
    }
}
