//! The Bot API methods the fake answers, and the JSON shapes of users, chats and messages.
//!
//! Known methods: `getMe`, `getWebhookInfo`, `deleteWebhook`, `setMyCommands`, `getUpdates`,
//! `sendMessage`, `editMessageText`, `answerCallbackQuery`, `getFile`, and file downloads at
//! `/file/bot<token>/<path>`. Anything else, and any wrong token, is counted as a bad request.

use std::time::Instant;

use serde_json::{Value, json};

use crate::http::{Request, Response};
use crate::{BOT_ID, BOT_USERNAME, LONG_POLL, Sent, Shared};

/// Answers one request.
pub async fn answer(shared: &Shared, request: Request) -> Response {
    if request.method.eq_ignore_ascii_case("GET")
        && let Some(path) = request.path.strip_prefix(&shared.file_prefix)
    {
        return file(shared, path);
    }
    let Some(method) = request.path.strip_prefix(&shared.method_prefix) else {
        shared.update(|s| s.bad_requests += 1);
        return refuse(401, "Unauthorized", None);
    };
    let body: Value = serde_json::from_slice(&request.body).unwrap_or(json!({}));
    match method.to_ascii_lowercase().as_str() {
        "getme" => ok(bot_user()),
        "getwebhookinfo" => ok(json!({"url": "", "has_custom_certificate": false, "pending_update_count": 0})),
        "deletewebhook" | "answercallbackquery" => ok(json!(true)),
        "setmycommands" => {
            shared.update(|s| s.commands.push(body));
            ok(json!(true))
        }
        "getupdates" => get_updates(shared, &body).await,
        "sendmessage" => send_message(shared, &body, request.at),
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
async fn get_updates(shared: &Shared, body: &Value) -> Response {
    let offset = body["offset"].as_i64().unwrap_or(0);
    let mut changes = shared.changed.subscribe();
    shared.update(|s| s.get_updates += 1);
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
        Some(body) => Response {
            status: "200 OK",
            content_type: "application/octet-stream",
            body,
        },
        None => Response {
            status: "404 Not Found",
            content_type: "text/plain",
            body: b"no such file".to_vec(),
        },
    }
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
