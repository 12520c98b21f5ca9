//! Key-encryption keys, per-customer data keys, and the field ciphertext format.
//!
//! A data key is wrapped by a key-encryption key (KEK) with associated data naming
//! the customer, the KEK version and the data key version, so a wrapped key copied
//! to another customer or relabelled with another version does not open.
//!
//! Field ciphertext, version 1:
//! `0x01 ‖ data key version (u32, big-endian) ‖ nonce (12) ‖ ciphertext ‖ tag (16)`,
//! sealed with AES-256-GCM under the customer's data key. The associated data is
//! `"custos.field.v1" ‖ 0 ‖ customer id (16) ‖ field name ‖ 0 ‖ header`, so a
//! ciphertext moved to another customer or another field, or relabelled, fails
//! to open instead of returning the wrong value.

use std::borrow::Cow;

use zeroize::Zeroizing;

use crate::{CryptoError, KeyBytes, SealingKey};

/// The version byte of field ciphertexts.
const FIELD_V1: u8 = 1;
/// Version byte and data key version.
const FIELD_HEADER_LEN: usize = 5;

/// The name of a sealed field: 1 to 64 of `a-z`, `0-9`, `_`, `.`, `:` and `-`.
/// A fixed name (`"email"`) is borrowed, not copied.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FieldName(Cow<'static, str>);

