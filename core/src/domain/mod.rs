//! Loket's rules as plain code, free of actix and I/O: lock leases, change planning, input validation, the
//! sign-in throttle, view cursors, who keeps admin access, and the event log's rules (releasing events in position
//! order, gaps seen by a reader that is not the writer, following the log from another instance, who sees
//! which event). The ticket lifecycle is in `loket_protocol::lifecycle`,
//! where the web client shares it.

pub mod access;
pub mod audience;
pub mod cursor;
pub mod follow;
pub mod gaps;
pub mod lease;
pub mod plan;
pub mod reorder;
pub mod throttle;
pub mod validate;
