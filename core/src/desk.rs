//! The desk: every ticket operation in one place, used alike by REST handlers, WebSocket sessions and the bot.
//!
//! Writes to an existing ticket go to that ticket's actor; creation and reads go straight to the database.
//! Requests to a ticket actor are enqueued when the method is called (not when the future is first
//! polled), so one client's requests to one ticket are applied in the order it made them.

use std::future::Future;

use actix::prelude::*;
use loket_protocol::api::{Agent, NewTicket, Role, TicketDetail, TicketPage};
use loket_protocol::queue::Access;
use loket_protocol::ticket::{AgentRef, Attachment, Author, Comment, LockInfo, Ticket, TicketChanges};
use loket_protocol::view::{TicketView, search_words};
use loket_protocol::ws::ServerMessage;
use loket_protocol::ws::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use loket_protocol::{AgentId, AttachmentId, ReporterId, TicketId};

use crate::actors::bus::EventBus;
use crate::actors::registry::{LockBoard, Registry, TicketDeps};
use crate::actors::ticket::{
    AddAttachment, AddComment, Break, InDoubt, Lock, Merge, Release, Renew, Resolve, SessionGone, TicketActor, Update,
};
use crate::cluster::InstanceId;
use crate::db::attachments::MAX_ATTACHMENT_BYTES;
use crate::db::idempotency::{self, Earlier, IdempotencyKey};
use crate::db::tickets::{self as q, AttachmentDraft, TicketDraft};
use crate::db::{self, Pool, views};
use crate::domain::cursor::After;
use crate::domain::lease::{LeaseTerms, SessionKey, Via};
use crate::domain::validate;
use crate::error::AppError;
use crate::event_log::EventLog;
use crate::inbox::InboxSignal;
use crate::outbox::OutboxSignal;
use tokio_postgres::IsolationLevel;

/// Longest attachment file name accepted, in characters.
const MAX_FILE_NAME_CHARS: usize = 255;
/// How many times a request is re-sent when its ticket actor stopped just as it was sent.
const SEND_ATTEMPTS: usize = 3;
/// How often each instance ends the leases that ran out by the database clock and that nobody ended (their
/// holder's process paused or gone). Ending one is a conditional delete, so it is recorded once.
pub const LEASE_SWEEP: std::time::Duration = std::time::Duration::from_secs(2);

/// Ticket operations. Cheap to clone.
#[derive(Clone)]
pub struct Desk {
    pub pool: Pool,
    pub bus: Addr<EventBus>,
    log: EventLog,
    registry: Registry,
    board: LockBoard,
    outbox: OutboxSignal,
    inbox: InboxSignal,
    /// Whether a reporter's reply to a resolved or closed ticket reopens it (`LOKET_REOPEN_ON_REPLY`).
    reopen_on_reply: bool,
}

impl Desk {
    /// The desk of instance `instance` (`None`: a program that does not register as an instance, such as
    /// `loket demo`), publishing through `log` (which feeds `bus`); locks it grants are recorded as held by
    /// that instance.
    pub fn new(
        pool: Pool,
        bus: Addr<EventBus>,
        log: EventLog,
        arbiter: ArbiterHandle,
        terms: LeaseTerms,
        instance: Option<InstanceId>,
    ) -> Desk {
        let board = LockBoard::default();
        let outbox = OutboxSignal::default();
        let deps = TicketDeps {
            pool: pool.clone(),
            log: log.clone(),
            board: board.clone(),
            terms,
            outbox: outbox.clone(),
            instance,
        };
        let registry = Registry::new(arbiter, deps);
        Desk {
            pool,
            bus,
            log,
            registry,
            board,
            outbox,
            inbox: InboxSignal::default(),
            reopen_on_reply: true,
        }
    }

    /// Whether a reporter's reply to a resolved or closed ticket reopens it (default: yes).
    pub fn set_reopen_on_reply(&mut self, reopen: bool) {
        self.reopen_on_reply = reopen;
    }

    /// See [`Desk::set_reopen_on_reply`].
    pub fn reopens_on_reply(&self) -> bool {
        self.reopen_on_reply
    }

