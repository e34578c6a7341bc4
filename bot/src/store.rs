//! The bot's database queries: reporters, invite codes, dialogue state, the update offset and reads of tickets.

use loket_core::db::Pool;
use loket_core::db::admin::OFFERED_CATEGORY;
use loket_protocol::ticket::Status;
use loket_protocol::{CommentId, TicketId};
use tokio_postgres::GenericClient;

use crate::dialogue::Dialogue;
use crate::texts::{CodeRefusal, Lang};

/// Anything that went wrong talking to the database.
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

/// A registered reporter.
#[derive(Debug, Clone)]
pub struct Reporter {
    pub id: i64,
    pub chat_id: i64,
    pub name: String,
    pub lang: Lang,
}

/// Who is registering.
#[derive(Debug, Clone)]
pub struct Registration<'a> {
    pub telegram_user_id: i64,
    pub chat_id: i64,
    pub name: &'a str,
    pub lang: Lang,
    pub code: &'a str,
}

/// A ticket as a reporter sees it in a list.
#[derive(Debug, Clone)]
pub struct TicketLine {
    pub id: TicketId,
    pub title: String,
    pub status: Status,
}

/// One page of a reporter's tickets.
#[derive(Debug, Clone)]
pub struct TicketsPage {
    pub tickets: Vec<TicketLine>,
    pub total: i64,
}

/// A category button.
#[derive(Debug, Clone)]
pub struct CategoryChoice {
    pub id: i64,
    pub name: String,
}

/// The name under which the next `getUpdates` offset is kept in `bot_state`.
const OFFSET_KEY: &str = "update_offset";

/// The reporter behind a Telegram account, if registered.
pub async fn reporter(pool: &Pool, telegram_user_id: i64) -> Result<Option<Reporter>, StoreError> {
    let client = pool.get().await?;
    let row = client
        .query_opt(
            "SELECT id, chat_id, name, language FROM reporters WHERE telegram_user_id = $1",
            &[&telegram_user_id],
        )
        .await?;
    Ok(row.map(|row| Reporter {
        id: row.get(0),
        chat_id: row.get(1),
        name: row.get(2),
        lang: Lang::from_code(row.get::<_, &str>(3)),
    }))
}

/// Redeems `code` and registers the account, atomically: the use is counted only if the reporter is created.
/// `Ok(Err(why))` when the code cannot be used; `Ok(Ok(None))` if the account was registered meanwhile.
pub async fn register(pool: &Pool, who: Registration<'_>) -> Result<Result<Option<Reporter>, CodeRefusal>, StoreError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    let redeemed = tx
        .query_opt(
            "UPDATE invite_codes SET uses = uses + 1
             WHERE code = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now()) AND uses < max_uses
             RETURNING code",
            &[&who.code],
        )
        .await?;
    if redeemed.is_none() {
        let why = refusal(&*tx, who.code).await?;
        return Ok(Err(why));
    }
    let row = tx
        .query_opt(
            "INSERT INTO reporters (telegram_user_id, chat_id, name, language, invite_code) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (telegram_user_id) DO NOTHING RETURNING id",
            &[
                &who.telegram_user_id,
                &who.chat_id,
                &who.name,
                &who.lang.code(),
                &who.code,
            ],
        )
        .await?;
    let Some(row) = row else {
        // Already registered: the transaction rolls back and the code is not used.
        return Ok(Ok(None));
    };
    tx.commit().await?;
    Ok(Ok(Some(Reporter {
        id: row.get(0),
        chat_id: who.chat_id,
        name: who.name.to_string(),
        lang: who.lang,
    })))
}

async fn refusal(db: &impl GenericClient, code: &str) -> Result<CodeRefusal, StoreError> {
    let row = db
        .query_opt(
            "SELECT revoked_at IS NOT NULL, expires_at IS NOT NULL AND expires_at <= now(), uses >= max_uses
             FROM invite_codes WHERE code = $1",
            &[&code],
        )
        .await?;
    Ok(match row {
        None => CodeRefusal::Unknown,
        Some(row) if row.get::<_, bool>(0) => CodeRefusal::Revoked,
        Some(row) if row.get::<_, bool>(1) => CodeRefusal::Expired,
        Some(_) => CodeRefusal::UsedUp,
    })
}

/// Stores the reporter's language.
pub async fn set_language(pool: &Pool, reporter: i64, lang: Lang) -> Result<(), StoreError> {
    let client = pool.get().await?;
    client
        .execute(
            "UPDATE reporters SET language = $2 WHERE id = $1",
            &[&reporter, &lang.code()],
        )
        .await?;
    Ok(())
}

/// Where this account is in a dialogue (`Idle` when nowhere).
pub async fn dialogue(pool: &Pool, telegram_user_id: i64) -> Result<Dialogue, StoreError> {
    let client = pool.get().await?;
    let row = client
        .query_opt(
            "SELECT state FROM bot_dialogues WHERE telegram_user_id = $1",
            &[&telegram_user_id],
        )
        .await?;
    match row {
        Some(row) => Ok(serde_json::from_value(row.get(0))?),
        None => Ok(Dialogue::Idle),
    }
}

