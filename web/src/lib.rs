//! Loket's web layer: the REST API (`http`), agents' WebSocket sessions (`ws`) and the web client's
//! files, standing on `loket-core`. Errors reach the wire through `error` only; request ids, access logs
//! and HTTP metrics come from `observe`.

pub mod error;
pub mod http;
pub mod observe;
pub mod ws;

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use actix_web::{App, HttpServer, dev::ServerHandle, middleware, web as aw};
use loket_core::{Desk, StartError};

use crate::http::AppState;
use crate::http::openapi::{DocsDir, find_docs_dir};
use crate::http::origin::{Origin, OriginPolicy};
use crate::http::security::PagePolicy;
use crate::http::web::{WebDir, find_web_dir};
use loket_core::domain::throttle::{SignInLimits, TrustedProxies};

/// On shutdown, how long open connections (WebSockets included) get before they are closed.
const SHUTDOWN_GRACE_SECS: u64 = 2;

/// What the web layer needs from the configuration.
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// Attachments are read from under it.
    pub data_dir: PathBuf,
    /// Set the Secure flag on the session cookie (behind HTTPS).
    pub cookie_secure: bool,
    /// The built web client; `None`: look for `dist` beside the working directory.
    pub web_dir: Option<PathBuf>,
    /// Swagger UI's files for `/docs`; `None`: look for swagger-ui-dist under `tools/`.
    pub docs_dir: Option<PathBuf>,
    /// HTTP worker threads; `None`: one per CPU.
    pub workers: Option<usize>,
    /// Loket's own origin (`LOKET_PUBLIC_URL`); `None`: the listener's address (with `localhost` for a
    /// loopback address).
    pub public_url: Option<Origin>,
    /// Further origins allowed to open `/ws` and send changes (`LOKET_ALLOWED_ORIGINS`).
    pub allowed_origins: Vec<Origin>,
    /// Proxies whose `X-Forwarded-For` is believed (`LOKET_TRUSTED_PROXIES`).
    pub trusted_proxies: TrustedProxies,
    /// Also serve `/metrics` without sign-in on this address.
    pub metrics_bind: Option<SocketAddr>,
    /// `TELEGRAM_WEBHOOK_SECRET`, when the bot runs in webhook mode: then Telegram's updates are accepted
    /// at [`http::telegram::WEBHOOK_PATH`] on this instance.
    pub telegram_webhook_secret: Option<String>,
}

/// Sets [`ws::session::WRITE_DEADLINE`] as `TCP_USER_TIMEOUT` on an accepted connection: a client that
/// stops reading (or vanishes) while the server has data for it is dropped by the kernel after that long,
/// even when nothing in the process is running for that connection any more.
fn limit_unacknowledged_writes(connection: &dyn std::any::Any, _: &mut actix_web::dev::Extensions) {
    let Some(stream) = connection.downcast_ref::<actix_web::rt::net::TcpStream>() else {
        return;
    };
    if let Err(err) = socket2::SockRef::from(stream).set_tcp_user_timeout(Some(ws::session::WRITE_DEADLINE)) {
        tracing::warn!(error = %err, "cannot set a write deadline on a connection");
    }
}

