//! Blind indexes: search for a customer by phone, email or account number without
//! decrypting anything. The index of a value is HMAC-SHA256 under a dedicated
//! index key (never a data key) over the field name and the normalized value,
//! truncated to 16 bytes. Keyed, so whoever holds the database but not the key
//! cannot test guesses; bound to the field, so equal values in two fields do not
//! correlate; never computed over card numbers, so it cannot be joined with the
//! truncated card data kept for display (PCI DSS 3.5.1).

use aws_lc_rs::hmac;

use crate::{CryptoError, KeyBytes};

/// Bytes kept of each index entry.
pub const INDEX_LEN: usize = 16;

/// The key of the blind indexes.
pub struct BlindIndexKey {
    version: u32,
    key: hmac::Key,
}

impl std::fmt::Debug for BlindIndexKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BlindIndexKey(v{})", self.version)
    }
}

impl BlindIndexKey {
    /// The index key `version` over `material`.
    pub fn new(version: u32, material: &KeyBytes) -> Result<Self, CryptoError> {
        Ok(Self {
            version,
            key: hmac::Key::new(hmac::HMAC_SHA256, material.expose()),
        })
    }

    /// Its version.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// The index entry of `normalized` in `field`.
    pub fn index(&self, field: &str, normalized: &str) -> [u8; INDEX_LEN] {
        let mut context = hmac::Context::with_key(&self.key);
        context.update(b"custos.blind-index.v1\0");
        context.update(field.as_bytes());
        context.update(b"\0");
        context.update(normalized.as_bytes());
        let tag = context.sign();
        let mut out = [0u8; INDEX_LEN];
        out.copy_from_slice(&tag.as_ref()[..INDEX_LEN]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_stable_keyed_and_bound_to_the_field() {
        let material = KeyBytes::generate().unwrap();
        let key = BlindIndexKey::new(1, &material).unwrap();
        let again =
            BlindIndexKey::new(1, &KeyBytes::from_slice(material.expose()).unwrap()).unwrap();
        assert_eq!(
            key.index("phone", "+15551234567"),
            again.index("phone", "+15551234567")
        );
        assert_ne!(
            key.index("phone", "+15551234567"),
            key.index("account_number", "+15551234567")
        );
        assert_ne!(
            key.index("phone", "+15551234567"),
            key.index("phone", "+15551234568")
        );
        let other = BlindIndexKey::new(1, &KeyBytes::generate().unwrap()).unwrap();
        assert_ne!(
            key.index("phone", "+15551234567"),
            other.index("phone", "+15551234567")
        );
        assert_eq!(format!("{key:?}"), "BlindIndexKey(v1)");
    }
}
