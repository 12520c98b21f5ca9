//! The audit events of sign-in and account management. Usernames are recorded
//! only for accounts that exist: a username field sometimes receives a password
//! typed in the wrong box, so unknown names are never written down.

use custos_audit::{Activity, Actor, ActorKind, AuditEvent, Outcome};
use custos_store::{ServiceTokenRecord, SessionRecord, UserRecord};

/// The actor for a known person.
pub fn person(user: &UserRecord, session: Option<&SessionRecord>, ip: Option<&str>) -> Actor {
    Actor {
        kind: ActorKind::Person,
        name: Some(user.username.clone()),
        uid: Some(user.id.to_string()),
        role: Some(user.role.clone()),
        session: session.map(|s| s.id.to_string()),
        device: session.and_then(|s| s.device_id).map(|d| d.to_string()),
        ip: ip.map(str::to_owned),
    }
}

/// The actor for someone not (yet) identified.
pub fn anonymous(ip: Option<&str>) -> Actor {
    Actor {
        kind: ActorKind::Anonymous,
        name: None,
        uid: None,
        role: None,
        session: None,
        device: None,
        ip: ip.map(str::to_owned),
    }
}

/// A password step of a sign-in.
pub fn password_attempt(time_ms: i64, actor: Actor, outcome: Outcome, status: &str) -> AuditEvent {
    AuditEvent::new(
        time_ms,
        Activity::Logon,
        "auth.password",
        outcome,
        actor,
        "Sign-in: password step",
    )
    .with_target("session", None, None)
    .with_status_detail(status)
}

/// A second-factor step of a sign-in; on success the session it opened.
pub fn mfa_attempt(
    time_ms: i64,
    actor: Actor,
    method: &str,
    outcome: Outcome,
    status: &str,
) -> AuditEvent {
    AuditEvent::new(
        time_ms,
        Activity::MfaCheck,
        "auth.mfa",
        outcome,
        actor,
        "Sign-in: second factor",
    )
    .with_target("session", None, None)
    .with_status_detail(status)
    .with_detail("method", method)
}

/// A session ended (sign-out, timeout, disable).
pub fn session_ended(
    time_ms: i64,
    actor: Actor,
    session: &SessionRecord,
    reason: &str,
) -> AuditEvent {
    AuditEvent::new(
        time_ms,
        Activity::Logoff,
        "auth.session_end",
        Outcome::Success,
        actor,
        "Session ended",
    )
    .with_target("session", Some(&session.id.to_string()), None)
    .with_status_detail(reason)
}

/// An account was locked after repeated failures.
pub fn account_locked(time_ms: i64, actor: Actor, user: &UserRecord, until: i64) -> AuditEvent {
    AuditEvent::new(
        time_ms,
        Activity::AccountLock,
        "account.lock",
        Outcome::Success,
        actor,
        "Account locked after repeated failures",
    )
    .with_target("user", Some(&user.id.to_string()), None)
    .with_detail("locked_until", &until.to_string())
}

/// An account was created.
pub fn account_created(time_ms: i64, actor: Actor, user: &UserRecord) -> AuditEvent {
    AuditEvent::new(
        time_ms,
        Activity::AccountCreate,
        "account.create",
        Outcome::Success,
        actor,
        "Account created",
    )
    .with_target("user", Some(&user.id.to_string()), None)
    .with_detail("username", &user.username)
    .with_detail("role", &user.role)
}

/// An account was disabled; its sessions ended with it.
pub fn account_disabled(
    time_ms: i64,
    actor: Actor,
    user: &UserRecord,
    sessions_ended: usize,
) -> AuditEvent {
    AuditEvent::new(
        time_ms,
        Activity::AccountDisable,
        "account.disable",
        Outcome::Success,
        actor,
        "Account disabled",
    )
    .with_target("user", Some(&user.id.to_string()), None)
    .with_detail("username", &user.username)
    .with_detail("sessions_ended", &sessions_ended.to_string())
}

/// A service token was created.
pub fn service_token_created(
    time_ms: i64,
    actor: Actor,
    name: &str,
    role: &str,
    id: &str,
) -> AuditEvent {
    AuditEvent::new(
        time_ms,
        Activity::EntityCreate,
        "token.create",
        Outcome::Success,
        actor,
        "Service token created",
    )
    .with_target("service_token", Some(id), None)
    .with_detail("name", name)
    .with_detail("role", role)
}

/// A service token was revoked.
pub fn service_token_revoked(time_ms: i64, actor: Actor, token: &ServiceTokenRecord) -> AuditEvent {
    AuditEvent::new(
        time_ms,
        Activity::EntityDelete,
        "token.revoke",
        Outcome::Success,
        actor,
        "Service token revoked",
    )
    .with_target("service_token", Some(&token.id.to_string()), None)
    .with_detail("name", &token.name)
    .with_detail("role", &token.role)
}

/// An authenticated request was refused by policy.
pub fn access_denied(
    time_ms: i64,
    actor: Actor,
    action: &str,
    resource_kind: &str,
    resource_id: Option<&str>,
) -> AuditEvent {
    AuditEvent::new(
        time_ms,
        Activity::ApiRead,
        "access.denied",
        Outcome::Failure,
        actor,
        "Access refused by policy",
    )
    .with_target(resource_kind, resource_id, None)
    .with_status_detail("policy_denied")
    .with_detail("action", action)
}

/// A security officer lifted a lock.
pub fn account_unlocked(time_ms: i64, actor: Actor, user: &UserRecord) -> AuditEvent {
    AuditEvent::new(
        time_ms,
        Activity::AccountUnlock,
        "account.unlock",
        Outcome::Success,
        actor,
        "Account unlocked",
    )
    .with_target("user", Some(&user.id.to_string()), None)
    .with_detail("username", &user.username)
}
