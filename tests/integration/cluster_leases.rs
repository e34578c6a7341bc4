//! Cluster-wide edit locks and events: three real `loket` processes (children of this test binary) on one
//! PostgreSQL. Sign-ins, events and positions, cluster-wide leases with fencing, and a dead instance's
//! leases.

use std::time::Duration;

use futures_util::future::join_all;
use loket_protocol::api::Role;
use loket_protocol::ticket::UnlockReason;
use loket_protocol::ws::ServerMessage;
use loket_protocol::{ErrorCode, TicketId};
use loket_tests::server::PASSWORD;
use loket_tests::{AgentClient, ChildServer, WsClient, pg};
use reqwest::StatusCode;
use serde_json::json;

use crate::create_ticket;

/// Instances in each test.
const INSTANCES: usize = 3;
/// How long the survivors may take to end a killed instance's leases: it counts as dead after 30 s without
/// a heartbeat (heartbeats every 5 s), plus room for a loaded machine.
const DEAD_DEADLINE: Duration = Duration::from_secs(45);
/// Deadline for a lease to run out by the database clock and be ended by a sweep.
const EXPIRY_DEADLINE: Duration = Duration::from_secs(40);
/// A waiting session pings this often (the server closes sessions silent for 15 s).
const KEEPALIVE: Duration = Duration::from_secs(3);

/// Three instances on one fresh database.
struct Desk3 {
    nodes: Vec<ChildServer>,
    pool: loket_core::db::Pool,
}

impl Desk3 {
    async fn start(env: &[(&str, &str)]) -> Desk3 {
        let database_url = pg::fresh_database().await;
        let mut nodes = Vec::new();
        for _ in 0..INSTANCES {
            nodes.push(ChildServer::start_on(database_url.clone(), env).await);
        }
        let pool = loket_core::db::pool(&database_url, 2).expect("a pool on the desk's database");
        Desk3 { nodes, pool }
    }

    /// Creates an agent and signs them in on instance `node`.
    async fn agent(&self, name: &str, role: Role, node: usize) -> AgentClient {
        let email = format!("{}@example.org", name.to_lowercase());
        loket_core::bootstrap::create_agent(&self.pool, &email, name, role, PASSWORD.into())
            .await
            .expect("create agent");
        AgentClient::login(&self.nodes[node].url, &email, PASSWORD)
            .await
            .expect("sign in")
    }

    /// `client`'s sign-in, used on instance `node`.
    fn on(&self, client: &AgentClient, node: usize) -> AgentClient {
        let mut moved = client.clone();
        moved.base = self.nodes[node].url.clone();
        moved
    }

    async fn scalar(&self, sql: &str, ticket: TicketId) -> i64 {
        self.pool
            .get()
            .await
            .unwrap()
            .query_one(sql, &[&ticket.0])
            .await
            .unwrap()
            .get(0)
    }
}

/// The broadcast events `ws` receives until it has seen `count` `TicketCreated`: (position, type, ticket).
async fn broadcasts_until_created(ws: &mut WsClient, count: usize) -> Vec<(u64, String, i64)> {
    let mut seen = Vec::new();
    let mut created = 0;
    while created < count {
        let message = ws.recv().await;
        let (Some(position), Some(ticket)) = (message.position(), message.ticket_id()) else {
            continue;
        };
        if matches!(message, ServerMessage::TicketCreated { .. }) {
            created += 1;
        }
        seen.push((position, message.type_name().to_string(), ticket.0));
    }
    seen
}

/// Waits on `ws` for `TicketUnlocked` about `ticket`, until `deadline`; answers its reason. Pings meanwhile,
/// as a client does, so the server does not close the session as silent.
async fn unlocked(ws: &mut WsClient, ticket: TicketId, deadline: Duration) -> UnlockReason {
    let until = tokio::time::Instant::now() + deadline;
    loop {
        let left = until.saturating_duration_since(tokio::time::Instant::now());
        assert!(
            !left.is_zero(),
            "no TicketUnlocked about ticket {} within {deadline:?}",
            ticket.0
        );
        match ws.next_message(left.min(KEEPALIVE)).await {
            Ok(Some(ServerMessage::TicketUnlocked { ticket_id, reason, .. })) if ticket_id == ticket => return reason,
            Ok(Some(_)) => {}
            Ok(None) => ws.send_json(&json!({"type": "Ping"})).await,
            Err(end) => panic!("the session ended while waiting for TicketUnlocked: {end:?}"),
        }
    }
}

