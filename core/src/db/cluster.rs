//! Queries on the instance registry (`instances`) and the cluster leases (`cluster_leases`), and the
//! built-in clean-up of a dead instance's state. The rules around them (when an instance is dead, who
//! cleans up, lease timings) are in `crate::cluster`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;

use crate::cluster::{DeadInstance, InstanceId, InstanceInfo};
use crate::error::AppError;

/// What agents read on a lock that ended because the instance holding it stopped or died.
pub const LOCK_ORPHANED: &str = "the server holding it stopped";

/// `duration` in whole milliseconds, for `$n::bigint * interval '1 millisecond'`.
pub fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// Whether an `instances` row (aliased `i`) is dead: stopped, or silent for `$dead_after` milliseconds.
/// `$n` is the parameter holding the milliseconds.
fn dead(param: usize) -> String {
    format!("(i.stopped_at IS NOT NULL OR i.heartbeat_at < now() - ${param}::bigint * interval '1 millisecond')")
}

/// Registers `id` as a fresh, live instance. False if the id is taken (by another live or dead one).
pub async fn register(db: &impl GenericClient, id: InstanceId, info: &InstanceInfo) -> Result<bool, AppError> {
    let inserted = db
        .execute(
            "INSERT INTO instances (id, host, pid, bind, version) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id) DO NOTHING",
            &[&id.0, &info.host, &info.pid, &info.bind, &info.version],
        )
        .await?;
    Ok(inserted == 1)
}

/// Registers `id` again after it was declared dead and cleaned up: a fresh start under the same id.
pub async fn rejoin(db: &impl GenericClient, id: InstanceId, info: &InstanceInfo) -> Result<(), AppError> {
    db.execute(
        "INSERT INTO instances (id, host, pid, bind, version) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO UPDATE SET started_at = now(), heartbeat_at = now(), stopped_at = NULL,
             cleaned_by = NULL, cleaned_at = NULL, host = EXCLUDED.host, pid = EXCLUDED.pid,
             bind = EXCLUDED.bind, version = EXCLUDED.version",
        &[&id.0, &info.host, &info.pid, &info.bind, &info.version],
    )
    .await?;
    Ok(())
}

/// One heartbeat. False when the instance is no longer registered as live: it stopped, or was declared
/// dead and cleaned up after (a silent instance not yet cleaned up is alive again).
pub async fn heartbeat(db: &impl GenericClient, id: InstanceId) -> Result<bool, AppError> {
    let statement = db
        .prepare_cached(
            "UPDATE instances SET heartbeat_at = now()
             WHERE id = $1 AND stopped_at IS NULL AND cleaned_at IS NULL",
        )
        .await?;
    Ok(db.execute(&statement, &[&id.0]).await? == 1)
}

/// Whether `id` is registered and alive (heartbeat within `dead_after`, not stopped).
pub async fn is_alive(db: &impl GenericClient, id: InstanceId, dead_after: Duration) -> Result<bool, AppError> {
    let row = db
        .query_opt(
            &format!("SELECT NOT {} FROM instances i WHERE i.id = $1", dead(2)),
            &[&id.0, &millis(dead_after)],
        )
        .await?;
    Ok(row.is_some_and(|r| r.get(0)))
}

const DEAD_COLUMNS: &str = "i.id, i.host, i.pid, i.bind, i.started_at, COALESCE(i.stopped_at, i.heartbeat_at), \
     i.stopped_at IS NOT NULL, i.cleaned_by, i.cleaned_at";

fn dead_from_row(row: &tokio_postgres::Row) -> DeadInstance {
    DeadInstance {
        id: InstanceId(row.get(0)),
        host: row.get(1),
        pid: row.get(2),
        bind: row.get(3),
        started_at: row.get(4),
        last_seen_at: row.get(5),
        stopped: row.get(6),
        cleaned_by: row.get::<_, Option<i64>>(7).map(InstanceId),
        cleaned_at: row.get(8),
    }
}

