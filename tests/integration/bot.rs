//! The Telegram bot, end to end: real teloxide against the fake Bot API, the real server, real agents.

use loket_protocol::TicketId;
use loket_protocol::api::Role;
use loket_protocol::ticket::Author;
use loket_protocol::ws::ServerMessage;
use loket_tests::telegram::{BOT_USERNAME, Sent};
use loket_tests::{AgentClient, FakeTelegram, PATIENCE, TestServer, TgUser, WsClient};
use serde_json::{Value, json};

/// A server with the bot pointed at a fake Telegram, and an admin.
pub(crate) struct Rig {
    pub(crate) tg: FakeTelegram,
    pub(crate) server: TestServer,
    pub(crate) admin: AgentClient,
}

pub(crate) async fn rig() -> Rig {
    let tg = FakeTelegram::start().await;
    let server = TestServer::start_with(|config| tg.configure(config)).await;
    let admin = server.agent("Ada", Role::Admin).await;
    Rig { tg, server, admin }
}

/// Registers an Indonesian-speaking reporter `name` (Telegram user and chat `telegram_id`) through the desk
/// the bot calls, with a fresh one-use invite code from `admin`: a reporter without a Telegram dialogue.
pub(crate) async fn desk_reporter(
    server: &loket_tests::TestServer,
    admin: &AgentClient,
    telegram_id: i64,
    name: &str,
) -> loket_core::reporting::Reporter {
    use loket_core::reporting::{Language, NewReporter, Registration};
    let code = invite(admin, 1).await;
    let registered = server
        .desk()
        .register_reporter(NewReporter {
            telegram_user_id: telegram_id,
            chat_id: telegram_id,
            name,
            language: Language::Id,
            code: &code,
        })
        .await;
    let Ok(Registration::Registered(reporter)) = registered else {
        panic!("{name} not registered: {registered:?}");
    };
    reporter
}

pub(crate) async fn invite(admin: &AgentClient, max_uses: i32) -> String {
    let reply = admin.post("/api/invite-codes", json!({"max_uses": max_uses})).await;
    reply.body["code"].as_str().expect("an invite code").to_string()
}

pub(crate) async fn register(rig: &Rig, user: &TgUser) {
    let code = invite(&rig.admin, 1).await;
    rig.tg.send_text(user, &format!("/start {code}"));
    rig.tg.expect(user.id, "Welcome").await;
}

/// Files a report without category or files; returns the ticket and the bot's "filed" message.
pub(crate) async fn report(tg: &FakeTelegram, user: &TgUser, title: &str) -> (TicketId, Sent) {
    tg.send_text(user, "/report");
    tg.expect(user.id, "What is the problem").await;
    tg.send_text(user, title);
    tg.expect(user.id, "describe").await;
    tg.send_text(user, "Since Monday");
    tg.expect(user.id, "photos or documents").await;
    tg.send_text(user, "/skip");
    let summary = tg.expect(user.id, "Please check your report").await;
    tg.press(user, &summary, &summary.button("Send"));
    let filed = tg.expect(user.id, "filed as").await;
    (key_in(&filed.text), filed)
}

pub(crate) fn key_in(text: &str) -> TicketId {
    let start = text.find("TKT-").unwrap_or_else(|| panic!("no ticket key in {text:?}"));
    let key: String = text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    TicketId::parse_key(&key).expect("a ticket key")
}

