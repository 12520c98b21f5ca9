//! Passwords: the policy a new password must meet, and Argon2id hashing.
//!
//! Policy (PCI DSS 8.3.6, NIST SP 800-63B §5.1.1.2): 12 to 256 characters, at
//! least one letter and one digit, not common or guessable (zxcvbn score of at
//! least 3, with the username as a hint), not one of the last four (8.3.7). No
//! other composition rules. Hashes are Argon2id in PHC format (m=19 MiB, t=2,
//! p=1 by default), verifiable by any standard Argon2 library.

use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier as _, Version};
use secrecy::{ExposeSecret, SecretString};
use thiserror::Error;

/// Shortest accepted password, in characters.
pub const MIN_LENGTH: usize = 12;
/// Longest accepted password, in characters.
pub const MAX_LENGTH: usize = 256;
/// How many previous passwords may not be reused (PCI DSS 8.3.7).
pub const HISTORY: usize = 4;

/// Why a new password is refused. Messages never repeat the password.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum PasswordRejection {
    /// Fewer than [`MIN_LENGTH`] characters.
    #[error("use at least 12 characters")]
    TooShort,
    /// More than [`MAX_LENGTH`] characters.
    #[error("use at most 256 characters")]
    TooLong,
    /// No letter or no digit.
    #[error("use at least one letter and one digit")]
    NeedsLetterAndDigit,
    /// Common, guessable, or built from the username.
    #[error("this password is too common or too easy to guess{0}")]
    TooGuessable(String),
    /// One of the last four passwords.
    #[error("this password was used recently; choose a new one")]
    Reused,
}

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashCost {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Iterations.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for HashCost {
    /// OWASP's minimum for Argon2id, which the issue sets as our floor.
    fn default() -> Self {
        Self {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

/// Why hashing failed (parameters out of range).
#[derive(Debug, Error, PartialEq, Eq)]
#[error("password hashing failed")]
pub struct HashError;

/// A stored password hash, PHC string format (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`).
/// `Debug` shows the algorithm and parameters, never the salt or the hash.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHashString(pub String);

impl std::fmt::Debug for PasswordHashString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let params: Vec<&str> = self.0.split('$').take(4).collect();
        write!(f, "PasswordHashString({}$..)", params.join("$"))
    }
}

/// Checks a new password against the policy (not the history; see [`is_reuse`]).
pub fn check_policy(candidate: &SecretString, username: &str) -> Result<(), PasswordRejection> {
    let text = candidate.expose_secret();
    let length = text.chars().count();
    if length < MIN_LENGTH {
        return Err(PasswordRejection::TooShort);
    }
    if length > MAX_LENGTH {
        return Err(PasswordRejection::TooLong);
    }
    if !text.chars().any(char::is_alphabetic) || !text.chars().any(|c| c.is_ascii_digit()) {
        return Err(PasswordRejection::NeedsLetterAndDigit);
    }
    let estimate = zxcvbn::zxcvbn(text, &[username]);
    if u8::from(estimate.score()) < 3 {
        let hint = estimate
            .feedback()
            .and_then(|f| f.warning())
            .map(|w| format!(" ({w})"))
            .unwrap_or_default();
        return Err(PasswordRejection::TooGuessable(hint));
    }
    Ok(())
}

fn hasher(cost: HashCost) -> Result<Argon2<'static>, HashError> {
    let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
        .map_err(|_| HashError)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes `candidate` with a fresh random salt.
pub fn hash_password(
    candidate: &SecretString,
    cost: HashCost,
) -> Result<PasswordHashString, HashError> {
    let mut salt = [0u8; 16];
    aws_lc_rs::rand::fill(&mut salt).map_err(|_| HashError)?;
    let hash = hasher(cost)?
        .hash_password_with_salt(candidate.expose_secret().as_bytes(), &salt)
        .map_err(|_| HashError)?;
    Ok(PasswordHashString(hash.to_string()))
}

/// The result of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// Correct; `needs_rehash` when the stored parameters are below `cost`.
    Match {
        /// Rehash with the current parameters and store the new hash.
        needs_rehash: bool,
    },
    /// Wrong password, or a hash this build cannot read.
    Mismatch,
}

/// Checks `candidate` against `stored` (constant-time comparison inside argon2).
pub fn verify_password(
    stored: &PasswordHashString,
    candidate: &SecretString,
    cost: HashCost,
) -> Verification {
    let Ok(parsed) = PasswordHash::new(&stored.0) else {
        return Verification::Mismatch;
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return Verification::Mismatch;
    };
    let verifier = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    if verifier
        .verify_password(candidate.expose_secret().as_bytes(), &parsed)
        .is_err()
    {
        return Verification::Mismatch;
    }
    let weaker = params.m_cost() < cost.memory_kib
        || params.t_cost() < cost.iterations
        || params.p_cost() < cost.parallelism
        || parsed.algorithm.as_str() != "argon2id";
    Verification::Match {
        needs_rehash: weaker,
    }
}

/// True when `candidate` matches one of the `history` hashes.
pub fn is_reuse(history: &[PasswordHashString], candidate: &SecretString, cost: HashCost) -> bool {
    history.iter().take(HISTORY).any(|h| {
        matches!(
            verify_password(h, candidate, cost),
            Verification::Match { .. }
        )
    })
}

/// Spends the same work as checking a real password, for sign-ins with an unknown
/// username, so that the answer's timing does not reveal whether the account exists.
pub fn verify_against_nothing(candidate: &SecretString, cost: HashCost) {
    static EQUALIZER: std::sync::OnceLock<Option<(HashCost, PasswordHashString)>> =
        std::sync::OnceLock::new();
    let throwaway = || {
        let mut random = [0u8; 24];
        aws_lc_rs::rand::fill(&mut random).ok()?;
        let password = SecretString::from(data_encoding::BASE32_NOPAD.encode(&random));
        hash_password(&password, cost).ok().map(|h| (cost, h))
    };
    match EQUALIZER.get_or_init(throwaway) {
        Some((made_with, hash)) if *made_with == cost => {
            let _ = verify_password(hash, candidate, cost);
        }
        // Parameters changed since the equalizer was made (tests): make a matching one.
        _ => {
            if let Some((_, hash)) = throwaway() {
                let _ = verify_password(&hash, candidate, cost);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cheap parameters for tests of behaviour; production uses the default.
    const FAST: HashCost = HashCost {
        memory_kib: 256,
        iterations: 1,
        parallelism: 1,
    };

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    #[test]
    fn policy_table() {
        let cases: &[(&str, Option<PasswordRejection>)] = &[
            ("short1", Some(PasswordRejection::TooShort)),
            (
                "onlylettersherexx",
                Some(PasswordRejection::NeedsLetterAndDigit),
            ),
            (
                "1234567890123",
                Some(PasswordRejection::NeedsLetterAndDigit),
            ),
            ("password1234", None),
            ("alice.agent2026", None),
            ("Tr0ub4dor&3xyz", None),
            ("violet-kettle-47-harbor", None),
        ];
        for (candidate, expected) in cases {
            let result = check_policy(&secret(candidate), "alice.agent");
            match expected {
                Some(rejection) => {
                    assert_eq!(result.as_ref().err(), Some(rejection), "{candidate}")
                }
                None if *candidate == "password1234" || *candidate == "alice.agent2026" => {
                    assert!(
                        matches!(result, Err(PasswordRejection::TooGuessable(_))),
                        "{candidate}: {result:?}"
                    );
                }
                None => assert_eq!(result, Ok(()), "{candidate}"),
            }
        }
        assert_eq!(
            check_policy(&secret(&"a1".repeat(129)), "x"),
            Err(PasswordRejection::TooLong)
        );
    }

    #[test]
    fn hashes_are_argon2id_phc_and_verify() {
        let hash = hash_password(&secret("violet-kettle-47-harbor"), FAST).unwrap();
        assert!(
            hash.0.starts_with("$argon2id$v=19$m=256,t=1,p=1$"),
            "{}",
            hash.0
        );
        assert_eq!(
            verify_password(&hash, &secret("violet-kettle-47-harbor"), FAST),
            Verification::Match {
                needs_rehash: false
            }
        );
        assert_eq!(
            verify_password(&hash, &secret("violet-kettle-47-harbox"), FAST),
            Verification::Mismatch
        );
        let stronger = HashCost {
            memory_kib: 512,
            ..FAST
        };
        assert_eq!(
            verify_password(&hash, &secret("violet-kettle-47-harbor"), stronger),
            Verification::Match { needs_rehash: true }
        );
        assert_eq!(
            verify_password(&PasswordHashString("garbage".into()), &secret("x"), FAST),
            Verification::Mismatch
        );
    }

    #[test]
    fn history_blocks_the_last_four() {
        let history: Vec<_> = [
            "first-pass-11x",
            "second-pass-22x",
            "third-pass-33x",
            "fourth-pass-44x",
            "fifth-pass-55x",
        ]
        .iter()
        .map(|p| hash_password(&secret(p), FAST).unwrap())
        .collect();
        assert!(is_reuse(&history, &secret("third-pass-33x"), FAST));
        assert!(
            !is_reuse(&history, &secret("fifth-pass-55x"), FAST),
            "only the last four count"
        );
        assert!(!is_reuse(&history, &secret("sixth-pass-66x"), FAST));
    }
}