/// Counts the `TicketUnlocked` about `ticket` that reach `ws` before the `TicketCreated` of a marker
/// ticket it creates (the marker's event is logged after anything committed earlier).
async fn unlocks_before_marker(ws: &mut WsClient, ticket: TicketId) -> usize {
    let marker = create_ticket(ws, "Marker").await;
    let mut count = 0;
    loop {
        match ws.recv().await {
            ServerMessage::TicketUnlocked { ticket_id, .. } if ticket_id == ticket => count += 1,
            ServerMessage::TicketCreated { ticket, .. } if ticket.id == marker => return count,
            _ => {}
        }
    }
}

#[actix_rt::test]
async fn sessions_on_three_instances_see_every_event_at_the_same_positions() {
    let desk = Desk3::start(&[]).await;
    // Signed in on the first instance; the same sign-in works on the others.
    let ana = desk.agent("Ana", Role::Agent, 0).await;
    let mut sessions = Vec::new();
    for node in 0..INSTANCES {
        sessions.push(desk.on(&ana, node).ws().await);
    }
    let rest = desk.on(&ana, 2);
    let mut tickets = Vec::new();
    for round in 0..2 {
        for (node, ws) in sessions.iter_mut().enumerate() {
            let id = create_ticket(ws, &format!("Round {round} on instance {node}")).await;
            tickets.push(id);
        }
    }
    // A REST change and a comment interleave with them.
    let comment = rest
        .post(
            &format!("/api/tickets/{}/comments", tickets[0].0),
            json!({"body": "from REST on the third instance", "internal": true}),
        )
        .await;
    assert_eq!(comment.status, StatusCode::CREATED, "{:?}", comment.body);
    let last = create_ticket(&mut sessions[1], "Last").await;
    tickets.push(last);

    let streams = join_all(
        sessions
            .iter_mut()
            .map(|ws| broadcasts_until_created(ws, tickets.len())),
    )
    .await;
    for stream in &streams {
        let positions: Vec<u64> = stream.iter().map(|e| e.0).collect();
        assert!(
            positions.windows(2).all(|w| w[0] < w[1]),
            "positions increase: {stream:?}"
        );
        let created: Vec<i64> = stream.iter().filter(|e| e.1 == "TicketCreated").map(|e| e.2).collect();
        let mut expected: Vec<i64> = tickets.iter().map(|t| t.0).collect();
        expected.sort();
        let mut got = created.clone();
        got.sort();
        assert_eq!(
            got, expected,
            "every ticket created on any instance reaches every instance"
        );
        assert!(stream.iter().any(|e| e.1 == "CommentAdded" && e.2 == tickets[0].0));
    }
    assert_eq!(streams[0], streams[1], "the same events at the same positions");
    assert_eq!(streams[0], streams[2], "the same events at the same positions");
}

