//! One agent's WebSocket connection: decodes client frames, forwards them to the desk, encodes answers
//! and broadcasts, and keeps the heartbeat that keeps the agent's lock leases alive.
//!
//! A session holds state only in proportion to what it was granted: the leases it holds and at most
//! [`MAX_IN_FLIGHT`] requests waiting for an answer. Messages over its budget ([`MESSAGES_PER_SECOND`]) or
//! past that many in flight are answered `rate_limited` at once, without touching the database.
//!
//! Its event stream: `Welcome` names the position the bus had fanned out when the session joined, and
//! the session sends every later event (that its agent may see) once, in order. `Resume { after }` sends
//! the events after `after` that this connection has not sent, from the log, [`REPLAY_CHUNK`] at a time;
//! live events arriving meanwhile wait (at most [`SESSION_MAILBOX`]) and follow the replay, so none is
//! missed or sent twice.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actix::prelude::*;
use actix_web_actors::ws::{self, CloseCode, CloseReason, ProtocolError};
use loket_protocol::api::{Agent, NewTicket};
use loket_protocol::queue::Access;
use loket_protocol::ticket::Author;
use loket_protocol::ws::{ClientFrame, ClientMessage, ServerMessage};
use loket_protocol::{ErrorCode, TicketId};

use loket_core::AppError;
use loket_core::actors::bus::{Published, SessionControl, Subscribe, Unsubscribe};
use loket_core::actors::ticket::Renew;
use loket_core::desk::Desk;
use loket_core::domain::audience::audience;
use loket_core::domain::lease::{SessionKey, Via};

use crate::ws::budget::{MAX_IN_FLIGHT, MESSAGES_PER_SECOND, MessageBudget};

/// How often the server pings the client and renews the session's leases.
pub const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(5);
/// A client silent for this long is gone: the connection closes and its locks are released.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(15);
/// How often the session checks that its sign-in is still valid (signing out, ending the session and
/// disabling the account end it at once through the bus; this catches expiry). One query per session per interval: 10,000 sessions cost ~33 queries/s.
pub const REVALIDATE_INTERVAL: Duration = Duration::from_secs(300);
/// Broadcasts a session may have waiting; a client that falls further behind is disconnected (and
/// resynchronises when it reconnects) instead of growing the server's memory.
pub const SESSION_MAILBOX: usize = 1024;
/// Longest data the server sent may stay unacknowledged, or unsent because the client's receive window is
/// closed (it stopped reading), before the kernel drops the connection (`TCP_USER_TIMEOUT`, set on every
/// accepted connection). Such a client also stops the session from running at all, heartbeat included,
/// once the server's write buffer is full, so this is what ends it; its locks end as `disconnected`.
pub const WRITE_DEADLINE: Duration = Duration::from_secs(20);

/// Events a `Resume` reads from the log (and holds in memory) at a time.
pub const REPLAY_CHUNK: usize = 256;

static NEXT_SESSION: AtomicU64 = AtomicU64::new(1);

/// Where this connection's event stream stands.
#[derive(Debug, Default)]
struct Stream {
    /// The newest position sent (or passed over as not for this agent) on this connection.
    sent: u64,
    /// Every event after this, up to `sent`, went out on this connection (`Welcome`'s position at first,
    /// lowered by each `Resume`).
    from: u64,
    /// While a `Resume` replays: live events waiting to follow it.
    held: Option<Vec<Published>>,
}

/// The session actor.
pub struct WsSession {
    key: SessionKey,
    agent: Agent,
    /// Digest of the sign-in token this connection was opened with.
    token_digest: Vec<u8>,
    desk: Desk,
    last_heard: Instant,
    /// Tickets whose lock this session was granted, with the grant's sequence number.
    held: HashMap<TicketId, u64>,
    grants: u64,
    /// Tickets with a `LockTicket` of this session awaiting its answer, and how many: a grant may land after
    /// the session ended, so these are told too when it ends.
    locking: HashMap<TicketId, usize>,
    /// Requests waiting for their answer (at most [`MAX_IN_FLIGHT`]).
    in_flight: usize,
    budget: MessageBudget,
    stream: Stream,
    /// Which queues' events this connection delivers: read once, just after joining the bus, so a
    /// membership change committed later reaches this session as `SessionControl::QueuesChanged` (every
    /// instance's bus acts on the logged `MembershipChanged`) and the client reconnects.
    access: Access,
}

