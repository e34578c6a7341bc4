//! Several instances on one PostgreSQL: three real `loket serve` processes on loopback sharing sign-ins and
//! tickets, registering themselves and cleaning up once after one that died; the Telegram bot on all three
//! with one poller and every notification delivered once, across a `kill -9` of its leader; webhook mode
//! behind a balancer; and the core's cluster API (clean-up claims, leases) driven directly.

use std::time::{Duration, Instant};

use loket_core::cluster::{Cluster as CoreCluster, DEAD_AFTER, InstanceInfo, LEADER_LEASE, LEADER_RENEW, LeaseName};
use loket_protocol::TicketId;
use loket_protocol::api::Role;
use loket_tests::cluster::{CLUSTER_PATIENCE, death_patience};
use loket_tests::telegram::TOKEN;
use loket_tests::{AgentClient, Balancer, Cluster, FakeTelegram, Instance, PATIENCE, TestServer, TgUser, pg};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::bot::{invite, report};

/// The `loket` program the instances run.
const LOKET: &str = env!("CARGO_BIN_EXE_loket-under-test");
/// The bot's lease, as the bot names it.
const BOT_LEASE: &str = loket_bot::BOT_LEASE.0;
/// The webhook secret the webhook tests configure.
const SECRET: &str = "cluster-test_secret-1";

/// Registers `user` with a fresh invite code (made by `admin`, on whichever instance it talks to).
async fn register(tg: &FakeTelegram, admin: &AgentClient, user: &TgUser) {
    let code = invite(admin, 1).await;
    tg.send_text(user, &format!("/start {code}"));
    tg.expect(user.id, "Welcome").await;
}

/// The next message to `chat` containing `needle`, skipping those before it (already counted elsewhere).
async fn expect_skipping(tg: &FakeTelegram, chat: i64, needle: &str) -> loket_tests::telegram::Sent {
    loop {
        let message = tg.next_message(chat).await;
        if message.text.contains(needle) {
            return message;
        }
    }
}

/// A public reply on `ticket` through `agent`'s instance.
async fn reply(agent: &AgentClient, ticket: TicketId, body: &str) {
    let posted = agent
        .post(
            &format!("/api/tickets/{}/comments", ticket.0),
            json!({"body": body, "internal": false}),
        )
        .await;
    assert_eq!(posted.status, StatusCode::CREATED, "{:?}", posted.body);
}

/// Waits up to `patience` until every one of `texts` reached `chat`; answers how long that took.
async fn delivered(tg: &FakeTelegram, chat: i64, texts: &[&str], patience: Duration) -> Duration {
    let asked = Instant::now();
    let all_there = tg
        .wait_until(patience, |state| {
            let sent = state.sent_to(chat);
            texts.iter().all(|t| sent.iter().any(|m| m.text.contains(t)))
        })
        .await;
    assert!(
        all_there,
        "not all of {texts:?} reached chat {chat} within {patience:?}: {:?}",
        tg.sent_to(chat).iter().map(|m| &m.text).collect::<Vec<_>>()
    );
    asked.elapsed()
}

/// Waits until `count` notifications of `ticket` are recorded as delivered (just after Telegram answered,
/// and with them which bot message is about the ticket, so a reply to it finds the ticket).
async fn recorded_delivered(agent: &AgentClient, ticket: TicketId, count: usize) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let detail = agent.get(&format!("/api/tickets/{}", ticket.0)).await.body;
        let list = detail["notifications"].as_array().cloned().unwrap_or_default();
        if list.iter().filter(|n| n["status"] == "delivered").count() >= count {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "notifications never recorded: {list:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Each of `texts` reached `chat` exactly once, in this order.
fn once_in_order(tg: &FakeTelegram, chat: i64, texts: &[&str]) {
    let sent: Vec<String> = tg.sent_to(chat).into_iter().map(|m| m.text).collect();
    let mut positions = Vec::new();
    for text in texts {
        let hits: Vec<usize> = sent
            .iter()
            .enumerate()
            .filter(|(_, m)| m.contains(text))
            .map(|(i, _)| i)
            .collect();
        assert_eq!(hits.len(), 1, "{text:?} was sent {} times: {sent:#?}", hits.len());
        positions.push(hits[0]);
    }
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "out of order: {sent:#?}");
}