#[actix_rt::test]
async fn sixty_sessions_on_three_instances_race_for_one_lock_and_one_wins() {
    let desk = Desk3::start(&[]).await;
    let mut agents = Vec::new();
    for (i, name) in ["Ana", "Ben", "Cy", "Dee", "Eve"].iter().enumerate() {
        agents.push(desk.agent(name, Role::Agent, i % INSTANCES).await);
    }
    let mut sessions = Vec::new();
    for i in 0..60 {
        sessions.push(desk.on(&agents[i % agents.len()], i % INSTANCES).ws().await);
    }
    let mut watcher = desk.on(&agents[0], 0).ws().await;
    let id = create_ticket(&mut watcher, "Contended across instances").await;

    let mut request_ids = Vec::new();
    for ws in sessions.iter_mut() {
        request_ids.push(ws.request(json!({"type": "LockTicket", "ticket_id": id.0})).await);
    }
    let answers = join_all(sessions.iter_mut().zip(&request_ids).map(|(ws, rid)| ws.answer(rid))).await;
    let winners: Vec<usize> = answers
        .iter()
        .enumerate()
        .filter(|(_, a)| matches!(a, ServerMessage::Ack { .. }))
        .map(|(i, _)| i)
        .collect();
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
    assert_eq!((winners.len(), refused), (1, 59), "{answers:?}");
    let winner = winners[0];
    let holder_node = winner % INSTANCES;
    let holder_agent = winner % agents.len();
    assert_eq!(
        desk.scalar("SELECT count(*) FROM ticket_leases WHERE ticket_id = $1", id)
            .await,
        1
    );
    assert_eq!(
        desk.scalar(
            "SELECT count(*) FROM ticket_events WHERE ticket_id = $1 AND kind = 'lock_taken'",
            id
        )
        .await,
        1
    );

    // A non-holder's session on another instance may not change it.
    let other_node = (holder_node + 1) % INSTANCES;
    let other = (0..60)
        .find(|i| i % INSTANCES == other_node && i % agents.len() != holder_agent)
        .unwrap();
    let (code, _) = sessions[other]
        .refused(json!({"type": "UpdateTicket", "ticket_id": id.0, "version": 1, "changes": {"title": "Not mine"}}))
        .await;
    assert_eq!(code, ErrorCode::NotLockHolder);

    // REST on the third instance, as another agent: 409 for the lock and for a change.
    let third = (holder_node + 2) % INSTANCES;
    let someone_else = desk.on(&agents[(holder_agent + 1) % agents.len()], third);
    let lock = someone_else
        .post(&format!("/api/tickets/{}/lock", id.0), json!({}))
        .await;
    assert_eq!(lock.status, StatusCode::CONFLICT, "{:?}", lock.body);
    let change = someone_else
        .patch(
            &format!("/api/tickets/{}", id.0),
            json!({"version": 1, "changes": {"title": "Not mine either"}}),
        )
        .await;
    assert_eq!(change.status, StatusCode::CONFLICT, "{:?}", change.body);
    assert_eq!(
        desk.scalar("SELECT version FROM tickets WHERE id = $1", id).await,
        1,
        "nothing changed the ticket"
    );
}

#[actix_rt::test]
async fn a_holder_paused_past_its_lease_cannot_commit_after_it_resumes() {
    // Short leases (the shortest allowed: two heartbeats).
    let desk = Desk3::start(&[("LOKET_LOCK_LEASE_SECS", "10")]).await;
    let ana = desk.agent("Ana", Role::Agent, 0).await;
    let ben = desk.agent("Ben", Role::Agent, 1).await;
    let mut ana_ws = ana.ws().await;
    let mut ben_ws = ben.ws().await;
    let id = create_ticket(&mut ana_ws, "Fenced").await;
    assert!(matches!(
        ana_ws.call(json!({"type": "LockTicket", "ticket_id": id.0})).await,
        ServerMessage::Ack { .. }
    ));

    desk.nodes[0].signal("STOP");
    // Its lease runs out by the database clock; another instance's sweep ends it, once, for everyone.
    assert_eq!(unlocked(&mut ben_ws, id, EXPIRY_DEADLINE).await, UnlockReason::Expired);
    assert!(matches!(
        ben_ws.call(json!({"type": "LockTicket", "ticket_id": id.0})).await,
        ServerMessage::Ack { .. }
    ));
    let token_before = desk
        .scalar("SELECT token FROM ticket_leases WHERE ticket_id = $1", id)
        .await;
    desk.nodes[0].signal("CONT");

    // Whatever the paused process remembers, its writes are refused (or its session is gone).
    let write = json!({"type": "UpdateTicket", "ticket_id": id.0, "version": 1, "changes": {"title": "Stale holder"}});
    let rid = ana_ws.request(write).await;
    let answer = tokio::time::timeout(loket_tests::PATIENCE, ana_ws.answer(&rid)).await;
    if let Ok(answer) = answer {
        assert!(
            matches!(
                answer,
                ServerMessage::Error {
                    code: ErrorCode::NotLockHolder,
                    ..
                }
            ),
            "{answer:?}"
        );
    }
    // Over REST, Ana may not end Ben's lease either (only admins break locks).
    let release = desk
        .on(&ana, 0)
        .delete(&format!("/api/tickets/{}/lock", id.0), None)
        .await;
    assert_eq!(release.status, StatusCode::FORBIDDEN, "{:?}", release.body);
    assert_eq!(desk.scalar("SELECT version FROM tickets WHERE id = $1", id).await, 1);
    assert_eq!(
        desk.scalar("SELECT token FROM ticket_leases WHERE ticket_id = $1", id)
            .await,
        token_before,
        "Ben still holds the lease he took"
    );
    // Ben's own change goes through.
    assert!(matches!(
        ben_ws
            .call(json!({"type": "UpdateTicket", "ticket_id": id.0, "version": 1, "changes": {"title": "Ben's"}}))
            .await,
        ServerMessage::Ack { .. }
    ));
}

