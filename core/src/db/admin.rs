//! Invite codes, categories and the admin audit trail: the records admins manage.

use deadpool_postgres::GenericClient;
use loket_protocol::api::{AdminAction, AuditDetails, AuditEntry, AuditQuery, AuditTarget, Category, InviteCode};
use loket_protocol::ticket::AgentRef;
use loket_protocol::{AgentId, AuditId, CategoryId, SessionId, Timestamp};
use tokio_postgres::Row;

use crate::error::AppError;

fn invite_from_row(row: &Row) -> InviteCode {
    InviteCode {
        code: row.get("code"),
        max_uses: row.get("max_uses"),
        uses: row.get("uses"),
        expires_at: row.get("expires_at"),
        revoked: row.get::<_, Option<Timestamp>>("revoked_at").is_some(),
        created_at: row.get("created_at"),
        link: None,
    }
}

const INVITE_COLUMNS: &str = "code, max_uses, uses, expires_at, revoked_at, created_at";

pub async fn create_invite(
    db: &impl GenericClient,
    code: &str,
    max_uses: i32,
    expires_at: Option<Timestamp>,
    by: Option<AgentId>,
) -> Result<InviteCode, AppError> {
    let row = db
        .query_one(&db.prepare_cached(&format!(
                "INSERT INTO invite_codes (code, max_uses, expires_at, created_by) VALUES ($1, $2, $3, $4) RETURNING {INVITE_COLUMNS}"
            )).await?,
            &[&code, &max_uses, &expires_at, &by.map(|a| a.0)],
        )
        .await?;
    Ok(invite_from_row(&row))
}

pub async fn list_invites(db: &impl GenericClient) -> Result<Vec<InviteCode>, AppError> {
    let rows = db
        .query(
            &db.prepare_cached(&format!(
                "SELECT {INVITE_COLUMNS} FROM invite_codes ORDER BY created_at DESC"
            ))
            .await?,
            &[],
        )
        .await?;
    Ok(rows.iter().map(invite_from_row).collect())
}

/// Revokes a code; false if there is no such code.
pub async fn revoke_invite(db: &impl GenericClient, code: &str) -> Result<bool, AppError> {
    let n = db
        .execute(
            &db.prepare_cached("UPDATE invite_codes SET revoked_at = coalesce(revoked_at, now()) WHERE code = $1")
                .await?,
            &[&code],
        )
        .await?;
    Ok(n == 1)
}

/// The SQL condition (on `categories`, unqualified) of a category offered for new tickets: not retired.
/// Every list offered to reporters or to agents filing a ticket filters with exactly this.
pub const OFFERED_CATEGORY: &str = "retired_at IS NULL";

fn category_from_row(row: &Row) -> Category {
    Category {
        id: CategoryId(row.get("id")),
        name: row.get("name"),
        retired_at: row.get("retired_at"),
    }
}

fn name_taken(e: tokio_postgres::Error) -> AppError {
    if crate::db::is_unique_violation(&e) {
        AppError::Conflict("a category with that name already exists".into())
    } else {
        e.into()
    }
}

pub async fn create_category(db: &impl GenericClient, name: &str) -> Result<Category, AppError> {
    let row = db
        .query_one(
            &db.prepare_cached("INSERT INTO categories (name) VALUES ($1) RETURNING id, name, retired_at")
                .await?,
            &[&name],
        )
        .await
        .map_err(name_taken)?;
    Ok(category_from_row(&row))
}

/// Every category, retired ones included (tickets keep them), by name.
pub async fn list_categories(db: &impl GenericClient) -> Result<Vec<Category>, AppError> {
    let rows = db
        .query(
            &db.prepare_cached("SELECT id, name, retired_at FROM categories ORDER BY name")
                .await?,
            &[],
        )
        .await?;
    Ok(rows.iter().map(category_from_row).collect())
}

/// The categories offered for new tickets, by name.
pub async fn offered_categories(db: &impl GenericClient) -> Result<Vec<Category>, AppError> {
    let rows = db
        .query(
            &db.prepare_cached(&format!(
                "SELECT id, name, retired_at FROM categories WHERE {OFFERED_CATEGORY} ORDER BY name"
            ))
            .await?,
            &[],
        )
        .await?;
    Ok(rows.iter().map(category_from_row).collect())
}

/// One category, locked until the transaction ends.
pub async fn lock_category(db: &impl GenericClient, id: CategoryId) -> Result<Option<Category>, AppError> {
    let row = db
        .query_opt(
            &db.prepare_cached("SELECT id, name, retired_at FROM categories WHERE id = $1 FOR NO KEY UPDATE")
                .await?,
            &[&id.0],
        )
        .await?;
    Ok(row.as_ref().map(category_from_row))
}

