//! The live connection to `/ws`: one gloo-net WebSocket at a time, reopened with backoff when it drops,
//! requests correlated with their `Ack`/`Error` by `request_id`, and a ping watchdog so a link that died
//! silently is noticed and replaced. Components reach it through the context in `hooks::use_connection`.
//!
//! Events carry positions. The connection remembers the newest one it passed on; after a reconnect it
//! sends `Resume` from there and holds every event until the answer, then passes the held ones on in
//! position order (replayed and live ones may interleave before the answer), each once, and reports
//! how many ([`Snapshot::resumed`]). Only when the server cannot resume (`resync_required`, or any other
//! failure) does it ask the views to reload ([`Snapshot::syncs`]).

use crate::state::presence::{PresenceBoard, Seen};
use futures::channel::{mpsc, oneshot};
use futures::future::{Either, select};
use futures::{SinkExt, StreamExt};
use gloo_net::websocket::futures::WebSocket;
use gloo_net::websocket::{Message, WebSocketError};
use gloo_timers::future::TimeoutFuture;
use loket_protocol::presence::TypingThrottle;
use loket_protocol::queue::Access;
use loket_protocol::ws::{ClientFrame, ClientMessage, ServerMessage};
use loket_protocol::{AgentId, ApiError, CommentId, ErrorCode, TicketId, Timestamp};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use wasm_bindgen_futures::spawn_local;
use yew::Callback;

/// How long to wait for the server's `Welcome` after opening a socket.
pub const WELCOME_TIMEOUT_MS: u32 = 10_000;
/// How often the client checks the link with a `Ping` of its own.
pub const PING_INTERVAL_MS: u32 = 15_000;
/// How long a request (including a `Ping`) may wait for its answer before the link counts as dead.
pub const REQUEST_TIMEOUT_MS: u32 = 10_000;
/// Failed attempts in a row after which the badge says "offline" rather than "reconnecting".
pub const OFFLINE_AFTER_FAILURES: u32 = 3;

/// The wait before reconnect attempt `failures` (1-based): quick at first, then at most five seconds.
pub fn reconnect_delay_ms(failures: u32) -> u32 {
    match failures {
        0 | 1 => 250,
        2 => 500,
        3 => 1_000,
        4 => 2_000,
        5 => 3_500,
        _ => 5_000,
    }
}

/// What the connection badge shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConnStatus {
    /// The first connection is being opened.
    #[default]
    Connecting,
    /// Welcome received; live.
    Connected,
    /// The link dropped; trying again.
    Reconnecting,
    /// Several attempts failed; still trying, less often.
    Offline,
}

impl ConnStatus {
    /// Machine-readable name (the badge's `data-state`).
    pub fn as_str(self) -> &'static str {
        match self {
            ConnStatus::Connecting => "connecting",
            ConnStatus::Connected => "connected",
            ConnStatus::Reconnecting => "reconnecting",
            ConnStatus::Offline => "offline",
        }
    }

    /// The status after `failures` failed attempts in a row.
    pub fn after_failures(failures: u32) -> ConnStatus {
        if failures >= OFFLINE_AFTER_FAILURES {
            ConnStatus::Offline
        } else {
            ConnStatus::Reconnecting
        }
    }
}

/// What the connection reports to its owner.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snapshot {
    pub status: ConnStatus,
    /// Increases with every `Welcome`: 1 after the first connection, 2 after the first reconnect, ...
    pub epoch: u32,
    /// Increases whenever views must load their data afresh: at the first `Welcome`, and after a
    /// reconnect whose `Resume` failed. (A resumed reconnect needs no reload.)
    pub syncs: u32,
    /// The last reconnect that resumed: with how many events it applied.
    pub resumed: Option<Resumed>,
    /// Which queues' tickets the agent sees, as the last `Welcome` said.
    pub access: Access,
    /// How many reconnects brought a different access (a role or queue change): their reload (`syncs`)
    /// is expected, not a failed resume.
    pub access_changes: u32,
}

/// A reconnect that resumed the event stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resumed {
    /// The connection's epoch it happened in.
    pub epoch: u32,
    /// Events applied: those missed while away, and those that arrived while resuming.
    pub applied: u32,
}

