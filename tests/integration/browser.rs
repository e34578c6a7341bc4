//! The web client end to end: two agents in two real headless Chromium sessions against a real `loket`
//! (serving the built client from `dist/`) on a real PostgreSQL. Screenshots land in `test-output/`.

use fantoccini::Locator;
use loket_protocol::api::Role;
use loket_tests::browser::{self, Browser};
use loket_tests::server::PASSWORD;
use loket_tests::{AgentClient, TestServer};
use serde_json::json;

const ROW_1: &str = "tr[data-ticket-key='TKT-0001']";
const LOCK_PANEL: &str = "[data-testid=lock-panel]";
const CONNECTION: &str = "[data-testid=connection]";
const STATUS_MENU: &str = "#field-status";

/// The values the `<select>` matching `css` offers, in order (once it is on the page).
async fn options(browser: &Browser, css: &str) -> Vec<String> {
    browser.wait_for(css).await;
    let mut values = Vec::new();
    for option in browser
        .client()
        .find_all(Locator::Css(&format!("{css} option")))
        .await
        .expect("options")
    {
        values.push(option.attr("value").await.expect("value").unwrap_or_default());
    }
    values
}

#[actix_rt::test]
async fn two_agents_share_a_ticket_live_in_real_browsers() {
    if !browser::available() {
        return;
    }
    let dist = browser::web_dir();
    let server = TestServer::start_with(|config| config.web_dir = Some(dist)).await;
    // Ayu is an admin (she may break locks), Budi an agent. The API clients act "from elsewhere".
    let ayu_api = server.agent("Ayu", Role::Admin).await;
    let _budi_api = server.agent("Budi", Role::Agent).await;

    let a = Browser::launch(&server.url(), "ayu").await;
    let b = Browser::launch(&server.url(), "budi").await;

    // Sign in; a wrong password says so.
    a.goto("/").await;
    a.sign_in("ayu@example.org", PASSWORD).await;
    b.goto("/").await;
    b.fill("#login-email", "budi@example.org").await;
    b.fill("#login-password", "not the password").await;
    b.click_button("Sign in").await;
    b.wait_text("[data-testid=login-error]", "Wrong email or password")
        .await;
    b.sign_in("budi@example.org", PASSWORD).await;
    b.wait_text("#board-title", "Tickets").await;

    // The client runs under the page's Content-Security-Policy (it loaded and signed in above), and the
    // browser enforces it: an inline script the policy does not name does not run.
    let page = reqwest::get(server.url()).await.expect("GET /");
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_string();
    for part in ["'wasm-unsafe-eval'", "'sha256-", "frame-ancestors 'none'"] {
        assert!(csp.contains(part), "the page's policy lacks {part}: {csp}");
    }
    let injected = b
        .client()
        .execute(
            "const s = document.createElement('script'); s.textContent = 'window.loketInjected = true'; \
             document.head.appendChild(s); return window.loketInjected === true;",
            vec![],
        )
        .await
        .expect("run a script");
    assert_eq!(
        injected,
        json!(false),
        "an inline script outside the policy must not run"
    );

    // A creates a ticket; B's board shows it without a reload.
    a.click("a[href='/new'].btn").await;
    a.fill("#new-title", "Street light out on Jl. Merdeka").await;
    a.fill("#new-body", "The lamp by the bus stop has been dark for three nights.")
        .await;
    a.select("#new-priority", "high").await;
    a.click_button("Create ticket").await;
    a.wait_text("#ticket-title", "Street light out").await;
    b.wait_text(ROW_1, "Street light out on Jl. Merdeka").await;
    b.wait_attr(&format!("{ROW_1} [data-testid=status]"), "data-status", "new")
        .await;

    // B opens it (in-app navigation, no reload). A clicks Edit: B sees "Locked by Ayu" and cannot edit,
    // and so does the board row.
    b.click(&format!("{ROW_1} a")).await;
    b.wait_text("#ticket-title", "Street light out").await;
    b.wait_attr(LOCK_PANEL, "data-lock", "free").await;
    a.click_button("Edit").await;
    a.wait_attr(LOCK_PANEL, "data-lock", "mine").await;
    b.wait_text(LOCK_PANEL, "Locked by Ayu").await;
    assert_eq!(
        b.button_enabled("Edit").await,
        Some(false),
        "B's Edit is disabled while Ayu holds the lock"
    );
    b.screenshot("ticket-locked-by-other").await;

    // The status menu offers only what the lifecycle allows: from new, Ayu (an admin) may open or close.
    assert_eq!(options(&a, STATUS_MENU).await, ["new", "open", "closed"]);

    // A changes the status and saves; B sees the new status without a reload.
    a.select(STATUS_MENU, "open").await;
    a.click_button("Save").await;
    a.wait_text("[data-testid=flash]", "Saved").await;
    b.wait_attr(".ticket-head [data-testid=status]", "data-status", "open")
        .await;
    a.screenshot("ticket-editing").await;

    // A releases; B can edit.
    a.click_button("Release").await;
    b.wait_attr(LOCK_PANEL, "data-lock", "free").await;
    assert_eq!(b.button_enabled("Edit").await, Some(true));

    // Conversation: B writes an internal note while A has a half-written reply; A's draft survives.
    a.fill("#composer-body", "Dear reporter, we are on it").await;
    b.click("label[for=kind-internal]").await;
    b.fill("#composer-body", "Called the city; crew scheduled for Thursday.")
        .await;
    b.click_button("Add internal note").await;
    a.wait_text("[data-testid=comment][data-kind=internal]", "crew scheduled")
        .await;
    assert_eq!(
        a.prop("#composer-body", "value").await.as_deref(),
        Some("Dear reporter, we are on it")
    );
    a.click_button("Send reply").await;
    b.wait_text("[data-testid=comment][data-kind=public]", "we are on it")
        .await;
    b.wait_text(
        "[data-testid=event][data-kind=changed]",
        "changed status from New to Open",
    )
    .await;
    // The client named each creation with an idempotency key of its own (a retry would send it again):
    // Ayu's ticket and reply, Budi's note.
    let keys = server
        .pool
        .get()
        .await
        .unwrap()
        .query(
            "SELECT a.name, k.key, k.comment_id IS NOT NULL FROM idempotency_keys k JOIN agents a ON a.id = k.agent_id \
             ORDER BY a.name, k.comment_id NULLS FIRST",
            &[],
        )
        .await
        .unwrap();
    let keyed: Vec<(String, bool)> = keys.iter().map(|r| (r.get(0), r.get(2))).collect();
    assert_eq!(
        keyed,
        [
            ("Ayu".to_string(), false),
            ("Ayu".to_string(), true),
            ("Budi".to_string(), true)
        ],
        "a key for the ticket and for each comment"
    );
    let distinct: std::collections::HashSet<String> = keys.iter().map(|r| r.get(1)).collect();
    assert_eq!(distinct.len(), 3, "every creation has a key of its own");
    b.screenshot("ticket").await;
    b.resize(390, 844).await;
    b.screenshot("ticket-phone").await;
    b.resize(1360, 900).await;

    // A takes the lock and closes the browser: the lease ends with the connection and B sees it free.
    a.click_button("Edit").await;
    b.wait_text(LOCK_PANEL, "Locked by Ayu").await;
    a.close().await;
    b.wait_attr(LOCK_PANEL, "data-lock", "free").await;

    // A stale save: B edits; Ayu (in a new browser) breaks B's lock, changes the ticket and releases.
    // B's Save then meets the newer version: the conflict view, with B's draft intact.
    let a = Browser::launch(&server.url(), "ayu2").await;
    a.goto("/tickets/1").await;
    a.sign_in("ayu@example.org", PASSWORD).await;
    b.click_button("Edit").await;
    b.wait_attr(LOCK_PANEL, "data-lock", "mine").await;
    // From open, Budi (an agent) may only move it to pending: resolved is no longer offered (and then
    // refused after Save), and closing is for admins.
    assert_eq!(options(&b, STATUS_MENU).await, ["open", "pending"]);
    b.select("#field-priority", "urgent").await;
    b.fill("#field-title", "Street light out at the Jl. Merdeka bus stop")
        .await;
    a.wait_text(LOCK_PANEL, "Locked by Budi").await;
    a.click_button("Break lock").await;
    a.fill("#break-reason", "Budi is off shift, reporter waiting").await;
    a.click("[data-testid=break-dialog] button[type=submit]").await;
    b.wait_attr(LOCK_PANEL, "data-lock", "lost").await;
    b.wait_text("[data-testid=lock-lost]", "Ayu broke your lock").await;
    a.click_button("Edit").await;
    a.wait_attr(LOCK_PANEL, "data-lock", "mine").await;
    assert_eq!(options(&a, STATUS_MENU).await, ["open", "pending", "closed"]);
    a.select(STATUS_MENU, "pending").await;
    a.click_button("Save").await;
    a.wait_text("[data-testid=flash]", "Saved").await;
    a.click_button("Release").await;
    b.wait_attr(".ticket-head [data-testid=status]", "data-status", "pending")
        .await;
    b.click_button("Save").await;
    b.wait_for("[data-testid=conflict]").await;
    assert_eq!(
        b.prop("#field-priority", "value").await.as_deref(),
        Some("urgent"),
        "draft intact"
    );
    assert_eq!(
        b.prop("#field-title", "value").await.as_deref(),
        Some("Street light out at the Jl. Merdeka bus stop"),
        "draft intact"
    );
    b.screenshot("conflict").await;
    // Keeping the draft on top of the current ticket and saving merges both changes.
    b.click_button("Keep my changes on top").await;
    b.click_button("Save").await;
    b.wait_text("[data-testid=flash]", "Saved").await;
    b.wait_attr(".ticket-head [data-testid=status]", "data-status", "pending")
        .await;
    b.wait_attr(".ticket-head [data-testid=priority]", "data-priority", "urgent")
        .await;
    a.wait_text("#ticket-title", "bus stop").await;
    b.click_button("Release").await;
    a.wait_attr(LOCK_PANEL, "data-lock", "free").await;

    // The board at desktop and phone width, in both themes.
    b.click(".crumb-link").await;
    b.wait_for(ROW_1).await;
    b.screenshot("board").await;
    b.click("[data-testid=theme-toggle]").await; // system -> light
    b.click("[data-testid=theme-toggle]").await; // light -> dark
    b.resize(390, 844).await;
    b.screenshot("board-phone-dark").await;
    b.click("[data-testid=theme-toggle]").await; // back to the system theme
    b.resize(1360, 900).await;

    // Filters live in the URL and survive a reload.
    b.select("#filter-status", "pending").await;
    b.wait_until("the status filter in the URL", || async {
        b.client()
            .current_url()
            .await
            .is_ok_and(|u| u.query() == Some("status=pending"))
    })
    .await;
    b.client().refresh().await.expect("reload");
    b.wait_for(ROW_1).await;
    assert_eq!(b.prop("#filter-status", "value").await.as_deref(), Some("pending"));
    b.select("#filter-status", "").await;

    // The server restarts: B's client notices, reconnects by itself and resumes its event stream, and a
    // ticket created around the restart shows up without a reload.
    let (config, addr) = (server.config.clone(), server.addr);
    server.stop().await;
    b.wait_until("the connection badge to leave `connected`", || async {
        b.attr(CONNECTION, "data-state").await.is_some_and(|s| s != "connected")
    })
    .await;
    let server = TestServer::start_on(config, addr).await;
    let created = ayu_api
        .post(
            "/api/tickets",
            json!({"title": "Flooded underpass", "body": "Since this morning", "priority": "urgent"}),
        )
        .await;
    assert!(created.status.is_success(), "{created:?}");
    b.wait_attr(CONNECTION, "data-state", "connected").await;
    b.wait_text("tr[data-ticket-key='TKT-0002']", "Flooded underpass").await;

    a.close().await;
    b.close().await;
    server.stop().await;
}

