//! Enrolled devices. A security officer or administrator issues a single-use
//! enrolment code for a person (valid 24 hours, shown once, stored as SHA-256);
//! the person's device redeems it and receives a device token (`cus_d_…`, stored as
//! SHA-256) that it shows at every sign-in. Roles in `auth.device_required_roles`
//! sign in only with one. Sessions remember their device; revoking the device ends
//! them at once. Every step is audited.

use std::net::IpAddr;

use custos_audit::{Activity, Actor, AuditEvent, Outcome};
use custos_auth::token::{self, TokenKind};
use custos_store::{AccountStore, DeviceRecord, UserRecord};
use secrecy::SecretString;
use uuid::Uuid;

use super::{AuthError, AuthService, events};

/// How long an enrolment code stays valid.
pub const DEVICE_CODE_SECS: i64 = 24 * 3600;

fn device_event(
    time_ms: i64,
    actor: Actor,
    action: &str,
    outcome: Outcome,
    message: &str,
    device: Option<&DeviceRecord>,
    owner: &UserRecord,
) -> AuditEvent {
    AuditEvent::new(
        time_ms,
        Activity::AccountEnable,
        action,
        outcome,
        actor,
        message,
    )
    .with_target("device", device.map(|d| d.id.to_string()).as_deref(), None)
    .with_detail("owner", &owner.username)
}

impl AuthService {
    /// Whether `user`'s role signs in only from an enrolled device.
    pub(super) fn device_required(&self, user: &UserRecord) -> bool {
        user.role
            .parse()
            .is_ok_and(|role| self.device_roles.contains(&role))
    }

    /// The live device of `user` that `device_token` names, if any.
    pub(super) async fn device_of(
        &self,
        user: &UserRecord,
        device_token: Option<&str>,
    ) -> Result<Option<DeviceRecord>, AuthError> {
        let Some(text) = device_token.filter(|t| token::looks_like(TokenKind::Device, t)) else {
            return Ok(None);
        };
        Ok(self
            .store
            .device_by_token(&token::hash(text).0)
            .await?
            .filter(|d| d.user_id == user.id))
    }

    /// Issues a single-use enrolment code for `user`; the code is shown once.
    pub async fn issue_device_code(
        &self,
        actor: Actor,
        user: &UserRecord,
    ) -> Result<(SecretString, i64), AuthError> {
        if user.disabled_at.is_some() {
            return Err(AuthError::Invalid("the account is disabled".to_owned()));
        }
        let (code, hash) = token::generate(TokenKind::DeviceCode).map_err(|_| AuthError::Crypto)?;
        let now = self.now();
        let expires_at = now + DEVICE_CODE_SECS;
        let by = actor.uid.clone().unwrap_or_default();
        self.store
            .create_device_code(&hash.0, user.id, &by, now, expires_at)
            .await?;
        self.audit
            .record(device_event(
                self.now_ms(),
                actor,
                "device.code_issue",
                Outcome::Success,
                "Device enrolment code issued",
                None,
                user,
            ))
            .await?;
        Ok((code, expires_at))
    }

    /// Enrols a device with a code issued for `username`: returns the device token,
    /// shown once. A wrong, used or expired code gets one answer, and counts against
    /// the address's sign-in budget.
    pub async fn enrol_device(
        &self,
        username: &str,
        code: &str,
        name: &str,
        ip: Option<IpAddr>,
    ) -> Result<(SecretString, DeviceRecord), AuthError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
            return Err(AuthError::Invalid(
                "name the device in 1 to 64 characters".to_owned(),
            ));
        }
        let ip_text = ip.map(|i| i.to_string());
        if let Some(source) = ip
            && let Err(retry_after) = self
                .throttle
                .lock()
                .map_err(|_| AuthError::Crypto)?
                .check(&source, self.now_ms())
        {
            return Err(AuthError::Throttled { retry_after });
        }
        let user = self.store.user_by_name(username).await?;
        let now = self.now();
        let redeemed = match (&user, token::looks_like(TokenKind::DeviceCode, code)) {
            // Spent only if it is this person's: a wrong username does not burn a code.
            (Some(user), true) if user.disabled_at.is_none() => {
                self.store
                    .take_device_code(&token::hash(code).0, user.id, now)
                    .await?
            }
            _ => false,
        };
        let Some(user) = user.filter(|_| redeemed) else {
            self.audit
                .record(
                    AuditEvent::new(
                        self.now_ms(),
                        Activity::AccountEnable,
                        "device.enrol",
                        Outcome::Failure,
                        events::anonymous(ip_text.as_deref()),
                        "Device enrolment refused",
                    )
                    .with_target("device", None, None)
                    .with_status_detail("invalid_code"),
                )
                .await?;
            return Err(AuthError::Invalid(
                "the enrolment code is wrong, used or expired".to_owned(),
            ));
        };
        let (device_token, hash) =
            token::generate(TokenKind::Device).map_err(|_| AuthError::Crypto)?;
        let device = DeviceRecord {
            id: Uuid::new_v4(),
            user_id: user.id,
            name: name.to_owned(),
            created_at: now,
            last_seen_at: None,
            revoked_at: None,
        };
        self.store.create_device(&device, &hash.0).await?;
        let actor = Actor {
            device: Some(device.id.to_string()),
            ..events::person(&user, None, ip_text.as_deref())
        };
        self.audit
            .record(device_event(
                self.now_ms(),
                actor,
                "device.enrol",
                Outcome::Success,
                "Device enrolled",
                Some(&device),
                &user,
            ))
            .await?;
        Ok((device_token, device))
    }

    /// A person's devices.
    pub async fn devices_of(&self, user: &UserRecord) -> Result<Vec<DeviceRecord>, AuthError> {
        Ok(self.store.devices_of(user.id).await?)
    }

    /// A device and its owner.
    pub async fn device(&self, id: Uuid) -> Result<(DeviceRecord, UserRecord), AuthError> {
        let device = self
            .store
            .device_by_id(id)
            .await?
            .ok_or(AuthError::NotFound)?;
        let owner = self
            .store
            .user_by_id(device.user_id)
            .await?
            .ok_or(AuthError::NotFound)?;
        Ok((device, owner))
    }

    /// Revokes a device: it no longer counts at sign-in and its sessions end now.
    pub async fn revoke_device(
        &self,
        actor: Actor,
        device: &DeviceRecord,
        owner: &UserRecord,
    ) -> Result<(), AuthError> {
        if !self.store.revoke_device(device.id, self.now()).await? {
            return Err(AuthError::Invalid(
                "the device is already revoked".to_owned(),
            ));
        }
        self.audit
            .record(device_event(
                self.now_ms(),
                actor,
                "device.revoke",
                Outcome::Success,
                "Device revoked; its sessions ended",
                Some(device),
                owner,
            ))
            .await?;
        Ok(())
    }
}
