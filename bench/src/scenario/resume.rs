//! Reconnect cost: what a client that was away pays to catch up. A watcher connects, receives one event
//! (its position P is the watcher's last), disconnects; a writer makes `missed` events (lock → update → unlock cycles,
//! then creates for the rest); the watcher reconnects and sends `Resume` after P. Counted: every byte read
//! from the socket from the TCP connect until the Resume's `Ack` and every missed event arrived (HTTP
//! upgrade answer, WebSocket frame headers and payloads: the `Welcome`, the replayed events and the
//! `Ack`), and the frames' payload bytes alone. The comparison is what a client did before positions existed: reload the board with one
//! `GetTickets`, measured on the same connection right after (its answer's bytes, at the same ticket count).

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use crate::Loket;
use crate::report::Report;
use crate::session::{Endpoint, Reply, Session};

/// How long one answer may take.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(120);
/// Sessions creating the tickets on file at the same time.
const CREATORS: usize = 8;
/// Events per collaboration cycle (locked, updated, unlocked).
const EVENTS_PER_CYCLE: usize = 3;

/// Parameters of a resume run.
#[derive(Debug, Clone, Serialize)]
pub struct ResumeParams {
    pub tickets: usize,
    pub missed: usize,
    pub rounds: usize,
}

/// One disconnect → miss → resume round.
#[derive(Debug, Clone, Serialize)]
pub struct Round {
    pub after: u64,
    /// Broadcasts after the position the watcher left at, received until caught up (must equal the events
    /// missed; more would be an error).
    pub replayed: u64,
    /// Every byte read from the socket, TCP connect to the Resume's Ack.
    pub resume_wire_bytes: u64,
    /// The WebSocket payloads alone (Welcome, replayed events, Ack).
    pub resume_payload_bytes: u64,
    /// One `GetTickets` on the same connection: bytes read until its answer, and its payload.
    pub reload_wire_bytes: u64,
    pub reload_payload_bytes: u64,
    /// Tickets in that answer.
    pub reload_tickets: u64,
    pub resume_ms: f64,
    pub reload_ms: f64,
}

/// A TCP stream that counts the bytes read from it.
struct Counted {
    inner: TcpStream,
    read: Arc<AtomicU64>,
}

impl AsyncRead for Counted {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        let got = buf.filled().len() - before;
        self.read.fetch_add(got as u64, Ordering::Relaxed);
        poll
    }
}

impl AsyncWrite for Counted {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A watcher's connection, with its byte counters.
struct Watcher {
    ws: WebSocketStream<Counted>,
    read: Arc<AtomicU64>,
    payload: u64,
}

impl Watcher {
    async fn connect(endpoint: &Endpoint) -> Result<Watcher, String> {
        let tcp = TcpStream::connect(endpoint.addr)
            .await
            .map_err(|e| format!("tcp connect: {e}"))?;
        tcp.set_nodelay(true).map_err(|e| format!("nodelay: {e}"))?;
        let read = Arc::new(AtomicU64::new(0));
        let stream = Counted {
            inner: tcp,
            read: read.clone(),
        };
        let mut request = format!("ws://{}/ws", endpoint.addr)
            .into_client_request()
            .map_err(|e| format!("request: {e}"))?;
        let token = endpoint.token.as_deref().ok_or("the watcher needs a token")?;
        let value = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|e| format!("token: {e}"))?;
        request.headers_mut().insert("Authorization", value);
        let (ws, _) = tokio_tungstenite::client_async(request, stream)
            .await
            .map_err(|e| format!("handshake: {e}"))?;
        let mut watcher = Watcher { ws, read, payload: 0 };
        let welcome = watcher.next().await?;
        if welcome["type"] != "Welcome" {
            return Err(format!("expected Welcome, got {welcome}"));
        }
        welcome["position"].as_u64().ok_or("Welcome without a position")?;
        Ok(watcher)
    }

    async fn next(&mut self) -> Result<Value, String> {
        loop {
            let frame = tokio::time::timeout(ANSWER_TIMEOUT, self.ws.next())
                .await
                .map_err(|_| "no frame in time".to_owned())?;
            match frame {
                Some(Ok(Message::Text(text))) => {
                    self.payload += text.len() as u64;
                    return serde_json::from_str(&text).map_err(|e| format!("bad frame: {e}"));
                }
                Some(Ok(Message::Close(_))) | None => return Err("the server closed the connection".into()),
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(format!("read: {e}")),
            }
        }
    }

    async fn send(&mut self, message: Value) -> Result<(), String> {
        self.ws
            .send(Message::Text(message.to_string()))
            .await
            .map_err(|e| format!("send: {e}"))
    }

    fn wire(&self) -> u64 {
        self.read.load(Ordering::Relaxed)
    }
}

