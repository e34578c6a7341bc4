//! The live board: every ticket, kept current by the WebSocket's broadcasts.
//!
//! `AllTickets` (the answer to `GetTickets`, sent at the first connect and when a reconnect could not
//! resume) replaces the whole set; broadcasts then change single tickets in place. Events at or below the
//! snapshot's position are in it already and are skipped; updates older than what we hold are ignored,
//! so a late or repeated message never rolls a ticket back.

use loket_protocol::TicketId;
use loket_protocol::Timestamp;
use loket_protocol::ticket::{LockInfo, Ticket};
use loket_protocol::ws::ServerMessage;
use std::collections::HashMap;
use std::rc::Rc;
use yew::Reducible;

/// Every ticket the agent can see, plus bookkeeping the views use.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Board {
    pub tickets: HashMap<TicketId, Ticket>,
    /// True once the first `AllTickets` arrived.
    pub loaded: bool,
    /// How many full synchronisations (`AllTickets`) were applied.
    pub syncs: u32,
    /// Bumped on every message about a ticket: views use it to re-fetch history or flash a row.
    pub revisions: HashMap<TicketId, u64>,
    /// The position the last `AllTickets` included.
    pub position: u64,
}

/// What can happen to the board.
#[derive(Debug, Clone)]
pub enum BoardAction {
    /// A message from the server, with the time it arrived (used as "locked since" for new locks).
    Server { msg: Rc<ServerMessage>, at: Timestamp },
}

impl Board {
    /// Applies one server message.
    pub fn apply(&mut self, msg: &ServerMessage, at: Timestamp) {
        if msg.position().is_some_and(|at| at != 0 && at <= self.position) {
            return;
        }
        match msg {
            ServerMessage::AllTickets { tickets, position, .. } => {
                let fresh: HashMap<TicketId, Ticket> = tickets.iter().map(|t| (t.id, t.clone())).collect();
                for (id, ticket) in &fresh {
                    if self.tickets.get(id) != Some(ticket) {
                        self.bump(*id);
                    }
                }
                self.tickets = fresh;
                self.loaded = true;
                self.syncs += 1;
                self.position = *position;
            }
            ServerMessage::TicketCreated { ticket, .. } => {
                let newer = self
                    .tickets
                    .get(&ticket.id)
                    .is_none_or(|held| ticket.version >= held.version);
                if newer {
                    self.tickets.insert(ticket.id, ticket.clone());
                }
                self.bump(ticket.id);
            }
            ServerMessage::CommentAdded { ticket_id, .. } | ServerMessage::AttachmentAdded { ticket_id, .. } => {
                self.bump(*ticket_id)
            }
            other => {
                let Some(id) = other.ticket_id() else { return };
                if let Some(ticket) = self.tickets.get_mut(&id) {
                    if apply_to_ticket(ticket, other, at) {
                        self.bump(id);
                    }
                } else if let ServerMessage::TicketUpdated { ticket, .. } = other {
                    // An update for a ticket we never saw (it was created while we were resyncing).
                    self.tickets.insert(ticket.id, ticket.clone());
                    self.bump(id);
                }
            }
        }
    }

    fn bump(&mut self, id: TicketId) {
        *self.revisions.entry(id).or_default() += 1;
    }

    /// The revision counter of one ticket (0 when nothing happened to it yet).
    #[cfg(test)]
    pub fn revision(&self, id: TicketId) -> u64 {
        self.revisions.get(&id).copied().unwrap_or(0)
    }
}

impl Reducible for Board {
    type Action = BoardAction;

    fn reduce(self: Rc<Self>, action: BoardAction) -> Rc<Self> {
        let mut this = self;
        let BoardAction::Server { msg, at } = action;
        Rc::make_mut(&mut this).apply(&msg, at);
        this
    }
}

