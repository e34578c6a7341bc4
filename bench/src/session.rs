//! One WebSocket session of the load generator: a reader task that timestamps every broadcast and routes
//! answers to waiting requests, and a writer the active agents send requests through.
//!
//! The reader parses only the few fields it needs (type, ids, version, `expires_at`), so the load
//! generator spends as little CPU per received frame as it can; it keeps reading (and so answers the
//! server's pings) for as long as the connection lives.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use crate::measure::{EventKey, Kind, Receipt, tag_of};

/// How long a request waits for its Ack or Error before it counts as an error.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long connecting (TCP and the WebSocket handshake, up to the first frame) may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

type Ws = WebSocketStream<TcpStream>;

/// No fence set yet.
const NO_FENCE: i64 = i64::MIN;

/// The answer to a request.
#[derive(Debug, Clone)]
pub enum Reply {
    Ack {
        ticket_id: Option<i64>,
        version: Option<i64>,
        expires_at: Option<String>,
    },
    /// An `Error` frame: its code, and the current version when the server sent the ticket along.
    Refused { code: String, version: Option<i64> },
    /// The fan-out baseline echoed the frame back to its sender.
    Echo,
}

/// Why a request got no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallError {
    Timeout,
    Closed,
}

/// What a session's reader saw, handed over when the fence arrived (or the connection ended).
#[derive(Debug, Default)]
pub struct Collected {
    pub receipts: Vec<Receipt>,
    /// The connection ended before the fence arrived.
    pub disconnected: bool,
    /// Broadcast frames received and their total size in bytes.
    pub frames: u64,
    pub bytes: u64,
}

/// Which event ends a session's recording: `TicketLocked` on this ticket (Loket) or a `Fence` frame
/// (the fan-out baseline). Shared by all sessions of a run.
#[derive(Debug)]
pub struct Fence(AtomicI64);

impl Fence {
    pub fn new() -> Arc<Fence> {
        Arc::new(Fence(AtomicI64::new(NO_FENCE)))
    }

    pub fn set(&self, ticket: i64) {
        self.0.store(ticket, Ordering::SeqCst);
    }

    fn get(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

#[derive(Default)]
struct Waiters {
    pending: Mutex<HashMap<u64, oneshot::Sender<Reply>>>,
    next: AtomicU64,
}

impl Waiters {
    fn register(&self) -> (u64, oneshot::Receiver<Reply>) {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.lock().insert(id, tx);
        (id, rx)
    }

    fn register_as(&self, id: u64) -> oneshot::Receiver<Reply> {
        let (tx, rx) = oneshot::channel();
        self.lock().insert(id, tx);
        rx
    }

    fn resolve(&self, id: u64, reply: Reply) {
        if let Some(tx) = self.lock().remove(&id) {
            let _ = tx.send(reply);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, oneshot::Sender<Reply>>> {
        // A panic while holding this lock would already have failed the run.
        self.pending.lock().expect("waiters lock poisoned")
    }
}

/// A connected session.
pub struct Session {
    pub index: usize,
    /// The instance it is connected to ([`Endpoint::instance`]).
    pub instance: usize,
    sink: tokio::sync::Mutex<SplitSink<Ws, Message>>,
    waiters: Arc<Waiters>,
    collected: Mutex<Option<oneshot::Receiver<Collected>>>,
}

/// Where and how to connect.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub addr: SocketAddr,
    /// Which instance of the Loket under test this is (0: the first); 0 for the fan-out baseline.
    pub instance: usize,
    /// Bearer token; `None` for the fan-out baseline.
    pub token: Option<String>,
}

impl Session {
    /// Connects, waits for the server's first frame (Loket's `Welcome`: the session is subscribed) and
    /// starts the reader.
    pub async fn connect(index: usize, endpoint: &Endpoint, fence: Arc<Fence>) -> Result<Arc<Session>, String> {
        tokio::time::timeout(CONNECT_TIMEOUT, Self::connect_inner(index, endpoint, fence))
            .await
            .map_err(|_| "connect timed out".to_owned())?
    }

    async fn connect_inner(index: usize, endpoint: &Endpoint, fence: Arc<Fence>) -> Result<Arc<Session>, String> {
        let tcp = TcpStream::connect(endpoint.addr)
            .await
            .map_err(|e| format!("tcp connect: {e}"))?;
        tcp.set_nodelay(true).map_err(|e| format!("nodelay: {e}"))?;
        let mut request = format!("ws://{}/ws", endpoint.addr)
            .into_client_request()
            .map_err(|e| format!("request: {e}"))?;
        if let Some(token) = &endpoint.token {
            let value = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|e| format!("token: {e}"))?;
            request.headers_mut().insert("Authorization", value);
        }
        let (mut ws, _) = tokio_tungstenite::client_async(request, tcp)
            .await
            .map_err(|e| format!("handshake: {e}"))?;
        match ws.next().await {
            Some(Ok(Message::Text(_))) => {}
            other => return Err(format!("expected a first text frame, got {other:?}")),
        }
        let (sink, stream) = ws.split();
        let waiters = Arc::new(Waiters::default());
        let (done_tx, done_rx) = oneshot::channel();
        let reader = Reader {
            waiters: waiters.clone(),
            fence,
            done: Some(done_tx),
            collected: Collected::default(),
            last_lock: HashMap::new(),
        };
        tokio::spawn(reader.run(stream));
        Ok(Arc::new(Session {
            index,
            instance: endpoint.instance,
            sink: tokio::sync::Mutex::new(sink),
            waiters,
            collected: Mutex::new(Some(done_rx)),
        }))
    }

    /// Sends `message` with a fresh `request_id` and waits for its Ack or Error.
    pub async fn call(&self, mut message: Value) -> Result<Reply, CallError> {
        let (id, rx) = self.waiters.register();
        message["request_id"] = Value::String(id.to_string());
        self.send_text(message.to_string()).await?;
        wait(rx).await
    }

    /// Fan-out baseline: sends frame `seq` and waits until the server echoed it back to this session.
    pub async fn echo(&self, seq: u64, text: String) -> Result<Reply, CallError> {
        let rx = self.waiters.register_as(seq);
        self.send_text(text).await?;
        wait(rx).await
    }

    pub async fn send_text(&self, text: String) -> Result<(), CallError> {
        self.sink
            .lock()
            .await
            .send(Message::Text(text))
            .await
            .map_err(|_| CallError::Closed)
    }

    /// Waits (up to `patience`) for the reader to hand over what it recorded.
    pub async fn collect(&self, patience: Duration) -> Collected {
        let rx = self.collected.lock().expect("collect lock poisoned").take();
        let Some(rx) = rx else {
            return Collected::default();
        };
        match tokio::time::timeout(patience, rx).await {
            Ok(Ok(collected)) => collected,
            // The fence never came: everything this session recorded is lost with the reader's state.
            _ => Collected {
                disconnected: true,
                ..Collected::default()
            },
        }
    }

    /// Closes the connection politely.
    pub async fn close(&self) {
        let _ = self.sink.lock().await.close().await;
    }
}

async fn wait(rx: oneshot::Receiver<Reply>) -> Result<Reply, CallError> {
    match tokio::time::timeout(REQUEST_TIMEOUT, rx).await {
        Ok(Ok(reply)) => Ok(reply),
        Ok(Err(_)) => Err(CallError::Closed),
        Err(_) => Err(CallError::Timeout),
    }
}

/// The fields of a frame the load generator looks at; everything else is skipped unparsed.
#[derive(Deserialize)]
struct Probe<'a> {
    #[serde(rename = "type", borrow)]
    kind: &'a str,
    #[serde(default, borrow)]
    request_id: Option<&'a str>,
    #[serde(default)]
    ticket_id: Option<i64>,
    #[serde(default)]
    version: Option<i64>,
    #[serde(default, borrow)]
    expires_at: Option<&'a str>,
    #[serde(default, borrow)]
    code: Option<&'a str>,
    #[serde(default)]
    ticket: Option<TicketProbe>,
    /// Fan-out baseline: the frame's sequence number.
    #[serde(default)]
    k: Option<u64>,
}

#[derive(Deserialize)]
struct TicketProbe {
    id: i64,
    version: i64,
}

struct Reader {
    waiters: Arc<Waiters>,
    fence: Arc<Fence>,
    done: Option<oneshot::Sender<Collected>>,
    collected: Collected,
    /// Per ticket, the tag of the last `TicketLocked` seen: names the `TicketUnlocked` that follows.
    last_lock: HashMap<i64, u64>,
}

impl Reader {
    async fn run(mut self, mut stream: futures_util::stream::SplitStream<Ws>) {
        while let Some(item) = stream.next().await {
            match item {
                Ok(Message::Text(text)) => self.on_text(&text),
                Ok(Message::Close(_)) | Err(_) => break,
                // Pings are answered by tungstenite while we keep reading.
                Ok(_) => {}
            }
        }
        if let Some(done) = self.done.take() {
            self.collected.disconnected = true;
            let _ = done.send(std::mem::take(&mut self.collected));
        }
    }

