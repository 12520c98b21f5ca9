//! The authentication service: accounts, the two-step sign-in (password, then a
//! second factor), sessions and service tokens. Handlers call it; it calls the
//! pure logic of `custos-auth`, the store, and the audit log, and records every
//! attempt. Anything it cannot record does not happen (fail closed).
//!
//! Timing: an unknown username costs the same Argon2 work as a wrong password, and
//! both get the same answer, so neither the answer nor its timing tells whether
//! the account exists. Argon2 runs on the blocking pool, off the async workers.

mod credential_reset;
mod devices;
pub mod events;
mod invitations;
mod passkeys;
mod password_change;
mod principal;
mod recovery_codes;
mod responses;
mod roles;
mod service_tokens;

use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use custos_audit::{Actor, Outcome};
use custos_auth::lockout::{LockState, LockoutPolicy};
use custos_auth::password::{self, HashCost, PasswordHashString, PasswordRejection, Verification};
use custos_auth::recovery;
use custos_auth::role::Role;
use custos_auth::session::{SessionLimits, SessionState, SessionTimes};
use custos_auth::throttle::Throttle;
use custos_auth::token::{self, TokenKind};
use custos_auth::totp::{TotpRejection, TotpSecret};
use custos_crypto::SealingKey;
use custos_store::{
    AccountStore, InstanceStore, PasskeyStore as _, SessionRecord, Store, StoreError, UserRecord,
};
use secrecy::SecretString;
use thiserror::Error;
use uuid::Uuid;

pub use credential_reset::RESET_LIFETIME_SECS;
pub use invitations::{INVITATION_LIFETIME_SECS, Invitation};
pub use passkeys::{MAX_PASSKEYS, RelyingParty};
pub use principal::{PersonPrincipal, Principal, ServicePrincipal};
pub use responses::Because;
pub use service_tokens::MAX_SERVICE_TOKEN_DAYS;

use crate::audit::{AuditError, AuditLog, event_time_ms};
use crate::clock::Clock;
use crate::config::Config;
use crate::settings::LiveSettings;

/// How long the MFA step may follow the password step.
const MFA_CHALLENGE_SECS: i64 = 300;
/// How recent an MFA must be for a sensitive action (step-up).
const STEP_UP_SECS: i64 = 900;
/// A session's last-use time is written at most this often.
const TOUCH_EVERY_SECS: i64 = 10;
/// Sign-in attempts per source address: a burst, then a steady rate.
const THROTTLE_BURST: u32 = 10;
const THROTTLE_PER_MINUTE: u32 = 30;
const THROTTLE_MAX_SOURCES: usize = 100_000;
/// Service tokens live this long unless told otherwise.
pub const DEFAULT_TOKEN_DAYS: i64 = 365;
/// Accounts unused this long are disabled (PCI DSS 8.2.6).
pub const INACTIVE_DAYS: i64 = 90;
/// The issuer shown in authenticator apps.
const TOTP_ISSUER: &str = "Custos";

/// Why an authentication operation failed. The messages are what clients may see.
#[derive(Debug, Error)]
pub enum AuthError {
    /// Unknown user, wrong password, disabled account: one answer for all.
    #[error("the username or password is wrong")]
    InvalidCredentials,
    /// Locked after repeated failures.
    #[error("the account is locked")]
    Locked {
        /// Until when.
        until: i64,
    },
    /// Too many attempts from this address.
    #[error("too many sign-in attempts; try again later")]
    Throttled {
        /// Seconds to wait.
        retry_after: u64,
    },
    /// The MFA step failed (unknown or expired step, wrong code).
    #[error("the code is wrong or the sign-in step has expired")]
    InvalidMfa,
    /// A valid TOTP code that was already used.
    #[error("this code was already used; wait for the next one")]
    MfaReplayed,
    /// No valid session or token.
    #[error("sign in first")]
    Unauthenticated,
    /// The person's role may not work from this network.
    #[error("your role may not sign in or work from this network")]
    NetworkNotAllowed,
    /// The person's role signs in only from an enrolled device, and none was shown.
    #[error(
        "your role signs in only from an enrolled device; ask a security officer for an enrolment code"
    )]
    DeviceRequired,
    /// A new password breaks the policy.
    #[error("{0}")]
    PasswordRejected(PasswordRejection),
    /// Input that can never be valid.
    #[error("{0}")]
    Invalid(String),
    /// A unique name is taken.
    #[error("{0} already exists")]
    Conflict(&'static str),
    /// No such account.
    #[error("no such account")]
    NotFound,
    /// The audit trail could not record the action.
    #[error(transparent)]
    Audit(#[from] AuditError),
    /// The store failed.
    #[error("the service is temporarily unavailable")]
    Store(#[source] StoreError),
    /// Key material could not be used.
    #[error("the service is temporarily unavailable")]
    Crypto,
    /// Passkeys need a domain name: the server is reached by a bare address.
    #[error(
        "passkeys need the server's domain name; set server.public_url to the https:// address people use"
    )]
    PasskeysUnavailable,
    /// The person's sign-in was reset; only the reset link restores it.
    #[error(
        "your sign-in was reset; open the link your security team gave you to choose a new password and authenticator"
    )]
    CredentialsReset,
    /// A step-up with a passkey by a person who has none.
    #[error("you have no passkey; use a code from your authenticator app")]
    NoPasskey,
}

