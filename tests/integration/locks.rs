//! Leases: one holder at a time, released on close or silence, broken by admins, renewed by the holder.

use std::time::Duration;

use futures_util::future::join_all;
use loket_protocol::ErrorCode;
use loket_protocol::api::Role;
use loket_protocol::ticket::UnlockReason;
use loket_protocol::ws::ServerMessage;
use loket_tests::TestServer;
use reqwest::StatusCode;
use serde_json::json;

use crate::create_ticket;

#[actix_rt::test]
async fn twenty_sessions_racing_for_one_lock_yield_exactly_one_holder() {
    let server = TestServer::start().await;
    let mut agents = Vec::new();
    for name in ["Ana", "Ben", "Cy", "Dee", "Eve"] {
        agents.push(server.agent(name, Role::Agent).await);
    }
    let mut sessions = Vec::new();
    for i in 0..20 {
        sessions.push(agents[i % agents.len()].ws().await);
    }
    let mut watcher = agents[0].ws().await;
    let id = create_ticket(&mut watcher, "Contended").await;

    // Everyone sends before anyone reads.
    let mut request_ids = Vec::new();
    for ws in sessions.iter_mut() {
        request_ids.push(ws.request(json!({"type": "LockTicket", "ticket_id": id.0})).await);
    }
    let answers = join_all(sessions.iter_mut().zip(&request_ids).map(|(ws, rid)| ws.answer(rid))).await;
    let granted = answers
        .iter()
        .filter(|a| matches!(a, ServerMessage::Ack { .. }))
        .count();
    let refused = answers
        .iter()
        .filter(|a| {
            matches!(
                a,
                ServerMessage::Error {
                    code: ErrorCode::TicketLocked,
                    holder: Some(_),
                    ..
                }
            )
        })
        .count();
    assert_eq!((granted, refused), (1, 19), "{answers:?}");

    // Observers see exactly one TicketLocked.
    watcher
        .recv_until("TicketLocked", |m| {
            matches!(m, ServerMessage::TicketLocked { .. }).then_some(())
        })
        .await;
    let id2 = create_ticket(&mut watcher, "Marker").await;
    let mut extra_locks = 0;
    loop {
        match watcher.recv().await {
            ServerMessage::TicketLocked { .. } => extra_locks += 1,
            ServerMessage::TicketCreated { ticket, .. } if ticket.id == id2 => break,
            _ => {}
        }
    }
    assert_eq!(extra_locks, 0);
    let taken: i64 = server
        .pool
        .get()
        .await
        .unwrap()
        .query_one(
            "SELECT count(*) FROM ticket_events WHERE ticket_id = $1 AND kind = 'lock_taken'",
            &[&id.0],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(taken, 1);
}

#[actix_rt::test]
async fn closing_the_holders_socket_releases_the_lock_and_tells_everyone() {
    let server = TestServer::start().await;
    let (ana, ben) = (
        server.agent("Ana", Role::Agent).await,
        server.agent("Ben", Role::Agent).await,
    );
    let (mut a, mut b) = (ana.ws().await, ben.ws().await);
    let id = create_ticket(&mut a, "Leaky roof").await;
    a.call(json!({"type": "LockTicket", "ticket_id": id.0})).await;
    let (code, _) = b.refused(json!({"type": "LockTicket", "ticket_id": id.0})).await;
    assert_eq!(code, ErrorCode::TicketLocked);

    a.close().await;
    let reason = crate::unlocked(&mut b, id).await;
    assert_eq!(reason, UnlockReason::Disconnected);
    b.call(json!({"type": "LockTicket", "ticket_id": id.0})).await;
    let kinds = crate::event_kinds(&ben, id).await;
    assert_eq!(kinds, ["created", "lock_taken", "lock_disconnected", "lock_taken"]);
}

#[actix_rt::test]
async fn a_silent_client_loses_its_lock_within_thirty_seconds() {
    let server = TestServer::start().await;
    let (ana, ben) = (
        server.agent("Ana", Role::Agent).await,
        server.agent("Ben", Role::Agent).await,
    );
    let (mut a, mut b) = (ana.ws().await, ben.ws().await);
    let id = create_ticket(&mut a, "Silent").await;
    a.call(json!({"type": "LockTicket", "ticket_id": id.0})).await;
    // From now on `a` is never read again, so it never answers the server's pings: a silent drop
    // (the TCP connection stays open, as when a laptop sleeps or a network path dies).
    let started = std::time::Instant::now();
    let reason = loop {
        match b.next_message(Duration::from_secs(30)).await {
            Ok(Some(ServerMessage::TicketUnlocked { ticket_id, reason, .. })) if ticket_id == id => break reason,
            Ok(Some(_)) => continue,
            Ok(None) => panic!("the silent holder kept the lock for 30 s"),
            Err(end) => panic!("observer connection ended: {end:?}"),
        }
    };
    assert_eq!(reason, UnlockReason::Disconnected);
    assert!(started.elapsed() < Duration::from_secs(30));
    drop(a);
}

#[actix_rt::test]
async fn admins_break_locks_with_a_reason_and_agents_cannot() {
    let server = TestServer::start().await;
    let (ana, ben, root) = (
        server.agent("Ana", Role::Agent).await,
        server.agent("Ben", Role::Agent).await,
        server.agent("Root", Role::Admin).await,
    );
    let (mut a, mut b, mut r) = (ana.ws().await, ben.ws().await, root.ws().await);
    let id = create_ticket(&mut a, "Stuck").await;
    a.call(json!({"type": "LockTicket", "ticket_id": id.0})).await;

    let (code, _) = b
        .refused(json!({"type": "BreakLock", "ticket_id": id.0, "reason": "mine now"}))
        .await;
    assert_eq!(code, ErrorCode::Forbidden);
    let rest = ben
        .delete(&format!("/api/tickets/{}/lock", id.0), Some(json!({"reason": "mine"})))
        .await;
    assert_eq!(rest.status, StatusCode::FORBIDDEN);
    let no_reason = root.delete(&format!("/api/tickets/{}/lock", id.0), None).await;
    assert_eq!(no_reason.status, StatusCode::BAD_REQUEST);
    let (code, _) = r
        .refused(json!({"type": "BreakLock", "ticket_id": id.0, "reason": "  "}))
        .await;
    assert_eq!(code, ErrorCode::InvalidRequest);

    r.call(json!({"type": "BreakLock", "ticket_id": id.0, "reason": "Ana is on leave"}))
        .await;
    let (by, message) = a
        .recv_until("TicketUnlocked broken", |m| match m {
            ServerMessage::TicketUnlocked {
                reason: UnlockReason::Broken,
                by,
                message,
                ..
            } => Some((by.clone(), message.clone())),
            _ => None,
        })
        .await;
    assert_eq!(by.map(|b| b.name), Some("Root".into()));
    assert_eq!(message.as_deref(), Some("Ana is on leave"));
    // The former holder can no longer write.
    let (code, _) = a
        .refused(json!({"type": "UpdateTicket", "ticket_id": id.0, "version": 1, "changes": {"status": "open"}}))
        .await;
    assert_eq!(code, ErrorCode::NotLockHolder);

    // Over REST too, and it is all on record with the reason.
    b.call(json!({"type": "LockTicket", "ticket_id": id.0})).await;
    let broken = root
        .delete(
            &format!("/api/tickets/{}/lock", id.0),
            Some(json!({"reason": "shift over"})),
        )
        .await;
    assert_eq!(broken.status, StatusCode::NO_CONTENT);
    let events = root.get(&format!("/api/tickets/{}/events", id.0)).await;
    let reasons: Vec<&str> = events
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "lock_broken")
        .map(|e| e["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["Ana is on leave", "shift over"]);
}

#[actix_rt::test]
async fn locking_again_renews_and_another_session_of_the_same_agent_is_refused() {
    let server = TestServer::start().await;
    let ana = server.agent("Ana", Role::Agent).await;
    let (mut first, mut second) = (ana.ws().await, ana.ws().await);
    let id = create_ticket(&mut first, "Renew me").await;
    let expiry = |ack: ServerMessage| match ack {
        ServerMessage::Ack {
            expires_at: Some(at), ..
        } => at,
        other => panic!("lock Ack without expires_at: {other:?}"),
    };
    let one = expiry(first.call(json!({"type": "LockTicket", "ticket_id": id.0})).await);
    let two = expiry(first.call(json!({"type": "LockTicket", "ticket_id": id.0})).await);
    assert!(two >= one);
    let (code, error) = second.refused(json!({"type": "LockTicket", "ticket_id": id.0})).await;
    assert_eq!(code, ErrorCode::TicketLocked);
    assert!(matches!(error, ServerMessage::Error { holder: Some(h), .. } if h.name == "Ana"));
    let (code, _) = second.refused(json!({"type": "UnlockTicket", "ticket_id": id.0})).await;
    assert_eq!(code, ErrorCode::TicketLocked);
    let events = ana.get(&format!("/api/tickets/{}/events", id.0)).await;
    assert_eq!(
        events
            .body
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "lock_taken")
            .count(),
        1,
        "renewals are not new locks"
    );
}

#[actix_rt::test]
async fn a_lock_that_is_not_renewed_expires_and_everyone_is_told() {
    let server = TestServer::start_with(|config| config.rest_lock_secs = 1).await;
    let (ana, ben) = (
        server.agent("Ana", Role::Agent).await,
        server.agent("Ben", Role::Agent).await,
    );
    let mut b = ben.ws().await;
    let id = create_ticket(&mut b, "Short lease").await;
    // A REST lock is renewed only by taking it again; this one is left to run out.
    assert_eq!(
        ana.post(&format!("/api/tickets/{}/lock", id.0), json!({})).await.status,
        StatusCode::OK
    );
    let reason = crate::unlocked(&mut b, id).await;
    assert_eq!(reason, UnlockReason::Expired);
    b.call(json!({"type": "LockTicket", "ticket_id": id.0})).await;
    let kinds = crate::event_kinds(&ben, id).await;
    assert_eq!(kinds, ["created", "lock_taken", "lock_expired", "lock_taken"]);
    let events = ben.get(&format!("/api/tickets/{}/events", id.0)).await;
    assert_eq!(
        events.body[2]["actor"]["kind"], "system",
        "an expiry is Loket's doing, not an agent's"
    );
}

#[actix_rt::test]
async fn over_a_restart_session_locks_end_once_and_rest_locks_stay_on_record() {
    let mut server = TestServer::start().await;
    let ana = server.agent("Ana", Role::Agent).await;
    let created = ana.post("/api/tickets", json!({"title": "Held over REST"})).await;
    let rest_id = created.body["id"].as_i64().unwrap();
    assert_eq!(
        ana.post(&format!("/api/tickets/{rest_id}/lock"), json!({}))
            .await
            .status,
        StatusCode::OK
    );
    let mut ws = ana.ws().await;
    let session_id = create_ticket(&mut ws, "Held by a session").await;
    assert!(matches!(
        ws.call(json!({"type": "LockTicket", "ticket_id": session_id.0})).await,
        ServerMessage::Ack { .. }
    ));
    server.restart().await;
    // A session's lease ends with its process; a REST lease is a row that belongs to no process.
    let detail = ana.get(&format!("/api/tickets/{}", session_id.0)).await;
    assert!(detail.body["ticket"]["lock"].is_null(), "{:?}", detail.body);
    let last = detail.body["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["kind"], "lock_disconnected");
    let held = ana.get(&format!("/api/tickets/{rest_id}")).await;
    assert_eq!(held.body["ticket"]["lock"]["holder"]["name"], "Ana", "{:?}", held.body);
    // Only once: another restart adds nothing.
    let before = ana.get(&format!("/api/tickets/{}/events", session_id.0)).await;
    server.restart().await;
    let again = ana.get(&format!("/api/tickets/{}/events", session_id.0)).await;
    assert_eq!(again.body, before.body);
}