/// Renames a category; `Conflict` if another has that name (case-insensitively).
pub async fn rename_category(db: &impl GenericClient, id: CategoryId, name: &str) -> Result<(), AppError> {
    db.execute(
        &db.prepare_cached("UPDATE categories SET name = $2 WHERE id = $1")
            .await?,
        &[&id.0, &name],
    )
    .await
    .map_err(name_taken)?;
    Ok(())
}

/// Retires (`true`) or restores a category.
pub async fn set_category_retired(
    db: &impl GenericClient,
    id: CategoryId,
    retired: bool,
) -> Result<Category, AppError> {
    let row = db
        .query_one(
            &db.prepare_cached(
                "UPDATE categories SET retired_at = CASE WHEN $2 THEN coalesce(retired_at, now()) END
                 WHERE id = $1 RETURNING id, name, retired_at",
            )
            .await?,
            &[&id.0, &retired],
        )
        .await?;
    Ok(category_from_row(&row))
}

/// Largest page of the audit trail.
pub const MAX_AUDIT_PAGE: u32 = 500;
const DEFAULT_AUDIT_PAGE: u32 = 100;

fn target_parts(target: AuditTarget) -> (&'static str, i64) {
    match target {
        AuditTarget::Agent(id) => ("agent", id.0),
        AuditTarget::Session(id) => ("session", id.0),
        AuditTarget::Category(id) => ("category", id.0),
        AuditTarget::Queue(id) => ("queue", id.0),
        AuditTarget::SlaCalendar(id) => ("sla_calendar", id),
        AuditTarget::SlaPolicy(id) => ("sla_policy", id),
    }
}

/// Records an admin action. Call it in the transaction of the change it records.
pub async fn record(
    db: &impl GenericClient,
    actor: AgentId,
    action: AdminAction,
    target: AuditTarget,
    details: &AuditDetails,
) -> Result<(), AppError> {
    let (kind, id) = target_parts(target);
    let details = serde_json::to_value(details).map_err(AppError::internal)?;
    db.execute(
        &db.prepare_cached(
            "INSERT INTO admin_audit (actor_agent_id, action, target_kind, target_id, details) VALUES ($1, $2, $3, $4, $5)",
        )
        .await?,
        &[&actor.0, &action.as_str(), &kind, &id, &details],
    )
    .await?;
    Ok(())
}

fn audit_from_row(row: &Row) -> Result<AuditEntry, AppError> {
    let action: String = row.get("action");
    let kind: String = row.get("target_kind");
    let id: i64 = row.get("target_id");
    let target = match kind.as_str() {
        "agent" => AuditTarget::Agent(AgentId(id)),
        "session" => AuditTarget::Session(SessionId(id)),
        "category" => AuditTarget::Category(CategoryId(id)),
        "queue" => AuditTarget::Queue(loket_protocol::QueueId(id)),
        "sla_calendar" => AuditTarget::SlaCalendar(id),
        "sla_policy" => AuditTarget::SlaPolicy(id),
        other => return Err(AppError::internal(format!("audit row with target kind {other}"))),
    };
    Ok(AuditEntry {
        id: AuditId(row.get("id")),
        actor: row.get::<_, Option<i64>>("actor_id").map(|id| AgentRef {
            id: AgentId(id),
            name: row.get("actor_name"),
        }),
        action: AdminAction::parse(&action)
            .ok_or_else(|| AppError::internal(format!("audit row with action {action}")))?,
        target,
        // Written by `record` from the same type; an entry it cannot read shows without details.
        details: serde_json::from_value(row.get("details")).unwrap_or_default(),
        created_at: row.get("created_at"),
    })
}

/// A page of the audit trail, newest first.
pub async fn audit_page(db: &impl GenericClient, query: &AuditQuery) -> Result<Vec<AuditEntry>, AppError> {
    let limit = i64::from(query.limit.unwrap_or(DEFAULT_AUDIT_PAGE).clamp(1, MAX_AUDIT_PAGE));
    let rows = db
        .query(
            &db.prepare_cached(
                "SELECT l.id, l.action, l.target_kind, l.target_id, l.details, l.created_at,
                        a.id AS actor_id, a.name AS actor_name
                 FROM admin_audit l LEFT JOIN agents a ON a.id = l.actor_agent_id
                 WHERE ($1::bigint IS NULL OR l.id < $1)
                   AND ($2::bigint IS NULL OR (l.target_kind = 'agent' AND l.target_id = $2))
                   AND ($3::bigint IS NULL OR (l.target_kind = 'category' AND l.target_id = $3))
                 ORDER BY l.id DESC LIMIT $4",
            )
            .await?,
            &[
                &query.before.map(|b| b.0),
                &query.agent_id.map(|a| a.0),
                &query.category_id.map(|c| c.0),
                &limit,
            ],
        )
        .await?;
    rows.iter().map(audit_from_row).collect()
}
