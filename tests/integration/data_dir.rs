//! The data directory: one server per directory, operator commands (real `loket` processes) beside a
//! running server, private modes, and no directories or links of other users.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use loket_core::data_dir::current_uid;
use loket_core::db::embedded::{find_bin_dir, postgres_user};
use loket_protocol::api::Role;
use loket_server::config::Config;
use loket_tests::{FakeTelegram, TestServer, TgUser, pg};
use reqwest::StatusCode;
use serde_json::json;

use crate::bot::{Rig, key_in, register};

/// How long one `loket` process may take (it may create and start a cluster) before the test gives up
/// on it and kills it. A guard against a hang, not a measurement.
const PROCESS_PATIENCE: Duration = Duration::from_secs(120);
/// A user id that is neither root nor the one the tests run as (`nobody` on Debian).
const STRANGER: u32 = 65534;

/// What a finished `loket` process left.
pub(crate) struct Finished {
    pub(crate) success: bool,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// Runs the `loket` program with `args` on `data_dir` (embedded PostgreSQL, any free port) and waits for
/// it to exit. The environment is emptied first, so nothing from the test's leaks in.
pub(crate) async fn loket(data_dir: &Path, args: &[&str]) -> Finished {
    loket_with(data_dir, args, &[]).await
}

/// [`loket`] with extra environment variables (e.g. `DATABASE_URL`).
pub(crate) async fn loket_with(data_dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Finished {
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_loket-under-test"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("LOKET_DATA_DIR", data_dir)
        .env("LOKET_BIND", "127.0.0.1:0")
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("run loket");
    let output = tokio::time::timeout(PROCESS_PATIENCE, child.wait_with_output())
        .await
        .unwrap_or_else(|_| {
            panic!(
                "`loket {}` was still running after {PROCESS_PATIENCE:?}",
                args.join(" ")
            )
        })
        .expect("wait for loket");
    Finished {
        success: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A configuration with no `DATABASE_URL`: the embedded cluster under `data_dir`.
pub(crate) fn embedded(data_dir: &Path) -> Config {
    let mut config = Config::for_database(String::new(), data_dir.to_path_buf());
    config.database_url = None;
    config
}

pub(crate) async fn serve(config: Config) -> TestServer {
    TestServer::start_on(config, "127.0.0.1:0".parse().expect("an address")).await
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path)
        .unwrap_or_else(|e| panic!("stat {}: {e}", path.display()))
        .mode()
        & 0o777
}

fn is_root() -> bool {
    current_uid().expect("who am I") == 0
}

/// The server answers, and answers from its database.
async fn still_serving(admin: &loket_tests::AgentClient) {
    assert_eq!(admin.get("/healthz").await.status, StatusCode::OK);
    let ready = admin.get("/readyz").await;
    assert_eq!(
        ready.status,
        StatusCode::OK,
        "the server lost its database: {:?}",
        ready.body
    );
    let created = admin.post("/api/tickets", json!({"title": "Still here"})).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let listed = admin.get("/api/tickets").await;
    assert_eq!(listed.status, StatusCode::OK);
    assert!(listed.body["total"].as_i64().unwrap_or(0) >= 1, "{:?}", listed.body);
}

#[actix_rt::test]
async fn an_operator_command_beside_a_running_server_uses_its_database_and_leaves_it_running() {
    loket_tests::init_logging();
    let dir = pg::scratch_dir("beside");
    // With no server, a command starts the cluster for itself and stops it again.
    let alone = loket(&dir, &["invite", "create"]).await;
    assert!(alone.success, "invite create without a server: {}", alone.stderr);
    let first_code = alone.stdout.trim().to_string();
    let pid_file = dir.join("postgres").join("data").join("postmaster.pid");
    assert!(!pid_file.exists(), "the command left the cluster it started running");

    let server = serve(embedded(&dir)).await;
    let admin = server.agent("Ada", Role::Admin).await;
    let beside = loket(&dir, &["invite", "create", "--max-uses", "3"]).await;
    assert!(beside.success, "invite create beside a server: {}", beside.stderr);
    let second_code = beside.stdout.trim().to_string();

    still_serving(&admin).await;
    assert!(
        beside
            .stderr
            .contains("using the PostgreSQL cluster of the running server"),
        "{}",
        beside.stderr
    );
    let codes = admin.get("/api/invite-codes").await;
    assert_eq!(codes.status, StatusCode::OK);
    let listed: Vec<&str> = codes
        .body
        .as_array()
        .expect("a list of codes")
        .iter()
        .map(|code| code["code"].as_str().expect("a code"))
        .collect();
    assert!(
        listed.contains(&first_code.as_str()) && listed.contains(&second_code.as_str()),
        "{listed:?}"
    );
    // The other operator commands too.
    let migrate = loket(&dir, &["migrate"]).await;
    assert!(migrate.success, "migrate beside a server: {}", migrate.stderr);
    let agent = loket(
        &dir,
        &[
            "admin",
            "create",
            "--email",
            "ben@example.org",
            "--name",
            "Ben",
            "--role",
            "agent",
        ],
    )
    .await;
    assert!(agent.success, "admin create beside a server: {}", agent.stderr);
    still_serving(&admin).await;
    let agents = admin.get("/api/agents").await;
    assert!(agents.body.to_string().contains("ben@example.org"), "{:?}", agents.body);
    server.stop().await;
}

#[actix_rt::test]
async fn a_second_server_on_the_same_data_directory_says_so_and_exits() {
    loket_tests::init_logging();
    let dir = pg::scratch_dir("second");
    let server = serve(embedded(&dir)).await;
    let admin = server.agent("Ada", Role::Admin).await;

    let second = loket(&dir, &["serve"]).await;
    assert!(!second.success, "a second server started: {}", second.stdout);
    assert!(!second.stdout.contains("Loket is running"), "{}", second.stdout);
    let pid = std::process::id();
    assert!(
        second.stderr.contains(&format!(
            "another `loket serve` (pid {pid}) is already running on the data directory"
        )),
        "{}",
        second.stderr
    );
    assert!(second.stderr.contains(&dir.display().to_string()), "{}", second.stderr);
    assert!(second.stderr.contains("LOKET_DATA_DIR"), "{}", second.stderr);
    still_serving(&admin).await;
    server.stop().await;
}

#[actix_rt::test]
async fn the_data_directory_attachments_and_the_cluster_are_private() {
    loket_tests::init_logging();
    let dir = pg::scratch_dir("private");
    // As earlier versions left it: readable by every local user.
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
    let tg = FakeTelegram::start().await;
    let mut config = embedded(&dir);
    tg.configure(&mut config);
    let server = serve(config).await;
    let admin = server.agent("Ada", Role::Admin).await;
    let rig = Rig { tg, server, admin };
    let ana = TgUser::new(701, "Ana", "en");
    register(&rig, &ana).await;

    let tg = &rig.tg;
    tg.send_text(&ana, "/report");
    tg.expect(ana.id, "What is the problem").await;
    tg.send_text(&ana, "Broken bench");
    tg.expect(ana.id, "describe").await;
    tg.send_text(&ana, "In the park");
    tg.expect(ana.id, "photos or documents").await;
    tg.send_photo(&ana, "photo-private", b"JPEG: a broken bench", None, None);
    tg.expect(ana.id, "1 file(s)").await;
    tg.send_text(&ana, "/done");
    let summary = tg.expect(ana.id, "Please check your report").await;
    tg.press(&ana, &summary, &summary.button("Send"));
    let id = key_in(&tg.expect(ana.id, "filed as").await.text);

    let postgres = postgres_user().expect("who PostgreSQL runs as");
    // PostgreSQL, when it is another user, may pass through to its cluster, and nothing more.
    let (dir_mode, cluster_owner) = match postgres {
        Some(ids) => (0o710, ids.uid),
        None => (0o700, current_uid().unwrap()),
    };
    for shared in [dir.clone(), dir.join("postgres")] {
        assert_eq!(mode(&shared), dir_mode, "{}", shared.display());
        if let Some(ids) = postgres {
            assert_eq!(fs::metadata(&shared).unwrap().gid(), ids.gid, "{}", shared.display());
        }
    }
    // The photo's bytes are in the database (every instance serves them); the attachments folder, for
    // files stored by earlier releases, stays private and holds none.
    let attachments = dir.join("attachments");
    assert_eq!(mode(&attachments), 0o700);
    let files: Vec<PathBuf> = fs::read_dir(&attachments)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    assert!(files.is_empty(), "{files:?}");
    let detail = rig.admin.get(&format!("/api/tickets/{}", id.0)).await.body;
    let url = detail["attachments"][0]["url"].as_str().expect("an attachment");
    assert_eq!(
        rig.admin.get(url).await.body,
        serde_json::Value::String("JPEG: a broken bench".into())
    );

    let cluster = dir.join("postgres").join("data");
    assert_eq!(mode(&cluster), 0o700);
    assert_eq!(
        fs::metadata(&cluster).unwrap().uid(),
        cluster_owner,
        "the cluster is PostgreSQL's own"
    );
    assert_eq!(mode(&dir.join("postgres").join("run")), 0o700);
    for file in ["postgres.log", "serve.lock", "cluster.lock"] {
        assert_eq!(mode(&dir.join("postgres").join(file)), 0o600, "{file}");
    }
    rig.server.stop().await;
}

#[actix_rt::test]
async fn a_data_directory_owned_by_another_user_is_refused() {
    loket_tests::init_logging();
    let dir = pg::scratch_dir("foreign");
    // As root, a directory of `nobody`'s; otherwise one of root's.
    let (dir, owner) = if is_root() {
        std::os::unix::fs::chown(&dir, Some(STRANGER), Some(STRANGER)).unwrap();
        (dir, STRANGER)
    } else {
        (PathBuf::from("/"), 0)
    };
    let refused = loket(&dir, &["migrate"]).await;
    assert!(
        !refused.success,
        "migrate on someone else's directory: {}",
        refused.stdout
    );
    assert!(
        refused.stderr.contains(&format!("{} belongs to", dir.display()))
            && refused.stderr.contains(&format!("uid {owner}")),
        "{}",
        refused.stderr
    );
    assert!(!dir.join("postgres").exists(), "nothing is created in it");

    // A server with DATABASE_URL keeps its attachments there: refused the same way.
    let error = loket_server::start(
        &Config::for_database("host=/nonexistent".into(), dir.clone()),
        loket_core::db::pool("host=/nonexistent dbname=x", 1).unwrap(),
        std::net::TcpListener::bind("127.0.0.1:0").unwrap(),
    )
    .await
    .err()
    .expect("start refuses it");
    assert!(error.to_string().contains("belongs to"), "{error}");
    assert!(!dir.join("attachments").exists());
}

#[actix_rt::test]
async fn links_another_user_planted_are_not_followed() {
    loket_tests::init_logging();
    if !is_root() {
        eprintln!("skipped: planting a link owned by another user needs root");
        return;
    }
    let root = pg::scratch_dir("links");
    let victim = pg::scratch_dir("victim");
    fs::set_permissions(&victim, fs::Permissions::from_mode(0o755)).unwrap();
    let plant = |link: &Path| {
        std::os::unix::fs::symlink(&victim, link).unwrap();
        std::os::unix::fs::lchown(link, Some(STRANGER), Some(STRANGER)).unwrap();
    };
    let untouched = |victim: &Path| {
        let meta = fs::metadata(victim).unwrap();
        assert_eq!(
            (meta.uid(), meta.mode() & 0o777),
            (0, 0o755),
            "the link's target was changed"
        );
        assert_eq!(
            fs::read_dir(victim).unwrap().count(),
            0,
            "something was created through the link"
        );
    };

    // The data directory itself is someone else's link.
    let linked = root.join("linked");
    plant(&linked);
    let refused = loket(&linked, &["migrate"]).await;
    assert!(!refused.success, "{}", refused.stdout);
    assert!(
        refused.stderr.contains("is a symbolic link owned by nobody"),
        "{}",
        refused.stderr
    );
    untouched(&victim);

    // Inside a data directory of our own, the socket directory is someone else's link.
    let data = root.join("data");
    fs::create_dir_all(data.join("postgres")).unwrap();
    plant(&data.join("postgres").join("run"));
    let refused = loket(&data, &["migrate"]).await;
    assert!(!refused.success, "{}", refused.stdout);
    assert!(
        refused.stderr.contains("run is a symbolic link owned by nobody"),
        "{}",
        refused.stderr
    );
    untouched(&victim);
}

/// Stops a cluster started by hand when the test ends, however it ends.
struct HandStarted {
    pg_ctl: PathBuf,
    data: PathBuf,
}

impl HandStarted {
    fn pg_ctl(&self, args: &[&str]) -> std::process::Output {
        let mut command = std::process::Command::new(&self.pg_ctl);
        command.args(args).arg("-D").arg(&self.data);
        if let Some(ids) = postgres_user().unwrap() {
            command.uid(ids.uid).gid(ids.gid).current_dir("/");
        }
        command.output().expect("run pg_ctl")
    }
}

impl Drop for HandStarted {
    fn drop(&mut self) {
        let _ = self.pg_ctl(&["stop", "-m", "immediate", "-w"]);
    }
}

#[actix_rt::test]
async fn the_embedded_clusters_own_configuration_opens_no_tcp_listener() {
    loket_tests::init_logging();
    let dir = pg::scratch_dir("notcp");
    let server = serve(embedded(&dir)).await;
    let cluster = dir.join("postgres").join("data");
    let auto_conf = fs::read_to_string(cluster.join("postgresql.auto.conf")).unwrap();
    assert!(auto_conf.contains("listen_addresses = ''"), "{auto_conf}");
    let client = server.pool.get().await.unwrap();
    let host_rules: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_hba_file_rules WHERE type LIKE 'host%' AND auth_method <> 'reject'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(host_rules, 0, "TCP connections are refused in pg_hba.conf too");
    drop(client);
    server.stop().await;

    // Started by hand, without Loket's command line, the cluster still listens on no TCP address.
    let socket_dir = dir.join("postgres").join("run");
    let hand = HandStarted {
        pg_ctl: find_bin_dir().unwrap().join("pg_ctl"),
        data: cluster,
    };
    let log = dir.join("postgres").join("postgres.log");
    let started = hand.pg_ctl(&[
        "start",
        "-w",
        "-l",
        &log.display().to_string(),
        "-o",
        &format!("-k '{}'", socket_dir.display()),
    ]);
    assert!(started.status.success(), "{}", String::from_utf8_lossy(&started.stderr));
    let (client, connection) = tokio_postgres::connect(
        &format!("host={} user=postgres dbname=postgres", socket_dir.display()),
        tokio_postgres::NoTls,
    )
    .await
    .unwrap();
    tokio::spawn(connection);
    let listen: String = client.query_one("SHOW listen_addresses", &[]).await.unwrap().get(0);
    assert_eq!(listen, "");
}
