//! Event positions and `Resume`: every broadcast carries its place in the event log, the same on every
//! session and strictly increasing; a client that reconnects and resumes gets exactly what it missed,
//! under many concurrent writers; history past retention answers `resync_required`; the follow rule of a
//! reader outside the writer against real PostgreSQL transactions.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use loket_core::db::event_log as log_q;
use loket_core::domain::follow::Follow;
use loket_protocol::api::Role;
use loket_protocol::ticket::UnlockReason;
use loket_protocol::ws::ServerMessage;
use loket_protocol::{ErrorCode, TicketId};
use loket_tests::{AgentClient, TestServer, WsClient};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::create_ticket;

/// The position of a broadcast (panics for anything else: only broadcasts are collected).
fn position(message: &ServerMessage) -> u64 {
    message
        .position()
        .unwrap_or_else(|| panic!("not a broadcast: {message:?}"))
}

/// Reads broadcasts from `ws` until one satisfies `last`, returning all of them (that one included).
async fn broadcasts_until(ws: &mut WsClient, last: impl Fn(&ServerMessage) -> bool) -> Vec<ServerMessage> {
    let mut got = Vec::new();
    loop {
        let message = ws.recv().await;
        if message.position().is_none() {
            continue;
        }
        let done = last(&message);
        got.push(message);
        if done {
            return got;
        }
    }
}

fn is_comment(body: &'static str) -> impl Fn(&ServerMessage) -> bool {
    move |m| matches!(m, ServerMessage::CommentAdded { comment, .. } if comment.body == body)
}

fn assert_increasing(what: &str, messages: &[ServerMessage]) {
    let positions: Vec<u64> = messages.iter().map(position).collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "{what}: positions not strictly increasing: {positions:?}"
    );
}

/// Every row of the event log, in order: position, kind, payload.
async fn logged(server: &TestServer) -> Vec<(u64, String, Value)> {
    let client = server.pool.get().await.unwrap();
    client
        .query("SELECT position, kind, payload FROM event_log ORDER BY position", &[])
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get::<_, i64>(0) as u64, row.get(1), row.get(2)))
        .collect()
}

