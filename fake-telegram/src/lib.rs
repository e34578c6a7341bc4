//! A fake Telegram Bot API on a local socket, shared by Loket's integration tests (`loket-tests`) and its
//! load generator (`loket-bench`).
//!
//! It queues updates for `getUpdates` (offset semantics, a short long-poll), records every message the bot
//! sends or edits (with its inline buttons and the moment its request had been read), serves files through
//! `getFile` and the file URL, answers 429 on demand and counts requests it could not answer. Like
//! Telegram, it answers 409 to a `getUpdates` while another is in flight (two bots polling with one token)
//! and while a webhook is set; after `setWebhook` it POSTs each queued update to the webhook, in order,
//! with the secret in `X-Telegram-Bot-Api-Secret-Token`, until the answer is a 2xx (retrying otherwise).
//! It serves on a thread of its own, so it answers whatever the caller's runtime is busy with; the caller
//! waits for what the bot sends (a watch channel ticks on every change), never sleeps.

mod api;
mod http;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::watch;

/// The token the fake accepts unless told another (`<id>:<secret>`).
pub const TOKEN: &str = "123456:TEST-token";
/// The fake bot's username, as `getMe` answers.
pub const BOT_USERNAME: &str = "loket_test_bot";
/// How long the waiting methods that fail the test ([`FakeTelegram::next_message`] and the like) wait,
/// unless told otherwise.
pub const DEFAULT_PATIENCE: Duration = Duration::from_secs(10);
/// How long `getUpdates` is held open when nothing is queued: short, so tests are quick and a stopping
/// bot is not held.
const LONG_POLL: Duration = Duration::from_millis(500);
const BOT_ID: i64 = 999;
/// Message ids the fake hands out start above this.
const FIRST_MESSAGE_ID: i64 = 1000;

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
    /// Inline buttons, rows flattened: (label, callback data).
    pub buttons: Vec<(String, String)>,
    /// When the fake had read the request that sent (or edited) it.
    pub at: Instant,
}

impl Sent {
    /// The callback data of the button whose label contains `label`; fails the test if there is none.
    pub fn button(&self, label: &str) -> String {
        self.buttons
            .iter()
            .find(|(l, _)| l.contains(label))
            .map(|(_, d)| d.clone())
            .unwrap_or_else(|| panic!("no button {label:?} on {self:?}"))
    }
}

/// A file the bot sent with `sendDocument` or `sendPhoto`.
#[derive(Debug, Clone)]
pub struct SentFile {
    pub chat_id: i64,
    pub message_id: i64,
    /// `document` or `photo`.
    pub kind: String,
    pub file_name: String,
    /// The file's bytes as they arrived.
    pub bytes: Vec<u8>,
    pub at: Instant,
}

/// A webhook set with `setWebhook`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub url: String,
    /// The `secret_token` given, sent back in `X-Telegram-Bot-Api-Secret-Token`.
    pub secret: Option<String>,
}

