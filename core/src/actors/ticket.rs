//! One actor per ticket: orders the ticket's changes on this instance, one at a time, in arrival order.
//!
//! Every handler that writes runs as an atomic response: the actor takes no other message until the
//! change's transaction has committed (or failed) and its event has been handed to the log's slot. Database
//! I/O is asynchronous, so a slow transaction holds up this ticket only. Rules (who may lock, write,
//! release) come from `domain::lease`, what a change does from `domain::plan`; this file only feeds them
//! messages and performs the I/O.
//!
//! The edit lock is a row (`db::leases`), shared by every instance: each lock change and each update
//! locks the ticket's row, reads the live lease (its row locked too) and decides with the rules against
//! it, in the change's own transaction, so a holder whose lease lapsed or changed hands cannot commit
//! (fencing by the lease's token). The actor remembers the leases taken through this instance, to renew
//! them on its sessions' heartbeats (one statement each), end them when a session goes and check their
//! expiry (decided by the database clock, recorded once cluster-wide).
//!
//! Every write appends its broadcast to the event log in its own transaction (`db::event_log`) and hands
//! it to the log's slot after COMMIT (`crate::event_log`). A write whose COMMIT is cut off by a lost
//! connection may or may not have committed. It is answered `outcome_unknown`, and the actor then takes no
//! other message until the database is back and it has looked for the write's event in the log (its
//! position is known before COMMIT): if it committed, it is broadcast then, exactly once and in order
//! with the ticket's other changes; a lock change in doubt is settled by reading the lease back.

use std::time::{Duration, Instant};

use actix::prelude::*;
use chrono::Utc;
use deadpool_postgres::GenericClient;
use loket_protocol::api::Agent;
use loket_protocol::ticket::{
    AgentRef, Attachment, Author, Comment, LockInfo, Notice, Previous, Ticket, TicketChanges, TicketEventKind,
    UnlockReason,
};
use loket_protocol::ws::ServerMessage;
use loket_protocol::{AgentId, QueueId, TicketId, Timestamp};

use crate::actors::registry::{LockBoard, Registry, TicketDeps};
use crate::cluster::InstanceId;
use crate::db::Pool;
use crate::db::event_log::{self as log_q, Logged};
use crate::db::idempotency::{self, Earlier, IdempotencyKey};
use crate::db::leases;
use crate::db::sla;
use crate::db::tickets::{self as q, AttachmentDraft};
use crate::domain::lease::{Lease, LeaseRefusal, LeaseTerms, LockPlan, LockState, SessionKey, Via};
use crate::domain::merge::{self, MergeRefusal};
use crate::domain::plan::{self, Refusal};
use crate::error::AppError;
use crate::event_log::{EventLog, Slot};
use crate::outbox::{self, Change, OutboxSignal};

/// An actor with no lease and no messages for this long stops itself.
const IDLE_AFTER: Duration = Duration::from_secs(60);
/// How often an actor checks whether it is idle.
const IDLE_CHECK: Duration = Duration::from_secs(15);
/// Messages a ticket may have waiting before senders queue outside the mailbox.
const MAILBOX_CAPACITY: usize = 1024;
/// When recording an expiry fails (database down), try again after this long.
const EXPIRY_RETRY: Duration = Duration::from_secs(2);
/// While the database is still away, how long the actor waits before trying again to look for what an
/// interrupted write did.
const RESOLVE_RETRY: Duration = Duration::from_secs(1);

/// Take or renew the lock. Taking it broadcasts `TicketLocked`; a renewal broadcasts nothing (the expiry
/// is in the answer).
#[derive(Debug, Clone, Message)]
#[rtype(result = "Result<LockInfo, AppError>")]
pub struct Lock {
    pub agent: AgentRef,
    pub via: Via,
}

/// The holder gives the lock back. Broadcasts `TicketUnlocked` (released).
#[derive(Debug, Clone, Message)]
#[rtype(result = "Result<(), AppError>")]
pub struct Release {
    pub agent: AgentRef,
    pub via: Via,
}

/// An admin ends someone's lock. Broadcasts `TicketUnlocked` (broken).
#[derive(Debug, Clone, Message)]
#[rtype(result = "Result<(), AppError>")]
pub struct Break {
    pub admin: AgentRef,
    pub reason: String,
    /// Break only if this agent still holds the lock (the admin saw them as the holder).
    pub expected_holder: Option<loket_protocol::AgentId>,
}

/// A session went away; its lease, if it holds one here, ends as `disconnected`.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct SessionGone {
    pub session: SessionKey,
}

/// A live session's heartbeat: extend its lease, if it holds one here. Answers whether it does.
#[derive(Debug, Clone, Message)]
#[rtype(result = "bool")]
pub struct Renew {
    pub session: SessionKey,
}

/// Change fields, based on `version`. Broadcasts `TicketUpdated`.
#[derive(Debug, Clone, Message)]
#[rtype(result = "Result<Ticket, AppError>")]
pub struct Update {
    pub agent: Agent,
    pub via: Via,
    pub version: i64,
    pub changes: TicketChanges,
}

/// Add to the conversation. Broadcasts `CommentAdded`. With a `key` this agent used before for a comment on
/// this ticket, answers that comment instead (and broadcasts nothing).
#[derive(Debug, Clone, Message)]
#[rtype(result = "Result<Comment, AppError>")]
pub struct AddComment {
    pub author: Author,
    pub body: String,
    pub internal: bool,
    pub key: Option<IdempotencyKey>,
    /// Files the agent uploaded to this ticket and not yet sent: they become this comment's.
    pub attachments: Vec<loket_protocol::AttachmentId>,
}

/// Record a file (its bytes go into the database with it). Broadcasts `AttachmentAdded` (unless the same
/// Telegram file was recorded for the same comment before, which answers that attachment).
#[derive(Debug, Clone, Message)]
#[rtype(result = "Result<Attachment, AppError>")]
pub struct AddAttachment {
    pub author: Author,
    pub file: AttachmentDraft,
}

/// A reporter's own change to their ticket (reopening by a reply, a location, a rating): written with its
/// audit entry, one new version, broadcast as `TicketUpdated`. Answers the ticket as stored (unchanged,
/// and nothing broadcast, when the change changes nothing).
#[derive(Debug, Clone, Message)]
#[rtype(result = "Result<Ticket, AppError>")]
pub struct ReporterChange {
    pub author: Author,
    pub edit: q::ReporterEdit,
}

