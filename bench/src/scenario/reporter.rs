//! Reporter path: K agents change the status of reporters' tickets (lock → UpdateTicket → unlock) and the
//! bot delivers each change to the reporter through a fake Bot API; the latency is from sending the
//! UpdateTicket to the fake receiving the matching `sendMessage` for the reporter's chat.
//!
//! Reporters and their tickets are inserted over SQL (what `/start <code>` and `/report` would have left
//! behind, without going through the dialogue). Each ticket belongs to one agent, so its changes are
//! sequential and the bot delivers them in order per chat: the n-th `sendMessage` to a chat answers the
//! n-th acknowledged change of that chat's ticket (its text is checked to name the ticket and new status).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use loket_fake_telegram::FakeTelegram;
use serde::Serialize;
use serde_json::json;

use super::{Driven, Pacer};
use crate::measure;
use crate::procstat::Meters;
use crate::report::Report;
use crate::session::{Reply, Session};
use crate::{Loket, scenario};

/// Database commits per cycle on the server's side of the path: the lock, the change with its outbox
/// row, the unlock (the bot then claims and records each delivery: two more).
pub const COMMITS_PER_CYCLE: u64 = 3;
/// Telegram user and chat ids of the bench reporters start here (private chat id = user id).
const FIRST_USER_ID: i64 = 7_700_000_000;
/// How long the started bot gets to reach the fake Bot API (its getMe is retried every 2 s).
const BOT_START_PATIENCE: Duration = Duration::from_secs(60);
/// After the last change, how long the outbox gets to drain beyond what its pacing needs.
const DRAIN_PATIENCE: Duration = Duration::from_secs(30);
/// The bot's own limit: at most 30 messages per second overall (see `bot/src/pacing.rs`).
const BOT_MAX_PER_S: f64 = 29.0;

/// Parameters of a reporter-path run.
#[derive(Debug, Clone, Serialize)]
pub struct ReporterParams {
    /// Reporters, one ticket each (one chat each).
    pub reporters: usize,
    /// Agents changing statuses; each owns every K-th ticket.
    pub active: usize,
    /// Status changes per second over all agents; 0: as fast as the server acknowledges.
    pub rate: f64,
    pub duration_s: f64,
}

/// One bench reporter with its ticket.
#[derive(Debug, Clone, Copy)]
struct Reporter {
    chat: i64,
    ticket: i64,
}

/// An acknowledged status change, awaiting its `sendMessage`.
#[derive(Debug, Clone)]
struct Change {
    sent: Instant,
    key: String,
    status_text: &'static str,
}

/// What one agent did.
#[derive(Default)]
struct AgentOutcome {
    driven: Driven,
    ack: Option<hdrhistogram::Histogram<u64>>,
    changes: Vec<(i64, Change)>,
}

/// The text the bot uses for a status in English (`bot/src/texts.rs`, `status_name`).
fn status_text(status: &str) -> &'static str {
    match status {
        "open" => "being worked on",
        "pending" => "waiting",
        _ => "",
    }
}

/// new → open → pending → open → pending …
fn next_status(current: &str) -> &'static str {
    if current == "open" { "pending" } else { "open" }
}

/// Inserts `count` reporters (or finds them from an earlier run on the same database) and one fresh
/// ticket for each.
async fn seed(database_url: &str, count: usize) -> Result<Vec<Reporter>, String> {
    let db = scenario::pgcommit::connect(database_url).await?;
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let user = FIRST_USER_ID + i as i64;
        let row = db
            .query_one(
                "INSERT INTO reporters (telegram_user_id, chat_id, name, language) VALUES ($1, $1, $2, 'en')
                 ON CONFLICT (telegram_user_id) DO UPDATE SET chat_id = EXCLUDED.chat_id, language = 'en'
                 RETURNING id",
                &[&user, &format!("Bench reporter {i}")],
            )
            .await
            .map_err(|e| format!("insert reporter: {e}"))?;
        let reporter: i64 = row.get(0);
        let row = db
            .query_one(
                "INSERT INTO tickets (title, body, reporter_id) VALUES ($1, 'Filed for the reporter-path benchmark.', $2)
                 RETURNING id",
                &[&format!("Reporter ticket {i}"), &reporter],
            )
            .await
            .map_err(|e| format!("insert ticket: {e}"))?;
        out.push(Reporter {
            chat: user,
            ticket: row.get(0),
        });
    }
    Ok(out)
}

