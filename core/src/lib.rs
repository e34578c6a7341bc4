//! Loket's ticket core: everything about tickets that is neither HTTP nor Telegram.
//!
//! The domain rules (`domain`), PostgreSQL persistence and migrations (`db`), the per-ticket actors,
//! their registry and the event bus (`actors`), the event log's positions, release order and retention
//! (`event_log`), the one entry point for ticket operations (`desk`), the
//! notification outbox (`outbox`), the inbox of Telegram updates as JSON (`inbox`), the instances sharing
//! one database and their leases (`cluster`), access administration (`accounts`), queues and their
//! members (`queues`), the one error type (`error`), the
//! data directory on disk (`data_dir`), the metrics it records (`metrics`) and the demo desk generator
//! (`demo`) and statistics (`stats`). The web layer (`loket-web`) and the Telegram bot (`loket-bot`) both stand on this crate; it
//! depends on neither.

pub mod accounts;
pub mod actors;
pub mod attention;
pub mod auth;
pub mod backup;
pub mod bootstrap;
pub mod canned;
pub mod cluster;
pub mod data_dir;
pub mod db;
pub mod demo;
pub mod desk;
pub mod domain;
pub mod error;
pub mod event_log;
pub mod inbox;
pub mod metrics;
pub mod outbox;
pub mod queues;
pub mod reporting;
pub mod sla;
pub mod startup;
pub mod stats;

pub use desk::Desk;
pub use error::AppError;
pub use startup::{Database, DatabasePurpose, DatabaseSettings, StartError, open_database, prepare, prepare_data_dir};
