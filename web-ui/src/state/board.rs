//! The board: one view of the tickets (a [`TicketView`]: filters and an order), held a page at a time and
//! kept current by the WebSocket's broadcasts.
//!
//! The board asks the server for the first page of its view (`GetTickets`), then for the next page when
//! the agent scrolls to the end or clicks "Load more", each continuing from the last page's cursor. It
//! holds at most [`MAX_ROWS`] rows: appending a page beyond that drops the top rows (counted in
//! [`Board::above`], shown as "201–450 of 12,345"; "Back to the top" loads the first page again).
//!
//! Only one request is in flight at a time (answers carry no request id, and a session answers its
//! requests in order), so every `AllTickets` answers [`Board::in_flight`]; a view chosen meanwhile waits in
//! [`Board::wanted`] and an answer for a view no longer shown is dropped.
//!
//! Events apply on top of the first page's snapshot (`AllTickets.position`): events at or below it are in
//! it already and are skipped; events that arrive while a first page is on its way are held and applied
//! after it. A ticket that starts to match the view ([`TicketView::matches`]) takes its place by the
//! view's order ([`TicketView::cmp`]) and the total goes up; one that stops matching leaves and the total
//! goes down. A ticket that sorts above the held rows (their top was dropped) only counts; one that sorts
//! below the last loaded page arrives with a later page. Updates older than what is held are ignored,
//! so a late or repeated message never rolls a ticket back.
//!
//! A ticket the board does not hold: `TicketUpdated` carries the changed fields as they were
//! (`previous`), so the board rebuilds the ticket as it was and compares both with the view: the total
//! stays exact. Only events recorded before the server sent `previous` fall back to a guess (see
//! [`Board::member_before`]).

use loket_protocol::queue::Access;
use loket_protocol::ticket::{LockInfo, Ticket};
use loket_protocol::view::{Sort, TicketView};
use loket_protocol::ws::{ClientMessage, ServerMessage};
use loket_protocol::{AgentId, ApiError, ErrorCode, TicketId, Timestamp};
use std::cmp::Ordering;
use std::collections::HashMap;
use std::rc::Rc;
use yew::Reducible;

/// Rows asked for per page.
pub const PAGE_SIZE: u32 = 50;
/// Rows held (and so in the DOM) at most after a page is appended: the top rows beyond it are dropped.
pub const MAX_ROWS: usize = 250;
/// Events held at most while a first page is on its way; past that the page is asked for again.
const MAX_HELD: usize = 10_000;

/// Which page a request asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Fetch {
    First,
    /// The page after the one that answered with this cursor.
    Next(String),
}

/// A `GetTickets` the board wants sent, or has sent.
#[derive(Debug, Clone, PartialEq)]
pub struct PageRequest {
    /// Names the request within this board, so the hook sends each once.
    pub seq: u64,
    pub view: TicketView,
    pub fetch: Fetch,
}

impl PageRequest {
    /// The message to send.
    pub fn message(&self) -> ClientMessage {
        ClientMessage::GetTickets {
            view: self.view.clone(),
            limit: Some(PAGE_SIZE),
            cursor: match &self.fetch {
                Fetch::First => None,
                Fetch::Next(cursor) => Some(cursor.clone()),
            },
        }
    }
}

/// One view of the tickets, a few pages of it, plus bookkeeping the page uses.
#[derive(Debug, Clone, PartialEq)]
pub struct Board {
    /// The signed-in agent (the view's "me").
    pub me: AgentId,
    /// Which queues' tickets the agent sees (from the connection's `Welcome`); "My queues" is theirs.
    pub access: Access,
    /// The view shown (or, while its first page is on its way, about to be).
    pub view: TicketView,
    /// The rows held, in the view's order.
    pub rows: Vec<Ticket>,
    /// Rows of the view above `rows` that are not held (dropped pages, live arrivals above them).
    pub above: u64,
    /// How many tickets match the view.
    pub total: u64,
    /// False when `total` is only a lower bound (a search with more matches than the server counts):
    /// shown as "1,000+", and live events leave it as it is.
    pub total_exact: bool,
    /// Where the next page starts; `None` when the last page is held.
    pub next_cursor: Option<String>,
    /// Search words to highlight in the rows.
    pub terms: Vec<String>,
    /// True once a first page of `view` arrived.
    pub loaded: bool,
    /// How many first pages were loaded because the connection could not resume (after the first load).
    pub syncs: u32,
    /// Bumped on every message about a ticket: the page uses it to flash a row.
    pub revisions: HashMap<TicketId, u64>,
    /// The position of the last first page's snapshot.
    pub position: u64,
    /// A request to send once nothing is in flight.
    pub wanted: Option<PageRequest>,
    /// The request sent and not answered yet.
    pub in_flight: Option<PageRequest>,
    /// The last request the server refused.
    pub error: Option<ApiError>,
    /// Events that arrived while a first page was on its way.
    held: Vec<ServerMessage>,
    /// Held events were dropped (too many): the first page is asked for again.
    overflowed: bool,
    /// The next first page answers a reload (the connection could not resume).
    reloading: bool,
    next_seq: u64,
}

