//! Agents and their sign-in sessions.

use deadpool_postgres::GenericClient;
use loket_protocol::api::{Agent, AgentAccount, Role, SessionInfo};
use loket_protocol::ticket::AgentRef;
use loket_protocol::{AgentId, SessionId};
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
/// A new agent starts as a member of the default queue (docs/workflow.md, "Queues").
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
                "WITH created AS (
                     INSERT INTO agents (email, name, role, password_hash) VALUES ($1, $2, $3, $4)
                     RETURNING id, email, name, role),
                 joined AS (
                     INSERT INTO queue_members (queue_id, agent_id)
                     SELECT q.id, c.id FROM queues q, created c WHERE q.is_default)
                 SELECT id, email, name, role FROM created",
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

/// Columns of [`account_from_row`]: the agent, its state and how many unexpired sign-ins it has.
const ACCOUNT_SELECT: &str = "
    SELECT a.id, a.email, a.name, a.role, a.disabled_at, a.created_at,
           (SELECT count(*) FROM sessions s WHERE s.agent_id = a.id AND s.expires_at > now()) AS sessions
    FROM agents a";

fn account_from_row(row: &Row) -> AgentAccount {
    AgentAccount {
        agent: agent_from_row(row),
        disabled_at: row.get("disabled_at"),
        created_at: row.get("created_at"),
        sessions: row.get("sessions"),
    }
}

/// Every account, by name, as admins see them.
pub async fn list(db: &impl GenericClient) -> Result<Vec<AgentAccount>, AppError> {
    let rows = db
        .query(
            &db.prepare_cached(&format!("{ACCOUNT_SELECT} ORDER BY a.name, a.id"))
                .await?,
            &[],
        )
        .await?;
    Ok(rows.iter().map(account_from_row).collect())
}

/// One account, as admins see it.
pub async fn account(db: &impl GenericClient, id: AgentId) -> Result<Option<AgentAccount>, AppError> {
    let row = db
        .query_opt(
            &db.prepare_cached(&format!("{ACCOUNT_SELECT} WHERE a.id = $1")).await?,
            &[&id.0],
        )
        .await?;
    Ok(row.as_ref().map(account_from_row))
}

/// An agent's row as a change to it sees it.
#[derive(Debug, Clone)]
pub struct LockedAgent {
    pub agent: Agent,
    pub disabled: bool,
}

/// An agent's row, locked until the transaction ends (`FOR NO KEY UPDATE`: sign-ins and tickets that
/// only reference the row do not wait).
pub async fn lock(db: &impl GenericClient, id: AgentId) -> Result<Option<LockedAgent>, AppError> {
    let row = db
        .query_opt(
            &db.prepare_cached("SELECT id, email, name, role, disabled_at IS NOT NULL AS disabled FROM agents WHERE id = $1 FOR NO KEY UPDATE")
                .await?,
            &[&id.0],
        )
        .await?;
    Ok(row.map(|row| LockedAgent {
        agent: agent_from_row(&row),
        disabled: row.get("disabled"),
    }))
}

/// The active (not disabled) admins, locked until the transaction ends: a concurrent change to an admin
/// waits, then sees this one's outcome.
pub async fn lock_active_admins(db: &impl GenericClient) -> Result<Vec<AgentId>, AppError> {
    let rows = db
        .query(
            &db.prepare_cached(
                "SELECT id FROM agents WHERE role = 'admin' AND disabled_at IS NULL ORDER BY id FOR NO KEY UPDATE",
            )
            .await?,
            &[],
        )
        .await?;
    Ok(rows.iter().map(|r| AgentId(r.get(0))).collect())
}

/// Disables (`true`) or enables the account; a disabled account keeps its `disabled_at` of the first time.
pub async fn set_disabled(db: &impl GenericClient, id: AgentId, disabled: bool) -> Result<(), AppError> {
    db.execute(
        &db.prepare_cached(
            "UPDATE agents SET disabled_at = CASE WHEN $2 THEN coalesce(disabled_at, now()) END WHERE id = $1",
        )
        .await?,
        &[&id.0, &disabled],
    )
    .await?;
    Ok(())
}

pub async fn set_role(db: &impl GenericClient, id: AgentId, role: Role) -> Result<(), AppError> {
    db.execute(
        &db.prepare_cached("UPDATE agents SET role = $2 WHERE id = $1").await?,
        &[&id.0, &role.as_str()],
    )
    .await?;
    Ok(())
}

/// Stores a new argon2 hash for the agent's password.
pub async fn set_password_hash(db: &impl GenericClient, id: AgentId, hash: &str) -> Result<(), AppError> {
    db.execute(
        &db.prepare_cached("UPDATE agents SET password_hash = $2 WHERE id = $1")
            .await?,
        &[&id.0, &hash],
    )
    .await?;
    Ok(())
}

/// The name agent `id` shows reporters, if they set one (none for an unknown agent too).
pub async fn public_name(db: &impl GenericClient, id: AgentId) -> Result<Option<String>, AppError> {
    let row = db
        .query_opt(
            &db.prepare_cached("SELECT public_name FROM agents WHERE id = $1")
                .await?,
            &[&id.0],
        )
        .await?;
    Ok(row.and_then(|r| r.get(0)))
}

