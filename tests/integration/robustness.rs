//! Robustness: floods and stalled clients stay bounded, database failures get the right answer (including a
//! COMMIT whose outcome is unknown), retries with an idempotency key create once, and text PostgreSQL
//! cannot store is refused as a bad request.

use std::path::Path;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use loket_core::AppError;
use loket_core::actors::bus::SessionCount;
use loket_core::db::embedded::{EmbeddedOptions, EmbeddedPostgres};
use loket_core::error::PgErrorText;
use loket_protocol::api::{IDEMPOTENCY_KEY_HEADER, Role};
use loket_protocol::ticket::UnlockReason;
use loket_protocol::ws::ServerMessage;
use loket_protocol::{ErrorCode, TicketId};
use loket_server::config::Config;
use loket_tests::{PATIENCE, TestServer, WsClient, pg};
use loket_web::ws::budget::MAX_IN_FLIGHT;
use loket_web::ws::session::WRITE_DEADLINE;
use reqwest::StatusCode;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use crate::{assert_quiet, create_ticket};

/// How often a test re-checks a condition it cannot await as an event (server-side counts, PostgreSQL's
/// view of its backends).
const POLL: Duration = Duration::from_millis(20);

/// Waits until `ready` holds, failing the test after `PATIENCE`.
async fn eventually(what: &str, mut ready: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !ready().await {
        assert!(tokio::time::Instant::now() < deadline, "waited {PATIENCE:?} for {what}");
        tokio::time::sleep(POLL).await;
    }
}

async fn sessions(server: &TestServer) -> usize {
    server.desk().bus.send(SessionCount).await.expect("the bus answers")
}

/// The code of an Error frame.
fn code_of(message: &ServerMessage) -> Option<ErrorCode> {
    match message {
        ServerMessage::Error { code, .. } => Some(*code),
        _ => None,
    }
}

#[actix_rt::test]
async fn a_flooding_session_is_rate_limited_leaves_no_actors_behind_and_others_keep_working() {
    const FLOOD: u64 = 50_000;
    let server = TestServer::start().await;
    let (mallory, ben) = (
        server.agent("Mallory", Role::Agent).await,
        server.agent("Ben", Role::Agent).await,
    );
    let mut b = ben.ws().await;
    let id = create_ticket(&mut b, "Real work").await;
    b.call(json!({"type": "LockTicket", "ticket_id": id.0})).await;
    let baseline = server.desk().live_ticket_actors();

    let abuser = mallory.ws().await;
    let (mut sink, mut stream) = abuser.stream.split();
    // LockTicket for 50,000 tickets that do not exist, as fast as the socket takes them.
    let flood = async {
        for i in 0..FLOOD {
            let frame = json!({"type": "LockTicket", "request_id": format!("f{i}"), "ticket_id": 1_000_000_000 + i});
            sink.send(Message::Text(frame.to_string()))
                .await
                .expect("send a flood frame");
        }
    };
    // Every request gets exactly one answer; meanwhile the actors alive stay within the in-flight cap.
    let answers = async {
        let (mut not_found, mut limited, mut peak) = (0u64, 0u64, 0usize);
        while not_found + limited < FLOOD {
            let frame = tokio::time::timeout(PATIENCE, stream.next())
                .await
                .expect("the flood's answers keep coming")
                .expect("the connection stays open")
                .expect("a frame");
            let Message::Text(text) = frame else { continue };
            let message: ServerMessage = serde_json::from_str(&text).expect("a server message");
            match code_of(&message) {
                Some(ErrorCode::NotFound) => not_found += 1,
                Some(ErrorCode::RateLimited) => limited += 1,
                Some(other) => panic!("unexpected answer to the flood: {other:?} {message:?}"),
                None if matches!(message, ServerMessage::Ack { .. }) => {
                    panic!("a flood request succeeded: {message:?}")
                }
                None => {}
            }
            peak = peak.max(server.desk().live_ticket_actors());
        }
        (not_found, limited, peak)
    };
    // Someone else's work goes on throughout.
    let others = async {
        let ack = b
            .call(json!({"type": "UpdateTicket", "ticket_id": id.0, "version": 1, "changes": {"status": "open"}}))
            .await;
        assert!(matches!(ack, ServerMessage::Ack { version: Some(2), .. }), "{ack:?}");
        b.call(json!({"type": "AddComment", "ticket_id": id.0, "body": "Working on it", "internal": false}))
            .await;
        let other = create_ticket(&mut b, "Also real").await;
        b.call(json!({"type": "LockTicket", "ticket_id": other.0})).await;
        b.call(json!({"type": "UnlockTicket", "ticket_id": other.0})).await;
    };
    let ((), (not_found, limited, peak), ()) = tokio::join!(flood, answers, others);
    assert!(limited > 0, "the flood was rate limited");
    assert!(not_found > 0, "requests within the budget were answered");
    assert!(
        peak <= baseline + 1 + MAX_IN_FLIGHT,
        "at most {MAX_IN_FLIGHT} flood requests in flight start actors: peak {peak}, baseline {baseline}"
    );

    // Disconnect: nothing is started for the tickets it only asked about.
    sink.close().await.expect("close");
    while let Some(Ok(_)) = stream.next().await {}
    eventually("the abusive session to end", async || sessions(&server).await == 1).await;
    let after = server.desk().live_ticket_actors();
    assert!(
        after <= baseline + 1,
        "{after} ticket actors alive after the flood (baseline {baseline})"
    );
    // Ben still holds his lock and works on.
    let ack = b
        .call(json!({"type": "UpdateTicket", "ticket_id": id.0, "version": 2, "changes": {"priority": "high"}}))
        .await;
    assert!(matches!(ack, ServerMessage::Ack { version: Some(3), .. }), "{ack:?}");
}

