//! Canned replies (`canned_replies`): shared (no owner) and personal ones. Every query is scoped to what
//! the asking agent may see: the shared ones and their own.

use deadpool_postgres::GenericClient;
use loket_protocol::canned::{CannedReply, CannedReplyChange, CannedScope, NewCannedReply};
use loket_protocol::{AgentId, CannedReplyId};
use tokio_postgres::Row;

use crate::error::AppError;

const COLUMNS: &str = "id, owner_agent, title, shortcut, text_en, text_id, updated_at";
/// Rows agent `$1` may see.
const VISIBLE: &str = "(owner_agent IS NULL OR owner_agent = $1)";
/// The most replies a list or search answers (the picker shows a handful; the table is small).
pub const LIST_LIMIT: i64 = 100;

fn reply_of(row: &Row) -> CannedReply {
    let owner: Option<i64> = row.get("owner_agent");
    CannedReply {
        id: CannedReplyId(row.get("id")),
        scope: if owner.is_some() {
            CannedScope::Personal
        } else {
            CannedScope::Shared
        },
        owner_id: owner.map(AgentId),
        title: row.get("title"),
        shortcut: row.get("shortcut"),
        text_en: row.get("text_en"),
        text_id: row.get("text_id"),
        updated_at: row.get("updated_at"),
    }
}

fn taken(err: tokio_postgres::Error) -> AppError {
    if crate::db::is_unique_violation(&err) {
        AppError::Conflict("a canned reply with this shortcut exists already; choose another".into())
    } else {
        err.into()
    }
}

/// The replies `agent` may use, shortcut order (shared and personal mixed), with `search` (if any)
/// somewhere in the title, shortcut or either text, case-insensitively: `ILIKE` over a small table.
pub async fn list(db: &impl GenericClient, agent: AgentId, search: Option<&str>) -> Result<Vec<CannedReply>, AppError> {
    // `%` and `_` typed by the agent are matched literally.
    let pattern = search.map(|s| {
        let escaped = s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        format!("%{escaped}%")
    });
    let rows = db
        .query(
            &db.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM canned_replies WHERE {VISIBLE}
                   AND ($2::text IS NULL OR title ILIKE $2 OR shortcut ILIKE $2 OR text_en ILIKE $2 OR text_id ILIKE $2)
                 ORDER BY shortcut, owner_agent NULLS FIRST, id LIMIT $3"
            ))
            .await?,
            &[&agent.0, &pattern, &LIST_LIMIT],
        )
        .await?;
    Ok(rows.iter().map(reply_of).collect())
}

/// Reply `id` if `agent` may see it.
pub async fn visible(
    db: &impl GenericClient,
    agent: AgentId,
    id: CannedReplyId,
) -> Result<Option<CannedReply>, AppError> {
    let row = db
        .query_opt(
            &db.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM canned_replies WHERE {VISIBLE} AND id = $2"
            ))
            .await?,
            &[&agent.0, &id.0],
        )
        .await?;
    Ok(row.as_ref().map(reply_of))
}

/// Stores a new reply, owned by `owner` (none: shared). `Conflict` if the shortcut is taken.
pub async fn insert(
    db: &impl GenericClient,
    owner: Option<AgentId>,
    new: &NewCannedReply,
) -> Result<CannedReply, AppError> {
    let row = db
        .query_one(
            &db.prepare_cached(&format!(
                "INSERT INTO canned_replies (owner_agent, title, shortcut, text_en, text_id)
                 VALUES ($1, $2, $3, $4, $5) RETURNING {COLUMNS}"
            ))
            .await?,
            &[
                &owner.map(|o| o.0),
                &new.title.trim(),
                &new.shortcut,
                &new.text_en.trim(),
                &new.text_id.trim(),
            ],
        )
        .await
        .map_err(taken)?;
    Ok(reply_of(&row))
}

/// Applies `change` to reply `id`. `Conflict` if the new shortcut is taken.
pub async fn update(
    db: &impl GenericClient,
    id: CannedReplyId,
    change: &CannedReplyChange,
) -> Result<CannedReply, AppError> {
    let trimmed = |v: &Option<String>| v.as_deref().map(str::trim).map(str::to_string);
    let row = db
        .query_opt(
            &db.prepare_cached(&format!(
                "UPDATE canned_replies SET title = coalesce($2, title), shortcut = coalesce($3, shortcut),
                        text_en = coalesce($4, text_en), text_id = coalesce($5, text_id), updated_at = now()
                 WHERE id = $1 RETURNING {COLUMNS}"
            ))
            .await?,
            &[
                &id.0,
                &trimmed(&change.title),
                &change.shortcut,
                &trimmed(&change.text_en),
                &trimmed(&change.text_id),
            ],
        )
        .await
        .map_err(taken)?;
    row.as_ref().map(reply_of).ok_or(AppError::NotFound("canned reply"))
}

/// Deletes reply `id`.
pub async fn delete(db: &impl GenericClient, id: CannedReplyId) -> Result<(), AppError> {
    let deleted = db
        .execute(
            &db.prepare_cached("DELETE FROM canned_replies WHERE id = $1").await?,
            &[&id.0],
        )
        .await?;
    if deleted == 0 {
        return Err(AppError::NotFound("canned reply"));
    }
    Ok(())
}

/// The language code of ticket `ticket`'s reporter (`en`/`id`), if it has one.
pub async fn reporter_language(
    db: &impl GenericClient,
    ticket: loket_protocol::TicketId,
) -> Result<Option<String>, AppError> {
    let row = db
        .query_opt(
            &db.prepare_cached(
                "SELECT r.language FROM tickets t JOIN reporters r ON r.id = t.reporter_id WHERE t.id = $1",
            )
            .await?,
            &[&ticket.0],
        )
        .await?;
    Ok(row.map(|r| r.get(0)))
}