impl FieldName {
    /// Checks the name's form.
    pub fn new(name: impl Into<Cow<'static, str>>) -> Result<Self, CryptoError> {
        let name = name.into();
        let valid = !name.is_empty()
            && name.len() <= 64
            && name.bytes().all(|b| {
                b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || matches!(b, b'_' | b'.' | b':' | b'-')
            });
        if valid {
            Ok(Self(name))
        } else {
            Err(CryptoError::MalformedKey)
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A versioned key-encryption key.
#[derive(Debug)]
pub struct KeyEncryptionKey {
    version: u32,
    key: SealingKey,
}

impl KeyEncryptionKey {
    /// The KEK `version` over `material`.
    pub fn new(version: u32, material: &KeyBytes) -> Result<Self, CryptoError> {
        Ok(Self {
            version,
            key: SealingKey::from_key(material)?,
        })
    }

    /// Its version.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// Wraps a customer's data key.
    pub fn wrap_data_key(
        &self,
        material: &KeyBytes,
        customer: &[u8; 16],
        data_key_version: u32,
    ) -> Result<Vec<u8>, CryptoError> {
        self.key.seal(
            material.expose(),
            &self.wrap_context(customer, data_key_version),
        )
    }

    /// Unwraps a customer's data key; fails if it was wrapped for another
    /// customer, KEK version or data key version.
    pub fn unwrap_data_key(
        &self,
        wrapped: &[u8],
        customer: &[u8; 16],
        data_key_version: u32,
    ) -> Result<DataKey, CryptoError> {
        let material = self.unwrap_data_key_material(wrapped, customer, data_key_version)?;
        DataKey::new(*customer, data_key_version, &material)
    }

    /// Unwraps a data key's material, to wrap it again under another KEK (rotation).
    pub fn unwrap_data_key_material(
        &self,
        wrapped: &[u8],
        customer: &[u8; 16],
        data_key_version: u32,
    ) -> Result<KeyBytes, CryptoError> {
        KeyBytes::from_slice(
            &self
                .key
                .open(wrapped, &self.wrap_context(customer, data_key_version))?,
        )
    }

    fn wrap_context(&self, customer: &[u8; 16], data_key_version: u32) -> [u8; WRAP_CONTEXT_LEN] {
        let mut context = [0u8; WRAP_CONTEXT_LEN];
        let (prefix, rest) = context.split_at_mut(WRAP_PREFIX.len());
        prefix.copy_from_slice(WRAP_PREFIX);
        let (id, versions) = rest.split_at_mut(16);
        id.copy_from_slice(customer);
        versions[..4].copy_from_slice(&self.version.to_be_bytes());
        versions[4..].copy_from_slice(&data_key_version.to_be_bytes());
        context
    }
}

/// The start of a wrapped data key's associated data.
const WRAP_PREFIX: &[u8] = b"custos.dek.v1\0";
/// The prefix, the customer id and the two key versions.
const WRAP_CONTEXT_LEN: usize = WRAP_PREFIX.len() + 16 + 4 + 4;
/// The start of a field's associated data.
const FIELD_PREFIX: &[u8] = b"custos.field.v1\0";

/// One customer's data key: seals and opens that customer's fields only.
#[derive(Debug)]
pub struct DataKey {
    customer: [u8; 16],
    version: u32,
    key: SealingKey,
}

impl DataKey {
    /// The data key `version` of `customer` over `material`.
    pub fn new(customer: [u8; 16], version: u32, material: &KeyBytes) -> Result<Self, CryptoError> {
        Ok(Self {
            customer,
            version,
            key: SealingKey::from_key(material)?,
        })
    }

    /// Its version (stored in every field header).
    pub fn version(&self) -> u32 {
        self.version
    }

    /// Seals one field's value.
    pub fn seal_field(&self, field: &FieldName, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut header = [0u8; FIELD_HEADER_LEN];
        header[0] = FIELD_V1;
        header[1..].copy_from_slice(&self.version.to_be_bytes());
        self.key
            .seal_framed(&header, plaintext, &self.field_context(field), true)
    }

    /// Opens one field's value; fails loudly for a ciphertext of another customer,
    /// another field, another key version, or one that was altered.
    pub fn open_field(
        &self,
        field: &FieldName,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        self.check_field_header(sealed)?;
        self.key
            .open_framed(FIELD_HEADER_LEN, sealed, &self.field_context(field), true)
    }

    /// Like [`Self::open_field`], but into `scratch`, whose allocation is reused
    /// from one field to the next (see `SealingKey::open_framed_into`).
    pub fn open_field_into<'s>(
        &self,
        field: &FieldName,
        sealed: &[u8],
        scratch: &'s mut Zeroizing<Vec<u8>>,
    ) -> Result<&'s [u8], CryptoError> {
        self.check_field_header(sealed)?;
        self.key.open_framed_into(
            FIELD_HEADER_LEN,
            sealed,
            &self.field_context(field),
            true,
            scratch,
        )
    }

    /// A field's header: its layout version and this data key's version.
    fn check_field_header(&self, sealed: &[u8]) -> Result<(), CryptoError> {
        if sealed.len() < FIELD_HEADER_LEN
            || sealed[0] != FIELD_V1
            || sealed[1..FIELD_HEADER_LEN] != self.version.to_be_bytes()
        {
            return Err(CryptoError::CannotOpen);
        }
        Ok(())
    }

    /// The parts of a field's associated data before its header.
    fn field_context<'a>(&'a self, field: &'a FieldName) -> [&'a [u8]; 4] {
        [FIELD_PREFIX, &self.customer, field.0.as_bytes(), &[0]]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &'static str) -> FieldName {
        FieldName::new(name).unwrap()
    }

    #[test]
    fn fields_open_into_one_reused_buffer_as_they_open_alone() {
        let key = DataKey::new([1u8; 16], 1, &KeyBytes::generate().unwrap()).unwrap();
        let long = key
            .seal_field(&field("address"), b"1 Long Street, Springfield")
            .unwrap();
        let short = key.seal_field(&field("phone"), b"+1 415").unwrap();
        let mut scratch = Zeroizing::new(Vec::new());
        assert_eq!(
            key.open_field_into(&field("address"), &long, &mut scratch)
                .unwrap(),
            b"1 Long Street, Springfield"
        );
        // A shorter value after a longer one: exactly its own bytes.
        assert_eq!(
            key.open_field_into(&field("phone"), &short, &mut scratch)
                .unwrap(),
            b"+1 415"
        );
        // The same refusals as `open_field`, and no plaintext left behind.
        assert_eq!(
            key.open_field_into(&field("email"), &short, &mut scratch)
                .unwrap_err(),
            CryptoError::CannotOpen,
            "moved to another field"
        );
        assert!(scratch.is_empty());
        let mut damaged = long.clone();
        let last = damaged.len() - 1;
        damaged[last] ^= 1;
        assert!(
            key.open_field_into(&field("address"), &damaged, &mut scratch)
                .is_err()
        );
        assert!(scratch.is_empty());
        assert!(
            key.open_field_into(&field("address"), &long[..20], &mut scratch)
                .is_err()
        );
    }

