//! The OpenAPI document at `/api/openapi.json` (every registered route, in it and served) and the
//! browsable reference at `/docs` with its assets.

use loket_tests::TestServer;
use reqwest::StatusCode;
use serde_json::Value;

/// Every REST operation the server registers (`web/src/http/*.rs`), as `(method, path template)`.
const ROUTES: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("post", "/api/auth/login"),
    ("post", "/api/auth/logout"),
    ("get", "/api/auth/me"),
    ("post", "/api/auth/password"),
    ("get", "/api/auth/public-name"),
    ("put", "/api/auth/public-name"),
    ("get", "/api/agents"),
    ("post", "/api/agents"),
    ("get", "/api/agents/directory"),
    ("post", "/api/agents/{id}/disable"),
    ("post", "/api/agents/{id}/enable"),
    ("put", "/api/agents/{id}/role"),
    ("post", "/api/agents/{id}/password"),
    ("get", "/api/invite-codes"),
    ("post", "/api/invite-codes"),
    ("delete", "/api/invite-codes/{code}"),
    ("get", "/api/categories"),
    ("post", "/api/categories"),
    ("patch", "/api/categories/{id}"),
    ("get", "/api/sessions"),
    ("get", "/api/stats"),
    ("get", "/api/stats.csv"),
    ("delete", "/api/sessions/{id}"),
    ("get", "/api/audit"),
    ("get", "/api/stats"),
    ("get", "/api/stats.csv"),
    ("get", "/api/canned-replies"),
    ("post", "/api/canned-replies"),
    ("get", "/api/canned-replies/{id}"),
    ("patch", "/api/canned-replies/{id}"),
    ("delete", "/api/canned-replies/{id}"),
    ("get", "/api/canned-replies/{id}/render"),
    ("get", "/api/queues"),
    ("post", "/api/queues"),
    ("get", "/api/queues/{id}"),
    ("patch", "/api/queues/{id}"),
    ("put", "/api/queues/{id}/members/{agent_id}"),
    ("delete", "/api/queues/{id}/members/{agent_id}"),
    ("put", "/api/categories/{id}/queue"),
    ("get", "/api/sla/calendars"),
    ("post", "/api/sla/calendars"),
    ("put", "/api/sla/calendars/{id}"),
    ("get", "/api/sla/policies"),
    ("put", "/api/sla/policies"),
    ("delete", "/api/sla/policies/{id}"),
    ("get", "/api/stats"),
    ("get", "/api/stats.csv"),
    ("get", "/api/tickets"),
    ("post", "/api/tickets"),
    ("get", "/api/tickets/{id}"),
    ("patch", "/api/tickets/{id}"),
    ("post", "/api/tickets/{id}/lock"),
    ("delete", "/api/tickets/{id}/lock"),
    ("post", "/api/tickets/{id}/read"),
    ("post", "/api/tickets/{id}/comments"),
    ("post", "/api/tickets/{id}/attachments"),
    ("post", "/api/tickets/{id}/merge"),
    ("get", "/api/tickets/{id}/events"),
    ("get", "/api/attachments/{id}"),
];

