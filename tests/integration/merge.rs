//! Issue 11's merge and attachments on agents' replies, end to end: the real server, real agents over
//! WebSocket and REST, the bot against the fake Bot API.

use std::time::Duration;

use loket_protocol::ErrorCode;
use loket_protocol::TicketId;
use loket_protocol::api::Role;
use loket_protocol::ticket::Status;
use loket_protocol::ws::ServerMessage;
use loket_tests::{AgentClient, PATIENCE, TgUser};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::bot::{register, report, rig};

async fn detail(agent: &AgentClient, id: TicketId) -> Value {
    agent.get(&format!("/api/tickets/{}", id.0)).await.body
}

fn kinds(detail: &Value) -> Vec<String> {
    detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[actix_rt::test]
async fn a_duplicate_merges_with_its_conversation_its_reporter_is_told_and_later_replies_land_on_the_survivor() {
    let rig = rig().await;
    let tg = &rig.tg;
    let (dewi, budi) = (TgUser::new(3101, "Dewi", "en"), TgUser::new(3102, "Budi", "en"));
    register(&rig, &dewi).await;
    register(&rig, &budi).await;
    let (survivor, _) = report(tg, &budi, "Street lamp out on Jl. Merdeka").await;
    let (dup, filed) = report(tg, &dewi, "Lampu jalan mati").await;
    tg.reply(&dewi, &filed, "Sudah tiga malam gelap");
    tg.expect(dewi.id, &dup.key()).await;
    // Dewi reads Indonesian from now on.
    tg.send_text(&dewi, "/lang id");
    tg.expect(dewi.id, "").await;

    let mut ws = rig.admin.ws().await;
    let mut watcher = rig.admin.ws().await;
    ws.call(json!({"type": "LockTicket", "ticket_id": dup.0})).await;
    ws.call(json!({"type": "LockTicket", "ticket_id": survivor.0})).await;
    let ack = ws
        .call(json!({"type": "MergeTicket", "ticket_id": dup.0, "version": 1, "into": survivor.0, "into_version": 1}))
        .await;
    assert!(
        matches!(ack, ServerMessage::Ack { ticket_id: Some(t), version: Some(2), .. } if t == survivor),
        "{ack:?}"
    );
    // Both tickets' updates, committed, in order: the duplicate closed with its pointer, then the survivor.
    let (closed, position) = watcher
        .recv_until("the duplicate's update", |m| match m {
            ServerMessage::TicketUpdated { ticket, position, .. } if ticket.id == dup => {
                Some((ticket.clone(), *position))
            }
            _ => None,
        })
        .await;
    assert_eq!(
        (closed.status, closed.merged_into, closed.version),
        (Status::Closed, Some(survivor), 2)
    );
    let (carried, later) = watcher
        .recv_until("the survivor's update", |m| match m {
            ServerMessage::TicketUpdated { ticket, position, .. } if ticket.id == survivor => {
                Some((ticket.clone(), *position))
            }
            _ => None,
        })
        .await;
    assert_eq!(carried.version, 2);
    assert!(later > position, "positions {position} then {later}");

    // Comments moved, both audited.
    let on_survivor = detail(&rig.admin, survivor).await;
    let comments = on_survivor["comments"].as_array().unwrap();
    assert!(
        comments.iter().any(|c| c["body"] == "Sudah tiga malam gelap"),
        "{comments:?}"
    );
    assert!(kinds(&on_survivor).contains(&"merged_from".to_string()));
    let on_dup = detail(&rig.admin, dup).await;
    assert!(on_dup["comments"].as_array().unwrap().is_empty());
    assert_eq!(on_dup["ticket"]["merged_into"], survivor.0);
    assert!(kinds(&on_dup).contains(&"merged_into".to_string()));

    // Dewi is told in Indonesian which ticket carries her report now, and what to do.
    let told = tg.expect(dewi.id, "kami gabungkan").await;
    assert!(
        told.text.contains(&survivor.key()) && told.text.contains(&dup.key()),
        "{}",
        told.text
    );
    assert!(
        told.text.contains(&format!("/status {}", survivor.key())),
        "{}",
        told.text
    );

    // A later reply to the duplicate's Telegram message lands on the survivor, confirmed with its key.
    tg.reply(&dewi, &filed, "Sekarang lampu di seberang juga mati");
    tg.expect(dewi.id, &survivor.key()).await;
    let on_survivor = detail(&rig.admin, survivor).await;
    let last = on_survivor["comments"].as_array().unwrap().last().cloned().unwrap();
    assert_eq!(last["body"], "Sekarang lampu di seberang juga mati");
    assert_eq!(last["author"]["kind"], "reporter");
    assert_eq!(last["author"]["id"], on_dup["ticket"]["reporter"]["id"]);
    assert_eq!(detail(&rig.admin, dup).await["ticket"]["status"], "closed");

    // Dewi's link moved too: she hears the survivor's public replies beside its own reporter.
    ws.call(json!({"type": "AddComment", "ticket_id": survivor.0, "body": "Petugas berangkat besok pagi"}))
        .await;
    tg.expect(budi.id, "Petugas berangkat besok pagi").await;
    tg.expect(dewi.id, "Petugas berangkat besok pagi").await;

    // The merged duplicate takes no more changes or merges.
    let (code, _) = ws
        .refused(json!({"type": "UpdateTicket", "ticket_id": dup.0, "version": 2, "changes": {"status": "open"}}))
        .await;
    assert_eq!(code, ErrorCode::Conflict);
}

#[actix_rt::test]
async fn refused_merges_change_nothing_on_either_path() {
    let rig = rig().await;
    let admin = &rig.admin;
    let sari = rig.server.agent("Sari", Role::Agent).await;
    let mut ids = Vec::new();
    for title in ["Got mampet", "Saluran tersumbat", "Jalan berlubang", "Pohon tumbang"] {
        let filed = sari.post("/api/tickets", json!({"title": title})).await;
        assert_eq!(filed.status, StatusCode::CREATED, "{filed:?}");
        ids.push(TicketId(filed.body["id"].as_i64().unwrap()));
    }
    let (dup, survivor, closed, elsewhere) = (ids[0], ids[1], ids[2], ids[3]);
    let merge = |into: TicketId, version: i64, into_version: i64| json!({"type": "MergeTicket", "ticket_id": dup.0, "version": version, "into": into.0, "into_version": into_version});
    let mut ws = sari.ws().await;
    ws.call(json!({"type": "LockTicket", "ticket_id": dup.0})).await;
    // Only one of the two locks.
    assert_eq!(ws.refused(merge(survivor, 1, 1)).await.0, ErrorCode::NotLockHolder);
    ws.call(json!({"type": "LockTicket", "ticket_id": survivor.0})).await;
    // Into itself.
    assert_eq!(ws.refused(merge(dup, 1, 1)).await.0, ErrorCode::InvalidRequest);
    // Stale versions, either one.
    let (code, error) = ws.refused(merge(survivor, 0, 1)).await;
    assert_eq!(code, ErrorCode::VersionConflict);
    assert!(
        matches!(&error, ServerMessage::Error { ticket: Some(t), .. } if t.id == dup),
        "{error:?}"
    );
    let (code, error) = ws.refused(merge(survivor, 1, 7)).await;
    assert_eq!(code, ErrorCode::VersionConflict);
    assert!(
        matches!(&error, ServerMessage::Error { ticket: Some(t), .. } if t.id == survivor),
        "{error:?}"
    );
    // Into a closed ticket (an admin closed it).
    let shut = admin
        .patch(
            &format!("/api/tickets/{}", closed.0),
            json!({"version": 1, "changes": {"status": "closed"}}),
        )
        .await;
    assert_eq!(shut.status, StatusCode::OK, "{shut:?}");
    ws.call(json!({"type": "LockTicket", "ticket_id": closed.0})).await;
    assert_eq!(ws.refused(merge(closed, 1, 2)).await.0, ErrorCode::Conflict);
    // Across a queue Sari is not in: over REST, holding the duplicate's lock.
    let roads = admin
        .post(
            "/api/queues",
            json!({"name": "Jalan dan Jembatan", "description": "Jalan"}),
        )
        .await;
    let roads = roads.body["id"].as_i64().unwrap();
    let moved = admin
        .patch(
            &format!("/api/tickets/{}", elsewhere.0),
            json!({"version": 1, "changes": {"queue_id": roads}}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{moved:?}");
    let rest = sari
        .post(
            &format!("/api/tickets/{}/merge", dup.0),
            json!({"version": 1, "into": elsewhere.0, "into_version": 2}),
        )
        .await;
    assert_eq!(rest.status, StatusCode::FORBIDDEN, "{rest:?}");
    assert_eq!(rest.body["code"], "not_in_queue");
    // REST without the survivor's lock: refused too (a merge needs both locks on every path).
    let other = sari.post("/api/tickets", json!({"title": "Lain"})).await;
    let other = other.body["id"].as_i64().unwrap();
    let rest = sari
        .post(
            &format!("/api/tickets/{}/merge", dup.0),
            json!({"version": 1, "into": other, "into_version": 1}),
        )
        .await;
    assert_eq!(rest.body["code"], "not_lock_holder", "{rest:?}");

    // Nothing changed on any of them.
    for (id, version, status) in [(dup, 1, "new"), (survivor, 1, "new"), (closed, 2, "closed")] {
        let seen = detail(admin, id).await;
        assert_eq!(
            (seen["ticket"]["version"].as_i64(), seen["ticket"]["status"].as_str()),
            (Some(version), Some(status)),
            "{id}"
        );
        assert!(seen["ticket"].get("merged_into").is_none());
        assert!(!kinds(&seen).iter().any(|k| k.starts_with("merged")));
    }

    // And the same merge over REST, with both locks, goes through.
    let done = sari
        .post(
            &format!("/api/tickets/{}/merge", dup.0),
            json!({"version": 1, "into": survivor.0, "into_version": 1}),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{done:?}");
    assert_eq!(done.body["duplicate"]["merged_into"], survivor.0);
    assert_eq!(done.body["survivor"]["version"], 2);
    // Once merged, it cannot be merged again.
    let again = sari
        .post(
            &format!("/api/tickets/{}/merge", dup.0),
            json!({"version": 2, "into": survivor.0, "into_version": 2}),
        )
        .await;
    assert_eq!(again.body["code"], "conflict", "{again:?}");
}

#[actix_rt::test]
async fn a_public_replys_files_reach_the_reporter_despite_refusals_and_an_internal_notes_never_do() {
    let rig = rig().await;
    let tg = &rig.tg;
    let ana = TgUser::new(3201, "Ana", "en");
    register(&rig, &ana).await;
    let (id, _) = report(tg, &ana, "Broken bench").await;
    let admin = &rig.admin;

    // An internal note's file: stored, never sent.
    let secret: Vec<u8> = b"internal photo".to_vec();
    let note_file = admin.upload(id.0, "internal.txt", "text/plain", secret).await;
    assert_eq!(note_file.status, StatusCode::CREATED, "{note_file:?}");
    let mut ws = admin.ws().await;
    let note = ws
        .call(
            json!({"type": "AddComment", "ticket_id": id.0, "body": "Vendor quote attached", "internal": true,
                     "attachments": [note_file.body["id"]]}),
        )
        .await;
    assert!(matches!(note, ServerMessage::Ack { .. }), "{note:?}");

    // A public reply with a photo and a document, while Telegram refuses files twice: retried, nothing lost or
    // doubled.
    let photo: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let pdf: Vec<u8> = b"%PDF-1.4 work order".to_vec();
    let photo_up = admin.upload(id.0, "bench.jpg", "image/jpeg", photo.clone()).await;
    let pdf_up = admin.upload(id.0, "order.pdf", "application/pdf", pdf.clone()).await;
    assert_eq!(
        (photo_up.status, pdf_up.status),
        (StatusCode::CREATED, StatusCode::CREATED)
    );
    tg.refuse_files(2);
    let reply = admin
        .post(
            &format!("/api/tickets/{}/comments", id.0),
            json!({"body": "Repaired, see the photo", "attachments": [photo_up.body["id"], pdf_up.body["id"]]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    assert_eq!(reply.body["attachments"].as_array().unwrap().len(), 2);
    assert!(
        tg.wait_until(PATIENCE, |s| s
            .sent_to(ana.id)
            .iter()
            .any(|m| m.text.contains("Repaired, see the photo")))
            .await,
        "the reply never arrived: {:?}",
        detail(admin, id).await["notifications"]
    );
    assert!(
        tg.wait_until(PATIENCE, |s| s.files_sent_to(ana.id).len() >= 2).await,
        "the files never arrived: {:?} (bad requests {})",
        detail(admin, id).await["notifications"],
        tg.bad_requests()
    );
    let files = tg.files_sent_to(ana.id);
    assert_eq!(files.len(), 2, "{files:?}");
    assert_eq!(
        (files[0].kind.as_str(), files[0].file_name.as_str()),
        ("photo", "bench.jpg")
    );
    assert_eq!(files[0].bytes, photo, "the photo's bytes reached Telegram as uploaded");
    assert_eq!(
        (files[1].kind.as_str(), files[1].file_name.as_str()),
        ("document", "order.pdf")
    );
    assert_eq!(files[1].bytes, pdf);
    assert!(files.iter().all(|f| f.file_name != "internal.txt"));
    assert_eq!(
        tg.sent_to(ana.id)
            .iter()
            .filter(|m| m.text.contains("Repaired"))
            .count(),
        1
    );

    // An upload already sent, someone else's, or too big: refused, nothing changes.
    let again = admin
        .post(
            &format!("/api/tickets/{}/comments", id.0),
            json!({"body": "Once more", "attachments": [pdf_up.body["id"]]}),
        )
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "{again:?}");
    let big = admin
        .upload(
            id.0,
            "huge.bin",
            "application/octet-stream",
            vec![0; 20 * 1024 * 1024 + 1],
        )
        .await;
    assert_eq!(big.status, StatusCode::PAYLOAD_TOO_LARGE, "{big:?}");
    assert_eq!(big.body["code"], "payload_too_large");
    let comments = detail(admin, id).await["comments"].as_array().unwrap().len();
    assert_eq!(comments, 2);
}

#[actix_rt::test]
async fn the_browser_shows_a_merged_duplicate_pointing_at_the_ticket_that_carries_it() {
    use loket_tests::TestServer;
    use loket_tests::browser::{self, Browser};
    use loket_tests::server::PASSWORD;

    if !browser::available() {
        return;
    }
    let server = TestServer::start_with(|config| config.web_dir = Some(browser::web_dir())).await;
    let ayu = server.agent("Ayu", Role::Admin).await;
    let mut ids = Vec::new();
    for title in ["Lampu jalan mati", "Street lamp out"] {
        let filed = ayu.post("/api/tickets", json!({"title": title})).await;
        ids.push(TicketId(filed.body["id"].as_i64().unwrap()));
    }
    let (dup, survivor) = (ids[0], ids[1]);
    let noted = ayu
        .post(
            &format!("/api/tickets/{}/comments", dup.0),
            json!({"body": "Sudah tiga malam gelap"}),
        )
        .await;
    assert_eq!(noted.status, StatusCode::CREATED, "{noted:?}");

    let b = Browser::launch(&server.url(), "ayu-merge").await;
    b.goto("/").await;
    b.sign_in("ayu@example.org", PASSWORD).await;
    b.goto(&format!("/tickets/{}", dup.0)).await;
    b.wait_text("[data-testid=comment]", "Sudah tiga malam gelap").await;
    assert!(b.text("[data-testid=ticket-merged-into]").await.is_none());

    // Merged (over REST, with both locks) while the duplicate's page is open: the pointer shows live.
    for id in [dup, survivor] {
        let locked = ayu.post(&format!("/api/tickets/{}/lock", id.0), json!({})).await;
        assert_eq!(locked.status, StatusCode::OK, "{locked:?}");
    }
    let merged = ayu
        .post(
            &format!("/api/tickets/{}/merge", dup.0),
            json!({"version": 1, "into": survivor.0, "into_version": 1}),
        )
        .await;
    assert_eq!(merged.status, StatusCode::OK, "{merged:?}");
    b.wait_text("[data-testid=ticket-merged-into]", "Merged into").await;
    b.wait_text("[data-testid=ticket-merged-into] a", &survivor.key()).await;
    b.screenshot("merged-duplicate").await;
    // The pointer leads to the survivor, which carries the moved comment and both history entries.
    b.click("[data-testid=ticket-merged-into] a").await;
    b.wait_until("the survivor's page", || async {
        b.path().await == format!("/tickets/{}", survivor.0)
    })
    .await;
    b.wait_text("[data-testid=comment]", "Sudah tiga malam gelap").await;
    b.close().await;
}

#[actix_rt::test]
async fn a_public_replys_file_reaches_the_reporter_once_after_telegram_server_errors() {
    let rig = rig().await;
    let tg = &rig.tg;
    let ana = TgUser::new(3202, "Ana", "en");
    register(&rig, &ana).await;
    let (id, _) = report(tg, &ana, "Got tertutup sampah").await;
    let admin = &rig.admin;
    let photo: Vec<u8> = (0..=255u8).rev().cycle().take(40_000).collect();
    let up = admin.upload(id.0, "selesai.jpg", "image/jpeg", photo.clone()).await;
    assert_eq!(up.status, StatusCode::CREATED, "{up:?}");

    // Telegram answers the file with a 500 and then a proxy's 502 page: both are retried with backoff (and
    // teloxide waits 10 s after each 5xx before it reports it, hence the long patience below).
    tg.break_files(2);
    let before = tg.send_attempts();
    let reply = admin
        .post(
            &format!("/api/tickets/{}/comments", id.0),
            json!({"body": "Sudah dibersihkan", "attachments": [up.body["id"]]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    assert!(
        tg.wait_until(Duration::from_secs(90), |s| !s.files_sent_to(ana.id).is_empty())
            .await,
        "the file never arrived: {:?}",
        detail(admin, id).await["notifications"]
    );
    let files = tg.files_sent_to(ana.id);
    assert_eq!(files.len(), 1, "sent once, not once per attempt: {files:?}");
    assert_eq!(
        (files[0].kind.as_str(), files[0].file_name.as_str()),
        ("photo", "selesai.jpg")
    );
    assert_eq!(files[0].bytes, photo);
    assert!(
        tg.send_attempts() - before >= 3,
        "two refused attempts and the one that went through: {}",
        tg.send_attempts() - before
    );
    let texts = tg.sent_to(ana.id);
    assert_eq!(
        texts.iter().filter(|m| m.text.contains("Sudah dibersihkan")).count(),
        1,
        "{texts:?}"
    );
}
