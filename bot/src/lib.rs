//! Loket's Telegram bot for reporters (filled in by the bot issue): the contract the server offers it.

pub mod desk;
