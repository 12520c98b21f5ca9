//! Authentication logic for Custos, pure: no I/O, no async, and every time
//! decision takes the current time as an argument (the caller's injected clock).
//!
//! - [`password`]: the password policy (PCI DSS 8.3.6, NIST 800-63B) and Argon2id
//!   hashing in PHC format, with rehash-on-login when parameters are raised.
//! - [`totp`]: RFC 6238 one-time codes (30 s, 6 digits, ±1 step), each accepted once.
//! - [`recovery`]: single-use recovery codes, stored hashed.
//! - [`token`]: 256-bit random tokens for sessions, service tokens and links, stored hashed.
//! - [`session`]: idle and absolute expiry, and step-up freshness.
//! - [`lockout`]: account lockout after consecutive failures (PCI DSS 8.3.4).
//! - [`throttle`]: per-source rate limiting of sign-in attempts.
//! - [`role`]: the roles of people and service tokens.

pub mod lockout;
pub mod password;
pub mod recovery;
pub mod role;
pub mod session;
pub mod throttle;
pub mod token;
pub mod totp;
