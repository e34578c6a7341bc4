//! Handles the updates recorded in the inbox (`loket_core::inbox`), on every instance running the bot:
//! claims the oldest unhandled update of each sender, handles the senders concurrently and each sender's
//! updates one after another, marks each handled, and goes on with that sender's next.
//!
//! A stop takes effect between updates. An instance that dies while handling one leaves it claimed; the
//! survivor that cleans up after it gives the claim back and the update is handled again, as it would be
//! after a restart (handlers tolerate that: a filed report is found by its submission key, a stored file by
//! its Telegram id).

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use loket_core::cluster::InstanceId;
use loket_core::db::inbox::{self as q, Claimed};
use loket_core::inbox::HANDLED_KEPT;
use teloxide::types::Update;
use tokio::sync::watch;

use crate::handlers::{self, Ctx};
use crate::store::StoreError;

/// Senders whose next update one pass claims at most.
const SENDERS_PER_PASS: i64 = 64;
/// Recorded updates are looked for this often even when nothing here signalled one (another instance
/// recorded it, or a dead instance's claim came back).
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);
/// After a database error, wait this long before the next pass.
const ERROR_PAUSE: Duration = Duration::from_secs(2);
/// Handled updates older than [`HANDLED_KEPT`] are deleted about this often.
const PURGE_EVERY: Duration = Duration::from_secs(3600);

/// Handles recorded updates as instance `me` until `stop` turns true.
pub async fn run(ctx: Arc<Ctx>, me: InstanceId, mut stop: watch::Receiver<bool>) {
    let wake = ctx.desk.inbox().clone();
    let mut purged_at: Option<Instant> = None;
    while !*stop.borrow() {
        let wait = match pass(&ctx, me, &stop).await {
            Ok(0) => POLL_INTERVAL,
            Ok(_) => continue,
            Err(err) => {
                tracing::warn!(error = %err, "cannot take updates from the inbox");
                ERROR_PAUSE
            }
        };
        if purged_at.is_none_or(|at| at.elapsed() > PURGE_EVERY) {
            purged_at = Some(Instant::now());
            purge(&ctx).await;
        }
        tokio::select! {
            _ = wake.wait() => {}
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => {}
        }
    }
}

/// Claims and handles what is due; answers how many updates it handled.
async fn pass(ctx: &Arc<Ctx>, me: InstanceId, stop: &watch::Receiver<bool>) -> Result<usize, StoreError> {
    let heads = {
        let client = ctx.pool.get().await?;
        q::claim_heads(&client, me, SENDERS_PER_PASS).await?
    };
    let handled = join_all(heads.into_iter().map(|head| sender(ctx, me, head, stop))).await;
    let mut total = 0;
    for result in handled {
        total += result?;
    }
    Ok(total)
}

/// Handles `first` and then its sender's following updates, one at a time.
async fn sender(ctx: &Ctx, me: InstanceId, first: Claimed, stop: &watch::Receiver<bool>) -> Result<usize, StoreError> {
    let mut next = Some(first);
    let mut handled = 0;
    while let Some(update) = next.take() {
        handle(ctx, &update).await;
        handled += 1;
        next = finish(ctx, me, &update, stop).await?;
    }
    Ok(handled)
}

/// Marks `update` handled (and claims its sender's next, unless stopping), retrying while the database is
/// away: until then the update stays claimed by this instance, so nobody handles it a second time.
async fn finish(
    ctx: &Ctx,
    me: InstanceId,
    update: &Claimed,
    stop: &watch::Receiver<bool>,
) -> Result<Option<Claimed>, StoreError> {
    loop {
        let go_on = !*stop.borrow();
        let result = match ctx.pool.get().await {
            Ok(client) => q::finish(&client, update.update_id, me, go_on)
                .await
                .map_err(StoreError::from),
            Err(err) => Err(err.into()),
        };
        match result {
            Ok(next) => return Ok(next),
            Err(err) if go_on => {
                tracing::warn!(update = update.update_id, error = %err, "cannot mark an update handled; retrying");
                tokio::time::sleep(ERROR_PAUSE).await;
            }
            Err(err) => return Err(err),
        }
    }
}

/// Handles one recorded update; one that is not a Telegram update is logged and counted as handled.
async fn handle(ctx: &Ctx, update: &Claimed) {
    match read_update(&update.body) {
        Ok(parsed) => handlers::handle(ctx, parsed).await,
        Err(err) => tracing::warn!(update = update.update_id, error = %err, "an update Loket cannot read; skipped"),
    }
}

/// A recorded update as teloxide reads it. Through text: teloxide's `Update` (a flattened kind) does not
/// read back from a `serde_json::Value` directly.
fn read_update(body: &serde_json::Value) -> Result<Update, serde_json::Error> {
    serde_json::from_str(&body.to_string())
}

async fn purge(ctx: &Ctx) {
    let Ok(client) = ctx.pool.get().await else {
        return;
    };
    match q::purge(&client, HANDLED_KEPT).await {
        Ok(0) => {}
        Ok(n) => tracing::debug!(count = n, "forgot handled updates"),
        Err(err) => tracing::warn!(error = %err, "cannot forget handled updates"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_update_stored_as_json_reads_back_as_the_same_update() {
        let raw = serde_json::json!({"update_id": 3, "message": {
            "message_id": 1001, "date": 1700000000, "text": "/start abc",
            "chat": {"id": 7, "type": "private", "first_name": "Ana"},
            "from": {"id": 7, "is_bot": false, "first_name": "Ana", "language_code": "en"},
        }});
        // As the webhook records it: Telegram's own JSON.
        let update = read_update(&raw).unwrap();
        assert!(
            matches!(update.kind, teloxide::types::UpdateKind::Message(_)),
            "{update:?}"
        );
        // As polling records it: teloxide's update, serialised.
        let stored = serde_json::to_value(&update).unwrap();
        assert_eq!(read_update(&stored).unwrap(), update);
    }
}
