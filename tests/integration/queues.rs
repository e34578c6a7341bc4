//! Queues (issue 11): the default queue of an upgraded desk, creating queues and choosing the default,
//! a category picking the queue of bot-filed and agent-filed tickets, access refused on every path with
//! nothing changed, event fan-out by queue, moving a ticket (versioned, audited, seen by both queues),
//! membership changes reaching open sessions, and the "My queues", "Mine" and "Unassigned" views.

use loket_protocol::api::{NewTicket, Role};
use loket_protocol::queue::Queue;
use loket_protocol::ws::ServerMessage;
use loket_protocol::{CategoryId, ErrorCode, QueueId, TicketId};
use loket_tests::{AgentClient, TestServer, WsClient};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::bot::desk_reporter;
use crate::{assert_quiet, create_ticket, event_kinds};

/// Creates a queue as `admin` and returns its id.
pub(crate) async fn queue(admin: &AgentClient, name: &str) -> QueueId {
    let reply = admin
        .post("/api/queues", json!({"name": name, "description": "Laporan warga"}))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    QueueId(reply.body["id"].as_i64().expect("a queue id"))
}

/// Makes `agent` a plain member of `queue`.
pub(crate) async fn join(admin: &AgentClient, queue: QueueId, agent: &AgentClient) {
    let path = format!("/api/queues/{}/members/{}", queue.0, agent.agent.id.0);
    let reply = admin.put(&path, json!({"manager": false})).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
}

/// Takes `agent` out of `queue`.
async fn leave(admin: &AgentClient, queue: QueueId, agent: &AgentClient) {
    let path = format!("/api/queues/{}/members/{}", queue.0, agent.agent.id.0);
    let reply = admin.delete(&path, None).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
}

/// The queue ticket `id` is in, as `client` reads it over REST.
async fn queue_of(client: &AgentClient, id: TicketId) -> QueueId {
    let detail = client.get(&format!("/api/tickets/{}", id.0)).await;
    assert_eq!(detail.status, StatusCode::OK, "{detail:?}");
    QueueId(detail.body["ticket"]["queue"].as_i64().expect("a queue on the ticket"))
}

/// Locks and moves ticket `id` (at `version`) to `to` over `ws`; answers the Ack or Error.
async fn move_to(ws: &mut WsClient, id: TicketId, version: i64, to: QueueId) -> ServerMessage {
    ws.call(json!({"type": "LockTicket", "ticket_id": id.0})).await;
    let rid = ws
        .request(json!({"type": "UpdateTicket", "ticket_id": id.0, "version": version, "changes": {"queue_id": to.0}}))
        .await;
    ws.answer(&rid).await
}

/// The ids of one page of `view` over REST, in order.
async fn ids(client: &AgentClient, query: &str) -> Vec<i64> {
    let page = client.get(&format!("/api/tickets?{query}")).await;
    assert_eq!(page.status, StatusCode::OK, "{page:?}");
    page.body["tickets"]
        .as_array()
        .expect("tickets")
        .iter()
        .map(|t| t["id"].as_i64().expect("an id"))
        .collect()
}

fn code(reply: &loket_tests::client::Reply) -> &str {
    reply.body["code"].as_str().unwrap_or("")
}

