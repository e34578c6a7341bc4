//! Presence's pure rules, shared by server and web client: who is listed (each agent once, in a stable
//! order, at most [`MAX_LISTED`]), how often a client says it is typing, and when typing lapses.
//!
//! Times are milliseconds on the caller's own clock (the web client has no `Instant`), so the rules run
//! the same natively and in wasm.

use crate::ids::AgentId;
use crate::ticket::AgentRef;

/// A client sends `Typing` at most this often while the agent types.
pub const TYPING_EVERY_MS: u64 = 3_000;
/// Typing lapses this long after the last `Typing` (twice [`TYPING_EVERY_MS`]: one lost frame is not
/// a lapse).
pub const TYPING_LAPSE_MS: u64 = 6_000;
const _: () = assert!(TYPING_LAPSE_MS > TYPING_EVERY_MS);
/// Most agents a `Presence` lists as viewers (and as typing) for one ticket.
pub const MAX_LISTED: usize = 8;

/// `agents` as a `Presence` lists them: each agent once (an agent with two tabs open counts once), by
/// name then id, at most [`MAX_LISTED`].
pub fn listed(agents: impl IntoIterator<Item = AgentRef>) -> Vec<AgentRef> {
    let mut all: Vec<AgentRef> = agents.into_iter().collect();
    all.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    all.dedup_by_key(|a| a.id);
    all.truncate(MAX_LISTED);
    all
}

/// The agents of `listed` other than `me` (a client shows the others; it knows where it is itself).
pub fn others(listed: &[AgentRef], me: AgentId) -> Vec<AgentRef> {
    listed.iter().filter(|a| a.id != me).cloned().collect()
}

/// When a client sends `Typing`: on the first keystroke on a ticket, then at most every
/// [`TYPING_EVERY_MS`] while keystrokes go on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TypingThrottle {
    last: Option<(crate::ids::TicketId, u64)>,
}

impl TypingThrottle {
    /// The agent typed on `ticket` at `now_ms`: whether to send `Typing` now.
    pub fn keystroke(&mut self, ticket: crate::ids::TicketId, now_ms: u64) -> bool {
        let due = match self.last {
            Some((on, at)) if on == ticket => now_ms.saturating_sub(at) >= TYPING_EVERY_MS,
            _ => true,
        };
        if due {
            self.last = Some((ticket, now_ms));
        }
        due
    }

    /// The reply was sent or the page left: the next keystroke sends at once.
    pub fn reset(&mut self) {
        self.last = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::TicketId;

    fn agent(id: i64, name: &str) -> AgentRef {
        AgentRef {
            id: AgentId(id),
            name: name.into(),
        }
    }

    #[test]
    fn each_agent_is_listed_once_in_name_order_and_the_list_is_bounded() {
        let twice = listed([agent(2, "Sari"), agent(1, "Budi"), agent(2, "Sari")]);
        assert_eq!(twice, vec![agent(1, "Budi"), agent(2, "Sari")]);
        let many = listed((0..20).map(|i| agent(i, &format!("agent {i:02}"))));
        assert_eq!(many.len(), MAX_LISTED);
        assert_eq!(many[0], agent(0, "agent 00"));
        assert_eq!(others(&twice, AgentId(2)), vec![agent(1, "Budi")]);
    }

    #[test]
    fn typing_is_sent_at_once_then_at_most_every_three_seconds_per_ticket() {
        let mut throttle = TypingThrottle::default();
        assert!(throttle.keystroke(TicketId(1), 1_000));
        assert!(!throttle.keystroke(TicketId(1), 1_500));
        assert!(!throttle.keystroke(TicketId(1), 1_000 + TYPING_EVERY_MS - 1));
        assert!(throttle.keystroke(TicketId(1), 1_000 + TYPING_EVERY_MS));
        // Another ticket, or after a reset, sends at once.
        assert!(throttle.keystroke(TicketId(2), 4_100));
        throttle.reset();
        assert!(throttle.keystroke(TicketId(2), 4_200));
    }
}