/// Waits until the ticket's notifications satisfy `done` (delivery is recorded just after Telegram answers).
pub(crate) async fn notifications_until(
    agent: &AgentClient,
    id: TicketId,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let detail = agent.get(&format!("/api/tickets/{}", id.0)).await;
        let list = detail.body["notifications"].as_array().cloned().unwrap_or_default();
        if done(&list) {
            return list;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "notifications never settled: {list:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

pub(crate) async fn set_status(ws: &mut WsClient, id: TicketId, version: i64, status: &str) {
    let ack = ws
        .call(json!({"type": "UpdateTicket", "ticket_id": id.0, "version": version, "changes": {"status": status}}))
        .await;
    assert!(matches!(ack, ServerMessage::Ack { .. }), "{ack:?}");
}

#[actix_rt::test]
async fn a_reporter_registers_with_a_code_and_only_then_can_report() {
    let rig = rig().await;
    let (tg, ana) = (&rig.tg, TgUser::new(501, "Ana", "en"));

    tg.send_text(&ana, "/report");
    tg.expect(ana.id, "register first").await;
    tg.send_text(&ana, "/start");
    tg.expect(ana.id, "invite code").await;

    // The deep link t.me/<bot>?start=<code> arrives as "/start <code>".
    let code = invite(&rig.admin, 1).await;
    tg.send_text(&ana, &format!("/start {code}"));
    tg.expect(ana.id, "Welcome, Ana!").await;
    tg.send_text(&ana, "/start");
    tg.expect(ana.id, "already registered").await;

    let codes = rig.admin.get("/api/invite-codes").await;
    let ours = codes
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == code.as_str())
        .unwrap()
        .clone();
    assert_eq!(ours["uses"], 1);
    assert_eq!(ours["link"], format!("https://t.me/{BOT_USERNAME}?start={code}"));

    // Indonesian users are answered in Indonesian, and /lang switches.
    let budi = TgUser::new(502, "Budi", "id");
    let code = invite(&rig.admin, 1).await;
    tg.send_text(&budi, &code);
    tg.expect(budi.id, "Selamat datang, Budi!").await;
    tg.send_text(&budi, "/lang");
    let choice = tg.expect(budi.id, "Pilih bahasa").await;
    tg.press(&budi, &choice, &choice.button("English"));
    tg.expect(budi.id, "English from now on").await;
    tg.send_text(&budi, "/help");
    let help = tg.expect(budi.id, "/mytickets").await;
    assert!(help.text.contains("/report"));

    // The command menu was registered in both languages.
    let menus = tg.command_menus();
    assert!(menus.iter().any(|m| m["language_code"] == "id"), "{menus:?}");
    assert!(menus.iter().any(|m| m["commands"][0]["command"] == "report"));
}

#[actix_rt::test]
async fn a_report_with_a_photo_becomes_a_ticket_with_its_attachment() {
    let rig = rig().await;
    let (tg, ana) = (&rig.tg, TgUser::new(601, "Ana", "en"));
    let category = rig.admin.post("/api/categories", json!({"name": "Lighting"})).await;
    rig.admin.post("/api/categories", json!({"name": "Roads"})).await;
    register(&rig, &ana).await;
    let mut agents = rig.admin.ws().await;

    tg.send_text(&ana, "/report");
    tg.expect(ana.id, "What is the problem").await;
    tg.send_text(&ana, "Street light out");
    tg.expect(ana.id, "describe").await;
    tg.send_text(&ana, "Jl. Merdeka 12, dark since Monday");
    let keyboard = tg.expect(ana.id, "Which category").await;
    // Typing where a button is expected re-prompts, with the buttons again.
    tg.send_text(&ana, "lighting please");
    let again = tg.expect(ana.id, "tapping one of the buttons").await;
    assert_eq!(again.buttons, keyboard.buttons);
    tg.press(&ana, &keyboard, &keyboard.button("Lighting"));
    tg.expect(ana.id, "photos or documents").await;
    let photo = b"JPEG: a dark street at night";
    tg.send_photo(&ana, "photo-1", photo, None, None);
    tg.expect(ana.id, "1 file(s)").await;
    tg.send_text(&ana, "/done");
    let summary = tg.expect(ana.id, "Street light out").await;
    assert!(
        summary.text.contains("Category: Lighting") && summary.text.contains("Files: 1"),
        "{}",
        summary.text
    );
    tg.press(&ana, &summary, &summary.button("Send"));
    let filed = tg.expect(ana.id, "TKT-0001").await;
    let id = key_in(&filed.text);

    let created = agents
        .recv_until("TicketCreated", |m| match m {
            ServerMessage::TicketCreated { ticket, .. } => Some(ticket.clone()),
            _ => None,
        })
        .await;
    assert_eq!((created.id, created.title.as_str()), (id, "Street light out"));
    // The photo is announced live, after its ticket.
    let announced = agents
        .recv_until("AttachmentAdded", |m| match m {
            ServerMessage::AttachmentAdded {
                ticket_id, attachment, ..
            } if *ticket_id == id => Some(attachment.clone()),
            _ => None,
        })
        .await;
    assert_eq!(announced.ticket_id, id);
    assert_eq!(announced.size_bytes, photo.len() as i64);
    assert_eq!(announced.content_type, "image/jpeg");
    assert_eq!(announced.comment_id, None, "sent with the report, not with a comment");

    let detail = rig.admin.get(&format!("/api/tickets/{}", id.0)).await.body;
    assert_eq!(detail["ticket"]["body"], "Jl. Merdeka 12, dark since Monday");
    assert_eq!(detail["ticket"]["category"]["id"], category.body["id"]);
    assert_eq!(detail["ticket"]["reporter"]["name"], "Ana");
    let attachments = detail["attachments"].as_array().unwrap();
    assert_eq!(attachments.len(), 1, "{detail}");
    assert_eq!(attachments[0]["id"], announced.id.0);
    assert_eq!(attachments[0]["url"], announced.url);
    assert_eq!(attachments[0]["size_bytes"], photo.len());
    let events = detail["events"].as_array().unwrap();
    let added: Vec<&Value> = events.iter().filter(|e| e["kind"] == "attachment_added").collect();
    assert_eq!(added.len(), 1, "{events:?}");
    assert_eq!(added[0]["new_value"], announced.file_name.as_str());
    assert_eq!(attachments[0]["content_type"], "image/jpeg");
    let bytes = rig
        .admin
        .get(&format!(
            "/api{}",
            attachments[0]["url"].as_str().unwrap().trim_start_matches("/api")
        ))
        .await;
    assert_eq!(bytes.body, Value::String(String::from_utf8_lossy(photo).into()));
}

#[actix_rt::test]
async fn an_agents_status_change_over_websocket_reaches_the_reporter() {
    let rig = rig().await;
    let (tg, ana) = (&rig.tg, TgUser::new(701, "Ana", "en"));
    register(&rig, &ana).await;
    let (id, _) = report(tg, &ana, "Broken bench").await;

    let mut ws = rig.admin.ws().await;
    ws.call(json!({"type": "LockTicket", "ticket_id": id.0})).await;
    set_status(&mut ws, id, 1, "open").await;
    let notice = tg.expect(ana.id, "is now: being worked on").await;
    assert!(
        notice.text.contains(&id.key()) && notice.text.contains("Broken bench"),
        "{}",
        notice.text
    );

    let list = notifications_until(&rig.admin, id, |l| {
        l.iter().all(|n| n["status"] == "delivered") && !l.is_empty()
    })
    .await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["attempts"], 1);
}

