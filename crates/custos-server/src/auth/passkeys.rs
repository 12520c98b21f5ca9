//! Passkeys (WebAuthn) as a second factor: enrolment from a signed-in session,
//! sign-in after the password, step-up before a sensitive action, removal.
//!
//! The relying-party checks (challenge, origin, RP ID hash, user verification,
//! signature, signature counter) are webauthn-rs's; this module keeps its state.
//! Each ceremony's state (the challenge) stays on the server, sealed under a key
//! derived from the root key, stored under a key derived from what the ceremony
//! belongs to (a session, or a pending sign-in), and is taken once. Each credential
//! is sealed and bound to its owner, so a row moved to another person does not open.
//!
//! User verification is required on every ceremony (a PIN or biometric on the
//! authenticator), so a passkey is itself two factors; here it follows the password
//! as the second step, which the contract's sign-in starts with. A signature counter
//! that does not advance is refused (a cloned authenticator) and recorded.

use custos_audit::{Activity, Actor, AuditEvent, Outcome};
use custos_auth::lockout::LockState;
use custos_crypto::SealingKey;
use custos_store::{AccountStore as _, PasskeyRecord, PasskeyStore as _, UserRecord};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use webauthn_rs::prelude::{
    CreationChallengeResponse, Passkey, PasskeyAuthentication, PasskeyRegistration,
    PublicKeyCredential, RegisterPublicKeyCredential, RequestChallengeResponse, Url, Webauthn,
    WebauthnBuilder, WebauthnError,
};

use super::{AuthError, AuthService, NewSession, PersonPrincipal, SecondFactor, events};

/// How long a ceremony may take, from its start to its finish.
const CEREMONY_SECS: i64 = 300;
/// Passkeys one person may hold.
pub const MAX_PASSKEYS: usize = 10;
/// The relying party's name shown by authenticators.
const RP_NAME: &str = "Custos";

/// Who passkeys are made for: the RP ID and the one origin that may use them.
pub struct RelyingParty {
    webauthn: Webauthn,
    origin: Url,
}

impl std::fmt::Debug for RelyingParty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelyingParty")
            .field("origin", &self.origin.as_str())
            .finish_non_exhaustive()
    }
}

impl RelyingParty {
    /// The relying party for the address people use, `base_url`. Browsers accept
    /// passkeys only for a domain name, so a loopback address becomes `localhost`
    /// (which the self-signed certificate names) and any other bare address leaves
    /// passkeys off (`None`). `rp_id`, if given, must be that host or a parent domain.
    pub fn for_base_url(base_url: &str, rp_id: Option<&str>) -> Result<Option<Self>, String> {
        let mut origin = Url::parse(base_url).map_err(|_| format!("`{base_url}` is not a URL"))?;
        let loopback = match origin.host() {
            Some(url::Host::Domain(_)) => false,
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => return Ok(None),
        };
        if loopback {
            origin
                .set_host(Some("localhost"))
                .map_err(|_| "cannot name the loopback origin".to_owned())?;
        } else if origin.domain().is_none() {
            return Ok(None);
        }
        origin.set_path("");
        let host = origin.domain().unwrap_or("localhost").to_owned();
        let rp_id = rp_id.unwrap_or(&host);
        let webauthn = WebauthnBuilder::new(rp_id, &origin)
            .and_then(|b| b.rp_name(RP_NAME).build())
            .map_err(|_| {
                format!(
                    "auth.webauthn_rp_id: `{rp_id}` is neither `{host}` nor a parent domain of it"
                )
            })?;
        Ok(Some(Self { webauthn, origin }))
    }

    /// The origin browsers must use, e.g. `https://custos.example.com`.
    pub fn origin(&self) -> &str {
        self.origin.as_str().trim_end_matches('/')
    }
}

/// A ceremony between its start and its finish.
#[derive(Serialize, Deserialize)]
enum Ceremony {
    /// Enrolling a new passkey under `name`.
    Register {
        name: String,
        state: PasskeyRegistration,
    },
    /// Proving possession of an enrolled one.
    Authenticate { state: PasskeyAuthentication },
}