/// Merge this ticket (the duplicate, at `version`) into `into` (at `into_version`). Needs both tickets'
/// locks, held by `agent` (through `via`). Run by the duplicate's actor in one transaction that locks
/// both rows in id order (`domain::merge::lock_order`); the survivor's actor takes no part, so two merges
/// of the same pair, either way round, queue at the rows and never wait on each other's actors.
/// Broadcasts a `TicketUpdated` for each ticket (duplicate first).
#[derive(Debug, Clone, Message)]
#[rtype(result = "Result<loket_protocol::api::Merged, AppError>")]
pub struct Merge {
    pub agent: Agent,
    pub via: Via,
    pub version: i64,
    pub into: TicketId,
    pub into_version: i64,
}

/// A write whose COMMIT was cut off by a lost connection: its event log slot and the position its event
/// took.
#[derive(Debug)]
pub struct InDoubt {
    pub slot: Slot,
    pub position: u64,
}

/// Find out what an interrupted write did, once the database is back, and broadcast it if it committed.
/// The desk sends it when filing this ticket was cut off; writes made here resolve themselves.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct Resolve(pub InDoubt);

/// How a write failed: refused or failed with nothing changed, or cut off during COMMIT.
#[derive(Debug)]
enum WriteError {
    Failed(AppError),
    InDoubt(InDoubt),
}

impl<E: Into<AppError>> From<E> for WriteError {
    fn from(err: E) -> Self {
        WriteError::Failed(err.into())
    }
}

/// A committed write's event, on its way to the bus.
struct Pending {
    slot: Slot,
    position: u64,
    event: ServerMessage,
}

impl Pending {
    fn publish(self) {
        self.slot.publish(self.position, self.event);
    }
}

/// Appends `event` about `id` in `tx` and commits: the event, ready to publish, or the failure (in doubt
/// if the COMMIT was cut off).
async fn commit_with_event(
    tx: deadpool_postgres::Transaction<'_>,
    log: &EventLog,
    id: TicketId,
    event: ServerMessage,
) -> Result<Pending, WriteError> {
    // Reserved as late as possible: until numbered, the slot holds back every later event.
    let slot = log.reserve();
    let position = log_q::append(&tx, id, &event).await?;
    slot.numbered(position);
    match crate::db::commit(tx).await {
        Ok(()) => Ok(Pending { slot, position, event }),
        Err(AppError::OutcomeUnknown) => Err(WriteError::InDoubt(InDoubt { slot, position })),
        // Rolled back: dropping the slot abandons the position.
        Err(err) => Err(WriteError::Failed(err)),
    }
}

/// What to do to the actor once a write in doubt is found to have committed (`true`) or not.
type Then = Box<dyn FnOnce(&mut TicketActor, bool, &mut Context<TicketActor>)>;

/// The actor for one ticket.
pub struct TicketActor {
    id: TicketId,
    pool: Pool,
    log: EventLog,
    board: LockBoard,
    terms: LeaseTerms,
    outbox: OutboxSignal,
    /// Recorded on `lock_taken`: this process holds the lock.
    instance: Option<InstanceId>,
    registry: Registry,
    lock: LockState,
    last_used: Instant,
    expiry_timer: Option<SpawnHandle>,
}

impl TicketActor {
    pub fn new(id: TicketId, deps: TicketDeps, registry: Registry) -> Self {
        let TicketDeps {
            pool,
            log,
            board,
            terms,
            outbox,
            instance,
        } = deps;
        TicketActor {
            id,
            pool,
            log,
            board,
            terms,
            outbox,
            instance,
            registry,
            lock: LockState::default(),
            last_used: Instant::now(),
            expiry_timer: None,
        }
    }

    fn touch(&mut self) {
        self.last_used = Instant::now();
    }

    /// An actor for a ticket that does not exist (and holds no lease) has no reason to stay.
    fn stop_if_missing<T>(&self, result: &Result<T, AppError>, ctx: &mut Context<Self>) {
        // The request being answered is still in flight; any other one keeps the actor.
        if matches!(result, Err(AppError::NotFound("ticket")))
            && self.lock.lease().is_none()
            && self.registry.retire(self.id, &ctx.address(), 1)
        {
            ctx.stop();
        }
    }

    /// A write's answer; one cut off during COMMIT is answered `outcome_unknown` and resolved first, and
    /// `then` runs once it is known whether it committed.
    fn settle<T>(
        &mut self,
        result: Result<T, WriteError>,
        ctx: &mut Context<Self>,
        then: impl FnOnce(&mut TicketActor, bool, &mut Context<TicketActor>) + 'static,
    ) -> Result<T, AppError> {
        match result {
            Ok(value) => Ok(value),
            Err(WriteError::Failed(err)) => Err(err),
            Err(WriteError::InDoubt(doubt)) => {
                self.resolve(doubt, ctx, Box::new(then));
                Err(AppError::OutcomeUnknown)
            }
        }
    }

    /// Blocks the mailbox until the log can tell whether the write behind `doubt` committed, then runs
    /// `then` and broadcasts its event if it did. The answer to the interrupted request goes out first;
    /// every later request to this ticket waits, so broadcasts stay in commit order.
    fn resolve(&mut self, doubt: InDoubt, ctx: &mut Context<Self>, then: Then) {
        let (log, id) = (self.log.clone(), self.id);
        let InDoubt { slot, position } = doubt;
        tracing::warn!(ticket = %id, position, "a COMMIT was cut off; looking for its event in the log once the database is back");
        let read = async move {
            loop {
                match log.settle(position).await {
                    Ok(found) => return found,
                    Err(AppError::Unavailable | AppError::OutcomeUnknown) => tokio::time::sleep(RESOLVE_RETRY).await,
                    // Already logged as internal: waiting longer would not help.
                    Err(_) => return None,
                }
            }
        };
        ctx.wait(read.into_actor(self).map(move |found, act, ctx| match found {
            Some(Logged { position, message }) => {
                tracing::info!(ticket = %act.id, position, "the interrupted write had committed; broadcasting it");
                then(act, true, ctx);
                // It may have queued a notification: let the outbox look.
                act.outbox.pending();
                slot.publish(position, message);
            }
            None => {
                tracing::info!(ticket = %act.id, "the interrupted write had not committed");
                then(act, false, ctx);
                slot.abandon();
            }
        }));
    }

    /// After an update committed with `lock` (its idle deadline moved if the writer holds it): the lease
    /// remembered here follows, so its timer fires at the new deadline.
    fn note_activity(&mut self, lock: Option<&LockInfo>, ctx: &mut Context<Self>) {
        let (Some(lock), Some(held)) = (lock, self.lock.lease()) else {
            return;
        };
        if let (Some(idle_at), true) = (lock.idle_at, held.holder.id == lock.holder.id) {
            let token = held.token;
            self.lock.active(token, idle_at);
            self.board.set(self.id, self.lock.info());
            self.arm_expiry(ctx);
        }
    }

