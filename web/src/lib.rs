//! Loket's web layer: the REST API (`http`), agents' WebSocket sessions (`ws`) and the web client's
//! files, standing on `loket-core`. Errors reach the wire through `error` only.

pub mod error;
pub mod http;
pub mod ws;

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use actix_web::{App, HttpServer, dev::ServerHandle, middleware, web as aw};
use loket_core::{Desk, StartError};

use crate::http::AppState;
use crate::http::web::{WebDir, find_web_dir};

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
    /// HTTP worker threads; `None`: one per CPU.
    pub workers: Option<usize>,
}

/// The running HTTP server.
pub struct WebServer {
    pub addr: SocketAddr,
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
    let state = Arc::new(AppState {
        desk,
        data_dir: settings.data_dir.clone(),
        cookie_secure: settings.cookie_secure,
        invite_link_base,
        login_throttle: std::sync::Mutex::new(loket_core::domain::throttle::Throttle::new(
            http::auth::LOGIN_FAILURES_ALLOWED,
            http::auth::LOGIN_WINDOW,
        )),
        password_checks: tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, usize::from)),
    });
    let web_dir = WebDir(find_web_dir(settings.web_dir.as_deref()));
    match &web_dir.0 {
        Some(dir) => tracing::info!(dir = %dir.display(), "serving the web client"),
        None => tracing::warn!("web client not built; `/` explains how to build it"),
    }
    let workers = settings
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
    .map_err(|source| StartError::Listen {
        addr: addr.to_string(),
        source,
    })?
    .run();
    let handle = server.handle();
    let task = tokio::task::spawn_local(server);
    Ok(WebServer { addr, handle, task })
}
