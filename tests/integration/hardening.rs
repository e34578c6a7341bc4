//! Hardening against the web: the Origin check on `/ws` and on cookie-authenticated changes, the sign-in
//! throttle (counted in PostgreSQL before the password check, per account and per address, behind trusted
//! proxies), and the security headers.

use futures_util::future::join_all;
use loket_core::domain::throttle::{ATTEMPTS_PER_ACCOUNT, ATTEMPTS_PER_ADDRESS};
use loket_protocol::api::Role;
use loket_protocol::ws::ServerMessage;
use loket_tests::TestServer;
use loket_tests::server::PASSWORD;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// The dev loop's origin (`trunk serve`), allowed in the servers of these tests.
const DEV_ORIGIN: &str = "http://127.0.0.1:8081";

/// Signs `email` in and returns the `Cookie` header value a browser would send afterwards.
async fn session_cookie(server: &TestServer, email: &str) -> String {
    let response = reqwest::Client::new()
        .post(format!("{}/api/auth/login", server.url()))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let set_cookie = response.headers()["set-cookie"].to_str().unwrap();
    set_cookie.split(';').next().unwrap().to_string()
}

/// Opens `/ws` with `headers`; `Ok` once the server's `Welcome` arrived, else the refusal's status and body.
async fn open_ws(server: &TestServer, headers: &[(&str, &str)]) -> Result<(), (StatusCode, Value)> {
    let mut request = format!("ws://{}/ws", server.addr).into_client_request().unwrap();
    for (name, value) in headers {
        let name = tungstenite::http::HeaderName::from_bytes(name.as_bytes()).expect("a header name");
        request
            .headers_mut()
            .insert(name, value.parse().expect("a header value"));
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((stream, _)) => {
            let mut client = loket_tests::client::WsClient::from_stream(stream);
            match client.recv().await {
                ServerMessage::Welcome { .. } => Ok(()),
                other => panic!("expected Welcome, got {other:?}"),
            }
        }
        Err(tungstenite::Error::Http(response)) => {
            let body = response
                .body()
                .as_deref()
                .map(|b| serde_json::from_slice(b).unwrap_or(Value::Null))
                .unwrap_or(Value::Null);
            Err((response.status(), body))
        }
        Err(other) => panic!("the handshake failed: {other}"),
    }
}

async fn server_allowing_the_dev_origin() -> TestServer {
    TestServer::start_with(|config| config.allowed_origins = DEV_ORIGIN.into()).await
}

#[actix_rt::test]
async fn a_websocket_from_another_origin_is_refused_and_our_own_origins_are_accepted() {
    let server = server_allowing_the_dev_origin().await;
    let ana = server.agent("Ana", Role::Agent).await;
    let cookie = session_cookie(&server, "ana@example.org").await;
    let port = server.addr.port();
    let bearer = format!("Bearer {}", ana.token);

    // A page on another port of the same host holds the cookie: refused, and so is `null`.
    for foreign in [
        format!("http://127.0.0.1:{}", port + 1),
        "null".into(),
        "https://evil.example".into(),
    ] {
        let (status, body) = open_ws(&server, &[("Cookie", &cookie), ("Origin", &foreign)])
            .await
            .expect_err("a foreign origin must not get a WebSocket");
        assert_eq!(status, StatusCode::FORBIDDEN, "{foreign}");
        assert_eq!(body["code"], "forbidden", "{foreign}: {body}");
    }
    // A token does not make a foreign page's socket acceptable either.
    let refused = open_ws(
        &server,
        &[("Authorization", &bearer), ("Origin", "https://evil.example")],
    )
    .await;
    assert_eq!(refused.unwrap_err().0, StatusCode::FORBIDDEN);

    // Our own pages (by address or as localhost) and the allowed dev origin are accepted.
    for own in [server.url(), format!("http://localhost:{port}"), DEV_ORIGIN.to_string()] {
        open_ws(&server, &[("Cookie", &cookie), ("Origin", &own)])
            .await
            .unwrap_or_else(|e| panic!("{own} refused: {e:?}"));
    }
    // A program with a bearer token and no Origin keeps working.
    open_ws(&server, &[("Authorization", &bearer)])
        .await
        .expect("bearer clients without Origin are accepted");
    ana.ws().await.close().await;
}

