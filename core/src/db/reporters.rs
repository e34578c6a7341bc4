//! Queries on reporters (the people who file reports through Telegram) and what they reach: their
//! registration with an invite code, their language, the categories they choose from, their own tickets
//! and the files they sent. The API over these is in `crate::reporting`.

use deadpool_postgres::GenericClient;
use loket_protocol::api::Category;
use loket_protocol::ticket::Status;
use loket_protocol::{CategoryId, CommentId, ReporterId, TicketId};
use tokio_postgres::Row;

use crate::db::admin::OFFERED_CATEGORY;
use crate::error::AppError;
use crate::reporting::{CodeRefusal, Language, NewReporter, Reporter, ReporterTicket};

/// Whether reporter `$2` may reach ticket `t`: theirs, or linked to them by a merge (`ticket_reporters`).
const REACHES: &str = "(t.reporter_id = $2 OR EXISTS (SELECT 1 FROM ticket_reporters tr WHERE tr.ticket_id = t.id AND tr.reporter_id = $2))";

/// The reporter's name, if `ticket` is theirs (or linked to them by a merge).
pub async fn name_on_ticket(
    db: &impl GenericClient,
    reporter: ReporterId,
    ticket: TicketId,
) -> Result<Option<String>, AppError> {
    let statement = db
        .prepare_cached(&format!(
            "SELECT r.name FROM tickets t JOIN reporters r ON r.id = $2 WHERE t.id = $1 AND {REACHES}"
        ))
        .await?;
    let row = db.query_opt(&statement, &[&ticket.0, &reporter.0]).await?;
    Ok(row.map(|r| r.get(0)))
}

/// The reporter's name, if they exist.
pub async fn name(db: &impl GenericClient, reporter: ReporterId) -> Result<Option<String>, AppError> {
    let statement = db.prepare_cached("SELECT name FROM reporters WHERE id = $1").await?;
    let row = db.query_opt(&statement, &[&reporter.0]).await?;
    Ok(row.map(|r| r.get(0)))
}

/// How many files from Telegram `reporter` has on `ticket`, and on all their tickets in the last day.
pub async fn file_counts(
    db: &impl GenericClient,
    reporter: ReporterId,
    ticket: TicketId,
) -> Result<(i64, i64), AppError> {
    let statement = db
        .prepare_cached(
            "SELECT count(*) FILTER (WHERE a.ticket_id = $2),
                    count(*) FILTER (WHERE a.created_at > now() - interval '1 day')
             FROM attachments a JOIN tickets t ON t.id = a.ticket_id
             WHERE t.reporter_id = $1 AND a.telegram_file_id IS NOT NULL",
        )
        .await?;
    let row = db.query_one(&statement, &[&reporter.0, &ticket.0]).await?;
    Ok((row.get(0), row.get(1)))
}

/// The reporter behind Telegram account `telegram_user_id`, if registered.
pub async fn by_telegram_user(db: &impl GenericClient, telegram_user_id: i64) -> Result<Option<Reporter>, AppError> {
    let statement = db
        .prepare_cached("SELECT id, chat_id, name, language FROM reporters WHERE telegram_user_id = $1")
        .await?;
    let row = db.query_opt(&statement, &[&telegram_user_id]).await?;
    Ok(row.map(|row| Reporter {
        id: ReporterId(row.get(0)),
        chat_id: row.get(1),
        name: row.get(2),
        language: Language::from_code(row.get::<_, &str>(3)),
    }))
}

/// Counts one use of invite `code` if it can be used now (known, not revoked, not expired, uses left).
/// Answers whether it was counted. Call it in the transaction that creates the reporter.
pub async fn redeem_code(db: &impl GenericClient, code: &str) -> Result<bool, AppError> {
    let statement = db
        .prepare_cached(
            "UPDATE invite_codes SET uses = uses + 1
             WHERE code = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now()) AND uses < max_uses
             RETURNING code",
        )
        .await?;
    Ok(db.query_opt(&statement, &[&code]).await?.is_some())
}

