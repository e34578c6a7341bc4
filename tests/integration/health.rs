//! Health checks, and what `/` says when the web client has not been built.

use loket_tests::TestServer;
use reqwest::StatusCode;

#[actix_rt::test]
async fn health_and_readiness_answer_without_a_session() {
    let server = TestServer::start().await;
    let http = reqwest::Client::new();
    let healthz = http.get(format!("{}/healthz", server.url())).send().await.unwrap();
    assert_eq!(healthz.status(), StatusCode::OK);
    let readyz = http.get(format!("{}/readyz", server.url())).send().await.unwrap();
    assert_eq!(readyz.status(), StatusCode::OK);
    assert_eq!(readyz.json::<serde_json::Value>().await.unwrap()["status"], "ready");
}

#[actix_rt::test]
async fn without_a_built_client_the_root_page_explains_how_to_build_it() {
    let empty = loket_tests::pg::scratch_dir("no-dist");
    let server = TestServer::start_with(|config| config.web_dir = Some(empty)).await;
    let page = reqwest::get(format!("{}/", server.url())).await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let text = page.text().await.unwrap();
    assert!(text.contains("web client is not built"), "{text}");
    assert!(text.contains("trunk build"));
    // API routes never fall back to the page.
    let api = reqwest::get(format!("{}/api/unknown", server.url())).await.unwrap();
    assert_eq!(api.status(), StatusCode::NOT_FOUND);
}

#[actix_rt::test]
async fn a_built_client_is_served_with_client_routes_falling_back_to_index() {
    let dist = loket_tests::pg::scratch_dir("dist");
    std::fs::write(dist.join("index.html"), "<!doctype html><title>Loket</title>").unwrap();
    std::fs::write(dist.join("app.js"), "console.log('hi')").unwrap();
    let server = TestServer::start_with(|config| config.web_dir = Some(dist)).await;
    let index = reqwest::get(format!("{}/tickets/12", server.url())).await.unwrap();
    assert_eq!(index.status(), StatusCode::OK);
    assert!(index.text().await.unwrap().contains("<title>Loket</title>"));
    let asset = reqwest::get(format!("{}/app.js", server.url())).await.unwrap();
    assert_eq!(asset.text().await.unwrap(), "console.log('hi')");
    let escape = reqwest::get(format!("{}/../../etc/passwd", server.url()))
        .await
        .unwrap();
    assert!(!escape.text().await.unwrap().contains("root:"));
}
