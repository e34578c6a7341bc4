//! Workflow (issue 11, first slice): idle leases, public display names, canned replies.

use std::time::Duration;

use loket_protocol::api::Role;
use loket_protocol::ticket::UnlockReason;
use loket_protocol::ws::ServerMessage;
use loket_protocol::{ErrorCode, TicketId, Timestamp};
use loket_tests::TestServer;
use loket_tests::browser::{self, Browser};
use loket_tests::server::PASSWORD;
use serde_json::json;

use crate::{assert_quiet, create_ticket, event_kinds, unlocked};

/// The lease row's expiry, idle deadline and whether the database clock has passed `after`.
async fn lease_row(server: &TestServer, id: TicketId, after: Timestamp) -> Option<(Timestamp, Timestamp, bool)> {
    server
        .pool
        .get()
        .await
        .unwrap()
        .query_opt(
            "SELECT expires_at, idle_at, now() > $2 FROM ticket_leases WHERE ticket_id = $1",
            &[&id.0, &after],
        )
        .await
        .unwrap()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
}

fn idle_at(ack: &ServerMessage) -> Timestamp {
    match ack {
        ServerMessage::Ack { idle_at: Some(at), .. } => *at,
        other => panic!("a lock Ack without idle_at: {other:?}"),
    }
}

#[actix_rt::test]
async fn an_idle_lock_lapses_once_despite_heartbeats_and_the_late_update_changes_nothing() {
    // Longer than one heartbeat (5 s), so the test sees a heartbeat renew the expiry, not the idle deadline.
    let server = TestServer::start_with(|config| config.lock_idle_secs = 7).await;
    let (ana, ben) = (
        server.agent("Ana", Role::Agent).await,
        server.agent("Ben", Role::Agent).await,
    );
    let (mut a, mut b) = (ana.ws().await, ben.ws().await);
    let id = create_ticket(&mut b, "Left open in a tab").await;
    let deadline = idle_at(&a.call(json!({"type": "LockTicket", "ticket_id": id.0})).await);
    let (first_expiry, stored_idle, _) = lease_row(&server, id, deadline).await.expect("a lease row");
    assert_eq!(stored_idle, deadline, "the Ack tells the deadline on record");

    // Ana's tab stays open and answers every ping, but she types nothing. A heartbeat moves the expiry
    // and leaves the idle deadline where it was. (Reading her socket answers the server's pings.)
    let heartbeat_renewed = async {
        loop {
            let (expiry, idle, _) = lease_row(&server, id, deadline).await.expect("still held");
            if expiry > first_expiry {
                return idle;
            }
            let _ = a.next_message(Duration::from_millis(200)).await;
        }
    };
    assert_eq!(heartbeat_renewed.await, deadline, "a heartbeat is no activity");

    // Ben sees the lock end once, as idle, while Ana is still connected.
    assert_eq!(unlocked(&mut b, id).await, UnlockReason::Idle);
    assert_eq!(event_kinds(&ben, id).await, ["created", "lock_taken", "lock_idle"]);
    let events = ben.get(&format!("/api/tickets/{}/events", id.0)).await;
    assert_eq!(events.body[2]["actor"]["kind"], "system");
    assert!(lease_row(&server, id, deadline).await.is_none());

    // Her late save is refused and changes nothing.
    let (code, _) = a
        .refused(json!({"type": "UpdateTicket", "ticket_id": id.0, "version": 1, "changes": {"title": "Too late"}}))
        .await;
    assert_eq!(code, ErrorCode::NotLockHolder);
    let detail = ben.get(&format!("/api/tickets/{}", id.0)).await;
    assert_eq!(detail.body["ticket"]["title"], "Left open in a tab");
    assert_eq!(detail.body["ticket"]["version"], 1);
    assert!(detail.body["ticket"]["lock"].is_null());
    // Only once: nothing more is broadcast about it, and she may take the lock again and save.
    assert_quiet(&mut b, id).await;
    assert_eq!(
        event_kinds(&ben, id).await,
        ["created", "lock_taken", "lock_idle", "commented"]
    );
    a.call(json!({"type": "LockTicket", "ticket_id": id.0})).await;
    let saved = a
        .call(json!({"type": "UpdateTicket", "ticket_id": id.0, "version": 1, "changes": {"title": "Saved after all"}}))
        .await;
    assert!(
        matches!(saved, ServerMessage::Ack { version: Some(2), .. }),
        "{saved:?}"
    );
}

