//! Finds the actor for a ticket, starting it on demand, and keeps the board of current locks for list views.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use actix::prelude::*;
use loket_protocol::TicketId;
use loket_protocol::ticket::{LockInfo, Ticket};

use crate::actors::bus::EventBus;
use crate::actors::ticket::TicketActor;
use crate::db::Pool;
use crate::domain::lease::LeaseTerms;

/// Current locks by ticket, written only by ticket actors and read by list and detail views.
#[derive(Clone, Default)]
pub struct LockBoard(Arc<RwLock<HashMap<TicketId, LockInfo>>>);

impl LockBoard {
    pub fn set(&self, id: TicketId, lock: Option<LockInfo>) {
        // A poisoned lock means a panic while holding a plain map insert; the map is still consistent.
        let mut map = self.0.write().unwrap_or_else(|e| e.into_inner());
        match lock {
            Some(info) => map.insert(id, info),
            None => map.remove(&id),
        };
    }

    pub fn get(&self, id: TicketId) -> Option<LockInfo> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).get(&id).cloned()
    }

    /// Fills in `lock` on each ticket.
    pub fn annotate(&self, tickets: &mut [Ticket]) {
        let map = self.0.read().unwrap_or_else(|e| e.into_inner());
        for ticket in tickets {
            ticket.lock = map.get(&ticket.id).cloned();
        }
    }
}

/// Starts and finds ticket actors. Cheap to clone.
#[derive(Clone)]
pub struct Registry {
    actors: Arc<Mutex<HashMap<TicketId, Addr<TicketActor>>>>,
    arbiter: ArbiterHandle,
    pool: Pool,
    bus: Addr<EventBus>,
    board: LockBoard,
    terms: LeaseTerms,
}

/// When the map holds this many entries, stopped actors are swept out of it.
const SWEEP_AT: usize = 4096;

impl Registry {
    /// Ticket actors run on `arbiter`; each waits on its own database I/O without blocking the others.
    pub fn new(arbiter: ArbiterHandle, pool: Pool, bus: Addr<EventBus>, board: LockBoard, terms: LeaseTerms) -> Self {
        Registry {
            actors: Arc::default(),
            arbiter,
            pool,
            bus,
            board,
            terms,
        }
    }

    /// The running actor for `id`, started if there is none.
    pub fn get(&self, id: TicketId) -> Addr<TicketActor> {
        let mut actors = self.actors.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(addr) = actors.get(&id)
            && addr.connected()
        {
            return addr.clone();
        }
        if actors.len() >= SWEEP_AT {
            actors.retain(|_, addr| addr.connected());
        }
        let (pool, bus, board, terms) = (self.pool.clone(), self.bus.clone(), self.board.clone(), self.terms);
        let addr = TicketActor::start_in_arbiter(&self.arbiter, move |_| TicketActor::new(id, pool, bus, board, terms));
        actors.insert(id, addr.clone());
        addr
    }

    /// Forgets `addr` for `id` if it is still the one on record (it stopped while a message was sent).
    pub fn evict(&self, id: TicketId, addr: &Addr<TicketActor>) {
        let mut actors = self.actors.lock().unwrap_or_else(|e| e.into_inner());
        if actors.get(&id) == Some(addr) {
            actors.remove(&id);
        }
    }
}
