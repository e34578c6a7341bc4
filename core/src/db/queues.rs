//! The `queues` and `queue_members` tables, and `categories.queue_id`: queries for queue administration
//! and for who may see which queue's tickets.

use deadpool_postgres::GenericClient;
use loket_protocol::api::Role;
use loket_protocol::queue::{Access, Queue, QueueMember};
use loket_protocol::ticket::AgentRef;
use loket_protocol::{AgentId, CategoryId, QueueId};

use crate::error::AppError;

/// SQL true when the agent `$2` (NULL: not an agent) may act on ticket `t`: no agent, an admin, or a
/// member of the ticket's queue. Read in the change's own transaction, so a membership that ended a
/// moment ago lets nothing through.
pub(crate) const MAY_ACT: &str = "($2::bigint IS NULL
     OR EXISTS (SELECT 1 FROM agents a WHERE a.id = $2 AND a.role = 'admin')
     OR EXISTS (SELECT 1 FROM queue_members m WHERE m.queue_id = t.queue_id AND m.agent_id = $2))";

/// Answers `not_in_queue` unless [`MAY_ACT`] said yes.
pub(crate) fn allowed(may_act: bool) -> Result<(), AppError> {
    if may_act { Ok(()) } else { Err(AppError::NotInQueue) }
}

/// What `agent` may see: their role and their queues, read afresh (one indexed lookup). `not_found` if
/// there is no such agent.
pub async fn access(db: &impl GenericClient, agent: AgentId) -> Result<Access, AppError> {
    let row = db
        .query_opt(
            &db.prepare_cached(
                "SELECT a.role, array(SELECT m.queue_id FROM queue_members m WHERE m.agent_id = a.id ORDER BY 1)
                 FROM agents a WHERE a.id = $1",
            )
            .await?,
            &[&agent.0],
        )
        .await?
        .ok_or(AppError::NotFound("agent"))?;
    let role = Role::parse(row.get(0)).unwrap_or(Role::Agent);
    let queues = row.get::<_, Vec<i64>>(1).into_iter().map(QueueId).collect();
    Ok(Access::of(role, queues))
}

const QUEUE_SELECT: &str = "
    SELECT q.id, q.name, q.description, q.is_default,
           coalesce((SELECT array_agg(m.agent_id ORDER BY a.name, m.agent_id) FROM queue_members m
                     JOIN agents a ON a.id = m.agent_id WHERE m.queue_id = q.id), '{}') AS member_ids,
           coalesce((SELECT array_agg(a.name ORDER BY a.name, m.agent_id) FROM queue_members m
                     JOIN agents a ON a.id = m.agent_id WHERE m.queue_id = q.id), '{}') AS member_names,
           coalesce((SELECT array_agg(m.manager ORDER BY a.name, m.agent_id) FROM queue_members m
                     JOIN agents a ON a.id = m.agent_id WHERE m.queue_id = q.id), '{}') AS member_managers,
           coalesce((SELECT array_agg(c.id ORDER BY c.id) FROM categories c WHERE c.queue_id = q.id), '{}')
               AS category_ids
    FROM queues q";

fn queue_from_row(row: &tokio_postgres::Row) -> Queue {
    let ids: Vec<i64> = row.get("member_ids");
    let names: Vec<String> = row.get("member_names");
    let managers: Vec<bool> = row.get("member_managers");
    Queue {
        id: QueueId(row.get("id")),
        name: row.get("name"),
        description: row.get("description"),
        is_default: row.get("is_default"),
        members: ids
            .into_iter()
            .zip(names)
            .zip(managers)
            .map(|((id, name), manager)| QueueMember {
                agent: AgentRef { id: AgentId(id), name },
                manager,
            })
            .collect(),
        categories: row
            .get::<_, Vec<i64>>("category_ids")
            .into_iter()
            .map(CategoryId)
            .collect(),
    }
}

/// Every queue, by name.
pub async fn list(db: &impl GenericClient) -> Result<Vec<Queue>, AppError> {
    let rows = db
        .query(
            &db.prepare_cached(&format!("{QUEUE_SELECT} ORDER BY lower(q.name), q.id"))
                .await?,
            &[],
        )
        .await?;
    Ok(rows.iter().map(queue_from_row).collect())
}

/// One queue.
pub async fn get(db: &impl GenericClient, id: QueueId) -> Result<Option<Queue>, AppError> {
    let row = db
        .query_opt(
            &db.prepare_cached(&format!("{QUEUE_SELECT} WHERE q.id = $1")).await?,
            &[&id.0],
        )
        .await?;
    Ok(row.as_ref().map(queue_from_row))
}

/// Locks queue `id`'s row until the transaction ends; answers its name (`not_found` if there is none).
pub async fn lock(db: &impl GenericClient, id: QueueId) -> Result<String, AppError> {
    db.query_opt(
        &db.prepare_cached("SELECT name FROM queues WHERE id = $1 FOR UPDATE")
            .await?,
        &[&id.0],
    )
    .await?
    .map(|row| row.get(0))
    .ok_or(AppError::NotFound("queue"))
}

