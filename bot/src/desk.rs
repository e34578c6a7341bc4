//! What the bot may ask of the rest of Loket: the ticket operations it needs, implemented by the server.
//!
//! The bot never touches ticket rows directly: creating a ticket, adding a comment or recording an
//! attachment goes through the same per-ticket actors as agents' changes, so every change is audited
//! and broadcast the same way.

use loket_protocol::api::NewTicket;
use loket_protocol::ticket::{Attachment, Comment, Ticket};
use loket_protocol::{ApiError, CommentId, ReporterId, TicketId};

/// Names one submission of a report, so that filing it again (a Telegram update re-delivered after a
/// crash) finds the ticket filed the first time instead of filing a second one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SubmissionKey(String);

impl SubmissionKey {
    /// The submission made by pressing Send on the summary message `message_id` in chat `chat_id`.
    /// Telegram message ids are unique within a chat, and a re-delivered press names the same message.
    pub fn telegram_summary(chat_id: i64, message_id: i32) -> SubmissionKey {
        SubmissionKey(format!("tg:{chat_id}:{message_id}"))
    }

    /// The submission made by the callback query `query_id` (when its message is not known).
    pub fn telegram_callback(query_id: &str) -> SubmissionKey {
        SubmissionKey(format!("tg-callback:{query_id}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A file the bot has stored under the data directory, to be recorded on a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    /// The comment it came with (a follow-up), or none for a file sent with the report.
    pub comment: Option<CommentId>,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    /// Where the bytes are, relative to the data directory.
    pub storage_path: String,
    /// Telegram's id of the file; a second record of the same file for the same comment is not made.
    pub telegram_file_id: Option<String>,
}

/// Ticket operations on behalf of a reporter.
#[async_trait::async_trait]
pub trait Desk: Send + Sync + 'static {
    /// Files a new ticket for `reporter`; it is broadcast to agents as `TicketCreated`. Idempotent per
    /// `submission`: if this reporter filed a ticket with that key already, that ticket is answered and
    /// nothing is inserted or broadcast.
    async fn create_ticket(
        &self,
        reporter: ReporterId,
        ticket: NewTicket,
        submission: Option<SubmissionKey>,
    ) -> Result<Ticket, ApiError>;

    /// Adds a public comment from `reporter` to their own ticket; broadcast as `CommentAdded`.
    async fn add_comment(&self, reporter: ReporterId, ticket: TicketId, body: String) -> Result<Comment, ApiError>;

    /// Records `file` on the reporter's own `ticket` (with its `attachment_added` event); broadcast as
    /// `AttachmentAdded`. The same Telegram file for the same comment is recorded once: a repeat answers
    /// the attachment recorded first.
    async fn add_attachment(
        &self,
        reporter: ReporterId,
        ticket: TicketId,
        file: StoredFile,
    ) -> Result<Attachment, ApiError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_summary_names_one_submission_per_chat() {
        let key = SubmissionKey::telegram_summary(501, 42);
        assert_eq!(key, SubmissionKey::telegram_summary(501, 42), "a re-delivered press");
        assert_ne!(key, SubmissionKey::telegram_summary(501, 43), "another summary");
        assert_ne!(key, SubmissionKey::telegram_summary(502, 42), "another chat");
        assert_eq!(key.as_str(), "tg:501:42");
        assert_ne!(SubmissionKey::telegram_callback("42").as_str(), key.as_str());
    }
}
