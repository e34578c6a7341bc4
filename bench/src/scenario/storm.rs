//! Create storm: K active agents create tickets as fast as the server accepts them (or at a set rate),
//! while all N sessions receive every `TicketCreated`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::json;

use super::{Driven, Pacer, RunInfo};
use crate::Loket;
use crate::measure::{EventKey, Kind, SentOp};
use crate::procstat::Meters;
use crate::report::Report;
use crate::session::{Reply, Session};

/// Database commits per created ticket.
pub const COMMITS_PER_CREATE: u64 = 1;

/// Parameters of a create storm.
#[derive(Debug, Clone, Serialize)]
pub struct StormParams {
    pub sessions: usize,
    pub active: usize,
    /// Creates per second over all active agents; 0: as fast as the server answers.
    pub rate: f64,
    pub duration_s: f64,
}

pub async fn run(loket: &Loket, params: &StormParams, connect_concurrency: usize) -> Result<Report, String> {
    let crowd = super::connect_all(params.sessions, connect_concurrency, &loket.endpoints).await;
    let first = crowd.sessions.first().ok_or("no session could connect")?.clone();
    let (fence_ticket, _) = super::create_ticket(&first, "Storm fence").await?;
    let active = params.active.clamp(1, crowd.sessions.len());
    let meters = Meters::start(loket.target.server_watch(), loket.target.postgres_watch());
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(params.duration_s);
    let tasks: Vec<_> = (0..active)
        .map(|i| {
            let session = crowd.sessions[i].clone();
            tokio::spawn(creator(session, i, Pacer::new(params.rate, active, i), deadline))
        })
        .collect();
    let driven = Driven::gather(tasks, "creator").await;
    let info = RunInfo {
        scenario: "create storm",
        target: "loket",
        params: json!(params),
        commits_per_op: COMMITS_PER_CREATE,
    };
    Ok(super::finish_run(info, &crowd, driven, fence_ticket, started, meters).await)
}

async fn creator(session: Arc<Session>, index: usize, mut pacer: Pacer, deadline: Instant) -> Driven {
    let mut driven = Driven::default();
    let mut n = 0u64;
    while Instant::now() < deadline {
        pacer.tick().await;
        if Instant::now() >= deadline {
            break;
        }
        n += 1;
        let sent = Instant::now();
        let create = json!({
            "type": "CreateTicket",
            "title": format!("Storm ticket {index}-{n}"),
            "body": "The printer on the second floor prints only blank pages.",
            "priority": "normal",
        });
        match session.call(create).await {
            Ok(Reply::Ack {
                ticket_id: Some(id), ..
            }) => {
                driven.ops += 1;
                driven.sent.push(SentOp {
                    key: EventKey::new(id, Kind::Created, 0),
                    sent,
                    sender: index,
                });
            }
            other => driven.errors.push(format!("CreateTicket: {other:?}")),
        }
    }
    driven
}