#[actix_rt::test]
async fn a_send_handled_again_after_a_crash_files_one_ticket() {
    let rig = rig().await;
    let (tg, ana) = (&rig.tg, TgUser::new(651, "Ana", "en"));
    register(&rig, &ana).await;
    let mut agents = rig.admin.ws().await;
    tg.send_text(&ana, "/report");
    tg.expect(ana.id, "What is the problem").await;
    tg.send_text(&ana, "Broken swing");
    tg.expect(ana.id, "describe").await;
    tg.send_text(&ana, "The chain snapped");
    tg.expect(ana.id, "photos or documents").await;
    tg.send_photo(&ana, "photo-swing", b"JPEG: a swing without a chain", None, None);
    tg.expect(ana.id, "1 file(s)").await;
    tg.send_text(&ana, "/done");
    let summary = tg.expect(ana.id, "Please check your report").await;

    // The dialogue as it was when Send was pressed.
    let client = rig.server.pool.get().await.unwrap();
    let confirm: Value = client
        .query_one(
            "SELECT state FROM bot_dialogues WHERE telegram_user_id = $1",
            &[&ana.id],
        )
        .await
        .unwrap()
        .get(0);
    tg.press(&ana, &summary, &summary.button("Send"));
    let first = key_in(&tg.expect(ana.id, "filed as").await.text);
    agents
        .recv_until("AttachmentAdded", |m| {
            matches!(m, ServerMessage::AttachmentAdded { ticket_id, .. } if *ticket_id == first).then_some(())
        })
        .await;

    // The process died after filing, before the bot saved its progress: the dialogue is still at the
    // summary and Telegram delivers the same press on the same summary again.
    client
        .execute(
            "INSERT INTO bot_dialogues (telegram_user_id, state) VALUES ($1, $2)",
            &[&ana.id, &confirm],
        )
        .await
        .unwrap();
    tg.press(&ana, &summary, &summary.button("Send"));
    let again = tg.expect(ana.id, "filed as").await;
    assert_eq!(
        key_in(&again.text),
        first,
        "the same ticket is answered: {}",
        again.text
    );

    // A reply is a fence: the bus is ordered, so a second TicketCreated or AttachmentAdded would come first.
    tg.reply(&ana, &again, "Still broken");
    let mut seen = Vec::new();
    agents
        .recv_until("CommentAdded", |m| {
            seen.push(m.clone());
            matches!(m, ServerMessage::CommentAdded { .. }).then_some(())
        })
        .await;
    assert!(
        !seen.iter().any(|m| matches!(
            m,
            ServerMessage::TicketCreated { .. } | ServerMessage::AttachmentAdded { .. }
        )),
        "nothing was filed or attached twice: {seen:#?}"
    );

    let row = client
        .query_one(
            "SELECT count(*), min(submission_key), (SELECT count(*) FROM attachments),
                    (SELECT count(*) FROM ticket_events WHERE kind = 'created')
             FROM tickets",
            &[],
        )
        .await
        .unwrap();
    let (tickets, key, attachments, created): (i64, String, i64, i64) =
        (row.get(0), row.get(1), row.get(2), row.get(3));
    assert_eq!((tickets, attachments, created), (1, 1, 1));
    assert_eq!(key, format!("tg:{}:{}", summary.chat_id, summary.message_id));
    assert_eq!(rig.tg.downloads(), 1, "the file was not fetched again");
    let stored: i64 = client
        .query_one("SELECT count(DISTINCT attachment_id) FROM attachment_chunks", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, 1, "the file was not stored again");
}