impl WsSession {
    pub fn new(agent: Agent, token_digest: Vec<u8>, desk: Desk) -> Self {
        WsSession {
            key: SessionKey(NEXT_SESSION.fetch_add(1, Ordering::Relaxed)),
            agent,
            token_digest,
            desk,
            last_heard: Instant::now(),
            held: HashMap::new(),
            grants: 0,
            locking: HashMap::new(),
            in_flight: 0,
            budget: MessageBudget::new(Instant::now()),
            stream: Stream::default(),
            access: Access::default(),
        }
    }

    fn send(ctx: &mut ws::WebsocketContext<Self>, message: &ServerMessage) {
        match serde_json::to_string(message) {
            Ok(json) => ctx.text(json),
            Err(err) => tracing::error!(error = %err, "cannot serialise a server message"),
        }
    }

    fn heartbeat(&mut self, ctx: &mut ws::WebsocketContext<Self>) {
        if self.last_heard.elapsed() > CLIENT_TIMEOUT {
            tracing::info!(session = self.key.0, agent = %self.agent.id, "client went silent; closing");
            ctx.stop();
            return;
        }
        ctx.ping(b"");
        self.renew_leases(ctx);
    }

    /// Ends the connection if its sign-in ended; picks up a changed role or name.
    fn revalidate(&mut self, ctx: &mut ws::WebsocketContext<Self>) {
        let (pool, digest) = (self.desk.pool.clone(), self.token_digest.clone());
        let check = async move {
            let client = pool.get().await?;
            loket_core::db::agents::session_agent(&client, &digest).await
        };
        ctx.spawn(check.into_actor(self).map(|result, act, ctx| match result {
            Ok(Some(agent)) => act.agent = agent,
            Ok(None) => act.end(ctx, SessionControl::Revoked),
            // The database is unreachable: keep serving; the next check decides.
            Err(_) => {}
        }));
    }

    /// Closes the connection for `why`.
    fn end(&mut self, ctx: &mut ws::WebsocketContext<Self>, why: SessionControl) {
        let reason = match why {
            SessionControl::Revoked => CloseReason {
                code: CloseCode::Policy,
                description: Some("signed out; sign in again".into()),
            },
            SessionControl::AccountDisabled => CloseReason {
                code: CloseCode::Policy,
                description: Some("this account was disabled".into()),
            },
            SessionControl::RoleChanged => CloseReason {
                code: CloseCode::Restart,
                description: Some("your role changed; reconnect".into()),
            },
            SessionControl::QueuesChanged => CloseReason {
                code: CloseCode::Restart,
                description: Some("your queues changed; reconnect".into()),
            },
            SessionControl::TooSlow => CloseReason {
                code: CloseCode::Again,
                description: Some("too far behind; reconnect to resynchronise".into()),
            },
        };
        tracing::info!(session = self.key.0, agent = %self.agent.id, ?why, "closing session");
        ctx.close(Some(reason));
        ctx.stop();
    }

    /// Extends held leases; forgets tickets whose lease ended meanwhile (broken or expired).
    fn renew_leases(&mut self, ctx: &mut ws::WebsocketContext<Self>) {
        for (&id, &grant) in &self.held {
            let renewal = self.desk.renew_one(id, Renew { session: self.key });
            ctx.spawn(renewal.into_actor(self).map(move |still_held, act, _| {
                if !still_held && act.held.get(&id) == Some(&grant) {
                    act.held.remove(&id);
                }
            }));
        }
    }

    /// Answers `request_id` (if any) once `fut` is done: an Ack built by `ack`, or the error.
    fn respond<T, F>(
        &mut self,
        ctx: &mut ws::WebsocketContext<Self>,
        request_id: Option<String>,
        fut: F,
        ack: impl FnOnce(&mut Self, T, Option<String>) -> Replies + 'static,
    ) where
        T: 'static,
        F: std::future::Future<Output = Result<T, AppError>> + 'static,
    {
        self.answer(ctx, request_id, fut, move |act, result, rid| match result {
            Ok(value) => ack(act, value, rid),
            Err(err) => vec![err.to_frame(rid)],
        });
    }