pub async fn run(
    loket: &Loket,
    fake: &FakeTelegram,
    params: &ReporterParams,
    connect_concurrency: usize,
) -> Result<Report, String> {
    let database_url = loket
        .target
        .database_url
        .clone()
        .ok_or("the reporter scenario needs the server's database (--database-url)")?;
    fake.wait_polling(BOT_START_PATIENCE).await?;
    let reporters = seed(&database_url, params.reporters.max(1)).await?;
    let active = params.active.clamp(1, reporters.len());
    let crowd = super::connect_all(active, connect_concurrency, &loket.endpoints).await;
    if crowd.sessions.len() < active {
        return Err(format!(
            "only {} of {active} agents could connect",
            crowd.sessions.len()
        ));
    }
    let sent_before = fake.total_sent();
    let meters = Meters::start(loket.target.server_watch(), loket.target.postgres_watch());
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(params.duration_s);
    let tasks: Vec<_> = (0..active)
        .map(|i| {
            let owned: Vec<Reporter> = reporters.iter().skip(i).step_by(active).copied().collect();
            let pacer = Pacer::new(params.rate, active, i);
            tokio::spawn(agent(crowd.sessions[i].clone(), owned, pacer, deadline))
        })
        .collect();
    let mut driven = Driven::default();
    let mut ack = measure::new_histogram();
    let mut expected: HashMap<i64, Vec<Change>> = HashMap::new();
    for task in tasks {
        match task.await {
            Ok(outcome) => {
                driven.merge(outcome.driven);
                if let Some(h) = outcome.ack {
                    ack.add(&h).map_err(|e| e.to_string())?;
                }
                for (chat, change) in outcome.changes {
                    expected.entry(chat).or_default().push(change);
                }
            }
            Err(e) => driven.errors.push(format!("agent task: {e}")),
        }
    }
    let drive_seconds = started.elapsed().as_secs_f64();
    let last_send = Instant::now();
    let changes: u64 = expected.values().map(|v| v.len() as u64).sum();
    // The bot sends at most ~30/s: give the backlog the time its own pacing needs, and some.
    let patience = DRAIN_PATIENCE + Duration::from_secs_f64(changes as f64 / BOT_MAX_PER_S);
    let drained = fake
        .wait_until(patience, |s| s.total_sent() >= sent_before + changes)
        .await;
    let usage = meters.finish();
    scenario::close_all(&crowd).await;

    // Join: the n-th message to a chat with the n-th change of its ticket.
    let mut errors = crowd.errors.clone();
    errors.merge(std::mem::take(&mut driven.errors));
    if !drained {
        errors.push(format!("the outbox did not drain within {patience:?}"));
    }
    let mut latency = measure::new_histogram();
    let (mut complete, mut missing, mut delivered) = (0u64, 0u64, 0u64);
    let mut last_receipt = last_send;
    for reporter in &reporters {
        let wanted = expected.remove(&reporter.chat).unwrap_or_default();
        let got = fake.sent_to(reporter.chat);
        // Messages from an earlier run on the same database come first; ours are the last ones.
        let got = &got[got.len().saturating_sub(wanted.len())..];
        for (n, change) in wanted.iter().enumerate() {
            match got.get(n) {
                Some(message) if message.text.contains(&change.key) && message.text.contains(change.status_text) => {
                    measure::record(&mut latency, message.at.saturating_duration_since(change.sent));
                    last_receipt = last_receipt.max(message.at);
                    complete += 1;
                    delivered += 1;
                }
                Some(message) => {
                    delivered += 1;
                    errors.push(format!(
                        "chat {}: message {n} should name {} and \"{}\": {:?}",
                        reporter.chat, change.key, change.status_text, message.text
                    ));
                }
                None => missing += 1,
            }
        }
    }
    let unexpected = fake.total_sent().saturating_sub(sent_before + changes);
    if unexpected > 0 {
        errors.push(format!("{unexpected} sendMessage calls beyond one per status change"));
    }
    if fake.bad_requests() > 0 {
        errors.push(format!(
            "the fake Bot API got {} requests it could not answer",
            fake.bad_requests()
        ));
    }
    let delivery_seconds = last_receipt.saturating_duration_since(started).as_secs_f64();
    let drain_seconds = last_receipt.saturating_duration_since(last_send).as_secs_f64();
    let chats = reporters.len();
    Ok(Report {
        scenario: "reporter path".into(),
        target: "loket".into(),
        params: json!(params),
        duration_s: drive_seconds,
        ops: driven.ops,
        ops_per_s: driven.ops as f64 / drive_seconds.max(f64::EPSILON),
        commits_per_op: COMMITS_PER_CYCLE,
        commits_per_s: (driven.ops * COMMITS_PER_CYCLE) as f64 / drive_seconds.max(f64::EPSILON),
        refused: driven.refused,
        errors,
        latency: vec![
            measure::summary("UpdateTicket ack", &ack, changes, changes, 0),
            measure::summary("sendMessage", &latency, changes, complete, missing),
        ],
        deliveries: delivered,
        msgs_per_s: delivered as f64 / delivery_seconds.max(f64::EPSILON),
        avg_frame_bytes: 0.0,
        connect: Some(crowd.connect.clone()),
        usage,
        extra: json!({
            "status_changes": changes,
            "notifications_received": delivered,
            "notifications_per_s": delivered as f64 / delivery_seconds.max(f64::EPSILON),
            "changes_per_chat_per_s": changes as f64 / drive_seconds.max(f64::EPSILON) / chats as f64,
            "drain_after_sending_stopped_s": drain_seconds,
            "bot_limits": "<= 1 msg/s per chat, <= 30 msg/s overall (bot/src/pacing.rs); the fake never answers 429",
        }),
    })
}

