//! A Loket server in a child process, for what exists once per process: the metrics recorder (exact
//! counts, with no other test's server adding to them) and the log subscriber (real log lines, as an
//! operator reads them).
//!
//! The integration binary runs itself again with only its entry-point test selected (see
//! [`serve_if_child`]). The child reads its settings from the environment exactly as `loket` does, logs to
//! its standard error, which the parent collects line by line, and serves until the parent kills it or
//! goes away (its standard input closes).

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use clap::Parser;
use tokio::sync::watch;

use crate::{PATIENCE, pg};

/// Set in the child's environment: this process is a child server.
pub const CHILD_ENV: &str = "LOKET_TEST_CHILD_SERVER";
/// The integration test that is the child's entry point; it calls [`serve_if_child`].
pub const CHILD_TEST: &str = "observability::child_server";
/// The line the child prints on standard output once it listens: this, the URL, the metrics URL or `-`.
const READY: &str = "LOKET_CHILD_READY";

/// A running child server.
pub struct ChildServer {
    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub url: String,
    /// Base URL of the metrics listener, when `LOKET_METRICS_BIND` was given.
    pub metrics_url: Option<String>,
    /// The child's database.
    pub database_url: String,
    child: Child,
    log: Arc<Log>,
}

/// The child's standard error, line by line, and a signal for each new line.
struct Log {
    lines: Mutex<Vec<String>>,
    added: watch::Sender<usize>,
}

impl ChildServer {
    /// Starts a child on a fresh database with Loket's settings `env` (on top of the database, a data
    /// directory and `LOKET_BIND=127.0.0.1:0`) and waits until it listens.
    pub async fn start(env: &[(&str, &str)]) -> ChildServer {
        Self::start_on(pg::fresh_database().await, env).await
    }

    /// Starts a child on the database `database_url` (several children on one database are instances of
    /// one desk), with a data directory of its own.
    pub async fn start_on(database_url: String, env: &[(&str, &str)]) -> ChildServer {
        let data_dir = pg::scratch_dir("child");
        let exe = std::env::current_exe().expect("the test binary's path");
        let mut command = Command::new(exe);
        command
            .args([
                CHILD_TEST,
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
                "-q",
            ])
            // Only the settings given: nothing from the developer's environment leaks in.
            .env_clear()
            .env(CHILD_ENV, "1")
            .env("DATABASE_URL", &database_url)
            .env("LOKET_DATA_DIR", &data_dir)
            .env("LOKET_BIND", "127.0.0.1:0")
            .env("LOKET_WORKERS", "1")
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("start the child server");
        let log = Arc::new(Log {
            lines: Mutex::new(Vec::new()),
            added: watch::channel(0).0,
        });
        let stderr = child.stderr.take().expect("piped stderr");
        let collector = log.clone();
        let collecting = std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let count = {
                    let mut lines = collector.lines.lock().expect("log lines");
                    lines.push(line);
                    lines.len()
                };
                collector.added.send_replace(count);
            }
        });
        let stdout = child.stdout.take().expect("piped stdout");
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            let mut ready = Some(ready_tx);
            let mut lines = BufReader::new(stdout);
            let mut line = String::new();
            while lines.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                if let Some(rest) = line.trim().strip_prefix(READY)
                    && let Some(tx) = ready.take()
                {
                    let _ = tx.send(rest.trim().to_string());
                }
                line.clear();
            }
            // Drain anything else the test runner prints.
            let _ = lines.read_to_end(&mut Vec::new());
        });
        let ready = match tokio::time::timeout(PATIENCE, ready_rx).await {
            Ok(Ok(ready)) => ready,
            _ => {
                let _ = child.kill();
                let status = child.wait();
                let _ = collecting.join();
                let lines = log.lines.lock().expect("log lines").join("\n");
                panic!("the child server did not start within {PATIENCE:?} ({status:?}); its log:\n{lines}");
            }
        };
        let mut parts = ready.split_whitespace();
        let url = parts.next().expect("the child's URL").to_string();
        let metrics_url = parts.next().filter(|m| *m != "-").map(str::to_string);
        ChildServer {
            url,
            metrics_url,
            database_url,
            child,
            log,
        }
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends the child `signal` (`STOP`, `CONT`, `KILL`, ...) with kill(1).
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([format!("-{signal}"), self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{signal} {} failed", self.pid());
    }

    /// kill -9, and waits until the process is gone.
    pub fn kill_hard(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Every line the child wrote to standard error so far.
    pub fn log_lines(&self) -> Vec<String> {
        self.log.lines.lock().expect("log lines").clone()
    }

    /// Waits for a log line that `pick` accepts and returns it; fails the test after `PATIENCE`.
    pub async fn log_line(&self, what: &str, pick: impl Fn(&str) -> bool) -> String {
        let mut added = self.log.added.subscribe();
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if let Some(line) = self.log_lines().into_iter().find(|l| pick(l)) {
                return line;
            }
            if !matches!(tokio::time::timeout_at(deadline, added.changed()).await, Ok(Ok(()))) {
                panic!(
                    "the child logged no {what} within {PATIENCE:?}; its log:\n{}",
                    self.log_lines().join("\n")
                );
            }
        }
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The child's side, called by the entry-point test: serves as `loket` would with the settings in the
/// environment, until killed or until the parent goes away. Returns at once in any other process.
pub fn serve_if_child() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    // The parent holds our standard input open; when it ends, the parent is gone, and so are we.
    std::thread::spawn(|| {
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
        std::process::exit(0);
    });
    let cli = loket_server::config::Cli::try_parse_from(["loket"]).expect("the child's settings");
    let config = cli.config;
    config.validate().expect("valid settings for the child");
    loket_server::init_logging(&config);
    actix_rt::System::new().block_on(async move {
        let database = loket_server::open_database(&config, loket_core::DatabasePurpose::Command)
            .expect("open the child's database");
        loket_server::prepare(&database.pool, &config)
            .await
            .expect("prepare the child's database");
        let listener = std::net::TcpListener::bind(config.bind).expect("bind the child's address");
        let server = loket_server::start(&config, database.pool.clone(), listener)
            .await
            .expect("start the child");
        let metrics = server
            .metrics_addr
            .map_or_else(|| "-".to_string(), |addr| format!("http://{addr}"));
        println!("{READY} http://{} {metrics}", server.addr);
        let _ = server.wait().await;
    });
}
