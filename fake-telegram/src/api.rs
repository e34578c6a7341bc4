//! The Bot API methods the fake answers, and the JSON shapes of users, chats and messages.
//!
//! Known methods: `getMe`, `getWebhookInfo`, `setWebhook`, `deleteWebhook`, `setMyCommands`, `getUpdates`,
//! `sendMessage`, `sendDocument`, `sendPhoto` (multipart, the file's bytes recorded), `editMessageText`,
//! `answerCallbackQuery`, `getFile`, and file downloads at
//! `/file/bot<token>/<path>`. Anything else, and any wrong token, is counted as a bad request.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::http::{self, Request, Response};
use crate::{BOT_ID, BOT_USERNAME, LONG_POLL, Sent, Shared, Webhook};

/// Pause before POSTing an update to the webhook again after a failed attempt.
const WEBHOOK_RETRY: Duration = Duration::from_millis(100);

/// Answers one request.
pub async fn answer(shared: &Arc<Shared>, request: Request) -> Response {
    if request.method.eq_ignore_ascii_case("GET")
        && let Some(path) = request.path.strip_prefix(&shared.file_prefix)
    {
        return file(shared, path);
    }
    let Some(method) = request.path.strip_prefix(&shared.method_prefix) else {
        shared.update(|s| s.bad_requests += 1);
        return refuse(401, "Unauthorized", None);
    };
    let body: Value = serde_json::from_slice(&request.body).unwrap_or_else(|_| form_fields(&request.body));
    match method.to_ascii_lowercase().as_str() {
        "getme" => ok(bot_user()),
        "getwebhookinfo" => {
            let (url, pending) = shared.read(|s| {
                (
                    s.webhook.as_ref().map(|w| w.url.clone()).unwrap_or_default(),
                    s.updates.len(),
                )
            });
            ok(json!({"url": url, "has_custom_certificate": false, "pending_update_count": pending}))
        }
        "setwebhook" => set_webhook(shared, &body),
        "deletewebhook" => {
            shared.update(|s| {
                s.webhook = None;
                if body["drop_pending_updates"].as_bool() == Some(true) {
                    s.updates.clear();
                }
            });
            ok(json!(true))
        }
        "answercallbackquery" => ok(json!(true)),
        "setmycommands" => {
            shared.update(|s| s.commands.push(body));
            ok(json!(true))
        }
        "getupdates" => get_updates(shared, &body).await,
        "sendmessage" => send_message(shared, &body, request.at),
        "senddocument" => send_file(shared, "document", &request.body, request.at),
        "sendphoto" => send_file(shared, "photo", &request.body, request.at),
        "editmessagetext" => edit_message(shared, &body, request.at),
        "getfile" => get_file(shared, &body),
        _ => {
            shared.update(|s| s.bad_requests += 1);
            refuse(404, "Not Found: method not found", None)
        }
    }
}

/// Every update from `offset` on, held up to [`LONG_POLL`] while there are none. Updates below the
/// offset are confirmed and forgotten.
/// Like Telegram: 409 while another `getUpdates` is in flight (two bots polling with one token), or while a
/// webhook is set.
async fn get_updates(shared: &Shared, body: &Value) -> Response {
    let offset = body["offset"].as_i64().unwrap_or(0);
    let mut changes = shared.changed.subscribe();
    let refusal = shared.update(|s| {
        s.get_updates += 1;
        if s.webhook.is_some() {
            s.refused_while_webhook += 1;
            Some("Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first")
        } else if s.polling > 0 {
            s.conflicts += 1;
            Some("Conflict: terminated by other getUpdates request; make sure that only one bot instance is running")
        } else {
            s.polling += 1;
            None
        }
    });
    if let Some(description) = refusal {
        return refuse(409, description, None);
    }
    // Counted out however this ends, the connection dropped included.
    struct Polling<'a>(&'a Shared);
    impl Drop for Polling<'_> {
        fn drop(&mut self) {
            self.0.update(|s| s.polling -= 1);
        }
    }
    let _polling = Polling(shared);
    let deadline = tokio::time::Instant::now() + LONG_POLL;
    loop {
        let pending: Vec<Value> = shared.read(|s| {
            s.updates.retain(|u| u["update_id"].as_i64().unwrap_or(0) >= offset);
            s.updates.iter().cloned().collect()
        });
        if !pending.is_empty() {
            return ok(Value::Array(pending));
        }
        if tokio::time::timeout_at(deadline, changes.changed()).await.is_err() {
            return ok(json!([]));
        }
    }
}

