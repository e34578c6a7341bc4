//! Edit locks as rows (`ticket_leases`): the one truth about who holds a ticket's lock, shared by every
//! instance on the database. Taking is one atomic statement; every change that needs the lock reads the
//! live lease with its row locked in the change's own transaction (the fence); ends are conditional
//! deletes by fencing token, so only one instance ever records and broadcasts a lease's end.
//!
//! Expiry is by the database clock: a row whose `expires_at` or `idle_at` has passed holds nothing,
//! whatever its holder's process remembers. Heartbeats move only `expires_at`; activity by the holder
//! (taking, asking again, an update, a comment) moves `idle_at` too ([`touch`]).

use chrono::Duration;
use deadpool_postgres::GenericClient;
use loket_protocol::ticket::{AgentRef, LockInfo, UnlockReason};
use loket_protocol::{AgentId, QueueId, TicketId, Timestamp};
use tokio_postgres::Row;

use crate::cluster::InstanceId;
use crate::domain::lease::{Lease, SessionKey, Via};
use crate::error::AppError;

/// The reason recorded in the history when a lease ends because its instance died.
pub const INSTANCE_DIED: &str = "the instance holding the session stopped";
/// The reason recorded in the history when a lease lapses for want of activity.
pub const WENT_IDLE: &str = "no edits by the holder within the idle time";

const COLUMNS: &str = "holder_agent, holder_name, via, session_key, instance_id, token, since, expires_at, idle_at";
/// A row that still holds its lock: neither run out nor gone idle, by the database clock.
const HOLDS: &str = "expires_at > now() AND idle_at > now()";

/// Locks ticket `id`'s row against other lock changes until the transaction ends (`not_found` if there
/// is none). Every transaction that acts on a lease takes this first, so they run one at a time per ticket
/// across instances; `NO KEY UPDATE` still lets history rows about the ticket be inserted meanwhile.
/// Answers the database clock (the transaction's start), in the same round trip. It also gives the
/// transaction its id first, so that any event position it takes later is covered by the gap rule
/// (`domain::follow`: a transaction has its id before it takes a position).
///
/// `acting` is the agent asking (`None`: Loket itself): unless they may act on the ticket's queue (a
/// member, or an admin; `db::queues::MAY_ACT`, read here in the change's own transaction) the answer is
/// `not_in_queue` and nothing is changed. Answers the ticket's queue too, for the change's event.
pub async fn lock_ticket(
    db: &impl GenericClient,
    id: TicketId,
    acting: Option<AgentId>,
) -> Result<(Timestamp, QueueId), AppError> {
    let row = db
        .query_opt(
            &db.prepare_cached(&format!(
                "SELECT now(), pg_current_xact_id(), t.queue_id, {} FROM tickets t WHERE t.id = $1 FOR NO KEY UPDATE",
                crate::db::queues::MAY_ACT
            ))
            .await?,
            &[&id.0, &acting.map(|a| a.0)],
        )
        .await?
        .ok_or(AppError::NotFound("ticket"))?;
    crate::db::queues::allowed(row.get(3))?;
    Ok((row.get(0), QueueId(row.get(2))))
}

/// The channel a stored lease is held through, as instance `me` sees it: a session of another instance
/// is [`Via::Elsewhere`] (its session keys mean nothing here).
fn via_of(row: &Row, me: Option<InstanceId>) -> Via {
    let via: &str = row.get("via");
    let session: Option<i64> = row.get("session_key");
    let instance: Option<i64> = row.get("instance_id");
    match (via, session) {
        ("session", Some(key)) if instance == me.map(|i| i.0) => Via::Session(SessionKey(key as u64)),
        ("session", _) => Via::Elsewhere,
        _ => Via::Rest,
    }
}

fn lease_of(row: &Row, me: Option<InstanceId>) -> Lease {
    Lease {
        holder: AgentRef {
            id: AgentId(row.get("holder_agent")),
            name: row.get("holder_name"),
        },
        via: via_of(row, me),
        since: row.get("since"),
        expires_at: row.get("expires_at"),
        idle_at: row.get("idle_at"),
        token: row.get("token"),
    }
}

/// The live lease on `ticket`, as instance `me` sees it. With `lock`, its row (if any) stays locked until
/// the transaction ends, so it cannot end or change hands before this transaction commits.
pub async fn live(
    db: &impl GenericClient,
    ticket: TicketId,
    me: Option<InstanceId>,
    lock: bool,
) -> Result<Option<Lease>, AppError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM ticket_leases WHERE ticket_id = $1 AND {HOLDS}{}",
        if lock { " FOR UPDATE" } else { "" }
    );
    let row = db.query_opt(&db.prepare_cached(&sql).await?, &[&ticket.0]).await?;
    Ok(row.map(|r| lease_of(&r, me)))
}

