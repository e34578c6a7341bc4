//! The statistics aggregates of migrations/V25__stats.sql (`stats_daily`, `stats_histograms`,
//! `stats_agents`, `stats_ratings`, kept by triggers) and the open-ticket counts read from
//! `tickets_backlog_idx`, and SLA compliance from `stats_sla` (migrations/V28__stats_sla.sql, kept by
//! triggers on `sla_clocks` and `tickets`): one query per chart, each reading only the days and queues
//! asked for.

use chrono::NaiveDate;
use deadpool_postgres::GenericClient;
use loket_protocol::sla::SlaTarget;
use loket_protocol::stats::{AgentLoad, BacklogCount, CategoryCount, DayCount, SlaCompliance};
use loket_protocol::ticket::Status;
use loket_protocol::{AgentId, CategoryId, QueueId};

use crate::error::AppError;

/// The desk's time zone and today's date there.
pub async fn today(db: &impl GenericClient) -> Result<(String, NaiveDate), AppError> {
    let row = db
        .query_one(
            &db.prepare_cached("SELECT loket_stats_tz(), loket_stats_day(now(), loket_stats_tz())")
                .await?,
            &[],
        )
        .await?;
    Ok((row.get(0), row.get(1)))
}

/// Every queue's id, ascending (what an admin's statistics count).
pub async fn all_queues(db: &impl GenericClient) -> Result<Vec<QueueId>, AppError> {
    let rows = db
        .query(&db.prepare_cached("SELECT id FROM queues ORDER BY id").await?, &[])
        .await?;
    Ok(rows.iter().map(|r| QueueId(r.get(0))).collect())
}

fn ids(queues: &[QueueId]) -> Vec<i64> {
    queues.iter().map(|q| q.0).collect()
}

fn count(row: &tokio_postgres::Row, column: usize) -> u64 {
    u64::try_from(row.get::<_, i64>(column)).unwrap_or(0)
}

/// Filed and resolved per day with any, in order (days without are left out).
pub async fn daily(
    db: &impl GenericClient,
    from: NaiveDate,
    to: NaiveDate,
    queues: &[QueueId],
) -> Result<Vec<DayCount>, AppError> {
    let rows = db
        .query(
            &db.prepare_cached(
                "SELECT day, sum(created)::bigint, sum(resolved)::bigint FROM stats_daily
                 WHERE day BETWEEN $1 AND $2 AND queue_id = ANY($3) GROUP BY day ORDER BY day",
            )
            .await?,
            &[&from, &to, &ids(queues)],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| DayCount {
            day: r.get(0),
            created: count(r, 1),
            resolved: count(r, 2),
        })
        .collect())
}

/// Filed and resolved per category within the range, by name (no category last).
pub async fn categories(
    db: &impl GenericClient,
    from: NaiveDate,
    to: NaiveDate,
    queues: &[QueueId],
) -> Result<Vec<CategoryCount>, AppError> {
    let rows = db
        .query(
            &db.prepare_cached(
                "SELECT s.category_id, coalesce(c.name, ''), sum(s.created)::bigint, sum(s.resolved)::bigint
                 FROM stats_daily s LEFT JOIN categories c ON c.id = s.category_id
                 WHERE s.day BETWEEN $1 AND $2 AND s.queue_id = ANY($3)
                 GROUP BY s.category_id, c.name
                 HAVING sum(s.created) <> 0 OR sum(s.resolved) <> 0
                 ORDER BY s.category_id = 0, lower(c.name), s.category_id",
            )
            .await?,
            &[&from, &to, &ids(queues)],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let id: i64 = r.get(0);
            CategoryCount {
                category: (id != 0).then_some(CategoryId(id)),
                name: r.get(1),
                created: count(r, 2),
                resolved: count(r, 3),
            }
        })
        .collect())
}

/// Open tickets per queue and status now (an index-only scan of `tickets_backlog_idx`).
pub async fn backlog(db: &impl GenericClient, queues: &[QueueId]) -> Result<Vec<BacklogCount>, AppError> {
    let rows = db
        .query(
            &db.prepare_cached(
                "SELECT b.queue_id, q.name, b.status, b.n FROM (
                     SELECT queue_id, status, count(*) AS n FROM tickets
                     WHERE status IN ('new', 'open', 'pending') AND queue_id = ANY($1)
                     GROUP BY queue_id, status) b
                 JOIN queues q ON q.id = b.queue_id
                 ORDER BY lower(q.name), b.queue_id, array_position(ARRAY['new', 'open', 'pending'], b.status)",
            )
            .await?,
            &[&ids(queues)],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(BacklogCount {
                queue: QueueId(r.get(0)),
                queue_name: r.get(1),
                status: Status::parse(r.get(2)).ok_or(AppError::Internal)?,
                count: count(r, 3),
            })
        })
        .collect()
}

