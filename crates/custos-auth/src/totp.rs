//! Time-based one-time passwords, RFC 6238 over RFC 4226 HOTP with HMAC-SHA1
//! (what every authenticator app implements): 30-second steps, 6 digits, a
//! window of one step either side for clock drift. A code is accepted once: the
//! caller stores the last accepted step and only later steps pass.

use aws_lc_rs::hmac;
use secrecy::{ExposeSecret, SecretString};
use thiserror::Error;
use zeroize::Zeroizing;

/// Seconds per step.
pub const STEP_SECS: i64 = 30;
/// Digits per code.
pub const DIGITS: u32 = 6;
/// Steps accepted either side of the current one.
pub const WINDOW: i64 = 1;
/// Secret length in bytes (RFC 4226 recommends 160 bits).
pub const SECRET_LEN: usize = 20;

/// Why a code was refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum TotpRejection {
    /// Not a code for this secret around this time.
    #[error("the code is not valid")]
    Invalid,
    /// A valid code that was already used (or an older one).
    #[error("the code was already used")]
    Replayed,
}

/// A TOTP secret. Never printed; zeroed on drop.
pub struct TotpSecret(Zeroizing<Vec<u8>>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(..)")
    }
}

/// Why a secret could not be made or read.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("invalid TOTP secret")]
pub struct SecretError;

impl TotpSecret {
    /// A fresh random secret.
    pub fn generate() -> Result<Self, SecretError> {
        let mut bytes = Zeroizing::new(vec![0u8; SECRET_LEN]);
        aws_lc_rs::rand::fill(bytes.as_mut_slice()).map_err(|_| SecretError)?;
        Ok(Self(bytes))
    }

    /// From raw bytes (as stored, sealed, by the caller).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SecretError> {
        if bytes.len() < 16 {
            return Err(SecretError);
        }
        Ok(Self(Zeroizing::new(bytes.to_vec())))
    }

    /// From the base32 text authenticator apps show.
    pub fn from_base32(text: &str) -> Result<Self, SecretError> {
        let cleaned: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        let bytes = data_encoding::BASE32_NOPAD
            .decode(cleaned.trim_end_matches('=').as_bytes())
            .map_err(|_| SecretError)?;
        Self::from_bytes(&bytes)
    }

    /// The raw bytes, for storage.
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// The base32 text.
    pub fn to_base32(&self) -> SecretString {
        SecretString::from(data_encoding::BASE32_NOPAD.encode(&self.0))
    }

    /// The enrolment URI (`otpauth://totp/ISSUER:ACCOUNT?secret=…`), a secret itself.
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> SecretString {
        let label = format!("{}:{}", percent(issuer), percent(account));
        SecretString::from(format!(
            "otpauth://totp/{label}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
            self.to_base32().expose_secret(),
            percent(issuer)
        ))
    }

    /// The code for time step `step`.
    pub fn code_at_step(&self, step: u64) -> u32 {
        let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &self.0);
        let tag = hmac::sign(&key, &step.to_be_bytes());
        let digest = tag.as_ref();
        // RFC 4226 §5.3 dynamic truncation.
        let offset = usize::from(digest[digest.len() - 1] & 0x0f);
        let binary = (u32::from(digest[offset] & 0x7f) << 24)
            | (u32::from(digest[offset + 1]) << 16)
            | (u32::from(digest[offset + 2]) << 8)
            | u32::from(digest[offset + 3]);
        binary % 10u32.pow(DIGITS)
    }

    /// The code at `unix_time`, zero-padded.
    pub fn code_at(&self, unix_time: i64) -> String {
        format!("{:06}", self.code_at_step(step_of(unix_time)))
    }

    /// Checks `code` at `unix_time`. `last_step` is the step of the last accepted
    /// code; only later steps are accepted, so each code works once. Returns the
    /// step to store as the new `last_step`.
    pub fn verify(
        &self,
        code: &str,
        unix_time: i64,
        last_step: Option<u64>,
    ) -> Result<u64, TotpRejection> {
        let code = code.trim();
        if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(TotpRejection::Invalid);
        }
        let current = step_of(unix_time);
        let mut matched = None;
        for delta in -WINDOW..=WINDOW {
            let Some(step) = current.checked_add_signed(delta) else {
                continue;
            };
            let expected = format!("{:06}", self.code_at_step(step));
            // Compare every candidate in constant time, and do not stop early.
            if aws_lc_rs::constant_time::verify_slices_are_equal(
                expected.as_bytes(),
                code.as_bytes(),
            )
            .is_ok()
            {
                matched = Some(step);
            }
        }
        let step = matched.ok_or(TotpRejection::Invalid)?;
        if last_step.is_some_and(|last| step <= last) {
            return Err(TotpRejection::Replayed);
        }
        Ok(step)
    }
}

fn step_of(unix_time: i64) -> u64 {
    u64::try_from(unix_time.div_euclid(STEP_SECS)).unwrap_or(0)
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The enrolment URI as a QR code in SVG, for the console to show inline.
pub fn qr_svg(uri: &SecretString) -> Option<String> {
    let code = qrcode::QrCode::new(uri.expose_secret().as_bytes()).ok()?;
    Some(
        code.render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 secret "12345678901234567890", last 6 of the 8 digits.
    #[test]
    fn rfc6238_vectors() {
        let secret = TotpSecret::from_bytes(b"12345678901234567890").unwrap();
        for (time, eight_digits) in [
            (59, 94_287_082u32),
            (1_111_111_109, 7_081_804),
            (1_111_111_111, 14_050_471),
            (1_234_567_890, 89_005_924),
            (2_000_000_000, 69_279_037),
            (20_000_000_000, 65_353_130),
        ] {
            assert_eq!(
                secret.code_at(time),
                format!("{:06}", eight_digits % 1_000_000),
                "t={time}"
            );
        }
    }

    #[test]
    fn window_and_replay() {
        let secret = TotpSecret::generate().unwrap();
        let t = 1_800_000_000;
        let code = secret.code_at(t);
        let step = secret.verify(&code, t, None).unwrap();
        assert_eq!(
            secret.verify(&code, t, Some(step)),
            Err(TotpRejection::Replayed)
        );
        // One step of drift either way is tolerated; two are not.
        assert!(secret.verify(&secret.code_at(t - 30), t, None).is_ok());
        assert!(secret.verify(&secret.code_at(t + 30), t, None).is_ok());
        assert_eq!(
            secret.verify(&secret.code_at(t - 60), t, None),
            Err(TotpRejection::Invalid)
        );
        // An older code after a newer one was used is refused too.
        let newer = secret.verify(&secret.code_at(t + 30), t, None).unwrap();
        assert_eq!(
            secret.verify(&secret.code_at(t), t, Some(newer)),
            Err(TotpRejection::Replayed)
        );
        assert_eq!(secret.verify("12345", t, None), Err(TotpRejection::Invalid));
        assert_eq!(
            secret.verify("abcdef", t, None),
            Err(TotpRejection::Invalid)
        );
    }

    #[test]
    fn uri_and_base32_round_trip() {
        let secret = TotpSecret::generate().unwrap();
        let again = TotpSecret::from_base32(secret.to_base32().expose_secret()).unwrap();
        assert_eq!(again.bytes(), secret.bytes());
        let uri = secret.otpauth_uri("Custos", "alice agent");
        assert!(
            uri.expose_secret()
                .starts_with("otpauth://totp/Custos:alice%20agent?secret=")
        );
        assert!(qr_svg(&uri).unwrap().starts_with("<?xml"));
        assert_eq!(format!("{secret:?}"), "TotpSecret(..)");
    }
}
