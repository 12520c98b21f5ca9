//! Recovery codes: ten single-use codes, each signing a person in once when their
//! authenticator is not at hand. Made at enrolment and at a credential reset, and
//! renewed by the person themself (after a fresh second factor) when they run low
//! or fear a copy leaked: the old set stops working at once. Only hashes are
//! stored; the codes are shown once.

use custos_audit::{Activity, AuditEvent, Outcome};
use custos_auth::recovery;
use custos_store::AccountStore as _;
use secrecy::SecretString;
use uuid::Uuid;

use super::{AuthError, AuthService, PersonPrincipal, events};

/// A fresh set: the codes to show once, and their hashes to store.
pub(super) fn new_recovery_codes() -> Result<(Vec<SecretString>, Vec<[u8; 32]>), AuthError> {
    let codes = recovery::generate().map_err(|_| AuthError::Crypto)?;
    let hashes = codes.iter().map(|(_, h)| *h).collect();
    Ok((codes.into_iter().map(|(code, _)| code).collect(), hashes))
}

impl AuthService {
    /// How many of the person's recovery codes are unused.
    pub async fn recovery_codes_left(&self, user: Uuid) -> Result<u32, AuthError> {
        Ok(self.store.unused_recovery_codes(user).await?)
    }

    /// Replaces the signed-in person's recovery codes with a new set, returned once.
    /// Recorded before the codes change (fail closed).
    pub async fn renew_recovery_codes(
        &self,
        person: &PersonPrincipal,
        ip: Option<std::net::IpAddr>,
    ) -> Result<Vec<SecretString>, AuthError> {
        let (codes, hashes) = new_recovery_codes()?;
        let ip_text = ip.map(|i| i.to_string());
        self.audit
            .record(
                AuditEvent::new(
                    self.now_ms(),
                    Activity::MfaEnable,
                    "account.recovery_codes_renew",
                    Outcome::Success,
                    events::person(&person.user, Some(&person.session), ip_text.as_deref()),
                    "Recovery codes renewed; the earlier set stopped working",
                )
                .with_target("user", Some(&person.user.id.to_string()), None)
                .with_detail("codes", &codes.len().to_string()),
            )
            .await?;
        self.store
            .set_recovery_codes(person.user.id, &hashes)
            .await?;
        Ok(codes)
    }
}