/// Sets (or with `None` clears) agent `id`'s public name, its row locked: answers the name before, or
/// `NotFound` for an unknown agent.
pub async fn set_public_name(
    db: &impl GenericClient,
    id: AgentId,
    name: Option<&str>,
) -> Result<Option<String>, AppError> {
    let row = db
        .query_opt(
            &db.prepare_cached(
                "UPDATE agents a SET public_name = $2 FROM (SELECT id, public_name FROM agents WHERE id = $1 FOR UPDATE) old
                 WHERE a.id = old.id RETURNING old.public_name",
            )
            .await?,
            &[&id.0, &name],
        )
        .await?;
    row.map(|r| r.get(0)).ok_or(AppError::NotFound("agent"))
}

/// The agent's stored password hash.
pub async fn password_hash(db: &impl GenericClient, id: AgentId) -> Result<Option<String>, AppError> {
    let row = db
        .query_opt(
            &db.prepare_cached("SELECT password_hash FROM agents WHERE id = $1")
                .await?,
            &[&id.0],
        )
        .await?;
    Ok(row.map(|r| r.get(0)))
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

/// Longest User-Agent kept for a session, in characters.
pub const MAX_USER_AGENT_CHARS: usize = 256;

/// Stores a new session for `agent` under the token's digest, unless the account is disabled (`None`).
pub async fn create_session(
    db: &impl GenericClient,
    agent: AgentId,
    token_digest: &[u8],
    expires_at: loket_protocol::Timestamp,
    user_agent: Option<&str>,
) -> Result<Option<SessionId>, AppError> {
    let user_agent: Option<String> = user_agent
        .map(|ua| {
            ua.chars()
                .filter(|c| !c.is_control())
                .take(MAX_USER_AGENT_CHARS)
                .collect()
        })
        .filter(|ua: &String| !ua.trim().is_empty());
    let row = db
        .query_opt(
            &db.prepare_cached(
                "INSERT INTO sessions (token_hash, agent_id, expires_at, user_agent)
                 SELECT $1, id, $3, $4 FROM agents WHERE id = $2 AND disabled_at IS NULL
                 RETURNING id",
            )
            .await?,
            &[&token_digest, &agent.0, &expires_at, &user_agent],
        )
        .await?;
    Ok(row.map(|r| SessionId(r.get(0))))
}

/// The agent behind an unexpired session token digest, if the account is not disabled. Records the
/// session as seen (at most once a minute, so most requests write nothing).
pub async fn session_agent(db: &impl GenericClient, token_digest: &[u8]) -> Result<Option<Agent>, AppError> {
    let row = db
        .query_opt(
            &db.prepare_cached(
                "WITH seen AS (
                    UPDATE sessions SET last_seen_at = now()
                    WHERE token_hash = $1 AND expires_at > now() AND last_seen_at < now() - interval '1 minute'
                 )
                 SELECT a.id, a.email, a.name, a.role FROM sessions s JOIN agents a ON a.id = s.agent_id
                 WHERE s.token_hash = $1 AND s.expires_at > now() AND a.disabled_at IS NULL",
            )
            .await?,
            &[&token_digest],
        )
        .await?;
    Ok(row.as_ref().map(agent_from_row))
}

/// Ends every session of `agent` except the one with digest `keep`; returns how many ended.
pub async fn delete_sessions_of(db: &impl GenericClient, agent: AgentId, keep: Option<&[u8]>) -> Result<u64, AppError> {
    Ok(db
        .execute(
            &db.prepare_cached("DELETE FROM sessions WHERE agent_id = $1 AND ($2::bytea IS NULL OR token_hash <> $2)")
                .await?,
            &[&agent.0, &keep],
        )
        .await?)
}

/// Unexpired sessions, most recently seen first, optionally only `agent`'s. `current` marks the one with
/// that token digest.
pub async fn list_sessions(
    db: &impl GenericClient,
    agent: Option<AgentId>,
    current: &[u8],
) -> Result<Vec<SessionInfo>, AppError> {
    let rows = db
        .query(
            &db.prepare_cached(
                "SELECT s.id, s.created_at, s.last_seen_at, s.expires_at, s.user_agent, s.token_hash = $2 AS current,
                        a.id AS agent_id, a.name AS agent_name
                 FROM sessions s JOIN agents a ON a.id = s.agent_id
                 WHERE s.expires_at > now() AND ($1::bigint IS NULL OR s.agent_id = $1)
                 ORDER BY s.last_seen_at DESC, s.id DESC",
            )
            .await?,
            &[&agent.map(|a| a.0), &current],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| SessionInfo {
            id: SessionId(row.get("id")),
            agent: AgentRef {
                id: AgentId(row.get("agent_id")),
                name: row.get("agent_name"),
            },
            created_at: row.get("created_at"),
            last_seen_at: row.get("last_seen_at"),
            expires_at: row.get("expires_at"),
            user_agent: row.get("user_agent"),
            current: row.get("current"),
        })
        .collect())
}

/// A session that was ended by id: whose it was, and its token digest (to close its sockets).
#[derive(Debug, Clone)]
pub struct EndedSession {
    pub agent: AgentRef,
    pub token_digest: Vec<u8>,
}

/// Ends session `id`; `None` if there is no such session.
pub async fn delete_session_by_id(db: &impl GenericClient, id: SessionId) -> Result<Option<EndedSession>, AppError> {
    let row = db
        .query_opt(
            &db.prepare_cached(
                "WITH gone AS (DELETE FROM sessions WHERE id = $1 RETURNING agent_id, token_hash)
                 SELECT g.token_hash, a.id, a.name FROM gone g JOIN agents a ON a.id = g.agent_id",
            )
            .await?,
            &[&id.0],
        )
        .await?;
    Ok(row.map(|row| EndedSession {
        token_digest: row.get(0),
        agent: AgentRef {
            id: AgentId(row.get(1)),
            name: row.get(2),
        },
    }))
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