#[actix_rt::test]
async fn requests_past_the_in_flight_cap_are_refused_at_once_and_answered_later_ones_still_work() {
    let server = TestServer::start().await;
    let (ana, ben) = (
        server.agent("Ana", Role::Agent).await,
        server.agent("Ben", Role::Agent).await,
    );
    let (mut a, mut b) = (ana.ws().await, ben.ws().await);
    let busy = create_ticket(&mut a, "Row held elsewhere").await;
    let other = create_ticket(&mut b, "Elsewhere").await;

    // Someone holds the ticket's row: Ana's comments wait for it, so they stay in flight.
    let holder = pg::connect_plain(server.config.database_url.as_deref().unwrap()).await;
    holder
        .batch_execute(&format!(
            "BEGIN; SELECT 1 FROM tickets WHERE id = {} FOR UPDATE",
            busy.0
        ))
        .await
        .unwrap();
    let mut waiting = Vec::new();
    for i in 0..MAX_IN_FLIGHT {
        let body = format!("queued {i}");
        waiting.push(
            a.request(json!({"type": "AddComment", "ticket_id": busy.0, "body": body, "internal": true}))
                .await,
        );
    }
    let (code, _) = a.refused(json!({"type": "GetTickets"})).await;
    assert_eq!(code, ErrorCode::RateLimited);
    // Ping needs nothing from the database and is still answered.
    a.send_json(&json!({"type": "Ping", "request_id": "p"})).await;
    a.recv_until("Pong", |m| matches!(m, ServerMessage::Pong { .. }).then_some(()))
        .await;

    // Everyone else works meanwhile.
    b.call(json!({"type": "LockTicket", "ticket_id": other.0})).await;
    b.call(json!({"type": "UpdateTicket", "ticket_id": other.0, "version": 1, "changes": {"status": "open"}}))
        .await;
    assert_eq!(
        ben.post(
            &format!("/api/tickets/{}/comments", other.0),
            json!({"body": "fine here"})
        )
        .await
        .status,
        StatusCode::CREATED
    );

    holder.batch_execute("ROLLBACK").await.unwrap();
    for rid in waiting {
        assert!(matches!(a.answer(&rid).await, ServerMessage::Ack { .. }));
    }
    a.call(json!({"type": "GetTickets"})).await;
}

