//! The Origin check: which web origins are Loket's own, and the middleware that refuses a WebSocket
//! handshake or a cookie-authenticated state-changing request sent from any other.
//!
//! A page on another origin (another port or subdomain of the same site, which `SameSite=Strict` counts as
//! the same site) can make the browser send the agent's cookie. Browsers always say where such a request
//! comes from in `Origin`, so:
//! - `/ws`: an `Origin` that is not one of ours is refused; none at all (a program, not a browser) passes,
//!   and still needs a valid sign-in.
//! - `POST`/`PUT`/`PATCH`/`DELETE`: an `Origin` that is not ours is refused; a request without one is
//!   refused only if it would be authenticated by the cookie (browsers send `Origin` with every such
//!   request; bearer-token clients send `Authorization` and need none).
//!
//! Refusals are `403 forbidden` through [`AppError`], like every other error.

use std::net::SocketAddr;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::web as aw;

use crate::error::WebError;
use loket_core::AppError;
use loket_core::auth::SESSION_COOKIE;

/// The scheme of an origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    Http,
    Https,
}

impl Scheme {
    fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
}

/// A web origin (scheme, host, port) as browsers send it in `Origin`: `https://desk.example.org`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    scheme: Scheme,
    /// Lower case; an IPv6 address keeps its brackets.
    host: String,
    port: u16,
}

impl Origin {
    /// Parses `http(s)://host[:port]`, with at most a `/` after it (Loket is served at the root of its
    /// address, so a URL with a path, query or user name is refused).
    pub fn parse(text: &str) -> Result<Origin, String> {
        let text = text.trim();
        let (scheme, rest) = if let Some(rest) = text.strip_prefix("http://") {
            (Scheme::Http, rest)
        } else if let Some(rest) = text.strip_prefix("https://") {
            (Scheme::Https, rest)
        } else {
            return Err(format!("`{text}` is not an http:// or https:// address"));
        };
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.is_empty() || authority.contains(['/', '?', '#', '@', ' ']) {
            return Err(format!(
                "`{text}` must be just scheme, host and port (like https://desk.example.org), without a path"
            ));
        }
        let (host, port) = if authority.starts_with('[') {
            let end = authority
                .find(']')
                .ok_or_else(|| format!("`{text}` has an unclosed IPv6 address"))?;
            let (host, after) = authority.split_at(end + 1);
            host[1..end]
                .parse::<std::net::Ipv6Addr>()
                .map_err(|_| format!("`{host}` in `{text}` is not an IPv6 address"))?;
            (host, after.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            }
        };
        let port = match port {
            Some(port) => port
                .parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| format!("`{text}` has a bad port"))?,
            None if authority.ends_with(']') || !authority.contains(':') => scheme.default_port(),
            None => return Err(format!("`{text}` has a bad port")),
        };
        if host.is_empty() || host.contains(':') && !host.starts_with('[') {
            return Err(format!("`{text}` has no valid host"));
        }
        Ok(Origin {
            scheme,
            host: host.to_ascii_lowercase(),
            port,
        })
    }

    /// The origins browsers use to reach a server listening on `addr` over plain HTTP: the address
    /// itself, and `localhost` too when it is a loopback address. (An unspecified address such as 0.0.0.0
    /// tells nothing about the names browsers use; then only `localhost` and the loopback addresses.)
    pub fn for_listener(addr: SocketAddr) -> Vec<Origin> {
        let port = addr.port();
        let http = |host: String| Origin {
            scheme: Scheme::Http,
            host,
            port,
        };
        let ip = addr.ip().to_canonical();
        let mut origins = Vec::new();
        if ip.is_unspecified() {
            origins.push(http("127.0.0.1".into()));
            origins.push(http("[::1]".into()));
        } else {
            origins.push(http(match ip {
                std::net::IpAddr::V4(v4) => v4.to_string(),
                std::net::IpAddr::V6(v6) => format!("[{v6}]"),
            }));
        }
        if ip.is_loopback() || ip.is_unspecified() {
            origins.push(http("localhost".into()));
        }
        origins
    }

    /// The WebSocket origin of the same server (`ws://` or `wss://`), for a Content-Security-Policy.
    pub fn websocket(&self) -> String {
        let scheme = match self.scheme {
            Scheme::Http => "ws",
            Scheme::Https => "wss",
        };
        self.render(scheme)
    }

    fn render(&self, scheme: &str) -> String {
        if self.port == self.scheme.default_port() {
            format!("{scheme}://{}", self.host)
        } else {
            format!("{scheme}://{}:{}", self.host, self.port)
        }
    }

    pub fn is_https(&self) -> bool {
        self.scheme == Scheme::Https
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scheme = match self.scheme {
            Scheme::Http => "http",
            Scheme::Https => "https",
        };
        f.write_str(&self.render(scheme))
    }
}

