//! The event log as the core uses it: every event broadcast to sessions takes a position in its change's
//! transaction and is released to the bus strictly in position order ([`domain::reorder`]); the released
//! watermark; reading history back for `Resume`; and pruning old history.
//!
//! A writer [`EventLog::reserve`]s a [`Slot`] just before the statement that takes its position, tells the
//! slot the position when the statement answers, and after COMMIT hands it the event
//! ([`Slot::publish`]). A slot dropped unpublished is abandoned (the transaction rolled back or failed),
//! so no error path can hold the bus back. A slot whose COMMIT was cut off stays open until the writer
//! has found out what committed.
//!
//! With several instances on one database (`loket serve` always runs so, [`EventLog::follow`]), the bus
//! is fed by one reader per process instead: it `LISTEN`s on [`CHANNEL`] (woken by a `NOTIFY` sent after
//! each commit that logged events, see below; the notification carries nothing, the log is the source), reads the rows after its
//! last position in position order and goes past a missing position only by the gap rule
//! ([`Follow`]), so a transaction that commits late is never skipped. The reader is the single source
//! for this process's sessions, its own writes included (a local write wakes it at once): nothing is
//! delivered twice, and every instance delivers the same events at the same positions. Its watermark is
//! the reader's. A dropped `LISTEN` connection is opened again and the reader catches up from its last
//! position; it also reads every [`FOLLOW_POLL`] without being woken. A missing position is passed only by
//! the rule of [`crate::domain::follow`] (a transaction-id fence taken after the read that missed it); the
//! same rule settles the tail at start ([`EventLog::open`]) and a write in doubt ([`EventLog::settle`]).
//!
//! **Waking the other instances.** A published slot asks this process's notifier task for one `NOTIFY`
//! on [`CHANNEL`], sent from a pooled connection after the commit, outside the writing transaction
//! ([`q::wake_followers`]); requests made while one is on its way collapse into the next, so a busy
//! instance sends one per round trip, not one per commit. (Until V24 an insert trigger notified inside
//! every event-writing transaction, which held `NOTIFY`'s database-wide commit lock through each WAL
//! flush and serialised those commits.) Writers that log events without a slot (the SQL that ends
//! leases, `db::leases`) notify in their own statement's transaction; they are rare. A lost
//! notification (the process dies between COMMIT and `NOTIFY`) costs the other instances at most
//! [`FOLLOW_POLL`].
//!
//! Per process: the reorder buffer, the reader's place and the watermark. In PostgreSQL: the log itself
//! (`event_log`) and how far it was pruned (`event_log_horizon`).
//!
//! [`domain::reorder`]: crate::domain::reorder

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix::prelude::*;
use loket_protocol::ws::ServerMessage;

use crate::actors::bus::{EventBus, Publish};
use crate::db::Pool;
use crate::db::event_log::{self as q, Chunk, Logged, Pruned, Retention};
use crate::domain::follow::Follow;
use crate::domain::reorder::{ReorderBuffer, SlotId};
use crate::error::AppError;

/// How often the prune job runs (and once at start).
pub const PRUNE_INTERVAL: Duration = Duration::from_secs(10 * 60);
/// At start, how long to wait for transactions of an earlier process that may still write events below
/// the newest one on record; after that the log is taken as it is. (A transaction cannot stay open much
/// longer: idle ones end after `db::IDLE_IN_TRANSACTION_TIMEOUT`, statements after `db::STATEMENT_TIMEOUT`.)
pub const STARTUP_WAIT: Duration = Duration::from_secs(45);
/// At start, how many of the newest positions are checked for gaps still in flight.
pub const STARTUP_WINDOW: usize = 1_000;
/// The `LISTEN`/`NOTIFY` channel on which every instance is woken when events were logged.
pub const CHANNEL: &str = "loket_events";
/// A following reader reads at least this often, woken or not.
pub const FOLLOW_POLL: Duration = Duration::from_millis(500);
/// While it waits for a missing position, a following reader reads again this often (a rolled-back
/// transaction notifies nobody).
const GAP_POLL: Duration = Duration::from_millis(20);
/// Events a following reader reads at once.
const FOLLOW_BATCH: usize = 1_000;
/// After a failed read or `LISTEN`, how long a following reader waits before trying again.
const FOLLOW_RETRY: Duration = Duration::from_secs(1);
/// How often the start-up wait looks again.
const STARTUP_POLL: Duration = Duration::from_millis(100);