/// One agent: lock → status change → unlock over its own tickets, round-robin, until `deadline`.
async fn agent(session: Arc<Session>, owned: Vec<Reporter>, mut pacer: Pacer, deadline: Instant) -> AgentOutcome {
    let mut out = AgentOutcome::default();
    let mut ack = measure::new_histogram();
    // Each owned ticket's status and version as last acknowledged (seeded: new, 1).
    let mut state: Vec<(&'static str, i64)> = vec![("new", 1); owned.len()];
    let mut turn = 0usize;
    while Instant::now() < deadline && !owned.is_empty() {
        pacer.tick().await;
        if Instant::now() >= deadline {
            break;
        }
        let slot = turn % owned.len();
        turn += 1;
        let Reporter { chat, ticket } = owned[slot];
        match session.call(json!({"type": "LockTicket", "ticket_id": ticket})).await {
            Ok(Reply::Ack { .. }) => {}
            Ok(Reply::Refused { code, .. }) if code == "ticket_locked" => {
                out.driven.refused += 1;
                continue;
            }
            other => {
                out.driven.errors.push(format!("LockTicket: {other:?}"));
                continue;
            }
        }
        let (current, version) = state[slot];
        let status = next_status(current);
        let update =
            json!({"type": "UpdateTicket", "ticket_id": ticket, "version": version, "changes": {"status": status}});
        let sent = Instant::now();
        match session.call(update).await {
            Ok(Reply::Ack { version: Some(new), .. }) => {
                measure::record(&mut ack, sent.elapsed());
                state[slot] = (status, new);
                out.changes.push((
                    chat,
                    Change {
                        sent,
                        key: format!("TKT-{ticket:04}"),
                        status_text: status_text(status),
                    },
                ));
            }
            other => out.driven.errors.push(format!("UpdateTicket: {other:?}")),
        }
        match session.call(json!({"type": "UnlockTicket", "ticket_id": ticket})).await {
            Ok(Reply::Ack { .. }) => out.driven.ops += 1,
            other => out.driven.errors.push(format!("UnlockTicket: {other:?}")),
        }
    }
    out.ack = Some(ack);
    out
}
