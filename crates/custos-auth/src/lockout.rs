//! Account lockout (PCI DSS 8.3.4): after `threshold` consecutive failures the
//! account is locked for `duration_secs`, or until a security officer unlocks it.
//! While locked, even the right password is refused. A success resets the count.

/// The policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Consecutive failures that lock.
    pub threshold: u32,
    /// Lock duration.
    pub duration_secs: i64,
}

/// An account's failure count and lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LockState {
    /// Consecutive failures since the last success or unlock.
    pub failures: u32,
    /// Locked until this Unix time.
    pub locked_until: Option<i64>,
}

/// What a failure did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureOutcome {
    /// The new state to store.
    pub state: LockState,
    /// This failure locked the account.
    pub locked_now: bool,
}

impl LockoutPolicy {
    /// Whether the account is locked at `now`.
    pub fn is_locked(&self, state: LockState, now: i64) -> bool {
        state.locked_until.is_some_and(|until| now < until)
    }

    /// Records a failed attempt at `now`.
    pub fn record_failure(&self, state: LockState, now: i64) -> FailureOutcome {
        if self.is_locked(state, now) {
            return FailureOutcome {
                state,
                locked_now: false,
            };
        }
        // A lock that has run out starts a fresh count.
        let failures = if state.locked_until.is_some() {
            1
        } else {
            state.failures.saturating_add(1)
        };
        if failures >= self.threshold {
            FailureOutcome {
                state: LockState {
                    failures,
                    locked_until: Some(now.saturating_add(self.duration_secs)),
                },
                locked_now: true,
            }
        } else {
            FailureOutcome {
                state: LockState {
                    failures,
                    locked_until: None,
                },
                locked_now: false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PCI: LockoutPolicy = LockoutPolicy {
        threshold: 10,
        duration_secs: 1800,
    };

    #[test]
    fn locks_at_the_threshold_for_the_duration() {
        let mut state = LockState::default();
        for i in 1..10 {
            let out = PCI.record_failure(state, 100 + i);
            assert!(!out.locked_now);
            state = out.state;
        }
        let out = PCI.record_failure(state, 200);
        assert!(out.locked_now);
        assert!(PCI.is_locked(out.state, 200));
        assert!(PCI.is_locked(out.state, 1999));
        assert!(!PCI.is_locked(out.state, 2000));
        // Failures while locked do not extend or reset the lock.
        assert_eq!(PCI.record_failure(out.state, 500).state, out.state);
        // After it runs out, counting starts again.
        assert_eq!(
            PCI.record_failure(out.state, 2000).state,
            LockState {
                failures: 1,
                locked_until: None
            }
        );
    }
}