#[derive(Default)]
struct State {
    next_update_id: i64,
    next_message_id: i64,
    updates: VecDeque<Value>,
    /// Per chat, in the order sent.
    sent: HashMap<i64, Vec<Sent>>,
    /// Per chat, in the order made.
    edits: HashMap<i64, Vec<Sent>>,
    /// Accepted `sendMessage` calls, every chat.
    total_sent: u64,
    /// Every `sendMessage` call, refused ones included.
    send_attempts: u64,
    get_updates: u64,
    /// Requests with a wrong token, unknown methods, malformed HTTP.
    bad_requests: u64,
    answer_429: u32,
    retry_after: u32,
    /// The next this many file sends are answered 429 (retry after 1 s).
    refuse_files: u32,
    /// Then the next this many are answered 500 (JSON) and 502 (an HTML page, as a proxy sends), in turn.
    break_files: u32,
    /// Per chat, files sent with `sendDocument` / `sendPhoto`, in order.
    files_sent: HashMap<i64, Vec<SentFile>>,
    /// `getUpdates` requests being answered right now.
    polling: u32,
    /// `getUpdates` answered 409 because another was in flight.
    conflicts: u64,
    /// `getUpdates` answered 409 because a webhook is set.
    refused_while_webhook: u64,
    /// Set by `setWebhook`: where updates go, and the secret sent with them.
    webhook: Option<Webhook>,
    /// A task is POSTing updates to the webhook.
    delivering: bool,
    /// Each update POSTed to the webhook this many extra times after it was acknowledged (Telegram
    /// retrying an acknowledgement it did not see).
    repeat_webhook: u32,
    /// Webhook POSTs answered 2xx / answered otherwise or not at all.
    webhook_acks: u64,
    webhook_failures: u64,
    /// File downloads served.
    downloads: u64,
    /// By file id: the file path and the bytes.
    files: HashMap<String, (String, Vec<u8>)>,
    commands: Vec<Value>,
    /// Per chat: how many of `sent` / `edits` the caller has looked at.
    seen: HashMap<i64, usize>,
    seen_edits: HashMap<i64, usize>,
}

struct Shared {
    /// `/bot<token>/`: where methods are called.
    method_prefix: String,
    /// `/file/bot<token>/`: where files are downloaded.
    file_prefix: String,
    state: Mutex<State>,
    /// Ticks on every change of `state`.
    changed: watch::Sender<u64>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the state half-changed in a way that matters here.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Changes the state and tells every waiter.
    fn update<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let out = f(&mut self.lock());
        self.changed.send_modify(|n| *n += 1);
        out
    }

    /// Looks at (or tidies) the state without waking anyone.
    fn read<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.lock())
    }
}

/// A read-only look at the fake's state, for [`FakeTelegram::wait_until`].
pub struct StateView<'a>(&'a State);

impl StateView<'_> {
    /// Accepted `sendMessage` calls so far, every chat.
    pub fn total_sent(&self) -> u64 {
        self.0.total_sent
    }

    /// `getUpdates` calls so far.
    pub fn get_updates(&self) -> u64 {
        self.0.get_updates
    }

    /// Every message sent to `chat`, in order (edited ones with their latest text).
    pub fn sent_to(&self, chat: i64) -> &[Sent] {
        self.0.sent.get(&chat).map_or(&[], Vec::as_slice)
    }

    /// Every file sent to `chat`, in order.
    pub fn files_sent_to(&self, chat: i64) -> &[SentFile] {
        self.0.files_sent.get(&chat).map_or(&[], Vec::as_slice)
    }

    /// Webhook POSTs acknowledged with a 2xx so far.
    pub fn webhook_acks(&self) -> u64 {
        self.0.webhook_acks
    }

    /// Updates queued and not yet confirmed (by offset or webhook acknowledgement).
    pub fn pending_updates(&self) -> usize {
        self.0.updates.len()
    }

    /// The webhook set, if any.
    pub fn webhook(&self) -> Option<&Webhook> {
        self.0.webhook.as_ref()
    }
}

/// The fake Bot API, serving until dropped.
pub struct FakeTelegram {
    pub addr: SocketAddr,
    pub token: String,
    patience: Duration,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
}

impl FakeTelegram {
    /// A fake on any free port of 127.0.0.1 accepting [`TOKEN`]; fails the test if it cannot start.
    pub fn start() -> FakeTelegram {
        let any_port = SocketAddr::from(([127, 0, 0, 1], 0));
        FakeTelegram::start_on(any_port, TOKEN).unwrap_or_else(|err| panic!("{err}"))
    }