/// The running HTTP server.
pub struct WebServer {
    pub addr: SocketAddr,
    /// Where the metrics listener listens, when one was asked for.
    pub metrics_addr: Option<SocketAddr>,
    pub handle: ServerHandle,
    pub task: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Serves the API, WebSocket and web client on `listener`. Must run inside an actix system.
/// `invite_link_base` is filled by the bot once Telegram has named it (`https://t.me/<bot>?start=`).
pub fn start(
    settings: &WebSettings,
    desk: Desk,
    invite_link_base: Arc<OnceLock<String>>,
    listener: TcpListener,
) -> Result<WebServer, StartError> {
    let addr = listener.local_addr().map_err(|source| StartError::Listen {
        addr: "the given listener".into(),
        source,
    })?;
    http::metrics::recorder();
    let state = Arc::new(AppState {
        desk,
        data_dir: settings.data_dir.clone(),
        cookie_secure: settings.cookie_secure,
        invite_link_base,
        sign_in_limits: SignInLimits::default(),
        trusted_proxies: settings.trusted_proxies.clone(),
        password_checks: tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, usize::from)),
    });
    // Port 0 in the settings becomes a real port here, so the default origin is the listener's.
    let origins = OriginPolicy::new(settings.public_url.clone(), &settings.allowed_origins, addr);
    tracing::info!(
        origins = %origins.origins().iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
        "accepting WebSockets and changes from these origins"
    );
    let page_policy = PagePolicy::new(&origins);
    http::auth::spawn_sweeper(state.desk.pool.clone(), state.sign_in_limits.window);
    let web_dir = WebDir(find_web_dir(settings.web_dir.as_deref()));
    match &web_dir.0 {
        Some(dir) => tracing::info!(dir = %dir.display(), "serving the web client"),
        None => tracing::warn!("web client not built; `/` explains how to build it"),
    }
    let docs_dir = DocsDir(find_docs_dir(settings.docs_dir.as_deref()));
    if docs_dir.0.is_none() {
        tracing::info!("Swagger UI not installed; `/docs` explains how to install it");
    }
    let webhook = settings
        .telegram_webhook_secret
        .clone()
        .map(|secret| Arc::new(http::telegram::WebhookSecret::new(secret)));
    let hsts = settings.cookie_secure;
    let workers = settings
        .workers
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, usize::from));
    let metrics = match settings.metrics_bind {
        Some(bind) => Some(start_metrics(state.clone(), bind)?),
        None => None,
    };
    let server = HttpServer::new(move || {
        App::new()
            .app_data(aw::Data::new(state.clone()))
            .app_data(aw::Data::new(web_dir.clone()))
            .app_data(aw::Data::new(docs_dir.clone()))
            .app_data(aw::Data::new(origins.clone()))
            .app_data(aw::Data::new(page_policy.clone()))
            .wrap(middleware::from_fn(http::origin::guard))
            .wrap(middleware::Compress::default())
            .wrap(http::security::default_headers(hsts))
            .configure(|cfg| {
                if let Some(secret) = &webhook {
                    http::telegram::routes(cfg, secret.clone());
                }
                http::configure(cfg);
            })
            .wrap(middleware::from_fn(observe::observe))
    })
    .on_connect(limit_unacknowledged_writes)
    .workers(workers)
    // Events are small frames written one after another; with Nagle's algorithm the second waits for the
    // client's delayed ACK (~40 ms). Measured by the load generator (docs/benchmarks.md).
    .tcp_nodelay(true)
    .shutdown_timeout(SHUTDOWN_GRACE_SECS)
    .disable_signals()
    .listen(listener)
    .map_err(|source| StartError::Listen {
        addr: addr.to_string(),
        source,
    })?
    .run();
    let handle = server.handle();
    let metrics_addr = metrics.as_ref().map(|(addr, _)| *addr);
    let task = tokio::task::spawn_local(async move {
        let result = server.await;
        // The metrics listener lives as long as the main one.
        if let Some((_, metrics)) = metrics {
            metrics.stop(true).await;
        }
        result
    });
    Ok(WebServer {
        addr,
        metrics_addr,
        handle,
        task,
    })
}

/// Serves `/metrics`, without sign-in, on `bind`: for a scraper on a private address.
fn start_metrics(state: Arc<AppState>, bind: SocketAddr) -> Result<(SocketAddr, ServerHandle), StartError> {
    let listen_error = |source| StartError::Listen {
        addr: bind.to_string(),
        source,
    };
    if !bind.ip().is_loopback() {
        tracing::warn!(%bind, "metrics are served without sign-in beyond this machine; keep that address private");
    }
    let listener = TcpListener::bind(bind).map_err(listen_error)?;
    let addr = listener.local_addr().map_err(listen_error)?;
    let server = HttpServer::new(move || {
        App::new()
            .app_data(aw::Data::new(state.clone()))
            .route("/metrics", aw::get().to(http::metrics::scrape_open))
    })
    .workers(1)
    .shutdown_timeout(SHUTDOWN_GRACE_SECS)
    .disable_signals()
    .listen(listener)
    .map_err(listen_error)?
    .run();
    tracing::info!(%addr, "serving metrics without sign-in");
    let handle = server.handle();
    tokio::task::spawn_local(server);
    Ok((addr, handle))
}