impl From<StoreError> for AuthError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(what) => Self::Conflict(what),
            other => Self::Store(other),
        }
    }
}

/// The answer to a correct password: the token for the second step.
pub struct MfaChallenge {
    /// Single-use, short-lived.
    pub token: SecretString,
    /// The factors the person can use.
    pub methods: Vec<&'static str>,
}

/// The second factor presented in step two.
#[derive(Clone, Copy)]
enum SecondFactor<'a> {
    /// A code from the authenticator app.
    Totp(&'a str),
    /// One of the recovery codes.
    RecoveryCode(&'a SecretString),
    /// A passkey's answer to the challenge of the ceremony in flight.
    Passkey(&'a webauthn_rs::prelude::PublicKeyCredential),
}

impl SecondFactor<'_> {
    fn method(self) -> &'static str {
        match self {
            Self::Totp(_) => "totp",
            Self::RecoveryCode(_) => "recovery_code",
            Self::Passkey(_) => "passkey",
        }
    }
}

/// A completed sign-in.
pub struct NewSession {
    /// The bearer token (also set as the cookie). Shown once.
    pub token: SecretString,
    /// The session.
    pub session: SessionRecord,
    /// Its person.
    pub user: UserRecord,
    /// When it ends if unused.
    pub expires_at: i64,
}

/// A new account and its TOTP enrolment.
pub struct NewAccount {
    /// The account.
    pub user: UserRecord,
    /// `otpauth://` URI to enrol an authenticator; a secret.
    pub totp_uri: SecretString,
    /// Single-use recovery codes, shown once.
    pub recovery_codes: Vec<SecretString>,
}

/// The service.
pub struct AuthService {
    store: Store,
    audit: AuditLog,
    clock: Arc<dyn Clock>,
    cost: HashCost,
    settings: Arc<LiveSettings>,
    totp_key: SealingKey,
    throttle: Mutex<Throttle<IpAddr>>,
    networks: crate::config::NetworkRules,
    device_roles: Vec<Role>,
    passkeys: Option<RelyingParty>,
    passkey_key: SealingKey,
}

impl std::fmt::Debug for AuthService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuthService")
    }
}

/// Usernames: 3 to 64 of `a-z 0-9 . _ -`, starting with a letter.
fn check_username(username: &str) -> Result<(), AuthError> {
    let valid = (3..=64).contains(&username.len())
        && username.starts_with(|c: char| c.is_ascii_lowercase())
        && username.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        });
    if valid {
        Ok(())
    } else {
        Err(AuthError::Invalid(
            "usernames have 3 to 64 characters: lower-case letters, digits, '.', '_' or '-', starting with a letter".into(),
        ))
    }
}

fn totp_context(user: Uuid) -> Vec<u8> {
    format!("custos.totp.v1:{user}").into_bytes()
}

impl AuthService {
    /// The service for `config` and the `settings` in force (lockout, session
    /// lifetimes), sealing TOTP secrets under a key derived from `root_key`.
    pub fn new(
        config: &Config,
        store: Store,
        audit: AuditLog,
        clock: Arc<dyn Clock>,
        settings: Arc<LiveSettings>,
        root_key: &[u8; 32],
    ) -> Result<Self, AuthError> {
        Ok(Self {
            store,
            audit,
            clock,
            cost: HashCost::default(),
            settings,
            totp_key: SealingKey::derive(root_key, "custos totp-secrets v1")
                .map_err(|_| AuthError::Crypto)?,
            passkeys: None,
            passkey_key: passkeys::sealing_key(root_key)?,
            networks: config.allowed_networks.clone(),
            device_roles: config.device_required_roles.clone(),
            throttle: Mutex::new(Throttle::new(
                THROTTLE_BURST,
                THROTTLE_PER_MINUTE,
                THROTTLE_MAX_SOURCES,
            )),
        })
    }

