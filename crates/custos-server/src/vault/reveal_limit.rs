//! Reveals per person in a sliding window (default: 60 an hour). Memory is
//! bounded: at most `limit` timestamps per person, and people idle for a whole
//! window are forgotten when the table grows.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// When the table holds this many people, those idle for a window are dropped.
const PRUNE_AT: usize = 10_000;

/// A sliding-window limiter keyed by person id.
#[derive(Debug)]
pub struct RevealLimiter {
    limit: usize,
    window_ms: i64,
    seen: Mutex<HashMap<String, VecDeque<i64>>>,
}

impl RevealLimiter {
    /// At most `limit` reveals per `window_ms`.
    pub fn new(limit: u32, window_ms: i64) -> Self {
        Self {
            limit: usize::try_from(limit.max(1)).unwrap_or(usize::MAX),
            window_ms,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one reveal for `who` at `now_ms`; `Err(seconds to wait)` when over the limit.
    pub fn check(&self, who: &str, now_ms: i64) -> Result<(), u64> {
        let mut seen = self
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if seen.len() >= PRUNE_AT {
            let window = self.window_ms;
            seen.retain(|_, times| times.back().is_some_and(|t| now_ms - t < window));
        }
        let times = seen.entry(who.to_owned()).or_default();
        while times.front().is_some_and(|t| now_ms - t >= self.window_ms) {
            times.pop_front();
        }
        if times.len() >= self.limit {
            let oldest = times.front().copied().unwrap_or(now_ms);
            let wait_ms = (oldest + self.window_ms - now_ms).max(1000);
            return Err(u64::try_from(wait_ms / 1000).unwrap_or(1));
        }
        times.push_back(now_ms);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_the_limit_per_window_per_person() {
        let limiter = RevealLimiter::new(3, 60_000);
        for t in [0, 10, 20] {
            assert!(limiter.check("a", t).is_ok());
        }
        assert_eq!(limiter.check("a", 30), Err(59));
        assert!(limiter.check("b", 30).is_ok(), "per person");
        assert!(
            limiter.check("a", 60_000).is_ok(),
            "the first left the window"
        );
    }
}