    fn install(&mut self, lease: Lease, ctx: &mut Context<Self>) {
        self.board.set(self.id, Some(lease.info()));
        self.lock.install(lease);
        self.arm_expiry(ctx);
    }

    fn clear(&mut self, ctx: &mut Context<Self>) {
        self.lock.clear();
        self.board.set(self.id, None);
        if let Some(handle) = self.expiry_timer.take() {
            ctx.cancel_future(handle);
        }
    }

    /// Schedules a check for when the current lease runs out.
    fn arm_expiry(&mut self, ctx: &mut Context<Self>) {
        if let Some(handle) = self.expiry_timer.take() {
            ctx.cancel_future(handle);
        }
        let Some(lease) = self.lock.lease() else { return };
        // Whichever comes first: the expiry (heartbeats move it) or the idle deadline (activity does).
        let delay = (lease.ends_at() - Utc::now()).to_std().unwrap_or(Duration::ZERO);
        self.expiry_timer = Some(ctx.run_later(delay, |act, ctx| act.check_expiry(ctx)));
    }

    fn check_expiry(&mut self, ctx: &mut Context<Self>) {
        self.expiry_timer = None;
        if self.lock.expired(Utc::now()).is_none() {
            // Renewed since the timer was set.
            self.arm_expiry(ctx);
            return;
        }
        // Decided by the database clock, once cluster-wide: only the statement that deletes the row records
        // the expiry and logs its `TicketUnlocked` (every instance's reader broadcasts it).
        let (pool, id, me) = (self.pool.clone(), self.id, self.instance);
        let fut = async move {
            let client = pool.get().await?;
            leases::expire_due(&client, Some(id)).await?;
            leases::live(&client, id, me, false).await
        };
        ctx.wait(
            fut.into_actor(self)
                .map(|res: Result<Option<Lease>, AppError>, act, ctx| match res {
                    Ok(live) => act.adopt(live, ctx),
                    Err(err) => {
                        tracing::warn!(ticket = %act.id, error = %err, "could not check a lease's expiry; trying again");
                        act.expiry_timer = Some(ctx.run_later(EXPIRY_RETRY, |act, ctx| act.check_expiry(ctx)));
                    }
                }),
        );
    }

    /// Makes what this process remembers match the live lease read from its row. It remembers leases taken
    /// through this instance or over REST (it renews and expires them, and ends them when their session
    /// goes); a session lease of another instance is only shown on the board.
    fn adopt(&mut self, live: Option<Lease>, ctx: &mut Context<Self>) {
        match live {
            Some(lease) if lease.via != Via::Elsewhere => self.install(lease, ctx),
            other => {
                self.clear(ctx);
                self.board.set(self.id, other.map(|l| l.info()));
            }
        }
    }

    /// Reads the live lease again and [`adopt`](Self::adopt)s it; blocks the mailbox meanwhile.
    fn refresh(&mut self, ctx: &mut Context<Self>) {
        let (pool, id, me) = (self.pool.clone(), self.id, self.instance);
        let fut = async move {
            let client = pool.get().await?;
            leases::live(&client, id, me, false).await
        };
        ctx.wait(
            fut.into_actor(self)
                .map(|res: Result<Option<Lease>, AppError>, act, ctx| match res {
                    Ok(live) => act.adopt(live, ctx),
                    Err(err) => tracing::warn!(ticket = %act.id, error = %err, "could not read the lease back"),
                }),
        );
    }

    /// Ends the lease with fencing token `token` as `reason` if it is still the one on record (a lease
    /// ended elsewhere is only forgotten here), then clears it and broadcasts; blocks the mailbox meanwhile.
    /// If the database cannot be reached the lease is forgotten here all the same: it runs out by the
    /// database clock and one instance's sweep records that.
    fn end_lease(&mut self, reason: UnlockReason, token: i64, actor: Author, ctx: &mut Context<Self>) {
        let (pool, log, id) = (self.pool.clone(), self.log.clone(), self.id);
        let fut = async move {
            let mut client = pool.get().await?;
            let tx = client.transaction().await?;
            let (_, queue) = leases::lock_ticket(&tx, id, None).await?;
            if !leases::end(&tx, id, token).await? {
                return Ok(None);
            }
            let event = ServerMessage::TicketUnlocked {
                ticket_id: id,
                queue,
                reason,
                by: None,
                message: None,
                position: 0,
            };
            let kind = TicketEventKind::for_unlock(reason);
            commit_lock_event(tx, &log, id, &actor, kind, None, event, None)
                .await
                .map(Some)
        };
        ctx.wait(fut.into_actor(self).map(move |res, act, ctx| {
            match act.settle(res, ctx, |act, _, ctx| act.refresh(ctx)) {
                Ok(Some(pending)) => {
                    act.clear(ctx);
                    pending.publish();
                }
                Ok(None) => act.clear(ctx),
                Err(AppError::OutcomeUnknown) => {}
                Err(err) => {
                    tracing::warn!(ticket = %act.id, ?reason, error = %err, "could not record the end of a lock; it runs out by the database clock");
                    act.clear(ctx);
                }
            }
        }));
    }
}

impl Actor for TicketActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        metrics::gauge!(crate::metrics::TICKET_ACTORS).increment(1.0);
        // Requests are enqueued in the order they were accepted; a roomy mailbox keeps that order under bursts.
        ctx.set_mailbox_capacity(MAILBOX_CAPACITY);
        ctx.run_interval(IDLE_CHECK, |act, ctx| {
            if act.lock.lease().is_none()
                && act.last_used.elapsed() >= IDLE_AFTER
                && act.registry.retire(act.id, &ctx.address(), 0)
            {
                ctx.stop();
            }
        });
    }

    fn stopped(&mut self, _: &mut Self::Context) {
        metrics::gauge!(crate::metrics::TICKET_ACTORS).decrement(1.0);
    }
}

/// A comment as written: the comment, whether a notice was queued, its event, and the lease it moved
/// (token, new idle deadline) if its author holds the lock.
/// Last: whether the ticket is flagged reopened (an agent's comment then clears the flag).
type Commented = (Comment, bool, Option<Pending>, Option<(i64, Timestamp)>, bool);

/// A database write that happens inside this actor's turn; answered after commit.
type Atomic<T> = AtomicResponse<TicketActor, Result<T, AppError>>;

