//! Statistics at scale (issue 12, docs/stats.md): the `views` bench data (1,000,000 tickets over three
//! years by default, kept with --data-dir) plus an SLA policy and a clock per ticket and promise, then
//! each chart query of `GET /api/stats` timed on its own (the functions of `loket_core::db::stats`, on a
//! pool of the server's database) for the last 30 days, 365 days and the whole three years, and the whole
//! `GET /api/stats` and `/api/stats.csv` over HTTP for the same ranges. p50 and p95 of the measured runs.

use std::future::Future;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::json;

use crate::measure;
use crate::procstat::{Meters, Watch};
use crate::report::{Errors, Report};
use crate::scenario::pgcommit::connect;
use loket_core::db::stats as charts;
use loket_protocol::QueueId;

/// Runs before the measured ones, per query (caches, plans).
const WARMUP: usize = 2;

/// Parameters of a stats run.
#[derive(Debug, Clone, Serialize)]
pub struct StatsParams {
    pub tickets: i64,
    /// Measured runs per query and range.
    pub rounds: usize,
}

/// Makes sure the bench data has SLA clocks: a catch-all policy (4 hours to answer, 3 days to resolve,
/// around the clock) and one clock per ticket and promise, met, breached or running as the ticket's
/// times say.
pub async fn prepare_sla(database_url: &str) -> Result<(), String> {
    let db = connect(database_url).await?;
    let have: i64 = db
        .query_one("SELECT count(*) FROM sla_clocks", &[])
        .await
        .map_err(|e| format!("count clocks: {e}"))?
        .get(0);
    if have > 0 {
        return Ok(());
    }
    let started = Instant::now();
    db.batch_execute(
        "SET synchronous_commit = off;
         ALTER TABLE sla_clocks DISABLE TRIGGER sla_clocks_stats_insert;
         INSERT INTO sla_policies (queue_id, priority, first_response_secs, resolution_secs)
         VALUES (NULL, NULL, 14400, 259200) ON CONFLICT DO NOTHING;
         INSERT INTO sla_clocks (ticket_id, target, policy_id, target_secs, warn_secs, used_secs, running_since,
                                 met_at, due_at, breached_at)
         SELECT t.id, c.target, p.id, c.secs, (c.secs * 0.8)::int, 0,
                CASE WHEN c.met IS NULL AND t.status IN ('new', 'open') THEN t.created_at END,
                c.met,
                CASE WHEN c.met IS NULL OR c.met > t.created_at + make_interval(secs => c.secs)
                     THEN t.created_at + make_interval(secs => c.secs) END,
                CASE WHEN coalesce(c.met, now()) > t.created_at + make_interval(secs => c.secs)
                     THEN t.created_at + make_interval(secs => c.secs) END
         FROM tickets t
         CROSS JOIN (SELECT id FROM sla_policies WHERE queue_id IS NULL AND priority IS NULL) p
         CROSS JOIN LATERAL (VALUES ('first_response', 14400, t.first_response_at),
                                    ('resolution', 259200, t.resolved_at)) AS c(target, secs, met);",
    )
    .await
    .map_err(|e| format!("SLA clocks: {e:?}"))?;
    // The clocks' aggregate (V28) is kept per row by a trigger; for the bulk load it is filled once.
    db.batch_execute(
        "ALTER TABLE sla_clocks ENABLE TRIGGER sla_clocks_stats_insert;
         SELECT loket_stats_rebuild();",
    )
    .await
    .map_err(|e| format!("rebuild the statistics: {e:?}"))?;
    db.batch_execute("VACUUM ANALYZE sla_clocks")
        .await
        .map_err(|e| format!("vacuum: {e:?}"))?;
    eprintln!("stats: SLA clocks ready ({:.0} s)", started.elapsed().as_secs_f64());
    Ok(())
}

/// Times `run` `WARMUP + rounds` times; the measured ones into a histogram.
async fn time<F, Fut, T>(rounds: usize, errors: &mut Errors, label: &str, mut run: F) -> hdrhistogram::Histogram<u64>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let mut h = measure::new_histogram();
    for i in 0..WARMUP + rounds {
        let sent = Instant::now();
        match run().await {
            Ok(_) if i >= WARMUP => measure::record(&mut h, sent.elapsed()),
            Ok(_) => {}
            Err(e) => errors.push(format!("{label}: {e}")),
        }
    }
    h
}