#[actix_rt::test]
async fn after_a_server_restart_the_page_resumes_without_reloading_and_keeps_the_draft() {
    if !browser::available() {
        return;
    }
    let dist = browser::web_dir();
    let server = TestServer::start_with(|config| config.web_dir = Some(dist)).await;
    let ayu_api = server.agent("Ayu", Role::Agent).await;
    let _budi_api = server.agent("Budi", Role::Agent).await;
    let created = ayu_api
        .post(
            "/api/tickets",
            json!({"title": "Broken bench", "body": "In the park by the river"}),
        )
        .await;
    assert!(created.status.is_success(), "{created:?}");

    let b = Browser::launch(&server.url(), "resume").await;
    b.goto("/tickets/1").await;
    b.sign_in("budi@example.org", PASSWORD).await;
    b.wait_text("#ticket-title", "Broken bench").await;
    b.wait_attr(CONNECTION, "data-state", "connected").await;
    // A half-written reply, and a mark on the page that a reload would wipe.
    b.fill("#composer-body", "Draft: a carpenter comes on Monday").await;
    b.client()
        .execute("window.loketNotReloaded = true; return true;", vec![])
        .await
        .expect("run a script");

    // The server stops; while it is down, another process serves the same database and things change.
    let (config, addr) = (server.config.clone(), server.addr);
    server.stop().await;
    b.wait_until("the connection badge to leave `connected`", || async {
        b.attr(CONNECTION, "data-state").await.is_some_and(|s| s != "connected")
    })
    .await;
    let other = TestServer::start_on(config.clone(), "127.0.0.1:0".parse().unwrap()).await;
    let elsewhere = AgentClient::login(&other.url(), "ayu@example.org", PASSWORD)
        .await
        .expect("sign in to the other process");
    let changed = elsewhere
        .patch(
            "/api/tickets/1",
            json!({"version": 1, "changes": {"title": "Broken bench in Taman Suropati"}}),
        )
        .await;
    assert!(changed.status.is_success(), "{changed:?}");
    let noted = elsewhere
        .post(
            "/api/tickets/1/comments",
            json!({"body": "Parks department informed", "internal": true}),
        )
        .await;
    assert!(noted.status.is_success(), "{noted:?}");
    let filed = elsewhere
        .post(
            "/api/tickets",
            json!({"title": "Fallen tree", "body": "Blocking the path"}),
        )
        .await;
    assert!(filed.status.is_success(), "{filed:?}");
    other.stop().await;

    // Back on the page's own address: it resumes, applies the three changes it missed, says so, and
    // keeps the draft; nothing was reloaded.
    let server = TestServer::start_on(config, addr).await;
    b.wait_attr(CONNECTION, "data-state", "connected").await;
    b.wait_text(".toasts", "Reconnected, 3 changes applied").await;
    b.wait_text("#ticket-title", "Taman Suropati").await;
    b.wait_text("[data-testid=comment][data-kind=internal]", "Parks department informed")
        .await;
    assert_eq!(
        b.prop("#composer-body", "value").await.as_deref(),
        Some("Draft: a carpenter comes on Monday"),
        "the draft survives"
    );
    let kept = b
        .client()
        .execute("return window.loketNotReloaded === true;", vec![])
        .await
        .expect("run a script");
    assert_eq!(kept, json!(true), "the page was not reloaded");
    let toasts = b.text(".toasts").await.unwrap_or_default();
    assert!(!toasts.contains("reloaded"), "the board was not reloaded: {toasts:?}");
    b.screenshot("resumed").await;
    // The board heard of the ticket filed meanwhile from the same replay.
    b.click(".crumb-link").await;
    b.wait_text("tr[data-ticket-key='TKT-0002']", "Fallen tree").await;

    b.close().await;
    server.stop().await;
}