/// Why invite `code` cannot be redeemed (after [`redeem_code`] refused it).
pub async fn code_refusal(db: &impl GenericClient, code: &str) -> Result<CodeRefusal, AppError> {
    let statement = db
        .prepare_cached(
            "SELECT revoked_at IS NOT NULL, expires_at IS NOT NULL AND expires_at <= now(), uses >= max_uses
             FROM invite_codes WHERE code = $1",
        )
        .await?;
    let row = db.query_opt(&statement, &[&code]).await?;
    Ok(match row {
        None => CodeRefusal::Unknown,
        Some(row) if row.get::<_, bool>(0) => CodeRefusal::Revoked,
        Some(row) if row.get::<_, bool>(1) => CodeRefusal::Expired,
        // Redeeming refused it, so if it is neither revoked nor expired its uses ran out (perhaps just now).
        Some(_) => CodeRefusal::UsedUp,
    })
}

/// Inserts the reporter registered with `code`; `None` if the Telegram account is registered already.
pub async fn insert(db: &impl GenericClient, new: &NewReporter<'_>) -> Result<Option<Reporter>, AppError> {
    let statement = db
        .prepare_cached(
            "INSERT INTO reporters (telegram_user_id, chat_id, name, language, invite_code) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (telegram_user_id) DO NOTHING RETURNING id",
        )
        .await?;
    let row = db
        .query_opt(
            &statement,
            &[
                &new.telegram_user_id,
                &new.chat_id,
                &new.name,
                &new.language.code(),
                &new.code,
            ],
        )
        .await?;
    Ok(row.map(|row| Reporter {
        id: ReporterId(row.get(0)),
        chat_id: new.chat_id,
        name: new.name.to_string(),
        language: new.language,
    }))
}

/// Stores the reporter's language; answers whether the reporter exists.
pub async fn set_language(db: &impl GenericClient, reporter: ReporterId, language: Language) -> Result<bool, AppError> {
    let statement = db
        .prepare_cached("UPDATE reporters SET language = $2 WHERE id = $1")
        .await?;
    Ok(db.execute(&statement, &[&reporter.0, &language.code()]).await? > 0)
}

/// The categories a reporter chooses from (those offered: not retired), by name ignoring case.
pub async fn categories(db: &impl GenericClient) -> Result<Vec<Category>, AppError> {
    let statement = db
        .prepare_cached(&format!(
            "SELECT id, name, retired_at FROM categories WHERE {OFFERED_CATEGORY} ORDER BY lower(name)"
        ))
        .await?;
    let rows = db.query(&statement, &[]).await?;
    Ok(rows.iter().map(category_from_row).collect())
}

/// Category `id`, if a reporter may choose it (a button for a since-retired one is not accepted).
pub async fn category(db: &impl GenericClient, id: CategoryId) -> Result<Option<Category>, AppError> {
    let statement = db
        .prepare_cached(&format!(
            "SELECT id, name, retired_at FROM categories WHERE id = $1 AND {OFFERED_CATEGORY}"
        ))
        .await?;
    let row = db.query_opt(&statement, &[&id.0]).await?;
    Ok(row.as_ref().map(category_from_row))
}

fn category_from_row(row: &Row) -> Category {
    Category {
        id: CategoryId(row.get(0)),
        name: row.get(1),
        retired_at: row.get(2),
    }
}

/// How many tickets `reporter` has.
pub async fn ticket_count(db: &impl GenericClient, reporter: ReporterId) -> Result<i64, AppError> {
    let statement = db
        .prepare_cached("SELECT count(*) FROM tickets WHERE reporter_id = $1")
        .await?;
    Ok(db.query_one(&statement, &[&reporter.0]).await?.get(0))
}

/// `limit` of the reporter's tickets from `offset`, newest first.
pub async fn tickets(
    db: &impl GenericClient,
    reporter: ReporterId,
    limit: i64,
    offset: i64,
) -> Result<Vec<ReporterTicket>, AppError> {
    let statement = db
        .prepare_cached(
            "SELECT id, title, status FROM tickets WHERE reporter_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3",
        )
        .await?;
    let rows = db.query(&statement, &[&reporter.0, &limit, &offset]).await?;
    Ok(rows.iter().map(ticket_line).collect())
}