#[actix_rt::test]
async fn activity_by_the_holder_postpones_the_idle_lapse() {
    let server = TestServer::start_with(|config| config.lock_idle_secs = 3).await;
    let (ana, ben) = (
        server.agent("Ana", Role::Agent).await,
        server.agent("Ben", Role::Agent).await,
    );
    let (mut a, mut b) = (ana.ws().await, ben.ws().await);
    let id = create_ticket(&mut b, "Being worked on").await;
    let first = idle_at(&a.call(json!({"type": "LockTicket", "ticket_id": id.0})).await);

    // Her own LockTicket again (the web client's "Keep editing", or its throttled renewal while typing).
    tokio::time::sleep(Duration::from_millis(300)).await; // pacing, so the deadline can move
    let renewed = idle_at(&a.call(json!({"type": "LockTicket", "ticket_id": id.0})).await);
    assert!(renewed > first, "{renewed} after {first}");

    // An update: its broadcast carries the moved deadline.
    let mut version = 1;
    let mut last = renewed;
    let mut pushes = 0;
    // Keep active (paced, not synchronised: each step awaits its own answer) until the database clock
    // is past the first deadline; the lock must still be held then.
    loop {
        let (_, idle, past_first) = lease_row(&server, id, first).await.expect("activity keeps the lock");
        assert!(idle >= last);
        last = idle;
        if past_first && pushes >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(700)).await;
        if pushes % 2 == 0 {
            a.call(json!({"type": "UpdateTicket", "ticket_id": id.0, "version": version,
                          "changes": {"title": format!("Being worked on ({version})")}}))
                .await;
            version += 1;
            let moved = b
                .recv_until("TicketUpdated", |m| match m {
                    ServerMessage::TicketUpdated { ticket, .. } if ticket.version == version => {
                        ticket.lock.as_ref().and_then(|l| l.idle_at)
                    }
                    _ => None,
                })
                .await;
            assert!(moved > last, "an update is activity");
        } else {
            a.call(json!({"type": "AddComment", "ticket_id": id.0, "body": "still on it", "internal": true}))
                .await;
            let (_, idle, _) = lease_row(&server, id, first).await.expect("held");
            assert!(idle > last, "a comment by the holder is activity");
        }
        pushes += 1;
    }
    // A comment by someone else is not her activity.
    let (_, before, _) = lease_row(&server, id, first).await.expect("held");
    b.call(json!({"type": "AddComment", "ticket_id": id.0, "body": "any news?", "internal": true}))
        .await;
    let (_, after, _) = lease_row(&server, id, first).await.expect("held");
    assert_eq!(before, after);
    // Then she stops, and it lapses.
    assert_eq!(unlocked(&mut b, id).await, UnlockReason::Idle);
    let kinds = event_kinds(&ben, id).await;
    assert_eq!(kinds.iter().filter(|k| *k == "lock_idle").count(), 1, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| *k == "lock_taken").count(), 1, "{kinds:?}");
}

const LOCK_PANEL: &str = "[data-testid=lock-panel]";

#[actix_rt::test]
async fn the_browser_warns_before_an_idle_lapse_and_keeps_the_draft_after_it() {
    if !browser::available() {
        return;
    }
    let dist = browser::web_dir();
    // Shorter than the warning's minute: the warning shows as soon as the lock is taken.
    let server = TestServer::start_with(|config| {
        config.web_dir = Some(dist);
        config.lock_idle_secs = 6;
    })
    .await;
    let ayu = server.agent("Ayu", Role::Agent).await;
    let mut watcher = ayu.ws().await;
    let id = create_ticket(&mut watcher, "Pothole on Jl. Sudirman").await;
    let a = Browser::launch(&server.url(), "ayu-idle").await;
    a.goto("/").await;
    a.sign_in("ayu@example.org", PASSWORD).await;
    a.goto(&format!("/tickets/{}", id.0)).await;
    a.wait_attr(LOCK_PANEL, "data-lock", "free").await;
    a.click_button("Edit").await;
    a.wait_attr(LOCK_PANEL, "data-lock", "mine").await;
    a.fill("#field-title", "Pothole on Jl. Sudirman, near the school").await;
    a.wait_text("[data-testid=idle-warning]", "your lock lapses").await;
    a.screenshot("idle-warning").await;
    // Ayu does nothing more: the server ends the lock as idle, the page says so and keeps her draft.
    assert_eq!(unlocked(&mut watcher, id).await, UnlockReason::Idle);
    a.wait_attr(LOCK_PANEL, "data-lock", "lapsed").await;
    assert_eq!(
        a.prop("#field-title", "value").await.as_deref(),
        Some("Pothole on Jl. Sudirman, near the school")
    );
    a.screenshot("idle-lapsed").await;
    // She takes it again and saves the kept draft.
    a.click("[data-testid=retake]").await;
    a.wait_attr(LOCK_PANEL, "data-lock", "mine").await;
    a.click("[data-testid=save]").await;
    let saved = watcher
        .recv_until("TicketUpdated", |m| match m {
            ServerMessage::TicketUpdated { ticket, .. } if ticket.id == id => Some(ticket.title.clone()),
            _ => None,
        })
        .await;
    assert_eq!(saved, "Pothole on Jl. Sudirman, near the school");
    a.close().await;
}

