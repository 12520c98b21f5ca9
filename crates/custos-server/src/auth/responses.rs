//! What automatic responses to a detection do to an account: lock it, end its
//! sessions, or ask its sessions for a fresh second factor before anything
//! sensitive; and the work shift detection compares activity with. Each is audited with the rule that caused it (OCSF Remediation is
//! recorded by the caller as well).

use custos_audit::Actor;
use custos_store::{AccountStore as _, UserRecord};

use super::{AuthError, AuthService, events};

impl AuthService {
    /// Locks `user` until `until` (Unix seconds); a security officer can unlock.
    pub async fn lock_user(
        &self,
        actor: Actor,
        user: &UserRecord,
        until: i64,
        rule: &str,
    ) -> Result<(), AuthError> {
        self.store
            .set_sign_in_failures(user.id, user.failed_attempts, Some(until))
            .await?;
        self.audit
            .record(
                events::account_locked(self.now_ms(), actor, user, until)
                    .with_status_detail("detection")
                    .with_detail("rule", rule),
            )
            .await?;
        Ok(())
    }

    /// Ends every live session of `user`; returns how many ended.
    pub async fn end_sessions_of(
        &self,
        actor: Actor,
        user: &UserRecord,
        rule: &str,
    ) -> Result<usize, AuthError> {
        let mut ended = 0;
        for session in self.store.live_sessions(user.id).await? {
            if self
                .store
                .end_session(session.id, self.now(), "ended_by_detection")
                .await?
            {
                ended += 1;
                self.audit
                    .record(
                        events::session_ended(
                            self.now_ms(),
                            actor.clone(),
                            &session,
                            "ended_by_detection",
                        )
                        .with_detail("rule", rule),
                    )
                    .await?;
            }
        }
        Ok(ended)
    }

    /// Sets or clears `user`'s work shift (minutes of the UTC day); audited.
    pub async fn set_shift(
        &self,
        actor: Actor,
        user: &UserRecord,
        shift: Option<(u16, u16)>,
    ) -> Result<(), AuthError> {
        self.store.set_user_shift(user.id, shift).await?;
        let hhmm = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
        let described = shift.map_or_else(
            || "none".to_owned(),
            |(start, end)| format!("{}-{}", hhmm(start), hhmm(end)),
        );
        self.audit
            .record(
                custos_audit::AuditEvent::new(
                    self.now_ms(),
                    custos_audit::Activity::ApiUpdate,
                    "account.shift",
                    custos_audit::Outcome::Success,
                    actor,
                    "Work shift set",
                )
                .with_target("user", Some(&user.id.to_string()), None)
                .with_detail("shift", &described),
            )
            .await?;
        Ok(())
    }

    /// Makes every live session of `user` prove a fresh second factor before the
    /// next sensitive action (their last MFA is set to the epoch).
    pub async fn require_step_up_of(&self, user: &UserRecord) -> Result<usize, AuthError> {
        let sessions = self.store.live_sessions(user.id).await?;
        for session in &sessions {
            self.store.set_session_mfa(session.id, 0).await?;
        }
        Ok(sessions.len())
    }
}
