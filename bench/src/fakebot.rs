//! A minimal fake Telegram Bot API for the reporter-path scenario: plain HTTP/1.1 on a tokio listener,
//! answering what Loket's bot calls (`getMe`, `getWebhookInfo`, `setMyCommands`, a short `getUpdates`
//! long-poll with no updates, `sendMessage` with a full `Message`) and timestamping every `sendMessage`
//! the moment its body has been read. Telegram's limits are off: it never answers 429.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// The token the scenario gives the bot by default (`<id>:<secret>`).
pub const DEFAULT_TOKEN: &str = "424242:loket-bench-token";
/// How long `getUpdates` is held open (there are never updates); short so a stopping server is not held.
const LONG_POLL: Duration = Duration::from_millis(1000);
const BOT_ID: i64 = 424_242;
/// Largest request body accepted.
const MAX_BODY: usize = 1 << 20;

/// One `sendMessage` the fake received.
#[derive(Debug, Clone)]
pub struct Received {
    pub at: Instant,
    pub text: String,
}

#[derive(Default)]
struct State {
    next_message_id: i64,
    /// Per chat, in arrival order.
    sent: HashMap<i64, Vec<Received>>,
    total_sent: u64,
    get_updates: u64,
    /// Requests with a wrong token, malformed requests, unknown methods.
    bad_requests: u64,
}

struct Shared {
    prefix: String,
    state: Mutex<State>,
    /// Ticks on every received `sendMessage` and `getUpdates`.
    changed: watch::Sender<u64>,
}

impl Shared {
    fn update<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let out = f(&mut self.state.lock().expect("fake Bot API state"));
        self.changed.send_modify(|n| *n += 1);
        out
    }
}

/// The fake Bot API, serving until dropped.
pub struct FakeBotApi {
    pub addr: SocketAddr,
    pub token: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeBotApi {
    /// Listens on `bind` (port 0: any free port) for requests to `/bot<token>/<method>`.
    pub async fn start(bind: SocketAddr, token: &str) -> Result<FakeBotApi, String> {
        let listener = TcpListener::bind(bind)
            .await
            .map_err(|e| format!("fake Bot API: cannot bind {bind}: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let shared = Arc::new(Shared {
            prefix: format!("/bot{token}/"),
            state: Mutex::new(State {
                next_message_id: 1,
                ..State::default()
            }),
            changed: watch::channel(0).0,
        });
        let accept = shared.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let _ = stream.set_nodelay(true);
                tokio::spawn(serve(stream, accept.clone()));
            }
        });
        Ok(FakeBotApi {
            addr,
            token: token.to_owned(),
            shared,
            task,
        })
    }

    /// The `TELEGRAM_API_URL` that points a bot here.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Waits until the bot polls `getUpdates` (it has started, and its outbox delivery with it).
    pub async fn wait_polling(&self, patience: Duration) -> Result<(), String> {
        self.wait_until(patience, |s| s.get_updates() > 0)
            .await
            .then_some(())
            .ok_or_else(|| {
                format!(
                    "the bot did not poll the fake Bot API at {} within {patience:?}",
                    self.addr
                )
            })
    }

    /// Waits until `pick` holds, up to `patience`; returns whether it did.
    pub async fn wait_until(&self, patience: Duration, mut pick: impl FnMut(&StateView) -> bool) -> bool {
        let mut changes = self.shared.changed.subscribe();
        let deadline = tokio::time::Instant::now() + patience;
        loop {
            {
                let state = self.shared.state.lock().expect("fake Bot API state");
                if pick(&StateView(&state)) {
                    return true;
                }
            }
            if tokio::time::timeout_at(deadline, changes.changed()).await.is_err() {
                return false;
            }
        }
    }

    /// What arrived for `chat`, in order.
    pub fn received(&self, chat: i64) -> Vec<Received> {
        let state = self.shared.state.lock().expect("fake Bot API state");
        state.sent.get(&chat).cloned().unwrap_or_default()
    }

    /// `sendMessage` calls so far, every chat.
    pub fn total_sent(&self) -> u64 {
        self.shared.state.lock().expect("fake Bot API state").total_sent
    }

    /// Requests the fake could not make sense of (wrong token, unknown method, malformed HTTP).
    pub fn bad_requests(&self) -> u64 {
        self.shared.state.lock().expect("fake Bot API state").bad_requests
    }

    pub fn get_updates_calls(&self) -> u64 {
        self.shared.state.lock().expect("fake Bot API state").get_updates
    }
}

impl Drop for FakeBotApi {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A read-only look at the fake's state, for [`FakeBotApi::wait_until`].
pub struct StateView<'a>(&'a State);

impl StateView<'_> {
    pub fn total_sent(&self) -> u64 {
        self.0.total_sent
    }

    pub fn get_updates(&self) -> u64 {
        self.0.get_updates
    }
}

/// Serves one keep-alive connection.
async fn serve(stream: TcpStream, shared: Arc<Shared>) {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    loop {
        let request = match read_request(&mut reader).await {
            Ok(Some(request)) => request,
            Ok(None) => return,
            Err(_) => {
                shared.update(|s| s.bad_requests += 1);
                return;
            }
        };
        let at = Instant::now();
        let (status, body) = answer(&shared, &request, at).await;
        let response = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        if write.write_all(response.as_bytes()).await.is_err() {
            return;
        }
    }
}

