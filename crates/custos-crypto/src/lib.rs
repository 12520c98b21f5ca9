//! Cryptography for Custos, composed from aws-lc-rs (AES-256-GCM, HMAC-SHA256,
//! HKDF) and argon2 primitives; nothing here is hand-rolled. Pure: no I/O.
//!
//! The key hierarchy of the customer vault (design record 0005):
//!
//! ```text
//! root key (a RootKeyProvider: key file, environment, passphrase; later HSM/KMS)
//!  ├─ key-encryption keys, versioned (KeyEncryptionKey), wrapped by the root
//!  │   └─ one data key per customer (DataKey), wrapped by a KEK, stored with the customer
//!  │       └─ each field sealed with AES-256-GCM, bound to customer, field and key version
//!  ├─ the blind-index key (BlindIndexKey): HMAC-SHA256 for search without decrypting
//!  └─ the card-vault key: seals card numbers in the token table
//! ```
//!
//! - [`sealing`]: purpose-bound AES-256-GCM keys and the sealed format.
//! - [`material`]: random key material that zeroes itself.
//! - [`root`]: where the root key comes from, behind one provider interface.
//! - [`hierarchy`]: key-encryption keys, data keys and the field ciphertext format.
//! - [`blind_index`]: keyed, truncated search hashes.
//! - [`token`]: random tokens that stand in for card numbers.

pub mod blind_index;
pub mod hierarchy;
pub mod material;
pub mod root;
pub mod sealing;
pub mod token;

pub use blind_index::BlindIndexKey;
pub use hierarchy::{DataKey, FieldName, KeyEncryptionKey};
pub use material::KeyBytes;
pub use root::{LocalRootKey, RootKeyProvider};
pub use sealing::SealingKey;

use thiserror::Error;

/// Why a cryptographic operation failed. Never says more: no oracle for attackers.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum CryptoError {
    /// Randomness or key setup failed.
    #[error("cryptographic operation failed")]
    Failed,
    /// The ciphertext is damaged, was moved, or belongs to another key.
    #[error("the sealed value cannot be opened")]
    CannotOpen,
    /// Key material has the wrong length or form.
    #[error("the key material is malformed")]
    MalformedKey,
}
