//! The Loket under test: a `loket` binary this tool starts on a private data directory, or one already
//! running that it attaches to by URL (and pid, for CPU and memory figures). Several instances on one
//! PostgreSQL: several URLs, or several started processes (the first on its embedded cluster, the
//! others on that cluster's socket, each with a data directory of its own). Also signs agents in.

use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::procstat::{Watch, postmaster_pid};

/// Admin the spawned server creates at its first start.
pub const SPAWN_ADMIN_EMAIL: &str = "bench-admin@example.org";
/// Password of the spawned server's admin and of every agent this tool creates.
pub const BENCH_PASSWORD: &str = "loket-bench-password";
/// How long a freshly spawned server (initdb included) may take to become ready.
const READY_TIMEOUT: Duration = Duration::from_secs(180);
const READY_POLL: Duration = Duration::from_millis(200);
/// How long a stopping server gets before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(20);
/// Layout of the embedded PostgreSQL under `--data-dir` (see the server's `db::embedded`).
const EMBEDDED_PG_DIR: &str = "postgres";
const EMBEDDED_PG_DATA: &str = "data";
const EMBEDDED_PG_SOCKET: &str = "run";
const EMBEDDED_PG_PORT: u16 = 5432;
const EMBEDDED_PG_USER: &str = "postgres";
const EMBEDDED_PG_DB: &str = "loket";

/// How to reach the server.
#[derive(Debug, Clone)]
pub struct Options {
    /// Attach to these running instances (one database) instead of starting any.
    pub urls: Vec<String>,
    /// Pids of the attached instances (same order), for CPU and memory.
    pub pids: Vec<u32>,
    /// Without `urls`: how many instances to start on one PostgreSQL.
    pub instances: usize,
    pub admin_email: String,
    pub admin_password: String,
    /// PostgreSQL of the attached server, for the commit baseline.
    pub database_url: Option<String>,
    /// The `loket` binary to start; default: beside this executable.
    pub loket_bin: Option<PathBuf>,
    /// Data directory of the started server; default: a fresh one under the temp dir.
    pub data_dir: Option<PathBuf>,
    /// HTTP workers of the started server; default: the server's own (one per CPU).
    pub workers: Option<usize>,
    /// Extra environment for the started server (the reporter path's TELEGRAM_* variables).
    pub env: Vec<(String, String)>,
}

/// A server under test.
pub struct Target {
    pub base: String,
    pub addr: SocketAddr,
    pub server_pid: Option<u32>,
    pub database_url: Option<String>,
    pg_data: Option<PathBuf>,
    admin_email: String,
    admin_password: String,
    child: Option<Child>,
    /// The data directory this tool made up for the started server; removed when it stops.
    scratch: Option<PathBuf>,
    http: reqwest::Client,
}

/// A signed-in agent.
#[derive(Debug, Clone)]
pub struct Account {
    pub email: String,
    pub token: String,
}

impl Target {
    /// Every instance `options` names: attached by URL, or started (the first one's embedded PostgreSQL
    /// serves all of them). At least one.
    pub async fn open_all(options: &Options) -> Result<Vec<Target>, String> {
        if !options.urls.is_empty() {
            return options
                .urls
                .iter()
                .enumerate()
                .map(|(i, url)| Self::attach(options, url, options.pids.get(i).copied()))
                .collect();
        }
        let first = Self::spawn(options, 0, None).await?;
        let url = first.database_url.clone();
        let mut all = vec![first];
        for i in 1..options.instances.max(1) {
            all.push(Self::spawn(options, i, url.as_deref()).await?);
        }
        Ok(all)
    }

    fn attach(options: &Options, url: &str, pid: Option<u32>) -> Result<Target, String> {
        let base = url.trim_end_matches('/').to_owned();
        let host = base
            .strip_prefix("http://")
            .ok_or("--url must start with http://")?
            .to_owned();
        let addr = host
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve {host}: {e}"))?
            .next()
            .ok_or_else(|| format!("{host} resolves to nothing"))?;
        Ok(Target {
            base,
            addr,
            server_pid: pid,
            database_url: options.database_url.clone(),
            pg_data: None,
            admin_email: options.admin_email.clone(),
            admin_password: options.admin_password.clone(),
            child: None,
            scratch: None,
            http: reqwest::Client::new(),
        })
    }

