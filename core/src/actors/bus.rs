//! The event bus: committed changes fan out from here to every WebSocket session. (The bot hears of what
//! concerns reporters through the outbox, not the bus.)
//!
//! Events arrive from the event log (`crate::event_log`) already in position order; the bus remembers the
//! newest position it fanned out, and a session joining is told it: the session's stream is every event
//! after that position, nothing missing, nothing twice.
//!
//! Each event is serialised to JSON once; sessions share the bytes. A session whose mailbox is full (its
//! client stopped reading) is dropped from the bus and told to close, so one stalled browser cannot make
//! the server's memory grow without bound; its client reconnects and resynchronises.

use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::Instant;

use actix::prelude::*;
use bytestring::ByteString;
use loket_protocol::AgentId;
use loket_protocol::ws::ServerMessage;

use crate::domain::audience::{Audience, audience};
use crate::domain::lease::SessionKey;

/// A committed event, ready to send: its JSON frame, shared by every socket.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct Published {
    pub frame: ByteString,
    /// The event's position in the log.
    pub position: u64,
    /// Who may see it (every session checks before sending).
    pub audience: Audience,
    /// When the bus took the event, for the fan-out latency.
    pub published_at: Instant,
}

/// The delivery metrics' handles, looked up once: they are recorded for every frame to every session.
/// (First used at the first delivery, after the recorder was installed at start.)
static DELIVERY_METRICS: LazyLock<(metrics::Counter, metrics::Histogram)> = LazyLock::new(|| {
    (
        metrics::counter!(crate::metrics::EVENTS_DELIVERED),
        metrics::histogram!(crate::metrics::FANOUT_SECONDS),
    )
});

impl Published {
    /// Counts this event as delivered to one session and records how long it took to get there. Call it
    /// where the frame is written.
    pub fn record_delivery(&self) {
        let (delivered, fanout) = &*DELIVERY_METRICS;
        delivered.increment(1);
        fanout.record(self.published_at.elapsed());
    }
}

/// Publishes a committed event to every subscriber. Sent by the event log only, after the change's
/// transaction committed and in position order (`crate::event_log`).
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct Publish {
    pub position: u64,
    /// The event, its `position` set.
    pub message: ServerMessage,
}

/// The log's history up to this position was complete before the bus started: sent once, by the event
/// log, before any event.
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "()")]
pub struct StartAt(pub u64);

/// A WebSocket session joins the bus. Answers the newest position fanned out so far: the session
/// receives every event after it.
#[derive(Message)]
#[rtype(result = "u64")]
pub struct Subscribe {
    pub session: SessionKey,
    /// The signed-in agent, so disabling the account (or changing its role) can reach all its sockets.
    pub agent: AgentId,
    /// Digest of the sign-in token the session was opened with, so signing out can end it.
    pub token_digest: Vec<u8>,
    pub recipient: Recipient<Published>,
    pub control: Recipient<SessionControl>,
}

/// Tells a session to end, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Message)]
#[rtype(result = "()")]
pub enum SessionControl {
    /// Its sign-in session ended (signed out, expired, ended by an admin, or the password was reset).
    Revoked,
    /// An admin disabled the agent's account.
    AccountDisabled,
    /// The agent's role changed: reconnect to be welcomed with the new one.
    RoleChanged,
    /// The queues the agent is a member of changed (a `MembershipChanged` event in the log, which every
    /// instance reads): reconnect to be welcomed with the new access.
    QueuesChanged,
    /// It fell too far behind: its client stopped reading.
    TooSlow,
}

/// Ends every WebSocket session opened with this sign-in token (on logout).
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct RevokeToken {
    pub token_digest: Vec<u8>,
}

/// Ends (or refreshes) every WebSocket session of `agent`, except those opened with the sign-in `keep`
/// (an agent changing their own password stays signed in where they did it).
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct RevokeAgent {
    pub agent: AgentId,
    pub keep: Option<Vec<u8>>,
    pub why: SessionControl,
}

/// A WebSocket session leaves the bus.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Unsubscribe {
    pub session: SessionKey,
}

/// How many sessions are on the bus (for metrics, and for tests that wait for a session to end: a session
/// leaves the bus last, after ending its leases).
#[derive(Message)]
#[rtype(result = "usize")]
pub struct SessionCount;