    /// Answers `request_id` (if any) once `fut` is done, with what `reply` makes of its result. The request
    /// counts as in flight until then.
    fn answer<T, F>(
        &mut self,
        ctx: &mut ws::WebsocketContext<Self>,
        request_id: Option<String>,
        fut: F,
        reply: impl FnOnce(&mut Self, Result<T, AppError>, Option<String>) -> Replies + 'static,
    ) where
        T: 'static,
        F: std::future::Future<Output = Result<T, AppError>> + 'static,
    {
        self.in_flight += 1;
        ctx.spawn(fut.into_actor(self).map(move |result, act, ctx| {
            act.in_flight -= 1;
            for message in &reply(act, result, request_id) {
                Self::send(ctx, message);
            }
        }));
    }

    /// A `LockTicket` for `id` was answered.
    fn lock_answered(&mut self, id: TicketId) {
        if let Some(waiting) = self.locking.get_mut(&id) {
            *waiting -= 1;
            if *waiting == 0 {
                self.locking.remove(&id);
            }
        }
    }

    fn on_frame(&mut self, frame: ClientFrame, ctx: &mut ws::WebsocketContext<Self>) {
        let ClientFrame { request_id, message } = frame;
        if self.in_flight >= MAX_IN_FLIGHT && !matches!(message, ClientMessage::Ping) {
            let refusal = AppError::RateLimited(format!(
                "{MAX_IN_FLIGHT} requests are waiting for their answers already; wait for them before sending more"
            ));
            Self::send(ctx, &refusal.to_frame(request_id));
            return;
        }
        let via = Via::Session(self.key);
        let me = self.agent.as_ref();
        match message {
            ClientMessage::Ping => Self::send(ctx, &ServerMessage::Pong { request_id }),
            ClientMessage::GetTickets { view, limit, cursor } => {
                let desk = self.desk.clone();
                let agent = me.id;
                self.respond(
                    ctx,
                    request_id,
                    async move { desk.view(agent, &view, limit, cursor.as_deref()).await },
                    move |_, page, rid| {
                        // The page first; then the Ack, if one was asked for.
                        let mut replies = vec![ServerMessage::AllTickets {
                            tickets: page.tickets,
                            total: page.total,
                            total_exact: page.total_exact,
                            next_cursor: page.next_cursor,
                            position: page.position,
                            terms: page.terms,
                            unread: page.unread,
                        }];
                        replies.extend(acked(rid, AckFields::default()));
                        replies
                    },
                );
            }
            ClientMessage::Resume { after } => self.resume(after, request_id, ctx),
            ClientMessage::CreateTicket {
                title,
                body,
                priority,
                category_id,
                idempotency_key,
            } => {
                let desk = self.desk.clone();
                let author = Author::from(me);
                let new = NewTicket {
                    title,
                    body,
                    priority,
                    category_id,
                };
                self.respond(
                    ctx,
                    request_id,
                    async move { desk.create_ticket_once(author, new, idempotency_key).await },
                    |_, ticket, rid| {
                        acked(
                            rid,
                            AckFields {
                                ticket_id: Some(ticket.id),
                                version: Some(ticket.version),
                                ..Default::default()
                            },
                        )
                    },
                );
            }
            ClientMessage::LockTicket { ticket_id } => {
                *self.locking.entry(ticket_id).or_default() += 1;
                let fut = self.desk.lock(ticket_id, me, via);
                self.answer(ctx, request_id, fut, move |act, result, rid| {
                    act.lock_answered(ticket_id);
                    match result {
                        Ok(lock) => {
                            act.grants += 1;
                            act.held.insert(ticket_id, act.grants);
                            acked(
                                rid,
                                AckFields {
                                    ticket_id: Some(ticket_id),
                                    expires_at: Some(lock.expires_at),
                                    idle_at: lock.idle_at,
                                    ..Default::default()
                                },
                            )
                        }
                        // The take may have committed, and then the lease is this session's once the
                        // ticket's actor has found out: remember the ticket as held, so heartbeats ask
                        // (and forget it if not) and the end of the session ends the lease.
                        Err(err @ AppError::OutcomeUnknown) => {
                            act.grants += 1;
                            act.held.insert(ticket_id, act.grants);
                            vec![err.to_frame(rid)]
                        }
                        Err(err) => vec![err.to_frame(rid)],
                    }
                });
            }
            ClientMessage::UnlockTicket { ticket_id } => {
                let fut = self.desk.release(ticket_id, me, via);
                self.respond(ctx, request_id, fut, move |act, (), rid| {
                    act.held.remove(&ticket_id);
                    acked(
                        rid,
                        AckFields {
                            ticket_id: Some(ticket_id),
                            ..Default::default()
                        },
                    )
                });
            }
            ClientMessage::BreakLock { ticket_id, reason } => {
                let fut = self.desk.break_lock(ticket_id, &self.agent, &reason, None);
                self.respond(ctx, request_id, fut, move |_, (), rid| {
                    acked(
                        rid,
                        AckFields {
                            ticket_id: Some(ticket_id),
                            ..Default::default()
                        },
                    )
                });
            }
            ClientMessage::UpdateTicket {
                ticket_id,
                version,
                changes,
            } => {
                let fut = self.desk.update(ticket_id, self.agent.clone(), via, version, changes);
                self.respond(ctx, request_id, fut, move |_, ticket, rid| {
                    acked(
                        rid,
                        AckFields {
                            ticket_id: Some(ticket_id),
                            version: Some(ticket.version),
                            ..Default::default()
                        },
                    )
                });
            }
            ClientMessage::MergeTicket {
                ticket_id,
                version,
                into,
                into_version,
            } => {
                let fut = self
                    .desk
                    .merge(ticket_id, self.agent.clone(), via, version, into, into_version);
                self.respond(ctx, request_id, fut, move |_, merged, rid| {
                    acked(
                        rid,
                        AckFields {
                            ticket_id: Some(merged.survivor.id),
                            version: Some(merged.survivor.version),
                            ..Default::default()
                        },
                    )
                });
            }
            ClientMessage::AddComment {
                ticket_id,
                body,
                internal,
                idempotency_key,
                attachments,
            } => {
                let author = Author::from(me);
                let fut = self
                    .desk
                    .reply(ticket_id, author, &body, internal, idempotency_key, attachments);
                self.respond(ctx, request_id, fut, move |_, comment, rid| {
                    acked(
                        rid,
                        AckFields {
                            ticket_id: Some(ticket_id),
                            comment_id: Some(comment.id),
                            ..Default::default()
                        },
                    )
                });
            }
            ClientMessage::MarkRead { ticket_id } => {
                let (desk, agent) = (self.desk.clone(), self.agent.clone());
                let fut = async move { desk.mark_read(&agent, ticket_id).await };
                self.respond(ctx, request_id, fut, move |_, _, rid| {
                    acked(
                        rid,
                        AckFields {
                            ticket_id: Some(ticket_id),
                            ..Default::default()
                        },
                    )
                });
            }
        }
    }

