//! Plain delivery rules: splitting long texts, backoff after failures, and Telegram's sending limits.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Telegram's limit on one message's text, in characters.
pub const MAX_MESSAGE_CHARS: usize = 4096;
/// At most one message per second to one chat.
pub const PER_CHAT_GAP: Duration = Duration::from_secs(1);
/// At most 30 messages per second overall.
pub const GLOBAL_GAP: Duration = Duration::from_millis(34);
/// First retry delay after a failure; it doubles per attempt.
pub const BACKOFF_BASE: Duration = Duration::from_secs(2);
/// Longest wait between retries.
pub const BACKOFF_MAX: Duration = Duration::from_secs(300);
/// After this many failed attempts (429s aside) a notification is marked failed.
pub const MAX_ATTEMPTS: i32 = 10;

/// Splits `text` into parts of at most `max` characters, preferring to cut after a newline, then after a space.
/// Characters are counted as Telegram counts them, in UTF-16 code units (an emoji counts two).
pub fn split_message(text: &str, max: usize) -> Vec<String> {
    let mut parts = Vec::new();
    let mut rest = text;
    while utf16_len(rest) > max {
        // Byte index just past the last character that still fits.
        let mut units = 0;
        let limit = rest
            .char_indices()
            .find(|(_, c)| {
                units += c.len_utf16();
                units > max
            })
            .map_or(rest.len(), |(i, _)| i);
        let window = &rest[..limit];
        let cut = window
            .rfind('\n')
            .or_else(|| window.rfind(' '))
            .map(|i| i + 1)
            .filter(|&i| i > limit / 2)
            .unwrap_or(limit);
        parts.push(rest[..cut].to_string());
        rest = &rest[cut..];
    }
    if !rest.is_empty() || parts.is_empty() {
        parts.push(rest.to_string());
    }
    parts
}

fn utf16_len(text: &str) -> usize {
    text.chars().map(char::len_utf16).sum()
}

/// How long to wait before attempt number `attempts + 1`, after `attempts` failed ones.
pub fn backoff(attempts: i32) -> Duration {
    let exponent = attempts.saturating_sub(1).clamp(0, 16) as u32;
    BACKOFF_BASE.saturating_mul(1 << exponent).min(BACKOFF_MAX)
}

/// How a send attempt ended, as far as delivery cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendFailure {
    /// 429: wait this long, then try again (not counted as a failure).
    RetryAfter(Duration),
    /// Telegram certainly did not take it and never will (blocked by the user, chat gone).
    Permanent(String),
    /// Telegram certainly did not take it; worth retrying (connection refused, 5xx, other API errors).
    Transient(String),
    /// Telegram may have taken it (the connection broke after the request was sent). Not retried:
    /// a duplicate is worse than a gap agents can see.
    Unknown(String),
}

/// What happens to a notification after a failed attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterFailure {
    /// Try again after this long.
    Retry(Duration),
    /// Give up; agents see it as failed.
    Fail,
}

/// The rule for a failed attempt; `attempts` includes the one that just failed.
pub fn after_failure(failure: &SendFailure, attempts: i32) -> AfterFailure {
    match failure {
        SendFailure::RetryAfter(wait) => AfterFailure::Retry(*wait),
        SendFailure::Permanent(_) | SendFailure::Unknown(_) => AfterFailure::Fail,
        SendFailure::Transient(_) if attempts >= MAX_ATTEMPTS => AfterFailure::Fail,
        SendFailure::Transient(_) => AfterFailure::Retry(backoff(attempts)),
    }
}

/// Keeps sending within Telegram's limits: a gap per chat, a gap overall, and a global pause after a 429.
#[derive(Debug, Default)]
pub struct Pacer {
    last_per_chat: HashMap<i64, Instant>,
    last_any: Option<Instant>,
    paused_until: Option<Instant>,
}

impl Pacer {
    /// The earliest moment a message may go to `chat`.
    pub fn ready_at(&self, chat: i64, now: Instant) -> Instant {
        let mut at = now;
        if let Some(last) = self.last_per_chat.get(&chat) {
            at = at.max(*last + PER_CHAT_GAP);
        }
        if let Some(last) = self.last_any {
            at = at.max(last + GLOBAL_GAP);
        }
        if let Some(until) = self.paused_until {
            at = at.max(until);
        }
        at
    }

