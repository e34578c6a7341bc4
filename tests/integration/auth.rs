//! Signing in, sessions, roles and the admin bootstrap.

use loket_protocol::api::Role;
use loket_tests::{AgentClient, TestServer, server::PASSWORD};
use reqwest::StatusCode;
use serde_json::json;
use tokio_tungstenite::tungstenite;

#[actix_rt::test]
async fn without_a_session_the_api_and_the_websocket_answer_401() {
    let server = TestServer::start().await;
    let http = reqwest::Client::new();
    for path in [
        "/api/tickets",
        "/api/agents",
        "/api/categories",
        "/api/tickets/1",
        "/api/auth/me",
    ] {
        let response = http.get(format!("{}{path}", server.url())).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["code"], "unauthorized", "{path}");
    }
    let bogus = http
        .get(format!("{}/api/tickets", server.url()))
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(bogus.status(), StatusCode::UNAUTHORIZED);

    let url = format!("ws://{}/ws", server.addr);
    match tokio_tungstenite::connect_async(url).await {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status(), StatusCode::UNAUTHORIZED),
        Err(other) => panic!("expected HTTP 401, got {other}"),
        Ok(_) => panic!("the WebSocket was upgraded without a session"),
    }
}

#[actix_rt::test]
async fn login_sets_a_strict_http_only_cookie_and_wrong_credentials_give_no_hint() {
    let server = TestServer::start().await;
    let ana = server.agent("Ana", Role::Agent).await;
    let http = reqwest::Client::new();
    let login = |email: &str, password: &str| {
        http.post(format!("{}/api/auth/login", server.url()))
            .json(&json!({"email": email, "password": password}))
            .send()
    };

    let ok = login("ANA@example.org", PASSWORD).await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let cookie = ok
        .headers()
        .get("set-cookie")
        .expect("a session cookie")
        .to_str()
        .unwrap()
        .to_string();
    assert!(cookie.starts_with("loket_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let body: serde_json::Value = ok.json().await.unwrap();
    assert_eq!(body["agent"]["email"], "ana@example.org");
    assert_eq!(body["agent"]["role"], "agent");

    let wrong_password = login("ana@example.org", "not the password").await.unwrap();
    let unknown_email = login("nobody@example.org", PASSWORD).await.unwrap();
    assert_eq!(wrong_password.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(unknown_email.status(), StatusCode::UNAUTHORIZED);
    let (a, b): (serde_json::Value, serde_json::Value) = (
        wrong_password.json().await.unwrap(),
        unknown_email.json().await.unwrap(),
    );
    assert_eq!(a, b, "both failures must look the same");

    // The cookie alone authenticates, as browsers use it.
    let token = cookie.trim_start_matches("loket_session=").split(';').next().unwrap();
    let me = http
        .get(format!("{}/api/auth/me", server.url()))
        .header("cookie", format!("loket_session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);

    // Logging out ends that session.
    assert_eq!(
        ana.post("/api/auth/logout", json!({})).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(ana.get("/api/auth/me").await.status, StatusCode::UNAUTHORIZED);
}

#[actix_rt::test]
async fn agents_get_403_on_admin_routes_and_admins_manage_them() {
    let server = TestServer::start().await;
    let admin = server.agent("Root", Role::Admin).await;
    let ben = server.agent("Ben", Role::Agent).await;

    let new_agent = json!({"email": "cy@example.org", "name": "Cy", "password": "long enough pw"});
    let forbidden = [
        ben.get("/api/agents").await,
        ben.post("/api/agents", new_agent.clone()).await,
        ben.get("/api/invite-codes").await,
        ben.post("/api/invite-codes", json!({"max_uses": 3})).await,
        ben.delete("/api/invite-codes/whatever", None).await,
        ben.post("/api/categories", json!({"name": "Roads"})).await,
    ];
    for reply in forbidden {
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{reply:?}");
        assert_eq!(reply.body["code"], "forbidden");
    }

    let created = admin.post("/api/agents", new_agent.clone()).await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.body["role"], "agent");
    assert_eq!(admin.post("/api/agents", new_agent).await.status, StatusCode::CONFLICT);
    AgentClient::login(&server.url(), "cy@example.org", "long enough pw")
        .await
        .expect("the new agent signs in");
    let listed = admin.get("/api/agents").await;
    // The generated first admin, Root, Ben and Cy.
    assert_eq!(listed.body.as_array().unwrap().len(), 4);

    let category = admin.post("/api/categories", json!({"name": "Roads"})).await;
    assert_eq!(category.status, StatusCode::CREATED);
    assert_eq!(
        admin.post("/api/categories", json!({"name": "roads"})).await.status,
        StatusCode::CONFLICT
    );
    let seen = ben.get("/api/categories").await;
    assert_eq!(seen.status, StatusCode::OK, "agents read categories to file tickets");
    assert_eq!(seen.body[0]["name"], "Roads");

    let invite = admin.post("/api/invite-codes", json!({"max_uses": 3})).await;
    assert_eq!(invite.status, StatusCode::CREATED);
    let code = invite.body["code"].as_str().unwrap().to_string();
    assert!(code.len() >= 10);
    assert_eq!(invite.body["uses"], 0);
    assert_eq!(
        admin.post("/api/invite-codes", json!({"max_uses": 0})).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        admin.delete(&format!("/api/invite-codes/{code}"), None).await.status,
        StatusCode::NO_CONTENT
    );
    let codes = admin.get("/api/invite-codes").await;
    assert_eq!(codes.body[0]["revoked"], true);
    assert_eq!(
        admin.delete("/api/invite-codes/unknown", None).await.status,
        StatusCode::NOT_FOUND
    );
}

#[actix_rt::test]
async fn the_first_start_creates_an_admin_once() {
    let server = TestServer::start().await;
    // `TestServer` prepared an empty database with no LOKET_ADMIN_*: it generated the first admin.
    let generated_again = loket_server::prepare(&server.pool, &server.config).await.unwrap();
    assert!(
        generated_again.is_none(),
        "a second start must not create another admin"
    );
    let client = server.pool.get().await.unwrap();
    let admins: i64 = client
        .query_one("SELECT count(*) FROM agents WHERE role = 'admin'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(admins, 1);

    // With LOKET_ADMIN_* set, that admin is created, and can sign in.
    let mut config = server.config.clone();
    config.admin_email = Some("boss@example.org".into());
    config.admin_password = Some("a strong password".into());
    assert!(loket_server::prepare(&server.pool, &config).await.unwrap().is_none());
    let boss = AgentClient::login(&server.url(), "boss@example.org", "a strong password")
        .await
        .expect("signs in");
    assert_eq!(boss.agent.role, Role::Admin);
    loket_server::prepare(&server.pool, &config).await.unwrap();
    let total: i64 = client
        .query_one("SELECT count(*) FROM agents", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(total, 2, "the configured admin is created only once");
}

#[actix_rt::test]
async fn a_generated_first_admin_can_sign_in() {
    let server = TestServer::start().await;
    let generated = server.generated_admin.clone().expect("credentials to print");
    let admin = AgentClient::login(&server.url(), &generated.email, &generated.password)
        .await
        .expect("signs in");
    assert_eq!(admin.agent.role, Role::Admin);
}

#[actix_rt::test]
async fn signing_out_closes_the_websockets_opened_with_that_sign_in() {
    let server = TestServer::start().await;
    let ana = server.agent("Ana", Role::Agent).await;
    let other_sign_in = AgentClient::login(&server.url(), "ana@example.org", PASSWORD)
        .await
        .unwrap();
    let (mut signed_out, mut still_in) = (ana.ws().await, other_sign_in.ws().await);
    assert_eq!(
        ana.post("/api/auth/logout", json!({})).await.status,
        StatusCode::NO_CONTENT
    );
    match signed_out.next_message(loket_tests::PATIENCE).await {
        Err(loket_tests::client::WsEnd::Closed(Some(frame))) => {
            assert_eq!(frame.code, tungstenite::protocol::frame::coding::CloseCode::Policy)
        }
        other => panic!("expected the socket to close with 1008, got {other:?}"),
    }
    // The same agent's other sign-in is unaffected.
    still_in
        .call(json!({"type": "CreateTicket", "title": "Still here"}))
        .await;
}

#[actix_rt::test]
async fn repeated_failed_sign_ins_from_one_address_are_throttled() {
    let server = TestServer::start().await;
    server.agent("Ana", Role::Agent).await;
    let http = reqwest::Client::new();
    let attempt = |password: &'static str| {
        http.post(format!("{}/api/auth/login", server.url()))
            .json(&json!({"email": "ana@example.org", "password": password}))
            .send()
    };
    for _ in 0..loket_core::domain::throttle::ATTEMPTS_PER_ACCOUNT {
        assert_eq!(attempt("guess").await.unwrap().status(), StatusCode::UNAUTHORIZED);
    }
    let throttled = attempt(PASSWORD).await.unwrap();
    assert_eq!(
        throttled.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    let body: serde_json::Value = throttled.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited");
}
