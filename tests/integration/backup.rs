//! Backups: `loket backup` beside a running server, `loket restore` into an empty data directory (the
//! embedded default), a server on the restored directory serving everything that was backed up, and
//! scheduled backups that appear, rotate and restore.

use std::collections::BTreeSet;
use std::os::unix::fs::MetadataExt;
use std::time::Duration;

use loket_protocol::api::Role;
use loket_server::backups::{self, BackupSource, Schedule};
use loket_tests::{TestServer, TgUser, pg};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::bot::{key_in, register, rig};
use crate::data_dir::{embedded, loket, loket_with, serve};

/// The scheduled backups' interval in the test: far below what an operator may set
/// (`MIN_BACKUP_EVERY`), which the schedule itself allows (it refuses only zero).
const TEST_EVERY: Duration = Duration::from_secs(1);
/// How many scheduled backups the test keeps.
const TEST_KEEP: usize = 2;
/// How long the test waits for its scheduled backups: each is a full pg_dump, on a loaded machine.
const BACKUPS_PATIENCE: Duration = Duration::from_secs(120);
/// How often the test looks into the backup directory.
const DIR_POLL: Duration = Duration::from_millis(50);

/// The scheduled backups in `dir` (not the partial files of one being written), in time order.
fn scheduled_backups(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
                .filter(|n| n.starts_with("loket-backup-") && n.ends_with(".tar.gz"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[actix_rt::test]
async fn a_backup_made_while_serving_restores_into_an_empty_data_directory() {
    loket_tests::init_logging();
    let rig = rig().await;
    let (tg, ana) = (&rig.tg, TgUser::new(1201, "Ana", "en"));
    register(&rig, &ana).await;
    // A ticket with a comment, and a reporter's photo under the data directory.
    let created = rig
        .admin
        .post(
            "/api/tickets",
            json!({"title": "Lampu jalan mati di Jl. Merdeka", "body": "Sejak Senin"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let agent_ticket = created.body["id"].as_i64().expect("an id");
    rig.admin
        .post(
            &format!("/api/tickets/{agent_ticket}/comments"),
            json!({"body": "Tim sudah dikirim", "internal": true}),
        )
        .await;
    tg.send_text(&ana, "/report");
    tg.expect(ana.id, "What is the problem").await;
    tg.send_text(&ana, "Pothole");
    tg.expect(ana.id, "describe").await;
    tg.send_text(&ana, "Deep one");
    tg.expect(ana.id, "photos or documents").await;
    let photo = b"JPEG: a deep pothole";
    tg.send_photo(&ana, "photo-hole", photo, None, None);
    tg.expect(ana.id, "1 file(s)").await;
    tg.send_text(&ana, "/done");
    let summary = tg.expect(ana.id, "Please check your report").await;
    tg.press(&ana, &summary, &summary.button("Send"));
    let reported = key_in(&tg.expect(ana.id, "filed as").await.text);

    // Back up while the server runs.
    let archive = pg::scratch_dir("backup-out").join("loket.tar.gz");
    let url = rig
        .server
        .config
        .database_url
        .clone()
        .expect("the test server uses a DATABASE_URL");
    let data_dir = rig.server.data_dir();
    let made = loket_with(
        &data_dir,
        &["backup", archive.to_str().expect("a UTF-8 path")],
        &[("DATABASE_URL", &url)],
    )
    .await;
    assert!(made.success, "loket backup: {}", made.stderr);
    assert!(made.stdout.contains("backup written"), "{}", made.stdout);
    assert_eq!(
        std::fs::metadata(&archive).expect("the archive").mode() & 0o777,
        0o600,
        "the archive is private"
    );
    assert_eq!(
        rig.admin.get("/readyz").await.status,
        StatusCode::OK,
        "the server kept serving"
    );

    // Restore into an empty data directory, with the embedded PostgreSQL.
    let fresh = pg::scratch_dir("restored");
    let restored = loket(&fresh, &["restore", archive.to_str().expect("a UTF-8 path")]).await;
    assert!(restored.success, "loket restore: {}", restored.stderr);
    // Restoring again over what is now there is refused, and changes nothing.
    let again = loket(&fresh, &["restore", archive.to_str().expect("a UTF-8 path")]).await;
    assert!(!again.success);
    assert!(again.stderr.contains("not empty"), "{}", again.stderr);

    let server = serve(embedded(&fresh)).await;
    let admin = server.agent("Restorer", Role::Admin).await;
    let listed = admin.get("/api/tickets").await;
    assert_eq!(listed.body["total"], 2, "{:?}", listed.body);
    let detail = admin.get(&format!("/api/tickets/{agent_ticket}")).await.body;
    assert_eq!(detail["ticket"]["title"], "Lampu jalan mati di Jl. Merdeka");
    let comments: Vec<&Value> = detail["comments"].as_array().expect("comments").iter().collect();
    assert!(
        comments.iter().any(|c| c["body"] == "Tim sudah dikirim"),
        "{comments:?}"
    );
    assert!(!detail["events"].as_array().expect("history").is_empty());
    let reported = admin.get(&format!("/api/tickets/{}", reported.0)).await.body;
    let attachment = &reported["attachments"][0];
    let url = attachment["url"].as_str().expect("an attachment url");
    let bytes = admin.get(url).await;
    assert_eq!(bytes.status, StatusCode::OK);
    assert_eq!(bytes.body, Value::String(String::from_utf8_lossy(photo).into()));
}

#[actix_rt::test]
async fn something_that_is_not_a_backup_is_refused_before_anything_changes() {
    let dir = pg::scratch_dir("not-a-backup");
    let junk = dir.join("junk.tar.gz");
    std::fs::write(&junk, b"definitely not a backup").expect("write");
    let fresh = pg::scratch_dir("not-restored");
    let refused = loket(&fresh, &["restore", junk.to_str().expect("a UTF-8 path")]).await;
    assert!(!refused.success);
    assert!(refused.stderr.contains("is not a Loket backup"), "{}", refused.stderr);
    let server = serve(embedded(&fresh)).await;
    let admin = server.agent("Ada", Role::Admin).await;
    assert_eq!(admin.get("/api/tickets").await.body["total"], 0);
}

#[actix_rt::test]
async fn scheduled_backups_appear_rotate_and_one_restores() {
    loket_tests::init_logging();
    let server = TestServer::start().await;
    let admin = server.agent("Ana", Role::Admin).await;
    let created = admin
        .post("/api/tickets", json!({"title": "Backed up on schedule"}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    // An operator cannot ask for backups this often; the schedule itself only refuses what cannot work.
    let mut config = server.config.clone();
    config.backup_dir = Some(pg::scratch_dir("unused"));
    config.backup_every = TEST_EVERY;
    assert!(
        config.validate().is_err(),
        "LOKET_BACKUP_EVERY below MIN_BACKUP_EVERY is refused"
    );
    assert!(Schedule::new(pg::scratch_dir("unused"), Duration::ZERO, TEST_KEEP).is_err());
    assert!(Schedule::new(pg::scratch_dir("unused"), TEST_EVERY, 0).is_err());

    let dir = pg::scratch_dir("scheduled");
    let url = server
        .config
        .database_url
        .clone()
        .expect("the test server uses a DATABASE_URL");
    let schedule = Schedule::new(dir.clone(), TEST_EVERY, TEST_KEEP).expect("a schedule");
    let running = backups::start(BackupSource::new(&server.config, &url), schedule);
    // Watch the directory until more backups were made than are kept: rotation has had to delete.
    let mut seen = BTreeSet::new();
    let deadline = tokio::time::Instant::now() + BACKUPS_PATIENCE;
    while seen.len() < TEST_KEEP + 2 {
        let now = scheduled_backups(&dir);
        assert!(
            now.len() <= TEST_KEEP + 1,
            "at most the kept ones and the one just written: {now:?}"
        );
        seen.extend(now);
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {seen:?} within {BACKUPS_PATIENCE:?}"
        );
        tokio::time::sleep(DIR_POLL).await;
    }
    running.stop().await;
    let left = scheduled_backups(&dir);
    seen.extend(left.iter().cloned());
    let newest: Vec<String> = seen.iter().rev().take(TEST_KEEP).rev().cloned().collect();
    assert_eq!(left, newest, "the newest {TEST_KEEP} are kept, the older ones deleted");
    let stray: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| !left.contains(n))
        .collect();
    assert!(stray.is_empty(), "nothing else is left behind: {stray:?}");
    for name in &left {
        assert_eq!(
            std::fs::metadata(dir.join(name)).unwrap().mode() & 0o777,
            0o600,
            "{name} is private"
        );
    }

    // The newest restores into an empty data directory, and a server there has the ticket.
    let archive = dir.join(left.last().expect("a kept backup"));
    let fresh = pg::scratch_dir("scheduled-restored");
    let restored = loket(&fresh, &["restore", archive.to_str().expect("a UTF-8 path")]).await;
    assert!(restored.success, "loket restore: {}", restored.stderr);
    let again = serve(embedded(&fresh)).await;
    let reader = again.agent("Restorer", Role::Admin).await;
    let listed = reader.get("/api/tickets").await;
    assert_eq!(listed.body["total"], 1, "{:?}", listed.body);
    assert_eq!(listed.body["tickets"][0]["title"], "Backed up on schedule");
    again.stop().await;
    server.stop().await;
}