/// Sets the webhook and starts POSTing queued updates to it.
fn set_webhook(shared: &Arc<Shared>, body: &Value) -> Response {
    let Some(url) = body["url"].as_str().filter(|u| !u.is_empty()) else {
        return refuse(
            400,
            "Bad Request: bad webhook: an HTTPS URL must be provided for webhook",
            None,
        );
    };
    let webhook = Webhook {
        url: url.to_string(),
        secret: body["secret_token"].as_str().map(str::to_string),
    };
    let start = shared.update(|s| {
        s.webhook = Some(webhook);
        !std::mem::replace(&mut s.delivering, true)
    });
    if start {
        tokio::spawn(deliver(shared.clone()));
    }
    ok(json!(true))
}

/// POSTs queued updates to the webhook one at a time, in order, until each is acknowledged with a 2xx;
/// stops when the webhook is deleted.
async fn deliver(shared: Arc<Shared>) {
    let mut changes = shared.changed.subscribe();
    loop {
        let next = shared.read(|s| match &s.webhook {
            None => {
                s.delivering = false;
                Err(())
            }
            Some(webhook) => Ok(s
                .updates
                .front()
                .cloned()
                .map(|u| (webhook.clone(), u, s.repeat_webhook))),
        });
        let (webhook, update, repeat) = match next {
            Err(()) => return,
            Ok(Some(next)) => next,
            Ok(None) => {
                let _ = changes.changed().await;
                continue;
            }
        };
        let id = update["update_id"].as_i64();
        let status = http::post(&webhook.url, webhook.secret.as_deref(), &update.to_string()).await;
        let acknowledged = matches!(status, Ok(200..=299));
        shared.update(|s| {
            if acknowledged {
                s.webhook_acks += 1;
                if s.updates.front().and_then(|u| u["update_id"].as_i64()) == id {
                    s.updates.pop_front();
                }
            } else {
                s.webhook_failures += 1;
            }
        });
        if !acknowledged {
            tokio::time::sleep(WEBHOOK_RETRY).await;
            continue;
        }
        for _ in 0..repeat {
            let again = http::post(&webhook.url, webhook.secret.as_deref(), &update.to_string()).await;
            shared.update(|s| match again {
                Ok(200..=299) => s.webhook_acks += 1,
                _ => s.webhook_failures += 1,
            });
        }
    }
}

fn send_message(shared: &Shared, body: &Value, at: Instant) -> Response {
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
            text,
            buttons: buttons(&body["reply_markup"]),
            at,
        };
        s.sent.entry(chat_id).or_default().push(sent.clone());
        s.total_sent += 1;
        Ok(sent)
    });
    match outcome {
        Ok(sent) => ok(message_with_markup(&sent, body)),
        Err(retry_after) => refuse(
            429,
            &format!("Too Many Requests: retry after {retry_after}"),
            Some(json!({"retry_after": retry_after})),
        ),
    }
}