/// The agent behind `author`, whose queues decide whether they may act (reporters are scoped to their
/// own tickets elsewhere, `crate::reporting`).
fn agent_of(author: &Author) -> Option<AgentId> {
    match author {
        Author::Agent { id, .. } => Some(*id),
        Author::Reporter { .. } | Author::System => None,
    }
}

fn refusal(refusal: LeaseRefusal) -> AppError {
    match refusal {
        LeaseRefusal::HeldBy(holder) => AppError::Locked { holder },
        LeaseRefusal::NotHolder(holder) => AppError::NotLockHolder { holder },
        LeaseRefusal::NotLocked => AppError::Conflict("the ticket is not locked".into()),
    }
}

impl Handler<Lock> for TicketActor {
    type Result = Atomic<LockInfo>;

    fn handle(&mut self, msg: Lock, _: &mut Self::Context) -> Self::Result {
        self.touch();
        let (pool, log, id, me) = (self.pool.clone(), self.log.clone(), self.id, self.instance);
        let (term, idle) = (self.terms.for_via(msg.via), self.terms.idle);
        let fut = async move { take_lock(&pool, &log, id, me, &msg, term, idle).await };
        AtomicResponse::new(Box::pin(fut.into_actor(self).map(|res, act, ctx| {
            // Taken after all or not: the row says, once the database is back.
            let res = act.settle(res, ctx, |act, _, ctx| act.refresh(ctx));
            act.stop_if_missing(&res, ctx);
            let (lease, pending) = res?;
            let info = lease.info();
            act.install(lease, ctx);
            if let Some(pending) = pending {
                pending.publish();
            }
            Ok(info)
        })))
    }
}

/// Takes or renews the lock in one transaction: a lease that ran out is ended first (recorded and
/// logged), then the rules decide against the live row (locked), and a take is one `INSERT` that does
/// nothing if anyone holds it. Taking and renewing are activity: both push the idle deadline by `idle`.
/// Answers the lease as stored and, for a take, its `TicketLocked`.
async fn take_lock(
    pool: &Pool,
    log: &EventLog,
    id: TicketId,
    me: Option<InstanceId>,
    msg: &Lock,
    term: chrono::Duration,
    idle: chrono::Duration,
) -> Result<(Lease, Option<Pending>), WriteError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    let (now, queue) = leases::lock_ticket(&tx, id, Some(msg.agent.id)).await?;
    leases::expire_due(&tx, Some(id)).await?;
    let held = LockState::of(leases::live(&tx, id, me, true).await?);
    match held.plan_lock(&msg.agent, msg.via, now, term, idle).map_err(refusal)? {
        // Renewals are not broadcast: only the lease's end is news to others (docs/protocol.md).
        LockPlan::Renew(lease) => {
            let (expires_at, idle_at) = leases::renew(&tx, id, lease.token, term, Some(idle))
                .await?
                .ok_or_else(|| AppError::Conflict("the lock ended just now; take it again".into()))?;
            crate::db::commit(tx).await.map_err(in_transaction)?;
            Ok((
                Lease {
                    expires_at,
                    idle_at,
                    ..lease
                },
                None,
            ))
        }
        LockPlan::Take(lease) => {
            let Some(stored) = leases::take(&tx, id, &lease, me).await? else {
                return Err(AppError::Conflict("the lock changed hands just now; try again".into()).into());
            };
            let info = stored.info();
            let event = ServerMessage::TicketLocked {
                ticket_id: id,
                queue,
                holder: info.holder.clone(),
                expires_at: info.expires_at,
                since: info.since,
                position: 0,
            };
            let actor = Author::from(msg.agent.clone());
            let pending = commit_lock_event(tx, log, id, &actor, TicketEventKind::LockTaken, None, event, me).await?;
            Ok((stored, Some(pending)))
        }
    }
}

/// Ends the live lease in one transaction, if `allowed` (the rules, against the live row, locked) says
/// so and `acting` may act on the ticket's queue: records `kind` and logs `event` (made for the ticket's
/// queue). Answers the event to publish.
#[allow(clippy::too_many_arguments)]
async fn end_requested(
    pool: &Pool,
    log: &EventLog,
    id: TicketId,
    me: Option<InstanceId>,
    acting: Option<AgentId>,
    allowed: impl FnOnce(&LockState) -> Result<i64, AppError>,
    actor: &Author,
    kind: TicketEventKind,
    reason: Option<&str>,
    event: impl FnOnce(QueueId) -> ServerMessage,
) -> Result<Pending, WriteError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    let (_, queue) = leases::lock_ticket(&tx, id, acting).await?;
    let held = LockState::of(leases::live(&tx, id, me, true).await?);
    let token = allowed(&held)?;
    leases::end(&tx, id, token).await?;
    commit_lock_event(tx, log, id, actor, kind, reason, event(queue), None).await
}

/// Answers an [`end_requested`]: clears the lease and broadcasts; one in doubt reads the row back first.
fn ended(
    act: &mut TicketActor,
    res: Result<Pending, WriteError>,
    ctx: &mut Context<TicketActor>,
) -> Result<(), AppError> {
    let pending = act.settle(res, ctx, |act, _, ctx| act.refresh(ctx))?;
    act.clear(ctx);
    pending.publish();
    Ok(())
}

impl Handler<Release> for TicketActor {
    type Result = Atomic<()>;

    fn handle(&mut self, msg: Release, _: &mut Self::Context) -> Self::Result {
        self.touch();
        let (pool, log, id, me) = (self.pool.clone(), self.log.clone(), self.id, self.instance);
        let fut = async move {
            let event = move |queue| ServerMessage::TicketUnlocked {
                ticket_id: id,
                queue,
                reason: UnlockReason::Released,
                by: None,
                message: None,
                position: 0,
            };
            let (agent, via) = (msg.agent.clone(), msg.via);
            let allowed = move |held: &LockState| held.plan_release(&agent, via).map(|l| l.token).map_err(refusal);
            let actor = Author::from(msg.agent);
            end_requested(
                &pool,
                &log,
                id,
                me,
                // Giving a lock back is allowed even to an agent who left the ticket's queue meanwhile.
                None,
                allowed,
                &actor,
                TicketEventKind::LockReleased,
                None,
                event,
            )
            .await
        };
        AtomicResponse::new(Box::pin(fut.into_actor(self).map(|res, act, ctx| ended(act, res, ctx))))
    }
}

impl Handler<Break> for TicketActor {
    type Result = Atomic<()>;

