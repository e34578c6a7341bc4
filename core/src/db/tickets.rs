//! Ticket rows and everything hanging off them: queries, and the writes each change commits in one transaction.

use deadpool_postgres::GenericClient;
use loket_protocol::ticket::{
    AgentRef, Attachment, Author, CategoryRef, Comment, Field, Location, LockInfo, Notification, NotificationStatus,
    Priority, Rating, ReporterRef, Status, Ticket, TicketChanges, TicketEvent, TicketEventKind,
};
use loket_protocol::{AgentId, AttachmentId, CategoryId, CommentId, QueueId, ReporterId, TicketId, Timestamp};
use tokio_postgres::Row;

use crate::cluster::InstanceId;
use crate::db::sla::sla_column;
use crate::domain::plan::{Named, Plan};
use crate::error::AppError;

const TICKET_SELECT: &str = concat!(
    "
    SELECT t.id, t.title, t.body, t.status, t.priority, t.queue_id, t.version, t.created_at, t.updated_at,
           c.id AS category_id, c.name AS category_name,
           r.id AS reporter_id, r.name AS reporter_name,
           a.id AS assignee_id, a.name AS assignee_name,
           t.latitude, t.longitude, t.reopened_at, t.merged_into,
           rt.rating, rt.comment AS rating_comment, rt.rated_at, ",
    sla_column!(),
    "
    FROM tickets t
    LEFT JOIN categories c ON c.id = t.category_id
    LEFT JOIN reporters r ON r.id = t.reporter_id
    LEFT JOIN agents a ON a.id = t.assignee_id
    LEFT JOIN ticket_ratings rt ON rt.ticket_id = t.id"
);

/// The columns [`ticket_from_row`] reads beyond the ticket row itself, for queries of their own: a
/// location, the reopened flag, the rating and the SLA clocks (`rt`, joined on `RATING_JOIN`).
pub(crate) const REPORTER_SIDE_COLUMNS: &str = concat!(
    "t.latitude, t.longitude, t.reopened_at, t.merged_into, rt.rating, rt.comment AS rating_comment, rt.rated_at, ",
    sla_column!()
);
/// The join that brings a ticket's rating (`rt`).
pub(crate) const RATING_JOIN: &str = "LEFT JOIN ticket_ratings rt ON rt.ticket_id = t.id";

pub(crate) fn ticket_from_row(row: &Row) -> Ticket {
    let id = TicketId(row.get("id"));
    Ticket {
        id,
        key: id.key(),
        title: row.get("title"),
        body: row.get("body"),
        // Both columns have CHECK constraints listing exactly the enum's values.
        status: Status::parse(row.get("status")).unwrap_or(Status::New),
        priority: Priority::parse(row.get("priority")).unwrap_or_default(),
        category: row.get::<_, Option<i64>>("category_id").map(|cid| CategoryRef {
            id: CategoryId(cid),
            name: row.get("category_name"),
        }),
        reporter: row.get::<_, Option<i64>>("reporter_id").map(|rid| ReporterRef {
            id: ReporterId(rid),
            name: row.get("reporter_name"),
        }),
        assignee: row.get::<_, Option<i64>>("assignee_id").map(|aid| AgentRef {
            id: AgentId(aid),
            name: row.get("assignee_name"),
        }),
        queue: QueueId(row.get("queue_id")),
        version: row.get("version"),
        lock: None,
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
        // The CHECK constraint keeps both coordinates or neither, in range.
        location: match (row.get("latitude"), row.get("longitude")) {
            (Some(latitude), Some(longitude)) => Location::new(latitude, longitude),
            _ => None,
        },
        reopened_at: row.get("reopened_at"),
        rating: row.get::<_, Option<i16>>("rating").map(|stars| Rating {
            stars: u8::try_from(stars).unwrap_or(0),
            comment: row.get("rating_comment"),
            rated_at: row.get("rated_at"),
        }),
        merged_into: row.get::<_, Option<i64>>("merged_into").map(TicketId),
        sla: crate::db::sla::clocks_from(row),
    }
}

/// One ticket, without its lock (the ticket actor knows that).
pub async fn load(db: &impl GenericClient, id: TicketId) -> Result<Option<Ticket>, AppError> {
    let row = db
        .query_opt(
            &db.prepare_cached(&format!("{TICKET_SELECT} WHERE t.id = $1")).await?,
            &[&id.0],
        )
        .await?;
    Ok(row.as_ref().map(ticket_from_row))
}

/// Who did something, as stored in the actor columns.
fn actor_columns(actor: &Author) -> (Option<i64>, Option<i64>) {
    match actor {
        Author::Agent { id, .. } => (Some(id.0), None),
        Author::Reporter { id, .. } => (None, Some(id.0)),
        Author::System => (None, None),
    }
}