#[actix_rt::test]
async fn an_upgraded_desk_has_one_default_queue_with_everyone_and_admins_create_queues() {
    let server = TestServer::start().await;
    let sari = server.agent("Sari", Role::Admin).await;
    let budi = server.agent("Budi", Role::Agent).await;
    let listed: Vec<Queue> = serde_json::from_value(budi.get("/api/queues").await.body).unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    let general = &listed[0];
    assert_eq!((general.id, general.is_default), (QueueId::ORIGINAL, true));
    let members: Vec<_> = general.members.iter().map(|m| m.agent.id).collect();
    assert!(
        members.contains(&sari.agent.id) && members.contains(&budi.agent.id),
        "{members:?}"
    );

    // Only admins create queues; names are unique regardless of case.
    let refused = budi.post("/api/queues", json!({"name": "Jalan dan Jembatan"})).await;
    assert_eq!((refused.status, code(&refused)), (StatusCode::FORBIDDEN, "forbidden"));
    let roads = queue(&sari, "Jalan dan Jembatan").await;
    let twice = sari.post("/api/queues", json!({"name": "jalan dan jembatan"})).await;
    assert_eq!(twice.status, StatusCode::CONFLICT);

    // Making another queue the default leaves exactly one.
    let made = sari
        .patch(&format!("/api/queues/{}", roads.0), json!({"is_default": true}))
        .await;
    assert_eq!(made.status, StatusCode::OK, "{made:?}");
    let listed: Vec<Queue> = serde_json::from_value(budi.get("/api/queues").await.body).unwrap();
    let defaults: Vec<_> = listed.iter().filter(|q| q.is_default).map(|q| q.id).collect();
    assert_eq!(defaults, [roads]);
    let audit = sari.get("/api/audit").await;
    let actions: Vec<&str> = audit
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"queue_created") && actions.contains(&"queue_changed"),
        "{actions:?}"
    );

    // A manager edits the description and adds plain members, but makes no managers.
    let ani = server.agent("Ani", Role::Agent).await;
    let manage = format!("/api/queues/{}/members/{}", roads.0, budi.agent.id.0);
    assert_eq!(sari.put(&manage, json!({"manager": true})).await.status, StatusCode::OK);
    let edited = budi
        .patch(
            &format!("/api/queues/{}", roads.0),
            json!({"description": "Jalan berlubang, jembatan rusak"}),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{edited:?}");
    let add_ani = format!("/api/queues/{}/members/{}", roads.0, ani.agent.id.0);
    assert_eq!(
        budi.put(&add_ani, json!({"manager": true})).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        budi.put(&add_ani, json!({"manager": false})).await.status,
        StatusCode::OK
    );
    let defaulting = budi
        .patch(
            &format!("/api/queues/{}", QueueId::ORIGINAL.0),
            json!({"is_default": true}),
        )
        .await;
    assert_eq!(
        defaulting.status,
        StatusCode::FORBIDDEN,
        "a manager does not choose the default"
    );
}

#[actix_rt::test]
async fn a_category_picks_the_queue_of_bot_filed_and_agent_filed_tickets() {
    let server = TestServer::start().await;
    let sari = server.agent("Sari", Role::Admin).await;
    let roads = queue(&sari, "Jalan dan Jembatan").await;
    let category = sari.post("/api/categories", json!({"name": "Jalan rusak"})).await;
    let category = CategoryId(category.body["id"].as_i64().expect("a category"));
    let other = sari.post("/api/categories", json!({"name": "Lain-lain"})).await;
    let other = CategoryId(other.body["id"].as_i64().expect("a category"));
    let mapped = sari
        .put(
            &format!("/api/categories/{}/queue", category.0),
            json!({"queue_id": roads.0}),
        )
        .await;
    assert_eq!(mapped.status, StatusCode::NO_CONTENT, "{mapped:?}");

    // A reporter's report, through the desk the bot calls.
    let desk = server.desk();
    let dewi = desk_reporter(&server, &sari, 7001, "Dewi").await;
    let report = |title: &str, category_id| NewTicket {
        title: title.into(),
        body: "Di depan pasar".into(),
        priority: Default::default(),
        category_id,
    };
    let pothole = desk
        .file_report(dewi.id, report("Jalan berlubang", Some(category)), None)
        .await
        .unwrap();
    assert_eq!(pothole.queue, roads, "the category's queue");
    let unmapped = desk
        .file_report(dewi.id, report("Pertanyaan", Some(other)), None)
        .await
        .unwrap();
    assert_eq!(
        unmapped.queue,
        QueueId::ORIGINAL,
        "a category without a queue: the default"
    );
    let none = desk.file_report(dewi.id, report("Lainnya", None), None).await.unwrap();
    assert_eq!(none.queue, QueueId::ORIGINAL);

    // An agent filing for a caller goes by the same rule.
    let filed = sari
        .post(
            "/api/tickets",
            json!({"title": "Jembatan retak", "category_id": category.0}),
        )
        .await;
    assert_eq!(filed.status, StatusCode::CREATED, "{filed:?}");
    assert_eq!(filed.body["queue"], roads.0);

    // Mapping back to the default: later reports go there; earlier ones stay where they are.
    sari.put(
        &format!("/api/categories/{}/queue", category.0),
        json!({"queue_id": null}),
    )
    .await;
    let later = desk
        .file_report(dewi.id, report("Jalan amblas", Some(category)), None)
        .await
        .unwrap();
    assert_eq!(later.queue, QueueId::ORIGINAL);
    assert_eq!(queue_of(&sari, pothole.id).await, roads);
}

