//! A real headless Chromium for end-to-end tests of the web client: each [`Browser`] is its own
//! chromedriver on a free port with a fresh profile, driven over WebDriver by fantoccini. Helpers wait
//! for what an agent would see (never sleep to synchronise). Everything is killed on close or drop.
//!
//! Needs `chromium` and `chromedriver` (Debian: `apt-get install chromium chromium-driver`; override the
//! paths with `CHROME_BIN` and `CHROMEDRIVER`) and the built client (`trunk build`, or `LOKET_WEB_DIR`).

use std::future::Future;
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

/// How long a browser check waits for the page to show something. Longer than the API tests' patience:
/// a reconnect after a server restart includes the client's backoff.
pub const BROWSER_PATIENCE: Duration = Duration::from_secs(25);

/// How often a waiting check looks again.
const POLL: Duration = Duration::from_millis(100);
/// WebDriver's key code for Backspace.
const BACKSPACE: char = '\u{E003}';

/// Chromium flags for a closed network: headless, no sandbox (tests run as root), and none of the
/// background traffic Chromium would otherwise try.
const CHROME_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--window-size=1360,900",
];

/// The repository root (the tests crate lives in `tests/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// Where screenshots go: `test-output/` at the repository root (git-ignored).
pub fn output_dir() -> PathBuf {
    let dir = repo_root().join("test-output");
    std::fs::create_dir_all(&dir).expect("create test-output/");
    dir
}