#[actix_rt::test]
async fn a_reporters_reply_becomes_a_comment_agents_receive() {
    let rig = rig().await;
    let (tg, ana) = (&rig.tg, TgUser::new(801, "Ana", "en"));
    register(&rig, &ana).await;
    let (id, filed) = report(tg, &ana, "Flooded underpass").await;
    let mut ws = rig.admin.ws().await;

    tg.reply(&ana, &filed, "The water is rising");
    let comment = ws
        .recv_until("CommentAdded", |m| match m {
            ServerMessage::CommentAdded { ticket_id, comment, .. } if *ticket_id == id => Some(comment.clone()),
            _ => None,
        })
        .await;
    assert_eq!(comment.body, "The water is rising");
    assert!(!comment.internal);
    assert!(matches!(comment.author, Author::Reporter { ref name, .. } if name == "Ana"));
    let ack = tg.expect(ana.id, "Added to").await;

    // A photo replying to the acknowledgement lands on the same ticket, with its file.
    tg.send_photo(&ana, "photo-9", b"JPEG: water", Some("Now it is worse"), Some(&ack));
    let comment = ws
        .recv_until("CommentAdded", |m| match m {
            ServerMessage::CommentAdded { ticket_id, comment, .. } if *ticket_id == id => Some(comment.clone()),
            _ => None,
        })
        .await;
    assert_eq!(comment.body, "Now it is worse");
    let attachment = ws
        .recv_until("AttachmentAdded", |m| match m {
            ServerMessage::AttachmentAdded {
                ticket_id, attachment, ..
            } if *ticket_id == id => Some(attachment.clone()),
            _ => None,
        })
        .await;
    assert_eq!(
        attachment.comment_id,
        Some(comment.id),
        "the file belongs to the follow-up"
    );
    tg.expect(ana.id, "Added to").await;
    let detail = rig.admin.get(&format!("/api/tickets/{}", id.0)).await.body;
    assert_eq!(detail["attachments"].as_array().unwrap().len(), 1, "{detail}");
    assert_eq!(detail["comments"].as_array().unwrap().len(), 2);
}