#[actix_rt::test]
async fn reporters_see_the_agents_public_name_or_the_desk_never_the_account() {
    use crate::bot::{register, report, rig};
    use loket_tests::TgUser;
    use reqwest::StatusCode;

    let rig = rig().await;
    let (tg, sari) = (&rig.tg, rig.server.agent("Sari Wulandari", Role::Agent).await);
    assert_eq!(
        sari.get("/api/auth/public-name").await.body,
        json!({"public_name": null})
    );

    // Bad names are refused with a clear error and change nothing.
    for bad in [
        json!({"public_name": "   "}),
        json!({"public_name": "x".repeat(61)}),
        json!({"public_name": "Sari\nWulandari"}),
        json!({"public_name": "sari@example.org"}),
        json!({"name": "Petugas Sari"}),
    ] {
        let refused = sari.put("/api/auth/public-name", bad.clone()).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{bad}: {:?}", refused.body);
        assert!(refused.body["code"].is_string(), "{:?}", refused.body);
    }
    assert_eq!(sari.get("/api/auth/public-name").await.body["public_name"], json!(null));
    let set = sari
        .put("/api/auth/public-name", json!({"public_name": "  Petugas Sari "}))
        .await;
    assert_eq!(
        (set.status, set.body.clone()),
        (StatusCode::OK, json!({"public_name": "Petugas Sari"}))
    );
    // The same again records nothing; the change is in the audit trail with before and after.
    sari.put("/api/auth/public-name", json!({"public_name": "Petugas Sari"}))
        .await;
    let audit = rig.admin.get("/api/audit").await;
    let entries: Vec<_> = audit
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "public_name_changed")
        .collect();
    assert_eq!(entries.len(), 1, "{:?}", audit.body);
    assert_eq!(entries[0]["details"]["to"], "Petugas Sari");
    assert_eq!(entries[0]["actor"]["name"], "Sari Wulandari", "{:?}", entries[0]);

    // An English reporter hears from "Petugas Sari"; an Indonesian one, answered by an agent without a
    // public name (the admin), from the desk.
    let (ana, budi) = (TgUser::new(1601, "Ana", "en"), TgUser::new(1602, "Budi", "en"));
    register(&rig, &ana).await;
    register(&rig, &budi).await;
    let (first, _) = report(tg, &ana, "Broken street light").await;
    let (second, _) = report(tg, &budi, "Lampu jalan mati").await;
    // Budi prefers Indonesian.
    tg.send_text(&budi, "/lang");
    let choice = tg.expect(budi.id, "language").await;
    tg.press(&budi, &choice, &choice.button("Bahasa Indonesia"));
    tg.expect(budi.id, "berbahasa Indonesia").await;
    let mut ws = sari.ws().await;
    ws.call(json!({"type": "AddComment", "ticket_id": first.0, "body": "A crew is on its way", "internal": false}))
        .await;
    let mut admin_ws = rig.admin.ws().await;
    admin_ws
        .call(json!({"type": "AddComment", "ticket_id": second.0, "body": "Petugas sedang menuju lokasi", "internal": false}))
        .await;
    let to_ana = tg.next_message(ana.id).await;
    assert!(
        to_ana.text.starts_with("Petugas Sari replied to your report"),
        "{}",
        to_ana.text
    );
    assert!(
        !to_ana.text.contains("Wulandari") && !to_ana.text.contains('@'),
        "{}",
        to_ana.text
    );
    let to_budi = tg.next_message(budi.id).await;
    assert!(
        to_budi.text.starts_with("Petugas layanan Loket membalas laporan Anda"),
        "{}",
        to_budi.text
    );
    assert!(!to_budi.text.contains("Ada"), "{}", to_budi.text);

    // Cleared, the desk's name is used for her too.
    let cleared = sari.put("/api/auth/public-name", json!({"public_name": null})).await;
    assert_eq!(cleared.body, json!({"public_name": null}));
    ws.call(json!({"type": "AddComment", "ticket_id": first.0, "body": "Fixed", "internal": false}))
        .await;
    let again = tg.next_message(ana.id).await;
    assert!(again.text.starts_with("The Loket help desk replied"), "{}", again.text);
}