/// The built web client: `LOKET_WEB_DIR`, else `dist/` at the repository root. Panics with the fix when
/// it is missing, so a test run never silently skips the browser.
pub fn web_dir() -> PathBuf {
    let dir = std::env::var_os("LOKET_WEB_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("dist"));
    assert!(
        dir.join("index.html").is_file(),
        "the web client is not built: no {}/index.html. Run `trunk build` at the repository root first \
         (or point LOKET_WEB_DIR at a built client).",
        dir.display()
    );
    dir
}

fn find_program(env: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(env) {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    names
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free local port")
        .port()
}

/// True when the tools for browser tests are installed. With `LOKET_SKIP_BROWSER_TESTS=1` a machine
/// without them may skip; otherwise their absence fails the test with install instructions.
pub fn available() -> bool {
    let found = find_program("CHROMEDRIVER", &["chromedriver"]).is_some()
        && find_program("CHROME_BIN", &["chromium", "chromium-browser", "google-chrome"]).is_some();
    if found {
        return true;
    }
    if std::env::var("LOKET_SKIP_BROWSER_TESTS").is_ok_and(|v| v == "1") {
        eprintln!("skipping the browser test: chromium/chromedriver not installed and LOKET_SKIP_BROWSER_TESTS=1");
        return false;
    }
    panic!(
        "browser tests need chromium and chromedriver (Debian: apt-get install chromium chromium-driver); \
         set LOKET_SKIP_BROWSER_TESTS=1 to skip them on this machine"
    );
}

/// One headless Chromium with its own chromedriver and profile.
pub struct Browser {
    client: Option<Client>,
    driver: Child,
    driver_port: u16,
    profile: PathBuf,
    base: String,
    label: String,
}

impl Browser {
    /// Starts a browser for the site at `base` (e.g. `http://127.0.0.1:41234`). `label` names screenshots.
    pub async fn launch(base: &str, label: &str) -> Browser {
        Self::launch_with(base, label, &[]).await
    }

    /// [`Browser::launch`] with more Chromium flags (a benchmark's `--enable-precise-memory-info`, say).
    pub async fn launch_with(base: &str, label: &str, extra_flags: &[&str]) -> Browser {
        let chromedriver = find_program("CHROMEDRIVER", &["chromedriver"]).expect("chromedriver on PATH");
        let chrome =
            find_program("CHROME_BIN", &["chromium", "chromium-browser", "google-chrome"]).expect("chromium on PATH");
        let port = free_port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group, so the browser it starts can be killed with it.
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", chromedriver.display()));
        let profile = crate::pg::scratch_dir(&format!("chrome-{label}"));
        let mut browser = Browser {
            client: None,
            driver,
            driver_port: port,
            profile,
            base: base.trim_end_matches('/').to_string(),
            label: label.into(),
        };

        let deadline = Instant::now() + BROWSER_PATIENCE;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not listen on port {port}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mut args: Vec<String> = CHROME_FLAGS.iter().map(|f| f.to_string()).collect();
        args.extend(extra_flags.iter().map(|f| f.to_string()));
        args.push(format!("--user-data-dir={}", browser.profile.display()));
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chrome, "args": args },
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object literal")
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .unwrap_or_else(|e| panic!("start a Chromium session: {e}"));
        browser.client = Some(client);
        browser
    }

    pub fn client(&self) -> &Client {
        self.client.as_ref().expect("the browser is open")
    }

    /// Runs a Chrome DevTools Protocol command through chromedriver (`Page.addScriptToEvaluateOnNewDocument`,
    /// say) and returns its result.
    pub async fn cdp(&self, cmd: &str, params: Value) -> Value {
        let session = self
            .client()
            .session_id()
            .await
            .ok()
            .flatten()
            .expect("a WebDriver session");
        let answer = reqwest::Client::new()
            .post(format!(
                "http://127.0.0.1:{}/session/{session}/goog/cdp/execute",
                self.driver_port
            ))
            .json(&json!({ "cmd": cmd, "params": params }))
            .send()
            .await
            .unwrap_or_else(|e| panic!("CDP {cmd}: {e}"));
        let body: Value = answer.json().await.unwrap_or_else(|e| panic!("CDP {cmd}: {e}"));
        body["value"].clone()
    }

    /// Opens a path of the site (a full page load).
    pub async fn goto(&self, path: &str) {
        self.client()
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("open {path}: {e}"));
    }

    /// The path the page shows now (client-side navigation included).
    pub async fn path(&self) -> String {
        self.client()
            .current_url()
            .await
            .map(|u| u.path().to_string())
            .unwrap_or_default()
    }

    /// Waits until `check` says yes, failing with `what` (and a screenshot) after [`BROWSER_PATIENCE`].
    pub async fn wait_until<F, Fut>(&self, what: &str, mut check: F)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = bool>,
    {
        let deadline = Instant::now() + BROWSER_PATIENCE;
        while !check().await {
            self.give_up_after(deadline, what).await;
        }
    }

    /// The first element matching `css`, once there is one.
    pub async fn wait_for(&self, css: &str) -> Element {
        let deadline = Instant::now() + BROWSER_PATIENCE;
        loop {
            if let Ok(element) = self.client().find(Locator::Css(css)).await {
                return element;
            }
            self.give_up_after(deadline, &format!("an element `{css}`")).await;
        }
    }

    /// Waits one poll interval, or fails with a screenshot once `deadline` has passed.
    async fn give_up_after(&self, deadline: Instant, what: &str) {
        if Instant::now() > deadline {
            let shot = self.screenshot("timeout").await;
            panic!(
                "[{}] timed out waiting for {what} (screenshot: {})",
                self.label,
                shot.display()
            );
        }
        tokio::time::sleep(POLL).await;
    }

    /// The text of the first element matching `css`, if there is one.
    pub async fn text(&self, css: &str) -> Option<String> {
        let element = self.client().find(Locator::Css(css)).await.ok()?;
        element.text().await.ok()
    }

    /// An attribute of the first element matching `css`, if both exist.
    pub async fn attr(&self, css: &str, name: &str) -> Option<String> {
        let element = self.client().find(Locator::Css(css)).await.ok()?;
        element.attr(name).await.ok().flatten()
    }

    /// A property (live value) of the first element matching `css`.
    pub async fn prop(&self, css: &str, name: &str) -> Option<String> {
        let element = self.client().find(Locator::Css(css)).await.ok()?;
        element.prop(name).await.ok().flatten()
    }

    /// Waits until the element matching `css` contains `text`.
    pub async fn wait_text(&self, css: &str, text: &str) {
        self.wait_until(&format!("`{css}` to contain {text:?}"), || async {
            self.text(css).await.is_some_and(|t| t.contains(text))
        })
        .await;
    }

    /// Waits until the element matching `css` has attribute `name` equal to `value`.
    pub async fn wait_attr(&self, css: &str, name: &str, value: &str) {
        self.wait_until(&format!("`{css}` with {name}={value:?}"), || async {
            self.attr(css, name).await.as_deref() == Some(value)
        })
        .await;
    }

    /// Clicks the element matching `css` once it exists.
    pub async fn click(&self, css: &str) {
        let element = self.wait_for(css).await;
        element
            .click()
            .await
            .unwrap_or_else(|e| panic!("[{}] click `{css}`: {e}", self.label));
    }

    /// The enabled `<button>` whose visible text is `text`, once there is one.
    pub async fn button(&self, text: &str) -> Element {
        let deadline = Instant::now() + BROWSER_PATIENCE;
        loop {
            if let Ok(buttons) = self.client().find_all(Locator::Css("button")).await {
                for button in buttons {
                    let label = button.text().await.unwrap_or_default();
                    if label.trim() == text && button.is_enabled().await.unwrap_or(false) {
                        return button;
                    }
                }
            }
            self.give_up_after(deadline, &format!("an enabled button {text:?}"))
                .await;
        }
    }

    /// Clicks the enabled button labelled `text`.
    pub async fn click_button(&self, text: &str) {
        let button = self.button(text).await;
        button
            .click()
            .await
            .unwrap_or_else(|e| panic!("[{}] click {text:?}: {e}", self.label));
    }

    /// Whether a button labelled `text` exists and is enabled right now.
    pub async fn button_enabled(&self, text: &str) -> Option<bool> {
        let buttons = self.client().find_all(Locator::Css("button")).await.ok()?;
        for button in buttons {
            if button.text().await.unwrap_or_default().trim() == text {
                return button.is_enabled().await.ok();
            }
        }
        None
    }

    /// Replaces the text of the input or textarea matching `css`, as typing would: selects what is there
    /// and types over it, so every change reaches the page as an `input` event (WebDriver's clear changes
    /// the value without one, and the client's own copy of the text would keep the old words), then checks
    /// the field holds exactly `text`, typing it again if something put other text back meanwhile.
    pub async fn fill(&self, css: &str, text: &str) {
        let deadline = Instant::now() + BROWSER_PATIENCE;
        loop {
            let element = self.wait_for(css).await;
            let selected = self
                .client()
                .execute(
                    "arguments[0].focus(); arguments[0].select();",
                    vec![serde_json::to_value(&element).expect("an element reference")],
                )
                .await;
            if selected.is_ok() {
                // Typing replaces the selection; an empty text deletes it.
                let keys = if text.is_empty() {
                    BACKSPACE.to_string()
                } else {
                    text.to_string()
                };
                if element.send_keys(&keys).await.is_ok()
                    && element.prop("value").await.ok().flatten().as_deref() == Some(text)
                {
                    return;
                }
            }
            self.give_up_after(deadline, &format!("`{css}` to hold {text:?}")).await;
        }
    }

    /// Picks an option of the `<select>` matching `css` by its value.
    pub async fn select(&self, css: &str, value: &str) {
        let element = self.wait_for(css).await;
        element
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("select {value:?} in `{css}`: {e}"));
    }

    /// Signs in through the login form and waits for the live connection.
    pub async fn sign_in(&self, email: &str, password: &str) {
        self.fill("#login-email", email).await;
        self.fill("#login-password", password).await;
        self.click_button("Sign in").await;
        self.wait_attr("[data-testid=connection]", "data-state", "connected")
            .await;
    }

    /// Saves a PNG of the page as `test-output/<label>-<name>.png` and returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let path = output_dir().join(format!("{}-{name}.png", self.label));
        if let Ok(png) = self.client().screenshot().await {
            let _ = std::fs::write(&path, png);
        }
        path
    }

    /// Resizes the window (e.g. to phone width).
    pub async fn resize(&self, width: u32, height: u32) {
        self.client()
            .set_window_size(width, height)
            .await
            .expect("resize the window");
    }

    /// Closes the browser as an agent closing it would: the session ends and Chromium exits.
    pub async fn close(mut self) {
        if let Some(client) = self.client.take() {
            let _ = client.close().await;
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Kill chromedriver's whole process group (it and any Chromium it started), then wait for it.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}
