//! SLA rows: calendars and policies as admins set them, each ticket's clocks (moved in the transaction of
//! the change that moves them, by the rules of `domain::sla`), and the sweep that records warnings and
//! breaches through the event log.

use deadpool_postgres::GenericClient;
use loket_protocol::lifecycle::kind_of;
use loket_protocol::sla::{SlaCalendar, SlaClock, SlaPolicy, SlaTarget};
use loket_protocol::ticket::{Priority, Status, TicketEventKind};
use loket_protocol::{QueueId, TicketId, Timestamp};
use tokio_postgres::Row;

use crate::domain::sla::{Calendar, CalendarSpec, Clock, Situation};
use crate::error::AppError;

/// The column expression that reads ticket `t`'s clocks for the wire (a JSON array, `NULL` without
/// clocks): `left_secs` as of the clock's last start or stop (a running clock counts down to `due_at`).
/// A macro, so queries can `concat!` it.
macro_rules! sla_column {
    () => {
        "(SELECT jsonb_agg(jsonb_build_object(
             'target', s.target, 'due_at', s.due_at, 'warn_at', s.warn_at, 'met_at', s.met_at,
             'paused', s.running_since IS NULL AND s.met_at IS NULL, 'left_secs', s.target_secs - s.used_secs,
             'target_secs', s.target_secs, 'breached_at', s.breached_at) ORDER BY s.target)
          FROM sla_clocks s WHERE s.ticket_id = t.id) AS sla"
    };
}
pub(crate) use sla_column;

/// Reads the column [`sla_column`] wrote.
pub(crate) fn clocks_from(row: &Row) -> Vec<SlaClock> {
    row.get::<_, Option<serde_json::Value>>("sla")
        .and_then(|json| serde_json::from_value(json).ok())
        .unwrap_or_default()
}

/// What moving a ticket's clocks needs: the policy that applies, its calendar, the clocks as stored.
pub struct Inputs {
    pub now: Timestamp,
    responded: bool,
    policy: Option<(i64, Option<i64>, Option<i64>, f64)>,
    calendar: Calendar,
    clocks: Vec<(SlaTarget, Clock)>,
}

/// The clocks a change leaves: rows to store and what the wire shows.
pub struct Moved {
    rows: Vec<(SlaTarget, Option<i64>, Clock)>,
    pub wire: Vec<SlaClock>,
}

/// Reads [`Inputs`] for ticket `id` as it will be (in `queue`, at `priority`), in the caller's
/// transaction: two statements sent together (one round trip).
pub async fn inputs(
    db: &impl GenericClient,
    id: TicketId,
    queue: QueueId,
    priority: Priority,
) -> Result<Inputs, AppError> {
    let policy = async {
        db.query_one(
            &db.prepare_cached(
                "SELECT now() AS now,
                        EXISTS (SELECT 1 FROM comments c WHERE c.ticket_id = $1 AND c.author_agent_id IS NOT NULL
                                AND NOT c.internal) AS responded,
                        p.id, p.first_response_secs, p.resolution_secs, p.warn_share, k.tz, k.hours, k.holidays
                 FROM (SELECT 1) one
                 LEFT JOIN LATERAL (
                     SELECT * FROM sla_policies p
                     WHERE (p.queue_id = $2 OR p.queue_id IS NULL) AND (p.priority = $3 OR p.priority IS NULL)
                     ORDER BY p.queue_id IS NULL, p.priority IS NULL LIMIT 1) p ON true
                 LEFT JOIN sla_calendars k ON k.id = p.calendar_id",
            )
            .await?,
            &[&id.0, &queue.0, &priority.as_str()],
        )
        .await
    };
    let clocks = async {
        db.query(
            &db.prepare_cached(
                "SELECT target, target_secs, warn_secs, used_secs, running_since, met_at, due_at, warn_at
                 FROM sla_clocks WHERE ticket_id = $1",
            )
            .await?,
            &[&id.0],
        )
        .await
    };
    let (row, clocks) = tokio::try_join!(policy, clocks)?;
    let calendar = match row.get::<_, Option<String>>("tz") {
        Some(tz) => {
            let spec = CalendarSpec {
                tz,
                hours: serde_json::from_value(row.get("hours")).map_err(AppError::internal)?,
                holidays: row.get("holidays"),
            };
            // Calendars are checked when written; one that no longer reads (a zone dropped from the
            // tz database) measures around the clock rather than stopping every change.
            Calendar::from_spec(&spec).unwrap_or_else(|err| {
                tracing::warn!(error = %err, "an SLA calendar cannot be read; measuring around the clock");
                Calendar::always()
            })
        }
        None => Calendar::always(),
    };
    Ok(Inputs {
        now: row.get("now"),
        responded: row.get("responded"),
        policy: row.get::<_, Option<i64>>("id").map(|pid| {
            (
                pid,
                row.get::<_, Option<i32>>("first_response_secs").map(i64::from),
                row.get::<_, Option<i32>>("resolution_secs").map(i64::from),
                f64::from(row.get::<_, f32>("warn_share")),
            )
        }),
        calendar,
        clocks: clocks
            .iter()
            .filter_map(|r| {
                Some((
                    SlaTarget::parse(r.get("target"))?,
                    Clock {
                        target_secs: i64::from(r.get::<_, i32>("target_secs")),
                        warn_secs: i64::from(r.get::<_, i32>("warn_secs")),
                        used_secs: r.get("used_secs"),
                        running_since: r.get("running_since"),
                        met_at: r.get("met_at"),
                        due_at: r.get("due_at"),
                        warn_at: r.get("warn_at"),
                    },
                ))
            })
            .collect(),
    })
}