struct Inner {
    buffer: Mutex<ReorderBuffer<ServerMessage>>,
    watermark: AtomicU64,
    bus: Addr<EventBus>,
    pool: Pool,
    retention: Retention,
    /// A reader follows the log and feeds the bus ([`EventLog::follow`]); the reorder buffer only wakes it.
    following: std::sync::atomic::AtomicBool,
    wake: tokio::sync::Notify,
    /// Asks the notifier task ([`EventLog::spawn_notifier`]) for one `NOTIFY`; permits collapse.
    announce: tokio::sync::Notify,
}

/// The event log's handle. Cheap to clone.
#[derive(Clone)]
pub struct EventLog(Arc<Inner>);

impl EventLog {
    /// Opens the log for a process about to serve: its watermark is the newest event on record, once no
    /// transaction of an earlier process (a crashed one's backend may still be running) can add one
    /// below it.
    pub async fn open(pool: Pool, bus: Addr<EventBus>, retention: Retention) -> Result<EventLog, AppError> {
        let watermark = settled_tail(&pool).await?;
        tracing::debug!(watermark, "event log opened");
        let log = Self::starting_at(pool, bus, retention, watermark);
        log.spawn_notifier();
        Ok(log)
    }

    /// A log whose history up to `watermark` is known to be complete.
    pub fn starting_at(pool: Pool, bus: Addr<EventBus>, retention: Retention, watermark: u64) -> EventLog {
        bus.do_send(crate::actors::bus::StartAt(watermark));
        EventLog(Arc::new(Inner {
            buffer: Mutex::new(ReorderBuffer::new(watermark)),
            watermark: AtomicU64::new(watermark),
            bus,
            pool,
            retention,
            following: std::sync::atomic::AtomicBool::new(false),
            wake: tokio::sync::Notify::new(),
            announce: tokio::sync::Notify::new(),
        }))
    }

    /// Sends one `NOTIFY` on [`CHANNEL`] after each batch of published events, on the current actix
    /// arbiter, for as long as the process runs (the module's doc: waking the other instances). Without
    /// it (a log made by [`EventLog::starting_at`] alone) other instances find this process's events by
    /// their [`FOLLOW_POLL`].
    pub fn spawn_notifier(&self) {
        let inner = self.0.clone();
        actix::spawn(async move {
            loop {
                inner.announce.notified().await;
                let sent = match inner.pool.get().await {
                    Ok(client) => q::wake_followers(&client, CHANNEL).await,
                    Err(err) => Err(err.into()),
                };
                if let Err(err) = sent {
                    // The followers' poll finds the events all the same.
                    tracing::debug!(error = %err, "could not notify the other instances of new events");
                }
            }
        });
    }

    /// The released watermark: every event at or below it has committed and gone to the bus (or never
    /// will: a rolled-back position), and none can appear below it later. A snapshot read after this was
    /// taken includes every change up to it, so a client applying the events after it misses none (it
    /// may see a few the snapshot already had; applying them again changes nothing). Cheap: one atomic
    /// load.
    pub fn watermark(&self) -> u64 {
        self.0.watermark.load(Ordering::Acquire)
    }

    /// A slot for one event, reserved just before the statement that takes its position.
    pub fn reserve(&self) -> Slot {
        let id = self.buffer().reserve();
        Slot {
            log: self.0.clone(),
            id,
            done: false,
        }
    }

    /// How long history is kept.
    pub fn retention(&self) -> Retention {
        self.0.retention
    }

    fn buffer(&self) -> std::sync::MutexGuard<'_, ReorderBuffer<ServerMessage>> {
        lock(&self.0)
    }

    /// At most `limit` events with `after < position <= upto`, with how far the log was pruned.
    pub async fn read(&self, after: u64, upto: u64, limit: usize) -> Result<Chunk, AppError> {
        let client = self.0.pool.get().await?;
        q::read(&client, after, upto, limit).await
    }

    /// Deletes history older than the retention keeps.
    pub async fn prune(&self) -> Result<Pruned, AppError> {
        let mut client = self.0.pool.get().await?;
        let pruned = q::prune(&mut client, self.0.retention).await?;
        if pruned.deleted > 0 {
            tracing::info!(
                deleted = pruned.deleted,
                pruned_through = pruned.pruned_through,
                "old events pruned from the event log"
            );
        }
        Ok(pruned)
    }

    /// Runs [`EventLog::prune`] now and every [`PRUNE_INTERVAL`] on the current actix arbiter, for as
    /// long as the process runs. One job per process: with several instances each prunes by the same
    /// rule, which is harmless.
    pub fn spawn_pruner(&self) {
        let log = self.clone();
        actix::spawn(async move {
            loop {
                if let Err(err) = log.prune().await {
                    tracing::warn!(error = %err, "could not prune the event log; trying again later");
                }
                tokio::time::sleep(PRUNE_INTERVAL).await;
            }
        });
    }

    /// Finds out whether the write in doubt whose event took `position` committed: the event, if it is
    /// in the log. Waits first (at most [`STARTUP_WAIT`]) until every transaction that had an id by now
    /// has ended (a fence, [`crate::domain::follow`]), so a write whose backend outlived its connection has
    /// finished.
    pub async fn settle(&self, position: u64) -> Result<Option<Logged>, AppError> {
        let client = self.0.pool.get().await?;
        let fence = q::fresh_xid(&client).await?;
        let deadline = Instant::now() + STARTUP_WAIT;
        while q::facts(&client).await?.xmin < fence && Instant::now() < deadline {
            tokio::time::sleep(STARTUP_POLL).await;
        }
        q::at(&client, position).await
    }
}

