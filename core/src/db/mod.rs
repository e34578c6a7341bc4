//! PostgreSQL access: the connection pool, migrations, and the queries grouped by what they touch.

pub mod admin;
pub mod agents;
pub mod attachments;
pub mod attention;
pub mod canned;
pub mod cluster;
pub mod embedded;
pub mod event_log;
pub mod idempotency;
pub mod inbox;
pub mod leases;
pub mod outbox;
pub mod queues;
pub mod reporters;
pub mod sla;
pub mod stats;
pub mod throttle;
pub mod tickets;
pub mod tls;
pub mod views;

use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use deadpool_postgres::{Connect, Manager, ManagerConfig, RecyclingMethod, Runtime, Timeouts};
use tokio::task::JoinHandle;
use tokio_postgres::NoTls;
use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};
use tokio_postgres_rustls::MakeRustlsConnect;

pub use deadpool_postgres::{PoolError, Transaction};
pub use tls::{Transport, transport};
pub use tokio_postgres::Error as PgError;

use crate::error::AppError;

mod migrations {
    refinery::embed_migrations!("../migrations");
}

/// How long a request waits for a connection before answering `unavailable`.
const POOL_TIMEOUT: Duration = Duration::from_secs(5);
/// Default pool size; PostgreSQL work is short, so a few connections serve many agents.
pub const DEFAULT_POOL_SIZE: usize = 16;
/// Longest any one statement may run before PostgreSQL cancels it (`statement_timeout`): a stuck query or
/// a COMMIT that hangs then fails (`unavailable`) instead of holding up its ticket's actor indefinitely.
/// Loket's statements take milliseconds; migrations run without this limit.
pub const STATEMENT_TIMEOUT: Duration = Duration::from_secs(15);
/// Longest a transaction may sit idle before PostgreSQL ends its connection
/// (`idle_in_transaction_session_timeout`), so a transaction abandoned mid-way cannot keep rows locked.
pub const IDLE_IN_TRANSACTION_TIMEOUT: Duration = Duration::from_secs(30);
/// Over TCP, longest data sent to PostgreSQL may stay unacknowledged before the connection counts as lost
/// (`tcp_user_timeout`): a database host that vanished without closing the connection fails the request
/// instead of hanging it.
pub const DB_TCP_USER_TIMEOUT: Duration = Duration::from_secs(30);
/// Key of the advisory lock that serialises migrations between instances starting together.
const MIGRATION_LOCK_KEY: i64 = 0x004c_6f6b_6574; // "Loket" in ASCII

/// The connection pool: deadpool's, recording how long each caller waits for a connection
/// (`loket_db_pool_wait_seconds`), and able to open a connection of its own for `LISTEN`. Everything else
/// is deadpool's, through `Deref`. Cheap to clone.
#[derive(Clone)]
pub struct Pool(deadpool_postgres::Pool, Arc<ListenConnect>);

/// How [`Pool::listen`] connects: the pool's settings and TLS.
struct ListenConnect {
    config: tokio_postgres::Config,
    tls: Option<MakeRustlsConnect>,
}

/// The `application_name` of `LISTEN` connections (so operators, and tests, can tell them apart).
pub const LISTEN_APPLICATION_NAME: &str = "loket-listen";

/// A connection of its own that `LISTEN`s on one channel. Each notification arrives as one `()` on
/// [`Listener::woken`]; when the connection ends, `woken` ends (answers `None`).
pub struct Listener {
    _client: tokio_postgres::Client,
    pub woken: tokio::sync::mpsc::UnboundedReceiver<()>,
}

impl Pool {
    /// A connection, waiting for one at most the pool's timeout.
    pub async fn get(&self) -> Result<deadpool_postgres::Client, PoolError> {
        let asked = Instant::now();
        let client = self.0.get().await;
        metrics::histogram!(crate::metrics::DB_POOL_WAIT_SECONDS).record(asked.elapsed());
        client
    }

    /// Opens a connection outside the pool (same settings) and `LISTEN`s on `channel` (a fixed identifier).
    pub async fn listen(&self, channel: &'static str) -> Result<Listener, AppError> {
        let connect = self.1.clone();
        let opened = db_io_runtime().spawn(async move {
            let (woke, woken) = tokio::sync::mpsc::unbounded_channel();
            let mut config = connect.config.clone();
            config.application_name(LISTEN_APPLICATION_NAME);
            let client = match connect.tls.clone() {
                Some(tls) => open_listening(config, tls, woke).await?,
                None => open_listening(config, NoTls, woke).await?,
            };
            client.batch_execute(&format!("LISTEN {channel}")).await?;
            Ok::<_, tokio_postgres::Error>(Listener { _client: client, woken })
        });
        match opened.await {
            Ok(listener) => Ok(listener?),
            Err(err) => Err(AppError::internal(format!("opening a LISTEN connection failed: {err}"))),
        }
    }
}

