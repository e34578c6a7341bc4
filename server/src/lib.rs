//! The `loket` program as a library: configuration, and `start`, which wires the core, the web layer and
//! the bot on a given listener, so the binary and the tests run the same code.

pub mod backups;
pub mod bot;
pub mod cli;
pub mod config;

use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, OnceLock};

use actix::prelude::*;
use actix_web::dev::ServerHandle;
use loket_core::actors::bus::EventBus;
use loket_core::bootstrap::{AdminCredentials, GeneratedAdmin};
use loket_core::cluster::{Cluster, InstanceInfo};
use loket_core::db::Pool;
use loket_core::event_log::EventLog;
use loket_core::{Database, DatabasePurpose, Desk, StartError};

use crate::config::{Config, DemoArgs, LogFormat};

/// Installs the process's log subscriber: `config.log` filters, `config.log_format` shapes each line,
/// standard error receives them (coloured only when it is a terminal). Does nothing if a subscriber is
/// already installed.
pub fn init_logging(config: &Config) {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(config.log_format == LogFormat::Text && std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let _ = match config.log_format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(true)
            .try_init(),
    };
}

/// Connects to `DATABASE_URL`, or to the private cluster under the data directory: a server starts it
/// (and is refused if another server runs there); an operator command uses a running server's, or starts
/// its own. Blocking: call it before the async runtime or from `spawn_blocking`.
pub fn open_database(config: &Config, purpose: DatabasePurpose) -> Result<Database, StartError> {
    loket_core::open_database(&config.database_settings(), purpose)
}

/// Brings the schema up to date and makes sure someone can sign in.
pub async fn prepare(pool: &Pool, config: &Config) -> Result<Option<GeneratedAdmin>, StartError> {
    let admin = match (&config.admin_email, &config.admin_password) {
        (Some(email), Some(password)) => Some(AdminCredentials { email, password }),
        _ => None,
    };
    loket_core::prepare(pool, admin).await
}

/// `loket demo`: brings the schema up to date and fills the database with a demo desk, its notifications
/// worded as the bot words them. Must run inside an actix system.
pub async fn demo(pool: &Pool, args: &DemoArgs) -> Result<loket_core::demo::DemoReport, StartError> {
    loket_core::db::migrate(pool).await?;
    loket_core::demo::generate(pool, &args.options(), loket_bot::delivery::text_of)
        .await
        .map_err(StartError::Refused)
}

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    /// The metrics listener's address, when `LOKET_METRICS_BIND` is set.
    pub metrics_addr: Option<SocketAddr>,
    pub desk: Desk,
    /// This instance among the others on the same database.
    pub cluster: Cluster,
    /// The Telegram bot, when `TELEGRAM_BOT_TOKEN` is set.
    pub bot: Option<Addr<loket_bot::BotActor>>,
    handle: ServerHandle,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    /// Stops the bot (it finishes the update and the send in flight), then stops accepting and closes
    /// connections (sessions end, their locks are released), then leaves the cluster (what this instance
    /// still held is cleaned up at once, so the others need not wait for it to count as dead).
    pub async fn stop(self) {
        if let Some(bot) = &self.bot {
            let _ = bot.send(loket_bot::Shutdown).await;
        }
        self.handle.stop(true).await;
        let _ = self.task.await;
        leave(&self.cluster).await;
    }

    /// Resolves when the server stops (after leaving the cluster).
    pub async fn wait(self) -> std::io::Result<()> {
        let result = self.task.await.map_err(std::io::Error::other);
        leave(&self.cluster).await;
        result?
    }

    pub fn handle(&self) -> ServerHandle {
        self.handle.clone()
    }
}

async fn leave(cluster: &Cluster) {
    if let Err(err) = cluster.leave().await {
        tracing::warn!(error = %err, "could not leave the cluster; the others clean up once this instance counts as dead");
    }
}

/// Serves Loket on `listener` with an already prepared database: registers this instance with the others
/// on the database, cleans up after dead ones, and starts the web layer and the bot. Must run inside an
/// actix system.
pub async fn start(config: &Config, pool: Pool, listener: TcpListener) -> Result<Server, StartError> {
    // Private, and Loket's user's own (with DATABASE_URL too: legacy attachment files may be there).
    loket_core::prepare_data_dir(&config.database_settings())?;
    let addr = listener.local_addr().map_err(|source| StartError::Listen {
        addr: "the given listener".into(),
        source,
    })?;
    let cluster = Cluster::new(pool.clone(), InstanceInfo::this_process(&addr.to_string()));
    // With the embedded cluster only this server can be running: whatever others left is theirs no more.
    let sole = config.database_url.is_none();
    cluster.join(sole).await.map_err(StartError::Cluster)?;
    cluster.spawn_heartbeat();
    match loket_core::db::attachments::import_legacy(&pool, &config.data_dir).await {
        Ok(0) => {}
        Ok(moved) => tracing::info!(
            moved,
            "attachment files moved from the data directory into the database"
        ),
        Err(err) => {
            tracing::warn!(error = %err, "cannot move attachment files into the database; trying at the next start")
        }
    }
    loket_web::http::metrics::recorder();
    loket_bot::delivery::describe_metrics();
    let bus = EventBus::default().start();
    let log = EventLog::open(pool.clone(), bus.clone(), config.event_retention())
        .await
        .map_err(StartError::EventLog)?;
    log.spawn_pruner();
    let mut desk = Desk::new(
        pool,
        bus,
        log,
        Arbiter::current(),
        config.lease_terms(),
        Some(cluster.id()),
    );
    desk.set_reopen_on_reply(config.reopen_on_reply);
    if let Err(err) = desk.join_cluster().await {
        leave(&cluster).await;
        return Err(StartError::Cluster(err));
    }
    let invite_link_base = Arc::new(OnceLock::new());
    let web = match loket_web::start(&config.web_settings(), desk.clone(), invite_link_base.clone(), listener) {
        Ok(web) => web,
        Err(err) => {
            leave(&cluster).await;
            return Err(err);
        }
    };
    let bot = config
        .telegram_bot_token
        .as_deref()
        .map(|token| bot::start_bot(config, token, &desk, &cluster, invite_link_base));
    Ok(Server {
        addr: web.addr,
        metrics_addr: web.metrics_addr,
        desk,
        cluster,
        bot,
        handle: web.handle,
        task: web.task,
    })
}
