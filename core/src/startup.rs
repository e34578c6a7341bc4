//! Opening the database (a `DATABASE_URL` or the embedded cluster) and bringing it up to date at start.

use std::path::PathBuf;

use crate::bootstrap::{self, AdminCredentials, GeneratedAdmin};
use crate::data_dir::{self, DataDirError, EMBEDDED_DIR};
use crate::db::embedded::{self, ClusterUse, EmbeddedError, EmbeddedOptions, EmbeddedPostgres};
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
    /// The data directory cannot be used (someone else's, or a link someone else planted).
    #[error("data directory: {0}")]
    DataDir(#[from] DataDirError),
    /// A server already runs on this data directory's embedded cluster.
    #[error(
        "another `loket serve`{} is already running on the data directory {}; stop it first, or give \
         this one its own LOKET_DATA_DIR. Operator commands (`loket invite create`, `loket admin \
         create`, `loket migrate`) work beside it: they use its database",
        .pid.map(|pid| format!(" (pid {pid})")).unwrap_or_default(),
        .data_dir.display()
    )]
    DataDirInUse {
        /// The data directory.
        data_dir: PathBuf,
        /// The running server's process id, when known.
        pid: Option<u32>,
    },
    #[error("cannot {action} {}: {source}", .path.display())]
    Directory {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot open the event log: {0}")]
    EventLog(AppError),
    /// Registering this instance, or cleaning up after dead ones, failed.
    #[error("cannot join the instances on this database: {0}")]
    Cluster(AppError),
    #[error("cannot create the first admin: {0}")]
    FirstAdmin(AppError),
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: String, source: std::io::Error },
    #[error("the server stopped with an error: {0}")]
    Serve(std::io::Error),
    #[error("{0}")]
    Refused(AppError),
    #[error("backup: {0}")]
    Backup(#[from] crate::backup::BackupError),
    #[error("{0}")]
    Invalid(String),
}

/// Where the database is: `DATABASE_URL`, or the embedded cluster under the data directory.
#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    pub database_url: Option<String>,
    pub data_dir: PathBuf,
}

/// The database Loket talks to, and the embedded cluster if it uses one (stopped when dropped, if this
/// process started it).
pub struct Database {
    pub pool: Pool,
    pub embedded: Option<EmbeddedPostgres>,
    /// How to reach it (URL or key=value), for PostgreSQL's own tools (backups). Holds the password of a
    /// `DATABASE_URL`: never log it.
    pub conninfo: String,
}

/// What the database is opened for. With the embedded cluster it decides who starts and stops it: one
/// server per data directory, and operator commands that use a running server's cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabasePurpose {
    /// `loket serve`: refused if another server runs on the data directory.
    Serve,
    /// An operator command (`migrate`, `admin create`, `invite create`, …).
    Command,
}

/// Connects to `DATABASE_URL`, or to the private cluster under the data directory: a running server's,
/// or one started for this process. Blocking: call it before the async runtime or from `spawn_blocking`.
pub fn open_database(settings: &DatabaseSettings, purpose: DatabasePurpose) -> Result<Database, StartError> {
    if let Some(url) = &settings.database_url {
        let pool = db::pool(url, db::DEFAULT_POOL_SIZE)?;
        return Ok(Database {
            pool,
            embedded: None,
            conninfo: url.clone(),
        });
    }
    let data_dir = prepare_data_dir(settings)?;
    let usage = match purpose {
        DatabasePurpose::Serve => ClusterUse::Serve,
        DatabasePurpose::Command => ClusterUse::Command,
    };
    let options = EmbeddedOptions {
        dir: data_dir.join(EMBEDDED_DIR),
        throwaway: false,
    };
    let embedded = EmbeddedPostgres::open(options, usage).map_err(|error| match error {
        EmbeddedError::AlreadyServed { pid, .. } => StartError::DataDirInUse { data_dir, pid },
        other => other.into(),
    })?;
    embedded.ensure_database(EMBEDDED_DATABASE)?;
    let conninfo = embedded.connection_string(EMBEDDED_DATABASE);
    let pool = db::pool(&conninfo, db::DEFAULT_POOL_SIZE)?;
    Ok(Database {
        pool,
        embedded: Some(embedded),
        conninfo,
    })
}

/// Creates the data directory and its attachments folder if missing and makes them private (see
/// [`data_dir`]); refuses one owned by another user. With the embedded cluster run as another user,
/// that user's group may pass through the data directory to its cluster. Returns the absolute path.
pub fn prepare_data_dir(settings: &DatabaseSettings) -> Result<PathBuf, StartError> {
    let traversable_by = match settings.database_url {
        Some(_) => None,
        None => embedded::postgres_user()?.map(|ids| ids.gid),
    };
    Ok(data_dir::prepare(&settings.data_dir, traversable_by)?)
}

/// Brings the schema up to date and makes sure someone can sign in (`admin`: `LOKET_ADMIN_*`, if set).
/// What earlier runs left (open locks, deliveries in flight) is cleaned up when the server joins the
/// cluster ([`crate::cluster::Cluster::join`]), not here.
pub async fn prepare(pool: &Pool, admin: Option<AdminCredentials<'_>>) -> Result<Option<GeneratedAdmin>, StartError> {
    let applied = db::migrate(pool).await?;
    if applied > 0 {
        tracing::info!(applied, "database migrations applied");
    }
    let client = pool.get().await.map_err(DbSetupError::Connect)?;
    if let Err(err) = db::agents::purge_expired_sessions(&client).await {
        tracing::warn!(error = %err, "could not purge expired sessions");
    }
    drop(client);
    bootstrap::ensure_admin(pool, admin)
        .await
        .map_err(StartError::FirstAdmin)
}
