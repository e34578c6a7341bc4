//! Monitoring: `/metrics` for admins and on its own listener, the series moving with the work (counted
//! exactly in a child server, which has its own recorder), request ids on every response, and JSON logs
//! whose lines carry them.

use std::collections::HashMap;
use std::time::Duration;

use loket_protocol::TicketId;
use loket_protocol::api::Role;
use loket_protocol::ws::ServerMessage;
use loket_tests::server::PASSWORD;
use loket_tests::telegram::TOKEN;
use loket_tests::{AgentClient, ChildServer, FakeTelegram, PATIENCE, TestServer, TgUser, WsClient};
use reqwest::StatusCode;
use serde_json::{Value, json};

const ADMIN_EMAIL: &str = "ops@example.org";

/// Not a test: the entry point of a child server process (`loket_tests::child`). Selected only by the
/// parent that starts it; does nothing anywhere else.
#[test]
#[ignore = "entry point of a child server process, started by the tests below"]
fn child_server() {
    loket_tests::child::serve_if_child();
}

/// One scrape: each series (`name{labels}`, as rendered) and its value.
pub(crate) struct Scrape(HashMap<String, f64>);

impl Scrape {
    fn parse(text: &str) -> Scrape {
        let series = text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|l| {
                let (series, value) = l.rsplit_once(' ').unwrap_or_else(|| panic!("bad metrics line {l:?}"));
                let value = value.parse().unwrap_or_else(|_| panic!("bad value in {l:?}"));
                (series.to_string(), value)
            })
            .collect();
        Scrape(series)
    }

    /// The value of `series`; 0 for a counter not yet incremented (absent).
    pub(crate) fn get(&self, series: &str) -> f64 {
        self.0.get(series).copied().unwrap_or(0.0)
    }

    fn has(&self, name: &str) -> bool {
        self.0.keys().any(|s| s == name || s.starts_with(&format!("{name}{{")))
    }
}

/// GET `url` with an optional Bearer token: status, headers and text.
async fn get(url: &str, token: Option<&str>) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let mut request = reqwest::Client::new().get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("the server answers");
    let (status, headers) = (response.status(), response.headers().clone());
    (status, headers, response.text().await.expect("a body"))
}