/// Comma-separated origins (`LOKET_ALLOWED_ORIGINS`), each checked.
pub fn parse_list(list: &str) -> Result<Vec<Origin>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(Origin::parse)
        .collect()
}

/// Loket's own origins: its public URL (or what its listener implies), plus the extra allowed ones.
#[derive(Debug, Clone)]
pub struct OriginPolicy {
    own: Vec<Origin>,
}

/// What a request carries that the check looks at.
#[derive(Debug, Clone, Copy)]
pub struct RequestFacts<'a> {
    pub websocket: bool,
    pub state_changing: bool,
    pub origin: Option<&'a str>,
    pub has_session_cookie: bool,
    pub has_bearer: bool,
}

impl OriginPolicy {
    /// `public`: the configured public URL, else `None` to use the origins of `listener`.
    pub fn new(public: Option<Origin>, extra: &[Origin], listener: SocketAddr) -> OriginPolicy {
        let mut own = match public {
            Some(origin) => vec![origin],
            None => Origin::for_listener(listener),
        };
        for origin in extra {
            if !own.contains(origin) {
                own.push(origin.clone());
            }
        }
        OriginPolicy { own }
    }

    /// Every origin accepted, the public one first.
    pub fn origins(&self) -> &[Origin] {
        &self.own
    }

    /// Whether an `Origin` header value names one of ours (`null` and anything unparsable do not).
    pub fn is_own(&self, origin: &str) -> bool {
        Origin::parse(origin).is_ok_and(|origin| self.own.contains(&origin))
    }

    /// Whether a request passes; refused ones get `forbidden`.
    pub fn check(&self, request: RequestFacts<'_>) -> Result<(), AppError> {
        if !(request.websocket || request.state_changing) {
            return Ok(());
        }
        match request.origin {
            Some(origin) if self.is_own(origin) => Ok(()),
            Some(_) => Err(AppError::Forbidden(
                "this request came from a page on another site; open Loket at its own address".into(),
            )),
            // Only a browser can be tricked, and a browser always says where a cookie-carrying request
            // comes from; a WebSocket without Origin is a program (and still has to sign in).
            None if request.state_changing && request.has_session_cookie && !request.has_bearer => {
                Err(AppError::Forbidden(
                    "a request signed in by cookie must come from Loket's own pages (no Origin was sent)".into(),
                ))
            }
            None => Ok(()),
        }
    }
}

