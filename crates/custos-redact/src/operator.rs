//! What happens to a found span: replaced by `[TYPE]`, masked keeping the last four
//! characters, replaced by a keyed HMAC-SHA256 pseudonym, or removed.

use aws_lc_rs::hmac;
use zeroize::Zeroizing;

use crate::EntityType;

/// How one entity type is redacted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operator {
    /// `[CREDIT_CARD]` (the default).
    Replace,
    /// Every letter and digit but the last four becomes `*`: `**** **** **** 1111`. Only the
    /// last four of a whole entity are kept: the pieces of a card read over several turns are
    /// masked whole but the last, and a security code or any value of four letters and digits
    /// or fewer is masked whole.
    Mask,
    /// `[CREDIT_CARD:kbfmoajdgpcelhni]`: a stable pseudonym, HMAC-SHA256 under the configured
    /// key of the type and the value (digits only for numeric types, lowercased otherwise),
    /// written in letters so a second pass finds no digits in it.
    Hash,
    /// The span is deleted.
    Remove,
}

/// The secret key for [`Operator::Hash`]; zeroized on drop, never printed.
#[derive(Clone)]
pub struct HmacKey(Zeroizing<Vec<u8>>);

impl HmacKey {
    /// A key of at least 16 bytes (32 recommended); `None` when shorter.
    pub fn new(bytes: &[u8]) -> Option<Self> {
        (bytes.len() >= 16).then(|| Self(Zeroizing::new(bytes.to_vec())))
    }

    pub(crate) fn hmac_key(&self) -> hmac::Key {
        hmac::Key::new(hmac::HMAC_SHA256, &self.0)
    }
}

impl std::fmt::Debug for HmacKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HmacKey(..)")
    }
}

/// Appends the redacted form of `value` to `out`.
/// `keep` is how many trailing letters and digits [`Operator::Mask`] may leave (at most four).
pub(crate) fn apply(
    op: Operator,
    entity: EntityType,
    value: &str,
    keep: usize,
    key: Option<&hmac::Key>,
    out: &mut String,
) {
    match op {
        Operator::Replace => {
            out.push('[');
            out.push_str(entity.as_str());
            out.push(']');
        }
        Operator::Mask => {
            let keep_from = value
                .chars()
                .filter(|c| c.is_alphanumeric())
                .count()
                .saturating_sub(keep.min(4));
            let mut seen = 0;
            for c in value.chars() {
                if c.is_alphanumeric() {
                    out.push(if seen < keep_from { '*' } else { c });
                    seen += 1;
                } else {
                    out.push(c);
                }
            }
        }
        Operator::Hash => {
            out.push('[');
            out.push_str(entity.as_str());
            if let Some(key) = key {
                let normalized: String = if value.bytes().any(|b| b.is_ascii_digit())
                    && !matches!(
                        entity,
                        EntityType::EmailAddress | EntityType::Person | EntityType::StreetAddress
                    ) {
                    value.chars().filter(char::is_ascii_digit).collect()
                } else {
                    value
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ")
                        .to_lowercase()
                };
                let mut ctx = hmac::Context::with_key(key);
                ctx.update(entity.as_str().as_bytes());
                ctx.update(&[0]);
                ctx.update(normalized.as_bytes());
                let tag = ctx.sign();
                out.push(':');
                for b in tag.as_ref().iter().take(8) {
                    out.push(char::from(b'a' + (b >> 4)));
                    out.push(char::from(b'a' + (b & 0x0f)));
                }
            }
            out.push(']');
        }
        Operator::Remove => {}
    }
}
