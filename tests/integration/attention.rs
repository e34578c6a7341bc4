//! Attention signals (issue 12): per-agent unread markers stored in PostgreSQL. A new ticket is unread for
//! the agents who may see its queue, a reporter's reply (through the fake Bot API) makes it unread again,
//! an assignment only for the assignee; `MarkRead` and `POST /api/tickets/{id}/read` clear it for that
//! agent alone, `TicketRead` reaches only that agent's sessions, an SLA warning recorded by the sweep makes
//! a read ticket unread again, and it all survives a restart.

use loket_protocol::api::Role;
use loket_protocol::ws::ServerMessage;
use loket_protocol::{TicketId, ws::ClientMessage};
use loket_tests::{AgentClient, TgUser, WsClient};
use reqwest::StatusCode;
use serde_json::json;

use crate::assert_quiet;
use crate::bot::{register, report, rig};
use crate::queues::{join, queue};

/// The tickets of `client`'s default board page, and which of them are unread for them, over REST.
async fn board(client: &AgentClient) -> (Vec<TicketId>, Vec<TicketId>) {
    let page = client.get("/api/tickets").await;
    assert_eq!(page.status, StatusCode::OK, "{page:?}");
    let ids = |field: &str, key: Option<&str>| -> Vec<TicketId> {
        page.body[field]
            .as_array()
            .map(|list| {
                list.iter()
                    .map(|v| TicketId(key.map_or(v, |k| &v[k]).as_i64().expect("an id")))
                    .collect()
            })
            .unwrap_or_default()
    };
    (ids("tickets", Some("id")), ids("unread", None))
}

/// Whether ticket `id` is unread for `client`, failing unless it is on their board.
async fn unread(client: &AgentClient, id: TicketId) -> bool {
    let (tickets, unread) = board(client).await;
    assert!(
        tickets.contains(&id),
        "{id} is not on the board of {}",
        client.agent.name
    );
    unread.contains(&id)
}

/// The same over the WebSocket: `AllTickets.unread`.
async fn unread_over_ws(ws: &mut WsClient, id: TicketId) -> bool {
    let (before, ack) = ws.call_collecting(json!({"type": "GetTickets"})).await;
    assert!(matches!(ack, ServerMessage::Ack { .. }), "{ack:?}");
    before
        .iter()
        .find_map(|m| match m {
            ServerMessage::AllTickets { tickets, unread, .. } => {
                assert!(tickets.iter().any(|t| t.id == id), "{id} is not on the page");
                Some(unread.contains(&id))
            }
            _ => None,
        })
        .expect("an AllTickets page")
}

async fn read_over_rest(client: &AgentClient, id: TicketId) -> StatusCode {
    client
        .request(reqwest::Method::POST, &format!("/api/tickets/{}/read", id.0), None)
        .await
        .status
}

async fn file(client: &AgentClient, title: &str) -> TicketId {
    let filed = client
        .post("/api/tickets", json!({"title": title, "body": "details"}))
        .await;
    assert_eq!(filed.status, StatusCode::CREATED, "{filed:?}");
    TicketId(filed.body["id"].as_i64().expect("a ticket id"))
}

#[actix_rt::test]
async fn a_new_ticket_is_unread_for_members_only_and_a_reporters_reply_makes_it_unread_again() {
    let rig = rig().await;
    let budi = rig.server.agent("Budi", Role::Agent).await;
    let citra = rig.server.agent("Citra", Role::Agent).await;
    // Reports go to "Roads" now, which Budi is a member of and Citra is not.
    let roads = queue(&rig.admin, "Jalan dan Jembatan").await;
    let made_default = rig
        .admin
        .patch(&format!("/api/queues/{}", roads.0), json!({"is_default": true}))
        .await;
    assert_eq!(made_default.status, StatusCode::OK, "{made_default:?}");
    join(&rig.admin, roads, &budi).await;

    let ana = TgUser::new(1701, "Ana", "en");
    register(&rig, &ana).await;
    let (id, filed) = report(&rig.tg, &ana, "Flooded underpass").await;
    assert!(unread(&budi, id).await, "new for a member");
    // Connected only now: the membership change's `MembershipChanged` (which reconnects Budi's sessions)
    // has long reached the bus, since a ticket filed after it has been read.
    let mut budi_ws = budi.ws().await;
    assert!(unread_over_ws(&mut budi_ws, id).await, "AllTickets says so too");
    let (citras, _) = board(&citra).await;
    assert!(!citras.contains(&id), "not on an outsider's board");
    assert_eq!(
        read_over_rest(&citra, id).await,
        StatusCode::FORBIDDEN,
        "nor theirs to read"
    );

    assert_eq!(read_over_rest(&budi, id).await, StatusCode::NO_CONTENT);
    assert!(!unread(&budi, id).await, "read once opened");
    assert!(unread(&rig.admin, id).await, "read by Budi only");

    rig.tg.reply(&ana, &filed, "The water is rising");
    budi_ws
        .recv_until("the reporter's reply", |m| match m {
            ServerMessage::CommentAdded { ticket_id, .. } if *ticket_id == id => Some(()),
            _ => None,
        })
        .await;
    assert!(unread(&budi, id).await, "the reply is new for Budi");

    // An agent's own comment calls nobody.
    budi_ws.call(json!({"type": "MarkRead", "ticket_id": id.0})).await;
    budi_ws
        .call(json!({"type": "AddComment", "ticket_id": id.0, "body": "On our way", "internal": false}))
        .await;
    assert!(!unread(&budi, id).await);
}

