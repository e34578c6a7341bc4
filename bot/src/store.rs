//! The bot's own tables: dialogue state (`bot_dialogues`), the update offset (`bot_state`, saved with the
//! polled updates it confirms, which go into the core's inbox) and which bot message is about which ticket
//! (`bot_messages`). Tickets, reporters, invite codes, categories and
//! attachments belong to the core: the bot reaches them only through `loket_core::Desk`
//! (`loket_core::reporting`), never by SQL of its own.

use deadpool_postgres::GenericClient;
use loket_core::db::Pool;
use loket_protocol::TicketId;

use loket_core::inbox::Incoming;
use teloxide::types::Update;

use crate::dialogue::Dialogue;

/// Anything that went wrong with the bot's state or the core.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database pool: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
    #[error("database: {0}")]
    Db(#[from] tokio_postgres::Error),
    #[error("stored dialogue: {0}")]
    Json(#[from] serde_json::Error),
    #[error("{0}")]
    Core(#[from] loket_core::AppError),
}

/// The name under which the next `getUpdates` offset is kept in `bot_state`.
const OFFSET_KEY: &str = "update_offset";

/// Where this account is in a dialogue (`Idle` when nowhere).
pub async fn dialogue(pool: &Pool, telegram_user_id: i64) -> Result<Dialogue, StoreError> {
    let client = pool.get().await?;
    let statement = client
        .prepare_cached("SELECT state FROM bot_dialogues WHERE telegram_user_id = $1")
        .await?;
    match client.query_opt(&statement, &[&telegram_user_id]).await? {
        Some(row) => Ok(serde_json::from_value(row.get(0))?),
        None => Ok(Dialogue::Idle),
    }
}

/// Saves the dialogue state (`Idle` deletes it).
pub async fn save_dialogue(pool: &Pool, telegram_user_id: i64, state: &Dialogue) -> Result<(), StoreError> {
    let client = pool.get().await?;
    if *state == Dialogue::Idle {
        let statement = client
            .prepare_cached("DELETE FROM bot_dialogues WHERE telegram_user_id = $1")
            .await?;
        client.execute(&statement, &[&telegram_user_id]).await?;
    } else {
        let json = serde_json::to_value(state)?;
        let statement = client
            .prepare_cached(
                "INSERT INTO bot_dialogues (telegram_user_id, state) VALUES ($1, $2)
                 ON CONFLICT (telegram_user_id) DO UPDATE SET state = EXCLUDED.state, updated_at = now()",
            )
            .await?;
        client.execute(&statement, &[&telegram_user_id, &json]).await?;
    }
    Ok(())
}

/// The next `getUpdates` offset (0 at first).
pub async fn offset(pool: &Pool) -> Result<i64, StoreError> {
    let client = pool.get().await?;
    let statement = client
        .prepare_cached("SELECT value FROM bot_state WHERE name = $1")
        .await?;
    let row = client.query_opt(&statement, &[&OFFSET_KEY]).await?;
    Ok(row.map_or(0, |r| r.get(0)))
}

/// Records polled `updates` in the inbox and, in the same transaction, the next `getUpdates` offset (one
/// past the newest): once this commits, asking with that offset confirms them to Telegram. Answers the
/// offset.
pub async fn record_polled(pool: &Pool, updates: &[Update]) -> Result<i64, StoreError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    let mut next = None;
    for update in updates {
        let incoming = Incoming::parse(serde_json::to_value(update)?)?;
        next = next.max(Some(incoming.update_id + 1));
        loket_core::db::inbox::record(&tx, incoming.update_id, incoming.sender, &incoming.body).await?;
    }
    let offset = next.unwrap_or(0);
    let statement = tx
        .prepare_cached(
            "INSERT INTO bot_state (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value",
        )
        .await?;
    tx.execute(&statement, &[&OFFSET_KEY, &offset]).await?;
    loket_core::db::commit(tx).await?;
    Ok(offset)
}

/// Records that message `message_id` in `chat` is about `ticket`, so replies to it find the ticket.
pub async fn remember_message(pool: &Pool, chat: i64, message_id: i32, ticket: TicketId) -> Result<(), StoreError> {
    let client = pool.get().await?;
    remember_message_in(&client, chat, message_id, ticket).await
}

/// [`remember_message`] on `db`, e.g. inside the transaction that records a delivery.
pub async fn remember_message_in(
    db: &impl GenericClient,
    chat: i64,
    message_id: i32,
    ticket: TicketId,
) -> Result<(), StoreError> {
    let statement = db
        .prepare_cached(
            "INSERT INTO bot_messages (chat_id, message_id, ticket_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .await?;
    db.execute(&statement, &[&chat, &message_id, &ticket.0]).await?;
    Ok(())
}

/// The ticket a bot message in `chat` was about.
pub async fn message_ticket(pool: &Pool, chat: i64, message_id: i32) -> Result<Option<TicketId>, StoreError> {
    let client = pool.get().await?;
    let statement = client
        .prepare_cached("SELECT ticket_id FROM bot_messages WHERE chat_id = $1 AND message_id = $2")
        .await?;
    let row = client.query_opt(&statement, &[&chat, &message_id]).await?;
    Ok(row.map(|r| TicketId(r.get(0))))
}
