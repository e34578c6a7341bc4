//! Attention signals as the agent sees them: which tickets are unread for them (the board's markers, the
//! count in the tab title) and what to tell them when a signal arrives (a toast, and when they opted in, a
//! sound and a browser notification). docs/attention.md.
//!
//! Which events signal is one rule shared with the server (`loket_protocol::attention`). The server stores
//! what is unread per agent; this holds what the client has learnt of it: the rows of every `AllTickets`
//! page say which of them are unread, live signals add, `TicketRead` (this agent read it, in any tab)
//! removes. A signal about the ticket the agent has open is read at once (the page sends `MarkRead`).

use loket_protocol::attention::{Signal, SignalKind, signal_for};
use loket_protocol::ticket::Ticket;
use loket_protocol::ws::{ClientMessage, ServerMessage};
use loket_protocol::{AgentId, TicketId};
use std::collections::{BTreeSet, HashMap};

/// What the client does about a server message.
#[derive(Debug, Clone, PartialEq)]
pub enum Reaction {
    /// Tell the agent: a toast linking the ticket (and, when opted in, a sound and a browser notification).
    Tell(Call),
    /// The agent has the ticket open: it is read at once.
    Send(ClientMessage),
}

/// One signal told to the agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub ticket: TicketId,
    pub kind: SignalKind,
    /// The toast's text, e.g. "New ticket TKT-0042: Lampu mati".
    pub text: String,
}

/// The agent's unread tickets as far as this client knows.
#[derive(Debug, Clone, PartialEq)]
pub struct Attention {
    pub me: AgentId,
    /// Tickets with a signal the agent has not read.
    pub unread: BTreeSet<TicketId>,
    /// The ticket page shown, if any.
    pub open: Option<TicketId>,
    /// Titles of tickets seen in pages and events, for the toasts of events that carry none.
    titles: HashMap<TicketId, String>,
}

impl Attention {
    pub fn new(me: AgentId) -> Attention {
        Attention {
            me,
            unread: BTreeSet::new(),
            open: None,
            titles: HashMap::new(),
        }
    }

    fn remember(&mut self, ticket: &Ticket) {
        self.titles.insert(ticket.id, ticket.title.clone());
    }

    /// Applies a server message; answers what to do about it.
    pub fn on_server(&mut self, message: &ServerMessage) -> Option<Reaction> {
        match message {
            ServerMessage::AllTickets { tickets, unread, .. } => {
                // The page is the server's word on its rows; others keep what was learnt.
                for ticket in tickets {
                    self.remember(ticket);
                    if unread.contains(&ticket.id) && self.open != Some(ticket.id) {
                        self.unread.insert(ticket.id);
                    } else {
                        self.unread.remove(&ticket.id);
                    }
                }
                return None;
            }
            ServerMessage::TicketRead {
                ticket_id, agent_id, ..
            } => {
                if *agent_id == self.me {
                    self.unread.remove(ticket_id);
                }
                return None;
            }
            ServerMessage::TicketCreated { ticket, .. } | ServerMessage::TicketUpdated { ticket, .. } => {
                self.remember(ticket);
            }
            _ => {}
        }
        let signal = signal_for(message, self.me)?;
        if self.open == Some(signal.ticket) {
            return Some(Reaction::Send(ClientMessage::MarkRead {
                ticket_id: signal.ticket,
            }));
        }
        self.unread.insert(signal.ticket);
        Some(Reaction::Tell(Call {
            ticket: signal.ticket,
            kind: signal.kind,
            text: self.text(&signal),
        }))
    }

    /// The agent opened ticket `ticket`: read (the page sends `MarkRead`).
    pub fn opened(&mut self, ticket: TicketId) {
        self.open = Some(ticket);
        self.unread.remove(&ticket);
    }

    /// The agent left ticket page `ticket`.
    pub fn closed(&mut self, ticket: TicketId) {
        if self.open == Some(ticket) {
            self.open = None;
        }
    }

    fn text(&self, signal: &Signal) -> String {
        let key = signal.ticket.key();
        let what = match signal.kind {
            SignalKind::NewTicket => "New ticket",
            SignalKind::ReporterReply => "Reporter replied on",
            SignalKind::Assigned => "Assigned to you:",
            SignalKind::SlaWarning => "SLA warning on",
            SignalKind::SlaBreached => "SLA breached on",
        };
        match self.titles.get(&signal.ticket) {
            Some(title) => format!("{what} {key}: {title}"),
            None => format!("{what} {key}"),
        }
    }
}