#[actix_rt::test]
async fn mytickets_pages_six_at_a_time_editing_the_message_in_place() {
    let rig = rig().await;
    let (tg, ana) = (&rig.tg, TgUser::new(901, "Ana", "en"));
    register(&rig, &ana).await;
    let client = rig.server.pool.get().await.unwrap();
    client
        .execute(
            "INSERT INTO tickets (title, reporter_id)
             SELECT 'Report ' || g, (SELECT id FROM reporters WHERE telegram_user_id = $1) FROM generate_series(1, 13) g",
            &[&ana.id],
        )
        .await
        .unwrap();

    tg.send_text(&ana, "/mytickets");
    let first = tg.expect(ana.id, "page 1 of 3").await;
    assert!(first.text.contains("TKT-0013") && first.text.contains("TKT-0008") && !first.text.contains("TKT-0007"));
    assert_eq!(first.buttons.len(), 1);
    tg.press(&ana, &first, &first.button("Next"));
    let second = tg.next_edit(ana.id).await;
    assert_eq!(second.message_id, first.message_id);
    assert!(
        second.text.contains("page 2 of 3") && second.text.contains("TKT-0007") && second.text.contains("TKT-0002")
    );
    assert_eq!(second.buttons.len(), 2);
    tg.press(&ana, &second, &second.button("Next"));
    let third = tg.next_edit(ana.id).await;
    assert!(
        third.text.contains("page 3 of 3") && third.text.contains("TKT-0001"),
        "{}",
        third.text
    );
    tg.press(&ana, &third, &third.button("Previous"));
    let back = tg.next_edit(ana.id).await;
    assert!(back.text.contains("page 2 of 3"));
    // Paging edited one message; it sent no new ones.
    assert_eq!(tg.sent_to(ana.id).len(), 2, "welcome and the list");
}

#[actix_rt::test]
async fn status_of_someone_elses_ticket_is_not_found() {
    let rig = rig().await;
    let tg = &rig.tg;
    let (ana, ben) = (TgUser::new(1001, "Ana", "en"), TgUser::new(1002, "Ben", "en"));
    register(&rig, &ana).await;
    register(&rig, &ben).await;
    let (id, _) = report(tg, &ana, "Graffiti").await;

    tg.send_text(&ben, &format!("/status {}", id.key()));
    tg.expect(ben.id, &format!("cannot find a report {}", id.key())).await;
    tg.send_text(&ana, &format!("/status {}", id.0));
    tg.expect(ana.id, &format!("{} \u{201c}Graffiti\u{201d}: received", id.key()))
        .await;
    tg.send_text(&ana, "/status soon");
    tg.expect(ana.id, "Which report?").await;
}

#[actix_rt::test]
async fn bad_revoked_expired_and_used_up_codes_are_refused() {
    let rig = rig().await;
    let tg = &rig.tg;
    let (ana, ben) = (TgUser::new(1101, "Ana", "en"), TgUser::new(1102, "Ben", "en"));

    tg.send_text(&ben, "/start no-such-code");
    tg.expect(ben.id, "do not know this invite code").await;

    let revoked = invite(&rig.admin, 5).await;
    rig.admin.delete(&format!("/api/invite-codes/{revoked}"), None).await;
    tg.send_text(&ben, &format!("/start {revoked}"));
    tg.expect(ben.id, "withdrawn").await;

    let client = rig.server.pool.get().await.unwrap();
    client
        .execute(
            "INSERT INTO invite_codes (code, max_uses, expires_at) VALUES ('old-code', 5, now() - interval '1 day')",
            &[],
        )
        .await
        .unwrap();
    tg.send_text(&ben, "/start old-code");
    tg.expect(ben.id, "expired").await;

    let single = invite(&rig.admin, 1).await;
    tg.send_text(&ana, &format!("/start {single}"));
    tg.expect(ana.id, "Welcome").await;
    tg.send_text(&ben, &format!("/start {single}"));
    tg.expect(ben.id, "used up").await;

    let uses: i32 = client
        .query_one("SELECT uses FROM invite_codes WHERE code = $1", &[&single])
        .await
        .unwrap()
        .get(0);
    assert_eq!(uses, 1);
    tg.send_text(&ben, "/mytickets");
    tg.expect(ben.id, "register first").await;
}