/// Takes the lock on `ticket` for `lease` (held through instance `me`) if nobody holds it: one statement,
/// which waits for a concurrent take to commit and then does nothing. Expired rows must have been ended
/// first ([`expire_due`]). Answers the lease as stored (with its fencing token), or `None` if taken.
pub async fn take(
    db: &impl GenericClient,
    ticket: TicketId,
    lease: &Lease,
    me: Option<InstanceId>,
) -> Result<Option<Lease>, AppError> {
    let (via, session) = match lease.via {
        Via::Session(key) => ("session", Some(key.0 as i64)),
        Via::Rest => ("rest", None),
        Via::Elsewhere => return Err(AppError::internal("a lease is taken through this instance")),
    };
    let row = db
        .query_opt(
            &db.prepare_cached(&format!(
                "INSERT INTO ticket_leases (ticket_id, holder_agent, holder_name, via, session_key, instance_id, since, expires_at, idle_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 ON CONFLICT (ticket_id) DO NOTHING
                 RETURNING {COLUMNS}"
            ))
            .await?,
            &[
                &ticket.0,
                &lease.holder.id.0,
                &lease.holder.name,
                &via,
                &session,
                &me.map(|i| i.0),
                &lease.since,
                &lease.expires_at,
                &lease.idle_at,
            ],
        )
        .await?;
    Ok(row.map(|r| lease_of(&r, me)))
}

/// Extends the lease with fencing token `token` to at least `term` from now, if it still holds: one
/// statement. With `idle` (activity: the holder asked for the lock again), its idle deadline moves to at
/// least `idle` from now as well; a heartbeat passes `None`. Answers the new expiry and idle deadline, or
/// `None` if the lease has ended (expired, gone idle, ended elsewhere).
pub async fn renew(
    db: &impl GenericClient,
    ticket: TicketId,
    token: i64,
    term: Duration,
    idle: Option<Duration>,
) -> Result<Option<(Timestamp, Timestamp)>, AppError> {
    let millis = term.num_milliseconds();
    let idle_millis = idle.map(|d| d.num_milliseconds());
    let row = db
        .query_opt(
            &db.prepare_cached(&format!(
                "UPDATE ticket_leases
                 SET expires_at = greatest(expires_at, now() + $3::bigint * interval '1 millisecond'),
                     idle_at = CASE WHEN $4::bigint IS NULL THEN idle_at
                                    ELSE greatest(idle_at, now() + $4::bigint * interval '1 millisecond') END
                 WHERE ticket_id = $1 AND token = $2 AND {HOLDS}
                 RETURNING expires_at, idle_at"
            ))
            .await?,
            &[&ticket.0, &token, &millis, &idle_millis],
        )
        .await?;
    Ok(row.map(|r| (r.get(0), r.get(1))))
}

/// Activity by `agent` on `ticket` (an update, a comment): if they hold its lock (through any channel),
/// its idle deadline moves to at least `idle` from now. One statement; run it in the activity's own
/// transaction, so a refused change moves nothing. Answers the lease's token and new idle deadline, or
/// `None` when `agent` holds no lock on it.
pub async fn touch(
    db: &impl GenericClient,
    ticket: TicketId,
    agent: AgentId,
    idle: Duration,
) -> Result<Option<(i64, Timestamp)>, AppError> {
    let row = db
        .query_opt(
            &db.prepare_cached(&format!(
                "UPDATE ticket_leases
                 SET idle_at = greatest(idle_at, now() + $3::bigint * interval '1 millisecond')
                 WHERE ticket_id = $1 AND holder_agent = $2 AND {HOLDS}
                 RETURNING token, idle_at"
            ))
            .await?,
            &[&ticket.0, &agent.0, &idle.num_milliseconds()],
        )
        .await?;
    Ok(row.map(|r| (r.get(0), r.get(1))))
}

/// Ends the lease with fencing token `token` (live or not): whether it was still on record. Only the
/// transaction that deletes it records and broadcasts its end.
pub async fn end(db: &impl GenericClient, ticket: TicketId, token: i64) -> Result<bool, AppError> {
    Ok(db
        .execute(
            &db.prepare_cached("DELETE FROM ticket_leases WHERE ticket_id = $1 AND token = $2")
                .await?,
            &[&ticket.0, &token],
        )
        .await?
        == 1)
}

/// How one lease ended, as [`end_where`] records it.
struct Ending {
    reason: UnlockReason,
    /// The reason written in the ticket's history, if any.
    note: Option<&'static str>,
}

