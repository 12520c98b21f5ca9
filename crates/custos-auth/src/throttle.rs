//! Per-source throttling of sign-in attempts: a token bucket per key (an IP
//! address or network), refilled at a steady rate. Memory is bounded: when the
//! table is full, the buckets that have refilled completely are dropped first.

use std::collections::HashMap;
use std::hash::Hash;

/// A token-bucket limiter keyed by `K`.
#[derive(Debug)]
pub struct Throttle<K> {
    burst: f64,
    per_sec: f64,
    max_keys: usize,
    buckets: HashMap<K, Bucket>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at_ms: i64,
}

impl<K: Hash + Eq + Clone> Throttle<K> {
    /// `burst` attempts at once, then `per_minute` on average; at most `max_keys` tracked.
    pub fn new(burst: u32, per_minute: u32, max_keys: usize) -> Self {
        Self {
            burst: f64::from(burst.max(1)),
            per_sec: f64::from(per_minute.max(1)) / 60.0,
            max_keys: max_keys.max(1),
            buckets: HashMap::new(),
        }
    }

    /// Takes one attempt for `key` at `now_ms`. `Err(retry_after_secs)` when throttled.
    pub fn check(&mut self, key: &K, now_ms: i64) -> Result<(), u64> {
        if self.buckets.len() >= self.max_keys && !self.buckets.contains_key(key) {
            self.evict(now_ms);
        }
        let (burst, per_sec) = (self.burst, self.per_sec);
        let bucket = self.buckets.entry(key.clone()).or_insert(Bucket {
            tokens: burst,
            at_ms: now_ms,
        });
        let elapsed = (now_ms - bucket.at_ms).max(0) as f64 / 1000.0;
        bucket.tokens = (bucket.tokens + elapsed * per_sec).min(burst);
        bucket.at_ms = now_ms;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - bucket.tokens) / per_sec).ceil() as u64)
        }
    }

    fn evict(&mut self, now_ms: i64) {
        let (burst, per_sec) = (self.burst, self.per_sec);
        self.buckets
            .retain(|_, b| b.tokens + (now_ms - b.at_ms).max(0) as f64 / 1000.0 * per_sec < burst);
        if self.buckets.len() >= self.max_keys {
            // Everything is busy: forget the stalest half rather than grow without bound.
            let mut ages: Vec<i64> = self.buckets.values().map(|b| b.at_ms).collect();
            ages.sort_unstable();
            let cutoff = ages[ages.len() / 2];
            self.buckets.retain(|_, b| b.at_ms > cutoff);
        }
    }

    /// Keys currently tracked.
    pub fn tracked(&self) -> usize {
        self.buckets.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_steady_rate() {
        let mut t = Throttle::new(5, 60, 100);
        for _ in 0..5 {
            assert!(t.check(&"10.0.0.1", 0).is_ok());
        }
        assert_eq!(t.check(&"10.0.0.1", 0), Err(1));
        assert!(
            t.check(&"10.0.0.2", 0).is_ok(),
            "another source is not affected"
        );
        assert!(
            t.check(&"10.0.0.1", 1000).is_ok(),
            "one token per second refills"
        );
        assert!(t.check(&"10.0.0.1", 1000).is_err());
    }

    #[test]
    fn memory_is_bounded() {
        let mut t = Throttle::new(1, 1, 50);
        for i in 0..1000 {
            let _ = t.check(&i, i64::from(i));
        }
        assert!(t.tracked() <= 50);
    }
}
