//! The `event_log` table: appending an event inside its change's transaction, reading a range back for
//! `Resume`, the snapshot facts a reader outside the writer needs, and pruning.

use deadpool_postgres::GenericClient;
use loket_protocol::attention::{self, Whom};
use loket_protocol::ws::ServerMessage;
use loket_protocol::{TicketId, Timestamp};

use crate::db::attention as attention_q;
use crate::domain::follow::SnapshotFacts;
use crate::error::AppError;

/// The `SELECT` that takes a position for one new row: the writing transaction's id is taken first (it
/// has one already when it wrote before; `pg_current_xact_id()` assigns one otherwise), then `nextval`,
/// so a reader outside the writer can rely on "xid before position" (`domain::follow`). The subqueries
/// hold volatile functions, so PostgreSQL evaluates them once, inside out.
pub(crate) const TAKE_POSITION: &str = "SELECT nextval('event_log_position_seq') AS position, x.xid
     FROM (SELECT pg_current_xact_id() AS xid) x";

/// Appends `message` (its `position` is filled in) about `ticket` in the caller's transaction; returns
/// the position it took. Commit afterwards; until then the position is in flight.
pub async fn append(db: &impl GenericClient, ticket: TicketId, message: &ServerMessage) -> Result<u64, AppError> {
    append_about(db, Some(ticket), message).await
}

/// Appends an event of the desk itself, about no ticket (`MembershipChanged`), like [`append`].
pub async fn append_desk(db: &impl GenericClient, message: &ServerMessage) -> Result<u64, AppError> {
    append_about(db, None, message).await
}

async fn append_about(
    db: &impl GenericClient,
    ticket: Option<TicketId>,
    message: &ServerMessage,
) -> Result<u64, AppError> {
    let id = ticket.map(|t| t.0);
    let payload = serde_json::to_string(message).map_err(AppError::internal)?;
    let insert = format!(
        "INSERT INTO event_log (position, xid, ticket_id, kind, payload)
         SELECT p.position, p.xid, $1, $2, $3::text::jsonb || jsonb_build_object('position', p.position)
         FROM ({TAKE_POSITION}) p
         RETURNING position"
    );
    // An attention signal (a new ticket, a reporter's reply, an assignment) is recorded by the same
    // statement: the board's unread markers (`db::attention`).
    let row = match attention::signal(message).filter(|_| ticket.is_some()) {
        None => {
            db.query_one(
                &db.prepare_cached(&insert).await?,
                &[&id, &message.type_name(), &payload],
            )
            .await?
        }
        Some(signal) => {
            let statement = db
                .prepare_cached(&attention_q::append_recording(&signal, &insert))
                .await?;
            match signal.whom {
                Whom::Everyone => db.query_one(&statement, &[&id, &message.type_name(), &payload]).await?,
                Whom::Agent(agent) => {
                    db.query_one(&statement, &[&id, &message.type_name(), &payload, &agent.0])
                        .await?
                }
            }
        }
    };
    position_of(row.get(0))
}

/// Wakes every instance's follower (`LISTEN` on `channel`, `core::event_log::CHANNEL`). Run it after the
/// events' transaction committed, outside any transaction that writes: a statement with only a
/// `NOTIFY` takes no transaction id, so its commit flushes no WAL and holds `NOTIFY`'s database-wide
/// commit lock only for a moment (inside a writing transaction that lock is held through the WAL
/// flush, which serialised every event-writing commit). The notification carries nothing; the log is
/// the source.
pub async fn wake_followers(db: &impl GenericClient, channel: &str) -> Result<(), AppError> {
    db.execute(&db.prepare_cached("SELECT pg_notify($1, '')").await?, &[&channel])
        .await?;
    Ok(())
}

/// A position as stored (a `bigint` from the sequence: never negative).
pub(crate) fn position_of(stored: i64) -> Result<u64, AppError> {
    u64::try_from(stored).map_err(|_| AppError::internal(format!("negative event position {stored}")))
}

fn stored(position: u64) -> i64 {
    // Positions come from a bigint sequence; anything larger cannot be on record.
    i64::try_from(position).unwrap_or(i64::MAX)
}

/// One logged event, as sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Logged {
    pub position: u64,
    pub message: ServerMessage,
}

fn logged(position: i64, payload: &str) -> Result<Logged, AppError> {
    let message = serde_json::from_str(payload)
        .map_err(|e| AppError::internal(format!("event {position} in the log cannot be read: {e}")))?;
    Ok(Logged {
        position: position_of(position)?,
        message,
    })
}

/// The event at `position`, if it committed.
pub async fn at(db: &impl GenericClient, position: u64) -> Result<Option<Logged>, AppError> {
    let row = db
        .query_opt(
            &db.prepare_cached("SELECT position, payload::text FROM event_log WHERE position = $1")
                .await?,
            &[&stored(position)],
        )
        .await?;
    row.map(|row| logged(row.get(0), row.get(1))).transpose()
}