    /// A fake listening on `bind` (port 0: any free port) for requests with `token`.
    pub fn start_on(bind: SocketAddr, token: &str) -> Result<FakeTelegram, String> {
        let listener =
            std::net::TcpListener::bind(bind).map_err(|e| format!("fake Bot API: cannot bind {bind}: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        listener.set_nonblocking(true).map_err(|e| e.to_string())?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("fake Bot API: cannot start its runtime: {e}"))?;
        let listener = {
            let _inside = runtime.enter();
            tokio::net::TcpListener::from_std(listener).map_err(|e| e.to_string())?
        };
        let shared = Arc::new(Shared {
            method_prefix: format!("/bot{token}/"),
            file_prefix: format!("/file/bot{token}/"),
            state: Mutex::new(State {
                next_update_id: 1,
                next_message_id: FIRST_MESSAGE_ID,
                ..State::default()
            }),
            changed: watch::channel(0).0,
        });
        let (stop, stopped) = watch::channel(false);
        let serving = shared.clone();
        let thread = std::thread::Builder::new()
            .name("fake-telegram".into())
            .spawn(move || runtime.block_on(accept(listener, serving, stopped)))
            .map_err(|e| format!("fake Bot API: cannot start its thread: {e}"))?;
        Ok(FakeTelegram {
            addr,
            token: token.to_owned(),
            patience: DEFAULT_PATIENCE,
            shared,
            stop,
            thread: Some(thread),
        })
    }

    /// How long [`next_message`](Self::next_message), [`expect`](Self::expect) and
    /// [`next_edit`](Self::next_edit) wait before they fail the test.
    pub fn with_patience(mut self, patience: Duration) -> FakeTelegram {
        self.patience = patience;
        self
    }

    /// The `TELEGRAM_API_URL` that points a bot here.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn push_update(&self, body: Value) {
        let update = self.numbered(body);
        self.shared.update(|s| s.updates.push_back(update));
    }

    /// `body` with the next update id.
    fn numbered(&self, body: Value) -> Value {
        self.shared.update(|s| {
            let mut update = body;
            update["update_id"] = json!(s.next_update_id);
            s.next_update_id += 1;
            update
        })
    }

    /// An update in which `from` sends `text`, with its own update id, but not queued: for a test that
    /// delivers it itself (say, to two instances' webhooks at once).
    pub fn text_update(&self, from: &TgUser, text: &str) -> Value {
        let id = self.new_message_id();
        let message =
            json!({"message_id": id, "date": api::unix_now(), "chat": from.chat(), "from": from.json(), "text": text});
        self.numbered(json!({"message": message}))
    }

    fn new_message_id(&self) -> i64 {
        self.shared.update(|s| {
            s.next_message_id += 1;
            s.next_message_id
        })
    }

    fn incoming(&self, from: &TgUser, extra: Value) -> i64 {
        let id = self.new_message_id();
        let mut message = json!({"message_id": id, "date": api::unix_now(), "chat": from.chat(), "from": from.json()});
        if let Value::Object(fields) = extra {
            for (k, v) in fields {
                message[k] = v;
            }
        }
        self.push_update(json!({"message": message}));
        id
    }

    /// `from` sends `text`. Answers the message's id.
    pub fn send_text(&self, from: &TgUser, text: &str) -> i64 {
        self.incoming(from, json!({"text": text}))
    }

    /// `from` answers `to` (a bot message) with `text`, as a Telegram reply.
    pub fn reply(&self, from: &TgUser, to: &Sent, text: &str) -> i64 {
        self.incoming(from, json!({"text": text, "reply_to_message": api::bot_message(to)}))
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
            extra["reply_to_message"] = api::bot_message(to);
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
            extra["reply_to_message"] = api::bot_message(to);
        }
        self.incoming(from, extra)
    }

    /// `from` shares a location (Telegram's attachment menu, Location), optionally as a reply. The fake
    /// passes any coordinates on, so tests can send ones Telegram never would.
    pub fn send_location(&self, from: &TgUser, latitude: f64, longitude: f64, reply_to: Option<&Sent>) -> i64 {
        let mut extra = json!({"location": {"latitude": latitude, "longitude": longitude}});
        if let Some(to) = reply_to {
            extra["reply_to_message"] = api::bot_message(to);
        }
        self.incoming(from, extra)
    }

