//! Who may see a broadcast event: one rule, applied to live delivery and to `Resume`'s replay alike.
//!
//! Today every WebSocket client is a signed-in agent, and agents see everything on the desk, internal
//! notes included (reporters never hold a WebSocket; what reaches them goes through the outbox). A rule
//! that narrows this (say, internal notes for some roles only) changes [`audience`] and
//! [`Audience::admits`], and both paths follow.

use loket_protocol::api::Agent;
use loket_protocol::ws::ServerMessage;

/// Who an event is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Every signed-in agent, whatever their role.
    EveryAgent,
}

/// The audience of `event`: every agent, for every event (internal notes are for agents, and every
/// client here is one).
pub fn audience(_event: &ServerMessage) -> Audience {
    Audience::EveryAgent
}

impl Audience {
    /// Whether `agent` may see events for this audience.
    pub fn admits(self, _agent: &Agent) -> bool {
        match self {
            Audience::EveryAgent => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;
    use loket_protocol::api::Role;
    use loket_protocol::ticket::{Author, Comment};
    use loket_protocol::{AgentId, CommentId, TicketId};

    #[test]
    fn every_agent_sees_internal_notes_whatever_their_role() {
        let note = ServerMessage::CommentAdded {
            ticket_id: TicketId(1),
            comment: Comment {
                id: CommentId(1),
                ticket_id: TicketId(1),
                author: Author::System,
                body: "internal".into(),
                internal: true,
                created_at: DateTime::from_timestamp(0, 0).unwrap(),
                attachments: vec![],
            },
            position: 1,
        };
        for role in [Role::Agent, Role::Admin] {
            let agent = Agent {
                id: AgentId(1),
                name: "Ana".into(),
                email: "ana@example.org".into(),
                role,
            };
            assert!(audience(&note).admits(&agent));
        }
    }
}
