//! `loket demo`: a fresh database filled with a working desk, seen through the real server's REST API;
//! the same seed gives the same desk; a database with tickets is refused unless forced.

use std::collections::BTreeSet;
use std::net::SocketAddr;

use chrono::{Duration, Utc};
use loket_core::{AppError, StartError};
use loket_protocol::api::{Category, InviteCode, Role, TicketDetail, TicketPage};
use loket_protocol::ticket::{Author, NotificationStatus, Status, TicketEventKind};
use loket_server::config::{Config, DemoArgs};
use loket_tests::browser::{self, Browser};
use loket_tests::{AgentClient, TestServer, pg};
use reqwest::StatusCode;

/// Words only Indonesian text uses, and words only English text uses (lower case).
const INDONESIAN_WORDS: &[&str] = &[
    "di", "yang", "dan", "tidak", "sudah", "sejak", "ada", "mohon", "kami", "untuk", "dari", "ke", "jalan",
];
const ENGLISH_WORDS: &[&str] = &[
    "the", "and", "is", "has", "for", "to", "of", "on", "in", "it", "we", "there",
];

fn args(seed: u64, tickets: u32, force: bool) -> DemoArgs {
    DemoArgs { seed, tickets, force }
}

async fn fresh_config() -> Config {
    Config::for_database(pg::fresh_database().await, pg::scratch_dir("demo"))
}

/// Which language `text` is in, by counting words only one of the two languages uses.
fn language_of(text: &str) -> Option<&'static str> {
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower.split(|c: char| !c.is_alphabetic()).collect();
    let count = |markers: &[&str]| words.iter().filter(|w| markers.contains(w)).count();
    let (id, en) = (count(INDONESIAN_WORDS), count(ENGLISH_WORDS));
    match id.cmp(&en) {
        std::cmp::Ordering::Greater => Some("id"),
        std::cmp::Ordering::Less => Some("en"),
        std::cmp::Ordering::Equal => None,
    }
}

#[test]
fn the_language_check_tells_the_two_apart() {
    assert_eq!(
        language_of("Lampu jalan mati di Jl. Merdeka sejak tiga hari lalu"),
        Some("id")
    );
    assert_eq!(
        language_of("Street lights out on Jl. Merdeka for three days"),
        Some("en")
    );
    assert_eq!(language_of("TKT-0001"), None);
}