/// Middleware applying the [`OriginPolicy`] in the app data to every request.
pub async fn guard<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    if let Some(policy) = req.app_data::<aw::Data<OriginPolicy>>() {
        let headers = req.headers();
        let origin = headers.get(header::ORIGIN).map(|v| v.to_str().unwrap_or("unreadable"));
        let facts = RequestFacts {
            websocket: req.path() == "/ws",
            state_changing: matches!(
                *req.method(),
                Method::POST | Method::PUT | Method::PATCH | Method::DELETE
            ),
            origin,
            has_session_cookie: req.cookie(SESSION_COOKIE).is_some(),
            has_bearer: headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("Bearer ")),
        };
        if let Err(error) = policy.check(facts) {
            tracing::info!(origin = ?facts.origin, path = req.path(), "refused a request from another origin");
            // Answered here (not as an error) so the outer middleware still adds the security headers.
            return Ok(req.error_response(WebError(error)).map_into_right_body());
        }
    }
    next.call(req).await.map(ServiceResponse::map_into_left_body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(s: &str) -> Origin {
        Origin::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn origins_parse_to_scheme_host_and_port() {
        assert_eq!(
            origin("https://Desk.Example.org").to_string(),
            "https://desk.example.org"
        );
        assert_eq!(
            origin("https://desk.example.org:443/"),
            origin("https://desk.example.org")
        );
        assert_eq!(origin("http://127.0.0.1:8080").to_string(), "http://127.0.0.1:8080");
        assert_eq!(origin("http://[::1]:8081").to_string(), "http://[::1]:8081");
        assert_eq!(origin("http://[::1]").to_string(), "http://[::1]");
        assert_ne!(origin("http://localhost:8080"), origin("http://localhost:8081"));
        assert_ne!(origin("http://desk.example.org"), origin("https://desk.example.org"));
        assert_eq!(
            origin("https://desk.example.org:8443").websocket(),
            "wss://desk.example.org:8443"
        );
        for bad in [
            "desk.example.org",
            "ftp://desk.example.org",
            "https://",
            "https://desk.example.org/loket",
            "https://user@desk.example.org",
            "https://desk.example.org:0",
            "https://desk.example.org:99999",
            "https://desk.example.org:",
            "http://[::1",
            "http://::1:80",
            "null",
        ] {
            assert!(Origin::parse(bad).is_err(), "{bad} should be refused");
        }
        assert_eq!(
            parse_list(" http://127.0.0.1:8081, ,http://localhost:8081")
                .unwrap()
                .len(),
            2
        );
        assert!(parse_list("http://ok:1, nope").unwrap_err().contains("nope"));
    }

    #[test]
    fn a_listener_implies_its_address_and_localhost_for_loopback() {
        let names = |addr: &str| -> Vec<String> {
            Origin::for_listener(addr.parse().unwrap())
                .iter()
                .map(ToString::to_string)
                .collect()
        };
        assert_eq!(
            names("127.0.0.1:8080"),
            ["http://127.0.0.1:8080", "http://localhost:8080"]
        );
        assert_eq!(names("[::1]:8080"), ["http://[::1]:8080", "http://localhost:8080"]);
        assert_eq!(names("192.0.2.4:80"), ["http://192.0.2.4"]);
        assert_eq!(
            names("0.0.0.0:8080"),
            ["http://127.0.0.1:8080", "http://[::1]:8080", "http://localhost:8080"]
        );
    }

    #[test]
    fn foreign_origins_are_refused_for_websockets_and_changes_only() {
        let policy = OriginPolicy::new(
            None,
            &[origin("http://127.0.0.1:8081")],
            "127.0.0.1:8080".parse().unwrap(),
        );
        let facts = |websocket, state_changing, origin, cookie, bearer| RequestFacts {
            websocket,
            state_changing,
            origin,
            has_session_cookie: cookie,
            has_bearer: bearer,
        };
        let ok = |f| policy.check(f).is_ok();
        // The WebSocket: our origins and the allowed one pass, others and `null` do not; none passes.
        assert!(ok(facts(true, false, Some("http://127.0.0.1:8080"), true, false)));
        assert!(ok(facts(true, false, Some("http://localhost:8080"), true, false)));
        assert!(ok(facts(true, false, Some("http://127.0.0.1:8081"), true, false)));
        assert!(!ok(facts(true, false, Some("http://127.0.0.1:9999"), true, false)));
        assert!(!ok(facts(true, false, Some("null"), true, false)));
        assert!(!ok(facts(true, false, Some("http://127.0.0.1:9999"), false, true)));
        assert!(ok(facts(true, false, None, false, true)));
        // Changes: a foreign Origin never passes; a missing one only without the cookie or with a token.
        assert!(ok(facts(false, true, Some("http://127.0.0.1:8080"), true, false)));
        assert!(!ok(facts(false, true, Some("https://evil.example"), true, false)));
        assert!(!ok(facts(false, true, Some("https://evil.example"), false, false)));
        assert!(!ok(facts(false, true, None, true, false)));
        assert!(ok(facts(false, true, None, true, true)));
        assert!(ok(facts(false, true, None, false, false)));
        // Reads are never refused by origin.
        assert!(ok(facts(false, false, Some("https://evil.example"), true, false)));
        // A public URL replaces the listener's origins.
        let public = OriginPolicy::new(
            Some(origin("https://desk.example.org")),
            &[],
            "127.0.0.1:8080".parse().unwrap(),
        );
        assert!(public.is_own("https://desk.example.org"));
        assert!(!public.is_own("http://127.0.0.1:8080"));
        assert!(matches!(
            public.check(facts(true, false, Some("http://127.0.0.1:8080"), true, false)),
            Err(AppError::Forbidden(_))
        ));
    }
}