impl EventLog {
    /// From now on a reader task (on the current actix arbiter, for as long as the process runs) follows
    /// the log from the watermark and is the bus's single source; `seen` runs for every event it
    /// delivers, before the bus gets it (the desk keeps its lock board with it).
    pub fn follow(&self, seen: impl Fn(&ServerMessage) + 'static) {
        self.0.following.store(true, Ordering::Release);
        let inner = self.0.clone();
        actix::spawn(async move {
            let mut reader = Reader::new(inner.watermark.load(Ordering::Acquire));
            let mut listener: Option<crate::db::Listener> = None;
            loop {
                if listener.is_none() {
                    match inner.pool.listen(CHANNEL).await {
                        Ok(opened) => {
                            tracing::debug!(after = reader.follow.released(), "listening for events");
                            listener = Some(opened);
                        }
                        Err(err) => {
                            tracing::warn!(error = %err, "cannot LISTEN for events; reading every {FOLLOW_RETRY:?} meanwhile")
                        }
                    }
                }
                // After (re)connecting too: whatever committed while nobody listened is caught up here.
                let full = match reader.read(&inner, &seen).await {
                    Ok(full) => full,
                    Err(err) => {
                        tracing::warn!(error = %err, "cannot read the event log; trying again");
                        tokio::time::sleep(FOLLOW_RETRY).await;
                        continue;
                    }
                };
                if full {
                    continue;
                }
                let wait = match (&listener, reader.follow.waiting()) {
                    (_, true) => GAP_POLL,
                    (None, false) => FOLLOW_RETRY,
                    (Some(_), false) => FOLLOW_POLL,
                };
                let notified = async {
                    match listener.as_mut() {
                        Some(open) => open.woken.recv().await.is_some(),
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    alive = notified => {
                        if !alive {
                            tracing::warn!("the LISTEN connection was lost; connecting again and catching up");
                            listener = None;
                        } else if let Some(open) = listener.as_mut() {
                            // One read covers every notification so far.
                            while open.woken.try_recv().is_ok() {}
                        }
                    }
                    _ = inner.wake.notified() => {}
                    _ = tokio::time::sleep(wait) => {}
                }
            }
        });
    }
}

/// A following reader's place ([`Follow`]): what it handed on, and events read above a missing position.
struct Reader {
    follow: Follow<ServerMessage>,
}

impl Reader {
    fn new(released: u64) -> Reader {
        Reader {
            follow: Follow::new(released),
        }
    }

    /// One read; hands on what the gap rule allows, in order, and fences newly missing positions.
    /// Answers whether the batch was full (read again at once).
    async fn read(&mut self, inner: &Inner, seen: &impl Fn(&ServerMessage)) -> Result<bool, AppError> {
        let client = inner.pool.get().await?;
        // Events already held are not read again: only what is missing below them, and what is new.
        let missing: Vec<u64> = self.follow.missing().take(FOLLOW_BATCH).collect();
        let (events, facts) = q::read_after(&client, self.follow.read_from(), &missing, FOLLOW_BATCH).await?;
        let full = events.len() == FOLLOW_BATCH;
        let before = self.follow.released();
        let out = self
            .follow
            .observe(events.into_iter().map(|e| (e.position, e.message)), facts.xmin);
        if self.follow.released() > before + out.len() as u64 {
            tracing::debug!(
                before,
                released = self.follow.released(),
                "positions that will never be filled, passed"
            );
        }
        for (position, message) in out {
            seen(&message);
            inner.bus.do_send(Publish { position, message });
        }
        inner.watermark.store(self.follow.released(), Ordering::Release);
        if self.follow.unfenced() {
            // Taken after the read that missed them: above every transaction that could still fill them.
            self.follow.fence(q::fresh_xid(&client).await?);
        }
        Ok(full)
    }
}

fn lock(inner: &Inner) -> std::sync::MutexGuard<'_, ReorderBuffer<ServerMessage>> {
    // A poisoned lock means a panic inside the buffer's plain bookkeeping; its state is still consistent.
    inner.buffer.lock().unwrap_or_else(|e| e.into_inner())
}

