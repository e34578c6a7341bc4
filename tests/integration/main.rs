//! Loket's integration tests, one module per area, all in one binary: real PostgreSQL, the real server on
//! 127.0.0.1, real HTTP and WebSocket clients.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed expectation should stop the test loudly, with its message"
)]

mod access;
mod attention;
mod auth;
mod backup;
mod bot;
mod bot_api;
mod bot_input;
mod bot_reporter;
mod browser;
mod browser_attention;
mod browser_board;
mod browser_sla;
mod browser_stats;
mod browser_workflow;
mod cluster;
mod cluster_leases;
mod data_dir;
mod database_tls;
mod demo;
mod durability;
mod frames;
mod hardening;
mod health;
mod locks;
mod merge;
mod observability;
mod openapi;
mod positions;
mod queues;
mod realtime;
mod refusals;
mod robustness;
mod sla;
mod stats;
mod views;
mod workflow;

use loket_protocol::TicketId;
use loket_protocol::ticket::UnlockReason;
use loket_protocol::ws::ServerMessage;
use loket_tests::{AgentClient, WsClient};
use serde_json::json;

/// Creates a ticket over `ws` and returns its id.
pub async fn create_ticket(ws: &mut WsClient, title: &str) -> TicketId {
    match ws
        .call(json!({"type": "CreateTicket", "title": title, "body": "details", "priority": "normal"}))
        .await
    {
        ServerMessage::Ack {
            ticket_id: Some(id), ..
        } => id,
        other => panic!("CreateTicket acked without ticket_id: {other:?}"),
    }
}

/// Proves no broadcast is on its way to `ws`: it adds an internal note to `ticket` as a marker, and
/// the marker's `CommentAdded` (published after anything committed earlier, through the same bus) must be
/// the first broadcast to arrive.
pub async fn assert_quiet(ws: &mut WsClient, ticket: TicketId) {
    let marker = format!("quiet marker {}", ws.request(json!({"type": "Ping"})).await);
    ws.request(json!({"type": "AddComment", "ticket_id": ticket.0, "body": marker, "internal": true}))
        .await;
    loop {
        match ws.recv().await {
            ServerMessage::Pong { .. } | ServerMessage::Ack { .. } => continue,
            ServerMessage::CommentAdded { comment, .. } if comment.body == marker => return,
            other => panic!("expected nothing before the marker, got {other:?}"),
        }
    }
}

/// The kinds of ticket `id`'s audit trail, in order, read over REST.
pub async fn event_kinds(client: &AgentClient, id: TicketId) -> Vec<String> {
    let events = client.get(&format!("/api/tickets/{}/events", id.0)).await;
    let events = events
        .body
        .as_array()
        .unwrap_or_else(|| panic!("no events for {id}: {events:?}"));
    events
        .iter()
        .map(|e| e["kind"].as_str().expect("an event kind").to_string())
        .collect()
}

/// Waits on `ws` for ticket `id`'s `TicketUnlocked` and returns its reason.
pub async fn unlocked(ws: &mut WsClient, id: TicketId) -> UnlockReason {
    ws.recv_until("TicketUnlocked", |m| match m {
        ServerMessage::TicketUnlocked { ticket_id, reason, .. } if *ticket_id == id => Some(*reason),
        _ => None,
    })
    .await
}
