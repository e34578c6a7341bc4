//! Loket's rules as plain code, free of actix and I/O: lock leases, the ticket lifecycle, input validation,
//! the sign-in throttle and who keeps admin access.

pub mod access;
pub mod lease;
pub mod lifecycle;
pub mod throttle;
pub mod validate;
