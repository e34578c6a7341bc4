//! Several real `loket` processes (`loket serve` exactly as operators run it) on loopback against one fresh
//! PostgreSQL database, each with its own data directory: for what only shows between instances (shared
//! sign-ins, one bot poller, an instance killed with SIGKILL). The program is the test crate's
//! `loket-under-test` binary; only integration tests know its path, so they pass
//! `env!("CARGO_BIN_EXE_loket-under-test")` in.
//!
//! Each [`Instance`] is started with only the settings given (the environment is emptied first), logs to
//! its standard error, which is collected line by line, and is killed when dropped. The [`Cluster`] knows
//! the database too, to ask it what the instances registered (`instances`, `cluster_leases`).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use loket_core::db::Pool;
use loket_protocol::api::Role;
use tokio::sync::watch;

use crate::client::AgentClient;
use crate::server::PASSWORD;
use crate::{PATIENCE, pg};

/// What `loket serve` prints once it listens, followed by its URL.
const RUNNING: &str = "Loket is running at ";
/// How long an instance may take to start (migrations, a busy machine) before the test gives up.
const START_PATIENCE: Duration = Duration::from_secs(60);
/// How often a wait for a process to exit looks again.
const EXIT_POLL: Duration = Duration::from_millis(50);

/// One running `loket serve` process.
pub struct Instance {
    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub url: String,
    pub addr: SocketAddr,
    pub pid: u32,
    child: Child,
    log: Arc<Log>,
}

/// A process's standard error, line by line, and a signal for each new line.
struct Log {
    lines: Mutex<Vec<String>>,
    added: watch::Sender<usize>,
}

impl Log {
    fn new() -> Arc<Log> {
        Arc::new(Log {
            lines: Mutex::new(Vec::new()),
            added: watch::channel(0).0,
        })
    }

    fn push(&self, line: String) {
        let count = {
            let mut lines = self.lines.lock().expect("log lines");
            lines.push(line);
            lines.len()
        };
        self.added.send_replace(count);
    }
}

impl Instance {
    /// Starts `program serve` (the `loket` program) on `database_url` with its own data directory,
    /// listening on any free port of 127.0.0.1, with Loket's settings `env` on top; waits until it listens.
    pub async fn start(program: &str, database_url: &str, env: &[(&str, &str)]) -> Instance {
        let data_dir = pg::scratch_dir("instance");
        let mut with_database = vec![("DATABASE_URL", database_url)];
        with_database.extend_from_slice(env);
        Instance::start_on(program, &data_dir, &with_database).await
    }

    /// Starts `program serve` on `data_dir` with Loket's settings `env` (no `DATABASE_URL` unless given:
    /// the embedded PostgreSQL under the data directory); waits until it listens.
    pub async fn start_on(program: &str, data_dir: &std::path::Path, env: &[(&str, &str)]) -> Instance {
        let child = Command::new(program)
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("LOKET_DATA_DIR", data_dir)
            .env("LOKET_BIND", "127.0.0.1:0")
            .env("LOKET_WORKERS", "1")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start loket serve");
        // Killed if this start is abandoned (another instance's start failed the test meanwhile).
        let mut child = KillOnDrop(Some(child));
        let pid = child.get().id();
        let log = Log::new();
        let stderr = child.get().stderr.take().expect("piped stderr");
        let collector = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                collector.push(line);
            }
        });
        let stdout = child.get().stdout.take().expect("piped stdout");
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        let printed = log.clone();
        std::thread::spawn(move || {
            let mut ready = Some(ready_tx);
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix(RUNNING)
                    && let Some(tx) = ready.take()
                {
                    let _ = tx.send(url.trim().to_string());
                }
                printed.push(format!("stdout: {line}"));
            }
        });
        let url = match tokio::time::timeout(START_PATIENCE, ready_rx).await {
            Ok(Ok(url)) => url,
            _ => {
                let _ = child.get().kill();
                let status = child.get().wait();
                let lines = log.lines.lock().expect("log lines").join("\n");
                panic!("loket serve did not start within {START_PATIENCE:?} ({status:?}); its log:\n{lines}");
            }
        };
        let addr = url
            .trim_start_matches("http://")
            .parse()
            .unwrap_or_else(|e| panic!("not an address in {url:?}: {e}"));
        Instance {
            url,
            addr,
            pid,
            child: child.0.take().expect("the child"),
            log,
        }
    }

    /// Every line the process wrote to standard error so far (and its standard output, as `stdout: …`).
    pub fn log_lines(&self) -> Vec<String> {
        self.log.lines.lock().expect("log lines").clone()
    }

    /// Waits up to `patience` for a log line `pick` accepts and returns it; fails the test otherwise.
    pub async fn log_line(&self, what: &str, patience: Duration, pick: impl Fn(&str) -> bool) -> String {
        let mut added = self.log.added.subscribe();
        let deadline = tokio::time::Instant::now() + patience;
        loop {
            if let Some(line) = self.log_lines().into_iter().find(|l| pick(l)) {
                return line;
            }
            if !matches!(tokio::time::timeout_at(deadline, added.changed()).await, Ok(Ok(()))) {
                panic!(
                    "pid {} logged no {what} within {patience:?}; its log:\n{}",
                    self.pid,
                    self.log_lines().join("\n")
                );
            }
        }
    }

    /// `kill -9`: the process ends at once, cleaning up nothing.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// `kill -TERM` (a graceful stop), then waits for the process to exit; fails the test after
    /// [`START_PATIENCE`].
    pub async fn terminate(&mut self) -> std::process::ExitStatus {
        let sent = Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM {} failed", self.pid);
        let deadline = tokio::time::Instant::now() + START_PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for loket") {
                return status;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "pid {} did not stop within {START_PATIENCE:?} of SIGTERM; its log:\n{}",
                self.pid,
                self.log_lines().join("\n")
            );
            tokio::time::sleep(EXIT_POLL).await;
        }
    }

    /// Signs `email` in on this instance.
    pub async fn sign_in(&self, email: &str) -> AgentClient {
        AgentClient::login(&self.url, email, PASSWORD)
            .await
            .unwrap_or_else(|reply| panic!("sign-in on {} refused: {reply:?}", self.url))
    }
}

