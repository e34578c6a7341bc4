//! The WebSocket endpoint: the only module that uses actix-web-actors.

pub mod budget;
mod presence;
pub mod session;

pub use session::WsSession;
