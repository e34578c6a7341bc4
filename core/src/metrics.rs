//! The metrics the core keeps, named in one place and recorded through the `metrics` facade. The web layer
//! installs the Prometheus recorder and serves `/metrics`; without a recorder (unit tests, subcommands)
//! every call here does nothing. All values are per process; docs/operations.md lists them.
//!
//! Counters and histograms are recorded where things happen (the bus, the ticket actors, the pool), and
//! so are the sessions and actors gauges; gauges that mirror other state are set by [`sample`] when the
//! metrics are scraped, so nothing keeps a second copy of that state.

use std::time::Duration;

use metrics::{Unit, describe_counter, describe_gauge, describe_histogram, gauge};

use crate::desk::Desk;

/// Events handed to the bus after their change committed.
pub const EVENTS_PUBLISHED: &str = "loket_events_published_total";
/// Event frames written to WebSocket sessions (one event to ten sessions counts ten).
pub const EVENTS_DELIVERED: &str = "loket_events_delivered_total";
/// From an event's publication to its frame being written to a session.
pub const FANOUT_SECONDS: &str = "loket_fanout_seconds";
/// SLA warnings this instance's sweep recorded, by `target` (each is recorded by one instance only).
pub const SLA_WARNINGS: &str = "loket_sla_warnings_total";
/// SLA breaches this instance's sweep recorded, by `target` (each is recorded by one instance only).
pub const SLA_BREACHES: &str = "loket_sla_breaches_total";
/// Ticket actors running.
pub const TICKET_ACTORS: &str = "loket_ticket_actors";
/// Tickets locked right now.
pub const LOCKS_HELD: &str = "loket_locks_held";
/// WebSocket sessions subscribed to the bus (set by the bus as they come and go).
pub const WS_SESSIONS: &str = "loket_ws_sessions";
/// Database connections by `state`: `in_use` or `idle`.
pub const DB_POOL_CONNECTIONS: &str = "loket_db_pool_connections";
/// The most connections the pool opens.
pub const DB_POOL_MAX: &str = "loket_db_pool_max_connections";
/// Callers waiting for a connection right now.
pub const DB_POOL_WAITING: &str = "loket_db_pool_waiting";
/// How long taking a connection from the pool took.
pub const DB_POOL_WAIT_SECONDS: &str = "loket_db_pool_wait_seconds";
/// Notifications waiting for delivery to reporters.
pub const OUTBOX_PENDING: &str = "loket_outbox_pending";
/// Age of the oldest notification waiting for delivery (0 when none waits).
pub const OUTBOX_OLDEST_AGE_SECONDS: &str = "loket_outbox_oldest_pending_age_seconds";

/// The outbox query at scrape time gives up after this long, so a scrape answers while the database is
/// unreachable (the outbox gauges then keep their last values).
const SAMPLE_TIMEOUT: Duration = Duration::from_secs(1);

/// Registers the help text of the core's metrics with the installed recorder.
pub fn describe() {
    describe_counter!(
        EVENTS_PUBLISHED,
        "Events published to the bus after their change committed"
    );
    describe_counter!(EVENTS_DELIVERED, "Event frames written to WebSocket sessions");
    describe_counter!(
        SLA_WARNINGS,
        "SLA warnings recorded by this instance's sweep, by target"
    );
    describe_counter!(
        SLA_BREACHES,
        "SLA breaches recorded by this instance's sweep, by target"
    );
    describe_histogram!(
        FANOUT_SECONDS,
        Unit::Seconds,
        "From an event's publication to its frame being written to a session"
    );
    describe_gauge!(TICKET_ACTORS, "Ticket actors running");
    describe_gauge!(LOCKS_HELD, "Tickets locked right now");
    describe_gauge!(WS_SESSIONS, "WebSocket sessions connected");
    describe_gauge!(
        DB_POOL_CONNECTIONS,
        "Database connections open, by state (in_use, idle)"
    );
    describe_gauge!(DB_POOL_MAX, "The most database connections the pool opens");
    describe_gauge!(DB_POOL_WAITING, "Callers waiting for a database connection");
    describe_histogram!(
        DB_POOL_WAIT_SECONDS,
        Unit::Seconds,
        "Time taken to get a database connection from the pool"
    );
    describe_gauge!(OUTBOX_PENDING, "Notifications waiting for delivery to reporters");
    describe_gauge!(
        OUTBOX_OLDEST_AGE_SECONDS,
        Unit::Seconds,
        "Age of the oldest notification waiting for delivery (0 when none waits)"
    );
}

/// Sets the gauges that mirror `desk`'s state: locks, the pool and the outbox backlog (one cheap query).
/// Called on every scrape, before rendering. (The bus keeps the sessions gauge itself.)
pub async fn sample(desk: &Desk) {
    let pool = desk.pool.status();
    let idle = pool.available;
    gauge!(DB_POOL_CONNECTIONS, "state" => "in_use").set(pool.size.saturating_sub(idle) as f64);
    gauge!(DB_POOL_CONNECTIONS, "state" => "idle").set(idle as f64);
    gauge!(DB_POOL_MAX).set(pool.max_size as f64);
    gauge!(DB_POOL_WAITING).set(pool.waiting as f64);
    gauge!(LOCKS_HELD).set(desk.locks_held() as f64);
    let backlog = async {
        let client = desk.pool.get().await?;
        crate::db::outbox::backlog(&client).await
    };
    match tokio::time::timeout(SAMPLE_TIMEOUT, backlog).await {
        Ok(Ok((pending, oldest_secs))) => {
            gauge!(OUTBOX_PENDING).set(pending as f64);
            gauge!(OUTBOX_OLDEST_AGE_SECONDS).set(oldest_secs);
        }
        Ok(Err(err)) => tracing::debug!(error = %err, "cannot read the outbox backlog for metrics"),
        Err(_) => tracing::debug!("reading the outbox backlog for metrics timed out"),
    }
}