/// A `Resume` in flight: its id, where it resumes from, the `Welcome` position of its connection, and
/// the events held until its answer.
struct Resuming {
    request_id: String,
    after: u64,
    welcomed_at: u64,
    held: Vec<ServerMessage>,
}

/// The events `held` while resuming from `after`, to pass on: in position order, each once, only those
/// after `after`.
pub fn in_order_after(after: u64, mut held: Vec<ServerMessage>) -> Vec<ServerMessage> {
    held.retain(|m| m.position().is_some_and(|p| p > after));
    held.sort_by_key(|m| m.position());
    held.dedup_by_key(|m| m.position());
    held
}

/// The result fields of an `Ack`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ack {
    pub ticket_id: Option<TicketId>,
    pub version: Option<i64>,
    pub expires_at: Option<Timestamp>,
    pub comment_id: Option<CommentId>,
    /// After `LockTicket`: when the lock lapses unless the holder edits.
    pub idle_at: Option<Timestamp>,
}

type Pending = oneshot::Sender<Result<Ack, ApiError>>;

struct Inner {
    url: String,
    /// Identifies the current socket; events from older sockets are ignored.
    generation: Cell<u64>,
    welcomed: Cell<bool>,
    epoch: Cell<u32>,
    syncs: Cell<u32>,
    resumed: Cell<Option<Resumed>>,
    /// The last `Welcome`'s access (none before the first).
    access: RefCell<Option<Access>>,
    access_changes: Cell<u32>,
    /// The newest event position passed on to listeners (none before the first `Welcome`).
    position: Cell<Option<u64>>,
    resuming: RefCell<Option<Resuming>>,
    failures: Cell<u32>,
    stopped: Cell<bool>,
    outbox: RefCell<Option<mpsc::UnboundedSender<String>>>,
    kill: RefCell<Option<oneshot::Sender<()>>>,
    wake: RefCell<Option<oneshot::Sender<()>>>,
    pending: RefCell<HashMap<String, Pending>>,
    listeners: RefCell<Vec<(u64, Callback<Rc<ServerMessage>>)>>,
    next_id: Cell<u64>,
    on_change: Callback<Snapshot>,
    on_unauthorized: Callback<()>,
    /// Who views and types where, as the server last told (`Presence`; told again on every connection).
    presence: RefCell<PresenceBoard>,
    /// The ticket whose page is open: said again after every reconnect.
    viewing: Cell<Option<TicketId>>,
    typing: RefCell<TypingThrottle>,
}

/// A handle to the live connection. Cheap to clone; equal when it is the same connection.
#[derive(Clone)]
pub struct Connection(Rc<Inner>);

impl PartialEq for Connection {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// Keeps a listener registered; dropping it unsubscribes.
pub struct Subscription {
    inner: std::rc::Weak<Inner>,
    id: u64,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.upgrade() {
            inner.listeners.borrow_mut().retain(|(id, _)| *id != self.id);
        }
    }
}

/// The `/ws` URL on the page's own origin.
#[allow(
    clippy::expect_used,
    reason = "the client only runs in a browser page, which always has a window"
)]
fn socket_url() -> String {
    let location = web_sys::window().expect("a browser window").location();
    let scheme = if location.protocol().unwrap_or_default() == "https:" {
        "wss"
    } else {
        "ws"
    };
    format!("{scheme}://{}/ws", location.host().unwrap_or_default())
}

fn lost() -> ApiError {
    ApiError::new(
        ErrorCode::Unavailable,
        "The connection to the server was lost; nothing was changed.",
    )
}

fn not_connected() -> ApiError {
    ApiError::new(
        ErrorCode::Unavailable,
        "Not connected to the server right now. Try again in a moment.",
    )
}

