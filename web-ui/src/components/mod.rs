//! Reusable pieces of UI. Each takes props and reports user actions through callbacks; none of them
//! talks to the server itself.

pub mod account_row;
pub mod badges;
pub mod board_filters;
pub mod category_row;
pub mod charts;
pub mod conflict;
pub mod connection_badge;
pub mod conversation;
pub mod dialog;
pub mod header;
pub mod icons;
pub mod link;
pub mod lock_panel;
pub mod merge_dialog;
pub mod reset_password;
pub mod sla;
pub mod ticket_fields;
pub mod ticket_table;
pub mod timeline;

pub use link::AppLink;
