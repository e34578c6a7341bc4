//! Presence in real headless Chromium against a real `loket` (issue 12, docs/presence.md): Budi opens a
//! ticket and types in the composer; Ayu's ticket page shows him viewing and typing a reply, her board
//! row shows his avatar, and both go when he leaves the ticket.

use loket_protocol::TicketId;
use loket_protocol::api::Role;
use loket_tests::TestServer;
use loket_tests::browser::{self, Browser};
use loket_tests::server::PASSWORD;
use reqwest::StatusCode;
use serde_json::json;

#[actix_rt::test]
async fn an_agent_sees_another_viewing_and_typing_on_the_ticket_page_and_the_board() {
    if !browser::available() {
        return;
    }
    let server = TestServer::start_with(|config| config.web_dir = Some(browser::web_dir())).await;
    let ayu = server.agent("Ayu", Role::Admin).await;
    server.agent("Budi", Role::Admin).await;
    let filed = ayu.post("/api/tickets", json!({"title": "Lampu jalan mati"})).await;
    assert_eq!(filed.status, StatusCode::CREATED, "{filed:?}");
    let id = TicketId(filed.body["id"].as_i64().unwrap());
    let page = format!("/tickets/{}", id.0);

    let a = Browser::launch(&server.url(), "ayu-presence").await;
    a.goto("/").await;
    a.sign_in("ayu@example.org", PASSWORD).await;
    a.goto(&page).await;
    a.wait_for("#composer-body").await;
    let b = Browser::launch(&server.url(), "budi-presence").await;
    b.goto("/").await;
    b.sign_in("budi@example.org", PASSWORD).await;
    b.goto(&page).await;

    // Budi is there: Ayu sees him; he sees Ayu.
    a.wait_text("[data-testid=presence-viewers]", "Budi is viewing").await;
    b.wait_text("[data-testid=presence-viewers]", "Ayu is viewing").await;
    // Budi types a reply: Ayu sees it, and it lapses after he stops.
    b.fill("#composer-body", "Selamat siang, kami sedang memeriksa").await;
    a.wait_text("[data-testid=presence-typing]", "Budi is typing a reply…")
        .await;
    a.screenshot("presence-typing").await;
    a.wait_until("the typing line to go once Budi stopped", || async {
        a.text("[data-testid=presence-typing]").await.is_none()
    })
    .await;
    assert!(
        a.text("[data-testid=presence-viewers]")
            .await
            .is_some_and(|t| t.contains("Budi"))
    );

    // On the board, Ayu sees Budi's avatar on the ticket's row; he leaves the ticket and it goes.
    a.goto("/").await;
    let row = format!("[data-ticket-key='{}'] [data-testid=row-viewers]", id.key());
    a.wait_attr(&row, "aria-label", "Budi is viewing").await;
    b.goto("/").await;
    a.wait_until("Budi's avatar to leave the row", || async {
        a.text(&row).await.is_none()
    })
    .await;
    a.close().await;
    b.close().await;
}
