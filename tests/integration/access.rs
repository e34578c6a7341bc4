//! Removing and changing access: disabling agents, roles, passwords, sessions, categories, and the admin
//! audit trail that records each of them.

use loket_protocol::AgentId;
use loket_protocol::api::{AgentAccount, AuditEntry, Role, SessionInfo};
use loket_protocol::ws::ServerMessage;
use loket_tests::server::PASSWORD;
use loket_tests::telegram::Sent;
use loket_tests::{AgentClient, FakeTelegram, TestServer, TgUser, WsClient};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// The audit trail about agent `id`, newest first.
async fn audit_of_agent(admin: &AgentClient, id: AgentId) -> Vec<AuditEntry> {
    let reply = admin.get(&format!("/api/audit?agent_id={}", id.0)).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    serde_json::from_value(reply.body).expect("audit entries")
}

fn actions(entries: &[AuditEntry]) -> Vec<&'static str> {
    entries.iter().map(|e| e.action.as_str()).collect()
}

fn account(reply: &loket_tests::client::Reply) -> AgentAccount {
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    serde_json::from_value(reply.body.clone()).expect("an account")
}

/// Proves `ws` is still open and served: a Ping is answered with its Pong.
async fn still_open(ws: &mut WsClient) {
    let id = ws.request(json!({"type": "Ping"})).await;
    ws.recv_until("Pong", |m| match m {
        ServerMessage::Pong { request_id } if request_id.as_deref() == Some(id.as_str()) => Some(()),
        _ => None,
    })
    .await;
}

async fn login_status(server: &TestServer, email: &str, password: &str) -> (StatusCode, Value) {
    match AgentClient::login(&server.url(), email, password).await {
        Ok(_) => (StatusCode::OK, Value::Null),
        Err(reply) => (reply.status, reply.body),
    }
}

#[actix_rt::test]
async fn disabling_an_agent_ends_its_sign_ins_and_sockets_at_once_and_enabling_lets_it_back() {
    let server = TestServer::start().await;
    let root = server.agent("Root", Role::Admin).await;
    let ana = server.agent("Ana", Role::Agent).await;
    let ana_elsewhere = AgentClient::login(&server.url(), "ana@example.org", PASSWORD)
        .await
        .unwrap();
    let (mut socket, mut other_socket) = (ana.ws().await, ana_elsewhere.ws().await);
    let mut bystander = root.ws().await;

    let disabled = account(
        &root
            .post(&format!("/api/agents/{}/disable", ana.agent.id.0), json!({}))
            .await,
    );
    assert!(disabled.is_disabled());
    assert_eq!(disabled.sessions, 0, "every sign-in ended");

    for ws in [&mut socket, &mut other_socket] {
        let frame = ws.closed().await;
        assert_eq!(frame.code, CloseCode::Policy, "{frame:?}");
        assert!(frame.reason.contains("disabled"), "{frame:?}");
    }
    for client in [&ana, &ana_elsewhere] {
        let reply = client.get("/api/tickets").await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{reply:?}");
    }
    // The right password gets a clear refusal; a wrong one looks like any wrong password.
    let (status, body) = login_status(&server, "ana@example.org", PASSWORD).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["code"], "account_disabled");
    assert!(body["message"].as_str().unwrap().contains("disabled"), "{body}");
    let (status, body) = login_status(&server, "ana@example.org", "not the password").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthorized"))
    );
    // Disabling again changes nothing and records nothing more.
    let again = account(
        &root
            .post(&format!("/api/agents/{}/disable", ana.agent.id.0), json!({}))
            .await,
    );
    assert_eq!(again.disabled_at, disabled.disabled_at);

    // Someone else's socket stays open.
    still_open(&mut bystander).await;

    let enabled = account(
        &root
            .post(&format!("/api/agents/{}/enable", ana.agent.id.0), json!({}))
            .await,
    );
    assert!(!enabled.is_disabled());
    let back = AgentClient::login(&server.url(), "ana@example.org", PASSWORD)
        .await
        .expect("signs in again once enabled");
    back.ws().await;
    assert_eq!(
        ana.get("/api/tickets").await.status,
        StatusCode::UNAUTHORIZED,
        "old sign-ins stay ended"
    );

    let trail = audit_of_agent(&root, ana.agent.id).await;
    assert_eq!(actions(&trail), ["agent_enabled", "agent_disabled"]);
    assert_eq!(trail[1].actor.as_ref().map(|a| a.id), Some(root.agent.id));
    assert_eq!(trail[1].details.sessions_ended, Some(2));
    assert_eq!(trail[1].details.name.as_deref(), Some("Ana"));
}

