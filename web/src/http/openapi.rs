//! The REST API's OpenAPI 3 document (`/api/openapi.json`, generated from the handlers' `#[utoipa::path]`
//! attributes and the protocol types), and the browsable reference at `/docs`: Swagger UI's files from
//! npm's `swagger-ui-dist` (installed by `scripts/install-tools`, read from disk, nothing fetched at run
//! time) with a page and an initialiser of Loket's own.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use actix_web::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY};
use actix_web::{HttpRequest, HttpResponse, web as aw};
use loket_core::auth::SESSION_COOKIE;
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};

use crate::http::security::NOT_BUILT_CSP;
use crate::http::{admin, agents, auth, canned, health, metrics, queues, sla, stats, tickets};

/// Where `/docs` finds Swagger UI's files, if anywhere.
#[derive(Debug, Clone)]
pub struct DocsDir(pub Option<PathBuf>);

/// Where `scripts/install-tools` puts swagger-ui-dist, relative to the repository.
pub const SWAGGER_UI_SUBDIR: &str = "tools/node_modules/swagger-ui-dist";

/// The files of swagger-ui-dist that `/docs` serves; anything else is 404.
const SWAGGER_UI_FILES: [(&str, &str); 2] = [
    ("swagger-ui.css", "text/css; charset=utf-8"),
    ("swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
];

/// The policy of the docs page: Swagger UI's scripts and styles from Loket itself (it sets some inline
/// styles, and draws icons from `data:` images), the document fetched from Loket, nothing else.
pub const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                            img-src 'self' data:; connect-src 'self'; font-src 'self' data:; \
                            base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// How long browsers may keep Swagger UI's files (they change only with a reinstall).
const ASSET_MAX_AGE: &str = "public, max-age=3600";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Loket REST API",
        description = "The REST API of Loket, a real-time helpdesk. Every error answers with an `ApiError` \
                       body; branch on its `code`. Sign in with `POST /api/auth/login`, then send the token as \
                       `Authorization: Bearer <token>` or let the browser send the `loket_session` cookie. \
                       Live updates travel over the WebSocket at `/ws`, documented in docs/protocol.md.",
        license(name = "AGPL-3.0-or-later"),
    ),
    paths(
        health::healthz,
        health::readyz,
        metrics::scrape,
        auth::login,
        auth::logout,
        auth::me,
        auth::change_password,
        auth::public_name,
        auth::set_public_name,
        agents::list,
        agents::create,
        agents::directory,
        agents::disable,
        agents::enable,
        agents::set_role,
        agents::reset_password,
        admin::list_invites,
        admin::create_invite,
        admin::revoke_invite,
        admin::list_categories,
        admin::create_category,
        admin::change_category,
        admin::list_sessions,
        admin::end_session,
        admin::audit,
        canned::list,
        canned::create,
        canned::one,
        canned::change,
        canned::remove,
        canned::render,
        queues::list,
        queues::create,
        queues::one,
        queues::change,
        queues::set_member,
        queues::remove_member,
        queues::category_queue,
        sla::calendars,
        sla::add_calendar,
        sla::replace_calendar,
        sla::policies,
        sla::set_policy,
        sla::delete_policy,
        stats::json,
        stats::csv,
        tickets::list,
        tickets::create,
        tickets::detail,
        tickets::patch,
        tickets::lock,
        tickets::unlock,
        tickets::read,
        tickets::comment,
        tickets::upload,
        tickets::merge,
        tickets::events,
        tickets::attachment,
    ),
    components(schemas(loket_protocol::ApiError, loket_protocol::ErrorCode)),
    modifiers(&SecuritySchemes),
    tags(
        (name = "auth", description = "Signing in and out, your own account"),
        (name = "agents", description = "Agent accounts (admins manage them)"),
        (name = "admin", description = "Invite codes, categories, sign-in sessions and the audit trail"),
        (name = "tickets", description = "Tickets, their locks, comments and history"),
        (name = "queues", description = "Queues (teams): who works which tickets"),
        (name = "sla", description = "Service levels: business-hours calendars and promises per queue and priority"),
        (name = "stats", description = "Statistics: volumes, backlog, response times, workload and CSAT"),
        (name = "canned-replies", description = "Canned replies (text modules) for the reply composer"),
        (name = "attachments", description = "Files reporters and agents attached"),
        (name = "health", description = "Liveness, readiness and metrics"),
    )
)]
pub struct ApiDoc;

/// Adds the two ways of sending a session token.
struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                SESSION_COOKIE,
                "Set by a successful sign-in (HttpOnly, SameSite=Strict)",
            ))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The `token` answered by `POST /api/auth/login`"))
                    .build(),
            ),
        );
    }
}

