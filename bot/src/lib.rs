//! Loket's Telegram bot for reporters: the contract with the server, the actor, the dialogue and the outbox.
//!
//! The server starts a [`BotActor`] when `TELEGRAM_BOT_TOKEN` is set and sends it a [`Wake`] whenever a
//! committed change may have queued a notification; [`Shutdown`] stops it between updates and sends.

pub mod actor;
pub mod attachments;
pub mod commands;
pub mod delivery;
pub mod desk;
pub mod dialogue;
pub mod handlers;
pub mod outbox;
pub mod pacing;
pub mod ratelimit;
pub mod store;
pub mod texts;

pub use actor::{BotActor, BotSettings, Shutdown, Wake};