/// Connects with `tls` and drives the connection on the current runtime, sending `()` on `woke` for every
/// notification; `woke` is dropped when the connection ends.
async fn open_listening<T>(
    pg_config: tokio_postgres::Config,
    tls: T,
    woke: tokio::sync::mpsc::UnboundedSender<()>,
) -> Result<tokio_postgres::Client, tokio_postgres::Error>
where
    T: MakeTlsConnect<tokio_postgres::Socket> + Send,
    T::Stream: Send + 'static,
    T::TlsConnect: Send,
    <T::TlsConnect as TlsConnect<tokio_postgres::Socket>>::Future: Send,
{
    let (client, mut connection) = pg_config.connect(tls).await?;
    tokio::spawn(async move {
        loop {
            match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                Some(Ok(tokio_postgres::AsyncMessage::Notification(_))) => {
                    if woke.send(()).is_err() {
                        return;
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(err)) => {
                    tracing::warn!(error = %err, "the LISTEN connection failed");
                    return;
                }
                None => return,
            }
        }
    });
    Ok(client)
}

impl Deref for Pool {
    type Target = deadpool_postgres::Pool;

    fn deref(&self) -> &deadpool_postgres::Pool {
        &self.0
    }
}

/// Why the database could not be set up: a bad URL, no connection, or a failed migration.
#[derive(Debug, thiserror::Error)]
pub enum DbSetupError {
    #[error("bad database URL: {0}")]
    BadUrl(#[from] tls::ConnInfoError),
    #[error("cannot build the database pool: {0}")]
    Pool(#[from] deadpool_postgres::BuildError),
    #[error("cannot connect to the database: {}{}", Causes(backend_error(.0)), connect_hint(.0))]
    Connect(#[from] deadpool_postgres::PoolError),
    #[error("cannot take the migration lock: {}", Causes(.0))]
    MigrationLock(tokio_postgres::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] refinery::Error),
}

/// An error and its causes, `error: cause: its cause`, each text once (wrappers often repeat their cause's
/// text, and tokio-postgres's errors show only their kind, leaving the detail to their source).
pub struct Causes<'a>(pub &'a (dyn std::error::Error + 'static));

impl std::fmt::Display for Causes<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut written = self.0.to_string();
        f.write_str(&written)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            let text = cause.to_string();
            if !written.ends_with(&text) {
                write!(f, ": {text}")?;
                written.push_str(": ");
                written.push_str(&text);
            }
            source = cause.source();
        }
        Ok(())
    }
}

/// The database's own error inside a pool's (which only adds "error occurred while creating a new object").
fn backend_error(err: &deadpool_postgres::PoolError) -> &(dyn std::error::Error + 'static) {
    match err {
        deadpool_postgres::PoolError::Backend(err) => err,
        other => other,
    }
}

/// What an operator can do about a failed connection, when the failure says: TLS refused by the server
/// or a certificate that did not verify.
fn connect_hint(err: &deadpool_postgres::PoolError) -> &'static str {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(cause) = source {
        if cause.to_string() == "server does not support TLS" {
            return " (sslmode requires TLS, and the server has none: turn on ssl in its postgresql.conf, \
                    or use sslmode=prefer or disable only where nothing crosses a network)";
        }
        let tls = cause
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<rustls::Error>());
        if let Some(rustls::Error::InvalidCertificate(why)) = tls {
            return match why {
                rustls::CertificateError::UnknownIssuer | rustls::CertificateError::BadSignature => {
                    " (the server's certificate was not issued by a trusted authority: name its CA's \
                     certificate with sslrootcert=/path/to/ca.pem in DATABASE_URL)"
                }
                rustls::CertificateError::NotValidForName | rustls::CertificateError::NotValidForNameContext { .. } => {
                    " (the server's certificate is not for the host name in DATABASE_URL: connect by a name \
                     it names, or use sslmode=verify-ca to check only its issuer)"
                }
                _ => "",
            };
        }
        source = cause.source();
    }
    ""
}