    /// The same service, with passkeys for `relying_party`.
    #[must_use]
    pub fn with_passkeys(self, relying_party: Option<RelyingParty>) -> Self {
        Self {
            passkeys: relying_party,
            ..self
        }
    }

    /// Session limits in force (they change with the settings).
    pub fn limits(&self) -> SessionLimits {
        let session = self.settings.get().session;
        SessionLimits {
            idle_secs: i64::try_from(session.idle_timeout.as_secs()).unwrap_or(i64::MAX),
            absolute_secs: i64::try_from(session.absolute_timeout.as_secs()).unwrap_or(i64::MAX),
            step_up_secs: STEP_UP_SECS,
        }
    }

    /// The account lockout in force (it changes with the settings).
    pub(crate) fn lockout(&self) -> LockoutPolicy {
        let lockout = self.settings.get().lockout;
        LockoutPolicy {
            threshold: lockout.threshold,
            duration_secs: i64::try_from(lockout.duration.as_secs()).unwrap_or(i64::MAX),
        }
    }

    fn now(&self) -> i64 {
        self.clock.unix_now().0
    }

    fn now_ms(&self) -> i64 {
        event_time_ms(self.clock.as_ref())
    }

    async fn hash(&self, password: SecretString) -> Result<PasswordHashString, AuthError> {
        let cost = self.cost;
        tokio::task::spawn_blocking(move || password::hash_password(&password, cost))
            .await
            .map_err(|_| AuthError::Crypto)?
            .map_err(|_| AuthError::Crypto)
    }

    async fn verify(
        &self,
        stored: Option<String>,
        candidate: SecretString,
    ) -> Result<Verification, AuthError> {
        let cost = self.cost;
        tokio::task::spawn_blocking(move || match stored {
            Some(hash) => password::verify_password(&PasswordHashString(hash), &candidate, cost),
            None => {
                password::verify_against_nothing(&candidate, cost);
                Verification::Mismatch
            }
        })
        .await
        .map_err(|_| AuthError::Crypto)
    }

    /// A new TOTP secret for `user`: sealed for the store, and its `otpauth://` URI
    /// to show the person once.
    fn new_authenticator(
        &self,
        user: Uuid,
        username: &str,
    ) -> Result<(Vec<u8>, SecretString), AuthError> {
        let secret = TotpSecret::generate().map_err(|_| AuthError::Crypto)?;
        let sealed = self
            .totp_key
            .seal(secret.bytes(), &totp_context(user))
            .map_err(|_| AuthError::Crypto)?;
        Ok((sealed, secret.otpauth_uri(TOTP_ISSUER, username)))
    }

    /// Creates a person with a password and an enrolled TOTP secret.
    pub async fn create_user(
        &self,
        actor: Actor,
        username: &str,
        role: Role,
        team: Option<String>,
        password: SecretString,
    ) -> Result<NewAccount, AuthError> {
        check_username(username)?;
        if !role.is_person() {
            return Err(AuthError::Invalid(format!(
                "`{role}` is a service role; use a service token"
            )));
        }
        password::check_policy(&password, username).map_err(AuthError::PasswordRejected)?;
        if self.store.user_by_name(username).await?.is_some() {
            return Err(AuthError::Conflict("an account with this username"));
        }
        let hash = self.hash(password).await?;
        let id = Uuid::new_v4();
        let (totp_sealed, totp_uri) = self.new_authenticator(id, username)?;
        let now = self.now();
        let user = UserRecord {
            id,
            username: username.to_owned(),
            role: role.as_str().to_owned(),
            team,
            supervisor_id: None,
            password_hash: hash.0,
            password_changed_at: now,
            totp_sealed: Some(totp_sealed),
            totp_last_step: None,
            failed_attempts: 0,
            locked_until: None,
            disabled_at: None,
            created_at: now,
            last_sign_in_at: None,
        };
        self.store.create_user(&user).await?;
        if let Err(e) = self
            .audit
            .record(events::account_created(self.now_ms(), actor, &user))
            .await
        {
            // Fail closed: an account whose creation is not on record must not work.
            let _ = self.store.disable_user(id, now).await;
            return Err(e.into());
        }
        if role == Role::Admin {
            // An administrator exists, however it was made: the setup link is retired.
            self.store
                .mark_setup_complete(custos_store::UnixTime(now))
                .await?;
        }
        let (recovery_codes, hashes) = recovery_codes::new_recovery_codes()?;
        self.store.set_recovery_codes(id, &hashes).await?;
        Ok(NewAccount {
            user,
            totp_uri,
            recovery_codes,
        })
    }

