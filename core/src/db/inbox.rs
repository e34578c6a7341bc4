//! Queries on the inbox of Telegram updates (`telegram_updates`): recording an update once, claiming the
//! oldest unhandled update of each sender, finishing one (and taking its sender's next), and giving back a
//! dead instance's claims. The rules are in `crate::inbox`.

use std::time::Duration;

use deadpool_postgres::GenericClient;
use serde_json::Value;

use crate::cluster::InstanceId;
use crate::db::cluster::millis;
use crate::error::AppError;

/// A recorded update, claimed for handling.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub update_id: i64,
    /// The update as Telegram sent it.
    pub body: Value,
}

fn claimed_from_row(row: &tokio_postgres::Row) -> Claimed {
    Claimed {
        update_id: row.get(0),
        body: row.get(1),
    }
}

/// Records update `update_id` from `sender`, unless it is on record already. Answers whether it was new.
pub async fn record(
    db: &impl GenericClient,
    update_id: i64,
    sender: Option<i64>,
    body: &Value,
) -> Result<bool, AppError> {
    let statement = db
        .prepare_cached(
            "INSERT INTO telegram_updates (update_id, sender, body) VALUES ($1, $2, $3)
             ON CONFLICT (update_id) DO NOTHING",
        )
        .await?;
    Ok(db.execute(&statement, &[&update_id, &sender, body]).await? == 1)
}

/// Claims for `by` the oldest unhandled update of up to `limit` senders whose oldest unhandled update
/// nobody has claimed: a sender's later updates wait until the earlier ones are handled, so each sender's
/// updates are handled in order, one at a time, whichever instance handles them. Oldest first.
pub async fn claim_heads(db: &impl GenericClient, by: InstanceId, limit: i64) -> Result<Vec<Claimed>, AppError> {
    let statement = db
        .prepare_cached(
            "UPDATE telegram_updates u SET claimed_by = $1, claimed_at = now()
             WHERE u.update_id IN (
                 SELECT h.update_id FROM (
                     SELECT DISTINCT ON (sender) update_id, claimed_by FROM telegram_updates
                     WHERE handled_at IS NULL ORDER BY sender, update_id) AS h
                 WHERE h.claimed_by IS NULL ORDER BY h.update_id LIMIT $2)
               AND u.claimed_by IS NULL AND u.handled_at IS NULL
             RETURNING u.update_id, u.body",
        )
        .await?;
    let mut claimed: Vec<Claimed> = db
        .query(&statement, &[&by.0, &limit])
        .await?
        .iter()
        .map(claimed_from_row)
        .collect();
    claimed.sort_by_key(|c| c.update_id);
    Ok(claimed)
}

/// Marks update `update_id` (claimed by `by`) handled; with `take_next`, claims its sender's next
/// unhandled update for `by` in the same statement and answers it.
pub async fn finish(
    db: &impl GenericClient,
    update_id: i64,
    by: InstanceId,
    take_next: bool,
) -> Result<Option<Claimed>, AppError> {
    if !take_next {
        db.execute(
            "UPDATE telegram_updates SET handled_at = now()
             WHERE update_id = $1 AND claimed_by = $2 AND handled_at IS NULL",
            &[&update_id, &by.0],
        )
        .await?;
        return Ok(None);
    }
    let statement = db
        .prepare_cached(
            "WITH done AS (
                 UPDATE telegram_updates SET handled_at = now()
                 WHERE update_id = $1 AND claimed_by = $2 AND handled_at IS NULL RETURNING sender)
             UPDATE telegram_updates u SET claimed_by = $2, claimed_at = now()
             WHERE u.update_id = (
                     SELECT min(t.update_id) FROM telegram_updates t, done
                     WHERE t.handled_at IS NULL AND t.sender IS NOT DISTINCT FROM done.sender
                       AND t.update_id <> $1)
               AND u.claimed_by IS NULL AND u.handled_at IS NULL
             RETURNING u.update_id, u.body",
        )
        .await?;
    let row = db.query_opt(&statement, &[&update_id, &by.0]).await?;
    Ok(row.as_ref().map(claimed_from_row))
}

/// Gives back the updates `dead` claimed and did not finish, for another instance to handle. Returns how
/// many.
pub async fn release_claims_of(db: &impl GenericClient, dead: InstanceId) -> Result<u64, AppError> {
    Ok(db
        .execute(
            "UPDATE telegram_updates SET claimed_by = NULL, claimed_at = NULL
             WHERE claimed_by = $1 AND handled_at IS NULL",
            &[&dead.0],
        )
        .await?)
}

/// Whether any update waits to be handled (claimed or not).
pub async fn any_unhandled(db: &impl GenericClient) -> Result<bool, AppError> {
    let row = db
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM telegram_updates WHERE handled_at IS NULL)",
            &[],
        )
        .await?;
    Ok(row.get(0))
}

/// Forgets updates handled more than `keep` ago. Returns how many.
pub async fn purge(db: &impl GenericClient, keep: Duration) -> Result<u64, AppError> {
    Ok(db
        .execute(
            "DELETE FROM telegram_updates WHERE handled_at < now() - $1::bigint * interval '1 millisecond'",
            &[&millis(keep)],
        )
        .await?)
}