/// How many comments the reporter wrote on `ticket`.
async fn reporter_comments(agent: &AgentClient, ticket: TicketId) -> usize {
    let detail = agent.get(&format!("/api/tickets/{}", ticket.0)).await.body;
    detail["comments"]
        .as_array()
        .expect("comments")
        .iter()
        .filter(|c| c["author"]["kind"] == "reporter")
        .count()
}

/// The ticket's lock events, oldest first: (kind, reason).
async fn lock_events(agent: &AgentClient, ticket: i64) -> Vec<(String, Option<String>)> {
    let events = agent.get(&format!("/api/tickets/{ticket}/events")).await.body;
    events
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["kind"].as_str().is_some_and(|k| k.starts_with("lock_")))
        .map(|e| {
            (
                e["kind"].as_str().unwrap_or_default().to_string(),
                e["reason"].as_str().map(str::to_string),
            )
        })
        .collect()
}

/// Takes the lock on `ticket` through a WebSocket session of `agent`, kept open by the caller: a session's
/// lease ends with its instance (a REST lease would outlive it).
async fn session_lock(agent: &AgentClient, ticket: i64) -> loket_tests::WsClient {
    let mut ws = agent.ws().await;
    let answer = ws.call(json!({"type": "LockTicket", "ticket_id": ticket})).await;
    assert!(
        matches!(answer, loket_protocol::ws::ServerMessage::Ack { .. }),
        "{answer:?}"
    );
    ws
}

/// The history entry a session's lease gets when its instance stops or dies.
fn ended_with_instance() -> (String, Option<String>) {
    (
        "lock_disconnected".to_string(),
        Some(loket_core::db::leases::INSTANCE_DIED.to_string()),
    )
}