/// A range of the log, read in one statement with how far pruning had gone.
#[derive(Debug, Clone, PartialEq)]
pub struct Chunk {
    /// Events at or below this were deleted.
    pub pruned_through: u64,
    /// The events in the range, in position order.
    pub events: Vec<Logged>,
}

/// At most `limit` events with `after < position <= upto`, in order.
pub async fn read(db: &impl GenericClient, after: u64, upto: u64, limit: usize) -> Result<Chunk, AppError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = db
        .query(
            &db.prepare_cached(
                "SELECT h.pruned_through, e.position, e.payload::text
                 FROM event_log_horizon h
                 LEFT JOIN LATERAL (
                     SELECT position, payload FROM event_log
                     WHERE position > $1 AND position <= $2 ORDER BY position LIMIT $3
                 ) e ON true
                 ORDER BY e.position",
            )
            .await?,
            &[&stored(after), &stored(upto), &limit],
        )
        .await?;
    let pruned_through = match rows.first() {
        Some(row) => position_of(row.get(0))?,
        None => return Err(AppError::internal("event_log_horizon has no row")),
    };
    let mut events = Vec::with_capacity(rows.len());
    for row in &rows {
        if let Some(position) = row.get::<_, Option<i64>>(1) {
            events.push(logged(position, row.get(2))?);
        }
    }
    Ok(Chunk { pruned_through, events })
}

/// At most `limit` events above `after` and those at `missing` positions, in order, and the snapshot they
/// were read in (one statement): one read for a reader that is not the writer
/// ([`crate::domain::follow::Follow`]). Two branches, each an index range or lookup: with the two
/// conditions joined by `OR`, PostgreSQL walked the primary key from the oldest event on record and
/// filtered every row below `after` (the whole retained log, at every read).
pub async fn read_after(
    db: &impl GenericClient,
    after: u64,
    missing: &[u64],
    limit: usize,
) -> Result<(Vec<Logged>, SnapshotFacts), AppError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let missing: Vec<i64> = missing.iter().map(|p| stored(*p)).collect();
    let row = db
        .query_one(
            &db.prepare_cached(
                "SELECT pg_current_snapshot()::text,
                        coalesce(array_agg(e.position ORDER BY e.position), '{}'),
                        coalesce(array_agg(e.payload::text ORDER BY e.position), '{}')
                 FROM (SELECT position, payload FROM
                         ((SELECT position, payload FROM event_log WHERE position > $1 ORDER BY position LIMIT $2)
                          UNION ALL
                          (SELECT position, payload FROM event_log
                           WHERE position = ANY($3::bigint[]) AND position <= $1)) u
                       ORDER BY position LIMIT $2) e",
            )
            .await?,
            &[&stored(after), &limit, &missing],
        )
        .await?;
    let facts = SnapshotFacts::parse(row.get(0)).map_err(AppError::internal)?;
    let positions: Vec<i64> = row.get(1);
    let payloads: Vec<String> = row.get(2);
    let events = positions
        .into_iter()
        .zip(&payloads)
        .map(|(position, payload)| logged(position, payload))
        .collect::<Result<_, _>>()?;
    Ok((events, facts))
}

/// A fresh transaction id (this statement's own, committed at once): every transaction that had an id
/// before it has a smaller one.
pub async fn fresh_xid(db: &impl GenericClient) -> Result<u64, AppError> {
    let row = db
        .query_one(&db.prepare_cached("SELECT pg_current_xact_id()::text").await?, &[])
        .await?;
    row.get::<_, &str>(0)
        .parse()
        .map_err(|e| AppError::internal(format!("a transaction id that is not a number: {e}")))
}

/// The snapshot this statement runs in.
pub async fn facts(db: &impl GenericClient) -> Result<SnapshotFacts, AppError> {
    let row = db
        .query_one(&db.prepare_cached("SELECT pg_current_snapshot()::text").await?, &[])
        .await?;
    SnapshotFacts::parse(row.get(0)).map_err(AppError::internal)
}

/// The newest `limit` positions on record, lowest first, and the snapshot they were read in.
pub async fn newest_positions(db: &impl GenericClient, limit: usize) -> Result<(Vec<u64>, SnapshotFacts), AppError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let row = db
        .query_one(
            &db.prepare_cached(
                "SELECT coalesce(array(SELECT position FROM
                            (SELECT position FROM event_log ORDER BY position DESC LIMIT $1) n ORDER BY position), '{}'),
                        pg_current_snapshot()::text",
            )
            .await?,
            &[&limit],
        )
        .await?;
    let positions = row
        .get::<_, Vec<i64>>(0)
        .into_iter()
        .map(position_of)
        .collect::<Result<_, _>>()?;
    Ok((positions, SnapshotFacts::parse(row.get(1)).map_err(AppError::internal)?))
}

