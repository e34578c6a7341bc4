//! Service levels in real headless Chromium against a real `loket` (issue 12, docs/sla.md): an admin sets
//! a promise on the Service levels page (a mistyped calendar is explained, nothing sent); a new ticket's
//! clock shows on its board row, turns red when the sweep records the breach, and the ticket page shows
//! both clocks counting down.

use loket_protocol::TicketId;
use loket_protocol::api::Role;
use loket_tests::TestServer;
use loket_tests::browser::{self, Browser};
use loket_tests::server::PASSWORD;
use reqwest::StatusCode;
use serde_json::json;

#[actix_rt::test]
async fn an_admin_sets_a_promise_and_the_board_and_ticket_page_show_its_clocks_live() {
    if !browser::available() {
        return;
    }
    let server = TestServer::start_with(|config| config.web_dir = Some(browser::web_dir())).await;
    let ayu = server.agent("Ayu", Role::Admin).await;

    let b = Browser::launch(&server.url(), "ayu-sla").await;
    b.goto("/").await;
    b.sign_in("ayu@example.org", PASSWORD).await;
    b.goto("/admin/sla").await;
    b.wait_for("[data-testid=sla-no-policies]").await;

    // A mistyped day is explained before anything is sent.
    b.fill("#sla-calendar-name", "Kantor Kelurahan").await;
    b.fill("#sla-day-0", "8 to 4").await;
    b.click("[data-testid=sla-calendar-form] button[type=submit]").await;
    b.wait_text("[data-testid=sla-calendar-error]", "Monday").await;
    assert_eq!(ayu.get("/api/sla/calendars").await.body, json!([]));
    b.fill("#sla-day-0", "08:00-16:00").await;
    b.click("[data-testid=sla-calendar-form] button[type=submit]").await;
    b.wait_text("[data-testid=sla-calendar]", "Kantor Kelurahan").await;

    // The promise: a first response in 4 seconds, a resolution in 50 (around the clock: no calendar chosen).
    b.fill("#sla-first-response", "4s").await;
    b.fill("#sla-resolution", "50s").await;
    b.fill("#sla-warn", "50").await;
    b.click("[data-testid=sla-policy-form] button[type=submit]").await;
    b.wait_text("[data-testid=sla-policy-first-response]", "4s").await;
    b.wait_text("[data-testid=sla-policy-resolution]", "50s").await;
    let policies = ayu.get("/api/sla/policies").await.body;
    assert_eq!(policies[0]["first_response_secs"], 4, "{policies}");
    assert_eq!(policies[0]["resolution_secs"], 50, "{policies}");
    b.screenshot("sla-admin").await;

    // A new ticket on the board: its soonest clock, then red once the sweep records the breach.
    b.goto("/").await;
    let filed = ayu.post("/api/tickets", json!({"title": "Lampu jalan mati"})).await;
    assert_eq!(filed.status, StatusCode::CREATED, "{filed:?}");
    let id = TicketId(filed.body["id"].as_i64().unwrap());
    let row = format!("[data-ticket-key='{}'] [data-testid=sla-clock]", id.key());
    b.wait_attr(&row, "data-target", "first_response").await;
    b.wait_attr(&row, "data-state", "sla-breached").await;
    b.wait_text(&row, "overdue").await;
    b.screenshot("sla-board-breached").await;

    // The ticket page: both clocks, the first overdue, the resolution counting down.
    b.goto(&format!("/tickets/{}", id.0)).await;
    b.wait_attr(
        "[data-testid=sla-clocks] [data-target=first_response]",
        "data-state",
        "sla-breached",
    )
    .await;
    b.wait_text("[data-testid=sla-clocks] [data-target=resolution]", "Resolution: ")
        .await;
    let first = b
        .text("[data-testid=sla-clocks] [data-target=resolution]")
        .await
        .unwrap_or_default();
    b.wait_until("the resolution clock ticking", || async {
        b.text("[data-testid=sla-clocks] [data-target=resolution]")
            .await
            .is_some_and(|now| now != first)
    })
    .await;
    b.screenshot("sla-ticket-page").await;
    b.close().await;
}
