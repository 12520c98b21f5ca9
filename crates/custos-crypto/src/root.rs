//! The root of the key hierarchy, behind one interface: [`RootKeyProvider`] wraps
//! and unwraps the keys below it and never hands out the root itself. The local
//! provider ([`LocalRootKey`]) holds the root in memory, read from the data
//! directory's key file, from an environment variable, or stretched from a
//! passphrase with Argon2id. An HSM (PKCS#11) or a cloud KMS provider implements
//! the same two calls with the root kept inside the device; they are called only
//! when keys are loaded or rotated, never per request.

use argon2::{Algorithm, Argon2, Params, Version};
use zeroize::Zeroizing;

use crate::material::KEY_LEN;
use crate::{CryptoError, KeyBytes, SealingKey};

/// Where the root key lives; wraps the keys of the level below it.
pub trait RootKeyProvider: Send + Sync + std::fmt::Debug {
    /// A short name for status output (`file`, `env`, `passphrase`, `pkcs11`, …).
    fn kind(&self) -> &'static str;

    /// Wraps `key`, bound to `context` (which key, which version).
    fn wrap(&self, key: &KeyBytes, context: &[u8]) -> Result<Vec<u8>, CryptoError>;

    /// Unwraps what [`Self::wrap`] made for the same `context`.
    fn unwrap(&self, wrapped: &[u8], context: &[u8]) -> Result<KeyBytes, CryptoError>;
}

/// A root key held in this process.
#[derive(Debug)]
pub struct LocalRootKey {
    kind: &'static str,
    wrapping: SealingKey,
}

/// Argon2id cost for a passphrase-derived root key: it is derived once per start,
/// so it can afford far more than a sign-in (64 MiB, 3 passes).
const PASSPHRASE_MEMORY_KIB: u32 = 64 * 1024;
const PASSPHRASE_PASSES: u32 = 3;
/// The least salt length accepted for a passphrase.
pub const PASSPHRASE_SALT_LEN: usize = 16;

impl LocalRootKey {
    /// A root from 32 bytes of key material; `kind` names where it came from.
    pub fn from_bytes(kind: &'static str, root: &[u8; KEY_LEN]) -> Result<Self, CryptoError> {
        Ok(Self {
            kind,
            wrapping: SealingKey::derive(root, "custos key-wrapping v1")?,
        })
    }

    /// A root stretched from a passphrase with Argon2id and a per-installation salt.
    pub fn from_passphrase(passphrase: &[u8], salt: &[u8]) -> Result<Self, CryptoError> {
        Self::from_bytes("passphrase", stretch_passphrase(passphrase, salt)?.expose())
    }
}

/// Stretches a passphrase into 32 bytes of root key material with Argon2id
/// (64 MiB, 3 passes) and a salt of at least 16 bytes.
pub fn stretch_passphrase(passphrase: &[u8], salt: &[u8]) -> Result<KeyBytes, CryptoError> {
    if salt.len() < PASSPHRASE_SALT_LEN || passphrase.is_empty() {
        return Err(CryptoError::MalformedKey);
    }
    let params = Params::new(PASSPHRASE_MEMORY_KIB, PASSPHRASE_PASSES, 1, Some(KEY_LEN))
        .map_err(|_| CryptoError::Failed)?;
    let mut root = Zeroizing::new([0u8; KEY_LEN]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase, salt, root.as_mut_slice())
        .map_err(|_| CryptoError::Failed)?;
    KeyBytes::from_slice(root.as_slice())
}

impl RootKeyProvider for LocalRootKey {
    fn kind(&self) -> &'static str {
        self.kind
    }

    fn wrap(&self, key: &KeyBytes, context: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.wrapping.seal(key.expose(), context)
    }

    fn unwrap(&self, wrapped: &[u8], context: &[u8]) -> Result<KeyBytes, CryptoError> {
        KeyBytes::from_slice(&self.wrapping.open(wrapped, context)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_open_only_under_the_same_root_and_context() {
        let root = LocalRootKey::from_bytes("file", &[3u8; 32]).unwrap();
        let key = KeyBytes::generate().unwrap();
        let wrapped = root.wrap(&key, b"kek v1").unwrap();
        assert_eq!(root.unwrap(&wrapped, b"kek v1").unwrap(), key);
        assert_eq!(
            root.unwrap(&wrapped, b"kek v2").unwrap_err(),
            CryptoError::CannotOpen
        );
        let other = LocalRootKey::from_bytes("file", &[4u8; 32]).unwrap();
        assert!(other.unwrap(&wrapped, b"kek v1").is_err());
    }

    #[test]
    fn a_passphrase_gives_the_same_root_with_the_same_salt_only() {
        let salt = [9u8; 16];
        let a = LocalRootKey::from_passphrase(b"correct horse battery staple", &salt).unwrap();
        let b = LocalRootKey::from_passphrase(b"correct horse battery staple", &salt).unwrap();
        let c = LocalRootKey::from_passphrase(b"correct horse battery staple", &[8u8; 16]).unwrap();
        let key = KeyBytes::generate().unwrap();
        let wrapped = a.wrap(&key, b"x").unwrap();
        assert_eq!(b.unwrap(&wrapped, b"x").unwrap(), key);
        assert!(c.unwrap(&wrapped, b"x").is_err());
        assert_eq!(
            LocalRootKey::from_passphrase(b"p", &[0u8; 8]).unwrap_err(),
            CryptoError::MalformedKey
        );
        assert!(format!("{a:?}").contains("wrapping: SealingKey(..)"));
    }
}