#[actix_rt::test]
async fn a_client_that_stops_reading_is_dropped_after_the_write_deadline() {
    // Leases far longer than the deadline: the lock may only end because the connection did.
    let server = TestServer::start_with(|c| c.lock_lease_secs = 600).await;
    let (mallory, ben) = (
        server.agent("Mallory", Role::Agent).await,
        server.agent("Ben", Role::Agent).await,
    );
    let mut b = ben.ws().await;
    let held = create_ticket(&mut b, "Held by a stalled client").await;
    let noisy = create_ticket(&mut b, "Busy conversation").await;
    let mut stalled = mallory.ws_with_receive_buffer(4096).await;
    stalled.call(json!({"type": "LockTicket", "ticket_id": held.0})).await;
    b.recv_until("TicketLocked", |m| {
        matches!(m, ServerMessage::TicketLocked { ticket_id, .. } if *ticket_id == held).then_some(())
    })
    .await;

    // From now on the stalled client reads nothing. Broadcasts worth far more than every buffer between
    // the server and it (socket buffers grow to a few MiB) fill them, and the server can no longer write.
    let body = "x".repeat(19_000);
    for _ in 0..400 {
        b.call(json!({"type": "AddComment", "ticket_id": noisy.0, "body": body, "internal": true}))
            .await;
    }
    let bound = WRITE_DEADLINE + 2 * PATIENCE;
    let deadline = tokio::time::Instant::now() + bound;
    let reason = loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match b.next_message(left).await {
            Ok(Some(ServerMessage::TicketUnlocked { ticket_id, reason, .. })) if ticket_id == held => break reason,
            Ok(Some(_)) => continue,
            Ok(None) => panic!("the stalled client still held its lock after {bound:?}"),
            Err(end) => panic!("the observer's connection ended: {end:?}"),
        }
    };
    assert_eq!(reason, UnlockReason::Disconnected);
    stalled.abandon();
}

