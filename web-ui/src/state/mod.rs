//! Client state as reducers: server messages and user actions become `Action`s applied by plain code.
//!
//! Nothing here touches the browser, so `cargo test -p loket-web-ui` runs these natively.

pub mod attention;
pub mod board;
pub mod ticket;
pub mod uploads;

#[cfg(test)]
pub(crate) mod fixtures;