impl Inputs {
    /// The clocks after the ticket is in `status` (`responded` also when this change is the first public
    /// reply): each promise of the policy started, stepped or kept, the promises it no longer makes gone.
    pub fn step(&self, status: Status, responded: bool, breached: &[SlaClock]) -> Moved {
        let situation = Situation {
            kind: kind_of(status),
            responded: responded || self.responded,
        };
        let mut rows = Vec::new();
        if let Some((policy, frt, res, share)) = self.policy {
            for (target, secs) in [(SlaTarget::FirstResponse, frt), (SlaTarget::Resolution, res)] {
                let Some(secs) = secs else { continue };
                let fresh = Clock::new(secs, share);
                let mut clock = match self.clocks.iter().find(|(t, _)| *t == target) {
                    Some((_, stored)) => stored.clone(),
                    // A new promise starts counting now (an answered ticket's first response is met).
                    None => fresh.clone(),
                };
                clock.target_secs = fresh.target_secs;
                clock.warn_secs = fresh.warn_secs;
                rows.push((
                    target,
                    Some(policy),
                    clock.step(target, situation, self.now, &self.calendar),
                ));
            }
        }
        let wire = rows
            .iter()
            .map(|(target, _, c)| SlaClock {
                target: *target,
                due_at: c.due_at,
                warn_at: c.warn_at,
                met_at: c.met_at,
                paused: c.running_since.is_none() && c.met_at.is_none(),
                left_secs: c.target_secs - c.used_secs,
                target_secs: c.target_secs,
                breached_at: breached
                    .iter()
                    .find(|b| b.target == *target)
                    .and_then(|b| b.breached_at),
            })
            .collect();
        Moved { rows, wire }
    }
}

/// Stores `moved` as ticket `id`'s clocks (one statement; clocks of promises no longer made are deleted,
/// what the sweep recorded stays).
pub async fn store(db: &impl GenericClient, id: TicketId, moved: &Moved) -> Result<(), AppError> {
    let targets: Vec<&str> = moved.rows.iter().map(|(t, _, _)| t.as_str()).collect();
    let policies: Vec<Option<i64>> = moved.rows.iter().map(|(_, p, _)| *p).collect();
    let secs = |f: fn(&Clock) -> i64| -> Vec<i32> {
        moved
            .rows
            .iter()
            .map(|(_, _, c)| i32::try_from(f(c)).unwrap_or(i32::MAX))
            .collect()
    };
    let (target_secs, warn_secs) = (secs(|c| c.target_secs), secs(|c| c.warn_secs));
    let used: Vec<i64> = moved.rows.iter().map(|(_, _, c)| c.used_secs).collect();
    let at = |f: fn(&Clock) -> Option<Timestamp>| -> Vec<Option<Timestamp>> {
        moved.rows.iter().map(|(_, _, c)| f(c)).collect()
    };
    let (since, met, due, warn) = (
        at(|c| c.running_since),
        at(|c| c.met_at),
        at(|c| c.due_at),
        at(|c| c.warn_at),
    );
    db.execute(
        &db.prepare_cached(
            "WITH gone AS (DELETE FROM sla_clocks WHERE ticket_id = $1 AND target <> ALL ($2::text[]))
             INSERT INTO sla_clocks (ticket_id, target, policy_id, target_secs, warn_secs, used_secs, running_since,
                                     met_at, due_at, warn_at)
             SELECT $1, * FROM unnest($2::text[], $3::bigint[], $4::int[], $5::int[], $6::bigint[],
                                      $7::timestamptz[], $8::timestamptz[], $9::timestamptz[], $10::timestamptz[])
             ON CONFLICT (ticket_id, target) DO UPDATE SET
                 policy_id = EXCLUDED.policy_id, target_secs = EXCLUDED.target_secs, warn_secs = EXCLUDED.warn_secs,
                 used_secs = EXCLUDED.used_secs, running_since = EXCLUDED.running_since, met_at = EXCLUDED.met_at,
                 due_at = EXCLUDED.due_at, warn_at = EXCLUDED.warn_at",
        )
        .await?,
        &[
            &id.0,
            &targets,
            &policies,
            &target_secs,
            &warn_secs,
            &used,
            &since,
            &met,
            &due,
            &warn,
        ],
    )
    .await?;
    Ok(())
}