    /// `from` taps the button with callback `data` on `on`.
    pub fn press(&self, from: &TgUser, on: &Sent, data: &str) {
        let id = self.new_message_id();
        self.push_update(json!({"callback_query": {
            "id": format!("cq{id}"), "from": from.json(), "chat_instance": "ci", "data": data, "message": api::bot_message(on),
        }}));
    }

    /// Answers the next `times` file sends (`sendDocument`, `sendPhoto`) with 429, retry after 1 s:
    /// Telegram refusing for a while.
    pub fn refuse_files(&self, times: u32) {
        self.shared.update(|s| s.refuse_files = times);
    }

    /// Answers the next `times` file sends with server errors: 500 with Telegram's JSON, then 502 with an
    /// HTML page (a proxy in front of Telegram), in turn. Telegram broken for a while.
    pub fn break_files(&self, times: u32) {
        self.shared.update(|s| s.break_files = times);
    }

    /// Every file sent to `chat` with `sendDocument` / `sendPhoto`, in order.
    pub fn files_sent_to(&self, chat: i64) -> Vec<SentFile> {
        self.shared
            .read(|s| s.files_sent.get(&chat).cloned().unwrap_or_default())
    }

    /// Answers the next `times` sendMessage calls with 429 and `retry_after` seconds.
    pub fn answer_429(&self, times: u32, retry_after: u32) {
        self.shared.update(|s| {
            s.answer_429 = times;
            s.retry_after = retry_after;
        });
    }

    /// After each acknowledged webhook POST, POST the same update `times` more (as Telegram does when an
    /// acknowledgement does not reach it).
    pub fn repeat_webhook_deliveries(&self, times: u32) {
        self.shared.update(|s| s.repeat_webhook = times);
    }

    /// The webhook set with `setWebhook`, if any.
    pub fn webhook(&self) -> Option<Webhook> {
        self.shared.read(|s| s.webhook.clone())
    }

    /// `getUpdates` calls answered 409 because another was in flight.
    pub fn conflicts(&self) -> u64 {
        self.shared.read(|s| s.conflicts)
    }

    /// `getUpdates` calls answered 409 because a webhook was set.
    pub fn refused_while_webhook(&self) -> u64 {
        self.shared.read(|s| s.refused_while_webhook)
    }

    /// `getUpdates` calls so far.
    pub fn get_updates(&self) -> u64 {
        self.shared.read(|s| s.get_updates)
    }

    /// Webhook POSTs answered with a 2xx, and those answered otherwise (or not at all).
    pub fn webhook_posts(&self) -> (u64, u64) {
        self.shared.read(|s| (s.webhook_acks, s.webhook_failures))
    }

    /// File downloads served.
    pub fn downloads(&self) -> u64 {
        self.shared.read(|s| s.downloads)
    }

    /// Every message sent to `chat`, in order (edited ones with their latest text).
    pub fn sent_to(&self, chat: i64) -> Vec<Sent> {
        self.shared.read(|s| s.sent.get(&chat).cloned().unwrap_or_default())
    }

    /// Accepted `sendMessage` calls so far, every chat.
    pub fn total_sent(&self) -> u64 {
        self.shared.read(|s| s.total_sent)
    }

    /// Every `sendMessage` call so far, refused ones (429) included.
    pub fn send_attempts(&self) -> u64 {
        self.shared.read(|s| s.send_attempts)
    }

    /// Requests the fake could not answer (wrong token, unknown method, malformed HTTP).
    pub fn bad_requests(&self) -> u64 {
        self.shared.read(|s| s.bad_requests)
    }

    /// The command menus registered with `setMyCommands`, as sent.
    pub fn command_menus(&self) -> Vec<Value> {
        self.shared.read(|s| s.commands.clone())
    }

