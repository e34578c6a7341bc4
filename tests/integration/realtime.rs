//! Every committed change reaches every connected agent, whether it came over WebSocket or REST.

use loket_protocol::api::Role;
use loket_protocol::ticket::{Status, UnlockReason};
use loket_protocol::ws::ServerMessage;
use loket_tests::TestServer;
use reqwest::StatusCode;
use serde_json::json;

use crate::create_ticket;

#[actix_rt::test]
async fn two_agents_see_each_others_create_lock_update_comment_and_unlock() {
    let server = TestServer::start().await;
    let (ana, ben) = (
        server.agent("Ana", Role::Agent).await,
        server.agent("Ben", Role::Agent).await,
    );
    let (mut a, mut b) = (ana.ws().await, ben.ws().await);

    let id = create_ticket(&mut a, "Street light out").await;
    let created = b
        .recv_until("TicketCreated", |m| match m {
            ServerMessage::TicketCreated { ticket, .. } => Some(ticket.clone()),
            _ => None,
        })
        .await;
    assert_eq!((created.id, created.key.as_str(), created.version), (id, "TKT-0001", 1));
    assert_eq!(created.status, Status::New);

    a.call(json!({"type": "LockTicket", "ticket_id": id.0})).await;
    let holder = b
        .recv_until("TicketLocked", |m| match m {
            ServerMessage::TicketLocked { ticket_id, holder, .. } if *ticket_id == id => Some(holder.clone()),
            _ => None,
        })
        .await;
    assert_eq!(holder.name, "Ana");

    let ack = a
        .call(json!({"type": "UpdateTicket", "ticket_id": id.0, "version": 1, "changes": {"status": "open", "title": "Street light out on Jl. Merdeka"}}))
        .await;
    assert!(matches!(ack, ServerMessage::Ack { version: Some(2), .. }), "{ack:?}");
    let updated = b
        .recv_until("TicketUpdated", |m| match m {
            ServerMessage::TicketUpdated { ticket, .. } => Some(ticket.clone()),
            _ => None,
        })
        .await;
    assert_eq!((updated.version, updated.status), (2, Status::Open));
    assert_eq!(updated.title, "Street light out on Jl. Merdeka");
    assert_eq!(updated.lock.as_ref().map(|l| l.holder.name.as_str()), Some("Ana"));

    b.call(json!({"type": "AddComment", "ticket_id": id.0, "body": "I can take the next one", "internal": true}))
        .await;
    let comment = a
        .recv_until("CommentAdded", |m| match m {
            ServerMessage::CommentAdded { ticket_id, comment, .. } if *ticket_id == id => Some(comment.clone()),
            _ => None,
        })
        .await;
    assert!(comment.internal);
    assert_eq!(comment.body, "I can take the next one");

    a.call(json!({"type": "UnlockTicket", "ticket_id": id.0})).await;
    let reason = crate::unlocked(&mut b, id).await;
    assert_eq!(reason, UnlockReason::Released);

    // Every step is in the audit trail, in order.
    let kinds = crate::event_kinds(&ana, id).await;
    assert_eq!(
        kinds,
        [
            "created",
            "lock_taken",
            "changed",
            "changed",
            "commented",
            "lock_released"
        ]
    );
}

#[actix_rt::test]
async fn get_tickets_answers_the_sender_only_with_current_locks() {
    let server = TestServer::start().await;
    let (ana, ben) = (
        server.agent("Ana", Role::Agent).await,
        server.agent("Ben", Role::Agent).await,
    );
    let (mut a, mut b) = (ana.ws().await, ben.ws().await);
    let first = create_ticket(&mut a, "First").await;
    let second = create_ticket(&mut a, "Second").await;
    a.call(json!({"type": "LockTicket", "ticket_id": first.0})).await;

    let id = b.request(json!({"type": "GetTickets"})).await;
    let tickets = b
        .recv_until("AllTickets", |m| match m {
            ServerMessage::AllTickets { tickets, .. } => Some(tickets.clone()),
            _ => None,
        })
        .await;
    assert!(matches!(b.answer(&id).await, ServerMessage::Ack { .. }));
    assert_eq!(
        tickets.iter().map(|t| t.id).collect::<Vec<_>>(),
        [second, first],
        "newest first"
    );
    assert_eq!(tickets[1].lock.as_ref().unwrap().holder.name, "Ana");
    assert!(tickets[0].lock.is_none());

    // Nobody else got an AllTickets: everything `a` receives up to the answer to a Ping is checked.
    let ping = a.request(json!({"type": "Ping"})).await;
    a.recv_until("Pong", |m| match m {
        ServerMessage::AllTickets { .. } => panic!("AllTickets went to another session"),
        ServerMessage::Pong { request_id: Some(rid) } if *rid == ping => Some(()),
        _ => None,
    })
    .await;
}