#[actix_rt::test]
async fn mark_read_clears_it_for_that_agent_and_ticket_read_reaches_only_their_other_sessions() {
    let rig = rig().await;
    let budi = rig.server.agent("Budi", Role::Agent).await;
    let dewi = rig.server.agent("Dewi", Role::Agent).await;
    let id = file(&rig.admin, "Lampu jalan mati").await;
    let (mut tab1, mut tab2, mut dewi_ws) = (budi.ws().await, budi.ws().await, dewi.ws().await);
    assert!(unread(&budi, id).await && unread(&dewi, id).await);

    let message = serde_json::to_value(ClientMessage::MarkRead { ticket_id: id }).unwrap();
    let ack = tab1.call(message.clone()).await;
    assert!(
        matches!(ack, ServerMessage::Ack { ticket_id: Some(t), .. } if t == id),
        "{ack:?}"
    );
    let read = tab2
        .recv_until("TicketRead", |m| match m {
            ServerMessage::TicketRead {
                ticket_id, agent_id, ..
            } => Some((*ticket_id, *agent_id)),
            _ => None,
        })
        .await;
    assert_eq!(read, (id, budi.agent.id));
    assert_quiet(&mut dewi_ws, id).await;
    assert!(!unread(&budi, id).await);
    assert!(unread(&dewi, id).await, "Dewi has not opened it");

    // Marking it again changes nothing and tells nobody.
    tab2.recv_until("Dewi's marker", |m| match m {
        ServerMessage::CommentAdded { comment, .. } if comment.body.starts_with("quiet marker") => Some(()),
        _ => None,
    })
    .await;
    tab1.call(message).await;
    assert_quiet(&mut tab2, id).await;

    // An assignment is new for the assignee only.
    assert_eq!(read_over_rest(&dewi, id).await, StatusCode::NO_CONTENT);
    let mut admin_ws = rig.admin.ws().await;
    admin_ws.call(json!({"type": "LockTicket", "ticket_id": id.0})).await;
    let version = rig.admin.get(&format!("/api/tickets/{}", id.0)).await.body["ticket"]["version"]
        .as_i64()
        .expect("a version");
    admin_ws
        .call(json!({"type": "UpdateTicket", "ticket_id": id.0, "version": version, "changes": {"assignee_id": dewi.agent.id.0}}))
        .await;
    dewi_ws
        .recv_until("the assignment", |m| match m {
            ServerMessage::TicketUpdated { ticket, .. } if ticket.assignee.is_some() => Some(()),
            _ => None,
        })
        .await;
    assert!(unread(&dewi, id).await, "assigned to Dewi");
    assert!(!unread(&budi, id).await, "not Budi's");

    // Taking it himself tells Budi nothing new.
    admin_ws.call(json!({"type": "UnlockTicket", "ticket_id": id.0})).await;
    tab1.call(json!({"type": "LockTicket", "ticket_id": id.0})).await;
    tab1.call(json!({"type": "UpdateTicket", "ticket_id": id.0, "version": version + 1, "changes": {"assignee_id": budi.agent.id.0}}))
        .await;
    let taken = tab1
        .recv_until("Budi's assignment", |m| match m {
            ServerMessage::TicketUpdated { ticket, .. }
                if ticket.assignee.as_ref().map(|a| a.id) == Some(budi.agent.id) =>
            {
                Some(ticket.id)
            }
            _ => None,
        })
        .await;
    assert_eq!(taken, id);
    assert!(!unread(&budi, id).await, "he assigned it to himself");
}

#[actix_rt::test]
async fn unread_markers_survive_a_restart() {
    let mut rig = rig().await;
    let budi = rig.server.agent("Budi", Role::Agent).await;
    let (first, second) = (
        file(&rig.admin, "Pohon tumbang").await,
        file(&rig.admin, "Got mampet").await,
    );
    assert_eq!(read_over_rest(&budi, first).await, StatusCode::NO_CONTENT);

    rig.server.restart().await;

    assert!(!unread(&budi, first).await, "read before the restart");
    assert!(unread(&budi, second).await, "still unread after it");
    let mut ws = budi.ws().await;
    assert!(unread_over_ws(&mut ws, second).await);
}

#[actix_rt::test]
async fn an_sla_warning_makes_a_read_ticket_unread_again() {
    let rig = rig().await;
    let budi = rig.server.agent("Budi", Role::Agent).await;
    // A catch-all promise of a first reply within 6 s, around the clock, warned at 10 %: the sweep (every
    // 2 s) records the warning by 2.6 s and the breach from 6 s on, never both in one round.
    rig.server
        .pool
        .get()
        .await
        .unwrap()
        .execute(
            "INSERT INTO sla_policies (first_response_secs, warn_share) VALUES (6, 0.1)",
            &[],
        )
        .await
        .expect("an SLA policy");
    let mut ws = budi.ws().await;
    let id = file(&rig.admin, "Lampu jalan mati").await;
    assert_eq!(read_over_rest(&budi, id).await, StatusCode::NO_CONTENT);
    assert!(!unread(&budi, id).await);

    ws.recv_until("SlaWarning", |m| match m {
        ServerMessage::SlaWarning { ticket_id, .. } if *ticket_id == id => Some(()),
        _ => None,
    })
    .await;
    assert!(unread(&budi, id).await, "the warning is new for Budi");
    assert_eq!(read_over_rest(&budi, id).await, StatusCode::NO_CONTENT);
    ws.recv_until("SlaBreached", |m| match m {
        ServerMessage::SlaBreached { ticket_id, .. } if *ticket_id == id => Some(()),
        _ => None,
    })
    .await;
    assert!(unread(&budi, id).await, "so is the breach");
}
