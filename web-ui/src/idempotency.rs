//! Idempotency keys for what an agent creates (tickets, comments): one key for each thing they mean to
//! create, sent with every attempt at it, so that a retry after `outcome_unknown`, `unavailable` or a lost
//! connection answers what the first attempt made instead of making a second one (docs/protocol.md,
//! "Idempotency keys"). The rules are plain code, unit-tested natively; only [`new_key`] and
//! [`with_retries`] need the browser.

use gloo_timers::future::TimeoutFuture;
use loket_protocol::{ApiError, ErrorCode};

/// Automatic retries of a create after a failure that allows one, before the error is shown.
pub const AUTO_RETRIES: u32 = 3;
/// The wait before the first automatic retry; each further one waits twice as long. Long enough for the
/// WebSocket's first reconnect attempt (`ws::reconnect_delay_ms`: 250 ms).
pub const FIRST_RETRY_MS: u32 = 500;
/// Random bytes in a key.
const KEY_BYTES: usize = 16;

/// Whether a create that failed with `code` is to be sent again with the same key: it may have been made
/// (`outcome_unknown`, or `unavailable` for a connection lost before the answer came), or it was not
/// carried out for a passing reason (`rate_limited`). Anything else is the server's answer for good.
pub fn retryable(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::OutcomeUnknown | ErrorCode::Unavailable | ErrorCode::RateLimited
    )
}

/// What to do after attempt `attempt` (1 for the first) failed with `error`: wait this many milliseconds
/// and send again, or `None`: give up and show the error.
pub fn retry_after(attempt: u32, error: &ApiError) -> Option<u32> {
    (retryable(error.code) && attempt <= AUTO_RETRIES).then(|| FIRST_RETRY_MS << (attempt - 1).min(8))
}

/// What the agent is creating at the moment, and the key that names it.
#[derive(Debug)]
pub struct Attempt<T> {
    current: Option<(T, String)>,
}

impl<T> Default for Attempt<T> {
    fn default() -> Self {
        Attempt { current: None }
    }
}

impl<T: PartialEq + Clone> Attempt<T> {
    /// The key to send `what` with: the key of the attempt still open if it was for the same content (a
    /// retry), else a new one from `fresh` (something new to create).
    pub fn key_for(&mut self, what: &T, fresh: impl FnOnce() -> String) -> String {
        match &self.current {
            Some((content, key)) if content == what => key.clone(),
            _ => {
                let key = fresh();
                self.current = Some((what.clone(), key.clone()));
                key
            }
        }
    }

    /// The outcome of sending it. Made, or refused for good: the attempt is over, and the next create
    /// gets a new key. A failure that allows a retry keeps the key for the next try of the same content.
    pub fn settled(&mut self, outcome: Result<(), ErrorCode>) {
        if !matches!(outcome, Err(code) if retryable(code)) {
            self.current = None;
        }
    }
}

/// The key made of `bytes`: `loket-` and their hex (well within the protocol's 1–255 characters).
pub fn key_from_bytes(bytes: &[u8]) -> String {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("loket-{hex}")
}

/// A fresh random key, from the browser's cryptographic random numbers (also on plain-HTTP pages, unlike
/// `crypto.randomUUID`).
pub fn new_key() -> String {
    let mut bytes = [0u8; KEY_BYTES];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .is_some_and(|crypto| crypto.get_random_values_with_u8_array(&mut bytes).is_ok());
    if !filled {
        // No Web Crypto (never in a browser that runs this client): still unique enough for one agent.
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = (js_sys::Math::random() * 256.0) as u8 ^ (i as u8);
        }
    }
    key_from_bytes(&bytes)
}

/// Runs `send` (one attempt, with the same key each time) until it succeeds, fails for good, or has been
/// retried [`AUTO_RETRIES`] times, waiting [`retry_after`] between attempts.
pub async fn with_retries<T, F, Fut>(mut send: F) -> Result<T, ApiError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, ApiError>>,
{
    let mut attempt = 1;
    loop {
        match send().await {
            Ok(value) => return Ok(value),
            Err(error) => match retry_after(attempt, &error) {
                Some(wait) => {
                    TimeoutFuture::new(wait).await;
                    attempt += 1;
                }
                None => return Err(error),
            },
        }
    }
}

