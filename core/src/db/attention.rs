//! The `ticket_attention` and `ticket_reads` tables (migrations/V26__attention.sql): recording a ticket's
//! newest attention signal as it is logged, marking it read for one agent, and the board's unread test.

use deadpool_postgres::GenericClient;
use loket_protocol::attention::{Signal, Whom};
use loket_protocol::{AgentId, TicketId};

use crate::error::AppError;

/// Joined to a board page's rows (`t`, the tickets; the agent's id is parameter `me`): one primary-key
/// lookup in each table per row on the page, and the agent's baseline once.
pub(crate) fn join(me: &str) -> String {
    format!(
        "LEFT JOIN ticket_attention ta ON ta.ticket_id = t.id
         LEFT JOIN ticket_reads tr ON tr.agent_id = {me} AND tr.ticket_id = t.id
         LEFT JOIN agents am ON am.id = {me}"
    )
}

/// Whether a row joined with [`join`] is unread for agent parameter `me`: a signal for everyone newer than
/// the agent's read position (without one, their baseline), or an assignment to them (still theirs) newer
/// than it.
fn unread_test(me: &str) -> String {
    format!(
        "coalesce(ta.position > coalesce(tr.position, am.attention_from)
                  OR (t.assignee_id = {me} AND ta.assignee_id = {me}
                      AND ta.assigned_position > coalesce(tr.position, am.attention_from)), false)"
    )
}

/// The column `unread` of a row joined with [`join`] for agent parameter `me`.
pub(crate) fn unread_column(me: &str) -> String {
    format!("{} AS unread", unread_test(me))
}

/// The statement that appends an event raising `signal` to the event log and records the signal in the
/// same statement (one round trip, like the append alone). Its parameters: `$1` ticket, `$2` kind,
/// `$3` payload, then `$4` the assignee for an assignment.
pub(crate) fn append_recording(signal: &Signal, insert_event: &str) -> String {
    let record = match signal.whom {
        Whom::Everyone => {
            "INSERT INTO ticket_attention (ticket_id, position) SELECT $1, position FROM e
             ON CONFLICT (ticket_id) DO UPDATE SET position = excluded.position"
        }
        Whom::Agent(_) => {
            "INSERT INTO ticket_attention (ticket_id, assignee_id, assigned_position) SELECT $1, $4, position FROM e
             ON CONFLICT (ticket_id) DO UPDATE
             SET assignee_id = excluded.assignee_id, assigned_position = excluded.assigned_position"
        }
    };
    format!("WITH e AS ({insert_event}), a AS ({record}) SELECT position FROM e")
}

/// Marks ticket `ticket` read by `agent` up to its newest signal, when something was unread for them.
/// Answers whether anything was unread (then the agent's other sessions are told).
pub async fn mark_read(db: &impl GenericClient, agent: AgentId, ticket: TicketId) -> Result<bool, AppError> {
    let statement = db
        .prepare_cached(&format!(
            "INSERT INTO ticket_reads (agent_id, ticket_id, position)
             SELECT $1, t.id, greatest(coalesce(ta.position, 0), coalesce(ta.assigned_position, 0))
             FROM tickets t {} WHERE t.id = $2 AND {}
             ON CONFLICT (agent_id, ticket_id) DO UPDATE
             SET position = greatest(ticket_reads.position, excluded.position), read_at = now()
             RETURNING position",
            join("$1"),
            unread_test("$1")
        ))
        .await?;
    Ok(!db.query(&statement, &[&agent.0, &ticket.0]).await?.is_empty())
}