impl Connection {
    /// A connection that reports its state to `on_change` and calls `on_unauthorized` when the session
    /// turns out to be gone. Nothing is opened until [`Connection::start`].
    pub fn new(on_change: Callback<Snapshot>, on_unauthorized: Callback<()>) -> Connection {
        Connection(Rc::new(Inner {
            url: socket_url(),
            generation: Cell::new(0),
            welcomed: Cell::new(false),
            epoch: Cell::new(0),
            syncs: Cell::new(0),
            resumed: Cell::new(None),
            access: RefCell::new(None),
            access_changes: Cell::new(0),
            position: Cell::new(None),
            resuming: RefCell::new(None),
            failures: Cell::new(0),
            stopped: Cell::new(false),
            outbox: RefCell::new(None),
            kill: RefCell::new(None),
            wake: RefCell::new(None),
            pending: RefCell::new(HashMap::new()),
            listeners: RefCell::new(Vec::new()),
            next_id: Cell::new(1),
            on_change,
            on_unauthorized,
            presence: RefCell::new(PresenceBoard::default()),
            viewing: Cell::new(None),
            typing: RefCell::new(TypingThrottle::default()),
        }))
    }

    pub fn start(&self) {
        open(&self.0);
    }

    /// Closes the socket for good (sign-out, page teardown).
    pub fn shutdown(&self) {
        self.0.stopped.set(true);
        if let Some(kill) = self.0.kill.borrow_mut().take() {
            let _ = kill.send(());
        }
        self.0.outbox.borrow_mut().take();
        if let Some(wake) = self.0.wake.borrow_mut().take() {
            let _ = wake.send(());
        }
    }

    /// Skips the wait before the next reconnect attempt.
    pub fn retry_now(&self) {
        if let Some(wake) = self.0.wake.borrow_mut().take() {
            let _ = wake.send(());
        }
    }

    /// Receives every server message until the returned subscription is dropped.
    pub fn subscribe(&self, listener: Callback<Rc<ServerMessage>>) -> Subscription {
        let id = self.0.next_id.get();
        self.0.next_id.set(id + 1);
        self.0.listeners.borrow_mut().push((id, listener));
        Subscription {
            inner: Rc::downgrade(&self.0),
            id,
        }
    }

    /// Sends a message without waiting for an answer. Returns false when not connected.
    pub fn send(&self, message: ClientMessage) -> bool {
        self.0.welcomed.get()
            && self.0.transmit(&ClientFrame {
                request_id: None,
                message,
            })
    }

    /// The ticket page now open (`None`: none): tells the server now and after every reconnect.
    pub fn set_viewing(&self, ticket_id: Option<TicketId>) {
        if self.0.viewing.replace(ticket_id) != ticket_id {
            self.0.typing.borrow_mut().reset();
            self.send(ClientMessage::Viewing { ticket_id });
        }
    }

    /// The agent typed in the composer of `ticket_id`: says so, at most every few seconds.
    pub fn typed(&self, ticket_id: TicketId) {
        if self
            .0
            .typing
            .borrow_mut()
            .keystroke(ticket_id, js_sys::Date::now() as u64)
        {
            self.send(ClientMessage::Typing { ticket_id });
        }
    }

    /// The other agents (not `me`) viewing and typing on `ticket`.
    pub fn presence(&self, ticket: TicketId, me: AgentId) -> Seen {
        self.0.presence.borrow().others(ticket, me)
    }

    /// Sends a message and waits for its `Ack` (or `Error`, or `Pong`).
    pub async fn request(&self, message: ClientMessage) -> Result<Ack, ApiError> {
        request(&self.0, message).await
    }
}

async fn request(inner: &Rc<Inner>, message: ClientMessage) -> Result<Ack, ApiError> {
    if !inner.welcomed.get() {
        return Err(not_connected());
    }
    let id = format!("r{}", inner.next_id.get());
    inner.next_id.set(inner.next_id.get() + 1);
    let (tx, rx) = oneshot::channel();
    inner.pending.borrow_mut().insert(id.clone(), tx);
    if !inner.transmit(&ClientFrame {
        request_id: Some(id.clone()),
        message,
    }) {
        inner.pending.borrow_mut().remove(&id);
        return Err(not_connected());
    }
    match select(rx, TimeoutFuture::new(REQUEST_TIMEOUT_MS)).await {
        Either::Left((Ok(answer), _)) => answer,
        Either::Left((Err(_), _)) => Err(lost()),
        Either::Right(_) => {
            inner.pending.borrow_mut().remove(&id);
            Err(ApiError::new(
                ErrorCode::Unavailable,
                "The server did not answer in time.",
            ))
        }
    }
}