/// Releases what the buffer allows, in order, while holding its lock (so releases cannot overtake each
/// other on their way to the bus).
fn release(inner: &Inner, buffer: &mut ReorderBuffer<ServerMessage>) {
    if inner.following.load(Ordering::Acquire) {
        // The reader delivers it (from the log), with everyone else's.
        if !buffer.drain().is_empty() {
            inner.wake.notify_one();
            inner.announce.notify_one();
        }
        return;
    }
    let released = buffer.drain();
    if !released.is_empty() {
        inner.announce.notify_one();
    }
    for (position, message) in released {
        inner.bus.do_send(Publish { position, message });
    }
    inner.watermark.store(buffer.watermark(), Ordering::Release);
}

/// One event's place in the log, from just before its position is taken until it is published or
/// abandoned. Dropping it unpublished abandons it.
pub struct Slot {
    log: Arc<Inner>,
    id: SlotId,
    done: bool,
}

impl Slot {
    /// PostgreSQL gave the slot's statement `position`.
    pub fn numbered(&self, position: u64) {
        if let Err(misuse) = lock(&self.log).number(self.id, position) {
            tracing::error!(%misuse, "event log slot numbered wrongly");
        }
    }

    /// The transaction committed: `message` (with `position` set in it) goes to the bus in position order.
    pub fn publish(mut self, position: u64, mut message: ServerMessage) {
        message.set_position(position);
        let mut buffer = lock(&self.log);
        match buffer.commit(self.id, position, message) {
            Ok(()) => release(&self.log, &mut buffer),
            Err(misuse) => {
                tracing::error!(%misuse, "an event could not be released in order; it is in the log for Resume");
                let _ = buffer.abandon(self.id);
                release(&self.log, &mut buffer);
            }
        }
        self.done = true;
    }

    /// The transaction did not commit.
    pub fn abandon(mut self) {
        self.give_up();
    }

    fn give_up(&mut self) {
        if !self.done {
            self.done = true;
            let mut buffer = lock(&self.log);
            let _ = buffer.abandon(self.id);
            release(&self.log, &mut buffer);
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.give_up();
    }
}

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Slot").field("id", &self.id).finish()
    }
}

/// The newest position on record, once every gap among the newest [`STARTUP_WINDOW`] positions is
/// settled: this process is a reader that is not the writer of what is on record, so it follows the rule
/// of [`Follow`] (a missing position is passed once every transaction below a fence taken after the read
/// that missed it has ended) until nothing missing below the newest position can still commit, or
/// [`STARTUP_WAIT`] has passed. Only the missing positions are read again: what commits above the newest
/// one meanwhile is the following reader's.
async fn settled_tail(pool: &Pool) -> Result<u64, AppError> {
    let client = pool.get().await?;
    let (newest, facts) = q::newest_positions(&client, STARTUP_WINDOW).await?;
    let Some(&first) = newest.first() else {
        return q::horizon(&client).await;
    };
    let highest = newest.last().copied().unwrap_or(first);
    let mut follow = Follow::new(first - 1);
    follow.observe(newest.into_iter().map(|p| (p, ())), facts.xmin);
    let deadline = Instant::now() + STARTUP_WAIT;
    while follow.released() < highest {
        if follow.unfenced() {
            follow.fence(q::fresh_xid(&client).await?);
        }
        if Instant::now() >= deadline {
            tracing::warn!(
                waiting_for = ?follow.missing().collect::<Vec<_>>(),
                "positions in the event log are still in flight after the start-up wait; starting after them"
            );
            return Ok(highest);
        }
        tokio::time::sleep(STARTUP_POLL).await;
        let missing: Vec<u64> = follow.missing().collect();
        let (found, facts) = q::positions_among(&client, &missing).await?;
        follow.observe(found.into_iter().map(|p| (p, ())), facts.xmin);
    }
    Ok(follow.released())
}