/// Ticket `ticket`, if it is the reporter's (or linked to them by a merge).
pub async fn own_ticket(
    db: &impl GenericClient,
    reporter: ReporterId,
    ticket: TicketId,
) -> Result<Option<ReporterTicket>, AppError> {
    let statement = db
        .prepare_cached(&format!(
            "SELECT t.id, t.title, t.status FROM tickets t WHERE t.id = $1 AND {REACHES}"
        ))
        .await?;
    let row = db.query_opt(&statement, &[&ticket.0, &reporter.0]).await?;
    Ok(row.as_ref().map(ticket_line))
}

/// Whether Telegram file `telegram_file_id` is recorded on the reporter's `ticket` already, with `comment`
/// (or, for `None`, with the report itself).
pub async fn file_recorded(
    db: &impl GenericClient,
    reporter: ReporterId,
    ticket: TicketId,
    comment: Option<CommentId>,
    telegram_file_id: &str,
) -> Result<bool, AppError> {
    let statement = db
        .prepare_cached(
            "SELECT 1 FROM attachments a JOIN tickets t ON t.id = a.ticket_id
             WHERE a.ticket_id = $1 AND t.reporter_id = $2 AND a.comment_id IS NOT DISTINCT FROM $3
               AND a.telegram_file_id = $4",
        )
        .await?;
    let row = db
        .query_opt(
            &statement,
            &[&ticket.0, &reporter.0, &comment.map(|c| c.0), &telegram_file_id],
        )
        .await?;
    Ok(row.is_some())
}

/// Up to `limit` of the reporter's tickets in new, open or pending, most recently active first: the
/// later of the ticket's last change and its last public comment (internal notes are not activity the
/// reporter can see).
pub async fn open_tickets(
    db: &impl GenericClient,
    reporter: ReporterId,
    limit: i64,
) -> Result<Vec<ReporterTicket>, AppError> {
    let statement = db
        .prepare_cached(
            "SELECT t.id, t.title, t.status FROM tickets t
             WHERE (t.reporter_id = $1 OR t.id IN (SELECT tr.ticket_id FROM ticket_reporters tr WHERE tr.reporter_id = $1))
               AND t.status IN ('new', 'open', 'pending')
             ORDER BY greatest(t.updated_at, (SELECT max(c.created_at) FROM comments c WHERE c.ticket_id = t.id AND NOT c.internal)) DESC,
                      t.id DESC
             LIMIT $2",
        )
        .await?;
    let rows = db.query(&statement, &[&reporter.0, &limit]).await?;
    Ok(rows.iter().map(ticket_line).collect())
}

/// Where a follow-up to `ticket` lands: the end of its chain of merges (`tickets.merged_into`, at most
/// 32 steps), if the reporter may reach `ticket`; `ticket` itself when it was never merged.
pub async fn surviving(
    db: &impl GenericClient,
    reporter: ReporterId,
    ticket: TicketId,
) -> Result<Option<TicketId>, AppError> {
    let statement = db
        .prepare_cached(&format!(
            "WITH RECURSIVE chain (id, next, depth) AS (
                 SELECT t.id, t.merged_into, 0 FROM tickets t WHERE t.id = $1 AND {REACHES}
                 UNION ALL
                 SELECT t.id, t.merged_into, c.depth + 1 FROM chain c JOIN tickets t ON t.id = c.next
                 WHERE c.depth < 32)
             SELECT id FROM chain ORDER BY depth DESC LIMIT 1"
        ))
        .await?;
    let row = db.query_opt(&statement, &[&ticket.0, &reporter.0]).await?;
    Ok(row.map(|r| TicketId(r.get(0))))
}

fn ticket_line(row: &Row) -> ReporterTicket {
    ReporterTicket {
        id: TicketId(row.get(0)),
        title: row.get(1),
        // The column has a CHECK constraint listing exactly the enum's values.
        status: Status::parse(row.get(2)).unwrap_or(Status::New),
    }
}
