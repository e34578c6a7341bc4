//! Presence (issue 12): who is viewing a ticket and who is typing a reply there. Two agents on one
//! server see each other view, type (and the typing lapse) and leave, by `Viewing` none or by closing the
//! socket; a session that connects later is told the current set; an agent outside the ticket's queue is
//! refused and told nothing; and across two real instances on one database, a viewer on one is seen on
//! the other, and an instance that dies takes its viewers with it once its announcements expire.

use std::time::{Duration, Instant};

use loket_core::presence::REMOTE_TTL;
use loket_protocol::api::Role;
use loket_protocol::presence::TYPING_LAPSE_MS;
use loket_protocol::ticket::AgentRef;
use loket_protocol::ws::ServerMessage;
use loket_protocol::{AgentId, ErrorCode, QueueId, TicketId};
use loket_tests::{AgentClient, Cluster, TestServer, WsClient};
use serde_json::json;

use crate::create_ticket;

/// The `loket` program the instances run.
const LOKET: &str = env!("CARGO_BIN_EXE_loket-under-test");

/// A ticket's set as a `Presence` tells it: viewers' and typists' ids.
#[derive(Debug, PartialEq, Eq)]
struct Set {
    queue: QueueId,
    viewers: Vec<AgentId>,
    typing: Vec<AgentId>,
}

fn ids(agents: &[AgentRef]) -> Vec<AgentId> {
    agents.iter().map(|a| a.id).collect()
}

fn set_of(message: &ServerMessage, ticket: TicketId) -> Option<Set> {
    match message {
        ServerMessage::Presence {
            ticket_id,
            queue,
            viewers,
            typing,
        } if *ticket_id == ticket => Some(Set {
            queue: *queue,
            viewers: ids(viewers),
            typing: ids(typing),
        }),
        _ => None,
    }
}

/// Waits for a `Presence` of `ticket` whose set is `viewers` and `typing`, within `patience`.
async fn await_set(ws: &mut WsClient, ticket: TicketId, viewers: &[AgentId], typing: &[AgentId], patience: Duration) {
    let what = format!("presence of {ticket:?}: viewers {viewers:?}, typing {typing:?}");
    ws.recv_until_within(patience, &what, |m| {
        set_of(m, ticket).filter(|s| s.viewers == viewers && s.typing == typing)
    })
    .await;
}

const SOON: Duration = Duration::from_secs(10);

/// Sends `Viewing` and answers the set it was told before the Ack.
async fn view(ws: &mut WsClient, ticket: TicketId) -> Set {
    let (before, answer) = ws
        .call_collecting(json!({"type": "Viewing", "ticket_id": ticket.0}))
        .await;
    assert!(
        matches!(answer, ServerMessage::Ack { ticket_id: Some(t), .. } if t == ticket),
        "{answer:?}"
    );
    before
        .iter()
        .rev()
        .find_map(|m| set_of(m, ticket))
        .unwrap_or_else(|| panic!("no Presence before the Viewing's Ack: {before:?}"))
}

async fn queue(admin: &AgentClient, name: &str) -> QueueId {
    let reply = admin.post("/api/queues", json!({"name": name})).await;
    QueueId(reply.body["id"].as_i64().expect("a queue id"))
}