    /// Waits until `pick` holds, up to `patience`; answers whether it did.
    pub async fn wait_until(&self, patience: Duration, mut pick: impl FnMut(&StateView) -> bool) -> bool {
        let mut changes = self.shared.changed.subscribe();
        let deadline = tokio::time::Instant::now() + patience;
        loop {
            if self.shared.read(|s| pick(&StateView(s))) {
                return true;
            }
            if tokio::time::timeout_at(deadline, changes.changed()).await.is_err() {
                return false;
            }
        }
    }

    /// Waits until the bot polls `getUpdates` (it has started, and its outbox delivery with it).
    pub async fn wait_polling(&self, patience: Duration) -> Result<(), String> {
        if self.wait_until(patience, |s| s.get_updates() > 0).await {
            Ok(())
        } else {
            Err(format!(
                "the bot did not poll the fake Bot API at {} within {patience:?}",
                self.addr
            ))
        }
    }

    /// Waits until `pick` finds something in the state; fails the test after the patience.
    async fn wait_for<T>(&self, what: &str, mut pick: impl FnMut(&mut State) -> Option<T>) -> T {
        let mut changes = self.shared.changed.subscribe();
        let deadline = tokio::time::Instant::now() + self.patience;
        loop {
            if let Some(found) = self.shared.read(&mut pick) {
                return found;
            }
            if tokio::time::timeout_at(deadline, changes.changed()).await.is_err() {
                panic!("fake Telegram: no {what} within {:?}", self.patience);
            }
        }
    }

    /// The next message sent to `chat` that the caller has not looked at yet.
    pub async fn next_message(&self, chat: i64) -> Sent {
        self.wait_for(&format!("message to chat {chat}"), |s| {
            let seen = s.seen.get(&chat).copied().unwrap_or(0);
            let found = s.sent.get(&chat).and_then(|sent| sent.get(seen)).cloned();
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
            let found = s.edits.get(&chat).and_then(|edits| edits.get(seen)).cloned();
            if found.is_some() {
                s.seen_edits.insert(chat, seen + 1);
            }
            found
        })
        .await
    }
}

impl Drop for FakeTelegram {
    /// Stops serving: open connections are dropped, and the port is free again once this returns.
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Accepts connections until `stopped` turns true; each is served by a task of its own.
async fn accept(listener: tokio::net::TcpListener, shared: Arc<Shared>, mut stopped: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let shared = shared.clone();
                tokio::spawn(async move {
                    let answering = shared.clone();
                    http::serve(
                        stream,
                        |request| {
                            let shared = answering.clone();
                            async move { api::answer(&shared, request).await }
                        },
                        || shared.update(|s| s.bad_requests += 1),
                    )
                    .await;
                });
            }
            _ = stopped.changed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn call(http: &reqwest::Client, fake: &FakeTelegram, method: &str, body: Value) -> (u16, Value) {
        let response = http
            .post(format!("{}/bot{}/{method}", fake.url(), fake.token))
            .json(&body)
            .send()
            .await
            .expect("the fake answers");
        let status = response.status().as_u16();
        (status, response.json().await.expect("a JSON answer"))
    }

    #[tokio::test]
    async fn answers_get_me_records_messages_and_counts_bad_requests() {
        let fake = FakeTelegram::start();
        let http = reqwest::Client::new();
        let (_, me) = call(&http, &fake, "getMe", json!({})).await;
        assert_eq!(me["result"]["username"], BOT_USERNAME);
        let (_, sent) = call(&http, &fake, "sendMessage", json!({"chat_id": 7, "text": "hello"})).await;
        assert_eq!(sent["result"]["chat"]["id"], 7);
        assert_eq!(fake.expect(7, "hello").await.chat_id, 7);
        assert_eq!(fake.total_sent(), 1);
        assert_eq!(fake.bad_requests(), 0);
        let wrong = http
            .post(format!("{}/botnope/getMe", fake.url()))
            .send()
            .await
            .expect("wrong token");
        assert_eq!(wrong.status(), 401);
        let (status, _) = call(&http, &fake, "sendSticker", json!({})).await;
        assert_eq!(status, 404);
        assert_eq!(fake.bad_requests(), 2);
    }

