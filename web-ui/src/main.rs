//! Loket's agent web client: a Yew single-page app that trunk builds into `dist/`, served by `loket` at `/`.
//!
//! Layering: `pages/` (one per route) compose `components/` (props and callbacks); shared state lives
//! in reducers under `state/` (plain code, unit-tested natively) reached through `hooks/`; `api.rs`
//! talks REST and `ws.rs` keeps the live WebSocket.

mod api;
mod app;
mod board_query;
mod charts;
mod components;
mod format;
mod hooks;
mod idempotency;
mod merge;
mod pages;
mod sla_form;
mod state;
mod take;
mod ws;

fn main() {
    yew::Renderer::<app::App>::new().render();
}
