//! The event bus: committed changes fan out from here to every WebSocket session and to the bot.
//!
//! Each event is serialised to JSON once; sessions share the bytes.

use std::collections::HashMap;
use std::sync::Arc;

use actix::prelude::*;
use bytestring::ByteString;
use loket_protocol::ws::ServerMessage;

use crate::domain::lease::SessionKey;

/// A committed event, ready to send: the value for in-process subscribers and the frame for sockets.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct Published {
    pub message: Arc<ServerMessage>,
    pub frame: ByteString,
}

/// Publishes a committed event to every subscriber. Send it only after the change's transaction committed.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct Publish(pub ServerMessage);

/// A WebSocket session joins the bus.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Subscribe {
    pub session: SessionKey,
    pub recipient: Recipient<Published>,
}

/// A WebSocket session leaves the bus.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Unsubscribe {
    pub session: SessionKey,
}

/// An in-process listener (the Telegram bot) joins the bus for the life of the process.
#[derive(Message)]
#[rtype(result = "()")]
pub struct SubscribeListener(pub Recipient<Published>);

/// How many sessions are connected (for health and metrics).
#[derive(Message)]
#[rtype(result = "usize")]
pub struct SessionCount;

/// The bus actor.
#[derive(Default)]
pub struct EventBus {
    sessions: HashMap<SessionKey, Recipient<Published>>,
    listeners: Vec<Recipient<Published>>,
}

impl Actor for EventBus {
    type Context = Context<Self>;
}

impl Handler<Publish> for EventBus {
    type Result = ();

    fn handle(&mut self, Publish(message): Publish, _: &mut Self::Context) {
        let frame = match serde_json::to_string(&message) {
            Ok(json) => ByteString::from(json),
            Err(err) => {
                tracing::error!(error = %err, "cannot serialise an event");
                return;
            }
        };
        let published = Published {
            message: Arc::new(message),
            frame,
        };
        for recipient in self.sessions.values().chain(self.listeners.iter()) {
            recipient.do_send(published.clone());
        }
    }
}

impl Handler<Subscribe> for EventBus {
    type Result = ();

    fn handle(&mut self, msg: Subscribe, _: &mut Self::Context) {
        self.sessions.insert(msg.session, msg.recipient);
    }
}

impl Handler<Unsubscribe> for EventBus {
    type Result = ();

    fn handle(&mut self, msg: Unsubscribe, _: &mut Self::Context) {
        self.sessions.remove(&msg.session);
    }
}

impl Handler<SubscribeListener> for EventBus {
    type Result = ();

    fn handle(&mut self, msg: SubscribeListener, _: &mut Self::Context) {
        self.listeners.push(msg.0);
    }
}

impl Handler<SessionCount> for EventBus {
    type Result = usize;

    fn handle(&mut self, _: SessionCount, _: &mut Self::Context) -> usize {
        self.sessions.len()
    }
}