#[actix_rt::test]
async fn killing_the_holders_instance_unlocks_its_tickets_once_everywhere() {
    // Leases longer than an instance takes to count as dead, so it is the death that ends them.
    let mut desk = Desk3::start(&[("LOKET_LOCK_LEASE_SECS", "120")]).await;
    let ana = desk.agent("Ana", Role::Agent, 0).await;
    let ben = desk.agent("Ben", Role::Agent, 1).await;
    let mut ana_ws = ana.ws().await;
    let mut watchers = [ben.ws().await, desk.on(&ben, 2).ws().await];
    let id = create_ticket(&mut ana_ws, "Holder dies").await;
    assert!(matches!(
        ana_ws.call(json!({"type": "LockTicket", "ticket_id": id.0})).await,
        ServerMessage::Ack { .. }
    ));
    for ws in watchers.iter_mut() {
        ws.recv_until("TicketLocked", |m| {
            matches!(m, ServerMessage::TicketLocked { ticket_id, .. } if *ticket_id == id).then_some(())
        })
        .await;
    }

    let killed_at = std::time::Instant::now();
    desk.nodes[0].kill_hard();
    let reasons = join_all(watchers.iter_mut().map(|ws| unlocked(ws, id, DEAD_DEADLINE))).await;
    let unlocked_after = killed_at.elapsed();
    assert_eq!(reasons, [UnlockReason::Disconnected, UnlockReason::Disconnected]);
    for ws in watchers.iter_mut() {
        assert_eq!(unlocks_before_marker(ws, id).await, 0, "broadcast once");
    }
    assert_eq!(
        desk.scalar(
            "SELECT count(*) FROM ticket_events WHERE ticket_id = $1 AND kind = 'lock_disconnected'",
            id
        )
        .await,
        1,
        "audited once"
    );
    assert!(matches!(
        watchers[0].call(json!({"type": "LockTicket", "ticket_id": id.0})).await,
        ServerMessage::Ack { .. }
    ));
    // Measured, not asserted (docs/benchmarks.md).
    println!(
        "lock takeover after kill -9: TicketUnlocked on both survivors after {unlocked_after:?}, taken again after {:?}",
        killed_at.elapsed()
    );
}

