//! What reporters (through the Telegram bot) may do: register with an invite code, choose their
//! language, list and look up their own tickets, file a report, follow it up with a message or a file.
//! This is the bot's whole door to the core's tables (tickets, reporters, invite codes, categories,
//! attachments); the bot runs SQL only on its own. Changes go through the same per-ticket actors as
//! agents' changes, so they are validated, audited and broadcast the same way; a reporter only ever
//! reaches their own tickets.

use loket_protocol::api::{Category, NewTicket};
use loket_protocol::ticket::{Attachment, Author, Comment, Location, RATING_RANGE, Status, Ticket};
use loket_protocol::{CategoryId, CommentId, ReporterId, TicketId};

use crate::actors::ticket::ReporterChange;
use crate::db::reporters as q;
use crate::db::tickets::{self as tq, AttachmentDraft, ReporterEdit};
use crate::desk::Desk;
use crate::error::AppError;

/// Most tickets one page of a reporter's list holds, whatever is asked for.
pub const MAX_TICKETS_PER_PAGE: i64 = 50;

/// A language reporters are spoken to in, stored as its code in `reporters.language`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Language {
    /// English.
    #[default]
    En,
    /// Bahasa Indonesia.
    Id,
}

impl Language {
    /// Every language, English first.
    pub const ALL: [Language; 2] = [Language::En, Language::Id];

    /// From a Telegram `language_code` or a stored code; anything unknown is English.
    pub fn from_code(code: &str) -> Language {
        if code.to_ascii_lowercase().starts_with("id") {
            Language::Id
        } else {
            Language::En
        }
    }

    /// The stored code, `en` or `id`.
    pub fn code(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Id => "id",
        }
    }
}

/// A registered reporter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reporter {
    pub id: ReporterId,
    /// The private Telegram chat the bot answers them in.
    pub chat_id: i64,
    pub name: String,
    pub language: Language,
}

/// Someone asking to register with an invite code.
#[derive(Debug, Clone, Copy)]
pub struct NewReporter<'a> {
    pub telegram_user_id: i64,
    pub chat_id: i64,
    pub name: &'a str,
    /// The language to speak to them in, until they choose another.
    pub language: Language,
    pub code: &'a str,
}

/// Why an invite code cannot be redeemed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeRefusal {
    /// No such code.
    Unknown,
    /// An admin withdrew it.
    Revoked,
    /// Its expiry has passed.
    Expired,
    /// It was used as often as it may be.
    UsedUp,
}

/// What became of a registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registration {
    /// The account is a reporter now, and the code's use is counted.
    Registered(Reporter),
    /// The account was registered already; the code was not used.
    AlreadyRegistered,
    /// The code cannot be used; nothing changed.
    Refused(CodeRefusal),
}

/// One of a reporter's tickets, as they see it in a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReporterTicket {
    pub id: TicketId,
    pub title: String,
    pub status: Status,
}

/// One page of a reporter's tickets, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReporterTicketPage {
    /// The page actually shown (from 0; a page past the end shows the last one).
    pub page: i64,
    pub tickets: Vec<ReporterTicket>,
    /// All the reporter's tickets, on every page.
    pub total: i64,
}

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

/// A reporter's reply as recorded: the comment, and whether it reopened the ticket.
#[derive(Debug, Clone, PartialEq)]
pub struct Replied {
    pub comment: Comment,
    /// The ticket was resolved or closed and is open again (flagged for agents).
    pub reopened: bool,
}

/// Longest comment accepted with a rating, in characters.
pub const MAX_RATING_COMMENT_CHARS: usize = 2000;

/// Most open tickets offered to choose from when a message came without Telegram's Reply.
pub const MAX_OPEN_TICKETS: i64 = 6;

/// Most files a reporter may add to one ticket through Telegram (with the report and in follow-ups).
pub const MAX_FILES_PER_TICKET: i64 = 30;
/// Most files a reporter may send over all their tickets in 24 hours.
pub const MAX_FILES_PER_DAY: i64 = 60;

/// A file the bot has fetched, to be recorded (with its bytes) on a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    /// The comment it came with (a follow-up), or none for a file sent with the report.
    pub comment: Option<CommentId>,
    pub file_name: String,
    pub content_type: String,
    /// The file itself.
    pub content: std::sync::Arc<[u8]>,
    /// Telegram's id of the file; a second record of the same file for the same comment is not made.
    pub telegram_file_id: Option<String>,
}

impl Desk {
    /// The reporter behind Telegram account `telegram_user_id`, if registered.
    pub async fn reporter_by_telegram(&self, telegram_user_id: i64) -> Result<Option<Reporter>, AppError> {
        let client = self.pool.get().await?;
        q::by_telegram_user(&client, telegram_user_id).await
    }