    /// Enqueues `msg` for ticket `id` with the ticket's actor (for the reporter API in `crate::reporting`).
    pub(crate) fn send_to_ticket<M, R>(
        &self,
        id: TicketId,
        msg: M,
    ) -> impl Future<Output = Result<R, AppError>> + 'static
    where
        M: Message<Result = Result<R, AppError>> + Clone + Send + 'static,
        R: Send + 'static,
        TicketActor: Handler<M>,
    {
        self.send(id, msg)
    }

    /// Serves as one of several instances on the database: the lock board starts with every live lease,
    /// this process's sessions get every event from the log's reader ([`EventLog::follow`], which keeps
    /// the board too), and a sweep every [`LEASE_SWEEP`] ends leases that ran out and records SLA
    /// warnings and breaches that fell due (`db::sla::sweep`). Must run inside an
    /// actix system.
    pub async fn join_cluster(&self) -> Result<(), AppError> {
        let client = self.pool.get().await?;
        for (id, info) in db::leases::all_live(&client).await? {
            self.board.set(id, Some(info));
        }
        drop(client);
        let board = self.board.clone();
        self.log.follow(move |message| match message {
            ServerMessage::TicketLocked {
                ticket_id,
                holder,
                expires_at,
                since,
                ..
            } => board.set(
                *ticket_id,
                Some(LockInfo {
                    holder: holder.clone(),
                    expires_at: *expires_at,
                    since: *since,
                    // The board carries no idle deadlines: the holder learns theirs from the lock's
                    // Ack and from the answers to their updates.
                    idle_at: None,
                }),
            ),
            ServerMessage::TicketUnlocked { ticket_id, .. } => board.set(*ticket_id, None),
            _ => {}
        });
        let pool = self.pool.clone();
        actix::spawn(async move {
            loop {
                tokio::time::sleep(LEASE_SWEEP).await;
                let swept = match pool.get().await {
                    Ok(client) => db::leases::expire_due(&client, None).await,
                    Err(err) => Err(err.into()),
                };
                match swept {
                    Ok(ended) if !ended.is_empty() => tracing::info!(count = ended.len(), "leases that ran out ended"),
                    Ok(_) => {}
                    Err(err) => tracing::warn!(error = %err, "cannot end leases that ran out; trying again"),
                }
                let recorded = match pool.get().await {
                    Ok(client) => db::sla::sweep(&client).await,
                    Err(err) => Err(err.into()),
                };
                match recorded {
                    Ok(recorded) => {
                        for r in &recorded {
                            let name = match r.breach {
                                true => crate::metrics::SLA_BREACHES,
                                false => crate::metrics::SLA_WARNINGS,
                            };
                            metrics::counter!(name, "target" => r.target.as_str()).increment(1);
                        }
                        if !recorded.is_empty() {
                            tracing::info!(count = recorded.len(), "SLA warnings and breaches recorded");
                        }
                    }
                    Err(err) => tracing::warn!(error = %err, "cannot record SLA warnings and breaches; trying again"),
                }
            }
        });
        Ok(())
    }

    /// The event log: positions, replay for `Resume`, pruning.
    pub fn events(&self) -> &EventLog {
        &self.log
    }

    /// The released watermark ([`EventLog::watermark`]): take it *before* running a snapshot query, and
    /// the snapshot includes every event up to it. Cheap.
    pub fn watermark(&self) -> u64 {
        self.log.watermark()
    }

    /// Signalled whenever a committed change queued a notification for a reporter.
    pub fn outbox(&self) -> &OutboxSignal {
        &self.outbox
    }

    /// Signalled whenever this instance recorded Telegram updates to handle (see [`crate::inbox`]).
    pub fn inbox(&self) -> &InboxSignal {
        &self.inbox
    }

    /// How many tickets are locked right now.
    pub fn locks_held(&self) -> usize {
        self.board.count()
    }