/// What can happen to the board.
#[derive(Debug, Clone)]
pub enum BoardAction {
    /// A message from the server, with the time it arrived (used as "locked since" for new locks).
    Server { msg: Rc<ServerMessage>, at: Timestamp },
    /// The page shows this view (from its URL): its first page, unless it is shown already.
    Show(TicketView),
    /// The next page (scrolled to the end, or "Load more").
    More,
    /// The first page again (after the top rows were dropped).
    Top,
    /// Views must load afresh (the connection could not resume): the first page again.
    Reload,
    /// The agent's access changed (role or queues): the first page again, without counting it as a
    /// failed resume.
    Refresh,
    /// A new connection: a request sent on the old one will not be answered.
    Reconnected,
    /// The hook sent the wanted request with this `seq`.
    Sent(u64),
    /// The request with this `seq` failed.
    Failed { seq: u64, error: ApiError },
    /// The connection's `Welcome` named the agent's access.
    Access(Access),
}

impl Board {
    /// A board for `me`, about to load the default view.
    pub fn new(me: AgentId) -> Board {
        Board {
            me,
            // Until the connection's Welcome says otherwise: the server sends only what the agent may
            // see, so nothing it sends is hidden meanwhile.
            access: Access {
                all: true,
                queues: Vec::new(),
            },
            view: TicketView::default(),
            rows: Vec::new(),
            above: 0,
            total: 0,
            total_exact: true,
            next_cursor: None,
            terms: Vec::new(),
            loaded: false,
            syncs: 0,
            revisions: HashMap::new(),
            position: 0,
            wanted: None,
            in_flight: None,
            error: None,
            held: Vec::new(),
            overflowed: false,
            reloading: false,
            next_seq: 1,
        }
    }

    /// True while a first page is wanted or on its way: events wait for it.
    pub fn loading_first(&self) -> bool {
        [&self.wanted, &self.in_flight]
            .into_iter()
            .flatten()
            .any(|r| r.fetch == Fetch::First)
    }

    /// True while the next page is wanted or on its way.
    pub fn loading_more(&self) -> bool {
        [&self.wanted, &self.in_flight]
            .into_iter()
            .flatten()
            .any(|r| matches!(r.fetch, Fetch::Next(_)))
    }

    /// The held row of a ticket.
    pub fn row(&self, id: TicketId) -> Option<&Ticket> {
        self.rows.iter().find(|t| t.id == id)
    }

    /// The first and last place of the held rows in the whole view (1-based), when any are held.
    pub fn range(&self) -> Option<(u64, u64)> {
        (!self.rows.is_empty()).then(|| (self.above + 1, self.above + self.rows.len() as u64))
    }

    /// One user or connection action.
    pub fn act(&mut self, action: BoardAction) {
        match action {
            BoardAction::Server { msg, at } => self.apply(&msg, at),
            BoardAction::Access(access) => self.access = access,
            BoardAction::Show(view) => {
                let shown = self.view == view && (self.loaded || self.loading_first());
                if !shown {
                    self.view = view;
                    self.want(Fetch::First);
                }
            }
            BoardAction::More => {
                if let Some(cursor) = self.next_cursor.clone()
                    && self.loaded
                    && self.wanted.is_none()
                    && self.in_flight.is_none()
                {
                    self.want(Fetch::Next(cursor));
                }
            }
            BoardAction::Top => self.want(Fetch::First),
            BoardAction::Refresh => {
                if !self.loaded && !self.loading_first() {
                    return;
                }
                self.in_flight = None;
                self.want(Fetch::First);
            }
            BoardAction::Reload => {
                if !self.loaded && !self.loading_first() {
                    return; // Nothing shown yet: the page asks when it opens.
                }
                self.reloading = true;
                // Whatever was sent on the old connection is not coming.
                self.in_flight = None;
                self.want(Fetch::First);
            }
            BoardAction::Reconnected => {
                if let Some(lost) = self.in_flight.take()
                    && self.wanted.is_none()
                {
                    self.wanted = Some(lost);
                }
            }
            BoardAction::Sent(seq) => {
                if self.wanted.as_ref().is_some_and(|w| w.seq == seq) {
                    self.in_flight = self.wanted.take();
                }
            }
            BoardAction::Failed { seq, error } => {
                if let Some(failed) = self.in_flight.take_if(|r| r.seq == seq) {
                    if error.code == ErrorCode::Unavailable {
                        // Not answered (the connection went): ask again once connected.
                        self.wanted.get_or_insert(failed);
                    } else {
                        self.error = Some(error);
                        self.loaded = true;
                    }
                }
            }
        }
    }