impl Inner {
    fn transmit(&self, frame: &ClientFrame) -> bool {
        let Ok(text) = serde_json::to_string(frame) else {
            return false;
        };
        match self.outbox.borrow().as_ref() {
            Some(outbox) => outbox.unbounded_send(text).is_ok(),
            None => false,
        }
    }

    fn set_status(&self, status: ConnStatus) {
        self.on_change.emit(Snapshot {
            status,
            epoch: self.epoch.get(),
            syncs: self.syncs.get(),
            resumed: self.resumed.get(),
            access: self.access.borrow().clone().unwrap_or_default(),
            access_changes: self.access_changes.get(),
        });
    }

    /// Passes `msg` to every listener.
    fn dispatch(&self, msg: ServerMessage) {
        // Clone the list first: a listener may subscribe or unsubscribe while we call it.
        let listeners: Vec<Callback<Rc<ServerMessage>>> = self
            .listeners
            .borrow()
            .iter()
            .map(|(_, listener)| listener.clone())
            .collect();
        let msg = Rc::new(msg);
        for listener in listeners {
            listener.emit(msg.clone());
        }
    }

    /// Passes an event on once, in order: one at or below the newest passed on is a repeat.
    fn pass_event(&self, msg: ServerMessage, at: u64) -> bool {
        if self.position.get().is_some_and(|newest| at <= newest) {
            return false;
        }
        self.position.set(Some(at));
        self.dispatch(msg);
        true
    }

    /// A `Welcome`: resume from the newest position passed on, or (first connection) start from it.
    fn welcomed(&self, welcomed_at: u64) {
        match self.position.get() {
            Some(after) => {
                let request_id = format!("resume-{}", self.generation.get());
                *self.resuming.borrow_mut() = Some(Resuming {
                    request_id: request_id.clone(),
                    after,
                    welcomed_at,
                    held: Vec::new(),
                });
                let sent = self.transmit(&ClientFrame {
                    request_id: Some(request_id),
                    message: ClientMessage::Resume { after },
                });
                if !sent {
                    self.resuming.borrow_mut().take();
                }
            }
            None => {
                self.position.set(Some(welcomed_at));
                self.syncs.set(self.syncs.get() + 1);
            }
        }
    }

    /// The answer to the `Resume` in flight: pass the held events on, then report (or ask for a reload).
    fn resumed(&self, resuming: Resuming, ok: bool) {
        let Resuming {
            after,
            welcomed_at,
            held,
            ..
        } = resuming;
        let mut applied = 0;
        for msg in in_order_after(after, held) {
            if let Some(at) = msg.position()
                && self.pass_event(msg, at)
            {
                applied += 1;
            }
        }
        if ok {
            self.resumed.set(Some(Resumed {
                epoch: self.epoch.get(),
                applied,
            }));
        } else {
            // The views reload from a snapshot at least as new as this connection's Welcome.
            let newest = self.position.get().unwrap_or(0).max(welcomed_at);
            self.position.set(Some(newest));
            self.syncs.set(self.syncs.get() + 1);
        }
        self.set_status(ConnStatus::Connected);
    }