struct Request {
    path: String,
    body: Vec<u8>,
}

/// Reads one request (Content-Length or chunked body); `None` at a clean end of the connection.
async fn read_request<R: tokio::io::AsyncBufRead + Unpin>(reader: &mut R) -> Result<Option<Request>, String> {
    let mut line = String::new();
    if reader.read_line(&mut line).await.map_err(|e| e.to_string())? == 0 {
        return Ok(None);
    }
    let path = line.split_whitespace().nth(1).ok_or("no request target")?.to_owned();
    let mut length = 0usize;
    let mut chunked = false;
    loop {
        line.clear();
        if reader.read_line(&mut line).await.map_err(|e| e.to_string())? == 0 {
            return Err("connection closed in the headers".into());
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = value.parse().map_err(|_| "bad content-length")?;
            } else if name.eq_ignore_ascii_case("transfer-encoding") && value.eq_ignore_ascii_case("chunked") {
                chunked = true;
            }
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            line.clear();
            reader.read_line(&mut line).await.map_err(|e| e.to_string())?;
            let size_text = line.trim().split(';').next().unwrap_or_default();
            let size = usize::from_str_radix(size_text, 16).map_err(|_| "bad chunk size")?;
            if body.len() + size > MAX_BODY {
                return Err("body too large".into());
            }
            let start = body.len();
            body.resize(start + size, 0);
            reader.read_exact(&mut body[start..]).await.map_err(|e| e.to_string())?;
            line.clear();
            reader.read_line(&mut line).await.map_err(|e| e.to_string())?;
            if size == 0 {
                break;
            }
        }
    } else {
        if length > MAX_BODY {
            return Err("body too large".into());
        }
        body.resize(length, 0);
        reader.read_exact(&mut body).await.map_err(|e| e.to_string())?;
    }
    Ok(Some(Request { path, body }))
}

fn ok(result: Value) -> (&'static str, String) {
    ("200 OK", json!({"ok": true, "result": result}).to_string())
}

fn refuse(status: &'static str, code: u16, description: &str) -> (&'static str, String) {
    (
        status,
        json!({"ok": false, "error_code": code, "description": description}).to_string(),
    )
}

fn bot_user() -> Value {
    json!({
        "id": BOT_ID, "is_bot": true, "first_name": "Loket bench", "username": "loket_bench_bot",
        "can_join_groups": false, "can_read_all_group_messages": false, "supports_inline_queries": false,
        "has_main_web_app": false,
    })
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

async fn answer(shared: &Shared, request: &Request, at: Instant) -> (&'static str, String) {
    let Some(method) = request.path.strip_prefix(&shared.prefix) else {
        shared.update(|s| s.bad_requests += 1);
        return refuse("401 Unauthorized", 401, "Unauthorized");
    };
    let body: Value = serde_json::from_slice(&request.body).unwrap_or(json!({}));
    match method.to_ascii_lowercase().as_str() {
        "getme" => ok(bot_user()),
        "getwebhookinfo" => ok(json!({"url": "", "has_custom_certificate": false, "pending_update_count": 0})),
        "deletewebhook" | "setmycommands" => ok(json!(true)),
        "getupdates" => {
            shared.update(|s| s.get_updates += 1);
            tokio::time::sleep(LONG_POLL).await;
            ok(json!([]))
        }
        "sendmessage" => {
            let chat_id = body["chat_id"].as_i64().unwrap_or_default();
            let text = body["text"].as_str().unwrap_or_default().to_owned();
            let message_id = shared.update(|s| {
                s.next_message_id += 1;
                s.total_sent += 1;
                s.sent
                    .entry(chat_id)
                    .or_default()
                    .push(Received { at, text: text.clone() });
                s.next_message_id
            });
            ok(json!({
                "message_id": message_id, "date": unix_now(), "text": text, "from": bot_user(),
                "chat": {"id": chat_id, "type": "private", "first_name": "Reporter"},
            }))
        }
        _ => {
            shared.update(|s| s.bad_requests += 1);
            refuse("404 Not Found", 404, "Not Found: method not found")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn answers_get_me_and_records_send_message() {
        let fake = FakeBotApi::start("127.0.0.1:0".parse().expect("addr"), DEFAULT_TOKEN)
            .await
            .expect("start");
        let http = reqwest::Client::new();
        let me: Value = http
            .post(format!("{}/bot{DEFAULT_TOKEN}/getMe", fake.url()))
            .send()
            .await
            .expect("getMe")
            .json()
            .await
            .expect("json");
        assert_eq!(me["result"]["username"], "loket_bench_bot");
        let sent: Value = http
            .post(format!("{}/bot{DEFAULT_TOKEN}/sendMessage", fake.url()))
            .json(&json!({"chat_id": 7, "text": "hello"}))
            .send()
            .await
            .expect("sendMessage")
            .json()
            .await
            .expect("json");
        assert_eq!(sent["result"]["chat"]["id"], 7);
        assert_eq!(fake.received(7).len(), 1);
        assert_eq!(fake.received(7)[0].text, "hello");
        let wrong = http
            .post(format!("{}/botnope/getMe", fake.url()))
            .send()
            .await
            .expect("wrong token");
        assert_eq!(wrong.status(), 401);
        assert_eq!(fake.bad_requests(), 1);
    }
}