/// One entry of the audit trail, written inside the change's own transaction.
#[derive(Debug, Clone, Default)]
struct EventRecord<'a> {
    field: Option<Field>,
    old_value: Option<String>,
    new_value: Option<String>,
    reason: Option<&'a str>,
}

async fn record_event(
    db: &impl GenericClient,
    ticket: TicketId,
    actor: &Author,
    kind: TicketEventKind,
    record: EventRecord<'_>,
) -> Result<(), AppError> {
    let (agent, reporter) = actor_columns(actor);
    db.execute(&db.prepare_cached("INSERT INTO ticket_events (ticket_id, actor_agent_id, actor_reporter_id, kind, field, old_value, new_value, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)").await?,
        &[&ticket.0, &agent, &reporter, &kind.as_str(), &record.field.map(Field::as_str), &record.old_value, &record.new_value, &record.reason],
    )
    .await?;
    Ok(())
}

/// Records a lock transition of ticket `id` and appends its broadcast `event` to the event log, in one
/// statement, inside the caller's transaction; answers the event's position. `not_found` if there is no
/// such ticket. The ticket's actor already serialises everything about it.
/// A `lock_taken` names the instance whose process holds the lock (`instance`), so that if it dies one
/// survivor records the lock as ended (`crate::cluster`).
pub async fn record_lock_event(
    db: &impl GenericClient,
    ticket: TicketId,
    actor: &Author,
    kind: TicketEventKind,
    reason: Option<&str>,
    event: &loket_protocol::ws::ServerMessage,
    instance: Option<InstanceId>,
) -> Result<u64, AppError> {
    let (agent, reporter) = actor_columns(actor);
    let instance = instance.filter(|_| kind == TicketEventKind::LockTaken).map(|i| i.0);
    let payload = serde_json::to_string(event).map_err(AppError::internal)?;
    let statement = db
        .prepare_cached(
            "WITH recorded AS (
                 INSERT INTO ticket_events (ticket_id, actor_agent_id, actor_reporter_id, kind, reason, instance_id)
                 SELECT id, $2, $3, $4, $5, $8 FROM tickets WHERE id = $1
                 RETURNING ticket_id)
             INSERT INTO event_log (position, xid, ticket_id, kind, payload)
             SELECT p.position, p.xid, p.ticket_id, $6, $7::text::jsonb || jsonb_build_object('position', p.position)
             FROM (SELECT nextval('event_log_position_seq') AS position, pg_current_xact_id() AS xid, r.ticket_id
                   FROM recorded r) p
             RETURNING position",
        )
        .await?;
    let row = db
        .query_opt(
            &statement,
            &[
                &ticket.0,
                &agent,
                &reporter,
                &kind.as_str(),
                &reason,
                &event.type_name(),
                &payload,
                &instance,
            ],
        )
        .await?;
    match row {
        Some(row) => crate::db::event_log::position_of(row.get(0)),
        None => Err(AppError::NotFound("ticket")),
    }
}

/// A validated new ticket.
#[derive(Debug, Clone)]
pub struct TicketDraft {
    pub title: String,
    pub body: String,
    pub priority: Priority,
    pub category_id: Option<CategoryId>,
    pub reporter_id: Option<ReporterId>,
    /// Names the submission (see `tickets.submission_key`); filing the same key again finds this ticket.
    pub submission_key: Option<String>,
}

/// What filing a draft did.
#[derive(Debug, Clone)]
pub struct Filed {
    pub ticket: Ticket,
    /// False when the submission key had filed this ticket before: nothing was inserted.
    pub created: bool,
}

/// The category a change files a ticket under, if it exists. A retired category is refused when
/// `offered_only`: agents choose from the offered ones; a reporter's draft keeps the category it was given
/// before it was retired, as tickets filed earlier keep theirs.
async fn category_for_ticket(
    db: &impl GenericClient,
    id: CategoryId,
    offered_only: bool,
) -> Result<CategoryRef, AppError> {
    let row = db
        .query_opt(
            &db.prepare_cached("SELECT name, retired_at IS NOT NULL AS retired FROM categories WHERE id = $1")
                .await?,
            &[&id.0],
        )
        .await?
        .ok_or_else(|| AppError::invalid(format!("there is no category {id}")))?;
    let name: String = row.get("name");
    if offered_only && row.get::<_, bool>("retired") {
        return Err(AppError::invalid(format!(
            "the category {name} is retired; choose another"
        )));
    }
    Ok(CategoryRef { id, name })
}

async fn check_category(db: &impl GenericClient, draft: &TicketDraft) -> Result<(), AppError> {
    if let Some(id) = draft.category_id {
        category_for_ticket(db, id, draft.reporter_id.is_none()).await?;
    }
    Ok(())
}