    /// Sends one live event (if this agent may see it) and moves the stream on.
    fn deliver(&mut self, event: Published, ctx: &mut ws::WebsocketContext<Self>) {
        if event.position <= self.stream.sent {
            return;
        }
        self.stream.sent = event.position;
        if event.audience.admits(self.agent.id, &self.access) {
            event.record_delivery();
            ctx.text(event.frame);
        }
    }

    /// `Resume { after }`: replays what this connection has not sent since `after`, then the Ack.
    fn resume(&mut self, after: u64, request_id: Option<String>, ctx: &mut ws::WebsocketContext<Self>) {
        if self.stream.held.is_some() {
            let refusal = AppError::invalid("a Resume is already running on this connection; wait for its answer");
            Self::send(ctx, &refusal.to_frame(request_id));
            return;
        }
        if after > self.desk.watermark() {
            let refusal = AppError::ResyncRequired(format!(
                "position {after} is newer than any event this server has; reload the view"
            ));
            Self::send(ctx, &refusal.to_frame(request_id));
            return;
        }
        if after >= self.stream.from {
            // Everything after it went out on this connection already.
            let position = Some(self.stream.sent);
            for reply in acked(
                request_id,
                AckFields {
                    position,
                    ..Default::default()
                },
            ) {
                Self::send(ctx, &reply);
            }
            return;
        }
        self.in_flight += 1;
        self.stream.held = Some(Vec::new());
        let upto = self.stream.from;
        self.replay(after, after, upto, request_id, ctx);
    }

