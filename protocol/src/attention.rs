//! Attention signals: which events call an agent's attention to a ticket (a new ticket, a reporter's
//! reply, a ticket assigned to them, an SLA clock warning or running out), as one rule shared by the server
//! (it records them for the board's unread markers, `ticket_attention`) and the web client (it shows a
//! toast, counts it in the tab title). docs/attention.md.

use crate::AgentId;
use crate::TicketId;
use crate::ticket::Author;
use crate::ws::ServerMessage;
use serde::{Deserialize, Serialize};

/// Why a ticket wants an agent's attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalKind {
    /// A ticket was filed (by a reporter through Telegram or by an agent).
    NewTicket,
    /// The reporter wrote a comment (a reply or a follow-up).
    ReporterReply,
    /// The ticket was assigned to this agent.
    Assigned,
    /// An SLA clock of the ticket reached its warning share (`SlaWarning`).
    SlaWarning,
    /// An SLA clock of the ticket ran out (`SlaBreached`).
    SlaBreached,
}

impl SignalKind {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            SignalKind::NewTicket => "new_ticket",
            SignalKind::ReporterReply => "reporter_reply",
            SignalKind::Assigned => "assigned",
            SignalKind::SlaWarning => "sla_warning",
            SignalKind::SlaBreached => "sla_breached",
        }
    }
}

/// Who a signal is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whom {
    /// Every agent who sees the ticket.
    Everyone,
    /// One agent (the new assignee).
    Agent(AgentId),
}

/// One event's call on attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signal {
    pub ticket: TicketId,
    pub kind: SignalKind,
    pub whom: Whom,
}

impl Signal {
    /// Whether agent `me` is called by it.
    pub fn is_for(&self, me: AgentId) -> bool {
        match self.whom {
            Whom::Everyone => true,
            Whom::Agent(agent) => agent == me,
        }
    }
}

/// The signal `event` raises, if any: `TicketCreated`; `CommentAdded` written by the reporter;
/// `TicketUpdated` that changed the assignee to someone other than the lock holder who made the change (for
/// that agent only); `SlaWarning`, `SlaBreached`.
pub fn signal(event: &ServerMessage) -> Option<Signal> {
    match event {
        ServerMessage::TicketCreated { ticket, .. } => Some(Signal {
            ticket: ticket.id,
            kind: SignalKind::NewTicket,
            whom: Whom::Everyone,
        }),
        ServerMessage::CommentAdded { ticket_id, comment, .. } if matches!(comment.author, Author::Reporter { .. }) => {
            Some(Signal {
                ticket: *ticket_id,
                kind: SignalKind::ReporterReply,
                whom: Whom::Everyone,
            })
        }
        ServerMessage::SlaWarning { ticket_id, .. } => Some(Signal {
            ticket: *ticket_id,
            kind: SignalKind::SlaWarning,
            whom: Whom::Everyone,
        }),
        ServerMessage::SlaBreached { ticket_id, .. } => Some(Signal {
            ticket: *ticket_id,
            kind: SignalKind::SlaBreached,
            whom: Whom::Everyone,
        }),
        ServerMessage::TicketUpdated {
            ticket,
            previous: Some(previous),
            ..
        } => match (&previous.assignee, &ticket.assignee) {
            // Changes are made under the ticket's lock, so its holder made this one: an agent who took
            // the ticket themselves ("Assign to me", "Take") is not told about it.
            (Some(_), Some(now)) if ticket.lock.as_ref().is_none_or(|lock| lock.holder.id != now.id) => Some(Signal {
                ticket: ticket.id,
                kind: SignalKind::Assigned,
                whom: Whom::Agent(now.id),
            }),
            _ => None,
        },
        _ => None,
    }
}

