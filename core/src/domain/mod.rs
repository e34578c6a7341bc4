//! Loket's rules as plain code, free of actix and I/O: lock leases, the ticket lifecycle, input validation.

pub mod lease;
pub mod lifecycle;
pub mod throttle;
pub mod validate;