#[actix_rt::test]
async fn a_cookie_authenticated_change_from_another_origin_is_refused() {
    let server = server_allowing_the_dev_origin().await;
    let ana = server.agent("Ana", Role::Agent).await;
    let cookie = session_cookie(&server, "ana@example.org").await;
    let http = reqwest::Client::new();
    let create = |origin: Option<&str>, title: &str| {
        let mut request = http
            .post(format!("{}/api/tickets", server.url()))
            .header("Cookie", &cookie)
            .json(&json!({"title": title}));
        if let Some(origin) = origin {
            request = request.header("Origin", origin);
        }
        request.send()
    };

    let foreign = create(Some("https://evil.example"), "Forged").await.unwrap();
    assert_eq!(foreign.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        foreign.headers()["content-security-policy"],
        loket_web::http::security::STRICT_CSP,
        "refusals carry the security headers too"
    );
    let body: Value = foreign.json().await.unwrap();
    assert_eq!(body["code"], "forbidden", "{body}");
    let without_origin = create(None, "Forged without Origin").await.unwrap();
    assert_eq!(without_origin.status(), StatusCode::FORBIDDEN);
    // Signing out is a change too: a foreign page cannot end the session.
    let logout = http
        .post(format!("{}/api/auth/logout", server.url()))
        .header("Cookie", &cookie)
        .header("Origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::FORBIDDEN);
    // Reads are not refused by origin (without CORS a foreign page cannot read the answer).
    let read = http
        .get(format!("{}/api/tickets", server.url()))
        .header("Cookie", &cookie)
        .header("Origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), StatusCode::OK);
    let page: Value = read.json().await.unwrap();
    assert!(
        page.to_string().find("Forged").is_none(),
        "nothing was created by the refused requests: {page}"
    );

    assert_eq!(
        create(Some(&server.url()), "From our own page").await.unwrap().status(),
        StatusCode::CREATED
    );
    assert_eq!(
        create(Some(DEV_ORIGIN), "From the dev loop").await.unwrap().status(),
        StatusCode::CREATED
    );
    // A bearer-token client without Origin keeps working, and the session survived the forged logout.
    assert_eq!(
        ana.post("/api/tickets", json!({"title": "By token"})).await.status,
        StatusCode::CREATED
    );
    let me = http
        .get(format!("{}/api/auth/me", server.url()))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
}

/// One sign-in attempt; `forwarded_for` is sent as `X-Forwarded-For`.
async fn attempt(server: &TestServer, email: &str, password: &str, forwarded_for: Option<&str>) -> StatusCode {
    let mut request = reqwest::Client::new()
        .post(format!("{}/api/auth/login", server.url()))
        .json(&json!({"email": email, "password": password}));
    if let Some(xff) = forwarded_for {
        request = request.header("X-Forwarded-For", xff);
    }
    request.send().await.unwrap().status()
}

/// Sends `count` wrong passwords for `email` at once; returns how many got 401 and how many 429.
async fn burst(server: &TestServer, email: &str, count: usize, forwarded_for: Option<&str>) -> (usize, usize) {
    let statuses = join_all((0..count).map(|_| attempt(server, email, "a wrong guess", forwarded_for))).await;
    let checked = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
    let refused = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!(checked + refused, count, "only 401 and 429 expected: {statuses:?}");
    (checked, refused)
}

#[actix_rt::test]
async fn forty_wrong_passwords_at_once_are_checked_at_most_the_account_limit() {
    let server = TestServer::start().await;
    server.agent("Ana", Role::Agent).await;
    let (checked, refused) = burst(&server, "ana@example.org", 40, None).await;
    let limit = ATTEMPTS_PER_ACCOUNT as usize;
    assert!(
        checked <= limit,
        "{checked} passwords were checked; at most {limit} may be"
    );
    assert!(refused >= 40 - limit, "only {refused} of 40 were refused");
    assert_eq!(
        attempt(&server, "ana@example.org", PASSWORD, None).await,
        StatusCode::TOO_MANY_REQUESTS,
        "the right password waits too"
    );
}

#[actix_rt::test]
async fn a_success_clears_only_its_own_account_and_never_the_address() {
    let server = TestServer::start().await;
    server.agent("Ana", Role::Agent).await;
    server.agent("Ben", Role::Agent).await;
    for _ in 1..ATTEMPTS_PER_ACCOUNT {
        assert_eq!(
            attempt(&server, "ben@example.org", "guess", None).await,
            StatusCode::UNAUTHORIZED
        );
    }
    // Ana signs in from the same address: Ben's count stands.
    assert_eq!(
        attempt(&server, "ana@example.org", PASSWORD, None).await,
        StatusCode::OK
    );
    assert_eq!(
        attempt(&server, "ben@example.org", "guess", None).await,
        StatusCode::UNAUTHORIZED,
        "Ben's last allowed attempt"
    );
    assert_eq!(
        attempt(&server, "ben@example.org", PASSWORD, None).await,
        StatusCode::TOO_MANY_REQUESTS,
        "Ana's success must not have reset Ben's count"
    );
    // Ana's own count was cleared by her success.
    assert_eq!(
        attempt(&server, "ana@example.org", PASSWORD, None).await,
        StatusCode::OK
    );
}

#[actix_rt::test]
async fn successes_do_not_reset_the_address_count() {
    let server = TestServer::start().await;
    server.agent("Ana", Role::Agent).await;
    // Guesses spread over many accounts from one address, with Ana's successful sign-in in the middle.
    let allowed = ATTEMPTS_PER_ADDRESS as usize;
    for i in 0..allowed {
        if i == allowed / 2 {
            assert_eq!(
                attempt(&server, "ana@example.org", PASSWORD, None).await,
                StatusCode::OK
            );
        }
        assert_eq!(
            attempt(&server, &format!("nobody{i}@example.org"), "guess", None).await,
            StatusCode::UNAUTHORIZED,
            "guess {i}"
        );
    }
    assert_eq!(
        attempt(&server, "someone.else@example.org", "guess", None).await,
        StatusCode::TOO_MANY_REQUESTS,
        "the address is over its limit, Ana's success notwithstanding"
    );
    assert_eq!(
        attempt(&server, "ana@example.org", PASSWORD, None).await,
        StatusCode::TOO_MANY_REQUESTS,
        "everyone at that address waits"
    );
}

#[actix_rt::test]
async fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
    // Behind a trusted proxy (the tests' client is 127.0.0.1), each forwarded client is counted apart.
    let behind_proxy = TestServer::start_with(|config| config.trusted_proxies = "127.0.0.1".into()).await;
    behind_proxy.agent("Ana", Role::Agent).await;
    let attacker = Some("203.0.113.5");
    // One burst fills the attacker's account count and, with the refused attempts, its address count.
    let over_address = ATTEMPTS_PER_ADDRESS as usize + 1;
    burst(&behind_proxy, "ana@example.org", over_address, attacker).await;
    assert_eq!(
        attempt(&behind_proxy, "ben@example.org", "guess", attacker).await,
        StatusCode::TOO_MANY_REQUESTS,
        "the attacker's address is over its limit"
    );
    assert_eq!(
        attempt(
            &behind_proxy,
            "ben@example.org",
            "guess",
            Some("203.0.113.66, 203.0.113.5")
        )
        .await,
        StatusCode::TOO_MANY_REQUESTS,
        "an address the client wrote itself in front of the proxy's is not believed"
    );
    assert_eq!(
        attempt(&behind_proxy, "ben@example.org", "guess", Some("203.0.113.6")).await,
        StatusCode::UNAUTHORIZED,
        "another client behind the proxy is not throttled"
    );
    assert_eq!(
        attempt(&behind_proxy, "ben@example.org", "guess", None).await,
        StatusCode::UNAUTHORIZED,
        "nor is the proxy itself"
    );

    // Without trusted proxies the header is ignored: everyone is the peer address.
    let direct = TestServer::start().await;
    direct.agent("Ana", Role::Agent).await;
    burst(&direct, "ana@example.org", over_address, attacker).await;
    assert_eq!(
        attempt(&direct, "ben@example.org", "guess", Some("203.0.113.6")).await,
        StatusCode::TOO_MANY_REQUESTS,
        "a header from an untrusted peer must not pick the address"
    );
}

#[actix_rt::test]
async fn security_headers_are_sent_and_hsts_only_behind_https() {
    let server = TestServer::start().await;
    let http = reqwest::Client::new();
    for path in ["/healthz", "/api/auth/me", "/api/tickets/1", "/some/client/route"] {
        let response = http.get(format!("{}{path}", server.url())).send().await.unwrap();
        let headers = response.headers();
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(!csp.contains("'unsafe-eval'"), "{path}: {csp}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(headers["referrer-policy"], "same-origin", "{path}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert!(
            headers.get("strict-transport-security").is_none(),
            "{path}: no HSTS over plain HTTP"
        );
    }

    let secure = TestServer::start_with(|config| config.cookie_secure = true).await;
    let response = http.get(format!("{}/healthz", secure.url())).send().await.unwrap();
    assert_eq!(
        response.headers()["strict-transport-security"],
        loket_web::http::security::HSTS
    );
}