    #[tokio::test]
    async fn updates_below_the_offset_are_confirmed_and_not_sent_again() {
        let fake = FakeTelegram::start();
        let http = reqwest::Client::new();
        let user = TgUser::new(42, "Sari", "id");
        fake.send_text(&user, "one");
        fake.send_text(&user, "two");
        let (_, both) = call(&http, &fake, "getUpdates", json!({"offset": 0})).await;
        let ids: Vec<i64> = both["result"]
            .as_array()
            .expect("updates")
            .iter()
            .map(|u| u["update_id"].as_i64().expect("an id"))
            .collect();
        assert_eq!(ids.len(), 2);
        let (_, rest) = call(&http, &fake, "getUpdates", json!({"offset": ids[1]})).await;
        assert_eq!(rest["result"][0]["message"]["text"], "two");
        assert_eq!(rest["result"].as_array().map(Vec::len), Some(1));
        let (_, none) = call(&http, &fake, "getUpdates", json!({"offset": ids[1] + 1})).await;
        assert_eq!(none["result"], json!([]));
        assert!(fake.wait_until(DEFAULT_PATIENCE, |s| s.get_updates() == 3).await);
    }

    #[tokio::test]
    async fn answers_429_on_demand_and_serves_files() {
        let fake = FakeTelegram::start();
        let http = reqwest::Client::new();
        fake.answer_429(1, 3);
        let (status, refused) = call(&http, &fake, "sendMessage", json!({"chat_id": 7, "text": "a"})).await;
        assert_eq!(status, 429);
        assert_eq!(refused["parameters"]["retry_after"], 3);
        let (status, _) = call(&http, &fake, "sendMessage", json!({"chat_id": 7, "text": "b"})).await;
        assert_eq!(status, 200);
        assert_eq!((fake.send_attempts(), fake.total_sent()), (2, 1));

        fake.send_photo(&TgUser::new(8, "Budi", "en"), "f1", b"jpeg bytes", None, None);
        let (_, file) = call(&http, &fake, "getFile", json!({"file_id": "f1"})).await;
        let path = file["result"]["file_path"].as_str().expect("a file path");
        // As teloxide asks for it: the file path is one percent-encoded segment.
        let bytes = http
            .get(format!(
                "{}/file/bot{}/{}",
                fake.url(),
                fake.token,
                path.replace('/', "%2F")
            ))
            .send()
            .await
            .expect("download")
            .bytes()
            .await
            .expect("bytes");
        assert_eq!(&bytes[..], b"jpeg bytes");
        let (status, _) = call(&http, &fake, "getFile", json!({"file_id": "nope"})).await;
        assert_eq!(status, 400);
    }

    #[tokio::test]
    async fn a_second_concurrent_get_updates_is_refused_with_409_as_telegram_does() {
        let fake = FakeTelegram::start();
        let http = reqwest::Client::new();
        // The first is held (nothing queued) while the second arrives.
        let first = call(&http, &fake, "getUpdates", json!({"offset": 0}));
        let second = async {
            assert!(fake.wait_until(DEFAULT_PATIENCE, |s| s.get_updates() == 1).await);
            call(&http, &fake, "getUpdates", json!({"offset": 0})).await
        };
        let ((held, _), (refused, body)) = tokio::join!(first, second);
        assert_eq!((held, refused), (200, 409));
        assert!(
            body["description"]
                .as_str()
                .unwrap()
                .contains("terminated by other getUpdates")
        );
        assert_eq!(fake.conflicts(), 1);
        // One after the other is fine.
        let (status, _) = call(&http, &fake, "getUpdates", json!({"offset": 0})).await;
        assert_eq!(status, 200);
        assert_eq!(fake.conflicts(), 1);
    }

