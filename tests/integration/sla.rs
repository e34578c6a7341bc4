//! Service levels (issue 12, docs/sla.md) against the real server and PostgreSQL: clocks appear on a
//! new ticket by its policy, `SlaWarning` and `SlaBreached` arrive with positions and land in the audit
//! trail and the metrics; a waiting status pauses the clocks and leaving it resumes them; an agent's
//! first public reply meets the first-response promise; the clocks survive a restart; admins alone
//! change policies and calendars, and a bad calendar is refused with nothing stored.

use std::time::Duration;

use loket_protocol::api::Role;
use loket_protocol::sla::{SlaClock, SlaTarget};
use loket_protocol::ticket::Ticket;
use loket_protocol::ws::ServerMessage;
use loket_protocol::{ErrorCode, TicketId};
use loket_tests::{AgentClient, TestServer};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::observability::scrape_until;
use crate::{create_ticket, event_kinds};

/// Long enough for the 2 s sweep to record what fell due, on a loaded machine.
const SWEEP_PATIENCE: Duration = Duration::from_secs(30);

/// Sets the catch-all policy (every queue, every priority, around the clock) as `admin`.
async fn catch_all(admin: &AgentClient, first_response_secs: i64, resolution_secs: i64, warn_share: f64) -> Value {
    let reply = admin
        .put(
            "/api/sla/policies",
            json!({"first_response_secs": first_response_secs, "resolution_secs": resolution_secs, "warn_share": warn_share}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    reply.body
}

/// Ticket `id` as `client` reads it over REST.
async fn ticket(client: &AgentClient, id: TicketId) -> Ticket {
    let detail = client.get(&format!("/api/tickets/{}", id.0)).await;
    assert_eq!(detail.status, StatusCode::OK, "{detail:?}");
    serde_json::from_value(detail.body["ticket"].clone()).expect("a ticket")
}

fn clock(ticket: &Ticket, target: SlaTarget) -> SlaClock {
    ticket
        .sla
        .iter()
        .find(|c| c.target == target)
        .unwrap_or_else(|| panic!("{} has no {target:?} clock: {:?}", ticket.key, ticket.sla))
        .clone()
}

#[actix_rt::test]
async fn a_new_ticket_gets_clocks_and_the_sweep_warns_then_records_the_breach() {
    let server = TestServer::start().await;
    let admin = server.agent("Ada", Role::Admin).await;
    let policy = catch_all(&admin, 2, 3600, 0.5).await;
    assert_eq!(policy["warn_share"], 0.5);
    let mut ws = admin.ws().await;
    let mut watcher = admin.ws().await;

    let id = create_ticket(&mut ws, "Lampu jalan mati").await;
    let created = watcher
        .recv_until("TicketCreated", |m| match m {
            ServerMessage::TicketCreated { ticket, .. } if ticket.id == id => Some(ticket.clone()),
            _ => None,
        })
        .await;
    let first = clock(&created, SlaTarget::FirstResponse);
    assert_eq!(first.target_secs, 2);
    assert!(
        !first.paused && first.met_at.is_none() && first.breached_at.is_none(),
        "{first:?}"
    );
    let due = first.due_at.expect("a running clock has a due time");
    assert!(first.warn_at.expect("and a warning time") < due);
    assert_eq!(clock(&created, SlaTarget::Resolution).target_secs, 3600);

    // The sweep records the warning, then the breach, each once, with positions after the creation's.
    let mut positions = Vec::new();
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let (kind, target, position) = watcher
            .recv_until_within(SWEEP_PATIENCE, "SlaWarning and SlaBreached", |m| match m {
                ServerMessage::SlaWarning {
                    ticket_id,
                    target,
                    position,
                    ..
                } if *ticket_id == id => Some(("warning", *target, *position)),
                ServerMessage::SlaBreached {
                    ticket_id,
                    target,
                    position,
                    at,
                    ..
                } if *ticket_id == id => {
                    assert_eq!(*at, due, "the breach is dated when the promise ran out");
                    Some(("breached", *target, *position))
                }
                _ => None,
            })
            .await;
        assert_eq!(target, SlaTarget::FirstResponse, "only the 2 s promise falls due");
        seen.push(kind);
        positions.push(position);
    }
    assert_eq!(seen, ["warning", "breached"]);
    assert!(positions[0] > 0 && positions[0] < positions[1], "{positions:?}");

    let kinds = event_kinds(&admin, id).await;
    assert_eq!(
        kinds.iter().filter(|k| k.starts_with("sla_")).collect::<Vec<_>>(),
        ["sla_warning", "sla_breached"],
        "{kinds:?}"
    );
    let read = ticket(&admin, id).await;
    let breached = clock(&read, SlaTarget::FirstResponse);
    assert_eq!(breached.breached_at, Some(due));
    assert!(breached.left_secs <= 2);

    let series = "loket_sla_breaches_total{target=\"first_response\"}";
    scrape_until(&server.url(), &admin.token, "the breach counted", |s| {
        s.get(series) >= 1.0
    })
    .await;

    // A later reply meets the clock late: it stays breached, and nothing is recorded twice.
    ws.call(json!({"type": "AddComment", "ticket_id": id.0, "body": "Kami cek hari ini", "internal": false}))
        .await;
    let late = clock(&ticket(&admin, id).await, SlaTarget::FirstResponse);
    assert!(late.met_at.is_some(), "{late:?}");
    assert_eq!(
        late.state(late.met_at.unwrap()),
        loket_protocol::sla::SlaState::Breached
    );
    assert_eq!(late.breached_at, Some(due), "meeting it late keeps the breach");
}

#[actix_rt::test]
async fn waiting_pauses_the_clocks_and_leaving_it_resumes_them() {
    let server = TestServer::start().await;
    let admin = server.agent("Ada", Role::Admin).await;
    catch_all(&admin, 3600, 7200, 0.8).await;
    let mut ws = admin.ws().await;
    let id = create_ticket(&mut ws, "Saluran tersumbat").await;
    let before = ticket(&admin, id).await;

    let update = |status: &str, version: i64| json!({"type": "UpdateTicket", "ticket_id": id.0, "version": version, "changes": {"status": status}});
    ws.call(json!({"type": "LockTicket", "ticket_id": id.0})).await;
    assert!(matches!(
        ws.call(update("open", before.version)).await,
        ServerMessage::Ack { .. }
    ));
    let opened = ticket(&admin, id).await;
    assert!(
        !clock(&opened, SlaTarget::Resolution).paused,
        "open work runs the clocks"
    );
    assert!(matches!(
        ws.call(update("pending", opened.version)).await,
        ServerMessage::Ack { .. }
    ));
    let paused = ticket(&admin, id).await;
    for target in [SlaTarget::FirstResponse, SlaTarget::Resolution] {
        let c = clock(&paused, target);
        assert!(c.paused, "{target:?} pauses while the ticket waits: {c:?}");
        assert!(c.due_at.is_none(), "a paused clock has no due time: {c:?}");
        assert!(
            c.left_secs <= clock(&before, target).target_secs && c.left_secs > 0,
            "{c:?}"
        );
    }

    // Paused, nothing counts down: the time left read twice is the same.
    let again = ticket(&admin, id).await;
    assert_eq!(
        clock(&again, SlaTarget::Resolution).left_secs,
        clock(&paused, SlaTarget::Resolution).left_secs
    );

    assert!(matches!(
        ws.call(update("open", paused.version)).await,
        ServerMessage::Ack { .. }
    ));
    let resumed = ticket(&admin, id).await;
    let c = clock(&resumed, SlaTarget::Resolution);
    assert!(!c.paused, "{c:?}");
    let due = c.due_at.expect("running again, it has a due time");
    assert!(due > clock(&before, SlaTarget::Resolution).due_at.unwrap() - chrono::Duration::seconds(1));

    // Closing (an admin may close from any status) meets the resolution promise.
    assert!(matches!(
        ws.call(update("closed", resumed.version)).await,
        ServerMessage::Ack { .. }
    ));
    let resolved = ticket(&admin, id).await;
    assert!(clock(&resolved, SlaTarget::Resolution).met_at.is_some());
}

#[actix_rt::test]
async fn the_first_public_reply_meets_the_first_response_promise_live_and_after_a_restart() {
    let mut server = TestServer::start().await;
    let admin = server.agent("Ada", Role::Admin).await;
    catch_all(&admin, 3600, 7200, 0.8).await;
    let mut ws = admin.ws().await;
    let id = create_ticket(&mut ws, "Jalan berlubang").await;

    // An internal note is no answer to the reporter.
    ws.call(json!({"type": "AddComment", "ticket_id": id.0, "body": "cek dulu", "internal": true}))
        .await;
    let noted = ticket(&admin, id).await;
    assert!(clock(&noted, SlaTarget::FirstResponse).met_at.is_none());

    let mut watcher = admin.ws().await;
    ws.call(json!({"type": "AddComment", "ticket_id": id.0, "body": "Terima kasih, kami tindak lanjuti", "internal": false}))
        .await;
    let clocks = watcher
        .recv_until("CommentAdded with clocks", |m| match m {
            ServerMessage::CommentAdded { ticket_id, sla, .. } if *ticket_id == id => Some(sla.clone()),
            _ => None,
        })
        .await
        .expect("the first public reply carries the clocks it moved");
    let met = clocks.iter().find(|c| c.target == SlaTarget::FirstResponse).unwrap();
    assert!(met.met_at.is_some() && met.breached_at.is_none(), "{met:?}");
    let resolution = clocks
        .iter()
        .find(|c| c.target == SlaTarget::Resolution)
        .unwrap()
        .clone();
    assert!(resolution.met_at.is_none() && !resolution.paused);

    // A second reply moves nothing.
    ws.call(json!({"type": "AddComment", "ticket_id": id.0, "body": "Sudah dijadwalkan", "internal": false}))
        .await;
    let second = watcher
        .recv_until("the second CommentAdded", |m| match m {
            ServerMessage::CommentAdded { ticket_id, sla, .. } if *ticket_id == id => Some(sla.clone()),
            _ => None,
        })
        .await;
    assert_eq!(second, None);

    let before = ticket(&admin, id).await;
    drop((ws, watcher));
    server.restart().await;
    let after = ticket(&admin, id).await;
    assert_eq!(after.sla, before.sla, "the clocks are stored, not kept in memory");
    assert_eq!(clock(&after, SlaTarget::Resolution).due_at, resolution.due_at);
}

#[actix_rt::test]
async fn admins_alone_set_service_levels_and_bad_ones_are_refused_with_nothing_stored() {
    let server = TestServer::start().await;
    let admin = server.agent("Ada", Role::Admin).await;
    let agent = server.agent("Ana", Role::Agent).await;
    let week = |day: &str| -> Value { json!([[day], [day], [day], [day], [day], [], []]) };
    let calendar =
        json!({"name": "Kantor", "tz": "Asia/Jakarta", "hours": week("08:00-16:00"), "holidays": ["2026-12-25"]});

    let refused = agent.post("/api/sla/calendars", calendar.clone()).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{refused:?}");
    let refused = agent.put("/api/sla/policies", json!({"resolution_secs": 60})).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{refused:?}");

    for (bad, why) in [
        (
            json!({"name": "X", "tz": "Mars/Olympus", "hours": week("08:00-16:00")}),
            "zone",
        ),
        (
            json!({"name": "X", "tz": "Asia/Jakarta", "hours": week("8 to 4")}),
            "hours",
        ),
        (
            json!({"name": "X", "tz": "Asia/Jakarta", "hours": [[], [], [], [], [], [], []]}),
            "never open",
        ),
        (
            json!({"name": "X", "tz": "Asia/Jakarta", "hours": [["08:00-16:00"]]}),
            "seven days",
        ),
    ] {
        let reply = admin.post("/api/sla/calendars", bad).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{why}: {reply:?}");
        assert_eq!(reply.body["code"], json!(ErrorCode::InvalidRequest), "{why}: {reply:?}");
    }
    assert_eq!(
        admin.get("/api/sla/calendars").await.body,
        json!([]),
        "nothing was stored"
    );

    let saved = admin.post("/api/sla/calendars", calendar.clone()).await;
    assert_eq!(saved.status, StatusCode::CREATED, "{saved:?}");
    let calendar_id = saved.body["id"].as_i64().unwrap();
    let taken = admin.post("/api/sla/calendars", calendar).await;
    assert_eq!(taken.status, StatusCode::CONFLICT, "{taken:?}");

    for bad in [
        json!({}),
        json!({"resolution_secs": 0}),
        json!({"resolution_secs": 60, "warn_share": 1.5}),
        json!({"resolution_secs": 60, "calendar_id": 999_999}),
    ] {
        let reply = admin.put("/api/sla/policies", bad.clone()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}: {reply:?}");
    }
    assert_eq!(admin.get("/api/sla/policies").await.body, json!([]));

    let urgent = admin
        .put(
            "/api/sla/policies",
            json!({"priority": "urgent", "calendar_id": calendar_id, "first_response_secs": 1800, "resolution_secs": 28_800}),
        )
        .await;
    assert_eq!(urgent.status, StatusCode::OK, "{urgent:?}");
    // Setting the same queue and priority again replaces it.
    let replaced = admin
        .put(
            "/api/sla/policies",
            json!({"priority": "urgent", "resolution_secs": 14_400}),
        )
        .await;
    assert_eq!(replaced.status, StatusCode::OK);
    assert_eq!(replaced.body["id"], urgent.body["id"]);
    let listed = agent.get("/api/sla/policies").await.body;
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["resolution_secs"], 14_400);

    let audit = admin.get("/api/audit").await.body;
    let actions: Vec<&str> = audit
        .as_array()
        .or_else(|| audit["entries"].as_array())
        .expect("audit entries")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .filter(|a| a.starts_with("sla_"))
        .collect();
    assert_eq!(actions.len(), 3, "one calendar and two policy saves: {actions:?}");

    let id = urgent.body["id"].as_i64().unwrap();
    let gone = admin.delete(&format!("/api/sla/policies/{id}"), None).await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT, "{gone:?}");
    let again = admin.delete(&format!("/api/sla/policies/{id}"), None).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND, "{again:?}");
}
