//! Recovery codes: ten single-use codes shown once at enrolment, for when the
//! authenticator is lost. Each carries 80 random bits (16 base32 characters,
//! grouped `xxxx-xxxx-xxxx-xxxx`), so storing only their SHA-256 is safe.

use aws_lc_rs::digest;
use secrecy::{ExposeSecret, SecretString};

/// Codes issued per person.
pub const COUNT: usize = 10;

/// Randomness was unavailable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("cannot generate recovery codes")]
pub struct RecoveryError;

/// Fresh codes and their hashes.
pub fn generate() -> Result<Vec<(SecretString, [u8; 32])>, RecoveryError> {
    (0..COUNT)
        .map(|_| {
            let mut bytes = zeroize::Zeroizing::new([0u8; 10]);
            aws_lc_rs::rand::fill(bytes.as_mut_slice()).map_err(|_| RecoveryError)?;
            let text = data_encoding::BASE32_NOPAD
                .encode(bytes.as_slice())
                .to_lowercase();
            let grouped = text
                .as_bytes()
                .chunks(4)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect::<Vec<_>>()
                .join("-");
            let code = SecretString::from(grouped);
            let hash = hash(&code);
            Ok((code, hash))
        })
        .collect()
}

/// The stored form of a code as typed: dashes, spaces and case do not matter.
pub fn hash(code: &SecretString) -> [u8; 32] {
    let normalized: String = code
        .expose_secret()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let mut out = [0u8; 32];
    out.copy_from_slice(digest::digest(&digest::SHA256, normalized.as_bytes()).as_ref());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_grouped_and_typing_tolerant() {
        let codes = generate().unwrap();
        assert_eq!(codes.len(), COUNT);
        let (code, stored) = &codes[0];
        assert_eq!(code.expose_secret().len(), 19);
        assert_eq!(code.expose_secret().matches('-').count(), 3);
        let typed = SecretString::from(code.expose_secret().to_uppercase().replace('-', " "));
        assert_eq!(hash(&typed), *stored);
        let mut hashes: Vec<_> = codes.iter().map(|(_, h)| *h).collect();
        hashes.dedup();
        assert_eq!(hashes.len(), COUNT);
    }
}
