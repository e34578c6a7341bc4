//! Collaboration: K active agents repeatedly lock → update → unlock tickets spread over M (so two agents
//! sometimes want the same one), while all N sessions receive every broadcast.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::Rng;
use serde::Serialize;
use serde_json::json;

use super::{Driven, Pacer, RunInfo};
use crate::Loket;
use crate::measure::{EventKey, Kind, SentOp, tag_of};
use crate::procstat::Meters;
use crate::report::Report;
use crate::session::{Reply, Session};

/// Database commits per cycle: the lock taken, the change, the lock released.
pub const COMMITS_PER_CYCLE: u64 = 3;
/// Error code of a lock refused because another agent holds it (contention, not an error).
const TICKET_LOCKED: &str = "ticket_locked";
const VERSION_CONFLICT: &str = "version_conflict";

/// Parameters of a collaboration run.
#[derive(Debug, Clone, Serialize)]
pub struct CollabParams {
    pub sessions: usize,
    pub active: usize,
    pub tickets: usize,
    /// Cycles per second over all active agents; 0: as fast as the server answers.
    pub rate: f64,
    pub duration_s: f64,
}

/// Current version of each ticket, as the active agents last saw it acknowledged.
type Versions = Arc<Mutex<HashMap<i64, i64>>>;

pub async fn run(loket: &Loket, params: &CollabParams, connect_concurrency: usize) -> Result<Report, String> {
    let crowd = super::connect_all(params.sessions, connect_concurrency, &loket.endpoints).await;
    let first = crowd.sessions.first().ok_or("no session could connect")?.clone();
    let mut tickets = Vec::with_capacity(params.tickets);
    let versions: Versions = Arc::default();
    for i in 0..params.tickets.max(1) {
        let (id, version) = super::create_ticket(&first, &format!("Collaboration ticket {i}")).await?;
        tickets.push(id);
        versions.lock().expect("versions lock").insert(id, version);
    }
    let (fence_ticket, _) = super::create_ticket(&first, "Collaboration fence").await?;
    let tickets = Arc::new(tickets);
    let active = params.active.clamp(1, crowd.sessions.len());
    let meters = Meters::start(loket.target.server_watch(), loket.target.postgres_watch());
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(params.duration_s);
    let tasks: Vec<_> = (0..active)
        .map(|i| {
            let session = crowd.sessions[i].clone();
            let (tickets, versions) = (tickets.clone(), versions.clone());
            let pacer = Pacer::new(params.rate, active, i);
            tokio::spawn(agent(session, i, tickets, versions, pacer, deadline))
        })
        .collect();
    let driven = Driven::gather(tasks, "agent").await;
    let info = RunInfo {
        scenario: "collaboration",
        target: "loket",
        params: json!(params),
        commits_per_op: COMMITS_PER_CYCLE,
    };
    Ok(super::finish_run(info, &crowd, driven, fence_ticket, started, meters).await)
}

/// One active agent: lock → update → unlock on random tickets until `deadline`.
pub(crate) async fn agent(
    session: Arc<Session>,
    index: usize,
    tickets: Arc<Vec<i64>>,
    versions: Versions,
    mut pacer: Pacer,
    deadline: Instant,
) -> Driven {
    let mut driven = Driven::default();
    while Instant::now() < deadline {
        pacer.tick().await;
        if Instant::now() >= deadline {
            break;
        }
        let ticket = tickets[rand::thread_rng().gen_range(0..tickets.len())];
        // Lock.
        let sent = Instant::now();
        let lock_tag = match session.call(json!({"type": "LockTicket", "ticket_id": ticket})).await {
            Ok(Reply::Ack {
                expires_at: Some(expires),
                ..
            }) => {
                let tag = tag_of(&expires);
                driven.sent.push(SentOp {
                    key: EventKey::new(ticket, Kind::Locked, tag),
                    sent,
                    sender: index,
                });
                tag
            }
            Ok(Reply::Refused { code, .. }) if code == TICKET_LOCKED => {
                driven.refused += 1;
                continue;
            }
            other => {
                driven.errors.push(format!("LockTicket: {other:?}"));
                continue;
            }
        };
        // Update: every change flips the priority (normal at odd versions, high at even ones), so every
        // update changes something and bumps the version.
        let version = versions
            .lock()
            .expect("versions lock")
            .get(&ticket)
            .copied()
            .unwrap_or(1);
        let priority = if version % 2 == 1 { "high" } else { "normal" };
        let sent = Instant::now();
        let update =
            json!({"type": "UpdateTicket", "ticket_id": ticket, "version": version, "changes": {"priority": priority}});
        match session.call(update).await {
            Ok(Reply::Ack { version: Some(new), .. }) => {
                versions.lock().expect("versions lock").insert(ticket, new);
                driven.sent.push(SentOp {
                    key: EventKey::new(ticket, Kind::Updated, new as u64),
                    sent,
                    sender: index,
                });
            }
            Ok(Reply::Refused {
                code,
                version: Some(current),
            }) if code == VERSION_CONFLICT => {
                versions.lock().expect("versions lock").insert(ticket, current);
                driven
                    .errors
                    .push(format!("UpdateTicket: version conflict under a held lock (v{version})"));
            }
            other => driven.errors.push(format!("UpdateTicket: {other:?}")),
        }
        // Unlock.
        let sent = Instant::now();
        match session.call(json!({"type": "UnlockTicket", "ticket_id": ticket})).await {
            Ok(Reply::Ack { .. }) => {
                driven.sent.push(SentOp {
                    key: EventKey::new(ticket, Kind::Unlocked, lock_tag),
                    sent,
                    sender: index,
                });
                driven.ops += 1;
            }
            other => driven.errors.push(format!("UnlockTicket: {other:?}")),
        }
    }
    driven
}
