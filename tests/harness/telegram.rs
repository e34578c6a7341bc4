//! A fake Telegram Bot API on 127.0.0.1: it queues updates for `getUpdates` (with offset semantics and a
//! short long-poll), records what the bot sends, serves files, and can answer 429 on demand.
//!
//! Tests wait for what the bot sends (a watch channel ticks on every change), never sleep.

use std::collections::{HashMap, VecDeque};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpResponse, HttpServer, web};
use loket_server::config::Config;
use serde_json::{Value, json};
use tokio::sync::watch;

use crate::PATIENCE;

/// The token tests give the bot.
pub const TOKEN: &str = "123456:TEST-token";
/// The fake bot's username, as `getMe` answers.
pub const BOT_USERNAME: &str = "loket_test_bot";
/// How long `getUpdates` is held open when nothing is queued.
const LONG_POLL: Duration = Duration::from_millis(500);
const BOT_ID: i64 = 999;

/// A Telegram user talking to the bot; their private chat has the same id.
#[derive(Debug, Clone)]
pub struct TgUser {
    pub id: i64,
    pub first_name: String,
    pub language_code: String,
}

impl TgUser {
    pub fn new(id: i64, first_name: &str, language_code: &str) -> TgUser {
        TgUser {
            id,
            first_name: first_name.into(),
            language_code: language_code.into(),
        }
    }

    fn json(&self) -> Value {
        json!({"id": self.id, "is_bot": false, "first_name": self.first_name, "language_code": self.language_code})
    }

    fn chat(&self) -> Value {
        json!({"id": self.id, "type": "private", "first_name": self.first_name})
    }
}

/// A message the bot sent (or its latest text after an edit).
#[derive(Debug, Clone)]
pub struct Sent {
    pub chat_id: i64,
    pub message_id: i64,
    pub text: String,
    /// Inline buttons, row by row flattened: (label, callback data).
    pub buttons: Vec<(String, String)>,
}

impl Sent {
    /// The callback data of the button labelled `label`; fails the test if there is none.
    pub fn button(&self, label: &str) -> String {
        self.buttons
            .iter()
            .find(|(l, _)| l.contains(label))
            .map(|(_, d)| d.clone())
            .unwrap_or_else(|| panic!("no button {label:?} on {self:?}"))
    }
}

#[derive(Default)]
struct State {
    next_update_id: i64,
    next_message_id: i64,
    updates: VecDeque<Value>,
    sent: Vec<Sent>,
    edits: Vec<Sent>,
    send_attempts: usize,
    answer_429: u32,
    retry_after: u32,
    files: HashMap<String, (String, Vec<u8>)>,
    commands: Vec<Value>,
    /// Per chat: how many of `sent` / `edits` the test has looked at.
    seen: HashMap<i64, usize>,
    seen_edits: HashMap<i64, usize>,
}

struct Shared {
    state: Mutex<State>,
    changed: watch::Sender<u64>,
}

impl Shared {
    fn update<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let out = f(&mut self.state.lock().expect("fake telegram state"));
        self.changed.send_modify(|n| *n += 1);
        out
    }
}

/// The fake Bot API server. Runs inside the test's actix system.
pub struct FakeTelegram {
    pub url: String,
    shared: Arc<Shared>,
    handle: ServerHandle,
}