    /// Enqueues `msg` for ticket `id` now; the returned future waits for the answer.
    fn send<M, R>(&self, id: TicketId, msg: M) -> impl Future<Output = Result<R, AppError>> + 'static
    where
        M: Message<Result = Result<R, AppError>> + Clone + Send + 'static,
        R: Send + 'static,
        TicketActor: Handler<M>,
    {
        let registry = self.registry.clone();
        let (addr, first, in_flight) = registry.send(id, msg.clone());
        async move {
            let mut result = first.await;
            drop(in_flight);
            let mut addr = addr;
            // The registry never retires an actor with requests in flight, so this is only a safety net
            // (an actor that failed); a retried request may then pass later ones.
            for _ in 1..SEND_ATTEMPTS {
                match result {
                    Err(MailboxError::Closed) => {
                        registry.evict(id, &addr);
                        let (again, request, in_flight) = registry.send(id, msg.clone());
                        addr = again;
                        result = request.await;
                        drop(in_flight);
                    }
                    _ => break,
                }
            }
            result?
        }
    }

    /// Files a ticket and broadcasts `TicketCreated` once it is committed. With a `submission_key`
    /// that filed a ticket before, answers that ticket instead (and broadcasts nothing).
    pub async fn create_ticket(
        &self,
        actor: Author,
        new: NewTicket,
        reporter: Option<ReporterId>,
        submission_key: Option<String>,
    ) -> Result<Ticket, AppError> {
        self.file(actor, new, reporter, submission_key, None).await
    }

    /// Files a ticket for an agent, like [`Desk::create_ticket`]. With an `idempotency_key` this agent used
    /// for filing within [`idempotency::RETENTION`], answers the ticket that request filed instead (and
    /// broadcasts nothing).
    pub async fn create_ticket_once(
        &self,
        actor: Author,
        new: NewTicket,
        idempotency_key: Option<String>,
    ) -> Result<Ticket, AppError> {
        let key = agent_key(&actor, idempotency_key)?;
        self.file(actor, new, None, None, key).await
    }

    async fn file(
        &self,
        actor: Author,
        new: NewTicket,
        reporter: Option<ReporterId>,
        submission_key: Option<String>,
        key: Option<IdempotencyKey>,
    ) -> Result<Ticket, AppError> {
        let draft = TicketDraft {
            title: validate::title(&new.title)?,
            body: validate::text("body", &new.body, true)?,
            priority: new.priority,
            category_id: new.category_id,
            reporter_id: reporter,
            submission_key,
        };
        let mut client = self.pool.get().await?;
        if let Some(key) = &key
            && let Some(earlier) = self.filed_under(&client, key).await?
        {
            return Ok(earlier);
        }
        let tx = client.transaction().await?;
        let filed = q::insert(&tx, &actor, &draft).await?;
        if let (Some(key), true) = (&key, filed.created)
            && !idempotency::remember(&tx, key, Earlier::Ticket(filed.ticket.id)).await?
        {
            // The same request, sent again while this one ran, filed it first: undo ours, answer that one.
            drop(tx);
            return self
                .filed_under(&client, key)
                .await?
                .ok_or_else(|| AppError::internal("a remembered idempotency key vanished"));
        }
        if !filed.created {
            db::commit(tx).await?;
            let id = filed.ticket.id;
            return Ok(q::with_lock(filed.ticket, self.board.get(id)));
        }
        let id = filed.ticket.id;
        let event = ServerMessage::TicketCreated {
            ticket: filed.ticket.clone(),
            position: 0,
        };
        // Reserved as late as possible: until numbered, the slot holds back every later event.
        let slot = self.log.reserve();
        let position = crate::db::event_log::append(&tx, id, &event).await?;
        slot.numbered(position);
        match db::commit(tx).await {
            Err(AppError::OutcomeUnknown) => {
                // The new ticket's actor finds out once the database is back, and broadcasts it if it exists.
                let doubt = InDoubt { slot, position };
                self.registry.do_send(id, Resolve(doubt));
                return Err(AppError::OutcomeUnknown);
            }
            result => result?,
        }
        slot.publish(position, event);
        Ok(filed.ticket)
    }

    /// The ticket `key` filed, with its current lock; a key that named a comment is refused.
    async fn filed_under(
        &self,
        db: &deadpool_postgres::Client,
        key: &IdempotencyKey,
    ) -> Result<Option<Ticket>, AppError> {
        match idempotency::earlier(db, key).await? {
            None => Ok(None),
            Some(Earlier::Ticket(id)) => {
                let ticket = q::load(db, id).await?.ok_or(AppError::NotFound("ticket"))?;
                Ok(Some(q::with_lock(ticket, self.board.get(id))))
            }
            Some(Earlier::Comment { .. }) => Err(idempotency::reused()),
        }
    }