/// `sendDocument` / `sendPhoto`: records the file part's name and bytes (`kind` is the field it came
/// in). Answered 429 (retry after 1 s) while [`crate::FakeTelegram::refuse_files`] says so, then 500 and 502
/// while [`crate::FakeTelegram::break_files`] does.
fn send_file(shared: &Shared, kind: &str, body: &[u8], at: Instant) -> Response {
    let parts = form_parts(body);
    let field = |name: &str| {
        parts
            .iter()
            .find(|p| p.name == name)
            .map(|p| String::from_utf8_lossy(&p.bytes).into_owned())
    };
    let chat_id = field("chat_id").and_then(|c| c.parse().ok()).unwrap_or_default();
    // The file is in the field itself, or (as teloxide sends it) in the part the field names as
    // `attach://<name>`.
    let target = match field(kind) {
        Some(value) if value.starts_with("attach://") => value.trim_start_matches("attach://").to_string(),
        _ => kind.to_string(),
    };
    let Some(file) = parts.iter().find(|p| p.name == target && p.file_name.is_some()) else {
        return refuse(400, "Bad Request: there is no file in the request", None);
    };
    let outcome = shared.update(|s| {
        s.send_attempts += 1;
        if s.refuse_files > 0 {
            s.refuse_files -= 1;
            return Err(429);
        }
        if s.break_files > 0 {
            s.break_files -= 1;
            return Err(if s.break_files % 2 == 1 { 500 } else { 502 });
        }
        s.next_message_id += 1;
        let sent = crate::SentFile {
            chat_id,
            message_id: s.next_message_id,
            kind: kind.to_string(),
            file_name: file.file_name.clone().unwrap_or_default(),
            bytes: file.bytes.clone(),
            at,
        };
        s.files_sent.entry(chat_id).or_default().push(sent.clone());
        Ok(sent)
    });
    let sent = match outcome {
        Ok(sent) => sent,
        Err(429) => return refuse(429, "Too Many Requests: retry after 1", Some(json!({"retry_after": 1}))),
        Err(500) => return refuse(500, "Internal Server Error", None),
        Err(_) => {
            return Response {
                status: "502 Bad Gateway",
                content_type: "text/html",
                body: b"<html><body><h1>502 Bad Gateway</h1></body></html>".to_vec(),
            };
        }
    };
    let mut message = json!({
        "message_id": sent.message_id, "date": unix_now(), "from": bot_user(),
        "chat": {"id": chat_id, "type": "private", "first_name": "Reporter"},
    });
    let file_id = format!("sent-{}", sent.message_id);
    let size = sent.bytes.len();
    match kind {
        "photo" => {
            message["photo"] = json!([{"file_id": file_id, "file_unique_id": format!("{file_id}-u"), "width": 1, "height": 1, "file_size": size}]);
        }
        _ => {
            message["document"] = json!({"file_id": file_id, "file_unique_id": format!("{file_id}-u"), "file_name": sent.file_name, "file_size": size});
        }
    }
    ok(message)
}

/// One part of a `multipart/form-data` body, bytes as sent.
struct FormPart {
    name: String,
    file_name: Option<String>,
    bytes: Vec<u8>,
}

/// The parts of a `multipart/form-data` body, read as bytes (a file's content may be anything).
fn form_parts(body: &[u8]) -> Vec<FormPart> {
    let Some(line_end) = find(body, b"\r\n") else {
        return Vec::new();
    };
    let boundary = [b"\r\n", &body[..line_end]].concat();
    let mut parts = Vec::new();
    // After the first boundary line; each part ends at "\r\n--boundary".
    let mut rest = &body[line_end + 2..];
    while let Some(end) = find(rest, &boundary) {
        let part = &rest[..end];
        if let Some(head_end) = find(part, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&part[..head_end]);
            let attribute = |key: &str| {
                head.split(&format!("{key}=\""))
                    .nth(1)
                    .and_then(|r| r.split('"').next())
                    .map(str::to_string)
            };
            if let Some(name) = attribute("name") {
                parts.push(FormPart {
                    name,
                    file_name: attribute("filename"),
                    bytes: part[head_end + 4..].to_vec(),
                });
            }
        }
        rest = &rest[end + boundary.len()..];
        match rest.get(..2) {
            Some(b"\r\n") => rest = &rest[2..],
            _ => break,
        }
    }
    parts
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn edit_message(shared: &Shared, body: &Value, at: Instant) -> Response {
    let chat_id = body["chat_id"].as_i64().unwrap_or_default();
    let edited = Sent {
        chat_id,
        message_id: body["message_id"].as_i64().unwrap_or_default(),
        text: body["text"].as_str().unwrap_or_default().to_string(),
        buttons: buttons(&body["reply_markup"]),
        at,
    };
    shared.update(|s| {
        if let Some(original) = s
            .sent
            .get_mut(&chat_id)
            .and_then(|sent| sent.iter_mut().find(|m| m.message_id == edited.message_id))
        {
            *original = edited.clone();
        }
        s.edits.entry(chat_id).or_default().push(edited.clone());
    });
    ok(message_with_markup(&edited, body))
}