    /// Step one of a sign-in: the password. On success, the MFA step's token.
    pub async fn begin_sign_in(
        &self,
        username: &str,
        password: SecretString,
        device_token: Option<&str>,
        ip: Option<IpAddr>,
    ) -> Result<MfaChallenge, AuthError> {
        let ip_text = ip.map(|i| i.to_string());
        let ip_str = ip_text.as_deref();
        if let Some(source) = ip {
            let throttled = self
                .throttle
                .lock()
                .map_err(|_| AuthError::Crypto)?
                .check(&source, self.now_ms())
                .err();
            if let Some(retry_after) = throttled {
                self.audit
                    .record(events::password_attempt(
                        self.now_ms(),
                        events::anonymous(ip_str),
                        Outcome::Failure,
                        "throttled",
                    ))
                    .await?;
                return Err(AuthError::Throttled { retry_after });
            }
        }
        let user = self.store.user_by_name(username).await?;
        let rehash_source = password.clone();
        let verification = self
            .verify(user.as_ref().map(|u| u.password_hash.clone()), password)
            .await?;
        let Some(user) = user else {
            self.refuse_password(events::anonymous(ip_str), "invalid_credentials")
                .await?;
            return Err(AuthError::InvalidCredentials);
        };
        let actor = events::person(&user, None, ip_str);
        let now = self.now();
        if user.disabled_at.is_some() {
            self.refuse_password(actor, "account_disabled").await?;
            return Err(AuthError::InvalidCredentials);
        }
        if is_inactive(&user, now) {
            // Unused for 90 days (PCI DSS 8.2.6): disabled now, even if the sweep has not run.
            self.disable_for_inactivity(&user, now).await?;
            self.refuse_password(actor, "account_disabled").await?;
            return Err(AuthError::InvalidCredentials);
        }
        let state = LockState {
            failures: user.failed_attempts,
            locked_until: user.locked_until,
        };
        if self.lockout().is_locked(state, now) {
            // The right password does not open a locked account.
            self.refuse_password(actor, "account_locked").await?;
            return Err(AuthError::Locked {
                until: user.locked_until.unwrap_or(now),
            });
        }
        match verification {
            Verification::Mismatch => {
                self.record_failure(&user, state, actor, "invalid_credentials")
                    .await?;
                Err(AuthError::InvalidCredentials)
            }
            Verification::Match { .. } if !self.network_allowed(&user.role, ip) => {
                self.refuse_password(actor, "network_not_allowed").await?;
                Err(AuthError::NetworkNotAllowed)
            }
            Verification::Match { .. } if user.totp_sealed.is_none() => {
                // Reset by an officer: only the reset link signs this person in again.
                self.refuse_password(actor, "credentials_reset").await?;
                Err(AuthError::CredentialsReset)
            }
            Verification::Match { needs_rehash } => {
                let device = self.device_of(&user, device_token).await?;
                if device.is_none() && self.device_required(&user) {
                    self.refuse_password(actor, "device_not_enrolled").await?;
                    return Err(AuthError::DeviceRequired);
                }
                let actor = Actor {
                    device: device.as_ref().map(|d| d.id.to_string()),
                    ..actor
                };
                if needs_rehash {
                    // Parameters were raised since this hash was made: store a stronger
                    // hash of the same password. Best effort; the sign-in does not depend on it.
                    if let Ok(stronger) = self.hash(rehash_source).await {
                        let _ = self.store.rehash_password(user.id, &stronger.0).await;
                    }
                }
                let (token, hash) =
                    token::generate(TokenKind::MfaPending).map_err(|_| AuthError::Crypto)?;
                self.store
                    .create_mfa_challenge(
                        &hash.0,
                        user.id,
                        device.as_ref().map(|d| d.id),
                        now + MFA_CHALLENGE_SECS,
                    )
                    .await?;
                self.audit
                    .record(events::password_attempt(
                        self.now_ms(),
                        actor,
                        Outcome::Success,
                        "mfa_required",
                    ))
                    .await?;
                let mut methods = vec!["totp"];
                if self.passkeys.is_some() && self.store.has_passkey(user.id).await? {
                    methods.push("passkey");
                }
                if self.store.unused_recovery_codes(user.id).await? > 0 {
                    methods.push("recovery_code");
                }
                Ok(MfaChallenge { token, methods })
            }
        }
    }