#[actix_rt::test]
async fn an_agent_outside_the_queue_is_refused_everywhere_and_nothing_changes() {
    let server = TestServer::start().await;
    let sari = server.agent("Sari", Role::Admin).await;
    let (budi, ani) = (
        server.agent("Budi", Role::Agent).await,
        server.agent("Ani", Role::Agent).await,
    );
    let parks = queue(&sari, "Taman dan Pohon").await;
    join(&sari, parks, &budi).await;
    let mut s = sari.ws().await;
    let id = create_ticket(&mut s, "Pohon tumbang di taman kota").await;
    assert!(matches!(
        move_to(&mut s, id, 1, parks).await,
        ServerMessage::Ack { version: Some(2), .. }
    ));
    s.call(json!({"type": "UnlockTicket", "ticket_id": id.0})).await;
    let history = event_kinds(&sari, id).await;

    // WebSocket: every action on it is refused with one code.
    let mut a = ani.ws().await;
    for message in [
        json!({"type": "LockTicket", "ticket_id": id.0}),
        json!({"type": "UpdateTicket", "ticket_id": id.0, "version": 2, "changes": {"title": "Diubah"}}),
        json!({"type": "AddComment", "ticket_id": id.0, "body": "Saya ambil", "internal": true}),
        json!({"type": "AddComment", "ticket_id": id.0, "body": "Kami tangani", "internal": false}),
    ] {
        let (code, _) = a.refused(message.clone()).await;
        assert_eq!(code, ErrorCode::NotInQueue, "{message}");
    }
    // REST: the same, with 403.
    let path = format!("/api/tickets/{}", id.0);
    for reply in [
        ani.get(&path).await,
        ani.get(&format!("{path}/events")).await,
        ani.patch(&path, json!({"version": 2, "changes": {"priority": "urgent"}}))
            .await,
        ani.post(&format!("{path}/lock"), json!({})).await,
        ani.post(&format!("{path}/comments"), json!({"body": "Halo", "internal": false}))
            .await,
    ] {
        assert_eq!(
            (reply.status, code(&reply)),
            (StatusCode::FORBIDDEN, "not_in_queue"),
            "{reply:?}"
        );
    }
    // Views and search do not show it, not even by its key.
    assert!(!ids(&ani, "status=any").await.contains(&id.0));
    assert!(ids(&ani, &format!("q={}", id.key())).await.is_empty());
    let page = a
        .call_collecting(json!({"type": "GetTickets", "status": "any"}))
        .await
        .0;
    assert!(
        page.iter()
            .all(|m| !matches!(m, ServerMessage::AllTickets { tickets, .. } if tickets.iter().any(|t| t.id == id))),
        "{page:?}"
    );

    // Nothing changed: same version, no lock, no comment, the same history.
    let detail = budi.get(&path).await;
    assert_eq!(detail.status, StatusCode::OK, "a member sees it");
    assert_eq!(detail.body["ticket"]["version"], 2);
    assert_eq!(detail.body["ticket"]["title"], "Pohon tumbang di taman kota");
    assert_eq!(detail.body["ticket"]["lock"], Value::Null);
    assert_eq!(detail.body["comments"], json!([]));
    assert_eq!(event_kinds(&budi, id).await, history);
}