/// What a ceremony belongs to; its storage key is derived from this.
#[derive(Clone, Copy)]
pub(super) enum CeremonyOwner<'a> {
    /// An enrolment on a session.
    Enrolment(Uuid),
    /// A step-up on a session.
    StepUp(Uuid),
    /// A sign-in's second step, by the MFA token's hash.
    SignIn(&'a [u8; 32]),
}

impl CeremonyOwner<'_> {
    fn key(self) -> [u8; 32] {
        let text = match self {
            Self::Enrolment(session) => format!("enrol:{session}"),
            Self::StepUp(session) => format!("step-up:{session}"),
            Self::SignIn(hash) => format!("sign-in:{}", data_encoding::HEXLOWER.encode(hash)),
        };
        custos_auth::token::hash(&format!("custos.webauthn-ceremony.v1:{text}")).0
    }
}

/// The sealing key of passkeys and ceremonies, derived from the root key.
pub(super) fn sealing_key(root_key: &[u8; 32]) -> Result<SealingKey, AuthError> {
    SealingKey::derive(root_key, "custos passkeys v1").map_err(|_| AuthError::Crypto)
}

fn credential_context(user: Uuid, credential_id: &[u8]) -> Vec<u8> {
    let mut context = format!("custos.passkey.v1:{user}:").into_bytes();
    context.extend_from_slice(credential_id);
    context
}

fn check_name(name: &str) -> Result<String, AuthError> {
    let name = name.trim();
    if (1..=64).contains(&name.chars().count()) && !name.chars().any(char::is_control) {
        Ok(name.to_owned())
    } else {
        Err(AuthError::Invalid(
            "name the passkey with 1 to 64 printable characters, e.g. \"work laptop\"".into(),
        ))
    }
}

/// An audit event about a person's passkeys.
fn passkey_event(
    time_ms: i64,
    actor: Actor,
    (activity, kind): (Activity, &str),
    outcome: Outcome,
    passkey: Option<&PasskeyRecord>,
    status: &str,
) -> AuditEvent {
    let message = match activity {
        Activity::MfaDisable => "Passkey removed",
        _ => "Passkey enrolled",
    };
    let event = AuditEvent::new(time_ms, activity, kind, outcome, actor, message)
        .with_target(
            "passkey",
            passkey.map(|p| p.id.to_string()).as_deref(),
            None,
        )
        .with_status_detail(status);
    match passkey {
        Some(p) => event.with_detail("name", &p.name),
        None => event,
    }
}

const ENROLLED: (Activity, &str) = (Activity::MfaEnable, "account.passkey_add");
const REMOVED: (Activity, &str) = (Activity::MfaDisable, "account.passkey_remove");

impl AuthService {
    /// The relying party, when passkeys can be used at this server's address.
    pub fn relying_party(&self) -> Option<&RelyingParty> {
        self.passkeys.as_ref()
    }

    fn rp(&self) -> Result<&RelyingParty, AuthError> {
        self.passkeys.as_ref().ok_or(AuthError::PasskeysUnavailable)
    }

    fn seal_ceremony(&self, key: &[u8; 32], ceremony: &Ceremony) -> Result<Vec<u8>, AuthError> {
        let json = serde_json::to_vec(ceremony).map_err(|_| AuthError::Crypto)?;
        self.passkey_key
            .seal(&json, key)
            .map_err(|_| AuthError::Crypto)
    }

    /// Takes the ceremony of `owner` if it is `user`'s and has not expired.
    async fn take_ceremony(
        &self,
        owner: CeremonyOwner<'_>,
        user: Uuid,
    ) -> Result<Option<Ceremony>, AuthError> {
        let key = owner.key();
        let Some((owner_id, sealed)) = self.store.take_ceremony(&key, self.now()).await? else {
            return Ok(None);
        };
        if owner_id != user {
            return Ok(None);
        }
        let json = self
            .passkey_key
            .open(&sealed, &key)
            .map_err(|_| AuthError::Crypto)?;
        serde_json::from_slice(&json)
            .map(Some)
            .map_err(|_| AuthError::Crypto)
    }

