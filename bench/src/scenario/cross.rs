//! Cross-instance delivery: K agents on the first instance lock → update → unlock (the collaboration
//! cycle) while N sessions are spread over every instance; latency until every session on the *other*
//! instances had each event (it travels through the event log: commit, `NOTIFY`, each instance's reader,
//! its sessions). Then, in the same run, the same load with all N sessions on the first instance. The
//! ratio of the two p99s is the cost of crossing instances.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::json;

use super::collab::{COMMITS_PER_CYCLE, agent};
use super::{Crowd, Driven, Pacer, RunInfo};
use crate::Loket;
use crate::procstat::Meters;
use crate::report::{Ratio, Report};
use crate::session::Endpoint;

/// Parameters of a cross-instance run.
#[derive(Debug, Clone, Serialize)]
pub struct CrossParams {
    pub sessions: usize,
    pub active: usize,
    pub tickets: usize,
    /// Cycles per second over all active agents; 0: as fast as the server answers.
    pub rate: f64,
    pub duration_s: f64,
}

/// Both runs and the ratio of their p99s (spread over one).
pub async fn run(
    loket: &Loket,
    params: &CrossParams,
    connect_concurrency: usize,
) -> Result<(Vec<Report>, Vec<Ratio>), String> {
    if loket.instances() < 2 {
        return Err("cross needs at least two instances (--instances 3, or several --url)".into());
    }
    let spread = one_run(loket, params, connect_concurrency, &loket.endpoints, "spread").await?;
    let single = one_run(loket, params, connect_concurrency, &loket.first_only(), "one instance").await?;
    let p99 = |r: &Report| r.latency.last().map_or(0.0, |l| l.p99_ms);
    let p50 = |r: &Report| r.latency.last().map_or(0.0, |l| l.p50_ms);
    let ratios = vec![
        Ratio::new(
            format!(
                "p99 to every session on the other {} instances vs all on one, ms",
                loket.instances() - 1
            ),
            p99(&spread),
            p99(&single),
        ),
        Ratio::new("p50, the same", p50(&spread), p50(&single)),
    ];
    Ok((vec![spread, single], ratios))
}

/// One run: sessions on `endpoints` (round-robin), agents among those on the first instance; latency to
/// every session not on the first instance, or (all on the first) to every other session.
async fn one_run(
    loket: &Loket,
    params: &CrossParams,
    connect_concurrency: usize,
    endpoints: &[Endpoint],
    target: &'static str,
) -> Result<Report, String> {
    let crowd: Crowd = super::connect_all(params.sessions, connect_concurrency, endpoints).await;
    let writers: Vec<usize> = crowd
        .sessions
        .iter()
        .enumerate()
        .filter(|(_, s)| s.instance == 0)
        .map(|(i, _)| i)
        .take(params.active.max(1))
        .collect();
    let first = crowd
        .sessions
        .get(*writers.first().ok_or("no session on the first instance")?)
        .ok_or("no session")?
        .clone();
    let mut tickets = Vec::with_capacity(params.tickets);
    let versions: Arc<Mutex<HashMap<i64, i64>>> = Arc::default();
    for i in 0..params.tickets.max(1) {
        let (id, version) = super::create_ticket(&first, &format!("Cross-instance ticket {i}")).await?;
        tickets.push(id);
        versions.lock().expect("versions lock").insert(id, version);
    }
    let (fence_ticket, _) = super::create_ticket(&first, "Cross-instance fence").await?;
    let tickets = Arc::new(tickets);
    let meters = Meters::start(loket.target.server_watch(), loket.target.postgres_watch());
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(params.duration_s);
    let tasks: Vec<_> = writers
        .iter()
        .enumerate()
        .map(|(n, &i)| {
            let session = crowd.sessions[i].clone();
            let (tickets, versions) = (tickets.clone(), versions.clone());
            let pacer = Pacer::new(params.rate, writers.len(), n);
            tokio::spawn(agent(session, i, tickets, versions, pacer, deadline))
        })
        .collect();
    let mut driven = Driven::gather(tasks, "agent").await;
    let drive_seconds = started.elapsed().as_secs_f64();
    if let Err(e) = super::send_fence(&crowd, fence_ticket).await {
        driven.errors.push(e);
    }
    let info = RunInfo {
        scenario: "cross-instance delivery",
        target,
        params: json!({
            "sessions": params.sessions, "active": writers.len(), "tickets": params.tickets,
            "rate": params.rate, "duration_s": params.duration_s, "instances": 1 + endpoints.iter().map(|e| e.instance).max().unwrap_or(0),
        }),
        commits_per_op: COMMITS_PER_CYCLE,
    };
    let spread = endpoints.iter().any(|e| e.instance != 0);
    let (report, _) = super::conclude_among(info, &crowd, driven, started, drive_seconds, meters, |s| {
        !spread || s.instance != 0
    })
    .await;
    super::close_all(&crowd).await;
    Ok(report)
}
