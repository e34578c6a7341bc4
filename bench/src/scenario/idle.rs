//! Idle capacity: N signed-in sessions that do nothing but answer pings for a while; then one ticket is
//! created and every session must receive it (proving all of them are still alive). Reports the server's
//! memory per connection.

use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::json;

use super::{Driven, RunInfo};
use crate::Loket;
use crate::measure::{EventKey, Kind, SentOp};
use crate::procstat::Meters;
use crate::report::Report;

/// Pause after connecting before memory is read, so that buffers settle.
const SETTLE: Duration = Duration::from_secs(2);
const MIB: f64 = 1024.0 * 1024.0;

/// Parameters of an idle run.
#[derive(Debug, Clone, Serialize)]
pub struct IdleParams {
    pub sessions: usize,
    /// Seconds the sessions stay idle (longer than the server's 15 s silence timeout proves heartbeats work).
    pub hold_s: f64,
}

pub async fn run(loket: &Loket, params: &IdleParams, connect_concurrency: usize) -> Result<Report, String> {
    let before = loket.target.server_watch().and_then(|w| w.sample()).map(|(_, rss)| rss);
    let meters = Meters::start(loket.target.server_watch(), loket.target.postgres_watch());
    let crowd = super::connect_all(params.sessions, connect_concurrency, &loket.endpoints).await;
    tokio::time::sleep(SETTLE).await;
    let after = loket.target.server_watch().and_then(|w| w.sample()).map(|(_, rss)| rss);
    tokio::time::sleep(Duration::from_secs_f64(params.hold_s)).await;
    let first = crowd.sessions.first().ok_or("no session could connect")?.clone();
    let started = Instant::now();
    let mut driven = Driven::default();
    match super::create_ticket(&first, "Idle probe").await {
        Ok((id, _)) => {
            driven.ops = 1;
            driven.sent.push(SentOp {
                key: EventKey::new(id, Kind::Created, 0),
                sent: started,
                sender: 0,
            });
            if let Err(e) = super::send_fence(&crowd, id).await {
                driven.errors.push(e);
            }
        }
        Err(e) => driven.errors.push(e),
    }
    let info = RunInfo {
        scenario: "idle capacity",
        target: "loket",
        params: json!(params),
        commits_per_op: 1,
    };
    let (mut report, _) = super::conclude(info, &crowd, driven, started, params.hold_s, meters).await;
    let connected = crowd.sessions.len().max(1) as f64;
    report.extra = match (before, after) {
        (Some(before), Some(after)) => json!({
            "server_rss_before_mib": before as f64 / MIB,
            "server_rss_connected_mib": after as f64 / MIB,
            "server_kib_per_connection": (after.saturating_sub(before)) as f64 / 1024.0 / connected,
        }),
        _ => json!({"server_memory": "unknown (no server pid)"}),
    };
    super::close_all(&crowd).await;
    Ok(report)
}