/// Every event at or below this was pruned.
pub async fn horizon(db: &impl GenericClient) -> Result<u64, AppError> {
    let row = db
        .query_one(
            &db.prepare_cached("SELECT pruned_through FROM event_log_horizon")
                .await?,
            &[],
        )
        .await?;
    position_of(row.get(0))
}

/// Which of `positions` are on record, lowest first, and the snapshot they were read in (one statement):
/// a reader waiting for missing positions ([`crate::domain::follow::Follow`]) looks again.
pub async fn positions_among(
    db: &impl GenericClient,
    positions: &[u64],
) -> Result<(Vec<u64>, SnapshotFacts), AppError> {
    let wanted: Vec<i64> = positions.iter().map(|p| stored(*p)).collect();
    let row = db
        .query_one(
            &db.prepare_cached(
                "SELECT coalesce(array(SELECT position FROM event_log WHERE position = ANY($1::bigint[]) ORDER BY position), '{}'),
                        pg_current_snapshot()::text",
            )
            .await?,
            &[&wanted],
        )
        .await?;
    let found = row
        .get::<_, Vec<i64>>(0)
        .into_iter()
        .map(position_of)
        .collect::<Result<_, _>>()?;
    Ok((found, SnapshotFacts::parse(row.get(1)).map_err(AppError::internal)?))
}

/// How much history to keep: at least the last `hours` and at least the newest `min_events`, whichever
/// keeps more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub hours: u32,
    pub min_events: u64,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            hours: 24,
            min_events: 100_000,
        }
    }
}

/// What one prune did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pruned {
    pub deleted: u64,
    /// Every event at or below this is gone now.
    pub pruned_through: u64,
}

/// Deletes the events older than `retention` keeps, in one transaction with the horizon, so a reader
/// sees either both or neither. Only a prefix of the log is ever deleted.
pub async fn prune(db: &mut deadpool_postgres::Client, retention: Retention) -> Result<Pruned, AppError> {
    let tx = db.transaction().await?;
    // The newest event beyond the count limit, and the newest one (at or below it) older than the time
    // limit: rows up to that one are outside both.
    let by_count: Option<i64> = tx
        .query_opt(
            &tx.prepare_cached("SELECT position FROM event_log ORDER BY position DESC OFFSET $1 LIMIT 1")
                .await?,
            &[&i64::try_from(retention.min_events).unwrap_or(i64::MAX)],
        )
        .await?
        .map(|row| row.get(0));
    let cutoff = match by_count {
        Some(upto) => written_before(&tx, retention.hours, upto).await?,
        None => None,
    };
    let Some(cutoff) = cutoff else {
        return Ok(Pruned {
            deleted: 0,
            pruned_through: horizon(&tx).await?,
        });
    };
    let deleted = tx
        .execute(
            &tx.prepare_cached("DELETE FROM event_log WHERE position <= $1").await?,
            &[&cutoff],
        )
        .await?;
    let horizon: i64 = tx
        .query_one(
            &tx.prepare_cached(
                "UPDATE event_log_horizon SET pruned_through = greatest(pruned_through, $1) RETURNING pruned_through",
            )
            .await?,
            &[&cutoff],
        )
        .await?
        .get(0);
    crate::db::commit(tx).await?;
    Ok(Pruned {
        deleted,
        pruned_through: position_of(horizon)?,
    })
}

/// The newest event at or below `upto` written more than `hours` ago (before this transaction's
/// `now()`), if any. Rows are written in position order (to within the microseconds between two
/// concurrent inserts), so this is a binary search over positions, each step one primary-key lookup:
/// about 30 for a billion positions, and no index on `created_at` for every insert to maintain.
async fn written_before(db: &impl GenericClient, hours: u32, upto: i64) -> Result<Option<i64>, AppError> {
    let bounds = db
        .query_one(
            &db.prepare_cached("SELECT min(position), now() - make_interval(hours => $1) FROM event_log")
                .await?,
            &[&i32::try_from(hours).unwrap_or(i32::MAX)],
        )
        .await?;
    let (Some(first), cut): (Option<i64>, Timestamp) = (bounds.get(0), bounds.get(1)) else {
        return Ok(None);
    };
    // Every row below `lo` is old; none at or above `hi` may go.
    let (mut lo, mut hi) = (first, upto.saturating_add(1));
    let probe = db
        .prepare_cached(
            "SELECT position, created_at < $2 FROM event_log WHERE position >= $1 ORDER BY position LIMIT 1",
        )
        .await?;
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let row = db.query_opt(&probe, &[&mid, &cut]).await?;
        match row.map(|row| (row.get::<_, i64>(0), row.get::<_, bool>(1))) {
            Some((position, true)) if position <= upto => lo = position + 1,
            _ => hi = mid,
        }
    }
    let row = db
        .query_one(
            &db.prepare_cached("SELECT max(position) FROM event_log WHERE position < $1")
                .await?,
            &[&lo],
        )
        .await?;
    Ok(row.get(0))
}