/// The signal `event` raises for agent `me`, if any.
pub fn signal_for(event: &ServerMessage, me: AgentId) -> Option<Signal> {
    signal(event).filter(|s| s.is_for(me))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{CommentId, QueueId, ReporterId};
    use crate::ticket::{AgentRef, Comment, Previous, Priority, Status, Ticket};

    fn at() -> crate::Timestamp {
        chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap()
    }

    fn ticket() -> Ticket {
        Ticket {
            id: TicketId(4),
            key: TicketId(4).key(),
            title: "Lampu".into(),
            body: String::new(),
            status: Status::New,
            priority: Priority::Normal,
            category: None,
            reporter: None,
            assignee: None,
            queue: QueueId::ORIGINAL,
            version: 1,
            lock: None,
            created_at: at(),
            updated_at: at(),
            location: None,
            reopened_at: None,
            rating: None,
            merged_into: None,
            sla: Vec::new(),
        }
    }

    fn comment(author: Author) -> ServerMessage {
        ServerMessage::CommentAdded {
            ticket_id: TicketId(4),
            queue: QueueId::ORIGINAL,
            comment: Comment {
                id: CommentId(1),
                ticket_id: TicketId(4),
                author,
                body: "masih mati".into(),
                internal: false,
                created_at: at(),
                attachments: Vec::new(),
            },
            sla: None,
            position: 3,
        }
    }

    #[test]
    fn new_tickets_and_reporter_replies_call_everyone() {
        let created = ServerMessage::TicketCreated {
            ticket: ticket(),
            position: 1,
        };
        assert_eq!(
            signal(&created),
            Some(Signal {
                ticket: TicketId(4),
                kind: SignalKind::NewTicket,
                whom: Whom::Everyone
            })
        );
        let reply = comment(Author::Reporter {
            id: ReporterId(2),
            name: "Siti".into(),
        });
        assert_eq!(
            signal_for(&reply, AgentId(9)).map(|s| s.kind),
            Some(SignalKind::ReporterReply)
        );
        let agents = comment(Author::Agent {
            id: AgentId(1),
            name: "Ana".into(),
        });
        assert_eq!(signal(&agents), None, "an agent's comment calls nobody");
        assert_eq!(signal(&comment(Author::System)), None);
    }

    #[test]
    fn an_assignment_calls_the_new_assignee_only() {
        let before = ticket();
        let mut after = before.clone();
        after.assignee = Some(AgentRef {
            id: AgentId(7),
            name: "Budi".into(),
        });
        after.version = 2;
        let assigned = ServerMessage::TicketUpdated {
            previous: Some(Box::new(Previous::between(&before, &after))),
            ticket: after.clone(),
            position: 5,
        };
        assert_eq!(
            signal_for(&assigned, AgentId(7)).map(|s| s.kind),
            Some(SignalKind::Assigned)
        );
        assert_eq!(signal_for(&assigned, AgentId(8)), None);
        let mut took = after.clone();
        took.lock = Some(crate::ticket::LockInfo {
            holder: AgentRef {
                id: AgentId(7),
                name: "Budi".into(),
            },
            expires_at: at(),
            since: None,
            idle_at: None,
        });
        let taken = ServerMessage::TicketUpdated {
            previous: Some(Box::new(Previous::between(&before, &took))),
            ticket: took,
            position: 5,
        };
        assert_eq!(signal(&taken), None, "Budi assigned it to himself");
        let mut retitled = after.clone();
        retitled.title = "Lampu jalan".into();
        let other = ServerMessage::TicketUpdated {
            previous: Some(Box::new(Previous::between(&after, &retitled))),
            ticket: retitled.clone(),
            position: 6,
        };
        assert_eq!(signal(&other), None, "the assignee did not change");
        let mut unassigned = retitled.clone();
        unassigned.assignee = None;
        let dropped = ServerMessage::TicketUpdated {
            previous: Some(Box::new(Previous::between(&retitled, &unassigned))),
            ticket: unassigned,
            position: 7,
        };
        assert_eq!(signal(&dropped), None, "unassigning calls nobody");
        assert_eq!(SignalKind::SlaWarning.as_str(), "sla_warning");
        let warned = ServerMessage::SlaWarning {
            ticket_id: TicketId(4),
            queue: QueueId::ORIGINAL,
            target: crate::sla::SlaTarget::FirstResponse,
            at: at(),
            position: 8,
        };
        assert_eq!(
            signal_for(&warned, AgentId(8)).map(|s| s.kind),
            Some(SignalKind::SlaWarning)
        );
        assert_eq!(serde_json::to_value(SignalKind::NewTicket).unwrap(), "new_ticket");
    }
}