#[actix_rt::test]
async fn the_demo_fills_a_working_desk_that_the_api_shows() {
    let config = fresh_config().await;
    let database =
        loket_server::open_database(&config, loket_core::DatabasePurpose::Command).expect("open the database");
    let report = loket_server::demo(&database.pool, &args(5, 60, false))
        .await
        .expect("the demo fills a fresh database");
    assert_eq!(report.tickets.len(), 60);
    assert_eq!(report.indonesian + report.english, 60);
    drop(database);

    let server = TestServer::start_on(config, SocketAddr::from(([127, 0, 0, 1], 0))).await;
    assert!(
        server.generated_admin.is_none(),
        "the demo's agents staff the desk: no first admin is generated"
    );
    // Every demo agent signs in with the password printed once.
    let admin = AgentClient::login(&server.url(), &report.agents[0].agent.email, &report.password)
        .await
        .expect("the demo admin signs in");
    assert_eq!(admin.agent.role, Role::Admin);
    for demo_agent in &report.agents[1..] {
        assert!(demo_agent.created);
        let agent = AgentClient::login(&server.url(), &demo_agent.agent.email, &report.password)
            .await
            .expect("a demo agent signs in");
        assert_eq!(agent.agent.role, Role::Agent);
    }
    let shown = report.to_string();
    assert!(
        shown.contains(&report.password) && shown.contains(&report.agents[0].agent.email),
        "{shown}"
    );

    let categories: Vec<Category> = serde_json::from_value(admin.get("/api/categories").await.body).unwrap();
    assert_eq!(categories.len(), 8);
    let invites: Vec<InviteCode> = serde_json::from_value(admin.get("/api/invite-codes").await.body).unwrap();
    assert_eq!(invites.len(), 3);
    assert!(
        invites.iter().any(|i| i.uses == 40),
        "the reporters registered with one code: {invites:?}"
    );
    let client = server.pool.get().await.unwrap();
    let row = client
        .query_one(
            "SELECT count(*), count(DISTINCT language), min(telegram_user_id) FROM reporters",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), 40);
    assert_eq!(row.get::<_, i64>(1), 2, "reporters speak Indonesian and English");
    assert!(
        row.get::<_, i64>(2) > 1 << 52,
        "no real Telegram account has a demo reporter's id"
    );

    let page: TicketPage = serde_json::from_value(admin.get("/api/tickets?status=any&limit=200").await.body).unwrap();
    assert_eq!(page.total, 60);
    let now = Utc::now();
    let mut statuses = BTreeSet::new();
    let mut priorities = BTreeSet::new();
    let mut languages = Vec::new();
    let (mut internal_notes, mut reporter_comments, mut delivered) = (0, 0, 0);
    let mut kinds = BTreeSet::new();
    for ticket in &page.tickets {
        let reply = admin.get(&format!("/api/tickets/{}", ticket.id.0)).await;
        assert_eq!(reply.status, StatusCode::OK);
        let detail: TicketDetail = serde_json::from_value(reply.body).unwrap();
        let t = &detail.ticket;
        assert!(t.lock.is_none(), "{}: every demo ticket ends unlocked", t.key);
        statuses.insert(t.status.as_str());
        priorities.insert(t.priority.as_str());
        let language = language_of(&format!("{} {}", t.title, t.body));
        assert!(
            language.is_some(),
            "{}: which language? {} / {}",
            t.key,
            t.title,
            t.body
        );
        languages.push(language);

        // The history is the real one, dated over the past months, in order.
        let first = detail.events.first().expect("every ticket has a history");
        assert_eq!(first.kind, TicketEventKind::Created, "{}", t.key);
        assert_eq!(first.created_at, t.created_at, "{}", t.key);
        assert!(t.created_at < now - Duration::minutes(10) && t.created_at > now - Duration::days(125));
        assert!(
            detail.events.windows(2).all(|w| w[0].created_at <= w[1].created_at),
            "{}",
            t.key
        );
        assert!(detail.events.iter().all(|e| e.created_at < now), "{}", t.key);
        kinds.extend(detail.events.iter().map(|e| e.kind.as_str()));
        let commented = detail
            .events
            .iter()
            .filter(|e| e.kind == TicketEventKind::Commented)
            .count();
        assert_eq!(
            commented,
            detail.comments.len(),
            "{}: one audit entry per comment",
            t.key
        );
        assert!(
            detail
                .comments
                .iter()
                .all(|c| c.created_at >= t.created_at && c.created_at < now)
        );
        if t.status != Status::New {
            assert!(t.assignee.is_some() || t.status == Status::Closed, "{}", t.key);
            assert!(
                !detail.comments.is_empty(),
                "{}: a worked ticket has a conversation",
                t.key
            );
            let changes = detail.events.iter().filter(|e| e.kind == TicketEventKind::Changed);
            assert!(
                changes
                    .clone()
                    .any(|e| e.field == Some(loket_protocol::ticket::Field::Status)),
                "{}: its status changes are on record",
                t.key
            );
            let taken = detail
                .events
                .iter()
                .filter(|e| e.kind == TicketEventKind::LockTaken)
                .count();
            let ended = detail
                .events
                .iter()
                .filter(|e| matches!(e.kind, TicketEventKind::LockReleased | TicketEventKind::LockBroken))
                .count();
            assert!(
                taken > 0 && taken == ended,
                "{}: every lock taken was given back",
                t.key
            );
        }
        internal_notes += detail.comments.iter().filter(|c| c.internal).count();
        reporter_comments += detail
            .comments
            .iter()
            .filter(|c| matches!(c.author, Author::Reporter { .. }))
            .count();
        for notification in &detail.notifications {
            assert_eq!(notification.status, NotificationStatus::Delivered, "{}", t.key);
            assert!(!notification.body.is_empty(), "{}: worded as the bot words it", t.key);
            delivered += 1;
        }
    }
    assert!(statuses.len() >= 4, "a spread of statuses: {statuses:?}");
    assert!(priorities.len() >= 3, "a spread of priorities: {priorities:?}");
    for kind in [
        TicketEventKind::Created,
        TicketEventKind::Changed,
        TicketEventKind::Commented,
        TicketEventKind::LockTaken,
        TicketEventKind::LockReleased,
    ] {
        assert!(kinds.contains(kind.as_str()), "{kind:?} in some history");
    }
    assert!(internal_notes > 0 && reporter_comments > 0 && delivered > 0);
    let indonesian = languages.iter().filter(|l| **l == Some("id")).count();
    let english = languages.iter().filter(|l| **l == Some("en")).count();
    assert!(
        indonesian >= 15 && english >= 10,
        "{indonesian} tickets in Indonesian, {english} in English"
    );
    assert_eq!((indonesian, english), (report.indonesian, report.english));
    server.stop().await;
}

