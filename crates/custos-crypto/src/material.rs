//! Random 256-bit key material. Zeroed when dropped, never printed, compared in
//! constant time.

use zeroize::Zeroizing;

use crate::CryptoError;

/// The length of every symmetric key in the hierarchy.
pub const KEY_LEN: usize = 32;

/// 32 bytes of key material.
pub struct KeyBytes(Zeroizing<[u8; KEY_LEN]>);

impl KeyBytes {
    /// Fresh random key material from the system's CSPRNG.
    pub fn generate() -> Result<Self, CryptoError> {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        aws_lc_rs::rand::fill(bytes.as_mut_slice()).map_err(|_| CryptoError::Failed)?;
        Ok(Self(bytes))
    }

    /// Key material from exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, CryptoError> {
        let array: [u8; KEY_LEN] = bytes.try_into().map_err(|_| CryptoError::MalformedKey)?;
        Ok(Self(Zeroizing::new(array)))
    }

    /// The bytes, for building a primitive's key.
    pub fn expose(&self) -> &[u8; KEY_LEN] {
        &self.0
    }
}

impl std::fmt::Debug for KeyBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyBytes(..)")
    }
}

impl PartialEq for KeyBytes {
    fn eq(&self, other: &Self) -> bool {
        aws_lc_rs::constant_time::verify_slices_are_equal(self.0.as_slice(), other.0.as_slice())
            .is_ok()
    }
}

impl Eq for KeyBytes {}