/// Moves ticket `id`'s clocks to where its row (as the caller's transaction wrote it) puts them, and
/// stores them: for changes that do not go through a planned update (creation, a comment that may be the
/// first public reply, a reporter's reopening, a merge). Answers the clocks for the wire.
pub async fn refresh(db: &impl GenericClient, id: TicketId) -> Result<Vec<SlaClock>, AppError> {
    let row = db
        .query_one(
            &db.prepare_cached(&format!(
                "SELECT t.status, t.priority, t.queue_id, {} FROM tickets t WHERE t.id = $1",
                sla_column!()
            ))
            .await?,
            &[&id.0],
        )
        .await?;
    let status = Status::parse(row.get("status")).unwrap_or(Status::New);
    let priority = Priority::parse(row.get("priority")).unwrap_or_default();
    let before = clocks_from(&row);
    let inputs = inputs(db, id, QueueId(row.get("queue_id")), priority).await?;
    if inputs.policy.is_none() && inputs.clocks.is_empty() {
        return Ok(Vec::new());
    }
    let moved = inputs.step(status, false, &before);
    store(db, id, &moved).await?;
    Ok(moved.wire)
}

/// After an agent's public reply in the caller's transaction: meets ticket `id`'s first-response clock
/// if one is running or paused, answering the clocks for the wire; `None` (one cheap read) when no
/// first-response clock waits for a reply.
pub async fn answered(db: &impl GenericClient, id: TicketId) -> Result<Option<Vec<SlaClock>>, AppError> {
    let waiting: bool = db
        .query_one(
            &db.prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM sla_clocks
                                WHERE ticket_id = $1 AND target = 'first_response' AND met_at IS NULL)",
            )
            .await?,
            &[&id.0],
        )
        .await?
        .get(0);
    match waiting {
        true => refresh(db, id).await.map(Some),
        false => Ok(None),
    }
}

/// One warning or breach the sweep recorded: the ticket, its queue, which clock, when it fell due, and
/// its event's position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub ticket: TicketId,
    pub target: SlaTarget,
    pub breach: bool,
    pub position: u64,
}

/// Most clocks one sweep statement records; the next sweep takes the rest.
const SWEEP_BATCH: i64 = 500;

