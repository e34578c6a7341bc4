//! Durability: a restart keeps everything; a database outage loses nothing and the server recovers by itself.

use loket_core::db::embedded::{EmbeddedOptions, EmbeddedPostgres};
use loket_protocol::ErrorCode;
use loket_protocol::api::Role;
use loket_protocol::ws::ServerMessage;
use loket_server::config::Config;
use loket_tests::{TestServer, pg};
use reqwest::StatusCode;
use serde_json::json;

use crate::{assert_quiet, create_ticket};

#[actix_rt::test]
async fn a_restart_keeps_every_ticket_comment_and_event() {
    let mut server = TestServer::start().await;
    let ana = server.agent("Ana", Role::Agent).await;
    let (mut a, mut observer) = (ana.ws().await, ana.ws().await);
    let id = create_ticket(&mut a, "Water outage").await;
    a.call(json!({"type": "LockTicket", "ticket_id": id.0})).await;
    a.call(json!({"type": "UpdateTicket", "ticket_id": id.0, "version": 1, "changes": {"status": "open", "priority": "high"}})).await;
    a.call(json!({"type": "AddComment", "ticket_id": id.0, "body": "Crew dispatched", "internal": false}))
        .await;
    let before = ana.get(&format!("/api/tickets/{}", id.0)).await.body;

    a.close().await;
    observer
        .recv_until("TicketUnlocked", |m| {
            matches!(m, ServerMessage::TicketUnlocked { .. }).then_some(())
        })
        .await;
    observer.close().await;

    server.restart().await;
    let after = ana.get(&format!("/api/tickets/{}", id.0)).await;
    assert_eq!(after.status, StatusCode::OK, "the session token survives a restart");
    let after = after.body;
    assert_eq!(after["ticket"]["title"], before["ticket"]["title"]);
    assert_eq!(after["ticket"]["version"], 2);
    assert_eq!(after["ticket"]["status"], "open");
    assert_eq!(after["comments"], before["comments"]);
    let kinds: Vec<&str> = after["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        &kinds[..6],
        [
            "created",
            "lock_taken",
            "changed",
            "changed",
            "commented",
            "lock_disconnected"
        ]
    );
    assert!(after["ticket"]["lock"].is_null());
    // And work continues.
    let mut a = ana.ws().await;
    a.call(json!({"type": "LockTicket", "ticket_id": id.0})).await;
    a.call(json!({"type": "UpdateTicket", "ticket_id": id.0, "version": 2, "changes": {"status": "pending"}}))
        .await;
}

#[actix_rt::test]
async fn a_database_outage_is_an_error_without_broadcast_and_the_server_recovers() {
    loket_tests::init_logging();
    let dir = pg::scratch_dir("outage");
    let options = EmbeddedOptions {
        dir: dir.join("pg"),
        throwaway: true,
    };
    let mut cluster = EmbeddedPostgres::start(options.clone()).unwrap();
    cluster.ensure_database("loket").unwrap();
    let config = Config::for_database(cluster.connection_string("loket"), dir.join("data"));
    let server = TestServer::start_on(config, "127.0.0.1:0".parse().unwrap()).await;
    let (ana, ben) = (
        server.agent("Ana", Role::Agent).await,
        server.agent("Ben", Role::Agent).await,
    );
    let (mut a, mut b) = (ana.ws().await, ben.ws().await);
    let id = create_ticket(&mut a, "Before the outage").await;
    a.call(json!({"type": "LockTicket", "ticket_id": id.0})).await;
    b.recv_until("TicketLocked", |m| {
        matches!(m, ServerMessage::TicketLocked { .. }).then_some(())
    })
    .await;

    cluster.stop();
    let (code, _) = a
        .refused(json!({"type": "UpdateTicket", "ticket_id": id.0, "version": 1, "changes": {"status": "open"}}))
        .await;
    assert_eq!(code, ErrorCode::Unavailable);
    let (code, _) = a
        .refused(json!({"type": "CreateTicket", "title": "During the outage"}))
        .await;
    assert_eq!(code, ErrorCode::Unavailable);
    assert_eq!(ana.get("/readyz").await.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(ana.get("/healthz").await.status, StatusCode::OK);

    let _cluster = EmbeddedPostgres::start(options).unwrap();
    assert_eq!(ana.get("/readyz").await.status, StatusCode::OK);
    // Nothing from the failed attempts was broadcast; the lock survived; the retry commits.
    let ack = a
        .call(json!({"type": "UpdateTicket", "ticket_id": id.0, "version": 1, "changes": {"status": "open"}}))
        .await;
    assert!(matches!(ack, ServerMessage::Ack { version: Some(2), .. }));
    match b.recv().await {
        ServerMessage::TicketUpdated { ticket, .. } => assert_eq!(ticket.version, 2),
        other => panic!("the first thing after the outage must be the committed update, got {other:?}"),
    }
    assert_quiet(&mut b, id).await;
    let tickets = ben.get("/api/tickets").await;
    assert_eq!(tickets.body["total"], 1, "the refused create left nothing behind");
}

#[actix_rt::test]
async fn the_embedded_default_starts_from_an_empty_directory_and_again_on_the_same_one() {
    loket_tests::init_logging();
    let dir = pg::scratch_dir("embedded");
    let mut config = Config::for_database(String::new(), dir.clone());
    config.database_url = None;

    let mut server = TestServer::start_on(config, "127.0.0.1:0".parse().unwrap()).await;
    assert!(
        server.is_embedded(),
        "no DATABASE_URL: a cluster in the empty directory"
    );
    let generated = server.generated_admin.clone().expect("first run makes an admin");
    let admin = loket_tests::AgentClient::login(&server.url(), &generated.email, &generated.password)
        .await
        .unwrap();
    assert_eq!(
        admin.post("/api/tickets", json!({"title": "Survives"})).await.status,
        StatusCode::CREATED
    );

    // Stops the server and its cluster, then starts both again on the same directory.
    server.restart().await;
    assert!(server.is_embedded());
    assert!(server.generated_admin.is_none(), "no second admin");
    let admin = loket_tests::AgentClient::login(&server.url(), &generated.email, &generated.password)
        .await
        .unwrap();
    let tickets = admin.get("/api/tickets").await;
    assert_eq!(tickets.body["tickets"][0]["title"], "Survives");
    server.stop().await;
}