pub async fn run(
    base: &str,
    token: &str,
    database_url: &str,
    server: Option<Watch>,
    postgres: Option<Watch>,
    params: &StatsParams,
) -> Result<Report, String> {
    let pool = loket_core::db::pool(database_url, 2).map_err(|e| format!("pool: {e}"))?;
    let db = pool.get().await.map_err(|e| format!("connect: {e}"))?;
    let (tz, today) = charts::today(&db).await.map_err(|e| format!("today: {e:?}"))?;
    let queues: Vec<QueueId> = charts::all_queues(&db).await.map_err(|e| format!("queues: {e:?}"))?;
    let http = reqwest::Client::new();
    let mut errors = Errors::default();
    let mut table = Vec::new();
    let meters = Meters::start(server, postgres);
    let started = Instant::now();
    let mut ops = 0u64;
    let ms = |h: &hdrhistogram::Histogram<u64>, q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    for (range, days) in [("30 days", 30), ("365 days", 365), ("3 years", 1096)] {
        let from = today - chrono::Duration::days(days - 1);
        let to = today;
        let (q, db) = (&queues[..], &db);
        let e = |e: loket_core::error::AppError| format!("{e:?}");
        let n = params.rounds;
        let errs = &mut errors;
        let mut rows = vec![
            (
                "daily",
                time(n, errs, "daily", move || async move {
                    charts::daily(db, from, to, q).await.map_err(e)
                })
                .await,
            ),
            (
                "backlog",
                time(n, errs, "backlog", move || async move {
                    charts::backlog(db, q).await.map_err(e)
                })
                .await,
            ),
            (
                "first_response",
                time(n, errs, "first_response", move || async move {
                    charts::histogram(db, "first_response", from, to, q).await.map_err(e)
                })
                .await,
            ),
            (
                "resolution",
                time(n, errs, "resolution", move || async move {
                    charts::histogram(db, "resolution", from, to, q).await.map_err(e)
                })
                .await,
            ),
            (
                "sla",
                time(n, errs, "sla", move || async move {
                    charts::sla(db, from, to, q).await.map_err(e)
                })
                .await,
            ),
            (
                "agents",
                time(n, errs, "agents", move || async move {
                    charts::agents(db, from, to, q).await.map_err(e)
                })
                .await,
            ),
            (
                "categories",
                time(n, errs, "categories", move || async move {
                    charts::categories(db, from, to, q).await.map_err(e)
                })
                .await,
            ),
            (
                "csat",
                time(n, errs, "csat", move || async move {
                    charts::ratings(db, from, to, q).await.map_err(e)
                })
                .await,
            ),
        ];
        for (path, chart) in [
            ("/api/stats", "GET /api/stats (all charts)"),
            ("/api/stats.csv", "GET /api/stats.csv"),
        ] {
            let url = &format!("{base}{path}?from={from}&to={to}");
            let http = &http;
            let h = time(n, errs, chart, move || async move {
                let response = http
                    .get(url)
                    .bearer_auth(token)
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                if !response.status().is_success() {
                    return Err(format!("HTTP {}", response.status()));
                }
                response.bytes().await.map_err(|e| e.to_string())
            })
            .await;
            rows.push((chart, h));
        }
        for (chart, h) in rows {
            ops += h.len();
            eprintln!(
                "stats: {range:<9} {chart:<28} n={:>3} p50 {:>8.2} ms  p95 {:>8.2} ms  max {:>8.2} ms",
                h.len(),
                ms(&h, 0.5),
                ms(&h, 0.95),
                h.max() as f64 / 1000.0
            );
            table.push(
                json!({"range": range, "query": chart, "n": h.len(), "p50_ms": ms(&h, 0.5),
                              "p95_ms": ms(&h, 0.95), "max_ms": h.max() as f64 / 1000.0}),
            );
        }
    }
    let duration = started.elapsed();
    let usage = meters.finish();
    Ok(Report {
        scenario: "stats".into(),
        target: "loket".into(),
        params: serde_json::to_value(params).unwrap_or_default(),
        duration_s: duration.as_secs_f64(),
        ops,
        ops_per_s: ops as f64 / duration.max(Duration::from_millis(1)).as_secs_f64(),
        commits_per_op: 0,
        commits_per_s: 0.0,
        refused: 0,
        errors,
        latency: Vec::new(),
        deliveries: 0,
        msgs_per_s: 0.0,
        avg_frame_bytes: 0.0,
        connect: None,
        usage,
        extra: json!({"tickets": params.tickets, "tz": tz, "today": today.to_string(), "queries": table}),
    })
}