/// Builds a pool for `conninfo` (URL or key=value form). Connections are made lazily; each starts with
/// [`STATEMENT_TIMEOUT`] and [`IDLE_IN_TRANSACTION_TIMEOUT`] (options given in `conninfo` come later and
/// so win).
pub fn pool(conninfo: &str, size: usize) -> Result<Pool, DbSetupError> {
    let tls::ConnSettings { mut config, tls } = tls::parse(conninfo)?;
    let options = session_options(config.get_options());
    config.options(options);
    config.tcp_user_timeout(DB_TCP_USER_TIMEOUT);
    let tls = match transport(&config) {
        Transport::Plain => None,
        Transport::Tls => Some(MakeRustlsConnect::new(tls::client_config(&tls)?)),
    };
    let listen = Arc::new(ListenConnect {
        config: config.clone(),
        tls: tls.clone(),
    });
    let manager = Manager::from_connect(
        config,
        OwnRuntimeConnect { tls },
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    deadpool_postgres::Pool::builder(manager)
        .max_size(size)
        .runtime(Runtime::Tokio1)
        .timeouts(Timeouts {
            wait: Some(POOL_TIMEOUT),
            create: Some(POOL_TIMEOUT),
            recycle: Some(POOL_TIMEOUT),
        })
        .build()
        .map(|pool| Pool(pool, listen))
        .map_err(DbSetupError::from)
}

/// The server options every pool connection starts with, followed by `given` (the connection string's own).
fn session_options(given: Option<&str>) -> String {
    let ours = format!(
        "-c statement_timeout={} -c idle_in_transaction_session_timeout={}",
        STATEMENT_TIMEOUT.as_millis(),
        IDLE_IN_TRANSACTION_TIMEOUT.as_millis()
    );
    match given.map(str::trim).filter(|g| !g.is_empty()) {
        Some(given) => format!("{ours} {given}"),
        None => ours,
    }
}

/// Commits `tx`. A COMMIT cut off by a lost connection ([`crate::error::connection_lost`]) may or may not
/// have committed: that is [`AppError::OutcomeUnknown`], and the caller must find out which once the
/// database is back. Any other failure means it was rolled back.
pub async fn commit(tx: Transaction<'_>) -> Result<(), AppError> {
    tx.commit().await.map_err(|err| {
        if crate::error::connection_lost(&err) {
            tracing::warn!(
                error = %crate::error::PgErrorText(&err),
                "the database connection was lost during COMMIT; the change may or may not have been committed"
            );
            AppError::OutcomeUnknown
        } else {
            AppError::from(err)
        }
    })
}

/// The runtime that drives every PostgreSQL connection's socket. By default a connection's I/O task runs
/// on the thread that happened to open it, usually an HTTP worker; there each database round trip queued
/// behind WebSocket fan-out (thousands of socket writes per event), which made a 6-round-trip lock take
/// 30–50 ms at 1,000 sessions (docs/benchmarks.md). On a thread of its own it waits for nothing else.
#[allow(
    clippy::expect_used,
    reason = "without a runtime for its database sockets Loket cannot work at all; it fails only if the OS refuses a thread"
)]
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
/// their I/O tasks there; over TLS when `tls` is set.
struct OwnRuntimeConnect {
    tls: Option<MakeRustlsConnect>,
}

/// Connects with `tls` and drives the connection on the current runtime.
async fn open<T>(
    pg_config: tokio_postgres::Config,
    tls: T,
) -> Result<(tokio_postgres::Client, JoinHandle<()>), tokio_postgres::Error>
where
    T: MakeTlsConnect<tokio_postgres::Socket> + Send,
    T::Stream: Send + 'static,
    T::TlsConnect: Send,
    <T::TlsConnect as TlsConnect<tokio_postgres::Socket>>::Future: Send,
{
    let (client, connection) = pg_config.connect(tls).await?;
    let task = tokio::spawn(async move {
        if let Err(err) = connection.await {
            tracing::warn!(error = %err, "database connection failed");
        }
    });
    Ok((client, task))
}

impl Connect for OwnRuntimeConnect {
    fn connect(&self, pg_config: &tokio_postgres::Config) -> ConnectFuture<'_> {
        let pg_config = pg_config.clone();
        let tls = self.tls.clone();
        Box::pin(async move {
            let opened = db_io_runtime().spawn(async move {
                match tls {
                    Some(tls) => open(pg_config, tls).await,
                    None => open(pg_config, NoTls).await,
                }
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
    // Waiting for another instance's migrations, and a migration itself, may take longer than any request.
    client
        .batch_execute("SET statement_timeout = 0")
        .await
        .map_err(DbSetupError::MigrationLock)?;
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK_KEY])
        .await
        .map_err(DbSetupError::MigrationLock)?;
    let client_ref: &mut tokio_postgres::Client = &mut client;
    let result = migrations::migrations::runner().run_async(client_ref).await;
    let _ = client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK_KEY])
        .await;
    // Back to the connection's own default before it returns to the pool.
    let _ = client.batch_execute("RESET statement_timeout").await;
    let report = result?;
    Ok(report.applied_migrations().len())
}

/// True when a query fails because a unique constraint was violated.
pub fn is_unique_violation(err: &tokio_postgres::Error) -> bool {
    err.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tls_pool_is_built_lazily_without_connecting() {
        let pool = super::pool("postgres://loket@db.example.org/loket?sslmode=require", 1);
        assert!(pool.is_ok(), "a TLS pool is built lazily, without connecting");
        let pool = super::pool("postgres://loket@db.example.org/loket?sslmode=verify-ca", 1);
        assert!(pool.is_ok(), "verify-ca too");
        let refused = super::pool("host=db.example.org sslmode=require sslrootcert=/nonexistent/ca.pem", 1);
        assert!(
            matches!(refused, Err(DbSetupError::BadUrl(tls::ConnInfoError::RootCert { .. }))),
            "a root certificate file that cannot be read is refused at once"
        );
    }

    #[test]
    fn pool_connections_start_with_the_timeouts_and_keep_given_options() {
        let ours = session_options(None);
        assert_eq!(
            ours,
            "-c statement_timeout=15000 -c idle_in_transaction_session_timeout=30000"
        );
        assert_eq!(
            session_options(Some("-c search_path=loket")),
            format!("{ours} -c search_path=loket")
        );
        let config: tokio_postgres::Config = "host=/tmp user=x options='-c statement_timeout=0'".parse().unwrap();
        assert!(session_options(config.get_options()).ends_with("-c statement_timeout=0"));
    }
}
