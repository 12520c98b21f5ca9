//! Random bearer tokens (sessions, service tokens, links): 256 bits from the
//! system generator, URL-safe base64 with a short prefix naming their kind, and
//! stored only as SHA-256, so a copy of the database grants nothing.

use aws_lc_rs::digest;
use base64::Engine as _;
use secrecy::SecretString;
use thiserror::Error;

/// What a token is for; its prefix makes a leaked token recognisable to scanners.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A person's session.
    Session,
    /// An integration's service token.
    Service,
    /// A step in a sign-in (password accepted, MFA pending).
    MfaPending,
    /// An enrolled device's token (`cus_d_`), kept by the device and shown at sign-in.
    Device,
    /// A single-use device enrolment code (`cus_e_`), handed to the person by an officer.
    DeviceCode,
}

impl TokenKind {
    fn prefix(self) -> &'static str {
        match self {
            Self::Session => "cus_s_",
            Self::Service => "cus_t_",
            Self::MfaPending => "cus_m_",
            Self::Device => "cus_d_",
            Self::DeviceCode => "cus_e_",
        }
    }
}

/// The stored form of a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenHash(pub [u8; 32]);

/// Randomness was unavailable.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("cannot generate a token")]
pub struct TokenError;

/// A new token of `kind` and its hash.
pub fn generate(kind: TokenKind) -> Result<(SecretString, TokenHash), TokenError> {
    let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
    aws_lc_rs::rand::fill(bytes.as_mut_slice()).map_err(|_| TokenError)?;
    let text = format!(
        "{}{}",
        kind.prefix(),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes.as_slice())
    );
    let hash = hash(&text);
    Ok((SecretString::from(text), hash))
}

/// The hash a presented token is looked up by. Tokens of another kind hash to
/// values that never match, so a session token is no service token.
pub fn hash(text: &str) -> TokenHash {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest::digest(&digest::SHA256, text.as_bytes()).as_ref());
    TokenHash(out)
}

/// True when `text` has the shape of a token of `kind` (checked before any lookup).
pub fn looks_like(kind: TokenKind, text: &str) -> bool {
    text.strip_prefix(kind.prefix()).is_some_and(|rest| {
        rest.len() == 43
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret as _;

    #[test]
    fn tokens_are_random_prefixed_and_hashed() {
        let (a, ha) = generate(TokenKind::Session).unwrap();
        let (b, hb) = generate(TokenKind::Session).unwrap();
        assert_ne!(a.expose_secret(), b.expose_secret());
        assert_ne!(ha, hb);
        assert_eq!(hash(a.expose_secret()), ha);
        assert!(looks_like(TokenKind::Session, a.expose_secret()));
        assert!(!looks_like(TokenKind::Service, a.expose_secret()));
        assert!(!looks_like(TokenKind::Session, "cus_s_short"));
    }
}