fn get_file(shared: &Shared, body: &Value) -> Response {
    let id = body["file_id"].as_str().unwrap_or_default().to_string();
    let found = shared.read(|s| s.files.get(&id).map(|(path, bytes)| (path.clone(), bytes.len())));
    match found {
        Some((path, size)) => ok(json!({
            "file_id": id, "file_unique_id": format!("{id}-u"), "file_size": size, "file_path": path,
        })),
        None => refuse(400, "Bad Request: invalid file_id", None),
    }
}

fn file(shared: &Shared, path: &str) -> Response {
    let bytes = shared.read(|s| s.files.values().find(|(p, _)| p == path).map(|(_, b)| b.clone()));
    match bytes {
        Some(body) => {
            shared.update(|s| s.downloads += 1);
            Response {
                status: "200 OK",
                content_type: "application/octet-stream",
                body,
            }
        }
        None => Response {
            status: "404 Not Found",
            content_type: "text/plain",
            body: b"no such file".to_vec(),
        },
    }
}

/// The fields of a `multipart/form-data` body (teloxide sends methods that may carry a file, such as
/// `setWebhook`, that way), as a JSON object of strings; `{}` for anything else.
fn form_fields(body: &[u8]) -> Value {
    let text = String::from_utf8_lossy(body);
    let Some(boundary) = text.lines().next().map(str::trim).filter(|b| b.starts_with("--")) else {
        return json!({});
    };
    let mut fields = serde_json::Map::new();
    for part in text.split(boundary).skip(1) {
        let Some((head, value)) = part.split_once("\r\n\r\n") else {
            continue;
        };
        let name = head.split("name=\"").nth(1).and_then(|rest| rest.split('"').next());
        if let Some(name) = name {
            fields.insert(name.to_string(), json!(value.trim_end_matches("\r\n")));
        }
    }
    Value::Object(fields)
}

/// The bot itself, as `getMe` answers (every field teloxide requires).
pub fn bot_user() -> Value {
    json!({
        "id": BOT_ID, "is_bot": true, "first_name": "Loket", "username": BOT_USERNAME,
        "can_join_groups": false, "can_read_all_group_messages": false, "supports_inline_queries": false,
        "has_main_web_app": false,
    })
}

/// `m` as a full Message object from the bot.
pub fn bot_message(m: &Sent) -> Value {
    json!({
        "message_id": m.message_id, "date": unix_now(), "text": m.text, "from": bot_user(),
        "chat": {"id": m.chat_id, "type": "private", "first_name": "Reporter"},
    })
}

fn message_with_markup(m: &Sent, request: &Value) -> Value {
    let mut message = bot_message(m);
    if let Some(markup) = request.get("reply_markup") {
        message["reply_markup"] = markup.clone();
    }
    message
}

pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Inline buttons, rows flattened: (label, callback data).
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

fn ok(result: Value) -> Response {
    json_response("200 OK", json!({"ok": true, "result": result}))
}

fn refuse(code: u16, description: &str, parameters: Option<Value>) -> Response {
    let mut body = json!({"ok": false, "error_code": code, "description": description});
    if let Some(parameters) = parameters {
        body["parameters"] = parameters;
    }
    let status = match code {
        400 => "400 Bad Request",
        401 => "401 Unauthorized",
        404 => "404 Not Found",
        409 => "409 Conflict",
        429 => "429 Too Many Requests",
        _ => "500 Internal Server Error",
    };
    json_response(status, body)
}

fn json_response(status: &'static str, body: Value) -> Response {
    Response {
        status,
        content_type: "application/json",
        body: body.to_string().into_bytes(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_fields_are_read_as_strings() {
        let body = "--XyZ\r\nContent-Disposition: form-data; name=\"url\"\r\n\r\nhttp://127.0.0.1:9/telegram/webhook\r\n\
                    --XyZ\r\ncontent-disposition: form-data; name=\"secret_token\"\r\n\r\ns3cret\r\n--XyZ--\r\n";
        let fields = form_fields(body.as_bytes());
        assert_eq!(fields["url"], "http://127.0.0.1:9/telegram/webhook");
        assert_eq!(fields["secret_token"], "s3cret");
        assert_eq!(form_fields(b"not a form"), json!({}));
    }
}
