//! Loket's Telegram bot for reporters: the contract with the server, the outbox it delivers, and its texts.

pub mod desk;
pub mod outbox;
pub mod texts;