/// Instances dead now that were last seen alive at `since` or later, oldest first.
pub async fn dead_since(
    db: &impl GenericClient,
    since: DateTime<Utc>,
    dead_after: Duration,
) -> Result<Vec<DeadInstance>, AppError> {
    let rows = db
        .query(
            &format!(
                "SELECT {DEAD_COLUMNS} FROM instances i
                 WHERE {} AND COALESCE(i.stopped_at, i.heartbeat_at) >= $1
                 ORDER BY COALESCE(i.stopped_at, i.heartbeat_at), i.id",
                dead(2)
            ),
            &[&since, &millis(dead_after)],
        )
        .await?;
    Ok(rows.iter().map(dead_from_row).collect())
}

/// Dead instances nobody has cleaned up after yet.
pub async fn uncleaned(db: &impl GenericClient, dead_after: Duration) -> Result<Vec<InstanceId>, AppError> {
    let rows = db
        .query(
            &format!(
                "SELECT i.id FROM instances i WHERE i.cleaned_at IS NULL AND {} ORDER BY i.id",
                dead(1)
            ),
            &[&millis(dead_after)],
        )
        .await?;
    Ok(rows.iter().map(|r| InstanceId(r.get(0))).collect())
}

/// Claims the clean-up after `dead` for `by`, if `dead` is dead and nobody claimed it: run it inside the
/// transaction that then cleans up, so the claim and the clean-up commit (or vanish) together, and a
/// second survivor trying at the same time waits for the row and then finds it claimed.
pub async fn claim_cleanup(
    db: &impl GenericClient,
    dead_one: InstanceId,
    by: InstanceId,
    dead_after: Duration,
) -> Result<Option<DeadInstance>, AppError> {
    let row = db
        .query_opt(
            &format!(
                "UPDATE instances i SET cleaned_by = $2, cleaned_at = now()
                 WHERE i.id = $1 AND i.cleaned_at IS NULL AND {}
                 RETURNING {DEAD_COLUMNS}",
                dead(3)
            ),
            &[&dead_one.0, &by.0, &millis(dead_after)],
        )
        .await?;
    Ok(row.as_ref().map(dead_from_row))
}

/// A graceful stop: `id` is dead from now on and cleans up after itself (in the same transaction).
/// `None` if it was already cleaned up after.
pub async fn stop_and_claim(db: &impl GenericClient, id: InstanceId) -> Result<Option<DeadInstance>, AppError> {
    let row = db
        .query_opt(
            &format!(
                "UPDATE instances i SET stopped_at = now(), cleaned_by = $1, cleaned_at = now()
                 WHERE i.id = $1 AND i.cleaned_at IS NULL RETURNING {DEAD_COLUMNS}"
            ),
            &[&id.0],
        )
        .await?;
    Ok(row.as_ref().map(dead_from_row))
}

/// With the embedded cluster only one server can run (the data directory's lock): every other instance
/// on record is gone, whatever its last heartbeat says. Marks them stopped; returns how many.
pub async fn all_others_stopped(db: &impl GenericClient, me: InstanceId) -> Result<u64, AppError> {
    Ok(db
        .execute(
            "UPDATE instances SET stopped_at = now() WHERE stopped_at IS NULL AND id <> $1",
            &[&me.0],
        )
        .await?)
}

/// Forgets instances cleaned up after more than `keep` ago.
pub async fn purge(db: &impl GenericClient, keep: Duration) -> Result<u64, AppError> {
    Ok(db
        .execute(
            "DELETE FROM instances WHERE cleaned_at < now() - $1::bigint * interval '1 millisecond'",
            &[&millis(keep)],
        )
        .await?)
}

// --- What a dead instance leaves behind -------------------------------------------------------------

/// Records every lock `dead` took and never ended as expired, unless its lease is on record (then
/// `db::leases` ends it). Returns how many.
pub async fn close_locks_of(db: &impl GenericClient, dead: InstanceId) -> Result<u64, AppError> {
    Ok(db
        .execute(
            "INSERT INTO ticket_events (ticket_id, kind, reason)
             SELECT last.ticket_id, 'lock_expired', $2
             FROM (SELECT DISTINCT ON (e.ticket_id) e.ticket_id, e.kind, e.instance_id FROM ticket_events e
                   WHERE e.kind LIKE 'lock\\_%'
                     AND e.ticket_id IN (SELECT ticket_id FROM ticket_events WHERE kind = 'lock_taken' AND instance_id = $1)
                   ORDER BY e.ticket_id, e.id DESC) AS last
             WHERE last.kind = 'lock_taken' AND last.instance_id = $1
               AND NOT EXISTS (SELECT 1 FROM ticket_leases l WHERE l.ticket_id = last.ticket_id)",
            &[&dead.0, &LOCK_ORPHANED],
        )
        .await?)
}

