//! Idempotency keys: what an agent's first request under a key created (a ticket or a comment), so a retry
//! of the same request answers that instead of creating it again.
//!
//! A key is recorded in the same transaction as what it names, so it exists exactly when that was
//! committed. Keys are per agent and forgotten after [`RETENTION`]; an agent's expired keys are deleted
//! whenever it records a new one.

use std::time::Duration;

use deadpool_postgres::GenericClient;
use loket_protocol::{AgentId, CommentId, TicketId};

use crate::domain::validate;
use crate::error::AppError;

/// How long a key names its result. A retry later than this creates anew.
pub const RETENTION: Duration = Duration::from_secs(24 * 60 * 60);

/// A key as one agent used it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    pub agent: AgentId,
    pub key: String,
}

impl IdempotencyKey {
    /// `raw`, validated, for `agent`.
    pub fn new(agent: AgentId, raw: &str) -> Result<IdempotencyKey, AppError> {
        Ok(IdempotencyKey {
            agent,
            key: validate::idempotency_key(raw)?,
        })
    }
}

/// What the first request under a key created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Earlier {
    /// It filed this ticket.
    Ticket(TicketId),
    /// It added this comment to this ticket.
    Comment { ticket: TicketId, comment: CommentId },
}

impl Earlier {
    fn columns(self) -> (i64, Option<i64>) {
        match self {
            Earlier::Ticket(ticket) => (ticket.0, None),
            Earlier::Comment { ticket, comment } => (ticket.0, Some(comment.0)),
        }
    }
}

fn retention_secs() -> f64 {
    RETENTION.as_secs_f64()
}

/// What `key` created, if it was used within [`RETENTION`].
pub async fn earlier(db: &impl GenericClient, key: &IdempotencyKey) -> Result<Option<Earlier>, AppError> {
    let row = db
        .query_opt(
            &db.prepare_cached(
                "SELECT ticket_id, comment_id FROM idempotency_keys
                 WHERE agent_id = $1 AND key = $2 AND created_at >= now() - $3::float8 * interval '1 second'",
            )
            .await?,
            &[&key.agent.0, &key.key, &retention_secs()],
        )
        .await?;
    Ok(row.map(|row| {
        let ticket = TicketId(row.get(0));
        match row.get::<_, Option<i64>>(1) {
            Some(comment) => Earlier::Comment {
                ticket,
                comment: CommentId(comment),
            },
            None => Earlier::Ticket(ticket),
        }
    }))
}

/// Records that `key` created `result`, in the caller's transaction. False when another request under the
/// same key got there first (it committed while this one ran): the caller must roll back and answer
/// [`earlier`] instead.
pub async fn remember(db: &impl GenericClient, key: &IdempotencyKey, result: Earlier) -> Result<bool, AppError> {
    db.execute(
        &db.prepare_cached(
            "DELETE FROM idempotency_keys
             WHERE agent_id = $1 AND created_at < now() - $2::float8 * interval '1 second'",
        )
        .await?,
        &[&key.agent.0, &retention_secs()],
    )
    .await?;
    let (ticket, comment) = result.columns();
    // A concurrent request with the same key waits here until the other commits, then inserts nothing.
    let inserted = db
        .execute(
            &db.prepare_cached(
                "INSERT INTO idempotency_keys (agent_id, key, ticket_id, comment_id) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (agent_id, key) DO NOTHING",
            )
            .await?,
            &[&key.agent.0, &key.key, &ticket, &comment],
        )
        .await?;
    Ok(inserted == 1)
}

/// The refusal for a key that named a different kind of request (or a comment on another ticket).
pub fn reused() -> AppError {
    AppError::Conflict("that idempotency key was already used for a different request".into())
}