    pub fn lock(
        &self,
        id: TicketId,
        agent: AgentRef,
        via: Via,
    ) -> impl Future<Output = Result<LockInfo, AppError>> + 'static {
        self.send(id, Lock { agent, via })
    }

    pub fn release(
        &self,
        id: TicketId,
        agent: AgentRef,
        via: Via,
    ) -> impl Future<Output = Result<(), AppError>> + 'static {
        self.send(id, Release { agent, via })
    }

    /// Ends the lock whoever holds it. Admins only; a reason is required and recorded.
    pub fn break_lock(
        &self,
        id: TicketId,
        admin: &Agent,
        reason: &str,
        expected_holder: Option<loket_protocol::AgentId>,
    ) -> impl Future<Output = Result<(), AppError>> + 'static {
        let checked = match (admin.role, validate::line("reason", reason, validate::MAX_REASON_CHARS)) {
            (Role::Admin, Ok(reason)) => Ok(Break {
                admin: admin.as_ref(),
                reason,
                expected_holder,
            }),
            (Role::Admin, Err(invalid)) => Err(AppError::from(invalid)),
            (Role::Agent, _) => Err(AppError::Forbidden("only admins may break another agent's lock".into())),
        };
        let request = checked.map(|msg| self.send(id, msg));
        async move { request?.await }
    }

    pub fn update(
        &self,
        id: TicketId,
        agent: Agent,
        via: Via,
        version: i64,
        changes: TicketChanges,
    ) -> impl Future<Output = Result<Ticket, AppError>> + 'static {
        let request = if changes.is_empty() {
            Err(AppError::invalid("changes must name at least one field"))
        } else {
            Ok(self.send(
                id,
                Update {
                    agent,
                    via,
                    version,
                    changes,
                },
            ))
        };
        async move { request?.await }
    }

    pub fn comment(
        &self,
        id: TicketId,
        author: Author,
        body: &str,
        internal: bool,
    ) -> impl Future<Output = Result<Comment, AppError>> + 'static {
        self.comment_once(id, author, body, internal, None)
    }

    /// Adds a comment, like [`Desk::comment`]. With an `idempotency_key` this agent used for a comment on
    /// this ticket within [`idempotency::RETENTION`], answers that comment instead (and broadcasts nothing).
    pub fn comment_once(
        &self,
        id: TicketId,
        author: Author,
        body: &str,
        internal: bool,
        idempotency_key: Option<String>,
    ) -> impl Future<Output = Result<Comment, AppError>> + 'static {
        self.reply(id, author, body, internal, idempotency_key, Vec::new())
    }

    /// Adds a comment, like [`Desk::comment_once`], with `attachments`: files the agent uploaded to the
    /// ticket ([`Desk::upload`]) and not yet sent, which become the comment's in its transaction. A
    /// public reply's files are queued for the reporter with its text; an internal note's never are.
    pub fn reply(
        &self,
        id: TicketId,
        author: Author,
        body: &str,
        internal: bool,
        idempotency_key: Option<String>,
        attachments: Vec<AttachmentId>,
    ) -> impl Future<Output = Result<Comment, AppError>> + 'static {
        let checked = match (&author, validate::text("comment", body, false)) {
            (Author::Reporter { .. }, _) if internal => {
                Err(AppError::Forbidden("reporters cannot write internal notes".into()))
            }
            (_, Ok(body)) => agent_key(&author, idempotency_key).map(|key| AddComment {
                author,
                body,
                internal,
                key,
                attachments,
            }),
            (_, Err(invalid)) => Err(AppError::from(invalid)),
        };
        let request = checked.map(|msg| self.send(id, msg));
        async move { request?.await }
    }

    /// Records a file (with its bytes) on ticket `id`; broadcast as `AttachmentAdded`. Files larger than
    /// [`MAX_ATTACHMENT_BYTES`] are refused as `payload_too_large`.
    pub fn attach(
        &self,
        id: TicketId,
        author: Author,
        file: AttachmentDraft,
    ) -> impl Future<Output = Result<Attachment, AppError>> + 'static {
        let request = match (
            validate::line("file name", &file.file_name, MAX_FILE_NAME_CHARS),
            file.content.len() <= MAX_ATTACHMENT_BYTES,
        ) {
            (Ok(_), true) => Ok(self.send(id, AddAttachment { author, file })),
            (Err(invalid), _) => Err(AppError::from(invalid)),
            (_, false) => Err(AppError::PayloadTooLarge),
        };
        async move { request?.await }
    }

    /// A file `agent` uploads from the reply composer to ticket `id`: recorded with its bytes, unlinked,
    /// until their reply names it ([`Desk::reply`]); broadcast as `AttachmentAdded`. The same limits as
    /// every attachment ([`MAX_ATTACHMENT_BYTES`]: `payload_too_large`; a file name of one line, at most
    /// 255 characters); the agent must be able to act on the ticket's queue.
    pub fn upload(
        &self,
        id: TicketId,
        agent: AgentRef,
        file_name: String,
        content_type: String,
        content: std::sync::Arc<[u8]>,
    ) -> impl Future<Output = Result<Attachment, AppError>> + 'static {
        let uploaded_by = Some(agent.id);
        let draft = AttachmentDraft {
            comment_id: None,
            file_name,
            content_type,
            content,
            telegram_file_id: None,
            uploaded_by,
        };
        let checked = match content_type_ok(&draft.content_type) {
            true => Ok(()),
            false => Err(AppError::invalid(
                "the file's content type must be a MIME type such as image/png",
            )),
        };
        let request = checked.map(|()| self.attach(id, Author::from(agent), draft));
        async move { request?.await }
    }

    /// Merges ticket `id` (the duplicate, at `version`) into `into` (at `into_version`) for `agent`, who
    /// must hold both tickets' locks `via` this channel; both are broadcast as `TicketUpdated`. Refused,
    /// with nothing changed: into itself (`invalid_request`), a duplicate merged already or a survivor
    /// closed or merged (`conflict`), either ticket in a queue the agent may not act on (`not_in_queue`),
    /// a lock not held (`not_lock_holder`), a stale version (`version_conflict`, with that ticket).
    pub fn merge(
        &self,
        id: TicketId,
        agent: Agent,
        via: Via,
        version: i64,
        into: TicketId,
        into_version: i64,
    ) -> impl Future<Output = Result<loket_protocol::api::Merged, AppError>> + 'static {
        self.send(
            id,
            Merge {
                agent,
                via,
                version,
                into,
                into_version,
            },
        )
    }

    /// Extends the lease `renew.session` holds on ticket `id`; resolves to false if it holds none there.
    pub fn renew_one(&self, id: TicketId, renew: Renew) -> impl Future<Output = bool> + 'static {
        let (_, request, in_flight) = self.registry.send(id, renew);
        // If the actor is gone, so is any lease it had.
        async move {
            let held = request.await.unwrap_or(false);
            drop(in_flight);
            held
        }
    }

    /// Ends the leases `session` holds on any of `tickets`, as `disconnected`.
    pub fn session_gone(&self, tickets: impl IntoIterator<Item = TicketId>, session: SessionKey) {
        for id in tickets {
            self.registry.do_send(id, SessionGone { session });
        }
    }

    /// How many ticket actors are running.
    pub fn live_ticket_actors(&self) -> usize {
        self.registry.live()
    }

    /// One page of `view` as agent `me` sees it, with current locks: at most `limit` tickets (default
    /// [`DEFAULT_PAGE_SIZE`], cut to [`MAX_PAGE_SIZE`]; 0 is `invalid_request`) after `cursor` (the
    /// `next_cursor` of the previous page; one that is not is `invalid_request`), the view's total and
    /// the position the snapshot includes: the watermark taken before the query, so applying the events
    /// after it closes any gap.
    pub async fn view(
        &self,
        me: AgentId,
        view: &TicketView,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> Result<TicketPage, AppError> {
        let limit = match limit {
            None => DEFAULT_PAGE_SIZE,
            Some(0) => return Err(AppError::invalid("limit must be at least 1")),
            Some(n) => n.min(MAX_PAGE_SIZE),
        };
        let view = TicketView {
            text: validate::search(view.text.as_deref())?,
            ..view.clone()
        };
        if view
            .search_text()
            .is_some_and(|t| TicketId::parse_key(t).is_none() && search_words(t).is_empty())
        {
            // A reporter's name is words too: a text without any finds nothing and is a mistake.
            return Err(AppError::invalid(
                "the search text has no letters or digits to search for",
            ));
        }
        let after = cursor
            .map(|c| After::decode(c, view.effective_sort()))
            .transpose()
            .map_err(|bad| AppError::invalid(bad.0))?;
        let position = self.watermark();
        let mut client = self.pool.get().await?;
        let tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        // Plans for this view's values, not a generic one: how selective a word or filter is decides
        // between the GIN index and an ordered index scan.
        tx.batch_execute("SET LOCAL plan_cache_mode = force_custom_plan")
            .await?;
        // What the agent may see is read in the same snapshot: a membership that ended shows nothing more.
        let access = db::queues::access(&tx, me).await?;
        let page = views::page(&tx, &view, me, &access, limit, after).await?;
        tx.commit().await?;
        let mut tickets = page.tickets;
        self.board.annotate(&mut tickets);
        Ok(TicketPage {
            tickets,
            total: page.total,
            total_exact: page.total_exact,
            next_cursor: page.next.map(|after| after.encode()),
            position,
            terms: view.search_words(),
            unread: page.unread,
        })
    }

    /// Which queues' tickets `agent` may see and act on, read afresh (one indexed lookup).
    pub async fn access(&self, agent: AgentId) -> Result<Access, AppError> {
        let client = self.pool.get().await?;
        db::queues::access(&client, agent).await
    }

    /// Ticket `id` as `agent` may see it: `not_in_queue` if it is in a queue they may not see.
    pub async fn ticket(&self, agent: AgentId, id: TicketId) -> Result<Ticket, AppError> {
        let client = self.pool.get().await?;
        let (ticket, access) = tokio::try_join!(q::load(&client, id), db::queues::access(&client, agent))?;
        let ticket = visible(ticket, &access)?;
        Ok(q::with_lock(ticket, self.board.get(id)))
    }

    /// Ticket `id` with its conversation, files, history and notifications, as `agent` may see it.
    pub async fn detail(&self, agent: AgentId, id: TicketId) -> Result<TicketDetail, AppError> {
        let client = self.pool.get().await?;
        let db = &client;
        let (ticket, access) = tokio::try_join!(q::load(db, id), db::queues::access(db, agent))?;
        let ticket = visible(ticket, &access)?;
        Ok(TicketDetail {
            ticket: q::with_lock(ticket, self.board.get(id)),
            comments: q::comments(db, id).await?,
            attachments: q::attachments(db, id).await?,
            events: q::events(db, id).await?,
            notifications: q::notifications(db, id).await?,
        })
    }
}