/// Records as expired every open lock taken by no registered instance: before several instances were
/// known (no instance on record), or by a program that never registers (`loket demo`). Returns how many.
pub async fn close_unowned_locks(db: &impl GenericClient) -> Result<u64, AppError> {
    Ok(db
        .execute(
            "INSERT INTO ticket_events (ticket_id, kind, reason)
             SELECT last.ticket_id, 'lock_expired', $1
             FROM (SELECT DISTINCT ON (ticket_id) ticket_id, kind, instance_id FROM ticket_events
                   WHERE kind LIKE 'lock\\_%' ORDER BY ticket_id, id DESC) AS last
             WHERE last.kind = 'lock_taken'
               AND (last.instance_id IS NULL OR NOT EXISTS (SELECT 1 FROM instances WHERE id = last.instance_id))
               AND NOT EXISTS (SELECT 1 FROM ticket_leases l WHERE l.ticket_id = last.ticket_id)",
            &[&LOCK_ORPHANED],
        )
        .await?)
}

/// Ends every cluster lease `dead` holds, so another instance takes it at once. Returns how many.
pub async fn end_leases_of(db: &impl GenericClient, dead: InstanceId) -> Result<u64, AppError> {
    Ok(db
        .execute(
            "UPDATE cluster_leases SET expires_at = now() WHERE holder = $1 AND expires_at > now()",
            &[&dead.0],
        )
        .await?)
}

// --- Leases -----------------------------------------------------------------------------------------

/// Takes the lease `name` for `holder` for `length` if it is free or expired, or renews it if `holder`
/// holds it: one statement. Answers the fencing token while held (it grows whenever the holder changes,
/// and when a holder takes its own lapsed lease again), or `None` when another instance holds it.
pub async fn take_lease(
    db: &impl GenericClient,
    name: &str,
    holder: InstanceId,
    length: Duration,
) -> Result<Option<i64>, AppError> {
    let statement = db
        .prepare_cached(
            "INSERT INTO cluster_leases AS l (name, holder, token, acquired_at, expires_at)
             VALUES ($1, $2, 1, now(), now() + $3::bigint * interval '1 millisecond')
             ON CONFLICT (name) DO UPDATE SET
                 holder = EXCLUDED.holder,
                 token = CASE WHEN l.holder = EXCLUDED.holder AND l.expires_at > now() THEN l.token ELSE l.token + 1 END,
                 acquired_at = CASE WHEN l.holder = EXCLUDED.holder AND l.expires_at > now() THEN l.acquired_at ELSE now() END,
                 expires_at = EXCLUDED.expires_at
             WHERE l.holder = EXCLUDED.holder OR l.expires_at <= now()
             RETURNING token",
        )
        .await?;
    let row = db.query_opt(&statement, &[&name, &holder.0, &millis(length)]).await?;
    Ok(row.map(|r| r.get(0)))
}

/// Gives the lease `name` up, if `holder` holds it: another instance may take it at once.
pub async fn release_lease(db: &impl GenericClient, name: &str, holder: InstanceId) -> Result<bool, AppError> {
    Ok(db
        .execute(
            "UPDATE cluster_leases SET expires_at = now() WHERE name = $1 AND holder = $2 AND expires_at > now()",
            &[&name, &holder.0],
        )
        .await?
        == 1)
}

/// Who holds the lease `name` right now, with its token.
pub async fn lease_holder(db: &impl GenericClient, name: &str) -> Result<Option<(InstanceId, i64)>, AppError> {
    let row = db
        .query_opt(
            "SELECT holder, token FROM cluster_leases WHERE name = $1 AND expires_at > now()",
            &[&name],
        )
        .await?;
    Ok(row.map(|r| (InstanceId(r.get(0)), r.get(1))))
}