pub(crate) async fn scrape(url: &str, token: Option<&str>) -> Scrape {
    let (status, headers, body) = get(&format!("{url}/metrics"), token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let content_type = headers["content-type"].to_str().unwrap();
    assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
    Scrape::parse(&body)
}

/// Scrapes until `done` holds (a metric recorded just after the fact the test can see); fails after `PATIENCE`.
pub(crate) async fn scrape_until(url: &str, token: &str, what: &str, done: impl Fn(&Scrape) -> bool) -> Scrape {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let now = scrape(url, Some(token)).await;
        if done(&now) {
            return now;
        }
        assert!(tokio::time::Instant::now() < deadline, "metrics never showed {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[actix_rt::test]
async fn metrics_are_for_admins_only() {
    let server = TestServer::start().await;
    let admin = server.agent("Ada", Role::Admin).await;
    let agent = server.agent("Ana", Role::Agent).await;
    let url = format!("{}/metrics", server.url());

    let (status, _, body) = get(&url, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (status, _, body) = get(&url, Some(&agent.token)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["code"], "forbidden");

    let mut ws = admin.ws().await;
    crate::create_ticket(&mut ws, "Counted").await;
    let metrics = scrape(&server.url(), Some(&admin.token)).await;
    for name in [
        "loket_http_requests_total",
        "loket_http_request_duration_seconds_bucket",
        "loket_ws_sessions",
        "loket_events_published_total",
        "loket_events_delivered_total",
        "loket_fanout_seconds_count",
        "loket_locks_held",
        "loket_db_pool_connections",
        "loket_db_pool_max_connections",
        "loket_db_pool_waiting",
        "loket_db_pool_wait_seconds_count",
        "loket_outbox_pending",
        "loket_outbox_oldest_pending_age_seconds",
    ] {
        assert!(metrics.has(name), "{name} missing from /metrics");
    }
    assert_eq!(metrics.get("loket_db_pool_max_connections"), 16.0);
}

#[actix_rt::test]
async fn the_metrics_listener_serves_without_sign_in() {
    let server = TestServer::start_with(|config| config.metrics_bind = Some("127.0.0.1:0".parse().unwrap())).await;
    let metrics_addr = server.metrics_addr.expect("a metrics listener");
    assert_ne!(metrics_addr, server.addr);
    let open = format!("http://{metrics_addr}");

    let metrics = scrape(&open, None).await;
    assert!(metrics.has("loket_db_pool_connections"), "{:?}", metrics.0.keys());
    // Only the metrics live there; the main listener still asks for an admin.
    let (status, _, _) = get(&format!("{open}/api/tickets"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = get(&format!("{}/metrics", server.url()), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[actix_rt::test]
async fn every_response_carries_a_fresh_request_id() {
    let server = TestServer::start().await;
    let mut seen = Vec::new();
    for path in ["/healthz", "/healthz", "/api/tickets", "/api/no-such-route"] {
        let response = reqwest::Client::new()
            .get(format!("{}{path}", server.url()))
            .header("X-Request-Id", "chosen-by-the-client")
            .send()
            .await
            .unwrap();
        let id = response.headers()["x-request-id"].to_str().unwrap().to_string();
        assert_eq!(id.len(), 32, "{path}: {id}");
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()), "{path}: {id}");
        seen.push(id);
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 4, "every request gets its own id: {seen:?}");
}

/// Signs in as the child's admin (created from `LOKET_ADMIN_*`) and creates a plain agent through the API.
async fn child_agents(child: &ChildServer) -> (AgentClient, AgentClient) {
    let admin = AgentClient::login(&child.url, ADMIN_EMAIL, PASSWORD)
        .await
        .expect("admin signs in");
    let created = admin
        .post(
            "/api/agents",
            json!({"email": "ana@example.org", "name": "Ana", "role": "agent", "password": PASSWORD}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let agent = AgentClient::login(&child.url, "ana@example.org", PASSWORD)
        .await
        .expect("agent signs in");
    (admin, agent)
}

fn admin_env() -> Vec<(&'static str, &'static str)> {
    vec![("LOKET_ADMIN_EMAIL", ADMIN_EMAIL), ("LOKET_ADMIN_PASSWORD", PASSWORD)]
}

/// Waits on `ws` for the broadcast of `kind` about ticket `id`.
async fn broadcast(ws: &mut WsClient, kind: &str, id: TicketId) {
    ws.recv_until(kind, |m| {
        let about = match m {
            ServerMessage::TicketCreated { ticket, .. } | ServerMessage::TicketUpdated { ticket, .. } => ticket.id,
            ServerMessage::TicketLocked { ticket_id, .. } => *ticket_id,
            _ => return None,
        };
        let name = serde_json::to_value(m).unwrap()["type"].as_str().unwrap().to_string();
        (about == id && name == kind).then_some(())
    })
    .await;
}

#[actix_rt::test]
async fn metrics_follow_the_work() {
    let tg = FakeTelegram::start().await;
    let mut env = admin_env();
    let tg_url = tg.url();
    env.extend([("TELEGRAM_BOT_TOKEN", TOKEN), ("TELEGRAM_API_URL", tg_url.as_str())]);
    let child = ChildServer::start(&env).await;
    let (admin, agent) = child_agents(&child).await;
    let base = child.url.as_str();

    let (status, _, _) = get(&format!("{base}/metrics"), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = get(&format!("{base}/metrics"), Some(&agent.token)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let before = scrape(base, Some(&admin.token)).await;
    assert_eq!(before.get("loket_ws_sessions"), 0.0);
    assert_eq!(before.get("loket_locks_held"), 0.0);
    assert_eq!(
        before.get(r#"loket_http_requests_total{method="GET",route="/metrics",status="403"}"#),
        1.0
    );

    // Two sessions watch one ticket being created, locked and updated: three events, six deliveries.
    let (mut ana, mut ada) = (agent.ws().await, admin.ws().await);
    let created = ana
        .call(json!({"type": "CreateTicket", "title": "Printer on fire", "body": "smoke", "priority": "high"}))
        .await;
    let ServerMessage::Ack {
        ticket_id: Some(id),
        version: Some(version),
        ..
    } = created
    else {
        panic!("no ticket in {created:?}")
    };
    ana.call(json!({"type": "LockTicket", "ticket_id": id.0})).await;
    ana.call(
        json!({"type": "UpdateTicket", "ticket_id": id.0, "version": version, "changes": {"title": "Printer out"}}),
    )
    .await;
    for ws in [&mut ana, &mut ada] {
        broadcast(ws, "TicketCreated", id).await;
        broadcast(ws, "TicketLocked", id).await;
        broadcast(ws, "TicketUpdated", id).await;
    }
    let detail = admin.get(&format!("/api/tickets/{}", id.0)).await;
    assert_eq!(detail.status, StatusCode::OK);

    let after = scrape(base, Some(&admin.token)).await;
    // Both sessions received events from the bus, so both had joined it.
    assert_eq!(after.get("loket_ws_sessions"), 2.0);
    let moved = |series: &str| after.get(series) - before.get(series);
    assert_eq!(moved("loket_events_published_total"), 3.0);
    assert_eq!(moved("loket_events_delivered_total"), 6.0);
    assert_eq!(moved("loket_fanout_seconds_count"), 6.0);
    assert_eq!(after.get("loket_locks_held"), 1.0);
    assert_eq!(after.get("loket_ticket_actors"), 1.0, "one ticket was written to");
    assert!(moved("loket_db_pool_wait_seconds_count") >= 3.0);
    assert!(after.get(r#"loket_db_pool_connections{state="idle"}"#) >= 1.0);
    // Routes are labelled by pattern, never by the raw path.
    let ticket_route = r#"loket_http_requests_total{method="GET",route="/api/tickets/{id}",status="200"}"#;
    assert_eq!(after.get(ticket_route), 1.0);
    let raw = format!("/api/tickets/{}\"", id.0);
    assert!(!after.0.keys().any(|s| s.contains(&raw)), "a raw path became a label");
    assert!(after.has("loket_http_request_duration_seconds_bucket"));

    // A reporter's ticket: a status change is delivered through Telegram (ok), the next one is refused
    // with 429 and waits in the outbox.
    let budi = TgUser::new(7001, "Budi", "en");
    let code = crate::bot::invite(&admin, 1).await;
    tg.send_text(&budi, &format!("/start {code}"));
    tg.expect(budi.id, "Welcome").await;
    let (reported, _) = crate::bot::report(&tg, &budi, "Water leak").await;
    ada.call(json!({"type": "LockTicket", "ticket_id": reported.0})).await;
    ada.call(json!({"type": "UpdateTicket", "ticket_id": reported.0, "version": 1, "changes": {"status": "open"}}))
        .await;
    tg.expect(budi.id, "Water leak").await;
    let sent = scrape_until(base, &admin.token, "one Telegram send", |m| {
        m.get(r#"loket_telegram_sends_total{result="ok"}"#) == 1.0
    })
    .await;
    assert_eq!(sent.get(r#"loket_telegram_send_seconds_count{result="ok"}"#), 1.0);

    tg.answer_429(1, 60);
    ada.call(json!({"type": "UpdateTicket", "ticket_id": reported.0, "version": 2, "changes": {"status": "pending"}}))
        .await;
    let refused = scrape_until(base, &admin.token, "a 429 from Telegram", |m| {
        m.get(r#"loket_telegram_sends_total{result="429"}"#) == 1.0
    })
    .await;
    assert_eq!(refused.get(r#"loket_telegram_sends_total{result="ok"}"#), 1.0);
    assert_eq!(
        refused.get("loket_outbox_pending"),
        1.0,
        "the refused notification waits"
    );
    assert!(refused.get("loket_outbox_oldest_pending_age_seconds") >= 0.0);
    assert_eq!(refused.get("loket_ticket_actors"), 2.0);

    for line in child.log_lines() {
        assert!(
            !line.contains(TOKEN) && !line.contains(&admin.token),
            "a secret was logged: {line}"
        );
    }
    ana.close().await;
    ada.close().await;
    drop(tg);
}

#[actix_rt::test]
async fn the_metrics_listener_of_a_real_process_needs_no_sign_in() {
    let mut env = admin_env();
    env.push(("LOKET_METRICS_BIND", "127.0.0.1:0"));
    let child = ChildServer::start(&env).await;
    let open = child.metrics_url.clone().expect("a metrics listener");
    let metrics = scrape(&open, None).await;
    assert_eq!(metrics.get("loket_ws_sessions"), 0.0);
    assert!(metrics.has("loket_outbox_pending"));
    let (status, _, _) = get(&format!("{}/metrics", child.url), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// The `request_id` of the innermost span of a JSON log line named `span`, if any.
fn span_request_id(line: &Value, span: &str) -> Option<String> {
    line["spans"]
        .as_array()?
        .iter()
        .rev()
        .find(|s| s["name"] == span)?
        .get("request_id")?
        .as_str()
        .map(str::to_string)
}

#[actix_rt::test]
async fn json_logs_carry_request_ids_and_no_secrets() {
    let mut env = admin_env();
    env.extend([("LOKET_LOG_FORMAT", "json"), ("LOKET_LOG", "info,loket_web=debug")]);
    let child = ChildServer::start(&env).await;
    let admin = AgentClient::login(&child.url, ADMIN_EMAIL, PASSWORD)
        .await
        .expect("admin signs in");

    // An HTTP request: its id comes back as a header and is on its log line.
    let (status, headers, _) = get(&format!("{}/api/tickets", child.url), Some(&admin.token)).await;
    assert_eq!(status, StatusCode::OK);
    let id = headers["x-request-id"].to_str().unwrap().to_string();
    let line = child.log_line("access line for the request", |l| l.contains(&id)).await;
    let line: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(line["message"], "request answered");
    assert_eq!(line["route"], "/api/tickets");
    assert_eq!(line["status"], 200);
    assert_eq!(line["span"]["request_id"], id.as_str());
    assert_eq!(span_request_id(&line, "request").as_deref(), Some(id.as_str()));

    // A WebSocket session: what it logs carries its upgrade's request id.
    let (ws, upgrade_id) = admin.ws_with_request_id().await;
    assert_eq!(upgrade_id.len(), 32);
    let started = child.log_line("session start", |l| l.contains("session started")).await;
    let started: Value = serde_json::from_str(&started).unwrap();
    assert_eq!(
        span_request_id(&started, "ws_session").as_deref(),
        Some(upgrade_id.as_str())
    );
    ws.close().await;
    let ended = child.log_line("session end", |l| l.contains("session ended")).await;
    let ended: Value = serde_json::from_str(&ended).unwrap();
    assert_eq!(
        span_request_id(&ended, "ws_session").as_deref(),
        Some(upgrade_id.as_str())
    );

    let lines = child.log_lines();
    assert!(lines.len() > 3, "{lines:?}");
    for line in &lines {
        let parsed: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(parsed["timestamp"].is_string() && parsed["level"].is_string(), "{line}");
        assert!(!line.contains(&admin.token), "a token was logged: {line}");
        assert!(!line.contains(PASSWORD), "a password was logged: {line}");
    }
    // Every line logged while answering a request carries that request's id.
    for line in lines.iter().filter(|l| l.contains("\"route\":")) {
        let parsed: Value = serde_json::from_str(line).unwrap();
        assert!(span_request_id(&parsed, "request").is_some(), "{line}");
    }
}

#[actix_rt::test]
async fn a_log_that_is_not_a_terminal_has_no_colour_codes() {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
    // The real `loket` program, serving, with its standard output and error piped (not terminals), as
    // under systemd, Docker or a redirect to a file.
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_loket-under-test"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("DATABASE_URL", loket_tests::pg::fresh_database().await)
        .env("LOKET_DATA_DIR", loket_tests::pg::scratch_dir("plain-log"))
        .env("LOKET_BIND", "127.0.0.1:0")
        .env("LOKET_WORKERS", "1")
        .env("LOKET_LOG", "debug")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("run loket");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let log = tokio::spawn(async move {
        let mut text = Vec::new();
        stderr.read_to_end(&mut text).await.map(|_| text)
    });
    let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut printed = String::new();
    let url = tokio::time::timeout(PATIENCE, async {
        loop {
            let mut line = String::new();
            assert!(
                stdout.read_line(&mut line).await.expect("read stdout") > 0,
                "loket ended before it served: {printed}"
            );
            printed.push_str(&line);
            if let Some(url) = line.trim().strip_prefix("Loket is running at ") {
                return url.to_string();
            }
        }
    })
    .await
    .expect("loket serves within PATIENCE");
    let (status, _, _) = get(&format!("{url}/healthz"), None).await;
    assert_eq!(status, StatusCode::OK);
    // SIGTERM: it logs that it shuts down, and ends.
    let pid = child.id().expect("a running child").to_string();
    let signalled = tokio::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .expect("run kill");
    assert!(signalled.success());
    let ended = tokio::time::timeout(PATIENCE, child.wait())
        .await
        .expect("loket ends on SIGTERM");
    assert!(ended.expect("wait for loket").success());
    stdout.read_to_string(&mut printed).await.expect("read stdout");
    let log = String::from_utf8(log.await.unwrap().expect("read stderr")).expect("a UTF-8 log");
    assert!(
        log.contains("DEBUG") && log.contains("shutting down"),
        "the log has its lines: {log}"
    );
    assert!(!log.contains("\x1b["), "no ANSI escape codes in the log: {log:?}");
    assert!(
        !printed.contains("\x1b["),
        "none on standard output either: {printed:?}"
    );
}