    #[test]
    fn fields_open_only_for_their_customer_field_and_version() {
        let kek = KeyEncryptionKey::new(1, &KeyBytes::generate().unwrap()).unwrap();
        let (alice, bob) = ([1u8; 16], [2u8; 16]);
        let material = KeyBytes::generate().unwrap();
        let wrapped = kek.wrap_data_key(&material, &alice, 1).unwrap();
        let key = kek.unwrap_data_key(&wrapped, &alice, 1).unwrap();
        assert!(
            kek.unwrap_data_key(&wrapped, &bob, 1).is_err(),
            "other customer"
        );
        assert!(
            kek.unwrap_data_key(&wrapped, &alice, 2).is_err(),
            "other version"
        );
        let kek2 = KeyEncryptionKey::new(2, &KeyBytes::generate().unwrap()).unwrap();
        assert!(
            kek2.unwrap_data_key(&wrapped, &alice, 1).is_err(),
            "other KEK"
        );

        let sealed = key
            .seal_field(&field("email"), b"jane@example.com")
            .unwrap();
        assert_eq!(sealed[0], 1);
        assert_eq!(&sealed[1..5], &[0, 0, 0, 1]);
        assert_eq!(
            key.open_field(&field("email"), &sealed).unwrap().as_slice(),
            b"jane@example.com"
        );
        assert_eq!(
            key.open_field(&field("phone"), &sealed).unwrap_err(),
            CryptoError::CannotOpen,
            "moved to another field"
        );
        let bob_key = DataKey::new(bob, 1, &material).unwrap();
        assert!(
            bob_key.open_field(&field("email"), &sealed).is_err(),
            "moved to another customer, even under the same material"
        );
        let mut relabelled = sealed.clone();
        relabelled[4] = 2;
        let v2 = DataKey::new(alice, 2, &material).unwrap();
        assert!(
            v2.open_field(&field("email"), &relabelled).is_err(),
            "relabelled version"
        );
        for i in 0..sealed.len() {
            let mut damaged = sealed.clone();
            damaged[i] ^= 0x40;
            assert!(
                key.open_field(&field("email"), &damaged).is_err(),
                "byte {i}"
            );
        }
        assert!(key.open_field(&field("email"), &sealed[..20]).is_err());
    }

    #[test]
    fn associated_data_is_as_documented() {
        // The layouts in the module documentation, built in one piece: ciphertexts
        // sealed before the parts were assembled on the stack must keep opening.
        let customer = [3u8; 16];
        let material = KeyBytes::generate().unwrap();
        let key = DataKey::new(customer, 7, &material).unwrap();
        let sealed = key
            .seal_field(&field("email"), b"jane@example.com")
            .unwrap();
        let mut context = b"custos.field.v1\0".to_vec();
        context.extend_from_slice(&customer);
        context.extend_from_slice(b"email\0");
        let raw = SealingKey::from_key(&material).unwrap();
        let opened = raw.open_framed(FIELD_HEADER_LEN, &sealed, &[&context], true);
        assert_eq!(opened.unwrap().as_slice(), b"jane@example.com");

        let kek = KeyEncryptionKey::new(2, &KeyBytes::generate().unwrap()).unwrap();
        let wrapped = kek.wrap_data_key(&material, &customer, 7).unwrap();
        let mut context = b"custos.dek.v1\0".to_vec();
        context.extend_from_slice(&customer);
        context.extend_from_slice(&2u32.to_be_bytes());
        context.extend_from_slice(&7u32.to_be_bytes());
        assert_eq!(
            kek.key.open(&wrapped, &context).unwrap().as_slice(),
            material.expose()
        );
    }

    #[test]
    fn field_names_are_checked() {
        assert!(FieldName::new("card_number:tok_abc").is_ok());
        assert!(FieldName::new("").is_err());
        assert!(FieldName::new("Email").is_err());
        assert!(FieldName::new("a".repeat(65)).is_err());
    }
}
