//! The Statistics page in a real headless Chromium: tickets filed over the WebSocket (some moved back a
//! few days, one moved to another queue, one resolved), then `/stats` opened from the nav: one column of
//! the created-per-day chart per day with the counts the database gives for each desk day, the totals
//! printed as text, and the queue filter redrawing the chart for one queue.

use std::collections::BTreeMap;

use loket_protocol::api::Role;
use loket_tests::TestServer;
use loket_tests::browser::{self, Browser};
use loket_tests::server::PASSWORD;
use serde_json::json;

use crate::create_ticket;
use crate::stats::{queue, resolve, update};

/// `(day, value)` of every mark matching `css` in the created-per-day chart, in order.
async fn marks(b: &Browser, css: &str) -> Vec<(String, u64)> {
    let found = b
        .client()
        .execute(
            "return Array.from(document.querySelectorAll(arguments[0]))
                .map(e => [e.getAttribute('data-day'), Number(e.getAttribute('data-value'))]);",
            vec![json!(css)],
        )
        .await
        .expect("read the chart");
    serde_json::from_value(found).expect("pairs of day and value")
}

/// The `textContent` of the first element matching `css` (SVG text included).
async fn text_content(b: &Browser, css: &str) -> String {
    let found = b
        .client()
        .execute(
            "return document.querySelector(arguments[0])?.textContent ?? '';",
            vec![json!(css)],
        )
        .await
        .expect("read text");
    found.as_str().unwrap_or_default().to_string()
}

/// The labels of the bars of the chart `testid`, in order.
async fn bar_labels(b: &Browser, testid: &str) -> Vec<String> {
    let found = b
        .client()
        .execute(
            "return Array.from(document.querySelectorAll(`[data-testid=${arguments[0]}] .bar-row`))
                .map(e => e.getAttribute('data-label'));",
            vec![json!(testid)],
        )
        .await
        .expect("read the bars");
    serde_json::from_value(found).expect("labels")
}

/// The non-zero marks only.
fn nonzero(marks: &[(String, u64)]) -> BTreeMap<String, u64> {
    marks.iter().filter(|(_, v)| *v > 0).cloned().collect()
}

#[actix_rt::test]
async fn the_statistics_page_draws_tickets_per_day_and_follows_the_queue_filter() {
    if !browser::available() {
        return;
    }
    let server = TestServer::start_with(|config| config.web_dir = Some(browser::web_dir())).await;
    let sari = server.agent("Sari", Role::Admin).await;
    let roads = queue(&sari, "Jalan").await;
    let mut ws = sari.ws().await;
    let mut ids = Vec::new();
    for title in [
        "Lampu mati",
        "Got tersumbat",
        "Pohon tumbang",
        "Jalan berlubang",
        "Banjir",
        "Trotoar retak",
    ] {
        ids.push(create_ticket(&mut ws, title).await);
    }
    let db = server.pool.get().await.unwrap();
    // Two filed two days ago, one three days ago (the triggers move them to those days).
    for (id, days) in [(ids[0], 2), (ids[1], 2), (ids[2], 3)] {
        db.execute(
            "UPDATE tickets SET created_at = created_at - make_interval(days => $2) WHERE id = $1",
            &[&id.0, &days],
        )
        .await
        .unwrap();
    }
    update(&mut ws, &sari, ids[3], json!({"queue_id": roads.0})).await;
    resolve(&mut ws, &sari, ids[4]).await;
    // What the chart must show: tickets per desk day, as the database counts them.
    let per_day = |queue: Option<i64>| {
        let db = &db;
        async move {
            let rows = db
                .query(
                    "SELECT loket_stats_day(created_at, loket_stats_tz())::text, count(*) FROM tickets
                     WHERE $1::bigint IS NULL OR queue_id = $1 GROUP BY 1",
                    &[&queue],
                )
                .await
                .unwrap();
            rows.iter()
                .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1) as u64))
                .collect::<BTreeMap<_, _>>()
        }
    };
    let everywhere = per_day(None).await;
    assert_eq!(everywhere.len(), 3, "three days with tickets: {everywhere:?}");

    let b = Browser::launch(&server.url(), "stats").await;
    b.goto("/").await;
    b.sign_in("sari@example.org", PASSWORD).await;
    b.click("nav a[href='/stats']").await;
    b.wait_text("[data-testid=total-created]", "6").await;
    assert_eq!(b.path().await, "/stats");
    assert_eq!(
        text_content(&b, "#daily-title").await,
        "Tickets created and resolved per day"
    );
    assert_eq!(bar_labels(&b, "chart-backlog-queue").await, ["General", "Jalan"]);
    let columns = marks(&b, "[data-testid=created-bar]").await;
    assert_eq!(columns.len(), 30, "the last 30 days, one column each");
    assert_eq!(nonzero(&columns), everywhere);
    let points = marks(&b, "[data-testid=resolved-point]").await;
    assert_eq!(points.len(), 30);
    assert_eq!(points.iter().map(|(_, v)| v).sum::<u64>(), 1);
    assert_eq!(b.text("[data-testid=total-resolved]").await.as_deref(), Some("1"));
    // The description holds the same totals for screen readers.
    let desc = text_content(&b, "#daily-desc").await;
    assert!(desc.starts_with("6 created and 1 resolved"), "{desc:?}");
    // The CSV link carries the filters.
    assert_eq!(
        b.attr("[data-testid=stats-csv]", "href").await.as_deref(),
        Some("/api/stats.csv?")
    );
    b.screenshot("stats-all").await;
    b.client()
        .execute(
            "document.querySelector('[data-testid=chart-categories]').scrollIntoView(); return true;",
            vec![],
        )
        .await
        .expect("scroll");
    b.screenshot("stats-more").await;

    // One queue: Roads holds the moved ticket only.
    b.select("#stats-queue", &roads.0.to_string()).await;
    b.wait_text("[data-testid=total-created]", "1").await;
    let columns = marks(&b, "[data-testid=created-bar]").await;
    assert_eq!(nonzero(&columns), per_day(Some(roads.0)).await);
    assert_eq!(b.text("[data-testid=total-resolved]").await.as_deref(), Some("0"));
    assert_eq!(
        b.attr("[data-testid=stats-csv]", "href").await,
        Some(format!("/api/stats.csv?queue={}", roads.0))
    );
    // Backlog by queue now shows Roads alone.
    assert_eq!(bar_labels(&b, "chart-backlog-queue").await, ["Jalan"]);
    b.close().await;
}