#[actix_rt::test]
async fn an_agent_outside_the_queue_receives_none_of_its_events() {
    let server = TestServer::start().await;
    let sari = server.agent("Sari", Role::Admin).await;
    let (budi, ani) = (
        server.agent("Budi", Role::Agent).await,
        server.agent("Ani", Role::Agent).await,
    );
    let parks = queue(&sari, "Taman dan Pohon").await;
    join(&sari, parks, &budi).await;
    leave(&sari, QueueId::ORIGINAL, &budi).await;
    let mut s = sari.ws().await;
    let hidden = create_ticket(&mut s, "Dahan patah").await;
    move_to(&mut s, hidden, 1, parks).await;
    // Budi's and Ani's sessions start now, with their access as it is.
    let (mut b, mut a) = (budi.ws().await, ani.ws().await);

    // Budi works the parks ticket: a lock, an internal note, a change, the unlock.
    b.call(json!({"type": "AddComment", "ticket_id": hidden.0, "body": "Catatan internal", "internal": true}))
        .await;
    s.call(json!({"type": "UnlockTicket", "ticket_id": hidden.0})).await;
    b.call(json!({"type": "LockTicket", "ticket_id": hidden.0})).await;
    b.call(json!({"type": "UpdateTicket", "ticket_id": hidden.0, "version": 2, "changes": {"priority": "high"}}))
        .await;
    b.call(json!({"type": "UnlockTicket", "ticket_id": hidden.0})).await;
    let budi_saw = b
        .recv_until("the change", |m| match m {
            // Version 3: the move (version 2) may reach the bus after this session joined it.
            ServerMessage::TicketUpdated { ticket, .. } if ticket.id == hidden && ticket.version == 3 => {
                Some(ticket.priority)
            }
            _ => None,
        })
        .await;
    assert_eq!(budi_saw, loket_protocol::ticket::Priority::High);

    // Ani, outside the queue, got nothing of it: the first event after it all is her own marker on a
    // ticket of the default queue (published after everything above, through the same bus).
    let visible = create_ticket(&mut s, "Lampu jalan mati").await;
    // The move itself (version 2) left Ani's queue, so it is hers to see (her board drops the ticket);
    // it may reach the bus after her session joined it. Nothing after it is.
    let mut first = a.recv().await;
    if let ServerMessage::TicketUpdated { ticket, .. } = &first
        && ticket.id == hidden
    {
        assert_eq!(
            (ticket.version, ticket.queue),
            (2, parks),
            "only the move out of her queue: {first:?}"
        );
        first = a.recv().await;
    }
    match first {
        ServerMessage::TicketCreated { ticket, .. } if ticket.id == visible => {}
        other => panic!("expected only the default queue's ticket, got {other:?}"),
    }
    assert_quiet(&mut a, visible).await;
    // Nor does a Resume replay it: a new connection asking for everything since the first one's Welcome
    // gets the default queue's events only.
    let mut replayed = ani.ws().await;
    let (events, answer) = replayed
        .call_collecting(json!({"type": "Resume", "after": a.welcome_position}))
        .await;
    assert!(matches!(answer, ServerMessage::Ack { .. }), "{answer:?}");
    assert!(events.iter().any(|m| m.ticket_id() == Some(visible)), "{events:?}");
    assert!(events.iter().all(|m| m.ticket_id() != Some(hidden)), "{events:?}");
}

