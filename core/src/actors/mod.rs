//! The actors: one per ticket (locks and serialised changes), the registry that finds them, and the event bus.

pub mod bus;
pub mod registry;
pub mod ticket;
