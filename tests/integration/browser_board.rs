//! The paged board in a real headless Chromium: thousands of tickets inserted by SQL, one page in the DOM
//! at a time (the next on scroll or "Load more", far pages dropped), the server's total, live tickets
//! at the top, filters and search answered by the server with the matched words marked. Plus the
//! browser benchmark of the board at scale (ignored: run by hand, see docs/benchmarks.md).

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use loket_protocol::api::Role;
use loket_tests::browser::{self, Browser};
use loket_tests::server::PASSWORD;
use loket_tests::{AgentClient, TestServer, pg};
use serde_json::{Value, json};

const COUNT: &str = "[data-testid=ticket-count]";
const CONNECTION: &str = "[data-testid=connection]";
/// Rows the client holds at most (web-ui `state::board::MAX_ROWS`).
const MAX_ROWS: u64 = 250;

/// Inserts `count` tickets by SQL, one second apart, the newest filed now: ticket `g` is "Street light
/// g", closed when `g` is a multiple of 4 (else open) and urgent when a multiple of 10 (else normal).
async fn insert_tickets(db: &tokio_postgres::Client, count: i64) {
    db.execute(
        "INSERT INTO tickets (title, body, status, priority, created_at, updated_at) \
         SELECT 'Street light ' || g, 'Lamp post number ' || g || ' is dark', \
                CASE WHEN g % 4 = 0 THEN 'closed' ELSE 'open' END, \
                CASE WHEN g % 10 = 0 THEN 'urgent' ELSE 'normal' END, \
                now() - make_interval(secs => ($1::bigint - g)::double precision), \
                now() - make_interval(secs => ($1::bigint - g)::double precision) \
         FROM generate_series(1::bigint, $1::bigint) AS g",
        &[&count],
    )
    .await
    .expect("insert tickets");
}

/// How many ticket rows the page's DOM holds.
async fn dom_rows(b: &Browser) -> u64 {
    let n = b
        .client()
        .execute(
            "return document.querySelectorAll('[data-testid=ticket-row]').length;",
            vec![],
        )
        .await
        .expect("count rows");
    n.as_u64().expect("a number")
}

/// Scrolls to the end of the page (the list's end comes into view).
async fn scroll_to_end(b: &Browser) {
    b.client()
        .execute(
            "window.scrollTo(0, document.documentElement.scrollHeight); return true;",
            vec![],
        )
        .await
        .expect("scroll");
}

