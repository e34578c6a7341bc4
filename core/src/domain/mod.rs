//! Loket's rules as plain code, free of actix and I/O: lock leases, change planning, input validation, the
//! sign-in throttle, view cursors, who keeps admin access, which merges are allowed, business time and SLA clocks, and the event log's rules (releasing events in
//! position order, following the log as a reader that is not the writer (another instance, or start-up), who sees
//! which event). The ticket lifecycle is in `loket_protocol::lifecycle`,
//! where the web client shares it.

pub mod access;
pub mod audience;
pub mod cursor;
pub mod follow;
pub mod lease;
pub mod merge;
pub mod plan;
pub mod presence;
pub mod reorder;
pub mod sla;
pub mod stats;
pub mod throttle;
pub mod validate;