pub async fn run(loket: &Loket, params: &ResumeParams, connect_concurrency: usize) -> Result<Report, String> {
    let endpoints = &loket.endpoints;
    let creators = super::connect_all(CREATORS.min(params.tickets.max(1)), connect_concurrency, endpoints).await;
    if creators.sessions.is_empty() {
        return Err("no session could connect".into());
    }
    let mut errors = creators.errors.clone();
    // The tickets on file, created by several sessions at once; versions kept for the writer's cycles.
    let per = params.tickets.div_ceil(creators.sessions.len());
    let made = futures_util::future::join_all(creators.sessions.iter().enumerate().map(|(c, s)| {
        let count = per.min(params.tickets.saturating_sub(c * per));
        async move {
            let mut made = Vec::with_capacity(count);
            for i in 0..count {
                made.push(super::create_ticket(s, &format!("Resume ticket {c}-{i}")).await?);
            }
            Ok::<_, String>(made)
        }
    }))
    .await;
    let mut tickets: Vec<(i64, i64)> = Vec::with_capacity(params.tickets);
    for m in made {
        tickets.extend(m?);
    }
    let writer = creators.sessions[0].clone();
    let watcher_endpoint = endpoints[1 % endpoints.len()].clone();
    let started = Instant::now();
    let mut rounds = Vec::with_capacity(params.rounds);
    for round in 0..params.rounds.max(1) {
        // The watcher's last position is that of the last event it received, as a real client's is: a
        // marker made while it is connected.
        let mut away = Watcher::connect(&watcher_endpoint).await?;
        let marker = format!("Resume marker {round}");
        super::create_ticket(&writer, &marker).await?;
        let after = loop {
            let frame = away.next().await?;
            if frame["type"] == "TicketCreated" && frame["ticket"]["title"] == marker.as_str() {
                break frame["position"].as_u64().ok_or("an event without a position")?;
            }
        };
        let _ = away.ws.close(None).await;
        drop(away);
        miss(&writer, &mut tickets, params.missed, round).await?;
        let t0 = Instant::now();
        let mut back = Watcher::connect(&watcher_endpoint).await?;
        back.send(json!({"type": "Resume", "after": after, "request_id": "resume"}))
            .await?;
        // Caught up once the Ack came and every missed event with it (one the instance's reader had not
        // read yet at the Resume follows the Ack live: it counts too).
        let (mut replayed, mut acked) = (0, false);
        while !acked || replayed < params.missed as u64 {
            let frame = back.next().await?;
            match frame["type"].as_str() {
                Some("Ack") if frame["request_id"] == "resume" => acked = true,
                Some("Error") => return Err(format!("Resume refused: {frame}")),
                _ if frame["position"].as_u64().is_some_and(|p| p > after) => replayed += 1,
                _ => {}
            }
        }
        let resume_ms = t0.elapsed().as_secs_f64() * 1000.0;
        let (resume_wire, resume_payload) = (back.wire(), back.payload);
        if replayed != params.missed as u64 {
            errors.push(format!(
                "round {round}: {replayed} events replayed, {} missed",
                params.missed
            ));
        }
        let t1 = Instant::now();
        back.send(json!({"type": "GetTickets", "request_id": "reload"})).await?;
        let reload_tickets = loop {
            let frame = back.next().await?;
            if frame["type"] == "AllTickets" {
                break frame["tickets"].as_array().map_or(0, Vec::len) as u64;
            }
            if frame["type"] == "Error" {
                return Err(format!("GetTickets refused: {frame}"));
            }
        };
        let reload_ms = t1.elapsed().as_secs_f64() * 1000.0;
        rounds.push(Round {
            after,
            replayed,
            resume_wire_bytes: resume_wire,
            resume_payload_bytes: resume_payload,
            reload_wire_bytes: back.wire() - resume_wire,
            reload_payload_bytes: back.payload - resume_payload,
            reload_tickets,
            resume_ms,
            reload_ms,
        });
        let _ = back.ws.close(None).await;
    }
    super::close_all(&creators).await;
    let median = |f: fn(&Round) -> u64| {
        let mut v: Vec<u64> = rounds.iter().map(f).collect();
        v.sort_unstable();
        v.get(v.len() / 2).copied().unwrap_or(0)
    };
    let (resume, reload) = (median(|r| r.resume_wire_bytes), median(|r| r.reload_wire_bytes));
    let extra = json!({
        "rounds": rounds,
        "median_resume_wire_bytes": resume,
        "median_reload_wire_bytes": reload,
        "resume_vs_reload": if reload > 0 { resume as f64 / reload as f64 } else { 0.0 },
    });
    let duration = started.elapsed().as_secs_f64();
    Ok(Report {
        scenario: "resume after a disconnect".into(),
        target: "loket".into(),
        params: json!(params),
        duration_s: duration,
        ops: rounds.len() as u64,
        ops_per_s: rounds.len() as f64 / duration.max(f64::EPSILON),
        commits_per_op: 0,
        commits_per_s: 0.0,
        refused: 0,
        errors,
        latency: Vec::new(),
        deliveries: 0,
        msgs_per_s: 0.0,
        avg_frame_bytes: 0.0,
        connect: Some(creators.connect.clone()),
        usage: crate::procstat::Meters::start(None, None).finish(),
        extra,
    })
}

/// The writer makes exactly `count` events: lock → update → unlock cycles on the tickets on file, then
/// creates for what is left.
async fn miss(writer: &Session, tickets: &mut [(i64, i64)], count: usize, round: usize) -> Result<(), String> {
    let cycles = count / EVENTS_PER_CYCLE;
    for c in 0..cycles {
        let slot = (round * cycles + c) % tickets.len().max(1);
        let (ticket, version) = *tickets.get(slot).ok_or("no ticket on file")?;
        match writer.call(json!({"type": "LockTicket", "ticket_id": ticket})).await {
            Ok(Reply::Ack { .. }) => {}
            other => return Err(format!("LockTicket: {other:?}")),
        }
        let priority = if version % 2 == 1 { "high" } else { "normal" };
        let update =
            json!({"type": "UpdateTicket", "ticket_id": ticket, "version": version, "changes": {"priority": priority}});
        match writer.call(update).await {
            Ok(Reply::Ack { version: Some(new), .. }) => tickets[slot].1 = new,
            other => return Err(format!("UpdateTicket: {other:?}")),
        }
        match writer.call(json!({"type": "UnlockTicket", "ticket_id": ticket})).await {
            Ok(Reply::Ack { .. }) => {}
            other => return Err(format!("UnlockTicket: {other:?}")),
        }
    }
    for i in 0..count - cycles * EVENTS_PER_CYCLE {
        super::create_ticket(writer, &format!("Missed ticket {round}-{i}")).await?;
    }
    Ok(())
}