    async fn record_failure(
        &self,
        user: &UserRecord,
        state: LockState,
        actor: Actor,
        status: &str,
    ) -> Result<(), AuthError> {
        let outcome = self.lockout().record_failure(state, self.now());
        self.store
            .set_sign_in_failures(user.id, outcome.state.failures, outcome.state.locked_until)
            .await?;
        self.audit
            .record(events::password_attempt(
                self.now_ms(),
                actor.clone(),
                Outcome::Failure,
                status,
            ))
            .await?;
        if outcome.locked_now {
            let until = outcome.state.locked_until.unwrap_or_default();
            self.audit
                .record(events::account_locked(
                    self.now_ms(),
                    Actor::system(),
                    user,
                    until,
                ))
                .await?;
        }
        Ok(())
    }

    /// Step two with a TOTP code. On success, a new session.
    pub async fn complete_totp(
        &self,
        mfa_token: &str,
        code: &str,
        ip: Option<IpAddr>,
    ) -> Result<NewSession, AuthError> {
        self.complete_mfa(mfa_token, SecondFactor::Totp(code), ip)
            .await
    }

    /// Step two with a recovery code (each works once). On success, a new session.
    pub async fn complete_recovery(
        &self,
        mfa_token: &str,
        code: &SecretString,
        ip: Option<IpAddr>,
    ) -> Result<NewSession, AuthError> {
        self.complete_mfa(mfa_token, SecondFactor::RecoveryCode(code), ip)
            .await
    }

    async fn complete_mfa(
        &self,
        mfa_token: &str,
        factor: SecondFactor<'_>,
        ip: Option<IpAddr>,
    ) -> Result<NewSession, AuthError> {
        let ip_text = ip.map(|i| i.to_string());
        let ip_str = ip_text.as_deref();
        let now = self.now();
        let token_hash = token::hash(mfa_token).0;
        let taken = if token::looks_like(TokenKind::MfaPending, mfa_token) {
            self.store.take_mfa_challenge(&token_hash, now).await?
        } else {
            None
        };
        let device_id = taken.and_then(|(_, device)| device);
        let Some(user) = (match taken {
            Some((id, _)) => self.store.user_by_id(id).await?,
            None => None,
        }) else {
            self.audit
                .record(events::mfa_attempt(
                    self.now_ms(),
                    events::anonymous(ip_str),
                    factor.method(),
                    Outcome::Failure,
                    "invalid_mfa_token",
                ))
                .await?;
            return Err(AuthError::InvalidMfa);
        };
        let actor = events::person(&user, None, ip_str);
        let state = LockState {
            failures: user.failed_attempts,
            locked_until: user.locked_until,
        };
        if user.disabled_at.is_some() || self.lockout().is_locked(state, now) {
            self.audit
                .record(events::mfa_attempt(
                    self.now_ms(),
                    actor,
                    factor.method(),
                    Outcome::Failure,
                    "account_unavailable",
                ))
                .await?;
            return Err(AuthError::InvalidMfa);
        }
        self.check_factor(
            &user,
            state,
            actor,
            factor,
            passkeys::CeremonyOwner::SignIn(&token_hash),
        )
        .await?;
        let (token, hash) = token::generate(TokenKind::Session).map_err(|_| AuthError::Crypto)?;
        let session = SessionRecord::signed_in(user.id, now, ip_text.clone(), device_id);
        self.store.create_session(&session, &hash.0).await?;
        if let Some(device) = device_id {
            self.store.touch_device(device, now).await?;
        }
        self.store.record_sign_in(user.id, now).await?;
        let recorded = self
            .audit
            .record(events::mfa_attempt(
                self.now_ms(),
                events::person(&user, Some(&session), ip_str),
                factor.method(),
                Outcome::Success,
                "signed_in",
            ))
            .await;
        if let Err(e) = recorded {
            let _ = self
                .store
                .end_session(session.id, now, "audit_unavailable")
                .await;
            return Err(e.into());
        }
        let expires_at = self.limits().expires_at(times(&session));
        Ok(NewSession {
            token,
            session,
            user,
            expires_at,
        })
    }