    fn received(&self, generation: u64, text: &str) {
        if generation != self.generation.get() {
            return;
        }
        let msg = match serde_json::from_str::<ServerMessage>(text) {
            Ok(msg) => msg,
            Err(error) => {
                web_sys::console::warn_1(&format!("Loket: ignoring a message I do not understand: {error}").into());
                return;
            }
        };
        // While resuming, events wait for the answer.
        if let Some(at) = msg.position() {
            if let Some(resuming) = self.resuming.borrow_mut().as_mut() {
                resuming.held.push(msg);
                return;
            }
            self.pass_event(msg, at);
            return;
        }
        let resume_answer = match &msg {
            ServerMessage::Ack { request_id, .. }
            | ServerMessage::Error {
                request_id: Some(request_id),
                ..
            } => {
                let mut resuming = self.resuming.borrow_mut();
                match resuming.as_ref() {
                    Some(r) if r.request_id == *request_id => resuming.take(),
                    _ => None,
                }
            }
            _ => None,
        };
        if let Some(resuming) = resume_answer {
            if let ServerMessage::Error { code, message, .. } = &msg {
                web_sys::console::info_1(
                    &format!("Loket: cannot resume ({}: {message}); reloading", code.as_str()).into(),
                );
            }
            self.resumed(resuming, matches!(msg, ServerMessage::Ack { .. }));
            return;
        }
        match &msg {
            ServerMessage::Welcome { position, access, .. } => {
                self.welcomed.set(true);
                self.presence.borrow_mut().clear();
                if let Some(ticket_id) = self.viewing.get() {
                    self.transmit(&ClientFrame {
                        request_id: None,
                        message: ClientMessage::Viewing {
                            ticket_id: Some(ticket_id),
                        },
                    });
                }
                self.failures.set(0);
                self.epoch.set(self.epoch.get() + 1);
                let before = self.access.replace(Some(access.clone()));
                if before.is_some_and(|before| before != *access) {
                    // The agent's queues changed (the server closed the old connection for it): what the
                    // views hold was chosen for the old ones, so they load afresh instead of resuming.
                    let newest = self.position.get().unwrap_or(0).max(*position);
                    self.position.set(Some(newest));
                    self.access_changes.set(self.access_changes.get() + 1);
                    self.syncs.set(self.syncs.get() + 1);
                } else {
                    self.welcomed(*position);
                }
                self.set_status(ConnStatus::Connected);
            }
            ServerMessage::Ack {
                request_id,
                ticket_id,
                version,
                expires_at,
                comment_id,
                idle_at,
                ..
            } => {
                let ack = Ack {
                    ticket_id: *ticket_id,
                    version: *version,
                    expires_at: *expires_at,
                    comment_id: *comment_id,
                    idle_at: *idle_at,
                };
                self.answer(request_id, Ok(ack));
            }
            ServerMessage::Error {
                request_id: Some(request_id),
                code,
                message,
                ticket,
                holder,
            } => {
                let error = ApiError {
                    code: *code,
                    message: message.clone(),
                    ticket: ticket.clone(),
                    holder: holder.clone(),
                };
                self.answer(request_id, Err(error));
            }
            ServerMessage::Pong {
                request_id: Some(request_id),
            } => self.answer(request_id, Ok(Ack::default())),
            ServerMessage::Presence { .. } => {
                self.presence.borrow_mut().apply(&msg);
            }
            _ => {}
        }
        self.dispatch(msg);
    }

    fn answer(&self, request_id: &str, result: Result<Ack, ApiError>) {
        let pending = self.pending.borrow_mut().remove(request_id);
        if let Some(pending) = pending {
            let _ = pending.send(result);
        }
    }
}

/// Opens a new socket and starts its reader, writer and watchdog.
fn open(inner: &Rc<Inner>) {
    if inner.stopped.get() {
        return;
    }
    let generation = inner.generation.get() + 1;
    inner.generation.set(generation);
    inner.welcomed.set(false);
    let socket = match WebSocket::open(&inner.url) {
        Ok(socket) => socket,
        Err(_) => {
            closed(inner, generation);
            return;
        }
    };
    let (mut sink, mut stream) = socket.split();
    let (out_tx, mut out_rx) = mpsc::unbounded::<String>();
    let (kill_tx, mut kill_rx) = oneshot::channel::<()>();
    *inner.outbox.borrow_mut() = Some(out_tx);
    *inner.kill.borrow_mut() = Some(kill_tx);

    spawn_local(async move {
        while let Some(text) = out_rx.next().await {
            if sink.send(Message::Text(text)).await.is_err() {
                break;
            }
        }
    });

    let reader = inner.clone();
    spawn_local(async move {
        loop {
            match select(stream.next(), &mut kill_rx).await {
                Either::Left((Some(Ok(Message::Text(text))), _)) => reader.received(generation, &text),
                Either::Left((Some(Ok(Message::Bytes(_))), _)) => {}
                // An error event is followed by the close event; wait for it.
                Either::Left((Some(Err(WebSocketError::ConnectionError)), _)) => {}
                Either::Left((Some(Err(_)) | None, _)) | Either::Right(_) => break,
            }
        }
        drop(stream);
        closed(&reader, generation);
    });

    let watchdog = inner.clone();
    spawn_local(async move { watch(watchdog, generation).await });
}