    /// Sends the next chunk of the log after `cursor` (up to `upto`), then the next, then finishes.
    fn replay(
        &mut self,
        after: u64,
        cursor: u64,
        upto: u64,
        request_id: Option<String>,
        ctx: &mut ws::WebsocketContext<Self>,
    ) {
        let log = self.desk.events().clone();
        let read = async move { log.read(cursor, upto, REPLAY_CHUNK).await };
        ctx.spawn(read.into_actor(self).map(move |chunk, act, ctx| {
            let chunk = match chunk {
                Ok(chunk) if chunk.pruned_through > cursor => Err(AppError::ResyncRequired(format!(
                    "events after {after} are no longer kept (history starts after {}); reload the view",
                    chunk.pruned_through
                ))),
                other => other,
            };
            match chunk {
                Ok(chunk) => {
                    let full = chunk.events.len() == REPLAY_CHUNK;
                    let mut last = cursor;
                    for logged in chunk.events {
                        last = logged.position;
                        if audience(&logged.message).admits(act.agent.id, &act.access) {
                            Self::send(ctx, &logged.message);
                        }
                    }
                    if full && last < upto {
                        act.replay(after, last, upto, request_id, ctx);
                    } else {
                        act.stream.from = after;
                        act.end_replay(ctx, None, request_id);
                    }
                }
                Err(err) => act.end_replay(ctx, Some(err), request_id),
            }
        }));
    }

    /// The replay is over: the live events that waited go out, then the answer.
    fn end_replay(
        &mut self,
        ctx: &mut ws::WebsocketContext<Self>,
        failed: Option<AppError>,
        request_id: Option<String>,
    ) {
        self.in_flight -= 1;
        for event in self.stream.held.take().unwrap_or_default() {
            self.deliver(event, ctx);
        }
        let replies = match failed {
            Some(err) => vec![err.to_frame(request_id)],
            None => acked(
                request_id,
                AckFields {
                    position: Some(self.stream.sent),
                    ..Default::default()
                },
            ),
        };
        for reply in &replies {
            Self::send(ctx, reply);
        }
    }

    fn on_text(&mut self, text: &str, ctx: &mut ws::WebsocketContext<Self>) {
        if !self.budget.take(Instant::now()) {
            let refusal =
                AppError::RateLimited(format!("more than {MESSAGES_PER_SECOND} messages a second; slow down"));
            Self::send(ctx, &refusal.to_frame(request_id_of(text)));
            return;
        }
        match serde_json::from_str::<ClientFrame>(text) {
            Ok(frame) => self.on_frame(frame, ctx),
            Err(err) => {
                let request_id = request_id_of(text);
                Self::send(
                    ctx,
                    &ServerMessage::error(
                        request_id,
                        ErrorCode::InvalidRequest,
                        format!("cannot read that message: {err}"),
                    ),
                );
            }
        }
    }
}

/// What a request's sender is told on success, in order.
type Replies = Vec<ServerMessage>;

/// The Ack carrying `fields`, if the request asked for one.
fn acked(request_id: Option<String>, fields: AckFields) -> Replies {
    let AckFields {
        ticket_id,
        version,
        expires_at,
        comment_id,
        idle_at,
        position,
    } = fields;
    request_id
        .map(|request_id| ServerMessage::Ack {
            request_id,
            ticket_id,
            version,
            expires_at,
            comment_id,
            idle_at,
            position,
        })
        .into_iter()
        .collect()
}

/// Result fields of an Ack.
#[derive(Default)]
struct AckFields {
    ticket_id: Option<TicketId>,
    version: Option<i64>,
    expires_at: Option<loket_protocol::Timestamp>,
    comment_id: Option<loket_protocol::CommentId>,
    idle_at: Option<loket_protocol::Timestamp>,
    position: Option<u64>,
}

/// The `request_id` of a frame that was not (or failed to be) read as a whole, so its Error can still be
/// correlated. Skims the frame without building it.
fn request_id_of(text: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Correlation {
        #[serde(default)]
        request_id: Option<String>,
    }
    serde_json::from_str::<Correlation>(text).ok()?.request_id
}