    /// Checks a second factor of `user`; a passkey against the ceremony of `owner`.
    async fn check_factor(
        &self,
        user: &UserRecord,
        state: LockState,
        actor: Actor,
        factor: SecondFactor<'_>,
        owner: passkeys::CeremonyOwner<'_>,
    ) -> Result<(), AuthError> {
        let now = self.now();
        match factor {
            SecondFactor::Totp(code) => self.check_totp(user, state, actor, code, now).await,
            SecondFactor::Passkey(answer) => {
                self.check_passkey(user, state, actor, owner, answer).await
            }
            SecondFactor::RecoveryCode(code) => {
                if self
                    .store
                    .use_recovery_code(user.id, &recovery::hash(code), now)
                    .await?
                {
                    Ok(())
                } else {
                    self.record_failure(user, state, actor, "invalid_recovery_code")
                        .await?;
                    Err(AuthError::InvalidMfa)
                }
            }
        }
    }

    /// Checks a TOTP code for `user` at `now`: each code once (atomic in the
    /// store), failures counted towards the lockout and recorded.
    async fn check_totp(
        &self,
        user: &UserRecord,
        state: LockState,
        actor: Actor,
        code: &str,
        now: i64,
    ) -> Result<(), AuthError> {
        let sealed = user.totp_sealed.as_deref().ok_or(AuthError::InvalidMfa)?;
        let secret_bytes = self
            .totp_key
            .open(sealed, &totp_context(user.id))
            .map_err(|_| AuthError::Crypto)?;
        let secret = TotpSecret::from_bytes(&secret_bytes).map_err(|_| AuthError::Crypto)?;
        let last_step = user.totp_last_step.and_then(|s| u64::try_from(s).ok());
        let step = match secret.verify(code, now, last_step) {
            Ok(step) => step,
            Err(rejection) => {
                let status = match rejection {
                    TotpRejection::Invalid => "invalid_code",
                    TotpRejection::Replayed => "replayed_code",
                };
                self.record_failure(user, state, actor, status).await?;
                return Err(match rejection {
                    TotpRejection::Invalid => AuthError::InvalidMfa,
                    TotpRejection::Replayed => AuthError::MfaReplayed,
                });
            }
        };
        // Atomic in the store: two requests with the same code cannot both pass.
        if !self
            .store
            .advance_totp_step(user.id, i64::try_from(step).unwrap_or(i64::MAX))
            .await?
        {
            self.record_failure(user, state, actor, "replayed_code")
                .await?;
            return Err(AuthError::MfaReplayed);
        }
        Ok(())
    }

    /// Whether the caller passed MFA recently enough for a sensitive action.
    pub fn mfa_fresh(&self, principal: &Principal) -> bool {
        match principal {
            Principal::Person(p) => self.limits().step_up_fresh(times(&p.session), self.now()),
            Principal::Service(_) => false,
        }
    }

    /// Step-up: a fresh TOTP code on an existing session, for sensitive actions.
    pub async fn step_up_totp(
        &self,
        person: &PersonPrincipal,
        code: &str,
        ip: Option<IpAddr>,
    ) -> Result<i64, AuthError> {
        self.step_up(person, SecondFactor::Totp(code), ip).await
    }

    /// Step-up with `factor`: the session's MFA time becomes now.
    async fn step_up(
        &self,
        person: &PersonPrincipal,
        factor: SecondFactor<'_>,
        ip: Option<IpAddr>,
    ) -> Result<i64, AuthError> {
        let now = self.now();
        let ip_text = ip.map(|i| i.to_string());
        let actor = events::person(&person.user, Some(&person.session), ip_text.as_deref());
        let user = self
            .store
            .user_by_id(person.user.id)
            .await?
            .ok_or(AuthError::Unauthenticated)?;
        let state = LockState {
            failures: user.failed_attempts,
            locked_until: user.locked_until,
        };
        self.check_factor(
            &user,
            state,
            actor.clone(),
            factor,
            passkeys::CeremonyOwner::StepUp(person.session.id),
        )
        .await?;
        self.store.set_session_mfa(person.session.id, now).await?;
        self.audit
            .record(events::mfa_attempt(
                self.now_ms(),
                actor,
                factor.method(),
                Outcome::Success,
                "step_up",
            ))
            .await?;
        Ok(now)
    }

    /// A person's live sessions.
    pub async fn live_sessions(&self, user: Uuid) -> Result<Vec<SessionRecord>, AuthError> {
        Ok(self.store.live_sessions(user).await?)
    }

