//! The demo's own SQL: registering its reporters, moving what the desk just wrote back to the moment the
//! plan says it happened, and recording its notifications as delivered. Everything else the demo writes
//! goes through the desk and the ordinary queries.

use deadpool_postgres::GenericClient;
use loket_protocol::{CategoryId, ReporterId, TicketId, Timestamp};

use crate::db::outbox::{HEAD_COLUMNS, Head, head_from_row};
use crate::error::AppError;

/// How long after a change its notification is recorded as delivered.
const DELIVERY_DELAY_SECS: f64 = 3.0;

/// Takes the session-level advisory lock `key` if nobody holds it; false if someone does.
pub async fn try_lock(db: &impl GenericClient, key: i64) -> Result<bool, AppError> {
    Ok(db.query_one("SELECT pg_try_advisory_lock($1)", &[&key]).await?.get(0))
}

/// Releases the session-level advisory lock `key`; false if this session did not hold it.
pub async fn unlock(db: &impl GenericClient, key: i64) -> Result<bool, AppError> {
    Ok(db.query_one("SELECT pg_advisory_unlock($1)", &[&key]).await?.get(0))
}

/// How many tickets there are.
pub async fn ticket_count(db: &impl GenericClient) -> Result<i64, AppError> {
    Ok(db.query_one("SELECT count(*) FROM tickets", &[]).await?.get(0))
}

/// The category named `name` (regardless of case), if there is one.
pub async fn category_named(db: &impl GenericClient, name: &str) -> Result<Option<CategoryId>, AppError> {
    let row = db
        .query_opt("SELECT id FROM categories WHERE lower(name) = lower($1)", &[&name])
        .await?;
    Ok(row.map(|r| CategoryId(r.get(0))))
}

/// A reporter registered with the bot through `invite_code`, as the bot registers them. Answers the
/// reporter and whether they were created now (false: that Telegram account was registered before).
pub async fn register_reporter(
    db: &impl GenericClient,
    telegram_user_id: i64,
    name: &str,
    language: &str,
    invite_code: &str,
    registered_at: Timestamp,
) -> Result<(ReporterId, bool), AppError> {
    // A private chat's id is the user's id.
    let inserted = db
        .query_opt(
            "INSERT INTO reporters (telegram_user_id, chat_id, name, language, invite_code, created_at)
             VALUES ($1, $1, $2, $3, $4, $5) ON CONFLICT (telegram_user_id) DO NOTHING RETURNING id",
            &[&telegram_user_id, &name, &language, &invite_code, &registered_at],
        )
        .await?;
    if let Some(row) = inserted {
        return Ok((ReporterId(row.get(0)), true));
    }
    let row = db
        .query_one(
            "SELECT id FROM reporters WHERE telegram_user_id = $1",
            &[&telegram_user_id],
        )
        .await?;
    Ok((ReporterId(row.get(0)), false))
}

/// Counts `uses` redemptions of `code`.
pub async fn count_invite_uses(db: &impl GenericClient, code: &str, uses: i32) -> Result<(), AppError> {
    db.execute(
        "UPDATE invite_codes SET uses = uses + $2 WHERE code = $1",
        &[&code, &uses],
    )
    .await?;
    Ok(())
}

/// The database's own clock right now (not the transaction's start, unlike `now()`).
pub async fn clock(db: &impl GenericClient) -> Result<Timestamp, AppError> {
    Ok(db.query_one("SELECT clock_timestamp()", &[]).await?.get(0))
}

/// Moves what the desk wrote for `ticket` (its row, audit entries, comments, notifications) to the
/// moments the plan says it happened. `marks` pairs the database clock just before each step with that
/// step's planned moment, in order: a row stamped at or after a mark (and before the next) belongs to
/// that step. Rows stamped before the first mark are left alone.
pub async fn backdate(
    db: &impl GenericClient,
    ticket: TicketId,
    marks: &[(Timestamp, Timestamp)],
    created_at: Timestamp,
    updated_at: Timestamp,
) -> Result<(), AppError> {
    let (real, planned): (Vec<Timestamp>, Vec<Timestamp>) = marks.iter().copied().unzip();
    // Data-modifying WITH clauses all run, whether or not the outer query reads them.
    db.execute(
        "WITH marks AS (SELECT * FROM unnest($2::timestamptz[], $3::timestamptz[]) AS m(real_at, planned_at)),
         events AS (
             UPDATE ticket_events e SET created_at =
                 (SELECT planned_at FROM marks WHERE real_at <= e.created_at ORDER BY real_at DESC LIMIT 1)
             WHERE e.ticket_id = $1 AND e.created_at >= (SELECT min(real_at) FROM marks) RETURNING 1),
         comments AS (
             UPDATE comments c SET created_at =
                 (SELECT planned_at FROM marks WHERE real_at <= c.created_at ORDER BY real_at DESC LIMIT 1)
             WHERE c.ticket_id = $1 AND c.created_at >= (SELECT min(real_at) FROM marks) RETURNING 1),
         notices AS (
             UPDATE notifications n SET
                 created_at = (SELECT planned_at FROM marks WHERE real_at <= n.created_at ORDER BY real_at DESC LIMIT 1),
                 next_attempt_at = (SELECT planned_at FROM marks WHERE real_at <= n.created_at ORDER BY real_at DESC LIMIT 1)
             WHERE n.ticket_id = $1 AND n.created_at >= (SELECT min(real_at) FROM marks) RETURNING 1),
         ticket AS (UPDATE tickets SET created_at = $4, updated_at = $5 WHERE id = $1 RETURNING 1)
         SELECT 1",
        &[&ticket.0, &real, &planned, &created_at, &updated_at],
    )
    .await?;
    Ok(())
}

/// `ticket`'s notifications still waiting for the bot, as the bot reads them.
pub async fn pending_notices(db: &impl GenericClient, ticket: TicketId) -> Result<Vec<Head>, AppError> {
    let rows = db
        .query(
            &format!(
                "SELECT {HEAD_COLUMNS}
                 FROM notifications n JOIN tickets t ON t.id = n.ticket_id JOIN reporters r ON r.id = n.reporter_id
                 WHERE n.ticket_id = $1 AND n.status = 'pending' ORDER BY n.id"
            ),
            &[&ticket.0],
        )
        .await?;
    Ok(rows.iter().map(head_from_row).collect())
}

/// Records notifications as delivered with the text they were sent as, a moment after they were queued.
pub async fn delivered(db: &impl GenericClient, ids: &[i64], texts: &[String]) -> Result<(), AppError> {
    db.execute(
        "UPDATE notifications n SET body = v.body, status = 'delivered', attempts = n.attempts + 1,
                parts_sent = 1, delivered_at = n.created_at + $3 * interval '1 second'
         FROM unnest($1::bigint[], $2::text[]) AS v(id, body) WHERE n.id = v.id",
        &[&ids, &texts, &DELIVERY_DELAY_SECS],
    )
    .await?;
    Ok(())
}

/// How many comments and audit entries `tickets` have.
pub async fn history_counts(db: &impl GenericClient, tickets: &[i64]) -> Result<(i64, i64), AppError> {
    let row = db
        .query_one(
            "SELECT (SELECT count(*) FROM comments WHERE ticket_id = ANY($1)),
                    (SELECT count(*) FROM ticket_events WHERE ticket_id = ANY($1))",
            &[&tickets],
        )
        .await?;
    Ok((row.get(0), row.get(1)))
}