/// What the agent reads when a create still failed after the automatic retries.
pub fn failure_message(error: &ApiError, what: &str) -> String {
    if retryable(error.code) {
        format!(
            "{} Try again in a moment: the same {what} is sent, so it cannot be made twice.",
            error.message
        )
    } else {
        error.message.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(code: ErrorCode) -> ApiError {
        ApiError::new(code, "x")
    }

    #[test]
    fn only_failures_that_may_have_made_it_or_passed_are_retried() {
        for code in [
            ErrorCode::OutcomeUnknown,
            ErrorCode::Unavailable,
            ErrorCode::RateLimited,
        ] {
            assert!(retryable(code), "{code:?}");
        }
        for code in [
            ErrorCode::InvalidRequest,
            ErrorCode::Conflict,
            ErrorCode::Forbidden,
            ErrorCode::NotFound,
            ErrorCode::Unauthorized,
            ErrorCode::Internal,
        ] {
            assert!(!retryable(code), "{code:?}");
        }
    }

    #[test]
    fn automatic_retries_back_off_and_stop() {
        let unknown = error(ErrorCode::OutcomeUnknown);
        let waits: Vec<Option<u32>> = (1..=AUTO_RETRIES + 1).map(|n| retry_after(n, &unknown)).collect();
        assert_eq!(waits, vec![Some(500), Some(1_000), Some(2_000), None]);
        assert_eq!(retry_after(1, &error(ErrorCode::InvalidRequest)), None);
    }

    #[test]
    fn a_retry_of_the_same_content_reuses_the_key_and_anything_else_gets_a_new_one() {
        let mut keys = ["k1", "k2", "k3", "k4"].into_iter().map(String::from);
        let mut fresh = || keys.next().unwrap();
        let mut attempt = Attempt::default();
        let reply = ("Thanks, on it".to_string(), false);

        assert_eq!(attempt.key_for(&reply, &mut fresh), "k1");
        // Cut off mid-commit, or the connection dropped: the retry names the same reply.
        attempt.settled(Err(ErrorCode::OutcomeUnknown));
        assert_eq!(attempt.key_for(&reply, &mut fresh), "k1");
        attempt.settled(Err(ErrorCode::Unavailable));
        assert_eq!(attempt.key_for(&reply, &mut fresh), "k1");
        // Made: the same words sent again later are a second reply, with a key of their own.
        attempt.settled(Ok(()));
        assert_eq!(attempt.key_for(&reply, &mut fresh), "k2");
        // Edited after a failure: something else to create.
        attempt.settled(Err(ErrorCode::OutcomeUnknown));
        let edited = ("Thanks, we are on it".to_string(), false);
        assert_eq!(attempt.key_for(&edited, &mut fresh), "k3");
        // Refused for good: nothing was made, and the next try is a new attempt.
        attempt.settled(Err(ErrorCode::InvalidRequest));
        assert_eq!(attempt.key_for(&edited, &mut fresh), "k4");
    }

    #[test]
    fn keys_are_hex_of_their_bytes_within_the_protocol_limit() {
        let key = key_from_bytes(&[0x00, 0xab, 0xff]);
        assert_eq!(key, "loket-00abff");
        let full = key_from_bytes(&[7; KEY_BYTES]);
        assert_eq!(full.len(), "loket-".len() + 2 * KEY_BYTES);
        assert!(full.len() <= 255 && full.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    }

    #[test]
    fn a_failure_that_may_be_retried_says_so() {
        let unknown = ApiError::new(ErrorCode::OutcomeUnknown, "The connection was lost.");
        assert!(failure_message(&unknown, "reply").contains("cannot be made twice"));
        let refused = ApiError::new(ErrorCode::InvalidRequest, "Too long.");
        assert_eq!(failure_message(&refused, "reply"), "Too long.");
    }
}