#[actix_rt::test]
async fn retries_with_an_idempotency_key_create_once() {
    let server = TestServer::start().await;
    let (ana, ben) = (
        server.agent("Ana", Role::Agent).await,
        server.agent("Ben", Role::Agent).await,
    );
    let mut observer = ben.ws().await;

    // REST: the same POST twice, and twice at once, files one ticket.
    let key = (IDEMPOTENCY_KEY_HEADER, "ticket-1");
    let first = ana.post_with("/api/tickets", json!({"title": "Lamp out"}), key).await;
    assert_eq!(first.status, StatusCode::CREATED, "{first:?}");
    let again = ana.post_with("/api/tickets", json!({"title": "Lamp out"}), key).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.body["id"], first.body["id"]);
    let key2 = (IDEMPOTENCY_KEY_HEADER, "ticket-2");
    let (x, y) = tokio::join!(
        ana.post_with("/api/tickets", json!({"title": "Bench broken"}), key2),
        ana.post_with("/api/tickets", json!({"title": "Bench broken"}), key2),
    );
    assert_eq!((x.status, y.status), (StatusCode::CREATED, StatusCode::CREATED));
    assert_eq!(x.body["id"], y.body["id"], "concurrent retries file one ticket");
    assert_eq!(ana.get("/api/tickets").await.body["total"], 2);
    let id = TicketId(first.body["id"].as_i64().unwrap());

    // Keys are per agent: Ben's "ticket-1" is his own.
    let bens = ben.post_with("/api/tickets", json!({"title": "Ben's"}), key).await;
    assert_eq!(bens.status, StatusCode::CREATED);
    assert_ne!(bens.body["id"], first.body["id"]);

    // Comments, over REST.
    let path = format!("/api/tickets/{}/comments", id.0);
    let ckey = (IDEMPOTENCY_KEY_HEADER, "comment-1");
    let c1 = ana.post_with(&path, json!({"body": "On my way"}), ckey).await;
    assert_eq!(c1.status, StatusCode::CREATED, "{c1:?}");
    let c2 = ana.post_with(&path, json!({"body": "On my way"}), ckey).await;
    assert_eq!(c2.body["id"], c1.body["id"]);
    // A key names one request: using it for another kind, or another ticket, is a conflict.
    let reused = ana.post_with(&path, json!({"body": "x"}), key).await;
    assert_eq!(
        (reused.status, reused.body["code"].as_str()),
        (StatusCode::CONFLICT, Some("conflict"))
    );
    let elsewhere = format!("/api/tickets/{}/comments", bens.body["id"]);
    let reused = ana.post_with(&elsewhere, json!({"body": "x"}), ckey).await;
    assert_eq!(reused.status, StatusCode::CONFLICT);
    let bad = ana
        .post_with(&path, json!({"body": "x"}), (IDEMPOTENCY_KEY_HEADER, ""))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);

    // Over WebSocket.
    let mut a = ana.ws().await;
    let create = json!({"type": "CreateTicket", "title": "Drain blocked", "idempotency_key": "ws-ticket"});
    let (t1, t2) = (a.call(create.clone()).await, a.call(create).await);
    let (
        ServerMessage::Ack {
            ticket_id: Some(t1), ..
        },
        ServerMessage::Ack {
            ticket_id: Some(t2), ..
        },
    ) = (t1, t2)
    else {
        panic!("CreateTicket acks carry the ticket");
    };
    assert_eq!(t1, t2);
    let comment = json!({"type": "AddComment", "ticket_id": t1.0, "body": "Seen", "idempotency_key": "ws-comment"});
    let (m1, m2) = (a.call(comment.clone()).await, a.call(comment).await);
    let (
        ServerMessage::Ack {
            comment_id: Some(m1), ..
        },
        ServerMessage::Ack {
            comment_id: Some(m2), ..
        },
    ) = (m1, m2)
    else {
        panic!("AddComment acks carry the comment");
    };
    assert_eq!(m1, m2);
    let detail = ana.get(&format!("/api/tickets/{}", t1.0)).await;
    assert_eq!(detail.body["comments"].as_array().unwrap().len(), 1);

    // Each thing was broadcast once: in order, nothing twice.
    let mut seen = Vec::new();
    while seen.len() < 6 {
        match observer.recv().await {
            ServerMessage::TicketCreated { ticket, .. } => seen.push(format!("ticket {}", ticket.title)),
            ServerMessage::CommentAdded { comment, .. } => seen.push(format!("comment {}", comment.body)),
            _ => {}
        }
    }
    let expected = [
        "ticket Lamp out",
        "ticket Bench broken",
        "ticket Ben's",
        "comment On my way",
        "ticket Drain blocked",
        "comment Seen",
    ];
    assert_eq!(seen, expected);
    assert_quiet(&mut observer, t1).await;
}