/// Inserts a ticket and its `created` event; returns the stored ticket. A draft whose submission key
/// filed a ticket already (for the same reporter) answers that ticket and inserts nothing.
pub async fn insert(db: &impl GenericClient, actor: &Author, draft: &TicketDraft) -> Result<Filed, AppError> {
    if let Some(existing) = filed_before(db, draft).await? {
        return Ok(Filed {
            ticket: existing,
            created: false,
        });
    }
    check_category(db, draft).await?;
    let created_by = match actor {
        Author::Agent { id, .. } => Some(id.0),
        _ => None,
    };
    // A concurrent submission with the same key waits here for the other to commit, then inserts nothing.
    let row = db
        .query_opt(
            &db.prepare_cached(
                // The category's queue, else the default (protocol::queue::queue_for_report).
                "INSERT INTO tickets (title, body, priority, category_id, reporter_id, created_by, submission_key, queue_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7,
                     coalesce((SELECT queue_id FROM categories WHERE id = $4), (SELECT id FROM queues WHERE is_default)))
             ON CONFLICT (submission_key) DO NOTHING RETURNING id",
            )
            .await?,
            &[
                &draft.title,
                &draft.body,
                &draft.priority.as_str(),
                &draft.category_id.map(|c| c.0),
                &draft.reporter_id.map(|r| r.0),
                &created_by,
                &draft.submission_key,
            ],
        )
        .await?;
    let Some(row) = row else {
        let existing = filed_before(db, draft)
            .await?
            .ok_or_else(|| AppError::internal("a conflicting submission vanished"))?;
        return Ok(Filed {
            ticket: existing,
            created: false,
        });
    };
    let id = TicketId(row.get(0));
    record_event(db, id, actor, TicketEventKind::Created, EventRecord::default()).await?;
    // The SLA clocks start with the ticket, under the policy of its queue and priority.
    crate::db::sla::refresh(db, id).await?;
    let ticket = load(db, id)
        .await?
        .ok_or_else(|| AppError::internal("inserted ticket vanished"))?;
    Ok(Filed { ticket, created: true })
}

/// The ticket filed before with `draft`'s submission key; a key used by another reporter is a conflict.
async fn filed_before(db: &impl GenericClient, draft: &TicketDraft) -> Result<Option<Ticket>, AppError> {
    let Some(key) = &draft.submission_key else {
        return Ok(None);
    };
    let Some(row) = db
        .query_opt(
            &db.prepare_cached("SELECT id, reporter_id FROM tickets WHERE submission_key = $1")
                .await?,
            &[key],
        )
        .await?
    else {
        return Ok(None);
    };
    if row.get::<_, Option<i64>>(1) != draft.reporter_id.map(|r| r.0) {
        return Err(AppError::Conflict(
            "the submission key filed someone else's ticket".into(),
        ));
    }
    load(db, TicketId(row.get(0))).await
}

/// The ticket as it is now, its row locked until the transaction ends (without its lock: the ticket
/// actor knows that), and the transaction's `now()`, which [`apply`] stamps as `updated_at`; `not_found`
/// if there is no such ticket.
pub async fn load_for_update(db: &impl GenericClient, id: TicketId) -> Result<(Ticket, Timestamp), AppError> {
    let row = db
        .query_opt(
            &db.prepare_cached(&format!(
                "{} WHERE t.id = $1 FOR UPDATE OF t",
                TICKET_SELECT.replacen("SELECT", "SELECT now() AS tx_now,", 1)
            ))
            .await?,
            &[&id.0],
        )
        .await?
        .ok_or(AppError::NotFound("ticket"))?;
    Ok((ticket_from_row(&row), row.get("tx_now")))
}

/// The ticket [`apply`] will store for `plan` on a row at `version` locked by a transaction whose
/// `now()` is `now`: known before the write, so the write's event can go with it.
pub fn applied(plan: &Plan, version: i64, now: Timestamp) -> Ticket {
    Ticket {
        version: version + 1,
        updated_at: now,
        ..plan.next.clone()
    }
}

/// The agent and category `changes` name by id, as they are now, for planning (none where there is no
/// such agent or category: the plan refuses the change).
pub async fn named(db: &impl GenericClient, changes: &TicketChanges, queue: QueueId) -> Result<Named, AppError> {
    let assignee = match changes.assignee_id {
        Some(Some(id)) => crate::db::agents::reference(db, id).await?,
        _ => None,
    };
    let (category, category_retired) = match changes.category_id {
        Some(Some(id)) => match db
            .query_opt(
                &db.prepare_cached("SELECT name, retired_at IS NOT NULL FROM categories WHERE id = $1")
                    .await?,
                &[&id.0],
            )
            .await?
        {
            Some(row) => (Some(CategoryRef { id, name: row.get(0) }), row.get(1)),
            None => (None, false),
        },
        _ => (None, false),
    };
    // The names of the queue the ticket is in and of the one it moves to, for the audit trail.
    let queues = match changes.queue_id {
        Some(to) if to != queue => crate::db::queues::names(db, &[queue, to]).await?,
        _ => Vec::new(),
    };
    Ok(Named {
        assignee,
        category,
        category_retired,
        queues,
    })
}

