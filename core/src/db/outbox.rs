//! Queries on the notification outbox that its deliverer (the Telegram bot) runs: the oldest pending
//! notification of each chat, claims, and the outcome of each attempt. Queuing is in `crate::outbox`.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use loket_protocol::TicketId;
use loket_protocol::ticket::Notice;

use crate::error::AppError;

/// The oldest pending notification of one chat, with what is needed to word it.
#[derive(Debug, Clone)]
pub struct Head {
    pub id: i64,
    pub chat_id: i64,
    pub ticket_id: TicketId,
    pub ticket_title: String,
    /// The reporter's language code (`en`, `id`).
    pub language: String,
    /// The worded text, once the deliverer has stored it (or for rows queued with their text).
    pub text: Option<String>,
    /// What to say, as data.
    pub notice: Option<Notice>,
    pub parts_sent: i32,
    pub next_attempt_at: DateTime<Utc>,
    /// Claimed by an attempt that has not been recorded yet.
    pub claimed: bool,
}

/// How many notifications wait for delivery, and the age in seconds of the oldest (0 when none waits).
/// Counts through the partial index on pending rows.
pub async fn backlog(db: &impl GenericClient) -> Result<(i64, f64), AppError> {
    let row = db
        .query_one(
            "SELECT count(*), COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8
             FROM notifications WHERE status = 'pending'",
            &[],
        )
        .await?;
    Ok((row.get(0), row.get(1)))
}

/// Marks rows left claimed by a process that died mid-send as failed with `note`. Returns how many.
pub async fn recover_interrupted(db: &impl GenericClient, note: &str) -> Result<u64, AppError> {
    Ok(db
        .execute(
            "UPDATE notifications SET status = 'failed', sending_since = NULL, last_error = $1
             WHERE status = 'pending' AND sending_since IS NOT NULL",
            &[&note],
        )
        .await?)
}

/// The oldest pending notification of every chat (a later one waits for it).
pub async fn heads(db: &impl GenericClient) -> Result<Vec<Head>, AppError> {
    let rows = db
        .query(
            &format!(
                "SELECT DISTINCT ON (n.chat_id) {HEAD_COLUMNS}
                 FROM notifications n JOIN tickets t ON t.id = n.ticket_id JOIN reporters r ON r.id = n.reporter_id
                 WHERE n.status = 'pending' ORDER BY n.chat_id, n.id"
            ),
            &[],
        )
        .await?;
    Ok(rows.iter().map(head_from_row).collect())
}

/// The columns every query for [`Head`]s selects, in this order.
pub(crate) const HEAD_COLUMNS: &str = "n.id, n.chat_id, n.ticket_id, t.title, r.language, n.body, n.data, \
     n.parts_sent, n.next_attempt_at, n.sending_since IS NOT NULL";

/// A [`Head`] from a row that selected [`HEAD_COLUMNS`].
pub(crate) fn head_from_row(r: &tokio_postgres::Row) -> Head {
    Head {
        id: r.get(0),
        chat_id: r.get(1),
        ticket_id: TicketId(r.get(2)),
        ticket_title: r.get(3),
        language: r.get(4),
        text: r.get(5),
        notice: r
            .get::<_, Option<serde_json::Value>>(6)
            .and_then(|data| serde_json::from_value(data).ok()),
        parts_sent: r.get(7),
        next_attempt_at: r.get(8),
        claimed: r.get(9),
    }
}

/// Claims notification `id` for one attempt and keeps `text` as what it says (unless it has a text
/// already). Answers the attempt's number, or `None` if someone else claimed or finished it.
pub async fn claim(db: &impl GenericClient, id: i64, text: &str) -> Result<Option<i32>, AppError> {
    let row = db
        .query_opt(
            "UPDATE notifications SET sending_since = now(), attempts = attempts + 1, body = COALESCE(body, $2)
             WHERE id = $1 AND status = 'pending' AND sending_since IS NULL RETURNING attempts",
            &[&id, &text],
        )
        .await?;
    Ok(row.map(|r| r.get(0)))
}

/// One more part was accepted; after the `last` part the notification is delivered.
pub async fn part_sent(db: &impl GenericClient, id: i64, last: bool) -> Result<(), AppError> {
    let sql = if last {
        "UPDATE notifications SET status = 'delivered', delivered_at = now(), sending_since = NULL,
         parts_sent = parts_sent + 1, last_error = NULL WHERE id = $1"
    } else {
        "UPDATE notifications SET sending_since = NULL, parts_sent = parts_sent + 1 WHERE id = $1"
    };
    db.execute(sql, &[&id]).await?;
    Ok(())
}

/// The attempt failed; try again after `wait`.
pub async fn retry_later(
    db: &impl GenericClient,
    id: i64,
    error: &str,
    wait: std::time::Duration,
) -> Result<(), AppError> {
    let millis = i64::try_from(wait.as_millis()).unwrap_or(i64::MAX);
    db.execute(
        "UPDATE notifications SET sending_since = NULL, last_error = $2,
         next_attempt_at = now() + $3::bigint * interval '1 millisecond' WHERE id = $1",
        &[&id, &error, &millis],
    )
    .await?;
    Ok(())
}

/// The notification will not be delivered.
pub async fn failed(db: &impl GenericClient, id: i64, error: &str) -> Result<(), AppError> {
    db.execute(
        "UPDATE notifications SET status = 'failed', sending_since = NULL, last_error = $2 WHERE id = $1",
        &[&id, &error],
    )
    .await?;
    Ok(())
}
