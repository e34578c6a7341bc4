//! Refused changes: stale versions, non-holders, invalid transitions and unknown tickets change nothing.

use loket_protocol::ErrorCode;
use loket_protocol::api::Role;
use loket_protocol::ws::ServerMessage;
use loket_tests::TestServer;
use reqwest::StatusCode;
use serde_json::json;

use crate::{assert_quiet, create_ticket};

#[actix_rt::test]
async fn stale_versions_non_holders_and_invalid_transitions_are_refused_and_change_nothing() {
    let server = TestServer::start().await;
    let (ana, ben) = (
        server.agent("Ana", Role::Agent).await,
        server.agent("Ben", Role::Agent).await,
    );
    let (mut a, mut b) = (ana.ws().await, ben.ws().await);
    let id = create_ticket(&mut a, "Noise complaint").await;
    a.call(json!({"type": "LockTicket", "ticket_id": id.0})).await;
    a.call(json!({"type": "UpdateTicket", "ticket_id": id.0, "version": 1, "changes": {"title": "Noise complaint, block C"}})).await;
    let drain = |m: &ServerMessage| {
        matches!(m, ServerMessage::TicketUpdated { ticket, .. } if ticket.version == 2).then_some(())
    };
    b.recv_until("TicketUpdated v2", drain).await;

    // Stale: based on version 1, now at 2. The error carries the current ticket.
    let (code, error) = a
        .refused(json!({"type": "UpdateTicket", "ticket_id": id.0, "version": 1, "changes": {"title": "Overwritten"}}))
        .await;
    assert_eq!(code, ErrorCode::VersionConflict);
    match error {
        ServerMessage::Error {
            ticket: Some(current), ..
        } => {
            assert_eq!(current.version, 2);
            assert_eq!(current.title, "Noise complaint, block C");
            assert_eq!(current.lock.map(|l| l.holder.name), Some("Ana".into()));
        }
        other => panic!("version_conflict without the current ticket: {other:?}"),
    }

    // Not the holder.
    let (code, _) = b
        .refused(json!({"type": "UpdateTicket", "ticket_id": id.0, "version": 2, "changes": {"priority": "low"}}))
        .await;
    assert_eq!(code, ErrorCode::NotLockHolder);

    // new → resolved skips the lifecycle.
    let (code, _) = a
        .refused(json!({"type": "UpdateTicket", "ticket_id": id.0, "version": 2, "changes": {"status": "resolved"}}))
        .await;
    assert_eq!(code, ErrorCode::InvalidTransition);

    // Bad values.
    let (code, _) = a
        .refused(json!({"type": "UpdateTicket", "ticket_id": id.0, "version": 2, "changes": {"assignee_id": 999}}))
        .await;
    assert_eq!(code, ErrorCode::InvalidRequest);
    let (code, _) = a
        .refused(json!({"type": "UpdateTicket", "ticket_id": id.0, "version": 2, "changes": {"title": ""}}))
        .await;
    assert_eq!(code, ErrorCode::InvalidRequest);
    let (code, _) = a
        .refused(json!({"type": "UpdateTicket", "ticket_id": id.0, "version": 2, "changes": {}}))
        .await;
    assert_eq!(code, ErrorCode::InvalidRequest);

    // Nothing was broadcast and nothing changed.
    assert_quiet(&mut b, id).await;
    let detail = ben.get(&format!("/api/tickets/{}", id.0)).await;
    assert_eq!(detail.body["ticket"]["version"], 2);
    assert_eq!(detail.body["ticket"]["title"], "Noise complaint, block C");
    assert_eq!(detail.body["ticket"]["status"], "new");
    assert_eq!(detail.body["ticket"]["priority"], "normal");
    assert_eq!(
        detail.body["events"].as_array().unwrap().len(),
        4,
        "created, lock_taken, one change, and the quiet marker's comment"
    );

    // REST: stale version is 409 with the current ticket; an invalid transition is 422.
    a.call(json!({"type": "UnlockTicket", "ticket_id": id.0})).await;
    let stale = ben
        .patch(
            &format!("/api/tickets/{}", id.0),
            json!({"version": 1, "changes": {"status": "open"}}),
        )
        .await;
    assert_eq!(
        (stale.status, stale.body["code"].as_str()),
        (StatusCode::CONFLICT, Some("version_conflict"))
    );
    assert_eq!(stale.body["ticket"]["version"], 2);
    let skip = ben
        .patch(
            &format!("/api/tickets/{}", id.0),
            json!({"version": 2, "changes": {"status": "closed"}}),
        )
        .await;
    assert_eq!(
        (skip.status, skip.body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_transition"))
    );
    let root = server.agent("Root", Role::Admin).await;
    let closed = root
        .patch(
            &format!("/api/tickets/{}", id.0),
            json!({"version": 2, "changes": {"status": "closed"}}),
        )
        .await;
    assert_eq!(closed.status, StatusCode::OK, "admins may close from any status");
}

#[actix_rt::test]
async fn unknown_tickets_are_not_found() {
    let server = TestServer::start().await;
    let ana = server.agent("Ana", Role::Agent).await;
    let mut a = ana.ws().await;
    for message in [
        json!({"type": "LockTicket", "ticket_id": 4242}),
        json!({"type": "UpdateTicket", "ticket_id": 4242, "version": 1, "changes": {"status": "open"}}),
        json!({"type": "AddComment", "ticket_id": 4242, "body": "hello"}),
    ] {
        let (code, _) = a.refused(message.clone()).await;
        // Updates read the ticket's row first, then its lease: there is no ticket to hold.
        assert_eq!(code, ErrorCode::NotFound, "{message}");
    }
    assert_eq!(ana.get("/api/tickets/4242").await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        ana.patch(
            "/api/tickets/4242",
            json!({"version": 1, "changes": {"status": "open"}})
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(ana.get("/api/tickets/4242/events").await.status, StatusCode::NOT_FOUND);
    assert_eq!(ana.get("/api/nope").await.body["code"], "not_found");
    assert_eq!(ana.get("/api/tickets/abc").await.status, StatusCode::BAD_REQUEST);
}
