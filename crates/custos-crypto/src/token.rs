//! Random tokens that stand in for card numbers. A token is 128 random bits,
//! never derived from the card number, so it reveals nothing about it.

use data_encoding::BASE32_NOPAD;

use crate::CryptoError;

/// The prefix that marks a card token.
pub const CARD_TOKEN_PREFIX: &str = "tok_";

/// A fresh card token: `tok_` and 26 lowercase base32 characters.
pub fn card_token() -> Result<String, CryptoError> {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| CryptoError::Failed)?;
    Ok(format!(
        "{CARD_TOKEN_PREFIX}{}",
        BASE32_NOPAD.encode(&bytes).to_ascii_lowercase()
    ))
}

/// Whether `text` has the form of a card token (it may still not exist).
pub fn is_card_token(text: &str) -> bool {
    text.strip_prefix(CARD_TOKEN_PREFIX).is_some_and(|rest| {
        rest.len() == 26
            && rest
                .bytes()
                .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_recognizable() {
        let a = card_token().unwrap();
        let b = card_token().unwrap();
        assert_ne!(a, b);
        assert!(is_card_token(&a), "{a}");
        assert!(!is_card_token("tok_4111111111111111"));
        assert!(!is_card_token("4111111111111111"));
    }
}
