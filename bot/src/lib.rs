//! Loket's Telegram bot for reporters: the actor, the dialogue, and delivery of the core's outbox.
//!
//! The `loket` binary starts a [`BotActor`] on the core's desk when `TELEGRAM_BOT_TOKEN` is set. The bot
//! files and follows up reports through the desk, handles the updates recorded in the core's inbox (on
//! every instance), and — on the one instance holding [`BOT_LEASE`] — polls Telegram (or registers the
//! webhook) and delivers the outbox, wording each notification in the reporter's language. [`Shutdown`]
//! stops it between updates and sends.

pub mod actor;
pub mod attachments;
pub mod buttons;
pub mod commands;
pub mod delivery;
pub mod dialogue;
pub mod handlers;
pub mod inbox;
pub mod pacing;
pub mod ratelimit;
pub mod store;
pub mod texts;

pub use actor::{BOT_LEASE, BotActor, BotSettings, Shutdown, UpdateMode};