    /// Asks for a page of the current view; it replaces whatever was wanted before.
    fn want(&mut self, fetch: Fetch) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.wanted = Some(PageRequest {
            seq,
            view: self.view.clone(),
            fetch,
        });
    }

    /// Applies one server message.
    pub fn apply(&mut self, msg: &ServerMessage, at: Timestamp) {
        if let ServerMessage::AllTickets {
            tickets,
            total,
            total_exact,
            next_cursor,
            position,
            terms,
            ..
        } = msg
        {
            self.answered(tickets, (*total, *total_exact), next_cursor, *position, terms, at);
            return;
        }
        let Some(position) = msg.position() else { return };
        if position != 0 && position <= self.position {
            return;
        }
        if self.loading_first() {
            if self.held.len() >= MAX_HELD {
                self.held.clear();
                self.overflowed = true;
            }
            self.held.push(msg.clone());
            return;
        }
        self.event(msg, at);
    }

    /// An `AllTickets`: the answer to the request in flight.
    fn answered(
        &mut self,
        tickets: &[Ticket],
        (total, total_exact): (u64, bool),
        next_cursor: &Option<String>,
        position: u64,
        terms: &[String],
        at: Timestamp,
    ) {
        let Some(request) = self.in_flight.take() else { return };
        if request.view != self.view {
            return; // The agent chose another view meanwhile; its first page is wanted already.
        }
        match request.fetch {
            Fetch::First => {
                // Rows that changed while the board looked away flash; rows new to it do not.
                for ticket in tickets {
                    if self.row(ticket.id).is_some_and(|held| held != ticket) {
                        self.bump(ticket.id);
                    }
                }
                self.rows = tickets.to_vec();
                self.above = 0;
                self.total = total;
                self.total_exact = total_exact;
                self.next_cursor = next_cursor.clone();
                self.terms = terms.to_vec();
                self.position = position;
                self.error = None;
                if self.reloading && self.loaded {
                    self.syncs += 1;
                }
                self.reloading = false;
                self.loaded = true;
                if std::mem::take(&mut self.overflowed) {
                    self.held.clear();
                    self.want(Fetch::First);
                    return;
                }
                if !self.loading_first() {
                    let mut held = std::mem::take(&mut self.held);
                    held.sort_by_key(|m| m.position());
                    for msg in held {
                        if msg.position().is_some_and(|p| p == 0 || p > self.position) {
                            self.event(&msg, at);
                        }
                    }
                }
            }
            Fetch::Next(cursor) => {
                if self.next_cursor.as_deref() != Some(cursor.as_str()) {
                    return; // Not the continuation of what is held (a first page came in between).
                }
                for ticket in tickets {
                    match self.rows.iter_mut().find(|t| t.id == ticket.id) {
                        Some(held) => {
                            if ticket.version > held.version {
                                *held = ticket.clone();
                            }
                        }
                        None => self.rows.push(ticket.clone()),
                    }
                }
                self.total = total;
                self.total_exact = total_exact;
                self.next_cursor = next_cursor.clone();
                if self.rows.len() > MAX_ROWS {
                    let dropped = self.rows.len() - MAX_ROWS;
                    self.rows.drain(..dropped);
                    self.above += dropped as u64;
                }
            }
        }
    }

    /// A ticket entered (1) or left (-1) the view: the total follows, unless it is only a lower bound.
    fn count(&mut self, delta: i8) {
        if self.total_exact {
            self.total = if delta < 0 {
                self.total.saturating_sub(1)
            } else {
                self.total + 1
            };
        }
    }

    /// One broadcast event, on top of what is held.
    fn event(&mut self, msg: &ServerMessage, at: Timestamp) {
        let Some(id) = msg.ticket_id() else { return };
        let index = self.rows.iter().position(|t| t.id == id);
        match (msg, index) {
            (ServerMessage::CommentAdded { .. } | ServerMessage::AttachmentAdded { .. }, Some(i)) => {
                apply_to_ticket(&mut self.rows[i], msg, at);
                self.bump(id)
            }
            (ServerMessage::TicketCreated { ticket, .. } | ServerMessage::TicketUpdated { ticket, .. }, Some(i)) => {
                if ticket.version < self.rows[i].version || *ticket == self.rows[i] {
                    return;
                }
                self.rows.remove(i);
                let after = ticket.clone();
                self.bump(id);
                if self.view.matches(&after, self.me, &self.access) {
                    self.place(after, false);
                } else {
                    self.count(-1);
                }
            }
            (ServerMessage::TicketCreated { ticket, .. }, None) => {
                // New: it matched nothing before.
                if self.view.matches(ticket, self.me, &self.access) {
                    self.count(1);
                    self.bump(id);
                    self.place(ticket.clone(), true);
                }
            }
            (ServerMessage::TicketUpdated { ticket, previous, .. }, None) => {
                let now = self.view.matches(ticket, self.me, &self.access);
                let before = match previous {
                    Some(previous) => Some(self.view.matches(&previous.revert(ticket), self.me, &self.access)),
                    None => self.member_before(ticket),
                };
                match (before, now) {
                    (Some(false), true) => self.count(1),
                    (Some(true), false) => self.count(-1),
                    _ => {}
                }
                if now && self.place_of(ticket) == Place::Within {
                    self.bump(id);
                    self.place(ticket.clone(), false);
                }
            }
            (_, Some(i)) => {
                if apply_to_ticket(&mut self.rows[i], msg, at) {
                    self.bump(id);
                }
            }
            (_, None) => {}
        }
    }

    /// For an update recorded without its previous values (before the server sent them): whether a
    /// ticket the board does not hold matched the view before an update to `after`, when the board can
    /// tell: with an order that updates cannot change (newest, oldest), a ticket whose place
    /// is among the held rows would be held had it matched. Elsewhere, or when an update may have moved
    /// it (recently updated, priority, search rank), nobody here knows.
    pub fn member_before(&self, after: &Ticket) -> Option<bool> {
        (order_is_fixed(&self.view) && self.place_of(after) == Place::Within).then_some(false)
    }

    /// Where a ticket of the view falls relative to the held rows.
    fn place_of(&self, ticket: &Ticket) -> Place {
        let after_first = self.above == 0
            || self
                .rows
                .first()
                .is_some_and(|first| self.view.cmp(first, ticket) == Ordering::Less);
        if !after_first {
            return Place::Above;
        }
        let before_last = self.next_cursor.is_none()
            || self
                .rows
                .last()
                .is_some_and(|last| self.view.cmp(ticket, last) != Ordering::Greater);
        if before_last { Place::Within } else { Place::Below }
    }

    /// Puts a ticket of the view in its place: among the rows, counted above them, or (below the last
    /// loaded page) left for a later page. `counted_above` says whether one above is new to the total.
    fn place(&mut self, ticket: Ticket, new_above: bool) {
        match self.place_of(&ticket) {
            Place::Within => {
                let at = self
                    .rows
                    .partition_point(|held| self.view.cmp(held, &ticket) == Ordering::Less);
                self.rows.insert(at, ticket);
            }
            Place::Above => {
                if new_above {
                    self.above += 1;
                }
            }
            Place::Below => {}
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

/// True when no update can move a ticket within the view's order (it is by filing time).
fn order_is_fixed(view: &TicketView) -> bool {
    matches!(view.effective_sort(), Sort::Newest | Sort::Oldest)
}

/// Where a ticket of the view falls relative to the held rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// Above the first held row, whose predecessors were dropped.
    Above,
    /// Among the held rows (or after the last, when the last page is held).
    Within,
    /// After the last loaded page.
    Below,
}

impl Reducible for Board {
    type Action = BoardAction;

    fn reduce(self: Rc<Self>, action: BoardAction) -> Rc<Self> {
        let mut this = self;
        Rc::make_mut(&mut this).act(action);
        this
    }
}

/// Applies a ticket-level broadcast (`TicketUpdated`, `TicketLocked`, `TicketUnlocked`, the SLA clocks of
/// `CommentAdded`, `SlaBreached`) to one ticket.
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
                idle_at: None,
            };
            if ticket.lock.as_ref() == Some(&lock) {
                return false;
            }
            ticket.lock = Some(lock);
            true
        }
        ServerMessage::TicketUnlocked { ticket_id, .. } if *ticket_id == ticket.id => ticket.lock.take().is_some(),
        // An agent's first public reply met the first-response promise: the clocks as they now stand.
        ServerMessage::CommentAdded {
            ticket_id,
            sla: Some(clocks),
            ..
        } if *ticket_id == ticket.id => {
            let changed = ticket.sla != *clocks;
            ticket.sla = clocks.clone();
            changed
        }
        // The sweep recorded a breach: the clock shows it even before the next reload.
        ServerMessage::SlaBreached {
            ticket_id, target, at, ..
        } if *ticket_id == ticket.id => match ticket.sla.iter_mut().find(|c| c.target == *target) {
            Some(clock) if clock.breached_at.is_none() => {
                clock.breached_at = Some(*at);
                true
            }
            _ => false,
        },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::fixtures::{agent, at, ticket};
    use loket_protocol::ticket::{Status, UnlockReason};
    use loket_protocol::view::{StatusFilter, StatusGroup};

    const ME: AgentId = AgentId(7);

    /// Ticket `id`, filed at second `id` (so newest first is highest id first).
    fn filed(id: i64) -> Ticket {
        let mut t = ticket(id);
        t.created_at = at(id);
        t.updated_at = at(id);
        t
    }

    fn ids(board: &Board) -> Vec<i64> {
        board.rows.iter().map(|t| t.id.0).collect()
    }

    /// Sends what the board wants and answers it with `tickets` (newest first).
    fn answer(board: &mut Board, tickets: Vec<Ticket>, total: u64, next: Option<&str>, position: u64) {
        let seq = board.wanted.as_ref().expect("a request is wanted").seq;
        board.act(BoardAction::Sent(seq));
        assert!(board.in_flight.is_some());
        board.apply(
            &ServerMessage::AllTickets {
                tickets,
                total,
                total_exact: true,
                next_cursor: next.map(str::to_string),
                position,
                terms: vec![],
                unread: vec![],
            },
            at(0),
        );
    }

    /// Tickets `from` down to `to`, newest first.
    fn span(from: i64, to: i64) -> Vec<Ticket> {
        (to..=from).rev().map(filed).collect()
    }

    /// A board showing the default view's first page: tickets 1000 down to 951 of 1000.
    fn open_board() -> Board {
        let mut board = Board::new(ME);
        board.act(BoardAction::Show(TicketView::default()));
        answer(&mut board, span(1000, 951), 1000, Some("c951"), 10);
        board
    }

    fn created(t: Ticket, position: u64) -> ServerMessage {
        ServerMessage::TicketCreated { ticket: t, position }
    }

    fn updated(t: Ticket, position: u64) -> ServerMessage {
        ServerMessage::TicketUpdated {
            ticket: t,
            previous: None,
            position,
        }
    }

    /// `after` as the server sends it: with the fields that changed since `before`.
    fn changed(before: &Ticket, after: Ticket, position: u64) -> ServerMessage {
        ServerMessage::TicketUpdated {
            previous: Some(Box::new(loket_protocol::ticket::Previous::between(before, &after))),
            ticket: after,
            position,
        }
    }

    #[test]
    fn the_first_page_of_the_default_view_is_asked_for_and_shown() {
        let mut board = Board::new(ME);
        assert!(!board.loaded);
        board.act(BoardAction::Show(TicketView::default()));
        let wanted = board.wanted.clone().expect("wanted");
        assert_eq!(wanted.fetch, Fetch::First);
        assert_eq!(
            wanted.message(),
            ClientMessage::GetTickets {
                view: TicketView::default(),
                limit: Some(PAGE_SIZE),
                cursor: None
            }
        );
        answer(&mut board, span(1000, 951), 1000, Some("c951"), 10);
        assert!(board.loaded);
        assert_eq!(board.rows.len(), 50);
        assert_eq!(board.range(), Some((1, 50)));
        assert_eq!(board.total, 1000);
        assert_eq!(board.position, 10);
        assert_eq!(board.syncs, 0, "a first load is not a reload");
        // The same view again asks for nothing.
        board.act(BoardAction::Show(TicketView::default()));
        assert!(board.wanted.is_none());
    }

    #[test]
    fn next_pages_append_without_duplicates_and_far_pages_are_dropped() {
        let mut board = open_board();
        board.act(BoardAction::More);
        assert_eq!(
            board.wanted.as_ref().map(|w| w.fetch.clone()),
            Some(Fetch::Next("c951".into()))
        );
        // Only one request at a time.
        let seq = board.wanted.as_ref().unwrap().seq;
        board.act(BoardAction::Sent(seq));
        board.act(BoardAction::More);
        assert!(board.wanted.is_none());
        // The page repeats ticket 951 (it moved meanwhile, say): held once.
        board.wanted = board.in_flight.take();
        answer(&mut board, span(951, 901), 1000, Some("c901"), 12);
        assert_eq!(board.rows.len(), 100);
        let mut unique = ids(&board);
        unique.dedup();
        assert_eq!(unique.len(), 100);
        assert_eq!(board.position, 10, "a next page does not move the snapshot");
        // Four more pages: 300 rows seen, at most MAX_ROWS held, the top ones dropped and counted.
        for page in 0..4 {
            board.act(BoardAction::More);
            let top = 900 - page * 50;
            answer(&mut board, span(top, top - 49), 1000, Some("next"), 12);
            board.next_cursor = Some(format!("c{}", top - 49));
        }
        assert_eq!(board.rows.len(), MAX_ROWS);
        assert_eq!(board.above, 50);
        assert_eq!(board.range(), Some((51, 300)));
        assert_eq!(board.rows[0].id.0, 950);
        // Back to the top: the first page again.
        board.act(BoardAction::Top);
        answer(&mut board, span(1000, 951), 1000, Some("c951"), 20);
        assert_eq!(board.above, 0);
        assert_eq!(board.rows.len(), 50);
    }

    #[test]
    fn a_page_that_does_not_continue_the_rows_is_dropped() {
        let mut board = open_board();
        board.act(BoardAction::More);
        let seq = board.wanted.as_ref().unwrap().seq;
        board.act(BoardAction::Sent(seq));
        // The cursor moved on meanwhile (another first page came in between, say).
        board.next_cursor = Some("elsewhere".into());
        board.apply(
            &ServerMessage::AllTickets {
                tickets: span(950, 901),
                total: 1000,
                total_exact: true,
                next_cursor: Some("c901".into()),
                position: 12,
                terms: vec![],
                unread: vec![],
            },
            at(0),
        );
        assert_eq!(board.rows.len(), 50);
    }

    #[test]
    fn a_live_ticket_enters_at_the_top_and_counts() {
        let mut board = open_board();
        board.apply(&created(filed(1001), 11), at(0));
        assert_eq!(board.rows[0].id.0, 1001);
        assert_eq!(board.total, 1001);
        assert_eq!(board.range(), Some((1, 51)));
        // One the view does not show only passes by.
        let mut closed = filed(1002);
        closed.status = Status::Closed;
        board.apply(&created(closed, 12), at(0));
        assert_eq!(board.rows[0].id.0, 1001);
        assert_eq!(board.total, 1001);
        // One that sorts below the last loaded page counts, and arrives with a later page.
        let mut old = filed(5);
        old.id = TicketId(1003);
        board.apply(&created(old, 13), at(0));
        assert_eq!(board.total, 1002);
        assert!(board.row(TicketId(1003)).is_none());
    }

    #[test]
    fn tickets_enter_and_leave_as_they_start_or_stop_matching() {
        let mut board = open_board();
        // A held ticket is closed: it leaves the open-work view.
        let mut closed = filed(990);
        closed.version = 2;
        closed.status = Status::Closed;
        board.apply(&updated(closed.clone(), 11), at(0));
        assert!(board.row(TicketId(990)).is_none());
        assert_eq!(board.total, 999);
        assert_eq!(board.rows.len(), 49);
        // Reopened, it comes back in its place (by filing time) and counts again.
        let mut reopened = closed;
        reopened.version = 3;
        reopened.status = Status::Open;
        board.apply(&updated(reopened, 12), at(0));
        assert_eq!(board.total, 1000);
        let at_990 = ids(&board).iter().position(|id| *id == 990).expect("back");
        assert_eq!(at_990, 10);
        // A filter on the assignee: a ticket assigned to me elsewhere enters.
        let mut board = Board::new(ME);
        let mine = TicketView {
            assignee: Some(loket_protocol::view::AssigneeFilter::Me),
            ..TicketView::default()
        };
        board.act(BoardAction::Show(mine));
        let mut first = filed(20);
        first.assignee = Some(agent(7, "Ayu"));
        answer(&mut board, vec![first], 1, None, 5);
        let mut taken = filed(12);
        taken.version = 2;
        taken.assignee = Some(agent(7, "Ayu"));
        board.apply(&updated(taken.clone(), 6), at(0));
        assert_eq!(ids(&board), vec![20, 12]);
        assert_eq!(board.total, 2);
        // Given to someone else, it leaves.
        taken.version = 3;
        taken.assignee = Some(agent(8, "Budi"));
        board.apply(&updated(taken, 7), at(0));
        assert_eq!(ids(&board), vec![20]);
        assert_eq!(board.total, 1);
    }

    #[test]
    fn a_lower_bound_total_stays_as_the_server_said() {
        let mut board = Board::new(ME);
        board.act(BoardAction::Show(TicketView::default()));
        let seq = board.wanted.as_ref().expect("a request is wanted").seq;
        board.act(BoardAction::Sent(seq));
        board.apply(
            &ServerMessage::AllTickets {
                tickets: span(1000, 951),
                total: 1000,
                total_exact: false,
                next_cursor: Some("c951".into()),
                position: 10,
                terms: vec![],
                unread: vec![],
            },
            at(0),
        );
        assert!(!board.total_exact);
        // A new match appears in place, but "1,000+" does not become "1,001+" (nor fall on a leave).
        board.apply(&created(filed(1001), 11), at(0));
        assert_eq!(ids(&board)[0], 1001);
        assert_eq!(board.total, 1000);
        let mut closed = filed(1000);
        closed.version = 2;
        closed.status = Status::Closed;
        board.apply(&updated(closed, 12), at(0));
        assert_eq!(board.total, 1000);
        // The next first page says how it is now.
        board.act(BoardAction::Top);
        answer(&mut board, span(1001, 952), 420, None, 12);
        assert!(board.total_exact);
        assert_eq!(board.total, 420);
    }

    #[test]
    fn tickets_above_dropped_pages_only_count() {
        let mut board = open_board();
        board.above = 50;
        board.rows.drain(..10);
        board.apply(&created(filed(1001), 11), at(0));
        assert_eq!(board.total, 1001);
        assert_eq!(board.above, 51);
        assert!(board.row(TicketId(1001)).is_none());
    }

    #[test]
    fn an_update_with_its_previous_fields_keeps_the_total_exact_for_tickets_not_held() {
        let mut board = open_board();
        // Far below the loaded page: closed elsewhere, it leaves "open work".
        let before = filed(3);
        let mut closed = before.clone();
        closed.version = 2;
        closed.status = Status::Closed;
        board.apply(&changed(&before, closed.clone(), 11), at(0));
        assert_eq!(board.total, 999);
        // Reopened, it is back; a change that keeps it out (or in) changes nothing.
        let mut reopened = closed.clone();
        reopened.version = 3;
        reopened.status = Status::Open;
        board.apply(&changed(&closed, reopened.clone(), 12), at(0));
        assert_eq!(board.total, 1000);
        let mut retitled = reopened.clone();
        retitled.version = 4;
        retitled.title = "Another title".into();
        board.apply(&changed(&reopened, retitled, 13), at(0));
        assert_eq!(board.total, 1000);
        assert!(board.row(TicketId(3)).is_none(), "still below the loaded page");
    }

    #[test]
    fn an_update_the_board_cannot_place_leaves_the_total_alone() {
        let mut board = open_board();
        // Far below the loaded page, whether it matched before is unknown: no guess.
        let mut far = filed(3);
        far.version = 2;
        far.status = Status::Closed;
        board.apply(&updated(far, 11), at(0));
        assert_eq!(board.total, 1000);
        // Sorted among the held rows by filing time, not held: it did not match before, so it enters.
        let mut board = Board::new(ME);
        board.act(BoardAction::Show(TicketView::default()));
        answer(&mut board, vec![filed(30), filed(10)], 2, None, 5);
        let mut reopened = filed(20);
        reopened.version = 4;
        board.apply(&updated(reopened, 6), at(0));
        assert_eq!(ids(&board), vec![30, 20, 10]);
        assert_eq!(board.total, 3);
    }

    #[test]
    fn events_during_a_first_load_wait_for_it_and_those_it_holds_are_skipped() {
        let mut board = Board::new(ME);
        board.act(BoardAction::Show(TicketView::default()));
        let seq = board.wanted.as_ref().unwrap().seq;
        board.act(BoardAction::Sent(seq));
        // Two creations arrive before the answer: the snapshot (position 10) has the first.
        board.apply(&created(filed(11), 10), at(0));
        board.apply(&created(filed(12), 11), at(0));
        assert!(board.rows.is_empty());
        board.apply(
            &ServerMessage::AllTickets {
                tickets: vec![filed(11), filed(5)],
                total: 2,
                total_exact: true,
                next_cursor: None,
                position: 10,
                terms: vec![],
                unread: vec![],
            },
            at(0),
        );
        assert_eq!(ids(&board), vec![12, 11, 5]);
        assert_eq!(
            board.total, 3,
            "the held event counted once, the one in the snapshot not again"
        );
        // Later repeats of old positions change nothing.
        board.apply(&created(filed(11), 10), at(0));
        assert_eq!(board.total, 3);
    }

    #[test]
    fn an_answer_for_a_view_no_longer_shown_is_dropped() {
        let mut board = Board::new(ME);
        board.act(BoardAction::Show(TicketView::default()));
        let seq = board.wanted.as_ref().unwrap().seq;
        board.act(BoardAction::Sent(seq));
        let any = TicketView {
            status: StatusFilter::Group(StatusGroup::Any),
            ..TicketView::default()
        };
        board.act(BoardAction::Show(any.clone()));
        // The wanted view waits for the one in flight.
        assert!(board.wanted.is_some() && board.in_flight.is_some());
        board.apply(
            &ServerMessage::AllTickets {
                tickets: vec![filed(1)],
                total: 1,
                total_exact: true,
                next_cursor: None,
                position: 3,
                terms: vec![],
                unread: vec![],
            },
            at(0),
        );
        assert!(!board.loaded);
        assert!(board.rows.is_empty());
        let mut closed = filed(2);
        closed.status = Status::Closed;
        answer(&mut board, vec![closed, filed(1)], 2, None, 3);
        assert!(board.loaded);
        assert_eq!(board.view, any);
        assert_eq!(ids(&board), vec![2, 1]);
    }

    #[test]
    fn a_failed_resume_reloads_the_first_page_and_a_lost_request_is_sent_again() {
        let mut board = open_board();
        board.act(BoardAction::More);
        let seq = board.wanted.as_ref().unwrap().seq;
        board.act(BoardAction::Sent(seq));
        // The connection dropped and resumed: the request in flight is not coming, so it is wanted again.
        board.act(BoardAction::Reconnected);
        assert_eq!(board.wanted.as_ref().map(|w| w.seq), Some(seq));
        assert!(board.in_flight.is_none());
        // The server could not resume: the view's first page again, counted as a reload.
        board.act(BoardAction::Reload);
        assert_eq!(board.wanted.as_ref().map(|w| w.fetch.clone()), Some(Fetch::First));
        let mut changed = filed(1000);
        changed.version = 2;
        answer(&mut board, vec![changed, filed(999)], 998, None, 40);
        assert_eq!(board.syncs, 1);
        assert_eq!(board.total, 998);
        assert_eq!(board.position, 40);
        assert_eq!(board.revision(TicketId(1000)), 1, "changed: flashes");
        assert_eq!(board.revision(TicketId(999)), 0, "unchanged: does not");
        // Before the page was ever shown, a reload asks for nothing.
        let mut fresh = Board::new(ME);
        fresh.act(BoardAction::Reload);
        assert!(fresh.wanted.is_none());
    }

    #[test]
    fn refused_requests_show_their_error_and_unanswered_ones_are_asked_again() {
        let mut board = Board::new(ME);
        board.act(BoardAction::Show(TicketView::default()));
        let seq = board.wanted.as_ref().unwrap().seq;
        board.act(BoardAction::Sent(seq));
        board.act(BoardAction::Failed {
            seq,
            error: ApiError::new(ErrorCode::Unavailable, "gone"),
        });
        assert_eq!(board.wanted.as_ref().map(|w| w.seq), Some(seq));
        board.act(BoardAction::Sent(seq));
        board.act(BoardAction::Failed {
            seq,
            error: ApiError::new(ErrorCode::InvalidRequest, "bad view"),
        });
        assert!(board.wanted.is_none());
        assert_eq!(board.error.as_ref().map(|e| e.code), Some(ErrorCode::InvalidRequest));
    }

    #[test]
    fn stale_updates_never_roll_back_and_locks_come_and_go() {
        let mut board = open_board();
        let mut current = filed(1000);
        current.version = 5;
        current.status = Status::Pending;
        board.apply(&updated(current, 11), at(0));
        let mut old = filed(1000);
        old.version = 4;
        old.status = Status::Open;
        board.apply(&updated(old.clone(), 12), at(0));
        board.apply(&created(old, 13), at(0));
        assert_eq!(board.row(TicketId(1000)).unwrap().status, Status::Pending);
        assert_eq!(board.total, 1000);
        let lock = |secs: i64, position: u64| ServerMessage::TicketLocked {
            ticket_id: TicketId(1000),
            queue: loket_protocol::QueueId::ORIGINAL,
            holder: agent(7, "Ayu"),
            expires_at: at(secs + 30),
            since: None,
            position,
        };
        board.apply(&lock(0, 14), at(0));
        board.apply(&lock(20, 15), at(20));
        let held = board.row(TicketId(1000)).unwrap().lock.clone().expect("locked");
        assert_eq!(held.since, Some(at(0)));
        assert_eq!(held.expires_at, at(50));
        board.apply(
            &ServerMessage::TicketUnlocked {
                ticket_id: TicketId(1000),
                queue: loket_protocol::QueueId::ORIGINAL,
                reason: UnlockReason::Disconnected,
                by: None,
                message: None,
                position: 16,
            },
            at(0),
        );
        assert_eq!(board.row(TicketId(1000)).unwrap().lock, None);
        // Lock messages for tickets not held invent nothing.
        board.apply(&lock(0, 17), at(0));
        let mut lock_far = lock(0, 18);
        if let ServerMessage::TicketLocked { ticket_id, .. } = &mut lock_far {
            *ticket_id = TicketId(4);
        }
        board.apply(&lock_far, at(0));
        assert!(board.row(TicketId(4)).is_none());
    }

    #[test]
    fn sla_clocks_follow_the_first_reply_and_the_recorded_breach() {
        use loket_protocol::sla::{SlaClock, SlaState, SlaTarget};
        use loket_protocol::ticket::{Author, Comment};
        let running = |target, due| SlaClock {
            target,
            due_at: Some(at(due)),
            warn_at: Some(at(due / 2)),
            met_at: None,
            paused: false,
            left_secs: due,
            target_secs: due,
            breached_at: None,
        };
        let mut t = ticket(1);
        t.sla = vec![
            running(SlaTarget::FirstResponse, 60),
            running(SlaTarget::Resolution, 600),
        ];
        assert_eq!(t.sla[0].state(at(40)), SlaState::Warning);

        // The sweep's breach marks the clock; a second one changes nothing.
        let breach = ServerMessage::SlaBreached {
            ticket_id: TicketId(1),
            queue: loket_protocol::QueueId::ORIGINAL,
            target: SlaTarget::FirstResponse,
            at: at(60),
            position: 5,
        };
        assert!(apply_to_ticket(&mut t, &breach, at(61)));
        assert_eq!(t.sla[0].breached_at, Some(at(60)));
        assert_eq!(t.sla[0].state(at(61)), SlaState::Breached);
        assert!(!apply_to_ticket(&mut t, &breach, at(62)));

        // The first public reply carries the clocks it moved: they replace the held ones.
        let mut met = t.sla.clone();
        met[0].met_at = Some(at(70));
        let reply = ServerMessage::CommentAdded {
            ticket_id: TicketId(1),
            queue: loket_protocol::QueueId::ORIGINAL,
            comment: Comment {
                id: loket_protocol::CommentId(9),
                ticket_id: TicketId(1),
                author: Author::System,
                body: "Kami sedang menanganinya".into(),
                internal: false,
                created_at: at(70),
                attachments: vec![],
            },
            position: 6,
            sla: Some(met.clone()),
        };
        assert!(apply_to_ticket(&mut t, &reply, at(70)));
        assert_eq!(t.sla, met);
        // A comment without clocks leaves them.
        let plain = match reply {
            ServerMessage::CommentAdded {
                sla: _,
                ticket_id,
                queue,
                comment,
                position,
            } => ServerMessage::CommentAdded {
                ticket_id,
                queue,
                comment,
                position,
                sla: None,
            },
            _ => unreachable!(),
        };
        assert!(!apply_to_ticket(&mut t, &plain, at(71)));
        assert_eq!(t.sla, met);
    }
}