    fn handle(&mut self, msg: Break, _: &mut Self::Context) -> Self::Result {
        self.touch();
        let (pool, log, id, me) = (self.pool.clone(), self.log.clone(), self.id, self.instance);
        let fut = async move {
            let (by, message) = (msg.admin.clone(), msg.reason.clone());
            let event = move |queue| ServerMessage::TicketUnlocked {
                ticket_id: id,
                queue,
                reason: UnlockReason::Broken,
                by: Some(by),
                message: Some(message),
                position: 0,
            };
            let acting = Some(msg.admin.id);
            let expected = msg.expected_holder;
            let allowed = move |held: &LockState| match (held.lease(), expected) {
                (None, _) => Err(refusal(LeaseRefusal::NotLocked)),
                (Some(lease), Some(expected)) if lease.holder.id != expected => Err(AppError::Locked {
                    holder: lease.holder.clone(),
                }),
                (Some(lease), _) => Ok(lease.token),
            };
            let actor = Author::from(msg.admin);
            let reason = Some(msg.reason.as_str());
            end_requested(
                &pool,
                &log,
                id,
                me,
                acting,
                allowed,
                &actor,
                TicketEventKind::LockBroken,
                reason,
                event,
            )
            .await
        };
        AtomicResponse::new(Box::pin(fut.into_actor(self).map(|res, act, ctx| ended(act, res, ctx))))
    }
}

impl Handler<SessionGone> for TicketActor {
    type Result = ();

    fn handle(&mut self, msg: SessionGone, ctx: &mut Self::Context) {
        let Some(lease) = self.lock.held_by_session(msg.session).cloned() else {
            return;
        };
        let actor = Author::from(lease.holder.clone());
        self.end_lease(UnlockReason::Disconnected, lease.token, actor, ctx);
    }
}

impl Handler<Renew> for TicketActor {
    type Result = AtomicResponse<TicketActor, bool>;

    /// One statement: extends the row if it is still this session's lease. A lease ended meanwhile
    /// (expired while this process was paused, taken over) is forgotten and answered `false`.
    fn handle(&mut self, msg: Renew, _: &mut Self::Context) -> Self::Result {
        let Some(lease) = self.lock.held_by_session(msg.session).cloned() else {
            return AtomicResponse::new(Box::pin(fut::ready(false)));
        };
        let (pool, id, term) = (self.pool.clone(), self.id, self.terms.session);
        let fut = async move {
            let client = pool.get().await?;
            // A heartbeat is no activity: the idle deadline stays.
            leases::renew(&client, id, lease.token, term, None).await
        };
        AtomicResponse::new(Box::pin(fut.into_actor(self).map(move |res, act, ctx| {
            let same = |act: &TicketActor| act.lock.lease().is_some_and(|l| l.token == lease.token);
            match res {
                Ok(Some((expires_at, idle_at))) => {
                    if same(act) {
                        act.install(
                            Lease {
                                expires_at,
                                idle_at,
                                ..lease
                            },
                            ctx,
                        );
                    }
                    true
                }
                Ok(None) => {
                    if same(act) {
                        tracing::info!(ticket = %act.id, "a session's lease ended behind its back; forgotten");
                        act.clear(ctx);
                    }
                    false
                }
                Err(err) => {
                    // Cannot tell: the lease runs out by the database clock if it is not renewed.
                    tracing::warn!(ticket = %act.id, error = %err, "could not renew a lease");
                    true
                }
            }
        })))
    }
}

impl Handler<Update> for TicketActor {
    type Result = Atomic<Ticket>;

    fn handle(&mut self, msg: Update, _: &mut Self::Context) -> Self::Result {
        self.touch();
        let (pool, log, id, me, idle) = (
            self.pool.clone(),
            self.log.clone(),
            self.id,
            self.instance,
            self.terms.idle,
        );
        let fut = async move {
            let mut client = pool.get().await?;
            let tx = client.transaction().await?;
            // The fence: the live lease on record, its row locked until COMMIT, decides, not what any
            // process remembers; a holder whose lease lapsed, went idle or changed hands is refused.
            // An agent outside the ticket's queue is refused here, before anything is read or written.
            let (now, _) = leases::lock_ticket(&tx, id, Some(msg.agent.id)).await?;
            let held = LockState::of(leases::live(&tx, id, me, true).await?);
            held.check_write(&msg.agent.as_ref(), msg.via).map_err(refusal)?;
            let mut lock = held.info();
            // An update by the holder is activity: it moves the idle deadline (rolled back with a refusal).
            // `touch` sets it to at least `now() + idle`, and `now()` is the transaction's start, which
            // `lock_ticket` answered: so the new deadline is known here, and the statement goes to
            // PostgreSQL together with the update's own (no round trip of its own).
            let holds = held.lease().is_some_and(|l| l.holder.id == msg.agent.id);
            if let (true, Some(lock), Some(lease)) = (holds, lock.as_mut(), held.lease()) {
                lock.idle_at = Some(lease.idle_at.max(now + idle));
            }
            let touched = async {
                match holds {
                    true => leases::touch(&tx, id, msg.agent.id, idle).await,
                    false => Ok(None),
                }
            };
            let (touched, result) = tokio::join!(touched, update_fields(&tx, &log, id, &msg, lock.clone()));
            // A failed `touch` aborted the transaction (a COMMIT would then roll back without an error):
            // answer its failure, whatever the update's statements answered.
            touched?;
            let (updated, queued, logged) = match result {
                Ok(done) => done,
                Err(AppError::VersionConflict { current }) => {
                    return Err(WriteError::Failed(AppError::VersionConflict {
                        current: Box::new(q::with_lock(*current, lock)),
                    }));
                }
                Err(err) => return Err(err.into()),
            };
            let updated = q::with_lock(updated, lock);
            let Some((slot, position, event)) = logged else {
                // Nothing was written, so nothing can be in doubt either.
                return match crate::db::commit(tx).await {
                    Err(AppError::OutcomeUnknown) => Err(AppError::Unavailable.into()),
                    other => other.map(|()| (updated, false, None)).map_err(WriteError::Failed),
                };
            };
            match crate::db::commit(tx).await {
                Ok(()) => Ok((updated, queued, Some(Pending { slot, position, event }))),
                Err(AppError::OutcomeUnknown) => Err(WriteError::InDoubt(InDoubt { slot, position })),
                Err(err) => Err(WriteError::Failed(err)),
            }
        };
        AtomicResponse::new(Box::pin(fut.into_actor(self).map(move |res, act, ctx| {
            let (updated, queued, pending) = act.settle(res, ctx, |_, _, _| {})?;
            act.note_activity(updated.lock.as_ref(), ctx);
            if queued {
                act.outbox.pending();
            }
            if let Some(pending) = pending {
                pending.publish();
            }
            Ok(updated)
        })))
    }
}

impl Handler<AddComment> for TicketActor {
    type Result = Atomic<Comment>;