    /// Redeems `new.code` and registers the account, atomically: the use is counted only if the reporter
    /// is created.
    pub async fn register_reporter(&self, new: NewReporter<'_>) -> Result<Registration, AppError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        if !q::redeem_code(&tx, new.code).await? {
            return Ok(Registration::Refused(q::code_refusal(&tx, new.code).await?));
        }
        let Some(reporter) = q::insert(&tx, &new).await? else {
            // Registered meanwhile: the transaction rolls back, and the code is not used.
            return Ok(Registration::AlreadyRegistered);
        };
        tx.commit().await?;
        Ok(Registration::Registered(reporter))
    }

    /// Speaks to `reporter` in `language` from now on (notifications still pending included).
    pub async fn set_reporter_language(&self, reporter: ReporterId, language: Language) -> Result<(), AppError> {
        let client = self.pool.get().await?;
        if q::set_language(&client, reporter, language).await? {
            Ok(())
        } else {
            Err(AppError::NotFound("reporter"))
        }
    }

    /// The categories a reporter may file a report under, by name.
    pub async fn report_categories(&self) -> Result<Vec<Category>, AppError> {
        let client = self.pool.get().await?;
        q::categories(&client).await
    }

    /// Category `id`, if a reporter may file a report under it; otherwise `not_found`.
    pub async fn report_category(&self, id: CategoryId) -> Result<Category, AppError> {
        let client = self.pool.get().await?;
        q::category(&client, id).await?.ok_or(AppError::NotFound("category"))
    }

    /// Page `page` (from 0) of the reporter's tickets, newest first, `per_page` at a time (1 to
    /// [`MAX_TICKETS_PER_PAGE`]). A page past the end shows the last page instead.
    pub async fn reporter_tickets(
        &self,
        reporter: ReporterId,
        page: i64,
        per_page: i64,
    ) -> Result<ReporterTicketPage, AppError> {
        let per_page = per_page.clamp(1, MAX_TICKETS_PER_PAGE);
        let client = self.pool.get().await?;
        let total = q::ticket_count(&client, reporter).await?;
        let last = (total - 1).max(0) / per_page;
        let page = page.clamp(0, last);
        let tickets = q::tickets(&client, reporter, per_page, page * per_page).await?;
        Ok(ReporterTicketPage { page, tickets, total })
    }

    /// The reporter's own ticket `ticket`; someone else's (or none) is `not_found`.
    pub async fn reporter_ticket(&self, reporter: ReporterId, ticket: TicketId) -> Result<ReporterTicket, AppError> {
        let client = self.pool.get().await?;
        q::own_ticket(&client, reporter, ticket)
            .await?
            .ok_or(AppError::NotFound("ticket"))
    }

    /// Whether Telegram file `telegram_file_id` is recorded on the reporter's `ticket` already, with
    /// `comment` (or, for `None`, with the report): a re-delivered update need not fetch it again.
    pub async fn reporter_file_recorded(
        &self,
        reporter: ReporterId,
        ticket: TicketId,
        comment: Option<CommentId>,
        telegram_file_id: &str,
    ) -> Result<bool, AppError> {
        let client = self.pool.get().await?;
        q::file_recorded(&client, reporter, ticket, comment, telegram_file_id).await
    }

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

    /// The reporter's reply to their own ticket: a public comment, as [`Desk::reporter_comment`]. If the
    /// ticket is resolved or closed and the desk reopens on replies ([`Desk::set_reopen_on_reply`]), it is
    /// reopened first (status `open`, flagged for agents, audited as `reopened` by the reporter with reason
    /// `reporter_reply`, broadcast as `TicketUpdated`), then the comment is added.
    pub async fn reporter_reply(
        &self,
        reporter: ReporterId,
        ticket: TicketId,
        body: &str,
    ) -> Result<Replied, AppError> {
        let author = self.reporter_on(reporter, ticket).await?;
        let mut reopened = false;
        if self.reopens_on_reply() {
            let before = self.reporter_ticket(reporter, ticket).await?;
            if matches!(before.status, Status::Resolved | Status::Closed) {
                let change = ReporterChange {
                    author: author.clone(),
                    edit: ReporterEdit::Reopen,
                };
                let after = self.send_to_ticket(ticket, change).await?;
                reopened = after.status == Status::Open && after.reopened_at.is_some();
            }
        }
        let comment = self.comment(ticket, author, body, false).await?;
        Ok(Replied { comment, reopened })
    }

    /// The reporter's tickets still open (new, open or pending), most recently active first (the latest
    /// of their last change and their last public comment), at most [`MAX_OPEN_TICKETS`].
    pub async fn reporter_open_tickets(&self, reporter: ReporterId) -> Result<Vec<ReporterTicket>, AppError> {
        let client = self.pool.get().await?;
        q::open_tickets(&client, reporter, MAX_OPEN_TICKETS).await
    }

    /// The last `limit` public comments on the reporter's own ticket, oldest first (internal notes never).
    pub async fn reporter_public_replies(
        &self,
        reporter: ReporterId,
        ticket: TicketId,
        limit: usize,
    ) -> Result<Vec<Comment>, AppError> {
        self.reporter_on(reporter, ticket).await?;
        let client = self.pool.get().await?;
        let public: Vec<Comment> = tq::comments(&client, ticket)
            .await?
            .into_iter()
            .filter(|c| !c.internal)
            .collect();
        let skip = public.len().saturating_sub(limit);
        Ok(public.into_iter().skip(skip).collect())
    }

    /// Stores where the problem is on the reporter's own ticket (audited as `location_set`, broadcast as
    /// `TicketUpdated`). Coordinates out of range are `invalid`.
    pub async fn reporter_locate(
        &self,
        reporter: ReporterId,
        ticket: TicketId,
        latitude: f64,
        longitude: f64,
    ) -> Result<Ticket, AppError> {
        let location = Location::new(latitude, longitude).ok_or_else(|| {
            AppError::invalid("a location needs a latitude from -90 to 90 and a longitude from -180 to 180")
        })?;
        let author = self.reporter_on(reporter, ticket).await?;
        let change = ReporterChange {
            author,
            edit: ReporterEdit::Locate(location),
        };
        self.send_to_ticket(ticket, change).await
    }

    /// The reporter rates their own resolved (or closed) ticket, 1 to 5, with an optional comment; a later
    /// rating replaces the earlier one. Audited as `rated`, broadcast as `TicketUpdated`. A ticket not
    /// resolved or closed is a `conflict`; stars out of range or an overlong comment are `invalid`.
    pub async fn reporter_rate(
        &self,
        reporter: ReporterId,
        ticket: TicketId,
        stars: u8,
        comment: Option<&str>,
    ) -> Result<Ticket, AppError> {
        if !RATING_RANGE.contains(&stars) {
            return Err(AppError::invalid("a rating is 1 to 5"));
        }
        let comment = comment.map(str::trim).filter(|c| !c.is_empty()).map(str::to_string);
        if comment
            .as_ref()
            .is_some_and(|c| c.chars().count() > MAX_RATING_COMMENT_CHARS)
        {
            return Err(AppError::invalid("a rating's comment is at most 2000 characters"));
        }
        let author = self.reporter_on(reporter, ticket).await?;
        let current = self.reporter_ticket(reporter, ticket).await?;
        if !matches!(current.status, Status::Resolved | Status::Closed) {
            return Err(AppError::Conflict(
                "only a resolved or closed ticket can be rated".into(),
            ));
        }
        let change = ReporterChange {
            author,
            edit: ReporterEdit::Rate { stars, comment },
        };
        self.send_to_ticket(ticket, change).await
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
            content: file.content,
            telegram_file_id: file.telegram_file_id,
            uploaded_by: None,
        };
        self.attach(ticket, author, draft).await
    }

    /// Whether `reporter` may add one more file to their `ticket` ([`MAX_FILES_PER_TICKET`] on the ticket,
    /// [`MAX_FILES_PER_DAY`] over all their tickets). Someone else's ticket is `not_found`.
    pub async fn reporter_may_add_file(&self, reporter: ReporterId, ticket: TicketId) -> Result<bool, AppError> {
        self.reporter_on(reporter, ticket).await?;
        let client = self.pool.get().await?;
        let (on_ticket, last_day) = q::file_counts(&client, reporter, ticket).await?;
        Ok(on_ticket < MAX_FILES_PER_TICKET && last_day < MAX_FILES_PER_DAY)
    }

    /// The ticket a follow-up of `reporter` about `ticket` lands on: `ticket`, or, if it was merged as a
    /// duplicate, the ticket that carries its report now (the end of the chain of merges). A reply to
    /// the bot's messages about a merged duplicate goes there. Someone else's ticket is `not_found`.
    pub async fn reporter_follow_up_target(
        &self,
        reporter: ReporterId,
        ticket: TicketId,
    ) -> Result<TicketId, AppError> {
        let client = self.pool.get().await?;
        q::surviving(&client, reporter, ticket)
            .await?
            .ok_or(AppError::NotFound("ticket"))
    }

    /// `reporter` as the author of a change to `ticket`; someone else's ticket is `not_found`.
    async fn reporter_on(&self, reporter: ReporterId, ticket: TicketId) -> Result<Author, AppError> {
        let client = self.pool.get().await?;
        let name = q::name_on_ticket(&client, reporter, ticket)
            .await?
            .ok_or(AppError::NotFound("ticket"))?;
        Ok(Author::Reporter { id: reporter, name })
    }

    async fn reporter_author(&self, reporter: ReporterId) -> Result<Author, AppError> {
        let client = self.pool.get().await?;
        let name = q::name(&client, reporter)
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

    #[test]
    fn languages_round_trip_through_their_codes_and_unknown_ones_are_english() {
        for language in Language::ALL {
            assert_eq!(Language::from_code(language.code()), language);
        }
        assert_eq!(Language::from_code("id-ID"), Language::Id);
        assert_eq!(Language::from_code("ID"), Language::Id);
        assert_eq!(Language::from_code("en-GB"), Language::En);
        assert_eq!(Language::from_code("fr"), Language::En);
        assert_eq!(Language::from_code(""), Language::En);
    }
}