#[actix_rt::test]
async fn the_document_is_openapi_3_naming_exactly_the_routes_the_server_serves() {
    let server = TestServer::start().await;
    let http = reqwest::Client::new();
    let response = http
        .get(format!("{}/api/openapi.json", server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let doc: Value = response.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{}", doc["openapi"]);
    assert_eq!(doc["info"]["title"], "Loket REST API");

    let mut documented: Vec<(String, String)> = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.push((method.clone(), path.clone()));
        }
    }
    let mut expected: Vec<(String, String)> = ROUTES.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    documented.sort();
    expected.sort();
    assert_eq!(documented, expected, "the document and the route list differ");

    for (method, path) in ROUTES {
        let operation = &doc["paths"][path][method];
        assert!(operation["responses"].is_object(), "{method} {path} has no responses");
        let public = matches!(*path, "/healthz" | "/readyz" | "/api/auth/login");
        if !public {
            let security = operation["security"].to_string();
            assert!(
                security.contains("bearer") && security.contains("session_cookie"),
                "{method} {path}: {security}"
            );
            assert_eq!(
                operation["responses"]["401"]["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/ApiError",
                "{method} {path}: 401 is not an ApiError"
            );
        }
        // Each route is really registered: without a session it is refused or answered, never unknown.
        let url = format!(
            "{}{}",
            server.url(),
            path.replace("{id}", "1").replace("{code}", "nosuchcode")
        );
        let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let status = http.request(method.clone(), &url).send().await.unwrap().status();
        assert!(
            status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path} answered {status}: not registered?"
        );
    }

    let components = &doc["components"];
    assert_eq!(components["securitySchemes"]["bearer"]["scheme"], "bearer");
    assert_eq!(components["securitySchemes"]["session_cookie"]["name"], "loket_session");
    for schema in [
        "ApiError",
        "ErrorCode",
        "Ticket",
        "TicketDetail",
        "AgentAccount",
        "AuditEntry",
        "SessionInfo",
    ] {
        assert!(components["schemas"][schema].is_object(), "schema {schema} missing");
    }
    let codes = components["schemas"]["ErrorCode"].to_string();
    assert!(
        codes.contains("version_conflict") && codes.contains("ticket_locked"),
        "{codes}"
    );
}

#[actix_rt::test]
async fn docs_serve_the_page_its_initialiser_and_swagger_ui_files_under_a_strict_policy() {
    let dir = loket_tests::pg::scratch_dir("swagger-ui");
    std::fs::write(dir.join("swagger-ui.css"), "body{margin:0}").unwrap();
    std::fs::write(dir.join("swagger-ui-bundle.js"), "window.SwaggerUIBundle=function(){};").unwrap();
    std::fs::write(dir.join("secret.txt"), "not served").unwrap();
    let server = TestServer::start_with(|config| config.docs_dir = Some(dir)).await;
    let http = reqwest::Client::new();

    let page = http.get(format!("{}/docs", server.url())).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("script-src 'self';"), "{csp}");
    assert!(csp.contains("connect-src 'self'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let html = page.text().await.unwrap();
    for asset in ["/docs/swagger-ui.css", "/docs/swagger-ui-bundle.js", "/docs/init.js"] {
        assert!(html.contains(asset), "the page does not load {asset}");
    }
    assert!(
        loket_web::http::security::inline_script_hashes(&html).is_empty(),
        "the page has inline scripts: {html}"
    );

    let init = http.get(format!("{}/docs/init.js", server.url())).send().await.unwrap();
    assert!(
        init.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(init.text().await.unwrap().contains("/api/openapi.json"));
    let css = http
        .get(format!("{}/docs/swagger-ui.css", server.url()))
        .send()
        .await
        .unwrap();
    assert!(css.headers()["content-type"].to_str().unwrap().starts_with("text/css"));
    assert_eq!(css.text().await.unwrap(), "body{margin:0}");
    let js = http
        .get(format!("{}/docs/swagger-ui-bundle.js", server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(js.text().await.unwrap(), "window.SwaggerUIBundle=function(){};");
    for other in ["secret.txt", "..%2Fsecret.txt", "index.html"] {
        let response = http.get(format!("{}/docs/{other}", server.url())).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "/docs/{other}");
    }
}

#[actix_rt::test]
async fn without_swagger_ui_the_docs_page_explains_how_to_install_it() {
    let empty = loket_tests::pg::scratch_dir("no-swagger-ui");
    let server = TestServer::start_with(|config| config.docs_dir = Some(empty)).await;
    let page = reqwest::get(format!("{}/docs", server.url())).await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let text = page.text().await.unwrap();
    assert!(
        text.contains("scripts/install-tools") && text.contains("LOKET_DOCS_DIR"),
        "{text}"
    );
    let asset = reqwest::get(format!("{}/docs/swagger-ui-bundle.js", server.url()))
        .await
        .unwrap();
    assert_eq!(asset.status(), StatusCode::NOT_FOUND);
}