#[actix_rt::test]
async fn two_agents_see_each_other_view_type_and_leave_and_an_outsider_sees_nothing() {
    let server = TestServer::start().await;
    let sari = server.agent("Sari", Role::Admin).await;
    let (budi, ani) = (
        server.agent("Budi", Role::Agent).await,
        server.agent("Ani", Role::Agent).await,
    );
    let parks = queue(&sari, "Taman dan Pohon").await;
    let join = format!("/api/queues/{}/members/{}", parks.0, budi.agent.id.0);
    let joined = sari.put(&join, json!({"manager": false})).await;
    assert!(joined.status.is_success(), "{joined:?}");
    let mut s = sari.ws().await;
    let ticket = create_ticket(&mut s, "Pohon tumbang di taman kota").await;
    s.call(json!({"type": "LockTicket", "ticket_id": ticket.0})).await;
    s.call(json!({"type": "UpdateTicket", "ticket_id": ticket.0, "version": 1, "changes": {"queue_id": parks.0}}))
        .await;
    s.call(json!({"type": "UnlockTicket", "ticket_id": ticket.0})).await;
    let visible = create_ticket(&mut s, "Lampu jalan mati").await;
    let (sari_id, budi_id) = (sari.agent.id, budi.agent.id);
    let mut a = ani.ws().await;
    let mut b = budi.ws().await;

    // Budi opens the ticket: he is told he is there, Sari hears it.
    let first = view(&mut b, ticket).await;
    assert_eq!(
        first,
        Set {
            queue: parks,
            viewers: vec![budi_id],
            typing: vec![]
        }
    );
    await_set(&mut s, ticket, &[budi_id], &[], SOON).await;
    // Sari opens it too: both are listed, by name (Budi before Sari), each once.
    assert_eq!(view(&mut s, ticket).await.viewers, vec![budi_id, sari_id]);
    await_set(&mut b, ticket, &[budi_id, sari_id], &[], SOON).await;
    // A second tab of Budi's counts once; a session that connects now is told the current set at once.
    let mut b2 = budi.ws().await;
    await_set(&mut b2, ticket, &[budi_id, sari_id], &[], SOON).await;
    assert_eq!(view(&mut b2, ticket).await.viewers, vec![budi_id, sari_id]);
    b2.close().await;

    // Budi types: Sari sees it; it lapses about TYPING_LAPSE_MS after the last Typing.
    b.call(json!({"type": "Typing", "ticket_id": ticket.0})).await;
    let typed = Instant::now();
    await_set(&mut s, ticket, &[budi_id, sari_id], &[budi_id], SOON).await;
    await_set(&mut s, ticket, &[budi_id, sari_id], &[], SOON).await;
    let lapse = Duration::from_millis(TYPING_LAPSE_MS);
    assert!(
        typed.elapsed() >= lapse - Duration::from_millis(300),
        "lapsed after {:?}",
        typed.elapsed()
    );
    // Typing on a ticket the session does not view is refused.
    let (code, _) = b.refused(json!({"type": "Typing", "ticket_id": visible.0})).await;
    assert_eq!(code, ErrorCode::InvalidRequest);

    // Budi navigates away: Sari sees him go at once; he comes back, then closes the socket: gone again.
    b.call(json!({"type": "Viewing", "ticket_id": null})).await;
    await_set(&mut s, ticket, &[sari_id], &[], SOON).await;
    view(&mut b, ticket).await;
    await_set(&mut s, ticket, &[budi_id, sari_id], &[], SOON).await;
    b.close().await;
    await_set(&mut s, ticket, &[sari_id], &[], SOON).await;
    s.call(json!({"type": "Viewing"})).await;

    // Ani, outside the parks queue, is refused; an unknown ticket is not found.
    let (code, _) = a.refused(json!({"type": "Viewing", "ticket_id": ticket.0})).await;
    assert_eq!(code, ErrorCode::NotInQueue);
    let (code, _) = a.refused(json!({"type": "Viewing", "ticket_id": 999_999})).await;
    assert_eq!(code, ErrorCode::NotFound);
    let (code, _) = a.refused(json!({"type": "Typing", "ticket_id": ticket.0})).await;
    assert_eq!(code, ErrorCode::InvalidRequest);
    // And she was told nothing of the parks ticket: everything before the Presence of a default-queue
    // ticket Sari opens now (sent by the same presence actor after all of the above) is about others.
    view(&mut s, visible).await;
    let mut before = Vec::new();
    a.recv_until("presence of the visible ticket", |m| {
        if set_of(m, visible).is_some() {
            return Some(());
        }
        before.push(m.clone());
        None
    })
    .await;
    assert!(
        before.iter().all(|m| !matches!(m, ServerMessage::Presence { .. })),
        "{before:?}"
    );
}

#[actix_rt::test]
async fn a_viewer_on_one_instance_is_seen_on_another_until_it_leaves_or_its_instance_dies() {
    let mut cluster = Cluster::start(LOKET, 2, &[]).await;
    let (ana_email, budi_email) = (
        cluster.agent("Ana", Role::Admin).await,
        cluster.agent("Budi", Role::Admin).await,
    );
    let ana = cluster.instances[1].sign_in(&ana_email).await;
    let budi = cluster.instances[0].sign_in(&budi_email).await;
    let (ana_id, budi_id) = (ana.agent.id, budi.agent.id);
    let mut a = ana.ws().await;
    let ticket = create_ticket(&mut a, "Jalan berlubang").await;
    let mut b = budi.ws().await;

    // Budi views on instance 0; Ana, on instance 1, sees him, then his typing, then him leave.
    view(&mut b, ticket).await;
    await_set(&mut a, ticket, &[budi_id], &[], SOON).await;
    b.call(json!({"type": "Typing", "ticket_id": ticket.0})).await;
    await_set(&mut a, ticket, &[budi_id], &[budi_id], SOON).await;
    b.call(json!({"type": "Viewing"})).await;
    await_set(&mut a, ticket, &[], &[], SOON).await;
    // Ana views on instance 1: Budi's instance knows; a session opened there is told at once.
    view(&mut a, ticket).await;
    await_set(&mut b, ticket, &[ana_id], &[], SOON).await;
    let mut b2 = budi.ws().await;
    await_set(&mut b2, ticket, &[ana_id], &[], SOON).await;

    // Budi views again, and his instance dies: Ana sees him go once its announcements expire.
    view(&mut b2, ticket).await;
    await_set(&mut a, ticket, &[ana_id, budi_id], &[], SOON).await;
    cluster.instances[0].kill();
    let killed = Instant::now();
    await_set(&mut a, ticket, &[ana_id], &[], REMOTE_TTL + SOON).await;
    assert!(killed.elapsed() >= REMOTE_TTL / 2, "gone after {:?}", killed.elapsed());
    drop((b, b2));
}
