//! What the bot may ask of the rest of Loket: the ticket operations it needs, implemented by the server.
//!
//! The bot never touches ticket rows directly: creating a ticket or adding a comment goes through the
//! same per-ticket actors as agents' changes, so every change is audited and broadcast the same way.

use loket_protocol::api::NewTicket;
use loket_protocol::ticket::{Comment, Ticket};
use loket_protocol::{ApiError, ReporterId, TicketId};

/// Ticket operations on behalf of a reporter.
#[async_trait::async_trait]
pub trait Desk: Send + Sync + 'static {
    /// Files a new ticket for `reporter`; it is broadcast to agents as `TicketCreated`.
    async fn create_ticket(&self, reporter: ReporterId, ticket: NewTicket) -> Result<Ticket, ApiError>;

    /// Adds a public comment from `reporter` to their own ticket; broadcast as `CommentAdded`.
    async fn add_comment(&self, reporter: ReporterId, ticket: TicketId, body: String) -> Result<Comment, ApiError>;
}
