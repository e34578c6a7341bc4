//! HTTP routes: one file per resource, all errors through `AppError`.

pub mod admin;
pub mod agents;
pub mod auth;
pub mod canned;
pub mod health;
pub mod metrics;
pub mod openapi;
pub mod origin;
pub mod queues;
pub mod security;
pub mod sla;
pub mod stats;
pub mod telegram;
pub mod tickets;
pub mod web;

use std::path::PathBuf;
use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, error::JsonPayloadError, web as aw};
use loket_protocol::MAX_FRAME_BYTES;

use crate::error::WebError;
use loket_core::AppError;
use loket_core::desk::Desk;

/// Shared by every handler.
pub struct AppState {
    pub desk: Desk,
    pub data_dir: PathBuf,
    pub cookie_secure: bool,
    /// `https://t.me/<bot>?start=` once the bot is running (set when Telegram names the bot), for invite links.
    pub invite_link_base: Arc<std::sync::OnceLock<String>>,
    /// How many sign-in attempts are allowed per account and per address (counted in PostgreSQL).
    pub sign_in_limits: loket_core::domain::throttle::SignInLimits,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: loket_core::domain::throttle::TrustedProxies,
    /// Bounds how many password hashes are checked at once.
    pub password_checks: tokio::sync::Semaphore,
}

pub type State = aw::Data<Arc<AppState>>;

/// Largest JSON body accepted.
pub const MAX_JSON_BYTES: usize = MAX_FRAME_BYTES;

/// Registers every route.
pub fn configure(cfg: &mut aw::ServiceConfig) {
    cfg.app_data(json_config())
        .app_data(aw::PayloadConfig::new(MAX_JSON_BYTES))
        .app_data(
            aw::PathConfig::default()
                .error_handler(|err, _| WebError::from(AppError::invalid(format!("bad path: {err}"))).into()),
        )
        .app_data(
            aw::QueryConfig::default()
                .error_handler(|err, _| WebError::from(AppError::invalid(format!("bad query: {err}"))).into()),
        )
        .route("/healthz", aw::get().to(health::healthz))
        .route("/readyz", aw::get().to(health::readyz))
        .route("/metrics", aw::get().to(metrics::scrape))
        .route("/ws", aw::get().to(tickets::websocket))
        // Before the `/api` scope, which would otherwise answer `/api/openapi.json` with 404.
        .configure(openapi::routes)
        .service(
            aw::scope("/api")
                .configure(auth::routes)
                .configure(agents::routes)
                .configure(admin::routes)
                .configure(canned::routes)
                .configure(queues::routes)
                .configure(sla::routes)
                .configure(stats::routes)
                .configure(tickets::routes)
                .default_service(aw::to(|| async {
                    Err::<HttpResponse, _>(WebError(AppError::NotFound("API route")))
                })),
        )
        .configure(web::routes);
}

fn json_config() -> aw::JsonConfig {
    aw::JsonConfig::default()
        .limit(MAX_JSON_BYTES)
        .error_handler(|err, _: &HttpRequest| {
            let error = match err {
                JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
                    AppError::PayloadTooLarge
                }
                JsonPayloadError::ContentType => AppError::invalid("send the body as application/json"),
                other => AppError::invalid(format!("cannot read the JSON body: {other}")),
            };
            WebError(error).into()
        })
}

/// A JSON body that may be left out entirely (empty or only whitespace): then `T::default()`.
pub fn optional_json<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> Result<T, AppError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| AppError::invalid(format!("cannot read the JSON body: {e}")))
}

/// 201 Created with a JSON body.
pub fn created<T: serde::Serialize>(body: &T) -> HttpResponse {
    HttpResponse::Created().json(body)
}