    fn open_passkey(&self, record: &PasskeyRecord) -> Result<Passkey, AuthError> {
        let json = self
            .passkey_key
            .open(
                &record.sealed,
                &credential_context(record.user_id, &record.credential_id),
            )
            .map_err(|_| AuthError::Crypto)?;
        serde_json::from_slice(&json).map_err(|_| AuthError::Crypto)
    }

    fn seal_passkey(&self, user: Uuid, passkey: &Passkey) -> Result<Vec<u8>, AuthError> {
        let json = serde_json::to_vec(passkey).map_err(|_| AuthError::Crypto)?;
        self.passkey_key
            .seal(&json, &credential_context(user, passkey.cred_id()))
            .map_err(|_| AuthError::Crypto)
    }

    /// A person's enrolled passkeys.
    pub async fn passkeys_of(&self, user: Uuid) -> Result<Vec<PasskeyRecord>, AuthError> {
        Ok(self.store.passkeys_of(user).await?)
    }

    /// Starts enrolling a passkey named `name` on the caller's session: the options
    /// for `navigator.credentials.create`. The handler checks step-up first.
    pub async fn begin_passkey_enrolment(
        &self,
        person: &PersonPrincipal,
        name: &str,
    ) -> Result<CreationChallengeResponse, AuthError> {
        let rp = self.rp()?;
        let name = check_name(name)?;
        let existing = self.store.passkeys_of(person.user.id).await?;
        if existing.len() >= MAX_PASSKEYS {
            return Err(AuthError::Invalid(format!(
                "you have {MAX_PASSKEYS} passkeys already; remove one first"
            )));
        }
        let exclude = existing.iter().map(|p| p.credential_id.clone()).collect();
        let (options, state) = rp
            .webauthn
            .start_passkey_registration(
                person.user.id,
                &person.user.username,
                &person.user.username,
                Some(exclude),
            )
            .map_err(|_| AuthError::Crypto)?;
        let key = CeremonyOwner::Enrolment(person.session.id).key();
        let sealed = self.seal_ceremony(&key, &Ceremony::Register { name, state })?;
        self.store
            .put_ceremony(&key, person.user.id, &sealed, self.now() + CEREMONY_SECS)
            .await?;
        Ok(options)
    }

