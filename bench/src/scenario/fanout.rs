//! The WebSocket fan-out baseline: a minimal tokio-tungstenite server that broadcasts every text frame it
//! receives to every connection, driven like Loket (same N, senders, rate and frame size). It runs as a
//! child process (`loadgen serve-fanout`) so its CPU and memory are measured the same way.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;
use tokio_tungstenite::tungstenite::Message;

use super::{Driven, Pacer, RunInfo};
use crate::measure::{EventKey, Kind, SentOp};
use crate::procstat::{Meters, Watch};
use crate::report::Report;
use crate::session::{Endpoint, Reply, Session};

/// Frames the broadcast channel holds for a slow connection before it starts skipping (counted missing).
const CHANNEL_CAPACITY: usize = 1 << 16;
/// First line the server prints, followed by its address.
const READY_LINE: &str = "listening ";
/// Bits of a frame's sequence number that count frames of one sender (the rest name the sender).
const SEQ_BITS: u32 = 40;
/// Frames that end recording.
const FENCE_FRAME: &str = r#"{"type":"Fence"}"#;

/// Serves the baseline on `bind` until killed; prints `listening <addr>` once it accepts.
pub async fn serve(bind: SocketAddr) -> Result<(), String> {
    let listener = TcpListener::bind(bind).await.map_err(|e| format!("bind {bind}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    println!("{READY_LINE}{addr}");
    let (tx, _) = broadcast::channel::<Arc<str>>(CHANNEL_CAPACITY);
    loop {
        let (stream, _) = listener.accept().await.map_err(|e| format!("accept: {e}"))?;
        let (tx, rx) = (tx.clone(), tx.subscribe());
        tokio::spawn(connection(stream, tx, rx));
    }
}

async fn connection(stream: TcpStream, tx: broadcast::Sender<Arc<str>>, mut rx: broadcast::Receiver<Arc<str>>) {
    let _ = stream.set_nodelay(true);
    let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    if ws.send(Message::Text(r#"{"type":"Welcome"}"#.into())).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            incoming = ws.next() => match incoming {
                Some(Ok(Message::Text(text))) => { let _ = tx.send(Arc::from(text)); }
                Some(Ok(_)) => {}
                _ => return,
            },
            outgoing = rx.recv() => {
                let first = match outgoing {
                    Ok(text) => text,
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return,
                };
                // Queue everything already waiting, then write it out with one flush.
                if ws.feed(Message::Text(first.to_string())).await.is_err() {
                    return;
                }
                while let Ok(text) = rx.try_recv() {
                    if ws.feed(Message::Text(text.to_string())).await.is_err() {
                        return;
                    }
                }
                if ws.flush().await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Parameters of a baseline run.
#[derive(Debug, Clone, Serialize)]
pub struct FanoutParams {
    pub sessions: usize,
    pub active: usize,
    /// Frames per second over all senders; 0: as fast as each sender's own copy comes back.
    pub rate: f64,
    pub duration_s: f64,
    pub frame_bytes: usize,
}

/// The baseline server process; killed when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(exe: &Path) -> Result<Server, String> {
    let mut child = Command::new(exe)
        .args(["serve-fanout", "--bind", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start the fan-out server: {e}"))?;
    let stdout = child.stdout.take().ok_or("no stdout from the fan-out server")?;
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(|e| format!("fan-out server: {e}"))?;
    let addr = line
        .trim()
        .strip_prefix(READY_LINE)
        .and_then(|a| a.parse().ok())
        .ok_or_else(|| format!("fan-out server said {line:?}"))?;
    Ok(Server { child, addr })
}

/// Runs the baseline, serving it with `exe serve-fanout` (the `loadgen` binary).
pub async fn run(exe: &Path, params: &FanoutParams, connect_concurrency: usize) -> Result<Report, String> {
    let server = start_server(exe)?;
    let endpoint = Endpoint {
        addr: server.addr,
        instance: 0,
        token: None,
    };
    let crowd = super::connect_all(params.sessions, connect_concurrency, &[endpoint]).await;
    let active = params.active.clamp(1, crowd.sessions.len().max(1));
    if crowd.sessions.is_empty() {
        return Err("no session could connect to the fan-out server".into());
    }
    let meters = Meters::start(Some(Watch::Process(server.child.id())), None);
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(params.duration_s);
    let tasks: Vec<_> = (0..active)
        .map(|i| {
            let session = crowd.sessions[i].clone();
            let pacer = Pacer::new(params.rate, active, i);
            tokio::spawn(sender(session, i, pacer, deadline, params.frame_bytes))
        })
        .collect();
    let mut driven = Driven::gather(tasks, "sender").await;
    let drive_seconds = started.elapsed().as_secs_f64();
    if crowd.sessions[0].send_text(FENCE_FRAME.to_owned()).await.is_err() {
        driven.errors.push("cannot send the fence");
    }
    let info = RunInfo {
        scenario: "fan-out",
        target: "fan-out baseline",
        params: json!(params),
        commits_per_op: 0,
    };
    let (report, _) = super::conclude(info, &crowd, driven, started, drive_seconds, meters).await;
    super::close_all(&crowd).await;
    drop(server);
    Ok(report)
}

async fn sender(session: Arc<Session>, index: usize, mut pacer: Pacer, deadline: Instant, size: usize) -> Driven {
    let mut driven = Driven::default();
    let mut n = 0u64;
    while Instant::now() < deadline {
        pacer.tick().await;
        if Instant::now() >= deadline {
            break;
        }
        n += 1;
        let seq = ((index as u64) << SEQ_BITS) | n;
        let frame = json!({"type": "Fanout", "k": seq, "pad": ""}).to_string();
        let pad = "x".repeat(size.saturating_sub(frame.len()));
        let text = json!({"type": "Fanout", "k": seq, "pad": pad}).to_string();
        let sent = Instant::now();
        match session.echo(seq, text).await {
            Ok(Reply::Echo) => {
                driven.ops += 1;
                driven.sent.push(SentOp {
                    key: EventKey::new(0, Kind::Fanout, seq),
                    sent,
                    sender: index,
                });
            }
            other => driven.errors.push(format!("fan-out frame: {other:?}")),
        }
    }
    driven
}
