//! Opening the database (a `DATABASE_URL` or the embedded cluster) and bringing it up to date at start.

use std::path::{Path, PathBuf};

use crate::bootstrap::{self, AdminCredentials, GeneratedAdmin};
use crate::db::embedded::{EmbeddedError, EmbeddedOptions, EmbeddedPostgres};
use crate::db::{self, DbSetupError, Pool};
use crate::error::AppError;

/// Name of the database Loket uses in its embedded cluster.
pub const EMBEDDED_DATABASE: &str = "loket";

/// Why Loket could not start, explained for the operator.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Database(#[from] DbSetupError),
    #[error("embedded PostgreSQL: {0}")]
    Embedded(#[from] EmbeddedError),
    #[error("cannot {action} {}: {source}", .path.display())]
    Directory {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot close locks left by the previous run: {0}")]
    OrphanedLocks(AppError),
    #[error("cannot create the first admin: {0}")]
    FirstAdmin(AppError),
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: String, source: std::io::Error },
    #[error("the server stopped with an error: {0}")]
    Serve(std::io::Error),
    #[error("{0}")]
    Refused(AppError),
    #[error("{0}")]
    Invalid(String),
}

/// Where the database is: `DATABASE_URL`, or the embedded cluster under the data directory.
#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    pub database_url: Option<String>,
    pub data_dir: PathBuf,
}

/// The database Loket talks to, and the embedded cluster if it started one (stopped when dropped).
pub struct Database {
    pub pool: Pool,
    pub embedded: Option<EmbeddedPostgres>,
}

/// Connects to `DATABASE_URL`, or starts (or reuses) the private cluster under the data directory.
/// Blocking: call it before the async runtime or from `spawn_blocking`.
pub fn open_database(settings: &DatabaseSettings) -> Result<Database, StartError> {
    if let Some(url) = &settings.database_url {
        let pool = db::pool(url, db::DEFAULT_POOL_SIZE)?;
        return Ok(Database { pool, embedded: None });
    }
    let dir = absolute(&settings.data_dir.join("postgres"))?;
    let embedded = EmbeddedPostgres::start(EmbeddedOptions { dir, throwaway: false })?;
    embedded.ensure_database(EMBEDDED_DATABASE)?;
    let pool = db::pool(&embedded.connection_string(EMBEDDED_DATABASE), db::DEFAULT_POOL_SIZE)?;
    Ok(Database {
        pool,
        embedded: Some(embedded),
    })
}

fn absolute(path: &Path) -> Result<PathBuf, StartError> {
    let failed = |action, source| StartError::Directory {
        action,
        path: path.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(path).map_err(|e| failed("create", e))?;
    path.canonicalize().map_err(|e| failed("resolve", e))
}

/// Brings the schema up to date and makes sure someone can sign in (`admin`: `LOKET_ADMIN_*`, if set).
pub async fn prepare(pool: &Pool, admin: Option<AdminCredentials<'_>>) -> Result<Option<GeneratedAdmin>, StartError> {
    let applied = db::migrate(pool).await?;
    if applied > 0 {
        tracing::info!(applied, "database migrations applied");
    }
    let client = pool.get().await.map_err(DbSetupError::Connect)?;
    let orphaned = db::tickets::close_orphaned_locks(&client)
        .await
        .map_err(StartError::OrphanedLocks)?;
    if orphaned > 0 {
        tracing::info!(
            orphaned,
            "locks held when the previous run stopped are recorded as expired"
        );
    }
    if let Err(err) = db::agents::purge_expired_sessions(&client).await {
        tracing::warn!(error = %err, "could not purge expired sessions");
    }
    drop(client);
    bootstrap::ensure_admin(pool, admin)
        .await
        .map_err(StartError::FirstAdmin)
}
