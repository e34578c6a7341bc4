//! The inbox of Telegram updates: every update is recorded in PostgreSQL before it is handled, keyed by
//! its `update_id`, whichever way it came (the leader's `getUpdates`, or the webhook on any instance).
//!
//! Recording twice is recording once, so an update Telegram retries, or that two instances receive, is one
//! row and is handled once. Any instance running the bot handles recorded updates: it claims the oldest
//! unhandled update of each sender (`db::inbox::claim_heads`), so one sender's updates are handled in order
//! and one at a time across the cluster. A claim of an instance that dies goes back to the others
//! (`cluster`'s clean-up), and the update is handled again, as it would be after a restart. Handled rows
//! are kept for [`HANDLED_KEPT`] to recognise repeats, then deleted.
//!
//! This module reads updates as JSON only: what they mean is the bot's business (`loket-bot`).

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::Notify;

use crate::db::{self, Pool};
use crate::error::AppError;

/// Handled updates are remembered this long (Telegram does not retry an acknowledged update; its
/// `update_id`s restart at random only after a week without updates).
pub const HANDLED_KEPT: Duration = Duration::from_secs(24 * 3600);
/// Largest update body accepted (Telegram's are a few kilobytes).
pub const MAX_UPDATE_BYTES: usize = 1 << 20;

/// An update as received: its id and who sent it, read from its JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Incoming {
    pub update_id: i64,
    /// The Telegram user it came from, if any.
    pub sender: Option<i64>,
    pub body: Value,
}

impl Incoming {
    /// Reads `body`: it must be a JSON object with an integer `update_id`.
    pub fn parse(body: Value) -> Result<Incoming, AppError> {
        let update_id = body
            .get("update_id")
            .and_then(Value::as_i64)
            .ok_or_else(|| AppError::invalid("an update needs an integer update_id"))?;
        Ok(Incoming {
            update_id,
            sender: sender_of(&body),
            body,
        })
    }
}

/// The Telegram user an update comes from: the `from` (or `user`) of its one payload field (`message`,
/// `callback_query`, `poll_answer`, …), whatever kind it is.
pub fn sender_of(update: &Value) -> Option<i64> {
    let fields = update.as_object()?;
    fields
        .iter()
        .filter(|(name, _)| name.as_str() != "update_id")
        .filter_map(|(_, payload)| payload.as_object())
        .find_map(|payload| {
            payload
                .get("from")
                .or_else(|| payload.get("user"))
                .and_then(|who| who.get("id"))
                .and_then(Value::as_i64)
        })
}

/// Records `update` unless it is on record already (answers whether it was new), in its own statement:
/// once this returns `Ok`, the update is durable and may be acknowledged.
pub async fn record(pool: &Pool, update: &Incoming) -> Result<bool, AppError> {
    let client = pool.get().await?;
    db::inbox::record(&client, update.update_id, update.sender, &update.body).await
}

/// Says "updates recorded" to this instance's handler. Cheap to clone; a signal given while nobody waits
/// is kept for the next wait.
#[derive(Debug, Clone, Default)]
pub struct InboxSignal(Arc<Notify>);

impl InboxSignal {
    /// Something was recorded.
    pub fn pending(&self) {
        self.0.notify_one();
    }

    /// Resolves at the next [`pending`](Self::pending) (or at once if one came since the last wait).
    pub async fn wait(&self) {
        self.0.notified().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_sender_is_found_in_any_kind_of_update() {
        let message = json!({"update_id": 5, "message": {"message_id": 1, "from": {"id": 42}, "chat": {"id": 42}}});
        assert_eq!(sender_of(&message), Some(42));
        let press = json!({"update_id": 6, "callback_query": {"id": "x", "from": {"id": 43}, "data": "d"}});
        assert_eq!(sender_of(&press), Some(43));
        let vote = json!({"update_id": 7, "poll_answer": {"poll_id": "p", "user": {"id": 44}}});
        assert_eq!(sender_of(&vote), Some(44));
        let channel = json!({"update_id": 8, "channel_post": {"message_id": 1, "chat": {"id": -100}}});
        assert_eq!(sender_of(&channel), None);
    }

    #[test]
    fn an_update_needs_an_integer_id() {
        let ok = Incoming::parse(json!({"update_id": 9, "message": {"from": {"id": 1}}})).unwrap();
        assert_eq!((ok.update_id, ok.sender), (9, Some(1)));
        assert!(Incoming::parse(json!({"message": {}})).is_err());
        assert!(Incoming::parse(json!({"update_id": "9"})).is_err());
        assert!(Incoming::parse(json!([1, 2])).is_err());
    }
}