#[actix_rt::test]
async fn moving_a_ticket_is_version_checked_audited_and_seen_by_both_queues_only() {
    let server = TestServer::start().await;
    let sari = server.agent("Sari", Role::Admin).await;
    let (budi, cici, dedi) = (
        server.agent("Budi", Role::Agent).await,
        server.agent("Cici", Role::Agent).await,
        server.agent("Dedi", Role::Agent).await,
    );
    let (roads, parks) = (
        queue(&sari, "Jalan dan Jembatan").await,
        queue(&sari, "Taman dan Pohon").await,
    );
    join(&sari, roads, &cici).await;
    leave(&sari, QueueId::ORIGINAL, &cici).await;
    join(&sari, parks, &dedi).await;
    leave(&sari, QueueId::ORIGINAL, &dedi).await;
    let (mut b, mut c, mut d) = (budi.ws().await, cici.ws().await, dedi.ws().await);
    let id = create_ticket(&mut b, "Jembatan penyeberangan retak").await;

    // A move based on an old version is refused and moves nothing.
    b.call(json!({"type": "LockTicket", "ticket_id": id.0})).await;
    b.call(json!({"type": "UpdateTicket", "ticket_id": id.0, "version": 1, "changes": {"title": "Jembatan retak"}}))
        .await;
    let stale = move_to(&mut b, id, 1, roads).await;
    assert!(
        matches!(&stale, ServerMessage::Error { code: ErrorCode::VersionConflict, ticket: Some(t), .. } if t.queue == QueueId::ORIGINAL),
        "{stale:?}"
    );
    let unknown = move_to(&mut b, id, 2, QueueId(999)).await;
    assert!(
        matches!(
            unknown,
            ServerMessage::Error {
                code: ErrorCode::InvalidRequest,
                ..
            }
        ),
        "{unknown:?}"
    );
    assert_eq!(queue_of(&sari, id).await, QueueId::ORIGINAL);

    // Budi moves it to Roads: Cici (Roads) sees it arrive, with where it came from.
    let moved = move_to(&mut b, id, 2, roads).await;
    assert!(
        matches!(moved, ServerMessage::Ack { version: Some(3), .. }),
        "{moved:?}"
    );
    let (queue, previous) = c
        .recv_until("the move", |m| match m {
            ServerMessage::TicketUpdated { ticket, previous, .. } if ticket.id == id => {
                Some((ticket.queue, previous.as_ref().and_then(|p| p.queue)))
            }
            _ => None,
        })
        .await;
    assert_eq!((queue, previous), (roads, Some(QueueId::ORIGINAL)));
    // Budi (General) sees it leave, as it was his queue.
    b.recv_until("the move", |m| match m {
        ServerMessage::TicketUpdated { ticket, .. } if ticket.id == id && ticket.queue == roads => Some(()),
        _ => None,
    })
    .await;
    // Dedi (Parks) sees nothing of it.
    let mine = {
        let mut s = sari.ws().await;
        let parked = create_ticket(&mut s, "Rumput liar").await;
        move_to(&mut s, parked, 1, parks).await;
        s.call(json!({"type": "UnlockTicket", "ticket_id": parked.0})).await;
        parked
    };
    let first = d
        .recv_until("the parks ticket", |m| m.ticket_id().filter(|t| *t == mine || *t == id))
        .await;
    assert_eq!(first, mine, "no event of the moved ticket reached Parks");

    // The history names both queues.
    let events = sari.get(&format!("/api/tickets/{}/events", id.0)).await;
    let change = events
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["field"] == "queue")
        .cloned()
        .expect("a queue change in the history");
    assert_eq!(
        (change["old_value"].as_str(), change["new_value"].as_str()),
        (Some("General"), Some("Jalan dan Jembatan"))
    );

    // Budi, outside Roads now, can no longer change it; his lock is his to give back.
    let (code, _) = b
        .refused(json!({"type": "UpdateTicket", "ticket_id": id.0, "version": 3, "changes": {"title": "x"}}))
        .await;
    assert_eq!(code, ErrorCode::NotInQueue);
    b.call(json!({"type": "UnlockTicket", "ticket_id": id.0})).await;
    assert_eq!(queue_of(&cici, id).await, roads);
}

#[actix_rt::test]
async fn a_membership_change_reconnects_the_agents_screens_with_their_new_access() {
    let server = TestServer::start().await;
    let sari = server.agent("Sari", Role::Admin).await;
    let ani = server.agent("Ani", Role::Agent).await;
    let roads = queue(&sari, "Jalan dan Jembatan").await;
    let mut a = ani.ws().await;
    assert_eq!(a.welcome_access.queues, [QueueId::ORIGINAL]);
    assert!(!a.welcome_access.all);
    join(&sari, roads, &ani).await;
    let closed = a.closed().await;
    assert_eq!(u16::from(closed.code), 1012, "{closed:?}");
    assert!(closed.reason.contains("queues changed"), "{closed:?}");
    let again = ani.ws().await;
    assert_eq!(again.welcome_access.queues, [QueueId::ORIGINAL, roads]);

    // Leaving: the next connection no longer shows the queue's events; REST follows at once.
    let mut b = ani.ws().await;
    let mut s = sari.ws().await;
    let road = create_ticket(&mut s, "Jalan berlubang").await;
    move_to(&mut s, road, 1, roads).await;
    assert_eq!(queue_of(&ani, road).await, roads);
    leave(&sari, roads, &ani).await;
    assert_eq!(u16::from(b.closed().await.code), 1012);
    let reply = ani.get(&format!("/api/tickets/{}", road.0)).await;
    assert_eq!(code(&reply), "not_in_queue");
    let c = ani.ws().await;
    assert_eq!(c.welcome_access.queues, [QueueId::ORIGINAL]);
    // An admin's access is everything, whatever their queues.
    assert!(s.welcome_access.all);
}