/// `(bucket, count)` pairs of one metric (`first_response` or `resolution`) within the range.
pub async fn histogram(
    db: &impl GenericClient,
    metric: &str,
    from: NaiveDate,
    to: NaiveDate,
    queues: &[QueueId],
) -> Result<Vec<(i16, u64)>, AppError> {
    let rows = db
        .query(
            &db.prepare_cached(
                "SELECT bucket, sum(count)::bigint FROM stats_histograms
                 WHERE metric = $1 AND day BETWEEN $2 AND $3 AND queue_id = ANY($4)
                 GROUP BY bucket ORDER BY bucket",
            )
            .await?,
            &[&metric, &from, &to, &ids(queues)],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), count(r, 1))).collect())
}

/// Per agent: replies and resolutions within the range and open tickets assigned now (in the queues
/// asked for), for every agent with any of them; by name.
pub async fn agents(
    db: &impl GenericClient,
    from: NaiveDate,
    to: NaiveDate,
    queues: &[QueueId],
) -> Result<Vec<AgentLoad>, AppError> {
    let rows = db
        .query(
            &db.prepare_cached(
                "WITH done AS (
                     SELECT agent_id, sum(replies)::bigint AS replies, sum(resolved)::bigint AS resolved
                     FROM stats_agents WHERE day BETWEEN $1 AND $2 AND queue_id = ANY($3) GROUP BY agent_id),
                 open AS (
                     SELECT assignee_id AS agent_id, count(*) AS n FROM tickets
                     WHERE status IN ('new', 'open', 'pending') AND queue_id = ANY($3) AND assignee_id IS NOT NULL
                     GROUP BY assignee_id)
                 SELECT a.id, a.name, coalesce(d.replies, 0), coalesce(d.resolved, 0), coalesce(o.n, 0)
                 FROM done d FULL JOIN open o ON o.agent_id = d.agent_id
                 JOIN agents a ON a.id = coalesce(d.agent_id, o.agent_id)
                 WHERE coalesce(d.replies, 0) <> 0 OR coalesce(d.resolved, 0) <> 0 OR coalesce(o.n, 0) <> 0
                 ORDER BY lower(a.name), a.id",
            )
            .await?,
            &[&from, &to, &ids(queues)],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| AgentLoad {
            agent: AgentId(r.get(0)),
            name: r.get(1),
            replies: count(r, 2),
            resolved: count(r, 3),
            open_assigned: count(r, 4),
        })
        .collect())
}

/// How many ratings of 1 to 5 were given within the range.
pub async fn ratings(
    db: &impl GenericClient,
    from: NaiveDate,
    to: NaiveDate,
    queues: &[QueueId],
) -> Result<[u64; 5], AppError> {
    let rows = db
        .query(
            &db.prepare_cached(
                "SELECT rating, sum(count)::bigint FROM stats_ratings
                 WHERE day BETWEEN $1 AND $2 AND queue_id = ANY($3) GROUP BY rating",
            )
            .await?,
            &[&from, &to, &ids(queues)],
        )
        .await?;
    let mut counts = [0; 5];
    for r in &rows {
        let rating: i16 = r.get(0);
        if let Some(slot) = usize::try_from(rating - 1).ok().and_then(|i| counts.get_mut(i)) {
            *slot = count(r, 1);
        }
    }
    Ok(counts)
}

/// SLA clocks of the tickets filed within the range (desk days) in `queues`, from `stats_sla`: per
/// target, how many were met in time, breached and neither yet; `None` when the desk has no SLA policy
/// and no such clock exists.
pub async fn sla(
    db: &impl GenericClient,
    from: NaiveDate,
    to: NaiveDate,
    queues: &[QueueId],
) -> Result<Option<Vec<SlaCompliance>>, AppError> {
    let rows = db
        .query(
            &db.prepare_cached(
                "SELECT target, sum(met)::bigint, sum(breached)::bigint, sum(pending)::bigint FROM stats_sla
                 WHERE day BETWEEN $1 AND $2 AND queue_id = ANY($3)
                 GROUP BY target HAVING sum(met) <> 0 OR sum(breached) <> 0 OR sum(pending) <> 0
                 UNION ALL
                 SELECT NULL, 0, 0, 0 WHERE EXISTS (SELECT 1 FROM sla_policies)",
            )
            .await?,
            &[&from, &to, &ids(queues)],
        )
        .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        SlaTarget::ALL
            .into_iter()
            .map(|target| {
                let row = rows
                    .iter()
                    .find(|r| r.get::<_, Option<&str>>(0) == Some(target.as_str()));
                let n = |column| row.map_or(0, |r| count(r, column));
                SlaCompliance::from_counts(target, n(1), n(2), n(3))
            })
            .collect(),
    ))
}