/// Records every warning and breach that fell due by the database clock: marks the clock, writes the
/// ticket's history (`sla_warning`, `sla_breached`), appends `SlaWarning`/`SlaBreached` to the event
/// log and records them as the ticket's newest attention signal (`db::attention`), in one statement each. Concurrent sweeps on other instances skip rows another one holds, and a
/// marked row no longer matches, so each is recorded once cluster-wide. Wakes every instance's follower
/// when anything was recorded. Run outside a transaction.
pub async fn sweep(db: &impl GenericClient) -> Result<Vec<Recorded>, AppError> {
    let mut recorded = Vec::new();
    for (breach, at, mark, kind, event) in [
        (false, "warn_at", "warned_at", TicketEventKind::SlaWarning, "SlaWarning"),
        (
            true,
            "due_at",
            "breached_at",
            TicketEventKind::SlaBreached,
            "SlaBreached",
        ),
    ] {
        let sql = format!(
            "WITH marked AS (
                 UPDATE sla_clocks s SET {mark} = s.{at}
                 WHERE (s.ticket_id, s.target) IN (
                     SELECT ticket_id, target FROM sla_clocks
                     WHERE {mark} IS NULL AND {at} <= now() ORDER BY {at} LIMIT {SWEEP_BATCH} FOR UPDATE SKIP LOCKED)
                 RETURNING s.ticket_id, s.target, s.{at} AS at),
             recorded AS (
                 INSERT INTO ticket_events (ticket_id, kind, new_value, reason)
                 SELECT ticket_id, $1, target, 'due ' || to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
                 FROM marked),
             numbered AS (
                 SELECT pg_current_xact_id() AS xid, m.ticket_id, m.target, m.at, t.queue_id
                 FROM marked m JOIN tickets t ON t.id = m.ticket_id),
             logged AS (
                 INSERT INTO event_log (position, xid, ticket_id, kind, payload)
                 SELECT p.position, p.xid, p.ticket_id, $2,
                        jsonb_build_object('type', $2::text, 'ticket_id', p.ticket_id, 'queue', p.queue_id,
                                           'target', p.target, 'at', p.at, 'position', p.position)
                 FROM (SELECT nextval('event_log_position_seq') AS position, xid, ticket_id, target, at, queue_id
                       FROM numbered ORDER BY at) p
                 RETURNING ticket_id, payload->>'target' AS target, position),
             attention AS (
                 INSERT INTO ticket_attention (ticket_id, position)
                 SELECT ticket_id, max(position) FROM logged GROUP BY ticket_id
                 ON CONFLICT (ticket_id) DO UPDATE SET position = excluded.position)
             SELECT ticket_id, target, position FROM logged ORDER BY position"
        );
        let rows = db
            .query(&db.prepare_cached(&sql).await?, &[&kind.as_str(), &event])
            .await?;
        for row in rows {
            recorded.push(Recorded {
                ticket: TicketId(row.get(0)),
                target: SlaTarget::parse(row.get(1)).unwrap_or(SlaTarget::Resolution),
                breach,
                position: crate::db::event_log::position_of(row.get(2))?,
            });
        }
    }
    if !recorded.is_empty() {
        crate::db::event_log::wake_followers(db, crate::event_log::CHANNEL).await?;
    }
    Ok(recorded)
}

fn calendar_from(row: &Row) -> Result<SlaCalendar, AppError> {
    Ok(SlaCalendar {
        id: row.get("id"),
        name: row.get("name"),
        tz: row.get("tz"),
        hours: serde_json::from_value(row.get("hours")).map_err(AppError::internal)?,
        holidays: row.get("holidays"),
    })
}

/// Every calendar, by name.
pub async fn calendars(db: &impl GenericClient) -> Result<Vec<SlaCalendar>, AppError> {
    db.query(
        &db.prepare_cached("SELECT id, name, tz, hours, holidays FROM sla_calendars ORDER BY name")
            .await?,
        &[],
    )
    .await?
    .iter()
    .map(calendar_from)
    .collect()
}

/// Checks `calendar` by the rules of `domain::sla` (a known zone, `HH:MM-HH:MM` hours, open some time).
pub fn check_calendar(calendar: &SlaCalendar) -> Result<(), AppError> {
    let name = calendar.name.trim();
    if name.is_empty() || name.chars().count() > 80 || name != calendar.name {
        return Err(AppError::invalid(
            "a calendar's name is 1 to 80 characters, without spaces around it",
        ));
    }
    if calendar.hours.len() != 7 {
        return Err(AppError::invalid("hours lists seven days, Monday first"));
    }
    Calendar::from_spec(&CalendarSpec {
        tz: calendar.tz.clone(),
        hours: calendar.hours.clone(),
        holidays: calendar.holidays.clone(),
    })
    .map(|_| ())
    .map_err(|err| AppError::invalid(err.to_string()))
}

/// Creates (`id` 0) or replaces a calendar; answers it as stored.
pub async fn save_calendar(db: &impl GenericClient, calendar: &SlaCalendar) -> Result<SlaCalendar, AppError> {
    check_calendar(calendar)?;
    let hours = serde_json::to_value(&calendar.hours).map_err(AppError::internal)?;
    let taken = unique("a calendar with this name exists already");
    let row = if calendar.id == 0 {
        db.query_one(
            &db.prepare_cached(
                "INSERT INTO sla_calendars (name, tz, hours, holidays) VALUES ($1, $2, $3, $4)
                 RETURNING id, name, tz, hours, holidays",
            )
            .await?,
            &[&calendar.name, &calendar.tz, &hours, &calendar.holidays],
        )
        .await
        .map_err(taken)?
    } else {
        db.query_opt(
            &db.prepare_cached(
                "UPDATE sla_calendars SET name = $2, tz = $3, hours = $4, holidays = $5, updated_at = now()
                 WHERE id = $1 RETURNING id, name, tz, hours, holidays",
            )
            .await?,
            &[&calendar.id, &calendar.name, &calendar.tz, &hours, &calendar.holidays],
        )
        .await
        .map_err(taken)?
        .ok_or(AppError::NotFound("calendar"))?
    };
    calendar_from(&row)
}

