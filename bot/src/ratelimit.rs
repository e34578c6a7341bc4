//! A per-reporter token bucket: bursts are fine, floods are answered politely instead of creating tickets.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Messages a reporter may send in a burst.
pub const BURST: f64 = 30.0;
/// Messages per second a reporter may keep sending.
pub const REFILL_PER_SEC: f64 = 1.0;
/// Buckets idle for this long are full again and are forgotten.
const FORGET_AFTER: Duration = Duration::from_secs(600);

/// One sender's bucket.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    capacity: f64,
    refill_per_sec: f64,
    tokens: f64,
    last: Instant,
    /// Whether the sender was already told to slow down since the last accepted message.
    warned: bool,
}

/// What to do with one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Handle it.
    Allow,
    /// Drop it and tell the sender to slow down (once per flood).
    Warn,
    /// Drop it silently: they were already told.
    Drop,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(capacity: f64, refill_per_sec: f64, now: Instant) -> TokenBucket {
        TokenBucket {
            capacity,
            refill_per_sec,
            tokens: capacity,
            last: now,
            warned: false,
        }
    }

    /// Takes a token for a message arriving at `now`.
    pub fn take(&mut self, now: Instant) -> Verdict {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.refill_per_sec).min(self.capacity);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            self.warned = false;
            Verdict::Allow
        } else if self.warned {
            Verdict::Drop
        } else {
            self.warned = true;
            Verdict::Warn
        }
    }
}

/// Buckets for every sender, keyed by Telegram user id.
#[derive(Debug, Default)]
pub struct RateLimiter {
    buckets: HashMap<i64, TokenBucket>,
}

impl RateLimiter {
    /// Judges a message from `user` at `now`.
    pub fn check(&mut self, user: i64, now: Instant) -> Verdict {
        if self.buckets.len() > 10_000 {
            self.buckets
                .retain(|_, b| now.saturating_duration_since(b.last) < FORGET_AFTER);
        }
        self.buckets
            .entry(user)
            .or_insert_with(|| TokenBucket::new(BURST, REFILL_PER_SEC, now))
            .take(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_a_flood_is_warned_once_then_refills() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(3.0, 1.0, start);
        assert_eq!(bucket.take(start), Verdict::Allow);
        assert_eq!(bucket.take(start), Verdict::Allow);
        assert_eq!(bucket.take(start), Verdict::Allow);
        assert_eq!(bucket.take(start), Verdict::Warn);
        assert_eq!(bucket.take(start), Verdict::Drop);
        assert_eq!(bucket.take(start + Duration::from_millis(500)), Verdict::Drop);
        assert_eq!(bucket.take(start + Duration::from_millis(1100)), Verdict::Allow);
        assert_eq!(bucket.take(start + Duration::from_millis(1100)), Verdict::Warn);
        // Never more than the capacity, however long the pause.
        let later = start + Duration::from_secs(3600);
        for _ in 0..3 {
            assert_eq!(bucket.take(later), Verdict::Allow);
        }
        assert_eq!(bucket.take(later), Verdict::Warn);
    }

    #[test]
    fn senders_have_their_own_buckets() {
        let now = Instant::now();
        let mut limiter = RateLimiter::default();
        for _ in 0..BURST as usize {
            assert_eq!(limiter.check(1, now), Verdict::Allow);
        }
        assert_eq!(limiter.check(1, now), Verdict::Warn);
        assert_eq!(limiter.check(2, now), Verdict::Allow);
    }
}
