//! Starts the Telegram bot on the desk (it waits on the desk's outbox signal for notifications).

use std::sync::{Arc, OnceLock};

use actix::prelude::*;
use loket_bot::{BotActor, BotSettings};
use loket_core::Desk;

use crate::config::Config;

/// Starts the bot for `token`; `invite_link_base` is filled once Telegram has said the bot's username.
pub fn start_bot(config: &Config, token: &str, desk: &Desk, invite_link_base: Arc<OnceLock<String>>) -> Addr<BotActor> {
    let settings = BotSettings {
        token: token.to_string(),
        api_url: config.telegram_api_url.clone(),
        data_dir: config.data_dir.clone(),
    };
    BotActor::new(settings, desk.clone(), invite_link_base).start()
}