    fn on_text(&mut self, text: &str) {
        let now = Instant::now();
        let Ok(probe) = serde_json::from_str::<Probe>(text) else {
            return;
        };
        let key = match probe.kind {
            "Ack" => {
                if let Some(id) = probe.request_id.and_then(|r| r.parse().ok()) {
                    self.waiters.resolve(
                        id,
                        Reply::Ack {
                            ticket_id: probe.ticket_id,
                            version: probe.version,
                            expires_at: probe.expires_at.map(str::to_owned),
                        },
                    );
                }
                return;
            }
            "Error" => {
                if let Some(id) = probe.request_id.and_then(|r| r.parse().ok()) {
                    self.waiters.resolve(
                        id,
                        Reply::Refused {
                            code: probe.code.unwrap_or("unknown").to_owned(),
                            version: probe.ticket.map(|t| t.version),
                        },
                    );
                }
                return;
            }
            "TicketCreated" => probe.ticket.map(|t| EventKey::new(t.id, Kind::Created, 0)),
            "TicketUpdated" => probe
                .ticket
                .map(|t| EventKey::new(t.id, Kind::Updated, t.version as u64)),
            "TicketLocked" => match (probe.ticket_id, probe.expires_at) {
                (Some(id), Some(expires)) => {
                    let tag = tag_of(expires);
                    self.last_lock.insert(id, tag);
                    if id == self.fence.get() {
                        self.finish();
                        return;
                    }
                    Some(EventKey::new(id, Kind::Locked, tag))
                }
                _ => None,
            },
            "TicketUnlocked" => probe.ticket_id.map(|id| {
                let tag = self.last_lock.get(&id).copied().unwrap_or(0);
                EventKey::new(id, Kind::Unlocked, tag)
            }),
            "Fanout" => probe.k.map(|k| {
                self.waiters.resolve(k, Reply::Echo);
                EventKey::new(0, Kind::Fanout, k)
            }),
            "Fence" => {
                self.finish();
                return;
            }
            _ => None,
        };
        if let (Some(key), Some(_)) = (key, &self.done) {
            self.collected.frames += 1;
            self.collected.bytes += text.len() as u64;
            self.collected.receipts.push((key, now));
        }
    }

    fn finish(&mut self) {
        if let Some(done) = self.done.take() {
            let _ = done.send(std::mem::take(&mut self.collected));
        }
    }
}