#[actix_rt::test]
async fn a_backend_terminated_by_the_administrator_is_unavailable_not_internal() {
    let server = TestServer::start().await;
    let ana = server.agent("Ana", Role::Agent).await;
    let created = ana.post("/api/tickets", json!({"title": "Printer"})).await;
    let id = created.body["id"].as_i64().unwrap();
    let url = server.config.database_url.clone().unwrap();
    let holder = pg::connect_plain(&url).await;
    holder
        .batch_execute(&format!("BEGIN; SELECT 1 FROM tickets WHERE id = {id} FOR UPDATE"))
        .await
        .unwrap();

    // The update waits for the row; then its backend is told to terminate, as a fast shutdown does to
    // every backend ("terminating connection due to administrator command", SQLSTATE 57P01).
    let watcher = pg::connect_plain(&url).await;
    let terminate = async {
        eventually("the update to wait for the row", async || {
            let rows = watcher
                .query(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                     WHERE datname = current_database() AND wait_event_type = 'Lock'",
                    &[],
                )
                .await
                .unwrap();
            !rows.is_empty()
        })
        .await;
    };
    let change = json!({"version": 1, "changes": {"status": "open"}});
    let path = format!("/api/tickets/{id}");
    let (reply, ()) = tokio::join!(ana.patch(&path, change.clone()), terminate);
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE, "{reply:?}");
    assert_eq!(reply.body["code"], "unavailable");

    holder.batch_execute("ROLLBACK").await.unwrap();
    // The pool may hand out the terminated connection once more before it notices it closed: that request
    // is `unavailable` too, and the next one gets a fresh connection.
    let mut retry = ana.patch(&path, change.clone()).await;
    if retry.status == StatusCode::SERVICE_UNAVAILABLE {
        retry = ana.patch(&path, change).await;
    }
    assert_eq!(
        retry.status,
        StatusCode::OK,
        "nothing was changed, so the retry applies: {retry:?}"
    );
    assert_eq!(retry.body["version"], 2);
}

