//! `POST /telegram/webhook`: Telegram's webhook, on every instance when `TELEGRAM_WEBHOOK_URL` is set.
//!
//! Telegram sends each update with the secret given to `setWebhook` in `X-Telegram-Bot-Api-Secret-Token`;
//! a request without it, or with another, is refused with 401 and nothing is recorded. An accepted update is
//! recorded in the inbox (`loket_core::inbox`) and acknowledged only once that committed: on any failure
//! Telegram gets an error and sends it again. An update already on record (Telegram retrying, or another
//! instance having received it) is acknowledged and not recorded again, so it is handled once. Handling
//! happens after the answer, on whichever instance claims it (this one, woken at once).
//!
//! This is Telegram's interface, not Loket's REST API: it is not in the OpenAPI document.

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web as aw};
use loket_core::AppError;
use loket_core::inbox::{self, Incoming, MAX_UPDATE_BYTES};
use sha2::{Digest, Sha256};

use crate::error::WebError;
use crate::http::State;

/// Where Telegram POSTs updates; `TELEGRAM_WEBHOOK_URL` must lead here.
pub const WEBHOOK_PATH: &str = "/telegram/webhook";
/// The header Telegram puts the webhook's secret in.
pub const SECRET_HEADER: &str = "X-Telegram-Bot-Api-Secret-Token";

/// The secret Telegram must send. Compared in constant time.
pub struct WebhookSecret(String);

impl WebhookSecret {
    pub fn new(secret: String) -> WebhookSecret {
        WebhookSecret(secret)
    }

    /// Whether `given` is the secret, in time that does not depend on where they differ (both sides are
    /// hashed first, so not on their lengths either).
    pub fn matches(&self, given: &[u8]) -> bool {
        let (ours, theirs) = (Sha256::digest(self.0.as_bytes()), Sha256::digest(given));
        ours.iter().zip(theirs.iter()).fold(0u8, |diff, (a, b)| diff | (a ^ b)) == 0
    }
}

/// Registers the webhook route, answering with `secret`.
pub fn routes(cfg: &mut aw::ServiceConfig, secret: Arc<WebhookSecret>) {
    cfg.service(
        aw::resource(WEBHOOK_PATH)
            .app_data(aw::Data::from(secret))
            .app_data(aw::PayloadConfig::new(MAX_UPDATE_BYTES))
            .route(aw::post().to(webhook)),
    );
}

async fn webhook(
    state: State,
    secret: aw::Data<WebhookSecret>,
    req: HttpRequest,
    body: aw::Bytes,
) -> Result<HttpResponse, WebError> {
    let given = req.headers().get(SECRET_HEADER).map(|v| v.as_bytes());
    if !given.is_some_and(|given| secret.matches(given)) {
        tracing::warn!(
            secret_sent = given.is_some(),
            "refused a webhook request without the right secret"
        );
        return Err(AppError::Unauthorized.into());
    }
    let value: serde_json::Value =
        serde_json::from_slice(&body).map_err(|e| AppError::invalid(format!("cannot read the update: {e}")))?;
    let update = Incoming::parse(value)?;
    let new = inbox::record(&state.desk.pool, &update).await?;
    if new {
        state.desk.inbox().pending();
    } else {
        tracing::info!(
            update = update.update_id,
            "an update already on record was received again"
        );
    }
    Ok(HttpResponse::Ok().finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_secret_matches() {
        let secret = WebhookSecret::new("s3cret_-Token".into());
        assert!(secret.matches(b"s3cret_-Token"));
        assert!(!secret.matches(b"s3cret_-Toke"));
        assert!(!secret.matches(b"s3cret_-TokenX"));
        assert!(!secret.matches(b""));
        assert!(!secret.matches(b"S3cret_-Token"));
    }
}
