//! The reporter side of issue 12, end to end through the fake Bot API: messages without Reply, reopening
//! by a reply, ratings, `/status` with the latest replies, locations, editing the summary and re-prompts.

use loket_protocol::TicketId;
use loket_protocol::ws::ServerMessage;
use loket_tests::{AgentClient, FakeTelegram, TestServer, TgUser, WsClient};
use serde_json::{Value, json};

use crate::bot::{Rig, invite, key_in, register, report, rig, set_status};

async fn detail(agent: &AgentClient, id: TicketId) -> Value {
    agent.get(&format!("/api/tickets/{}", id.0)).await.body
}

fn comments(detail: &Value) -> Vec<Value> {
    detail["comments"].as_array().cloned().unwrap_or_default()
}

fn event_kinds(detail: &Value) -> Vec<String> {
    detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Takes the lock and walks the ticket from new to resolved (versions 1 to 4).
async fn resolve(ws: &mut WsClient, id: TicketId) {
    ws.call(json!({"type": "LockTicket", "ticket_id": id.0})).await;
    set_status(ws, id, 1, "open").await;
    set_status(ws, id, 2, "pending").await;
    set_status(ws, id, 3, "resolved").await;
}

/// Reads the reporter's notices until the "resolved" one (with its rating buttons).
async fn resolved_notice(tg: &FakeTelegram, user: &TgUser) -> loket_tests::telegram::Sent {
    tg.expect(user.id, "being worked on").await;
    tg.expect(user.id, "is now: waiting").await;
    tg.expect(user.id, "is now: resolved").await
}

#[actix_rt::test]
async fn a_message_without_reply_goes_to_the_latest_open_ticket_and_can_be_moved_or_become_a_report() {
    let rig = rig().await;
    let (tg, ana) = (&rig.tg, TgUser::new(2101, "Ana", "en"));
    register(&rig, &ana).await;

    // No open ticket: offered a report with this text as its description; nothing is lost.
    tg.send_text(&ana, "The bins on Jl. Kenanga were not collected this week");
    let offer = tg.expect(ana.id, "no open report").await;
    tg.press(&ana, &offer, &offer.button("New report"));
    tg.expect(ana.id, "What is the problem").await;
    tg.send_text(&ana, "Bins not collected");
    tg.expect(ana.id, "photos or documents").await;
    tg.send_text(&ana, "/skip");
    let summary = tg.expect(ana.id, "Title: Bins not collected").await;
    assert!(
        summary
            .text
            .contains("The bins on Jl. Kenanga were not collected this week"),
        "{}",
        summary.text
    );
    tg.press(&ana, &summary, &summary.button("Send"));
    let bins = key_in(&tg.expect(ana.id, "filed as").await.text);
    // The offer's button is spent now.
    tg.press(&ana, &offer, &offer.button("New report"));
    tg.expect(ana.id, "no longer current").await;

    let (bench, _) = report(tg, &ana, "Broken bench").await;
    tg.send_text(&ana, "It is the one near the fountain");
    let routed = tg
        .expect(
            ana.id,
            &format!("Added to your report {} \u{201c}Broken bench\u{201d}", bench.key()),
        )
        .await;
    assert!(
        routed.buttons.iter().any(|(l, _)| l.contains(&bins.key())),
        "{routed:?}"
    );
    assert!(
        routed.buttons.iter().any(|(l, _)| l.contains("New report")),
        "{routed:?}"
    );
    let on_bench = comments(&detail(&rig.admin, bench).await);
    assert_eq!(on_bench.len(), 1);
    assert_eq!(on_bench[0]["body"], "It is the one near the fountain");
    assert_eq!(on_bench[0]["author"]["kind"], "reporter");

    // Meant for the other report: it goes there, and agents on the first see a note saying so.
    tg.press(&ana, &routed, &routed.button(&bins.key()));
    tg.expect(ana.id, &format!("now on {}", bins.key())).await;
    let on_bins = comments(&detail(&rig.admin, bins).await);
    assert_eq!(on_bins.last().unwrap()["body"], "It is the one near the fountain");
    let on_bench = comments(&detail(&rig.admin, bench).await);
    let note = on_bench.last().unwrap();
    assert_eq!(
        (note["internal"].clone(), note["author"]["kind"].clone()),
        (json!(true), json!("system"))
    );
    assert!(note["body"].as_str().unwrap().contains(&bins.key()));
    // Pressed again: the message has moved already, so nothing happens twice.
    tg.press(&ana, &routed, &routed.button(&bins.key()));
    tg.expect(ana.id, "no longer current").await;
    assert_eq!(comments(&detail(&rig.admin, bins).await).len(), on_bins.len());

    // Someone else's ticket in a forged button is refused like a stale one.
    let ben = TgUser::new(2102, "Ben", "en");
    register(&rig, &ben).await;
    let (bens, _) = report(tg, &ben, "Ben's pothole").await;
    // The latest activity the reporter sees is the moved message, so the next one goes there.
    tg.send_text(&ana, "One more thing");
    let routed = tg.expect(ana.id, &format!("Added to your report {}", bins.key())).await;
    tg.press(&ana, &routed, &format!("move:{}", bens.0));
    tg.expect(ana.id, "no longer current").await;
    assert!(comments(&detail(&rig.admin, bens).await).is_empty());
    // Turned into a new report instead: the ticket it went to first gets a note for agents.
    tg.press(&ana, &routed, &routed.button("New report"));
    tg.expect(ana.id, "What is the problem").await;
    let last = comments(&detail(&rig.admin, bins).await).last().cloned().unwrap();
    assert_eq!(last["author"]["kind"], "system");
    assert!(last["body"].as_str().unwrap().contains("new report"), "{last}");
}

#[actix_rt::test]
async fn a_reply_to_a_resolved_ticket_reopens_it_and_flags_it_until_an_agent_acts() {
    let rig = rig().await;
    let (tg, ana) = (&rig.tg, TgUser::new(2201, "Ana", "en"));
    register(&rig, &ana).await;
    let (id, filed) = report(tg, &ana, "Leaking pipe").await;
    let mut ws = rig.admin.ws().await;
    resolve(&mut ws, id).await;
    resolved_notice(tg, &ana).await;

    let mut watcher = rig.admin.ws().await;
    tg.reply(&ana, &filed, "It is leaking again");
    tg.expect(ana.id, &format!("{} is open again", id.key())).await;
    let updated = watcher
        .recv_until("the reopening", |m| match m {
            ServerMessage::TicketUpdated { ticket, .. } if ticket.id == id => Some(ticket.clone()),
            _ => None,
        })
        .await;
    assert_eq!(updated.status, loket_protocol::ticket::Status::Open);
    assert!(updated.reopened_at.is_some());
    assert_eq!(updated.version, 5);
    let seen = detail(&rig.admin, id).await;
    assert_eq!(seen["ticket"]["status"], "open");
    assert!(seen["ticket"]["reopened_at"].is_string(), "{}", seen["ticket"]);
    let reopened = seen["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "reopened")
        .cloned()
        .expect("the reopening is audited");
    assert_eq!(reopened["actor"]["kind"], "reporter");
    assert_eq!(
        (reopened["old_value"].clone(), reopened["reason"].clone()),
        (json!("resolved"), json!("reporter_reply"))
    );
    assert_eq!(comments(&seen).last().unwrap()["body"], "It is leaking again");
    // The board lists it flagged.
    let board = rig.admin.get("/api/tickets").await;
    let row = board.body["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id.0)
        .cloned()
        .unwrap();
    assert!(row["reopened_at"].is_string(), "{row}");

    // An agent answering it has seen the reopening: the flag goes, broadcast and audited. (An agent's
    // update clears it too: the browser test below.)
    ws.call(
        json!({"type": "AddComment", "ticket_id": id.0, "body": "We will send the plumber again", "internal": false}),
    )
    .await;
    let cleared = watcher
        .recv_until("the flag cleared", |m| match m {
            ServerMessage::TicketUpdated { ticket, .. } if ticket.id == id && ticket.reopened_at.is_none() => {
                Some(ticket.clone())
            }
            _ => None,
        })
        .await;
    assert_eq!(
        (cleared.version, cleared.status),
        (6, loket_protocol::ticket::Status::Open)
    );
    let seen = detail(&rig.admin, id).await;
    assert!(seen["ticket"].get("reopened_at").is_none(), "{}", seen["ticket"]);
    assert!(event_kinds(&seen).contains(&"reopen_seen".to_string()));
    tg.expect(ana.id, "We will send the plumber again").await;
    set_status(&mut ws, id, 6, "pending").await;
    // A reply to a ticket that is not resolved or closed reopens nothing.
    tg.expect(ana.id, "is now: waiting").await;
    tg.reply(&ana, &filed, "Thanks");
    tg.expect(ana.id, "Added to").await;
    assert_eq!(detail(&rig.admin, id).await["ticket"]["status"], "pending");
}

#[actix_rt::test]
async fn with_reopening_switched_off_a_reply_leaves_a_closed_ticket_closed() {
    let tg = FakeTelegram::start().await;
    let server = TestServer::start_with(|config| {
        tg.configure(config);
        config.reopen_on_reply = false;
    })
    .await;
    let admin = server.agent("Ada", loket_protocol::api::Role::Admin).await;
    let rig = Rig { tg, server, admin };
    let (tg, ana) = (&rig.tg, TgUser::new(2251, "Ana", "en"));
    register(&rig, &ana).await;
    let (id, filed) = report(tg, &ana, "Loose tiles").await;
    let mut ws = rig.admin.ws().await;
    resolve(&mut ws, id).await;
    resolved_notice(tg, &ana).await;
    tg.reply(&ana, &filed, "One tile is still loose");
    tg.expect(ana.id, "Added to").await;
    let seen = detail(&rig.admin, id).await;
    assert_eq!(seen["ticket"]["status"], "resolved");
    assert!(!event_kinds(&seen).contains(&"reopened".to_string()));
}

#[actix_rt::test]
async fn a_resolved_ticket_is_rated_once_with_an_optional_comment_and_bad_presses_are_refused() {
    let rig = rig().await;
    let (tg, ana, ben) = (&rig.tg, TgUser::new(2301, "Ana", "en"), TgUser::new(2302, "Ben", "en"));
    register(&rig, &ana).await;
    register(&rig, &ben).await;
    let (id, filed) = report(tg, &ana, "Street light out").await;
    let mut ws = rig.admin.ws().await;
    resolve(&mut ws, id).await;
    let notice = resolved_notice(tg, &ana).await;
    let labels: Vec<&str> = notice.buttons.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(labels, ["1", "2", "3", "4", "5"], "{notice:?}");
    assert!(notice.text.contains("Tap 1 (poor) to 5 (excellent)"), "{}", notice.text);

    tg.press(&ana, &notice, &notice.button("4"));
    tg.expect(ana.id, "(4 of 5)").await;
    tg.send_text(&ana, "Fixed within a day, thank you");
    tg.expect(ana.id, "comment was saved").await;
    let rating = detail(&rig.admin, id).await["ticket"]["rating"].clone();
    assert_eq!(
        (rating["stars"].clone(), rating["comment"].clone()),
        (json!(4), json!("Fixed within a day, thank you"))
    );

    // A later rating replaces the first; /skip leaves it without a comment.
    tg.press(&ana, &notice, &notice.button("5"));
    tg.expect(ana.id, "(5 of 5)").await;
    tg.send_text(&ana, "/skip");
    tg.expect(ana.id, "no comment").await;
    let seen = detail(&rig.admin, id).await;
    assert_eq!(seen["ticket"]["rating"]["stars"], 5);
    assert!(seen["ticket"]["rating"].get("comment").is_none());
    assert_eq!(event_kinds(&seen).iter().filter(|k| *k == "rated").count(), 3);
    let rows: i64 = rig
        .server
        .desk()
        .pool
        .get()
        .await
        .unwrap()
        .query_one("SELECT count(*) FROM ticket_ratings WHERE ticket_id = $1", &[&id.0])
        .await
        .unwrap()
        .get(0);
    assert_eq!(rows, 1, "one rating per ticket");

    // Someone else's ticket, in a forged button: not found, nothing stored.
    tg.press(&ben, &notice, &format!("rate:{}:1", id.0));
    tg.expect(ben.id, &format!("cannot find a report {}", id.key())).await;
    // Out of range: not one of our buttons, ignored.
    tg.press(&ana, &notice, &format!("rate:{}:9", id.0));
    // Reopened since: the old buttons no longer rate it.
    tg.reply(&ana, &filed, "Out again tonight");
    tg.expect(ana.id, "open again").await;
    tg.press(&ana, &notice, &notice.button("1"));
    tg.expect(ana.id, "not resolved any more").await;
    assert_eq!(detail(&rig.admin, id).await["ticket"]["rating"]["stars"], 5);
}

#[actix_rt::test]
async fn status_says_what_is_expected_and_shows_the_latest_public_replies() {
    let rig = rig().await;
    let (tg, ana) = (&rig.tg, TgUser::new(2401, "Ana", "en"));
    register(&rig, &ana).await;
    let (id, _) = report(tg, &ana, "Fallen tree").await;

    tg.send_text(&ana, &format!("/status {}", id.key()));
    let fresh = tg.expect(ana.id, "Nothing is needed from you").await;
    assert!(fresh.text.contains("No messages yet"), "{}", fresh.text);

    let mut ws = rig.admin.ws().await;
    ws.call(json!({"type": "LockTicket", "ticket_id": id.0})).await;
    set_status(&mut ws, id, 1, "open").await;
    ws.call(json!({"type": "AddComment", "ticket_id": id.0, "body": "Which street exactly?", "internal": false}))
        .await;
    ws.call(json!({"type": "AddComment", "ticket_id": id.0, "body": "Probably the park crew", "internal": true}))
        .await;
    set_status(&mut ws, id, 2, "pending").await;
    tg.expect(ana.id, "being worked on").await;
    tg.expect(ana.id, "Which street exactly?").await;
    tg.expect(ana.id, "is now: waiting").await;

    tg.send_text(&ana, &format!("/status {}", id.key()));
    let status = tg.expect(ana.id, "Waiting for your answer").await;
    assert!(status.text.contains("Which street exactly?"), "{}", status.text);
    assert!(
        !status.text.contains("park crew"),
        "internal notes never: {}",
        status.text
    );

    // Once the reporter answered, a waiting ticket waits for someone else.
    tg.send_text(&ana, "Jl. Melati, by the school");
    tg.expect(ana.id, "Added to your report").await;
    tg.send_text(&ana, "/lang id");
    tg.expect(ana.id, "berbahasa Indonesia").await;
    tg.send_text(&ana, &format!("/status {}", id.key()));
    let status = tg.expect(ana.id, "Menunggu pihak lain").await;
    assert!(
        status.text.contains("Anda (") && status.text.contains("Jl. Melati"),
        "{}",
        status.text
    );
}

#[actix_rt::test]
async fn a_location_is_stored_with_the_report_and_as_a_follow_up_and_bad_coordinates_are_refused() {
    let rig = rig().await;
    let (tg, ana) = (&rig.tg, TgUser::new(2501, "Ana", "en"));
    register(&rig, &ana).await;
    tg.send_text(&ana, "/report");
    tg.expect(ana.id, "What is the problem").await;
    tg.send_text(&ana, "Flooded underpass");
    tg.expect(ana.id, "describe").await;
    tg.send_text(&ana, "Knee-deep water");
    tg.expect(ana.id, "share the location").await;
    tg.send_location(&ana, 95.0, 10.0, None);
    tg.expect(ana.id, "cannot be right").await;
    tg.expect(ana.id, "photos or documents").await;
    tg.send_location(&ana, -6.17511, 106.865039, None);
    tg.expect(ana.id, "Location added").await;
    tg.send_text(&ana, "/done");
    let summary = tg.expect(ana.id, "Location: -6.175110, 106.865039").await;
    tg.press(&ana, &summary, &summary.button("Send"));
    let filed = tg.expect(ana.id, "filed as").await;
    let id = key_in(&filed.text);

    let mut ws = rig.admin.ws().await;
    let seen = detail(&rig.admin, id).await;
    assert_eq!(
        seen["ticket"]["location"],
        json!({"latitude": -6.17511, "longitude": 106.865039})
    );
    assert!(event_kinds(&seen).contains(&"location_set".to_string()));

    // As a follow-up (a reply), broadcast like other changes.
    tg.send_location(&ana, -6.2, 106.81, Some(&filed));
    tg.expect(ana.id, &format!("Location saved on {}", id.key())).await;
    let updated = ws
        .recv_until("the new location", |m| match m {
            ServerMessage::TicketUpdated { ticket, .. } if ticket.id == id => {
                ticket.location.filter(|l| l.latitude == -6.2)
            }
            _ => None,
        })
        .await;
    assert_eq!((updated.latitude, updated.longitude), (-6.2, 106.81));
    assert_eq!(
        updated.openstreetmap_url(),
        "https://www.openstreetmap.org/?mlat=-6.2&mlon=106.81#map=18/-6.2/106.81"
    );
    // Impossible coordinates as a follow-up change nothing.
    tg.send_location(&ana, 10.0, 200.0, Some(&filed));
    tg.expect(ana.id, "cannot be right").await;
    assert_eq!(detail(&rig.admin, id).await["ticket"]["location"]["longitude"], 106.81);
}

#[actix_rt::test]
async fn the_summary_changes_one_field_at_a_time_and_reprompts_say_exactly_what_is_needed() {
    let rig = rig().await;
    rig.admin.post("/api/categories", json!({"name": "Roads"})).await;
    rig.admin.post("/api/categories", json!({"name": "Parks"})).await;
    let (tg, budi) = (&rig.tg, TgUser::new(2601, "Budi", "id"));
    let code = invite(&rig.admin, 1).await;
    tg.send_text(&budi, &format!("/start {code}"));
    tg.expect(budi.id, "Selamat datang").await;

    tg.send_text(&budi, "/report");
    tg.expect(budi.id, "Apa masalahnya").await;
    // A photo where the title is expected: told what is needed, in Indonesian.
    tg.send_photo(&budi, "p-title", b"JPEG", None, None);
    tg.expect(budi.id, "Saya memerlukan judul berupa pesan teks").await;
    tg.send_text(&budi, "Jalan berlubang");
    tg.expect(budi.id, "jelaskan").await;
    tg.send_text(&budi, "Di depan pasar");
    let keyboard = tg.expect(budi.id, "Kategori mana").await;
    tg.send_text(&budi, "jalan");
    let again = tg.expect(budi.id, "mengetuk salah satu tombol").await;
    assert_eq!(again.buttons, keyboard.buttons);
    tg.press(&budi, &keyboard, &keyboard.button("Roads"));
    tg.expect(budi.id, "foto atau dokumen").await;
    tg.send_text(&budi, "/skip");
    let summary = tg.expect(budi.id, "Judul: Jalan berlubang").await;
    assert!(!summary.text.contains("Maaf, yang saya perlukan di sini lain"));

    // Each field on its own: the rest of the draft stays.
    tg.press(&budi, &summary, &summary.button("Judul"));
    tg.expect(budi.id, "Kirim judul baru").await;
    tg.send_text(&budi, "Lubang besar di Jl. Pasar");
    let summary = tg.expect(budi.id, "Judul: Lubang besar di Jl. Pasar").await;
    assert!(summary.text.contains("Keterangan: Di depan pasar") && summary.text.contains("Kategori: Roads"));
    tg.press(&budi, &summary, &summary.button("Kategori"));
    let categories = tg.expect(budi.id, "Ketuk kategori").await;
    tg.press(&budi, &categories, &categories.button("Parks"));
    let summary = tg.expect(budi.id, "Kategori: Parks").await;
    tg.press(&budi, &summary, &summary.button("Keterangan"));
    tg.expect(budi.id, "Kirim keterangan baru").await;
    tg.send_text(&budi, "Tepat di depan pintu masuk pasar");
    let summary = tg.expect(budi.id, "Keterangan: Tepat di depan pintu masuk pasar").await;
    assert!(summary.text.contains("Judul: Lubang besar di Jl. Pasar"));
    // On the summary, text is not an answer: the buttons are.
    tg.send_text(&budi, "kirim");
    let reminded = tg.expect(budi.id, "gunakan tombol di bawah ringkasan").await;
    tg.press(&budi, &reminded, &reminded.button("Kirim"));
    let id = key_in(&tg.expect(budi.id, "tercatat sebagai").await.text);

    let seen = detail(&rig.admin, id).await;
    assert_eq!(seen["ticket"]["title"], "Lubang besar di Jl. Pasar");
    assert_eq!(seen["ticket"]["body"], "Tepat di depan pintu masuk pasar");
    assert_eq!(seen["ticket"]["category"]["name"], "Parks");
}

#[actix_rt::test]
async fn agents_see_the_location_the_rating_and_the_reopened_flag_in_the_browser() {
    use loket_core::reporting::{Language, NewReporter, Registration};
    use loket_tests::browser::{self, Browser};
    use loket_tests::server::PASSWORD;

    if !browser::available() {
        return;
    }
    let dist = browser::web_dir();
    let server = TestServer::start_with(|config| config.web_dir = Some(dist)).await;
    let admin = server.agent("Ayu", loket_protocol::api::Role::Admin).await;
    let code = invite(&admin, 1).await;
    let newcomer = NewReporter {
        telegram_user_id: 2701,
        chat_id: 2701,
        name: "Sari",
        language: Language::Id,
        code: &code,
    };
    let Ok(Registration::Registered(sari)) = server.desk().register_reporter(newcomer).await else {
        panic!("Sari not registered");
    };
    let desk = server.desk();
    let new = loket_protocol::api::NewTicket {
        title: "Banjir di underpass".into(),
        body: "Setinggi lutut".into(),
        priority: Default::default(),
        category_id: None,
    };
    let id = desk.file_report(sari.id, new, None).await.unwrap().id;
    for (version, status) in [(1, "open"), (2, "pending"), (3, "resolved")] {
        let reply = admin
            .patch(
                &format!("/api/tickets/{}", id.0),
                json!({"version": version, "changes": {"status": status}}),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    desk.reporter_locate(sari.id, id, -6.17511, 106.865039).await.unwrap();
    desk.reporter_rate(sari.id, id, 5, Some("Cepat sekali")).await.unwrap();

    let b = Browser::launch(&server.url(), "ayu-reporter-side").await;
    b.goto("/").await;
    b.sign_in("ayu@example.org", PASSWORD).await;
    b.goto(&format!("/tickets/{}", id.0)).await;
    b.wait_text("[data-testid=ticket-location]", "-6.175110, 106.865039")
        .await;
    b.wait_attr(
        "[data-testid=ticket-location-map]",
        "href",
        "https://www.openstreetmap.org/?mlat=-6.17511&mlon=106.865039#map=18/-6.17511/106.865039",
    )
    .await;
    b.wait_text("[data-testid=ticket-rating]", "5 of 5").await;
    b.wait_text("[data-testid=ticket-rating-comment]", "Cepat sekali").await;
    assert!(b.text("[data-testid=ticket-reopened]").await.is_none());

    // The reporter's reply reopens it while the page is open: flagged live.
    let replied = desk.reporter_reply(sari.id, id, "Banjir lagi").await.unwrap();
    assert!(replied.reopened);
    b.wait_text("[data-testid=ticket-reopened]", "Reopened by the reporter's reply")
        .await;
    b.screenshot("reporter-side-ticket").await;
    b.goto("/").await;
    let row = format!("tr[data-ticket-key='{}'] [data-testid=reopened]", id.key());
    b.wait_text(&row, "Reopened").await;
    // An agent's change clears the flag, live on the board.
    let reply = admin
        .patch(
            &format!("/api/tickets/{}", id.0),
            json!({"version": 7, "changes": {"priority": "high"}}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    b.wait_until("the flag to go", || async { b.text(&row).await.is_none() })
        .await;
    b.close().await;
}