/// The place of the last row shown in the whole view (the count's `data-last`).
async fn last_shown(b: &Browser) -> u64 {
    b.attr(COUNT, "data-last")
        .await
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

#[actix_rt::test]
async fn the_board_pages_thousands_of_tickets_keeps_live_ones_on_top_and_searches_on_the_server() {
    if !browser::available() {
        return;
    }
    let dist = browser::web_dir();
    let server = TestServer::start_with(|config| config.web_dir = Some(dist)).await;
    let ayu_api = server.agent("Ayu", Role::Agent).await;
    let admin_api = server.agent("Sari", Role::Admin).await;
    insert_tickets(&server.pool.get().await.unwrap(), 4_000).await;

    let b = Browser::launch(&server.url(), "board-pages").await;
    b.goto("/").await;
    b.sign_in("ayu@example.org", PASSWORD).await;

    // The default view is open work (3,000 of the 4,000), newest first, one page of it.
    b.wait_text(COUNT, "1–50 of 3,000").await;
    assert_eq!(dom_rows(&b).await, 50);
    let first = b.attr("[data-testid=ticket-row]", "data-ticket-key").await;
    assert_eq!(first.as_deref(), Some("TKT-3999"), "newest open ticket first");
    assert_eq!(
        b.prop("#filter-status", "value").await.as_deref(),
        Some(""),
        "Open work is the default"
    );

    // Scrolling to the end loads the next page; so does "Load more".
    scroll_to_end(&b).await;
    b.wait_text(COUNT, "1–100 of 3,000").await;
    assert_eq!(dom_rows(&b).await, 100);
    // (Clicking scrolls the button into view, which may ask for a page by itself as well.)
    b.click_button("Load more").await;
    b.wait_until("a third page", || async { last_shown(&b).await >= 150 })
        .await;
    // Further on, the DOM stays bounded: the first pages are dropped (and counted above).
    while last_shown(&b).await < 350 {
        let before = last_shown(&b).await;
        scroll_to_end(&b).await;
        b.wait_until(&format!("rows after {before}"), || async {
            last_shown(&b).await > before
        })
        .await;
        assert!(dom_rows(&b).await <= MAX_ROWS, "the DOM holds at most {MAX_ROWS} rows");
    }
    let last = last_shown(&b).await;
    b.wait_text(COUNT, &format!("{}–{last} of 3,000", last - MAX_ROWS + 1))
        .await;
    assert_eq!(dom_rows(&b).await, MAX_ROWS);
    b.screenshot("board-paged").await;

    // A ticket filed meanwhile counts at once; it is above what is shown (at the top of the view), so
    // the rows shown move one place down.
    let created = ayu_api
        .post(
            "/api/tickets",
            json!({"title": "Flooded underpass", "body": "Water up to the knees", "priority": "urgent"}),
        )
        .await;
    assert!(created.status.is_success(), "{created:?}");
    b.wait_text(COUNT, &format!("{}–{} of 3,001", last - MAX_ROWS + 2, last + 1))
        .await;
    // Up at the start of the rows shown, "Back to the top" loads the first page again.
    b.client()
        .execute("window.scrollTo(0, 0); return true;", vec![])
        .await
        .expect("scroll up");
    b.click("[data-testid=back-to-top]").await;
    b.wait_text(COUNT, "1–50 of 3,001").await;
    assert_eq!(
        b.attr("[data-testid=ticket-row]", "data-ticket-key").await.as_deref(),
        Some("TKT-4001")
    );
    // At the top, the next one appears in place, live.
    let created = ayu_api
        .post(
            "/api/tickets",
            json!({"title": "Fallen tree", "body": "Blocking the path"}),
        )
        .await;
    assert!(created.status.is_success(), "{created:?}");
    b.wait_text(COUNT, "1–51 of 3,002").await;
    b.wait_attr("[data-testid=ticket-row]", "data-ticket-key", "TKT-4002")
        .await;
    assert_eq!(dom_rows(&b).await, 51);
    // Closed elsewhere, it leaves the open-work view, live, and the total follows.
    let closed = admin_api
        .patch(
            "/api/tickets/4002",
            json!({"version": 1, "changes": {"status": "closed"}}),
        )
        .await;
    assert!(closed.status.is_success(), "{closed:?}");
    b.wait_text(COUNT, "1–50 of 3,001").await;
    b.wait_attr("[data-testid=ticket-row]", "data-ticket-key", "TKT-4001")
        .await;
    assert!(b.text("tr[data-ticket-key='TKT-4002']").await.is_none());

    // Filters go to the server, which counts: open and urgent is every 20th from 10, plus the underpass.
    b.select("#filter-priority", "urgent").await;
    b.wait_attr(COUNT, "data-total", "201").await;
    b.wait_attr("[data-testid=ticket-row]", "data-ticket-key", "TKT-4001")
        .await;
    b.select("#filter-status", "any").await;
    b.wait_attr(COUNT, "data-total", "401").await;
    b.wait_until("the view in the URL", || async {
        b.client()
            .current_url()
            .await
            .is_ok_and(|u| u.query() == Some("status=any&priority=urgent"))
    })
    .await;
    // Closed tickets are in "any": every 10th of the 4,000.
    b.wait_attr("[data-testid=ticket-row]:nth-child(2)", "data-ticket-key", "TKT-4000")
        .await;
    // The view survives a reload.
    b.client().refresh().await.expect("reload");
    b.wait_attr(COUNT, "data-total", "401").await;
    assert_eq!(b.prop("#filter-priority", "value").await.as_deref(), Some("urgent"));
    b.select("#filter-priority", "").await;
    b.select("#filter-status", "").await;
    b.wait_text(COUNT, "1–50 of 3,001").await;

    // A search is answered by the server, its words marked in the titles.
    b.fill("#filter-q", "underpass").await;
    b.wait_attr(COUNT, "data-total", "1").await;
    b.wait_text("tr[data-ticket-key='TKT-4001'] mark", "underpass").await;
    b.fill("#filter-q", "street light 3998").await;
    b.wait_text("tr[data-ticket-key='TKT-3998'] mark", "Street").await;
    let marks = b
        .client()
        .execute(
            "return [...document.querySelectorAll(\"tr[data-ticket-key='TKT-3998'] mark\")].map(m => m.textContent);",
            vec![],
        )
        .await
        .expect("read marks");
    assert_eq!(marks, json!(["Street", "light", "3998"]));
    b.screenshot("board-search").await;
    assert_eq!(b.attr(CONNECTION, "data-state").await.as_deref(), Some("connected"));

    b.close().await;
    server.stop().await;
}

// ---------------------------------------------------------------------------------------------------
// The benchmark: the board at scale, in the browser, against a release `loket` in a process of its own.
// ---------------------------------------------------------------------------------------------------

/// The bench agent's address; created when the database does not have it.
const BENCH_EMAIL: &str = "board-bench@example.org";

/// Where the benchmark's `loket` keeps its data.
enum Store {
    /// A PostgreSQL database (`DATABASE_URL`).
    Database(String),
    /// A data directory with its embedded PostgreSQL (`LOKET_DATA_DIR`), used in place.
    DataDir(PathBuf),
}

/// A `loket` process (the release build), killed on drop.
struct LoketProcess {
    child: Child,
    url: String,
    scratch: Option<PathBuf>,
}

impl LoketProcess {
    async fn start(program: &PathBuf, store: &Store, web_dir: &PathBuf) -> LoketProcess {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut command = Command::new(program);
        command
            .arg("serve")
            .env_clear()
            .env("LOKET_BIND", format!("127.0.0.1:{port}"))
            .env("LOKET_WEB_DIR", web_dir)
            .env("LOKET_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        let scratch = match store {
            Store::Database(url) => {
                let dir = pg::scratch_dir("bench-loket");
                command.env("DATABASE_URL", url).env("LOKET_DATA_DIR", &dir);
                Some(dir)
            }
            Store::DataDir(dir) => {
                command.env("LOKET_DATA_DIR", dir);
                None
            }
        };
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", program.display()));
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            if let Ok(answer) = reqwest::get(format!("{url}/readyz")).await
                && answer.status().is_success()
            {
                break;
            }
            assert!(Instant::now() < deadline, "loket did not get ready at {url}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        LoketProcess { child, url, scratch }
    }
}

impl Drop for LoketProcess {
    fn drop(&mut self) {
        // SIGTERM first, so an embedded PostgreSQL is stopped cleanly with it.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(dir) = &self.scratch {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Median and spread (min, max) of some numbers.
fn summary(values: &[f64]) -> Value {
    let mut sorted = values.to_vec();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let median = if sorted.len() % 2 == 1 {
        sorted[sorted.len() / 2]
    } else {
        (sorted[sorted.len() / 2 - 1] + sorted[sorted.len() / 2]) / 2.0
    };
    json!({"median": median, "min": sorted[0], "max": sorted[sorted.len() - 1], "runs": values})
}

/// The client's WebAssembly linear memory, in MB (it only grows).
async fn wasm_mb(b: &Browser) -> f64 {
    let bytes = b
        .client()
        .execute(
            "return window.loketWasm ? window.loketWasm.memory.buffer.byteLength : null;",
            vec![],
        )
        .await
        .expect("read the wasm memory");
    bytes.as_f64().expect("the wasm instance was seen") / 1_048_576.0
}

/// The JS heap in use after a full collection (Chromium runs with `--expose-gc`), in MB.
async fn heap_mb(b: &Browser) -> f64 {
    let bytes = b
        .client()
        .execute(
            "if (window.gc) { window.gc(); } return performance.memory.usedJSHeapSize;",
            vec![],
        )
        .await
        .expect("read the heap");
    bytes.as_f64().expect("a number") / 1_048_576.0
}

/// One run: sign in, time until the first rows show, heap after loading and after ten more pages.
async fn bench_run(url: &str, email: &str, password: &str, run: usize) -> Value {
    let b = Browser::launch_with(
        url,
        &format!("board-bench-{run}"),
        &["--enable-precise-memory-info", "--js-flags=--expose-gc"],
    )
    .await;
    // Keep the client's WebAssembly instance at hand, to read its linear memory (not in the JS heap).
    b.cdp(
        "Page.addScriptToEvaluateOnNewDocument",
        json!({"source": "addEventListener('TrunkApplicationStarted', e => { window.loketWasm = e.detail.wasm; });"}),
    )
    .await;
    b.goto("/").await;
    b.fill("#login-email", email).await;
    b.fill("#login-password", password).await;
    // The clock starts at the click and stops when the first row is in the DOM, both read in the page.
    b.client()
        .execute(
            "window.loketRowsAt = null; \
             const seen = () => { if (window.loketRowsAt === null && document.querySelector('[data-testid=ticket-row]')) { window.loketRowsAt = performance.now(); } }; \
             new MutationObserver(seen).observe(document.body, { childList: true, subtree: true }); \
             window.loketSignInAt = performance.now(); \
             document.querySelector('form button[type=submit]').click(); return true;",
            vec![],
        )
        .await
        .expect("sign in");
    let first_rows_ms = std::cell::Cell::new(0.0);
    b.wait_until("the first rows", || async {
        let at = b
            .client()
            .execute(
                "return window.loketRowsAt === null ? null : window.loketRowsAt - window.loketSignInAt;",
                vec![],
            )
            .await
            .ok();
        match at.and_then(|v| v.as_f64()) {
            Some(ms) => {
                first_rows_ms.set(ms);
                true
            }
            None => false,
        }
    })
    .await;
    b.wait_attr(CONNECTION, "data-state", "connected").await;
    let total: u64 = b
        .attr(COUNT, "data-total")
        .await
        .and_then(|v| v.parse().ok())
        .expect("a total");
    let heap_loaded = heap_mb(&b).await;
    let wasm_loaded = wasm_mb(&b).await;
    let last = std::cell::Cell::new(last_shown(&b).await);
    for _ in 0..10 {
        scroll_to_end(&b).await;
        let before = last.get();
        b.wait_until("the next page", || async {
            last.set(last_shown(&b).await);
            last.get() > before
        })
        .await;
    }
    let heap_scrolled = heap_mb(&b).await;
    let wasm_scrolled = wasm_mb(&b).await;
    let rows = dom_rows(&b).await;
    b.close().await;
    let run = json!({
        "run": run, "first_rows_ms": first_rows_ms.get(), "heap_loaded_mb": heap_loaded,
        "heap_after_10_pages_mb": heap_scrolled, "wasm_memory_loaded_mb": wasm_loaded,
        "wasm_memory_after_10_pages_mb": wasm_scrolled, "dom_rows_after_10_pages": rows,
        "last_row_shown": last.get(), "view_total": total,
    });
    println!("{run}");
    run
}

/// The board at scale in the browser: sign-in to first rows, and the JS heap after loading and after
/// scrolling ten pages, against a release `loket` on many tickets. Not a check: it prints numbers
/// (docs/benchmarks.md, "Board at 1,000,000 tickets (browser)"). Settings:
/// - `LOKET_BENCH_DATA_DIR`: a Loket data directory with its embedded PostgreSQL (as `loadgen views
///   --prepare-only` makes it), used in place; sign in as `LOKET_BENCH_EMAIL` / `LOKET_BENCH_PASSWORD`
///   (default `bench-agent-0@example.org` / `loket-bench-password`, the accounts loadgen creates).
/// - or `LOKET_BENCH_DATABASE_URL`: a database with the tickets (another instance may serve it too);
///   without `LOKET_BENCH_EMAIL` and `LOKET_BENCH_PASSWORD` a bench agent is created in it.
/// - neither: a fresh database gets `LOKET_BENCH_TICKETS` tickets (default 100,000) inserted by SQL.
/// - `LOKET_BENCH_LOKET`: the server program (default `target/release/loket`); `LOKET_BENCH_RUNS`: runs
///   (default 3). The built client comes from `LOKET_WEB_DIR` or `dist/` (use a `trunk build --release`).
#[actix_rt::test]
#[ignore = "a benchmark: run by hand (docs/benchmarks.md)"]
async fn board_benchmark_in_the_browser() {
    if !browser::available() {
        return;
    }
    let web_dir = browser::web_dir();
    let program = std::env::var_os("LOKET_BENCH_LOKET")
        .map(PathBuf::from)
        .unwrap_or_else(|| browser::repo_root().join("target/release/loket"));
    assert!(
        program.is_file(),
        "no {}: cargo build --release -p loket-server",
        program.display()
    );
    let runs: usize = std::env::var("LOKET_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let (server, email, password) = match std::env::var_os("LOKET_BENCH_DATA_DIR") {
        Some(dir) => {
            let server = LoketProcess::start(&program, &Store::DataDir(dir.into()), &web_dir).await;
            let email = std::env::var("LOKET_BENCH_EMAIL").unwrap_or_else(|_| "bench-agent-0@example.org".into());
            let password = std::env::var("LOKET_BENCH_PASSWORD").unwrap_or_else(|_| "loket-bench-password".into());
            (server, email, password)
        }
        None => {
            let database_url = match std::env::var("LOKET_BENCH_DATABASE_URL") {
                Ok(url) => url,
                Err(_) => pg::fresh_database().await,
            };
            // Migrated by the server's start; then the bench agent, and tickets if there are none.
            let server = LoketProcess::start(&program, &Store::Database(database_url.clone()), &web_dir).await;
            let pool = loket_core::db::pool(&database_url, 2).expect("a pool");
            let account = std::env::var("LOKET_BENCH_EMAIL")
                .ok()
                .zip(std::env::var("LOKET_BENCH_PASSWORD").ok());
            if account.is_none() {
                let created = loket_core::bootstrap::create_agent(
                    &pool,
                    BENCH_EMAIL,
                    "Board Bench",
                    Role::Agent,
                    PASSWORD.into(),
                )
                .await;
                if let Err(error) = created {
                    eprintln!("bench agent not created (there already, presumably): {error}");
                }
            }
            let db = pool.get().await.expect("a connection");
            let tickets: i64 = db
                .query_one("SELECT count(*) FROM tickets", &[])
                .await
                .expect("count tickets")
                .get(0);
            if tickets == 0 {
                let wanted: i64 = std::env::var("LOKET_BENCH_TICKETS")
                    .ok()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(100_000);
                insert_tickets(&db, wanted).await;
                db.execute("ANALYZE tickets", &[]).await.expect("analyze");
            }
            let (email, password) = account.unwrap_or_else(|| (BENCH_EMAIL.into(), PASSWORD.into()));
            (server, email, password)
        }
    };
    // Every ticket on file, as the server counts them.
    let api = AgentClient::login(&server.url, &email, &password)
        .await
        .expect("sign in over REST");
    let all = api.get("/api/tickets?status=any&limit=1").await;
    assert!(all.status.is_success(), "{all:?}");
    let tickets = all.body["total"].as_u64().expect("a total");
    let machine_load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let mut results = Vec::new();
    for run in 1..=runs {
        results.push(bench_run(&server.url, &email, &password, run).await);
    }
    let pick = |key: &str| results.iter().map(|r| r[key].as_f64().unwrap()).collect::<Vec<_>>();
    let report = json!({
        "tickets_on_file": tickets,
        "machine_load_before": machine_load.trim(),
        "machine_load_after": std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim(),
        "first_rows_ms": summary(&pick("first_rows_ms")),
        "heap_loaded_mb": summary(&pick("heap_loaded_mb")),
        "heap_after_10_pages_mb": summary(&pick("heap_after_10_pages_mb")),
        "wasm_memory_loaded_mb": summary(&pick("wasm_memory_loaded_mb")),
        "wasm_memory_after_10_pages_mb": summary(&pick("wasm_memory_after_10_pages_mb")),
        "dom_rows_after_10_pages": summary(&pick("dom_rows_after_10_pages")),
        "runs": results,
    });
    let path = browser::output_dir().join("board-benchmark.json");
    std::fs::write(&path, serde_json::to_string_pretty(&report).unwrap()).expect("write the report");
    println!("{}", serde_json::to_string_pretty(&report).unwrap());
    println!("written to {}", path.display());
    drop(server);
}
