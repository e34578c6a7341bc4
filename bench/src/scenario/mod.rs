//! The scenarios, and what they share: connecting N sessions, pacing the active ones, ending a run with a
//! fence and turning what the sessions recorded into a [`Report`].

pub mod collab;
pub mod cross;
pub mod fanout;
pub mod idle;
pub mod pgcommit;
pub mod reporter;
pub mod resume;
pub mod stats;
pub mod storm;
pub mod views;

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::measure::{self, Joined, SentOp};
use crate::procstat::{Meters, UsageSet};
use crate::report::{ConnectSummary, Errors, Report};
use crate::session::{Endpoint, Fence, Reply, Session};

/// How long every session gets, after the fence was sent, to receive everything before it.
pub const FENCE_PATIENCE: Duration = Duration::from_secs(120);

/// Sessions of one run, connected, with their shared fence.
pub struct Crowd {
    pub sessions: Vec<Arc<Session>>,
    pub fence: Arc<Fence>,
    pub connect: ConnectSummary,
    pub errors: Errors,
}

/// Connects `count` sessions, `concurrency` at a time, to `endpoints` round-robin.
pub async fn connect_all(count: usize, concurrency: usize, endpoints: &[Endpoint]) -> Crowd {
    let fence = Fence::new();
    let started = Instant::now();
    let results: Vec<_> = futures_util::stream::iter(0..count)
        .map(|i| {
            let endpoint = endpoints[i % endpoints.len()].clone();
            let fence = fence.clone();
            async move {
                let t = Instant::now();
                let result = Session::connect(i, &endpoint, fence).await;
                (result, t.elapsed())
            }
        })
        .buffered(concurrency.max(1))
        .collect()
        .await;
    let seconds = started.elapsed().as_secs_f64();
    let mut histogram = measure::new_histogram();
    let mut sessions = Vec::with_capacity(count);
    let mut errors = Errors::default();
    for (result, took) in results {
        match result {
            Ok(session) => {
                measure::record(&mut histogram, took);
                sessions.push(session);
            }
            Err(err) => errors.push(format!("connect: {err}")),
        }
    }
    let summary = measure::summary("connect", &histogram, 0, 0, 0);
    Crowd {
        connect: ConnectSummary {
            connected: sessions.len(),
            failed: count - sessions.len(),
            seconds,
            p50_ms: summary.p50_ms,
            p99_ms: summary.p99_ms,
        },
        sessions,
        fence,
        errors,
    }
}

/// Spaces one active session's operations so that all of them together make `rate` per second.
pub struct Pacer {
    interval: Option<tokio::time::Interval>,
}

impl Pacer {
    /// `rate` 0: as fast as answers come back. Sessions start at staggered offsets.
    pub fn new(rate: f64, actives: usize, index: usize) -> Pacer {
        if rate <= 0.0 {
            return Pacer { interval: None };
        }
        let period = Duration::from_secs_f64(actives as f64 / rate);
        let offset = period.mul_f64(index as f64 / actives.max(1) as f64);
        let mut interval = tokio::time::interval_at(tokio::time::Instant::now() + offset, period);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        Pacer {
            interval: Some(interval),
        }
    }

    pub async fn tick(&mut self) {
        if let Some(interval) = &mut self.interval {
            interval.tick().await;
        }
    }
}

/// What the active sessions of a run did.
#[derive(Default)]
pub struct Driven {
    pub ops: u64,
    pub refused: u64,
    pub sent: Vec<SentOp>,
    pub errors: Errors,
}

impl Driven {
    pub fn merge(&mut self, other: Driven) {
        self.ops += other.ops;
        self.refused += other.refused;
        self.sent.extend(other.sent);
        self.errors.merge(other.errors);
    }

    /// Waits for every driving task (`what` names them in errors) and merges what they did.
    pub async fn gather(tasks: Vec<tokio::task::JoinHandle<Driven>>, what: &str) -> Driven {
        let mut driven = Driven::default();
        for task in tasks {
            match task.await {
                Ok(d) => driven.merge(d),
                Err(e) => driven.errors.push(format!("{what} task: {e}")),
            }
        }
        driven
    }
}

/// The fixed parts of a report.
pub struct RunInfo {
    pub scenario: &'static str,
    pub target: &'static str,
    pub params: Value,
    pub commits_per_op: u64,
}