/// A child process killed when dropped.
struct KillOnDrop(Option<Child>);

impl KillOnDrop {
    fn get(&mut self) -> &mut Child {
        self.0.as_mut().expect("the child")
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// N instances on one fresh database.
pub struct Cluster {
    /// The `loket` program the instances run.
    pub program: String,
    pub database_url: String,
    /// A pool on the same database, for the test's own questions.
    pub pool: Pool,
    pub instances: Vec<Instance>,
    env: Vec<(String, String)>,
}

impl Cluster {
    /// `n` instances of `program` with settings `env`, started together on a fresh database.
    pub async fn start(program: &str, n: usize, env: &[(&str, &str)]) -> Cluster {
        crate::init_logging();
        let database_url = pg::fresh_database().await;
        let pool = loket_core::db::pool(&database_url, 4).expect("a pool on the test database");
        let starting = (0..n).map(|_| Instance::start(program, &database_url, env));
        let instances = futures_util::future::join_all(starting).await;
        Cluster {
            program: program.to_string(),
            database_url,
            pool,
            instances,
            env: env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        }
    }

    /// Starts one more instance with the same settings; answers its index.
    pub async fn add(&mut self) -> usize {
        let env: Vec<(&str, &str)> = self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        self.instances
            .push(Instance::start(&self.program, &self.database_url, &env).await);
        self.instances.len() - 1
    }

    /// The instances' addresses, in order (for a [`Balancer`](crate::balancer::Balancer)).
    pub fn addrs(&self) -> Vec<SocketAddr> {
        self.instances.iter().map(|i| i.addr).collect()
    }

    /// Creates an agent directly in the database; sign in on any instance with [`Instance::sign_in`].
    /// Answers the email.
    pub async fn agent(&self, name: &str, role: Role) -> String {
        let email = format!("{}@example.org", name.to_lowercase().replace(' ', "."));
        loket_core::bootstrap::create_agent(&self.pool, &email, name, role, PASSWORD.into())
            .await
            .expect("create agent");
        email
    }

    /// The instance id `instances` has for process `index`, once it registered.
    pub async fn instance_id(&self, index: usize) -> i64 {
        let pid = i32::try_from(self.instances[index].pid).expect("a pid");
        let client = self.pool.get().await.expect("a connection");
        client
            .query_one(
                "SELECT id FROM instances WHERE pid = $1 ORDER BY started_at DESC LIMIT 1",
                &[&pid],
            )
            .await
            .expect("the instance registered")
            .get(0)
    }

    /// Which instance (by index) holds the cluster lease `name` now, if any.
    pub async fn lease_holder(&self, name: &str) -> Option<usize> {
        let client = self.pool.get().await.expect("a connection");
        let pid: Option<i32> = client
            .query_opt(
                "SELECT i.pid FROM cluster_leases l JOIN instances i ON i.id = l.holder
                 WHERE l.name = $1 AND l.expires_at > now()",
                &[&name],
            )
            .await
            .expect("ask for the lease")
            .map(|r| r.get(0));
        pid.and_then(|pid| self.instances.iter().position(|i| i64::from(i.pid) == i64::from(pid)))
    }

    /// Waits up to `patience` until an instance other than `except` holds the lease `name`; answers which.
    pub async fn await_lease_holder(&self, name: &str, except: Option<usize>, patience: Duration) -> usize {
        let deadline = tokio::time::Instant::now() + patience;
        loop {
            if let Some(holder) = self.lease_holder(name).await
                && Some(holder) != except
            {
                return holder;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no instance (but {except:?}) took the lease {name:?} within {patience:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// How long tests wait for what happens within one heartbeat or renewal of the cluster.
pub const CLUSTER_PATIENCE: Duration = Duration::from_secs(30);

/// What a test waits for at most when an instance died: it counts as dead after
/// [`loket_core::cluster::DEAD_AFTER`], then one heartbeat for the clean-up, with room for a busy machine.
pub fn death_patience() -> Duration {
    loket_core::cluster::DEAD_AFTER + loket_core::cluster::HEARTBEAT_INTERVAL + PATIENCE
}
