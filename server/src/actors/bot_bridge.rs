//! Starts the Telegram bot and bridges the event bus to it: committed changes that may have queued a
//! notification wake the bot's outbox delivery at once (it also polls, as a safety net).

use std::sync::{Arc, OnceLock};

use actix::prelude::*;
use loket_bot::{BotActor, BotSettings, Wake};
use loket_protocol::ws::ServerMessage;

use crate::actors::bus::{Published, SubscribeListener};
use crate::config::Config;
use crate::desk::Desk;

/// Forwards bus events to the bot as wake-ups.
pub struct BotBridge {
    bot: Recipient<Wake>,
}

impl Actor for BotBridge {
    type Context = Context<Self>;
}

impl Handler<Published> for BotBridge {
    type Result = ();

    fn handle(&mut self, published: Published, _: &mut Self::Context) {
        // Status changes and public replies are what the ticket actor writes to the outbox.
        let relevant = match &*published.message {
            ServerMessage::TicketUpdated { .. } => true,
            ServerMessage::CommentAdded { comment, .. } => !comment.internal,
            _ => false,
        };
        if relevant {
            self.bot.do_send(Wake);
        }
    }
}

/// Starts the bot for `token` and subscribes it to the bus; `invite_link_base` is filled once Telegram
/// has said the bot's username.
pub fn start_bot(config: &Config, token: &str, desk: &Desk, invite_link_base: Arc<OnceLock<String>>) -> Addr<BotActor> {
    let settings = BotSettings {
        token: token.to_string(),
        api_url: config.telegram_api_url.clone(),
        data_dir: config.data_dir.clone(),
    };
    let bot = BotActor::new(settings, desk.pool.clone(), Arc::new(desk.clone()), invite_link_base).start();
    let bridge = BotBridge {
        bot: bot.clone().recipient(),
    }
    .start();
    desk.bus.do_send(SubscribeListener(bridge.recipient()));
    bot
}
