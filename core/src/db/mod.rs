//! PostgreSQL access: the connection pool, migrations, and the queries grouped by what they touch.

pub mod admin;
pub mod agents;
pub mod embedded;
pub mod outbox;
pub mod reporters;
pub mod tickets;

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::time::Duration;

use deadpool_postgres::{Connect, Manager, ManagerConfig, RecyclingMethod, Runtime, Timeouts};
use tokio::task::JoinHandle;
use tokio_postgres::NoTls;

pub use deadpool_postgres::{Pool, PoolError, Transaction};
pub use tokio_postgres::Error as PgError;

mod migrations {
    refinery::embed_migrations!("../migrations");
}

/// How long a request waits for a connection before answering `unavailable`.
const POOL_TIMEOUT: Duration = Duration::from_secs(5);
/// Default pool size; PostgreSQL work is short, so a few connections serve many agents.
pub const DEFAULT_POOL_SIZE: usize = 16;
/// Key of the advisory lock that serialises migrations between instances starting together.
const MIGRATION_LOCK_KEY: i64 = 0x004c_6f6b_6574; // "Loket" in ASCII

/// Why the database could not be set up: a bad URL, no connection, or a failed migration.
#[derive(Debug, thiserror::Error)]
pub enum DbSetupError {
    #[error("bad database URL: {0}")]
    BadUrl(tokio_postgres::Error),
    #[error("cannot build the database pool: {0}")]
    Pool(#[from] deadpool_postgres::BuildError),
    #[error("cannot connect to the database: {0}")]
    Connect(#[from] deadpool_postgres::PoolError),
    #[error("cannot take the migration lock: {0}")]
    MigrationLock(tokio_postgres::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] refinery::Error),
}

/// Builds a pool for `conninfo` (URL or key=value form). Connections are made lazily.
pub fn pool(conninfo: &str, size: usize) -> Result<Pool, DbSetupError> {
    let config: tokio_postgres::Config = conninfo.parse().map_err(DbSetupError::BadUrl)?;
    let manager = Manager::from_connect(
        config,
        OwnRuntimeConnect,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(size)
        .runtime(Runtime::Tokio1)
        .timeouts(Timeouts {
            wait: Some(POOL_TIMEOUT),
            create: Some(POOL_TIMEOUT),
            recycle: Some(POOL_TIMEOUT),
        })
        .build()
        .map_err(DbSetupError::from)
}

/// The runtime that drives every PostgreSQL connection's socket. By default a connection's I/O task runs
/// on the thread that happened to open it, usually an HTTP worker; there each database round trip queued
/// behind WebSocket fan-out (thousands of socket writes per event), which made a 6-round-trip lock take
/// 30–50 ms at 1,000 sessions (docs/benchmarks.md). On a thread of its own it waits for nothing else.
fn db_io_runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(DB_IO_THREADS)
            .thread_name("loket-db-io")
            .enable_all()
            .build()
            .expect("cannot start the database I/O runtime")
    })
}

/// Threads driving database sockets: the work is only moving bytes, so one is plenty.
const DB_IO_THREADS: usize = 1;

type ConnectFuture<'a> =
    Pin<Box<dyn Future<Output = Result<(tokio_postgres::Client, JoinHandle<()>), tokio_postgres::Error>> + Send + 'a>>;

/// Opens connections on [`db_io_runtime`] (the socket belongs to the runtime it is opened on) and runs
/// their I/O tasks there.
struct OwnRuntimeConnect;

impl Connect for OwnRuntimeConnect {
    fn connect(&self, pg_config: &tokio_postgres::Config) -> ConnectFuture<'_> {
        let pg_config = pg_config.clone();
        Box::pin(async move {
            let opened = db_io_runtime().spawn(async move {
                let (client, connection) = pg_config.connect(NoTls).await?;
                let task = tokio::spawn(async move {
                    if let Err(err) = connection.await {
                        tracing::warn!(error = %err, "database connection failed");
                    }
                });
                Ok((client, task))
            });
            // The runtime lives as long as the process, so the task only fails if connecting panicked.
            opened
                .await
                .unwrap_or_else(|err| std::panic::resume_unwind(err.into_panic()))
        })
    }
}

/// Applies every migration in `migrations/` not yet applied, holding an advisory lock meanwhile.
pub async fn migrate(pool: &Pool) -> Result<usize, DbSetupError> {
    let mut client = pool.get().await?;
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK_KEY])
        .await
        .map_err(DbSetupError::MigrationLock)?;
    let client_ref: &mut tokio_postgres::Client = &mut client;
    let result = migrations::migrations::runner().run_async(client_ref).await;
    let _ = client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK_KEY])
        .await;
    let report = result?;
    Ok(report.applied_migrations().len())
}

/// True when a query fails because a unique constraint was violated.
pub fn is_unique_violation(err: &tokio_postgres::Error) -> bool {
    err.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION)
}
