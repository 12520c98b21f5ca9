//! Session lifetimes: a session ends after `idle` without use (PCI DSS 8.2.8:
//! 15 minutes) or `absolute` after sign-in, whichever comes first. Sensitive
//! actions (reveal, export, administration) also need an MFA within the step-up
//! window.

/// Limits, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    /// Idle timeout.
    pub idle_secs: i64,
    /// Absolute lifetime.
    pub absolute_secs: i64,
    /// How recent an MFA must be for a sensitive action.
    pub step_up_secs: i64,
}

/// When a session began, was last used, and last passed MFA (Unix seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionTimes {
    /// Sign-in completed.
    pub created: i64,
    /// Last request.
    pub last_seen: i64,
    /// Last MFA (sign-in or step-up).
    pub mfa_at: i64,
}

/// Whether a session may be used at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    /// Usable.
    Active,
    /// Unused for longer than the idle timeout.
    IdleExpired,
    /// Older than the absolute lifetime.
    AbsoluteExpired,
}

impl SessionLimits {
    /// The state of a session at `now`.
    pub fn state(&self, times: SessionTimes, now: i64) -> SessionState {
        if now >= times.created.saturating_add(self.absolute_secs) {
            SessionState::AbsoluteExpired
        } else if now >= times.last_seen.saturating_add(self.idle_secs) {
            SessionState::IdleExpired
        } else {
            SessionState::Active
        }
    }

    /// When the session ends if it is not used again.
    pub fn expires_at(&self, times: SessionTimes) -> i64 {
        times
            .last_seen
            .saturating_add(self.idle_secs)
            .min(times.created.saturating_add(self.absolute_secs))
    }

    /// Whether the last MFA is recent enough for a sensitive action.
    pub fn step_up_fresh(&self, times: SessionTimes, now: i64) -> bool {
        now < times.mfa_at.saturating_add(self.step_up_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: SessionLimits = SessionLimits {
        idle_secs: 900,
        absolute_secs: 43_200,
        step_up_secs: 900,
    };

    #[test]
    fn idle_and_absolute_expiry() {
        let t = SessionTimes {
            created: 1000,
            last_seen: 1000,
            mfa_at: 1000,
        };
        assert_eq!(LIMITS.state(t, 1899), SessionState::Active);
        assert_eq!(LIMITS.state(t, 1900), SessionState::IdleExpired);
        let busy = SessionTimes {
            last_seen: 1000 + 43_000,
            ..t
        };
        assert_eq!(LIMITS.state(busy, 1000 + 43_199), SessionState::Active);
        assert_eq!(
            LIMITS.state(busy, 1000 + 43_200),
            SessionState::AbsoluteExpired
        );
        assert_eq!(LIMITS.expires_at(busy), 1000 + 43_200);
        assert_eq!(LIMITS.expires_at(t), 1900);
    }

    #[test]
    fn step_up_window() {
        let t = SessionTimes {
            created: 0,
            last_seen: 0,
            mfa_at: 100,
        };
        assert!(LIMITS.step_up_fresh(t, 999));
        assert!(!LIMITS.step_up_fresh(t, 1000));
    }
}
