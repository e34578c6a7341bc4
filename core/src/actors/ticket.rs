//! One actor per ticket: owns the ticket's edit lease and applies its changes one at a time, in arrival order.
//!
//! Every handler that writes runs as an atomic response: the actor takes no other message until the
//! change's transaction has committed (or failed) and its event has been handed to the bus. Database
//! I/O is asynchronous, so a slow transaction holds up this ticket only. Rules (who may lock, write,
//! release) come from `domain::lease`, what a change does from `domain::plan`; this file only feeds them
//! messages and performs the I/O.
//!
//! A write whose COMMIT is cut off by a lost connection may or may not have committed. It is answered
//! `outcome_unknown`, and the actor then takes no other message until the database is back and it has
//! re-read what the write would have made: if that committed, it is broadcast then, exactly once and in
//! order with the ticket's other changes.

use std::time::{Duration, Instant};

use actix::prelude::*;
use chrono::Utc;
use deadpool_postgres::GenericClient;
use loket_protocol::api::Agent;
use loket_protocol::ticket::{
    AgentRef, Attachment, Author, Comment, LockInfo, Status, Ticket, TicketChanges, TicketEventKind, UnlockReason,
};
use loket_protocol::ws::ServerMessage;
use loket_protocol::{AttachmentId, CommentId, TicketId};

use crate::actors::bus::{EventBus, Publish};
use crate::actors::registry::{LockBoard, Registry, TicketDeps};
use crate::cluster::InstanceId;
use crate::db::Pool;
use crate::db::idempotency::{self, Earlier, IdempotencyKey};
use crate::db::tickets::{self as q, AttachmentDraft};
use crate::domain::lease::{Lease, LeaseRefusal, LeaseTerms, LockPlan, LockState, SessionKey, Via};
use crate::domain::plan::{self, Refusal};
use crate::error::AppError;
use crate::outbox::{self, Change, OutboxSignal};

/// An actor with no lease and no messages for this long stops itself.
const IDLE_AFTER: Duration = Duration::from_secs(60);
/// How often an actor checks whether it is idle.
const IDLE_CHECK: Duration = Duration::from_secs(15);
/// Messages a ticket may have waiting before senders queue outside the mailbox.
const MAILBOX_CAPACITY: usize = 1024;
/// When recording an expiry fails (database down), try again after this long.
const EXPIRY_RETRY: Duration = Duration::from_secs(2);
/// While the database is still away, how long the actor waits before trying again to re-read what an
/// interrupted COMMIT did.
const RESOLVE_RETRY: Duration = Duration::from_secs(1);

/// Take or renew the lock. Broadcasts `TicketLocked`.
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
}

/// Record a file (its bytes go into the database with it). Broadcasts `AttachmentAdded` (unless the same
/// Telegram file was recorded for the same comment before, which answers that attachment).
#[derive(Debug, Clone, Message)]
#[rtype(result = "Result<Attachment, AppError>")]
pub struct AddAttachment {
    pub author: Author,
    pub file: AttachmentDraft,
}

/// A write whose COMMIT was cut off by a lost connection: what it would have made, to look for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InDoubt {
    /// Filing this ticket.
    Created,
    /// An update that would have made this version.
    Updated { version: i64 },
    /// Adding this comment.
    Commented { comment: CommentId },
    /// Recording this attachment.
    Attached { attachment: AttachmentId },
}

/// Find out what an interrupted COMMIT did, once the database is back, and broadcast it if it committed.
/// The desk sends it when filing this ticket was cut off; writes made here resolve themselves.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct Resolve(pub InDoubt);

/// How a write failed: refused or failed with nothing changed, or cut off during COMMIT.
#[derive(Debug)]
enum WriteError {
    Failed(AppError),
    InDoubt(InDoubt),
}

impl WriteError {
    /// `err`, where an unknown outcome means `doubt`.
    fn classify(err: AppError, doubt: InDoubt) -> WriteError {
        match err {
            AppError::OutcomeUnknown => WriteError::InDoubt(doubt),
            err => WriteError::Failed(err),
        }
    }
}

impl<E: Into<AppError>> From<E> for WriteError {
    fn from(err: E) -> Self {
        WriteError::Failed(err.into())
    }
}

