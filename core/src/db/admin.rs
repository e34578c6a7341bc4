//! Invite codes and categories: the records admins manage.

use deadpool_postgres::GenericClient;
use loket_protocol::api::{Category, InviteCode};
use loket_protocol::{AgentId, CategoryId, Timestamp};
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

fn category_from_row(row: &Row) -> Category {
    Category {
        id: CategoryId(row.get("id")),
        name: row.get("name"),
    }
}

pub async fn create_category(db: &impl GenericClient, name: &str) -> Result<Category, AppError> {
    let row = db
        .query_one(
            &db.prepare_cached("INSERT INTO categories (name) VALUES ($1) RETURNING id, name")
                .await?,
            &[&name],
        )
        .await
        .map_err(|e| {
            if crate::db::is_unique_violation(&e) {
                AppError::Conflict("a category with that name already exists".into())
            } else {
                e.into()
            }
        })?;
    Ok(category_from_row(&row))
}

pub async fn list_categories(db: &impl GenericClient) -> Result<Vec<Category>, AppError> {
    let rows = db
        .query(
            &db.prepare_cached("SELECT id, name FROM categories ORDER BY name")
                .await?,
            &[],
        )
        .await?;
    Ok(rows.iter().map(category_from_row).collect())
}
