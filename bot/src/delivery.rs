//! Delivers the notification outbox to Telegram: in order per chat, within Telegram's limits, at most once.
//!
//! Only the bot's leader delivers (the instance holding [`BOT_LEASE`](crate::BOT_LEASE)), so Telegram's
//! limits — a second between messages to one chat, [`GLOBAL_GAP`](crate::pacing::GLOBAL_GAP) between any
//! two — are kept by one [`Pacer`] for the whole cluster. A new leader waits one
//! [`PER_CHAT_GAP`](crate::pacing::PER_CHAT_GAP) before its first send, for the previous leader's last.
//!
//! Each pass takes the oldest pending notification of every chat (a later one waits for it), claims it
//! (`sending_since`, `claimed_by`) in its own statement — fenced by the lease: the claim succeeds only
//! while this instance still holds the lease with the same token, by the database clock — sends one part,
//! and records the answer:
//! - accepted: the part is counted (`parts_sent`); after the last part the row is `delivered`;
//! - 429: retried after Telegram's `retry_after`, and nothing at all is sent until then;
//! - certainly not accepted (refused connection, a 5xx): retried with exponential backoff, up to
//!   [`MAX_ATTEMPTS`](crate::pacing::MAX_ATTEMPTS), then `failed`;
//! - blocked by the user, chat gone: `failed` at once;
//! - the connection broke after the request went out: Telegram may have shown it, so `failed`
//!   ("outcome unknown") rather than risk a duplicate.
//!
//! **The crash window.** If the leader dies after Telegram accepted a part but before the row was updated,
//! the claim is still there. Loket cannot ask Telegram whether the message arrived, so it chooses *at most
//! once*: the survivor that cleans up after the dead instance (`loket_core::cluster`) marks such rows
//! `failed` with [`INTERRUPTED`], visible to agents on the ticket, and they are never resent. A graceful
//! stop (or a lost lease) never leaves a claim: the loop stops only between sends.

use std::time::{Duration, Instant};

use chrono::Utc;
use loket_core::cluster::Leadership;
use loket_core::db::Pool;
use loket_core::db::attachments;
use loket_core::db::outbox::{self, Claimant, Head};
use loket_core::outbox::OutboxSignal;
use loket_protocol::AttachmentId;
use loket_protocol::ticket::{Notice, Status};
use teloxide::prelude::*;
use teloxide::types::{InputFile, ReplyMarkup};
use teloxide::{ApiError, RequestError};
use tokio::sync::watch;

use crate::pacing::{AfterFailure, MAX_MESSAGE_CHARS, PER_CHAT_GAP, Pacer, SendFailure, after_failure, split_message};
use crate::store::{self, StoreError};
use crate::texts::{self, Lang};

pub use loket_core::db::outbox::INTERRUPTED;

/// The outbox is checked this often even if nothing woke the loop: a change committed on another instance
/// signals only that instance.
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);
/// After a database error, wait this long before the next pass.
const ERROR_PAUSE: Duration = Duration::from_secs(2);
/// Tries to record an answer Telegram gave before giving up (the row then stays claimed).
const RECORD_ATTEMPTS: u32 = 5;