fn taken(err: tokio_postgres::Error) -> AppError {
    if crate::db::is_unique_violation(&err) {
        AppError::Conflict("a queue with that name already exists".into())
    } else {
        err.into()
    }
}

/// Inserts a queue (not the default: see [`make_default`]).
pub async fn insert(db: &impl GenericClient, name: &str, description: &str) -> Result<QueueId, AppError> {
    let row = db
        .query_one(
            &db.prepare_cached("INSERT INTO queues (name, description) VALUES ($1, $2) RETURNING id")
                .await?,
            &[&name, &description],
        )
        .await
        .map_err(taken)?;
    Ok(QueueId(row.get(0)))
}

/// Renames a queue and sets its description.
pub async fn update(db: &impl GenericClient, id: QueueId, name: &str, description: &str) -> Result<(), AppError> {
    db.execute(
        &db.prepare_cached("UPDATE queues SET name = $2, description = $3 WHERE id = $1")
            .await?,
        &[&id.0, &name, &description],
    )
    .await
    .map_err(taken)?;
    Ok(())
}

/// The default queue (the one reports go to when their category names none).
pub async fn default_queue(db: &impl GenericClient) -> Result<QueueId, AppError> {
    db.query_opt(&db.prepare_cached("SELECT id FROM queues WHERE is_default").await?, &[])
        .await?
        .map(|row| QueueId(row.get(0)))
        .ok_or_else(|| AppError::internal("no queue is the default"))
}

/// Makes `id` the default queue, and the old default an ordinary one. Answers the old default's name.
pub async fn make_default(db: &impl GenericClient, id: QueueId) -> Result<Option<String>, AppError> {
    // Two statements: the unique index on the default is checked row by row.
    let old = db
        .query_opt(
            &db.prepare_cached("UPDATE queues SET is_default = false WHERE is_default AND id <> $1 RETURNING name")
                .await?,
            &[&id.0],
        )
        .await?
        .map(|row| row.get(0));
    db.execute(
        &db.prepare_cached("UPDATE queues SET is_default = true WHERE id = $1")
            .await?,
        &[&id.0],
    )
    .await?;
    Ok(old)
}

/// Whether `agent` is a member of `queue`, and if so whether they manage it.
pub async fn membership(db: &impl GenericClient, queue: QueueId, agent: AgentId) -> Result<Option<bool>, AppError> {
    Ok(db
        .query_opt(
            &db.prepare_cached("SELECT manager FROM queue_members WHERE queue_id = $1 AND agent_id = $2")
                .await?,
            &[&queue.0, &agent.0],
        )
        .await?
        .map(|row| row.get(0)))
}

/// Adds `agent` to `queue` or changes whether they manage it.
pub async fn set_member(
    db: &impl GenericClient,
    queue: QueueId,
    agent: AgentId,
    manager: bool,
) -> Result<(), AppError> {
    db.execute(
        &db.prepare_cached(
            "INSERT INTO queue_members (queue_id, agent_id, manager) VALUES ($1, $2, $3)
             ON CONFLICT (queue_id, agent_id) DO UPDATE SET manager = EXCLUDED.manager",
        )
        .await?,
        &[&queue.0, &agent.0, &manager],
    )
    .await?;
    Ok(())
}

/// Takes `agent` out of `queue`; answers whether they were in it.
pub async fn remove_member(db: &impl GenericClient, queue: QueueId, agent: AgentId) -> Result<bool, AppError> {
    Ok(db
        .execute(
            &db.prepare_cached("DELETE FROM queue_members WHERE queue_id = $1 AND agent_id = $2")
                .await?,
            &[&queue.0, &agent.0],
        )
        .await?
        == 1)
}

/// Files `category`'s reports in `queue` (none: the default queue), its row locked; answers the
/// category's name and the name of the queue it named before (`not_found` if there is no category).
pub async fn set_category_queue(
    db: &impl GenericClient,
    category: CategoryId,
    queue: Option<QueueId>,
) -> Result<(String, Option<String>), AppError> {
    let row = db
        .query_opt(
            &db.prepare_cached(
                "WITH old AS (SELECT c.id, c.name, q.name AS queue_name FROM categories c
                              LEFT JOIN queues q ON q.id = c.queue_id WHERE c.id = $1 FOR UPDATE OF c)
                 UPDATE categories c SET queue_id = $2 FROM old WHERE c.id = old.id
                 RETURNING old.name, old.queue_name",
            )
            .await?,
            &[&category.0, &queue.map(|q| q.0)],
        )
        .await?
        .ok_or(AppError::NotFound("category"))?;
    Ok((row.get(0), row.get(1)))
}

/// The names of the queues `ids` names, by id (missing ones are absent).
pub async fn names(db: &impl GenericClient, ids: &[QueueId]) -> Result<Vec<(QueueId, String)>, AppError> {
    let ids: Vec<i64> = ids.iter().map(|q| q.0).collect();
    let rows = db
        .query(
            &db.prepare_cached("SELECT id, name FROM queues WHERE id = ANY($1)")
                .await?,
            &[&ids],
        )
        .await?;
    Ok(rows.iter().map(|r| (QueueId(r.get(0)), r.get(1))).collect())
}