    /// A webhook receiver answering `status`, recording every request it reads.
    async fn receiver(status: u16) -> (String, tokio::sync::mpsc::UnboundedReceiver<String>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/telegram/webhook", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            loop {
                let (mut stream, _) = listener.accept().await.unwrap();
                let tx = tx.clone();
                tokio::spawn(async move {
                    use tokio::io::{AsyncReadExt, AsyncWriteExt};
                    let mut request = Vec::new();
                    let mut buf = [0u8; 4096];
                    // Headers, then the body by its length.
                    loop {
                        let n = stream.read(&mut buf).await.unwrap();
                        request.extend_from_slice(&buf[..n]);
                        let text = String::from_utf8_lossy(&request).to_string();
                        if let Some(end) = text.find("\r\n\r\n") {
                            let length: usize = text
                                .lines()
                                .find_map(|l| l.strip_prefix("content-length: "))
                                .map_or(0, |l| l.trim().parse().unwrap());
                            if request.len() >= end + 4 + length || n == 0 {
                                break;
                            }
                        }
                    }
                    let _ = tx.send(String::from_utf8_lossy(&request).to_string());
                    let answer = format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\n\r\n");
                    let _ = stream.write_all(answer.as_bytes()).await;
                });
            }
        });
        (url, rx)
    }

    #[tokio::test]
    async fn with_a_webhook_updates_are_posted_with_the_secret_and_get_updates_is_refused() {
        let fake = FakeTelegram::start();
        let http = reqwest::Client::new();
        let (url, mut requests) = receiver(200).await;
        let user = TgUser::new(42, "Sari", "id");
        fake.send_text(&user, "one");
        let (status, _) = call(
            &http,
            &fake,
            "setWebhook",
            json!({"url": url, "secret_token": "s3cret"}),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(fake.webhook().unwrap().secret.as_deref(), Some("s3cret"));
        let first = requests.recv().await.unwrap();
        assert!(first.starts_with("POST /telegram/webhook HTTP/1.1"), "{first}");
        assert!(first.contains("x-telegram-bot-api-secret-token: s3cret"), "{first}");
        assert!(first.contains("\"text\":\"one\""), "{first}");
        // Acknowledged updates are not sent again; a repeat is sent when asked for.
        fake.repeat_webhook_deliveries(1);
        fake.send_text(&user, "two");
        let second = requests.recv().await.unwrap();
        let again = requests.recv().await.unwrap();
        assert!(second.contains("\"text\":\"two\"") && again.contains("\"text\":\"two\""));
        assert!(fake.wait_until(DEFAULT_PATIENCE, |s| s.webhook_acks() == 3).await);
        let (status, body) = call(&http, &fake, "getUpdates", json!({"offset": 0})).await;
        assert_eq!(status, 409, "{body}");
        assert_eq!(fake.refused_while_webhook(), 1);
        let (_, info) = call(&http, &fake, "getWebhookInfo", json!({})).await;
        assert_eq!(info["result"]["url"], url.as_str());
        call(&http, &fake, "deleteWebhook", json!({})).await;
        assert_eq!(fake.webhook(), None);
    }

    #[tokio::test]
    async fn an_update_the_webhook_refuses_is_posted_again() {
        let fake = FakeTelegram::start();
        let http = reqwest::Client::new();
        let (url, mut requests) = receiver(401).await;
        fake.send_text(&TgUser::new(42, "Sari", "id"), "one");
        call(&http, &fake, "setWebhook", json!({"url": url})).await;
        requests.recv().await.unwrap();
        requests.recv().await.unwrap();
        assert!(fake.wait_until(DEFAULT_PATIENCE, |s| s.pending_updates() == 1).await);
        assert_eq!(fake.webhook_posts().0, 0);
    }

    #[test]
    fn dropping_the_fake_frees_its_port() {
        let fake = FakeTelegram::start();
        let addr = fake.addr;
        drop(fake);
        std::net::TcpListener::bind(addr).expect("the port is free again");
    }
}