impl Actor for WsSession {
    type Context = ws::WebsocketContext<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.set_mailbox_capacity(SESSION_MAILBOX);
        let joining = self.desk.bus.send(Subscribe {
            session: self.key,
            agent: self.agent.id,
            token_digest: self.token_digest.clone(),
            recipient: ctx.address().recipient(),
            control: ctx.address().recipient(),
        });
        // Nothing else runs until the bus answers and the agent's access is read: Welcome (with the
        // position the stream starts after) is the first frame, and every event the bus sends after it
        // follows. The access is read after joining: a membership change that commits later reaches this
        // session through the bus.
        let (desk, agent) = (self.desk.clone(), self.agent.id);
        let joining = async move {
            let position = joining
                .await
                .map_err(|err| AppError::internal(format!("the event bus is gone: {err}")))?;
            let access = desk.access(agent).await?;
            Ok::<_, AppError>((position, access))
        };
        ctx.wait(joining.into_actor(self).map(|joined, act, ctx| match joined {
            Ok((position, access)) => {
                act.stream = Stream {
                    sent: position,
                    from: position,
                    held: None,
                };
                act.access = access.clone();
                Self::send(
                    ctx,
                    &ServerMessage::Welcome {
                        agent: act.agent.clone(),
                        heartbeat_secs: HEARTBEAT_INTERVAL.as_secs(),
                        position,
                        access,
                    },
                );
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot start the session; closing it");
                ctx.stop();
            }
        }));
        ctx.run_interval(HEARTBEAT_INTERVAL, |act, ctx| act.heartbeat(ctx));
        // Checked once now, after subscribing: a sign-in ended (or an account disabled) between the upgrade's
        // check and the subscription reached the bus before this session did, so only this check sees it.
        self.revalidate(ctx);
        ctx.run_interval(REVALIDATE_INTERVAL, |act, ctx| act.revalidate(ctx));
        tracing::debug!(session = self.key.0, agent = %self.agent.id, "session started");
    }

    fn stopped(&mut self, _: &mut Self::Context) {
        // Only tickets this session holds, or may have been granted meanwhile, have a lease to end. The bus
        // hears of the end last, so a session counted gone there has told them all.
        let tickets = self.held.keys().chain(self.locking.keys()).copied();
        self.desk.session_gone(tickets.collect::<Vec<_>>(), self.key);
        self.desk.bus.do_send(Unsubscribe { session: self.key });
        tracing::debug!(session = self.key.0, agent = %self.agent.id, "session ended");
    }
}

impl Handler<SessionControl> for WsSession {
    type Result = ();

    fn handle(&mut self, why: SessionControl, ctx: &mut Self::Context) {
        self.end(ctx, why);
    }
}

impl Handler<Published> for WsSession {
    type Result = ();

    fn handle(&mut self, event: Published, ctx: &mut Self::Context) {
        if let Some(held) = &mut self.stream.held {
            if held.len() >= SESSION_MAILBOX {
                // As with a full mailbox: the client fell too far behind.
                self.end(ctx, SessionControl::TooSlow);
                return;
            }
            held.push(event);
            return;
        }
        self.deliver(event, ctx);
    }
}

impl StreamHandler<Result<ws::Message, ProtocolError>> for WsSession {
    fn handle(&mut self, item: Result<ws::Message, ProtocolError>, ctx: &mut Self::Context) {
        let message = match item {
            Ok(message) => message,
            Err(ProtocolError::Overflow) => {
                ctx.close(Some(CloseReason {
                    code: CloseCode::Size,
                    description: Some("frame larger than 64 KiB".into()),
                }));
                ctx.stop();
                return;
            }
            Err(err) => {
                tracing::debug!(session = self.key.0, error = %err, "WebSocket protocol error");
                ctx.close(Some(CloseReason {
                    code: CloseCode::Protocol,
                    description: None,
                }));
                ctx.stop();
                return;
            }
        };
        self.last_heard = Instant::now();
        match message {
            ws::Message::Text(text) => self.on_text(&text, ctx),
            // A ping flood is answered no faster than the budget allows; the excess is dropped.
            ws::Message::Ping(payload) if self.budget.take(self.last_heard) => ctx.pong(&payload),
            ws::Message::Ping(_) => {}
            ws::Message::Pong(_) | ws::Message::Nop => {}
            ws::Message::Binary(_) | ws::Message::Continuation(_) if !self.budget.take(self.last_heard) => {}
            ws::Message::Binary(_) | ws::Message::Continuation(_) => Self::send(
                ctx,
                &ServerMessage::error(
                    None,
                    ErrorCode::InvalidRequest,
                    "send JSON text frames, one message per frame",
                ),
            ),
            ws::Message::Close(reason) => {
                ctx.close(reason);
                ctx.stop();
            }
        }
    }
}