/// The document as JSON, built once.
static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
    // Serialising plain structs of strings and maps into a String cannot fail; an empty document would
    // still be caught by the integration test that reads it.
    ApiDoc::openapi().to_pretty_json().unwrap_or_default()
});

pub fn routes(cfg: &mut aw::ServiceConfig) {
    cfg.route("/api/openapi.json", aw::get().to(document))
        .route("/docs", aw::get().to(page))
        .route("/docs/", aw::get().to(page))
        .route("/docs/init.js", aw::get().to(initialiser))
        .route("/docs/{file}", aw::get().to(asset));
}

/// Picks Swagger UI's directory: the configured one (`LOKET_DOCS_DIR`), else swagger-ui-dist under
/// `tools/` in the working directory or in the repository the binary was built in.
pub fn find_docs_dir(configured: Option<&Path>) -> Option<PathBuf> {
    let has_files = |dir: &Path| SWAGGER_UI_FILES.iter().all(|(name, _)| dir.join(name).is_file());
    if let Some(dir) = configured {
        return has_files(dir).then(|| dir.to_path_buf());
    }
    let mut candidates = vec![PathBuf::from(SWAGGER_UI_SUBDIR)];
    if let Ok(exe) = std::env::current_exe()
        && let Some(bin_dir) = exe.parent()
    {
        candidates.push(bin_dir.join("../..").join(SWAGGER_UI_SUBDIR));
    }
    candidates.into_iter().find(|dir| has_files(dir))
}

async fn document() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(DOCUMENT.as_str())
}

const PAGE: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Loket REST API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head><body><div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body></html>"#;

const INITIALISER: &str = r##"window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({ url: "/api/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
});
"##;

const NOT_INSTALLED: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Loket: API reference not installed</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem}code{background:#eee;padding:.1em .3em}</style>
</head><body><h1>The browsable API reference is not installed</h1>
<p>The OpenAPI document itself is at <a href="/api/openapi.json"><code>/api/openapi.json</code></a>.</p>
<p>To browse it here, run <code>./scripts/install-tools</code> from the repository (it puts npm's
<code>swagger-ui-dist</code> under <code>tools/</code>) and start <code>loket</code> from the repository root, or
point <code>LOKET_DOCS_DIR</code> at a directory holding <code>swagger-ui.css</code> and
<code>swagger-ui-bundle.js</code>.</p>
</body></html>"#;

async fn page(docs: aw::Data<DocsDir>) -> HttpResponse {
    if docs.0.is_none() {
        return HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header((CONTENT_SECURITY_POLICY, NOT_BUILT_CSP))
            .body(NOT_INSTALLED);
    }
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((CONTENT_SECURITY_POLICY, DOCS_CSP))
        .insert_header((CACHE_CONTROL, "no-cache"))
        .body(PAGE)
}

async fn initialiser() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((CACHE_CONTROL, "no-cache"))
        .body(INITIALISER)
}

async fn asset(req: HttpRequest, docs: aw::Data<DocsDir>, file: aw::Path<String>) -> HttpResponse {
    let (Some(dir), Some((name, content_type))) = (
        &docs.0,
        SWAGGER_UI_FILES.iter().find(|(name, _)| *name == file.as_str()),
    ) else {
        return HttpResponse::NotFound().finish();
    };
    match actix_files::NamedFile::open_async(dir.join(name)).await {
        Ok(named) => {
            let mut response = named
                .set_content_type(content_type.parse().unwrap_or(mime::APPLICATION_OCTET_STREAM))
                .use_etag(true)
                .use_last_modified(true)
                .into_response(&req);
            response.headers_mut().insert(
                CACHE_CONTROL,
                actix_web::http::header::HeaderValue::from_static(ASSET_MAX_AGE),
            );
            response
        }
        Err(_) => HttpResponse::NotFound().finish(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_names_every_area_and_both_ways_to_sign_in() {
        let doc: serde_json::Value = serde_json::from_str(&DOCUMENT).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        for path in [
            "/api/auth/login",
            "/api/agents/{id}/role",
            "/api/audit",
            "/api/tickets/{id}/lock",
        ] {
            assert!(doc["paths"][path].is_object(), "{path} missing");
        }
        let schemes = &doc["components"]["securitySchemes"];
        assert_eq!(schemes["bearer"]["scheme"], "bearer");
        assert_eq!(schemes["session_cookie"]["in"], "cookie");
        assert!(doc["components"]["schemas"]["ApiError"].is_object());
    }
}