/// Kills the socket if it is not welcomed in time or stops answering pings.
async fn watch(inner: Rc<Inner>, generation: u64) {
    TimeoutFuture::new(WELCOME_TIMEOUT_MS).await;
    loop {
        if inner.generation.get() != generation || inner.stopped.get() {
            return;
        }
        if !inner.welcomed.get() || request(&inner, ClientMessage::Ping).await.is_err() {
            if inner.generation.get() == generation
                && let Some(kill) = inner.kill.borrow_mut().take()
            {
                let _ = kill.send(());
            }
            return;
        }
        TimeoutFuture::new(PING_INTERVAL_MS).await;
    }
}

/// The socket of `generation` is gone: fail what waits on it and schedule the next attempt.
fn closed(inner: &Rc<Inner>, generation: u64) {
    if generation != inner.generation.get() {
        return;
    }
    let was_welcomed = inner.welcomed.replace(false);
    // Events held for a Resume that got no answer are sent again by the next one.
    inner.resuming.borrow_mut().take();
    inner.outbox.borrow_mut().take();
    inner.kill.borrow_mut().take();
    let pending: Vec<Pending> = inner.pending.borrow_mut().drain().map(|(_, tx)| tx).collect();
    for tx in pending {
        let _ = tx.send(Err(lost()));
    }
    if inner.stopped.get() {
        return;
    }
    let failures = if was_welcomed { 1 } else { inner.failures.get() + 1 };
    inner.failures.set(failures);
    inner.set_status(if inner.epoch.get() == 0 && failures < OFFLINE_AFTER_FAILURES {
        ConnStatus::Connecting
    } else {
        ConnStatus::after_failures(failures)
    });
    let inner = inner.clone();
    spawn_local(async move {
        // A socket refused before its Welcome may mean the session is gone: ask the REST API.
        if !was_welcomed
            && let Err(error) = crate::api::me().await
            && error.code == ErrorCode::Unauthorized
        {
            inner.stopped.set(true);
            inner.on_unauthorized.emit(());
            return;
        }
        let (wake_tx, wake_rx) = oneshot::channel();
        *inner.wake.borrow_mut() = Some(wake_tx);
        let _ = select(TimeoutFuture::new(reconnect_delay_ms(failures)), wake_rx).await;
        inner.wake.borrow_mut().take();
        if generation == inner.generation.get() {
            open(&inner);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let delays: Vec<u32> = (1..=8).map(reconnect_delay_ms).collect();
        assert!(delays.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(delays[0], 250);
        assert_eq!(*delays.last().unwrap(), 5_000);
    }

    fn comment_at(position: u64) -> ServerMessage {
        ServerMessage::TicketUnlocked {
            ticket_id: TicketId(1),
            queue: loket_protocol::QueueId::ORIGINAL,
            reason: loket_protocol::ticket::UnlockReason::Released,
            by: None,
            message: None,
            position,
        }
    }

    #[test]
    fn held_events_go_on_in_order_once_and_only_after_the_resume_point() {
        // Live events that came before the replay, the replay, and a repeat.
        let held = vec![
            comment_at(9),
            comment_at(10),
            comment_at(4),
            comment_at(6),
            comment_at(9),
            comment_at(3),
        ];
        let passed: Vec<u64> = in_order_after(3, held)
            .iter()
            .filter_map(ServerMessage::position)
            .collect();
        assert_eq!(passed, [4, 6, 9, 10]);
        assert!(in_order_after(10, vec![comment_at(10)]).is_empty());
    }

    #[test]
    fn offline_after_repeated_failures() {
        assert_eq!(ConnStatus::after_failures(1), ConnStatus::Reconnecting);
        assert_eq!(ConnStatus::after_failures(OFFLINE_AFTER_FAILURES), ConnStatus::Offline);
        assert_eq!(ConnStatus::Offline.as_str(), "offline");
    }
}
