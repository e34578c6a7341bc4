//! Failed sign-in throttling: at most so many failures per key (a client address) in a sliding window.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Counts failures per key; a key over the limit is refused until its window has passed.
#[derive(Debug)]
pub struct Throttle {
    max_failures: u32,
    window: Duration,
    failures: HashMap<String, (Instant, u32)>,
}

/// Above this many tracked keys, expired entries are swept out.
const SWEEP_AT: usize = 10_000;

impl Throttle {
    pub fn new(max_failures: u32, window: Duration) -> Self {
        Throttle {
            max_failures,
            window,
            failures: HashMap::new(),
        }
    }

    /// Whether `key` may try now.
    pub fn allows(&self, key: &str, now: Instant) -> bool {
        match self.failures.get(key) {
            Some((since, count)) => now.duration_since(*since) >= self.window || *count < self.max_failures,
            None => true,
        }
    }

    /// Records a failed attempt by `key`.
    pub fn failed(&mut self, key: &str, now: Instant) {
        if self.failures.len() >= SWEEP_AT {
            let window = self.window;
            self.failures
                .retain(|_, (since, _)| now.duration_since(*since) < window);
        }
        let entry = self.failures.entry(key.to_string()).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        entry.1 += 1;
    }

    /// Forgets `key`'s failures after a success.
    pub fn succeeded(&mut self, key: &str) {
        self.failures.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_refused_after_too_many_failures_until_the_window_passes() {
        let start = Instant::now();
        let mut throttle = Throttle::new(3, Duration::from_secs(60));
        for _ in 0..3 {
            assert!(throttle.allows("10.0.0.1", start));
            throttle.failed("10.0.0.1", start);
        }
        assert!(!throttle.allows("10.0.0.1", start + Duration::from_secs(59)));
        assert!(throttle.allows("10.0.0.2", start), "other clients are unaffected");
        assert!(throttle.allows("10.0.0.1", start + Duration::from_secs(60)));
        throttle.failed("10.0.0.1", start + Duration::from_secs(61));
        assert!(
            throttle.allows("10.0.0.1", start + Duration::from_secs(61)),
            "a new window starts counting afresh"
        );
    }

    #[test]
    fn success_clears_the_count() {
        let now = Instant::now();
        let mut throttle = Throttle::new(1, Duration::from_secs(60));
        throttle.failed("a", now);
        assert!(!throttle.allows("a", now));
        throttle.succeeded("a");
        assert!(throttle.allows("a", now));
    }
}