#[actix_rt::test]
async fn nul_characters_are_invalid_requests_everywhere_text_goes_in() {
    let server = TestServer::start().await;
    let ana = server.agent("Ana", Role::Agent).await;
    for body in [
        json!({"title": "Lamp\u{0}"}),
        json!({"title": "Lamp", "body": "a\u{0}b"}),
    ] {
        let reply = ana.post("/api/tickets", body).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{reply:?}");
        assert_eq!(reply.body["code"], "invalid_request");
    }
    let id = ana.post("/api/tickets", json!({"title": "Lamp"})).await.body["id"].clone();
    let comment = ana
        .post(&format!("/api/tickets/{id}/comments"), json!({"body": "\u{0}"}))
        .await;
    assert_eq!(comment.status, StatusCode::BAD_REQUEST, "{comment:?}");
    let patch = ana
        .patch(
            &format!("/api/tickets/{id}"),
            json!({"version": 1, "changes": {"body": "x\u{0}"}}),
        )
        .await;
    assert_eq!(patch.status, StatusCode::BAD_REQUEST, "{patch:?}");
    // The largest version there is is only stale, not a server fault.
    let stale = ana
        .patch(
            &format!("/api/tickets/{id}"),
            json!({"version": i64::MAX, "changes": {"body": "x"}}),
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{stale:?}");
    let search = ana.get("/api/tickets?q=lamp%00").await;
    assert_eq!(search.status, StatusCode::BAD_REQUEST, "{search:?}");
    assert_eq!(search.body["code"], "invalid_request");
    // Text that reaches PostgreSQL unchecked (a sign-in name) is still not a server fault.
    let login = loket_tests::AgentClient::login(&server.url(), "ana\u{0}@example.org", "whatever")
        .await
        .err()
        .expect("no such sign-in");
    assert!(
        login.status == StatusCode::BAD_REQUEST || login.status == StatusCode::UNAUTHORIZED,
        "{login:?}"
    );

    let mut a = ana.ws().await;
    let (code, _) = a
        .refused(json!({"type": "AddComment", "ticket_id": id, "body": "a\u{0}"}))
        .await;
    assert_eq!(code, ErrorCode::InvalidRequest);
    let (code, _) = a.refused(json!({"type": "CreateTicket", "title": "\u{0}"})).await;
    assert_eq!(code, ErrorCode::InvalidRequest);
    // Nothing was stored, and the connection stays usable.
    assert_eq!(ana.get("/api/tickets").await.body["total"], 1);
    a.call(json!({"type": "GetTickets"})).await;
}

#[actix_rt::test]
async fn database_errors_are_described_with_sqlstate_and_message_and_pool_connections_have_timeouts() {
    let server = TestServer::start().await;
    let client = server.pool.get().await.unwrap();
    let err = client.query_one("SELECT 1 / $1::int", &[&0i32]).await.unwrap_err();
    let text = PgErrorText(&err).to_string();
    assert!(text.starts_with("SQLSTATE 22012 ERROR: division by zero"), "{text}");
    assert!(matches!(AppError::from(err), AppError::Internal));
    let err = client
        .execute("INSERT INTO categories (name) VALUES ('A'), ('A')", &[])
        .await
        .unwrap_err();
    let text = PgErrorText(&err).to_string();
    assert!(text.contains("SQLSTATE 23505") && text.contains("constraint"), "{text}");
    assert!(!text.contains("(A)"), "row values stay out of the log: {text}");
    let err = client.query_one("SELECT $1::text", &[&"a\u{0}b"]).await.unwrap_err();
    assert!(matches!(AppError::from(err), AppError::Invalid(_)));

    let timeout: String = client.query_one("SHOW statement_timeout", &[]).await.unwrap().get(0);
    assert_eq!(timeout, "15s");
    let idle: String = client
        .query_one("SHOW idle_in_transaction_session_timeout", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(idle, "30s");
}

/// Makes every COMMIT wait, after its commit record is written, for a synchronous standby that never
/// comes; returns once new sessions see the setting (so the postmaster has told every backend).
async fn hold_commits(admin_url: &str) {
    let admin = pg::connect_plain(admin_url).await;
    // Separate statements: several in one message would form a transaction, which ALTER SYSTEM refuses.
    admin
        .batch_execute("ALTER SYSTEM SET synchronous_standby_names = 'nobody'")
        .await
        .unwrap();
    admin.batch_execute("SELECT pg_reload_conf()").await.unwrap();
    eventually("the reloaded configuration", async || {
        let fresh = pg::connect_plain(admin_url).await;
        let value: String = fresh
            .query_one("SHOW synchronous_standby_names", &[])
            .await
            .unwrap()
            .get(0);
        value == "nobody"
    })
    .await;
}

/// Waits until a COMMIT is waiting for the standby, then crashes PostgreSQL (immediate shutdown: no
/// checkpoint, backends killed) and starts it again without the standby requirement.
async fn crash_during_commit(
    admin_url: &str,
    data_dir: &Path,
    options: &EmbeddedOptions,
    cluster: &mut EmbeddedPostgres,
) -> EmbeddedPostgres {
    let admin = pg::connect_plain(admin_url).await;
    eventually("a COMMIT waiting for the standby", async || {
        let waiting: i64 = admin
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        waiting > 0
    })
    .await;
    // Written to postgresql.auto.conf now, read by the next start; the waiting COMMIT keeps waiting.
    admin
        .batch_execute("ALTER SYSTEM RESET synchronous_standby_names")
        .await
        .unwrap();
    pg::pg_ctl(data_dir, &["stop", "-m", "immediate", "-w"]);
    // Lets go of the crashed cluster's locks (its stop finds nothing running), so it can be started again.
    cluster.stop();
    EmbeddedPostgres::start(options.clone()).expect("PostgreSQL starts again after the crash")
}

/// The next message on `ws` that is about ticket `id`'s content (not its lock).
async fn next_change(ws: &mut WsClient, id: TicketId) -> ServerMessage {
    ws.recv_until("a change", |m| match m {
        ServerMessage::TicketUpdated { ticket, .. } if ticket.id == id => Some(m.clone()),
        ServerMessage::CommentAdded { ticket_id, .. } if *ticket_id == id => Some(m.clone()),
        _ => None,
    })
    .await
}

#[actix_rt::test]
async fn a_commit_cut_off_by_a_crash_is_outcome_unknown_and_what_committed_is_broadcast_once() {
    loket_tests::init_logging();
    // A cluster of its own: this test crashes it.
    let dir = pg::scratch_dir("in-doubt");
    let options = EmbeddedOptions {
        dir: dir.join("pg"),
        throwaway: true,
    };
    let mut cluster = EmbeddedPostgres::start(options.clone()).unwrap();
    cluster.ensure_database("loket").unwrap();
    let admin_url = cluster.connection_string("postgres");
    let data_dir = dir.join("pg").join("data");
    // Throwaway clusters run with synchronous_commit off; COMMIT waits for a standby only when it is on.
    pg::connect_plain(&admin_url)
        .await
        .batch_execute("ALTER DATABASE loket SET synchronous_commit = on")
        .await
        .unwrap();
    let config = Config::for_database(cluster.connection_string("loket"), dir.join("data"));
    let server = TestServer::start_on(config, "127.0.0.1:0".parse().unwrap()).await;
    let (ana, ben) = (
        server.agent("Ana", Role::Agent).await,
        server.agent("Ben", Role::Agent).await,
    );
    let (mut a, mut b) = (ana.ws().await, ben.ws().await);
    let id = create_ticket(&mut a, "Before the crash").await;
    a.call(json!({"type": "LockTicket", "ticket_id": id.0})).await;

    // An update whose COMMIT is in flight when PostgreSQL dies: committed, but nobody could be told.
    hold_commits(&admin_url).await;
    let update = a
        .request(json!({"type": "UpdateTicket", "ticket_id": id.0, "version": 1, "changes": {"title": "Committed in the crash"}}))
        .await;
    cluster = crash_during_commit(&admin_url, &data_dir, &options, &mut cluster).await;
    assert_eq!(code_of(&a.answer(&update).await), Some(ErrorCode::OutcomeUnknown));
    // Once the database is back, what committed is broadcast, and work goes on from there.
    match next_change(&mut b, id).await {
        ServerMessage::TicketUpdated { ticket, .. } => {
            assert_eq!((ticket.version, ticket.title.as_str()), (2, "Committed in the crash"));
            assert_eq!(
                ticket.lock.map(|l| l.holder.id),
                Some(ana.agent.id),
                "the lock survived"
            );
        }
        other => panic!("expected the committed update, got {other:?}"),
    }
    let ack = a
        .call(json!({"type": "UpdateTicket", "ticket_id": id.0, "version": 2, "changes": {"status": "open"}}))
        .await;
    assert!(matches!(ack, ServerMessage::Ack { version: Some(3), .. }), "{ack:?}");
    match next_change(&mut b, id).await {
        ServerMessage::TicketUpdated { ticket, .. } => assert_eq!(ticket.version, 3, "version 2 was broadcast once"),
        other => panic!("expected version 3, got {other:?}"),
    }

    // A comment cut off the same way; its retry with the same key answers the comment that committed.
    hold_commits(&admin_url).await;
    let comment = json!({"type": "AddComment", "ticket_id": id.0, "body": "Said in the crash", "internal": true, "idempotency_key": "crash-1"});
    let rid = a.request(comment.clone()).await;
    cluster = crash_during_commit(&admin_url, &data_dir, &options, &mut cluster).await;
    assert_eq!(code_of(&a.answer(&rid).await), Some(ErrorCode::OutcomeUnknown));
    let committed = match next_change(&mut b, id).await {
        ServerMessage::CommentAdded { comment, .. } => comment,
        other => panic!("expected the committed comment, got {other:?}"),
    };
    assert_eq!(committed.body, "Said in the crash");
    let retry = a.call(comment).await;
    assert!(
        matches!(retry, ServerMessage::Ack { comment_id: Some(c), .. } if c == committed.id),
        "{retry:?}"
    );
    assert_quiet(&mut b, id).await;
    let detail = ana.get(&format!("/api/tickets/{}", id.0)).await;
    assert_eq!(
        detail.body["comments"].as_array().unwrap().len(),
        2,
        "the comment and the marker"
    );

    // The cluster is this test's own: stop it and remove it.
    server.stop().await;
    cluster.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

/// How many of ticket `id`'s history entries are of `kind`.
async fn history_count(conninfo: &str, id: TicketId, kind: &str) -> i64 {
    pg::connect_plain(conninfo)
        .await
        .query_one(
            "SELECT count(*) FROM ticket_events WHERE ticket_id = $1 AND kind = $2",
            &[&id.0, &kind],
        )
        .await
        .unwrap()
        .get(0)
}

#[actix_rt::test]
async fn a_lock_change_cut_off_by_a_crash_is_outcome_unknown_and_the_lock_follows_its_record() {
    loket_tests::init_logging();
    // A cluster of its own: this test crashes it.
    let dir = pg::scratch_dir("lock-in-doubt");
    let options = EmbeddedOptions {
        dir: dir.join("pg"),
        throwaway: true,
    };
    let mut cluster = EmbeddedPostgres::start(options.clone()).unwrap();
    cluster.ensure_database("loket").unwrap();
    let (admin_url, url) = (
        cluster.connection_string("postgres"),
        cluster.connection_string("loket"),
    );
    let data_dir = dir.join("pg").join("data");
    pg::connect_plain(&admin_url)
        .await
        .batch_execute("ALTER DATABASE loket SET synchronous_commit = on")
        .await
        .unwrap();
    let config = Config::for_database(url.clone(), dir.join("data"));
    let server = TestServer::start_on(config, "127.0.0.1:0".parse().unwrap()).await;
    let (ana, ben) = (
        server.agent("Ana", Role::Agent).await,
        server.agent("Ben", Role::Agent).await,
    );
    let (mut a, mut b) = (ana.ws().await, ben.ws().await);
    let id = create_ticket(&mut a, "Locked in a crash").await;
    let lock = json!({"type": "LockTicket", "ticket_id": id.0});

    // Taking the lock, its record's COMMIT in flight when PostgreSQL dies: on record, so granted once the
    // database is back, and everyone is told.
    hold_commits(&admin_url).await;
    let take = a.request(lock.clone()).await;
    cluster = crash_during_commit(&admin_url, &data_dir, &options, &mut cluster).await;
    assert_eq!(code_of(&a.answer(&take).await), Some(ErrorCode::OutcomeUnknown));
    let holder = b
        .recv_until("TicketLocked", |m| match m {
            ServerMessage::TicketLocked { ticket_id, holder, .. } if *ticket_id == id => Some(holder.clone()),
            _ => None,
        })
        .await;
    assert_eq!(holder.id, ana.agent.id);
    // Ana asking again renews what she holds; Ben cannot have it; the history says it was taken once.
    assert!(matches!(a.call(lock.clone()).await, ServerMessage::Ack { .. }));
    let refused = b.request(lock.clone()).await;
    assert_eq!(code_of(&b.answer(&refused).await), Some(ErrorCode::TicketLocked));
    assert_eq!(history_count(&url, id, "lock_taken").await, 1);

    // Giving it back, cut off the same way: on record, so released, and everyone is told.
    hold_commits(&admin_url).await;
    let release = a.request(json!({"type": "UnlockTicket", "ticket_id": id.0})).await;
    cluster = crash_during_commit(&admin_url, &data_dir, &options, &mut cluster).await;
    assert_eq!(code_of(&a.answer(&release).await), Some(ErrorCode::OutcomeUnknown));
    let reason = b
        .recv_until("TicketUnlocked", |m| match m {
            ServerMessage::TicketUnlocked { ticket_id, reason, .. } if *ticket_id == id => Some(*reason),
            _ => None,
        })
        .await;
    assert_eq!(reason, UnlockReason::Released);
    assert!(
        matches!(b.call(lock).await, ServerMessage::Ack { .. }),
        "the lock is free: Ben takes it"
    );
    assert_eq!(history_count(&url, id, "lock_released").await, 1);
    assert_eq!(history_count(&url, id, "lock_taken").await, 2, "Ana's, then Ben's");

    server.stop().await;
    cluster.stop();
    let _ = std::fs::remove_dir_all(&dir);
}