#[actix_rt::test]
async fn a_role_change_applies_to_the_next_request_and_reconnects_sockets() {
    let server = TestServer::start().await;
    let root = server.agent("Root", Role::Admin).await;
    let ben = server.agent("Ben", Role::Agent).await;
    assert_eq!(ben.get("/api/agents").await.status, StatusCode::FORBIDDEN);
    let mut socket = ben.ws().await;

    let promoted = account(
        &root
            .put(
                &format!("/api/agents/{}/role", ben.agent.id.0),
                json!({"role": "admin"}),
            )
            .await,
    );
    assert_eq!(promoted.agent.role, Role::Admin);
    let frame = socket.closed().await;
    assert_eq!(frame.code, CloseCode::Restart, "{frame:?}");
    // The same sign-in now has admin rights over REST, and a new socket is welcomed as admin.
    assert_eq!(ben.get("/api/agents").await.status, StatusCode::OK);
    assert_eq!(ben.get("/api/auth/me").await.body["role"], "admin");
    let mut socket = ben.ws().await;

    let demoted = account(
        &root
            .put(
                &format!("/api/agents/{}/role", ben.agent.id.0),
                json!({"role": "agent"}),
            )
            .await,
    );
    assert_eq!(demoted.agent.role, Role::Agent);
    assert_eq!(socket.closed().await.code, CloseCode::Restart);
    assert_eq!(ben.get("/api/agents").await.status, StatusCode::FORBIDDEN);
    let bad = root
        .put(
            &format!("/api/agents/{}/role", ben.agent.id.0),
            json!({"role": "owner"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{bad:?}");

    let trail = audit_of_agent(&root, ben.agent.id).await;
    assert_eq!(actions(&trail), ["role_changed", "role_changed"]);
    assert_eq!(
        (trail[1].details.from.as_deref(), trail[1].details.to.as_deref()),
        (Some("agent"), Some("admin"))
    );
    assert_eq!(
        (trail[0].details.from.as_deref(), trail[0].details.to.as_deref()),
        (Some("admin"), Some("agent"))
    );
}

#[actix_rt::test]
async fn the_last_active_admin_can_be_neither_disabled_nor_demoted() {
    let server = TestServer::start().await;
    let root = server.agent("Root", Role::Admin).await;
    let generated = server.generated_admin.clone().expect("the generated first admin");
    let first = AgentClient::login(&server.url(), &generated.email, &generated.password)
        .await
        .unwrap();
    account(
        &root
            .post(&format!("/api/agents/{}/disable", first.agent.id.0), json!({}))
            .await,
    );

    // Root is now the only active admin: neither path may take that away.
    let me = root.agent.id.0;
    for reply in [
        root.post(&format!("/api/agents/{me}/disable"), json!({})).await,
        root.put(&format!("/api/agents/{me}/role"), json!({"role": "agent"}))
            .await,
    ] {
        assert_eq!(reply.status, StatusCode::CONFLICT, "{reply:?}");
        assert_eq!(reply.body["code"], "conflict");
        assert!(
            reply.body["message"].as_str().unwrap().contains("last active admin"),
            "{reply:?}"
        );
    }
    assert_eq!(
        root.get("/api/agents").await.status,
        StatusCode::OK,
        "Root is still an admin"
    );
    assert!(
        actions(&audit_of_agent(&root, root.agent.id).await).is_empty(),
        "refusals are not recorded as changes"
    );

    // With a second active admin, the two may demote each other at once: exactly one wins, and the other,
    // no longer an admin by the time its change would apply, is refused as such (403), whether its request
    // was let in before the winner committed (its transaction then sees the winner's change) or after.
    account(
        &root
            .post(&format!("/api/agents/{}/enable", first.agent.id.0), json!({}))
            .await,
    );
    // Disabling ended the first admin's sign-in: sign in again.
    assert_eq!(first.get("/api/auth/me").await.status, StatusCode::UNAUTHORIZED);
    let first = AgentClient::login(&server.url(), &generated.email, &generated.password)
        .await
        .unwrap();
    let demote = |by: &AgentClient, whom: AgentId| {
        let by = by.clone();
        async move {
            by.put(&format!("/api/agents/{}/role", whom.0), json!({"role": "agent"}))
                .await
        }
    };
    let (a, b) = tokio::join!(demote(&root, first.agent.id), demote(&first, root.agent.id));
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::FORBIDDEN], "{a:?} {b:?}");
    let loser = if a.status == StatusCode::FORBIDDEN { &a } else { &b };
    assert_eq!(loser.body["code"], "forbidden", "{loser:?}");
    let client = server.pool.get().await.unwrap();
    let admins: i64 = client
        .query_one(
            "SELECT count(*) FROM agents WHERE role = 'admin' AND disabled_at IS NULL",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(admins, 1, "one active admin remains");
}

#[actix_rt::test]
async fn an_admin_demoted_while_their_change_waits_changes_nothing() {
    let server = TestServer::start().await;
    let root = server.agent("Root", Role::Admin).await;
    let mia = server.agent("Mia", Role::Admin).await;
    let carl = server.agent("Carl", Role::Agent).await;
    let url = server
        .config
        .database_url
        .clone()
        .expect("the test server uses a DATABASE_URL");
    // Another account change in progress, by hand: it holds the active admins' rows.
    let mut holder = loket_tests::pg::connect_plain(&url).await;
    let held = holder.transaction().await.unwrap();
    held.execute(
        "SELECT id FROM agents WHERE role = 'admin' AND disabled_at IS NULL ORDER BY id FOR NO KEY UPDATE",
        &[],
    )
    .await
    .unwrap();
    // Mia, an admin when her request is let in, disables Carl; her change waits for the held rows.
    let disabling = {
        let mia = mia.clone();
        let carl = carl.agent.id.0;
        tokio::spawn(async move { mia.post(&format!("/api/agents/{carl}/disable"), json!({})).await })
    };
    let watcher = loket_tests::pg::connect_plain(&url).await;
    let deadline = tokio::time::Instant::now() + loket_tests::PATIENCE;
    loop {
        let waiting: i64 = watcher
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        if waiting > 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "Mia's change never waited for the admins' rows"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // Meanwhile the change in progress makes Mia an agent, and commits.
    held.execute("UPDATE agents SET role = 'agent' WHERE id = $1", &[&mia.agent.id.0])
        .await
        .unwrap();
    held.commit().await.unwrap();
    let reply = disabling.await.unwrap();
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{reply:?}");
    assert_eq!(reply.body["code"], "forbidden");
    let carl_now = root.get("/api/agents").await;
    let accounts: Vec<AgentAccount> = serde_json::from_value(carl_now.body).unwrap();
    let carl_account = accounts.iter().find(|a| a.agent.id == carl.agent.id).expect("Carl");
    assert!(
        !carl_account.is_disabled(),
        "a change by someone no longer an admin did not apply"
    );
    assert_eq!(
        carl.get("/api/auth/me").await.status,
        StatusCode::OK,
        "Carl is still signed in"
    );
    assert!(actions(&audit_of_agent(&root, carl.agent.id).await).is_empty());
}

#[actix_rt::test]
async fn an_agent_changes_their_own_password_with_the_current_one() {
    let server = TestServer::start().await;
    let root = server.agent("Root", Role::Admin).await;
    let ana = server.agent("Ana", Role::Agent).await;
    let elsewhere = AgentClient::login(&server.url(), "ana@example.org", PASSWORD)
        .await
        .unwrap();
    let mut here_socket = ana.ws().await;
    let mut other_socket = elsewhere.ws().await;

    let wrong = ana
        .post(
            "/api/auth/password",
            json!({"current_password": "not it", "new_password": "a brand new password"}),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN, "{wrong:?}");
    assert_eq!(wrong.body["code"], "forbidden");
    let short = ana
        .post(
            "/api/auth/password",
            json!({"current_password": PASSWORD, "new_password": "short"}),
        )
        .await;
    assert_eq!(short.status, StatusCode::BAD_REQUEST, "{short:?}");
    AgentClient::login(&server.url(), "ana@example.org", PASSWORD)
        .await
        .expect("refused changes leave the password as it was");

    let changed = ana
        .post(
            "/api/auth/password",
            json!({"current_password": PASSWORD, "new_password": "a brand new password"}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT, "{changed:?}");
    // The other sign-ins end (the one just made to check the password too); this one stays.
    assert_eq!(other_socket.closed().await.code, CloseCode::Policy);
    assert_eq!(elsewhere.get("/api/auth/me").await.status, StatusCode::UNAUTHORIZED);
    still_open(&mut here_socket).await;
    assert_eq!(ana.get("/api/auth/me").await.status, StatusCode::OK);
    let (status, _) = login_status(&server, "ana@example.org", PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the old password no longer works");
    AgentClient::login(&server.url(), "ana@example.org", "a brand new password")
        .await
        .expect("the new one does");

    let trail = audit_of_agent(&root, ana.agent.id).await;
    assert_eq!(actions(&trail), ["password_changed"]);
    assert_eq!(trail[0].actor.as_ref().map(|a| a.id), Some(ana.agent.id));
    assert_eq!(trail[0].details.sessions_ended, Some(2));
    let raw: String = server
        .pool
        .get()
        .await
        .unwrap()
        .query_one("SELECT string_agg(details::text, ' ') FROM admin_audit", &[])
        .await
        .unwrap()
        .get(0);
    assert!(!raw.contains("brand new"), "no password in the audit trail: {raw}");
}

#[actix_rt::test]
async fn an_admin_resets_a_password_and_the_agents_sign_ins_end() {
    let server = TestServer::start().await;
    let root = server.agent("Root", Role::Admin).await;
    let ana = server.agent("Ana", Role::Agent).await;
    let mut socket = ana.ws().await;
    let path = format!("/api/agents/{}/password", ana.agent.id.0);

    let reset = root.request(reqwest::Method::POST, &path, None).await;
    assert_eq!(reset.status, StatusCode::OK, "{reset:?}");
    let generated = reset.body["generated_password"].as_str().unwrap().to_string();
    assert!(generated.len() >= 16, "{generated}");
    assert_eq!(reset.body["sessions_ended"], 1);
    assert_eq!(socket.closed().await.code, CloseCode::Policy);
    assert_eq!(ana.get("/api/auth/me").await.status, StatusCode::UNAUTHORIZED);
    let (status, _) = login_status(&server, "ana@example.org", PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let ana = AgentClient::login(&server.url(), "ana@example.org", &generated)
        .await
        .expect("the generated password works");

    // An admin may also set one; it must be a valid password.
    assert_eq!(
        root.post(&path, json!({"password": "short"})).await.status,
        StatusCode::BAD_REQUEST
    );
    let set = root.post(&path, json!({"password": "chosen by an admin"})).await;
    assert_eq!(set.status, StatusCode::OK, "{set:?}");
    assert_eq!(set.body["generated_password"], Value::Null);
    assert_eq!(ana.get("/api/auth/me").await.status, StatusCode::UNAUTHORIZED);
    AgentClient::login(&server.url(), "ana@example.org", "chosen by an admin")
        .await
        .expect("the chosen password works");
    assert_eq!(
        root.post("/api/agents/999999/password", json!({})).await.status,
        StatusCode::NOT_FOUND
    );

    let trail = audit_of_agent(&root, ana.agent.id).await;
    assert_eq!(actions(&trail), ["password_reset", "password_reset"]);
    assert_eq!(trail[1].details.generated, Some(true));
    assert_eq!(trail[0].details.generated, Some(false));
    let raw = serde_json::to_string(&trail).unwrap();
    assert!(
        !raw.contains(&generated) && !raw.contains("chosen by"),
        "no password in the audit trail"
    );
}

#[actix_rt::test]
async fn admins_list_sign_ins_and_ending_one_closes_its_sockets() {
    let server = TestServer::start().await;
    let root = server.agent("Root", Role::Admin).await;
    server.agent("Ana", Role::Agent).await;
    let browser = reqwest::Client::builder()
        .user_agent("Mozilla/5.0 (LoketTest) Firefox/140.0")
        .build()
        .unwrap();
    let ana = AgentClient::login_with(browser, &server.url(), "ana@example.org", PASSWORD)
        .await
        .unwrap();
    let ana_script = AgentClient::login(&server.url(), "ana@example.org", PASSWORD)
        .await
        .unwrap();
    let mut socket = ana.ws().await;
    let mut script_socket = ana_script.ws().await;

    let listed = root.get(&format!("/api/sessions?agent_id={}", ana.agent.id.0)).await;
    assert_eq!(listed.status, StatusCode::OK, "{listed:?}");
    let text = listed.body.to_string();
    for token in [&ana.token, &ana_script.token, &root.token] {
        assert!(!text.contains(token.as_str()), "tokens never leave the server");
    }
    let sessions: Vec<SessionInfo> = serde_json::from_value(listed.body).unwrap();
    // Ana signed in three times: once by the kit, once from the "browser", once from the script.
    assert_eq!(sessions.len(), 3, "{sessions:?}");
    assert!(sessions.iter().all(|s| s.agent.id == ana.agent.id && !s.current));
    let from_browser = sessions
        .iter()
        .find(|s| s.user_agent.as_deref() == Some("Mozilla/5.0 (LoketTest) Firefox/140.0"))
        .expect("the browser's sign-in, named by its User-Agent");
    assert!(from_browser.last_seen_at >= from_browser.created_at);

    let everyone: Vec<SessionInfo> = serde_json::from_value(root.get("/api/sessions").await.body).unwrap();
    let mine: Vec<_> = everyone.iter().filter(|s| s.current).collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].agent.id, root.agent.id);

    let end = root.delete(&format!("/api/sessions/{}", from_browser.id.0), None).await;
    assert_eq!(end.status, StatusCode::NO_CONTENT, "{end:?}");
    assert_eq!(socket.closed().await.code, CloseCode::Policy);
    assert_eq!(ana.get("/api/auth/me").await.status, StatusCode::UNAUTHORIZED);
    // Her other sign-ins carry on.
    still_open(&mut script_socket).await;
    assert_eq!(ana_script.get("/api/auth/me").await.status, StatusCode::OK);
    let again = root.delete(&format!("/api/sessions/{}", from_browser.id.0), None).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);

    let trail: Vec<AuditEntry> = serde_json::from_value(root.get("/api/audit").await.body).unwrap();
    let ended: Vec<_> = trail.iter().filter(|e| e.action.as_str() == "session_ended").collect();
    assert_eq!(ended.len(), 1, "{trail:?}");
    assert_eq!(
        serde_json::to_value(ended[0].target).unwrap(),
        json!({"kind": "session", "id": from_browser.id.0})
    );
    assert_eq!(ended[0].details.name.as_deref(), Some("Ana"));
}

#[actix_rt::test]
async fn categories_are_renamed_and_retired_and_tickets_keep_them() {
    let server = TestServer::start().await;
    let root = server.agent("Root", Role::Admin).await;
    let ana = server.agent("Ana", Role::Agent).await;
    let roads = root.post("/api/categories", json!({"name": "Roads"})).await;
    assert_eq!(roads.status, StatusCode::CREATED);
    let roads = roads.body["id"].as_i64().unwrap();
    root.post("/api/categories", json!({"name": "Lighting"})).await;
    let filed = ana
        .post("/api/tickets", json!({"title": "Pothole", "category_id": roads}))
        .await;
    assert_eq!(filed.status, StatusCode::CREATED);
    let ticket = filed.body["id"].as_i64().unwrap();
    let path = format!("/api/categories/{roads}");

    let renamed = root.patch(&path, json!({"name": "Roads and bridges"})).await;
    assert_eq!(renamed.status, StatusCode::OK, "{renamed:?}");
    assert_eq!(renamed.body["name"], "Roads and bridges");
    let taken = root.patch(&path, json!({"name": "lighting"})).await;
    assert_eq!(taken.status, StatusCode::CONFLICT, "{taken:?}");
    assert_eq!(
        root.patch(&path, json!({})).await.status,
        StatusCode::BAD_REQUEST,
        "nothing to change"
    );
    assert_eq!(
        root.patch("/api/categories/999999", json!({"retired": true}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let detail = ana.get(&format!("/api/tickets/{ticket}")).await;
    assert_eq!(detail.body["ticket"]["category"]["name"], "Roads and bridges");

    let retired = root.patch(&path, json!({"retired": true})).await;
    assert_eq!(retired.status, StatusCode::OK, "{retired:?}");
    assert!(retired.body["retired_at"].is_string());
    let offered = ana.get("/api/categories?offered=true").await.body;
    let names: Vec<&str> = offered
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Lighting"], "a retired category is not offered");
    let all = ana.get("/api/categories").await.body;
    let listed = all
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == roads)
        .expect("still listed");
    assert!(listed["retired_at"].is_string(), "{listed}");

    // Tickets keep it; new tickets and category changes cannot use it.
    let detail = ana.get(&format!("/api/tickets/{ticket}")).await;
    assert_eq!(detail.body["ticket"]["category"]["name"], "Roads and bridges");
    let refused = ana
        .post(
            "/api/tickets",
            json!({"title": "Another pothole", "category_id": roads}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{refused:?}");
    assert!(
        refused.body["message"].as_str().unwrap().contains("retired"),
        "{refused:?}"
    );
    let other = ana.post("/api/tickets", json!({"title": "Dark street"})).await;
    let other_id = other.body["id"].as_i64().unwrap();
    let moved = ana
        .patch(
            &format!("/api/tickets/{other_id}"),
            json!({"version": 1, "changes": {"category_id": roads}}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::BAD_REQUEST, "{moved:?}");
    // Editing the old ticket's other fields leaves its category alone.
    let edited = ana
        .patch(
            &format!("/api/tickets/{ticket}"),
            json!({"version": 1, "changes": {"title": "Deep pothole"}}),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{edited:?}");
    assert_eq!(edited.body["category"]["name"], "Roads and bridges");

    let restored = root.patch(&path, json!({"retired": false})).await;
    assert_eq!(restored.body["retired_at"], Value::Null);
    let offered = ana.get("/api/categories?offered=true").await.body;
    assert_eq!(offered.as_array().unwrap().len(), 2);

    let trail: Vec<AuditEntry> =
        serde_json::from_value(root.get(&format!("/api/audit?category_id={roads}")).await.body).unwrap();
    assert_eq!(
        actions(&trail),
        [
            "category_restored",
            "category_retired",
            "category_renamed",
            "category_created"
        ]
    );
    assert_eq!(
        (trail[2].details.from.as_deref(), trail[2].details.to.as_deref()),
        (Some("Roads"), Some("Roads and bridges"))
    );
}

#[actix_rt::test]
async fn agents_get_403_on_every_access_admin_route() {
    let server = TestServer::start().await;
    let root = server.agent("Root", Role::Admin).await;
    let ben = server.agent("Ben", Role::Agent).await;
    let category = root.post("/api/categories", json!({"name": "Roads"})).await.body["id"].clone();
    let target = root.agent.id.0;
    let refused = [
        ben.post(&format!("/api/agents/{target}/disable"), json!({})).await,
        ben.post(&format!("/api/agents/{target}/enable"), json!({})).await,
        ben.put(&format!("/api/agents/{target}/role"), json!({"role": "agent"}))
            .await,
        ben.put(
            &format!("/api/agents/{}/role", ben.agent.id.0),
            json!({"role": "admin"}),
        )
        .await,
        ben.post(&format!("/api/agents/{target}/password"), json!({})).await,
        ben.get("/api/sessions").await,
        ben.delete("/api/sessions/1", None).await,
        ben.patch(&format!("/api/categories/{category}"), json!({"retired": true}))
            .await,
        ben.get("/api/audit").await,
    ];
    for reply in refused {
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{reply:?}");
        assert_eq!(reply.body["code"], "forbidden");
    }
    // Nothing happened: Root is untouched, Ben is still an agent, and nothing was audited but the category.
    assert_eq!(root.get("/api/auth/me").await.status, StatusCode::OK);
    assert_eq!(ben.get("/api/auth/me").await.body["role"], "agent");
    let trail: Vec<AuditEntry> = serde_json::from_value(root.get("/api/audit").await.body).unwrap();
    assert_eq!(actions(&trail), ["category_created"]);
    // Creating an agent is audited too.
    let created = root
        .post(
            "/api/agents",
            json!({"email": "cy@example.org", "name": "Cy", "password": "long enough pw"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let cy = AgentId(created.body["id"].as_i64().unwrap());
    let trail = audit_of_agent(&root, cy).await;
    assert_eq!(actions(&trail), ["agent_created"]);
    assert_eq!(trail[0].details.to.as_deref(), Some("agent"));
}

#[actix_rt::test]
async fn reporters_are_offered_only_categories_that_are_not_retired() {
    let tg = FakeTelegram::start().await;
    let server = TestServer::start_with(|config| tg.configure(config)).await;
    let root = server.agent("Root", Role::Admin).await;
    root.post("/api/categories", json!({"name": "Lighting"})).await;
    let roads = root.post("/api/categories", json!({"name": "Roads"})).await.body["id"].clone();
    let ana = TgUser::new(701, "Ana", "en");
    let code = root.post("/api/invite-codes", json!({"max_uses": 1})).await.body["code"]
        .as_str()
        .expect("an invite code")
        .to_string();
    tg.send_text(&ana, &format!("/start {code}"));
    tg.expect(ana.id, "Welcome").await;

    tg.send_text(&ana, "/report");
    tg.expect(ana.id, "What is the problem").await;
    tg.send_text(&ana, "Pothole on Jl. Sudirman");
    tg.expect(ana.id, "describe").await;
    tg.send_text(&ana, "Deep, by the school");
    let before = tg.expect(ana.id, "Which category").await;
    let labels = |sent: &Sent| sent.buttons.iter().map(|(l, _)| l.clone()).collect::<Vec<_>>();
    assert_eq!(labels(&before), ["Lighting", "Roads"]);

    // Roads is retired while Ana looks at the buttons: pressing it is not accepted, and the buttons
    // offered again leave it out.
    let retired = root
        .patch(&format!("/api/categories/{roads}"), json!({"retired": true}))
        .await;
    assert_eq!(retired.status, StatusCode::OK, "{retired:?}");
    tg.press(&ana, &before, &before.button("Roads"));
    let again = tg.expect(ana.id, "Which category").await;
    assert_eq!(labels(&again), ["Lighting"]);
    tg.press(&ana, &again, &again.button("Lighting"));
    tg.expect(ana.id, "photos or documents").await;

    // A report drafted under a category that is retired before it is sent keeps it, as filed tickets do.
    let lighting = root.get("/api/categories").await.body.as_array().unwrap()[0]["id"].clone();
    tg.send_text(&ana, "/skip");
    let summary = tg.expect(ana.id, "Please check your report").await;
    root.patch(&format!("/api/categories/{lighting}"), json!({"retired": true}))
        .await;
    tg.press(&ana, &summary, &summary.button("Send"));
    tg.expect(ana.id, "filed as").await;
    let tickets = root.get("/api/tickets").await;
    assert_eq!(
        tickets.body["tickets"][0]["category"]["name"], "Lighting",
        "{tickets:?}"
    );
}
