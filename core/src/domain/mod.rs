//! Loket's rules as plain code, free of actix and I/O: lock leases, change planning, input validation, the
//! sign-in throttle and who keeps admin access. The ticket lifecycle is in `loket_protocol::lifecycle`,
//! where the web client shares it.

pub mod access;
pub mod lease;
pub mod plan;
pub mod throttle;
pub mod validate;