struct SessionEntry {
    agent: AgentId,
    token_digest: Vec<u8>,
    recipient: Recipient<Published>,
    control: Recipient<SessionControl>,
}

/// The bus actor.
#[derive(Default)]
pub struct EventBus {
    sessions: HashMap<SessionKey, SessionEntry>,
    /// The newest position fanned out.
    position: u64,
}

impl Actor for EventBus {
    type Context = Context<Self>;
}

impl EventBus {
    /// Keeps the sessions gauge in step with the subscribers.
    fn count_sessions(&self) {
        metrics::gauge!(crate::metrics::WS_SESSIONS).set(self.sessions.len() as f64);
    }
}

impl Handler<Publish> for EventBus {
    type Result = ();

    fn handle(&mut self, Publish { position, message }: Publish, _: &mut Self::Context) {
        let published_at = Instant::now();
        if position <= self.position {
            // The log releases in order; this would be a bug there. Sessions rely on increasing positions.
            tracing::error!(
                position,
                newest = self.position,
                "an event out of order reached the bus; not sent"
            );
            return;
        }
        self.position = position;
        metrics::counter!(crate::metrics::EVENTS_PUBLISHED).increment(1);
        if let ServerMessage::MembershipChanged { agent_id, .. } = &message {
            // The sessions' cached access is stale: they reconnect (after the events before this one,
            // which are in their mailboxes already) and are welcomed with the new one.
            for entry in self.sessions.values().filter(|e| e.agent == *agent_id) {
                entry.control.do_send(SessionControl::QueuesChanged);
            }
        }
        let frame = match serde_json::to_string(&message) {
            Ok(json) => ByteString::from(json),
            Err(err) => {
                tracing::error!(error = %err, "cannot serialise an event");
                return;
            }
        };
        let published = Published {
            frame,
            position,
            audience: audience(&message),
            published_at,
        };
        let mut stalled = Vec::new();
        for (key, entry) in &self.sessions {
            // `try_send` respects the session's mailbox capacity; `do_send` would queue without limit.
            if let Err(SendError::Full(_)) = entry.recipient.try_send(published.clone()) {
                stalled.push(*key);
            }
        }
        for key in stalled {
            if let Some(entry) = self.sessions.remove(&key) {
                tracing::warn!(session = key.0, "session stopped reading; dropping it from the bus");
                entry.control.do_send(SessionControl::TooSlow);
                self.count_sessions();
            }
        }
    }
}

impl Handler<StartAt> for EventBus {
    type Result = ();

    fn handle(&mut self, StartAt(position): StartAt, _: &mut Self::Context) {
        self.position = self.position.max(position);
    }
}

impl Handler<Subscribe> for EventBus {
    type Result = u64;

    fn handle(&mut self, msg: Subscribe, _: &mut Self::Context) -> u64 {
        let entry = SessionEntry {
            agent: msg.agent,
            token_digest: msg.token_digest,
            recipient: msg.recipient,
            control: msg.control,
        };
        self.sessions.insert(msg.session, entry);
        self.count_sessions();
        self.position
    }
}

impl Handler<Unsubscribe> for EventBus {
    type Result = ();

    fn handle(&mut self, msg: Unsubscribe, _: &mut Self::Context) {
        self.sessions.remove(&msg.session);
        self.count_sessions();
    }
}

impl Handler<RevokeToken> for EventBus {
    type Result = ();

    fn handle(&mut self, msg: RevokeToken, _: &mut Self::Context) {
        for entry in self.sessions.values().filter(|e| e.token_digest == msg.token_digest) {
            entry.control.do_send(SessionControl::Revoked);
        }
    }
}

impl Handler<RevokeAgent> for EventBus {
    type Result = ();

    fn handle(&mut self, msg: RevokeAgent, _: &mut Self::Context) {
        let spared = |e: &SessionEntry| msg.keep.as_ref().is_some_and(|keep| *keep == e.token_digest);
        for entry in self.sessions.values().filter(|e| e.agent == msg.agent && !spared(e)) {
            entry.control.do_send(msg.why);
        }
    }
}

impl Handler<SessionCount> for EventBus {
    type Result = usize;

    fn handle(&mut self, _: SessionCount, _: &mut Self::Context) -> usize {
        self.sessions.len()
    }
}
