//! Security headers: the Content-Security-Policy of the web client's page (its inline loader script
//! allowed by hash, WebAssembly allowed to compile), the strict policy of every other response, framing
//! refused everywhere, and HSTS when Loket is behind HTTPS (`LOKET_COOKIE_SECURE`).

use actix_web::middleware::DefaultHeaders;
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::http::origin::OriginPolicy;

/// `Strict-Transport-Security` sent when the session cookie is `Secure`: one year, this host only (other
/// hosts of the domain may not serve HTTPS).
pub const HSTS: &str = "max-age=31536000";
/// `Referrer-Policy`: addresses inside Loket (ticket numbers, searches) are never sent to other sites.
pub const REFERRER_POLICY: &str = "same-origin";
/// The policy of every response that is not the web client's page (JSON, files, attachments): nothing
/// may run or load, nothing may frame it.
pub const STRICT_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
/// The policy of the page shown when the web client is not built (one inline stylesheet).
pub const NOT_BUILT_CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'";

/// Headers on every response (each only where a handler set none itself).
pub fn default_headers(hsts: bool) -> DefaultHeaders {
    let headers = DefaultHeaders::new()
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", REFERRER_POLICY))
        .add(("X-Frame-Options", "DENY"))
        .add(("Content-Security-Policy", STRICT_CSP));
    if hsts {
        headers.add(("Strict-Transport-Security", HSTS))
    } else {
        headers
    }
}

/// Builds the web client page's Content-Security-Policy.
#[derive(Debug, Clone)]
pub struct PagePolicy {
    /// `connect-src`: the page's own origin, and the WebSocket addresses of Loket's origins (older
    /// browsers do not count `ws:` as `'self'`).
    connect_src: String,
}

impl PagePolicy {
    pub fn new(origins: &OriginPolicy) -> PagePolicy {
        let mut connect_src = String::from("'self'");
        for origin in origins.origins() {
            connect_src.push(' ');
            connect_src.push_str(&origin.websocket());
        }
        PagePolicy { connect_src }
    }

    /// The policy for `html` (the built `index.html`): scripts from Loket itself and the page's inline
    /// scripts by their hashes (trunk writes the loader inline), `'wasm-unsafe-eval'` so the browser may
    /// compile the WebAssembly client; no other inline code, no plugins, no framing.
    pub fn for_page(&self, html: &str) -> String {
        let mut script_src = String::from("'self' 'wasm-unsafe-eval'");
        for hash in inline_script_hashes(html) {
            script_src.push_str(&format!(" 'sha256-{hash}'"));
        }
        format!(
            "default-src 'self'; script-src {script_src}; style-src 'self'; img-src 'self'; \
             connect-src {}; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
            self.connect_src
        )
    }
}

/// Base64 SHA-256 of each inline `<script>`'s text, as a CSP hash source wants it.
pub fn inline_script_hashes(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let mut hashes = Vec::new();
    let mut from = 0;
    while let Some(start) = lower[from..].find("<script").map(|i| i + from) {
        let Some(tag_end) = lower[start..].find('>').map(|i| i + start) else {
            break;
        };
        let Some(close) = lower[tag_end..].find("</script").map(|i| i + tag_end) else {
            break;
        };
        let tag = &lower[start..tag_end];
        let external = tag
            .split(|c: char| c.is_whitespace())
            .any(|attribute| attribute.starts_with("src="));
        if !external {
            let text = &html[tag_end + 1..close];
            hashes.push(base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text.as_bytes())));
        }
        from = close;
    }
    hashes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_scripts_are_hashed_and_external_ones_are_not() {
        let html = "<html><head><script type=\"module\">\nimport init from '/app.js';\n</script>\
                    <script src=\"/theme.js\" integrity=\"sha384-x\"></script><SCRIPT>a()</SCRIPT></head></html>";
        let hashes = inline_script_hashes(html);
        let expect = |text: &str| base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text.as_bytes()));
        assert_eq!(hashes, [expect("\nimport init from '/app.js';\n"), expect("a()")]);
        assert!(inline_script_hashes("<p>no scripts</p><script>unclosed").is_empty());
    }

    #[test]
    fn the_page_policy_lets_the_wasm_client_run_and_nothing_else() {
        let origins = OriginPolicy::new(None, &[], "127.0.0.1:8080".parse().unwrap());
        let csp = PagePolicy::new(&origins).for_page("<script>boot()</script>");
        assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(
            csp.contains("connect-src 'self' ws://127.0.0.1:8080 ws://localhost:8080"),
            "{csp}"
        );
        assert!(csp.contains("object-src 'none'"), "{csp}");
    }
}