/// Writes a planned change of ticket `id`: its row (one new version) and one `changed` event per field in
/// `plan.changes`. Checks nothing: the plan did (`domain::plan`), against the row `load_for_update` locked
/// in the same transaction. Returns the ticket as stored.
pub async fn apply(db: &impl GenericClient, id: TicketId, actor: &Author, plan: &Plan) -> Result<Ticket, AppError> {
    let next = &plan.next;
    let row = db
        .query_one(&db.prepare_cached("UPDATE tickets SET title = $2, body = $3, status = $4, priority = $5, assignee_id = $6, category_id = $7,
                    reopened_at = $8, queue_id = $9, version = version + 1, updated_at = now()
             WHERE id = $1 RETURNING version, updated_at").await?,
            &[
                &id.0,
                &next.title,
                &next.body,
                &next.status.as_str(),
                &next.priority.as_str(),
                &next.assignee.as_ref().map(|a| a.id.0),
                &next.category.as_ref().map(|c| c.id.0),
                &next.reopened_at,
                &next.queue.0,
            ],
        )
        .await?;
    for change in &plan.changes {
        record_event(
            db,
            id,
            actor,
            TicketEventKind::Changed,
            EventRecord {
                field: Some(change.field),
                old_value: change.old.clone(),
                new_value: change.new.clone(),
                reason: None,
            },
        )
        .await?;
    }
    Ok(Ticket {
        version: row.get(0),
        updated_at: row.get(1),
        ..next.clone()
    })
}

/// What a reporter's change does to their ticket (through its actor, like every change), and the one
/// agent-side change to it that is not an update: seeing a reopening.
#[derive(Debug, Clone, PartialEq)]
pub enum ReporterEdit {
    /// Their reply reopens the resolved or closed ticket: status `open`, flagged for agents.
    Reopen,
    /// They shared where the problem is.
    Locate(Location),
    /// They rated the resolved ticket (a later rating replaces it).
    Rate { stars: u8, comment: Option<String> },
    /// An agent commented on the reopened ticket: the reopening is seen, the flag cleared (an agent's
    /// update clears it as part of the update).
    Seen,
}

/// Writes `edit` to ticket `id` (its row locked by [`load_for_update`] in the same transaction, `current`
/// as it was) with its audit entry, one new version. Answers false, writing nothing, when it changes
/// nothing (a reply to a ticket that is not resolved or closed reopens nothing).
pub async fn apply_reporter_edit(
    db: &impl GenericClient,
    current: &Ticket,
    actor: &Author,
    edit: &ReporterEdit,
) -> Result<bool, AppError> {
    let id = current.id;
    let bump = "version = version + 1, updated_at = now()";
    let record = match edit {
        ReporterEdit::Reopen => {
            // A merged duplicate stays closed: its reporter's replies go to the ticket it was merged into.
            if !matches!(current.status, Status::Resolved | Status::Closed) || current.merged_into.is_some() {
                return Ok(false);
            }
            let statement = db
                .prepare_cached(&format!(
                    "UPDATE tickets SET status = 'open', reopened_at = now(), {bump} WHERE id = $1"
                ))
                .await?;
            db.execute(&statement, &[&id.0]).await?;
            (
                TicketEventKind::Reopened,
                EventRecord {
                    field: Some(Field::Status),
                    old_value: Some(current.status.as_str().into()),
                    new_value: Some(Status::Open.as_str().into()),
                    reason: Some("reporter_reply"),
                },
            )
        }
        ReporterEdit::Seen => {
            if current.reopened_at.is_none() {
                return Ok(false);
            }
            let statement = db
                .prepare_cached(&format!("UPDATE tickets SET reopened_at = NULL, {bump} WHERE id = $1"))
                .await?;
            db.execute(&statement, &[&id.0]).await?;
            (TicketEventKind::ReopenSeen, EventRecord::default())
        }
        ReporterEdit::Locate(location) => {
            let statement = db
                .prepare_cached(&format!(
                    "UPDATE tickets SET latitude = $2, longitude = $3, {bump} WHERE id = $1"
                ))
                .await?;
            db.execute(&statement, &[&id.0, &location.latitude, &location.longitude])
                .await?;
            let old = current.location.map(|l| format!("{},{}", l.latitude, l.longitude));
            (
                TicketEventKind::LocationSet,
                EventRecord {
                    field: None,
                    old_value: old,
                    new_value: Some(format!("{},{}", location.latitude, location.longitude)),
                    reason: None,
                },
            )
        }
        ReporterEdit::Rate { stars, comment } => {
            let reporter = match actor {
                Author::Reporter { id, .. } => Some(id.0),
                _ => None,
            };
            let statement = db
                .prepare_cached(
                    "INSERT INTO ticket_ratings (ticket_id, reporter_id, rating, comment) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (ticket_id) DO UPDATE
                     SET reporter_id = EXCLUDED.reporter_id, rating = EXCLUDED.rating,
                         comment = EXCLUDED.comment, rated_at = now()",
                )
                .await?;
            db.execute(&statement, &[&id.0, &reporter, &i16::from(*stars), comment])
                .await?;
            let statement = db
                .prepare_cached(&format!("UPDATE tickets SET {bump} WHERE id = $1"))
                .await?;
            db.execute(&statement, &[&id.0]).await?;
            (
                TicketEventKind::Rated,
                EventRecord {
                    field: None,
                    old_value: current.rating.as_ref().map(|r| r.stars.to_string()),
                    new_value: Some(stars.to_string()),
                    reason: comment.as_deref(),
                },
            )
        }
    };
    let (kind, record) = record;
    record_event(db, id, actor, kind, record).await?;
    Ok(true)
}

/// Writes the merge of `duplicate` into `survivor` (both rows locked by [`load_for_update`] in this
/// transaction, as they were): the duplicate's comments and files move to the survivor, so do its
/// reporter and the reporters linked to it (`ticket_reporters`); the duplicate is closed and points at
/// the survivor; each gets one new version and its audit entries (`merged_into`, `merged_from`, and the
/// status change). The search document of the survivor is rebuilt with the moved comments' words.
/// Checks nothing: `domain::merge::plan` did. Answers both tickets as stored.
pub async fn merge(
    db: &impl GenericClient,
    actor: &Author,
    plan: &crate::domain::merge::MergePlan,
    survivor: &Ticket,
) -> Result<(Ticket, Ticket), AppError> {
    let (dup, into) = (plan.duplicate.id, survivor.id);
    let moves = db
        .prepare_cached(
            "WITH comments_moved AS (UPDATE comments SET ticket_id = $2 WHERE ticket_id = $1 RETURNING id),
                  files_moved AS (UPDATE attachments SET ticket_id = $2 WHERE ticket_id = $1 RETURNING id),
                  unlinked AS (DELETE FROM ticket_reporters WHERE ticket_id = $1 RETURNING reporter_id),
                  linked AS (
                      INSERT INTO ticket_reporters (ticket_id, reporter_id, merged_from)
                      SELECT $2, r.reporter_id, $1
                      FROM (SELECT reporter_id FROM unlinked
                            UNION SELECT reporter_id FROM tickets WHERE id = $1 AND reporter_id IS NOT NULL) r
                      WHERE r.reporter_id IS DISTINCT FROM (SELECT reporter_id FROM tickets WHERE id = $2)
                      ON CONFLICT DO NOTHING RETURNING reporter_id)
             SELECT (SELECT count(*) FROM comments_moved), (SELECT count(*) FROM files_moved),
                    (SELECT count(*) FROM linked)",
        )
        .await?;
    let moved = db.query_one(&moves, &[&dup.0, &into.0]).await?;
    let (comments, files): (i64, i64) = (moved.get(0), moved.get(1));
    let close = db
        .prepare_cached(
            "UPDATE tickets SET status = 'closed', merged_into = $2, reopened_at = NULL,
                    version = version + 1, updated_at = now()
             WHERE id = $1",
        )
        .await?;
    db.execute(&close, &[&dup.0, &into.0]).await?;
    let bump = db
        .prepare_cached(
            "UPDATE tickets SET reopened_at = NULL, version = version + 1, updated_at = now() WHERE id = $1",
        )
        .await?;
    db.execute(&bump, &[&into.0]).await?;
    if comments > 0 {
        let search = db
            .prepare_cached(
                "UPDATE ticket_search s SET doc = loket_ticket_doc(t.title, t.body) || loket_comments_doc(t.id)
                 FROM tickets t WHERE t.id = s.ticket_id AND s.ticket_id = ANY($1)",
            )
            .await?;
        db.execute(&search, &[&vec![dup.0, into.0]]).await?;
    }
    if plan.old_status != Status::Closed {
        let record = EventRecord {
            field: Some(Field::Status),
            old_value: Some(plan.old_status.as_str().into()),
            new_value: Some(Status::Closed.as_str().into()),
            reason: Some("merged"),
        };
        record_event(db, dup, actor, TicketEventKind::Changed, record).await?;
    }
    let moved_note = format!("{comments} comments, {files} files");
    let into_record = EventRecord {
        new_value: Some(into.key()),
        reason: Some(&moved_note),
        ..Default::default()
    };
    record_event(db, dup, actor, TicketEventKind::MergedInto, into_record).await?;
    let from_record = EventRecord {
        new_value: Some(dup.key()),
        reason: Some(&moved_note),
        ..Default::default()
    };
    record_event(db, into, actor, TicketEventKind::MergedFrom, from_record).await?;
    // The closed duplicate's clocks stop; the survivor's first response may be among the moved replies.
    crate::db::sla::refresh(db, dup).await?;
    crate::db::sla::refresh(db, into).await?;
    let duplicate = load(db, dup)
        .await?
        .ok_or_else(|| AppError::internal("a merged ticket vanished"))?;
    let survivor = load(db, into)
        .await?
        .ok_or_else(|| AppError::internal("a surviving ticket vanished"))?;
    Ok((duplicate, survivor))
}

/// Like [`lock_row`], answering also whether the ticket is flagged reopened (`reopened_at` set).
pub async fn lock_row_reopened(
    db: &impl GenericClient,
    id: TicketId,
    acting: Option<AgentId>,
) -> Result<(QueueId, bool), AppError> {
    let row = db
        .query_opt(
            &db.prepare_cached(&format!(
                "SELECT t.queue_id, {}, t.reopened_at IS NOT NULL FROM tickets t WHERE t.id = $1 FOR UPDATE",
                crate::db::queues::MAY_ACT
            ))
            .await?,
            &[&id.0, &acting.map(|a| a.0)],
        )
        .await?
        .ok_or(AppError::NotFound("ticket"))?;
    crate::db::queues::allowed(row.get(1))?;
    Ok((QueueId(row.get(0)), row.get(2)))
}

/// Locks the ticket's row until the transaction ends and answers its queue; `not_found` unless it
/// exists, `not_in_queue` unless `acting` (an agent; `None` for a reporter or Loket) may act on it.
pub async fn lock_row(db: &impl GenericClient, id: TicketId, acting: Option<AgentId>) -> Result<QueueId, AppError> {
    Ok(lock_row_reopened(db, id, acting).await?.0)
}

const COMMENT_SELECT: &str = "
    SELECT c.id, c.ticket_id, c.body, c.internal, c.created_at,
           c.author_agent_id, ag.name AS agent_name, c.author_reporter_id, rp.name AS reporter_name,
           coalesce((SELECT array_agg(at.id ORDER BY at.id) FROM attachments at WHERE at.comment_id = c.id), '{}') AS attachment_ids
    FROM comments c
    LEFT JOIN agents ag ON ag.id = c.author_agent_id
    LEFT JOIN reporters rp ON rp.id = c.author_reporter_id";

fn author_from(row: &Row, agent_col: &str, agent_name: &str, reporter_col: &str, reporter_name: &str) -> Author {
    if let Some(id) = row.get::<_, Option<i64>>(agent_col) {
        Author::Agent {
            id: AgentId(id),
            name: row.get::<_, Option<String>>(agent_name).unwrap_or_default(),
        }
    } else if let Some(id) = row.get::<_, Option<i64>>(reporter_col) {
        Author::Reporter {
            id: ReporterId(id),
            name: row.get::<_, Option<String>>(reporter_name).unwrap_or_default(),
        }
    } else {
        Author::System
    }
}

fn comment_from_row(row: &Row) -> Comment {
    Comment {
        id: CommentId(row.get("id")),
        ticket_id: TicketId(row.get("ticket_id")),
        author: author_from(
            row,
            "author_agent_id",
            "agent_name",
            "author_reporter_id",
            "reporter_name",
        ),
        body: row.get("body"),
        internal: row.get("internal"),
        created_at: row.get("created_at"),
        attachments: row
            .get::<_, Vec<i64>>("attachment_ids")
            .into_iter()
            .map(AttachmentId)
            .collect(),
    }
}

/// Adds a comment and its `commented` event.
pub async fn insert_comment(
    db: &impl GenericClient,
    ticket: TicketId,
    author: &Author,
    body: &str,
    internal: bool,
) -> Result<Comment, AppError> {
    let (agent, reporter) = actor_columns(author);
    let row = db
        .query_one(
            &db.prepare_cached(
                "INSERT INTO comments (ticket_id, author_agent_id, author_reporter_id, body, internal)
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .await?,
            &[&ticket.0, &agent, &reporter, &body, &internal],
        )
        .await?;
    let id: i64 = row.get(0);
    record_event(
        db,
        ticket,
        author,
        TicketEventKind::Commented,
        EventRecord {
            new_value: Some(if internal { "internal" } else { "public" }.into()),
            ..Default::default()
        },
    )
    .await?;
    let row = db
        .query_one(
            &db.prepare_cached(&format!("{COMMENT_SELECT} WHERE c.id = $1")).await?,
            &[&id],
        )
        .await?;
    Ok(comment_from_row(&row))
}

pub async fn comments(db: &impl GenericClient, ticket: TicketId) -> Result<Vec<Comment>, AppError> {
    let rows = db
        .query(
            &db.prepare_cached(&format!("{COMMENT_SELECT} WHERE c.ticket_id = $1 ORDER BY c.id"))
                .await?,
            &[&ticket.0],
        )
        .await?;
    Ok(rows.iter().map(comment_from_row).collect())
}

/// One comment by id, if it is on record.
pub async fn comment(db: &impl GenericClient, id: CommentId) -> Result<Option<Comment>, AppError> {
    let row = db
        .query_opt(
            &db.prepare_cached(&format!("{COMMENT_SELECT} WHERE c.id = $1")).await?,
            &[&id.0],
        )
        .await?;
    Ok(row.as_ref().map(comment_from_row))
}

/// The columns an [`Attachment`] is read from.
const ATTACHMENT_COLUMNS: &str = "id, ticket_id, comment_id, file_name, content_type, size_bytes, created_at";

fn attachment_from_row(row: &Row) -> Attachment {
    let id = AttachmentId(row.get("id"));
    Attachment {
        id,
        ticket_id: TicketId(row.get("ticket_id")),
        file_name: row.get("file_name"),
        content_type: row.get("content_type"),
        size_bytes: row.get("size_bytes"),
        url: format!("/api/attachments/{id}"),
        created_at: row.get("created_at"),
        comment_id: row.get::<_, Option<i64>>("comment_id").map(CommentId),
    }
}

pub async fn attachments(db: &impl GenericClient, ticket: TicketId) -> Result<Vec<Attachment>, AppError> {
    let rows = db
        .query(
            &db.prepare_cached(&format!(
                "SELECT {ATTACHMENT_COLUMNS} FROM attachments WHERE ticket_id = $1 ORDER BY id"
            ))
            .await?,
            &[&ticket.0],
        )
        .await?;
    Ok(rows.iter().map(attachment_from_row).collect())
}

/// One attachment by id, if it is on record.
pub async fn attachment(db: &impl GenericClient, id: AttachmentId) -> Result<Option<Attachment>, AppError> {
    let row = db
        .query_opt(
            &db.prepare_cached(&format!("SELECT {ATTACHMENT_COLUMNS} FROM attachments WHERE id = $1"))
                .await?,
            &[&id.0],
        )
        .await?;
    Ok(row.as_ref().map(attachment_from_row))
}

/// A file to record on a ticket, with its bytes (stored in the database with it).
#[derive(Debug, Clone)]
pub struct AttachmentDraft {
    pub comment_id: Option<CommentId>,
    pub file_name: String,
    pub content_type: String,
    /// The file itself; cheap to clone.
    pub content: std::sync::Arc<[u8]>,
    pub telegram_file_id: Option<String>,
    /// The agent who uploaded it from the web client (it waits for their reply), if one did.
    pub uploaded_by: Option<AgentId>,
}

/// What recording an attachment did.
#[derive(Debug, Clone)]
pub struct Attached {
    pub attachment: Attachment,
    /// False when the same Telegram file was recorded for the same comment before: nothing was inserted.
    pub created: bool,
}

/// Records an attachment and its `attachment_added` event. The ticket's row must be locked (`lock_row`);
/// the comment, if any, must be on this ticket.
pub async fn insert_attachment(
    db: &impl GenericClient,
    ticket: TicketId,
    actor: &Author,
    draft: &AttachmentDraft,
) -> Result<Attached, AppError> {
    if let Some(comment) = draft.comment_id
        && db
            .query_opt(
                &db.prepare_cached("SELECT 1 FROM comments WHERE id = $1 AND ticket_id = $2")
                    .await?,
                &[&comment.0, &ticket.0],
            )
            .await?
            .is_none()
    {
        return Err(AppError::invalid(format!(
            "comment {comment} is not on ticket {ticket}"
        )));
    }
    if let Some(file_id) = &draft.telegram_file_id
        && let Some(row) = db
            .query_opt(
                &db.prepare_cached(&format!(
                    "SELECT {ATTACHMENT_COLUMNS} FROM attachments
                     WHERE ticket_id = $1 AND comment_id IS NOT DISTINCT FROM $2
                     AND telegram_file_id = $3 ORDER BY id LIMIT 1"
                ))
                .await?,
                &[&ticket.0, &draft.comment_id.map(|c| c.0), file_id],
            )
            .await?
    {
        return Ok(Attached {
            attachment: attachment_from_row(&row),
            created: false,
        });
    }
    let size_bytes = i64::try_from(draft.content.len()).unwrap_or(i64::MAX);
    let row = db
        .query_one(
            &db.prepare_cached(&format!(
                "INSERT INTO attachments (ticket_id, comment_id, file_name, content_type, size_bytes, telegram_file_id, uploaded_by)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {ATTACHMENT_COLUMNS}"
            ))
            .await?,
            &[
                &ticket.0,
                &draft.comment_id.map(|c| c.0),
                &draft.file_name,
                &draft.content_type,
                &size_bytes,
                &draft.telegram_file_id,
                &draft.uploaded_by.map(|a| a.0),
            ],
        )
        .await?;
    crate::db::attachments::write(db, AttachmentId(row.get("id")), &draft.content).await?;
    record_event(
        db,
        ticket,
        actor,
        TicketEventKind::AttachmentAdded,
        EventRecord {
            new_value: Some(draft.file_name.clone()),
            ..Default::default()
        },
    )
    .await?;
    Ok(Attached {
        attachment: attachment_from_row(&row),
        created: true,
    })
}

/// Makes `uploads` (files `agent` uploaded to `ticket`, not yet sent with a comment) comment `comment`'s,
/// in the comment's transaction. Any that is not such an upload is `invalid` (and the comment rolls
/// back). Answers them in id order.
pub async fn link_uploads(
    db: &impl GenericClient,
    ticket: TicketId,
    comment: CommentId,
    agent: AgentId,
    uploads: &[AttachmentId],
) -> Result<Vec<AttachmentId>, AppError> {
    let mut wanted: Vec<i64> = uploads.iter().map(|a| a.0).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let rows = db
        .query(
            &db.prepare_cached(
                "UPDATE attachments SET comment_id = $2
                 WHERE id = ANY($4) AND ticket_id = $1 AND comment_id IS NULL AND uploaded_by = $3
                 RETURNING id",
            )
            .await?,
            &[&ticket.0, &comment.0, &agent.0, &wanted],
        )
        .await?;
    let mut linked: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
    linked.sort_unstable();
    if linked != wanted {
        let missing: Vec<String> = wanted
            .iter()
            .filter(|w| !linked.contains(w))
            .map(|w| w.to_string())
            .collect();
        return Err(AppError::invalid(format!(
            "file {} is not an upload of yours waiting on this ticket (sent already, or never uploaded here); upload it again",
            missing.join(", ")
        )));
    }
    Ok(linked.into_iter().map(AttachmentId).collect())
}

pub async fn events(db: &impl GenericClient, ticket: TicketId) -> Result<Vec<TicketEvent>, AppError> {
    let rows = db
        .query(
            &db.prepare_cached(
                "SELECT e.id, e.ticket_id, e.kind, e.field, e.old_value, e.new_value, e.reason, e.created_at,
                    e.actor_agent_id, ag.name AS agent_name, e.actor_reporter_id, rp.name AS reporter_name
             FROM ticket_events e
             LEFT JOIN agents ag ON ag.id = e.actor_agent_id
             LEFT JOIN reporters rp ON rp.id = e.actor_reporter_id
             WHERE e.ticket_id = $1 ORDER BY e.id",
            )
            .await?,
            &[&ticket.0],
        )
        .await?;
    Ok(rows
        .iter()
        .filter_map(|row| {
            Some(TicketEvent {
                id: row.get("id"),
                ticket_id: TicketId(row.get("ticket_id")),
                actor: author_from(
                    row,
                    "actor_agent_id",
                    "agent_name",
                    "actor_reporter_id",
                    "reporter_name",
                ),
                kind: TicketEventKind::parse(row.get("kind"))?,
                // Only `Field` names are ever written.
                field: row.get::<_, Option<&str>>("field").and_then(Field::parse),
                old_value: row.get("old_value"),
                new_value: row.get("new_value"),
                reason: row.get("reason"),
                created_at: row.get("created_at"),
            })
        })
        .collect())
}

pub async fn notifications(db: &impl GenericClient, ticket: TicketId) -> Result<Vec<Notification>, AppError> {
    let rows = db
        .query(
            &db.prepare_cached(
                "SELECT id, ticket_id, body, data, status, attempts, last_error, created_at, delivered_at
             FROM notifications WHERE ticket_id = $1 ORDER BY id",
            )
            .await?,
            &[&ticket.0],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| Notification {
            id: row.get("id"),
            ticket_id: TicketId(row.get("ticket_id")),
            body: row.get::<_, Option<String>>("body").unwrap_or_default(),
            notice: row
                .get::<_, Option<serde_json::Value>>("data")
                .and_then(|data| serde_json::from_value(data).ok()),
            status: NotificationStatus::parse(row.get("status")).unwrap_or(NotificationStatus::Pending),
            attempts: row.get("attempts"),
            last_error: row.get("last_error"),
            created_at: row.get("created_at"),
            delivered_at: row.get("delivered_at"),
        })
        .collect())
}

/// Attaches the current lock to a ticket view.
pub fn with_lock(mut ticket: Ticket, lock: Option<LockInfo>) -> Ticket {
    ticket.lock = lock;
    ticket
}
