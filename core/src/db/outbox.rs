//! Queries on the notification outbox that its deliverer (the Telegram bot) runs: the oldest pending
//! notification of each chat, claims, and the outcome of each attempt. Queuing is in `crate::outbox`.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use loket_protocol::TicketId;
use loket_protocol::ticket::Notice;

use crate::cluster::{InstanceId, LeaseName, Term};
use crate::error::AppError;

/// What agents read on a notification whose delivery was cut short (the process sending it died): Telegram
/// may have shown it, so it is not sent again.
pub const INTERRUPTED: &str = "delivery interrupted; Telegram may have shown it, so it is not sent again";

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

/// Marks rows left claimed by instance `dead` (it died mid-send) as failed with `note`. Returns how many.
pub async fn interrupt_claims_of(db: &impl GenericClient, dead: InstanceId, note: &str) -> Result<u64, AppError> {
    Ok(db
        .execute(
            "UPDATE notifications SET status = 'failed', sending_since = NULL, last_error = $2
             WHERE status = 'pending' AND sending_since IS NOT NULL AND claimed_by = $1",
            &[&dead.0, &note],
        )
        .await?)
}

/// Marks rows claimed by no known instance (claimed before instances were recorded, by a process that
/// died then) as failed with `note`. Returns how many.
pub async fn interrupt_unowned_claims(db: &impl GenericClient, note: &str) -> Result<u64, AppError> {
    Ok(db
        .execute(
            "UPDATE notifications n SET status = 'failed', sending_since = NULL, last_error = $1
             WHERE n.status = 'pending' AND n.sending_since IS NOT NULL
               AND (n.claimed_by IS NULL OR NOT EXISTS (SELECT 1 FROM instances i WHERE i.id = n.claimed_by))",
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

/// Who may claim a notification: this instance, while it holds the deliverer's lease with this term.
#[derive(Debug, Clone, Copy)]
pub struct Claimant {
    pub instance: InstanceId,
    pub lease: LeaseName,
    pub term: Term,
}

/// Claims notification `id` for one attempt by `by` and keeps `text` as what it says (unless it has a text
/// already). Fenced: only while `by` still holds its lease with the same token (database clock), so an
/// instance that lost the lease (paused past it, say) cannot claim. Answers the attempt's number, or
/// `None` if someone else claimed or finished it, or the lease is no longer `by`'s.
pub async fn claim(db: &impl GenericClient, id: i64, text: &str, by: Claimant) -> Result<Option<i32>, AppError> {
    let statement = db
        .prepare_cached(
            "UPDATE notifications SET sending_since = now(), claimed_by = $3, attempts = attempts + 1,
                 body = COALESCE(body, $2)
             WHERE id = $1 AND status = 'pending' AND sending_since IS NULL
               AND EXISTS (SELECT 1 FROM cluster_leases
                           WHERE name = $4 AND holder = $3 AND token = $5 AND expires_at > now())
             RETURNING attempts",
        )
        .await?;
    let row = db
        .query_opt(&statement, &[&id, &text, &by.instance.0, &by.lease.0, &by.term.token])
        .await?;
    Ok(row.map(|r| r.get(0)))
}

/// One more part was accepted; after the `last` part the notification is delivered.
pub async fn part_sent(db: &impl GenericClient, id: i64, last: bool) -> Result<(), AppError> {
    let sql = if last {
        "UPDATE notifications SET status = 'delivered', delivered_at = now(), sending_since = NULL,
         claimed_by = NULL, parts_sent = parts_sent + 1, last_error = NULL WHERE id = $1"
    } else {
        "UPDATE notifications SET sending_since = NULL, claimed_by = NULL, parts_sent = parts_sent + 1 WHERE id = $1"
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
        "UPDATE notifications SET sending_since = NULL, claimed_by = NULL, last_error = $2,
         next_attempt_at = now() + $3::bigint * interval '1 millisecond' WHERE id = $1",
        &[&id, &error, &millis],
    )
    .await?;
    Ok(())
}

/// The notification will not be delivered.
pub async fn failed(db: &impl GenericClient, id: i64, error: &str) -> Result<(), AppError> {
    db.execute(
        "UPDATE notifications SET status = 'failed', sending_since = NULL, claimed_by = NULL, last_error = $2
         WHERE id = $1",
        &[&id, &error],
    )
    .await?;
    Ok(())
}
