//! Loket's Telegram bot for reporters: the actor, the dialogue, and delivery of the core's outbox.
//!
//! The `loket` binary starts a [`BotActor`] on the core's desk when `TELEGRAM_BOT_TOKEN` is set. The bot
//! files and follows up reports through the desk, wakes when the desk signals notifications pending,
//! words each notification in the reporter's language, and [`Shutdown`] stops it between updates and sends.

pub mod actor;
pub mod attachments;
pub mod buttons;
pub mod commands;
pub mod delivery;
pub mod dialogue;
pub mod handlers;
pub mod pacing;
pub mod ratelimit;
pub mod store;
pub mod texts;

pub use actor::{BotActor, BotSettings, Shutdown};