    /// Starts instance `index`: on its own embedded PostgreSQL (`database_url` `None`), or on the given one.
    async fn spawn(options: &Options, index: usize, database_url: Option<&str>) -> Result<Target, String> {
        let bin = match &options.loket_bin {
            Some(bin) => bin.clone(),
            None => std::env::current_exe()
                .map_err(|e| format!("cannot find this executable: {e}"))?
                .with_file_name("loket"),
        };
        if !bin.exists() {
            return Err(format!(
                "{} not found: build it with `cargo build --release -p loket-server` or pass --loket-bin",
                bin.display()
            ));
        }
        let suffix = if index == 0 { String::new() } else { format!("-{index}") };
        let data_dir = match &options.data_dir {
            Some(dir) => PathBuf::from(format!("{}{suffix}", dir.display())),
            None => std::env::temp_dir().join(format!("loket-bench-{}{suffix}", std::process::id())),
        };
        std::fs::create_dir_all(&data_dir).map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
        let addr = free_port()?;
        let log = std::fs::File::create(data_dir.join("loket.log")).map_err(|e| format!("log file: {e}"))?;
        let mut command = Command::new(&bin);
        command
            .arg("--bind")
            .arg(addr.to_string())
            .arg("--data-dir")
            .arg(&data_dir)
            .env_remove("DATABASE_URL")
            .env("LOKET_ADMIN_EMAIL", SPAWN_ADMIN_EMAIL)
            .env("LOKET_ADMIN_PASSWORD", BENCH_PASSWORD)
            .env("LOKET_LOG", "warn")
            // No bot unless the scenario asks for one (against its fake Bot API).
            .env_remove("TELEGRAM_BOT_TOKEN")
            .env_remove("TELEGRAM_API_URL")
            .envs(options.env.iter().map(|(k, v)| (k, v)))
            .envs(database_url.map(|url| ("DATABASE_URL", url)))
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log);
        if let Some(workers) = options.workers {
            command.arg("--workers").arg(workers.to_string());
        }
        let child = command
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        let pg_root = data_dir.join(EMBEDDED_PG_DIR);
        let socket = pg_root.join(EMBEDDED_PG_SOCKET);
        let mut target = Target {
            base: format!("http://{addr}"),
            addr,
            server_pid: Some(child.id()),
            database_url: Some(database_url.map_or_else(
                || {
                    format!(
                        "host={} port={EMBEDDED_PG_PORT} user={EMBEDDED_PG_USER} dbname={EMBEDDED_PG_DB}",
                        socket.display()
                    )
                },
                str::to_owned,
            )),
            pg_data: database_url.is_none().then(|| pg_root.join(EMBEDDED_PG_DATA)),
            admin_email: SPAWN_ADMIN_EMAIL.to_owned(),
            admin_password: BENCH_PASSWORD.to_owned(),
            child: Some(child),
            scratch: options.data_dir.is_none().then(|| data_dir.clone()),
            http: reqwest::Client::new(),
        };
        target.wait_ready(&data_dir).await?;
        Ok(target)
    }

    async fn wait_ready(&mut self, data_dir: &std::path::Path) -> Result<(), String> {
        let started = Instant::now();
        loop {
            if let Some(child) = &mut self.child
                && let Ok(Some(status)) = child.try_wait()
            {
                return Err(format!(
                    "loket exited with {status}; see {}",
                    data_dir.join("loket.log").display()
                ));
            }
            let ready = self
                .http
                .get(format!("{}/readyz", self.base))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ready {
                return Ok(());
            }
            if started.elapsed() > READY_TIMEOUT {
                return Err("loket did not become ready in time".into());
            }
            tokio::time::sleep(READY_POLL).await;
        }
    }

    /// The server process, for CPU and memory.
    pub fn server_watch(&self) -> Option<Watch> {
        self.server_pid.map(Watch::Process)
    }

    /// The embedded PostgreSQL's processes, when this tool started the server.
    pub fn postgres_watch(&self) -> Option<Watch> {
        self.pg_data.as_deref().and_then(postmaster_pid).map(Watch::Tree)
    }

    /// A session token of the server's admin (who may see every queue's statistics).
    pub async fn admin_token(&self) -> Result<String, String> {
        self.login(&self.admin_email, &self.admin_password).await
    }

    async fn login(&self, email: &str, password: &str) -> Result<String, String> {
        let reply = self
            .http
            .post(format!("{}/api/auth/login", self.base))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .map_err(|e| format!("login {email}: {e}"))?;
        if !reply.status().is_success() {
            return Err(format!("login {email}: HTTP {}", reply.status()));
        }
        let body: Value = reply.json().await.map_err(|e| format!("login {email}: {e}"))?;
        body["token"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("login {email}: no token"))
    }

    /// `count` agents (`bench-agent-<i>`), created through the admin API if missing, each signed in once.
    pub async fn accounts(&self, count: usize) -> Result<Vec<Account>, String> {
        let admin = self.login(&self.admin_email, &self.admin_password).await?;
        let mut accounts = Vec::with_capacity(count);
        for i in 0..count {
            let email = format!("bench-agent-{i}@example.org");
            let reply = self
                .http
                .post(format!("{}/api/agents", self.base))
                .bearer_auth(&admin)
                .json(&json!({"email": email, "name": format!("Bench agent {i}"), "password": BENCH_PASSWORD, "role": "agent"}))
                .send()
                .await
                .map_err(|e| format!("create {email}: {e}"))?;
            let status = reply.status();
            // 409: the agent exists from an earlier run on the same data directory.
            if !status.is_success() && status != reqwest::StatusCode::CONFLICT {
                return Err(format!("create {email}: HTTP {status}"));
            }
            let token = self.login(&email, BENCH_PASSWORD).await?;
            accounts.push(Account { email, token });
        }
        Ok(accounts)
    }

    /// Sets a catch-all service-level policy (first response in 4 business hours, resolution in 3 days)
    /// on a weekday-hours calendar in Asia/Jakarta with a holiday, so every clock event runs the
    /// business-time arithmetic (docs/sla.md). An existing calendar of the same name is reused.
    pub async fn set_sla_policy(&self) -> Result<(), String> {
        let admin = self.login(&self.admin_email, &self.admin_password).await?;
        let day = json!(["08:00-12:00", "13:00-17:00"]);
        let calendar = json!({"name": "Bench office hours", "tz": "Asia/Jakarta",
            "hours": [day, day, day, day, day, ["08:00-12:00"], []], "holidays": ["2026-12-25"]});
        let reply = self
            .http
            .post(format!("{}/api/sla/calendars", self.base))
            .bearer_auth(&admin)
            .json(&calendar)
            .send()
            .await
            .map_err(|e| format!("SLA calendar: {e}"))?;
        let calendars: Value = match reply.status() {
            s if s.is_success() || s == reqwest::StatusCode::CONFLICT => self
                .http
                .get(format!("{}/api/sla/calendars", self.base))
                .bearer_auth(&admin)
                .send()
                .await
                .map_err(|e| format!("SLA calendars: {e}"))?
                .json()
                .await
                .map_err(|e| format!("SLA calendars: {e}"))?,
            s => return Err(format!("SLA calendar: HTTP {s}")),
        };
        let id = calendars
            .as_array()
            .and_then(|all| all.iter().find(|c| c["name"] == "Bench office hours"))
            .and_then(|c| c["id"].as_i64())
            .ok_or("SLA calendar: not listed")?;
        let policy = json!({"calendar_id": id, "first_response_secs": 4 * 3600, "resolution_secs": 3 * 8 * 3600});
        let reply = self
            .http
            .put(format!("{}/api/sla/policies", self.base))
            .bearer_auth(&admin)
            .json(&policy)
            .send()
            .await
            .map_err(|e| format!("SLA policy: {e}"))?;
        match reply.status() {
            s if s.is_success() => Ok(()),
            s => Err(format!("SLA policy: HTTP {s}")),
        }
    }

    /// Stops the server this tool started (SIGTERM, then waits; it stops its PostgreSQL) and removes a
    /// made-up data directory; attached servers are left alone.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
        let deadline = Instant::now() + STOP_GRACE;
        let mut stopped = false;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                stopped = true;
                break;
            }
            std::thread::sleep(READY_POLL);
        }
        if !stopped {
            let _ = child.kill();
            let _ = child.wait();
        }
        if let (true, Some(dir)) = (stopped, self.scratch.take()) {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A free port on 127.0.0.1 (bound and released; another process could take it in between).
fn free_port() -> Result<SocketAddr, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("cannot find a free port: {e}"))?;
    listener.local_addr().map_err(|e| e.to_string())
}