#[actix_rt::test]
async fn canned_replies_are_managed_by_least_privilege_searched_and_rendered_for_the_ticket() {
    use crate::bot::{register, report, rig};
    use loket_tests::TgUser;
    use reqwest::StatusCode;

    let rig = rig().await;
    let (tg, admin) = (&rig.tg, &rig.admin);
    let (sari, budi) = (
        rig.server.agent("Sari", Role::Agent).await,
        rig.server.agent("Budi", Role::Agent).await,
    );
    sari.put("/api/auth/public-name", json!({"public_name": "Petugas Sari"}))
        .await;
    let shared = json!({"scope": "shared", "title": "Crew on its way", "shortcut": "crew",
        "text_en": "Dear {{reporter.name}}, a crew is on its way to fix {{ticket.key}} ({{ticket.title}}). {{agent.name}}",
        "text_id": "Yth. {{reporter.name}}, petugas sedang menuju lokasi untuk {{ticket.key}} ({{ticket.title}}). {{agent.name}}"});

    // Agents may not add shared ones; admins may. Bad values and taken shortcuts are refused.
    assert_eq!(
        sari.post("/api/canned-replies", shared.clone()).await.status,
        StatusCode::FORBIDDEN
    );
    let created = admin.post("/api/canned-replies", shared.clone()).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let crew = created.body["id"].as_i64().unwrap();
    assert_eq!(created.body["scope"], "shared");
    assert_eq!(
        admin.post("/api/canned-replies", shared.clone()).await.status,
        StatusCode::CONFLICT
    );
    for bad in [
        json!({"scope": "personal", "title": "", "shortcut": "x", "text_en": "a", "text_id": "b"}),
        json!({"scope": "personal", "title": "T", "shortcut": "Not OK", "text_en": "a", "text_id": "b"}),
        json!({"scope": "personal", "title": "T", "shortcut": "ok", "text_en": " ", "text_id": "b"}),
        json!({"scope": "personal", "title": "T", "shortcut": "ok", "text_en": "a"}),
    ] {
        let refused = sari.post("/api/canned-replies", bad.clone()).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{bad}: {:?}", refused.body);
    }
    // A personal one is its owner's alone: others neither see nor change it, not even an admin.
    let mine = sari
        .post(
            "/api/canned-replies",
            json!({"scope": "personal", "title": "My sign-off", "shortcut": "bye",
            "text_en": "Regards, {{agent.name}} {{ticket.kee}}", "text_id": "Salam, {{agent.name}} {{ticket.kee}}"}),
        )
        .await;
    assert_eq!(mine.status, StatusCode::CREATED, "{:?}", mine.body);
    let bye = mine.body["id"].as_i64().unwrap();
    // The same shortcut is free for someone else's personal reply.
    let budis = budi
        .post(
            "/api/canned-replies",
            json!({"scope": "personal", "title": "Bye", "shortcut": "bye",
            "text_en": "Bye", "text_id": "Dah"}),
        )
        .await;
    assert_eq!(budis.status, StatusCode::CREATED);
    for other in [&budi, admin] {
        assert_eq!(
            other.get(&format!("/api/canned-replies/{bye}")).await.status,
            StatusCode::NOT_FOUND
        );
        let patched = other
            .patch(&format!("/api/canned-replies/{bye}"), json!({"title": "Mine now"}))
            .await;
        assert_eq!(patched.status, StatusCode::NOT_FOUND);
        assert_eq!(
            other.delete(&format!("/api/canned-replies/{bye}"), None).await.status,
            StatusCode::NOT_FOUND
        );
    }
    // Agents use shared ones but do not change them.
    let patched = sari
        .patch(&format!("/api/canned-replies/{crew}"), json!({"title": "Mine"}))
        .await;
    assert_eq!(patched.status, StatusCode::FORBIDDEN);
    assert_eq!(
        sari.delete(&format!("/api/canned-replies/{crew}"), None).await.status,
        StatusCode::FORBIDDEN
    );
    let unchanged = sari.get(&format!("/api/canned-replies/{crew}")).await;
    assert_eq!(unchanged.body["title"], "Crew on its way");
    let renamed = sari
        .patch(&format!("/api/canned-replies/{bye}"), json!({"title": "  Sign-off "}))
        .await;
    assert_eq!(
        (renamed.status, renamed.body["title"].clone()),
        (StatusCode::OK, json!("Sign-off"))
    );

    // Search: by title, shortcut or text, case-insensitively; each agent sees the shared ones and their own.
    let titles = |reply: &loket_tests::client::Reply| -> Vec<String> {
        reply
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["title"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        titles(&sari.get("/api/canned-replies").await),
        ["Sign-off", "Crew on its way"]
    );
    assert_eq!(
        titles(&sari.get("/api/canned-replies?q=CREW").await),
        ["Crew on its way"]
    );
    assert_eq!(
        titles(&sari.get("/api/canned-replies?q=menuju").await),
        ["Crew on its way"]
    );
    assert_eq!(
        titles(&sari.get("/api/canned-replies?q=100%25").await),
        Vec::<String>::new()
    );
    assert_eq!(
        titles(&budi.get("/api/canned-replies").await),
        ["Bye", "Crew on its way"]
    );

    // Rendering: in the reporter's language, with the agent's public name.
    let (ana, dewi) = (TgUser::new(1701, "Ana", "en"), TgUser::new(1702, "Dewi", "en"));
    register(&rig, &ana).await;
    register(&rig, &dewi).await;
    let (for_ana, _) = report(tg, &ana, "Broken street light").await;
    let (for_dewi, _) = report(tg, &dewi, "Lampu jalan mati").await;
    tg.send_text(&dewi, "/lang");
    let choice = tg.expect(dewi.id, "language").await;
    tg.press(&dewi, &choice, &choice.button("Bahasa Indonesia"));
    tg.expect(dewi.id, "berbahasa Indonesia").await;
    let render = |id: i64, ticket: TicketId| format!("/api/canned-replies/{id}/render?ticket_id={}", ticket.0);
    let en = sari.get(&render(crew, for_ana)).await;
    assert_eq!(en.status, StatusCode::OK, "{:?}", en.body);
    assert_eq!(
        en.body,
        json!({"language": "en", "unknown": [], "missing": [], "text": format!(
            "Dear Ana, a crew is on its way to fix {} (Broken street light). Petugas Sari", for_ana.key())})
    );
    let id = sari.get(&render(crew, for_dewi)).await;
    assert_eq!(id.body["language"], "id");
    assert_eq!(
        id.body["text"],
        format!(
            "Yth. Dewi, petugas sedang menuju lokasi untuk {} (Lampu jalan mati). Petugas Sari",
            for_dewi.key()
        )
    );
    // Budi has no public name: the desk's. A ticket without a reporter leaves {{reporter.name}} visible.
    let by_budi = budi.get(&render(crew, for_dewi)).await;
    assert!(
        by_budi.body["text"]
            .as_str()
            .unwrap()
            .ends_with("Petugas layanan Loket"),
        "{:?}",
        by_budi.body
    );
    let mut ws = budi.ws().await;
    let walk_in = create_ticket(&mut ws, "Walk-in complaint").await;
    let bare = budi.get(&render(crew, walk_in)).await;
    assert_eq!(bare.body["missing"], json!(["reporter.name"]));
    assert!(
        bare.body["text"]
            .as_str()
            .unwrap()
            .starts_with("Dear {{reporter.name}}, a crew")
    );
    // Unknown placeholders stay and are reported.
    let typo = sari.get(&render(bye, for_ana)).await;
    assert_eq!(typo.body["text"], "Regards, Petugas Sari {{ticket.kee}}");
    assert_eq!(typo.body["unknown"], json!(["ticket.kee"]));
    // Someone else's personal reply cannot be rendered either; nor for a ticket that does not exist.
    assert_eq!(budi.get(&render(bye, for_ana)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        sari.get(&render(crew, TicketId(9999))).await.status,
        StatusCode::NOT_FOUND
    );

    // Deleting: the owner their own, admins the shared ones.
    assert_eq!(
        sari.delete(&format!("/api/canned-replies/{bye}"), None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        admin.delete(&format!("/api/canned-replies/{crew}"), None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(titles(&sari.get("/api/canned-replies").await), Vec::<String>::new());
}

#[actix_rt::test]
async fn typing_two_colons_in_the_composer_inserts_a_rendered_canned_reply() {
    if !browser::available() {
        return;
    }
    let dist = browser::web_dir();
    let server = TestServer::start_with(|config| config.web_dir = Some(dist)).await;
    let admin = server.agent("Ayu", Role::Admin).await;
    admin
        .put("/api/auth/public-name", json!({"public_name": "Petugas Ayu"}))
        .await;
    let closing = admin
        .post(
            "/api/canned-replies",
            json!({"scope": "shared", "title": "Closing", "shortcut": "closing",
            "text_en": "Closing {{ticket.key}}, thank you.", "text_id": "Menutup {{ticket.key}}, terima kasih."}),
        )
        .await;
    assert_eq!(closing.status, reqwest::StatusCode::CREATED, "{:?}", closing.body);
    let mut ws = admin.ws().await;
    let id = create_ticket(&mut ws, "Flooded underpass").await;
    let a = Browser::launch(&server.url(), "ayu-canned").await;
    a.goto("/").await;
    a.sign_in("ayu@example.org", PASSWORD).await;
    // Ayu (an admin) adds a shared one on her account page; a bad shortcut is refused first.
    a.goto("/account").await;
    a.wait_text("[data-testid=canned-form]", "Closing").await;
    a.fill("#canned-title", "Received").await;
    a.fill("#canned-shortcut", "Received!").await;
    a.fill("#canned-en", "We received {{ticket.key}} and are on it. {{agent.name}}")
        .await;
    a.fill("#canned-id", "Laporan {{ticket.key}} sudah kami terima. {{agent.name}}")
        .await;
    a.click("[data-testid=canned-form] input[type=checkbox]").await;
    a.click_button("Add canned reply").await;
    a.wait_text("[data-testid=canned-form] .form-error", "shortcut").await;
    a.fill("#canned-shortcut", "received").await;
    a.click_button("Add canned reply").await;
    a.wait_text("[data-testid=canned-form]", "::received · shared").await;
    a.goto(&format!("/tickets/{}", id.0)).await;
    a.fill("#composer-body", "Hello! ::").await;
    a.wait_for("[data-testid=canned-picker]").await;
    a.fill("#canned-search", "receiv").await;
    a.wait_until("only the matching reply", || async {
        a.client()
            .find_all(fantoccini::Locator::Css("[data-testid=canned-item]"))
            .await
            .map(|items| items.len() == 1)
            .unwrap_or(false)
    })
    .await;
    a.click("[data-testid=canned-item][data-shortcut=received]").await;
    let expected = format!("Hello! We received {} and are on it. Petugas Ayu", id.key());
    a.wait_until("the rendered reply in the composer", || async {
        a.prop("#composer-body", "value").await.as_deref() == Some(expected.as_str())
    })
    .await;
    // The cursor is after the inserted text (in UTF-16 units, as the browser counts; all ASCII here).
    let end = expected.encode_utf16().count() as u64;
    a.wait_until("the cursor after the insert", || async {
        a.client()
            .execute(
                "return document.getElementById('composer-body').selectionStart;",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_u64())
            == Some(end)
    })
    .await;
    assert!(
        a.client()
            .find(fantoccini::Locator::Css("[data-testid=canned-picker]"))
            .await
            .is_err(),
        "the picker closes"
    );
    a.screenshot("canned-inserted").await;
    // It is sent like any reply.
    a.click_button("Send reply").await;
    let sent = ws
        .recv_until("CommentAdded", |m| match m {
            ServerMessage::CommentAdded { comment, .. } => Some(comment.body.clone()),
            _ => None,
        })
        .await;
    assert_eq!(sent, expected);
    a.close().await;
}

#[actix_rt::test]
async fn a_lock_taken_over_rest_answers_its_idle_deadline() {
    let server = TestServer::start_with(|config| config.lock_idle_secs = 120).await;
    let ana = server.agent("Ana", Role::Agent).await;
    let mut a = ana.ws().await;
    let id = create_ticket(&mut a, "Locked by a script").await;
    let grant = ana.post(&format!("/api/tickets/{}/lock", id.0), json!({})).await;
    assert_eq!(grant.status, reqwest::StatusCode::OK, "{:?}", grant.body);
    let idle: Timestamp = serde_json::from_value(grant.body["idle_at"].clone()).expect("idle_at in the answer");
    let (_, stored, _) = lease_row(&server, id, idle).await.expect("a lease row");
    assert_eq!(stored, idle, "the answer tells the deadline on record");
    let left = (idle - chrono::Utc::now()).num_seconds();
    assert!(
        (100..=120).contains(&left),
        "the configured idle time from now: {left} s"
    );
}
