//! Starts the Telegram bot on the desk and this instance's place in the cluster.

use std::sync::{Arc, OnceLock};

use actix::prelude::*;
use loket_bot::{BotActor, BotSettings, UpdateMode};
use loket_core::Desk;
use loket_core::cluster::Cluster;

use crate::config::Config;

/// Starts the bot for `token`; `invite_link_base` is filled once Telegram has said the bot's username.
/// Call after [`Config::validate`] (a webhook setting it refused leaves the bot polling).
pub fn start_bot(
    config: &Config,
    token: &str,
    desk: &Desk,
    cluster: &Cluster,
    invite_link_base: Arc<OnceLock<String>>,
) -> Addr<BotActor> {
    let settings = BotSettings {
        token: token.to_string(),
        api_url: config.telegram_api_url.clone(),
        mode: config.update_mode().unwrap_or(UpdateMode::Polling),
    };
    BotActor::new(settings, desk.clone(), cluster.clone(), invite_link_base).start()
}