#[actix_rt::test]
async fn cancel_ends_a_report_at_every_step() {
    let rig = rig().await;
    let (tg, ana) = (&rig.tg, TgUser::new(1201, "Ana", "en"));
    rig.admin.post("/api/categories", json!({"name": "Roads"})).await;
    register(&rig, &ana).await;
    tg.send_text(&ana, "/cancel");
    tg.expect(ana.id, "nothing to cancel").await;

    for steps in 0..=4 {
        tg.send_text(&ana, "/report");
        tg.expect(ana.id, "What is the problem").await;
        let mut last = None;
        if steps >= 1 {
            tg.send_text(&ana, "Pothole");
            tg.expect(ana.id, "describe").await;
        }
        if steps >= 2 {
            tg.send_text(&ana, "Deep one");
            last = Some(tg.expect(ana.id, "Which category").await);
        }
        if steps >= 3 {
            let keyboard = last.take().unwrap();
            tg.press(&ana, &keyboard, &keyboard.button("Roads"));
            tg.expect(ana.id, "photos or documents").await;
        }
        if steps >= 4 {
            tg.send_text(&ana, "/skip");
            last = Some(tg.expect(ana.id, "Please check").await);
        }
        match last {
            // On the summary, the Cancel button.
            Some(summary) if steps == 4 => tg.press(&ana, &summary, &summary.button("Cancel")),
            _ => {
                tg.send_text(&ana, "/cancel");
            }
        }
        tg.expect(ana.id, "Report cancelled").await;
    }
    let tickets = rig.admin.get("/api/tickets").await;
    assert_eq!(tickets.body["total"], 0, "{}", tickets.body);
}

#[actix_rt::test]
async fn a_restart_mid_dialogue_resumes_where_it_was() {
    let mut rig = rig().await;
    let ana = TgUser::new(1301, "Ana", "en");
    register(&rig, &ana).await;
    rig.tg.send_text(&ana, "/report");
    rig.tg.expect(ana.id, "What is the problem").await;
    rig.tg.send_text(&ana, "Fallen tree");
    rig.tg.expect(ana.id, "describe").await;

    rig.server.restart().await;

    let tg = &rig.tg;
    tg.send_text(&ana, "Blocking the road");
    tg.expect(ana.id, "photos or documents").await;
    tg.send_text(&ana, "/skip");
    let summary = tg.expect(ana.id, "Fallen tree").await;
    assert!(summary.text.contains("Blocking the road"));
    tg.press(&ana, &summary, &summary.button("Send"));
    tg.expect(ana.id, "filed as TKT-0001").await;
    // Nothing was handled twice across the restart.
    let texts: Vec<String> = tg.sent_to(ana.id).into_iter().map(|m| m.text).collect();
    assert_eq!(texts.iter().filter(|t| t.contains("describe")).count(), 1, "{texts:#?}");
}

#[actix_rt::test]
async fn a_burst_of_429s_still_delivers_every_notification_once_in_order() {
    let rig = rig().await;
    let (tg, ana) = (&rig.tg, TgUser::new(1401, "Ana", "en"));
    register(&rig, &ana).await;
    let (id, _) = report(tg, &ana, "Noisy generator").await;
    let before = tg.sent_to(ana.id).len();

    tg.answer_429(3, 1);
    let mut ws = rig.admin.ws().await;
    ws.call(json!({"type": "LockTicket", "ticket_id": id.0})).await;
    set_status(&mut ws, id, 1, "open").await;
    ws.call(json!({"type": "AddComment", "ticket_id": id.0, "body": "We are on our way", "internal": false}))
        .await;
    // Comments do not move the version.
    set_status(&mut ws, id, 2, "pending").await;
    set_status(&mut ws, id, 3, "resolved").await;

    let expected = [
        "being worked on",
        "We are on our way",
        "is now: waiting",
        "is now: resolved",
    ];
    for needle in expected {
        tg.expect(ana.id, needle).await;
    }
    let list = notifications_until(&rig.admin, id, |l| {
        l.len() == 4 && l.iter().all(|n| n["status"] == "delivered")
    })
    .await;
    assert!(
        list.iter().any(|n| n["attempts"].as_i64() > Some(1)),
        "the 429s were retried: {list:?}"
    );
    let texts: Vec<String> = tg.sent_to(ana.id).into_iter().skip(before).map(|m| m.text).collect();
    assert_eq!(texts.len(), 4, "each notification exactly once: {texts:#?}");
    for (text, needle) in texts.iter().zip(expected) {
        assert!(text.contains(needle), "out of order: {texts:#?}");
    }
}