/// The tab title: `base` with the unread count in front, e.g. "(3) Loket".
pub fn tab_title(count: usize, base: &str) -> String {
    match count {
        0 => base.to_string(),
        n => format!("({n}) {base}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::fixtures;
    use loket_protocol::ReporterId;
    use loket_protocol::ids::CommentId;
    use loket_protocol::ticket::{AgentRef, Author, Comment, Previous};

    const ME: AgentId = AgentId(1);

    fn ticket(id: i64, title: &str) -> Ticket {
        Ticket {
            title: title.to_string(),
            ..fixtures::ticket(id)
        }
    }

    fn page(tickets: Vec<Ticket>, unread: Vec<TicketId>) -> ServerMessage {
        ServerMessage::AllTickets {
            tickets,
            total: 0,
            total_exact: true,
            next_cursor: None,
            position: 1,
            terms: vec![],
            unread,
        }
    }

    fn reply(id: i64, author: Author) -> ServerMessage {
        let at = fixtures::at(0);
        ServerMessage::CommentAdded {
            ticket_id: TicketId(id),
            queue: loket_protocol::QueueId::ORIGINAL,
            comment: Comment {
                id: CommentId(1),
                ticket_id: TicketId(id),
                author,
                body: "masih mati".into(),
                internal: false,
                created_at: at,
                attachments: Vec::new(),
            },
            sla: None,
            position: 9,
        }
    }

    #[test]
    fn a_page_says_which_of_its_rows_are_unread_and_keeps_the_rest() {
        let mut attention = Attention::new(ME);
        attention.on_server(&page(vec![ticket(1, "a"), ticket(2, "b")], vec![TicketId(2)]));
        assert_eq!(attention.unread, BTreeSet::from([TicketId(2)]));
        attention.on_server(&page(vec![ticket(3, "c")], vec![TicketId(3)]));
        assert_eq!(attention.unread.len(), 2, "another page leaves ticket 2 as it was");
        attention.on_server(&page(vec![ticket(2, "b")], vec![]));
        assert_eq!(
            attention.unread,
            BTreeSet::from([TicketId(3)]),
            "read meanwhile, as the page says"
        );
        assert_eq!(tab_title(attention.unread.len(), "Loket"), "(1) Loket");
        assert_eq!(tab_title(0, "Loket"), "Loket");
    }

    #[test]
    fn a_new_ticket_is_told_and_counted_until_read() {
        let mut attention = Attention::new(ME);
        let created = ServerMessage::TicketCreated {
            ticket: ticket(42, "Lampu mati"),
            position: 3,
        };
        assert_eq!(
            attention.on_server(&created),
            Some(Reaction::Tell(Call {
                ticket: TicketId(42),
                kind: SignalKind::NewTicket,
                text: "New ticket TKT-0042: Lampu mati".into(),
            }))
        );
        assert!(attention.unread.contains(&TicketId(42)));
        let someone_else = ServerMessage::TicketRead {
            ticket_id: TicketId(42),
            agent_id: AgentId(2),
            position: 4,
        };
        assert_eq!(attention.on_server(&someone_else), None);
        assert!(
            attention.unread.contains(&TicketId(42)),
            "another agent's read is not mine"
        );
        let mine = ServerMessage::TicketRead {
            ticket_id: TicketId(42),
            agent_id: ME,
            position: 5,
        };
        attention.on_server(&mine);
        assert_eq!(attention.unread.len(), 0);
    }

    #[test]
    fn a_reply_names_the_ticket_title_it_knows_and_an_agents_comment_is_quiet() {
        let mut attention = Attention::new(ME);
        attention.on_server(&page(vec![ticket(7, "Jalan rusak")], vec![]));
        let reporter = Author::Reporter {
            id: ReporterId(3),
            name: "Siti".into(),
        };
        let Some(Reaction::Tell(call)) = attention.on_server(&reply(7, reporter.clone())) else {
            panic!("a reporter's reply is told");
        };
        assert_eq!(call.text, "Reporter replied on TKT-0007: Jalan rusak");
        assert_eq!(attention.on_server(&reply(8, reporter)).map(|_| ()), Some(()));
        assert_eq!(
            attention.on_server(&reply(9, Author::System)),
            None,
            "a system comment calls nobody"
        );
        let agents = Author::Agent {
            id: AgentId(2),
            name: "Ana".into(),
        };
        assert_eq!(attention.on_server(&reply(7, agents)), None);
        assert_eq!(attention.unread, BTreeSet::from([TicketId(7), TicketId(8)]));
    }

    #[test]
    fn a_signal_about_the_open_ticket_is_read_at_once() {
        let mut attention = Attention::new(ME);
        attention.on_server(&page(vec![ticket(5, "a")], vec![TicketId(5)]));
        attention.opened(TicketId(5));
        assert_eq!(attention.unread.len(), 0, "opening reads it");
        let reporter = Author::Reporter {
            id: ReporterId(3),
            name: "Siti".into(),
        };
        assert_eq!(
            attention.on_server(&reply(5, reporter.clone())),
            Some(Reaction::Send(ClientMessage::MarkRead { ticket_id: TicketId(5) }))
        );
        assert_eq!(attention.unread.len(), 0);
        attention.on_server(&page(vec![ticket(5, "a")], vec![TicketId(5)]));
        assert_eq!(
            attention.unread.len(),
            0,
            "a page from before the read does not mark the open ticket"
        );
        attention.closed(TicketId(5));
        assert!(matches!(
            attention.on_server(&reply(5, reporter)),
            Some(Reaction::Tell(_))
        ));
        assert_eq!(attention.unread.len(), 1);
    }

    #[test]
    fn an_assignment_is_told_to_the_assignee_only() {
        let mut attention = Attention::new(ME);
        let before = ticket(4, "Lampu");
        let mut after = before.clone();
        after.assignee = Some(AgentRef {
            id: AgentId(2),
            name: "Budi".into(),
        });
        let to_budi = ServerMessage::TicketUpdated {
            previous: Some(Box::new(Previous::between(&before, &after))),
            ticket: after.clone(),
            position: 5,
        };
        assert_eq!(attention.on_server(&to_budi), None);
        let mut mine = after.clone();
        mine.assignee = Some(AgentRef {
            id: ME,
            name: "Ana".into(),
        });
        let to_me = ServerMessage::TicketUpdated {
            previous: Some(Box::new(Previous::between(&after, &mine))),
            ticket: mine,
            position: 6,
        };
        let Some(Reaction::Tell(call)) = attention.on_server(&to_me) else {
            panic!("assigned to me");
        };
        assert_eq!(call.text, "Assigned to you: TKT-0004: Lampu");
    }
}