/// Titles, statuses and conversations of every ticket, oldest first.
async fn desk_contents(pool: &loket_core::db::Pool) -> Vec<(String, String, String, Option<String>)> {
    let client = pool.get().await.unwrap();
    client
        .query(
            "SELECT t.title, t.status, t.priority,
                    (SELECT string_agg(c.body, ' | ' ORDER BY c.id) FROM comments c WHERE c.ticket_id = t.id)
             FROM tickets t ORDER BY t.id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect()
}

#[actix_rt::test]
async fn the_same_seed_gives_the_same_desk_on_another_database() {
    loket_tests::init_logging();
    let mut desks = Vec::new();
    for seed in [42, 42, 43] {
        let config = fresh_config().await;
        let database = loket_server::open_database(&config, loket_core::DatabasePurpose::Command).unwrap();
        loket_server::demo(&database.pool, &args(seed, 25, false))
            .await
            .unwrap();
        desks.push(desk_contents(&database.pool).await);
    }
    assert_eq!(desks[0].len(), 25);
    assert_eq!(desks[0], desks[1], "seed 42 twice");
    let titles =
        |desk: &Vec<(String, String, String, Option<String>)>| desk.iter().map(|t| t.0.clone()).collect::<Vec<_>>();
    assert_ne!(titles(&desks[0]), titles(&desks[2]), "another seed, another desk");
}

/// Refused runs in a row in the test below; each would have raced the previous run's lock.
const REFUSED_RUNS: usize = 5;

#[actix_rt::test]
async fn a_database_with_tickets_is_refused_unless_forced() {
    let config = fresh_config().await;
    let database = loket_server::open_database(&config, loket_core::DatabasePurpose::Command).unwrap();
    let pool = &database.pool;
    let first = loket_server::demo(pool, &args(9, 20, false)).await.unwrap();
    let counts = || async {
        let client = pool.get().await.unwrap();
        let row = client
            .query_one(
                "SELECT (SELECT count(*) FROM tickets), (SELECT count(*) FROM agents),
                        (SELECT count(*) FROM categories), (SELECT count(*) FROM reporters)",
                &[],
            )
            .await
            .unwrap();
        (
            row.get::<_, i64>(0),
            row.get::<_, i64>(1),
            row.get::<_, i64>(2),
            row.get::<_, i64>(3),
        )
    };
    assert_eq!(counts().await, (20, 6, 8, 40));
    // The run lock was let go before the run answered, not later, when PostgreSQL notices a closed
    // connection: a run started right after one has finished finds it free.
    let run_locks = || async {
        let client = pool.get().await.unwrap();
        let key = loket_core::demo::RUN_LOCK_KEY;
        client
            .query_one(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = \
                 (SELECT oid FROM pg_database WHERE datname = current_database()) \
                 AND ((classid::bigint << 32) | objid::bigint) = $1",
                &[&key],
            )
            .await
            .unwrap()
            .get::<_, i64>(0)
    };
    assert_eq!(run_locks().await, 0, "the first run's lock is released");

    match loket_server::demo(pool, &args(9, 20, false)).await {
        Err(StartError::Refused(AppError::Conflict(message))) => {
            assert!(message.contains("already has 20 ticket(s)"), "{message}");
            assert!(message.contains("--force"), "says how to go on: {message}");
        }
        other => panic!("a second run without --force must be refused, got {other:?}"),
    }
    assert_eq!(counts().await, (20, 6, 8, 40), "nothing was added");
    assert_eq!(run_locks().await, 0, "a refused run releases the lock too");
    // Run after run, each finds the lock free (with the lock ended only by closing the connection, one of
    // these soon saw the previous run's lock still held).
    for _ in 0..REFUSED_RUNS {
        let refused = loket_server::demo(pool, &args(9, 20, false)).await;
        assert!(
            matches!(&refused, Err(StartError::Refused(AppError::Conflict(m))) if m.contains("already has")),
            "{refused:?}"
        );
        assert_eq!(run_locks().await, 0);
    }

    // While another run holds the database (its lock taken here by hand), a forced run is refused too.
    let other_run = pool.get().await.unwrap();
    let key = loket_core::demo::RUN_LOCK_KEY;
    other_run.execute("SELECT pg_advisory_lock($1)", &[&key]).await.unwrap();
    assert_eq!(run_locks().await, 1, "the lock is seen where it is held");
    match loket_server::demo(pool, &args(9, 20, true)).await {
        Err(StartError::Refused(AppError::Conflict(message))) => {
            assert!(message.contains("another `loket demo`"), "{message}");
        }
        other => panic!("a run beside another run must be refused, got {other:?}"),
    }
    assert_eq!(counts().await, (20, 6, 8, 40), "nothing was added");
    other_run
        .execute("SELECT pg_advisory_unlock($1)", &[&key])
        .await
        .unwrap();
    drop(other_run);

    let again = loket_server::demo(pool, &args(9, 20, true))
        .await
        .expect("--force adds");
    assert_eq!(
        counts().await,
        (40, 6, 8, 40),
        "agents, categories and reporters are reused"
    );
    assert!(again.agents.iter().all(|a| !a.created));
    assert!(
        !again.to_string().contains(&again.password),
        "no password to show for agents that existed"
    );
    // The agents kept the password of the first run.
    let server = TestServer::start_on(config, SocketAddr::from(([127, 0, 0, 1], 0))).await;
    AgentClient::login(&server.url(), &first.agents[2].agent.email, &first.password)
        .await
        .expect("the first run's password still works");
    server.stop().await;
}

#[actix_rt::test]
async fn a_newcomer_signs_in_and_sees_the_demo_desk_in_the_browser() {
    if !browser::available() {
        return;
    }
    let mut config = fresh_config().await;
    config.web_dir = Some(browser::web_dir());
    let database = loket_server::open_database(&config, loket_core::DatabasePurpose::Command).unwrap();
    let report = loket_server::demo(&database.pool, &args(5, 40, false)).await.unwrap();
    drop(database);
    let server = TestServer::start_on(config, SocketAddr::from(([127, 0, 0, 1], 0))).await;
    let api = AgentClient::login(&server.url(), &report.agents[1].agent.email, &report.password)
        .await
        .unwrap();
    let newest = report.tickets.last().copied().unwrap();
    let newest: TicketDetail =
        serde_json::from_value(api.get(&format!("/api/tickets/{}", newest.0)).await.body).unwrap();
    // A worked ticket with a conversation, to open.
    let page: TicketPage = serde_json::from_value(api.get("/api/tickets?status=resolved").await.body).unwrap();
    let worked = page.tickets.first().expect("a resolved demo ticket");
    let worked: TicketDetail =
        serde_json::from_value(api.get(&format!("/api/tickets/{}", worked.id.0)).await.body).unwrap();
    let first_comment = worked.comments.first().expect("a conversation");

    let b = Browser::launch(&server.url(), "demo").await;
    b.goto("/").await;
    b.sign_in(&report.agents[0].agent.email, &report.password).await;
    b.wait_text(
        &format!("tr[data-ticket-key='{}']", newest.ticket.key),
        &newest.ticket.title,
    )
    .await;
    b.screenshot("board").await;
    b.goto(&format!("/tickets/{}", worked.ticket.id.0)).await;
    b.wait_text("#ticket-title", &worked.ticket.title).await;
    let excerpt: String = first_comment.body.chars().take(30).collect();
    b.wait_text("[data-testid=comment]", &excerpt).await;
    b.wait_for("[data-testid=event][data-kind=lock_taken]").await;
    b.screenshot("ticket").await;
    b.close().await;
    server.stop().await;
}
