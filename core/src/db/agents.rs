//! Agents and their sign-in sessions.

use deadpool_postgres::GenericClient;
use loket_protocol::AgentId;
use loket_protocol::api::{Agent, Role};
use loket_protocol::ticket::AgentRef;
use tokio_postgres::Row;

use crate::error::AppError;

fn agent_from_row(row: &Row) -> Agent {
    Agent {
        id: AgentId(row.get("id")),
        name: row.get("name"),
        email: row.get("email"),
        // The column has a CHECK constraint allowing exactly these two values.
        role: Role::parse(row.get("role")).unwrap_or(Role::Agent),
    }
}

/// Creates an agent; `Conflict` if the email is taken.
pub async fn create(
    db: &impl GenericClient,
    email: &str,
    name: &str,
    role: Role,
    password_hash: &str,
) -> Result<Agent, AppError> {
    let row = db
        .query_one(
            &db.prepare_cached(
                "INSERT INTO agents (email, name, role, password_hash) VALUES ($1, $2, $3, $4)
             RETURNING id, email, name, role",
            )
            .await?,
            &[&email, &name, &role.as_str(), &password_hash],
        )
        .await
        .map_err(|e| {
            if crate::db::is_unique_violation(&e) {
                AppError::Conflict("an agent with that email already exists".into())
            } else {
                e.into()
            }
        })?;
    Ok(agent_from_row(&row))
}

pub async fn list(db: &impl GenericClient) -> Result<Vec<Agent>, AppError> {
    let rows = db
        .query(
            &db.prepare_cached("SELECT id, email, name, role FROM agents ORDER BY name, id")
                .await?,
            &[],
        )
        .await?;
    Ok(rows.iter().map(agent_from_row).collect())
}

pub async fn count(db: &impl GenericClient) -> Result<i64, AppError> {
    Ok(db
        .query_one(&db.prepare_cached("SELECT count(*) FROM agents").await?, &[])
        .await?
        .get(0))
}

pub async fn exists_with_email(db: &impl GenericClient, email: &str) -> Result<bool, AppError> {
    Ok(db
        .query_opt(
            &db.prepare_cached("SELECT 1 FROM agents WHERE lower(email) = lower($1)")
                .await?,
            &[&email],
        )
        .await?
        .is_some())
}

/// The agent and password hash for a sign-in attempt.
pub async fn credentials(db: &impl GenericClient, email: &str) -> Result<Option<(Agent, String)>, AppError> {
    let row = db
        .query_opt(
            &db.prepare_cached(
                "SELECT id, email, name, role, password_hash FROM agents WHERE lower(email) = lower($1)",
            )
            .await?,
            &[&email],
        )
        .await?;
    Ok(row.map(|row| (agent_from_row(&row), row.get("password_hash"))))
}

pub async fn reference(db: &impl GenericClient, id: AgentId) -> Result<Option<AgentRef>, AppError> {
    let row = db
        .query_opt(
            &db.prepare_cached("SELECT id, name FROM agents WHERE id = $1").await?,
            &[&id.0],
        )
        .await?;
    Ok(row.map(|row| AgentRef {
        id: AgentId(row.get(0)),
        name: row.get(1),
    }))
}

pub async fn directory(db: &impl GenericClient) -> Result<Vec<AgentRef>, AppError> {
    let rows = db
        .query(
            &db.prepare_cached("SELECT id, name FROM agents ORDER BY name, id")
                .await?,
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| AgentRef {
            id: AgentId(row.get(0)),
            name: row.get(1),
        })
        .collect())
}

/// Stores a new session for `agent` under the token's digest.
pub async fn create_session(
    db: &impl GenericClient,
    agent: AgentId,
    token_digest: &[u8],
    expires_at: loket_protocol::Timestamp,
) -> Result<(), AppError> {
    db.execute(
        &db.prepare_cached("INSERT INTO sessions (token_hash, agent_id, expires_at) VALUES ($1, $2, $3)")
            .await?,
        &[&token_digest, &agent.0, &expires_at],
    )
    .await?;
    Ok(())
}

/// The agent behind an unexpired session token digest.
pub async fn session_agent(db: &impl GenericClient, token_digest: &[u8]) -> Result<Option<Agent>, AppError> {
    let row = db
        .query_opt(
            &db.prepare_cached(
                "SELECT a.id, a.email, a.name, a.role FROM sessions s JOIN agents a ON a.id = s.agent_id
             WHERE s.token_hash = $1 AND s.expires_at > now()",
            )
            .await?,
            &[&token_digest],
        )
        .await?;
    Ok(row.as_ref().map(agent_from_row))
}

pub async fn delete_session(db: &impl GenericClient, token_digest: &[u8]) -> Result<(), AppError> {
    db.execute(
        &db.prepare_cached("DELETE FROM sessions WHERE token_hash = $1").await?,
        &[&token_digest],
    )
    .await?;
    Ok(())
}

/// Removes expired sessions; called now and then.
pub async fn purge_expired_sessions(db: &impl GenericClient) -> Result<u64, AppError> {
    Ok(db
        .execute(
            &db.prepare_cached("DELETE FROM sessions WHERE expires_at <= now()")
                .await?,
            &[],
        )
        .await?)
}
