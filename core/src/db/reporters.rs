//! Queries on reporters (the people who file reports through Telegram).

use deadpool_postgres::GenericClient;
use loket_protocol::{ReporterId, TicketId};

use crate::error::AppError;

/// The reporter's name, if `ticket` is theirs.
pub async fn name_on_ticket(
    db: &impl GenericClient,
    reporter: ReporterId,
    ticket: TicketId,
) -> Result<Option<String>, AppError> {
    let statement = db
        .prepare_cached(
            "SELECT r.name FROM tickets t JOIN reporters r ON r.id = t.reporter_id WHERE t.id = $1 AND r.id = $2",
        )
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