#[actix_rt::test]
async fn a_session_resumes_on_another_instance_and_a_dropped_listen_connection_catches_up() {
    let desk = Desk3::start(&[]).await;
    let ana = desk.agent("Ana", Role::Agent, 0).await;
    let mut first = ana.ws().await;
    let mut writer = desk.on(&ana, 2).ws().await;
    let mut follower = desk.on(&ana, 1).ws().await;
    let t1 = create_ticket(&mut first, "Before the disconnect").await;
    let left_at = first
        .recv_until("TicketCreated", |m| match m {
            ServerMessage::TicketCreated { ticket, position } if ticket.id == t1 => Some(*position),
            _ => None,
        })
        .await;
    first.close().await;
    let t2 = create_ticket(&mut writer, "Missed one").await;

    // Every instance's LISTEN connection is cut; they connect again and miss nothing.
    let cut: i64 = desk
        .pool
        .get()
        .await
        .unwrap()
        .query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
             WHERE application_name = $1 AND datname = current_database()",
            &[&loket_core::db::LISTEN_APPLICATION_NAME],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(cut, INSTANCES as i64);
    let t3 = create_ticket(&mut writer, "Missed two").await;
    desk.nodes[1]
        .log_line("a reconnect of the LISTEN connection", |l| {
            l.contains("LISTEN connection was lost")
        })
        .await;
    let t4 = create_ticket(&mut writer, "After the reconnect").await;
    let live: Vec<i64> = broadcasts_until_created(&mut follower, 4)
        .await
        .into_iter()
        .filter(|e| e.1 == "TicketCreated")
        .map(|e| e.2)
        .collect();
    assert_eq!(live, [t1.0, t2.0, t3.0, t4.0]);

    // Resumed on another instance than the one it left: exactly what it missed, at the same positions.
    let mut resumed = desk.on(&ana, 1).ws().await;
    let (got, answer) = resumed
        .call_collecting(json!({"type": "Resume", "after": left_at}))
        .await;
    assert!(matches!(answer, ServerMessage::Ack { .. }), "{answer:?}");
    let mut replayed: Vec<(u64, i64)> = got
        .iter()
        .filter_map(|m| match m {
            ServerMessage::TicketCreated { ticket, position } => Some((*position, ticket.id.0)),
            _ => None,
        })
        .collect();
    replayed.dedup();
    let ids: Vec<i64> = replayed.iter().map(|r| r.1).collect();
    assert_eq!(ids, [t2.0, t3.0, t4.0]);
    assert!(replayed.iter().all(|r| r.0 > left_at));
}

/// Waits for one notification on a test's own `LISTEN` connection; fails after `patience`.
async fn woken(listener: &mut loket_core::db::Listener, patience: Duration, what: &str) {
    tokio::time::timeout(patience, listener.woken.recv())
        .await
        .unwrap_or_else(|_| panic!("no NOTIFY on the events channel after {what} within {patience:?}"))
        .expect("the test's LISTEN connection closed");
}

/// Followers are woken by a `NOTIFY` sent after the commit (V24: no trigger notifies inside the
/// writing transaction any more): by the writer's instance after a change, and by the statement that
/// ends leases that ran out.
#[actix_rt::test]
async fn other_instances_are_notified_after_a_change_and_after_leases_run_out() {
    let desk = Desk3::start(&[]).await;
    let ana = desk.agent("Ana", Role::Agent, 0).await;
    let mut ws = ana.ws().await;
    let mut listener = desk.pool.listen(loket_core::event_log::CHANNEL).await.expect("LISTEN");
    create_ticket(&mut ws, "Wake the other instances").await;
    woken(&mut listener, Duration::from_secs(10), "a ticket was created").await;

    // A lease that ran out, ended by the SQL every sweep runs (here by the test, once the servers are
    // stopped: a listener opened after that hears only what is written after it).
    let t = create_ticket(&mut ws, "A lease that runs out").await;
    let locked = ana.post(&format!("/api/tickets/{}/lock", t.0), json!({})).await;
    assert_eq!(locked.status, StatusCode::OK, "{:?}", locked.body);
    drop(ws);
    let Desk3 { nodes, pool } = desk;
    drop(nodes);
    let client = pool.get().await.unwrap();
    client
        .execute(
            "UPDATE ticket_leases SET expires_at = now() - interval '1 second' WHERE ticket_id = $1",
            &[&t.0],
        )
        .await
        .unwrap();
    let mut quiet = pool.listen(loket_core::event_log::CHANNEL).await.expect("LISTEN");
    assert!(
        loket_core::db::leases::expire_due(&client, Some(TicketId(t.0 + 1)))
            .await
            .unwrap()
            .is_empty()
    );
    let ended = loket_core::db::leases::expire_due(&client, None)
        .await
        .expect("expire_due");
    assert_eq!(ended.len(), 1, "{ended:?}");
    assert_eq!(ended[0].0, t);
    woken(&mut quiet, Duration::from_secs(10), "a lease ran out").await;
}