/// The ticket, unless there is none (`not_found`) or `access` does not reach its queue (`not_in_queue`).
fn visible(ticket: Option<Ticket>, access: &Access) -> Result<Ticket, AppError> {
    match ticket {
        None => Err(AppError::NotFound("ticket")),
        Some(ticket) if access.admits(ticket.queue) => Ok(ticket),
        Some(_) => Err(AppError::NotInQueue),
    }
}

/// Whether `content_type` looks like a MIME type (`type/subtype`, visible ASCII, at most 127 characters).
fn content_type_ok(content_type: &str) -> bool {
    let mut parts = content_type.splitn(2, '/');
    let (Some(kind), Some(sub)) = (parts.next(), parts.next()) else {
        return false;
    };
    content_type.len() <= 127
        && !kind.is_empty()
        && !sub.is_empty()
        && content_type.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
}

/// `raw`, validated, as `author`'s key. Only agents name their requests.
fn agent_key(author: &Author, raw: Option<String>) -> Result<Option<IdempotencyKey>, AppError> {
    match (raw, author) {
        (None, _) => Ok(None),
        (Some(raw), Author::Agent { id, .. }) => IdempotencyKey::new(*id, &raw).map(Some),
        (Some(_), _) => Err(AppError::invalid("only agents' requests carry idempotency keys")),
    }
}