/// Applies a ticket-level broadcast (`TicketUpdated`, `TicketLocked`, `TicketUnlocked`) to one ticket.
/// Returns whether anything changed. Stale updates (an older version) are ignored.
pub fn apply_to_ticket(ticket: &mut Ticket, msg: &ServerMessage, at: Timestamp) -> bool {
    match msg {
        ServerMessage::TicketUpdated { ticket: fresh, .. } if fresh.id == ticket.id => {
            if fresh.version < ticket.version || *fresh == *ticket {
                return false;
            }
            *ticket = fresh.clone();
            true
        }
        ServerMessage::TicketLocked {
            ticket_id,
            holder,
            expires_at,
            since: sent_since,
            ..
        } if *ticket_id == ticket.id => {
            // The server says since when; without it, a renewal by the same holder keeps the known
            // "since", and a new holder's starts now.
            let since = sent_since.or(match &ticket.lock {
                Some(lock) if lock.holder.id == holder.id => lock.since.or(Some(at)),
                _ => Some(at),
            });
            let lock = LockInfo {
                holder: holder.clone(),
                expires_at: *expires_at,
                since,
            };
            if ticket.lock.as_ref() == Some(&lock) {
                return false;
            }
            ticket.lock = Some(lock);
            true
        }
        ServerMessage::TicketUnlocked { ticket_id, .. } if *ticket_id == ticket.id => ticket.lock.take().is_some(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::fixtures::{agent, at, ticket};
    use loket_protocol::ticket::{Status, UnlockReason};

    fn server(board: &mut Board, msg: ServerMessage) {
        board.apply(&msg, at(0));
    }

    #[test]
    fn all_tickets_replaces_the_set_and_marks_loaded() {
        let mut board = Board::default();
        server(
            &mut board,
            ServerMessage::TicketCreated {
                ticket: ticket(9),
                position: 0,
            },
        );
        server(
            &mut board,
            ServerMessage::AllTickets {
                total: 0,
                next_cursor: None,
                terms: Vec::new(),
                tickets: vec![ticket(1), ticket(2)],
                position: 0,
            },
        );
        assert!(board.loaded);
        assert_eq!(board.syncs, 1);
        let mut ids: Vec<_> = board.tickets.keys().map(|id| id.0).collect();
        ids.sort();
        assert_eq!(ids, vec![1, 2]);
    }

    #[test]
    fn created_tickets_appear_and_updates_change_them_in_place() {
        let mut board = Board::default();
        server(
            &mut board,
            ServerMessage::AllTickets {
                total: 0,
                next_cursor: None,
                terms: Vec::new(),
                tickets: vec![],
                position: 0,
            },
        );
        server(
            &mut board,
            ServerMessage::TicketCreated {
                ticket: ticket(1),
                position: 0,
            },
        );
        assert_eq!(board.tickets[&TicketId(1)].status, Status::New);
        let mut changed = ticket(1);
        changed.version = 2;
        changed.status = Status::Open;
        server(
            &mut board,
            ServerMessage::TicketUpdated {
                ticket: changed,
                position: 0,
            },
        );
        assert_eq!(board.tickets[&TicketId(1)].status, Status::Open);
        assert_eq!(board.revision(TicketId(1)), 2);
    }

    #[test]
    fn stale_updates_never_roll_back() {
        let mut board = Board::default();
        let mut current = ticket(1);
        current.version = 5;
        current.status = Status::Pending;
        server(
            &mut board,
            ServerMessage::AllTickets {
                total: 0,
                next_cursor: None,
                terms: Vec::new(),
                tickets: vec![current],
                position: 0,
            },
        );
        let mut old = ticket(1);
        old.version = 4;
        old.status = Status::Open;
        server(
            &mut board,
            ServerMessage::TicketUpdated {
                ticket: old.clone(),
                position: 0,
            },
        );
        server(
            &mut board,
            ServerMessage::TicketCreated {
                ticket: old,
                position: 0,
            },
        );
        assert_eq!(board.tickets[&TicketId(1)].status, Status::Pending);
        assert_eq!(board.tickets[&TicketId(1)].version, 5);
    }

    #[test]
    fn locks_come_and_go_and_renewals_keep_since() {
        let mut board = Board::default();
        server(
            &mut board,
            ServerMessage::AllTickets {
                total: 0,
                next_cursor: None,
                terms: Vec::new(),
                tickets: vec![ticket(1)],
                position: 0,
            },
        );
        let lock = |secs: i64| ServerMessage::TicketLocked {
            ticket_id: TicketId(1),
            holder: agent(7, "Ayu"),
            expires_at: at(secs + 30),
            since: None,
            position: 0,
        };
        board.apply(&lock(0), at(0));
        board.apply(&lock(20), at(20));
        let held = board.tickets[&TicketId(1)].lock.clone().expect("locked");
        assert_eq!(held.holder.name, "Ayu");
        assert_eq!(held.since, Some(at(0)));
        assert_eq!(held.expires_at, at(50));
        server(
            &mut board,
            ServerMessage::TicketUnlocked {
                ticket_id: TicketId(1),
                reason: UnlockReason::Disconnected,
                by: None,
                message: None,
                position: 0,
            },
        );
        assert_eq!(board.tickets[&TicketId(1)].lock, None);
    }

    #[test]
    fn an_update_for_an_unknown_ticket_adds_it() {
        let mut board = Board::default();
        server(
            &mut board,
            ServerMessage::AllTickets {
                total: 0,
                next_cursor: None,
                terms: Vec::new(),
                tickets: vec![],
                position: 0,
            },
        );
        server(
            &mut board,
            ServerMessage::TicketUpdated {
                ticket: ticket(3),
                position: 0,
            },
        );
        assert!(board.tickets.contains_key(&TicketId(3)));
        // Lock messages for unknown tickets are ignored rather than inventing a ticket.
        server(
            &mut board,
            ServerMessage::TicketLocked {
                ticket_id: TicketId(4),
                holder: agent(1, "A"),
                expires_at: at(9),
                since: None,
                position: 0,
            },
        );
        assert!(!board.tickets.contains_key(&TicketId(4)));
    }

    #[test]
    fn events_the_snapshot_already_holds_are_skipped() {
        let mut board = Board::default();
        let mut current = ticket(1);
        current.lock = None;
        server(
            &mut board,
            ServerMessage::AllTickets {
                total: 0,
                next_cursor: None,
                terms: Vec::new(),
                tickets: vec![current],
                position: 10,
            },
        );
        // A lock taken and released before the snapshot, arriving after it: no flicker.
        let locked = ServerMessage::TicketLocked {
            ticket_id: TicketId(1),
            holder: agent(7, "Ayu"),
            expires_at: at(30),
            since: None,
            position: 9,
        };
        server(&mut board, locked);
        assert_eq!(board.tickets[&TicketId(1)].lock, None);
        assert_eq!(board.revision(TicketId(1)), 1, "only the snapshot touched it");
        // Later events apply.
        let locked = ServerMessage::TicketLocked {
            ticket_id: TicketId(1),
            holder: agent(7, "Ayu"),
            expires_at: at(30),
            since: None,
            position: 11,
        };
        server(&mut board, locked);
        assert!(board.tickets[&TicketId(1)].lock.is_some());
    }

    #[test]
    fn resync_bumps_only_changed_tickets() {
        let mut board = Board::default();
        server(
            &mut board,
            ServerMessage::AllTickets {
                total: 0,
                next_cursor: None,
                terms: Vec::new(),
                tickets: vec![ticket(1), ticket(2)],
                position: 0,
            },
        );
        let mut changed = ticket(2);
        changed.version = 2;
        server(
            &mut board,
            ServerMessage::AllTickets {
                total: 0,
                next_cursor: None,
                terms: Vec::new(),
                tickets: vec![ticket(1), changed],
                position: 0,
            },
        );
        assert_eq!(board.revision(TicketId(1)), 1);
        assert_eq!(board.revision(TicketId(2)), 2);
        assert_eq!(board.syncs, 2);
    }
}