#[actix_rt::test]
async fn views_my_queues_mine_and_unassigned() {
    let server = TestServer::start().await;
    let sari = server.agent("Sari", Role::Admin).await;
    let ani = server.agent("Ani", Role::Agent).await;
    let roads = queue(&sari, "Jalan dan Jembatan").await;
    let parks = queue(&sari, "Taman dan Pohon").await;
    join(&sari, roads, &ani).await;
    let mut s = sari.ws().await;
    let general_open = create_ticket(&mut s, "Sampah menumpuk").await;
    let general_mine = create_ticket(&mut s, "Air PDAM keruh").await;
    s.call(json!({"type": "LockTicket", "ticket_id": general_mine.0})).await;
    s.call(json!({"type": "UpdateTicket", "ticket_id": general_mine.0, "version": 1, "changes": {"assignee_id": ani.agent.id.0}}))
        .await;
    let road = create_ticket(&mut s, "Jalan berlubang").await;
    move_to(&mut s, road, 1, roads).await;
    let park = create_ticket(&mut s, "Pohon tumbang").await;
    move_to(&mut s, park, 1, parks).await;

    let newest_first = |list: &[TicketId]| list.iter().rev().map(|t| t.0).collect::<Vec<_>>();
    // Ani: General and Roads. Without a queue filter she sees exactly her queues.
    assert_eq!(ids(&ani, "").await, newest_first(&[general_open, general_mine, road]));
    assert_eq!(
        ids(&ani, "queue=mine").await,
        newest_first(&[general_open, general_mine, road])
    );
    assert_eq!(ids(&ani, &format!("queue={}", roads.0)).await, [road.0]);
    assert_eq!(
        ids(&ani, &format!("queue={}", parks.0)).await,
        Vec::<i64>::new(),
        "not hers"
    );
    assert_eq!(ids(&ani, "assignee=me").await, [general_mine.0]);
    assert_eq!(ids(&ani, "assignee=nobody").await, newest_first(&[general_open, road]));
    assert_eq!(
        ids(&ani, "queue=mine&assignee=nobody").await,
        newest_first(&[general_open, road])
    );
    // Sari (admin, member of General only): every ticket; "My queues" is her own queues.
    assert_eq!(ids(&sari, "").await.len(), 4);
    assert_eq!(
        ids(&sari, "queue=mine").await,
        newest_first(&[general_open, general_mine])
    );
    assert_eq!(ids(&sari, &format!("queue_id={}", parks.0)).await, [park.0]);

    // Over the WebSocket, the same view with its total.
    let mut a = ani.ws().await;
    let (replies, _) = a
        .call_collecting(json!({"type": "GetTickets", "queue": "mine", "assignee": "nobody"}))
        .await;
    let page = replies
        .into_iter()
        .find_map(|m| match m {
            ServerMessage::AllTickets { tickets, total, .. } => {
                Some((tickets.iter().map(|t| t.id.0).collect::<Vec<_>>(), total))
            }
            _ => None,
        })
        .expect("a page");
    assert_eq!(page, (newest_first(&[general_open, road]), 2));
}