#[actix_rt::test]
async fn internal_notes_never_reach_the_reporter() {
    let rig = rig().await;
    let (tg, ana) = (&rig.tg, TgUser::new(1501, "Ana", "en"));
    register(&rig, &ana).await;
    let (id, _) = report(tg, &ana, "Stray dogs").await;
    let mut ws = rig.admin.ws().await;

    ws.call(json!({"type": "AddComment", "ticket_id": id.0, "body": "Caller sounded confused", "internal": true}))
        .await;
    ws.call(json!({"type": "AddComment", "ticket_id": id.0, "body": "Animal control is informed", "internal": false}))
        .await;
    // Delivery is in order per chat, so had the note been queued it would have come first.
    let reply = tg.next_message(ana.id).await;
    assert!(reply.text.contains("Animal control is informed"), "{}", reply.text);
    // Ada set no public name: the reporter hears from the desk, never her account name.
    assert!(reply.text.contains("The Loket help desk replied"), "{}", reply.text);
    let list = notifications_until(&rig.admin, id, |l| l.iter().all(|n| n["status"] == "delivered")).await;
    assert_eq!(list.len(), 1, "{list:?}");
    assert!(tg.sent_to(ana.id).iter().all(|m| !m.text.contains("confused")));
}

#[actix_rt::test]
async fn a_flood_is_answered_politely_once_instead_of_handled() {
    let rig = rig().await;
    let (tg, ana) = (&rig.tg, TgUser::new(1601, "Ana", "en"));
    register(&rig, &ana).await;
    for _ in 0..60 {
        tg.send_text(&ana, "/help");
    }
    let mut helps = 0;
    loop {
        let message = tg.next_message(ana.id).await;
        if message.text.contains("very quickly") {
            break;
        }
        helps += 1;
    }
    // The burst allowance (less the /start) and perhaps a token or two refilled meanwhile.
    assert!((29..40).contains(&helps), "{helps} floods were handled");
}

#[actix_rt::test]
async fn long_replies_are_split_and_an_interrupted_delivery_is_never_repeated() {
    let mut rig = rig().await;
    let ana = TgUser::new(1701, "Ana", "en");
    register(&rig, &ana).await;
    let (id, _) = report(&rig.tg, &ana, "Long story").await;

    let body: String = (1..=700).map(|n| format!("line {n:04}\n")).collect();
    let mut ws = rig.admin.ws().await;
    ws.call(json!({"type": "AddComment", "ticket_id": id.0, "body": body, "internal": false}))
        .await;
    let first = rig.tg.next_message(ana.id).await;
    let second = rig.tg.next_message(ana.id).await;
    assert!(first.text.encode_utf16().count() <= 4096 && second.text.encode_utf16().count() <= 4096);
    assert!(first.text.ends_with('\n'), "cut at a line break");
    assert!(format!("{}{}", first.text, second.text).contains(&body));
    notifications_until(&rig.admin, id, |l| l.len() == 1 && l[0]["status"] == "delivered").await;
    drop(ws);

    // A process died after claiming a notification: Telegram may have shown it, so it is never resent.
    let client = rig.server.pool.get().await.unwrap();
    client
        .execute(
            "INSERT INTO notifications (ticket_id, reporter_id, chat_id, kind, body, attempts, sending_since)
             SELECT $1, reporter_id, $2, 'status_changed', 'ghost of a crash', 1, now() FROM tickets WHERE id = $1",
            &[&id.0, &ana.id],
        )
        .await
        .unwrap();
    drop(client);
    rig.server.restart().await;
    let mut ws = rig.admin.ws().await;
    ws.call(json!({"type": "LockTicket", "ticket_id": id.0})).await;
    set_status(&mut ws, id, 1, "open").await;
    rig.tg.expect(ana.id, "is now: being worked on").await;
    let list = notifications_until(&rig.admin, id, |l| l.len() == 3 && l[2]["status"] == "delivered").await;
    assert_eq!(list[1]["status"], "failed", "{list:?}");
    assert!(list[1]["last_error"].as_str().unwrap().contains("interrupted"));
    assert!(rig.tg.sent_to(ana.id).iter().all(|m| !m.text.contains("ghost")));
}