#[actix_rt::test]
async fn positions_strictly_increase_match_across_sessions_and_rest_changes_carry_them() {
    let server = TestServer::start().await;
    let (ana, ben) = (
        server.agent("Ana", Role::Agent).await,
        server.agent("Ben", Role::Admin).await,
    );
    let (mut a, mut b) = (ana.ws().await, ben.ws().await);
    assert_eq!((a.welcome_position, b.welcome_position), (0, 0), "nothing happened yet");

    // Over WebSocket.
    let id = create_ticket(&mut a, "Street light out").await;
    a.call(json!({"type": "LockTicket", "ticket_id": id.0})).await;
    // A renewal is not broadcast.
    a.call(json!({"type": "LockTicket", "ticket_id": id.0})).await;
    a.call(json!({"type": "UpdateTicket", "ticket_id": id.0, "version": 1, "changes": {"status": "open"}}))
        .await;
    a.call(json!({"type": "AddComment", "ticket_id": id.0, "body": "on it", "internal": true}))
        .await;
    a.call(json!({"type": "UnlockTicket", "ticket_id": id.0})).await;
    // Over REST.
    let created = ben
        .post("/api/tickets", json!({"title": "Pothole", "body": "Big one"}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let rest_id = created.body["id"].as_i64().unwrap();
    let path = format!("/api/tickets/{rest_id}");
    let patched = ben
        .patch(&path, json!({"version": 1, "changes": {"priority": "high"}}))
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{patched:?}");
    let lock = ben.post(&format!("{path}/lock"), json!({})).await;
    assert_eq!(lock.status, StatusCode::OK, "{lock:?}");
    let commented = ben
        .post(
            &format!("{path}/comments"),
            json!({"body": "crew sent", "internal": false}),
        )
        .await;
    assert_eq!(commented.status, StatusCode::CREATED);
    let unlock = ben.delete(&format!("{path}/lock"), None).await;
    assert_eq!(unlock.status, StatusCode::NO_CONTENT, "{unlock:?}");
    // A late joiner is welcomed with the newest position this instance has delivered (its log reader
    // hands events on just after they commit: once `a` has the last one, so has the watermark), and sees
    // only what comes after.
    let before_late = logged(&server).await.last().unwrap().0;
    let mut seen_a = broadcasts_until(&mut a, |m| position(m) == before_late).await;
    let mut late = ana.ws().await;
    assert_eq!(late.welcome_position, before_late);
    ben.post(
        &format!("{path}/comments"),
        json!({"body": "the end", "internal": true}),
    )
    .await;

    seen_a.extend(broadcasts_until(&mut a, is_comment("the end")).await);
    let seen_b = broadcasts_until(&mut b, is_comment("the end")).await;
    let seen_late = broadcasts_until(&mut late, is_comment("the end")).await;
    assert_increasing("a", &seen_a);
    let kinds: Vec<&str> = seen_a.iter().map(ServerMessage::type_name).collect();
    assert_eq!(
        kinds,
        [
            "TicketCreated",
            "TicketLocked",
            "TicketUpdated",
            "CommentAdded",
            "TicketUnlocked",
            "TicketCreated",
            "TicketUpdated",
            "TicketLocked",
            "CommentAdded",
            "TicketUnlocked",
            "CommentAdded"
        ]
    );
    assert!(seen_a.iter().all(|m| position(m) > 0));
    assert_eq!(seen_a, seen_b, "the same events, positions and all, on every session");
    assert_eq!(seen_late.len(), 1);
    assert_eq!(seen_late[0], *seen_a.last().unwrap());
    assert!(position(&seen_late[0]) > late.welcome_position);

    // What was sent is what the log holds: every event, with its position, in the same order.
    let rows = logged(&server).await;
    assert_eq!(rows.len(), seen_a.len());
    for ((at, kind, payload), sent) in rows.iter().zip(&seen_a) {
        assert_eq!((*at, kind.as_str()), (position(sent), sent.type_name()));
        assert_eq!(*payload, serde_json::to_value(sent).unwrap());
    }

    // A snapshot names the position it includes.
    let (before, answer) = a.call_collecting(json!({"type": "GetTickets"})).await;
    assert!(matches!(answer, ServerMessage::Ack { .. }), "{answer:?}");
    match before.iter().find(|m| matches!(m, ServerMessage::AllTickets { .. })) {
        Some(ServerMessage::AllTickets { tickets, position, .. }) => {
            assert_eq!(tickets.len(), 2);
            assert_eq!(*position, rows.last().unwrap().0);
        }
        other => panic!("expected AllTickets, got {other:?}"),
    }
}

/// What a writer does, over and over, to its own ticket.
async fn write_cycles(agent: AgentClient, ws: WsClient, ticket: TicketId, over_rest: bool, cycles: usize) {
    // A REST writer's socket would go unread (and be dropped as too slow): it needs none.
    let mut ws = if over_rest {
        ws.close().await;
        None
    } else {
        Some(ws)
    };
    for cycle in 0..cycles {
        let version = (cycle + 1) as i64;
        if let Some(ws) = &mut ws {
            ws.call(json!({"type": "LockTicket", "ticket_id": ticket.0})).await;
            ws.call(json!({"type": "UpdateTicket", "ticket_id": ticket.0, "version": version, "changes": {"title": format!("ws {cycle}")}}))
                .await;
            ws.call(json!({"type": "AddComment", "ticket_id": ticket.0, "body": format!("ws note {cycle}"), "internal": true}))
                .await;
            ws.call(json!({"type": "UnlockTicket", "ticket_id": ticket.0})).await;
        } else {
            let path = format!("/api/tickets/{}", ticket.0);
            let patched = agent
                .patch(
                    &path,
                    json!({"version": version, "changes": {"title": format!("rest {cycle}")}}),
                )
                .await;
            assert_eq!(patched.status, StatusCode::OK, "{patched:?}");
            let commented = agent
                .post(
                    &format!("{path}/comments"),
                    json!({"body": format!("rest note {cycle}"), "internal": true}),
                )
                .await;
            assert_eq!(commented.status, StatusCode::CREATED);
        }
    }
    if let Some(ws) = ws {
        ws.close().await;
    }
}

/// A small deterministic random source (the seed is printed, so a failure can be replayed).
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

/// Everything the witness (a session that stays connected) received, shared with the test.
#[derive(Default)]
struct Witness {
    events: BTreeMap<u64, ServerMessage>,
    last: u64,
}

#[actix_rt::test]
async fn resuming_from_random_positions_under_twenty_concurrent_writers_delivers_exactly_what_was_missed() {
    const WRITERS: usize = 20;
    const CYCLES: usize = 12;
    const MIN_ROUNDS: usize = 6;
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("resume test seed: {seed}");
    let mut dice = Dice(seed);
    let server = TestServer::start().await;
    let reader = server.agent("Reader", Role::Agent).await;

    // The witness stays connected throughout; a task keeps reading it so it never falls behind.
    let mut witness_ws = reader.ws().await;
    let witness = Rc::new(RefCell::new(Witness::default()));
    let (seen_tx, mut seen_rx) = tokio::sync::watch::channel(0u64);
    {
        let witness = witness.clone();
        actix_rt::spawn(async move {
            loop {
                match witness_ws.next_message(std::time::Duration::from_secs(3600)).await {
                    Ok(Some(message)) => {
                        if let Some(at) = message.position() {
                            let mut w = witness.borrow_mut();
                            assert!(at > w.last, "the witness's positions must increase");
                            w.last = at;
                            w.events.insert(at, message);
                            let _ = seen_tx.send(at);
                        }
                    }
                    _ => return,
                }
            }
        });
    }

    // Twenty writers, each on its own ticket, half over WebSocket and half over REST.
    let mut writers = Vec::new();
    for i in 0..WRITERS {
        let agent = server.agent(&format!("Writer {i}"), Role::Agent).await;
        let mut ws = agent.ws().await;
        let ticket = create_ticket(&mut ws, &format!("ticket of writer {i}")).await;
        writers.push((agent, ws, ticket, i % 2 == 1));
    }
    let mut running = Vec::new();
    for (agent, ws, ticket, over_rest) in writers {
        running.push(actix_rt::spawn(write_cycles(agent, ws, ticket, over_rest, CYCLES)));
    }
    // Told once every writer has finished (and whether all succeeded).
    let (done_tx, mut done_rx) = tokio::sync::watch::channel(None::<bool>);
    actix_rt::spawn(async move {
        let mut ok = true;
        for handle in running {
            ok &= handle.await.is_ok();
        }
        let _ = done_tx.send(Some(ok));
    });
    let writers_done = |done: &tokio::sync::watch::Receiver<Option<bool>>| done.borrow().is_some();

    let mut rounds = 0;
    let mut replayed_total = 0;
    while rounds < MIN_ROUNDS || !writers_done(&done_rx) {
        rounds += 1;
        // Connect, watch a few events go by, then drop the connection without a goodbye.
        let mut ws = reader.ws().await;
        let mut last_seen = ws.welcome_position;
        for _ in 0..dice.below(20) {
            if writers_done(&done_rx) {
                break;
            }
            match ws.next_message(loket_tests::PATIENCE).await {
                Ok(Some(message)) => {
                    if let Some(at) = message.position() {
                        last_seen = at;
                    }
                }
                // The writers finished meanwhile: nothing more comes.
                Ok(None) if writers_done(&done_rx) => break,
                other => panic!("the reader's connection failed: {other:?}"),
            }
        }
        ws.abandon();
        // While it is away, more commits happen (unless the writers are done).
        let target = witness.borrow().last + 1 + dice.below(40);
        while !writers_done(&done_rx) && *seen_rx.borrow() < target {
            tokio::select! {
                changed = seen_rx.changed() => changed.expect("the witness keeps reading"),
                _ = done_rx.changed() => {}
            }
        }
        // Resume from where it was, or from anywhere earlier in the history.
        let history: Vec<u64> = witness.borrow().events.keys().copied().collect();
        let after = match dice.below(3) {
            0 => last_seen,
            1 => 0,
            _ => history
                .get(dice.below(history.len() as u64) as usize)
                .copied()
                .unwrap_or(0),
        };
        let mut ws = reader.ws().await;
        let welcomed_at = ws.welcome_position;
        let (got, answer) = ws.call_collecting(json!({"type": "Resume", "after": after})).await;
        let acked_at = match answer {
            ServerMessage::Ack { position: Some(at), .. } => at,
            other => panic!("Resume from {after} was not acked: {other:?}"),
        };
        let got: Vec<ServerMessage> = got.into_iter().filter(|m| m.position().is_some()).collect();
        // No duplicates; replayed ones (up to the Welcome) and live ones each in order.
        let positions: Vec<u64> = got.iter().map(position).collect();
        let unique: BTreeSet<u64> = positions.iter().copied().collect();
        assert_eq!(
            unique.len(),
            positions.len(),
            "round {rounds}: an event came twice: {positions:?}"
        );
        let (replayed, live): (Vec<ServerMessage>, Vec<ServerMessage>) =
            got.iter().cloned().partition(|m| position(m) <= welcomed_at);
        assert_increasing("replayed", &replayed);
        assert_increasing("live", &live);
        replayed_total += replayed.len();
        assert_eq!(
            acked_at,
            positions.iter().copied().max().unwrap_or(welcomed_at).max(welcomed_at),
            "the Ack names the newest position sent"
        );
        // Exactly what the witness, connected all along, received after `after`, up to the Ack.
        while *seen_rx.borrow() < acked_at {
            seen_rx.changed().await.expect("the witness keeps reading");
        }
        let expected: Vec<ServerMessage> = witness
            .borrow()
            .events
            .range(after + 1..)
            .take_while(|(at, _)| **at <= acked_at)
            .map(|(_, m)| m.clone())
            .collect();
        let mut sorted = got.clone();
        sorted.sort_by_key(position);
        assert_eq!(
            sorted.iter().map(position).collect::<Vec<_>>(),
            expected.iter().map(position).collect::<Vec<_>>(),
            "round {rounds}: resumed from {after} (welcomed at {welcomed_at}, acked at {acked_at})"
        );
        assert_eq!(sorted, expected, "the same events, byte for byte as parsed");
        ws.close().await;
    }
    assert_eq!(*done_rx.borrow(), Some(true), "every writer finished without failing");
    eprintln!(
        "resume test: {rounds} rounds, {replayed_total} events replayed, {} events witnessed",
        witness.borrow().events.len()
    );
    assert!(replayed_total > 0, "some rounds must have replayed history");

    // The witness saw every committed event: its positions are exactly the log's after its Welcome.
    let last = logged(&server).await.last().unwrap().0;
    while *seen_rx.borrow() < last {
        seen_rx.changed().await.expect("the witness keeps reading");
    }
    let in_log: Vec<u64> = logged(&server).await.iter().map(|(p, _, _)| *p).collect();
    let witnessed: Vec<u64> = witness.borrow().events.keys().copied().collect();
    let first = *witnessed.first().unwrap();
    assert_eq!(
        witnessed,
        in_log.into_iter().filter(|p| *p >= first).collect::<Vec<_>>()
    );
}

#[actix_rt::test]
async fn history_past_retention_or_in_the_future_answers_resync_required() {
    let server = TestServer::start_with(|config| {
        config.event_retention_hours = 0;
        config.event_retention_min_events = 3;
    })
    .await;
    let ana = server.agent("Ana", Role::Agent).await;
    let mut a = ana.ws().await;
    let id = create_ticket(&mut a, "Old news").await;
    for n in 0..6 {
        a.call(json!({"type": "AddComment", "ticket_id": id.0, "body": format!("note {n}"), "internal": true}))
            .await;
    }
    let rows = logged(&server).await;
    assert_eq!(rows.len(), 7);
    let newest = rows.last().unwrap().0;

    // The prune job's own function, with this server's retention: the 3 newest stay.
    let pruned = server.desk().events().prune().await.unwrap();
    assert_eq!(pruned.deleted, 4);
    let kept: Vec<u64> = logged(&server).await.iter().map(|(p, _, _)| *p).collect();
    assert_eq!(kept, rows[4..].iter().map(|(p, _, _)| *p).collect::<Vec<_>>());
    assert_eq!(pruned.pruned_through, rows[3].0);
    // Pruning again deletes nothing more.
    assert_eq!(server.desk().events().prune().await.unwrap().deleted, 0);

    let mut b = ana.ws().await;
    assert_eq!(b.welcome_position, newest);
    // From the start, or from a deleted event: gone.
    for after in [0, rows[2].0] {
        let (_, answer) = b.call_collecting(json!({"type": "Resume", "after": after})).await;
        assert!(
            matches!(
                answer,
                ServerMessage::Error {
                    code: ErrorCode::ResyncRequired,
                    ..
                }
            ),
            "{after}: {answer:?}"
        );
    }
    // From the newest deleted one: everything after it is still there.
    let (got, answer) = b.call_collecting(json!({"type": "Resume", "after": rows[3].0})).await;
    assert!(
        matches!(answer, ServerMessage::Ack { position: Some(p), .. } if p == newest),
        "{answer:?}"
    );
    assert_eq!(got.iter().map(position).collect::<Vec<_>>(), kept);
    // Resuming again from there sends nothing twice.
    let (again, answer) = b.call_collecting(json!({"type": "Resume", "after": rows[3].0})).await;
    assert!(again.is_empty(), "{again:?}");
    assert!(matches!(answer, ServerMessage::Ack { position: Some(p), .. } if p == newest));
    // A position this server never handed out.
    let (_, answer) = b
        .call_collecting(json!({"type": "Resume", "after": newest + 1000}))
        .await;
    assert!(
        matches!(
            answer,
            ServerMessage::Error {
                code: ErrorCode::ResyncRequired,
                ..
            }
        ),
        "{answer:?}"
    );
    // And the connection goes on working.
    a.call(json!({"type": "AddComment", "ticket_id": id.0, "body": "still live", "internal": true}))
        .await;
    let live = broadcasts_until(&mut b, is_comment("still live")).await;
    assert_eq!(live.len(), 1);
}

#[actix_rt::test]
async fn pruning_keeps_the_last_hours_and_the_newest_events_whichever_keeps_more() {
    let server = TestServer::start().await;
    let ana = server.agent("Ana", Role::Agent).await;
    let mut a = ana.ws().await;
    let id = create_ticket(&mut a, "Aging").await;
    for n in 0..9 {
        a.call(json!({"type": "AddComment", "ticket_id": id.0, "body": format!("note {n}"), "internal": true}))
            .await;
    }
    let all: Vec<u64> = logged(&server).await.iter().map(|(p, _, _)| *p).collect();
    assert_eq!(all.len(), 10);
    let mut client = server.pool.get().await.unwrap();
    const AGE: &str = "UPDATE event_log SET created_at = now() - interval '30 hours' WHERE position <= $1";
    let day = log_q::Retention {
        hours: 24,
        min_events: 2,
    };
    // Six events are 30 hours old: they go; the four of the last day stay, though only two must.
    client.execute(AGE, &[&(all[5] as i64)]).await.unwrap();
    let pruned = log_q::prune(&mut client, day).await.unwrap();
    assert_eq!((pruned.deleted, pruned.pruned_through), (6, all[5]));
    // All the rest aged too: the newest two stay all the same.
    client.execute(AGE, &[&(all[9] as i64)]).await.unwrap();
    let pruned = log_q::prune(&mut client, day).await.unwrap();
    assert_eq!((pruned.deleted, pruned.pruned_through), (2, all[7]));
    let kept: Vec<u64> = logged(&server).await.iter().map(|(p, _, _)| *p).collect();
    assert_eq!(kept, all[8..]);
    // Within both limits: nothing more goes.
    let pruned = log_q::prune(&mut client, log_q::Retention::default()).await.unwrap();
    assert_eq!((pruned.deleted, pruned.pruned_through), (0, all[7]));
}

#[actix_rt::test]
async fn a_client_resumes_across_restarts_and_hears_that_its_lock_ended() {
    let mut server = TestServer::start().await;
    let ana = server.agent("Ana", Role::Agent).await;
    let mut a = ana.ws().await;
    let id = create_ticket(&mut a, "Across a restart").await;
    a.call(json!({"type": "LockTicket", "ticket_id": id.0})).await;
    let seen = broadcasts_until(&mut a, |m| matches!(m, ServerMessage::TicketLocked { .. })).await;
    let resume_from = position(seen.last().unwrap());
    a.abandon();

    // Another process serves the same database meanwhile (while this one is down) and a change is made.
    let (config, addr) = (server.config.clone(), server.addr);
    server.stop().await;
    let other = TestServer::start_on(config.clone(), "127.0.0.1:0".parse().unwrap()).await;
    let elsewhere = AgentClient::login(&other.url(), "ana@example.org", loket_tests::server::PASSWORD)
        .await
        .expect("sign in to the other process");
    let commented = elsewhere
        .post(
            &format!("/api/tickets/{}/comments", id.0),
            json!({"body": "while you were away", "internal": true}),
        )
        .await;
    assert_eq!(commented.status, StatusCode::CREATED);
    other.stop().await;
    server = TestServer::start_on(config, addr).await;

    // Back on the first address: the client resumes and learns what it missed, in order.
    let mut a = ana.ws().await;
    let (got, answer) = a.call_collecting(json!({"type": "Resume", "after": resume_from})).await;
    assert!(matches!(answer, ServerMessage::Ack { .. }), "{answer:?}");
    assert_increasing("resumed", &got);
    let unlocked = got
        .iter()
        .position(|m| matches!(m, ServerMessage::TicketUnlocked { ticket_id, .. } if *ticket_id == id));
    let comment = got.iter().position(
        |m| matches!(m, ServerMessage::CommentAdded { comment, .. } if comment.body == "while you were away"),
    );
    let (unlocked, comment) = (
        unlocked.expect("the lock's end"),
        comment.expect("the comment made elsewhere"),
    );
    assert!(
        unlocked < comment,
        "the lock ended when its server stopped, before the comment"
    );
    assert!(matches!(
        got[unlocked],
        ServerMessage::TicketUnlocked {
            reason: UnlockReason::Disconnected | UnlockReason::Expired,
            ..
        }
    ));
    server.stop().await;
}

#[actix_rt::test]
async fn a_reader_outside_the_writer_waits_for_a_late_commit_and_skips_a_rollback() {
    let server = TestServer::start().await;
    let (mut first, mut second, reader) = (
        server.pool.get().await.unwrap(),
        server.pool.get().await.unwrap(),
        server.pool.get().await.unwrap(),
    );
    let event = |n: u64| ServerMessage::TicketUnlocked {
        ticket_id: TicketId(1),
        queue: loket_protocol::QueueId::ORIGINAL,
        reason: UnlockReason::Released,
        by: None,
        message: Some(format!("event {n}")),
        position: 0,
    };
    let start = log_q::horizon(&reader).await.unwrap();
    let mut follow: Follow<()> = Follow::new(start);
    // One read as a following instance makes it: what is missing and what is new, then a fence for
    // newly missing positions.
    let read = async |follow: &mut Follow<()>| {
        let missing: Vec<u64> = follow.missing().collect();
        let (events, facts) = log_q::read_after(&reader, follow.read_from(), &missing, 100)
            .await
            .unwrap();
        let out: Vec<u64> = follow
            .observe(events.into_iter().map(|e| (e.position, ())), facts.xmin)
            .into_iter()
            .map(|(p, ())| p)
            .collect();
        if follow.unfenced() {
            follow.fence(log_q::fresh_xid(&reader).await.unwrap());
        }
        out
    };

    // A takes the lower position, B the higher; B commits first.
    let a = first.transaction().await.unwrap();
    let low = log_q::append(&a, TicketId(1), &event(1)).await.unwrap();
    let b = second.transaction().await.unwrap();
    let high = log_q::append(&b, TicketId(1), &event(2)).await.unwrap();
    assert!(low < high);
    b.commit().await.unwrap();
    assert!(read(&mut follow).await.is_empty(), "{low} may still commit");
    assert!(read(&mut follow).await.is_empty(), "still in progress");
    a.commit().await.unwrap();
    assert_eq!(read(&mut follow).await, [low, high]);

    // Again, but the lower one rolls back: once it has ended, its position is skipped for good.
    let a = first.transaction().await.unwrap();
    let low = log_q::append(&a, TicketId(1), &event(3)).await.unwrap();
    let b = second.transaction().await.unwrap();
    let high = log_q::append(&b, TicketId(1), &event(4)).await.unwrap();
    b.commit().await.unwrap();
    assert!(read(&mut follow).await.is_empty());
    a.rollback().await.unwrap();
    // Once every transaction that was in progress when the gap was seen has ended (other tests' too:
    // the snapshot is the whole cluster's), the next read lets it go.
    let deadline = std::time::Instant::now() + loket_tests::PATIENCE;
    let mut handed = Vec::new();
    while follow.released() < high {
        assert!(
            std::time::Instant::now() < deadline,
            "the rolled-back {low} still held back {high}"
        );
        handed.extend(read(&mut follow).await);
    }
    assert_eq!(handed, [high]);
    assert!(low < high);

    // Transaction ids and positions in different orders: B has its id first, A takes the lower position
    // with a newer id, B commits. Unless another transaction newer than A ended meanwhile, A is listed in
    // no snapshot's in-progress list (its id is at or above `xmax`, one past the newest completed), which
    // is what let the in-progress rule pass `low` early; the fence holds it.
    let b = second.transaction().await.unwrap();
    b.query_one("SELECT pg_current_xact_id()", &[]).await.unwrap();
    let a = first.transaction().await.unwrap();
    let low = log_q::append(&a, TicketId(1), &event(5)).await.unwrap();
    let high = log_q::append(&b, TicketId(1), &event(6)).await.unwrap();
    assert!(low < high);
    b.commit().await.unwrap();
    assert!(read(&mut follow).await.is_empty(), "{low} may still commit");
    assert!(read(&mut follow).await.is_empty(), "still in progress");
    a.commit().await.unwrap();
    let mut handed = Vec::new();
    while follow.released() < high {
        handed.extend(read(&mut follow).await);
    }
    assert_eq!(handed, [low, high]);
}