    fn handle(&mut self, msg: AddComment, _: &mut Self::Context) -> Self::Result {
        self.touch();
        let (pool, log, id, idle) = (self.pool.clone(), self.log.clone(), self.id, self.terms.idle);
        let fut = async move {
            let mut client = pool.get().await?;
            let tx = client.transaction().await?;
            let (queue, reopened) = q::lock_row_reopened(&tx, id, agent_of(&msg.author)).await?;
            // A comment by the lock's holder is activity: it moves the lease's idle deadline. Reporters see
            // an agent's public name, if they set one (never the account's name). Both in one round trip.
            let (touched, public_name) = match &msg.author {
                Author::Agent { id: agent, .. } => {
                    let public = async {
                        match msg.internal {
                            false => crate::db::agents::public_name(&tx, *agent).await,
                            true => Ok(None),
                        }
                    };
                    tokio::try_join!(leases::touch(&tx, id, *agent, idle), public)?
                }
                _ => (None, None),
            };
            if let Some(key) = &msg.key {
                match idempotency::earlier(&tx, key).await? {
                    Some(Earlier::Comment { ticket, comment }) if ticket == id => {
                        let comment = q::comment(&tx, comment)
                            .await?
                            .ok_or_else(|| AppError::internal("a remembered comment vanished"))?;
                        return Ok((comment, false, None, touched, false));
                    }
                    Some(_) => return Err(idempotency::reused().into()),
                    None => {}
                }
            }
            let mut comment = q::insert_comment(&tx, id, &msg.author, &msg.body, msg.internal).await?;
            let attached = match (&msg.author, msg.attachments.is_empty()) {
                (_, true) => Vec::new(),
                (Author::Agent { id: agent, .. }, false) => {
                    q::link_uploads(&tx, id, comment.id, *agent, &msg.attachments).await?
                }
                (_, false) => return Err(AppError::Forbidden("only agents attach uploads to comments".into()).into()),
            };
            comment.attachments.clone_from(&attached);
            let change = Change::Commented {
                author: &msg.author,
                public_name: public_name.as_deref(),
                body: &msg.body,
                internal: msg.internal,
                attachments: &attached,
            };
            let mut queued = false;
            if let Some(notice) = outbox::notice_for(change) {
                queued = outbox::enqueue(&tx, id, &notice).await?.is_some();
            }
            if let Some(key) = &msg.key {
                let first = Earlier::Comment {
                    ticket: id,
                    comment: comment.id,
                };
                // This ticket's comments are serialised here: a key taken meanwhile named something else.
                if !idempotency::remember(&tx, key, first).await? {
                    return Err(idempotency::reused().into());
                }
            }
            // An agent's first public reply meets the first-response promise.
            let sla = match (&msg.author, msg.internal) {
                (Author::Agent { .. }, false) => crate::db::sla::answered(&tx, id).await?,
                _ => None,
            };
            let event = ServerMessage::CommentAdded {
                ticket_id: id,
                queue,
                comment: comment.clone(),
                sla,
                position: 0,
            };
            let pending = commit_with_event(tx, &log, id, event).await?;
            Ok((comment, queued, Some(pending), touched, reopened))
        };
        AtomicResponse::new(Box::pin(fut.into_actor(self).map(
            |res: Result<Commented, WriteError>, act, ctx| {
                let res = act.settle(res, ctx, |_, _, _| {});
                act.stop_if_missing(&res, ctx);
                let (comment, queued, pending, touched, reopened) = res?;
                // An agent answering a reopened ticket has seen the reopening: cleared next, in order.
                if reopened && matches!(comment.author, Author::Agent { .. }) {
                    ctx.notify(ReporterChange {
                        author: comment.author.clone(),
                        edit: q::ReporterEdit::Seen,
                    });
                }
                if let Some((token, idle_at)) = touched {
                    act.lock.active(token, idle_at);
                    act.arm_expiry(ctx);
                }
                if queued {
                    act.outbox.pending();
                }
                if let Some(pending) = pending {
                    pending.publish();
                }
                Ok(comment)
            },
        )))
    }
}

impl Handler<AddAttachment> for TicketActor {
    type Result = Atomic<Attachment>;

    fn handle(&mut self, msg: AddAttachment, _: &mut Self::Context) -> Self::Result {
        self.touch();
        let (pool, log, id) = (self.pool.clone(), self.log.clone(), self.id);
        let fut = async move {
            let mut client = pool.get().await?;
            let tx = client.transaction().await?;
            let queue = q::lock_row(&tx, id, agent_of(&msg.author)).await?;
            let attached = q::insert_attachment(&tx, id, &msg.author, &msg.file).await?;
            if !attached.created {
                // Nothing was written (the file was on record already), so nothing can be in doubt.
                return match crate::db::commit(tx).await {
                    Err(AppError::OutcomeUnknown) => Err(AppError::Unavailable.into()),
                    other => other.map(|()| (attached, None)).map_err(WriteError::Failed),
                };
            }
            let event = ServerMessage::AttachmentAdded {
                ticket_id: id,
                queue,
                attachment: attached.attachment.clone(),
                position: 0,
            };
            let pending = commit_with_event(tx, &log, id, event).await?;
            Ok((attached, Some(pending)))
        };
        AtomicResponse::new(Box::pin(fut.into_actor(self).map(
            |res: Result<(q::Attached, Option<Pending>), WriteError>, act, ctx| {
                let (attached, pending) = act.settle(res, ctx, |_, _, _| {})?;
                if let Some(pending) = pending {
                    pending.publish();
                }
                Ok(attached.attachment)
            },
        )))
    }
}

/// A committed merge: both tickets, whether a notice was queued, and both events.
type MergeDone = (loket_protocol::api::Merged, bool, Option<(Pending, Pending)>);

impl Handler<Merge> for TicketActor {
    type Result = Atomic<loket_protocol::api::Merged>;