impl FakeTelegram {
    pub async fn start() -> FakeTelegram {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                next_update_id: 1,
                next_message_id: 1000,
                ..State::default()
            }),
            changed: watch::channel(0).0,
        });
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the fake Bot API");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let data = web::Data::new(shared.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(web::PayloadConfig::new(1 << 20))
                .route("/file/{token}/{path:.*}", web::get().to(file))
                .route("/{token}/{method}", web::post().to(method))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .expect("listen")
        .run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        FakeTelegram { url, shared, handle }
    }

    /// Points `config` at this fake with the test token.
    pub fn configure(&self, config: &mut Config) {
        config.telegram_bot_token = Some(TOKEN.into());
        config.telegram_api_url = self.url.clone();
    }

    pub async fn stop(self) {
        self.handle.stop(false).await;
    }

    fn push_update(&self, body: Value) {
        self.shared.update(|s| {
            let mut update = body;
            update["update_id"] = json!(s.next_update_id);
            s.next_update_id += 1;
            s.updates.push_back(update);
        });
    }

    fn new_message_id(&self) -> i64 {
        self.shared.update(|s| {
            s.next_message_id += 1;
            s.next_message_id
        })
    }

    fn incoming(&self, from: &TgUser, extra: Value) -> i64 {
        let id = self.new_message_id();
        let mut message = json!({"message_id": id, "date": now(), "chat": from.chat(), "from": from.json()});
        for (k, v) in extra.as_object().expect("an object") {
            message[k] = v.clone();
        }
        self.push_update(json!({"message": message}));
        id
    }

    /// `from` sends `text`.
    pub fn send_text(&self, from: &TgUser, text: &str) -> i64 {
        self.incoming(from, json!({"text": text}))
    }

    /// `from` answers `to` (a bot message) with `text`, as a Telegram reply.
    pub fn reply(&self, from: &TgUser, to: &Sent, text: &str) -> i64 {
        self.incoming(from, json!({"text": text, "reply_to_message": bot_message(to)}))
    }

    /// `from` sends a photo with these bytes (served by `getFile` and the file URL), optionally as a reply.
    pub fn send_photo(
        &self,
        from: &TgUser,
        file_id: &str,
        bytes: &[u8],
        caption: Option<&str>,
        reply_to: Option<&Sent>,
    ) -> i64 {
        self.shared.update(|s| {
            s.files
                .insert(file_id.into(), (format!("photos/{file_id}.jpg"), bytes.to_vec()))
        });
        let mut extra = json!({"photo": [
            {"file_id": format!("{file_id}-thumb"), "file_unique_id": format!("{file_id}-t"), "file_size": 10, "width": 90, "height": 60},
            {"file_id": file_id, "file_unique_id": format!("{file_id}-u"), "file_size": bytes.len(), "width": 1280, "height": 960},
        ]});
        if let Some(caption) = caption {
            extra["caption"] = json!(caption);
        }
        if let Some(to) = reply_to {
            extra["reply_to_message"] = bot_message(to);
        }
        self.incoming(from, extra)
    }

    /// `from` sends a photo Telegram says is `claimed_size` bytes (nothing is served for it), optionally as a
    /// reply: for size limits, without moving megabytes.
    pub fn send_photo_claiming(&self, from: &TgUser, file_id: &str, claimed_size: u64, reply_to: Option<&Sent>) -> i64 {
        let mut extra = json!({"photo": [
            {"file_id": file_id, "file_unique_id": format!("{file_id}-u"), "file_size": claimed_size, "width": 1280, "height": 960},
        ]});
        if let Some(to) = reply_to {
            extra["reply_to_message"] = bot_message(to);
        }
        self.incoming(from, extra)
    }

    /// `from` taps the button with callback `data` on `on`.
    pub fn press(&self, from: &TgUser, on: &Sent, data: &str) {
        let id = self.new_message_id();
        self.push_update(json!({"callback_query": {
            "id": format!("cq{id}"), "from": from.json(), "chat_instance": "ci", "data": data, "message": bot_message(on),
        }}));
    }

    /// Answers the next `times` sendMessage calls with 429 and `retry_after` seconds.
    pub fn answer_429(&self, times: u32, retry_after: u32) {
        self.shared.update(|s| {
            s.answer_429 = times;
            s.retry_after = retry_after;
        });
    }

    /// Every sendMessage call so far, including refused ones.
    pub fn send_attempts(&self) -> usize {
        self.shared.state.lock().expect("state").send_attempts
    }

    /// Every message sent to `chat`, in order.
    pub fn sent_to(&self, chat: i64) -> Vec<Sent> {
        let state = self.shared.state.lock().expect("state");
        state.sent.iter().filter(|m| m.chat_id == chat).cloned().collect()
    }

    /// The command menus registered with setMyCommands.
    pub fn command_menus(&self) -> Vec<Value> {
        self.shared.state.lock().expect("state").commands.clone()
    }

    /// Waits until `pick` finds something in the state; fails the test after `PATIENCE`.
    async fn wait_for<T>(&self, what: &str, mut pick: impl FnMut(&mut State) -> Option<T>) -> T {
        let mut changes = self.shared.changed.subscribe();
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if let Some(found) = pick(&mut self.shared.state.lock().expect("state")) {
                return found;
            }
            match tokio::time::timeout_at(deadline, changes.changed()).await {
                Ok(Ok(())) => {}
                _ => panic!("fake Telegram: no {what} within {PATIENCE:?}"),
            }
        }
    }

    /// The next message sent to `chat` that the test has not looked at yet.
    pub async fn next_message(&self, chat: i64) -> Sent {
        self.wait_for(&format!("message to chat {chat}"), |s| {
            let seen = s.seen.get(&chat).copied().unwrap_or(0);
            let found = s.sent.iter().filter(|m| m.chat_id == chat).nth(seen).cloned();
            if found.is_some() {
                s.seen.insert(chat, seen + 1);
            }
            found
        })
        .await
    }

    /// The next message to `chat`, which must contain `needle`.
    pub async fn expect(&self, chat: i64, needle: &str) -> Sent {
        let message = self.next_message(chat).await;
        assert!(
            message.text.contains(needle),
            "expected a message containing {needle:?}, got {:?}",
            message.text
        );
        message
    }

    /// The next edit of a message in `chat`.
    pub async fn next_edit(&self, chat: i64) -> Sent {
        self.wait_for(&format!("edit in chat {chat}"), |s| {
            let seen = s.seen_edits.get(&chat).copied().unwrap_or(0);
            let found = s.edits.iter().filter(|m| m.chat_id == chat).nth(seen).cloned();
            if found.is_some() {
                s.seen_edits.insert(chat, seen + 1);
            }
            found
        })
        .await
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn bot_user() -> Value {
    json!({
        "id": BOT_ID, "is_bot": true, "first_name": "Loket", "username": BOT_USERNAME,
        "can_join_groups": false, "can_read_all_group_messages": false, "supports_inline_queries": false,
        "has_main_web_app": false,
    })
}

fn bot_message(m: &Sent) -> Value {
    json!({
        "message_id": m.message_id, "date": now(), "text": m.text, "from": bot_user(),
        "chat": {"id": m.chat_id, "type": "private", "first_name": "Reporter"},
    })
}

fn buttons(markup: &Value) -> Vec<(String, String)> {
    markup["inline_keyboard"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .filter_map(Value::as_array)
                .flatten()
                .map(|b| {
                    (
                        b["text"].as_str().unwrap_or_default().to_string(),
                        b["callback_data"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn ok(result: Value) -> HttpResponse {
    HttpResponse::Ok().json(json!({"ok": true, "result": result}))
}

fn refuse(code: u16, description: &str, parameters: Option<Value>) -> HttpResponse {
    let mut body = json!({"ok": false, "error_code": code, "description": description});
    if let Some(parameters) = parameters {
        body["parameters"] = parameters;
    }
    HttpResponse::build(actix_web::http::StatusCode::from_u16(code).expect("status")).json(body)
}

async fn method(shared: web::Data<Arc<Shared>>, path: web::Path<(String, String)>, body: web::Bytes) -> HttpResponse {
    let (token, method) = path.into_inner();
    if token != format!("bot{TOKEN}") {
        return refuse(401, "Unauthorized", None);
    }
    let body: Value = serde_json::from_slice(&body).unwrap_or(json!({}));
    match method.to_ascii_lowercase().as_str() {
        "getme" => ok(bot_user()),
        "getwebhookinfo" => ok(json!({"url": "", "has_custom_certificate": false, "pending_update_count": 0})),
        "getupdates" => get_updates(&shared, &body).await,
        "sendmessage" => send_message(&shared, &body),
        "editmessagetext" => edit_message(&shared, &body),
        "setmycommands" => {
            shared.update(|s| s.commands.push(body.clone()));
            ok(json!(true))
        }
        "getfile" => {
            let id = body["file_id"].as_str().unwrap_or_default().to_string();
            let state = shared.state.lock().expect("state");
            match state.files.get(&id) {
                Some((path, bytes)) => ok(json!({
                    "file_id": id, "file_unique_id": format!("{id}-u"), "file_size": bytes.len(), "file_path": path,
                })),
                None => refuse(400, "Bad Request: invalid file_id", None),
            }
        }
        _ => ok(json!(true)),
    }
}

async fn get_updates(shared: &Shared, body: &Value) -> HttpResponse {
    let offset = body["offset"].as_i64().unwrap_or(0);
    let mut changes = shared.changed.subscribe();
    let deadline = tokio::time::Instant::now() + LONG_POLL;
    loop {
        let pending: Vec<Value> = {
            let mut state = shared.state.lock().expect("state");
            // Updates below the offset are confirmed: forget them.
            state.updates.retain(|u| u["update_id"].as_i64().unwrap_or(0) >= offset);
            state.updates.iter().cloned().collect()
        };
        if !pending.is_empty() {
            return ok(Value::Array(pending));
        }
        if tokio::time::timeout_at(deadline, changes.changed()).await.is_err() {
            return ok(json!([]));
        }
    }
}

fn send_message(shared: &Shared, body: &Value) -> HttpResponse {
    let chat_id = body["chat_id"].as_i64().unwrap_or_default();
    let text = body["text"].as_str().unwrap_or_default().to_string();
    let outcome = shared.update(|s| {
        s.send_attempts += 1;
        if s.answer_429 > 0 {
            s.answer_429 -= 1;
            return Err(s.retry_after);
        }
        s.next_message_id += 1;
        let sent = Sent {
            chat_id,
            message_id: s.next_message_id,
            text: text.clone(),
            buttons: buttons(&body["reply_markup"]),
        };
        s.sent.push(sent.clone());
        Ok(sent)
    });
    match outcome {
        Ok(sent) => {
            let mut message = bot_message(&sent);
            if body.get("reply_markup").is_some() {
                message["reply_markup"] = body["reply_markup"].clone();
            }
            ok(message)
        }
        Err(retry_after) => refuse(
            429,
            &format!("Too Many Requests: retry after {retry_after}"),
            Some(json!({"retry_after": retry_after})),
        ),
    }
}

fn edit_message(shared: &Shared, body: &Value) -> HttpResponse {
    let chat_id = body["chat_id"].as_i64().unwrap_or_default();
    let message_id = body["message_id"].as_i64().unwrap_or_default();
    let edited = Sent {
        chat_id,
        message_id,
        text: body["text"].as_str().unwrap_or_default().to_string(),
        buttons: buttons(&body["reply_markup"]),
    };
    shared.update(|s| {
        if let Some(original) = s
            .sent
            .iter_mut()
            .find(|m| m.chat_id == chat_id && m.message_id == message_id)
        {
            *original = edited.clone();
        }
        s.edits.push(edited.clone());
    });
    let mut message = bot_message(&edited);
    if body.get("reply_markup").is_some() {
        message["reply_markup"] = body["reply_markup"].clone();
    }
    ok(message)
}

async fn file(shared: web::Data<Arc<Shared>>, path: web::Path<(String, String)>) -> HttpResponse {
    let (token, file_path) = path.into_inner();
    if token != format!("bot{TOKEN}") {
        return HttpResponse::Unauthorized().finish();
    }
    let state = shared.state.lock().expect("state");
    match state.files.values().find(|(p, _)| *p == file_path) {
        Some((_, bytes)) => HttpResponse::Ok().content_type("image/jpeg").body(bytes.clone()),
        None => HttpResponse::NotFound().finish(),
    }
}