/// Saves the dialogue state (`Idle` deletes it).
pub async fn save_dialogue(pool: &Pool, telegram_user_id: i64, state: &Dialogue) -> Result<(), StoreError> {
    let client = pool.get().await?;
    if *state == Dialogue::Idle {
        client
            .execute(
                "DELETE FROM bot_dialogues WHERE telegram_user_id = $1",
                &[&telegram_user_id],
            )
            .await?;
    } else {
        let json = serde_json::to_value(state)?;
        client
            .execute(
                "INSERT INTO bot_dialogues (telegram_user_id, state) VALUES ($1, $2)
                 ON CONFLICT (telegram_user_id) DO UPDATE SET state = EXCLUDED.state, updated_at = now()",
                &[&telegram_user_id, &json],
            )
            .await?;
    }
    Ok(())
}

/// The next `getUpdates` offset (0 at first).
pub async fn offset(pool: &Pool) -> Result<i64, StoreError> {
    let client = pool.get().await?;
    let row = client
        .query_opt("SELECT value FROM bot_state WHERE name = $1", &[&OFFSET_KEY])
        .await?;
    Ok(row.map_or(0, |r| r.get(0)))
}

/// Remembers that every update below `offset` has been handled.
pub async fn save_offset(pool: &Pool, offset: i64) -> Result<(), StoreError> {
    let client = pool.get().await?;
    client
        .execute(
            "INSERT INTO bot_state (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value",
            &[&OFFSET_KEY, &offset],
        )
        .await?;
    Ok(())
}

/// Every category offered for new reports (not retired), by name.
pub async fn categories(pool: &Pool) -> Result<Vec<CategoryChoice>, StoreError> {
    let client = pool.get().await?;
    let rows = client
        .query(
            &format!("SELECT id, name FROM categories WHERE {OFFERED_CATEGORY} ORDER BY lower(name)"),
            &[],
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| CategoryChoice {
            id: r.get(0),
            name: r.get(1),
        })
        .collect())
}

/// One category's name, if it exists and is offered (a button for a since-retired one is not accepted).
pub async fn category(pool: &Pool, id: i64) -> Result<Option<String>, StoreError> {
    let client = pool.get().await?;
    let row = client
        .query_opt(
            &format!("SELECT name FROM categories WHERE id = $1 AND {OFFERED_CATEGORY}"),
            &[&id],
        )
        .await?;
    Ok(row.map(|r| r.get(0)))
}

/// Page `page` (from 0) of the reporter's tickets, newest first, `per_page` at a time.
pub async fn tickets_page(pool: &Pool, reporter: i64, page: i64, per_page: i64) -> Result<TicketsPage, StoreError> {
    let client = pool.get().await?;
    let total: i64 = client
        .query_one("SELECT count(*) FROM tickets WHERE reporter_id = $1", &[&reporter])
        .await?
        .get(0);
    let rows = client
        .query(
            "SELECT id, title, status FROM tickets WHERE reporter_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3",
            &[&reporter, &per_page, &(page * per_page)],
        )
        .await?;
    Ok(TicketsPage {
        tickets: rows.into_iter().map(line).collect(),
        total,
    })
}

/// The ticket if it is this reporter's.
pub async fn own_ticket(pool: &Pool, reporter: i64, ticket: TicketId) -> Result<Option<TicketLine>, StoreError> {
    let client = pool.get().await?;
    let row = client
        .query_opt(
            "SELECT id, title, status FROM tickets WHERE id = $1 AND reporter_id = $2",
            &[&ticket.0, &reporter],
        )
        .await?;
    Ok(row.map(line))
}

/// Whether Telegram file `file_id` is recorded on `ticket` already (with `comment`, or with the report).
pub async fn attachment_recorded(
    pool: &Pool,
    ticket: TicketId,
    comment: Option<CommentId>,
    file_id: &str,
) -> Result<bool, StoreError> {
    let client = pool.get().await?;
    let row = client
        .query_opt(
            "SELECT 1 FROM attachments
             WHERE ticket_id = $1 AND comment_id IS NOT DISTINCT FROM $2 AND telegram_file_id = $3",
            &[&ticket.0, &comment.map(|c| c.0), &file_id],
        )
        .await?;
    Ok(row.is_some())
}

fn line(row: tokio_postgres::Row) -> TicketLine {
    TicketLine {
        id: TicketId(row.get(0)),
        title: row.get(1),
        status: Status::parse(row.get(2)).unwrap_or(Status::New),
    }
}

/// Records that message `message_id` in `chat` is about `ticket`, so replies to it find the ticket.
pub async fn remember_message(
    db: &impl GenericClient,
    chat: i64,
    message_id: i32,
    ticket: TicketId,
) -> Result<(), StoreError> {
    db.execute(
        "INSERT INTO bot_messages (chat_id, message_id, ticket_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        &[&chat, &message_id, &ticket.0],
    )
    .await?;
    Ok(())
}

/// The ticket a bot message in `chat` was about.
pub async fn message_ticket(pool: &Pool, chat: i64, message_id: i32) -> Result<Option<TicketId>, StoreError> {
    let client = pool.get().await?;
    let row = client
        .query_opt(
            "SELECT ticket_id FROM bot_messages WHERE chat_id = $1 AND message_id = $2",
            &[&chat, &message_id],
        )
        .await?;
    Ok(row.map(|r| TicketId(r.get(0))))
}
