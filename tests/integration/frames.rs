//! Malformed, unknown, binary and oversized frames: a clear error, and the connection survives (or closes with 1009).

use futures_util::SinkExt;
use loket_protocol::ErrorCode;
use loket_protocol::api::Role;
use loket_protocol::ws::ServerMessage;
use loket_tests::TestServer;
use loket_tests::client::WsEnd;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::{assert_quiet, create_ticket};

#[actix_rt::test]
async fn malformed_and_unknown_frames_get_an_error_and_the_connection_stays_usable() {
    let server = TestServer::start().await;
    let ana = server.agent("Ana", Role::Agent).await;
    let mut a = ana.ws().await;

    a.send_text("{not json".into()).await;
    assert!(matches!(
        a.recv().await,
        ServerMessage::Error {
            code: ErrorCode::InvalidRequest,
            request_id: None,
            ..
        }
    ));

    a.send_json(&json!({"type": "Explode", "request_id": "x1"})).await;
    match a.recv().await {
        ServerMessage::Error {
            code: ErrorCode::InvalidRequest,
            request_id: Some(rid),
            message,
            ..
        } => {
            assert_eq!(rid, "x1", "the error answers the request it could read an id from");
            assert!(!message.is_empty());
        }
        other => panic!("{other:?}"),
    }
    a.send_json(&json!({"type": "LockTicket", "ticket_id": "one", "request_id": "x2"}))
        .await;
    assert!(
        matches!(a.recv().await, ServerMessage::Error { code: ErrorCode::InvalidRequest, request_id: Some(r), .. } if r == "x2")
    );
    a.stream.send(Message::Binary(vec![1, 2, 3])).await.unwrap();
    assert!(matches!(
        a.recv().await,
        ServerMessage::Error {
            code: ErrorCode::InvalidRequest,
            ..
        }
    ));

    // Still usable, and each request gets exactly one answer.
    let id = create_ticket(&mut a, "After the noise").await;
    a.recv_until("TicketCreated", |m| {
        matches!(m, ServerMessage::TicketCreated { ticket, .. } if ticket.id == id).then_some(())
    })
    .await;
    assert_quiet(&mut a, id).await;
}

#[actix_rt::test]
async fn an_oversized_frame_closes_the_connection_with_1009() {
    let server = TestServer::start().await;
    let ana = server.agent("Ana", Role::Agent).await;
    let mut a = ana.ws().await;
    let huge = json!({"type": "CreateTicket", "title": "big", "body": "x".repeat(70 * 1024)});
    a.send_json(&huge).await;
    match a.next_message(loket_tests::PATIENCE).await {
        Err(WsEnd::Closed(Some(frame))) => assert_eq!(frame.code, CloseCode::Size),
        other => panic!("expected a close with 1009, got {other:?}"),
    }
    // Nothing was created.
    let tickets = ana.get("/api/tickets").await;
    assert_eq!(tickets.body["total"], 0);
    // Oversized REST bodies are refused too.
    let reply = ana.post("/api/tickets", huge).await;
    assert_eq!(reply.status, reqwest::StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.body["code"], "payload_too_large");
}

#[actix_rt::test]
async fn a_client_that_stops_reading_is_dropped_instead_of_buffered_without_bound() {
    let server = TestServer::start().await;
    let (ana, ben) = (
        server.agent("Ana", Role::Agent).await,
        server.agent("Ben", Role::Agent).await,
    );
    let mut stalled = ana.ws().await;
    // Several writers, each within one session's budget (requests in flight, messages a second).
    let writers_n = 6;
    let (mut writers, mut tickets) = (Vec::new(), Vec::new());
    for i in 0..writers_n {
        let mut writer = ben.ws().await;
        let id = create_ticket(&mut writer, &format!("Chatty {i}")).await;
        writers.push(writer);
        tickets.push(id);
    }
    // While `stalled` reads nothing: first large broadcasts, enough to fill the socket buffers between
    // it and the server, then more small ones (short notes) than its session's mailbox holds.
    let body = "x".repeat(loket_core::domain::validate::MAX_BODY_CHARS);
    // About 7 MiB: more than the socket buffers hold (they grow to a few MiB), and quick enough that the
    // client resumes reading well within the write deadline.
    let large = 350;
    let total = large + loket_web::ws::session::SESSION_MAILBOX + 200;
    let mut sent = 0;
    while sent < total {
        for (writer, id) in writers.iter_mut().zip(&tickets) {
            let mut pending = Vec::new();
            while pending.len() < loket_web::ws::budget::MAX_IN_FLIGHT && sent < total {
                let message = if sent < large {
                    json!({"type": "AddComment", "ticket_id": id.0, "body": body, "internal": true})
                } else {
                    json!({"type": "AddComment", "ticket_id": id.0, "body": "short", "internal": true})
                };
                pending.push(writer.request(message).await);
                sent += 1;
            }
            for request_id in &pending {
                let answer = writer.answer(request_id).await;
                assert!(matches!(answer, ServerMessage::Ack { .. }), "{answer:?}");
            }
            // Keep the writer's own backlog of broadcasts from piling up in the test.
            while let Ok(Some(_)) = writer.next_message(std::time::Duration::ZERO).await {}
        }
    }
    // When it reads again, it finds what was buffered and then a close telling it to reconnect.
    let mut received = 0;
    let code = loop {
        match stalled.next_message(loket_tests::PATIENCE).await {
            Ok(Some(_)) => received += 1,
            Ok(None) => panic!("the stalled session was neither fed nor closed"),
            Err(WsEnd::Closed(Some(frame))) => break frame.code,
            Err(other) => panic!("{other:?}"),
        }
    };
    assert_eq!(code, CloseCode::Again);
    // Each writer's TicketCreated and TicketLocked, and one broadcast per request were published; it
    // missed some.
    assert!(
        received < total + 2 * writers_n,
        "it did not get everything, so it must resynchronise"
    );
    // The writers, which kept reading, were never dropped.
    for writer in &mut writers {
        create_ticket(writer, "Still connected").await;
    }
}
