//! Who may see a broadcast event: one rule, applied to live delivery and to `Resume`'s replay alike.
//!
//! Every WebSocket client is a signed-in agent (reporters never hold a WebSocket; what reaches them goes
//! through the outbox). An event about a ticket goes to the agents who may see the ticket's queue
//! (`protocol::queue::Access`: its members, and admins); an update that moved a ticket goes to those of
//! the queue it left as well, so their boards drop it. Internal notes go to the same agents as the rest.
//! Events of the desk itself (`MembershipChanged`) go to no client: the bus acts on them. An agent's own
//! read markers (`TicketRead`) go to that agent's sessions only.

use loket_protocol::queue::Access;
use loket_protocol::ws::ServerMessage;
use loket_protocol::{AgentId, QueueId};

/// Who an event is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The agents who may see `now` (the ticket's queue) or `before` (the queue an update moved it from).
    Queue { now: QueueId, before: Option<QueueId> },
    /// One agent's sessions only (`TicketRead`: their own read markers).
    Agent(AgentId),
    /// No client.
    Nobody,
}

/// The audience of `event`.
pub fn audience(event: &ServerMessage) -> Audience {
    match event {
        ServerMessage::TicketCreated { ticket, .. } => Audience::Queue {
            now: ticket.queue,
            before: None,
        },
        ServerMessage::TicketUpdated { ticket, previous, .. } => Audience::Queue {
            now: ticket.queue,
            before: previous.as_ref().and_then(|p| p.queue),
        },
        ServerMessage::TicketLocked { queue, .. }
        | ServerMessage::TicketUnlocked { queue, .. }
        | ServerMessage::CommentAdded { queue, .. }
        | ServerMessage::AttachmentAdded { queue, .. }
        | ServerMessage::SlaWarning { queue, .. }
        | ServerMessage::SlaBreached { queue, .. } => Audience::Queue {
            now: *queue,
            before: None,
        },
        ServerMessage::TicketRead { agent_id, .. } => Audience::Agent(*agent_id),
        ServerMessage::MembershipChanged { .. }
        | ServerMessage::Welcome { .. }
        | ServerMessage::Ack { .. }
        | ServerMessage::Error { .. }
        | ServerMessage::AllTickets { .. }
        | ServerMessage::Pong { .. } => Audience::Nobody,
    }
}

impl Audience {
    /// Whether agent `agent` with `access` may see events for this audience.
    pub fn admits(self, agent: AgentId, access: &Access) -> bool {
        match self {
            Audience::Queue { now, before } => access.admits(now) || before.is_some_and(|q| access.admits(q)),
            Audience::Agent(only) => only == agent,
            Audience::Nobody => false,
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

    const ROADS: QueueId = QueueId(2);
    const PARKS: QueueId = QueueId(3);

    fn note(queue: QueueId) -> ServerMessage {
        ServerMessage::CommentAdded {
            ticket_id: TicketId(1),
            queue,
            comment: Comment {
                id: CommentId(1),
                ticket_id: TicketId(1),
                author: Author::System,
                body: "internal".into(),
                internal: true,
                created_at: DateTime::from_timestamp(0, 0).unwrap(),
                attachments: vec![],
            },
            sla: None,
            position: 1,
            sla: None,
        }
    }

    #[test]
    fn members_of_the_queue_and_admins_see_its_events_internal_notes_included() {
        let member = Access::of(Role::Agent, vec![ROADS]);
        let outsider = Access::of(Role::Agent, vec![PARKS]);
        let admin = Access::of(Role::Admin, vec![]);
        assert!(audience(&note(ROADS)).admits(AgentId(1), &member));
        assert!(audience(&note(ROADS)).admits(AgentId(1), &admin));
        assert!(!audience(&note(ROADS)).admits(AgentId(1), &outsider));
    }

    #[test]
    fn a_move_reaches_both_queues_and_desk_events_reach_nobody() {
        let moved = Audience::Queue {
            now: PARKS,
            before: Some(ROADS),
        };
        assert!(moved.admits(AgentId(1), &Access::of(Role::Agent, vec![ROADS])));
        assert!(moved.admits(AgentId(1), &Access::of(Role::Agent, vec![PARKS])));
        assert!(!moved.admits(AgentId(1), &Access::of(Role::Agent, vec![QueueId(9)])));
        let changed = ServerMessage::MembershipChanged {
            agent_id: AgentId(1),
            position: 2,
        };
        assert_eq!(audience(&changed), Audience::Nobody);
        assert!(!audience(&changed).admits(AgentId(1), &Access::of(Role::Admin, vec![])));
    }

    #[test]
    fn read_markers_go_to_their_agent_only() {
        let read = ServerMessage::TicketRead {
            ticket_id: TicketId(3),
            agent_id: AgentId(4),
            position: 9,
        };
        let admin = Access::of(Role::Admin, vec![]);
        assert_eq!(audience(&read), Audience::Agent(AgentId(4)));
        assert!(audience(&read).admits(AgentId(4), &Access::of(Role::Agent, vec![])));
        assert!(
            !audience(&read).admits(AgentId(5), &admin),
            "not even an admin sees another's"
        );
    }

    #[test]
    fn events_logged_before_queues_are_of_the_original_queue() {
        let old = serde_json::json!({
            "type": "TicketUnlocked", "ticket_id": 4, "reason": "released", "position": 7
        });
        let event: ServerMessage = serde_json::from_value(old).unwrap();
        assert_eq!(
            audience(&event),
            Audience::Queue {
                now: QueueId::ORIGINAL,
                before: None
            }
        );
    }
}
