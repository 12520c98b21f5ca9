//! The one-time link that sets up the first administrator.
//!
//! While no administrator exists, every start issues a fresh link (and retires
//! the previous one). The token travels in the URL fragment, which browsers never
//! send to a server, so it cannot end up in an access log or a proxy; the setup
//! page hands it over in a POST. Only its SHA-256 is stored.

use aws_lc_rs::digest;
use base64::Engine as _;
use custos_store::{InstanceStore, SetupTokenHash, Store, StoreError, UnixTime};
use secrecy::{ExposeSecret as _, SecretString};

use crate::clock::Clock;

/// How long a setup link stays valid.
pub const SETUP_LINK_LIFETIME_SECS: i64 = 24 * 3600;

/// Issues a new setup link if setup is still pending; `None` once an admin exists.
pub async fn issue_setup_link(
    store: &Store,
    clock: &dyn Clock,
    base_url: &str,
) -> Result<Option<SecretString>, StoreError> {
    let now = clock.unix_now();
    let instance = store.instance(now).await?;
    if instance.setup_completed_at.is_some() {
        return Ok(None);
    }
    let token = new_link_token().ok_or(StoreError::Corrupt("no randomness"))?;
    store
        .replace_setup_token(
            &hash_setup_token(token.expose_secret()),
            now,
            UnixTime(now.0 + SETUP_LINK_LIFETIME_SECS),
        )
        .await?;
    Ok(Some(SecretString::from(format!(
        "{base_url}/setup#token={}",
        token.expose_secret()
    ))))
}

/// A fresh one-time link token: 256 random bits, URL-safe base64; `None` if the
/// system has no randomness to give.
pub fn new_link_token() -> Option<SecretString> {
    let mut raw = zeroize::Zeroizing::new([0u8; 32]);
    aws_lc_rs::rand::fill(raw.as_mut_slice()).ok()?;
    Some(SecretString::from(
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw.as_slice()),
    ))
}

/// The stored form of a setup token.
pub fn hash_setup_token(token: &str) -> SetupTokenHash {
    let digest = digest::digest(&digest::SHA256, token.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    SetupTokenHash(out)
}