#[actix_rt::test]
async fn a_membership_change_on_one_instance_reconnects_the_agent_on_another() {
    let cluster = loket_tests::Cluster::start(env!("CARGO_BIN_EXE_loket-under-test"), 2, &[]).await;
    let (admin_email, ani_email) = (
        cluster.agent("Sari", Role::Admin).await,
        cluster.agent("Ani", Role::Agent).await,
    );
    let sari = cluster.instances[0].sign_in(&admin_email).await;
    let ani = cluster.instances[1].sign_in(&ani_email).await;
    let mut a = ani.ws().await;
    assert_eq!(a.welcome_access.queues, [QueueId::ORIGINAL]);
    let mut s = sari.ws().await;
    let id = create_ticket(&mut s, "Saluran air tersumbat").await;
    // Ani, on the other instance, sees the default queue's ticket arrive...
    a.recv_until("the ticket", |m| (m.ticket_id() == Some(id)).then_some(()))
        .await;
    // ...until the admin, on the first instance, takes her out of it: the logged MembershipChanged
    // reaches her instance's bus, which closes her screen for a reconnect.
    leave(&sari, QueueId::ORIGINAL, &ani).await;
    assert_eq!(u16::from(a.closed().await.code), 1012);
    let again = ani.ws().await;
    assert!(again.welcome_access.queues.is_empty(), "{:?}", again.welcome_access);
    let reply = ani.get(&format!("/api/tickets/{}", id.0)).await;
    assert_eq!(code(&reply), "not_in_queue");
}

/// Ticket `id`'s assignee and lock holder (names) and version, over REST.
async fn who_has(client: &AgentClient, id: i64) -> (Option<String>, Option<String>, i64) {
    let detail = client.get(&format!("/api/tickets/{id}")).await;
    let t = &detail.body["ticket"];
    (
        t["assignee"]["name"].as_str().map(str::to_string),
        t["lock"]["holder"]["name"].as_str().map(str::to_string),
        t["version"].as_i64().unwrap_or(0),
    )
}

