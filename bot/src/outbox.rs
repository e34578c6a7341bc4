//! The notification outbox: messages to reporters, queued inside the transaction of the change that causes them.
//!
//! The server calls [`enqueue`] while committing a status change or a public agent reply; the bot
//! delivers pending rows in order per chat and marks them delivered.

use loket_protocol::TicketId;
use loket_protocol::ticket::Status;
use tokio_postgres::GenericClient;

use crate::texts::{self, Lang};

/// Something a reporter should hear about their ticket.
#[derive(Debug, Clone, Copy)]
pub enum Notice<'a> {
    StatusChanged { status: Status },
    AgentReply { agent_name: &'a str, body: &'a str },
}

impl Notice<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Notice::StatusChanged { .. } => "status_changed",
            Notice::AgentReply { .. } => "agent_reply",
        }
    }
}

/// Queues `notice` for the reporter of `ticket`, if it has one. Returns the notification id.
/// Call it inside the transaction that commits the change.
pub async fn enqueue(
    db: &impl GenericClient,
    ticket: TicketId,
    notice: Notice<'_>,
) -> Result<Option<i64>, tokio_postgres::Error> {
    let Some(row) = db
        .query_opt(
            "SELECT r.id, r.chat_id, r.language, t.title FROM tickets t JOIN reporters r ON r.id = t.reporter_id WHERE t.id = $1",
            &[&ticket.0],
        )
        .await?
    else {
        return Ok(None);
    };
    let (reporter_id, chat_id, language, title): (i64, i64, String, String) =
        (row.get(0), row.get(1), row.get(2), row.get(3));
    let lang = Lang::from_code(&language);
    let key = ticket.key();
    let body = match notice {
        Notice::StatusChanged { status } => texts::status_changed(lang, &key, &title, status),
        Notice::AgentReply { agent_name, body } => texts::agent_reply(lang, &key, agent_name, body),
    };
    let row = db
        .query_one(
            "INSERT INTO notifications (ticket_id, reporter_id, chat_id, kind, body) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            &[&ticket.0, &reporter_id, &chat_id, &notice.kind(), &body],
        )
        .await?;
    Ok(Some(row.get(0)))
}