    /// A session and its owner, by the session's public id.
    pub async fn session_with_owner(
        &self,
        id: Uuid,
    ) -> Result<(SessionRecord, UserRecord), AuthError> {
        let session = self
            .store
            .session_by_id(id)
            .await?
            .ok_or(AuthError::NotFound)?;
        let owner = self
            .store
            .user_by_id(session.user_id)
            .await?
            .ok_or(AuthError::NotFound)?;
        Ok((session, owner))
    }

    /// Ends `session` on behalf of `by` (its owner or a security officer).
    pub async fn end_session_for(
        &self,
        by: &Principal,
        session: &SessionRecord,
        ip: Option<IpAddr>,
    ) -> Result<bool, AuthError> {
        let reason = if by.id() == session.user_id.to_string() {
            "ended_by_owner"
        } else {
            "ended_by_officer"
        };
        let ended = self
            .store
            .end_session(session.id, self.now(), reason)
            .await?;
        if ended {
            let ip_text = ip.map(|i| i.to_string());
            self.audit
                .record(events::session_ended(
                    self.now_ms(),
                    by.actor(ip_text.as_deref()),
                    session,
                    reason,
                ))
                .await?;
        }
        Ok(ended)
    }

    /// A person by username.
    pub async fn user_named(&self, username: &str) -> Result<UserRecord, AuthError> {
        self.store
            .user_by_name(username)
            .await?
            .ok_or(AuthError::NotFound)
    }

    /// Lifts a lock (a security officer's decision).
    pub async fn unlock_user(&self, actor: Actor, user: &UserRecord) -> Result<(), AuthError> {
        self.store.unlock_user(user.id).await?;
        self.audit
            .record(events::account_unlocked(self.now_ms(), actor, user))
            .await?;
        Ok(())
    }

    /// Disables every account unused for [`INACTIVE_DAYS`] (PCI DSS 8.2.6): no sign-in
    /// since then, or never one since creation. Returns the accounts disabled.
    pub async fn disable_inactive(&self) -> Result<Vec<UserRecord>, AuthError> {
        let now = self.now();
        let mut disabled = Vec::new();
        for user in self.store.list_users().await? {
            if user.disabled_at.is_none()
                && is_inactive(&user, now)
                && self.disable_for_inactivity(&user, now).await?
            {
                disabled.push(user);
            }
        }
        Ok(disabled)
    }

    /// Whether `role` may work from `ip`; a restricted role with no known address is refused.
    fn network_allowed(&self, role: &str, ip: Option<IpAddr>) -> bool {
        let Some(networks) = role
            .parse::<Role>()
            .ok()
            .and_then(|r| self.networks.get(&r))
        else {
            return true;
        };
        ip.is_some_and(|ip| networks.iter().any(|net| net.contains(&ip)))
    }

    /// Records a refused password step.
    async fn refuse_password(&self, actor: Actor, status: &str) -> Result<(), AuthError> {
        self.audit
            .record(events::password_attempt(
                self.now_ms(),
                actor,
                Outcome::Failure,
                status,
            ))
            .await?;
        Ok(())
    }

    /// Disables an account unused for [`INACTIVE_DAYS`] (PCI DSS 8.2.6) and records
    /// it; false if it was already disabled.
    async fn disable_for_inactivity(&self, user: &UserRecord, now: i64) -> Result<bool, AuthError> {
        let sessions = self.store.live_sessions(user.id).await?.len();
        if !self.store.disable_user(user.id, now).await? {
            return Ok(false);
        }
        self.audit
            .record(
                events::account_disabled(self.now_ms(), Actor::system(), user, sessions)
                    .with_status_detail("inactive_90_days"),
            )
            .await?;
        Ok(true)
    }

