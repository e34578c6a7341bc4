//! First-run setup: the admin account from `LOKET_ADMIN_*`, or a generated one on an empty database.

use loket_protocol::api::Role;

use crate::auth;
use crate::db::{self, Pool};
use crate::domain::validate;
use crate::error::AppError;

/// Email of the admin created on an empty database when no `LOKET_ADMIN_*` is given.
pub const FIRST_ADMIN_EMAIL: &str = "admin@loket.local";

/// The admin account the operator asked for (`LOKET_ADMIN_EMAIL` and `LOKET_ADMIN_PASSWORD`).
#[derive(Debug, Clone, Copy)]
pub struct AdminCredentials<'a> {
    pub email: &'a str,
    pub password: &'a str,
}

/// Credentials generated for a newcomer, printed once.
#[derive(Debug, Clone)]
pub struct GeneratedAdmin {
    pub email: String,
    pub password: String,
}

/// Creates an admin account with `password` hashed off the async threads.
pub async fn create_agent(
    pool: &Pool,
    email: &str,
    name: &str,
    role: Role,
    password: String,
) -> Result<loket_protocol::api::Agent, AppError> {
    let email = validate::email(email)?;
    let name = validate::line("name", name, validate::MAX_NAME_CHARS)?;
    validate::password(&password)?;
    let hash = tokio::task::spawn_blocking(move || auth::hash_password(&password))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)?;
    let client = pool.get().await?;
    db::agents::create(&client, &email, &name, role, &hash).await
}

/// Ensures there is someone who can sign in. Returns generated credentials to show, if any were made.
pub async fn ensure_admin(
    pool: &Pool,
    admin: Option<AdminCredentials<'_>>,
) -> Result<Option<GeneratedAdmin>, AppError> {
    let client = pool.get().await?;
    if let Some(AdminCredentials { email, password }) = admin {
        if !db::agents::exists_with_email(&client, email).await? {
            drop(client);
            let name = email.split('@').next().unwrap_or("Admin").to_string();
            match create_agent(pool, email, &name, Role::Admin, password.to_string()).await {
                Ok(agent) => {
                    tracing::info!(agent = %agent.id, email = %agent.email, "created admin from LOKET_ADMIN_EMAIL")
                }
                // Another instance starting at the same moment created it first.
                Err(AppError::Conflict(_)) => {}
                Err(err) => return Err(err),
            }
        }
        return Ok(None);
    }
    if db::agents::count(&client).await? > 0 {
        return Ok(None);
    }
    drop(client);
    let password = auth::random_secret(12);
    match create_agent(pool, FIRST_ADMIN_EMAIL, "Admin", Role::Admin, password.clone()).await {
        Ok(_) => {}
        // Another instance starting at the same moment made the first admin (and showed its password).
        Err(AppError::Conflict(_)) => return Ok(None),
        Err(err) => return Err(err),
    }
    Ok(Some(GeneratedAdmin {
        email: FIRST_ADMIN_EMAIL.into(),
        password,
    }))
}
