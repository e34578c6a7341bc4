//! Finds the actor for a ticket, starting it on demand, and keeps the board of current locks for list views.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use actix::dev::Request;
use actix::prelude::*;
use loket_protocol::TicketId;
use loket_protocol::ticket::{LockInfo, Ticket};

use crate::actors::ticket::TicketActor;
use crate::db::Pool;
use crate::domain::lease::LeaseTerms;
use crate::event_log::EventLog;
use crate::outbox::OutboxSignal;

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

    /// How many tickets are locked.
    pub fn count(&self) -> usize {
        self.0.read().unwrap_or_else(|e| e.into_inner()).len()
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
///
/// Every request to a ticket actor is enqueued under the registry's lock and counted as in flight until
/// its answer is taken. An idle actor stops only through [`Registry::retire`], which removes it under the
/// same lock and only while nothing is in flight: so no request can be caught in a stopping actor's
/// mailbox, and one client's requests to one ticket keep their order.
#[derive(Clone)]
pub struct Registry {
    actors: Arc<Mutex<HashMap<TicketId, Entry>>>,
    arbiter: ArbiterHandle,
    deps: TicketDeps,
}

/// What every ticket actor is handed: the database, the event log (its way to the bus), the shared lock
/// board, the lease terms, the outbox signal and the instance it runs in. Cheap to clone.
#[derive(Clone)]
pub struct TicketDeps {
    pub pool: Pool,
    pub log: EventLog,
    pub board: LockBoard,
    pub terms: LeaseTerms,
    pub outbox: OutboxSignal,
    /// This process's instance (`None`: a program that does not register, such as `loket demo`).
    pub instance: Option<crate::cluster::InstanceId>,
}

struct Entry {
    addr: Addr<TicketActor>,
    in_flight: Arc<AtomicUsize>,
}

/// A request counted as in flight until this is dropped.
pub struct InFlight(Arc<AtomicUsize>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// When the map holds this many entries, stopped actors are swept out of it.
const SWEEP_AT: usize = 4096;

impl Registry {
    /// Ticket actors run on `arbiter`; each waits on its own database I/O without blocking the others.
    pub fn new(arbiter: ArbiterHandle, deps: TicketDeps) -> Self {
        Registry {
            actors: Arc::default(),
            arbiter,
            deps,
        }
    }

    fn entry<'m>(&self, actors: &'m mut HashMap<TicketId, Entry>, id: TicketId) -> &'m Entry {
        let running = actors.get(&id).is_some_and(|e| e.addr.connected());
        if !running {
            if actors.len() >= SWEEP_AT {
                actors.retain(|_, e| e.addr.connected());
            }
            let (deps, registry) = (self.deps.clone(), self.clone());
            let addr = TicketActor::start_in_arbiter(&self.arbiter, move |_| TicketActor::new(id, deps, registry));
            actors.insert(
                id,
                Entry {
                    addr,
                    in_flight: Arc::default(),
                },
            );
        }
        // Present: found running above, or inserted just now.
        &actors[&id]
    }

    /// Enqueues `msg` for ticket `id`'s actor, starting it if needed; the request counts as in flight
    /// until the returned guard is dropped.
    pub fn send<M>(&self, id: TicketId, msg: M) -> (Addr<TicketActor>, Request<TicketActor, M>, InFlight)
    where
        M: Message + Send + 'static,
        M::Result: Send,
        TicketActor: Handler<M>,
    {
        let mut actors = self.actors.lock().unwrap_or_else(|e| e.into_inner());
        let entry = self.entry(&mut actors, id);
        entry.in_flight.fetch_add(1, Ordering::SeqCst);
        let request = entry.addr.send(msg);
        (entry.addr.clone(), request, InFlight(entry.in_flight.clone()))
    }

    /// Enqueues a message nobody waits for. Only for messages that matter while the actor holds a lease
    /// (an actor with a lease is never retired).
    pub fn do_send<M>(&self, id: TicketId, msg: M)
    where
        M: Message + Send + 'static,
        M::Result: Send,
        TicketActor: Handler<M>,
    {
        let mut actors = self.actors.lock().unwrap_or_else(|e| e.into_inner());
        self.entry(&mut actors, id).addr.do_send(msg);
    }

    /// How many ticket actors are running (for tests and metrics).
    pub fn live(&self) -> usize {
        let actors = self.actors.lock().unwrap_or_else(|e| e.into_inner());
        actors.values().filter(|e| e.addr.connected()).count()
    }

    /// Forgets `addr` for `id` if it is still the one on record (it stopped while a message was sent).
    pub fn evict(&self, id: TicketId, addr: &Addr<TicketActor>) {
        let mut actors = self.actors.lock().unwrap_or_else(|e| e.into_inner());
        if actors.get(&id).is_some_and(|e| e.addr == *addr) {
            actors.remove(&id);
        }
    }

    /// Asked by an idle actor: true (and forgotten) if it may stop, i.e. at most `own` requests, those it
    /// is answering right now, are in flight. An actor no longer on record may always stop.
    pub fn retire(&self, id: TicketId, addr: &Addr<TicketActor>, own: usize) -> bool {
        let mut actors = self.actors.lock().unwrap_or_else(|e| e.into_inner());
        match actors.get(&id) {
            Some(entry) if entry.addr == *addr => {
                if entry.in_flight.load(Ordering::SeqCst) > own {
                    return false;
                }
                actors.remove(&id);
                true
            }
            _ => true,
        }
    }
}