#[actix_rt::test]
async fn an_admin_manages_categories_agents_and_invite_codes_in_the_browser() {
    if !browser::available() {
        return;
    }
    let dist = browser::web_dir();
    let server = TestServer::start_with(|config| config.web_dir = Some(dist)).await;
    let _ayu = server.agent("Ayu", Role::Admin).await;
    let a = Browser::launch(&server.url(), "admin").await;

    // A deep link while signed out shows the sign-in page, then the page asked for.
    a.goto("/admin/categories").await;
    a.wait_for("#login-email").await;
    a.screenshot("login").await;
    a.sign_in("ayu@example.org", PASSWORD).await;
    a.wait_text("#categories-h", "Categories").await;
    a.fill("#category-name", "Roads and streetlights").await;
    a.click_button("Add category").await;
    a.wait_text("[data-testid=categories]", "Roads and streetlights").await;
    // A second category, retired at once: it is listed as retired and not offered for new tickets.
    a.fill("#category-name", "Old potholes").await;
    a.click_button("Add category").await;
    a.wait_text("[data-testid=categories]", "Old potholes").await;
    let old_row = "[data-testid=categories] tbody tr:nth-child(1)";
    a.wait_text(old_row, "Old potholes").await;
    a.click(&format!("{old_row} button:nth-child(2)")).await;
    a.wait_attr(old_row, "data-state", "retired").await;
    // Dismiss the notices, as they stack over the forms' buttons.
    while a.text(".toast-close").await.is_some() {
        a.click(".toast-close").await;
    }

    a.click("a[href='/admin/agents']").await;
    a.fill("#agent-name", "Citra Dewi").await;
    a.fill("#agent-email", "citra@example.org").await;
    a.fill("#agent-password", "a long enough password").await;
    a.click_button("Add agent").await;
    a.wait_text("table.data", "citra@example.org").await;

    a.click("a[href='/admin/invite-codes']").await;
    a.fill("#invite-uses", "5").await;
    a.click_button("Create code").await;
    a.wait_text("table.data", "0 / 5").await;
    a.wait_text("table.data", "Active").await;
    a.screenshot("invite-codes").await;
    a.click_button("Revoke").await;
    a.click_button("Confirm revoke").await;
    a.wait_text("table.data", "Revoked").await;

    // The new category and agent are offered when creating and editing tickets.
    a.click("a[href='/new'].nav-link").await;
    a.fill("#new-title", "Pothole on Jl. Sudirman").await;
    a.wait_text("#new-category", "Roads and streetlights").await;
    let category = a
        .attr("#new-category option:nth-child(2)", "value")
        .await
        .expect("a category option");
    a.select("#new-category", &category).await;
    let offered = a.text("#new-category").await.unwrap_or_default();
    assert!(
        !offered.contains("Old potholes"),
        "a retired category is offered: {offered:?}"
    );
    a.click_button("Create ticket").await;
    a.wait_text("#ticket-title", "Pothole").await;
    a.click_button("Edit").await;
    a.wait_text("#field-assignee", "Citra Dewi").await;
    a.click(".crumb-link").await;
    a.wait_text("tr[data-ticket-key='TKT-0001']", "Roads and streetlights")
        .await;

    a.close().await;
    server.stop().await;
}