/// Delivers as `claimant` until `shutdown` turns true or its term of `leadership` ends; `wake` shortens the
/// wait when new notifications were committed here.
pub async fn run(
    bot: Bot,
    pool: Pool,
    wake: OutboxSignal,
    claimant: Claimant,
    leadership: &Leadership,
    mut shutdown: watch::Receiver<bool>,
) {
    let leading = |shutdown: &watch::Receiver<bool>| !*shutdown.borrow() && leadership.holds(claimant.term);
    // The previous leader may have sent to a chat a moment ago.
    tokio::select! {
        _ = tokio::time::sleep(PER_CHAT_GAP) => {}
        _ = leadership.lost(claimant.term) => return,
        _ = shutdown.changed() => return,
    }
    let mut pacer = Pacer::default();
    while leading(&shutdown) {
        let wait = match pass(&bot, &pool, &mut pacer, claimant, &|| leading(&shutdown)).await {
            Ok(next) => next.map_or(POLL_INTERVAL, |at| at.saturating_duration_since(Instant::now())),
            Err(err) => {
                tracing::warn!(error = %err, "outbox pass failed");
                ERROR_PAUSE
            }
        };
        if wait.is_zero() {
            continue;
        }
        tokio::select! {
            _ = wake.wait() => {}
            _ = tokio::time::sleep(wait.min(POLL_INTERVAL)) => {}
            _ = leadership.lost(claimant.term) => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// Sends what is due; returns when the next notification will be due (`Some(now)`: go again at once).
async fn pass(
    bot: &Bot,
    pool: &Pool,
    pacer: &mut Pacer,
    claimant: Claimant,
    leading: &dyn Fn() -> bool,
) -> Result<Option<Instant>, StoreError> {
    let heads = heads(pool).await?;
    let mut next: Option<Instant> = None;
    let mut sent_any = false;
    for head in heads {
        if !leading() {
            return Ok(None);
        }
        if head.claimed {
            continue;
        }
        let now = Instant::now();
        let retry_in = (head.next_attempt_at - Utc::now()).to_std().unwrap_or(Duration::ZERO);
        let due = pacer.ready_at(head.chat_id, now).max(now + retry_in);
        if due > now + crate::pacing::GLOBAL_GAP {
            next = Some(next.map_or(due, |n| n.min(due)));
            continue;
        }
        tokio::time::sleep_until(due.into()).await;
        if !leading() {
            return Ok(None);
        }
        send_part(bot, pool, pacer, claimant, &head).await?;
        sent_any = true;
    }
    Ok(if sent_any { Some(Instant::now()) } else { next })
}

async fn heads(pool: &Pool) -> Result<Vec<Head>, StoreError> {
    let client = pool.get().await?;
    Ok(outbox::heads(&client).await?)
}

/// The text of `head` as the reporter reads it: the one stored, or worded now in their language.
pub fn text_of(head: &Head) -> String {
    if let Some(text) = &head.text {
        return text.clone();
    }
    let lang = Lang::from_code(&head.language);
    let key = head.ticket_id.key();
    match &head.notice {
        Some(Notice::StatusChanged { status }) => texts::status_changed(lang, &key, &head.ticket_title, *status),
        Some(Notice::AgentReply { agent, body, .. }) => texts::agent_reply(lang, &key, agent.as_deref(), body),
        Some(Notice::Merged { into, into_title }) => texts::merged(lang, &key, &into.key(), into_title),
        // A row with neither text nor data cannot come from Loket; say something rather than nothing.
        None => texts::status_changed(lang, &key, &head.ticket_title, loket_protocol::ticket::Status::Open),
    }
}

/// Claims `head` (fenced by `claimant`'s lease), sends its next part and records the outcome.
async fn send_part(
    bot: &Bot,
    pool: &Pool,
    pacer: &mut Pacer,
    claimant: Claimant,
    head: &Head,
) -> Result<(), StoreError> {
    let text = text_of(head);
    let attempts: i32 = {
        let client = pool.get().await?;
        let Some(attempts) = outbox::claim(&client, head.id, &text, claimant).await? else {
            return Ok(());
        };
        attempts
    };
    let parts = split_message(&text, MAX_MESSAGE_CHARS);
    // A reply's files are parts too, after its text: one message each, counted in `parts_sent`, so a
    // retry after an outage sends the first part Telegram has not taken, never one twice.
    let files: &[AttachmentId] = match &head.notice {
        Some(Notice::AgentReply { attachments, .. }) => attachments,
        _ => &[],
    };
    let total = parts.len() + files.len();
    let index = usize::try_from(head.parts_sent).unwrap_or(0);
    let last = index + 1 >= total;
    let asked = Instant::now();
    let result = if let Some(part) = parts.get(index) {
        let mut request = bot.send_message(ChatId(head.chat_id), part.clone());
        // A resolved ticket: the rating buttons go under the notice's last part.
        if index + 1 >= parts.len()
            && matches!(
                head.notice,
                Some(Notice::StatusChanged {
                    status: Status::Resolved
                })
            )
        {
            let keyboard = crate::handlers::rating_keyboard(head.ticket_id);
            request = request.reply_markup(ReplyMarkup::InlineKeyboard(keyboard));
        }
        request.await
    } else if let Some(file) = index.checked_sub(parts.len()).and_then(|i| files.get(i)) {
        let content = {
            let client = pool.get().await?;
            attachments::content(&client, *file).await?
        };
        let Some((stored, bytes)) = content else {
            // Gone (its ticket deleted) or still on a data directory: nothing to send for this part.
            tracing::warn!(notification = head.id, attachment = %file, "a reply's file has no bytes in the database; skipped");
            return record(pool, head, Outcome::Delivered { message_id: None, last }).await;
        };
        let input = InputFile::memory(bytes).file_name(stored.file_name.clone());
        let chat = ChatId(head.chat_id);
        match is_photo(&stored.content_type, stored.size_bytes) {
            true => bot.send_photo(chat, input).await,
            false => bot.send_document(chat, input).await,
        }
    } else {
        return record(
            pool,
            head,
            Outcome::Delivered {
                message_id: None,
                last: true,
            },
        )
        .await;
    };
    let now = Instant::now();
    record_send(&result, now - asked);
    pacer.sent(head.chat_id, now);
    let outcome = match result {
        Ok(message) => Outcome::Delivered {
            message_id: Some(message.id.0),
            last,
        },
        Err(err) => {
            let failure = classify(&err);
            if let SendFailure::RetryAfter(wait) = failure {
                pacer.pause(now, wait);
            }
            tracing::info!(notification = head.id, error = %err, "notification not delivered");
            Outcome::Failed {
                then: after_failure(&failure, attempts),
                error: err.to_string(),
            }
        }
    };
    record(pool, head, outcome).await
}

/// Largest photo Telegram's `sendPhoto` takes; a larger image goes as a document.
const MAX_PHOTO_BYTES: i64 = 10 * 1024 * 1024;

/// Whether a file goes as a photo (shown inline) rather than a document: JPEG, PNG or WebP up to
/// [`MAX_PHOTO_BYTES`].
fn is_photo(content_type: &str, size_bytes: i64) -> bool {
    matches!(content_type, "image/jpeg" | "image/png" | "image/webp") && size_bytes <= MAX_PHOTO_BYTES
}

/// Sends by result (`ok`, `429`, `error`), with their latency.
pub const SENDS: &str = "loket_telegram_sends_total";
/// How long Telegram took to answer a send, by result.
pub const SEND_SECONDS: &str = "loket_telegram_send_seconds";

/// Registers the help text of the delivery metrics with the installed recorder.
pub fn describe_metrics() {
    metrics::describe_counter!(SENDS, "Notification parts sent to Telegram, by result (ok, 429, error)");
    metrics::describe_histogram!(
        SEND_SECONDS,
        metrics::Unit::Seconds,
        "Time Telegram took to answer a notification send, by result"
    );
}

/// Counts one send by how Telegram answered, and how long that took.
fn record_send<T>(result: &Result<T, RequestError>, took: Duration) {
    let result = match result {
        Ok(_) => "ok",
        Err(RequestError::RetryAfter(_)) => "429",
        Err(_) => "error",
    };
    metrics::counter!(SENDS, "result" => result).increment(1);
    metrics::histogram!(SEND_SECONDS, "result" => result).record(took);
}

/// What became of one attempt.
#[derive(Debug)]
enum Outcome {
    Delivered { message_id: Option<i32>, last: bool },
    Failed { then: AfterFailure, error: String },
}

/// Writes the outcome, retrying a little: once Telegram took a part, forgetting that would resend it.
async fn record(pool: &Pool, head: &Head, outcome: Outcome) -> Result<(), StoreError> {
    let mut tries = 0;
    loop {
        tries += 1;
        match try_record(pool, head, &outcome).await {
            Ok(()) => return Ok(()),
            Err(err) if tries < RECORD_ATTEMPTS => {
                tracing::warn!(error = %err, notification = head.id, "cannot record a delivery; retrying");
                tokio::time::sleep(ERROR_PAUSE).await;
            }
            Err(err) => return Err(err),
        }
    }
}

async fn try_record(pool: &Pool, head: &Head, outcome: &Outcome) -> Result<(), StoreError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    match outcome {
        Outcome::Delivered { message_id, last } => {
            if let Some(message_id) = message_id {
                store::remember_message_in(&tx, head.chat_id, *message_id, head.ticket_id).await?;
            }
            outbox::part_sent(&tx, head.id, *last).await?;
        }
        Outcome::Failed {
            then: AfterFailure::Retry(wait),
            error,
        } => outbox::retry_later(&tx, head.id, error, *wait).await?,
        Outcome::Failed {
            then: AfterFailure::Fail,
            error,
        } => outbox::failed(&tx, head.id, error).await?,
    }
    tx.commit().await?;
    Ok(())
}

/// Sorts a Bot API error by what it means for a retry.
pub fn classify(err: &RequestError) -> SendFailure {
    match err {
        RequestError::RetryAfter(wait) => SendFailure::RetryAfter(wait.duration()),
        RequestError::Api(ApiError::Unknown(text)) => SendFailure::Transient(text.clone()),
        RequestError::Api(api) => SendFailure::Permanent(api.to_string()),
        RequestError::MigrateToChatId(_) => SendFailure::Permanent(err.to_string()),
        RequestError::Network(net) if net.is_connect() => SendFailure::Transient(err.to_string()),
        RequestError::Network(_) => SendFailure::Unknown(err.to_string()),
        RequestError::InvalidJson { .. } | RequestError::Io(_) => SendFailure::Transient(err.to_string()),
    }
}
