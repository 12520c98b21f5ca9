//! What a detection's automatic responses, or a security officer, do to an
//! account: lock it, end its sessions, or ask its sessions for a fresh second
//! factor before anything sensitive; and the work shift detection compares
//! activity with. Each is audited with its cause: the rule that fired (OCSF
//! Remediation is recorded by the caller as well) or the officer's decision.

use custos_audit::Actor;
use custos_store::{AccountStore as _, UserRecord};

use super::{AuthError, AuthService, events};

/// Why an account is acted on outside its own sign-in.
#[derive(Debug, Clone, Copy)]
pub enum Because<'a> {
    /// A detection rule fired (its id).
    Rule(&'a str),
    /// A security officer or administrator decided (the actor says who).
    Officer,
}

impl Because<'_> {
    /// The status detail of a lock's audit event.
    fn detail(self) -> &'static str {
        match self {
            Because::Rule(_) => "detection",
            Because::Officer => "officer",
        }
    }

    /// Names the rule, if a rule caused it.
    fn annotate(self, event: custos_audit::AuditEvent) -> custos_audit::AuditEvent {
        match self {
            Because::Rule(rule) => event.with_detail("rule", rule),
            Because::Officer => event,
        }
    }
}

impl AuthService {
    /// Locks `user` until `until` (Unix seconds); a security officer can unlock.
    pub async fn lock_user(
        &self,
        actor: Actor,
        user: &UserRecord,
        until: i64,
        because: Because<'_>,
    ) -> Result<(), AuthError> {
        self.store
            .set_sign_in_failures(user.id, user.failed_attempts, Some(until))
            .await?;
        let mut event = events::account_locked(self.now_ms(), actor, user, until);
        event.message = match because {
            Because::Rule(_) => "Account locked by a detection response",
            Because::Officer => "Account locked by a security officer",
        }
        .to_owned();
        let event = event.with_status_detail(because.detail());
        self.audit.record(because.annotate(event)).await?;
        Ok(())
    }

    /// Ends every live session of `user`; returns how many ended.
    pub async fn end_sessions_of(
        &self,
        actor: Actor,
        user: &UserRecord,
        because: Because<'_>,
    ) -> Result<usize, AuthError> {
        let reason = match because {
            Because::Rule(_) => "ended_by_detection",
            Because::Officer => "ended_by_officer",
        };
        let mut ended = 0;
        for session in self.store.live_sessions(user.id).await? {
            if self
                .store
                .end_session(session.id, self.now(), reason)
                .await?
            {
                ended += 1;
                let event = events::session_ended(self.now_ms(), actor.clone(), &session, reason);
                self.audit.record(because.annotate(event)).await?;
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
