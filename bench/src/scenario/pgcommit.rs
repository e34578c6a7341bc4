//! The raw PostgreSQL baseline: single-row update transactions (BEGIN, UPDATE, COMMIT) through
//! tokio-postgres at a given concurrency, against the same database Loket uses.

use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::json;
use tokio_postgres::NoTls;

use crate::measure;
use crate::procstat::{Meters, Watch};
use crate::report::{Errors, Report};

/// Table the baseline creates (and drops afterwards); Loket never touches it.
const TABLE: &str = "loket_bench_commit";

/// Parameters of a commit-rate run.
#[derive(Debug, Clone, Serialize)]
pub struct PgParams {
    pub concurrency: usize,
    pub duration_s: f64,
}

pub(crate) async fn connect(url: &str) -> Result<tokio_postgres::Client, String> {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .map_err(|e| format!("cannot connect to PostgreSQL: {e}"))?;
    tokio::spawn(connection);
    Ok(client)
}

pub async fn run(database_url: &str, postgres: Option<Watch>, params: &PgParams) -> Result<Report, String> {
    let concurrency = params.concurrency.max(1);
    let admin = connect(database_url).await?;
    admin
        .batch_execute(&format!(
            "DROP TABLE IF EXISTS {TABLE}; CREATE TABLE {TABLE} (id integer PRIMARY KEY, n bigint NOT NULL);
             INSERT INTO {TABLE} SELECT g, 0 FROM generate_series(0, {}) g;",
            concurrency - 1
        ))
        .await
        .map_err(|e| format!("create {TABLE}: {e}"))?;
    let mut clients = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        clients.push(connect(database_url).await?);
    }
    let meters = Meters::start(None, postgres);
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(params.duration_s);
    let tasks: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(i, client)| tokio::spawn(worker(client, i as i32, deadline)))
        .collect();
    let mut histogram = measure::new_histogram();
    let mut ops = 0;
    let mut errors = Errors::default();
    let mut kept = Vec::with_capacity(concurrency);
    for task in tasks {
        match task.await {
            Ok((client, h, n, e)) => {
                // Kept until the meters are read: a closed connection's backend exits and its CPU time
                // would drop out of the PostgreSQL figure.
                kept.push(client);
                histogram.add(&h).map_err(|e| e.to_string())?;
                ops += n;
                errors.merge(e);
            }
            Err(e) => errors.push(format!("worker: {e}")),
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let usage = meters.finish();
    drop(kept);
    let _ = admin.batch_execute(&format!("DROP TABLE IF EXISTS {TABLE}")).await;
    Ok(Report {
        scenario: "commit rate".into(),
        target: "postgres baseline".into(),
        params: json!(params),
        duration_s: seconds,
        ops,
        ops_per_s: ops as f64 / seconds,
        commits_per_op: 1,
        commits_per_s: ops as f64 / seconds,
        refused: 0,
        errors,
        latency: vec![measure::summary("commit", &histogram, ops, ops, 0)],
        deliveries: 0,
        msgs_per_s: 0.0,
        avg_frame_bytes: 0.0,
        connect: None,
        usage,
        extra: serde_json::Value::Null,
    })
}

/// Commits until `deadline`; hands the client back with its latencies, count and errors.
async fn worker(
    mut client: tokio_postgres::Client,
    row: i32,
    deadline: Instant,
) -> (tokio_postgres::Client, hdrhistogram::Histogram<u64>, u64, Errors) {
    let mut histogram = measure::new_histogram();
    let mut errors = Errors::default();
    let mut ops = 0;
    let update = format!("UPDATE {TABLE} SET n = n + 1 WHERE id = $1");
    while Instant::now() < deadline {
        let sent = Instant::now();
        let result = async {
            let tx = client.transaction().await?;
            tx.execute(update.as_str(), &[&row]).await?;
            tx.commit().await
        }
        .await;
        match result {
            Ok(()) => {
                ops += 1;
                measure::record(&mut histogram, sent.elapsed());
            }
            Err(e) => errors.push(format!("update: {e}")),
        }
    }
    (client, histogram, ops, errors)
}
