//! Loket's test kit: a throwaway PostgreSQL, the real server on 127.0.0.1:0 (in-process, or in a child
//! process for what is per process), several real `loket` processes on one database (`cluster`) behind a
//! TCP balancer, and real HTTP and WebSocket clients.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed expectation should stop the test loudly, with its message"
)]

pub mod balancer;
pub mod browser;
pub mod child;
pub mod client;
pub mod cluster;
pub mod pg;
pub mod server;
pub mod tcp_pg;
pub mod telegram;

pub use balancer::Balancer;
pub use child::ChildServer;
pub use client::{AgentClient, WsClient};
pub use cluster::{Cluster, Instance};
pub use server::TestServer;
pub use telegram::{FakeTelegram, TgUser};

/// How long a test waits for something that should happen at once before it fails. A guard, not a clock:
/// tests wait for events and never sleep to synchronise.
pub const PATIENCE: std::time::Duration = std::time::Duration::from_secs(10);

/// Logs from the server under test, when `RUST_LOG` asks for them.
pub fn init_logging() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}
