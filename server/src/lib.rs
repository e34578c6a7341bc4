//! Loket's server as a library: `start` serves on a given listener, so the binary and the tests run the same code.

pub mod actors;
pub mod auth;
pub mod bootstrap;
pub mod config;
pub mod db;
pub mod desk;
pub mod domain;
pub mod error;
pub mod http;
pub mod ws;

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use actix::prelude::*;
use actix_web::{App, HttpServer, dev::ServerHandle, middleware, web as aw};

use crate::actors::bus::EventBus;
use crate::config::Config;
use crate::db::Pool;
use crate::db::embedded::{EmbeddedOptions, EmbeddedPostgres};
use crate::desk::Desk;
use crate::http::AppState;
use crate::http::web::{WebDir, find_web_dir};

/// Name of the database Loket uses in its embedded cluster.
pub const EMBEDDED_DATABASE: &str = "loket";

/// On shutdown, how long open connections (WebSockets included) get before they are closed.
const SHUTDOWN_GRACE_SECS: u64 = 2;

/// Why Loket could not start, explained for the operator.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StartError(pub String);

/// The database Loket talks to, and the embedded cluster if it started one (stopped when dropped).
pub struct Database {
    pub pool: Pool,
    pub embedded: Option<EmbeddedPostgres>,
}

/// Connects to `DATABASE_URL`, or starts (or reuses) the private cluster under the data directory.
/// Blocking: call it before the async runtime or from `spawn_blocking`.
pub fn open_database(config: &Config) -> Result<Database, StartError> {
    if let Some(url) = &config.database_url {
        let pool = db::pool(url, db::DEFAULT_POOL_SIZE).map_err(StartError)?;
        return Ok(Database { pool, embedded: None });
    }
    let dir = absolute(&config.data_dir.join("postgres"))?;
    let embedded =
        EmbeddedPostgres::start(EmbeddedOptions { dir, throwaway: false }).map_err(|e| StartError(e.to_string()))?;
    embedded
        .ensure_database(EMBEDDED_DATABASE)
        .map_err(|e| StartError(e.to_string()))?;
    let pool = db::pool(&embedded.connection_string(EMBEDDED_DATABASE), db::DEFAULT_POOL_SIZE).map_err(StartError)?;
    Ok(Database {
        pool,
        embedded: Some(embedded),
    })
}

fn absolute(path: &std::path::Path) -> Result<std::path::PathBuf, StartError> {
    std::fs::create_dir_all(path).map_err(|e| StartError(format!("cannot create {}: {e}", path.display())))?;
    path.canonicalize()
        .map_err(|e| StartError(format!("cannot resolve {}: {e}", path.display())))
}

/// Brings the schema up to date and makes sure someone can sign in.
pub async fn prepare(pool: &Pool, config: &Config) -> Result<Option<bootstrap::GeneratedAdmin>, StartError> {
    let applied = db::migrate(pool).await.map_err(StartError)?;
    if applied > 0 {
        tracing::info!(applied, "database migrations applied");
    }
    let client = pool
        .get()
        .await
        .map_err(|e| StartError(format!("cannot connect to the database: {e}")))?;
    let orphaned = db::tickets::close_orphaned_locks(&client)
        .await
        .map_err(|e| StartError(format!("cannot close locks left by the previous run: {e}")))?;
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
    bootstrap::ensure_admin(pool, config)
        .await
        .map_err(|e| StartError(format!("cannot create the first admin: {e}")))
}

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    pub desk: Desk,
    /// The Telegram bot, when `TELEGRAM_BOT_TOKEN` is set.
    pub bot: Option<Addr<loket_bot::BotActor>>,
    handle: ServerHandle,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    /// Stops accepting, closes connections (sessions end, their locks are released) and waits.
    pub async fn stop(self) {
        if let Some(bot) = &self.bot {
            let _ = bot.send(loket_bot::Shutdown).await;
        }
        self.handle.stop(true).await;
        let _ = self.task.await;
    }

    /// Resolves when the server stops.
    pub async fn wait(self) -> std::io::Result<()> {
        self.task.await.map_err(std::io::Error::other)?
    }

    pub fn handle(&self) -> ServerHandle {
        self.handle.clone()
    }
}

/// Serves Loket on `listener` with an already prepared database. Must run inside an actix system.
pub fn start(config: &Config, pool: Pool, listener: TcpListener) -> Result<Server, StartError> {
    let addr = listener
        .local_addr()
        .map_err(|e| StartError(format!("listener: {e}")))?;
    std::fs::create_dir_all(&config.data_dir)
        .map_err(|e| StartError(format!("cannot create {}: {e}", config.data_dir.display())))?;
    let bus = EventBus::default().start();
    let desk = Desk::new(pool, bus, Arbiter::current(), config.lease_terms());
    let invite_link_base = Arc::new(std::sync::OnceLock::new());
    let bot = config
        .telegram_bot_token
        .as_deref()
        .map(|token| actors::bot_bridge::start_bot(config, token, &desk, invite_link_base.clone()));
    let state = Arc::new(AppState {
        desk: desk.clone(),
        data_dir: config.data_dir.clone(),
        cookie_secure: config.cookie_secure,
        invite_link_base,
        login_throttle: std::sync::Mutex::new(domain::throttle::Throttle::new(
            http::auth::LOGIN_FAILURES_ALLOWED,
            http::auth::LOGIN_WINDOW,
        )),
        password_checks: tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, usize::from)),
    });
    let web_dir = WebDir(find_web_dir(config.web_dir.as_deref()));
    match &web_dir.0 {
        Some(dir) => tracing::info!(dir = %dir.display(), "serving the web client"),
        None => tracing::warn!("web client not built; `/` explains how to build it"),
    }
    let workers = config
        .workers
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, usize::from));
    let server = HttpServer::new(move || {
        App::new()
            .app_data(aw::Data::new(state.clone()))
            .app_data(aw::Data::new(web_dir.clone()))
            .wrap(middleware::Compress::default())
            .wrap(
                middleware::DefaultHeaders::new()
                    .add(("X-Content-Type-Options", "nosniff"))
                    .add(("Referrer-Policy", "same-origin")),
            )
            .configure(http::configure)
    })
    .workers(workers)
    // Events are small frames written one after another; with Nagle's algorithm the second waits for the
    // client's delayed ACK (~40 ms). Measured by the load generator (docs/benchmarks.md).
    .tcp_nodelay(true)
    .shutdown_timeout(SHUTDOWN_GRACE_SECS)
    .disable_signals()
    .listen(listener)
    .map_err(|e| StartError(format!("cannot listen on {addr}: {e}")))?
    .run();
    let handle = server.handle();
    let task = tokio::task::spawn_local(server);
    Ok(Server {
        addr,
        desk,
        bot,
        handle,
        task,
    })
}
