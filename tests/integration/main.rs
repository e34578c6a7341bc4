//! Loket's integration tests, one module per area, all in one binary: real PostgreSQL, the real server on
//! 127.0.0.1, real HTTP and WebSocket clients.

mod auth;
mod bot;
mod browser;
mod durability;
mod frames;
mod health;
mod locks;
mod realtime;
mod refusals;

use loket_protocol::TicketId;
use loket_protocol::ws::ServerMessage;
use loket_tests::WsClient;
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

/// Proves nothing else is queued for `ws`: a Ping's Pong must be the very next message.
pub async fn assert_quiet(ws: &mut WsClient) {
    let id = ws.request(json!({"type": "Ping"})).await;
    match ws.recv().await {
        ServerMessage::Pong { request_id: Some(rid) } if rid == id => {}
        other => panic!("expected nothing before the Pong, got {other:?}"),
    }
}
