//! CI smoke test: tiny runs of every scenario against the real server in-process (throwaway PostgreSQL),
//! asserting that they complete with no errors and that every session received every event (the reporter
//! path: every reporter every notification). Never timing.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed expectation should stop the test loudly, with its message"
)]

use clap::Parser;
use loket_bench::cli::Cli;
use loket_bench::report::Report;
use loket_tests::TestServer;

const ADMIN_EMAIL: &str = "smoke-admin@example.org";
const ADMIN_PASSWORD: &str = "smoke-admin-password";

async fn server() -> TestServer {
    TestServer::start_with(|config| {
        config.admin_email = Some(ADMIN_EMAIL.into());
        config.admin_password = Some(ADMIN_PASSWORD.into());
    })
    .await
}

/// Runs `loadgen <args>` against `server` (attached by URL and this process's pid).
async fn loadgen(server: &TestServer, args: &[&str]) -> Vec<Report> {
    loadgen_on(server, &server.url(), args).await.runs
}

/// Runs `loadgen <args>` against the instances at `urls` (comma-separated) on `server`'s database.
async fn loadgen_on(server: &TestServer, urls: &str, args: &[&str]) -> loket_bench::report::Bundle {
    let pid = std::process::id().to_string();
    let url = urls.to_owned();
    let database_url = server
        .config
        .database_url
        .clone()
        .expect("the kit's server has a database URL");
    let mut argv = vec![
        "loadgen",
        "--url",
        &url,
        "--pid",
        &pid,
        "--admin-email",
        ADMIN_EMAIL,
        "--admin-password",
        ADMIN_PASSWORD,
        "--accounts",
        "3",
        "--fanout-exe",
        env!("CARGO_BIN_EXE_loadgen"),
        "--database-url",
        &database_url,
    ];
    argv.extend_from_slice(args);
    let cli = Cli::parse_from(argv);
    let bundle = loket_bench::run(&cli).await.expect("the run completes");
    println!("{}", bundle.table());
    bundle
}

/// No errors, something measured, and every operation's event reached every other session.
fn assert_complete(report: &Report) {
    assert_eq!(
        report.errors.count, 0,
        "{}: {:?}",
        report.scenario, report.errors.samples
    );
    assert!(report.ops > 0, "{}: no operations completed", report.scenario);
    for latency in &report.latency {
        assert_eq!(latency.complete, latency.ops, "{}: {latency:?}", report.scenario);
        assert_eq!(latency.missing_deliveries, 0, "{}: {latency:?}", report.scenario);
    }
}

#[actix_rt::test]
async fn collaboration_with_baselines_reaches_every_session() {
    let server = server().await;
    let runs = loadgen(
        &server,
        &[
            "collab",
            "-n",
            "6",
            "-k",
            "2",
            "-m",
            "2",
            "--rate",
            "20",
            "--duration",
            "1",
            "--baselines",
        ],
    )
    .await;
    // Loket, the fan-out baseline at the same rate and at its ceiling, the commit-rate baseline.
    let targets: Vec<&str> = runs.iter().map(|r| r.target.as_str()).collect();
    assert_eq!(
        targets,
        ["loket", "fan-out baseline", "fan-out baseline", "postgres baseline"]
    );
    for run in &runs {
        assert_complete(run);
    }
    let kinds: Vec<&str> = runs[0].latency.iter().map(|l| l.kind).collect();
    assert!(
        kinds.contains(&"TicketLocked") && kinds.contains(&"TicketUnlocked"),
        "{kinds:?}"
    );
    server.stop().await;
}

#[actix_rt::test]
async fn create_storm_and_idle_sessions_complete() {
    let server = server().await;
    let storm = loadgen(&server, &["storm", "-n", "5", "-k", "2", "--duration", "1"]).await;
    assert_complete(&storm[0]);
    let idle = loadgen(&server, &["idle", "-n", "8", "--hold", "0"]).await;
    assert_complete(&idle[0]);
    assert_eq!(idle[0].connect.as_ref().map(|c| c.connected), Some(8));
    server.stop().await;
}

#[actix_rt::test]
async fn reporter_path_delivers_every_notification() {
    // The fake Bot API is served by loadgen itself; point the server's bot at a port it will bind. Until
    // it does, the bot's getMe fails and is retried (every 2 s), which the scenario waits out.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let bind = format!("127.0.0.1:{port}");
    let server = TestServer::start_with(|config| {
        config.admin_email = Some(ADMIN_EMAIL.into());
        config.admin_password = Some(ADMIN_PASSWORD.into());
        config.telegram_bot_token = Some(loket_fake_telegram::TOKEN.into());
        config.telegram_api_url = format!("http://{bind}");
    })
    .await;
    let runs = loadgen(
        &server,
        &[
            "reporter",
            "-r",
            "3",
            "-k",
            "2",
            "--rate",
            "6",
            "--duration",
            "1",
            "--bot-api-bind",
            &bind,
        ],
    )
    .await;
    let report = &runs[0];
    assert_complete(report);
    let kinds: Vec<&str> = report.latency.iter().map(|l| l.kind).collect();
    assert_eq!(kinds, ["UpdateTicket ack", "sendMessage"]);
    // Every acknowledged status change reached its reporter's chat, each exactly once.
    assert_eq!(report.deliveries, report.latency[1].ops);
    assert!(report.deliveries > 0);
    server.stop().await;
}

#[actix_rt::test]
async fn cross_instance_delivery_reaches_every_session_on_the_other_instance() {
    let server = server().await;
    // A second instance in this process, on the same database, with a data directory of its own.
    let mut config = server.config.clone();
    config.data_dir = server.data_dir().with_extension("second");
    let second = TestServer::start_on(config, "127.0.0.1:0".parse().unwrap()).await;
    let urls = format!("{},{}", server.url(), second.url());
    let bundle = loadgen_on(
        &server,
        &urls,
        &[
            "cross",
            "-n",
            "6",
            "-k",
            "2",
            "-m",
            "2",
            "--rate",
            "20",
            "--duration",
            "1",
        ],
    )
    .await;
    let targets: Vec<&str> = bundle.runs.iter().map(|r| r.target.as_str()).collect();
    assert_eq!(targets, ["spread", "one instance"]);
    for run in &bundle.runs {
        assert_complete(run);
    }
    assert_eq!(bundle.ratios.len(), 2, "{:?}", bundle.ratios);
    second.stop().await;
    server.stop().await;
}

#[actix_rt::test]
async fn a_resumed_session_gets_exactly_what_it_missed() {
    let server = server().await;
    let runs = loadgen(&server, &["resume", "-t", "4", "--missed", "10", "--rounds", "2"]).await;
    let report = &runs[0];
    assert_eq!(report.errors.count, 0, "{:?}", report.errors.samples);
    let rounds = report.extra["rounds"].as_array().expect("rounds");
    assert_eq!(rounds.len(), 2);
    for round in rounds {
        assert_eq!(round["replayed"], 10, "{round}");
        assert!(
            round["resume_wire_bytes"].as_u64() > round["resume_payload_bytes"].as_u64(),
            "{round}"
        );
        assert!(round["reload_tickets"].as_u64() >= Some(4), "{round}");
    }
    server.stop().await;
}