/// Waits for every session to pass the fence (already sent), joins, and builds the report.
pub async fn conclude(
    info: RunInfo,
    crowd: &Crowd,
    driven: Driven,
    started: Instant,
    drive_seconds: f64,
    meters: Meters,
) -> (Report, UsageSet) {
    conclude_among(info, crowd, driven, started, drive_seconds, meters, |_| true).await
}

/// [`conclude`], with latency until every session that `counted` (by the session) had each event;
/// the others are still waited for at the fence.
pub async fn conclude_among(
    info: RunInfo,
    crowd: &Crowd,
    mut driven: Driven,
    started: Instant,
    drive_seconds: f64,
    meters: Meters,
    counted: impl Fn(&Session) -> bool,
) -> (Report, UsageSet) {
    let collected = futures_util::future::join_all(crowd.sessions.iter().map(|s| s.collect(FENCE_PATIENCE))).await;
    let total_seconds = started.elapsed().as_secs_f64();
    let usage = meters.finish();
    let mut frames = 0;
    let mut bytes = 0;
    let mut receipts = Vec::with_capacity(collected.len());
    for (i, c) in collected.into_iter().enumerate() {
        if c.disconnected {
            driven
                .errors
                .push(format!("session {i} lost its connection before the fence"));
        }
        frames += c.frames;
        bytes += c.bytes;
        receipts.push(if counted(&crowd.sessions[i]) {
            c.receipts
        } else {
            Vec::new()
        });
    }
    let among: Vec<bool> = crowd.sessions.iter().map(|s| counted(s)).collect();
    let Joined { per_kind, deliveries } = measure::join_among(&driven.sent, &receipts, &among);
    let mut errors = crowd.errors.clone();
    errors.merge(driven.errors);
    let report = Report {
        scenario: info.scenario.to_owned(),
        target: info.target.to_owned(),
        params: info.params,
        duration_s: drive_seconds,
        ops: driven.ops,
        ops_per_s: driven.ops as f64 / drive_seconds.max(f64::EPSILON),
        commits_per_op: info.commits_per_op,
        commits_per_s: (driven.ops * info.commits_per_op) as f64 / drive_seconds.max(f64::EPSILON),
        refused: driven.refused,
        errors,
        latency: per_kind,
        deliveries,
        msgs_per_s: deliveries as f64 / total_seconds.max(f64::EPSILON),
        avg_frame_bytes: if frames > 0 { bytes as f64 / frames as f64 } else { 0.0 },
        connect: Some(crowd.connect.clone()),
        usage: usage.clone(),
        extra: Value::Null,
    };
    (report, usage)
}

/// Creates a ticket through `session`; returns its id and version.
pub async fn create_ticket(session: &Session, title: &str) -> Result<(i64, i64), String> {
    match session
        .call(json!({"type": "CreateTicket", "title": title, "body": "Created by the Loket load generator.", "priority": "normal"}))
        .await
    {
        Ok(Reply::Ack {
            ticket_id: Some(id),
            version,
            ..
        }) => Ok((id, version.unwrap_or(1))),
        other => Err(format!("CreateTicket: {other:?}")),
    }
}

/// Sets the fence on `ticket` and locks it through `session`: every session stops recording when the
/// `TicketLocked` arrives, which the bus delivers after every event published before it.
pub async fn send_fence(crowd: &Crowd, ticket: i64) -> Result<(), String> {
    crowd.fence.set(ticket);
    let Some(first) = crowd.sessions.first() else {
        return Ok(());
    };
    match first.call(json!({"type": "LockTicket", "ticket_id": ticket})).await {
        Ok(Reply::Ack { .. }) => Ok(()),
        other => Err(format!("fence LockTicket: {other:?}")),
    }
}

/// Ends a run against Loket once its driving tasks are done: fences the event stream, collects every
/// session's receipts, and closes the sessions.
pub async fn finish_run(
    info: RunInfo,
    crowd: &Crowd,
    mut driven: Driven,
    fence_ticket: i64,
    started: Instant,
    meters: Meters,
) -> Report {
    let drive_seconds = started.elapsed().as_secs_f64();
    if let Err(e) = send_fence(crowd, fence_ticket).await {
        driven.errors.push(e);
    }
    let (report, _) = conclude(info, crowd, driven, started, drive_seconds, meters).await;
    close_all(crowd).await;
    report
}

/// Closes every session.
pub async fn close_all(crowd: &Crowd) {
    futures_util::future::join_all(crowd.sessions.iter().map(|s| s.close())).await;
}