/// One statement that deletes the leases `condition` selects (over `ticket_leases`, parameters from `$4`
/// on), records each end in the ticket's history (as `endings[i - 1]`, where `i` is what the SQL
/// expression `which` answers for the row, from 1; actor: the holder for `disconnected`, nobody
/// otherwise) and appends its `TicketUnlocked` to the event log. Answers each ended ticket with its
/// event's position. If any ended, every instance's follower is woken (`NOTIFY`, sent at the caller's
/// COMMIT; these writers log without an [`crate::event_log::Slot`], and are rare).
async fn end_where(
    db: &impl GenericClient,
    endings: &[Ending],
    which: &str,
    condition: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<Vec<(TicketId, u64)>, AppError> {
    let sql = format!(
        "WITH ended AS (
             DELETE FROM ticket_leases WHERE {condition}
             RETURNING ticket_id, holder_agent, ({which})::int AS i),
         recorded AS (
             INSERT INTO ticket_events (ticket_id, actor_agent_id, kind, reason)
             SELECT ticket_id, CASE WHEN ($1::text[])[i] = 'lock_disconnected' THEN holder_agent END,
                    ($1::text[])[i], ($2::text[])[i]
             FROM ended),
         numbered AS (
             SELECT pg_current_xact_id() AS xid, ticket_id, i FROM ended),
         logged AS (
             INSERT INTO event_log (position, xid, ticket_id, kind, payload)
             SELECT p.position, p.xid, p.ticket_id, 'TicketUnlocked',
                    jsonb_build_object('type', 'TicketUnlocked', 'ticket_id', p.ticket_id,
                                       'queue', (SELECT t.queue_id FROM tickets t WHERE t.id = p.ticket_id),
                                       'reason', ($3::text[])[p.i], 'position', p.position)
             FROM (SELECT nextval('event_log_position_seq') AS position, xid, ticket_id, i FROM numbered) p
             RETURNING ticket_id, position)
         SELECT ticket_id, position FROM logged ORDER BY position"
    );
    let kinds: Vec<&str> = endings
        .iter()
        .map(|e| loket_protocol::ticket::TicketEventKind::for_unlock(e.reason).as_str())
        .collect();
    let notes: Vec<Option<&str>> = endings.iter().map(|e| e.note).collect();
    let reasons: Vec<&str> = endings.iter().map(|e| e.reason.as_str()).collect();
    let mut all: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = Vec::with_capacity(params.len() + 3);
    all.push(&kinds);
    all.push(&notes);
    all.push(&reasons);
    all.extend_from_slice(params);
    let rows = db.query(&db.prepare_cached(&sql).await?, &all).await?;
    let ended = rows
        .iter()
        .map(|r| Ok((TicketId(r.get(0)), crate::db::event_log::position_of(r.get(1))?)))
        .collect::<Result<Vec<_>, AppError>>()?;
    if !ended.is_empty() {
        crate::db::event_log::wake_followers(db, crate::event_log::CHANNEL).await?;
    }
    Ok(ended)
}

/// Ends every lease that has run out or gone idle by the database clock (only on `ticket`, if given):
/// one whose idle deadline came first as `idle`, the others as `expired`, recorded and broadcast through
/// the event log (the rule of `Lease::end_reason`), in one statement. Only one instance can delete a
/// row, so each end is recorded and broadcast once cluster-wide. Answers the tickets and their events'
/// positions.
pub async fn expire_due(db: &impl GenericClient, ticket: Option<TicketId>) -> Result<Vec<(TicketId, u64)>, AppError> {
    let ticket = ticket.map(|t| t.0);
    end_where(
        db,
        &[
            Ending {
                reason: UnlockReason::Idle,
                note: Some(WENT_IDLE),
            },
            Ending {
                reason: UnlockReason::Expired,
                note: None,
            },
        ],
        // Due rows only: the idle deadline came first (and has passed) or the expiry has passed first.
        "CASE WHEN idle_at <= expires_at THEN 1 ELSE 2 END",
        "(idle_at <= now() OR expires_at <= now()) AND ($4::bigint IS NULL OR ticket_id = $4)",
        &[&ticket],
    )
    .await
}

/// Ends every session lease taken through instance `dead` as `disconnected` (its sessions are gone),
/// recorded and broadcast through the event log. REST leases stay: they belong to no process.
pub async fn end_sessions_of(db: &impl GenericClient, dead: InstanceId) -> Result<Vec<(TicketId, u64)>, AppError> {
    end_where(
        db,
        &[Ending {
            reason: UnlockReason::Disconnected,
            note: Some(INSTANCE_DIED),
        }],
        "1",
        "via = 'session' AND instance_id = $4::bigint",
        &[&dead.0],
    )
    .await
}

/// Every live lease, for a new process's lock board.
pub async fn all_live(db: &impl GenericClient) -> Result<Vec<(TicketId, LockInfo)>, AppError> {
    let rows = db
        .query(
            &db.prepare_cached(&format!("SELECT ticket_id, {COLUMNS} FROM ticket_leases WHERE {HOLDS}"))
                .await?,
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| (TicketId(r.get("ticket_id")), lease_of(r, None).info()))
        .collect())
}
