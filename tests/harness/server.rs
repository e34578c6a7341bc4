//! The real Loket server, started in-process on 127.0.0.1:0 against a fresh database.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;

use loket_core::bootstrap::GeneratedAdmin;
use loket_core::db::Pool;
use loket_core::{Database, Desk};
use loket_protocol::api::Role;
use loket_server::config::Config;

use crate::client::AgentClient;
use crate::pg;

/// Password given to every agent the kit creates.
pub const PASSWORD: &str = "correct horse battery";

/// A running server and the database behind it. Runs inside the test's actix system.
pub struct TestServer {
    pub addr: SocketAddr,
    /// The metrics listener, when the configuration asked for one.
    pub metrics_addr: Option<SocketAddr>,
    pub config: Config,
    pub pool: Pool,
    /// The admin this start generated, on a database that had no agents.
    pub generated_admin: Option<GeneratedAdmin>,
    server: Option<loket_server::Server>,
    /// Kept for the server's lifetime: with no `DATABASE_URL` it holds the embedded cluster.
    database: Option<Database>,
}

impl TestServer {
    /// A server on a fresh database.
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    /// A server on a fresh database, with `adjust` applied to its configuration first.
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> TestServer {
        crate::init_logging();
        let url = pg::fresh_database().await;
        let mut config = Config::for_database(url, pg::scratch_dir("data"));
        adjust(&mut config);
        Self::start_on(config, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// A server for `config` on `addr` (port 0: any free port).
    pub async fn start_on(config: Config, addr: SocketAddr) -> TestServer {
        let database =
            loket_server::open_database(&config, loket_core::DatabasePurpose::Serve).expect("open the test database");
        let pool = database.pool.clone();
        let generated_admin = loket_server::prepare(&pool, &config)
            .await
            .expect("prepare the database");
        let listener = bind(addr).await;
        let server = loket_server::start(&config, pool.clone(), listener)
            .await
            .expect("start loket");
        TestServer {
            addr: server.addr,
            metrics_addr: server.metrics_addr,
            config,
            pool,
            generated_admin,
            server: Some(server),
            database: Some(database),
        }
    }

    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The server's desk: the API the web layer and the bot call.
    pub fn desk(&self) -> &Desk {
        &self.server.as_ref().expect("the server is running").desk
    }

    pub fn data_dir(&self) -> PathBuf {
        self.config.data_dir.clone()
    }

    /// Whether this server runs on its own embedded PostgreSQL cluster.
    pub fn is_embedded(&self) -> bool {
        self.database.as_ref().is_some_and(|d| d.embedded.is_some())
    }

    /// Stops the server (connections close) and starts it again on the same address and database.
    pub async fn restart(&mut self) {
        self.stop_in_place().await;
        let again = Self::start_on(self.config.clone(), self.addr).await;
        *self = again;
    }

    async fn stop_in_place(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop().await;
        }
        // Then the database: an embedded cluster stops here, so a restart starts it again.
        if let Some(database) = self.database.take() {
            database.pool.close();
        }
    }

    pub async fn stop(mut self) {
        self.stop_in_place().await;
    }

    /// Creates an agent directly in the database and signs them in over HTTP.
    pub async fn agent(&self, name: &str, role: Role) -> AgentClient {
        let email = format!("{}@example.org", name.to_lowercase().replace(' ', "."));
        loket_core::bootstrap::create_agent(&self.pool, &email, name, role, PASSWORD.into())
            .await
            .expect("create agent");
        AgentClient::login(&self.url(), &email, PASSWORD)
            .await
            .expect("sign in")
    }
}

/// Binds `addr`. A restart binds the port its predecessor had: while the stopped server's workers still
/// close their listeners, the port is busy for a moment, so a busy port is tried again for up to 10 s.
async fn bind(addr: SocketAddr) -> TcpListener {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match TcpListener::bind(addr) {
            Ok(listener) => return listener,
            Err(e)
                if e.kind() == std::io::ErrorKind::AddrInUse
                    && addr.port() != 0
                    && tokio::time::Instant::now() < deadline =>
            {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Err(e) => panic!("bind {addr}: {e}"),
        }
    }
}