#[actix_rt::test]
async fn rest_and_websocket_changes_see_each_other() {
    let server = TestServer::start().await;
    let (ana, ben) = (
        server.agent("Ana", Role::Agent).await,
        server.agent("Ben", Role::Agent).await,
    );
    let mut a = ana.ws().await;

    // REST create and update are broadcast like WebSocket ones.
    let created = ben
        .post(
            "/api/tickets",
            json!({"title": "Pothole", "body": "Big one", "priority": "high"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let id = created.body["id"].as_i64().unwrap();
    assert_eq!(created.body["key"], "TKT-0001");
    a.recv_until("TicketCreated", |m| {
        matches!(m, ServerMessage::TicketCreated { ticket, .. } if ticket.id.0 == id).then_some(())
    })
    .await;

    let patched = ben
        .patch(
            &format!("/api/tickets/{id}"),
            json!({"version": 1, "changes": {"status": "open"}}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{patched:?}");
    assert_eq!(patched.body["version"], 2);
    a.recv_until("TicketUpdated", |m| {
        matches!(m, ServerMessage::TicketUpdated { ticket, .. } if ticket.version == 2).then_some(())
    })
    .await;

    // A WebSocket lock makes REST changes by others 409 ticket_locked, naming the holder.
    a.call(json!({"type": "LockTicket", "ticket_id": id})).await;
    let refused = ben
        .patch(
            &format!("/api/tickets/{id}"),
            json!({"version": 2, "changes": {"priority": "low"}}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(refused.body["code"], "ticket_locked");
    assert_eq!(refused.body["holder"]["name"], "Ana");
    let listed = ben.get("/api/tickets").await;
    assert_eq!(listed.body["tickets"][0]["lock"]["holder"]["name"], "Ana");
    assert_eq!(listed.body["total"], 1);

    // The lock holder may change it through REST too.
    let own = ana
        .patch(
            &format!("/api/tickets/{id}"),
            json!({"version": 2, "changes": {"priority": "urgent"}}),
        )
        .await;
    assert_eq!(own.status, StatusCode::OK, "{own:?}");
    a.call(json!({"type": "UnlockTicket", "ticket_id": id})).await;

    // A REST lock refuses WebSocket locks by others; a REST comment is broadcast.
    assert_eq!(
        ben.post(&format!("/api/tickets/{id}/lock"), json!({})).await.status,
        StatusCode::OK
    );
    a.recv_until("TicketLocked by Ben", |m| {
        matches!(m, ServerMessage::TicketLocked { holder, .. } if holder.name == "Ben").then_some(())
    })
    .await;
    let (code, _) = a.refused(json!({"type": "LockTicket", "ticket_id": id})).await;
    assert_eq!(code, loket_protocol::ErrorCode::TicketLocked);
    let comment = ben
        .post(
            &format!("/api/tickets/{id}/comments"),
            json!({"body": "On my way", "internal": false}),
        )
        .await;
    assert_eq!(comment.status, StatusCode::CREATED);
    a.recv_until("CommentAdded", |m| {
        matches!(m, ServerMessage::CommentAdded { comment, .. } if comment.body == "On my way").then_some(())
    })
    .await;
    assert_eq!(
        ben.delete(&format!("/api/tickets/{id}/lock"), None).await.status,
        StatusCode::NO_CONTENT
    );
    a.recv_until("TicketUnlocked", |m| {
        matches!(
            m,
            ServerMessage::TicketUnlocked {
                reason: UnlockReason::Released,
                ..
            }
        )
        .then_some(())
    })
    .await;

    let detail = ana.get(&format!("/api/tickets/{id}")).await;
    assert_eq!(detail.body["ticket"]["priority"], "urgent");
    assert_eq!(detail.body["comments"][0]["body"], "On my way");
    assert!(detail.body["ticket"]["lock"].is_null());

    // Filters, search and pages (tests/integration/views.rs has the rest).
    ben.post("/api/tickets", json!({"title": "Graffiti 100% fresh"})).await;
    ben.post("/api/tickets", json!({"title": "Graffiti 1000 fresh"})).await;
    let open = ben.get("/api/tickets?status=open").await;
    assert_eq!(open.body["total"], 1);
    let search = ben.get("/api/tickets?q=graffiti%20100%25").await;
    assert_eq!(search.body["total"], 2, "every word a prefix: 100 finds 1000 too");
    assert_eq!(search.body["terms"], json!(["graffiti", "100"]));
    let mut cursor = String::new();
    let mut seen = Vec::new();
    for _ in 0..3 {
        let paged = ben.get(&format!("/api/tickets?status=any&limit=1{cursor}")).await;
        assert_eq!(paged.body["total"], 3);
        seen.push(paged.body["tickets"][0]["id"].as_i64().unwrap());
        cursor = paged.body["next_cursor"]
            .as_str()
            .map(|c| format!("&cursor={c}"))
            .unwrap_or_default();
    }
    assert_eq!(seen.last(), Some(&id), "the first ticket comes last, newest first");
    assert!(cursor.is_empty(), "the last page has no next cursor");
    assert_eq!(
        ben.get("/api/tickets?status=bogus").await.status,
        StatusCode::BAD_REQUEST
    );
}
