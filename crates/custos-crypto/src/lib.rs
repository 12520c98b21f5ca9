//! Cryptography for Custos, composed from aws-lc-rs primitives; nothing here is
//! hand-rolled. Pure: no I/O.
//!
//! - [`SealingKey`]: a 256-bit key derived from the root key for one purpose
//!   (HKDF-SHA256 with the purpose as `info`), sealing values with AES-256-GCM,
//!   random 96-bit nonces, and associated data that binds each ciphertext to
//!   where it belongs, so a ciphertext moved elsewhere fails to open.
//!
//! Sealed format, version 1: `0x01 ‖ nonce (12) ‖ ciphertext ‖ tag (16)`.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::hkdf::{HKDF_SHA256, KeyType, Salt};
use thiserror::Error;
use zeroize::Zeroizing;

/// The version byte of sealed values.
const SEALED_V1: u8 = 1;
/// Salt of every derivation from the root key (domain separation from other uses).
const DERIVATION_SALT: &[u8] = b"custos.root-key.derivation.v1";

/// Why sealing or opening failed. Never says more: no oracle for attackers.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum CryptoError {
    /// Randomness or key setup failed.
    #[error("cryptographic operation failed")]
    Failed,
    /// The ciphertext is damaged, was moved, or belongs to another key.
    #[error("the sealed value cannot be opened")]
    CannotOpen,
}

/// A purpose-bound AES-256-GCM key.
pub struct SealingKey {
    key: LessSafeKey,
}

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealingKey(..)")
    }
}

struct Len32;

impl KeyType for Len32 {
    fn len(&self) -> usize {
        32
    }
}

impl SealingKey {
    /// Derives the key for `purpose` (e.g. `"totp-secrets v1"`) from `root`.
    pub fn derive(root: &[u8; 32], purpose: &str) -> Result<Self, CryptoError> {
        let prk = Salt::new(HKDF_SHA256, DERIVATION_SALT).extract(root);
        let info = [purpose.as_bytes()];
        let okm = prk.expand(&info, Len32).map_err(|_| CryptoError::Failed)?;
        let mut bytes = Zeroizing::new([0u8; 32]);
        okm.fill(bytes.as_mut_slice())
            .map_err(|_| CryptoError::Failed)?;
        let unbound =
            UnboundKey::new(&AES_256_GCM, bytes.as_slice()).map_err(|_| CryptoError::Failed)?;
        Ok(Self {
            key: LessSafeKey::new(unbound),
        })
    }

    /// Seals `plaintext`, bound to `context` (for example a user id and field name).
    pub fn seal(&self, plaintext: &[u8], context: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut nonce = [0u8; NONCE_LEN];
        aws_lc_rs::rand::fill(&mut nonce).map_err(|_| CryptoError::Failed)?;
        let mut body = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context),
                &mut body,
            )
            .map_err(|_| CryptoError::Failed)?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + body.len());
        out.push(SEALED_V1);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&body);
        Ok(out)
    }

    /// Opens a sealed value; fails if it was altered or sealed for another context.
    pub fn open(&self, sealed: &[u8], context: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let (&version, rest) = sealed.split_first().ok_or(CryptoError::CannotOpen)?;
        if version != SEALED_V1 || rest.len() < NONCE_LEN + 16 {
            return Err(CryptoError::CannotOpen);
        }
        let (nonce, body) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| CryptoError::CannotOpen)?;
        let mut body = Zeroizing::new(body.to_vec());
        let plain_len = self
            .key
            .open_in_place(nonce, Aad::from(context), body.as_mut_slice())
            .map_err(|_| CryptoError::CannotOpen)?
            .len();
        body.truncate(plain_len);
        Ok(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_open_only_in_their_context_and_purpose() {
        let root = [7u8; 32];
        let key = SealingKey::derive(&root, "totp-secrets v1").unwrap();
        let sealed = key.seal(b"JBSWY3DPEHPK3PXP", b"user:1").unwrap();
        assert_eq!(sealed[0], 1);
        assert_eq!(
            key.open(&sealed, b"user:1").unwrap().as_slice(),
            b"JBSWY3DPEHPK3PXP"
        );
        assert_eq!(
            key.open(&sealed, b"user:2"),
            Err(CryptoError::CannotOpen),
            "moved to another record"
        );
        let other = SealingKey::derive(&root, "something else v1").unwrap();
        assert_eq!(other.open(&sealed, b"user:1"), Err(CryptoError::CannotOpen));
        let mut damaged = sealed.clone();
        damaged[20] ^= 1;
        assert_eq!(key.open(&damaged, b"user:1"), Err(CryptoError::CannotOpen));
        assert_ne!(
            key.seal(b"x", b"c").unwrap(),
            key.seal(b"x", b"c").unwrap(),
            "random nonces"
        );
        assert!(!String::from_utf8_lossy(&sealed).contains("JBSWY3DP"));
    }
}