/// The actor for one ticket.
pub struct TicketActor {
    id: TicketId,
    pool: Pool,
    bus: Addr<EventBus>,
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
            bus,
            board,
            terms,
            outbox,
            instance,
        } = deps;
        TicketActor {
            id,
            pool,
            bus,
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

    fn publish(&self, message: ServerMessage) {
        self.bus.do_send(Publish(message));
    }

    /// A write's answer; one cut off during COMMIT is answered `outcome_unknown` and resolved first.
    fn settle<T>(&mut self, result: Result<T, WriteError>, ctx: &mut Context<Self>) -> Result<T, AppError> {
        match result {
            Ok(value) => Ok(value),
            Err(WriteError::Failed(err)) => Err(err),
            Err(WriteError::InDoubt(doubt)) => {
                self.resolve(doubt, ctx);
                Err(AppError::OutcomeUnknown)
            }
        }
    }

    /// Blocks the mailbox until what `doubt` would have made can be read, then broadcasts it if it
    /// committed. The answer to the interrupted request goes out first; every later request to this
    /// ticket waits, so broadcasts stay in commit order.
    fn resolve(&mut self, doubt: InDoubt, ctx: &mut Context<Self>) {
        let (pool, id) = (self.pool.clone(), self.id);
        tracing::warn!(ticket = %id, ?doubt, "a COMMIT was cut off; re-reading once the database is back");
        let read = async move {
            loop {
                match committed(&pool, id, doubt).await {
                    Ok(found) => return found,
                    Err(AppError::Unavailable | AppError::OutcomeUnknown) => tokio::time::sleep(RESOLVE_RETRY).await,
                    // Already logged as internal: waiting longer would not help.
                    Err(_) => return None,
                }
            }
        };
        ctx.wait(read.into_actor(self).map(move |found, act, _| match found {
            Some(message) => {
                tracing::info!(ticket = %act.id, ?doubt, "the interrupted change had committed; broadcasting it");
                let message = match message {
                    ServerMessage::TicketUpdated { ticket } => ServerMessage::TicketUpdated {
                        ticket: q::with_lock(ticket, act.lock.info()),
                    },
                    other => other,
                };
                // It may have queued a notification: let the outbox look.
                act.outbox.pending();
                act.publish(message);
            }
            None => tracing::info!(ticket = %act.id, ?doubt, "the interrupted change had not committed"),
        }));
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
        let delay = (lease.expires_at - Utc::now()).to_std().unwrap_or(Duration::ZERO);
        self.expiry_timer = Some(ctx.run_later(delay, |act, ctx| act.check_expiry(ctx)));
    }

    fn check_expiry(&mut self, ctx: &mut Context<Self>) {
        self.expiry_timer = None;
        if self.lock.expired(Utc::now()).is_none() {
            // Renewed since the timer was set.
            self.arm_expiry(ctx);
            return;
        }
        self.end_lease(UnlockReason::Expired, Author::System, None, ctx);
    }

    /// Records the end of the current lease, then clears it and broadcasts; blocks the mailbox meanwhile.
    fn end_lease(&mut self, reason: UnlockReason, actor: Author, note: Option<String>, ctx: &mut Context<Self>) {
        let (pool, id) = (self.pool.clone(), self.id);
        let (retry_actor, retry_note) = (actor.clone(), note.clone());
        let fut = async move {
            record_lock_event(
                &pool,
                id,
                &actor,
                TicketEventKind::for_unlock(reason),
                note.as_deref(),
                None,
            )
            .await
        };
        ctx.wait(fut.into_actor(self).map(move |res, act, ctx| match res {
            Ok(()) => {
                act.clear(ctx);
                act.publish(ServerMessage::TicketUnlocked {
                    ticket_id: act.id,
                    reason,
                    by: None,
                    message: None,
                });
            }
            Err(err) => {
                // The lease stays until its end is on record: nobody else can take it meanwhile.
                tracing::warn!(ticket = %act.id, ?reason, error = %err, "could not record the end of a lock; retrying");
                if let Some(handle) = act.expiry_timer.take() {
                    ctx.cancel_future(handle);
                }
                act.expiry_timer = Some(ctx.run_later(EXPIRY_RETRY, move |act, ctx| {
                    act.expiry_timer = None;
                    if act.lock.lease().is_some() {
                        act.end_lease(reason, retry_actor, retry_note, ctx);
                    }
                }));
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

/// A database write that happens inside this actor's turn; answered after commit.
type Atomic<T> = AtomicResponse<TicketActor, Result<T, AppError>>;

fn refusal(refusal: LeaseRefusal) -> AppError {
    match refusal {
        LeaseRefusal::HeldBy(holder) => AppError::Locked { holder },
        LeaseRefusal::NotHolder(holder) => AppError::NotLockHolder { holder },
        LeaseRefusal::NotLocked => AppError::Conflict("the ticket is not locked".into()),
    }
}

impl Handler<Lock> for TicketActor {
    type Result = Atomic<LockInfo>;

    fn handle(&mut self, msg: Lock, ctx: &mut Self::Context) -> Self::Result {
        self.touch();
        let plan = self
            .lock
            .plan_lock(&msg.agent, msg.via, Utc::now(), self.terms.for_via(msg.via));
        match plan {
            Err(refused) => AtomicResponse::new(Box::pin(fut::ready(Err(refusal(refused))))),
            Ok(LockPlan::Renew(lease)) => {
                let info = lease.info();
                self.install(lease, ctx);
                self.publish(ServerMessage::TicketLocked {
                    ticket_id: self.id,
                    holder: info.holder.clone(),
                    expires_at: info.expires_at,
                    since: info.since,
                });
                AtomicResponse::new(Box::pin(fut::ready(Ok(info))))
            }
            Ok(LockPlan::Take(lease)) => {
                let (pool, id, instance) = (self.pool.clone(), self.id, self.instance);
                let actor = Author::from(msg.agent.clone());
                let fut = async move {
                    record_lock_event(&pool, id, &actor, TicketEventKind::LockTaken, None, instance).await
                };
                AtomicResponse::new(Box::pin(fut.into_actor(self).map(move |res, act, ctx| {
                    act.stop_if_missing(&res, ctx);
                    res?;
                    let info = lease.info();
                    act.install(lease, ctx);
                    act.publish(ServerMessage::TicketLocked {
                        ticket_id: act.id,
                        holder: info.holder.clone(),
                        expires_at: info.expires_at,
                        since: info.since,
                    });
                    Ok(info)
                })))
            }
        }
    }
}

impl Handler<Release> for TicketActor {
    type Result = Atomic<()>;

    fn handle(&mut self, msg: Release, _: &mut Self::Context) -> Self::Result {
        self.touch();
        if let Err(refused) = self.lock.plan_release(&msg.agent, msg.via) {
            return AtomicResponse::new(Box::pin(fut::ready(Err(refusal(refused)))));
        }
        let (pool, id) = (self.pool.clone(), self.id);
        let actor = Author::from(msg.agent);
        let fut = async move { record_lock_event(&pool, id, &actor, TicketEventKind::LockReleased, None, None).await };
        AtomicResponse::new(Box::pin(fut.into_actor(self).map(|res, act, ctx| {
            res?;
            act.clear(ctx);
            act.publish(ServerMessage::TicketUnlocked {
                ticket_id: act.id,
                reason: UnlockReason::Released,
                by: None,
                message: None,
            });
            Ok(())
        })))
    }
}

impl Handler<Break> for TicketActor {
    type Result = Atomic<()>;

    fn handle(&mut self, msg: Break, _: &mut Self::Context) -> Self::Result {
        self.touch();
        match (self.lock.lease(), msg.expected_holder) {
            (None, _) => return AtomicResponse::new(Box::pin(fut::ready(Err(refusal(LeaseRefusal::NotLocked))))),
            (Some(lease), Some(expected)) if lease.holder.id != expected => {
                let holder = lease.holder.clone();
                return AtomicResponse::new(Box::pin(fut::ready(Err(AppError::Locked { holder }))));
            }
            _ => {}
        }
        let (pool, id) = (self.pool.clone(), self.id);
        let actor = Author::from(msg.admin.clone());
        let reason = msg.reason.clone();
        let fut =
            async move { record_lock_event(&pool, id, &actor, TicketEventKind::LockBroken, Some(&reason), None).await };
        AtomicResponse::new(Box::pin(fut.into_actor(self).map(move |res, act, ctx| {
            res?;
            act.clear(ctx);
            act.publish(ServerMessage::TicketUnlocked {
                ticket_id: act.id,
                reason: UnlockReason::Broken,
                by: Some(msg.admin),
                message: Some(msg.reason),
            });
            Ok(())
        })))
    }
}

impl Handler<SessionGone> for TicketActor {
    type Result = ();

    fn handle(&mut self, msg: SessionGone, ctx: &mut Self::Context) {
        let Some(lease) = self.lock.held_by_session(msg.session) else {
            return;
        };
        let actor = Author::from(lease.holder.clone());
        self.end_lease(UnlockReason::Disconnected, actor, None, ctx);
    }
}

impl Handler<Renew> for TicketActor {
    type Result = bool;

    fn handle(&mut self, msg: Renew, _: &mut Self::Context) -> bool {
        if self
            .lock
            .renew_session(msg.session, Utc::now(), self.terms.session)
            .is_none()
        {
            return false;
        }
        self.board.set(self.id, self.lock.info());
        true
    }
}

impl Handler<Update> for TicketActor {
    type Result = Atomic<Ticket>;

    fn handle(&mut self, msg: Update, _: &mut Self::Context) -> Self::Result {
        self.touch();
        if let Err(refused) = self.lock.check_write(&msg.agent.as_ref(), msg.via) {
            return AtomicResponse::new(Box::pin(fut::ready(Err(refusal(refused)))));
        }
        let (pool, id, lock) = (self.pool.clone(), self.id, self.lock.info());
        let expected = msg.version;
        let fut = async move {
            let mut client = pool.get().await?;
            let tx = client.transaction().await?;
            let result = update_fields(&tx, id, &msg).await;
            let updated = match result {
                Ok(updated) => updated,
                Err(AppError::VersionConflict { current }) => {
                    return Err(AppError::VersionConflict {
                        current: Box::new(q::with_lock(*current, lock)),
                    });
                }
                Err(err) => return Err(err),
            };
            let change = Change::Updated {
                old: updated.old_status,
                new: updated.ticket.status,
            };
            let mut queued = false;
            if let (true, Some(notice)) = (updated.changed, outbox::notice_for(change)) {
                queued = outbox::enqueue(&tx, id, &notice).await?.is_some();
            }
            crate::db::commit(tx).await?;
            Ok((updated, queued))
        };
        AtomicResponse::new(Box::pin(fut.into_actor(self).map(move |res, act, ctx| {
            // Any version may be asked for (a stale one is refused); the largest must not overflow.
            let doubt = InDoubt::Updated {
                version: expected.saturating_add(1),
            };
            let (updated, queued) = act.settle(res.map_err(|e| WriteError::classify(e, doubt)), ctx)?;
            if queued {
                act.outbox.pending();
            }
            let ticket = q::with_lock(updated.ticket, act.lock.info());
            if updated.changed {
                act.publish(ServerMessage::TicketUpdated { ticket: ticket.clone() });
            }
            Ok(ticket)
        })))
    }
}

impl Handler<AddComment> for TicketActor {
    type Result = Atomic<Comment>;

    fn handle(&mut self, msg: AddComment, _: &mut Self::Context) -> Self::Result {
        self.touch();
        let (pool, id) = (self.pool.clone(), self.id);
        let fut = async move {
            let mut client = pool.get().await?;
            let tx = client.transaction().await?;
            q::lock_row(&tx, id).await?;
            if let Some(key) = &msg.key {
                match idempotency::earlier(&tx, key).await? {
                    Some(Earlier::Comment { ticket, comment }) if ticket == id => {
                        let comment = q::comment(&tx, comment)
                            .await?
                            .ok_or_else(|| AppError::internal("a remembered comment vanished"))?;
                        return Ok((comment, false, false));
                    }
                    Some(_) => return Err(idempotency::reused().into()),
                    None => {}
                }
            }
            let comment = q::insert_comment(&tx, id, &msg.author, &msg.body, msg.internal).await?;
            let change = Change::Commented {
                author: &msg.author,
                body: &msg.body,
                internal: msg.internal,
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
            let doubt = InDoubt::Commented { comment: comment.id };
            crate::db::commit(tx)
                .await
                .map_err(|e| WriteError::classify(e, doubt))?;
            Ok((comment, queued, true))
        };
        AtomicResponse::new(Box::pin(fut.into_actor(self).map(
            |res: Result<(Comment, bool, bool), WriteError>, act, ctx| {
                let res = act.settle(res, ctx);
                act.stop_if_missing(&res, ctx);
                let (comment, queued, created) = res?;
                if queued {
                    act.outbox.pending();
                }
                if created {
                    act.publish(ServerMessage::CommentAdded {
                        ticket_id: act.id,
                        comment: comment.clone(),
                    });
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
        let (pool, id) = (self.pool.clone(), self.id);
        let fut = async move {
            let mut client = pool.get().await?;
            let tx = client.transaction().await?;
            q::lock_row(&tx, id).await?;
            let attached = q::insert_attachment(&tx, id, &msg.author, &msg.file).await?;
            match crate::db::commit(tx).await {
                // Nothing was written (the file was on record already), so nothing can be in doubt.
                Err(AppError::OutcomeUnknown) if !attached.created => Err(AppError::Unavailable.into()),
                Err(err) => Err(WriteError::classify(
                    err,
                    InDoubt::Attached {
                        attachment: attached.attachment.id,
                    },
                )),
                Ok(()) => Ok(attached),
            }
        };
        AtomicResponse::new(Box::pin(fut.into_actor(self).map(
            |res: Result<q::Attached, WriteError>, act, ctx| {
                let attached = act.settle(res, ctx)?;
                if attached.created {
                    act.publish(ServerMessage::AttachmentAdded {
                        ticket_id: act.id,
                        attachment: attached.attachment.clone(),
                    });
                }
                Ok(attached.attachment)
            },
        )))
    }
}

/// What an update did: the new ticket and the status it left.
struct Updated {
    ticket: Ticket,
    old_status: Status,
    /// False when every requested value equalled the current one: nothing was written.
    changed: bool,
}

/// Plans `msg` against the ticket as it is (its row locked until the transaction ends) and writes the
/// plan, all in `tx`.
async fn update_fields(tx: &impl GenericClient, id: TicketId, msg: &Update) -> Result<Updated, AppError> {
    let current = q::load_for_update(tx, id).await?;
    let named = q::named(tx, &msg.changes).await?;
    let planned = plan::plan(&current, msg.version, &msg.changes, msg.agent.role, &named)
        .map_err(|refused| planning_refusal(refused, &current))?;
    let old_status = current.status;
    if planned.changes_nothing() {
        return Ok(Updated {
            ticket: current,
            old_status,
            changed: false,
        });
    }
    let actor = Author::from(msg.agent.as_ref());
    let ticket = q::apply(tx, id, &actor, &planned).await?;
    Ok(Updated {
        ticket,
        old_status,
        changed: true,
    })
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
        Refusal::RetiredCategory(category) => {
            AppError::invalid(format!("the category {} is retired; choose another", category.name))
        }
    }
}

impl Handler<Resolve> for TicketActor {
    type Result = ();

    fn handle(&mut self, Resolve(doubt): Resolve, ctx: &mut Self::Context) {
        self.touch();
        self.resolve(doubt, ctx);
    }
}

/// What `doubt` would have made, as its broadcast, if it is on record (so it committed); `None` if not.
async fn committed(pool: &Pool, id: TicketId, doubt: InDoubt) -> Result<Option<ServerMessage>, AppError> {
    let client = pool.get().await?;
    let db = &client;
    Ok(match doubt {
        InDoubt::Created => q::load(db, id)
            .await?
            .map(|ticket| ServerMessage::TicketCreated { ticket }),
        // Every change to this ticket goes through this actor, so a version this far along is that update.
        InDoubt::Updated { version } => q::load(db, id)
            .await?
            .filter(|ticket| ticket.version >= version)
            .map(|ticket| ServerMessage::TicketUpdated { ticket }),
        InDoubt::Commented { comment } => q::comment(db, comment)
            .await?
            .map(|comment| ServerMessage::CommentAdded { ticket_id: id, comment }),
        InDoubt::Attached { attachment } => {
            q::attachment(db, attachment)
                .await?
                .map(|attachment| ServerMessage::AttachmentAdded {
                    ticket_id: id,
                    attachment,
                })
        }
    })
}

/// Records a lock transition in its own transaction, failing with `not_found` for unknown tickets.
async fn record_lock_event(
    pool: &Pool,
    id: TicketId,
    actor: &Author,
    kind: TicketEventKind,
    reason: Option<&str>,
    instance: Option<InstanceId>,
) -> Result<(), AppError> {
    let client = pool.get().await?;
    q::record_lock_event(&client, id, actor, kind, reason, instance).await
}
