//! One PostgreSQL cluster per test run, one fresh database per test, cloned from a migrated template.
//!
//! With `LOKET_TEST_DATABASE_URL` (a superuser connection to any database), tests use that server.
//! Otherwise the first test starts a private throwaway cluster through Loket's own embedded module, and a
//! small reaper process stops and deletes it when the test process exits.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use loket_core::db::embedded::{EmbeddedOptions, EmbeddedPostgres, find_bin_dir};
use tokio_postgres::NoTls;

const TEMPLATE: &str = "loket_template";

struct Cluster {
    /// Connection string to the maintenance database, without `dbname`.
    base: String,
    _embedded: Option<EmbeddedPostgres>,
}

static CLUSTER: OnceLock<Cluster> = OnceLock::new();
static TEMPLATE_READY: tokio::sync::Mutex<bool> = tokio::sync::Mutex::const_new(false);
static NEXT_DB: AtomicU64 = AtomicU64::new(1);

/// A fresh directory under the system temp dir, unique to this process. Every scratch directory of the
/// process is deleted when the process exits (by a small reaper), whether its tests passed or not.
pub fn scratch_dir(label: &str) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    static REAPER: std::sync::Once = std::sync::Once::new();
    let prefix = format!("loket-test-{}-", std::process::id());
    REAPER.call_once(|| {
        let pattern = std::env::temp_dir().join(format!("{prefix}*"));
        spawn_after_exit(&format!("rm -rf {}", pattern.display()));
    });
    let dir = std::env::temp_dir().join(format!("{prefix}{label}-{}", NEXT.fetch_add(1, Ordering::Relaxed)));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a scratch directory");
    dir
}

fn cluster() -> &'static Cluster {
    CLUSTER.get_or_init(|| {
        if let Ok(url) = std::env::var("LOKET_TEST_DATABASE_URL") {
            let config: tokio_postgres::Config = url.parse().expect("LOKET_TEST_DATABASE_URL must be a PostgreSQL URL");
            return Cluster {
                base: conninfo_without_db(&config),
                _embedded: None,
            };
        }
        // Short path: the socket path must stay under ~100 bytes.
        let dir = PathBuf::from(format!("/tmp/loket-pg-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let embedded = EmbeddedPostgres::start(EmbeddedOptions {
            dir: dir.clone(),
            throwaway: true,
        })
        .unwrap_or_else(|e| panic!("cannot start a throwaway PostgreSQL for the tests: {e}"));
        spawn_reaper(&dir);
        let base = embedded.connection_string("postgres").replace(" dbname=postgres", "");
        Cluster {
            base,
            _embedded: Some(embedded),
        }
    })
}

fn conninfo_without_db(config: &tokio_postgres::Config) -> String {
    let mut parts = Vec::new();
    for host in config.get_hosts() {
        match host {
            tokio_postgres::config::Host::Tcp(h) => parts.push(format!("host={h}")),
            tokio_postgres::config::Host::Unix(p) => parts.push(format!("host={}", p.display())),
        }
    }
    if let Some(port) = config.get_ports().first() {
        parts.push(format!("port={port}"));
    }
    if let Some(user) = config.get_user() {
        parts.push(format!("user={user}"));
    }
    if let Some(password) = config.get_password() {
        parts.push(format!("password={}", String::from_utf8_lossy(password)));
    }
    parts.join(" ")
}

/// Statics are never dropped, so a child process waits for this one to exit and then removes the cluster.
pub(crate) fn spawn_reaper(dir: &std::path::Path) {
    let Ok(bin) = find_bin_dir() else { return };
    let pg_ctl = bin.join("pg_ctl");
    let data = dir.join("data");
    let as_postgres = if is_root() { "runuser -u postgres -- " } else { "" };
    spawn_after_exit(&format!(
        "{as_postgres}'{pg_ctl}' -D '{data}' stop -m immediate >/dev/null 2>&1; rm -rf '{dir}'",
        pg_ctl = pg_ctl.display(),
        data = data.display(),
        dir = dir.display(),
    ));
}

/// Runs the shell `command` in a detached process once this test process has exited.
fn spawn_after_exit(command: &str) {
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {command}",
        pid = std::process::id()
    );
    let _ = std::process::Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
}

/// Runs `pg_ctl <args> -D <data_dir>` as the user PostgreSQL runs as (tests that crash or restart a
/// cluster of their own). Blocking; panics if it fails.
pub fn pg_ctl(data_dir: &std::path::Path, args: &[&str]) {
    let pg_ctl = find_bin_dir().expect("PostgreSQL binaries").join("pg_ctl");
    let output = as_postgres(&pg_ctl)
        .args(args)
        .arg("-D")
        .arg(data_dir)
        .current_dir("/")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run pg_ctl");
    assert!(
        output.status.success(),
        "pg_ctl {args:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `program` to run as the user PostgreSQL runs as (`postgres` when the tests run as root).
pub fn as_postgres(program: &std::path::Path) -> std::process::Command {
    if is_root() {
        let mut command = std::process::Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        std::process::Command::new(program)
    }
}

/// A plain connection for a test's own queries (not the server's pool: no timeouts).
pub async fn connect_plain(conninfo: &str) -> tokio_postgres::Client {
    connect(conninfo).await
}

fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

async fn connect(conninfo: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(conninfo, NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to the test PostgreSQL ({conninfo}): {e}"));
    tokio::spawn(connection);
    client
}

/// Migrates the template database once per run.
async fn ensure_template(base: &str) {
    // Held across the awaits on purpose: only the first test migrates; the rest wait for it.
    let mut ready = TEMPLATE_READY.lock().await;
    if *ready {
        return;
    }
    let admin = connect(&format!("{base} dbname=postgres")).await;
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {TEMPLATE}"))
        .await
        .expect("drop old template");
    admin
        .batch_execute(&format!("CREATE DATABASE {TEMPLATE}"))
        .await
        .expect("create template");
    let pool = loket_core::db::pool(&format!("{base} dbname={TEMPLATE}"), 1).expect("template pool");
    loket_core::db::migrate(&pool).await.expect("migrate the template");
    pool.close();
    drop(pool);
    *ready = true;
}

/// A new, empty, migrated database for one test; returns its connection string.
pub async fn fresh_database() -> String {
    let base = &cluster().base;
    ensure_template(base).await;
    let name = format!(
        "loket_t{}_{}",
        std::process::id(),
        NEXT_DB.fetch_add(1, Ordering::Relaxed)
    );
    let admin = connect(&format!("{base} dbname=postgres")).await;
    admin
        .batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {TEMPLATE}"))
        .await
        .unwrap_or_else(|e| panic!("create test database {name}: {e}"));
    format!("{base} dbname={name}")
}