    /// Records a message sent (or attempted) to `chat` at `now`.
    pub fn sent(&mut self, chat: i64, now: Instant) {
        self.last_per_chat.insert(chat, now);
        self.last_any = Some(now);
        if self.last_per_chat.len() > 10_000 {
            self.last_per_chat
                .retain(|_, at| now.saturating_duration_since(*at) < PER_CHAT_GAP);
        }
    }

    /// Telegram said to wait: nothing goes anywhere until then.
    pub fn pause(&mut self, now: Instant, wait: Duration) {
        let until = now + wait;
        self.paused_until = Some(self.paused_until.map_or(until, |p| p.max(until)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_texts_stay_whole_and_long_ones_split_at_newlines() {
        assert_eq!(split_message("hello", 10), ["hello"]);
        assert_eq!(split_message("", 10), [""]);
        assert_eq!(split_message("aaaa\nbbbb\ncccc", 10), ["aaaa\nbbbb\n", "cccc"]);
        assert_eq!(split_message("aaaa bbbb cccc", 10), ["aaaa bbbb ", "cccc"]);
        // No good place to cut: cut hard.
        assert_eq!(split_message("abcdefghijkl", 5), ["abcde", "fghij", "kl"]);
    }

    #[test]
    fn splitting_counts_utf16_units_not_bytes_and_loses_nothing() {
        let text = "é".repeat(MAX_MESSAGE_CHARS + 10);
        let parts = split_message(&text, MAX_MESSAGE_CHARS);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].chars().count(), MAX_MESSAGE_CHARS);
        assert_eq!(parts.concat(), text);
        let emoji = "\u{1f6a7}".repeat(MAX_MESSAGE_CHARS);
        let parts = split_message(&emoji, MAX_MESSAGE_CHARS);
        assert_eq!(parts.len(), 2, "an emoji is two UTF-16 units");
        assert!(parts.iter().all(|p| utf16_len(p) <= MAX_MESSAGE_CHARS));
        let words = "word ".repeat(2000);
        let parts = split_message(&words, MAX_MESSAGE_CHARS);
        assert!(parts.iter().all(|p| p.chars().count() <= MAX_MESSAGE_CHARS));
        assert_eq!(parts.concat(), words);
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(1), Duration::from_secs(2));
        assert_eq!(backoff(2), Duration::from_secs(4));
        assert_eq!(backoff(4), Duration::from_secs(16));
        assert_eq!(backoff(30), BACKOFF_MAX);
    }

    #[test]
    fn failures_retry_until_the_limit_but_429_always_waits() {
        let transient = SendFailure::Transient("502".into());
        assert_eq!(
            after_failure(&transient, 1),
            AfterFailure::Retry(Duration::from_secs(2))
        );
        assert_eq!(after_failure(&transient, MAX_ATTEMPTS), AfterFailure::Fail);
        let wait = SendFailure::RetryAfter(Duration::from_secs(7));
        assert_eq!(after_failure(&wait, 100), AfterFailure::Retry(Duration::from_secs(7)));
        assert_eq!(
            after_failure(&SendFailure::Permanent("blocked".into()), 1),
            AfterFailure::Fail
        );
        assert_eq!(
            after_failure(&SendFailure::Unknown("reset".into()), 1),
            AfterFailure::Fail
        );
    }

    #[test]
    fn the_pacer_keeps_a_second_per_chat_and_a_gap_overall() {
        let now = Instant::now();
        let mut pacer = Pacer::default();
        assert_eq!(pacer.ready_at(1, now), now);
        pacer.sent(1, now);
        assert_eq!(pacer.ready_at(1, now), now + PER_CHAT_GAP);
        assert_eq!(pacer.ready_at(2, now), now + GLOBAL_GAP);
        pacer.pause(now, Duration::from_secs(5));
        assert_eq!(pacer.ready_at(2, now), now + Duration::from_secs(5));
        // A shorter pause never shortens a longer one.
        pacer.pause(now, Duration::from_secs(1));
        assert_eq!(pacer.ready_at(2, now), now + Duration::from_secs(5));
    }
}