#[actix_rt::test]
async fn in_the_browser_the_queue_filter_and_assign_to_me_and_take_work_in_one_click() {
    use loket_tests::browser::{self, Browser};
    if !browser::available() {
        return;
    }
    let server = TestServer::start_with(|config| config.web_dir = Some(browser::web_dir())).await;
    let sari = server.agent("Sari", Role::Admin).await;
    let ayu = server.agent("Ayu", Role::Agent).await;
    let roads = queue(&sari, "Jalan dan Jembatan").await;
    let parks = queue(&sari, "Taman dan Pohon").await;
    join(&sari, roads, &ayu).await;
    for title in [
        "Sampah menumpuk",
        "Jalan berlubang",
        "Lampu jalan mati",
        "Got mampet",
        "Pohon tumbang",
    ] {
        let filed = sari.post("/api/tickets", json!({"title": title})).await;
        assert_eq!(filed.status, StatusCode::CREATED, "{filed:?}");
    }
    let moved = sari
        .patch(
            "/api/tickets/2",
            json!({"version": 1, "changes": {"queue_id": roads.0}}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{moved:?}");
    let hidden = sari
        .patch(
            "/api/tickets/5",
            json!({"version": 1, "changes": {"queue_id": parks.0}}),
        )
        .await;
    assert_eq!(hidden.status, StatusCode::OK, "{hidden:?}");

    let b = Browser::launch(&server.url(), "queues").await;
    b.goto("/").await;
    b.sign_in("ayu@example.org", loket_tests::server::PASSWORD).await;
    // Ayu works General and Roads: four tickets, not the park's.
    b.wait_attr("[data-testid=ticket-count]", "data-total", "4").await;
    assert!(b.text("tr[data-ticket-key='TKT-0005']").await.is_none());
    // The queue filter goes to the server.
    b.select("#filter-queue", &roads.0.to_string()).await;
    b.wait_attr("[data-testid=ticket-count]", "data-total", "1").await;
    b.wait_attr("[data-testid=ticket-row]", "data-ticket-key", "TKT-0002")
        .await;
    // "Unassigned" and "My queues" are one click each.
    b.click_button("My queues").await;
    b.wait_attr("[data-testid=ticket-count]", "data-total", "4").await;

    // Assign to me on a row: assigned, the lock given back, one new version.
    b.click("tr[data-ticket-key='TKT-0002'] [data-testid=assign-to-me]")
        .await;
    b.wait_text("tr[data-ticket-key='TKT-0002'] [data-testid=assignee]", "Ayu")
        .await;
    b.wait_until("the lock given back", || async {
        who_has(&sari, 2).await == (Some("Ayu".into()), None, 3)
    })
    .await;
    // Take on a row: assigned and locked for her.
    b.click("tr[data-ticket-key='TKT-0001'] [data-testid=take]").await;
    b.wait_until("taken", || async {
        who_has(&sari, 1).await == (Some("Ayu".into()), Some("Ayu".into()), 2)
    })
    .await;
    b.click_button("Mine").await;
    b.wait_attr("[data-testid=ticket-count]", "data-total", "2").await;
    b.screenshot("queues-board").await;

    // On the ticket page: Assign to me, then Take on another, which goes on editing.
    b.goto("/tickets/3").await;
    b.click("[data-testid=assign-to-me]").await;
    b.wait_text("[data-testid=ticket-assignee]", "Ayu").await;
    b.wait_until("assigned, unlocked", || async {
        who_has(&sari, 3).await == (Some("Ayu".into()), None, 2)
    })
    .await;
    b.goto("/tickets/4").await;
    b.click("[data-testid=take]").await;
    b.wait_until("taken on the page", || async {
        who_has(&sari, 4).await == (Some("Ayu".into()), Some("Ayu".into()), 2)
    })
    .await;
    b.wait_for("#field-queue").await;
    b.screenshot("queues-ticket-taken").await;
    b.close().await;
}

#[actix_rt::test]
async fn in_the_browser_an_admin_adds_a_queue_its_member_and_a_category_mapping() {
    use loket_tests::browser::{self, Browser};
    if !browser::available() {
        return;
    }
    let server = TestServer::start_with(|config| config.web_dir = Some(browser::web_dir())).await;
    let sari = server.agent("Sari", Role::Admin).await;
    let budi = server.agent("Budi", Role::Agent).await;
    let category = sari.post("/api/categories", json!({"name": "Jalan rusak"})).await;
    let category = category.body["id"].as_i64().expect("a category");

    let b = Browser::launch(&server.url(), "queues-admin").await;
    b.goto("/admin/queues").await;
    b.sign_in("sari@example.org", loket_tests::server::PASSWORD).await;
    b.wait_attr("[data-testid=queue]", "data-queue-id", "1").await;
    b.fill("#queue-name", "Jalan dan Jembatan").await;
    b.fill("#queue-description", "Jalan berlubang, jembatan rusak").await;
    b.click_button("Add queue").await;
    b.wait_until("the new queue", || async {
        sari.get("/api/queues")
            .await
            .body
            .as_array()
            .is_some_and(|q| q.len() == 2)
    })
    .await;
    let listed: Vec<Queue> = serde_json::from_value(sari.get("/api/queues").await.body).unwrap();
    let roads = listed
        .iter()
        .find(|q| q.name == "Jalan dan Jembatan")
        .expect("the queue")
        .id;
    let card = format!("[data-testid=queue][data-queue-id='{}']", roads.0);
    b.wait_for(&card).await;
    b.select(&format!("{card} select"), &budi.agent.id.0.to_string()).await;
    b.click(&format!("{card} .field-row button")).await;
    b.wait_text(&format!("{card} [data-testid=queue-member]"), "Budi").await;
    b.select("[data-testid=category-queue]", &roads.0.to_string()).await;
    b.wait_until("the mapping", || async {
        let listed: Vec<Queue> = serde_json::from_value(sari.get("/api/queues").await.body).unwrap();
        listed
            .iter()
            .any(|q| q.id == roads && q.categories == [CategoryId(category)])
    })
    .await;
    let members: Vec<Queue> = serde_json::from_value(budi.get("/api/queues").await.body).unwrap();
    assert!(
        members
            .iter()
            .any(|q| q.id == roads && q.members.iter().any(|m| m.agent.id == budi.agent.id))
    );
    b.screenshot("queues-admin").await;
    b.close().await;
}