#[actix_rt::test]
async fn three_instances_share_sign_ins_and_tickets_and_start_up_leaves_live_locks_alone() {
    let mut cluster = Cluster::start(LOKET, 3, &[]).await;
    let email = cluster.agent("Ana", Role::Admin).await;
    let ana = cluster.instances[0].sign_in(&email).await;

    // A sign-in made on one instance works on the others.
    for instance in &cluster.instances[1..] {
        let me = ana.on(&instance.url).get("/api/auth/me").await;
        assert_eq!(me.status, StatusCode::OK, "{}: {:?}", instance.url, me.body);
        assert_eq!(me.body["email"], email.as_str());
    }
    let created = ana
        .on(&cluster.instances[1].url)
        .post("/api/tickets", json!({"title": "Lampu mati di Jl. Sudirman"}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let id = created.body["id"].as_i64().expect("an id");
    let seen = ana
        .on(&cluster.instances[2].url)
        .get(&format!("/api/tickets/{id}"))
        .await;
    assert_eq!(seen.body["ticket"]["title"], "Lampu mati di Jl. Sudirman");

    // Each instance registered itself for operators, alive by the database clock.
    let client = cluster.pool.get().await.unwrap();
    for (index, instance) in cluster.instances.iter().enumerate() {
        let row = client
            .query_one(
                "SELECT host, bind, version, stopped_at IS NULL AND heartbeat_at > now() - interval '30 seconds'
                 FROM instances WHERE id = $1",
                &[&cluster.instance_id(index).await],
            )
            .await
            .unwrap();
        let (host, bind, version, alive): (String, String, String, bool) =
            (row.get(0), row.get(1), row.get(2), row.get(3));
        assert!(!host.is_empty());
        assert_eq!(bind, instance.addr.to_string());
        assert_eq!(version, env!("CARGO_PKG_VERSION"));
        assert!(alive, "instance {index} is alive");
    }

    // A lock held on instance 0 stays open on record when another instance starts.
    let _holder = session_lock(&ana, id).await;
    let fourth = cluster.add().await;
    ana.on(&cluster.instances[fourth].url).get("/api/auth/me").await;
    assert_eq!(
        lock_events(&ana, id).await,
        [("lock_taken".to_string(), None)],
        "a starting instance closed a live instance's lock"
    );

    // Signing out on one instance signs out everywhere.
    let other = cluster.instances[3].sign_in(&email).await;
    assert_eq!(
        other
            .on(&cluster.instances[2].url)
            .post("/api/auth/logout", json!({}))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        other.on(&cluster.instances[1].url).get("/api/auth/me").await.status,
        StatusCode::UNAUTHORIZED
    );

    // A graceful stop cleans up after itself at once: its session's lock ends as disconnected, once
    // (as the socket closes, or as the instance leaves the cluster, whichever comes first).
    let stopping = cluster.instance_id(0).await;
    let status = cluster.instances[0].terminate().await;
    assert!(status.success(), "{status:?}");
    let survivor = ana.on(&cluster.instances[1].url);
    let kinds: Vec<String> = lock_events(&survivor, id).await.into_iter().map(|e| e.0).collect();
    assert_eq!(kinds, ["lock_taken", "lock_disconnected"]);
    let row = client
        .query_one(
            "SELECT stopped_at IS NOT NULL, cleaned_by FROM instances WHERE id = $1",
            &[&stopping],
        )
        .await
        .unwrap();
    assert_eq!(
        (row.get::<_, bool>(0), row.get::<_, Option<i64>>(1)),
        (true, Some(stopping))
    );
}

#[actix_rt::test]
async fn with_the_bot_on_three_instances_one_polls_and_every_notification_arrives_once_across_a_killed_leader() {
    let tg = FakeTelegram::start_with_patience(death_patience()).await;
    let api = tg.url();
    let env = [("TELEGRAM_BOT_TOKEN", TOKEN), ("TELEGRAM_API_URL", api.as_str())];
    let mut cluster = Cluster::start(LOKET, 3, &env).await;
    let leader = cluster.await_lease_holder(BOT_LEASE, None, CLUSTER_PATIENCE).await;
    let email = cluster.agent("Ana", Role::Admin).await;
    let agents: Vec<AgentClient> = {
        let first = cluster.instances[0].sign_in(&email).await;
        cluster.instances.iter().map(|i| first.on(&i.url)).collect()
    };

    // A reporter registers and files a report; whichever instance handles each update.
    let budi = TgUser::new(9101, "Budi", "en");
    register(&tg, &agents[1], &budi).await;
    let (ticket, _) = report(&tg, &budi, "Lampu jalan mati").await;

    // A reply from an agent on each instance: all delivered by the leader, once each, in order.
    let before: Vec<String> = (0..3).map(|i| format!("Balasan dari instans {i}")).collect();
    for (i, text) in before.iter().enumerate() {
        reply(&agents[i], ticket, text).await;
    }
    let texts: Vec<&str> = before.iter().map(String::as_str).collect();
    delivered(&tg, budi.id, &texts, CLUSTER_PATIENCE).await;
    once_in_order(&tg, budi.id, &texts);
    recorded_delivered(&agents[0], ticket, before.len()).await;

    // The reporter answers one of them: one comment, whoever handled it. `/help` after it is a fence:
    // one sender's updates are handled in order.
    let answered = tg
        .sent_to(budi.id)
        .into_iter()
        .find(|m| m.text.contains(&before[2]))
        .expect("the third reply");
    tg.reply(&budi, &answered, "Masih mati sampai sekarang");
    tg.send_text(&budi, "/help");
    expect_skipping(&tg, budi.id, "/mytickets").await;
    assert_eq!(reporter_comments(&agents[0], ticket).await, 1);
    assert_eq!(tg.conflicts(), 0, "two instances polled getUpdates at once");

    // The leader holds a lock; then it is killed mid-flight.
    let _holder = session_lock(&agents[leader], ticket.0).await;
    let dead_id = cluster.instance_id(leader).await;
    cluster.instances[leader].kill();
    let survivors: Vec<usize> = (0..3).filter(|i| *i != leader).collect();
    let after: Vec<String> = (0..2).map(|i| format!("Setelah instans mati {i}")).collect();
    for (i, text) in after.iter().enumerate() {
        reply(&agents[survivors[i]], ticket, text).await;
    }
    let texts: Vec<&str> = after.iter().map(String::as_str).collect();
    let took = delivered(&tg, budi.id, &texts, death_patience()).await;
    println!(
        "delivery resumed {took:?} after the leader was killed (lease {LEADER_LEASE:?}, renewal {LEADER_RENEW:?})"
    );
    let new_leader = cluster
        .await_lease_holder(BOT_LEASE, Some(leader), CLUSTER_PATIENCE)
        .await;
    assert!(survivors.contains(&new_leader));
    let all: Vec<&str> = before.iter().chain(after.iter()).map(String::as_str).collect();
    once_in_order(&tg, budi.id, &all);
    assert_eq!(tg.conflicts(), 0, "two instances polled getUpdates at once");

    // Once the dead instance has been silent long enough, exactly one survivor cleans up after it.
    let deadline = tokio::time::Instant::now() + death_patience();
    let client = cluster.pool.get().await.unwrap();
    let cleaned_by = loop {
        let row = client
            .query_one("SELECT cleaned_by FROM instances WHERE id = $1", &[&dead_id])
            .await
            .unwrap();
        if let Some(by) = row.get::<_, Option<i64>>(0) {
            break by;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "nobody cleaned up after the dead instance"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let mut survivor_ids = Vec::new();
    for &i in &survivors {
        survivor_ids.push(cluster.instance_id(i).await);
    }
    assert!(
        survivor_ids.contains(&cleaned_by),
        "cleaned by {cleaned_by}, not a survivor"
    );
    let dead_hex = format!("{dead_id:016x}");
    let cleanups: usize = survivors
        .iter()
        .map(|&i| {
            cluster.instances[i]
                .log_lines()
                .iter()
                .filter(|l| l.contains("cleaned up after a dead instance") && l.contains(&dead_hex))
                .count()
        })
        .sum();
    assert_eq!(cleanups, 1, "the clean-up ran {cleanups} times");
    // The dead leader's lock ended exactly once: by the clean-up, or, when the machine is so loaded that
    // the lease's own expiry came first, as expired (both instances' rules record an end only for a
    // lease row they deleted).
    let events = lock_events(&agents[survivors[0]], ticket.0).await;
    let expired = ("lock_expired".to_string(), None);
    let ended = events
        .iter()
        .filter(|e| **e == ended_with_instance() || **e == expired)
        .count();
    assert_eq!(ended, 1, "{events:?}");
    assert!(
        events.last() == Some(&ended_with_instance()) || events.last() == Some(&expired),
        "{events:?}"
    );
}

#[actix_rt::test]
async fn in_webhook_mode_any_instance_takes_updates_once_and_refuses_a_wrong_secret() {
    let tg = FakeTelegram::start_with_patience(CLUSTER_PATIENCE).await;
    let balancer = Balancer::start();
    let hook = format!("{}/telegram/webhook", balancer.url());
    let api = tg.url();
    let env = [
        ("TELEGRAM_BOT_TOKEN", TOKEN),
        ("TELEGRAM_API_URL", api.as_str()),
        ("TELEGRAM_WEBHOOK_URL", hook.as_str()),
        ("TELEGRAM_WEBHOOK_SECRET", SECRET),
    ];
    let cluster = Cluster::start(LOKET, 3, &env).await;
    balancer.set_backends(cluster.addrs());
    assert!(
        tg.wait_until(CLUSTER_PATIENCE, |s| s.webhook().is_some()).await,
        "the leader did not set the webhook; logs:\n{}",
        cluster
            .instances
            .iter()
            .map(|i| i.log_lines().join("\n"))
            .collect::<Vec<_>>()
            .join("\n---\n")
    );
    let webhook = tg.webhook().expect("a webhook");
    assert_eq!(
        (webhook.url.as_str(), webhook.secret.as_deref()),
        (hook.as_str(), Some(SECRET))
    );

    let email = cluster.agent("Ana", Role::Admin).await;
    let ana = cluster.instances[2].sign_in(&email).await;
    let sari = TgUser::new(9201, "Sari", "en");
    register(&tg, &ana, &sari).await;
    let (ticket, filed) = report(&tg, &sari, "Jalan berlubang").await;
    assert_eq!(tg.get_updates(), 0, "nobody polls in webhook mode");

    // A missing or wrong secret is refused, and nothing is recorded.
    let http = reqwest::Client::new();
    let stray = tg.text_update(&sari, "/mytickets");
    let stray_id = stray["update_id"].as_i64().unwrap();
    let url = format!("{}/telegram/webhook", cluster.instances[1].url);
    let missing = http.post(&url).json(&stray).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    let wrong = http
        .post(&url)
        .header("X-Telegram-Bot-Api-Secret-Token", "not-the-secret")
        .json(&stray)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let body: Value = wrong.json().await.unwrap();
    assert_eq!(body["code"], "unauthorized");
    let client = cluster.pool.get().await.unwrap();
    let recorded: i64 = client
        .query_one(
            "SELECT count(*) FROM telegram_updates WHERE update_id = $1",
            &[&stray_id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(recorded, 0);

    // Telegram retrying an update it saw acknowledged (twice more) makes one comment.
    let (acks_before, _) = tg.webhook_posts();
    tg.repeat_webhook_deliveries(2);
    tg.reply(&sari, &filed, "Sudah seminggu");
    tg.send_text(&sari, "/help");
    expect_skipping(&tg, sari.id, "/mytickets").await;
    assert!(
        tg.wait_until(PATIENCE, |s| s.webhook_acks() >= acks_before + 6).await,
        "the repeats were posted and acknowledged too"
    );
    tg.repeat_webhook_deliveries(0);
    assert_eq!(reporter_comments(&ana, ticket).await, 1);

    // The same update reaching two instances at once is handled once.
    let twice = tg.text_update(&sari, "/help");
    let post = |instance: usize| {
        http.post(format!("{}/telegram/webhook", cluster.instances[instance].url))
            .header("X-Telegram-Bot-Api-Secret-Token", SECRET)
            .json(&twice)
            .send()
    };
    let (a, b) = tokio::join!(post(0), post(1));
    assert_eq!(
        (a.unwrap().status(), b.unwrap().status()),
        (StatusCode::OK, StatusCode::OK)
    );
    tg.expect(sari.id, "/mytickets").await;
    tg.send_text(&sari, "/mytickets");
    let after = tg.next_message(sari.id).await;
    assert!(
        after.text.contains(&ticket.key()),
        "{after:?}: a second /help was answered"
    );
}

#[actix_rt::test]
async fn alone_on_the_embedded_database_a_killed_servers_locks_are_closed_at_the_next_start() {
    let dir = pg::scratch_dir("embedded-kill");
    let env = [
        ("LOKET_ADMIN_EMAIL", "ada@example.org"),
        ("LOKET_ADMIN_PASSWORD", loket_tests::server::PASSWORD),
    ];
    let mut first = Instance::start_on(LOKET, &dir, &env).await;
    let ada = first.sign_in("ada@example.org").await;
    let created = ada.post("/api/tickets", json!({"title": "Held when killed"})).await;
    let id = created.body["id"].as_i64().unwrap();
    let _holder = session_lock(&ada, id).await;
    first.kill();

    // The data directory takes one server, so the killed one is gone for sure: no 30 s wait.
    let second = Instance::start_on(LOKET, &dir, &env).await;
    let ada = second.sign_in("ada@example.org").await;
    assert_eq!(
        lock_events(&ada, id).await,
        [("lock_taken".to_string(), None), ended_with_instance()]
    );
    let detail = ada.get(&format!("/api/tickets/{id}")).await.body;
    assert!(detail["ticket"]["lock"].is_null());
    // A graceful stop also stops the embedded PostgreSQL it took over.
    let mut second = second;
    assert!(second.terminate().await.success());
    assert!(
        !dir.join("postgres/data/postmaster.pid").exists(),
        "PostgreSQL was left running"
    );
}

#[actix_rt::test]
async fn the_clean_up_after_a_dead_instance_is_claimed_by_one_survivor_and_leases_change_hands() {
    loket_tests::init_logging();
    let url = pg::fresh_database().await;
    let pool = loket_core::db::pool(&url, 4).unwrap();
    let info = InstanceInfo::this_process("127.0.0.1:0");
    let (a, b, gone) = (
        CoreCluster::new(pool.clone(), info.clone()),
        CoreCluster::new(pool.clone(), info.clone()),
        CoreCluster::new(pool.clone(), info),
    );
    for instance in [&a, &b, &gone] {
        instance.join(false).await.unwrap();
    }
    assert!(a.is_alive(gone.id()).await.unwrap());
    let before = chrono::Utc::now() - chrono::Duration::minutes(1);
    assert!(a.dead_since(before).await.unwrap().is_empty());

    // `gone` falls silent (its last heartbeat is moved back past DEAD_AFTER): both survivors try at once.
    let client = pool.get().await.unwrap();
    let silent = i64::try_from(DEAD_AFTER.as_secs()).unwrap() + 1;
    client
        .execute(
            "UPDATE instances SET heartbeat_at = now() - $2::bigint * interval '1 second' WHERE id = $1",
            &[&gone.id().0, &silent],
        )
        .await
        .unwrap();
    assert!(!a.is_alive(gone.id()).await.unwrap());
    let dead = b.dead_since(before).await.unwrap();
    assert_eq!(dead.iter().map(|d| d.id).collect::<Vec<_>>(), [gone.id()]);
    let (by_a, by_b) = tokio::join!(a.clean_up_dead(), b.clean_up_dead());
    let (by_a, by_b) = (by_a.unwrap(), by_b.unwrap());
    assert_eq!(by_a.len() + by_b.len(), 1, "cleaned {} times", by_a.len() + by_b.len());
    let cleaner = if by_a.is_empty() { b.id() } else { a.id() };
    let again = a.dead_since(before).await.unwrap();
    assert_eq!(again[0].cleaned_by, Some(cleaner));
    assert!(a.clean_up_dead().await.unwrap().is_empty(), "never twice");

    // One holder of a lease at a time; a released lease goes to the other at its next try.
    let name = LeaseName("cluster-test");
    let (first, second) = (a.leadership(name), b.leadership(name));
    let holder = tokio::select! {
        term = first.acquired() => { assert!(!second.holds(term)); term }
        term = second.acquired() => term,
    };
    let (holding, waiting) = if first.holds(holder) {
        (&first, &second)
    } else {
        (&second, &first)
    };
    assert!(waiting.current().is_none(), "two holders at once");
    holding.release();
    let took = tokio::time::timeout(LEADER_RENEW + PATIENCE, waiting.acquired())
        .await
        .expect("the other instance took the released lease");
    assert!(took.token > holder.token, "the fencing token grows with each holder");
    assert!(holding.current().is_none());
}

#[actix_rt::test]
async fn attachment_files_stored_by_an_earlier_release_move_into_the_database_at_start() {
    let mut server = TestServer::start().await;
    let admin = server.agent("Ada", Role::Admin).await;
    let created = admin.post("/api/tickets", json!({"title": "Old photo"})).await;
    let id = created.body["id"].as_i64().unwrap();
    // As releases before V13 stored it: a file under the data directory, named by the row.
    let relative = format!("attachments/{id}/00000000000000ab-photo.jpg");
    let file = server.data_dir().join(&relative);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, b"JPEG: an old photo").unwrap();
    let client = server.pool.get().await.unwrap();
    let attachment: i64 = client
        .query_one(
            "INSERT INTO attachments (ticket_id, file_name, content_type, size_bytes, storage_path)
             VALUES ($1, 'photo.jpg', 'image/jpeg', 18, $2) RETURNING id",
            &[&id, &relative],
        )
        .await
        .unwrap()
        .get(0);
    drop(client);
    let download = admin.get(&format!("/api/attachments/{attachment}")).await;
    assert_eq!(
        download.body,
        Value::String("JPEG: an old photo".into()),
        "served from the file meanwhile"
    );

    server.restart().await;
    assert!(!file.exists(), "the file was moved, not copied");
    let client = server.pool.get().await.unwrap();
    let row = client
        .query_one(
            "SELECT storage_path, (SELECT count(*) FROM attachment_chunks WHERE attachment_id = $1)
             FROM attachments WHERE id = $1",
            &[&attachment],
        )
        .await
        .unwrap();
    assert_eq!((row.get::<_, Option<String>>(0), row.get::<_, i64>(1)), (None, 1));
    let download = admin.get(&format!("/api/attachments/{attachment}")).await;
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(download.body, Value::String("JPEG: an old photo".into()));
}

#[actix_rt::test]
async fn a_large_attachment_is_stored_in_chunks_and_read_back_whole() {
    let server = TestServer::start().await;
    let admin = server.agent("Ada", Role::Admin).await;
    let created = admin.post("/api/tickets", json!({"title": "Big file"})).await;
    let ticket = TicketId(created.body["id"].as_i64().unwrap());
    let bytes: Vec<u8> = (0..(2 * loket_core::db::attachments::CHUNK_BYTES + 17))
        .map(|i| (i % 251) as u8)
        .collect();
    let author = loket_protocol::ticket::Author::Agent {
        id: admin.agent.id,
        name: admin.agent.name.clone(),
    };
    let draft = loket_core::db::tickets::AttachmentDraft {
        comment_id: None,
        file_name: "scan.pdf".into(),
        content_type: "application/pdf".into(),
        content: std::sync::Arc::from(bytes.clone()),
        telegram_file_id: None,
        uploaded_by: None,
    };
    let attached = server
        .desk()
        .attach(ticket, author.clone(), draft.clone())
        .await
        .unwrap();
    assert_eq!(attached.size_bytes, i64::try_from(bytes.len()).unwrap());
    let response = reqwest::Client::new()
        .get(format!("{}{}", server.url(), attached.url))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-length"], bytes.len().to_string().as_str());
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("scan.pdf")
    );
    assert_eq!(response.bytes().await.unwrap().as_ref(), bytes.as_slice());
    // Over the limit: refused, nothing recorded.
    let too_big = loket_core::db::tickets::AttachmentDraft {
        content: std::sync::Arc::from(vec![0u8; loket_core::db::attachments::MAX_ATTACHMENT_BYTES + 1]),
        ..draft
    };
    let refused = server.desk().attach(ticket, author, too_big).await;
    assert!(
        matches!(refused, Err(loket_core::AppError::PayloadTooLarge)),
        "{refused:?}"
    );
    let detail = admin.get(&format!("/api/tickets/{}", ticket.0)).await.body;
    assert_eq!(detail["attachments"].as_array().unwrap().len(), 1);
}
