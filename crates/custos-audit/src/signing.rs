//! Ed25519 signing of chain heads and checkpoints with the audit key, which is
//! separate from every data key. Signatures are made and checked by aws-lc-rs.

use std::sync::Arc;

use aws_lc_rs::digest;
use aws_lc_rs::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use thiserror::Error;

/// The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410); the raw key follows.
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// Why a public key was refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum KeyError {
    /// Not an Ed25519 SubjectPublicKeyInfo or raw 32-byte key.
    #[error("not an Ed25519 public key")]
    NotEd25519,
}

/// Signs with the installation's audit key. Clones share the one key pair.
#[derive(Clone)]
pub struct AuditSigner {
    pair: Arc<Ed25519KeyPair>,
    key_id: Arc<str>,
}

impl AuditSigner {
    /// Wraps a key pair.
    pub fn new(pair: Ed25519KeyPair) -> Self {
        let key_id = key_id(pair.public_key().as_ref()).into();
        Self {
            pair: Arc::new(pair),
            key_id,
        }
    }

    /// A signature over `message`.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.pair.sign(message).as_ref().to_vec()
    }

    /// A short id of the public key, so verifiers can tell keys apart.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The public half.
    pub fn verifying_key(&self) -> AuditVerifyingKey {
        let mut raw = [0u8; 32];
        raw.copy_from_slice(self.pair.public_key().as_ref());
        AuditVerifyingKey {
            key_id: self.key_id.to_string(),
            raw,
        }
    }
}

impl std::fmt::Debug for AuditSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AuditSigner(key_id={})", self.key_id)
    }
}

/// The public audit key, for verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditVerifyingKey {
    key_id: String,
    raw: [u8; 32],
}

impl AuditVerifyingKey {
    /// From a DER SubjectPublicKeyInfo or a raw 32-byte key.
    pub fn from_der_or_raw(bytes: &[u8]) -> Result<Self, KeyError> {
        let raw = match bytes.len() {
            32 => bytes,
            44 if bytes.starts_with(&ED25519_SPKI_PREFIX) => &bytes[12..],
            _ => return Err(KeyError::NotEd25519),
        };
        let mut out = [0u8; 32];
        out.copy_from_slice(raw);
        Ok(Self {
            key_id: key_id(&out),
            raw: out,
        })
    }

    /// True when `signature` is this key's signature over `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&ED25519, &self.raw)
            .verify(message, signature)
            .is_ok()
    }

    /// The key's short id.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }
}

/// First 8 bytes of SHA-256 of the raw public key, in hex.
fn key_id(raw: &[u8]) -> String {
    let digest = digest::digest(&digest::SHA256, raw);
    hex::encode(&digest.as_ref()[..8])
}