    /// Finishes an enrolment with the authenticator's answer; the stored passkey.
    pub async fn finish_passkey_enrolment(
        &self,
        person: &PersonPrincipal,
        answer: &RegisterPublicKeyCredential,
        ip: Option<std::net::IpAddr>,
    ) -> Result<PasskeyRecord, AuthError> {
        let rp = self.rp()?;
        let ip_text = ip.map(|i| i.to_string());
        let actor = events::person(&person.user, Some(&person.session), ip_text.as_deref());
        let ceremony = self
            .take_ceremony(CeremonyOwner::Enrolment(person.session.id), person.user.id)
            .await?;
        let refuse = |status: &'static str, message: &str| {
            let event = passkey_event(
                self.now_ms(),
                actor.clone(),
                ENROLLED,
                Outcome::Failure,
                None,
                status,
            );
            let error = AuthError::Invalid(message.to_owned());
            async move {
                self.audit.record(event).await?;
                Err(error)
            }
        };
        let Some(Ceremony::Register { name, state }) = ceremony else {
            return refuse(
                "no_enrolment_in_progress",
                "no passkey enrolment is in progress on this session, or it took longer than five minutes; start again",
            )
            .await;
        };
        let passkey = match rp.webauthn.finish_passkey_registration(answer, &state) {
            Ok(passkey) => passkey,
            Err(e) => {
                tracing::info!(error = %e, "passkey enrolment refused");
                return refuse(
                    "invalid_attestation",
                    "the authenticator's answer could not be verified; try again",
                )
                .await;
            }
        };
        let now = self.now();
        let record = PasskeyRecord {
            id: Uuid::new_v4(),
            user_id: person.user.id,
            credential_id: passkey.cred_id().to_vec(),
            name,
            sealed: self.seal_passkey(person.user.id, &passkey)?,
            created_at: now,
            last_used_at: None,
        };
        self.store.add_passkey(&record).await?;
        let recorded = self
            .audit
            .record(passkey_event(
                self.now_ms(),
                actor,
                ENROLLED,
                Outcome::Success,
                Some(&record),
                "enrolled",
            ))
            .await;
        if let Err(e) = recorded {
            // Fail closed: a passkey whose enrolment is not on record does not stay.
            let _ = self.store.remove_passkey(person.user.id, record.id).await;
            return Err(e.into());
        }
        Ok(record)
    }

    /// Removes one of the caller's passkeys (the handler checks step-up first).
    pub async fn remove_passkey(
        &self,
        person: &PersonPrincipal,
        id: Uuid,
        ip: Option<std::net::IpAddr>,
    ) -> Result<(), AuthError> {
        let record = self
            .store
            .passkeys_of(person.user.id)
            .await?
            .into_iter()
            .find(|p| p.id == id)
            .ok_or(AuthError::NotFound)?;
        let ip_text = ip.map(|i| i.to_string());
        let actor = events::person(&person.user, Some(&person.session), ip_text.as_deref());
        self.audit
            .record(passkey_event(
                self.now_ms(),
                actor,
                REMOVED,
                Outcome::Success,
                Some(&record),
                "removed",
            ))
            .await?;
        self.store.remove_passkey(person.user.id, id).await?;
        Ok(())
    }

    /// Options for `navigator.credentials.get` over `user`'s passkeys, kept as the
    /// ceremony of `owner`; `none` if the person has no passkey.
    async fn begin_assertion(
        &self,
        user: Uuid,
        owner: CeremonyOwner<'_>,
        none: AuthError,
    ) -> Result<RequestChallengeResponse, AuthError> {
        let rp = self.rp()?;
        let passkeys = self
            .store
            .passkeys_of(user)
            .await?
            .iter()
            .map(|record| self.open_passkey(record))
            .collect::<Result<Vec<_>, _>>()?;
        if passkeys.is_empty() {
            return Err(none);
        }
        let (options, state) = rp
            .webauthn
            .start_passkey_authentication(&passkeys)
            .map_err(|_| AuthError::Crypto)?;
        let key = owner.key();
        let sealed = self.seal_ceremony(&key, &Ceremony::Authenticate { state })?;
        self.store
            .put_ceremony(&key, user, &sealed, self.now() + CEREMONY_SECS)
            .await?;
        Ok(options)
    }

    /// A sign-in's second step with a passkey, part one: the options for the
    /// browser. The MFA token stays valid for the finish.
    pub async fn begin_passkey_sign_in(
        &self,
        mfa_token: &str,
    ) -> Result<RequestChallengeResponse, AuthError> {
        use custos_auth::token::{self, TokenKind};
        if !token::looks_like(TokenKind::MfaPending, mfa_token) {
            return Err(AuthError::InvalidMfa);
        }
        let hash = token::hash(mfa_token).0;
        let user = self
            .store
            .mfa_challenge_user(&hash, self.now())
            .await?
            .ok_or(AuthError::InvalidMfa)?;
        self.begin_assertion(user, CeremonyOwner::SignIn(&hash), AuthError::InvalidMfa)
            .await
    }

    /// Step-up with a passkey, part one: the options for the browser.
    pub async fn begin_passkey_step_up(
        &self,
        person: &PersonPrincipal,
    ) -> Result<RequestChallengeResponse, AuthError> {
        // No passkey is said plainly (not 401, which would read as a lost session).
        self.begin_assertion(
            person.user.id,
            CeremonyOwner::StepUp(person.session.id),
            AuthError::NoPasskey,
        )
        .await
    }

    /// Checks an assertion against the ceremony of `owner` for `user`: the
    /// signature over the challenge by one of their passkeys, user verification and
    /// an advancing counter. Failures count toward the lockout and are recorded.
    pub(super) async fn check_passkey(
        &self,
        user: &UserRecord,
        state: LockState,
        actor: Actor,
        owner: CeremonyOwner<'_>,
        answer: &PublicKeyCredential,
    ) -> Result<(), AuthError> {
        let rp = self.rp()?;
        let Some(Ceremony::Authenticate { state: ceremony }) =
            self.take_ceremony(owner, user.id).await?
        else {
            self.record_failure(user, state, actor, "no_passkey_challenge")
                .await?;
            return Err(AuthError::InvalidMfa);
        };
        let result = match rp.webauthn.finish_passkey_authentication(answer, &ceremony) {
            Ok(result) => result,
            Err(e) => {
                let status = match e {
                    WebauthnError::CredentialPossibleCompromise => "passkey_counter_regressed",
                    _ => "invalid_passkey",
                };
                tracing::info!(error = %e, status, "passkey assertion refused");
                self.record_failure(user, state, actor, status).await?;
                return Err(AuthError::InvalidMfa);
            }
        };
        let records = self.store.passkeys_of(user.id).await?;
        let Some(record) = records
            .iter()
            .find(|r| r.credential_id.as_slice() == result.cred_id().as_slice())
        else {
            // Removed between the start and the finish.
            self.record_failure(user, state, actor, "passkey_removed")
                .await?;
            return Err(AuthError::InvalidMfa);
        };
        let mut passkey = self.open_passkey(record)?;
        passkey.update_credential(&result);
        let sealed = self.seal_passkey(user.id, &passkey)?;
        self.store
            .record_passkey_use(record.id, &sealed, self.now())
            .await?;
        Ok(())
    }

    /// Step-up with a passkey, part two: the session's MFA time is now.
    pub async fn step_up_passkey(
        &self,
        person: &PersonPrincipal,
        answer: &PublicKeyCredential,
        ip: Option<std::net::IpAddr>,
    ) -> Result<i64, AuthError> {
        self.step_up(person, SecondFactor::Passkey(answer), ip)
            .await
    }

    /// A sign-in's second step with a passkey, part two. On success, a new session.
    pub async fn complete_passkey(
        &self,
        mfa_token: &str,
        answer: &PublicKeyCredential,
        ip: Option<std::net::IpAddr>,
    ) -> Result<NewSession, AuthError> {
        self.complete_mfa(mfa_token, SecondFactor::Passkey(answer), ip)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::RelyingParty;

    fn origin_of(base_url: &str, rp_id: Option<&str>) -> Option<String> {
        RelyingParty::for_base_url(base_url, rp_id)
            .unwrap()
            .map(|rp| rp.origin().to_owned())
    }

    #[test]
    fn the_origin_is_the_domain_people_use() {
        assert_eq!(
            origin_of("https://custos.example.com", None).as_deref(),
            Some("https://custos.example.com")
        );
        assert_eq!(
            origin_of("https://custos.example.com:8443/console", None).as_deref(),
            Some("https://custos.example.com:8443")
        );
        assert_eq!(
            origin_of("https://custos.example.com", Some("example.com")).as_deref(),
            Some("https://custos.example.com")
        );
    }

    #[test]
    fn loopback_becomes_localhost_and_other_addresses_have_no_passkeys() {
        assert_eq!(
            origin_of("https://127.0.0.1:8443", None).as_deref(),
            Some("https://localhost:8443")
        );
        assert_eq!(
            origin_of("https://[::1]:8443", None).as_deref(),
            Some("https://localhost:8443")
        );
        assert_eq!(origin_of("https://192.0.2.10:8443", None), None);
    }

    #[test]
    fn an_rp_id_must_be_the_host_or_a_parent_domain() {
        assert!(
            RelyingParty::for_base_url("https://custos.example.com", Some("other.com")).is_err()
        );
        assert!(
            RelyingParty::for_base_url("https://custos.example.com", Some("xample.com")).is_err()
        );
    }
}
