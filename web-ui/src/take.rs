//! "Assign to me" and "Take" (assign and keep the lock) in one click, on the board and the ticket page:
//! the existing messages in order on the one connection (`LockTicket`, then `UpdateTicket` naming the
//! version the agent saw, then `UnlockTicket` unless taking). The update is version-checked like any
//! other; a refused one gives the lock back, so a refusal changes nothing.

use crate::ws::{Ack, Connection};
use loket_protocol::ticket::TicketChanges;
use loket_protocol::ws::ClientMessage;
use loket_protocol::{AgentId, ApiError, TicketId};

/// Assigns ticket `id`, as the agent saw it at `version`, to `me`; keeps the lock when `take`.
pub async fn assign_to_me(
    conn: &Connection,
    id: TicketId,
    version: i64,
    me: AgentId,
    take: bool,
) -> Result<Ack, ApiError> {
    conn.request(ClientMessage::LockTicket { ticket_id: id }).await?;
    let saved = conn
        .request(ClientMessage::UpdateTicket {
            ticket_id: id,
            version,
            changes: TicketChanges {
                assignee_id: Some(Some(me)),
                ..TicketChanges::default()
            },
        })
        .await;
    if !take || saved.is_err() {
        conn.send(ClientMessage::UnlockTicket { ticket_id: id });
    }
    saved
}

/// What to tell the agent when it did not work.
pub fn refusal_text(error: &ApiError, key: &str) -> String {
    match error.code {
        loket_protocol::ErrorCode::VersionConflict => {
            format!("{key} changed meanwhile; look at it again before taking it.")
        }
        loket_protocol::ErrorCode::TicketLocked => match &error.holder {
            Some(holder) => format!("{key} is being edited by {}.", holder.name),
            None => format!("{key} is being edited by someone else."),
        },
        _ => format!("Could not assign {key}: {}", error.message),
    }
}