    fn handle(&mut self, msg: Merge, _: &mut Self::Context) -> Self::Result {
        self.touch();
        let (pool, log, id, me, idle) = (
            self.pool.clone(),
            self.log.clone(),
            self.id,
            self.instance,
            self.terms.idle,
        );
        let registry = self.registry.clone();
        let into = msg.into;
        let fut = async move {
            if msg.into == id {
                return Err(merge_refusal(MergeRefusal::IntoItself).into());
            }
            let mut client = pool.get().await?;
            let tx = client.transaction().await?;
            // Both rows in id order, checking the agent may act on both queues: another merge of the same
            // pair waits here, and a change to either ticket alone waits or goes first.
            for ticket in merge::lock_order(id, msg.into) {
                leases::lock_ticket(&tx, ticket, Some(msg.agent.id)).await?;
            }
            let agent = msg.agent.as_ref();
            let mut locks = Vec::with_capacity(2);
            for ticket in [id, msg.into] {
                let held = LockState::of(leases::live(&tx, ticket, me, true).await?);
                held.check_held(&agent, msg.via).map_err(refusal)?;
                locks.push(held.info());
            }
            let mut loaded = Vec::with_capacity(2);
            for ticket in merge::lock_order(id, msg.into) {
                loaded.push(q::load_for_update(&tx, ticket).await?.0);
            }
            let (duplicate, survivor) = match loaded[0].id == id {
                true => (loaded[0].clone(), loaded[1].clone()),
                false => (loaded[1].clone(), loaded[0].clone()),
            };
            let planned = merge::plan(&duplicate, msg.version, &survivor, msg.into_version).map_err(merge_refusal)?;
            // Activity on both leases (the holder's own).
            for ticket in [id, msg.into] {
                leases::touch(&tx, ticket, msg.agent.id, idle).await?;
            }
            // Told before the links move: the duplicate's reporter and those linked to it hear where
            // their report went.
            let notice = Notice::Merged {
                into: survivor.id,
                into_title: survivor.title.clone(),
            };
            let queued = outbox::enqueue(&tx, id, &notice).await?.is_some();
            let actor = Author::from(msg.agent.as_ref());
            let (stored_dup, stored_survivor) = q::merge(&tx, &actor, &planned, &survivor).await?;
            let lock_of = |ticket: TicketId| leases::live(&tx, ticket, me, false);
            let (dup_lock, survivor_lock) = tokio::try_join!(lock_of(id), lock_of(msg.into))?;
            let (dup_lock, survivor_lock) = (
                LockState::of(dup_lock).info().or(locks[0].clone()),
                LockState::of(survivor_lock).info().or(locks[1].clone()),
            );
            let stored_dup = q::with_lock(stored_dup, dup_lock);
            let stored_survivor = q::with_lock(stored_survivor, survivor_lock);
            let events = [
                (
                    id,
                    ServerMessage::TicketUpdated {
                        previous: Some(Box::new(Previous::between(&duplicate, &stored_dup))),
                        ticket: stored_dup.clone(),
                        position: 0,
                    },
                ),
                (
                    msg.into,
                    ServerMessage::TicketUpdated {
                        previous: Some(Box::new(Previous::between(&survivor, &stored_survivor))),
                        ticket: stored_survivor.clone(),
                        position: 0,
                    },
                ),
            ];
            let mut numbered = Vec::with_capacity(2);
            for (ticket, event) in events {
                // Reserved as late as possible: until numbered, a slot holds back every later event.
                let slot = log.reserve();
                let position = log_q::append(&tx, ticket, &event).await?;
                slot.numbered(position);
                numbered.push(Pending { slot, position, event });
            }
            let survivor_event = numbered.pop();
            let dup_event = numbered.pop();
            let (Some(dup_event), Some(survivor_event)) = (dup_event, survivor_event) else {
                return Err(AppError::internal("a merge logged fewer than two events").into());
            };
            let merged = loket_protocol::api::Merged {
                duplicate: stored_dup,
                survivor: stored_survivor,
            };
            match crate::db::commit(tx).await {
                Ok(()) => Ok((merged, queued, Some((dup_event, survivor_event)))),
                Err(AppError::OutcomeUnknown) => {
                    // The survivor's event is looked for by its own actor; this one's by this actor.
                    let Pending { slot, position, .. } = survivor_event;
                    registry.do_send(into, Resolve(InDoubt { slot, position }));
                    let Pending { slot, position, .. } = dup_event;
                    Err(WriteError::InDoubt(InDoubt { slot, position }))
                }
                Err(err) => Err(WriteError::Failed(err)),
            }
        };
        AtomicResponse::new(Box::pin(fut.into_actor(self).map(
            |res: Result<MergeDone, WriteError>, act, ctx| {
                let res = act.settle(res, ctx, |_, _, _| {});
                act.stop_if_missing(&res, ctx);
                let (merged, queued, pending) = res?;
                act.note_activity(merged.duplicate.lock.as_ref(), ctx);
                if queued {
                    act.outbox.pending();
                }
                if let Some((dup_event, survivor_event)) = pending {
                    dup_event.publish();
                    survivor_event.publish();
                }
                Ok(merged)
            },
        )))
    }
}

/// The error answering a refused merge; a stale version is answered with that ticket as it is now.
fn merge_refusal(refusal: MergeRefusal) -> AppError {
    match refusal {
        MergeRefusal::IntoItself => AppError::invalid("a ticket cannot be merged into itself"),
        MergeRefusal::AlreadyMerged(into) => {
            AppError::Conflict(format!("this ticket was merged into {} already", into.key()))
        }
        MergeRefusal::SurvivorClosed => {
            AppError::Conflict("the ticket to merge into is closed; reopen it first or choose another".into())
        }
        MergeRefusal::SurvivorMerged(into) => AppError::Conflict(format!(
            "the ticket to merge into was itself merged into {}; merge into that one",
            into.key()
        )),
        MergeRefusal::StaleDuplicate(current) | MergeRefusal::StaleSurvivor(current) => {
            AppError::VersionConflict { current }
        }
    }
}

