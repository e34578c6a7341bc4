//! What one WebSocket session may ask of the server: messages per second (a token bucket) and requests in
//! flight. Plain rules; the session only feeds them the clock and its counts.

use std::time::Instant;

/// Messages a session may send per second, sustained. A person clicking sends a few; the load generator's
/// fastest session about 110 (docs/benchmarks.md).
pub const MESSAGES_PER_SECOND: u32 = 200;
/// Messages a session may send at once after a quiet spell (a reconnecting client resynchronising).
pub const MESSAGE_BURST: u32 = 400;
/// Requests one session may have waiting for an answer. Each may hold a database connection, so one
/// session never takes more than half of the default pool (16).
pub const MAX_IN_FLIGHT: usize = 8;

/// A token bucket: [`MESSAGE_BURST`] tokens, refilled at [`MESSAGES_PER_SECOND`].
#[derive(Debug, Clone)]
pub struct MessageBudget {
    tokens: f64,
    last: Instant,
}

impl MessageBudget {
    /// A full bucket at `now`.
    pub fn new(now: Instant) -> MessageBudget {
        MessageBudget {
            tokens: f64::from(MESSAGE_BURST),
            last: now,
        }
    }

    /// Takes a token for a message arriving at `now`; false when the session is over its budget.
    pub fn take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = self.last.max(now);
        self.tokens = (self.tokens + elapsed * f64::from(MESSAGES_PER_SECOND)).min(f64::from(MESSAGE_BURST));
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_burst_passes_then_the_rate_holds() {
        let start = Instant::now();
        let mut budget = MessageBudget::new(start);
        let passed = (0..MESSAGE_BURST * 2).filter(|_| budget.take(start)).count();
        assert_eq!(passed, MESSAGE_BURST as usize);
        // A second later, one second's worth again.
        let later = start + Duration::from_secs(1);
        let passed = (0..MESSAGE_BURST * 2).filter(|_| budget.take(later)).count();
        assert_eq!(passed, MESSAGES_PER_SECOND as usize);
        // A long pause refills to the burst, not beyond.
        let much_later = later + Duration::from_secs(3600);
        let passed = (0..MESSAGE_BURST * 2).filter(|_| budget.take(much_later)).count();
        assert_eq!(passed, MESSAGE_BURST as usize);
    }

    #[test]
    fn a_steady_client_under_the_rate_is_never_refused() {
        let start = Instant::now();
        let mut budget = MessageBudget::new(start);
        let gap = Duration::from_secs(1) / (MESSAGES_PER_SECOND / 2);
        for i in 0..10_000 {
            assert!(budget.take(start + gap * i), "message {i}");
        }
    }
}