    /// Who presents `token`: a live session or a valid service token.
    pub async fn authenticate(
        &self,
        token_text: &str,
        ip: Option<IpAddr>,
    ) -> Result<Principal, AuthError> {
        let now = self.now();
        if token::looks_like(TokenKind::Session, token_text) {
            let Some((session, user)) = self
                .store
                .session_by_token(&token::hash(token_text).0)
                .await?
            else {
                return Err(AuthError::Unauthenticated);
            };
            if user.disabled_at.is_some() {
                return Err(AuthError::Unauthenticated);
            }
            if !self.network_allowed(&user.role, ip) {
                let ip_text = ip.map(|i| i.to_string());
                self.audit
                    .record(events::access_denied(
                        self.now_ms(),
                        events::person(&user, Some(&session), ip_text.as_deref()),
                        "network",
                        "session",
                        Some(&session.id.to_string()),
                    ))
                    .await?;
                return Err(AuthError::NetworkNotAllowed);
            }
            let limits = self.limits();
            let reason = match limits.state(times(&session), now) {
                SessionState::Active => None,
                SessionState::IdleExpired => Some("idle_timeout"),
                SessionState::AbsoluteExpired => Some("absolute_timeout"),
            };
            if let Some(reason) = reason {
                if self.store.end_session(session.id, now, reason).await? {
                    let ip_text = ip.map(|i| i.to_string());
                    self.audit
                        .record(events::session_ended(
                            self.now_ms(),
                            events::person(&user, Some(&session), ip_text.as_deref()),
                            &session,
                            reason,
                        ))
                        .await?;
                }
                return Err(AuthError::Unauthenticated);
            }
            if now - session.last_seen >= TOUCH_EVERY_SECS {
                self.store.touch_session(session.id, now).await?;
            }
            let role = user
                .role
                .parse::<Role>()
                .map_err(|_| AuthError::Unauthenticated)?;
            let mut touched = session;
            touched.last_seen = touched.last_seen.max(now);
            let expires_at = limits.expires_at(times(&touched));
            return Ok(Principal::Person(Box::new(PersonPrincipal {
                role,
                user,
                session: touched,
                expires_at,
            })));
        }
        if token::looks_like(TokenKind::Service, token_text) {
            let Some(record) = self
                .store
                .service_token_by_hash(&token::hash(token_text).0)
                .await?
            else {
                return Err(AuthError::Unauthenticated);
            };
            if record.revoked_at.is_some() || now >= record.expires_at {
                return Err(AuthError::Unauthenticated);
            }
            let role = record
                .role
                .parse::<Role>()
                .map_err(|_| AuthError::Unauthenticated)?;
            if record
                .last_used_at
                .is_none_or(|t| now - t >= TOUCH_EVERY_SECS)
            {
                self.store.touch_service_token(record.id, now).await?;
            }
            return Ok(Principal::Service(ServicePrincipal {
                role,
                token: record,
            }));
        }
        Err(AuthError::Unauthenticated)
    }

    /// Ends the caller's session.
    pub async fn logout(
        &self,
        principal: &PersonPrincipal,
        ip: Option<IpAddr>,
    ) -> Result<(), AuthError> {
        let now = self.now();
        if self
            .store
            .end_session(principal.session.id, now, "logout")
            .await?
        {
            let ip_text = ip.map(|i| i.to_string());
            self.audit
                .record(events::session_ended(
                    self.now_ms(),
                    events::person(
                        &principal.user,
                        Some(&principal.session),
                        ip_text.as_deref(),
                    ),
                    &principal.session,
                    "logout",
                ))
                .await?;
        }
        Ok(())
    }

    /// Disables a person: every session and pending sign-in ends at once.
    pub async fn disable_user(
        &self,
        actor: Actor,
        username: &str,
    ) -> Result<UserRecord, AuthError> {
        let user = self
            .store
            .user_by_name(username)
            .await?
            .ok_or(AuthError::NotFound)?;
        let sessions = self.store.live_sessions(user.id).await?.len();
        self.store.disable_user(user.id, self.now()).await?;
        self.audit
            .record(events::account_disabled(
                self.now_ms(),
                actor,
                &user,
                sessions,
            ))
            .await?;
        Ok(user)
    }

    /// Records that `principal` was refused `action` on a resource.
    pub async fn record_denial(
        &self,
        principal: &Principal,
        ip: Option<IpAddr>,
        action: &str,
        kind: &str,
        id: Option<&str>,
    ) -> Result<(), AuthError> {
        let ip_text = ip.map(|i| i.to_string());
        self.audit
            .record(events::access_denied(
                self.now_ms(),
                principal.actor(ip_text.as_deref()),
                action,
                kind,
                id,
            ))
            .await?;
        Ok(())
    }
}

/// No sign-in for [`INACTIVE_DAYS`], counting from creation for accounts never used.
fn is_inactive(user: &UserRecord, now: i64) -> bool {
    let last_use = user.last_sign_in_at.unwrap_or(user.created_at);
    now - last_use >= INACTIVE_DAYS * 86_400
}

fn times(session: &SessionRecord) -> SessionTimes {
    SessionTimes {
        created: session.created_at,
        last_seen: session.last_seen,
        mfa_at: session.mfa_at,
    }
}