/// Maps a unique violation to `conflict` with `message`.
fn unique(message: &'static str) -> impl Fn(tokio_postgres::Error) -> AppError {
    move |err| match err.code() {
        Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) => AppError::Conflict(message.into()),
        Some(&tokio_postgres::error::SqlState::FOREIGN_KEY_VIOLATION) => {
            AppError::invalid("there is no such queue or calendar")
        }
        _ => err.into(),
    }
}

fn policy_from(row: &Row) -> SlaPolicy {
    SlaPolicy {
        id: row.get("id"),
        queue: row.get::<_, Option<i64>>("queue_id").map(QueueId),
        priority: row.get::<_, Option<&str>>("priority").and_then(Priority::parse),
        calendar_id: row.get("calendar_id"),
        first_response_secs: row.get::<_, Option<i32>>("first_response_secs").map(i64::from),
        resolution_secs: row.get::<_, Option<i32>>("resolution_secs").map(i64::from),
        warn_share: f64::from(row.get::<_, f32>("warn_share")),
    }
}

const POLICY_COLUMNS: &str = "id, queue_id, priority, calendar_id, first_response_secs, resolution_secs, warn_share";

/// Every policy, the most specific first.
pub async fn policies(db: &impl GenericClient) -> Result<Vec<SlaPolicy>, AppError> {
    Ok(db
        .query(
            &db.prepare_cached(&format!(
                "SELECT {POLICY_COLUMNS} FROM sla_policies
                 ORDER BY queue_id IS NULL, queue_id, priority IS NULL, priority"
            ))
            .await?,
            &[],
        )
        .await?
        .iter()
        .map(policy_from)
        .collect())
}

/// Longest promise accepted: a year of business seconds.
const MAX_PROMISE_SECS: i64 = 366 * 86_400;

/// Sets the policy for its queue and priority (replacing one there); answers it as stored. It applies to
/// tickets from their next change that moves a clock (docs/sla.md).
pub async fn save_policy(db: &impl GenericClient, policy: &SlaPolicy) -> Result<SlaPolicy, AppError> {
    let secs = |s: Option<i64>| -> Result<Option<i32>, AppError> {
        match s {
            None => Ok(None),
            Some(s) if (1..=MAX_PROMISE_SECS).contains(&s) => Ok(Some(s as i32)),
            Some(_) => Err(AppError::invalid("a promise is 1 second to 366 days of business time")),
        }
    };
    let (frt, res) = (secs(policy.first_response_secs)?, secs(policy.resolution_secs)?);
    if frt.is_none() && res.is_none() {
        return Err(AppError::invalid(
            "a policy promises a first response, a resolution or both",
        ));
    }
    if !(policy.warn_share > 0.0 && policy.warn_share < 1.0) {
        return Err(AppError::invalid("warn_share is between 0 and 1, such as 0.8"));
    }
    let row = db
        .query_one(
            &db.prepare_cached(&format!(
                "INSERT INTO sla_policies (queue_id, priority, calendar_id, first_response_secs, resolution_secs, warn_share)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (queue_id, priority) DO UPDATE SET calendar_id = EXCLUDED.calendar_id,
                     first_response_secs = EXCLUDED.first_response_secs, resolution_secs = EXCLUDED.resolution_secs,
                     warn_share = EXCLUDED.warn_share, updated_at = now()
                 RETURNING {POLICY_COLUMNS}"
            ))
            .await?,
            &[
                &policy.queue.map(|q| q.0),
                &policy.priority.map(|p| p.as_str()),
                &policy.calendar_id,
                &frt,
                &res,
                &(policy.warn_share as f32),
            ],
        )
        .await
        .map_err(unique("a policy for this queue and priority exists already"))?;
    Ok(policy_from(&row))
}

/// Deletes a policy; tickets keep their clocks until their next change that moves one.
pub async fn delete_policy(db: &impl GenericClient, id: i64) -> Result<(), AppError> {
    let n = db
        .execute(
            &db.prepare_cached("DELETE FROM sla_policies WHERE id = $1").await?,
            &[&id],
        )
        .await?;
    match n {
        0 => Err(AppError::NotFound("policy")),
        _ => Ok(()),
    }
}