#[actix_rt::test]
async fn an_admin_disables_an_agent_and_the_agent_changes_their_password_in_the_browser() {
    if !browser::available() {
        return;
    }
    let dist = browser::web_dir();
    let server = TestServer::start_with(|config| config.web_dir = Some(dist)).await;
    server.agent("Ayu", Role::Admin).await;
    server.agent("Budi", Role::Agent).await;
    let a = Browser::launch(&server.url(), "access-admin").await;
    let b = Browser::launch(&server.url(), "access-agent").await;
    let budi_row = "tr[data-agent-email='budi@example.org']";

    b.goto("/").await;
    b.sign_in("budi@example.org", PASSWORD).await;
    a.goto("/admin/agents").await;
    a.sign_in("ayu@example.org", PASSWORD).await;
    a.wait_attr(budi_row, "data-state", "active").await;

    // Disabling takes a second click; Budi's open screen ends at once and he cannot sign back in.
    a.click(&format!("{budi_row} [data-testid=toggle-access]")).await;
    a.wait_text(&format!("{budi_row} [data-testid=toggle-access]"), "Confirm disable")
        .await;
    a.click(&format!("{budi_row} [data-testid=toggle-access]")).await;
    a.wait_attr(budi_row, "data-state", "disabled").await;
    a.screenshot("agents-disabled").await;
    b.wait_for("#login-email").await;
    b.wait_text(".notice", "Your session has ended").await;
    b.fill("#login-email", "budi@example.org").await;
    b.fill("#login-password", PASSWORD).await;
    b.click_button("Sign in").await;
    b.wait_text("[data-testid=login-error]", "This account is disabled")
        .await;

    // Enabled again, he signs in; made an admin, his screen follows without a reload.
    a.click(&format!("{budi_row} [data-testid=toggle-access]")).await;
    a.wait_attr(budi_row, "data-state", "active").await;
    b.sign_in("budi@example.org", PASSWORD).await;
    assert!(
        b.text("a[href='/admin/agents']").await.is_none(),
        "agents have no admin links"
    );
    a.select(&format!("{budi_row} [data-testid=role]"), "admin").await;
    b.wait_text("a[href='/admin/agents']", "Agents").await;

    // Budi changes his own password under My account: a wrong current one is refused.
    b.click("[data-testid=me]").await;
    b.wait_text("#account-h", "My account").await;
    b.fill("#current-password", "not my password").await;
    b.fill("#new-password", "budi's own new password").await;
    b.fill("#repeat-password", "budi's own new password").await;
    b.click_button("Change password").await;
    b.wait_text("[data-testid=password-error]", "not right").await;
    b.fill("#current-password", PASSWORD).await;
    b.click_button("Change password").await;
    b.wait_text(".toasts", "Password changed").await;
    b.screenshot("account").await;
    assert_eq!(
        b.attr("[data-testid=connection]", "data-state").await.as_deref(),
        Some("connected"),
        "this sign-in stays"
    );
    AgentClient::login(&server.url(), "budi@example.org", "budi's own new password")
        .await
        .expect("the new password works");
    assert!(
        AgentClient::login(&server.url(), "budi@example.org", PASSWORD)
            .await
            .is_err(),
        "the old one does not"
    );

    // Ayu ends Budi's browser sign-in from the Sessions page (his script's sign-in stays): his screen
    // returns to the sign-in page.
    a.click("a[href='/admin/sessions']").await;
    let budi_browser = "tr[data-agent='Budi'][data-client^='Chrome']";
    a.wait_for(budi_browser).await;
    assert!(
        a.text("tr[data-agent='Budi'][data-client='Unknown client']")
            .await
            .is_some()
    );
    a.screenshot("sessions").await;
    a.click(&format!("{budi_browser} button")).await;
    a.wait_text(&format!("{budi_browser} button"), "Confirm sign-out").await;
    a.click(&format!("{budi_browser} button")).await;
    b.wait_for("#login-email").await;
    a.wait_until("Budi's browser sign-in to leave the list", || async {
        a.text(budi_browser).await.is_none()
    })
    .await;

    // Ayu sees it all in the audit trail.
    a.click("a[href='/admin/audit']").await;
    a.wait_text("[data-testid=audit]", "changed their own password").await;
    a.wait_text("[data-testid=audit]", "disabled Budi").await;
    a.wait_text("[data-testid=audit]", "changed Budi's role from agent to admin")
        .await;

    a.close().await;
    b.close().await;
    server.stop().await;
}
