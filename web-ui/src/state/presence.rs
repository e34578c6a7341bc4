//! Who is viewing which ticket and who is typing a reply there, as the server's `Presence` frames tell
//! it (the whole set each time), and the words the pages show for it. The agent's own entry is left
//! out of what is shown: the page knows where it is.

use loket_protocol::ticket::AgentRef;
use loket_protocol::ws::ServerMessage;
use loket_protocol::{AgentId, TicketId};
use std::collections::HashMap;

/// One ticket's set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seen {
    pub viewers: Vec<AgentRef>,
    pub typing: Vec<AgentRef>,
}

/// Every ticket's set, as last told.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PresenceBoard {
    sets: HashMap<TicketId, Seen>,
}

impl PresenceBoard {
    /// Takes in `msg` if it is a `Presence`; answers whether it was.
    pub fn apply(&mut self, msg: &ServerMessage) -> bool {
        let ServerMessage::Presence {
            ticket_id,
            viewers,
            typing,
            ..
        } = msg
        else {
            return false;
        };
        if viewers.is_empty() {
            self.sets.remove(ticket_id);
        } else {
            self.sets.insert(
                *ticket_id,
                Seen {
                    viewers: viewers.clone(),
                    typing: typing.clone(),
                },
            );
        }
        true
    }

    /// A new connection: the server tells every set again.
    pub fn clear(&mut self) {
        self.sets.clear();
    }

    /// The other agents (not `me`) on `ticket`.
    pub fn others(&self, ticket: TicketId, me: AgentId) -> Seen {
        self.sets
            .get(&ticket)
            .map(|seen| Seen {
                viewers: loket_protocol::presence::others(&seen.viewers, me),
                typing: loket_protocol::presence::others(&seen.typing, me),
            })
            .unwrap_or_default()
    }
}

/// "Sari", "Sari and Budi", "Sari, Budi and Ani".
fn names(agents: &[AgentRef]) -> String {
    match agents {
        [] => String::new(),
        [one] => one.name.clone(),
        [rest @ .., last] => format!(
            "{} and {}",
            rest.iter().map(|a| a.name.as_str()).collect::<Vec<_>>().join(", "),
            last.name
        ),
    }
}

/// "Sari is viewing" / "Sari and Budi are viewing"; `None` when nobody else is.
pub fn viewing_line(viewers: &[AgentRef]) -> Option<String> {
    match viewers.len() {
        0 => None,
        1 => Some(format!("{} is viewing", names(viewers))),
        _ => Some(format!("{} are viewing", names(viewers))),
    }
}

/// "Sari is typing a reply…" / "Sari and Budi are typing replies…"; `None` when nobody else is.
pub fn typing_line(typing: &[AgentRef]) -> Option<String> {
    match typing.len() {
        0 => None,
        1 => Some(format!("{} is typing a reply…", names(typing))),
        _ => Some(format!("{} are typing replies…", names(typing))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::fixtures::agent;
    use loket_protocol::QueueId;

    fn presence(ticket: i64, viewers: Vec<AgentRef>, typing: Vec<AgentRef>) -> ServerMessage {
        ServerMessage::Presence {
            ticket_id: TicketId(ticket),
            queue: QueueId(1),
            viewers,
            typing,
        }
    }

    #[test]
    fn the_last_set_told_counts_and_the_agent_itself_is_left_out() {
        let mut board = PresenceBoard::default();
        assert!(!board.apply(&ServerMessage::Pong { request_id: None }));
        assert!(board.apply(&presence(
            1,
            vec![agent(1, "Ana"), agent(2, "Sari")],
            vec![agent(2, "Sari")]
        )));
        let seen = board.others(TicketId(1), AgentId(1));
        assert_eq!(seen.viewers, vec![agent(2, "Sari")]);
        assert_eq!(seen.typing, vec![agent(2, "Sari")]);
        // Only herself: nobody else.
        board.apply(&presence(1, vec![agent(1, "Ana")], vec![]));
        assert_eq!(board.others(TicketId(1), AgentId(1)), Seen::default());
        board.apply(&presence(2, vec![agent(2, "Sari")], vec![]));
        board.apply(&presence(2, vec![], vec![]));
        assert_eq!(board.others(TicketId(2), AgentId(1)), Seen::default());
        board.clear();
        assert_eq!(board, PresenceBoard::default());
    }

    #[test]
    fn lines_name_the_others() {
        assert_eq!(viewing_line(&[]), None);
        assert_eq!(viewing_line(&[agent(2, "Sari")]).as_deref(), Some("Sari is viewing"));
        assert_eq!(
            viewing_line(&[agent(2, "Sari"), agent(3, "Budi"), agent(4, "Ani")]).as_deref(),
            Some("Sari, Budi and Ani are viewing")
        );
        assert_eq!(
            typing_line(&[agent(2, "Sari")]).as_deref(),
            Some("Sari is typing a reply…")
        );
        assert_eq!(
            typing_line(&[agent(2, "Sari"), agent(3, "Budi")]).as_deref(),
            Some("Sari and Budi are typing replies…")
        );
    }
}
