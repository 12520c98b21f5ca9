//! A person changes their own password: the current one must be right (a wrong one
//! counts toward the lockout like a failed sign-in), the new one must pass the
//! policy and be none of the last four (PCI DSS 8.3.7: the current one and the
//! three before it), and every other session of theirs ends. Audited either way.

use custos_audit::{Activity, AuditEvent, Outcome};
use custos_auth::lockout::LockState;
use custos_auth::password::{self, PasswordHashString, PasswordRejection, Verification};
use custos_store::{AccountStore as _, UserRecord};
use secrecy::SecretString;

use super::{AuthError, AuthService, PersonPrincipal, events};

/// Earlier passwords checked besides the current one (four in all).
const EARLIER: u32 = password::HISTORY as u32 - 1;

impl AuthService {
    /// Whether `new` is `user`'s current password or one of the three before it.
    pub(super) async fn is_recent_password(
        &self,
        user: &UserRecord,
        new: &SecretString,
    ) -> Result<bool, AuthError> {
        let mut recent = vec![PasswordHashString(user.password_hash.clone())];
        recent.extend(
            self.store
                .password_history(user.id, EARLIER)
                .await?
                .into_iter()
                .map(PasswordHashString),
        );
        let cost = self.cost;
        let candidate = new.clone();
        tokio::task::spawn_blocking(move || password::is_reuse(&recent, &candidate, cost))
            .await
            .map_err(|_| AuthError::Crypto)
    }

    /// Changes the signed-in person's password; returns how many other sessions ended.
    pub async fn change_password(
        &self,
        person: &PersonPrincipal,
        current: SecretString,
        new: SecretString,
        ip: Option<std::net::IpAddr>,
    ) -> Result<usize, AuthError> {
        let ip_text = ip.map(|i| i.to_string());
        let actor = events::person(&person.user, Some(&person.session), ip_text.as_deref());
        // The stored row, not the session's copy: the hash may have changed since sign-in.
        let user = self
            .store
            .user_by_id(person.user.id)
            .await?
            .ok_or(AuthError::Unauthenticated)?;
        let state = LockState {
            failures: user.failed_attempts,
            locked_until: user.locked_until,
        };
        if self.lockout().is_locked(state, self.now()) {
            return Err(AuthError::Locked {
                until: user.locked_until.unwrap_or_default(),
            });
        }
        let refuse = |status: &str| {
            AuditEvent::new(
                self.now_ms(),
                Activity::PasswordChange,
                "account.password_change",
                Outcome::Failure,
                actor.clone(),
                "Password change refused",
            )
            .with_target("user", Some(&user.id.to_string()), None)
            .with_status_detail(status)
        };
        match self
            .verify(Some(user.password_hash.clone()), current)
            .await?
        {
            Verification::Mismatch => {
                self.record_failure(&user, state, actor.clone(), "invalid_credentials")
                    .await?;
                return Err(AuthError::InvalidCredentials);
            }
            Verification::Match { .. } => {}
        }
        if let Err(rejection) = password::check_policy(&new, &user.username) {
            self.audit.record(refuse("weak_password")).await?;
            return Err(AuthError::PasswordRejected(rejection));
        }
        if self.is_recent_password(&user, &new).await? {
            self.audit.record(refuse("password_reused")).await?;
            return Err(AuthError::PasswordRejected(PasswordRejection::Reused));
        }
        let hash = self.hash(new).await?;
        let now = self.now();
        self.store.set_password(user.id, &hash.0, now).await?;
        let mut ended = 0;
        for session in self.store.live_sessions(user.id).await? {
            if session.id != person.session.id
                && self
                    .store
                    .end_session(session.id, now, "password_changed")
                    .await?
            {
                ended += 1;
            }
        }
        self.audit
            .record(
                AuditEvent::new(
                    self.now_ms(),
                    Activity::PasswordChange,
                    "account.password_change",
                    Outcome::Success,
                    actor,
                    "Password changed",
                )
                .with_target("user", Some(&user.id.to_string()), None)
                .with_detail("other_sessions_ended", &ended.to_string()),
            )
            .await?;
        Ok(ended)
    }
}
