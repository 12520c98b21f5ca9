//! Purpose-bound AES-256-GCM keys: derived from the root key by HKDF-SHA256 (the
//! purpose as `info`), or built from random key material of the key hierarchy.
//! Random 96-bit nonces; associated data binds each ciphertext to where it belongs.
//!
//! Sealed format, version 1: `0x01 ‖ nonce (12) ‖ ciphertext ‖ tag (16)`.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::hkdf::{HKDF_SHA256, KeyType, Salt};
use zeroize::{Zeroize, Zeroizing};

use crate::{CryptoError, KeyBytes};

/// The version byte of sealed values.
const SEALED_V1: u8 = 1;
/// Salt of every derivation from the root key (domain separation from other uses).
const DERIVATION_SALT: &[u8] = b"custos.root-key.derivation.v1";

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

    /// A key over random material of the key hierarchy (a data key, a key-encryption key).
    pub fn from_key(key: &KeyBytes) -> Result<Self, CryptoError> {
        let unbound =
            UnboundKey::new(&AES_256_GCM, key.expose()).map_err(|_| CryptoError::Failed)?;
        Ok(Self {
            key: LessSafeKey::new(unbound),
        })
    }

    /// Seals `plaintext`, bound to `context` (for example a user id and field name).
    pub fn seal(&self, plaintext: &[u8], context: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.seal_framed(&[SEALED_V1], plaintext, &[context], false)
    }

    /// Opens a sealed value; fails if it was altered or sealed for another context.
    pub fn open(&self, sealed: &[u8], context: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        match sealed.first() {
            Some(&SEALED_V1) => self.open_framed(1, sealed, &[context], false),
            _ => Err(CryptoError::CannotOpen),
        }
    }

    /// Seals into `header ‖ nonce ‖ ciphertext ‖ tag`. The associated data is the
    /// `context` parts one after the other; with `authenticate_header` the header
    /// follows them, so a ciphertext cannot be relabelled with another version.
    pub(crate) fn seal_framed(
        &self,
        header: &[u8],
        plaintext: &[u8],
        context: &[&[u8]],
        authenticate_header: bool,
    ) -> Result<Vec<u8>, CryptoError> {
        let mut nonce = [0u8; NONCE_LEN];
        aws_lc_rs::rand::fill(&mut nonce).map_err(|_| CryptoError::Failed)?;
        let mut out = Vec::with_capacity(header.len() + NONCE_LEN + plaintext.len() + TAG_LEN);
        out.extend_from_slice(header);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plaintext);
        let aad = AssociatedData::new(context, header, authenticate_header);
        let tag = self
            .key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad.as_slice()),
                &mut out[header.len() + NONCE_LEN..],
            )
            .map_err(|_| CryptoError::Failed)?;
        out.extend_from_slice(tag.as_ref());
        Ok(out)
    }

    /// Opens what [`Self::seal_framed`] made with a header of `header_len` bytes.
    pub(crate) fn open_framed(
        &self,
        header_len: usize,
        sealed: &[u8],
        context: &[&[u8]],
        authenticate_header: bool,
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let mut plain = Zeroizing::new(Vec::new());
        let len = self
            .open_framed_into(header_len, sealed, context, authenticate_header, &mut plain)?
            .len();
        plain.truncate(len);
        Ok(plain)
    }

    /// Like [`Self::open_framed`], but opens into `scratch` (whose earlier
    /// contents are overwritten, and whose allocation is reused) and returns the
    /// plaintext as a slice of it. A caller opening many values in a row keeps one
    /// buffer for all of them, zeroized when it is dropped. On failure `scratch`
    /// holds no plaintext.
    pub(crate) fn open_framed_into<'s>(
        &self,
        header_len: usize,
        sealed: &[u8],
        context: &[&[u8]],
        authenticate_header: bool,
        scratch: &'s mut Zeroizing<Vec<u8>>,
    ) -> Result<&'s [u8], CryptoError> {
        if sealed.len() < header_len + NONCE_LEN + TAG_LEN {
            return Err(CryptoError::CannotOpen);
        }
        let (header, rest) = sealed.split_at(header_len);
        let (nonce, body) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| CryptoError::CannotOpen)?;
        let aad = AssociatedData::new(context, header, authenticate_header);
        // The body overwrites the buffer's start; the tail of an earlier, longer
        // plaintext stays in its spare capacity until the buffer is dropped, which
        // zeroizes all of it.
        scratch.clear();
        scratch.extend_from_slice(body);
        let opened = self
            .key
            .open_in_place(nonce, Aad::from(aad.as_slice()), scratch.as_mut_slice())
            .map(|plain| plain.len());
        match opened {
            Ok(len) => Ok(&scratch[..len]),
            Err(_) => {
                // What a failed open leaves in the buffer is unspecified.
                scratch.zeroize();
                Err(CryptoError::CannotOpen)
            }
        }
    }
}

/// Length of the AES-GCM tag.
const TAG_LEN: usize = 16;

/// Associated data up to this long is assembled on the stack: every field's and
/// every wrapped data key's is (a field name has at most 64 bytes), so opening a
/// field allocates only for its plaintext.
const INLINE_AAD_LEN: usize = 128;

/// The associated data of one seal or open: the context's parts, then the header
/// when it is authenticated.
enum AssociatedData {
    Inline([u8; INLINE_AAD_LEN], usize),
    Heap(Vec<u8>),
}

impl AssociatedData {
    fn new(context: &[&[u8]], header: &[u8], authenticate_header: bool) -> Self {
        let header: &[u8] = if authenticate_header { header } else { &[] };
        let parts = context.iter().copied().chain(std::iter::once(header));
        let len: usize = parts.clone().map(<[u8]>::len).sum();
        if len > INLINE_AAD_LEN {
            return Self::Heap(parts.flatten().copied().collect());
        }
        let mut inline = [0u8; INLINE_AAD_LEN];
        let mut at = 0;
        for part in parts {
            inline[at..at + part.len()].copy_from_slice(part);
            at += part.len();
        }
        Self::Inline(inline, at)
    }

    fn as_slice(&self) -> &[u8] {
        match self {
            Self::Inline(bytes, len) => &bytes[..*len],
            Self::Heap(bytes) => bytes,
        }
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

    #[test]
    fn associated_data_is_the_parts_in_order_on_the_stack_or_the_heap() {
        let key = SealingKey::derive(&[7u8; 32], "test v1").unwrap();
        let long = vec![b'c'; INLINE_AAD_LEN + 1];
        for context in [b"user:1".as_slice(), &long[..INLINE_AAD_LEN], &long] {
            let (head, tail) = context.split_at(context.len() / 2);
            let sealed = key
                .seal_framed(&[SEALED_V1], b"value", &[head, tail], true)
                .unwrap();
            // Split anywhere, the parts make the same associated data as the whole.
            let opened = key.open_framed(1, &sealed, &[context], true).unwrap();
            assert_eq!(opened.as_slice(), b"value");
            // The header is part of it only when authenticated.
            assert_eq!(
                key.open_framed(1, &sealed, &[context], false),
                Err(CryptoError::CannotOpen)
            );
        }
        assert!(matches!(
            AssociatedData::new(&[&long], &[], false),
            AssociatedData::Heap(_)
        ));
        assert!(matches!(
            AssociatedData::new(&[&long[..INLINE_AAD_LEN]], &[], false),
            AssociatedData::Inline(..)
        ));
    }
}