/// Plans `msg` against the ticket as it is (its row locked until the transaction ends) and writes the
/// plan, all in `tx`, together with the notice for the reporter (if the change calls for one) and the
/// change's `TicketUpdated` (for the log, with `lock`). The three statements go to PostgreSQL at once
/// (one round trip): the stored ticket is known before the write. Answers the ticket as stored, whether
/// a notice was queued, and the event's slot and position (none when the change changes nothing, and
/// nothing was written).
async fn update_fields(
    tx: &impl GenericClient,
    log: &EventLog,
    id: TicketId,
    msg: &Update,
    lock: Option<LockInfo>,
) -> Result<(Ticket, bool, Option<(Slot, u64, ServerMessage)>), AppError> {
    let (current, now) = q::load_for_update(tx, id).await?;
    if let Some(into) = current.merged_into {
        return Err(AppError::Conflict(format!(
            "this ticket was merged into {}; change that ticket instead",
            into.key()
        )));
    }
    let named = q::named(tx, &msg.changes, current.queue).await?;
    let planned = plan::plan(&current, msg.version, &msg.changes, msg.agent.role, &named)
        .map_err(|refused| planning_refusal(refused, &current))?;
    let old_status = current.status;
    if planned.changes_nothing() {
        return Ok((current, false, None));
    }
    let mut planned = planned;
    // An agent's change is an agent acting on the ticket: a reporter's reopening is seen.
    planned.next.reopened_at = None;
    // A change of status, priority or queue moves the SLA clocks (and may change the promise): read what
    // they need (one round trip), step them here, store them with the update.
    let clocks = match (
        planned.next.status != current.status,
        planned.next.priority != current.priority,
        planned.next.queue != current.queue,
    ) {
        (false, false, false) => None,
        _ => {
            let inputs = sla::inputs(tx, id, planned.next.queue, planned.next.priority).await?;
            let moved = inputs.step(planned.next.status, false, &current.sla);
            planned.next.sla.clone_from(&moved.wire);
            Some(moved)
        }
    };
    let store_clocks = async {
        match &clocks {
            Some(moved) => sla::store(tx, id, moved).await,
            None => Ok(()),
        }
    };
    let actor = Author::from(msg.agent.as_ref());
    let expected = q::applied(&planned, current.version, now);
    let event = ServerMessage::TicketUpdated {
        previous: Some(Box::new(Previous::between(&current, &expected))),
        ticket: q::with_lock(expected.clone(), lock),
        position: 0,
    };
    let notice = outbox::notice_for(Change::Updated {
        old: old_status,
        new: expected.status,
    });
    let enqueue = async {
        match &notice {
            Some(notice) => Ok(outbox::enqueue(tx, id, notice).await?.is_some()),
            None => Ok(false),
        }
    };
    // Reserved as late as possible: until numbered, the slot holds back every later event.
    let slot = log.reserve();
    let (ticket, queued, position, ()) = tokio::try_join!(
        q::apply(tx, id, &actor, &planned),
        enqueue,
        log_q::append(tx, id, &event),
        store_clocks
    )?;
    if (ticket.version, ticket.updated_at) != (expected.version, expected.updated_at) {
        // Dropping the slot abandons the position; the transaction rolls back.
        return Err(AppError::internal(format!(
            "ticket {id} was stored at version {} ({}), not at the expected {} ({})",
            ticket.version, ticket.updated_at, expected.version, expected.updated_at
        )));
    }
    slot.numbered(position);
    Ok((ticket, queued, Some((slot, position, event))))
}

/// The error answering a refused plan; a stale version is answered with the `current` ticket.
fn planning_refusal(refusal: Refusal, current: &Ticket) -> AppError {
    match refusal {
        Refusal::Stale => AppError::VersionConflict {
            current: Box::new(current.clone()),
        },
        Refusal::Invalid(invalid) => AppError::from(invalid),
        Refusal::Transition { from, to } => AppError::InvalidTransition { from, to },
        Refusal::NoSuchAgent(id) => AppError::invalid(format!("there is no agent {id}")),
        Refusal::NoSuchCategory(id) => AppError::invalid(format!("there is no category {id}")),
        Refusal::NoSuchQueue(id) => AppError::invalid(format!("there is no queue {id}")),
        Refusal::RetiredCategory(category) => {
            AppError::invalid(format!("the category {} is retired; choose another", category.name))
        }
    }
}

impl Handler<ReporterChange> for TicketActor {
    type Result = Atomic<Ticket>;

    fn handle(&mut self, msg: ReporterChange, _: &mut Self::Context) -> Self::Result {
        self.touch();
        let (pool, log, id, me) = (self.pool.clone(), self.log.clone(), self.id, self.instance);
        let fut = async move {
            let mut client = pool.get().await?;
            let tx = client.transaction().await?;
            let (current, _) = q::load_for_update(&tx, id).await?;
            let lock = LockState::of(leases::live(&tx, id, me, false).await?).info();
            if !q::apply_reporter_edit(&tx, &current, &msg.author, &msg.edit).await? {
                return match crate::db::commit(tx).await {
                    Err(AppError::OutcomeUnknown) => Err(AppError::Unavailable.into()),
                    other => other
                        .map(|()| (q::with_lock(current, lock), None))
                        .map_err(WriteError::Failed),
                };
            }
            if msg.edit == q::ReporterEdit::Reopen {
                // Reopened: the resolution clock goes on from what it had used.
                crate::db::sla::refresh(&tx, id).await?;
            }
            let stored = q::load(&tx, id)
                .await?
                .ok_or_else(|| AppError::internal("a ticket being changed vanished"))?;
            let updated = q::with_lock(stored, lock);
            let event = ServerMessage::TicketUpdated {
                previous: Some(Box::new(Previous::between(&current, &updated))),
                ticket: updated.clone(),
                position: 0,
            };
            let pending = commit_with_event(tx, &log, id, event).await?;
            Ok((updated, Some(pending)))
        };
        AtomicResponse::new(Box::pin(fut.into_actor(self).map(
            |res: Result<(Ticket, Option<Pending>), WriteError>, act, ctx| {
                let res = act.settle(res, ctx, |_, _, _| {});
                act.stop_if_missing(&res, ctx);
                let (ticket, pending) = res?;
                if let Some(pending) = pending {
                    pending.publish();
                }
                Ok(ticket)
            },
        )))
    }
}

impl Handler<Resolve> for TicketActor {
    type Result = ();

    fn handle(&mut self, Resolve(doubt): Resolve, ctx: &mut Self::Context) {
        self.touch();
        self.resolve(doubt, ctx, Box::new(|_, _, _| {}));
    }
}

/// Records a lock transition and logs its broadcast `event` in `tx` (one statement), then commits: the
/// event, ready to publish, or the failure (in doubt if the COMMIT was cut off).
#[allow(clippy::too_many_arguments)]
async fn commit_lock_event(
    tx: deadpool_postgres::Transaction<'_>,
    log: &EventLog,
    id: TicketId,
    actor: &Author,
    kind: TicketEventKind,
    reason: Option<&str>,
    event: ServerMessage,
    instance: Option<InstanceId>,
) -> Result<Pending, WriteError> {
    let slot = log.reserve();
    let position = q::record_lock_event(&tx, id, actor, kind, reason, &event, instance).await?;
    slot.numbered(position);
    match crate::db::commit(tx).await {
        Ok(()) => Ok(Pending { slot, position, event }),
        Err(AppError::OutcomeUnknown) => Err(WriteError::InDoubt(InDoubt { slot, position })),
        Err(err) => Err(WriteError::Failed(err)),
    }
}

/// A renewal whose COMMIT was cut off: answered `unavailable`, as the lease is renewed (or not) either way
/// and the next heartbeat tries again.
fn in_transaction(err: AppError) -> AppError {
    match err {
        AppError::OutcomeUnknown => AppError::Unavailable,
        err => err,
    }
}
