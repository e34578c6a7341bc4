//! What reporters (through the Telegram bot) may do with tickets: file a report, follow it up with a
//! message or a file. Each goes through the same per-ticket actors as agents' changes, so it is
//! validated, audited and broadcast the same way; a reporter only ever reaches their own tickets.

use loket_protocol::api::NewTicket;
use loket_protocol::ticket::{Attachment, Author, Comment, Ticket};
use loket_protocol::{CommentId, ReporterId, TicketId};

use crate::db::tickets::AttachmentDraft;
use crate::desk::Desk;
use crate::error::AppError;

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

/// Most files a reporter may add to one ticket through Telegram (with the report and in follow-ups).
pub const MAX_FILES_PER_TICKET: i64 = 30;
/// Most files a reporter may send over all their tickets in 24 hours.
pub const MAX_FILES_PER_DAY: i64 = 60;

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

impl Desk {
    /// Files a new ticket for `reporter`; it is broadcast to agents as `TicketCreated`. Idempotent per
    /// `submission`: if a ticket was filed with that key already, that ticket is answered and nothing is
    /// inserted or broadcast.
    pub async fn file_report(
        &self,
        reporter: ReporterId,
        ticket: NewTicket,
        submission: Option<SubmissionKey>,
    ) -> Result<Ticket, AppError> {
        let author = self.reporter_author(reporter).await?;
        let key = submission.map(|k| k.0);
        self.create_ticket(author, ticket, Some(reporter), key).await
    }

    /// Adds a public comment from `reporter` to their own ticket; broadcast as `CommentAdded`.
    pub async fn reporter_comment(
        &self,
        reporter: ReporterId,
        ticket: TicketId,
        body: &str,
    ) -> Result<Comment, AppError> {
        let author = self.reporter_on(reporter, ticket).await?;
        self.comment(ticket, author, body, false).await
    }

    /// Records `file` on the reporter's own `ticket`; broadcast as `AttachmentAdded`. The same Telegram
    /// file for the same comment is recorded once: a repeat answers the attachment recorded first.
    pub async fn reporter_attachment(
        &self,
        reporter: ReporterId,
        ticket: TicketId,
        file: StoredFile,
    ) -> Result<Attachment, AppError> {
        let author = self.reporter_on(reporter, ticket).await?;
        let draft = AttachmentDraft {
            comment_id: file.comment,
            file_name: file.file_name,
            content_type: file.content_type,
            size_bytes: file.size_bytes,
            storage_path: file.storage_path,
            telegram_file_id: file.telegram_file_id,
        };
        self.attach(ticket, author, draft).await
    }

    /// Whether `reporter` may add one more file to their `ticket` ([`MAX_FILES_PER_TICKET`] on the ticket,
    /// [`MAX_FILES_PER_DAY`] over all their tickets). Someone else's ticket is `not_found`.
    pub async fn reporter_may_add_file(&self, reporter: ReporterId, ticket: TicketId) -> Result<bool, AppError> {
        self.reporter_on(reporter, ticket).await?;
        let client = self.pool.get().await?;
        let (on_ticket, last_day) = crate::db::reporters::file_counts(&client, reporter, ticket).await?;
        Ok(on_ticket < MAX_FILES_PER_TICKET && last_day < MAX_FILES_PER_DAY)
    }

    /// `reporter` as the author of a change to `ticket`; someone else's ticket is `not_found`.
    async fn reporter_on(&self, reporter: ReporterId, ticket: TicketId) -> Result<Author, AppError> {
        let client = self.pool.get().await?;
        let name = crate::db::reporters::name_on_ticket(&client, reporter, ticket)
            .await?
            .ok_or(AppError::NotFound("ticket"))?;
        Ok(Author::Reporter { id: reporter, name })
    }

    async fn reporter_author(&self, reporter: ReporterId) -> Result<Author, AppError> {
        let client = self.pool.get().await?;
        let name = crate::db::reporters::name(&client, reporter)
            .await?
            .ok_or(AppError::NotFound("reporter"))?;
        Ok(Author::Reporter { id: reporter, name })
    }
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
