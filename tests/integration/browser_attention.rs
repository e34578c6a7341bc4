//! Attention signals in real headless Chromium against a real `loket`: an agent on the board gets a toast
//! for a new ticket, the tab title counts it, its row is marked (still after a reload: the server stores
//! it); opening the ticket clears the marker and the count. The opt-in sound and notifications are stored
//! in the browser.

use loket_protocol::TicketId;
use loket_protocol::api::Role;
use loket_tests::browser::{self, Browser};
use loket_tests::server::PASSWORD;
use loket_tests::{AgentClient, TestServer};
use reqwest::StatusCode;
use serde_json::json;

const CONNECTION: &str = "[data-testid=connection]";
const TOAST: &str = "[data-testid=attention-toast]";

async fn title(b: &Browser) -> String {
    b.client()
        .execute("return document.title;", vec![])
        .await
        .expect("the title")
        .as_str()
        .unwrap_or_default()
        .to_string()
}

async fn wait_title(b: &Browser, want: &str) {
    b.wait_until(&format!("the title {want:?}"), || async { title(b).await == want })
        .await;
}

/// The row of `id`, marked unread or not.
fn row(id: TicketId, unread: bool) -> String {
    let key = id.key();
    if unread {
        format!("[data-ticket-key='{key}'][data-unread=true] [data-testid=unread-marker]")
    } else {
        format!("[data-ticket-key='{key}']:not([data-unread])")
    }
}

async fn file(client: &AgentClient, title: &str) -> TicketId {
    let filed = client.post("/api/tickets", json!({"title": title})).await;
    assert_eq!(filed.status, StatusCode::CREATED, "{filed:?}");
    TicketId(filed.body["id"].as_i64().expect("a ticket id"))
}

#[actix_rt::test]
async fn a_new_ticket_toasts_counts_in_the_title_and_is_marked_on_the_board_until_opened() {
    if !browser::available() {
        return;
    }
    let server = TestServer::start_with(|config| config.web_dir = Some(browser::web_dir())).await;
    let ayu = server.agent("Ayu", Role::Agent).await;
    let sari = server.agent("Sari", Role::Admin).await;
    let old = file(&sari, "Sampah menumpuk").await;
    let read = ayu
        .request(reqwest::Method::POST, &format!("/api/tickets/{}/read", old.0), None)
        .await;
    assert_eq!(read.status, StatusCode::NO_CONTENT, "{read:?}");

    let b = Browser::launch(&server.url(), "ayu-attention").await;
    b.goto("/").await;
    b.sign_in("ayu@example.org", PASSWORD).await;
    b.wait_attr(CONNECTION, "data-state", "connected").await;
    b.wait_for(&row(old, false)).await;
    wait_title(&b, "Loket").await;

    // Sari files a ticket: Ayu is told, wherever she is.
    let new = file(&sari, "Lampu jalan mati").await;
    b.wait_text(TOAST, &format!("New ticket {}: Lampu jalan mati", new.key()))
        .await;
    wait_title(&b, "(1) Loket").await;
    b.wait_for(&row(new, true)).await;
    b.wait_for(&row(old, false)).await;
    b.screenshot("attention-new-ticket").await;

    // Stored on the server: a reload shows the marker and the count again.
    b.goto("/").await;
    b.wait_for(&row(new, true)).await;
    wait_title(&b, "(1) Loket").await;

    // Opening the ticket reads it: the board drops the marker and the title its count.
    b.click(&format!("[data-ticket-key='{}'] a.ticket-key", new.key()))
        .await;
    b.wait_until("the ticket page", || async {
        b.path().await == format!("/tickets/{}", new.0)
    })
    .await;
    wait_title(&b, "Loket").await;
    b.client()
        .execute("history.back(); return true;", vec![])
        .await
        .expect("back to the board");
    b.wait_for(&row(new, false)).await;
    b.wait_until("the read stored on the server", || async {
        ayu.get("/api/tickets").await.body.get("unread").is_none()
    })
    .await;
    wait_title(&b, "Loket").await;

    // The opt-ins live on the account page and in this browser's localStorage (permission granted here as
    // the agent would when asked).
    b.cdp(
        "Browser.grantPermissions",
        json!({"permissions": ["notifications"], "origin": server.url()}),
    )
    .await;
    b.goto("/account").await;
    b.click("[data-testid=attention-sound]").await;
    b.click("[data-testid=attention-notify]").await;
    for key in ["loket.attention.sound", "loket.attention.notify"] {
        b.wait_until(&format!("{key} stored"), || async {
            let stored = b
                .client()
                .execute(&format!("return localStorage.getItem('{key}');"), vec![])
                .await
                .expect("localStorage");
            stored.as_str() == Some("on")
        })
        .await;
    }
    b.screenshot("attention-settings").await;
    b.close().await;
}
